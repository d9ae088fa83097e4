//! The gate: the consent core behind one string function. Every page loads
//! this wasm, so its boundary is as narrow as it can be: the JS shell
//! (`js/facade.js`) calls [`Gate::call`] with an operation code and one JSON
//! argument, and gets one JSON answer back. The core decides everything
//! (configuration, permissions, the stored record and its cookie, tag
//! verdicts, cookie deletions, Consent Mode); the shell keeps the API
//! object, listeners, plugins and events, touches storage and the DOM, and
//! throws `Error("consentry.<call>: <message>")` for an `{"error"}` answer.
//!
//! Nothing here calls out to JS, so a listener can never re-enter the core
//! mid-call, and the whole protocol is tested natively (`tests/api.rs`).
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

use alloc::{string::String, vec::Vec};
#[cfg(feature = "full")]
use consentry::consent::Button;
use consentry::consent::{
    domain_candidates, is_region, permission_map, Commit, Config, Engine, Expiry, Policy, Record, StorageKind, Texts,
    POLICIES, RESERVED,
};
use consentry::json::{error, parse, push_uint, write_string, Object as Answer, Value};

#[cfg(target_arch = "wasm32")]
mod wasm;

/// The operations, by code (`js/facade.js` names them).
pub mod op {
    /// `[config, gpc, id, host, [cookie, localStorage, sessionStorage],
    /// region]` (`region`: a code the shell kept from an earlier page, or
    /// null):
    /// validates the configuration and starts the engine from the record
    /// kept where the configuration says (each place `[adobe, consentry]`,
    /// the texts under `adobeujs-optin` and `consentry`, each `null` when
    /// empty, the cookies' values decoded; or `false` when the place could
    /// not be read); answers the start (see [`super::Gate::call`]). The shell
    /// starts once; a second `START` starts afresh (the differential test
    /// of the snippet's early answer starts thousands of times).
    pub const START: u32 = 0;
    /// `[categories or null for all, shouldWaitForComplete]`.
    pub const APPROVE: u32 = 1;
    /// The same, denying.
    pub const DENY: u32 = 2;
    /// `complete()`.
    pub const COMPLETE: u32 = 3;
    /// `{category: boolean}` a CMP decided: commits at once.
    pub const APPLY: u32 = 4;
    /// `[categories]`: `true` or `false`.
    pub const IS_APPROVED: u32 = 5;
    /// `[categories]` against `preOptInApprovals`.
    pub const IS_PRE_APPROVED: u32 = 6;
    /// `{key: value}` kept beside the permissions.
    pub const MEMOIZE: u32 = 7;
    /// A key: `{"value": v}`, or `{}` when nothing is kept under it.
    pub const MEMO: u32 = 8;
    /// The full build's: `[document.cookie, host, path, secure]`:
    /// `{"consent"?, "uet"?, "cookies"}`.
    pub const INTEGRATIONS: u32 = 9;
    /// A tag's `data-consent` expression: `true`, `false` or a warning.
    pub const TAG: u32 = 10;
    /// With `ui`: `[button, {category: boolean}]`, a button of the banner
    /// or preference centre (`"accept"`, `"reject"`, `"save"` with the
    /// switches, `"ok"` for a notice): commits what the core decides.
    pub const CHOOSE: u32 = 11;
    /// With `ui`: the visitor's region (`"DE"`, `"US-CA"`) found after the
    /// start; the defaults follow its policy.
    pub const REGION: u32 = 12;
}

/// What the gate holds between calls: the engine and the consent id a
/// first choice gets, once started.
#[derive(Default)]
pub struct Gate(Option<(Engine, String)>);

/// Where and how the record is kept: -1 nowhere, 0 the cookie, 1
/// `localStorage`, 2 `sessionStorage`.
fn storage_code(c: &Config) -> i8 {
    match (c.storage_enabled, c.storage, c.expiry) {
        (false, _, _) => -1,
        (_, StorageKind::Cookie, _) => 0,
        (_, StorageKind::LocalStorage, Expiry::Session) => 2,
        (_, StorageKind::LocalStorage, _) => 1,
    }
}

