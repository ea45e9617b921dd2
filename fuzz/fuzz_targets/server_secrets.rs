#![no_main]
//! The server's persisted secrets blob; decoded secrets start a server when they match their
//! published key sets.

use blindpost::server::{Server, ServerConfig, ServerSecrets};
use blindpost::store::MemoryStore;
use common::{format_error, roundtrip};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(secrets) = roundtrip(data, ServerSecrets::from_bytes, |s| {
        s.to_bytes().expect("decoded secrets encode")
    }) else {
        return;
    };
    if let Err(e) = Server::new(ServerConfig::default(), secrets, MemoryStore::new()) {
        format_error(&e);
    }
});
