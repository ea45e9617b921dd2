//! Checking received points (SPEC.md 2.1): a compressed G1 or G2 point is accepted only if its
//! encoding is canonical, it lies on the curve, it is not the identity and it lies in the
//! order-r subgroup; a point of the client's own blob, read uncompressed, still gets the
//! subgroup check. One interface, each backend's own routines: by default `bls12_381`'s for
//! G2 and `g1_decoding`'s variable-time ones for G1 (a fifth cheaper); blst's with feature
//! `blst` (`blst_p1_uncompress`, `blst_p1_affine_in_g1` and their G2 twins: a G1 point in
//! about half the time); under `differential` both, where any difference in verdict or point
//! panics.
//!
//! Every value here is public (received), so neither backend needs to hide it.

use super::{G1Affine, G2Affine};

/// Why a received point is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PointError {
    /// Not a canonical encoding of a point on the curve.
    Invalid,
    /// The identity (the point at infinity).
    Identity,
    /// On the curve, outside the order-r subgroup.
    NotInSubgroup,
}

/// `default` on the default backend, `blst` with feature `blst`, and both under
/// `differential`, where they must agree.
macro_rules! by_backend {
    ($operation:literal, default: $default:expr, blst: $blst:expr) => {{
        #[cfg(not(feature = "blst"))]
        {
            $default
        }
        #[cfg(all(feature = "blst", not(feature = "differential")))]
        {
            $blst
        }
        #[cfg(feature = "differential")]
        {
            agree($operation, $blst, $default)
        }
    }};
}

/// Decodes a compressed G1 point (48 bytes) with every check.
pub(crate) fn g1_decompress(bytes: &[u8; 48]) -> Result<G1Affine, PointError> {
    by_backend!(
        "G1 decoding",
        default: super::g1_decoding::decompress(bytes),
        blst: super::blst_backend::g1_decompress(bytes)
    )
}

/// Decodes a compressed G2 point (96 bytes) with every check.
pub(crate) fn g2_decompress(bytes: &[u8; 96]) -> Result<G2Affine, PointError> {
    by_backend!(
        "G2 decoding",
        default: pure::g2_decompress(bytes),
        blst: super::blst_backend::g2_decompress(bytes)
    )
}

/// Whether a G1 point known to be on the curve lies in the order-r subgroup.
pub(crate) fn g1_in_subgroup(p: &G1Affine) -> bool {
    by_backend!(
        "G1 subgroup check",
        default: super::g1_decoding::in_g1(p),
        blst: super::blst_backend::g1_in_subgroup(p)
    )
}

/// Whether a G2 point known to be on the curve lies in the order-r subgroup.
pub(crate) fn g2_in_subgroup(q: &G2Affine) -> bool {
    by_backend!(
        "G2 subgroup check",
        default: pure::g2_in_subgroup(q),
        blst: super::blst_backend::g2_in_subgroup(q)
    )
}

/// The two backends' results, which must be equal.
#[cfg(feature = "differential")]
fn agree<T: PartialEq>(operation: &str, blst: T, default: T) -> T {
    if blst != default {
        super::differential::disagree(operation);
    }
    blst
}

/// `bls12_381`'s own checks (constant time, as that crate writes them): the default backend's
/// for G2, and the reference the tests hold both backends' G1 decoding to.
#[cfg(any(not(feature = "blst"), feature = "differential", test))]
pub(crate) mod pure {
    use super::PointError;
    #[cfg(test)]
    use crate::curve::G1Affine;
    use crate::curve::G2Affine;

    /// [`super::g1_decompress`] on `bls12_381`.
    #[cfg(test)]
    pub(crate) fn g1_decompress(bytes: &[u8; 48]) -> Result<G1Affine, PointError> {
        let p = Option::<G1Affine>::from(G1Affine::from_compressed_unchecked(bytes))
            .ok_or(PointError::Invalid)?;
        checked(p, p.is_identity(), g1_in_subgroup(&p))
    }

    /// [`super::g2_decompress`] on `bls12_381`.
    pub(crate) fn g2_decompress(bytes: &[u8; 96]) -> Result<G2Affine, PointError> {
        let q = Option::<G2Affine>::from(G2Affine::from_compressed_unchecked(bytes))
            .ok_or(PointError::Invalid)?;
        checked(q, q.is_identity(), g2_in_subgroup(&q))
    }

    /// [`super::g1_in_subgroup`] on `bls12_381`.
    #[cfg(test)]
    pub(crate) fn g1_in_subgroup(p: &G1Affine) -> bool {
        p.is_torsion_free().into()
    }

    /// [`super::g2_in_subgroup`] on `bls12_381`.
    pub(crate) fn g2_in_subgroup(q: &G2Affine) -> bool {
        q.is_torsion_free().into()
    }

