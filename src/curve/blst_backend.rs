//! The blst backend (feature `blst`, SPEC.md 2.6): pairing products, hashing to G2 and GT on
//! supranational's blst (the G1 arithmetic is in `blst_g1`). Points and scalars stay
//! `bls12_381` types at the interface and cross over through their canonical uncompressed
//! encoding. Signing pairs two points derived from the member's nonces (R3): blst's Miller loop
//! and final exponentiation are straight-line in the point values (a fixed sequence of field
//! operations over the curve parameter x).
//!
//! blst's Miller loop and final exponentiation (its `final_exp` is adapted from zkcrypto's)
//! produce exactly `bls12_381`'s GT value, so no mapping is needed: the pinned vector
//! `test-vectors/pairing.json` checks it on both backends (SPEC.md 2.6).

use super::points::PointError;
use super::{G1Affine, G2Affine, G2Projective};
use alloc::vec::Vec;
use blst::{
    blst_bendian_from_fp, blst_final_exp, blst_fp, blst_fp12, blst_fp12_conjugate,
    blst_fp12_cyclotomic_sqr, blst_fp12_in_group, blst_fp12_is_equal, blst_fp12_is_one,
    blst_fp12_mul, blst_fp12_one, blst_fp_from_bendian, blst_hash_to_g2, blst_miller_loop_n,
    blst_p1_affine, blst_p1_affine_in_g1, blst_p1_affine_is_inf, blst_p1_affine_serialize,
    blst_p1_deserialize, blst_p1_uncompress, blst_p2, blst_p2_affine, blst_p2_affine_in_g2,
    blst_p2_affine_is_inf, blst_p2_affine_serialize, blst_p2_deserialize, blst_p2_serialize,
    blst_p2_uncompress, BLST_ERROR,
};

/// A G2 point ready for the Miller loop, in blst's affine form.
#[derive(Clone, Debug)]
pub(crate) enum G2Prepared {
    /// The identity: its pairings are 1.
    Identity,
    /// A non-identity point.
    Point(blst_p2_affine),
    /// blst refused the encoding of a valid point (a backend bug): every product with it fails
    /// closed (is never 1).
    Refused,
}

impl From<G2Affine> for G2Prepared {
    fn from(q: G2Affine) -> Self {
        if bool::from(q.is_identity()) {
            return Self::Identity;
        }
        match p2_affine(&q) {
            Ok(q) => Self::Point(q),
            Err(()) => Self::Refused,
        }
    }
}

/// An element of GT as blst computes it (the same value as `bls12_381`'s).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gt(blst_fp12);

impl Gt {
    /// The identity of GT.
    pub(crate) fn identity() -> Self {
        // SAFETY: blst_fp12_one returns a pointer to a static constant.
        Self(unsafe { *blst_fp12_one() })
    }

    /// The twelve Fp coefficients, 48 bytes big-endian each, in the order c0.c0.c0,
    /// c0.c0.c1, c0.c1.c0, ..., c1.c2.c1 (SPEC.md 2.1; blst's own `blst_bendian_from_fp12`
    /// orders them differently).
    pub(crate) fn to_bytes(self) -> [u8; super::gt::GT_BYTES] {
        let value = self.0;
        let mut out = [0u8; super::gt::GT_BYTES];
        let coefficients = value
            .fp6
            .iter()
            .flat_map(|c6| c6.fp2.iter())
            .flat_map(|c2| c2.fp.iter());
        for (slot, fp) in out.chunks_exact_mut(48).zip(coefficients) {
            // SAFETY: `slot` is 48 bytes, what blst writes; `fp` is a valid element.
            unsafe { blst_bendian_from_fp(slot.as_mut_ptr(), fp) };
        }
        out
    }
}

impl PartialEq for Gt {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: both pointers are to valid blst_fp12 values.
        unsafe { blst_fp12_is_equal(&self.0, &other.0) }
    }
}

