//! How long the relay leaves its upstream alone after it failed: one state
//! per upstream, shared by every request and the worker, so a Braze that
//! answers 429 with `Retry-After: 20` hears nothing for 20 s (not one retry
//! per queued request every few milliseconds). Without `Retry-After` the
//! pause doubles with each failure, from 200 ms to a cap; both get a
//! little jitter so several relays do not return at the same instant.
//! Pure: the clock and the jitter are passed in.

/// The first pause after a failure without `Retry-After`, ms.
const FIRST_MS: i64 = 200;
/// The longest pause the relay's own doubling reaches, ms.
const DOUBLING_CAP_MS: i64 = 30_000;
/// The longest `Retry-After` honoured, ms (a larger one is read as this).
const RETRY_AFTER_CAP_MS: i64 = 300_000;

/// The upstream's state.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Backoff {
    /// No attempt before this time (ms since the epoch).
    until: i64,
    /// Failures in a row (each counted once per pause).
    failures: u32,
}

impl Backoff {
    /// How long to wait at `now` before the next attempt, ms (0: go).
    pub fn wait(&self, now: i64) -> i64 {
        (self.until - now).max(0)
    }

    /// The upstream failed at `now` (5xx, 429, a timeout or no connection),
    /// with its `Retry-After` in seconds if it sent one; `jitter` in
    /// [0, 1) adds up to a tenth of the pause. Failures of requests sent
    /// before the pause began do not double it again.
    pub fn failed(&mut self, now: i64, retry_after: Option<u64>, jitter: f64) {
        if now >= self.until {
            self.failures = self.failures.saturating_add(1);
        }
        let pause = match retry_after {
            Some(s) => (s.saturating_mul(1000).min(RETRY_AFTER_CAP_MS as u64)) as i64,
            None => (FIRST_MS << self.failures.saturating_sub(1).min(16)).min(DOUBLING_CAP_MS),
        };
        let jitter = (pause as f64 * 0.1 * jitter.clamp(0.0, 1.0)) as i64;
        self.until = self.until.max(now + pause + jitter);
    }

    /// The upstream answered (anything but a failure): no pause.
    pub fn succeeded(&mut self) {
        *self = Backoff::default();
    }
}

/// A number in [0, 1) from the system's random source.
pub fn jitter() -> f64 {
    let mut b = [0u8; 4];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_with_jitter_on_top_and_a_cap() {
        let mut b = Backoff::default();
        b.failed(1_000, Some(20), 0.5);
        assert_eq!(b.wait(1_000), 21_000, "20 s and 5% jitter");
        b.failed(1_000, Some(86_400), 0.0);
        assert_eq!(b.wait(1_000), 300_000, "a day is read as the cap");
    }

    #[test]
    fn without_retry_after_the_pause_doubles_to_a_cap_and_resets_on_success() {
        let mut b = Backoff::default();
        let mut now = 0;
        let mut pauses = Vec::new();
        for _ in 0..10 {
            b.failed(now, None, 0.0);
            pauses.push(b.wait(now));
            now += b.wait(now);
        }
        assert_eq!(
            pauses,
            [200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000]
        );
        b.succeeded();
        assert_eq!(b.wait(now), 0);
    }

    #[test]
    fn failures_of_requests_already_in_flight_do_not_double_the_pause() {
        let mut b = Backoff::default();
        for _ in 0..50 {
            b.failed(0, None, 0.0);
        }
        assert_eq!(b.wait(0), 200);
    }

    #[test]
    fn jitter_is_in_range() {
        assert!((0..100).map(|_| jitter()).all(|j| (0.0..1.0).contains(&j)));
    }
}
