//! The Fp12 tower of BLS12-381 in pure Rust, for decoding and checking GT elements on the
//! `bls12_381` backend, which exposes no field types (SPEC.md 2.1). Fp2 = Fp[u]/(u^2 + 1),
//! Fp6 = Fp2[v]/(v^3 - (u + 1)), Fp12 = Fp6[w]/(w^2 - v): the `bls12_381` crate's tower, so
//! the coefficients here are the ones its `Display` (and `gt_to_bytes`) prints.
//!
//! Everything is variable time: every value it handles is public (received or computed from
//! public values). The Fp arithmetic and the Frobenius and squaring formulas follow the
//! `bls12_381` crate (MIT/Apache-2.0); the tests check them against that crate's `Gt`.
// Built for the blst tests too, which take their non-GT encodings from it.
#![cfg_attr(
    all(test, feature = "blst", not(feature = "differential")),
    allow(dead_code)
)]

/// p, little-endian 64-bit limbs.
const MODULUS: [u64; 6] = [
    0xb9fe_ffff_ffff_aaab,
    0x1eab_fffe_b153_ffff,
    0x6730_d2a0_f6b0_f624,
    0x6477_4b84_f385_12bf,
    0x4b1b_a7b6_434b_acd7,
    0x1a01_11ea_397f_e69a,
];

/// -(p^-1) mod 2^64, for Montgomery reduction.
const INV: u64 = 0x89f3_fffc_fffc_fffd;

/// 2^384 mod p: one in Montgomery form.
const R: Fp = Fp([
    0x7609_0000_0002_fffd,
    0xebf4_000b_c40c_0002,
    0x5f48_9857_53c7_58ba,
    0x77ce_5853_7052_5745,
    0x5c07_1a97_a256_ec6d,
    0x15f6_5ec3_fa80_e493,
]);

/// 2^768 mod p: multiplying by it enters Montgomery form.
const R2: Fp = Fp([
    0xf4df_1f34_1c34_1746,
    0x0a76_e6a6_09d1_04f1,
    0x8de5_476c_4c95_b6d5,
    0x67eb_88a9_939d_83c0,
    0x9a79_3e85_b519_952d,
    0x1198_8fe5_92ca_e3aa,
]);

/// a + b + carry: the low word and the carry. Cannot overflow u128.
const fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let ret = (a as u128)
        .wrapping_add(b as u128)
        .wrapping_add(carry as u128);
    (ret as u64, (ret >> 64) as u64)
}

/// a - (b + borrow): the low word and the borrow (all ones if it underflowed).
const fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let ret = (a as u128).wrapping_sub((b as u128).wrapping_add((borrow >> 63) as u128));
    (ret as u64, (ret >> 64) as u64)
}

/// a + b * c + carry: the low word and the carry. (2^64 - 1)^2 + 2 (2^64 - 1) < 2^128.
const fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let ret = (a as u128)
        .wrapping_add((b as u128).wrapping_mul(c as u128))
        .wrapping_add(carry as u128);
    (ret as u64, (ret >> 64) as u64)
}

/// An element of Fp in Montgomery form (a R mod p), fully reduced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fp([u64; 6]);

impl Fp {
    /// Zero.
    pub(crate) const ZERO: Fp = Fp([0; 6]);
    /// One.
    pub(crate) const ONE: Fp = R;

