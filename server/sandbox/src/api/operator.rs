//! The operator's endpoints: the simulated phone's outbox and consent
//! log, the test clock, the prepaid quota, members and messages to them.

use super::{phone_query, query_param, raw_query_param, Request};
use crate::error::{Error, Reply};
use crate::service::Service;
use consentry_relay::braze::{e164, shown, text};
use serde_json::{json, Value};

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

/// `GET /sandbox/quota`: the prepaid quota.
pub fn quota(service: &Service, _: &Request) -> Result<Reply, Error> {
    Ok((200, service.quota_report()?))
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
                crate::quota::MAX_TICKETS
            )],
        )),
    }
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
