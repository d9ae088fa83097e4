//! The programs under load: the sandbox and the relay, started, killed
//! and restarted.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The demo's configuration with quota and limits high enough for one
/// client on loopback to send everything.
pub fn load_config(base: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(base).expect("sandbox.json");
    v["quota_tickets"] = 100_000.into();
    v["limits"] = serde_json::json!({
        "per_ip": {"requests": 100_000_000, "window_seconds": 60},
        "per_phone": {"requests": 100, "window_seconds": 60},
        "per_prefix": {"requests": 100_000_000, "window_seconds": 60}
    });
    v.to_string()
}

pub struct Server {
    pub child: Child,
    pub port: u16,
}

pub fn start(bin: &Path, port: u16, db: &Path, config: &Path) -> Server {
    let mut command = Command::new(bin);
    command
        .args(["--port", &port.to_string(), "--db"])
        .arg(db)
        .arg("--config")
        .arg(config);
    launch(command)
}

/// The ledger's signing key in the load runs (a test key, nothing secret).
pub const LEDGER_KEY: &str = "bG9hZC10ZXN0LWxlZGdlci1rZXktMzItYnl0ZXMhISE";

/// The relay on `port` (0: any) with the configuration file `config`.
pub fn start_relay(bin: &Path, port: u16, config: &Path) -> Server {
    let mut command = Command::new(bin);
    command
        .args(["--listen", &format!("127.0.0.1:{port}"), "--config"])
        .arg(config)
        .env("BRAZE_API_KEY", "load-test-key")
        .env("CONSENTRY_LEDGER_KEY", LEDGER_KEY)
        // Warnings only: one log line per request would measure the terminal.
        .env("CONSENTRY_LOG", "warn");
    launch(command)
}

/// After `seconds`, kills `server` with SIGKILL and puts `restart()` in its
/// place (phase `name` says so).
pub fn kill_later(
    server: &Arc<Mutex<Server>>,
    seconds: u64,
    name: &'static str,
    restart: impl FnOnce() -> Server + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let server = Arc::clone(server);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(seconds));
        if let Ok(mut s) = server.lock() {
            let _ = s.child.kill();
            let _ = s.child.wait();
            println!("{name}: SIGKILL sent at {seconds} s; restarting");
            *s = restart();
        }
    })
}

/// Starts a program that prints `... http://127.0.0.1:PORT/` first.
pub fn launch(mut command: Command) -> Server {
    let mut child = command.stdout(Stdio::piped()).spawn().expect("start the server");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server's first line");
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("the server's port");
    Server { child, port }
}
