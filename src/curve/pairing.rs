//! Products of pairings: one multi-Miller loop over all terms and one final exponentiation,
//! with the G2 side prepared once and reused.

use bls12_381::{multi_miller_loop, G1Affine, G2Prepared, Gt};

/// `e(p_1, q_1) * ... * e(p_n, q_n)` with a single Miller loop and final exponentiation.
pub(crate) fn pairing_product(terms: &[(&G1Affine, &G2Prepared)]) -> Gt {
    multi_miller_loop(terms).final_exponentiation()
}

/// Whether `e(p_1, q_1) * ... * e(p_n, q_n)` is the identity of GT.
pub(crate) fn pairing_product_is_one(terms: &[(&G1Affine, &G2Prepared)]) -> bool {
    pairing_product(terms) == Gt::identity()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls12_381::{pairing, G2Affine, Scalar};

    #[test]
    fn product_matches_separate_pairings() {
        let p1 = G1Affine::from(G1Affine::generator() * Scalar::from(3u64));
        let p2 = G1Affine::from(G1Affine::generator() * Scalar::from(5u64));
        let q1 = G2Affine::from(G2Affine::generator() * Scalar::from(7u64));
        let q2 = G2Affine::generator();
        let expected = pairing(&p1, &q1) + pairing(&p2, &q2);
        let (q1p, q2p) = (G2Prepared::from(q1), G2Prepared::from(q2));
        assert_eq!(pairing_product(&[(&p1, &q1p), (&p2, &q2p)]), expected);
        // e(3g, 7h) * e(-21g, h) = 1.
        let p3 = G1Affine::from(G1Affine::generator() * -Scalar::from(21u64));
        assert!(pairing_product_is_one(&[(&p1, &q1p), (&p3, &q2p)]));
        assert!(!pairing_product_is_one(&[(&p1, &q1p), (&p2, &q2p)]));
    }
}
