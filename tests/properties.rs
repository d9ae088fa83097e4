//! Property tests: no sequence of calls approves what neither the visitor
//! nor the defaults approved; staged changes never leak; records round-trip;
//! any cookie value is decoded or ignored, never approving by itself; under
//! Global Privacy Control, with a CMP's choices mixed in, a sale category is
//! approved only by an explicit approval.
// Test code: its helpers may unwrap (clippy.toml).
#![cfg(test)]
#![cfg(not(target_arch = "wasm32"))]

use consentry::consent::{Categories, ChoiceMeta, Config, Engine, Record, Status};
use consentry::json::parse;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Call {
    Set { cats: Vec<usize>, value: bool, wait: bool },
    SetAll { value: bool, wait: bool },
    Complete,
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (
            proptest::collection::vec(0usize..10, 1..4),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(cats, value, wait)| Call::Set { cats, value, wait }),
        (any::<bool>(), any::<bool>()).prop_map(|(value, wait)| Call::SetAll { value, wait }),
        Just(Call::Complete),
    ]
}

fn engine(pre: &[Option<bool>]) -> Engine {
    let pre: Vec<String> = [
        "aam", "adcloud", "aa", "campaign", "ecid", "livefyre", "target", "mediaaa", "sms", "ads",
    ]
    .iter()
    .zip(pre)
    .filter_map(|(n, v)| v.map(|v| format!("\"{n}\":{v}")))
    .collect();
    let json = format!(
        r#"{{"doesOptInApply":true,"categories":["sms","ads"],"preOptInApprovals":{{{}}}}}"#,
        pre.join(",")
    );
    let config = Config::parse(&parse(&json).unwrap(), &mut vec![]).unwrap();
    Engine::start(config, [None, None], 0.0, false, &mut vec![])
}

