//! Both backends at once (feature `differential`, for the fuzz targets only; SPEC.md 2.6).
//!
//! Every pairing product, every hash to G2 and every point decoding (`points`) runs on
//! `bls12_381` and on `blst`, and the two results must be identical: the same GT encoding, the
//! same answer to "is it 1", the same point or verdict. The G1 arithmetic runs on blst (`blst_g1`) and each of its results (a comb or
//! constant-time multiplication, a multi-exponentiation, a 128-bit multiplication) is checked
//! against `bls12_381`'s own multiplication of the same terms ([`check_g1`]). The protocol code above is unchanged, so every fuzz target built with this feature
//! decodes, signs and verifies with both backends side by side. A disagreement is a backend bug,
//! not bad input, and the only way a fuzzer sees it is a crash: it panics, naming the operation.

use super::blst_backend;
use super::gt::bls12_381_gt_to_bytes;
use super::{G1Affine, G1Projective, G2Affine, G2Projective, Scalar};
use alloc::vec::Vec;
use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
use sha2::Sha256;

/// The GT value the protocol sees: blst's (each was checked against `bls12_381`'s when made).
pub(crate) use blst_backend::Gt;

/// A G2 point prepared for both backends' Miller loops.
#[derive(Clone, Debug)]
pub(crate) struct G2Prepared {
    bls12_381: bls12_381::G2Prepared,
    blst: blst_backend::G2Prepared,
}

impl From<G2Affine> for G2Prepared {
    fn from(q: G2Affine) -> Self {
        Self {
            bls12_381: bls12_381::G2Prepared::from(q),
            blst: blst_backend::G2Prepared::from(q),
        }
    }
}

/// Stops the process: the backends computed different values for `operation`.
#[allow(clippy::panic)] // the fuzzer's only signal (module docs)
pub(crate) fn disagree(operation: &str) -> ! {
    panic!("curve backends disagree: {operation}")
}

/// Checks `got`, computed on blst, against `bls12_381`'s `sum(scalar_i * base_i)`.
pub(crate) fn check_g1(operation: &str, got: &G1Projective, terms: &[(G1Affine, Scalar)]) {
    let expected = terms
        .iter()
        .fold(G1Projective::identity(), |acc, (base, scalar)| {
            acc + G1Projective::from(base) * scalar
        });
    if expected != *got {
        disagree(operation);
    }
}

/// `e(p_1, q_1) * ... * e(p_n, q_n)` on both backends; blst's value, once it equals the other's.
pub(crate) fn pairing_product(terms: &[(&G1Affine, &G2Prepared)]) -> Gt {
    let pure: Vec<(&G1Affine, &bls12_381::G2Prepared)> =
        terms.iter().map(|(p, q)| (*p, &q.bls12_381)).collect();
    let blst: Vec<(&G1Affine, &blst_backend::G2Prepared)> =
        terms.iter().map(|(p, q)| (*p, &q.blst)).collect();
    let expected = bls12_381::multi_miller_loop(&pure).final_exponentiation();
    let got = blst_backend::pairing_product(&blst);
    if bls12_381_gt_to_bytes(&expected).ok() != Some(got.to_bytes()) {
        disagree("pairing product");
    }
    got
}

/// Whether the product is 1, asked of both backends.
pub(crate) fn pairing_product_is_one(terms: &[(&G1Affine, &G2Prepared)]) -> bool {
    let blst: Vec<(&G1Affine, &blst_backend::G2Prepared)> =
        terms.iter().map(|(p, q)| (*p, &q.blst)).collect();
    let one = blst_backend::pairing_product_is_one(&blst);
    if one != (pairing_product(terms) == Gt::identity()) {
        disagree("pairing product is one");
    }
    one
}

/// RFC 9380 `hash_to_curve` to G2 on both backends.
pub(crate) fn hash_to_g2(dst: &[u8], parts: &[&[u8]]) -> G2Projective {
    let expected =
        <G2Projective as HashToCurve<ExpandMsgXmd<Sha256>>>::hash_to_curve(parts.iter(), dst);
    let got = blst_backend::hash_to_g2(dst, parts);
    if expected != got {
        disagree("hash to G2");
    }
    got
}

/// `e(a_1 P1, b_1 P2) * ... * e(a_n P1, b_n P2)` for the standard generators, on both backends
/// (panics if they disagree, on the value or on whether it is 1): its GT encoding. Each scalar
/// is 32 bytes big-endian, reduced mod r, so zero (an identity term) is reachable. For the fuzz
/// targets (`blindpost::differential`).
pub fn pairing_of_multiples(terms: &[([u8; 32], [u8; 32])]) -> [u8; super::gt::GT_BYTES] {
    let scalar = |bytes: &[u8; 32]| {
        let mut wide = [0u8; 64];
        if let Some(low) = wide.get_mut(32..) {
            low.copy_from_slice(bytes);
        }
        super::scalar_from_wide_be(&wide)
    };
    let points: Vec<(G1Affine, G2Affine)> = terms
        .iter()
        .map(|(a, b)| {
            (
                G1Affine::from(G1Affine::generator() * scalar(a)),
                G2Affine::from(G2Affine::generator() * scalar(b)),
            )
        })
        .collect();
    pairing_of(&points)
}

/// The same for points given in their compressed encodings (SPEC.md 2.1), decoded as the
/// protocol decodes them; `None` if one does not decode.
pub fn pairing_of_points(terms: &[([u8; 48], [u8; 96])]) -> Option<[u8; super::gt::GT_BYTES]> {
    let points = terms
        .iter()
        .map(|(p, q)| {
            let p = crate::encoding::Reader::new(p).g1("p").ok()?;
            let q = crate::encoding::Reader::new(q).g2("q").ok()?;
            Some((p, q))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(pairing_of(&points))
}

/// RFC 9380 `hash_to_curve` to G2 of the concatenation of `parts` under `dst`, on both
/// backends (panics if they disagree): the compressed point.
pub fn hash_to_g2_compressed(dst: &[u8], parts: &[&[u8]]) -> [u8; 96] {
    G2Affine::from(hash_to_g2(dst, parts)).to_compressed()
}

/// The product of the terms' pairings, through both product functions.
fn pairing_of(terms: &[(G1Affine, G2Affine)]) -> [u8; super::gt::GT_BYTES] {
    let prepared: Vec<G2Prepared> = terms.iter().map(|(_, q)| G2Prepared::from(*q)).collect();
    let refs: Vec<(&G1Affine, &G2Prepared)> = terms
        .iter()
        .zip(prepared.iter())
        .map(|((p, _), q)| (p, q))
        .collect();
    // Both answers to "is it 1" are compared inside, and then both values.
    let _ = pairing_product_is_one(&refs);
    pairing_product(&refs).to_bytes()
}
