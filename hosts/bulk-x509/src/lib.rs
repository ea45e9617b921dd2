//! # blindpost-bulk-x509
//!
//! The operator's check of bulk-sender proofs (SPEC.md 18.2) for a blindpost server host: the
//! proof's certificate chain must validate, at the time of the claim, to one of the trust
//! anchors the operator configured, as a TLS server certificate (extended key usage
//! `serverAuth`) valid for the proof's domain; the operator must grant that domain a tier and
//! not have revoked it; and the end-entity key's signature over
//! [`BulkProof::signed_message`] of the claiming account's identity key must verify. Path
//! validation is `rustls-webpki`'s (what rustls runs for every TLS connection), with *ring*'s
//! signature algorithms.
//!
//! A TLS server certificate for a domain is what the proposal calls "something expensive to
//! obtain": a domain and a CA's validation of it. An operator can ask for more (an EV policy
//! OID, a private CA that vets senders) by configuring other anchors.
//!
//! ```no_run
//! # fn main() -> Result<(), blindpost_bulk_x509::ConfigError> {
//! use blindpost_bulk_x509::X509BulkCheck;
//! use std::collections::BTreeMap;
//! let anchors = std::fs::read_to_string("/etc/blindpost/bulk-anchors.pem").unwrap();
//! let tiers = BTreeMap::from([("mail.example.com".to_owned(), 10_000)]);
//! let check = X509BulkCheck::from_pem(&anchors, tiers)?;
//! check.revoke("mail.example.com"); // at run time, from the operator's console
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use blindpost::bulk::{is_canonical_domain, BulkProof, BulkRefusal, BulkSenderCheck, BulkTier};
use blindpost::Time;
use pki_types::{
    CertificateDer, ServerName, SignatureVerificationAlgorithm, TrustAnchor, UnixTime,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;
use webpki::{EndEntityCert, KeyUsage};

#[cfg(feature = "test-ca")]
pub mod test_ca;

/// The signature algorithms a chain's certificates may be signed with.
static CHAIN_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// The algorithm of a proof's TLS `SignatureScheme` code point (RFC 8446 4.2.3).
fn proof_algorithm(scheme: u16) -> Option<&'static dyn SignatureVerificationAlgorithm> {
    Some(match scheme {
        0x0403 => webpki::ring::ECDSA_P256_SHA256,
        0x0503 => webpki::ring::ECDSA_P384_SHA384,
        0x0804 => webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        0x0805 => webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        0x0807 => webpki::ring::ED25519,
        _ => return None,
    })
}

/// Why the operator's configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No trust anchor was given.
    NoAnchors,
    /// A trust anchor is not a certificate webpki can use (its index in the list).
    BadAnchor(usize),
    /// The PEM text holds a block that does not decode.
    BadPem,
    /// A tier names a domain that is not in the one form proofs use (lower-case, no trailing
    /// dot; SPEC.md 18.2).
    BadDomain(String),
    /// A tier grants no token.
    EmptyTier(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoAnchors => f.write_str("bulk tier: no trust anchor configured"),
            ConfigError::BadAnchor(i) => write!(f, "bulk tier: trust anchor {i} is not usable"),
            ConfigError::BadPem => f.write_str("bulk tier: the anchors' PEM does not decode"),
            ConfigError::BadDomain(d) => write!(f, "bulk tier: {d:?} is not a canonical domain"),
            ConfigError::EmptyTier(d) => write!(f, "bulk tier: the tier of {d} grants no token"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The operator's check: trust anchors, tiers by domain, and the domains revoked at run time.
pub struct X509BulkCheck {
    anchors: Vec<TrustAnchor<'static>>,
    tiers: BTreeMap<String, u32>,
    revoked: RwLock<BTreeSet<String>>,
}

impl fmt::Debug for X509BulkCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("X509BulkCheck")
            .field("anchors", &self.anchors.len())
            .field("tiers", &self.tiers)
            .finish_non_exhaustive()
    }
}

