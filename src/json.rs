//! A small JSON reader and writer for the flat records and configuration
//! values Consentry handles.
//!
//! `serde_json` would add tens of kilobytes to every page view; the values
//! read here are small, so a strict recursive reader with a depth limit is
//! enough. Numbers keep their source text so memoized values round-trip
//! byte for byte.
//!
//! ```
//! use consentry::json::{parse, Value};
//! let v = parse(r#"{"aa":true,"n":[1,"x"]}"#).unwrap();
//! assert_eq!(v.get("aa"), Some(&Value::Bool(true)));
//! assert_eq!(v.to_json(), r#"{"aa":true,"n":[1,"x"]}"#);
//! ```

use alloc::{string::String, vec::Vec};
/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 32;

/// A parsed JSON value. Objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as its validated source text.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, in source order; a repeated key keeps its first place
    /// and its last value.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object, or `None`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number when it is a whole number from 0 to 2^53 written in
    /// plain digits (as `JSON.stringify` writes such numbers). Parsing
    /// floats would pull about 10 KB of tables into the wasm.
    pub fn as_uint(&self) -> Option<u64> {
        let Value::Number(text) = self else { return None };
        if text.is_empty() || text.len() > 16 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = text.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        (n <= 1 << 53).then_some(n)
    }

    /// A short name of the value's type for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// Serialises the value as compact JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the compact JSON text of the value to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => write_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// One hex digit (and, below 10, one decimal digit) as text: what the
/// writers below push, a `&str` rather than a `char` (pushing a computed
/// `char` brings UTF-8 encoding into every wasm).
fn digit(n: u8, upper: bool) -> &'static str {
    let digits = if upper { "0123456789ABCDEF" } else { "0123456789abcdef" };
    let n = usize::from(n & 15);
    digits.get(n..n + 1).unwrap_or_default()
}

/// Appends the decimal digits of `n` (without `core::fmt`, which costs bytes).
pub fn push_uint(out: &mut String, n: u64) {
    if n >= 10 {
        push_uint(out, n / 10);
    }
    out.push_str(digit((n % 10) as u8, false));
}

/// Appends `s` as a JSON string literal. Byte by byte: every byte to
/// escape is ASCII, and the runs between them are copied whole (decoding
/// each `char` would bring UTF-8's decoder and encoder into every wasm).
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..0x20 => "\\u00",
            _ => continue,
        };
        // Both sides of an ASCII byte are char boundaries: `get` succeeds.
        out.push_str(s.get(run..i).unwrap_or_default());
        out.push_str(escape);
        if escape.len() == 4 {
            push_hex(out, b, false);
        }
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// Appends the two hex digits of `byte`, upper-case when `upper`.
pub fn push_hex(out: &mut String, byte: u8, upper: bool) {
    out.push_str(digit(byte >> 4, upper));
    out.push_str(digit(byte, upper));
}

/// A JSON object written member by member: how the modules' wasm
/// functions answer the JS shell.
pub struct Object(String);

impl Default for Object {
    fn default() -> Self {
        Object(String::from("{"))
    }
}

impl Object {
    /// An empty object.
    pub fn new() -> Object {
        Object::default()
    }

    /// Writes `"key":` and gives the text to write the value into.
    pub fn key(&mut self, key: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        write_string(key, &mut self.0);
        self.0.push(':');
        &mut self.0
    }

    /// A member whose value is JSON text already.
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key(key).push_str(json);
    }

    /// A string member.
    pub fn string(&mut self, key: &str, s: &str) {
        write_string(s, self.key(key));
    }

    /// An array-of-strings member.
    pub fn strings<'a>(&mut self, key: &str, items: impl Iterator<Item = &'a str>) {
        let out = self.key(key);
        out.push('[');
        for (i, s) in items.enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(s, out);
        }
        out.push(']');
    }

    /// The object's text.
    pub fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// `"choices":[[category index, boolean], ...]`: what a CMP's signal
/// (TCF's or GPP's) means for the page's categories, as the modules answer.
pub fn push_choices(out: &mut String, choices: &[(usize, bool)]) {
    out.push_str("\"choices\":[");
    for (n, (i, v)) in choices.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('[');
        push_uint(out, *i as u64);
        out.push_str(if *v { ",true]" } else { ",false]" });
    }
    out.push(']');
}

/// `{"error": message}`: how a module's wasm function refuses a call.
pub fn error(message: &str) -> String {
    let mut o = Object::new();
    o.string("error", message);
    o.done()
}

