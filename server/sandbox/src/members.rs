//! A group's members and the messages an operator sends them: queued or
//! scheduled, refused by the country's rules, deferred to its hours, and
//! paid from the quota. The rules are [`crate::messages`]'s.

use crate::double_opt_in::State;
use crate::error::{Error, Reply};
use crate::messages;
use crate::quota::warn;
use crate::service::{cost, db_error, load, query, quota, send, Paid, Service};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

impl Service {
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
