//! The sandbox service's request bodies: any bytes to any of its endpoints,
//! over a real SQLite file. Never panics and never answers 5xx: bad input
//! is the client's error.
#![no_main]
use consentry_sandbox::api::{handle, Request};
use consentry_sandbox::config::Config;
use consentry_sandbox::service::{Origin, Service};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

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

fn service() -> &'static Service {
    static S: OnceLock<Service> = OnceLock::new();
    S.get_or_init(|| {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../server/sandbox/sandbox.json")).unwrap();
        let db = std::env::temp_dir().join(format!("consentry-fuzz-{}.db", std::process::id()));
        Service::open(Config::parse(&text).unwrap(), &db).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (method, path) = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let query = String::from_utf8_lossy(body);
    let req = Request {
        method,
        path,
        query: if method == "GET" { &query } else { "" },
        body,
        idempotency_key: None,
        authorization: None,
        page: None,
        host: Some("127.0.0.1:8080"),
        content_type: Some("application/json"),
        origin: Origin::default(),
        now: 1_800_000_000_000,
    };
    if let Some((status, reply)) = handle(service(), &req) {
        assert!(status < 500, "{method} {path} {body:?}: {status} {reply}");
    }
});
