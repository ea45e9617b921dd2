#![no_main]
//! RFC 9578 token requests.

use blindpost::token::TokenRequest;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip(data, TokenRequest::from_bytes, TokenRequest::to_bytes);
});
