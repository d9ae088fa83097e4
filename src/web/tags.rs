//! Tag activation. `<script type="text/plain" data-consent="aa">` (inline,
//! or external with `data-src`) and `iframe`, `img` or `link` with
//! `data-consent` and `data-src` come alive when their expression holds
//! (every category approved; `!aa` when `aa` is not). Tags are activated
//! in document order; an external script is loaded before the next tag
//! runs, so order holds. Each tag runs at most once: it is marked
//! `data-consentry` when taken.

use super::gate::Gate;
use super::warn;
use crate::consent::tag_wanted;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// Tags waiting to run, and whether an external script is loading.
#[derive(Default)]
pub struct Tags {
    queue: VecDeque<Element>,
    loading: bool,
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

impl Gate {
    /// Takes every untaken tag whose expression holds, in document order,
    /// and runs what can run now.
    pub fn activate(self: &Rc<Self>) {
        let Some(list) = document().and_then(|d| d.query_selector_all("[data-consent]:not([data-consentry])").ok())
        else {
            return;
        };
        let mut wanted = alloc::vec::Vec::new();
        if let Ok(engine) = self.engine.try_borrow() {
            let cats = &engine.config().categories;
            for i in 0..list.length() {
                let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                    continue;
                };
                let expr = el.get_attribute("data-consent").unwrap_or_default();
                match tag_wanted(cats, engine.permissions(), &expr) {
                    Ok(true) => wanted.push(el),
                    Ok(false) => {}
                    Err(term) => {
                        let mut m = alloc::string::String::from("data-consent=");
                        crate::json::write_string(&expr, &mut m);
                        m.push_str(": unknown category ");
                        crate::json::write_string(term, &mut m);
                        m.push_str("; the tag never runs");
                        warn(&m);
                        let _ = el.set_attribute("data-consentry", "invalid");
                    }
                }
            }
        }
        if let Ok(mut tags) = self.tags.try_borrow_mut() {
            for el in wanted {
                let _ = el.set_attribute("data-consentry", "taken");
                tags.queue.push_back(el);
            }
        }
        self.pump();
    }

    /// Runs queued tags until one is an external script still loading.
    pub fn pump(self: &Rc<Self>) {
        loop {
            // The borrow ends before the tag runs: an inline script may call
            // the API and so come back here.
            let el = match self.tags.try_borrow_mut() {
                Ok(mut tags) if !tags.loading => tags.queue.pop_front(),
                _ => None,
            };
            let Some(el) = el else { return };
            let src = el.get_attribute("data-src");
            if el.tag_name().eq_ignore_ascii_case("script") {
                self.run_script(&el, src);
            } else if let Some(src) = src {
                let attr = if el.tag_name().eq_ignore_ascii_case("link") {
                    "href"
                } else {
                    "src"
                };
                let _ = el.set_attribute(attr, &src);
            }
        }
    }

    /// Replaces the inert script by a live copy: same attributes, the
    /// `data-type` (or none) as type, `data-src` as src.
    fn run_script(self: &Rc<Self>, el: &Element, src: Option<alloc::string::String>) {
        let Some(script) = document().and_then(|d| d.create_element("script").ok()) else {
            return;
        };
        let names = el.get_attribute_names();
        for name in names.iter().filter_map(|n| n.as_string()) {
            if !matches!(name.as_str(), "type" | "data-src" | "data-type") {
                let _ = script.set_attribute(&name, &el.get_attribute(&name).unwrap_or_default());
            }
        }
        if let Some(t) = el.get_attribute("data-type") {
            let _ = script.set_attribute("type", &t);
        }
        if let Some(src) = src {
            if let Ok(mut tags) = self.tags.try_borrow_mut() {
                tags.loading = true;
            }
            let next = self.next_tag();
            let _ = script.add_event_listener_with_callback("load", next);
            let _ = script.add_event_listener_with_callback("error", next);
            let _ = script.set_attribute("src", &src);
        } else {
            script.set_text_content(el.text_content().as_deref());
        }
        if el.replace_with_with_node_1(&script).is_err() {
            // The tag left the document meanwhile; nothing waits for it.
            if let Ok(mut tags) = self.tags.try_borrow_mut() {
                tags.loading = false;
            }
        }
    }

    /// The one listener that runs the next tag when an external script has
    /// loaded or failed.
    fn next_tag(self: &Rc<Self>) -> &js_sys::Function {
        self.next_tag.get_or_init(|| {
            let gate = Rc::downgrade(self);
            Closure::<dyn FnMut()>::new(move || {
                if let Some(gate) = gate.upgrade() {
                    if let Ok(mut tags) = gate.tags.try_borrow_mut() {
                        tags.loading = false;
                    }
                    gate.pump();
                }
            })
            .into_js_value()
            .unchecked_into()
        })
    }

    /// Watches the document for tags added later.
    pub fn observe(self: &Rc<Self>) {
        let gate = Rc::downgrade(self);
        let on_change = Closure::<dyn FnMut()>::new(move || {
            if let Some(gate) = gate.upgrade() {
                gate.activate();
            }
        })
        .into_js_value();
        let init = web_sys::MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        let root = document().and_then(|d| d.document_element());
        if let (Ok(observer), Some(root)) = (web_sys::MutationObserver::new(on_change.unchecked_ref()), root) {
            let _ = observer.observe_with_options(&root, &init);
        }
    }
}
