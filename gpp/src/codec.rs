//! GPP strings: the header (section ids as a Fibonacci-coded range), each
//! US section's bits by its [`Layout`], GPP's base64url (bits padded to a
//! byte, then to a character), and the JSON the `__gpp` API answers with.

use crate::sections::{layout, other_name, Layout, Second, NAMES};
use alloc::{string::String, vec::Vec};
use consentry::json::{push_uint, write_string};

const DICT: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a string could not be read.
pub type Error = &'static str;

/// Bits, written and read most significant first.
#[derive(Default)]
struct Bits {
    bits: Vec<bool>,
    at: usize,
}

impl Bits {
    fn put(&mut self, n: u32, width: u32) {
        for i in (0..width).rev() {
            self.bits.push(n >> i & 1 == 1);
        }
    }

    fn take(&mut self, width: u32) -> Result<u32, Error> {
        let mut n = 0;
        for _ in 0..width {
            let bit = *self.bits.get(self.at).ok_or("a segment is shorter than its fields")?;
            n = n << 1 | u32::from(bit);
            self.at += 1;
        }
        Ok(n)
    }

    /// GPP's base64url: zero bits up to a whole byte, then to a character.
    fn encode(mut self) -> String {
        while !self.bits.len().is_multiple_of(8) {
            self.bits.push(false);
        }
        while !self.bits.len().is_multiple_of(6) {
            self.bits.push(false);
        }
        let mut out = String::new();
        for chunk in self.bits.chunks(6) {
            let n = chunk.iter().fold(0usize, |n, b| n << 1 | usize::from(*b));
            out.push(char::from(*DICT.get(n).unwrap_or(&b'A')));
        }
        out
    }

    fn decode(s: &str) -> Result<Bits, Error> {
        let mut b = Bits::default();
        for c in s.bytes() {
            let n = DICT
                .iter()
                .position(|d| *d == c)
                .ok_or("a character outside base64url")?;
            b.put(n as u32, 6);
        }
        Ok(b)
    }

    /// A Fibonacci-coded whole number from 1: a bit per term (1, 2, 3, 5,
    /// ...) smallest first, ended by an extra 1.
    fn put_fibonacci(&mut self, n: u32) {
        let mut terms = Vec::new();
        let (mut a, mut b) = (1u32, 2u32);
        while a <= n {
            terms.push(a);
            (a, b) = (b, a.saturating_add(b));
        }
        let mut left = n;
        let mut code = alloc::vec![false; terms.len()];
        for (i, t) in terms.iter().enumerate().rev() {
            if left >= *t {
                left -= t;
                if let Some(c) = code.get_mut(i) {
                    *c = true;
                }
            }
        }
        self.bits.extend(code);
        self.bits.push(true);
    }

    fn take_fibonacci(&mut self) -> Result<u32, Error> {
        let (mut a, mut b, mut n, mut last) = (1u32, 2u32, 0u32, false);
        loop {
            let bit = self.take(1)? == 1;
            if bit && last {
                return Ok(n);
            }
            if bit {
                n = n.checked_add(a).ok_or("a section id out of range")?;
            }
            last = bit;
            (a, b) = (b, a.saturating_add(b));
        }
    }
}

/// One section's values: per core field its 2-bit values (the version's
/// too), then the second segment's (`[type, gpc]` or the 8 sensitive data
/// values), empty when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// Per field of the layout.
    pub fields: Vec<Vec<u32>>,
    /// The second segment's values.
    pub second: Vec<u32>,
}

/// A decoded GPP string: its sections in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Gpp {
    /// Per section: its id, and its values when Consentry reads it
    /// (otherwise its text).
    pub sections: Vec<(u32, Result<Values, String>)>,
}

/// A field's width in values. `usnat` strings of 60 or 66 bits are of its
/// first layout, with 12 sensitive data values and 2 known child ones (as
/// the IAB's library reads them).
fn count(legacy: bool, (name, n): (u8, u8)) -> usize {
    match (legacy, name) {
        (true, crate::sections::f::SENSITIVE) => 12,
        (true, crate::sections::f::KNOWN_CHILD) => 2,
        _ => usize::from(n.max(1)),
    }
}

/// A section's text.
pub fn encode_section(l: &Layout, v: &Values) -> String {
    let mut bits = Bits::default();
    for (field, values) in l.fields.iter().zip(&v.fields) {
        for n in values {
            bits.put(*n, if field.1 == 0 { 6 } else { 2 });
        }
    }
    let mut out = bits.encode();
    if !v.second.is_empty() {
        let mut bits = Bits::default();
        match l.second {
            Second::Gpc => {
                bits.put(v.second.first().copied().unwrap_or(1), 2);
                bits.put(v.second.get(1).copied().unwrap_or(0), 1);
            }
            _ => v.second.iter().for_each(|n| bits.put(*n, 2)),
        }
        out.push('.');
        out.push_str(&bits.encode());
    }
    out
}

