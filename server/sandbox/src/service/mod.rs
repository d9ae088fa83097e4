//! The sandbox subscription service: numbers, the double-opt-in workflow,
//! the outbox, the prepaid quota and the consent log, in one SQLite file.
//!
//! Every change runs in one transaction that is on disk (WAL, synchronous
//! FULL) before the caller answers, so a request that got its 201 survives a
//! SIGKILL. The rules come from this crate's `double_opt_in`, `keywords` and `segments`.
//!
//! Here: the service, its database and its reads. The workflow's writes
//! (a change of state, an inbound text, what is sent and what it costs)
//! are in `workflow.rs`.

mod workflow;

pub(crate) use workflow::{cost, send};

use crate::config::{Channel, Config, Group};
use crate::double_opt_in::{Event, Intent, Number, Send, State};
use crate::keywords::Kind;
use crate::segments;
use consentry_relay::limits::Limiter;
use consentry_relay::store::Db;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// Where a state change came from, for the consent log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The subscription API.
    Api,
    /// A keyword the number sent.
    Keyword,
    /// A CSV import.
    Import,
    /// The Braze Web SDK (`POST /api/v3/data/`).
    Sdk,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Keyword => "keyword",
            Source::Import => "import",
            Source::Sdk => "sdk",
        }
    }
}

/// Who asked, for the consent log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The client's IP address.
    pub ip: String,
    /// The client's user agent.
    pub user_agent: String,
    /// The disclosure the visitor agreed to, when the request carried one.
    pub disclosure: String,
    /// The visitor's locale, when known: the prompt's language.
    pub locale: String,
}

/// Makes the response (status, JSON text) of a request from the refusals.
pub type Respond<'a> = &'a dyn Fn(&[String]) -> (u16, String);

/// One change to apply to some numbers of a group.
pub struct Change<'a> {
    /// The group.
    pub group: &'a Group,
    /// The numbers, E.164.
    pub phones: &'a [String],
    /// The site's user id, when given.
    pub external_id: Option<&'a str>,
    /// What happened.
    pub event: Event,
    /// Where it came from.
    pub source: Source,
    /// Who asked.
    pub origin: &'a Origin,
    /// When, ms since the epoch.
    pub now: i64,
}

/// A message in the outbox.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Outgoing {
    /// The number.
    pub phone: String,
    /// The group.
    pub subscription_group_id: String,
    /// The text.
    pub body: String,
    /// Billable segments.
    pub segments: i64,
    /// `sent`, or `refused` when the quota was exhausted.
    pub status: String,
    /// Why it was refused.
    pub error: Option<String>,
    /// When, ms since the epoch.
    pub time: i64,
}

/// A line of the consent log.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentEntry {
    /// The number (in an SMS or WhatsApp group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The email address (in an email group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The group.
    pub subscription_group_id: String,
    /// The new state: `subscribed`, `pending` or `unsubscribed`.
    pub state: String,
    /// `api`, `keyword` or `import`.
    pub source: String,
    /// When, ms since the epoch.
    pub time: i64,
    /// The disclosure text the visitor saw.
    pub disclosure: String,
    /// The client's IP address.
    pub ip: String,
    /// The client's user agent.
    pub user_agent: String,
}

/// The quota figures.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Quota {
    /// Messages bought.
    pub total: i64,
    /// Messages left.
    pub remaining: i64,
}

/// What a text is paid for, for the quota's use by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paid {
    /// The double-opt-in workflow's prompts, confirmations and replies.
    Workflow,
    /// Verification codes.
    Verification,
    /// Messages to members.
    Members,
}

impl Paid {
    /// Its name in the database and the answers.
    pub fn name(self) -> &'static str {
        match self {
            Paid::Workflow => "workflow",
            Paid::Verification => "verification",
            Paid::Members => "members",
        }
    }
}

