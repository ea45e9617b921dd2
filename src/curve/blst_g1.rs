//! G1 point arithmetic on blst (feature `blst`, SPEC.md 2.6): the blst backend of `curve::g1`.
//! Points enter as `bls12_381` affine points and leave as `bls12_381` points, through their
//! canonical uncompressed encodings; in between they are blst's Jacobian (`blst_p1`) and affine
//! (`blst_p1_affine`, the identity being x = y = 0) points.
//!
//! Constant time. The secret-scalar paths (`fixed_base`) use only these blst routines, each a
//! fixed sequence of field operations whatever the point values (blst's field arithmetic is
//! branch-free assembly; blst/src/ec_ops.h, e1.c, multi_scalar.c, vect.h):
//!
//! - `blst_p1_add_or_double_affine` (`POINTonE1_dadd_affine`) and `blst_p1_add_or_double`
//!   (`POINTonE1_dadd`): complete additions. Both the addition and the doubling formulas are
//!   always computed and the case is picked with `vec_select` (masks), as are the identity of
//!   either input; no branch depends on the points.
//! - `blst_p1_double` (`POINTonE1_double`, dbl-2009-l): straight-line, and maps the identity
//!   (Z = 0) to itself.
//! - `blst_fp_cneg`: conditional negation with a mask (and zero stays zero).
//! - `blst_p1s_to_affine` (`POINTonE1s_to_affine`): batch normalisation with one constant-time
//!   inversion (`reciprocal_fp`) and masked selects for the identity. `blst_p1_to_affine` is
//!   not used on secrets: it branches on Z = 1.
//! - `blst_bendian_from_fp` and `blst_fp_from_bendian` (out of and into Montgomery form,
//!   straight-line) to leave and enter blst; the identity's flag is set and cleared with masks.
//!   `blst_p1_from_affine` picks Z = 1 or Z = 0 (the identity) with a mask.
//!
//! Selecting a table entry and negating it is done here, over the limbs, with `subtle` masks.
//! The variable-time paths (`msm`, public scalars) use the same routines, and [`add_signed`],
//! which branches on its public sign.

use super::{G1Affine, G1Projective};
use alloc::vec::Vec;
use blst::{
    blst_bendian_from_fp, blst_fp, blst_fp_cneg, blst_fp_from_bendian, blst_p1,
    blst_p1_add_or_double, blst_p1_add_or_double_affine, blst_p1_affine, blst_p1_double,
    blst_p1_from_affine, blst_p1s_to_affine,
};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// A point in blst's Jacobian form.
pub(crate) type P1 = blst_p1;
/// A point in blst's affine form (the identity is x = y = 0).
pub(crate) type P1Affine = blst_p1_affine;

/// The identity in Jacobian form (Z = 0).
pub(crate) fn identity() -> P1 {
    P1::default()
}

/// The identity in affine form (x = y = 0).
pub(crate) fn identity_affine() -> P1Affine {
    P1Affine::default()
}

/// `p` in Jacobian form, to start a computation from: [`from_affine`], then [`jacobian`].
pub(crate) fn from_g1(p: &G1Affine) -> P1 {
    jacobian(&from_affine(p))
}

/// `p` in blst's affine form, without a branch on its value: the coordinates of its canonical
/// uncompressed encoding, converted into Montgomery form. The encoding's three flag bits are
/// cleared: a point's x is below p < 2^381, so they are the flags only, and the identity (flag
/// 0x40, zero coordinates) becomes x = y = 0, blst's affine identity. A `bls12_381` point is on
/// the curve, so blst's decoder checks (which branch on failure) are not needed.
fn from_affine(p: &G1Affine) -> P1Affine {
    let mut bytes = p.to_uncompressed();
    if let Some(first) = bytes.first_mut() {
        *first &= 0x1f;
    }
    let mut out = P1Affine::default();
    let (x, y) = bytes.split_at(48);
    // SAFETY: `x` and `y` are 48 bytes each, what blst reads; `out`'s coordinates are valid
    // field elements to write.
    unsafe {
        blst_fp_from_bendian(&mut out.x, x.as_ptr());
        blst_fp_from_bendian(&mut out.y, y.as_ptr());
    }
    bytes.zeroize();
    out
}

/// `p` in Jacobian form.
fn jacobian(p: &P1Affine) -> P1 {
    let mut out = P1::default();
    // SAFETY: both pointers are to valid points. blst maps x = y = 0 to Z = 0.
    unsafe { blst_p1_from_affine(&mut out, p) };
    out
}

/// `acc = 2 acc`.
pub(crate) fn double(acc: &mut P1) {
    let a = *acc;
    // SAFETY: both pointers are to valid points (blst allows out and input to differ or not).
    unsafe { blst_p1_double(acc, &a) };
}

