//! The `ui` key: the banner and preference centre's settings, the region
//! rules and when to ask. The JS module (`js/ui.js`) only renders; every
//! decision is here: which policy applies where, the defaults each policy
//! starts from, whether the banner shows, what each button commits and when
//! a stored choice no longer counts.
//!
//! ```
//! use consentry::consent::{Policy, Ui};
//! use consentry::json::parse;
//! let cats = consentry::consent::Categories::with_site(&["analytics".into()]).unwrap();
//! let ui = Ui::parse(&cats, &parse(r#"{"regions":{"EU":"opt-in","US-CA":"opt-out"}}"#).unwrap()).unwrap();
//! assert_eq!(ui.policy(Some("DE")), Policy::OptIn);
//! assert_eq!(ui.policy(Some("US-CA")), Policy::OptOut);
//! assert_eq!(ui.policy(None), Policy::OptIn); // unknown: the strictest configured
//! ```

use super::categories::Categories;
#[cfg(feature = "ui")]
use super::{
    categories::ADOBE,
    read::{bad_member, members, unknown_key},
};
use crate::json::Value;
use alloc::{string::String, vec::Vec};

/// What a jurisdiction's law asks of the site, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// Nothing but the necessary before a choice; the banner asks.
    OptIn,
    /// Everything on until the visitor opts out (GPC counts as opting out);
    /// no banner, a "Do not sell or share" link opens the preferences.
    OptOut,
    /// Everything on; the banner informs once.
    Notice,
    /// No rules: everything on, nothing shown.
    None,
}

/// The policies' names, in [`Policy`] order.
pub const POLICIES: [&str; 4] = ["opt-in", "opt-out", "notice", "none"];

/// The languages the UI module has texts for.
pub const LANGUAGES: [&str; 10] = ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "ko", "ja"];

/// The banner's and preference centre's texts, each overridable per
/// language (`ui.texts.de.acceptAll`); besides these, `<category>.title`
/// and `<category>.description` for each category the banner shows.
pub const TEXT_KEYS: [&str; 18] = [
    "title",
    "description",
    "acceptAll",
    "rejectAll",
    "customise",
    "save",
    "close",
    "privacyPolicy",
    "preferencesTitle",
    "preferencesDescription",
    "alwaysOn",
    "services",
    "cookies",
    "ok",
    "optOutTitle",
    "optOutDescription",
    "doNotSell",
    "saved",
];

#[cfg(feature = "ui")]
const KEYS: [&str; 12] = [
    "layout",
    "theme",
    "language",
    "privacyPolicy",
    "texts",
    "categories",
    "necessary",
    "services",
    "regions",
    "region",
    "regionUrl",
    "rejectQuietDays",
];

/// The EU's member states, then the rest of the EEA (Iceland,
/// Liechtenstein, Norway): `EU` names the first 27, `EEA` all 30.
const EEA: &str = "ATBEBGHRCYCZDKEEFIFRDEGRHUIELVLTLUMTNLPLPTROSKSIESSEISLINO";

/// By default, after "Reject all" the banner does not return for about six
/// months (the EU's proposed cookie rules).
pub const DEFAULT_REJECT_QUIET_DAYS: u32 = 183;

/// The validated `ui` key. Texts, layout and theme are checked here and
/// read by the JS module from the configuration itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Ui {
    /// The categories the banner asks about, in order.
    pub shown: Vec<usize>,
    /// The strictly necessary ones among them: always on, locked.
    pub necessary: Vec<usize>,
    /// `(jurisdiction, policy)`: `*`, `EU`, `EEA`, a country (`US`) or a
    /// subdivision (`US-CA`).
    pub regions: Vec<(String, Policy)>,
    /// The visitor's region, when the site knows it.
    pub region: Option<String>,
    /// Where the shell asks for the region when the site does not say.
    pub region_url: Option<String>,
    /// Days the banner stays away after "Reject all".
    pub quiet_days: u32,
}

#[cfg(feature = "ui")]
/// `ui.<key> is <value>; expected <what>`.
fn bad(key: &str, v: &Value, expected: &str) -> String {
    bad_member("config.ui", key, v, expected)
}

