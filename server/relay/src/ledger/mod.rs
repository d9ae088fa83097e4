//! The relay's consent ledger and request store: one SQLite file for one
//! relay ([`sqlite`]), or one PostgreSQL database several relays share
//! ([`postgres`]); the relay calls [`Ledger`] without knowing which.
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

mod chain;
pub mod postgres;
mod record;
pub mod sqlite;

pub use chain::{chain_hash, check_entry, sha256_hex, Entry, Head, GENESIS};
pub use record::{Columns, Receipt, Record, Subscription};

use crate::checkpoint::Signer;
use crate::limits::Limits;
use std::path::Path;

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

/// The ledger and request store.
pub enum Ledger {
    /// Over one SQLite file.
    Sqlite(sqlite::Sqlite),
    /// Over PostgreSQL.
    Postgres(postgres::Postgres),
}

/// Whether `target` names a PostgreSQL database rather than a file.
pub fn is_postgres(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

impl Ledger {
    /// Opens `target`: a `postgres://` URL, else a SQLite file path
    /// (created when missing). Appending needs `signer`; reading,
    /// verifying and pruning do not. `limits`: the rate limits
    /// [`Ledger::admit`] counts.
    pub async fn open(target: &str, signer: Option<Signer>, limits: Limits) -> Result<Ledger, String> {
        if is_postgres(target) {
            return Ok(Ledger::Postgres(
                postgres::Postgres::open(target, signer, limits).await?,
            ));
        }
        let path = Path::new(target).to_path_buf();
        tokio::task::spawn_blocking(move || sqlite::Sqlite::open(&path, signer, limits))
            .await
            .unwrap_or_else(|e| Err(format!("ledger database: {e}")))
            .map(Ledger::Sqlite)
    }

    /// The stored request `key`, if any.
    pub async fn answer(&self, key: &str) -> Result<Option<Stored>, String> {
        match self {
            Ledger::Sqlite(l) => l.answer(key),
            Ledger::Postgres(l) => l.answer(key).await,
        }
    }

    /// Records an acknowledged request and its ledger entries in one
    /// transaction; with `answer`, as answered already (a receipt: it goes
    /// nowhere else). `false` when `key` was already recorded (nothing
    /// written).
    pub async fn accept(
        &self,
        request: &Pending,
        records: &[Record],
        answer: Option<(u16, &str)>,
        now: i64,
    ) -> Result<bool, String> {
        match self {
            Ledger::Sqlite(l) => l.accept(request, records, answer, now).await,
            Ledger::Postgres(l) => l.accept(request, records, answer, now).await,
        }
    }

    /// Appends entries that belong to no request.
    pub async fn append(&self, records: &[Record]) -> Result<(), String> {
        match self {
            Ledger::Sqlite(l) => l.append(records).await,
            Ledger::Postgres(l) => l.append(records).await,
        }
    }

    /// Stores Braze's final answer to request `key`.
    pub async fn delivered(&self, key: &str, status: u16, answer: &str, now: i64) -> Result<(), String> {
        match self {
            Ledger::Sqlite(l) => l.delivered(key, status, answer, now).await,
            Ledger::Postgres(l) => l.delivered(key, status, answer, now).await,
        }
    }

    /// Counts a failed delivery attempt.
    pub async fn attempted(&self, key: &str) -> Result<(), String> {
        match self {
            Ledger::Sqlite(l) => l.attempted(key).await,
            Ledger::Postgres(l) => l.attempted(key).await,
        }
    }

    /// Requests acknowledged before `before` (ms) and not yet delivered,
    /// oldest first; with PostgreSQL each is leased to this relay for 30 s,
    /// so two relays never deliver the same request at once. `only`: that
    /// request alone (a repeat that may deliver it).
    pub async fn undelivered(
        &self,
        before: i64,
        limit: i64,
        now: i64,
        only: Option<&str>,
    ) -> Result<Vec<Pending>, String> {
        match self {
            Ledger::Sqlite(l) => l.undelivered(before, limit, only).await,
            Ledger::Postgres(l) => l.undelivered(before, limit, now, only).await,
        }
    }

    /// The entries a query selects, oldest first.
    pub async fn query(&self, by: By<'_>) -> Result<Vec<Entry>, String> {
        match self {
            Ledger::Sqlite(l) => l.query(by).await,
            Ledger::Postgres(l) => l.query(by).await,
        }
    }

    /// The signed head, if anything was ever appended.
    pub async fn head(&self) -> Result<Option<Head>, String> {
        match self {
            Ledger::Sqlite(l) => l.head(),
            Ledger::Postgres(l) => l.head().await,
        }
    }

    /// Walks the whole chain from its anchor and checks every entry's
    /// signature and the signed head under `public_key`. `Ok(n)`: `n`
    /// entries, all intact; `Err` names the first thing that does not hold.
    pub async fn verify(&self, public_key: &str) -> Result<u64, String> {
        match self {
            Ledger::Sqlite(l) => l.verify(public_key).await,
            Ledger::Postgres(l) => l.verify(public_key).await,
        }
    }

    /// Drops entries older than `before` (ms) from the start of the chain
    /// and keeps the last dropped hash as the anchor; returns how many.
    pub async fn prune(&self, before: i64) -> Result<usize, String> {
        match self {
            Ledger::Sqlite(l) => l.prune(before).await,
            Ledger::Postgres(l) => l.prune(before).await,
        }
    }

    /// Counts one request from `ip` naming `phones` against the rate limits
    /// (in this relay's memory with SQLite, shared by every relay with
    /// PostgreSQL). `Err`: refused, with the seconds until it may be
    /// retried.
    pub async fn admit(&self, ip: &str, phones: &[&str], now: i64) -> Result<(), u64> {
        match self {
            Ledger::Sqlite(l) => l.admit(ip, phones, now),
            Ledger::Postgres(l) => l.admit(ip, phones, now).await,
        }
    }

    /// Whether the database answers (`GET /ready`).
    pub async fn ping(&self) -> Result<(), String> {
        match self {
            Ledger::Sqlite(l) => l.pending().map(|_| ()),
            Ledger::Postgres(l) => l.ping().await,
        }
    }

    /// How many acknowledged requests are not yet delivered (`/metrics`).
    pub async fn pending(&self) -> Result<i64, String> {
        match self {
            Ledger::Sqlite(l) => l.pending(),
            Ledger::Postgres(l) => l.pending().await,
        }
    }

    /// Whether several relays may share this store (PostgreSQL), so an
    /// undelivered request may be another relay's in flight.
    pub fn is_shared(&self) -> bool {
        matches!(self, Ledger::Postgres(_))
    }
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Signer;
    use rusqlite::{params, Connection};

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

    fn receipt(consent_id: &str, time: i64) -> Record {
        Record::Receipt(Receipt {
            consent_id: consent_id.into(),
            server_time: time,
            ..Receipt::default()
        })
    }

    fn subscription(phone: &str, external_id: Option<&str>, consent_id: Option<&str>, time: i64) -> Record {
        Record::Subscription(Subscription {
            phone: Some(phone.into()),
            external_id: external_id.map(Into::into),
            consent_id: consent_id.map(Into::into),
            server_time: time,
            ..Subscription::default()
        })
    }

    async fn open(path: &Path) -> Ledger {
        Ledger::open(path.to_str().unwrap(), Some(signer()), Limits::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_chain_verifies_and_names_the_first_changed_entry() {
        let path = temp("chain");
        let l = open(&path).await;
        let public = signer().public_key();
        for i in 0..5 {
            l.append(&[receipt(&format!("c{i}"), i)]).await.unwrap();
        }
        assert_eq!(l.verify(&public).await, Ok(5));
        assert_eq!(l.query(By::ConsentId("c3")).await.unwrap().len(), 1);
        let db = Connection::open(&path).unwrap();
        db.execute("UPDATE ledger SET entry = replace(entry, 'c2', 'cX') WHERE seq = 3", [])
            .unwrap();
        assert_eq!(
            l.verify(&public).await,
            Err("entry 3: its text does not match its hash (changed)".into())
        );
        db.execute("UPDATE ledger SET entry = replace(entry, 'cX', 'c2') WHERE seq = 3", [])
            .unwrap();
        db.execute("DELETE FROM ledger WHERE seq = 2", []).unwrap();
        assert_eq!(
            l.verify(&public).await,
            Err("entry 2 is missing (the next is 3)".into())
        );
    }

    #[tokio::test]
    async fn a_rehashed_chain_a_truncated_tail_and_changed_columns_are_named() {
        let path = temp("forged");
        let l = open(&path).await;
        let public = signer().public_key();
        for i in 0..4 {
            l.append(&[subscription(&format!("+1415555000{i}"), None, Some("c"), i)])
                .await
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
        let e = l.verify(&public).await.unwrap_err();
        assert!(e.starts_with("entry 3: its signature does not hold"), "{e}");

        let path = temp("truncated");
        let l = open(&path).await;
        for i in 0..3 {
            l.append(&[receipt(&format!("c{i}"), i)]).await.unwrap();
        }
        let db = Connection::open(&path).unwrap();
        db.execute("DELETE FROM ledger WHERE seq = 3", []).unwrap();
        assert_eq!(
            l.verify(&public).await,
            Err("entries 3 to 3 are missing: the signed head is entry 3 (the ledger was truncated)".into())
        );
        db.execute("DELETE FROM head", []).unwrap();
        assert_eq!(
            l.verify(&public).await,
            Err("the ledger has no signed head: its head row was removed".into())
        );

        let path = temp("columns");
        let l = open(&path).await;
        l.append(&[subscription("+14155550001", Some("u"), Some("c"), 5)])
            .await
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
                l.verify(&public).await,
                Err(format!("entry 1: its {named} column is not its text's (changed)"))
            );
            db.execute(&format!("UPDATE ledger SET {column} = {before}"), [])
                .unwrap();
        }
        assert_eq!(l.verify(&public).await, Ok(1));
        assert!(l
            .verify(
                &Signer::from_text(&Signer::generate_text().unwrap())
                    .unwrap()
                    .public_key()
            )
            .await
            .is_err());
    }

    #[tokio::test]
    async fn pruning_keeps_the_rest_of_the_chain_verifiable() {
        let l = open(&temp("prune")).await;
        let public = signer().public_key();
        for i in 0..6 {
            l.append(&[receipt(&format!("c{i}"), i * 10)]).await.unwrap();
        }
        assert_eq!(l.prune(25).await, Ok(3));
        assert_eq!(l.verify(&public).await, Ok(3));
        l.append(&[receipt("c6", 60)]).await.unwrap();
        assert_eq!(l.verify(&public).await, Ok(4));
        assert_eq!(l.prune(100).await, Ok(4));
        assert_eq!(
            l.verify(&public).await,
            Ok(0),
            "everything pruned: the head is the anchor"
        );
    }

    #[tokio::test]
    async fn a_store_opened_without_its_key_reads_but_cannot_append() {
        let path = temp("nokey");
        open(&path).await.append(&[receipt("c", 1)]).await.unwrap();
        let l = Ledger::open(path.to_str().unwrap(), None, Limits::default())
            .await
            .unwrap();
        assert_eq!(l.verify(&signer().public_key()).await, Ok(1));
        assert!(l.append(&[receipt("c", 2)]).await.unwrap_err().contains("signing key"));
    }

    #[tokio::test]
    async fn a_request_is_accepted_once_and_delivered_once() {
        let l = open(&temp("requests")).await;
        let r = Pending {
            key: "k1".into(),
            path: "/subscription/status/set".into(),
            body: "{}".into(),
            fingerprint: "f1".into(),
        };
        let entry = [subscription("+14155552671", None, None, 1)];
        assert_eq!(l.accept(&r, &entry, None, 1).await, Ok(true));
        assert_eq!(l.accept(&r, &entry, None, 2).await, Ok(false), "a retry writes nothing");
        assert_eq!(l.query(By::Phone("+14155552671")).await.unwrap().len(), 1);
        let stored = |answer| {
            Ok(Some(Stored {
                fingerprint: Some("f1".into()),
                answer,
            }))
        };
        assert_eq!(l.answer("k1").await, stored(None));
        assert_eq!(l.undelivered(10, 10, 10, None).await.unwrap(), vec![r.clone()]);
        assert_eq!(l.undelivered(10, 10, 10, Some("k1")).await.unwrap(), vec![r.clone()]);
        assert!(l.undelivered(10, 10, 10, Some("k2")).await.unwrap().is_empty());
        l.delivered("k1", 201, "{\"message\":\"success\"}", 3).await.unwrap();
        assert_eq!(
            l.answer("k1").await,
            stored(Some((201, "{\"message\":\"success\"}".into())))
        );
        assert!(l.undelivered(10, 10, 10, None).await.unwrap().is_empty());
    }
}
