//! What the integrations need from the configuration, and their pure rules:
//! Global Privacy Control (`gpc`), cookie cleanup (`cookies`), Google
//! Consent Mode (`consentMode`). IAB TCF's `tcf` key is `tcf.rs`.
//!
//! ```js
//! {
//!   gpc: { sale: ["aam", "adcloud"], sharing: ["target"] },
//!   cookies: { aa: ["s_cc", "s_sq", "_ga*"], target: ["mbox"] },
//!   consentMode: { ad_storage: ["aam"], analytics_storage: ["aa"], security_storage: true,
//!                  regions: ["ES", "FR"], waitForUpdate: 500 },
//! }
//! ```

use super::categories::Categories;
use super::read::{bad_value, explained, members, path};
use crate::json::Value;
use alloc::{string::String, vec, vec::Vec};

/// Google Consent Mode v2's consent types.
pub const CONSENT_TYPES: [&str; 7] = [
    "ad_storage",
    "analytics_storage",
    "ad_user_data",
    "ad_personalization",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
];

/// The integrations' configuration, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Integrations {
    /// Categories marked `sale` or `sharing`: denied under GPC until the
    /// visitor chooses otherwise.
    pub gpc: Vec<usize>,
    /// Cookie name patterns (`name` or `prefix*`) and their category.
    pub cookies: Vec<(usize, String)>,
    /// Consent types and the categories that grant them (`None`: always
    /// granted).
    pub consent_mode: Vec<(&'static str, Option<Vec<usize>>)>,
    /// `uet.ad_storage`: the categories that grant Microsoft UET's
    /// `ad_storage` (`None`: no `uet` key).
    pub uet: Option<Vec<usize>>,
}

/// Whether every category of `cats` is approved under `permissions`: what
/// grants a Consent Mode type, UET's `ad_storage` or declines a GPP opt-out.
pub fn all_approved(cats: &[usize], permissions: &[bool]) -> bool {
    cats.iter().all(|i| permissions.get(*i) == Some(&true))
}

/// An array of known category names, as positions.
pub(super) fn category_list(cats: &Categories, key: &str, v: &Value) -> Result<Vec<usize>, String> {
    let bad = || bad_value(key, v, "an array of category names");
    let Value::Array(items) = v else { return Err(bad()) };
    let mut out = Vec::new();
    for item in items {
        let Value::String(name) = item else { return Err(bad()) };
        // The problem is the name, not the shape: say so.
        out.push(cats.index(name).ok_or_else(|| {
            explained(|| {
                let mut m = String::from("config.");
                m.push_str(key);
                m.push_str(": ");
                m.push_str(&cats.unknown(name));
                m
            })
        })?);
    }
    Ok(out)
}

impl Integrations {
    /// Reads `gpc`, and in the full build `cookies`, `consentMode` and
    /// `uet`, from the config object.
    pub fn parse(cats: &Categories, input: &Value) -> Result<Integrations, String> {
        let mut out = Integrations::default();
        for (mark, v) in members("gpc", input.get("gpc"))? {
            if mark != "sale" && mark != "sharing" {
                return Err(bad_value(
                    &path("gpc", mark),
                    v,
                    "no such key (expected sale or sharing)",
                ));
            }
            out.gpc.extend(category_list(cats, &path("gpc", mark), v)?);
        }
        // The plain build refuses the other keys (Config::parse).
        #[cfg(feature = "integrations")]
        out.parse_integrations(cats, input)?;
        Ok(out)
    }