impl Eq for Gt {}

/// An Fp12 value on blst for `gt::GtElement`: decoded from bytes or taken from a pairing
/// value, with the operations that are valid in the cyclotomic subgroup (where GT lies).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fp12Value(blst_fp12);

impl Fp12Value {
    /// One.
    pub(crate) fn one() -> Self {
        Self(Gt::identity().0)
    }

    /// The value of a pairing result.
    pub(crate) fn from_gt(gt: &Gt) -> Self {
        Self(gt.0)
    }

    /// Decodes the twelve coefficients in encoding order; `None` if one is not below p. No
    /// group check.
    pub(crate) fn from_bytes_unchecked(bytes: &[u8; super::gt::GT_BYTES]) -> Option<Self> {
        let mut value = blst_fp12::default();
        let slots = value
            .fp6
            .iter_mut()
            .flat_map(|c6| c6.fp2.iter_mut())
            .flat_map(|c2| c2.fp.iter_mut());
        for (slot, chunk) in slots.zip(bytes.chunks_exact(48)) {
            // blst_fp_from_bendian does not refuse values >= p: compare first.
            if !super::gt::is_canonical_fp(chunk) {
                return None;
            }
            let mut fp = blst_fp::default();
            // SAFETY: `chunk` holds the 48 bytes blst reads; `fp` is a valid blst_fp.
            unsafe { blst_fp_from_bendian(&mut fp, chunk.as_ptr()) };
            *slot = fp;
        }
        Some(Self(value))
    }

    /// The 576-byte encoding (SPEC.md 2.1).
    pub(crate) fn to_bytes(self) -> [u8; super::gt::GT_BYTES] {
        Gt(self.0).to_bytes()
    }

    /// Whether the value lies in GT. blst's test refuses zero and non-cyclotomic values, then
    /// compares x^p with x^u (pairing.c, `blst_fp12_in_group`).
    pub(crate) fn in_group(&self) -> bool {
        // SAFETY: `self.0` is a valid blst_fp12.
        unsafe { blst_fp12_in_group(&self.0) }
    }

    /// self * other.
    pub(crate) fn mul(&self, other: &Self) -> Self {
        let mut out = blst_fp12::default();
        // SAFETY: all three are valid blst_fp12 values.
        unsafe { blst_fp12_mul(&mut out, &self.0, &other.0) };
        Self(out)
    }

    /// self^2, valid in the cyclotomic subgroup.
    pub(crate) fn cyclotomic_square(&self) -> Self {
        let mut out = blst_fp12::default();
        // SAFETY: both are valid blst_fp12 values.
        unsafe { blst_fp12_cyclotomic_sqr(&mut out, &self.0) };
        Self(out)
    }

    /// The conjugate: the inverse in the cyclotomic subgroup.
    pub(crate) fn conjugate(&self) -> Self {
        let mut out = self.0;
        // SAFETY: `out` is a valid blst_fp12, conjugated in place.
        unsafe { blst_fp12_conjugate(&mut out) };
        Self(out)
    }
}

impl PartialEq for Fp12Value {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: both pointers are to valid blst_fp12 values.
        unsafe { blst_fp12_is_equal(&self.0, &other.0) }
    }
}

impl Eq for Fp12Value {}

/// `p` in blst's affine form; `Err` if blst refuses its encoding (a backend bug).
fn p1_affine(p: &G1Affine) -> Result<blst_p1_affine, ()> {
    let mut out = blst_p1_affine::default();
    let bytes = p.to_uncompressed();
    // SAFETY: `bytes` holds the 96 bytes blst reads; `out` is a valid blst_p1_affine.
    let ok = unsafe { blst_p1_deserialize(&mut out, bytes.as_ptr()) };
    if ok == BLST_ERROR::BLST_SUCCESS {
        Ok(out)
    } else {
        Err(())
    }
}