    /// Whether this is zero.
    #[inline]
    pub(crate) fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }

    /// The canonical big-endian value; `None` if it is not below p.
    pub(crate) fn from_bytes(bytes: &[u8; 48]) -> Option<Fp> {
        let mut limbs = [0u64; 6];
        for (limb, chunk) in limbs.iter_mut().rev().zip(bytes.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            *limb = u64::from_be_bytes(word);
        }
        // Subtracting p borrows exactly when the value is below p.
        let mut borrow = 0;
        for (limb, m) in limbs.iter().zip(MODULUS.iter()) {
            borrow = sbb(*limb, *m, borrow).1;
        }
        if borrow == 0 {
            return None;
        }
        Some(Fp(limbs).mul(&R2))
    }

    /// The canonical big-endian encoding.
    pub(crate) fn to_bytes(self) -> [u8; 48] {
        let [a0, a1, a2, a3, a4, a5] = self.0;
        let plain = Fp::montgomery_reduce(a0, a1, a2, a3, a4, a5, 0, 0, 0, 0, 0, 0).subtract_p();
        let mut out = [0u8; 48];
        for (chunk, limb) in out.chunks_exact_mut(8).zip(plain.0.iter().rev()) {
            chunk.copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// Subtracts p if the value is at least p (inputs are below 2p). Straight line with a
    /// mask rather than a branch: the branch is taken about half the time, and mispredicted.
    #[inline]
    fn subtract_p(&self) -> Fp {
        let a = &self.0;
        let (r0, borrow) = sbb(a[0], MODULUS[0], 0);
        let (r1, borrow) = sbb(a[1], MODULUS[1], borrow);
        let (r2, borrow) = sbb(a[2], MODULUS[2], borrow);
        let (r3, borrow) = sbb(a[3], MODULUS[3], borrow);
        let (r4, borrow) = sbb(a[4], MODULUS[4], borrow);
        let (r5, borrow) = sbb(a[5], MODULUS[5], borrow);
        // borrow is all ones exactly when the value was below p: keep it then.
        Fp([
            (a[0] & borrow) | (r0 & !borrow),
            (a[1] & borrow) | (r1 & !borrow),
            (a[2] & borrow) | (r2 & !borrow),
            (a[3] & borrow) | (r3 & !borrow),
            (a[4] & borrow) | (r4 & !borrow),
            (a[5] & borrow) | (r5 & !borrow),
        ])
    }

    /// self + rhs.
    #[inline]
    pub(crate) fn add(&self, rhs: &Fp) -> Fp {
        let (a, b) = (&self.0, &rhs.0);
        let (d0, carry) = adc(a[0], b[0], 0);
        let (d1, carry) = adc(a[1], b[1], carry);
        let (d2, carry) = adc(a[2], b[2], carry);
        let (d3, carry) = adc(a[3], b[3], carry);
        let (d4, carry) = adc(a[4], b[4], carry);
        let (d5, _) = adc(a[5], b[5], carry);
        // p < 2^381, so the sum of two reduced values fits in 384 bits.
        Fp([d0, d1, d2, d3, d4, d5]).subtract_p()
    }

    /// -self.
    #[inline]
    pub(crate) fn neg(&self) -> Fp {
        let a = &self.0;
        let (d0, borrow) = sbb(MODULUS[0], a[0], 0);
        let (d1, borrow) = sbb(MODULUS[1], a[1], borrow);
        let (d2, borrow) = sbb(MODULUS[2], a[2], borrow);
        let (d3, borrow) = sbb(MODULUS[3], a[3], borrow);
        let (d4, borrow) = sbb(MODULUS[4], a[4], borrow);
        let (d5, _) = sbb(MODULUS[5], a[5], borrow);
        // -0 is 0, not p: all ones unless self is zero.
        let mask = (((a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == 0) as u64).wrapping_sub(1);
        Fp([
            d0 & mask,
            d1 & mask,
            d2 & mask,
            d3 & mask,
            d4 & mask,
            d5 & mask,
        ])
    }

    /// self - rhs: one subtraction, then p added back (masked) if it borrowed.
    #[inline]
    pub(crate) fn sub(&self, rhs: &Fp) -> Fp {
        let (a, b) = (&self.0, &rhs.0);
        let (d0, borrow) = sbb(a[0], b[0], 0);
        let (d1, borrow) = sbb(a[1], b[1], borrow);
        let (d2, borrow) = sbb(a[2], b[2], borrow);
        let (d3, borrow) = sbb(a[3], b[3], borrow);
        let (d4, borrow) = sbb(a[4], b[4], borrow);
        let (d5, borrow) = sbb(a[5], b[5], borrow);
        let (d0, carry) = adc(d0, MODULUS[0] & borrow, 0);
        let (d1, carry) = adc(d1, MODULUS[1] & borrow, carry);
        let (d2, carry) = adc(d2, MODULUS[2] & borrow, carry);
        let (d3, carry) = adc(d3, MODULUS[3] & borrow, carry);
        let (d4, carry) = adc(d4, MODULUS[4] & borrow, carry);
        let (d5, _) = adc(d5, MODULUS[5] & borrow, carry);
        Fp([d0, d1, d2, d3, d4, d5])
    }

    /// self + self: a one-bit shift (below 2^382), then one conditional subtraction.
    #[inline]
    pub(crate) fn double(&self) -> Fp {
        let a = &self.0;
        Fp([
            a[0] << 1,
            (a[1] << 1) | (a[0] >> 63),
            (a[2] << 1) | (a[1] >> 63),
            (a[3] << 1) | (a[2] >> 63),
            (a[4] << 1) | (a[3] >> 63),
            (a[5] << 1) | (a[4] >> 63),
        ])
        .subtract_p()
    }

    /// Montgomery reduction of a 768-bit product (HAC algorithm 14.32).
    #[allow(clippy::too_many_arguments)] // the twelve limbs, kept in registers
    #[inline(always)] // a call would spill the twelve limbs to the stack
    const fn montgomery_reduce(
        t0: u64,
        t1: u64,
        t2: u64,
        t3: u64,
        t4: u64,
        t5: u64,
        t6: u64,
        t7: u64,
        t8: u64,
        t9: u64,
        t10: u64,
        t11: u64,
    ) -> Self {
        // The Montgomery reduction here is based on Algorithm 14.32 in
        // Handbook of Applied Cryptography
        // <http://cacr.uwaterloo.ca/hac/about/chap14.pdf>.

        let k = t0.wrapping_mul(INV);
        let (_, carry) = mac(t0, k, MODULUS[0], 0);
        let (r1, carry) = mac(t1, k, MODULUS[1], carry);
        let (r2, carry) = mac(t2, k, MODULUS[2], carry);
        let (r3, carry) = mac(t3, k, MODULUS[3], carry);
        let (r4, carry) = mac(t4, k, MODULUS[4], carry);
        let (r5, carry) = mac(t5, k, MODULUS[5], carry);
        let (r6, r7) = adc(t6, 0, carry);

        let k = r1.wrapping_mul(INV);
        let (_, carry) = mac(r1, k, MODULUS[0], 0);
        let (r2, carry) = mac(r2, k, MODULUS[1], carry);
        let (r3, carry) = mac(r3, k, MODULUS[2], carry);
        let (r4, carry) = mac(r4, k, MODULUS[3], carry);
        let (r5, carry) = mac(r5, k, MODULUS[4], carry);
        let (r6, carry) = mac(r6, k, MODULUS[5], carry);
        let (r7, r8) = adc(t7, r7, carry);

        let k = r2.wrapping_mul(INV);
        let (_, carry) = mac(r2, k, MODULUS[0], 0);
        let (r3, carry) = mac(r3, k, MODULUS[1], carry);
        let (r4, carry) = mac(r4, k, MODULUS[2], carry);
        let (r5, carry) = mac(r5, k, MODULUS[3], carry);
        let (r6, carry) = mac(r6, k, MODULUS[4], carry);
        let (r7, carry) = mac(r7, k, MODULUS[5], carry);
        let (r8, r9) = adc(t8, r8, carry);

        let k = r3.wrapping_mul(INV);
        let (_, carry) = mac(r3, k, MODULUS[0], 0);
        let (r4, carry) = mac(r4, k, MODULUS[1], carry);
        let (r5, carry) = mac(r5, k, MODULUS[2], carry);
        let (r6, carry) = mac(r6, k, MODULUS[3], carry);
        let (r7, carry) = mac(r7, k, MODULUS[4], carry);
        let (r8, carry) = mac(r8, k, MODULUS[5], carry);
        let (r9, r10) = adc(t9, r9, carry);

        let k = r4.wrapping_mul(INV);
        let (_, carry) = mac(r4, k, MODULUS[0], 0);
        let (r5, carry) = mac(r5, k, MODULUS[1], carry);
        let (r6, carry) = mac(r6, k, MODULUS[2], carry);
        let (r7, carry) = mac(r7, k, MODULUS[3], carry);
        let (r8, carry) = mac(r8, k, MODULUS[4], carry);
        let (r9, carry) = mac(r9, k, MODULUS[5], carry);
        let (r10, r11) = adc(t10, r10, carry);

        let k = r5.wrapping_mul(INV);
        let (_, carry) = mac(r5, k, MODULUS[0], 0);
        let (r6, carry) = mac(r6, k, MODULUS[1], carry);
        let (r7, carry) = mac(r7, k, MODULUS[2], carry);
        let (r8, carry) = mac(r8, k, MODULUS[3], carry);
        let (r9, carry) = mac(r9, k, MODULUS[4], carry);
        let (r10, carry) = mac(r10, k, MODULUS[5], carry);
        let (r11, _) = adc(t11, r11, carry);

        // Below 2p: the callers subtract p once.
        Fp([r6, r7, r8, r9, r10, r11])
    }

    /// self * rhs.
    #[inline(always)] // into the tower and point formulas: measured faster than a call
    pub(crate) fn mul(&self, rhs: &Fp) -> Fp {
        let (t0, carry) = mac(0, self.0[0], rhs.0[0], 0);
        let (t1, carry) = mac(0, self.0[0], rhs.0[1], carry);
        let (t2, carry) = mac(0, self.0[0], rhs.0[2], carry);
        let (t3, carry) = mac(0, self.0[0], rhs.0[3], carry);
        let (t4, carry) = mac(0, self.0[0], rhs.0[4], carry);
        let (t5, t6) = mac(0, self.0[0], rhs.0[5], carry);

        let (t1, carry) = mac(t1, self.0[1], rhs.0[0], 0);
        let (t2, carry) = mac(t2, self.0[1], rhs.0[1], carry);
        let (t3, carry) = mac(t3, self.0[1], rhs.0[2], carry);
        let (t4, carry) = mac(t4, self.0[1], rhs.0[3], carry);
        let (t5, carry) = mac(t5, self.0[1], rhs.0[4], carry);
        let (t6, t7) = mac(t6, self.0[1], rhs.0[5], carry);

        let (t2, carry) = mac(t2, self.0[2], rhs.0[0], 0);
        let (t3, carry) = mac(t3, self.0[2], rhs.0[1], carry);
        let (t4, carry) = mac(t4, self.0[2], rhs.0[2], carry);
        let (t5, carry) = mac(t5, self.0[2], rhs.0[3], carry);
        let (t6, carry) = mac(t6, self.0[2], rhs.0[4], carry);
        let (t7, t8) = mac(t7, self.0[2], rhs.0[5], carry);

        let (t3, carry) = mac(t3, self.0[3], rhs.0[0], 0);
        let (t4, carry) = mac(t4, self.0[3], rhs.0[1], carry);
        let (t5, carry) = mac(t5, self.0[3], rhs.0[2], carry);
        let (t6, carry) = mac(t6, self.0[3], rhs.0[3], carry);
        let (t7, carry) = mac(t7, self.0[3], rhs.0[4], carry);
        let (t8, t9) = mac(t8, self.0[3], rhs.0[5], carry);

        let (t4, carry) = mac(t4, self.0[4], rhs.0[0], 0);
        let (t5, carry) = mac(t5, self.0[4], rhs.0[1], carry);
        let (t6, carry) = mac(t6, self.0[4], rhs.0[2], carry);
        let (t7, carry) = mac(t7, self.0[4], rhs.0[3], carry);
        let (t8, carry) = mac(t8, self.0[4], rhs.0[4], carry);
        let (t9, t10) = mac(t9, self.0[4], rhs.0[5], carry);

        let (t5, carry) = mac(t5, self.0[5], rhs.0[0], 0);
        let (t6, carry) = mac(t6, self.0[5], rhs.0[1], carry);
        let (t7, carry) = mac(t7, self.0[5], rhs.0[2], carry);
        let (t8, carry) = mac(t8, self.0[5], rhs.0[3], carry);
        let (t9, carry) = mac(t9, self.0[5], rhs.0[4], carry);
        let (t10, t11) = mac(t10, self.0[5], rhs.0[5], carry);

        Self::montgomery_reduce(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11).subtract_p()
    }

    /// self^2: each cross product computed once and doubled (21 word products, not 36).
    #[inline(always)] // as for mul
    pub(crate) fn square(&self) -> Fp {
        let a = &self.0;
        let (t1, carry) = mac(0, a[0], a[1], 0);
        let (t2, carry) = mac(0, a[0], a[2], carry);
        let (t3, carry) = mac(0, a[0], a[3], carry);
        let (t4, carry) = mac(0, a[0], a[4], carry);
        let (t5, t6) = mac(0, a[0], a[5], carry);

        let (t3, carry) = mac(t3, a[1], a[2], 0);
        let (t4, carry) = mac(t4, a[1], a[3], carry);
        let (t5, carry) = mac(t5, a[1], a[4], carry);
        let (t6, t7) = mac(t6, a[1], a[5], carry);

        let (t5, carry) = mac(t5, a[2], a[3], 0);
        let (t6, carry) = mac(t6, a[2], a[4], carry);
        let (t7, t8) = mac(t7, a[2], a[5], carry);

        let (t7, carry) = mac(t7, a[3], a[4], 0);
        let (t8, t9) = mac(t8, a[3], a[5], carry);

        let (t9, t10) = mac(t9, a[4], a[5], 0);

        let t11 = t10 >> 63;
        let t10 = (t10 << 1) | (t9 >> 63);
        let t9 = (t9 << 1) | (t8 >> 63);
        let t8 = (t8 << 1) | (t7 >> 63);
        let t7 = (t7 << 1) | (t6 >> 63);
        let t6 = (t6 << 1) | (t5 >> 63);
        let t5 = (t5 << 1) | (t4 >> 63);
        let t4 = (t4 << 1) | (t3 >> 63);
        let t3 = (t3 << 1) | (t2 >> 63);
        let t2 = (t2 << 1) | (t1 >> 63);
        let t1 = t1 << 1;

        let (t0, carry) = mac(0, a[0], a[0], 0);
        let (t1, carry) = adc(t1, 0, carry);
        let (t2, carry) = mac(t2, a[1], a[1], carry);
        let (t3, carry) = adc(t3, 0, carry);
        let (t4, carry) = mac(t4, a[2], a[2], carry);
        let (t5, carry) = adc(t5, 0, carry);
        let (t6, carry) = mac(t6, a[3], a[3], carry);
        let (t7, carry) = adc(t7, 0, carry);
        let (t8, carry) = mac(t8, a[4], a[4], carry);
        let (t9, carry) = adc(t9, 0, carry);
        let (t10, carry) = mac(t10, a[5], a[5], carry);
        let (t11, _) = adc(t11, 0, carry);

        Self::montgomery_reduce(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11).subtract_p()
    }
}

/// An element c0 + c1 u of Fp2, u^2 = -1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fp2 {
    c0: Fp,
    c1: Fp,
}

impl Fp2 {
    const ZERO: Fp2 = Fp2 {
        c0: Fp::ZERO,
        c1: Fp::ZERO,
    };
    const ONE: Fp2 = Fp2 {
        c0: Fp::ONE,
        c1: Fp::ZERO,
    };

    #[inline]
    fn is_zero(&self) -> bool {
        self.c0.is_zero() && self.c1.is_zero()
    }

    #[inline]
    fn add(&self, rhs: &Fp2) -> Fp2 {
        Fp2 {
            c0: self.c0.add(&rhs.c0),
            c1: self.c1.add(&rhs.c1),
        }
    }

    #[inline]
    fn sub(&self, rhs: &Fp2) -> Fp2 {
        Fp2 {
            c0: self.c0.sub(&rhs.c0),
            c1: self.c1.sub(&rhs.c1),
        }
    }

    #[inline]
    fn neg(&self) -> Fp2 {
        Fp2 {
            c0: self.c0.neg(),
            c1: self.c1.neg(),
        }
    }

    #[inline]
    fn double(&self) -> Fp2 {
        Fp2 {
            c0: self.c0.double(),
            c1: self.c1.double(),
        }
    }

    /// Karatsuba: (a0 b0 - a1 b1) + ((a0 + a1)(b0 + b1) - a0 b0 - a1 b1) u.
    fn mul(&self, rhs: &Fp2) -> Fp2 {
        let aa = self.c0.mul(&rhs.c0);
        let bb = self.c1.mul(&rhs.c1);
        let cross = self.c0.add(&self.c1).mul(&rhs.c0.add(&rhs.c1));
        Fp2 {
            c0: aa.sub(&bb),
            c1: cross.sub(&aa).sub(&bb),
        }
    }

    /// (a0 + a1)(a0 - a1) + 2 a0 a1 u.
    fn square(&self) -> Fp2 {
        let c0 = self.c0.add(&self.c1).mul(&self.c0.sub(&self.c1));
        let c1 = self.c0.mul(&self.c1).double();
        Fp2 { c0, c1 }
    }

    /// Multiplication by u + 1, the non-residue v^3 is.
    #[inline]
    fn mul_by_nonresidue(&self) -> Fp2 {
        Fp2 {
            c0: self.c0.sub(&self.c1),
            c1: self.c0.add(&self.c1),
        }
    }

    /// x^p: on Fp2 this is the conjugation a0 - a1 u.
    fn frobenius_map(&self) -> Fp2 {
        Fp2 {
            c0: self.c0,
            c1: self.c1.neg(),
        }
    }
}

/// An element c0 + c1 v + c2 v^2 of Fp6, v^3 = u + 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fp6 {
    c0: Fp2,
    c1: Fp2,
    c2: Fp2,
}

