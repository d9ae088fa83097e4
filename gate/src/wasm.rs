//! The one export: `gate(op, arg, now)`, over the page's one [`Gate`], at
//! the boundary of the core's `abi` (`js/wasm-glue.js` calls it).

use super::Gate;
use consentry::abi::{give, take};
use core::cell::RefCell;

/// The page's gate. wasm32-unknown-unknown without atomics runs one
/// thread, and nothing in [`Gate::call`] calls out to JS, so it is never
/// borrowed twice.
struct Page(RefCell<Gate>);
// SAFETY: one thread (see above).
unsafe impl Sync for Page {}
static PAGE: Page = Page(RefCell::new(Gate(None)));

/// Runs operation `op` with the JSON argument at `arg` (`len` bytes from
/// the core's `alloc`) at time `now`; gives where the answer is.
///
/// # Safety
/// `arg` and `len` are what `alloc(len)` gave, written by the shell.
#[no_mangle]
pub unsafe extern "C" fn gate(op: u32, arg: *mut u8, len: usize, now: f64) -> *const [usize; 2] {
    // SAFETY: the caller's contract.
    let arg = unsafe { take(arg, len) };
    give(match PAGE.0.try_borrow_mut() {
        Ok(mut g) => g.call(op, &arg, now),
        Err(_) => "{\"error\":\"called while busy\"}".into(),
    })
}
