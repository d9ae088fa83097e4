//! Keyword categories of a subscription group and the matching of inbound
//! messages (the sandbox service only: built with the `sandbox` feature,
//! never into the wasm).
//!
//! A keyword either `is` the whole trimmed message, compared without regard
//! to case, or `matches regex` (linear-time `regex` crate; case-sensitive
//! unless the pattern says `(?i)`). Keywords are 1 to 34 characters without
//! spaces, at most 20 per category and unique within a group; every category
//! has a reply of 1 to 300 characters. Opt-out keywords are tried first, so STOP always
//! works. In WhatsApp groups an `is` keyword may be a phrase of words
//! separated by single spaces, such as `STOP PROMOTIONS`: the text the
//! marketing opt-out button of a WhatsApp template sends.
//!
//! ```
//! use consentry_sandbox::keywords::{defaults, Keywords};
//! use consentry_sandbox::double_opt_in::Intent;
//! let k = Keywords::new(defaults("en", "Acme Alerts")).unwrap();
//! assert_eq!(k.classify("  stop ").map(|c| c.intent()), Some(Intent::OptOut));
//! assert!(k.classify("stop please").is_none());
//! ```

use crate::double_opt_in::Intent;
use consentry::channel::Channel;
use regex::Regex;

/// The most keywords one category may have.
pub const MAX_KEYWORDS: usize = 20;
pub use consentry::channel::MAX_KEYWORD_CHARS;
/// The longest reply.
pub const MAX_REPLY_CHARS: usize = 300;

/// What a category does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Subscribes (START, YES, UNSTOP).
    OptIn,
    /// Unsubscribes (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT).
    OptOut,
    /// Answers with help (HELP, INFO).
    Help,
    /// Confirms a pending double opt-in (Y).
    Confirm,
    /// A custom category with its own reply.
    Custom(String),
}

/// How one keyword matches.
#[derive(Debug, Clone)]
pub enum Rule {
    /// The whole trimmed message, ignoring case.
    Is(String),
    /// A regular expression tested against the trimmed message.
    Regex(Regex),
}

/// A keyword as written in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordSpec {
    /// `true` for `matches regex`, `false` for `is`.
    pub regex: bool,
    /// The keyword or pattern.
    pub value: String,
}

/// A category as written in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySpec {
    /// What it does.
    pub kind: Kind,
    /// The language of its keywords and reply (`en`, `ko`, `ja`, ...).
    pub language: String,
    /// Its keywords.
    pub keywords: Vec<KeywordSpec>,
    /// The reply sent when one matches (never empty).
    pub reply: String,
}

/// A validated category.
#[derive(Debug, Clone)]
pub struct Category {
    spec: CategorySpec,
    rules: Vec<Rule>,
}

impl Category {
    /// What the category does.
    pub fn kind(&self) -> &Kind {
        &self.spec.kind
    }

    /// The language of the matched keyword.
    pub fn language(&self) -> &str {
        &self.spec.language
    }

    /// The reply to send.
    pub fn reply(&self) -> &str {
        &self.spec.reply
    }

    /// The workflow's view of the match.
    pub fn intent(&self) -> Intent {
        match &self.spec.kind {
            Kind::OptIn => Intent::OptIn,
            Kind::OptOut => Intent::OptOut,
            Kind::Help => Intent::Help,
            Kind::Confirm => Intent::Confirm,
            Kind::Custom(name) => Intent::Custom(name.clone()),
        }
    }

    fn matches(&self, message: &str) -> bool {
        self.rules.iter().any(|r| match r {
            Rule::Is(k) => k.to_lowercase() == message.to_lowercase(),
            Rule::Regex(re) => re.is_match(message),
        })
    }
}

/// A group's validated keyword categories.
#[derive(Debug, Clone)]
pub struct Keywords {
    categories: Vec<Category>,
}

fn name(kind: &Kind) -> String {
    match kind {
        Kind::OptIn => "opt-in".into(),
        Kind::OptOut => "opt-out".into(),
        Kind::Help => "help".into(),
        Kind::Confirm => "double opt-in confirmation".into(),
        Kind::Custom(n) => format!("custom category {n:?}"),
    }
}

impl Keywords {
    /// Validates `specs`; the error names the category, the keyword and the
    /// rule it breaks.
    pub fn new(specs: Vec<CategorySpec>) -> Result<Keywords, String> {
        Keywords::with_phrases(specs, false)
    }

