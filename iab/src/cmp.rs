//! `decodeTCString`, and the CMP listener: with `isIabContext`, listen
//! through `__tcfapi('addEventListener', 2, ...)`, or by postMessage
//! through the `__tcfapiLocator` frame when the CMP lives in another frame;
//! apply the rules at `tcloaded` and `useractioncomplete`; stop waiting
//! after the configured timeout, keeping the pre-opt-in defaults. Also the
//! `iabPlugin` Adobe's ID service calls through `execute`.

use crate::tcf::rules::{Rules, TcfConfig};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use consentry::consent::Categories;
use consentry_web::convert::{self, object};
use consentry_web::{report, warn};
use core::cell::RefCell;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The memoized key Adobe keeps the TC string's hash under.
const HASH_KEY: &str = "iabConsentHash";
const CALL_ID: &str = "consentry-tcf";

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `decodeTCString(tcString)`: the decoded TC string as a plain object,
/// for integrators debugging a CMP.
#[wasm_bindgen(js_name = decodeTCString)]
pub fn decode_tc_string(tc_string: JsValue) -> Result<JsValue, JsValue> {
    let text = tc_string.as_string().unwrap_or_default();
    match crate::tcf::decode(&text) {
        Ok(tc) => js_sys::JSON::parse(&tc.to_json()),
        Err(e) => {
            let mut what = String::from("a TC string (");
            match tc_string.is_string() {
                true => what.push_str(&e.message()),
                false => what.push_str("not a string"),
            }
            what.push(')');
            Err(convert::expected("decodeTCString", &["tcString is"], &tc_string, &what))
        }
    }
}

/// FNV-1a, as hex: enough to notice a changed TC string.
fn hash(s: &str) -> String {
    let h = s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut out = String::new();
    for b in h.to_be_bytes() {
        consentry::json::push_hex(&mut out, b, false);
    }
    out
}

/// The window holding the `__tcfapiLocator` frame, searching up from this one.
fn locator(window: &JsValue) -> Option<JsValue> {
    let mut w = window.clone();
    for _ in 0..16 {
        if !get(&get(&w, "frames"), "__tcfapiLocator").is_undefined() {
            return Some(w);
        }
        let parent = get(&w, "parent");
        if parent.is_undefined() || js_sys::Object::is(&parent, &w) {
            return None;
        }
        w = parent;
    }
    None
}

/// What the CMP said last, and the `iabPlugin` calls waiting for it.
#[derive(Default)]
struct State {
    /// TC data arrived, or the wait timed out.
    settled: bool,
    /// `(gdprApplies, tcString, changed since the stored hash)`.
    data: Option<(Option<bool>, String, bool)>,
    /// `iabPlugin` calls waiting for the data: (command, options).
    waiting: Vec<(String, JsValue)>,
}

struct Inner {
    config: TcfConfig,
    categories: Categories,
    /// The public `consentry` object: `isApproved`, `memoizeContent`, ...
    api: JsValue,
    /// The gate's `applyCmp({category: boolean})`.
    apply: js_sys::Function,
    state: RefCell<State>,
}

/// The CMP listener of one page.
#[wasm_bindgen]
pub struct Cmp(Rc<Inner>);

#[wasm_bindgen]
impl Cmp {
    /// `tcf`: the config's `tcf` value; `categories`: the page's category
    /// names in order; `api`: the public object; `apply`: the gate's
    /// `applyCmp`. Throws on a bad `tcf` value.
    #[wasm_bindgen(constructor)]
    pub fn new(tcf: JsValue, categories: JsValue, api: JsValue, apply: js_sys::Function) -> Result<Cmp, JsValue> {
        let names = convert::categories("init", &categories)?;
        let categories = Categories::with_site(names.get(consentry::consent::ADOBE.len()..).unwrap_or_default())
            .map_err(|e| convert::error("init", &e))?;
        let tcf = convert::to_value(&tcf)
            .ok()
            .flatten()
            .ok_or_else(|| convert::expected("init", &["config.tcf is"], &tcf, "an object of JSON values"))?;
        let config = TcfConfig::parse(&categories, &tcf).map_err(|e| convert::error("init", &e))?;
        Ok(Cmp(Rc::new(Inner {
            config,
            categories,
            api,
            apply,
            state: RefCell::default(),
        })))
    }

