//! The middleware's parsers on arbitrary bytes: `Cookie` lines,
//! `Authorization` values, session tokens and CORS origin patterns never
//! panic, and what they accept is consistent (a cookie the builder writes
//! parses back to itself; Basic credentials re-encoded parse to the same
//! pair), and `ferrodot::base64` agrees with the `base64` crate in every
//! mode the middleware and WebSocket use. The first byte picks the parser.
#![no_main]

use base64::Engine as _;
use ferrodot::http::response::BufWriter;
use ferrodot::middleware::auth::{parse_authorization, Credentials, MAX_CREDENTIALS};
use ferrodot::middleware::cookie::{pairs, SetCookie};
use ferrodot::middleware::cors::origin_matches;
use ferrodot::middleware::session::Sessions;
use libfuzzer_sys::fuzz_target;

fn clock() -> u64 {
    1_000
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        0 => {
            let mut n = 0usize;
            for (name, value) in pairs(rest) {
                assert!(!name.is_empty() && name.len() + value.len() < rest.len());
                assert!(!name.contains([';', '=', ' ']) && !value.contains(';'));
                n += 1;
            }
            assert!(n <= rest.len() / 2 + 1);
        }
        1 => {
            let mut buf = [0u8; MAX_CREDENTIALS];
            if let Ok(Credentials::Basic { user, password }) = parse_authorization(rest, &mut buf) {
                assert!(!user.contains(':'));
                let again = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
                );
                let mut buf2 = [0u8; MAX_CREDENTIALS];
                assert_eq!(
                    parse_authorization(again.as_bytes(), &mut buf2),
                    Ok(Credentials::Basic { user, password })
                );
            }
        }
        2 => {
            let Ok(text) = core::str::from_utf8(rest) else { return };
            let sessions = Sessions::new(&[b"fuzzing key"], clock);
            // Random text is never a valid session; a signed one is.
            assert_eq!(sessions.verify::<u32>(text), None);
            if let Ok(n) = text.parse::<u32>() {
                let mut out = [0u8; 512];
                let mut w = BufWriter::new(&mut out);
                assert!(sessions.sign(&n, &mut w));
                let token = core::str::from_utf8(w.written()).unwrap();
                assert_eq!(sessions.verify::<u32>(token), Some(n));
            }
            // A cookie with this as name and value: written only if it
            // parses back to exactly itself.
            let (name, value) = text.split_once('=').unwrap_or((text, ""));
            let mut out = [0u8; 1024];
            let mut w = BufWriter::new(&mut out);
            if SetCookie::new(name, value).path("/").write(&mut w) {
                let line = w.written();
                let first = line.split(|&b| b == b';').next().unwrap();
                assert_eq!(pairs(first).collect::<Vec<_>>(), [(name, value)]);
            }
        }
        3 => {
            let Ok(text) = core::str::from_utf8(rest) else { return };
            let (pattern, origin) = text.split_once('\n').unwrap_or((text, ""));
            if origin_matches(pattern, origin) && pattern != "*" && !pattern.contains('*') {
                assert!(pattern.eq_ignore_ascii_case(origin));
            }
        }
        _ => base64_agrees(rest),
    }
});

/// Ours against the `base64` crate: same encoding of `bytes`, and the
/// same verdict and bytes when decoding them as text.
fn base64_agrees(bytes: &[u8]) {
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode as Mode, GeneralPurpose, GeneralPurposeConfig};
    use ferrodot::base64::{decode, encode, Alphabet, Padding};
    let modes = [
        (Alphabet::Standard, Padding::Required, &STANDARD, Mode::RequireCanonical),
        (Alphabet::Standard, Padding::Optional, &STANDARD, Mode::Indifferent),
        (Alphabet::UrlSafe, Padding::Forbidden, &URL_SAFE, Mode::RequireNone),
        (Alphabet::UrlSafe, Padding::Optional, &URL_SAFE, Mode::Indifferent),
    ];
    for (alphabet, padding, set, mode) in modes {
        let config = GeneralPurposeConfig::new()
            .with_encode_padding(padding == Padding::Required)
            .with_decode_padding_mode(mode);
        let engine = GeneralPurpose::new(set, config);
        let mut ours = vec![0u8; bytes.len() * 4 / 3 + 4];
        let n = encode(bytes, &mut ours, alphabet, padding == Padding::Required).unwrap();
        assert_eq!(ours[..n], *engine.encode(bytes).as_bytes());
        let mut decoded = vec![0u8; bytes.len()];
        let got = decode(bytes, &mut decoded, alphabet, padding);
        let want = engine.decode(bytes).ok();
        assert_eq!(got.map(|n| &decoded[..n]), want.as_deref());
    }
}
