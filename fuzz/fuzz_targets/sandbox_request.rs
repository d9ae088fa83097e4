//! The sandbox service's requests: any bytes to any of its endpoints,
//! through its real router (the same checks and routes as the server),
//! over a real SQLite file. Never panics and never answers 5xx: bad input
//! is the client's error.
#![no_main]
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::Request;
use consentry_sandbox::config::Config;
use consentry_sandbox::routes::{router, App};
use consentry_sandbox::service::Service;
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

const ENDPOINTS: [(&str, &str); 8] = [
    ("POST", "/subscription/status/set"),
    ("POST", "/v2/subscription/status/set"),
    ("POST", "/users/track"),
    ("POST", "/sandbox/inbound"),
    ("POST", "/sandbox/import"),
    ("GET", "/subscription/status/get"),
    ("GET", "/sandbox/outbox"),
    ("GET", "/sandbox/consent-log"),
];

struct Harness {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let text = std::fs::read_to_string(format!("{root}/server/sandbox/sandbox.json")).unwrap();
        let db = std::env::temp_dir().join(format!("consentry-fuzz-{}.db", std::process::id()));
        let service = Service::open(Config::parse(&text).unwrap(), &db).unwrap();
        let app = router(Arc::new(App {
            service,
            root: root.into(),
        }))
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Harness { runtime, app }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (method, path) = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let query: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '#')
        .collect();
    let uri = if method == "GET" { format!("{path}?{query}") } else { path.to_string() };
    let Ok(request) = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1:8080")
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let h = harness();
    let response = h.runtime.block_on(h.app.clone().oneshot(request)).unwrap();
    assert!(response.status().as_u16() < 500, "{method} {path} {body:?}: {}", response.status());
});
