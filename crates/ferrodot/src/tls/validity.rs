//! A certificate's validity period, read from its DER encoding.
//!
//! ```
//! use ferrodot::tls::validity::validity;
//!
//! // A certificate's start, as far as it is read: serial 1, an empty
//! // signature algorithm and issuer, then the validity: all of 2026.
//! let mut der = vec![0x30, 0x29, 0x30, 0x27, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00, 0x30, 0x1e];
//! for time in [b"260101000000Z", b"261231235959Z"] {
//!     der.extend_from_slice(&[0x17, 0x0d]); // UTCTime, 13 bytes
//!     der.extend_from_slice(time);
//! }
//! let period = validity(&der).expect("a certificate");
//! assert_eq!(period.not_after.to_string(), "2026-12-31 23:59:59 UTC");
//! assert!(period.not_before.unix_seconds() < period.not_after.unix_seconds());
//! assert_eq!(validity(b"not DER"), None);
//! ```
//!
//! rustls checks the dates of the certificates a *client* presents, but
//! nothing checks the server's own: an expired certificate loads and every
//! browser then refuses it. A server should say so when it starts. Only the
//! few fields before `validity` are walked (RFC 5280 §4.1), so this needs no
//! X.509 parser.

use core::fmt;

/// A moment in UTC, to the second, as a certificate states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcTime {
    /// The year, e.g. 2026 (UTCTime's two digits are read as 1950–2049,
    /// RFC 5280 §4.1.2.5.1).
    pub year: u16,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59 (no leap seconds in certificates).
    pub second: u8,
}

impl UtcTime {
    /// Seconds since 1970-01-01 00:00:00 UTC (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
            .saturating_mul(86_400)
            .saturating_add(i64::from(self.hour).saturating_mul(3600))
            .saturating_add(i64::from(self.minute).saturating_mul(60))
            .saturating_add(i64::from(self.second))
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days from 1970-01-01 to a (valid) date: the HTTP date reader's calendar.
fn days_from_civil(year: u16, month: u8, day: u8) -> i64 {
    crate::http::date::days_from_civil(i64::from(year), i64::from(month), i64::from(day))
}

/// `notBefore` and `notAfter` of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// The first moment the certificate is valid.
    pub not_before: UtcTime,
    /// The last moment the certificate is valid.
    pub not_after: UtcTime,
}

/// Read the validity period of a DER-encoded X.509 certificate; `None`
/// when the bytes are not one.
pub fn validity(certificate: &[u8]) -> Option<Validity> {
    let (certificate, _) = expect(certificate, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let mut rest = tbs;
    // version [0] EXPLICIT, absent in v1 certificates.
    if let Some((tag, _, after)) = tlv(rest) {
        if tag == VERSION {
            rest = after;
        }
    }
    let (_serial, rest) = expect(rest, INTEGER)?;
    let (_signature, rest) = expect(rest, SEQUENCE)?;
    let (_issuer, rest) = expect(rest, SEQUENCE)?;
    let (validity, _) = expect(rest, SEQUENCE)?;
    let (not_before, rest) = time(validity)?;
    let (not_after, _) = time(rest)?;
    Some(Validity { not_before, not_after })
}

const INTEGER: u8 = 0x02;
const SEQUENCE: u8 = 0x30;
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// One DER element: tag, contents, what follows. Definite lengths only,
/// up to four length bytes, within `input`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        bytes.iter().fold(0usize, |len, &b| (len << 8) | usize::from(b))
    };
    let (contents, after) = rest.split_at_checked(len)?;
    Some((tag, contents, after))
}

fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    match tlv(input)? {
        (tag, contents, rest) if tag == want => Some((contents, rest)),
        _ => None,
    }
}

/// A `Time` (RFC 5280 §4.1.2.5): `YYMMDDHHMMSSZ` as UTCTime (years 1950 to
/// 2049) or `YYYYMMDDHHMMSSZ` as GeneralizedTime.
fn time(input: &[u8]) -> Option<(UtcTime, &[u8])> {
    let (tag, contents, rest) = tlv(input)?;
    let (year, digits) = match (tag, contents) {
        (UTC_TIME, [y1, y2, digits @ .., b'Z']) if digits.len() == 10 => {
            let yy = u16::from(two(*y1, *y2)?);
            (
                if yy >= 50 {
                    1900u16.checked_add(yy)?
                } else {
                    2000u16.checked_add(yy)?
                },
                digits,
            )
        }
        (GENERALIZED_TIME, [y1, y2, y3, y4, digits @ .., b'Z']) if digits.len() == 10 => {
            let high = u16::from(two(*y1, *y2)?);
            (high.checked_mul(100)?.checked_add(u16::from(two(*y3, *y4)?))?, digits)
        }
        _ => return None,
    };
    let [mo1, mo2, d1, d2, h1, h2, mi1, mi2, s1, s2] = *digits else {
        return None;
    };
    let time = UtcTime {
        year,
        month: two(mo1, mo2)?,
        day: two(d1, d2)?,
        hour: two(h1, h2)?,
        minute: two(mi1, mi2)?,
        second: two(s1, s2)?,
    };
    let valid = (1..=12).contains(&time.month)
        && time.day >= 1
        && time.day <= days_in_month(time.year, time.month)
        && time.hour < 24
        && time.minute < 60
        && time.second < 60;
    valid.then_some((time, rest))
}

