//! The service's side of issue 15: phone verification (codes paid from
//! the quota, members who signed up), tickets, and messages to members.
//! The rules live in [`crate::verify`] and [`crate::messages`]; this module
//! keeps their state in the service's database and answers in the API's
//! shapes (status and JSON).

use crate::double_opt_in::State;
use crate::error::{Error, Reply};
use crate::messages;
use crate::service::{cost, db_error, load, query, quota, send, Paid, Service};
use crate::verify::{self, Outcome, Purpose};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

/// Tickets bought in one purchase, at most.
pub const MAX_TICKETS: i64 = 100;

/// Whether a number of this type can receive texts.
fn textable(phone: &str) -> bool {
    use phonenumber::Type;
    let Ok(n) = phonenumber::parse(None, phone) else {
        return false;
    };
    matches!(
        n.number_type(&phonenumber::metadata::DATABASE),
        Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber | Type::Voip
    )
}

impl Service {
    /// The quota's figures for the answers: total, used by kind, remaining,
    /// the tickets, and a warning below the low threshold.
    pub fn quota_report(&self) -> Result<Value, String> {
        self.db.read(|db| quota_json(db, self.config.quota_low))
    }

    /// Buys `count` tickets of 1,000 messages at `now`.
    pub fn buy_tickets(&self, count: i64, now: i64) -> Result<Reply, Error> {
        if !(1..=MAX_TICKETS).contains(&count) {
            return Ok((
                400,
                json!({ "message": format!("count is {count}; expected 1 to {MAX_TICKETS} tickets"), "errors": [format!("count is {count}; expected 1 to {MAX_TICKETS}")] }),
            ));
        }
        let messages = count * crate::config::TICKET_MESSAGES;
        self.db.write(|db| {
            db.execute(
                "INSERT INTO tickets (count, messages, time, source) VALUES (?1, ?2, ?3, 'purchase')",
                params![count, messages, now],
            )
            .map_err(db_error)?;
            db.execute("UPDATE quota SET total = total + ?1 WHERE id = 1", params![messages])
                .map_err(db_error)?;
            Ok(())
        })?;
        Ok((201, self.quota_report()?))
    }

