//! The Braze request shapes the SDK's forms send, read strictly and
//! validated the same way by the sandbox (`api.rs`) and the relay
//! (`relay.rs`): `/subscription/status/set` (v1 and v2) and
//! `/users/track`. A wrong type anywhere is an error naming its path.

use serde_json::Value;

/// The most ids one request may name, as in Braze.
pub const MAX_IDS: usize = 50;

/// Finds the phone number of an external id's profile (the sandbox's);
/// `None`: external ids go on as they are (to Braze, which resolves them).
pub type Profile<'a> = Option<&'a dyn Fn(&str) -> Result<Option<String>, String>>;

/// Full validation with the `phonenumber` crate: the text must be the
/// number's E.164 form. Returns the number's country.
pub fn e164(phone: &str) -> Result<String, String> {
    let refuse = || {
        format!("{phone:?} is not a valid E.164 phone number (expected + country code and number, e.g. +14155552671)")
    };
    if !phone.starts_with('+') {
        return Err(refuse());
    }
    let number = phonenumber::parse(None, phone).map_err(|_| refuse())?;
    if !phonenumber::is_valid(&number) || number.format().mode(phonenumber::Mode::E164).to_string() != phone {
        return Err(refuse());
    }
    number.country().id().map(|id| format!("{id:?}")).ok_or_else(refuse)
}

/// A value as an error message shows it: its JSON, shortened.
pub fn shown(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

/// The string at `key` of `v` (`at` names where `v` is, for errors):
/// `None` when absent or null; a value of another type is an error.
pub fn text<'v>(v: &'v Value, at: &str, key: &str, errors: &mut Vec<String>) -> Option<&'v str> {
    match v.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            errors.push(format!("{at}{key} is {}; expected a string", shown(other)));
            None
        }
    }
}

/// The boolean at `key` (absent or null: false). `"true"` is not `true`:
/// taken for false it would subscribe without the double opt-in.
pub fn flag(v: &Value, at: &str, key: &str, errors: &mut Vec<String>) -> bool {
    match v.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            errors.push(format!("{at}{key} is {}; expected true or false", shown(other)));
            false
        }
    }
}

/// The array of strings at `key` (absent or null: empty).
pub fn strings(v: &Value, at: &str, key: &str, errors: &mut Vec<String>) -> Vec<String> {
    match v.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        Some(other) => {
            errors.push(format!("{at}{key} is {}; expected an array of strings", shown(other)));
            Vec::new()
        }
    }
}

/// As [`strings`], but one string counts as a list of one: Braze's v1
/// `/subscription/status/set` takes `"phone": "+12223334444"` as its own
/// sign-up example sends it.
pub fn one_or_more(v: &Value, at: &str, key: &str, errors: &mut Vec<String>) -> Vec<String> {
    match v.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(_)) | None | Some(Value::Null) => strings(v, at, key, errors),
        Some(other) => {
            errors.push(format!(
                "{at}{key} is {}; expected a string or an array of strings",
                shown(other)
            ));
            Vec::new()
        }
    }
}

/// The array of objects at `key` (absent or null: empty).
pub fn objects<'v>(v: &'v Value, at: &str, key: &str, errors: &mut Vec<String>) -> &'v [Value] {
    match v.get(key) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => items,
        Some(other) => {
            errors.push(format!("{at}{key} is {}; expected an array of objects", shown(other)));
            &[]
        }
    }
}

/// One group's change as Braze's v1 and v2 bodies describe it.
pub struct GroupChange {
    /// `subscription_group_id`.
    pub group_id: String,
    /// `subscription_state` is `subscribed`.
    pub subscribe: bool,
    /// The numbers, E.164.
    pub phones: Vec<String>,
    /// The external ids.
    pub external_ids: Vec<String>,
    /// The email addresses (an email subscription group's).
    pub emails: Vec<String>,
    /// `use_double_opt_in_logic`.
    pub double_opt_in: bool,
}

/// Braze's answer when a request names both.
pub const EMAIL_AND_PHONE: &str = "Either an email address or a phone number should be provided, but not both.";

