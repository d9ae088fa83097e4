//! Consentry's demo server and sandbox subscription service: serves the
//! demo site and the built SDK, and runs the subscription API with the
//! double-opt-in keyword workflow over a SQLite file, on 127.0.0.1.
//!
//! `consentry-sandbox [--port N] [--db FILE] [--config FILE] [--test-clock]`:
//! port 8080 (or `PORT`), database `sandbox.db`, configuration
//! `demo/server/sandbox.json`; `--test-clock` lets `POST /sandbox/clock`
//! move the sandbox's time forward (tests only).

use consentry_sandbox::http::{self, Incoming, Outgoing};
use consentry_sandbox::{api, config, service, static_files};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

struct Options {
    port: u16,
    db: PathBuf,
    config: PathBuf,
    test_clock: bool,
}

fn options(root: &Path) -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut port = std::env::var("PORT").ok();
    let mut db = PathBuf::from("sandbox.db");
    let mut config = root.join("demo/server/sandbox.json");
    let mut test_clock = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = Some(value()?),
            "--db" => db = PathBuf::from(value()?),
            "--config" => config = PathBuf::from(value()?),
            "--test-clock" => test_clock = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --port N, --db FILE, --config FILE or --test-clock"
                ))
            }
        }
    }
    let port = match port {
        None => 8080,
        Some(p) => p
            .parse()
            .map_err(|_| format!("port {p:?} is not a number from 0 to 65535"))?,
    };
    Ok(Options {
        port,
        db,
        config,
        test_clock,
    })
}

fn fail(message: String) -> ! {
    eprintln!("consentry-sandbox: {message}");
    std::process::exit(2);
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let opts = options(&root).unwrap_or_else(|e| fail(e));
    let text =
        std::fs::read_to_string(&opts.config).unwrap_or_else(|e| fail(format!("{}: {e}", opts.config.display())));
    let config = config::Config::parse(&text).unwrap_or_else(|e| fail(e));
    let mut service =
        service::Service::open(config, &opts.db).unwrap_or_else(|e| fail(format!("{}: {e}", opts.db.display())));
    if opts.test_clock {
        service = service.with_test_clock();
    }
    let listener = TcpListener::bind(("127.0.0.1", opts.port))
        .unwrap_or_else(|e| fail(format!("cannot listen on 127.0.0.1:{}: {e}", opts.port)));
    let bound = listener.local_addr().map_or(opts.port, |a| a.port());
    println!(
        "Consentry demo on http://127.0.0.1:{bound}/ (sandbox database {})",
        opts.db.display()
    );
    http::serve(listener, api::MAX_BODY_BYTES, move |request| {
        handle(request, &service, &root)
    });
}

fn handle(request: Incoming, service: &service::Service, root: &Path) -> Outgoing {
    let (path, query) = request.target.split_once('?').unwrap_or((&request.target, ""));
    let origin = service::Origin {
        ip: request.peer.ip().to_string(),
        user_agent: request.header("User-Agent").unwrap_or_default().to_string(),
        ..Default::default()
    };
    let now = service.now(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    );
    let reply = match &request.body {
        None => Some((
            413,
            serde_json::json!({ "message": format!("the body is larger than {} bytes", api::MAX_BODY_BYTES) }),
        )),
        Some(body) => api::handle(
            service,
            &api::Request {
                method: &request.method,
                path,
                query,
                body,
                idempotency_key: request.header("Idempotency-Key"),
                authorization: request.header("Authorization"),
                origin,
                now,
            },
        ),
    };
    match reply {
        Some((status, value)) => {
            let mut response = Outgoing::new(status, "application/json", value.to_string().into_bytes());
            if let Some(seconds) = value.get("retry_after_seconds").and_then(serde_json::Value::as_u64) {
                response.headers.push(("Retry-After", seconds.to_string()));
            }
            response
        }
        None => static_response(path, root),
    }
}

fn static_response(path: &str, root: &Path) -> Outgoing {
    let file = static_files::resolve(path, &root.join("demo"), &root.join("dist"));
    match file.as_ref().map(|f| (f, std::fs::read(f))) {
        Some((path, Ok(body))) => {
            let mut response = Outgoing::new(200, static_files::content_type(path), body);
            response.headers.push(("Cache-Control", "no-cache".to_string()));
            // The SDK's files may be loaded from another origin, as from a CDN
            // (its wasm is fetched and its modules imported with CORS).
            if path.starts_with(root.join("dist")) {
                response.headers.push(("Access-Control-Allow-Origin", "*".to_string()));
            }
            response
        }
        _ => Outgoing::new(
            404,
            "text/html; charset=utf-8",
            b"<!doctype html><title>Not found</title><h1>Not found</h1>".to_vec(),
        ),
    }
}
