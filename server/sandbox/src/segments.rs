//! SMS length rules: how many billable segments a text takes.
//!
//! GSM-7 texts fit 160 septets in one SMS and 153 per part when split
//! (characters of the extension table take two septets and are never split);
//! any other text is UCS-2: 70 UTF-16 units, 67 per part (a surrogate pair
//! is never split). Korean carriers count bytes: 80 per message, with Hangul
//! and every other non-ASCII character taking two.
//!
//! ```
//! use consentry_sandbox::segments::{count, Encoding};
//! assert_eq!(count("Reply Y to confirm", "+15555550100").segments, 1);
//! assert_eq!(count(&"9".repeat(161), "+15555550100").segments, 2);
//! assert_eq!(count("안녕하세요", "+821012345678").encoding, Encoding::KoreanBytes);
//! ```

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡\
ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// How a text is encoded for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The GSM 03.38 7-bit alphabet.
    Gsm7,
    /// UCS-2 (UTF-16 units).
    Ucs2,
    /// Korean carriers' byte count (EUC-KR widths).
    KoreanBytes,
}

/// The cost of one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The encoding used.
    pub encoding: Encoding,
    /// Septets, UTF-16 units or bytes, by encoding.
    pub units: u32,
    /// Billable segments; 0 for an empty text.
    pub segments: u32,
}

/// Counts `text` for a message to `phone` (E.164): Korean numbers (+82)
/// follow the carriers' byte rule, every other number GSM-7 or UCS-2.
pub fn count(text: &str, phone: &str) -> Count {
    if phone.starts_with("+82") {
        return split(
            text,
            Encoding::KoreanBytes,
            |c| if c.is_ascii() { 1 } else { 2 },
            80,
            80,
        );
    }
    let gsm7 = text
        .chars()
        .all(|c| GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c));
    if gsm7 {
        split(
            text,
            Encoding::Gsm7,
            |c| if GSM7_EXTENSION.contains(c) { 2 } else { 1 },
            160,
            153,
        )
    } else {
        split(text, Encoding::Ucs2, |c| c.len_utf16() as u32, 70, 67)
    }
}

/// One message holds `single` units; a split message `part` units per
/// segment, and a character never straddles two segments.
fn split(text: &str, encoding: Encoding, width: impl Fn(char) -> u32, single: u32, part: u32) -> Count {
    let units: u32 = text.chars().map(&width).sum();
    let segments = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        let (mut segments, mut used) = (1, 0);
        for w in text.chars().map(&width) {
            if used + w > part {
                segments += 1;
                used = 0;
            }
            used += w;
        }
        segments
    };
    Count {
        encoding,
        units,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: &str = "+15555550100";

    #[test]
    fn gsm7_boundaries() {
        assert_eq!(
            count(&"1".repeat(160), US),
            Count {
                encoding: Encoding::Gsm7,
                units: 160,
                segments: 1
            }
        );
        assert_eq!(count(&"1".repeat(161), US).segments, 2);
        assert_eq!(count(&"1".repeat(306), US).segments, 2);
        assert_eq!(count(&"1".repeat(307), US).segments, 3);
        assert_eq!(count("", US).segments, 0);
    }

    #[test]
    fn extension_characters_take_two_septets_and_are_not_split() {
        assert_eq!(
            count(&"€".repeat(80), US),
            Count {
                encoding: Encoding::Gsm7,
                units: 160,
                segments: 1
            }
        );
        assert_eq!(count(&"€".repeat(81), US).segments, 2);
        // 152 septets, then a two-septet character that must start part two.
        let text = "1".repeat(152) + "€" + &"1".repeat(10);
        assert_eq!(count(&text, US).segments, 2);
        let text = "1".repeat(152) + "€" + &"1".repeat(152);
        assert_eq!(count(&text, US).segments, 3);
    }

    #[test]
    fn ucs2_boundaries_and_emoji() {
        assert_eq!(count(&"é".repeat(200), US).encoding, Encoding::Gsm7);
        assert_eq!(
            count(&"ж".repeat(70), US),
            Count {
                encoding: Encoding::Ucs2,
                units: 70,
                segments: 1
            }
        );
        assert_eq!(count(&"ж".repeat(71), US).segments, 2);
        assert_eq!(count(&"ж".repeat(134), US).segments, 2);
        assert_eq!(count(&"ж".repeat(135), US).segments, 3);
        assert_eq!(
            count(&"😀".repeat(35), US),
            Count {
                encoding: Encoding::Ucs2,
                units: 70,
                segments: 1
            }
        );
        assert_eq!(count(&"😀".repeat(36), US).segments, 2);
        // 134 units would fill two parts exactly, but the pair after 66
        // units cannot be split, so it opens part two and part three follows.
        let text = "ж".repeat(66) + "😀" + &"ж".repeat(66);
        assert_eq!(count(&text, US).units, 134);
        assert_eq!(count(&text, US).segments, 3);
        assert_eq!(count("Hi 😀", US).encoding, Encoding::Ucs2);
    }

    #[test]
    fn korean_carriers_count_bytes() {
        let kr = "+821012345678";
        assert_eq!(
            count(&"가".repeat(40), kr),
            Count {
                encoding: Encoding::KoreanBytes,
                units: 80,
                segments: 1
            }
        );
        assert_eq!(count(&"가".repeat(41), kr).segments, 2);
        assert_eq!(count(&"a".repeat(80), kr).segments, 1);
        assert_eq!(count(&("a".repeat(79) + "가"), kr).segments, 2);
    }
}
