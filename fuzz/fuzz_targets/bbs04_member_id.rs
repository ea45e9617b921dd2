#![no_main]
//! BBS04 member ids.

use blindpost::bbs04::MemberId;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip(data, MemberId::from_bytes, MemberId::to_bytes);
});
