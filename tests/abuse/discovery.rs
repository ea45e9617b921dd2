//! Discovery issuance (SPEC.md 14.1, 14.5; issue 14 points 1 and 4): the quota is the phone
//! number's, so re-registering never resets it, and the counter is decided before any
//! signature is computed.

use blindpost::server::{RateLimit, ServerConfig};
use blindpost::simulation::raw::{decode, error_code, RawAccount};
use blindpost::simulation::World;
use blindpost::token::TokenRequest;
use blindpost::verification_code::CodeSession;
use blindpost::wire::{ErrorCode, Request, Response};

const ALICE: &str = "+15550001";

/// The default server with room for 10 registrations of a number a day, so the discovery quota
/// is the only limit tested.
fn config() -> ServerConfig {
    ServerConfig {
        registrations: RateLimit {
            max: 10,
            period_seconds: 86_400,
        },
        ..ServerConfig::default()
    }
}

fn issue(world: &World, requests: Vec<TokenRequest>) -> Vec<u8> {
    let window = world.server.config().discovery.window(world.now);
    Request::IssueDiscoveryTokens { window, requests }.to_bytes()
}

/// Asks for `n` discovery tokens for `account`; returns how many were issued (0 when refused
/// with `rate_limited`).
fn issued(world: &mut World, account: &RawAccount, n: usize) -> usize {
    let (requests, _) = world.discovery_requests(n);
    let bytes = issue(world, requests);
    match decode(&world.send(account.channel(), &bytes)) {
        Response::DiscoveryTokens(t) => t.len(),
        Response::Error {
            code: ErrorCode::RateLimited,
            ..
        } => 0,
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_number_never_gets_more_than_n_discovery_tokens_a_window_however_often_it_registers() {
    let mut world = World::with_config("abuse: discovery per number", config());
    let n = usize::try_from(world.server.config().discovery.tokens_per_window).unwrap();
    let first = world.raw_register(ALICE, 0);
    // The first account takes most of the quota in batches.
    let mut total = issued(&mut world, &first, n - 2);
    // Six re-registrations of the number, each a new identity key and so a new account: each
    // asks for a full quota, then for one token.
    for _ in 0..6 {
        let again = world.raw_register(ALICE, 0);
        total += issued(&mut world, &again, n);
        total += issued(&mut world, &again, 1);
        total += issued(&mut world, &again, 1);
    }
    assert_eq!(total, n, "the number got {total} tokens in one window");
    // Another number has its own quota.
    let bob = world.raw_register("+15550002", 0);
    assert_eq!(issued(&mut world, &bob, n), n);
    // The next window, the number gets N again, and no more.
    world.now += world.server.config().discovery.window_seconds;
    world
        .server
        .rotate_discovery_keys(&mut world.rng, world.now)
        .unwrap();
    let later = world.raw_register(ALICE, 0);
    assert_eq!(issued(&mut world, &later, n), n);
    assert_eq!(issued(&mut world, &later, 1), 0);
}

#[test]
fn discovery_issuance_counts_before_it_signs_and_still_answers_a_counted_resend() {
    let mut world = World::with_config("abuse: cheap issuance", config());
    let n = usize::try_from(world.server.config().discovery.tokens_per_window).unwrap();
    let alice = world.raw_register(ALICE, 0);
    let (requests, _) = world.discovery_requests(n);
    let counted = issue(&world, requests);
    let Response::DiscoveryTokens(first) = decode(&world.send(alice.channel(), &counted)) else {
        panic!("refused")
    };
    assert_eq!(first.len(), n);
    // The quota is spent: a new batch is refused without drawing from the generator, which
    // only RSA blinding in blind signing uses, so no signature was computed.
    let (more, _) = world.discovery_requests(1);
    let more = issue(&world, more);
    let mut rng = world.rng.clone();
    let handled = world
        .server
        .handle(&mut rng, world.now, alice.channel(), &more);
    assert!(matches!(
        handled.decoded,
        Response::Error {
            code: ErrorCode::RateLimited,
            ..
        }
    ));
    assert_eq!(
        CodeSession::generate(&mut rng).as_bytes(),
        CodeSession::generate(&mut world.rng.clone()).as_bytes(),
        "a refused issuance computed a signature"
    );
    // The batch already counted is answered again, with the same signatures.
    let Response::DiscoveryTokens(again) = decode(&world.send(alice.channel(), &counted)) else {
        panic!("the counted resend was refused")
    };
    assert_eq!(again, first);
    // A request that is not in range is refused before the counter: nothing is counted.
    let other = world.raw_register("+15550002", 0);
    let (mut bad, _) = world.discovery_requests(2);
    let mut bytes = bad.pop().unwrap().to_bytes();
    let len = bytes.len();
    bytes[len - 256..].fill(0xff);
    bad.push(TokenRequest::from_bytes(&bytes).unwrap());
    let bad = issue(&world, bad);
    let response = world.send(other.channel(), &bad);
    assert_eq!(error_code(&response), Some(ErrorCode::InvalidToken));
    assert_eq!(
        issued(&mut world, &other, n),
        n,
        "the refusal counted nothing"
    );
}
