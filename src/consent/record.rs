//! The stored record, kept as two values so that Adobe's library reads its
//! own exactly as it wrote it:
//!
//! ```text
//! adobeujs-optin  {"aam":false,...,"mediaaa":false,   <- Adobe's categories
//!                  "iabConsentHash":"..."}           <- memoized content, kept as is
//! consentry       {"v":2,"rev":2,"time":1700000000000,"id":"...","gpc":true,
//!                  "choice":{"analytics":true}}      <- Consentry's fields and the
//!                                                       site's categories
//! ```
//!
//! Adobe's library takes a value holding any key but its categories and its
//! memo keys for no choice at all, so Consentry's fields and the site's
//! categories live in a value of their own (`"gpc"` only when the browser
//! sent Global Privacy Control).
//!
//! Decoding fails closed: a value that does not parse, a future format, a
//! malformed `consentry` value or an older revision yields no choice, and
//! only the boolean `true` approves.

use super::categories::{Categories, ADOBE, RESERVED};
use super::config::{PermissionMap, StorageKind};
use super::read::strict_bool;
use crate::json::{self, Value};
use alloc::{string::String, vec, vec::Vec};

/// The cookie (and storage key) Adobe's library uses.
pub const STORAGE_KEY: &str = "adobeujs-optin";

/// The cookie (and storage key) of Consentry's own value.
pub const OWN_KEY: &str = RESERVED;

/// The format of Consentry's value this build writes and reads (format 1
/// kept its fields inside Adobe's value).
pub const FORMAT_VERSION: u32 = 2;

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
    /// An acknowledged notice, not a choice (`ui`'s notice policy).
    pub notice: bool,
}

/// A decoded or to-be-encoded record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// The visitor's choice; `None` when the record holds no category key.
    pub choice: Option<PermissionMap>,
    /// Memoized content: every key of Adobe's value that is not a category.
    pub memo: Vec<(String, Value)>,
    /// Consentry's fields; `None` for a record Adobe's library wrote.
    pub meta: Option<ChoiceMeta>,
}

/// The record's two texts: Adobe's value, and Consentry's when there is a
/// choice to prove.
pub type Texts = (String, Option<String>);

/// What browsers keep of one cookie: its name and value together.
pub const COOKIE_ROOM: usize = 4096;

/// The most Consentry keeps under one storage key (`localStorage` holds
/// about 5 MB for the whole site).
pub const STORAGE_ROOM: usize = 65_536;

impl Record {
    /// The room for Adobe's value in `storage`, in the bytes of
    /// [`Record::stored_size`].
    pub fn room(storage: StorageKind) -> usize {
        match storage {
            StorageKind::Cookie => COOKIE_ROOM,
            StorageKind::LocalStorage => STORAGE_ROOM,
        }
    }

