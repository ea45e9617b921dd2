#![no_main]
//! The server state machine fed a structured sequence of requests (`common::steps`), starting
//! from the fixture server's store at a point of the recorded run (`common::world`), cloned.
//!
//! After every request: the response is well formed and answers the request's type; a request
//! that does not decode is answered `malformed`; a refusal has no outputs and leaves the store
//! unchanged (except a registration's code check counter, which is the point of counting, and
//! its code session, which a registration refused after consuming it has burned: SPEC.md
//! 12.2); every delivery handed to the host round-trips; no token attaches to two cold calls
//! (a retry of the same cold call is acknowledged as a duplicate); only a token's recipient
//! releases it; no reply is accepted twice; no counter in the store exceeds its limit.

use blindpost::account::{AccountId, Channel};
use blindpost::server::{Output, Server, ServerConfig, ServerSecrets};
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{Delivery, DeliveryHandle, ErrorCode, Request, Response};
use common::fixture::fixture;
use common::steps::{
    edited, heavy_budget, heavy_request, ChannelChoice, ServerAction, ServerInput, MAX_STEPS,
};
use common::world::{server_world, ServerWorld};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

/// One server per process (its keys are fixed); each input swaps in a prepared store.
fn server() -> &'static Mutex<Server<MemoryStore>> {
    static SERVER: OnceLock<Mutex<Server<MemoryStore>>> = OnceLock::new();
    SERVER.get_or_init(|| Mutex::new(fixture().server()))
}

/// `Response::from_bytes`, remembered for bytes decoded before in this process: the same
/// responses (a group key's above all, whose points' subgroup checks were the target's largest
/// cost) come back in almost every input.
fn decode_response(bytes: &[u8]) -> Response {
    static SEEN: OnceLock<Mutex<HashMap<Vec<u8>, Response>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(response) = seen.get(bytes) {
        return response.clone();
    }
    let response = Response::from_bytes(bytes).expect("the response decodes");
    if seen.len() >= 4096 {
        seen.clear();
    }
    seen.insert(bytes.to_vec(), response.clone());
    response
}

fn channel(world: &ServerWorld, choice: &ChannelChoice) -> Channel {
    match choice {
        ChannelChoice::Direct => Channel::Direct,
        ChannelChoice::Anonymous => Channel::Anonymous,
        ChannelChoice::Known(i) => match world.accounts.len() {
            0 => Channel::Direct,
            n => Channel::Authenticated(world.accounts[usize::from(*i) % n]),
        },
        ChannelChoice::Account(a) => Channel::Authenticated(AccountId(*a)),
    }
}

/// What was accepted so far, for the invariants across requests.
#[derive(Default)]
struct Accepted {
    /// Token nonce -> (recipient, sealed payload) of the cold call it attached to.
    tokens: HashMap<Vec<u8>, (AccountId, Vec<u8>)>,
    /// Delivery handle -> the recipient of its cold call.
    handles: HashMap<DeliveryHandle, AccountId>,
    /// Signatures of accepted replies.
    replies: HashSet<Vec<u8>>,
}

impl Accepted {
    fn note(
        &mut self,
        channel: Channel,
        request: &Request,
        handled: &Response,
        outputs: &[Output],
    ) {
        for output in outputs {
            if let Output::Deliver {
                recipient,
                delivery: Delivery::ColdCall { handle, .. },
            } = output
            {
                self.handles.insert(*handle, *recipient);
            }
        }
        match (request, handled) {
            (Request::ColdCall(call), Response::ColdCallAccepted { duplicate }) => {
                let this = (call.recipient, call.sealed.clone());
                match self.tokens.get(call.token.nonce().as_slice()) {
                    Some(first) => assert!(
                        *duplicate && *first == this,
                        "a token attached to a second cold call"
                    ),
                    None => {
                        self.tokens.insert(call.token.nonce().to_vec(), this);
                    }
                }
            }
            (Request::Reply(_), Response::Error { .. }) => {}
            (Request::Reply(reply), _) => assert!(
                self.replies.insert(reply.signature.to_bytes().to_vec()),
                "a reply was accepted twice"
            ),
            (Request::Release { handle }, Response::Released) => {
                if let (Some(recipient), Channel::Authenticated(by)) =
                    (self.handles.get(handle), channel)
                {
                    assert_eq!(*recipient, by, "a token released by another account");
                }
            }
            _ => {}
        }
    }
}

