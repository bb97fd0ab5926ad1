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

/// A digest, as the state's words in big-endian bytes (`as_flattened`
/// for the 32 bytes: no copy loop).
pub(crate) type Digest = [[u8; 4]; 8];

/// A SHA-256 being computed.
struct Sha256 {
    state: [u32; 8],
    block: [u8; 64],
    /// Bytes hashed so far, the key block included, in two words: a `u64`
    /// would align the struct to 8 and pull in another memory clearer.
    len: [u32; 2],
}

impl Sha256 {
    // Out of line, so it builds straight into its destination: inlined,
    // the hash is built on the stack and copied with one more memory routine.
    #[inline(never)]
    fn new(state: [u32; 8], len: u32) -> Self {
        Sha256 {
            state,
            block: [0; 64],
            len: [len, 0],
        }
    }

    #[inline(never)]
    fn update(&mut self, data: &[u8]) {
        for &b in data {
            // The low six bits: the position in the block.
            let at = (self.len[0] & 63) as usize;
            if let Some(slot) = self.block.get_mut(at) {
                *slot = b;
            }
            let [low, high] = &mut self.len;
            *low = low.wrapping_add(1);
            if *low == 0 {
                *high = high.wrapping_add(1);
            }
            if at == 63 {
                compress256(&mut self.state, core::slice::from_ref(&self.block));
            }
        }
    }

    // `&mut self`: by value, the 104-byte struct would be copied with
    // another memory routine.
    fn finish(&mut self) -> Digest {
        let [low, high] = self.len;
        let bits = ((u64::from(high) << 32) | u64::from(low)).wrapping_mul(8);
        self.update(&[0x80]);
        while self.len[0] & 63 != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_be_bytes());
        self.state.map(u32::to_be_bytes)
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
            if let Some(head) = k.get_mut(..32) {
                head.copy_from_slice(h.finish().as_flattened());
            }
        } else if let Some(head) = k.get_mut(..key.len()) {
            head.copy_from_slice(key);
        }
        // The key block XORed in place, first with ipad, then from ipad to
        // opad: no copy of it.
        let mut keyed = |pad: u8| {
            for b in &mut k {
                *b ^= pad;
            }
            let mut state = H0;
            compress256(&mut state, core::slice::from_ref(&k));
            state
        };
        let inner = keyed(0x36);
        let outer = keyed(0x36 ^ 0x5c);
        Hmac {
            inner: Sha256::new(inner, 64),
            outer,
        }
    }

    /// More of the message.
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The tag.
    pub(crate) fn finish(&mut self) -> Digest {
        let mut outer = Sha256::new(self.outer, 64);
        outer.update(self.inner.finish().as_flattened());
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
            assert_eq!(
                h.finish().as_flattened(),
                &sha2::Sha256::digest(&data[..n])[..],
                "{n} bytes"
            );
        }
    }
}
