//! Malformed and foreign input on both sides: every refusal is typed and changes no state.
//!
//! Server: every request of a full conversation (plus a group key rotation, which the clients
//! never send) is truncated, extended, given an unknown version or type, and bit-flipped at
//! chosen positions (header, length prefixes, embedded keys, tokens, points, scalars); each
//! result must not decode and must be answered `malformed` with the store unchanged. A few
//! mutations that still decode are checked for their specific codes (a wrong verification code
//! is the one refusal that legitimately writes: its counter, and only it).
//!
//! Client: every response and delivery of a full conversation is first fed, mutated, to a copy
//! of the receiving client restored from its persisted state; each must be refused with the
//! typed error and leave the state byte for byte unchanged with no event.

use crate::conversation::conversation;
use blindpost::account::Channel;
use blindpost::bbs04::{GroupManagerKey, GroupSignature, PreparedGroupKey};
use blindpost::client::{Client, ClientError, RequestId, Transmit};
use blindpost::simulation::raw::{decode, error_code};
use blindpost::simulation::{settings, World};
use blindpost::store::KeyValue;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{
    reply_context, Delivery, ErrorCode, Payload, Request, RequestType, Response,
    REPLY_TIME_GRANULARITY,
};
use blindpost::Time;
use std::cell::RefCell;
use std::rc::Rc;

// ----- server -----

