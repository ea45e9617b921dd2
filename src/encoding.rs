//! Canonical byte encodings shared by every wire format (SPEC.md, "Encoding conventions").
//!
//! Every decoder in the crate reads through one (crate-private) `Reader`, so the rules hold
//! everywhere: fixed sizes, big-endian integers, scalars below the group order, points
//! compressed, canonical, on the curve, in the prime-order subgroup and not the identity, and no
//! trailing bytes. Composite formats are described once in `wire::codec`, on top of these.

use crate::curve::gt::{is_canonical_fp, GtElement, GT_BYTES};
use crate::curve::points::{self, PointError};
use crate::curve::{G1Affine, G2Affine, Scalar};
use core::fmt;

/// Why a byte string was rejected by a decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the field was complete.
    Truncated {
        /// Bytes the field needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// Bytes were left over after the last field.
    TrailingBytes {
        /// How many bytes were left over.
        extra: usize,
    },
    /// The version byte names a format this library does not know.
    UnknownVersion {
        /// The version byte found.
        found: u8,
    },
    /// A scalar was not below the group order r.
    NonCanonicalScalar,
    /// A scalar that must be non-zero was zero.
    ZeroScalar,
    /// A point encoding was not canonical or not on the curve.
    InvalidPoint,
    /// A point was on the curve but outside the prime-order subgroup.
    NotInSubgroup,
    /// A point was the identity, which no encoding in this protocol allows.
    IdentityPoint,
    /// A length prefix exceeded the limit for the field.
    TooLong {
        /// The length found.
        length: usize,
        /// The largest length allowed.
        max: usize,
    },
    /// A field's value is outside the values the format allows.
    InvalidValue,
    /// Padding that is not zero bytes up to exactly the padded length the format prescribes
    /// (a sealed-payload plaintext, SPEC.md 10.1).
    NonCanonicalPadding,
}

/// A decoding failure: which field, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The field being read (for example `"signature.T1"`).
    pub field: &'static str,
    /// What was wrong with it.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// An error for `field` of the given kind.
    pub const fn new(field: &'static str, kind: DecodeErrorKind) -> Self {
        Self { field, kind }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode {}: ", self.field)?;
        match self.kind {
            DecodeErrorKind::Truncated { needed, available } => {
                write!(f, "truncated (needs {needed} bytes, {available} left)")
            }
            DecodeErrorKind::TrailingBytes { extra } => write!(f, "{extra} trailing bytes"),
            DecodeErrorKind::UnknownVersion { found } => write!(f, "unknown version {found}"),
            DecodeErrorKind::NonCanonicalScalar => {
                f.write_str("scalar is not below the group order")
            }
            DecodeErrorKind::ZeroScalar => f.write_str("scalar is zero"),
            DecodeErrorKind::InvalidPoint => f.write_str("not a canonical point on the curve"),
            DecodeErrorKind::NotInSubgroup => {
                f.write_str("point is not in the prime-order subgroup")
            }
            DecodeErrorKind::IdentityPoint => f.write_str("point is the identity"),
            DecodeErrorKind::TooLong { length, max } => {
                write!(f, "length {length} exceeds the limit {max}")
            }
            DecodeErrorKind::InvalidValue => f.write_str("value not allowed by the format"),
            DecodeErrorKind::NonCanonicalPadding => {
                f.write_str("padding is not zero bytes up to the padded length")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

/// A value that cannot be encoded: longer than its field's maximum or its length prefix allows.
/// Nothing is ever written cut to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeError {
    /// The field being written (for example `"state.contacts"`).
    pub field: &'static str,
    /// The length (bytes or items) of the value.
    pub length: usize,
    /// The largest length the field allows.
    pub max: usize,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot encode {}: length {} exceeds the limit {}",
            self.field, self.length, self.max
        )
    }
}

impl core::error::Error for EncodeError {}