/// A region code: `DE`, `US-CA` (ISO 3166-1 alpha-2, then an optional
/// ISO 3166-2 subdivision of 1 to 3 letters or digits).
pub fn is_region(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() >= 2
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && (b.len() == 2
            || (b.len() <= 6
                && b.get(2) == Some(&b'-')
                && b.iter().skip(3).all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())))
}

#[cfg(feature = "ui")]
fn is_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://") || s.starts_with('/')) && !s.bytes().any(|b| b <= b' ')
}

#[cfg(feature = "ui")]
/// Category names as indices, each one of `among`.
fn category_list(cats: &Categories, among: &[usize], key: &str, v: &Value) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    if let Value::Array(items) = v {
        for item in items {
            match item {
                Value::String(s) if cats.index(s).is_some_and(|i| among.contains(&i)) => out.extend(cats.index(s)),
                _ => {
                    return Err(bad(
                        key,
                        item,
                        "a category of the configuration (the banner's, for necessary)",
                    ))
                }
            }
        }
        return Ok(out);
    }
    Err(bad(key, v, "an array of category names"))
}

impl Ui {
    /// Without the `ui` feature: refused (this is the gate's plain build).
    #[cfg(not(feature = "ui"))]
    pub fn parse(_: &Categories, _: &Value) -> Result<Ui, String> {
        Err(super::needs_full_build("ui"))
    }

    /// Validates `ui` against the configuration's categories: every key,
    /// every text's language and name, every jurisdiction and policy.
    #[cfg(feature = "ui")]
    pub fn parse(cats: &Categories, v: &Value) -> Result<Ui, String> {
        // Site categories when the site has any, else Adobe's.
        let all: Vec<usize> = (0..cats.len()).collect();
        let first = if cats.len() > ADOBE.len() { ADOBE.len() } else { 0 };
        let mut ui = Ui {
            shown: (first..cats.len()).collect(),
            necessary: Vec::new(),
            regions: Vec::new(),
            region: None,
            region_url: None,
            quiet_days: DEFAULT_REJECT_QUIET_DAYS,
        };
        // `categories` first: the other keys are checked against it.
        if let Some(c) = v.get("categories") {
            ui.shown = category_list(cats, &all, "categories", c)?;
        }
        for (key, value) in members("ui", Some(v))? {
            let string = match value {
                Value::String(s) => s.as_str(),
                _ => "",
            };
            let fail = |what: &str| Err(bad(key, value, what));
            match key.as_str() {
                "categories" => {}
                "layout" if ["bar", "box", "modal"].contains(&string) => {}
                "layout" => return fail("\"bar\", \"box\" or \"modal\""),
                "theme" if ["auto", "light", "dark"].contains(&string) => {}
                "theme" => return fail("\"auto\", \"light\" or \"dark\""),
                "language" if LANGUAGES.contains(&string) => {}
                "language" => return fail("one of en, de, fr, es, it, nl, pt, pl, ko, ja"),
                "privacyPolicy" | "regionUrl" if is_url(string) => {
                    if key == "regionUrl" {
                        ui.region_url = Some(string.into());
                    }
                }
                "privacyPolicy" | "regionUrl" => return fail("a URL or a path"),
                "region" if is_region(string) => ui.region = Some(string.into()),
                "region" => return fail("a region code such as \"DE\" or \"US-CA\""),
                "necessary" => ui.necessary = category_list(cats, &ui.shown, key, value)?,
                "rejectQuietDays" => {
                    ui.quiet_days = match value.as_uint() {
                        Some(n @ 1..=3650) => n as u32,
                        _ => return fail("a whole number of days from 1 to 3650"),
                    }
                }
                "services" => {
                    for (name, list) in members("ui.services", Some(value))? {
                        let ok =
                            matches!(list, Value::Array(items) if items.iter().all(|x| matches!(x, Value::String(_))));
                        if !ok || !cats.index(name).is_some_and(|i| ui.shown.contains(&i)) {
                            return fail("{category the banner shows: [service names]}");
                        }
                    }
                }
                "texts" => {
                    for (lang, texts) in members("ui.texts", Some(value))? {
                        if !LANGUAGES.contains(&lang.as_str()) {
                            return fail("languages among en, de, fr, es, it, nl, pt, pl, ko, ja");
                        }
                        for (name, text) in members("ui.texts", Some(texts))? {
                            let category = name
                                .strip_suffix(".title")
                                .or_else(|| name.strip_suffix(".description"));
                            let known = TEXT_KEYS.contains(&name.as_str())
                                || category.is_some_and(|c| cats.index(c).is_some_and(|i| ui.shown.contains(&i)));
                            if !known || !matches!(text, Value::String(_)) {
                                let mut path = String::from("texts.");
                                path.push_str(lang);
                                path.push('.');
                                path.push_str(name);
                                return Err(bad(&path, text, "a string under a text name of docs/banner.md"));
                            }
                        }
                    }
                }
                "regions" => {
                    const ALL: [Policy; 4] = [Policy::OptIn, Policy::OptOut, Policy::Notice, Policy::None];
                    for (place, policy) in members("ui.regions", Some(value))? {
                        let found = POLICIES
                            .iter()
                            .zip(ALL)
                            .find(|(n, _)| matches!(policy, Value::String(s) if s == *n));
                        let Some((_, p)) =
                            found.filter(|_| ["*", "EU", "EEA"].contains(&place.as_str()) || is_region(place))
                        else {
                            let mut path = String::from("regions.");
                            path.push_str(place);
                            return Err(bad(
                                &path,
                                policy,
                                "\"opt-in\", \"opt-out\", \"notice\" or \"none\" for *, EU, EEA, a country (US) or region (US-CA)",
                            ));
                        };
                        ui.regions.push((place.clone(), p));
                    }
                }
                _ => return Err(unknown_key("config.ui", key, &KEYS)),
            }
        }
        Ok(ui)
    }

