//! The relay's ledger and request store in PostgreSQL, for several relays
//! behind a load balancer: they share the idempotency keys (a request's
//! key is its primary key), the rate-limit counters (one row per window,
//! locked while counted), the ledger (its head row is locked while an entry
//! is appended, so the chain has one order) and the undelivered requests
//! (each leased to one relay at a time). The same tables and rules as the
//! SQLite store ([`super::sqlite`]).
//!
//! Each relay holds a pool of connections ([`POOL_SIZE`]), so idempotency
//! lookups, rate-limit windows, appends and delivery updates run side by
//! side. Appends wait for each other on the head row, so each relay
//! commits them in groups: the requests that arrive while one group
//! commits go together in the next transaction, under one lock of the
//! head and one flush to disk ([`commit_groups`]). The rate-limit windows
//! are counted by one server-side function call per request, committed
//! without waiting for the disk: a counter lost in a crash costs nothing,
//! and a hot window row (one client IP) is then held for microseconds.

mod connect;
mod group;

use super::chain::{verify_chain, Entry, Head, GENESIS};
use super::record::{Columns, Record};
use super::{no_signer, By, Pending, Stored, ENTRY_COLUMNS};
use crate::checkpoint::Signer;
use crate::limits::{keys, window_ms, Limits};
pub use connect::db_error;
use connect::{pool, pool_error};
use deadpool_postgres::{GenericClient, Pool};
use group::{append, commit_groups, Job, Write, DELIVERED, GROUP};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::IsolationLevel;

/// How long a relay holds an undelivered request before another may try.
const LEASE_MS: i64 = 30_000;

/// Connections each relay holds at most.
pub const POOL_SIZE: usize = 16;

/// The store over one PostgreSQL database.
pub struct Postgres {
    pool: Pool,
    signer: Option<Arc<Signer>>,
    limits: Limits,
    /// Where accepted requests queue for the next group commit.
    groups: mpsc::Sender<Job>,
}

/// The server-side count of one request against its windows (see
/// [`Postgres::admit`]): the keys in one order, each row locked (created
/// when missing); when any window is full, the seconds to wait and nothing
/// counted; else every window counted (a window past its length starts
/// again), one new row version each. It commits without waiting for the
/// disk.
const ADMIT_FUNCTION: &str =
    "CREATE OR REPLACE FUNCTION consentry_admit(ks TEXT[], wins BIGINT[], lims INT[], now BIGINT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  s BIGINT; c INT; wait BIGINT := 0; starts BIGINT[] := '{}'; counts INT[] := '{}';
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  FOR i IN 1 .. coalesce(array_length(ks, 1), 0) LOOP
    SELECT start, count INTO s, c FROM windows WHERE key = ks[i] FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO windows (key, start, count) VALUES (ks[i], now, 0) ON CONFLICT (key) DO NOTHING;
      SELECT start, count INTO s, c FROM windows WHERE key = ks[i] FOR UPDATE;
    END IF;
    IF now < s + wins[i] AND c >= lims[i] THEN
      wait := greatest(wait, (s + wins[i] - now + 999) / 1000);
    END IF;
    IF now >= s + wins[i] THEN s := now; c := 1; ELSE c := c + 1; END IF;
    starts := starts || s;
    counts := counts || c;
  END LOOP;
  IF wait > 0 THEN RETURN wait; END IF;
  FOR i IN 1 .. coalesce(array_length(ks, 1), 0) LOOP
    UPDATE windows SET start = starts[i], count = counts[i] WHERE key = ks[i];
  END LOOP;
  RETURN 0;
END $$";

