//! Signed sessions: the session is a cookie the device signs, so it keeps
//! no table of them (feature `session`).
//!
//! ```
//! use ferrodot::middleware::cookie::WithCookie;
//! use ferrodot::middleware::session::{HasSessions, Session, Sessions, Signed};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Visits { n: u32 }
//!
//! struct Site { sessions: Sessions<'static> }
//! impl HasSessions for Site {
//!     fn sessions(&self) -> &Sessions<'_> { &self.sessions }
//! }
//!
//! type Counted<'a> = WithCookie<'a, Signed<'a, Visits>, (Status, String)>;
//! async fn count(State(site): State<&Site>, Session(visits): Session<Visits>) -> Counted<'_> {
//!     let n = visits.map_or(1, |v| v.n + 1);
//!     WithCookie(site.sessions.cookie(Visits { n }), (Status::OK, format!("visit {n}")))
//! }
//! ferrodot::routes! { Routes<Site> { GET "/" => count } }
//!
//! fn now() -> u64 { 1_700_000_000 }
//! let app = App::new(Site { sessions: Sessions::new(&[b"a key of 32 bytes or more, random"], now) }, Routes);
//! let client = TestClient::new(&app);
//! let first = client.get("/");
//! assert_eq!(first.text(), "visit 1");
//! let cookie = first.header("set-cookie").unwrap().split(';').next().unwrap();
//! let second = client.request(Method::Get, "/").header("Cookie", cookie).send();
//! assert_eq!(second.text(), "visit 2");
//! // Change one character of the signature: the session is empty again.
//! let forged = cookie.replace(&cookie[cookie.len() - 2..], "AA");
//! assert_eq!(client.request(Method::Get, "/").header("Cookie", &forged).send().text(), "visit 1");
//! ```
//!
//! The cookie's value is `base64url(expiry ‖ JSON).base64url(HMAC-SHA256)`:
//! the expiry is 8 bytes, big-endian seconds of the app's clock, the JSON
//! is the payload as `serde-json-core` writes it (at most
//! [`MAX_PAYLOAD`] bytes), and the MAC covers the first part as sent.
//! Verification compares MACs in constant time
//! and tries every key, so a key can be rotated while the old one still
//! verifies. A cookie that is tampered with, expired, signed with an
//! unknown key, not canonical base64 or too large is no session at all —
//! never an error page. The payload is visible to the client (signed, not
//! encrypted): keep secrets out of it.
//!
//! The clock is the app's (`fn() -> u64` seconds): Unix time on the host,
//! uptime on a device without one — then a session made before a reboot
//! stays valid as long as its key does, so a device with a constant key
//! should keep `max_age` short or make its key at boot.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::cookie::{CookieValue, Cookies, SameSite, SetCookie};
use super::ct::ct_eq;
use super::hmac_sha256::hmac_sha256;
use crate::app::FromRequest;
use crate::base64::{self, Alphabet, Padding};
use crate::http::parse::Rejection;
use crate::http::response::BufWriter;
use crate::http::Request;
use crate::server::RequestBody;

/// Largest session payload, as JSON. A cookie carries about 4 KB; a
/// device's request buffer less: 256 bytes is a user name and a few flags.
pub const MAX_PAYLOAD: usize = 256;
/// Expiry prefix and payload, decoded.
const MAX_DECODED: usize = 8 + MAX_PAYLOAD;
/// `MAX_DECODED` as unpadded base64: `ceil(264 * 4 / 3)`.
const MAX_ENCODED: usize = 352;
/// An HMAC-SHA256 tag, and its unpadded base64 length.
const TAG: usize = 32;
const TAG_ENCODED: usize = 43;

/// How sessions are signed and sent: keys, lifetime and cookie attributes.
#[derive(Debug, Clone, Copy)]
pub struct Sessions<'k> {
    /// The first key signs; every key verifies (rotation).
    pub keys: &'k [&'k [u8]],
    /// Seconds of the app's clock.
    pub clock: fn() -> u64,
    /// The cookie's name; `session` by default.
    pub cookie_name: &'k str,
    /// The cookie's `Path`; `/` by default.
    pub path: &'k str,
    /// Seconds a session lives (also the cookie's `Max-Age`).
    pub max_age: u32,
    /// Whether the cookie is `Secure` (sent over HTTPS only); off by default.
    pub secure: bool,
    /// The cookie's `SameSite`; `Lax` by default.
    pub same_site: SameSite,
}

