//! `consentry-relay`: the relay in front of Braze, and its ledger's tools.
//! `consentry-relay --help` prints [`USAGE`].
//!
//! The API key is read from the environment variable the configuration
//! names (`BRAZE_API_KEY` by default); it is never printed. The ledger's
//! signing key is read from `CONSENTRY_LEDGER_KEY` or the configured
//! `signing_key_file`; only its public key is ever printed.

use consentry_relay::checkpoint::Signer;
use consentry_relay::ledger::{check_entry, is_postgres, By, Columns, Entry, Ledger};
use consentry_relay::limits::Limits;
use consentry_relay::relay::{self, Config, Relay};
use serde_json::{json, Value};
use std::sync::Arc;

const USAGE: &str = "\
consentry-relay [serve] [--config relay.json] [--listen 127.0.0.1:8090]
    serve the relay in front of Braze
consentry-relay keygen
    print a new ledger signing key (keep it secret, outside the database) and its public key
consentry-relay public-key [--config relay.json]
    print the public key of the configured signing key (publish it)
consentry-relay verify [--config relay.json | --database DB] [--public-key KEY]
    check the ledger's chain, every entry's signature and the signed head
consentry-relay export [--config relay.json | --database DB] [--public-key KEY]
        (--phone +E164 | --external-id ID | --consent-id ID)
    the entries as JSON lines, then the signed head and the public key
consentry-relay verify-export --public-key KEY [FILE]
    check an export offline (from FILE, or standard input)
