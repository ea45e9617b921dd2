//! Variable-time multi-exponentiation in G1 for **public** scalars only (verification).
//!
//! Each base P carries tables of the odd multiples `Q, 3Q, ..., (2^(w-1) - 1)Q` of `Q = P` and
//! of `Q = 2^128 P`, in affine form. A scalar `s = lo + 2^128 hi` is split into two halves of at
//! most 128 bits, each recoded to width-w non-adjacent form, and all halves of all terms of a
//! product share one chain of about 128 doublings (Straus / interleaved wNAF). Fixed bases keep
//! their tables (wider windows pay off there); variable bases get narrower tables per call, and
//! their `2^128 P` costs 128 doublings once however many products use the base.
//!
//! Running time depends on the scalars: never pass a secret here.
//!
//! The point arithmetic is `bls12_381`'s by default and blst's with feature `blst` (SPEC.md
//! 2.6; complete additions `blst_p1_add_or_double[_affine]`, so a table entry that equals the
//! accumulator is still added correctly); both compute the same points, behind `curve::g1`.

use alloc::vec::Vec;
use bls12_381::{G1Affine, G1Projective, Scalar};

use super::g1::{self, Acc, Affine};

/// Digits of a width-w NAF of a scalar below 2^255: at most 256 digits, plus one for safety.
const NAF_DIGITS: usize = 257;

/// Smallest and largest window widths supported (digits must fit an `i8`).
const MIN_WIDTH: u32 = 2;
const MAX_WIDTH: u32 = 7;

/// Bits in the low half of a split scalar.
const SPLIT_BITS: usize = 128;

/// The odd multiples of one point, for width-`width` NAF.
#[derive(Clone, Debug)]
struct OddMultiples {
    width: u32,
    points: Vec<Affine>,
}

impl OddMultiples {
    /// The multiple `digit * Q` for an odd digit, negated if the digit is negative.
    fn add_digit(&self, acc: &mut Acc, digit: i8) {
        if let Some(p) = self.points.get(usize::from(digit.unsigned_abs() >> 1)) {
            g1::add_signed(acc, p, digit < 0);
        }
    }

    /// Adds the multiple for digit `i` of `naf`, if that digit is not zero.
    fn add_digit_at(&self, acc: &mut Acc, naf: &Naf, i: usize) {
        match naf.digits.get(i) {
            Some(&d) if d != 0 => self.add_digit(acc, d),
            _ => {}
        }
    }
}

/// Appends `P, 3P, 5P, ...`, `count` odd multiples of `point`.
fn push_odd_multiples(out: &mut Vec<Acc>, point: Acc, count: usize) {
    let mut twice = point;
    g1::double(&mut twice);
    let mut cur = point;
    for _ in 0..count {
        out.push(cur);
        g1::add(&mut cur, &twice);
    }
}

/// Tables for a base P and for `2^128 P`.
#[derive(Clone, Debug)]
pub(crate) struct SplitBase {
    lo: OddMultiples,
    hi: OddMultiples,
    /// The base itself, to check every product against `bls12_381` (feature `differential`).
    #[cfg(feature = "differential")]
    base: G1Affine,
}

impl SplitBase {
    /// Tables for several bases with the same width, normalised to affine together (one
    /// field inversion for all). `width` is clamped to 2..=7.
    pub(crate) fn batch<const N: usize>(bases: &[G1Affine; N], width: u32) -> [Self; N] {
        let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
        // 2^(w-2) odd multiples per point.
        let per_point = 1usize.wrapping_shl(width.wrapping_sub(2));
        let mut projective = Vec::with_capacity(N.saturating_mul(2).saturating_mul(per_point));
        for base in bases {
            let base = g1::from_g1(base);
            let mut shifted = base;
            for _ in 0..SPLIT_BITS {
                g1::double(&mut shifted);
            }
            for point in [base, shifted] {
                push_odd_multiples(&mut projective, point, per_point);
            }
        }
        let affine = g1::batch_affine(&projective);
        let mut chunks = affine.chunks(per_point).map(|points| OddMultiples {
            width,
            points: points.to_vec(),
        });
        let empty = OddMultiples {
            width,
            points: Vec::new(),
        };
        core::array::from_fn(|_i| Self {
            lo: chunks.next().unwrap_or_else(|| empty.clone()),
            hi: chunks.next().unwrap_or_else(|| empty.clone()),
            #[cfg(feature = "differential")]
            base: bases.get(_i).copied().unwrap_or_else(G1Affine::identity),
        })
    }

    /// Heap bytes held by the tables.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.lo
            .points
            .len()
            .saturating_add(self.hi.points.len())
            .saturating_mul(core::mem::size_of::<Affine>())
    }
}

/// A scalar in width-w non-adjacent form, least significant digit first.
struct Naf {
    digits: [i8; NAF_DIGITS],
    /// One past the highest non-zero digit.
    len: usize,
}

