//! The relay's consent ledger and request store, in SQLite.
//!
//! - **Ledger**: append-only and tamper-evident. Each entry is one JSON
//!   object (a phone opt-in's consent record, or a cookie choice's
//!   receipt) and carries the SHA-256 of the previous entry's hash and its
//!   own text, so changing, removing or reordering any entry breaks every
//!   hash after it; [`Ledger::verify`] names the first broken entry.
//!   Entries older than the retention are pruned from the start of the
//!   chain, which then starts from the last pruned hash (kept as the
//!   anchor).
//! - **Requests**: each request the relay acknowledged, by its
//!   `Idempotency-Key`: its Braze body, and once delivered, Braze's answer.
//!   A retry gets the stored answer; a request not yet delivered (the relay
//!   was killed, or Braze kept failing) is delivered later by the worker,
//!   with the same key.
//!
//! The ledger entry and the request are written in one transaction, before
//! the relay forwards anything: an acknowledged request is always in both.
//! With SQLite, writes share fsyncs through [`crate::store`]'s group commit.

use crate::checkpoint::{self, Signer};
use crate::store::Db;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of `text`, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An entry's hash: over the previous hash, a newline and the entry's text.
pub fn chain_hash(prev: &str, entry: &str) -> String {
    sha256_hex(&format!("{prev}\n{entry}"))
}

/// The columns an entry is found by (export) and pruned by: each is a
/// field of the entry's hashed text, and `verify` checks that they still
/// are, so a changed column is named like a changed text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Columns {
    /// `kind`: `subscription` or `receipt`.
    pub kind: String,
    /// `phone`.
    pub phone: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `consent_id`.
    pub consent_id: Option<String>,
    /// `server_time`, ms: when the relay wrote it (retention counts from it).
    pub time: i64,
}

impl Columns {
    /// The columns of an entry's JSON text.
    pub fn of(text: &str) -> Columns {
        Columns::of_entry(&serde_json::from_str(text).unwrap_or_default())
    }

    /// The columns of an entry.
    pub fn of_entry(e: &Value) -> Columns {
        let field = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        Columns {
            kind: field("kind").unwrap_or_default(),
            phone: field("phone"),
            external_id: field("external_id"),
            consent_id: field("consent_id"),
            time: e["server_time"].as_i64().unwrap_or_default(),
        }
    }
}

/// One entry to append: its place in the chain, the columns it is found by,
/// its text, hashes and signature.
pub struct Link {
    /// Its position in the chain.
    pub seq: i64,
    /// Its columns (fields of `text`).
    pub columns: Columns,
    /// The entry's JSON text.
    pub text: String,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
    /// The relay's signature of (`seq`, `hash`).
    pub signature: String,
}

