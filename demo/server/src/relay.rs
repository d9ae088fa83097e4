//! The relay: the production backend a phone form posts to. It accepts
//! exactly what the form sends, validates it as the sandbox does, keeps the
//! consent record in the ledger, and forwards the Braze body to the
//! configured upstream (Braze's REST API, or the sandbox) with the API key
//! from the environment, exactly once per `Idempotency-Key`.
//!
//! A request goes: CORS (the configured site origins only) -> the Braze
//! shapes ([`crate::braze`]) and the groups' countries -> the rate limits
//! per client IP, number and prefix -> a stored answer for its key, if any
//! -> the ledger entry and the request, in one transaction -> the upstream,
//! retried on 5xx, 429 and timeouts with backoff, honouring `Retry-After`,
//! for up to `deliver_timeout_ms`; the form gets Braze's answer. A request
//! still undelivered then (or when the relay was killed) is answered 202
//! and delivered by the worker, with the same `Idempotency-Key`.

use crate::braze::{self, text};
use crate::config::FileLimits;
use crate::ledger::{sha256_hex, Ledger, Pending};
use crate::limits::Limiter;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGroup {
    id: String,
    #[serde(default)]
    countries: Vec<String>,
    /// `"email"` for an email subscription group (a sign-up form's email box).
    #[serde(default)]
    channel: Option<String>,
}

fn default_key_env() -> String {
    "BRAZE_API_KEY".into()
}

fn default_retention() -> u32 {
    3 * 365
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
    /// The subscription groups and the countries each accepts.
    pub groups: Vec<(String, Vec<String>)>,
    /// The groups among them that are email groups.
    pub email_groups: Vec<String>,
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
        let email_groups = file
            .groups
            .iter()
            .filter(|g| g.channel.as_deref() == Some("email"))
            .map(|g| g.id.clone())
            .collect();
        let groups = file.groups.into_iter().map(|g| (g.id, g.countries)).collect();
        Ok(Config {
            upstream,
            api_key_env: file.api_key_env,
            origins: file.origins,
            trusted_proxies,
            groups,
            email_groups,
            limits: file.limits.limits("relay config")?,
            database: file.database,
            retention_days: file.retention_days,
            deliver_timeout: Duration::from_millis(file.deliver_timeout_ms),
        })
    }
}

/// A request that passed validation.
struct Accepted {
    /// Its ledger entries, one per number and external id.
    entries: Vec<Value>,
    /// The Braze body (without the consent record).
    upstream: Value,
    /// The numbers it names, for the rate limits.
    phones: Vec<String>,
}

