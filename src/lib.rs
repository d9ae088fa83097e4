//! Consentry: a consent-management SDK for the web.
//!
//! The pure core ([`consent`], [`json`]) decides which solution categories
//! may run tags and set cookies; `web` (wasm32 only) is the one place that
//! touches JS and the DOM: it exports the `adobe.optIn`-compatible API,
//! reads and writes storage, and fires events.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod consent;
pub mod json;

#[cfg(target_arch = "wasm32")]
pub mod web;
