//! Base64 (RFC 4648 §4 and §5) into and out of caller buffers, for the
//! WebSocket handshake, Basic credentials and session cookies.
//!
//! ```
//! use ferrodot::base64::{decode, encode, Alphabet, Padding};
//!
//! let mut chars = [0u8; 8];
//! let n = encode(b"hi!?", &mut chars, Alphabet::UrlSafe, false).unwrap();
//! assert_eq!(&chars[..n], b"aGkhPw");
//!
//! let mut bytes = [0u8; 4];
//! assert_eq!(decode(b"aGkhPw", &mut bytes, Alphabet::UrlSafe, Padding::Forbidden), Some(4));
//! assert_eq!(&bytes, b"hi!?");
//! // Not canonical (the last character's spare bits are set): refused.
//! assert_eq!(decode(b"aGkhPx", &mut bytes, Alphabet::UrlSafe, Padding::Forbidden), None);
//! ```
//!
//! Written here rather than taken from the `base64` crate because its
//! engine costs about 3 KB of flash on a Cortex-M for what are a few
//! dozen characters per request; this one is a loop over 6-bit groups
//! with no tables. The `base64` crate stays its oracle: the `middleware`
//! fuzz target compares both on every input.

/// Which two characters stand for 62 and 63.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `+` and `/` (§4): Basic credentials, WebSocket keys.
    Standard,
    /// `-` and `_` (§5): cookies and URLs.
    UrlSafe,
}

/// What a decoder accepts at the end of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// `=` up to a multiple of four characters, as §4 writes it.
    Required,
    /// No `=` at all.
    Forbidden,
    /// Padding may be left out, wholly or in part (`Zg`, `Zg=`, `Zg==`).
    Optional,
}

/// How many characters `len` bytes encode to.
pub const fn encoded_len(len: usize, padded: bool) -> usize {
    let full = (len / 3).saturating_mul(4);
    match (len % 3, padded) {
        (0, _) => full,
        (_, true) => full.saturating_add(4),
        (rest, false) => full.saturating_add(rest).saturating_add(1),
    }
}

fn symbol(value: u32, alphabet: Alphabet) -> u8 {
    let [v, ..] = (value & 63).to_le_bytes();
    match v {
        0..=25 => b'A'.wrapping_add(v),
        26..=51 => b'a'.wrapping_add(v).wrapping_sub(26),
        52..=61 => b'0'.wrapping_add(v).wrapping_sub(52),
        62 if alphabet == Alphabet::Standard => b'+',
        62 => b'-',
        _ if alphabet == Alphabet::Standard => b'/',
        _ => b'_',
    }
}

