#![no_main]
//! RFC 9578 token responses.

use blindpost::token::TokenResponse;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip(data, TokenResponse::from_bytes, TokenResponse::to_bytes);
});
