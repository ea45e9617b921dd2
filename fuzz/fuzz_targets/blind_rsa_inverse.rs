#![no_main]
//! The blinding inverse a client keeps between blinding and finalizing (decoded against the
//! token vectors' key): accepted exactly when it is a unit below the modulus, and kept byte
//! for byte.

use blindpost::blind_rsa::BlindingInverse;
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let key = vectors().token_keys.entries()[0].key().public_key();
    roundtrip(
        data,
        |b| BlindingInverse::from_bytes(key, b),
        BlindingInverse::to_bytes,
    );
});