    /// As [`Keywords::new`]; with `phrases` (a WhatsApp group), an `is`
    /// keyword may be words separated by single spaces.
    pub fn with_phrases(specs: Vec<CategorySpec>, phrases: bool) -> Result<Keywords, String> {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut categories = Vec::new();
        for spec in specs {
            let at = format!("{} keywords ({})", name(&spec.kind), spec.language);
            if spec.keywords.len() > MAX_KEYWORDS {
                return Err(format!(
                    "{at}: {} keywords; at most {MAX_KEYWORDS} are allowed",
                    spec.keywords.len()
                ));
            }
            if spec.reply.trim().is_empty() {
                return Err(format!(
                    "{at}: the reply is empty; every keyword category answers (Braze's keyword rules)"
                ));
            }
            if spec.reply.chars().count() > MAX_REPLY_CHARS {
                return Err(format!(
                    "{at}: the reply has {} characters; at most {MAX_REPLY_CHARS} are allowed",
                    spec.reply.chars().count()
                ));
            }
            if let Kind::Custom(n) = &spec.kind {
                if n.trim().is_empty() {
                    return Err(format!("{at}: a custom category needs a name"));
                }
            }
            let mut rules = Vec::new();
            for k in &spec.keywords {
                // A phrase (words, each separated by one space) only as an
                // "is" keyword of a WhatsApp group.
                let rule = if phrases && !k.regex {
                    Channel::WhatsApp
                } else {
                    Channel::Sms
                };
                if !rule.takes_keyword(&k.value) {
                    return Err(format!(
                        "{at}: keyword {:?} is not allowed; keywords are 1 to {MAX_KEYWORD_CHARS} characters without spaces{}",
                        k.value,
                        if phrases { " (in WhatsApp groups an \"is\" keyword may be words separated by single spaces)" } else { "" }
                    ));
                }
                let key = if k.regex {
                    format!("regex:{}", k.value)
                } else {
                    k.value.to_lowercase()
                };
                if let Some((_, other)) = seen.iter().find(|(s, _)| *s == key) {
                    if *other == at {
                        return Err(format!("{at}: keyword {:?} is listed twice", k.value));
                    }
                    return Err(format!(
                        "{at}: keyword {:?} is already used by the {other}; keywords are unique within a group",
                        k.value
                    ));
                }
                seen.push((key, at.clone()));
                rules.push(if k.regex {
                    let re = regex::RegexBuilder::new(&k.value)
                        .size_limit(1 << 16)
                        .build()
                        .map_err(|e| format!("{at}: pattern {:?} is not a valid regular expression: {e}", k.value))?;
                    Rule::Regex(re)
                } else {
                    Rule::Is(k.value.clone())
                });
            }
            categories.push(Category { spec, rules });
        }
        Ok(Keywords { categories })
    }

    /// The category an inbound message belongs to, if any. Opt-out
    /// categories are tried first.
    pub fn classify(&self, message: &str) -> Option<&Category> {
        let message = message.trim();
        let opt_out = self.categories.iter().filter(|c| c.spec.kind == Kind::OptOut);
        let rest = self.categories.iter().filter(|c| c.spec.kind != Kind::OptOut);
        opt_out.chain(rest).find(|c| c.matches(message))
    }

    /// The first category of `kind`, preferring `language`: where replies
    /// such as the confirmation come from.
    pub fn category(&self, kind: &Kind, language: &str) -> Option<&Category> {
        let of_kind = || self.categories.iter().filter(move |c| c.spec.kind == *kind);
        of_kind()
            .find(|c| c.spec.language == language)
            .or_else(|| of_kind().next())
    }
}