/// `{name: value, ...}` as the member `key` of `a`.
fn bools<'a>(a: &mut Answer, key: &str, pairs: impl Iterator<Item = (&'a str, bool)>) {
    let out = a.key(key);
    out.push('{');
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push_str(if v { ":true" } else { ":false" });
    }
    out.push('}');
}

/// `<what> <value>; expected <expected>`, for an argument of the wrong shape
/// (the shell checks shapes first, so this answers only a broken shell).
fn bad_argument(v: &Value, expected: &str) -> String {
    let mut m = v.to_json();
    m.push_str("; expected ");
    m.push_str(expected);
    error(&m)
}

/// The category names of an argument: an array of strings.
fn names(v: &Value) -> Option<Vec<&str>> {
    let Value::Array(items) = v else { return None };
    let mut out = Vec::new();
    for item in items {
        let Value::String(s) = item else { return None };
        out.push(s.as_str());
    }
    Some(out)
}

/// The cookie's attributes after its value: `; path=/`, its lifetime,
/// domain (when configured; else the shell adds the one its probe found),
/// `SameSite` and `Secure`.
fn cookie_attributes(config: &Config) -> String {
    let mut c = String::from("; path=/");
    if let Expiry::Seconds(s) = config.expiry {
        // With `ui`, a refusal is kept at least as long as the banner stays away.
        let quiet = config.ui().map_or(0, |ui| ui.quiet_days.saturating_mul(86_400));
        c.push_str("; max-age=");
        push_uint(&mut c, s.max(quiet).into());
    }
    if let Some(d) = &config.cookie_domain {
        c.push_str("; domain=");
        c.push_str(d);
    }
    if let Some(s) = config.same_site {
        c.push_str("; SameSite=");
        c.push_str(s);
    }
    if config.secure_cookie {
        c.push_str("; Secure");
    }
    c
}

impl Gate {
    /// Runs one operation ([`op`]) with its JSON argument at time `now` (ms
    /// since the epoch) and answers JSON: `{"error": message}` for a refused
    /// call (nothing changed), else the operation's answer.
    ///
    /// `START` and every call that may change the permissions answer the
    /// state: `permissions` (`{category: boolean}` in force), `status`,
    /// `record` (`{consentId, time, revision}` or `null`) and `answer`
    /// (whether `fetchPermissions` answers at once); plus `changes` when a
    /// commit happened (the shell then tells the page) and `write` when the
    /// record is to be stored: `[adobe, consentry]`, the texts to keep under
    /// `adobeujs-optin` and `consentry` (the second `null` when there is no
    /// choice to prove; the shell percent-encodes them into the cookies).
    /// `START` adds `store` (where the record is kept: -1 nowhere, 0 the
    /// cookies, 1 `localStorage`, 2 `sessionStorage`), `warnings`, `cookie`
    /// (the cookies' attributes, when they are the store), `optIn`, `iab`,
    /// `tcf` (when TCF starts: its rules, flat, for the TCF module),
    /// `receipts` (the relay's URL, when configured) and `probe` (the
    /// domains to try, top-most first, for the cookies).
    pub fn call(&mut self, op: u32, arg: &str, now: f64) -> String {
        let arg = match parse(arg) {
            Ok(v) => v,
            Err(e) => return error(&e),
        };
        match &mut self.0 {
            _ if op == op::START => self.start(&arg, now),
            Some((engine, _)) if op == op::MEMOIZE => memoize(engine, arg),
            Some((engine, id)) => run(engine, id, op, &arg, now),
            None => error("called before START"),
        }
    }

