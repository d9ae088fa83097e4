//! The boundary of the gate's and the forms' wasm with their JS shell
//! (`js/wasm-glue.js`), without wasm-bindgen: their exports take strings
//! and numbers and give a string, and this is all that needs.
//!
//! The shell writes each string argument's UTF-8 bytes into memory that
//! [`alloc`] gives, and passes their pointer and length; the export takes
//! them back ([`take`]), so the call frees them. The export's answer stays
//! in memory until the next call ([`give`]), which returns where its
//! pointer and length are: the shell decodes it at once, and has nothing
//! to free. A module built on this imports nothing.

use alloc::{string::String, vec::Vec};
use core::cell::UnsafeCell;

/// `len` bytes for the shell to write one string argument into.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    // `with_capacity` allocates exactly `len` bytes, as `take` frees them.
    let mut bytes = Vec::<u8>::with_capacity(len);
    let at = bytes.as_mut_ptr();
    core::mem::forget(bytes);
    at
}

/// The string argument at `at`, `len` bytes from [`alloc`]`(len)`, taken
/// back (freed when dropped).
///
/// # Safety
/// `at` and `len` are what [`alloc`] gave, not taken before, and hold
/// UTF-8: the shell's `TextEncoder` wrote them (as wasm-bindgen's glue
/// does, the bytes are not checked again).
pub unsafe fn take(at: *mut u8, len: usize) -> String {
    // SAFETY: the caller's contract: `alloc(len)`'s allocation, whole, of
    // UTF-8.
    unsafe { String::from_raw_parts(at, len, len) }
}

/// The last answer and where it is, `[pointer, length]`.
struct Answer(UnsafeCell<(String, [usize; 2])>);
// SAFETY: wasm32-unknown-unknown without atomics runs one thread.
unsafe impl Sync for Answer {}
static ANSWER: Answer = Answer(UnsafeCell::new((String::new(), [0; 2])));

/// Keeps `answer` until the next call (dropping the last one) and gives
/// where its `[pointer, length]` are.
pub fn give(answer: String) -> *const [usize; 2] {
    // SAFETY: one thread, and no reference to ANSWER outlives this call.
    let slot = unsafe { &mut *ANSWER.0.get() };
    slot.1 = [answer.as_ptr() as usize, answer.len()];
    slot.0 = answer;
    &slot.1
}
