//! Configuration: Adobe's opt-in keys plus Consentry's own, validated.
//!
//! The JS shell calls the keys that may be functions once and hands the
//! whole object over as JSON text; everything else is decided here, the
//! `consentMode` and `tcf` keys included.

use super::categories::Categories;
use super::integrations::Integrations;
use super::read::{bad_value, strict_bool, unknown_key};
use super::tcf::TcfConfig;
use super::ui::Ui;
use crate::json::{self, Value};
use alloc::{string::String, string::ToString, vec, vec::Vec};

/// Adobe's default cookie lifetime: 34,190,000 s, about 13 months.
pub const DEFAULT_EXPIRY_SECONDS: u32 = 34_190_000;

/// How long the stored choice lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expiry {
    /// This many seconds.
    Seconds(u32),
    /// Until the browser session ends.
    Session,
    /// Nothing is written.
    None,
}

/// Where the choice is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StorageKind {
    /// The Adobe-compatible `adobeujs-optin` cookie.
    Cookie,
    /// `localStorage` (`sessionStorage` for [`Expiry::Session`]).
    LocalStorage,
}

/// A `{category: bool}` map in category order; `None` where not given.
pub type PermissionMap = Vec<Option<bool>>;

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Every category the page knows.
    pub categories: Categories,
    /// `doesOptInApply`: false approves everything.
    pub opt_in_applies: bool,
    /// `preOptInApprovals`, the organisation's defaults.
    pub pre_opt_in: Option<PermissionMap>,
    /// `previousPermissions`, the visitor's earlier choices.
    pub previous: Option<PermissionMap>,
    /// `isOptInStorageEnabled`.
    pub storage_enabled: bool,
    /// `storage`.
    pub storage: StorageKind,
    /// `optInCookieDomain`; `None` finds the top-most writable domain.
    pub cookie_domain: Option<String>,
    /// `optInStorageExpiry`.
    pub expiry: Expiry,
    /// `isIabContext`.
    pub iab_context: bool,
    /// `secureCookie`.
    pub secure_cookie: bool,
    /// `sameSiteCookie`: `Lax`, `Strict` or `None`.
    pub same_site: Option<&'static str>,
    /// `revision`: stored choices of an older revision no longer count.
    pub revision: u32,
    /// `gpc`, `cookies` and `consentMode`.
    pub integrations: Integrations,
    /// `tcf`: the rules the TCF module applies to a TC string.
    pub tcf: TcfConfig,
    /// `receipts`: where the shell sends a receipt of every committed
    /// choice (the relay's URL).
    pub receipts: Option<String>,
    /// `ui`: the banner, the preference centre and the region rules; read
    /// it through [`Config::ui`].
    pub ui: Option<Ui>,
    /// `gpp`, as JSON text: the GPP module reads it (`GppConfig`).
    pub gpp: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            categories: Categories::default(),
            opt_in_applies: false,
            pre_opt_in: None,
            previous: None,
            storage_enabled: false,
            storage: StorageKind::Cookie,
            cookie_domain: None,
            expiry: Expiry::Seconds(DEFAULT_EXPIRY_SECONDS),
            iab_context: false,
            secure_cookie: false,
            same_site: None,
            revision: 0,
            integrations: Integrations::default(),
            tcf: TcfConfig::default(),
            receipts: None,
            ui: None,
            gpp: None,
        }
    }
}

const KEYS: [&str; 20] = [
    "doesOptInApply",
    "preOptInApprovals",
    "previousPermissions",
    "isOptInStorageEnabled",
    "optInCookieDomain",
    "optInStorageExpiry",
    "isIabContext",
    "secureCookie",
    "sameSiteCookie",
    "categories",
    "storage",
    "revision",
    "gpc",
    "cookies",
    "consentMode",
    "tcf",
    "receipts",
    "ui",
    "uet",
    "gpp",
];

impl Config {
    /// The `ui` key; always `None` in a build without the `ui` feature (the
    /// gate's plain build), so everything that handles one compiles away.
    #[inline]
    pub fn ui(&self) -> Option<&Ui> {
        #[cfg(feature = "ui")]
        return self.ui.as_ref();
        #[cfg(not(feature = "ui"))]
        None
    }

    /// [`Config::ui`], to change.
    #[inline]
    pub fn ui_mut(&mut self) -> Option<&mut Ui> {
        #[cfg(feature = "ui")]
        return self.ui.as_mut();
        #[cfg(not(feature = "ui"))]
        None
    }