    /// The bytes Adobe's value `text` takes where it is stored: as a
    /// cookie, `adobeujs-optin=` and the text percent-encoded as
    /// `encodeURIComponent` does; in a storage, the text.
    pub fn stored_size(text: &str, storage: StorageKind) -> usize {
        match storage {
            StorageKind::LocalStorage => text.len(),
            StorageKind::Cookie => {
                let plain = |b: &u8| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
                };
                STORAGE_KEY.len() + 1 + text.bytes().map(|b| if plain(&b) { 1 } else { 3 }).sum::<usize>()
            }
        }
    }

    /// The record's texts. Category keys are written only for a choice, and
    /// only for the categories it decides, so a record read and written
    /// again means the same.
    pub fn encode(&self, cats: &Categories) -> Texts {
        Record::encode_parts(cats, self.choice.as_deref(), &self.memo, self.meta.as_ref())
    }

    /// [`Record::encode`] from borrowed parts.
    pub fn encode_parts(
        cats: &Categories,
        choice: Option<&[Option<bool>]>,
        memo: &[(String, Value)],
        meta: Option<&ChoiceMeta>,
    ) -> Texts {
        let key = |out: &mut String, k: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            json::write_string(k, out);
            out.push(':');
        };
        let (mut adobe, mut site) = (String::from("{"), String::from("{"));
        for (i, (name, v)) in cats.names().iter().zip(choice.unwrap_or_default()).enumerate() {
            if let Some(v) = v {
                let out = if i < ADOBE.len() { &mut adobe } else { &mut site };
                key(out, name);
                out.push_str(if *v { "true" } else { "false" });
            }
        }
        for (k, v) in memo {
            key(&mut adobe, k);
            v.write(&mut adobe);
        }
        adobe.push('}');
        site.push('}');
        let own = meta.map(|meta| {
            let mut out = String::from("{\"v\":");
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
            if meta.notice {
                out.push_str(",\"notice\":true");
            }
            out.push_str(",\"choice\":");
            out.push_str(&site);
            out.push('}');
            out
        });
        (adobe, own)
    }

    /// Decodes Adobe's value and Consentry's (each `None` when absent).
    /// `min_revision` is the configuration's revision; `expired_before` (ms
    /// since epoch) drops choices made earlier. Returns `None` for values
    /// that must be ignored whole.
    pub fn decode(
        adobe: Option<&str>,
        own: Option<&str>,
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
        let object = |text: &str| match json::parse(text) {
            Ok(Value::Object(members)) => Ok(members),
            Ok(_) => Err(String::from("not an object")),
            Err(e) => Err(e),
        };
        if adobe.is_none() && own.is_none() {
            return None;
        }
        let mut record = Record::default();
        let mut choice = vec![None; cats.len()];
        let mut any_category = false;
        let mut decide = |i: usize, key: &str, v: &Value, warnings: &mut Vec<String>| {
            if let Some(slot) = choice.get_mut(i) {
                *slot = Some(strict_bool("stored consent", key, v, warnings));
                any_category = true;
            }
        };
        for (key, v) in match adobe.map(object) {
            Some(Ok(members)) => members,
            Some(Err(e)) => return ignore(&e, warnings),
            None => Vec::new(),
        } {
            match cats.index(&key) {
                Some(i) if i < ADOBE.len() => decide(i, &key, &v, warnings),
                // A site's category and format 1's fields are Consentry's.
                Some(_) => {}
                None if key == RESERVED => {}
                None => record.memo.push((key, v)),
            }
        }
        if let Some(text) = own {
            let v = match json::parse(text) {
                Ok(v) => v,
                Err(e) => return ignore(&e, warnings),
            };
            match decode_meta(&v) {
                Ok(meta) => record.meta = Some(meta),
                Err(why) => return ignore(why, warnings),
            }
            if let Some(Value::Object(site)) = v.get("choice") {
                for (key, v) in site {
                    match cats.index(key) {
                        Some(i) if i >= ADOBE.len() => decide(i, key, v, warnings),
                        _ => {}
                    }
                }
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
    const MALFORMED: &str = "malformed consentry value";
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
    let gpc = matches!(v.get("gpc"), Some(Value::Bool(true)));
    let notice = matches!(v.get("notice"), Some(Value::Bool(true)));
    Ok(ChoiceMeta {
        revision,
        time,
        id,
        gpc,
        notice,
    })
}

/// The domains a cookie could be set on from `host`, top-most first:
/// `www.shop.example.com` gives `example.com`, `shop.example.com`,
/// `www.shop.example.com`. IP addresses and single-label hosts give none
/// (host-only cookies). The browser refuses public suffixes, so the caller
/// keeps the first that sticks.
pub fn domain_candidates(host: &str) -> Vec<String> {
    let is_ip = host.bytes().any(|b| b == b':') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let mut out = Vec::new();
    // The suffix after each dot from the right but the last dot (a
    // top-level domain alone is no candidate), then the host itself.
    let mut tld = true;
    for (i, b) in host.bytes().enumerate().rev() {
        if b == b'.' && !is_ip && !core::mem::take(&mut tld) {
            out.push(String::from(host.get(i + 1..).unwrap_or_default()));
        }
    }
    if !tld {
        out.push(String::from(host));
    }
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
        let r = Record::decode(Some(text), None, &cats(), 0, None, &mut vec![]).unwrap();
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
        let r = Record::decode(Some("{\"aa\":{},\"target\":true}"), None, &cats(), 0, None, &mut vec![]).unwrap();
        let (adobe, own) = r.encode(&cats());
        assert_eq!(
            (adobe.as_str(), own.as_deref()),
            ("{\"aa\":false,\"target\":true}", None)
        );
        assert_eq!(
            Record::decode(Some(&adobe), None, &cats(), 0, None, &mut vec![]),
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
