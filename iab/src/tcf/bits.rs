//! Reading big-endian bit fields from base64url text.

use super::TcfError;
use alloc::vec::Vec;

/// A cursor over the bits of one segment.
/// Reading past the end yields zeros and marks the cursor truncated; the
/// decoder checks once per segment instead of after every field, which
/// keeps the wasm small.
pub struct Bits {
    bytes: Vec<u8>,
    /// The bits the text holds: 6 a character (the last byte's padding
    /// zeros are not part of it, as for @iabtechlabtcf/core).
    len: usize,
    pos: usize,
    truncated: bool,
}

fn sextet(c: u8) -> Result<u8, TcfError> {
    Ok(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        other => return Err(TcfError::InvalidCharacter(char::from(other))),
    })
}

impl Bits {
    /// Decodes base64url: `A-Z a-z 0-9 - _` only, as `@iabtechlabtcf/core`
    /// reads it (no padding, no standard-alphabet `+/`, no whitespace).
    pub fn from_base64url(text: &str) -> Result<Bits, TcfError> {
        if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
            return Err(TcfError::InvalidCharacter(c));
        }
        let mut bytes = Vec::with_capacity(text.len() * 3 / 4 + 1);
        let (mut acc, mut n) = (0u32, 0u32);
        for c in text.bytes() {
            acc = (acc << 6) | u32::from(sextet(c)?);
            n += 6;
            if n >= 8 {
                n -= 8;
                bytes.push((acc >> n) as u8);
                acc &= (1 << n) - 1;
            }
        }
        if n > 0 {
            bytes.push((acc << (8 - n)) as u8);
        }
        Ok(Bits {
            bytes,
            len: text.len() * 6,
            pos: 0,
            truncated: false,
        })
    }

    /// The next `n` (at most 64) bits as an unsigned number.
    pub fn uint(&mut self, n: u32) -> u64 {
        let mut v = 0u64;
        for _ in 0..n {
            let Some(byte) = self.bytes.get(self.pos / 8).filter(|_| self.pos < self.len) else {
                self.truncated = true;
                return 0;
            };
            v = (v << 1) | u64::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        v
    }

    /// The next bit.
    pub fn bool(&mut self) -> bool {
        self.uint(1) == 1
    }

    /// An error when a read went past the end.
    pub fn check(&self) -> Result<(), TcfError> {
        match self.truncated {
            true => Err(TcfError::Truncated),
            false => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_across_byte_boundaries() {
        // "CQ" = 000010 010000 -> version 2, then 0100 00; the byte's 4
        // padding zeros are not the string's.
        let mut b = Bits::from_base64url("CQ").unwrap();
        assert_eq!(b.uint(6), 2);
        assert_eq!(b.uint(2), 1);
        assert_eq!(b.uint(4), 0);
        assert_eq!(b.check(), Ok(()));
        assert_eq!(b.uint(1), 0);
        assert_eq!(b.check(), Err(TcfError::Truncated));
    }

    #[test]
    fn refuses_foreign_characters() {
        assert_eq!(Bits::from_base64url("CQ*").err(), Some(TcfError::InvalidCharacter('*')));
        assert_eq!(Bits::from_base64url("CQé").err(), Some(TcfError::InvalidCharacter('é')));
        for (text, c) in [("CQ==", '='), ("CQ+", '+'), ("CQ/", '/'), (" CQ", ' '), ("CQ\n", '\n')] {
            assert_eq!(
                Bits::from_base64url(text).err(),
                Some(TcfError::InvalidCharacter(c)),
                "{text:?}"
            );
        }
    }
}
