//! The relay's ledger and request store in PostgreSQL, for several relays
//! behind a load balancer: they share the idempotency keys (a request's
//! key is its primary key), the rate-limit counters (one row per window,
//! locked while counted), the ledger (its head row is locked while an entry
//! is appended, so the chain has one order) and the undelivered requests
//! (each leased to one relay at a time). The same tables and rules as the
//! SQLite store ([`crate::ledger`]).

use crate::checkpoint::Signer;
use crate::ledger::{
    links, no_signer, verify_chain, By, Columns, Entry, Head, Pending, Stored, ENTRY_COLUMNS, GENESIS,
};
use crate::limits::{keys, window_ms, Limits};
use postgres::{Client, NoTls, Transaction};
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use std::sync::{Mutex, MutexGuard};

/// How long a relay holds an undelivered request before another may try.
const LEASE_MS: i64 = 30_000;

/// The store over one PostgreSQL database.
pub struct Postgres {
    db: Mutex<Client>,
    signer: Option<Signer>,
}

/// The error with the server's own message (the client's `Display` says
/// only "db error").
pub fn db_error(e: postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => {
            let detail = d.detail().map(|t| format!(" ({t})")).unwrap_or_default();
            format!(
                "ledger database: {} {}: {}{detail}",
                d.severity(),
                d.code().code(),
                d.message()
            )
        }
        None => {
            // The cause, e.g. the certificate a TLS handshake did not trust.
            let mut text = format!("ledger database: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(&format!(": {c}"));
                cause = c.source();
            }
            text
        }
    }
}

