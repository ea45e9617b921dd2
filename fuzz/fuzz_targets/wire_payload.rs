#![no_main]
//! Sealed-payload plaintexts (introductions and messages); a decoded introduction is verified
//! against the fixture issuer keys without panicking.

use blindpost::account::AccountId;
use blindpost::wire::Payload;
use blindpost::Time;
use common::fixture::{fixture, T0};
use common::{format_error, roundtrip};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(Payload::Introduction(intro)) =
        roundtrip(data, Payload::from_bytes, Payload::to_bytes)
    else {
        return;
    };
    let issuers = &fixture().keys().certificate_issuers;
    let me = intro.content().recipient;
    for (recipient, now) in [(me, T0), (AccountId([0; 32]), Time::MAX)] {
        if let Err(e) = intro.verify(issuers, &recipient, now, 300) {
            format_error(&e);
        }
    }
});
