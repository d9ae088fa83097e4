//! The API's endpoints: the subset of Braze's REST API the SDK uses, with
//! Braze's request and response shapes, the verification service, and the
//! sandbox's own endpoints for the simulated phone. Each reads a
//! [`Request`] and returns a [`Reply`] or an [`Error`]; [`crate::routes`]
//! routes to them and answers.

use crate::config::Group;
use crate::double_opt_in::Event;
use crate::error::{Error, Reply};
use crate::service::{Change, Origin, Service, Source};
use consentry_relay::braze::{self, e164, shown, text, GroupChange};
use serde_json::{json, Value};

/// One request, read and admitted ([`admit`]).
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
    /// The `Origin` header: the page that asked.
    pub page: Option<&'a str>,
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
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

/// The endpoints anyone may call even when the sandbox has a shared
/// secret: they change nothing and show nobody's data.
const OPEN: [(&str, &str); 5] = [
    ("GET", "/sandbox/relay"),
    ("GET", "/sandbox/clock"),
    ("GET", "/sandbox/quota"),
    ("GET", "/sandbox/segments"),
    ("GET", "/verify/jwks.json"),
];

fn same_secret(given: &str, secret: &str) -> bool {
    given.len() == secret.len() && given.bytes().zip(secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// With a shared secret configured, everything that changes state or reads
/// personal data needs `Authorization: Bearer <secret>` (compared in
/// constant time): the Braze-shaped API, members, the consent log, the
/// outbox (it holds verification codes), inbound messages, tickets. The
/// Braze Web SDK's `/api/v3/data/` may instead carry it as its `api_key`,
/// as the SDK sends its key.
fn authorized(service: &Service, req: &Request) -> bool {
    let Some(secret) = &service.config.shared_secret else {
        return true;
    };
    if OPEN.contains(&(req.method, req.path)) {
        return true;
    }
    let given = req
        .authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_secret(given, secret) {
        return true;
    }
    req.path.starts_with("/api/v3/data")
        && serde_json::from_slice::<Value>(req.body)
            .ok()
            .and_then(|b| b.get("api_key").and_then(Value::as_str).map(|k| same_secret(k, secret)))
            .unwrap_or(false)
}

/// Whether `host` (a `Host` header, or an origin's host and port) names
/// this machine: loopback, or a `.test` name (reserved, never on the public
/// internet; the tests map them to 127.0.0.1). Anything else is a page
/// that rebound its own name to the sandbox.
fn local_host(host: &str) -> bool {
    let name = without_port(host);
    matches!(name, "127.0.0.1" | "localhost" | "[::1]") || name.ends_with(".test")
}

/// `host:port` without its port (as it is when it has none).
fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Why a request that changes state is refused before it runs: a body that
/// is not JSON (a cross-site form or `text/plain` post needs no preflight),
/// a foreign `Origin`, or a `Host` that is not this machine's.
fn cross_site(req: &Request) -> Result<(), Error> {
    if req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS" {
        return Ok(());
    }
    if !req.host.is_some_and(local_host) {
        return Err(Error::Forbidden(format!(
            "Host {:?} is not this sandbox's (127.0.0.1, localhost or a .test name)",
            req.host.unwrap_or_default()
        )));
    }
    if req.page.is_some() && !page_host(req).is_some_and(|h| local_host(&h)) {
        return Err(Error::Forbidden(format!(
            "Origin {:?} is not allowed to change the sandbox",
            req.page.unwrap_or_default()
        )));
    }
    let csv = req.path == "/sandbox/import";
    let media = req
        .content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let fits =
        media == "application/json" || (csv && media == "text/csv") || (req.method == "DELETE" && req.body.is_empty());
    if fits {
        return Ok(());
    }
    Err(Error::Unsupported(format!(
        "Content-Type {:?}; expected application/json{}",
        req.content_type.unwrap_or_default(),
        if csv { " or text/csv" } else { "" }
    )))
}

/// Whether a request to the API may run: not cross-site
/// ([`cross_site`]), and with the shared secret where one is needed.
pub fn admit(service: &Service, req: &Request) -> Result<(), Error> {
    cross_site(req)?;
    if !authorized(service, req) {
        return Err(Error::Unauthorized);
    }
    Ok(())
}

/// `GET /sandbox/outbox?phone=`: the simulated phone's texts.
pub fn outbox(service: &Service, req: &Request) -> Result<Reply, Error> {
    let p = phone_query(req)?;
    Ok((200, json!({ "phone": p, "messages": service.outbox(&p)? })))
}

/// `GET /sandbox/consent-log?phone=` (or `?email=`): the consent log.
pub fn consent_log(service: &Service, req: &Request) -> Result<Reply, Error> {
    if raw_query_param(req.query, "email").is_some() {
        let email = query_param(req.query, "email").unwrap_or_default();
        return Ok((
            200,
            json!({ "email": email, "entries": service.email_consent_log(&email)? }),
        ));
    }
    let p = phone_query(req)?;
    Ok((200, json!({ "phone": p, "entries": service.consent_log(&p)? })))
}

/// `GET /sandbox/relay`: the demo's relay, if it runs one.
pub fn relay(service: &Service, _: &Request) -> Result<Reply, Error> {
    Ok((200, json!({ "url": service.relay })))
}

/// `GET /sandbox/clock`: the sandbox's time.
pub fn clock_get(service: &Service, req: &Request) -> Result<Reply, Error> {
    Ok((
        200,
        json!({ "now": req.now, "test_clock": service.advance(0).is_some() }),
    ))
}

/// `GET /sandbox/quota`: the prepaid quota.
pub fn quota(service: &Service, _: &Request) -> Result<Reply, Error> {
    Ok((200, service.quota_report()?))
}

/// `GET /sandbox/members?subscription_group_id=`: a group's members.
pub fn members(service: &Service, req: &Request) -> Result<Reply, Error> {
    let group = query_param(req.query, "subscription_group_id").unwrap_or_default();
    service.members(&group, req.now)
}

/// `GET /sandbox/segments?text=&phone=`: what a text costs (the composer's
/// counter): for a Korean number by bytes, else GSM-7 or UCS-2.
pub fn segments(_: &Service, req: &Request) -> Result<Reply, Error> {
    let body = query_param(req.query, "text").unwrap_or_default();
    let phone = query_param(req.query, "phone").unwrap_or_default();
    let c = crate::segments::count(&body, &phone);
    Ok((
        200,
        json!({ "characters": body.chars().count(), "segments": c.segments, "units": c.units, "encoding": format!("{:?}", c.encoding) }),
    ))
}

/// `GET /sandbox/messages`: the messages to members, what fell due sent.
pub fn messages(service: &Service, req: &Request) -> Result<Reply, Error> {
    service.deliver_due(req.now)?;
    Ok((200, service.messages()?))
}

/// `POST /verify/token`: a verification token's claims, as a site's
/// backend would check it.
pub fn verify_token(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    match text(body, "", "token", &mut errors) {
        Some(t) if errors.is_empty() => Ok(service.token_claims(t, req.now)),
        _ => Err(Error::invalid(
            "invalid request",
            vec!["token is missing; expected the token a check answered".into()],
        )),
    }
}

/// `GET /verify/jwks.json`: the key that signs verification tokens.
pub fn jwks(service: &Service, _: &Request) -> Result<Reply, Error> {
    Ok((200, service.jwks()))
}

/// The host of the page that asked (from `Origin`, without its port), for
/// WebOTP's line and the cross-site check; `None` for no or an odd origin.
fn page_host(req: &Request) -> Option<String> {
    let host = without_port(req.page?.split_once("://")?.1);
    (!host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .then(|| host.to_string())
}

/// `POST /verify/start {phone, purpose, locale}`: texts a one-time code.
pub fn verify_start(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    let phone = text(body, "", "phone", &mut errors);
    let purpose = text(body, "", "purpose", &mut errors);
    let locale = text(body, "", "locale", &mut errors).unwrap_or("en");
    if body.get("phone").is_none() {
        errors.push("phone is missing; expected an E.164 number such as \"+14155552671\"".into());
    }
    let purpose = purpose.and_then(crate::verify::Purpose::parse);
    if purpose.is_none() {
        errors.push(format!(
            "purpose is {}; expected \"signup\" or \"login\"",
            body.get("purpose").map_or("missing".into(), shown)
        ));
    }
    match (phone, purpose) {
        (Some(phone), Some(purpose)) if errors.is_empty() => service.verify_start(
            phone,
            purpose,
            locale,
            page_host(req).as_deref(),
            &req.origin.ip,
            req.now,
        ),
        _ => Err(Error::invalid("invalid request", errors)),
    }
}

/// `POST /verify/check {phone, code}`: checks a one-time code.
pub fn verify_check(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    let phone = text(body, "", "phone", &mut errors);
    let code = text(body, "", "code", &mut errors);
    if body.get("phone").is_none() {
        errors.push("phone is missing; expected the number the code was sent to".into());
    }
    match code {
        Some(c) if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) => {}
        _ => errors.push(format!(
            "code is {}; expected the 6 digits of the text",
            body.get("code").map_or("missing".into(), shown)
        )),
    }
    match (phone, code) {
        (Some(phone), Some(code)) if errors.is_empty() => service.verify_check(phone, code, &req.origin.ip, req.now),
        _ => Err(Error::invalid("invalid request", errors)),
    }
}

/// `POST /sandbox/quota/tickets {count}`: buys tickets of 1,000 messages.
pub fn tickets(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    match body.get("count").and_then(Value::as_i64) {
        Some(count) => service.buy_tickets(count, req.now),
        None => Err(Error::invalid(
            "invalid request",
            vec![format!(
                "count is {}; expected a whole number of tickets from 1 to {}",
                body.get("count").map_or("missing".into(), shown),
                crate::members::MAX_TICKETS
            )],
        )),
    }
}

/// `POST /sandbox/messages`: queues a message to a group's members.
pub fn message(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    let group = text(body, "", "subscription_group_id", &mut errors);
    let from = text(body, "", "from", &mut errors);
    let message_text = text(body, "", "text", &mut errors);
    for (name, value) in [("subscription_group_id", group), ("from", from), ("text", message_text)] {
        if value.is_none() && !errors.iter().any(|e| e.starts_with(name)) {
            errors.push(format!("{name} is missing"));
        }
    }
    let to = match body.get("to") {
        Some(Value::String(s)) if s == "all" => None,
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= 10_000 => {
            let mut phones = Vec::new();
            for (i, v) in list.iter().enumerate() {
                match v.as_str().map(|p| (p, e164(p))) {
                    Some((p, Ok(_))) => phones.push(p.to_string()),
                    Some((_, Err(e))) => errors.push(format!("to[{i}]: {e}")),
                    None => errors.push(format!("to[{i}] is {}; expected an E.164 number", shown(v))),
                }
            }
            Some(phones)
        }
        other => {
            errors.push(format!(
                "to is {}; expected \"all\" or a list of 1 to 10,000 E.164 numbers",
                other.map_or("missing".into(), shown)
            ));
            None
        }
    };
    let send_at = match body.get("send_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match crate::messages::parse_iso(s) {
            Some(ms) => Some(ms),
            None => {
                errors.push(format!(
                    "send_at is {s:?}; expected ISO 8601 with a zone, e.g. \"2026-12-01T18:30:00Z\""
                ));
                None
            }
        },
        Some(v) => {
            errors.push(format!("send_at is {}; expected an ISO 8601 string", shown(v)));
            None
        }
    };
    let advertising = match body.get("advertising") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            errors.push(format!("advertising is {}; expected true or false", shown(v)));
            true
        }
    };
    if !errors.is_empty() {
        return Err(Error::invalid("invalid request", errors));
    }
    let m = crate::members::NewMessage {
        group_id: group.unwrap_or_default().to_string(),
        to,
        from: from.unwrap_or_default().to_string(),
        text: message_text.unwrap_or_default().to_string(),
        send_at,
        advertising,
    };
    let reply = service.queue_message(&m, req.now)?;
    service.deliver_due(req.now)?;
    Ok(reply)
}

