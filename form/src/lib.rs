//! Consentry's phone-capture form: a wasm module of its own, loaded by the
//! gate's facade on the first `renderPhoneCapture` call (or when the outbox
//! holds an undelivered submission), so pages without a form never download
//! it. The rules come from `consentry::subscription`; this crate is the DOM
//! and the network.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]

#[cfg(target_arch = "wasm32")]
mod delivery;
#[cfg(target_arch = "wasm32")]
mod render;

#[cfg(target_arch = "wasm32")]
pub use delivery::flush;
#[cfg(target_arch = "wasm32")]
pub use render::{render, PhoneCapture};

// See the gate's allocator: few, small allocations on one thread.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without atomics runs one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
