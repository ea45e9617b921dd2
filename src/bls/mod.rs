//! BLS signatures for identity and certificate keys (SPEC.md section 7).
//!
//! draft-irtf-cfrg-bls-signature-05, minimal-pubkey-size variant (public keys in G1, 48 bytes;
//! signatures in G2, 96 bytes), proof-of-possession scheme with the ciphersuites
//! [`CIPHERSUITE_SIG`] and [`CIPHERSUITE_POP`]. Hashing to G2 is RFC 9380
//! `BLS12381G2_XMD:SHA-256_SSWU_RO_`.
//!
//! Guarantees: a [`PublicKey`], [`Signature`] or [`ProofOfPossession`] that exists is a
//! canonical, non-identity point of the prime-order subgroup (the draft's KeyValidate and
//! signature subgroup check happen in the decoders); a [`SecretKey`] is a non-zero scalar,
//! zeroized on drop, compared in constant time and never printed. Verification is one 2-term
//! multi-Miller loop and one final exponentiation.

mod hkdf;

pub(crate) use crate::curve::hash::hash_to_g2;
use crate::curve::pairing::{pairing_product_is_one, Equation};
use crate::curve::{G1Affine, G2Affine, G2Prepared, G2Projective, Scalar};
use crate::encoding::{scalar_to_be, DecodeError, Reader};
use core::fmt;
use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The ciphersuite of signatures (draft section 4.2.3): also the hash-to-curve DST.
pub const CIPHERSUITE_SIG: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// The ciphersuite of proofs of possession (draft section 4.2.3): the DST of PopProve.
pub const CIPHERSUITE_POP: &[u8] = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// Length of an encoded secret key.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of an encoded public key (compressed G1).
pub const PUBLIC_KEY_LEN: usize = 48;
/// Length of an encoded signature or proof of possession (compressed G2).
pub const SIGNATURE_LEN: usize = 96;
/// The shortest input keying material [`SecretKey::key_gen`] accepts (draft section 2.3).
pub const MIN_IKM_LEN: usize = 32;

/// Why a BLS operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlsError {
    /// A key, signature or proof could not be decoded (wrong length, non-canonical, identity,
    /// outside the subgroup, zero secret key).
    Decode(DecodeError),
    /// The input keying material given to KeyGen was shorter than [`MIN_IKM_LEN`] bytes.
    IkmTooShort {
        /// The length given.
        length: usize,
    },
    /// The signature does not verify for this public key and message.
    InvalidSignature,
    /// The proof of possession does not verify for this public key.
    InvalidProofOfPossession,
}

impl fmt::Display for BlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "BLS: {e}"),
            Self::IkmTooShort { length } => write!(
                f,
                "BLS KeyGen: input keying material is {length} bytes, at least {MIN_IKM_LEN} needed"
            ),
            Self::InvalidSignature => f.write_str("BLS signature does not verify"),
            Self::InvalidProofOfPossession => {
                f.write_str("BLS proof of possession does not verify")
            }
        }
    }
}

impl core::error::Error for BlsError {}

impl From<DecodeError> for BlsError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// A BLS secret key: a non-zero scalar. Zeroized on drop; `Debug` prints no key material.
/// A clone is zeroized on its own drop.
#[derive(Clone)]
pub struct SecretKey(Scalar);

// Manual rather than derived `Zeroize`, so that no caller can zero a live key (a zero key is
// not a key); the scalar is wiped only when the key is dropped.
impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for SecretKey {}

impl SecretKey {
    /// KeyGen of draft section 2.3: HKDF-SHA256 with salt `"BLS-SIG-KEYGEN-SALT-"` (hashed
    /// once more before each round), `L = 48`, repeated until the key is non-zero.
    ///
    /// `ikm` must be at least [`MIN_IKM_LEN`] bytes of secret, uniformly random material.
    pub fn key_gen(ikm: &[u8], key_info: &[u8]) -> Result<Self, BlsError> {
        if ikm.len() < MIN_IKM_LEN {
            return Err(BlsError::IkmTooShort { length: ikm.len() });
        }
        Ok(Self(hkdf::key_gen_scalar(ikm, key_info)))
    }

