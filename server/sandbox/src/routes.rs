//! The sandbox's HTTP edge: an axum [`Router`] with one route per
//! endpoint, the [`Call`] extractor that refuses a cross-site or
//! unauthorized request before any endpoint runs, the demo's files as the
//! fallback, and the one place where answers and errors become responses.
//! What a request means is [`crate::api`]'s; the endpoints run on blocking
//! threads (they wait on SQLite), so a slow one never holds another
//! connection's answer.

use crate::api::{self, Request};
use crate::error::{Error, Reply};
use crate::service::{Origin, Service};
use crate::static_files;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::Router;
use consentry_relay::relay::now_ms;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The largest request body read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The paths that are the API's (anything else is a file of the demo).
const API: [&str; 6] = ["/subscription/", "/v2/", "/users/", "/sandbox/", "/verify/", "/api/"];

/// What the routes share: the service and the folder the demo's files are
/// served from.
pub struct App {
    /// The subscription service.
    pub service: Service,
    /// The project's folder (`demo/` and `dist/` under it).
    pub root: PathBuf,
}

/// An endpoint that reads its query or raw body.
type Endpoint = fn(&Service, &Request) -> Result<Reply, Error>;

/// An endpoint that takes a JSON body.
type JsonEndpoint = fn(&Service, &Request, &Value) -> Result<Reply, Error>;

/// A request to the API, read and admitted: the body is at most
/// [`MAX_BODY_BYTES`], a request that changes state comes from this
/// machine's pages with JSON, and the shared secret is given where needed
/// ([`api::admit`]).
pub struct Call {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    origin: Origin,
    now: i64,
}

impl Call {
    /// The request as the endpoints read it.
    fn request(&self) -> Request<'_> {
        let header = |name: header::HeaderName| self.headers.get(name).and_then(|v| v.to_str().ok());
        Request {
            method: self.method.as_str(),
            path: self.uri.path(),
            query: self.uri.query().unwrap_or_default(),
            body: &self.body,
            idempotency_key: self.headers.get("idempotency-key").and_then(|v| v.to_str().ok()),
            authorization: header(header::AUTHORIZATION),
            page: header(header::ORIGIN),
            host: header(header::HOST),
            content_type: header(header::CONTENT_TYPE),
            origin: self.origin.clone(),
            now: self.now,
        }
    }
}

impl FromRequest<Arc<App>> for Call {
    type Rejection = Error;

    async fn from_request(request: axum::extract::Request, app: &Arc<App>) -> Result<Call, Error> {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        let (parts, body) = request.into_parts();
        let body = to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| Error::TooLarge(MAX_BODY_BYTES))?;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let call = Call {
            origin: Origin {
                ip: peer,
                user_agent: user_agent.to_string(),
                ..Default::default()
            },
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
            now: app.service.now(now_ms()),
        };
        api::admit(&app.service, &call.request())?;
        Ok(call)
    }
}

/// An endpoint's answer or refusal as a response.
fn respond(outcome: Result<Reply, Error>) -> Response {
    match outcome {
        Ok((status, body)) => json_response(status, &body),
        Err(e) => e.into_response(),
    }
}

/// Runs `f` on a blocking thread (it waits on SQLite).
async fn blocking(f: impl FnOnce() -> Result<Reply, Error> + Send + 'static) -> Response {
    respond(
        tokio::task::spawn_blocking(f)
            .await
            .unwrap_or_else(|e| Err(Error::Store(format!("the endpoint failed: {e}")))),
    )
}

/// A `GET` endpoint.
fn reads(f: Endpoint) -> MethodRouter<Arc<App>> {
    get(move |State(app): State<Arc<App>>, call: Call| blocking(move || f(&app.service, &call.request())))
}

/// A `POST` endpoint that reads its raw body.
fn takes(f: Endpoint) -> MethodRouter<Arc<App>> {
    post(move |State(app): State<Arc<App>>, call: Call| blocking(move || f(&app.service, &call.request())))
}

/// A `POST` endpoint whose body must be JSON.
fn takes_json(f: JsonEndpoint) -> MethodRouter<Arc<App>> {
    post(move |State(app): State<Arc<App>>, call: Call| async move {
        match serde_json::from_slice::<Value>(&call.body) {
            Ok(body) => blocking(move || f(&app.service, &call.request(), &body)).await,
            Err(e) => Error::invalid("invalid JSON body", vec![e.to_string()]).into_response(),
        }
    })
}

/// An API route: any method it does not take is 405, after the same
/// checks as the endpoints'.
fn api(m: MethodRouter<Arc<App>>) -> MethodRouter<Arc<App>> {
    m.fallback(not_allowed)
}

