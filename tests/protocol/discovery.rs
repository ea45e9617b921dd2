//! Contact discovery on the server: per-account per-window issuance limits, tokens good only in
//! their window and only once, batch limits, bounded state over many windows, and lookups that
//! name no account.

use blindpost::account::{AccountId, Channel};
use blindpost::certificate::EncodedCertificate;
use blindpost::client::{ClientSettings, Event};
use blindpost::server::{DiscoveryConfig, RateLimit, ServerConfig, ServerSecrets};
use blindpost::simulation::raw::{cold_call_bytes, contains, decode, phone};
use blindpost::simulation::{events, settings, World, T0};
use blindpost::store::Store;
use blindpost::token::{Token, TokenChallenge, TokenClient, TokenRequest};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{ErrorCode, Request, RequestType, Response};
use blindpost::Time;

#[test]
fn discovery_keys_of_one_issuer_never_share_a_truncated_key_id() {
    // This seed draws two discovery keys whose ids end in the same byte: a request names its
    // key by that byte, so the server must draw again rather than fail (it used to fail with
    // `KeyGeneration`, about once in 256 generations or rotations).
    let mut rng = VectorRng::new(b"reply replay and skew");
    let secrets =
        ServerSecrets::generate(&mut rng, T0, b"blindpost.test", &DiscoveryConfig::default())
            .unwrap();
    let ids: Vec<u8> = secrets
        .discovery_keys
        .entries()
        .iter()
        .map(|e| e.key().id().truncated())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}

const WINDOW: u64 = 3600;
const N: u64 = 3;
const K: usize = 4;

fn config() -> ServerConfig {
    ServerConfig {
        discovery: DiscoveryConfig {
            window_seconds: WINDOW,
            tokens_per_window: N,
            batch_size: K,
        },
        // The code-request counters of the registrations expire within the first window, so
        // every window ends with the same store.
        code_requests: RateLimit {
            max: 10,
            period_seconds: WINDOW,
        },
        ..ServerConfig::default()
    }
}

fn issue(window: u64, requests: Vec<TokenRequest>) -> Vec<u8> {
    Request::IssueDiscoveryTokens { window, requests }.to_bytes()
}

fn lookup(token: &Token, phones: &[&str]) -> Vec<u8> {
    Request::Lookup {
        token: token.clone(),
        phones: phones.iter().map(|p| phone(p)).collect(),
    }
    .to_bytes()
}

/// Moves the world to the start of the next discovery window, as a host would: new keys, purge.
fn next_window(world: &mut World) {
    world.now = Time::from_unix_secs((world.now.window(WINDOW) + 1) * WINDOW);
    world
        .server
        .rotate_discovery_keys(&mut world.rng, world.now)
        .unwrap();
    world.server.maintain(world.now).unwrap();
}

