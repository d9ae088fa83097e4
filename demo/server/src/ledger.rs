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

/// One entry to append: its place in the chain, the columns it is found by,
/// and its text and hashes.
pub struct Link {
    /// Its position in the chain.
    pub seq: i64,
    /// `kind`, `phone`, `external_id` and `consent_id` of the entry.
    pub columns: [Option<String>; 4],
    /// The entry's JSON text.
    pub text: String,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
}

/// `entries` chained after the entry `seq` whose hash is `prev` (both
/// stores append these).
pub fn links(mut seq: i64, mut prev: String, entries: &[Value]) -> Vec<Link> {
    let mut out = Vec::new();
    for e in entries {
        let text = e.to_string();
        let hash = chain_hash(&prev, &text);
        seq += 1;
        let field = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        let columns = [field("kind"), field("phone"), field("external_id"), field("consent_id")];
        out.push(Link {
            seq,
            columns,
            text,
            prev: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    out
}

/// Walks the chain from its anchor (`None`: the start) through `entries`
/// in order. `Ok(n)`: `n` entries, all intact; `Err` names the first entry
/// that does not hold (both stores verify with this).
pub fn verify_chain(
    anchor: Option<(i64, String)>,
    entries: impl IntoIterator<Item = Result<Entry, String>>,
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
        if chain_hash(&e.prev, &e.entry) != e.hash {
            return Err(format!("entry {}: its text does not match its hash (changed)", e.seq));
        }
        (seq, prev) = (e.seq, e.hash);
        n += 1;
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

impl Ledger {
    /// Opens `target`: a `postgres://` URL, else a SQLite file path.
    pub fn open(target: &str) -> Result<Ledger, String> {
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            Ok(Ledger::Postgres(crate::ledger_pg::Postgres::open(target)?))
        } else {
            Ok(Ledger::Sqlite(Sqlite::open(Path::new(target))?))
        }
    }

    /// See [`Sqlite::answer`].
    pub fn answer(&self, key: &str) -> Result<Option<Option<(u16, String)>>, String> {
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
    pub fn undelivered(&self, before: i64, limit: i64, now: i64) -> Result<Vec<Pending>, String> {
        match self {
            Ledger::Sqlite(l) => l.undelivered(before, limit),
            Ledger::Postgres(l) => l.undelivered(before, limit, now),
        }
    }

    /// See [`Sqlite::query`].
    pub fn query(&self, by: By) -> Result<Vec<Entry>, String> {
        both!(self, l => l.query(by))
    }

    /// See [`Sqlite::verify`].
    pub fn verify(&self) -> Result<u64, String> {
        both!(self, l => l.verify())
    }

    /// See [`Sqlite::prune`].
    pub fn prune(&self, before: i64) -> Result<usize, String> {
        both!(self, l => l.prune(before))
    }
}

/// The store over one SQLite file.
pub struct Sqlite {
    db: Db,
}

fn db_error(e: rusqlite::Error) -> String {
    format!("ledger database: {e}")
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

impl Sqlite {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Sqlite, String> {
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
             CREATE TABLE IF NOT EXISTS requests (
               key TEXT PRIMARY KEY, path TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL,
               status INTEGER, answer TEXT, delivered INTEGER, attempts INTEGER NOT NULL DEFAULT 0);
             CREATE INDEX IF NOT EXISTS requests_pending ON requests (delivered);",
        )?;
        Ok(Sqlite { db })
    }

    /// The stored answer of request `key`: `Some(None)` when it was
    /// acknowledged but not yet delivered.
    pub fn answer(&self, key: &str) -> Result<Option<Option<(u16, String)>>, String> {
        let row: Option<(Option<u16>, Option<String>)> = self.db.read(|db| {
            db.prepare_cached("SELECT status, answer FROM requests WHERE key = ?1")
                .and_then(|mut s| s.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(db_error)
        })?;
        Ok(row.map(|(status, answer)| status.zip(answer)))
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
        let (status, text) = answer.unzip();
        self.db.write(|tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO requests (key, path, body, created, status, answer, delivered)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?5 IS NULL THEN NULL ELSE ?4 END)",
                )
                .and_then(|mut s| s.execute(params![request.key, request.path, request.body, now, status, text]))
                .map_err(db_error)?;
            if inserted == 0 {
                return Ok(false);
            }
            append(tx, entries, now)?;
            Ok(true)
        })
    }

    /// Appends entries that belong to no request.
    pub fn append(&self, entries: &[Value], now: i64) -> Result<(), String> {
        self.db.write(|tx| append(tx, entries, now))
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
    pub fn undelivered(&self, before: i64, limit: i64) -> Result<Vec<Pending>, String> {
        self.db.read(|db| {
            let mut stmt = db
                .prepare("SELECT key, path, body FROM requests WHERE delivered IS NULL AND created < ?1 ORDER BY created LIMIT ?2")
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![before, limit], |r| {
                    Ok(Pending {
                        key: r.get(0)?,
                        path: r.get(1)?,
                        body: r.get(2)?,
                    })
                })
                .map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)
        })
    }

    /// The entries a query selects, oldest first.
    pub fn query(&self, by: By) -> Result<Vec<Entry>, String> {
        let (column, value) = match by {
            By::Phone(v) => ("phone", v),
            By::ExternalId(v) => ("external_id", v),
            By::ConsentId(v) => ("consent_id", v),
        };
        let sql = format!("SELECT seq, entry, prev, hash FROM ledger WHERE {column} = ?1 ORDER BY seq");
        self.db.read(|db| {
            let mut stmt = db.prepare(&sql).map_err(db_error)?;
            let rows = stmt.query_map(params![value], row).map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)
        })
    }

    /// Walks the whole chain from its anchor. `Ok(n)`: `n` entries, all
    /// intact; `Err` names the first entry that does not hold.
    pub fn verify(&self) -> Result<u64, String> {
        self.db.read(|db| {
            // One snapshot: a prune between the two reads would move the
            // anchor.
            let db = db.unchecked_transaction().map_err(db_error)?;
            let anchor: Option<(i64, String)> = db
                .query_row("SELECT seq, hash FROM anchor WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(db_error)?;
            let mut stmt = db
                .prepare("SELECT seq, entry, prev, hash FROM ledger ORDER BY seq")
                .map_err(db_error)?;
            let rows = stmt.query_map([], row).map_err(db_error)?;
            verify_chain(anchor, rows.map(|e| e.map_err(db_error)))
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

fn row(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: r.get(0)?,
        entry: r.get(1)?,
        prev: r.get(2)?,
        hash: r.get(3)?,
    })
}

/// Appends `entries` to the chain inside `tx` (which holds the write lock,
/// so no other writer sits between reading the last hash and appending).
fn append(tx: &Connection, entries: &[Value], now: i64) -> Result<(), String> {
    let last: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(db_error)?;
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
    for l in links(seq, prev, entries) {
        let [kind, phone, external_id, consent_id] = l.columns;
        tx.prepare_cached(
            "INSERT INTO ledger (seq, time, kind, phone, external_id, consent_id, entry, prev, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut s| {
            s.execute(params![
                l.seq,
                now,
                kind.unwrap_or_default(),
                phone,
                external_id,
                consent_id,
                l.text,
                l.prev,
                l.hash
            ])
        })
        .map_err(db_error)?;
    }
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

    #[test]
    fn the_chain_verifies_and_names_the_first_changed_entry() {
        let path = temp("chain");
        let l = Ledger::open(path.to_str().unwrap()).unwrap();
        for i in 0..5 {
            l.append(&[json!({"kind": "receipt", "consent_id": format!("c{i}")})], i)
                .unwrap();
        }
        assert_eq!(l.verify(), Ok(5));
        assert_eq!(l.query(By::ConsentId("c3")).unwrap().len(), 1);
        let db = Connection::open(&path).unwrap();
        db.execute("UPDATE ledger SET entry = replace(entry, 'c2', 'cX') WHERE seq = 3", [])
            .unwrap();
        assert_eq!(
            l.verify(),
            Err("entry 3: its text does not match its hash (changed)".into())
        );
        db.execute("UPDATE ledger SET entry = replace(entry, 'cX', 'c2') WHERE seq = 3", [])
            .unwrap();
        db.execute("DELETE FROM ledger WHERE seq = 2", []).unwrap();
        assert_eq!(l.verify(), Err("entry 2 is missing (the next is 3)".into()));
    }

    #[test]
    fn pruning_keeps_the_rest_of_the_chain_verifiable() {
        let l = Ledger::open(temp("prune").to_str().unwrap()).unwrap();
        for i in 0..6 {
            l.append(&[json!({"kind": "receipt", "n": i})], i * 10).unwrap();
        }
        assert_eq!(l.prune(25), Ok(3));
        assert_eq!(l.verify(), Ok(3));
        l.append(&[json!({"kind": "receipt", "n": 6})], 60).unwrap();
        assert_eq!(l.verify(), Ok(4));
    }

    #[test]
    fn a_request_is_accepted_once_and_delivered_once() {
        let l = Ledger::open(temp("requests").to_str().unwrap()).unwrap();
        let r = Pending {
            key: "k1".into(),
            path: "/subscription/status/set".into(),
            body: "{}".into(),
        };
        let entry = [json!({"kind": "subscription", "phone": "+14155552671"})];
        assert_eq!(l.accept(&r, &entry, None, 1), Ok(true));
        assert_eq!(l.accept(&r, &entry, None, 2), Ok(false), "a retry writes nothing");
        assert_eq!(l.query(By::Phone("+14155552671")).unwrap().len(), 1);
        assert_eq!(l.answer("k1"), Ok(Some(None)));
        assert_eq!(l.undelivered(10, 10, 10).unwrap(), vec![r.clone()]);
        l.delivered("k1", 201, "{\"message\":\"success\"}", 3).unwrap();
        assert_eq!(
            l.answer("k1"),
            Ok(Some(Some((201, "{\"message\":\"success\"}".into()))))
        );
        assert!(l.undelivered(10, 10, 10).unwrap().is_empty());
    }
}
