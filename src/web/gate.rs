//! The gate: the `Consentry` class behind `window.consentry` and
//! `window.adobe.optIn`. Every method validates its arguments and throws a
//! JS `Error` naming the call, the value and what was expected; the core
//! decides; this layer stores the record and fires the events.
//!
//! No `RefCell` borrow is held while JS runs, so listeners and plugins may
//! call back into the API.

use super::convert::{self, error, from_value, object};
use super::events::{call_reporting, dispatch_dom_event, Listeners};
use super::storage::{Io, Store};
use super::{new_id, report, warn};
use crate::consent::{Commit, Config, Engine, Status, ADOBE};
use crate::json::Value;
use alloc::rc::Rc;
use alloc::{string::String, vec::Vec};
use core::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Config keys that may be functions, called once at start.
const CALLABLE_KEYS: [&str; 2] = ["doesOptInApply", "previousPermissions"];

/// Reads the JS configuration object into a core [`Value`], calling the keys
/// that may be functions. A function that throws fails closed: opt-in
/// applies, and there are no previous permissions.
fn config_value(config: &JsValue, warnings: &mut Vec<String>) -> Result<Value, JsValue> {
    convert::object_value("init", "config", config, |key, v| {
        let Some(f) = v.dyn_ref::<js_sys::Function>().filter(|_| CALLABLE_KEYS.contains(&key)) else {
            return Some(v);
        };
        let opt_in = key == "doesOptInApply";
        Some(f.call0(&JsValue::UNDEFINED).unwrap_or_else(|_| {
            let mut w = String::from("config.");
            w.push_str(key);
            w.push_str(if opt_in {
                "() threw; opt-in applies"
            } else {
                "() threw; ignored"
            });
            warnings.push(w);
            if opt_in {
                JsValue::TRUE
            } else {
                JsValue::UNDEFINED
            }
        }))
    })
}

/// One page's consent state and what carries it out. Shared (`Rc`) with
/// the listeners the integrations leave in the page.
pub struct Gate {
    pub(super) engine: RefCell<Engine>,
    listeners: RefCell<Listeners>,
    plugins: RefCell<Vec<(String, JsValue)>>,
    store: Store,
    /// The JS shell's function that carries out what the permissions in
    /// force mean for the page (Consent Mode, cookies, tags), asking
    /// [`Consentry::integrations`] and [`Consentry::tag`] what to do.
    effects: Option<js_sys::Function>,
    /// `{category: boolean}` of the committed permissions, kept current
    /// before anyone hears of a commit: the facade answers `isApproved` for
    /// one category name from it without crossing into wasm. Prototype-less,
    /// and only the facade holds it.
    approved: js_sys::Object,
    write_failed: core::cell::Cell<bool>,
}

impl Gate {
    fn permissions_object(engine: &Engine, values: &[bool]) -> js_sys::Object {
        let names = engine.config().categories.names();
        object(
            names
                .iter()
                .zip(values)
                .map(|(n, v)| (n.as_str(), JsValue::from_bool(*v))),
        )
    }

    /// Stores the record; a failure is reported once per page, not at
    /// every commit.
    pub(super) fn write(&self, text: &str) {
        if let Err(why) = self.store.write(text) {
            if self.write_failed.replace(true) {
                return;
            }
            let mut m = String::from("the choice could not be stored: ");
            m.push_str(why);
            warn(&m);
        }
    }

    /// Copies the engine's committed permissions into `approved`.
    fn sync_approved(&self) {
        if let Ok(engine) = self.engine.try_borrow() {
            for (name, v) in engine.config().categories.names().iter().zip(engine.permissions()) {
                let _ = js_sys::Reflect::set(&self.approved, &JsValue::from_str(name), &JsValue::from_bool(*v));
            }
        }
    }

