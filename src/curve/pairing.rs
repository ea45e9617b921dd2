//! Products of pairings: one multi-Miller loop over all terms and one final exponentiation,
//! with the G2 side prepared once and reused.

#[cfg(all(feature = "blst", not(feature = "differential")))]
pub(crate) use super::blst_backend::{pairing_product, pairing_product_is_one};
#[cfg(feature = "differential")]
pub(crate) use super::differential::{pairing_product, pairing_product_is_one};

use super::msm::mul_u128_vartime;
#[cfg(not(feature = "blst"))]
use super::Gt;
use super::{G1Affine, G1Projective, G2Affine, G2Prepared};
use alloc::vec::Vec;
use sha2::{Digest, Sha512};

/// A pairing equation `e(p_1, q_1) * e(p_2, q_2) = 1`.
pub(crate) type Equation = [(G1Affine, G2Affine); 2];

/// `e(p_1, q_1) * ... * e(p_n, q_n)` with a single Miller loop and final exponentiation.
#[cfg(not(feature = "blst"))]
pub(crate) fn pairing_product(terms: &[(&G1Affine, &G2Prepared)]) -> Gt {
    bls12_381::multi_miller_loop(terms).final_exponentiation()
}

/// Whether `e(p_1, q_1) * ... * e(p_n, q_n)` is the identity of GT.
#[cfg(not(feature = "blst"))]
pub(crate) fn pairing_product_is_one(terms: &[(&G1Affine, &G2Prepared)]) -> bool {
    pairing_product(terms) == Gt::identity()
}

