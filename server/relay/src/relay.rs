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

use crate::allow_list;
use crate::backoff::{self, Backoff};
use crate::braze::{self, text};
use crate::checkpoint::Signer;
use crate::ledger::{sha256_hex, Ledger, Pending, Receipt, Record, Subscription};
use crate::limits::FileLimits;
use crate::metrics::Metrics;
use crate::user_token;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// A receipt's `banner`: what the banner showed when its button committed
/// (null for a choice made another way), each field checked; anything
/// else is an error.
fn banner_proof(v: &Value, errors: &mut Vec<String>) -> Value {
    const KEYS: [&str; 4] = ["language", "layout", "texts_sha256", "button"];
    if v.is_null() {
        return Value::Null;
    }
    let fields = v
        .as_object()
        .filter(|m| m.len() == KEYS.len() && m.keys().all(|k| KEYS.contains(&k.as_str())));
    let ok = fields.is_some()
        && v["language"]
            .as_str()
            .is_some_and(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()))
        && v["layout"]
            .as_str()
            .is_some_and(|l| ["bar", "box", "modal", "preferences"].contains(&l))
        && v["texts_sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        && v["button"]
            .as_str()
            .is_some_and(|b| ["accept", "reject", "save", "ok"].contains(&b));
    if !ok {
        errors.push(format!(
            "banner is {}; expected null or {{language, layout (bar, box, modal or preferences), texts_sha256, button (accept, reject, save or ok)}}",
            braze::shown(v)
        ));
        return Value::Null;
    }
    v.clone()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    upstream: String,
    #[serde(default = "default_key_env")]
    api_key_env: String,
    #[serde(default)]
    origins: Vec<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    groups: Vec<FileGroup>,
    #[serde(default)]
    limits: FileLimits,
    database: String,
    #[serde(default = "default_retention")]
    retention_days: u32,
    #[serde(default = "default_deliver_ms")]
    deliver_timeout_ms: u64,
    #[serde(default = "default_token_env")]
    user_token_secret_env: String,
    #[serde(default = "default_header_ms")]
    header_timeout_ms: u64,
    #[serde(default = "default_idle_ms")]
    idle_timeout_ms: u64,
    #[serde(default = "default_per_ip")]
    connections_per_ip: usize,
    #[serde(default = "default_signing_env")]
    signing_key_env: String,
    #[serde(default)]
    signing_key_file: Option<String>,
    #[serde(default)]
    region_header: Option<String>,
    #[serde(default)]
    subdivision_header: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGroup {
    id: String,
    #[serde(default)]
    countries: Vec<String>,
    /// `"sms"` (the default), `"whatsapp"`, or `"email"` for an email
    /// subscription group (a sign-up form's email box).
    #[serde(default)]
    channel: Option<String>,
    /// Whether the relay forces Braze's double opt-in; required (true) by
    /// default for SMS and WhatsApp groups.
    #[serde(default)]
    double_opt_in: Option<bool>,
}

/// A subscription group the relay forwards to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Braze's `subscription_group_id`.
    pub id: String,
    /// The countries whose numbers it takes (empty: any).
    pub countries: Vec<String>,
    /// An email group (it takes an email, not a number).
    pub email: bool,
    /// The relay sends `use_double_opt_in_logic: true` whatever the page
    /// asked (an SMS or WhatsApp group's default).
    pub double_opt_in: bool,
}

fn default_key_env() -> String {
    "BRAZE_API_KEY".into()
}

fn default_idle_ms() -> u64 {
    30_000
}

fn default_per_ip() -> usize {
    64
}

fn default_header_ms() -> u64 {
    10_000
}

/// Where the ledger's signing key is by default.
pub const SIGNING_KEY_ENV: &str = "CONSENTRY_LEDGER_KEY";

/// Where the secret external-id tokens are signed with is by default.
pub const USER_TOKEN_SECRET_ENV: &str = "CONSENTRY_USER_TOKEN_SECRET";