impl<'k> Sessions<'k> {
    /// Sessions in cookie `session`, `Path=/`, `HttpOnly`, `SameSite=Lax`,
    /// for a day. Give keys of 32 random bytes; the first one signs.
    pub const fn new(keys: &'k [&'k [u8]], clock: fn() -> u64) -> Self {
        Sessions {
            keys,
            clock,
            cookie_name: "session",
            path: "/",
            max_age: 86_400,
            secure: false,
            same_site: SameSite::Lax,
        }
    }

    /// Another cookie name (a device serving two apps, say).
    pub const fn cookie_name(mut self, name: &'k str) -> Self {
        self.cookie_name = name;
        self
    }

    /// Another lifetime, in seconds; also the cookie's `Max-Age`.
    pub const fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = seconds;
        self
    }

    /// Send the cookie over HTTPS only.
    pub const fn secure(mut self) -> Self {
        self.secure = true;
        self
    }

    /// Another `SameSite` (`Strict` for an admin-only device).
    pub const fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The session in `req`'s cookie, if it is valid.
    pub fn load<T: DeserializeOwned>(&self, req: &Request<'_>) -> Option<T> {
        // Several cookies of the name (another path's): the first valid one.
        let mut found = None;
        Cookies::of(req).find(|name, token| {
            if name == self.cookie_name {
                found = self.verify(token);
            }
            found.is_some()
        });
        found
    }

    /// The payload of a token, if it is signed by one of the keys, not
    /// expired and well-formed.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut decoded = [0u8; MAX_DECODED];
        let json = self.open(token, &mut decoded)?;
        serde_json_core::from_slice::<T>(json).ok().map(|(value, _)| value)
    }

    /// The JSON of a token signed by one of the keys and not expired.
    /// Not generic, so each payload type adds only its JSON code.
    #[inline(never)]
    fn open<'d>(&self, token: &str, decoded: &'d mut [u8; MAX_DECODED]) -> Option<&'d [u8]> {
        let dot = token.bytes().rposition(|b| b == b'.')?;
        let (body, tag) = (token.get(..dot)?, token.get(dot.saturating_add(1)..)?);
        if body.len() > MAX_ENCODED || tag.len() != TAG_ENCODED {
            return None;
        }
        let mut mac = [0u8; TAG + 2];
        if base64::decode(tag.as_bytes(), &mut mac, Alphabet::UrlSafe, Padding::Forbidden)? != TAG {
            return None;
        }
        let tag = mac.get(..TAG)?;
        let signed = self
            .keys
            .iter()
            .any(|key| ct_eq(&hmac_sha256(key, body.as_bytes()), tag));
        if !signed {
            return None;
        }
        let n = base64::decode(body.as_bytes(), decoded, Alphabet::UrlSafe, Padding::Forbidden)?;
        let (expiry, json) = decoded.get(..n)?.split_first_chunk::<8>()?;
        if (self.clock)() >= u64::from_be_bytes(*expiry) {
            return None;
        }
        Some(json)
    }

    /// Write a signed token for `value` into `w`; `false` if it does not
    /// fit (payload over [`MAX_PAYLOAD`], full buffer) or there is no key.
    pub fn sign<T: Serialize>(&self, value: &T, w: &mut BufWriter<'_>) -> bool {
        let mut decoded = [0u8; MAX_DECODED];
        let Some((_, json)) = decoded.split_first_chunk_mut::<8>() else {
            return false;
        };
        match serde_json_core::to_slice(value, json) {
            Ok(n) => self.seal(&mut decoded, n, w),
            Err(_) => false,
        }
    }

    /// Sign the `n` bytes of JSON after the expiry's place in `decoded`.
    /// Not generic: one copy whatever the payload types.
    #[inline(never)]
    fn seal(&self, decoded: &mut [u8; MAX_DECODED], n: usize, w: &mut BufWriter<'_>) -> bool {
        let Some(key) = self.keys.first() else {
            return false;
        };
        let expiry = (self.clock)().saturating_add(u64::from(self.max_age));
        let Some((head, _)) = decoded.split_first_chunk_mut::<8>() else {
            return false;
        };
        *head = expiry.to_be_bytes();
        let Some(payload) = decoded.get(..n.saturating_add(8)) else {
            return false;
        };
        // Three input bytes are four characters: 48 at a time, no padding
        // until the end, written to the cookie as they come; the MAC is
        // then taken over the text as the cookie holds it.
        let start = w.len();
        let mut chars = [0u8; 64];
        for chunk in payload.chunks(48) {
            let Some(len) = base64::encode(chunk, &mut chars, Alphabet::UrlSafe, false) else {
                return false;
            };
            w.push(chars.get(..len).unwrap_or(&[]));
        }
        if w.overflowed() {
            return false;
        }
        let tag = hmac_sha256(key, w.written().get(start..).unwrap_or(&[]));
        let Some(len) = base64::encode(&tag, &mut chars, Alphabet::UrlSafe, false) else {
            return false;
        };
        w.push(b".");
        w.push(chars.get(..len).unwrap_or(&[]));
        !w.overflowed()
    }

    /// The `Set-Cookie` that starts (or renews) a session holding `value`.
    pub fn cookie<T: Serialize>(&self, value: T) -> SetCookie<'_, Signed<'_, T>> {
        self.attributes(SetCookie::new(self.cookie_name, Signed { sessions: self, value }))
            .max_age(u64::from(self.max_age))
    }

    /// The `Set-Cookie` that ends the session (logout).
    pub fn removal(&self) -> SetCookie<'_> {
        self.attributes(SetCookie::removal(self.cookie_name))
    }

    fn attributes<'a, V>(&'a self, cookie: SetCookie<'a, V>) -> SetCookie<'a, V> {
        let cookie = cookie.path(self.path).http_only().same_site(self.same_site);
        if self.secure {
            cookie.secure()
        } else {
            cookie
        }
    }
}

