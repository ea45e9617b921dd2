//! Token and introduction lifetimes (issue 14 point 5; SPEC.md 10.2, 12.3, 12.4, 13.3, 13.4,
//! 13.6): unspent tokens move to the next key before theirs expires, a released token can be
//! renewed after its key expired, a cold call resent after its release is a resend (and its
//! token is renewed), and an introduction older than the one held is refused.

use blindpost::account::Channel;
use blindpost::client::{Client, ClientError, Event, FailureReason};
use blindpost::server::{Server, ServerConfig, ServerSecrets};
use blindpost::simulation::raw::{cold_call_bytes, decode, RawAccount};
use blindpost::simulation::{events, settings, World, T0};
use blindpost::store::MemoryStore;
use blindpost::token::{Issuer, Token, TokenKey, TokenKeyEntry, TokenKeySet, TokenRequest};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{Delivery, DeliveryHandle, ErrorCode, Request, Response};
use blindpost::Time;

const DAY: u64 = 24 * 3600;
/// The generated cold-call key's life (SPEC.md 12.7): T0 to T0 + one year.
const OLD_EXPIRES: Time = Time::from_unix_secs(T0.unix_secs() + 365 * DAY);
/// The next cold-call key: published 60 days before the old one expires, valid a year after.
const NEXT_NOT_BEFORE: Time = Time::from_unix_secs(OLD_EXPIRES.unix_secs() - 60 * DAY);
const NEXT_EXPIRES: Time = Time::from_unix_secs(OLD_EXPIRES.unix_secs() + 365 * DAY);
/// The default migration window (SPEC.md 12.9).
const WINDOW: u64 = 30 * DAY;

fn rsa(pem: &str) -> blindpost::blind_rsa::SecretKey {
    blindpost::blind_rsa::SecretKey::from_pkcs8_pem(pem).unwrap()
}

/// A world whose server publishes two cold-call keys (and two stamp keys): the current one (T0
/// to a year later) and the next one (from 60 days before that to a year after). Returns the
/// next cold-call key too.
fn world_with_next_key(seed: &str) -> (World, TokenKey) {
    world_with_next_key_and(seed, ServerConfig::default())
}

/// [`world_with_next_key`] with a server configured by `config`.
fn world_with_next_key_and(seed: &str, config: ServerConfig) -> (World, TokenKey) {
    let mut rng = VectorRng::new(seed.as_bytes());
    let mut secrets =
        ServerSecrets::generate(&mut rng, T0, b"lifetimes.example", &config.discovery)
            .expect("generated keys");
    let old = rsa(include_str!("../../test-vectors/token_keys/rsa2048-a.pem"));
    let next = rsa(include_str!("../../test-vectors/token_keys/rsa2048-b.pem"));
    let old_key = TokenKey::from_public_key(old.public_key()).unwrap();
    let next_key = TokenKey::from_public_key(next.public_key()).unwrap();
    let entries = vec![
        TokenKeyEntry::new(old_key, T0, OLD_EXPIRES),
        TokenKeyEntry::new(next_key.clone(), NEXT_NOT_BEFORE, NEXT_EXPIRES),
    ];
    secrets.cold_call_issuer = Issuer::new(vec![old, next]).unwrap();
    secrets.cold_call_keys = TokenKeySet::new(2, b"lifetimes.example", entries).unwrap();
    // The stamp keys roll over the same way (SPEC.md 18.1): the generated one and a next one.
    let next_stamp = rsa(include_str!("../../test-vectors/token_keys/rsa2048-c.pem"));
    let mut stamp_entries = secrets.stamp_keys.entries().to_vec();
    stamp_entries.push(TokenKeyEntry::new(
        TokenKey::from_public_key(next_stamp.public_key()).unwrap(),
        NEXT_NOT_BEFORE,
        NEXT_EXPIRES,
    ));
    let mut stamp_secrets: Vec<_> = secrets
        .stamp_keys
        .entries()
        .iter()
        .filter_map(|e| secrets.stamp_issuer.secret_key(&e.key().id()).cloned())
        .collect();
    stamp_secrets.push(next_stamp);
    secrets.stamp_issuer = Issuer::new(stamp_secrets).unwrap();
    secrets.stamp_keys = TokenKeySet::new(2, b"lifetimes.example", stamp_entries).unwrap();
    let server = Server::new(config, secrets, MemoryStore::new()).unwrap();
    (World::with_server(server, rng, T0), next_key)
}