/// A cursor over an input that hands out fixed-size fields and refuses to overrun.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Reads `len` bytes.
    pub(crate) fn bytes(
        &mut self,
        field: &'static str,
        len: usize,
    ) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < len {
            return Err(DecodeError::new(
                field,
                DecodeErrorKind::Truncated {
                    needed: len,
                    available: self.rest.len(),
                },
            ));
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Ok(head)
    }

    /// Reads a fixed-size array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(field, N)?);
        Ok(out)
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// Reads a big-endian `u16`.
    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian `u32`.
    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian `u64`.
    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Reads a point in time: its seconds since the epoch as a big-endian `u64`.
    pub(crate) fn time(&mut self, field: &'static str) -> Result<crate::Time, DecodeError> {
        Ok(crate::Time::from_unix_secs(self.u64(field)?))
    }

    /// Reads the version byte and checks it is `expected`.
    pub(crate) fn version(&mut self, field: &'static str, expected: u8) -> Result<(), DecodeError> {
        let found = self.u8(field)?;
        if found != expected {
            return Err(DecodeError::new(
                field,
                DecodeErrorKind::UnknownVersion { found },
            ));
        }
        Ok(())
    }

    /// Reads a `u16` length prefix (at most `max`) and that many bytes.
    pub(crate) fn vec16(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let len = usize::from(self.u16(field)?);
        if len > max {
            return Err(DecodeError::new(
                field,
                DecodeErrorKind::TooLong { length: len, max },
            ));
        }
        self.bytes(field, len)
    }

    /// Reads a `u8` length prefix (at most `max`) and that many bytes.
    pub(crate) fn vec8(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let len = usize::from(self.u8(field)?);
        if len > max {
            return Err(DecodeError::new(
                field,
                DecodeErrorKind::TooLong { length: len, max },
            ));
        }
        self.bytes(field, len)
    }

    /// Reads a canonical 32-byte big-endian scalar (any value below r, zero included).
    pub(crate) fn scalar(&mut self, field: &'static str) -> Result<Scalar, DecodeError> {
        scalar_from_be(field, &self.array(field)?)
    }

    /// Reads a canonical non-zero scalar.
    pub(crate) fn nonzero_scalar(&mut self, field: &'static str) -> Result<Scalar, DecodeError> {
        let s = self.scalar(field)?;
        if bool::from(ff::Field::is_zero(&s)) {
            return Err(DecodeError::new(field, DecodeErrorKind::ZeroScalar));
        }
        Ok(s)
    }

    /// Reads a compressed G1 point: canonical, on the curve, in the subgroup, not the identity.
    pub(crate) fn g1(&mut self, field: &'static str) -> Result<G1Affine, DecodeError> {
        g1_from_bytes(field, &self.array(field)?)
    }

    /// Reads a GT element (576 bytes, SPEC.md 2.1): each of the twelve coefficients below p
    /// (else `InvalidPoint`), and the element in GT, the order-r subgroup of Fp12
    /// (else `NotInSubgroup`). The identity of GT is a valid value here.
    pub(crate) fn gt(&mut self, field: &'static str) -> Result<GtElement, DecodeError> {
        let bytes: [u8; GT_BYTES] = self.array(field)?;
        if !bytes.chunks_exact(48).all(is_canonical_fp) {
            return Err(DecodeError::new(field, DecodeErrorKind::InvalidPoint));
        }
        GtElement::from_bytes(&bytes).ok_or(DecodeError::new(field, DecodeErrorKind::NotInSubgroup))
    }

    /// Reads a compressed G2 point: canonical, on the curve, in the subgroup, not the identity.
    pub(crate) fn g2(&mut self, field: &'static str) -> Result<G2Affine, DecodeError> {
        g2_from_bytes(field, &self.array(field)?)
    }

    /// Reads an uncompressed G1 point of the client's own state blob (SPEC.md 13.1): canonical
    /// coordinates and flags, on the curve, not the identity. The subgroup is not checked here:
    /// see [`g1_in_subgroup`], which the reader must run before the point is computed with.
    pub(crate) fn g1_stored(&mut self, field: &'static str) -> Result<G1Affine, DecodeError> {
        let bytes: [u8; 96] = self.array(field)?;
        stored_point(
            field,
            G1Affine::from_uncompressed_unchecked(&bytes).into(),
            G1Affine::is_identity,
            G1Affine::is_on_curve,
        )
    }

    /// Reads an uncompressed G2 point of the client's own state blob, checked as
    /// [`Reader::g1_stored`] (subgroup: [`g2_in_subgroup`]).
    pub(crate) fn g2_stored(&mut self, field: &'static str) -> Result<G2Affine, DecodeError> {
        let bytes: [u8; 192] = self.array(field)?;
        stored_point(
            field,
            G2Affine::from_uncompressed_unchecked(&bytes).into(),
            G2Affine::is_identity,
            G2Affine::is_on_curve,
        )
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Ends decoding: fails if any byte is left over.
    pub(crate) fn finish(self, field: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::new(
                field,
                DecodeErrorKind::TrailingBytes {
                    extra: self.rest.len(),
                },
            ))
        }
    }
}