/// Counters in the store never exceed their configured limits.
fn check_counters(server: &Server<MemoryStore>, now: blindpost::Time) {
    let config = server.config();
    for (key, value) in server.store().snapshot(now).expect("snapshot") {
        let limit = match key.first() {
            Some(b'g') => u64::from(config.code_policy.max_attempts()),
            Some(b'C') => config.code_requests.max,
            Some(b'R') => config.registrations.max,
            Some(b'd') => config.discovery.tokens_per_window,
            _ => continue,
        };
        let count = u64::from_be_bytes(value.as_slice().try_into().expect("8-byte counter"));
        assert!(count <= limit, "counter {} is {count} > {limit}", hex(&key));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn restart(server: &mut Server<MemoryStore>) {
    let blob = server.secrets().to_bytes().expect("secrets encode");
    let secrets = ServerSecrets::from_bytes(&blob).expect("own secrets decode");
    let store = std::mem::take(server.store_mut());
    *server = Server::new(ServerConfig::default(), secrets, store).expect("restart");
}

libfuzzer_sys::fuzz_target!(|input: ServerInput| {
    let world = server_world();
    let mut server = server().lock().unwrap_or_else(|p| p.into_inner());
    let start = usize::from(input.start) % world.points.len();
    world.server_at(&mut server, start);
    let mut now = world.points[start].now;
    let mut next = start;
    // The prefix's tokens and replies count; its delivery handles are not listed (releases
    // of those are left to the server's own record).
    let mut accepted = Accepted::default();
    for (channel, request, response) in world.accepted_before(start) {
        accepted.note(channel, request, response, &[]);
    }
    let mut rng = VectorRng::new(b"blindpost fuzz server");
    let mut heavy_left = heavy_budget(&input);
    for action in input.steps.iter().take(MAX_STEPS) {
        let (channel, bytes) = match action {
            ServerAction::Next => {
                let Some(r) = world.pool.get(next) else {
                    continue;
                };
                next += 1;
                (r.channel, r.request.clone())
            }
            ServerAction::Recorded { index, channel: c } => {
                let r = &world.pool[usize::from(*index) % world.pool.len()];
                (
                    c.as_ref().map_or(r.channel, |c| channel(world, c)),
                    r.request.clone(),
                )
            }
            ServerAction::Mutated { index, edits } => {
                let r = &world.pool[usize::from(*index) % world.pool.len()];
                (r.channel, edited(&r.request, edits))
            }
            ServerAction::Raw { channel: c, bytes } => (channel(world, c), bytes.clone()),
            ServerAction::Wait { secs } => {
                now = now.saturating_add(u64::from(*secs));
                continue;
            }
            ServerAction::Restart => {
                if heavy_left > 0 {
                    heavy_left -= 1;
                    restart(&mut server);
                }
                continue;
            }
        };
        if heavy_request(&bytes) {
            if heavy_left == 0 {
                continue;
            }
            heavy_left -= 1;
        }
        let before = server.store().snapshot(now).expect("snapshot");
        let handled = server.handle(&mut rng, now, channel, &bytes);
        let response = decode_response(&handled.response);
        assert_eq!(response.to_bytes(), handled.response);
        assert_eq!(handled.decoded.to_bytes(), handled.response);
        match Request::from_bytes(&bytes) {
            Ok(request) => {
                assert_eq!(response.request_type(), request.request_type());
                accepted.note(channel, &request, &response, &handled.outputs);
            }
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
        check_counters(&server, now);
    }
});