fn renew_bytes(world: &World, token: &Token, request: &TokenRequest) -> Vec<u8> {
    Request::RenewToken {
        token: token.clone(),
        request: request.clone(),
        stamp: world.stamp_request(&token.to_bytes()),
    }
    .to_bytes()
}

fn accepted(world: &mut World, bytes: &[u8]) -> bool {
    match decode(&world.send(Channel::Anonymous, bytes)) {
        Response::ColdCallAccepted { duplicate } => duplicate,
        other => panic!("cold call refused: {other:?}"),
    }
}

#[test]
fn an_unspent_token_near_its_key_expiry_is_exchanged_once_for_one_under_the_next_key() {
    let (mut world, next_key) = world_with_next_key("lifetimes: migration");
    let alice = world.raw_register("+15550001", 2);
    let bob = world.raw_register("+15550002", 0);
    let token = alice.tokens[0].clone();
    assert_ne!(
        token.token_key_id(),
        next_key.id(),
        "issued under the old key"
    );

    world.now = OLD_EXPIRES.saturating_sub(WINDOW - DAY);
    let (requests, pending) = world.cold_call_requests(2);
    let exchange = renew_bytes(&world, &token, &requests[0]);
    // An exchange earns no stamp: no cold call was accepted (SPEC.md 18.1).
    let Response::TokenRenewed {
        token: response,
        stamp: None,
    } = decode(&world.send(Channel::Anonymous, &exchange))
    else {
        panic!("the exchange was refused, or came with a stamp")
    };
    // A resend gets the same signature (and no stamp either) and changes nothing; any other use
    // of the token is a second spend.
    let before = world.snapshot();
    let Response::TokenRenewed {
        token: again,
        stamp: None,
    } = decode(&world.send(Channel::Anonymous, &exchange))
    else {
        panic!("the resent exchange was refused, or came with a stamp")
    };
    assert_eq!(again, response);
    assert_eq!(world.snapshot(), before);
    world.refused(
        Channel::Anonymous,
        &renew_bytes(&world, &token, &requests[1]),
        ErrorCode::TokenSpent,
    );
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &token, b"spent"),
        ErrorCode::TokenSpent,
    );

    // The fresh token is under the next key, and pays for a cold call after the old key died.
    let fresh = pending[0].finalize(&response).unwrap();
    assert_eq!(fresh.token_key_id(), next_key.id());
    world.now = OLD_EXPIRES.saturating_add(DAY);
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &alice.tokens[1], b"old key"),
        ErrorCode::InvalidToken,
    );
    assert!(!accepted(
        &mut world,
        &cold_call_bytes(bob.account(), &fresh, b"next key")
    ));
}

#[test]
fn the_exchange_is_refused_outside_the_window_for_an_older_key_and_for_a_spent_token() {
    let (mut world, _) = world_with_next_key("lifetimes: refusals");
    let alice = world.raw_register("+15550001", 3);
    let bob = world.raw_register("+15550002", 0);
    // Under the old key, before it is the preferred one no more: a request naming it.
    let (old_requests, _) = world.cold_call_requests(1);

    // A day before the window opens, an unspent token is unknown to renewal, as always.
    world.now = OLD_EXPIRES.saturating_sub(WINDOW + DAY);
    let (requests, _) = world.cold_call_requests(1);
    world.refused(
        Channel::Anonymous,
        &renew_bytes(&world, &alice.tokens[0], &requests[0]),
        ErrorCode::UnknownToken,
    );

    // Inside it, the request must name a key that outlives the token's: not the old key.
    world.now = OLD_EXPIRES.saturating_sub(DAY);
    world.refused(
        Channel::Anonymous,
        &renew_bytes(&world, &alice.tokens[0], &old_requests[0]),
        ErrorCode::InvalidToken,
    );
    // A token that does not verify spends nothing.
    let mut forged = alice.tokens[0].to_bytes();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged = Token::from_bytes(&forged).unwrap();
    world.refused(
        Channel::Anonymous,
        &renew_bytes(&world, &forged, &requests[0]),
        ErrorCode::InvalidToken,
    );
    // A token spent in a cold call is not exchanged: it waits for its release.
    assert!(!accepted(
        &mut world,
        &cold_call_bytes(bob.account(), &alice.tokens[1], b"hello")
    ));
    world.refused(
        Channel::Anonymous,
        &renew_bytes(&world, &alice.tokens[1], &requests[0]),
        ErrorCode::NotReleased,
    );
    // After its key expired, an unspent token is gone.
    world.now = OLD_EXPIRES;
    world.refused(
        Channel::Anonymous,
        &renew_bytes(&world, &alice.tokens[2], &requests[0]),
        ErrorCode::UnknownToken,
    );
}

