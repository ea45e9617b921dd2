#![no_main]
//! The client's persisted state blob: decoding, and a restored client answers every query and
//! hands out well-formed transmits.

use blindpost::client::Client;
use blindpost::Time;
use common::fixture::client_settings;
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(mut client) = roundtrip(
        data,
        |b| Client::from_bytes(b, client_settings()),
        // A decoded state is within every limit, so it always encodes again.
        |c| c.to_bytes().expect("a decoded state encodes"),
    ) else {
        return;
    };
    let _ = (client.account(), client.contacts(), client.token_counts());
    let _ = (
        client.poll_timeout(),
        client.outstanding(),
        client.discovery_tokens(0),
    );
    while client.poll_transmit(Time::MAX).is_some() {}
});
