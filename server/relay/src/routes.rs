//! The relay's HTTP edge: the routes, and one layer around all of them
//! that refuses origins the relay does not serve, adds CORS for those it
//! does, counts every answer for `/metrics` and logs one line per request
//! (its id, route, status and latency; never a body, the API key or a
//! whole phone number). What a request means is [`crate::relay`]'s.

use crate::error::Error;
use crate::metrics::Gauges;
use crate::relay::{Outcome, Relay, FORWARDED, MAX_BODY_BYTES, RECEIPTS, RECORDED, REGION};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde_json::json;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The relay's routes.
pub fn router(relay: Arc<Relay>) -> Router {
    let preflighted = |m: MethodRouter<Arc<Relay>>| m.options(preflight).fallback(not_found);
    let mut app = Router::new()
        .route(RECEIPTS, preflighted(post(receipt)))
        .route("/health", get(health).fallback(not_found))
        .route("/ready", get(ready).fallback(not_found))
        .route("/metrics", get(metrics).fallback(not_found))
        .route(REGION, get(region).fallback(not_found));
    for path in FORWARDED {
        app = app.route(path, preflighted(post(forward)));
    }
    app.fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&relay), edge))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(relay)
}

/// Serves the relay on `listener`, with its worker beside it, until
/// `shutdown` resolves; then stops accepting, answers `/ready` 503, and
/// lets the requests and deliveries in progress finish within the drain
/// deadline (`guard.drain`: the delivery timeout and 5 s) before returning.
pub async fn serve(
    relay: Arc<Relay>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let worker = tokio::spawn(Arc::clone(&relay).work());
    let guard = relay.config().guard.clone();
    let drain = guard.drain;
    let draining = Arc::clone(&relay);
    let stop = async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing requests and deliveries in progress");
        draining.drain();
    };
    let served = crate::http::serve_guarded(listener, router(Arc::clone(&relay)), guard, stop).await;
    if tokio::time::timeout(drain, worker).await.is_err() {
        tracing::warn!("the worker did not finish within the drain deadline: its requests stay pending in the store");
    }
    tracing::info!("stopped");
    served
}

/// A JSON answer.
fn json_response(status: u16, body: String, retry_after: Option<u64>) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if let Some(s) = retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    r
}

impl From<BytesRejection> for Error {
    fn from(e: BytesRejection) -> Error {
        Error::Body {
            status: e.status().as_u16(),
            text: e.body_text(),
        }
    }
}

/// Every refusal's answer: its status and a JSON body the form can read
/// (`message`, and `errors` for an invalid request), with `Retry-After`
/// when a rate limit is reached.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let (body, retry_after) = match &self {
            Error::NotJson => (
                json!({ "message": self.to_string(), "errors": ["the body is not JSON"] }),
                None,
            ),
            Error::Invalid(errors) => (json!({ "message": "invalid request", "errors": errors }), None),
            Error::RateLimited(seconds) => (
                json!({ "message": self.to_string(), "retry_after_seconds": seconds }),
                Some(*seconds),
            ),
            Error::Store(_) | Error::Config(_) => {
                tracing::error!(error = %self, "the store failed");
                (json!({ "message": self.to_string() }), None)
            }
            _ => (json!({ "message": self.to_string() }), None),
        };
        json_response(status, body.to_string(), retry_after)
    }
}

/// A request's answer: Braze's own, 202 while it waits for delivery, 201
/// for a receipt.
impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Outcome::Answered(status, body) => json_response(status, body, None),
            Outcome::Queued => {
                let body =
                    json!({ "message": "queued: the relay delivers it as soon as the subscription service answers" });
                json_response(202, body.to_string(), None)
            }
            Outcome::Recorded => json_response(201, RECORDED.to_string(), None),
        }
    }
}

async fn forward(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Outcome, Error> {
    relay.forward(uri.path(), &headers, peer.ip(), &body?).await
}

async fn receipt(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Outcome, Error> {
    relay.receipt(&headers, peer.ip(), &body?).await
}

/// `GET /region`: see [`Relay::region`]. The visitor's own region: never
/// kept by a cache between visitors.
async fn region(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let body = json!({ "region": relay.region(&headers, peer.ip()) });
    let mut r = json_response(200, body.to_string(), None);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    r
}

/// `GET /health`: the process answers.
async fn health() -> Response {
    json_response(200, json!({ "status": "ok" }).to_string(), None)
}

/// `GET /ready`: the store answers and the relay is not shutting down (a
/// load balancer sends it requests only then).
async fn ready(State(relay): State<Arc<Relay>>) -> Response {
    if relay.draining() {
        return json_response(503, json!({ "status": "shutting down" }).to_string(), None);
    }
    match relay.ledger().ping().await {
        Ok(()) => json_response(200, json!({ "status": "ready" }).to_string(), None),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the store does not answer");
            json_response(503, json!({ "status": "unavailable", "message": e }).to_string(), None)
        }
    }
}

/// `GET /metrics`: Prometheus' text format.
async fn metrics(State(relay): State<Arc<Relay>>) -> Response {
    let ledger = relay.ledger();
    let gauges = match (ledger.pending().await, ledger.head().await) {
        (Ok(pending), Ok(head)) => Some(Gauges {
            pending,
            ledger_entries: head.map_or(0, |h| h.seq),
        }),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "metrics: the store does not answer");
            None
        }
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        relay.metrics().render(gauges),
    )
        .into_response()
}

async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, idempotency-key"),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

async fn not_found(method: Method, uri: Uri) -> Response {
    let body = json!({ "message": format!("{method} {} is not one of the relay's endpoints", uri.path()) });
    json_response(404, body.to_string(), None)
}

/// A request id unique in this process, prefixed with the process's id so
/// that two relays' logs do not share ids.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:x}-{:x}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Around every route: origin, CORS, metrics, the request's log line.
async fn edge(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request_id();
    // The route it matched (an arbitrary path never becomes a label).
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |m| m.as_str().to_string());
    let method = request.method().clone();
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let allowed = origin.as_ref().filter(|o| relay.config().origins.contains(o)).cloned();
    // The handler records the (masked) numbers it read into this span.
    let span = tracing::info_span!("request", id = %id, phones = tracing::field::Empty);
    let mut response = match (&origin, &allowed) {
        (Some(o), None) => Error::Origin(o.clone()).into_response(),
        _ => next.run(request).instrument(span.clone()).await,
    };
    let h = response.headers_mut();
    if let Some(o) = allowed.and_then(|o| HeaderValue::from_str(&o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    let status = response.status().as_u16();
    relay.metrics().request(&route, status);
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        tracing::info!(%method, route, status, latency_ms = format!("{latency_ms:.1}"), client = %peer.ip(), "answered")
    });
    response
}

/// A phone number as logs show it: the country and area digits and the
/// last two, the rest hidden.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (5, 2);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= chars.len() - tail { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_number_shows_only_its_prefix_and_last_two_digits() {
        assert_eq!(mask_phone("+14155552671"), "+1415*****71");
        assert_eq!(mask_phone("+821012345678"), "+8210******78");
        assert_eq!(mask_phone("+1415"), "*****");
    }
}
