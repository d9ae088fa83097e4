//! Issue 15 over real HTTP: phone verification paid from the quota,
//! re-login, tickets, and messages to members with the per-country rules,
//! against the sandbox binary with a temporary database.

use common::{subscribe, Sandbox, PHONE};
use consentry_testkit as common;
use serde_json::{json, Value};

/// The code in the latest text to `phone`.
fn code(s: &Sandbox, phone: &str) -> String {
    let texts = s.outbox(phone);
    let last = texts.last().expect("a text");
    last.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {last:?}"))
        .to_string()
}

fn start(s: &Sandbox, phone: &str, purpose: &str) -> (u16, Value) {
    s.post(
        "/verify/start",
        &json!({ "phone": phone, "purpose": purpose, "locale": "en-US" }).to_string(),
    )
}

fn check(s: &Sandbox, phone: &str, code: &str) -> (u16, Value) {
    s.post("/verify/check", &json!({ "phone": phone, "code": code }).to_string())
}

fn advance(s: &Sandbox, ms: i64) {
    let (status, v) = s.post("/sandbox/clock", &json!({ "advance_ms": ms }).to_string());
    assert_eq!(status, 200, "{v}");
}

fn used(s: &Sandbox, kind: &str) -> i64 {
    s.get("/sandbox/quota")["used"][kind].as_i64().unwrap()
}

#[test]
fn sign_up_log_in_again_with_a_new_code_each_paid_from_the_quota() {
    let s = Sandbox::with_clock("verify");
    // Logging in before signing up is refused, and costs nothing.
    assert_eq!(start(&s, PHONE, "login").1["error"], "not_registered");
    let (status, v) = start(&s, PHONE, "signup");
    assert_eq!((status, v["status"].as_str()), (201, Some("pending")), "{v}");
    let first = code(&s, PHONE);
    assert_eq!(s.outbox(PHONE).last().unwrap(), &format!("[Acme] Your code is {first}"));
    let (status, v) = check(&s, PHONE, &first);
    assert_eq!((status, v["status"].as_str()), (200, Some("approved")), "{v}");
    // The token verifies against the service's public key.
    let (status, claims) = s.post("/verify/token", &json!({ "token": v["token"] }).to_string());
    assert_eq!(status, 200, "{claims}");
    assert_eq!(
        (claims["claims"]["sub"].as_str(), claims["claims"]["purpose"].as_str()),
        (Some(PHONE), Some("signup"))
    );
    let jwks = s.get("/verify/jwks.json");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    // A used code does not log in again; signing up twice is refused.
    assert_eq!(check(&s, PHONE, &first).1["error"], "no_code");
    assert_eq!(start(&s, PHONE, "signup").1["error"], "already_registered");
    // After a logout, logging in needs a new code, which costs a message.
    advance(&s, 30_000);
    assert_eq!(start(&s, PHONE, "login").0, 201);
    let second = code(&s, PHONE);
    let (status, v) = check(&s, PHONE, &second);
    assert_eq!((status, v["purpose"].as_str()), (200, Some("login")), "{v}");
    assert_eq!(used(&s, "verification"), 2);
    assert_eq!(s.get("/sandbox/quota")["remaining"], 998);
    let members = s.get("/sandbox/members?subscription_group_id=acme-sms");
    assert_eq!(members["members"][0]["verified"], true, "{members}");
    // From a page, the text ends with WebOTP's line for the page's host.
    let other = "+14155550188";
    let body = json!({ "phone": other, "purpose": "signup", "locale": "ko" }).to_string();
    let (status, _) = s.request(
        "POST",
        "/verify/start",
        &[("Origin", "http://shop.site.test:8443")],
        &body,
    );
    assert_eq!(status, 201);
    let c = code(&s, other);
    assert_eq!(
        s.outbox(other).last().unwrap(),
        &format!("[Acme] 인증번호는 {c}입니다.\n\n@shop.site.test #{c}")
    );
}