/// `POST /api/v3/data/`: a stand-in for Braze's SDK endpoint, so the real
/// Braze Web SDK (`baseUrl` pointed here) reaches the sandbox. Of what the
/// SDK sends it reads the users' `phone` and `email` attributes and the
/// subscription group changes (`sgu` events): a subscription from the SDK
/// enters the double opt-in by itself, as in Braze. Everything else (sessions,
/// clicks, custom events) is accepted and dropped.
pub fn sdk_data(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let list = |k: &str| body.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let attributes = list("attributes");
    for a in &attributes {
        if let Some(user) = field(a, "user_id") {
            let phone = field(a, "phone").filter(|p| e164(p).is_ok());
            if phone.is_some() || field(a, "email").is_some() {
                service.set_profile(&user, phone.as_deref(), field(a, "email").as_deref())?;
            }
        }
    }
    let origin = Origin {
        locale: field(body.get("device").unwrap_or(&Value::Null), "locale")
            .and_then(|l| l.split(['-', '_']).next().map(str::to_string))
            .unwrap_or_default(),
        ..req.origin.clone()
    };
    for e in list("events")
        .iter()
        .filter(|e| e.get("name").and_then(Value::as_str) == Some("sgu"))
    {
        let data = e.get("data").unwrap_or(&Value::Null);
        let (Some(user), Some(group)) = (field(e, "user_id"), field(data, "group_id")) else {
            continue;
        };
        let Some(group) = service.config.group(&group) else {
            continue;
        };
        let Some(phone) = service.profile_phone(&user)? else {
            continue;
        };
        if service.admit(&req.origin.ip, &[&phone], req.now).is_err() {
            continue;
        }
        let phones = [phone];
        let change = Change {
            group,
            phones: &phones,
            external_id: Some(&user),
            event: match field(data, "status").as_deref() {
                Some("subscribed") => Event::ApiSubscribe { double_opt_in: true },
                _ => Event::ApiUnsubscribe,
            },
            source: Source::Sdk,
            origin: &origin,
            now: req.now,
        };
        service.apply(&[change], None)?;
    }
    Ok((200, json!({})))
}

