#![no_main]
//! Token key sets; a decoded set accepts itself as an update and finds its own keys.

use blindpost::token::TokenKeySet;
use blindpost::Time;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(set) = roundtrip(data, TokenKeySet::from_bytes, TokenKeySet::to_bytes) else {
        return;
    };
    assert!(set.check_update(&set, Time::EPOCH).is_ok());
    for entry in set.entries() {
        assert_eq!(set.key(&entry.key().id()), Some(entry.key()));
        let _ = set.preferred_key(entry.not_before());
    }
});
