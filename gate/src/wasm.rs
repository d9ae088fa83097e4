//! The one export: `gate(op, arg, now)`, over the page's one [`Gate`].

use super::Gate;
use alloc::string::String;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// The page's gate. wasm32-unknown-unknown without atomics runs one
/// thread, and nothing in [`Gate::call`] calls out to JS, so it is never
/// borrowed twice.
struct Page(RefCell<Gate>);
// SAFETY: one thread (see above).
unsafe impl Sync for Page {}
static PAGE: Page = Page(RefCell::new(Gate(None)));

/// Runs operation `op` with the JSON argument `arg` at time `now`.
#[wasm_bindgen]
pub fn gate(op: u32, arg: &str, now: f64) -> String {
    match PAGE.0.try_borrow_mut() {
        Ok(mut g) => g.call(op, arg, now),
        Err(_) => String::from("{\"error\":\"called while busy\"}"),
    }
}
