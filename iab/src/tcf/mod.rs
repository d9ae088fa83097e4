//! IAB TCF v2.2/v2.3 TC strings: decoding in pure Rust. Malformed input is
//! an error, never a panic.
//!
//! A TC string is base64url (no padding) segments joined by `.`: the core
//! segment first, then optional segments whose first three bits give their
//! type (1 disclosed vendors, 2 allowed vendors, 3 publisher TC).
//!
//! ```
//! use consentry_iab::tcf::decode;
//! let tc = decode("CQuIxQAQuIxQAAKADCENB4FoAMBAAEIAAAYgFeQA4AAgAGAjUBXgEawAQEagAAAA.IEawAgAAgI1A.dAAAAAAAAWAA").unwrap();
//! assert_eq!((tc.cmp_id, tc.consent_language.as_str(), tc.publisher_country_code.as_str()), (10, "EN", "DE"));
//! assert!(tc.vendor_consents.contains(&565));
//! ```

use alloc::{string::String, vec::Vec};
mod bits;
pub mod rules;

use bits::Bits;

/// A publisher restriction: vendors for whom `purpose` is restricted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherRestriction {
    /// The purpose (1 to 63).
    pub purpose: u8,
    /// 0 not allowed, 1 require consent, 2 require legitimate interest.
    pub restriction_type: u8,
    /// The vendors it applies to, ascending.
    pub vendors: Vec<u16>,
}

/// A decoded TC string. Id lists are ascending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TcString {
    /// The TC string format version (2).
    pub version: u8,
    /// When the string was created, deciseconds since the epoch.
    pub created: u64,
    /// When it was last updated, deciseconds since the epoch.
    pub last_updated: u64,
    /// The CMP's id.
    pub cmp_id: u16,
    /// The CMP's version.
    pub cmp_version: u16,
    /// The CMP screen the consent was given on.
    pub consent_screen: u8,
    /// Two upper-case letters.
    pub consent_language: String,
    /// The Global Vendor List version.
    pub vendor_list_version: u16,
    /// The TCF policy version.
    pub policy_version: u8,
    /// Whether the string applies to this service only.
    pub is_service_specific: bool,
    /// Whether non-standard texts were used.
    pub use_non_standard_texts: bool,
    /// Special features opted in.
    pub special_feature_optins: Vec<u8>,
    /// Purposes consented to.
    pub purpose_consents: Vec<u8>,
    /// Purposes with legitimate-interest transparency established.
    pub purpose_legitimate_interests: Vec<u8>,
    /// Purpose one treatment.
    pub purpose_one_treatment: bool,
    /// Two upper-case letters.
    pub publisher_country_code: String,
    /// Vendors consented to.
    pub vendor_consents: Vec<u16>,
    /// Vendors with legitimate interest established.
    pub vendor_legitimate_interests: Vec<u16>,
    /// Publisher restrictions.
    pub publisher_restrictions: Vec<PublisherRestriction>,
    /// The disclosed-vendors segment, when present.
    pub vendors_disclosed: Vec<u16>,
    /// The allowed-vendors segment (TCF 2.0), when present.
    pub vendors_allowed: Vec<u16>,
    /// Publisher purposes consented to (publisher TC segment).
    pub publisher_consents: Vec<u8>,
    /// Publisher purposes with legitimate interest.
    pub publisher_legitimate_interests: Vec<u8>,
    /// Custom purposes consented to.
    pub publisher_custom_consents: Vec<u8>,
    /// Custom purposes with legitimate interest.
    pub publisher_custom_legitimate_interests: Vec<u8>,
}

/// Why a TC string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcfError {
    /// Empty input.
    Empty,
    /// A character outside base64url.
    InvalidCharacter(char),
    /// The string ends in the middle of a field.
    Truncated,
    /// A version this decoder does not read.
    UnsupportedVersion(u8),
    /// An optional segment of unknown type.
    UnknownSegment(u8),
    /// A field whose value is impossible (e.g. a range that ends before it starts).
    Invalid(&'static str),
}

impl TcfError {
    /// A sentence for error messages.
    pub fn message(&self) -> String {
        match self {
            TcfError::Empty => "the TC string is empty".into(),
            TcfError::InvalidCharacter(c) => {
                let mut m = String::from("the TC string holds ");
                let mut one = [0; 4];
                consentry::json::write_string(c.encode_utf8(&mut one), &mut m);
                m.push_str(", which is not base64url");
                m
            }
            TcfError::Truncated => "the TC string ends in the middle of a field".into(),
            TcfError::UnsupportedVersion(v) => {
                let mut m = String::from("TC string version ");
                consentry::json::push_uint(&mut m, u64::from(*v));
                m.push_str(" is not supported (expected 2)");
                m
            }
            TcfError::UnknownSegment(t) => {
                let mut m = String::from("unknown TC string segment type ");
                consentry::json::push_uint(&mut m, u64::from(*t));
                m
            }
            TcfError::Invalid(what) => {
                let mut m = String::from("invalid TC string: ");
                m.push_str(what);
                m
            }
        }
    }
}

