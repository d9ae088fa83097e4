//! Consentry's QR code module: the QR codes of text-to-join
//! (`consentry.renderTextToJoin`) on computers, from the well-kept
//! `qrcodegen-no-heap` crate. A wasm module of its own, loaded only when a
//! computer shows a QR code, so the phone form's pages do not carry the
//! encoder.
#![no_std]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

// The allocator and the panic handler (a trap) are consentry's.
use consentry as _;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use qrcodegen_no_heap::{QrCode, QrCodeEcc, Version};

/// The QR code of `text` (error correction M) as its size in modules and
/// an SVG path of its dark modules, one `M x y h1v1h-1z` per run; `None`
/// when the text is too long for a QR code of version 10.
pub fn qr(text: &str) -> Option<(i32, String)> {
    // In byte mode: the crate's text mode checks for its alphanumeric mode
    // with a string search that would bring panic formatting into the wasm.
    let max = Version::new(10);
    let mut out = vec![0u8; max.buffer_len()];
    let mut data = vec![0u8; max.buffer_len()];
    let bytes = text.as_bytes();
    data.get_mut(..bytes.len())?.copy_from_slice(bytes);
    let code = QrCode::encode_binary(
        &mut data,
        bytes.len(),
        &mut out,
        QrCodeEcc::Medium,
        Version::MIN,
        max,
        None,
        true,
    )
    .ok()?;
    let size = code.size();
    let mut path = String::new();
    let push = |n: i32, path: &mut String| path.push_str(&itoa(n));
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if code.get_module(x, y) {
                let start = x;
                while x < size && code.get_module(x, y) {
                    x += 1;
                }
                path.push('M');
                push(start, &mut path);
                path.push(' ');
                push(y, &mut path);
                path.push('h');
                push(x - start, &mut path);
                path.push_str("v1h-");
                push(x - start, &mut path);
                path.push('z');
            } else {
                x += 1;
            }
        }
    }
    Some((size, path))
}

/// `n` in decimal, without `core::fmt` (its machinery costs the wasm KBs).
fn itoa(n: i32) -> String {
    let mut digits = Vec::new();
    let mut n = n.unsigned_abs();
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().map(|&d| char::from(d)).collect()
}

/// `qr` for the page: `"<size> <path>"`, or `""` when the text does not fit.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn qr_svg(text: &str) -> String {
    match qr(text) {
        Some((size, path)) => {
            let mut out = itoa(size);
            out.push(' ');
            out.push_str(&path);
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_the_crates_modules_as_runs() {
        let (size, path) = qr("SMSTO:12345:JOIN").unwrap();
        assert_eq!(size, 25, "version 2 holds it in byte mode");
        // Rebuild the grid from the path and compare it with the crate's.
        let mut grid = vec![false; (size * size) as usize];
        for run in path.split('M').skip(1) {
            let (xy, rest) = run.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let len: i32 = rest.split_once('v').unwrap().0.parse().unwrap();
            let (x, y): (i32, i32) = (x.parse().unwrap(), y.parse().unwrap());
            for i in x..x + len {
                grid[(y * size + i) as usize] = true;
            }
        }
        let max = Version::new(10);
        let (mut out, mut data) = (vec![0u8; max.buffer_len()], vec![0u8; max.buffer_len()]);
        data[..16].copy_from_slice(b"SMSTO:12345:JOIN");
        let code = QrCode::encode_binary(
            &mut data,
            16,
            &mut out,
            QrCodeEcc::Medium,
            Version::MIN,
            max,
            None,
            true,
        )
        .unwrap();
        for y in 0..size {
            for x in 0..size {
                assert_eq!(grid[(y * size + x) as usize], code.get_module(x, y), "({x}, {y})");
            }
        }
        assert!(qr(&"x".repeat(300)).is_none());
        assert_eq!(itoa(0), "0");
        assert_eq!(itoa(120), "120");
    }
}