impl X509BulkCheck {
    /// A check trusting the DER certificates `anchors` and granting `tiers` (domain ->
    /// tokens per bulk period).
    pub fn new(anchors: &[Vec<u8>], tiers: BTreeMap<String, u32>) -> Result<Self, ConfigError> {
        if anchors.is_empty() {
            return Err(ConfigError::NoAnchors);
        }
        let anchors = anchors
            .iter()
            .enumerate()
            .map(|(i, der)| {
                let der = CertificateDer::from(der.as_slice());
                webpki::anchor_from_trusted_cert(&der)
                    .map(|a| a.to_owned())
                    .map_err(|_| ConfigError::BadAnchor(i))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (domain, allowance) in &tiers {
            if !is_canonical_domain(domain) {
                return Err(ConfigError::BadDomain(domain.clone()));
            }
            if *allowance == 0 {
                return Err(ConfigError::EmptyTier(domain.clone()));
            }
        }
        Ok(Self {
            anchors,
            tiers,
            revoked: RwLock::new(BTreeSet::new()),
        })
    }

    /// [`X509BulkCheck::new`] with the anchors as PEM `CERTIFICATE` blocks (other blocks are
    /// skipped).
    pub fn from_pem(pem: &str, tiers: BTreeMap<String, u32>) -> Result<Self, ConfigError> {
        use pki_types::pem::PemObject;
        let anchors = CertificateDer::pem_slice_iter(pem.as_bytes())
            .map(|c| c.map(|c| c.to_vec()).map_err(|_| ConfigError::BadPem))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&anchors, tiers)
    }

    /// Revokes `domain`'s tier: its next claim is refused (`bulk_revoked`). Returns whether it
    /// was not revoked before.
    pub fn revoke(&self, domain: &str) -> bool {
        self.revoked
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(domain.to_owned())
    }

    /// Lifts a revocation. Returns whether `domain` was revoked.
    pub fn unrevoke(&self, domain: &str) -> bool {
        self.revoked
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(domain)
    }

    /// Makes `domains` the revoked ones (for hosts that keep the list in a file or a store).
    pub fn set_revoked(&self, domains: BTreeSet<String>) {
        *self.revoked.write().unwrap_or_else(PoisonError::into_inner) = domains;
    }

    /// Whether `domain`'s tier is revoked.
    pub fn is_revoked(&self, domain: &str) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(domain)
    }

    /// The chain's validation to an anchor at `now`, for `domain`; the end-entity certificate.
    fn validate<'a>(
        &self,
        now: Time,
        chain: &'a [CertificateDer<'a>],
        domain: &str,
    ) -> Result<EndEntityCert<'a>, BulkRefusal> {
        let (end_entity, intermediates) = chain.split_first().ok_or(BulkRefusal::Untrusted)?;
        let cert = EndEntityCert::try_from(end_entity).map_err(|_| BulkRefusal::Untrusted)?;
        let time = UnixTime::since_unix_epoch(Duration::from_secs(now.unix_secs()));
        cert.verify_for_usage(
            CHAIN_ALGORITHMS,
            &self.anchors,
            intermediates,
            time,
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(refusal)?;
        let name = ServerName::try_from(domain).map_err(|_| BulkRefusal::WrongDomain)?;
        cert.verify_is_valid_for_subject_name(&name)
            .map_err(|_| BulkRefusal::WrongDomain)?;
        Ok(cert)
    }
}

/// The refusal a path validation error stands for.
fn refusal(e: webpki::Error) -> BulkRefusal {
    match e {
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
            BulkRefusal::Expired
        }
        webpki::Error::CertNotValidForName(_) => BulkRefusal::WrongDomain,
        _ => BulkRefusal::Untrusted,
    }
}

/// A certificate's notAfter (Unix seconds).
fn not_after(der: &[u8]) -> Option<u64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    u64::try_from(cert.validity().not_after.timestamp()).ok()
}

impl BulkSenderCheck for X509BulkCheck {
    fn check(
        &self,
        now: Time,
        identity_key: &[u8; 48],
        proof: &BulkProof,
    ) -> Result<BulkTier, BulkRefusal> {
        // Cheap lookups first: the tier and its revocation, then the scheme.
        let allowance = *self.tiers.get(&proof.domain).ok_or(BulkRefusal::NoTier)?;
        if self.is_revoked(&proof.domain) {
            return Err(BulkRefusal::Revoked);
        }
        let algorithm = proof_algorithm(proof.scheme).ok_or(BulkRefusal::UnsupportedScheme)?;
        let chain: Vec<CertificateDer<'_>> = proof
            .chain
            .iter()
            .map(|der| CertificateDer::from(der.as_slice()))
            .collect();
        let cert = self.validate(now, &chain, &proof.domain)?;
        let message = BulkProof::signed_message(&proof.domain, identity_key);
        cert.verify_signature(algorithm, &message, &proof.signature)
            .map_err(|e| match e {
                webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
                | webpki::Error::UnsupportedSignatureAlgorithmContext(_) => {
                    BulkRefusal::UnsupportedScheme
                }
                _ => BulkRefusal::BadSignature,
            })?;
        // The tier ends with the first certificate of the chain to expire.
        let until = proof
            .chain
            .iter()
            .map(|der| not_after(der))
            .collect::<Option<Vec<u64>>>()
            .and_then(|times| times.into_iter().min())
            .ok_or(BulkRefusal::Untrusted)?;
        Ok(BulkTier {
            allowance,
            valid_until: Time::from_unix_secs(until),
        })
    }
}