/// The standard categories in English, with `programme` named in replies.
pub fn defaults(language: &str, programme: &str) -> Vec<CategorySpec> {
    let spec = |kind, words: &[&str], reply: String| CategorySpec {
        kind,
        language: language.to_string(),
        keywords: words
            .iter()
            .map(|w| KeywordSpec {
                regex: false,
                value: (*w).to_string(),
            })
            .collect(),
        reply,
    };
    vec![
        spec(
            Kind::OptIn,
            &["START", "YES", "UNSTOP"],
            format!(
                "{programme}: you are subscribed. Msg & data rates may apply. Reply HELP for help, STOP to cancel."
            ),
        ),
        spec(
            Kind::OptOut,
            &[
                "STOP",
                "STOPALL",
                "UNSUBSCRIBE",
                "CANCEL",
                "END",
                "QUIT",
                "REVOKE",
                "OPTOUT",
            ],
            format!("{programme}: you are unsubscribed and will receive no more messages. Reply START to resubscribe."),
        ),
        spec(
            Kind::Help,
            &["HELP", "INFO"],
            format!("{programme}: reply STOP to cancel. Msg & data rates may apply."),
        ),
        spec(
            Kind::Confirm,
            &["Y"],
            format!("{programme}: thanks, you are confirmed. Reply HELP for help, STOP to cancel."),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(value: &str) -> KeywordSpec {
        KeywordSpec {
            regex: false,
            value: value.into(),
        }
    }

    fn regex(value: &str) -> KeywordSpec {
        KeywordSpec {
            regex: true,
            value: value.into(),
        }
    }

    fn custom(name: &str, keywords: Vec<KeywordSpec>) -> CategorySpec {
        CategorySpec {
            kind: Kind::Custom(name.into()),
            language: "en".into(),
            keywords,
            reply: "ok".into(),
        }
    }

    #[test]
    fn is_matches_the_whole_trimmed_message_ignoring_case() {
        let k = Keywords::new(defaults("en", "Acme")).unwrap();
        for m in ["STOP", "stop", " Stop\n", "StopAll", "unsubscribe"] {
            assert_eq!(k.classify(m).map(Category::intent), Some(Intent::OptOut), "{m:?}");
        }
        for m in ["stop it", "STOPP", "", "S T O P"] {
            assert!(k.classify(m).is_none(), "{m:?}");
        }
        assert_eq!(k.classify("y").map(Category::intent), Some(Intent::Confirm));
        assert_eq!(k.classify("info").map(Category::intent), Some(Intent::Help));
    }

    #[test]
    fn regex_is_case_sensitive_unless_the_pattern_says_otherwise() {
        let mut specs = defaults("en", "Acme");
        specs.push(custom("hours", vec![regex("^HOURS?$")]));
        specs.push(custom("price", vec![regex("(?i)^price")]));
        let k = Keywords::new(specs).unwrap();
        assert_eq!(
            k.classify("HOURS").map(Category::intent),
            Some(Intent::Custom("hours".into()))
        );
        assert!(k.classify("hours").is_none());
        assert_eq!(
            k.classify("Price list").map(Category::intent),
            Some(Intent::Custom("price".into()))
        );
    }

    #[test]
    fn opt_out_wins_over_an_overlapping_pattern() {
        let mut specs = vec![custom("catch-all", vec![regex("(?i)^s")])];
        specs.extend(defaults("en", "Acme"));
        let k = Keywords::new(specs).unwrap();
        assert_eq!(k.classify("stop").map(Category::intent), Some(Intent::OptOut));
        assert_eq!(
            k.classify("sale").map(Category::intent),
            Some(Intent::Custom("catch-all".into()))
        );
    }

    #[test]
    fn languages_have_their_own_keywords_and_replies() {
        let mut specs = defaults("en", "Acme");
        specs.push(CategorySpec {
            kind: Kind::OptOut,
            language: "ko".into(),
            keywords: vec![keyword("중지"), keyword("수신거부")],
            reply: "수신거부 처리되었습니다.".into(),
        });
        let k = Keywords::new(specs).unwrap();
        let c = k.classify("수신거부").unwrap();
        assert_eq!((c.intent(), c.language()), (Intent::OptOut, "ko"));
        assert_eq!(
            k.category(&Kind::OptOut, "ko").unwrap().reply(),
            "수신거부 처리되었습니다."
        );
        assert!(
            k.category(&Kind::Help, "ko").unwrap().reply().starts_with("Acme"),
            "falls back to another language"
        );
    }

    #[test]
    fn configuration_errors_are_clear() {
        let cases: Vec<(Vec<CategorySpec>, &str)> = vec![
            (
                vec![custom("a", vec![keyword("TWO WORDS")])],
                "keyword \"TWO WORDS\" is not allowed",
            ),
            (vec![custom("a", vec![keyword("")])], "keyword \"\" is not allowed"),
            (vec![custom("a", vec![keyword(&"X".repeat(35))])], "1 to 34 characters"),
            (
                vec![custom("a", (0..21).map(|i| keyword(&format!("K{i}"))).collect())],
                "21 keywords; at most 20",
            ),
            (
                vec![custom("a", vec![keyword("Go")]), custom("b", vec![keyword("GO")])],
                "keyword \"GO\" is already used by the custom category \"a\"",
            ),
            (
                vec![custom("a", vec![regex("(")])],
                "pattern \"(\" is not a valid regular expression",
            ),
            (
                vec![CategorySpec {
                    reply: "x".repeat(301),
                    ..custom("a", vec![])
                }],
                "the reply has 301 characters; at most 300",
            ),
            (vec![custom(" ", vec![])], "a custom category needs a name"),
        ];
        for (specs, expected) in cases {
            let err = Keywords::new(specs).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn whatsapp_groups_take_phrases_as_is_keywords() {
        let phrase = || vec![custom("a", vec![keyword("NO MESSAGE")])];
        let err = Keywords::new(phrase()).unwrap_err();
        assert!(err.ends_with("1 to 34 characters without spaces"), "{err}");
        let k = Keywords::with_phrases(phrase(), true).unwrap();
        assert!(k.classify(" no message ").is_some());
        assert!(k.classify("no  message").is_none());
        assert!(k.classify("no").is_none());
        for bad in ["NO  MESSAGE", " NO", "NO\tMESSAGE", "NO MESSAGE "] {
            let err = Keywords::with_phrases(vec![custom("a", vec![keyword(bad)])], true).unwrap_err();
            assert!(err.contains("words separated by single spaces"), "{bad:?}: {err}");
        }
        // A regex keyword is as before.
        assert!(Keywords::with_phrases(vec![custom("a", vec![regex("a b")])], true).is_err());
    }
}
