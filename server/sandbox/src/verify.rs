//! Phone verification with one-time codes: the rules, with the clock
//! passed in. The service ([`crate::service`]) stores the codes and pays
//! each text from the quota; this module decides.
//!
//! - A code is 6 digits from the operating system's CSPRNG. Only its
//!   HMAC-SHA256 (keyed with a secret that is not in the database, and
//!   bound to the number and purpose) is stored; a check recomputes it and
//!   compares in constant time.
//! - A code expires after `code_ttl_seconds` (600) and allows `max_checks`
//!   (5) checks; a new code replaces the number's open one.
//! - A number gets at most `per_hour` (5) codes an hour and one per
//!   `resend_seconds` (30).
//! - An approved check yields a token: a JWT signed with Ed25519
//!   (`alg: EdDSA`) that the site's backend verifies with the public key
//!   from `GET /verify/jwks.json`, without trusting the browser.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};

/// The hour's failed checks, per client IP and in all.
#[derive(Debug, Default)]
pub struct FailedChecks {
    /// By key (`ip ...` or `all`): the window's start (ms) and its count.
    windows: std::collections::HashMap<String, (i64, u32)>,
}

const HOUR_MS: i64 = 3_600_000;

impl FailedChecks {
    fn windows(ip: &str, rules: &Rules) -> [(String, u32); 2] {
        [
            (format!("ip {ip}"), rules.failed_per_ip),
            ("all".into(), rules.failed_total),
        ]
    }

    /// May `ip` check a code at `now`? `Err(seconds)` until it may.
    pub fn allowed(&self, ip: &str, now: i64, rules: &Rules) -> Result<(), u64> {
        let mut wait = 0;
        for (key, limit) in Self::windows(ip, rules) {
            if let Some(&(start, count)) = self.windows.get(&key) {
                if now < start + HOUR_MS && count >= limit {
                    wait = wait.max(((start + HOUR_MS - now) as u64).div_ceil(1000));
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Counts a failed check by `ip` at `now`.
    pub fn failed(&mut self, ip: &str, now: i64, rules: &Rules) {
        for (key, _) in Self::windows(ip, rules) {
            let w = self.windows.entry(key).or_insert((now, 0));
            if now >= w.0 + HOUR_MS {
                *w = (now, 0);
            }
            w.1 += 1;
        }
        // Old windows go, so the map stays as small as the hour's clients.
        self.windows.retain(|_, w| now < w.0 + HOUR_MS);
    }
}

/// What the code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new member signs up with the number.
    Signup,
    /// A member who signed up logs in again (after a logout).
    Login,
}

impl Purpose {
    /// `"signup"` or `"login"`.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Signup => "signup",
            Purpose::Login => "login",
        }
    }

    /// From its name.
    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "signup" => Some(Purpose::Signup),
            "login" => Some(Purpose::Login),
            _ => None,
        }
    }
}

/// The limits, from the configuration's `verification`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// How long a code is good for, ms.
    pub code_ttl_ms: i64,
    /// Checks allowed per code.
    pub max_checks: u32,
    /// Codes per number per hour.
    pub per_hour: usize,
    /// The wait between two codes to one number, ms.
    pub resend_ms: i64,
    /// How long a token is good for, ms.
    pub token_ttl_ms: i64,
    /// Failed checks one client IP may make per hour (across numbers: a
    /// guesser does not get five tries at every number it can name).
    pub failed_per_ip: u32,
    /// Failed checks everyone together may make per hour.
    pub failed_total: u32,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            code_ttl_ms: 600_000,
            max_checks: 5,
            per_hour: 5,
            resend_ms: 30_000,
            token_ttl_ms: 300_000,
            failed_per_ip: 20,
            failed_total: 500,
        }
    }
}

/// Why no code is sent now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// A code went out less than `resend` ago.
    Resend(u64),
    /// The number had its codes for this hour.
    Hourly(u64),
}

impl Wait {
    /// Seconds to wait.
    pub fn seconds(&self) -> u64 {
        match self {
            Wait::Resend(s) | Wait::Hourly(s) => *s,
        }
    }

    /// The answer's `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Wait::Resend(_) => "resend_too_soon",
            Wait::Hourly(_) => "too_many_codes",
        }
    }
}

