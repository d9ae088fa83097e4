//! The HTTP API: the subset of Braze's REST API the SDK uses, with Braze's
//! request and response shapes, and the sandbox's own endpoints for the
//! simulated phone.

use crate::config::Group;
use crate::double_opt_in::Event;
use crate::service::{Change, Origin, Service, Source};
use serde_json::{json, Value};

/// The most ids one request may name, as in Braze.
pub const MAX_IDS: usize = 50;
/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An HTTP answer: status and JSON body.
pub type Reply = (u16, Value);

fn bad(message: &str, errors: Vec<String>) -> Reply {
    (400, json!({ "message": message, "errors": errors }))
}

/// One request, already read.
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path without the query.
    pub path: &'a str,
    /// The query string.
    pub query: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// Who asked.
    pub origin: Origin,
    /// When, ms since the epoch.
    pub now: i64,
}

/// `decodeURIComponent`; `None` for a bad escape or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn query_param(query: &str, name: &str) -> Option<String> {
    raw_query_param(query, name).map(|v| percent_decode(&v.replace('+', " ")).unwrap_or_default())
}

fn raw_query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// With a shared secret configured, the Braze-compatible endpoints and the
/// import need `Authorization: Bearer <secret>` (compared in constant time).
fn authorized(service: &Service, req: &Request) -> bool {
    let Some(secret) = &service.config.shared_secret else {
        return true;
    };
    if req.path.starts_with("/sandbox/") && req.path != "/sandbox/import" {
        return true;
    }
    let given = req
        .authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or_default();
    given.len() == secret.len() && given.bytes().zip(secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The answer when a rate limit is reached: 429, with the seconds to wait
/// (main.rs also sends them as `Retry-After`).
pub fn too_many(seconds: u64) -> Reply {
    (
        429,
        json!({ "message": "too many requests: rate limit reached", "retry_after_seconds": seconds }),
    )
}

/// Routes a request to its endpoint; `None` when the path is not the API's.
pub fn handle(service: &Service, req: &Request) -> Option<Reply> {
    let api = ["/subscription/", "/v2/", "/users/", "/sandbox/"];
    if api.iter().any(|p| req.path.starts_with(p)) && !authorized(service, req) {
        return Some((
            401,
            json!({ "message": "missing or wrong Authorization: Bearer <shared secret>" }),
        ));
    }
    let json_body =
        || serde_json::from_slice::<Value>(req.body).map_err(|e| bad("invalid JSON body", vec![e.to_string()]));
    let reply = match (req.method, req.path) {
        ("POST", "/subscription/status/set") => json_body().and_then(|b| status_set_v1(service, req, &b)),
        ("POST", "/v2/subscription/status/set") => json_body().and_then(|b| status_set_v2(service, req, &b)),
        ("POST", "/users/track") => json_body().and_then(|b| users_track(service, req, &b)),
        ("POST", "/sandbox/inbound") => json_body().and_then(|b| inbound(service, req, &b)),
        ("POST", "/sandbox/import") => import(service, req),
        ("GET", "/subscription/status/get") => status_get(service, req),
        ("GET", "/sandbox/outbox") => phone_query(req).and_then(|p| {
            service.outbox(&p).map(|m| (200, json!({ "phone": p, "messages": m }))).map_err(server_error)
        }),
        ("GET", "/sandbox/consent-log") => phone_query(req).and_then(|p| {
            service.consent_log(&p).map(|e| (200, json!({ "phone": p, "entries": e }))).map_err(server_error)
        }),
        ("GET", "/sandbox/quota") => service
            .quota()
            .map(|q| (200, json!({ "total": q.total, "remaining": q.remaining, "ticket_size": crate::config::TICKET_MESSAGES })))
            .map_err(server_error),
        (_, p) if api.iter().any(|a| p.starts_with(a)) => {
            Err((405, json!({ "message": format!("{} {} is not supported", req.method, req.path) })))
        }
        _ => return None,
    };
    Some(reply.unwrap_or_else(|e| e))
}

fn server_error(e: String) -> Reply {
    (500, json!({ "message": e }))
}

fn phone_query(req: &Request) -> Result<String, Reply> {
    // An E.164 number has no spaces, so a literal `+` (as people type
    // `?phone=+1415...`) means `+`, not the form encoding's space.
    let phone = raw_query_param(req.query, "phone")
        .and_then(percent_decode)
        .unwrap_or_default();
    e164(&phone).map_err(|e| bad("invalid phone", vec![e]))?;
    Ok(phone)
}

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

fn strings(body: &Value, key: &str, errors: &mut Vec<String>) -> Vec<String> {
    match body.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    errors.push(format!("{key} must hold strings, found {v}"));
                    None
                }
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => {
            errors.push(format!("{key} must be an array of strings, found {other}"));
            Vec::new()
        }
    }
}

/// One group's change as Braze's v1 and v2 bodies describe it.
struct GroupChange {
    group_id: String,
    subscribe: bool,
    phones: Vec<String>,
    external_ids: Vec<String>,
    double_opt_in: bool,
}

