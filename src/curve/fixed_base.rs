//! Constant-time scalar multiplication in G1 for **secret** scalars.
//!
//! Scalars are recoded branch-free into 64 signed 4-bit digits `d_i` in [-8, 8], so that
//! `k = sum d_i 16^i`. A digit selects a multiple `|d| * P` from a row of eight precomputed
//! points by scanning the whole row with `ConditionallySelectable` (no secret-dependent index or
//! branch) and is negated with a conditional select. Point additions are complete (they handle
//! doubling and the identity) and constant time: `bls12_381`'s formulas by default, blst's
//! `blst_p1_add_or_double_affine` and `blst_p1_double` with feature `blst` (SPEC.md 2.6; the
//! blst routines relied on and why they are constant time are listed in `curve::blst_g1`).
//! Both backends compute the same points, so results are identical; the point arithmetic of
//! either is behind `curve::g1`.
//!
//! - [`CombTable`] is for a base used many times (the group key's u, v, h and a member's A when
//!   signing, g1 when issuing): rows for `P_j = 16^(8j) P`, j = 0..8, so a multiplication costs
//!   28 doublings and 64 mixed additions.
//! - [`ct_multi_mul`] is for bases used once: an 8-entry row per base and one shared doubling
//!   chain (252 doublings, 64 additions per term).

use alloc::vec::Vec;
use bls12_381::{G1Affine, G1Projective, Scalar};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::g1::{self, Acc, Affine};

/// Bits per digit.
const DIGIT_BITS: u32 = 4;
/// Signed digits of a scalar: 64 * 4 = 256 bits cover every value below r < 2^255.
const DIGITS: usize = 64;
/// Multiples `1P..8P` in a row: digits are in [-8, 8].
const ROW: usize = 8;
/// Comb rounds: digit i = j * ROUNDS + t sits in row j and round t.
const ROUNDS: usize = 8;
/// Rows of a comb table.
const COMB_ROWS: usize = DIGITS / ROUNDS;

/// Branch-free recoding into signed 4-bit digits: digits 0..=62 are in [-8, 7], the last in
/// [0, 8] (it absorbs the final carry; the top nibble of a value below r is at most 7).
fn signed_digits(scalar: &Scalar) -> [i8; DIGITS] {
    let mut bytes = scalar.to_bytes();
    let mut digits = [0i8; DIGITS];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(bytes.iter()) {
        if let [lo, hi] = pair {
            *lo = (byte & 0x0f) as i8;
            *hi = (byte >> 4) as i8;
        }
    }
    bytes.zeroize();
    let mut carry = 0i8;
    if let Some((last, body)) = digits.split_last_mut() {
        for d in body.iter_mut() {
            // v in [0, 16]; carry = 1 exactly when v >= 8.
            let v = d.wrapping_add(carry);
            carry = v.wrapping_add(8).wrapping_shr(DIGIT_BITS);
            *d = v.wrapping_sub(carry.wrapping_shl(DIGIT_BITS));
        }
        *last = last.wrapping_add(carry);
    }
    digits
}

/// `digit * row[0]` from a row holding `1P..8P`, reading every entry.
fn select(row: &[Affine; ROW], digit: i8) -> Affine {
    // All ones when negative, zero otherwise; |digit| without a branch.
    let sign_mask = digit.wrapping_shr(7);
    let magnitude = (digit ^ sign_mask).wrapping_sub(sign_mask) as u8;
    let mut out = g1::identity_affine();
    for (k, point) in (1u8..).zip(row.iter()) {
        g1::conditional_assign(&mut out, point, k.ct_eq(&magnitude));
    }
    g1::conditional_negate(&mut out, Choice::from((sign_mask as u8) & 1));
    out
}