/// May a code go to a number that was sent codes at `sent` (ms, any
/// order) at `now`?
pub fn may_send(sent: &[i64], now: i64, rules: &Rules) -> Result<(), Wait> {
    let seconds = |ms: i64| (ms.max(0) as u64).div_ceil(1000).max(1);
    if let Some(last) = sent.iter().copied().max() {
        if now - last < rules.resend_ms {
            return Err(Wait::Resend(seconds(last + rules.resend_ms - now)));
        }
    }
    let mut recent: Vec<i64> = sent.iter().copied().filter(|t| now - t < 3_600_000).collect();
    if recent.len() >= rules.per_hour {
        recent.sort_unstable();
        let oldest = recent[recent.len() - rules.per_hour];
        return Err(Wait::Hourly(seconds(oldest + 3_600_000 - now)));
    }
    Ok(())
}

/// A number's open code, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// When it expires, ms.
    pub expires: i64,
    /// Checks made so far.
    pub checks: u32,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The code matched: the number is verified.
    Approved,
    /// It did not; this many checks are left.
    Wrong(u32),
    /// The code expired: ask for a new one.
    Expired,
    /// Its checks are used up: ask for a new one.
    TooManyChecks,
    /// No code is open for the number (never sent, used, or replaced).
    NoCode,
}

impl Outcome {
    /// The answer's `error` code (`None` when approved).
    pub fn error(&self) -> Option<&'static str> {
        match self {
            Outcome::Approved => None,
            Outcome::Wrong(_) => Some("wrong_code"),
            Outcome::Expired => Some("code_expired"),
            Outcome::TooManyChecks => Some("too_many_checks"),
            Outcome::NoCode => Some("no_code"),
        }
    }
}

/// A check of `open` at `now`, where `matches` tells whether the given
/// code is the one sent. A check after the last allowed one, or after the
/// expiry, fails whatever was typed.
pub fn check(open: Option<&Open>, matches: bool, now: i64, rules: &Rules) -> Outcome {
    let Some(open) = open else { return Outcome::NoCode };
    if now >= open.expires {
        Outcome::Expired
    } else if open.checks >= rules.max_checks {
        Outcome::TooManyChecks
    } else if matches {
        Outcome::Approved
    } else {
        Outcome::Wrong(rules.max_checks - open.checks - 1)
    }
}

/// The text that carries `code`, in `locale`'s language (English unless
/// Korean or Japanese), and for a page at `host`, WebOTP's last line
/// (`@host #code`) so the browser can offer the code itself.
pub fn text(brand: &str, code: &str, locale: &str, host: Option<&str>) -> String {
    let body = match locale.get(..2) {
        Some("ko") => format!("[{brand}] 인증번호는 {code}입니다."),
        Some("ja") => format!("[{brand}] 認証コードは {code} です。"),
        _ => format!("[{brand}] Your code is {code}"),
    };
    match host {
        Some(h) => format!("{body}\n\n@{h} #{code}"),
        None => body,
    }
}

/// The service's secrets: the key that binds stored codes, and the token
/// signing key.
pub struct Keys {
    hmac: ring::hmac::Key,
    signer: Ed25519KeyPair,
    kid: String,
    random: SystemRandom,
}

