//! The TCF module's wasm surface: three string functions. The CMP listener
//! (`__tcfapi`, the `__tcfapiLocator` frame, the timeout, `iabPlugin`) is
//! the JS shell's (`js/tcf.js`); what a TC string says is decided here.

use crate::tcf::rules::{Rules, TcfConfig};
use alloc::string::String;
use consentry::consent::{Categories, ADOBE};
use consentry::json::{parse, push_hex, write_string, Value};
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// The page's `tcf` configuration and categories, once set.
struct Page(RefCell<Option<(TcfConfig, Categories)>>);
// SAFETY: wasm32-unknown-unknown without atomics runs one thread.
unsafe impl Sync for Page {}
static PAGE: Page = Page(RefCell::new(None));

fn error(message: &str) -> String {
    let mut out = String::from("{\"error\":");
    write_string(message, &mut out);
    out.push('}');
    out
}

/// `decodeTCString`: the decoded TC string as JSON, or `{"error": why}`.
#[wasm_bindgen(js_name = decodeTCString)]
pub fn decode_tc_string(tc_string: &str) -> String {
    match crate::tcf::decode(tc_string) {
        Ok(tc) => tc.to_json(),
        Err(e) => error(&e.message()),
    }
}

/// Sets the page's `tcf` value (JSON, validated by the gate at `init`) and
/// category names (a JSON array); answers `{"timeout": ms}` or `{"error"}`.
#[wasm_bindgen]
pub fn configure(tcf: &str, names: &str) -> String {
    let (Ok(tcf), Ok(Value::Array(names))) = (parse(tcf), parse(names)) else {
        return error("expected the tcf value and the category names as JSON");
    };
    let mut site = alloc::vec::Vec::new();
    for n in names.iter().skip(ADOBE.len()) {
        if let Value::String(s) = n {
            site.push(s.clone());
        }
    }
    let config = Categories::with_site(&site).and_then(|c| Ok((TcfConfig::parse(&c, &tcf)?, c)));
    match (config, PAGE.0.try_borrow_mut()) {
        (Ok(page), Ok(mut slot)) => {
            let mut out = String::from("{\"timeout\":");
            consentry::json::push_uint(&mut out, page.0.timeout.into());
            out.push('}');
            *slot = Some(page);
            out
        }
        (Err(e), _) => error(&e),
        (_, Err(_)) => error("called while busy"),
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
/// `{"choices": {category: boolean}, "hash": "...", "warning"?: "..."}`;
/// a string that cannot be read denies every ruled category.
#[wasm_bindgen(js_name = tcData)]
pub fn tc_data(tc_string: &str) -> String {
    let Ok(page) = PAGE.0.try_borrow() else {
        return error("called while busy");
    };
    let Some((config, cats)) = page.as_ref() else {
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
    let mut out = String::from("{\"choices\":{");
    for (n, (i, v)) in choices.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        write_string(cats.names().get(*i).map_or("", String::as_str), &mut out);
        out.push_str(if *v { ":true" } else { ":false" });
    }
    out.push_str("},\"hash\":");
    write_string(&hash(tc_string), &mut out);
    if let Some(w) = warning {
        out.push_str(",\"warning\":");
        write_string(&w, &mut out);
    }
    out.push('}');
    out
}