/// Reads one group's change at `at` of the request; `ids` are the names
/// of its external id, phone and email fields. With `profile`, a number
/// named only by its external id is the one its profile holds; without,
/// such a change goes on by its external id (Braze resolves it). Whether
/// a group takes phones or emails is the caller's to check (it knows the
/// groups); `/users/track`'s attributes may carry both.
pub fn read_change(
    body: &Value,
    at: &str,
    ids: (&str, &str, &str),
    profile: Profile,
    errors: &mut Vec<String>,
) -> GroupChange {
    let (external_key, phone_key, email_key) = ids;
    if !body.is_object() {
        errors.push(format!("{at} is {}; expected an object", shown(body)));
        return GroupChange {
            group_id: String::new(),
            subscribe: false,
            phones: Vec::new(),
            external_ids: Vec::new(),
            emails: Vec::new(),
            double_opt_in: false,
        };
    }
    let group_id = text(body, at, "subscription_group_id", errors)
        .unwrap_or_default()
        .to_string();
    if group_id.is_empty() && body.get("subscription_group_id").is_none_or(Value::is_null) {
        errors.push(format!("{at}subscription_group_id is required"));
    }
    let subscribe = match body.get("subscription_state") {
        Some(Value::String(s)) if s == "subscribed" => true,
        Some(Value::String(s)) if s == "unsubscribed" => false,
        None | Some(Value::Null) => {
            errors.push(format!(
                "{at}subscription_state is required: \"subscribed\" or \"unsubscribed\""
            ));
            false
        }
        Some(other) => {
            errors.push(format!(
                "{at}subscription_state is {}; expected \"subscribed\" or \"unsubscribed\"",
                shown(other)
            ));
            false
        }
    };
    let external_ids = one_or_more(body, at, external_key, errors);
    let mut phones = one_or_more(body, at, phone_key, errors);
    let emails = one_or_more(body, at, email_key, errors);
    let double_opt_in = flag(body, at, "use_double_opt_in_logic", errors);
    if !emails.is_empty() && !phones.is_empty() {
        errors.push(EMAIL_AND_PHONE.into());
    }
    if external_ids.len() + phones.len() + emails.len() > MAX_IDS {
        errors.push(format!("at most {MAX_IDS} ids may be sent in one request"));
    }
    if phones.is_empty() && emails.is_empty() {
        if external_ids.is_empty() {
            errors.push(format!("{at}{phone_key} or {external_key} is required"));
        }
        if let Some(profile) = profile {
            for id in &external_ids {
                match profile(id) {
                    Ok(Some(phone)) => phones.push(phone),
                    Ok(None) => errors.push(format!(
                        "{at}{external_key} {id:?} has no phone number in its profile: send {phone_key} with it, or set the profile's phone with /users/track first"
                    )),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    GroupChange {
        group_id,
        subscribe,
        phones,
        external_ids,
        emails,
        double_opt_in,
    }
}

/// Checks that each change names what its group takes: emails for an
/// email group (`email` true), phones for an SMS or WhatsApp group.
pub fn check_kinds(change: &GroupChange, email: bool, errors: &mut Vec<String>) {
    let id = &change.group_id;
    if email && change.emails.is_empty() {
        errors.push(format!(
            "subscription group {id:?} is an email group; expected an email"
        ));
    } else if !email && change.phones.is_empty() && !change.emails.is_empty() {
        errors.push(format!(
            "subscription group {id:?} is an SMS or WhatsApp group; expected a phone number, not an email"
        ));
    }
}

/// The changes one request asks for, and the profiles it sets.
#[derive(Default)]
pub struct Parsed {
    /// Each group's change.
    pub changes: Vec<GroupChange>,
    /// `/users/track`'s attribute objects: external id, phone, email.
    pub profiles: Vec<(String, Option<String>, Option<String>)>,
    /// How many attribute objects `/users/track` held.
    pub attributes: usize,
}

/// Reads the body of `path` (one of the three endpoints); errors go to
/// `errors`. `None` for a path that is not one of them.
pub fn read(path: &str, body: &Value, profile: Profile, errors: &mut Vec<String>) -> Option<Parsed> {
    let mut parsed = Parsed::default();
    match path {
        "/subscription/status/set" => {
            let ids = ("external_id", "phone", "email");
            parsed.changes.push(read_change(body, "", ids, profile, errors));
        }
        "/v2/subscription/status/set" => {
            let items = objects(body, "", "subscription_groups", errors);
            if items.is_empty() && errors.is_empty() {
                errors.push("subscription_groups is required: an array of objects".into());
            }
            for (i, item) in items.iter().enumerate() {
                let at = format!("subscription_groups[{i}].");
                let ids = ("external_ids", "phones", "emails");
                parsed.changes.push(read_change(item, &at, ids, profile, errors));
            }
        }
        "/users/track" => {
            let attributes = objects(body, "", "attributes", errors);
            if attributes.len() > 75 {
                errors.push("at most 75 attribute objects may be sent in one request".into());
            }
            parsed.attributes = attributes.len();
            for (i, a) in attributes.iter().enumerate() {
                let at = format!("attributes[{i}].");
                let external_id = text(a, &at, "external_id", errors).map(str::to_string);
                let phone = text(a, &at, "phone", errors).map(str::to_string);
                let email = text(a, &at, "email", errors).map(str::to_string);
                if let Some(p) = &phone {
                    if let Err(e) = e164(p) {
                        errors.push(format!("{at}phone: {e}"));
                    }
                }
                for (j, sg) in objects(a, &at, "subscription_groups", errors).iter().enumerate() {
                    // The attribute's phone, email and external id (a
                    // profile may have both a phone and an email).
                    let mut item = sg.clone();
                    let one = |v: &Option<String>| Value::from(v.iter().cloned().collect::<Vec<_>>());
                    item["external_id"] = one(&external_id);
                    item["phone"] = one(&phone);
                    if phone.is_none() {
                        item["email"] = one(&email);
                    }
                    let at = format!("{at}subscription_groups[{j}].");
                    let ids = ("external_id", "phone", "email");
                    let mut change = read_change(&item, &at, ids, profile, errors);
                    change.emails = email.iter().cloned().collect();
                    parsed.changes.push(change);
                }
                if let Some(id) = external_id {
                    parsed.profiles.push((id, phone, email));
                }
            }
        }
        _ => return None,
    }
    Some(parsed)
}

/// Checks a change's numbers: valid E.164, and of a country in
/// `countries` (empty: any) of group `group_id`.
pub fn check_numbers(change: &GroupChange, countries: &[String], errors: &mut Vec<String>) {
    for phone in &change.phones {
        match e164(phone) {
            Err(e) => errors.push(e),
            Ok(country) if !countries.is_empty() && !countries.contains(&country) => errors.push(format!(
                "{phone} is a number of {country}; subscription group {:?} accepts {}",
                change.group_id,
                countries.join(", ")
            )),
            Ok(_) => {}
        }
    }
}
