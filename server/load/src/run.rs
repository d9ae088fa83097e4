//! The load: threads sending one new number per request, each with its
//! own key, retried (on the other relay, if any) when cut off.

use consentry_testkit::client::Conn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts per request before the run gives up on it (bounded retries).
pub const MAX_ATTEMPTS: u32 = 200;

/// A valid US number per request index: +1 415 NXX XXXX, where the
/// exchange NXX is 200 to 999 but not N11 (792 of them).
pub fn phone(i: u64) -> String {
    let k = (i / 10_000) % 792;
    let exchange = (200..1000u64).filter(|e| e % 100 != 11).nth(k as usize).unwrap_or(200);
    format!("+1415{exchange}{:04}", i % 10_000)
}

pub fn body(phone: &str) -> String {
    format!(
        r#"{{"subscription_group_id":"acme-sms","subscription_state":"subscribed","phone":["{phone}"],"use_double_opt_in_logic":true,"consent":{{"disclosure":"Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.","locale":"en-US"}}}}"#
    )
}

pub struct Phase {
    pub ok: Vec<u64>,
    pub latencies_us: Vec<u64>,
    pub per_second: Vec<u64>,
    pub retries: u64,
    pub failed: u64,
}

/// Sends for `seconds` from `connections` threads. Thread k starts on
/// `ports[k % n]` and, when a request fails there (refused, cut off, 5xx),
/// tries the next port with the same key, as a load balancer would.
pub fn run(ports: &[Arc<AtomicU64>], seconds: u64, connections: usize, first: u64, label: &str) -> Phase {
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
pub fn report(name: &str, p: &mut Phase, seconds: u64) -> serde_json::Value {
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
