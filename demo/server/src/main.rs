//! Consentry's demo server and sandbox subscription service: serves the
//! demo site and the built SDK, and runs the subscription API with the
//! double-opt-in keyword workflow over a SQLite file, on 127.0.0.1.
//!
//! `consentry-sandbox [--port N] [--db FILE] [--config FILE]`: port 8080
//! (or `PORT`), database `sandbox.db`, configuration `demo/server/sandbox.json`.

use consentry_sandbox::{api, config, service, static_files};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tiny_http::{Header, Request, Response, Server};

struct Options {
    port: u16,
    db: PathBuf,
    config: PathBuf,
}

fn options(root: &Path) -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut port = std::env::var("PORT").ok();
    let mut db = PathBuf::from("sandbox.db");
    let mut config = root.join("demo/server/sandbox.json");
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = Some(value()?),
            "--db" => db = PathBuf::from(value()?),
            "--config" => config = PathBuf::from(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --port N, --db FILE or --config FILE"
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
    Ok(Options { port, db, config })
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
    let service =
        service::Service::open(config, &opts.db).unwrap_or_else(|e| fail(format!("{}: {e}", opts.db.display())));
    let server = Server::http(("127.0.0.1", opts.port))
        .unwrap_or_else(|e| fail(format!("cannot listen on 127.0.0.1:{}: {e}", opts.port)));
    let bound = server.server_addr().to_ip().map_or(opts.port, |a| a.port());
    println!(
        "Consentry demo on http://127.0.0.1:{bound}/ (sandbox database {})",
        opts.db.display()
    );
    let (server, service) = (Arc::new(server), Arc::new(service));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (server, service, root) = (Arc::clone(&server), Arc::clone(&service), root.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(request, &service, &root);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
}

fn with_header<R: Read>(mut r: Response<R>, name: &str, value: &str) -> Response<R> {
    if let Ok(h) = Header::from_bytes(name, value) {
        r.add_header(h);
    }
    r
}

fn handle(mut request: Request, service: &service::Service, root: &Path) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let find = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.to_string())
    };
    let idempotency_key = find("Idempotency-Key");
    let authorization = find("Authorization");
    let origin = service::Origin {
        ip: request.remote_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
        user_agent: find("User-Agent").unwrap_or_default(),
        ..Default::default()
    };
    let mut body = Vec::new();
    let too_large = request.body_length().is_some_and(|n| n > api::MAX_BODY_BYTES)
        || request
            .as_reader()
            .take(api::MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .is_err()
        || body.len() > api::MAX_BODY_BYTES;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let method = request.method().as_str().to_string();
    let req = api::Request {
        method: &method,
        path,
        query,
        body: &body,
        idempotency_key: idempotency_key.as_deref(),
        authorization: authorization.as_deref(),
        origin,
        now,
    };
    let reply = if too_large {
        Some((
            413,
            serde_json::json!({ "message": format!("the body is larger than {} bytes", api::MAX_BODY_BYTES) }),
        ))
    } else {
        api::handle(service, &req)
    };
    let response = match reply {
        Some((status, value)) => {
            let wait = value.get("retry_after_seconds").and_then(serde_json::Value::as_u64);
            let r = with_header(
                Response::from_string(value.to_string()).with_status_code(status),
                "Content-Type",
                "application/json",
            );
            match wait {
                Some(seconds) => with_header(r, "Retry-After", &seconds.to_string()),
                None => r,
            }
        }
        None => static_response(path, root),
    };
    // Every connection ends with its response: tiny_http 0.12's task pool can
    // leave a new connection's task queued while all its threads sit on idle
    // keep-alive connections, and that connection's request then waits until
    // another connection closes (a page load in the e2e tests once hung so).
    // Short connections free the threads at once.
    let _ = request.respond(with_header(response, "Connection", "close"));
}

fn static_response(path: &str, root: &Path) -> Response<std::io::Cursor<Vec<u8>>> {
    let file = static_files::resolve(path, &root.join("demo"), &root.join("dist"));
    match file.as_ref().map(|f| (f, std::fs::read(f))) {
        Some((path, Ok(body))) => with_header(
            with_header(
                Response::from_data(body),
                "Content-Type",
                static_files::content_type(path),
            ),
            "Cache-Control",
            "no-cache",
        ),
        _ => with_header(
            Response::from_string("<!doctype html><title>Not found</title><h1>Not found</h1>").with_status_code(404),
            "Content-Type",
            "text/html; charset=utf-8",
        ),
    }
}