#[test]
fn the_issuance_limit_holds_exactly_per_account_and_window() {
    let mut world = World::with_config("discovery limit", config());
    let alice = world.raw_register("+15550001", 0);
    let bob = world.raw_register("+15550002", 0);
    let window = world.now.window(WINDOW);

    let (two, _) = world.discovery_requests(2);
    let first = issue(window, two);
    let Response::DiscoveryTokens(granted) = decode(&world.send(alice.channel(), &first)) else {
        panic!("refused")
    };
    assert_eq!(granted.len(), 2);
    // A resend of the same batch is answered again and not counted twice.
    let before = world.snapshot();
    let Response::DiscoveryTokens(again) = decode(&world.send(alice.channel(), &first)) else {
        panic!("resend refused")
    };
    assert_eq!(again, granted);
    assert_eq!(world.snapshot(), before);

    // 2 + 2 > N: refused as a whole; 2 + 1 = N: granted; then nothing more.
    let (two, _) = world.discovery_requests(2);
    world.refused(alice.channel(), &issue(window, two), ErrorCode::RateLimited);
    let (one, _) = world.discovery_requests(1);
    assert!(matches!(
        decode(&world.send(alice.channel(), &issue(window, one))),
        Response::DiscoveryTokens(t) if t.len() == 1
    ));
    let (one, _) = world.discovery_requests(1);
    world.refused(alice.channel(), &issue(window, one), ErrorCode::RateLimited);

    // More than N in one request, or none, is refused outright; another window is refused.
    let (four, _) = world.discovery_requests(N as usize + 1);
    world.refused(bob.channel(), &issue(window, four), ErrorCode::RateLimited);
    world.refused(
        bob.channel(),
        &issue(window, Vec::new()),
        ErrorCode::RateLimited,
    );
    let (one, _) = world.discovery_requests(1);
    world.refused(
        bob.channel(),
        &issue(window + 1, one.clone()),
        ErrorCode::WrongWindow,
    );
    world.refused(
        bob.channel(),
        &issue(window - 1, one),
        ErrorCode::WrongWindow,
    );
    // Discovery tokens are issued only to accounts, on their authenticated channel.
    let (one, _) = world.discovery_requests(1);
    world.refused(
        Channel::Anonymous,
        &issue(window, one.clone()),
        ErrorCode::WrongChannel,
    );
    world.refused(
        Channel::Authenticated(AccountId([5; 32])),
        &issue(window, one),
        ErrorCode::UnknownRecipient,
    );

    // A request under the next window's key (published ahead) is refused: tokens cannot be
    // collected in one window for the next.
    let keys = world.server.public_keys().discovery_tokens;
    let next_start = Time::from_unix_secs((window + 1) * WINDOW);
    let next_key = keys
        .entries()
        .iter()
        .find(|e| e.not_before() == next_start)
        .unwrap()
        .key()
        .clone();
    let challenge = TokenChallenge::discovery(keys.issuer_name(), window + 1).unwrap();
    let (early, _) = TokenClient::new(keys.clone())
        .request(&mut world.rng, &challenge, &next_key, next_start)
        .unwrap();
    world.refused(
        bob.channel(),
        &issue(window, vec![early]),
        ErrorCode::WrongWindow,
    );

    // Bob's own limit is untouched by Alice's; in the next window Alice has N again.
    let (three, _) = world.discovery_requests(N as usize);
    assert!(matches!(
        decode(&world.send(bob.channel(), &issue(window, three))),
        Response::DiscoveryTokens(t) if t.len() == N as usize
    ));
    next_window(&mut world);
    let (three, _) = world.discovery_requests(N as usize);
    assert!(matches!(
        decode(&world.send(alice.channel(), &issue(window + 1, three))),
        Response::DiscoveryTokens(t) if t.len() == N as usize
    ));
    let (one, _) = world.discovery_requests(1);
    world.refused(
        alice.channel(),
        &issue(window + 1, one),
        ErrorCode::RateLimited,
    );
}

#[test]
fn a_discovery_token_is_good_once_for_at_most_k_numbers_in_its_window() {
    let mut world = World::with_config("discovery tokens", config());
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let tokens = world.discovery_tokens(&alice, 3);

    // K + 1 numbers are refused and do not use the token up.
    let five = [
        "+15550002",
        "+15550003",
        "+15550004",
        "+15550005",
        "+15550006",
    ];
    world.refused(
        Channel::Anonymous,
        &lookup(&tokens[0], &five),
        ErrorCode::TooManyNumbers,
    );
    let first = lookup(&tokens[0], &five[..K]);
    let Response::LookupResult(found) = decode(&world.send(Channel::Anonymous, &first)) else {
        panic!("lookup refused")
    };
    assert_eq!(found, [EncodedCertificate::from(&bob.certificate)]);
    // The same lookup again is answered again; any other use of the token is refused.
    let before = world.snapshot();
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &first)),
        Response::LookupResult(f) if f == found
    ));
    assert_eq!(world.snapshot(), before);
    world.refused(
        Channel::Anonymous,
        &lookup(&tokens[0], &["+15550002"]),
        ErrorCode::TokenSpent,
    );
    // Lookups travel only on the anonymous channel.
    world.refused(
        alice.channel(),
        &lookup(&tokens[1], &["+15550002"]),
        ErrorCode::WrongChannel,
    );

    // Tokens of the other purpose are not discovery tokens, and the other way round.
    world.refused(
        Channel::Anonymous,
        &lookup(&alice.tokens[0], &["+15550002"]),
        ErrorCode::InvalidToken,
    );
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &tokens[1], b"hello"),
        ErrorCode::InvalidToken,
    );

    // In the next window the unused tokens of this one are refused.
    next_window(&mut world);
    world.refused(
        Channel::Anonymous,
        &lookup(&tokens[1], &["+15550002"]),
        ErrorCode::InvalidToken,
    );
    // A fresh token of the new window works.
    let fresh = world.discovery_tokens(&alice, 1);
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &lookup(&fresh[0], &["+15550002"]))),
        Response::LookupResult(_)
    ));
}

