//! The inline snippet's stub against the core, in headless Chromium. The
//! API itself (the JS shell over the gate's wasm) is tested end to end in
//! `tests/e2e/api.test.mjs`; the gate's protocol natively in `gate/tests`.
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn js(body: &str) -> JsValue {
    Function::new_no_args(body).call0(&JsValue::UNDEFINED).unwrap()
}

fn config(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &key.into()).unwrap()
}

#[wasm_bindgen(module = "/js/stub.js")]
extern "C" {
    /// The inline snippet's stub, as js/stub.js exports it.
    fn stub(window: &JsValue, base: &JsValue, config: &JsValue) -> JsValue;
}

/// The snippet sends Consent Mode's default before the wasm can check the
/// configuration, by a rule of its own. Differential over generated
/// `consentMode` values, valid and not (typos, `1`, `"true"`, `null`):
/// where the core accepts the configuration, the snippet's default is the
/// core's state with every category denied, type for type; where the core
/// refuses it, the snippet grants only the types the site set to `true`.
#[wasm_bindgen_test]
fn the_snippets_consent_mode_default_agrees_with_the_core() {
    // The bundles define GCM (and STUB) at build time; the raw module reads
    // a global.
    js("globalThis.GCM = globalThis.GPP = globalThis.STUB = true; globalThis.EARLY = globalThis.SNIPPET = false");
    // The real types, and two slips.
    let types: Vec<&str> = consentry::consent::CONSENT_TYPES
        .iter()
        .copied()
        .chain(["ad_storge", "x_y"])
        .collect();
    let values = [
        "true",
        "1",
        "\"true\"",
        "[]",
        "[\"aa\"]",
        "[\"aa\",\"nope\"]",
        "null",
        "false",
        "{}",
        "\"granted\"",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..2000 {
        let members: Vec<(usize, usize)> = (0..1 + next(3))
            .map(|_| (next(types.len()), next(values.len())))
            .collect();
        let body: Vec<String> = members
            .iter()
            .map(|(t, v)| format!("\"{}\":{}", types[*t], values[*v]))
            .collect();
        let text = format!("{{\"doesOptInApply\":true,\"consentMode\":{{{}}}}}", body.join(","));
        let window = js("return {}");
        stub(&window, &JsValue::UNDEFINED, &config(&text));
        let default = get(&Array::from(&get(&get(&window, "dataLayer"), "0")).into(), "2");
        let granted = |key: &str| get(&default, key).as_string().as_deref() == Some("granted");
        match consentry::consent::Config::parse(&consentry::json::parse(&text).unwrap(), &mut Vec::new()) {
            Ok(core) => {
                accepted += 1;
                let state = core.integrations.consent_state(&vec![false; core.categories.len()]);
                let snippet: Vec<(String, bool)> = state.iter().map(|(t, _)| (t.to_string(), granted(t))).collect();
                let core: Vec<(String, bool)> = state.iter().map(|(t, g)| (t.to_string(), *g)).collect();
                assert_eq!(snippet, core, "{text}");
            }
            Err(_) => {
                refused += 1;
                // The last value of a key wins, in JSON as in the snippet.
                for (t, _) in &members {
                    let last = members.iter().rev().find(|(k, _)| k == t).map(|(_, v)| values[*v]);
                    assert!(
                        !granted(types[*t]) || last == Some("true"),
                        "{text}: {} granted",
                        types[*t]
                    );
                }
            }
        }
    }
    assert!(
        accepted > 100 && refused > 100,
        "{accepted} accepted, {refused} refused"
    );
}
