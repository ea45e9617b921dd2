#![no_main]
//! RFC 9577 token challenges.

use blindpost::token::TokenChallenge;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip(data, TokenChallenge::from_bytes, TokenChallenge::to_bytes);
});