fn read_change(body: &Value, ids: (&str, &str, &str), errors: &mut Vec<String>) -> GroupChange {
    let (external_key, phone_key, email_key) = ids;
    let group_id = body
        .get("subscription_group_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if group_id.is_empty() {
        errors.push("subscription_group_id is required".into());
    }
    let subscribe = match body.get("subscription_state").and_then(Value::as_str) {
        Some("subscribed") => true,
        Some("unsubscribed") => false,
        other => {
            errors.push(format!(
                "subscription_state must be \"subscribed\" or \"unsubscribed\", found {other:?}"
            ));
            false
        }
    };
    let external_ids = strings(body, external_key, errors);
    let phones = strings(body, phone_key, errors);
    let emails = strings(body, email_key, errors);
    if !emails.is_empty() && !phones.is_empty() {
        errors.push(format!("{email_key} and {phone_key} cannot be sent in one request"));
    }
    if external_ids.len() + phones.len() + emails.len() > MAX_IDS {
        errors.push(format!("at most {MAX_IDS} ids may be sent in one request"));
    }
    if phones.is_empty() {
        errors.push(format!(
            "{phone_key} is required: the sandbox keeps no user profiles to find numbers by {external_key}"
        ));
    }
    let double_opt_in = body
        .get("use_double_opt_in_logic")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    GroupChange {
        group_id,
        subscribe,
        phones,
        external_ids,
        double_opt_in,
    }
}

fn check<'a>(service: &'a Service, change: &GroupChange, errors: &mut Vec<String>) -> Option<&'a Group> {
    // An empty id is already reported as missing.
    let group = match service.config.known_group(&change.group_id) {
        Ok(g) => Some(g),
        Err(e) => {
            errors.extend((!change.group_id.is_empty()).then_some(e));
            None
        }
    };
    for phone in &change.phones {
        match (e164(phone), group) {
            (Err(e), _) => errors.push(e),
            (Ok(country), Some(g)) if !g.countries.is_empty() && !g.countries.contains(&country) => {
                errors.push(format!(
                    "{phone} is a number of {country}; subscription group {:?} accepts {}",
                    g.id,
                    g.countries.join(", ")
                ))
            }
            _ => {}
        }
    }
    group
}