    /// The policy for `region` (`None`: unknown). The most specific rule
    /// wins: the subdivision (`US-CA`), the country (`US`), `EU`/`EEA`, `*`.
    /// An unknown region, or one no rule names, gets the strictest policy
    /// configured; with no rules at all, opt-in applies everywhere.
    pub fn policy(&self, region: Option<&str>) -> Policy {
        let find = |place: &str| self.regions.iter().find(|(p, _)| p == place).map(|(_, policy)| *policy);
        let strictest = self.regions.iter().map(|(_, p)| *p).min().unwrap_or(Policy::OptIn);
        let Some(region) = region.filter(|r| is_region(r)) else {
            return strictest;
        };
        let country = region.get(..2).unwrap_or_default();
        let pos = EEA.as_bytes().chunks(2).position(|c| c == country.as_bytes());
        find(region)
            .or_else(|| find(country))
            .or_else(|| pos.filter(|p| *p < 27).and_then(|_| find("EU")))
            .or_else(|| pos.and_then(|_| find("EEA")))
            .or_else(|| find("*"))
            .unwrap_or(strictest)
    }
}

#[cfg(test)]
#[cfg(feature = "ui")]
mod tests {
    use super::*;
    use crate::json::parse;
    use alloc::string::ToString;
    use alloc::vec;

    fn cats() -> Categories {
        Categories::with_site(&[
            "necessary".to_string(),
            "analytics".to_string(),
            "marketing".to_string(),
        ])
        .unwrap()
    }

    fn ui(text: &str) -> Result<Ui, String> {
        Ui::parse(&cats(), &parse(text).unwrap())
    }

