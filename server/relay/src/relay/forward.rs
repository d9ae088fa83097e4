//! A form's request: validated against the allow-list, the groups, the
//! signed external id and the consent record; stored with its ledger
//! entries in one transaction; then delivered (see [`super::deliver`]).

use super::{client_ip, now_ms, Error, Outcome, Relay, MAX_KEY_BYTES};
use crate::allow_list;
use crate::braze::{self, text};
use crate::ledger::{sha256_hex, Pending, Record, Subscription};
use crate::user_token;
use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;

/// A request that passed validation.
struct Accepted {
    /// Its ledger entries, one per number and external id.
    entries: Vec<Record>,
    /// The Braze body (without the consent record).
    upstream: Value,
    /// The numbers it names, for the rate limits.
    phones: Vec<String>,
}

impl Relay {
    /// Validates a forwarded request against [`crate::allow_list`], the
    /// groups, the signed external id and the consent record; returns the
    /// ledger entries and the body to forward, or what is wrong.
    fn accept(
        &self,
        path: &str,
        body: &Value,
        ip: IpAddr,
        agent: &str,
        key: &str,
        now: i64,
    ) -> Result<Accepted, Error> {
        let mut errors = Vec::new();
        allow_list::unknown_fields(path, body, &mut errors);
        let parsed = braze::read(path, body, None, &mut errors).unwrap_or_default();
        let vouched = match body.get("external_id_token") {
            None | Some(Value::Null) => None,
            Some(Value::String(token)) => match &self.user_token_secret {
                None => {
                    errors.push(format!(
                        "external_id_token is given but the relay has no user token secret: set {}",
                        self.config.user_token_secret_env
                    ));
                    None
                }
                Some(secret) => match user_token::verify(token, secret, now / 1000) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                },
            },
            Some(other) => {
                errors.push(format!(
                    "external_id_token is {}; expected the token your backend signed",
                    braze::shown(other)
                ));
                None
            }
        };
        for change in &parsed.changes {
            let id = &change.group_id;
            match self.group(id) {
                Some(g) => {
                    braze::check_kinds(change, g.email, &mut errors);
                    if !g.email {
                        braze::check_numbers(change, &g.countries, &mut errors);
                    }
                }
                None if id.is_empty() => {}
                None => errors.push(format!(
                    "subscription_group_id {id:?} is not a subscription group the relay forwards to"
                )),
            }
            if !change.subscribe {
                errors.push(format!(
                    "subscription_state of {id:?} is \"unsubscribed\"; a page may only subscribe (opt-outs come through keywords or your backend's own call to Braze)"
                ));
            }
            if change.phones.is_empty() && change.emails.is_empty() && !change.external_ids.is_empty() {
                errors.push(format!(
                    "subscription group {id:?} names an external_id alone; a page may only subscribe the number or email it submits"
                ));
            }
            for external_id in &change.external_ids {
                if vouched.as_deref() != Some(external_id.as_str()) {
                    errors.push(format!(
                        "external_id {external_id:?} needs external_id_token, signed for it by your backend (README, \"The signed external id\")"
                    ));
                }
            }
        }
        let consent = body.get("consent").cloned().unwrap_or(Value::Null);
        if !consent.is_null() && !consent.is_object() {
            errors.push(format!("consent is {}; expected an object", braze::shown(&consent)));
        }
        let field =
            |k: &str, errors: &mut Vec<String>| text(&consent, "consent.", k, errors).unwrap_or_default().to_string();
        let (disclosure, locale, page_url, form_id, consent_id) = (
            field("disclosure", &mut errors),
            field("locale", &mut errors),
            field("page_url", &mut errors),
            field("form_id", &mut errors),
            field("consent_id", &mut errors),
        );
        let client_hash = field("disclosure_sha256", &mut errors);
        let client_time = match consent.get("time") {
            None | Some(Value::Null) => Value::Null,
            Some(t) if t.is_u64() => t.clone(),
            Some(other) => {
                errors.push(format!(
                    "consent.time is {}; expected ms since the epoch",
                    braze::shown(other)
                ));
                Value::Null
            }
        };
        errors.dedup();
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        // What Braze is told about the double opt-in, per group.
        let double_opt_in =
            |id: &str, asked: bool| self.group(id).filter(|g| !g.email).map(|g| g.double_opt_in || asked);
        let mut entries = Vec::new();
        let mut phones = Vec::new();
        for change in &parsed.changes {
            let email_group = self.group(&change.group_id).is_some_and(|g| g.email);
            let externals: Vec<Option<&String>> = match change.external_ids.as_slice() {
                [] => vec![None],
                ids => ids.iter().map(Some).collect(),
            };
            // An email group's entries name the email; the others the number.
            let addresses = if email_group { &change.emails } else { &change.phones };
            // A sign-up form names each box's disclosure by group.
            let disclosure = consent["disclosures"][&change.group_id]
                .as_str()
                .map_or_else(|| disclosure.clone(), str::to_string);
            for address in addresses {
                let (phone, email) = if email_group {
                    (None, Some(address))
                } else {
                    (Some(address), None)
                };
                phones.extend(phone.cloned());
                for external_id in &externals {
                    entries.push(Record::Subscription(Subscription {
                        idempotency_key: key.to_string(),
                        path: path.to_string(),
                        subscription_group_id: change.group_id.clone(),
                        subscription_state: "subscribed",
                        use_double_opt_in_logic: double_opt_in(&change.group_id, change.double_opt_in),
                        phone: phone.cloned(),
                        email: email.cloned(),
                        external_id: external_id.cloned(),
                        consent_id: (!consent_id.is_empty()).then(|| consent_id.clone()),
                        disclosure_sha256: sha256_hex(&disclosure),
                        disclosure: disclosure.clone(),
                        client_disclosure_sha256: client_hash.clone(),
                        locale: locale.clone(),
                        page_url: page_url.clone(),
                        form_id: form_id.clone(),
                        client_time: client_time.as_u64(),
                        server_time: now,
                        ip: ip.to_string(),
                        user_agent: agent.to_string(),
                    }));
                }
            }
        }
        Ok(Accepted {
            entries,
            upstream: allow_list::upstream(path, body, &double_opt_in),
            phones,
        })
    }

    /// Forwards one request of the form: see the module's comment.
    pub async fn forward(
        self: &Arc<Self>,
        path: &str,
        headers: &HeaderMap,
        peer: IpAddr,
        body: &Bytes,
    ) -> Result<Outcome, Error> {
        let body = serde_json::from_slice::<Value>(body).map_err(|_| Error::NotJson)?;
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let ip = client_ip(peer, header("x-forwarded-for"), &self.config.trusted_proxies);
        let now = now_ms();
        let key = match headers.get("idempotency-key").map(|v| v.to_str()) {
            None => format!("relay-{}", sha256_hex(&format!("{now}{}", body))),
            Some(Ok(k)) if !k.is_empty() && k.len() <= MAX_KEY_BYTES => k.to_string(),
            Some(k) => {
                return Err(Error::Invalid(vec![format!(
                    "Idempotency-Key is {} bytes of {}; expected 1 to {MAX_KEY_BYTES} bytes of visible ASCII",
                    headers.get("idempotency-key").map_or(0, |v| v.len()),
                    if k.is_ok() { "text" } else { "non-ASCII" }
                )]))
            }
        };
        let Accepted {
            entries,
            upstream,
            phones,
        } = self.accept(path, &body, ip, header("user-agent").unwrap_or_default(), &key, now)?;
        let masked: Vec<String> = phones.iter().map(|p| crate::routes::mask_phone(p)).collect();
        tracing::Span::current().record("phones", masked.join(" "));
        let fingerprint = sha256_hex(&format!("{path}\n{body}"));
        if let Some(outcome) = self.repeat(&key, &fingerprint).await? {
            return Ok(outcome);
        }
        self.admit(ip, &phones, now).await.map_err(Error::RateLimited)?;
        let pending = Pending {
            key,
            path: path.to_string(),
            body: upstream.to_string(),
            fingerprint,
        };
        let stored = self
            .ledger
            .accept(&pending, &entries, None, now)
            .await
            .map_err(Error::Store)?;
        if !stored {
            // Another request with this key was stored first (here or at
            // another relay): its answer is this one's.
            return Ok(self
                .repeat(&pending.key, &pending.fingerprint)
                .await?
                .unwrap_or(Outcome::Queued));
        }
        Ok(self
            .deliver(&pending, self.config.deliver_timeout, false)
            .await
            .map_or(Outcome::Queued, |(status, answer)| Outcome::Answered(status, answer)))
    }
}
