//! The options of `consentry.renderPhoneCapture(target, options)`,
//! validated. The callbacks (`onSubmit`, `onPending`, ...) are JS functions
//! the web layer keeps; everything else is decided here.
//!
//! No secret may reach the browser: an option that carries an API key or an
//! `Authorization` header is refused, and the form posts to the site's own
//! endpoint, which holds the messaging platform's key.

use super::read::{at, bad, countries, endpoint, flag, form_id, id_token, locale, only, string, texts_of, CALLBACKS};
use super::texts::{self, Locale};
#[allow(unused_imports)]
use crate::prelude::*;
pub use consentry::channel::Channel;
use consentry::json::Value;

/// Inline in the target element, or as an in-app modal dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inside the target element.
    Inline,
    /// A modal dialog (in-app messages).
    Modal,
}

/// Validated form options.
#[derive(Debug, Clone, PartialEq)]
pub struct FormOptions {
    /// Braze's `subscription_group_id`.
    pub subscription_group_id: String,
    /// The channel.
    pub channel: Channel,
    /// The site's own endpoint; the form posts to `{endpoint}/subscription/status/set`
    /// (empty with `delivery: "brazeBridge"`).
    pub endpoint: String,
    /// Inside a Braze HTML in-app message: subscribe through `brazeBridge`
    /// (the Braze Web SDK) instead of posting to `endpoint`.
    pub bridge: bool,
    /// ISO codes of the countries offered, in order.
    pub countries: Vec<&'static str>,
    /// The country selected at first.
    pub default_country: &'static str,
    /// The site's user id, when known.
    pub external_id: Option<String>,
    /// The site backend's signature of it, for the relay.
    pub external_id_token: Option<String>,
    /// `use_double_opt_in_logic`.
    pub double_opt_in: bool,
    /// The form's language.
    pub locale: Locale,
    /// The site's text overrides, and the language's built-in texts.
    pub texts: texts::Texts,
    /// The programme's name.
    pub programme: String,
    /// The disclosure shown next to the checkbox.
    pub disclosure: String,
    /// The form's id, recorded with the consent.
    pub form_id: String,
    /// Inline or modal.
    pub mode: Mode,
    /// Load the default stylesheet (`consentry-form.css`) beside the module.
    pub stylesheet: bool,
    /// "Text JOIN to 12345" under the form: `renderTextToJoin`'s options
    /// (the form's programme, disclosure, channel and language filled in).
    pub text_to_join: Option<Value>,
}

impl FormOptions {
    /// The URL the form posts to.
    pub fn submit_url(&self) -> String {
        at(&self.endpoint, "/subscription/status/set")
    }
}

const KEYS: [&str; 17] = [
    "subscriptionGroupId",
    "channel",
    "endpoint",
    "countries",
    "defaultCountry",
    "externalId",
    "externalIdToken",
    "doubleOptIn",
    "locale",
    "texts",
    "programme",
    "disclosure",
    "formId",
    "mode",
    "stylesheet",
    "delivery",
    "textToJoin",
];

