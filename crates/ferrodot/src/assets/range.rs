//! `Range: bytes=` (RFC 9110 §14) against a representation of known length.

use crate::http::fields::cut;

/// What a `Range` header asks of a representation `len` bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Send the whole representation with 200: no usable `Range` (absent, another
    /// unit, malformed — §14.2 lets a server ignore those), or several disjoint
    /// ranges, which we answer in full rather than as `multipart/byteranges`.
    Full,
    /// Send bytes `start..=end` with 206 and `Content-Range: bytes start-end/len`.
    Partial {
        /// First byte offset.
        start: u64,
        /// Last byte offset, inclusive.
        end: u64,
    },
    /// No range overlaps the representation: 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// One `range-spec` resolved against the length; `None` when it is unsatisfiable.
/// The outer `None` is a syntax error.
fn resolve(spec: &[u8], len: u64) -> Option<Option<(u64, u64)>> {
    let (first, last) = cut(spec, b'-');
    let last = last?;
    // Every form as `start..=end` before clamping: `-N` (the final N bytes) starts
    // at `len - N` (so `-0`, or any suffix of an empty copy, starts at `len`:
    // unsatisfiable), and an open end is the last byte.
    let (start, end) = if first.is_empty() {
        (len.saturating_sub(parse_digits(last)?), u64::MAX)
    } else {
        let start = parse_digits(first)?;
        let end = if last.is_empty() { u64::MAX } else { parse_digits(last)? };
        if end < start {
            return None; // last-pos < first-pos is invalid (§14.1.1)
        }
        (start, end)
    };
    // `start < len`, so `len - 1` does not wrap.
    Some((start < len).then(|| (start, end.min(len.wrapping_sub(1)))))
}

/// 1*DIGIT into a u64; overflow and other bytes are syntax errors.
fn parse_digits(digits: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    (!digits.is_empty()).then_some(n)
}

/// Reads a `Range` value for a representation `len` bytes long.
///
/// Overlapping or adjacent ranges are merged (§14.2 allows coalescing); if they
/// merge into one, that one is served, otherwise the whole representation is.
pub fn parse_range(value: &[u8], len: u64) -> RangeOutcome {
    let (unit, set) = cut(value.trim_ascii(), b'=');
    let Some(set) = set.filter(|_| unit.trim_ascii().eq_ignore_ascii_case(b"bytes")) else {
        return RangeOutcome::Full;
    };
    let mut merged: Option<(u64, u64)> = None;
    let mut disjoint = false;
    let mut any_spec = false;
    let mut rest = Some(set);
    while let Some(list) = rest {
        let (spec, tail) = cut(list, b',');
        rest = tail;
        let spec = spec.trim_ascii();
        // Empty list elements are allowed (`bytes=0-1,,2-3`, §5.6.1).
        if spec.is_empty() {
            continue;
        }
        any_spec = true;
        let Some(resolved) = resolve(spec, len) else {
            return RangeOutcome::Full;
        };
        let Some((start, end)) = resolved else { continue };
        merged = Some(match merged {
            None => (start, end),
            Some((m_start, m_end)) => {
                // Adjacent counts as overlapping: 0-4 and 5-9 make 0-9.
                let touches = start <= m_end.saturating_add(1) && m_start <= end.saturating_add(1);
                disjoint |= !touches;
                (m_start.min(start), m_end.max(end))
            }
        });
    }
    match merged {
        _ if !any_spec => RangeOutcome::Full,
        None => RangeOutcome::Unsatisfiable,
        Some(_) if disjoint => RangeOutcome::Full,
        Some((start, end)) => RangeOutcome::Partial { start, end },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeOutcome::*;

    fn r(value: &str, len: u64) -> RangeOutcome {
        parse_range(value.as_bytes(), len)
    }

    #[test]
    fn rfc_9110_examples() {
        // §14.1.2, a 10000-byte representation.
        assert_eq!(r("bytes=0-499", 10000), Partial { start: 0, end: 499 });
        assert_eq!(r("bytes=500-999", 10000), Partial { start: 500, end: 999 });
        assert_eq!(r("bytes=-500", 10000), Partial { start: 9500, end: 9999 });
        assert_eq!(r("bytes=9500-", 10000), Partial { start: 9500, end: 9999 });
        assert_eq!(r("bytes=0-0,-1", 10000), Full); // first and last byte: disjoint
        assert_eq!(r("bytes= 0-999, 4500-5499, -1000", 10000), Full);
        assert_eq!(r("bytes=500-600,601-999", 10000), Partial { start: 500, end: 999 });
        assert_eq!(r("bytes=500-700,601-999", 10000), Partial { start: 500, end: 999 });
    }

    #[test]
    fn clamps_to_the_length() {
        assert_eq!(r("bytes=0-", 10), Partial { start: 0, end: 9 });
        assert_eq!(r("bytes=5-100", 10), Partial { start: 5, end: 9 });
        assert_eq!(r("bytes=-100", 10), Partial { start: 0, end: 9 });
        assert_eq!(r("bytes=9-9", 10), Partial { start: 9, end: 9 });
        assert_eq!(r("bytes=0-18446744073709551615", 10), Partial { start: 0, end: 9 });
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(r("bytes=10-", 10), Unsatisfiable);
        assert_eq!(r("bytes=10-20", 10), Unsatisfiable);
        assert_eq!(r("bytes=-0", 10), Unsatisfiable);
        assert_eq!(r("bytes=0-", 0), Unsatisfiable);
        assert_eq!(r("bytes=-5", 0), Unsatisfiable);
        assert_eq!(r("bytes=20-30, 40-", 10), Unsatisfiable);
        // One satisfiable range among unsatisfiable ones is served.
        assert_eq!(r("bytes=20-30, 2-3", 10), Partial { start: 2, end: 3 });
    }

    #[test]
    fn ignored_when_malformed_or_foreign() {
        for bad in [
            "bytes=5-4",
            "bytes=abc",
            "bytes=1-2-3",
            "bytes=-",
            "bytes=--1",
            "bytes=1x-2",
            "bytes=+1-2",
            "bytes=99999999999999999999-",
            "items=0-1",
            "bytes",
            "=0-1",
            "bytes=",
            "bytes=,",
            "",
        ] {
            assert_eq!(r(bad, 10), Full, "{bad}");
        }
    }

    #[test]
    fn unit_is_case_insensitive_and_lists_allow_empty_elements() {
        assert_eq!(r("Bytes=1-2", 10), Partial { start: 1, end: 2 });
        assert_eq!(r("bytes=1-2,,", 10), Partial { start: 1, end: 2 });
        assert_eq!(r("bytes=0-4,5-9", 10), Partial { start: 0, end: 9 });
        assert_eq!(r("bytes=0-3,5-9", 10), Full);
    }
}
