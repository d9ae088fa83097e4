//! Browser tests of the web layer in headless Chromium: cookies, storage
//! (including a storage that throws), events, errors.
#![cfg(target_arch = "wasm32")]

use consentry::web::Consentry;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/js/storage.js")]
extern "C" {
    /// The shell's storage I/O, the same module the bundles use.
    #[wasm_bindgen(js_name = storageIo)]
    fn io() -> consentry::web::Io;
}

fn js(body: &str) -> JsValue {
    Function::new_no_args(body).call0(&JsValue::UNDEFINED).unwrap()
}

fn config(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn cookies() -> String {
    js("return document.cookie").as_string().unwrap()
}

fn clear() {
    js("document.cookie.split(';').forEach(function(c){ var n = c.split('=')[0].trim(); if (n) document.cookie = n + '=; path=/; max-age=0'; });
        localStorage.clear(); sessionStorage.clear();");
}

fn strs(items: &[&str]) -> JsValue {
    items.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &key.into()).unwrap()
}

fn error_message(e: JsValue) -> String {
    e.dyn_into::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default()
}

const STORED: &str = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#;

#[wasm_bindgen_test]
fn a_commit_writes_the_adobe_cookie_and_a_new_page_reads_it() {
    clear();
    let c = Consentry::new(config(STORED), None, io()).unwrap();
    c.approve("aa".into(), JsValue::UNDEFINED).unwrap();
    let all = cookies();
    assert!(
        all.contains("adobeujs-optin=%7B%22aam%22%3Afalse%2C%22adcloud%22%3Afalse%2C%22aa%22%3Atrue"),
        "{all}"
    );
    let again = Consentry::new(config(STORED), None, io()).unwrap();
    assert!(again.is_approved("aa".into()).unwrap());
    assert_eq!(again.status(), "complete");
    clear();
}

#[wasm_bindgen_test]
fn no_cookie_is_written_without_storage_or_with_expiry_none() {
    clear();
    Consentry::new(config(r#"{"doesOptInApply":true}"#), None, io())
        .unwrap()
        .approve_all(JsValue::FALSE)
        .unwrap();
    let none = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"optInStorageExpiry":"NONE"}"#;
    Consentry::new(config(none), None, io())
        .unwrap()
        .approve_all(JsValue::FALSE)
        .unwrap();
    assert!(!cookies().contains("adobeujs-optin"), "{}", cookies());
}

#[wasm_bindgen_test]
fn session_cookies_are_written_and_read() {
    clear();
    let session = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"optInStorageExpiry":"SESSION"}"#;
    Consentry::new(config(session), None, io())
        .unwrap()
        .approve_all(JsValue::FALSE)
        .unwrap();
    assert!(Consentry::new(config(session), None, io())
        .unwrap()
        .is_approved(JsValue::UNDEFINED)
        .unwrap());
    clear();
}

#[wasm_bindgen_test]
fn a_cookie_the_page_cannot_keep_is_reported_not_fatal() {
    clear();
    // 127.0.0.1 is a secure context, so a Secure cookie sticks; a cookie for
    // another domain is refused. (Cookie attributes themselves are checked
    // end-to-end, where Chromium reports them.)
    let secure =
        r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"secureCookie":true,"sameSiteCookie":"Strict"}"#;
    Consentry::new(config(secure), None, io())
        .unwrap()
        .approve("aa".into(), JsValue::UNDEFINED)
        .unwrap();
    assert!(cookies().contains("adobeujs-optin"));
    clear();
    let foreign_domain = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"optInCookieDomain":"example.com"}"#;
    js("window.__warns = []; window.__warn = console.warn; console.warn = function (m) { __warns.push(String(m)); };");
    let c = Consentry::new(config(foreign_domain), None, io()).unwrap();
    c.approve("aa".into(), JsValue::UNDEFINED).unwrap();
    assert!(c.is_approved("aa".into()).unwrap(), "the choice holds for this page");
    let warns = js("console.warn = __warn; return __warns.join('|')")
        .as_string()
        .unwrap();
    assert!(
        warns.starts_with("consentry: the choice could not be stored: the browser did not keep the cookie"),
        "{warns}"
    );
    assert!(!cookies().contains("adobeujs-optin"));
}

