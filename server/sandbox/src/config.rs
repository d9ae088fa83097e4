//! The sandbox's configuration file: subscription groups with their channel,
//! allowed countries, double-opt-in texts and keyword categories per
//! language, and the prepaid quota.
//!
//! ```json
//! {"quota_tickets": 1,
//!  "groups": [{"id": "acme-sms", "name": "Acme Alerts", "channel": "sms", "countries": ["US", "KR"],
//!              "double_opt_in": {"enabled": true, "prompt": {"en": "Acme Alerts: reply Y to confirm ..."}},
//!              "keywords": [{"category": "custom", "name": "hours", "language": "en",
//!                            "keywords": [{"regex": "(?i)^hours?$"}], "reply": "We are open 9-5."}]}]}
//! ```
//!
//! Optional: `"limits": {"per_ip": {"requests": 300, "window_seconds": 60},
//! "per_phone": {...}, "per_prefix": {...}, "prefix_digits": 6}` (see
//! `limits.rs`; these are the defaults but for per_phone 10 and per_prefix
//! 100 an hour) and `"shared_secret"` (16 characters or more).
//!
//! Phone verification and messages to members (issue 15), all optional:
//! `"quota_low": 100` (answers warn below this many messages left),
//! `"verification": {"brand": "Acme", "countries": ["US", "KR"],
//! "code_ttl_seconds": 600, "max_checks": 5, "per_hour": 5,
//! "resend_seconds": 30, "token_ttl_seconds": 300}`, `"senders":
//! [{"number": "+15555550100", "name": "Acme"}]` (the registered sender
//! numbers), `"message_rules": {"us_quiet_hours": true, "kr_advertising":
//! true}` (see `messages.rs`) and a group's `"max_text": 79` (characters
//! of a message to members).
//!
//! `quota_tickets` is the first grant only: it is recorded as a purchase
//! when the database is new, and tickets bought later
//! (`POST /sandbox/quota/tickets`) add to it in the database.
//!
//! Groups without `keywords` get the standard English categories; listed
//! categories are added to them, and a listed standard category of the same
//! language replaces the default one, except opt-out: its listed words add
//! to STOP, STOPALL, ... (which always opt out) and its reply replaces the
//! standard one. Every category needs a reply.

use crate::keywords::{defaults, CategorySpec, KeywordSpec, Keywords, Kind};
pub use consentry::channel::Channel;
use consentry_relay::limits::{FileLimits, Limits};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Messages are bought in tickets of this many.
pub const TICKET_MESSAGES: i64 = 1_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default = "one")]
    quota_tickets: i64,
    groups: Vec<FileGroup>,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    shared_secret: Option<String>,
    #[serde(default = "hundred")]
    quota_low: i64,
    #[serde(default)]
    verification: FileVerification,
    #[serde(default)]
    senders: Vec<Sender>,
    #[serde(default)]
    message_rules: FileRules,
}

