//! The phone form's rules, pure Rust tested natively: its options, texts,
//! E.164 normalisation, the request body and consent record, the outbox
//! and SHA-256. Nothing here calls out; the JS shell (`js/form.js`) carries
//! the decisions out in the browser.

#[allow(unused_imports)]
use crate::prelude::*;
pub mod form_options;
pub mod join;
pub mod outbox;
pub mod payload;
pub mod phone;
pub mod read;
pub mod sha256;
pub mod signup;
pub mod texts;
pub mod verification;

/// Whether `haystack` holds `needle`: a byte search. `str::contains` with a
/// string pattern brings the two-way searcher and its panic formatting,
/// about 2 KB brotli of wasm.
pub fn has(haystack: &str, needle: &str) -> bool {
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

/// `s` without its leading and trailing whitespace (Unicode's), as
/// `str::trim`, found from the front only: `trim` also decodes UTF-8
/// backwards, which costs every form's wasm its reverse decoder.
pub fn trimmed(s: &str) -> &str {
    let (mut start, mut end) = (None, 0);
    for (i, c) in s.char_indices() {
        if !c.is_whitespace() {
            start.get_or_insert(i);
            end = i + c.len_utf8();
        }
    }
    start.and_then(|start| s.get(start..end)).unwrap_or_default()
}

/// `items` joined with ", " (`[..].join` brings its own generic copy).
pub fn list<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trimmed_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a ",
            "\u{3000}가 나\u{a0}\n",
            "\t\r x\u{2028}",
            "é",
            " é é ",
        ] {
            assert_eq!(super::trimmed(s), s.trim(), "{s:?}");
        }
    }
}
