//! Native tests of the TCF rules applied to real TC strings that
//! @iabtechlabtcf/core encoded (tests/fixtures/tcf.json).
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]

use consentry::consent::Config;
use consentry::json::{parse, Value};
use consentry_iab::tcf::{
    decode,
    rules::{Rules, TcfConfig},
};

fn config(json: &str) -> Config {
    Config::parse(&parse(json).unwrap(), &mut vec![]).unwrap()
}

/// The fixtures: TC strings @iabtechlabtcf/core encoded from random models.
fn fixtures() -> Vec<Value> {
    match parse(include_str!("../../tests/fixtures/tcf.json")).unwrap() {
        Value::Array(cases) => cases,
        _ => panic!("fixtures are not an array"),
    }
}

fn ids(v: &Value, key: &str) -> Vec<u64> {
    match v.get(key) {
        Some(Value::Array(items)) => items.iter().map(|i| i.as_uint().unwrap()).collect(),
        other => panic!("{key} is {other:?}"),
    }
}

#[test]
fn adobes_default_rule_needs_vendor_565_with_purposes_1_and_10() {
    let c = config(r#"{"doesOptInApply":true,"isIabContext":true}"#);
    let tcf = TcfConfig::parse(&c.categories, &Value::Null).unwrap();
    assert_eq!(tcf.timeout, 3000);
    let mut seen = [false; 2];
    for case in fixtures() {
        let s = match case.get("tcString") {
            Some(Value::String(s)) => s.clone(),
            _ => panic!("no tcString"),
        };
        let expected = ids(&case, "vendorConsents").contains(&565)
            && ids(&case, "purposeConsents").contains(&1)
            && ids(&case, "purposeConsents").contains(&10);
        seen[usize::from(expected)] = true;
        assert_eq!(
            tcf.permissions(&decode(&s).unwrap()),
            vec![(0, expected), (4, expected)],
            "{s}"
        );
    }
    assert_eq!(seen, [true, true], "the fixtures hold both outcomes");
}

#[test]
fn configured_rules_use_purposes_vendors_and_special_features() {
    let c = config(r#"{"categories":["ads"]}"#);
    let rules = parse(r#"{"timeout":500,"rules":{"ads":{"purposes":[1,3],"vendors":[2],"specialFeatures":[1]},"aa":{"purposes":[1]}}}"#).unwrap();
    let tcf = TcfConfig::parse(&c.categories, &rules).unwrap();
    assert_eq!(tcf.timeout, 500);
    for case in fixtures() {
        let Some(Value::String(s)) = case.get("tcString") else {
            panic!()
        };
        let p = ids(&case, "purposeConsents");
        let v = ids(&case, "vendorConsents");
        let f = ids(&case, "specialFeatureOptins");
        let ads = p.contains(&1) && p.contains(&3) && v.contains(&2) && f.contains(&1);
        assert_eq!(
            tcf.permissions(&decode(s).unwrap()),
            vec![(8, ads), (2, p.contains(&1))]
        );
    }
    for bad in [
        r#"{"timeout":"soon"}"#,
        r#"{"rules":{"nope":{}}}"#,
        r#"{"rules":{"aa":{"purposes":[0]}}}"#,
        "[]",
    ] {
        let e = TcfConfig::parse(&c.categories, &parse(bad).unwrap()).unwrap_err();
        assert!(e.starts_with("config.tcf"), "{bad}: {e}");
    }
}
