//! What a page may make the relay send under the site's Braze key: the
//! fields the SDK's forms send, and nothing else. The relay builds the body
//! it forwards from these fields of the page's request (never the page's
//! body itself), so events, purchases, other attributes or an opt-out of
//! someone else cannot ride along; a field outside the list is a 400 that
//! names it.
//!
//! ```
//! use consentry_relay::allow_list::{unknown_fields, upstream};
//! use serde_json::json;
//! let page = json!({"subscription_group_id": "g", "subscription_state": "subscribed",
//!     "phone": "+14155552671", "use_double_opt_in_logic": false, "consent": {}});
//! let mut errors = Vec::new();
//! unknown_fields("/subscription/status/set", &page, &mut errors);
//! assert!(errors.is_empty());
//! let sent = upstream("/subscription/status/set", &page, &|_, _| Some(true));
//! assert_eq!(sent, json!({"subscription_group_id": "g", "subscription_state": "subscribed",
//!     "phone": ["+14155552671"], "use_double_opt_in_logic": true}));
//! ```

use serde_json::{Map, Value};

/// Top-level fields every path may carry for the relay alone: the consent
/// record (kept in the ledger) and the signed external id.
const RELAY_ONLY: [&str; 2] = ["consent", "external_id_token"];

/// `/subscription/status/set`: one group's change.
const V1: [&str; 6] = [
    "subscription_group_id",
    "subscription_state",
    "phone",
    "email",
    "external_id",
    "use_double_opt_in_logic",
];

/// `/v2/subscription/status/set`'s `subscription_groups[]`.
const V2_GROUP: [&str; 6] = [
    "subscription_group_id",
    "subscription_state",
    "phones",
    "emails",
    "external_ids",
    "use_double_opt_in_logic",
];

/// `/users/track`'s `attributes[]` (the sign-up form's).
const ATTRIBUTE: [&str; 4] = ["external_id", "phone", "email", "subscription_groups"];

/// `/users/track`'s `attributes[].subscription_groups[]`.
const TRACK_GROUP: [&str; 3] = ["subscription_group_id", "subscription_state", "use_double_opt_in_logic"];

fn only(v: &Value, at: &str, allowed: &[&str], errors: &mut Vec<String>) {
    for key in v.as_object().into_iter().flat_map(Map::keys) {
        if !allowed.contains(&key.as_str()) {
            errors.push(format!(
                "{at}{key} is not forwarded by the relay; expected only {}",
                allowed.join(", ")
            ));
        }
    }
}

fn each<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = (usize, &'v Value)> {
    v.get(key).and_then(Value::as_array).into_iter().flatten().enumerate()
}

/// Names every field of the page's body for `path` that the relay does not
/// forward (the types of the known ones are [`crate::braze`]'s to check).
pub fn unknown_fields(path: &str, body: &Value, errors: &mut Vec<String>) {
    let top: Vec<&str> = match path {
        "/subscription/status/set" => V1.iter().chain(&RELAY_ONLY).copied().collect(),
        "/v2/subscription/status/set" => vec!["subscription_groups", RELAY_ONLY[0], RELAY_ONLY[1]],
        _ => vec!["attributes", RELAY_ONLY[0], RELAY_ONLY[1]],
    };
    only(body, "", &top, errors);
    for (i, g) in each(body, "subscription_groups") {
        only(g, &format!("subscription_groups[{i}]."), &V2_GROUP, errors);
    }
    for (i, a) in each(body, "attributes") {
        let at = format!("attributes[{i}].");
        only(a, &at, &ATTRIBUTE, errors);
        for (j, g) in each(a, "subscription_groups") {
            only(g, &format!("{at}subscription_groups[{j}]."), &TRACK_GROUP, errors);
        }
    }
}

/// The flag to send for a group, from the group's id and the page's flag:
/// `None` leaves it out (an email group has no double opt-in).
pub type DoubleOptIn<'a> = &'a dyn Fn(&str, bool) -> Option<bool>;