/// The sandbox's routes: Braze's subset, the verification service, the
/// simulated phone and the operator's endpoints; the demo's files for
/// anything else.
pub fn router(app: Arc<App>) -> Router {
    let braze = [
        "/subscription/status/set",
        "/v2/subscription/status/set",
        "/users/track",
    ];
    let mut r = Router::new();
    for path in braze {
        r = r.route(path, api(takes_json(api::subscriptions)));
    }
    r.route("/subscription/status/get", api(reads(api::status_get)))
        .route("/sandbox/inbound", api(takes_json(api::inbound)))
        .route("/sandbox/import", api(takes(api::import)))
        .route("/sandbox/outbox", api(reads(api::outbox)))
        .route("/sandbox/consent-log", api(reads(api::consent_log)))
        .route("/sandbox/relay", api(reads(api::relay)))
        .route(
            "/sandbox/clock",
            api(reads(api::clock_get).merge(takes_json(api::clock))),
        )
        .route("/sandbox/quota", api(reads(api::quota)))
        .route("/sandbox/quota/tickets", api(takes_json(api::tickets)))
        .route("/sandbox/members", api(reads(api::members)))
        .route("/sandbox/segments", api(reads(api::segments)))
        .route(
            "/sandbox/messages",
            api(reads(api::messages).merge(takes_json(api::message))),
        )
        .route("/sandbox/messages/{id}", api(delete(cancel)))
        .route("/api/v3/data", api(takes_json(api::sdk_data)))
        .route("/api/v3/data/", api(takes_json(api::sdk_data)))
        .route("/verify/start", api(takes_json(api::verify_start)))
        .route("/verify/check", api(takes_json(api::verify_check)))
        .route("/verify/token", api(takes_json(api::verify_token)))
        .route("/verify/jwks.json", api(reads(api::jwks)))
        .fallback(fallback)
        .with_state(app)
}

/// `DELETE /sandbox/messages/{id}`: cancels a scheduled message.
async fn cancel(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    match id.parse::<i64>() {
        Ok(id) => blocking(move || app.service.cancel_message(id)).await,
        Err(_) => Error::invalid(
            "invalid message id",
            vec![format!("{:?} does not end in a message id", call.uri.path())],
        )
        .into_response(),
    }
}

/// A method the API's path does not take, or a path under the API's
/// prefixes that is none of its endpoints: 405, once the request passed
/// the same checks as the endpoints'.
async fn not_allowed(call: Call) -> Error {
    Error::NotAllowed(format!("{} {} is not supported", call.method, call.uri.path()))
}

/// Anything that is not a route: under the API's prefixes 405; else a file
/// of the demo or the built SDK.
async fn fallback(State(app): State<Arc<App>>, request: axum::extract::Request) -> Response {
    let path = request.uri().path().to_string();
    if API.iter().any(|p| path.starts_with(p)) {
        return match Call::from_request(request, &app).await {
            Ok(call) => not_allowed(call).await.into_response(),
            Err(e) => e.into_response(),
        };
    }
    if to_bytes(request.into_body(), MAX_BODY_BYTES).await.is_err() {
        return Error::TooLarge(MAX_BODY_BYTES).into_response();
    }
    static_file(&path, &app.root)
}

/// A file of the demo or the built SDK, or 404.
fn static_file(path: &str, root: &std::path::Path) -> Response {
    let file = static_files::resolve(path, &root.join("demo"), &root.join("dist"));
    match file.as_ref().map(|f| (f, std::fs::read(f))) {
        Some((file, Ok(body))) => {
            let mut r = Response::new(Body::from(body));
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(static_files::content_type(file)) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            // The SDK's files may be loaded from another origin, as from a CDN
            // (its wasm is fetched and its modules imported with CORS).
            if file.starts_with(root.join("dist")) {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            }
            r
        }
        _ => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><title>Not found</title><h1>Not found</h1>",
        )
            .into_response(),
    }
}

/// A JSON response; `retry_after_seconds` in the body is also sent as
/// `Retry-After`.
fn json_response(status: u16, body: &Value) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Some(seconds) = body.get("retry_after_seconds").and_then(Value::as_u64) {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    r
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = match &self {
            Error::Invalid { message, errors } => json!({ "message": message, "errors": errors }),
            Error::RateLimited(seconds) => json!({ "message": self.to_string(), "retry_after_seconds": seconds }),
            _ => json!({ "message": self.to_string() }),
        };
        json_response(self.status(), &body)
    }
}
