//! Registration on the server (SPEC.md 9.3, 12.2): the attempt limit on verification codes, the
//! token policy (tokens once per phone number, again only after the cool-down, a retry gets the
//! same signatures), proofs of possession and account conflicts. Requests are built by hand so
//! the test controls every field.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::GroupManagerKey;
use blindpost::bls::SecretKey;
use blindpost::client::{ClientError, Event, FailureReason};
use blindpost::server::ServerConfig;
use blindpost::simulation::raw::{decode, error_code, phone, register_bytes};
use blindpost::simulation::{events, World, T0};
use blindpost::wire::{ErrorCode, Request, RequestType, Response};
use blindpost::Time;

struct Identity {
    key: SecretKey,
    group: GroupManagerKey,
}

fn identity(world: &mut World) -> Identity {
    Identity {
        key: SecretKey::generate(&mut world.rng),
        group: GroupManagerKey::generate(&mut world.rng),
    }
}

/// A registration of `who` for `number` with `code` and `tokens` fresh token requests; returns
/// the bytes and the pending tokens.
fn registration(
    world: &mut World,
    who: &Identity,
    number: &str,
    code: &str,
    tokens: usize,
) -> (Vec<u8>, Vec<blindpost::token::PendingToken>) {
    let (requests, pending) = world.cold_call_requests(tokens);
    let bytes = register_bytes(
        &phone(number),
        code,
        &who.key,
        who.group.public_key(),
        requests,
    );
    (bytes, pending)
}

/// Registers and returns the number of token responses (checking each finalizes to a token).
#[track_caller]
fn registered(
    world: &mut World,
    bytes: &[u8],
    pending: &[blindpost::token::PendingToken],
) -> usize {
    match decode(&world.send(Channel::Direct, bytes)) {
        Response::Registered {
            token_responses, ..
        } => {
            for (p, r) in pending.iter().zip(&token_responses) {
                p.finalize(r).unwrap();
            }
            token_responses.len()
        }
        other => panic!("{other:?}"),
    }
}

/// The attempt counter of `number` in the code window of `now`, as stored.
fn failures(world: &World, number: &str, now: Time) -> Option<u64> {
    let window = world.server.config().code.window(now);
    let mut key = vec![b'c'];
    key.extend_from_slice(&window.to_be_bytes());
    key.extend_from_slice(phone(number).as_bytes());
    world
        .snapshot()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| u64::from_be_bytes(v.try_into().unwrap()))
}

#[test]
fn wrong_codes_count_and_the_limit_blocks_even_the_right_code_until_two_windows_pass() {
    let mut world = World::new("registration attempts");
    world.now = T0 + 10;
    let window = world.server.config().code.window_seconds();
    let max = world.server.config().code_policy.max_failures();
    assert_eq!(max, 5);
    let alice = identity(&mut world);
    let code = world.code(&phone("+15550001"));
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);

    // Five wrong guesses (one of them not even digits) are refused and counted, one each.
    for (i, guess) in [&wrong[..], "12a456", &wrong, "123", &wrong]
        .iter()
        .enumerate()
    {
        let (bytes, _) = registration(&mut world, &alice, "+15550001", guess, 0);
        let response = world.send(Channel::Direct, &bytes);
        assert_eq!(error_code(&response), Some(ErrorCode::WrongCode));
        assert_eq!(failures(&world, "+15550001", world.now), Some(i as u64 + 1));
    }
    // Now even the right code is not checked, and nothing is counted or stored.
    let (bytes, _) = registration(&mut world, &alice, "+15550001", &code, 5);
    world.refused(Channel::Direct, &bytes, ErrorCode::TooManyAttempts);
    assert_eq!(failures(&world, "+15550001", world.now), Some(5));

    // Another number is not affected.
    let bob = identity(&mut world);
    let bob_code = world.code(&phone("+15550002"));
    let (bytes, pending) = registration(&mut world, &bob, "+15550002", &bob_code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 5);

    // In the next window the previous one still counts.
    world.now += window;
    let code = world.code(&phone("+15550001"));
    let (bytes, _) = registration(&mut world, &alice, "+15550001", &code, 5);
    world.refused(Channel::Direct, &bytes, ErrorCode::TooManyAttempts);
    // Two windows on, the guesses no longer count and the right code registers.
    world.now += window;
    let code = world.code(&phone("+15550001"));
    let (bytes, pending) = registration(&mut world, &alice, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 5);
}

