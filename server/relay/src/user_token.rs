//! The signed external id: a page may name a user (Braze's `external_id`)
//! only with a token the site's backend signed, as Braze's own SDK
//! authentication signs user ids. Without it, anyone could subscribe, or
//! attach a number to, any user of the site.
//!
//! The token is a JWT signed with HMAC-SHA256 (`alg` `HS256`) by a secret
//! the site's backend and the relay share: claims `sub` (the external id)
//! and `exp` (seconds since the epoch; the relay refuses it after that).
//!
//! ```
//! use consentry_relay::user_token::{sign, verify};
//! let token = sign("user-7", 1_700_000_600, b"a long shared secret");
//! assert_eq!(verify(&token, b"a long shared secret", 1_700_000_000), Ok("user-7".into()));
//! assert!(verify(&token, b"a long shared secret", 1_700_000_601).is_err());
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::hmac;
use serde_json::{json, Value};

/// The JWT header every token carries.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn key(secret: &[u8]) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret)
}

/// A token for `external_id` valid until `exp` (seconds since the epoch):
/// what the site's backend makes (the README shows it in Node).
pub fn sign(external_id: &str, exp: i64, secret: &[u8]) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(json!({ "sub": external_id, "exp": exp }).to_string())
    );
    let tag = hmac::sign(&key(secret), signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// The external id a token vouches for at `now` (seconds), or why not.
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<String, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("external_id_token is not a JWT (three base64url parts)".into());
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "external_id_token's signature is not base64url")?;
    hmac::verify(&key(secret), format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| "external_id_token is not signed with the relay's user token secret")?;
    let header: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .unwrap_or_default();
    if header["alg"] != "HS256" {
        return Err("external_id_token's alg is not HS256".into());
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(claims)
        .ok()
        .and_then(|c| serde_json::from_slice(&c).ok())
        .unwrap_or_default();
    let (Some(sub), Some(exp)) = (claims["sub"].as_str(), claims["exp"].as_i64()) else {
        return Err("external_id_token's claims need sub (the external id) and exp (seconds)".into());
    };
    if now >= exp {
        return Err(format!(
            "external_id_token expired at {exp} (now {now}): the site's backend signs a fresh one per page"
        ));
    }
    Ok(sub.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_vouches_for_its_id_until_it_expires() {
        let t = sign("u1", 100, SECRET);
        assert_eq!(verify(&t, SECRET, 99), Ok("u1".into()));
        assert!(verify(&t, SECRET, 100).unwrap_err().contains("expired"));
    }

    #[test]
    fn another_secret_a_changed_id_or_another_alg_is_refused() {
        let t = sign("u1", 100, SECRET);
        assert!(verify(&t, b"another secret of some length", 1)
            .unwrap_err()
            .contains("not signed"));
        let parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "admin", "exp": 100}).to_string());
        let t2 = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert!(verify(&t2, SECRET, 1).unwrap_err().contains("not signed"));
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), parts[1]);
        assert!(verify(&none, SECRET, 1).is_err());
        assert!(verify("junk", SECRET, 1).unwrap_err().contains("not a JWT"));
    }
}
