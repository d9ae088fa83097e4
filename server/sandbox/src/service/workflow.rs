//! The workflow's writes: a change of state through the double opt-in
//! (from the API, an import or the SDK), an inbound text and its keyword,
//! each with its consent-log entry and the texts it sends, paid from the
//! quota, in one transaction.

use super::*;

impl Service {
    /// Applies `changes` in one transaction and returns why messages the
    /// quota could not pay for were refused. With an idempotency key, the
    /// response `respond` makes of those refusals is stored in the same
    /// transaction, so a retry replays it instead of applying twice.
    pub fn apply(&self, changes: &[Change], idempotency: Option<(&str, Respond)>) -> Result<Vec<String>, String> {
        self.db.write(|tx| {
            let mut refusals = Vec::new();
            for change in changes {
                if change.group.email {
                    for address in change.phones {
                        email_step(tx, change, address)?;
                    }
                    continue;
                }
                for phone in change.phones {
                    for text in step(tx, change, phone)? {
                        refusals.extend(send(tx, Some(change.group), phone, &text, Paid::Workflow, change.now)?);
                    }
                }
            }
            if let Some((key, respond)) = idempotency {
                let (status, body) = respond(&refusals);
                tx.execute(
                    "INSERT OR IGNORE INTO idempotency (key, status, body) VALUES (?1, ?2, ?3)",
                    params![key, status, body],
                )
                .map_err(db_error)?;
            }
            Ok(refusals)
        })
    }

