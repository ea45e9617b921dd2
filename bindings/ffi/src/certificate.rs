//! Phone numbers, certificates, issuer keys and key sets (SPEC.md section 8).

use crate::bls::{BlsPublicKey, BlsSecretKey};
use crate::error::BlindpostError;
use blindpost::bls;
use blindpost::certificate::{
    self as cert, CertificateContent, HostKey, IssuerKey as CoreIssuerKey, KeyId,
};
use blindpost::Time;
use blindpost::{DecodeError, DecodeErrorKind};
use std::sync::Arc;

/// An E.164 phone number: `+` and 1 to 15 digits, the first not 0.
#[derive(uniffi::Object, Debug, PartialEq, Eq, Hash)]
#[uniffi::export(Display, Eq, Hash)]
pub struct PhoneNumber {
    pub(crate) inner: cert::PhoneNumber,
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.inner.as_str())
    }
}

#[uniffi::export]
impl PhoneNumber {
    /// Parses `text`; throws `Certificate` (`InvalidPhoneNumber`) unless it is E.164 exactly
    /// (no spaces or punctuation: the host normalises user input first).
    #[uniffi::constructor]
    pub fn parse(text: String) -> Result<Arc<Self>, BlindpostError> {
        let inner = cert::PhoneNumber::parse(&text)?;
        Ok(Arc::new(Self { inner }))
    }

    /// The number as text, for example `+14155550100`.
    pub fn e164(&self) -> String {
        self.inner.as_str().to_owned()
    }
}

/// The fields of a decoded certificate (SPEC.md 8.2).
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The certificate's canonical encoding (what was decoded).
    pub bytes: Vec<u8>,
    /// The 8-byte id of the issuer key that signed it.
    pub issuer_key_id: Vec<u8>,
    /// The issuer's serial number.
    pub serial: u64,
    /// First second of validity (Unix time, inclusive).
    pub not_before: u64,
    /// Last second of validity (Unix time, inclusive).
    pub not_after: u64,
    /// The proven phone number, E.164.
    pub phone: String,
    /// The account's 48-byte BLS identity key.
    pub identity_key: Vec<u8>,
    /// The 32-byte account id of the identity key: where cold calls and replies to this
    /// account are addressed.
    pub account: Vec<u8>,
    /// The host's opaque identity key, if any (1 to 64 bytes).
    pub host_key: Option<Vec<u8>>,
    /// The issuer's 96-byte BLS signature.
    pub signature: Vec<u8>,
}

impl From<&cert::Certificate> for Certificate {
    fn from(c: &cert::Certificate) -> Self {
        Self {
            bytes: c.to_bytes(),
            issuer_key_id: c.issuer_key_id().to_bytes().to_vec(),
            serial: c.serial(),
            not_before: c.not_before().unix_secs(),
            not_after: c.not_after().unix_secs(),
            phone: c.phone().as_str().to_owned(),
            identity_key: c.identity_key().to_bytes().to_vec(),
            account: blindpost::account::AccountId::for_identity_key(&c.identity_key().to_bytes())
                .0
                .to_vec(),
            host_key: c.host_key().map(|h| h.as_bytes().to_vec()),
            signature: c.signature().to_bytes().to_vec(),
        }
    }
}

/// Decodes a certificate with every check of SPEC.md 8.2 **except its signature**: for
/// display or logging only. Use [`IssuerKeySet::verify`] before trusting any field.
#[uniffi::export]
pub fn decode_certificate_unverified(bytes: Vec<u8>) -> Result<Certificate, BlindpostError> {
    let c = cert::Certificate::from_bytes(&bytes)?;
    Ok(Certificate::from(&c))
}

/// One issuer key of a key set with its validity (SPEC.md 8.3).
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey {
    /// The 8-byte key id certificates name (derived from the public key).
    pub key_id: Vec<u8>,
    /// The 48-byte BLS public key.
    pub public_key: Vec<u8>,
    /// First second of the key's validity (inclusive).
    pub not_before: u64,
    /// Last second of the key's validity (inclusive).
    pub not_after: u64,
}

impl From<&CoreIssuerKey> for IssuerKey {
    fn from(k: &CoreIssuerKey) -> Self {
        Self {
            key_id: k.id().to_bytes().to_vec(),
            public_key: k.public_key().to_bytes().to_vec(),
            not_before: k.not_before().unix_secs(),
            not_after: k.not_after().unix_secs(),
        }
    }
}

impl TryFrom<&IssuerKey> for CoreIssuerKey {
    type Error = BlindpostError;

