//! RSA blind signatures, RFC 9474 RSABSSA-SHA384 (SPEC.md section 5): keys (PKCS#8, SPKI,
//! components) and the four protocol steps.

use crate::error::BlindpostError;
use crate::rng::with_os_rng;
use blindpost::blind_rsa;
use std::sync::Arc;

/// The RFC 9474 variants, all with SHA-384 and MGF1-SHA-384.
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlindRsaVariant {
    /// RSABSSA-SHA384-PSS-Randomized: 48-byte salt, random message prefix.
    Sha384PssRandomized,
    /// RSABSSA-SHA384-PSSZERO-Randomized: no salt, random message prefix.
    Sha384PssZeroRandomized,
    /// RSABSSA-SHA384-PSS-Deterministic: 48-byte salt, no prefix (RFC 9578 tokens).
    Sha384PssDeterministic,
    /// RSABSSA-SHA384-PSSZERO-Deterministic: no salt, no prefix.
    Sha384PssZeroDeterministic,
}

impl From<BlindRsaVariant> for blind_rsa::Variant {
    fn from(v: BlindRsaVariant) -> Self {
        match v {
            BlindRsaVariant::Sha384PssRandomized => Self::Sha384PssRandomized,
            BlindRsaVariant::Sha384PssZeroRandomized => Self::Sha384PssZeroRandomized,
            BlindRsaVariant::Sha384PssDeterministic => Self::Sha384PssDeterministic,
            BlindRsaVariant::Sha384PssZeroDeterministic => Self::Sha384PssZeroDeterministic,
        }
    }
}

/// The RFC 9474 name of `variant`, for example `RSABSSA-SHA384-PSS-Randomized`.
#[uniffi::export]
pub fn blind_rsa_variant_name(variant: BlindRsaVariant) -> String {
    blind_rsa::Variant::from(variant).name().to_owned()
}

/// The variant with this RFC 9474 name, if any.
#[uniffi::export]
pub fn blind_rsa_variant_from_name(name: String) -> Option<BlindRsaVariant> {
    blind_rsa::Variant::from_name(&name).map(|v| match v {
        blind_rsa::Variant::Sha384PssRandomized => BlindRsaVariant::Sha384PssRandomized,
        blind_rsa::Variant::Sha384PssZeroRandomized => BlindRsaVariant::Sha384PssZeroRandomized,
        blind_rsa::Variant::Sha384PssDeterministic => BlindRsaVariant::Sha384PssDeterministic,
        blind_rsa::Variant::Sha384PssZeroDeterministic => {
            BlindRsaVariant::Sha384PssZeroDeterministic
        }
    })
}

/// An RSA public key of 2048 to 4096 bits with exponent 65537.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct BlindRsaPublicKey {
    pub(crate) inner: blind_rsa::PublicKey,
}

#[uniffi::export]
impl BlindRsaPublicKey {
    /// Parses the exact RFC 9578 SubjectPublicKeyInfo (id-RSASSA-PSS, SHA-384, salt 48) DER.
    #[uniffi::constructor]
    pub fn from_spki_der(der: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: blind_rsa::PublicKey::from_spki_der(&der)?,
        }))
    }

    /// A key from its big-endian modulus and public exponent (leading zeros allowed).
    #[uniffi::constructor]
    pub fn from_components(
        modulus: Vec<u8>,
        exponent: Vec<u8>,
    ) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: blind_rsa::PublicKey::from_components(&modulus, &exponent)?,
        }))
    }

    /// The RFC 9578 SubjectPublicKeyInfo DER.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.inner.to_spki_der()
    }

    /// The modulus length in bits.
    pub fn modulus_bits(&self) -> u32 {
        self.inner.modulus_bits()
    }

    /// The modulus, big-endian, `modulus_len` bytes (every signature has this length).
    pub fn modulus(&self) -> Vec<u8> {
        self.inner.modulus_be()
    }

    /// RFC 9474 `Blind` of `input_msg` (already prepared: see [`blind_rsa_prepare`]) with the
    /// operating system's randomness: the blinded message to send and the inverse to keep for
    /// `finalize` (secret).
    pub fn blind(
        &self,
        variant: BlindRsaVariant,
        input_msg: Vec<u8>,
    ) -> Result<BlindedMessage, BlindpostError> {
        let (blinded_msg, inverse) =
            with_os_rng(|rng| blind_rsa::blind(&self.inner, variant.into(), rng, &input_msg))??;
        Ok(BlindedMessage {
            blinded_msg,
            inverse: inverse.to_bytes().to_vec(),
        })
    }

    /// RFC 9474 `Finalize`: unblinds `blind_sig` with `inverse` (from `blind`) and returns the
    /// signature, after checking it verifies over `input_msg`.
    pub fn finalize(
        &self,
        variant: BlindRsaVariant,
        input_msg: Vec<u8>,
        blind_sig: Vec<u8>,
        inverse: Vec<u8>,
    ) -> Result<Vec<u8>, BlindpostError> {
        let inverse = blind_rsa::BlindingInverse::from_bytes(&self.inner, &inverse)?;
        Ok(blind_rsa::finalize(
            &self.inner,
            variant.into(),
            &input_msg,
            &blind_sig,
            &inverse,
        )?)
    }

    /// RSASSA-PSS-VERIFY with SHA-384 over `input_msg` (prefix included); throws
    /// `BlindRsa` (`InvalidSignature`).
    pub fn verify(
        &self,
        variant: BlindRsaVariant,
        input_msg: Vec<u8>,
        signature: Vec<u8>,
    ) -> Result<(), BlindpostError> {
        Ok(self.inner.verify(variant.into(), &input_msg, &signature)?)
    }
}

