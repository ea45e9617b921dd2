//! The fixed 576-byte encoding of a GT element used where one is hashed (SPEC.md 2.1).
//!
//! `bls12_381` offers no byte encoding of `Gt`, but its `Display` prints the twelve Fp
//! coefficients of the underlying Fp12 element, each as `0x` followed by 96 hex digits of the
//! canonical big-endian value, in the order c0.c0.c0, c0.c0.c1, c0.c1.c0, ..., c1.c2.c1. The
//! adapter below receives that text through `core::fmt::Write` and parses each coefficient into
//! its 48-byte slot as the text streams past, without allocating.

use super::Gt;
use alloc::vec::Vec;
#[cfg(any(not(feature = "blst"), feature = "differential"))]
use core::fmt::{self, Write};

/// Bytes in the encoding of a GT element: twelve 48-byte Fp coefficients.
pub(crate) const GT_BYTES: usize = 576;

#[cfg(any(not(feature = "blst"), feature = "differential"))]
const COEFFICIENTS: usize = 12;
#[cfg(any(not(feature = "blst"), feature = "differential"))]
const HEX_DIGITS_PER_COEFFICIENT: usize = 96;

/// `Gt`'s text did not contain exactly twelve well-formed coefficients.
#[cfg(any(not(feature = "blst"), feature = "differential", test))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GtEncodingError;

/// Encodes `gt` as its twelve Fp coefficients, 48 bytes big-endian each (SPEC.md 2.1).
#[cfg(not(feature = "blst"))]
pub(crate) fn gt_to_bytes(gt: &Gt) -> Result<[u8; GT_BYTES], GtEncodingError> {
    bls12_381_gt_to_bytes(gt)
}

/// The encoding of a `bls12_381` GT value, read from its `Display` text.
#[cfg(any(not(feature = "blst"), feature = "differential"))]
pub(crate) fn bls12_381_gt_to_bytes(gt: &bls12_381::Gt) -> Result<[u8; GT_BYTES], GtEncodingError> {
    let mut parser = CoefficientParser {
        out: [0u8; GT_BYTES],
        state: State::Between,
        coefficients: 0,
        nibbles: 0,
    };
    write!(parser, "{gt}").map_err(|_| GtEncodingError)?;
    if parser.coefficients != COEFFICIENTS || parser.state != State::Between {
        return Err(GtEncodingError);
    }
    Ok(parser.out)
}

#[cfg(any(not(feature = "blst"), feature = "differential"))]
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside a coefficient.
    Between,
    /// Just read a `0` outside a coefficient.
    Zero,
    /// Inside a coefficient's hex digits.
    Digits,
}

#[cfg(any(not(feature = "blst"), feature = "differential"))]
struct CoefficientParser {
    out: [u8; GT_BYTES],
    state: State,
    /// Coefficients started so far.
    coefficients: usize,
    /// Hex digits read of the current coefficient.
    nibbles: usize,
}

#[cfg(any(not(feature = "blst"), feature = "differential"))]
impl CoefficientParser {
    fn push_nibble(&mut self, nibble: u8) -> fmt::Result {
        // Byte offset of this nibble: coefficient (counting from 1) minus one, times 48, plus
        // half the digits read so far.
        let index = self
            .coefficients
            .checked_sub(1)
            .and_then(|c| c.checked_mul(HEX_DIGITS_PER_COEFFICIENT / 2))
            .and_then(|base| base.checked_add(self.nibbles / 2))
            .ok_or(fmt::Error)?;
        let byte = self.out.get_mut(index).ok_or(fmt::Error)?;
        if self.nibbles.is_multiple_of(2) {
            *byte = nibble << 4;
        } else {
            *byte |= nibble;
        }
        self.nibbles = self.nibbles.wrapping_add(1);
        if self.nibbles == HEX_DIGITS_PER_COEFFICIENT {
            self.state = State::Between;
        }
        Ok(())
    }
}

