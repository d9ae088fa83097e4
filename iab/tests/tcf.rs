//! Our TC string decoder against IAB Tech Lab's own library: every string in
//! tests/fixtures/tcf.json was encoded by @iabtechlabtcf/core from a random
//! consent model (scripts/tcf-fixtures.mjs) and carries what that library
//! decodes from it; tests/fixtures/tcf-problems.json holds the strings of the
//! IAB libraries' reported issues with what that library makes of them. Plus
//! malformed input, which must be an error.
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]

use consentry::json::{parse, Value};
use consentry_iab::tcf::{decode, TcfError};

fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or_else(|| panic!("fixture lacks {key}"))
}

fn uint(v: &Value, key: &str) -> u64 {
    field(v, key)
        .as_uint()
        .unwrap_or_else(|| panic!("{key} is not a whole number"))
}

fn ids(v: &Value, key: &str) -> Vec<u64> {
    match field(v, key) {
        Value::Array(items) => items.iter().map(|i| i.as_uint().unwrap()).collect(),
        other => panic!("{key} is {other:?}"),
    }
}

fn text(v: &Value, key: &str) -> String {
    match field(v, key) {
        Value::String(s) => s.clone(),
        other => panic!("{key} is {other:?}"),
    }
}

fn flag(v: &Value, key: &str) -> bool {
    field(v, key) == &Value::Bool(true)
}

fn widen<T: Copy + Into<u64>>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| (*x).into()).collect()
}

fn cases(json: &str) -> Vec<Value> {
    match parse(json).unwrap() {
        Value::Array(cases) => cases,
        _ => panic!("fixtures are not an array"),
    }
}

#[test]
fn decodes_exactly_what_the_iab_library_encoded() {
    let cases = cases(include_str!("../../tests/fixtures/tcf.json"));
    assert!(cases.len() >= 100);
    for case in &cases {
        let s = text(case, "tcString");
        let tc = decode(&s).unwrap_or_else(|e| panic!("{s}: {}", e.message()));
        assert_same(&tc, case);
    }
}

/// The strings of the IAB libraries' reported issues (see each `source`):
/// where the IAB's library decodes one, ours gives the same fields; where it
/// throws, ours is an error too, which denies the ruled categories.
#[test]
fn agrees_with_the_iab_library_on_its_reported_problem_strings() {
    let cases = cases(include_str!("../../tests/fixtures/tcf-problems.json"));
    assert!(cases.len() >= 10);
    for case in &cases {
        let s = text(case, "tcString");
        let source = text(case, "source");
        match (decode(&s), case.get("error")) {
            (Ok(tc), None) => assert_same(&tc, case),
            (Err(e), None) => panic!("{source}: ours fails with {}, the IAB's decodes", e.message()),
            (Ok(_), error) => panic!("{source}: ours decodes, the IAB's throws {error:?}"),
            (Err(_), _) => {}
        }
    }
}