/// `q` in blst's affine form; `Err` if blst refuses its encoding (a backend bug).
fn p2_affine(q: &G2Affine) -> Result<blst_p2_affine, ()> {
    let mut out = blst_p2_affine::default();
    let bytes = q.to_uncompressed();
    // SAFETY: `bytes` holds the 192 bytes blst reads; `out` is a valid blst_p2_affine.
    let ok = unsafe { blst_p2_deserialize(&mut out, bytes.as_ptr()) };
    if ok == BLST_ERROR::BLST_SUCCESS {
        Ok(out)
    } else {
        Err(())
    }
}

/// `e(p_1, q_1) * ... * e(p_n, q_n)`: one multi-Miller loop and one final exponentiation.
/// Terms with an identity point are 1 and left out. If blst refuses a point (a backend bug)
/// the result is zero, which is not in GT: it equals no pairing value and is never 1.
pub(crate) fn pairing_product(terms: &[(&G1Affine, &G2Prepared)]) -> Gt {
    let mut ps: Vec<blst_p1_affine> = Vec::with_capacity(terms.len());
    let mut qs: Vec<blst_p2_affine> = Vec::with_capacity(terms.len());
    for (p, q) in terms {
        let q = match q {
            G2Prepared::Identity => continue,
            G2Prepared::Point(q) => q,
            G2Prepared::Refused => return Gt(blst_fp12::default()),
        };
        if bool::from(p.is_identity()) {
            continue;
        }
        match p1_affine(p) {
            Ok(p) => ps.push(p),
            Err(()) => return Gt(blst_fp12::default()),
        }
        qs.push(*q);
    }
    if ps.is_empty() {
        return Gt::identity();
    }
    let p_ptrs: Vec<*const blst_p1_affine> = ps.iter().map(|p| p as *const _).collect();
    let q_ptrs: Vec<*const blst_p2_affine> = qs.iter().map(|q| q as *const _).collect();
    let mut ml = blst_fp12::default();
    let mut out = blst_fp12::default();
    // SAFETY: `p_ptrs` and `q_ptrs` hold `ps.len()` pointers to valid affine points that live
    // until the call returns; `ml` and `out` are valid blst_fp12 values.
    unsafe {
        blst_miller_loop_n(&mut ml, q_ptrs.as_ptr(), p_ptrs.as_ptr(), ps.len());
        blst_final_exp(&mut out, &ml);
    }
    Gt(out)
}

/// Whether the product of pairings is the identity of GT.
pub(crate) fn pairing_product_is_one(terms: &[(&G1Affine, &G2Prepared)]) -> bool {
    let gt = pairing_product(terms);
    // SAFETY: `gt.0` is a valid blst_fp12.
    unsafe { blst_fp12_is_one(&gt.0) }
}

/// RFC 9380 `hash_to_curve` to G2 (`BLS12381G2_XMD:SHA-256_SSWU_RO_`) over the concatenation
/// of `parts`, with `dst` as the domain-separation tag.
pub(crate) fn hash_to_g2(dst: &[u8], parts: &[&[u8]]) -> G2Projective {
    let msg: Vec<u8> = parts.concat();
    let mut p = blst_p2::default();
    let mut bytes = [0u8; 192];
    // SAFETY: `msg` and `dst` are valid for their lengths; no augmentation string (null, 0);
    // `bytes` holds the 192 bytes blst_p2_serialize writes.
    unsafe {
        blst_hash_to_g2(
            &mut p,
            msg.as_ptr(),
            msg.len(),
            dst.as_ptr(),
            dst.len(),
            core::ptr::null(),
            0,
        );
        blst_p2_serialize(bytes.as_mut_ptr(), &p);
    }
    // blst's output is a valid subgroup point in canonical encoding; the unchecked decoder
    // only converts the coordinates.
    G2Projective::from(
        G2Affine::from_uncompressed_unchecked(&bytes).unwrap_or_else(G2Affine::identity),
    )
}

