//! `npm run load`: the sandbox under load, from a second process on
//! 127.0.0.1. Starts the real server binary on a temporary SQLite file and
//! sends `POST /subscription/status/set` (double opt-in, one new number per
//! request, each with its own `Idempotency-Key`) from several keep-alive
//! connections for `--seconds` (default 60), reporting requests per second
//! and latency percentiles. Then the same again while the server is killed
//! with SIGKILL `--kill-at` seconds in (default 30) and restarted on the
//! same port and file; requests cut off are retried with their key. At the
//! end every number that got a 201 must be in the database with exactly one
//! consent-log entry. Then the same through the relay (`consentry-relay`)
//! in front of a sandbox, the relay killed and restarted mid-run: every
//! number the relay acknowledged (201, or 202 queued) must be in its ledger
//! once and reach the sandbox once. Last, the scale-out path: two relays
//! on one PostgreSQL database (`CONSENTRY_LOAD_POSTGRES`; `npm run load`
//! starts a throwaway cluster) in front of one sandbox, the load spread
//! over both and failing over to the other, one relay killed and
//! restarted mid-run: each acknowledged number in the shared ledger once,
//! the chain intact, and at the sandbox once.
//!
//! `sandbox-load [--seconds N] [--kill-at N] [--connections N] [--only steady|kill|relay|scaleout]`
//!
//! A full run (all four phases) writes its figures to `bench/load.json`,
//! from which `node bench/load.mjs` writes the table of `docs/performance.md`.

use consentry_relay::ledger::{By, Ledger};
use consentry_testkit::client::Conn;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The demo's configuration with quota and limits high enough for one
/// client on loopback to send everything.
fn load_config(base: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(base).expect("sandbox.json");
    v["quota_tickets"] = 100_000.into();
    v["limits"] = serde_json::json!({
        "per_ip": {"requests": 100_000_000, "window_seconds": 60},
        "per_phone": {"requests": 100, "window_seconds": 60},
        "per_prefix": {"requests": 100_000_000, "window_seconds": 60}
    });
    v.to_string()
}

/// Attempts per request before the run gives up on it (bounded retries).
const MAX_ATTEMPTS: u32 = 200;

struct Server {
    child: Child,
    port: u16,
}

fn start(bin: &Path, port: u16, db: &Path, config: &Path) -> Server {
    let mut command = Command::new(bin);
    command
        .args(["--port", &port.to_string(), "--db"])
        .arg(db)
        .arg("--config")
        .arg(config);
    launch(command)
}

/// The ledger's signing key in the load runs (a test key, nothing secret).
const LEDGER_KEY: &str = "bG9hZC10ZXN0LWxlZGdlci1rZXktMzItYnl0ZXMhISE";