    fn start(&mut self, arg: &Value, now: f64) -> String {
        let (Some(input), Some(Value::Bool(gpc)), Some(Value::String(id)), Some(Value::String(host)), Some(places)) = (
            arg_at(arg, 0),
            arg_at(arg, 1),
            arg_at(arg, 2),
            arg_at(arg, 3),
            arg_at(arg, 4),
        ) else {
            return bad_argument(arg, "[config, gpc, id, host, places]");
        };
        let mut warnings = Vec::new();
        let mut config = match Config::parse(input, &mut warnings) {
            Ok(c) => c,
            Err(e) => return error(&e),
        };
        if let (Some(ui), Some(Value::String(r))) = (config.ui_mut(), arg_at(arg, 5)) {
            if ui.region.is_none() && is_region(r) {
                ui.region = Some(r.clone());
            }
        }
        let kind = storage_code(&config);
        let text = |pair, i| match arg_at(pair, i) {
            Some(Value::String(text)) => Some(text.as_str()),
            _ => None,
        };
        let stored = match arg_at(places, kind as usize).filter(|_| kind >= 0) {
            Some(pair @ Value::Array(_)) => [text(pair, 0), text(pair, 1)],
            Some(Value::Bool(false)) => {
                warnings.push(String::from(if kind == 0 {
                    "stored consent ignored: the cookie could not be read or is not valid percent-encoded UTF-8"
                } else {
                    "stored consent could not be read: storage is not available"
                }));
                [None, None]
            }
            _ => [None, None],
        };
        let mut a = Answer::new();
        a.raw(
            "store",
            match kind {
                0 => "0",
                1 => "1",
                2 => "2",
                _ => "-1",
            },
        );
        if kind == 0 {
            a.string("cookie", &cookie_attributes(&config));
            if config.cookie_domain.is_none() {
                a.strings("probe", domain_candidates(host).iter().map(String::as_str));
            }
        }
        let engine = Engine::start(config, stored, now, *gpc, &mut warnings);
        a.strings("warnings", warnings.iter().map(String::as_str));
        let c = engine.config();
        a.raw("optIn", boolean(c.opt_in_applies));
        if let Some(url) = &c.receipts {
            a.string("receipts", url);
        }
        a.raw("iab", boolean(c.iab_context));
        if c.iab_context && c.opt_in_applies {
            // The rules in force, flat: timeout, then per rule its category,
            // and each list (purposes, vendors, special features) as its
            // length and its ids: the TCF module reads them without JSON.
            let out = a.key("tcf");
            out.push('[');
            push_uint(out, c.tcf.timeout.into());
            for r in &c.tcf.rules {
                out.push(',');
                push_uint(out, r.category as u64);
                for list in [&r.purposes, &r.vendors, &r.special_features] {
                    out.push(',');
                    push_uint(out, list.len() as u64);
                    for id in list {
                        out.push(',');
                        push_uint(out, *id);
                    }
                }
            }
            out.push(']');
        }
        // For the GPP module, which reads it (the plain build refuses `gpp`).
        #[cfg(feature = "full")]
        if let Some(gpp) = &c.gpp {
            a.raw("gpp", gpp);
        }
        let answer = state(a, &engine, None);
        self.0 = Some((engine, id.clone()));
        answer
    }
}

fn arg_at(v: &Value, i: usize) -> Option<&Value> {
    match v {
        Value::Array(items) => items.get(i),
        _ => None,
    }
}

/// Adds the state (see [`Gate::call`]) to `a`: the commit's changes and the
/// record to write, when there are.
fn state(mut a: Answer, engine: &Engine, commit: Option<&Commit>) -> String {
    let names = engine.config().categories.names();
    bools(
        &mut a,
        "permissions",
        names
            .iter()
            .map(String::as_str)
            .zip(engine.permissions().iter().copied()),
    );
    a.string("status", engine.status().as_str());
    match engine.meta() {
        Some(m) => {
            let out = a.key("record");
            out.push_str("{\"consentId\":");
            write_string(&m.id, out);
            out.push_str(",\"time\":");
            push_uint(out, m.time as u64);
            out.push_str(",\"revision\":");
            push_uint(out, m.revision.into());
            out.push('}');
        }
        None => a.raw("record", "null"),
    }
    let c = engine.config();
    let answer = !c.opt_in_applies
        || engine.status() == consentry::consent::Status::Complete
        || c.pre_opt_in.is_some()
        || (c.ui().is_some() && engine.policy() != Policy::OptIn);
    a.raw("answer", boolean(answer));
    if let Some(ui) = c.ui() {
        // What the banner needs: the policy, whether it asks (or must wait
        // for the region from `locate`), the categories it shows.
        a.string(
            "policy",
            POLICIES.get(engine.policy() as usize).copied().unwrap_or_default(),
        );
        a.raw("ask", boolean(engine.asks()));
        if let (None, Some(url)) = (&ui.region, &ui.region_url) {
            a.string("locate", url);
        }
        for (key, list) in [("shown", &ui.shown), ("necessary", &ui.necessary)] {
            a.strings(key, list.iter().filter_map(|i| names.get(*i)).map(String::as_str));
        }
    }
    if let Some(commit) = commit {
        bools(
            &mut a,
            "changes",
            commit
                .changes
                .iter()
                .filter_map(|(i, v)| Some((names.get(*i)?.as_str(), *v))),
        );
    }
    if let Some(texts) = commit.and_then(|c| c.stored.as_ref()) {
        write(&mut a, texts);
    }
    a.done()
}

