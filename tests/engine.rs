//! Native tests of the consent engine: precedence, staging, commits, the
//! Adobe defects Consentry corrects, and the stored-record codec.
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]

use consentry::consent::{Categories, Commit, Config, Engine, Expiry, Record, Status, StorageKind};
use consentry::json::{parse, Value};

fn config(json: &str) -> Config {
    let mut warnings = Vec::new();
    Config::parse(&parse(json).unwrap(), &mut warnings).unwrap()
}

/// Starts from Adobe's value alone (`stored`), as Adobe's library writes it.
fn start(json: &str, stored: Option<&str>) -> (Engine, Vec<String>) {
    start_with(json, [stored, None])
}

/// Starts from both of the record's values: Adobe's and Consentry's.
fn start_with(json: &str, stored: [Option<&str>; 2]) -> (Engine, Vec<String>) {
    let mut warnings = Vec::new();
    let config = Config::parse(&parse(json).unwrap(), &mut warnings).unwrap();
    let engine = Engine::start(config, stored, 1_000_000.0, false, &mut warnings);
    (engine, warnings)
}

fn id() -> String {
    "test-id".into()
}

fn set(e: &mut Engine, names: &[&str], value: bool, wait: bool) -> Option<Commit> {
    let idx = e.config().categories.resolve(names).unwrap();
    e.set(&idx, value, wait, 2_000_000.0, &mut id)
}

const OPT_IN: &str = r#"{"doesOptInApply":true}"#;

#[test]
fn opt_in_off_approves_everything_and_is_complete() {
    // Adobe defect 2: Adobe reports `pending` and lets deny take effect.
    let (mut e, _) = start("{}", None);
    assert_eq!(e.status(), Status::Complete);
    assert!(e.is_approved::<&str>(&[]));
    assert!(set(&mut e, &["aa"], false, false).is_none());
    assert!(e.set_all(false, false, 0.0, &mut id).is_none());
    assert!(e.is_approved(&["aa"]));
}

#[test]
fn opt_in_starts_pending_with_everything_denied() {
    let (e, _) = start(OPT_IN, None);
    assert_eq!(e.status(), Status::Pending);
    assert!(e.permissions().iter().all(|p| !p));
    assert!(!e.is_approved(&["aa"]));
    assert!(!e.is_approved::<&str>(&[]));
}