/// Builds an encoding field by field; the counterpart of [`Reader`].
pub(crate) struct Writer {
    out: alloc::vec::Vec<u8>,
    enforce_maxima: bool,
}

impl Writer {
    /// An empty writer that refuses a value over its field's maximum (stored formats: the
    /// client state, the server's records and secrets).
    pub(crate) fn new() -> Self {
        Self {
            out: alloc::vec::Vec::new(),
            enforce_maxima: true,
        }
    }

    /// An empty writer for wire messages: a value over its field's maximum is still written
    /// (the receiver refuses it, as the negative vectors pin); only a length the field's prefix
    /// cannot count is refused.
    pub(crate) fn for_messages() -> Self {
        Self {
            out: alloc::vec::Vec::new(),
            enforce_maxima: false,
        }
    }

    /// Whether a value over its field's maximum is refused.
    pub(crate) fn enforces_maxima(&self) -> bool {
        self.enforce_maxima
    }

    /// Appends raw bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Appends one byte.
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.out.push(v);
        self
    }

    /// Appends a big-endian `u16`.
    pub(crate) fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u32`.
    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u64`.
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a point in time: its seconds since the epoch as a big-endian `u64`.
    pub(crate) fn time(&mut self, t: crate::Time) -> &mut Self {
        self.u64(t.unix_secs())
    }

    /// The bytes written.
    pub(crate) fn finish(&mut self) -> alloc::vec::Vec<u8> {
        core::mem::take(&mut self.out)
    }
}

/// The `vec8` length byte of a domain-separation tag (SPEC.md 2.3). Call it in a constant
/// (`const LEN: u8 = dst_len(DST);`): a tag of 256 bytes or more then fails to compile.
pub(crate) const fn dst_len(dst: &[u8]) -> u8 {
    assert!(
        dst.len() <= 255,
        "a domain-separation tag is at most 255 bytes"
    );
    let [low, ..] = dst.len().to_le_bytes();
    low
}

/// Decodes a 32-byte big-endian scalar, rejecting values >= r.
pub(crate) fn scalar_from_be(field: &'static str, bytes: &[u8; 32]) -> Result<Scalar, DecodeError> {
    let mut le = *bytes;
    le.reverse();
    Option::from(Scalar::from_bytes(&le))
        .ok_or(DecodeError::new(field, DecodeErrorKind::NonCanonicalScalar))
}

/// Encodes a scalar as 32 big-endian bytes.
pub(crate) fn scalar_to_be(s: &Scalar) -> [u8; 32] {
    let mut out = s.to_bytes();
    out.reverse();
    out
}

/// Decodes a compressed G1 point with every check of SPEC.md, "Encoding conventions".
pub(crate) fn g1_from_bytes(
    field: &'static str,
    bytes: &[u8; 48],
) -> Result<G1Affine, DecodeError> {
    points::g1_decompress(bytes).map_err(|e| point_error(field, e))
}

/// The decoding error of a refused point.
fn point_error(field: &'static str, error: PointError) -> DecodeError {
    let kind = match error {
        PointError::Invalid => DecodeErrorKind::InvalidPoint,
        PointError::Identity => DecodeErrorKind::IdentityPoint,
        PointError::NotInSubgroup => DecodeErrorKind::NotInSubgroup,
    };
    DecodeError::new(field, kind)
}

