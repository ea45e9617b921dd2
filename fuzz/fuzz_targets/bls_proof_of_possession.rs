#![no_main]
//! BLS proofs of possession: decoding; a decoded proof is checked without panicking.

use blindpost::bls::{ProofOfPossession, SecretKey};
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(proof) = roundtrip(
        data,
        ProofOfPossession::from_bytes,
        ProofOfPossession::to_bytes,
    ) else {
        return;
    };
    let key = SecretKey::key_gen(&[7u8; 32], b"").expect("ikm");
    let verified = key.public_key().pop_verify(&proof);
    assert_eq!(verified.is_ok(), proof == key.pop_prove());
});
