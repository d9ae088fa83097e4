//! The relay over real HTTP in front of the sandbox as its upstream Braze
//! (started with a `shared_secret`, the API key the relay must send):
//! forwarding with the consent record in the ledger, Braze's errors, a
//! wrong key, idempotency, CORS, X-Forwarded-For behind a trusted proxy,
//! retries while the upstream is down, the ledger's chain, and a SIGKILL
//! of the relay mid-run. With `CONSENTRY_TEST_POSTGRES` set (`npm test`
//! sets it, with a throwaway cluster) every test runs on a PostgreSQL
//! database of its own, and two relays share one.

mod common;
use common::{subscribe, temp, Sandbox, PHONE};
use serde_json::{json, Value};
use std::thread::sleep;
use std::time::{Duration, Instant};

const SECRET: &str = "relay-test-secret-0123456789";
const SITE: &str = "http://shop.example";

/// The sandbox as Braze: the demo's groups, the shared secret required,
/// and limits no single test reaches (Braze limits per API key, not per
/// sender: every request through the relay comes from one address).
fn upstream(name: &str) -> Sandbox {
    let mut config: Value = serde_json::from_str(include_str!("../sandbox.json")).unwrap();
    config["shared_secret"] = json!(SECRET);
    let many = json!({"requests": 1_000_000, "window_seconds": 60});
    config["limits"] = json!({"per_ip": many, "per_phone": many, "per_prefix": many});
    let mut braze = Sandbox::start(name, Some(&config.to_string()));
    braze.secret = Some(SECRET.into());
    braze
}