/// What `blind` returns: the blinded message for the signer and the inverse the client keeps.
#[derive(uniffi::Record, Clone, PartialEq, Eq)]
pub struct BlindedMessage {
    /// The blinded message (`modulus_len` bytes), sent to the signer.
    pub blinded_msg: Vec<u8>,
    /// `r^-1 mod n` (`modulus_len` bytes): secret, kept for `finalize`.
    pub inverse: Vec<u8>,
}

impl std::fmt::Debug for BlindedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlindedMessage")
            .field("blinded_msg", &self.blinded_msg.len())
            .finish_non_exhaustive()
    }
}

/// RFC 9474 `Prepare`: for the Randomized variants 32 random bytes (from the operating system)
/// followed by `msg`; for the Deterministic ones `msg` itself.
#[uniffi::export]
pub fn blind_rsa_prepare(
    variant: BlindRsaVariant,
    msg: Vec<u8>,
) -> Result<Vec<u8>, BlindpostError> {
    with_os_rng(|rng| blind_rsa::prepare(variant.into(), rng, &msg))
}

/// An RSA secret key (zeroized when the object is destroyed).
#[derive(uniffi::Object)]
pub struct BlindRsaSecretKey {
    pub(crate) inner: blind_rsa::SecretKey,
}

#[uniffi::export]
impl BlindRsaSecretKey {
    /// Generates a key of `bits` bits (2048 to 4096) from the operating system's randomness
    /// (2048 bits take tens of milliseconds, 4096 bits seconds).
    #[uniffi::constructor]
    pub fn generate(bits: u32) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: with_os_rng(|rng| blind_rsa::SecretKey::generate(rng, bits))??,
        }))
    }

    /// Parses a DER PKCS#8 `PrivateKeyInfo` holding a two-prime RSA key.
    #[uniffi::constructor]
    pub fn from_pkcs8_der(der: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: blind_rsa::SecretKey::from_pkcs8_der(&der)?,
        }))
    }

    /// Parses a PEM (`PRIVATE KEY`) PKCS#8 key.
    #[uniffi::constructor]
    pub fn from_pkcs8_pem(pem: String) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: blind_rsa::SecretKey::from_pkcs8_pem(&pem)?,
        }))
    }

    /// The DER PKCS#8 encoding (secret).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, BlindpostError> {
        Ok(self.inner.to_pkcs8_der()?.to_vec())
    }

    /// The PEM PKCS#8 encoding (secret).
    pub fn to_pkcs8_pem(&self) -> Result<String, BlindpostError> {
        Ok(self.inner.to_pkcs8_pem()?.as_str().to_owned())
    }

    /// The public key.
    pub fn public_key(&self) -> Arc<BlindRsaPublicKey> {
        Arc::new(BlindRsaPublicKey {
            inner: self.inner.public_key().clone(),
        })
    }

    /// RFC 9474 `BlindSign` (with RSA blinding from the operating system's randomness).
    pub fn blind_sign(&self, blinded_msg: Vec<u8>) -> Result<Vec<u8>, BlindpostError> {
        Ok(with_os_rng(|rng| {
            self.inner.blind_sign(rng, &blinded_msg)
        })??)
    }
}
