//! The relay's counters, as Prometheus reads them at `GET /metrics`:
//! requests by route and status, upstream calls by outcome with their
//! latency, delivery attempts that failed (and will be retried), and, read
//! from the store when scraped, the deliveries still pending and the
//! ledger's length.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The upstream latency histogram's bucket bounds, seconds.
const BUCKETS: [f64; 9] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// Counters since the relay started.
#[derive(Default)]
pub struct Metrics {
    /// (route, status) -> requests answered.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// Upstream calls per bucket (the last: over every bound).
    upstream_buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Upstream latency, summed, in microseconds.
    upstream_micros: AtomicU64,
    /// Upstream calls that failed or asked to be retried (5xx, 429, no answer).
    retried: AtomicU64,
}

/// What the store says when scraped.
pub struct Gauges {
    /// Acknowledged requests not yet delivered.
    pub pending: i64,
    /// Entries ever appended to the ledger (the signed head's seq).
    pub ledger_entries: i64,
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, route: &str, status: u16) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_string(), status)).or_default() += 1;
        }
    }

    /// Counts one call to the upstream that took `took`; `retry`: it failed
    /// and the request will be tried again.
    pub fn upstream(&self, took: Duration, retry: bool) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS.iter().position(|b| seconds <= *b).unwrap_or(BUCKETS.len());
        if let Some(b) = self.upstream_buckets.get(bucket) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.upstream_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        if retry {
            self.retried.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition of every counter and `gauges`.
    pub fn render(&self, gauges: Option<Gauges>) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP consentry_relay_requests_total Requests answered, by route and status.\n\
             # TYPE consentry_relay_requests_total counter\n",
        );
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "consentry_relay_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP consentry_relay_upstream_seconds Latency of calls to the subscription service.\n\
             # TYPE consentry_relay_upstream_seconds histogram\n",
        );
        let mut count = 0;
        for (i, b) in self.upstream_buckets.iter().enumerate() {
            count += b.load(Ordering::Relaxed);
            let le = BUCKETS.get(i).map_or("+Inf".to_string(), f64::to_string);
            let _ = writeln!(out, "consentry_relay_upstream_seconds_bucket{{le=\"{le}\"}} {count}");
        }
        let sum = self.upstream_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "consentry_relay_upstream_seconds_sum {sum}");
        let _ = writeln!(out, "consentry_relay_upstream_seconds_count {count}");
        let _ = write!(
            out,
            "# HELP consentry_relay_deliveries_retried_total Upstream calls that failed and are retried.\n\
             # TYPE consentry_relay_deliveries_retried_total counter\n\
             consentry_relay_deliveries_retried_total {}\n",
            self.retried.load(Ordering::Relaxed)
        );
        match gauges {
            Some(g) => {
                let _ = write!(
                    out,
                    "# HELP consentry_relay_deliveries_pending Acknowledged requests not yet delivered.\n\
                     # TYPE consentry_relay_deliveries_pending gauge\n\
                     consentry_relay_deliveries_pending {}\n\
                     # HELP consentry_relay_ledger_entries Entries ever appended to the ledger.\n\
                     # TYPE consentry_relay_ledger_entries gauge\n\
                     consentry_relay_ledger_entries {}\n",
                    g.pending, g.ledger_entries
                );
                out.push_str("consentry_relay_store_up 1\n");
            }
            None => out.push_str("consentry_relay_store_up 0\n"),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_requests_and_upstream_latency() {
        let m = Metrics::default();
        m.request("/subscription/status/set", 201);
        m.request("/subscription/status/set", 201);
        m.request("/consent/receipts", 400);
        m.upstream(Duration::from_millis(30), false);
        m.upstream(Duration::from_secs(9), true);
        let text = m.render(Some(Gauges {
            pending: 2,
            ledger_entries: 7,
        }));
        for line in [
            "consentry_relay_requests_total{route=\"/subscription/status/set\",status=\"201\"} 2",
            "consentry_relay_requests_total{route=\"/consent/receipts\",status=\"400\"} 1",
            "consentry_relay_upstream_seconds_bucket{le=\"0.025\"} 0",
            "consentry_relay_upstream_seconds_bucket{le=\"0.05\"} 1",
            "consentry_relay_upstream_seconds_bucket{le=\"5\"} 1",
            "consentry_relay_upstream_seconds_bucket{le=\"+Inf\"} 2",
            "consentry_relay_upstream_seconds_sum 9.03",
            "consentry_relay_upstream_seconds_count 2",
            "consentry_relay_deliveries_retried_total 1",
            "consentry_relay_deliveries_pending 2",
            "consentry_relay_ledger_entries 7",
            "consentry_relay_store_up 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(m.render(None).ends_with("consentry_relay_store_up 0\n"));
    }
}