/// `acc = acc + q` (complete: handles doubling and the identity, constant time).
pub(crate) fn add_affine(acc: &mut P1, q: &P1Affine) {
    let a = *acc;
    // SAFETY: all pointers are to valid points.
    unsafe { blst_p1_add_or_double_affine(acc, &a, q) };
}

/// `acc = acc + q` (complete, constant time).
pub(crate) fn add(acc: &mut P1, q: &P1) {
    let a = *acc;
    // SAFETY: all pointers are to valid points.
    unsafe { blst_p1_add_or_double(acc, &a, q) };
}

/// `-q` when `negate` is set, `q` otherwise (masked; the identity stays the identity).
pub(crate) fn conditional_negate(q: &mut P1Affine, negate: Choice) {
    let y = q.y;
    // SAFETY: both pointers are to valid field elements.
    unsafe { blst_fp_cneg(&mut q.y, &y, bool::from(negate)) };
}

/// `acc += q`, or `acc -= q` when `negative`. Branches on `negative`: public digits only.
pub(crate) fn add_signed(acc: &mut P1, q: &P1Affine, negative: bool) {
    if negative {
        let mut neg = *q;
        conditional_negate(&mut neg, Choice::from(1));
        add_affine(acc, &neg);
    } else {
        add_affine(acc, q);
    }
}

/// `out = p` when `choice` is set, unchanged otherwise, over every limb with masks.
pub(crate) fn conditional_assign(out: &mut P1Affine, p: &P1Affine, choice: Choice) {
    for (o, v) in out.x.l.iter_mut().zip(p.x.l.iter()) {
        o.conditional_assign(v, choice);
    }
    for (o, v) in out.y.l.iter_mut().zip(p.y.l.iter()) {
        o.conditional_assign(v, choice);
    }
}

/// Zeroizes an affine point.
pub(crate) fn zeroize_affine(p: &mut P1Affine) {
    p.x.l.zeroize();
    p.y.l.zeroize();
}

/// Zeroizes a Jacobian point.
pub(crate) fn zeroize_acc(p: &mut P1) {
    p.x.l.zeroize();
    p.y.l.zeroize();
    p.z.l.zeroize();
}

/// `points` in affine form, with one constant-time inversion for all.
pub(crate) fn batch_affine(points: &[P1]) -> Vec<P1Affine> {
    let mut out = alloc::vec![P1Affine::default(); points.len()];
    if points.is_empty() {
        return out;
    }
    let ptrs: Vec<*const P1> = points.iter().map(|p| p as *const P1).collect();
    // SAFETY: `ptrs` holds `points.len()` pointers to valid points, all non-null, alive for
    // the call; `out` has room for as many affine points.
    unsafe { blst_p1s_to_affine(out.as_mut_ptr(), ptrs.as_ptr(), points.len()) };
    out
}

/// `points` as `bls12_381` affine points, with one inversion for all.
pub(crate) fn batch_to_g1<const M: usize>(points: &[P1; M]) -> [G1Affine; M] {
    let affine = batch_affine(points);
    core::array::from_fn(|i| affine.get(i).map_or_else(G1Affine::identity, to_g1_affine))
}

/// 48 big-endian bytes of a field element (out of Montgomery form).
fn fp_bytes(out: &mut [u8], fp: &blst_fp) {
    let mut buf = [0u8; 48];
    // SAFETY: `buf` is the 48 bytes blst writes; `fp` is a valid field element.
    unsafe { blst_bendian_from_fp(buf.as_mut_ptr(), fp) };
    out.copy_from_slice(&buf);
    buf.zeroize();
}

/// `p` as a `bls12_381` point, without a branch on its value: one constant-time inversion in
/// blst, then the canonical uncompressed encoding (the identity flag set with a mask).
pub(crate) fn to_projective(p: &P1) -> G1Projective {
    let mut affine = batch_affine(core::slice::from_ref(p));
    let mut out = G1Projective::identity();
    if let Some(a) = affine.first_mut() {
        out = G1Projective::from(to_g1_affine(a));
        zeroize_affine(a);
    }
    out
}

/// An affine point as a `bls12_381` point, without a branch on its value, through the
/// canonical uncompressed encoding (the identity flag set with a mask).
fn to_g1_affine(a: &P1Affine) -> G1Affine {
    let mut bytes = [0u8; 96];
    let (x, y) = bytes.split_at_mut(48);
    fp_bytes(x, &a.x);
    fp_bytes(y, &a.y);
    // blst's affine identity is x = y = 0; the encoding's is zeros with flag 0x40.
    let is_identity = bytes.iter().fold(0u8, |acc, b| acc | b).ct_eq(&0);
    if let Some(first) = bytes.first_mut() {
        *first |= u8::conditional_select(&0, &0x40, is_identity);
    }
    let out = G1Affine::from_uncompressed_unchecked(&bytes).unwrap_or(G1Affine::identity());
    bytes.zeroize();
    out
}