    /// `POST /verify/start`: texts a new code to `phone` for `purpose`, paid
    /// from the quota. `host` (the page's, from the request's `Origin`)
    /// adds WebOTP's line.
    pub fn verify_start(
        &self,
        phone: &str,
        purpose: Purpose,
        locale: &str,
        host: Option<&str>,
        ip: &str,
        now: i64,
    ) -> Result<Reply, Error> {
        let refuse =
            |status: u16, error: &str, message: String| (status, json!({ "error": error, "message": message }));
        let country = match consentry_relay::braze::e164(phone) {
            Ok(c) => c,
            Err(e) => return Ok(refuse(400, "invalid_phone", e)),
        };
        let countries = &self.config.verify_countries;
        if !countries.is_empty() && !countries.contains(&country) {
            return Ok(refuse(
                400,
                "country_not_supported",
                format!(
                    "{phone} is a number of {country}; verification is offered for {}",
                    countries.join(", ")
                ),
            ));
        }
        if !textable(phone) {
            return Ok(refuse(
                400,
                "cannot_receive_texts",
                format!("{phone} cannot receive text messages (it is not a mobile number)"),
            ));
        }
        if let Err(seconds) = self.admit(ip, &[phone], now) {
            return Err(Error::RateLimited(seconds));
        }
        let rules = self.config.verify;
        let code = self.keys.code()?;
        let text = verify::text(&self.config.brand, &code, locale, host);
        let tag = self.keys.tag(phone, purpose, &code);
        Ok(self.db.write(|db| {
            let member: bool = db
                .prepare_cached("SELECT 1 FROM members WHERE phone = ?1")
                .and_then(|mut s| s.exists(params![phone]))
                .map_err(db_error)?;
            match (purpose, member) {
                (Purpose::Signup, true) => {
                    return Ok(refuse(
                        409,
                        "already_registered",
                        format!("{phone} has signed up already: log in instead"),
                    ))
                }
                (Purpose::Login, false) => {
                    return Ok(refuse(404, "not_registered", format!("{phone} has not signed up: sign up first")))
                }
                _ => {}
            }
            let sent: Vec<i64> = query(
                db,
                "SELECT sent FROM codes WHERE phone = ?1 AND sent > ?2",
                params![phone, now - 3_600_000],
                |r| r.get(0),
            )?;
            if let Err(wait) = verify::may_send(&sent, now, &rules) {
                let message = match wait {
                    verify::Wait::Resend(s) => format!("a code was sent moments ago; ask for another in {s} s"),
                    verify::Wait::Hourly(s) => format!(
                        "{} codes went to {phone} in the last hour; ask again in {} min",
                        rules.per_hour,
                        s.div_ceil(60)
                    ),
                };
                return Ok((
                    429,
                    json!({ "error": wait.code(), "message": message, "retry_after_seconds": wait.seconds() }),
                ));
            }
            let left = quota(db)?.remaining;
            let needed = cost(None, phone, &text);
            if left < needed {
                return Ok(refuse(
                    402,
                    "quota_exhausted",
                    format!("no code was sent: the prepaid quota has {left} message(s) left, {needed} needed (buy another ticket of 1,000)"),
                ));
            }
            db.execute("UPDATE codes SET open = 0 WHERE phone = ?1 AND open = 1", params![phone])
                .map_err(db_error)?;
            db.execute(
                "INSERT INTO codes (phone, purpose, tag, sent, expires, open) VALUES (?1, ?2, ?3, ?4, ?5, 1)",
                params![phone, purpose.name(), tag, now, now + rules.code_ttl_ms],
            )
            .map_err(db_error)?;
            send(db, None, phone, &text, Paid::Verification, now)?;
            let mut answer = json!({
                "status": "pending",
                "phone": phone,
                "purpose": purpose.name(),
                "expires_in_seconds": rules.code_ttl_ms / 1000,
                "resend_in_seconds": rules.resend_ms / 1000,
                "checks_allowed": rules.max_checks,
            });
            warn(db, &mut answer, self.config.quota_low)?;
            Ok((201, answer))
        })?)
    }

    /// `POST /verify/check`: checks `code` against `phone`'s open code.
    pub fn verify_check(&self, phone: &str, code: &str, ip: &str, now: i64) -> Result<Reply, Error> {
        let rules = self.config.verify;
        let failed = self.failed_checks.lock().map_err(|_| "lock poisoned".to_string())?;
        if let Err(seconds) = failed.allowed(ip, now, &rules) {
            return Ok((
                429,
                json!({ "error": "too_many_failed_checks", "message": format!("too many wrong codes from this network; try again in {seconds} s"), "retry_after_seconds": seconds }),
            ));
        }
        drop(failed);
        let answer = self.check_code(phone, code, now)?;
        if answer.0 != 200 {
            if let Ok(mut f) = self.failed_checks.lock() {
                f.failed(ip, now, &rules);
            }
        }
        Ok(answer)
    }

