#![no_main]
//! Protocol responses (server to client).

use blindpost::wire::Response;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip(data, Response::from_bytes, Response::to_bytes);
});