/// Reads `width` bits of the little-endian limbs starting at bit `pos` (zeros past the end).
fn bits_at(limbs: &[u64; 5], pos: usize, width: u32) -> u64 {
    let limb = pos >> 6;
    let shift = (pos & 63) as u32;
    let lo = limbs.get(limb).copied().unwrap_or(0).wrapping_shr(shift);
    let hi = if shift == 0 {
        0
    } else {
        limbs
            .get(limb.wrapping_add(1))
            .copied()
            .unwrap_or(0)
            .wrapping_shl(64u32.wrapping_sub(shift))
    };
    (lo | hi) & (1u64.wrapping_shl(width).wrapping_sub(1))
}

/// Width-w NAF: every non-zero digit is odd and below 2^(w-1) in absolute value, and any w
/// consecutive digits hold at most one non-zero digit.
fn wnaf(limbs: &[u64; 5], width: u32) -> Naf {
    let size = 1i16.wrapping_shl(width);
    let half = size >> 1;
    let mut naf = Naf {
        digits: [0; NAF_DIGITS],
        len: 0,
    };
    let mut carry = 0i16;
    let mut pos = 0usize;
    while pos < NAF_DIGITS {
        // bits_at returns at most 2^7 - 1 here, so the window fits an i16.
        let window = carry.wrapping_add(bits_at(limbs, pos, width) as i16);
        if window & 1 == 0 {
            pos = pos.wrapping_add(1);
            continue;
        }
        let digit = if window < half {
            carry = 0;
            window
        } else {
            carry = 1;
            window.wrapping_sub(size)
        };
        if let Some(d) = naf.digits.get_mut(pos) {
            // |digit| < 2^(w-1) <= 64.
            *d = digit as i8;
            naf.len = pos.wrapping_add(1);
        }
        pos = pos.wrapping_add(width as usize);
    }
    naf
}

/// The halves `lo` and `hi` of `s = lo + 2^128 hi`, as little-endian limbs.
fn split(scalar: &Scalar) -> [[u64; 5]; 2] {
    let bytes = scalar.to_bytes();
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(le);
    }
    let [l0, l1, l2, l3] = limbs;
    [[l0, l1, 0, 0, 0], [l2, l3, 0, 0, 0]]
}

/// `sum(scalar_i * base_i)` with one shared doubling chain over the split halves. Variable
/// time: public scalars only.
#[cfg(test)]
pub(crate) fn multi_exp_vartime<const N: usize>(terms: [(&SplitBase, &Scalar); N]) -> G1Projective {
    g1::to_projective(&multi_exp(&terms))
}

/// Several sums `sum(scalar_i * base_i)` at once, in affine form (one field inversion for
/// all). Variable time: public scalars only.
pub(crate) fn multi_exp_vartime_affine<const M: usize>(
    products: [&[(&SplitBase, &Scalar)]; M],
) -> [G1Affine; M] {
    let sums = products.map(multi_exp);
    let out = g1::batch_to_g1(&sums);
    #[cfg(feature = "differential")]
    for (terms, got) in products.iter().zip(out.iter()) {
        let terms: Vec<(G1Affine, Scalar)> = terms.iter().map(|(b, s)| (b.base, **s)).collect();
        super::differential::check_g1("multi-exponentiation", &got.into(), &terms);
    }
    out
}

/// The sum of one product, in the backend's form.
fn multi_exp(terms: &[(&SplitBase, &Scalar)]) -> Acc {
    let nafs = split_nafs(terms);
    let top = nafs.iter().flatten().map(|n| n.len).max().unwrap_or(0);
    let mut acc = g1::identity();
    for i in (0..top).rev() {
        g1::double(&mut acc);
        add_split_digits(&mut acc, terms, &nafs, i);
    }
    acc
}

/// The NAFs of each term's two halves.
fn split_nafs(terms: &[(&SplitBase, &Scalar)]) -> Vec<[Naf; 2]> {
    terms
        .iter()
        .map(|(base, scalar)| {
            let [lo, hi] = split(scalar);
            [wnaf(&lo, base.lo.width), wnaf(&hi, base.hi.width)]
        })
        .collect()
}

/// Adds digit `i` of every split term.
fn add_split_digits(acc: &mut Acc, terms: &[(&SplitBase, &Scalar)], nafs: &[[Naf; 2]], i: usize) {
    for ((base, _), [lo, hi]) in terms.iter().zip(nafs.iter()) {
        base.lo.add_digit_at(acc, lo, i);
        base.hi.add_digit_at(acc, hi, i);
    }
}

