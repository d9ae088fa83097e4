//! Native tests of the integrations' pure rules: GPC in the engine, CMP
//! choices, tag expressions, cookie cleanup and Consent Mode state. The TCF
//! rules are tested with the TCF module (`iab/tests/rules.rs`).
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]

use consentry::consent::{cookie_paths, tag_wanted, Config, Engine, Status};
use consentry::json::parse;

fn config(json: &str) -> Config {
    Config::parse(&parse(json).unwrap(), &mut vec![]).unwrap()
}

/// An engine started from `json` with nothing stored, GPC on or off.
fn fresh(json: &str, gpc: bool) -> Engine {
    Engine::start(config(json), [None, None], 0.0, gpc, &mut vec![])
}

fn id() -> String {
    "id".into()
}

const GPC: &str = r#"{"doesOptInApply":true,"preOptInApprovals":{"aa":true,"aam":true,"target":true},
  "gpc":{"sale":["aam"],"sharing":["target"]},"isOptInStorageEnabled":true}"#;

#[test]
fn gpc_denies_sale_and_sharing_categories_and_they_cannot_be_pre_approved() {
    let e = fresh(GPC, true);
    assert!(e.is_approved(&["aa"]));
    assert!(!e.is_approved(&["aam"]) && !e.is_approved(&["target"]));
    assert!(e.is_pre_approved(&["aa"]) && !e.is_pre_approved(&["aam"]));
    // Without the signal the pre-opt-in defaults hold.
    let e = fresh(GPC, false);
    assert!(e.is_approved(&["aam", "target"]));
}

