#![no_main]
//! The client state machine fed responses, deliveries, timeouts and send failures (format in
//! `common::steps`), starting from one of the recorded client states. A refused response,
//! delivery or send failure changes neither the state nor the events; every transmit is a
//! well-formed request for its channel; the final state blob round-trips.

use blindpost::client::{Client, RequestId};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::Request;
use common::fixture::{client_settings, fixture};
use common::format_error;
use common::steps::{client_steps, ClientStep};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let recording = fixture().recording();
    let (scenario, steps) = client_steps(data);
    let scenario = &recording.scenarios[usize::from(scenario) % recording.scenarios.len()];
    let mut client =
        Client::from_bytes(&scenario.state, client_settings()).expect("scenario state");
    let mut rng = VectorRng::new(b"blindpost fuzz client");
    let mut now = scenario.now;
    for step in steps {
        while client.poll_event().is_some() {}
        let before = client.to_bytes().expect("state encodes");
        let outcome = match step {
            ClientStep::Response { id, delta, bytes } => {
                now = now.saturating_add(u64::from(delta));
                client.handle_response(&mut rng, now, RequestId(id), bytes)
            }
            ClientStep::Delivery {
                delta,
                delivery,
                opened,
            } => {
                now = now.saturating_add(u64::from(delta));
                client.handle_delivery(now, delivery, opened)
            }
            ClientStep::Timeout { delta } => {
                now = now.saturating_add(u64::from(delta));
                client.handle_timeout(&mut rng, now);
                Ok(())
            }
            ClientStep::SendFailure { id } => client.handle_send_failure(RequestId(id)),
            ClientStep::Poll => {
                while let Some(t) = client.poll_transmit(now) {
                    let request = Request::from_bytes(&t.bytes).expect("transmits decode");
                    assert_eq!(request.channel(), t.channel.kind());
                    assert_eq!(request.to_bytes(), t.bytes);
                }
                Ok(())
            }
        };
        if let Err(e) = outcome {
            format_error(&e);
            assert!(
                *client.to_bytes().expect("state encodes") == *before,
                "a refused input changed the state: {e}"
            );
            assert!(
                client.poll_event().is_none(),
                "a refused input made an event: {e}"
            );
        }
    }
    // Every intermediate state is the final state of a shorter input, so checking the round
    // trip once at the end covers them all (and keeps executions fast).
    let blob = client.to_bytes().expect("state encodes");
    let restored = Client::from_bytes(&blob, client_settings()).expect("own state decodes");
    assert!(
        *restored.to_bytes().expect("state encodes") == *blob,
        "the state blob does not round-trip"
    );
});
