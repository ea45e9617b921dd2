//! Constant-time scalar multiplication in G1 for **secret** scalars.
//!
//! Scalars are recoded branch-free into 64 signed 4-bit digits `d_i` in [-8, 8], so that
//! `k = sum d_i 16^i`. A digit selects a multiple `|d| * P` from a row of eight precomputed
//! points by scanning the whole row with `ConditionallySelectable` (no secret-dependent index or
//! branch) and is negated with a conditional select. Point additions use `bls12_381`'s complete
//! formulas, which are constant time and handle the identity.
//!
//! - [`CombTable`] is for a base used many times (the group key's u, v, h and a member's A when
//!   signing, g1 when issuing): rows for `P_j = 16^(8j) P`, j = 0..8, so a multiplication costs
//!   28 doublings and 64 mixed additions.
//! - [`ct_multi_mul`] is for bases used once: an 8-entry row per base and one shared doubling
//!   chain (252 doublings, 64 additions per term).

use alloc::vec;
use alloc::vec::Vec;
use bls12_381::{G1Affine, G1Projective, Scalar};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

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
fn select(row: &[G1Affine; ROW], digit: i8) -> G1Affine {
    // All ones when negative, zero otherwise; |digit| without a branch.
    let sign_mask = digit.wrapping_shr(7);
    let magnitude = (digit ^ sign_mask).wrapping_sub(sign_mask) as u8;
    let mut out = G1Affine::identity();
    for (k, point) in (1u8..).zip(row.iter()) {
        out.conditional_assign(point, k.ct_eq(&magnitude));
    }
    let negative = Choice::from((sign_mask as u8) & 1);
    G1Affine::conditional_select(&out, &-out, negative)
}

/// Rows `1Q..8Q` for each `Q` in `bases`, in affine form (one inversion for all).
fn rows(bases: &[G1Projective]) -> Vec<[G1Affine; ROW]> {
    let mut projective = Vec::with_capacity(bases.len().saturating_mul(ROW));
    for base in bases {
        let mut cur = *base;
        for _ in 0..ROW {
            projective.push(cur);
            cur += base;
        }
    }
    let mut affine = vec![G1Affine::identity(); projective.len()];
    G1Projective::batch_normalize(&projective, &mut affine);
    affine
        .chunks_exact(ROW)
        .map(|chunk| {
            let mut row = [G1Affine::identity(); ROW];
            row.copy_from_slice(chunk);
            row
        })
        .collect()
}

/// A fixed-base comb for constant-time multiplication of one base by secret scalars.
#[derive(Clone)]
pub(crate) struct CombTable {
    rows: Vec<[G1Affine; ROW]>,
}

impl CombTable {
    /// Precomputes the rows for `base` (about 224 doublings and 64 additions).
    pub(crate) fn new(base: &G1Projective) -> Self {
        let mut row_bases = Vec::with_capacity(COMB_ROWS);
        let mut cur = *base;
        for j in 0..COMB_ROWS {
            if j > 0 {
                for _ in 0..ROUNDS.saturating_mul(DIGIT_BITS as usize) {
                    cur = cur.double();
                }
            }
            row_bases.push(cur);
        }
        Self {
            rows: rows(&row_bases),
        }
    }

    /// Heap bytes held by the table.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.rows
            .len()
            .saturating_mul(core::mem::size_of::<[G1Affine; ROW]>())
    }

    /// `scalar * base` in constant time.
    pub(crate) fn mul(&self, scalar: &Scalar) -> G1Projective {
        let mut digits = signed_digits(scalar);
        let mut acc = G1Projective::identity();
        for t in (0..ROUNDS).rev() {
            if t != ROUNDS.wrapping_sub(1) {
                for _ in 0..DIGIT_BITS {
                    acc = acc.double();
                }
            }
            for (row, chunk) in self.rows.iter().zip(digits.chunks_exact(ROUNDS)) {
                if let Some(&d) = chunk.get(t) {
                    acc += select(row, d);
                }
            }
        }
        digits.zeroize();
        acc
    }
}

impl Zeroize for CombTable {
    fn zeroize(&mut self) {
        for row in self.rows.iter_mut() {
            row.zeroize();
        }
    }
}

/// `sum(scalar_i * base_i)` in constant time, for bases that are not worth a comb table.
pub(crate) fn ct_multi_mul<const N: usize>(terms: [(&G1Projective, &Scalar); N]) -> G1Projective {
    let bases = terms.map(|(base, _)| *base);
    let mut tables = rows(&bases);
    let mut digits = terms.map(|(_, scalar)| signed_digits(scalar));
    let mut acc = G1Projective::identity();
    for i in (0..DIGITS).rev() {
        if i != DIGITS.wrapping_sub(1) {
            for _ in 0..DIGIT_BITS {
                acc = acc.double();
            }
        }
        for (row, ds) in tables.iter().zip(digits.iter()) {
            if let Some(&d) = ds.get(i) {
                acc += select(row, d);
            }
        }
    }
    digits.zeroize();
    for row in tables.iter_mut() {
        row.zeroize();
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;
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
        let table = CombTable::new(&base);
        for s in edge_scalars() {
            assert_eq!(table.mul(&s), base * s);
        }
        assert_eq!(table.heap_bytes(), 64 * core::mem::size_of::<G1Affine>());
    }

    #[test]
    fn multi_mul_matches_plain_multiplication() {
        let mut rng = VectorRng::new(b"ct multi bases");
        let p = G1Projective::generator() * crate::curve::random_scalar(&mut rng);
        let q = G1Projective::generator() * crate::curve::random_scalar(&mut rng);
        let scalars = edge_scalars();
        for (i, s) in scalars.iter().enumerate() {
            let t = scalars[(i + 7) % scalars.len()];
            assert_eq!(ct_multi_mul([(&p, s), (&q, &t)]), p * s + q * t);
            assert_eq!(ct_multi_mul([(&q, s)]), q * s);
        }
    }

    #[test]
    fn select_reads_signed_multiples() {
        let base = G1Projective::generator();
        let row = &rows(&[base])[0];
        for d in -8i8..=8 {
            let want = base * Scalar::from(u64::from(d.unsigned_abs()));
            let want = if d < 0 { -want } else { want };
            assert_eq!(G1Projective::from(select(row, d)), want, "digit {d}");
        }
    }
}