/// `entries` chained after the entry `seq` whose hash is `prev`, each
/// stamped with `server_time` `now` unless it has one, and signed (both
/// stores append these, then sign the head).
pub fn links(mut seq: i64, mut prev: String, entries: &[Value], now: i64, signer: &Signer) -> Vec<Link> {
    let mut out = Vec::new();
    for e in entries {
        let mut e = e.clone();
        if e.get("server_time").is_none_or(Value::is_null) {
            e["server_time"] = Value::from(now);
        }
        let text = e.to_string();
        let hash = chain_hash(&prev, &text);
        seq += 1;
        out.push(Link {
            seq,
            columns: Columns::of_entry(&e),
            signature: signer.sign_entry(seq, &hash),
            text,
            prev: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    out
}

/// The signed head: where the chain ended when the relay last appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The last entry's seq (0: none yet).
    pub seq: i64,
    /// Its hash.
    pub hash: String,
    /// When it was signed, ms.
    pub time: i64,
    /// The relay's signature (none before the first entry).
    pub signature: Option<String>,
}

impl Head {
    /// The head after `links`, signed at `now`.
    pub fn after(links: &[Link], now: i64, signer: &Signer) -> Option<Head> {
        links.last().map(|l| Head {
            seq: l.seq,
            hash: l.hash.clone(),
            time: now,
            signature: Some(signer.sign_head(l.seq, &l.hash, now)),
        })
    }

    /// The head as `export` prints it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "seq": self.seq, "hash": self.hash, "time": self.time, "signature": self.signature })
    }
}

/// Checks one stored entry on its own: its hash, its columns and its
/// signature (`verify` and `verify-export` both use this).
pub fn check_entry(e: &Entry, public_key: &str) -> Result<(), String> {
    if chain_hash(&e.prev, &e.entry) != e.hash {
        return Err(format!("entry {}: its text does not match its hash (changed)", e.seq));
    }
    let text = Columns::of(&e.entry);
    for (name, column, field) in [
        ("kind", Some(&e.columns.kind), Some(&text.kind)),
        ("phone", e.columns.phone.as_ref(), text.phone.as_ref()),
        ("external_id", e.columns.external_id.as_ref(), text.external_id.as_ref()),
        ("consent_id", e.columns.consent_id.as_ref(), text.consent_id.as_ref()),
    ] {
        if column != field {
            return Err(format!(
                "entry {}: its {name} column is not its text's (changed)",
                e.seq
            ));
        }
    }
    if e.columns.time != text.time {
        return Err(format!("entry {}: its time column is not its text's (changed)", e.seq));
    }
    match &e.signature {
        Some(s) if checkpoint::verify_entry(public_key, e.seq, &e.hash, s) => Ok(()),
        Some(_) => Err(format!(
            "entry {}: its signature does not hold for its hash under the public key (re-hashed, or another key)",
            e.seq
        )),
        None => Err(format!("entry {}: it has no signature", e.seq)),
    }
}

/// Walks the chain from its anchor (`None`: the start) through `entries`
/// in order and checks it ends at the signed `head`. `Ok(n)`: `n`
/// entries, all intact; `Err` names the first thing that does not hold
/// (both stores verify with this).
pub fn verify_chain(
    anchor: Option<(i64, String)>,
    entries: impl IntoIterator<Item = Result<Entry, String>>,
    head: Option<Head>,
    public_key: &str,
) -> Result<u64, String> {
    let (mut seq, mut prev) = anchor.unwrap_or((0, GENESIS.to_string()));
    let mut n = 0;
    for e in entries {
        let e = e?;
        if e.seq != seq + 1 {
            return Err(format!("entry {} is missing (the next is {})", seq + 1, e.seq));
        }
        if e.prev != prev {
            return Err(format!("entry {}: its previous hash is not entry {}'s", e.seq, seq));
        }
        check_entry(&e, public_key)?;
        (seq, prev) = (e.seq, e.hash);
        n += 1;
    }
    let head = match head {
        Some(h) if h.seq > 0 => h,
        _ if seq == 0 => return Ok(0),
        _ => return Err("the ledger has no signed head: its head row was removed".into()),
    };
    let signed = head
        .signature
        .as_deref()
        .is_some_and(|s| checkpoint::verify_head(public_key, head.seq, &head.hash, head.time, s));
    if !signed {
        return Err(format!(
            "the head (entry {}) is not signed by the public key (changed, or another key)",
            head.seq
        ));
    }
    if head.seq > seq {
        return Err(format!(
            "entries {} to {} are missing: the signed head is entry {} (the ledger was truncated)",
            seq + 1,
            head.seq,
            head.seq
        ));
    }
    if head.seq < seq || head.hash != prev {
        return Err(format!(
            "the chain ends at entry {seq}, which is not the signed head (entry {}): entries were rewritten",
            head.seq
        ));
    }
    Ok(n)
}

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its position in the chain (1 is the first ever written).
    pub seq: i64,
    /// The entry's JSON text.
    pub entry: String,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
    /// The columns stored beside it.
    pub columns: Columns,
    /// The relay's signature of its place.
    pub signature: Option<String>,
}