fn relay_config(upstream_port: u16, extra: Value) -> Value {
    let mut c = json!({
        "upstream": format!("http://127.0.0.1:{upstream_port}"),
        "origins": [SITE],
        "groups": [{"id": "acme-sms", "countries": ["US", "GB", "KR"]}],
        "database": "",
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        c[k] = v;
    }
    c
}

/// The relay's store for the test in `dir`: a SQLite file in it, or with
/// `CONSENTRY_TEST_POSTGRES` a PostgreSQL database of the test's own,
/// created the first time.
fn database(dir: &std::path::Path) -> String {
    let Ok(url) = std::env::var("CONSENTRY_TEST_POSTGRES") else {
        return dir.join("relay.db").to_string_lossy().into_owned();
    };
    let name = format!("t{}", dir.file_name().unwrap().to_string_lossy().replace('-', "_"))
        .chars()
        .take(60)
        .collect::<String>();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    if admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .is_none()
    {
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    }
    format!("{}/{name}", url.rsplit_once('/').unwrap().0)
}

/// A relay in `dir` in front of `upstream`.
fn relay(dir: &std::path::Path, upstream_port: u16, key: &str, extra: Value) -> Sandbox {
    let mut c = relay_config(upstream_port, extra);
    c["database"] = json!(database(dir));
    Sandbox::relay(dir, &c, key)
}

/// A body as the form posts it.
fn form_body(phone: &str) -> String {
    let mut v: Value = serde_json::from_str(&subscribe(phone, true)).unwrap();
    v["consent"]["page_url"] = json!("https://shop.example/signup");
    v["consent"]["form_id"] = json!("footer");
    v["consent"]["time"] = json!(1_700_000_000_000u64);
    v["consent"]["consent_id"] = json!("c0ffee");
    v.to_string()
}

fn export(relay: &Sandbox, flag: &str, value: &str) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_consentry-relay"))
        .args(["export", "--config"])
        .arg(&relay.config)
        .args([flag, value])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn verify(relay: &Sandbox) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_consentry-relay"))
        .args(["verify", "--config"])
        .arg(&relay.config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn the_form_through_the_relay_reaches_braze_with_the_consent_record_in_the_ledger() {
    let braze = upstream("relay-upstream");
    let dir = temp("relay");
    let r = relay(&dir, braze.port, SECRET, json!({}));
    let key = [
        ("Idempotency-Key", "form-key-1"),
        ("Origin", SITE),
        ("User-Agent", "TestBrowser/1"),
    ];
    let (status, v) = r.request("POST", "/subscription/status/set", &key, &form_body(PHONE));
    assert_eq!((status, v["message"].as_str()), (201, Some("success")), "{v}");
    assert_eq!(
        braze.state(PHONE),
        ("unsubscribed".into(), true),
        "pending at the upstream"
    );
    assert!(braze.reply(PHONE, "Y")[0].contains("you are confirmed"));
    assert_eq!(braze.state(PHONE), ("subscribed".into(), false));
    // The retry of the same submission gets the stored answer; Braze saw it once.
    let (status, again) = r.request("POST", "/subscription/status/set", &key, &form_body(PHONE));
    assert_eq!((status, &again), (201, &v));
    assert_eq!(braze.outbox(PHONE).len(), 2, "one prompt, one confirmation");
    // The ledger: one entry, with everything the consent record needs.
    let entries = export(&r, "--phone", PHONE);
    assert_eq!(entries.len(), 1);
    let e = &entries[0]["entry"];
    let disclosure = e["disclosure"].as_str().unwrap();
    assert!(disclosure.contains("Msg & data rates may apply"));
    assert_eq!(e["disclosure_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        (
            e["locale"].as_str(),
            e["page_url"].as_str(),
            e["form_id"].as_str(),
            e["client_time"].as_u64()
        ),
        (
            Some("en-US"),
            Some("https://shop.example/signup"),
            Some("footer"),
            Some(1_700_000_000_000)
        )
    );
    assert_eq!(
        (e["ip"].as_str(), e["user_agent"].as_str()),
        (Some("127.0.0.1"), Some("TestBrowser/1"))
    );
    assert!(e["server_time"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(export(&r, "--consent-id", "c0ffee").len(), 1);
    // Braze gets no consent record: the sandbox logs the API's disclosure
    // only when one is sent.
    let log = braze.get("/sandbox/consent-log?phone=%2B14155552671");
    assert_eq!(log["entries"][0]["disclosure"], "", "consent stripped before Braze");
    assert_eq!(verify(&r), (true, "ledger intact: 1 entries\n".into()));
}

#[test]
fn brazes_errors_and_a_wrong_key_reach_the_form_clearly() {
    let braze = upstream("relay-errors-upstream");
    let dir = temp("relay-errors");
    let r = relay(&dir, braze.port, SECRET, json!({}));
    let bad = r#"{"subscription_group_id":"acme-sms","subscription_state":"subscribed","phone":["+5511912345678"],"use_double_opt_in_logic":"true"}"#;
    let (status, v) = r.post("/subscription/status/set", bad);
    assert_eq!(status, 400);
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("is a number of BR") && errors.contains("use_double_opt_in_logic is"),
        "{errors}"
    );
    let (status, v) = r.post(
        "/subscription/status/set",
        &subscribe(PHONE, true).replace("acme-sms", "other"),
    );
    assert!(
        status == 400
            && v["errors"]
                .to_string()
                .contains("not a subscription group the relay forwards to"),
        "{v}"
    );
    assert!(
        export(&r, "--phone", PHONE).is_empty(),
        "a refused request is not in the ledger"
    );
    let wrong = relay(&temp("relay-wrong-key"), braze.port, "not-the-secret-at-all", json!({}));
    let (status, v) = wrong.post("/subscription/status/set", &form_body(PHONE));
    assert_eq!(status, 401, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("refused the relay's API key (401): check the relay's BRAZE_API_KEY"),
        "{v}"
    );
    assert!(
        !v.to_string().contains("not-the-secret-at-all"),
        "the key never appears in an answer"
    );
    assert_eq!(braze.state(PHONE), ("unsubscribed".into(), false));
}

#[test]
fn cors_answers_the_configured_origins_only() {
    let braze = upstream("relay-cors-upstream");
    let r = relay(&temp("relay-cors"), braze.port, SECRET, json!({}));
    let preflight = r.raw(
        "OPTIONS",
        "/subscription/status/set",
        &[("Origin", SITE), ("Access-Control-Request-Method", "POST")],
        "",
    );
    assert!(preflight.starts_with("HTTP/1.1 204"), "{preflight}");
    let lower = preflight.to_lowercase();
    assert!(
        lower.contains("access-control-allow-origin: http://shop.example"),
        "{preflight}"
    );
    assert!(
        lower.contains("access-control-allow-headers: content-type, idempotency-key"),
        "{preflight}"
    );
    let (status, v) = r.request(
        "POST",
        "/subscription/status/set",
        &[("Origin", "http://evil.example")],
        &form_body(PHONE),
    );
    assert_eq!(status, 403, "{v}");
    assert_eq!(braze.state(PHONE), ("unsubscribed".into(), false));
}

#[test]
fn the_client_ip_is_taken_from_x_forwarded_for_only_behind_a_trusted_proxy() {
    let braze = upstream("relay-xff-upstream");
    let limits = json!({"limits": {"per_ip": {"requests": 2, "window_seconds": 60}}, "trusted_proxies": ["127.0.0.1"]});
    let r = relay(&temp("relay-xff"), braze.port, SECRET, limits);
    let from = |ip: &str, phone: &str| {
        r.request(
            "POST",
            "/subscription/status/set",
            &[("X-Forwarded-For", ip)],
            &subscribe(phone, false),
        )
        .0
    };
    // Two visitors behind the same proxy have a limit each.
    assert_eq!(
        [from("203.0.113.1", "+14155550101"), from("203.0.113.1", "+14155550102")],
        [201, 201]
    );
    assert_eq!(from("203.0.113.1", "+14155550103"), 429);
    assert_eq!(from("203.0.113.2", "+14155550104"), 201);
    let entries = export(&r, "--phone", "+14155550104");
    assert_eq!(entries[0]["entry"]["ip"], "203.0.113.2");
    // Without the proxy trusted, the header is ignored: one shared limit.
    let untrusted = relay(
        &temp("relay-xff-untrusted"),
        braze.port,
        SECRET,
        json!({"limits": {"per_ip": {"requests": 2, "window_seconds": 60}}}),
    );
    let from = |ip: &str, phone: &str| {
        untrusted
            .request(
                "POST",
                "/subscription/status/set",
                &[("X-Forwarded-For", ip)],
                &subscribe(phone, false),
            )
            .0
    };
    assert_eq!(
        [
            from("203.0.113.3", "+14155550105"),
            from("203.0.113.4", "+14155550106"),
            from("203.0.113.5", "+14155550107")
        ],
        [201, 201, 429]
    );
}

#[test]
fn while_braze_is_down_the_request_is_queued_and_delivered_once_it_answers() {
    let dir = temp("relay-down");
    // Nothing listens on the upstream's port yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = relay(&dir, port, SECRET, json!({"deliver_timeout_ms": 1500}));
    let key = [("Idempotency-Key", "down-1")];
    let (status, v) = r.request("POST", "/subscription/status/set", &key, &form_body(PHONE));
    assert_eq!(status, 202, "{v}");
    assert_eq!(
        export(&r, "--phone", PHONE).len(),
        1,
        "in the ledger before it is delivered"
    );
    // Braze comes up on that port: the worker delivers it.
    let mut config: Value = serde_json::from_str(include_str!("../sandbox.json")).unwrap();
    config["shared_secret"] = json!(SECRET);
    let up = temp("relay-down-upstream");
    std::fs::write(up.join("sandbox.json"), config.to_string()).unwrap();
    let mut braze = Sandbox::spawn(
        up.join("sandbox.db"),
        up.join("sandbox.json"),
        &["--port", &port.to_string()],
    );
    braze.secret = Some(SECRET.into());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !braze.state(PHONE).1 && Instant::now() < deadline {
        sleep(Duration::from_millis(200));
    }
    assert_eq!(
        braze.state(PHONE),
        ("unsubscribed".into(), true),
        "delivered by the worker"
    );
    let (status, v) = r.request("POST", "/subscription/status/set", &key, &form_body(PHONE));
    assert_eq!(
        (status, v["message"].as_str()),
        (201, Some("success")),
        "the retry gets Braze's answer"
    );
    assert_eq!(braze.outbox(PHONE).len(), 1, "delivered once");
}

#[test]
fn a_relay_killed_mid_run_loses_nothing_and_sends_nothing_twice() {
    let braze = upstream("relay-kill-upstream");
    let dir = temp("relay-kill");
    let many = json!({"requests": 100000, "window_seconds": 60});
    let limits = json!({"limits": {"per_ip": many, "per_prefix": many}});
    let mut r = relay(&dir, braze.port, SECRET, limits.clone());
    let port = r.port;
    // Clients post until the relay dies; each remembers what was acknowledged.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for c in 0..4 {
        let acknowledged = acknowledged.clone();
        clients.push(std::thread::spawn(move || {
            for i in 0..400 {
                let phone = format!("+1415555{:04}", 1000 + c * 400 + i);
                let key = format!("kill-{phone}");
                let mut body = String::new();
                let sent = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
                    use std::io::{Read, Write};
                    let payload = subscribe(&phone, false);
                    write!(s, "POST /subscription/status/set HTTP/1.1\r\nHost: x\r\nConnection: close\r\nIdempotency-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}", payload.len())?;
                    s.read_to_string(&mut body)
                });
                if sent.is_err() || body.is_empty() {
                    return;
                }
                if body.starts_with("HTTP/1.1 201") || body.starts_with("HTTP/1.1 202") {
                    acknowledged.lock().unwrap().push(phone);
                }
            }
        }));
    }
    // Killed once some are acknowledged (a fixed delay made too few on a
    // busy machine), while the clients still post.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 50 && Instant::now() < deadline {
        sleep(Duration::from_millis(20));
    }
    r.child.kill().unwrap();
    r.child.wait().unwrap();
    for c in clients {
        c.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "only {} acknowledged before the kill",
        acknowledged.len()
    );
    // Restarted on the same database, the worker delivers what was left.
    let r = relay(&dir, braze.port, SECRET, limits);
    let deadline = Instant::now() + Duration::from_secs(60);
    let subscribed = |phone: &str| braze.state(phone).0 == "subscribed";
    while !acknowledged.iter().all(|p| subscribed(p)) && Instant::now() < deadline {
        sleep(Duration::from_millis(500));
    }
    for phone in &acknowledged {
        assert!(subscribed(phone), "{phone} was acknowledged but never reached Braze");
        let log = braze.get(&format!("/sandbox/consent-log?phone={}", phone.replace('+', "%2B")));
        assert_eq!(
            log["entries"].as_array().unwrap().len(),
            1,
            "{phone} reached Braze more than once"
        );
        assert_eq!(export(&r, "--phone", phone).len(), 1, "{phone} is in the ledger once");
    }
    assert!(verify(&r).0, "{}", verify(&r).1);
    eprintln!(
        "{} requests acknowledged before the kill, each delivered once",
        acknowledged.len()
    );
}

