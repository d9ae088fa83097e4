//! Consentry: a consent-management SDK for the web.
//!
//! What every module shares: the pure core ([`consent`], [`json`],
//! [`channel`]) that decides which solution categories may run tags and set
//! cookies. It never touches JS: the gate's wasm (`gate/`) wraps it in one
//! string function and the JS shell (`js/`) carries out what it decides.
#![no_std]

extern crate alloc;
// std is linked unless the gate's release build turns the `std` feature
// off: then the panic handler below replaces std's, whose message
// formatting (`core::fmt`) and panic locations cost several KB of wasm.
#[cfg(feature = "std")]
extern crate std;

#[cfg(all(target_arch = "wasm32", feature = "abi"))]
pub mod abi;
pub mod channel;
pub mod consent;
pub mod json;

/// `text` split at each `sep` byte, as `str::split` with an ASCII
/// separator: core's char searcher would bring its slice-index panics, and
/// with them `core::fmt`, into every wasm (about 1 KB brotli).
pub fn split(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let r = rest?;
        let at = r.bytes().position(|b| b == sep);
        // Both sides of an ASCII byte are char boundaries: `get` succeeds.
        rest = at.and_then(|i| r.get(i + 1..));
        at.map_or(Some(r), |i| r.get(..i))
    })
}

// A free-list allocator of about 1 KB instead of dlmalloc's 8 KB: the SDK
// makes few, small allocations on one thread.
#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without atomics runs one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

// Without std the wasm needs its own panic handler. Nothing in the library
// panics (clippy denies unwrap, indexing and panic); should core ever reach
// one, the wasm traps and the JS facade reports the error.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The name in `known` nearest to `word`, for "did you mean ...?": the
/// first that differs from it, ignoring case, by at most 2 characters
/// inserted, deleted or replaced in one place (what the two share at the
/// start and at the end covers all but 2 of the longer).
pub fn nearest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let same = |(a, b): (u8, u8)| a.eq_ignore_ascii_case(&b);
    known.iter().copied().find(|name| {
        let start = word.bytes().zip(name.bytes()).take_while(|p| same(*p)).count();
        let end = word
            .bytes()
            .rev()
            .zip(name.bytes().rev())
            .take_while(|p| same(*p))
            .count();
        let shared = (start + end).min(word.len()).min(name.len());
        word.len().max(name.len()) - shared <= 2
    })
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    #[test]
    fn nearest_names_the_likely_key() {
        let known = ["doesOptInApply", "isOptInStorageEnabled", "revision"];
        assert_eq!(super::nearest("doesOptinApply", &known), Some("doesOptInApply"));
        assert_eq!(super::nearest("DOESOPTINAPPLY", &known), Some("doesOptInApply"));
        assert_eq!(super::nearest("revison", &known), Some("revision"));
        assert_eq!(super::nearest("isOptInStorage", &known), None);
        assert_eq!(super::nearest("", &known), None);
    }

    #[test]
    fn split_is_str_split() {
        // Every text of up to 5 of `a`, `;` and `é`.
        for len in 0..=5u32 {
            for mut n in 0..3usize.pow(len) {
                let mut t = String::new();
                for _ in 0..len {
                    t.push(['a', ';', 'é'][n % 3]);
                    n /= 3;
                }
                assert_eq!(
                    super::split(&t, b';').collect::<Vec<_>>(),
                    t.split(';').collect::<Vec<_>>(),
                    "{t:?}"
                );
            }
        }
    }
}
