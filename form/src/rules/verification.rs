//! `consentry.renderPhoneVerification(target, options)`: its options, and
//! what each answer of the verification service (`POST /verify/start`,
//! `POST /verify/check`) means for the form. The JS shell
//! (`js/verification.js`) shows it.
//!
//! Options: `endpoint` (the service, required), `purpose` (`"signup"`,
//! the default, or `"login"`), and as the capture form `countries`,
//! `defaultCountry`, `locale`, `texts`, `formId`, `stylesheet`; callbacks
//! `onCodeSent`, `onVerified`, `onError`.

use super::read::{at, countries, endpoint, flag, form_id, locale, only, texts_of};
use super::texts::{self, Locale};
#[allow(unused_imports)]
use crate::prelude::*;
use consentry::consent::bad_member;
use consentry::json::{parse, Value};

const KEYS: [&str; 8] = [
    "endpoint",
    "purpose",
    "countries",
    "defaultCountry",
    "locale",
    "texts",
    "formId",
    "stylesheet",
];

/// Option keys that are JS callbacks, kept by the web layer.
pub const CALLBACKS: [&str; 3] = ["onCodeSent", "onVerified", "onError"];

/// Validated options.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOptions {
    /// The verification service's base URL.
    pub endpoint: String,
    /// `signup` or `login`.
    pub purpose: &'static str,
    /// ISO codes of the countries offered, in order.
    pub countries: Vec<&'static str>,
    /// The country selected at first.
    pub default_country: &'static str,
    /// The form's language.
    pub locale: Locale,
    /// The site's text overrides, and the language's built-in texts.
    pub texts: texts::Texts,
    /// The form's id.
    pub form_id: String,
    /// Load the default stylesheet.
    pub stylesheet: bool,
}

impl VerifyOptions {
    /// Validates the options object.
    pub fn parse(v: &Value) -> Result<VerifyOptions, String> {
        only(v, &KEYS, &CALLBACKS)?;
        let purpose = match v.get("purpose") {
            None => "signup",
            Some(Value::String(s)) if s == "signup" => "signup",
            Some(Value::String(s)) if s == "login" => "login",
            Some(other) => return Err(bad_member("options", "purpose", other, "\"signup\" or \"login\"")),
        };
        let (countries, default_country) = countries(v)?;
        Ok(VerifyOptions {
            endpoint: endpoint(
                v,
                "the verification service's URL, e.g. \"https://verify.example.com\" (\"/\": this site)",
            )?,
            purpose,
            countries,
            default_country,
            locale: locale(v)?,
            texts: texts_of(v, texts::VERIFICATION_FORM)?,
            form_id: form_id(v, "consentry-verify")?,
            stylesheet: flag(v, "stylesheet")?,
        })
    }

    /// `{endpoint}/verify/{step}`.
    pub fn url(&self, step: &str) -> String {
        let mut url = at(&self.endpoint, "/verify/");
        url.push_str(step);
        url
    }
}

/// What an answer of the service means for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The code went out: ask for it; a new one may be asked for after
    /// `resend` seconds.
    CodeSent {
        /// Seconds until a new code may be asked for.
        resend: u64,
    },
    /// The number is verified: the token for the site's backend.
    Verified {
        /// The signed token.
        token: String,
    },
    /// Not now: the text of `key` says why; `number` when it is about the
    /// number (shown at the number field), else about the code. `seconds`
    /// to wait, `left` checks left, when the answer says.
    Refused {
        /// The text's key.
        key: &'static str,
        /// About the number rather than the code.
        number: bool,
        /// Seconds to wait (0: none given).
        seconds: u64,
        /// Checks left (wrong code).
        left: u64,
    },
    /// The service is misconfigured or down: a general message.
    Unavailable,
}