/// (u + 1)^((p - 1) / 3), which is purely imaginary: its u coefficient.
const FROBENIUS_V: Fp = Fp([
    0xcd03_c9e4_8671_f071,
    0x5dab_2246_1fcd_a5d2,
    0x5870_42af_d385_1b95,
    0x8eb6_0ebe_01ba_cb9e,
    0x03f9_7d6e_83d0_50d2,
    0x18f0_2065_5463_8741,
]);

/// (u + 1)^((2p - 2) / 3), which lies in Fp.
const FROBENIUS_V2: Fp = Fp([
    0x890d_c9e4_8675_45c3,
    0x2af3_2253_3285_a5d5,
    0x5088_0866_309b_7e2c,
    0xa20d_1b8c_7e88_1024,
    0x14e4_f04f_e2db_9068,
    0x14e5_6d3f_1564_853a,
]);

/// (u + 1)^((p - 1) / 6).
const FROBENIUS_W: Fp2 = Fp2 {
    c0: Fp([
        0x0708_9552_b319_d465,
        0xc669_5f92_b50a_8313,
        0x97e8_3ccc_d117_228f,
        0xa35b_aeca_b2dc_29ee,
        0x1ce3_93ea_5daa_ce4d,
        0x08f2_220f_b0fb_66eb,
    ]),
    c1: Fp([
        0xb2f6_6aad_4ce5_d646,
        0x5842_a06b_fc49_7cec,
        0xcf48_95d4_2599_d394,
        0xc11b_9cba_40a8_e8d0,
        0x2e38_13cb_e5a0_de89,
        0x110e_efda_8884_7faf,
    ]),
};

