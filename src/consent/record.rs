//! The stored record: Adobe's `adobeujs-optin` value plus Consentry's fields.
//!
//! ```text
//! {"aam":false,...,"mediaaa":false,            <- the choice (category keys)
//!  "iabConsentHash":"...",                     <- memoized content, kept as is
//!  "consentry":{"v":1,"rev":2,"time":1.7e12,"id":"...","gpc":true}}   <- Consentry's fields;
//!                                              "gpc" only when the browser sent GPC
//! ```
//!
//! Decoding fails closed: a value that does not parse, a future format, a
//! malformed `consentry` field or an older revision yields no choice, and
//! only the boolean `true` approves.

use super::categories::{Categories, RESERVED};
use super::config::{strict_bool, PermissionMap};
use crate::json::{self, Value};
use alloc::{string::String, vec, vec::Vec};

/// The cookie (and storage key) Adobe's library uses.
pub const STORAGE_KEY: &str = "adobeujs-optin";

/// The record format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Proof-of-consent details of the last choice.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceMeta {
    /// The configuration revision the choice was made under.
    pub revision: u32,
    /// When the choice was committed, ms since the epoch.
    pub time: f64,
    /// A random id that stays with the visitor's choices.
    pub id: String,
    /// Whether the browser sent Global Privacy Control when it was made.
    pub gpc: bool,
}

/// A decoded or to-be-encoded record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// The visitor's choice; `None` when the record holds no category key.
    pub choice: Option<PermissionMap>,
    /// Memoized content: every key that is not a category.
    pub memo: Vec<(String, Value)>,
    /// Consentry's fields; `None` for a record Adobe's library wrote.
    pub meta: Option<ChoiceMeta>,
}

impl Record {
    /// JSON text of the record. Category keys are written only for a
    /// choice, and only for the categories it decides, so a record read and
    /// written again means the same.
    pub fn encode(&self, cats: &Categories) -> String {
        Record::encode_parts(cats, self.choice.as_deref(), &self.memo, self.meta.as_ref())
    }

    /// [`Record::encode`] from borrowed parts.
    pub fn encode_parts(
        cats: &Categories,
        choice: Option<&[Option<bool>]>,
        memo: &[(String, Value)],
        meta: Option<&ChoiceMeta>,
    ) -> String {
        let mut out = String::from("{");
        let key = |out: &mut String, k: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            json::write_string(k, out);
            out.push(':');
        };
        for (name, v) in cats.names().iter().zip(choice.unwrap_or_default()) {
            if let Some(v) = v {
                key(&mut out, name);
                out.push_str(if *v { "true" } else { "false" });
            }
        }
        for (k, v) in memo {
            key(&mut out, k);
            v.write(&mut out);
        }
        if let Some(meta) = meta {
            key(&mut out, RESERVED);
            out.push_str("{\"v\":");
            json::push_uint(&mut out, FORMAT_VERSION.into());
            out.push_str(",\"rev\":");
            json::push_uint(&mut out, meta.revision.into());
            out.push_str(",\"time\":");
            json::push_uint(&mut out, meta.time.max(0.0) as u64);
            out.push_str(",\"id\":");
            json::write_string(&meta.id, &mut out);
            if meta.gpc {
                out.push_str(",\"gpc\":true");
            }
            out.push('}');
        }
        out.push('}');
        out
    }

    /// Decodes JSON text. `min_revision` is the configuration's revision;
    /// `expired_before` (ms since epoch) drops choices made earlier.
    /// Returns `None` for a value that must be ignored whole.
    pub fn decode(
        text: &str,
        cats: &Categories,
        min_revision: u32,
        expired_before: Option<f64>,
        warnings: &mut Vec<String>,
    ) -> Option<Record> {
        let ignore = |why: &str, warnings: &mut Vec<String>| {
            let mut w = String::from("stored consent ignored: ");
            w.push_str(why);
            warnings.push(w);
            None
        };
        let value = match json::parse(text) {
            Ok(v) => v,
            Err(e) => return ignore(&e, warnings),
        };
        let Value::Object(members) = value else {
            return ignore("not an object", warnings);
        };
        let mut record = Record::default();
        let mut choice = vec![None; cats.len()];
        let mut any_category = false;
        for (key, v) in members {
            if key == RESERVED {
                match decode_meta(&v) {
                    Ok(meta) => record.meta = Some(meta),
                    Err(why) => return ignore(why, warnings),
                }
            } else if let Some(slot) = cats.index(&key).and_then(|i| choice.get_mut(i)) {
                *slot = Some(strict_bool("stored consent", &key, &v, warnings));
                any_category = true;
            } else {
                record.memo.push((key, v));
            }
        }
        let revision = record.meta.as_ref().map_or(0, |m| m.revision);
        let time = record.meta.as_ref().map(|m| m.time);
        if !any_category {
            // Memoized keys alone are not a choice (Adobe counts them as one).
        } else if revision < min_revision {
            let mut w = String::from("stored choice of revision ");
            json::push_uint(&mut w, revision.into());
            w.push_str(" is older than revision ");
            json::push_uint(&mut w, min_revision.into());
            w.push_str("; asking again");
            warnings.push(w);
        } else if matches!((time, expired_before), (Some(t), Some(limit)) if t < limit) {
            // An expired localStorage choice: the cookie would be gone too.
        } else {
            record.choice = Some(choice);
        }
        Some(record)
    }
}

