//! `Accept-Encoding` negotiation between an identity copy and a gzip copy.

use crate::http::fields::cut;

/// The representation chosen for a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The bytes as stored, no `Content-Encoding`.
    Identity,
    /// The gzip copy, sent with `Content-Encoding: gzip`.
    Gzip,
}

/// A quality value in thousandths (RFC 9110 §12.4.2: at most three decimals).
type Quality = u32;

/// Reads a qvalue: `0`, `1`, `0.5`, `1.000`. Anything else is `None`, and the
/// entry carrying it is ignored rather than guessed at.
fn parse_quality(value: &[u8]) -> Option<Quality> {
    // One digit, then `.` and at most three decimals.
    if value.len().wrapping_sub(1) > 4 || value.get(1).is_some_and(|&b| b != b'.') {
        return None;
    }
    // The digit and three decimals (missing ones read as `0`) as thousandths:
    // at most 9999, and above 1000 (`2`, `1.5`) is not a qvalue.
    let mut thousandths: Quality = 0;
    for i in [0, 2, 3, 4] {
        let digit = value.get(i).map_or(0, |b| b.wrapping_sub(b'0'));
        if digit > 9 {
            return None;
        }
        thousandths = thousandths.wrapping_mul(10).wrapping_add(Quality::from(digit));
    }
    (thousandths <= 1000).then_some(thousandths)
}

/// Chooses how to send an asset, given the `Accept-Encoding` value (`None` when the
/// header is absent) and which copies exist.
///
/// Returns `None` when the client accepts none of the copies: the caller answers
/// 406 Not Acceptable. That happens only for `identity;q=0` (or `*;q=0`) with no
/// gzip acceptable, or when only a gzip copy was kept and the client refuses gzip.
/// On equal quality gzip wins, because it is the smaller copy.
pub fn negotiate(accept_encoding: Option<&[u8]>, have_identity: bool, have_gzip: bool) -> Option<Encoding> {
    let (gzip, identity) = match accept_encoding {
        // No header: every coding is acceptable (§12.5.3), and identity, the one
        // every client can read, is preferred: gzip gets the least quality above 0.
        None => (1, 1000),
        Some(header) => {
            // The best quality listed for gzip, identity and `*`, plus one:
            // 0 is "not listed".
            let (mut gzip, mut identity, mut any): (Quality, Quality, Quality) = (0, 0, 0);
            let mut rest = Some(header);
            'entries: while let Some(list) = rest {
                let (entry, tail) = cut(list, b',');
                rest = tail;
                let (coding, mut parameters) = cut(entry, b';');
                let coding = coding.trim_ascii();
                // An empty coding matches none of these, like any other.
                let slot = if coding.eq_ignore_ascii_case(b"identity") {
                    &mut identity
                } else if coding == b"*" {
                    &mut any
                } else if match coding {
                    [b'x' | b'X', b'-', name @ ..] | name => name.eq_ignore_ascii_case(b"gzip"),
                } {
                    &mut gzip
                } else {
                    continue;
                };
                let mut quality = 1000;
                while let Some(list) = parameters {
                    let (parameter, tail) = cut(list, b';');
                    parameters = tail;
                    if let [b'q' | b'Q', b'=', value @ ..] = parameter.trim_ascii() {
                        // A malformed quality ignores the entry.
                        let Some(q) = parse_quality(value.trim_ascii()) else {
                            continue 'entries;
                        };
                        quality = q;
                    }
                }
                // A coding listed twice keeps its best quality.
                *slot = (*slot).max(quality.wrapping_add(1));
            }
            // identity stays acceptable unless refused by name or by `*;q=0` (§12.5.3).
            let identity = match (identity, any) {
                (0, 0) => 1001,
                (0, any) => any,
                (identity, _) => identity,
            };
            let gzip = if gzip > 0 { gzip } else { any };
            (gzip.saturating_sub(1), identity.wrapping_sub(1))
        }
    };
    // A copy that does not exist is as good as refused.
    let gzip = if have_gzip { gzip } else { 0 };
    let identity = if have_identity { identity } else { 0 };
    if gzip > 0 && gzip >= identity {
        Some(Encoding::Gzip)
    } else if identity > 0 {
        Some(Encoding::Identity)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(header: &str) -> Option<Encoding> {
        negotiate(Some(header.as_bytes()), true, true)
    }

    #[test]
    fn absent_header_gets_identity() {
        assert_eq!(negotiate(None, true, true), Some(Encoding::Identity));
        assert_eq!(negotiate(None, false, true), Some(Encoding::Gzip));
    }

    #[test]
    fn empty_header_means_identity_only() {
        assert_eq!(pick(""), Some(Encoding::Identity));
        assert_eq!(negotiate(Some(b""), false, true), None);
    }

    #[test]
    fn browsers_get_gzip() {
        assert_eq!(pick("gzip, deflate, br, zstd"), Some(Encoding::Gzip));
        assert_eq!(pick("GZIP"), Some(Encoding::Gzip));
        assert_eq!(pick("x-gzip"), Some(Encoding::Gzip));
        assert_eq!(pick("*"), Some(Encoding::Gzip));
    }

    #[test]
    fn quality_values_decide() {
        assert_eq!(pick("gzip;q=0.5, identity;q=0.8"), Some(Encoding::Identity));
        assert_eq!(pick("gzip;q=0.8, identity;q=0.5"), Some(Encoding::Gzip));
        assert_eq!(pick("gzip ; q=0.500 , identity;q=0.5"), Some(Encoding::Gzip));
        assert_eq!(pick("gzip;q=0"), Some(Encoding::Identity));
        assert_eq!(pick("gzip;q=0.000"), Some(Encoding::Identity));
        assert_eq!(pick("br, *;q=0.1"), Some(Encoding::Gzip));
        assert_eq!(pick("gzip;q=0.001"), Some(Encoding::Identity));
        assert_eq!(pick("gzip;q=0.001, identity;q=0"), Some(Encoding::Gzip));
    }

    #[test]
    fn refused_identity() {
        assert_eq!(pick("identity;q=0"), None);
        assert_eq!(pick("*;q=0"), None);
        assert_eq!(pick("gzip, identity;q=0"), Some(Encoding::Gzip));
        assert_eq!(pick("*;q=0, identity"), Some(Encoding::Identity));
        assert_eq!(negotiate(Some(b"br"), false, true), None);
        assert_eq!(negotiate(Some(b"gzip;q=0"), false, true), None);
    }

    #[test]
    fn bad_quality_ignores_the_entry() {
        assert_eq!(pick("gzip;q=2"), Some(Encoding::Identity));
        assert_eq!(pick("gzip;q=0.5555"), Some(Encoding::Identity));
        assert_eq!(pick("gzip;q=1.5"), Some(Encoding::Identity));
        assert_eq!(pick("gzip;q="), Some(Encoding::Identity));
        assert_eq!(pick("gzip;q=-1"), Some(Encoding::Identity));
        assert_eq!(pick(",,;q=1, gzip"), Some(Encoding::Gzip));
    }

    #[test]
    fn quality_parser() {
        assert_eq!(parse_quality(b"1"), Some(1000));
        assert_eq!(parse_quality(b"1."), Some(1000));
        assert_eq!(parse_quality(b"0.25"), Some(250));
        assert_eq!(parse_quality(b"0.999"), Some(999));
        assert_eq!(parse_quality(b"1.001"), None);
        assert_eq!(parse_quality(b"00.5"), None);
        assert_eq!(parse_quality(b""), None);
    }
}