    /// Carries out a commit: store the record, update `approved`, carry out
    /// the integrations, then call the listeners in subscription order, the
    /// one-shots, and fire the DOM event.
    pub(super) fn carry_out(self: &Rc<Self>, commit: Option<Commit>) {
        let Some(commit) = commit else { return };
        if let Some(text) = &commit.stored {
            self.write(text);
        }
        self.sync_approved();
        // Google's tag, the cookies and the gated tags reflect the commit
        // before any listener hears of it.
        self.carry_out_effects();
        let calls = self
            .listeners
            .try_borrow_mut()
            .map(|mut l| l.take_calls())
            .unwrap_or_default();
        let (permissions, changes) = match self.engine.try_borrow() {
            Ok(engine) => {
                let names = engine.config().categories.names();
                let changes = commit
                    .changes
                    .iter()
                    .filter_map(|(i, v)| Some((names.get(*i)?.as_str(), JsValue::from_bool(*v))));
                (Gate::permissions_object(&engine, &commit.permissions), object(changes))
            }
            Err(_) => return,
        };
        for (func, ctx) in &calls {
            // Each listener gets its own copy, so one cannot edit another's view.
            let copy = js_sys::Object::assign(&js_sys::Object::new(), &permissions);
            call_reporting(func, ctx, &copy);
        }
        dispatch_dom_event(permissions.into(), changes.into());
    }

    /// What the permissions in force mean for the page (the Consent Mode
    /// update, cookie cleanup, tag activation), carried out by the shell.
    fn carry_out_effects(&self) {
        if let Some(f) = &self.effects {
            if let Err(e) = f.call0(&JsValue::UNDEFINED) {
                report("consentry: carrying out the permissions failed", &e);
            }
        }
    }
}

/// One page's consent gate. Created by the loader with the site's
/// configuration; the JS facade forwards every `adobe.optIn` call here.
#[wasm_bindgen]
pub struct Consentry(Rc<Gate>);

impl core::ops::Deref for Consentry {
    type Target = Rc<Gate>;
    fn deref(&self) -> &Rc<Gate> {
        &self.0
    }
}