/// Odd multiples of several variable bases, each to be multiplied by one full-width scalar
/// (no split): a batch of verifications multiplies each T3 once, where the 128 doublings of a
/// split base would not pay off.
#[derive(Clone, Debug)]
pub(crate) struct WideBases {
    tables: Vec<OddMultiples>,
    /// The bases, to check every product against `bls12_381` (feature `differential`).
    #[cfg(feature = "differential")]
    bases: Vec<G1Affine>,
}

impl WideBases {
    /// Tables of width `width` (clamped to 2..=7) for `bases`, normalised together.
    pub(crate) fn new(bases: &[G1Affine], width: u32) -> Self {
        let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
        let per_point = 1usize.wrapping_shl(width.wrapping_sub(2));
        let mut projective = Vec::with_capacity(bases.len().saturating_mul(per_point));
        for base in bases {
            push_odd_multiples(&mut projective, g1::from_g1(base), per_point);
        }
        let affine = g1::batch_affine(&projective);
        Self {
            tables: affine
                .chunks(per_point)
                .map(|points| OddMultiples {
                    width,
                    points: points.to_vec(),
                })
                .collect(),
            #[cfg(feature = "differential")]
            bases: bases.to_vec(),
        }
    }
}

/// One product over wide bases: their scalars (one per base, in order) and fixed terms.
pub(crate) type WideProduct<'a> = (&'a [Scalar], &'a [(&'a SplitBase, &'a Scalar)]);

