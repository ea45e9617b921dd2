#![no_main]
//! A client's pending token state; a decoded one finalizes a (wrong) response without
//! panicking.

use blindpost::token::PendingToken;
use common::{format_error, roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(pending) = roundtrip(data, PendingToken::from_bytes, PendingToken::to_bytes) else {
        return;
    };
    if let Err(e) = pending.finalize(&vectors().token_response) {
        format_error(&e);
    }
});
