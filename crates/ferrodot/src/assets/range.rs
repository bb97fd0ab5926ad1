//! `Range: bytes=` (RFC 9110 §14) against a representation of known length.

use crate::http::fields::cut;
use crate::http::parse::parse_digits;

/// What a `Range` header asks of a representation `len` bytes long, in byte
/// offsets of type `N`: `u64` (files, [`parse_range`]), or `usize` for an asset in
/// memory, so a 32-bit device does no 64-bit arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOutcome<N = u64> {
    /// Send the whole representation with 200: no usable `Range` (absent, another
    /// unit, malformed — §14.2 lets a server ignore those), or several disjoint
    /// ranges, which we answer in full rather than as `multipart/byteranges`.
    Full,
    /// Send bytes `start..=end` with 206 and `Content-Range: bytes start-end/len`.
    Partial {
        /// First byte offset.
        start: N,
        /// Last byte offset, inclusive.
        end: N,
    },
    /// No range overlaps the representation: 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// The range unit, and as `Content-Range` starts (one string in flash).
pub(super) const BYTES_AND_SPACE: &str = "bytes ";
/// The range unit, as `Range` and `Accept-Ranges` name it.
pub(super) const BYTES: &str = BYTES_AND_SPACE.split_at(5).0;

/// A byte offset type the range rules run in.
pub(crate) trait Offset: Copy + Ord {
    const MAX: Self;
    const ZERO: Self;
    /// `n`, or `MAX` when it does not fit: a bound that large is past the end of
    /// anything held in memory, so it clamps or is unsatisfiable as it would in u64.
    fn saturate(n: u64) -> Self;
    fn saturating_sub(self, other: Self) -> Self;
    fn wrapping_add(self, other: Self) -> Self;
    fn wrapping_sub(self, other: Self) -> Self;
    const ONE: Self;
}

macro_rules! offset {
    ($($t:ty),*) => {$(
        impl Offset for $t {
            const MAX: Self = <$t>::MAX;
            const ZERO: Self = 0;
            const ONE: Self = 1;
            fn saturate(n: u64) -> Self {
                <$t>::try_from(n).unwrap_or(<$t>::MAX)
            }
            fn saturating_sub(self, other: Self) -> Self {
                <$t>::saturating_sub(self, other)
            }
            fn wrapping_add(self, other: Self) -> Self {
                <$t>::wrapping_add(self, other)
            }
            fn wrapping_sub(self, other: Self) -> Self {
                <$t>::wrapping_sub(self, other)
            }
        }
    )*};
}
offset!(u64, usize);
// A 32-bit device's `usize`, tested on any host.
#[cfg(test)]
offset!(u32);

/// One `range-spec` as `start..=end` before clamping; `None` is a syntax error.
/// `-N` (the final N bytes) starts at `len - N` (so `-0`, or any suffix of an
/// empty copy, starts at `len`: unsatisfiable), and an open end is the last byte.
// Out of line: inlined in the list loop it costs more flash.
#[inline(never)]
fn resolve<N: Offset>(spec: &[u8], len: N) -> Option<(N, N)> {
    let (first, last) = cut(spec, b'-');
    let last = last?;
    // An empty bound (`5-`, or `-` alone) reads as `MAX`.
    let end = if last.is_empty() { u64::MAX } else { parse_digits(last)? };
    if first.is_empty() {
        return (!last.is_empty()).then(|| (len.saturating_sub(N::saturate(end)), N::MAX));
    }
    let start = parse_digits(first)?;
    // last-pos < first-pos is invalid (§14.1.1), compared before saturating.
    (start <= end).then(|| (N::saturate(start), N::saturate(end)))
}

/// Reads a `Range` value for a representation `len` bytes long.
///
/// Overlapping or adjacent ranges are merged (§14.2 allows coalescing); if they
/// merge into one, that one is served, otherwise the whole representation is.
pub fn parse_range(value: &[u8], len: u64) -> RangeOutcome {
    ranges(value, len)
}

/// [`parse_range`] in offsets of type `N`.
pub(crate) fn ranges<N: Offset>(value: &[u8], len: N) -> RangeOutcome<N> {
    // Both sides are trimmed where they are read (the unit, each spec).
    let (unit, set) = cut(value, b'=');
    let Some(mut list) = set.filter(|_| unit.trim_ascii().eq_ignore_ascii_case(BYTES.as_bytes())) else {
        return RangeOutcome::Full;
    };
    // The merged range; `low > high` while no spec was satisfiable (every
    // satisfiable start is below `len`, so below `MAX`).
    let (mut low, mut high) = (N::MAX, N::ZERO);
    let (mut any_spec, mut disjoint) = (false, false);
    loop {
        let (spec, tail) = cut(list, b',');
        let spec = spec.trim_ascii();
        // Empty list elements are allowed (`bytes=0-1,,2-3`, §5.6.1).
        if !spec.is_empty() {
            any_spec = true;
            let Some((start, end)) = resolve(spec, len) else {
                return RangeOutcome::Full;
            };
            if start < len {
                // `start < len`, so `len - 1` and `end + 1`, `high + 1` (both
                // at most `len - 1`) do not wrap.
                let end = end.min(len.wrapping_sub(N::ONE));
                // Adjacent counts as overlapping: 0-4 and 5-9 make 0-9.
                if low <= high && (start > high.wrapping_add(N::ONE) || low > end.wrapping_add(N::ONE)) {
                    disjoint = true;
                }
                low = low.min(start);
                high = high.max(end);
            }
        }
        let Some(tail) = tail else { break };
        list = tail;
    }
    if !any_spec || disjoint {
        RangeOutcome::Full
    } else if low > high {
        RangeOutcome::Unsatisfiable
    } else {
        RangeOutcome::Partial { start: low, end: high }
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

    #[test]
    fn narrow_offsets_answer_as_u64() {
        // Bounds past u32 (a device's `usize`) clamp or are unsatisfiable exactly
        // as in u64; only past u64 are they a syntax error.
        let narrow = |v: &str, len: u32| ranges(v.as_bytes(), len);
        assert_eq!(narrow("bytes=4294967296-", 10), Unsatisfiable);
        assert_eq!(narrow("bytes=0-4294967296", 10), Partial { start: 0, end: 9 });
        assert_eq!(narrow("bytes=-4294967296", 10), Partial { start: 0, end: 9 });
        assert_eq!(narrow("bytes=4294967295-4294967295", u32::MAX), Unsatisfiable);
        assert_eq!(narrow("bytes=99999999999-5000000000", 10), Full);
        assert_eq!(narrow("bytes=5000000000-99999999999", 10), Unsatisfiable);
        assert_eq!(narrow("bytes=0-18446744073709551616", 10), Full);
        for v in [
            "bytes=0-4294967295",
            "bytes=4294967294-",
            "bytes=-4294967295",
            "bytes=-18446744073709551615",
            "bytes=1-2, 4294967296-, 3-4",
            "bytes=0-0, 4294967297-4294967296",
            "bytes=0-4, 5-99999999999",
        ] {
            for len in [0, 1, 10, u32::MAX - 1, u32::MAX] {
                let wide = match r(v, u64::from(len)) {
                    Partial { start, end } => Partial {
                        start: u32::try_from(start).unwrap(),
                        end: u32::try_from(end).unwrap(),
                    },
                    Full => Full,
                    Unsatisfiable => Unsatisfiable,
                };
                assert_eq!(narrow(v, len), wide, "{v} {len}");
            }
        }
    }
}