/// Rows `1Q..8Q` for each `Q` in `bases`, in affine form (one inversion for all), with complete
/// additions; the intermediate points are zeroized.
fn rows(bases: &[Acc]) -> Vec<[Affine; ROW]> {
    let mut multiples = Vec::with_capacity(bases.len().saturating_mul(ROW));
    for base in bases {
        let mut cur = *base;
        for _ in 0..ROW {
            multiples.push(cur);
            g1::add(&mut cur, base);
        }
        g1::zeroize_acc(&mut cur);
    }
    let mut affine = g1::batch_affine(&multiples);
    multiples.iter_mut().for_each(g1::zeroize_acc);
    let rows = affine
        .chunks_exact(ROW)
        .map(|chunk| {
            let mut row = [g1::identity_affine(); ROW];
            row.copy_from_slice(chunk);
            row
        })
        .collect();
    affine.iter_mut().for_each(g1::zeroize_affine);
    rows
}

/// `acc += digit * row[0]`, zeroizing the selected multiple.
fn add_digit(acc: &mut Acc, row: &[Affine; ROW], digit: i8) {
    let mut point = select(row, digit);
    g1::add_affine(acc, &point);
    g1::zeroize_affine(&mut point);
}

/// A fixed-base comb for constant-time multiplication of one base by secret scalars.
#[derive(Clone)]
pub(crate) struct CombTable {
    rows: Vec<[Affine; ROW]>,
    /// The base itself, to check every product against `bls12_381` (feature `differential`).
    #[cfg(feature = "differential")]
    base: G1Affine,
}

impl CombTable {
    /// Precomputes the rows for `base` (about 224 doublings and 64 additions).
    pub(crate) fn new(base: &G1Affine) -> Self {
        let mut row_bases = Vec::with_capacity(COMB_ROWS);
        let mut cur = g1::from_g1(base);
        for j in 0..COMB_ROWS {
            if j > 0 {
                for _ in 0..ROUNDS.saturating_mul(DIGIT_BITS as usize) {
                    g1::double(&mut cur);
                }
            }
            row_bases.push(cur);
        }
        g1::zeroize_acc(&mut cur);
        let rows = rows(&row_bases);
        row_bases.iter_mut().for_each(g1::zeroize_acc);
        Self {
            rows,
            #[cfg(feature = "differential")]
            base: *base,
        }
    }

    /// Heap bytes held by the table.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.rows
            .len()
            .saturating_mul(core::mem::size_of::<[Affine; ROW]>())
    }

    /// `scalar * base` in constant time.
    pub(crate) fn mul(&self, scalar: &Scalar) -> G1Projective {
        let mut digits = signed_digits(scalar);
        let mut acc = g1::identity();
        for t in (0..ROUNDS).rev() {
            if t != ROUNDS.wrapping_sub(1) {
                for _ in 0..DIGIT_BITS {
                    g1::double(&mut acc);
                }
            }
            for (row, chunk) in self.rows.iter().zip(digits.chunks_exact(ROUNDS)) {
                if let Some(&d) = chunk.get(t) {
                    add_digit(&mut acc, row, d);
                }
            }
        }
        digits.zeroize();
        let out = g1::to_projective(&acc);
        g1::zeroize_acc(&mut acc);
        #[cfg(feature = "differential")]
        super::differential::check_g1("comb multiplication", &out, &[(self.base, *scalar)]);
        out
    }
}

impl Zeroize for CombTable {
    fn zeroize(&mut self) {
        for row in self.rows.iter_mut() {
            row.iter_mut().for_each(g1::zeroize_affine);
        }
        #[cfg(feature = "differential")]
        self.base.zeroize();
    }
}

