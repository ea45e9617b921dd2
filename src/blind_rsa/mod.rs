//! RSA blind signatures, RFC 9474 RSABSSA with SHA-384 (SPEC.md section 5).
//!
//! The four variants of RFC 9474 section 5 (PSS and PSSZERO, Randomized and Deterministic) over
//! the raw RSA operations of the `rsa` crate; EMSA-PSS and MGF1 are this module's own, on
//! `sha2` 0.10. The protocol is:
//!
//! 1. client: [`prepare`] the message (a random 32-byte prefix for the Randomized variants),
//!    then [`blind`] it under the signer's [`PublicKey`], keeping the [`BlindingInverse`];
//! 2. signer: [`SecretKey::blind_sign`] the blinded message (RSA-blinded private operation,
//!    checked with the public operation before it answers);
//! 3. client: [`finalize`] the blind signature into an RSASSA-PSS signature, which it checks;
//! 4. anyone: [`PublicKey::verify`].
//!
//! Guarantees: keys are 2048 to 4096 bits with e = 65537; the signer rejects inputs of the wrong
//! length or not below n; the client's secrets (the blinding inverse, the salt, the encoded
//! message) go through constant-time big-integer arithmetic only and are zeroized.

mod keys;
mod pss;

pub use keys::{PublicKey, SecretKey, MAX_MODULUS_BITS, MIN_MODULUS_BITS, PUBLIC_EXPONENT};

use alloc::vec::Vec;
use core::fmt;
use crypto_bigint::modular::BoxedMontyForm;
use crypto_bigint::{CtLt, Gcd};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of the random message prefix of the Randomized variants.
pub const PREFIX_LEN: usize = 32;

/// Length of the PSS salt of the PSS (not PSSZERO) variants: the SHA-384 output length.
pub const SALT_LEN: usize = pss::HASH_LEN;

/// How many candidates [`blind`] draws for the blinding factor before it gives up. Each candidate
/// is accepted with probability above 1/2, so only a broken generator reaches the limit.
const MAX_BLINDING_ATTEMPTS: usize = 64;

/// The RFC 9474 variants, all with SHA-384 and MGF1-SHA-384.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// RSABSSA-SHA384-PSS-Randomized: 48-byte salt, random message prefix.
    Sha384PssRandomized,
    /// RSABSSA-SHA384-PSSZERO-Randomized: no salt, random message prefix.
    Sha384PssZeroRandomized,
    /// RSABSSA-SHA384-PSS-Deterministic: 48-byte salt, no prefix (RFC 9578 token type 0x0002).
    Sha384PssDeterministic,
    /// RSABSSA-SHA384-PSSZERO-Deterministic: no salt, no prefix.
    Sha384PssZeroDeterministic,
}

impl Variant {
    /// Every variant, in the order of RFC 9474 section 5.
    pub const ALL: [Variant; 4] = [
        Variant::Sha384PssRandomized,
        Variant::Sha384PssZeroRandomized,
        Variant::Sha384PssDeterministic,
        Variant::Sha384PssZeroDeterministic,
    ];

    /// The RFC 9474 name, for example `RSABSSA-SHA384-PSS-Randomized`.
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Sha384PssRandomized => "RSABSSA-SHA384-PSS-Randomized",
            Variant::Sha384PssZeroRandomized => "RSABSSA-SHA384-PSSZERO-Randomized",
            Variant::Sha384PssDeterministic => "RSABSSA-SHA384-PSS-Deterministic",
            Variant::Sha384PssZeroDeterministic => "RSABSSA-SHA384-PSSZERO-Deterministic",
        }
    }

    /// The variant with this RFC 9474 name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The PSS salt length (`sLen`): 48 or 0.
    pub const fn salt_len(self) -> usize {
        match self {
            Variant::Sha384PssRandomized | Variant::Sha384PssDeterministic => SALT_LEN,
            Variant::Sha384PssZeroRandomized | Variant::Sha384PssZeroDeterministic => 0,
        }
    }

    /// Whether [`prepare`] adds a random prefix.
    pub const fn is_randomized(self) -> bool {
        matches!(
            self,
            Variant::Sha384PssRandomized | Variant::Sha384PssZeroRandomized
        )
    }
}

