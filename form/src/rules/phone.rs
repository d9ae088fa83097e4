//! Phone numbers as visitors type them, normalised to E.164 with compact
//! per-country rules (calling code, trunk prefix, mobile number lengths).
//!
//! This is what the browser can afford: the `phonenumber` crate would add
//! hundreds of kilobytes to every page. The sandbox service validates again
//! with full metadata.
//!
//! ```
//! use consentry_form::rules::phone::normalise;
//! assert_eq!(normalise("07700 9001", "GB", &[]).unwrap_err().code(), "too_short");
//! assert_eq!(normalise("07700 900123", "GB", &[]).unwrap(), "+447700900123");
//! assert_eq!(normalise("010-1234-5678", "KR", &[]).unwrap(), "+821012345678");
//! assert_eq!(normalise("+1 (415) 555-2671", "GB", &["GB", "US"]).unwrap(), "+14155552671");
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
/// One country's dialling rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub iso: &'static str,
    /// The calling code, without `+`.
    pub calling_code: &'static str,
    /// The national trunk prefix visitors may type first (`0`, or `1` in
    /// North America), or empty.
    pub trunk: &'static str,
    /// Shortest and longest national (significant) number of a mobile.
    pub lengths: (usize, usize),
}

const fn c(iso: &'static str, calling_code: &'static str, trunk: &'static str, min: usize, max: usize) -> Country {
    Country {
        iso,
        calling_code,
        trunk,
        lengths: (min, max),
    }
}

/// The countries the form knows, by ISO code.
pub const COUNTRIES: [Country; 20] = [
    c("US", "1", "1", 10, 10),
    c("CA", "1", "1", 10, 10),
    c("GB", "44", "0", 10, 10),
    c("IE", "353", "0", 9, 9),
    c("DE", "49", "0", 10, 11),
    c("FR", "33", "0", 9, 9),
    c("ES", "34", "", 9, 9),
    c("IT", "39", "", 9, 10),
    c("NL", "31", "0", 9, 9),
    c("BE", "32", "0", 9, 9),
    c("AU", "61", "0", 9, 9),
    c("NZ", "64", "0", 8, 10),
    c("JP", "81", "0", 10, 10),
    c("KR", "82", "0", 9, 10),
    c("IN", "91", "0", 10, 10),
    c("BR", "55", "0", 10, 11),
    c("MX", "52", "", 10, 10),
    c("SG", "65", "", 8, 8),
    c("ZA", "27", "0", 9, 9),
    c("PH", "63", "0", 10, 10),
];

/// The rules of `iso`, if known.
pub fn country(iso: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso.eq_ignore_ascii_case(iso))
}

/// Why a typed number was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing was typed.
    Empty,
    /// A letter or other character that is not part of a phone number.
    InvalidCharacter(char),
    /// The country is not one the form knows.
    UnknownCountry(String),
    /// An international number of a country the form does not allow.
    CountryNotAllowed,
    /// Fewer digits than a mobile number of the country has.
    TooShort,
    /// More digits than a mobile number of the country has.
    TooLong,
    /// Digits no number of the country starts with.
    InvalidStart,
}

impl PhoneError {
    /// A stable code, for choosing the message in the visitor's language.
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::Empty => "empty",
            PhoneError::InvalidCharacter(_) => "invalid_character",
            PhoneError::UnknownCountry(_) => "unknown_country",
            PhoneError::CountryNotAllowed => "country_not_allowed",
            PhoneError::TooShort => "too_short",
            PhoneError::TooLong => "too_long",
            PhoneError::InvalidStart => "invalid_start",
        }
    }
}

