//! The hosts' end-to-end encryption, played by a stand-in.
//!
//! The library never sees plaintext on the wire: a host seals every payload for its recipient
//! with its own encryption (for example the Double Ratchet) and opens what it receives before
//! handing it to the client. The simulation only needs the server to see sealed bytes and the
//! recipient's host to notice tampering, so it uses a SHA-256 keystream and a SHA-256 tag under
//! one key per recipient account. It is not a cipher to copy.

use alloc::vec::Vec;
use core::fmt;
use sha2::{Digest, Sha256};

/// The length of the tag appended to a sealed payload.
const TAG_LEN: usize = 32;

/// Why a sealed payload did not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// The simulation gave the account no sealing key (it was not created by the simulation).
    NoKey,
    /// Shorter than the tag.
    TooShort,
    /// The tag does not match: the payload was changed or sealed for someone else.
    BadTag,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpenError::NoKey => "open: the account has no sealing key",
            OpenError::TooShort => "open: the sealed payload is shorter than its tag",
            OpenError::BadTag => "open: the sealing tag does not match",
        })
    }
}

/// `plaintext` sealed under `key`: the keystream-masked bytes, then the tag over them.
pub(super) fn seal(key: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = plaintext
        .iter()
        .zip(keystream(key, plaintext.len()))
        .map(|(a, b)| a ^ b)
        .collect();
    let t = tag(key, &out);
    out.extend_from_slice(&t);
    out
}

/// The plaintext of `sealed` if its tag holds under `key`.
pub(super) fn open(key: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    let split = sealed
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(OpenError::TooShort)?;
    let (body, t) = sealed.split_at(split);
    if t != tag(key, body) {
        return Err(OpenError::BadTag);
    }
    Ok(body
        .iter()
        .zip(keystream(key, body.len()))
        .map(|(a, b)| a ^ b)
        .collect())
}

/// SHA-256 in counter mode under `key`, `len` bytes.
fn keystream(key: &[u8; 32], len: usize) -> impl Iterator<Item = u8> + '_ {
    (0u64..)
        .flat_map(move |block| {
            let mut h = Sha256::new();
            h.update(b"blindpost simulation seal");
            h.update(key);
            h.update(block.to_be_bytes());
            h.finalize()
        })
        .take(len)
}

fn tag(key: &[u8; 32], body: &[u8]) -> [u8; TAG_LEN] {
    let mut h = Sha256::new();
    h.update(b"blindpost simulation seal tag");
    h.update(key);
    h.update(body);
    h.finalize().into()
}