fn phone_query(req: &Request) -> Result<String, Error> {
    // An E.164 number has no spaces, so a literal `+` (as people type
    // `?phone=+1415...`) means `+`, not the form encoding's space.
    let phone = raw_query_param(req.query, "phone")
        .and_then(percent_decode)
        .unwrap_or_default();
    e164(&phone).map_err(|e| Error::invalid("invalid phone", vec![e]))?;
    Ok(phone)
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
) -> Result<Reply, Error> {
    if let Some(key) = req.idempotency_key {
        if let Some((status, stored)) = service.replay(key)? {
            let value = serde_json::from_str(&stored).unwrap_or(Value::Null);
            return Ok((status, value));
        }
    }
    let phones: Vec<&str> = changes
        .iter()
        .filter(|(_, g)| !g.email)
        .flat_map(|(c, _)| c.phones.iter().map(String::as_str))
        .collect();
    service
        .admit(&req.origin.ip, &phones, req.now)
        .map_err(Error::RateLimited)?;
    let (disclosure, locale) = disclosure(body);
    // A sign-up form's consent names each box's disclosure by group.
    let origins: Vec<Origin> = changes
        .iter()
        .map(|(c, _)| Origin {
            disclosure: body["consent"]["disclosures"][&c.group_id]
                .as_str()
                .map_or_else(|| disclosure.clone(), str::to_string),
            locale: locale.split(['-', '_']).next().unwrap_or_default().to_string(),
            ..req.origin.clone()
        })
        .collect();
    let reply_for = |refusals: &[String]| {
        let mut v = json!({ "message": "success" });
        if !refusals.is_empty() {
            v["errors"] = json!(refusals);
        }
        v
    };
    let applied: Vec<Change> = changes
        .iter()
        .zip(&origins)
        .map(|((c, group), origin)| Change {
            group,
            // An email group's addresses go where a number would.
            phones: if group.email { &c.emails } else { &c.phones },
            external_id: c.external_ids.first().map(String::as_str),
            event: if c.subscribe {
                Event::ApiSubscribe {
                    double_opt_in: c.double_opt_in,
                }
            } else {
                Event::ApiUnsubscribe
            },
            source: Source::Api,
            origin,
            now: req.now,
        })
        .collect();
    let respond = |r: &[String]| (201u16, reply_for(r).to_string());
    let idempotency = req
        .idempotency_key
        .map(|k| (k, &respond as &dyn Fn(&[String]) -> (u16, String)));
    let refusals = service.apply(&applied, idempotency)?;
    // One external id with one number: the profile keeps the number.
    for (c, _) in changes {
        if let ([id], [phone]) = (&c.external_ids[..], &c.phones[..]) {
            service.set_profile(id, Some(phone), None)?;
        }
    }
    Ok((201, reply_for(&refusals)))
}

