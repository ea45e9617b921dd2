//! A test certificate authority (feature `test-ca`): a root and an intermediate that issue
//! domain certificates, and the proof a domain's holder makes with its key. For tests, the
//! walkthrough and example hosts only: its keys are generated in memory and trusted by nobody
//! else.

use blindpost::bulk::BulkProof;
use blindpost::Time;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SigningKey,
};
use time::OffsetDateTime;

/// The TLS SignatureScheme of the proofs a [`DomainCertificate`] makes: ecdsa_secp256r1_sha256.
pub const SCHEME: u16 = 0x0403;

/// What went wrong making a test certificate or signature.
#[derive(Debug)]
pub struct TestCaError(rcgen::Error);

impl std::fmt::Display for TestCaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "test CA: {}", self.0)
    }
}

impl std::error::Error for TestCaError {}

impl From<rcgen::Error> for TestCaError {
    fn from(e: rcgen::Error) -> Self {
        Self(e)
    }
}

fn at(t: Time) -> OffsetDateTime {
    let secs = i64::try_from(t.unix_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn ca_params(
    name: &str,
    not_before: Time,
    not_after: Time,
) -> Result<CertificateParams, TestCaError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = at(not_before);
    params.not_after = at(not_after);
    Ok(params)
}

/// A root CA and an intermediate CA under it, both valid from `not_before` to `not_after`.
pub struct TestCa {
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    /// A fresh root and intermediate named `name` (P-256 keys from the operating system).
    pub fn new(name: &str, not_before: Time, not_after: Time) -> Result<Self, TestCaError> {
        let root = CertifiedIssuer::self_signed(
            ca_params(&format!("{name} root"), not_before, not_after)?,
            KeyPair::generate()?,
        )?;
        let intermediate = CertifiedIssuer::signed_by(
            ca_params(&format!("{name} intermediate"), not_before, not_after)?,
            KeyPair::generate()?,
            &root,
        )?;
        Ok(Self { root, intermediate })
    }

    /// The root certificate (DER): the trust anchor an operator configures.
    pub fn anchor_der(&self) -> Vec<u8> {
        self.root.der().to_vec()
    }

    /// The root certificate as PEM.
    pub fn anchor_pem(&self) -> String {
        self.root.pem()
    }

    /// A TLS server certificate for `domain`, issued by the intermediate, valid from
    /// `not_before` to `not_after`.
    pub fn issue(
        &self,
        domain: &str,
        not_before: Time,
        not_after: Time,
    ) -> Result<DomainCertificate, TestCaError> {
        let mut params = CertificateParams::new(vec![domain.to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, domain);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = at(not_before);
        params.not_after = at(not_after);
        let key = KeyPair::generate()?;
        let certificate = params.signed_by(&key, &self.intermediate)?;
        Ok(DomainCertificate {
            domain: domain.to_owned(),
            chain: vec![certificate.der().to_vec(), self.intermediate.der().to_vec()],
            key,
        })
    }
}

/// A domain's certificate chain (end-entity, then the intermediate) and its private key.
pub struct DomainCertificate {
    domain: String,
    chain: Vec<Vec<u8>>,
    key: KeyPair,
}

impl DomainCertificate {
    /// The chain, end-entity certificate first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The proof for the account whose compressed identity public key is `identity_key`: the
    /// chain and the certificate key's signature over [`BulkProof::signed_message`].
    pub fn prove(&self, identity_key: &[u8; 48]) -> Result<BulkProof, TestCaError> {
        self.prove_for(&self.domain, identity_key)
    }

    /// A proof naming `domain` (the certificate's own, or another one to test a refusal).
    pub fn prove_for(
        &self,
        domain: &str,
        identity_key: &[u8; 48],
    ) -> Result<BulkProof, TestCaError> {
        let message = BulkProof::signed_message(domain, identity_key);
        Ok(BulkProof {
            chain: self.chain.clone(),
            domain: domain.to_owned(),
            scheme: SCHEME,
            signature: self.key.sign(&message)?,
        })
    }
}
