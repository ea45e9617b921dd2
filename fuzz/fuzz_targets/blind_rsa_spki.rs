#![no_main]
//! RSA public keys in the RFC 9578 SubjectPublicKeyInfo encoding.

use blindpost::blind_rsa::PublicKey;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(key) = roundtrip(data, PublicKey::from_spki_der, PublicKey::to_spki_der) {
        assert_eq!(key.modulus_be().len(), key.modulus_len());
    }
});