    /// `cookies`, `consentMode` and `uet`: only in the full build.
    #[cfg(feature = "integrations")]
    fn parse_integrations(&mut self, cats: &Categories, input: &Value) -> Result<(), String> {
        let out = self;
        for (category, v) in members("cookies", input.get("cookies"))? {
            let key = path("cookies", category);
            let bad = || bad_value(&key, v, "a known category's array of cookie names (name or prefix*)");
            let i = cats.index(category).ok_or_else(bad)?;
            let Value::Array(names) = v else { return Err(bad()) };
            for name in names {
                match name {
                    Value::String(n) if is_cookie_pattern(n) => out.cookies.push((i, n.clone())),
                    _ => return Err(bad()),
                }
            }
        }
        for (k, v) in members("consentMode", input.get("consentMode"))? {
            let key = path("consentMode", k);
            match k.as_str() {
                "regions" => {
                    let ok = matches!(v, Value::Array(r) if r.iter().all(|r| matches!(r, Value::String(s) if (2..=6).contains(&s.len()))));
                    if !ok {
                        return Err(bad_value(
                            &key,
                            v,
                            "an array of ISO 3166 region codes such as \"ES\" or \"US-CA\"",
                        ));
                    }
                }
                // One default per region list: the types it names start
                // granted there (advanced mode outside opt-in regions).
                "regionDefaults" => {
                    let ok = matches!(v, Value::Array(list) if list.iter().all(|d| {
                        matches!(d, Value::Object(m) if m.iter().all(|(k, _)| k == "region" || k == "granted"))
                            && matches!(d.get("region"), Some(Value::Array(r)) if !r.is_empty() && r.iter().all(|r| matches!(r, Value::String(s) if crate::consent::is_region(s))))
                            && matches!(d.get("granted"), Some(Value::Array(g)) if g.iter().all(|t| matches!(t, Value::String(t) if CONSENT_TYPES.contains(&t.as_str()))))
                    }));
                    if !ok {
                        return Err(bad_value(
                            &key,
                            v,
                            "an array of {region: [\"US\", ...], granted: [consent types]}",
                        ));
                    }
                }
                "urlPassthrough" | "adsDataRedaction" => {
                    if !matches!(v, Value::Bool(_)) {
                        return Err(bad_value(&key, v, "true or false"));
                    }
                }
                "developerId" => {
                    if !matches!(v, Value::String(s) if (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
                    {
                        return Err(bad_value(
                            &key,
                            v,
                            "Google's developer id for your CMP, letters and digits",
                        ));
                    }
                }
                "waitForUpdate" => {
                    if v.as_uint().filter(|n| *n <= 60_000).is_none() {
                        return Err(bad_value(&key, v, "a whole number of ms up to 60000"));
                    }
                }
                _ => {
                    let Some(t) = CONSENT_TYPES.iter().find(|t| **t == k) else {
                        return Err(bad_value(
                            &key,
                            v,
                            "no such key (expected a consent type such as ad_storage, or a key of docs/integrations.md's Consent Mode table)",
                        ));
                    };
                    // An empty list would grant the type with no category
                    // approved: refused, like any other slip.
                    let cats = match v {
                        Value::Bool(true) => None,
                        Value::Array(items) if items.is_empty() => {
                            return Err(bad_value(&key, v, "a non-empty array of category names, or true"))
                        }
                        _ => Some(category_list(cats, &key, v)?),
                    };
                    out.consent_mode.push((t, cats));
                }
            }
        }
        for (k, v) in members("uet", input.get("uet"))? {
            let key = path("uet", k);
            if k != "ad_storage" {
                return Err(bad_value(&key, v, "no such key (expected ad_storage)"));
            }
            // Empty, it would grant with nothing approved: refused.
            let list = category_list(cats, &key, v)?;
            if list.is_empty() {
                return Err(bad_value(&key, v, "a non-empty array of category names"));
            }
            out.uet = Some(list);
        }
        Ok(())
    }

    /// Each configured consent type, granted or not under `permissions`.
    pub fn consent_state(&self, permissions: &[bool]) -> Vec<(&'static str, bool)> {
        let mut out = Vec::new();
        for (t, cats) in &self.consent_mode {
            out.push((*t, cats.as_ref().is_none_or(|c| all_approved(c, permissions))));
        }
        out
    }

    /// The cookies in `document_cookie` whose category is not approved.
    /// Consentry's own record is never among them.
    pub fn cookies_to_delete<'a>(&self, permissions: &[bool], document_cookie: &'a str) -> Vec<&'a str> {
        let mut out = Vec::new();
        for pair in crate::split(document_cookie, b';') {
            let name = crate::split(pair, b'=').next().unwrap_or(pair).trim_ascii();
            if name.is_empty() || name == super::STORAGE_KEY || name == super::OWN_KEY {
                continue;
            }
            for (i, pattern) in &self.cookies {
                let matches = match pattern.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name == pattern,
                };
                if matches && permissions.get(*i) != Some(&true) {
                    out.push(name);
                    break;
                }
            }
        }
        out
    }

    /// The `document.cookie` assignments that delete the cookies of
    /// categories not approved, under every domain and path a tag may have
    /// set them with: host-only and each parent domain of `host`, `/` and
    /// each directory of `path`.
    pub fn cookie_deletions(
        &self,
        permissions: &[bool],
        document_cookie: &str,
        host: &str,
        path: &str,
        secure: bool,
    ) -> Vec<String> {
        let names = self.cookies_to_delete(permissions, document_cookie);
        if names.is_empty() {
            return Vec::new();
        }
        let paths = cookie_paths(path);
        let mut domains = super::domain_candidates(host);
        domains.push(String::new());
        let mut out = Vec::new();
        for name in names {
            for domain in &domains {
                for path in &paths {
                    let mut c = String::from(name);
                    c.push_str("=; max-age=0; path=");
                    c.push_str(path);
                    if !domain.is_empty() {
                        c.push_str("; domain=");
                        c.push_str(domain);
                    }
                    if secure {
                        c.push_str("; Secure");
                    }
                    out.push(c);
                }
            }
        }
        out
    }
}

/// A cookie name, or a prefix followed by `*`: the characters a cookie name
/// may hold (RFC 6265 token), 1 to 256 of them.
#[cfg(feature = "integrations")]
fn is_cookie_pattern(p: &str) -> bool {
    let name = p.strip_suffix('*').unwrap_or(p);
    !name.is_empty()
        && p.len() <= 256
        && name.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                        | b'{'
                        | b'}'
                        | b'*'
                )
        })
}

/// Whether a tag's `data-consent` holds: every space-separated term holds,
/// `cat` when it is approved, `!cat` when it is not. `Err` names the first
/// unknown category; an empty expression is an error too.
pub fn tag_wanted<'a>(cats: &Categories, permissions: &[bool], expr: &'a str) -> Result<bool, &'a str> {
    let mut any = false;
    let mut wanted = true;
    for term in expr.split_ascii_whitespace() {
        any = true;
        let (negated, name) = match term.strip_prefix('!') {
            Some(name) => (true, name),
            None => (false, term),
        };
        let approved = cats.index(name).and_then(|i| permissions.get(i).copied()).ok_or(term)?;
        wanted &= approved != negated;
    }
    if any {
        Ok(wanted)
    } else {
        Err(expr)
    }
}

/// The paths a cookie may have been set with from a page at `path`: `/`,
/// then each parent directory and the path itself, with and without a
/// trailing slash.
pub fn cookie_paths(path: &str) -> Vec<String> {
    let mut out = vec![String::from("/")];
    let mut at = String::new();
    for segment in crate::split(path, b'/').filter(|s| !s.is_empty()) {
        at.push('/');
        at.push_str(segment);
        out.push(at.clone());
        let mut slash = at.clone();
        slash.push('/');
        out.push(slash);
    }
    out
}
