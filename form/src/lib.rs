//! Consentry's phone-capture form: a module of its own, loaded by the
//! gate's facade on the first `renderPhoneCapture` call (or when the outbox
//! holds an undelivered submission), so pages without a form never download
//! it. Its rules ([`rules`]: options, E.164, texts, payload, outbox) are
//! pure and tested natively, and reach the page through a few string
//! functions; the DOM and the network are the JS shell's (`js/form.js`).
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

#[cfg(target_arch = "wasm32")]
mod wasm;

// The allocator is consentry's (feature `allocator`).
