//! Reputation and the bulk-sender tier (SPEC.md 18): the proof's encoding, the operator's
//! check as a trait the host implements (in Kotlin, Swift or Python), and what a server holds
//! about a phone number's allowance.

use crate::error::{wrong_length, BlindpostError};
use blindpost::bulk as core;
use blindpost::Time;
use std::sync::Arc;

/// A bulk sender's proof (SPEC.md 18.2), field by field.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct BulkProof {
    /// DER certificates, the end-entity certificate first (1 to 4).
    pub chain: Vec<Vec<u8>>,
    /// The domain: lower-case labels joined by dots, no trailing dot.
    pub domain: String,
    /// The TLS SignatureScheme of the signature (0x0403 ecdsa_secp256r1_sha256, ...).
    pub scheme: u16,
    /// The end-entity key's signature over `bulk_proof_signed_message(domain, identity_key)`.
    pub signature: Vec<u8>,
}

impl From<core::BulkProof> for BulkProof {
    fn from(p: core::BulkProof) -> Self {
        Self {
            chain: p.chain,
            domain: p.domain,
            scheme: p.scheme,
            signature: p.signature,
        }
    }
}

impl From<BulkProof> for core::BulkProof {
    fn from(p: BulkProof) -> Self {
        Self {
            chain: p.chain,
            domain: p.domain,
            scheme: p.scheme,
            signature: p.signature,
        }
    }
}

/// The canonical encoding of `proof`, checked by decoding it again (a proof the server would
/// refuse as malformed is refused here).
#[uniffi::export]
pub fn bulk_proof_encode(proof: BulkProof) -> Result<Vec<u8>, BlindpostError> {
    let bytes = core::BulkProof::from(proof).to_bytes();
    core::BulkProof::from_bytes(&bytes)?;
    Ok(bytes)
}

/// Decodes and validates an encoded proof.
#[uniffi::export]
pub fn bulk_proof_decode(bytes: Vec<u8>) -> Result<BulkProof, BlindpostError> {
    Ok(core::BulkProof::from_bytes(&bytes)?.into())
}

/// The message the domain certificate's key signs for the account whose identity public key
/// is `identity_key` (48 bytes).
#[uniffi::export]
pub fn bulk_proof_signed_message(
    domain: String,
    identity_key: Vec<u8>,
) -> Result<Vec<u8>, BlindpostError> {
    let key = identity_key_bytes(&identity_key)?;
    Ok(core::BulkProof::signed_message(&domain, &key))
}

fn identity_key_bytes(bytes: &[u8]) -> Result<[u8; 48], BlindpostError> {
    bytes
        .try_into()
        .map_err(|_| wrong_length("identity_key", 48, bytes.len()))
}

/// Why the operator's check refuses a proof (each becomes its own error code, SPEC.md 11.4).
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkRefusal {
    /// The chain leads to no configured trust anchor.
    Untrusted,
    /// A certificate is expired or not yet valid.
    Expired,
    /// The end-entity certificate is not valid for the domain.
    WrongDomain,
    /// The signature does not verify with the certificate's key.
    BadSignature,
    /// The signature scheme is not supported.
    UnsupportedScheme,
    /// The operator revoked the domain's tier.
    Revoked,
    /// The operator grants the domain no tier.
    NoTier,
}

impl From<BulkRefusal> for core::BulkRefusal {
    fn from(r: BulkRefusal) -> Self {
        match r {
            BulkRefusal::Untrusted => Self::Untrusted,
            BulkRefusal::Expired => Self::Expired,
            BulkRefusal::WrongDomain => Self::WrongDomain,
            BulkRefusal::BadSignature => Self::BadSignature,
            BulkRefusal::UnsupportedScheme => Self::UnsupportedScheme,
            BulkRefusal::Revoked => Self::Revoked,
            BulkRefusal::NoTier => Self::NoTier,
        }
    }
}

/// The operator's answer to a proof.
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkDecision {
    /// The tier: `allowance` tokens per bulk period, until `valid_until` (Unix seconds).
    Granted {
        /// Tokens per bulk period.
        allowance: u32,
        /// When the tier ends.
        valid_until: u64,
    },
    /// The proof is refused.
    Refused {
        /// Why.
        reason: BulkRefusal,
    },
}

/// The operator's check of bulk-sender proofs, implemented by the host: validate the chain at
/// `now` to a trust anchor it configured, the end-entity certificate for `proof.domain`, the
/// domain's tier and its revocation, and the signature over
/// `bulk_proof_signed_message(proof.domain, identity_key)`.
#[uniffi::export(with_foreign)]
pub trait BulkSenderCheck: Send + Sync {
    /// Checks `proof` of the account whose identity public key is `identity_key` (48 bytes).
    fn check(&self, now: u64, identity_key: Vec<u8>, proof: BulkProof) -> BulkDecision;
}

/// The host's check behind the core's trait.
pub(crate) struct ForeignCheck(pub(crate) Arc<dyn BulkSenderCheck>);

impl core::BulkSenderCheck for ForeignCheck {
    fn check(
        &self,
        now: Time,
        identity_key: &[u8; 48],
        proof: &core::BulkProof,
    ) -> Result<core::BulkTier, core::BulkRefusal> {
        match self
            .0
            .check(now.unix_secs(), identity_key.to_vec(), proof.clone().into())
        {
            BulkDecision::Granted {
                allowance,
                valid_until,
            } => Ok(core::BulkTier {
                allowance,
                valid_until: Time::from_unix_secs(valid_until),
            }),
            BulkDecision::Refused { reason } => Err(reason.into()),
        }
    }
}

/// What a server holds about a phone number's allowance (SPEC.md 18).
#[derive(uniffi::Record, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// Tokens earned with reputation stamps, in all.
    pub earned: u64,
    /// Stamps credited in the current reputation period.
    pub earned_this_period: u64,
    /// Tokens granted under a bulk-sender tier in the current bulk period.
    pub bulk_this_period: u64,
}

impl From<blindpost::server::Allowance> for Allowance {
    fn from(a: blindpost::server::Allowance) -> Self {
        Self {
            earned: a.earned,
            earned_this_period: a.earned_this_period,
            bulk_this_period: a.bulk_this_period,
        }
    }
}
