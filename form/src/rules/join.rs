//! Text-to-join: "Text JOIN to 12345" as a link that opens the phone's
//! messages app with the keyword filled in, and on a desktop as a QR code
//! (drawn by the QR module, `qr/`, loaded only then); for WhatsApp, a click-to-chat
//! link `https://wa.me/<number>?text=<keyword>` and its QR code. The texted
//! keyword goes through the programme's double opt-in like any other.
//!
//! Options of `consentry.renderTextToJoin(target, options)` (and the capture
//! form's `textToJoin`): `number` (a short code such as `"12345"`, or an
//! E.164 long code; for WhatsApp the business number in E.164), `keyword`
//! (`"JOIN"`), `channel`, `programme`, `disclosure` (shown beside the link,
//! as the law asks of any opt-in), `locale`, `texts`, `formId`,
//! `stylesheet`.

use super::read::{flag, form_id, locale, only, string, texts_of};
use super::texts::{self, Locale};
#[allow(unused_imports)]
use crate::prelude::*;
pub use consentry::channel::Channel;
use consentry::consent::{bad_member, explained};
use consentry::json::Value;

const KEYS: [&str; 9] = [
    "number",
    "keyword",
    "channel",
    "programme",
    "disclosure",
    "locale",
    "texts",
    "formId",
    "stylesheet",
];

/// The phone the link opens on, which decides the `sms:` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// iOS: `sms:12345&body=JOIN`.
    Ios,
    /// Android (and others): `sms:12345?body=JOIN`.
    Android,
    /// A computer: the QR code is what people use.
    Desktop,
}

impl Platform {
    /// From the shell's `"ios"`, `"android"` or `"desktop"`.
    pub fn parse(s: &str) -> Platform {
        match s {
            "ios" => Platform::Ios,
            "android" => Platform::Android,
            _ => Platform::Desktop,
        }
    }
}

/// Validated options.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinOptions {
    /// SMS or WhatsApp.
    pub channel: Channel,
    /// The short code, or the long code's digits with its `+`.
    pub number: String,
    /// The keyword to text.
    pub keyword: String,
    /// The programme's name.
    pub programme: String,
    /// The disclosure shown beside the link.
    pub disclosure: String,
    /// The language.
    pub locale: Locale,
    /// The site's text overrides, and the language's built-in texts.
    pub texts: texts::Texts,
    /// The block's id.
    pub form_id: String,
    /// Load the default stylesheet.
    pub stylesheet: bool,
}

impl JoinOptions {
    /// Validates the options object.
    pub fn parse(v: &Value) -> Result<JoinOptions, String> {
        only(v, &KEYS, &[])?;
        let channel = match v.get("channel") {
            None => Channel::Sms,
            Some(value) => match value {
                Value::String(s) => Channel::parse(s),
                _ => None,
            }
            .ok_or_else(|| bad_member("options", "channel", value, "\"sms\" or \"whatsapp\""))?,
        };
        let number = string(
            v,
            "number",
            "a short code such as \"12345\" or an E.164 number such as \"+14155550100\"",
        )?;
        let digits = number.strip_prefix('+').unwrap_or(&number);
        let short = !number.starts_with('+') && (3..=8).contains(&digits.len());
        let long = number.starts_with('+') && (8..=15).contains(&digits.len());
        let whatsapp = channel == Channel::WhatsApp;
        if !digits.bytes().all(|b| b.is_ascii_digit()) || !(long || (short && !whatsapp)) {
            let expected = if whatsapp {
                "the WhatsApp business number in E.164, such as \"+14155550100\""
            } else {
                "a short code of 3 to 8 digits such as \"12345\", or an E.164 number such as \"+14155550100\""
            };
            return Err(bad_member("options", "number", &Value::String(number), expected));
        }
        let keyword = string(v, "keyword", "the opt-in keyword to text, such as \"JOIN\"")?;
        if !channel.takes_keyword(&keyword) {
            return Err(bad_member(
                "options",
                "keyword",
                &Value::String(keyword),
                if whatsapp {
                    "at most 34 characters: words separated by single spaces"
                } else {
                    "one word of at most 34 characters (SMS keywords have no spaces)"
                },
            ));
        }
        Ok(JoinOptions {
            channel,
            number,
            keyword,
            programme: string(v, "programme", "the programme's name, e.g. \"Acme Alerts\"")?,
            disclosure: string(v, "disclosure", "the programme's disclosure text")?,
            locale: locale(v)?,
            texts: texts_of(v, texts::JOIN_FORM)?,
            form_id: form_id(v, "consentry-join")?,
            stylesheet: flag(v, "stylesheet")?,
        })
    }

    /// Validates a capture form's `textToJoin` block (with the form's
    /// programme, disclosure, channel and language filled in): an error
    /// names the option under `options.textToJoin`.
    pub fn parse_in_form(v: &Value) -> Result<JoinOptions, String> {
        JoinOptions::parse(v).map_err(|e| {
            explained(|| {
                let mut m = String::from("options.textToJoin.");
                m.push_str(e.strip_prefix("options.").unwrap_or(&e));
                m
            })
        })
    }