/// `sum(scalar_i * base_i)` in constant time, for bases that are not worth a comb table.
pub(crate) fn ct_multi_mul<const N: usize>(terms: [(&G1Affine, &Scalar); N]) -> G1Projective {
    let mut bases = terms.map(|(base, _)| g1::from_g1(base));
    let mut tables = rows(&bases);
    bases.iter_mut().for_each(g1::zeroize_acc);
    let mut digits = terms.map(|(_, scalar)| signed_digits(scalar));
    let mut acc = g1::identity();
    for i in (0..DIGITS).rev() {
        if i != DIGITS.wrapping_sub(1) {
            for _ in 0..DIGIT_BITS {
                g1::double(&mut acc);
            }
        }
        for (row, ds) in tables.iter().zip(digits.iter()) {
            if let Some(&d) = ds.get(i) {
                add_digit(&mut acc, row, d);
            }
        }
    }
    digits.zeroize();
    for row in tables.iter_mut() {
        row.iter_mut().for_each(g1::zeroize_affine);
    }
    let out = g1::to_projective(&acc);
    g1::zeroize_acc(&mut acc);
    #[cfg(feature = "differential")]
    super::differential::check_g1(
        "constant-time multi-multiplication",
        &out,
        &terms.map(|(base, scalar)| (*base, *scalar)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;
    use alloc::vec;
    use ff::Field;

    fn edge_scalars() -> Vec<Scalar> {
        let two = Scalar::from(2u64);
        let mut v = vec![
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            -two,
            Scalar::from(8u64),
            Scalar::from(0x88u64),
            two.pow_vartime(&[4u64, 0, 0, 0]),
            two.pow_vartime(&[128u64, 0, 0, 0]),
            two.pow_vartime(&[252u64, 0, 0, 0]),
            two.pow_vartime(&[254u64, 0, 0, 0]),
        ];
        let mut rng = VectorRng::new(b"fixed base tests");
        for _ in 0..6 {
            v.push(crate::curve::random_scalar(&mut rng));
        }
        v
    }

    #[test]
    fn digits_recombine_and_stay_in_range() {
        for s in edge_scalars() {
            let digits = signed_digits(&s);
            let mut acc = Scalar::ZERO;
            for (i, d) in digits.iter().enumerate().rev() {
                assert!(if i == 63 {
                    (0..=8).contains(d)
                } else {
                    (-8..=7).contains(d)
                });
                acc *= Scalar::from(16u64);
                let mag = Scalar::from(u64::from(d.unsigned_abs()));
                acc += if *d < 0 { -mag } else { mag };
            }
            assert_eq!(acc, s);
        }
    }

    #[test]
    fn comb_matches_plain_multiplication() {
        let mut rng = VectorRng::new(b"comb base");
        let base = G1Projective::generator() * crate::curve::random_scalar(&mut rng);
        let table = CombTable::new(&G1Affine::from(base));
        for s in edge_scalars() {
            assert_eq!(table.mul(&s), base * s);
        }
        assert_eq!(table.heap_bytes(), 64 * core::mem::size_of::<Affine>());
    }

    #[test]
    fn identity_base_and_equal_bases() {
        // Every entry of the identity's rows is the identity, negated digits included.
        let table = CombTable::new(&G1Affine::identity());
        let g = G1Affine::generator();
        for s in edge_scalars() {
            assert_eq!(table.mul(&s), G1Projective::identity());
            assert_eq!(
                ct_multi_mul([(&G1Affine::identity(), &s)]),
                G1Projective::identity()
            );
            // Two equal bases: the additions meet equal points and must double.
            assert_eq!(
                ct_multi_mul([(&g, &s), (&g, &s)]),
                G1Projective::generator() * s.double()
            );
        }
    }

    #[test]
    fn multi_mul_matches_plain_multiplication() {
        let mut rng = VectorRng::new(b"ct multi bases");
        let p = G1Projective::generator() * crate::curve::random_scalar(&mut rng);
        let q = G1Projective::generator() * crate::curve::random_scalar(&mut rng);
        let scalars = edge_scalars();
        for (i, s) in scalars.iter().enumerate() {
            let t = scalars[(i + 7) % scalars.len()];
            let (pa, qa) = (G1Affine::from(p), G1Affine::from(q));
            assert_eq!(ct_multi_mul([(&pa, s), (&qa, &t)]), p * s + q * t);
            assert_eq!(ct_multi_mul([(&qa, s)]), q * s);
        }
    }

    #[test]
    fn select_reads_signed_multiples() {
        let base = G1Projective::generator();
        let row = &rows(&[g1::from_g1(&G1Affine::generator())])[0];
        for d in -8i8..=8 {
            let want = base * Scalar::from(u64::from(d.unsigned_abs()));
            let want = if d < 0 { -want } else { want };
            let mut acc = g1::identity();
            g1::add_affine(&mut acc, &select(row, d));
            assert_eq!(g1::to_projective(&acc), want, "digit {d}");
        }
    }
}
