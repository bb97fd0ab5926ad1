//! HTTP dates (RFC 9110 §5.6.7): `Date` and `Last-Modified` are written
//! as an IMF-fixdate, and `If-Modified-Since`/`If-Range` are read in all
//! three formats a recipient must accept. Seconds since the Unix epoch,
//! UTC, no heap; the only clock is `system_now`, with `std`.
//!
//! ```
//! use ferrodot::http::date::{format, parse};
//!
//! assert_eq!(&format(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
//! assert_eq!(parse(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
//! assert_eq!(parse(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777)); // RFC 850
//! assert_eq!(parse(b"Sun Nov  6 08:49:37 1994"), Some(784_111_777)); // asctime
//! assert_eq!(parse(b"yesterday"), None);
//! ```

use crate::http::response::BufWriter;

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Write the IMF-fixdate of `unix_seconds` (seconds since 1970-01-01 UTC):
/// `Sun, 06 Nov 1994 08:49:37 GMT`. Years past 9999 are written as 9999.
// Bounded arithmetic: the seconds are clamped to year 9999, so the days
// fit an i32, and the civil-date steps (Hinnant's `civil_from_days`)
// divide by positive constants.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
pub fn write(w: &mut BufWriter<'_>, unix_seconds: u64) {
    // Beyond year 9999 the format has no room: clamp there.
    let secs = unix_seconds.min(253_402_300_799);
    // 86400 = 128 × 675, and 253402300799 >> 7 fits a u32: days without
    // a 64-bit division, which would pull a software routine into 32-bit
    // firmware.
    let days = (secs >> 7) as u32 / 675;
    let rem = (secs - u64::from(days) * 86_400) as u32;
    // Up to year 9999 every step below fits an i32 (no 64-bit division).
    let days = days as i32;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i32::from(month <= 2);
    w.push(DAYS.get((days % 7) as usize).copied().unwrap_or(b"Thu"));
    w.push(b", ");
    push_two(w, day as u32);
    w.push(b" ");
    w.push(MONTHS.get((month - 1) as usize).copied().unwrap_or(b"Jan"));
    w.push(b" ");
    w.push_u64(year as u64);
    w.push(b" ");
    push_two(w, rem / 3600);
    w.push(b":");
    push_two(w, rem % 3600 / 60);
    w.push(b":");
    push_two(w, rem % 60);
    w.push(b" GMT");
}

fn push_two(w: &mut BufWriter<'_>, n: u32) {
    if n < 10 {
        w.push(b"0");
    }
    w.push_u64(u64::from(n));
}

/// Now, in Unix seconds, from the system clock (0 if it is set before 1970):
/// the server's default clock for `Date` (`server::Config::clock`).
#[cfg(feature = "std")]
pub fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The IMF-fixdate of `secs` as 29 bytes (see [`write`](fn@write)).
pub fn format(secs: u64) -> [u8; 29] {
    let mut out = [0u8; 29];
    write(&mut BufWriter::new(&mut out), secs);
    out
}

/// [`format`], computed once per second on each thread: every response
/// carries a `Date`, and writing one costs more than parsing a small
/// request head.
#[cfg(feature = "std")]
pub(crate) fn format_cached(secs: u64) -> [u8; 29] {
    use core::cell::Cell;
    std::thread_local! {
        static LAST: Cell<Option<(u64, [u8; 29])>> = const { Cell::new(None) };
    }
    LAST.with(|last| match last.get() {
        Some((at, text)) if at == secs => text,
        _ => {
            let text = format(secs);
            last.set(Some((secs, text)));
            text
        }
    })
}