/// Positions worth flipping every bit of (lengths, versions, token types, counts) and
/// positions of compressed points and scalars, where only the flag bits and the top bit are
/// flipped (the other bits can give another valid point or scalar).
struct Positions {
    all_bits: Vec<(&'static str, usize)>,
    /// Compressed points: bits 7 (compression) and 6 (infinity).
    points: Vec<(&'static str, usize)>,
    /// Big-endian scalars: bit 7 of the first byte (the value then exceeds r).
    scalars: Vec<(&'static str, usize)>,
}

fn positions(request: &Request, bytes: &[u8]) -> Positions {
    let mut p = Positions {
        all_bits: vec![("version", 0), ("type", 1)],
        points: Vec::new(),
        scalars: Vec::new(),
    };
    const TOKEN: usize = 354;
    const TOKEN_REQUEST: usize = 259;
    let group_key = |p: &mut Positions, at: usize| {
        p.all_bits.push(("group key version", at));
        p.points.push(("group key g1", at + 5));
        p.points.push(("group key w", at + 5 + 48 + 96 + 48 * 3));
    };
    match request {
        Request::RequestCode { .. } => p.all_bits.push(("phone length", 2)),
        Request::Register(r) => {
            let phone_len = usize::from(bytes[2]);
            let code_at = 3 + phone_len + 32;
            let identity = code_at + 1 + usize::from(bytes[code_at]);
            let host_at = identity + 48 + 96;
            let group_at = host_at + 1 + usize::from(bytes[host_at]);
            let count_at = group_at + 389;
            p.all_bits.extend([
                ("phone length", 2),
                ("code length", code_at),
                ("host key length", host_at),
                ("token request count", count_at),
            ]);
            p.points.push(("identity key", identity));
            p.points.push(("proof of possession", identity + 48));
            group_key(&mut p, group_at);
            if !r.token_requests.is_empty() {
                p.all_bits.push(("token request type", count_at + 1));
                p.all_bits.push(("token request type", count_at + 2));
            }
        }
        Request::ColdCall(_) => {
            p.all_bits.extend([
                ("token type", 34),
                ("token type", 35),
                ("sealed length", 34 + TOKEN),
                ("sealed length", 34 + TOKEN + 3),
            ]);
        }
        Request::Reply(_) => {
            let sig = bytes.len() - GroupSignature::SIZE;
            // R3's first coefficient: every bit flipped gives a value outside GT (or >= p).
            p.all_bits.extend([
                ("sealed length", 46),
                ("sealed length", 49),
                ("signature version", sig),
                ("signature R3", sig + 337),
                ("signature R3", sig + 337 + 47),
            ]);
            p.points.push(("signature T1", sig + 1));
            p.points.push(("signature T3", sig + 1 + 96));
            p.scalars.push(("signature c", sig + 1 + 144));
            p.scalars.push(("signature s_delta2", sig + 1 + 144 + 160));
        }
        Request::FetchGroupKey { .. } | Request::FetchKeys | Request::Release { .. } => {}
        Request::RenewToken { .. } => {
            p.all_bits.extend([
                ("token type", 2),
                ("token type", 3),
                ("token request type", 2 + TOKEN),
                ("token request type", 3 + TOKEN),
                ("stamp request type", 2 + TOKEN + TOKEN_REQUEST),
            ]);
        }
        Request::RedeemStamps { .. } => {
            p.all_bits
                .extend([("stamp count", 2), ("token type", 3), ("token type", 4)]);
        }
        Request::ClaimBulkTokens { .. } => {
            p.all_bits.extend([
                ("proof length", 2),
                ("proof length", 3),
                ("proof version", 4),
            ]);
        }
        Request::Lookup { .. } => {
            p.all_bits.extend([
                ("token type", 2),
                ("token type", 3),
                ("phone count", 2 + TOKEN),
                ("phone length", 3 + TOKEN),
            ]);
        }
        Request::UploadRevocation { .. } => {
            p.all_bits.push(("record version", 2));
            p.points.push(("record A", 7));
            p.scalars.push(("record x", 7 + 48));
            p.points.push(("record g2", 7 + 48 + 32));
        }
        Request::RotateGroupKey { .. } => group_key(&mut p, 2),
        Request::IssueDiscoveryTokens { .. } => {
            p.all_bits.extend([
                ("request count", 10),
                ("token request type", 11),
                ("token request type", 12),
            ]);
        }
    }
    p
}

/// Mutations that must not decode.
fn undecodable(request: &Request, bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let n = bytes.len();
    let mut out = Vec::new();
    let mut lengths = vec![0, 1, 2, n / 2, n - 1];
    lengths.sort();
    lengths.dedup();
    for len in lengths.into_iter().filter(|l| *l < n) {
        out.push((format!("truncated to {len}"), bytes[..len].to_vec()));
    }
    for extra in [0u8, 0xff] {
        out.push((format!("trailing {extra:#x}"), [bytes, &[extra]].concat()));
    }
    for version in [0u8, 2, 0xff] {
        let mut m = bytes.to_vec();
        m[0] = version;
        out.push((format!("version {version}"), m));
    }
    for t in [0u8, 0x03, 0x7f, 0xff] {
        let mut m = bytes.to_vec();
        m[1] = t;
        out.push((format!("type {t:#x}"), m));
    }
    let p = positions(request, bytes);
    let flips = p
        .all_bits
        .iter()
        .flat_map(|&(what, at)| (0..8).map(move |bit| (what, at, bit)))
        .chain(
            p.points
                .iter()
                .flat_map(|&(what, at)| [7, 6].map(|bit| (what, at, bit))),
        )
        .chain(p.scalars.iter().map(|&(what, at)| (what, at, 7)));
    for (what, at, bit) in flips {
        let mut m = bytes.to_vec();
        m[at] ^= 1 << bit;
        out.push((format!("{what} (byte {at}) bit {bit}"), m));
    }
    out
}

fn flip(bytes: &[u8], at: usize, mask: u8) -> Vec<u8> {
    let mut m = bytes.to_vec();
    m[at] ^= mask;
    m
}

/// A reply's bytes with its timestamp (bytes 38..46) one [`REPLY_TIME_GRANULARITY`] earlier.
fn earlier_timestamp(bytes: &[u8]) -> Vec<u8> {
    let mut m = bytes.to_vec();
    let t = u64::from_be_bytes(m[38..46].try_into().unwrap());
    m[38..46].copy_from_slice(&(t - REPLY_TIME_GRANULARITY).to_be_bytes());
    m
}

/// Mutations that still decode, with the code each must get. `generation` is the current
/// generation of a reply's recipient (a reply under an older one is stale before anything
/// else is checked).
fn decodable(
    request: &Request,
    bytes: &[u8],
    generation: Option<u32>,
) -> Vec<(&'static str, Vec<u8>, ErrorCode)> {
    let n = bytes.len();
    match request {
        Request::Register(r) => {
            let code_at = 3 + usize::from(bytes[2]) + 32;
            let identity = code_at + 1 + usize::from(bytes[code_at]);
            let mut out = vec![(
                // The sign bit: the negated identity key, whose proof does not verify.
                "identity key negated",
                flip(bytes, identity, 0x20),
                ErrorCode::BadProofOfPossession,
            )];
            if r.token_requests.len() == 5 {
                // The last token request's blinded message made >= every 2048-bit modulus.
                let mut m = bytes.to_vec();
                m[n - 256] = 0xff;
                m[n - 255] = 0xff;
                out.push((
                    "blinded message above the modulus",
                    m,
                    ErrorCode::InvalidToken,
                ));
            }
            out
        }
        Request::ColdCall(_) => vec![
            (
                "unknown recipient",
                flip(bytes, 2, 1),
                ErrorCode::UnknownRecipient,
            ),
            (
                "token authenticator",
                flip(bytes, 2 + 32 + 353, 1),
                ErrorCode::InvalidToken,
            ),
        ],
        Request::Reply(r) => {
            let code = if generation == Some(r.generation) {
                ErrorCode::BadSignature
            } else {
                ErrorCode::StaleGeneration
            };
            vec![
                ("sealed payload", flip(bytes, 50, 1), code),
                // One granularity earlier: still a reply timestamp, still within the skew.
                ("timestamp", earlier_timestamp(bytes), code),
                (
                    "unknown recipient",
                    flip(bytes, 2, 1),
                    ErrorCode::UnknownRecipient,
                ),
            ]
        }
        Request::FetchGroupKey { .. } => vec![(
            "unknown account",
            flip(bytes, 2, 1),
            ErrorCode::UnknownRecipient,
        )],
        Request::RenewToken { .. } => vec![(
            "token authenticator",
            flip(bytes, 2 + 353, 1),
            ErrorCode::UnknownToken,
        )],
        Request::Lookup { .. } => vec![(
            "token authenticator",
            flip(bytes, 2 + 353, 1),
            ErrorCode::InvalidToken,
        )],
        Request::RedeemStamps { .. } => vec![(
            "stamp authenticator",
            flip(bytes, 3 + 353, 1),
            ErrorCode::InvalidToken,
        )],
        Request::Release { .. } => vec![(
            "unknown handle",
            flip(bytes, 2, 1),
            ErrorCode::UnknownHandle,
        )],
        Request::UploadRevocation { .. } => vec![(
            "record generation",
            flip(bytes, 6, 1),
            ErrorCode::BadRevocation,
        )],
        Request::IssueDiscoveryTokens { .. } => {
            vec![("window", flip(bytes, 9, 1), ErrorCode::WrongWindow)]
        }
        Request::RequestCode { .. }
        | Request::FetchKeys
        | Request::RotateGroupKey { .. }
        | Request::ClaimBulkTokens { .. } => Vec::new(),
    }
}

/// The store entries that differ between two snapshots.
fn changed(before: &[KeyValue], after: &[KeyValue]) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = before
        .iter()
        .filter(|e| !after.contains(e))
        .chain(after.iter().filter(|e| !before.contains(e)))
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[test]
fn the_server_refuses_every_malformed_request_with_a_typed_error_and_no_state_change() {
    let c = conversation(World::new("malformed requests"));
    let mut world = c.world;
    let mut requests: Vec<(Channel, Vec<u8>, Time)> = world
        .received
        .iter()
        .map(|r| (r.channel, r.bytes.clone(), r.now))
        .collect();
    let rotate = Request::RotateGroupKey {
        group_key: GroupManagerKey::generate(&mut world.rng)
            .public_key()
            .clone(),
    };
    requests.push((
        Channel::Authenticated(c.bob.account()),
        rotate.to_bytes(),
        world.now,
    ));
    let mut types = std::collections::BTreeSet::new();
    let mut count = 0;
    for (channel, bytes, now) in requests {
        let request = Request::from_bytes(&bytes).unwrap();
        let name = request.request_type().name();
        types.insert(name);
        // Each mutation is sent when the original was, so only the mutation decides the code.
        world.now = now;
        for (what, mutated) in undecodable(&request, &bytes) {
            assert!(
                Request::from_bytes(&mutated).is_err(),
                "{name}: {what} still decodes"
            );
            let before = world.snapshot();
            let (queued, sms) = (world.queues.clone(), world.sms.len());
            let response = decode(&world.send(channel, &mutated));
            let Response::Error { code, .. } = response else {
                panic!("{name}: {what} accepted: {response:?}")
            };
            assert_eq!(code, ErrorCode::Malformed, "{name}: {what}");
            assert_eq!(world.snapshot(), before, "{name}: {what} changed the store");
            assert_eq!((world.queues.clone(), world.sms.len()), (queued, sms));
            count += 1;
        }
        let generation = match &request {
            Request::Reply(r) => {
                let fetch = Request::FetchGroupKey {
                    account: r.recipient,
                };
                match decode(&world.send(Channel::Anonymous, &fetch.to_bytes())) {
                    Response::GroupKey(update) => Some(update.group_key.generation()),
                    other => panic!("{other:?}"),
                }
            }
            _ => None,
        };
        for (what, mutated, expected) in decodable(&request, &bytes, generation) {
            assert!(
                Request::from_bytes(&mutated).is_ok(),
                "{name}: {what} does not decode"
            );
            if expected == ErrorCode::BadProofOfPossession {
                // Refused after the code check, which counts (SPEC.md 9.3): only its counter
                // changes.
                let before = world.snapshot();
                let response = world.send(channel, &mutated);
                assert_eq!(error_code(&response), Some(expected), "{name}: {what}");
                let changed = changed(&before, &world.snapshot());
                assert_eq!(changed.len(), 1, "{name}: {what}: only the check counter");
                assert_eq!(changed[0][0], b'g', "{name}: {what}");
            } else {
                world.refused(channel, &mutated, expected);
            }
            count += 1;
        }
    }
    assert_eq!(types.len(), 12, "every request type: {types:?}");
    assert!(count > 500, "{count} mutations");

    // The one refusal that writes: a code check counts, and nothing else changes.
    let register = world
        .received
        .iter()
        .find(|r| r.bytes[1] == RequestType::Register as u8 && r.sender.is_some())
        .unwrap()
        .clone();
    world.now = register.now;
    let code_at = 3 + usize::from(register.bytes[2]) + 32 + 1;
    let mut wrong = register.bytes.clone();
    wrong[code_at] = if wrong[code_at] == b'9' {
        b'0'
    } else {
        wrong[code_at] + 1
    };
    let before = world.snapshot();
    let response = world.send(Channel::Direct, &wrong);
    assert_eq!(error_code(&response), Some(ErrorCode::WrongCode));
    let after = world.snapshot();
    let changed = changed(&before, &after);
    assert_eq!(changed.len(), 1, "only the attempt counter");
    assert_eq!(changed[0][0], b'g', "the attempt counter's namespace");
}

// ----- client -----

/// A copy of `client` restored from its persisted state (so its event queue is empty).
fn copy(client: &Client) -> Client {
    Client::from_bytes(&client.to_bytes().unwrap(), settings()).unwrap()
}

/// Feeds `input` to a copy of `client` with `f`: it must fail with `expected` and change
/// nothing.
#[track_caller]
fn refused(
    client: &Client,
    what: &str,
    expected: ClientError,
    f: impl FnOnce(&mut Client) -> Result<(), ClientError>,
) {
    let mut c = copy(client);
    let before = c.to_bytes().unwrap();
    assert_eq!(f(&mut c), Err(expected), "{what}");
    assert_eq!(*c.to_bytes().unwrap(), *before, "{what}: state changed");
    assert_eq!(c.poll_event(), None, "{what}: event produced");
}

fn response_mutations(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let n = bytes.len();
    let mut out = Vec::new();
    let mut lengths = vec![0, 1, 2, n / 2, n - 1];
    lengths.sort();
    lengths.dedup();
    for len in lengths.into_iter().filter(|l| *l < n) {
        out.push((format!("truncated to {len}"), bytes[..len].to_vec()));
    }
    out.push(("trailing byte".into(), [bytes, &[0]].concat()));
    out.push(("version 2".into(), flip(bytes, 0, 3)));
    out.push(("unknown type".into(), flip(bytes, 1, 0x80)));
    out.push(("status 2".into(), {
        let mut m = bytes.to_vec();
        m[2] = 2;
        m
    }));
    out
}

fn check_response(client: &Client, t: &Transmit, response: &[u8], now: Time) {
    let own = RequestType::from_u8(t.bytes[1]).unwrap();
    let mut rng = VectorRng::new(b"client malformed responses");
    for (what, m) in response_mutations(response) {
        let expected = match Response::from_bytes(&m) {
            Err(e) => ClientError::Wire(e),
            Ok(r) if r.request_type() != own => ClientError::UnexpectedResponse,
            Ok(r) => panic!("{}: {what} still answers it: {r:?}", own.name()),
        };
        refused(client, &format!("{}: {what}", own.name()), expected, |c| {
            c.handle_response(&mut rng, now, t.id, &m)
        });
    }
    // A valid response to another kind of request, and a response for no request.
    let foreign = if own == RequestType::RequestCode {
        Response::Released
    } else {
        Response::CodeSent
    };
    refused(
        client,
        &format!("{}: foreign response", own.name()),
        ClientError::UnexpectedResponse,
        |c| c.handle_response(&mut rng, now, t.id, &foreign.to_bytes()),
    );
    refused(
        client,
        "unknown request id",
        ClientError::UnknownRequest,
        |c| c.handle_response(&mut rng, now, RequestId(u64::MAX), response),
    );
}

fn delivery_mutations(delivery: &Delivery, bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let n = bytes.len();
    let mut out = vec![
        ("empty".to_string(), Vec::new()),
        ("truncated".to_string(), bytes[..n - 1].to_vec()),
        ("trailing byte".to_string(), [bytes, &[0]].concat()),
        ("version 2".to_string(), flip(bytes, 0, 3)),
        ("unknown kind".to_string(), flip(bytes, 1, 0x04)),
    ];
    match delivery {
        Delivery::ColdCall { .. } => {
            for at in [26, 29] {
                out.push((format!("sealed length byte {at}"), flip(bytes, at, 1)));
            }
        }
        Delivery::Reply { .. } => {
            let sig = n - GroupSignature::SIZE;
            for at in [14, 17] {
                out.push((format!("sealed length byte {at}"), flip(bytes, at, 1)));
            }
            out.push(("signature version".into(), flip(bytes, sig, 2)));
            out.push(("signature T1 flag".into(), flip(bytes, sig + 1, 0x80)));
            out.push(("signature c top bit".into(), flip(bytes, sig + 145, 0x80)));
            out.push(("signature R3".into(), flip(bytes, sig + 400, 0x01)));
        }
    }
    out
}

fn check_delivery(client: &Client, bytes: &[u8], opened: &[u8], now: Time) {
    let delivery = Delivery::from_bytes(bytes).unwrap();
    for (what, m) in delivery_mutations(&delivery, bytes) {
        let e = Delivery::from_bytes(&m).expect_err(&what);
        refused(
            client,
            &format!("delivery {what}"),
            ClientError::Wire(e),
            |c| c.handle_delivery(now, &m, opened),
        );
    }
    let n = opened.len();
    for (what, m) in [
        ("truncated", opened[..n - 1].to_vec()),
        ("trailing byte", [opened, &[0]].concat()),
        ("version 2", flip(opened, 0, 3)),
        ("unknown kind", flip(opened, 1, 0x04)),
    ] {
        let e = Payload::from_bytes(&m).expect_err(what);
        refused(
            client,
            &format!("payload {what}"),
            ClientError::Wire(e),
            |c| c.handle_delivery(now, bytes, &m),
        );
    }
    // Foreign replies: altered after signing, signed outside the group, or claiming a
    // generation of the group that does not exist yet.
    if let Delivery::Reply {
        generation,
        timestamp,
        sealed,
        signature,
    } = &delivery
    {
        let current = client.group_key().generation();
        let reply = |generation, timestamp, sealed: &[u8], signature| {
            Delivery::Reply {
                generation,
                timestamp,
                sealed: sealed.to_vec(),
                signature,
            }
            .to_bytes()
        };
        let invalid = ClientError::Group(blindpost::bbs04::Error::InvalidSignature);
        if *generation == current {
            let mut other = sealed.clone();
            other[0] ^= 1;
            let m = reply(*generation, *timestamp, &other, signature.clone());
            refused(
                client,
                "reply with altered sealed payload",
                invalid.clone(),
                |c| c.handle_delivery(now, &m, opened),
            );
            let m = reply(
                *generation,
                *timestamp - REPLY_TIME_GRANULARITY,
                sealed,
                signature.clone(),
            );
            refused(
                client,
                "reply with altered timestamp",
                invalid.clone(),
                |c| c.handle_delivery(now, &m, opened),
            );
            let mut rng = VectorRng::new(b"foreign group");
            let foreign = GroupManagerKey::generate(&mut rng);
            let member = foreign.issue_member(&mut rng);
            let context = reply_context(&client.account(), current, *timestamp);
            let forged = member
                .sign(
                    &mut rng,
                    &PreparedGroupKey::new(foreign.public_key().clone()),
                    &context,
                    sealed,
                )
                .unwrap();
            let m = reply(current, *timestamp, sealed, forged);
            refused(client, "reply signed outside the group", invalid, |c| {
                c.handle_delivery(now, &m, opened)
            });
        }
        let mut other = sealed.clone();
        other[0] ^= 1;
        let m = reply(current + 1, *timestamp, &other, signature.clone());
        refused(
            client,
            "reply claiming a future generation",
            ClientError::UnknownGeneration {
                generation: current + 1,
                current,
            },
            |c| c.handle_delivery(now, &m, opened),
        );
    }
}

#[test]
fn clients_refuse_every_malformed_response_and_delivery_without_a_state_change() {
    let mut world = World::new("malformed responses");
    let responses = Rc::new(RefCell::new(std::collections::BTreeSet::new()));
    let deliveries = Rc::new(RefCell::new(0usize));
    let seen = Rc::clone(&responses);
    world.response_hook = Some(Box::new(move |client, t, response, now| {
        seen.borrow_mut()
            .insert(RequestType::from_u8(t.bytes[1]).unwrap().name());
        check_response(client, t, response, now);
    }));
    let seen = Rc::clone(&deliveries);
    world.delivery_hook = Some(Box::new(move |client, bytes, opened, now| {
        *seen.borrow_mut() += 1;
        check_delivery(client, bytes, opened, now);
    }));
    let c = conversation(world);
    // The conversation finished normally after all of that.
    assert_eq!(
        c.alice.outstanding() + c.bob.outstanding() + c.carol.outstanding(),
        0
    );
    let responses = responses.borrow();
    assert_eq!(responses.len(), 11, "{responses:?}");
    assert_eq!(*deliveries.borrow(), 4);
}
