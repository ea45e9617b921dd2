//! Variable-time multi-exponentiation in G1 for **public** scalars only (verification).
//!
//! Each base carries a table of its odd multiples `P, 3P, ..., (2^(w-1) - 1)P` in affine form;
//! scalars are recoded to width-w non-adjacent form and all terms of a product share one chain
//! of doublings (Straus / interleaved wNAF). Fixed bases keep their tables (wider windows pay
//! off there); variable bases get a narrower table built per call.
//!
//! Running time depends on the scalars: never pass a secret here.

use alloc::vec;
use alloc::vec::Vec;
use bls12_381::{G1Affine, G1Projective, Scalar};

/// Digits of a width-w NAF of a scalar below 2^255: at most 256 digits, plus one for safety.
const NAF_DIGITS: usize = 257;

/// Smallest and largest window widths supported (digits must fit an `i8`).
const MIN_WIDTH: u32 = 2;
const MAX_WIDTH: u32 = 7;

/// The odd multiples of one base, for width-`width` NAF.
#[derive(Clone, Debug)]
pub(crate) struct OddMultiples {
    width: u32,
    points: Vec<G1Affine>,
}

impl OddMultiples {
    /// Tables for several bases with the same width, normalised to affine together (one
    /// field inversion for all). `width` is clamped to 2..=7.
    pub(crate) fn batch<const N: usize>(bases: &[G1Projective; N], width: u32) -> [Self; N] {
        let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
        // 2^(w-2) odd multiples per base.
        let per_base = 1usize.wrapping_shl(width.wrapping_sub(2));
        let mut projective = Vec::with_capacity(N.saturating_mul(per_base));
        for base in bases {
            let twice = base.double();
            let mut cur = *base;
            for _ in 0..per_base {
                projective.push(cur);
                cur += twice;
            }
        }
        let mut affine = vec![G1Affine::identity(); projective.len()];
        G1Projective::batch_normalize(&projective, &mut affine);
        let mut chunks = affine.chunks(per_base);
        core::array::from_fn(|_| Self {
            width,
            points: chunks.next().map(<[G1Affine]>::to_vec).unwrap_or_default(),
        })
    }

    /// Heap bytes held by the table.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.points
            .len()
            .saturating_mul(core::mem::size_of::<G1Affine>())
    }

    /// The multiple `digit * P` for an odd digit, negated if the digit is negative.
    fn add_digit(&self, acc: &mut G1Projective, digit: i8) {
        if let Some(p) = self.points.get(usize::from(digit.unsigned_abs() >> 1)) {
            if digit > 0 {
                *acc += p;
            } else {
                *acc -= p;
            }
        }
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
fn wnaf(scalar: &Scalar, width: u32) -> Naf {
    let bytes = scalar.to_bytes();
    let mut limbs = [0u64; 5];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(le);
    }
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
        let window = carry.wrapping_add(bits_at(&limbs, pos, width) as i16);
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

/// `sum(scalar_i * base_i)` with one shared doubling chain. Variable time: public scalars only.
pub(crate) fn multi_exp_vartime<const N: usize>(
    terms: [(&OddMultiples, &Scalar); N],
) -> G1Projective {
    let nafs = terms.map(|(table, scalar)| wnaf(scalar, table.width));
    let top = nafs.iter().map(|n| n.len).max().unwrap_or(0);
    let mut acc = G1Projective::identity();
    for i in (0..top).rev() {
        acc = acc.double();
        for ((table, _), naf) in terms.iter().zip(nafs.iter()) {
            match naf.digits.get(i) {
                Some(&d) if d != 0 => table.add_digit(&mut acc, d),
                _ => {}
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;
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

    #[test]
    fn naf_digits_recombine_to_the_scalar() {
        for width in MIN_WIDTH..=MAX_WIDTH {
            for s in edge_scalars() {
                let naf = wnaf(&s, width);
                let mut acc = Scalar::ZERO;
                for d in naf.digits[..naf.len].iter().rev() {
                    acc = acc.double();
                    let mag = Scalar::from(u64::from(d.unsigned_abs()));
                    acc += if *d < 0 { -mag } else { mag };
                    assert!(
                        *d == 0 || (d % 2 != 0 && i16::from(d.unsigned_abs()) < (1 << (width - 1)))
                    );
                }
                assert_eq!(acc, s, "width {width}");
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
        for width in [2, 4, 5, 7] {
            let tables = OddMultiples::batch(&[bases[0], bases[1], bases[2]], width);
            for (i, s) in scalars.iter().enumerate() {
                let t = scalars[(i + 3) % scalars.len()];
                let u = scalars[(i + 5) % scalars.len()];
                let got = multi_exp_vartime([(&tables[0], s), (&tables[1], &t), (&tables[2], &u)]);
                let want = bases[0] * s + bases[1] * t + bases[2] * u;
                assert_eq!(got, want, "width {width}, scalar {i}");
                assert_eq!(multi_exp_vartime([(&tables[1], s)]), bases[1] * s);
            }
        }
        let [single] = OddMultiples::batch(&[bases[0]], 5);
        assert_eq!(single.points.len(), 8);
        assert_eq!(
            multi_exp_vartime([(&single, &Scalar::from(15u64))]),
            bases[0] * Scalar::from(15u64)
        );
    }
}
