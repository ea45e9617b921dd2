//! Bulk-sender proofs (SPEC.md 18.2): an account shows control of something expensive to
//! obtain, an X.509 certificate for a domain whose chain the operator trusts, and receives a
//! larger cold-call token allowance. The tokens stay blind-signed: the tier changes how many
//! an account may ask for, never what the server learns when they are spent.
//!
//! The core defines the proof's encoding, the message the certificate's key signs, and the
//! check as the trait [`BulkSenderCheck`]; X.509 path validation is the host's (the server host
//! implements it with `rustls-webpki`, in `hosts/bulk-x509`).

use crate::encoding::{DecodeError, DecodeErrorKind, Reader};
use crate::wire::codec::{codec_struct, Bytes, Decode, Encode, List, Own, U16, U8};
use crate::wire::WireError;
use crate::Time;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The domain separation tag of the message a bulk sender's certificate key signs.
pub const BULK_PROOF_DST: &[u8] = b"blindpost/v1/bulk-sender";
/// The version byte of a [`BulkProof`] encoding.
pub const BULK_PROOF_VERSION: u8 = 1;
/// The most certificates in a chain (the end-entity certificate and its intermediates).
pub const MAX_CHAIN_LEN: usize = 4;
/// The most bytes of one DER certificate.
pub const MAX_CERTIFICATE_LEN: usize = 8192;
/// The most bytes of a domain name (RFC 1035: 253 characters in text form).
pub const MAX_DOMAIN_LEN: usize = 253;
/// The most bytes of a signature (RSA-4096 is 512).
pub const MAX_SIGNATURE_LEN: usize = 1024;

/// A bulk sender's proof: a certificate chain for `domain` and, by the end-entity
/// certificate's key, a signature over [`BulkProof::signed_message`] of the account's identity
/// key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkProof {
    /// DER certificates, the end-entity certificate first, then intermediates towards an anchor.
    pub chain: Vec<Vec<u8>>,
    /// The domain the end-entity certificate must be valid for: lower-case ASCII labels of
    /// letters, digits and hyphens, separated by dots, without a trailing dot.
    pub domain: String,
    /// The signature algorithm, as a TLS `SignatureScheme` code point (RFC 8446 4.2.3), e.g.
    /// `0x0403` ecdsa_secp256r1_sha256, `0x0804` rsa_pss_rsae_sha256, `0x0807` ed25519.
    pub scheme: u16,
    /// The end-entity key's signature over [`BulkProof::signed_message`].
    pub signature: Vec<u8>,
}

codec_struct!(BulkProof {
    chain: List<U8, MAX_CHAIN_LEN, Bytes<U16, MAX_CERTIFICATE_LEN>> = ("bulk_proof.chain", "bulk_proof.certificate"),
    domain: Bytes<U8, MAX_DOMAIN_LEN> = "bulk_proof.domain",
    scheme: Own = "bulk_proof.scheme",
    signature: Bytes<U16, MAX_SIGNATURE_LEN> = "bulk_proof.signature",
});

impl BulkProof {
    /// The message the end-entity certificate's key signs: the DST (behind its length byte),
    /// the domain (behind its length byte) and the 48-byte compressed identity public key of
    /// the account the tier is for. The domain is signed too, so a signature made for one
    /// domain's proof is not a proof for another domain the same key holds.
    pub fn signed_message(domain: &str, identity_key: &[u8; 48]) -> Vec<u8> {
        let mut m = Vec::new();
        m.push(crate::encoding::dst_len(BULK_PROOF_DST));
        m.extend_from_slice(BULK_PROOF_DST);
        // A domain over 255 bytes never decodes; its length byte is cut like any other here.
        m.push(u8::try_from(domain.len()).unwrap_or(u8::MAX));
        m.extend_from_slice(domain.as_bytes());
        m.extend_from_slice(identity_key);
        m
    }

    /// The canonical encoding: version byte, then the fields (SPEC.md 18.2).
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::wire::codec::message_bytes(|w| {
            w.u8(BULK_PROOF_VERSION);
            self.encode(w, "bulk_proof")
        })
    }

    /// Decodes and validates a proof: known version, at least one certificate, each non-empty,
    /// a canonical domain name, a non-empty signature, no trailing bytes. The certificates are
    /// not parsed here (that is the [`BulkSenderCheck`]'s work).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("bulk_proof.version", BULK_PROOF_VERSION)?;
        let proof = Self::decode(&mut r, "bulk_proof")?;
        r.finish("bulk_proof")?;
        proof.validate()?;
        Ok(proof)
    }

    fn validate(&self) -> Result<(), WireError> {
        let invalid = |field: &'static str| {
            WireError::Decode(DecodeError::new(field, DecodeErrorKind::InvalidValue))
        };
        // At least one certificate, none empty; a canonical domain; a signature.
        if self.chain.is_empty() {
            return Err(invalid("bulk_proof.chain"));
        }
        if self.chain.iter().any(Vec::is_empty) {
            return Err(invalid("bulk_proof.certificate"));
        }
        if !is_canonical_domain(&self.domain) {
            return Err(invalid("bulk_proof.domain"));
        }
        if self.signature.is_empty() {
            return Err(invalid("bulk_proof.signature"));
        }
        Ok(())
    }
}