impl TcString {
    /// The JSON object of the IAB's libraries (camelCase names, ascending
    /// id arrays); `created` and `lastUpdated` in milliseconds since the
    /// epoch. Written directly: building a JS object field by field from
    /// wasm costs several KB more.
    pub fn to_json(&self) -> String {
        let mut o = Object(String::from("{"));
        o.uint("version", self.version);
        o.uint("created", self.created * 100);
        o.uint("lastUpdated", self.last_updated * 100);
        o.uint("cmpId", self.cmp_id);
        o.uint("cmpVersion", self.cmp_version);
        o.uint("consentScreen", self.consent_screen);
        o.text("consentLanguage", &self.consent_language);
        o.uint("vendorListVersion", self.vendor_list_version);
        o.uint("policyVersion", self.policy_version);
        o.flag("isServiceSpecific", self.is_service_specific);
        o.flag("useNonStandardTexts", self.use_non_standard_texts);
        o.ids("specialFeatureOptins", &self.special_feature_optins);
        o.ids("purposeConsents", &self.purpose_consents);
        o.ids("purposeLegitimateInterests", &self.purpose_legitimate_interests);
        o.flag("purposeOneTreatment", self.purpose_one_treatment);
        o.text("publisherCountryCode", &self.publisher_country_code);
        o.ids("vendorConsents", &self.vendor_consents);
        o.ids("vendorLegitimateInterests", &self.vendor_legitimate_interests);
        o.key("publisherRestrictions");
        o.0.push('[');
        for (i, r) in self.publisher_restrictions.iter().enumerate() {
            if i > 0 {
                o.0.push(',');
            }
            let mut item = Object(String::from("{"));
            item.uint("purpose", r.purpose);
            item.uint("restrictionType", r.restriction_type);
            item.ids("vendors", &r.vendors);
            o.0.push_str(&item.end());
        }
        o.0.push(']');
        o.ids("vendorsDisclosed", &self.vendors_disclosed);
        o.ids("vendorsAllowed", &self.vendors_allowed);
        o.ids("publisherConsents", &self.publisher_consents);
        o.ids("publisherLegitimateInterests", &self.publisher_legitimate_interests);
        o.ids("publisherCustomConsents", &self.publisher_custom_consents);
        o.ids(
            "publisherCustomLegitimateInterests",
            &self.publisher_custom_legitimate_interests,
        );
        o.end()
    }
}

/// A JSON object being written: keys are plain ASCII names.
struct Object(String);

impl Object {
    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(k);
        self.0.push_str("\":");
    }
    fn uint(&mut self, k: &str, v: impl Into<u64>) {
        self.key(k);
        consentry::json::push_uint(&mut self.0, v.into());
    }
    fn flag(&mut self, k: &str, v: bool) {
        self.key(k);
        self.0.push_str(if v { "true" } else { "false" });
    }
    fn text(&mut self, k: &str, v: &str) {
        self.key(k);
        consentry::json::write_string(v, &mut self.0);
    }
    fn ids<T: Copy + Into<u64>>(&mut self, k: &str, v: &[T]) {
        self.key(k);
        self.0.push('[');
        for (i, id) in v.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            consentry::json::push_uint(&mut self.0, (*id).into());
        }
        self.0.push(']');
    }
    fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The ids 1..=n whose bits are set, read from `n` bits.
fn bitfield_u8(b: &mut Bits, n: u32) -> Vec<u8> {
    (1..=n).filter(|_| b.bool()).map(|id| id as u8).collect()
}

fn letters(b: &mut Bits) -> Result<String, TcfError> {
    let mut s = String::new();
    for _ in 0..2 {
        let v = b.uint(6) as u8;
        if v > 25 {
            return Err(TcfError::Invalid("a letter outside A-Z"));
        }
        s.push(char::from(b'A' + v));
    }
    Ok(s)
}

