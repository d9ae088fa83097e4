//! The phone form's rules, pure Rust tested natively: its options, texts,
//! E.164 normalisation, the request body and consent record, the outbox
//! and SHA-256. Nothing here calls out; `render` and `delivery` carry the
//! decisions out in the browser.

#[allow(unused_imports)]
use crate::prelude::*;
pub mod form_options;
pub mod outbox;
pub mod payload;
pub mod phone;
pub mod sha256;
pub mod texts;
