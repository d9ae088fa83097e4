//! The form's outbox: submissions the network or the server could not take
//! yet, kept in `localStorage` and retried with backoff under the same
//! idempotency key until the server answers, so nothing is lost and nothing
//! is applied twice.
//!
//! ```
//! use consentry_form::rules::outbox::{Outbox, Entry, Outcome, classify};
//! let mut outbox = Outbox::default();
//! outbox.push(Entry::new("key-1", "/subscription/status/set", "{}", 0));
//! assert_eq!(classify(Some(503)), Outcome::Retry);
//! outbox.settle("key-1", Outcome::Retry, 0);
//! assert!(outbox.due(500).is_empty());          // backing off
//! assert_eq!(outbox.due(1_000).len(), 1);       // due again after 1 s
//! let text = outbox.encode();                   // survives a reload
//! assert_eq!(Outbox::decode(&text).due(1_000).len(), 1);
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use consentry::json::{self, Value};

/// The first retry waits this long; each further one twice as long.
pub const FIRST_RETRY_MS: u64 = 1_000;
/// No wait is longer than this.
pub const MAX_RETRY_MS: u64 = 60 * 60 * 1000;
/// A submission older than this is given up (and reported).
pub const MAX_AGE_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// One submission waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The `Idempotency-Key`, the same on every attempt.
    pub key: String,
    /// Where it goes.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// Attempts that failed so far.
    pub attempts: u32,
    /// When the next attempt is due, ms since the epoch.
    pub next_at: u64,
    /// When the visitor submitted.
    pub created: u64,
}

impl Entry {
    /// A new submission, due at once.
    pub fn new(key: &str, url: &str, body: &str, now: u64) -> Entry {
        Entry {
            key: key.into(),
            url: url.into(),
            body: body.into(),
            attempts: 0,
            next_at: now,
            created: now,
        }
    }
}

/// What an attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: done.
    Delivered,
    /// No answer, 408, 429 or 5xx: try again later.
    Retry,
    /// Another 4xx: the request itself is wrong; shown, not retried.
    Rejected,
}

/// Classifies an HTTP status; `None` is a network failure or timeout.
pub fn classify(status: Option<u16>) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        None | Some(408 | 429 | 500..=599) => Outcome::Retry,
        Some(_) => Outcome::Rejected,
    }
}

/// How long to wait after `attempts` failures.
pub fn backoff(attempts: u32) -> u64 {
    FIRST_RETRY_MS
        .saturating_mul(1u64 << attempts.saturating_sub(1).min(32))
        .min(MAX_RETRY_MS)
}

/// The waiting submissions, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    entries: Vec<Entry>,
}

impl Outbox {
    /// Reads the stored JSON; entries that do not decode are dropped, a
    /// value that does not parse gives an empty outbox.
    pub fn decode(text: &str) -> Outbox {
        let Ok(Value::Array(items)) = json::parse(text) else {
            return Outbox::default();
        };
        let field = |v: &Value, k: &str| match v.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let entries = items
            .iter()
            .filter_map(|v| {
                Some(Entry {
                    key: field(v, "key")?,
                    url: field(v, "url")?,
                    body: field(v, "body")?,
                    attempts: u32::try_from(v.get("attempts")?.as_uint()?).ok()?,
                    next_at: v.get("next_at")?.as_uint()?,
                    created: v.get("created")?.as_uint()?,
                })
            })
            .collect();
        Outbox { entries }
    }

    /// The JSON to store.
    pub fn encode(&self) -> String {
        let number = |n: u64| {
            let mut s = String::new();
            json::push_uint(&mut s, n);
            Value::Number(s)
        };
        let items = self
            .entries
            .iter()
            .map(|e| {
                Value::Object(vec![
                    ("key".into(), Value::String(e.key.clone())),
                    ("url".into(), Value::String(e.url.clone())),
                    ("body".into(), Value::String(e.body.clone())),
                    ("attempts".into(), number(e.attempts.into())),
                    ("next_at".into(), number(e.next_at)),
                    ("created".into(), number(e.created)),
                ])
            })
            .collect();
        Value::Array(items).to_json()
    }