impl Entry {
    /// The entry as `export` prints it: its exact text (what the hash
    /// covers), the text read as JSON, and what proves it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "seq": self.seq,
            "entry": serde_json::from_str::<Value>(&self.entry).unwrap_or_default(),
            "text": self.entry,
            "prev": self.prev,
            "hash": self.hash,
            "signature": self.signature,
        })
    }
}

/// A stored request: the fingerprint of what its key was first used for,
/// and Braze's answer once delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// SHA-256 of the request's path and body (`None` in a database from
    /// before fingerprints).
    pub fingerprint: Option<String>,
    /// Braze's final answer; `None` while undelivered.
    pub answer: Option<(u16, String)>,
}

/// A request the relay acknowledged.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Its `Idempotency-Key`.
    pub key: String,
    /// The Braze endpoint, e.g. `/subscription/status/set`.
    pub path: String,
    /// The body sent to Braze (without the consent record).
    pub body: String,
    /// SHA-256 of the page's path and body: a key used again for another
    /// body is refused.
    pub fingerprint: String,
}

/// The ledger and request store: a SQLite file (one relay), or a
/// PostgreSQL database that several relays share ([`crate::ledger_pg`]).
pub enum Ledger {
    /// Over one SQLite file.
    Sqlite(Sqlite),
    /// Over PostgreSQL.
    Postgres(crate::ledger_pg::Postgres),
}

/// Calls the same method on either store.
macro_rules! both {
    ($self:ident, $l:ident => $e:expr) => {
        match $self {
            Ledger::Sqlite($l) => $e,
            Ledger::Postgres($l) => $e,
        }
    };
}