impl Postgres {
    /// Connects to `url` and creates the tables when missing (in one
    /// transaction under a transaction-level advisory lock, so relays
    /// starting together on a fresh database wait for each other's commit).
    pub fn open(url: &str, signer: Option<Signer>) -> Result<Postgres, String> {
        let mut db = connect(url)?;
        let mut tx = db.transaction().map_err(db_error)?;
        tx.batch_execute("SELECT pg_advisory_xact_lock(726151)")
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
            .map_err(db_error)?;
        }
        tx.commit().map_err(db_error)?;
        Ok(Postgres {
            db: Mutex::new(db),
            signer,
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Client>, String> {
        self.db.lock().map_err(|_| "ledger lock poisoned".to_string())
    }

    /// See [`crate::ledger::Sqlite::answer`].
    pub fn answer(&self, key: &str) -> Result<Option<Stored>, String> {
        let mut db = self.lock()?;
        let row = db
            .query_opt(
                "SELECT fingerprint, status, answer FROM requests WHERE key = $1",
                &[&key],
            )
            .map_err(db_error)?;
        Ok(row.map(|r| {
            let status: Option<i32> = r.get(1);
            let answer: Option<String> = r.get(2);
            Stored {
                fingerprint: r.get(0),
                answer: status.map(|s| s as u16).zip(answer),
            }
        }))
    }

    /// See [`crate::ledger::Sqlite::accept`].
    pub fn accept(
        &self,
        request: &Pending,
        entries: &[Value],
        answer: Option<(u16, &str)>,
        now: i64,
    ) -> Result<bool, String> {
        let signer = self.signer.as_ref().ok_or_else(no_signer)?;
        let mut db = self.lock()?;
        let mut tx = db.transaction().map_err(db_error)?;
        let (status, text) = answer.map(|(s, t)| (i32::from(s), t)).unzip();
        let delivered = answer.map(|_| now);
        let inserted = tx
            .execute(
                "INSERT INTO requests (key, path, body, created, status, answer, delivered, fingerprint)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
                &[
                    &request.key,
                    &request.path,
                    &request.body,
                    &now,
                    &status,
                    &text,
                    &delivered,
                    &request.fingerprint,
                ],
            )
            .map_err(db_error)?;
        if inserted == 0 {
            return Ok(false);
        }
        append(&mut tx, entries, now, signer)?;
        tx.commit().map_err(db_error)?;
        Ok(true)
    }

    /// See [`crate::ledger::Sqlite::append`].
    pub fn append(&self, entries: &[Value], now: i64) -> Result<(), String> {
        let signer = self.signer.as_ref().ok_or_else(no_signer)?;
        let mut db = self.lock()?;
        let mut tx = db.transaction().map_err(db_error)?;
        append(&mut tx, entries, now, signer)?;
        tx.commit().map_err(db_error)
    }

    /// See [`crate::ledger::Sqlite::delivered`].
    pub fn delivered(&self, key: &str, status: u16, answer: &str, now: i64) -> Result<(), String> {
        let mut db = self.lock()?;
        db.execute(
            "UPDATE requests SET status = $2, answer = $3, delivered = $4, attempts = attempts + 1, lease = NULL WHERE key = $1",
            &[&key, &i32::from(status), &answer, &now],
        )
        .map_err(db_error)?;
        Ok(())
    }

    /// See [`crate::ledger::Sqlite::attempted`].
    pub fn attempted(&self, key: &str) -> Result<(), String> {
        let mut db = self.lock()?;
        db.execute("UPDATE requests SET attempts = attempts + 1 WHERE key = $1", &[&key])
            .map_err(db_error)?;
        Ok(())
    }

    /// Undelivered requests acknowledged before `before`, oldest first,
    /// each leased to this relay (skipping those another relay holds).
    pub fn undelivered(&self, before: i64, limit: i64, now: i64, only: Option<&str>) -> Result<Vec<Pending>, String> {
        let mut db = self.lock()?;
        let rows = db
            .query(
                "UPDATE requests SET lease = $3 + $4 WHERE key IN (
                   SELECT key FROM requests WHERE delivered IS NULL AND created < $1 AND (lease IS NULL OR lease < $3)
                   AND ($5::text IS NULL OR key = $5)
                   ORDER BY created LIMIT $2 FOR UPDATE SKIP LOCKED)
                 RETURNING key, path, body, created, fingerprint",
                &[&before, &limit, &now, &LEASE_MS, &only],
            )
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

    /// See [`crate::ledger::Sqlite::query`].
    pub fn query(&self, by: By) -> Result<Vec<Entry>, String> {
        let (column, value) = by.column();
        let mut db = self.lock()?;
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM ledger WHERE {column} = $1 ORDER BY seq");
        let rows = db.query(&sql, &[&value]).map_err(db_error)?;
        Ok(rows.iter().map(entry).collect())
    }

    /// See [`crate::ledger::Sqlite::head`].
    pub fn head(&self) -> Result<Option<Head>, String> {
        head(&mut *self.lock()?)
    }

    /// See [`crate::ledger::Sqlite::verify`]: in one repeatable-read
    /// snapshot, and the head row must be the chain's signed end.
    pub fn verify(&self, public_key: &str) -> Result<u64, String> {
        let mut db = self.lock()?;
        let mut tx = db
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db_error)?;
        let anchor = tx
            .query_opt("SELECT seq, hash FROM anchor WHERE id = 1", &[])
            .map_err(db_error)?
            .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)));
        let head = head(&mut tx)?;
        let rows = tx
            .query(&format!("SELECT {ENTRY_COLUMNS} FROM ledger ORDER BY seq"), &[])
            .map_err(db_error)?;
        verify_chain(anchor, rows.iter().map(|r| Ok(entry(r))), head, public_key)
    }

    /// See [`crate::ledger::Sqlite::prune`].
    pub fn prune(&self, before: i64) -> Result<usize, String> {
        let mut db = self.lock()?;
        let mut tx = db.transaction().map_err(db_error)?;
        // The head row orders this after any append in progress.
        tx.query_one("SELECT seq FROM head WHERE id = 1 FOR UPDATE", &[])
            .map_err(db_error)?;
        let last = tx
            .query_opt(
                "SELECT seq, hash FROM ledger WHERE time < $1 ORDER BY seq DESC LIMIT 1",
                &[&before],
            )
            .map_err(db_error)?;
        let Some(last) = last else { return Ok(0) };
        let (seq, hash): (i64, String) = (last.get(0), last.get(1));
        let n = tx
            .execute("DELETE FROM ledger WHERE seq <= $1", &[&seq])
            .map_err(db_error)?;
        tx.execute(
            "INSERT INTO anchor (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = $1, hash = $2",
            &[&seq, &hash],
        )
        .map_err(db_error)?;
        tx.execute(
            "DELETE FROM requests WHERE delivered IS NOT NULL AND created < $1",
            &[&before],
        )
        .map_err(db_error)?;
        tx.commit().map_err(db_error)?;
        Ok(n as usize)
    }

    /// Counts one request against the shared windows: as
    /// [`crate::limits::Limiter::admit`], with each window's row locked.
    pub fn admit(&self, limits: &Limits, ip: &str, phones: &[&str], now: i64) -> Result<(), u64> {
        let attempt = || -> Result<Result<(), u64>, String> {
            let mut db = self.lock()?;
            let mut tx = db.transaction().map_err(db_error)?;
            let keys = keys(limits, ip, phones);
            let mut counts = Vec::new();
            let mut wait = 0;
            for (key, limit) in &keys {
                tx.execute(
                    "INSERT INTO windows (key, start, count) VALUES ($1, $2, 0) ON CONFLICT (key) DO NOTHING",
                    &[key, &now],
                )
                .map_err(db_error)?;
                let row = tx
                    .query_one("SELECT start, count FROM windows WHERE key = $1 FOR UPDATE", &[key])
                    .map_err(db_error)?;
                let (start, count): (i64, i32) = (row.get(0), row.get(1));
                let end = start + window_ms(*limit);
                if now < end && count as u32 >= limit.requests {
                    wait = wait.max(((end - now) as u64).div_ceil(1000));
                }
                counts.push((key, if now >= end { (now, 1) } else { (start, count + 1) }));
            }
            if wait > 0 {
                return Ok(Err(wait));
            }
            for (key, (start, count)) in counts {
                tx.execute(
                    "UPDATE windows SET start = $2, count = $3 WHERE key = $1",
                    &[key, &start, &count],
                )
                .map_err(db_error)?;
            }
            tx.commit().map_err(db_error)?;
            Ok(Ok(()))
        };
        // A database that cannot count refuses for a minute.
        attempt().unwrap_or(Err(60))
    }
}

