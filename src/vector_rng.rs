//! The deterministic random-byte generator that every test vector in `test-vectors/` uses.
//!
//! It exists so that other implementations can reproduce our vectors byte for byte (SPEC.md
//! 2.5): block i (counting from 0) is
//! `SHA-256("blindpost/v1/vector-rng" || u16(len(seed)) || seed || u64(i))`, and the output
//! stream is the concatenation of the blocks. The tag is hashed raw, without the `vec8` prefix
//! of SPEC.md 2.3 (which names this as its one exception): the fixed tag and the
//! length-prefixed seed already make the input unambiguous, and every generated vector file was
//! made this way. It is not a source of secrets: never use it outside tests, vectors and
//! benchmarks.

use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

const DOMAIN: &[u8] = b"blindpost/v1/vector-rng";

/// A seeded, reproducible byte stream for test vectors. **Not for secrets.**
#[derive(Clone)]
pub struct VectorRng {
    prefix: Sha256,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl VectorRng {
    /// A generator for `seed` (at most 65535 bytes; longer seeds are truncated).
    pub fn new(seed: &[u8]) -> Self {
        let seed = seed.get(..usize::from(u16::MAX)).unwrap_or(seed);
        // The length fits in u16 because of the truncation above.
        let len = u16::try_from(seed.len()).unwrap_or(u16::MAX);
        let mut prefix = Sha256::new();
        prefix.update(DOMAIN);
        prefix.update(len.to_be_bytes());
        prefix.update(seed);
        Self {
            prefix,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn refill(&mut self) {
        let mut h = self.prefix.clone();
        h.update(self.counter.to_be_bytes());
        self.block = h.finalize().into();
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl TryRng for VectorRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst.iter_mut() {
            if self.used == self.block.len() {
                self.refill();
            }
            if let Some(b) = self.block.get(self.used) {
                *byte = *b;
            }
            self.used = self.used.wrapping_add(1);
        }
        Ok(())
    }
}

impl TryCryptoRng for VectorRng {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn stream_is_the_specified_hash_chain() {
        let mut rng = VectorRng::new(b"seed");
        let mut out = [0u8; 40];
        rng.fill_bytes(&mut out);
        let block = |i: u64| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(DOMAIN);
            h.update(4u16.to_be_bytes());
            h.update(b"seed");
            h.update(i.to_be_bytes());
            h.finalize().into()
        };
        assert_eq!(out[..32], block(0));
        assert_eq!(out[32..], block(1)[..8]);
        // Reads of any granularity see the same stream.
        let mut rng2 = VectorRng::new(b"seed");
        let first = rng2.next_u64();
        assert_eq!(first.to_le_bytes(), out[..8]);
    }
}
