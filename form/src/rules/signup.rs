//! `consentry.renderSignup(target, options)`: a sign-up form asking for an
//! email address and a phone number, with two separate boxes, never ticked
//! beforehand, for promotional email and for texts, each with its own
//! disclosure (carriers ask for a separate call to action per channel). It
//! posts Braze's `/users/track` with the subscription groups of the boxes
//! ticked (SMS with the double opt-in) and a consent record naming each
//! box's disclosure by group, through the capture form's outbox.
//!
//! Options: `endpoint`, `email: {subscriptionGroupId, disclosure}`,
//! `sms: {subscriptionGroupId, disclosure, doubleOptIn}`, `externalId` with
//! `externalIdToken` (your backend's signature of it, for the relay), and
//! as the capture form `countries`, `defaultCountry`, `locale`, `texts`,
//! `formId`, `stylesheet`; callbacks `onSubmit`, `onPending`, `onSuccess`,
//! `onError`.

use super::phone;
use super::read::{at, countries, endpoint, flag, form_id, id_token, locale, only, texts_of, CALLBACKS};
use super::texts::{self, Locale};
#[allow(unused_imports)]
use crate::prelude::*;
use consentry::consent::{bad_member, explained};
use consentry::json::Value;

const KEYS: [&str; 11] = [
    "endpoint",
    "email",
    "sms",
    "externalId",
    "externalIdToken",
    "countries",
    "defaultCountry",
    "locale",
    "texts",
    "formId",
    "stylesheet",
];

/// One box: its group and disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Braze's `subscription_group_id`.
    pub group: String,
    /// Shown beside the box.
    pub disclosure: String,
}

/// Validated options.
#[derive(Debug, Clone, PartialEq)]
pub struct SignupOptions {
    /// The site's backend (the relay).
    pub endpoint: String,
    /// The email box.
    pub email: Choice,
    /// The SMS box.
    pub sms: Choice,
    /// Whether the SMS subscription goes through the double opt-in.
    pub double_opt_in: bool,
    /// The site's user id.
    pub external_id: Option<String>,
    /// The site backend's signature of it, for the relay.
    pub external_id_token: Option<String>,
    /// The countries offered.
    pub countries: Vec<&'static str>,
    /// The country selected at first.
    pub default_country: &'static str,
    /// The language.
    pub locale: Locale,
    /// The site's text overrides, and the language's built-in texts.
    pub texts: texts::Texts,
    /// The form's id.
    pub form_id: String,
    /// Load the default stylesheet.
    pub stylesheet: bool,
}

fn a_box<'v>(v: &'v Value, key: &str) -> Result<(Choice, Option<&'v Value>), String> {
    let expected = "an object: {subscriptionGroupId, disclosure}";
    let Some(b @ Value::Object(members)) = v.get(key) else {
        return Err(bad_member("options", key, v.get(key).unwrap_or(&Value::Null), expected));
    };
    for (k, _) in members {
        if !["subscriptionGroupId", "disclosure", "doubleOptIn"].contains(&k.as_str())
            || (key == "email" && k == "doubleOptIn")
        {
            return Err(explained(|| {
                let mut m = String::from("options.");
                m.push_str(key);
                m.push('.');
                m.push_str(k);
                m.push_str(" is not an option; expected subscriptionGroupId and disclosure");
                m
            }));
        }
    }
    let field = |k: &str| match b.get(k) {
        Some(Value::String(s)) if !super::trimmed(s).is_empty() => Ok(s.clone()),
        other => Err(explained(|| {
            let mut at = String::from("options.");
            at.push_str(key);
            bad_member(&at, k, other.unwrap_or(&Value::Null), "a non-empty string")
        })),
    };
    Ok((
        Choice {
            group: field("subscriptionGroupId")?,
            disclosure: field("disclosure")?,
        },
        b.get("doubleOptIn"),
    ))
}

impl SignupOptions {
    /// Validates the options object.
    pub fn parse(v: &Value) -> Result<SignupOptions, String> {
        only(v, &KEYS, &CALLBACKS)?;
        let (email, _) = a_box(v, "email")?;
        let (sms, double) = a_box(v, "sms")?;
        let double_opt_in = match double {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(bad_member("options.sms", "doubleOptIn", other, "true or false")),
        };
        let external_id = match v.get("externalId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => return Err(bad_member("options", "externalId", other, "a non-empty string")),
        };
        let (countries, default_country) = countries(v)?;
        Ok(SignupOptions {
            endpoint: endpoint(v, "the URL of your own backend, e.g. \"/api\"")?,
            email,
            sms,
            double_opt_in,
            external_id_token: id_token(v, &external_id)?,
            external_id,
            countries,
            default_country,
            locale: locale(v)?,
            texts: texts_of(v, texts::SIGNUP_FORM)?,
            form_id: form_id(v, "consentry-signup")?,
            stylesheet: flag(v, "stylesheet")?,
        })
    }