fn value(c: u8, alphabet: Alphabet) -> Option<u32> {
    let v = match (c, alphabet) {
        (b'A'..=b'Z', _) => c.wrapping_sub(b'A'),
        (b'a'..=b'z', _) => c.wrapping_sub(b'a').wrapping_add(26),
        (b'0'..=b'9', _) => c.wrapping_add(52).wrapping_sub(b'0'),
        (b'+', Alphabet::Standard) | (b'-', Alphabet::UrlSafe) => 62,
        (b'/', Alphabet::Standard) | (b'_', Alphabet::UrlSafe) => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Encode `input` into `out`; the number of characters written, or `None`
/// when `out` is shorter than [`encoded_len`].
pub fn encode(input: &[u8], out: &mut [u8], alphabet: Alphabet, padded: bool) -> Option<usize> {
    let len = encoded_len(input.len(), padded);
    let out = out.get_mut(..len)?;
    let mut chars = out.iter_mut();
    for group in input.chunks(3) {
        let mut bytes = [0u8; 4];
        bytes.iter_mut().skip(1).zip(group).for_each(|(to, &from)| *to = from);
        let bits = u32::from_be_bytes(bytes);
        // A group of n bytes fills n + 1 characters.
        let sextets = [bits >> 18, bits >> 12, bits >> 6, bits];
        for (c, v) in chars.by_ref().zip(sextets).take(group.len().wrapping_add(1)) {
            *c = symbol(v, alphabet);
        }
    }
    chars.for_each(|c| *c = b'=');
    Some(len)
}

/// Decode `input` into `out`; the number of bytes written, or `None` for a
/// character outside `alphabet`, padding `padding` does not allow, a
/// length no encoder writes, spare bits that are not zero (so every byte
/// string has one encoding), or an `out` too short.
pub fn decode(input: &[u8], out: &mut [u8], alphabet: Alphabet, padding: Padding) -> Option<usize> {
    let data = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    let pads = input.len().wrapping_sub(data.len());
    // What §4 pads the last group with: 2 characters get 2, 3 get 1.
    let canonical = match data.len() % 4 {
        2 => 2,
        3 => 1,
        _ => 0,
    };
    let allowed = match padding {
        Padding::Required => pads == canonical,
        Padding::Forbidden => pads == 0,
        Padding::Optional => pads <= canonical,
    };
    if !allowed {
        return None;
    }
    if data.len() % 4 == 1 {
        return None;
    }
    let mut written = 0usize;
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in data {
        // At most 12 bits are pending: 6 new ones on top of at most 6.
        acc = (acc << 6 | value(c, alphabet)?) & 0xfff;
        bits = bits.wrapping_add(6);
        if bits >= 8 {
            bits = bits.wrapping_sub(8);
            let [byte, ..] = (acc >> bits).to_le_bytes();
            *out.get_mut(written)? = byte;
            written = written.wrapping_add(1);
        }
    }
    // What is left over is 0, 2 or 4 spare bits, which must be zero.
    (acc & (1u32 << bits).wrapping_sub(1) == 0).then_some(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc_4648_vectors_both_ways() {
        for (plain, coded) in VECTORS {
            let mut chars = [0u8; 8];
            let n = encode(plain.as_bytes(), &mut chars, Alphabet::Standard, true).unwrap();
            assert_eq!(&chars[..n], coded.as_bytes());
            let unpadded = coded.trim_end_matches('=');
            let n = encode(plain.as_bytes(), &mut chars, Alphabet::Standard, false).unwrap();
            assert_eq!(&chars[..n], unpadded.as_bytes());
            let mut bytes = [0u8; 6];
            for (text, padding) in [
                (coded, Padding::Required),
                (coded, Padding::Optional),
                (unpadded, Padding::Optional),
                (unpadded, Padding::Forbidden),
            ] {
                let n = decode(text.as_bytes(), &mut bytes, Alphabet::Standard, padding);
                assert_eq!(n, Some(plain.len()), "{text} {padding:?}");
                assert_eq!(&bytes[..plain.len()], plain.as_bytes());
            }
        }
    }

    #[test]
    fn optional_padding_may_be_partial() {
        let mut out = [0u8; 4];
        for text in ["Zg", "Zg=", "Zg=="] {
            assert_eq!(
                decode(text.as_bytes(), &mut out, Alphabet::Standard, Padding::Optional),
                Some(1)
            );
            assert_eq!(out[0], b'f');
        }
    }

    #[test]
    fn alphabets_differ_only_in_62_and_63() {
        let mut chars = [0u8; 4];
        encode(&[0xfb, 0xff], &mut chars, Alphabet::Standard, true).unwrap();
        assert_eq!(&chars, b"+/8=");
        encode(&[0xfb, 0xff], &mut chars, Alphabet::UrlSafe, true).unwrap();
        assert_eq!(&chars, b"-_8=");
        let mut out = [0u8; 3];
        assert_eq!(decode(b"-_8", &mut out, Alphabet::Standard, Padding::Optional), None);
        assert_eq!(decode(b"+/8", &mut out, Alphabet::UrlSafe, Padding::Optional), None);
    }

    #[test]
    fn refuses_what_no_encoder_writes() {
        let mut out = [0u8; 16];
        for (text, padding) in [
            ("Zg", Padding::Required),    // padding missing
            ("Zg==", Padding::Forbidden), // padding present
            ("Zg=", Padding::Required),   // padding short
            ("Zg===", Padding::Optional), // three pads
            ("Zm9v=", Padding::Optional), // padding after a full group
            ("Z", Padding::Optional),     // one character of a group
            ("Zh==", Padding::Required),  // spare bits set
            ("Zm9=", Padding::Required),  // spare bits set
            ("Zm 9v", Padding::Optional), // space
            ("Z=g=", Padding::Optional),  // pad inside
            ("Zm9v\n", Padding::Optional),
        ] {
            assert_eq!(
                decode(text.as_bytes(), &mut out, Alphabet::Standard, padding),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn short_buffers_are_refused_not_overrun() {
        let mut small = [0u8; 2];
        assert_eq!(encode(b"foo", &mut small, Alphabet::Standard, false), None);
        assert_eq!(decode(b"Zm9v", &mut small, Alphabet::Standard, Padding::Required), None);
        assert_eq!(encoded_len(20, true), 28);
        assert_eq!(encoded_len(32, false), 43);
    }

    /// The `base64` crate as the oracle, for each mode this crate uses.
    fn oracle(alphabet: Alphabet, padding: Padding) -> ::base64::engine::GeneralPurpose {
        use ::base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
        let mode = match padding {
            Padding::Required => DecodePaddingMode::RequireCanonical,
            Padding::Forbidden => DecodePaddingMode::RequireNone,
            Padding::Optional => DecodePaddingMode::Indifferent,
        };
        let config = GeneralPurposeConfig::new()
            .with_encode_padding(padding == Padding::Required)
            .with_decode_padding_mode(mode);
        let set = match alphabet {
            Alphabet::Standard => &::base64::alphabet::STANDARD,
            Alphabet::UrlSafe => &::base64::alphabet::URL_SAFE,
        };
        ::base64::engine::GeneralPurpose::new(set, config)
    }

    const MODES: [(Alphabet, Padding); 4] = [
        (Alphabet::Standard, Padding::Required),
        (Alphabet::Standard, Padding::Optional),
        (Alphabet::UrlSafe, Padding::Forbidden),
        (Alphabet::UrlSafe, Padding::Optional),
    ];

    proptest::proptest! {
        #[test]
        fn agrees_with_the_base64_crate(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                                        text in "[A-Za-z0-9+/_=-]{0,12}") {
            use ::base64::Engine as _;
            for (alphabet, padding) in MODES {
                let engine = oracle(alphabet, padding);
                let mut chars = [0u8; 64];
                let n = encode(&bytes, &mut chars, alphabet, padding == Padding::Required).unwrap();
                let mut theirs = [0u8; 64];
                let m = engine.encode_slice(&bytes, &mut theirs).unwrap();
                proptest::prop_assert_eq!(&chars[..n], &theirs[..m]);

                let mut ours = [0u8; 16];
                let mut expected = [0u8; 16];
                let got = decode(text.as_bytes(), &mut ours, alphabet, padding);
                let want = engine.decode_slice(text.as_bytes(), &mut expected).ok();
                proptest::prop_assert_eq!(got, want, "{} {:?} {:?}", text, alphabet, padding);
                if let Some(n) = got {
                    proptest::prop_assert_eq!(&ours[..n], &expected[..n]);
                }
            }
        }
    }
}
