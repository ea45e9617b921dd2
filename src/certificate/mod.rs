//! Server certificates binding a phone number to an identity key (SPEC.md section 8).
//!
//! The server proves a phone number once (see [`crate::verification_code`]) and signs a
//! [`Certificate`] with one of its BLS certificate keys ([`CertificateIssuer`]). Clients pin an
//! [`IssuerKeySet`]: several keys may be valid at once, so keys rotate without a flag day.
//!
//! Guarantees: a [`Certificate`] or [`IssuerKeySet`] that exists was decoded with every check
//! of SPEC.md (canonical encoding, valid points, validity interval in order, E.164 phone
//! number); [`IssuerKeySet::verify`] returns a certificate only if its issuer is in the set, its
//! BLS signature verifies over the domain-separated encoding, it is valid at `now` (under both
//! its own and its key's validity), and it names the expected phone number. Each failure has
//! its own [`CertificateError`] variant.

pub mod phone;

pub use phone::{PhoneNumber, PhoneNumberError};

use crate::bls::{self, PublicKey, SecretKey, Signature};
use crate::curve::pairing::Equation;
use crate::curve::{G2Affine, G2Projective};
use crate::encoding::{DecodeError, DecodeErrorKind, Reader};
use crate::Time;
use alloc::vec::Vec;
use core::fmt;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};

/// Version byte of the certificate encoding.
pub const CERTIFICATE_VERSION: u8 = 1;
/// Version byte of the issuer key set encoding.
pub const KEY_SET_VERSION: u8 = 1;
/// The longest opaque host identity key a certificate carries.
pub const MAX_HOST_KEY_LEN: usize = 64;
/// The most keys an issuer key set holds.
pub const MAX_ISSUER_KEYS: usize = 16;

/// DST prefixed (as `vec8`) to the certificate encoding in the signed message.
pub const CERTIFICATE_DST: &[u8] = b"blindpost/v1/certificate";
/// DST of issuer key ids.
pub const KEY_ID_DST: &[u8] = b"blindpost/v1/certificate/key-id";
/// DST of issuer key set fingerprints.
pub const KEY_SET_DST: &[u8] = b"blindpost/v1/certificate/key-set";

/// Why a certificate, issuer key or key set was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The bytes are not a valid encoding (the field and reason are inside).
    Malformed(DecodeError),
    /// The certificate names an issuer key that is not in the key set.
    UnknownIssuer {
        /// The key id the certificate names.
        key_id: KeyId,
    },
    /// The issuer's signature does not verify.
    BadSignature,
    /// `now` is after the end of the validity (of the certificate or of its issuer key).
    Expired {
        /// The last second of validity (the earlier of the two ends).
        not_after: Time,
        /// The time given.
        now: Time,
    },
    /// `now` is before the start of the validity (of the certificate or of its issuer key).
    NotYetValid {
        /// The first second of validity (the later of the two starts).
        not_before: Time,
        /// The time given.
        now: Time,
    },
    /// The certificate is for another phone number than the one expected.
    WrongPhoneNumber,
    /// A validity interval given to the issuer ends before it starts.
    InvalidValidity {
        /// The start given.
        not_before: Time,
        /// The end given.
        not_after: Time,
    },
    /// The issuer was asked for a certificate valid outside its own key's validity.
    ValidityOutsideIssuerKey,
    /// A host key was empty (use `None` for no host key).
    EmptyHostKey,
    /// A host key was longer than [`MAX_HOST_KEY_LEN`] bytes.
    HostKeyTooLong {
        /// The length given.
        length: usize,
    },
    /// A key set was built from no keys.
    EmptyKeySet,
    /// A key set was built from more than [`MAX_ISSUER_KEYS`] keys.
    TooManyIssuerKeys {
        /// The number given.
        count: usize,
    },
    /// A key set was given the same issuer key twice.
    DuplicateIssuerKey {
        /// The repeated key's id.
        key_id: KeyId,
    },
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed certificate data: {e}"),
            Self::UnknownIssuer { key_id } => {
                write!(f, "certificate issuer key {key_id} is not in the key set")
            }
            Self::BadSignature => f.write_str("certificate signature does not verify"),
            Self::Expired { not_after, now } => {
                write!(f, "certificate expired at {not_after} (now {now})")
            }
            Self::NotYetValid { not_before, now } => {
                write!(f, "certificate not valid before {not_before} (now {now})")
            }
            Self::WrongPhoneNumber => {
                f.write_str("certificate is for another phone number than expected")
            }
            Self::InvalidValidity {
                not_before,
                not_after,
            } => write!(
                f,
                "validity ends ({not_after}) before it starts ({not_before})"
            ),
            Self::ValidityOutsideIssuerKey => {
                f.write_str("certificate validity is outside the issuer key's validity")
            }
            Self::EmptyHostKey => f.write_str("host key is empty (use none instead)"),
            Self::HostKeyTooLong { length } => write!(
                f,
                "host key is {length} bytes, at most {MAX_HOST_KEY_LEN} allowed"
            ),
            Self::EmptyKeySet => f.write_str("issuer key set has no keys"),
            Self::TooManyIssuerKeys { count } => write!(
                f,
                "issuer key set has {count} keys, at most {MAX_ISSUER_KEYS} allowed"
            ),
            Self::DuplicateIssuerKey { key_id } => {
                write!(f, "issuer key {key_id} appears twice in the key set")
            }
        }
    }
}