/// Parses one JSON value that fills all of `text` (surrounding whitespace
/// allowed). The error says what was wrong and where.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.error("unexpected text after the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    /// `invalid JSON: <what> at offset <n>`; only `invalid JSON` in a build
    /// without `messages` (the gate's plain build, whose input is the
    /// shell's `JSON.stringify` but for a stored record or a configuration's
    /// JSON text).
    fn error(&self, what: &str) -> String {
        #[cfg(feature = "messages")]
        {
            let mut s = String::from("invalid JSON: ");
            s.push_str(what);
            s.push_str(" at offset ");
            push_uint(&mut s, self.pos as u64);
            s
        }
        #[cfg(not(feature = "messages"))]
        {
            let _ = what;
            String::from("invalid JSON")
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        self.pos += usize::from(b.is_some());
        b
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, word: &str, v: Value) -> Result<Value, String> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.expect_word("true", Value::Bool(true)),
            Some(b'f') => self.expect_word("false", Value::Bool(false)),
            Some(b'n') => self.expect_word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut members: Vec<(String, Value)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.next() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            let v = self.value(depth + 1)?;
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v,
                None => members.push((key, v)),
            }
            self.skip_ws();
            match self.next() {
                Some(b',') => continue,
                Some(b'}') => return Ok(Value::Object(members)),
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.next() {
                Some(b',') => continue,
                Some(b']') => return Ok(Value::Array(items)),
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("bad number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.next(), Some(b'0'..=b'9')) {
                return Err(self.error("bad number"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.next(), Some(b'0'..=b'9')) {
                return Err(self.error("bad number"));
            }
            self.digits();
        }
        Ok(Value::Number(String::from(
            self.text.get(start..self.pos).unwrap_or_default(),
        )))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self.next().and_then(|b| char::from(b).to_digit(16));
            n = n * 16 + d.ok_or_else(|| self.error("bad \\u escape"))?;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        // Runs between escapes are copied from the input (a &str, and a run
        // ends at an ASCII byte, so it is whole UTF-8).
        let mut run = self.pos;
        loop {
            let end = self.pos;
            let b = self.next();
            if matches!(b, Some(b'"' | b'\\')) {
                out.push_str(self.text.get(run..end).unwrap_or_default());
            }
            match b {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => return Ok(out),
                Some(b'\\') => {
                    out.push(match self.next() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.error("bad escape")),
                    });
                    run = self.pos;
                }
                Some(b) if b < 0x20 => return Err(self.error("control character in string")),
                Some(_) => {}
            }
        }
    }

    /// A `\uXXXX` escape (the `\u` read). A lone surrogate becomes U+FFFD,
    /// as the browser's own string encoding does: `JSON.stringify` escapes
    /// one, and a stored record may hold one.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let hi = self.hex4()?;
        let mut code = hi;
        if (0xD800..0xDC00).contains(&hi) && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let at = self.pos;
            self.pos += 2;
            match self.hex4()? {
                lo @ 0xDC00..0xE000 => code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                _ => self.pos = at,
            }
        }
        Ok(char::from_u32(code).unwrap_or('\u{FFFD}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_nested_values() {
        let text = r#"{"a":[1,-2.5e3,"x\"y\u00e9\n"],"b":{"c":null,"d":false}}"#;
        let v = parse(text).unwrap();
        assert_eq!(parse(&v.to_json()).unwrap(), v);
    }

    #[test]
    fn writes_escapes_and_numbers_as_json_stringify() {
        let mut out = String::new();
        write_string("a\"\\\n\r\t\u{1}\u{1f}é€😀/", &mut out);
        assert_eq!(out, r#""a\"\\\n\r\t\u0001\u001fé€😀/""#);
        let mut n = String::new();
        for x in [0, 7, 10, 1 << 53, u64::MAX] {
            push_uint(&mut n, x);
            n.push(' ');
        }
        assert_eq!(n, "0 7 10 9007199254740992 18446744073709551615 ");
        let mut h = String::new();
        push_hex(&mut h, 0xaf, false);
        push_hex(&mut h, 0x0b, true);
        assert_eq!(h, "af0B");
    }

    #[test]
    fn refuses_malformed_input() {
        for bad in [
            "",
            "{",
            "{\"a\"}",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\\x\"",
            "tru",
            "{} x",
            "\"\u{1}\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn limits_depth() {
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep).unwrap_err().contains("too deep"));
    }

    #[test]
    fn whole_numbers_only() {
        assert_eq!(parse("42").unwrap().as_uint(), Some(42));
        for not in ["-1", "1.5", "1e3", "99999999999999999"] {
            assert_eq!(parse(not).unwrap().as_uint(), None, "{not}");
        }
        let mut s = String::new();
        push_uint(&mut s, 0);
        push_uint(&mut s, 1_700_000_000_123);
        assert_eq!(s, "01700000000123");
    }

    #[test]
    fn surrogate_pairs_decode() {
        assert_eq!(parse(r#""\ud83d\ude00""#).unwrap(), Value::String("😀".into()));
        for lone in [r#""\ud800x""#, r#""\ude00x""#] {
            assert_eq!(parse(lone).unwrap(), Value::String("\u{FFFD}x".into()));
        }
        assert_eq!(parse(r#""\ud800\u0041""#).unwrap(), Value::String("\u{FFFD}A".into()));
    }
}
