//! HTTP dates (RFC 9110 §5.6.7): `Last-Modified` is written as an
//! IMF-fixdate, and `If-Modified-Since`/`If-Range` are read in all three
//! formats a recipient must accept. Seconds since the Unix epoch, UTC, no
//! clock and no heap.
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

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The IMF-fixdate of `secs` (seconds since 1970-01-01 UTC), 29 bytes:
/// `Sun, 06 Nov 1994 08:49:37 GMT`. Years past 9999 are written as 9999.
// Every value below is reduced modulo its field's range first, so the
// casts and the indexing stay in bounds.
#[allow(
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing
)]
pub fn format(secs: u64) -> [u8; 29] {
    let secs = secs.min(253_402_300_799); // 9999-12-31 23:59:59
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    two(&mut out[5..7], day);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    let y = year as u32;
    out[12] = b'0' + (y / 1000 % 10) as u8;
    out[13] = b'0' + (y / 100 % 10) as u8;
    two(&mut out[14..16], y % 100);
    two(&mut out[17..19], (rem / 3600) as u32);
    two(&mut out[20..22], (rem / 60 % 60) as u32);
    two(&mut out[23..25], (rem % 60) as u32);
    out
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
#[allow(clippy::arithmetic_side_effects)]
fn seconds(year: u64, month: u64, day: u64, time: &[u8]) -> Option<u64> {
    let mut hms = time.split(|&b| b == b':');
    let (h, m, s) = (number(hms.next()?)?, number(hms.next()?)?, number(hms.next()?)?);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
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

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a date in 1970..=9999 (the proleptic Gregorian
/// calendar, counted in 400-year eras from 0000-03-01).
// Bounded inputs: year ≤ 9999, month 1..=12, day 1..=31.
#[allow(clippy::arithmetic_side_effects)]
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
// `days` is at most 2_932_896 (9999-12-31), so nothing overflows.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
fn civil_from_days(days: u64) -> (u64, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

// `n < 100`.
#[allow(
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing
)]
fn two(out: &mut [u8], n: u32) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

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