/// Why a blind RSA operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The modulus is not between 2048 and 4096 bits.
    UnsupportedModulusSize {
        /// The modulus length found, in bits.
        bits: u32,
    },
    /// The public exponent is not 65537.
    UnsupportedExponent,
    /// The key components are inconsistent (the RSA key checks rejected them).
    InvalidKey,
    /// A SubjectPublicKeyInfo is not the exact RFC 9578 RSASSA-PSS (SHA-384, MGF1-SHA-384, salt
    /// length 48) DER encoding.
    InvalidSpki,
    /// A PKCS#8 private key (DER or PEM) could not be parsed.
    InvalidPkcs8,
    /// Encoding a private key failed.
    KeyEncoding,
    /// Key generation failed.
    KeyGeneration,
    /// An input does not have the length the key requires.
    WrongLength {
        /// The input of the wrong length (`blinded message`, `blind signature`, ...).
        input: &'static str,
        /// The length required (the modulus length in bytes).
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The blinded message is not below the modulus (RFC 9474 "message representative out of
    /// range").
    BlindedMessageOutOfRange,
    /// The blind signature is not below the modulus.
    BlindSignatureOutOfRange,
    /// The encoded message is not coprime to the modulus (RFC 9474 "invalid input").
    MessageNotCoprime,
    /// No invertible blinding factor could be drawn (RFC 9474 "blinding error").
    BlindingFailed,
    /// The private operation failed or its result did not verify (RFC 9474 "signing failure").
    SigningFailed,
    /// The blinding inverse is not a unit modulo this key's modulus.
    InverseNotForKey,
    /// The unblinded signature does not verify: the signer answered with a wrong blind signature.
    InvalidBlindSignature,
    /// The signature does not verify under the key.
    InvalidSignature,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnsupportedModulusSize { bits } => write!(
                f,
                "RSA modulus of {bits} bits is outside {MIN_MODULUS_BITS}..={MAX_MODULUS_BITS}"
            ),
            Error::UnsupportedExponent => {
                write!(f, "RSA public exponent is not {PUBLIC_EXPONENT}")
            }
            Error::InvalidKey => f.write_str("RSA key components are inconsistent"),
            Error::InvalidSpki => f.write_str(
                "public key is not the RFC 9578 RSASSA-PSS SubjectPublicKeyInfo encoding",
            ),
            Error::InvalidPkcs8 => f.write_str("private key is not a valid PKCS#8 RSA key"),
            Error::KeyEncoding => f.write_str("private key could not be encoded"),
            Error::KeyGeneration => f.write_str("RSA key generation failed"),
            Error::WrongLength {
                input,
                expected,
                found,
            } => write!(f, "{input} is {found} bytes, the key needs {expected}"),
            Error::BlindedMessageOutOfRange => {
                f.write_str("blinded message is not below the modulus")
            }
            Error::BlindSignatureOutOfRange => {
                f.write_str("blind signature is not below the modulus")
            }
            Error::MessageNotCoprime => {
                f.write_str("encoded message is not coprime to the modulus")
            }
            Error::BlindingFailed => f.write_str("no invertible blinding factor could be drawn"),
            Error::SigningFailed => f.write_str("RSA private operation failed its check"),
            Error::InverseNotForKey => f.write_str("blinding inverse does not belong to this key"),
            Error::InvalidBlindSignature => {
                f.write_str("blind signature does not unblind to a valid signature")
            }
            Error::InvalidSignature => f.write_str("signature does not verify"),
        }
    }
}

impl core::error::Error for Error {}

/// The client's secret from [`blind`]: `inv = r^-1 mod n`, which [`finalize`] needs. Zeroized on
/// drop; `Debug` does not print it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BlindingInverse {
    /// `inv`, big-endian, `modulus_len` bytes.
    be: Vec<u8>,
}

impl BlindingInverse {
    /// The big-endian encoding, `modulus_len` bytes, in a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.be.clone())
    }

    /// Decodes an inverse for `key`: exactly `modulus_len` bytes, a unit modulo n (so non-zero
    /// and below n).
    pub fn from_bytes(key: &PublicKey, bytes: &[u8]) -> Result<Self, Error> {
        let inv = Self {
            be: Vec::from(bytes),
        };
        // Its inverse is the blinding factor r: keep it only long enough to see it exists.
        if inv
            .to_monty(key)?
            .invert()
            .into_option()
            .map(Zeroizing::new)
            .is_none()
        {
            return Err(Error::InverseNotForKey);
        }
        Ok(inv)
    }

    /// `inv` in Montgomery form modulo n, after checking it has the key's length and is below n.
    /// Whether it is a unit was settled when it was made ([`blind`]) or decoded
    /// ([`Self::from_bytes`]); an inverse of another key of the same size fails the signature
    /// check in [`finalize`].
    fn to_monty(&self, key: &PublicKey) -> Result<Zeroizing<BoxedMontyForm>, Error> {
        if self.be.len() != key.modulus_len() {
            return Err(Error::InverseNotForKey);
        }
        let inv = Zeroizing::new(key.int_from_bytes(&self.be));
        if !inv.ct_lt(key.n()).to_bool() {
            return Err(Error::InverseNotForKey);
        }
        Ok(Zeroizing::new(BoxedMontyForm::new(
            (*inv).clone(),
            key.params(),
        )))
    }
}

