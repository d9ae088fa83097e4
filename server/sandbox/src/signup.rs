//! Phone verification as the service keeps it: one-time codes texted and
//! paid from the quota, checked into a signed token, and the members who
//! signed up or logged in with them. The rules are [`crate::verify`]'s.

use crate::error::{Error, Reply};
use crate::quota::warn;
use crate::service::{cost, db_error, query, quota, send, Paid, Service};
use crate::verify::{self, Outcome, Purpose};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

/// Whether a number of this type can receive texts.
fn textable(phone: &str) -> bool {
    use phonenumber::Type;
    let Ok(n) = phonenumber::parse(None, phone) else {
        return false;
    };
    matches!(
        n.number_type(&phonenumber::metadata::DATABASE),
        Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber | Type::Voip
    )
}

impl Service {
    /// `POST /verify/start`: texts a new code to `phone` for `purpose`, paid
    /// from the quota. `host` (the page's, from the request's `Origin`)
    /// adds WebOTP's line.
    pub fn verify_start(
        &self,
        phone: &str,
        purpose: Purpose,
        locale: &str,
        host: Option<&str>,
        ip: &str,
        now: i64,
    ) -> Result<Reply, Error> {
        let refuse =
            |status: u16, error: &str, message: String| (status, json!({ "error": error, "message": message }));
        let country = match consentry_relay::braze::e164(phone) {
            Ok(c) => c,
            Err(e) => return Ok(refuse(400, "invalid_phone", e)),
        };
        let countries = &self.config.verify_countries;
        if !countries.is_empty() && !countries.contains(&country) {
            return Ok(refuse(
                400,
                "country_not_supported",
                format!(
                    "{phone} is a number of {country}; verification is offered for {}",
                    countries.join(", ")
                ),
            ));
        }
        if !textable(phone) {
            return Ok(refuse(
                400,
                "cannot_receive_texts",
                format!("{phone} cannot receive text messages (it is not a mobile number)"),
            ));
        }
        if let Err(seconds) = self.admit(ip, &[phone], now) {
            return Err(Error::RateLimited(seconds));
        }
        let rules = self.config.verify;
        let code = self.keys.code()?;
        let text = verify::text(&self.config.brand, &code, locale, host);
        let tag = self.keys.tag(phone, purpose, &code);
        Ok(self.db.write(|db| {
            let member: bool = db
                .prepare_cached("SELECT 1 FROM members WHERE phone = ?1")
                .and_then(|mut s| s.exists(params![phone]))
                .map_err(db_error)?;
            match (purpose, member) {
                (Purpose::Signup, true) => {
                    return Ok(refuse(
                        409,
                        "already_registered",
                        format!("{phone} has signed up already: log in instead"),
                    ))
                }
                (Purpose::Login, false) => {
                    return Ok(refuse(404, "not_registered", format!("{phone} has not signed up: sign up first")))
                }
                _ => {}
            }
            let sent: Vec<i64> = query(
                db,
                "SELECT sent FROM codes WHERE phone = ?1 AND sent > ?2",
                params![phone, now - 3_600_000],
                |r| r.get(0),
            )?;
            if let Err(wait) = verify::may_send(&sent, now, &rules) {
                let message = match wait {
                    verify::Wait::Resend(s) => format!("a code was sent moments ago; ask for another in {s} s"),
                    verify::Wait::Hourly(s) => format!(
                        "{} codes went to {phone} in the last hour; ask again in {} min",
                        rules.per_hour,
                        s.div_ceil(60)
                    ),
                };
                return Ok((
                    429,
                    json!({ "error": wait.code(), "message": message, "retry_after_seconds": wait.seconds() }),
                ));
            }
            let left = quota(db)?.remaining;
            let needed = cost(None, phone, &text);
            if left < needed {
                return Ok(refuse(
                    402,
                    "quota_exhausted",
                    format!("no code was sent: the prepaid quota has {left} message(s) left, {needed} needed (buy another ticket of 1,000)"),
                ));
            }
            db.execute("UPDATE codes SET open = 0 WHERE phone = ?1 AND open = 1", params![phone])
                .map_err(db_error)?;
            db.execute(
                "INSERT INTO codes (phone, purpose, tag, sent, expires, open) VALUES (?1, ?2, ?3, ?4, ?5, 1)",
                params![phone, purpose.name(), tag, now, now + rules.code_ttl_ms],
            )
            .map_err(db_error)?;
            send(db, None, phone, &text, Paid::Verification, now)?;
            let mut answer = json!({
                "status": "pending",
                "phone": phone,
                "purpose": purpose.name(),
                "expires_in_seconds": rules.code_ttl_ms / 1000,
                "resend_in_seconds": rules.resend_ms / 1000,
                "checks_allowed": rules.max_checks,
            });
            warn(db, &mut answer, self.config.quota_low)?;
            Ok((201, answer))
        })?)
    }