consentry-relay prune [--config relay.json | --database DB] [--retention-days N]
    drop entries older than the retention (the configuration's, or 1095 days)

DB is a SQLite file or a postgres:// URL. KEY is the ledger's public key;
without --public-key it is derived from the signing key (the configuration's,
or CONSENTRY_LEDGER_KEY, or with --database a .key file beside it, as the
demo keeps one).";

fn fail(message: &str) -> ! {
    eprintln!("consentry-relay: {message}");
    std::process::exit(2);
}

#[derive(Default)]
struct Args {
    command: String,
    config: Option<String>,
    listen: Option<String>,
    database: Option<String>,
    public_key: Option<String>,
    retention_days: Option<u32>,
    by: Option<(String, String)>,
    file: Option<String>,
}

fn args() -> Args {
    let mut it = std::env::args().skip(1).peekable();
    let mut a = Args {
        command: match it.peek().map(String::as_str) {
            Some("serve" | "keygen" | "public-key" | "verify" | "export" | "verify-export" | "prune") => {
                it.next().unwrap_or_default()
            }
            _ => "serve".into(),
        },
        ..Args::default()
    };
    while let Some(arg) = it.next() {
        if arg == "--help" || arg == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        if !arg.starts_with("--") && a.command == "verify-export" && a.file.is_none() {
            a.file = Some(arg);
            continue;
        }
        let value = it
            .next()
            .unwrap_or_else(|| fail(&format!("{arg} needs a value\n\n{USAGE}")));
        match arg.as_str() {
            "--config" => a.config = Some(value),
            "--listen" => a.listen = Some(value),
            "--database" => a.database = Some(value),
            "--public-key" => a.public_key = Some(value),
            "--retention-days" => {
                a.retention_days =
                    Some(value.parse().unwrap_or_else(|_| {
                        fail(&format!("--retention-days {value:?}; expected a whole number of days"))
                    }))
            }
            "--phone" | "--external-id" | "--consent-id" => a.by = Some((arg, value)),
            other => fail(&format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    if a.config.is_some() && a.database.is_some() {
        fail("give --config or --database, not both");
    }
    a
}

fn config(path: &str) -> Config {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    Config::parse(&text).unwrap_or_else(|e| fail(&e.to_string()))
}

fn main() {
    let a = args();
    match a.command.as_str() {
        "keygen" => {
            let text = Signer::generate_text().unwrap_or_else(|e| fail(&e));
            let public = Signer::from_text(&text).unwrap_or_else(|e| fail(&e)).public_key();
            println!("CONSENTRY_LEDGER_KEY={text}\npublic key: {public}");
        }
        "verify-export" => verify_export(&a),
        "serve" => serve(&a),
        _ => tools(&a),
    }
}

/// Logs to standard error, one line per event with its fields, at the
/// level `CONSENTRY_LOG` names (`error`, `warn`, `info`: the default,
/// `debug`).
fn init_logs() {
    let level = match std::env::var("CONSENTRY_LOG").as_deref() {
        Ok("error") => tracing::Level::ERROR,
        Ok("warn") => tracing::Level::WARN,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("info") | Err(_) => tracing::Level::INFO,
        Ok(other) => fail(&format!(
            "CONSENTRY_LOG is {other:?}; expected error, warn, info or debug"
        )),
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on SIGTERM (a container's or systemd's stop) or Ctrl-C.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn serve(a: &Args) {
    init_logs();
    let config_path = a.config.clone().unwrap_or_else(|| "relay.json".into());
    let config = config(&config_path);
    let api_key = std::env::var(&config.api_key_env).unwrap_or_default();
    if api_key.is_empty() {
        fail(&format!(
            "set {} to the Braze REST API key (it is never written to a file or a log)",
            config.api_key_env
        ));
    }
    let listen = a.listen.clone().unwrap_or_else(|| "127.0.0.1:8090".into());
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(&e.to_string()));
    runtime.block_on(async {
        let relay = Relay::new(config, api_key)
            .await
            .unwrap_or_else(|e| fail(&e.to_string()));
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .unwrap_or_else(|e| fail(&format!("cannot listen on {listen}: {e}")));
        let bound = listener.local_addr().map_or(listen.clone(), |a| a.to_string());
        println!("Consentry relay on http://{bound}/");
        if let Err(e) = consentry_relay::routes::serve(Arc::new(relay), listener, shutdown_signal()).await {
            fail(&e.to_string());
        }
    });
}

/// `public-key`, `verify`, `export` and `prune`, on the configuration's
/// database or `--database`.
fn tools(a: &Args) {
    let (database, signing_key, retention) = match &a.database {
        Some(db) => {
            // The demo keeps its key beside its database (`*.relay.key`).
            let beside = std::path::Path::new(db).with_extension("key");
            let key = if std::env::var_os(relay::SIGNING_KEY_ENV).is_none() && beside.is_file() {
                relay::SigningKey::File(beside)
            } else {
                relay::SigningKey::Env(relay::SIGNING_KEY_ENV.into())
            };
            (db.clone(), key, relay::DEFAULT_RETENTION_DAYS)
        }
        None => {
            let c = config(a.config.as_deref().unwrap_or("relay.json"));
            (c.database, c.signing_key, c.retention_days)
        }
    };
    let public_key = || {
        a.public_key.clone().unwrap_or_else(|| match signing_key.load() {
            Ok(s) => s.public_key(),
            Err(e) => fail(&format!("{e}; or give --public-key")),
        })
    };
    if a.command == "public-key" {
        return println!("{}", public_key());
    }
    if !is_postgres(&database) && !std::path::Path::new(&database).is_file() {
        fail(&format!("no ledger database at {database}"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&e.to_string()));
    runtime.block_on(async {
        let ledger = Ledger::open(&database, None, Limits::default())
            .await
            .unwrap_or_else(|e| fail(&e));
        run_tool(a, &ledger, &public_key(), retention).await;
    });
}

async fn run_tool(a: &Args, ledger: &Ledger, public_key: &str, retention: u32) {
    match a.command.as_str() {
        "verify" => match ledger.verify(public_key).await {
            Ok(1) => println!("ledger intact: 1 entry"),
            Ok(n) => println!("ledger intact: {n} entries"),
            Err(e) => fail(&format!("ledger broken: {e}")),
        },
        "prune" => {
            let before = relay::retention_cutoff(a.retention_days.unwrap_or(retention));
            match ledger.prune(before).await {
                Ok(1) => println!("pruned 1 entry"),
                Ok(n) => println!("pruned {n} entries"),
                Err(e) => fail(&e),
            }
        }
        _ => export(a, ledger, public_key).await,
    }
}

async fn export(a: &Args, ledger: &Ledger, public_key: &str) {
    let (flag, value) =
        a.by.clone()
            .unwrap_or_else(|| fail("export needs --phone, --external-id or --consent-id"));
    let query = match flag.as_str() {
        "--phone" => {
            if let Err(e) = consentry_relay::braze::e164(&value) {
                fail(&format!("--phone {e}"));
            }
            By::Phone(&value)
        }
        "--external-id" => By::ExternalId(&value),
        _ => By::ConsentId(&value),
    };
    for e in ledger.query(query).await.unwrap_or_else(|e| fail(&e)) {
        println!("{}", e.to_json());
    }
    let head = ledger.head().await.unwrap_or_else(|e| fail(&e));
    println!(
        "{}",
        json!({ "head": head.map(|h| h.to_json()), "public_key": public_key })
    );
}

/// Checks an export with nothing but the public key: each entry's text
/// against its hash, each entry's signature, and the signed head.
fn verify_export(a: &Args) {
    let public_key = a
        .public_key
        .clone()
        .unwrap_or_else(|| fail("verify-export needs --public-key KEY (the key the site publishes)"));
    let text = match &a.file {
        Some(f) => std::fs::read_to_string(f).unwrap_or_else(|e| fail(&format!("{f}: {e}"))),
        None => std::io::read_to_string(std::io::stdin()).unwrap_or_else(|e| fail(&e.to_string())),
    };
    let (mut entries, mut head, mut last) = (0, None, 0);
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|_| fail(&format!("line {}: not JSON", i + 1)));
        if let Some(h) = v.get("head") {
            if v["public_key"] != public_key.as_str() {
                fail(&format!(
                    "the export names public key {}, not {public_key}",
                    v["public_key"]
                ));
            }
            let signed = match (
                h["seq"].as_i64(),
                h["hash"].as_str(),
                h["time"].as_i64(),
                h["signature"].as_str(),
            ) {
                (Some(seq), Some(hash), Some(time), Some(sig)) => {
                    consentry_relay::checkpoint::verify_head(&public_key, seq, hash, time, sig).then_some((seq, time))
                }
                _ => None,
            };
            head = Some(signed.unwrap_or_else(|| fail("the export's head is not signed by the public key")));
            continue;
        }
        let text = v["text"].as_str().unwrap_or_default().to_string();
        let entry = Entry {
            seq: v["seq"].as_i64().unwrap_or_default(),
            columns: Columns::of(&text),
            prev: v["prev"].as_str().unwrap_or_default().into(),
            hash: v["hash"].as_str().unwrap_or_default().into(),
            signature: v["signature"].as_str().map(str::to_string),
            entry: text,
        };
        if serde_json::from_str::<Value>(&entry.entry).ok().as_ref() != Some(&v["entry"]) {
            fail(&format!("entry {}: its entry is not its signed text", entry.seq));
        }
        check_entry(&entry, &public_key).unwrap_or_else(|e| fail(&e));
        last = last.max(entry.seq);
        entries += 1;
    }
    let Some((seq, time)) = head else {
        fail("the export has no signed head (its last line)")
    };
    if last > seq {
        fail(&format!("entry {last} is after the signed head (entry {seq})"));
    }
    println!(
        "export verified: {entries} {} signed by {public_key}; the ledger's signed head was entry {seq} at {time} ms",
        if entries == 1 { "entry" } else { "entries" }
    );
}