proptest! {
    #[test]
    fn nothing_is_approved_that_nobody_approved(
        pre in proptest::collection::vec(proptest::option::of(any::<bool>()), 10),
        calls in proptest::collection::vec(call(), 0..30),
    ) {
        let mut e = engine(&pre);
        // A model of what the visitor committed, category by category.
        let mut committed: Vec<Option<bool>> = vec![None; 10];
        let mut staged = committed.clone();
        let mut id = || "id".to_string();
        for c in calls {
            let before: Vec<bool> = e.permissions().to_vec();
            let commit = match &c {
                Call::Set { cats, value, wait } => {
                    for i in cats { staged[*i] = Some(*value); }
                    e.set(cats, *value, *wait, 0.0, &mut id)
                }
                Call::SetAll { value, wait } => {
                    staged = vec![Some(*value); 10];
                    e.set_all(*value, *wait, 0.0, &mut id)
                }
                Call::Complete => e.complete(0.0, &mut id),
            };
            if commit.is_some() {
                committed = staged.clone();
            } else {
                // Staged changes never leak into what tags see.
                prop_assert_eq!(e.permissions(), &before[..]);
            }
            for i in 0..10 {
                let approved = e.permissions()[i];
                let allowed = committed[i].unwrap_or(pre[i] == Some(true));
                prop_assert_eq!(approved, allowed, "category {} after {:?}", i, c);
            }
            if e.status() == Status::Changed {
                prop_assert!(commit.is_none());
            }
        }
    }

    #[test]
    fn stored_records_round_trip(
        choice in proptest::option::of(proptest::collection::vec(any::<bool>(), 9)),
        memo in proptest::collection::vec(("[a-zA-Z]{1,8}", "[ -~é😀]{0,12}"), 0..4),
        rev in 0u32..100, time in 0u64..(1 << 50), id in "[0-9a-f]{0,32}", gpc in any::<bool>(),
    ) {
        let cats = Categories::with_site(&["sms".into()]).unwrap();
        let mut memo: Vec<_> = memo.into_iter()
            .filter(|(k, _)| cats.index(k).is_none() && k != "consentry")
            .map(|(k, v)| (k, consentry::json::Value::String(v)))
            .collect();
        memo.sort_by(|a, b| a.0.cmp(&b.0));
        memo.dedup_by(|a, b| a.0 == b.0);
        let record = Record {
            choice: choice.map(|c| c.into_iter().map(Some).collect()),
            memo,
            meta: Some(ChoiceMeta { revision: rev, time: time as f64, id, gpc, notice: false }),
        };
        let (adobe, own) = record.encode(&cats);
        let back = Record::decode(Some(&adobe), own.as_deref(), &cats, rev, None, &mut vec![]).unwrap();
        prop_assert_eq!(back, record);
    }

    #[test]
    fn any_stored_text_is_read_or_ignored_never_approving_by_itself(
        adobe in proptest::collection::vec(any::<u8>(), 0..200),
        own in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
    ) {
        let adobe = String::from_utf8_lossy(&adobe);
        let own = own.map(|own| String::from_utf8_lossy(&own).into_owned());
        let config = Config::parse(&parse(r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"categories":["sms"]}"#).unwrap(), &mut vec![]).unwrap();
        let e = Engine::start(config, [Some(&adobe), own.as_deref()], 0.0, false, &mut vec![]);
        // Only a literal `"cat":true` in one of the values can approve `cat`.
        for (i, name) in e.config().categories.names().iter().enumerate() {
            if e.permissions()[i] {
                let needle = format!("\"{name}\"");
                let holds = |text: &str| text.contains(&needle) && text.contains("true");
                prop_assert!(holds(&adobe) || own.as_deref().is_some_and(holds));
            }
        }
    }

    #[test]
    fn under_gpc_only_an_explicit_approval_approves_a_sale_category(
        calls in proptest::collection::vec(
            prop_oneof![call().prop_map(Ok), proptest::collection::vec((0usize..10, any::<bool>()), 1..4).prop_map(Err)],
            0..30,
        ),
    ) {
        // aam and sms are sold; everything is pre-approved; GPC is on.
        let json = r#"{"doesOptInApply":true,"categories":["sms","ads"],"gpc":{"sale":["aam","sms"]},
            "preOptInApprovals":{"aam":true,"adcloud":true,"aa":true,"campaign":true,"ecid":true,"livefyre":true,"target":true,"mediaaa":true,"sms":true,"ads":true}}"#;
        let config = Config::parse(&parse(json).unwrap(), &mut vec![]).unwrap();
        let mut e = Engine::start(config, [None, None], 0.0, true, &mut vec![]);
        let sold = [0usize, 8];
        // Whether an approval of each sold category has been committed (by
        // the visitor or a CMP) since its last denial.
        let mut approved_by_someone = [false; 10];
        let mut staged = approved_by_someone;
        let mut id = || "id".to_string();
        for c in calls {
            let commit = match &c {
                Ok(Call::Set { cats, value, wait }) => {
                    for i in cats { staged[*i] = *value; }
                    e.set(cats, *value, *wait, 0.0, &mut id)
                }
                Ok(Call::SetAll { value, wait }) => {
                    staged = [*value; 10];
                    e.set_all(*value, *wait, 0.0, &mut id)
                }
                Ok(Call::Complete) => e.complete(0.0, &mut id),
                Err(choices) => {
                    // A CMP's choices commit at once, and apply to what the
                    // visitor has staged too.
                    if e.apply(choices, 0.0, &mut id).is_some() {
                        for (i, v) in choices {
                            approved_by_someone[*i] = *v;
                            staged[*i] = *v;
                        }
                    }
                    None
                }
            };
            if commit.is_some() {
                approved_by_someone = staged;
            }
            for i in sold {
                if e.permissions()[i] {
                    prop_assert!(approved_by_someone[i], "sold category {} approved after {:?}", i, c);
                }
                prop_assert!(!e.is_pre_approved(&[e.config().categories.names()[i].as_str()]));
            }
        }
    }
}
