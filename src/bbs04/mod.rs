//! BBS04 short group signatures on BLS12-381 (SPEC.md section 4).
//!
//! A group manager ([`GroupManagerKey`]) issues member keys ([`MemberKey`]); a member signs
//! anonymously for the group; anyone holding the group public key ([`GroupPublicKey`],
//! prepared once as a [`PreparedGroupKey`]) verifies; only the manager can open a signature to
//! the member that made it ([`MemberId`]), and revoke that member ([`RevocationRecord`]): the
//! group key moves to the next generation and every other member updates its own key.
//!
//! The scheme is Boneh-Boyen-Shacham (CRYPTO 2004) adapted to the type-3 pairing of
//! BLS12-381. Encodings are canonical and versioned; secrets are zeroized on drop and only
//! touched by constant-time arithmetic.
//!
//! ```
//! use blindpost::bbs04::{GroupManagerKey, PreparedGroupKey};
//! # fn main() -> Result<(), blindpost::bbs04::Error> {
//! // Test-vector randomness keeps the example reproducible; real code passes an OS CSPRNG.
//! let mut rng = blindpost::vector_rng::VectorRng::new(b"bbs04 doc example");
//! let manager = GroupManagerKey::generate(&mut rng);
//! let member = manager.issue_member(&mut rng);
//! let prepared = PreparedGroupKey::new(manager.public_key().clone());
//! let signature = member.sign(&mut rng, &prepared, b"context", b"message")?;
//! prepared.verify(b"context", b"message", &signature)?;
//! assert_eq!(manager.open(&signature), member.id());
//! # Ok(())
//! # }
//! ```

mod batch;
mod checkpoint;
mod error;
mod keys;
mod prepared;
mod revocation;
mod sign;

pub use batch::BatchEntry;
pub use checkpoint::{Checkpoint, MAX_CHECKPOINT_ENTRIES, MIN_CHECKPOINT_ENTRIES};
pub use error::Error;
pub use keys::{GroupManagerKey, GroupPublicKey, MemberId, MemberKey};
pub use prepared::PreparedGroupKey;
pub use revocation::RevocationRecord;
pub use sign::{GroupSignature, Signer};

/// The version byte of every BBS04 encoding but the signature's (which is 2, SPEC.md 4.5).
const VERSION: u8 = 1;

/// Fills a fixed-size encoding front to back.
struct Writer<const N: usize> {
    out: [u8; N],
    len: usize,
}

impl<const N: usize> Writer<N> {
    fn new() -> Self {
        Self {
            out: [0; N],
            len: 0,
        }
    }

    /// Appends `bytes`. Each encoder writes exactly N bytes (the round-trip tests check it).
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }

    fn finish(self) -> [u8; N] {
        self.out
    }
}