/// Reads the service's answer `status`, `body` (JSON text).
pub fn answer(status: u16, body: &str) -> Step {
    let v = parse(body).unwrap_or(Value::Null);
    let uint = |k: &str| v.get(k).and_then(Value::as_uint).unwrap_or_default();
    let error = match v.get("error") {
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    let refused = |key, number| Step::Refused {
        key,
        number,
        seconds: uint("retry_after_seconds"),
        left: uint("checks_left"),
    };
    match (status, error) {
        (201, _) => Step::CodeSent {
            resend: uint("resend_in_seconds"),
        },
        (200, _) => match v.get("token") {
            Some(Value::String(t)) => Step::Verified { token: t.clone() },
            _ => Step::Unavailable,
        },
        (_, "invalid_phone") => refused("invalid_start", true),
        (_, "cannot_receive_texts") => refused("rejected_number", true),
        (_, "country_not_supported") => refused("country_not_allowed", true),
        (_, "already_registered") => refused("already_registered", true),
        (_, "not_registered") => refused("not_registered", true),
        (429, "too_many_codes") => refused("too_many_codes", true),
        (429, "resend_too_soon") => refused("resend_too_soon", false),
        (429, _) => refused("too_many_requests", true),
        (_, "quota_exhausted") => refused("quota_exhausted", true),
        (_, "wrong_code") => refused("wrong_code", false),
        (_, "code_expired") => refused("code_expired", false),
        (_, "too_many_checks") => refused("too_many_checks", false),
        (_, "no_code") => refused("code_expired", false),
        _ => Step::Unavailable,
    }
}

/// Whether `code` is what the service takes: six digits. Spaces and dashes
/// people type or paste are dropped first.
pub fn code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use consentry::json;

    fn options(extra: &str) -> Result<VerifyOptions, String> {
        VerifyOptions::parse(&json::parse(&format!(r#"{{"endpoint":""{extra}}}"#)).unwrap())
    }

    #[test]
    fn options_default_to_a_sign_up_and_name_what_is_wrong() {
        // An empty endpoint is refused: the service must be named.
        assert!(options("").unwrap_err().contains("options.endpoint"));
        let o = VerifyOptions::parse(&json::parse(r#"{"endpoint":"https://verify.example/"}"#).unwrap()).unwrap();
        assert_eq!((o.purpose, o.locale, o.default_country), ("signup", Locale::En, "US"));
        assert_eq!(o.url("start"), "https://verify.example/verify/start");
        let bad = |text: &str| VerifyOptions::parse(&json::parse(text).unwrap()).unwrap_err();
        assert!(bad(r#"{"endpoint":"/","purpose":"register"}"#)
            .contains("options.purpose is \"register\"; expected \"signup\" or \"login\""));
        assert!(bad(r#"{"endpoint":"/","apiKey":"x"}"#).contains("no secret may reach the browser"));
        assert!(bad(r#"{"endpoint":"/","programme":"x"}"#).contains("options.programme is not an option"));
        assert!(bad(r#"{"endpoint":"/","locale":"fr"}"#).contains("options.locale"));
        let mut ko =
            VerifyOptions::parse(&json::parse(r#"{"endpoint":"/","locale":"ko","purpose":"login"}"#).unwrap()).unwrap();
        ko.texts.builtin = texts::builtin(ko.locale);
        assert_eq!(
            (ko.purpose, ko.texts.get("send_code").as_str()),
            ("login", "인증번호 받기")
        );
    }

    #[test]
    fn each_answer_of_the_service_has_its_step() {
        assert_eq!(
            answer(201, r#"{"resend_in_seconds":30}"#),
            Step::CodeSent { resend: 30 }
        );
        assert_eq!(
            answer(200, r#"{"status":"approved","token":"a.b.c"}"#),
            Step::Verified { token: "a.b.c".into() }
        );
        let key = |status, body| match answer(status, body) {
            Step::Refused {
                key,
                number,
                seconds,
                left,
            } => (key, number, seconds, left),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            key(422, r#"{"error":"wrong_code","checks_left":3}"#),
            ("wrong_code", false, 0, 3)
        );
        assert_eq!(
            key(429, r#"{"error":"resend_too_soon","retry_after_seconds":12}"#),
            ("resend_too_soon", false, 12, 0)
        );
        assert_eq!(
            key(429, r#"{"error":"too_many_codes","retry_after_seconds":600}"#).0,
            "too_many_codes"
        );
        assert_eq!(key(429, r#"{"message":"too many requests"}"#).0, "too_many_requests");
        assert_eq!(key(402, r#"{"error":"quota_exhausted"}"#).0, "quota_exhausted");
        assert_eq!(
            key(400, r#"{"error":"cannot_receive_texts"}"#),
            ("rejected_number", true, 0, 0)
        );
        assert_eq!(key(410, r#"{"error":"code_expired"}"#).0, "code_expired");
        assert_eq!(key(410, r#"{"error":"too_many_checks"}"#).0, "too_many_checks");
        assert_eq!(key(409, r#"{"error":"already_registered"}"#).0, "already_registered");
        assert_eq!(answer(500, "oops"), Step::Unavailable);
        assert_eq!(answer(200, "{}"), Step::Unavailable);
        // Every key it names has a text in every language.
        for k in [
            "invalid_start",
            "rejected_number",
            "country_not_allowed",
            "wrong_code",
            "resend_too_soon",
            "too_many_codes",
            "too_many_requests",
            "quota_exhausted",
            "code_expired",
            "too_many_checks",
            "already_registered",
            "not_registered",
        ] {
            for l in [Locale::En, Locale::Ko, Locale::Ja] {
                let t = texts::Texts {
                    groups: texts::VERIFICATION_FORM,
                    builtin: texts::builtin(l),
                    ..texts::Texts::default()
                };
                assert!(!t.get(k).is_empty(), "{k} {l:?}");
            }
        }
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(code("123 456").as_deref(), Some("123456"));
        assert_eq!(code("123-456").as_deref(), Some("123456"));
        assert_eq!(code("12345"), None);
        assert_eq!(code("12345a"), None);
        assert_eq!(code("١٢٣٤٥٦"), None);
    }
}