/// A cold call to Bob paid with `token`, which Bob then releases.
fn spend_and_release(world: &mut World, token: &Token, bob: &RawAccount, payload: &[u8]) {
    assert!(!accepted(
        world,
        &cold_call_bytes(bob.account(), token, payload)
    ));
    let handle = match world.queued(&bob.account()).last() {
        Some(Delivery::ColdCall { handle, .. }) => *handle,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        decode(&world.send(bob.channel(), &Request::Release { handle }.to_bytes())),
        Response::Released
    ));
}

#[test]
fn a_token_released_just_before_its_key_expired_is_still_renewed() {
    let (mut world, next_key) = world_with_next_key("lifetimes: grace");
    let alice = world.raw_register("+15550001", 2);
    let bob = world.raw_register("+15550002", 0);
    world.now = OLD_EXPIRES.saturating_sub(3600);
    spend_and_release(&mut world, &alice.tokens[0], &bob, b"late");
    spend_and_release(&mut world, &alice.tokens[1], &bob, b"later");

    // A day after the key expired the state is still there: the renewal goes through.
    world.now = OLD_EXPIRES.saturating_add(DAY);
    let (requests, pending) = world.cold_call_requests(2);
    let Response::TokenRenewed {
        token: response,
        stamp: Some(_),
    } = decode(&world.send(
        Channel::Anonymous,
        &renew_bytes(&world, &alice.tokens[0], &requests[0]),
    ))
    else {
        panic!("the renewal was refused, or came without a stamp")
    };
    assert_eq!(
        pending[0].finalize(&response).unwrap().token_key_id(),
        next_key.id()
    );
    // The grace is the migration window: after it the state is gone.
    world.now = OLD_EXPIRES.saturating_add(WINDOW);
    world.refused(
        Channel::Anonymous,
        &renew_bytes(&world, &alice.tokens[1], &requests[1]),
        ErrorCode::UnknownToken,
    );
}

#[test]
fn a_cold_call_resent_after_its_release_is_a_resend_not_a_second_spend() {
    let mut world = World::new("lifetimes: resend after release");
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let carol = world.raw_register("+15550003", 0);
    let token = &alice.tokens[0];
    spend_and_release(&mut world, token, &bob, b"hello");
    let queued = world.queued(&bob.account()).len();

    let before = world.snapshot();
    assert!(accepted(
        &mut world,
        &cold_call_bytes(bob.account(), token, b"hello")
    ));
    assert_eq!(world.snapshot(), before, "a resend changes nothing");
    assert_eq!(world.queued(&bob.account()).len(), queued, "nothing queued");
    // Another payload, or another recipient, is a second spend.
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), token, b"other"),
        ErrorCode::TokenSpent,
    );
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(carol.account(), token, b"hello"),
        ErrorCode::TokenSpent,
    );
}

fn registered(world: &mut World, phone: &str) -> Client {
    let mut client = world.new_client();
    world.register(&mut client, phone);
    client
}

#[test]
fn a_client_whose_cold_call_response_was_lost_until_after_the_release_renews_its_token() {
    let mut world = World::new("lifetimes: client resend after release");
    let mut alice = registered(&mut world, "+15550001");
    let mut bob = registered(&mut world, "+15550002");
    let tokens = alice.token_counts().available;
    let bob_certificate = bob.certificate().unwrap().clone();

    // Alice's cold call reaches the server, but its answer is lost.
    let intro = alice
        .compose_introduction(&mut world.rng, world.now, &bob_certificate, b"hi", b"")
        .unwrap();
    let sealed = world.seal(&alice.account(), &bob.account(), &intro);
    alice
        .send_cold_call(world.now, bob.account(), &sealed)
        .unwrap();
    let t = alice.poll_transmit(world.now).unwrap();
    world.send_from(Some(alice.account()), t.channel, &t.bytes);
    alice.handle_send_failure(t.id).unwrap();

    // Bob accepts; his client releases the token.
    world.deliver(&mut bob);
    bob.accept(&mut world.rng, world.now, alice.account())
        .unwrap();
    world.advance(&mut bob, 2 * 3600);
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, Event::TokenReleased { .. })));

    // The resend is answered as one, and the token is renewed at the next check.
    world.pump(&mut alice);
    assert!(events(&mut alice)
        .iter()
        .any(|e| matches!(e, Event::ColdCallSent { .. })));
    assert_eq!(alice.token_counts().attached, 1);
    renews_within_two_hours(&mut world, &mut alice, tokens);
}

