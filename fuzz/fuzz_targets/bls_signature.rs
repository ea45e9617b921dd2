#![no_main]
//! BLS signatures: decoding; a decoded signature is verified without panicking.

use blindpost::bls::{SecretKey, Signature};
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(signature) = roundtrip(data, Signature::from_bytes, Signature::to_bytes) else {
        return;
    };
    let key = SecretKey::key_gen(&[7u8; 32], b"").expect("ikm");
    let expected = key.sign(b"message");
    let verified = key.public_key().verify(b"message", &signature);
    assert_eq!(verified.is_ok(), signature == expected);
});