/// One group's object as Braze gets it: its id, `subscribed` (the only
/// state a page may ask for), the ids under `ids` as arrays, and the
/// double-opt-in flag as `double_opt_in` decides.
fn group(g: &Value, ids: &[&str], double_opt_in: DoubleOptIn) -> Value {
    let id = g["subscription_group_id"].as_str().unwrap_or_default();
    let mut out = Map::new();
    out.insert("subscription_group_id".into(), Value::from(id));
    out.insert("subscription_state".into(), Value::from("subscribed"));
    for key in ids {
        match g.get(*key) {
            Some(Value::String(s)) => {
                out.insert((*key).into(), Value::from(vec![s.clone()]));
            }
            Some(v @ Value::Array(_)) => {
                out.insert((*key).into(), v.clone());
            }
            _ => {}
        }
    }
    let asked = g["use_double_opt_in_logic"].as_bool().unwrap_or(false);
    if let Some(flag) = double_opt_in(id, asked) {
        out.insert("use_double_opt_in_logic".into(), Value::Bool(flag));
    }
    Value::Object(out)
}

/// The body the relay forwards for a page's `body` to `path` (already
/// validated): the allowed fields only, `subscribed`, and the
/// double-opt-in flag as the relay's configuration requires.
pub fn upstream(path: &str, body: &Value, double_opt_in: DoubleOptIn) -> Value {
    let mut out = Map::new();
    match path {
        "/subscription/status/set" => {
            return group(body, &["phone", "email", "external_id"], double_opt_in);
        }
        "/v2/subscription/status/set" => {
            let groups = each(body, "subscription_groups")
                .map(|(_, g)| group(g, &["phones", "emails", "external_ids"], double_opt_in))
                .collect();
            out.insert("subscription_groups".into(), Value::Array(groups));
        }
        _ => {
            let attributes = each(body, "attributes")
                .map(|(_, a)| {
                    let mut attribute = Map::new();
                    for key in ["external_id", "phone", "email"] {
                        if let Some(v @ Value::String(_)) = a.get(key) {
                            attribute.insert(key.into(), v.clone());
                        }
                    }
                    let groups = each(a, "subscription_groups")
                        .map(|(_, g)| group(g, &[], double_opt_in))
                        .collect();
                    attribute.insert("subscription_groups".into(), Value::Array(groups));
                    Value::Object(attribute)
                })
                .collect();
            out.insert("attributes".into(), Value::Array(attributes));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_outside_the_list_is_named_at_its_place() {
        let body = json!({
            "attributes": [{"external_id": "u1", "first_name": "Eve", "subscription_groups": [
                {"subscription_group_id": "g", "subscription_state": "subscribed", "extra": 1}]}],
            "events": [{"name": "purchase"}],
            "purchases": [],
        });
        let mut errors = Vec::new();
        unknown_fields("/users/track", &body, &mut errors);
        let text = errors.join("\n");
        for named in [
            "events is not forwarded",
            "purchases is not forwarded",
            "attributes[0].first_name is not forwarded",
            "attributes[0].subscription_groups[0].extra is not forwarded",
        ] {
            assert!(text.contains(named), "{text}");
        }
    }

    #[test]
    fn the_forwarded_body_is_built_not_copied() {
        let page = json!({"attributes": [{"external_id": "u1", "email": "a@b.example", "phone": "+14155552671",
            "subscription_groups": [
                {"subscription_group_id": "news", "subscription_state": "subscribed"},
                {"subscription_group_id": "sms", "subscription_state": "subscribed", "use_double_opt_in_logic": false}]}],
            "consent": {"disclosure": "x"}, "external_id_token": "t"});
        let sms_only = |g: &str, _: bool| (g == "sms").then_some(true);
        assert_eq!(
            upstream("/users/track", &page, &sms_only),
            json!({"attributes": [{"external_id": "u1", "email": "a@b.example", "phone": "+14155552671",
                "subscription_groups": [
                    {"subscription_group_id": "news", "subscription_state": "subscribed"},
                    {"subscription_group_id": "sms", "subscription_state": "subscribed", "use_double_opt_in_logic": true}]}]})
        );
        let v2 = json!({"subscription_groups": [{"subscription_group_id": "sms", "subscription_state": "subscribed",
            "phones": ["+14155552671"], "use_double_opt_in_logic": true}]});
        let as_asked = |_: &str, asked: bool| Some(asked);
        assert_eq!(upstream("/v2/subscription/status/set", &v2, &as_asked), v2);
    }
}
