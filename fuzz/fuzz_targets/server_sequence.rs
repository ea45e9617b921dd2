#![no_main]
//! The server state machine fed a sequence of requests (format in `common::steps`), starting
//! from a fresh fixture server. After every request: the response is well formed and answers
//! the request's type; a request that does not decode is answered `malformed`; a refusal has
//! no outputs and leaves the store unchanged (except a registration's code check counter, which
//! is the point of counting, and its code session, which a registration refused after consuming
//! it has burned: SPEC.md 12.2); every delivery handed to the host round-trips.

use blindpost::server::Output;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{Delivery, ErrorCode, Request, Response};
use common::fixture::{fixture, T0};
use common::steps::server_steps;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let server = fixture().server();
    let mut rng = VectorRng::new(b"blindpost fuzz server");
    let mut now = T0;
    for step in server_steps(data) {
        now = now.saturating_add(u64::from(step.delta));
        let before = server.store().snapshot(now).expect("snapshot");
        let handled = server.handle(&mut rng, now, step.channel, step.request);
        let response = Response::from_bytes(&handled.response).expect("the response decodes");
        assert_eq!(response.to_bytes(), handled.response);
        assert_eq!(handled.decoded.to_bytes(), handled.response);
        match Request::from_bytes(step.request) {
            Ok(request) => assert_eq!(response.request_type(), request.request_type()),
            Err(_) => assert!(
                matches!(
                    response,
                    Response::Error {
                        code: ErrorCode::Malformed,
                        ..
                    }
                ),
                "undecodable request answered {response:?}"
            ),
        }
        if let Response::Error { code, .. } = &response {
            // A replayed reply is queued again (SPEC.md 12.8); no other refusal has outputs.
            assert!(
                handled.outputs.is_empty() || *code == ErrorCode::Replayed,
                "a refusal has outputs"
            );
            // Code checks (`g`) and consumed code sessions (`v`) may change on a refusal.
            let others = |entries: Vec<blindpost::store::KeyValue>| {
                entries
                    .into_iter()
                    .filter(|(k, _)| !matches!(k.first(), Some(b'g' | b'v')))
                    .collect::<Vec<_>>()
            };
            let after = server.store().snapshot(now).expect("snapshot");
            assert!(
                others(before) == others(after),
                "a refused request ({code}) changed the store"
            );
        }
        for output in &handled.outputs {
            if let Output::Deliver { delivery, .. } = output {
                let bytes = delivery.to_bytes();
                assert_eq!(Delivery::from_bytes(&bytes).as_ref(), Ok(delivery));
            }
        }
    }
});