impl Fp6 {
    const ZERO: Fp6 = Fp6 {
        c0: Fp2::ZERO,
        c1: Fp2::ZERO,
        c2: Fp2::ZERO,
    };
    const ONE: Fp6 = Fp6 {
        c0: Fp2::ONE,
        c1: Fp2::ZERO,
        c2: Fp2::ZERO,
    };

    fn is_zero(&self) -> bool {
        self.c0.is_zero() && self.c1.is_zero() && self.c2.is_zero()
    }

    fn add(&self, rhs: &Fp6) -> Fp6 {
        Fp6 {
            c0: self.c0.add(&rhs.c0),
            c1: self.c1.add(&rhs.c1),
            c2: self.c2.add(&rhs.c2),
        }
    }

    fn sub(&self, rhs: &Fp6) -> Fp6 {
        Fp6 {
            c0: self.c0.sub(&rhs.c0),
            c1: self.c1.sub(&rhs.c1),
            c2: self.c2.sub(&rhs.c2),
        }
    }

    fn neg(&self) -> Fp6 {
        Fp6 {
            c0: self.c0.neg(),
            c1: self.c1.neg(),
            c2: self.c2.neg(),
        }
    }

    /// Karatsuba over the cubic extension, reducing v^3 to u + 1.
    fn mul(&self, rhs: &Fp6) -> Fp6 {
        let t0 = self.c0.mul(&rhs.c0);
        let t1 = self.c1.mul(&rhs.c1);
        let t2 = self.c2.mul(&rhs.c2);
        let c0 = self
            .c1
            .add(&self.c2)
            .mul(&rhs.c1.add(&rhs.c2))
            .sub(&t1)
            .sub(&t2)
            .mul_by_nonresidue()
            .add(&t0);
        let c1 = self
            .c0
            .add(&self.c1)
            .mul(&rhs.c0.add(&rhs.c1))
            .sub(&t0)
            .sub(&t1)
            .add(&t2.mul_by_nonresidue());
        let c2 = self
            .c0
            .add(&self.c2)
            .mul(&rhs.c0.add(&rhs.c2))
            .sub(&t0)
            .sub(&t2)
            .add(&t1);
        Fp6 { c0, c1, c2 }
    }

