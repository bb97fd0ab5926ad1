//! HMAC-SHA256 (RFC 2104) on sha2's raw compression function: a state and
//! one block buffer, byte by byte. The `hmac` crate's generic wrappers
//! around `sha2::Sha256` cost about 700 bytes more flash on thumbv7em, and a
//! session hashes a few hundred bytes per request, so speed does not matter.

use sha2::block_api::compress256;

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A SHA-256 being computed.
struct Sha256 {
    state: [u32; 8],
    block: [u8; 64],
    /// Bytes hashed so far, the key block included.
    len: u64,
}

impl Sha256 {
    fn new(state: [u32; 8], len: u64) -> Self {
        Sha256 {
            state,
            block: [0; 64],
            len,
        }
    }

    #[inline(never)]
    fn update(&mut self, data: &[u8]) {
        for &b in data {
            // Only the low six bits: the position in the block.
            #[allow(clippy::cast_possible_truncation)]
            let at = (self.len as usize) & 63;
            if let Some(slot) = self.block.get_mut(at) {
                *slot = b;
            }
            // No message is 2^64 bytes long.
            self.len = self.len.wrapping_add(1);
            if at == 63 {
                compress256(&mut self.state, core::slice::from_ref(&self.block));
            }
        }
    }

    fn finish(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.len & 63 != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; 32];
        for (o, s) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&s.to_be_bytes());
        }
        out
    }
}

/// An HMAC-SHA256 being computed: the inner hash, and the outer one's
/// state after its key block.
pub(crate) struct Hmac {
    inner: Sha256,
    outer: [u32; 8],
}

impl Hmac {
    /// A MAC keyed with `key` (any length; longer than a block is hashed).
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            let mut h = Sha256::new(H0, 0);
            h.update(key);
            if let Some(head) = k.first_chunk_mut::<32>() {
                *head = h.finish();
            }
        } else if let Some(head) = k.get_mut(..key.len()) {
            head.copy_from_slice(key);
        }
        let keyed = |pad: u8| {
            let mut block = k;
            for b in &mut block {
                *b ^= pad;
            }
            let mut state = H0;
            compress256(&mut state, core::slice::from_ref(&block));
            state
        };
        Hmac {
            inner: Sha256::new(keyed(0x36), 64),
            outer: keyed(0x5c),
        }
    }

    /// More of the message.
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The tag.
    pub(crate) fn finish(self) -> [u8; 32] {
        let mut outer = Sha256::new(self.outer, 64);
        outer.update(&self.inner.finish());
        outer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    #[test]
    fn sha256_matches_sha2_at_every_padding_boundary() {
        let data: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in 0..data.len() {
            let mut h = Sha256::new(H0, 0);
            // In two pieces, so the buffer is filled across calls too.
            h.update(&data[..n / 3]);
            h.update(&data[n / 3..n]);
            assert_eq!(h.finish()[..], sha2::Sha256::digest(&data[..n])[..], "{n} bytes");
        }
    }
}