#[test]
fn a_changed_ledger_entry_is_named_by_verify() {
    let braze = upstream("relay-verify-upstream");
    let dir = temp("relay-verify");
    let r = relay(&dir, braze.port, SECRET, json!({}));
    for phone in ["+14155550111", "+14155550112", "+14155550113"] {
        assert_eq!(r.post("/subscription/status/set", &subscribe(phone, false)).0, 201);
    }
    assert!(verify(&r).0);
    // Someone with access to the database changes entry 2's number.
    let edit = "UPDATE ledger SET entry = replace(entry, '+14155550112', '+14155550199') WHERE seq = 2";
    let target = database(&dir);
    let changed = if target.starts_with("postgres") {
        let mut db = postgres::Client::connect(&target, postgres::NoTls).unwrap();
        db.execute(edit, &[]).unwrap() as usize
    } else {
        rusqlite::Connection::open(&target).unwrap().execute(edit, []).unwrap()
    };
    assert_eq!(changed, 1);
    let (ok, text) = verify(&r);
    assert!(
        !ok && text.contains("entry 2: its text does not match its hash"),
        "{text}"
    );
}

#[test]
fn receipts_of_cookie_choices_are_kept_once_and_linked_to_the_phone_opt_in() {
    let braze = upstream("relay-receipts-upstream");
    let r = relay(&temp("relay-receipts"), braze.port, SECRET, json!({}));
    let receipt = json!({
        "key": "c0ffee-1700000000000-1", "consent_id": "c0ffee", "time": 1_700_000_000_000u64, "revision": 0,
        "permissions": {"aa": true, "ecid": false}, "changes": {"aa": true}, "gpc": false, "tc_sha256": null,
        "page": "https://shop.example/", "cause": "approve",
    });
    // Sent as the gate sends it: text/plain, from the site's origin.
    let headers = [("Origin", SITE), ("Content-Type", "text/plain")];
    let (status, _) = r.request("POST", "/consent/receipts", &headers, &receipt.to_string());
    assert_eq!(status, 201);
    let (status, _) = r.request("POST", "/consent/receipts", &headers, &receipt.to_string());
    assert_eq!(
        status, 201,
        "a retry, e.g. the beacon at pagehide, is answered from the store"
    );
    let mut bad = receipt.clone();
    bad["permissions"] = json!({"aa": "yes"});
    bad["tc_sha256"] = json!("abc");
    let (status, v) = r.post("/consent/receipts", &bad.to_string());
    assert_eq!(status, 400);
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("permissions is") && errors.contains("tc_sha256 is"),
        "{errors}"
    );
    // The phone opt-in made in the same browser carries its consent id:
    // one query shows the visitor's cookie choices and messaging consent.
    assert_eq!(r.post("/subscription/status/set", &form_body(PHONE)).0, 201);
    let entries = export(&r, "--consent-id", "c0ffee");
    let kinds: Vec<&str> = entries.iter().map(|e| e["entry"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["receipt", "subscription"]);
    assert_eq!(entries[0]["entry"]["permissions"]["aa"], true);
    assert!(verify(&r).0);
}