fn hundred() -> i64 {
    100
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileVerification {
    brand: Option<String>,
    #[serde(default)]
    countries: Vec<String>,
    code_ttl_seconds: Option<i64>,
    max_checks: Option<u32>,
    per_hour: Option<usize>,
    resend_seconds: Option<i64>,
    token_ttl_seconds: Option<i64>,
    max_failed_checks_per_ip: Option<u32>,
    max_failed_checks: Option<u32>,
    audience: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRules {
    #[serde(default = "yes")]
    us_quiet_hours: bool,
    #[serde(default = "yes")]
    kr_advertising: bool,
}

impl Default for FileRules {
    fn default() -> FileRules {
        FileRules {
            us_quiet_hours: true,
            kr_advertising: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// A registered sender number.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// E.164.
    pub number: String,
    /// The name texts carry (Korea's advertising rule checks for it).
    pub name: String,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGroup {
    id: String,
    name: String,
    channel: String,
    #[serde(default)]
    countries: Vec<String>,
    #[serde(default)]
    double_opt_in: FileDoubleOptIn,
    #[serde(default)]
    keywords: Vec<FileCategory>,
    #[serde(default = "seventy_nine")]
    max_text: usize,
}

fn seventy_nine() -> usize {
    79
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoubleOptIn {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    prompt: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCategory {
    category: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default = "english")]
    language: String,
    keywords: Vec<FileKeyword>,
    #[serde(default)]
    reply: String,
}

fn english() -> String {
    "en".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKeyword {
    #[serde(default)]
    is: Option<String>,
    #[serde(default)]
    regex: Option<String>,
}

/// A validated subscription group.
#[derive(Debug)]
pub struct Group {
    /// Braze's `subscription_group_id`.
    pub id: String,
    /// The programme's name.
    pub name: String,
    /// SMS or WhatsApp.
    pub channel: Channel,
    /// ISO codes of the countries whose numbers may subscribe (empty: any).
    pub countries: Vec<String>,
    /// Whether `use_double_opt_in_logic` starts the workflow.
    pub double_opt_in: bool,
    /// The prompt per language.
    pub prompts: BTreeMap<String, String>,
    /// The keyword categories.
    pub keywords: Keywords,
    /// The longest message to members, in characters.
    pub max_text: usize,
    /// An email subscription group (`"channel": "email"`): it takes email
    /// addresses, and its `channel` means nothing.
    pub email: bool,
}

impl Group {
    /// The prompt in `language`, else in English, else any.
    pub fn prompt(&self, language: &str) -> String {
        self.prompts
            .get(language)
            .or_else(|| self.prompts.get("en"))
            .or_else(|| self.prompts.values().next())
            .cloned()
            .unwrap_or_else(|| format!("{}: reply Y to confirm your subscription. Msg & data rates may apply. Reply HELP for help, STOP to cancel.", self.name))
    }
}

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    /// Prepaid messages in all.
    pub quota_messages: i64,
    /// The groups by id.
    pub groups: Vec<Group>,
    /// Rate limits of subscription requests.
    pub limits: Limits,
    /// When set, the Braze-compatible endpoints need `Authorization: Bearer <secret>`.
    pub shared_secret: Option<String>,
    /// Answers warn when fewer messages than this are left.
    pub quota_low: i64,
    /// The name in verification texts ("[Acme] Your code is ...").
    pub brand: String,
    /// ISO codes of the countries whose numbers may be verified (empty: any).
    pub verify_countries: Vec<String>,
    /// The verification limits.
    pub verify: crate::verify::Rules,
    /// The `aud` of verification tokens: the site they are for.
    pub verify_audience: String,
    /// The registered sender numbers.
    pub senders: Vec<Sender>,
    /// The per-country rules of messages to members.
    pub message_rules: crate::messages::Rules,
}

impl Config {
    /// The group `id`.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The group `id`, or the error the API answers with.
    pub fn known_group(&self, id: &str) -> Result<&Group, String> {
        self.group(id)
            .ok_or_else(|| format!("subscription_group_id {id:?} is not a known subscription group"))
    }

    /// Reads and validates the configuration text. The error names the
    /// group and what is wrong, for a clear message at start-up.
    pub fn parse(text: &str) -> Result<Config, String> {
        let file: FileConfig = serde_json::from_str(text).map_err(|e| format!("sandbox config: {e}"))?;
        if file.quota_tickets < 0 {
            return Err(format!(
                "sandbox config: quota_tickets is {}; expected 0 or more",
                file.quota_tickets
            ));
        }
        let mut groups = Vec::new();
        for g in file.groups {
            let at = format!("sandbox config: group {:?}", g.id);
            if g.id.is_empty() || groups.iter().any(|other: &Group| other.id == g.id) {
                return Err(format!("{at}: ids must be non-empty and unique"));
            }
            // An email group keeps subscription states and consent; it has
            // no workflow, keywords or texts.
            let email = g.channel == "email";
            let Some(channel) = Channel::parse(&g.channel).or(email.then_some(Channel::Sms)) else {
                return Err(format!(
                    "{at}: channel {:?}; expected \"sms\", \"whatsapp\" or \"email\"",
                    g.channel
                ));
            };
            for c in &g.countries {
                if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(format!("{at}: country {c:?}; expected an ISO code such as \"US\""));
                }
            }
            let mut specs = defaults("en", &g.name);
            for c in g.keywords {
                let kind = match (c.category.as_str(), c.name) {
                    ("opt_in", None) => Kind::OptIn,
                    ("opt_out", None) => Kind::OptOut,
                    ("help", None) => Kind::Help,
                    ("confirm", None) => Kind::Confirm,
                    ("custom", Some(name)) => Kind::Custom(name),
                    (other, name) => {
                        return Err(format!(
                            "{at}: keyword category {other:?} (name {name:?}); expected opt_in, opt_out, help, confirm, or custom with a name"
                        ))
                    }
                };
                let mut keywords = Vec::new();
                for k in c.keywords {
                    keywords.push(match (k.is, k.regex) {
                        (Some(value), None) => KeywordSpec { regex: false, value },
                        (None, Some(value)) => KeywordSpec { regex: true, value },
                        _ => return Err(format!("{at}: each keyword is {{\"is\": ...}} or {{\"regex\": ...}}")),
                    });
                }
                let listed = CategorySpec {
                    kind,
                    language: c.language,
                    keywords,
                    reply: c.reply,
                };
                match specs
                    .iter_mut()
                    .find(|s| s.kind == listed.kind && s.language == listed.language)
                {
                    // The standard opt-out words always opt out, as carriers
                    // and Braze treat them: listed words add to them, and a
                    // listed reply replaces the standard one.
                    // (A standard word listed again, as Braze's dashboard
                    // shows them, is already there.)
                    Some(standard) if listed.kind == Kind::OptOut => {
                        for k in listed.keywords {
                            let known = standard
                                .keywords
                                .iter()
                                .any(|s| s.regex == k.regex && s.value.eq_ignore_ascii_case(&k.value));
                            if !known {
                                standard.keywords.push(k);
                            }
                        }
                        standard.reply = listed.reply;
                    }
                    Some(standard) => *standard = listed,
                    None => specs.push(listed),
                }
            }
            // WhatsApp's marketing opt-out button sends "STOP PROMOTIONS".
            let whatsapp = channel == Channel::WhatsApp;
            if whatsapp {
                if let Some(standard) = specs.iter_mut().find(|s| s.kind == Kind::OptOut && s.language == "en") {
                    if !standard
                        .keywords
                        .iter()
                        .any(|k| k.value.eq_ignore_ascii_case("STOP PROMOTIONS"))
                    {
                        standard.keywords.push(KeywordSpec {
                            regex: false,
                            value: "STOP PROMOTIONS".into(),
                        });
                    }
                }
            }
            let keywords = Keywords::with_phrases(specs, whatsapp).map_err(|e| format!("{at}: {e}"))?;
            for (language, prompt) in &g.double_opt_in.prompt {
                if prompt.chars().count() > crate::keywords::MAX_REPLY_CHARS {
                    return Err(format!("{at}: the {language} prompt is longer than 300 characters"));
                }
            }
            groups.push(Group {
                id: g.id,
                name: g.name,
                channel,
                countries: g.countries,
                double_opt_in: g.double_opt_in.enabled,
                prompts: g.double_opt_in.prompt,
                keywords,
                max_text: g.max_text,
                email,
            });
            if !(1..=1600).contains(&g.max_text) {
                return Err(format!("{at}: max_text is {}; expected 1 to 1600", g.max_text));
            }
        }
        let limits = file.limits.limits("sandbox config")?;
        if file.shared_secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err("sandbox config: shared_secret is shorter than 16 characters".into());
        }
        let v = file.verification;
        let d = crate::verify::Rules::default();
        let seconds = |name: &str, value: Option<i64>, default: i64, max: i64| match value {
            None => Ok(default),
            Some(s) if (1..=max).contains(&s) => Ok(s * 1000),
            Some(s) => Err(format!(
                "sandbox config: verification.{name} is {s}; expected 1 to {max}"
            )),
        };
        let count = |name: &str, value: Option<u32>, default: u32| match value {
            None => Ok(default),
            Some(n @ 1..=1_000_000) => Ok(n),
            Some(n) => Err(format!(
                "sandbox config: verification.{name} is {n}; expected 1 to 1000000 an hour"
            )),
        };
        let verify = crate::verify::Rules {
            code_ttl_ms: seconds("code_ttl_seconds", v.code_ttl_seconds, d.code_ttl_ms, 86_400)?,
            resend_ms: seconds("resend_seconds", v.resend_seconds, d.resend_ms, 3_600)?,
            token_ttl_ms: seconds("token_ttl_seconds", v.token_ttl_seconds, d.token_ttl_ms, 86_400)?,
            max_checks: match v.max_checks {
                None => d.max_checks,
                Some(n @ 1..=20) => n,
                Some(n) => {
                    return Err(format!(
                        "sandbox config: verification.max_checks is {n}; expected 1 to 20"
                    ))
                }
            },
            per_hour: match v.per_hour {
                None => d.per_hour,
                Some(n @ 1..=60) => n,
                Some(n) => {
                    return Err(format!(
                        "sandbox config: verification.per_hour is {n}; expected 1 to 60"
                    ))
                }
            },
            failed_per_ip: count("max_failed_checks_per_ip", v.max_failed_checks_per_ip, d.failed_per_ip)?,
            failed_total: count("max_failed_checks", v.max_failed_checks, d.failed_total)?,
        };
        let verify_audience = v.audience.unwrap_or_else(|| "consentry-demo".into());
        if verify_audience.is_empty() || verify_audience.len() > 200 {
            return Err(format!(
                "sandbox config: verification.audience is {verify_audience:?}; expected the site's name for its tokens, 1 to 200 characters"
            ));
        }
        for c in &v.countries {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!(
                    "sandbox config: verification.countries has {c:?}; expected ISO codes such as \"US\""
                ));
            }
        }
        let brand = v.brand.unwrap_or_else(|| "Acme".to_string());
        if brand.is_empty() || brand.chars().count() > 20 {
            return Err(format!(
                "sandbox config: verification.brand is {brand:?}; expected 1 to 20 characters"
            ));
        }
        for s in &file.senders {
            if let Err(e) = consentry_relay::braze::e164(&s.number) {
                return Err(format!("sandbox config: senders: {e}"));
            }
            if s.name.is_empty() {
                return Err(format!("sandbox config: sender {} needs a name", s.number));
            }
        }
        if file.quota_low < 0 {
            return Err(format!(
                "sandbox config: quota_low is {}; expected 0 or more",
                file.quota_low
            ));
        }
        Ok(Config {
            quota_messages: file.quota_tickets * TICKET_MESSAGES,
            groups,
            limits,
            shared_secret: file.shared_secret,
            quota_low: file.quota_low,
            brand,
            verify_countries: v.countries,
            verify,
            verify_audience,
            senders: file.senders,
            message_rules: crate::messages::Rules {
                us_quiet_hours: file.message_rules.us_quiet_hours,
                kr_advertising: file.message_rules.kr_advertising,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_config_is_valid() {
        let text = include_str!("../sandbox.json");
        let c = Config::parse(text).unwrap();
        assert!(c.group("acme-sms").is_some());
    }

    #[test]
    fn errors_name_the_group_and_the_problem() {
        let cases = [
            (
                r#"{"groups":[{"id":"g","name":"G","channel":"fax"}]}"#,
                "group \"g\": channel \"fax\"",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","channel":"sms","countries":["usa"]}]}"#,
                "country \"usa\"",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","channel":"sms","keywords":[{"category":"custom","name":"x","keywords":[{"is":"STOP"}],"reply":"x"}]}]}"#,
                "keyword \"STOP\" is already used",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","channel":"sms","keywords":[{"category":"help","keywords":[{"is":"TWO WORDS"}],"reply":"x"}]}]}"#,
                "keyword \"TWO WORDS\" is not allowed",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","channel":"sms","colour":"red"}]}"#,
                "unknown field `colour`",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","channel":"sms"},{"id":"g","name":"H","channel":"sms"}]}"#,
                "unique",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","channel":"sms","keywords":[{"category":"custom","name":"x","keywords":[{"is":"X"}]}]}]}"#,
                "custom category \"x\" keywords (en): the reply is empty",
            ),
        ];
        for (text, expected) in cases {
            let err = Config::parse(text).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn the_standard_opt_out_words_always_opt_out() {
        let text = r#"{"groups":[{"id":"g","name":"G","channel":"sms",
            "keywords":[{"category":"opt_out","keywords":[{"is":"ARRET"}],"reply":"Bye"}]}]}"#;
        let c = Config::parse(text).unwrap();
        let k = &c.group("g").unwrap().keywords;
        for word in ["STOP", "stopall", "ARRET"] {
            let category = k.classify(word).unwrap();
            assert_eq!(
                (category.intent(), category.reply()),
                (crate::double_opt_in::Intent::OptOut, "Bye"),
                "{word}"
            );
        }
    }

    #[test]
    fn listing_the_standard_opt_out_words_as_brazes_dashboard_shows_them_starts() {
        let words = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "Arret"]
            .map(|w| format!(r#"{{"is":"{w}"}}"#))
            .join(",");
        let text = format!(
            r#"{{"groups":[{{"id":"g","name":"G","channel":"sms",
            "keywords":[{{"category":"opt_out","keywords":[{words}],"reply":"Bye"}}]}}]}}"#
        );
        let c = Config::parse(&text).unwrap();
        let k = &c.group("g").unwrap().keywords;
        for word in ["STOP", "quit", "ARRET", "REVOKE"] {
            assert_eq!(k.classify(word).unwrap().reply(), "Bye", "{word}");
        }
        // A word listed twice in one category is named as such.
        let twice = r#"{"groups":[{"id":"g","name":"G","channel":"sms",
            "keywords":[{"category":"help","keywords":[{"is":"AIDE"},{"is":"aide"}],"reply":"Aide"}]}]}"#;
        let err = Config::parse(twice).unwrap_err();
        assert!(
            err.contains("help keywords (en): keyword \"aide\" is listed twice"),
            "{err}"
        );
    }

    #[test]
    fn listed_standard_categories_replace_the_defaults() {
        let text = r#"{"groups":[{"id":"g","name":"G","channel":"sms",
            "keywords":[{"category":"help","keywords":[{"is":"AIDE"}],"reply":"Aide"}]}]}"#;
        let c = Config::parse(text).unwrap();
        let k = &c.group("g").unwrap().keywords;
        assert!(k.classify("HELP").is_none());
        assert_eq!(k.classify("aide").unwrap().reply(), "Aide");
        assert_eq!(c.quota_messages, 1_000);
    }
}
