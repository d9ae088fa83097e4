//! The form module's wasm surface: its rules behind string functions. The
//! DOM, the network and the timers are the JS shells' (`js/capture.js` and
//! the other forms');
//! what the options mean, what a typed number is, what the body says, what
//! a refusal means and how the outbox retries are decided here.
//!
//! The module exports one function, [`form`], which calls the function an
//! operation code names. Each form's operations are answered only by the
//! builds with its feature (`capture`, `verification`, `signup`, `join`):
//! the other forms' rules are left out of that module. A capture form
//! with a text-to-join block loads the join module for it.
#![cfg_attr(
    not(all(feature = "capture", feature = "verification", feature = "signup", feature = "join")),
    allow(dead_code)
)]

#[allow(unused_imports)]
use crate::prelude::*;
use crate::rules::form_options::{FormOptions, Mode};
use crate::rules::join::{self, JoinOptions};
use crate::rules::outbox::{classify, Entry, Outbox, Outcome};
use crate::rules::payload::{status_set_body, Consent, Rejection, Submission};
use crate::rules::phone::{self, country};
use crate::rules::signup::{self, SignupOptions};
use crate::rules::verification::{self, Step, VerifyOptions};
use crate::rules::{sha256, texts};
use consentry::abi::{give, take};
use consentry::json::{error, parse, push_uint, write_string, Object, Value};

/// The operations of the module's one export, [`form`], by code: each
/// names the function of this file it calls (scripts/build.mjs writes
/// them to build/form-protocol.js for `js/form-wasm.js`).
pub mod op {
    /// [`super::language`]`(a)`.
    pub const LANGUAGE: u32 = 0;
    /// [`super::outbox`]`(a, b, c, n)`.
    pub const OUTBOX: u32 = 1;
    /// [`super::options`]`(a, b)`.
    pub const OPTIONS: u32 = 2;
    /// [`super::number`]`(a, b, c)`.
    pub const NUMBER: u32 = 3;
    /// [`super::body`]`(a)`.
    pub const BODY: u32 = 4;
    /// [`super::rejection`]`(n, a)`.
    pub const REJECTION: u32 = 5;
    /// [`super::join`]`(a, b, c, n != 0)`.
    pub const JOIN: u32 = 6;
    /// [`super::signup_options`]`(a, b)`.
    pub const SIGNUP_OPTIONS: u32 = 7;
    /// [`super::signup_body`]`(a, b)`.
    pub const SIGNUP_BODY: u32 = 8;
    /// [`super::verify_options`]`(a, b)`.
    pub const VERIFY_OPTIONS: u32 = 9;
    /// [`super::verify_answer`]`(n, a)`.
    pub const VERIFY_ANSWER: u32 = 10;
}

/// The module's one export: the function `op` names, with the string
/// arguments `a`, `b`, `c` and the number `n` it takes. One export keeps
/// the boundary to one function; a build answers only its form's
/// operations (and every form's `language` and `outbox`).
///
/// # Safety
/// Each string is a pointer and a length that the core's `alloc` gave,
/// written by the shell (`js/wasm-glue.js`); the answer is where the
/// returned `[pointer, length]` says, until the next call.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn form(
    op: u32,
    a: *mut u8,
    al: usize,
    b: *mut u8,
    bl: usize,
    c: *mut u8,
    cl: usize,
    n: f64,
) -> *const [usize; 2] {
    // SAFETY: the caller's contract.
    let (a, b, c) = unsafe { (take(a, al), take(b, bl), take(c, cl)) };
    give(call(op, &a, &b, &c, n))
}

/// The function `op` names, with the string arguments `a`, `b`, `c` and
/// the number `n`.
fn call(op: u32, a: &str, b: &str, c: &str, n: f64) -> String {
    match op {
        op::LANGUAGE => language(a),
        op::OUTBOX => outbox(a, b, c, n),
        #[cfg(feature = "capture")]
        op::OPTIONS => options(a, b),
        #[cfg(any(feature = "capture", feature = "verification"))]
        op::NUMBER => number(a, b, c),
        #[cfg(feature = "capture")]
        op::BODY => body(a),
        #[cfg(any(feature = "capture", feature = "signup"))]
        op::REJECTION => rejection(n as u16, a),
        #[cfg(feature = "join")]
        op::JOIN => join(a, b, c, n != 0.0),
        #[cfg(feature = "signup")]
        op::SIGNUP_OPTIONS => signup_options(a, b),
        #[cfg(feature = "signup")]
        op::SIGNUP_BODY => signup_body(a, b),
        #[cfg(feature = "verification")]
        op::VERIFY_OPTIONS => verify_options(a, b),
        #[cfg(feature = "verification")]
        op::VERIFY_ANSWER => verify_answer(n as u16, a),
        _ => error("unknown operation"),
    }
}