impl core::error::Error for CertificateError {}

impl From<DecodeError> for CertificateError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// The id of an issuer key: the first 8 bytes of
/// `SHA-256(vec8("blindpost/v1/certificate/key-id") || public key)`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The id of `public_key`.
    pub fn of(public_key: &PublicKey) -> Self {
        let digest = hash_with_dst(KEY_ID_DST, &[&public_key.to_bytes()]);
        let mut id = [0u8; 8];
        if let Some(head) = digest.get(..8) {
            id.copy_from_slice(head);
        }
        Self(id)
    }

    /// Wraps 8 bytes (for example read from a certificate).
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    /// The 8 bytes.
    pub const fn to_bytes(&self) -> [u8; 8] {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// An opaque host identity key carried in a certificate (for example the long-term key of the
/// host's end-to-end encryption): 1 to [`MAX_HOST_KEY_LEN`] bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKey(Vec<u8>);

impl HostKey {
    /// Wraps `bytes`; rejects empty and over-long keys.
    pub fn new(bytes: &[u8]) -> Result<Self, CertificateError> {
        if bytes.is_empty() {
            return Err(CertificateError::EmptyHostKey);
        }
        if bytes.len() > MAX_HOST_KEY_LEN {
            return Err(CertificateError::HostKeyTooLong {
                length: bytes.len(),
            });
        }
        Ok(Self(bytes.to_vec()))
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// What a certificate says, before it is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateContent {
    /// The proven phone number.
    pub phone: PhoneNumber,
    /// The account's identity key.
    pub identity_key: PublicKey,
    /// The host's opaque identity key, if it has one.
    pub host_key: Option<HostKey>,
    /// The issuer's serial number for this certificate.
    pub serial: u64,
    /// First second of validity (Unix time, inclusive).
    pub not_before: Time,
    /// Last second of validity (Unix time, inclusive).
    pub not_after: Time,
}

/// A signed certificate (SPEC.md 8.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    issuer: KeyId,
    content: CertificateContent,
    signature: Signature,
}

impl Certificate {
    /// The id of the issuer key that signed it.
    pub fn issuer_key_id(&self) -> KeyId {
        self.issuer
    }

    /// The signed content.
    pub fn content(&self) -> &CertificateContent {
        &self.content
    }

    /// The proven phone number.
    pub fn phone(&self) -> &PhoneNumber {
        &self.content.phone
    }

    /// The account's identity key.
    pub fn identity_key(&self) -> &PublicKey {
        &self.content.identity_key
    }

    /// The host's opaque identity key, if any.
    pub fn host_key(&self) -> Option<&HostKey> {
        self.content.host_key.as_ref()
    }

    /// The issuer's serial number.
    pub fn serial(&self) -> u64 {
        self.content.serial
    }

    /// First second of validity (inclusive).
    pub fn not_before(&self) -> Time {
        self.content.not_before
    }

    /// Last second of validity (inclusive).
    pub fn not_after(&self) -> Time {
        self.content.not_after
    }

    /// The issuer's BLS signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The signed message `vec8(CERTIFICATE_DST) || tbs`, hashed to G2.
    fn signed_hash(&self) -> G2Projective {
        let tbs = encode_tbs(self.issuer, &self.content);
        bls::hash_to_g2(bls::CIPHERSUITE_SIG, &[&signed_prefix(), &tbs])
    }

    /// The canonical encoding (SPEC.md 8.2).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = encode_tbs(self.issuer, &self.content);
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes a certificate, checking every field (the signature is checked by
    /// [`IssuerKeySet::verify`], not here).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CertificateError> {
        Self::read(bytes, false)
    }

    /// The form the client's state blob stores (SPEC.md 13.1): the canonical encoding with the
    /// identity key and the signature uncompressed (96 and 192 bytes), so that reading it back
    /// costs no square root.
    pub(crate) fn to_stored_bytes(&self) -> Vec<u8> {
        let mut out = encode_tbs_with(
            self.issuer,
            &self.content,
            &self.content.identity_key.point().to_uncompressed(),
        );
        out.extend_from_slice(&self.signature.point().to_uncompressed());
        out
    }

    /// Reads [`Certificate::to_stored_bytes`], checking every field as
    /// [`Certificate::from_bytes`] does except the points' subgroup, which
    /// [`Certificate::check_subgroups`] checks: the caller must run it before either point is
    /// computed with.
    pub(crate) fn from_stored_bytes(bytes: &[u8]) -> Result<Self, CertificateError> {
        Self::read(bytes, true)
    }

    /// Whether both points are in their subgroups (for a certificate read by
    /// [`Certificate::from_stored_bytes`]).
    pub(crate) fn check_subgroups(&self) -> Result<(), DecodeError> {
        crate::encoding::g1_in_subgroup(
            "certificate.identity_key",
            self.content.identity_key.point(),
        )?;
        crate::encoding::g2_in_subgroup("certificate.signature", self.signature.point())
    }

    /// Decodes the canonical encoding, or the stored form if `stored`.
    fn read(bytes: &[u8], stored: bool) -> Result<Self, CertificateError> {
        let mut r = Reader::new(bytes);
        r.version("certificate.version", CERTIFICATE_VERSION)?;
        let issuer = KeyId(r.array("certificate.issuer_key_id")?);
        let serial = r.u64("certificate.serial")?;
        let not_before = r.time("certificate.not_before")?;
        let not_after = r.time("certificate.not_after")?;
        if not_before > not_after {
            return Err(
                DecodeError::new("certificate.not_after", DecodeErrorKind::InvalidValue).into(),
            );
        }
        let phone = phone::read(&mut r, "certificate.phone").map_err(|e| match e {
            phone::ReadError::Decode(e) => e,
            phone::ReadError::Encoded(_) => {
                DecodeError::new("certificate.phone", DecodeErrorKind::InvalidValue)
            }
        })?;
        let identity_key = PublicKey::from_point(if stored {
            r.g1_stored("certificate.identity_key")?
        } else {
            r.g1("certificate.identity_key")?
        });
        let host = r.vec8("certificate.host_key", MAX_HOST_KEY_LEN)?;
        let host_key = if host.is_empty() {
            None
        } else {
            Some(HostKey(host.to_vec()))
        };
        let signature = Signature::from_point(if stored {
            r.g2_stored("certificate.signature")?
        } else {
            r.g2("certificate.signature")?
        });
        r.finish("certificate")?;
        Ok(Self {
            issuer,
            content: CertificateContent {
                phone,
                identity_key,
                host_key,
                serial,
                not_before,
                not_after,
            },
            signature,
        })
    }
}

/// A certificate still in its encoding: what a lookup answer carries (SPEC.md 14.3). The
/// server hands out the certificates it issued and stored without decoding their points (the
/// decode's square roots and subgroup checks were most of a lookup's cost); the client decodes
/// each with [`EncodedCertificate::decode`], which checks every field, and verifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedCertificate(Vec<u8>);

impl EncodedCertificate {
    /// Bytes claimed to encode a certificate; nothing is checked until
    /// [`EncodedCertificate::decode`].
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Decodes the certificate, checking every field as [`Certificate::from_bytes`] does.
    pub fn decode(&self) -> Result<Certificate, CertificateError> {
        Certificate::from_bytes(&self.0)
    }
}

impl From<&Certificate> for EncodedCertificate {
    fn from(certificate: &Certificate) -> Self {
        Self(certificate.to_bytes())
    }
}

/// The to-be-signed part of a certificate: every field but the signature, in order.
fn encode_tbs(issuer: KeyId, c: &CertificateContent) -> Vec<u8> {
    encode_tbs_with(issuer, c, &c.identity_key.to_bytes())
}

/// [`encode_tbs`] with the identity key written as `identity_key` (compressed on the wire,
/// uncompressed in the client's state).
fn encode_tbs_with(issuer: KeyId, c: &CertificateContent, identity_key: &[u8]) -> Vec<u8> {
    let host = c.host_key.as_ref().map_or(&[][..], HostKey::as_bytes);
    let mut out = Vec::with_capacity(
        1 + 8 + 24 + 1 + phone::MAX_LEN + 96 + 1 + MAX_HOST_KEY_LEN + 2 * bls::SIGNATURE_LEN,
    );
    out.push(CERTIFICATE_VERSION);
    out.extend_from_slice(&issuer.0);
    out.extend_from_slice(&c.serial.to_be_bytes());
    out.extend_from_slice(&c.not_before.unix_secs().to_be_bytes());
    out.extend_from_slice(&c.not_after.unix_secs().to_be_bytes());
    push_vec8(&mut out, c.phone.as_bytes());
    out.extend_from_slice(identity_key);
    push_vec8(&mut out, host);
    out
}

/// Appends `vec8(bytes)`; callers pass only fields whose limits are below 256 bytes.
fn push_vec8(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u8::try_from(bytes.len()).unwrap_or(u8::MAX);
    out.push(len);
    out.extend_from_slice(bytes.get(..usize::from(len)).unwrap_or(bytes));
}

/// `SHA-256(vec8(dst) || parts...)`.
fn hash_with_dst(dst: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    let len = u8::try_from(dst.len()).unwrap_or(u8::MAX);
    h.update([len]);
    h.update(dst);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The prefix `vec8(CERTIFICATE_DST)` of the signed message.
fn signed_prefix() -> [u8; 1 + CERTIFICATE_DST.len()] {
    let mut out = [0u8; 1 + CERTIFICATE_DST.len()];
    if let Some((len, rest)) = out.split_first_mut() {
        *len = const { crate::encoding::dst_len(CERTIFICATE_DST) };
        rest.copy_from_slice(CERTIFICATE_DST);
    }
    out
}

/// One issuer key with its validity: an entry of an [`IssuerKeySet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssuerKey {
    id: KeyId,
    public_key: PublicKey,
    not_before: Time,
    not_after: Time,
}

impl IssuerKey {
    /// An issuer key valid from `not_before` to `not_after` (inclusive, Unix seconds).
    pub fn new(
        public_key: PublicKey,
        not_before: Time,
        not_after: Time,
    ) -> Result<Self, CertificateError> {
        if not_before > not_after {
            return Err(CertificateError::InvalidValidity {
                not_before,
                not_after,
            });
        }
        Ok(Self {
            id: KeyId::of(&public_key),
            public_key,
            not_before,
            not_after,
        })
    }

    /// The key id certificates name.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The BLS public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// First second of the key's validity (inclusive).
    pub fn not_before(&self) -> Time {
        self.not_before
    }

    /// Last second of the key's validity (inclusive).
    pub fn not_after(&self) -> Time {
        self.not_after
    }
}

/// The certificate keys a client accepts (SPEC.md 8.3): 1 to [`MAX_ISSUER_KEYS`] keys, sorted
/// by key id, each with its validity. Clients pin it (or its [`Self::fingerprint`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKeySet {
    keys: Vec<IssuerKey>,
}