/// A host name in the one form a proof accepts: labels of 1 to 63 lower-case letters, digits
/// and hyphens, not starting or ending with a hyphen, joined by single dots, at least two
/// labels, at most [`MAX_DOMAIN_LEN`] bytes.
pub fn is_canonical_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > MAX_DOMAIN_LEN {
        return false;
    }
    let mut labels = 0usize;
    for label in domain.split('.') {
        labels = labels.saturating_add(1);
        let bytes = label.as_bytes();
        let ok_len = !bytes.is_empty() && bytes.len() <= 63;
        let ok_chars = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        let ok_ends = bytes.first() != Some(&b'-') && bytes.last() != Some(&b'-');
        if !(ok_len && ok_chars && ok_ends) {
            return false;
        }
    }
    labels >= 2
}

/// The tier a valid proof grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkTier {
    /// The cold-call tokens the account may hold in all (it replaces the ordinary allowance if
    /// larger; SPEC.md 18.3).
    pub allowance: u32,
    /// The tier ends here: the earliest expiry in the chain, or earlier if the operator says so.
    pub valid_until: Time,
}

/// Why a [`BulkSenderCheck`] refused a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkRefusal {
    /// The chain does not lead to a trust anchor the operator configured (or a certificate in
    /// it does not parse, or is not allowed to issue the next one).
    Untrusted,
    /// A certificate of the chain is expired or not yet valid at the time of the check.
    Expired,
    /// The end-entity certificate is not valid for the proof's domain.
    WrongDomain,
    /// The signature does not verify with the end-entity certificate's key.
    BadSignature,
    /// The signature scheme is not one the check supports, or does not fit the key.
    UnsupportedScheme,
    /// The operator revoked the tier of this domain (or of the certificate).
    Revoked,
    /// The domain has no tier: the operator grants tiers to configured domains only.
    NoTier,
}

impl BulkRefusal {
    /// A short name for logs and the refusal's detail.
    pub fn name(self) -> &'static str {
        match self {
            BulkRefusal::Untrusted => "untrusted chain",
            BulkRefusal::Expired => "certificate expired or not yet valid",
            BulkRefusal::WrongDomain => "certificate not valid for the domain",
            BulkRefusal::BadSignature => "signature does not verify",
            BulkRefusal::UnsupportedScheme => "unsupported signature scheme",
            BulkRefusal::Revoked => "tier revoked",
            BulkRefusal::NoTier => "no tier for the domain",
        }
    }
}

impl fmt::Display for BulkRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bulk-sender proof refused: {}", self.name())
    }
}

impl core::error::Error for BulkRefusal {}

/// The operator's check of a bulk-sender proof, implemented by the host (X.509 validation does
/// not belong in a `no_std` protocol core). The server calls it when an account claims a tier
/// and again at every later claim, so a revocation takes effect at the next claim.
pub trait BulkSenderCheck: Send + Sync {
    /// Checks at time `now` that `proof`'s chain validates to a configured trust anchor for
    /// `proof.domain`, that the operator grants that domain a tier and has not revoked it, and
    /// that the end-entity key's signature over
    /// [`BulkProof::signed_message`]`(proof.domain, identity_key)` verifies. `identity_key` is
    /// the claiming account's compressed identity public key.
    fn check(
        &self,
        now: Time,
        identity_key: &[u8; 48],
        proof: &BulkProof,
    ) -> Result<BulkTier, BulkRefusal>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof() -> BulkProof {
        BulkProof {
            chain: alloc::vec![alloc::vec![0x30, 0x03, 1, 2, 3], alloc::vec![0x30]],
            domain: "mail.example.com".into(),
            scheme: 0x0403,
            signature: alloc::vec![7; 64],
        }
    }

    #[test]
    fn a_proof_round_trips_and_its_encoding_is_canonical() {
        let bytes = proof().to_bytes();
        assert_eq!(BulkProof::from_bytes(&bytes), Ok(proof()));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(BulkProof::from_bytes(&longer).is_err());
        let mut version = bytes;
        version[0] = 2;
        assert!(BulkProof::from_bytes(&version).is_err());
    }

    #[test]
    fn proofs_without_a_chain_signature_or_canonical_domain_are_refused() {
        let mut p = proof();
        p.chain.clear();
        assert!(BulkProof::from_bytes(&p.to_bytes()).is_err());
        let mut p = proof();
        p.chain[1].clear();
        assert!(BulkProof::from_bytes(&p.to_bytes()).is_err());
        let mut p = proof();
        p.signature.clear();
        assert!(BulkProof::from_bytes(&p.to_bytes()).is_err());
        for domain in [
            "Mail.example.com",
            "example.com.",
            "localhost",
            "-a.example.com",
            "a..example.com",
            "a_b.example.com",
            "",
        ] {
            let mut p = proof();
            p.domain = domain.into();
            assert!(BulkProof::from_bytes(&p.to_bytes()).is_err(), "{domain}");
        }
        let mut p = proof();
        p.chain = alloc::vec![alloc::vec![1]; MAX_CHAIN_LEN + 1];
        assert!(BulkProof::from_bytes(&p.to_bytes()).is_err());
    }

    #[test]
    fn the_signed_message_binds_the_domain_and_the_key() {
        let key = [9u8; 48];
        let m = BulkProof::signed_message("example.com", &key);
        assert_eq!(m[0] as usize, BULK_PROOF_DST.len());
        assert!(m.ends_with(&key));
        assert_ne!(m, BulkProof::signed_message("example.org", &key));
        assert_ne!(m, BulkProof::signed_message("example.com", &[8u8; 48]));
    }
}
