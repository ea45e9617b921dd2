#![no_main]
//! The client state machine fed a structured sequence of responses, deliveries, timeouts, send
//! failures, polls and restarts (`common::steps`), starting from a clone of one of the recorded
//! client states (restored once per process). Recorded inputs are picked from the scenario's
//! pool; pooled responses and deliveries (which verify signatures) count as heavy steps
//! (`common::steps::heavy_budget`).
//!
//! After every step: a refused input changes neither the state nor the events; every transmit
//! is a well-formed request for its channel; the state blob round-trips (`to_bytes` →
//! `from_bytes` → `to_bytes` identical) after every step in the inputs with a heavy budget,
//! after the last step in one input of 8 (every intermediate state is the last of a shorter
//! input; decoding a state costs ~1 ms). A restart from the blob (after the app drained the
//! events) keeps everything the client was told: the same blob, and every transmit the running
//! client still had to send (the restarted one also resends what was in flight).

use blindpost::account::ChannelKind;
use blindpost::client::{Client, RequestId};
use blindpost::simulation::Input;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::Request;
use blindpost::Time;
use common::fixture::{client_settings, fixture};
use common::format_error;
use common::steps::{edited, heavy_budget, one_in, ClientAction, ClientInput, Part, MAX_STEPS};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Every scenario's client, restored once per process (inputs clone them).
fn clients() -> &'static [Client] {
    static CLIENTS: OnceLock<Vec<Client>> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        fixture()
            .recording()
            .scenarios
            .iter()
            .map(|s| Client::from_bytes(&s.state, client_settings()).expect("scenario state"))
            .collect()
    })
}

/// Drains the transmits, checking each: it decodes, re-encodes to the same bytes, and names the
/// channel it goes by.
fn transmits(client: &mut Client, now: Time) -> Vec<(RequestId, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(t) = client.poll_transmit(now) {
        assert_eq!(channel_of_checked(&t.bytes), t.channel.kind());
        out.push((t.id, t.bytes));
    }
    out
}

/// The channel kind of a transmit's request, once it decoded and re-encoded to the same bytes;
/// remembered for bytes checked before in this process (the same registration and key requests,
/// whose group keys cost subgroup checks, leave in many inputs).
fn channel_of_checked(bytes: &[u8]) -> ChannelKind {
    static SEEN: OnceLock<Mutex<HashMap<Vec<u8>, ChannelKind>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(kind) = seen.get(bytes) {
        return *kind;
    }
    let request = Request::from_bytes(bytes).expect("transmits decode");
    assert_eq!(request.to_bytes(), bytes);
    if seen.len() >= 4096 {
        seen.clear();
    }
    seen.insert(bytes.to_vec(), request.channel());
    request.channel()
}

/// `Client::from_bytes` of the client's own blob, remembered for blobs restored before in this
/// process: decoding was four fifths of the target's time (RSA inverses of pending tokens, the
/// manager key's check, key sets), and restarts from the same states recur in many inputs.
fn restored(blob: &[u8]) -> Client {
    static SEEN: OnceLock<Mutex<HashMap<Vec<u8>, Client>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(client) = seen.get(blob) {
        return client.clone();
    }
    let client = Client::from_bytes(blob, client_settings()).expect("own state decodes");
    if seen.len() >= 1024 {
        seen.clear();
    }
    seen.insert(blob.to_vec(), client.clone());
    client
}

