#![no_main]
//! RSA private keys in PKCS#8 DER.

use blindpost::blind_rsa::SecretKey;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip(data, SecretKey::from_pkcs8_der, |k| {
        k.to_pkcs8_der().expect("a decoded key encodes")
    });
});
