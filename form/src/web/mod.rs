//! Touching JS: [`convert`] (JS values in, `Error`s out) and console
//! reporting.

use alloc::string::String;
pub mod convert;
use wasm_bindgen::prelude::*;

// The page may have replaced `console` with something that throws; a
// report must never abort the call that makes it.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn, catch)]
    fn console_warn(message: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = console, js_name = error, catch)]
    fn console_error(message: &str, detail: &JsValue) -> Result<(), JsValue>;
}

/// Reports a problem on the console, prefixed `consentry: `.
pub fn warn(message: &str) {
    let mut m = String::from("consentry: ");
    m.push_str(message);
    let _ = console_warn(&m);
}

/// Reports an exception thrown by the page's code (a listener, a tag).
pub fn report(message: &str, detail: &JsValue) {
    let _ = console_error(message, detail);
}

/// 32 random hex digits, from `crypto.getRandomValues` when available.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    if crypto
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_none()
    {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    let mut id = String::with_capacity(32);
    for b in bytes {
        consentry::json::push_hex(&mut id, b, false);
    }
    id
}