/// Several sums `sum(wide_scalar_i * wide_base_i) + sum(scalar_j * fixed_j)` at once, in
/// affine form: product k pairs `wide` with its own scalars (one per base, in order; missing
/// ones count as zero) and adds its fixed terms. Variable time: public scalars only.
pub(crate) fn multi_exp_wide_vartime_affine<const M: usize>(
    wide: &WideBases,
    products: [WideProduct<'_>; M],
) -> [G1Affine; M] {
    let sums = products.map(|(scalars, fixed)| {
        let nafs: Vec<Naf> = wide
            .tables
            .iter()
            .zip(scalars)
            .map(|(table, scalar)| wnaf(&limbs(scalar), table.width))
            .collect();
        let fixed_nafs = split_nafs(fixed);
        let top = nafs
            .iter()
            .chain(fixed_nafs.iter().flatten())
            .map(|n| n.len)
            .max()
            .unwrap_or(0);
        let mut acc = g1::identity();
        for i in (0..top).rev() {
            g1::double(&mut acc);
            for (table, naf) in wide.tables.iter().zip(nafs.iter()) {
                table.add_digit_at(&mut acc, naf, i);
            }
            add_split_digits(&mut acc, fixed, &fixed_nafs, i);
        }
        acc
    });
    let out = g1::batch_to_g1(&sums);
    #[cfg(feature = "differential")]
    for ((scalars, fixed), got) in products.iter().zip(out.iter()) {
        let terms: Vec<(G1Affine, Scalar)> = wide
            .bases
            .iter()
            .copied()
            .zip(scalars.iter().copied())
            .chain(fixed.iter().map(|(b, s)| (b.base, **s)))
            .collect();
        super::differential::check_g1("wide multi-exponentiation", &got.into(), &terms);
    }
    out
}

/// A scalar's little-endian limbs, with a zero limb on top for the NAF's carry.
fn limbs(scalar: &Scalar) -> [u64; 5] {
    let [lo, hi] = split(scalar);
    let [l0, l1, ..] = lo;
    let [l2, l3, ..] = hi;
    [l0, l1, l2, l3, 0]
}

/// `k * base` for a **public** 128-bit `k` (variable time): width-5 NAF over the odd
/// multiples `P, 3P, ..., 15P`, about 128 doublings and 26 additions.
pub(crate) fn mul_u128_vartime(base: &G1Affine, k: u128) -> G1Projective {
    const WIDTH: u32 = 5;
    let limbs = [k as u64, k.wrapping_shr(64) as u64, 0, 0, 0];
    let naf = wnaf(&limbs, WIDTH);
    #[cfg(feature = "differential")]
    let base_affine = base;
    let mut projective = Vec::with_capacity(8);
    push_odd_multiples(&mut projective, g1::from_g1(base), 8);
    let table = OddMultiples {
        width: WIDTH,
        points: g1::batch_affine(&projective),
    };
    let mut acc = g1::identity();
    for &d in naf.digits.get(..naf.len).unwrap_or_default().iter().rev() {
        g1::double(&mut acc);
        if d != 0 {
            table.add_digit(&mut acc, d);
        }
    }
    let out = g1::to_projective(&acc);
    #[cfg(feature = "differential")]
    super::differential::check_g1(
        "128-bit multiplication",
        &out,
        &[(*base_affine, Scalar::from_raw([limbs[0], limbs[1], 0, 0]))],
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
        let mut v = vec![
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            -Scalar::from(2u64),
            Scalar::from(2u64).pow_vartime(&[128u64, 0, 0, 0]),
            Scalar::from(2u64).pow_vartime(&[254u64, 0, 0, 0]),
            Scalar::from(2u64).pow_vartime(&[254u64, 0, 0, 0]) - Scalar::ONE,
            Scalar::from(u64::MAX),
        ];
        let mut rng = VectorRng::new(b"msm tests");
        for _ in 0..8 {
            v.push(crate::curve::random_scalar(&mut rng));
        }
        v
    }

    fn value(naf: &Naf, width: u32) -> Scalar {
        let mut acc = Scalar::ZERO;
        for d in naf.digits[..naf.len].iter().rev() {
            acc = acc.double();
            let mag = Scalar::from(u64::from(d.unsigned_abs()));
            acc += if *d < 0 { -mag } else { mag };
            assert!(*d == 0 || (d % 2 != 0 && i16::from(d.unsigned_abs()) < (1 << (width - 1))));
        }
        acc
    }

    #[test]
    fn split_naf_digits_recombine_to_the_scalar() {
        let two128 = Scalar::from(2u64).pow_vartime(&[128u64, 0, 0, 0]);
        for width in MIN_WIDTH..=MAX_WIDTH {
            for s in edge_scalars() {
                let [lo, hi] = split(&s);
                let (lo, hi) = (wnaf(&lo, width), wnaf(&hi, width));
                assert!(lo.len <= 129 && hi.len <= 128, "width {width}");
                assert_eq!(
                    value(&lo, width) + two128 * value(&hi, width),
                    s,
                    "width {width}"
                );
            }
        }
    }

    #[test]
    fn multi_exp_matches_plain_multiplication() {
        let mut rng = VectorRng::new(b"msm bases");
        let bases: Vec<G1Projective> = (0..3)
            .map(|_| G1Projective::generator() * crate::curve::random_scalar(&mut rng))
            .collect();
        let scalars = edge_scalars();
        let tables_for_batch = SplitBase::batch(&[bases[0], bases[1]].map(G1Affine::from), 6);
        for width in [2, 4, 5, 7] {
            let affine = [bases[0], bases[1], bases[2]].map(G1Affine::from);
            let tables = SplitBase::batch(&affine, width);
            for (i, s) in scalars.iter().enumerate() {
                let t = scalars[(i + 3) % scalars.len()];
                let u = scalars[(i + 5) % scalars.len()];
                let got = multi_exp_vartime([(&tables[0], s), (&tables[1], &t), (&tables[2], &u)]);
                let want = bases[0] * s + bases[1] * t + bases[2] * u;
                assert_eq!(got, want, "width {width}, scalar {i}");
                assert_eq!(multi_exp_vartime([(&tables[1], s)]), bases[1] * s);
            }
        }
        for k in [
            0u128,
            1,
            15,
            16,
            u128::MAX,
            u128::MAX >> 1,
            0xac45_a401_0001_a402,
        ] {
            let want = bases[1]
                * (Scalar::from((k >> 64) as u64) * Scalar::from(2u64).pow_vartime(&[64, 0, 0, 0])
                    + Scalar::from(k as u64));
            assert_eq!(
                mul_u128_vartime(&G1Affine::from(bases[1]), k),
                want,
                "k {k}"
            );
        }
        let products: [&[(&SplitBase, &Scalar)]; 2] = [
            &[(&tables_for_batch[0], &scalars[3])],
            &[
                (&tables_for_batch[1], &scalars[4]),
                (&tables_for_batch[0], &scalars[5]),
            ],
        ];
        assert_eq!(
            multi_exp_vartime_affine(products),
            [
                G1Affine::from(bases[0] * scalars[3]),
                G1Affine::from(bases[1] * scalars[4] + bases[0] * scalars[5])
            ]
        );
        let wide = WideBases::new(&[bases[0], bases[2]].map(G1Affine::from), 5);
        for (i, s) in scalars.iter().enumerate() {
            let t = scalars[(i + 1) % scalars.len()];
            let u = scalars[(i + 2) % scalars.len()];
            let [with_fixed, short] = multi_exp_wide_vartime_affine(
                &wide,
                [(&[*s, t], &[(&tables_for_batch[1], &u)]), (&[t], &[])],
            );
            assert_eq!(
                with_fixed,
                G1Affine::from(bases[0] * s + bases[2] * t + bases[1] * u),
                "scalar {i}"
            );
            assert_eq!(short, G1Affine::from(bases[0] * t), "scalar {i}");
        }
        let [single] = SplitBase::batch(&[G1Affine::from(bases[0])], 5);
        assert_eq!(single.heap_bytes(), 16 * core::mem::size_of::<Affine>());
        assert_eq!(
            multi_exp_vartime([(&single, &Scalar::from(15u64))]),
            bases[0] * Scalar::from(15u64)
        );
    }
}