/// The checks of a stored point once its coordinates decoded (canonical, flags exact): not
/// the identity, on the curve.
fn stored_point<P>(
    field: &'static str,
    decoded: Option<P>,
    is_identity: fn(&P) -> subtle::Choice,
    is_on_curve: fn(&P) -> subtle::Choice,
) -> Result<P, DecodeError> {
    let p = decoded.ok_or(DecodeError::new(field, DecodeErrorKind::InvalidPoint))?;
    if bool::from(is_identity(&p)) {
        return Err(DecodeError::new(field, DecodeErrorKind::IdentityPoint));
    }
    if !bool::from(is_on_curve(&p)) {
        return Err(DecodeError::new(field, DecodeErrorKind::InvalidPoint));
    }
    Ok(p)
}

/// The subgroup check [`Reader::g1_stored`] leaves out (the backend's, `curve::points`):
/// fails with [`DecodeErrorKind::NotInSubgroup`].
pub(crate) fn g1_in_subgroup(field: &'static str, p: &G1Affine) -> Result<(), DecodeError> {
    in_subgroup(field, points::g1_in_subgroup(p))
}

/// The subgroup check [`Reader::g2_stored`] leaves out.
pub(crate) fn g2_in_subgroup(field: &'static str, p: &G2Affine) -> Result<(), DecodeError> {
    in_subgroup(field, points::g2_in_subgroup(p))
}

fn in_subgroup(field: &'static str, holds: bool) -> Result<(), DecodeError> {
    if holds {
        Ok(())
    } else {
        Err(DecodeError::new(field, DecodeErrorKind::NotInSubgroup))
    }
}

/// Decodes a compressed G2 point with every check of SPEC.md, "Encoding conventions".
pub(crate) fn g2_from_bytes(
    field: &'static str,
    bytes: &[u8; 96],
) -> Result<G2Affine, DecodeError> {
    points::g2_decompress(bytes).map_err(|e| point_error(field, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;

    #[test]
    fn reader_rejects_truncation_and_trailing_bytes() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16("a").unwrap(), 0x0102);
        let err = r.u16("b").unwrap_err();
        assert_eq!(
            err,
            DecodeError::new(
                "b",
                DecodeErrorKind::Truncated {
                    needed: 2,
                    available: 1
                }
            )
        );
        let r = Reader::new(&[1]);
        assert_eq!(
            r.finish("x").unwrap_err().kind,
            DecodeErrorKind::TrailingBytes { extra: 1 }
        );
    }

    #[test]
    fn scalar_rejects_r_and_accepts_r_minus_one() {
        // r in big-endian.
        let r = hex_literal("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
        assert_eq!(
            scalar_from_be("s", &r).unwrap_err().kind,
            DecodeErrorKind::NonCanonicalScalar
        );
        let mut r_minus_one = r;
        r_minus_one[31] = 0;
        let s = scalar_from_be("s", &r_minus_one).unwrap();
        assert_eq!(s, -Scalar::ONE);
        assert_eq!(scalar_to_be(&s), r_minus_one);
    }

    #[test]
    fn points_reject_identity_and_accept_generator() {
        let id = G1Affine::identity().to_compressed();
        assert_eq!(
            g1_from_bytes("p", &id).unwrap_err().kind,
            DecodeErrorKind::IdentityPoint
        );
        let id2 = G2Affine::identity().to_compressed();
        assert_eq!(
            g2_from_bytes("q", &id2).unwrap_err().kind,
            DecodeErrorKind::IdentityPoint
        );
        let g = G1Affine::from(crate::curve::G1Projective::generator());
        assert_eq!(g1_from_bytes("p", &g.to_compressed()).unwrap(), g);
    }

    #[test]
    fn g1_rejects_point_outside_subgroup() {
        // Search for an x that lies on the curve but whose point has a cofactor component.
        let mut bytes = [0u8; 48];
        bytes[0] = 0x80;
        for x in 1u8..=255 {
            bytes[47] = x;
            if let Some(p) = Option::<G1Affine>::from(G1Affine::from_compressed_unchecked(&bytes)) {
                if !bool::from(p.is_torsion_free()) {
                    assert_eq!(
                        g1_from_bytes("p", &bytes).unwrap_err().kind,
                        DecodeErrorKind::NotInSubgroup
                    );
                    return;
                }
            }
        }
        panic!("no off-subgroup point found among small x");
    }

    fn hex_literal(s: &str) -> [u8; 32] {
        let v = hex::decode(s).unwrap();
        v.try_into().unwrap()
    }
}
