//! The GPP module's wasm surface: string functions over the page's GPP
//! configuration (flat, as the gate validated it). The `__gpp` API, its
//! events, the locator frame and the reader's listener are the JS shell's
//! (`js/gpp.js`); what a GPP string says is decided here.

use crate::{codec, rules};
use alloc::string::String;
use alloc::vec::Vec;
use consentry::json::{error, push_uint};
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// The page's configuration, flat (`GppConfig::flat`), once set.
struct Page(RefCell<Vec<u32>>);
// SAFETY: wasm32-unknown-unknown without atomics runs one thread.
unsafe impl Sync for Page {}
static PAGE: Page = Page(RefCell::new(Vec::new()));

fn page() -> Vec<u32> {
    PAGE.0.try_borrow().map(|p| p.clone()).unwrap_or_default()
}

/// Sets the page's configuration as the gate gives it: `[0, cmpId, mspa,
/// section ids...]` (Consentry the CMP) or `[1, timeout, category, kinds,
/// ...]` (a reader).
#[wasm_bindgen]
pub fn configure(flat: &[u32]) {
    if let Ok(mut slot) = PAGE.0.try_borrow_mut() {
        *slot = flat.to_vec();
    }
}

/// The GPP string of the choice: `states` per opt-out kind as the gate
/// answers them, and Global Privacy Control.
#[wasm_bindgen]
pub fn encode(states: &[u32], gpc: bool) -> String {
    let p = page();
    let mut s = [0; 4];
    for (slot, n) in s.iter_mut().zip(states) {
        *slot = *n;
    }
    rules::encode(p.get(3..).unwrap_or(&[]), s, p.get(2).copied().unwrap_or(0), gpc)
}

/// The sections that apply in `region` ("" when unknown), as a JSON array.
#[wasm_bindgen]
pub fn applicable(region: &str) -> String {
    let p = page();
    let region = Some(region).filter(|r| !r.is_empty());
    let mut out = String::from("[");
    for (i, id) in rules::applicable(p.get(3..).unwrap_or(&[]), region).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if *id < 0 {
            out.push('-');
        }
        push_uint(&mut out, id.unsigned_abs());
    }
    out.push(']');
    out
}

/// A GPP string decoded: `{"sectionList": [...], "parsedSections": {...}}`,
/// or `{"error": why}`.
#[wasm_bindgen]
pub fn decode(gpp: &str) -> String {
    match codec::decode(gpp) {
        Ok(g) => g.to_json(),
        Err(e) => error(e),
    }
}

/// What another CMP's GPP string means for the ruled categories:
/// `{"choices": [[category index, boolean], ...]}`, `{}` when no US section
/// applies, or, when the string cannot be read, every ruled category
/// denied and a `warning`.
#[wasm_bindgen]
pub fn choices(gpp: &str, applicable: &[i32]) -> String {
    let p = page();
    let mut rules = Vec::new();
    for pair in p.get(2..).unwrap_or(&[]).chunks_exact(2) {
        if let [c, k] = pair {
            rules.push((*c as usize, *k));
        }
    }
    let applicable: Vec<i64> = applicable.iter().map(|a| i64::from(*a)).collect();
    let (list, warning) = match rules::choices(&rules, gpp, &applicable) {
        Ok(None) => return String::from("{}"),
        Ok(Some(list)) => (list, None),
        Err(e) => (rules.iter().map(|(c, _)| (*c, false)).collect(), Some(e)),
    };
    let mut out = String::from("{\"choices\":[");
    for (n, (i, v)) in list.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('[');
        push_uint(&mut out, *i as u64);
        out.push_str(if *v { ",true]" } else { ",false]" });
    }
    out.push(']');
    if let Some(w) = warning {
        out.push_str(",\"warning\":\"the CMP's GPP string could not be read (");
        out.push_str(w);
        out.push_str("); its categories are denied\"");
    }
    out.push('}');
    out
}