/// Reads a section's text.
pub fn decode_section(l: &Layout, s: &str) -> Result<Values, Error> {
    let mut parts = consentry::split(s, b'.');
    let mut bits = Bits::decode(parts.next().unwrap_or(""))?;
    let usnat = l.name == "usnat";
    let legacy = usnat && matches!(bits.bits.len(), 60 | 66);
    let mut fields = Vec::new();
    let mut version = 0;
    for field in l.fields {
        if field.1 == 0 {
            version = bits.take(6)?;
            fields.push(alloc::vec![version]);
            continue;
        }
        let mut values = Vec::new();
        for _ in 0..count(legacy, *field) {
            values.push(bits.take(2)?);
        }
        // A first-layout string reads as the current layout with zeros
        // added, and version 1 shows the shorter lists (as the IAB's
        // library has it).
        if usnat {
            values.resize(usize::from(field.1.max(1)), 0);
            if version == 1 {
                values.truncate(count(true, *field));
            }
        }
        fields.push(values);
    }
    let second = match (l.second, parts.next()) {
        (Second::None, _) => Vec::new(),
        (Second::Gpc, Some(t)) => {
            let mut b = Bits::decode(t)?;
            alloc::vec![b.take(2)?, b.take(1)?]
        }
        (Second::Gpc, None) => alloc::vec![1, 0],
        (Second::Sensitive, None) => alloc::vec![0; 8],
        (Second::Sensitive, Some(t)) => {
            let mut b = Bits::decode(t)?;
            let mut v = Vec::new();
            for _ in 0..8 {
                v.push(b.take(2)?);
            }
            v
        }
    };
    Ok(Values { fields, second })
}

/// A GPP string of the given sections, in the order given (ascending ids).
pub fn encode(sections: &[(u32, String)]) -> String {
    let mut bits = Bits::default();
    bits.put(3, 6);
    bits.put(1, 6);
    // Runs of consecutive ids become ranges; each number is coded as its
    // distance from the one before.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for (id, _) in sections {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == *id => *end = *id,
            _ => runs.push((*id, *id)),
        }
    }
    bits.put(runs.len() as u32, 12);
    let mut offset = 0;
    for (start, end) in runs {
        bits.put(u32::from(start != end), 1);
        bits.put_fibonacci(start - offset);
        if start != end {
            bits.put_fibonacci(end - start);
        }
        offset = end;
    }
    let mut out = bits.encode();
    for (_, text) in sections {
        out.push('~');
        out.push_str(text);
    }
    out
}

/// Reads a GPP string: the header's section ids, each section's text.
pub fn decode(s: &str) -> Result<Gpp, Error> {
    let mut parts = consentry::split(s, b'~');
    let mut header = Bits::decode(parts.next().unwrap_or(""))?;
    if header.take(6)? != 3 {
        return Err("no GPP header (its type is not 3)");
    }
    header.take(6)?;
    let mut ids = Vec::new();
    let mut offset = 0u32;
    for _ in 0..header.take(12)? {
        let range = header.take(1)? == 1;
        let start = offset
            .checked_add(header.take_fibonacci()?)
            .ok_or("a section id out of range")?;
        let end = if range {
            start
                .checked_add(header.take_fibonacci()?)
                .ok_or("a section id out of range")?
        } else {
            start
        };
        if end - start > 64 || ids.len() > 64 {
            return Err("more sections than GPP defines");
        }
        ids.extend(start..=end);
        offset = end;
    }
    let mut sections = Vec::new();
    for id in ids {
        let text = parts.next().ok_or("fewer sections than the header lists")?;
        let values = match layout(id) {
            Some(l) => Ok(decode_section(l, text)?),
            None => Err(String::from(text)),
        };
        sections.push((id, values));
    }
    Ok(Gpp { sections })
}

/// The name `__gpp` knows a section by.
pub fn name(id: u32) -> Option<&'static str> {
    layout(id).map(|l| l.name).or_else(|| other_name(id))
}

/// A section's values as `__gpp` gives them: `{"Version": 2, ...,
/// "SensitiveDataProcessing": [...], "GpcSegmentType": 1, "Gpc": false}`.
pub fn section_json(l: &Layout, v: &Values, out: &mut String) {
    out.push('{');
    for (i, (field, values)) in l.fields.iter().zip(&v.fields).enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(NAMES.get(usize::from(field.0)).copied().unwrap_or(""), out);
        out.push(':');
        let list = field.1 > 1;
        uints(values, list, out);
    }
    match l.second {
        Second::None => {}
        Second::Gpc => {
            out.push_str(",\"GpcSegmentType\":");
            push_uint(out, v.second.first().copied().unwrap_or(1).into());
            out.push_str(if v.second.get(1) == Some(&1) {
                ",\"Gpc\":true"
            } else {
                ",\"Gpc\":false"
            });
        }
        Second::Sensitive => {
            out.push_str(",\"SensitiveDataProcessing\":");
            uints(&v.second, true, out);
        }
    }
    out.push('}');
}

fn uints(values: &[u32], list: bool, out: &mut String) {
    if list {
        out.push('[');
    }
    for (i, n) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_uint(out, (*n).into());
    }
    if list {
        out.push(']');
    }
}

impl Gpp {
    /// `{"sectionList": [ids], "parsedSections": {name: {...} or its text}}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"sectionList\":[");
        for (i, (id, _)) in self.sections.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_uint(&mut out, (*id).into());
        }
        out.push_str("],\"parsedSections\":{");
        let mut first = true;
        for (id, values) in &self.sections {
            let Some(n) = name(*id) else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            write_string(n, &mut out);
            out.push(':');
            match (layout(*id), values) {
                (Some(l), Ok(v)) => section_json(l, v, &mut out),
                (_, Err(text)) => write_string(text, &mut out),
                (None, Ok(_)) => out.push_str("null"),
            }
        }
        out.push_str("}}");
        out
    }
}