impl Postgres {
    /// Opens a pool on `url` and creates the tables when missing (in one
    /// transaction under a transaction-level advisory lock, so relays
    /// starting together on a fresh database wait for each other's commit).
    pub async fn open(url: &str, signer: Option<Signer>, limits: Limits) -> Result<Postgres, String> {
        let pool = pool(url)?;
        let mut db = pool.get().await.map_err(pool_error)?;
        let tx = db.transaction().await.map_err(db_error)?;
        tx.batch_execute("SELECT pg_advisory_xact_lock(726151)")
            .await
            .map_err(db_error)?;
        // A current schema is left alone: creating an index or altering a
        // table locks it even when nothing changes, and would deadlock
        // against relays already serving.
        let current: bool = tx
            .query_one(
                "SELECT count(*) = 2 FROM information_schema.columns WHERE table_schema = current_schema()
                 AND ((table_name = 'requests' AND column_name = 'fingerprint') OR (table_name = 'head' AND column_name = 'signature'))",
                &[],
            )
            .await
            .map_err(db_error)?
            .get(0);
        if !current {
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS ledger (
                   seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, kind TEXT NOT NULL,
                   phone TEXT, external_id TEXT, consent_id TEXT,
                   entry TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
                 ALTER TABLE ledger ADD COLUMN IF NOT EXISTS signature TEXT;
                 CREATE INDEX IF NOT EXISTS ledger_phone ON ledger (phone);
                 CREATE INDEX IF NOT EXISTS ledger_external_id ON ledger (external_id);
                 CREATE INDEX IF NOT EXISTS ledger_consent_id ON ledger (consent_id);
                 CREATE TABLE IF NOT EXISTS head (id INT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);
                 ALTER TABLE head ADD COLUMN IF NOT EXISTS time BIGINT NOT NULL DEFAULT 0;
                 ALTER TABLE head ADD COLUMN IF NOT EXISTS signature TEXT;
                 INSERT INTO head (id, seq, hash) VALUES (1, 0, '{GENESIS}') ON CONFLICT (id) DO NOTHING;
                 CREATE TABLE IF NOT EXISTS anchor (id INT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS requests (
                   key TEXT PRIMARY KEY, path TEXT NOT NULL, body TEXT NOT NULL, created BIGINT NOT NULL,
                   status INT, answer TEXT, delivered BIGINT, attempts INT NOT NULL DEFAULT 0, lease BIGINT);
                 ALTER TABLE requests ADD COLUMN IF NOT EXISTS fingerprint TEXT;
                 CREATE INDEX IF NOT EXISTS requests_pending ON requests (created) WHERE delivered IS NULL;
                 CREATE TABLE IF NOT EXISTS windows (key TEXT PRIMARY KEY, start BIGINT NOT NULL, count INT NOT NULL);"
            ))
            .await
            .map_err(db_error)?;
        }
        // Replaced on every start: a newer relay's count is the one used.
        tx.batch_execute(ADMIT_FUNCTION).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        drop(db);
        let signer = signer.map(Arc::new);
        let (groups, jobs) = mpsc::channel(POOL_SIZE * GROUP);
        if let Some(signer) = &signer {
            tokio::spawn(commit_groups(pool.clone(), Arc::clone(signer), jobs));
        }
        Ok(Postgres {
            pool,
            signer,
            limits,
            groups,
        })
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, String> {
        self.pool.get().await.map_err(pool_error)
    }

    /// See [`super::Ledger::answer`].
    pub async fn answer(&self, key: &str) -> Result<Option<Stored>, String> {
        let db = self.client().await?;
        let stmt = db
            .prepare_cached("SELECT fingerprint, status, answer FROM requests WHERE key = $1")
            .await
            .map_err(db_error)?;
        let row = db.query_opt(&stmt, &[&key]).await.map_err(db_error)?;
        Ok(row.map(|r| {
            let status: Option<i32> = r.get(1);
            let answer: Option<String> = r.get(2);
            Stored {
                fingerprint: r.get(0),
                answer: status.map(|s| s as u16).zip(answer),
            }
        }))
    }

    /// See [`super::Ledger::accept`]: committed with the others of its
    /// group ([`commit_groups`]).
    pub async fn accept(
        &self,
        request: &Pending,
        records: &[Record],
        answer: Option<(u16, &str)>,
        now: i64,
    ) -> Result<bool, String> {
        self.signer.as_ref().ok_or_else(no_signer)?;
        let write = Write::Accept {
            request: request.clone(),
            records: records.to_vec(),
            answer: answer.map(|(s, t)| (s, t.to_string())),
        };
        self.grouped(write, now).await
    }

    /// Queues `write` for the next group commit and waits for it.
    async fn grouped(&self, write: Write, now: i64) -> Result<bool, String> {
        let (done, stored) = oneshot::channel();
        let gone = || "ledger database: the relay's group commit has stopped".to_string();
        self.groups.send(Job { write, now, done }).await.map_err(|_| gone())?;
        stored.await.map_err(|_| gone())?
    }

    /// See [`super::Ledger::append`].
    pub async fn append(&self, records: &[Record]) -> Result<(), String> {
        let signer = self.signer.as_ref().ok_or_else(no_signer)?;
        let mut db = self.client().await?;
        let tx = db.transaction().await.map_err(db_error)?;
        append(&tx, records, crate::relay::now_ms(), signer).await?;
        tx.commit().await.map_err(db_error)
    }

    /// See [`super::Ledger::delivered`].
    /// With a signer (a serving relay) it is committed with the others of
    /// its group.
    pub async fn delivered(&self, key: &str, status: u16, answer: &str, now: i64) -> Result<(), String> {
        if self.signer.is_some() {
            let write = Write::Delivered {
                key: key.to_string(),
                status,
                answer: answer.to_string(),
            };
            return self.grouped(write, now).await.map(|_| ());
        }
        let db = self.client().await?;
        let stmt = db.prepare_cached(DELIVERED).await.map_err(db_error)?;
        db.execute(&stmt, &[&key, &i32::from(status), &answer, &now])
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// See [`super::Ledger::attempted`].
    pub async fn attempted(&self, key: &str) -> Result<(), String> {
        let db = self.client().await?;
        db.execute("UPDATE requests SET attempts = attempts + 1 WHERE key = $1", &[&key])
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Undelivered requests acknowledged before `before`, oldest first,
    /// each leased to this relay (skipping those another relay holds).
    pub async fn undelivered(
        &self,
        before: i64,
        limit: i64,
        now: i64,
        only: Option<&str>,
    ) -> Result<Vec<Pending>, String> {
        let db = self.client().await?;
        let rows = db
            .query(
                "UPDATE requests SET lease = $3 + $4 WHERE key IN (
                   SELECT key FROM requests WHERE delivered IS NULL AND created < $1 AND (lease IS NULL OR lease < $3)
                   AND ($5::text IS NULL OR key = $5)
                   ORDER BY created LIMIT $2 FOR UPDATE SKIP LOCKED)
                 RETURNING key, path, body, created, fingerprint",
                &[&before, &limit, &now, &LEASE_MS, &only],
            )
            .await
            .map_err(db_error)?;
        let mut out: Vec<(i64, Pending)> = rows
            .iter()
            .map(|r| {
                (
                    r.get(3),
                    Pending {
                        key: r.get(0),
                        path: r.get(1),
                        body: r.get(2),
                        fingerprint: r.get::<_, Option<String>>(4).unwrap_or_default(),
                    },
                )
            })
            .collect();
        out.sort_by_key(|(created, _)| *created);
        Ok(out.into_iter().map(|(_, p)| p).collect())
    }

    /// See [`super::Ledger::query`].
    pub async fn query(&self, by: By<'_>) -> Result<Vec<Entry>, String> {
        let (column, value) = by.column();
        let db = self.client().await?;
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM ledger WHERE {column} = $1 ORDER BY seq");
        let rows = db.query(&sql, &[&value]).await.map_err(db_error)?;
        Ok(rows.iter().map(entry).collect())
    }

    /// See [`super::Ledger::head`].
    pub async fn head(&self) -> Result<Option<Head>, String> {
        head(&self.client().await?).await
    }

    /// See [`super::Ledger::verify`]: in one repeatable-read snapshot, and
    /// the head row must be the chain's signed end.
    pub async fn verify(&self, public_key: &str) -> Result<u64, String> {
        let mut db = self.client().await?;
        let tx = db
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(db_error)?;
        let anchor = tx
            .query_opt("SELECT seq, hash FROM anchor WHERE id = 1", &[])
            .await
            .map_err(db_error)?
            .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)));
        let head = head(&tx).await?;
        let rows = tx
            .query(&format!("SELECT {ENTRY_COLUMNS} FROM ledger ORDER BY seq"), &[])
            .await
            .map_err(db_error)?;
        verify_chain(anchor, rows.iter().map(|r| Ok(entry(r))), head, public_key)
    }

    /// See [`super::Ledger::prune`].
    pub async fn prune(&self, before: i64) -> Result<usize, String> {
        let mut db = self.client().await?;
        let tx = db.transaction().await.map_err(db_error)?;
        // The head row orders this after any append in progress.
        tx.query_one("SELECT seq FROM head WHERE id = 1 FOR UPDATE", &[])
            .await
            .map_err(db_error)?;
        let last = tx
            .query_opt(
                "SELECT seq, hash FROM ledger WHERE time < $1 ORDER BY seq DESC LIMIT 1",
                &[&before],
            )
            .await
            .map_err(db_error)?;
        let Some(last) = last else { return Ok(0) };
        let (seq, hash): (i64, String) = (last.get(0), last.get(1));
        let n = tx
            .execute("DELETE FROM ledger WHERE seq <= $1", &[&seq])
            .await
            .map_err(db_error)?;
        tx.execute(
            "INSERT INTO anchor (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = $1, hash = $2",
            &[&seq, &hash],
        )
        .await
        .map_err(db_error)?;
        tx.execute(
            "DELETE FROM requests WHERE delivered IS NOT NULL AND created < $1",
            &[&before],
        )
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(n as usize)
    }

    /// Counts one request against the shared windows: as
    /// [`crate::limits::Limiter::admit`], with each window's row locked.
    /// A database that cannot count refuses for a minute.
    pub async fn admit(&self, ip: &str, phones: &[&str], now: i64) -> Result<(), u64> {
        match self.count(ip, phones, now).await {
            Ok(counted) => counted,
            Err(e) => {
                tracing::error!(error = %e, "the rate limits cannot be counted: refusing");
                Err(60)
            }
        }
    }

    async fn count(&self, ip: &str, phones: &[&str], now: i64) -> Result<Result<(), u64>, String> {
        // Sorted keys: one order for every relay's locks, so no two
        // requests wait on each other.
        let keys = keys(&self.limits, ip, phones);
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        let windows: Vec<i64> = keys.iter().map(|(_, l)| window_ms(*l)).collect();
        let limits: Vec<i32> = keys
            .iter()
            .map(|(_, l)| i32::try_from(l.requests).unwrap_or(i32::MAX))
            .collect();
        let db = self.client().await?;
        let stmt = db
            .prepare_cached("SELECT consentry_admit($1, $2, $3, $4)")
            .await
            .map_err(db_error)?;
        let row = db
            .query_one(&stmt, &[&names, &windows, &limits, &now])
            .await
            .map_err(db_error)?;
        let wait: i64 = row.get(0);
        Ok(if wait > 0 { Err(wait as u64) } else { Ok(()) })
    }

    /// Whether a connection answers.
    pub async fn ping(&self) -> Result<(), String> {
        let db = self.client().await?;
        db.simple_query("SELECT 1").await.map_err(db_error)?;
        Ok(())
    }

    /// Requests acknowledged and not yet delivered, by every relay.
    pub async fn pending(&self) -> Result<i64, String> {
        let db = self.client().await?;
        let row = db
            .query_one("SELECT count(*) FROM requests WHERE delivered IS NULL", &[])
            .await
            .map_err(db_error)?;
        Ok(row.get(0))
    }
}

fn entry(r: &tokio_postgres::Row) -> Entry {
    Entry {
        seq: r.get(0),
        entry: r.get(1),
        prev: r.get(2),
        hash: r.get(3),
        columns: Columns {
            kind: r.get(4),
            phone: r.get(5),
            external_id: r.get(6),
            consent_id: r.get(7),
            time: r.get(8),
        },
        signature: r.get(9),
    }
}

async fn head(db: &impl GenericClient) -> Result<Option<Head>, String> {
    let row = db
        .query_opt("SELECT seq, hash, time, signature FROM head WHERE id = 1", &[])
        .await
        .map_err(db_error)?;
    Ok(row.map(|r| Head {
        seq: r.get(0),
        hash: r.get(1),
        time: r.get(2),
        signature: r.get(3),
    }))
}
