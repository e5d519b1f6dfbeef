//! RFC 3339 timestamps (upstream's `resets_at`: `2026-10-12T00:00:00.000Z`) to and from
//! `SystemTime`, without a date crate: the library reads them in refusals and layers, the fake
//! server writes them; and where the current UTC week (Monday) and month began (`GET /key`'s
//! `usage_weekly` and `usage_monthly` windows, for the runway). Dates before 1970 and instants
//! past `SystemTime`'s range are `None`, never a panic.

use std::time::{Duration, SystemTime};

pub(crate) const DAY: u64 = 86_400;

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t` or a space for `T`, `z` for `Z`); no offset
/// is read as UTC.
pub(crate) fn parse(text: &str) -> Option<SystemTime> {
    let b = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = b.get(range)?;
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
    };
    let sep = |i: usize, want: &[u8]| b.get(i).is_some_and(|c| want.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if year < 1970 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // 60: a leap second, read as the next second.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if sep(i, b".") {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Nanoseconds from the first nine digits; the rest cannot matter.
        for (k, d) in b[start..i].iter().take(9).enumerate() {
            nanos += u32::from(d - b'0') * 10u32.pow(8 - k as u32);
        }
    }
    let offset: i64 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && sep(i + 3, b":") => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i64;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let local = days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60 + second;
    let utc = u64::try_from(i64::try_from(local).ok()?.checked_sub(offset)?).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(utc, nanos))
}

/// `2026-10-12T00:00:00Z` (whole seconds, UTC); the epoch for an instant before it.
pub(crate) fn format(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days(secs / DAY);
    let s = secs % DAY;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Midnight UTC of the Monday that began `t`'s week (upstream's week is Monday-Sunday).
pub(crate) fn week_start(t: SystemTime) -> Option<SystemTime> {
    let days = t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs() / DAY;
    // 1970-01-01 was a Thursday: Monday-based weekday 3.
    let since_monday = (days + 3) % 7;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs((days - since_monday) * DAY))
}

/// Midnight UTC of the first day of `t`'s month.
pub(crate) fn month_start(t: SystemTime) -> Option<SystemTime> {
    let days = t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs() / DAY;
    let (year, month, _) = civil_from_days(days);
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(days_from_civil(year, month, 1) * DAY))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01, for dates from 1970 on.
pub(crate) fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // Wednesday 2026-12-09 13:00 UTC: the week began Monday 2026-12-07, the month 2026-12-01.
        let t = parse("2026-12-09T13:00:00Z").unwrap();
        assert_eq!(week_start(t), parse("2026-12-07T00:00:00Z"));
        assert_eq!(month_start(t), parse("2026-12-01T00:00:00Z"));
        // A Monday at midnight is its own week's start; 2024-02-29 (leap day) is in February.
        let monday = parse("2026-12-07T00:00:00Z").unwrap();
        assert_eq!(week_start(monday), Some(monday));
        assert_eq!(month_start(parse("2024-02-29T23:59:59Z").unwrap()), parse("2024-02-01T00:00:00Z"));
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn upstream_forms_and_offsets() {
        // 2026-10-12 is day 20_738.
        let midnight = at(days_from_civil(2026, 10, 12) * DAY);
        assert_eq!(days_from_civil(2026, 10, 12), 20_738);
        assert_eq!(parse("2026-10-12T00:00:00.000Z"), Some(midnight));
        assert_eq!(parse("2026-10-12T00:00:00Z"), Some(midnight));
        assert_eq!(parse("2026-10-12 00:00:00"), Some(midnight));
        assert_eq!(parse("2026-10-12T02:00:00+02:00"), Some(midnight));
        assert_eq!(parse("2026-10-11T22:30:00-01:30"), Some(midnight));
        assert_eq!(parse("2026-10-12T00:00:00.5Z"), Some(midnight + Duration::from_millis(500)));
        assert_eq!(parse("2026-10-12T00:00:00.123456789123Z"), Some(midnight + Duration::from_nanos(123_456_789)));
        assert_eq!(parse("2028-02-29T00:00:00Z"), Some(at(days_from_civil(2028, 2, 29) * DAY)));
        assert_eq!(format(midnight + Duration::from_secs(3723)), "2026-10-12T01:02:03Z");
    }

    #[test]
    fn what_is_not_a_timestamp_is_none() {
        for bad in [
            "",
            "soon",
            "2026-10-12",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-10-32T00:00:00Z",
            "2026-10-12T24:00:00Z",
            "2026-10-12T00:60:00Z",
            "2026-10-12T00:00:00.Z",
            "2026-10-12T00:00:00ZZ",
            "2026-10-12T00:00:00+2:00",
            "2026-10-12T00:00:00+24:00",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+00:01",
            "+026-10-12T00:00:00Z",
            "2026-10-12T00:00:00Z\u{e9}",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(text in "\\PC{0,40}", secs in 0u64..253_402_300_800) {
            let _ = parse(&text);
            prop_assert_eq!(parse(&format(at(secs))), Some(at(secs)));
        }
    }
}
