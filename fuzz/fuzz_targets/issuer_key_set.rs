#![no_main]
//! Certificate issuer key sets: decoding; lookups by id find every key.

use blindpost::certificate::IssuerKeySet;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(set) = roundtrip(data, IssuerKeySet::from_bytes, IssuerKeySet::to_bytes) else {
        return;
    };
    for key in set.keys() {
        assert_eq!(set.get(&key.id()), Some(key));
    }
    let _ = set.fingerprint();
});