    /// Validates a configuration object. Errors (also an unknown key) name
    /// the key, the value and what was expected; warnings (ignored values,
    /// unknown categories) are appended to `warnings`.
    pub fn parse(input: &Value, warnings: &mut Vec<String>) -> Result<Config, String> {
        let members = match input {
            Value::Object(m) => m.as_slice(),
            Value::Null => &[],
            other => {
                return Err(super::explained(|| {
                    let mut m = String::from("config is ");
                    m.push_str(&other.to_json());
                    m.push_str("; expected an object");
                    m
                }))
            }
        };
        let mut c = Config::default();
        // A key Consentry does not know is most likely a typo of one it
        // does (`doesOptinApply`): taking it for absent could turn opt-in
        // off and approve everything, so the configuration is refused.
        for (key, _) in members {
            if !KEYS.contains(&key.as_str()) {
                return Err(unknown_key("config", key, &KEYS));
            }
        }
        let get = |k: &str| input.get(k).filter(|v| !matches!(v, Value::Null));
        #[cfg(not(feature = "integrations"))]
        for key in ["cookies", "consentMode", "uet", "tcf", "gpp"] {
            if get(key).is_some() {
                return Err(super::needs_full_build(key));
            }
        }

        if let Some(v) = get("categories") {
            let Value::Array(items) = v else {
                return Err(bad_value("categories", v, "an array of category names"));
            };
            let mut names = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => names.push(s.clone()),
                    _ => return Err(bad_value("categories", v, "an array of category names")),
                }
            }
            c.categories = Categories::with_site(&names).map_err(|e| {
                super::explained(|| {
                    let mut m = String::from("config.categories: ");
                    m.push_str(&e);
                    m
                })
            })?;
        }
        if let Some(v) = get("doesOptInApply") {
            c.opt_in_applies = match v {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" => true,
                Value::String(s) if s == "false" => false,
                _ => {
                    return Err(bad_value(
                        "doesOptInApply",
                        v,
                        "true, false, \"true\", \"false\" or a function returning one",
                    ))
                }
            };
        }
        let flag = |k: &str| -> Result<bool, String> {
            match get(k) {
                None => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(v) => Err(bad_value(k, v, "true or false")),
            }
        };
        c.storage_enabled = flag("isOptInStorageEnabled")?;
        c.iab_context = flag("isIabContext")?;
        c.secure_cookie = flag("secureCookie")?;

        if let Some(v) = get("preOptInApprovals") {
            c.pre_opt_in = Some(permission_map(&c.categories, "preOptInApprovals", v, warnings)?);
        }
        if let Some(v) = get("previousPermissions") {
            // A CMP may hand over anything it found; a bad value is not a
            // reason to stop the page, it is simply not a choice.
            match permission_map(&c.categories, "previousPermissions", v, warnings) {
                Ok(map) => c.previous = Some(map),
                Err(e) => {
                    let mut w = e;
                    w.push_str("; ignored");
                    warnings.push(w);
                }
            }
        }
        if let Some(v) = get("optInCookieDomain") {
            match v {
                Value::String(d) if is_domain(d) => c.cookie_domain = Some(undotted(d).to_string()),
                _ => {
                    return Err(bad_value(
                        "optInCookieDomain",
                        v,
                        "a domain name such as \"example.com\"",
                    ))
                }
            }
        }
        if let Some(v) = get("optInStorageExpiry") {
            const WHAT: &str = "a whole number of seconds, \"SESSION\" or \"NONE\"";
            c.expiry = match v {
                Value::String(s) if s == "SESSION" => Expiry::Session,
                Value::String(s) if s == "NONE" => Expiry::None,
                Value::Number(_) => match v.as_uint().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) if n > 0 => Expiry::Seconds(n),
                    _ => return Err(bad_value("optInStorageExpiry", v, WHAT)),
                },
                _ => return Err(bad_value("optInStorageExpiry", v, WHAT)),
            };
        }
        if let Some(v) = get("sameSiteCookie") {
            c.same_site = Some(match v {
                Value::String(s) if s.eq_ignore_ascii_case("lax") => "Lax",
                Value::String(s) if s.eq_ignore_ascii_case("strict") => "Strict",
                Value::String(s) if s.eq_ignore_ascii_case("none") => "None",
                _ => return Err(bad_value("sameSiteCookie", v, "\"Lax\", \"Strict\" or \"None\"")),
            });
            if c.same_site == Some("None") && !c.secure_cookie {
                return Err(bad_value(
                    "sameSiteCookie",
                    v,
                    "\"Lax\" or \"Strict\" (\"None\" needs secureCookie: true, or browsers drop the cookie)",
                ));
            }
        }
        if let Some(v) = get("storage") {
            c.storage = match v {
                Value::String(s) if s == "cookie" => StorageKind::Cookie,
                Value::String(s) if s == "localStorage" => StorageKind::LocalStorage,
                _ => return Err(bad_value("storage", v, "\"cookie\" or \"localStorage\"")),
            };
        }
        if let Some(v) = get("revision") {
            c.revision = v
                .as_uint()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad_value("revision", v, "a whole number from 0"))?;
        }
        if let Some(v) = get("receipts") {
            // The relay's URL (or a path), with no credentials, query or
            // fragment.
            c.receipts = match v {
                Value::String(e)
                    if (e.starts_with("https://") || e.starts_with("http://") || e.starts_with('/'))
                        && !e.bytes().any(|b| matches!(b, b'@' | b'?' | b'#') || b <= b' ') =>
                {
                    Some(e.clone())
                }
                _ => {
                    return Err(bad_value(
                        "receipts",
                        v,
                        "the relay's URL, such as \"https://relay.example\"",
                    ))
                }
            };
        }
        if let Some(v) = get("ui") {
            // The region's policy decides whether opt-in applies.
            if let Some(d) = get("doesOptInApply") {
                return Err(bad_value(
                    "doesOptInApply",
                    d,
                    "no value beside ui: the region's policy decides",
                ));
            }
            c.ui = Some(Ui::parse(&c.categories, v)?);
            c.opt_in_applies = true;
        }
        c.integrations = Integrations::parse(&c.categories, input)?;
        // Consent Mode's regional default denies where the banner asks:
        // a region listed there must be one where opt-in applies.
        #[cfg(feature = "ui")]
        if let (Some(ui), Some(Value::Array(regions))) =
            (c.ui(), input.get("consentMode").and_then(|m| m.get("regions")))
        {
            for r in regions {
                if matches!(r, Value::String(s) if ui.policy(Some(s)) != super::ui::Policy::OptIn) {
                    return Err(bad_value(
                        "consentMode.regions",
                        r,
                        "only regions where ui.regions' policy is opt-in (the update at start grants the others)",
                    ));
                }
            }
        }
        // A regional default that grants may not reach where the banner asks.
        #[cfg(feature = "ui")]
        if let (Some(ui), Some(Value::Array(defaults))) =
            (c.ui(), input.get("consentMode").and_then(|m| m.get("regionDefaults")))
        {
            for d in defaults {
                let grants = matches!(d.get("granted"), Some(Value::Array(g)) if !g.is_empty());
                if let Some(Value::Array(regions)) = d.get("region") {
                    for r in regions {
                        if grants && matches!(r, Value::String(s) if ui.policy(Some(s)) == super::ui::Policy::OptIn) {
                            return Err(bad_value(
                                "consentMode.regionDefaults",
                                r,
                                "regions where ui.regions' policy is not opt-in (nothing is granted before the visitor's choice where it is)",
                            ));
                        }
                    }
                }
            }
        }
        #[cfg(feature = "integrations")]
        {
            c.tcf = TcfConfig::parse(&c.categories, input.get("tcf").unwrap_or(&Value::Null))?;
        }
        #[cfg(feature = "integrations")]
        if let Some(v) = get("gpp") {
            if !matches!(v, Value::Object(_)) {
                return Err(bad_value(
                    "gpp",
                    v,
                    "an object with sections or rules (see docs/integrations.md)",
                ));
            }
            c.gpp = Some(v.to_json());
        }
        Ok(c)
    }
}