/// Read an HTTP date in any of its three forms; `None` for anything else
/// (a recipient treats an invalid date as absent, §13.1.3).
pub fn parse(text: &[u8]) -> Option<u64> {
    let text = text.trim_ascii();
    let mut words = text.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let first = words.next()?;
    let (day, month, year, time) = if first.ends_with(b",") && first.len() == 4 {
        // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`
        let (d, m, y, t) = (words.next()?, words.next()?, words.next()?, words.next()?);
        (number(d)?, month_of(m)?, number(y)?, t)
    } else if first.ends_with(b",") {
        // RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`; two-digit years are
        // read within 50 years of 2000 (§5.6.7 asks for the past century
        // nearest the present, which a device without a clock cannot know).
        let mut parts = words.next()?.split(|&b| b == b'-');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        let y = number(y)?;
        let y = if y < 50 {
            y.checked_add(2000)?
        } else {
            y.checked_add(1900)?
        };
        (number(d)?, month_of(m)?, y, words.next()?)
    } else {
        // asctime: `Sun Nov  6 08:49:37 1994`
        let (m, d, t, y) = (words.next()?, words.next()?, words.next()?, words.next()?);
        if words.next().is_some() {
            return None;
        }
        (number(d)?, month_of(m)?, number(y)?, t)
    };
    if !first.ends_with(b",") || words.next() == Some(&b"GMT"[..]) && words.next().is_none() {
        seconds(year, month, day, time)
    } else {
        None
    }
}

// Every field is checked against its range before it is used.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_wrap)]
fn seconds(year: u64, month: u64, day: u64, time: &[u8]) -> Option<u64> {
    let mut hms = time.split(|&b| b == b':');
    let (h, m, s) = (number(hms.next()?)?, number(hms.next()?)?, number(hms.next()?)?);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    let (y, mo, d) = (year as i64, month as i64, day as i64);
    if d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let days = u64::try_from(days_from_civil(y, mo, d)).ok()?;
    days.checked_mul(86_400)?.checked_add(h * 3600 + m * 60 + s)
}

/// A run of at most four ASCII digits.
#[allow(clippy::arithmetic_side_effects)] // at most 9999
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// 1-based month from its three-letter name (case-sensitive, as the grammar says).
fn month_of(name: &[u8]) -> Option<u64> {
    let index = MONTHS.iter().position(|m| m.as_slice() == name)?;
    u64::try_from(index).ok()?.checked_add(1)
}

/// Days in `month` (1..=12) of `year`, proleptic Gregorian; 0 for a month
/// that does not exist.
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    }
}

/// Days from 1970-01-01 to a valid date (negative before it), counted in
/// 400-year eras that start on 1 March, so the leap day ends its year.
#[allow(clippy::arithmetic_side_effects)] // |year| ≤ 9999, month 1..=12, day 1..=31: a few million at most
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "std")]
    #[test]
    fn the_cached_date_follows_the_clock_either_way() {
        // Forward, the same second again, backwards, and a jump.
        for secs in [
            784_111_777,
            784_111_778,
            784_111_778,
            784_111_777,
            0,
            253_402_300_799,
            784_111_777,
        ] {
            assert_eq!(format_cached(secs), format(secs), "{secs}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Daily from 1970 to 2400, at a time that moves through the day.
        for day in 0..157_000u64 {
            let secs = day * 86_400 + (day * 7919) % 86_400;
            let text = format(secs);
            assert_eq!(parse(&text), Some(secs), "{}", core::str::from_utf8(&text).unwrap());
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(&format(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&format(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(&format(u64::MAX), b"Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(parse(b"Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse(b"  Tue, 29 Feb 2000 00:00:00 GMT "), Some(951_782_400));
        assert_eq!(parse(b"Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
        assert_eq!(parse(b"Thu Jan  1 00:00:00 1970"), Some(0));
    }

    #[test]
    fn invalid_dates_are_none() {
        for bad in [
            &b""[..],
            b"Mon, 30 Feb 2001 00:00:00 GMT",
            b"Thu, 29 Feb 2001 00:00:00 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 06 Nov 1994 08:49:37",
            b"Sun, 06 nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1969 08:49:37 GMT",
            b"Sun, 06 Nov 99999 08:49:37 GMT",
            b"Sun, 6 Nov 1994 08:49 GMT",
            b"Sun Nov  6 08:49:37 1994 extra",
            b"1994-11-06T08:49:37Z",
            b"Sun, 06 Nov 1994 08:49:37 GMT trailing",
        ] {
            assert_eq!(parse(bad), None, "{}", std::string::String::from_utf8_lossy(bad));
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let _ = parse(&bytes);
        }
    }
}