/// Connects to `url`: over TLS (rustls) when it asks for it with
/// `sslmode=require`, verifying the server's certificate against the public
/// roots and, as libpq does, the CA in `PGSSLROOTCERT` (a managed
/// database's own); in the clear otherwise.
pub fn connect(url: &str) -> Result<Client, String> {
    let config: postgres::Config = url.parse().map_err(db_error)?;
    if config.get_ssl_mode() != postgres::config::SslMode::Require {
        return config.connect(NoTls).map_err(db_error);
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = std::env::var_os("PGSSLROOTCERT") {
        let shown = std::path::Path::new(&path).display().to_string();
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(&path)
            .map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
            roots.add(cert).map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
        }
    }
    let tls =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .map_err(db_error)
}

fn entry(r: &postgres::Row) -> Entry {
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

fn head(db: &mut impl postgres::GenericClient) -> Result<Option<Head>, String> {
    let row = db
        .query_opt("SELECT seq, hash, time, signature FROM head WHERE id = 1", &[])
        .map_err(db_error)?;
    Ok(row.map(|r| Head {
        seq: r.get(0),
        hash: r.get(1),
        time: r.get(2),
        signature: r.get(3),
    }))
}

/// Appends `entries` inside `tx`, holding the head row's lock, and signs
/// the new head.
fn append(tx: &mut Transaction, entries: &[Value], now: i64, signer: &Signer) -> Result<(), String> {
    let row = tx
        .query_one("SELECT seq, hash FROM head WHERE id = 1 FOR UPDATE", &[])
        .map_err(db_error)?;
    let links = links(row.get(0), row.get(1), entries, now, signer);
    for l in &links {
        let c = &l.columns;
        tx.execute(
            "INSERT INTO ledger (seq, time, kind, phone, external_id, consent_id, entry, prev, hash, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &l.seq,
                &c.time,
                &c.kind,
                &c.phone,
                &c.external_id,
                &c.consent_id,
                &l.text,
                &l.prev,
                &l.hash,
                &l.signature,
            ],
        )
        .map_err(db_error)?;
    }
    if let Some(h) = Head::after(&links, now, signer) {
        tx.execute(
            "UPDATE head SET seq = $1, hash = $2, time = $3, signature = $4 WHERE id = 1",
            &[&h.seq, &h.hash, &h.time, &h.signature],
        )
        .map_err(db_error)?;
    }
    Ok(())
}