#[test]
fn a_token_spent_by_a_copy_of_the_wallet_is_not_reused_but_renewed_once_released() {
    let mut world = World::new("lifetimes: token spent by a copy");
    let mut alice = registered(&mut world, "+15550001");
    let bob = registered(&mut world, "+15550002");
    let mut carol = registered(&mut world, "+15550003");
    let tokens = alice.token_counts().available;
    // A copy of Alice's wallet (a restored backup, say) spends her first token on Carol.
    let mut copy = Client::from_bytes(&alice.to_bytes().unwrap(), settings()).unwrap();
    let carol_certificate = carol.certificate().unwrap().clone();
    world.cold_call(&mut copy, &carol_certificate, b"from the copy");

    // Alice offers the same token to Bob: token_spent. It is not offered again, nor dropped:
    // it waits, attached, for its release.
    let bob_certificate = bob.certificate().unwrap().clone();
    world.cold_call(&mut alice, &bob_certificate, b"from alice");
    assert!(events(&mut alice).iter().any(|e| matches!(
        e,
        Event::RequestFailed {
            reason: FailureReason::Server(ErrorCode::TokenSpent),
            ..
        }
    )));
    let counts = alice.token_counts();
    assert_eq!((counts.available, counts.attached), (tokens - 1, 1));
    assert!(world.take_queued(&bob.account()).is_empty());

    // Carol accepts and releases it; Alice's next check renews it.
    world.deliver(&mut carol);
    carol
        .accept(&mut world.rng, world.now, alice.account())
        .unwrap();
    world.advance(&mut carol, 2 * 3600);
    renews_within_two_hours(&mut world, &mut alice, tokens);
}

#[test]
fn a_client_exchanges_its_unspent_tokens_before_their_key_expires() {
    let (mut world, next_key) = world_with_next_key("lifetimes: client migration");
    let mut alice = registered(&mut world, "+15550001");
    let bob = world.raw_register("+15550002", 0);
    world.add_host(bob.account());
    let tokens = alice.token_counts().available;
    assert!(tokens > 0);
    let due = OLD_EXPIRES.saturating_sub(WINDOW);

    // Before the window nothing is exchanged, but the client names the time it opens.
    world.now = due.saturating_sub(DAY);
    world.timeout(&mut alice);
    world.settle(&mut alice);
    assert!(!events(&mut alice)
        .iter()
        .any(|e| matches!(e, Event::TokenRenewed)));
    assert!(alice.poll_timeout().unwrap() <= due);

    world.now = due;
    world.timeout(&mut alice);
    assert_eq!(alice.token_counts().renewing, tokens);
    world.settle(&mut alice);
    let renewed = events(&mut alice)
        .iter()
        .filter(|e| matches!(e, Event::TokenRenewed))
        .count();
    assert_eq!(renewed, tokens);
    assert_eq!(alice.token_counts().available, tokens);

    // The wallet pays with a token under the next key, and nothing is exchanged again.
    let intro = alice
        .compose_introduction(&mut world.rng, world.now, &bob.certificate, b"hi", b"")
        .unwrap();
    let sealed = world.seal(&alice.account(), &bob.account(), &intro);
    alice
        .send_cold_call(world.now, bob.account(), &sealed)
        .unwrap();
    let t = alice.poll_transmit(world.now).unwrap();
    let Ok(Request::ColdCall(call)) = Request::from_bytes(&t.bytes) else {
        panic!("not a cold call")
    };
    assert_eq!(call.token.token_key_id(), next_key.id());
    world.exchange(&mut alice, t);
    world.advance(&mut alice, 7 * DAY);
    assert_eq!(alice.token_counts().available, tokens - 1);
    assert_eq!(alice.token_counts().renewing, 0);
    // The old key's expiry costs the wallet nothing.
    world.now = OLD_EXPIRES.saturating_add(DAY);
    world.timeout(&mut alice);
    assert_eq!(alice.token_counts().available, tokens - 1);
}

