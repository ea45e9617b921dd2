#![no_main]
//! Protocol requests (client to server).

use blindpost::wire::Request;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(request) = roundtrip(data, Request::from_bytes, Request::to_bytes) {
        assert_eq!(request.channel(), request.request_type().channel());
    }
});