impl fmt::Debug for BlindingInverse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindingInverse(<redacted>)")
    }
}

/// RFC 9474 `Prepare`: for the Randomized variants, 32 random bytes followed by `msg`; for the
/// Deterministic ones, `msg` itself. The result is the `input_msg` of the later steps.
pub fn prepare<R: CryptoRng + ?Sized>(variant: Variant, rng: &mut R, msg: &[u8]) -> Vec<u8> {
    let prefix_len = if variant.is_randomized() {
        PREFIX_LEN
    } else {
        0
    };
    let mut out = alloc::vec![0u8; prefix_len];
    rng.fill_bytes(&mut out);
    out.extend_from_slice(msg);
    out
}

/// RFC 9474 `Blind`: EMSA-PSS-encodes `input_msg` (drawing the salt from `rng`), draws the
/// blinding factor `r` and returns the blinded message `m * r^e mod n` (`modulus_len` bytes) with
/// the inverse `r^-1 mod n` that [`finalize`] needs. Randomness is drawn in the order SPEC.md
/// section 5.3 fixes: the salt, then candidates for `r`.
pub fn blind<R: CryptoRng + ?Sized>(
    key: &PublicKey,
    variant: Variant,
    rng: &mut R,
    input_msg: &[u8],
) -> Result<(Vec<u8>, BlindingInverse), Error> {
    let mut salt = Zeroizing::new([0u8; SALT_LEN]);
    let salt = salt.get_mut(..variant.salt_len()).unwrap_or_default();
    rng.fill_bytes(salt);
    let encoded = Zeroizing::new(pss::encode(input_msg, salt, key.em_bits()).ok_or(
        Error::UnsupportedModulusSize {
            bits: key.modulus_bits(),
        },
    )?);
    let m = Zeroizing::new(BoxedMontyForm::new(
        key.int_from_bytes(&encoded),
        key.params(),
    ));
    let (r, inv) = draw_blinding_factor(key, rng, &m)?;
    // x = RSAVP1(pk, r) = r^e mod n; z = m * x mod n.
    let x = Zeroizing::new(r.pow_bounded_exp(key.e(), key.e().bit_width_vartime()));
    let z = m.mul(&x).retrieve();
    let inverse = BlindingInverse {
        be: key.int_to_bytes(&Zeroizing::new(inv.retrieve())),
    };
    Ok((key.int_to_bytes(&z), inverse))
}

/// Draws `r` uniformly from [1, n) and inverts it: returns `(r, r^-1)` in Montgomery form. Each
/// candidate is `modulus_len` bytes from `rng`, read big-endian, with the bits above `modBits`
/// cleared; a candidate that is zero or not below n is discarded, and so is one that is not a
/// unit. One inversion also checks that the encoded message `m` is coprime to n: `u = m * r` is a
/// unit exactly when both are, and then `r^-1 = u^-1 * m`.
fn draw_blinding_factor<R: CryptoRng + ?Sized>(
    key: &PublicKey,
    rng: &mut R,
    m: &BoxedMontyForm,
) -> Result<(Zeroizing<BoxedMontyForm>, Zeroizing<BoxedMontyForm>), Error> {
    let excess_bits = u32::try_from(key.modulus_len())
        .unwrap_or(u32::MAX)
        .saturating_mul(8)
        .saturating_sub(key.modulus_bits());
    let top_mask = 0xffu8.checked_shr(excess_bits).unwrap_or(0);
    let mut bytes = Zeroizing::new(alloc::vec![0u8; key.modulus_len()]);
    for _ in 0..MAX_BLINDING_ATTEMPTS {
        rng.fill_bytes(&mut bytes);
        if let Some(first) = bytes.first_mut() {
            *first &= top_mask;
        }
        let r = Zeroizing::new(key.int_from_bytes(&bytes));
        if !(r.ct_lt(key.n()) & r.is_nonzero()).to_bool() {
            continue;
        }
        let r = Zeroizing::new(BoxedMontyForm::new((*r).clone(), key.params()));
        let u = Zeroizing::new(m.mul(&r));
        if let Some(u_inv) = u.invert().into_option() {
            let u_inv = Zeroizing::new(u_inv);
            let inv = Zeroizing::new(u_inv.mul(m));
            return Ok((r, inv));
        }
        // Either m or r is not a unit; only r can be drawn again.
        let m_int = Zeroizing::new(m.retrieve());
        if !key.params().modulus().gcd(&*m_int).get().is_one().to_bool() {
            return Err(Error::MessageNotCoprime);
        }
    }
    Err(Error::BlindingFailed)
}

