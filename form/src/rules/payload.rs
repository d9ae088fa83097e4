//! The request the phone form sends to the site's endpoint: Braze's
//! `POST /subscription/status/set` body plus the consent record the
//! endpoint keeps as proof, and the checks of the programme's disclosure.
//!
//! ```
//! use consentry_form::rules::payload::{status_set_body, Consent, Submission};
//! let body = status_set_body(&Submission {
//!     subscription_group_id: "grp-1",
//!     phone: "+14155552671",
//!     external_id: None,
//!     external_id_token: None,
//!     double_opt_in: true,
//!     consent: Consent { disclosure: "Acme Alerts ...", disclosure_hash: "ab12", locale: "en", page_url: "https://shop.example/", time: 1, form_id: "footer", consent_id: "" },
//! });
//! assert!(body.starts_with(r#"{"subscription_group_id":"grp-1","subscription_state":"subscribed","phone":["+14155552671"],"use_double_opt_in_logic":true,"#));
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use consentry::json::Value;

/// What the visitor agreed to, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent<'a> {
    /// The disclosure text shown next to the checkbox.
    pub disclosure: &'a str,
    /// Its SHA-256, hex.
    pub disclosure_hash: &'a str,
    /// The form's locale.
    pub locale: &'a str,
    /// The page the form was on.
    pub page_url: &'a str,
    /// When the visitor submitted, ms since the epoch.
    pub time: u64,
    /// The form's id.
    pub form_id: &'a str,
    /// The browser's consent id (its cookie choices' `consentRecord`), so
    /// the relay's ledger links the opt-in to them; empty when none.
    pub consent_id: &'a str,
}

/// One subscription request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission<'a> {
    /// Braze's `subscription_group_id`.
    pub subscription_group_id: &'a str,
    /// The number, E.164.
    pub phone: &'a str,
    /// The site's user id, when known.
    pub external_id: Option<&'a str>,
    /// The site backend's signature of it, for the relay.
    pub external_id_token: Option<&'a str>,
    /// `use_double_opt_in_logic`.
    pub double_opt_in: bool,
    /// The consent record.
    pub consent: Consent<'a>,
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

/// The JSON body: Braze's fields, then `consent` for the site's endpoint
/// (which keeps it and does not forward it).
pub fn status_set_body(s: &Submission) -> String {
    let mut members = vec![
        ("subscription_group_id".to_string(), text(s.subscription_group_id)),
        ("subscription_state".to_string(), text("subscribed")),
        ("phone".to_string(), Value::Array(vec![text(s.phone)])),
    ];
    if let Some(id) = s.external_id {
        members.push(("external_id".to_string(), Value::Array(vec![text(id)])));
    }
    members.push(("use_double_opt_in_logic".to_string(), Value::Bool(s.double_opt_in)));
    if let Some(t) = s.external_id_token {
        members.push(("external_id_token".to_string(), text(t)));
    }
    let c = &s.consent;
    let mut time = String::new();
    consentry::json::push_uint(&mut time, c.time);
    members.push((
        "consent".to_string(),
        Value::Object(vec![
            ("disclosure".to_string(), text(c.disclosure)),
            ("disclosure_sha256".to_string(), text(c.disclosure_hash)),
            ("locale".to_string(), text(c.locale)),
            ("page_url".to_string(), text(c.page_url)),
            ("time".to_string(), Value::Number(time)),
            ("form_id".to_string(), text(c.form_id)),
        ]),
    ));
    if let (false, Some((_, Value::Object(consent)))) = (c.consent_id.is_empty(), members.last_mut()) {
        consent.push(("consent_id".to_string(), text(c.consent_id)));
    }
    Value::Object(members).to_json()
}

/// What a compliant SMS programme disclosure states, and is missing from
/// `disclosure`: the programme's name, the message frequency, "Msg & data
/// rates may apply", and HELP/STOP instructions.
pub fn missing_from_disclosure(disclosure: &str, programme: &str) -> Vec<&'static str> {
    // ASCII case folding only: Unicode's tables would add about 20 KB to
    // the wasm; Korean and Japanese have no case.
    let lower = disclosure.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| super::has(&lower, n));
    let mut missing = Vec::new();
    let programme = super::trimmed(programme);
    if programme.is_empty() || !super::has(&lower, &programme.to_ascii_lowercase()) {
        missing.push("the programme name");
    }
    // English, Korean (월 4회, 매주) and Japanese (月4回, 毎週) wordings.
    let frequency = has(&[
        "frequency",
        "recurring",
        "per day",
        "per week",
        "per month",
        "/day",
        "/wk",
        "/week",
        "/mo",
        "a week",
        "a month",
        "a day",
        "회",
        "매월",
        "매주",
        "매일",
        "수시",
        "回",
        "毎月",
        "毎週",
        "毎日",
        "随時",
    ]);
    if !frequency {
        missing.push("the message frequency");
    }
    if !has(&[
        "msg & data rates may apply",
        "msg&data rates may apply",
        "message and data rates may apply",
        "요금",
        "통신료",
        "通信料",
        "料金",
    ]) {
        missing.push("\"Msg & data rates may apply\"");
    }
    let help = has(&["help", "도움말", "ヘルプ"]);
    let stop = has(&["stop", "중지", "수신거부", "수신 거부", "停止"]);
    if !(help && stop) {
        missing.push("HELP/STOP instructions");
    }
    missing
}