    /// Adds a submission (a second one with the same key is ignored).
    pub fn push(&mut self, entry: Entry) {
        if !self.entries.iter().any(|e| e.key == entry.key) {
            self.entries.push(entry);
        }
    }

    /// The submissions due at `now`.
    pub fn due(&self, now: u64) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.next_at <= now).collect()
    }

    /// How many submissions wait.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records an attempt's outcome: delivered and rejected submissions
    /// leave; a retry waits [`backoff`].
    pub fn settle(&mut self, key: &str, outcome: Outcome, now: u64) {
        match outcome {
            Outcome::Delivered | Outcome::Rejected => self.entries.retain(|e| e.key != key),
            Outcome::Retry => {
                if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
                    e.attempts = e.attempts.saturating_add(1);
                    e.next_at = now.saturating_add(backoff(e.attempts));
                }
            }
        }
    }

    /// Makes every submission due now (the browser is back online).
    pub fn wake(&mut self, now: u64) {
        for e in &mut self.entries {
            e.next_at = e.next_at.min(now);
        }
    }

    /// Removes and returns the submissions older than [`MAX_AGE_MS`].
    pub fn expire(&mut self, now: u64) -> Vec<Entry> {
        let (old, keep) = self
            .entries
            .drain(..)
            .partition(|e| now.saturating_sub(e.created) > MAX_AGE_MS);
        self.entries = keep;
        old
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(Some(201)), Outcome::Delivered);
        for retry in [None, Some(408), Some(429), Some(500), Some(503)] {
            assert_eq!(classify(retry), Outcome::Retry, "{retry:?}");
        }
        for reject in [Some(400), Some(401), Some(404), Some(413)] {
            assert_eq!(classify(reject), Outcome::Rejected, "{reject:?}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!([1, 2, 3, 4].map(backoff), [1_000, 2_000, 4_000, 8_000]);
        assert_eq!(backoff(40), MAX_RETRY_MS);
        assert_eq!(backoff(u32::MAX), MAX_RETRY_MS);
    }

    #[test]
    fn retries_keep_the_key_and_settle_once() {
        let mut o = Outbox::default();
        o.push(Entry::new("k", "/s", "{\"a\":1}", 10));
        o.push(Entry::new("k", "/s", "other", 10));
        assert_eq!(o.len(), 1, "the same key is queued once");
        o.settle("k", Outcome::Retry, 10);
        o.settle("k", Outcome::Retry, 1_010);
        let e = o.due(3_010)[0];
        assert_eq!((e.attempts, e.next_at, e.key.as_str()), (2, 3_010, "k"));
        o.settle("k", Outcome::Delivered, 3_010);
        assert!(o.is_empty());
    }

    #[test]
    fn online_wakes_everything_and_old_entries_expire() {
        let mut o = Outbox::default();
        o.push(Entry::new("a", "/s", "{}", 0));
        o.settle("a", Outcome::Retry, 0);
        o.wake(5);
        assert_eq!(o.due(5).len(), 1);
        assert!(o.expire(MAX_AGE_MS).is_empty());
        assert_eq!(o.expire(MAX_AGE_MS + 1).len(), 1);
        assert!(o.is_empty());
    }

    #[test]
    fn storage_round_trips_and_garbage_is_dropped() {
        let mut o = Outbox::default();
        o.push(Entry::new(
            "a",
            "https://shop.example/subscription/status/set",
            "{\"phone\":[\"+1\"]}",
            7,
        ));
        o.push(Entry::new("b", "/s", "é \"quoted\"", 8));
        assert_eq!(Outbox::decode(&o.encode()), o);
        assert!(Outbox::decode("garbage").is_empty());
        assert!(Outbox::decode("{}").is_empty());
        let mixed = r#"[{"key":"a","url":"/s","body":"{}","attempts":0,"next_at":1,"created":1},{"key":5},"x"]"#;
        assert_eq!(Outbox::decode(mixed).len(), 1);
    }
}