#[wasm_bindgen]
impl Consentry {
    /// Validates `config`, reads the stored choice when storage is enabled,
    /// and reports every warning once on the console. `effects` (the
    /// shell's) is called at every commit, before the listeners; `io` (the
    /// shell's `js/storage.js`) reads and writes the stored record.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, effects: Option<js_sys::Function>, io: Io) -> Result<Consentry, JsValue> {
        let mut warnings = Vec::new();
        let value = config_value(&config, &mut warnings)?;
        let config = Config::parse(&value, &mut warnings).map_err(|e| error("init", &e))?;
        let store = Store::new(&config, io);
        let stored = if config.storage_enabled {
            store.read(&mut warnings)
        } else {
            None
        };
        let engine = Engine::start(
            config,
            stored.as_deref(),
            js_sys::Date::now(),
            super::gpc(),
            &mut warnings,
        );
        for w in &warnings {
            warn(w);
        }
        let gate = Gate {
            engine: RefCell::new(engine),
            listeners: RefCell::default(),
            plugins: RefCell::default(),
            store,
            effects,
            approved: js_sys::Object::create(JsValue::NULL.unchecked_ref()),
            write_failed: core::cell::Cell::new(false),
        };
        gate.sync_approved();
        Ok(Consentry(Rc::new(gate)))
    }

    /// What the permissions in force mean for a page with `cookie`
    /// (`document.cookie`) at `host` and `path`: `{consent, cookies}`, the
    /// Consent Mode update (absent when not configured) and the
    /// `document.cookie` assignments that delete the cookies of categories
    /// not approved.
    pub fn integrations(&self, cookie: &str, host: &str, path: &str, secure: bool) -> JsValue {
        let Ok(engine) = self.engine.try_borrow() else {
            return JsValue::NULL;
        };
        let (integrations, permissions) = (&engine.config().integrations, engine.permissions());
        let consent = (!integrations.consent_mode.is_empty()).then(|| {
            let state = integrations.consent_state(permissions);
            JsValue::from(object(state.iter().map(|(t, granted)| {
                (*t, JsValue::from_str(if *granted { "granted" } else { "denied" }))
            })))
        });
        let cookies: js_sys::Array = integrations
            .cookie_deletions(permissions, cookie, host, path, secure)
            .iter()
            .map(|c| JsValue::from_str(c))
            .collect();
        object([
            ("consent", consent.unwrap_or(JsValue::UNDEFINED)),
            ("cookies", cookies.into()),
        ])
        .into()
    }

    /// Whether a gated tag's `data-consent` expression holds now: `true` or
    /// `false`, or the warning to report when it names an unknown category
    /// (the tag then never runs).
    pub fn tag(&self, expr: &str) -> JsValue {
        let Ok(engine) = self.engine.try_borrow() else {
            return JsValue::FALSE;
        };
        match crate::consent::tag_wanted(&engine.config().categories, engine.permissions(), expr) {
            Ok(wanted) => JsValue::from_bool(wanted),
            Err(term) => {
                let mut m = String::from("consentry: data-consent=");
                crate::json::write_string(expr, &mut m);
                m.push_str(": unknown category ");
                crate::json::write_string(term, &mut m);
                m.push_str("; the tag never runs");
                JsValue::from_str(&m)
            }
        }
    }

    /// `{category: boolean}` a CMP decided (the TCF module's rules): commits
    /// at once; what the visitor has staged stays staged.
    #[wasm_bindgen(js_name = applyCmp)]
    pub fn apply_cmp(&self, choices: JsValue) -> Result<(), JsValue> {
        const CALL: &str = "applyCmp";
        let value = convert::to_value(&choices).ok().flatten().unwrap_or(Value::Null);
        let commit = {
            let mut engine = self
                .engine
                .try_borrow_mut()
                .map_err(|_| error(CALL, "called while busy"))?;
            let mut warnings = Vec::new();
            let map = crate::consent::permission_map(&engine.config().categories, CALL, &value, &mut warnings)
                .map_err(|e| error(CALL, &e))?;
            let choices: Vec<(usize, bool)> = map.iter().enumerate().filter_map(|(i, v)| Some((i, (*v)?))).collect();
            engine.apply(&choices, js_sys::Date::now(), &mut new_id)
        };
        self.carry_out(commit);
        Ok(())
    }

    fn set(&self, call: &str, cats: Option<&JsValue>, value: bool, wait: &JsValue) -> Result<(), JsValue> {
        // Reading the arguments may run JS (getters), so it happens before
        // the engine is borrowed.
        let wait = convert::flag(call, "shouldWaitForComplete", wait)?;
        let names = cats.map(|cats| convert::categories(call, cats)).transpose()?;
        let commit = {
            let mut engine = self
                .engine
                .try_borrow_mut()
                .map_err(|_| error(call, "called while busy"))?;
            let indices = match names {
                Some(names) => engine
                    .config()
                    .categories
                    .resolve(&names)
                    .map_err(|e| error(call, &e))?,
                None => (0..engine.config().categories.len()).collect(),
            };
            engine.set(&indices, value, wait, js_sys::Date::now(), &mut new_id)
        };
        self.carry_out(commit);
        Ok(())
    }

    /// `approve(categories, shouldWaitForComplete)`.
    pub fn approve(&self, categories: JsValue, wait: JsValue) -> Result<(), JsValue> {
        self.set("approve", Some(&categories), true, &wait)
    }

    /// `deny(categories, shouldWaitForComplete)`.
    pub fn deny(&self, categories: JsValue, wait: JsValue) -> Result<(), JsValue> {
        self.set("deny", Some(&categories), false, &wait)
    }

    /// `approveAll(shouldWaitForComplete)`.
    #[wasm_bindgen(js_name = approveAll)]
    pub fn approve_all(&self, wait: JsValue) -> Result<(), JsValue> {
        self.set("approveAll", None, true, &wait)
    }

    /// `denyAll(shouldWaitForComplete)`.
    #[wasm_bindgen(js_name = denyAll)]
    pub fn deny_all(&self, wait: JsValue) -> Result<(), JsValue> {
        self.set("denyAll", None, false, &wait)
    }

    /// `complete()`: commits staged changes when the status is `changed`.
    pub fn complete(&self) -> Result<(), JsValue> {
        let commit = self
            .engine
            .try_borrow_mut()
            .map_err(|_| error("complete", "called while busy"))?
            .complete(js_sys::Date::now(), &mut new_id);
        self.carry_out(commit);
        Ok(())
    }

    fn query(&self, call: &str, cats: &JsValue, pre: bool) -> Result<bool, JsValue> {
        let names = convert::categories(call, cats)?;
        let engine = self.engine.try_borrow().map_err(|_| error(call, "called while busy"))?;
        Ok(if pre {
            engine.is_pre_approved(&names)
        } else {
            engine.is_approved(&names)
        })
    }

    /// `isApproved(categories)`.
    #[wasm_bindgen(js_name = isApproved)]
    pub fn is_approved(&self, categories: JsValue) -> Result<bool, JsValue> {
        self.query("isApproved", &categories, false)
    }

    /// `isPreApproved(categories)`.
    #[wasm_bindgen(js_name = isPreApproved)]
    pub fn is_pre_approved(&self, categories: JsValue) -> Result<bool, JsValue> {
        self.query("isPreApproved", &categories, true)
    }

    /// `fetchPermissions(callback, shouldAutoSubscribe)`: returns the
    /// subscription id (0 without auto-subscribe) for [`Self::unsubscribe`].
    #[wasm_bindgen(js_name = fetchPermissions)]
    pub fn fetch_permissions(&self, callback: JsValue, auto: JsValue) -> Result<u32, JsValue> {
        const CALL: &str = "fetchPermissions";
        let func = convert::function(CALL, "callback", &callback)?;
        let auto = convert::flag(CALL, "shouldAutoSubscribe", &auto)?;
        let answer_now = {
            let engine = self.engine.try_borrow().map_err(|_| error(CALL, "called while busy"))?;
            let c = engine.config();
            !c.opt_in_applies || engine.status() == Status::Complete || c.pre_opt_in.is_some()
        };
        let mut id = 0;
        if let Ok(mut listeners) = self.listeners.try_borrow_mut() {
            if auto {
                id = listeners.add(func.clone(), JsValue::UNDEFINED);
            } else if !answer_now {
                listeners.add_once(func.clone());
            }
        }
        if answer_now {
            call_reporting(&func, &JsValue::UNDEFINED, &self.permissions());
        }
        Ok(id)
    }

    /// Removes exactly the subscription `id` made by `fetchPermissions`.
    pub fn unsubscribe(&self, id: u32) {
        if let Ok(mut l) = self.listeners.try_borrow_mut() {
            l.remove(id);
        }
    }

    fn event_name(call: &str, event: &JsValue) -> Result<(), JsValue> {
        if event.as_string().as_deref() == Some("complete") {
            return Ok(());
        }
        Err(convert::expected(call, &["event is"], event, "\"complete\""))
    }

    /// `on('complete', callback, context)`.
    pub fn on(&self, event: JsValue, callback: JsValue, context: JsValue) -> Result<(), JsValue> {
        Self::event_name("on", &event)?;
        let func = convert::function("on", "callback", &callback)?;
        let mut l = self
            .listeners
            .try_borrow_mut()
            .map_err(|_| error("on", "called while busy"))?;
        l.add(func, context);
        Ok(())
    }

    /// `off('complete', callback)`.
    pub fn off(&self, event: JsValue, callback: JsValue) -> Result<(), JsValue> {
        Self::event_name("off", &event)?;
        convert::function("off", "callback", &callback)?;
        let mut l = self
            .listeners
            .try_borrow_mut()
            .map_err(|_| error("off", "called while busy"))?;
        l.remove_function(&callback);
        Ok(())
    }

    /// `registerPlugin(plugin)`: the first plugin of a name wins; its
    /// `onRegister(api)` is called with the public object.
    #[wasm_bindgen(js_name = registerPlugin)]
    pub fn register_plugin(&self, plugin: JsValue, api: JsValue) -> Result<(), JsValue> {
        const CALL: &str = "registerPlugin";
        let expected = || convert::expected(CALL, &["plugin is"], &plugin, "{name: string, onRegister: function}");
        if !plugin.is_object() {
            return Err(expected());
        }
        let name = js_sys::Reflect::get(&plugin, &"name".into())
            .ok()
            .and_then(|n| n.as_string());
        let on_register = js_sys::Reflect::get(&plugin, &"onRegister".into()).unwrap_or(JsValue::UNDEFINED);
        let (Some(name), Some(on_register)) = (
            name.filter(|n| !n.is_empty()),
            on_register.dyn_ref::<js_sys::Function>(),
        ) else {
            return Err(expected());
        };
        {
            let mut plugins = self
                .plugins
                .try_borrow_mut()
                .map_err(|_| error(CALL, "called while busy"))?;
            if plugins.iter().any(|(n, _)| *n == name) {
                return Ok(());
            }
            plugins.push((name, plugin.clone()));
        }
        on_register.call1(&plugin, &api).map(|_| ())
    }

    /// `execute({command: "plugin.method", params, callback})` calls
    /// `plugin.method({...params, callback})`.
    pub fn execute(&self, options: JsValue) -> Result<JsValue, JsValue> {
        const CALL: &str = "execute";
        let command = js_sys::Reflect::get(&options, &"command".into())
            .ok()
            .and_then(|c| c.as_string());
        let Some((plugin_name, method)) = command.as_deref().and_then(|c| c.split_once('.')) else {
            return Err(convert::expected(
                CALL,
                &["options are"],
                &options,
                "{command: \"plugin.method\", params, callback}",
            ));
        };
        let plugin = self
            .plugins
            .try_borrow()
            .map_err(|_| error(CALL, "called while busy"))?
            .iter()
            .find(|(n, _)| n == plugin_name)
            .map(|(_, p)| p.clone());
        let func = plugin
            .as_ref()
            .and_then(|p| js_sys::Reflect::get(p, &method.into()).ok());
        let (Some(plugin), Some(func)) = (plugin, func.as_ref().and_then(|f| f.dyn_ref::<js_sys::Function>())) else {
            let mut m = String::from("no plugin method ");
            crate::json::write_string(command.as_deref().unwrap_or_default(), &mut m);
            m.push_str(" is registered");
            return Err(error(CALL, &m));
        };
        let args = js_sys::Object::new();
        if let Ok(params) = js_sys::Reflect::get(&options, &"params".into()) {
            if params.is_object() {
                js_sys::Object::try_assign(&args, params.unchecked_ref())?;
            }
        }
        let callback = js_sys::Reflect::get(&options, &"callback".into()).unwrap_or(JsValue::UNDEFINED);
        let _ = js_sys::Reflect::set(&args, &"callback".into(), &callback);
        func.call1(&plugin, &args)
    }

    /// `memoizeContent({key: value, ...})`: kept beside the permissions in
    /// the stored record and written at once when storage is on.
    #[wasm_bindgen(js_name = memoizeContent)]
    pub fn memoize_content(&self, content: JsValue) -> Result<(), JsValue> {
        const CALL: &str = "memoizeContent";
        let value = match convert::to_value(&content) {
            Ok(Some(Value::Object(members))) if !content.is_null() => members,
            _ => {
                return Err(convert::expected(
                    CALL,
                    &["content is"],
                    &content,
                    "an object of JSON values",
                ))
            }
        };
        let mut text = None;
        {
            let mut engine = self
                .engine
                .try_borrow_mut()
                .map_err(|_| error(CALL, "called while busy"))?;
            for (key, v) in value {
                if engine.config().categories.index(&key).is_some() || key == crate::consent::RESERVED {
                    let mut m = String::from("key ");
                    crate::json::write_string(&key, &mut m);
                    m.push_str(" is reserved for the consent record; expected another name");
                    return Err(error(CALL, &m));
                }
                text = engine.memoize(&key, v);
            }
        }
        if let Some(text) = text {
            self.write(&text);
        }
        Ok(())
    }

    /// `getMemoizedContent(key)`.
    #[wasm_bindgen(js_name = getMemoizedContent)]
    pub fn get_memoized_content(&self, key: JsValue) -> Result<JsValue, JsValue> {
        let Some(key) = key.as_string() else {
            return Err(convert::expected("getMemoizedContent", &["key is"], &key, "a string"));
        };
        let engine = self
            .engine
            .try_borrow()
            .map_err(|_| error("getMemoizedContent", "called while busy"))?;
        Ok(engine.memoized(&key).map_or(JsValue::UNDEFINED, from_value))
    }

    /// The live `{category: boolean}` the facade answers one-name
    /// `isApproved` calls from (see [`Gate`]).
    #[wasm_bindgen(getter)]
    pub fn approved(&self) -> JsValue {
        self.approved.clone().into()
    }

    /// `{category: boolean}` of the committed permissions.
    #[wasm_bindgen(getter)]
    pub fn permissions(&self) -> JsValue {
        match self.engine.try_borrow() {
            Ok(engine) => Gate::permissions_object(&engine, engine.permissions()).into(),
            Err(_) => JsValue::UNDEFINED,
        }
    }

    /// `pending`, `changed` or `complete`.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> String {
        self.engine
            .try_borrow()
            .map_or(Status::Pending, |e| e.status())
            .as_str()
            .into()
    }

    /// Whether opt-in applies.
    #[wasm_bindgen(getter, js_name = doesOptInApply)]
    pub fn does_opt_in_apply(&self) -> bool {
        self.engine.try_borrow().map_or(true, |e| e.config().opt_in_applies)
    }

    /// Whether IAB TCF consent is read.
    #[wasm_bindgen(getter, js_name = isIabContext)]
    pub fn is_iab_context(&self) -> bool {
        self.engine.try_borrow().is_ok_and(|e| e.config().iab_context)
    }

    /// Adobe's `Categories` enum plus the site's categories under their
    /// upper-cased names (when that name is not Adobe's).
    #[wasm_bindgen(getter, js_name = Categories)]
    pub fn categories(&self) -> JsValue {
        let Ok(engine) = self.engine.try_borrow() else {
            return JsValue::UNDEFINED;
        };
        let site: Vec<(String, &String)> = engine
            .config()
            .categories
            .names()
            .iter()
            .skip(ADOBE.len())
            .map(|n| (n.to_ascii_uppercase().replace('-', "_"), n))
            .filter(|(key, _)| !ADOBE.iter().any(|(k, _)| k == key))
            .collect();
        let adobe = ADOBE.iter().map(|(k, v)| (*k, JsValue::from_str(v)));
        let site = site.iter().map(|(k, v)| (k.as_str(), JsValue::from_str(v)));
        object(adobe.chain(site)).into()
    }

    /// `{consentId, time, revision}` of the visitor's last committed or
    /// stored choice, or `null`: the proof-of-consent reference.
    #[wasm_bindgen(getter, js_name = consentRecord)]
    pub fn consent_record(&self) -> JsValue {
        let Ok(engine) = self.engine.try_borrow() else {
            return JsValue::NULL;
        };
        match engine.meta() {
            Some(m) => object([
                ("consentId", JsValue::from_str(&m.id)),
                ("time", JsValue::from_f64(m.time)),
                ("revision", JsValue::from(m.revision)),
            ])
            .into(),
            None => JsValue::NULL,
        }
    }
}