    /// `{endpoint}/users/track`.
    pub fn submit_url(&self) -> String {
        at(&self.endpoint, "/users/track")
    }
}

/// Whether `s` looks like an email address a message can reach: one `@`,
/// a local part, a domain with a dot, no spaces, at most 254 characters.
pub fn email_ok(s: &str) -> bool {
    // Bytes, not `str` searches: those bring panic formatting into the wasm.
    let b = s.as_bytes();
    let mut at = b.iter().enumerate().filter(|(_, &c)| c == b'@').map(|(i, _)| i);
    let (Some(i), None) = (at.next(), at.next()) else {
        return false;
    };
    let domain = b.get(i + 1..).unwrap_or_default();
    b.len() <= 254
        && i > 0
        && domain.len() >= 3
        && domain.contains(&b'.')
        && domain.first() != Some(&b'.')
        && domain.last() != Some(&b'.')
        && !b.iter().any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
}

/// What the visitor typed and ticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The email field.
    pub email: &'a str,
    /// The number field.
    pub phone: &'a str,
    /// The country picked.
    pub country: &'a str,
    /// The email box.
    pub email_box: bool,
    /// The SMS box.
    pub sms_box: bool,
}

/// The fields' errors (text keys), by field: `email`, `phone`; none when
/// the entry can be sent. An empty field is fine unless its box is ticked,
/// but one of the two is needed.
pub fn check(o: &SignupOptions, e: &Entry) -> (Option<&'static str>, Option<&'static str>, Option<String>) {
    let email = super::trimmed(e.email);
    let email_error = match (email.is_empty(), e.email_box) {
        (true, true) => Some("email_required"),
        (false, _) if !email_ok(email) => Some("email_invalid"),
        _ => None,
    };
    let allowed: Vec<&str> = o.countries.clone();
    let (phone_error, e164) = match (super::trimmed(e.phone).is_empty(), e.sms_box) {
        (true, true) => (Some("empty"), None),
        (true, false) => (None, None),
        (false, _) => match phone::normalise(e.phone, e.country, &allowed) {
            Ok(n) => (None, Some(n)),
            Err(err) => (Some(err.code()), None),
        },
    };
    let email_error = match (email_error, phone_error, email.is_empty(), e164.is_none()) {
        (None, None, true, true) => Some("need_contact"),
        (err, ..) => err,
    };
    (email_error, phone_error, e164)
}