#[test]
fn two_relays_on_one_postgresql_database_share_keys_limits_and_the_ledger() {
    if std::env::var("CONSENTRY_TEST_POSTGRES").is_err() {
        eprintln!("skipped: set CONSENTRY_TEST_POSTGRES (npm test does) to run the relays on PostgreSQL");
        return;
    }
    let braze = upstream("relay-two-upstream");
    let dir = temp("relay-two");
    let limits = json!({"limits": {"per_ip": {"requests": 3, "window_seconds": 60}}});
    let a = relay(&dir, braze.port, SECRET, limits.clone());
    let other = temp("relay-two-b");
    let mut c = relay_config(braze.port, limits);
    c["database"] = json!(database(&dir));
    let b = Sandbox::relay(&other, &c, SECRET);
    // The same submission to both: one delivery, the same answer.
    let key = [("Idempotency-Key", "shared-1")];
    let (sa, va) = a.request("POST", "/subscription/status/set", &key, &form_body(PHONE));
    let (sb, vb) = b.request("POST", "/subscription/status/set", &key, &form_body(PHONE));
    assert_eq!((sa, sb, &va), (201, 201, &vb));
    assert_eq!(braze.outbox(PHONE).len(), 1, "one prompt: delivered once");
    // The limit counts across relays: 3 per IP, whichever relay answers.
    assert_eq!(
        a.post("/subscription/status/set", &subscribe("+14155550121", false)).0,
        201
    );
    assert_eq!(
        b.post("/subscription/status/set", &subscribe("+14155550122", false)).0,
        201
    );
    assert_eq!(
        a.post("/subscription/status/set", &subscribe("+14155550123", false)).0,
        429
    );
    // One chain, written by both.
    assert_eq!(export(&a, "--phone", "+14155550122").len(), 1);
    assert_eq!(verify(&b), (true, "ledger intact: 3 entries\n".into()));
}