    fn check_code(&self, phone: &str, code: &str, now: i64) -> Result<Reply, Error> {
        let rules = self.config.verify;
        Ok(self.db.write(|db| {
            let open: Option<(i64, String, Vec<u8>, i64, u32)> = db
                .query_row(
                    "SELECT id, purpose, tag, expires, checks FROM codes WHERE phone = ?1 AND open = 1 ORDER BY id DESC LIMIT 1",
                    params![phone],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .map_err(db_error)?;
            let purpose = open
                .as_ref()
                .and_then(|o| Purpose::parse(&o.1))
                .unwrap_or(Purpose::Signup);
            let matches = open
                .as_ref()
                .is_some_and(|(_, _, tag, _, _)| self.keys.matches(tag, phone, purpose, code));
            let state = open.as_ref().map(|&(_, _, _, expires, checks)| verify::Open { expires, checks });
            let outcome = verify::check(state.as_ref(), matches, now, &rules);
            let id = open.as_ref().map_or(0, |o| o.0);
            match outcome {
                Outcome::Approved => {
                    db.execute("UPDATE codes SET open = 0, checks = checks + 1 WHERE id = ?1", params![id])
                        .map_err(db_error)?;
                    db.execute(
                        "INSERT INTO members (phone, signed_up, last_login) VALUES (?1, ?2, ?2)
                         ON CONFLICT (phone) DO UPDATE SET last_login = ?2",
                        params![phone, now],
                    )
                    .map_err(db_error)?;
                    let token = self.keys.token(phone, purpose, now, &rules, &self.config.verify_audience)?;
                    Ok((
                        200,
                        json!({ "status": "approved", "phone": phone, "purpose": purpose.name(), "token": token, "expires_in_seconds": rules.token_ttl_ms / 1000 }),
                    ))
                }
                Outcome::Wrong(left) => {
                    db.execute("UPDATE codes SET checks = checks + 1 WHERE id = ?1", params![id])
                        .map_err(db_error)?;
                    let message = match left {
                        0 => "the code is wrong, and that was the last try: ask for a new code".to_string(),
                        n => format!("the code is wrong; {n} tries left"),
                    };
                    Ok((422, json!({ "error": "wrong_code", "message": message, "checks_left": left })))
                }
                Outcome::Expired | Outcome::TooManyChecks => {
                    db.execute("UPDATE codes SET open = 0 WHERE id = ?1", params![id])
                        .map_err(db_error)?;
                    let message = if outcome == Outcome::Expired {
                        "the code has expired: ask for a new code"
                    } else {
                        "too many wrong codes: ask for a new code"
                    };
                    Ok((410, json!({ "error": outcome.error(), "message": message })))
                }
                Outcome::NoCode => Ok((
                    404,
                    json!({ "error": "no_code", "message": format!("no code is waiting for {phone}: ask for a code first") }),
                )),
            }
        })?)
    }

    /// The public key that signs verification tokens.
    pub fn jwks(&self) -> Value {
        self.keys.jwks()
    }

    /// The claims of a verification token (`POST /verify/token`), as a
    /// site's backend would check it.
    pub fn token_claims(&self, token: &str, now: i64) -> Reply {
        match self.keys.claims(token, now, &self.config.verify_audience) {
            Ok(claims) => (200, json!({ "valid": true, "claims": claims })),
            Err(e) => (400, json!({ "valid": false, "message": e })),
        }
    }

    /// A group's members: its numbers with their state now, and the
    /// numbers that signed up by verification.
    pub fn members(&self, group_id: &str, now: i64) -> Result<Reply, Error> {
        if self.config.group(group_id).is_none() {
            return Ok(unknown_group(group_id));
        }
        Ok(self.db.read(|db| {
            let rows: Vec<(String, Option<i64>, Option<i64>)> = query(
                db,
                "SELECT phone, signed_up, last_login FROM members
                 UNION SELECT phone, NULL, NULL FROM numbers WHERE group_id = ?1 AND phone NOT IN (SELECT phone FROM members)
                 ORDER BY phone",
                params![group_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut out = Vec::new();
            for (phone, signed_up, last_login) in rows {
                let state = subscription(db, &phone, group_id, now)?;
                out.push(json!({
                    "phone": phone, "subscription_state": state, "verified": signed_up.is_some(),
                    "signed_up": signed_up, "last_login": last_login,
                }));
            }
            let group = self.config.group(group_id);
            let senders: Vec<Value> = self
                .config
                .senders
                .iter()
                .map(|s| json!({ "number": s.number, "name": s.name }))
                .collect();
            Ok((
                200,
                json!({ "subscription_group_id": group_id, "max_text": group.map(|g| g.max_text), "senders": senders, "members": out }),
            ))
        })?)
    }

    /// `POST /sandbox/messages`: queues a message to `to` (`None`: every
    /// subscribed number of the group) for `send_at` (`None`: now).
    pub fn queue_message(&self, m: &NewMessage, now: i64) -> Result<Reply, Error> {
        let Some(group) = self.config.group(&m.group_id) else {
            return Ok(unknown_group(&m.group_id));
        };
        let refuse = |status: u16, rule: &str, message: String| (status, json!({ "rule": rule, "message": message }));
        let Some(sender) = self.config.senders.iter().find(|s| s.number == m.from) else {
            let registered: Vec<&str> = self.config.senders.iter().map(|s| s.number.as_str()).collect();
            return Ok(refuse(
                422,
                "unregistered_sender",
                format!(
                    "from {:?} is not a registered sender number; registered: {}",
                    m.from,
                    if registered.is_empty() {
                        "none (add senders to the configuration)".to_string()
                    } else {
                        registered.join(", ")
                    }
                ),
            ));
        };
        let chars = m.text.chars().count();
        if chars == 0 || chars > group.max_text {
            return Ok(refuse(
                422,
                "text_length",
                format!(
                    "the text has {chars} characters; group {:?} allows 1 to {}",
                    group.id, group.max_text
                ),
            ));
        }
        let send_at = m.send_at.unwrap_or(now).max(now);
        Ok(self.db.write(|db| {
            let listed: Vec<String> = match &m.to {
                Some(list) => list.clone(),
                None => query(
                    db,
                    "SELECT phone FROM numbers WHERE group_id = ?1 ORDER BY phone",
                    params![group.id],
                    |r| r.get(0),
                )?,
            };
            let mut recipients = Vec::new();
            let mut needed = 0;
            let mut korean = false;
            for phone in &listed {
                let state = subscription(db, phone, &group.id, now)?;
                let refused = match state {
                    "subscribed" => None,
                    "pending" => Some("pending: the number has not confirmed its subscription"),
                    "unsubscribed" => Some("unsubscribed"),
                    _ => Some("not a member of the group"),
                };
                if refused.is_none() {
                    needed += cost(Some(group), phone, &m.text);
                    korean |= consentry_relay::braze::e164(phone).is_ok_and(|c| c == "KR");
                }
                recipients.push((phone.clone(), refused));
            }
            if m.advertising && korean && self.config.message_rules.kr_advertising {
                if let Some(rule) = messages::kr_content(&m.text, &sender.name) {
                    let (name, why) = rule.split_once(": ").unwrap_or(("kr_advertising", &rule));
                    return Ok(refuse(422, name, format!("refused: {why}")));
                }
            }
            let left = quota(db)?.remaining;
            if needed > left {
                return Ok((
                    402,
                    json!({ "rule": "quota", "message": format!("refused: the message needs {needed} message(s) of quota for its subscribed recipients, {left} left; nothing was queued (buy another ticket of 1,000)"), "needed": needed, "remaining": left }),
                ));
            }
            db.execute(
                "INSERT INTO messages (group_id, sender, text, advertising, created, send_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'scheduled')",
                params![group.id, sender.number, m.text, m.advertising, now, send_at],
            )
            .map_err(db_error)?;
            let id = db.last_insert_rowid();
            for (phone, refused) in &recipients {
                db.execute(
                    "INSERT OR IGNORE INTO recipients (message_id, phone, status, reason, due) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, phone, if refused.is_some() { "refused" } else { "queued" }, refused, send_at],
                )
                .map_err(db_error)?;
            }
            let mut answer = json!({
                "id": id, "status": if send_at > now { "scheduled" } else { "queued" }, "send_at": messages::iso(send_at),
                "recipients": recipients.iter().filter(|r| r.1.is_none()).count(),
                "refused": recipients.iter().filter(|r| r.1.is_some()).count(),
                "quota_needed": needed,
                "segments": crate::segments::count(&m.text, listed.first().map_or("+1", String::as_str)).segments,
            });
            warn(db, &mut answer, self.config.quota_low)?;
            Ok((201, answer))
        })?)
    }

    /// Sends what is due at `now`: each queued or deferred recipient of a
    /// message whose time has come, unless a rule defers it (then it waits
    /// for the next allowed time) or it has unsubscribed since.
    pub fn deliver_due(&self, now: i64) -> Result<(), String> {
        let due: Vec<(i64, String, String, bool)> = self.db.read(|db| {
            query(
                db,
                "SELECT id, group_id, text, advertising FROM messages WHERE status = 'scheduled' AND send_at <= ?1
                 AND EXISTS (SELECT 1 FROM recipients WHERE message_id = id AND status IN ('queued', 'deferred') AND due <= ?1)",
                params![now],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
        })?;
        for (id, group_id, text, advertising) in due {
            let Some(group) = self.config.group(&group_id) else {
                continue;
            };
            self.db.write(|db| {
                let waiting: Vec<String> = query(
                    db,
                    "SELECT phone FROM recipients WHERE message_id = ?1 AND status IN ('queued', 'deferred') AND due <= ?2",
                    params![id, now],
                    |r| r.get(0),
                )?;
                let mut ready = Vec::new();
                for phone in waiting {
                    let country = consentry_relay::braze::e164(&phone).unwrap_or_default();
                    let next = messages::next_allowed(&country, advertising, now, &self.config.message_rules);
                    if subscription(db, &phone, &group.id, now)? != "subscribed" {
                        set(db, id, &phone, "refused", Some("unsubscribed before it was sent"), None, now)?;
                    } else if next > now {
                        let why = format!("deferred by the {country} rules until {}", messages::iso(next));
                        set(db, id, &phone, "deferred", Some(&why), Some(next), now)?;
                    } else {
                        ready.push(phone);
                    }
                }
                // The batch goes whole or not at all.
                let needed: i64 = ready.iter().map(|p| cost(Some(group), p, &text)).sum();
                let left = quota(db)?.remaining;
                for phone in &ready {
                    if needed > left {
                        let why = format!("refused: {needed} message(s) of quota needed at send time, {left} left");
                        set(db, id, phone, "refused", Some(&why), None, now)?;
                    } else {
                        match send(db, Some(group), phone, &text, Paid::Members, now)? {
                            None => set(db, id, phone, "sent", None, None, now)?,
                            Some(why) => set(db, id, phone, "refused", Some(&why), None, now)?,
                        }
                    }
                }
                db.execute(
                    "UPDATE messages SET status = 'sent' WHERE id = ?1
                     AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = ?1 AND status IN ('queued', 'deferred'))",
                    params![id],
                )
                .map_err(db_error)?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// `DELETE /sandbox/messages/{id}`: cancels a message nobody has
    /// received yet.
    pub fn cancel_message(&self, id: i64) -> Result<Reply, Error> {
        Ok(self.db.write(|db| {
            let status: Option<String> = db
                .query_row("SELECT status FROM messages WHERE id = ?1", params![id], |r| r.get(0))
                .optional()
                .map_err(db_error)?;
            let sent: bool = db
                .prepare("SELECT 1 FROM recipients WHERE message_id = ?1 AND status = 'sent'")
                .and_then(|mut s| s.exists(params![id]))
                .map_err(db_error)?;
            match status.as_deref() {
                None => Ok((404, json!({ "message": format!("no message {id}") }))),
                Some("scheduled") if !sent => {
                    db.execute("UPDATE messages SET status = 'cancelled' WHERE id = ?1", params![id])
                        .map_err(db_error)?;
                    db.execute(
                        "UPDATE recipients SET status = 'cancelled', due = NULL WHERE message_id = ?1 AND status IN ('queued', 'deferred')",
                        params![id],
                    )
                    .map_err(db_error)?;
                    Ok((200, json!({ "id": id, "status": "cancelled" })))
                }
                Some(s) => Ok((
                    409,
                    json!({ "message": format!("message {id} cannot be cancelled: it is {s}{}", if sent { " (some recipients have it)" } else { "" }) }),
                )),
            }
        })?)
    }

    /// `GET /sandbox/messages`: the latest 100 messages, newest first, with
    /// each recipient's status.
    pub fn messages(&self) -> Result<Value, String> {
        self.db.read(|db| {
            let mut list: Vec<Value> = query(
                db,
                "SELECT id, group_id, sender, text, advertising, created, send_at, status FROM messages ORDER BY id DESC LIMIT 100",
                [],
                |r| {
                    Ok(json!({
                        "id": r.get::<_, i64>(0)?, "subscription_group_id": r.get::<_, String>(1)?, "from": r.get::<_, String>(2)?,
                        "text": r.get::<_, String>(3)?, "advertising": r.get::<_, bool>(4)?, "created": messages::iso(r.get(5)?),
                        "send_at": messages::iso(r.get(6)?), "status": r.get::<_, String>(7)?,
                    }))
                },
            )?;
            for m in &mut list {
                let recipients: Vec<Value> = query(
                    db,
                    "SELECT phone, status, reason, due, time FROM recipients WHERE message_id = ?1 ORDER BY phone",
                    params![m["id"].as_i64()],
                    |r| {
                        let due: Option<i64> = r.get(3)?;
                        let status: String = r.get(1)?;
                        Ok(json!({
                            "phone": r.get::<_, String>(0)?, "status": status, "reason": r.get::<_, Option<String>>(2)?,
                            "deferred_until": due.filter(|_| status == "deferred").map(messages::iso),
                            "time": r.get::<_, Option<i64>>(4)?,
                        }))
                    },
                )?;
                m["recipients"] = Value::Array(recipients);
            }
            let out = list;
            Ok(json!({ "messages": out }))
        })
    }
}

/// A message to members, as the API read it.
pub struct NewMessage {
    /// The group.
    pub group_id: String,
    /// The numbers (`None`: all of the group's).
    pub to: Option<Vec<String>>,
    /// The sender number.
    pub from: String,
    /// The text.
    pub text: String,
    /// When to send it (ms; `None`: now).
    pub send_at: Option<i64>,
    /// Whether it is promotional (the per-country rules apply).
    pub advertising: bool,
}

fn unknown_group(id: &str) -> Reply {
    (
        400,
        json!({ "message": format!("subscription_group_id {id:?} is not a known subscription group") }),
    )
}

/// `phone`'s subscription state in `group` at `now`: `subscribed`,
/// `pending`, `unsubscribed`, or `none` (never subscribed).
fn subscription(db: &Connection, phone: &str, group: &str, now: i64) -> Result<&'static str, String> {
    let known: bool = db
        .prepare_cached("SELECT 1 FROM numbers WHERE phone = ?1 AND group_id = ?2")
        .and_then(|mut s| s.exists(params![phone, group]))
        .map_err(db_error)?;
    if !known {
        return Ok("none");
    }
    Ok(match load(db, phone, group)?.0.state_at(now as u64) {
        State::Subscribed => "subscribed",
        State::Pending { .. } => "pending",
        State::Unsubscribed => "unsubscribed",
    })
}

fn set(
    db: &Connection,
    id: i64,
    phone: &str,
    status: &str,
    reason: Option<&str>,
    due: Option<i64>,
    now: i64,
) -> Result<(), String> {
    db.execute(
        "UPDATE recipients SET status = ?3, reason = ?4, due = ?5, time = ?6 WHERE message_id = ?1 AND phone = ?2",
        params![id, phone, status, reason, due, now],
    )
    .map_err(db_error)?;
    Ok(())
}

fn quota_json(db: &Connection, low: i64) -> Result<Value, String> {
    let q = quota(db)?;
    let used: Vec<(String, i64)> = query(db, "SELECT kind, used FROM usage", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let by = |k: Paid| used.iter().find(|(n, _)| n == k.name()).map_or(0, |u| u.1);
    let tickets: Vec<Value> = query(
        db,
        "SELECT count, messages, time, source FROM tickets ORDER BY id",
        [],
        |r| {
            Ok(
                json!({ "count": r.get::<_, i64>(0)?, "messages": r.get::<_, i64>(1)?, "time": r.get::<_, i64>(2)?, "source": r.get::<_, String>(3)? }),
            )
        },
    )?;
    let mut answer = json!({
        "total": q.total,
        "used": { "verification": by(Paid::Verification), "workflow": by(Paid::Workflow), "members": by(Paid::Members) },
        "remaining": q.remaining,
        "ticket_size": crate::config::TICKET_MESSAGES,
        "low_threshold": low,
        "tickets": tickets,
    });
    if q.remaining < low {
        answer["warning"] = json!(low_warning(q.remaining));
    }
    Ok(answer)
}

fn low_warning(remaining: i64) -> String {
    format!("low quota: {remaining} message(s) left; buy another ticket of 1,000")
}

/// Adds the low-quota warning to `answer` when it applies.
fn warn(db: &Connection, answer: &mut Value, low: i64) -> Result<(), String> {
    let left = quota(db)?.remaining;
    if left < low {
        answer["warning"] = json!(low_warning(left));
    }
    Ok(())
}