/// `"write": [adobe, consentry or null]`: the record's texts to store.
fn write(a: &mut Answer, (adobe, own): &Texts) {
    let out = a.key("write");
    out.push('[');
    write_string(adobe, out);
    out.push(',');
    match own {
        Some(own) => write_string(own, out),
        None => out.push_str("null"),
    }
    out.push(']');
}

/// The state after a call that may have committed.
fn after(engine: &Engine, commit: Option<Commit>) -> String {
    state(Answer::new(), engine, commit.as_ref())
}

fn run(engine: &mut Engine, id: &str, op: u32, arg: &Value, now: f64) -> String {
    let mut new_id = || String::from(id);
    match op {
        op::APPROVE | op::DENY => {
            let value = op == op::APPROVE;
            let (Some(which), Some(Value::Bool(wait))) = (arg_at(arg, 0), arg_at(arg, 1)) else {
                return bad_argument(arg, "[categories or null, wait]");
            };
            let commit = match (which, names(which)) {
                (Value::Null, _) => engine.set_all(value, *wait, now, &mut new_id),
                (_, Some(names)) => match engine.config().categories.resolve(&names) {
                    Ok(i) => engine.set(&i, value, *wait, now, &mut new_id),
                    Err(e) => return error(&e),
                },
                _ => return bad_argument(which, "a category or an array of categories"),
            };
            after(engine, commit)
        }
        op::COMPLETE => {
            let commit = engine.complete(now, &mut new_id);
            after(engine, commit)
        }
        // The banner's operations are in its build only.
        #[cfg(feature = "full")]
        op::CHOOSE => {
            const BUTTONS: [(&str, Button); 4] = [
                ("accept", Button::AcceptAll),
                ("reject", Button::RejectAll),
                ("save", Button::Save),
                ("ok", Button::Acknowledge),
            ];
            let Some((_, button)) = BUTTONS
                .iter()
                .find(|(n, _)| matches!(arg_at(arg, 0), Some(Value::String(b)) if b == n))
            else {
                return bad_argument(arg, "[\"accept\", \"reject\", \"save\" or \"ok\", switches]");
            };
            let mut warnings = Vec::new();
            let switches = match arg_at(arg, 1) {
                Some(v @ Value::Object(_)) => {
                    match permission_map(&engine.config().categories, "choose", v, &mut warnings) {
                        Ok(map) => map,
                        Err(e) => return error(&e),
                    }
                }
                _ => Vec::new(),
            };
            // `choose` commits with `ui`, and only with it.
            match engine.choose(*button, &switches, now, &mut new_id) {
                Some(commit) => after(engine, Some(commit)),
                None => error("there is no banner: the configuration has no ui"),
            }
        }
        #[cfg(feature = "full")]
        op::REGION => match arg {
            Value::String(r) if is_region(r) => {
                let commit = engine.locate(r);
                after(engine, commit)
            }
            _ => bad_argument(arg, "a region code such as \"DE\" or \"US-CA\""),
        },
        op::APPLY => {
            let mut warnings = Vec::new();
            let map = match permission_map(&engine.config().categories, "applyCmp", arg, &mut warnings) {
                Ok(map) => map,
                Err(e) => return error(&e),
            };
            let mut choices = Vec::new();
            for (i, v) in map.iter().enumerate() {
                if let Some(v) = v {
                    choices.push((i, *v));
                }
            }
            let commit = engine.apply(&choices, now, &mut new_id);
            after(engine, commit)
        }
        op::IS_APPROVED | op::IS_PRE_APPROVED => match names(arg) {
            Some(names) if op == op::IS_APPROVED => boolean(engine.is_approved(&names)).into(),
            Some(names) => boolean(engine.is_pre_approved(&names)).into(),
            None => bad_argument(arg, "a category or an array of categories"),
        },
        op::MEMO => {
            let Value::String(key) = arg else {
                return bad_argument(arg, "a string");
            };
            let mut a = Answer::new();
            if let Some(v) = engine.memoized(key) {
                a.raw("value", &v.to_json());
            }
            a.done()
        }
        // Only the full build's keys have integrations: the plain shell never asks.
        #[cfg(feature = "full")]
        op::INTEGRATIONS => {
            let (
                Some(Value::String(jar)),
                Some(Value::String(host)),
                Some(Value::String(path)),
                Some(Value::Bool(secure)),
            ) = (arg_at(arg, 0), arg_at(arg, 1), arg_at(arg, 2), arg_at(arg, 3))
            else {
                return bad_argument(arg, "[cookie, host, path, secure]");
            };
            let mut a = Answer::new();
            effects(&mut a, engine, jar, host, path, *secure);
            a.done()
        }
        op::TAG => {
            let Value::String(expr) = arg else {
                return bad_argument(arg, "a string");
            };
            match consentry::consent::tag_wanted(&engine.config().categories, engine.permissions(), expr) {
                Ok(wanted) => boolean(wanted).into(),
                Err(term) => {
                    let mut m = String::from("consentry: data-consent=");
                    write_string(expr, &mut m);
                    m.push_str(": unknown category ");
                    write_string(term, &mut m);
                    m.push_str("; the tag never runs");
                    let mut out = String::new();
                    write_string(&m, &mut out);
                    out
                }
            }
        }
        _ => error("unknown operation"),
    }
}

