//! BLS identity keys (SPEC.md section 7): KeyGen, sign, verify, proofs of possession.

use crate::error::BlindpostError;
use crate::rng::{with_os_rng, VectorRng};
use blindpost::bls::{self, ProofOfPossession, Signature};
use std::sync::Arc;

/// A BLS secret key (an identity key or a certificate issuer key). The key is zeroized when the
/// object is destroyed; it is exported only by [`BlsSecretKey::to_bytes`].
#[derive(uniffi::Object)]
pub struct BlsSecretKey {
    pub(crate) inner: bls::SecretKey,
}

#[uniffi::export]
impl BlsSecretKey {
    /// A fresh key from 32 bytes of the operating system's randomness (KeyGen, empty key_info).
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>, BlindpostError> {
        let inner = with_os_rng(bls::SecretKey::generate)?;
        Ok(Arc::new(Self { inner }))
    }

    /// KeyGen of draft-irtf-cfrg-bls-signature section 2.3 over `ikm` (at least 32 bytes of
    /// secret, uniformly random material) and `key_info`.
    #[uniffi::constructor]
    pub fn key_gen(ikm: Vec<u8>, key_info: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        let inner = bls::SecretKey::key_gen(&ikm, &key_info)?;
        Ok(Arc::new(Self { inner }))
    }

    /// What the core's `SecretKey::generate` draws from the test-vector generator: for
    /// reproducing vectors only, never for real keys.
    #[uniffi::constructor]
    pub fn generate_with_vector_rng(rng: &VectorRng) -> Arc<Self> {
        let inner = rng.with(bls::SecretKey::generate);
        Arc::new(Self { inner })
    }

    /// Decodes 32 big-endian bytes (non-zero, below the group order).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        let inner = bls::SecretKey::from_bytes(&bytes)?;
        Ok(Arc::new(Self { inner }))
    }

    /// The 32-byte big-endian encoding. The copy handed out is the caller's to protect.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }

    /// The public key.
    pub fn public_key(&self) -> Arc<BlsPublicKey> {
        Arc::new(BlsPublicKey {
            inner: self.inner.public_key(),
        })
    }

    /// Signs `message`; the 96-byte signature.
    pub fn sign(&self, message: Vec<u8>) -> Vec<u8> {
        self.inner.sign(&message).to_bytes().to_vec()
    }

    /// PopProve: the 96-byte proof of possession of this key.
    pub fn pop_prove(&self) -> Vec<u8> {
        self.inner.pop_prove().to_bytes().to_vec()
    }
}

/// A BLS public key: 48 bytes that passed KeyValidate.
#[derive(uniffi::Object, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct BlsPublicKey {
    pub(crate) inner: bls::PublicKey,
}

#[uniffi::export]
impl BlsPublicKey {
    /// Decodes a 48-byte compressed G1 point and runs KeyValidate.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        let inner = bls::PublicKey::from_bytes(&bytes)?;
        Ok(Arc::new(Self { inner }))
    }

    /// The 48-byte compressed encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }

    /// Verifies a 96-byte `signature` over `message`; throws `Malformed` if the signature
    /// cannot be decoded and `Bls` (`InvalidSignature`) if it does not verify.
    pub fn verify(&self, message: Vec<u8>, signature: Vec<u8>) -> Result<(), BlindpostError> {
        let signature = Signature::from_bytes(&signature)?;
        Ok(self.inner.verify(&message, &signature)?)
    }

    /// PopVerify of a 96-byte proof of possession.
    pub fn pop_verify(&self, proof: Vec<u8>) -> Result<(), BlindpostError> {
        let proof = ProofOfPossession::from_bytes(&proof)?;
        Ok(self.inner.pop_verify(&proof)?)
    }
}

/// The BLS ciphersuite of signatures (SPEC.md 7.1), also the hash-to-curve DST.
#[uniffi::export]
pub fn bls_ciphersuite() -> String {
    String::from_utf8_lossy(bls::CIPHERSUITE_SIG).into_owned()
}
