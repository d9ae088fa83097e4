//! Consentry's IAB GPP module: the Global Privacy Platform string encoder
//! and decoder behind the `__gpp` API, and what another CMP's opt-outs mean
//! for the page's categories. A wasm module of its own, loaded by the
//! gate's facade only on pages whose configuration has `gpp`, so other pages
//! never download it. The rules live here, pure and tested natively (and
//! against the IAB's own library by `tests/e2e/gpp.test.mjs`); the `__gpp`
//! API, its events and the locator frame are the JS shell's (`js/gpp.js`).
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
pub mod rules;
pub mod sections;

#[cfg(target_arch = "wasm32")]
mod wasm;

// The allocator is consentry's (feature `allocator`).