    /// Decodes the public key, checks the validity, and checks that `key_id` is the key's id.
    fn try_from(k: &IssuerKey) -> Result<Self, BlindpostError> {
        let public_key = bls::PublicKey::from_bytes(&k.public_key)?;
        let key = CoreIssuerKey::new(
            public_key,
            Time::from_unix_secs(k.not_before),
            Time::from_unix_secs(k.not_after),
        )?;
        if k.key_id.as_slice() != key.id().to_bytes().as_slice() {
            return Err(
                DecodeError::new("issuer_key.key_id", DecodeErrorKind::InvalidValue).into(),
            );
        }
        Ok(key)
    }
}

/// The certificate keys a client accepts (SPEC.md 8.3); clients pin it or its fingerprint.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct IssuerKeySet {
    inner: cert::IssuerKeySet,
}

#[uniffi::export]
impl IssuerKeySet {
    /// Decodes a key set: every key valid, validity in order, ids strictly increasing.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        let inner = cert::IssuerKeySet::from_bytes(&bytes)?;
        Ok(Arc::new(Self { inner }))
    }

    /// A key set of 1 to 16 keys in any order (the server builds the set it publishes). Each
    /// key's `key_id` must be its public key's id.
    #[uniffi::constructor]
    pub fn from_keys(keys: Vec<IssuerKey>) -> Result<Arc<Self>, BlindpostError> {
        let keys = keys
            .iter()
            .map(CoreIssuerKey::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let inner = cert::IssuerKeySet::new(keys)?;
        Ok(Arc::new(Self { inner }))
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// The 32-byte fingerprint clients compare to see the key set everyone sees.
    pub fn fingerprint(&self) -> Vec<u8> {
        self.inner.fingerprint().to_vec()
    }

    /// The keys, sorted by id.
    pub fn keys(&self) -> Vec<IssuerKey> {
        self.inner.keys().iter().map(IssuerKey::from).collect()
    }

    /// Decodes and verifies certificate bytes at `now` (Unix seconds): issuer in the set,
    /// signature, validity, and the phone number if `expected_phone` is given (SPEC.md 8.5).
    /// Returns the certificate's fields.
    pub fn verify(
        &self,
        certificate: Vec<u8>,
        now: u64,
        expected_phone: Option<Arc<PhoneNumber>>,
    ) -> Result<Certificate, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let c = self
            .inner
            .verify(&certificate, now, expected_phone.as_ref().map(|p| &p.inner))?;
        Ok(Certificate::from(&c))
    }
}

/// The server's certificate signer: one BLS issuer key with its validity.
#[derive(uniffi::Object, Debug)]
pub struct CertificateIssuer {
    inner: cert::CertificateIssuer,
}

#[uniffi::export]
impl CertificateIssuer {
    /// A signer for `secret_key`, whose key is valid from `not_before` to `not_after`
    /// (inclusive, Unix seconds).
    #[uniffi::constructor]
    pub fn new(
        secret_key: &BlsSecretKey,
        not_before: u64,
        not_after: u64,
    ) -> Result<Arc<Self>, BlindpostError> {
        let sk = bls::SecretKey::from_bytes(secret_key.inner.to_bytes().as_ref())?;
        let inner = cert::CertificateIssuer::new(
            sk,
            Time::from_unix_secs(not_before),
            Time::from_unix_secs(not_after),
        )?;
        Ok(Arc::new(Self { inner }))
    }

    /// The key set entry to publish for this signer.
    pub fn issuer_key(&self) -> IssuerKey {
        IssuerKey::from(self.inner.issuer_key())
    }

    /// Signs a certificate binding `phone` to `identity_key` (and the host's key, if any),
    /// valid from `not_before` to `not_after` inside this issuer key's validity. Returns the
    /// certificate's encoding.
    pub fn issue(
        &self,
        phone: &PhoneNumber,
        identity_key: &BlsPublicKey,
        host_key: Option<Vec<u8>>,
        serial: u64,
        not_before: u64,
        not_after: u64,
    ) -> Result<Vec<u8>, BlindpostError> {
        let host_key = host_key.as_deref().map(HostKey::new).transpose()?;
        let content = CertificateContent {
            phone: phone.inner.clone(),
            identity_key: identity_key.inner,
            host_key,
            serial,
            not_before: Time::from_unix_secs(not_before),
            not_after: Time::from_unix_secs(not_after),
        };
        Ok(self.inner.issue(content)?.to_bytes())
    }
}

/// The id certificates use for the issuer key `public_key` (SPEC.md 8.3).
#[uniffi::export]
pub fn issuer_key_id(public_key: &BlsPublicKey) -> Vec<u8> {
    KeyId::of(&public_key.inner).to_bytes().to_vec()
}