    /// Starts listening to the CMP.
    pub fn listen(&self) {
        let window = js_sys::global();
        let inner = Rc::downgrade(&self.0);
        let on_data = move |data: &JsValue| {
            if let Some(inner) = inner.upgrade() {
                inner.on_tc_data(data);
            }
        };
        let api = get(&window, "__tcfapi");
        if let Some(api) = api.dyn_ref::<js_sys::Function>() {
            let callback = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |data, ok: JsValue| {
                if ok.as_bool() == Some(true) {
                    on_data(&data);
                }
            });
            let args = js_sys::Array::of3(&"addEventListener".into(), &2.into(), callback.as_ref());
            if let Err(e) = api.apply(&window, &args) {
                report("consentry: __tcfapi threw", &e);
            }
            callback.forget();
        } else if let Some(frame) = locator(&window) {
            let on_message = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |event, _| {
                let mut data = get(&event, "data");
                if let Some(text) = data.as_string() {
                    data = js_sys::JSON::parse(&text).unwrap_or(JsValue::UNDEFINED);
                }
                let ret = get(&data, "__tcfapiReturn");
                let ours = get(&ret, "callId").as_string().as_deref() == Some(CALL_ID);
                if ours && get(&ret, "success").as_bool() == Some(true) {
                    on_data(&get(&ret, "returnValue"));
                }
            });
            let target: &web_sys::EventTarget = window.unchecked_ref();
            let _ = target.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
            on_message.forget();
            let call = object([
                ("command", JsValue::from_str("addEventListener")),
                ("version", 2.into()),
                ("callId", JsValue::from_str(CALL_ID)),
            ]);
            let message = object([("__tcfapiCall", call.into())]);
            let _ = frame.unchecked_ref::<web_sys::Window>().post_message(&message, "*");
        }
        let inner = Rc::downgrade(&self.0);
        let on_timeout = Closure::once_into_js(move || {
            let Some(inner) = inner.upgrade() else { return };
            let late = inner
                .state
                .try_borrow_mut()
                .is_ok_and(|mut s| !core::mem::replace(&mut s.settled, true));
            if late {
                warn("no TC data from a CMP in time (config.tcf.timeout); the pre-opt-in defaults stay");
                inner.run_waiting();
            }
        });
        if let Some(w) = web_sys::window() {
            let ms = i32::try_from(self.0.config.timeout).unwrap_or(i32::MAX);
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(on_timeout.unchecked_ref(), ms);
        }
    }

    /// `iabPlugin.fetchConsentData({callback})`: `callback(null, {gdprApplies,
    /// consentString, hasConsentChangedSinceLastCmpPull})` once the CMP has
    /// answered; `callback(error)` when it did not in time.
    #[wasm_bindgen(js_name = fetchConsentData)]
    pub fn fetch_consent_data(&self, options: JsValue) -> Result<(), JsValue> {
        self.0.plugin("fetchConsentData", options)
    }

    /// `iabPlugin.isApproved({category, callback})`: `callback(null, boolean)`
    /// once the CMP has answered or the wait has timed out.
    #[wasm_bindgen(js_name = isApproved)]
    pub fn is_approved(&self, options: JsValue) -> Result<(), JsValue> {
        self.0.plugin("isApproved", options)
    }
}

impl Inner {
    /// TC data from the CMP: applies the rules at `tcloaded` and
    /// `useractioncomplete`. With `gdprApplies: false` TCF restricts
    /// nothing, and changes nothing.
    fn on_tc_data(self: &Rc<Self>, data: &JsValue) {
        let status = get(data, "eventStatus").as_string().unwrap_or_default();
        if status != "tcloaded" && status != "useractioncomplete" {
            return;
        }
        let gdpr = get(data, "gdprApplies").as_bool();
        let tc_string = get(data, "tcString").as_string().unwrap_or_default();
        let h = hash(&tc_string);
        let memoized = self.call("getMemoizedContent", &JsValue::from_str(HASH_KEY));
        let changed = memoized.as_string().as_deref() != Some(h.as_str());
        if let Ok(mut s) = self.state.try_borrow_mut() {
            s.settled = true;
            s.data = Some((gdpr, tc_string.clone(), changed));
        }
        if gdpr != Some(false) {
            let choices = match crate::tcf::decode(&tc_string) {
                Ok(tc) => self.config.permissions(&tc),
                Err(e) => {
                    let mut m = String::from("the CMP's TC string could not be read (");
                    m.push_str(&e.message());
                    m.push_str("); its categories are denied");
                    warn(&m);
                    self.config.deny_all()
                }
            };
            let names = self.categories.names();
            let map = object(
                choices
                    .iter()
                    .filter_map(|(i, v)| Some((names.get(*i)?.as_str(), JsValue::from_bool(*v)))),
            );
            if changed {
                self.call("memoizeContent", &object([(HASH_KEY, JsValue::from_str(&h))]).into());
            }
            if let Err(e) = self.apply.call1(&JsValue::UNDEFINED, &map) {
                report("consentry: the CMP's choice could not be applied", &e);
            }
        }
        self.run_waiting();
    }

    /// Calls `api[method](arg)`, reporting what it throws.
    fn call(&self, method: &str, arg: &JsValue) -> JsValue {
        let f = get(&self.api, method);
        match f.dyn_ref::<js_sys::Function>().map(|f| f.call1(&self.api, arg)) {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                report("consentry: iabPlugin", &e);
                JsValue::UNDEFINED
            }
            None => JsValue::UNDEFINED,
        }
    }

    fn run_waiting(self: &Rc<Self>) {
        let waiting = self
            .state
            .try_borrow_mut()
            .map(|mut s| core::mem::take(&mut s.waiting))
            .unwrap_or_default();
        for (method, options) in waiting {
            if let Err(e) = self.plugin(&method, options) {
                report("consentry: iabPlugin", &e);
            }
        }
    }

    fn plugin(&self, method: &str, options: JsValue) -> Result<(), JsValue> {
        const CALL: &str = "execute";
        let callback = convert::function(CALL, "options.callback", &get(&options, "callback"))?;
        let data = {
            let mut s = self
                .state
                .try_borrow_mut()
                .map_err(|_| convert::error(CALL, "called while busy"))?;
            if !s.settled {
                s.waiting.push((method.into(), options));
                return Ok(());
            }
            s.data.clone()
        };
        let (error, answer) = match (data, method) {
            (None, _) => (
                convert::error("iabPlugin", "no TC data from a CMP in time"),
                JsValue::UNDEFINED,
            ),
            (Some((gdpr, tc_string, changed)), "fetchConsentData") => (
                JsValue::NULL,
                object([
                    ("gdprApplies", gdpr.map_or(JsValue::UNDEFINED, JsValue::from_bool)),
                    ("consentString", JsValue::from_str(&tc_string)),
                    ("hasConsentChangedSinceLastCmpPull", JsValue::from_bool(changed)),
                ])
                .into(),
            ),
            (Some(_), _) => {
                let category = get(&get(&options, "params"), "category");
                convert::categories(CALL, &category)?;
                (JsValue::NULL, self.call("isApproved", &category))
            }
        };
        callback.call2(&JsValue::UNDEFINED, &error, &answer).map(|_| ())
    }
}