#[test]
fn under_gpc_an_explicit_choice_is_honoured_and_the_record_notes_gpc() {
    let mut e = fresh(GPC, true);
    let aam = e.config().categories.resolve(&["aam"]).unwrap();
    let (adobe, own) = e.set(&aam, true, false, 5.0, &mut id).unwrap().stored.unwrap();
    assert!(e.is_approved(&["aam"]));
    let own = own.unwrap();
    assert!(own.contains(r#""gpc":true"#), "{own}");
    // The stored choice wins over the signal on the next page.
    let e = Engine::start(config(GPC), [Some(&adobe), Some(&own)], 6.0, true, &mut vec![]);
    assert!(e.is_approved(&["aam"]) && !e.is_approved(&["target"]));
    assert!(e.meta().unwrap().gpc);
}

#[test]
fn cmp_choices_commit_at_once_and_leave_staged_changes_staged() {
    let mut e = fresh(r#"{"doesOptInApply":true}"#, false);
    let aa = e.config().categories.resolve(&["aa"]).unwrap();
    assert!(e.set(&aa, true, true, 1.0, &mut id).is_none());
    let commit = e.apply(&[(0, true), (4, false)], 2.0, &mut id).unwrap();
    assert_eq!(commit.changes, vec![(0, true)]);
    assert!(e.is_approved(&["aam"]) && !e.is_approved(&["aa"]));
    assert_eq!(e.status(), Status::Changed);
    e.complete(3.0, &mut id).unwrap();
    assert!(e.is_approved(&["aam", "aa"]));
    // The same choice again changes nothing and commits nothing.
    assert!(e.apply(&[(0, true)], 4.0, &mut id).is_none());
    // With opt-in off a CMP cannot change anything.
    let mut off = fresh("{}", false);
    assert!(off.apply(&[(0, false)], 1.0, &mut id).is_none());
    assert!(off.is_approved(&["aam"]));
}

#[test]
fn a_first_cmp_answer_completes_a_pending_gate_even_when_it_denies() {
    let mut e = fresh(r#"{"doesOptInApply":true}"#, false);
    assert_eq!(e.status(), Status::Pending);
    assert!(e.apply(&[(0, false)], 1.0, &mut id).is_some());
    assert_eq!(e.status(), Status::Complete);
}

#[test]
fn tag_expressions() {
    let c = config(r#"{"doesOptInApply":true,"categories":["ads"]}"#);
    let cats = &c.categories;
    let mut perms = vec![false; cats.len()];
    perms[2] = true; // aa
    assert_eq!(tag_wanted(cats, &perms, "aa"), Ok(true));
    assert_eq!(tag_wanted(cats, &perms, " aa  target "), Ok(false));
    assert_eq!(tag_wanted(cats, &perms, "!target"), Ok(true));
    assert_eq!(tag_wanted(cats, &perms, "aa !ads"), Ok(true));
    assert_eq!(tag_wanted(cats, &perms, "!aa"), Ok(false));
    assert_eq!(tag_wanted(cats, &perms, "aa nope"), Err("nope"));
    assert_eq!(tag_wanted(cats, &perms, "!"), Err("!"));
    assert!(tag_wanted(cats, &perms, "  ").is_err());
}

#[test]
fn cookies_of_unapproved_categories_are_found_by_name_and_prefix() {
    let c = config(r#"{"cookies":{"aa":["s_cc","_ga*"],"target":["mbox"]}}"#);
    let mut perms = vec![false; c.categories.len()];
    let jar = "s_cc=1; _ga=GA1; _ga_XYZ=2; _gat=3; mbox=x; other=1; adobeujs-optin=%7B%7D; s_ccc=1";
    assert_eq!(
        c.integrations.cookies_to_delete(&perms, jar),
        vec!["s_cc", "_ga", "_ga_XYZ", "_gat", "mbox"]
    );
    perms[2] = true; // aa approved
    assert_eq!(c.integrations.cookies_to_delete(&perms, jar), vec!["mbox"]);
    // Consentry's own record is never deleted, whatever the patterns say.
    let greedy = config(r#"{"cookies":{"aa":["adobe*"]}}"#);
    assert!(greedy.integrations.cookies_to_delete(&[false; 8], jar).is_empty());
}

#[test]
fn each_cookie_is_deleted_under_every_domain_and_path_variant() {
    let c = config(r#"{"cookies":{"target":["mbox"]}}"#);
    let perms = vec![false; c.categories.len()];
    let deletions = c
        .integrations
        .cookie_deletions(&perms, "mbox=x; keep=1", "www.shop.example.com", "/cart", true);
    let mut expected = Vec::new();
    for domain in [
        "; domain=example.com",
        "; domain=shop.example.com",
        "; domain=www.shop.example.com",
        "",
    ] {
        for path in ["/", "/cart", "/cart/"] {
            expected.push(format!("mbox=; max-age=0; path={path}{domain}; Secure"));
        }
    }
    let (mut got, mut want) = (deletions.clone(), expected);
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(c
        .integrations
        .cookie_deletions(&perms, "keep=1", "example.com", "/", false)
        .is_empty());
}

#[test]
fn cookie_paths_cover_every_directory() {
    assert_eq!(cookie_paths("/"), vec!["/"]);
    assert_eq!(
        cookie_paths("/shop/cart.html"),
        vec!["/", "/shop", "/shop/", "/shop/cart.html", "/shop/cart.html/"]
    );
}

#[test]
fn consent_mode_state_follows_the_permissions() {
    let c = config(
        r#"{"consentMode":{"ad_storage":["aam","adcloud"],"analytics_storage":["aa"],"security_storage":true,"regions":["ES","US-CA"],"waitForUpdate":800}}"#,
    );
    let mut perms = vec![false; c.categories.len()];
    perms[0] = true; // aam only
    assert_eq!(
        c.integrations.consent_state(&perms),
        vec![
            ("ad_storage", false),
            ("analytics_storage", false),
            ("security_storage", true)
        ]
    );
    perms[1] = true;
    perms[2] = true;
    assert_eq!(
        c.integrations.consent_state(&perms),
        vec![
            ("ad_storage", true),
            ("analytics_storage", true),
            ("security_storage", true)
        ]
    );
}

#[test]
fn bad_integration_config_is_refused_with_the_key_named() {
    for (json, named) in [
        (r#"{"gpc":{"sell":["aam"]}}"#, "config.gpc.sell"),
        (r#"{"gpc":{"sale":["nope"]}}"#, "config.gpc.sale"),
        (r#"{"cookies":{"aa":["bad name"]}}"#, "config.cookies.aa"),
        (r#"{"cookies":{"nope":["x"]}}"#, "config.cookies.nope"),
        (
            r#"{"consentMode":{"ad_storag":["aam"]}}"#,
            "config.consentMode.ad_storag",
        ),
        (
            r#"{"consentMode":{"ad_storage":"aam"}}"#,
            "config.consentMode.ad_storage",
        ),
        (
            r#"{"consentMode":{"waitForUpdate":-1}}"#,
            "config.consentMode.waitForUpdate",
        ),
        (r#"{"consentMode":{"regions":"ES"}}"#, "config.consentMode.regions"),
        (r#"{"consentMode":{"ad_storage":[]}}"#, "config.consentMode.ad_storage"),
    ] {
        let e = Config::parse(&parse(json).unwrap(), &mut vec![]).unwrap_err();
        assert!(e.starts_with(named), "{json}: {e}");
    }
}
