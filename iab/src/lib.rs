//! Consentry's IAB TCF module: the TC string decoder behind
//! `consentry.decodeTCString` and, with `isIabContext`, the CMP listener and
//! the `iabPlugin` Adobe's ID service calls. A wasm module of its own,
//! loaded by the gate's facade only on pages that use TCF, so other pages
//! never download it. The TC string decoder and the TCF rules ([`tcf`])
//! live here, pure and tested natively, beside their only user.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]
#![no_std]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod tcf;

#[cfg(target_arch = "wasm32")]
mod cmp;

#[cfg(target_arch = "wasm32")]
pub use cmp::{decode_tc_string, Cmp};

// The allocator is consentry's (feature `allocator`).
