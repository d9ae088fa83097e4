//! The gate's string protocol, natively: what `js/facade.js` sends and
//! what it gets back. The browser side is `tests/e2e/api.test.mjs`.
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]

use consentry::json::{parse, Value};
use consentry_gate::{op, Gate};

const ID: &str = "0123456789abcdef0123456789abcdef";

fn answer(g: &mut Gate, op: u32, arg: &str) -> Value {
    let text = g.call(op, arg, 1_700_000_000_000.0);
    parse(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn error(v: &Value) -> Option<&str> {
    match v.get("error") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// The `START` argument: `config` (JSON), what the cookie, localStorage
/// and sessionStorage hold (JSON, each: `[adobe, consentry]`, `null` or
/// `false`), the host.
fn start_arg(config: &str, places: [&str; 3], host: &str) -> String {
    let [cookie, local, session] = places;
    format!("[{config},false,\"{ID}\",\"{host}\",[{cookie},{local},{session}]]")
}

/// A started gate: `config` (JSON), the stored texts (JSON) in every place,
/// the host.
fn started(config: &str, stored: &str, host: &str) -> (Gate, Value) {
    let mut g = Gate::default();
    let start = answer(&mut g, op::START, &start_arg(config, [stored; 3], host));
    assert!(error(&start).is_none(), "{start:?}");
    (g, start)
}

/// A place holding Adobe's value `adobe` alone, as JSON.
fn place(adobe: &str) -> String {
    format!("[{},null]", Value::String(adobe.into()).to_json())
}

/// The `write` of an answer: the texts to store, as JSON (a place's
/// shape); its Adobe value.
fn write(a: &Value) -> (String, String) {
    match a.get("write") {
        Some(w @ Value::Array(texts)) => match texts.first() {
            Some(Value::String(adobe)) => (w.to_json(), adobe.clone()),
            _ => panic!("{a:?}"),
        },
        _ => panic!("no write in {a:?}"),
    }
}

fn permission(state: &Value, name: &str) -> Option<bool> {
    match state.get("permissions")?.get(name)? {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

#[test]
fn the_record_is_read_from_where_the_configuration_keeps_it() {
    let choice = place(r#"{"aa":true}"#);
    for (config, store, place) in [
        ("{}", "-1", 3),
        (r#"{"isOptInStorageEnabled":true}"#, "0", 0),
        (r#"{"isOptInStorageEnabled":true,"storage":"localStorage"}"#, "1", 1),
        (
            r#"{"isOptInStorageEnabled":true,"storage":"localStorage","optInStorageExpiry":"SESSION"}"#,
            "2",
            2,
        ),
    ] {
        let config = config.replace('{', r#"{"doesOptInApply":true,"#).replace(",}", "}");
        for i in 0..3 {
            let mut places = ["null"; 3];
            places[i] = &choice;
            let mut g = Gate::default();
            let a = answer(&mut g, op::START, &start_arg(&config, places, "example.com"));
            assert_eq!(a.get("store").map(Value::to_json).as_deref(), Some(store), "{config}");
            assert_eq!(
                permission(&a, "aa"),
                Some(i == place),
                "{config}: the record in place {i}"
            );
        }
        // A place that could not be read is reported, and approves nothing.
        let mut g = Gate::default();
        let a = answer(&mut g, op::START, &start_arg(&config, ["false"; 3], "example.com"));
        let warned = a.get("warnings").map(Value::to_json).unwrap_or_default();
        assert_eq!(warned.contains("stored consent"), place < 3, "{config}: {warned}");
    }
}

#[test]
fn a_bad_configuration_is_refused_naming_the_key_and_the_gate_stays_unstarted() {
    for (config, message) in [
        (
            r#"{"optInStorageExpiry":"week"}"#,
            r#"config.optInStorageExpiry is "week""#,
        ),
        (r#"{"tcf":{"timeout":-1}}"#, "config.tcf.timeout is -1"),
        (r#"{"tcf":{"rules":{"nope":{}}}}"#, "config.tcf.rules.nope is {}"),
        (
            r#"{"consentMode":{"ad_storage":["nope"]}}"#,
            r#"config.consentMode.ad_storage: unknown category "nope" (known: aam, adcloud,"#,
        ),
        (
            r#"{"gpc":{"sale":["aa","nope"]}}"#,
            r#"config.gpc.sale: unknown category "nope" (known: aam,"#,
        ),
        (
            r#"{"doesOptinApply":true}"#,
            r#"unknown config key "doesOptinApply"; did you mean "doesOptInApply"?"#,
        ),
        ("7", "config is 7; expected an object"),
    ] {
        let mut g = Gate::default();
        let a = answer(&mut g, op::START, &start_arg(config, ["null"; 3], "example.com"));
        let e = error(&a).unwrap_or_else(|| panic!("{config} accepted"));
        assert!(e.starts_with(message), "{e:?} should start with {message:?}");
        let after = answer(&mut g, op::COMPLETE, "0");
        assert_eq!(
            error(&after),
            Some("called before START"),
            "{config}: started after a refused config"
        );
    }
}

#[test]
fn a_commit_answers_the_cookie_to_write_and_a_new_page_reads_it() {
    let config = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"sameSiteCookie":"Strict"}"#;
    let (mut g, start) = started(config, "null", "www.shop.example.com");
    assert_eq!(start.get("status"), Some(&Value::String("pending".into())));
    assert_eq!(start.get("answer"), Some(&Value::Bool(false)));
    assert_eq!(
        start.get("probe").map(Value::to_json).as_deref(),
        Some(r#"["example.com","shop.example.com","www.shop.example.com"]"#),
        "the shell probes from the top-most domain down"
    );
    let staged = answer(&mut g, op::APPROVE, r#"[["aa"],true]"#);
    assert_eq!(staged.get("status"), Some(&Value::String("changed".into())));
    assert!(staged.get("changes").is_none() && staged.get("write").is_none());
    assert_eq!(permission(&staged, "aa"), Some(false), "staged changes stay invisible");
    let done = answer(&mut g, op::COMPLETE, "0");
    assert_eq!(
        done.get("changes").map(Value::to_json).as_deref(),
        Some(r#"{"aa":true}"#)
    );
    let (write, adobe) = write(&done);
    assert!(
        adobe.starts_with(r#"{"aam":false,"adcloud":false,"aa":true"#),
        "{adobe}"
    );
    assert!(
        write.ends_with(&format!(r#",\"id\":\"{ID}\",\"choice\":{{}}}}"]"#)),
        "Consentry's value: {write}"
    );
    assert_eq!(
        start.get("cookie"),
        Some(&Value::String("; path=/; max-age=34190000; SameSite=Strict".into())),
        "the attributes the shell writes the cookie with"
    );
    assert_eq!(
        done.get("record").and_then(|r| r.get("consentId")),
        Some(&Value::String(ID.into()))
    );
    // The next page reads it (the shell decodes the cookie's value).
    let (_, again) = started(config, &write, "www.shop.example.com");
    assert_eq!(permission(&again, "aa"), Some(true));
    assert_eq!(again.get("status"), Some(&Value::String("complete".into())));
}

#[test]
fn a_configured_domain_is_in_the_cookie_and_nothing_is_probed() {
    let config = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"optInCookieDomain":"example.com"}"#;
    let (_, start) = started(config, "null", "www.example.com");
    assert!(start.get("probe").is_none());
    let Some(Value::String(cookie)) = start.get("cookie") else {
        panic!("{start:?}")
    };
    assert!(cookie.contains("; domain=example.com"), "{cookie}");
}

#[test]
fn local_storage_gets_the_record_text() {
    let config = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"storage":"localStorage"}"#;
    let (mut g, _) = started(config, "null", "example.com");
    let done = answer(&mut g, op::DENY, r#"[null,false]"#);
    let (text, adobe) = write(&done);
    assert!(adobe.starts_with(r#"{"aam":false"#), "{adobe}");
    let (_, again) = started(config, &text, "example.com");
    assert_eq!(again.get("status"), Some(&Value::String("complete".into())));
}

#[test]
fn corrupt_and_foreign_records_never_approve() {
    let config = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#;
    for text in [
        place(r#"{"aa":"yes"}"#),
        place("not-json"),
        place(r#"["aa",true]"#),
        place("{\"aa\":true\u{FFFD}"),
        r#"["{\"aa\":true}","{\"v\":99}"]"#.into(),
        r#"["{\"aa\":true}","nope"]"#.into(),
    ] {
        let (_, start) = started(config, &text, "example.com");
        assert_eq!(permission(&start, "aa"), Some(false), "{text}");
    }
}

#[test]
fn wrong_arguments_are_refused_and_change_nothing() {
    let (mut g, _) = started(r#"{"doesOptInApply":true}"#, "null", "example.com");
    for (op, arg, message) in [
        (
            op::APPROVE,
            r#"[["foo"],false]"#,
            r#"unknown category "foo" (known: aam,"#,
        ),
        (op::APPROVE, r#"[[],false]"#, "expected a category or a non-empty array"),
        (op::DENY, r#"[5,false]"#, "5; expected a category or an array"),
        (op::APPROVE, r#"[["aa"],"yes"]"#, "[[\"aa\"],\"yes\"]; expected"),
        (op::MEMOIZE, r#"{"aa":true}"#, r#"key "aa" is reserved"#),
        (op::MEMOIZE, r#"{"consentry":1}"#, r#"key "consentry" is reserved"#),
        (op::MEMOIZE, r#"[1]"#, "[1]; expected an object"),
        (op::MEMO, "3", "3; expected a string"),
        (op::IS_APPROVED, "true", "true; expected"),
        (op::APPLY, r#""x""#, "config.applyCmp is \"x\""),
        (op::TAG, "1", "1; expected a string"),
        (op::INTEGRATIONS, "[]", "[]; expected [cookie"),
        (99, "0", "unknown operation"),
        (op::START, "0", "0; expected [config"),
        (op::APPROVE, "not json", "invalid JSON"),
    ] {
        let a = answer(&mut g, op, arg);
        let e = error(&a).unwrap_or_else(|| panic!("{op} {arg} accepted"));
        assert!(e.starts_with(message), "{e:?} should start with {message:?}");
    }
    let state = answer(&mut g, op::COMPLETE, "0");
    assert_eq!(state.get("status"), Some(&Value::String("pending".into())));
}

#[test]
fn memoized_content_is_kept_beside_the_permissions() {
    let config = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"storage":"localStorage"}"#;
    let (mut g, _) = started(config, "null", "example.com");
    let a = answer(&mut g, op::MEMOIZE, r#"{"iabConsentHash":"h1","n":{"x":[1,2.5]}}"#);
    let (text, _) = write(&a);
    assert!(text.ends_with(",null]"), "no choice, so no Consentry value: {text}");
    let (mut again, start) = started(config, &text, "example.com");
    assert_eq!(
        start.get("status"),
        Some(&Value::String("pending".into())),
        "memos are no choice"
    );
    let n = answer(&mut again, op::MEMO, r#""n""#);
    assert_eq!(n.get("value").map(Value::to_json).as_deref(), Some(r#"{"x":[1,2.5]}"#));
    assert_eq!(answer(&mut again, op::MEMO, r#""missing""#).to_json(), "{}");
}

#[test]
fn queries_tags_and_integrations_follow_the_permissions() {
    let config = r#"{"doesOptInApply":true,"preOptInApprovals":{"target":true},
        "cookies":{"aa":["_ga*"]},"consentMode":{"analytics_storage":["aa"],"security_storage":true}}"#;
    let (mut g, start) = started(config, "null", "example.com");
    assert_eq!(
        start.get("answer"),
        Some(&Value::Bool(true)),
        "pre-opt-in answers at once"
    );
    assert_eq!(answer(&mut g, op::IS_APPROVED, r#"["target"]"#), Value::Bool(true));
    assert_eq!(answer(&mut g, op::IS_APPROVED, r#"[]"#), Value::Bool(false));
    assert_eq!(
        answer(&mut g, op::IS_PRE_APPROVED, r#"["target","aa"]"#),
        Value::Bool(false)
    );
    assert_eq!(answer(&mut g, op::TAG, r#""target !aa""#), Value::Bool(true));
    let Value::String(warning) = answer(&mut g, op::TAG, r#""nope""#) else {
        panic!()
    };
    assert!(
        warning.contains("unknown category \"nope\"; the tag never runs"),
        "{warning}"
    );
    let page = answer(
        &mut g,
        op::INTEGRATIONS,
        r#"["_ga=1; _gid=2","www.example.com","/a/b",false]"#,
    );
    assert_eq!(
        page.get("consent").map(Value::to_json).as_deref(),
        Some(r#"{"analytics_storage":"denied","security_storage":"granted"}"#)
    );
    let Some(Value::Array(cookies)) = page.get("cookies") else {
        panic!("{page:?}")
    };
    assert!(
        cookies
            .iter()
            .any(|c| c == &Value::String("_ga=; max-age=0; path=/".into())),
        "{cookies:?}"
    );
    answer(&mut g, op::APPLY, r#"{"aa":true}"#);
    let page = answer(&mut g, op::INTEGRATIONS, r#"["_ga=1","example.com","/",true]"#);
    assert_eq!(page.get("cookies").map(Value::to_json).as_deref(), Some("[]"));
}

#[test]
fn tcf_is_validated_at_start_and_handed_over_only_when_tcf_starts() {
    let tcf = r#""tcf":{"timeout":500,"rules":{"aa":{"purposes":[1]}}}"#;
    let (_, on) = started(
        &format!(r#"{{"doesOptInApply":true,"isIabContext":true,{tcf}}}"#),
        "null",
        "a.b",
    );
    assert_eq!(
        on.get("tcf").map(Value::to_json).as_deref(),
        Some("[500,2,1,1,0,0]"),
        "timeout 500; aa (2): purpose 1, no vendors, no special features"
    );
    let (_, plain) = started(r#"{"doesOptInApply":true,"isIabContext":true}"#, "null", "a.b");
    assert_eq!(
        plain.get("tcf").map(Value::to_json).as_deref(),
        Some("[3000,0,2,1,10,1,565,0,4,2,1,10,1,565,0]"),
        "Adobe's rules: aam and ecid need vendor 565 with purposes 1 and 10"
    );
    let (_, off) = started(&format!(r#"{{"doesOptInApply":true,{tcf}}}"#), "null", "a.b");
    assert!(off.get("tcf").is_none());
}

#[test]
fn site_categories_follow_adobes_and_opt_in_off_answers_at_once() {
    let (_, start) = started(r#"{"categories":["sms","push-news"]}"#, "null", "a.b");
    let names = start.get("permissions").map(Value::to_json).unwrap_or_default();
    assert!(
        names.starts_with(r#"{"aam":true,"#) && names.ends_with(r#""sms":true,"push-news":true}"#),
        "{names}"
    );
    assert_eq!(start.get("answer"), Some(&Value::Bool(true)));
}

#[test]
fn no_input_can_panic_the_gate_and_every_answer_is_json() {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let pieces = [
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        "null",
        "true",
        "false",
        "\"aa\"",
        "\"\\ud800\"",
        "1",
        "-1",
        "1e999",
        "\"x\"",
        "[\"aa\"]",
        "{\"aa\":true}",
        "\"adobeujs-optin=%7B\"",
        "{\"doesOptInApply\":true}",
        " ",
        "\"accept\"",
        "\"save\"",
        "\"US-CA\"",
        "{\"analytics\":true}",
    ];
    // Half of the runs with a banner, whose operations (CHOOSE, REGION) come in too.
    let configs = [
        r#"{"doesOptInApply":true}"#,
        r#"{"categories":["analytics"],"ui":{"regions":{"EU":"opt-in","US-CA":"opt-out"},"regionUrl":"/region"}}"#,
    ];
    for run in 0..3000 {
        let mut g = Gate::default();
        let _ = g.call(op::START, &start_arg(configs[run % 2], ["null"; 3], "example.com"), 0.0);
        for _ in 0..4 {
            let arg: String = (0..next(6)).map(|_| pieces[next(pieces.len())]).collect();
            let text = g.call(next(14) as u32, &arg, f64::from(next(1000) as u32));
            assert!(parse(&text).is_ok(), "{arg} -> {text}");
        }
    }
}

#[test]
fn the_banner_is_told_what_to_show_and_its_buttons_and_region_commit_in_the_core() {
    let config = r#"{"categories":["necessary","analytics"],"isOptInStorageEnabled":true,
        "ui":{"necessary":["necessary"],"regions":{"EU":"opt-in","US-CA":"opt-out"},"regionUrl":"/region"}}"#;
    let (mut g, start) = started(config, "null", "shop.example");
    let text = |v: &Value, k: &str| v.get(k).map(Value::to_json);
    assert_eq!(
        text(&start, "policy").as_deref(),
        Some(r#""opt-in""#),
        "unknown region: the strictest"
    );
    assert_eq!(text(&start, "ask").as_deref(), Some("true"));
    assert_eq!(text(&start, "locate").as_deref(), Some(r#""/region""#));
    assert_eq!(text(&start, "shown").as_deref(), Some(r#"["necessary","analytics"]"#));
    assert_eq!(text(&start, "necessary").as_deref(), Some(r#"["necessary"]"#));
    assert!(start
        .get("cookie")
        .map(Value::to_json)
        .is_some_and(|c| c.contains("max-age=34190000")));

    // The relay's answer: California opts out, so everything turns on, and nothing is stored.
    let located = answer(&mut g, op::REGION, r#""US-CA""#);
    assert_eq!(permission(&located, "analytics"), Some(true));
    assert_eq!(text(&located, "ask").as_deref(), Some("false"));
    assert!(located.get("write").is_none() && located.get("locate").is_none());
    assert!(error(&answer(&mut g, op::REGION, r#""california""#)).is_some());

    // Reject all: only the necessary, written for the next page, which does not ask.
    let rejected = answer(&mut g, op::CHOOSE, r#"["reject",{}]"#);
    assert_eq!(
        (permission(&rejected, "necessary"), permission(&rejected, "analytics")),
        (Some(true), Some(false))
    );
    let (stored, _) = write(&rejected);
    let (_, again) = started(config, &stored, "shop.example");
    assert_eq!(text(&again, "ask").as_deref(), Some("false"));
    assert!(error(&answer(&mut g, op::CHOOSE, r#"["approve",{}]"#)).is_some_and(|e| e.contains("\"accept\"")));

    // Without ui there is no banner to answer.
    let (mut plain, start) = started(r#"{"doesOptInApply":true}"#, "null", "shop.example");
    assert!(start.get("policy").is_none());
    assert_eq!(
        error(&answer(&mut plain, op::CHOOSE, r#"["accept",{}]"#)),
        Some("there is no banner: the configuration has no ui")
    );
}
