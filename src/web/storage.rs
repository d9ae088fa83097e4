//! Reading and writing the stored record: the `adobeujs-optin` cookie or
//! `localStorage`/`sessionStorage`. Every browser failure (cookies disabled,
//! a storage that throws, quota exceeded) becomes a warning and the page
//! carries on with the defaults: nothing here can approve anything.
//!
//! `gloo-storage` is not used: its `raw()` throws through the Rust stack when
//! storage is unavailable, which would abandon the engine mid-call, and its
//! JSON helpers bring `serde_json`, about 18 KB brotli.

use crate::consent::{
    cookie_value, domain_candidates, percent_decode, percent_encode, Config, Expiry, StorageKind, STORAGE_KEY,
};
use alloc::{string::String, vec::Vec};
use core::cell::OnceCell;
use wasm_bindgen::JsCast;

/// Where and how this page stores its record.
pub struct Store {
    kind: StorageKind,
    expiry: Expiry,
    domain: OnceCell<Option<String>>,
    secure: bool,
    same_site: Option<&'static str>,
}

fn html_document() -> Option<web_sys::HtmlDocument> {
    web_sys::window()?.document()?.dyn_into().ok()
}

fn read_cookies() -> Option<String> {
    html_document()?.cookie().ok()
}

fn web_storage(expiry: Expiry) -> Result<web_sys::Storage, &'static str> {
    let window = web_sys::window().ok_or("no window")?;
    let storage = if expiry == Expiry::Session {
        window.session_storage()
    } else {
        window.local_storage()
    };
    storage.ok().flatten().ok_or("storage is not available")
}

impl Store {
    /// The store the configuration asks for.
    pub fn new(config: &Config) -> Store {
        let domain = OnceCell::new();
        if let Some(d) = &config.cookie_domain {
            let _ = domain.set(Some(d.clone()));
        }
        Store {
            kind: config.storage,
            expiry: config.expiry,
            domain,
            secure: config.secure_cookie,
            same_site: config.same_site,
        }
    }

    /// The stored record's JSON text, if any could be read.
    pub fn read(&self, warnings: &mut Vec<String>) -> Option<String> {
        match self.kind {
            StorageKind::Cookie => {
                let raw = read_cookies()?;
                let value = cookie_value(&raw, STORAGE_KEY)?;
                let text = percent_decode(value);
                if text.is_none() {
                    warnings.push("stored consent ignored: the cookie is not valid percent-encoded UTF-8".into());
                }
                text
            }
            StorageKind::LocalStorage => match web_storage(self.expiry).map(|s| s.get_item(STORAGE_KEY)) {
                Ok(Ok(v)) => v,
                Ok(Err(_)) | Err(_) => {
                    warnings.push("stored consent could not be read: storage is not available".into());
                    None
                }
            },
        }
    }

    /// Writes the record's JSON text. The error says why it did not stick.
    pub fn write(&self, text: &str) -> Result<(), &'static str> {
        match self.kind {
            StorageKind::Cookie => self.write_cookie(&percent_encode(text)),
            StorageKind::LocalStorage => web_storage(self.expiry)?
                .set_item(STORAGE_KEY, text)
                .map_err(|_| "storage refused the write (quota exceeded?)"),
        }
    }

    fn write_cookie(&self, value: &str) -> Result<(), &'static str> {
        let doc = html_document().ok_or("no document")?;
        let domain = self.cookie_domain(&doc);
        let mut c = String::from(STORAGE_KEY);
        c.push('=');
        c.push_str(value);
        c.push_str("; path=/");
        if let Expiry::Seconds(s) = self.expiry {
            c.push_str("; max-age=");
            crate::json::push_uint(&mut c, s.into());
        }
        if let Some(d) = &domain {
            c.push_str("; domain=");
            c.push_str(d);
        }
        if let Some(s) = self.same_site {
            c.push_str("; SameSite=");
            c.push_str(s);
        }
        if self.secure {
            c.push_str("; Secure");
        }
        doc.set_cookie(&c).map_err(|_| "cookies are not available")?;
        let stored = doc
            .cookie()
            .ok()
            .is_some_and(|all| cookie_value(&all, STORAGE_KEY) == Some(value));
        if stored {
            Ok(())
        } else {
            Err("the browser did not keep the cookie (cookies disabled, or a domain/Secure setting the page cannot use)")
        }
    }

    /// The configured domain, or the top-most one that accepts a cookie,
    /// found once with a probe cookie; `None` means a host-only cookie.
    fn cookie_domain(&self, doc: &web_sys::HtmlDocument) -> Option<String> {
        self.domain
            .get_or_init(|| {
                let host = web_sys::window()
                    .and_then(|w| w.location().hostname().ok())
                    .unwrap_or_default();
                domain_candidates(&host).into_iter().find(|d| {
                    let probe = |age: &str| {
                        let mut c = String::from("consentry-probe=1; path=/; domain=");
                        c.push_str(d);
                        c.push_str(age);
                        let _ = doc.set_cookie(&c);
                    };
                    probe("");
                    let ok = doc
                        .cookie()
                        .ok()
                        .is_some_and(|all| cookie_value(&all, "consentry-probe").is_some());
                    probe("; max-age=0");
                    ok
                })
            })
            .clone()
    }
}
