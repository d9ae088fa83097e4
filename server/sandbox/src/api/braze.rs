//! Braze's endpoints (`status/set`, `/users/track`, `status/get`), its
//! SDK's data endpoint, the CSV import and the simulated phone's inbound
//! texts.

use super::{phone_query, query_param, Request};
use crate::config::Group;
use crate::double_opt_in::Event;
use crate::error::{Error, Reply};
use crate::service::{Change, Origin, Service, Source};
use consentry_relay::braze::{self, e164, text, GroupChange};
use serde_json::{json, Value};

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
