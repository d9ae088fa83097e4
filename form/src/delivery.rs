//! Delivery: every submission is saved to the outbox in `localStorage`
//! before its first attempt and leaves it only when the server has answered
//! (2xx, or a 4xx that retrying cannot fix). Network failures, timeouts,
//! 408, 429 and 5xx are retried with backoff, at once when the browser comes
//! back online, and on the next page load, always with the same
//! `Idempotency-Key`, so the server applies it exactly once.

#[allow(unused_imports)]
use crate::prelude::*;
use crate::rules::outbox::{classify, Entry, Outbox, Outcome};
use crate::web::warn;
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// The `localStorage` key of the outbox (the facade checks it at start).
pub const OUTBOX_KEY: &str = "consentry-outbox";
/// An attempt that has no answer after this long counts as failed.
const TIMEOUT_MS: u32 = 15_000;

/// What happened to a submission.
pub enum Delivery {
    /// The server took it (2xx).
    Delivered,
    /// The server refused it (4xx): the request itself must change.
    Rejected(u16, String),
    /// No answer yet; it waits in the outbox.
    Waiting,
}

type Watcher = Rc<dyn Fn(&Delivery)>;

#[wasm_bindgen]
extern "C" {
    // Missing in older browsers: then the attempt simply has no timeout.
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = timeout, catch)]
    fn abort_after(ms: u32) -> Result<web_sys::AbortSignal, JsValue>;
}

static IN_FLIGHT: crate::Local<RefCell<Vec<String>>> = crate::Local(RefCell::new(Vec::new()));
static WATCHERS: crate::Local<RefCell<Vec<(String, Watcher)>>> = crate::Local(RefCell::new(Vec::new()));
static TIMER: crate::Local<Cell<i32>> = crate::Local(Cell::new(0));
static ONLINE_HOOKED: crate::Local<Cell<bool>> = crate::Local(Cell::new(false));

fn now() -> u64 {
    js_sys::Date::now() as u64
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> Outbox {
    storage()
        .and_then(|s| s.get_item(OUTBOX_KEY).ok().flatten())
        .map(|t| Outbox::decode(&t))
        .unwrap_or_default()
}

fn save(outbox: &Outbox) {
    let Some(s) = storage() else {
        warn("the outbox cannot be kept: localStorage is not available");
        return;
    };
    let stored = if outbox.is_empty() {
        s.remove_item(OUTBOX_KEY)
    } else {
        s.set_item(OUTBOX_KEY, &outbox.encode())
    };
    if stored.is_err() {
        warn("the outbox could not be saved (storage full?)");
    }
}

/// Queues `entry`, saves the outbox, and tries to deliver it; `watcher`
/// hears what happens, also to later attempts.
pub fn submit(entry: Entry, watcher: Watcher) {
    let mut outbox = load();
    WATCHERS.with(|w| w.borrow_mut().push((entry.key.clone(), watcher)));
    outbox.push(entry);
    save(&outbox);
    flush();
}

/// Stops telling anyone about `key` (the form was destroyed); delivery goes on.
pub fn forget(key: &str) {
    WATCHERS.with(|w| w.borrow_mut().retain(|(k, _)| k != key));
}

/// Attempts every due submission of the outbox that is not already in flight.
#[wasm_bindgen]
pub fn flush() {
    hook_online();
    let mut outbox = load();
    let expired = outbox.expire(now());
    for old in &expired {
        let mut m = String::from("a subscription submitted more than 7 days ago was never delivered and is dropped: ");
        m.push_str(&old.url);
        warn(&m);
    }
    if !expired.is_empty() {
        save(&outbox);
    }
    let due: Vec<Entry> = outbox.due(now()).into_iter().cloned().collect();
    for entry in due {
        let busy = IN_FLIGHT.with(|f| {
            let mut f = f.borrow_mut();
            let busy = f.contains(&entry.key);
            if !busy {
                f.push(entry.key.clone());
            }
            busy
        });
        if !busy {
            spawn_local(attempt(entry));
        }
    }
    schedule_next(&outbox);
}

async fn attempt(entry: Entry) {
    let answer = send(&entry).await;
    let outcome = classify(answer.as_ref().map(|(status, _)| *status));
    let mut outbox = load();
    outbox.settle(&entry.key, outcome, now());
    save(&outbox);
    IN_FLIGHT.with(|f| f.borrow_mut().retain(|k| *k != entry.key));
    let delivery = match (outcome, answer) {
        (Outcome::Delivered, _) => Delivery::Delivered,
        (Outcome::Rejected, Some((status, body))) => Delivery::Rejected(status, body),
        _ => Delivery::Waiting,
    };
    let watchers: Vec<Watcher> = WATCHERS.with(|w| {
        w.borrow()
            .iter()
            .filter(|(k, _)| *k == entry.key)
            .map(|(_, f)| f.clone())
            .collect()
    });
    for w in watchers {
        w(&delivery);
    }
    if !matches!(delivery, Delivery::Waiting) {
        forget(&entry.key);
    }
    schedule_next(&outbox);
}

/// POSTs the entry; `None` for a network failure or a timeout.
async fn send(entry: &Entry) -> Option<(u16, String)> {
    let window = web_sys::window()?;
    let headers = web_sys::Headers::new().ok()?;
    headers.set("Content-Type", "application/json").ok()?;
    headers.set("Idempotency-Key", &entry.key).ok()?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&entry.body));
    if let Ok(signal) = abort_after(TIMEOUT_MS) {
        init.set_signal(Some(&signal));
    }
    let request = web_sys::Request::new_with_str_and_init(&entry.url, &init).ok()?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let body = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Some((response.status(), body))
}

/// One timer for the earliest waiting submission of `outbox`.
fn schedule_next(outbox: &Outbox) {
    let Some(window) = web_sys::window() else { return };
    let in_flight = IN_FLIGHT.with(|f| f.borrow().clone());
    let next = outbox
        .due(u64::MAX)
        .into_iter()
        .filter(|e| !in_flight.contains(&e.key))
        .map(|e| e.next_at)
        .min();
    TIMER.with(|t| window.clear_timeout_with_handle(t.get()));
    if let Some(at) = next {
        let delay = at.saturating_sub(now()).min(i32::MAX as u64) as i32;
        let callback = Closure::once_into_js(flush);
        if let Ok(id) =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), delay.max(0))
        {
            TIMER.with(|t| t.set(id));
        }
    }
}

/// Back online: everything waiting is due at once.
fn hook_online() {
    if ONLINE_HOOKED.with(|h| h.replace(true)) {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let on_online = Closure::<dyn FnMut()>::new(|| {
        let mut outbox = load();
        outbox.wake(now());
        save(&outbox);
        flush();
    });
    let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
    // The listener lives as long as the page.
    on_online.forget();
}
