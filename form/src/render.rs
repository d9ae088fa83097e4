//! The form's DOM: inline in an element, or as an in-app modal dialog
//! (`role="dialog"`, `aria-modal`, focus kept inside, Escape closes). Every
//! text goes in with `textContent` or attributes, never as HTML.

use crate::delivery::{self, Delivery};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::rules::form_options::{FormOptions, Mode, CALLBACKS};
use crate::rules::outbox::Entry;
use crate::rules::payload::{status_set_body, Consent, Rejection, Submission};
use crate::rules::{phone, sha256};
use crate::web::convert::{self, error, object};
use crate::web::{new_id, report, warn};
use alloc::rc::Rc;
use consentry::json;
use core::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlButtonElement, HtmlInputElement, HtmlSelectElement};

const CALL: &str = "renderPhoneCapture";

type Listener = Closure<dyn FnMut(web_sys::Event)>;
type Handler = dyn Fn(&Rc<Form>, &web_sys::Event);

static COUNTER: crate::Local<Cell<u32>> = crate::Local(Cell::new(0));
// Forms stay alive until destroyed, also when the page drops the handle.
static FORMS: crate::Local<RefCell<Vec<Rc<Form>>>> = crate::Local(RefCell::new(Vec::new()));

struct Form {
    options: FormOptions,
    callbacks: Vec<(String, js_sys::Function)>,
    target: Element,
    root: Element,
    select: HtmlSelectElement,
    input: HtmlInputElement,
    phone_error: Element,
    checkbox: HtmlInputElement,
    consent_error: Element,
    submit: HtmlButtonElement,
    status: Element,
    retry: HtmlButtonElement,
    change: HtmlButtonElement,
    form: Element,
    previous_focus: Option<web_sys::HtmlElement>,
    key: RefCell<Option<String>>,
    closures: RefCell<Vec<Listener>>,
    destroyed: Cell<bool>,
}

/// The handle `renderPhoneCapture` resolves to.
#[wasm_bindgen]
pub struct PhoneCapture {
    form: Rc<Form>,
}

#[wasm_bindgen]
impl PhoneCapture {
    /// Removes the form (and, for a modal, gives focus back). A submission
    /// already made is still delivered.
    pub fn destroy(&self) {
        self.form.close(false);
    }
}

fn dom_error(_: JsValue) -> JsValue {
    error(CALL, "the page's DOM refused an element")
}

