//! Verification codes and registration (SPEC.md 9.3, 12.2; issue 14 points 1, 2 and 4): an
//! exact check limit per code session under any concurrency, no lock-out of the owner by an
//! anonymous guesser, the SMS cap, one code for one registration, the registration limit per
//! number, and no RSA signature when the token policy hands out none.

use blindpost::account::Channel;
use blindpost::bbs04::GroupManagerKey;
use blindpost::bls::SecretKey;
use blindpost::server::{Output, RateLimit, ServerConfig};
use blindpost::simulation::raw::{
    decode, error_code, phone, register_bytes, request_code_bytes, RawCode,
};
use blindpost::simulation::World;
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::CodeSession;
use blindpost::wire::{ErrorCode, Response};
use blindpost::Time;
use std::sync::Barrier;

const ALICE: &str = "+15550001";

/// A registration of a fresh identity for `number` with `code` and `tokens` token requests.
fn registration(world: &mut World, number: &str, code: &RawCode, tokens: usize) -> Vec<u8> {
    let identity = SecretKey::generate(&mut world.rng);
    let group = GroupManagerKey::generate(&mut world.rng);
    let (requests, _) = world.cold_call_requests(tokens);
    register_bytes(
        &phone(number),
        code,
        &identity,
        group.public_key(),
        requests,
    )
}

/// The number of tokens of a successful registration (panics on a refusal).
#[track_caller]
fn registered(world: &mut World, bytes: &[u8]) -> usize {
    match decode(&world.send(Channel::Direct, bytes)) {
        Response::Registered {
            token_responses, ..
        } => token_responses.len(),
        other => panic!("registration refused: {other:?}"),
    }
}

/// A six-digit code other than `code`'s, the `i`-th of them.
fn wrong(code: &RawCode, i: u32) -> RawCode {
    let right: u32 = code.code.parse().unwrap();
    code.guess(&format!("{:06}", (right + 1 + i) % 1_000_000))
}

#[test]
fn a_code_registers_once_and_a_resend_of_that_registration_is_answered_again() {
    let mut world = World::new("abuse: one code one registration");
    let code = world.code(&phone(ALICE));
    let first = registration(&mut world, ALICE, &code, 5);
    let Response::Registered {
        token_responses, ..
    } = decode(&world.send(Channel::Direct, &first))
    else {
        panic!("refused")
    };
    assert_eq!(token_responses.len(), 5);
    // The same bytes again (the response was lost): answered, with the same signatures.
    let Response::Registered {
        token_responses: again,
        ..
    } = decode(&world.send(Channel::Direct, &first))
    else {
        panic!("the resend was refused")
    };
    assert_eq!(again, token_responses);
    // Any other registration with that code (another identity, other requests or none) is
    // refused (each try is a check of the session, 5 in all with the two above).
    for tokens in [0, 5] {
        let other = registration(&mut world, ALICE, &code, tokens);
        let response = world.send(Channel::Direct, &other);
        assert_eq!(error_code(&response), Some(ErrorCode::CodeUsed));
    }
    // Re-sending the code request brings the same, used code.
    let resent = world.code_for(&phone(ALICE), &code.session);
    assert_eq!(resent.code, code.code);
    let other = registration(&mut world, ALICE, &resent, 0);
    let response = world.send(Channel::Direct, &other);
    assert_eq!(error_code(&response), Some(ErrorCode::CodeUsed));
}

