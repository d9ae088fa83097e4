//! Consentry's IAB TCF module: the TC string decoder behind
//! `consentry.decodeTCString` and what a CMP's TC string means for the
//! page's categories. A wasm module of its own, loaded by the gate's facade
//! only on pages that use TCF, so other pages never download it. The TC
//! string decoder and the TCF rules ([`tcf`]) live here, pure and tested
//! natively, behind three string functions; the CMP listener and the
//! `iabPlugin` Adobe's ID service calls are the JS shell's (`js/tcf.js`).
#![no_std]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod tcf;

#[cfg(target_arch = "wasm32")]
mod wasm;

// The allocator is consentry's (feature `allocator`).