#[test]
fn a_replayed_older_introduction_under_a_fresh_handle_is_refused_and_changes_nothing() {
    let mut world = World::new("lifetimes: introduction replay");
    let mut alice = registered(&mut world, "+15550001");
    let mut bob = registered(&mut world, "+15550002");
    let bob_certificate = bob.certificate().unwrap().clone();

    // Alice introduces herself twice; the server keeps the first introduction.
    world.cold_call(&mut alice, &bob_certificate, b"first");
    let first = world.take_queued(&bob.account()).remove(0);
    let Ok(Delivery::ColdCall { sealed, .. }) = Delivery::from_bytes(&first) else {
        panic!("not a cold call")
    };
    let opened = world.open(&bob.account(), &sealed).unwrap().payload;
    world.hand_delivery(&mut bob, first, opened.clone());
    world.now = world.now.saturating_add(600);
    world.cold_call(&mut alice, &bob_certificate, b"second");
    let second = world.take_queued(&bob.account()).remove(0);
    let Ok(Delivery::ColdCall {
        sealed: second_sealed,
        ..
    }) = Delivery::from_bytes(&second)
    else {
        panic!("not a cold call")
    };
    let second_opened = world.open(&bob.account(), &second_sealed).unwrap().payload;
    world.hand_delivery(&mut bob, second, second_opened.clone());
    events(&mut bob);
    let contacts = bob.contacts();
    let state = bob.to_bytes().unwrap();

    // The server replays the first introduction under a fresh handle: refused, nothing moves.
    let replay = |handle: [u8; 16], sealed: &[u8], now: Time| {
        Delivery::ColdCall {
            handle: DeliveryHandle(handle),
            received_at: now,
            sealed: sealed.to_vec(),
        }
        .to_bytes()
    };
    world.now = world.now.saturating_add(600);
    let err = bob
        .handle_delivery(world.now, &replay([0xA1; 16], &sealed, world.now), &opened)
        .unwrap_err();
    assert!(
        matches!(err, ClientError::StaleIntroduction { created_at, stored } if created_at < stored),
        "{err:?}"
    );
    assert_eq!(*bob.to_bytes().unwrap(), *state);
    assert!(events(&mut bob).is_empty());

    // The newest introduction replayed under a fresh handle changes no contact either.
    bob.handle_delivery(
        world.now,
        &replay([0xA2; 16], &second_sealed, world.now),
        &second_opened,
    )
    .unwrap();
    assert!(events(&mut bob).is_empty());
    assert_eq!(bob.contacts(), contacts);
    assert_eq!(*bob.to_bytes().unwrap(), *state);
}

#[test]
fn a_refused_exchange_leaves_the_token_available_and_is_not_retried_at_once() {
    // A server that does not exchange (its window is 0) answers unknown_token.
    let config = ServerConfig {
        token_migration_window: 0,
        ..ServerConfig::default()
    };
    let (mut world, _) = world_with_next_key_and("lifetimes: refused exchange", config);
    let mut alice = registered(&mut world, "+15550001");
    let tokens = alice.token_counts().available;
    world.now = OLD_EXPIRES.saturating_sub(WINDOW);
    world.timeout(&mut alice);
    assert_eq!(alice.token_counts().renewing, tokens);
    world.pump(&mut alice);
    let refused = |alice: &mut Client| {
        events(alice)
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::RequestFailed {
                        reason: FailureReason::Server(ErrorCode::UnknownToken),
                        ..
                    }
                )
            })
            .count()
    };
    assert_eq!(refused(&mut alice), tokens);
    let counts = alice.token_counts();
    assert_eq!((counts.available, counts.renewing), (tokens, 0));
    // Not offered again before a renewal-check draw (at least the renewal interval, 1800 s).
    world.now = world.now.saturating_add(1799);
    world.timeout(&mut alice);
    assert_eq!(alice.token_counts().renewing, 0);
    world.advance(&mut alice, 1802);
    assert_eq!(refused(&mut alice), tokens);
    assert_eq!(alice.token_counts().available, tokens);
}

/// `client`'s next renewal check, within two hours, renews its spent token: it then holds
/// `tokens`, all available.
#[track_caller]
fn renews_within_two_hours(world: &mut World, client: &mut Client, tokens: usize) {
    world.advance(client, 2 * 3600);
    assert!(events(client)
        .iter()
        .any(|e| matches!(e, Event::TokenRenewed)));
    let counts = client.token_counts();
    assert_eq!((counts.available, counts.total()), (tokens, tokens));
}
