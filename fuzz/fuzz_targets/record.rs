//! The stored consent record, Adobe's value and Consentry's (the input split
//! at its first NUL; the shell decodes the cookies' percent-encoding):
//! never panics, and never approves a category the values do not approve
//! with the boolean `true` (the configuration approves nothing by default).
//! A record that decodes encodes to one that decodes the same.
#![no_main]
use consentry::consent::{Config, Engine, Record};
use consentry::json::parse;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        let value =
            parse(r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"categories":["sms","whatsapp"]}"#).unwrap();
        Config::parse(&value, &mut Vec::new()).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut w = Vec::new();
    let config = config();
    let cats = &config.categories;
    {
        let (adobe, own) = match text.split_once('\0') {
            Some((a, o)) => (a, Some(o)),
            None => (&*text, None),
        };
        let stored = (adobe, own);
        let engine = Engine::start(config.clone(), [Some(adobe), own], 1.8e12, false, &mut w);
        let record = Record::decode(Some(adobe), own, cats, config.revision, None, &mut w);
        let choice = record.as_ref().and_then(|r| r.choice.clone()).unwrap_or_default();
        for (i, approved) in engine.permissions().iter().enumerate() {
            assert!(
                !approved || choice.get(i) == Some(&Some(true)),
                "approved {i} from {stored:?}"
            );
        }
        if let Some(r) = record {
            let (adobe, own) = r.encode(cats);
            let again = Record::decode(Some(&adobe), own.as_deref(), cats, config.revision, None, &mut w);
            assert_eq!(again.as_ref(), Some(&r), "round trip of {stored:?}");
        }
    }
});