fn assert_same(tc: &consentry_iab::tcf::TcString, case: &Value) {
    let s = text(case, "tcString");
    let at = |what: &str| format!("{what} of {s}");
    for (ours, key) in [
        (u64::from(tc.version), "version"),
        (tc.created, "created"),
        (tc.last_updated, "lastUpdated"),
        (u64::from(tc.cmp_id), "cmpId"),
        (u64::from(tc.cmp_version), "cmpVersion"),
        (u64::from(tc.consent_screen), "consentScreen"),
        (u64::from(tc.vendor_list_version), "vendorListVersion"),
        (u64::from(tc.policy_version), "policyVersion"),
    ] {
        assert_eq!(ours, uint(case, key), "{}", at(key));
    }
    for (ours, key) in [
        (&tc.consent_language, "consentLanguage"),
        (&tc.publisher_country_code, "publisherCountryCode"),
    ] {
        assert_eq!(*ours, text(case, key), "{}", at(key));
    }
    for (ours, key) in [
        (tc.is_service_specific, "isServiceSpecific"),
        (tc.use_non_standard_texts, "useNonStandardTexts"),
        (tc.purpose_one_treatment, "purposeOneTreatment"),
    ] {
        assert_eq!(ours, flag(case, key), "{}", at(key));
    }
    for (ours, key) in [
        (widen(&tc.special_feature_optins), "specialFeatureOptins"),
        (widen(&tc.purpose_consents), "purposeConsents"),
        (widen(&tc.purpose_legitimate_interests), "purposeLegitimateInterests"),
        (widen(&tc.vendor_consents), "vendorConsents"),
        (widen(&tc.vendor_legitimate_interests), "vendorLegitimateInterests"),
        (widen(&tc.vendors_disclosed), "vendorsDisclosed"),
        (widen(&tc.publisher_consents), "publisherConsents"),
        (
            widen(&tc.publisher_legitimate_interests),
            "publisherLegitimateInterests",
        ),
        (widen(&tc.publisher_custom_consents), "publisherCustomConsents"),
        (
            widen(&tc.publisher_custom_legitimate_interests),
            "publisherCustomLegitimateInterests",
        ),
    ] {
        assert_eq!(ours, ids(case, key), "{}", at(key));
    }
    let Value::Array(restrictions) = field(case, "publisherRestrictions") else {
        panic!()
    };
    let mut ours = tc.publisher_restrictions.clone();
    ours.sort_by_key(|r| (r.purpose, r.restriction_type));
    assert_eq!(ours.len(), restrictions.len(), "{}", at("publisherRestrictions"));
    for (r, expected) in ours.iter().zip(restrictions) {
        assert_eq!(u64::from(r.purpose), uint(expected, "purpose"));
        assert_eq!(u64::from(r.restriction_type), uint(expected, "restrictionType"));
        assert_eq!(
            widen(&r.vendors),
            ids(expected, "vendors"),
            "{}",
            at("restricted vendors")
        );
    }
}

#[test]
fn malformed_strings_are_errors() {
    let valid = "CQuIxQAQuIxQAAKADCENB4FoAMBAAEIAAAYgFeQA4AAgAGAjUBXgEawAQEagAAAA.IEawAgAAgI1A.dAAAAAAAAWAA";
    assert_eq!(decode(""), Err(TcfError::Empty));
    assert_eq!(decode("CQ*"), Err(TcfError::InvalidCharacter('*')));
    assert_eq!(decode("BQ"), Err(TcfError::UnsupportedVersion(1)));
    assert_eq!(decode("CQuIxQAQ"), Err(TcfError::Truncated));
    assert_eq!(decode(&format!("{valid}.AAAA")), Err(TcfError::UnknownSegment(0)));
    for cut in 1..valid.len() {
        // Every prefix either decodes or is an error; none panics.
        let _ = decode(&valid[..cut]);
    }
    assert!(decode(valid).is_ok());
}

#[test]
fn hostile_ranges_cost_little() {
    // Core fields, then a range-encoded vendor section with 4,095 ranges of 1..65535.
    let mut bits = String::new();
    let push = |bits: &mut String, v: u64, n: u32| {
        (0..n)
            .rev()
            .for_each(|i| bits.push(if i < 64 && v >> i & 1 == 1 { '1' } else { '0' }))
    };
    push(&mut bits, 2, 6);
    push(
        &mut bits,
        0,
        36 + 36 + 12 + 12 + 6 + 12 + 12 + 6 + 1 + 1 + 12 + 24 + 24 + 1 + 12,
    );
    push(&mut bits, 65535, 16);
    push(&mut bits, 1, 1);
    push(&mut bits, 4095, 12);
    for _ in 0..4095 {
        push(&mut bits, 1, 1);
        push(&mut bits, 1, 16);
        push(&mut bits, 65535, 16);
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let b64: String = bits
        .as_bytes()
        .chunks(6)
        .map(|c| {
            let mut v = 0usize;
            for (i, b) in c.iter().enumerate() {
                v |= usize::from(*b == b'1') << (5 - i);
            }
            char::from(ALPHABET[v])
        })
        .collect();
    // The legitimate-interest section is missing: an error, quickly, with the ranges merged.
    assert_eq!(decode(&b64), Err(TcfError::Truncated));
}