    /// Multiplication by v, the non-residue w^2 is.
    fn mul_by_nonresidue(&self) -> Fp6 {
        Fp6 {
            c0: self.c2.mul_by_nonresidue(),
            c1: self.c0,
            c2: self.c1,
        }
    }

    /// x^p.
    fn frobenius_map(&self) -> Fp6 {
        let c1 = self.c1.frobenius_map().mul(&Fp2 {
            c0: Fp::ZERO,
            c1: FROBENIUS_V,
        });
        let c2 = self.c2.frobenius_map().mul(&Fp2 {
            c0: FROBENIUS_V2,
            c1: Fp::ZERO,
        });
        Fp6 {
            c0: self.c0.frobenius_map(),
            c1,
            c2,
        }
    }
}

/// An element c0 + c1 w of Fp12, w^2 = v.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fp12 {
    c0: Fp6,
    c1: Fp6,
}

/// The BLS parameter's absolute value |u| (u = -0xd201000000010000).
pub(crate) const BLS_X: u64 = 0xd201_0000_0001_0000;

impl Fp12 {
    /// One.
    pub(crate) const ONE: Fp12 = Fp12 {
        c0: Fp6::ONE,
        c1: Fp6::ZERO,
    };
    /// Zero (not in GT).
    pub(crate) const ZERO: Fp12 = Fp12 {
        c0: Fp6::ZERO,
        c1: Fp6::ZERO,
    };

    /// The twelve coefficients in encoding order (SPEC.md 2.1).
    fn coefficients(&self) -> [Fp; 12] {
        let mut out = [Fp::ZERO; 12];
        let fp2s = [
            self.c0.c0, self.c0.c1, self.c0.c2, self.c1.c0, self.c1.c1, self.c1.c2,
        ];
        for (pair, fp2) in out.chunks_exact_mut(2).zip(fp2s.iter()) {
            pair.copy_from_slice(&[fp2.c0, fp2.c1]);
        }
        out
    }

    /// Decodes twelve canonical 48-byte coefficients in encoding order; `None` if one is not
    /// below p. No group check.
    pub(crate) fn from_bytes(bytes: &[u8; super::gt::GT_BYTES]) -> Option<Fp12> {
        let mut fps = [Fp::ZERO; 12];
        for (fp, chunk) in fps.iter_mut().zip(bytes.chunks_exact(48)) {
            let mut coefficient = [0u8; 48];
            coefficient.copy_from_slice(chunk);
            *fp = Fp::from_bytes(&coefficient)?;
        }
        let [a, b, c, d, e, f, g, h, i, j, k, l] = fps;
        let fp2 = |c0, c1| Fp2 { c0, c1 };
        Some(Fp12 {
            c0: Fp6 {
                c0: fp2(a, b),
                c1: fp2(c, d),
                c2: fp2(e, f),
            },
            c1: Fp6 {
                c0: fp2(g, h),
                c1: fp2(i, j),
                c2: fp2(k, l),
            },
        })
    }

    /// The 576-byte encoding (SPEC.md 2.1).
    pub(crate) fn to_bytes(self) -> [u8; super::gt::GT_BYTES] {
        let mut out = [0u8; super::gt::GT_BYTES];
        for (chunk, fp) in out.chunks_exact_mut(48).zip(self.coefficients().iter()) {
            chunk.copy_from_slice(&fp.to_bytes());
        }
        out
    }

    fn is_zero(&self) -> bool {
        self.c0.is_zero() && self.c1.is_zero()
    }

    /// self * rhs (Karatsuba over the quadratic extension).
    pub(crate) fn mul(&self, rhs: &Fp12) -> Fp12 {
        let aa = self.c0.mul(&rhs.c0);
        let bb = self.c1.mul(&rhs.c1);
        let c1 = self
            .c0
            .add(&self.c1)
            .mul(&rhs.c0.add(&rhs.c1))
            .sub(&aa)
            .sub(&bb);
        Fp12 {
            c0: bb.mul_by_nonresidue().add(&aa),
            c1,
        }
    }

    /// c0 - c1 w: x^(p^6), the inverse of x in the cyclotomic subgroup.
    pub(crate) fn conjugate(&self) -> Fp12 {
        Fp12 {
            c0: self.c0,
            c1: self.c1.neg(),
        }
    }

    /// x^p.
    pub(crate) fn frobenius_map(&self) -> Fp12 {
        let c1 = self.c1.frobenius_map();
        let c1 = Fp6 {
            c0: c1.c0.mul(&FROBENIUS_W),
            c1: c1.c1.mul(&FROBENIUS_W),
            c2: c1.c2.mul(&FROBENIUS_W),
        };
        Fp12 {
            c0: self.c0.frobenius_map(),
            c1,
        }
    }

    /// x^2 for x in the cyclotomic subgroup (Granger–Scott, ePrint 2009/565; wrong elsewhere).
    pub(crate) fn cyclotomic_square(&self) -> Fp12 {
        /// (a + b s)^2 in Fp4 = Fp2[s]/(s^2 - (u + 1)).
        fn fp4_square(a: &Fp2, b: &Fp2) -> (Fp2, Fp2) {
            let t0 = a.square();
            let t1 = b.square();
            let c0 = t1.mul_by_nonresidue().add(&t0);
            let c1 = a.add(b).square().sub(&t0).sub(&t1);
            (c0, c1)
        }
        let (z0, z4, z3) = (self.c0.c0, self.c0.c1, self.c0.c2);
        let (z2, z1, z5) = (self.c1.c0, self.c1.c1, self.c1.c2);
        let (a0, a1) = fp4_square(&z0, &z1);
        let (b0, b1) = fp4_square(&z2, &z3);
        let (c0, c1) = fp4_square(&z4, &z5);
        // 3 t - 2 z or 3 t + 2 z, per the paper's A, B, C.
        let minus = |t: &Fp2, z: &Fp2| t.sub(z).double().add(t);
        let plus = |t: &Fp2, z: &Fp2| t.add(z).double().add(t);
        let z0 = minus(&a0, &z0);
        let z1 = plus(&a1, &z1);
        let z4 = minus(&b0, &z4);
        let z5 = plus(&b1, &z5);
        let z2 = plus(&c1.mul_by_nonresidue(), &z2);
        let z3 = minus(&c0, &z3);
        Fp12 {
            c0: Fp6 {
                c0: z0,
                c1: z4,
                c2: z3,
            },
            c1: Fp6 {
                c0: z2,
                c1: z1,
                c2: z5,
            },
        }
    }

