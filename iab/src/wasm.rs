//! The TCF modules' wasm surface: two string functions. The CMP listener
//! (`__tcfapi`, the `__tcfapiLocator` frame, the timeout, `iabPlugin`) is
//! the JS shell's (`js/tcf.js`); what a TC string says is decided here.
//! The `cmp` feature exports the listener's (consentry-iab), `decode`
//! the public decoder (consentry-tcstring): a TCF page does not download
//! the decoder's JSON writer.

/// The public decoder (the `decode` feature).
#[cfg(feature = "decode")]
mod decode {
    use alloc::string::String;
    use consentry::json::error;
    use wasm_bindgen::prelude::*;

    /// `decodeTCString`: the decoded TC string as JSON, or `{"error": why}`.
    #[wasm_bindgen(js_name = decodeTCString)]
    pub fn decode_tc_string(tc_string: &str) -> String {
        match crate::tcf::decode(tc_string) {
            Ok(tc) => tc.to_json(),
            Err(e) => error(&e.message()),
        }
    }
}

/// The CMP listener's functions (the `cmp` feature).
#[cfg(feature = "cmp")]
mod cmp {
    use crate::tcf::rules::{Rules, TcfConfig};
    use alloc::string::String;
    use alloc::vec::Vec;
    use consentry::consent::Rule;
    use consentry::json::{push_choices, push_hex, write_string};
    use wasm_bindgen::prelude::*;

    /// The page's TCF rules as the gate gives them (validated at `init`),
    /// flat and comma-separated: the timeout, then per rule its category
    /// index and its purposes, vendors and special features, each as its
    /// length and its ids. Read on every call: a page has a few rules, and
    /// the module keeps no state.
    fn rules(flat: &str) -> TcfConfig {
        let mut it = consentry::split(flat, b',').map(|n| {
            n.bytes().fold(0u64, |a, d| {
                a.wrapping_mul(10).wrapping_add(u64::from(d.wrapping_sub(b'0')))
            })
        });
        let mut config = TcfConfig {
            timeout: it.next().unwrap_or_default() as u32,
            rules: Vec::new(),
        };
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
        config
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

    /// What a CMP's TC string means for the page's categories under its
    /// rules (see [`rules`]):
    /// `{"choices": [[category index, boolean], ...], "hash": "...",
    /// "warning"?: "..."}`; a string that cannot be read denies every ruled
    /// category.
    #[wasm_bindgen(js_name = tcData)]
    pub fn tc_data(tc_string: &str, flat_rules: &str) -> String {
        let config = rules(flat_rules);
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
}
