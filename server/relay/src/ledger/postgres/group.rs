//! Group commit: the requests a relay accepted, and the answers it got for
//! them, while its last group was committing go into the next transaction:
//! the entries appended to the ledger under one lock of the head, one
//! flush for all.

use super::connect::{db_error, pool_error};
use super::{Pending, Record};
use crate::checkpoint::Signer;
use crate::ledger::chain::{links, Head};
use deadpool_postgres::{Pool, Transaction};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Stores the upstream's answer to request `$1`.
pub(super) const DELIVERED: &str =
    "UPDATE requests SET status = $2, answer = $3, delivered = $4, attempts = attempts + 1, lease = NULL WHERE key = $1";

/// Requests committed together at most.
pub(super) const GROUP: usize = 64;

/// A write waiting for its group's commit, and where to say whether it
/// was done (false: an accepted request's key was there already).
pub(super) struct Job {
    pub(super) write: Write,
    pub(super) now: i64,
    pub(super) done: oneshot::Sender<Result<bool, String>>,
}

/// What a job writes.
pub(super) enum Write {
    /// A request the relay accepted, its entries, and its answer when it
    /// has one already (a receipt's).
    Accept {
        request: Pending,
        records: Vec<Record>,
        answer: Option<(u16, String)>,
    },
    /// The upstream's answer to request `key`.
    Delivered { key: String, status: u16, answer: String },
}

/// Commits the writes in groups: whatever queued while the last group
/// committed goes into the next transaction (up to [`GROUP`]), each
/// accepted request inserted unless its key is there already, each answer
/// stored, the entries of the requests inserted appended under one lock of
/// the head, one commit. Each job hears whether it was done, or the
/// group's error.
pub(super) async fn commit_groups(pool: Pool, signer: Arc<Signer>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match commit_group(&pool, &signer, &group).await {
            Ok(stored) => {
                for (job, stored) in group.into_iter().zip(stored) {
                    let _ = job.done.send(Ok(stored));
                }
            }
            Err(e) => {
                for job in group {
                    let _ = job.done.send(Err(e.clone()));
                }
            }
        }
    }
}

async fn commit_group(pool: &Pool, signer: &Signer, group: &[Job]) -> Result<Vec<bool>, String> {
    let mut db = pool.get().await.map_err(pool_error)?;
    let tx = db.transaction().await.map_err(db_error)?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO requests (key, path, body, created, status, answer, delivered, fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
        )
        .await
        .map_err(db_error)?;
    let update = tx.prepare_cached(DELIVERED).await.map_err(db_error)?;
    let mut stored = Vec::with_capacity(group.len());
    let mut records = Vec::new();
    for job in group {
        let (r, job_records, answer) = match &job.write {
            Write::Accept {
                request,
                records,
                answer,
            } => (request, records, answer),
            Write::Delivered { key, status, answer } => {
                tx.execute(&update, &[key, &i32::from(*status), answer, &job.now])
                    .await
                    .map_err(db_error)?;
                stored.push(true);
                continue;
            }
        };
        let status = answer.as_ref().map(|(s, _)| i32::from(*s));
        let text = answer.as_ref().map(|(_, t)| t.as_str());
        let delivered = answer.as_ref().map(|_| job.now);
        let inserted = tx
            .execute(
                &stmt,
                &[
                    &r.key,
                    &r.path,
                    &r.body,
                    &job.now,
                    &status,
                    &text,
                    &delivered,
                    &r.fingerprint,
                ],
            )
            .await
            .map_err(db_error)?;
        stored.push(inserted == 1);
        if inserted == 1 {
            records.extend(job_records.iter().cloned());
        }
    }
    let now = group.iter().map(|j| j.now).max().unwrap_or_default();
    if !records.is_empty() {
        append(&tx, &records, now, signer).await?;
    }
    tx.commit().await.map_err(db_error)?;
    Ok(stored)
}

/// Appends `records` inside `tx`, holding the head row's lock, and signs
/// the new head.
pub(super) async fn append(tx: &Transaction<'_>, records: &[Record], now: i64, signer: &Signer) -> Result<(), String> {
    let row = tx
        .query_one("SELECT seq, hash FROM head WHERE id = 1 FOR UPDATE", &[])
        .await
        .map_err(db_error)?;
    let links = links(row.get(0), row.get(1), records, signer);
    let insert = tx
        .prepare_cached(
            "INSERT INTO ledger (seq, time, kind, phone, external_id, consent_id, entry, prev, hash, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await
        .map_err(db_error)?;
    for l in &links {
        let c = &l.columns;
        tx.execute(
            &insert,
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
        .await
        .map_err(db_error)?;
    }
    if let Some(h) = Head::after(&links, now, signer) {
        tx.execute(
            "UPDATE head SET seq = $1, hash = $2, time = $3, signature = $4 WHERE id = 1",
            &[&h.seq, &h.hash, &h.time, &h.signature],
        )
        .await
        .map_err(db_error)?;
    }
    Ok(())
}