/// [`super::points::g1_decompress`] on blst. `blst_p1_uncompress` refuses a coordinate not
/// below p, a clear compression bit, a malformed identity encoding and an x with no point
/// (`BLST_BAD_ENCODING`, `BLST_POINT_NOT_ON_CURVE`), and reports x = 0, whose points (0, ±2)
/// have order 3, as `BLST_POINT_NOT_IN_GROUP`; it returns the identity for its canonical
/// encoding, which is refused here.
pub(crate) fn g1_decompress(bytes: &[u8; 48]) -> Result<G1Affine, PointError> {
    let mut p = blst_p1_affine::default();
    // SAFETY: `bytes` holds the 48 bytes blst reads; `p` is a valid blst_p1_affine.
    match unsafe { blst_p1_uncompress(&mut p, bytes.as_ptr()) } {
        BLST_ERROR::BLST_SUCCESS => {}
        BLST_ERROR::BLST_POINT_NOT_IN_GROUP => return Err(PointError::NotInSubgroup),
        _ => return Err(PointError::Invalid),
    }
    // SAFETY: `p` is a valid blst_p1_affine.
    if unsafe { blst_p1_affine_is_inf(&p) } {
        return Err(PointError::Identity);
    }
    // SAFETY: as above.
    if !unsafe { blst_p1_affine_in_g1(&p) } {
        return Err(PointError::NotInSubgroup);
    }
    let mut out = [0u8; 96];
    // SAFETY: `out` holds the 96 bytes blst writes.
    unsafe { blst_p1_affine_serialize(out.as_mut_ptr(), &p) };
    // A canonical encoding of a valid point: the unchecked decoder only converts it.
    Option::from(G1Affine::from_uncompressed_unchecked(&out)).ok_or(PointError::Invalid)
}

/// [`super::points::g2_decompress`] on blst (the checks of [`g1_decompress`]; G2 has no
/// special x).
pub(crate) fn g2_decompress(bytes: &[u8; 96]) -> Result<G2Affine, PointError> {
    let mut q = blst_p2_affine::default();
    // SAFETY: `bytes` holds the 96 bytes blst reads; `q` is a valid blst_p2_affine.
    match unsafe { blst_p2_uncompress(&mut q, bytes.as_ptr()) } {
        BLST_ERROR::BLST_SUCCESS => {}
        BLST_ERROR::BLST_POINT_NOT_IN_GROUP => return Err(PointError::NotInSubgroup),
        _ => return Err(PointError::Invalid),
    }
    // SAFETY: `q` is a valid blst_p2_affine.
    if unsafe { blst_p2_affine_is_inf(&q) } {
        return Err(PointError::Identity);
    }
    // SAFETY: as above.
    if !unsafe { blst_p2_affine_in_g2(&q) } {
        return Err(PointError::NotInSubgroup);
    }
    let mut out = [0u8; 192];
    // SAFETY: `out` holds the 192 bytes blst writes.
    unsafe { blst_p2_affine_serialize(out.as_mut_ptr(), &q) };
    Option::from(G2Affine::from_uncompressed_unchecked(&out)).ok_or(PointError::Invalid)
}

/// [`super::points::g1_in_subgroup`] on blst. A point blst refuses to read (not on the curve,
/// which the caller has ruled out) is not in the subgroup.
pub(crate) fn g1_in_subgroup(p: &G1Affine) -> bool {
    // SAFETY: `q` is a valid blst_p1_affine.
    p1_affine(p).is_ok_and(|q| unsafe { blst_p1_affine_in_g1(&q) })
}

/// [`super::points::g2_in_subgroup`] on blst, as [`g1_in_subgroup`].
pub(crate) fn g2_in_subgroup(q: &G2Affine) -> bool {
    // SAFETY: `q` is a valid blst_p2_affine.
    p2_affine(q).is_ok_and(|q| unsafe { blst_p2_affine_in_g2(&q) })
}