/// Whether `target` names a PostgreSQL database rather than a file.
pub fn is_postgres(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

impl Ledger {
    /// Opens `target`: a `postgres://` URL, else a SQLite file path
    /// (created when missing). Appending needs `signer`; reading,
    /// verifying and pruning do not.
    pub fn open(target: &str, signer: Option<Signer>) -> Result<Ledger, String> {
        if is_postgres(target) {
            Ok(Ledger::Postgres(crate::ledger_pg::Postgres::open(target, signer)?))
        } else {
            Ok(Ledger::Sqlite(Sqlite::open(Path::new(target), signer)?))
        }
    }

    /// See [`Sqlite::answer`].
    pub fn answer(&self, key: &str) -> Result<Option<Stored>, String> {
        both!(self, l => l.answer(key))
    }

    /// See [`Sqlite::accept`].
    pub fn accept(
        &self,
        request: &Pending,
        entries: &[Value],
        answer: Option<(u16, &str)>,
        now: i64,
    ) -> Result<bool, String> {
        both!(self, l => l.accept(request, entries, answer, now))
    }

    /// See [`Sqlite::append`].
    pub fn append(&self, entries: &[Value], now: i64) -> Result<(), String> {
        both!(self, l => l.append(entries, now))
    }

    /// See [`Sqlite::delivered`].
    pub fn delivered(&self, key: &str, status: u16, answer: &str, now: i64) -> Result<(), String> {
        both!(self, l => l.delivered(key, status, answer, now))
    }

    /// See [`Sqlite::attempted`].
    pub fn attempted(&self, key: &str) -> Result<(), String> {
        both!(self, l => l.attempted(key))
    }

    /// See [`Sqlite::undelivered`]; with PostgreSQL each is leased to this
    /// relay for 30 s, so two relays never deliver the same request at once.
    /// `only`: that request alone (a repeat that may deliver it).
    pub fn undelivered(&self, before: i64, limit: i64, now: i64, only: Option<&str>) -> Result<Vec<Pending>, String> {
        match self {
            Ledger::Sqlite(l) => l.undelivered(before, limit, only),
            Ledger::Postgres(l) => l.undelivered(before, limit, now, only),
        }
    }

    /// See [`Sqlite::query`].
    pub fn query(&self, by: By) -> Result<Vec<Entry>, String> {
        both!(self, l => l.query(by))
    }

    /// See [`Sqlite::head`].
    pub fn head(&self) -> Result<Option<Head>, String> {
        both!(self, l => l.head())
    }

    /// See [`Sqlite::verify`].
    pub fn verify(&self, public_key: &str) -> Result<u64, String> {
        both!(self, l => l.verify(public_key))
    }

    /// See [`Sqlite::prune`].
    pub fn prune(&self, before: i64) -> Result<usize, String> {
        both!(self, l => l.prune(before))
    }
}

/// The store over one SQLite file.
pub struct Sqlite {
    db: Db,
    signer: Option<std::sync::Arc<Signer>>,
}

fn db_error(e: rusqlite::Error) -> String {
    format!("ledger database: {e}")
}

/// Why a store opened without its key cannot append.
pub fn no_signer() -> String {
    "the ledger was opened without its signing key: nothing can be appended".into()
}

/// What a query of the ledger selects.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// Entries naming this phone number.
    Phone(&'a str),
    /// Entries naming this external id.
    ExternalId(&'a str),
    /// Entries naming this consent id (a cookie choice's, and the phone
    /// opt-ins made in the same browser).
    ConsentId(&'a str),
}

impl By<'_> {
    /// The column and the value.
    pub fn column(&self) -> (&'static str, &str) {
        match *self {
            By::Phone(v) => ("phone", v),
            By::ExternalId(v) => ("external_id", v),
            By::ConsentId(v) => ("consent_id", v),
        }
    }
}

/// The entry columns every query selects, in [`row`]'s order.
pub const ENTRY_COLUMNS: &str = "seq, entry, prev, hash, kind, phone, external_id, consent_id, time, signature";

impl Sqlite {
    /// Opens (or creates) the store at `path`; a database from before
    /// signatures and fingerprints gains their columns.
    pub fn open(path: &Path, signer: Option<Signer>) -> Result<Sqlite, String> {
        let db = Db::open(
            path,
            "ledger database",
            "CREATE TABLE IF NOT EXISTS ledger (
               seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL,
               phone TEXT, external_id TEXT, consent_id TEXT,
               entry TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS ledger_phone ON ledger (phone);
             CREATE INDEX IF NOT EXISTS ledger_external_id ON ledger (external_id);
             CREATE INDEX IF NOT EXISTS ledger_consent_id ON ledger (consent_id);
             CREATE TABLE IF NOT EXISTS anchor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,
               hash TEXT NOT NULL, time INTEGER NOT NULL, signature TEXT);
             CREATE TABLE IF NOT EXISTS requests (
               key TEXT PRIMARY KEY, path TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL,
               status INTEGER, answer TEXT, delivered INTEGER, attempts INTEGER NOT NULL DEFAULT 0);
             CREATE INDEX IF NOT EXISTS requests_pending ON requests (delivered);",
        )?;
        db.write(|tx| {
            for (table, column) in [("ledger", "signature"), ("requests", "fingerprint")] {
                let present: bool = tx
                    .query_row(
                        "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
                        params![table, column],
                        |r| r.get(0),
                    )
                    .map_err(db_error)?;
                if !present {
                    tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} TEXT"))
                        .map_err(db_error)?;
                }
            }
            Ok(())
        })?;
        // The head is signed once per commit, for all of its appends.
        let signer = signer.map(std::sync::Arc::new);
        let db = match &signer {
            Some(s) => {
                let s = std::sync::Arc::clone(s);
                db.before_commit(Box::new(move |conn| sign_head(conn, &s)))
            }
            None => db,
        };
        Ok(Sqlite { db, signer })
    }

    /// The stored request `key`, if any.
    pub fn answer(&self, key: &str) -> Result<Option<Stored>, String> {
        let row: Option<(Option<String>, Option<u16>, Option<String>)> = self.db.read(|db| {
            db.prepare_cached("SELECT fingerprint, status, answer FROM requests WHERE key = ?1")
                .and_then(|mut s| {
                    s.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()
                })
                .map_err(db_error)
        })?;
        Ok(row.map(|(fingerprint, status, answer)| Stored {
            fingerprint,
            answer: status.zip(answer),
        }))
    }

    /// Records an acknowledged request and its ledger entries in one
    /// transaction; with `answer`, as answered already (a receipt: it goes
    /// nowhere else). `false` when `key` was already recorded (nothing
    /// written).
    pub fn accept(
        &self,
        request: &Pending,
        entries: &[Value],
        answer: Option<(u16, &str)>,
        now: i64,
    ) -> Result<bool, String> {
        let signer = self.signer()?;
        let (status, text) = answer.unzip();
        self.db.write(|tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO requests (key, path, body, created, status, answer, delivered, fingerprint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?5 IS NULL THEN NULL ELSE ?4 END, ?7)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        request.key,
                        request.path,
                        request.body,
                        now,
                        status,
                        text,
                        request.fingerprint
                    ])
                })
                .map_err(db_error)?;
            if inserted == 0 {
                return Ok(false);
            }
            append(tx, entries, now, signer)?;
            Ok(true)
        })
    }

    /// Appends entries that belong to no request.
    pub fn append(&self, entries: &[Value], now: i64) -> Result<(), String> {
        let signer = self.signer()?;
        self.db.write(|tx| append(tx, entries, now, signer))
    }

    fn signer(&self) -> Result<&Signer, String> {
        self.signer.as_deref().ok_or_else(no_signer)
    }

    /// Stores Braze's final answer to request `key`.
    pub fn delivered(&self, key: &str, status: u16, answer: &str, now: i64) -> Result<(), String> {
        self.db.write(|db| {
            db.prepare_cached(
                "UPDATE requests SET status = ?2, answer = ?3, delivered = ?4, attempts = attempts + 1 WHERE key = ?1",
            )
            .and_then(|mut s| s.execute(params![key, status, answer, now]))
            .map_err(db_error)?;
            Ok(())
        })
    }

    /// Counts a failed delivery attempt.
    pub fn attempted(&self, key: &str) -> Result<(), String> {
        self.db.write(|db| {
            db.execute(
                "UPDATE requests SET attempts = attempts + 1 WHERE key = ?1",
                params![key],
            )
            .map_err(db_error)?;
            Ok(())
        })
    }

    /// Requests acknowledged before `before` (ms) and not yet delivered,
    /// oldest first.
    pub fn undelivered(&self, before: i64, limit: i64, only: Option<&str>) -> Result<Vec<Pending>, String> {
        self.db.read(|db| {
            let mut stmt = db
                .prepare_cached(
                    "SELECT key, path, body, fingerprint FROM requests WHERE delivered IS NULL AND created < ?1
                     AND (?3 IS NULL OR key = ?3) ORDER BY created LIMIT ?2",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![before, limit, only], |r| {
                    Ok(Pending {
                        key: r.get(0)?,
                        path: r.get(1)?,
                        body: r.get(2)?,
                        fingerprint: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    })
                })
                .map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)
        })
    }

    /// The entries a query selects, oldest first.
    pub fn query(&self, by: By) -> Result<Vec<Entry>, String> {
        let (column, value) = by.column();
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM ledger WHERE {column} = ?1 ORDER BY seq");
        self.db.read(|db| {
            let mut stmt = db.prepare(&sql).map_err(db_error)?;
            let rows = stmt.query_map(params![value], row).map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)
        })
    }

    /// The signed head, if anything was ever appended.
    pub fn head(&self) -> Result<Option<Head>, String> {
        self.db.read(head)
    }

    /// Walks the whole chain from its anchor and checks every entry's
    /// signature and the signed head under `public_key`. `Ok(n)`: `n`
    /// entries, all intact; `Err` names the first thing that does not hold.
    pub fn verify(&self, public_key: &str) -> Result<u64, String> {
        self.db.read(|db| {
            // One snapshot: an append or a prune between the reads would
            // move the head or the anchor.
            let db = db.unchecked_transaction().map_err(db_error)?;
            let anchor: Option<(i64, String)> = db
                .query_row("SELECT seq, hash FROM anchor WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(db_error)?;
            let head = head(&db)?;
            let mut stmt = db
                .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM ledger ORDER BY seq"))
                .map_err(db_error)?;
            let rows = stmt.query_map([], row).map_err(db_error)?;
            verify_chain(anchor, rows.map(|e| e.map_err(db_error)), head, public_key)
        })
    }

    /// Drops entries older than `before` (ms) from the start of the chain
    /// and keeps the last dropped hash as the anchor; returns how many.
    pub fn prune(&self, before: i64) -> Result<usize, String> {
        self.db.write(|tx| {
            let last: Option<(i64, String)> = tx
                .query_row(
                    "SELECT seq, hash FROM ledger WHERE time < ?1 ORDER BY seq DESC LIMIT 1",
                    params![before],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_error)?;
            let Some((seq, hash)) = last else { return Ok(0) };
            let n = tx
                .execute("DELETE FROM ledger WHERE seq <= ?1", params![seq])
                .map_err(db_error)?;
            tx.execute(
                "INSERT INTO anchor (id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = ?1, hash = ?2",
                params![seq, hash],
            )
            .map_err(db_error)?;
            tx.execute(
                "DELETE FROM requests WHERE delivered IS NOT NULL AND created < ?1",
                params![before],
            )
            .map_err(db_error)?;
            Ok(n)
        })
    }
}