    /// x^|u| for x in the cyclotomic subgroup (square and multiply, from the top bit).
    fn pow_bls_x(&self) -> Fp12 {
        let mut acc = *self;
        for bit in (0..63).rev() {
            acc = acc.cyclotomic_square();
            if (BLS_X >> bit) & 1 == 1 {
                acc = acc.mul(self);
            }
        }
        acc
    }

    /// d x^|u| for x in the cyclotomic subgroup and some non-zero d in Fp2: the 63 squarings
    /// compressed (Karabina), each x^(2^k) for a set bit k of |u| decompressed without its
    /// inversion (as d_k^2 x^(2^k)), and the six multiplied. `None` if one of them cannot be
    /// decompressed (its z2 is zero; x = 1 is one such).
    fn pow_bls_x_scaled(&self) -> Option<(Fp12, Fp2)> {
        let mut c = Compressed::of(self);
        let mut acc: Option<(Fp12, Fp2)> = None;
        for bit in 0..64 {
            if bit > 0 {
                c = c.square();
            }
            if (BLS_X >> bit) & 1 == 1 {
                let (y, d) = c.decompress_scaled()?;
                acc = Some(match acc {
                    None => (y, d),
                    Some((a, e)) => (a.mul(&y), e.mul(&d)),
                });
            }
        }
        acc
    }

    /// d self, for d in Fp2.
    fn mul_by_fp2(&self, d: &Fp2) -> Fp12 {
        let m = |c: &Fp6| Fp6 {
            c0: c.c0.mul(d),
            c1: c.c1.mul(d),
            c2: c.c2.mul(d),
        };
        Fp12 {
            c0: m(&self.c0),
            c1: m(&self.c1),
        }
    }

    /// Whether x lies in GT, the order-r subgroup of Fp12* (Scott, ePrint 2021/1130, 6):
    /// x != 0, x^(p^4) x == x^(p^2) (the cyclotomic subgroup), then x^p == x^u.
    pub(crate) fn is_in_gt(&self) -> bool {
        if self.is_zero() {
            return false;
        }
        let p2 = self.frobenius_map().frobenius_map();
        let p4 = p2.frobenius_map().frobenius_map();
        if p4.mul(self) != p2 {
            return false;
        }
        // u < 0: x^u = conjugate(x^|u|) in the cyclotomic subgroup. The conjugation fixes Fp2,
        // so with y = d x^|u| (d != 0) the test is d x^p == conjugate(y).
        match self.pow_bls_x_scaled() {
            Some((y, d)) => self.frobenius_map().mul_by_fp2(&d) == y.conjugate(),
            None => self.frobenius_map() == self.pow_bls_x().conjugate(),
        }
    }
}

/// The four Fp2 coefficients of a cyclotomic element that Karabina's compressed squaring keeps
/// (ePrint 2010/542), named as in [`Fp12::cyclotomic_square`]: z2 = c1.c0, z3 = c0.c2,
/// z4 = c0.c1, z5 = c1.c2. Squaring them costs 6 Fp2 squarings where Granger–Scott costs 9.
#[derive(Clone, Copy, Debug)]
struct Compressed {
    z2: Fp2,
    z3: Fp2,
    z4: Fp2,
    z5: Fp2,
}

impl Compressed {
    fn of(x: &Fp12) -> Compressed {
        Compressed {
            z2: x.c1.c0,
            z3: x.c0.c2,
            z4: x.c0.c1,
            z5: x.c1.c2,
        }
    }

    /// The compressed square: Granger–Scott's formulas for these four, which only read them.
    fn square(&self) -> Compressed {
        let Compressed { z2, z3, z4, z5 } = self;
        let t2 = z2.square();
        let t3 = z3.square();
        let t4 = z4.square();
        let t5 = z5.square();
        // 2 z2 z3 and 2 z4 z5.
        let z2z3 = z2.add(z3).square().sub(&t2).sub(&t3);
        let z4z5 = z4.add(z5).square().sub(&t4).sub(&t5).mul_by_nonresidue();
        let b0 = t3.mul_by_nonresidue().add(&t2);
        let c0 = t5.mul_by_nonresidue().add(&t4);
        Compressed {
            z2: z4z5.add(z2).double().add(&z4z5),
            z3: c0.sub(z3).double().add(&c0),
            z4: b0.sub(z4).double().add(&b0),
            z5: z2z3.add(z5).double().add(&z2z3),
        }
    }

    /// (d^2 x, d^2) for the cyclotomic x this compresses and d = 4 z2: z1 = n / d (Karabina,
    /// Theorem 3.1), with the division left in the scale. `None` if z2 = 0.
    fn decompress_scaled(&self) -> Option<(Fp12, Fp2)> {
        let Compressed { z2, z3, z4, z5 } = self;
        if z2.is_zero() {
            // Karabina's other case (z1 = 2 z4 z5 / z3) is left to the plain path: only a
            // crafted input reaches it.
            return None;
        }
        // z1 = (xi z5^2 + 3 z4^2 - 2 z3) / (4 z2).
        let t4 = z4.square();
        let n = z5
            .square()
            .mul_by_nonresidue()
            .add(&t4.sub(z3).double().add(&t4));
        let d = z2.double().double();
        let dd = d.square();
        // z0 = xi (2 z1^2 + z2 z5 - 3 z3 z4) + 1, times d^2.
        let t = z3.mul(z4);
        let s = z2.mul(z5).sub(&t.double().add(&t));
        let z0 = n
            .square()
            .double()
            .add(&dd.mul(&s))
            .mul_by_nonresidue()
            .add(&dd);
        let y = Fp12 {
            c0: Fp6 {
                c0: z0,
                c1: z4.mul(&dd),
                c2: z3.mul(&dd),
            },
            c1: Fp6 {
                c0: z2.mul(&dd),
                c1: n.mul(&d),
                c2: z5.mul(&dd),
            },
        };
        Some((y, dd))
    }
}

