//! The readers every part of the configuration shares: the errors that
//! name a key, its value and what was expected, an object's members, and
//! the strict booleans of permission maps. Their own module, so that the
//! configuration and its integrations, GPP, TCF and `ui` parts each
//! depend on it rather than on one another.

use crate::json::{self, Value};
use alloc::string::String;
use alloc::vec::Vec;

/// What a refusal of the configuration says in a build without the
/// `messages` feature (the gate's plain build): the shell then has the
/// full build, which has the same rules, say it in full (js/facade.js).
pub const UNEXPLAINED: &str = "unexplained";

/// The message `f` makes, in a build with `messages`; else
/// [`UNEXPLAINED`], and `f` compiles away.
#[inline(always)]
pub fn explained(f: impl FnOnce() -> String) -> String {
    #[cfg(feature = "messages")]
    return f();
    #[cfg(not(feature = "messages"))]
    {
        let _ = f;
        String::from(UNEXPLAINED)
    }
}

/// `unknown <object> key "<key>"; did you mean "<a known one>"?`, or
/// `; expected a key of docs/api.md` when none is near.
pub fn unknown_key(object: &str, key: &str, known: &[&str]) -> String {
    explained(|| {
        let mut m = String::from("unknown ");
        m.push_str(object);
        m.push_str(" key ");
        json::write_string(key, &mut m);
        if let Some(near) = crate::nearest(key, known) {
            m.push_str("; did you mean ");
            json::write_string(near, &mut m);
            m.push('?');
        } else {
            m.push_str("; expected a key of docs/api.md");
        }
        m
    })
}

/// The refusal of a key the gate's plain build does not read: `ui`,
/// `cookies`, `consentMode`, `uet`, `tcf`, `gpp` (`FULL_KEYS` of
/// js/facade.js). The entries and the snippet load the full build for a
/// configuration with one, so this answers only a page that hands the
/// plain build's URL to `init` itself.
pub fn needs_full_build(key: &str) -> String {
    let mut m = String::from("config.");
    m.push_str(key);
    m.push_str(" needs the gate's full build, consentry-full_bg.wasm (the snippet and the entries load it for a configuration with ");
    m.push_str(key);
    m.push(')');
    m
}

/// `config.<key> is <shown value>; expected <what>`.
pub fn bad_value(key: &str, v: &Value, expected: &str) -> String {
    bad_member("config", key, v, expected)
}

/// `<object>.<key> is <shown value>; expected <what>`; a long value is
/// shown by its kind. Inlined without `messages`, so that each caller's
/// texts compile away with the message.
#[cfg_attr(not(feature = "messages"), inline(always))]
pub fn bad_member(object: &str, key: &str, v: &Value, expected: &str) -> String {
    explained(|| {
        let mut m = String::from(object);
        m.push('.');
        m.push_str(key);
        m.push_str(" is ");
        let shown = v.to_json();
        if shown.len() > 80 {
            m.push_str(v.kind());
        } else {
            m.push_str(&shown);
        }
        m.push_str("; expected ");
        m.push_str(expected);
        m
    })
}

/// The members of an object; `null` or absent is empty.
pub fn members<'a>(key: &str, v: Option<&'a Value>) -> Result<&'a [(String, Value)], String> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(bad_value(key, other, "an object")),
    }
}

/// `outer.inner`, for error messages.
pub fn path(outer: &str, inner: &str) -> String {
    let mut p = String::from(outer);
    p.push('.');
    p.push_str(inner);
    p
}

/// `true` approves; `false` denies; anything else denies and is reported
/// (Adobe approves `"yes"`; Consentry does not).
pub fn strict_bool(source: &str, name: &str, v: &Value, warnings: &mut Vec<String>) -> bool {
    match v {
        Value::Bool(b) => *b,
        other => {
            let mut w = String::from(source);
            w.push_str(": ");
            json::write_string(name, &mut w);
            w.push_str(" is ");
            w.push_str(&other.to_json());
            w.push_str(", not a boolean; treated as denied");
            warnings.push(w);
            false
        }
    }
}