#[test]
fn over_thirty_windows_the_store_stays_bounded_and_lookups_name_no_account() {
    const WINDOWS: usize = 30;
    let mut world = World::with_config("discovery windows", config());
    let mut alice = world.new_client_with(ClientSettings {
        discovery_window: WINDOW,
        discovery_batch: K,
        ..settings()
    });
    world.register(&mut alice, "+15550001");
    let heavy = world.raw_register("+15550009", 0);
    let mut bob = world.new_client();
    world.register(&mut bob, "+15550002");
    let certificate = alice.certificate().unwrap().clone();
    let identifying: Vec<(&str, Vec<u8>)> = vec![
        ("phone", phone("+15550001").as_bytes().to_vec()),
        ("account id", alice.account().as_bytes().to_vec()),
        (
            "identity key",
            certificate.identity_key().to_bytes().to_vec(),
        ),
        ("certificate", certificate.to_bytes()),
        ("group key", alice.group_key().to_bytes()[5..].to_vec()),
    ];

    let mut counts = Vec::new();
    for w in 0..WINDOWS {
        next_window(&mut world);
        let at_start = world.server.store().entry_count().unwrap();
        // Alice looks up 6 numbers: two batches, two tokens (this window's, which her timer
        // asks for on her authenticated channel; spent anonymously).
        let start = world.received.len();
        world.timeout(&mut alice);
        alice
            .lookup(
                &mut world.rng,
                world.now,
                [
                    "+15550002",
                    "+15550003",
                    "+15550004",
                    "+15550005",
                    "+15550006",
                    "+15550007",
                ]
                .iter()
                .map(|p| phone(p))
                .collect(),
            )
            .unwrap();
        world.pump(&mut alice);
        let found: Vec<_> = events(&mut alice)
            .into_iter()
            .filter_map(|e| match e {
                Event::LookupCompleted { found } => Some(found),
                _ => None,
            })
            .collect();
        assert_eq!(found.len(), 2, "window {w}: two batches");
        assert_eq!(found.concat(), [bob.certificate().unwrap().clone()]);
        let lookups: Vec<_> = world.received[start..]
            .iter()
            .filter(|r| r.bytes[1] == RequestType::Lookup as u8)
            .collect();
        assert_eq!(lookups.len(), 2);
        for r in lookups {
            assert_eq!(r.channel, Channel::Anonymous);
            for (what, bytes) in &identifying {
                assert!(
                    !contains(&r.bytes, bytes),
                    "window {w}: a lookup carries {what}"
                );
            }
        }
        // Another account takes its N tokens, spends them, and is refused more.
        let tokens = world.discovery_tokens(&heavy, N as usize);
        for t in &tokens {
            assert!(matches!(
                decode(&world.send(Channel::Anonymous, &lookup(t, &["+15550001"]))),
                Response::LookupResult(f) if f == [EncodedCertificate::from(&certificate)]
            ));
        }
        let (one, _) = world.discovery_requests(1);
        let window = world.now.window(WINDOW);
        world.refused(heavy.channel(), &issue(window, one), ErrorCode::RateLimited);
        let after = world.server.store().entry_count().unwrap();
        counts.push((at_start, after));
        world.now += WINDOW / 2;
        alice.handle_timeout(&mut world.rng, world.now);
        world.pump(&mut alice);
    }
    // Every window leaves the same state behind once it is over, and holds the same at most.
    assert!(
        counts.iter().all(|c| *c == counts[0]),
        "entry counts per window (start, after): {counts:?}"
    );
    assert!(
        counts[0].1 > counts[0].0,
        "each window's activity is stored meanwhile"
    );
}