impl FormOptions {
    /// Validates the options object; warnings (a disclosure that misses what
    /// a compliant one states) go to `warnings`.
    pub fn parse(v: &Value, warnings: &mut Vec<String>) -> Result<FormOptions, String> {
        only(v, &KEYS, &CALLBACKS)?;
        let bridge = match v.get("delivery") {
            None => false,
            Some(Value::String(s)) if s == "endpoint" => false,
            Some(Value::String(s)) if s == "brazeBridge" => true,
            Some(other) => return Err(bad("delivery", other, "\"endpoint\" or \"brazeBridge\"")),
        };
        let endpoint = match (bridge, v.get("endpoint")) {
            (true, None) => String::new(),
            _ => endpoint(
                v,
                "the URL of your own backend, e.g. \"/api\" (or delivery: \"brazeBridge\" in a Braze in-app message)",
            )?,
        };
        let (countries, default_country) = countries(v)?;
        let channel = match v.get("channel") {
            None => Channel::Sms,
            Some(value) => match value {
                Value::String(s) => Channel::parse(s),
                _ => None,
            }
            .ok_or_else(|| bad("channel", value, "\"sms\" or \"whatsapp\""))?,
        };
        let mode = match v.get("mode") {
            None => Mode::Inline,
            Some(Value::String(s)) if s == "inline" => Mode::Inline,
            Some(Value::String(s)) if s == "modal" => Mode::Modal,
            Some(other) => return Err(bad("mode", other, "\"inline\" or \"modal\"")),
        };
        let locale = locale(v)?;
        let flag = |key: &str| flag(v, key);
        let double_opt_in = flag("doubleOptIn")?;
        let stylesheet = flag("stylesheet")?;
        let texts = texts_of(v, texts::CAPTURE_FORM)?;
        let external_id = match v.get("externalId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(bad("externalId", other, "a string")),
        };
        let programme = string(v, "programme", "the programme's name, e.g. \"Acme Alerts\"")?;
        let disclosure = string(v, "disclosure", "the programme's disclosure text")?;
        for missing in super::payload::missing_from_disclosure(&disclosure, &programme) {
            let mut w = String::from("the disclosure does not state ");
            w.push_str(missing);
            warnings.push(w);
        }
        let form_id = form_id(v, "consentry-phone")?;
        // The block is checked by text-to-join's rules, in its own module,
        // which the shell loads for a form with one (`JoinOptions::parse_in_form`).
        let text_to_join = match v.get("textToJoin") {
            None | Some(Value::Null) => None,
            Some(Value::Object(members)) => {
                // The form's own programme, disclosure, channel and language,
                // unless the block names its own.
                let mut join = members.clone();
                for key in ["programme", "disclosure", "channel", "locale"] {
                    if let (None, Some(value)) = (join.iter().find(|(k, _)| k == key), v.get(key)) {
                        join.push((key.to_string(), value.clone()));
                    }
                }
                Some(Value::Object(join))
            }
            Some(other) => return Err(bad("textToJoin", other, "an object: {number, keyword}")),
        };
        Ok(FormOptions {
            subscription_group_id: string(v, "subscriptionGroupId", "your subscription group's id")?,
            channel,
            endpoint,
            bridge,
            countries,
            default_country,
            external_id_token: id_token(v, &external_id)?,
            external_id,
            double_opt_in,
            locale,
            texts,
            programme,
            disclosure,
            form_id,
            mode,
            stylesheet,
            text_to_join,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consentry::json;

    const DISCLOSURE: &str = "By checking this box you agree to receive recurring marketing texts from Acme Alerts \
        (up to 4 msgs/month). Msg & data rates may apply. Reply HELP for help, STOP to cancel.";

    fn options(extra: &str) -> Result<FormOptions, String> {
        let text = format!(
            r#"{{"subscriptionGroupId":"acme-sms","endpoint":"/api","programme":"Acme Alerts","disclosure":"{DISCLOSURE}"{extra}}}"#
        );
        FormOptions::parse(&json::parse(&text).unwrap(), &mut vec![])
    }

    #[test]
    fn defaults_are_what_a_form_needs() {
        let o = options("").unwrap();
        assert_eq!(
            (o.channel, o.mode, o.locale, o.double_opt_in),
            (Channel::Sms, Mode::Inline, Locale::En, true)
        );
        assert_eq!(o.default_country, "US");
        assert_eq!(o.submit_url(), "/api/subscription/status/set");
        assert_eq!(o.texts.get("submit"), "Subscribe");
        assert!(!o.bridge);
    }

    #[test]
    fn texts_take_the_forms_keys_only() {
        let o = options(r#","texts":{"submit":"Join","change":"Edit"}"#).unwrap();
        assert_eq!(
            (o.texts.get("submit"), o.texts.get("change")),
            ("Join".into(), "Edit".into())
        );
        // The verification form's title is not this form's.
        let err = options(r#","texts":{"v_title":"Verify"}"#).unwrap_err();
        assert!(
            err.starts_with(r#"options.texts.v_title is "Verify"; expected a string for one of country, phone,"#),
            "{err}"
        );
        assert!(!err.contains("v_login_title"), "{err}");
    }

    #[test]
    fn text_to_join_under_the_form_takes_the_forms_programme_and_disclosure() {
        let o = options(r#","textToJoin":{"number":"12345","keyword":"JOIN"}"#).unwrap();
        let join = super::super::join::JoinOptions::parse_in_form(o.text_to_join.as_ref().unwrap()).unwrap();
        assert_eq!(
            (join.programme.as_str(), join.disclosure.as_str()),
            ("Acme Alerts", DISCLOSURE)
        );
        let o = options(r#","textToJoin":{"number":"12-345","keyword":"JOIN"}"#).unwrap();
        let err = super::super::join::JoinOptions::parse_in_form(o.text_to_join.as_ref().unwrap()).unwrap_err();
        assert!(err.starts_with(r#"options.textToJoin.number is "12-345""#), "{err}");
        assert!(options(r#","textToJoin":"JOIN""#)
            .unwrap_err()
            .contains("options.textToJoin is \"JOIN\""));
    }

    #[test]
    fn in_a_braze_in_app_message_the_bridge_replaces_the_endpoint() {
        let bridge = |text: &str| FormOptions::parse(&json::parse(text).unwrap(), &mut vec![]);
        let o = bridge(&format!(
            r#"{{"subscriptionGroupId":"acme-sms","delivery":"brazeBridge","programme":"Acme Alerts","disclosure":"{DISCLOSURE}"}}"#
        ))
        .unwrap();
        assert!(o.bridge && o.endpoint.is_empty());
        // Without the bridge the endpoint is required, and naming it says why.
        assert!(options(r#","delivery":"endpoint""#).is_ok());
        let err = bridge(&format!(
            r#"{{"subscriptionGroupId":"g","programme":"A","disclosure":"{DISCLOSURE}"}}"#
        ))
        .unwrap_err();
        assert!(err.contains("delivery: \"brazeBridge\""), "{err}");
        assert!(options(r#","delivery":"sdk""#)
            .unwrap_err()
            .contains(r#"options.delivery is "sdk"; expected "endpoint" or "brazeBridge""#));
    }

    #[test]
    fn countries_locale_and_text_overrides() {
        let mut o = options(r#","countries":["KR","JP"],"defaultCountry":"jp","locale":"ko-KR","texts":{"submit":"가입"},"mode":"modal""#).unwrap();
        o.texts.builtin = texts::builtin(Locale::Ko);
        assert_eq!((o.countries.clone(), o.default_country), (vec!["KR", "JP"], "JP"));
        assert_eq!(
            (o.locale, o.texts.get("submit"), o.texts.get("close")),
            (Locale::Ko, "가입".to_string(), "닫기".to_string())
        );
        assert_eq!(o.mode, Mode::Modal);
    }

    #[test]
    fn secrets_are_refused() {
        for extra in [
            r#","apiKey":"abc""#,
            r#","headers":{"Authorization":"Bearer x"}"#,
            r#","braze_api_key":"abc""#,
        ] {
            let err = options(extra).unwrap_err();
            assert!(err.contains("no secret may reach the browser"), "{extra}: {err}");
        }
        let text = format!(
            r#"{{"subscriptionGroupId":"g","endpoint":"https://rest.braze.com?api_key=x","programme":"Acme Alerts","disclosure":"{DISCLOSURE}"}}"#
        );
        let err = FormOptions::parse(&json::parse(&text).unwrap(), &mut vec![]).unwrap_err();
        assert!(err.contains("no secret"), "{err}");
    }

    #[test]
    fn errors_name_the_option_and_what_was_expected() {
        let cases = [
            (
                r#","countries":["XX"]"#,
                "options.countries is \"XX\"; expected an ISO code",
            ),
            (
                r#","countries":["KR"],"defaultCountry":"US""#,
                "options.defaultCountry is \"US\"; expected one of the form's countries (options.countries): KR",
            ),
            (
                r#","defaultCountry":"XX""#,
                "options.defaultCountry is \"XX\"; expected one of the form's countries (options.countries): US, CA,",
            ),
            (
                r#","channel":"email""#,
                "options.channel is \"email\"; expected \"sms\" or \"whatsapp\"",
            ),
            (
                r#","locale":"fr""#,
                "options.locale is \"fr\"; expected \"en\", \"ko\" or \"ja\"",
            ),
            (
                r#","texts":{"nope":"x"}"#,
                "options.texts.nope is \"x\"; expected a string for one of",
            ),
            (
                r#","doubleOptIn":"yes""#,
                "options.doubleOptIn is \"yes\"; expected true or false",
            ),
            (r#","colour":"red""#, "options.colour is not an option"),
        ];
        for (extra, expected) in cases {
            let err = options(extra).unwrap_err();
            assert!(err.starts_with(expected), "{extra}: {err}");
        }
        let err = FormOptions::parse(&json::parse("{}").unwrap(), &mut vec![]).unwrap_err();
        assert!(err.starts_with("options.endpoint is required"), "{err}");
    }

    #[test]
    fn a_thin_disclosure_is_warned_about() {
        let mut warnings = vec![];
        let text = r#"{"subscriptionGroupId":"g","endpoint":"/api","programme":"Acme Alerts","disclosure":"Get Acme Alerts texts!"}"#;
        FormOptions::parse(&json::parse(text).unwrap(), &mut warnings).unwrap();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains("message frequency"));
    }
}
