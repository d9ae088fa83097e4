//! Messages to members: the per-country rules, with the clock passed in.
//! The service ([`crate::service`]) picks the recipients, pays each text
//! from the quota and keeps every recipient's status; this module decides
//! whether a text may go to a country's number now, when it may go
//! otherwise, and refuses a text that breaks a rule, naming it.
//!
//! On by default, each can be turned off in the configuration's
//! `message_rules`:
//! - **US, `quiet_hours`**: nothing promotional is sent outside 8:00-21:00
//!   in the recipient's time zone. The sandbox does not know a number's
//!   zone, so it sends only while it is 8:00-21:00 in every US zone
//!   (Eastern to Hawaii, daylight saving time included) and defers the
//!   rest to the next such time.
//! - **KR, `advertising`**: an advertising text starts with "(광고)",
//!   carries the sender's name and a free opt-out line ("무료수신거부" or
//!   "무료거부" with a number), and is not sent 21:00-08:00 Korean time
//!   (deferred to 8:00), as the sandbox records no separate night consent.

/// Which rules apply (the configuration's `message_rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The US quiet hours.
    pub us_quiet_hours: bool,
    /// Korea's advertising rules.
    pub kr_advertising: bool,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            us_quiet_hours: true,
            kr_advertising: true,
        }
    }
}

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The US zones: standard offset from UTC (hours) and whether they keep
/// daylight saving time.
const US_ZONES: [(i64, bool); 7] = [
    (-5, true),   // Eastern
    (-6, true),   // Central
    (-7, true),   // Mountain
    (-7, false),  // Arizona
    (-8, true),   // Pacific
    (-9, true),   // Alaska
    (-10, false), // Hawaii
];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of `ms` (UTC).
fn year_of(ms: i64) -> i64 {
    let days = ms.div_euclid(DAY);
    let mut y = 1970 + days / 365;
    while days_from_civil(y, 1, 1) > days {
        y -= 1;
    }
    while days_from_civil(y + 1, 1, 1) <= days {
        y += 1;
    }
    y
}

/// The `n`th Sunday (1-based) of month `m` of year `y`, as days.
fn nth_sunday(y: i64, m: i64, n: i64) -> i64 {
    let first = days_from_civil(y, m, 1);
    // 1970-01-01 was a Thursday: (days + 4) % 7 is 0 on Sundays.
    let to_sunday = (7 - (first + 4).rem_euclid(7)) % 7;
    first + to_sunday + 7 * (n - 1)
}

/// The local hour (0-23) at `ms` in a US zone.
fn us_hour(ms: i64, (offset, dst): (i64, bool)) -> i64 {
    let standard = ms + offset * HOUR;
    let mut local = standard;
    if dst {
        // From the second Sunday of March, 2:00 standard time, to the
        // first Sunday of November, 2:00 daylight (1:00 standard) time.
        let y = year_of(standard);
        let start = nth_sunday(y, 3, 2) * DAY + 2 * HOUR;
        let end = nth_sunday(y, 11, 1) * DAY + HOUR;
        if (start..end).contains(&standard) {
            local += HOUR;
        }
    }
    local.div_euclid(HOUR).rem_euclid(24)
}

/// Whether a promotional text may go to a number of `country` at `ms`.
pub fn allowed_now(country: &str, advertising: bool, ms: i64, rules: &Rules) -> bool {
    if !advertising {
        return true;
    }
    match country {
        "US" if rules.us_quiet_hours => US_ZONES.iter().all(|z| (8..21).contains(&us_hour(ms, *z))),
        "KR" if rules.kr_advertising => (8..21).contains(&(ms + 9 * HOUR).div_euclid(HOUR).rem_euclid(24)),
        _ => true,
    }
}

/// The first time at or after `ms` (on a 15-minute step) a text may go;
/// `ms` itself when it may go now.
pub fn next_allowed(country: &str, advertising: bool, ms: i64, rules: &Rules) -> i64 {
    if allowed_now(country, advertising, ms, rules) {
        return ms;
    }
    let step = 15 * 60_000;
    let mut t = ms - ms.rem_euclid(step) + step;
    // Every US zone shares some hours each day, and Korea's day opens at
    // 8:00: two days always find one.
    while t < ms + 2 * DAY && !allowed_now(country, advertising, t, rules) {
        t += step;
    }
    t
}

/// Why an advertising text may not go to a Korean number: the rule it
/// breaks. `sender` is the registered sender's name.
pub fn kr_content(text: &str, sender: &str) -> Option<String> {
    if !text.starts_with("(광고)") {
        return Some("kr_advertising_prefix: an advertising text to Korean numbers starts with \"(광고)\"".into());
    }
    if !text.contains(sender) {
        return Some(format!(
            "kr_advertising_sender: an advertising text to Korean numbers carries the sender's name ({sender:?})"
        ));
    }
    let opt_out = ["무료수신거부", "무료거부"].iter().any(|w| {
        text.split(w)
            .nth(1)
            .is_some_and(|rest| rest.chars().take(6).any(|c| c.is_ascii_digit()))
    });
    if !opt_out {
        return Some(
            "kr_advertising_opt_out: an advertising text to Korean numbers carries a free opt-out line (\"무료수신거부\" and a number)"
                .into(),
        );
    }
    None
}