    /// A fresh key: KeyGen over 32 bytes drawn from `rng`, with an empty `key_info`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut ikm = Zeroizing::new([0u8; MIN_IKM_LEN]);
        rng.fill_bytes(ikm.as_mut());
        Self(hkdf::key_gen_scalar(ikm.as_ref(), b""))
    }

    /// Decodes 32 big-endian bytes; rejects values >= r and zero.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        let mut r = Reader::new(bytes);
        let s = r.nonzero_scalar("bls.secret_key")?;
        r.finish("bls.secret_key")?;
        Ok(Self(s))
    }

    /// The 32-byte big-endian encoding (zeroized when the returned value is dropped).
    pub fn to_bytes(&self) -> Zeroizing<[u8; SECRET_KEY_LEN]> {
        Zeroizing::new(scalar_to_be(&self.0))
    }

    /// SkToPk: the public key `sk * g1`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(G1Affine::from(G1Affine::generator() * self.0))
    }

    /// Sign (draft section 2.6) under [`CIPHERSUITE_SIG`].
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.sign_parts(CIPHERSUITE_SIG, &[message]))
    }

    /// PopProve (draft section 3.3.2): a signature over the encoded public key under
    /// [`CIPHERSUITE_POP`].
    pub fn pop_prove(&self) -> ProofOfPossession {
        let pk = self.public_key().to_bytes();
        ProofOfPossession(self.sign_parts(CIPHERSUITE_POP, &[&pk]))
    }

    /// Signs the concatenation of `parts` under `dst` (lets callers prefix a domain tag
    /// without copying the message).
    pub(crate) fn sign_parts(&self, dst: &[u8], parts: &[&[u8]]) -> G2Affine {
        G2Affine::from(hash_to_g2(dst, parts) * self.0)
    }
}

impl ConstantTimeEq for SecretKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A BLS public key: a G1 point that passed KeyValidate (canonical, in the subgroup, not the
/// identity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(G1Affine);

impl PublicKey {
    /// Decodes a 48-byte compressed G1 point and runs KeyValidate.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        let mut r = Reader::new(bytes);
        let p = r.g1("bls.public_key")?;
        r.finish("bls.public_key")?;
        Ok(Self(p))
    }

    /// Wraps a point that already passed the checks of SPEC.md 2.1 (a `Reader::g1` output).
    pub(crate) fn from_point(p: G1Affine) -> Self {
        Self(p)
    }

    /// The point.
    pub(crate) fn point(&self) -> &G1Affine {
        &self.0
    }

    /// The 48-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_compressed()
    }

    /// Verify (draft section 2.7) under [`CIPHERSUITE_SIG`].
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), BlsError> {
        if self.verify_parts(CIPHERSUITE_SIG, &[message], &signature.0) {
            Ok(())
        } else {
            Err(BlsError::InvalidSignature)
        }
    }

    /// PopVerify (draft section 3.3.3) under [`CIPHERSUITE_POP`].
    pub fn pop_verify(&self, proof: &ProofOfPossession) -> Result<(), BlsError> {
        let pk = self.to_bytes();
        if self.verify_parts(CIPHERSUITE_POP, &[&pk], &proof.0) {
            Ok(())
        } else {
            Err(BlsError::InvalidProofOfPossession)
        }
    }

    /// `e(pk, H(parts)) * e(-g1, sig) == 1`: one 2-term multi-Miller loop and one final
    /// exponentiation.
    pub(crate) fn verify_parts(&self, dst: &[u8], parts: &[&[u8]], sig: &G2Affine) -> bool {
        self.verify_hashed(&hash_to_g2(dst, parts), sig)
    }

    /// The check of [`Self::verify_parts`] for a message already hashed to G2.
    pub(crate) fn verify_hashed(&self, h: &G2Projective, sig: &G2Affine) -> bool {
        verification_equation_holds(&self.0, &G2Affine::from(h), sig)
    }

    /// The verification equation `e(pk, h) * e(-g1, sig) = 1` of a message hashed to `h`,
    /// for checking together with others ([`crate::curve::pairing::all_hold`]).
    pub(crate) fn hashed_equation(&self, h: &G2Projective, sig: &G2Affine) -> Equation {
        [(self.0, G2Affine::from(h)), (-G1Affine::generator(), *sig)]
    }

    /// [`Self::hashed_equation`] for a message under [`CIPHERSUITE_SIG`].
    pub(crate) fn equation(&self, message: &[u8], signature: &Signature) -> Equation {
        self.hashed_equation(&hash_to_g2(CIPHERSUITE_SIG, &[message]), &signature.0)
    }
}

