//! Consentry's phone-capture form: a wasm module of its own, loaded by the
//! gate's facade on the first `renderPhoneCapture` call (or when the outbox
//! holds an undelivered submission), so pages without a form never download
//! it. The rules come from `consentry::subscription`; this crate is the DOM
//! and the network.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]
#![no_std]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// What std's prelude would bring.
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

pub mod rules;

/// Page-wide state of the module (what `thread_local!` is with std):
/// wasm32-unknown-unknown without atomics runs one thread.
#[cfg(target_arch = "wasm32")]
struct Local<T>(T);
// SAFETY: one thread (see above).
#[cfg(target_arch = "wasm32")]
unsafe impl<T> Sync for Local<T> {}
#[cfg(target_arch = "wasm32")]
impl<T> Local<T> {
    fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0)
    }
}

#[cfg(target_arch = "wasm32")]
mod delivery;
#[cfg(target_arch = "wasm32")]
mod render;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use delivery::flush;
#[cfg(target_arch = "wasm32")]
pub use render::{render, PhoneCapture};

// The allocator is consentry's (feature `allocator`).