    /// The verdict: the identity is refused as such (the subgroup contains it, so its check
    /// would pass it), then a point outside the subgroup.
    fn checked<P>(p: P, is_identity: subtle::Choice, in_subgroup: bool) -> Result<P, PointError> {
        if bool::from(is_identity) {
            Err(PointError::Identity)
        } else if in_subgroup {
            Ok(p)
        } else {
            Err(PointError::NotInSubgroup)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{G1Projective, G2Projective, Scalar};
    use crate::vector_rng::VectorRng;
    use alloc::vec::Vec;
    use rand_core::Rng;

    /// p, big-endian: the first coordinate value that is not canonical.
    const P: [u8; 48] = crate::curve::gt::P_BYTES;

    /// Encodings of every kind: valid points, the identity, points outside the subgroup, x = 0,
    /// x = p, x with no point, every flag combination, and random bytes.
    fn g1_cases() -> Vec<[u8; 48]> {
        let mut rng = VectorRng::new(b"points g1");
        let mut cases = Vec::new();
        for k in 1..6u64 {
            cases.push(G1Affine::from(G1Projective::generator() * Scalar::from(k)).to_compressed());
        }
        cases.push(G1Affine::identity().to_compressed());
        for flags in [0x00, 0x20, 0x40, 0x60, 0x80, 0xa0, 0xc0, 0xe0] {
            for x in 0..24u8 {
                let mut b = [0u8; 48];
                b[0] = flags;
                b[47] = x;
                cases.push(b);
            }
            let mut b = P;
            b[0] |= flags;
            cases.push(b);
        }
        for _ in 0..32 {
            let mut b = [0u8; 48];
            rng.fill_bytes(&mut b);
            b[0] = (b[0] & 0x1f) | 0x80;
            cases.push(b);
        }
        cases
    }

    /// The G2 twins of [`g1_cases`] (x = x1 u + x0, x1 first).
    fn g2_cases() -> Vec<[u8; 96]> {
        let mut rng = VectorRng::new(b"points g2");
        let mut cases = Vec::new();
        for k in 1..4u64 {
            cases.push(G2Affine::from(G2Projective::generator() * Scalar::from(k)).to_compressed());
        }
        cases.push(G2Affine::identity().to_compressed());
        for flags in [0x00, 0x40, 0x80, 0xa0, 0xc0, 0xe0] {
            for x in 0..12u8 {
                let mut b = [0u8; 96];
                b[0] = flags;
                b[95] = x;
                cases.push(b);
                let mut b = [0u8; 96];
                b[0] = flags;
                b[47] = x;
                cases.push(b);
            }
            let mut b = [0u8; 96];
            b[..48].copy_from_slice(&P);
            b[0] |= flags;
            cases.push(b);
            let mut b = [0u8; 96];
            b[0] = flags;
            b[48..].copy_from_slice(&P);
            cases.push(b);
        }
        for _ in 0..16 {
            let mut b = [0u8; 96];
            rng.fill_bytes(&mut b);
            b[0] = (b[0] & 0x1f) | 0x80;
            cases.push(b);
        }
        cases
    }

    #[test]
    fn every_kind_of_g1_encoding_gets_its_verdict() {
        let cases = g1_cases();
        let verdicts: Vec<_> = cases.iter().map(g1_decompress).collect();
        // The backend in use agrees with `bls12_381` on every input (under feature `blst`,
        // this compares blst's decoder with it).
        for (case, verdict) in cases.iter().zip(&verdicts) {
            assert_eq!(*verdict, pure::g1_decompress(case), "{case:?}");
            if let Ok(p) = verdict {
                assert!(g1_in_subgroup(p));
                assert_eq!(p.to_compressed(), *case);
            }
        }
        let generator = G1Affine::from(G1Projective::generator());
        assert_eq!(verdicts[0], Ok(generator));
        assert_eq!(verdicts[5], Err(PointError::Identity));
        for kind in [PointError::Invalid, PointError::NotInSubgroup] {
            assert!(verdicts.contains(&Err(kind)), "no case refused as {kind:?}");
        }
        let mut p_itself = P;
        p_itself[0] |= 0x80;
        assert_eq!(g1_decompress(&p_itself), Err(PointError::Invalid));
    }

    #[test]
    fn every_kind_of_g2_encoding_gets_its_verdict() {
        let cases = g2_cases();
        let verdicts: Vec<_> = cases.iter().map(g2_decompress).collect();
        for (case, verdict) in cases.iter().zip(&verdicts) {
            assert_eq!(*verdict, pure::g2_decompress(case), "{case:?}");
            if let Ok(q) = verdict {
                assert!(g2_in_subgroup(q));
                assert_eq!(q.to_compressed(), *case);
            }
        }
        assert_eq!(verdicts[0], Ok(G2Affine::from(G2Projective::generator())));
        assert_eq!(verdicts[3], Err(PointError::Identity));
        for kind in [PointError::Invalid, PointError::NotInSubgroup] {
            assert!(verdicts.contains(&Err(kind)), "no case refused as {kind:?}");
        }
    }

    #[test]
    fn the_subgroup_checks_of_stored_points_agree_with_bls12_381() {
        // Points on the curve outside the subgroup come from decoding without the check.
        let g1: Vec<G1Affine> = g1_cases()
            .iter()
            .filter_map(|b| Option::from(G1Affine::from_compressed_unchecked(b)))
            .collect();
        assert!(g1.iter().any(|p| !pure::g1_in_subgroup(p)));
        assert!(g1.iter().any(pure::g1_in_subgroup));
        for p in &g1 {
            assert_eq!(g1_in_subgroup(p), pure::g1_in_subgroup(p));
        }
        let g2: Vec<G2Affine> = g2_cases()
            .iter()
            .filter_map(|b| Option::from(G2Affine::from_compressed_unchecked(b)))
            .collect();
        assert!(g2.iter().any(|q| !pure::g2_in_subgroup(q)));
        assert!(g2.iter().any(pure::g2_in_subgroup));
        for q in &g2 {
            assert_eq!(g2_in_subgroup(q), pure::g2_in_subgroup(q));
        }
    }
}