/// Braze's `/users/track` body for the entry (checked already), with the
/// consent record: the ticked boxes' disclosures by group.
pub fn body(o: &SignupOptions, e: &Entry, e164: Option<&str>, consent: &[(&str, Value)]) -> String {
    let s = |t: &str| Value::String(t.to_string());
    let email = super::trimmed(e.email);
    let mut attributes: Vec<(String, Value)> = Vec::new();
    if let Some(id) = &o.external_id {
        attributes.push(("external_id".into(), s(id)));
    }
    if !email.is_empty() {
        attributes.push(("email".into(), s(email)));
    }
    if let Some(p) = e164 {
        attributes.push(("phone".into(), s(p)));
    }
    let mut groups = Vec::new();
    let mut disclosures = Vec::new();
    if e.email_box {
        groups.push(Value::Object(vec![
            ("subscription_group_id".into(), s(&o.email.group)),
            ("subscription_state".into(), s("subscribed")),
        ]));
        disclosures.push((o.email.group.clone(), s(&o.email.disclosure)));
    }
    if e.sms_box {
        groups.push(Value::Object(vec![
            ("subscription_group_id".into(), s(&o.sms.group)),
            ("subscription_state".into(), s("subscribed")),
            ("use_double_opt_in_logic".into(), Value::Bool(o.double_opt_in)),
        ]));
        disclosures.push((o.sms.group.clone(), s(&o.sms.disclosure)));
    }
    attributes.push(("subscription_groups".into(), Value::Array(groups)));
    // The SMS box's disclosure is the record's `disclosure` when ticked.
    let main = if e.sms_box {
        &o.sms.disclosure
    } else {
        &o.email.disclosure
    };
    let mut record = vec![
        ("disclosure".to_string(), s(main)),
        ("disclosures".to_string(), Value::Object(disclosures)),
    ];
    record.extend(consent.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let mut body = vec![("attributes".into(), Value::Array(vec![Value::Object(attributes)]))];
    if let Some(t) = &o.external_id_token {
        body.push(("external_id_token".into(), s(t)));
    }
    body.push(("consent".into(), Value::Object(record)));
    Value::Object(body).to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use consentry::json;

    fn options(extra: &str) -> Result<SignupOptions, String> {
        SignupOptions::parse(
            &json::parse(&format!(
                r#"{{"endpoint":"/api","email":{{"subscriptionGroupId":"news","disclosure":"Email terms"}},"sms":{{"subscriptionGroupId":"sms","disclosure":"SMS terms"}}{extra}}}"#
            ))
            .unwrap(),
        )
    }

    fn entry<'a>(email: &'a str, phone: &'a str, email_box: bool, sms_box: bool) -> Entry<'a> {
        Entry {
            email,
            phone,
            country: "US",
            email_box,
            sms_box,
        }
    }

    #[test]
    fn options_need_both_boxes_and_name_what_is_wrong() {
        let o = options(r#","externalId":"u1""#).unwrap();
        assert_eq!(
            (o.email.group.as_str(), o.sms.group.as_str(), o.double_opt_in),
            ("news", "sms", true)
        );
        assert_eq!(o.submit_url(), "/api/users/track");
        let bad = |text: &str| SignupOptions::parse(&json::parse(text).unwrap()).unwrap_err();
        assert!(bad(r#"{"endpoint":"/"}"#).contains("options.email is null; expected an object"));
        assert!(options(r#","sms":{"subscriptionGroupId":"sms"}"#)
            .unwrap_err()
            .contains("options.sms.disclosure"));
        assert!(
            options(r#","sms":{"subscriptionGroupId":"sms","disclosure":"x","doubleOptIn":"yes"}"#)
                .unwrap_err()
                .contains("doubleOptIn is \"yes\"")
        );
        assert!(
            options(r#","email":{"subscriptionGroupId":"n","disclosure":"x","doubleOptIn":true}"#)
                .unwrap_err()
                .contains("options.email.doubleOptIn is not an option")
        );
        assert!(options(r#","apiKey":"x""#).unwrap_err().contains("no secret"));
    }

    #[test]
    fn each_box_needs_its_field_and_one_field_is_needed() {
        let o = options("").unwrap();
        assert_eq!(check(&o, &entry("", "", true, false)).0, Some("email_required"));
        assert_eq!(check(&o, &entry("", "", false, true)).1, Some("empty"));
        assert_eq!(check(&o, &entry("", "", false, false)).0, Some("need_contact"));
        assert_eq!(check(&o, &entry("ana@", "", false, false)).0, Some("email_invalid"));
        assert_eq!(
            check(&o, &entry("ana@example.com", "415 CALL", false, false)).1,
            Some("invalid_character")
        );
        let ok = check(&o, &entry("ana@example.com", "(415) 555-2671", true, true));
        assert_eq!(ok, (None, None, Some("+14155552671".into())));
        for good in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(email_ok(good), "{good}");
        }
        for bad in ["a@b", "a b@c.de", "@c.de", "a@@c.de", "a@.de", "a@c.de."] {
            assert!(!email_ok(bad), "{bad}");
        }
    }

    #[test]
    fn the_body_subscribes_the_ticked_boxes_with_their_disclosures() {
        let o = options(r#","externalId":"u1""#).unwrap();
        let e = entry("ana@example.com", "4155552671", true, true);
        let body = body(
            &o,
            &e,
            Some("+14155552671"),
            &[("form_id", Value::String("signup".into()))],
        );
        assert_eq!(
            body,
            r#"{"attributes":[{"external_id":"u1","email":"ana@example.com","phone":"+14155552671","subscription_groups":[{"subscription_group_id":"news","subscription_state":"subscribed"},{"subscription_group_id":"sms","subscription_state":"subscribed","use_double_opt_in_logic":true}]}],"consent":{"disclosure":"SMS terms","disclosures":{"news":"Email terms","sms":"SMS terms"},"form_id":"signup"}}"#
        );
        // With the backend's token for the external id, the relay takes it.
        let signed = options(r#","externalId":"u1","externalIdToken":"t.o.k""#).unwrap();
        let body = super::body(&signed, &e, Some("+14155552671"), &[]);
        assert!(
            body.contains(r#"}]}],"external_id_token":"t.o.k","consent":"#),
            "{body}"
        );
        assert!(options(r#","externalIdToken":"t.o.k""#)
            .unwrap_err()
            .contains("options.externalIdToken is \"t.o.k\"; expected the token your backend signed"));
        // Neither box ticked: the profile, and no subscription.
        let none = super::body(&o, &entry("ana@example.com", "", false, false), None, &[]);
        assert!(
            none.contains(r#""subscription_groups":[]"#) && none.contains(r#""disclosures":{}"#),
            "{none}"
        );
    }
}
