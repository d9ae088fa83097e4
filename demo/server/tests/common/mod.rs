//! The test programs' shared helpers: a sandbox server (or the relay) on a
//! free port of 127.0.0.1 with a temporary database, and HTTP requests to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

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

pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("consentry-sandbox-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Sandbox {
    pub fn start(name: &str, config: Option<&str>) -> Sandbox {
        let dir = temp(name);
        let config_path = dir.join("sandbox.json");
        let text = config
            .map(str::to_string)
            .unwrap_or_else(|| include_str!("../../sandbox.json").to_string());
        std::fs::write(&config_path, text).unwrap();
        Sandbox::run(dir.join("sandbox.db"), config_path)
    }

    /// The demo configuration, with the sandbox-only clock on.
    pub fn with_clock(name: &str) -> Sandbox {
        let dir = temp(name);
        let config = dir.join("sandbox.json");
        std::fs::write(&config, include_str!("../../sandbox.json")).unwrap();
        Sandbox::spawn(dir.join("sandbox.db"), config, &["--test-clock"])
    }

    pub fn run(db: PathBuf, config: PathBuf) -> Sandbox {
        Sandbox::spawn(db, config, &[])
    }

    pub fn spawn(db: PathBuf, config: PathBuf, extra: &[&str]) -> Sandbox {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consentry-sandbox"));
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
        let path = dir.join("relay.json");
        std::fs::write(&path, config.to_string()).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_consentry-relay"));
        command
            .args(["--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .env("BRAZE_API_KEY", key);
        Sandbox::launch(command, dir.join("relay.db"), path)
    }

    /// Starts `command`, which prints `... http://127.0.0.1:PORT/` first.
    fn launch(mut command: Command, db: PathBuf, config: PathBuf) -> Sandbox {
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
        let response = self.raw(method, path, headers, body);
        let status = response[9..12].parse().unwrap();
        let body = response.split_once("\r\n\r\n").unwrap().1;
        (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
    }

    /// The whole HTTP response, head and body.
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(secret) = &self.secret {
            head.push_str(&format!("Authorization: Bearer {secret}\r\n"));
        }
        s.write_all(format!("{head}\r\n{body}").as_bytes()).unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        response
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

/// A number of the demo's groups' countries.
pub const PHONE: &str = "+14155552671";