fn two(tens: u8, ones: u8) -> Option<u8> {
    let digit = |c: u8| c.is_ascii_digit().then(|| c.wrapping_sub(b'0'));
    digit(tens)?.checked_mul(10)?.checked_add(digit(ones)?)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    // 28..=31 for the months a certificate time can name.
    u8::try_from(crate::http::date::days_in_month(i64::from(year), i64::from(month))).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> UtcTime {
        UtcTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    #[test]
    fn unix_seconds_of_known_dates() {
        assert_eq!(t(1970, 1, 1, 0, 0, 0).unix_seconds(), 0);
        assert_eq!(t(2000, 3, 1, 0, 0, 0).unix_seconds(), 951_868_800);
        assert_eq!(t(2024, 2, 29, 12, 30, 15).unix_seconds(), 1_709_209_815);
        assert_eq!(t(1969, 12, 31, 23, 59, 59).unix_seconds(), -1);
        assert_eq!(t(9999, 12, 31, 23, 59, 59).unix_seconds(), 253_402_300_799);
    }

    /// A tbsCertificate with the given validity, wrapped as a certificate.
    fn certificate(times: &[u8], version: bool) -> std::vec::Vec<u8> {
        let mut tbs = std::vec::Vec::new();
        if version {
            tbs.extend_from_slice(&[0xa0, 0x03, 0x02, 0x01, 0x02]);
        }
        tbs.extend_from_slice(&[0x02, 0x01, 0x07]); // serial
        tbs.extend_from_slice(&[0x30, 0x00]); // signature algorithm
        tbs.extend_from_slice(&[0x30, 0x00]); // issuer
        tbs.push(0x30);
        tbs.push(u8::try_from(times.len()).unwrap());
        tbs.extend_from_slice(times);
        tbs.extend_from_slice(&[0x30, 0x00]); // subject
        let mut inner = std::vec![0x30, 0x81, u8::try_from(tbs.len()).unwrap()];
        inner.extend_from_slice(&tbs);
        let mut cert = std::vec![0x30, 0x82, 0x00, u8::try_from(inner.len()).unwrap()];
        cert.extend_from_slice(&inner);
        cert
    }

    #[test]
    fn reads_utc_and_generalized_times() {
        let mut times = std::vec![0x17, 13];
        times.extend_from_slice(b"990102030405Z");
        times.extend_from_slice(&[0x18, 15]);
        times.extend_from_slice(b"20500607080910Z");
        for version in [true, false] {
            let v = validity(&certificate(&times, version)).unwrap();
            assert_eq!(v.not_before, t(1999, 1, 2, 3, 4, 5));
            assert_eq!(v.not_after, t(2050, 6, 7, 8, 9, 10));
            assert_eq!(std::format!("{}", v.not_after), "2050-06-07 08:09:10 UTC");
        }
    }

    #[test]
    fn refuses_bad_dates_and_truncation() {
        for bad in [
            &b"990230030405Z"[..],
            b"991302030405Z",
            b"990102240405Z",
            b"99010203040Z5",
            b"9901020304050",
        ] {
            let mut times = std::vec![0x17, 13];
            times.extend_from_slice(bad);
            times.extend_from_slice(&[0x17, 13]);
            times.extend_from_slice(b"990102030405Z");
            assert_eq!(validity(&certificate(&times, true)), None, "{bad:?}");
        }
        let mut times = std::vec![0x17, 13];
        times.extend_from_slice(b"990102030405Z");
        times.extend_from_slice(&[0x17, 13]);
        times.extend_from_slice(b"240229030405Z");
        let cert = certificate(&times, true);
        assert!(validity(&cert).is_some());
        for cut in 0..cert.len() {
            assert_eq!(validity(&cert[..cut]), None, "cut at {cut}");
        }
    }
}