/// Test devices: inversion (to build cyclotomic elements outside GT), random elements, plain
/// exponentiation (to check the Frobenius map against x^p).
#[cfg(test)]
impl Fp {
    fn pow_be(&self, e: &[u8]) -> Fp {
        let mut acc = Fp::ONE;
        for byte in e {
            for bit in (0..8).rev() {
                acc = acc.mul(&acc);
                if (byte >> bit) & 1 == 1 {
                    acc = acc.mul(self);
                }
            }
        }
        acc
    }

    fn invert(&self) -> Fp {
        let mut e = super::gt::P_BYTES;
        e[47] -= 2;
        self.pow_be(&e)
    }
}

#[cfg(test)]
impl Fp2 {
    fn invert(&self) -> Fp2 {
        let norm = self.c0.mul(&self.c0).add(&self.c1.mul(&self.c1)).invert();
        Fp2 {
            c0: self.c0.mul(&norm),
            c1: self.c1.neg().mul(&norm),
        }
    }
}

#[cfg(test)]
impl Fp6 {
    fn invert(&self) -> Fp6 {
        let t0 = self
            .c0
            .square()
            .sub(&self.c1.mul(&self.c2).mul_by_nonresidue());
        let t1 = self
            .c2
            .square()
            .mul_by_nonresidue()
            .sub(&self.c0.mul(&self.c1));
        let t2 = self.c1.square().sub(&self.c0.mul(&self.c2));
        let inv = self
            .c1
            .mul(&t2)
            .add(&self.c2.mul(&t1))
            .mul_by_nonresidue()
            .add(&self.c0.mul(&t0))
            .invert();
        Fp6 {
            c0: t0.mul(&inv),
            c1: t1.mul(&inv),
            c2: t2.mul(&inv),
        }
    }
}

#[cfg(test)]
impl Fp12 {
    /// 1 / self (self non-zero).
    pub(crate) fn invert(&self) -> Fp12 {
        let t = self
            .c0
            .mul(&self.c0)
            .sub(&self.c1.mul(&self.c1).mul_by_nonresidue())
            .invert();
        Fp12 {
            c0: self.c0.mul(&t),
            c1: self.c1.neg().mul(&t),
        }
    }

    /// A random element: twelve coefficients below 2^380 < p.
    pub(crate) fn random(rng: &mut crate::vector_rng::VectorRng) -> Fp12 {
        use rand_core::Rng;
        let mut bytes = [0u8; super::gt::GT_BYTES];
        rng.fill_bytes(&mut bytes);
        for chunk in bytes.chunks_exact_mut(48) {
            chunk[0] &= 0x0f;
        }
        Fp12::from_bytes(&bytes).unwrap()
    }

    /// self^e, e big-endian, with general squarings.
    pub(crate) fn pow_be(&self, e: &[u8]) -> Fp12 {
        let mut acc = Fp12::ONE;
        for byte in e {
            for bit in (0..8).rev() {
                acc = acc.mul(&acc);
                if (byte >> bit) & 1 == 1 {
                    acc = acc.mul(self);
                }
            }
        }
        acc
    }

    /// Whether self is in the cyclotomic subgroup: x^(p^4) x == x^(p^2).
    pub(crate) fn is_cyclotomic(&self) -> bool {
        let p2 = self.frobenius_map().frobenius_map();
        p2.frobenius_map().frobenius_map().mul(self) == p2
    }

