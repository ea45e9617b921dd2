#![no_main]
//! RFC 9578 tokens; a decoded token is verified against the vector key set and challenge
//! without panicking.

use blindpost::token::{self, Token};
use common::{format_error, roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(t) = roundtrip(data, Token::from_bytes, Token::to_bytes) else {
        return;
    };
    let v = vectors();
    if let Err(e) = token::verify(&t, &v.challenge, &v.token_keys) {
        format_error(&e);
    }
});
