//! Receipts of committed cookie choices (the gate's `receipts`): each
//! field checked, then into the ledger once per key. They go nowhere else.

use super::{client_ip, now_ms, Error, Outcome, Relay, RECEIPTS};
use crate::braze::{self, text};
use crate::ledger::{Pending, Receipt, Record};
use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;

/// The body a recorded receipt is answered with (201).
pub const RECORDED: &str = r#"{"message":"success"}"#;

/// A receipt's `banner`: what the banner showed when its button committed
/// (null for a choice made another way), each field checked; anything
/// else is an error.
fn banner_proof(v: &Value, errors: &mut Vec<String>) -> Value {
    const KEYS: [&str; 4] = ["language", "layout", "texts_sha256", "button"];
    if v.is_null() {
        return Value::Null;
    }
    let fields = v
        .as_object()
        .filter(|m| m.len() == KEYS.len() && m.keys().all(|k| KEYS.contains(&k.as_str())));
    let ok = fields.is_some()
        && v["language"]
            .as_str()
            .is_some_and(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()))
        && v["layout"]
            .as_str()
            .is_some_and(|l| ["bar", "box", "modal", "preferences"].contains(&l))
        && v["texts_sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        && v["button"]
            .as_str()
            .is_some_and(|b| ["accept", "reject", "save", "ok"].contains(&b));
    if !ok {
        errors.push(format!(
            "banner is {}; expected null or {{language, layout (bar, box, modal or preferences), texts_sha256, button (accept, reject, save or ok)}}",
            braze::shown(v)
        ));
        return Value::Null;
    }
    v.clone()
}

impl Relay {
    /// A receipt of a committed cookie choice (from the gate's `receipts`):
    /// validated, then into the ledger once per key. It goes nowhere else.
    pub async fn receipt(self: &Arc<Self>, headers: &HeaderMap, peer: IpAddr, body: &Bytes) -> Result<Outcome, Error> {
        let v = serde_json::from_slice::<Value>(body).map_err(|_| Error::NotJson)?;
        let mut errors = Vec::new();
        let string = |k: &str, max: usize, errors: &mut Vec<String>| {
            let s = text(&v, "", k, errors).unwrap_or_default().to_string();
            if s.is_empty() || s.len() > max {
                errors.push(format!(
                    "{k} is {}; expected a string of 1 to {max} bytes",
                    braze::shown(&v[k])
                ));
            }
            s
        };
        let (key, consent_id, page, cause) = (
            string("key", 255, &mut errors),
            string("consent_id", 64, &mut errors),
            string("page", 2048, &mut errors),
            string("cause", 32, &mut errors),
        );
        for k in ["time", "revision"] {
            if !v[k].is_u64() {
                errors.push(format!("{k} is {}; expected a whole number", braze::shown(&v[k])));
            }
        }
        for k in ["permissions", "changes"] {
            let ok = v[k].as_object().is_some_and(|m| m.values().all(Value::is_boolean));
            if !ok {
                errors.push(format!(
                    "{k} is {}; expected {{category: true or false}}",
                    braze::shown(&v[k])
                ));
            }
        }
        if !v["gpc"].is_boolean() {
            errors.push(format!("gpc is {}; expected true or false", braze::shown(&v["gpc"])));
        }
        // The TC and GPP strings' hashes (a missing gpp_sha256 is null:
        // receipts from before GPP).
        for k in ["tc_sha256", "gpp_sha256"] {
            let h = &v[k];
            if !(h.is_null()
                || h.as_str()
                    .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())))
            {
                errors.push(format!("{k} is {}; expected null or a SHA-256 in hex", braze::shown(h)));
            }
        }
        let banner = banner_proof(&v["banner"], &mut errors);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
        let ip = client_ip(peer, header("x-forwarded-for"), &self.config.trusted_proxies);
        let now = now_ms();
        self.admit(ip, &[], now).await.map_err(Error::RateLimited)?;
        let map = |k: &str| v[k].as_object().cloned().unwrap_or_default();
        let hash = |k: &str| v[k].as_str().map(str::to_string);
        let entry = Record::Receipt(Receipt {
            key: key.clone(),
            consent_id,
            time: v["time"].as_u64().unwrap_or_default(),
            revision: v["revision"].as_u64().unwrap_or_default(),
            permissions: map("permissions"),
            changes: map("changes"),
            gpc: v["gpc"].as_bool().unwrap_or_default(),
            tc_sha256: hash("tc_sha256"),
            gpp_sha256: hash("gpp_sha256"),
            banner,
            page,
            cause,
            server_time: now,
            ip: ip.to_string(),
            user_agent: header("user-agent").unwrap_or_default().to_string(),
        });
        let request = Pending {
            key: format!("receipt:{key}"),
            path: RECEIPTS.to_string(),
            body: String::new(),
            fingerprint: String::new(),
        };
        self.ledger
            .accept(&request, &[entry], Some((201, RECORDED)), now)
            .await
            .map_err(Error::Store)?;
        Ok(Outcome::Recorded)
    }
}
