//! The TCF module's wasm surface: three string functions. The CMP listener
//! (`__tcfapi`, the `__tcfapiLocator` frame, the timeout, `iabPlugin`) is
//! the JS shell's (`js/tcf.js`); what a TC string says is decided here.

use crate::tcf::rules::{Rules, TcfConfig};
use alloc::string::String;
use alloc::vec::Vec;
use consentry::consent::Rule;
use consentry::json::{error, push_choices, push_hex, write_string};
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// The page's TCF rules, once set.
struct Page(RefCell<Option<TcfConfig>>);
// SAFETY: wasm32-unknown-unknown without atomics runs one thread.
unsafe impl Sync for Page {}
static PAGE: Page = Page(RefCell::new(None));

/// `decodeTCString`: the decoded TC string as JSON, or `{"error": why}`.
#[wasm_bindgen(js_name = decodeTCString)]
pub fn decode_tc_string(tc_string: &str) -> String {
    match crate::tcf::decode(tc_string) {
        Ok(tc) => tc.to_json(),
        Err(e) => error(&e.message()),
    }
}

/// Sets the page's TCF rules as the gate gives them (validated at `init`),
/// flat: the timeout, then per rule its category index and its purposes,
/// vendors and special features, each as its length and its ids.
#[wasm_bindgen]
pub fn configure(flat: &[u32]) {
    let mut it = flat.iter().map(|n| u64::from(*n));
    let mut config = TcfConfig {
        timeout: flat.first().copied().unwrap_or_default(),
        rules: Vec::new(),
    };
    it.next();
    while let Some(category) = it.next() {
        let mut list = || {
            let n = it.next().unwrap_or_default();
            let mut ids = Vec::new();
            for _ in 0..n {
                ids.extend(it.next());
            }
            ids
        };
        let (purposes, vendors, special_features) = (list(), list(), list());
        config.rules.push(Rule {
            category: category as usize,
            purposes,
            vendors,
            special_features,
        });
    }
    if let Ok(mut slot) = PAGE.0.try_borrow_mut() {
        *slot = Some(config);
    }
}

/// FNV-1a, as hex: enough to notice a changed TC string.
fn hash(s: &str) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let mut out = String::new();
    for b in h.to_be_bytes() {
        push_hex(&mut out, b, false);
    }
    out
}

/// What a CMP's TC string means for the page's categories:
/// `{"choices": [[category index, boolean], ...], "hash": "...",
/// "warning"?: "..."}`; a string that cannot be read denies every ruled
/// category.
#[wasm_bindgen(js_name = tcData)]
pub fn tc_data(tc_string: &str) -> String {
    let Ok(page) = PAGE.0.try_borrow() else {
        return error("called while busy");
    };
    let Some(config) = page.as_ref() else {
        return error("called before configure");
    };
    let mut warning = None;
    let choices = match crate::tcf::decode(tc_string) {
        Ok(tc) => config.permissions(&tc),
        Err(e) => {
            let mut m = String::from("the CMP's TC string could not be read (");
            m.push_str(&e.message());
            m.push_str("); its categories are denied");
            warning = Some(m);
            config.deny_all()
        }
    };
    let mut out = String::from("{");
    push_choices(&mut out, &choices);
    out.push_str(",\"hash\":");
    write_string(&hash(tc_string), &mut out);
    if let Some(w) = warning {
        out.push_str(",\"warning\":");
        write_string(&w, &mut out);
    }
    out.push('}');
    out
}