#[cfg(any(not(feature = "blst"), feature = "differential"))]
impl Write for CoefficientParser {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.bytes() {
            match self.state {
                State::Between => {
                    if ch == b'0' {
                        self.state = State::Zero;
                    }
                }
                State::Zero => {
                    if ch == b'x' {
                        if self.coefficients == COEFFICIENTS {
                            return Err(fmt::Error);
                        }
                        self.coefficients = self.coefficients.wrapping_add(1);
                        self.nibbles = 0;
                        self.state = State::Digits;
                    } else if ch != b'0' {
                        self.state = State::Between;
                    }
                }
                State::Digits => {
                    let nibble = match ch {
                        b'0'..=b'9' => ch.wrapping_sub(b'0'),
                        b'a'..=b'f' => ch.wrapping_sub(b'a').wrapping_add(10),
                        b'A'..=b'F' => ch.wrapping_sub(b'A').wrapping_add(10),
                        // A coefficient ended before its 96 digits.
                        _ => return Err(fmt::Error),
                    };
                    self.push_nibble(nibble)?;
                }
            }
        }
        Ok(())
    }
}

/// Encodes `gt` as its twelve Fp coefficients, 48 bytes big-endian each (SPEC.md 2.1). The
/// blst backend encodes directly and cannot fail.
#[cfg(all(feature = "blst", test))]
pub(crate) fn gt_to_bytes(gt: &super::Gt) -> Result<[u8; GT_BYTES], GtEncodingError> {
    Ok(gt.to_bytes())
}

/// p, big-endian: every coefficient of an encoding must be below it.
pub(crate) const P_BYTES: [u8; 48] = [
    0x1a, 0x01, 0x11, 0xea, 0x39, 0x7f, 0xe6, 0x9a, 0x4b, 0x1b, 0xa7, 0xb6, 0x43, 0x4b, 0xac, 0xd7,
    0x64, 0x77, 0x4b, 0x84, 0xf3, 0x85, 0x12, 0xbf, 0x67, 0x30, 0xd2, 0xa0, 0xf6, 0xb0, 0xf6, 0x24,
    0x1e, 0xab, 0xff, 0xfe, 0xb1, 0x53, 0xff, 0xff, 0xb9, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xab,
];

/// Whether a 48-byte big-endian coefficient is below p (equal-length big-endian byte strings
/// compare as the integers they encode).
pub(crate) fn is_canonical_fp(coefficient: &[u8]) -> bool {
    coefficient.len() == P_BYTES.len() && coefficient < P_BYTES.as_slice()
}

/// The operations a multi-exponentiation in GT needs, on either backend's Fp12 value. Squaring
/// and inversion are the cyclotomic ones: valid for elements of GT only.
trait CyclotomicOps: Copy {
    fn one() -> Self;
    fn mul(&self, other: &Self) -> Self;
    fn square(&self) -> Self;
    fn inverse(&self) -> Self;
}

#[cfg(any(not(feature = "blst"), feature = "differential"))]
impl CyclotomicOps for super::fp12::Fp12 {
    fn one() -> Self {
        Self::ONE
    }
    fn mul(&self, other: &Self) -> Self {
        super::fp12::Fp12::mul(self, other)
    }
    fn square(&self) -> Self {
        self.cyclotomic_square()
    }
    fn inverse(&self) -> Self {
        self.conjugate()
    }
}

#[cfg(feature = "blst")]
impl CyclotomicOps for super::blst_backend::Fp12Value {
    fn one() -> Self {
        Self::one()
    }
    fn mul(&self, other: &Self) -> Self {
        super::blst_backend::Fp12Value::mul(self, other)
    }
    fn square(&self) -> Self {
        self.cyclotomic_square()
    }
    fn inverse(&self) -> Self {
        self.conjugate()
    }
}

/// wNAF window width: digits are odd, in -15..=15, so each base needs x, x^3, ..., x^15.
const WINDOW: u32 = 5;
/// Odd powers precomputed per base: 2^(WINDOW - 2).
const TABLE: usize = 8;
/// Digits of a 128-bit exponent's wNAF: at most one more than its bits.
const DIGITS: usize = 129;

/// The width-5 NAF of `e`, least significant digit first: sum d_i 2^i = e, every non-zero d_i
/// odd with |d_i| < 16, and at least four zeros after each non-zero digit.
fn wnaf(e: u128) -> [i8; DIGITS] {
    let mut digits = [0i8; DIGITS];
    // The value still to write is k + 2^128 * carry: adding |d| to e near u128::MAX carries.
    let mut k = e;
    let mut carry = false;
    for digit in digits.iter_mut() {
        if k == 0 && !carry {
            break;
        }
        if k & 1 == 1 {
            let low = (k & ((1 << WINDOW) - 1)) as u8;
            // low in 1..32, odd: as a digit, low or low - 32.
            let d = if low >= 16 {
                (low as i8).wrapping_sub(32)
            } else {
                low as i8
            };
            if d > 0 {
                k &= !u128::from(d.unsigned_abs());
                // Subtracting the low bits clears them: no borrow.
            } else {
                let (sum, overflow) = k.overflowing_add(u128::from(d.unsigned_abs()));
                k = sum;
                carry |= overflow;
            }
            *digit = d;
        }
        k >>= 1;
        if carry {
            k |= 1 << 127;
            carry = false;
        }
    }
    digits
}