    /// The text of `key`, `{keyword}` and `{number}` filled in.
    pub fn text(&self, key: &str) -> String {
        let t = self.texts.get(key);
        fill(&t, &[("{keyword}", &self.keyword), ("{number}", &self.number)])
    }

    /// The link a phone opens: `sms:` in the form its platform accepts, or
    /// WhatsApp's click-to-chat.
    pub fn link(&self, platform: Platform) -> String {
        let mut url = String::new();
        match self.channel {
            Channel::WhatsApp => {
                url.push_str("https://wa.me/");
                // (Byte by byte: `trim_start_matches` decodes each char.)
                let plus = self.number.bytes().take_while(|b| *b == b'+').count();
                url.push_str(self.number.get(plus..).unwrap_or_default());
                url.push_str("?text=");
            }
            Channel::Sms => {
                url.push_str("sms:");
                url.push_str(&self.number);
                url.push_str(if platform == Platform::Ios { "&body=" } else { "?body=" });
            }
        }
        encode(&mut url, &self.keyword);
        url
    }

    /// What the QR code holds: WhatsApp's link, or for SMS the `SMSTO:`
    /// form that the camera apps of both iOS and Android open in their
    /// messages app with the keyword filled in.
    pub fn qr_text(&self) -> String {
        match self.channel {
            Channel::WhatsApp => self.link(Platform::Desktop),
            Channel::Sms => {
                let mut t = String::from("SMSTO:");
                t.push_str(&self.number);
                t.push(':');
                t.push_str(&self.keyword);
                t
            }
        }
    }
}

/// `text` with each placeholder replaced by its value, searching bytes
/// (`str::replace` would bring the string searcher and its panic
/// formatting into the wasm).
fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for (key, value) in values {
            if rest.as_bytes().starts_with(key.as_bytes()) {
                out.push_str(value);
                rest = rest.get(key.len()..).unwrap_or_default();
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// Percent-encodes `text` into `out` (RFC 3986 unreserved characters stay).
fn encode(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 15] {
                out.push(char::from(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0')));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consentry::json;

    fn options(extra: &str) -> Result<JoinOptions, String> {
        JoinOptions::parse(
            &json::parse(&format!(
                r#"{{"number":"12345","keyword":"JOIN","programme":"Acme Alerts","disclosure":"Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel."{extra}}}"#
            ))
            .unwrap(),
        )
    }

    #[test]
    fn sms_links_in_the_form_each_platform_accepts() {
        let o = options("").unwrap();
        assert_eq!(o.link(Platform::Ios), "sms:12345&body=JOIN");
        assert_eq!(o.link(Platform::Android), "sms:12345?body=JOIN");
        assert_eq!(o.qr_text(), "SMSTO:12345:JOIN");
        assert_eq!(o.text("join_title"), "Text JOIN to 12345");
        let long = options(r#","keyword":"JOIN","number":"+14155550100""#).unwrap();
        assert_eq!(long.link(Platform::Android), "sms:+14155550100?body=JOIN");
    }

    #[test]
    fn whatsapp_click_to_chat() {
        let o = options(r#","channel":"whatsapp","number":"+821012345678","keyword":"가입""#).unwrap();
        assert_eq!(
            o.link(Platform::Ios),
            "https://wa.me/821012345678?text=%EA%B0%80%EC%9E%85"
        );
        assert_eq!(o.qr_text(), o.link(Platform::Desktop));
        let phrase = options(r#","channel":"whatsapp","number":"+821012345678","keyword":"JOIN NOW""#).unwrap();
        assert_eq!(phrase.link(Platform::Ios), "https://wa.me/821012345678?text=JOIN%20NOW");
        // WhatsApp has no short codes.
        assert!(options(r#","channel":"whatsapp""#)
            .unwrap_err()
            .contains("WhatsApp business number"));
    }

    #[test]
    fn bad_options_are_named() {
        for (extra, expected) in [
            (r#","number":"12-345""#, r#"options.number is "12-345""#),
            (r#","number":"12""#, "short code of 3 to 8 digits"),
            (r#","keyword":"""#, "options.keyword"),
            (r#","keyword":"JOIN NOW""#, "SMS keywords have no spaces"),
            (r#","keyword":"JOIN\nNOW""#, "SMS keywords have no spaces"),
            (
                r#","channel":"whatsapp","number":"+14155550100","keyword":"JOIN  NOW""#,
                "words separated by single spaces",
            ),
            (r#","programme":1"#, "options.programme is 1"),
            (r#","endpoint":"/""#, "options.endpoint is not an option"),
        ] {
            let err = options(extra).unwrap_err();
            assert!(err.contains(expected), "{extra}: {err}");
        }
    }
}
