//! The pairing floor on blst (feature `blst`): two points of each group in blst's affine form
//! (converted outside the timing), one multi-Miller loop and one final exponentiation. Shared by
//! the perf example and the criterion benches.

use bls12_381::{G1Affine, G2Affine, Scalar};
use blst::{blst_fp12, blst_p1_affine, blst_p2_affine, BLST_ERROR};

/// The floor's points in blst's form.
pub struct Terms {
    p: [blst_p1_affine; 2],
    q: [blst_p2_affine; 2],
}

impl Terms {
    /// The floor's points: 5 g1, 7 g1, g2 and 3 g2.
    pub fn new() -> Self {
        let g1 = |k: u64| G1Affine::from(G1Affine::generator() * Scalar::from(k));
        let g2 = |k: u64| G2Affine::from(G2Affine::generator() * Scalar::from(k));
        let mut p = [blst_p1_affine::default(); 2];
        let mut q = [blst_p2_affine::default(); 2];
        for (out, point) in p.iter_mut().zip([g1(5), g1(7)]) {
            let bytes = point.to_uncompressed();
            // SAFETY: `bytes` holds the 96 bytes blst reads; `out` is a valid point.
            let ok = unsafe { blst::blst_p1_deserialize(out, bytes.as_ptr()) };
            assert_eq!(ok, BLST_ERROR::BLST_SUCCESS);
        }
        for (out, point) in q.iter_mut().zip([g2(1), g2(3)]) {
            let bytes = point.to_uncompressed();
            // SAFETY: `bytes` holds the 192 bytes blst reads; `out` is a valid point.
            let ok = unsafe { blst::blst_p2_deserialize(out, bytes.as_ptr()) };
            assert_eq!(ok, BLST_ERROR::BLST_SUCCESS);
        }
        Self { p, q }
    }

    /// `e(5 g1, g2) * e(7 g1, 3 g2)`.
    pub fn product(&self) -> blst_fp12 {
        blst_fp12::miller_loop_n(&self.q, &self.p).final_exp()
    }
}