/// `MEMOIZE`: keeps the members (moved, not copied) beside the permissions.
fn memoize(engine: &mut Engine, arg: Value) -> String {
    let Value::Object(members) = arg else {
        return bad_argument(&arg, "an object of JSON values");
    };
    for (key, _) in &members {
        if engine.config().categories.index(key).is_some() || key == RESERVED {
            let mut m = String::from("key ");
            write_string(key, &mut m);
            m.push_str(" is reserved for the consent record; expected another name");
            return error(&m);
        }
    }
    let write = match engine.memoize(members) {
        Ok(write) => write,
        Err(size) => {
            let mut m = String::from("content that makes the stored record ");
            push_uint(&mut m, size as u64);
            m.push_str(" bytes; expected at most ");
            push_uint(&mut m, Record::room(engine.config().storage) as u64);
            m.push_str(", the room the record has");
            return error(&m);
        }
    };
    let mut a = Answer::new();
    if let Some(texts) = &write {
        self::write(&mut a, texts);
    }
    a.done()
}

/// The integrations' answer (the full build's keys): Consent Mode's and
/// UET's state, and the cookies of categories not approved to delete.
#[cfg(feature = "full")]
fn effects(a: &mut Answer, engine: &Engine, jar: &str, host: &str, path: &str, secure: bool) {
    let (integrations, permissions) = (&engine.config().integrations, engine.permissions());
    if !integrations.consent_mode.is_empty() {
        let out = a.key("consent");
        out.push('{');
        for (i, (t, granted)) in integrations.consent_state(permissions).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(t, out);
            out.push_str(if *granted { ":\"granted\"" } else { ":\"denied\"" });
        }
        out.push('}');
    }
    if let Some(cats) = &integrations.uet {
        let granted = consentry::consent::all_approved(cats, permissions);
        a.raw(
            "uet",
            if granted {
                "{\"ad_storage\":\"granted\"}"
            } else {
                "{\"ad_storage\":\"denied\"}"
            },
        );
    }
    let deletions = integrations.cookie_deletions(permissions, jar, host, path, secure);
    a.strings("cookies", deletions.iter().map(String::as_str));
}

fn boolean(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}