/// Bits of the random batch-verification weights: a batch containing an invalid signature
/// passes with probability at most 2^-64.
const BATCH_WEIGHT_BITS: u32 = 64;

impl PublicKey {
    /// Verifies many `(message, signature)` pairs under this key at once (SPEC.md 7.3): with
    /// fresh random 64-bit weights `r_i`, checks
    /// `e(PK, sum r_i * H(m_i)) * e(-g1, sum r_i * sig_i) == 1`, one pairing product in all.
    ///
    /// `Ok` means every signature verifies, except with probability 2^-64. On `Err` at least
    /// one is invalid; verify them one by one to find which. An empty batch is `Ok`.
    pub fn verify_batch<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        items: &[(&[u8], &Signature)],
    ) -> Result<(), BlsError> {
        let hashes: alloc::vec::Vec<G2Projective> = items
            .iter()
            .map(|(m, _)| hash_to_g2(CIPHERSUITE_SIG, &[m]))
            .collect();
        let sigs: alloc::vec::Vec<&G2Affine> = items.iter().map(|(_, s)| &s.0).collect();
        if self.verify_batch_hashed(rng, &hashes, &sigs) {
            Ok(())
        } else {
            Err(BlsError::InvalidSignature)
        }
    }

    /// The batch check over already hashed messages (`hashes[i]` belongs to `sigs[i]`).
    pub(crate) fn verify_batch_hashed<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        hashes: &[G2Projective],
        sigs: &[&G2Affine],
    ) -> bool {
        if hashes.len() != sigs.len() {
            return false;
        }
        if hashes.is_empty() {
            return true;
        }
        let weights: alloc::vec::Vec<u64> = hashes.iter().map(|_| rng.next_u64() | 1).collect();
        let mut hashes_affine = alloc::vec![G2Affine::identity(); hashes.len()];
        G2Projective::batch_normalize(hashes, &mut hashes_affine);
        let h = weighted_sum(&weights, hashes_affine.iter());
        let s = weighted_sum(&weights, sigs.iter().copied());
        verification_equation_holds(&self.0, &G2Affine::from(h), &G2Affine::from(s))
    }
}

/// `sum w_i * P_i` by interleaved double-and-add over the weights' bits (one shared doubling
/// per bit). Variable time in the weights, which are fresh public randomness of the verifier.
fn weighted_sum<'a>(
    weights: &[u64],
    points: impl Iterator<Item = &'a G2Affine> + Clone,
) -> G2Projective {
    let mut acc = G2Projective::identity();
    for bit in (0..BATCH_WEIGHT_BITS).rev() {
        acc = acc.double();
        for (w, p) in weights.iter().zip(points.clone()) {
            if (w >> bit) & 1 == 1 {
                acc = acc.add_mixed(p);
            }
        }
    }
    acc
}

/// A BLS signature: a G2 point, canonical, in the subgroup and not the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature(G2Affine);

impl Signature {
    /// Decodes a 96-byte compressed G2 point with every check of SPEC.md 2.1.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        let mut r = Reader::new(bytes);
        let p = r.g2("bls.signature")?;
        r.finish("bls.signature")?;
        Ok(Self(p))
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0.to_compressed()
    }

    pub(crate) fn from_point(p: G2Affine) -> Self {
        Self(p)
    }

    pub(crate) fn point(&self) -> &G2Affine {
        &self.0
    }
}

/// A proof of possession of a secret key (PopProve output). Same encoding as a
/// [`Signature`], but a distinct type so that the two cannot be confused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofOfPossession(G2Affine);

impl ProofOfPossession {
    /// Decodes a 96-byte compressed G2 point with every check of SPEC.md 2.1.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        let mut r = Reader::new(bytes);
        let p = r.g2("bls.proof_of_possession")?;
        r.finish("bls.proof_of_possession")?;
        Ok(Self(p))
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0.to_compressed()
    }
}

