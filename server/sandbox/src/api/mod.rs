//! The API's endpoints: the subset of Braze's REST API the SDK uses, with
//! Braze's request and response shapes, the verification service, and the
//! sandbox's own endpoints for the simulated phone. Each reads a
//! [`Request`] and returns a [`Reply`] or an [`Error`]; [`crate::routes`]
//! routes to them and answers.
//!
//! Here: the request, its query, and the checks every endpoint shares
//! ([`admit`]). Beside: Braze's endpoints and the simulated phone
//! (`braze.rs`), the verification service (`verify.rs`), and the
//! operator's endpoints: clock, quota, members, messages (`operator.rs`).

mod braze;
mod operator;
mod verify;

pub use braze::{import, inbound, sdk_data, status_get, subscriptions};
pub use operator::{
    clock, clock_get, consent_log, members, message, messages, outbox, quota, relay, segments, tickets,
};
pub use verify::{jwks, verify_check, verify_start, verify_token};

use crate::error::Error;
use crate::service::{Origin, Service};
use consentry_relay::braze::e164;
use serde_json::Value;

/// One request, read and admitted ([`admit`]).
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path without the query.
    pub path: &'a str,
    /// The query string.
    pub query: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Origin` header: the page that asked.
    pub page: Option<&'a str>,
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// Who asked.
    pub origin: Origin,
    /// When, ms since the epoch.
    pub now: i64,
}

/// `decodeURIComponent`; `None` for a bad escape or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn query_param(query: &str, name: &str) -> Option<String> {
    raw_query_param(query, name).map(|v| percent_decode(&v.replace('+', " ")).unwrap_or_default())
}

fn raw_query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The endpoints anyone may call even when the sandbox has a shared
/// secret: they change nothing and show nobody's data.
const OPEN: [(&str, &str); 5] = [
    ("GET", "/sandbox/relay"),
    ("GET", "/sandbox/clock"),
    ("GET", "/sandbox/quota"),
    ("GET", "/sandbox/segments"),
    ("GET", "/verify/jwks.json"),
];

fn same_secret(given: &str, secret: &str) -> bool {
    given.len() == secret.len() && given.bytes().zip(secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// With a shared secret configured, everything that changes state or reads
/// personal data needs `Authorization: Bearer <secret>` (compared in
/// constant time): the Braze-shaped API, members, the consent log, the
/// outbox (it holds verification codes), inbound messages, tickets. The
/// Braze Web SDK's `/api/v3/data/` may instead carry it as its `api_key`,
/// as the SDK sends its key.
fn authorized(service: &Service, req: &Request) -> bool {
    let Some(secret) = &service.config.shared_secret else {
        return true;
    };
    if OPEN.contains(&(req.method, req.path)) {
        return true;
    }
    let given = req
        .authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_secret(given, secret) {
        return true;
    }
    req.path.starts_with("/api/v3/data")
        && serde_json::from_slice::<Value>(req.body)
            .ok()
            .and_then(|b| b.get("api_key").and_then(Value::as_str).map(|k| same_secret(k, secret)))
            .unwrap_or(false)
}

/// Whether `host` (a `Host` header, or an origin's host and port) names
/// this machine: loopback, or a `.test` name (reserved, never on the public
/// internet; the tests map them to 127.0.0.1). Anything else is a page
/// that rebound its own name to the sandbox.
fn local_host(host: &str) -> bool {
    let name = without_port(host);
    matches!(name, "127.0.0.1" | "localhost" | "[::1]") || name.ends_with(".test")
}

/// `host:port` without its port (as it is when it has none).
fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Why a request that changes state is refused before it runs: a body that
/// is not JSON (a cross-site form or `text/plain` post needs no preflight),
/// a foreign `Origin`, or a `Host` that is not this machine's.
fn cross_site(req: &Request) -> Result<(), Error> {
    if req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS" {
        return Ok(());
    }
    if !req.host.is_some_and(local_host) {
        return Err(Error::Forbidden(format!(
            "Host {:?} is not this sandbox's (127.0.0.1, localhost or a .test name)",
            req.host.unwrap_or_default()
        )));
    }
    if req.page.is_some() && !page_host(req).is_some_and(|h| local_host(&h)) {
        return Err(Error::Forbidden(format!(
            "Origin {:?} is not allowed to change the sandbox",
            req.page.unwrap_or_default()
        )));
    }
    let csv = req.path == "/sandbox/import";
    let media = req
        .content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let fits =
        media == "application/json" || (csv && media == "text/csv") || (req.method == "DELETE" && req.body.is_empty());
    if fits {
        return Ok(());
    }
    Err(Error::Unsupported(format!(
        "Content-Type {:?}; expected application/json{}",
        req.content_type.unwrap_or_default(),
        if csv { " or text/csv" } else { "" }
    )))
}

/// Whether a request to the API may run: not cross-site
/// ([`cross_site`]), and with the shared secret where one is needed.
pub fn admit(service: &Service, req: &Request) -> Result<(), Error> {
    cross_site(req)?;
    if !authorized(service, req) {
        return Err(Error::Unauthorized);
    }
    Ok(())
}

/// The host of the page that asked (from `Origin`, without its port), for
/// WebOTP's line and the cross-site check; `None` for no or an odd origin.
fn page_host(req: &Request) -> Option<String> {
    let host = without_port(req.page?.split_once("://")?.1);
    (!host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .then(|| host.to_string())
}

fn phone_query(req: &Request) -> Result<String, Error> {
    // An E.164 number has no spaces, so a literal `+` (as people type
    // `?phone=+1415...`) means `+`, not the form encoding's space.
    let phone = raw_query_param(req.query, "phone")
        .and_then(percent_decode)
        .unwrap_or_default();
    e164(&phone).map_err(|e| Error::invalid("invalid phone", vec![e]))?;
    Ok(phone)
}
