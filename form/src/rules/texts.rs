//! The form's built-in strings. English is built in; Korean and Japanese
//! are tables of their own (`form/texts/ko.json`, `ja.json`, shipped as
//! `consentry-form-ko.mjs` and `-ja.mjs`), which the shell loads only for
//! a form in that language and hands to the options functions. A site may
//! override any text by key; `{phone}` is replaced by the number.
//!
//! ```
//! use consentry_form::rules::texts::{table, Locale, Texts, CAPTURE_FORM};
//! let ko = Texts { groups: CAPTURE_FORM, builtin: table(r#"{"submit":"구독하기"}"#), ..Texts::default() };
//! assert_eq!(ko.get("submit"), "구독하기");
//! assert_eq!(Texts { groups: CAPTURE_FORM, ..Texts::default() }.get("submit"), "Subscribe");
//! assert_eq!(Locale::parse("ja-JP"), Some(Locale::Ja));
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
/// A built-in language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// English.
    En,
    /// Korean.
    Ko,
    /// Japanese.
    Ja,
}

impl Locale {
    /// Reads `en`, `ko`, `ja`, also with a region (`ko-KR`).
    pub fn parse(tag: &str) -> Option<Locale> {
        match tag
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "en" => Some(Locale::En),
            "ko" => Some(Locale::Ko),
            "ja" => Some(Locale::Ja),
            _ => None,
        }
    }

    /// The language code.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ko => "ko",
            Locale::Ja => "ja",
        }
    }
}

/// A group of texts: each key with its English text.
pub type Group = &'static [(&'static str, &'static str)];

// The English texts, built in, by the forms that show them: each form's
// module links only its groups (a form's `texts` option takes their keys).
// Korean and Japanese are tables of their own (`form/texts/<lang>.json`),
// which the shell loads for a form in that language and hands to the
// options functions (see [`table`]).

/// Every phone form's (capture, verification, sign-up): the number's
/// field, why a typed number or the service refused it, sending, and
/// changing the number.
pub const PHONE: Group = &[
    ("country", "Country"),
    ("phone", "Mobile number"),
    ("empty", "Please enter your mobile number."),
    ("invalid_character", "Use digits only."),
    ("too_short", "This number is too short."),
    ("too_long", "This number is too long."),
    ("invalid_start", "This is not a valid mobile number."),
    ("country_not_allowed", "Numbers from this country cannot subscribe."),
    ("sending", "Sending…"),
    ("change", "Wrong number? Change it"),
    ("rejected_number", "This number cannot receive texts. Please check it."),
];

/// The capture and sign-up forms': what became of a submission the
/// outbox delivers.
pub const DELIVERY: Group = &[
    (
        "queued",
        "You seem to be offline. We will send it as soon as you are back.",
    ),
    (
        "unreachable",
        "We can't reach our server right now. Your sign-up is saved and we will keep trying.",
    ),
    (
        "unavailable",
        "Sign-up is not available right now. Please try again later.",
    ),
];

/// The capture form's own.
pub const CAPTURE: Group = &[
    ("title", "Get texts from us"),
    ("consent", "Yes, send me texts as described below."),
    ("submit", "Subscribe"),
    ("pending", "We sent a text to {phone}. Reply Y to confirm."),
    ("success", "You are subscribed."),
    (
        "rejected_country",
        "This programme does not accept numbers from {country}. Choose another country.",
    ),
    ("retry", "Try again now"),
    ("close", "Close"),
    ("consent_required", "Please tick the box to agree."),
];

/// The verification form's own.
pub const VERIFICATION: Group = &[
    ("v_title", "Verify your mobile number"),
    ("v_login_title", "Log in with your mobile number"),
    ("send_code", "Send code"),
    ("code", "Code from the text"),
    ("code_sent", "We texted a 6-digit code to {phone}."),
    ("verify", "Verify"),
    ("resend", "Send a new code"),
    ("resend_in", "New code in {seconds} s"),
    ("verified", "Your number is verified."),
    ("code_format", "Enter the 6 digits from the text."),
    ("wrong_code", "That code is not right. {left} tries left."),
    ("code_expired", "This code has expired. Ask for a new one."),
    ("too_many_checks", "Too many wrong codes. Ask for a new one."),
    (
        "too_many_codes",
        "Too many codes went to this number. Try again in {minutes} min.",
    ),
    (
        "resend_too_soon",
        "Please wait {seconds} s before asking for a new code.",
    ),
    ("too_many_requests", "Too many attempts. Try again in {minutes} min."),
    (
        "quota_exhausted",
        "We can't send codes right now. Please try again later.",
    ),
    (
        "already_registered",
        "This number is already registered. Log in instead.",
    ),
    ("not_registered", "No account uses this number. Sign up first."),
    (
        "v_unreachable",
        "We can't reach our server. Check your connection and try again.",
    ),
    (
        "v_unavailable",
        "Verification is not available right now. Please try again later.",
    ),
];

/// Text-to-join's.
pub const JOIN: Group = &[
    ("join_title", "Text {keyword} to {number}"),
    (
        "join_scan",
        "Scan with your phone's camera to text {keyword} to {number}.",
    ),
    ("wa_title", "Get our messages on WhatsApp"),
    ("wa_button", "Send {keyword} on WhatsApp"),
    (
        "wa_scan",
        "Scan with your phone's camera to open WhatsApp and send {keyword}.",
    ),
];