/// Whether `e(p, q) * e(-g1, s) == 1`: the BLS verification equation.
fn verification_equation_holds(p: &G1Affine, q: &G2Affine, s: &G2Affine) -> bool {
    let neg_g1 = -G1Affine::generator();
    pairing_product_is_one(&[(p, &G2Prepared::from(*q)), (&neg_g1, &G2Prepared::from(*s))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;

    #[test]
    fn sign_verify_round_trip_and_rejections() {
        let mut rng = VectorRng::new(b"bls unit");
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let sig = sk.sign(b"hello");
        pk.verify(b"hello", &sig).unwrap();
        assert_eq!(pk.verify(b"hellO", &sig), Err(BlsError::InvalidSignature));
        let other = SecretKey::generate(&mut rng).public_key();
        assert_eq!(
            other.verify(b"hello", &sig),
            Err(BlsError::InvalidSignature)
        );
        let pop = sk.pop_prove();
        pk.pop_verify(&pop).unwrap();
        assert_eq!(
            other.pop_verify(&pop),
            Err(BlsError::InvalidProofOfPossession)
        );
        // A proof of possession is not a signature over the key bytes, and vice versa.
        let sig_over_pk = sk.sign(&pk.to_bytes());
        assert_ne!(sig_over_pk.to_bytes(), pop.to_bytes());
        assert_eq!(
            pk.verify(&pk.to_bytes(), &Signature(pop.0)),
            Err(BlsError::InvalidSignature)
        );
    }

    #[test]
    fn secret_key_encoding_and_redaction() {
        let mut rng = VectorRng::new(b"bls sk");
        let sk = SecretKey::generate(&mut rng);
        let back = SecretKey::from_bytes(sk.to_bytes().as_ref()).unwrap();
        assert_eq!(sk, back);
        assert_eq!(alloc::format!("{sk:?}"), "SecretKey(<redacted>)");
        assert!(SecretKey::from_bytes(&[0u8; 32]).is_err());
        assert!(SecretKey::from_bytes(&[0xffu8; 32]).is_err());
        assert!(SecretKey::from_bytes(&[1u8; 31]).is_err());
        assert_eq!(
            SecretKey::key_gen(&[7u8; 31], b""),
            Err(BlsError::IkmTooShort { length: 31 })
        );
    }

    #[test]
    fn batch_verification_accepts_valid_and_rejects_any_invalid() {
        let mut rng = VectorRng::new(b"bls batch");
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let msgs: alloc::vec::Vec<[u8; 3]> = (0u8..6).map(|i| [i, i, i]).collect();
        let sigs: alloc::vec::Vec<Signature> = msgs.iter().map(|m| sk.sign(m)).collect();
        let items: alloc::vec::Vec<(&[u8], &Signature)> =
            msgs.iter().map(|m| &m[..]).zip(sigs.iter()).collect();
        pk.verify_batch(&mut rng, &items).unwrap();
        pk.verify_batch(&mut rng, &[]).unwrap();
        // Swapping two signatures, or one signature by another key, fails the batch.
        let mut swapped = items.clone();
        swapped[0].1 = &sigs[1];
        swapped[1].1 = &sigs[0];
        assert_eq!(
            pk.verify_batch(&mut rng, &swapped),
            Err(BlsError::InvalidSignature)
        );
        let foreign = SecretKey::generate(&mut rng).sign(&msgs[3]);
        let mut bad = items.clone();
        bad[3].1 = &foreign;
        assert_eq!(
            pk.verify_batch(&mut rng, &bad),
            Err(BlsError::InvalidSignature)
        );
        // Two invalid signatures whose errors cancel in an unweighted sum still fail.
        let (a, b) = (sigs[0].0, sigs[1].0);
        let delta = G2Affine::from(G2Projective::generator());
        let s0 = Signature(G2Affine::from(G2Projective::from(a) + delta));
        let s1 = Signature(G2Affine::from(G2Projective::from(b) - delta));
        let mut cancel = items.clone();
        cancel[0].1 = &s0;
        cancel[1].1 = &s1;
        assert_eq!(
            pk.verify_batch(&mut rng, &cancel),
            Err(BlsError::InvalidSignature)
        );
    }
}