impl IssuerKeySet {
    /// A key set of `keys` (in any order; they are sorted by id).
    pub fn new(mut keys: Vec<IssuerKey>) -> Result<Self, CertificateError> {
        if keys.is_empty() {
            return Err(CertificateError::EmptyKeySet);
        }
        if keys.len() > MAX_ISSUER_KEYS {
            return Err(CertificateError::TooManyIssuerKeys { count: keys.len() });
        }
        keys.sort_by_key(|k| k.id);
        for pair in keys.windows(2) {
            if let [a, b] = pair {
                if a.id == b.id {
                    return Err(CertificateError::DuplicateIssuerKey { key_id: a.id });
                }
            }
        }
        Ok(Self { keys })
    }

    /// The keys, sorted by id.
    pub fn keys(&self) -> &[IssuerKey] {
        &self.keys
    }

    /// The key with id `id`, if present.
    pub fn get(&self, id: &KeyId) -> Option<&IssuerKey> {
        self.keys
            .binary_search_by_key(id, |k| k.id)
            .ok()
            .and_then(|i| self.keys.get(i))
    }

    /// The canonical encoding (SPEC.md 8.3).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.keys.len().saturating_mul(64).saturating_add(2));
        out.push(KEY_SET_VERSION);
        out.push(u8::try_from(self.keys.len()).unwrap_or(u8::MAX));
        for k in &self.keys {
            out.extend_from_slice(&k.public_key.to_bytes());
            out.extend_from_slice(&k.not_before.unix_secs().to_be_bytes());
            out.extend_from_slice(&k.not_after.unix_secs().to_be_bytes());
        }
        out
    }

    /// Decodes a key set: every key valid, validity in order, ids strictly increasing.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CertificateError> {
        let mut r = Reader::new(bytes);
        r.version("issuer_key_set.version", KEY_SET_VERSION)?;
        let count = usize::from(r.u8("issuer_key_set.count")?);
        if count == 0 {
            return Err(
                DecodeError::new("issuer_key_set.count", DecodeErrorKind::InvalidValue).into(),
            );
        }
        if count > MAX_ISSUER_KEYS {
            return Err(DecodeError::new(
                "issuer_key_set.count",
                DecodeErrorKind::TooLong {
                    length: count,
                    max: MAX_ISSUER_KEYS,
                },
            )
            .into());
        }
        let mut keys: Vec<IssuerKey> = Vec::with_capacity(count);
        for _ in 0..count {
            let public_key = PublicKey::from_point(r.g1("issuer_key_set.public_key")?);
            let not_before = r.time("issuer_key_set.not_before")?;
            let not_after = r.time("issuer_key_set.not_after")?;
            let key = IssuerKey::new(public_key, not_before, not_after).map_err(|_| {
                DecodeError::new("issuer_key_set.not_after", DecodeErrorKind::InvalidValue)
            })?;
            if keys.last().is_some_and(|prev| prev.id >= key.id) {
                return Err(DecodeError::new(
                    "issuer_key_set.order",
                    DecodeErrorKind::InvalidValue,
                )
                .into());
            }
            keys.push(key);
        }
        r.finish("issuer_key_set")?;
        Ok(Self { keys })
    }

    /// `SHA-256(vec8("blindpost/v1/certificate/key-set") || encoding)`: what a client compares
    /// to check it sees the key set everyone sees.
    pub fn fingerprint(&self) -> [u8; 32] {
        hash_with_dst(KEY_SET_DST, &[&self.to_bytes()])
    }

    /// Decodes and verifies certificate bytes: see [`Self::verify_certificate`].
    pub fn verify(
        &self,
        certificate: &[u8],
        now: Time,
        expected_phone: Option<&PhoneNumber>,
    ) -> Result<Certificate, CertificateError> {
        let cert = Certificate::from_bytes(certificate)?;
        self.verify_certificate(&cert, now, expected_phone)?;
        Ok(cert)
    }

    /// Verifies a decoded certificate at time `now` (Unix seconds). Checks, in this order
    /// (SPEC.md 8.5): issuer key in the set, signature, not yet valid / expired (the
    /// certificate's validity intersected with its key's), and, if `expected_phone` is given,
    /// the phone number.
    pub fn verify_certificate(
        &self,
        cert: &Certificate,
        now: Time,
        expected_phone: Option<&PhoneNumber>,
    ) -> Result<(), CertificateError> {
        self.verify_certificate_given(cert, now, expected_phone, false)
    }

    /// [`Self::verify_certificate`], skipping the signature when `signature_checked` (the
    /// caller verified [`Self::signature_equation`] together with its own equations).
    pub(crate) fn verify_certificate_given(
        &self,
        cert: &Certificate,
        now: Time,
        expected_phone: Option<&PhoneNumber>,
        signature_checked: bool,
    ) -> Result<(), CertificateError> {
        let key = self.issuer_of(cert)?;
        if !signature_checked
            && !key
                .public_key
                .verify_hashed(&cert.signed_hash(), cert.signature.point())
        {
            return Err(CertificateError::BadSignature);
        }
        check_time_and_phone(cert, key, now, expected_phone)
    }

    /// The pairing equation of the certificate's signature under its issuer's key, for
    /// checking together with others; `None` when the issuer is not in the set.
    pub(crate) fn signature_equation(&self, cert: &Certificate) -> Option<Equation> {
        let key = self.issuer_of(cert).ok()?;
        Some(
            key.public_key
                .hashed_equation(&cert.signed_hash(), cert.signature.point()),
        )
    }

    /// Verifies many decoded certificates, each with its expected phone number, at time `now`.
    /// The signatures made by one issuer key are checked together (one pairing product per
    /// key, with random 64-bit weights from `rng`; SPEC.md 8.5); if such a batch fails, its
    /// certificates are checked one by one. Result `i` is what [`Self::verify_certificate`]
    /// returns for item `i` (except with probability 2^-64 per batch).
    pub fn verify_many<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        items: &[(&Certificate, Option<&PhoneNumber>)],
        now: Time,
    ) -> Vec<Result<(), CertificateError>> {
        let mut results: Vec<Result<(), CertificateError>> = items
            .iter()
            .map(|(cert, _)| self.issuer_of(cert).map(|_| ()))
            .collect();
        for key in &self.keys {
            let batch: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, (cert, _))| cert.issuer == key.id)
                .map(|(i, _)| i)
                .collect();
            if batch.is_empty() {
                continue;
            }
            let certs: Vec<&Certificate> = batch
                .iter()
                .filter_map(|&i| items.get(i).map(|(c, _)| *c))
                .collect();
            let hashes: Vec<G2Projective> = certs.iter().map(|c| c.signed_hash()).collect();
            let sigs: Vec<&G2Affine> = certs.iter().map(|c| c.signature.point()).collect();
            let all_valid = key.public_key.verify_batch_hashed(rng, &hashes, &sigs);
            for ((&i, h), sig) in batch.iter().zip(&hashes).zip(&sigs) {
                let sig_ok = all_valid || key.public_key.verify_hashed(h, sig);
                let outcome = match items.get(i) {
                    Some((cert, phone)) if sig_ok => check_time_and_phone(cert, key, now, *phone),
                    _ => Err(CertificateError::BadSignature),
                };
                if let Some(slot) = results.get_mut(i) {
                    *slot = outcome;
                }
            }
        }
        results
    }

    fn issuer_of(&self, cert: &Certificate) -> Result<&IssuerKey, CertificateError> {
        self.get(&cert.issuer)
            .ok_or(CertificateError::UnknownIssuer {
                key_id: cert.issuer,
            })
    }
}

