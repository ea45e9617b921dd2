//! Registration on the server (SPEC.md 9.3, 12.2): the check limit of a code session, the
//! token policy (tokens once per phone number, again only after the cool-down, a retry gets the
//! same signatures), proofs of possession and account conflicts. Requests are built by hand so
//! the test controls every field.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::GroupManagerKey;
use blindpost::bls::SecretKey;
use blindpost::client::{ClientError, Event, FailureReason};
use blindpost::server::ServerConfig;
use blindpost::simulation::raw::{decode, error_code, phone, register_bytes, RawCode};
use blindpost::simulation::{events, World, T0};
use blindpost::verification_code::CodeSession;
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
    code: &RawCode,
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

/// The check counter of `number`'s code `session`, as stored (`g || phone || session`).
fn attempts(world: &World, number: &str, session: &CodeSession) -> Option<u64> {
    let mut key = vec![b'g'];
    key.extend_from_slice(phone(number).as_bytes());
    key.extend_from_slice(session.as_bytes());
    world
        .snapshot()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| u64::from_be_bytes(v.try_into().unwrap()))
}

#[test]
fn every_check_of_a_session_counts_and_the_limit_blocks_even_its_right_code_only() {
    let mut world = World::new("registration attempts");
    world.now = T0 + 10;
    let window = world.server.config().code.window_seconds();
    let max = world.server.config().code_policy.max_attempts();
    assert_eq!(max, 5);
    let alice = identity(&mut world);
    let code = world.code(&phone("+15550001"));
    let wrong = format!("{:06}", (code.code.parse::<u32>().unwrap() + 1) % 1_000_000);

    // A session the server never sent a code for: refused, and nothing is counted.
    let unknown = RawCode {
        session: CodeSession::from_bytes([9; 32]),
        code: code.code.clone(),
    };
    let (bytes, _) = registration(&mut world, &alice, "+15550001", &unknown, 0);
    world.refused(Channel::Direct, &bytes, ErrorCode::WrongCode);

    // Five wrong guesses (one of them not even digits) are refused and counted, one each.
    for (i, guess) in [&wrong[..], "12a456", &wrong, "123", &wrong]
        .iter()
        .enumerate()
    {
        let (bytes, _) = registration(&mut world, &alice, "+15550001", &code.guess(guess), 0);
        let response = world.send(Channel::Direct, &bytes);
        assert_eq!(error_code(&response), Some(ErrorCode::WrongCode));
        assert_eq!(
            attempts(&world, "+15550001", &code.session),
            Some(i as u64 + 1)
        );
    }
    // Now even the right code is not checked, and nothing is counted or stored.
    let (bytes, _) = registration(&mut world, &alice, "+15550001", &code, 5);
    world.refused(Channel::Direct, &bytes, ErrorCode::TooManyAttempts);
    assert_eq!(attempts(&world, "+15550001", &code.session), Some(5));
    // Asking again for that session re-sends the same code, which stays blocked.
    let again = world.code_for(&phone("+15550001"), &code.session);
    assert_eq!(again.code, code.code);
    world.refused(Channel::Direct, &bytes, ErrorCode::TooManyAttempts);

    // A new session of the same number is not affected, nor is another number.
    let bob = identity(&mut world);
    let bob_code = world.code(&phone("+15550002"));
    let (bytes, pending) = registration(&mut world, &bob, "+15550002", &bob_code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 5);
    let fresh = world.code(&phone("+15550001"));
    let (bytes, pending) = registration(&mut world, &alice, "+15550001", &fresh, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 5);
    assert_eq!(attempts(&world, "+15550001", &fresh.session), Some(1));

    // The blocked session and its counter expire at the end of the window after its request.
    world.now = T0 + 2 * window - 10;
    assert_eq!(attempts(&world, "+15550001", &code.session), Some(5));
    world.now = T0 + 2 * window;
    assert_eq!(attempts(&world, "+15550001", &code.session), None);
    world.refused(Channel::Direct, &bytes, ErrorCode::WrongCode);
}

#[test]
fn a_code_is_good_from_its_request_to_the_end_of_the_next_window() {
    let mut world = World::new("code lifetime");
    let window = world.server.config().code.window_seconds();
    // T0 is a window start: a code asked for in the window's last second lives one more window.
    world.now = T0 + window - 1;
    let alice = identity(&mut world);
    let code = world.code(&phone("+15550001"));
    world.now = T0 + 2 * window;
    let (bytes, _) = registration(&mut world, &alice, "+15550001", &code, 0);
    world.refused(Channel::Direct, &bytes, ErrorCode::WrongCode);
    world.now = T0 + 2 * window - 1;
    let (bytes, pending) = registration(&mut world, &alice, "+15550001", &code, 0);
    assert_eq!(registered(&mut world, &bytes, &pending), 0);
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
    // the same number, gets a certificate but no tokens (each with a code of its own: a code
    // registers once).
    world.now += cooldown / 2;
    let code = world.code(&phone("+15550001"));
    let (bytes, pending) = registration(&mut world, &alice, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 0);
    let alice2 = identity(&mut world);
    let (bytes, _) = registration(&mut world, &alice2, "+15550001", &code, 5);
    let response = world.send(Channel::Direct, &bytes);
    assert_eq!(error_code(&response), Some(ErrorCode::CodeUsed));
    let code = world.code(&phone("+15550001"));
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
    let code = world.code(&phone("+15550001"));
    let (bytes, pending) = registration(&mut world, &alice2, "+15550001", &code, 5);
    assert_eq!(registered(&mut world, &bytes, &pending), 0);
}

#[test]
fn bad_proofs_conflicts_and_too_many_token_requests_are_refused() {
    let config = ServerConfig {
        registration_tokens: 3,
        ..ServerConfig::default()
    };
    let mut world = World::with_config("registration refusals", config);
    let alice = identity(&mut world);
    let code = world.code(&phone("+15550001"));

    // More token requests than the server hands out: refused before the code is checked.
    let (bytes, _) = registration(&mut world, &alice, "+15550001", &code, 4);
    world.refused(Channel::Direct, &bytes, ErrorCode::TooManyTokenRequests);

    // A proof of possession made by another key: refused after the code check, which counts.
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
    let response = world.send(Channel::Direct, &Request::Register(request).to_bytes());
    assert_eq!(error_code(&response), Some(ErrorCode::BadProofOfPossession));
    assert_eq!(attempts(&world, "+15550001", &code.session), Some(1));
    // Registration travels on the direct channel only.
    let (bytes, pending) = registration(&mut world, &alice, "+15550001", &code, 3);
    world.refused(Channel::Anonymous, &bytes, ErrorCode::WrongChannel);

    assert_eq!(registered(&mut world, &bytes, &pending), 3);
    // Alice's identity key for another number (with that number's right code).
    let code2 = world.code(&phone("+15550002"));
    let (bytes, _) = registration(&mut world, &alice, "+15550002", &code2, 3);
    let response = world.send(Channel::Direct, &bytes);
    assert_eq!(error_code(&response), Some(ErrorCode::AccountConflict));
    // That number (and its code, not consumed by the refusal) is still free for its own
    // identity.
    let bob = identity(&mut world);
    let (bytes, pending) = registration(&mut world, &bob, "+15550002", &code2, 3);
    assert_eq!(registered(&mut world, &bytes, &pending), 3);
}

#[test]
fn a_registration_answer_certifying_another_identity_key_fails_the_request() {
    let mut world = World::new("certificate not ours");
    let mut alice = world.new_client();
    let number = phone("+15550001");
    alice.request_code(&mut world.rng, world.now, number.clone());
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
