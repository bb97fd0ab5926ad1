//! HMAC-SHA256 for the signed sessions: the `hmac` and `sha2` crates behind
//! three non-generic functions, so an image holds one copy of the MAC code
//! whatever the payload types, and callers need no crate traits in scope.

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A tag: 32 bytes.
pub(crate) type Digest = [u8; 32];

/// An HMAC-SHA256 being computed.
pub(crate) struct Hmac(HmacSha256);

impl Hmac {
    /// A MAC keyed with `key` (any length; longer than a block is hashed).
    #[inline(never)]
    pub(crate) fn new(key: &[u8]) -> Self {
        // HMAC takes keys of every length (RFC 2104 §3): no error to handle.
        Hmac(<HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default())))
    }

    /// More of the message.
    #[inline(never)]
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The tag.
    #[inline(never)]
    pub(crate) fn finish(self) -> Digest {
        self.0.finalize().into_bytes().into()
    }
}