/// prod base_i ^ e_i for bases in GT: wNAF digits of every exponent, one shared chain of
/// squarings, inverses by conjugation. Variable time.
fn multi_exp_vartime<T: CyclotomicOps>(terms: &[(T, u128)]) -> T {
    let mut tables: Vec<([T; TABLE], [i8; DIGITS])> = Vec::with_capacity(terms.len());
    for (base, e) in terms {
        if *e == 0 {
            continue;
        }
        let square = base.square();
        let mut table = [*base; TABLE];
        let mut previous = *base;
        for entry in table.iter_mut().skip(1) {
            previous = previous.mul(&square);
            *entry = previous;
        }
        tables.push((table, wnaf(*e)));
    }
    let mut acc = T::one();
    // Squaring one is a no-op: skip until the first multiplication.
    let mut started = false;
    for i in (0..DIGITS).rev() {
        if started {
            acc = acc.square();
        }
        for (table, digits) in &tables {
            let d = digits.get(i).copied().unwrap_or(0);
            if d == 0 {
                continue;
            }
            // d is odd: x^|d| is entry (|d| - 1) / 2.
            let Some(power) = table.get(usize::from(d.unsigned_abs() >> 1)) else {
                continue;
            };
            let factor = if d > 0 { *power } else { power.inverse() };
            acc = if started { acc.mul(&factor) } else { factor };
            started = true;
        }
    }
    acc
}

/// The backend representation of a [`GtElement`].
#[cfg(not(feature = "blst"))]
type Repr = super::fp12::Fp12;
/// The backend representation of a [`GtElement`].
#[cfg(all(feature = "blst", not(feature = "differential")))]
type Repr = super::blst_backend::Fp12Value;
/// The backend representation of a [`GtElement`]: both, checked equal after each operation.
#[cfg(feature = "differential")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Repr {
    blst: super::blst_backend::Fp12Value,
    pure: super::fp12::Fp12,
}

/// A GT element decoded from its 576-byte encoding (SPEC.md 2.1) and checked to lie in GT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GtElement(Repr);

impl GtElement {
    /// Decodes the 576-byte encoding: `None` unless every one of the twelve 48-byte big-endian
    /// coefficients is below p and the element lies in GT (the order-r subgroup of Fp12*, so
    /// zero and non-cyclotomic values are refused).
    pub(crate) fn from_bytes(bytes: &[u8; GT_BYTES]) -> Option<Self> {
        #[cfg(not(feature = "blst"))]
        {
            let x = super::fp12::Fp12::from_bytes(bytes)?;
            x.is_in_gt().then_some(Self(x))
        }
        #[cfg(all(feature = "blst", not(feature = "differential")))]
        {
            let x = super::blst_backend::Fp12Value::from_bytes_unchecked(bytes)?;
            x.in_group().then_some(Self(x))
        }
        #[cfg(feature = "differential")]
        {
            let blst = super::blst_backend::Fp12Value::from_bytes_unchecked(bytes)
                .filter(super::blst_backend::Fp12Value::in_group);
            let pure = super::fp12::Fp12::from_bytes(bytes).filter(super::fp12::Fp12::is_in_gt);
            match (blst, pure) {
                (Some(blst), Some(pure)) => Some(Self::checked("GT decoding", blst, pure)),
                (None, None) => None,
                _ => super::differential::disagree("GT decoding verdict"),
            }
        }
    }

    /// The value of a computed pairing result (no check needed).
    pub(crate) fn from_gt(gt: &Gt) -> Self {
        #[cfg(not(feature = "blst"))]
        {
            // The encoding of a computed value cannot fail; if it did, zero (not in GT, equal
            // to no decoded element) fails closed.
            let bytes = gt_to_bytes(gt).unwrap_or([0u8; GT_BYTES]);
            Self(super::fp12::Fp12::from_bytes(&bytes).unwrap_or(super::fp12::Fp12::ZERO))
        }
        #[cfg(all(feature = "blst", not(feature = "differential")))]
        {
            Self(super::blst_backend::Fp12Value::from_gt(gt))
        }
        #[cfg(feature = "differential")]
        {
            let blst = super::blst_backend::Fp12Value::from_gt(gt);
            let pure =
                super::fp12::Fp12::from_bytes(&blst.to_bytes()).unwrap_or(super::fp12::Fp12::ZERO);
            Self::checked("GT from pairing", blst, pure)
        }
    }

