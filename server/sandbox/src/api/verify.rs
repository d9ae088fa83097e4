//! The verification service: one-time codes by text, checked into a
//! signed token a site's backend can verify.

use super::{page_host, Request};
use crate::error::{Error, Reply};
use crate::service::Service;
use consentry_relay::braze::{shown, text};
use serde_json::Value;

/// `POST /verify/start {phone, purpose, locale}`: texts a one-time code.
pub fn verify_start(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    let phone = text(body, "", "phone", &mut errors);
    let purpose = text(body, "", "purpose", &mut errors);
    let locale = text(body, "", "locale", &mut errors).unwrap_or("en");
    if body.get("phone").is_none() {
        errors.push("phone is missing; expected an E.164 number such as \"+14155552671\"".into());
    }
    let purpose = purpose.and_then(crate::verify::Purpose::parse);
    if purpose.is_none() {
        errors.push(format!(
            "purpose is {}; expected \"signup\" or \"login\"",
            body.get("purpose").map_or("missing".into(), shown)
        ));
    }
    match (phone, purpose) {
        (Some(phone), Some(purpose)) if errors.is_empty() => service.verify_start(
            phone,
            purpose,
            locale,
            page_host(req).as_deref(),
            &req.origin.ip,
            req.now,
        ),
        _ => Err(Error::invalid("invalid request", errors)),
    }
}

/// `POST /verify/check {phone, code}`: checks a one-time code.
pub fn verify_check(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    let phone = text(body, "", "phone", &mut errors);
    let code = text(body, "", "code", &mut errors);
    if body.get("phone").is_none() {
        errors.push("phone is missing; expected the number the code was sent to".into());
    }
    match code {
        Some(c) if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) => {}
        _ => errors.push(format!(
            "code is {}; expected the 6 digits of the text",
            body.get("code").map_or("missing".into(), shown)
        )),
    }
    match (phone, code) {
        (Some(phone), Some(code)) if errors.is_empty() => service.verify_check(phone, code, &req.origin.ip, req.now),
        _ => Err(Error::invalid("invalid request", errors)),
    }
}

/// `POST /verify/token`: a verification token's claims, as a site's
/// backend would check it.
pub fn verify_token(service: &Service, req: &Request, body: &Value) -> Result<Reply, Error> {
    let mut errors = Vec::new();
    match text(body, "", "token", &mut errors) {
        Some(t) if errors.is_empty() => Ok(service.token_claims(t, req.now)),
        _ => Err(Error::invalid(
            "invalid request",
            vec!["token is missing; expected the token a check answered".into()],
        )),
    }
}

/// `GET /verify/jwks.json`: the key that signs verification tokens.
pub fn jwks(service: &Service, _: &Request) -> Result<Reply, Error> {
    Ok((200, service.jwks()))
}