    /// `POST /verify/check`: checks `code` against `phone`'s open code.
    pub fn verify_check(&self, phone: &str, code: &str, ip: &str, now: i64) -> Result<Reply, Error> {
        let rules = self.config.verify;
        let failed = self.failed_checks.lock().map_err(|_| "lock poisoned".to_string())?;
        if let Err(seconds) = failed.allowed(ip, now, &rules) {
            return Ok((
                429,
                json!({ "error": "too_many_failed_checks", "message": format!("too many wrong codes from this network; try again in {seconds} s"), "retry_after_seconds": seconds }),
            ));
        }
        drop(failed);
        let answer = self.check_code(phone, code, now)?;
        if answer.0 != 200 {
            if let Ok(mut f) = self.failed_checks.lock() {
                f.failed(ip, now, &rules);
            }
        }
        Ok(answer)
    }

    fn check_code(&self, phone: &str, code: &str, now: i64) -> Result<Reply, Error> {
        let rules = self.config.verify;
        Ok(self.db.write(|db| {
            let open: Option<(i64, String, Vec<u8>, i64, u32)> = db
                .query_row(
                    "SELECT id, purpose, tag, expires, checks FROM codes WHERE phone = ?1 AND open = 1 ORDER BY id DESC LIMIT 1",
                    params![phone],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .map_err(db_error)?;
            let purpose = open
                .as_ref()
                .and_then(|o| Purpose::parse(&o.1))
                .unwrap_or(Purpose::Signup);
            let matches = open
                .as_ref()
                .is_some_and(|(_, _, tag, _, _)| self.keys.matches(tag, phone, purpose, code));
            let state = open.as_ref().map(|&(_, _, _, expires, checks)| verify::Open { expires, checks });
            let outcome = verify::check(state.as_ref(), matches, now, &rules);
            let id = open.as_ref().map_or(0, |o| o.0);
            match outcome {
                Outcome::Approved => {
                    db.execute("UPDATE codes SET open = 0, checks = checks + 1 WHERE id = ?1", params![id])
                        .map_err(db_error)?;
                    db.execute(
                        "INSERT INTO members (phone, signed_up, last_login) VALUES (?1, ?2, ?2)
                         ON CONFLICT (phone) DO UPDATE SET last_login = ?2",
                        params![phone, now],
                    )
                    .map_err(db_error)?;
                    let token = self.keys.token(phone, purpose, now, &rules, &self.config.verify_audience)?;
                    Ok((
                        200,
                        json!({ "status": "approved", "phone": phone, "purpose": purpose.name(), "token": token, "expires_in_seconds": rules.token_ttl_ms / 1000 }),
                    ))
                }
                Outcome::Wrong(left) => {
                    db.execute("UPDATE codes SET checks = checks + 1 WHERE id = ?1", params![id])
                        .map_err(db_error)?;
                    let message = match left {
                        0 => "the code is wrong, and that was the last try: ask for a new code".to_string(),
                        n => format!("the code is wrong; {n} tries left"),
                    };
                    Ok((422, json!({ "error": "wrong_code", "message": message, "checks_left": left })))
                }
                Outcome::Expired | Outcome::TooManyChecks => {
                    db.execute("UPDATE codes SET open = 0 WHERE id = ?1", params![id])
                        .map_err(db_error)?;
                    let message = if outcome == Outcome::Expired {
                        "the code has expired: ask for a new code"
                    } else {
                        "too many wrong codes: ask for a new code"
                    };
                    Ok((410, json!({ "error": outcome.error(), "message": message })))
                }
                Outcome::NoCode => Ok((
                    404,
                    json!({ "error": "no_code", "message": format!("no code is waiting for {phone}: ask for a code first") }),
                )),
            }
        })?)
    }

    /// The public key that signs verification tokens.
    pub fn jwks(&self) -> Value {
        self.keys.jwks()
    }

    /// The claims of a verification token (`POST /verify/token`), as a
    /// site's backend would check it.
    pub fn token_claims(&self, token: &str, now: i64) -> Reply {
        match self.keys.claims(token, now, &self.config.verify_audience) {
            Ok(claims) => (200, json!({ "valid": true, "claims": claims })),
            Err(e) => (400, json!({ "valid": false, "message": e })),
        }
    }
}
