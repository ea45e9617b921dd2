#![no_main]
//! The two curve backends side by side (feature `differential`): pairing products of points the
//! input chooses (as multiples of the generators, so identity terms and every subgroup point are
//! reachable, or as compressed encodings, whose decoding is compared too) and hashes to G2 of
//! its messages. `blindpost` panics if `bls12_381` and `blst` give different values; this
//! target adds the algebra both must obey.

use arbitrary::Arbitrary;
use blindpost::differential::{hash_to_g2_compressed, pairing_of_multiples, pairing_of_points};

/// At most this many terms in a product (each costs a Miller loop on both backends).
const MAX_TERMS: usize = 4;

#[derive(Arbitrary, Debug)]
enum Input {
    /// `e(a_1 P1, b_1 P2) * ...`, scalars big-endian mod r.
    Multiples(Vec<([u8; 32], [u8; 32])>),
    /// Compressed points, decoded as the protocol decodes them (by both backends' decoders,
    /// whose verdicts must agree).
    Points(Vec<([u8; 48], [u8; 96])>),
    /// `hash_to_curve` of the parts' concatenation under `dst` (1 to 255 bytes, as the
    /// protocol's tags are).
    Hash { dst: Vec<u8>, parts: Vec<Vec<u8>> },
}

libfuzzer_sys::fuzz_target!(|input: Input| match input {
    Input::Multiples(terms) => {
        let terms = &terms[..terms.len().min(MAX_TERMS)];
        let product = pairing_of_multiples(terms);
        // Swapping a term's scalars between the groups keeps the product (bilinearity), and the
        // empty product is 1.
        let swapped: Vec<_> = terms.iter().map(|(a, b)| (*b, *a)).collect();
        assert_eq!(product, pairing_of_multiples(&swapped));
        if terms.is_empty() {
            assert_eq!(product, pairing_of_multiples(&[([0; 32], [0; 32])]));
        }
    }
    Input::Points(terms) => {
        let _ = pairing_of_points(&terms[..terms.len().min(MAX_TERMS)]);
    }
    Input::Hash { dst, parts } => {
        if dst.is_empty() || dst.len() > 255 {
            return;
        }
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let point = hash_to_g2_compressed(&dst, &parts);
        // Only the concatenation counts.
        let whole = parts.concat();
        assert_eq!(point, hash_to_g2_compressed(&dst, &[&whole]));
    }
});