#[test]
fn precedence_defaults_then_previous_then_stored() {
    let json = r#"{"doesOptInApply":"true","isOptInStorageEnabled":true,
        "preOptInApprovals":{"aa":true,"target":true,"ecid":true},
        "previousPermissions":"{\"target\":false,\"campaign\":true}"}"#;
    let (e, _) = start(json, Some(r#"{"ecid":false}"#));
    assert!(e.is_approved(&["aa"])); // from the defaults
    assert!(!e.is_approved(&["target"])); // previous overrides the defaults
    assert!(e.is_approved(&["campaign"])); // previous
    assert!(!e.is_approved(&["ecid"])); // stored overrides everything
    assert_eq!(e.status(), Status::Complete);
    assert!(e.is_pre_approved(&["aa", "target"]));
    assert!(!e.is_pre_approved(&["campaign"]));
}

#[test]
fn pre_opt_in_alone_leaves_status_pending() {
    let (e, _) = start(r#"{"doesOptInApply":true,"preOptInApprovals":{"aa":true}}"#, None);
    assert_eq!(e.status(), Status::Pending);
    assert!(e.is_approved(&["aa"]));
}

#[test]
fn empty_previous_permissions_are_not_a_choice() {
    let (e, _) = start(r#"{"doesOptInApply":true,"previousPermissions":{}}"#, None);
    assert_eq!(e.status(), Status::Pending);
}

#[test]
fn stored_record_is_ignored_without_storage() {
    let (e, _) = start(OPT_IN, Some(r#"{"aa":true}"#));
    assert!(!e.is_approved(&["aa"]));
    assert_eq!(e.status(), Status::Pending);
}

#[test]
fn immediate_changes_commit_at_once_and_report_the_diff() {
    let (mut e, _) = start(OPT_IN, None);
    let c = set(&mut e, &["aa", "target"], true, false).unwrap();
    assert_eq!(c.changes, vec![(2, true), (6, true)]);
    assert_eq!(e.status(), Status::Complete);
    assert!(e.is_approved(&["aa", "target"]));
    assert_eq!(e.meta().unwrap().id, "test-id");
    let c = set(&mut e, &["aa"], true, false).unwrap();
    assert!(
        c.changes.is_empty(),
        "a commit without change still fires but reports no change"
    );
}

#[test]
fn staged_changes_are_invisible_until_complete_every_time() {
    // Adobe defect 1: after the first commit Adobe shows staged changes.
    let (mut e, _) = start(OPT_IN, None);
    for round in 0..3 {
        let value = round % 2 == 0;
        assert!(set(&mut e, &["aa"], value, true).is_none());
        assert!(set(&mut e, &["ecid"], value, true).is_none());
        assert_eq!(e.status(), Status::Changed);
        assert_eq!(e.is_approved(&["aa"]), !value, "staged change leaked");
        let c = e.complete(0.0, &mut id).unwrap();
        assert_eq!(c.changes, vec![(2, value), (4, value)]);
        assert_eq!(e.is_approved(&["aa", "ecid"]), value);
        assert_eq!(e.status(), Status::Complete);
    }
}

#[test]
fn complete_without_staged_changes_does_nothing() {
    let (mut e, _) = start(OPT_IN, None);
    assert!(e.complete(0.0, &mut id).is_none());
    assert_eq!(e.status(), Status::Pending);
    set(&mut e, &["aa"], true, false);
    assert!(e.complete(0.0, &mut id).is_none());
}

#[test]
fn an_immediate_change_commits_what_was_staged_before() {
    let (mut e, _) = start(OPT_IN, None);
    set(&mut e, &["aa"], true, true);
    let c = set(&mut e, &["target"], true, false).unwrap();
    assert_eq!(c.changes, vec![(2, true), (6, true)]);
}

#[test]
fn approve_all_and_deny_all_cover_site_categories() {
    let (mut e, _) = start(r#"{"doesOptInApply":true,"categories":["sms","ads"]}"#, None);
    e.set_all(true, false, 0.0, &mut id);
    assert!(e.is_approved(&["sms", "ads", "aa"]));
    e.set_all(false, true, 0.0, &mut id);
    assert!(e.is_approved::<&str>(&[]), "staged denyAll is invisible");
    e.complete(0.0, &mut id);
    assert!(!e.is_approved(&["sms"]));
}

#[test]
fn unknown_categories_are_errors_for_changes_and_false_for_queries() {
    let (e, _) = start(OPT_IN, None);
    let err = e.config().categories.resolve(&["aa", "foo"]).unwrap_err();
    assert!(err.contains("\"foo\"") && err.contains("known: aam"), "{err}");
    assert!(!e.is_approved(&["foo"]));
}

#[test]
fn commits_produce_the_record_only_when_storage_is_on() {
    let (mut e, _) = start(OPT_IN, None);
    assert!(set(&mut e, &["aa"], true, false).unwrap().stored.is_none());
    let (mut e, _) = start(
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"optInStorageExpiry":"NONE"}"#,
        None,
    );
    assert!(set(&mut e, &["aa"], true, false).unwrap().stored.is_none());
    let (mut e, _) = start(
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"revision":3}"#,
        None,
    );
    let (adobe, own) = set(&mut e, &["aa"], true, false).unwrap().stored.unwrap();
    assert_eq!(
        adobe,
        r#"{"aam":false,"adcloud":false,"aa":true,"campaign":false,"ecid":false,"livefyre":false,"target":false,"mediaaa":false}"#
    );
    assert_eq!(
        own.as_deref(),
        Some(r#"{"v":2,"rev":3,"time":2000000,"id":"test-id","choice":{}}"#)
    );
}

#[test]
fn adobes_value_holds_only_what_adobes_library_reads() {
    // Adobe's library takes a value with any other key for no choice at
    // all (issue 13): the site's categories and Consentry's fields go to
    // Consentry's value.
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"categories":["sms"]}"#;
    let (mut e, _) = start(cfg, None);
    e.memoize(vec![("iabConsentHash".into(), Value::String("h".into()))])
        .unwrap();
    let (adobe, own) = set(&mut e, &["aa", "sms"], true, false).unwrap().stored.unwrap();
    let Value::Object(members) = parse(&adobe).unwrap() else {
        panic!("{adobe}")
    };
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "aam",
            "adcloud",
            "aa",
            "campaign",
            "ecid",
            "livefyre",
            "target",
            "mediaaa",
            "iabConsentHash"
        ]
    );
    assert!(members[..8].iter().all(|(_, v)| matches!(v, Value::Bool(_))));
    let own = own.unwrap();
    assert!(own.ends_with(r#","choice":{"sms":true}}"#), "{own}");
    let (e, _) = start_with(cfg, [Some(&adobe), Some(&own)]);
    assert!(e.is_approved(&["aa", "sms"]) && e.status() == Status::Complete);
    assert_eq!(e.meta().unwrap().id, "test-id");
    // Adobe's value alone (Consentry's lost) keeps Adobe's categories only.
    let (e, _) = start_with(cfg, [Some(&adobe), None]);
    assert!(e.is_approved(&["aa"]) && !e.is_approved(&["sms"]));
    // Each value decides its own categories only.
    let (e, _) = start_with(
        cfg,
        [
            Some(r#"{"sms":true}"#),
            Some(r#"{"v":2,"rev":0,"time":1,"id":"a","choice":{"aa":true}}"#),
        ],
    );
    assert!(!e.is_approved(&["aa"]) && !e.is_approved(&["sms"]));
    assert_eq!(e.status(), Status::Pending);
}

#[test]
fn the_consent_id_stays_across_commits_and_reloads() {
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#;
    let (mut e, _) = start(cfg, None);
    let (adobe, own) = set(&mut e, &["aa"], true, false).unwrap().stored.unwrap();
    let (mut e, _) = start_with(cfg, [Some(&adobe), own.as_deref()]);
    let mut other = || "other".to_string();
    let idx = e.config().categories.resolve(&["target"]).unwrap();
    e.set(&idx, true, false, 5.0, &mut other);
    assert_eq!(e.meta().unwrap().id, "test-id");
}

#[test]
fn memoized_keys_alone_are_not_a_choice() {
    // Adobe defect 3.
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#;
    let (mut e, _) = start(cfg, Some(r#"{"iabConsentHash":"abc"}"#));
    assert_eq!(e.status(), Status::Pending);
    assert_eq!(e.memoized("iabConsentHash"), Some(&Value::String("abc".into())));
    let (text, own) = e.memoize(vec![("k".into(), Value::Bool(true))]).unwrap().unwrap();
    assert_eq!((text.as_str(), own), (r#"{"iabConsentHash":"abc","k":true}"#, None));
    let (e, _) = start(cfg, Some(&text));
    assert_eq!(e.status(), Status::Pending);
}

#[test]
fn only_boolean_true_approves() {
    // Adobe defect 4: {"aa":"yes"} approves aa in Adobe's library.
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,
        "preOptInApprovals":{"target":1},"previousPermissions":{"campaign":"true"}}"#;
    let (e, warnings) = start(cfg, Some(r#"{"aa":"yes","ecid":1,"aam":null,"mediaaa":true}"#));
    assert!(!e.is_approved(&["aa"]) && !e.is_approved(&["ecid"]) && !e.is_approved(&["aam"]));
    assert!(!e.is_approved(&["target"]) && !e.is_approved(&["campaign"]));
    assert!(e.is_approved(&["mediaaa"]));
    assert_eq!(
        warnings.iter().filter(|w| w.contains("not a boolean")).count(),
        5,
        "{warnings:?}"
    );
}

#[test]
fn an_older_revision_asks_again_but_keeps_memoized_content() {
    let stored = [
        Some(r#"{"aa":true,"hash":"x"}"#),
        Some(r#"{"v":2,"rev":1,"time":5,"id":"a"}"#),
    ];
    let (e, warnings) = start_with(
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"revision":2}"#,
        stored,
    );
    assert_eq!(e.status(), Status::Pending);
    assert!(!e.is_approved(&["aa"]));
    assert!(e.memoized("hash").is_some());
    assert!(warnings
        .iter()
        .any(|w| w.contains("revision 1 is older than revision 2")));
    let (e, _) = start_with(
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"revision":1}"#,
        stored,
    );
    assert!(e.is_approved(&["aa"]));
}

#[test]
fn adobe_written_records_count_as_revision_zero() {
    let (e, _) = start(
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#,
        Some(r#"{"aa":true}"#),
    );
    assert!(e.is_approved(&["aa"]));
    let (e, _) = start(
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"revision":1}"#,
        Some(r#"{"aa":true}"#),
    );
    assert!(!e.is_approved(&["aa"]));
}

#[test]
fn expired_local_storage_choices_are_dropped() {
    let cfg =
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"storage":"localStorage","optInStorageExpiry":100}"#;
    let fresh = r#"{"v":2,"rev":0,"time":950000,"id":"a"}"#;
    let old = r#"{"v":2,"rev":0,"time":850000,"id":"a"}"#;
    assert!(start_with(cfg, [Some(r#"{"aa":true}"#), Some(fresh)])
        .0
        .is_approved(&["aa"]));
    assert!(!start_with(cfg, [Some(r#"{"aa":true}"#), Some(old)])
        .0
        .is_approved(&["aa"]));
}

#[test]
fn corrupt_foreign_and_future_records_never_approve() {
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#;
    for stored in ["", "garbage", "{\"aa\":true", "[true]", "true", "\"aa\""] {
        let (e, warnings) = start(cfg, Some(stored));
        assert!(!e.is_approved(&["aa"]), "{stored:?} approved aa");
        assert_eq!(e.status(), Status::Pending, "{stored:?}");
        assert!(!warnings.is_empty(), "{stored:?} should be reported");
    }
    // Consentry's value spoils Adobe's when it is corrupt, of another
    // format, or malformed.
    for own in [
        "garbage",
        "[]",
        r#"{"v":3,"rev":0,"time":1,"id":"a"}"#,
        r#"{"v":1,"rev":0,"time":1,"id":"a"}"#,
        r#"{"v":2}"#,
        r#"{"v":2,"rev":-1,"time":1,"id":"a"}"#,
        r#"{"v":2,"rev":0,"time":1.5,"id":"a"}"#,
        r#"{"v":2,"rev":0,"time":1,"id":5}"#,
    ] {
        let (e, warnings) = start_with(cfg, [Some(r#"{"aa":true}"#), Some(own)]);
        assert!(!e.is_approved(&["aa"]), "{own:?} approved aa");
        assert!(!warnings.is_empty(), "{own:?} should be reported");
    }
}

#[test]
fn format_1s_fields_inside_adobes_value_are_dropped() {
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#;
    let (mut e, _) = start(
        cfg,
        Some(r#"{"aa":true,"consentry":{"v":1,"rev":0,"time":1,"id":"a"}}"#),
    );
    assert!(e.is_approved(&["aa"]) && e.meta().is_none());
    let (adobe, _) = e.memoize(vec![("k".into(), Value::Bool(true))]).unwrap().unwrap();
    assert!(!adobe.contains("consentry"), "{adobe}");
}

#[test]
fn record_round_trips_with_site_categories_and_memo() {
    let cats = Categories::with_site(&["sms".into()]).unwrap();
    let record = Record {
        choice: Some((0..cats.len()).map(|i| Some(i % 3 == 0)).collect()),
        memo: vec![("iabConsentHash".into(), parse(r#"{"a":[1,"x"]}"#).unwrap())],
        meta: Some(consentry::consent::ChoiceMeta {
            revision: 4,
            time: 1_700_000_000_000.0,
            id: "abc".into(),
            gpc: true,
            notice: true,
        }),
    };
    let (adobe, own) = record.encode(&cats);
    let back = Record::decode(Some(&adobe), own.as_deref(), &cats, 4, None, &mut vec![]).unwrap();
    assert_eq!(back, record);
}

#[test]
fn config_errors_name_the_key_the_value_and_what_was_expected() {
    let cases = [
        (
            r#"{"doesOptInApply":"yes"}"#,
            r#"config.doesOptInApply is "yes"; expected true, false"#,
        ),
        (
            r#"{"optInStorageExpiry":-5}"#,
            r#"config.optInStorageExpiry is -5; expected a whole number of seconds"#,
        ),
        (
            r#"{"optInStorageExpiry":"FOREVER"}"#,
            "config.optInStorageExpiry is \"FOREVER\"",
        ),
        (
            r#"{"sameSiteCookie":"Loose"}"#,
            "config.sameSiteCookie is \"Loose\"; expected \"Lax\"",
        ),
        (r#"{"sameSiteCookie":"None"}"#, r#"("None" needs secureCookie: true"#),
        (
            r#"{"storage":"indexedDB"}"#,
            "config.storage is \"indexedDB\"; expected \"cookie\" or \"localStorage\"",
        ),
        (r#"{"revision":1.5}"#, "config.revision is 1.5; expected a whole number"),
        (
            r#"{"categories":["Bad Name"]}"#,
            "config.categories: category \"Bad Name\" is not a valid name",
        ),
        (
            r#"{"categories":"sms"}"#,
            "config.categories is \"sms\"; expected an array",
        ),
        (
            r#"{"preOptInApprovals":"{oops"}"#,
            "config.preOptInApprovals is \"{oops\"; expected an object",
        ),
        (r#"{"preOptInApprovals":[true]}"#, "config.preOptInApprovals is [true]"),
        (r#"{"optInCookieDomain":"a b"}"#, "config.optInCookieDomain is \"a b\""),
        (
            r#"{"isOptInStorageEnabled":"true"}"#,
            "config.isOptInStorageEnabled is \"true\"; expected true or false",
        ),
        ("[]", "config is []; expected an object"),
    ];
    for (json, expected) in cases {
        let err = Config::parse(&parse(json).unwrap(), &mut vec![]).unwrap_err();
        assert!(err.starts_with(expected) || err.contains(expected), "{json}: {err}");
    }
}

#[test]
fn config_reads_every_adobe_key() {
    let c = config(
        r#"{"doesOptInApply":false,"isOptInStorageEnabled":true,"optInCookieDomain":".example.com",
        "optInStorageExpiry":"SESSION","isIabContext":true,"secureCookie":true,"sameSiteCookie":"none",
        "storage":"localStorage","revision":7}"#,
    );
    assert!(!c.opt_in_applies && c.storage_enabled && c.iab_context && c.secure_cookie);
    assert_eq!(c.cookie_domain.as_deref(), Some("example.com"));
    assert_eq!(c.expiry, Expiry::Session);
    assert_eq!(c.same_site, Some("None"));
    assert_eq!(c.storage, StorageKind::LocalStorage);
    assert_eq!(c.revision, 7);
    assert_eq!(config("{}").expiry, Expiry::Seconds(34_190_000));
}

#[test]
fn config_warns_about_ignored_values_and_unknown_categories_but_goes_on() {
    let mut warnings = Vec::new();
    let json = r#"{"doesOptInApply":true,"previousPermissions":"not json","preOptInApprovals":{"nope":true}}"#;
    let c = Config::parse(&parse(json).unwrap(), &mut warnings).unwrap();
    assert!(c.previous.is_none());
    assert!(warnings
        .iter()
        .any(|w| w.contains("previousPermissions") && w.contains("ignored")));
    assert!(warnings.iter().any(|w| w.contains("unknown category \"nope\"")));
}

#[test]
fn an_unknown_key_is_refused_naming_the_nearest_known_key() {
    // Issue 13: taken for absent, `doesOptinApply` turned opt-in off and
    // approved every category.
    for (json, message) in [
        (
            r#"{"doesOptinApply":true}"#,
            r#"unknown config key "doesOptinApply"; did you mean "doesOptInApply"?"#,
        ),
        (
            r#"{"doesOptInApply":true,"isOptinStorageEnabled":true}"#,
            r#"unknown config key "isOptinStorageEnabled"; did you mean "isOptInStorageEnabled"?"#,
        ),
        (
            r#"{"categorys":["sms"]}"#,
            r#"unknown config key "categorys"; did you mean "categories"?"#,
        ),
        (
            r#"{"banner":true}"#,
            r#"unknown config key "banner"; expected a key of docs/api.md"#,
        ),
    ] {
        let e = Config::parse(&parse(json).unwrap(), &mut vec![]).unwrap_err();
        assert!(e.starts_with(message), "{e}");
    }
}

#[test]
fn memoized_content_that_would_not_fit_is_refused_and_the_choice_stays() {
    // Issue 13: 5,000 bytes of memo made every later choice go unstored.
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#;
    let (mut e, _) = start(cfg, None);
    let (adobe, own) = set(&mut e, &["aa"], true, false).unwrap().stored.unwrap();
    let big = |n: usize| vec![("big".to_string(), Value::String("x".repeat(n)))];
    assert!(
        matches!(e.memoize(big(5000)), Err(n) if n > 5000),
        "5,000 bytes do not fit in 4,096"
    );
    // Nothing changed: the next write is the choice as it was.
    assert!(e.memoized("big").is_none());
    let (again, _) = e.memoize(vec![]).unwrap().unwrap();
    assert_eq!(again, adobe);
    // What fits, fits with every category decided: a later choice is kept.
    let (text, _) = e.memoize(big(3700)).unwrap().unwrap();
    assert!(Record::stored_size(&text, StorageKind::Cookie) <= 4096);
    let (text, _) = set(&mut e, &["target"], true, false).unwrap().stored.unwrap();
    assert!(
        Record::stored_size(&text, StorageKind::Cookie) <= 4096,
        "{}",
        text.len()
    );
    assert!(own.is_some());
    // localStorage has more room; without storage nothing is refused.
    let (mut e, _) = start(
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"storage":"localStorage"}"#,
        None,
    );
    assert!(e.memoize(big(5000)).is_ok());
    assert!(e.memoize(big(70_000)).is_err());
    let (mut e, _) = start(OPT_IN, None);
    assert_eq!(e.memoize(big(70_000)), Ok(None));
}

#[test]
fn the_cookie_size_is_the_percent_encoded_size() {
    assert_eq!(
        Record::stored_size("{}", StorageKind::Cookie),
        "adobeujs-optin=".len() + 6
    );
    assert_eq!(Record::stored_size("aZ09-_.!~*'()", StorageKind::Cookie), 15 + 13);
    assert_eq!(Record::stored_size("é", StorageKind::Cookie), 15 + 6);
    assert_eq!(Record::stored_size("é", StorageKind::LocalStorage), 2);
}
