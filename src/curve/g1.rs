//! G1 point arithmetic for the combs and multi-multiplication of `fixed_base` (secret scalars)
//! and the multi-exponentiations of `msm` (public scalars): one interface, two backends
//! (SPEC.md 2.6). `bls12_381`'s complete formulas by default (below); blst's with feature
//! `blst` (`curve::blst_g1`, which holds the FFI and lists the blst routines relied on and why
//! each is constant time). Both compute the same points, so results are identical.
//!
//! Points enter as `bls12_381` affine points ([`from_g1`]), are accumulated in the backend's
//! projective form [`Acc`] (blst: Jacobian), are kept in tables in its affine form [`Affine`],
//! and leave as `bls12_381` points ([`to_projective`], [`batch_to_g1`]).
//!
//! Constant time: every operation is a fixed sequence of field operations whatever the point
//! values (the identity included), except [`add_signed`], which branches on its sign and is for
//! public digits only.

#[cfg(not(feature = "blst"))]
pub(crate) use bls12_381_g1::{
    add, add_affine, add_signed, batch_affine, batch_to_g1, conditional_assign, conditional_negate,
    double, from_g1, identity, identity_affine, to_projective, zeroize_acc, zeroize_affine, Acc,
    Affine,
};

#[cfg(feature = "blst")]
pub(crate) use super::blst_g1::{
    add, add_affine, add_signed, batch_affine, batch_to_g1, conditional_assign, conditional_negate,
    double, from_g1, identity, identity_affine, to_projective, zeroize_acc, zeroize_affine,
    P1Affine as Affine, P1 as Acc,
};

/// The G1 arithmetic on `bls12_381`: its complete, constant-time formulas (projective
/// additions, mixed additions and doublings handle doubling and the identity with masked
/// selects, no branch on the points) and `subtle` selects.
#[cfg(not(feature = "blst"))]
mod bls12_381_g1 {
    use alloc::vec;
    use alloc::vec::Vec;
    use bls12_381::{G1Affine, G1Projective};
    use subtle::{Choice, ConditionallySelectable};
    use zeroize::Zeroize;

    /// A point in affine form, as table entries are kept.
    pub(crate) type Affine = G1Affine;
    /// A point in projective form, as sums are accumulated.
    pub(crate) type Acc = G1Projective;

    /// The identity in projective form.
    pub(crate) fn identity() -> Acc {
        G1Projective::identity()
    }

    /// The identity in affine form.
    pub(crate) fn identity_affine() -> Affine {
        G1Affine::identity()
    }

    /// `p` in projective form (Z = 1, or Z = 0 for the identity, picked with a mask).
    pub(crate) fn from_g1(p: &G1Affine) -> Acc {
        G1Projective::from(p)
    }

    /// `acc` as a `bls12_381` point.
    pub(crate) fn to_projective(acc: &Acc) -> G1Projective {
        *acc
    }

    /// `points` in affine form, with one constant-time inversion for all (the identity is
    /// skipped with masked selects).
    pub(crate) fn batch_affine(points: &[Acc]) -> Vec<Affine> {
        let mut affine = vec![G1Affine::identity(); points.len()];
        G1Projective::batch_normalize(points, &mut affine);
        affine
    }

    /// `points` as `bls12_381` affine points, with one inversion for all.
    pub(crate) fn batch_to_g1<const M: usize>(points: &[Acc; M]) -> [G1Affine; M] {
        let mut affine = [G1Affine::identity(); M];
        G1Projective::batch_normalize(points, &mut affine);
        affine
    }

    /// `acc = 2 acc` (maps the identity to itself, constant time).
    pub(crate) fn double(acc: &mut Acc) {
        *acc = acc.double();
    }

    /// `acc = acc + q` (complete: handles doubling and the identity, constant time).
    pub(crate) fn add(acc: &mut Acc, q: &Acc) {
        *acc += q;
    }

    /// `acc = acc + q` for an affine `q` (complete: handles doubling and the identity,
    /// constant time).
    pub(crate) fn add_affine(acc: &mut Acc, q: &Affine) {
        *acc += q;
    }

    /// `acc += q`, or `acc -= q` when `negative`. Branches on `negative`: public digits only.
    pub(crate) fn add_signed(acc: &mut Acc, q: &Affine, negative: bool) {
        if negative {
            *acc -= q;
        } else {
            *acc += q;
        }
    }

    /// `out = p` when `choice` is set, unchanged otherwise, over every coordinate with masks.
    pub(crate) fn conditional_assign(out: &mut Affine, p: &Affine, choice: Choice) {
        out.conditional_assign(p, choice);
    }

    /// `-p` when `negate` is set, `p` otherwise: both are computed and one is selected with a
    /// mask (the identity stays the identity).
    pub(crate) fn conditional_negate(p: &mut Affine, negate: Choice) {
        *p = G1Affine::conditional_select(p, &-*p, negate);
    }

    /// Zeroizes an affine point.
    pub(crate) fn zeroize_affine(p: &mut Affine) {
        p.zeroize();
    }

    /// Zeroizes a projective point.
    pub(crate) fn zeroize_acc(p: &mut Acc) {
        p.zeroize();
    }
}