/// `ms` as ISO 8601 UTC (`2026-12-01T09:30:00Z`).
pub fn iso(ms: i64) -> String {
    let days = ms.div_euclid(DAY);
    let y = year_of(ms);
    let mut m = 1;
    while m < 12 && days_from_civil(y, m + 1, 1) <= days {
        m += 1;
    }
    let d = days - days_from_civil(y, m, 1) + 1;
    let s = ms.rem_euclid(DAY) / 1000;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Reads ISO 8601 with a zone: `YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)`,
/// as ms since the epoch.
pub fn parse_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    if b.len() < 17 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    let (y, mo, d, h, mi) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?);
    let mut i = 16;
    let mut sec = 0;
    if b.get(i) == Some(&b':') {
        sec = num(i + 1..i + 3)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    let zone = match text.get(i..)? {
        "Z" | "z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
            let minutes = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if z.starts_with('-') {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let month_days = days_from_civil(if mo == 12 { y + 1 } else { y }, if mo == 12 { 1 } else { mo + 1 }, 1)
        - days_from_civil(y, mo, 1);
    if !(1..=12).contains(&mo) || d < 1 || d > month_days || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - zone * 60) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        parse_iso(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn iso_dates_read_and_write() {
        assert_eq!(at("1970-01-01T00:00:00Z"), 0);
        assert_eq!(at("2026-12-01T09:30:00Z"), 1_796_117_400_000);
        assert_eq!(iso(1_796_117_400_000), "2026-12-01T09:30:00Z");
        assert_eq!(at("2026-12-01T18:30:00+09:00"), at("2026-12-01T09:30:00Z"));
        assert_eq!(at("2026-12-01T04:30-05:00"), at("2026-12-01T09:30:00Z"));
        assert_eq!(at("2024-02-29T00:00:00.250Z"), at("2024-02-29T00:00:00Z"));
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T09:30:00",
            "tomorrow",
            "2026-13-01T00:00Z",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn us_daylight_saving_time_starts_and_ends_on_the_right_sundays() {
        let eastern = (-5, true);
        // 2026: second Sunday of March is the 8th, first Sunday of November the 1st.
        assert_eq!(us_hour(at("2026-03-08T06:59:00Z"), eastern), 1);
        assert_eq!(us_hour(at("2026-03-08T07:00:00Z"), eastern), 3);
        assert_eq!(us_hour(at("2026-11-01T05:59:00Z"), eastern), 1);
        assert_eq!(us_hour(at("2026-11-01T06:00:00Z"), eastern), 1);
        assert_eq!(us_hour(at("2026-07-01T12:00:00Z"), (-10, false)), 2);
    }

    #[test]
    fn us_promotions_go_only_while_every_zone_is_between_8_and_21() {
        let r = Rules::default();
        // 19:00 UTC in December: 14:00 Eastern, 9:00 Hawaii.
        assert!(allowed_now("US", true, at("2026-12-01T19:00:00Z"), &r));
        // 14:00 UTC: 9:00 Eastern but 4:00 Hawaii.
        assert!(!allowed_now("US", true, at("2026-12-01T14:00:00Z"), &r));
        assert_eq!(
            next_allowed("US", true, at("2026-12-01T14:00:00Z"), &r),
            at("2026-12-01T18:00:00Z")
        );
        // 02:00 UTC is 21:00 Eastern: closed until 18:00.
        assert_eq!(
            next_allowed("US", true, at("2026-12-02T02:00:00Z"), &r),
            at("2026-12-02T18:00:00Z")
        );
        // Not promotional, or the rule off: any time.
        assert!(allowed_now("US", false, at("2026-12-01T14:00:00Z"), &r));
        let off = Rules {
            us_quiet_hours: false,
            ..r
        };
        assert!(allowed_now("US", true, at("2026-12-01T14:00:00Z"), &off));
        // Other countries have no hours here.
        assert!(allowed_now("GB", true, at("2026-12-01T03:00:00Z"), &r));
    }

    #[test]
    fn korean_advertising_waits_for_8_and_names_the_rule_it_breaks() {
        let r = Rules::default();
        // 13:00 UTC is 22:00 in Seoul.
        assert!(!allowed_now("KR", true, at("2026-12-01T13:00:00Z"), &r));
        assert_eq!(
            next_allowed("KR", true, at("2026-12-01T13:00:00Z"), &r),
            at("2026-12-01T23:00:00Z")
        );
        assert!(allowed_now("KR", true, at("2026-12-01T03:00:00Z"), &r));
        let good = "(광고) 에이크미 겨울 세일 20% 무료수신거부 0801234567";
        assert_eq!(kr_content(good, "에이크미"), None);
        let named =
            |text: &str| kr_content(text, "에이크미").map(|e| e.split(':').next().unwrap_or_default().to_string());
        assert_eq!(
            named("에이크미 겨울 세일 무료수신거부 0801234567").as_deref(),
            Some("kr_advertising_prefix")
        );
        assert_eq!(
            named("(광고) 겨울 세일 무료수신거부 0801234567").as_deref(),
            Some("kr_advertising_sender")
        );
        assert_eq!(
            named("(광고) 에이크미 겨울 세일").as_deref(),
            Some("kr_advertising_opt_out")
        );
        assert_eq!(
            named("(광고) 에이크미 무료수신거부 없음").as_deref(),
            Some("kr_advertising_opt_out")
        );
    }
}
