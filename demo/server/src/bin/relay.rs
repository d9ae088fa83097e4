//! `consentry-relay`: the relay in front of Braze, and its ledger's tools.
//!
//! ```text
//! consentry-relay [--config relay.json] [--listen 127.0.0.1:8090]   serve
//! consentry-relay verify [--config relay.json | --database FILE]     check the ledger's chain
//! consentry-relay export [--config relay.json | --database FILE] --phone P | --external-id X | --consent-id C
//!                                                                    the entries, as JSON lines
//! consentry-relay prune [--config relay.json]                        drop entries past retention_days
//! ```
//!
//! The API key is read from the environment variable the configuration
//! names (`BRAZE_API_KEY` by default); it is never printed.

use consentry_sandbox::ledger::{By, Ledger};
use consentry_sandbox::relay::{self, Config, Relay};
use std::sync::Arc;

fn fail(message: &str) -> ! {
    eprintln!("consentry-relay: {message}");
    std::process::exit(2);
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let command = match args.peek().map(String::as_str) {
        Some("verify" | "export" | "prune") => args.next().unwrap_or_default(),
        _ => "serve".to_string(),
    };
    let (mut config_path, mut listen, mut by) = ("relay.json".to_string(), "127.0.0.1:8090".to_string(), None);
    let mut database = None;
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| fail(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--config" => config_path = value,
            "--listen" => listen = value,
            "--database" => database = Some(value),
            "--phone" | "--external-id" | "--consent-id" => by = Some((arg, value)),
            other => fail(&format!(
                "unknown argument {other:?}; expected --config FILE, --listen ADDRESS, --database FILE, or for export --phone, --external-id or --consent-id"
            )),
        }
    }
    // The ledger's tools on a database file alone (e.g. the demo's).
    if let (Some(path), "verify" | "export") = (&database, command.as_str()) {
        let ledger = Ledger::open(path).unwrap_or_else(|e| fail(&e));
        return tools(&command, &ledger, by);
    }
    let text = std::fs::read_to_string(&config_path).unwrap_or_else(|e| fail(&format!("{config_path}: {e}")));
    let config = Config::parse(&text).unwrap_or_else(|e| fail(&e));
    let api_key = std::env::var(&config.api_key_env).unwrap_or_default();
    if command == "serve" && api_key.is_empty() {
        fail(&format!(
            "set {} to the Braze REST API key (it is never written to a file or a log)",
            config.api_key_env
        ));
    }
    let relay = Relay::new(config, api_key).unwrap_or_else(|e| fail(&e));
    match command.as_str() {
        "verify" | "export" => tools(&command, relay.ledger(), by),
        "prune" => {
            let days = relay::retention_ms(&relay);
            match relay.ledger().prune(days) {
                Ok(n) => println!("pruned {n} entries"),
                Err(e) => fail(&e),
            }
        }
        _ => {
            let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(&e.to_string()));
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .unwrap_or_else(|e| fail(&format!("cannot listen on {listen}: {e}")));
                let bound = listener.local_addr().map_or(listen.clone(), |a| a.to_string());
                println!("Consentry relay on http://{bound}/");
                if let Err(e) = relay::serve(Arc::new(relay), listener).await {
                    fail(&e.to_string());
                }
            });
        }
    }
}

/// `verify` and `export` over `ledger`.
fn tools(command: &str, ledger: &Ledger, by: Option<(String, String)>) {
    if command == "verify" {
        match ledger.verify() {
            Ok(n) => println!("ledger intact: {n} entries"),
            Err(e) => fail(&format!("ledger broken: {e}")),
        }
        return;
    }
    let (flag, value) = by.unwrap_or_else(|| fail("export needs --phone, --external-id or --consent-id"));
    let query = match flag.as_str() {
        "--phone" => By::Phone(&value),
        "--external-id" => By::ExternalId(&value),
        _ => By::ConsentId(&value),
    };
    for e in ledger.query(query).unwrap_or_else(|e| fail(&e)) {
        let entry = serde_json::from_str::<serde_json::Value>(&e.entry).unwrap_or_default();
        println!(
            "{}",
            serde_json::json!({ "seq": e.seq, "entry": entry, "hash": e.hash })
        );
    }
}
