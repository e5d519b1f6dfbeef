//! UTC calendar arithmetic the money code needs: RFC 3339 timestamps as upstream sends them
//! (`resets_at`), and where the current UTC week (Monday) and month began (`GET /key`'s
//! `usage_weekly` and `usage_monthly` windows). Days are counted from 1970-01-01 with Howard
//! Hinnant's civil-calendar algorithms (proleptic Gregorian, no leap seconds, as Unix time).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAY: u64 = 86_400;

/// Days since 1970-01-01 of a civil date (`month` 1-12, `day` 1-31).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a day counted from 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if month <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, month, day)
}

/// Seconds since the epoch; `None` before it (no UTC window of interest starts there).
fn unix_seconds(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Midnight UTC of the Monday that began `t`'s week (upstream's week is Monday-Sunday).
pub(crate) fn week_start(t: SystemTime) -> Option<SystemTime> {
    let days = unix_seconds(t)? / DAY;
    // 1970-01-01 was a Thursday: Monday-based weekday index 3.
    let since_monday = (days + 3) % 7;
    Some(UNIX_EPOCH + Duration::from_secs((days - since_monday) * DAY))
}

/// Midnight UTC of the first day of `t`'s month.
pub(crate) fn month_start(t: SystemTime) -> Option<SystemTime> {
    let days = i64::try_from(unix_seconds(t)? / DAY).ok()?;
    let (year, month, _) = civil_from_days(days);
    let first = u64::try_from(days_from_civil(year, month, 1)).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(first * DAY))
}

/// An RFC 3339 / ISO 8601 timestamp with a time and an offset (`2026-10-12T00:00:00.000Z`,
/// `2026-10-12T02:00:00+02:00`); `None` for anything else, never a panic.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.trim().as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter().try_fold(0u32, |n, d| n.checked_mul(10)?.checked_add(u32::from(d - b'0')))
    };
    let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Fractional seconds: read up to nanoseconds, the rest ignored.
    let mut i = 19;
    let mut nanos = 0u32;
    if sep(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub((i - start) as u32));
    }
    let offset: i64 = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit()).then(|| i64::from((a - b'0') * 10 + (b - b'0')))
            };
            let minutes = two(*h1, *h2)? * 60 + two(*m1, *m2)?;
            if *sign == b'+' { minutes * 60 } else { -minutes * 60 }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = days * DAY as i64 + i64::from(hour * 3600 + minute * 60 + second.min(59)) - offset;
    let seconds = u64::try_from(seconds).ok()?;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn timestamps_as_upstream_sends_them() {
        // 2026-10-12T00:00:00Z is 1_791_763_200.
        assert_eq!(parse_rfc3339("2026-10-12T00:00:00.000Z"), Some(at(1_791_763_200)));
        assert_eq!(parse_rfc3339("2026-10-12T00:00:00Z"), Some(at(1_791_763_200)));
        assert_eq!(parse_rfc3339("2026-10-12T02:00:00+02:00"), Some(at(1_791_763_200)));
        assert_eq!(parse_rfc3339("2026-10-11T22:00:00-02:00"), Some(at(1_791_763_200)));
        assert_eq!(parse_rfc3339("2026-10-12T00:00:00.5Z"), Some(at(1_791_763_200) + Duration::from_millis(500)));
        for bad in ["", "2026-10-12", "2026-13-01T00:00:00Z", "2026-10-12T24:00:00Z", "2026-10-12T00:00:00", "x"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // Wednesday 2026-12-09 13:00 UTC: the week began Monday 2026-12-07, the month 2026-12-01.
        let t = parse_rfc3339("2026-12-09T13:00:00Z").unwrap();
        assert_eq!(week_start(t), parse_rfc3339("2026-12-07T00:00:00Z"));
        assert_eq!(month_start(t), parse_rfc3339("2026-12-01T00:00:00Z"));
        // A Monday at midnight is its own week's start; 2024-02-29 (leap day) is in February.
        let monday = parse_rfc3339("2026-12-07T00:00:00Z").unwrap();
        assert_eq!(week_start(monday), Some(monday));
        let leap = parse_rfc3339("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(month_start(leap), parse_rfc3339("2024-02-01T00:00:00Z"));
    }

    proptest! {
        #[test]
        fn civil_dates_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn any_text_parses_or_not_without_panicking(text in ".{0,40}") {
            let _ = parse_rfc3339(&text);
        }
    }
}
