//! Turning JS arguments into core values, and core messages into JS errors.

use alloc::{string::String, vec::Vec};
use consentry::json::{self, Value};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, which throws for a revoked proxy.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    pub fn try_is_array(v: &JsValue) -> Result<bool, JsValue>;
}

/// A JS `Error` whose message starts with the call's name:
/// `consentry.approve: unknown category "foo" (known: ...)`.
pub fn error(call: &str, message: &str) -> JsValue {
    let mut m = String::from("consentry.");
    m.push_str(call);
    m.push_str(": ");
    m.push_str(message);
    js_sys::Error::new(&m).into()
}

/// The error for a wrong argument: `consentry.<call>: <subject> <value>;
/// expected <what>`, where the `subject` parts name it with its verb
/// (`&[name, " is"]`). Parts, not a joined string: `concat` costs the wasm
/// about 200 bytes.
pub fn expected(call: &str, subject: &[&str], v: &JsValue, what: &str) -> JsValue {
    let mut m = String::new();
    for part in subject {
        m.push_str(part);
    }
    if !m.is_empty() {
        m.push(' ');
    }
    m.push_str(&show(v));
    m.push_str("; expected ");
    m.push_str(what);
    error(call, &m)
}

/// A short rendering of any JS value for error messages.
pub fn show(v: &JsValue) -> String {
    if v.is_function() {
        return "a function".into();
    }
    if let Some(n) = v.as_f64().filter(|n| !n.is_finite()) {
        return if n.is_nan() {
            "NaN"
        } else if n > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .into();
    }
    if let Some(s) = v.as_string() {
        let mut out = String::new();
        json::write_string(&s, &mut out);
        return out;
    }
    if v.is_undefined() {
        return "undefined".into();
    }
    // JSON.stringify may run the caller's code (toJSON, getters, proxies) and
    // throw; `typeof` never does.
    let text: String = js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .or_else(|| v.js_typeof().as_string())
        .unwrap_or_default();
    if text.len() > 80 {
        let mut cut: String = text.chars().take(77).collect();
        cut.push_str("...");
        cut
    } else {
        text
    }
}

/// Converts a JSON-compatible JS value. `None` for `undefined`; an error
/// text for values JSON cannot hold (functions, cycles, NaN).
pub fn to_value(v: &JsValue) -> Result<Option<Value>, String> {
    if v.is_undefined() {
        return Ok(None);
    }
    if v.is_function() || v.as_f64().is_some_and(|n| !n.is_finite()) {
        return Err(show(v));
    }
    let text = js_sys::JSON::stringify(v).map_err(|_| String::from("a value that cannot be serialised (a cycle?)"))?;
    match text.as_string() {
        Some(t) => json::parse(&t).map(Some),
        None => Err(show(v)),
    }
}

/// A plain JS object from `(key, value)` pairs.
pub fn object<'a>(pairs: impl IntoIterator<Item = (&'a str, JsValue)>) -> js_sys::Object {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
    }
    o
}

/// Back to JS through the browser's own JSON parser.
pub fn from_value(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_json()).unwrap_or(JsValue::UNDEFINED)
}

/// Reads a plain object's own members into a core object; `undefined` and
/// `null` give `Value::Null`. `take` sees each member first: it may replace
/// the value (a config function's result) or keep it for itself (a
/// callback) by returning `None`. Errors name `call` and `name`.
pub fn object_value(
    call: &str,
    name: &str,
    v: &JsValue,
    mut take: impl FnMut(&str, JsValue) -> Option<JsValue>,
) -> Result<Value, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    if !v.is_object() || try_is_array(v).unwrap_or(true) || v.is_function() {
        return Err(expected(call, &[name, " is"], v, "an object"));
    }
    let keys = js_sys::Reflect::own_keys(v).map_err(|_| {
        let mut m = String::from("the keys of ");
        m.push_str(name);
        m.push_str(" could not be read; expected a plain object");
        error(call, &m)
    })?;
    let mut members = Vec::new();
    for key in keys.iter() {
        let Some(key) = key.as_string() else { continue };
        let member = js_sys::Reflect::get(v, &key.as_str().into()).unwrap_or(JsValue::UNDEFINED);
        let Some(member) = take(&key, member) else { continue };
        match to_value(&member) {
            Ok(Some(value)) => members.push((key, value)),
            Ok(None) => {}
            Err(shown) => {
                let mut m = String::from(name);
                m.push('.');
                m.push_str(&key);
                m.push_str(" is ");
                m.push_str(&shown);
                m.push_str("; expected a JSON value");
                return Err(error(call, &m));
            }
        }
    }
    Ok(Value::Object(members))
}