fn disclosure(body: &Value) -> (String, String) {
    let consent = body.get("consent");
    let field = |k: &str| {
        consent
            .and_then(|c| c.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (field("disclosure"), field("locale"))
}

fn apply_all(
    service: &Service,
    req: &Request,
    changes: &[(GroupChange, &Group)],
    body: &Value,
) -> Result<Reply, Reply> {
    if let Some(key) = req.idempotency_key {
        if let Some((status, stored)) = service.replay(key).map_err(server_error)? {
            let value = serde_json::from_str(&stored).unwrap_or(Value::Null);
            return Ok((status, value));
        }
    }
    let phones: Vec<&str> = changes
        .iter()
        .flat_map(|(c, _)| c.phones.iter().map(String::as_str))
        .collect();
    service.admit(&req.origin.ip, &phones, req.now).map_err(too_many)?;
    let (disclosure, locale) = disclosure(body);
    let origin = Origin {
        disclosure,
        locale: locale.split(['-', '_']).next().unwrap_or_default().to_string(),
        ..req.origin.clone()
    };
    let reply_for = |refusals: &[String]| {
        let mut v = json!({ "message": "success" });
        if !refusals.is_empty() {
            v["errors"] = json!(refusals);
        }
        v
    };
    let applied: Vec<Change> = changes
        .iter()
        .map(|(c, group)| Change {
            group,
            phones: &c.phones,
            external_id: c.external_ids.first().map(String::as_str),
            event: if c.subscribe {
                Event::ApiSubscribe {
                    double_opt_in: c.double_opt_in,
                }
            } else {
                Event::ApiUnsubscribe
            },
            source: Source::Api,
            origin: &origin,
            now: req.now,
        })
        .collect();
    let respond = |r: &[String]| (201u16, reply_for(r).to_string());
    let idempotency = req
        .idempotency_key
        .map(|k| (k, &respond as &dyn Fn(&[String]) -> (u16, String)));
    let refusals = service.apply(&applied, idempotency).map_err(server_error)?;
    Ok((201, reply_for(&refusals)))
}

fn status_set_v1(service: &Service, req: &Request, body: &Value) -> Result<Reply, Reply> {
    let mut errors = Vec::new();
    let change = read_change(body, ("external_id", "phone", "email"), &mut errors);
    let group = check(service, &change, &mut errors);
    match group {
        Some(g) if errors.is_empty() => apply_all(service, req, &[(change, g)], body),
        _ => Err(bad("invalid request", errors)),
    }
}

fn status_set_v2(service: &Service, req: &Request, body: &Value) -> Result<Reply, Reply> {
    let Some(items) = body.get("subscription_groups").and_then(Value::as_array) else {
        return Err(bad(
            "invalid request",
            vec!["subscription_groups must be an array".into()],
        ));
    };
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for item in items {
        let change = read_change(item, ("external_ids", "phones", "emails"), &mut errors);
        if let Some(g) = check(service, &change, &mut errors) {
            changes.push((change, g));
        }
    }
    if !errors.is_empty() || changes.is_empty() {
        errors.extend(changes.is_empty().then(|| "subscription_groups is empty".to_string()));
        return Err(bad("invalid request", errors));
    }
    apply_all(service, req, &changes, body)
}

fn users_track(service: &Service, req: &Request, body: &Value) -> Result<Reply, Reply> {
    let attributes = body
        .get("attributes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if attributes.len() > 75 {
        return Err(bad(
            "invalid request",
            vec!["at most 75 attribute objects may be sent in one request".into()],
        ));
    }
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for a in &attributes {
        let phone = a.get("phone").and_then(Value::as_str).map(str::to_string);
        for sg in a
            .get("subscription_groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut item = sg.clone();
            item["phone"] = json!(phone.iter().collect::<Vec<_>>());
            if let Some(id) = a.get("external_id") {
                item["external_id"] = json!([id]);
            }
            let change = read_change(&item, ("external_id", "phone", "email"), &mut errors);
            if let Some(g) = check(service, &change, &mut errors) {
                changes.push((change, g));
            }
        }
    }
    if !errors.is_empty() {
        return Err(bad("invalid request", errors));
    }
    let count = attributes.len();
    if !changes.is_empty() {
        apply_all(service, req, &changes, body)?;
    }
    Ok((201, json!({ "message": "success", "attributes_processed": count })))
}

fn inbound(service: &Service, req: &Request, body: &Value) -> Result<Reply, Reply> {
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    let (phone, group_id, text) = (field("phone"), field("subscription_group_id"), field("body"));
    let mut errors = Vec::new();
    if let Err(e) = e164(phone) {
        errors.push(e);
    }
    let group = service.config.known_group(group_id).map_err(|e| errors.push(e)).ok();
    if text.chars().count() > 1_600 {
        errors.push("body is longer than 1,600 characters".into());
    }
    match group {
        Some(g) if errors.is_empty() => service
            .inbound(g, phone, text, &req.origin, req.now)
            .map(|replies| (200, json!({ "message": "success", "replies": replies })))
            .map_err(server_error),
        _ => Err(bad("invalid request", errors)),
    }
}

fn status_get(service: &Service, req: &Request) -> Result<Reply, Reply> {
    let phone = phone_query(req)?;
    let wanted = query_param(req.query, "subscription_group_id");
    if let Some(id) = &wanted {
        service
            .config
            .known_group(id)
            .map_err(|e| bad("invalid request", vec![e]))?;
    }
    let groups: Vec<Value> = service
        .status(&phone, req.now)
        .map_err(server_error)?
        .into_iter()
        .filter(|(id, _, _)| wanted.as_ref().is_none_or(|w| w == id))
        .map(|(id, state, pending)| json!({ "subscription_group_id": id, "subscription_state": state, "pending_double_opt_in": pending }))
        .collect();
    Ok((
        200,
        json!({ "message": "success", "phone": phone, "subscription_groups": groups }),
    ))
}

/// `external_id,phone,subscription_group_id,state` rows, a header line
/// first; all rows are checked before any is applied.
fn import(service: &Service, req: &Request) -> Result<Reply, Reply> {
    let text = std::str::from_utf8(req.body).map_err(|_| bad("invalid CSV", vec!["the body is not UTF-8".into()]))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').map(str::trim).collect();
    if header != ["external_id", "phone", "subscription_group_id", "state"] {
        return Err(bad(
            "invalid CSV",
            vec!["the first line must be external_id,phone,subscription_group_id,state".into()],
        ));
    }
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [external_id, phone, group_id, state] = cells[..] else {
            errors.push(format!("line {}: expected 4 cells, found {}", n + 2, cells.len()));
            continue;
        };
        let subscribed = match state {
            "subscribed" => true,
            "unsubscribed" => false,
            other => {
                errors.push(format!(
                    "line {}: state {other:?}; expected subscribed or unsubscribed",
                    n + 2
                ));
                continue;
            }
        };
        if let Err(e) = e164(phone) {
            errors.push(format!("line {}: {e}", n + 2));
        }
        match service.config.known_group(group_id) {
            Ok(g) => rows.push((g, phone.to_string(), external_id.to_string(), subscribed)),
            Err(e) => errors.push(format!("line {}: {e}", n + 2)),
        }
    }
    if !errors.is_empty() {
        return Err(bad("invalid CSV", errors));
    }
    let phones: Vec<[String; 1]> = rows.iter().map(|(_, phone, _, _)| [phone.clone()]).collect();
    let changes: Vec<Change> = rows
        .iter()
        .zip(&phones)
        .map(|((group, _, external_id, subscribed), phones)| Change {
            group,
            phones,
            external_id: Some(external_id.as_str()).filter(|s| !s.is_empty()),
            event: Event::Import {
                subscribed: *subscribed,
            },
            source: Source::Import,
            origin: &req.origin,
            now: req.now,
        })
        .collect();
    service.apply(&changes, None).map_err(server_error)?;
    Ok((201, json!({ "message": "success", "imported": rows.len() })))
}