/// Whether every equation holds, checked as one product (SPEC.md 10.2): equation i's G1 sides
/// are multiplied by a 128-bit coefficient `c_i` (`c_0 = 1`; the others are the first 16 bytes
/// of `SHA-512(SHA-512(dst || every point, compressed) || i)`), then all terms go through one
/// multi-Miller loop and one final exponentiation.
///
/// If some equation fails, the product is the identity for at most one value of a failing
/// equation's coefficient mod r, so a given set of inputs passes with probability at most
/// 2^-128 over the hash; an adversary needs about 2^128 hash evaluations to find one that does.
/// `false` says only that some equation fails: check them one by one to know which.
pub(crate) fn all_hold(dst: &[u8], equations: &[Equation]) -> bool {
    let mut transcript = Sha512::new();
    transcript.update(dst);
    for (p, q) in equations.iter().flatten() {
        transcript.update(p.to_compressed());
        transcript.update(q.to_compressed());
    }
    let digest = transcript.finalize();
    let mut scaled: Vec<G1Projective> = Vec::with_capacity(equations.len().saturating_mul(2));
    for (i, equation) in (0u8..).zip(equations.iter()) {
        let coefficient = if i == 0 {
            1
        } else {
            let mut block = [0u8; 16];
            let bytes = Sha512::new()
                .chain_update(digest)
                .chain_update([i])
                .finalize();
            block.copy_from_slice(bytes.get(..16).unwrap_or(&[0u8; 16]));
            u128::from_be_bytes(block)
        };
        for (p, _) in equation {
            scaled.push(if coefficient == 1 {
                G1Projective::from(p)
            } else {
                mul_u128_vartime(p, coefficient)
            });
        }
    }
    let mut left = alloc::vec![G1Affine::identity(); scaled.len()];
    G1Projective::batch_normalize(&scaled, &mut left);
    let right: Vec<G2Prepared> = equations
        .iter()
        .flatten()
        .map(|(_, q)| G2Prepared::from(*q))
        .collect();
    let terms: Vec<(&G1Affine, &G2Prepared)> = left.iter().zip(right.iter()).collect();
    pairing_product_is_one(&terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{G1Affine, G2Affine, G2Prepared, Scalar};

    #[test]
    fn product_matches_separate_pairings() {
        let p1 = G1Affine::from(G1Affine::generator() * Scalar::from(3u64));
        let p2 = G1Affine::from(G1Affine::generator() * Scalar::from(5u64));
        let q1 = G2Affine::from(G2Affine::generator() * Scalar::from(7u64));
        let q2 = G2Affine::generator();
        let (q1p, q2p) = (G2Prepared::from(q1), G2Prepared::from(q2));
        #[cfg(not(feature = "blst"))]
        {
            let expected = bls12_381::pairing(&p1, &q1) + bls12_381::pairing(&p2, &q2);
            assert_eq!(pairing_product(&[(&p1, &q1p), (&p2, &q2p)]), expected);
        }
        // e(3g, 7h) * e(5g, h) = e(g, h)^26 = e(26g, h).
        let p26 = G1Affine::from(G1Affine::generator() * Scalar::from(26u64));
        let h = G2Prepared::from(G2Affine::generator());
        assert_eq!(
            pairing_product(&[(&p1, &q1p), (&p2, &q2p)]),
            pairing_product(&[(&p26, &h)])
        );
        // Identity terms are 1.
        let o1 = G1Affine::identity();
        let o2 = G2Prepared::from(G2Affine::identity());
        assert_eq!(
            pairing_product(&[(&p26, &h), (&o1, &q1p), (&p1, &o2)]),
            pairing_product(&[(&p26, &h)])
        );
        assert!(pairing_product_is_one(&[(&o1, &h)]));
        // e(3g, 7h) * e(-21g, h) = 1.
        let p3 = G1Affine::from(G1Affine::generator() * -Scalar::from(21u64));
        assert!(pairing_product_is_one(&[(&p1, &q1p), (&p3, &q2p)]));
        assert!(!pairing_product_is_one(&[(&p1, &q1p), (&p2, &q2p)]));
    }

    #[test]
    fn all_hold_accepts_true_equations_and_refuses_any_false_one() {
        let g = |k: u64| G1Affine::from(G1Affine::generator() * Scalar::from(k));
        let h = |k: u64| G2Affine::from(G2Affine::generator() * Scalar::from(k));
        // e(k g, h) * e(-g, k h) = 1.
        let good = |k: u64| [(g(k), h(1)), (-G1Affine::generator(), h(k))];
        let bad = |k: u64| [(g(k), h(1)), (-G1Affine::generator(), h(k + 1))];
        assert!(all_hold(b"test", &[good(3), good(5), good(7)]));
        assert!(all_hold(b"test", &[]));
        for wrong in 0..3 {
            let mut eqs = [good(3), good(5), good(7)];
            eqs[wrong] = bad(11);
            assert!(!all_hold(b"test", &eqs), "equation {wrong}");
        }
        // Two failures that would cancel with equal weights: e(g, h)^-1 and e(g, h).
        let minus = [(g(2), h(1)), (-G1Affine::generator(), h(3))];
        let plus = [(g(4), h(1)), (-G1Affine::generator(), h(3))];
        assert!(!all_hold(b"test", &[good(3), minus, plus]));
        assert!(!all_hold(b"test", &[minus, plus]));
    }

    /// The pinned pairing value (SPEC.md 2.6): the GT encoding of e(P1, P2) for the standard
    /// generators, on every backend. `BLINDPOST_WRITE_VECTORS=1` rewrites the file from the
    /// `bls12_381` backend.
    #[test]
    fn generators_pair_to_the_pinned_value() {
        extern crate std;
        use crate::curve::gt::gt_to_bytes;
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let gt = gt_to_bytes(&pairing_product(&[(&g1, &G2Prepared::from(g2))])).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/test-vectors/pairing.json");
        if cfg!(not(feature = "blst"))
            && std::env::var("BLINDPOST_WRITE_VECTORS").as_deref() == Ok("1")
        {
            let v = serde_json::json!({
                "description": "The pinned pairing value SPEC.md hashes (2.1, 2.6): the 576-byte GT encoding of e(P1, P2) for the standard generators, twelve Fp coefficients big-endian in the order c0.c0.c0, c0.c0.c1, c0.c1.c0, ..., c1.c2.c1 of the tower u^2 = -1, v^3 = u + 1, w^2 = v. It is the textbook optimal ate pairing e(P, Q)^((p^12 - 1)/r) raised to the power -3 (SPEC.md 2.6).",
                "g1": hex::encode(g1.to_compressed()),
                "g2": hex::encode(g2.to_compressed()),
                "gt": hex::encode(gt),
            });
            let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
            std::fs::write(path, text).unwrap();
        }
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../test-vectors/pairing.json")).unwrap();
        assert_eq!(v["g1"].as_str().unwrap(), hex::encode(g1.to_compressed()));
        assert_eq!(v["g2"].as_str().unwrap(), hex::encode(g2.to_compressed()));
        assert_eq!(v["gt"].as_str().unwrap(), hex::encode(gt));
    }
}
