//! The server tests' shared kit: the sandbox (the Braze stand-in) or the
//! relay as a process on a free port of 127.0.0.1 with a temporary
//! database, HTTP requests to it, and a scripted upstream. The relay's tests
//! start the sandbox's binary from the build directory, so the relay crate
//! itself depends on nothing of the sandbox.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod client;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const TEMP_PREFIX: &str = "consentry-sandbox-test-";

/// Removes the folders of test processes that have ended.
fn sweep() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A sandbox server (or, through `spawn_bin`, another of the crate's
/// programs) on a free port, killed when dropped.
pub struct Sandbox {
    pub child: Child,
    pub port: u16,
    pub db: PathBuf,
    pub config: PathBuf,
    /// Sent as `Authorization: Bearer` with every request, when set.
    pub secret: Option<String>,
}

/// The demo's sandbox configuration (`server/sandbox/sandbox.json`).
pub const SANDBOX_CONFIG: &str = include_str!("../../sandbox/sandbox.json");

/// One of the workspace's programs, from the build directory the running
/// test (or `sandbox-load`) was built into: `cargo test --workspace` builds
/// every package's programs before it runs a test.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let mut dir = exe.parent().unwrap();
    if dir.ends_with("deps") {
        dir = dir.parent().unwrap();
    }
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built; run `cargo build -p {}` with this test's profile first",
        path.display(),
        if name == "consentry-relay" {
            "consentry-relay"
        } else {
            "consentry-sandbox"
        }
    );
    path
}