    #[test]
    fn the_most_specific_rule_wins_and_an_unknown_region_gets_the_strictest() {
        let u = ui(r#"{"regions":{"EU":"opt-in","US":"notice","US-CA":"opt-out","*":"none"}}"#).unwrap();
        assert_eq!(u.policy(Some("FR")), Policy::OptIn);
        assert_eq!(u.policy(Some("US-CA")), Policy::OptOut);
        assert_eq!(u.policy(Some("US-TX")), Policy::Notice);
        assert_eq!(u.policy(Some("JP")), Policy::None);
        assert_eq!(u.policy(Some("NO")), Policy::None, "Norway is EEA, not EU");
        assert_eq!(u.policy(None), Policy::OptIn);
        assert_eq!(u.policy(Some("de")), Policy::OptIn, "a malformed region is unknown");
        let eea = ui(r#"{"regions":{"EEA":"opt-in","US-CA":"opt-out"}}"#).unwrap();
        assert_eq!(eea.policy(Some("NO")), Policy::OptIn);
        assert_eq!(
            eea.policy(Some("BR")),
            Policy::OptIn,
            "a region no rule names gets the strictest"
        );
        let us = ui(r#"{"regions":{"US-CA":"opt-out","*":"notice"}}"#).unwrap();
        assert_eq!(us.policy(None), Policy::OptOut);
        assert_eq!(
            ui("{}").unwrap().policy(Some("US")),
            Policy::OptIn,
            "no rules: opt-in everywhere"
        );
    }

    #[test]
    fn every_mistake_is_named() {
        for (text, needle) in [
            (r#"{"layuot":"bar"}"#, "did you mean \"layout\""),
            (r#"{"layout":"popup"}"#, "config.ui.layout is \"popup\""),
            (r#"{"language":"xx"}"#, "config.ui.language"),
            (r#"{"categories":["analytcs"]}"#, "\"analytcs\""),
            (
                r#"{"categories":["analytics"],"necessary":["necessary"]}"#,
                "config.ui.necessary is \"necessary\"",
            ),
            (
                r#"{"regions":{"EU":"optin"}}"#,
                "config.ui.regions.EU is \"optin\"; expected \"opt-in\"",
            ),
            (r#"{"regions":{"Europe":"opt-in"}}"#, "config.ui.regions.Europe"),
            (r#"{"region":"usa"}"#, "config.ui.region"),
            (r#"{"texts":{"en":{"acceptAl":"Yes"}}}"#, "config.ui.texts.en.acceptAl"),
            (
                r#"{"texts":{"en":{"ads.title":"Ads"}}}"#,
                "config.ui.texts.en.ads.title",
            ),
            (
                r#"{"texts":{"xx":{}}}"#,
                "config.ui.texts is {\"xx\":{}}; expected languages",
            ),
            (r#"{"privacyPolicy":"javascript:alert(1)"}"#, "config.ui.privacyPolicy"),
            (r#"{"rejectQuietDays":0}"#, "config.ui.rejectQuietDays"),
            (r#"{"services":{"ads":["X"]}}"#, "config.ui.services"),
            (r#"[]"#, "ui"),
        ] {
            let e = ui(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
        let ok = ui(r#"{"layout":"modal","texts":{"de":{"acceptAll":"Alle akzeptieren","analytics.title":"Statistik"}},
            "necessary":["necessary"],"services":{"analytics":["Matomo"]},"region":"US-CA","regionUrl":"/region","rejectQuietDays":30}"#)
        .unwrap();
        assert_eq!((ok.shown, ok.necessary, ok.quiet_days), (vec![8, 9, 10], vec![8], 30));
    }

    #[test]
    fn every_language_file_has_exactly_the_text_names() {
        for (lang, text) in [
            ("en", include_str!("../../js/ui/en.js")),
            ("de", include_str!("../../js/ui/de.js")),
            ("fr", include_str!("../../js/ui/fr.js")),
            ("es", include_str!("../../js/ui/es.js")),
            ("it", include_str!("../../js/ui/it.js")),
            ("nl", include_str!("../../js/ui/nl.js")),
            ("pt", include_str!("../../js/ui/pt.js")),
            ("pl", include_str!("../../js/ui/pl.js")),
            ("ko", include_str!("../../js/ui/ko.js")),
            ("ja", include_str!("../../js/ui/ja.js")),
        ] {
            let body = text
                .split_once("export default ")
                .unwrap()
                .1
                .trim()
                .trim_end_matches(';');
            let Value::Object(m) = parse(body).unwrap() else {
                panic!("{lang}")
            };
            let mut names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).filter(|k| !k.contains('.')).collect();
            names.sort_unstable();
            let mut want = TEXT_KEYS.to_vec();
            want.sort_unstable();
            assert_eq!(names, want, "{lang}");
            assert!(
                m.iter().all(|(_, v)| matches!(v, Value::String(s) if !s.is_empty())),
                "{lang}"
            );
        }
    }
}
