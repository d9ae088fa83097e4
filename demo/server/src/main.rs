//! Consentry's demo server: serves the demo site and the built SDK on
//! 127.0.0.1 (port 8080 unless `--port N` or `PORT` says otherwise). It
//! grows into the sandbox subscription service.

mod static_files;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tiny_http::{Header, Request, Response, Server};

fn port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut port = std::env::var("PORT").ok();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next(),
            other => return Err(format!("unknown argument {other:?}; expected --port N")),
        }
    }
    match port {
        None => Ok(8080),
        Some(p) => p
            .parse()
            .map_err(|_| format!("port {p:?} is not a number from 0 to 65535")),
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (demo, dist) = (root.join("demo"), root.join("dist"));
    let port = port().unwrap_or_else(|e| {
        eprintln!("consentry-sandbox: {e}");
        std::process::exit(2);
    });
    let server = Server::http(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("consentry-sandbox: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    let bound = server.server_addr().to_ip().map_or(port, |a| a.port());
    println!("Consentry demo on http://127.0.0.1:{bound}/");
    let server = Arc::new(server);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (server, demo, dist) = (Arc::clone(&server), demo.clone(), dist.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(request, &demo, &dist);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
}

fn handle(request: Request, demo: &Path, dist: &Path) {
    let file = static_files::resolve(request.url(), demo, dist);
    let response = match file.as_ref().map(|f| (f, std::fs::read(f))) {
        Some((path, Ok(body))) => {
            let mut r = Response::from_data(body);
            for (k, v) in [
                ("Content-Type", static_files::content_type(path)),
                ("Cache-Control", "no-cache"),
            ] {
                if let Ok(h) = Header::from_bytes(k, v) {
                    r.add_header(h);
                }
            }
            r
        }
        _ => {
            let mut r = Response::from_string("<!doctype html><title>Not found</title><h1>Not found</h1>")
                .with_status_code(404);
            if let Ok(h) = Header::from_bytes("Content-Type", "text/html; charset=utf-8") {
                r.add_header(h);
            }
            r
        }
    };
    let _ = request.respond(response);
}