fn el(doc: &Document, tag: &str, attrs: &[(&str, &str)], text: &str) -> Result<Element, JsValue> {
    let e = doc.create_element(tag).map_err(dom_error)?;
    for (k, v) in attrs {
        e.set_attribute(k, v).map_err(dom_error)?;
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    Ok(e)
}

fn add(parent: &Element, child: &Element) -> Result<(), JsValue> {
    parent.append_child(child).map(|_| ()).map_err(dom_error)
}

fn cast<T: JsCast>(e: Element) -> Result<T, JsValue> {
    e.dyn_into()
        .map_err(|_| error(CALL, "the page's DOM returned an unexpected element"))
}

/// Renders the phone form into `target` (an element) with `options`;
/// `stylesheet` is the URL of the default look, `consentry-form.css`.
#[wasm_bindgen]
pub fn render(target: JsValue, options: JsValue, stylesheet: Option<String>) -> Result<PhoneCapture, JsValue> {
    let target: Element = target
        .dyn_into()
        .map_err(|t| convert::expected(CALL, &["target is"], &t, "an element"))?;
    let mut callbacks = Vec::new();
    let value = convert::object_value(CALL, "options", &options, |key, v| {
        match v.dyn_into::<js_sys::Function>() {
            Ok(f) if CALLBACKS.contains(&key) => {
                callbacks.push((key.to_string(), f));
                None
            }
            Ok(f) => Some(f.into()),
            Err(v) => Some(v),
        }
    })?;
    let mut warnings = Vec::new();
    let options = FormOptions::parse(&value, &mut warnings).map_err(|e| error(CALL, &e))?;
    for w in &warnings {
        warn(w);
    }
    let doc = target
        .owner_document()
        .ok_or_else(|| error(CALL, "target is not in a document"))?;
    let n = COUNTER.with(|c| c.replace(c.get() + 1));
    let id = |suffix: &str| {
        let mut s = options.form_id.clone();
        s.push('-');
        json::push_uint(&mut s, n.into());
        s.push('-');
        s.push_str(suffix);
        s
    };
    let t = |key: &str| options.text(key);

    let form = el(
        &doc,
        "form",
        &[
            ("class", "consentry-phone"),
            ("data-state", "idle"),
            ("lang", options.locale.code()),
            ("novalidate", ""),
            ("aria-labelledby", &id("title")),
        ],
        "",
    )?;
    add(
        &form,
        &el(&doc, "p", &[("class", "consentry-programme")], &options.programme)?,
    )?;
    add(
        &form,
        &el(
            &doc,
            "h2",
            &[("id", &id("title")), ("class", "consentry-title")],
            &t("title"),
        )?,
    )?;
    let select: HtmlSelectElement = cast(el(
        &doc,
        "select",
        &[
            ("id", &id("country")),
            ("class", "consentry-select"),
            ("autocomplete", "tel-country-code"),
        ],
        "",
    )?)?;
    for iso in &options.countries {
        let o = el(&doc, "option", &[("value", iso)], &country_label(iso))?;
        if *iso == options.default_country {
            o.set_attribute("selected", "").map_err(dom_error)?;
        }
        add(&select, &o)?;
    }
    let input: HtmlInputElement = cast(el(
        &doc,
        "input",
        &[
            ("id", &id("phone")),
            ("class", "consentry-input"),
            ("type", "tel"),
            ("autocomplete", "tel-national"),
            ("inputmode", "tel"),
            ("aria-describedby", &id("phone-error")),
            ("required", ""),
        ],
        "",
    )?)?;
    let message = |suffix: &str| {
        el(
            &doc,
            "p",
            &[
                ("id", &id(suffix)),
                ("class", "consentry-error"),
                ("aria-live", "polite"),
            ],
            "",
        )
    };
    let phone_error = message("phone-error")?;
    let checkbox: HtmlInputElement = cast(el(
        &doc,
        "input",
        &[
            ("id", &id("consent")),
            ("class", "consentry-checkbox"),
            ("type", "checkbox"),
            ("aria-describedby", &[id("disclosure"), id("consent-error")].join(" ")),
            ("required", ""),
        ],
        "",
    )?)?;
    let consent_error = message("consent-error")?;
    let button = |class: &str, kind: &str, text: &str, hidden: bool| -> Result<HtmlButtonElement, JsValue> {
        let b = el(&doc, "button", &[("type", kind), ("class", class)], text)?;
        if hidden {
            b.set_attribute("hidden", "").map_err(dom_error)?;
        }
        cast(b)
    };
    let submit = button("consentry-submit", "submit", &t("submit"), false)?;
    let status = el(
        &doc,
        "p",
        &[
            ("role", "status"),
            ("aria-live", "polite"),
            ("class", "consentry-status"),
        ],
        "",
    )?;
    let retry = button("consentry-link", "button", &t("retry"), true)?;
    let change = button("consentry-link", "button", &t("change"), true)?;

    let field = |class: &str, label_for: &str, text: &str, control: &Element| -> Result<Element, JsValue> {
        let p = el(&doc, "p", &[("class", class)], "")?;
        add(
            &p,
            &el(&doc, "label", &[("for", label_for), ("class", "consentry-label")], text)?,
        )?;
        add(&p, control)?;
        Ok(p)
    };
    let row = el(&doc, "div", &[("class", "consentry-row")], "")?;
    add(
        &row,
        &field(
            "consentry-field consentry-country",
            &id("country"),
            &t("country"),
            &select,
        )?,
    )?;
    add(
        &row,
        &field("consentry-field consentry-number", &id("phone"), &t("phone"), &input)?,
    )?;
    add(&form, &row)?;
    add(&form, &phone_error)?;
    let consent = el(&doc, "p", &[("class", "consentry-consent")], "")?;
    add(&consent, &checkbox)?;
    add(
        &consent,
        &el(
            &doc,
            "label",
            &[("for", &id("consent")), ("class", "consentry-label")],
            &t("consent"),
        )?,
    )?;
    add(&form, &consent)?;
    add(
        &form,
        &el(
            &doc,
            "p",
            &[("id", &id("disclosure")), ("class", "consentry-disclosure")],
            &options.disclosure,
        )?,
    )?;
    add(&form, &consent_error)?;
    add(&form, &submit)?;
    add(&form, &status)?;
    let actions = el(&doc, "p", &[("class", "consentry-actions")], "")?;
    add(&actions, &retry)?;
    add(&actions, &change)?;
    add(&form, &actions)?;

    let previous_focus = doc.active_element().and_then(|e| e.dyn_into().ok());
    let (root, close) = if options.mode == Mode::Modal {
        let backdrop = el(&doc, "div", &[("class", "consentry-backdrop")], "")?;
        let dialog = el(
            &doc,
            "div",
            &[
                ("role", "dialog"),
                ("aria-modal", "true"),
                ("aria-labelledby", &id("title")),
                ("class", "consentry-dialog"),
            ],
            "",
        )?;
        let close = el(
            &doc,
            "button",
            &[
                ("type", "button"),
                ("class", "consentry-close"),
                ("aria-label", &t("close")),
            ],
            "×",
        )?;
        add(&dialog, &close)?;
        add(&dialog, &form)?;
        add(&backdrop, &dialog)?;
        (backdrop, Some(close))
    } else {
        (form.clone(), None)
    };
    if options.stylesheet {
        if let Some(url) = &stylesheet {
            load_stylesheet(&doc, url, &root)?;
        }
    }
    add(&target, &root)?;

    let f = Rc::new(Form {
        options,
        callbacks,
        target,
        root,
        select,
        input,
        phone_error,
        checkbox,
        consent_error,
        submit,
        status,
        retry,
        change,
        form: form.clone(),
        previous_focus,
        key: RefCell::new(None),
        closures: RefCell::new(Vec::new()),
        destroyed: Cell::new(false),
    });
    f.listen(&form, "submit", |f, e| {
        e.prevent_default();
        f.submit();
    })?;
    f.listen(&f.retry.clone().into(), "click", |_, _| delivery::flush())?;
    f.listen(&f.change.clone().into(), "click", |f, _| f.change_number())?;
    // A field's error goes as soon as the field is fixed.
    f.listen(&f.input.clone().into(), "input", |f, _| f.recheck_number())?;
    f.listen(&f.select.clone().into(), "change", |f, _| f.recheck_number())?;
    f.listen(&f.checkbox.clone().into(), "change", |f, _| {
        if f.checkbox.checked() {
            f.show_error(&f.checkbox, &f.consent_error, None);
        }
    })?;
    if f.options.mode == Mode::Modal {
        f.listen(&f.root.clone(), "keydown", |f, e| {
            if let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() {
                f.keydown(k);
            }
        })?;
        if let Some(close) = close {
            f.listen(&close, "click", |f, _| f.close(true))?;
        }
        let _ = f.select.focus();
    }
    FORMS.with(|forms| forms.borrow_mut().push(f.clone()));
    Ok(PhoneCapture { form: f })
}

impl Form {
    /// Calls `handler` with the form on `event` at `target`, while the form
    /// lives (the listener holds it weakly).
    fn listen(
        self: &Rc<Self>,
        target: &Element,
        event: &str,
        handler: impl Fn(&Rc<Form>, &web_sys::Event) + 'static,
    ) -> Result<(), JsValue> {
        self.listen_boxed(target, event, Box::new(handler))
    }

    // One copy of the listener code for every handler (not one per closure).
    fn listen_boxed(self: &Rc<Self>, target: &Element, event: &str, handler: Box<Handler>) -> Result<(), JsValue> {
        let weak = Rc::downgrade(self);
        let closure = Listener::new(move |e: web_sys::Event| {
            if let Some(f) = weak.upgrade() {
                handler(&f, &e);
            }
        });
        target
            .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
            .map_err(dom_error)?;
        self.closures.borrow_mut().push(closure);
        Ok(())
    }

    fn callback(&self, name: &str, detail: JsValue) {
        if let Some((_, f)) = self.callbacks.iter().find(|(n, _)| n == name) {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, &detail) {
                let mut m = String::from("consentry: the form's ");
                m.push_str(name);
                m.push_str(" callback threw");
                report(&m, &e);
            }
        }
    }

    fn show_error(&self, field: &HtmlInputElement, message_el: &Element, message: Option<String>) {
        let _ = field.set_attribute("aria-invalid", if message.is_some() { "true" } else { "false" });
        message_el.set_text_content(message.as_deref());
    }

    /// `data-state` (idle, sending, waiting, pending, success, error) drives
    /// the stylesheet; `message` goes to the status line.
    fn set_state(&self, state: &str, message: &str) {
        let _ = self.form.set_attribute("data-state", state);
        self.status.set_text_content(Some(message));
    }

    fn number(&self) -> Result<String, String> {
        let o = &self.options;
        phone::normalise(&self.input.value(), &self.select.value(), &o.countries).map_err(|e| o.text(e.code()))
    }

    /// While the number field shows an error, each edit checks it again, so
    /// the message goes as soon as the number is right.
    fn recheck_number(&self) {
        if self.input.get_attribute("aria-invalid").as_deref() == Some("true") && self.number().is_ok() {
            self.show_error(&self.input, &self.phone_error, None);
        }
    }

    /// After "pending": the visitor mistyped the number and sends it again.
    fn change_number(&self) {
        *self.key.borrow_mut() = None;
        self.set_state("idle", "");
        self.change.set_hidden(true);
        self.submit.set_disabled(false);
        let _ = self.input.focus();
        self.input.select();
    }

    fn submit(self: &Rc<Self>) {
        if self.submit.disabled() {
            return;
        }
        let o = &self.options;
        let number = self.number();
        self.show_error(&self.input, &self.phone_error, number.as_ref().err().cloned());
        let agreed = self.checkbox.checked();
        self.show_error(
            &self.checkbox,
            &self.consent_error,
            (!agreed).then(|| o.text("consent_required")),
        );
        let e164 = match number {
            Ok(e164) if agreed => e164,
            Ok(_) => {
                let _ = self.checkbox.focus();
                return;
            }
            Err(_) => {
                let _ = self.input.focus();
                return;
            }
        };
        let window = web_sys::window();
        let page_url = window
            .as_ref()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        let hash = sha256::hex(o.disclosure.as_bytes());
        let body = status_set_body(&Submission {
            subscription_group_id: &o.subscription_group_id,
            phone: &e164,
            external_id: o.external_id.as_deref(),
            double_opt_in: o.double_opt_in,
            consent: Consent {
                disclosure: &o.disclosure,
                disclosure_hash: &hash,
                locale: o.locale.code(),
                page_url: &page_url,
                time: js_sys::Date::now() as u64,
                form_id: &o.form_id,
            },
        });
        let key = new_id();
        *self.key.borrow_mut() = Some(key.clone());
        self.submit.set_disabled(true);
        self.retry.set_hidden(true);
        self.change.set_hidden(true);
        self.set_state("sending", &o.text("sending"));
        self.callback(
            "onSubmit",
            object([
                ("phone", JsValue::from_str(&e164)),
                ("subscriptionGroupId", JsValue::from_str(&o.subscription_group_id)),
            ])
            .into(),
        );
        let weak = Rc::downgrade(self);
        let country = self.select.value();
        delivery::submit(
            Entry::new(&key, &o.submit_url(), &body, js_sys::Date::now() as u64),
            Rc::new(move |d: &Delivery| {
                if let Some(f) = weak.upgrade() {
                    f.delivered(d, &e164, &country, &key);
                }
            }),
        );
    }

    fn delivered(&self, d: &Delivery, e164: &str, country: &str, key: &str) {
        // Destroyed, or the visitor moved on to another number.
        if self.destroyed.get() || self.key.borrow().as_deref() != Some(key) {
            return;
        }
        let o = &self.options;
        let detail = |extra: Vec<(&'static str, JsValue)>| {
            let mut pairs = vec![("phone", JsValue::from_str(e164))];
            pairs.extend(extra);
            JsValue::from(object(pairs))
        };
        self.retry.set_hidden(true);
        match d {
            Delivery::Delivered if o.double_opt_in => {
                self.set_state("pending", &o.text("pending").replace("{phone}", e164));
                self.change.set_hidden(false);
                self.callback("onPending", detail(vec![]));
            }
            Delivery::Delivered => {
                self.set_state("success", &o.text("success"));
                self.callback("onSuccess", detail(vec![]));
            }
            Delivery::Waiting => {
                // The outbox keeps it and retries; say which way it failed.
                let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
                self.set_state("waiting", &o.text(if online { "unreachable" } else { "queued" }));
                self.retry.set_hidden(!online);
            }
            Delivery::Rejected(status, body) => {
                let rejection = Rejection::of(*status, body);
                match rejection {
                    Rejection::Country | Rejection::Number => {
                        let text = if rejection == Rejection::Country {
                            o.text("rejected_country").replace("{country}", &country_label(country))
                        } else {
                            o.text("rejected_number")
                        };
                        self.set_state("idle", "");
                        self.show_error(&self.input, &self.phone_error, Some(text));
                        self.submit.set_disabled(false);
                        let _ = self.input.focus();
                    }
                    Rejection::Misconfigured => {
                        self.set_state("error", &o.text("unavailable"));
                        let mut m = String::from("consentry: the phone form's endpoint refused the sign-up: POST ");
                        m.push_str(&o.submit_url());
                        m.push_str(" answered ");
                        json::push_uint(&mut m, (*status).into());
                        m.push_str("; check the form's endpoint and subscriptionGroupId options and your backend");
                        report(&m, &JsValue::from_str(body));
                    }
                }
                let server = json::parse(body)
                    .ok()
                    .map(|v| convert::from_value(&v))
                    .unwrap_or_else(|| JsValue::from_str(body));
                self.callback(
                    "onError",
                    detail(vec![("status", JsValue::from(*status)), ("response", server)]),
                );
            }
        }
    }

    fn keydown(&self, e: &web_sys::KeyboardEvent) {
        if e.key() == "Escape" {
            e.prevent_default();
            self.close(true);
            return;
        }
        if e.key() != "Tab" {
            return;
        }
        // Keep focus inside the dialog: wrap from the last control to the first.
        let Ok(list) = self
            .root
            .query_selector_all("button:not([hidden]):not([disabled]), input, select")
        else {
            return;
        };
        let first = list.get(0).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok());
        let last = list
            .get(list.length().saturating_sub(1))
            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok());
        let active = self.root.owner_document().and_then(|d| d.active_element());
        let at = |el: &Option<web_sys::HtmlElement>| {
            el.as_ref()
                .zip(active.as_ref())
                .is_some_and(|(a, b)| JsValue::from(a) == JsValue::from(b))
        };
        let wrap_to = if e.shift_key() && at(&first) {
            last
        } else if !e.shift_key() && at(&last) {
            first
        } else {
            None
        };
        if let Some(target) = wrap_to {
            e.prevent_default();
            let _ = target.focus();
        }
    }

    fn close(&self, by_visitor: bool) {
        if self.destroyed.replace(true) {
            return;
        }
        if let Some(key) = self.key.borrow().as_deref() {
            delivery::forget(key);
        }
        let _ = self.target.remove_child(&self.root);
        // The listeners' closures go with the form once nothing holds it.
        FORMS.with(|forms| forms.borrow_mut().retain(|f| !core::ptr::eq(Rc::as_ptr(f), self)));
        if self.options.mode == Mode::Modal {
            if let Some(previous) = &self.previous_focus {
                let _ = previous.focus();
            }
        }
        if by_visitor {
            self.callback("onClose", JsValue::UNDEFINED);
        }
    }
}