/// The running relay.
pub struct Relay {
    config: Config,
    ledger: Ledger,
    limiter: Mutex<Limiter>,
    client: reqwest::Client,
    api_key: String,
    /// Keys being delivered now (by a request or the worker).
    in_flight: Mutex<HashSet<String>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
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
    pub fn new(config: Config, api_key: String) -> Result<Relay, String> {
        let ledger = Ledger::open(&config.database)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Relay {
            limiter: Mutex::new(Limiter::new(config.limits)),
            config,
            ledger,
            client,
            api_key,
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    /// Runs `f` on the store on a blocking thread (PostgreSQL's client
    /// blocks; so does SQLite's fsync).
    async fn store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Ledger) -> Result<T, String> + Send + 'static,
    ) -> Result<T, String> {
        let relay = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&relay.ledger))
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
    }

    /// Counts a request against the rate limits: shared through the
    /// store when it is PostgreSQL, else in this relay's memory.
    async fn admit(self: &Arc<Self>, ip: IpAddr, phones: Vec<String>, now: i64) -> Result<(), u64> {
        let ip = ip.to_string();
        if let Ledger::Sqlite(_) = self.ledger {
            let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
            return self.limiter.lock().map_or(Err(60), |mut l| l.admit(&ip, &phones, now));
        }
        let relay = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
            match &relay.ledger {
                Ledger::Postgres(l) => l.admit(&relay.config.limits, &ip, &phones, now),
                Ledger::Sqlite(_) => Err(60),
            }
        })
        .await
        .unwrap_or(Err(60))
    }

    /// The ledger (for the command line's verify, export and prune).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn countries(&self, group: &str) -> Option<&[String]> {
        self.config
            .groups
            .iter()
            .find(|(id, _)| id == group)
            .map(|(_, c)| c.as_slice())
    }

    /// Validates a forwarded request; returns the ledger entries and the
    /// Braze body, or the 400.
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
        let parsed = braze::read(path, body, None, &mut errors).unwrap_or_default();
        for change in &parsed.changes {
            let email = self.config.email_groups.contains(&change.group_id);
            match self.countries(&change.group_id) {
                Some(_) if email => braze::check_kinds(change, true, &mut errors),
                Some(countries) => {
                    braze::check_kinds(change, false, &mut errors);
                    braze::check_numbers(change, countries, &mut errors);
                }
                None if change.group_id.is_empty() => {}
                None => errors.push(format!(
                    "subscription_group_id {:?} is not a subscription group the relay forwards to",
                    change.group_id
                )),
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
        if !errors.is_empty() {
            return Err(bad(errors));
        }
        let mut entries = Vec::new();
        let mut phones = Vec::new();
        for change in &parsed.changes {
            let email_group = self.config.email_groups.contains(&change.group_id);
            let externals: Vec<Option<&String>> = match change.external_ids.as_slice() {
                [] => vec![None],
                ids => ids.iter().map(Some).collect(),
            };
            // An email group's entries name the email; the others the number.
            let addresses = if email_group { &change.emails } else { &change.phones };
            let numbers: Vec<Option<&String>> = match addresses.as_slice() {
                [] => vec![None],
                p => p.iter().map(Some).collect(),
            };
            // A sign-up form names each box's disclosure by group.
            let disclosure = consent["disclosures"][&change.group_id]
                .as_str()
                .map_or_else(|| disclosure.clone(), str::to_string);
            for address in &numbers {
                let (phone, email) = if email_group {
                    (&None, address)
                } else {
                    (address, &None)
                };
                phones.extend(phone.cloned());
                for external_id in &externals {
                    entries.push(json!({
                        "kind": "subscription",
                        "idempotency_key": key,
                        "path": path,
                        "subscription_group_id": change.group_id,
                        "subscription_state": if change.subscribe { "subscribed" } else { "unsubscribed" },
                        "use_double_opt_in_logic": change.double_opt_in,
                        "phone": phone,
                        "email": email,
                        "external_id": external_id,
                        "consent_id": (!consent_id.is_empty()).then_some(&consent_id),
                        "disclosure": disclosure,
                        "disclosure_sha256": sha256_hex(&disclosure),
                        "client_disclosure_sha256": client_hash,
                        "locale": locale,
                        "page_url": page_url,
                        "form_id": form_id,
                        "client_time": client_time,
                        "server_time": now,
                        "ip": ip.to_string(),
                        "user_agent": agent,
                    }));
                }
            }
        }
        // Braze takes no consent record.
        let mut upstream = body.clone();
        if let Some(o) = upstream.as_object_mut() {
            o.remove("consent");
        }
        Ok(Accepted {
            entries,
            upstream,
            phones,
        })
    }

    /// Delivers one request to the upstream, retrying 5xx, 429 and
    /// failures with backoff (honouring `Retry-After`) until `budget` runs
    /// out. `Some` is Braze's final answer, already stored.
    pub async fn deliver(self: &Arc<Self>, p: &Pending, budget: Duration) -> Option<(u16, String)> {
        {
            let Ok(mut flying) = self.in_flight.lock() else {
                return None;
            };
            if !flying.insert(p.key.clone()) {
                return None;
            }
        }
        let answer = self.try_deliver(p, budget).await;
        if let Ok(mut flying) = self.in_flight.lock() {
            flying.remove(&p.key);
        }
        answer
    }

    async fn try_deliver(self: &Arc<Self>, p: &Pending, budget: Duration) -> Option<(u16, String)> {
        let deadline = Instant::now() + budget;
        let mut wait = Duration::from_millis(200);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
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
            match sent {
                Ok(r) if !(r.status().is_server_error() || r.status() == StatusCode::TOO_MANY_REQUESTS) => {
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
                    let (key, stored) = (p.key.clone(), answer.clone());
                    let _ = self.store(move |l| l.delivered(&key, status, &stored, now_ms())).await;
                    return Some((status, answer));
                }
                Ok(r) => {
                    let after = r
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok());
                    wait = wait.max(Duration::from_secs(after.unwrap_or(0)));
                }
                Err(_) => {}
            }
            let key = p.key.clone();
            let _ = self.store(move |l| l.attempted(&key)).await;
            if Instant::now() + wait >= deadline {
                return None;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(10));
        }
    }

    /// Forwards one request of the form: see the module's comment.
    async fn forward(
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
        let key = header("idempotency-key")
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .map_or_else(
                || format!("relay-{}", sha256_hex(&format!("{now}{}", body))),
                str::to_string,
            );
        let Accepted {
            entries,
            upstream,
            phones,
        } = match self.accept(path, &body, ip, header("user-agent").unwrap_or_default(), &key, now) {
            Ok(a) => a,
            Err((s, b)) => return (s, b, None),
        };
        let stored = match &self.ledger {
            // A read of SQLite takes microseconds and never waits for a
            // commit (see `store`).
            Ledger::Sqlite(l) => l.answer(&key),
            Ledger::Postgres(_) => {
                let key = key.clone();
                self.store(move |l| l.answer(&key)).await
            }
        };
        match stored {
            Ok(Some(Some((status, answer)))) => return (status, answer, None),
            Ok(_) => {}
            Err(e) => return (500, json!({ "message": e }).to_string(), None),
        }
        if let Err(seconds) = self.admit(ip, phones, now).await {
            let body = json!({ "message": "too many requests: rate limit reached", "retry_after_seconds": seconds });
            return (429, body.to_string(), Some(seconds));
        }
        let pending = Pending {
            key,
            path: path.to_string(),
            body: upstream.to_string(),
        };
        let relay = Arc::clone(self);
        let stored = {
            let pending = pending.clone();
            tokio::task::spawn_blocking(move || relay.ledger.accept(&pending, &entries, None, now)).await
        };
        if let Err(e) = stored.unwrap_or_else(|e| Err(e.to_string())) {
            return (500, json!({ "message": e }).to_string(), None);
        }
        match self.deliver(&pending, self.config.deliver_timeout).await {
            Some((status, answer)) => (status, answer, None),
            None => (
                202,
                json!({ "message": "queued: the relay delivers it as soon as the subscription service answers" })
                    .to_string(),
                None,
            ),
        }
    }

    /// A receipt of a committed cookie choice (from the gate's `receipts`):
    /// validated, then into the ledger once per key. It goes nowhere else.
    async fn receipt(self: &Arc<Self>, headers: &HeaderMap, peer: IpAddr, body: &Bytes) -> (u16, String, Option<u64>) {
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
        let tc = &v["tc_sha256"];
        if !(tc.is_null()
            || tc
                .as_str()
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())))
        {
            errors.push(format!(
                "tc_sha256 is {}; expected null or a SHA-256 in hex",
                braze::shown(tc)
            ));
        }
        if !errors.is_empty() {
            let (s, b) = bad(errors);
            return (s, b, None);
        }
        let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
        let ip = client_ip(peer, header("x-forwarded-for"), &self.config.trusted_proxies);
        let now = now_ms();
        if let Err(seconds) = self.admit(ip, Vec::new(), now).await {
            let body = json!({ "message": "too many requests: rate limit reached", "retry_after_seconds": seconds });
            return (429, body.to_string(), Some(seconds));
        }
        let entry = json!({
            "kind": "receipt",
            "key": key,
            "consent_id": consent_id,
            "time": v["time"],
            "revision": v["revision"],
            "permissions": v["permissions"],
            "changes": v["changes"],
            "gpc": v["gpc"],
            "tc_sha256": tc,
            "page": page,
            "cause": cause,
            "server_time": now,
            "ip": ip.to_string(),
            "user_agent": header("user-agent").unwrap_or_default(),
        });
        let relay = Arc::clone(self);
        let stored = tokio::task::spawn_blocking(move || {
            let answer = json!({ "message": "success" }).to_string();
            let request = Pending {
                key: format!("receipt:{key}"),
                path: RECEIPTS.to_string(),
                body: String::new(),
            };
            relay.ledger.accept(&request, &[entry], Some((201, &answer)), now)?;
            Ok::<_, String>(answer)
        })
        .await;
        match stored.unwrap_or_else(|e| Err(e.to_string())) {
            Ok(answer) => (201, answer, None),
            Err(e) => (500, json!({ "message": e }).to_string(), None),
        }
    }

    /// The worker: delivers what was acknowledged but not delivered (after
    /// a crash, or while Braze kept failing), and prunes the ledger hourly.
    pub async fn work(self: Arc<Self>) {
        let mut last_prune = Instant::now() - Duration::from_secs(3600);
        loop {
            if last_prune.elapsed() >= Duration::from_secs(3600) {
                let before = retention_ms(&self);
                let _ = self.store(move |l| l.prune(before)).await;
                last_prune = Instant::now();
            }
            // Requests whose own delivery has had its time (plus a second).
            let before = now_ms() - self.config.deliver_timeout.as_millis() as i64 - 1_000;
            let due = self
                .store(move |l| l.undelivered(before, 50, now_ms()))
                .await
                .unwrap_or_default();
            for p in &due {
                self.deliver(p, Duration::from_secs(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(if due.is_empty() { 500 } else { 50 })).await;
        }
    }
}

/// The time before which ledger entries are past the retention, in ms.
pub fn retention_ms(relay: &Relay) -> i64 {
    now_ms() - i64::from(relay.config.retention_days) * 86_400_000
}

/// The CORS answer headers for an allowed `origin`.
fn cors(response: &mut Response, origin: &str) {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
}

async fn handle(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let allowed = origin.as_ref().filter(|o| relay.config.origins.contains(o));
    if origin.is_some() && allowed.is_none() {
        let body = json!({ "message": format!("origin {} is not allowed: add it to the relay's origins", origin.unwrap_or_default()) });
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let path = uri.path();
    let (status, text, retry_after) = match (&method, path) {
        (&Method::OPTIONS, p) if FORWARDED.contains(&p) || p == RECEIPTS => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            let h = r.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type, idempotency-key"),
            );
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            if let Some(o) = allowed {
                cors(&mut r, o);
            }
            return r;
        }
        (&Method::POST, p) if FORWARDED.contains(&p) => relay.forward(p, &headers, peer.ip(), &body).await,
        (&Method::POST, RECEIPTS) => relay.receipt(&headers, peer.ip(), &body).await,
        (&Method::GET, "/health") => (200, json!({ "status": "ok" }).to_string(), None),
        _ => (
            404,
            json!({ "message": format!("{method} {path} is not one of the relay's endpoints") }).to_string(),
            None,
        ),
    };
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response();
    if let Some(s) = retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    if let Some(o) = allowed {
        cors(&mut r, o);
    }
    r
}

/// Serves the relay on `listener` until the process ends; the worker runs
/// beside it.
pub async fn serve(relay: Arc<Relay>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    tokio::spawn(Arc::clone(&relay).work());
    let app = axum::Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(relay);
    // Answers go out at once (no Nagle delay behind a small write).
    let listener = axum::serve::ListenerExt::tap_io(listener, |s| {
        let _ = s.set_nodelay(true);
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
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
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(expected), "{e}");
        }
    }
}