#[test]
fn tokens_at_the_first_registration_again_only_after_the_cooldown() {
    let mut world = World::new("registration tokens");
    let cooldown = world.server.config().token_cooldown;
    let alice = identity(&mut world);
    let code = world.code(&phone("+15550001"));
    let (first, pending) = registration(&mut world, &alice, "+15550001", &code, 5);
    let Response::Registered {
        token_responses, ..
    } = decode(&world.send(Channel::Direct, &first))
    else {
        panic!("refused")
    };
    assert_eq!(token_responses.len(), 5);
    for (p, r) in pending.iter().zip(&token_responses) {
        p.finalize(r).unwrap();
    }

    // A retry of the same registration (its response was lost) gets the same signatures.
    let Response::Registered {
        token_responses: again,
        certificate,
    } = decode(&world.send(Channel::Direct, &first))
    else {
        panic!("retry refused")
    };
    assert_eq!(again, token_responses);
    assert_eq!(certificate.identity_key(), &alice.key.public_key());

    // Within the cool-down: the same identity with new token requests, or a new identity for
    // the same number, gets a certificate but no tokens.
    world.now += cooldown / 2;
    let code = world.code(&phone("+15550001"));
    let (bytes, pending) = registration(&mut world, &alice, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 0);
    let alice2 = identity(&mut world);
    let (bytes, pending) = registration(&mut world, &alice2, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 0);
    // The number now names the new account; the old one is gone.
    let old = AccountId::for_identity_key(&alice.key.public_key().to_bytes());
    world.refused(
        Channel::Anonymous,
        &Request::FetchGroupKey { account: old }.to_bytes(),
        ErrorCode::UnknownRecipient,
    );

    // One second before the cool-down ends: still none. At its end: tokens again, once.
    world.now = T0 + cooldown - 1;
    let code = world.code(&phone("+15550001"));
    let (bytes, pending) = registration(&mut world, &alice2, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 0);
    world.now = T0 + cooldown;
    let code = world.code(&phone("+15550001"));
    let (bytes, pending) = registration(&mut world, &alice2, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 5);
    let (bytes, pending) = registration(&mut world, &alice2, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 0);
}

#[test]
fn bad_proofs_conflicts_and_too_many_token_requests_are_refused_without_a_state_change() {
    let config = ServerConfig {
        registration_tokens: 3,
        ..ServerConfig::default()
    };
    let mut world = World::with_config("registration refusals", config);
    let alice = identity(&mut world);
    let code = world.code(&phone("+15550001"));

    // More token requests than the server hands out.
    let (bytes, _) = registration(&mut world, &alice, "+15550001", &code, 4);
    world.refused(Channel::Direct, &bytes, ErrorCode::TooManyTokenRequests);

    // A proof of possession made by another key.
    let (requests, _) = world.cold_call_requests(3);
    let other = SecretKey::generate(&mut world.rng);
    let Request::Register(mut request) = Request::from_bytes(&register_bytes(
        &phone("+15550001"),
        &code,
        &alice.key,
        alice.group.public_key(),
        requests,
    ))
    .unwrap() else {
        unreachable!()
    };
    request.proof = other.pop_prove();
    world.refused(
        Channel::Direct,
        &Request::Register(request).to_bytes(),
        ErrorCode::BadProofOfPossession,
    );
    // Registration travels on the direct channel only.
    let (bytes, pending) = registration(&mut world, &alice, "+15550001", &code, 3);
    world.refused(Channel::Anonymous, &bytes, ErrorCode::WrongChannel);

    assert_eq!(registered(&mut world, &bytes, &pending), 3);
    // Alice's identity key for another number (with that number's right code).
    let code2 = world.code(&phone("+15550002"));
    let (bytes, _) = registration(&mut world, &alice, "+15550002", &code2, 3);
    world.refused(Channel::Direct, &bytes, ErrorCode::AccountConflict);
    // That number is still free for its own identity.
    let bob = identity(&mut world);
    let (bytes, pending) = registration(&mut world, &bob, "+15550002", &code2, 3);
    assert_eq!(registered(&mut world, &bytes, &pending), 3);
}

#[test]
fn a_registration_answer_certifying_another_identity_key_fails_the_request() {
    let mut world = World::new("certificate not ours");
    let mut alice = world.new_client();
    let number = phone("+15550001");
    alice.request_code(world.now, number.clone());
    world.pump(&mut alice);
    let code = world.last_code(&number).unwrap();
    events(&mut alice);
    let now = world.now;
    alice
        .register(&mut world.rng, now, number, &code, None)
        .unwrap();
    let t = alice.poll_transmit(Time::MAX).unwrap();
    // The server certifies the same number for someone else's identity key, validly signed
    // under the pinned issuer, and hands that certificate to Alice.
    let other = world.raw_register("+15550001", 0);
    let answer = Response::Registered {
        certificate: other.certificate.clone(),
        token_responses: Vec::new(),
    }
    .to_bytes();
    alice
        .handle_response(&mut world.rng, now, t.id, &answer)
        .unwrap();
    assert_eq!(
        events(&mut alice),
        vec![Event::RequestFailed {
            id: t.id,
            request: RequestType::Register,
            reason: FailureReason::Client(ClientError::CertificateNotOurs),
        }]
    );
    assert!(
        alice.certificate().is_none(),
        "nothing of the answer sticks"
    );
    assert_eq!(alice.token_counts().total(), 0);
    assert_eq!(alice.outstanding(), 0);
}