#[wasm_bindgen_test]
fn corrupt_and_foreign_cookies_never_approve() {
    for value in [
        "%E0%A4%A",
        "garbage",
        "%7B%22aa%22%3A%22yes%22%7D",
        "%7B%22aa%22%3Atrue%2C%22consentry%22%3A%7B%22v%22%3A9%7D%7D",
    ] {
        clear();
        js(&format!("document.cookie = 'adobeujs-optin={value}; path=/'"));
        let c = Consentry::new(config(STORED), None, io()).unwrap();
        assert!(!c.is_approved("aa".into()).unwrap(), "{value}");
    }
    clear();
}

#[wasm_bindgen_test]
fn local_storage_keeps_the_choice() {
    clear();
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"storage":"localStorage"}"#;
    Consentry::new(config(cfg), None, io())
        .unwrap()
        .approve(strs(&["aa", "ecid"]), JsValue::UNDEFINED)
        .unwrap();
    let stored = js("return localStorage.getItem('adobeujs-optin')").as_string().unwrap();
    assert!(stored.contains(r#""aa":true"#), "{stored}");
    assert!(!cookies().contains("adobeujs-optin"));
    assert!(Consentry::new(config(cfg), None, io())
        .unwrap()
        .is_approved(strs(&["aa", "ecid"]))
        .unwrap());
    let session = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"storage":"localStorage","optInStorageExpiry":"SESSION"}"#;
    Consentry::new(config(session), None, io())
        .unwrap()
        .approve("target".into(), JsValue::UNDEFINED)
        .unwrap();
    assert!(js("return sessionStorage.getItem('adobeujs-optin')")
        .as_string()
        .unwrap()
        .contains(r#""target":true"#));
    clear();
}

#[wasm_bindgen_test]
fn a_storage_that_throws_fails_closed_without_crashing() {
    clear();
    let cfg = r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"storage":"localStorage","preOptInApprovals":{"ecid":true}}"#;
    js("localStorage.setItem('adobeujs-optin', '{\"aa\":true}');
        window.__storage = Object.getOwnPropertyDescriptor(window, 'localStorage');
        Object.defineProperty(window, 'localStorage', { configurable: true, get: function () { throw new DOMException('denied', 'SecurityError'); } });");
    let c = Consentry::new(config(cfg), None, io()).unwrap();
    assert!(
        !c.is_approved("aa".into()).unwrap(),
        "unreadable storage approves nothing"
    );
    assert!(c.is_approved("ecid".into()).unwrap(), "the defaults still hold");
    c.approve("aa".into(), JsValue::UNDEFINED).unwrap();
    assert!(c.is_approved("aa".into()).unwrap());
    // A storage whose writes throw (quota exceeded).
    js("Object.defineProperty(window, 'localStorage', { configurable: true, value: { getItem: function () { return 'garbage'; },
        setItem: function () { throw new DOMException('full', 'QuotaExceededError'); } } });");
    let c = Consentry::new(config(cfg), None, io()).unwrap();
    assert!(!c.is_approved("aa".into()).unwrap(), "garbage approves nothing");
    c.deny("ecid".into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(c.status(), "complete");
    js("Object.defineProperty(window, 'localStorage', __storage);");
    clear();
}

#[wasm_bindgen_test]
fn listeners_hear_commits_in_order_and_off_removes_them() {
    clear();
    let c = Consentry::new(config(r#"{"doesOptInApply":true}"#), None, io()).unwrap();
    let log = js("window.__log = []; return window.__log;");
    let first = js("return function (p) { __log.push('first:' + p.aa + ':' + (this && this.tag)); };");
    let broken = js("return function () { __log.push('broken'); throw new Error('tag bug'); };");
    let last = js("return function (p) { __log.push('last:' + p.aa); };");
    c.on("complete".into(), first.clone(), config(r#"{"tag":"ctx"}"#))
        .unwrap();
    c.on("complete".into(), broken, JsValue::UNDEFINED).unwrap();
    c.fetch_permissions(last.clone(), JsValue::UNDEFINED).unwrap(); // one-shot: status is pending
    c.approve("aa".into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(
        js("return __log.join(',')").as_string().unwrap(),
        "first:true:ctx,broken,last:true"
    );
    c.off("complete".into(), first).unwrap();
    c.deny("aa".into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(
        Array::from(&log).length(),
        4,
        "only the broken listener heard the second commit"
    );
}

#[wasm_bindgen_test]
fn unsubscribe_removes_exactly_its_own_listener() {
    // Adobe defect 5: Adobe's unsubscribe removes by position.
    let c = Consentry::new(config(r#"{"doesOptInApply":true}"#), None, io()).unwrap();
    js("window.__hits = [];");
    let a = js("return function () { __hits.push('a'); };");
    let b = js("return function () { __hits.push('b'); };");
    let id_a = c.fetch_permissions(a, JsValue::TRUE).unwrap();
    let id_b = c.fetch_permissions(b.clone(), JsValue::TRUE).unwrap();
    c.unsubscribe(id_a);
    c.unsubscribe(id_a); // twice: still only a's
    c.approve("aa".into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(js("return __hits.join()").as_string().unwrap(), "b");
    assert_ne!(id_a, id_b);
    // off() removes a subscription made through fetchPermissions(..., true).
    c.off("complete".into(), b).unwrap();
    c.approve("aa".into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(js("return __hits.join()").as_string().unwrap(), "b");
}

#[wasm_bindgen_test]
fn fetch_permissions_answers_at_once_when_there_is_an_answer() {
    js("window.__seen = [];");
    let cb = js("return function (p) { __seen.push(JSON.stringify(p)); };");
    let pre = Consentry::new(
        config(r#"{"doesOptInApply":true,"preOptInApprovals":{"aa":true}}"#),
        None,
        io(),
    )
    .unwrap();
    assert_eq!(pre.fetch_permissions(cb.clone(), JsValue::UNDEFINED).unwrap(), 0);
    let off = Consentry::new(config("{}"), None, io()).unwrap();
    off.fetch_permissions(cb, JsValue::FALSE).unwrap();
    let seen = js("return __seen.join('|')").as_string().unwrap();
    assert!(seen.starts_with(r#"{"aam":false,"adcloud":false,"aa":true"#), "{seen}");
    assert!(seen.contains(r#"|{"aam":true,"adcloud":true,"aa":true"#), "{seen}");
}

#[wasm_bindgen_test]
fn a_listener_may_call_back_into_the_api() {
    // Through the JS class, exactly as the facade calls it.
    let c: JsValue = Consentry::new(config(r#"{"doesOptInApply":true}"#), None, io())
        .unwrap()
        .into();
    Reflect::set(&js("return window"), &"__c".into(), &c).unwrap();
    let result = js(
        "__c.on('complete', function () { if (__c.isApproved('aa')) __c.deny('ecid', true); });
        __c.approve(['aa', 'ecid']);
        var staged = [__c.status, __c.isApproved('ecid')];
        __c.complete();
        return JSON.stringify(staged.concat([__c.isApproved('ecid')]));",
    );
    assert_eq!(result.as_string().unwrap(), r#"["changed",true,false]"#);
}

#[wasm_bindgen_test]
fn commits_fire_a_dom_event_with_permissions_and_changes() {
    let c = Consentry::new(config(r#"{"doesOptInApply":true,"categories":["sms"]}"#), None, io()).unwrap();
    js("window.__detail = null; window.addEventListener('consentry:complete', function (e) { __detail = e.detail; }, { once: true });");
    c.approve(strs(&["sms"]), JsValue::UNDEFINED).unwrap();
    let detail = js("return __detail");
    assert_eq!(get(&get(&detail, "permissions"), "sms"), JsValue::TRUE);
    assert_eq!(
        js("return JSON.stringify(__detail.changes)").as_string().unwrap(),
        r#"{"sms":true}"#
    );
}

#[wasm_bindgen_test]
fn arrays_from_another_frame_are_accepted() {
    // Adobe defect 6.
    let c = Consentry::new(config(r#"{"doesOptInApply":true}"#), None, io()).unwrap();
    let foreign = js("var f = document.createElement('iframe'); document.body.appendChild(f);
        var a = new f.contentWindow.Array('aa', 'target'); f.remove(); return a;");
    c.approve(foreign.clone(), JsValue::UNDEFINED).unwrap();
    assert!(c.is_approved(foreign).unwrap());
    let array_like = js("return { length: 1, 0: 'ecid' };");
    c.approve(array_like, JsValue::UNDEFINED).unwrap();
    assert!(c.is_approved("ecid".into()).unwrap());
}

#[wasm_bindgen_test]
fn memoized_content_is_stored_beside_the_permissions() {
    clear();
    let c = Consentry::new(config(STORED), None, io()).unwrap();
    c.memoize_content(config(r#"{"iabConsentHash":"h1","n":{"x":[1,2]}}"#))
        .unwrap();
    let again = Consentry::new(config(STORED), None, io()).unwrap();
    assert_eq!(again.get_memoized_content("iabConsentHash".into()).unwrap(), "h1");
    assert_eq!(again.status(), "pending", "memoized content alone is not a choice");
    let n = again.get_memoized_content("n".into()).unwrap();
    assert_eq!(js_sys::JSON::stringify(&n).unwrap(), r#"{"x":[1,2]}"#);
    assert!(again.get_memoized_content("missing".into()).unwrap().is_undefined());
    clear();
}

#[wasm_bindgen_test]
fn every_wrong_argument_throws_an_error_naming_the_call_and_the_value() {
    let c = Consentry::new(config(r#"{"doesOptInApply":true}"#), None, io()).unwrap();
    let f = js("return function () {}");
    let cases: Vec<(Result<(), JsValue>, &str)> = vec![
        (
            c.approve("foo".into(), JsValue::UNDEFINED),
            r#"consentry.approve: unknown category "foo" (known: aam,"#,
        ),
        (
            c.approve(JsValue::UNDEFINED, JsValue::UNDEFINED),
            "consentry.approve: expected a category or a non-empty array",
        ),
        (
            c.deny(strs(&[]), JsValue::UNDEFINED),
            "consentry.deny: expected a category or a non-empty array",
        ),
        (
            c.deny(JsValue::from(5), JsValue::UNDEFINED),
            "consentry.deny: 5; expected a category or an array",
        ),
        (
            c.deny(config(r#"["aa",3]"#), JsValue::UNDEFINED),
            r#"consentry.deny: ["aa",3]; expected"#,
        ),
        (
            c.approve("aa".into(), "yes".into()),
            r#"consentry.approve: shouldWaitForComplete is "yes"; expected true or false"#,
        ),
        (
            c.approve_all(JsValue::from(1)),
            "consentry.approveAll: shouldWaitForComplete is 1",
        ),
        (
            c.is_approved(JsValue::from(1)).map(|_| ()),
            "consentry.isApproved: 1; expected",
        ),
        (
            c.is_pre_approved(JsValue::TRUE).map(|_| ()),
            "consentry.isPreApproved: true; expected",
        ),
        (
            c.fetch_permissions("cb".into(), JsValue::UNDEFINED).map(|_| ()),
            r#"consentry.fetchPermissions: callback is "cb"; expected a function"#,
        ),
        (
            c.on("done".into(), f.clone(), JsValue::UNDEFINED),
            r#"consentry.on: event is "done"; expected "complete""#,
        ),
        (
            c.on("complete".into(), JsValue::NULL, JsValue::UNDEFINED),
            "consentry.on: callback is null; expected a function",
        ),
        (
            c.off("complete".into(), JsValue::from(2)),
            "consentry.off: callback is 2; expected a function",
        ),
        (
            c.register_plugin(config(r#"{"name":"p"}"#), JsValue::UNDEFINED),
            r#"consentry.registerPlugin: plugin is {"name":"p"}; expected {name"#,
        ),
        (
            c.execute(config(r#"{"command":"nodot"}"#)).map(|_| ()),
            r#"consentry.execute: options are {"command":"nodot"}; expected {command: "plugin.method""#,
        ),
        (
            c.execute(config(r#"{"command":"iabPlugin.x"}"#)).map(|_| ()),
            r#"consentry.execute: no plugin method "iabPlugin.x" is registered"#,
        ),
        (
            c.memoize_content("x".into()),
            r#"consentry.memoizeContent: content is "x"; expected an object"#,
        ),
        (
            c.memoize_content(config(r#"{"aa":true}"#)),
            r#"consentry.memoizeContent: key "aa" is reserved"#,
        ),
        (
            c.get_memoized_content(JsValue::from(3)).map(|_| ()),
            "consentry.getMemoizedContent: key is 3; expected a string",
        ),
    ];
    for (result, expected) in cases {
        let message = error_message(result.expect_err(expected));
        assert!(
            message.starts_with(expected),
            "{message:?} should start with {expected:?}"
        );
    }
    assert_eq!(c.status(), "pending", "no failed call changed anything");
}

#[wasm_bindgen_test]
fn bad_configurations_throw_and_name_the_key() {
    let cases = [
        (
            config(r#"{"optInStorageExpiry":"week"}"#),
            r#"consentry.init: config.optInStorageExpiry is "week""#,
        ),
        (JsValue::from(7), "consentry.init: config is 7; expected an object"),
        (
            js("return { isOptInStorageEnabled: function () {} }"),
            "consentry.init: config.isOptInStorageEnabled is a function",
        ),
        (js("return { revision: NaN }"), "consentry.init: config.revision is NaN"),
    ];
    for (cfg, expected) in cases {
        let message = error_message(Consentry::new(cfg, None, io()).err().expect(expected));
        assert!(message.starts_with(expected), "{message:?}");
    }
}

#[wasm_bindgen_test]
fn config_functions_are_called_once_and_a_throwing_one_fails_closed() {
    js("window.__calls = 0;");
    let cfg = js("return { doesOptInApply: function () { __calls++; return 'true'; },
        previousPermissions: function () { return '{\"aa\":true}'; } }");
    let c = Consentry::new(cfg, None, io()).unwrap();
    assert!(c.does_opt_in_apply() && c.is_approved("aa".into()).unwrap());
    assert_eq!(c.status(), "complete");
    assert_eq!(js("return __calls").as_f64(), Some(1.0));
    let throwing = js("return { doesOptInApply: function () { throw new Error('x'); } }");
    let c = Consentry::new(throwing, None, io()).unwrap();
    assert!(c.does_opt_in_apply(), "a throwing doesOptInApply means opt-in applies");
    assert!(!c.is_approved("aa".into()).unwrap());
}

#[wasm_bindgen_test]
fn plugins_register_once_and_execute_with_params_and_callback() {
    let c = Consentry::new(config("{}"), None, io()).unwrap();
    let plugin = js(
        "window.__reg = 0; return { name: 'iabPlugin', onRegister: function (api) { __reg++; this.api = api; },
        fetchConsentData: function (o) { o.callback(null, { gdprApplies: false, x: o.x }); } };",
    );
    c.register_plugin(plugin.clone(), "api".into()).unwrap();
    c.register_plugin(
        js("return { name: 'iabPlugin', onRegister: function () { __reg += 10; } }"),
        JsValue::NULL,
    )
    .unwrap();
    assert_eq!(
        js("return __reg").as_f64(),
        Some(1.0),
        "the first registration of a name wins"
    );
    assert_eq!(get(&plugin, "api"), "api");
    let options = js("window.__got = null; return { command: 'iabPlugin.fetchConsentData', params: { x: 5 }, callback: function (e, d) { __got = d; } };");
    c.execute(options).unwrap();
    assert_eq!(
        js("return JSON.stringify(__got)").as_string().unwrap(),
        r#"{"gdprApplies":false,"x":5}"#
    );
}

#[wasm_bindgen_test]
fn categories_include_site_categories() {
    let c = Consentry::new(config(r#"{"categories":["sms","push-news","analytics"]}"#), None, io()).unwrap();
    let cats = c.categories();
    assert_eq!(get(&cats, "ECID"), "ecid");
    assert_eq!(get(&cats, "SMS"), "sms");
    assert_eq!(get(&cats, "PUSH_NEWS"), "push-news");
    assert_eq!(get(&cats, "ANALYTICS"), "aa", "Adobe's key is never overwritten");
}

#[wasm_bindgen_test]
fn hostile_arguments_and_a_throwing_console_cannot_break_the_module() {
    let c: JsValue = Consentry::new(
        config(r#"{"doesOptInApply":true,"preOptInApprovals":"{\"aa\":7}"}"#),
        None,
        io(),
    )
    .unwrap()
    .into();
    Reflect::set(&js("return window"), &"__h".into(), &c).unwrap();
    let outcome = js("
        var boom = function () { throw new Error('hostile'); };
        var trap = new Proxy({}, { get: boom, ownKeys: boom, has: boom, getOwnPropertyDescriptor: boom });
        var revoked = Proxy.revocable({}, {}); revoked.revoke();
        var cyclic = {}; cyclic.self = cyclic;
        var thrown = [];
        var attempts = [
          function () { __h.approve(trap); },
          function () { __h.approve({ length: 2, get 0() { throw new Error('getter'); } }); },
          function () { __h.approve(revoked.proxy); },
          function () { __h.isApproved({ length: 1e12 }); },
          function () { __h.memoizeContent(cyclic); },
          function () { __h.memoizeContent({ toJSON: boom }); },
          function () { __h.registerPlugin(trap); },
          function () { __h.registerPlugin(undefined); },
          function () { __h.execute(undefined); },
          function () { __h.execute(trap); },
          function () { __h.on('complete', undefined); },
          function () { __h.fetchPermissions(Symbol('x')); },
          function () { __h.approve(10n); },
        ];
        attempts.forEach(function (f) { try { f(); thrown.push('none'); } catch (e) { thrown.push(e instanceof Error ? 'Error' : typeof e); } });
        var warn = console.warn, error = console.error;
        console.warn = console.error = boom;
        __h.on('complete', boom);
        __h.approve('target');
        console.warn = warn; console.error = error;
        return JSON.stringify([thrown, __h.isApproved('target'), __h.isApproved('aa'), __h.status]);
    ");
    let outcome = outcome.as_string().unwrap();
    assert_eq!(
        outcome,
        format!(r#"[[{}],true,false,"complete"]"#, [r#""Error""#; 13].join(","))
    );
    for bad in [
        "return new Proxy({}, { ownKeys: function () { throw 1; } })",
        "var r = Proxy.revocable({}, {}); r.revoke(); return r.proxy;",
    ] {
        let message = error_message(Consentry::new(js(bad), None, io()).err().unwrap());
        assert!(message.starts_with("consentry.init: "), "{message}");
    }
}

/// The attributes Chromium stored for the record cookie, via the Cookie
/// Store API (127.0.0.1 is a secure context).
async fn stored_cookie() -> JsValue {
    let promise = js("return cookieStore.get('adobeujs-optin')");
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
        .await
        .unwrap()
}

#[wasm_bindgen_test]
async fn cookie_attributes_follow_the_configuration() {
    let cases = [
        (
            r#"{"doesOptInApply":true,"isOptInStorageEnabled":true}"#,
            Some(34_190_000.0),
            "lax",
        ),
        (
            r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"optInStorageExpiry":60,"sameSiteCookie":"Strict","secureCookie":true}"#,
            Some(60.0),
            "strict",
        ),
        (
            r#"{"doesOptInApply":true,"isOptInStorageEnabled":true,"optInStorageExpiry":"SESSION","sameSiteCookie":"None","secureCookie":true}"#,
            None,
            "none",
        ),
    ];
    for (cfg, lifetime, same_site) in cases {
        clear();
        Consentry::new(config(cfg), None, io())
            .unwrap()
            .approve("aa".into(), JsValue::UNDEFINED)
            .unwrap();
        let cookie = stored_cookie().await;
        assert_eq!(get(&cookie, "path"), "/", "{cfg}");
        assert!(get(&cookie, "domain").is_null(), "host-only on an IP address: {cfg}");
        assert_eq!(get(&cookie, "sameSite"), same_site, "{cfg}");
        let expires = get(&cookie, "expires").as_f64();
        match (lifetime, expires) {
            (Some(seconds), Some(at)) => {
                let left = (at - js_sys::Date::now()) / 1000.0;
                assert!((left - seconds).abs() < 60.0, "{cfg}: {left} s left");
            }
            (None, None) => {}
            other => panic!("{cfg}: expiry {other:?}"),
        }
    }
    clear();
}

#[wasm_bindgen(module = "/js/stub.js")]
extern "C" {
    /// The inline snippet's stub, as js/stub.js exports it.
    fn stub(window: &JsValue, document: &JsValue, base: &JsValue, config: &JsValue, load: &JsValue) -> JsValue;
}

/// The snippet sends Consent Mode's default before the wasm can check the
/// configuration, by a rule of its own. Differential over generated
/// `consentMode` values, valid and not (typos, `1`, `"true"`, `null`):
/// where the core accepts the configuration, the snippet's default is the
/// core's state with every category denied, type for type; where the core
/// refuses it, the snippet grants only the types the site set to `true`.
#[wasm_bindgen_test]
fn the_snippets_consent_mode_default_agrees_with_the_core() {
    // The bundles define GCM at build time; the raw module reads a global.
    js("globalThis.GCM = true");
    // The real types, and two slips.
    let types: Vec<&str> = consentry::consent::CONSENT_TYPES
        .iter()
        .copied()
        .chain(["ad_storge", "x_y"])
        .collect();
    let values = [
        "true",
        "1",
        "\"true\"",
        "[]",
        "[\"aa\"]",
        "[\"aa\",\"nope\"]",
        "null",
        "false",
        "{}",
        "\"granted\"",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..2000 {
        let members: Vec<(usize, usize)> = (0..1 + next(3))
            .map(|_| (next(types.len()), next(values.len())))
            .collect();
        let body: Vec<String> = members
            .iter()
            .map(|(t, v)| format!("\"{}\":{}", types[*t], values[*v]))
            .collect();
        let text = format!("{{\"doesOptInApply\":true,\"consentMode\":{{{}}}}}", body.join(","));
        let window = js("return {}");
        stub(
            &window,
            &JsValue::UNDEFINED,
            &JsValue::UNDEFINED,
            &config(&text),
            &JsValue::UNDEFINED,
        );
        let default = get(&Array::from(&get(&get(&window, "dataLayer"), "0")).into(), "2");
        let granted = |key: &str| get(&default, key).as_string().as_deref() == Some("granted");
        match consentry::consent::Config::parse(&consentry::json::parse(&text).unwrap(), &mut Vec::new()) {
            Ok(core) => {
                accepted += 1;
                let state = core.integrations.consent_state(&vec![false; core.categories.len()]);
                let snippet: Vec<(String, bool)> = state.iter().map(|(t, _)| (t.to_string(), granted(t))).collect();
                let core: Vec<(String, bool)> = state.iter().map(|(t, g)| (t.to_string(), *g)).collect();
                assert_eq!(snippet, core, "{text}");
            }
            Err(_) => {
                refused += 1;
                // The last value of a key wins, in JSON as in the snippet.
                for (t, _) in &members {
                    let last = members.iter().rev().find(|(k, _)| k == t).map(|(_, v)| values[*v]);
                    assert!(
                        !granted(types[*t]) || last == Some("true"),
                        "{text}: {} granted",
                        types[*t]
                    );
                }
            }
        }
    }
    assert!(
        accepted > 100 && refused > 100,
        "{accepted} accepted, {refused} refused"
    );
}