libfuzzer_sys::fuzz_target!(|input: ClientInput| {
    let recording = fixture().recording();
    let index = usize::from(input.scenario) % recording.scenarios.len();
    let scenario = &recording.scenarios[index];
    let mut client = clients()[index].clone();
    let mut rng = VectorRng::new(b"blindpost fuzz client");
    let mut now = scenario.now;
    let mut next = 0;
    let mut heavy_left = heavy_budget(&input);
    // Decoding a state costs ~1 ms (subgroup checks, RSA inverses): the round trip is checked
    // after every step in the inputs with a heavy budget, and after the last step in one input
    // of 8 (every intermediate state is the last of a shorter input).
    let check_every_step = heavy_left > 0;
    let check_last = check_every_step || one_in(&input, 8);
    let mut checked = client.to_bytes().expect("state encodes");
    for action in input.steps.iter().take(MAX_STEPS) {
        while client.poll_event().is_some() {}
        let before = client.to_bytes().expect("state encodes");
        let pooled = |i: usize, part: Option<(Part, &[common::steps::Edit])>| {
            let given = scenario.inputs.get(i % scenario.inputs.len().max(1))?;
            let mut input = given.input.clone();
            if let Some((part, edits)) = part {
                match (&mut input, part) {
                    (Input::Response { bytes, .. }, _) => *bytes = edited(bytes, edits),
                    (Input::Delivery { delivery, .. }, Part::Message) => {
                        *delivery = edited(delivery, edits)
                    }
                    (Input::Delivery { opened, .. }, Part::Opened) => {
                        *opened = edited(opened, edits)
                    }
                    (Input::Timeout, _) => {}
                }
            }
            Some((given.now, input))
        };
        let given = match action {
            ClientAction::Next => {
                next += 1;
                pooled(next - 1, None).filter(|_| next <= scenario.inputs.len())
            }
            ClientAction::Recorded { index } => pooled(usize::from(*index), None),
            ClientAction::Mutated { index, part, edits } => {
                pooled(usize::from(*index), Some((*part, edits)))
            }
            _ => None,
        };
        let outcome = match (action, given) {
            (_, Some((at, input))) => {
                now = now.max(at);
                if !matches!(input, Input::Timeout) {
                    if heavy_left == 0 {
                        continue;
                    }
                    heavy_left -= 1;
                }
                match input {
                    Input::Response { id, bytes } => {
                        client.handle_response(&mut rng, now, id, &bytes)
                    }
                    Input::Delivery { delivery, opened } => {
                        client.handle_delivery(now, &delivery, &opened)
                    }
                    Input::Timeout => {
                        client.handle_timeout(&mut rng, now);
                        Ok(())
                    }
                }
            }
            (ClientAction::Response { id, bytes }, None) => {
                client.handle_response(&mut rng, now, RequestId(*id), bytes)
            }
            (ClientAction::Delivery { delivery, opened }, None) => {
                client.handle_delivery(now, delivery, opened)
            }
            (ClientAction::Timeout { secs }, None) => {
                now = now.saturating_add(u64::from(*secs));
                client.handle_timeout(&mut rng, now);
                Ok(())
            }
            (ClientAction::SendFailure { id }, None) => client.handle_send_failure(RequestId(*id)),
            (ClientAction::Poll, None) => {
                transmits(&mut client, now);
                Ok(())
            }
            (ClientAction::Restart, None) => {
                let blob = client.to_bytes().expect("state encodes");
                let again = restored(&blob);
                assert!(
                    *again.to_bytes().expect("state encodes") == *blob,
                    "a restart changed the state"
                );
                // The restarted client sends again what was in flight, and everything the old
                // one still had to send.
                let resent = transmits(&mut again.clone(), now);
                for pending in transmits(&mut client.clone(), now) {
                    assert!(
                        resent.contains(&pending),
                        "a restart lost a pending transmit"
                    );
                }
                client = again;
                Ok(())
            }
            (
                ClientAction::Next | ClientAction::Recorded { .. } | ClientAction::Mutated { .. },
                None,
            ) => continue,
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
        // The blob round-trips (checked again only when it changed).
        let blob = client.to_bytes().expect("state encodes");
        if check_every_step && *blob != *checked {
            assert!(
                *restored(&blob).to_bytes().expect("state encodes") == *blob,
                "the state blob does not round-trip"
            );
            checked = blob;
        }
    }
    let blob = client.to_bytes().expect("state encodes");
    if check_last && *blob != *checked {
        assert!(
            *restored(&blob).to_bytes().expect("state encodes") == *blob,
            "the state blob does not round-trip"
        );
    }
});