#[test]
fn wrong_expired_and_exhausted_codes_and_the_sending_limits() {
    let s = Sandbox::with_clock("verify-limits");
    start(&s, PHONE, "signup");
    let right = code(&s, PHONE);
    let wrong = if right == "000000" { "000001" } else { "000000" };
    for left in (0..5).rev() {
        let (status, v) = check(&s, PHONE, wrong);
        assert_eq!((status, v["checks_left"].as_i64()), (422, Some(left)), "{v}");
    }
    // Five checks used: even the right code fails now.
    assert_eq!(check(&s, PHONE, &right).1["error"], "too_many_checks");
    // One code per 30 s, with the wait in Retry-After.
    let (status, v) = start(&s, PHONE, "signup");
    assert_eq!((status, v["error"].as_str()), (429, Some("resend_too_soon")), "{v}");
    assert!(v["retry_after_seconds"].as_u64().unwrap() <= 30);
    advance(&s, 30_000);
    start(&s, PHONE, "signup");
    let fresh = code(&s, PHONE);
    advance(&s, 600_000);
    assert_eq!(check(&s, PHONE, &fresh).1["error"], "code_expired");
    // Five codes an hour.
    for _ in 0..3 {
        advance(&s, 30_000);
        assert_eq!(start(&s, PHONE, "signup").0, 201);
    }
    advance(&s, 30_000);
    let (status, v) = start(&s, PHONE, "signup");
    assert_eq!((status, v["error"].as_str()), (429, Some("too_many_codes")), "{v}");
    // A landline cannot receive the text; nothing is sent or paid.
    let (status, v) = start(&s, "+442079460000", "signup");
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("cannot_receive_texts")),
        "{v}"
    );
    // Bad requests name the field.
    let (status, v) = s.post(
        "/verify/start",
        &json!({ "phone": PHONE, "purpose": "register" }).to_string(),
    );
    assert_eq!(status, 400);
    assert!(
        v["errors"][0].as_str().unwrap().contains("purpose is \"register\""),
        "{v}"
    );
    let (status, v) = check(&s, PHONE, "12345");
    assert_eq!(status, 400);
    assert!(v["errors"][0].as_str().unwrap().contains("6 digits"), "{v}");
    assert_eq!(used(&s, "verification"), 5);
}