/// The sign-up form's own.
pub const SIGNUP: Group = &[
    ("signup_title", "Create your account"),
    ("email", "Email"),
    ("email_box", "Yes, send me promotional emails as described below."),
    ("sms_box", "Yes, send me promotional texts as described below."),
    ("signup_submit", "Sign up"),
    ("signup_success", "You are signed up."),
    (
        "signup_pending",
        "You are signed up. We sent a text to {phone}: reply Y to confirm your texts.",
    ),
    ("email_invalid", "Enter an email address such as name@example.com."),
    ("email_required", "Enter your email address to get emails."),
    ("need_contact", "Enter your email address or your mobile number."),
];

/// The capture form's groups.
pub const CAPTURE_FORM: &[Group] = &[PHONE, DELIVERY, CAPTURE];
/// The verification form's groups.
pub const VERIFICATION_FORM: &[Group] = &[PHONE, VERIFICATION];
/// The sign-up form's groups.
pub const SIGNUP_FORM: &[Group] = &[PHONE, DELIVERY, SIGNUP];
/// Text-to-join's group.
pub const JOIN_FORM: &[Group] = &[JOIN];
/// Every group, for the tests.
#[cfg(test)]
pub const ALL: &[Group] = &[PHONE, DELIVERY, CAPTURE, VERIFICATION, JOIN, SIGNUP];

/// A language's texts, `(key, text)`, as the shell hands them over.
pub type Table = Vec<(String, String)>;

/// Reads a language module's table (a JSON object of strings, or empty
/// for English); anything else is no table, and English is shown.
pub fn table(json: &str) -> Table {
    match consentry::json::parse(json) {
        Ok(consentry::json::Value::Object(members)) => members
            .into_iter()
            .filter_map(|(k, v)| match v {
                consentry::json::Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A form's texts: its groups (their keys, and English), the site's
/// overrides (its `texts` option) and the language's table the shell
/// loaded (empty: English).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Texts {
    /// The form's groups.
    pub groups: &'static [Group],
    /// The site's overrides, by key.
    pub overrides: Table,
    /// The form's language's built-in texts; set after the options parse.
    pub builtin: Table,
}

impl Texts {
    /// The text of `key`: the site's override, else the language's, else
    /// the English one; empty for a key of no group of the form.
    pub fn get(&self, key: &str) -> String {
        let find = |list: &Table| list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        find(&self.overrides)
            .or_else(|| find(&self.builtin))
            .or_else(|| english(self.groups, key).map(str::to_string))
            .unwrap_or_default()
    }

    /// The keys of the form's groups.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> {
        self.groups.iter().flat_map(|g| g.iter().map(|(k, _)| *k))
    }
}

/// The English text of `key` among `groups`.
pub fn english(groups: &[Group], key: &str) -> Option<&'static str> {
    groups
        .iter()
        .flat_map(|g| g.iter())
        .find(|(k, _)| *k == key)
        .map(|(_, t)| *t)
}

/// The table of `locale`, from `form/texts/` (what its module ships), for
/// the tests.
#[cfg(test)]
pub fn builtin(locale: Locale) -> Table {
    table(match locale {
        Locale::En => "{}",
        Locale::Ko => include_str!("../../texts/ko.json"),
        Locale::Ja => include_str!("../../texts/ja.json"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_every_language() {
        let all = Texts {
            groups: ALL,
            ..Texts::default()
        };
        for locale in [Locale::Ko, Locale::Ja] {
            let table = builtin(locale);
            assert_eq!(table.len(), all.keys().count(), "{locale:?}");
            for key in all.keys() {
                assert!(!all.get(key).is_empty(), "{key}");
                assert!(table.iter().any(|(k, t)| k == key && !t.is_empty()), "{key} {locale:?}");
            }
        }
        let ja = Texts {
            groups: CAPTURE_FORM,
            builtin: builtin(Locale::Ja),
            ..Texts::default()
        };
        assert!(ja.get("pending").contains("{phone}"));
        assert_eq!(english(ALL, "nope"), None);
        assert_eq!(table("[1]"), Vec::new());
    }

    #[test]
    fn each_form_has_its_groups_only() {
        let capture = Texts {
            groups: CAPTURE_FORM,
            ..Texts::default()
        };
        assert_eq!(capture.get("submit"), "Subscribe");
        assert_eq!(capture.get("change"), "Wrong number? Change it");
        assert_eq!(capture.get("v_title"), "");
        let keys: Vec<&str> = ALL.iter().flat_map(|g| g.iter().map(|(k, _)| *k)).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k} is in two groups");
        }
    }

    #[test]
    fn phone_errors_have_messages() {
        use crate::rules::phone::PhoneError;
        for e in [
            PhoneError::Empty,
            PhoneError::InvalidCharacter('x'),
            PhoneError::TooShort,
            PhoneError::TooLong,
            PhoneError::InvalidStart,
            PhoneError::CountryNotAllowed,
        ] {
            assert!(builtin(Locale::Ko).iter().any(|(k, _)| k == e.code()), "{}", e.code());
        }
    }
}