    /// The 576-byte encoding (the same as `gt_to_bytes` of the same value).
    #[allow(clippy::wrong_self_convention)] // the callers' interface borrows
    pub(crate) fn to_bytes(&self) -> [u8; GT_BYTES] {
        #[cfg(not(feature = "differential"))]
        {
            self.0.to_bytes()
        }
        #[cfg(feature = "differential")]
        {
            self.0.blst.to_bytes()
        }
    }

    /// prod base_i ^ e_i, variable time (all inputs public). Exponent-0 terms are skipped; no
    /// terms give one.
    pub(crate) fn multi_exp_vartime(terms: &[(&GtElement, u128)]) -> GtElement {
        #[cfg(not(feature = "differential"))]
        {
            let terms: Vec<(Repr, u128)> = terms.iter().map(|(b, e)| (b.0, *e)).collect();
            Self(multi_exp_vartime(&terms))
        }
        #[cfg(feature = "differential")]
        {
            let blst: Vec<_> = terms.iter().map(|(b, e)| (b.0.blst, *e)).collect();
            let pure: Vec<_> = terms.iter().map(|(b, e)| (b.0.pure, *e)).collect();
            Self::checked(
                "GT multi-exponentiation",
                multi_exp_vartime(&blst),
                multi_exp_vartime(&pure),
            )
        }
    }

    /// self * other (the tests' reference for the multi-exponentiation).
    #[cfg(test)]
    pub(crate) fn mul(&self, other: &GtElement) -> GtElement {
        #[cfg(not(feature = "differential"))]
        {
            Self(self.0.mul(&other.0))
        }
        #[cfg(feature = "differential")]
        {
            Self::checked(
                "GT multiplication",
                self.0.blst.mul(&other.0.blst),
                self.0.pure.mul(&other.0.pure),
            )
        }
    }

