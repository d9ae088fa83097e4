//! The store over one SQLite file, for one relay. Writes share fsyncs
//! through [`crate::store`]'s group commit and run on tokio's blocking
//! threads; a request's stored answer is read inline (microseconds, from
//! the reader connection, which never waits for a commit). The rate limits
//! are counted in this relay's memory.

use super::chain::{links, verify_chain, Entry, Head, GENESIS};
use super::record::{Columns, Record};
use super::{no_signer, By, Pending, Stored, ENTRY_COLUMNS};
use crate::checkpoint::Signer;
use crate::limits::{Limiter, Limits};
use crate::store::Db;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The store over one SQLite file.
pub struct Sqlite {
    inner: Arc<Inner>,
    limiter: Mutex<Limiter>,
}

/// The file and the signing key; its methods block.
struct Inner {
    db: Db,
    signer: Option<Arc<Signer>>,
}

fn db_error(e: rusqlite::Error) -> String {
    format!("ledger database: {e}")
}

impl Sqlite {
    /// Opens (or creates) the store at `path` (blocking); a database from
    /// before signatures and fingerprints gains their columns.
    pub fn open(path: &Path, signer: Option<Signer>, limits: Limits) -> Result<Sqlite, String> {
        Ok(Sqlite {
            inner: Arc::new(Inner::open(path, signer)?),
            limiter: Mutex::new(Limiter::new(limits)),
        })
    }

    /// Runs `f` on a blocking thread.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, String> + Send + 'static,
    ) -> Result<T, String> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .unwrap_or_else(|e| Err(format!("ledger database: {e}")))
    }

    /// See [`super::Ledger::answer`].
    pub fn answer(&self, key: &str) -> Result<Option<Stored>, String> {
        self.inner.answer(key)
    }

    /// See [`super::Ledger::accept`].
    pub async fn accept(
        &self,
        request: &Pending,
        records: &[Record],
        answer: Option<(u16, &str)>,
        now: i64,
    ) -> Result<bool, String> {
        let (request, records) = (request.clone(), records.to_vec());
        let answer = answer.map(|(s, t)| (s, t.to_string()));
        self.blocking(move |s| s.accept(&request, &records, answer.as_ref().map(|(s, t)| (*s, t.as_str())), now))
            .await
    }

    /// See [`super::Ledger::append`].
    pub async fn append(&self, records: &[Record]) -> Result<(), String> {
        let records = records.to_vec();
        self.blocking(move |s| s.append(&records)).await
    }

    /// See [`super::Ledger::delivered`].
    pub async fn delivered(&self, key: &str, status: u16, answer: &str, now: i64) -> Result<(), String> {
        let (key, answer) = (key.to_string(), answer.to_string());
        self.blocking(move |s| s.delivered(&key, status, &answer, now)).await
    }

    /// See [`super::Ledger::attempted`].
    pub async fn attempted(&self, key: &str) -> Result<(), String> {
        let key = key.to_string();
        self.blocking(move |s| s.attempted(&key)).await
    }

    /// See [`super::Ledger::undelivered`] (one relay per file: no leases).
    pub async fn undelivered(&self, before: i64, limit: i64, only: Option<&str>) -> Result<Vec<Pending>, String> {
        let only = only.map(str::to_string);
        self.blocking(move |s| s.undelivered(before, limit, only.as_deref()))
            .await
    }

    /// See [`super::Ledger::query`].
    pub async fn query(&self, by: By<'_>) -> Result<Vec<Entry>, String> {
        let (column, value) = by.column();
        let value = value.to_string();
        self.blocking(move |s| s.query(column, &value)).await
    }

    /// See [`super::Ledger::head`].
    pub fn head(&self) -> Result<Option<Head>, String> {
        self.inner.db.read(head)
    }

    /// See [`super::Ledger::verify`].
    pub async fn verify(&self, public_key: &str) -> Result<u64, String> {
        let public_key = public_key.to_string();
        self.blocking(move |s| s.verify(&public_key)).await
    }

    /// See [`super::Ledger::prune`].
    pub async fn prune(&self, before: i64) -> Result<usize, String> {
        self.blocking(move |s| s.prune(before)).await
    }

    /// See [`super::Ledger::admit`]: in this relay's memory.
    pub fn admit(&self, ip: &str, phones: &[&str], now: i64) -> Result<(), u64> {
        self.limiter.lock().map_or(Err(60), |mut l| l.admit(ip, phones, now))
    }

    /// Requests acknowledged and not yet delivered (read inline).
    pub fn pending(&self) -> Result<i64, String> {
        self.inner.db.read(|db| {
            db.query_row("SELECT count(*) FROM requests WHERE delivered IS NULL", [], |r| {
                r.get(0)
            })
            .map_err(db_error)
        })
    }
}

impl Inner {
    /// Opens (or creates) the store at `path`; a database from before
    /// signatures and fingerprints gains their columns.
    fn open(path: &Path, signer: Option<Signer>) -> Result<Inner, String> {
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
        Ok(Inner { db, signer })
    }

    /// The stored request `key`, if any.
    fn answer(&self, key: &str) -> Result<Option<Stored>, String> {
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
    fn accept(
        &self,
        request: &Pending,
        records: &[Record],
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
            append(tx, records, signer)?;
            Ok(true)
        })
    }

    /// Appends entries that belong to no request.
    fn append(&self, records: &[Record]) -> Result<(), String> {
        let signer = self.signer()?;
        self.db.write(|tx| append(tx, records, signer))
    }

    fn signer(&self) -> Result<&Signer, String> {
        self.signer.as_deref().ok_or_else(no_signer)
    }

    /// Stores Braze's final answer to request `key`.
    fn delivered(&self, key: &str, status: u16, answer: &str, now: i64) -> Result<(), String> {
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
    fn attempted(&self, key: &str) -> Result<(), String> {
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
    fn undelivered(&self, before: i64, limit: i64, only: Option<&str>) -> Result<Vec<Pending>, String> {
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
    fn query(&self, column: &str, value: &str) -> Result<Vec<Entry>, String> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM ledger WHERE {column} = ?1 ORDER BY seq");
        self.db.read(|db| {
            let mut stmt = db.prepare(&sql).map_err(db_error)?;
            let rows = stmt.query_map(params![value], row).map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)
        })
    }

    /// Walks the whole chain from its anchor and checks every entry's
    /// signature and the signed head under `public_key`. `Ok(n)`: `n`
    /// entries, all intact; `Err` names the first thing that does not hold.
    fn verify(&self, public_key: &str) -> Result<u64, String> {
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
    fn prune(&self, before: i64) -> Result<usize, String> {
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
fn append(tx: &Connection, records: &[Record], signer: &Signer) -> Result<(), String> {
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
    let links = links(seq, prev, records, signer);
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