/// Range entries: `count` of (is-range, start[, end]); ascending unique ids.
/// The ranges are merged before they are expanded, so a hostile string of
/// thousands of wide, overlapping ranges costs no more than one 1..65535.
fn ranges(b: &mut Bits, count: u64, max: Option<u64>) -> Result<Vec<u16>, TcfError> {
    let mut spans = Vec::new();
    for _ in 0..count {
        let is_range = b.bool();
        let start = b.uint(16);
        let end = if is_range { b.uint(16) } else { start };
        if start == 0 || end < start || max.is_some_and(|m| end > m) {
            b.check()?;
            return Err(TcfError::Invalid("a vendor range is out of order or out of bounds"));
        }
        // Kept in order as they come: std's sort would add kilobytes to the wasm.
        let at = spans.partition_point(|s: &(u64, u64)| *s < (start, end));
        spans.insert(at, (start, end));
    }
    let mut out: Vec<u16> = Vec::new();
    let mut next = 0u64;
    for (start, end) in spans {
        for id in start.max(next)..=end {
            out.push(id as u16);
        }
        next = next.max(end + 1);
    }
    Ok(out)
}

/// A vendor section: max id, encoding bit, then a bitfield or ranges.
fn vendor_section(b: &mut Bits) -> Result<Vec<u16>, TcfError> {
    let max = b.uint(16);
    if b.bool() {
        let count = b.uint(12);
        ranges(b, count, Some(max))
    } else {
        Ok((1..=max).filter(|_| b.bool()).map(|id| id as u16).collect())
    }
}

/// The `.`-separated segments of a TC string, split on the byte.
struct Segments<'a>(Option<&'a str>);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.0?;
        match s.bytes().position(|b| b == b'.') {
            Some(i) => {
                self.0 = s.get(i + 1..);
                s.get(..i)
            }
            None => self.0.take(),
        }
    }
}

/// Decodes a TC string.
pub fn decode(s: &str) -> Result<TcString, TcfError> {
    // Surrounding whitespace is refused, as @iabtechlabtcf/core refuses it.
    if s.is_empty() {
        return Err(TcfError::Empty);
    }
    let mut segments = Segments(Some(s));
    let mut b = Bits::from_base64url(segments.next().unwrap_or_default())?;
    let version = b.uint(6) as u8;
    if version != 2 {
        return Err(TcfError::UnsupportedVersion(version));
    }
    let mut tc = TcString {
        version,
        created: b.uint(36),
        last_updated: b.uint(36),
        cmp_id: b.uint(12) as u16,
        cmp_version: b.uint(12) as u16,
        consent_screen: b.uint(6) as u8,
        consent_language: letters(&mut b)?,
        vendor_list_version: b.uint(12) as u16,
        policy_version: b.uint(6) as u8,
        is_service_specific: b.bool(),
        use_non_standard_texts: b.bool(),
        special_feature_optins: bitfield_u8(&mut b, 12),
        purpose_consents: bitfield_u8(&mut b, 24),
        purpose_legitimate_interests: bitfield_u8(&mut b, 24),
        purpose_one_treatment: b.bool(),
        publisher_country_code: letters(&mut b)?,
        ..TcString::default()
    };
    tc.vendor_consents = vendor_section(&mut b)?;
    tc.vendor_legitimate_interests = vendor_section(&mut b)?;
    let restrictions = b.uint(12);
    for _ in 0..restrictions {
        let purpose = b.uint(6) as u8;
        let restriction_type = b.uint(2) as u8;
        let count = b.uint(12);
        let vendors = ranges(&mut b, count, None)?;
        tc.publisher_restrictions.push(PublisherRestriction {
            purpose,
            restriction_type,
            vendors,
        });
    }
    b.check()?;
    // CMP ids start at 2; the IAB's libraries refuse 0 and 1 too.
    if tc.cmp_id < 2 {
        return Err(TcfError::Invalid("CMP id 0 or 1, which no registered CMP has"));
    }
    for segment in segments {
        let mut b = Bits::from_base64url(segment)?;
        let kind = b.uint(3) as u8;
        b.check()?;
        match kind {
            1 => tc.vendors_disclosed = vendor_section(&mut b)?,
            2 => tc.vendors_allowed = vendor_section(&mut b)?,
            3 => {
                tc.publisher_consents = bitfield_u8(&mut b, 24);
                tc.publisher_legitimate_interests = bitfield_u8(&mut b, 24);
                let custom = b.uint(6) as u32;
                tc.publisher_custom_consents = bitfield_u8(&mut b, custom);
                tc.publisher_custom_legitimate_interests = bitfield_u8(&mut b, custom);
            }
            other => return Err(TcfError::UnknownSegment(other)),
        }
        b.check()?;
    }
    Ok(tc)
}