/// "GB +44": what the country picker and the messages show.
fn country_label(iso: &str) -> String {
    let mut s = String::from(iso);
    if let Some(c) = country(iso) {
        s.push_str(" +");
        s.push_str(c.calling_code);
    }
    s
}

/// The language whose texts module (`consentry-form-<code>.mjs`) a form
/// with these options needs: `ko` or `ja`; empty for English, and for
/// options that do not parse (the options function then says why).
pub fn language(json: &str) -> String {
    match parse(json).ok().map(|v| crate::rules::read::locale(&v)) {
        Some(Ok(locale)) if locale != texts::Locale::En => String::from(locale.code()),
        _ => String::new(),
    }
}

/// Validates `renderPhoneCapture`'s options (JSON, the callbacks taken out
/// by the shell) and answers what the shell renders: the texts in the
/// form's language (with the site's overrides), the countries with their
/// labels, the URL to post to, and the warnings; or `{"error"}`.
pub fn options(json: &str, table: &str) -> String {
    let value = match parse(json) {
        Ok(v) => v,
        Err(e) => return error(&e),
    };
    let mut warnings = Vec::new();
    let mut o = match FormOptions::parse(&value, &mut warnings) {
        Ok(o) => o,
        Err(e) => return error(&e),
    };
    o.texts.builtin = texts::table(table);
    let mut a = Object::new();
    a.string("subscriptionGroupId", &o.subscription_group_id);
    if let Some(id) = &o.external_id {
        a.string("externalId", id);
    }
    if let Some(t) = &o.external_id_token {
        a.string("externalIdToken", t);
    }
    a.raw("doubleOptIn", if o.double_opt_in { "true" } else { "false" });
    a.string("locale", o.locale.code());
    a.string("programme", &o.programme);
    a.string("disclosure", &o.disclosure);
    a.string("formId", &o.form_id);
    a.raw("modal", if o.mode == Mode::Modal { "true" } else { "false" });
    a.raw("stylesheet", if o.stylesheet { "true" } else { "false" });
    a.string("submitUrl", &o.submit_url());
    a.raw("bridge", if o.bridge { "true" } else { "false" });
    if let Some(join) = &o.text_to_join {
        a.raw("textToJoin", &join.to_json());
    }
    shared(&mut a, o.default_country, &o.countries, &o.texts);
    a.strings("warnings", warnings.iter().map(String::as_str));
    a.done()
}

/// What every phone form shows: the countries with their labels, the one
/// selected at first, and the form's texts in its language.
fn shared(a: &mut Object, default_country: &str, countries: &[&str], texts: &texts::Texts) {
    a.string("defaultCountry", default_country);
    let out = a.key("countries");
    out.push('[');
    for (i, iso) in countries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_string(iso, out);
        out.push(',');
        write_string(&country_label(iso), out);
        out.push(']');
    }
    out.push(']');
    let out = a.key("texts");
    out.push('{');
    for (i, k) in texts.keys().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_string(&texts.get(k), out);
    }
    out.push('}');
}

/// Validates `renderTextToJoin`'s options (`in_form`: a capture form's
/// `textToJoin` block) and answers what the shell shows on `platform`
/// (`ios`, `android` or `desktop`): the texts, the link, and what the QR
/// code holds; or `{"error"}`.
pub fn join(json: &str, platform: &str, table: &str, in_form: bool) -> String {
    let read = if in_form {
        JoinOptions::parse_in_form
    } else {
        JoinOptions::parse
    };
    let mut o = match parse(json).and_then(|v| read(&v)) {
        Ok(o) => o,
        Err(e) => return error(&e),
    };
    o.texts.builtin = texts::table(table);
    let whatsapp = o.channel == join::Channel::WhatsApp;
    let mut a = Object::new();
    a.string("locale", o.locale.code());
    a.string("formId", &o.form_id);
    a.raw("stylesheet", if o.stylesheet { "true" } else { "false" });
    a.string("programme", &o.programme);
    a.string("disclosure", &o.disclosure);
    a.string("title", &o.text(if whatsapp { "wa_title" } else { "join_title" }));
    a.string("button", &o.text(if whatsapp { "wa_button" } else { "join_title" }));
    a.string("scan", &o.text(if whatsapp { "wa_scan" } else { "join_scan" }));
    a.string("link", &o.link(join::Platform::parse(platform)));
    a.string("qrText", &o.qr_text());
    a.done()
}