impl SecretKey {
    /// RFC 9474 `BlindSign`: checks that `blinded_msg` is `modulus_len` bytes and below n, runs
    /// the private operation with RSA blinding (fresh randomness from `rng`) and checks the
    /// result with the public operation before returning the blind signature.
    pub fn blind_sign<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        blinded_msg: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let key = self.public_key();
        key.check_blinded_message(blinded_msg)?;
        let m = key.int_from_bytes(blinded_msg);
        let s = rsa::hazmat::rsa_decrypt_and_check(self.rsa(), Some(rng), &m)
            .map_err(|_| Error::SigningFailed)?;
        Ok(key.int_to_bytes(&s))
    }
}

/// RFC 9474 `Finalize`: unblinds `blind_sig` with the inverse kept from [`blind`] and returns
/// the signature after checking it verifies over `input_msg`.
pub fn finalize(
    key: &PublicKey,
    variant: Variant,
    input_msg: &[u8],
    blind_sig: &[u8],
    inverse: &BlindingInverse,
) -> Result<Vec<u8>, Error> {
    check_len("blind signature", key, blind_sig)?;
    let z = key.int_from_bytes(blind_sig);
    if !z.ct_lt(key.n()).to_bool() {
        return Err(Error::BlindSignatureOutOfRange);
    }
    let inv = inverse.to_monty(key)?;
    let z = BoxedMontyForm::new(z, key.params());
    let sig = key.int_to_bytes(&z.mul(&inv).retrieve());
    key.verify(variant, input_msg, &sig)
        .map_err(|_| Error::InvalidBlindSignature)?;
    Ok(sig)
}

impl PublicKey {
    /// The checks of `BlindSign` that need no private operation: `blinded_msg` is
    /// `modulus_len` bytes and below n. A server runs them on every request before it signs any.
    pub fn check_blinded_message(&self, blinded_msg: &[u8]) -> Result<(), Error> {
        check_len("blinded message", self, blinded_msg)?;
        if !self.int_from_bytes(blinded_msg).ct_lt(self.n()).to_bool() {
            return Err(Error::BlindedMessageOutOfRange);
        }
        Ok(())
    }

    /// RSASSA-PSS-VERIFY (RFC 8017 section 8.1.2) with SHA-384, MGF1-SHA-384 and the variant's
    /// salt length, over `input_msg` (the prepared message, prefix included).
    pub fn verify(&self, variant: Variant, input_msg: &[u8], sig: &[u8]) -> Result<(), Error> {
        if sig.len() != self.modulus_len() {
            return Err(Error::InvalidSignature);
        }
        let s = self.int_from_bytes(sig);
        if !s.ct_lt(self.n()).to_bool() {
            return Err(Error::InvalidSignature);
        }
        let m = rsa::hazmat::rsa_encrypt(self.rsa(), &s).map_err(|_| Error::InvalidSignature)?;
        let em = self.int_to_bytes(&m);
        // EM = I2OSP(m, emLen): emLen is modulus_len or, when modBits - 1 is a multiple of 8,
        // one byte less, and then the dropped byte must be zero.
        let em_len = pss::encoded_len(self.em_bits());
        let (high, em) = em
            .split_at_checked(em.len().saturating_sub(em_len))
            .ok_or(Error::InvalidSignature)?;
        if high.iter().any(|&b| b != 0) {
            return Err(Error::InvalidSignature);
        }
        if pss::verify(input_msg, em, self.em_bits(), variant.salt_len()) {
            Ok(())
        } else {
            Err(Error::InvalidSignature)
        }
    }
}

fn check_len(input: &'static str, key: &PublicKey, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() == key.modulus_len() {
        Ok(())
    } else {
        Err(Error::WrongLength {
            input,
            expected: key.modulus_len(),
            found: bytes.len(),
        })
    }
}
