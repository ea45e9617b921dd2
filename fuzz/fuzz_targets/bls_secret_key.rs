#![no_main]
//! BLS secret keys: decoding; a decoded key signs verifiably.

use blindpost::bls::SecretKey;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(key) = roundtrip(data, SecretKey::from_bytes, SecretKey::to_bytes) else {
        return;
    };
    let public = key.public_key();
    assert!(public.verify(data, &key.sign(data)).is_ok());
    assert!(public.pop_verify(&key.pop_prove()).is_ok());
});
