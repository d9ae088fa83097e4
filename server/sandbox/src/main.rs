//! Consentry's demo server and sandbox subscription service: serves the
//! demo site and the built SDK, and runs the subscription API with the
//! double-opt-in keyword workflow over a SQLite file, on 127.0.0.1.
//!
//! `consentry-sandbox [--port N] [--db FILE] [--config FILE] [--root DIR]
//! [--relay-port N] [--test-clock]`: port 8080 (or `PORT`), database
//! `sandbox.db`, configuration `server/sandbox/sandbox.json` of the project
//! (`--root`, else the one the executable was built in, else the working
//! directory). `--relay-port` also runs the
//! relay (`consentry-relay`) on that port in front of this sandbox, as the
//! demo does (its ledger beside the database, `*.relay.db`); `--test-clock`
//! lets `POST /sandbox/clock` move the sandbox's time forward (tests only).

use consentry_relay::relay::now_ms;
use consentry_relay::{checkpoint, http, relay};
use consentry_sandbox::routes::{self, App};
use consentry_sandbox::{config, service};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Options {
    root: PathBuf,
    port: u16,
    db: PathBuf,
    config: PathBuf,
    test_clock: bool,
    relay_port: Option<u16>,
}

/// The project's folder (with `demo/` and `dist/`): `--root`, else the
/// one the executable was built in (`target/<profile>/` under it), else
/// the working directory. Never a path fixed at build time: a moved
/// binary must not serve whatever is now at its old path.
fn project_root(given: Option<PathBuf>) -> Result<PathBuf, String> {
    let is_project = |p: &Path| p.join("demo/index.html").is_file();
    if let Some(root) = given {
        return if is_project(&root) {
            Ok(root)
        } else {
            Err(format!("--root {}: no demo/index.html there", root.display()))
        };
    }
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf));
    let cwd = std::env::current_dir().ok();
    [beside_exe, cwd]
        .into_iter()
        .flatten()
        .find(|p| is_project(p))
        .ok_or_else(|| "cannot find the demo's files: run it from the project's folder, or give --root DIR".into())
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut root = None;
    let mut port = std::env::var("PORT").ok();
    let mut db = PathBuf::from("sandbox.db");
    let mut config = None;
    let mut test_clock = false;
    let mut relay_port = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = Some(value()?),
            "--db" => db = PathBuf::from(value()?),
            "--config" => config = Some(PathBuf::from(value()?)),
            "--root" => root = Some(PathBuf::from(value()?)),
            "--test-clock" => test_clock = true,
            "--relay-port" => {
                let p = value()?;
                relay_port = Some(p.parse().map_err(|_| format!("relay port {p:?} is not a number from 0 to 65535"))?);
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --port N, --db FILE, --config FILE, --root DIR, --relay-port N or --test-clock"
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
    let root = project_root(root)?;
    Ok(Options {
        config: config.unwrap_or_else(|| root.join("server/sandbox/sandbox.json")),
        root,
        port,
        db,
        test_clock,
        relay_port,
    })
}

fn fail(message: String) -> ! {
    eprintln!("consentry-sandbox: {message}");
    std::process::exit(2);
}

fn main() {
    let opts = options().unwrap_or_else(|e| fail(e));
    let root = opts.root.clone();
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
    let relay = opts.relay_port.map(|port| demo_relay(&service, bound, port, &opts.db));
    let relay_url = relay.as_ref().map(|(url, _)| url.clone());
    println!(
        "Consentry demo on http://127.0.0.1:{bound}/ (sandbox database {}{})",
        opts.db.display(),
        relay_url
            .as_ref()
            .map(|u| format!("; relay on {u}"))
            .unwrap_or_default()
    );
    if let Some((_, start)) = relay {
        std::thread::spawn(start);
    }
    let app = Arc::new(App {
        service: service.with_relay(relay_url),
        root,
    });
    // Messages to members that fall due (scheduled, or deferred by a
    // country's hours) go out within a second.
    let scheduler = Arc::clone(&app);
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let service = &scheduler.service;
        if let Err(e) = service.deliver_due(service.now(now_ms())) {
            eprintln!("messages to members: {e}");
        }
    });
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(format!("no async runtime: {e}")));
    runtime.block_on(async move {
        let _ = listener.set_nonblocking(true);
        let listener = tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| fail(e.to_string()));
        let served = http::serve_guarded(
            listener,
            routes::router(app),
            http::Guard::default(),
            std::future::pending(),
        );
        if let Err(e) = served.await {
            fail(e.to_string());
        }
    });
}

/// The relay in front of this sandbox, as the demo runs it: the page's
/// origins may post, every group with its countries, the ledger beside the
/// sandbox's database. Returns its URL and what runs it.
fn demo_relay(service: &service::Service, sandbox_port: u16, port: u16, db: &Path) -> (String, impl FnOnce()) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .unwrap_or_else(|e| fail(format!("cannot listen on 127.0.0.1:{port} for the relay: {e}")));
    let bound = listener.local_addr().map_or(port, |a| a.port());
    // The demo keeps its signing key beside its databases; a site's relay
    // keeps it where the database's keepers cannot reach.
    let key_file = db.with_extension("relay.key");
    checkpoint::create_key_file(&key_file).unwrap_or_else(|e| fail(e));
    let config = relay::Config {
        upstream: format!("http://127.0.0.1:{sandbox_port}"),
        api_key_env: "BRAZE_API_KEY".into(),
        origins: vec![
            format!("http://127.0.0.1:{sandbox_port}"),
            format!("http://localhost:{sandbox_port}"),
        ],
        trusted_proxies: Vec::new(),
        groups: service
            .config
            .groups
            .iter()
            .map(|g| relay::Group {
                id: g.id.clone(),
                countries: g.countries.clone(),
                email: g.email,
                double_opt_in: !g.email,
            })
            .collect(),
        limits: service.config.limits,
        database: db.with_extension("relay.db").to_string_lossy().into_owned(),
        retention_days: relay::DEFAULT_RETENTION_DAYS,
        deliver_timeout: std::time::Duration::from_secs(8),
        user_token_secret_env: relay::USER_TOKEN_SECRET_ENV.into(),
        guard: http::Guard::default(),
        signing_key: relay::SigningKey::File(key_file),
        // As behind Vercel: the banner's tests set these on their requests.
        region_header: Some("x-vercel-ip-country".into()),
        subdivision_header: Some("x-vercel-ip-country-region".into()),
    };
    // The sandbox's own secret when it has one (the relay must send it).
    let key = service.config.shared_secret.clone().unwrap_or_else(|| "demo".into());
    let start = move || {
        let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(e.to_string()));
        runtime.block_on(async move {
            let relay = relay::Relay::new(config, key)
                .await
                .unwrap_or_else(|e| fail(e.to_string()));
            let _ = listener.set_nonblocking(true);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| fail(e.to_string()));
            if let Err(e) =
                consentry_relay::routes::serve(std::sync::Arc::new(relay), listener, std::future::pending()).await
            {
                fail(format!("relay: {e}"));
            }
        });
    };
    (format!("http://127.0.0.1:{bound}"), start)
}