    /// Both backends' values, which must encode the same.
    #[cfg(feature = "differential")]
    fn checked(
        operation: &str,
        blst: super::blst_backend::Fp12Value,
        pure: super::fp12::Fp12,
    ) -> Self {
        if blst.to_bytes() != pure.to_bytes() {
            super::differential::disagree(operation);
        }
        Self(Repr { blst, pure })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::Gt;
    #[cfg(not(feature = "blst"))]
    use alloc::{format, string::String, vec::Vec};
    #[cfg(not(feature = "blst"))]
    use bls12_381::{pairing, G1Affine, G2Affine, Scalar};

    #[cfg(not(feature = "blst"))]
    /// Independent reading of `Display`: split on "0x" and hex-decode the next 96 characters.
    fn coefficients_from_text(text: &str) -> Vec<u8> {
        let parts: Vec<&str> = text.split("0x").skip(1).collect();
        assert_eq!(parts.len(), 12, "{text}");
        parts
            .iter()
            .flat_map(|p| hex::decode(&p[..96]).unwrap())
            .collect()
    }

    #[cfg(not(feature = "blst"))]
    fn sample() -> Gt {
        let p = G1Affine::from(G1Affine::generator() * Scalar::from(7u64));
        let q = G2Affine::from(G2Affine::generator() * Scalar::from(11u64));
        pairing(&p, &q)
    }

    #[test]
    fn identity_is_one_then_zeros() {
        let bytes = gt_to_bytes(&Gt::identity()).unwrap();
        let mut expected = [0u8; GT_BYTES];
        expected[47] = 1;
        assert_eq!(bytes, expected);
    }

    #[cfg(not(feature = "blst"))]
    #[test]
    fn matches_an_independent_parse_of_display() {
        let gt = sample();
        let text = format!("{gt}");
        assert_eq!(
            gt_to_bytes(&gt).unwrap().to_vec(),
            coefficients_from_text(&text)
        );
    }

    #[cfg(not(feature = "blst"))]
    #[test]
    fn negation_conjugates_the_second_half() {
        // -gt is the conjugate c0 - c1*w: the first six coefficients stay, the last six become
        // p - c (and no coefficient of a pairing output is zero in practice).
        let gt = sample();
        let a = gt_to_bytes(&gt).unwrap();
        let b = gt_to_bytes(&-gt).unwrap();
        assert_eq!(a[..288], b[..288]);
        let p = hex::decode(
            "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
        )
        .unwrap();
        for (x, y) in a[288..].chunks(48).zip(b[288..].chunks(48)) {
            // x + y == p, as 384-bit big-endian integers.
            let mut carry = 0u16;
            let mut sum = [0u8; 48];
            for i in (0..48).rev() {
                let s = u16::from(x[i]) + u16::from(y[i]) + carry;
                sum[i] = s as u8;
                carry = s >> 8;
            }
            assert_eq!(carry, 0);
            assert_eq!(sum.to_vec(), p);
        }
    }

    #[cfg(not(feature = "blst"))]
    #[test]
    fn rejects_text_with_a_wrong_number_of_coefficients() {
        let mut parser = CoefficientParser {
            out: [0u8; GT_BYTES],
            state: State::Between,
            coefficients: 0,
            nibbles: 0,
        };
        let one = format!("0x{}", "ab".repeat(48));
        let thirteen: String = core::iter::repeat_n(one.as_str(), 13)
            .collect::<Vec<_>>()
            .join(" + ");
        assert!(parser.write_str(&thirteen).is_err());
        let mut short = CoefficientParser {
            out: [0u8; GT_BYTES],
            state: State::Between,
            coefficients: 0,
            nibbles: 0,
        };
        assert!(short.write_str("0x12 + 0x34").is_err());
    }

    /// GT element tests: `GtElement` on the backend built, checked by bilinearity.
    mod element {
        use super::super::*;
        use crate::curve::fp12::Fp12;
        use crate::curve::pairing::pairing_product;
        use crate::curve::{random_scalar, G1Affine, G2Affine, G2Prepared, Scalar};
        use crate::vector_rng::VectorRng;
        use alloc::vec::Vec;

        /// e(a P1, P2).
        fn pair(a: &Scalar) -> Gt {
            let p = G1Affine::from(G1Affine::generator() * a);
            pairing_product(&[(&p, &G2Prepared::from(G2Affine::generator()))])
        }

        fn element(a: &Scalar) -> GtElement {
            GtElement::from_gt(&pair(a))
        }

        fn scalar_u128(e: u128) -> Scalar {
            let two_64 = Scalar::from(u64::MAX) + Scalar::ONE;
            Scalar::from((e >> 64) as u64) * two_64 + Scalar::from(e as u64)
        }

        use ff::Field;

        #[test]
        fn from_bytes_round_trips_pairing_values() {
            let mut rng = VectorRng::new(b"gt element round trip");
            for _ in 0..4 {
                let gt = pair(&random_scalar(&mut rng));
                let bytes = gt_to_bytes(&gt).unwrap();
                let decoded = GtElement::from_bytes(&bytes).unwrap();
                assert_eq!(decoded, GtElement::from_gt(&gt));
                assert_eq!(decoded.to_bytes(), bytes);
            }
            let one = gt_to_bytes(&Gt::identity()).unwrap();
            assert_eq!(GtElement::from_bytes(&one).unwrap().to_bytes(), one);
        }

        #[test]
        fn mul_is_the_group_operation() {
            let mut rng = VectorRng::new(b"gt element mul");
            let (a, b) = (random_scalar(&mut rng), random_scalar(&mut rng));
            let product = element(&a).mul(&element(&b));
            assert_eq!(product, element(&(a + b)));
            #[cfg(not(feature = "blst"))]
            assert_eq!(product, GtElement::from_gt(&(pair(&a) + pair(&b))));
            let one = GtElement::from_gt(&Gt::identity());
            assert_eq!(element(&a).mul(&one), element(&a));
            assert_eq!(element(&a).mul(&element(&-a)), one);
        }

        #[test]
        fn multi_exp_matches_bilinearity() {
            let mut rng = VectorRng::new(b"gt element multi-exp");
            let one = GtElement::from_gt(&Gt::identity());
            assert_eq!(GtElement::multi_exp_vartime(&[]), one);
            let a = random_scalar(&mut rng);
            let x = element(&a);
            assert_eq!(GtElement::multi_exp_vartime(&[(&x, 0)]), one);
            assert_eq!(GtElement::multi_exp_vartime(&[(&x, 1)]), x);
            for e in [
                2u128,
                15,
                16,
                17,
                31,
                33,
                u128::MAX,
                u128::MAX - 1,
                1 << 127,
                u64::MAX as u128,
            ] {
                assert_eq!(
                    GtElement::multi_exp_vartime(&[(&x, e)]),
                    element(&(a * scalar_u128(e))),
                    "{e:#x}"
                );
            }
            // 16 terms: random 128-bit exponents, and 0, 1, u128::MAX among them.
            let scalars: Vec<Scalar> = (0..16).map(|_| random_scalar(&mut rng)).collect();
            let bases: Vec<GtElement> = scalars.iter().map(element).collect();
            let mut exponents: Vec<u128> = (0..16)
                .map(|_| {
                    let mut b = [0u8; 16];
                    rand_core::Rng::fill_bytes(&mut rng, &mut b);
                    u128::from_be_bytes(b)
                })
                .collect();
            exponents[3] = 0;
            exponents[7] = 1;
            exponents[11] = u128::MAX;
            exponents[12] = u64::MAX as u128;
            let terms: Vec<(&GtElement, u128)> =
                bases.iter().zip(exponents.iter().copied()).collect();
            let sum = scalars
                .iter()
                .zip(exponents.iter())
                .fold(Scalar::ZERO, |acc, (s, e)| acc + s * scalar_u128(*e));
            assert_eq!(GtElement::multi_exp_vartime(&terms), element(&sum));
        }

        #[test]
        fn wnaf_digits_sum_to_the_exponent() {
            for e in [
                0u128,
                1,
                15,
                16,
                31,
                0xdead_beef,
                u128::MAX,
                u128::MAX - 16,
                1 << 127,
            ] {
                let digits = wnaf(e);
                let mut value = Scalar::ZERO;
                let two = Scalar::from(2u64);
                for d in digits.iter().rev() {
                    value = value * two
                        + Scalar::from(u64::from(d.unsigned_abs()))
                            * if *d < 0 { -Scalar::ONE } else { Scalar::ONE };
                    assert!(*d == 0 || (d % 2 != 0 && d.abs() < 16));
                }
                assert_eq!(value, scalar_u128(e), "{e:#x}");
            }
        }

        #[test]
        fn from_bytes_refuses_non_canonical_and_non_gt_values() {
            let mut rng = VectorRng::new(b"gt element refusals");
            let valid = gt_to_bytes(&pair(&random_scalar(&mut rng))).unwrap();
            assert!(GtElement::from_bytes(&valid).is_some());
            for slot in [0usize, 5, 11] {
                let at = slot * 48..(slot + 1) * 48;
                let mut bytes = valid;
                bytes[at.clone()].copy_from_slice(&P_BYTES);
                assert!(GtElement::from_bytes(&bytes).is_none(), "p at {slot}");
                bytes[at].copy_from_slice(&[0xff; 48]);
                assert!(
                    GtElement::from_bytes(&bytes).is_none(),
                    "2^384 - 1 at {slot}"
                );
            }
            assert!(GtElement::from_bytes(&[0u8; GT_BYTES]).is_none());
            let f = Fp12::random(&mut rng);
            assert!(
                GtElement::from_bytes(&f.to_bytes()).is_none(),
                "random Fp12"
            );
            // Cyclotomic but outside GT, alone and times a GT element.
            let c = Fp12::cyclotomic_outside_gt(&f);
            assert!(c.is_cyclotomic());
            assert!(GtElement::from_bytes(&c.to_bytes()).is_none(), "cyclotomic");
            let g = Fp12::from_bytes(&valid).unwrap();
            assert!(g.is_in_gt());
            assert!(
                GtElement::from_bytes(&g.mul(&c).to_bytes()).is_none(),
                "GT times cyclotomic"
            );
            // The pure tower agrees with the backend's group operation.
            let h =
                Fp12::from_bytes(&gt_to_bytes(&pair(&random_scalar(&mut rng))).unwrap()).unwrap();
            let product = GtElement::from_bytes(&valid)
                .unwrap()
                .mul(&GtElement::from_bytes(&h.to_bytes()).unwrap());
            assert_eq!(product.to_bytes(), g.mul(&h).to_bytes());
            assert_eq!(g.cyclotomic_square(), g.mul(&g));
        }
    }
}
