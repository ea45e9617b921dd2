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
    let digits = signed_digits_of::<DIGITS>(&bytes);
    bytes.zeroize();
    digits
}

/// Branch-free recoding of a little-endian integer into `D` signed 4-bit digits: all but the
/// last in [-8, 7], the last absorbs the carry. `D` must leave room for it (two digits per
/// byte, plus one unless the top nibble is below 8).
fn signed_digits_of<const D: usize>(bytes: &[u8]) -> [i8; D] {
    let mut digits = [0i8; D];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(bytes.iter()) {
        if let [lo, hi] = pair {
            *lo = (byte & 0x0f) as i8;
            *hi = (byte >> 4) as i8;
        }
    }
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

/// `z^2` for the curve parameter `z = -0xd201000000010000`: on G1, the endomorphism
/// `phi(x, y) = (beta x, y)` is multiplication by `-z^2` (bls12_381's own subgroup check rests
/// on the same identity), and `z^2` has 128 bits.
const Z_SQUARED: u128 = 0xac45_a401_0001_a402_0000_0001_0000_0000;

/// beta, the cube root of unity in Fp that `phi` multiplies x by, big-endian.
const BETA: [u8; 48] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5f, 0x19, 0x67, 0x2f, 0xdf, 0x76, 0xce, 0x51,
    0xba, 0x69, 0xc6, 0x07, 0x6a, 0x0f, 0x77, 0xea, 0xdd, 0xb3, 0xa9, 0x3b, 0xe6, 0xf8, 0x96, 0x88,
    0xde, 0x17, 0xd8, 0x13, 0x62, 0x0a, 0x00, 0x02, 0x2e, 0x01, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xfe,
];

/// Signed digits of a half scalar below 2^128: 32 nibbles and a last digit for the carry.
const HALF_DIGITS: usize = 33;

/// The base field element type; bls12_381 names it only through its hash-to-curve trait.
type Fp = <G1Projective as bls12_381::hash_to_curve::MapToCurve>::Field;

/// `-phi(p) = z^2 p` for a point of G1: x times beta, y negated. Public points only (the
/// encoding round trip is not constant time). `None` only if the encoding were malformed.
fn minus_phi(p: &G1Affine) -> Option<G1Affine> {
    let mut bytes = (-p).to_uncompressed();
    let (x_bytes, _) = bytes.split_first_chunk_mut::<48>()?;
    // The top three bits of x's first byte are flags (infinity, sort); x itself is below p.
    let flags = x_bytes.first().copied()? & 0xe0;
    let mut x = *x_bytes;
    if let Some(top) = x.first_mut() {
        *top &= 0x1f;
    }
    let x = Option::<Fp>::from(Fp::from_bytes(&x))?;
    let beta = Option::<Fp>::from(Fp::from_bytes(&BETA))?;
    *x_bytes = x.mul(&beta).to_bytes();
    if let Some(top) = x_bytes.first_mut() {
        *top |= flags;
    }
    Option::from(G1Affine::from_uncompressed_unchecked(&bytes))
}

/// Splits a scalar `k = k0 + k1 z^2` with `0 <= k0 < z^2` and `k1 < 2^128` (long division by
/// `z^2`, branch-free: the scalar is secret). Returns the halves as little-endian bytes.
fn split_z_squared(scalar: &Scalar) -> [[u8; 16]; 2] {
    let mut bytes = scalar.to_bytes();
    let mut low = [0u8; 16];
    let mut high = [0u8; 16];
    low.copy_from_slice(bytes.get(..16).unwrap_or(&[0u8; 16]));
    high.copy_from_slice(bytes.get(16..).unwrap_or(&[0u8; 16]));
    bytes.zeroize();
    let low_bits = u128::from_le_bytes(low);
    // k < r < 2^255, so the high half is below 2^127 < z^2: a valid starting remainder.
    let mut remainder = u128::from_le_bytes(high);
    let mut quotient = 0u128;
    for i in (0..128u32).rev() {
        let top = remainder.wrapping_shr(127);
        let shifted = remainder.wrapping_shl(1) | (low_bits.wrapping_shr(i) & 1);
        let (difference, borrow) = shifted.overflowing_sub(Z_SQUARED);
        // Subtract when the shifted remainder (with its 129th bit `top`) is at least z^2.
        let take = top | u128::from(!borrow);
        let mask = take.wrapping_neg();
        remainder = (difference & mask) | (shifted & !mask);
        quotient |= take.wrapping_shl(i);
    }
    let halves = [remainder.to_le_bytes(), quotient.to_le_bytes()];
    remainder.zeroize();
    quotient.zeroize();
    low.zeroize();
    high.zeroize();
    halves
}

