//! Delivery: one request to the upstream with retries under one backoff
//! per upstream, the answer to a repeated `Idempotency-Key` (however many
//! relays share the database), and the worker that delivers what was
//! acknowledged but not delivered.

use super::{now_ms, retention_cutoff, Error, Outcome, Relay};
use crate::backoff;
use crate::ledger::Pending;
use axum::http::{header, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Relay {
    /// Delivers one request to the upstream, retrying 5xx, 429 and
    /// failures with backoff (honouring `Retry-After`) until `budget` runs
    /// out. `Some` is Braze's final answer, already stored. `left`: the
    /// request was read as undelivered earlier (by the worker or a repeat),
    /// so it may have been answered since and the store is read first; a
    /// request this call just stored cannot have been.
    pub(super) async fn deliver(self: &Arc<Self>, p: &Pending, budget: Duration, left: bool) -> Option<(u16, String)> {
        {
            let Ok(mut flying) = self.in_flight.lock() else {
                return None;
            };
            if !flying.insert(p.key.clone()) {
                return None;
            }
        }
        let answered = match left {
            true => self.ledger.answer(&p.key).await.ok().flatten().and_then(|s| s.answer),
            false => None,
        };
        let answer = match answered {
            Some(a) => Some(a),
            None => self.try_deliver(p, budget).await,
        };
        if let Ok(mut flying) = self.in_flight.lock() {
            flying.remove(&p.key);
        }
        answer
    }

    /// The upstream's pause at this moment, if any.
    fn pause(&self) -> Duration {
        let wait = self.backoff.lock().map_or(1_000, |b| b.wait(now_ms()));
        Duration::from_millis(wait as u64)
    }

    async fn try_deliver(self: &Arc<Self>, p: &Pending, budget: Duration) -> Option<(u16, String)> {
        let deadline = Instant::now() + budget;
        loop {
            let pause = self.pause();
            if !pause.is_zero() {
                if Instant::now() + pause >= deadline {
                    return None;
                }
                tokio::time::sleep(pause).await;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let asked = Instant::now();
            let sent = self
                .client
                .post(format!("{}{}", self.config.upstream, p.path))
                .bearer_auth(&self.api_key)
                .header("Idempotency-Key", &p.key)
                .header(header::CONTENT_TYPE, "application/json")
                .timeout(left.clamp(Duration::from_millis(100), Duration::from_secs(5)))
                .body(p.body.clone())
                .send()
                .await;
            let answered = matches!(&sent, Ok(r) if !(r.status().is_server_error() || r.status() == StatusCode::TOO_MANY_REQUESTS));
            self.metrics.upstream(asked.elapsed(), !answered);
            let retry_after = match sent {
                Ok(r) if answered => {
                    if let Ok(mut b) = self.backoff.lock() {
                        b.succeeded();
                    }
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    let answer = match status {
                        401 | 403 => json!({
                            "message": format!("the subscription service refused the relay's API key ({status}): check the relay's {}", self.config.api_key_env),
                            "upstream": serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)),
                        })
                        .to_string(),
                        _ => text,
                    };
                    if let Err(e) = self.ledger.delivered(&p.key, status, &answer, now_ms()).await {
                        // Delivered but not recorded: the worker would send
                        // it again, so say so loudly.
                        tracing::error!(key = %p.key, error = %e, "delivered, but its answer was not stored: the worker will send it again");
                    }
                    return Some((status, answer));
                }
                Ok(r) => r
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok()),
                Err(_) => None,
            };
            if let Ok(mut b) = self.backoff.lock() {
                b.failed(now_ms(), retry_after, backoff::jitter());
            }
            if let Err(e) = self.ledger.attempted(&p.key).await {
                tracing::warn!(key = %p.key, error = %e, "a failed delivery attempt was not counted");
            }
            if Instant::now() >= deadline {
                return None;
            }
        }
    }

    /// The answer to a request whose key is stored already: 409 when the
    /// key was first used for another body; Braze's answer once the first
    /// request has it (waiting up to the delivery timeout for it, however
    /// many relays share the database); else 202. A repeat sends nothing
    /// while another may be delivering the request; one nobody is
    /// delivering ([`Relay::orphan`]) it delivers, as the worker would.
    pub(super) async fn repeat(self: &Arc<Self>, key: &str, fingerprint: &str) -> Result<Option<Outcome>, Error> {
        let deadline = Instant::now() + self.config.deliver_timeout;
        loop {
            let Some(stored) = self.ledger.answer(key).await.map_err(Error::Store)? else {
                return Ok(None);
            };
            if stored.fingerprint.as_deref().is_some_and(|f| f != fingerprint) {
                return Err(Error::KeyReused(key.to_string()));
            }
            if let Some((status, answer)) = stored.answer {
                return Ok(Some(Outcome::Answered(status, answer)));
            }
            // Left undelivered by a request that has had its time (or, with
            // SQLite's one relay, by one from before this relay started):
            // the repeat delivers it, as the worker would.
            if let Some(p) = self.orphan(key).await? {
                let left = deadline.saturating_duration_since(Instant::now());
                if let Some((status, answer)) = self.deliver(&p, left.max(Duration::from_millis(500)), true).await {
                    return Ok(Some(Outcome::Answered(status, answer)));
                }
            }
            if Instant::now() >= deadline {
                return Ok(Some(Outcome::Queued));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Requests stored before this time (ms) have had their own delivery's
    /// time, plus a second: the worker or a repeat may take them.
    fn window_passed_before(&self) -> i64 {
        now_ms() - self.config.deliver_timeout.as_millis() as i64 - 1_000
    }

    /// The undelivered request `key` when no one may be delivering it: its
    /// own delivery has had its time, or (SQLite: one relay per ledger) it
    /// was stored before this relay started. With PostgreSQL it is then
    /// leased to this relay.
    async fn orphan(self: &Arc<Self>, key: &str) -> Result<Option<Pending>, Error> {
        let mut before = self.window_passed_before();
        if !self.ledger.is_shared() {
            before = before.max(self.started);
        }
        let mut due = self
            .ledger
            .undelivered(before, 1, now_ms(), Some(key))
            .await
            .map_err(Error::Store)?;
        Ok(due.pop())
    }

    /// The worker: delivers what was acknowledged but not delivered (after
    /// a crash, or while Braze kept failing), and prunes the ledger hourly.
    pub async fn work(self: Arc<Self>) {
        let mut last_prune = Instant::now() - Duration::from_secs(3600);
        while !self.draining() {
            if last_prune.elapsed() >= Duration::from_secs(3600) {
                let before = retention_cutoff(self.config.retention_days);
                match self.ledger.prune(before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(entries = n, "pruned the ledger past the retention"),
                    Err(e) => tracing::error!(error = %e, "the ledger could not be pruned"),
                }
                last_prune = Instant::now();
            }
            // While the upstream pauses, nothing is sent.
            let pause = self.pause();
            if !pause.is_zero() {
                tokio::time::sleep(pause.min(Duration::from_secs(1))).await;
                continue;
            }
            let before = self.window_passed_before();
            let due = match self.ledger.undelivered(before, 50, now_ms(), None).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(error = %e, "the worker cannot read undelivered requests");
                    Vec::new()
                }
            };
            for p in due.iter().take_while(|_| !self.draining()) {
                self.deliver(p, Duration::from_secs(10), true).await;
            }
            tokio::time::sleep(Duration::from_millis(if due.is_empty() { 500 } else { 50 })).await;
        }
    }
}