/// A session payload, signed as it is written into `Set-Cookie`.
pub struct Signed<'a, T> {
    sessions: &'a Sessions<'a>,
    value: T,
}

impl<T: Serialize> CookieValue for Signed<'_, T> {
    fn write_value(&self, w: &mut BufWriter<'_>) -> bool {
        self.sessions.sign(&self.value, w)
    }
}

/// An app state that has sessions, for the [`Session`] extractor.
pub trait HasSessions {
    /// The keys and cookie settings the [`Session`] extractor verifies and
    /// signs with.
    fn sessions(&self) -> &Sessions<'_>;
}

/// The request's session: `None` when there is none, or it is invalid.
pub struct Session<T>(pub Option<T>);

impl<'r, S: HasSessions, T: DeserializeOwned> FromRequest<'r, S> for Session<T> {
    async fn from_request<'b: 'r>(
        req: &'r Request<'r>,
        state: &'r S,
        _: &'r RequestBody<'b>,
    ) -> Result<Self, Rejection> {
        Ok(Session(state.sessions().load(req)))
    }
}

/// Seconds since 1970 from the host's clock, for [`Sessions::new`].
#[cfg(feature = "std")]
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::Engine as _;
    use serde::Deserialize;
    use std::format;
    use std::string::String;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hmac_sha256(key: &[u8], data: &[u8]) -> std::vec::Vec<u8> {
        super::hmac_sha256(key, data).to_vec()
    }

    #[test]
    fn rfc4231_vectors() {
        let long_key = [0xaau8; 131];
        let cases: [(&[u8], &[u8], &str); 6] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 20],
                &[0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                &hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                &[0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                &long_key,
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                &long_key,
                b"This is a test using a larger than block-size key and a larger than block-size data. \
                  The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hmac_sha256(key, data), hex(want));
        }
        // Case 5: output truncated to 128 bits.
        let t = hmac_sha256(&[0x0c; 20], b"Test With Truncation");
        assert_eq!(t[..16], hex("a3b6167473100ee06e0c796c2955552b")[..]);
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct User {
        id: u32,
        admin: bool,
    }

    fn user() -> User {
        User { id: 7, admin: true }
    }

    fn now() -> u64 {
        1_000_000
    }
    fn later() -> u64 {
        1_000_000 + 86_400
    }

    const K1: &[u8] = b"first key, 32 bytes long........";
    const K2: &[u8] = b"second key, 32 bytes long.......";

    fn token(s: &Sessions<'_>, value: &impl Serialize) -> Option<String> {
        let mut buf = [0u8; 512];
        let mut w = BufWriter::new(&mut buf);
        s.sign(value, &mut w)
            .then(|| String::from_utf8(w.written().to_vec()).unwrap())
    }

    #[test]
    fn round_trip_and_format() {
        let s = Sessions::new(&[K1], now);
        let t = token(&s, &user()).unwrap();
        let (body, tag) = t.split_once('.').unwrap();
        assert_eq!(tag.len(), 43);
        let mut decoded = [0u8; 512];
        let n = ::base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode_slice(body, &mut decoded)
            .unwrap();
        let decoded = &decoded[..n];
        assert_eq!(decoded[..8], (1_000_000u64 + 86_400).to_be_bytes());
        assert_eq!(&decoded[8..], br#"{"id":7,"admin":true}"#);
        let mut want = [0u8; 64];
        let n = ::base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(hmac_sha256(K1, body.as_bytes()), &mut want)
            .unwrap();
        assert_eq!(tag.as_bytes(), &want[..n]);
        assert_eq!(s.verify::<User>(&t), Some(user()));
    }

    #[test]
    fn expired_sessions_are_empty() {
        let t = token(&Sessions::new(&[K1], now), &user()).unwrap();
        assert_eq!(Sessions::new(&[K1], later).verify::<User>(&t), None);
    }

    #[test]
    fn key_rotation() {
        let old = token(&Sessions::new(&[K1], now), &user()).unwrap();
        // K2 signs now; K1 still verifies.
        let rotated = Sessions::new(&[K2, K1], now);
        assert_eq!(rotated.verify::<User>(&old), Some(user()));
        let new = token(&rotated, &user()).unwrap();
        assert_ne!(new, old);
        // Once K1 is dropped, its sessions end.
        assert_eq!(Sessions::new(&[K2], now).verify::<User>(&old), None);
        assert_eq!(Sessions::new(&[K1], now).verify::<User>(&new), None);
    }

    #[test]
    fn tampered_malformed_and_foreign_tokens_are_empty() {
        let s = Sessions::new(&[K1], now);
        let t = token(&s, &user()).unwrap();
        let (body, tag) = t.split_once('.').unwrap();
        // Every single-character change of the body or the tag.
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(s.verify::<User>(&changed), None, "{changed}");
        }
        // Another key's signature.
        assert_eq!(
            s.verify::<User>(&token(&Sessions::new(&[K2], now), &user()).unwrap()),
            None
        );
        // A payload re-signed without the key cannot be made; one with a
        // different shape, signed by us, does not deserialise.
        assert_eq!(s.verify::<User>(&token(&s, &42u32).unwrap()), None);
        for bad in [
            "",
            ".",
            "abc",
            "abc.",
            ".abc",
            "!!!.###",
            body,
            &format!("{body}.{tag}="),
            &format!("{body}=.{tag}"),
            &format!("{body}.{tag}.{tag}"),
            &format!("{}.{tag}", "A".repeat(5000)),
            &format!("{body}.{}", "A".repeat(5000)),
            "é.é",
        ] {
            assert_eq!(s.verify::<User>(bad), None, "{bad}");
        }
        // No keys: nothing verifies, nothing is signed.
        assert_eq!(Sessions::new(&[], now).verify::<User>(&t), None);
        assert_eq!(token(&Sessions::new(&[], now), &user()), None);
    }

    // `Vec` is serde data with `alloc` only.
    #[cfg(feature = "alloc")]
    #[test]
    fn payload_limit() {
        let s = Sessions::new(&[K1], now);
        // `[1,1,…]`: 2 bytes per element, less one comma, plus brackets.
        let fits = std::vec![1u8; MAX_PAYLOAD / 2 - 1];
        let t = token(&s, &fits).unwrap();
        assert!(t.len() <= MAX_ENCODED + 1 + TAG_ENCODED);
        assert_eq!(s.verify::<std::vec::Vec<u8>>(&t), Some(fits));
        assert_eq!(token(&s, &std::vec![1u8; MAX_PAYLOAD / 2]), None);
    }
}