fn decode_meta(v: &Value) -> Result<ChoiceMeta, &'static str> {
    const MALFORMED: &str = "malformed consentry field";
    let version = v.get("v").and_then(Value::as_uint).ok_or(MALFORMED)?;
    if version > u64::from(FORMAT_VERSION) {
        return Err("written by a newer Consentry format");
    }
    if version != u64::from(FORMAT_VERSION) {
        return Err(MALFORMED);
    }
    let revision = v
        .get("rev")
        .and_then(Value::as_uint)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(MALFORMED)?;
    let time = v.get("time").and_then(Value::as_uint).ok_or(MALFORMED)? as f64;
    let id = match v.get("id") {
        Some(Value::String(s)) if s.len() <= 64 => s.clone(),
        _ => return Err(MALFORMED),
    };
    let gpc = v.get("gpc") == Some(&Value::Bool(true));
    Ok(ChoiceMeta {
        revision,
        time,
        id,
        gpc,
    })
}

/// The domains a cookie could be set on from `host`, top-most first:
/// `www.shop.example.com` gives `example.com`, `shop.example.com`,
/// `www.shop.example.com`. IP addresses and single-label hosts give none
/// (host-only cookies). The browser refuses public suffixes, so the caller
/// keeps the first that sticks.
pub fn domain_candidates(host: &str) -> Vec<String> {
    let is_ip = host.contains(':') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let mut out = Vec::new();
    if is_ip {
        return out;
    }
    // The suffix after each dot but the last (a top-level domain alone is
    // no candidate), then the host itself.
    let mut dots = Vec::new();
    for (i, b) in host.bytes().enumerate() {
        if b == b'.' {
            dots.push(i);
        }
    }
    if dots.pop().is_none() {
        return out;
    }
    for i in dots.iter().rev() {
        out.push(String::from(host.get(i + 1..).unwrap_or_default()));
    }
    out.push(String::from(host));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats() -> Categories {
        Categories::default()
    }

    #[test]
    fn reads_adobes_own_cookie() {
        // Its cookie's value, decoded (the JS shell decodes it).
        let text = r#"{"aam":false,"adcloud":false,"aa":true,"campaign":false,"ecid":false,"livefyre":false,"target":false,"mediaaa":false}"#;
        let r = Record::decode(text, &cats(), 0, None, &mut vec![]).unwrap();
        let choice = r.choice.unwrap();
        assert_eq!(choice[2], Some(true));
        assert_eq!(choice[0], Some(false));
        assert!(r.meta.is_none());
    }

    #[test]
    fn a_partial_record_means_the_same_once_written_again() {
        // Found by the record fuzz target: categories the record leaves
        // undecided used to be written back as denied, which would hide
        // their pre-opt-in defaults.
        let r = Record::decode("{\"aa\":{},\"target\":true}", &cats(), 0, None, &mut vec![]).unwrap();
        assert_eq!(r.encode(&cats()), "{\"aa\":false,\"target\":true}");
        assert_eq!(
            Record::decode(&r.encode(&cats()), &cats(), 0, None, &mut vec![]),
            Some(r)
        );
    }

    #[test]
    fn domain_candidates_go_top_down() {
        assert_eq!(
            domain_candidates("www.shop.site.test"),
            ["site.test", "shop.site.test", "www.shop.site.test"]
        );
        assert!(domain_candidates("localhost").is_empty());
        assert!(domain_candidates("127.0.0.1").is_empty());
        assert!(domain_candidates("::1").is_empty());
    }
}