#[test]
fn sixty_four_concurrent_guesses_check_at_most_the_limit() {
    let mut world = World::new("abuse: concurrent guesses");
    let max = usize::try_from(world.server.config().code_policy.max_attempts()).unwrap();
    let code = world.code(&phone(ALICE));
    // 63 wrong guesses and the right code, all against one session, released together.
    const GUESSES: usize = 64;
    let right_at = GUESSES / 2;
    let requests: Vec<Vec<u8>> = (0..GUESSES)
        .map(|i| {
            let guess = if i == right_at {
                code.clone()
            } else {
                wrong(&code, i as u32)
            };
            registration(&mut world, ALICE, &guess, 0)
        })
        .collect();
    let (server, now) = (&world.server, world.now);
    let barrier = Barrier::new(GUESSES);
    let answers: Vec<Option<ErrorCode>> = std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .iter()
            .enumerate()
            .map(|(i, request)| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut rng = VectorRng::new(format!("guesser {i}").as_bytes());
                    barrier.wait();
                    match server
                        .handle(&mut rng, now, Channel::Direct, request)
                        .decoded
                    {
                        Response::Error { code, .. } => Some(code),
                        _ => None,
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Exactly `max` guesses were checked; every other one was refused unchecked.
    let checked = answers
        .iter()
        .filter(|a| **a != Some(ErrorCode::TooManyAttempts))
        .count();
    assert_eq!(checked, max, "{answers:?}");
    for (i, a) in answers.iter().enumerate() {
        if i != right_at {
            assert!(
                matches!(a, Some(ErrorCode::WrongCode | ErrorCode::TooManyAttempts)),
                "guess {i}: {a:?}"
            );
        } else {
            // The right code registered only if it was among the checked ones.
            assert!(
                matches!(a, None | Some(ErrorCode::TooManyAttempts)),
                "{a:?}"
            );
        }
    }
    // Over the limit, the right code is refused unchecked from now on.
    let right = registration(&mut world, ALICE, &code, 0);
    let response = world.send(Channel::Direct, &right);
    assert_eq!(error_code(&response), Some(ErrorCode::TooManyAttempts));
}

#[test]
fn an_anonymous_guesser_cannot_stop_the_owner_from_registering() {
    let mut world = World::new("abuse: no lock-out");
    let max = world.server.config().code_policy.max_attempts();
    // The owner asks for a code and has not typed it in yet.
    let owner = world.code(&phone(ALICE));
    // The guesser does not know the owner's session: guesses against sessions it made up are
    // refused without being counted, and it uses up every check of sessions it opened itself
    // (each of which costs it an SMS to the owner's number, up to the cap but one).
    let invented = RawCode {
        session: CodeSession::from_bytes([0x66; 32]),
        code: "123456".into(),
    };
    for _ in 0..20 {
        let bytes = registration(&mut world, ALICE, &invented, 0);
        world.refused(Channel::Direct, &bytes, ErrorCode::WrongCode);
    }
    let cap = world.server.config().code_requests.max;
    for _ in 0..cap - 1 {
        let own = world.code(&phone(ALICE));
        for i in 0..max {
            let guess = registration(&mut world, ALICE, &wrong(&own, i), 0);
            let response = world.send(Channel::Direct, &guess);
            assert_eq!(error_code(&response), Some(ErrorCode::WrongCode));
        }
        let more = registration(&mut world, ALICE, &wrong(&own, max), 0);
        let response = world.send(Channel::Direct, &more);
        assert_eq!(error_code(&response), Some(ErrorCode::TooManyAttempts));
    }
    // The owner's session kept all its checks: the owner registers.
    let bytes = registration(&mut world, ALICE, &owner, 5);
    assert_eq!(registered(&mut world, &bytes), 5);
}

#[test]
fn code_requests_per_number_are_capped_resends_included() {
    let mut world = World::new("abuse: sms cap");
    let RateLimit {
        max,
        period_seconds,
    } = world.server.config().code_requests;
    assert_eq!((max, period_seconds), (10, 86_400));
    // The start of a period, so the whole test stays in it.
    world.now = Time::from_unix_secs((world.now.window(period_seconds) + 1) * period_seconds);
    let session = CodeSession::from_bytes([1; 32]);
    // Half of the cap in fresh sessions, half in resends of one session.
    for i in 0..max {
        if i % 2 == 0 {
            world.code(&phone(ALICE));
        } else {
            world.code_for(&phone(ALICE), &session);
        }
    }
    let sent = world.sms.len();
    for bytes in [
        request_code_bytes(&phone(ALICE), &session),
        request_code_bytes(&phone(ALICE), &CodeSession::from_bytes([2; 32])),
    ] {
        let before = world.snapshot();
        let handled = world
            .server
            .handle(&mut world.rng, world.now, Channel::Direct, &bytes);
        assert!(matches!(
            handled.decoded,
            Response::Error {
                code: ErrorCode::RateLimited,
                ..
            }
        ));
        assert!(
            !handled
                .outputs
                .iter()
                .any(|o| matches!(o, Output::SendCode { .. })),
            "no SMS over the cap"
        );
        assert_eq!(world.snapshot(), before, "nothing stored over the cap");
    }
    assert_eq!(world.sms.len(), sent);
    // Another number is not affected; the number gets codes again in the next period.
    world.code(&phone("+15550002"));
    world.now += period_seconds;
    world.code(&phone(ALICE));
}

#[test]
fn registrations_per_number_are_limited_per_period() {
    let mut world = World::new("abuse: registration limit");
    let RateLimit {
        max,
        period_seconds,
    } = world.server.config().registrations;
    assert_eq!((max, period_seconds), (3, 7 * 86_400));
    world.now = Time::from_unix_secs((world.now.window(period_seconds) + 1) * period_seconds);
    for _ in 0..max {
        let code = world.code(&phone(ALICE));
        let bytes = registration(&mut world, ALICE, &code, 0);
        registered(&mut world, &bytes);
    }
    // One more, with a good code of its own: refused, and its code is not consumed.
    let code = world.code(&phone(ALICE));
    let bytes = registration(&mut world, ALICE, &code, 0);
    let response = world.send(Channel::Direct, &bytes);
    assert_eq!(error_code(&response), Some(ErrorCode::RateLimited));
    let response = world.send(Channel::Direct, &bytes);
    assert_eq!(error_code(&response), Some(ErrorCode::RateLimited));
    // Other numbers register; the next period lets the number register again.
    let other = world.code(&phone("+15550002"));
    let other = registration(&mut world, "+15550002", &other, 0);
    registered(&mut world, &other);
    world.now += period_seconds;
    let code = world.code(&phone(ALICE));
    let bytes = registration(&mut world, ALICE, &code, 0);
    registered(&mut world, &bytes);
}

#[test]
fn a_registration_the_token_policy_gives_no_tokens_computes_no_signature() {
    let config = ServerConfig {
        // Enough registrations for this test alone.
        registrations: RateLimit {
            max: 10,
            period_seconds: 86_400,
        },
        ..ServerConfig::default()
    };
    let mut world = World::with_config("abuse: cheap registration", config);
    // The server's only use of its generator in a registration is RSA blinding in blind
    // signing (certificates are deterministic BLS signatures), so a registration that draws
    // nothing from it computed no RSA signature.
    let draws = |world: &mut World, bytes: &[u8]| -> (usize, bool) {
        let mut rng = world.rng.clone();
        let tokens = match decode(
            &world
                .server
                .handle(&mut rng, world.now, Channel::Direct, bytes)
                .response,
        ) {
            Response::Registered {
                token_responses, ..
            } => token_responses.len(),
            other => panic!("{other:?}"),
        };
        let untouched = CodeSession::generate(&mut rng).as_bytes()
            == CodeSession::generate(&mut world.rng.clone()).as_bytes();
        (tokens, untouched)
    };
    let code = world.code(&phone(ALICE));
    let first = registration(&mut world, ALICE, &code, 5);
    assert_eq!(
        draws(&mut world, &first),
        (5, false),
        "the first registration signs"
    );
    // Within the cool-down: five valid token requests, no tokens, and no signature computed.
    for _ in 0..3 {
        let code = world.code(&phone(ALICE));
        let again = registration(&mut world, ALICE, &code, 5);
        assert_eq!(draws(&mut world, &again), (0, true));
    }
}

#[test]
fn concurrent_registrations_of_one_number_never_pass_the_limit_and_their_resends_neither() {
    let config = ServerConfig {
        code_requests: RateLimit {
            max: 32,
            period_seconds: 86_400,
        },
        ..ServerConfig::default()
    };
    let mut world = World::with_config("abuse: concurrent registrations", config);
    let max = usize::try_from(world.server.config().registrations.max).unwrap();
    // 16 registrations of one number, each with a good code of its own, released together.
    const RACERS: usize = 16;
    let requests: Vec<Vec<u8>> = (0..RACERS)
        .map(|_| {
            let code = world.code(&phone(ALICE));
            registration(&mut world, ALICE, &code, 0)
        })
        .collect();
    let (server, now) = (&world.server, world.now);
    let barrier = Barrier::new(RACERS);
    let registered_in_race = std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .iter()
            .enumerate()
            .map(|(i, request)| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut rng = VectorRng::new(format!("racer {i}").as_bytes());
                    barrier.wait();
                    let handled = server.handle(&mut rng, now, Channel::Direct, request);
                    matches!(handled.decoded, Response::Registered { .. })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<bool>>()
    });
    assert_eq!(
        registered_in_race.iter().filter(|r| **r).count(),
        max,
        "{registered_in_race:?}"
    );
    // A refused registration stays refused when it is sent again byte for byte (a code the
    // race burned included), while the winners' resends are answered.
    for (request, won) in requests.iter().zip(&registered_in_race) {
        let again = matches!(
            decode(&world.send(Channel::Direct, request)),
            Response::Registered { .. }
        );
        assert_eq!(again, *won);
    }
}
