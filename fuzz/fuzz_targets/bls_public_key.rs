#![no_main]
//! BLS public keys (KeyValidate); a decoded key verifies signatures and proofs without
//! panicking.

use blindpost::bls::{PublicKey, SecretKey};
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(key) = roundtrip(data, PublicKey::from_bytes, PublicKey::to_bytes) else {
        return;
    };
    let other = SecretKey::key_gen(&[7u8; 32], b"").expect("ikm");
    let signature = other.sign(data);
    assert_eq!(
        key.verify(data, &signature).is_ok(),
        key == other.public_key()
    );
    let _ = key.pop_verify(&other.pop_prove());
});
