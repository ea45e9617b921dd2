#![no_main]
//! Deliveries (what the server queues for a recipient).

use blindpost::wire::Delivery;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip(data, Delivery::from_bytes, Delivery::to_bytes);
});