/// `status/set` (v1 and v2) and `/users/track`: every part is checked
/// before anything applies; `/users/track` also sets profiles.
pub fn subscriptions(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    let profile = |id: &str| service.profile_phone(id);
    let parsed = braze::read(req.path, body, Some(&profile), &mut errors).unwrap_or_default();
    let mut changes = Vec::new();
    for change in parsed.changes {
        let group = match service.config.known_group(&change.group_id) {
            Ok(g) => Some(g),
            Err(e) => {
                // An empty id is already reported as missing.
                errors.extend((!change.group_id.is_empty()).then_some(e));
                None
            }
        };
        if let Some(g) = group {
            braze::check_kinds(&change, g.email, &mut errors);
            if !g.email {
                braze::check_numbers(&change, &g.countries, &mut errors);
            }
        }
        changes.extend(group.map(|g| (change, g)));
    }
    if !errors.is_empty() {
        return Err(Error::invalid("invalid request", errors));
    }
    for (id, phone, email) in &parsed.profiles {
        service.set_profile(id, phone.as_deref(), email.as_deref())?;
    }
    if req.path != "/users/track" {
        return apply_all(service, req, &changes, body);
    }
    if !changes.is_empty() {
        apply_all(service, req, &changes, body)?;
    }
    Ok((
        201,
        json!({ "message": "success", "attributes_processed": parsed.attributes }),
    ))
}

