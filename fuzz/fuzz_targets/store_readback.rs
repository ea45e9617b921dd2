#![no_main]
//! The server reading back values it did not write: a store adapter's engine hands back a
//! value with a bit flipped, cut short or grown, another value altogether, nothing where a value
//! is stored, or an error (`common::hosts::HostileStore`). From a point of the recorded run,
//! the next recorded requests are handled (at most one that signs or verifies) while the
//! `get` calls the input picks are answered corrupted.
//!
//! Invariants: no input panics; every response decodes, re-encodes to the same bytes and
//! answers its request's type; a refusal has no outputs (except a replayed reply's, SPEC.md
//! 12.8); a run with no corruption applied answers as the recorded run did where the recorded
//! server accepted.

use blindpost::server::Server;
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{ErrorCode, Request, Response};
use common::fixture::fixture;
use common::hosts::{HostileStore, ReadbackInput, MAX_READBACK_REQUESTS};
use common::steps::heavy_request;
use common::world::server_world;
use std::sync::{Mutex, OnceLock};

/// One server per process over the hostile store; each input swaps in its own.
fn server() -> &'static Mutex<Server<HostileStore>> {
    static SERVER: OnceLock<Mutex<Server<HostileStore>>> = OnceLock::new();
    SERVER.get_or_init(|| {
        Mutex::new(fixture().server_with(HostileStore::new(MemoryStore::new(), &[])))
    })
}

libfuzzer_sys::fuzz_target!(|input: ReadbackInput| {
    let world = server_world();
    let mut server = server().lock().unwrap_or_else(|p| p.into_inner());
    let start = usize::from(input.start) % world.pool.len();
    *server.store_mut() = HostileStore::new(world.points[start].store.clone(), &input.corruptions);
    let mut rng = VectorRng::new(b"blindpost fuzz store readback");
    let mut heavy_left = 1;
    let count = usize::from(input.requests).min(MAX_READBACK_REQUESTS);
    for i in start..(start + count).min(world.pool.len()) {
        let recorded = &world.pool[i];
        if heavy_request(&recorded.request) {
            if heavy_left == 0 {
                continue;
            }
            heavy_left -= 1;
        }
        let now = world.points[i].now;
        let handled = server.handle(&mut rng, now, recorded.channel, &recorded.request);
        let response = Response::from_bytes(&handled.response).expect("the response decodes");
        assert_eq!(response.to_bytes(), handled.response);
        if let Ok(request) = Request::from_bytes(&recorded.request) {
            assert_eq!(response.request_type(), request.request_type());
        }
        if let Response::Error { code, .. } = &response {
            assert!(
                handled.outputs.is_empty() || *code == ErrorCode::Replayed,
                "a refusal has outputs"
            );
        }
        // Untouched, the server is the recorded one: what it accepted is accepted again.
        if server.store().applied() == 0 && i == start && world.accepted[i] {
            assert!(
                !matches!(response, Response::Error { .. }),
                "a recorded request refused on an untouched store: {response:?}"
            );
        }
    }
});
