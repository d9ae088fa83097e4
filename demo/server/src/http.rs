//! The server's HTTP: hyper (through axum) on a tokio runtime. Connections
//! are kept alive and served concurrently; each request's handler, which
//! may wait on SQLite, runs on a blocking thread, so a slow request never
//! holds another connection's answer.
//!
//! Before this, the server read one request per connection on a thread of
//! its own, answered `Connection: close` and closed after 15 s of silence:
//! a browser that had opened a connection ahead (a preconnect) and a page
//! waiting for a free thread could then wait for seconds, and a load
//! client's keep-alive connection saw its next request cut off (the few
//! requests of every load run that waited for the client's 10 s timeout).

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// A request as the handler sees it.
pub struct Incoming {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, or `None` when it is larger than the handler's limit.
    pub body: Option<Vec<u8>>,
    /// The client's address.
    pub peer: SocketAddr,
}

impl Incoming {
    /// The first header of that name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response.
pub struct Outgoing {
    /// The status code.
    pub status: u16,
    /// Headers beside `Content-Length`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Outgoing {
    /// A response with a body of `content_type`.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Outgoing {
        Outgoing {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body,
        }
    }
}

/// Serves `listener` for ever; `max_body` bytes of body at most are read
/// for the handler (a bigger body reaches it as `None`).
pub fn serve<H>(listener: TcpListener, max_body: usize, handler: H)
where
    H: Fn(Incoming) -> Outgoing + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return eprintln!("consentry-sandbox: no async runtime: {e}"),
    };
    runtime.block_on(async move {
        let _ = listener.set_nonblocking(true);
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => return eprintln!("consentry-sandbox: {e}"),
        };
        let app = axum::Router::new().fallback(move |ConnectInfo(peer): ConnectInfo<SocketAddr>, request: Request| {
            let handler = Arc::clone(&handler);
            async move { answer(handler, peer, request, max_body).await }
        });
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        // Answers go out at once (no Nagle delay behind a small write).
        let listener = axum::serve::ListenerExt::tap_io(listener, |s| {
            let _ = s.set_nodelay(true);
        });
        if let Err(e) = axum::serve(listener, service).await {
            eprintln!("consentry-sandbox: {e}");
        }
    });
}

async fn answer<H>(handler: Arc<H>, peer: SocketAddr, request: Request, max_body: usize) -> Response
where
    H: Fn(Incoming) -> Outgoing + Send + Sync + 'static,
{
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.to_string());
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = to_bytes(body, max_body).await.ok().map(|b| b.to_vec());
    let incoming = Incoming {
        method: parts.method.to_string(),
        target,
        headers,
        body,
        peer,
    };
    let out = tokio::task::spawn_blocking(move || handler(incoming))
        .await
        .unwrap_or_else(|_| Outgoing::new(500, "text/plain; charset=utf-8", b"the handler failed".to_vec()));
    let mut response = Response::new(Body::from(out.body));
    *response.status_mut() = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in out.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
            response.headers_mut().append(n, v);
        }
    }
    response
}
