//! Consentry's phone-capture form: a wasm module of its own, loaded by the
//! gate's facade on the first `renderPhoneCapture` call (or when the outbox
//! holds an undelivered submission), so pages without a form never download
//! it. The rules come from `consentry::subscription`; this crate is the DOM
//! and the network.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]

pub mod rules;

#[cfg(target_arch = "wasm32")]
mod delivery;
#[cfg(target_arch = "wasm32")]
mod render;

#[cfg(target_arch = "wasm32")]
pub use delivery::flush;
#[cfg(target_arch = "wasm32")]
pub use render::{render, PhoneCapture};

// The allocator is consentry's (feature `allocator`).