/// Where a test's files go: `consentry-sandbox-test-<pid>-<name>` in the
/// temporary folder, made empty. The first call of a process removes what
/// earlier test processes left there (a test cannot clean up after a
/// failed assertion), so runs do not pile up on disk.
pub fn temp(name: &str) -> PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(sweep);
    let dir = std::env::temp_dir().join(format!("{TEMP_PREFIX}{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Sandbox {
    pub fn start(name: &str, config: Option<&str>) -> Sandbox {
        let dir = temp(name);
        let config_path = dir.join("sandbox.json");
        let text = config.map(str::to_string).unwrap_or_else(|| SANDBOX_CONFIG.to_string());
        std::fs::write(&config_path, text).unwrap();
        Sandbox::run(dir.join("sandbox.db"), config_path)
    }

    /// The demo configuration, with the sandbox-only clock on.
    pub fn with_clock(name: &str) -> Sandbox {
        let dir = temp(name);
        let config = dir.join("sandbox.json");
        std::fs::write(&config, SANDBOX_CONFIG).unwrap();
        Sandbox::spawn(dir.join("sandbox.db"), config, &["--test-clock"])
    }

    pub fn run(db: PathBuf, config: PathBuf) -> Sandbox {
        Sandbox::spawn(db, config, &[])
    }

    pub fn spawn(db: PathBuf, config: PathBuf, extra: &[&str]) -> Sandbox {
        let mut command = Command::new(bin("consentry-sandbox"));
        command
            .args(["--port", "0", "--db"])
            .arg(&db)
            .arg("--config")
            .arg(&config)
            .args(extra);
        Sandbox::launch(command, db, config)
    }

    /// The relay with the configuration `config` (its database in `dir`)
    /// and `BRAZE_API_KEY` set to `key`.
    pub fn relay(dir: &std::path::Path, config: &serde_json::Value, key: &str) -> Sandbox {
        Sandbox::launch(
            Sandbox::relay_command(dir, config, key),
            dir.join("relay.db"),
            dir.join("relay.json"),
        )
    }

    /// The command that starts that relay (for a test to add to it).
    pub fn relay_command(dir: &std::path::Path, config: &serde_json::Value, key: &str) -> Command {
        let path = dir.join("relay.json");
        std::fs::write(&path, config.to_string()).unwrap();
        let mut command = Command::new(bin("consentry-relay"));
        command
            .args(["--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .env("BRAZE_API_KEY", key)
            .env("CONSENTRY_LEDGER_KEY", LEDGER_KEY)
            .env("CONSENTRY_USER_TOKEN_SECRET", USER_TOKEN_SECRET)
            // One line per request would bury the test output; a test that
            // reads the log sets it to info.
            .env("CONSENTRY_LOG", "warn");
        command
    }

    /// Starts `command`, which prints `... http://127.0.0.1:PORT/` first.
    pub fn launch(mut command: Command, db: PathBuf, config: PathBuf) -> Sandbox {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split("127.0.0.1:")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        Sandbox {
            child,
            port,
            db,
            config,
            secret: None,
        }
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, serde_json::Value) {
        let answer = self.send(method, path, headers, body);
        (
            answer.status,
            serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// The whole HTTP response, head and body.
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
        self.send(method, path, headers, body).text()
    }

    /// One request on a connection of its own.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> client::Answer {
        let mut all: Vec<(&str, &str)> = vec![("Connection", "close")];
        all.extend_from_slice(headers);
        // JSON, as every client of the API sends it (the sandbox refuses
        // other types on what changes state), unless the test names one.
        if !body.is_empty() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            let csv = path.starts_with("/sandbox/import");
            all.push(("Content-Type", if csv { "text/csv" } else { "application/json" }));
        }
        let bearer = self.secret.as_ref().map(|s| format!("Bearer {s}"));
        if let Some(b) = &bearer {
            all.push(("Authorization", b));
        }
        client::Conn::open(self.port)
            .and_then(|mut c| c.send(method, path, &all, body.as_bytes()))
            .unwrap()
    }

    pub fn post(&self, path: &str, body: &str) -> (u16, serde_json::Value) {
        self.request("POST", path, &[], body)
    }

    pub fn get(&self, path: &str) -> serde_json::Value {
        let (status, v) = self.request("GET", path, &[], "");
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    pub fn outbox(&self, phone: &str) -> Vec<String> {
        let v = self.get(&format!("/sandbox/outbox?phone={}", phone.replace('+', "%2B")));
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn state(&self, phone: &str) -> (String, bool) {
        let v = self.get(&format!(
            "/subscription/status/get?phone={}&subscription_group_id=acme-sms",
            phone.replace('+', "%2B")
        ));
        let g = &v["subscription_groups"][0];
        (
            g["subscription_state"].as_str().unwrap().to_string(),
            g["pending_double_opt_in"].as_bool().unwrap(),
        )
    }

    pub fn reply(&self, phone: &str, text: &str) -> Vec<String> {
        let body = serde_json::json!({ "phone": phone, "subscription_group_id": "acme-sms", "body": text }).to_string();
        let (status, v) = self.post("/sandbox/inbound", &body);
        assert_eq!(status, 200, "{v}");
        v["replies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn subscribe(phone: &str, double_opt_in: bool) -> String {
    serde_json::json!({
        "subscription_group_id": "acme-sms",
        "subscription_state": "subscribed",
        "phone": [phone],
        "use_double_opt_in_logic": double_opt_in,
        "consent": { "disclosure": "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.", "locale": "en-US" }
    })
    .to_string()
}

/// The relays' ledger signing key in the tests.
pub const LEDGER_KEY: &str = "dGhlLXJlbGF5LXRlc3RzLWxlZGdlci1rZXktMzJieXQ";

/// The secret the tests' "site backend" signs external ids with.
pub const USER_TOKEN_SECRET: &str = "the-site-backend-shares-this-with-the-relay";

/// A number of the demo's groups' countries.
pub const PHONE: &str = "+14155552671";

/// One request the fake Braze received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the fake Braze answers: status, extra headers, body, delay in ms.
pub type Script = (u16, Vec<(String, String)>, String, u64);

/// A recording stand-in for Braze's REST API on a free port: it keeps
/// every request it receives and answers what the test scripts.
pub struct FakeBraze {
    pub port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    script: std::sync::Arc<std::sync::Mutex<Script>>,
}

impl FakeBraze {
    pub fn start() -> FakeBraze {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let script: std::sync::Arc<std::sync::Mutex<Script>> = std::sync::Arc::new(std::sync::Mutex::new((
            201,
            Vec::new(),
            r#"{"message":"success"}"#.into(),
            0,
        )));
        let (s, sc) = (seen.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, sc) = (s.clone(), sc.clone());
                std::thread::spawn(move || serve_fake(stream, &s, &sc));
            }
        });
        FakeBraze { port, seen, script }
    }

    /// Answers `status` with `headers` and `body` after `delay_ms` from now on.
    pub fn answer(&self, status: u16, headers: &[(&str, &str)], body: &str, delay_ms: u64) {
        *self.script.lock().unwrap() = (
            status,
            headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body.to_string(),
            delay_ms,
        );
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve_fake(stream: TcpStream, seen: &std::sync::Mutex<Vec<Seen>>, script: &std::sync::Mutex<Script>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen.lock().unwrap().push(Seen {
            path,
            headers,
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        });
        let (status, extra, text, delay) = script.lock().unwrap().clone();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            text.len()
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if out.write_all(format!("{head}\r\n{text}").as_bytes()).is_err() {
            return;
        }
    }
}
