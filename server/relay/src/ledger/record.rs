//! What the ledger holds: a typed record per entry (a phone or email
//! opt-in's consent record, or a cookie choice's receipt), written as one
//! JSON object whose text the chain hashes. The columns an entry is found
//! and pruned by come from its fields, and are read back from its text the
//! same way when it is verified.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One ledger entry's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A subscription the relay acknowledged: one per number (or email) and
    /// external id of a request.
    Subscription(Subscription),
    /// A committed cookie choice.
    Receipt(Receipt),
}

/// A subscription's consent record: what the visitor was shown and where,
/// and what the relay asked of the subscription service.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Subscription {
    /// The request's `Idempotency-Key`.
    pub idempotency_key: String,
    /// The Braze endpoint it went to.
    pub path: String,
    /// The subscription group.
    pub subscription_group_id: String,
    /// Always `subscribed`: a page may only subscribe.
    pub subscription_state: &'static str,
    /// What Braze was told of the double opt-in (`None` for an email group).
    pub use_double_opt_in_logic: Option<bool>,
    /// The number subscribed (E.164), for an SMS or WhatsApp group.
    pub phone: Option<String>,
    /// The email subscribed, for an email group.
    pub email: Option<String>,
    /// The external id it was subscribed with (signed by the site's backend).
    pub external_id: Option<String>,
    /// The browser's consent id (its cookie choice's), when the page has one.
    pub consent_id: Option<String>,
    /// The disclosure text the visitor saw.
    pub disclosure: String,
    /// SHA-256 of `disclosure` as the relay computed it.
    pub disclosure_sha256: String,
    /// SHA-256 of the disclosure as the page computed it.
    pub client_disclosure_sha256: String,
    /// The form's language.
    pub locale: String,
    /// The page the form was on.
    pub page_url: String,
    /// The form's id.
    pub form_id: String,
    /// The page's clock when the visitor submitted, ms.
    pub client_time: Option<u64>,
    /// The relay's clock when it wrote the entry, ms (retention counts from it).
    pub server_time: i64,
    /// The client's IP.
    pub ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
}

/// A receipt of a committed cookie choice, as the gate's `receipts` sends it
/// (each field validated by the relay).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Receipt {
    /// The receipt's own key (one entry per key).
    pub key: String,
    /// The browser's consent id.
    pub consent_id: String,
    /// The page's clock at the choice, ms.
    pub time: u64,
    /// The configuration's revision.
    pub revision: u64,
    /// Every category's permission after the choice.
    pub permissions: serde_json::Map<String, Value>,
    /// The categories the choice changed.
    pub changes: serde_json::Map<String, Value>,
    /// Whether the browser sent Global Privacy Control.
    pub gpc: bool,
    /// SHA-256 of the TC string, if any.
    pub tc_sha256: Option<String>,
    /// SHA-256 of the GPP string, if any.
    pub gpp_sha256: Option<String>,
    /// What the banner showed (its texts' hash, language, layout), if it asked.
    pub banner: Value,
    /// The page the choice was made on.
    pub page: String,
    /// What made the choice (`banner`, `api`, ...).
    pub cause: String,
    /// The relay's clock when it wrote the entry, ms.
    pub server_time: i64,
    /// The client's IP.
    pub ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
}

/// The columns an entry is found by (export) and pruned by: each is a
/// field of the entry's hashed text, and `verify` checks that they still
/// are, so a changed column is named like a changed text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Columns {
    /// `kind`: `subscription` or `receipt`.
    pub kind: String,
    /// `phone`.
    pub phone: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `consent_id`.
    pub consent_id: Option<String>,
    /// `server_time`, ms: when the relay wrote it (retention counts from it).
    #[serde(rename = "server_time")]
    pub time: i64,
}

impl Columns {
    /// The columns a stored entry's text names (an entry whose text is not
    /// such an object has none, and its stored columns then do not match).
    pub fn of(text: &str) -> Columns {
        serde_json::from_str(text).unwrap_or_default()
    }
}

impl Record {
    /// The columns stored beside the entry.
    pub fn columns(&self) -> Columns {
        match self {
            Record::Subscription(s) => Columns {
                kind: "subscription".into(),
                phone: s.phone.clone(),
                external_id: s.external_id.clone(),
                consent_id: s.consent_id.clone(),
                time: s.server_time,
            },
            Record::Receipt(r) => Columns {
                kind: "receipt".into(),
                phone: None,
                external_id: None,
                consent_id: Some(r.consent_id.clone()),
                time: r.server_time,
            },
        }
    }

    /// The entry's text: what the chain hashes.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_of_a_record_are_those_its_text_names() {
        let records = [
            Record::Subscription(Subscription {
                phone: Some("+14155552671".into()),
                external_id: Some("u1".into()),
                consent_id: Some("c1".into()),
                server_time: 7,
                ..Subscription::default()
            }),
            Record::Subscription(Subscription {
                email: Some("a@example.com".into()),
                server_time: 8,
                ..Subscription::default()
            }),
            Record::Receipt(Receipt {
                consent_id: "c2".into(),
                server_time: 9,
                ..Receipt::default()
            }),
        ];
        for r in &records {
            assert_eq!(Columns::of(&r.text()), r.columns(), "{}", r.text());
        }
        assert!(records[0].text().starts_with(r#"{"kind":"subscription","#));
        assert_eq!(Columns::of("not json"), Columns::default());
        assert_eq!(Columns::of(r#"{"kind":"receipt","phone":5}"#), Columns::default());
    }
}
