//! The relay: the production backend a phone form posts to. It trusts
//! nothing the page sends: it builds the body it forwards from an
//! allow-list ([`crate::allow_list`]), keeps the consent record in the
//! signed ledger, and forwards to the configured upstream (Braze's REST
//! API, or the sandbox) with the API key from the environment, exactly
//! once per `Idempotency-Key`.
//!
//! A request goes: CORS (the configured site origins only) -> the
//! allow-list, the Braze shapes ([`crate::braze`]), the groups (channel,
//! countries, subscribe only) and the signed external id
//! ([`crate::user_token`]) -> a stored request for its key, if any (409
//! for another body; else its answer, waited for while the first is
//! delivered) -> the rate limits per client IP, number and prefix -> the
//! ledger entry and the request, in one transaction -> the upstream,
//! retried on 5xx, 429 and timeouts under one pause per upstream
//! ([`crate::backoff`], honouring `Retry-After`) for up to
//! `deliver_timeout_ms`; the form gets Braze's answer. A request still
//! undelivered then (or when the relay was killed) is answered 202 and
//! delivered by the worker, with the same `Idempotency-Key`.
//!
//! The steps live beside this file: [`forward`]'s validation and
//! submission, [`deliver`]'s delivery, repeats and worker, and
//! [`receipt`]'s cookie-choice receipts. Each returns an [`Outcome`] or an
//! [`Error`]; [`crate::routes`] turns them into HTTP answers.

mod deliver;
mod forward;
mod receipt;

pub use receipt::RECORDED;

use crate::backoff::Backoff;
pub use crate::config::{Config, Group, SigningKey, DEFAULT_RETENTION_DAYS, SIGNING_KEY_ENV, USER_TOKEN_SECRET_ENV};
pub use crate::error::Error;
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use axum::http::HeaderMap;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The endpoints the relay forwards.
pub const FORWARDED: [&str; 3] = [
    "/subscription/status/set",
    "/v2/subscription/status/set",
    "/users/track",
];

/// Where the gate sends receipts of cookie choices.
pub const RECEIPTS: &str = "/consent/receipts";

/// Where the banner asks for the visitor's region (`ui.regionUrl`).
pub const REGION: &str = "/region";

/// What a request to the relay comes to; its refusals are [`Error`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The subscription service's answer (status, body), as the ledger
    /// keeps it.
    Answered(u16, String),
    /// Acknowledged and stored; the worker delivers it (202).
    Queued,
    /// A receipt, kept in the ledger (201).
    Recorded,
}

/// The running relay.
pub struct Relay {
    config: Config,
    ledger: Ledger,
    client: reqwest::Client,
    api_key: String,
    /// Keys being delivered now (by a request or the worker).
    in_flight: Mutex<HashSet<String>>,
    /// The secret external-id tokens are signed with, if configured.
    user_token_secret: Option<Vec<u8>>,
    /// When the upstream may be tried again.
    backoff: Mutex<Backoff>,
    /// When this relay started, ms.
    started: i64,
    /// What `/metrics` reports.
    metrics: Metrics,
    /// Set when the relay is shutting down: `/ready` answers 503 and the
    /// worker takes no new batch.
    draining: AtomicBool,
}

/// The longest `Idempotency-Key` taken, bytes.
pub const MAX_KEY_BYTES: usize = 255;

/// The shortest user token secret taken, bytes (HMAC-SHA256's own size).
const MIN_SECRET_BYTES: usize = 32;

/// The system's time, ms since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The client's IP: the peer's, or, when the peer is a trusted proxy, the
/// last address in `X-Forwarded-For` that is not a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    let mut ip = peer;
    if !trusted.contains(&peer) {
        return ip;
    }
    for part in forwarded.unwrap_or_default().rsplit(',') {
        match part.trim().parse::<IpAddr>() {
            Ok(hop) => {
                ip = hop;
                if !trusted.contains(&hop) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    ip
}

impl Relay {
    /// Opens the ledger; the API key comes from the configured environment
    /// variable.
    pub async fn new(config: Config, api_key: String) -> Result<Relay, Error> {
        let ledger = Ledger::open(&config.database, Some(config.signing_key.load()?), config.limits)
            .await
            .map_err(Error::Store)?;
        let user_token_secret = match std::env::var(&config.user_token_secret_env) {
            Ok(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(Error::Config(format!(
                    "{} is {} bytes; expected a random secret of at least {MIN_SECRET_BYTES}",
                    config.user_token_secret_env,
                    s.len()
                )))
            }
            Ok(s) => Some(s.into_bytes()),
            Err(_) => None,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Relay {
            config,
            ledger,
            client,
            api_key,
            in_flight: Mutex::new(HashSet::new()),
            user_token_secret,
            backoff: Mutex::new(Backoff::default()),
            started: now_ms(),
            metrics: Metrics::default(),
            draining: AtomicBool::new(false),
        })
    }

    /// Counts a request against the rate limits (see [`Ledger::admit`]).
    async fn admit(&self, ip: IpAddr, phones: &[String], now: i64) -> Result<(), u64> {
        let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
        self.ledger.admit(&ip.to_string(), &phones, now).await
    }

    /// The ledger and request store.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Its counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Starts shutting down (see [`crate::routes::serve`]).
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether it is shutting down.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    fn group(&self, id: &str) -> Option<&Group> {
        self.config.groups.iter().find(|g| g.id == id)
    }

    /// `GET /region`: the visitor's region from the CDN's headers (only
    /// from a trusted proxy when the relay names any), for a page whose
    /// banner follows region rules. A missing or malformed value is
    /// `null`: the page then applies its strictest policy.
    pub fn region(&self, headers: &HeaderMap, peer: IpAddr) -> Option<String> {
        let c = &self.config;
        if !c.trusted_proxies.is_empty() && !c.trusted_proxies.contains(&peer) {
            return None;
        }
        let read = |name: &Option<String>| {
            let value = headers
                .get(name.as_deref()?)?
                .to_str()
                .ok()?
                .trim()
                .to_ascii_uppercase();
            Some(value)
        };
        let country = read(&c.region_header)?;
        // Cloudflare's XX (unknown) and T1 (Tor) are no country.
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) || country == "XX" || country == "T1"
        {
            return None;
        }
        match read(&c.subdivision_header) {
            Some(sub) if (1..=3).contains(&sub.len()) && sub.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Some(format!("{country}-{sub}"))
            }
            _ => Some(country),
        }
    }
}

/// The time before which ledger entries are past a retention of `days`, in ms.
pub fn retention_cutoff(days: u32) -> i64 {
    now_ms() - i64::from(days) * 86_400_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_ip_comes_from_x_forwarded_for_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let xff = Some("198.51.100.1, 203.0.113.7");
        assert_eq!(client_ip(proxy, xff, &[proxy]), client, "the last hop before the proxy");
        assert_eq!(
            client_ip(client, xff, &[proxy]),
            client,
            "an untrusted peer's header is ignored"
        );
        assert_eq!(client_ip(proxy, None, &[proxy]), proxy);
        assert_eq!(client_ip(proxy, Some("junk"), &[proxy]), proxy);
    }
}
