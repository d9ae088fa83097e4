//! The GPP module's rules, natively. Field-for-field agreement with the
//! IAB's own library is `tests/e2e/gpp.test.mjs`'s (it needs node).

use consentry_gpp::codec::{decode, encode};
use consentry_gpp::rules::{self, applicable, choices};
use consentry_gpp::sections::layout;

#[test]
fn header_lists_the_sections_as_ranges() {
    // usnat alone, and 7, 8, 9 and 12: one range and one single id.
    assert_eq!(encode(&[(7, "x".into())]), "DBABLA~x");
    let s = rules::encode(&[7, 8, 9, 12], [1, 2, 0, 0], 0, false);
    let d = decode(&s).unwrap();
    assert_eq!(d.sections.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [7, 8, 9, 12]);
}

#[test]
fn a_choice_round_trips_through_every_section() {
    let ids: Vec<u32> = (7..=27).collect();
    for states in [[1, 1, 1, 1], [2, 2, 2, 2], [0, 1, 2, 0]] {
        for mspa in 0..3 {
            for gpc in [false, true] {
                let s = rules::encode(&ids, states, mspa, gpc);
                let d = decode(&s).unwrap();
                for (id, values) in d.sections {
                    let l = layout(id).unwrap();
                    assert_eq!(values.unwrap(), rules::values(l, states, mspa, gpc), "{} {s}", l.name);
                }
            }
        }
    }
}

#[test]
fn the_iab_example_string_decodes() {
    // The IAB library's usnat version 1 example: every field 1, GPC set.
    let d = decode("DBABLA~BVVVVVVVVWA.YA").unwrap();
    let json = d.to_json();
    assert!(json.contains("\"Version\":1"), "{json}");
    assert!(
        json.contains("\"SensitiveDataProcessing\":[1,1,1,1,1,1,1,1,1,1,1,1]"),
        "{json}"
    );
    assert!(json.contains("\"Gpc\":true"), "{json}");
}

#[test]
fn broken_strings_are_errors_not_panics() {
    for s in [
        "",
        "z",
        "DBABLA",
        "DBABLA~",
        "DBABLA~!!",
        "DBACOeA~~1YNN",
        "AAAA~B",
        "D____________________~A",
    ] {
        let _ = decode(s);
    }
    assert!(decode("DBABLA~B").is_err());
    assert!(decode("z").is_err());
}

#[test]
fn applicable_sections_follow_the_region() {
    assert_eq!(applicable(&[7, 8], Some("US-CA")), [8]);
    assert_eq!(applicable(&[7, 8], Some("US-TX")), [7]);
    assert_eq!(applicable(&[8], Some("US-TX")), [-1]);
    assert_eq!(applicable(&[7, 8], Some("DE")), [-1]);
    assert_eq!(applicable(&[7, 8], None), [7]);
    assert_eq!(applicable(&[8, 9], None), [8, 9]);
}

#[test]
fn a_readers_rules_deny_unless_every_opt_out_was_declined() {
    // aam (index 0) needs sale and sharing; target (1) targeted advertising.
    let rules = [(0, 0b11), (1, 0b100)];
    let declined = rules::encode(&[7], [2, 2, 2, 0], 1, false);
    assert_eq!(
        choices(&rules, &declined, &[7]).unwrap(),
        Some(vec![(0, true), (1, true)])
    );
    let sale = rules::encode(&[7], [1, 2, 2, 0], 1, false);
    assert_eq!(choices(&rules, &sale, &[7]).unwrap(), Some(vec![(0, false), (1, true)]));
    // GPC is an opt-out of sale, sharing and targeted advertising.
    let gpc = rules::encode(&[7], [2, 2, 2, 0], 1, true);
    assert_eq!(choices(&rules, &gpc, &[7]).unwrap(), Some(vec![(0, false), (1, false)]));
    // Not applicable (0) is no "declined": fail closed.
    let na = rules::encode(&[7], [0, 0, 0, 0], 0, false);
    assert_eq!(choices(&rules, &na, &[7]).unwrap(), Some(vec![(0, false), (1, false)]));
    // No US section applies: nothing to decide.
    assert_eq!(choices(&rules, &declined, &[-1]).unwrap(), None);
    assert_eq!(choices(&rules, &declined, &[2]).unwrap(), None);
    // The applicable section is missing from the string: denied.
    assert_eq!(
        choices(&rules, &declined, &[8]).unwrap(),
        Some(vec![(0, false), (1, false)])
    );
    assert!(choices(&rules, "garbage", &[7]).is_err());
}
