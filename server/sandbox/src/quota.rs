//! The prepaid SMS quota: tickets of 1,000 messages bought, what each kind
//! of text used, and the warning below the low threshold that every answer
//! that spends from it carries.

use crate::error::{Error, Reply};
use crate::service::{db_error, query, quota, Paid, Service};
use rusqlite::{params, Connection};
use serde_json::{json, Value};

/// Tickets bought in one purchase, at most.
pub const MAX_TICKETS: i64 = 100;

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
}

pub(crate) fn quota_json(db: &Connection, low: i64) -> Result<Value, String> {
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
pub(crate) fn warn(db: &Connection, answer: &mut Value, low: i64) -> Result<(), String> {
    let left = quota(db)?.remaining;
    if left < low {
        answer["warning"] = json!(low_warning(left));
    }
    Ok(())
}
