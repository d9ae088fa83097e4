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
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The shell's storage input and output (`js/storage.js`): it only
    /// touches the browser; what to read and write is decided here.
    pub type Io;
    #[wasm_bindgen(method)]
    fn host(this: &Io) -> String;
    #[wasm_bindgen(method, catch)]
    fn read(this: &Io, kind: u8, key: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn write(this: &Io, kind: u8, key: &str, text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method)]
    fn probe(this: &Io, domain: &str) -> bool;
}

/// Where and how this page stores its record.
pub struct Store {
    io: Io,
    kind: StorageKind,
    expiry: Expiry,
    domain: OnceCell<Option<String>>,
    secure: bool,
    same_site: Option<&'static str>,
}

impl Store {
    /// The store the configuration asks for, through the shell's `io`.
    pub fn new(config: &Config, io: Io) -> Store {
        let domain = OnceCell::new();
        if let Some(d) = &config.cookie_domain {
            let _ = domain.set(Some(d.clone()));
        }
        Store {
            io,
            kind: config.storage,
            expiry: config.expiry,
            domain,
            secure: config.secure_cookie,
            same_site: config.same_site,
        }
    }

    /// 0 the cookie, 1 `localStorage`, 2 `sessionStorage` (a session's
    /// choice under `localStorage`).
    fn code(&self) -> u8 {
        match (self.kind, self.expiry) {
            (StorageKind::Cookie, _) => 0,
            (StorageKind::LocalStorage, Expiry::Session) => 2,
            (StorageKind::LocalStorage, _) => 1,
        }
    }

    /// The stored record's JSON text, if any could be read.
    pub fn read(&self, warnings: &mut Vec<String>) -> Option<String> {
        match (self.kind, self.io.read(self.code(), STORAGE_KEY)) {
            (StorageKind::Cookie, jar) => {
                let jar = jar.ok().flatten()?;
                let text = percent_decode(cookie_value(&jar, STORAGE_KEY)?);
                if text.is_none() {
                    warnings.push("stored consent ignored: the cookie is not valid percent-encoded UTF-8".into());
                }
                text
            }
            (StorageKind::LocalStorage, Ok(v)) => v,
            (StorageKind::LocalStorage, Err(_)) => {
                warnings.push("stored consent could not be read: storage is not available".into());
                None
            }
        }
    }

    /// Writes the record's JSON text. The error says why it did not stick.
    pub fn write(&self, text: &str) -> Result<(), &'static str> {
        match self.kind {
            StorageKind::Cookie => self.write_cookie(&percent_encode(text)),
            StorageKind::LocalStorage => match self
                .io
                .write(self.code(), STORAGE_KEY, text)
                .ok()
                .and_then(|c| c.as_f64())
            {
                Some(0.0) => Ok(()),
                Some(2.0) => Err("storage refused the write (quota exceeded?)"),
                _ => Err("storage is not available"),
            },
        }
    }

    fn write_cookie(&self, value: &str) -> Result<(), &'static str> {
        let domain = self.cookie_domain();
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
        let jar = self
            .io
            .write(0, STORAGE_KEY, &c)
            .map_err(|_| "cookies are not available")?;
        if jar
            .as_string()
            .is_some_and(|all| cookie_value(&all, STORAGE_KEY) == Some(value))
        {
            Ok(())
        } else {
            Err("the browser did not keep the cookie (cookies disabled, or a domain/Secure setting the page cannot use)")
        }
    }

    /// The configured domain, or the top-most one that accepts a cookie,
    /// found once with a probe cookie; `None` means a host-only cookie.
    fn cookie_domain(&self) -> Option<String> {
        self.domain
            .get_or_init(|| {
                domain_candidates(&self.io.host())
                    .into_iter()
                    .find(|d| self.io.probe(d))
            })
            .clone()
    }
}
