//! TC strings: never panic; a string that decodes serialises to JSON our
//! reader accepts, and the default rules (Adobe's) approve aam and ecid only
//! when vendor 565 has consent for purposes 1 and 10.
#![no_main]
use consentry::consent::Categories;
use consentry::json::{parse, Value};
use consentry_iab::tcf::{decode, rules::{Rules, TcfConfig}};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(tc) = decode(&text) else { return };
    parse(&tc.to_json()).expect("to_json writes valid JSON");
    let cats = Categories::with_site(&[]).unwrap();
    let rules = TcfConfig::parse(&cats, &Value::Null).unwrap();
    let adobe =
        tc.vendor_consents.contains(&565) && tc.purpose_consents.contains(&1) && tc.purpose_consents.contains(&10);
    for (_, approved) in rules.permissions(&tc) {
        assert!(
            !approved || adobe,
            "approved without vendor 565 and purposes 1, 10: {text}"
        );
    }
});
