//! The readers every form's options share: strings, flags, the endpoint
//! (no secret may reach the browser), countries, language, texts, the
//! form id and the signed external id. Their own module, so that each
//! form's options depend on it rather than on one another.

use super::phone::{country, COUNTRIES};
use super::texts::{self, Locale};
#[allow(unused_imports)]
use crate::prelude::*;
use consentry::consent::{bad_member, explained};
use consentry::json::Value;

/// Option keys that are JS callbacks, kept by the web layer.
pub const CALLBACKS: [&str; 5] = ["onSubmit", "onPending", "onSuccess", "onError", "onClose"];

/// `externalIdToken`: what the site's backend signed for `externalId`
/// (the relay takes an external id from a page only with it); only beside
/// an `externalId`.
pub fn id_token(v: &Value, external_id: &Option<String>) -> Result<Option<String>, String> {
    match v.get("externalIdToken") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) if !t.is_empty() && external_id.is_some() => Ok(Some(t.clone())),
        Some(other) => Err(bad_member(
            "options",
            "externalIdToken",
            other,
            "the token your backend signed for options.externalId (given with it)",
        )),
    }
}

const SECRET_WORDS: [&str; 6] = ["apikey", "api_key", "api-key", "authorization", "bearer", "secret"];

fn secret_refused(key: &str) -> String {
    explained(|| {
        let mut m = String::from("options.");
        m.push_str(key);
        m.push_str(" carries an API key or credentials; no secret may reach the browser: post to your own endpoint and keep the key on the server");
        m
    })
}

/// `options.<key> is <shown value>; expected <what>`.
pub(crate) fn bad(key: &str, v: &Value, expected: &str) -> String {
    bad_member("options", key, v, expected)
}

pub(crate) fn string(v: &Value, key: &str, expected: &str) -> Result<String, String> {
    match v.get(key) {
        Some(Value::String(s)) if !super::trimmed(s).is_empty() => Ok(s.clone()),
        Some(other) => Err(bad(key, other, expected)),
        None => Err(explained(|| {
            let mut m = String::from("options.");
            m.push_str(key);
            m.push_str(" is required; expected ");
            m.push_str(expected);
            m
        })),
    }
}

/// `path` under `endpoint` (a trailing `/` of the endpoint is dropped).
pub(crate) fn at(endpoint: &str, path: &str) -> String {
    // (Byte by byte: `trim_end_matches` decodes UTF-8 backwards.)
    let slashes = endpoint.bytes().rev().take_while(|b| *b == b'/').count();
    let mut url = endpoint.get(..endpoint.len() - slashes).unwrap_or_default().to_string();
    url.push_str(path);
    url
}

/// Refuses what is not an object of `keys` and `callbacks`, and any option
/// that carries a secret.
pub(crate) fn only(v: &Value, keys: &[&str], callbacks: &[&str]) -> Result<(), String> {
    let Value::Object(members) = v else {
        return Err(explained(|| {
            let mut m = String::from("options are ");
            m.push_str(&v.to_json());
            m.push_str("; expected an object");
            m
        }));
    };
    for (key, _) in members {
        if key == "headers" || carries_secret(key) {
            return Err(secret_refused(key));
        }
        if !keys.contains(&key.as_str()) && !callbacks.contains(&key.as_str()) {
            return Err(explained(|| {
                let mut m = String::from("options.");
                m.push_str(key);
                m.push_str(" is not an option; expected one of ");
                super::list(&mut m, keys.iter().copied());
                m
            }));
        }
    }
    Ok(())
}

fn carries_secret(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| super::has(&lower, w))
}

/// `endpoint`: a URL without credentials, query or fragment.
pub(crate) fn endpoint(v: &Value, expected: &str) -> Result<String, String> {
    let endpoint = string(v, "endpoint", expected)?;
    if carries_secret(&endpoint) || endpoint.contains(['@', '?', '#']) {
        return Err(secret_refused("endpoint"));
    }
    Ok(endpoint)
}

/// `countries` (default: every country the form knows) and
/// `defaultCountry` (default: the first of them).
pub(crate) fn countries(v: &Value) -> Result<(Vec<&'static str>, &'static str), String> {
    let countries: Vec<&'static str> = match v.get("countries") {
        None => COUNTRIES.iter().map(|c| c.iso).collect(),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::String(s) => country(s)
                    .map(|c| c.iso)
                    .ok_or_else(|| unknown_country("countries", item)),
                other => Err(unknown_country("countries", other)),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(bad("countries", other, "a non-empty array of ISO codes")),
    };
    let default_country = match v.get("defaultCountry") {
        None => countries.first().copied().unwrap_or("US"),
        Some(Value::String(s)) => countries
            .iter()
            .copied()
            .find(|c| c.eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                // It may be a real country the form does not offer.
                explained(|| {
                    let mut m = String::from("options.defaultCountry is ");
                    m.push_str(&Value::String(s.clone()).to_json());
                    m.push_str("; expected one of the form's countries (options.countries): ");
                    super::list(&mut m, countries.iter().copied());
                    m
                })
            })?,
        Some(other) => return Err(unknown_country("defaultCountry", other)),
    };
    Ok((countries, default_country))
}

/// `locale`: `en` (default), `ko` or `ja`.
pub(crate) fn locale(v: &Value) -> Result<Locale, String> {
    match v.get("locale") {
        None => Ok(Locale::En),
        Some(value) => match value {
            Value::String(s) => Locale::parse(s),
            _ => None,
        }
        .ok_or_else(|| bad("locale", value, "\"en\", \"ko\" or \"ja\"")),
    }
}

/// A true-or-false option, true when absent.
pub(crate) fn flag(v: &Value, key: &str) -> Result<bool, String> {
    match v.get(key) {
        None => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad(key, other, "true or false")),
    }
}

/// `texts`: the site's overrides of the built-in texts of the form's
/// `groups`, by key (the language's built-in ones come later, from the
/// shell).
pub(crate) fn texts_of(v: &Value, groups: &'static [texts::Group]) -> Result<texts::Texts, String> {
    let mut t = texts::Texts {
        groups,
        ..texts::Texts::default()
    };
    match v.get("texts") {
        None => {}
        Some(Value::Object(members)) => {
            for (k, text) in members {
                match text {
                    Value::String(s) if t.keys().any(|key| key == k) => t.overrides.push((k.clone(), s.clone())),
                    _ => {
                        return Err(explained(|| {
                            let mut expected = String::from("a string for one of ");
                            super::list(&mut expected, t.keys());
                            bad_member("options.texts", k, text, &expected)
                        }))
                    }
                }
            }
        }
        Some(other) => return Err(bad("texts", other, "an object of strings")),
    }
    Ok(t)
}

/// `formId`, `default` when absent.
pub(crate) fn form_id(v: &Value, default: &str) -> Result<String, String> {
    match v.get("formId") {
        None => Ok(default.to_string()),
        Some(_) => string(v, "formId", "a non-empty string"),
    }
}

fn unknown_country(key: &str, v: &Value) -> String {
    explained(|| {
        let mut m = String::from("options.");
        m.push_str(key);
        m.push_str(" is ");
        m.push_str(&v.to_json());
        m.push_str("; expected an ISO code of ");
        super::list(&mut m, COUNTRIES.iter().map(|c| c.iso));
        m
    })
}