fn head(db: &Connection) -> Result<Option<Head>, String> {
    db.query_row("SELECT seq, hash, time, signature FROM head WHERE id = 1", [], |r| {
        Ok(Head {
            seq: r.get(0)?,
            hash: r.get(1)?,
            time: r.get(2)?,
            signature: r.get(3)?,
        })
    })
    .optional()
    .map_err(db_error)
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: r.get(0)?,
        entry: r.get(1)?,
        prev: r.get(2)?,
        hash: r.get(3)?,
        columns: Columns {
            kind: r.get(4)?,
            phone: r.get(5)?,
            external_id: r.get(6)?,
            consent_id: r.get(7)?,
            time: r.get(8)?,
        },
        signature: r.get(9)?,
    })
}

/// Appends `entries`, each signed, to the chain inside `tx` (which holds
/// the write lock, so no other writer sits between reading the last hash
/// and appending). The head is signed when the commit is made
/// ([`sign_head`]).
fn append(tx: &Connection, entries: &[Value], now: i64, signer: &Signer) -> Result<(), String> {
    let last = last_entry(tx)?;
    let anchor = || -> Result<(i64, String), String> {
        Ok(tx
            .query_row("SELECT seq, hash FROM anchor WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db_error)?
            .unwrap_or((0, GENESIS.to_string())))
    };
    let (seq, prev) = match last {
        Some(l) => l,
        None => anchor()?,
    };
    let links = links(seq, prev, entries, now, signer);
    for l in &links {
        let c = &l.columns;
        tx.prepare_cached(
            "INSERT INTO ledger (seq, time, kind, phone, external_id, consent_id, entry, prev, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut s| {
            s.execute(params![
                l.seq,
                c.time,
                c.kind,
                c.phone,
                c.external_id,
                c.consent_id,
                l.text,
                l.prev,
                l.hash,
                l.signature
            ])
        })
        .map_err(db_error)?;
    }
    Ok(())
}

