//! Native tests of the banner's decisions (`ui`): the start state each
//! policy gives, when the banner asks, what each button commits, when a
//! stored choice stops counting, and the region found after the start.
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]
#![cfg(feature = "ui")]

use consentry::consent::{Button, Config, Engine, Policy, Status};
use consentry::json::parse;

const DAY: f64 = 86_400_000.0;
const NOW: f64 = 1_800_000_000_000.0;

const SITE: &str = r#""categories":["necessary","analytics","marketing"],"isOptInStorageEnabled":true"#;

fn start_at(ui: &str, stored: [Option<&str>; 2], gpc: bool, now: f64) -> (Engine, Vec<String>) {
    let mut warnings = Vec::new();
    let text = format!(r#"{{{SITE},"ui":{ui}}}"#);
    let config = Config::parse(&parse(&text).unwrap(), &mut warnings).unwrap();
    let engine = Engine::start(config, stored, now, gpc, &mut warnings);
    (engine, warnings)
}

fn start(ui: &str, gpc: bool) -> Engine {
    start_at(ui, [None, None], gpc, NOW).0
}

fn on(e: &Engine) -> Vec<&str> {
    let names = e.config().categories.names();
    e.permissions()
        .iter()
        .zip(names)
        .filter(|(p, _)| **p)
        .map(|(_, n)| n.as_str())
        .collect()
}

fn choose(e: &mut Engine, button: Button, switches: &str, now: f64) -> (String, String) {
    let mut w = Vec::new();
    let map =
        consentry::consent::permission_map(&e.config().categories, "t", &parse(switches).unwrap(), &mut w).unwrap();
    let commit = e.choose(button, &map, now, &mut || "id".into()).unwrap();
    let (adobe, own) = commit.stored.unwrap();
    (adobe, own.unwrap())
}

const EU_US: &str =
    r#"{"necessary":["necessary"],"regions":{"EU":"opt-in","US-CA":"opt-out","US":"notice","*":"none"}"#;

fn with_region(region: &str) -> String {
    format!(r#"{EU_US},"region":"{region}"}}"#)
}

#[test]
fn each_policy_starts_where_its_law_says() {
    let eu = start(&with_region("DE"), false);
    assert_eq!(
        (eu.policy(), on(&eu), eu.asks(), eu.status()),
        (Policy::OptIn, vec!["necessary"], true, Status::Pending)
    );
    let ca = start(&with_region("US-CA"), false);
    assert_eq!(
        (ca.policy(), ca.asks()),
        (Policy::OptOut, false),
        "opt-out: a link, no banner"
    );
    assert_eq!(on(&ca).len(), 11, "everything on until the visitor opts out");
    let ca_gpc = start(&with_region("US-CA"), true);
    assert_eq!(
        on(&ca_gpc)
            .iter()
            .filter(|n| ["analytics", "marketing"].contains(n))
            .count(),
        0,
        "GPC is the opt-out"
    );
    assert!(on(&ca_gpc).contains(&"necessary"));
    let tx = start(&with_region("US-TX"), false);
    assert_eq!((tx.policy(), tx.asks(), on(&tx).len()), (Policy::Notice, true, 11));
    let jp = start(&with_region("JP"), false);
    assert_eq!((jp.policy(), jp.asks(), on(&jp).len()), (Policy::None, false, 11));
    let unknown = start(&format!("{EU_US}}}"), false);
    assert_eq!(
        (unknown.policy(), on(&unknown)),
        (Policy::OptIn, vec!["necessary"]),
        "unknown: the strictest"
    );
}

#[test]
fn each_button_commits_what_it_says_and_refusing_is_as_easy_as_accepting() {
    let eu = with_region("FR");
    let mut e = start(&eu, false);
    choose(&mut e, Button::AcceptAll, "{}", NOW);
    assert_eq!(
        on(&e)
            .iter()
            .filter(|n| ["necessary", "analytics", "marketing"].contains(n))
            .count(),
        3
    );
    assert!(
        !e.is_approved(&["aa"]),
        "Adobe's categories the banner does not show stay as they were"
    );
    assert!(!e.asks());
    let mut e = start(&eu, false);
    choose(&mut e, Button::RejectAll, "{}", NOW);
    assert_eq!(on(&e), vec!["necessary"]);
    let mut e = start(&eu, false);
    choose(
        &mut e,
        Button::Save,
        r#"{"analytics":true,"marketing":"yes","necessary":false}"#,
        NOW,
    );
    assert_eq!(
        on(&e),
        vec!["necessary", "analytics"],
        "only true approves; the necessary stay on"
    );
    assert_eq!(e.status(), Status::Complete);
}

#[test]
fn a_stored_choice_counts_until_it_expires_and_a_refusal_keeps_the_banner_away() {
    let eu = with_region("FR");
    let lifetime = 34_190_000_000.0;
    let mut e = start(&eu, false);
    let (adobe, own) = choose(&mut e, Button::AcceptAll, "{}", NOW);
    let back = |at: f64| start_at(&eu, [Some(&adobe), Some(&own)], false, at);
    assert!(!back(NOW + 30.0 * DAY).0.asks(), "a returning visitor is not asked");
    assert_eq!(on(&back(NOW + 30.0 * DAY).0).len(), 3);
    let (old, warnings) = back(NOW + lifetime + DAY);
    assert!(
        old.asks() && on(&old) == vec!["necessary"],
        "13 months on, an acceptance is asked again"
    );
    assert!(warnings.iter().any(|w| w.contains("expired")));

    // A short lifetime does not bring the banner back sooner than 6 months after "Reject all".
    let short = format!(r#"{{{SITE},"optInStorageExpiry":2592000,"ui":{}}}"#, with_region("FR"));
    let run = |stored: [Option<&str>; 2], at: f64| {
        let config = Config::parse(&parse(&short).unwrap(), &mut vec![]).unwrap();
        Engine::start(config, stored, at, false, &mut vec![])
    };
    let mut e = run([None, None], NOW);
    let (adobe, own) = choose(&mut e, Button::RejectAll, "{}", NOW);
    assert!(
        !run([Some(&adobe), Some(&own)], NOW + 100.0 * DAY).asks(),
        "rejected: quiet for 183 days"
    );
    assert!(run([Some(&adobe), Some(&own)], NOW + 184.0 * DAY).asks());
    let mut e = run([None, None], NOW);
    let (adobe, own) = choose(&mut e, Button::Save, r#"{"analytics":true}"#, NOW);
    assert!(
        run([Some(&adobe), Some(&own)], NOW + 31.0 * DAY).asks(),
        "a partial acceptance lasts the lifetime"
    );
}

#[test]
fn a_revision_or_a_new_purpose_asks_again() {
    let eu = with_region("FR");
    let mut e = start(&eu, false);
    let (adobe, own) = choose(&mut e, Button::RejectAll, "{}", NOW);
    let bumped = format!(r#"{{{SITE},"revision":1,"ui":{eu}}}"#);
    let config = Config::parse(&parse(&bumped).unwrap(), &mut vec![]).unwrap();
    assert!(Engine::start(config, [Some(&adobe), Some(&own)], NOW + DAY, false, &mut vec![]).asks());
    let more = r#"{"categories":["necessary","analytics","marketing","video"],"isOptInStorageEnabled":true,"ui":{"necessary":["necessary"],"region":"FR"}}"#;
    let config = Config::parse(&parse(more).unwrap(), &mut vec![]).unwrap();
    let e = Engine::start(config, [Some(&adobe), Some(&own)], NOW + DAY, false, &mut vec![]);
    assert!(e.asks(), "a category added since was never asked about");
    assert_eq!(on(&e), vec!["necessary"], "the old refusal still holds meanwhile");
}

#[test]
fn a_notice_acknowledged_is_no_consent_where_opt_in_applies() {
    let mut e = start(&with_region("US-TX"), false);
    let (adobe, own) = choose(&mut e, Button::Acknowledge, "{}", NOW);
    assert!(own.contains(r#""notice":true"#));
    let (tx, _) = start_at(&with_region("US-TX"), [Some(&adobe), Some(&own)], false, NOW + DAY);
    assert!(!tx.asks());
    let (fr, _) = start_at(&with_region("FR"), [Some(&adobe), Some(&own)], false, NOW + DAY);
    assert!(
        fr.asks() && on(&fr) == vec!["necessary"],
        "in the EU the banner asks and nothing runs"
    );
}

#[test]
fn the_region_found_after_the_start_moves_the_defaults_but_never_a_choice() {
    let located = format!(r#"{EU_US},"regionUrl":"/region"}}"#);
    let mut e = start(&located, false);
    assert_eq!(on(&e), vec!["necessary"], "until the region is known: the strictest");
    let commit = e.locate("US-CA").unwrap();
    assert_eq!(commit.changes.len(), 10, "everything but the necessary turns on");
    assert!(commit.stored.is_none(), "a default, not a choice: nothing stored");
    assert!(!e.asks());
    let mut e = start(&located, false);
    choose(&mut e, Button::RejectAll, "{}", NOW);
    assert!(e.locate("US-CA").is_none(), "a choice stands wherever the visitor is");
    assert_eq!(on(&e), vec!["necessary"]);
}

#[test]
fn a_typo_in_ui_approves_nothing() {
    for text in [
        r#"{"ui":{"regions":{"EU":"opt_in"}}}"#,
        r#"{"ui":{"region":"DE","regoins":{}}}"#,
        r#"{"doesOptInApply":false,"ui":{}}"#,
        r#"{"ui":{"necesary":["aa"]}}"#,
        r#"{"consentMode":{"ad_storage":["aa"],"regions":["DE","US-CA"]},"ui":{"regions":{"EU":"opt-in","US-CA":"opt-out"}}}"#,
    ] {
        assert!(Config::parse(&parse(text).unwrap(), &mut vec![]).is_err(), "{text}");
    }
}

#[test]
fn consent_modes_regions_are_the_opt_in_ones() {
    let ok = r#"{"consentMode":{"ad_storage":["aa"],"regions":["DE","FR"]},"ui":{"regions":{"EU":"opt-in","US-CA":"opt-out"}}}"#;
    assert!(Config::parse(&parse(ok).unwrap(), &mut vec![]).is_ok());
    let bad = r#"{"consentMode":{"ad_storage":["aa"],"regions":["US-CA"]},"ui":{"regions":{"EU":"opt-in","US-CA":"opt-out"}}}"#;
    let e = Config::parse(&parse(bad).unwrap(), &mut vec![]).unwrap_err();
    assert!(
        e.contains(
            r#"config.consentMode.regions is "US-CA"; expected only regions where ui.regions' policy is opt-in"#
        ),
        "{e}"
    );
}