/// "GB +44": what the country picker and the messages show.
fn country_label(iso: &str) -> String {
    let mut s = String::from(iso);
    if let Some(c) = phone::country(iso) {
        s.push_str(" +");
        s.push_str(c.calling_code);
    }
    s
}

/// Adds the default stylesheet to the page once. A form stays hidden until
/// the sheet has loaded (or failed), so nobody sees it unstyled, also a
/// second form rendered while the sheet is still loading; a sheet the site
/// links itself (`consentry-form.css`) is used as it is.
fn load_stylesheet(doc: &Document, url: &str, root: &Element) -> Result<(), JsValue> {
    let found = doc
        .query_selector("link[data-consentry-form], link[href*='consentry-form']")
        .ok()
        .flatten();
    let link = match found {
        // Ours, still loading (`data-consentry-form="loading"`): wait for it too.
        Some(link) if link.get_attribute("data-consentry-form").as_deref() == Some("loading") => link,
        Some(_) => return Ok(()),
        None => {
            let link = el(
                doc,
                "link",
                &[("rel", "stylesheet"), ("href", url), ("data-consentry-form", "loading")],
                "",
            )?;
            let loaded = link.clone();
            let done = Closure::<dyn FnMut()>::new(move || {
                let _ = loaded.set_attribute("data-consentry-form", "");
            });
            listen_once(&link, done)?;
            let head = doc.head().map(Element::from).or_else(|| doc.document_element());
            if let Some(head) = head {
                add(&head, &link)?;
            }
            link
        }
    };
    root.set_attribute("hidden", "").map_err(dom_error)?;
    let shown = root.clone();
    listen_once(
        &link,
        Closure::<dyn FnMut()>::new(move || {
            let _ = shown.remove_attribute("hidden");
        }),
    )
}

/// Calls `f` when the stylesheet `link` has loaded or failed. The closure
/// lives as long as the page (one per form at most).
fn listen_once(link: &Element, f: Closure<dyn FnMut()>) -> Result<(), JsValue> {
    for event in ["load", "error"] {
        link.add_event_listener_with_callback(event, f.as_ref().unchecked_ref())
            .map_err(dom_error)?;
    }
    f.forget();
    Ok(())
}
