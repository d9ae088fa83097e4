//! `complete` listeners, one-shot `fetchPermissions` callbacks, and the
//! `consentry:complete` DOM event.

use super::convert::object;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

struct Listener {
    id: u32,
    func: js_sys::Function,
    ctx: JsValue,
}

/// Subscribers in subscription order.
#[derive(Default)]
pub struct Listeners {
    next_id: u32,
    persistent: Vec<Listener>,
    once: Vec<js_sys::Function>,
}

impl Listeners {
    /// Subscribes `func` to every commit; returns its id for [`Self::remove`].
    pub fn add(&mut self, func: js_sys::Function, ctx: JsValue) -> u32 {
        self.next_id += 1;
        self.persistent.push(Listener {
            id: self.next_id,
            func,
            ctx,
        });
        self.next_id
    }

    /// Queues `func` for the next commit only.
    pub fn add_once(&mut self, func: js_sys::Function) {
        self.once.push(func);
    }

    /// Removes exactly the subscription `id` (Adobe removes by position and
    /// can remove someone else's).
    pub fn remove(&mut self, id: u32) {
        self.persistent.retain(|l| l.id != id);
    }

    /// `off('complete', func)`: removes every subscription of `func`, also
    /// those made through `fetchPermissions(func, true)`.
    pub fn remove_function(&mut self, func: &JsValue) {
        self.persistent.retain(|l| JsValue::from(&l.func) != *func);
    }

    /// The calls one commit makes, in order: listeners, then one-shots. The
    /// caller makes them after releasing every borrow, so a listener may call
    /// back into the API.
    pub fn take_calls(&mut self) -> Vec<(js_sys::Function, JsValue)> {
        let mut calls: Vec<_> = self
            .persistent
            .iter()
            .map(|l| (l.func.clone(), l.ctx.clone()))
            .collect();
        calls.extend(self.once.drain(..).map(|f| (f, JsValue::UNDEFINED)));
        calls
    }
}

/// Calls `func` with `arg`; an exception is reported, not propagated, so
/// one broken tag cannot stop the others from hearing about the commit.
pub fn call_reporting(func: &js_sys::Function, ctx: &JsValue, arg: &JsValue) {
    if let Err(e) = func.call1(ctx, arg) {
        super::report("consentry: a complete listener threw", &e);
    }
}

/// Fires `consentry:complete` on `window` with `{permissions, changes}`.
pub fn dispatch_dom_event(permissions: JsValue, changes: JsValue) {
    let Some(window) = web_sys::window() else { return };
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&object([("permissions", permissions), ("changes", changes)]));
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict("consentry:complete", &init) {
        let _ = window.dispatch_event(&event);
    }
}