impl Keys {
    /// From `secret` (the same secret gives the same keys, so tokens and
    /// codes survive a restart), or fresh random keys.
    pub fn new(secret: Option<&str>) -> Result<Keys, String> {
        let random = SystemRandom::new();
        let seed: [u8; 32] = match secret {
            Some(s) => derive(s, "token signing key"),
            None => {
                let mut seed = [0u8; 32];
                random.fill(&mut seed).map_err(|_| "no system randomness".to_string())?;
                seed
            }
        };
        let mut mac = [0u8; 32];
        match secret {
            Some(s) => mac = derive(s, "code key"),
            None => random.fill(&mut mac).map_err(|_| "no system randomness".to_string())?,
        }
        let signer = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|e| format!("signing key: {e}"))?;
        let kid = hex(&ring::digest::digest(&ring::digest::SHA256, signer.public_key().as_ref()).as_ref()[..8]);
        Ok(Keys {
            hmac: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &mac),
            signer,
            kid,
            random,
        })
    }

    /// A new 6-digit code, uniform over 000000-999999.
    pub fn code(&self) -> Result<String, String> {
        loop {
            let mut b = [0u8; 4];
            self.random
                .fill(&mut b)
                .map_err(|_| "no system randomness".to_string())?;
            let n = u32::from_le_bytes(b);
            // Rejection sampling: no bias towards low codes.
            if n < u32::MAX - u32::MAX % 1_000_000 {
                return Ok(format!("{:06}", n % 1_000_000));
            }
        }
    }

    /// What is stored of `code` for `phone` and `purpose`.
    pub fn tag(&self, phone: &str, purpose: Purpose, code: &str) -> Vec<u8> {
        ring::hmac::sign(&self.hmac, bound(phone, purpose, code).as_bytes())
            .as_ref()
            .to_vec()
    }

    /// Whether `code` is the one whose tag is `tag` (constant time).
    pub fn matches(&self, tag: &[u8], phone: &str, purpose: Purpose, code: &str) -> bool {
        ring::hmac::verify(&self.hmac, bound(phone, purpose, code).as_bytes(), tag).is_ok()
    }

    /// A signed token saying `phone` was verified for `purpose` at `now`.
    pub fn token(
        &self,
        phone: &str,
        purpose: Purpose,
        now: i64,
        rules: &Rules,
        audience: &str,
    ) -> Result<String, String> {
        let mut id = [0u8; 16];
        self.random
            .fill(&mut id)
            .map_err(|_| "no system randomness".to_string())?;
        let header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": self.kid });
        let claims = json!({
            "iss": "consentry-sandbox",
            "aud": audience,
            "sub": phone,
            "phone_number_verified": true,
            "purpose": purpose.name(),
            "iat": now / 1000,
            "exp": (now + rules.token_ttl_ms) / 1000,
            "jti": hex(&id),
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.signer.sign(signed.as_bytes());
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
    }

    /// The public key as a JSON Web Key Set (`GET /verify/jwks.json`).
    pub fn jwks(&self) -> Value {
        json!({ "keys": [{
            "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(self.signer.public_key().as_ref()),
        }]})
    }

    /// The claims of `token` when its signature is this service's and it
    /// has not expired at `now` (what a site's backend does; used by the
    /// tests and `POST /verify/token`).
    pub fn claims(&self, token: &str, now: i64, audience: &str) -> Result<Value, String> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err("not a JWT (expected three parts)".into());
        };
        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "the signature is not base64url")?;
        let public =
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, self.signer.public_key().as_ref());
        public
            .verify(format!("{h}.{p}").as_bytes(), &signature)
            .map_err(|_| "the signature does not match this service's key")?;
        let claims: Value = URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("the claims are not JSON")?;
        if claims["aud"] != audience {
            return Err(format!(
                "the token's audience is {}, not this site's {audience:?}: it was issued for another site",
                claims["aud"]
            ));
        }
        match claims["exp"].as_i64() {
            Some(exp) if exp * 1000 > now => Ok(claims),
            _ => Err("the token has expired".into()),
        }
    }
}

fn bound(phone: &str, purpose: Purpose, code: &str) -> String {
    format!("{phone}\n{}\n{code}", purpose.name())
}

