//! The gate's plain build (consentry_bg.wasm, `--no-default-features`):
//! it refuses each key only the full build reads, naming the key and the
//! build to load, and never reads one as absent. Run by scripts/test.sh
//! with `--no-default-features --features std`.
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]
#![cfg(not(feature = "full"))]

use consentry::json::{parse, Value};
use consentry_gate::{op, Gate};

fn start(config: &str) -> Value {
    let arg = format!("[{config},false,\"0123456789abcdef0123456789abcdef\",\"www.example.com\",[[null,null],[null,null],[null,null]]]");
    parse(&Gate::default().call(op::START, &arg, 1_700_000_000_000.0)).unwrap()
}

#[test]
fn each_key_of_the_full_build_is_refused_by_name() {
    for (key, value) in [
        ("ui", r#"{"regions":{"EU":"opt-in"}}"#),
        ("cookies", r#"{"aa":["_ga*"]}"#),
        ("consentMode", r#"{"ad_storage":["aam"]}"#),
        ("uet", r#"{"ad_storage":["aam"]}"#),
        ("tcf", r#"{"timeout":1000}"#),
        ("gpp", r#"{"sections":["usnat"]}"#),
    ] {
        let answer = start(&format!(r#"{{"isOptInStorageEnabled":true,"{key}":{value}}}"#));
        let Some(Value::String(error)) = answer.get("error") else {
            panic!("{key}: {answer:?}");
        };
        assert_eq!(
            error,
            &format!("config.{key} needs the gate's full build, consentry-full_bg.wasm (the snippet and the entries load it for a configuration with {key})")
        );
    }
}

#[test]
fn a_configuration_of_its_keys_starts_and_has_no_integrations() {
    let mut g = Gate::default();
    let config = r#"{"doesOptInApply":true,"categories":["sms"],"gpc":{"sale":["aa"]},"tcf":null,"cookies":null,"isIabContext":true}"#;
    let arg = format!("[{config},true,\"0123456789abcdef0123456789abcdef\",\"www.example.com\",[[null,null],[null,null],[null,null]]]");
    let start = parse(&g.call(op::START, &arg, 1_700_000_000_000.0)).unwrap();
    assert_eq!(start.get("error"), None, "{start:?}");
    // TCF's default rules (Adobe's) need no `tcf` key.
    assert!(matches!(start.get("tcf"), Some(Value::Array(_))), "{start:?}");
    // Cookies, Consent Mode and UET are the full build's: the plain shell
    // never asks.
    let effects = g.call(op::INTEGRATIONS, r#"["_ga=1; aa=2","www.example.com","/",true]"#, 0.0);
    assert_eq!(effects, r#"{"error":"unknown operation"}"#);
}

#[test]
fn a_refused_configuration_is_unexplained_and_the_full_build_says_why() {
    // The same refusals as the full build (the same code), without their
    // texts: js/facade.js has the full build say them (tests/api.rs checks
    // its texts; tests/e2e/consent.test.mjs the whole path).
    for config in [
        r#"{"doesOptinApply":true}"#,
        r#"{"doesOptInApply":"yes"}"#,
        r#"{"categories":["Bad name"]}"#,
        r#"{"categories":["sms","sms"]}"#,
        r#"{"gpc":{"sale":["nope"]}}"#,
        r#"{"revision":-1}"#,
        "[1]",
    ] {
        let answer = start(config);
        assert_eq!(
            answer.get("error"),
            Some(&Value::String(consentry::consent::UNEXPLAINED.into())),
            "{config}"
        );
    }
    // A warning keeps its text: it is not worth a download.
    let answer = start(r#"{"doesOptInApply":true,"preOptInApprovals":{"aa":"yes","nope":true}}"#);
    assert_eq!(
        answer.get("warnings").map(Value::to_json).as_deref(),
        Some(
            r#"["preOptInApprovals: \"aa\" is \"yes\", not a boolean; treated as denied","preOptInApprovals: unknown category \"nope\" ignored"]"#
        ),
    );
}