/// Normalises `input` typed with `default_country` selected to E.164.
/// Spaces, dashes, dots, slashes and brackets are ignored; a leading `+` or
/// `00` means an international number, which must belong to `allowed` (any
/// known country when `allowed` is empty); otherwise a national trunk
/// prefix is dropped, and the selected country must be allowed.
pub fn normalise(input: &str, default_country: &str, allowed: &[&str]) -> Result<String, PhoneError> {
    let home = country(default_country).ok_or_else(|| PhoneError::UnknownCountry(default_country.to_string()))?;
    let input = super::trimmed(input);
    let mut digits = String::new();
    let mut international = false;
    for (i, ch) in input.chars().enumerate() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' if i == 0 => international = true,
            ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
            other => return Err(PhoneError::InvalidCharacter(other)),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    if let Some(rest) = digits.strip_prefix("00").filter(|_| !international) {
        digits = rest.to_string();
        international = true;
    }
    let permitted = |c: &&Country| allowed.is_empty() || allowed.iter().any(|a| a.eq_ignore_ascii_case(c.iso));
    let (rules, national) = if international {
        // North America shares +1: prefer the selected country's entry.
        let found = core::iter::once(home)
            .chain(COUNTRIES.iter())
            .filter(permitted)
            .find(|c| digits.starts_with(c.calling_code))
            .ok_or(PhoneError::CountryNotAllowed)?;
        (found, digits.get(found.calling_code.len()..).unwrap_or_default())
    } else if !permitted(&home) {
        // A national number belongs to the selected country, which must be allowed too.
        return Err(PhoneError::CountryNotAllowed);
    } else {
        let (min, max) = home.lengths;
        let without_trunk = digits
            .strip_prefix(home.trunk)
            .filter(|rest| !home.trunk.is_empty() && rest.len() >= min);
        let national = match without_trunk {
            Some(rest) if digits.len() > max || rest.len() <= max => rest,
            _ => digits.as_str(),
        };
        (home, national)
    };
    let (min, max) = rules.lengths;
    if national.len() < min {
        return Err(PhoneError::TooShort);
    }
    if national.len() > max {
        return Err(PhoneError::TooLong);
    }
    // North American area codes and the national part elsewhere never start
    // with the trunk digit once it has been dropped.
    let first = national.as_bytes().first().copied().unwrap_or(b'0');
    if (rules.calling_code == "1" && first < b'2') || (!rules.trunk.is_empty() && national.starts_with(rules.trunk)) {
        return Err(PhoneError::InvalidStart);
    }
    let mut e164 = String::from("+");
    e164.push_str(rules.calling_code);
    e164.push_str(national);
    Ok(e164)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_with_separators_and_trunk_prefixes() {
        let cases = [
            ("(415) 555-2671", "US", "+14155552671"),
            ("1-415-555-2671", "US", "+14155552671"),
            ("415.555.2671", "CA", "+14155552671"),
            ("07700 900123", "GB", "+447700900123"),
            ("7700900123", "GB", "+447700900123"),
            ("0151 23456789", "DE", "+4915123456789"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("612 34 56 78", "ES", "+34612345678"),
            ("347 123 4567", "IT", "+393471234567"),
            ("090-1234-5678", "JP", "+819012345678"),
            ("010 1234 5678", "KR", "+821012345678"),
            ("0412 345 678", "AU", "+61412345678"),
            ("98765 43210", "IN", "+919876543210"),
            ("(11) 91234-5678", "BR", "+5511912345678"),
            ("8123 4567", "SG", "+6581234567"),
        ];
        for (typed, iso, want) in cases {
            assert_eq!(normalise(typed, iso, &[]).as_deref(), Ok(want), "{typed} in {iso}");
        }
    }

    #[test]
    fn international_numbers_and_the_allow_list() {
        assert_eq!(normalise("+44 7700 900123", "US", &[]).unwrap(), "+447700900123");
        assert_eq!(normalise("0044 7700 900123", "US", &["GB"]).unwrap(), "+447700900123");
        assert_eq!(
            normalise("+81 90 1234 5678", "US", &["US", "GB"]),
            Err(PhoneError::CountryNotAllowed)
        );
        assert_eq!(normalise("+1 415 555 2671", "CA", &["CA"]).unwrap(), "+14155552671");
        assert_eq!(normalise("+999 1234", "US", &[]), Err(PhoneError::CountryNotAllowed));
        // Found by the e164 fuzz target: a national number of a country
        // that is not allowed used to pass, though its +form did not.
        assert_eq!(
            normalise("(21) 3272-2221", "BR", &["US", "GB"]),
            Err(PhoneError::CountryNotAllowed)
        );
    }

    #[test]
    fn refuses_letters_and_impossible_lengths() {
        assert_eq!(normalise("", "US", &[]), Err(PhoneError::Empty));
        assert_eq!(normalise(" - ", "US", &[]), Err(PhoneError::Empty));
        assert_eq!(
            normalise("415 CALL NOW", "US", &[]),
            Err(PhoneError::InvalidCharacter('C'))
        );
        assert_eq!(normalise("1+2", "US", &[]), Err(PhoneError::InvalidCharacter('+')));
        assert_eq!(normalise("555 2671", "US", &[]), Err(PhoneError::TooShort));
        assert_eq!(normalise("415 555 26711", "US", &[]), Err(PhoneError::TooLong));
        assert_eq!(normalise("(015) 555-2671", "US", &[]), Err(PhoneError::InvalidStart));
        assert_eq!(normalise("07700 9001234", "GB", &[]), Err(PhoneError::TooLong));
        assert_eq!(
            normalise("0 07700 900123", "GB", &[]),
            Err(PhoneError::CountryNotAllowed)
        );
        assert_eq!(
            normalise("12345", "XX", &[]),
            Err(PhoneError::UnknownCountry("XX".into()))
        );
    }

    #[test]
    fn every_country_round_trips_its_own_e164() {
        for c in COUNTRIES {
            let national = "9".repeat(c.lengths.1);
            let e164 = format!("+{}{}", c.calling_code, national);
            assert_eq!(normalise(&e164, c.iso, &[c.iso]), Ok(e164.clone()), "{}", c.iso);
        }
    }
}
