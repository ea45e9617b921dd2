//! Helpers shared by the blind RSA and token integration tests.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};

/// A random generator that replays fixed bytes, so a test can reproduce the randomness a
/// published vector used (message prefix, salt, blinding factor, nonce). It panics when asked for
/// more bytes than it was given, and `assert_drained` checks every byte was consumed.
pub struct ReplayRng {
    bytes: VecDeque<u8>,
}

impl ReplayRng {
    /// Replays the concatenation of `parts`.
    pub fn new(parts: &[&[u8]]) -> Self {
        Self {
            bytes: parts.iter().flat_map(|p| p.iter().copied()).collect(),
        }
    }

    /// Panics unless every byte was consumed.
    pub fn assert_drained(&self) {
        assert!(
            self.bytes.is_empty(),
            "{} replayed bytes were not consumed",
            self.bytes.len()
        );
    }
}

impl TryRng for ReplayRng {
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
        for d in dst {
            *d = self
                .bytes
                .pop_front()
                .expect("replay generator ran out of bytes");
        }
        Ok(())
    }
}

impl TryCryptoRng for ReplayRng {}

/// Decodes hex, accepting an optional `0x` prefix.
pub fn unhex(s: &str) -> Vec<u8> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let s = if s.len() % 2 == 1 {
        format!("0{s}")
    } else {
        s.to_string()
    };
    hex::decode(s).unwrap()
}

/// Left-pads a big-endian integer to `len` bytes.
pub fn pad_to(bytes: &[u8], len: usize) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    assert!(trimmed.len() <= len);
    let mut out = vec![0u8; len - trimmed.len()];
    out.extend_from_slice(&trimmed);
    out
}

/// Reads a file of `test-vectors/`.
pub fn read_vectors(name: &str) -> serde_json::Value {
    let path = format!("{}/test-vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Wraps a generator and records every byte it hands out, so a vector file can list the random
/// stream an operation consumed.
pub struct RecordingRng<R> {
    inner: R,
    pub recorded: Vec<u8>,
}

impl<R> RecordingRng<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            recorded: Vec::new(),
        }
    }

    /// Returns and clears the bytes recorded so far.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.recorded)
    }
}

impl<R: TryRng<Error = Infallible>> TryRng for RecordingRng<R> {
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
        self.inner.try_fill_bytes(dst)?;
        self.recorded.extend_from_slice(dst);
        Ok(())
    }
}

impl<R: TryCryptoRng<Error = Infallible>> TryCryptoRng for RecordingRng<R> {}

/// The fixed test keys of `test-vectors/token_keys/`.
pub fn test_key_pem(name: &str) -> String {
    let path = format!(
        "{}/test-vectors/token_keys/{name}.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}
