//! The sandbox service over real HTTP on 127.0.0.1, with a temporary
//! SQLite file: the double-opt-in keyword workflow, Braze's shapes and
//! errors, idempotency, the quota, imports, durability across SIGKILL, and
//! the defences against SMS pumping (rate limits, the shared secret).

use common::{subscribe, Sandbox, PHONE};
use consentry_testkit as common;
use std::io::{Read, Write};
use std::net::TcpStream;

#[test]
fn the_double_opt_in_keyword_workflow() {
    let s = Sandbox::start("workflow", None);
    let (status, v) = s.post("/subscription/status/set", &subscribe(PHONE, true));
    assert_eq!((status, v["message"].as_str()), (201, Some("success")));
    assert_eq!(
        s.state(PHONE),
        ("unsubscribed".into(), true),
        "pending reads as unsubscribed"
    );
    let outbox = s.outbox(PHONE);
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].contains("reply Y to confirm"), "{outbox:?}");

    // A second request within 24 hours sends no second prompt.
    s.post("/subscription/status/set", &subscribe(PHONE, true));
    assert_eq!(s.outbox(PHONE).len(), 1);

    assert!(s.reply(PHONE, "maybe").is_empty());
    let replies = s.reply(PHONE, " y ");
    assert!(replies[0].contains("you are confirmed"), "{replies:?}");
    assert_eq!(s.state(PHONE), ("subscribed".into(), false));

    let replies = s.reply(PHONE, "HOURS");
    assert!(replies[0].contains("9am-5pm"), "custom regex category: {replies:?}");

    let replies = s.reply(PHONE, "Stop");
    assert!(replies[0].contains("you are unsubscribed"), "{replies:?}");
    assert_eq!(s.state(PHONE), ("unsubscribed".into(), false));
    assert!(
        s.reply(PHONE, "HELP").is_empty(),
        "an unsubscribed number receives nothing more"
    );
    assert_eq!(s.outbox(PHONE).len(), 4);

    let log = s.get("/sandbox/consent-log?phone=%2B14155552671");
    let entries: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["state"].as_str().unwrap().into(),
                e["source"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("pending", "api"),
        ("subscribed", "keyword"),
        ("unsubscribed", "keyword"),
    ];
    assert_eq!(entries, expected.map(|(a, b)| (a.to_string(), b.to_string())));
    assert!(log["entries"][0]["disclosure"]
        .as_str()
        .unwrap()
        .contains("Msg & data rates may apply"));
    assert_eq!(log["entries"][0]["ip"], "127.0.0.1");
}

#[test]
fn brazes_errors_for_bad_requests() {
    let s = Sandbox::start("errors", None);
    let many: Vec<String> = (0..51).map(|i| format!("+1415555{:04}", 2600 + i)).collect();
    let cases = [
        (
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phone": many}),
            "at most 50 ids",
        ),
        (
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phone": ["4155552671"]}),
            "not a valid E.164",
        ),
        (
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phone": ["+1415555"]}),
            "not a valid E.164",
        ),
        (
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phone": [PHONE], "email": ["a@example.com"]}),
            "Either an email address or a phone number should be provided, but not both.",
        ),
        (
            serde_json::json!({"subscription_group_id": "nope", "subscription_state": "subscribed", "phone": [PHONE]}),
            "not a known subscription group",
        ),
        (
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phone": ["+5511912345678"]}),
            "is a number of BR",
        ),
    ];
    for (body, expected) in cases {
        let (status, v) = s.post("/subscription/status/set", &body.to_string());
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["message"], "invalid request");
        let errors = v["errors"].to_string();
        assert!(errors.contains(expected), "{errors}");
    }
    let (status, v) = s.post("/subscription/status/set", "{not json");
    assert_eq!((status, v["message"].as_str()), (400, Some("invalid JSON body")));
    let (status, _) = s.post("/subscription/status/set", &"x".repeat(70_000));
    assert_eq!(status, 413);
}

