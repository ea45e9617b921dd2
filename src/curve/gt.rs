//! The fixed 576-byte encoding of a GT element used where one is hashed (SPEC.md 2.1).
//!
//! `bls12_381` offers no byte encoding of `Gt`, but its `Display` prints the twelve Fp
//! coefficients of the underlying Fp12 element, each as `0x` followed by 96 hex digits of the
//! canonical big-endian value, in the order c0.c0.c0, c0.c0.c1, c0.c1.c0, ..., c1.c2.c1. The
//! adapter below receives that text through `core::fmt::Write` and parses each coefficient into
//! its 48-byte slot as the text streams past, without allocating.

#[cfg(not(feature = "blst"))]
use super::Gt;
#[cfg(any(not(feature = "blst"), feature = "differential"))]
use core::fmt::{self, Write};

/// Bytes in the encoding of a GT element: twelve 48-byte Fp coefficients.
pub(crate) const GT_BYTES: usize = 576;

#[cfg(any(not(feature = "blst"), feature = "differential"))]
const COEFFICIENTS: usize = 12;
#[cfg(any(not(feature = "blst"), feature = "differential"))]
const HEX_DIGITS_PER_COEFFICIENT: usize = 96;

/// `Gt`'s text did not contain exactly twelve well-formed coefficients.
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
#[cfg(feature = "blst")]
pub(crate) fn gt_to_bytes(gt: &super::Gt) -> Result<[u8; GT_BYTES], GtEncodingError> {
    Ok(gt.to_bytes())
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
}