fn default_signing_env() -> String {
    SIGNING_KEY_ENV.into()
}

fn default_token_env() -> String {
    USER_TOKEN_SECRET_ENV.into()
}

/// How long ledger entries are kept by default, days.
pub const DEFAULT_RETENTION_DAYS: u32 = 3 * 365;

fn default_retention() -> u32 {
    DEFAULT_RETENTION_DAYS
}

fn default_deliver_ms() -> u64 {
    8_000
}

/// The relay's validated configuration (`relay.json`).
#[derive(Debug)]
pub struct Config {
    /// Braze's REST endpoint (or the sandbox), without a trailing slash.
    pub upstream: String,
    /// The environment variable that holds the API key.
    pub api_key_env: String,
    /// The site origins allowed to post (CORS), e.g. `https://shop.example`.
    pub origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The subscription groups the forms post to.
    pub groups: Vec<Group>,
    /// Rate limits per client IP, number and prefix.
    pub limits: crate::limits::Limits,
    /// The ledger and requests: a SQLite file path, or a `postgres://` URL
    /// that several relays share.
    pub database: String,
    /// Ledger entries older than this many days are pruned.
    pub retention_days: u32,
    /// How long a request waits for Braze before it is answered 202 and
    /// left to the worker.
    pub deliver_timeout: Duration,
    /// The environment variable with the secret the site's backend signs
    /// external ids with ([`crate::user_token`]); unset: pages may name no
    /// external id.
    pub user_token_secret_env: String,
    /// What one client may hold: header and idle timeouts, connections
    /// per IP (the trusted proxies are exempt from the cap).
    pub guard: crate::http::Guard,
    /// Where the ledger's Ed25519 signing key is: a file, else the
    /// environment variable ([`crate::checkpoint`]).
    pub signing_key: SigningKey,
    /// The header the CDN puts the visitor's country in (`GET /region`),
    /// e.g. `cloudfront-viewer-country`, `cf-ipcountry`, `x-vercel-ip-country`.
    pub region_header: Option<String>,
    /// The header with the visitor's subdivision (`CA` of `US-CA`), e.g.
    /// `cloudfront-viewer-country-region`, `x-vercel-ip-country-region`.
    pub subdivision_header: Option<String>,
}

/// Where the ledger's signing key is kept (never in its database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// In this environment variable.
    Env(String),
    /// In this file.
    File(std::path::PathBuf),
}

impl SigningKey {
    /// Reads the key.
    pub fn load(&self) -> Result<Signer, String> {
        let text = match self {
            SigningKey::Env(name) => std::env::var(name).map_err(|_| {
                format!("set {name} to the ledger's signing key (consentry-relay keygen makes one), or name a signing_key_file")
            })?,
            SigningKey::File(path) => {
                std::fs::read_to_string(path).map_err(|e| format!("signing key file {}: {e}", path.display()))?
            }
        };
        Signer::from_text(&text)
    }
}