#[test]
fn v2_users_track_and_idempotency() {
    let s = Sandbox::start("shapes", None);
    let v2 = serde_json::json!({"subscription_groups": [{"subscription_group_id": "acme-sms", "subscription_state": "subscribed",
        "phones": ["+447400123456"], "use_double_opt_in_logic": false}]});
    assert_eq!(s.post("/v2/subscription/status/set", &v2.to_string()).0, 201);
    let v = s.get("/subscription/status/get?phone=%2B447400123456&subscription_group_id=acme-sms");
    assert_eq!(v["subscription_groups"][0]["subscription_state"], "subscribed");
    // A literal `+`, as the README writes it and people type it, is a `+`.
    let literal = s.get("/subscription/status/get?phone=+447400123456&subscription_group_id=acme-sms");
    assert_eq!(literal, v);

    let track = serde_json::json!({"attributes": [{"external_id": "u1", "phone": "+819012345678",
        "subscription_groups": [{"subscription_group_id": "acme-sms", "subscription_state": "subscribed"}]}]});
    let (status, v) = s.post("/users/track", &track.to_string());
    assert_eq!((status, v["attributes_processed"].as_u64()), (201, Some(1)));

    let key = [("Idempotency-Key", "same-key")];
    let body = subscribe("+14155550123", true);
    let first = s.request("POST", "/subscription/status/set", &key, &body);
    let second = s.request("POST", "/subscription/status/set", &key, &body);
    assert_eq!(first, second);
    assert_eq!(s.outbox("+14155550123").len(), 1);
    let log = s.get("/sandbox/consent-log?phone=%2B14155550123");
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "applied once");
}

#[test]
fn the_quota_refuses_sends_but_records_the_state() {
    let config = r#"{"quota_tickets": 0, "groups": [{"id": "acme-sms", "name": "Acme Alerts", "channel": "sms", "double_opt_in": {"enabled": true}}]}"#;
    let s = Sandbox::start("quota", Some(config));
    let q = s.get("/sandbox/quota");
    assert_eq!(
        (q["total"].as_i64(), q["remaining"].as_i64()),
        (Some(0), Some(0)),
        "{q}"
    );
    let (status, v) = s.post("/subscription/status/set", &subscribe(PHONE, true));
    assert_eq!(status, 201);
    assert!(v["errors"][0].as_str().unwrap().starts_with("quota exhausted"), "{v}");
    assert_eq!(
        s.state(PHONE),
        ("unsubscribed".into(), true),
        "the pending state is recorded"
    );
    let outbox = s.get("/sandbox/outbox?phone=%2B14155552671");
    assert_eq!(outbox["messages"][0]["status"], "refused");
}

#[test]
fn segments_are_paid_for_from_the_quota() {
    let s = Sandbox::start("segments", None);
    s.post("/subscription/status/set", &subscribe(PHONE, true));
    let korean = serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed",
        "phone": ["+821012345678"], "use_double_opt_in_logic": true, "consent": {"locale": "ko-KR"}});
    s.post("/subscription/status/set", &korean.to_string());
    let prompt = s.get("/sandbox/outbox?phone=%2B821012345678");
    let m = &prompt["messages"][0];
    assert!(m["body"].as_str().unwrap().contains("구독"), "the Korean prompt: {m}");
    let bytes: usize = m["body"]
        .as_str()
        .unwrap()
        .chars()
        .map(|c| if c.is_ascii() { 1 } else { 2 })
        .sum();
    assert_eq!(m["segments"].as_u64().unwrap() as usize, bytes.div_ceil(80));
    let used = 1000 - s.get("/sandbox/quota")["remaining"].as_i64().unwrap();
    assert_eq!(used, 1 + m["segments"].as_i64().unwrap());
}

#[test]
fn imports_subscribe_without_the_workflow() {
    let s = Sandbox::start("import", None);
    let csv = "external_id,phone,subscription_group_id,state\nu1,+14155552671,acme-sms,subscribed\nu2,+14155550123,acme-sms,unsubscribed\n";
    let (status, v) = s.post("/sandbox/import", csv);
    assert_eq!((status, v["imported"].as_u64()), (201, Some(2)));
    assert_eq!(s.state(PHONE), ("subscribed".into(), false));
    assert!(s.outbox(PHONE).is_empty());
    let log = s.get("/sandbox/consent-log?phone=%2B14155552671");
    assert_eq!(log["entries"][0]["source"], "import");
    let (status, v) = s.post(
        "/sandbox/import",
        "external_id,phone,subscription_group_id,state\nu3,555,acme-sms,maybe\n",
    );
    assert_eq!(status, 400);
    assert!(v["errors"].to_string().contains("line 2"), "{v}");
}

