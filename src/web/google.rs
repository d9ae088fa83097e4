//! Google Consent Mode v2. The inline snippet issues
//! `gtag('consent', 'default', ...)` before any Google tag can read it (see
//! `js/stub.js`); here, at start and at every commit,
//! `gtag('consent', 'update', ...)` says what is granted now.

use super::convert::object;
use super::{report, warn};
use crate::consent::Integrations;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Sends the consent types' state to `window.gtag`.
pub fn update(integrations: &Integrations, permissions: &[bool]) {
    if integrations.consent_mode.is_empty() {
        return;
    }
    let state = integrations.consent_state(permissions);
    let values = state
        .iter()
        .map(|(t, granted)| (*t, JsValue::from_str(if *granted { "granted" } else { "denied" })));
    let gtag = js_sys::Reflect::get(&js_sys::global(), &"gtag".into()).unwrap_or(JsValue::UNDEFINED);
    let Some(gtag) = gtag.dyn_ref::<js_sys::Function>() else {
        warn("consentMode is configured but window.gtag is missing; Google's tags get no update");
        return;
    };
    let args = js_sys::Array::of3(&"consent".into(), &"update".into(), &object(values));
    if let Err(e) = gtag.apply(&JsValue::UNDEFINED, &args) {
        report("consentry: gtag('consent', 'update') threw", &e);
    }
}