/// The relay on `port` (0: any) with the configuration file `config`.
fn start_relay(bin: &Path, port: u16, config: &Path) -> Server {
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
fn kill_later(
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
fn launch(mut command: Command) -> Server {
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

/// A valid US number per request index: +1 415 NXX XXXX, where the
/// exchange NXX is 200 to 999 but not N11 (792 of them).
fn phone(i: u64) -> String {
    let k = (i / 10_000) % 792;
    let exchange = (200..1000u64).filter(|e| e % 100 != 11).nth(k as usize).unwrap_or(200);
    format!("+1415{exchange}{:04}", i % 10_000)
}

fn body(phone: &str) -> String {
    format!(
        r#"{{"subscription_group_id":"acme-sms","subscription_state":"subscribed","phone":["{phone}"],"use_double_opt_in_logic":true,"consent":{{"disclosure":"Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.","locale":"en-US"}}}}"#
    )
}

struct Phase {
    ok: Vec<u64>,
    latencies_us: Vec<u64>,
    per_second: Vec<u64>,
    retries: u64,
    failed: u64,
}

/// Sends for `seconds` from `connections` threads. Thread k starts on
/// `ports[k % n]` and, when a request fails there (refused, cut off, 5xx),
/// tries the next port with the same key, as a load balancer would.
fn run(ports: &[Arc<AtomicU64>], seconds: u64, connections: usize, first: u64, label: &str) -> Phase {
    let next = Arc::new(AtomicU64::new(first));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let per_second = Arc::new(Mutex::new(vec![0u64; seconds as usize + 1]));
    let handles: Vec<_> = (0..connections)
        .map(|k| {
            let (next, stop, per_second) = (next.clone(), stop.clone(), per_second.clone());
            let ports = ports.to_vec();
            let mut which = k % ports.len();
            let label = label.to_string();
            std::thread::spawn(move || {
                let (mut ok, mut lat, mut retries, mut failed) = (Vec::new(), Vec::new(), 0u64, 0u64);
                let mut conn: Option<Conn> = None;
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let (p, key) = (phone(i), format!("{label}-{i}"));
                    let b = body(&p);
                    let t0 = Instant::now();
                    let mut done = false;
                    for attempt in 0..MAX_ATTEMPTS {
                        if attempt > 0 {
                            retries += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        if conn.is_none() {
                            conn = Conn::open(ports[which].load(Ordering::Relaxed) as u16).ok();
                        }
                        let Some(c) = conn.as_mut() else {
                            which = (which + 1) % ports.len();
                            continue;
                        };
                        let headers = [("Content-Type", "application/json"), ("Idempotency-Key", key.as_str())];
                        let answer = c
                            .send("POST", "/subscription/status/set", &headers, b.as_bytes())
                            .map(|a| (a.status, a.keep));
                        if !matches!(answer, Ok((_, true))) {
                            conn = None;
                        }
                        if matches!(answer, Ok((429 | 500.., _)) | Err(_)) {
                            which = (which + 1) % ports.len();
                        }
                        match answer {
                            // 202: the relay queued it for delivery.
                            Ok((201 | 202, _)) => {
                                done = true;
                                break;
                            }
                            // Busy or down: try again with the same key.
                            Ok((429, _)) | Ok((500.., _)) | Err(_) => {}
                            // Refused: a fault of this client, not retried.
                            Ok(_) => break,
                        }
                    }
                    if done {
                        lat.push(t0.elapsed().as_micros() as u64);
                        ok.push(i);
                        let s = started.elapsed().as_secs() as usize;
                        if let Ok(mut v) = per_second.lock() {
                            if let Some(n) = v.get_mut(s) {
                                *n += 1;
                            }
                        }
                    } else {
                        failed += 1;
                    }
                }
                (ok, lat, retries, failed)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut phase = Phase {
        ok: Vec::new(),
        latencies_us: Vec::new(),
        per_second: Vec::new(),
        retries: 0,
        failed: 0,
    };
    for h in handles {
        let (ok, lat, retries, failed) = h.join().expect("a load thread");
        phase.ok.extend(ok);
        phase.latencies_us.extend(lat);
        phase.retries += retries;
        phase.failed += failed;
    }
    phase.per_second = per_second
        .lock()
        .map(|v| v[..seconds as usize].to_vec())
        .unwrap_or_default();
    phase
}

/// Prints phase `name`'s figures and returns them for `bench/load.json`.
fn report(name: &str, p: &mut Phase, seconds: u64) -> serde_json::Value {
    p.latencies_us.sort_unstable();
    let pct = |q: f64| {
        let i = ((p.latencies_us.len() as f64 - 1.0) * q).round() as usize;
        p.latencies_us.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    let min = p.per_second.iter().copied().min().unwrap_or(0);
    println!(
        "{name}: {} requests answered 201 in {seconds} s = {:.0}/s (slowest second {min}/s); latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} retries, {} given up",
        p.ok.len(),
        p.ok.len() as f64 / seconds as f64,
        pct(0.5),
        pct(0.99),
        pct(1.0),
        p.retries,
        p.failed
    );
    let ms = |q: f64| (pct(q) * 10.0).round() / 10.0;
    serde_json::json!({
        "phase": name,
        "seconds": seconds,
        "acknowledged": p.ok.len(),
        "per_second": (p.ok.len() as f64 / seconds as f64).round(),
        "slowest_second": min,
        "p50_ms": ms(0.5),
        "p99_ms": ms(0.99),
        "max_ms": ms(1.0),
        "retries": p.retries,
        "given_up": p.failed,
    })
}

/// Waits until the relay's store holds no undelivered request.
fn wait_until_delivered(db: &Path, limit: Duration) -> Result<(), String> {
    let started = Instant::now();
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    loop {
        let left: i64 = conn
            .query_row("SELECT COUNT(*) FROM requests WHERE delivered IS NULL", [], |r| {
                r.get(0)
            })
            .map_err(|e| e.to_string())?;
        if left == 0 {
            println!(
                "relay: every acknowledged request delivered {:.1} s after the run",
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if started.elapsed() > limit {
            return Err(format!("{left} requests still undelivered after {} s", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `phone, COUNT(*)` rows of `sql` over the SQLite file `db`.
fn counts(db: &Path, sql: &str) -> Result<HashMap<String, i64>, String> {
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
}

/// Lost and twice: acknowledged numbers missing from the relay's ledger,
/// and in it more than once. `Err` when the chain does not hold.
fn verify_ledger(db: &Path, ok: &[u64]) -> Result<(usize, usize), String> {
    let counts = counts(db, "SELECT phone, COUNT(*) FROM ledger GROUP BY phone")?;
    let n = |p: &String| counts.get(p).copied().unwrap_or(0);
    let phones: Vec<String> = ok.iter().map(|i| phone(*i)).collect();
    let lost = phones.iter().filter(|p| n(p) == 0).count();
    let twice = phones.iter().filter(|p| n(p) > 1).count();
    let public_key = consentry_relay::checkpoint::Signer::from_text(LEDGER_KEY)?.public_key();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let intact = runtime.block_on(async {
        let limits = consentry_relay::limits::Limits::default();
        let ledger = consentry_relay::ledger::Ledger::open(&db.to_string_lossy(), None, limits).await?;
        ledger.verify(&public_key).await
    })?;
    println!("checked {} acknowledged numbers in the relay's ledger ({intact} entries, chain intact): {lost} missing, {twice} more than once", ok.len());
    Ok((lost, twice))
}

/// The relays' delivery timeout in the scale-out run, ms.
const SCALEOUT_DELIVER_MS: u64 = 600;

/// Lost and twice in the relays' shared PostgreSQL ledger, once the
/// relays' workers have delivered everything acknowledged (waiting up to
/// two minutes). `Err` when the chain does not hold or something stays
/// undelivered.
fn verify_shared_ledger(database: &str, ok: &[u64]) -> Result<(usize, usize), String> {
    let public_key = consentry_relay::checkpoint::Signer::from_text(LEDGER_KEY)?.public_key();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let ledger = Arc::new(Ledger::open(database, None, consentry_relay::limits::Limits::default()).await?);
        let started = Instant::now();
        loop {
            let left = ledger.pending().await?;
            if left == 0 {
                println!("scaleout: every acknowledged request delivered {:.1} s after the run", started.elapsed().as_secs_f64());
                break;
            }
            if started.elapsed() > Duration::from_secs(120) {
                return Err(format!("{left} requests still undelivered after 120 s"));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let intact = ledger.verify(&public_key).await?;
        // Each acknowledged number's entries, 32 queries at a time.
        let (mut lost, mut twice) = (0, 0);
        for batch in ok.chunks(32) {
            let mut set = tokio::task::JoinSet::new();
            for i in batch {
                let ledger = Arc::clone(&ledger);
                let p = phone(*i);
                set.spawn(async move { ledger.query(By::Phone(&p)).await.map(|e| e.len()) });
            }
            while let Some(n) = set.join_next().await {
                match n.map_err(|e| e.to_string())?? {
                    0 => lost += 1,
                    1 => {}
                    _ => twice += 1,
                }
            }
        }
        println!("checked {} acknowledged numbers in the shared ledger ({intact} entries, chain intact): {lost} missing, {twice} more than once", ok.len());
        Ok((lost, twice))
    })
}

/// Lost and twice: numbers that got a 201 and are not in the database with
/// a consent-log entry, and those logged more than once.
fn verify(db: &Path, ok: &[u64]) -> Result<(usize, usize), String> {
    let numbers = counts(
        db,
        "SELECT phone, COUNT(*) FROM numbers WHERE group_id = 'acme-sms' GROUP BY phone",
    )?;
    let log = counts(
        db,
        "SELECT phone, COUNT(*) FROM consent_log WHERE group_id = 'acme-sms' GROUP BY phone",
    )?;
    let (mut lost, mut twice) = (0, 0);
    for i in ok {
        let p = phone(*i);
        match (numbers.get(&p), log.get(&p)) {
            (Some(1), Some(1)) => {}
            (Some(1), Some(_)) => twice += 1,
            _ => lost += 1,
        }
    }
    println!(
        "checked {} acknowledged numbers in {}: {lost} missing, {twice} logged twice",
        ok.len(),
        db.display(),
    );
    Ok((lost, twice))
}

/// Adds the check's `lost` and `twice` to a phase's figures; a failure when
/// the check failed or found any.
fn checked(figures: &mut serde_json::Value, checks: &[Result<(usize, usize), String>], failures: &mut Vec<String>) {
    let (mut lost, mut twice) = (0, 0);
    for c in checks {
        match c {
            Ok((l, t)) => {
                lost += l;
                twice += t;
            }
            Err(e) => failures.push(format!("{}: {e}", figures["phase"])),
        }
    }
    if lost + twice > 0 {
        failures.push(format!("{}: {lost} lost, {twice} twice", figures["phase"]));
    }
    figures["lost"] = lost.into();
    figures["twice"] = twice.into();
}

/// The CPU's model name, from /proc/cpuinfo.
fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut seconds, mut kill_at, mut connections) = (60u64, 30u64, 8usize);
    let mut only: Option<String> = None;
    while let Some(a) = args.next() {
        if a == "--only" {
            only = args
                .next()
                .filter(|p| ["steady", "kill", "relay", "scaleout"].contains(&p.as_str()));
            if only.is_none() {
                eprintln!("sandbox-load: --only needs steady, kill, relay or scaleout");
                std::process::exit(2)
            }
            continue;
        }
        let v: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            eprintln!(
                "sandbox-load: {a} needs a number; usage: sandbox-load [--seconds N] [--kill-at N] [--connections N] [--only steady|kill|relay|scaleout]"
            );
            std::process::exit(2)
        });
        match a.as_str() {
            "--seconds" => seconds = v.max(1),
            "--kill-at" => kill_at = v,
            "--connections" => connections = v.clamp(1, 256) as usize,
            other => {
                eprintln!("sandbox-load: unknown argument {other}");
                std::process::exit(2)
            }
        }
    }
    let kill_at = kill_at.min(seconds.saturating_sub(1));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = std::env::current_exe()
        .expect("own path")
        .with_file_name("consentry-sandbox");
    let dir = std::env::temp_dir().join(format!("consentry-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let base = std::fs::read_to_string(root.join("server/sandbox/sandbox.json")).expect("sandbox.json");
    let config = dir.join("load.json");
    std::fs::write(&config, load_config(&base)).expect("write the config");
    let mut failures = Vec::new();

    let mut phases = Vec::new();
    let wanted = |p: &str| only.as_deref().is_none_or(|o| o == p);
    let port = Arc::new(AtomicU64::new(0));

    // 1. Steady load.
    if wanted("steady") {
        let db = dir.join("steady.db");
        let mut server = start(&bin, 0, &db, &config);
        port.store(u64::from(server.port), Ordering::Relaxed);
        println!(
            "steady: {connections} connections for {seconds} s against 127.0.0.1:{}",
            server.port
        );
        let mut steady = run(std::slice::from_ref(&port), seconds, connections, 0, "steady");
        let _ = server.child.kill();
        let _ = server.child.wait();
        let mut figures = report("steady", &mut steady, seconds);
        checked(&mut figures, &[verify(&db, &steady.ok)], &mut failures);
        phases.push(figures);
    }

    // 2. The same, with SIGKILL and a restart mid-run.
    if wanted("kill") {
        let db = dir.join("kill.db");
        let server = Arc::new(Mutex::new(start(&bin, 0, &db, &config)));
        let fixed = server.lock().map(|s| s.port).unwrap_or(0);
        port.store(u64::from(fixed), Ordering::Relaxed);
        println!(
            "kill: {connections} connections for {seconds} s; SIGKILL at {kill_at} s, then a restart on port {fixed}"
        );
        let killer = {
            let (bin, db, config) = (bin.clone(), db.clone(), config.clone());
            kill_later(&server, kill_at, "kill", move || start(&bin, fixed, &db, &config))
        };
        let mut killed = run(std::slice::from_ref(&port), seconds, connections, 10_000_000, "kill");
        let _ = killer.join();
        if let Ok(mut s) = server.lock() {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
        let mut figures = report("kill", &mut killed, seconds);
        checked(&mut figures, &[verify(&db, &killed.ok)], &mut failures);
        phases.push(figures);
    }
    // 3. Through the relay in front of a sandbox, the relay killed and
    //    restarted mid-run.
    if wanted("relay") {
        let relay_bin = bin.with_file_name("consentry-relay");
        let upstream_db = dir.join("upstream.db");
        let mut upstream = start(&bin, 0, &upstream_db, &config);
        let relay_db = dir.join("relay.db");
        let relay_config = dir.join("relay.json");
        let many = serde_json::json!({"requests": 100_000_000, "window_seconds": 60});
        let relay_json = serde_json::json!({
            "upstream": format!("http://127.0.0.1:{}", upstream.port),
            "groups": [{"id": "acme-sms"}],
            "limits": {"per_ip": many, "per_phone": {"requests": 100, "window_seconds": 60}, "per_prefix": many},
            "database": relay_db,
        });
        std::fs::write(&relay_config, relay_json.to_string()).expect("write the relay's config");
        let relay = Arc::new(Mutex::new(start_relay(&relay_bin, 0, &relay_config)));
        let fixed = relay.lock().map(|s| s.port).unwrap_or(0);
        port.store(u64::from(fixed), Ordering::Relaxed);
        println!("relay: {connections} connections for {seconds} s through the relay on port {fixed}; SIGKILL of the relay at {kill_at} s, then a restart");
        let killer = {
            let (relay_bin, relay_config) = (relay_bin.clone(), relay_config.clone());
            kill_later(&relay, kill_at, "relay", move || {
                start_relay(&relay_bin, fixed, &relay_config)
            })
        };
        let mut relayed = run(std::slice::from_ref(&port), seconds, connections, 20_000_000, "relay");
        let _ = killer.join();
        let mut figures = report("relay", &mut relayed, seconds);
        // What the relay acknowledged but had not delivered reaches the
        // sandbox through its worker.
        let drained = wait_until_delivered(&relay_db, Duration::from_secs(120));
        if let Ok(mut s) = relay.lock() {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
        let _ = upstream.child.kill();
        let _ = upstream.child.wait();
        let checks = [
            drained.and_then(|()| verify_ledger(&relay_db, &relayed.ok)),
            verify(&upstream_db, &relayed.ok).map_err(|e| format!("at the upstream: {e}")),
        ];
        checked(&mut figures, &checks, &mut failures);
        phases.push(figures);
    }
    // 4. The scale-out path: two relays on one PostgreSQL database in front
    //    of one sandbox, the load spread over both; relay B is killed with
    //    SIGKILL mid-run and restarted, its clients going on at relay A.
    if wanted("scaleout") {
        match std::env::var("CONSENTRY_LOAD_POSTGRES") {
            Err(_) => {
                failures.push("scaleout: CONSENTRY_LOAD_POSTGRES is not set (npm run load starts a cluster)".into())
            }
            Ok(database) => {
                let relay_bin = bin.with_file_name("consentry-relay");
                let upstream_db = dir.join("scaleout-upstream.db");
                let mut upstream = start(&bin, 0, &upstream_db, &config);
                let relay_config = dir.join("scaleout.json");
                let many = serde_json::json!({"requests": 100_000_000, "window_seconds": 60});
                let relay_json = serde_json::json!({
                    "upstream": format!("http://127.0.0.1:{}", upstream.port),
                    "groups": [{"id": "acme-sms"}],
                    "limits": {"per_ip": many, "per_phone": {"requests": 100, "window_seconds": 60}, "per_prefix": many},
                    "database": database,
                    // A request the killed relay stored but did not deliver
                    // is answered 202 by the other after this, and delivered
                    // by a worker.
                    "deliver_timeout_ms": SCALEOUT_DELIVER_MS,
                });
                std::fs::write(&relay_config, relay_json.to_string()).expect("write the relays' config");
                let a = start_relay(&relay_bin, 0, &relay_config);
                let b = Arc::new(Mutex::new(start_relay(&relay_bin, 0, &relay_config)));
                let b_port = b.lock().map(|s| s.port).unwrap_or(0);
                let ports = [
                    Arc::new(AtomicU64::new(u64::from(a.port))),
                    Arc::new(AtomicU64::new(u64::from(b_port))),
                ];
                println!(
                    "scaleout: {connections} connections for {seconds} s over relays on ports {} and {b_port} sharing one PostgreSQL database; SIGKILL of the second at {kill_at} s, then a restart",
                    a.port
                );
                let killer = {
                    let (relay_bin, relay_config) = (relay_bin.clone(), relay_config.clone());
                    kill_later(&b, kill_at, "scaleout", move || {
                        start_relay(&relay_bin, b_port, &relay_config)
                    })
                };
                let mut spread = run(&ports, seconds, connections, 30_000_000, "scaleout");
                let _ = killer.join();
                let mut figures = report("scaleout", &mut spread, seconds);
                let checks = [
                    verify_shared_ledger(&database, &spread.ok),
                    verify(&upstream_db, &spread.ok).map_err(|e| format!("at the upstream: {e}")),
                ];
                let mut a = a;
                let _ = a.child.kill();
                let _ = a.child.wait();
                if let Ok(mut s) = b.lock() {
                    let _ = s.child.kill();
                    let _ = s.child.wait();
                }
                let _ = upstream.child.kill();
                let _ = upstream.child.wait();
                checked(&mut figures, &checks, &mut failures);
                phases.push(figures);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if only.is_none() {
        let out = root.canonicalize().unwrap_or(root.clone()).join("bench/load.json");
        let results = serde_json::json!({
            "machine": { "cpu": cpu(), "cores": std::thread::available_parallelism().map_or(0, |n| n.get()) },
            "options": { "seconds": seconds, "kill_at": kill_at, "connections": connections },
            "phases": phases,
        });
        match serde_json::to_string_pretty(&results).map(|t| std::fs::write(&out, t + "\n")) {
            Ok(Ok(())) => println!(
                "wrote {}; node bench/load.mjs writes the README's table from it",
                out.display()
            ),
            _ => failures.push(format!("could not write {}", out.display())),
        }
    }
    if !failures.is_empty() {
        eprintln!("sandbox-load: FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
    println!("sandbox-load: every acknowledged request is in the database and the consent log, none twice; through the relay, each in its ledger once and at the upstream once");
}