    /// A reply from `phone` to `group`: classified by the group's keywords,
    /// then applied. Returns the messages sent in answer.
    pub fn inbound(
        &self,
        group: &Group,
        phone: &str,
        body: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<Vec<Outgoing>, String> {
        let category = group.keywords.classify(body);
        let intent = category.map_or(Intent::Other, |c| c.intent());
        let locale = category.map_or_else(|| origin.locale.clone(), |c| c.language().to_string());
        let origin = Origin {
            locale,
            ..origin.clone()
        };
        let phones = [phone.to_string()];
        let change = Change {
            group,
            phones: &phones,
            external_id: None,
            event: Event::Inbound {
                intent,
                double_opt_in: group.double_opt_in,
            },
            source: Source::Keyword,
            origin: &origin,
            now,
        };
        self.db.write(|tx| {
            let mut out = Vec::new();
            for text in step(tx, &change, phone)? {
                // (An empty text is not sent: the last row would be an
                // earlier message.)
                if !text.is_empty() {
                    send(tx, Some(group), phone, &text, Paid::Workflow, now)?;
                    out.extend(outbox_rows(tx, phone, 1)?);
                }
            }
            Ok(out)
        })
    }
}

/// Subscribes or unsubscribes `address` in an email group at once (no
/// workflow) and logs the change of state, with the address in the consent
/// log's `email`.
fn email_step(tx: &Connection, change: &Change, address: &str) -> Result<(), String> {
    let state = match change.event {
        Event::ApiSubscribe { .. } | Event::Import { subscribed: true } => "subscribed",
        _ => "unsubscribed",
    };
    let before: Option<String> = tx
        .query_row(
            "SELECT state FROM email_subscriptions WHERE email = ?1 AND group_id = ?2",
            params![address, change.group.id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_error)?;
    tx.execute(
        "INSERT INTO email_subscriptions (email, group_id, state, external_id, time) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (email, group_id) DO UPDATE SET state = ?3, external_id = COALESCE(?4, external_id), time = ?5",
        params![address, change.group.id, state, change.external_id, change.now],
    )
    .map_err(db_error)?;
    if before.as_deref() != Some(state) {
        let o = change.origin;
        tx.execute(
            "INSERT INTO consent_log (phone, email, group_id, state, source, time, disclosure, ip, user_agent)
             VALUES ('', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                address,
                change.group.id,
                state,
                change.source.as_str(),
                change.now,
                o.disclosure,
                o.ip,
                o.user_agent
            ],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// Runs the workflow for one number; stores the new state and logs a change
/// of state. Returns the texts to send, in order.
fn step(tx: &Connection, change: &Change, phone: &str) -> Result<Vec<String>, String> {
    let (group, origin, now) = (change.group, change.origin, change.now);
    let (before, stored_language) = load(tx, phone, &group.id)?;
    let language = if origin.locale.is_empty() {
        stored_language
    } else {
        origin.locale.clone()
    };
    let event = match change.event {
        Event::ApiSubscribe { double_opt_in } => Event::ApiSubscribe {
            double_opt_in: double_opt_in && group.double_opt_in,
        },
        ref e => e.clone(),
    };
    let (after, sends) = before.step(event, now as u64);
    let since = match after.state {
        State::Pending { since } => Some(since as i64),
        _ => None,
    };
    tx.execute(
        "INSERT INTO numbers (phone, group_id, state, pending_since, last_prompt, language, external_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (phone, group_id) DO UPDATE SET state = ?3, pending_since = ?4, last_prompt = ?5, language = ?6,
           external_id = COALESCE(?7, external_id)",
        params![
            phone,
            group.id,
            state_name(after.state),
            since,
            after.last_prompt.map(|t| t as i64),
            language,
            change.external_id
        ],
    )
    .map_err(db_error)?;
    if state_name(after.state) != state_name(before.state_at(now as u64)) || change.source == Source::Import {
        tx.execute(
            "INSERT INTO consent_log (phone, group_id, state, source, time, disclosure, ip, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![phone, group.id, state_name(after.state), change.source.as_str(), now, origin.disclosure, origin.ip, origin.user_agent],
        )
        .map_err(db_error)?;
    }
    Ok(sends.iter().map(|s| text_of(group, s, &language)).collect())
}

fn text_of(group: &Group, send: &Send, language: &str) -> String {
    let reply = |kind: Kind| {
        group
            .keywords
            .category(&kind, language)
            .map(|c| c.reply().to_string())
            .unwrap_or_default()
    };
    match send {
        Send::Prompt => group.prompt(language),
        Send::Confirmation => reply(Kind::Confirm),
        Send::OptInReply => reply(Kind::OptIn),
        Send::OptOutConfirmation => reply(Kind::OptOut),
        Send::HelpReply => reply(Kind::Help),
        Send::CustomReply(name) => reply(Kind::Custom(name.clone())),
    }
}

/// Puts one message in the outbox, paying one message per segment. When the
/// quota cannot pay, the message is recorded as refused and the reason
/// returned.
/// Sends `body` to `phone` (for `group`, or none: a verification code)
/// when the quota can pay for it, and records it in the outbox either way.
/// `Some(why)` when it was refused.
pub(crate) fn send(
    tx: &Connection,
    group: Option<&Group>,
    phone: &str,
    body: &str,
    kind: Paid,
    now: i64,
) -> Result<Option<String>, String> {
    if body.is_empty() {
        return Ok(None);
    }
    let segments = cost(group, phone, body);
    let left = quota(tx)?.remaining;
    let error = (left < segments).then(|| {
        format!("quota exhausted: {segments} message(s) needed, {left} left; the message to {phone} was not sent (buy another ticket of 1,000)")
    });
    if error.is_none() {
        tx.prepare_cached("UPDATE quota SET used = used + ?1 WHERE id = 1")
            .and_then(|mut s| s.execute(params![segments]))
            .map_err(db_error)?;
        tx.prepare_cached(
            "INSERT INTO usage (kind, used) VALUES (?1, ?2) ON CONFLICT (kind) DO UPDATE SET used = used + ?2",
        )
        .and_then(|mut s| s.execute(params![kind.name(), segments]))
        .map_err(db_error)?;
    }
    tx.prepare_cached(
        "INSERT INTO outbox (phone, group_id, body, segments, status, error, time, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![
            phone,
            group.map_or("", |g| g.id.as_str()),
            body,
            segments,
            if error.is_some() { "refused" } else { "sent" },
            error,
            now,
            kind.name()
        ])
    })
    .map_err(db_error)?;
    Ok(error)
}

/// What `body` to `phone` costs: WhatsApp bills per message, SMS per
/// segment.
pub(crate) fn cost(group: Option<&Group>, phone: &str, body: &str) -> i64 {
    match group.map(|g| g.channel) {
        Some(Channel::WhatsApp) => 1,
        _ => i64::from(segments::count(body, phone).segments),
    }
}