/// `d` without its leading dots (byte by byte: `trim_start_matches`
/// decodes each char, which costs the wasm its UTF-8 decoder).
fn undotted(d: &str) -> &str {
    d.get(d.bytes().take_while(|b| *b == b'.').count()..)
        .unwrap_or_default()
}

fn is_domain(d: &str) -> bool {
    let d = undotted(d);
    !d.is_empty()
        && d.len() <= 253
        && crate::split(d, b'.')
            .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Reads `{category: bool}` given as an object or its JSON text. Only the
/// boolean `true` approves; any other value is a denial with a warning.
/// Unknown categories are ignored with a warning.
pub fn permission_map(
    cats: &Categories,
    key: &str,
    v: &Value,
    warnings: &mut Vec<String>,
) -> Result<PermissionMap, String> {
    const WHAT: &str = "an object such as {\"aa\":true} or its JSON text";
    let parsed;
    let v = match v {
        Value::String(text) => {
            parsed = json::parse(text).map_err(|e| {
                let mut m = bad_value(key, v, WHAT);
                m.push_str(" (");
                m.push_str(&e);
                m.push(')');
                m
            })?;
            &parsed
        }
        v => v,
    };
    let Value::Object(members) = v else {
        return Err(bad_value(key, v, WHAT));
    };
    let mut map = vec![None; cats.len()];
    for (name, value) in members {
        let Some(slot) = cats.index(name).and_then(|i| map.get_mut(i)) else {
            let mut w = String::from(key);
            w.push_str(": unknown category ");
            json::write_string(name, &mut w);
            w.push_str(" ignored");
            warnings.push(w);
            continue;
        };
        *slot = Some(strict_bool(key, name, value, warnings));
    }
    Ok(map)
}