/// Steps 4 and 5 of SPEC.md 8.5, for a certificate whose signature verified under `key`.
fn check_time_and_phone(
    cert: &Certificate,
    key: &IssuerKey,
    now: Time,
    expected_phone: Option<&PhoneNumber>,
) -> Result<(), CertificateError> {
    let not_before = cert.content.not_before.max(key.not_before);
    let not_after = cert.content.not_after.min(key.not_after);
    if now < not_before {
        return Err(CertificateError::NotYetValid { not_before, now });
    }
    if now > not_after {
        return Err(CertificateError::Expired { not_after, now });
    }
    if expected_phone.is_some_and(|p| *p != cert.content.phone) {
        return Err(CertificateError::WrongPhoneNumber);
    }
    Ok(())
}

/// The server's certificate signer: one BLS secret key and its [`IssuerKey`] entry.
#[derive(Debug)]
pub struct CertificateIssuer {
    secret_key: SecretKey,
    key: IssuerKey,
}

impl CertificateIssuer {
    /// A signer for `secret_key`, whose key is valid from `not_before` to `not_after`.
    pub fn new(
        secret_key: SecretKey,
        not_before: Time,
        not_after: Time,
    ) -> Result<Self, CertificateError> {
        let key = IssuerKey::new(secret_key.public_key(), not_before, not_after)?;
        Ok(Self { secret_key, key })
    }

    /// The secret key (for persisting the issuer).
    pub(crate) fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }

    /// The key set entry to publish for this signer.
    pub fn issuer_key(&self) -> &IssuerKey {
        &self.key
    }

    /// Signs `content`. Its validity must be in order and inside this key's validity.
    pub fn issue(&self, content: CertificateContent) -> Result<Certificate, CertificateError> {
        if content.not_before > content.not_after {
            return Err(CertificateError::InvalidValidity {
                not_before: content.not_before,
                not_after: content.not_after,
            });
        }
        if content.not_before < self.key.not_before || content.not_after > self.key.not_after {
            return Err(CertificateError::ValidityOutsideIssuerKey);
        }
        let tbs = encode_tbs(self.key.id, &content);
        let sig = self
            .secret_key
            .sign_parts(bls::CIPHERSUITE_SIG, &[&signed_prefix(), &tbs]);
        Ok(Certificate {
            issuer: self.key.id,
            content,
            signature: Signature::from_point(sig),
        })
    }
}
