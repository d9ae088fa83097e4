//! The GPP module's wasm surface: string functions over the page's `gpp`
//! configuration, which it reads (the core's `GppConfig`). The `__gpp` API, its
//! events, the locator frame and the reader's listener are the JS shell's
//! (`js/gpp.js`); what a GPP string says is decided here.

use crate::{codec, rules};
use alloc::string::String;
use alloc::vec::Vec;
use consentry::consent::{Categories, GppConfig, ADOBE};
use consentry::json::{error, parse, push_choices, push_uint, Value};
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

/// The page's `gpp` configuration, once read.
struct Page(RefCell<Option<GppConfig>>);
// SAFETY: wasm32-unknown-unknown without atomics runs one thread.
unsafe impl Sync for Page {}
static PAGE: Page = Page(RefCell::new(None));

/// Runs `f` over the page's configuration (`None` before `configure`).
fn with_page<T>(f: impl FnOnce(Option<&GppConfig>) -> T) -> T {
    match PAGE.0.try_borrow() {
        Ok(page) => f(page.as_ref()),
        Err(_) => f(None),
    }
}

/// Reads the page's `gpp` configuration (JSON, as the gate handed it over)
/// against its category names (a JSON array, in order): `{"cmp": true}`,
/// `{"timeout": ms}` for a reader, or `{"error": "config.gpp... ; expected
/// ..."}`.
#[wasm_bindgen]
pub fn configure(config: &str, names: &str) -> String {
    let read = || -> Result<GppConfig, String> {
        let mut site = Vec::new();
        if let Value::Array(items) = parse(names)? {
            for item in items.iter().skip(ADOBE.len()) {
                if let Value::String(n) = item {
                    site.push(n.clone());
                }
            }
        }
        GppConfig::parse(&Categories::with_site(&site)?, &parse(config)?)
    };
    let config = match read() {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    let answer = match &config {
        GppConfig::Cmp { .. } => String::from("{\"cmp\":true}"),
        GppConfig::Reader { timeout, .. } => {
            let mut out = String::from("{\"timeout\":");
            push_uint(&mut out, (*timeout).into());
            out.push('}');
            out
        }
    };
    if let Ok(mut slot) = PAGE.0.try_borrow_mut() {
        *slot = Some(config);
    }
    answer
}

/// The GPP string of the choice: the permissions in force (1 approved, in
/// category order) and Global Privacy Control.
#[wasm_bindgen]
pub fn encode(permissions: &[u8], gpc: bool) -> String {
    let permissions: Vec<bool> = permissions.iter().map(|p| *p == 1).collect();
    with_page(|page| match page {
        Some(config @ GppConfig::Cmp { sections, mspa, .. }) => {
            rules::encode(sections, config.states(&permissions).unwrap_or_default(), *mspa, gpc)
        }
        _ => String::new(),
    })
}

/// The sections that apply in `region` ("" when unknown), as a JSON array.
#[wasm_bindgen]
pub fn applicable(region: &str) -> String {
    let region = Some(region).filter(|r| !r.is_empty());
    let mut out = String::from("[");
    let ids = with_page(|page| match page {
        Some(GppConfig::Cmp { sections, .. }) => rules::applicable(sections, region),
        _ => rules::applicable(&[], region),
    });
    for (i, id) in ids.iter().enumerate() {
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
    let applicable: Vec<i64> = applicable.iter().map(|a| i64::from(*a)).collect();
    let verdict = with_page(|page| {
        let rules = match page {
            Some(GppConfig::Reader { rules, .. }) => rules.as_slice(),
            _ => &[],
        };
        match rules::choices(rules, gpp, &applicable) {
            Ok(None) => None,
            Ok(Some(list)) => Some((list, None)),
            Err(e) => Some((rules.iter().map(|(c, _)| (*c, false)).collect(), Some(e))),
        }
    });
    let Some((list, warning)) = verdict else {
        return String::from("{}");
    };
    let mut out = String::from("{");
    push_choices(&mut out, &list);
    if let Some(w) = warning {
        out.push_str(",\"warning\":\"the CMP's GPP string could not be read (");
        out.push_str(w);
        out.push_str("); its categories are denied\"");
    }
    out.push('}');
    out
}