/// `sum(scalar_i * base_i)` in constant time, for bases that are not worth a comb table.
///
/// Each scalar is split as `k0 + k1 z^2` (two halves of 128 bits) and `z^2 P` is read off the
/// endomorphism, so all terms share a chain of 128 doublings instead of 252 (GLV method); the
/// additions stay 33 per half. The bases are public, the scalars secret.
pub(crate) fn ct_multi_mul<const N: usize>(terms: [(&G1Projective, &Scalar); N]) -> G1Projective {
    let bases = terms.map(|(base, _)| *base);
    let mut tables = rows(&bases);
    let mut shifted: Vec<[G1Affine; ROW]> = Vec::with_capacity(N);
    for row in tables.iter() {
        let mut out = [G1Affine::identity(); ROW];
        for (o, p) in out.iter_mut().zip(row.iter()) {
            let Some(q) = minus_phi(p) else {
                return ct_multi_mul_full(terms);
            };
            *o = q;
        }
        shifted.push(out);
    }
    let mut digits = terms.map(|(_, scalar)| {
        let mut halves = split_z_squared(scalar);
        let d = halves.map(|h| signed_digits_of::<HALF_DIGITS>(&h));
        for h in halves.iter_mut() {
            h.zeroize();
        }
        d
    });
    let mut acc = G1Projective::identity();
    for i in (0..HALF_DIGITS).rev() {
        if i != HALF_DIGITS.wrapping_sub(1) {
            for _ in 0..DIGIT_BITS {
                acc = acc.double();
            }
        }
        for ((row, high_row), [lo, hi]) in tables.iter().zip(shifted.iter()).zip(digits.iter()) {
            if let (Some(&d0), Some(&d1)) = (lo.get(i), hi.get(i)) {
                acc += select(row, d0);
                acc += select(high_row, d1);
            }
        }
    }
    for d in digits.iter_mut().flatten() {
        d.zeroize();
    }
    for row in tables.iter_mut().chain(shifted.iter_mut()) {
        row.zeroize();
    }
    acc
}

/// `sum(scalar_i * base_i)` in constant time over the full 256-bit digit chain (no
/// endomorphism): the fallback of [`ct_multi_mul`].
fn ct_multi_mul_full<const N: usize>(terms: [(&G1Projective, &Scalar); N]) -> G1Projective {
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
    fn z_squared_split_recombines_within_bounds() {
        let z2 = Scalar::from_bytes(&{
            let mut b = [0u8; 32];
            b[..16].copy_from_slice(&Z_SQUARED.to_le_bytes());
            b
        })
        .unwrap();
        let mut scalars = edge_scalars();
        // Values at and around multiples of z^2 exercise the division's edges.
        for k in [Scalar::ZERO, Scalar::ONE, Scalar::from(7u64), -Scalar::ONE] {
            scalars.extend([
                z2 * (k + Scalar::ONE),
                z2 * k - Scalar::ONE,
                z2 - Scalar::ONE,
            ]);
        }
        for s in scalars {
            let [lo, hi] = split_z_squared(&s);
            let (lo, hi) = (u128::from_le_bytes(lo), u128::from_le_bytes(hi));
            assert!(lo < Z_SQUARED);
            let as_scalar = |v: u128| {
                Scalar::from(v as u64)
                    + Scalar::from((v >> 64) as u64)
                        * Scalar::from(2u64).pow_vartime(&[64, 0, 0, 0])
            };
            assert_eq!(as_scalar(lo) + as_scalar(hi) * z2, s);
            let digits = signed_digits_of::<HALF_DIGITS>(&hi.to_le_bytes());
            assert!((0..=1).contains(&digits[HALF_DIGITS - 1]));
        }
    }

    #[test]
    fn minus_phi_is_multiplication_by_z_squared() {
        let mut rng = VectorRng::new(b"endomorphism");
        let z2 = Scalar::from((Z_SQUARED >> 64) as u64)
            * Scalar::from(2u64).pow_vartime(&[64, 0, 0, 0])
            + Scalar::from(Z_SQUARED as u64);
        for _ in 0..4 {
            let p =
                G1Affine::from(G1Projective::generator() * crate::curve::random_scalar(&mut rng));
            assert_eq!(G1Projective::from(minus_phi(&p).unwrap()), p * z2);
        }
        assert_eq!(minus_phi(&G1Affine::identity()), Some(G1Affine::identity()));
    }

    #[test]
    fn multi_mul_agrees_with_the_full_chain_and_takes_the_identity() {
        let mut rng = VectorRng::new(b"ct multi full");
        let p = G1Projective::generator() * crate::curve::random_scalar(&mut rng);
        let o = G1Projective::identity();
        for s in edge_scalars() {
            assert_eq!(
                ct_multi_mul([(&p, &s), (&o, &s)]),
                ct_multi_mul_full([(&p, &s)])
            );
            assert_eq!(ct_multi_mul([(&o, &s)]), o);
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