impl Config {
    /// Reads and validates `relay.json`; the error names the key.
    pub fn parse(text: &str) -> Result<Config, String> {
        let file: FileConfig = serde_json::from_str(text).map_err(|e| format!("relay config: {e}"))?;
        let upstream = file.upstream.trim_end_matches('/').to_string();
        if !(upstream.starts_with("https://") || upstream.starts_with("http://")) {
            return Err(format!(
                "relay config: upstream {:?}; expected Braze's REST endpoint, e.g. \"https://rest.iad-01.braze.com\"",
                file.upstream
            ));
        }
        for o in &file.origins {
            let valid = (o.starts_with("https://") || o.starts_with("http://"))
                && !o.ends_with('/')
                && o.matches('/').count() == 2;
            if !valid {
                return Err(format!(
                    "relay config: origin {o:?}; expected a scheme and host without a path, e.g. \"https://shop.example\""
                ));
            }
        }
        let mut trusted_proxies = Vec::new();
        for p in &file.trusted_proxies {
            trusted_proxies.push(
                p.parse()
                    .map_err(|_| format!("relay config: trusted proxy {p:?}; expected an IP address"))?,
            );
        }
        if file.groups.is_empty() {
            return Err("relay config: groups is empty; expected the subscription groups the forms post to".into());
        }
        let mut groups = Vec::new();
        for g in file.groups {
            let email = match g.channel.as_deref() {
                None | Some("sms" | "whatsapp") => false,
                Some("email") => true,
                Some(other) => {
                    return Err(format!(
                        "relay config: group {:?} channel {other:?}; expected \"sms\", \"whatsapp\" or \"email\"",
                        g.id
                    ))
                }
            };
            if email && g.double_opt_in == Some(true) {
                return Err(format!(
                    "relay config: group {:?} is an email group; Braze's double opt-in is for SMS and WhatsApp",
                    g.id
                ));
            }
            groups.push(Group {
                id: g.id,
                countries: g.countries,
                email,
                double_opt_in: !email && g.double_opt_in.unwrap_or(true),
            });
        }
        Ok(Config {
            upstream,
            api_key_env: file.api_key_env,
            origins: file.origins,
            trusted_proxies: trusted_proxies.clone(),
            groups,
            limits: file.limits.limits("relay config")?,
            database: file.database,
            retention_days: file.retention_days,
            deliver_timeout: Duration::from_millis(file.deliver_timeout_ms),
            user_token_secret_env: file.user_token_secret_env,
            guard: crate::http::Guard {
                header_timeout: Duration::from_millis(file.header_timeout_ms),
                idle_timeout: Duration::from_millis(file.idle_timeout_ms),
                per_ip: file.connections_per_ip,
                exempt: trusted_proxies,
                // Requests in progress may wait for their delivery.
                drain: Duration::from_millis(file.deliver_timeout_ms) + Duration::from_secs(5),
            },
            signing_key: match file.signing_key_file {
                Some(path) => SigningKey::File(path.into()),
                None => SigningKey::Env(file.signing_key_env),
            },
            region_header: file.region_header,
            subdivision_header: file.subdivision_header,
        })
    }
}