    /// f^((p^6 - 1)(p^2 + 1)): in the cyclotomic subgroup, and for a random f outside GT
    /// except with probability about 1/|cofactor|.
    pub(crate) fn cyclotomic_outside_gt(f: &Fp12) -> Fp12 {
        let g = f.conjugate().mul(&f.invert());
        g.frobenius_map().frobenius_map().mul(&g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;
    use alloc::{vec, vec::Vec};

    #[test]
    fn fp_round_trips_and_refuses_p() {
        let mut rng = VectorRng::new(b"fp12 fp");
        let x = Fp12::random(&mut rng);
        assert_eq!(Fp12::from_bytes(&x.to_bytes()), Some(x));
        assert_eq!(Fp::from_bytes(&super::super::gt::P_BYTES), None);
        assert_eq!(Fp::from_bytes(&[0xff; 48]), None);
        let mut p_minus_1 = super::super::gt::P_BYTES;
        p_minus_1[47] -= 1;
        assert_eq!(Fp::from_bytes(&p_minus_1), Some(Fp::ONE.neg()));
        let a = x.c0.c0.c0;
        assert_eq!(a.mul(&a.invert()), Fp::ONE);
        assert_eq!(x.mul(&x.invert()), Fp12::ONE);
    }

    #[test]
    fn frobenius_is_the_p_power() {
        let mut rng = VectorRng::new(b"fp12 frobenius");
        let x = Fp12::random(&mut rng);
        assert_eq!(x.frobenius_map(), x.pow_be(&super::super::gt::P_BYTES));
        // p^12 is the identity map.
        let mut y = x;
        for _ in 0..12 {
            y = y.frobenius_map();
        }
        assert_eq!(y, x);
        assert_ne!(x.frobenius_map(), x);
    }

    #[test]
    fn cyclotomic_square_squares_cyclotomic_elements() {
        let mut rng = VectorRng::new(b"fp12 cyclotomic");
        let f = Fp12::random(&mut rng);
        let c = Fp12::cyclotomic_outside_gt(&f);
        assert!(c.is_cyclotomic());
        assert!(!f.is_cyclotomic());
        assert_eq!(c.cyclotomic_square(), c.mul(&c));
        assert_eq!(c.conjugate().mul(&c), Fp12::ONE);
        assert!(!c.is_in_gt());
        assert!(!f.is_in_gt());
        assert!(Fp12::ONE.is_in_gt());
        assert!(!Fp12::ZERO.is_in_gt());
    }

    /// The limb loops and branches this module used before its straight-line arithmetic.
    fn reference_add(a: &Fp, b: &Fp) -> Fp {
        let mut out = [0u64; 6];
        let mut carry = 0;
        for ((o, x), y) in out.iter_mut().zip(a.0.iter()).zip(b.0.iter()) {
            (*o, carry) = adc(*x, *y, carry);
        }
        let mut reduced = [0u64; 6];
        let mut borrow = 0;
        for ((o, x), m) in reduced.iter_mut().zip(out.iter()).zip(MODULUS.iter()) {
            (*o, borrow) = sbb(*x, *m, borrow);
        }
        Fp(if borrow == 0 { reduced } else { out })
    }

    fn reference_neg(a: &Fp) -> Fp {
        if a.0 == [0; 6] {
            return *a;
        }
        let mut out = [0u64; 6];
        let mut borrow = 0;
        for ((o, m), x) in out.iter_mut().zip(MODULUS.iter()).zip(a.0.iter()) {
            (*o, borrow) = sbb(*m, *x, borrow);
        }
        Fp(out)
    }

    /// Edge values (0, 1, p - 1, p - 2, (p -+ 1) / 2, 2^380, limbs of all ones) and random
    /// ones, as raw limbs below p.
    fn fp_samples() -> Vec<Fp> {
        let p_minus = |k: u64| {
            let mut l = MODULUS;
            l[0] -= k;
            Fp(l)
        };
        let half: [u64; 6] = core::array::from_fn(|i| {
            (MODULUS[i] >> 1) | MODULUS.get(i + 1).map_or(0, |next| next << 63)
        });
        let mut half_up = half;
        half_up[0] += 1;
        let mut out = vec![
            Fp::ZERO,
            Fp([1, 0, 0, 0, 0, 0]),
            Fp::ONE,
            p_minus(1),
            p_minus(2),
            Fp(half),
            Fp(half_up),
            Fp([0, 0, 0, 0, 0, 1 << 60]),
            Fp([
                u64::MAX,
                u64::MAX,
                u64::MAX,
                u64::MAX,
                u64::MAX,
                0x0fff_ffff_ffff_ffff,
            ]),
        ];
        let mut rng = VectorRng::new(b"fp12 fp samples");
        for _ in 0..4 {
            out.extend(Fp12::random(&mut rng).coefficients());
        }
        out
    }

    #[test]
    fn straight_line_fp_matches_the_reference() {
        let samples = fp_samples();
        for a in &samples {
            assert_eq!(a.neg(), reference_neg(a));
            assert_eq!(a.double(), reference_add(a, a));
            assert_eq!(a.square(), a.mul(a));
            for b in &samples {
                assert_eq!(a.add(b), reference_add(a, b));
                assert_eq!(a.sub(b), reference_add(a, &reference_neg(b)));
            }
        }
    }

    /// (p^4 - p^2 + 1) / r: it maps the cyclotomic subgroup onto GT.
    const GT_COFACTOR: &str = "0f686b3d807d01c0bd38c3195c899ed3cde88eeb996ca394506632528d6a9a2f\
        230063cf081517f68f7764c28b6f8ae5a72bce8d63cb9f827eca0ba621315b2076995003fc77a17988f876\
        1bdc51dc2378b9039096d1b767f17fcbde783765915c97f36c6f18212ed0b283ed237db421d160aeb6a1e7\
        9983774940996754c8c71a2629b0dea236905ce937335d5b68fa9912aae208ccf1e516c3f438e3ba79";

    /// The test before Karabina's squarings: x^p == conjugate(x^|u|) with Granger–Scott.
    fn is_in_gt_plain(x: &Fp12) -> bool {
        !x.is_zero() && x.is_cyclotomic() && x.frobenius_map() == x.pow_bls_x().conjugate()
    }

    #[test]
    fn karabina_squaring_and_decompression() {
        let mut rng = VectorRng::new(b"fp12 karabina");
        let cofactor = hex::decode(GT_COFACTOR).unwrap();
        for _ in 0..3 {
            let c = Fp12::cyclotomic_outside_gt(&Fp12::random(&mut rng));
            let g = c.pow_be(&cofactor);
            for x in [c, g, c.mul(&g)] {
                let square = x.cyclotomic_square();
                let compressed = Compressed::of(&x).square();
                let expected = Compressed::of(&square);
                assert_eq!(
                    (compressed.z2, compressed.z3, compressed.z4, compressed.z5),
                    (expected.z2, expected.z3, expected.z4, expected.z5)
                );
                let (y, d) = Compressed::of(&x).decompress_scaled().unwrap();
                assert_eq!(y, x.mul_by_fp2(&d));
                assert_eq!(d, x.c1.c0.double().double().square());
                let (y, d) = x.pow_bls_x_scaled().unwrap();
                assert_eq!(y, x.pow_bls_x().mul_by_fp2(&d));
            }
        }
        assert!(Compressed::of(&Fp12::ONE).decompress_scaled().is_none());
        assert!(Fp12::ONE.pow_bls_x_scaled().is_none());
    }

    #[test]
    fn is_in_gt_matches_the_plain_test() {
        let mut rng = VectorRng::new(b"fp12 is_in_gt");
        let cofactor = hex::decode(GT_COFACTOR).unwrap();
        let mut inputs = vec![Fp12::ZERO, Fp12::ONE, Fp12::ONE.conjugate()];
        for _ in 0..3 {
            let f = Fp12::random(&mut rng);
            let c = Fp12::cyclotomic_outside_gt(&f);
            let g = c.pow_be(&cofactor);
            inputs.extend([
                f,
                c,
                g,
                g.conjugate(),
                g.mul(&g),
                g.mul(&c),
                g.frobenius_map(),
            ]);
            // A GT element with one coefficient changed: neither cyclotomic nor in GT.
            let mut h = g;
            h.c1.c2.c1 = h.c1.c2.c1.add(&Fp::ONE);
            inputs.push(h);
        }
        let mut in_gt = 0;
        for x in &inputs {
            let verdict = x.is_in_gt();
            assert_eq!(verdict, is_in_gt_plain(x), "{x:?}");
            in_gt += usize::from(verdict);
        }
        // One (twice), and four per round.
        assert_eq!(in_gt, 2 + 3 * 4);
    }
}