/// Validates `renderSignup`'s options: what the shell renders (the boxes'
/// groups and disclosures, countries, texts, the URL), or `{"error"}`.
pub fn signup_options(json: &str, table: &str) -> String {
    let mut o = match parse(json).and_then(|v| SignupOptions::parse(&v)) {
        Ok(o) => o,
        Err(e) => return error(&e),
    };
    o.texts.builtin = texts::table(table);
    let mut a = Object::new();
    a.string("locale", o.locale.code());
    a.string("formId", &o.form_id);
    a.raw("stylesheet", if o.stylesheet { "true" } else { "false" });
    a.raw("doubleOptIn", if o.double_opt_in { "true" } else { "false" });
    a.string("submitUrl", &o.submit_url());
    a.string("emailGroup", &o.email.group);
    a.string("emailDisclosure", &o.email.disclosure);
    a.string("smsGroup", &o.sms.group);
    a.string("smsDisclosure", &o.sms.disclosure);
    shared(&mut a, o.default_country, &o.countries, &o.texts);
    a.done()
}

/// Checks a sign-up (`options` as given to `signup_options`; `entry`:
/// `{email, phone, country, emailBox, smsBox, locale, pageUrl, time,
/// formId, consentId}`): `{"email"?, "phone"?}` naming the texts of the
/// fields' errors, or `{"body", "phone"}` to send.
pub fn signup_body(options: &str, entry: &str) -> String {
    let (Ok(o), Ok(e)) = (parse(options).and_then(|v| SignupOptions::parse(&v)), parse(entry)) else {
        return error("the sign-up could not be read");
    };
    let s = |k: &str| match e.get(k) {
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    let ticked = |k: &str| e.get(k) == Some(&Value::Bool(true));
    let visitor = signup::Entry {
        email: s("email"),
        phone: s("phone"),
        country: s("country"),
        email_box: ticked("emailBox"),
        sms_box: ticked("smsBox"),
    };
    let mut a = Object::new();
    match signup::check(&o, &visitor) {
        (None, None, e164) => {
            let text = |k: &str| Value::String(s(k).to_string());
            let consent = [
                ("locale", text("locale")),
                ("page_url", text("pageUrl")),
                ("time", e.get("time").cloned().unwrap_or(Value::Null)),
                ("form_id", text("formId")),
                ("consent_id", text("consentId")),
            ];
            a.string("body", &signup::body(&o, &visitor, e164.as_deref(), &consent));
            if let Some(p) = &e164 {
                a.string("phone", p);
            }
        }
        (email, phone, _) => {
            if let Some(k) = email {
                a.string("email", k);
            }
            if let Some(k) = phone {
                a.string("phone", k);
            }
        }
    }
    a.done()
}

/// Validates `renderPhoneVerification`'s options (JSON, the callbacks
/// taken out by the shell): the URLs, purpose, language, countries and
/// texts; or `{"error"}`.
pub fn verify_options(json: &str, table: &str) -> String {
    let mut o = match parse(json).and_then(|v| VerifyOptions::parse(&v)) {
        Ok(o) => o,
        Err(e) => return error(&e),
    };
    o.texts.builtin = texts::table(table);
    let mut a = Object::new();
    a.string("purpose", o.purpose);
    a.string("locale", o.locale.code());
    a.string("formId", &o.form_id);
    a.raw("stylesheet", if o.stylesheet { "true" } else { "false" });
    a.string("startUrl", &o.url("start"));
    a.string("checkUrl", &o.url("check"));
    shared(&mut a, o.default_country, &o.countries, &o.texts);
    a.done()
}

/// What the service's answer means for the verification form:
/// `{"step": "code", "resend"}`, `{"step": "verified", "token"}`,
/// `{"step": "refused", "key", "number", "seconds", "left"}` or
/// `{"step": "unavailable"}`; for a typed code (`status` 0, `body` the
/// input): `{"code"}` when it is six digits.
pub fn verify_answer(status: u16, body: &str) -> String {
    let mut a = Object::new();
    if status == 0 {
        if let Some(c) = verification::code(body) {
            a.string("code", &c);
        }
        return a.done();
    }
    match verification::answer(status, body) {
        Step::CodeSent { resend } => {
            a.string("step", "code");
            push_uint(a.key("resend"), resend);
        }
        Step::Verified { token } => {
            a.string("step", "verified");
            a.string("token", &token);
        }
        Step::Refused {
            key,
            number,
            seconds,
            left,
        } => {
            a.string("step", "refused");
            a.string("key", key);
            a.raw("number", if number { "true" } else { "false" });
            push_uint(a.key("seconds"), seconds);
            push_uint(a.key("left"), left);
        }
        Step::Unavailable => a.string("step", "unavailable"),
    }
    a.done()
}

/// A typed number with `country` selected, among the form's `allowed`
/// countries (a JSON array): `{"e164"}`, or `{"code"}` naming the text that
/// says why not.
pub fn number(input: &str, country: &str, allowed: &str) -> String {
    let allowed = match parse(allowed) {
        Ok(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let mut isos: Vec<&str> = Vec::new();
    for a in &allowed {
        if let Value::String(s) = a {
            isos.push(s);
        }
    }
    let mut a = Object::new();
    match phone::normalise(input, country, &isos) {
        Ok(e164) => a.string("e164", &e164),
        Err(e) => a.string("code", e.code()),
    }
    a.done()
}

/// The body the form posts: Braze's `/subscription/status/set` fields and
/// the consent record (the disclosure's SHA-256 computed here), from
/// `{subscriptionGroupId, phone, externalId?, doubleOptIn, disclosure,
/// locale, pageUrl, time, formId}`.
pub fn body(json: &str) -> String {
    let Ok(v) = parse(json) else {
        return String::new();
    };
    let s = |k: &str| match v.get(k) {
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    let disclosure = s("disclosure");
    let hash = sha256::hex(disclosure.as_bytes());
    let external_id = match v.get("externalId") {
        Some(Value::String(id)) => Some(id.as_str()),
        _ => None,
    };
    let external_id_token = match v.get("externalIdToken") {
        Some(Value::String(t)) => Some(t.as_str()),
        _ => None,
    };
    status_set_body(&Submission {
        subscription_group_id: s("subscriptionGroupId"),
        phone: s("phone"),
        external_id,
        external_id_token,
        double_opt_in: v.get("doubleOptIn") == Some(&Value::Bool(true)),
        consent: Consent {
            disclosure,
            disclosure_hash: &hash,
            locale: s("locale"),
            page_url: s("pageUrl"),
            time: v.get("time").and_then(Value::as_uint).unwrap_or_default(),
            form_id: s("formId"),
            consent_id: s("consentId"),
        },
    })
}

/// Why the server refused a submission: `country`, `number` or
/// `misconfigured`.
pub fn rejection(status: u16, body: &str) -> String {
    String::from(match Rejection::of(status, body) {
        Rejection::Country => "country",
        Rejection::Number => "number",
        Rejection::Misconfigured => "misconfigured",
    })
}

fn entry_json(out: &mut String, e: &Entry) {
    out.push_str("{\"key\":");
    write_string(&e.key, out);
    out.push_str(",\"url\":");
    write_string(&e.url, out);
    out.push_str(",\"body\":");
    write_string(&e.body, out);
    out.push('}');
}

/// The outbox's rules over its stored text (`localStorage`), at `now`:
/// - `push` `{key, url, body}`: queued, due at once;
/// - `expire`: what is older than 7 days goes (`expired`: their URLs);
/// - `due` `[keys in flight]`: the submissions due now and not in flight,
///   and `next`, when the next one is due (ms since the epoch, or null);
/// - `settle` `{key, status}` (status null: no answer): `outcome`
///   (`delivered`, `retry` or `rejected`), backing off a retry;
/// - `wake`: back online, everything waiting is due at once.
///
/// Answers JSON with `outbox`, the text to store (null: remove it).
pub fn outbox(op: &str, text: &str, arg: &str, now: f64) -> String {
    let now = now as u64;
    let mut outbox = Outbox::decode(text);
    let arg = parse(arg).unwrap_or(Value::Null);
    let s = |k: &str| match arg.get(k) {
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    let mut a = Object::new();
    match op {
        "push" => outbox.push(Entry::new(s("key"), s("url"), s("body"), now)),
        "expire" => a.strings("expired", outbox.expire(now).iter().map(|e| e.url.as_str())),
        "due" => {
            let in_flight = |k: &str| matches!(&arg, Value::Array(keys) if keys.iter().any(|x| matches!(x, Value::String(s) if s == k)));
            let out = a.key("due");
            out.push('[');
            let mut first = true;
            for e in outbox.due(now) {
                if !in_flight(&e.key) {
                    if !core::mem::take(&mut first) {
                        out.push(',');
                    }
                    entry_json(out, e);
                }
            }
            out.push(']');
            let mut next: Option<u64> = None;
            for e in outbox.due(u64::MAX) {
                if !in_flight(&e.key) && next.is_none_or(|n| e.next_at < n) {
                    next = Some(e.next_at);
                }
            }
            let out = a.key("next");
            match next {
                Some(n) => push_uint(out, n),
                None => out.push_str("null"),
            }
        }
        "settle" => {
            let status = arg
                .get("status")
                .and_then(Value::as_uint)
                .and_then(|n| u16::try_from(n).ok());
            let outcome = classify(status);
            outbox.settle(s("key"), outcome, now);
            a.string(
                "outcome",
                match outcome {
                    Outcome::Delivered => "delivered",
                    Outcome::Retry => "retry",
                    Outcome::Rejected => "rejected",
                },
            );
        }
        "wake" => outbox.wake(now),
        _ => return error("unknown operation"),
    }
    if outbox.is_empty() {
        a.raw("outbox", "null");
    } else {
        a.string("outbox", &outbox.encode());
    }
    a.done()
}