/// The last entry's seq and hash, if any.
fn last_entry(tx: &Connection) -> Result<Option<(i64, String)>, String> {
    tx.prepare_cached("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(db_error)
}

/// Signs the chain's end as the head, unless the head is it already: run
/// once per commit, after every append in it.
fn sign_head(tx: &Connection, signer: &Signer) -> Result<(), String> {
    let last = last_entry(tx)?;
    let Some((seq, hash)) = last else { return Ok(()) };
    if head(tx)?.is_some_and(|h| h.seq == seq && h.hash == hash) {
        return Ok(());
    }
    let time = crate::relay::now_ms();
    tx.prepare_cached(
        "INSERT INTO head (id, seq, hash, time, signature) VALUES (1, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET seq = ?1, hash = ?2, time = ?3, signature = ?4",
    )
    .and_then(|mut s| s.execute(params![seq, hash, time, signer.sign_head(seq, &hash, time)]))
    .map_err(db_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("consentry-ledger-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("ledger.db")
    }

    const KEY: &str = "dGhlLWxlZGdlci10ZXN0cy1rZXktb2YtMzItYnl0ZXM";

    fn signer() -> Signer {
        Signer::from_text(KEY).unwrap()
    }

    fn open(path: &Path) -> Ledger {
        Ledger::open(path.to_str().unwrap(), Some(signer())).unwrap()
    }

    #[test]
    fn the_chain_verifies_and_names_the_first_changed_entry() {
        let path = temp("chain");
        let l = open(&path);
        let public = signer().public_key();
        for i in 0..5 {
            l.append(&[json!({"kind": "receipt", "consent_id": format!("c{i}")})], i)
                .unwrap();
        }
        assert_eq!(l.verify(&public), Ok(5));
        assert_eq!(l.query(By::ConsentId("c3")).unwrap().len(), 1);
        let db = Connection::open(&path).unwrap();
        db.execute("UPDATE ledger SET entry = replace(entry, 'c2', 'cX') WHERE seq = 3", [])
            .unwrap();
        assert_eq!(
            l.verify(&public),
            Err("entry 3: its text does not match its hash (changed)".into())
        );
        db.execute("UPDATE ledger SET entry = replace(entry, 'cX', 'c2') WHERE seq = 3", [])
            .unwrap();
        db.execute("DELETE FROM ledger WHERE seq = 2", []).unwrap();
        assert_eq!(l.verify(&public), Err("entry 2 is missing (the next is 3)".into()));
    }

    #[test]
    fn a_rehashed_chain_a_truncated_tail_and_changed_columns_are_named() {
        let path = temp("forged");
        let l = open(&path);
        let public = signer().public_key();
        for i in 0..4 {
            l.append(
                &[json!({"kind": "subscription", "phone": format!("+1415555000{i}"), "consent_id": "c"})],
                i,
            )
            .unwrap();
        }
        let db = Connection::open(&path).unwrap();
        // Whoever holds the database edits entry 3 and recomputes every hash
        // after it: the chain holds, the signatures do not.
        let rows: Vec<(i64, String)> = db
            .prepare("SELECT seq, entry FROM ledger ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut prev = GENESIS.to_string();
        for (seq, text) in &rows {
            let text = text.replace("+14155550002", "+14155550099");
            let hash = chain_hash(&prev, &text);
            db.execute(
                "UPDATE ledger SET entry = ?2, prev = ?3, hash = ?4, phone = ?5 WHERE seq = ?1",
                params![seq, text, prev, hash, Columns::of(&text).phone],
            )
            .unwrap();
            prev = hash;
        }
        db.execute("UPDATE head SET hash = ?1", params![prev]).unwrap();
        let e = l.verify(&public).unwrap_err();
        assert!(e.starts_with("entry 3: its signature does not hold"), "{e}");

        let path = temp("truncated");
        let l = open(&path);
        for i in 0..3 {
            l.append(&[json!({"kind": "receipt", "consent_id": format!("c{i}")})], i)
                .unwrap();
        }
        let db = Connection::open(&path).unwrap();
        db.execute("DELETE FROM ledger WHERE seq = 3", []).unwrap();
        assert_eq!(
            l.verify(&public),
            Err("entries 3 to 3 are missing: the signed head is entry 3 (the ledger was truncated)".into())
        );
        db.execute("DELETE FROM head", []).unwrap();
        assert_eq!(
            l.verify(&public),
            Err("the ledger has no signed head: its head row was removed".into())
        );

        let path = temp("columns");
        let l = open(&path);
        l.append(
            &[json!({"kind": "subscription", "phone": "+14155550001", "external_id": "u", "consent_id": "c"})],
            5,
        )
        .unwrap();
        let db = Connection::open(&path).unwrap();
        for (column, value, named) in [
            ("phone", "'+14155550002'", "phone"),
            ("external_id", "'v'", "external_id"),
            ("consent_id", "NULL", "consent_id"),
            ("time", "0", "time"),
        ] {
            let before: String = db
                .query_row(&format!("SELECT quote({column}) FROM ledger"), [], |r| r.get(0))
                .unwrap();
            db.execute(&format!("UPDATE ledger SET {column} = {value}"), [])
                .unwrap();
            assert_eq!(
                l.verify(&public),
                Err(format!("entry 1: its {named} column is not its text's (changed)"))
            );
            db.execute(&format!("UPDATE ledger SET {column} = {before}"), [])
                .unwrap();
        }
        assert_eq!(l.verify(&public), Ok(1));
        assert!(l
            .verify(
                &Signer::from_text(&Signer::generate_text().unwrap())
                    .unwrap()
                    .public_key()
            )
            .is_err());
    }

    #[test]
    fn pruning_keeps_the_rest_of_the_chain_verifiable() {
        let l = open(&temp("prune"));
        let public = signer().public_key();
        for i in 0..6 {
            l.append(&[json!({"kind": "receipt", "n": i})], i * 10).unwrap();
        }
        assert_eq!(l.prune(25), Ok(3));
        assert_eq!(l.verify(&public), Ok(3));
        l.append(&[json!({"kind": "receipt", "n": 6})], 60).unwrap();
        assert_eq!(l.verify(&public), Ok(4));
        assert_eq!(l.prune(100), Ok(4));
        assert_eq!(l.verify(&public), Ok(0), "everything pruned: the head is the anchor");
    }

    #[test]
    fn a_store_opened_without_its_key_reads_but_cannot_append() {
        let path = temp("nokey");
        open(&path).append(&[json!({"kind": "receipt"})], 1).unwrap();
        let l = Ledger::open(path.to_str().unwrap(), None).unwrap();
        assert_eq!(l.verify(&signer().public_key()), Ok(1));
        assert!(l
            .append(&[json!({"kind": "receipt"})], 2)
            .unwrap_err()
            .contains("signing key"));
    }

    #[test]
    fn a_request_is_accepted_once_and_delivered_once() {
        let l = open(&temp("requests"));
        let r = Pending {
            key: "k1".into(),
            path: "/subscription/status/set".into(),
            body: "{}".into(),
            fingerprint: "f1".into(),
        };
        let entry = [json!({"kind": "subscription", "phone": "+14155552671"})];
        assert_eq!(l.accept(&r, &entry, None, 1), Ok(true));
        assert_eq!(l.accept(&r, &entry, None, 2), Ok(false), "a retry writes nothing");
        assert_eq!(l.query(By::Phone("+14155552671")).unwrap().len(), 1);
        let stored = |answer| {
            Ok(Some(Stored {
                fingerprint: Some("f1".into()),
                answer,
            }))
        };
        assert_eq!(l.answer("k1"), stored(None));
        assert_eq!(l.undelivered(10, 10, 10, None).unwrap(), vec![r.clone()]);
        assert_eq!(l.undelivered(10, 10, 10, Some("k1")).unwrap(), vec![r.clone()]);
        assert!(l.undelivered(10, 10, 10, Some("k2")).unwrap().is_empty());
        l.delivered("k1", 201, "{\"message\":\"success\"}", 3).unwrap();
        assert_eq!(l.answer("k1"), stored(Some((201, "{\"message\":\"success\"}".into()))));
        assert!(l.undelivered(10, 10, 10, None).unwrap().is_empty());
    }
}
