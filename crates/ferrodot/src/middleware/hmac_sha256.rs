//! HMAC-SHA256 for the signed sessions: the `hmac` and `sha2` crates behind
//! one non-generic function, so an image holds one copy of the MAC code
//! whatever the payload types, and callers need no crate traits in scope.

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A tag: 32 bytes.
pub(crate) type Digest = [u8; 32];

/// The tag of `message` under `key`. One call with the whole message: the
/// MAC's state never leaves this frame (no copies of it on a device).
#[inline(never)]
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> Digest {
    // HMAC takes keys of every length (RFC 2104 §3): no error to handle.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(message);
    mac.finalize().into_bytes().into()
}
