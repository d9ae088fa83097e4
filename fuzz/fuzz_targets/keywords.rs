//! Inbound keyword messages against the default keywords of each built-in
//! language (one group per language, as keywords are unique within a
//! group): never panic, whatever the message.
#![no_main]
use consentry_sandbox::keywords::{defaults, Keywords};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn groups() -> &'static [Keywords] {
    static K: OnceLock<Vec<Keywords>> = OnceLock::new();
    K.get_or_init(|| {
        ["en", "ko", "ja"]
            .iter()
            .map(|l| Keywords::new(defaults(l, "Acme Alerts")).unwrap())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let message = String::from_utf8_lossy(data);
    for keywords in groups() {
        if let Some(category) = keywords.classify(&message) {
            let _ = (
                category.kind(),
                category.language(),
                category.reply(),
                category.intent(),
            );
        }
    }
});