/// 32 bytes from `secret` for `what` (HMAC-SHA256 as the key derivation).
fn derive(secret: &str, what: &str) -> [u8; 32] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::hmac::sign(&key, what.as_bytes()).as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn one_code_per_30_seconds_and_five_an_hour() {
        let r = Rules::default();
        assert_eq!(may_send(&[], 0, &r), Ok(()));
        assert_eq!(may_send(&[0], 10_000, &r), Err(Wait::Resend(20)));
        assert_eq!(may_send(&[0], 30_000, &r), Ok(()));
        let five = [0, MIN, 2 * MIN, 3 * MIN, 4 * MIN];
        assert_eq!(may_send(&five, 5 * MIN, &r), Err(Wait::Hourly(55 * 60)));
        // The oldest leaves the hour: a sixth may go.
        assert_eq!(may_send(&five, 60 * MIN, &r), Ok(()));
    }

    #[test]
    fn a_code_expires_and_allows_five_checks() {
        let r = Rules::default();
        let open = |checks| Open {
            expires: 10 * MIN,
            checks,
        };
        assert_eq!(check(Some(&open(0)), true, 0, &r), Outcome::Approved);
        assert_eq!(check(Some(&open(0)), false, 0, &r), Outcome::Wrong(4));
        assert_eq!(check(Some(&open(4)), false, 0, &r), Outcome::Wrong(0));
        // After five checks even the right code fails.
        assert_eq!(check(Some(&open(5)), true, 0, &r), Outcome::TooManyChecks);
        assert_eq!(check(Some(&open(0)), true, 10 * MIN, &r), Outcome::Expired);
        assert_eq!(check(None, true, 0, &r), Outcome::NoCode);
    }

    #[test]
    fn codes_are_six_digits_bound_to_number_and_purpose() {
        let k = Keys::new(None).unwrap();
        let code = k.code().unwrap();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        let tag = k.tag("+14155550100", Purpose::Signup, &code);
        assert!(k.matches(&tag, "+14155550100", Purpose::Signup, &code));
        assert!(!k.matches(&tag, "+14155550101", Purpose::Signup, &code));
        assert!(!k.matches(&tag, "+14155550100", Purpose::Login, &code));
        let other = if code == "000000" { "000001" } else { "000000" };
        assert!(!k.matches(&tag, "+14155550100", Purpose::Signup, other));
        // The stored tag is not the code.
        assert!(!tag.windows(6).any(|w| w == code.as_bytes()));
    }

    #[test]
    fn the_same_secret_gives_the_same_keys_and_a_token_verifies_only_with_them() {
        let r = Rules::default();
        let (a, b, c) = (
            Keys::new(Some("s3cret")).unwrap(),
            Keys::new(Some("s3cret")).unwrap(),
            Keys::new(Some("other")).unwrap(),
        );
        assert_eq!(a.jwks(), b.jwks());
        let t = a.token("+14155550100", Purpose::Login, 1_000_000, &r, "shop").unwrap();
        let claims = b.claims(&t, 1_000_000, "shop").unwrap();
        assert_eq!(
            (claims["sub"].as_str(), claims["purpose"].as_str()),
            (Some("+14155550100"), Some("login"))
        );
        assert!(c.claims(&t, 1_000_000, "shop").is_err());
        assert!(b
            .claims(&t, 1_000_000, "another-shop")
            .unwrap_err()
            .contains("issued for another site"));
        assert_eq!(
            b.claims(&t, 1_000_000 + r.token_ttl_ms, "shop"),
            Err("the token has expired".to_string())
        );
        // A changed claim breaks the signature.
        let parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap())
                .unwrap()
                .replace("+14155550100", "+14155550199"),
        );
        assert!(a
            .claims(&format!("{}.{forged}.{}", parts[0], parts[2]), 1_000_000, "shop")
            .is_err());
    }

    #[test]
    fn failed_checks_are_budgeted_per_ip_and_in_all_for_the_hour() {
        let r = Rules {
            failed_per_ip: 3,
            failed_total: 5,
            ..Rules::default()
        };
        let mut f = FailedChecks::default();
        for _ in 0..3 {
            assert_eq!(f.allowed("a", 0, &r), Ok(()));
            f.failed("a", 0, &r);
        }
        assert_eq!(f.allowed("a", 1_000, &r), Err(3_599));
        assert_eq!(f.allowed("b", 1_000, &r), Ok(()), "another address has its own");
        f.failed("b", 1_000, &r);
        f.failed("c", 1_000, &r);
        assert_eq!(f.allowed("d", 1_000, &r), Err(3_599), "everyone's budget is spent");
        assert_eq!(f.allowed("a", 3_600_000, &r), Ok(()), "a new hour");
    }

    #[test]
    fn texts_in_three_languages_with_webotps_line() {
        assert_eq!(text("Acme", "123456", "en-US", None), "[Acme] Your code is 123456");
        assert_eq!(text("Acme", "123456", "ko-KR", None), "[Acme] 인증번호는 123456입니다.");
        assert_eq!(text("Acme", "123456", "ja", None), "[Acme] 認証コードは 123456 です。");
        assert_eq!(
            text("Acme", "123456", "en", Some("shop.example")),
            "[Acme] Your code is 123456\n\n@shop.example #123456"
        );
    }
}