/// Why the server refused a submission (a 4xx other than 408 and 429),
/// read from its status and Braze-shaped body: what the form tells the
/// visitor, and whether the visitor can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The programme does not serve the number's country.
    Country,
    /// The number is not one that can receive texts.
    Number,
    /// Anything else (404, 401, an unknown group, ...): the form is set up
    /// wrong, and no change of the visitor's can help.
    Misconfigured,
}

impl Rejection {
    /// Classifies a refusal. The sandbox names a bad number with "E.164"
    /// (Braze with "invalid phone") and a country outside the group with
    /// "is a number of".
    pub fn of(status: u16, body: &str) -> Rejection {
        match status {
            400 | 422 if super::has(body, "is a number of") => Rejection::Country,
            400 | 422 if super::has(body, "E.164") || super::has(&body.to_ascii_lowercase(), "invalid phone") => {
                Rejection::Number
            }
            _ => Rejection::Misconfigured,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent() -> Consent<'static> {
        Consent {
            disclosure: "Acme \"Alerts\"",
            disclosure_hash: "00ff",
            locale: "ko",
            page_url: "https://shop.example/p?q=1",
            time: 1_700_000_000_000,
            form_id: "footer",
            consent_id: "",
        }
    }

    #[test]
    fn builds_brazes_body_with_the_consent_record() {
        let body = status_set_body(&Submission {
            subscription_group_id: "grp",
            phone: "+821012345678",
            external_id: Some("user-7"),
            external_id_token: None,
            double_opt_in: true,
            consent: consent(),
        });
        assert_eq!(
            body,
            r#"{"subscription_group_id":"grp","subscription_state":"subscribed","phone":["+821012345678"],"external_id":["user-7"],"use_double_opt_in_logic":true,"consent":{"disclosure":"Acme \"Alerts\"","disclosure_sha256":"00ff","locale":"ko","page_url":"https://shop.example/p?q=1","time":1700000000000,"form_id":"footer"}}"#
        );
        assert!(consentry::json::parse(&body).is_ok());
    }

    #[test]
    fn the_browsers_consent_id_joins_the_consent_record() {
        let body = status_set_body(&Submission {
            subscription_group_id: "grp",
            phone: "+821012345678",
            external_id: None,
            external_id_token: None,
            double_opt_in: true,
            consent: Consent {
                consent_id: "9fdff5d0",
                ..consent()
            },
        });
        assert!(
            body.ends_with(r#""form_id":"footer","consent_id":"9fdff5d0"}}"#),
            "{body}"
        );
    }

    #[test]
    fn external_id_is_left_out_when_unknown() {
        let body = status_set_body(&Submission {
            subscription_group_id: "grp",
            phone: "+14155552671",
            external_id: None,
            external_id_token: None,
            double_opt_in: false,
            consent: consent(),
        });
        assert!(!body.contains("external_id"));
        assert!(body.contains(r#""use_double_opt_in_logic":false"#));
    }

    #[test]
    fn checks_what_a_disclosure_must_say() {
        let good = "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts \
                    (up to 4 msgs/month). Msg & data rates may apply. Reply HELP for help, STOP to cancel.";
        assert!(missing_from_disclosure(good, "Acme Alerts").is_empty());
        assert_eq!(
            missing_from_disclosure("Sign up for texts!", "Acme Alerts"),
            vec![
                "the programme name",
                "the message frequency",
                "\"Msg & data rates may apply\"",
                "HELP/STOP instructions"
            ]
        );
        let ko = "Acme 알림: 마케팅 문자 수신에 동의합니다(월 4회). 메시지 및 데이터 요금이 부과될 수 있습니다. \
                  도움말은 HELP, 수신거부는 STOP으로 답장하세요.";
        assert!(missing_from_disclosure(ko, "Acme 알림").is_empty());
        let ja = "Acme通信からのマーケティングSMS(月4回)の受信に同意します。通信料がかかる場合があります。\
                  ヘルプはHELP、停止はSTOPと返信してください。";
        assert!(missing_from_disclosure(ja, "Acme通信").is_empty());
        assert_eq!(
            missing_from_disclosure("Acme 알림 문자를 받습니다.", "Acme 알림").len(),
            3
        );
    }

    #[test]
    fn tells_what_a_refusal_means() {
        let bad_number = r#"{"message":"invalid request","errors":["\"+1555\" is not a valid E.164 phone number"]}"#;
        assert_eq!(Rejection::of(400, bad_number), Rejection::Number);
        let country = r#"{"message":"invalid request","errors":["+447400123456 is a number of GB; subscription group \"acme-sms\" accepts US"]}"#;
        assert_eq!(Rejection::of(400, country), Rejection::Country);
        for (status, body) in [
            (404, "Not Found"),
            (401, "{}"),
            (400, r#"{"errors":["unknown subscription group"]}"#),
        ] {
            assert_eq!(Rejection::of(status, body), Rejection::Misconfigured, "{status}");
        }
    }
}