/// The service over one SQLite file.
pub struct Service {
    /// The groups and quota.
    pub config: Config,
    pub(crate) db: Db,
    pub(crate) keys: crate::verify::Keys,
    /// The hour's failed verification checks, per client IP and in all.
    pub(crate) failed_checks: Mutex<crate::verify::FailedChecks>,
    limiter: Mutex<Limiter>,
    /// With `--test-clock`: how far the sandbox's clock is ahead of the
    /// system's, in ms (`POST /sandbox/clock` moves it forward).
    clock: Option<AtomicI64>,
    /// The relay in front of the sandbox, when the demo runs one
    /// (`GET /sandbox/relay` tells the demo's page).
    pub relay: Option<String>,
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Subscribed => "subscribed",
        State::Pending { .. } => "pending",
        State::Unsubscribed => "unsubscribed",
    }
}

pub(crate) fn db_error(e: rusqlite::Error) -> String {
    format!("database: {e}")
}

impl Service {
    /// Opens (or creates) the database at `path`.
    pub fn open(config: Config, path: &Path) -> Result<Service, String> {
        let db = Db::open(
            path,
            "database",
            "CREATE TABLE IF NOT EXISTS numbers (
               phone TEXT NOT NULL, group_id TEXT NOT NULL, state TEXT NOT NULL,
               pending_since INTEGER, last_prompt INTEGER, language TEXT NOT NULL DEFAULT 'en',
               external_id TEXT, PRIMARY KEY (phone, group_id));
             CREATE TABLE IF NOT EXISTS outbox (
               id INTEGER PRIMARY KEY, phone TEXT NOT NULL, group_id TEXT NOT NULL, body TEXT NOT NULL,
               segments INTEGER NOT NULL, status TEXT NOT NULL, error TEXT, time INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS consent_log (
               id INTEGER PRIMARY KEY, phone TEXT NOT NULL, group_id TEXT NOT NULL, state TEXT NOT NULL,
               source TEXT NOT NULL, time INTEGER NOT NULL, disclosure TEXT NOT NULL, ip TEXT NOT NULL,
               user_agent TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS quota (id INTEGER PRIMARY KEY CHECK (id = 1), total INTEGER NOT NULL, used INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, status INTEGER NOT NULL, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS profiles (external_id TEXT PRIMARY KEY, phone TEXT, email TEXT);
             CREATE TABLE IF NOT EXISTS tickets (
               id INTEGER PRIMARY KEY, count INTEGER NOT NULL, messages INTEGER NOT NULL, time INTEGER NOT NULL,
               source TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS usage (kind TEXT PRIMARY KEY, used INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS email_subscriptions (
               email TEXT NOT NULL, group_id TEXT NOT NULL, state TEXT NOT NULL, external_id TEXT,
               time INTEGER NOT NULL, PRIMARY KEY (email, group_id));
             CREATE TABLE IF NOT EXISTS codes (
               id INTEGER PRIMARY KEY, phone TEXT NOT NULL, purpose TEXT NOT NULL, tag BLOB NOT NULL,
               sent INTEGER NOT NULL, expires INTEGER NOT NULL, checks INTEGER NOT NULL DEFAULT 0,
               open INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS codes_phone ON codes (phone, sent);
             CREATE TABLE IF NOT EXISTS members (phone TEXT PRIMARY KEY, signed_up INTEGER NOT NULL, last_login INTEGER);
             CREATE TABLE IF NOT EXISTS messages (
               id INTEGER PRIMARY KEY, group_id TEXT NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
               advertising INTEGER NOT NULL, created INTEGER NOT NULL, send_at INTEGER NOT NULL,
               status TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS recipients (
               message_id INTEGER NOT NULL, phone TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
               due INTEGER, time INTEGER, PRIMARY KEY (message_id, phone));",
        )?;
        db.write(|db| {
            // Databases from before the quota's use by kind.
            let kinds: bool = db
                .prepare("SELECT 1 FROM pragma_table_info('outbox') WHERE name = 'kind'")
                .and_then(|mut s| s.exists([]))
                .map_err(db_error)?;
            if !kinds {
                // Everything sent before was the workflow's.
                db.execute_batch(
                    "ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'workflow';
                     INSERT OR IGNORE INTO usage (kind, used) SELECT 'workflow', used FROM quota WHERE id = 1;",
                )
                .map_err(db_error)?;
            }
            // Databases from before email groups: the consent log names emails too.
            let emails: bool = db
                .prepare("SELECT 1 FROM pragma_table_info('consent_log') WHERE name = 'email'")
                .and_then(|mut s| s.exists([]))
                .map_err(db_error)?;
            if !emails {
                db.execute_batch("ALTER TABLE consent_log ADD COLUMN email TEXT")
                    .map_err(db_error)?;
            }
            // The configuration's tickets are the first grant, recorded
            // once: later purchases live in the database.
            let bought: i64 = db
                .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
                .map_err(db_error)?;
            if bought == 0 {
                db.execute(
                    "INSERT INTO tickets (count, messages, time, source) VALUES (?1, ?2, 0, 'configuration')",
                    params![
                        config.quota_messages / crate::config::TICKET_MESSAGES,
                        config.quota_messages
                    ],
                )
                .map_err(db_error)?;
                db.execute(
                    "INSERT INTO quota (id, total, used) VALUES (1, ?1, 0) ON CONFLICT (id) DO UPDATE SET total = ?1",
                    params![config.quota_messages],
                )
                .map_err(db_error)?;
            }
            Ok(())
        })?;
        let secret = std::env::var("CONSENTRY_VERIFY_SECRET").ok().filter(|s| !s.is_empty());
        let keys = crate::verify::Keys::new(secret.as_deref())?;
        Ok(Service {
            limiter: Mutex::new(Limiter::new(config.limits)),
            config,
            db,
            keys,
            failed_checks: Mutex::default(),
            clock: None,
            relay: None,
        })
    }

    /// Notes the URL of the relay in front of the sandbox.
    pub fn with_relay(mut self, url: Option<String>) -> Service {
        self.relay = url;
        self
    }

    /// Turns on the sandbox-only clock that `POST /sandbox/clock` moves
    /// forward, so tests outside the process can reach the 24-hour prompt
    /// throttle and the 30-day confirmation window.
    pub fn with_test_clock(mut self) -> Service {
        self.clock = Some(AtomicI64::new(0));
        self
    }

    /// The sandbox's time for a request at `system` (ms since the epoch).
    pub fn now(&self, system: i64) -> i64 {
        system + self.clock.as_ref().map_or(0, |c| c.load(Ordering::SeqCst))
    }

    /// Moves the test clock forward by `ms`; `None` when it is off.
    pub fn advance(&self, ms: i64) -> Option<()> {
        self.clock.as_ref().map(|c| {
            c.fetch_add(ms, Ordering::SeqCst);
        })
    }

    /// Counts a subscription request from `ip` naming `phones` against the
    /// rate limits; `Err(seconds)` to wait when one is reached.
    pub fn admit(&self, ip: &str, phones: &[&str], now: i64) -> Result<(), u64> {
        match self.limiter.lock() {
            Ok(mut l) => l.admit(ip, phones, now),
            Err(_) => Err(60),
        }
    }

    /// Keeps `phone` and `email` (each when given) in the profile of
    /// `external_id`, as Braze's user profiles keep them.
    pub fn set_profile(&self, external_id: &str, phone: Option<&str>, email: Option<&str>) -> Result<(), String> {
        self.db.write(|db| {
            db.execute(
                "INSERT INTO profiles (external_id, phone, email) VALUES (?1, ?2, ?3)
                 ON CONFLICT (external_id) DO UPDATE SET phone = COALESCE(?2, phone), email = COALESCE(?3, email)",
                params![external_id, phone, email],
            )
            .map_err(db_error)?;
            Ok(())
        })
    }

    /// The phone number of `external_id`'s profile, if it has one.
    pub fn profile_phone(&self, external_id: &str) -> Result<Option<String>, String> {
        self.db.read(|db| {
            db.query_row(
                "SELECT phone FROM profiles WHERE external_id = ?1",
                params![external_id],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(db_error)
        })
    }

    /// A response stored under an idempotency key, if any.
    pub fn replay(&self, key: &str) -> Result<Option<(u16, String)>, String> {
        self.db.read(|db| {
            db.prepare_cached("SELECT status, body FROM idempotency WHERE key = ?1")
                .and_then(|mut s| s.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(db_error)
        })
    }

    /// Everything sent to `phone`, oldest first.
    pub fn outbox(&self, phone: &str) -> Result<Vec<Outgoing>, String> {
        let mut rows = self.db.read(|db| outbox_rows(db, phone, i64::MAX))?;
        rows.reverse();
        Ok(rows)
    }

    /// `phone`'s state per group at `now`: (group, api state, pending).
    pub fn status(&self, phone: &str, now: i64) -> Result<Vec<(String, &'static str, bool)>, String> {
        self.db.read(|db| {
            let mut out = Vec::new();
            for g in &self.config.groups {
                let n = load(db, phone, &g.id)?.0.state_at(now as u64);
                out.push((g.id.clone(), n.api_state(), matches!(n, State::Pending { .. })));
            }
            Ok(out)
        })
    }

    /// The consent log of `phone`, oldest first.
    pub fn consent_log(&self, phone: &str) -> Result<Vec<ConsentEntry>, String> {
        self.log_of("phone", phone)
    }

    /// The consent log of the email address `email` (email groups), oldest first.
    pub fn email_consent_log(&self, email: &str) -> Result<Vec<ConsentEntry>, String> {
        self.log_of("email", email)
    }

    fn log_of(&self, column: &str, value: &str) -> Result<Vec<ConsentEntry>, String> {
        let sql = format!(
            "SELECT NULLIF(phone, ''), NULLIF(email, ''), group_id, state, source, time, disclosure, ip, user_agent FROM consent_log WHERE {column} = ?1 ORDER BY id"
        );
        self.db.read(|db| {
            query(db, &sql, params![value], |r| {
                Ok(ConsentEntry {
                    phone: r.get(0)?,
                    email: r.get(1)?,
                    subscription_group_id: r.get(2)?,
                    state: r.get(3)?,
                    source: r.get(4)?,
                    time: r.get(5)?,
                    disclosure: r.get(6)?,
                    ip: r.get(7)?,
                    user_agent: r.get(8)?,
                })
            })
        })
    }
}

pub(crate) fn quota(db: &Connection) -> Result<Quota, String> {
    db.query_row("SELECT total, total - used FROM quota WHERE id = 1", [], |r| {
        Ok(Quota {
            total: r.get(0)?,
            remaining: r.get(1)?,
        })
    })
    .map_err(db_error)
}

pub(crate) fn load(db: &Connection, phone: &str, group: &str) -> Result<(Number, String), String> {
    let row: Option<(String, Option<i64>, Option<i64>, String)> = db
        .query_row(
            "SELECT state, pending_since, last_prompt, language FROM numbers WHERE phone = ?1 AND group_id = ?2",
            params![phone, group],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db_error)?;
    Ok(match row {
        None => (Number::default(), "en".into()),
        Some((state, since, last_prompt, language)) => {
            let state = match (state.as_str(), since) {
                ("subscribed", _) => State::Subscribed,
                ("pending", Some(since)) => State::Pending { since: since as u64 },
                _ => State::Unsubscribed,
            };
            (
                Number {
                    state,
                    last_prompt: last_prompt.map(|t| t as u64),
                },
                language,
            )
        }
    })
}

fn outbox_rows(db: &Connection, phone: &str, limit: i64) -> Result<Vec<Outgoing>, String> {
    let sql = "SELECT phone, group_id, body, segments, status, error, time FROM outbox WHERE phone = ?1 ORDER BY id DESC LIMIT ?2";
    query(db, sql, params![phone, limit], |r| {
        Ok(Outgoing {
            phone: r.get(0)?,
            subscription_group_id: r.get(1)?,
            body: r.get(2)?,
            segments: r.get(3)?,
            status: r.get(4)?,
            error: r.get(5)?,
            time: r.get(6)?,
        })
    })
}

pub(crate) fn query<T>(
    db: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
) -> Result<Vec<T>, String> {
    let mut stmt = db.prepare(sql).map_err(db_error)?;
    let rows = stmt.query_map(params, row).map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}
