//! Rate limits against SMS pumping: a phone form on the open web can be
//! driven to text premium-rate numbers, one number after another in the same
//! range. Subscription requests are counted per client IP, per phone number
//! and per number prefix (the first digits, which pick the carrier range) in
//! fixed windows; past a limit the request is refused whole, with the
//! seconds until it may be retried.

use std::collections::HashMap;

/// At most `requests` in `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests allowed in one window.
    pub requests: u32,
    /// The window's length.
    pub window_seconds: u32,
}

/// The limits of one sandbox or relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per client IP.
    pub per_ip: Limit,
    /// Per phone number.
    pub per_phone: Limit,
    /// Per number prefix.
    pub per_prefix: Limit,
    /// How many digits after `+` make a prefix.
    pub prefix_digits: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_ip: Limit {
                requests: 300,
                window_seconds: 60,
            },
            per_phone: Limit {
                requests: 10,
                window_seconds: 3600,
            },
            per_prefix: Limit {
                requests: 100,
                window_seconds: 3600,
            },
            prefix_digits: 6,
        }
    }
}

/// The counters one request from `ip` naming `phones` counts against, with
/// their limits, each once.
pub fn keys(l: &Limits, ip: &str, phones: &[&str]) -> Vec<(String, Limit)> {
    let mut keys = vec![(format!("ip {ip}"), l.per_ip)];
    for phone in phones {
        keys.push((format!("phone {phone}"), l.per_phone));
        let prefix: String = phone.chars().take(1 + l.prefix_digits).collect();
        keys.push((format!("prefix {prefix}"), l.per_prefix));
    }
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys.dedup_by(|a, b| a.0 == b.0);
    keys
}

/// Windows are dropped once over, when this many keys are held.
const PRUNE_AT: usize = 100_000;

/// The counters.
#[derive(Debug, Default)]
pub struct Limiter {
    limits: Limits,
    /// key -> (window start in ms, requests in it)
    windows: HashMap<String, (i64, u32)>,
}

impl Limiter {
    /// A limiter with no requests counted yet.
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            windows: HashMap::new(),
        }
    }

    /// Counts one request from `ip` naming `phones` at `now` (ms). When any
    /// limit is reached, counts nothing and returns the seconds until the
    /// longest-blocked of them allows it again.
    pub fn admit(&mut self, ip: &str, phones: &[&str], now: i64) -> Result<(), u64> {
        let l = self.limits;
        let keys = keys(&l, ip, phones);
        if self.windows.len() >= PRUNE_AT {
            let longest = [l.per_ip, l.per_phone, l.per_prefix]
                .iter()
                .map(|x| window_ms(*x))
                .max()
                .unwrap_or(0);
            self.windows.retain(|_, (start, _)| now - *start < longest);
        }
        let mut wait = 0;
        for (key, limit) in &keys {
            if let Some(&(start, count)) = self.windows.get(key) {
                let end = start + window_ms(*limit);
                if now < end && count >= limit.requests {
                    wait = wait.max(((end - now) as u64).div_ceil(1000));
                }
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for (key, limit) in keys {
            let entry = self.windows.entry(key).or_insert((now, 0));
            if now >= entry.0 + window_ms(limit) {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }
}

/// A limit's window in milliseconds.
pub fn window_ms(l: Limit) -> i64 {
    i64::from(l.window_seconds) * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> Limiter {
        Limiter::new(Limits {
            per_ip: Limit {
                requests: 5,
                window_seconds: 60,
            },
            per_phone: Limit {
                requests: 2,
                window_seconds: 3600,
            },
            per_prefix: Limit {
                requests: 3,
                window_seconds: 3600,
            },
            prefix_digits: 6,
        })
    }

    #[test]
    fn per_phone_then_per_prefix_then_the_window_ends() {
        let mut l = limiter();
        assert_eq!(l.admit("a", &["+447700900001"], 0), Ok(()));
        assert_eq!(l.admit("b", &["+447700900001"], 1_000), Ok(()));
        // A third request for the number, from anywhere, waits for its hour.
        assert_eq!(l.admit("c", &["+447700900001"], 2_000), Err(3598));
        // The range +447700: one more number, then it is closed too.
        assert_eq!(l.admit("c", &["+447700900002"], 2_000), Ok(()));
        assert_eq!(l.admit("d", &["+447700900003"], 3_000), Err(3597));
        // Another range is not affected; and after the hour all is open again.
        assert_eq!(l.admit("d", &["+14155550100"], 3_000), Ok(()));
        assert_eq!(l.admit("e", &["+447700900001"], 3_600_000), Ok(()));
    }

    #[test]
    fn per_ip_and_a_refused_request_counts_nothing() {
        let mut l = limiter();
        for i in 0..5 {
            assert_eq!(l.admit("10.0.0.1", &[], i * 1_000), Ok(()));
        }
        assert_eq!(l.admit("10.0.0.1", &["+14155550100"], 10_000), Err(50));
        // The refused request did not count against the number.
        assert_eq!(l.admit("10.0.0.2", &["+14155550100"], 10_000), Ok(()));
        assert_eq!(l.admit("10.0.0.1", &[], 60_000), Ok(()));
    }

    #[test]
    fn one_request_naming_a_number_twice_counts_it_once() {
        let mut l = limiter();
        assert_eq!(l.admit("a", &["+14155550100", "+14155550100"], 0), Ok(()));
        assert_eq!(l.admit("a", &["+14155550100"], 0), Ok(()));
        assert!(l.admit("a", &["+14155550100"], 0).is_err());
    }
}

/// The optional `limits` of a configuration file (the sandbox's and the
/// relay's).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    per_ip: Option<Limit>,
    per_phone: Option<Limit>,
    per_prefix: Option<Limit>,
    prefix_digits: Option<usize>,
}

impl FileLimits {
    /// The limits, defaults filled in, validated; the error names the limit.
    pub fn limits(&self, at: &str) -> Result<Limits, String> {
        let d = Limits::default();
        let limits = Limits {
            per_ip: self.per_ip.unwrap_or(d.per_ip),
            per_phone: self.per_phone.unwrap_or(d.per_phone),
            per_prefix: self.per_prefix.unwrap_or(d.per_prefix),
            prefix_digits: self.prefix_digits.unwrap_or(d.prefix_digits),
        };
        for (name, l) in [
            ("per_ip", limits.per_ip),
            ("per_phone", limits.per_phone),
            ("per_prefix", limits.per_prefix),
        ] {
            if l.requests == 0 || !(1..=86_400).contains(&l.window_seconds) {
                return Err(format!(
                    "{at}: limits.{name} is {l:?}; expected requests of 1 or more and window_seconds from 1 to 86400"
                ));
            }
        }
        if !(1..=14).contains(&limits.prefix_digits) {
            return Err(format!(
                "{at}: limits.prefix_digits is {}; expected 1 to 14",
                limits.prefix_digits
            ));
        }
        Ok(limits)
    }
}