#[test]
fn an_acknowledged_request_survives_sigkill() {
    let s = Sandbox::start("durable", None);
    let (db, config) = (s.db.clone(), s.config.clone());
    assert_eq!(s.post("/subscription/status/set", &subscribe(PHONE, false)).0, 201);
    let mut s = s;
    // Child::kill sends SIGKILL: no shutdown code runs.
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let again = Sandbox::run(db, config);
    assert_eq!(again.state(PHONE), ("subscribed".into(), false));
}

/// The sandbox's config with `extra` top-level fields.
fn config_with(extra: &str) -> String {
    let base = include_str!("../sandbox.json").trim_end();
    format!("{},{extra}}}", base.strip_suffix('}').unwrap())
}

#[test]
fn rate_limits_per_number_per_prefix_and_per_ip_answer_429_with_retry_after() {
    let sandbox = Sandbox::start(
        "limits",
        Some(&config_with(
            r#""limits": {"per_ip": {"requests": 5, "window_seconds": 60}, "per_phone": {"requests": 2, "window_seconds": 3600},
               "per_prefix": {"requests": 3, "window_seconds": 3600}, "prefix_digits": 6}"#,
        )),
    );
    let set = |phone: &str| sandbox.raw("POST", "/subscription/status/set", &[], &subscribe(phone, true));
    assert!(set("+14155550101").starts_with("HTTP/1.1 201"));
    assert!(set("+14155550101").starts_with("HTTP/1.1 201"));
    // The number's third request in the hour.
    let refused = set("+14155550101");
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    let wait: u64 = refused
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("retry-after: ").map(str::to_string))
        .expect("Retry-After header")
        .trim()
        .parse()
        .unwrap();
    assert!((3590..=3600).contains(&wait), "{wait}");
    assert!(refused.contains(r#""retry_after_seconds":"#));
    // Numbers one after another in the range +141555: the range closes.
    assert!(set("+14155550102").starts_with("HTTP/1.1 201"));
    assert!(set("+14155550103").starts_with("HTTP/1.1 429"));
    // Another range is open, until this client has had 5 requests admitted in the minute.
    let uk = set("+61412345678");
    assert!(
        uk.starts_with("HTTP/1.1 201"),
        "{}",
        uk.split("\r\n\r\n").nth(1).unwrap_or_default()
    );
    assert!(set("+821012345678").starts_with("HTTP/1.1 201"));
    let refused = set("+819012345678");
    assert!(
        refused.starts_with("HTTP/1.1 429") && refused.to_ascii_lowercase().contains("retry-after: "),
        "{refused}"
    );
    // A refused request changed nothing and sent nothing.
    assert!(sandbox.outbox("+14155550103").is_empty());
    assert_eq!(sandbox.state("+14155550103"), ("unsubscribed".to_string(), false));
}

#[test]
fn a_shared_secret_guards_the_api_and_countries_outside_the_group_are_refused() {
    let secret = "s3cret-between-backend-and-sandbox";
    let mut sandbox = Sandbox::start("secret", Some(&config_with(&format!(r#""shared_secret": "{secret}""#))));
    let body = subscribe(PHONE, true);
    let bearer = format!("Bearer {secret}");
    let (status, v) = sandbox.request("POST", "/subscription/status/set", &[], &body);
    assert_eq!(status, 401, "{v}");
    let (status, _) = sandbox.request(
        "POST",
        "/subscription/status/set",
        &[("Authorization", "Bearer s3cret-between-backend-and-sandboy")],
        &body,
    );
    assert_eq!(status, 401);
    let (status, v) = sandbox.request("POST", "/subscription/status/set", &[("Authorization", &bearer)], &body);
    assert_eq!(status, 201, "{v}");
    // Brazil is not among acme-sms's countries.
    let (status, v) = sandbox.request(
        "POST",
        "/subscription/status/set",
        &[("Authorization", &bearer)],
        &subscribe("+5521987654321", true),
    );
    assert_eq!(status, 400, "{v}");
    assert!(v.to_string().contains("BR"), "{v}");
    // The outbox holds people's messages (and codes): the secret reads it.
    sandbox.secret = Some(secret.into());
    assert_eq!(sandbox.outbox(PHONE).len(), 1);
}

#[test]
fn bad_limits_and_short_secrets_stop_the_sandbox_at_start() {
    for (extra, says) in [
        (
            r#""limits": {"per_ip": {"requests": 0, "window_seconds": 60}}"#,
            "limits.per_ip",
        ),
        (r#""limits": {"prefix_digits": 0}"#, "limits.prefix_digits"),
        (r#""shared_secret": "short""#, "shared_secret is shorter than 16"),
    ] {
        let err = consentry_sandbox::config::Config::parse(&config_with(extra)).unwrap_err();
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn malformed_http_gets_an_answer_not_a_hang() {
    let s = Sandbox::start("http", None);
    let send = |bytes: &[u8]| {
        let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        c.write_all(bytes).unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        answer
    };
    assert!(send(b"NOT HTTP AT ALL\r\n\r\n").starts_with("HTTP/1.1 400 "));
    // A chunked body is read (an empty one is not JSON).
    let chunked = send(
        b"POST /users/track HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert!(
        chunked.starts_with("HTTP/1.1 400 ") && chunked.contains("invalid JSON body"),
        "{chunked}"
    );
    let ok = send(b"GET /sandbox/quota HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    // Kept alive: two requests on one connection, each answered.
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(b"GET /sandbox/quota HTTP/1.1\r\nHost: x\r\n\r\nGET /sandbox/quota HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut both = String::new();
    c.read_to_string(&mut both).unwrap();
    assert_eq!(both.matches("HTTP/1.1 200 OK").count(), 2, "{both}");
}

#[test]
fn a_wrong_type_anywhere_is_a_400_naming_the_field_and_applies_nothing() {
    // Issue 13: "true" as a string was taken as false and subscribed at
    // once; malformed /users/track parts answered 201 and applied nothing.
    let s = Sandbox::start("types", None);
    let cases = [
        (
            "/subscription/status/set",
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phone": [PHONE], "use_double_opt_in_logic": "true"}),
            r#"use_double_opt_in_logic is \"true\"; expected true or false"#,
        ),
        (
            "/subscription/status/set",
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": 1, "phone": [PHONE]}),
            r#"subscription_state is 1; expected \"subscribed\" or \"unsubscribed\""#,
        ),
        (
            "/subscription/status/set",
            serde_json::json!({"subscription_group_id": "acme-sms", "phone": [PHONE]}),
            r#"subscription_state is required: \"subscribed\" or \"unsubscribed\""#,
        ),
        (
            "/subscription/status/set",
            serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phone": 7}),
            "phone is 7; expected a string or an array of strings",
        ),
        (
            "/subscription/status/set",
            serde_json::json!({"subscription_group_id": ["acme-sms"], "subscription_state": "subscribed", "phone": [PHONE]}),
            r#"subscription_group_id is [\"acme-sms\"]; expected a string"#,
        ),
        (
            "/v2/subscription/status/set",
            serde_json::json!({"subscription_groups": {"subscription_group_id": "acme-sms"}}),
            "subscription_groups is {",
        ),
        (
            "/v2/subscription/status/set",
            serde_json::json!({"subscription_groups": [{"subscription_group_id": "acme-sms", "subscription_state": "subscribed", "phones": [PHONE], "use_double_opt_in_logic": 1}]}),
            "subscription_groups[0].use_double_opt_in_logic is 1; expected true or false",
        ),
        (
            "/users/track",
            serde_json::json!({"attributes": "x"}),
            r#"attributes is \"x\"; expected an array of objects"#,
        ),
        (
            "/users/track",
            serde_json::json!({"attributes": {"external_id": "u1", "phone": PHONE}}),
            "attributes is {",
        ),
        (
            "/users/track",
            serde_json::json!({"attributes": [{"external_id": "u1", "phone": PHONE, "subscription_groups": "acme-sms"}]}),
            r#"attributes[0].subscription_groups is \"acme-sms\"; expected an array of objects"#,
        ),
        (
            "/users/track",
            serde_json::json!({"attributes": [{"external_id": 7, "phone": PHONE}]}),
            "attributes[0].external_id is 7; expected a string",
        ),
        (
            "/sandbox/inbound",
            serde_json::json!({"phone": PHONE, "subscription_group_id": "acme-sms", "body": 5}),
            "body is 5; expected a string",
        ),
        (
            "/sandbox/inbound",
            serde_json::json!({"phone": PHONE, "subscription_group_id": "acme-sms"}),
            "body is required: a string",
        ),
    ];
    for (path, body, expected) in cases {
        let (status, v) = s.post(path, &body.to_string());
        assert_eq!(status, 400, "{path} {body}: {v}");
        let errors = v["errors"].to_string();
        assert!(
            errors.contains(expected),
            "{path} {body}: {errors} should name {expected}"
        );
    }
    assert_eq!(s.state(PHONE), ("unsubscribed".into(), false), "nothing applied");
    assert!(s.outbox(PHONE).is_empty());
}

#[test]
fn an_opt_in_keyword_prompts_first_in_a_double_opt_in_group() {
    // Issue 13: START subscribed a new number at once.
    let s = Sandbox::start("keyword-optin", None);
    let replies = s.reply(PHONE, "START");
    assert_eq!(replies.len(), 1);
    assert!(replies[0].contains("reply Y to confirm"), "{replies:?}");
    assert_eq!(s.state(PHONE), ("unsubscribed".into(), true));
    assert!(s.reply(PHONE, "y")[0].contains("you are confirmed"));
    assert_eq!(s.state(PHONE), ("subscribed".into(), false));
}

#[test]
fn a_pending_number_gets_no_custom_keyword_reply_and_is_not_billed() {
    let s = Sandbox::start("pending-custom", None);
    s.post("/subscription/status/set", &subscribe(PHONE, true));
    let remaining = s.get("/sandbox/quota")["remaining"].as_i64().unwrap();
    assert!(
        s.reply(PHONE, "HOURS").is_empty(),
        "only the workflow's messages until it confirms"
    );
    assert_eq!(s.get("/sandbox/quota")["remaining"].as_i64().unwrap(), remaining);
    assert_eq!(s.outbox(PHONE).len(), 1, "the prompt only");
    assert!(
        s.reply(PHONE, "HELP")[0].contains("reply STOP to cancel"),
        "HELP always answers"
    );
}

#[test]
fn a_profile_lets_an_external_id_alone_subscribe() {
    // Issue 13: "the sandbox keeps no user profiles" refused it; Braze
    // accepts it when the profile has a phone.
    let s = Sandbox::start("profiles", None);
    let track = serde_json::json!({"attributes": [{"external_id": "u7", "phone": PHONE, "email": "a@example.com"}]});
    assert_eq!(s.post("/users/track", &track.to_string()).0, 201);
    let by_id = serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed",
        "external_id": ["u7"], "use_double_opt_in_logic": false});
    let (status, v) = s.post("/subscription/status/set", &by_id.to_string());
    assert_eq!(status, 201, "{v}");
    assert_eq!(s.state(PHONE), ("subscribed".into(), false));
    // A status/set with both keeps the pair for the next request.
    let both = serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "unsubscribed",
        "external_id": ["u8"], "phone": ["+14155550123"]});
    assert_eq!(s.post("/subscription/status/set", &both.to_string()).0, 201);
    let (status, _) = s.post("/subscription/status/set", &by_id.to_string().replace("u7", "u8"));
    assert_eq!(status, 201);
    let unknown = by_id.to_string().replace("u7", "nobody");
    let (status, v) = s.post("/subscription/status/set", &unknown);
    assert_eq!(status, 400);
    assert!(
        v["errors"]
            .to_string()
            .contains(r#"external_id \"nobody\" has no phone number in its profile"#),
        "{v}"
    );
}

#[test]
fn imports_read_csv_as_spreadsheets_export_it() {
    let s = Sandbox::start("import-csv", None);
    let csv = "\u{FEFF}external_id,phone,subscription_group_id,state\r\n\"u1\",\"+14155552671\",acme-sms,\"subscribed\"\r\n\"u,2\",+14155550123,acme-sms,unsubscribed\r\n";
    let (status, v) = s.post("/sandbox/import", csv);
    assert_eq!((status, v["imported"].as_u64()), (201, Some(2)), "{v}");
    assert_eq!(s.state(PHONE), ("subscribed".into(), false));
    let (status, v) = s.post(
        "/sandbox/import",
        "external_id,phone,subscription_group_id,state\n\"u3,+14155550124,acme-sms,subscribed\n",
    );
    assert_eq!(status, 400, "an unterminated quote: {v}");
}

#[test]
fn the_test_clock_reaches_the_prompt_throttle_and_the_confirmation_window() {
    let s = Sandbox::with_clock("clock");
    let day: i64 = 24 * 60 * 60 * 1000;
    s.post("/subscription/status/set", &subscribe(PHONE, true));
    s.post("/subscription/status/set", &subscribe(PHONE, true));
    assert_eq!(s.outbox(PHONE).len(), 1, "one prompt a day");
    let (status, _) = s.post("/sandbox/clock", &serde_json::json!({"advance_ms": day}).to_string());
    assert_eq!(status, 200);
    s.post("/subscription/status/set", &subscribe(PHONE, true));
    assert_eq!(s.outbox(PHONE).len(), 2, "a day later, a second prompt");
    s.post(
        "/sandbox/clock",
        &serde_json::json!({"advance_ms": 31 * day}).to_string(),
    );
    assert_eq!(
        s.state(PHONE),
        ("unsubscribed".into(), false),
        "the pending state lapsed"
    );
    assert!(s.reply(PHONE, "Y").is_empty(), "a late confirmation is ignored");
    assert_eq!(s.state(PHONE).0, "unsubscribed");
    let (status, v) = s.post("/sandbox/clock", r#"{"advance_ms":-1}"#);
    assert!(
        status == 400 && v["errors"].to_string().contains("advance_ms is -1"),
        "{v}"
    );
    // Off unless the server was started with --test-clock.
    let plain = Sandbox::start("no-clock", None);
    let (status, v) = plain.post("/sandbox/clock", r#"{"advance_ms":1}"#);
    assert_eq!(status, 409, "{v}");
}

#[test]
fn on_whatsapp_only_an_opt_in_keyword_subscribes_and_stop_promotions_opts_out() {
    let s = Sandbox::start("whatsapp-keywords", None);
    let inbound = |text: &str| {
        let body =
            serde_json::json!({ "phone": PHONE, "subscription_group_id": "acme-whatsapp", "body": text }).to_string();
        let (status, v) = s.post("/sandbox/inbound", &body);
        assert_eq!(status, 200, "{v}");
    };
    let state = || {
        let v = s.get(&format!(
            "/subscription/status/get?phone={}&subscription_group_id=acme-whatsapp",
            PHONE.replace('+', "%2B")
        ));
        let g = &v["subscription_groups"][0];
        (
            g["subscription_state"].as_str().unwrap().to_string(),
            g["pending_double_opt_in"].as_bool().unwrap(),
        )
    };
    // A message that is not an opt-in keyword subscribes nobody.
    inbound("Hi, do you ship to Busan?");
    assert_eq!(state(), ("unsubscribed".into(), false));
    // The opt-in keyword starts the double opt-in; Y confirms.
    inbound("START");
    assert_eq!(state(), ("unsubscribed".into(), true));
    inbound("Y");
    assert_eq!(state(), ("subscribed".into(), false));
    // The marketing opt-out button's text opts out.
    inbound("Stop promotions");
    assert_eq!(state(), ("unsubscribed".into(), false));
    // A phrase keyword is refused in an SMS group and taken in a WhatsApp one.
    let group = |channel: &str| {
        format!(
            r#"{{"groups": [{{"id": "g", "name": "Acme", "channel": "{channel}", "keywords": [{{"category": "opt_out", "keywords": [{{"is": "NO MESSAGE"}}], "reply": "Bye."}}]}}]}}"#
        )
    };
    let err = consentry_sandbox::config::Config::parse(&group("sms")).unwrap_err();
    assert!(
        err.contains("keyword \"NO MESSAGE\" is not allowed; keywords are 1 to 34 characters without spaces"),
        "{err}"
    );
    assert!(consentry_sandbox::config::Config::parse(&group("whatsapp")).is_ok());
}

#[test]
fn a_sign_up_subscribes_the_email_and_the_phone_each_with_its_own_disclosure() {
    let s = Sandbox::start("signup-flow", None);
    let body = serde_json::json!({
        "attributes": [{
            "external_id": "user-42", "email": "ana@example.com", "phone": PHONE,
            "subscription_groups": [
                { "subscription_group_id": "acme-email", "subscription_state": "subscribed" },
                { "subscription_group_id": "acme-sms", "subscription_state": "subscribed", "use_double_opt_in_logic": true }
            ]
        }],
        "consent": { "disclosure": "SMS terms", "disclosures": { "acme-email": "Email terms", "acme-sms": "SMS terms" }, "locale": "en" }
    });
    let (status, v) = s.post("/users/track", &body.to_string());
    assert_eq!(status, 201, "{v}");
    let email = s.get("/sandbox/consent-log?email=ana%40example.com");
    let e = &email["entries"][0];
    // The address under its own name, not under "phone".
    assert_eq!((e["email"].as_str(), e.get("phone")), (Some("ana@example.com"), None));
    assert_eq!(
        (
            e["subscription_group_id"].as_str(),
            e["state"].as_str(),
            e["disclosure"].as_str()
        ),
        (Some("acme-email"), Some("subscribed"), Some("Email terms")),
        "{email}"
    );
    // The phone enters the double opt-in with the SMS box's disclosure.
    assert_eq!(s.state(PHONE), ("unsubscribed".into(), true));
    let phone = s.get("/sandbox/consent-log?phone=%2B14155552671");
    assert_eq!(phone["entries"][0]["disclosure"], "SMS terms");
    // Each group takes what it is for.
    let wrong = serde_json::json!({ "attributes": [{ "phone": PHONE, "external_id": "u",
        "subscription_groups": [{ "subscription_group_id": "acme-email", "subscription_state": "subscribed" }] }] });
    let (status, v) = s.post("/users/track", &wrong.to_string());
    assert_eq!(status, 400);
    assert!(
        v["errors"]
            .to_string()
            .contains("\\\"acme-email\\\" is an email group; expected an email"),
        "{v}"
    );
    let sms = serde_json::json!({ "subscription_group_id": "acme-sms", "subscription_state": "subscribed", "email": ["ana@example.com"] });
    let (status, v) = s.post("/subscription/status/set", &sms.to_string());
    assert_eq!(status, 400);
    assert!(
        v["errors"]
            .to_string()
            .contains("is an SMS or WhatsApp group; expected a phone number"),
        "{v}"
    );
}

#[test]
fn brazes_own_sign_up_example_with_one_string_per_id_is_accepted() {
    // ../shared/seeds/000: "external_id": "external_identifier", "phone": "+12223334444".
    let s = Sandbox::start("one-string", None);
    let body = serde_json::json!({"subscription_group_id": "acme-sms", "subscription_state": "subscribed",
        "external_id": "external_identifier", "phone": PHONE, "use_double_opt_in_logic": true});
    let (status, v) = s.post("/subscription/status/set", &body.to_string());
    assert_eq!(status, 201, "{v}");
    assert_eq!(s.state(PHONE), ("unsubscribed".into(), true), "pending, prompt sent");
}

#[test]
fn the_shared_secret_covers_every_change_and_every_read_of_personal_data() {
    let mut config: serde_json::Value = serde_json::from_str(include_str!("../sandbox.json")).unwrap();
    config["shared_secret"] = serde_json::json!("0123456789abcdef-secret");
    let mut s = Sandbox::start("secret-everywhere", Some(&config.to_string()));
    let q = PHONE.replace('+', "%2B");
    let sdk = serde_json::json!({"api_key": "guess", "attributes": [{"user_id": "u1", "phone": PHONE}],
        "events": [{"name": "sgu", "user_id": "u1", "data": {"group_id": "acme-sms", "status": "Unsubscribed"}}]});
    for (method, path, body) in [
        ("POST", "/api/v3/data/", sdk.to_string()),
        ("GET", "/sandbox/members?subscription_group_id=acme-sms", String::new()),
        ("GET", &format!("/sandbox/consent-log?phone={q}") as &str, String::new()),
        ("GET", "/sandbox/consent-log?email=a%40example.com", String::new()),
        ("GET", &format!("/sandbox/outbox?phone={q}"), String::new()),
        (
            "POST",
            "/sandbox/inbound",
            serde_json::json!({"phone": PHONE, "subscription_group_id": "acme-sms", "body": "STOP"}).to_string(),
        ),
        (
            "GET",
            &format!("/subscription/status/get?phone={q}&subscription_group_id=acme-sms"),
            String::new(),
        ),
    ] {
        let (status, v) = s.request(method, path, &[], &body);
        assert_eq!(status, 401, "{method} {path}: {v}");
    }
    for open in ["/sandbox/quota", "/verify/jwks.json", "/sandbox/relay"] {
        assert_eq!(s.request("GET", open, &[], "").0, 200, "{open}");
    }
    // The Braze Web SDK sends its key as api_key: the secret there is taken.
    let mut sdk = sdk;
    sdk["api_key"] = serde_json::json!("0123456789abcdef-secret");
    assert_eq!(s.request("POST", "/api/v3/data/", &[], &sdk.to_string()).0, 200);
    // Cross-site: a text/plain post, a foreign origin, a rebound host.
    s.secret = Some("0123456789abcdef-secret".into());
    let buy = r#"{"count": 1}"#;
    let (status, v) = s.request("POST", "/sandbox/quota/tickets", &[("Content-Type", "text/plain")], buy);
    assert!(
        status == 415 && v["message"].as_str().unwrap().contains("expected application/json"),
        "{v}"
    );
    let (status, _) = s.request(
        "POST",
        "/sandbox/quota/tickets",
        &[("Origin", "https://evil.example")],
        buy,
    );
    assert_eq!(status, 403);
    let raw = s.raw("POST", "/sandbox/quota/tickets", &[("Host", "evil.example:8080")], buy);
    assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
    let before = s.get("/sandbox/quota");
    let (status, v) = s.request(
        "POST",
        "/sandbox/quota/tickets",
        &[("Origin", "http://127.0.0.1:8080")],
        buy,
    );
    assert_eq!(status, 201, "{v}");
    assert_ne!(s.get("/sandbox/quota"), before, "the page's own origin buys");
}

#[test]
fn the_demo_server_serves_its_pages_and_the_sdk_and_nothing_else() {
    let s = Sandbox::start("static", None);
    for hidden in [
        "/server/sandbox.json",
        "/server/src/main.rs",
        "/server/Cargo.toml",
        "/braze/entry.js",
        "/cmp/entry.js",
    ] {
        let raw = s.raw("GET", hidden, &[], "");
        assert!(raw.starts_with("HTTP/1.1 404"), "{hidden}: {raw:.100}");
    }
    for page in ["/", "/phone.html", "/demo.css", "/tags/ads.js"] {
        assert!(s.raw("GET", page, &[], "").starts_with("HTTP/1.1 200"), "{page}");
    }
    // A moved binary serves no folder of its build's: it finds the project
    // from --root, and without one says so.
    let dir = common::temp("static-moved");
    let moved = dir.join("a/b/c/consentry-sandbox");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_consentry-sandbox"), &moved).unwrap();
    let out = std::process::Command::new(&moved)
        .args(["--port", "0", "--db"])
        .arg(dir.join("s.db"))
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("cannot find the demo's files"),
        "{err}"
    );
    let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut command = std::process::Command::new(&moved);
    command
        .args(["--port", "0", "--root"])
        .arg(&project)
        .arg("--db")
        .arg(dir.join("s.db"));
    let from_root = Sandbox::launch(command, dir.join("s.db"), dir.join("sandbox.json"));
    let answer = from_root.raw("GET", "/", &[], "");
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("<html"),
        "{answer:.200}"
    );
}

#[test]
fn the_sandbox_cuts_off_a_request_whose_headers_never_finish() {
    let s = Sandbox::start("slowloris", None);
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(b"GET /sandbox/quota HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        .unwrap();
    let started = std::time::Instant::now();
    c.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let mut answer = Vec::new();
    let _ = c.read_to_end(&mut answer);
    let waited = started.elapsed();
    // Cut off at the 10 s header timeout (before, it stayed open 45 s and more).
    assert!(
        waited >= std::time::Duration::from_secs(9) && waited < std::time::Duration::from_secs(15),
        "{waited:?}"
    );
}