#[test]
fn no_code_goes_out_when_the_quota_cannot_pay_and_tickets_add_to_it() {
    let config = r#"{"quota_tickets": 0, "groups": [{"id": "acme-sms", "name": "Acme Alerts", "channel": "sms"}]}"#;
    let s = Sandbox::start("verify-quota", Some(config));
    let (status, v) = start(&s, PHONE, "signup");
    assert_eq!((status, v["error"].as_str()), (402, Some("quota_exhausted")), "{v}");
    assert!(s.outbox(PHONE).is_empty());
    let (status, q) = s.post("/sandbox/quota/tickets", r#"{"count": 2}"#);
    assert_eq!(
        (status, q["total"].as_i64(), q["remaining"].as_i64()),
        (201, Some(2000), Some(2000)),
        "{q}"
    );
    assert_eq!(q["tickets"][1]["source"], "purchase");
    assert!(q.get("warning").is_none());
    assert_eq!(start(&s, PHONE, "signup").0, 201);
    for bad in [r#"{"count": 0}"#, r#"{"count": "2"}"#, r#"{"count": 1000}"#] {
        assert_eq!(s.post("/sandbox/quota/tickets", bad).0, 400, "{bad}");
    }
    // The quota lives in the database: a restart keeps the purchase.
    let (db, config) = (s.db.clone(), s.config.clone());
    drop(s);
    let again = Sandbox::run(db, config);
    let q = again.get("/sandbox/quota");
    assert_eq!(
        (q["total"].as_i64(), q["used"]["verification"].as_i64()),
        (Some(2000), Some(1)),
        "{q}"
    );
}

/// The demo configuration with US quiet hours and the test clock, and
/// numbers `subscribed`, one pending and one unsubscribed.
fn members_sandbox(name: &str, subscribed: &[&str]) -> Sandbox {
    let s = Sandbox::with_clock(name);
    for phone in subscribed {
        assert_eq!(s.post("/subscription/status/set", &subscribe(phone, false)).0, 201);
    }
    s.post("/subscription/status/set", &subscribe("+14155550111", true));
    s.post("/subscription/status/set", &subscribe("+14155550122", false));
    s.reply("+14155550122", "STOP");
    s
}

fn message(s: &Sandbox, body: Value) -> (u16, Value) {
    s.post("/sandbox/messages", &body.to_string())
}

/// Ms from the sandbox's now to the next `hour`:00 UTC.
fn until_hour(s: &Sandbox, hour: i64) -> i64 {
    let now = s.get("/sandbox/clock")["now"].as_i64().unwrap();
    let day = 86_400_000;
    let target = now - now.rem_euclid(day) + hour * 3_600_000;
    if target > now {
        target - now
    } else {
        target + day - now
    }
}

#[test]
fn a_scheduled_message_reaches_only_the_subscribed_numbers() {
    let s = members_sandbox("messages", &["+14155550100", "+14155550133"]);
    // 19:00 UTC: daytime in every US zone.
    advance(&s, until_hour(&s, 19));
    let before = s.get("/sandbox/quota")["remaining"].as_i64().unwrap();
    let now = s.get("/sandbox/clock")["now"].as_i64().unwrap();
    let send_at = consentry_sandbox::messages::iso(now + 3_600_000);
    let text = "Acme: the winter sale starts today. Reply STOP to opt out.";
    let (status, v) = message(
        &s,
        json!({ "subscription_group_id": "acme-sms", "to": "all", "from": "+14155550100", "text": text, "send_at": send_at }),
    );
    assert_eq!(
        (status, v["recipients"].as_i64(), v["refused"].as_i64()),
        (201, Some(2), Some(2)),
        "{v}"
    );
    let id = v["id"].as_i64().unwrap();
    assert!(s.outbox("+14155550133").is_empty(), "nothing before send_at");
    advance(&s, 3_600_000);
    let list = s.get("/sandbox/messages");
    let m = &list["messages"][0];
    assert_eq!(
        (m["id"].as_i64(), m["status"].as_str()),
        (Some(id), Some("sent")),
        "{m}"
    );
    let status_of = |phone: &str| {
        m["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["phone"] == phone)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of("+14155550100").as_deref(), Some("sent"));
    assert_eq!(status_of("+14155550133").as_deref(), Some("sent"));
    assert_eq!(
        status_of("+14155550111").as_deref(),
        Some("refused"),
        "pending never receives"
    );
    assert_eq!(
        status_of("+14155550122").as_deref(),
        Some("refused"),
        "unsubscribed never receives"
    );
    assert_eq!(s.outbox("+14155550133").last().map(String::as_str), Some(text));
    assert!(!s.outbox("+14155550111").iter().any(|t| t == text));
    assert_eq!(s.get("/sandbox/quota")["remaining"].as_i64().unwrap(), before - 2);
    assert_eq!(used(&s, "members"), 2);
    // Listed by hand, a pending number still does not receive it.
    let (status, v) = message(
        &s,
        json!({ "subscription_group_id": "acme-sms", "to": ["+14155550111"], "from": "+14155550100", "text": "Hi" }),
    );
    assert_eq!((status, v["recipients"].as_i64()), (201, Some(0)), "{v}");
}

#[test]
fn a_scheduled_message_can_be_cancelled_and_quiet_hours_defer_it() {
    let s = members_sandbox("messages-cancel", &["+14155550100"]);
    advance(&s, until_hour(&s, 19));
    let now = s.get("/sandbox/clock")["now"].as_i64().unwrap();
    let later = consentry_sandbox::messages::iso(now + 600_000);
    let body = json!({ "subscription_group_id": "acme-sms", "to": "all", "from": "+14155550100", "text": "Sale!", "send_at": later });
    let id = message(&s, body).1["id"].as_i64().unwrap();
    let (status, v) = s.request("DELETE", &format!("/sandbox/messages/{id}"), &[], "");
    assert_eq!((status, v["status"].as_str()), (200, Some("cancelled")), "{v}");
    advance(&s, 600_000);
    assert!(s.outbox("+14155550100").is_empty(), "a cancelled message is not sent");
    // 04:00 UTC is 23:00 in New York: promotional texts wait for 18:00 UTC
    // (8:00 in Hawaii); a transactional one goes now.
    advance(&s, until_hour(&s, 4));
    let body =
        json!({ "subscription_group_id": "acme-sms", "to": "all", "from": "+14155550100", "text": "Sale tonight!" });
    let id = message(&s, body).1["id"].as_i64().unwrap();
    let list = s.get("/sandbox/messages");
    let r = &list["messages"][0]["recipients"][0];
    assert_eq!(
        (list["messages"][0]["id"].as_i64(), r["status"].as_str()),
        (Some(id), Some("deferred")),
        "{r}"
    );
    assert!(r["deferred_until"].as_str().unwrap().ends_with("T18:00:00Z"), "{r}");
    assert_eq!(s.request("DELETE", &format!("/sandbox/messages/{id}"), &[], "").0, 200);
    let body = json!({ "subscription_group_id": "acme-sms", "to": "all", "from": "+14155550100", "text": "Your order shipped", "advertising": false });
    message(&s, body);
    assert_eq!(
        s.outbox("+14155550100").last().map(String::as_str),
        Some("Your order shipped")
    );
}

#[test]
fn messages_are_refused_whole_with_the_rule_named() {
    let s = members_sandbox("messages-rules", &["+14155550100", "+821012345678"]);
    let body = |from: &str, text: &str| json!({ "subscription_group_id": "acme-sms", "to": "all", "from": from, "text": text });
    let rule = |v: (u16, Value)| (v.0, v.1["rule"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        rule(message(&s, body("+14155559999", "Hi"))),
        (422, "unregistered_sender".into())
    );
    assert_eq!(
        rule(message(&s, body("+14155550100", &"x".repeat(80)))),
        (422, "text_length".into())
    );
    // A Korean recipient: the advertising rules apply to the text.
    assert_eq!(
        rule(message(&s, body("+82212345678", "겨울 세일"))),
        (422, "kr_advertising_prefix".into())
    );
    assert_eq!(
        rule(message(
            &s,
            body("+82212345678", "(광고) 겨울 세일 무료수신거부 0801234567")
        )),
        (422, "kr_advertising_sender".into())
    );
    assert_eq!(
        rule(message(&s, body("+82212345678", "(광고) 에이크미 겨울 세일"))),
        (422, "kr_advertising_opt_out".into())
    );
    let (status, v) = message(
        &s,
        body("+82212345678", "(광고) 에이크미 겨울 세일 무료수신거부 0801234567"),
    );
    assert_eq!(status, 201, "{v}");
    // Types and values are named in the 400.
    let (status, v) = message(
        &s,
        json!({ "subscription_group_id": "acme-sms", "to": ["555"], "from": "+14155550100", "text": "Hi", "send_at": "tomorrow" }),
    );
    assert_eq!(status, 400);
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("to[0]") && errors.contains("send_at is \\\"tomorrow\\\""),
        "{errors}"
    );
}

#[test]
fn a_batch_the_quota_cannot_pay_for_is_refused_whole() {
    let config = r#"{"quota_tickets": 0, "senders": [{"number": "+14155550100", "name": "Acme"}], "message_rules": {"us_quiet_hours": false},
        "groups": [{"id": "acme-sms", "name": "Acme Alerts", "channel": "sms"}]}"#;
    let s = Sandbox::start("messages-quota", Some(config));
    let import = "external_id,phone,subscription_group_id,state\nu1,+14155550100,acme-sms,subscribed\nu2,+14155550133,acme-sms,subscribed\n";
    assert_eq!(s.post("/sandbox/import", import).0, 201);
    let body = json!({ "subscription_group_id": "acme-sms", "to": "all", "from": "+14155550100", "text": "Sale!" });
    let (status, v) = message(&s, body.clone());
    assert_eq!(
        (status, v["rule"].as_str(), v["needed"].as_i64()),
        (402, Some("quota"), Some(2)),
        "{v}"
    );
    assert!(
        s.get("/sandbox/messages")["messages"].as_array().unwrap().is_empty(),
        "nothing was queued"
    );
    s.post("/sandbox/quota/tickets", r#"{"count": 1}"#);
    assert_eq!(message(&s, body).0, 201);
    assert_eq!(s.outbox("+14155550133").last().map(String::as_str), Some("Sale!"));
}

#[test]
fn the_composers_counter_a_sent_message_and_the_shared_secret() {
    let config = r#"{"quota_tickets": 1, "shared_secret": "0123456789abcdef-secret", "senders": [{"number": "+14155550100", "name": "Acme"}],
        "message_rules": {"us_quiet_hours": false}, "groups": [{"id": "acme-sms", "name": "Acme Alerts", "channel": "sms"}]}"#;
    let mut s = Sandbox::start("messages-admin", Some(config));
    // What a text costs: GSM-7, UCS-2, and Korean numbers by bytes.
    let seg = |s: &Sandbox, text: &str, phone: &str| {
        s.get(&format!(
            "/sandbox/segments?text={text}&phone={}",
            phone.replace('+', "%2B")
        ))["segments"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(seg(&s, &"a".repeat(160), PHONE), 1);
    assert_eq!(seg(&s, &"a".repeat(161), PHONE), 2);
    assert_eq!(
        seg(&s, &"%ED%95%9C".repeat(41), "+821012345678"),
        2,
        "41 Hangul are 82 bytes"
    );
    // The admin endpoints and the reads of people's data need the secret.
    let body =
        json!({ "subscription_group_id": "acme-sms", "to": "all", "from": "+14155550100", "text": "Hi" }).to_string();
    assert_eq!(s.post("/sandbox/messages", &body).0, 401);
    assert_eq!(s.post("/sandbox/quota/tickets", r#"{"count": 1}"#).0, 401);
    assert_eq!(s.request("GET", "/sandbox/messages", &[], "").0, 401);
    s.secret = Some("0123456789abcdef-secret".into());
    s.post(
        "/sandbox/import",
        "external_id,phone,subscription_group_id,state\nu1,+14155550100,acme-sms,subscribed\n",
    );
    let (status, v) = s.post("/sandbox/messages", &body);
    assert_eq!((status, v["status"].as_str()), (201, Some("queued")), "{v}");
    // Sent already: it cannot be cancelled.
    let (status, v) = s.request("DELETE", &format!("/sandbox/messages/{}", v["id"]), &[], "");
    assert_eq!(status, 409, "{v}");
    assert_eq!(s.request("DELETE", "/sandbox/messages/999", &[], "").0, 404);
    assert_eq!(s.request("DELETE", "/sandbox/messages/x", &[], "").0, 400);
}

#[test]
fn a_guesser_gets_a_budget_of_wrong_codes_across_numbers_and_tokens_name_their_site() {
    let mut config: Value = serde_json::from_str(include_str!("../sandbox.json")).unwrap();
    config["verification"]["max_failed_checks_per_ip"] = json!(3);
    config["verification"]["audience"] = json!("shop.example");
    let s = Sandbox::start("verify-budget", Some(&config.to_string()));
    // Three numbers, one wrong guess each, then even a fourth's is refused
    // before it is checked: no five tries at every number one can name.
    let phones = ["+14155550161", "+14155550162", "+14155550163", "+14155550164"];
    for p in &phones {
        assert_eq!(start(&s, p, "signup").0, 201);
    }
    for p in &phones[..3] {
        let wrong = if code(&s, p) == "000000" { "000001" } else { "000000" };
        assert_eq!(check(&s, p, wrong).0, 422);
    }
    let right = code(&s, phones[3]);
    let (status, v) = check(&s, phones[3], &right);
    assert_eq!(
        (status, v["error"].as_str()),
        (429, Some("too_many_failed_checks")),
        "{v}"
    );
    assert!(v["retry_after_seconds"].as_u64().unwrap() > 3000);
    // The token names its site; the sandbox checks it.
    let other = Sandbox::start("verify-budget-other", None);
    assert_eq!(start(&other, PHONE, "signup").0, 201);
    let (status, v) = check(&other, PHONE, &code(&other, PHONE));
    assert_eq!(status, 200, "{v}");
    let (status, claims) = other.post("/verify/token", &json!({ "token": v["token"] }).to_string());
    assert_eq!(
        (status, claims["claims"]["aud"].as_str()),
        (200, Some("consentry-demo"))
    );
}