/// `POST /sandbox/inbound {phone, subscription_group_id, body}`: a text
/// from the simulated phone (keywords: Y, STOP, HELP, START, ...).
pub fn inbound(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    let mut field = |k: &str| {
        let v = text(body, "", k, &mut errors).map(str::to_string);
        if v.is_none() && body.get(k).is_none_or(Value::is_null) {
            errors.push(format!("{k} is required: a string"));
        }
        v.unwrap_or_default()
    };
    let (phone, group_id, message) = (field("phone"), field("subscription_group_id"), field("body"));
    if !phone.is_empty() {
        if let Err(e) = e164(&phone) {
            errors.push(e);
        }
    }
    let group = match service.config.known_group(&group_id) {
        Ok(g) => Some(g),
        Err(e) => {
            errors.extend((!group_id.is_empty()).then_some(e));
            None
        }
    };
    if message.chars().count() > 1_600 {
        errors.push("body is longer than 1,600 characters".into());
    }
    match group {
        Some(g) if errors.is_empty() => service
            .inbound(g, &phone, &message, &req.origin, req.now)
            .map(|replies| (200, json!({ "message": "success", "replies": replies })))
            .map_err(Error::Store),
        _ => Err(Error::invalid("invalid request", errors)),
    }
}

/// `POST /sandbox/clock {"advance_ms": N}`: moves the sandbox-only clock
/// forward (the server must run with `--test-clock`).
pub fn clock(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    const MAX_MS: i64 = 400 * 24 * 60 * 60 * 1000;
    let ms = match body.get("advance_ms") {
        Some(v) if v.as_i64().is_some_and(|n| (0..=MAX_MS).contains(&n)) => v.as_i64().unwrap_or_default(),
        other => {
            let got = other.map_or_else(|| "missing".into(), shown);
            return Err(Error::invalid(
                "invalid request",
                vec![format!(
                    "advance_ms is {got}; expected a whole number of ms from 0 to {MAX_MS} (400 days)"
                )],
            ));
        }
    };
    match service.advance(ms) {
        Some(()) => {
            // What falls due in the time skipped goes out now.
            service.deliver_due(req.now + ms)?;
            Ok((200, json!({ "now": req.now + ms })))
        }
        None => Err(Error::Conflict(
            "the sandbox clock is off: start the server with --test-clock to move it".into(),
        )),
    }
}

/// `GET /subscription/status/get?phone=[&subscription_group_id=]`: a
/// number's state in each group, as Braze answers it.
pub fn status_get(service: &Service, req: &Request) -> Result<Reply, Error> {
    let phone = phone_query(req)?;
    let wanted = query_param(req.query, "subscription_group_id");
    if let Some(id) = &wanted {
        service
            .config
            .known_group(id)
            .map_err(|e| Error::invalid("invalid request", vec![e]))?;
    }
    let groups: Vec<Value> = service
        .status(&phone, req.now)
        ?
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
/// first, read as RFC 4180 CSV (quoted cells, a UTF-8 byte-order mark and
/// CRLF lines, as spreadsheets export them); all rows are checked before
/// any is applied.
pub fn import(service: &Service, req: &Request) -> Result<Reply, Error> {
    let body = req.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(req.body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(r)) => r.iter().map(str::to_string).collect::<Vec<_>>(),
        Some(Err(e)) => return Err(Error::invalid("invalid CSV", vec![e.to_string()])),
        None => Vec::new(),
    };
    if header != ["external_id", "phone", "subscription_group_id", "state"] {
        return Err(Error::invalid(
            "invalid CSV",
            vec!["the first line must be external_id,phone,subscription_group_id,state".into()],
        ));
    }
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cells: Vec<&str> = record.iter().collect();
        let [external_id, phone, group_id, state] = cells[..] else {
            errors.push(format!("line {line}: expected 4 cells, found {}", cells.len()));
            continue;
        };
        let subscribed = match state {
            "subscribed" => true,
            "unsubscribed" => false,
            other => {
                errors.push(format!(
                    "line {line}: state {other:?}; expected subscribed or unsubscribed"
                ));
                continue;
            }
        };
        if let Err(e) = e164(phone) {
            errors.push(format!("line {line}: {e}"));
        }
        match service.config.known_group(group_id) {
            Ok(g) => rows.push((g, phone.to_string(), external_id.to_string(), subscribed)),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(Error::invalid("invalid CSV", errors));
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
    service.apply(&changes, None)?;
    Ok((201, json!({ "message": "success", "imported": rows.len() })))
}
