//! The curve arithmetic the protocol needs, behind one small internal interface (SPEC.md 2.6):
//! scalar sampling and hashing, hashing to G2, multi-exponentiation, fixed-base tables, pairing
//! products and the GT encoding. Protocol code calls only this module, so a faster
//! backend could replace it behind a feature without touching the protocol.

use rand_core::CryptoRng;

// The group types the protocol code names. They come from the backend; protocol code imports
// them from here, never from the backend crate.
pub(crate) use bls12_381::{G1Affine, G1Projective, G2Affine, G2Projective, Scalar};
// Pairing-side types: blst's behind feature `blst` (SPEC.md 2.6), bls12_381's otherwise, and
// both side by side behind feature `differential` (fuzzing only).
#[cfg(not(feature = "blst"))]
pub(crate) use bls12_381::{G2Prepared, Gt};
#[cfg(all(feature = "blst", not(feature = "differential")))]
pub(crate) use blst_backend::{G2Prepared, Gt};
#[cfg(feature = "differential")]
pub(crate) use differential::{G2Prepared, Gt};

#[cfg(feature = "blst")]
#[allow(unsafe_code)]
pub(crate) mod blst_backend;
#[cfg(feature = "blst")]
#[allow(unsafe_code)]
pub(crate) mod blst_g1;
#[cfg(feature = "differential")]
pub(crate) mod differential;
pub(crate) mod fixed_base;
#[cfg(any(not(feature = "blst"), feature = "differential", test))]
pub(crate) mod fp12;
pub(crate) mod g1;
#[cfg(any(not(feature = "blst"), feature = "differential", test))]
pub(crate) mod g1_decoding;
pub(crate) mod gt;
pub(crate) mod hash;
pub(crate) mod msm;
pub(crate) mod pairing;
pub(crate) mod points;

/// A uniformly random scalar: 64 bytes from `rng`, read big-endian, reduced mod r.
pub(crate) fn random_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    let s = scalar_from_wide_be(&wide);
    zeroize::Zeroize::zeroize(&mut wide);
    s
}

/// A uniformly random non-zero scalar (draws again on zero, which has probability 2^-255).
pub(crate) fn random_nonzero_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    loop {
        let s = random_scalar(rng);
        if !bool::from(ff::Field::is_zero(&s)) {
            return s;
        }
    }
}

/// Reduces a 64-byte big-endian integer mod r (statistically uniform: bias below 2^-256).
pub(crate) fn scalar_from_wide_be(bytes: &[u8; 64]) -> Scalar {
    let mut le = *bytes;
    le.reverse();
    let s = Scalar::from_bytes_wide(&le);
    zeroize::Zeroize::zeroize(&mut le);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;

    #[test]
    fn wide_reduction_is_big_endian() {
        let mut bytes = [0u8; 64];
        bytes[63] = 5;
        assert_eq!(scalar_from_wide_be(&bytes), Scalar::from(5u64));
        bytes[62] = 1;
        assert_eq!(scalar_from_wide_be(&bytes), Scalar::from(261u64));
    }

    #[test]
    fn random_scalars_differ() {
        let mut rng = VectorRng::new(b"curve");
        assert_ne!(random_scalar(&mut rng), random_nonzero_scalar(&mut rng));
    }
}
