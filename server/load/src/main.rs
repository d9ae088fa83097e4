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
//! `sandbox-load [--seconds N] [--kill-at N] [--connections N] [--scaleout-connections N] [--only steady|kill|relay|scaleout]`
//!
//! The first three runs use `--connections` (default 8); the scale-out run,
//! two relays in front of more clients, `--scaleout-connections` (default
//! 64).
//!
//! A full run (all four phases) writes its figures to `bench/load.json`,
//! from which `node bench/load.mjs` writes the table of `docs/performance.md`.

mod check;
mod run;
mod servers;

use check::{checked, verify, verify_ledger, verify_shared_ledger, wait_until_delivered, SCALEOUT_DELIVER_MS};
use run::{report, run};
use servers::{kill_later, load_config, start, start_relay};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    let (mut seconds, mut kill_at, mut connections, mut scaleout_connections) = (60u64, 30u64, 8usize, 64usize);
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
                "sandbox-load: {a} needs a number; usage: sandbox-load [--seconds N] [--kill-at N] [--connections N] [--scaleout-connections N] [--only steady|kill|relay|scaleout]"
            );
            std::process::exit(2)
        });
        match a.as_str() {
            "--seconds" => seconds = v.max(1),
            "--kill-at" => kill_at = v,
            "--connections" => connections = v.clamp(1, 256) as usize,
            "--scaleout-connections" => scaleout_connections = v.clamp(1, 256) as usize,
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
                    "scaleout: {scaleout_connections} connections for {seconds} s over relays on ports {} and {b_port} sharing one PostgreSQL database; SIGKILL of the second at {kill_at} s, then a restart",
                    a.port
                );
                let killer = {
                    let (relay_bin, relay_config) = (relay_bin.clone(), relay_config.clone());
                    kill_later(&b, kill_at, "scaleout", move || {
                        start_relay(&relay_bin, b_port, &relay_config)
                    })
                };
                let mut spread = run(&ports, seconds, scaleout_connections, 30_000_000, "scaleout");
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
            "options": { "seconds": seconds, "kill_at": kill_at, "connections": connections, "scaleout_connections": scaleout_connections },
            "phases": phases,
        });
        match serde_json::to_string_pretty(&results).map(|t| std::fs::write(&out, t + "\n")) {
            Ok(Ok(())) => println!(
                "wrote {}; node bench/load.mjs writes the table of docs/performance.md from it",
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