/// A request that passed validation.
struct Accepted {
    /// Its ledger entries, one per number and external id.
    entries: Vec<Record>,
    /// The Braze body (without the consent record).
    upstream: Value,
    /// The numbers it names, for the rate limits.
    phones: Vec<String>,
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

/// The answer to a request acknowledged but not yet delivered.
fn queued() -> String {
    json!({ "message": "queued: the relay delivers it as soon as the subscription service answers" }).to_string()
}

/// A JSON answer.
fn reply(status: u16, body: Value) -> (u16, String) {
    (status, body.to_string())
}

fn bad(errors: Vec<String>) -> (u16, String) {
    reply(400, json!({ "message": "invalid request", "errors": errors }))
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
    pub async fn new(config: Config, api_key: String) -> Result<Relay, String> {
        let ledger = Ledger::open(&config.database, Some(config.signing_key.load()?), config.limits).await?;
        let user_token_secret = match std::env::var(&config.user_token_secret_env) {
            Ok(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(format!(
                    "{} is {} bytes; expected a random secret of at least {MIN_SECRET_BYTES}",
                    config.user_token_secret_env,
                    s.len()
                ))
            }
            Ok(s) => Some(s.into_bytes()),
            Err(_) => None,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
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

    /// Validates a forwarded request against [`crate::allow_list`], the
    /// groups, the signed external id and the consent record; returns the
    /// ledger entries and the body to forward, or the 400.
    fn accept(
        &self,
        path: &str,
        body: &Value,
        ip: IpAddr,
        agent: &str,
        key: &str,
        now: i64,
    ) -> Result<Accepted, (u16, String)> {
        let mut errors = Vec::new();
        allow_list::unknown_fields(path, body, &mut errors);
        let parsed = braze::read(path, body, None, &mut errors).unwrap_or_default();
        let vouched = match body.get("external_id_token") {
            None | Some(Value::Null) => None,
            Some(Value::String(token)) => match &self.user_token_secret {
                None => {
                    errors.push(format!(
                        "external_id_token is given but the relay has no user token secret: set {}",
                        self.config.user_token_secret_env
                    ));
                    None
                }
                Some(secret) => match user_token::verify(token, secret, now / 1000) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                },
            },
            Some(other) => {
                errors.push(format!(
                    "external_id_token is {}; expected the token your backend signed",
                    braze::shown(other)
                ));
                None
            }
        };
        for change in &parsed.changes {
            let id = &change.group_id;
            match self.group(id) {
                Some(g) => {
                    braze::check_kinds(change, g.email, &mut errors);
                    if !g.email {
                        braze::check_numbers(change, &g.countries, &mut errors);
                    }
                }
                None if id.is_empty() => {}
                None => errors.push(format!(
                    "subscription_group_id {id:?} is not a subscription group the relay forwards to"
                )),
            }
            if !change.subscribe {
                errors.push(format!(
                    "subscription_state of {id:?} is \"unsubscribed\"; a page may only subscribe (opt-outs come through keywords or your backend's own call to Braze)"
                ));
            }
            if change.phones.is_empty() && change.emails.is_empty() && !change.external_ids.is_empty() {
                errors.push(format!(
                    "subscription group {id:?} names an external_id alone; a page may only subscribe the number or email it submits"
                ));
            }
            for external_id in &change.external_ids {
                if vouched.as_deref() != Some(external_id.as_str()) {
                    errors.push(format!(
                        "external_id {external_id:?} needs external_id_token, signed for it by your backend (README, \"The signed external id\")"
                    ));
                }
            }
        }
        let consent = body.get("consent").cloned().unwrap_or(Value::Null);
        if !consent.is_null() && !consent.is_object() {
            errors.push(format!("consent is {}; expected an object", braze::shown(&consent)));
        }
        let field =
            |k: &str, errors: &mut Vec<String>| text(&consent, "consent.", k, errors).unwrap_or_default().to_string();
        let (disclosure, locale, page_url, form_id, consent_id) = (
            field("disclosure", &mut errors),
            field("locale", &mut errors),
            field("page_url", &mut errors),
            field("form_id", &mut errors),
            field("consent_id", &mut errors),
        );
        let client_hash = field("disclosure_sha256", &mut errors);
        let client_time = match consent.get("time") {
            None | Some(Value::Null) => Value::Null,
            Some(t) if t.is_u64() => t.clone(),
            Some(other) => {
                errors.push(format!(
                    "consent.time is {}; expected ms since the epoch",
                    braze::shown(other)
                ));
                Value::Null
            }
        };
        errors.dedup();
        if !errors.is_empty() {
            return Err(bad(errors));
        }
        // What Braze is told about the double opt-in, per group.
        let double_opt_in =
            |id: &str, asked: bool| self.group(id).filter(|g| !g.email).map(|g| g.double_opt_in || asked);
        let mut entries = Vec::new();
        let mut phones = Vec::new();
        for change in &parsed.changes {
            let email_group = self.group(&change.group_id).is_some_and(|g| g.email);
            let externals: Vec<Option<&String>> = match change.external_ids.as_slice() {
                [] => vec![None],
                ids => ids.iter().map(Some).collect(),
            };
            // An email group's entries name the email; the others the number.
            let addresses = if email_group { &change.emails } else { &change.phones };
            // A sign-up form names each box's disclosure by group.
            let disclosure = consent["disclosures"][&change.group_id]
                .as_str()
                .map_or_else(|| disclosure.clone(), str::to_string);
            for address in addresses {
                let (phone, email) = if email_group {
                    (None, Some(address))
                } else {
                    (Some(address), None)
                };
                phones.extend(phone.cloned());
                for external_id in &externals {
                    entries.push(Record::Subscription(Subscription {
                        idempotency_key: key.to_string(),
                        path: path.to_string(),
                        subscription_group_id: change.group_id.clone(),
                        subscription_state: "subscribed",
                        use_double_opt_in_logic: double_opt_in(&change.group_id, change.double_opt_in),
                        phone: phone.cloned(),
                        email: email.cloned(),
                        external_id: external_id.cloned(),
                        consent_id: (!consent_id.is_empty()).then(|| consent_id.clone()),
                        disclosure_sha256: sha256_hex(&disclosure),
                        disclosure: disclosure.clone(),
                        client_disclosure_sha256: client_hash.clone(),
                        locale: locale.clone(),
                        page_url: page_url.clone(),
                        form_id: form_id.clone(),
                        client_time: client_time.as_u64(),
                        server_time: now,
                        ip: ip.to_string(),
                        user_agent: agent.to_string(),
                    }));
                }
            }
        }
        Ok(Accepted {
            entries,
            upstream: allow_list::upstream(path, body, &double_opt_in),
            phones,
        })
    }

    /// Delivers one request to the upstream, retrying 5xx, 429 and
    /// failures with backoff (honouring `Retry-After`) until `budget` runs
    /// out. `Some` is Braze's final answer, already stored. `left`: the
    /// request was read as undelivered earlier (by the worker or a repeat),
    /// so it may have been answered since and the store is read first; a
    /// request this call just stored cannot have been.
    async fn deliver(self: &Arc<Self>, p: &Pending, budget: Duration, left: bool) -> Option<(u16, String)> {
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
    async fn repeat(self: &Arc<Self>, key: &str, fingerprint: &str) -> Result<Option<(u16, String)>, String> {
        let deadline = Instant::now() + self.config.deliver_timeout;
        loop {
            let Some(stored) = self.ledger.answer(key).await? else {
                return Ok(None);
            };
            if stored.fingerprint.as_deref().is_some_and(|f| f != fingerprint) {
                let body = json!({ "message": format!(
                    "Idempotency-Key {key:?} was used for another request: a new submission needs a new key"
                ) });
                return Ok(Some((409, body.to_string())));
            }
            if let Some(answer) = stored.answer {
                return Ok(Some(answer));
            }
            // Left undelivered by a request that has had its time (or, with
            // SQLite's one relay, by one from before this relay started):
            // the repeat delivers it, as the worker would.
            if let Some(p) = self.orphan(key).await? {
                let left = deadline.saturating_duration_since(Instant::now());
                if let Some(answer) = self.deliver(&p, left.max(Duration::from_millis(500)), true).await {
                    return Ok(Some(answer));
                }
            }
            if Instant::now() >= deadline {
                return Ok(Some((202, queued())));
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
    async fn orphan(self: &Arc<Self>, key: &str) -> Result<Option<Pending>, String> {
        let mut before = self.window_passed_before();
        if !self.ledger.is_shared() {
            before = before.max(self.started);
        }
        Ok(self.ledger.undelivered(before, 1, now_ms(), Some(key)).await?.pop())
    }

    /// Forwards one request of the form: see the module's comment.
    pub async fn forward(
        self: &Arc<Self>,
        path: &str,
        headers: &HeaderMap,
        peer: IpAddr,
        body: &Bytes,
    ) -> (u16, String, Option<u64>) {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            let (s, b) = reply(
                400,
                json!({ "message": "invalid JSON body", "errors": ["the body is not JSON"] }),
            );
            return (s, b, None);
        };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let ip = client_ip(peer, header("x-forwarded-for"), &self.config.trusted_proxies);
        let now = now_ms();
        let key = match headers.get("idempotency-key").map(|v| v.to_str()) {
            None => format!("relay-{}", sha256_hex(&format!("{now}{}", body))),
            Some(Ok(k)) if !k.is_empty() && k.len() <= MAX_KEY_BYTES => k.to_string(),
            Some(k) => {
                let (s, b) = bad(vec![format!(
                    "Idempotency-Key is {} bytes of {}; expected 1 to {MAX_KEY_BYTES} bytes of visible ASCII",
                    headers.get("idempotency-key").map_or(0, |v| v.len()),
                    if k.is_ok() { "text" } else { "non-ASCII" }
                )]);
                return (s, b, None);
            }
        };
        let Accepted {
            entries,
            upstream,
            phones,
        } = match self.accept(path, &body, ip, header("user-agent").unwrap_or_default(), &key, now) {
            Ok(a) => a,
            Err((s, b)) => return (s, b, None),
        };
        let masked: Vec<String> = phones.iter().map(|p| crate::routes::mask_phone(p)).collect();
        tracing::Span::current().record("phones", masked.join(" "));
        let fingerprint = sha256_hex(&format!("{path}\n{body}"));
        match self.repeat(&key, &fingerprint).await {
            Ok(Some((status, answer))) => return (status, answer, None),
            Ok(None) => {}
            Err(e) => return (500, json!({ "message": e }).to_string(), None),
        }
        if let Err(seconds) = self.admit(ip, &phones, now).await {
            let body = json!({ "message": "too many requests: rate limit reached", "retry_after_seconds": seconds });
            return (429, body.to_string(), Some(seconds));
        }
        let pending = Pending {
            key,
            path: path.to_string(),
            body: upstream.to_string(),
            fingerprint,
        };
        match self.ledger.accept(&pending, &entries, None, now).await {
            Ok(true) => {}
            // Another request with this key was stored first (here or at
            // another relay): its answer is this one's.
            Ok(false) => {
                return match self.repeat(&pending.key, &pending.fingerprint).await {
                    Ok(Some((status, answer))) => (status, answer, None),
                    Ok(None) => (202, queued(), None),
                    Err(e) => (500, json!({ "message": e }).to_string(), None),
                }
            }
            Err(e) => return (500, json!({ "message": e }).to_string(), None),
        }
        match self.deliver(&pending, self.config.deliver_timeout, false).await {
            Some((status, answer)) => (status, answer, None),
            None => (202, queued(), None),
        }
    }

    /// A receipt of a committed cookie choice (from the gate's `receipts`):
    /// validated, then into the ledger once per key. It goes nowhere else.
    pub async fn receipt(
        self: &Arc<Self>,
        headers: &HeaderMap,
        peer: IpAddr,
        body: &Bytes,
    ) -> (u16, String, Option<u64>) {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return (
                400,
                json!({ "message": "invalid JSON body", "errors": ["the body is not JSON"] }).to_string(),
                None,
            );
        };
        let mut errors = Vec::new();
        let string = |k: &str, max: usize, errors: &mut Vec<String>| {
            let s = text(&v, "", k, errors).unwrap_or_default().to_string();
            if s.is_empty() || s.len() > max {
                errors.push(format!(
                    "{k} is {}; expected a string of 1 to {max} bytes",
                    braze::shown(&v[k])
                ));
            }
            s
        };
        let (key, consent_id, page, cause) = (
            string("key", 255, &mut errors),
            string("consent_id", 64, &mut errors),
            string("page", 2048, &mut errors),
            string("cause", 32, &mut errors),
        );
        for k in ["time", "revision"] {
            if !v[k].is_u64() {
                errors.push(format!("{k} is {}; expected a whole number", braze::shown(&v[k])));
            }
        }
        for k in ["permissions", "changes"] {
            let ok = v[k].as_object().is_some_and(|m| m.values().all(Value::is_boolean));
            if !ok {
                errors.push(format!(
                    "{k} is {}; expected {{category: true or false}}",
                    braze::shown(&v[k])
                ));
            }
        }
        if !v["gpc"].is_boolean() {
            errors.push(format!("gpc is {}; expected true or false", braze::shown(&v["gpc"])));
        }
        // The TC and GPP strings' hashes (a missing gpp_sha256 is null:
        // receipts from before GPP).
        for k in ["tc_sha256", "gpp_sha256"] {
            let h = &v[k];
            if !(h.is_null()
                || h.as_str()
                    .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())))
            {
                errors.push(format!("{k} is {}; expected null or a SHA-256 in hex", braze::shown(h)));
            }
        }
        let banner = banner_proof(&v["banner"], &mut errors);
        if !errors.is_empty() {
            let (s, b) = bad(errors);
            return (s, b, None);
        }
        let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
        let ip = client_ip(peer, header("x-forwarded-for"), &self.config.trusted_proxies);
        let now = now_ms();
        if let Err(seconds) = self.admit(ip, &[], now).await {
            let body = json!({ "message": "too many requests: rate limit reached", "retry_after_seconds": seconds });
            return (429, body.to_string(), Some(seconds));
        }
        let map = |k: &str| v[k].as_object().cloned().unwrap_or_default();
        let hash = |k: &str| v[k].as_str().map(str::to_string);
        let entry = Record::Receipt(Receipt {
            key: key.clone(),
            consent_id,
            time: v["time"].as_u64().unwrap_or_default(),
            revision: v["revision"].as_u64().unwrap_or_default(),
            permissions: map("permissions"),
            changes: map("changes"),
            gpc: v["gpc"].as_bool().unwrap_or_default(),
            tc_sha256: hash("tc_sha256"),
            gpp_sha256: hash("gpp_sha256"),
            banner,
            page,
            cause,
            server_time: now,
            ip: ip.to_string(),
            user_agent: header("user-agent").unwrap_or_default().to_string(),
        });
        let answer = json!({ "message": "success" }).to_string();
        let request = Pending {
            key: format!("receipt:{key}"),
            path: RECEIPTS.to_string(),
            body: String::new(),
            fingerprint: String::new(),
        };
        match self.ledger.accept(&request, &[entry], Some((201, &answer)), now).await {
            Ok(_) => (201, answer, None),
            Err(e) => (500, json!({ "message": e }).to_string(), None),
        }
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

    #[test]
    fn config_errors_name_the_key() {
        for (text, expected) in [
            (
                r#"{"upstream":"rest.braze.com","groups":[{"id":"g"}],"database":"r.db"}"#,
                "upstream",
            ),
            (
                r#"{"upstream":"https://x","groups":[],"database":"r.db"}"#,
                "groups is empty",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g"}],"database":"r.db","origins":["https://a/"]}"#,
                "origin",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g"}],"database":"r.db","trusted_proxies":["x"]}"#,
                "trusted proxy",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g"}],"database":"r.db","colour":1}"#,
                "unknown field",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g","channel":"SMS"}],"database":"r.db"}"#,
                r#"group "g" channel "SMS"; expected "sms", "whatsapp" or "email""#,
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g","channel":"email","double_opt_in":true}],"database":"r.db"}"#,
                "is an email group",
            ),
            (
                r#"{"upstream":"https://x","groups":[{"id":"g","double_opt_in":"false"}],"database":"r.db"}"#,
                "invalid type",
            ),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(expected), "{e}");
        }
        // SMS and WhatsApp groups require the double opt-in unless told not to.
        let c = Config::parse(
            r#"{"upstream":"https://x","database":"r.db","groups":[{"id":"a"},{"id":"b","channel":"whatsapp"},
                {"id":"c","double_opt_in":false},{"id":"d","channel":"email"}]}"#,
        )
        .unwrap();
        let required: Vec<bool> = c.groups.iter().map(|g| g.double_opt_in).collect();
        assert_eq!(required, [true, true, false, false]);
    }
}
