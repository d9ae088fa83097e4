//! E.164 normalisation of what a visitor types: never panics; a result is
//! `+` and 8 to 15 digits, and normalising it again gives it back. (The
//! sandbox's own check, with the phonenumber crate, is fuzzed through its
//! endpoints by `sandbox_request`.)
#![no_main]
use consentry_form::rules::phone::normalise;
use libfuzzer_sys::fuzz_target;

const COUNTRIES: [&str; 6] = ["US", "GB", "KR", "JP", "DE", "BR"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let input = String::from_utf8_lossy(rest);
    let country = COUNTRIES[usize::from(pick) % COUNTRIES.len()];
    let allowed: &[&str] = if pick & 0x80 == 0 { &[] } else { &COUNTRIES[..3] };
    if let Ok(e164) = normalise(&input, country, allowed) {
        let digits = &e164[1..];
        assert!(
            e164.starts_with('+') && digits.bytes().all(|b| b.is_ascii_digit()),
            "{input:?} -> {e164}"
        );
        assert!((8..=15).contains(&digits.len()), "{input:?} -> {e164}");
        assert_eq!(
            normalise(&e164, country, allowed).as_deref(),
            Ok(e164.as_str()),
            "{input:?}"
        );
    }
});
