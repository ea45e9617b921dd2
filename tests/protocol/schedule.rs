//! When requests leave (SPEC.md 13.6): every request has its own random not-before time, so
//! that a server logging arrival times cannot tie an anonymous request to the authenticated one
//! that caused it. Each test here fails if one of issue 13's timing findings comes back: lookups
//! right after their issuance (and counts that match it), work that piled up while a phone
//! slept leaving in one burst, and a key pin nobody checks.
//!
//! Every world is seeded, so the random times are the same on every run; the assertions hold for
//! any draw except those that land within a second of another (probability below 10^-3 each).

use blindpost::account::Channel;
use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, ClientSettings, Event, PublishedKeySet};
use blindpost::simulation::{events, settings, HostTiming, Received, World};
use blindpost::token::{TokenKey, TokenKeyEntry, TokenKeySet};
use blindpost::wire::{Request, RequestType, Response, ServerKeys};
use blindpost::Time;

const DAY: u64 = 24 * 3600;

fn world(seed: &str) -> World {
    let mut world = World::new(seed);
    world.timing = HostTiming::Scheduled;
    world
}

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

/// Runs `client`'s host as SPEC.md 13.6 asks (timers first, then what is due) at every time the
/// client names, up to `until`; returns the events.
fn run_until(world: &mut World, client: &mut Client, until: Time) -> Vec<Event> {
    let mut seen = Vec::new();
    while let Some(next) = client.poll_timeout().filter(|t| *t <= until) {
        world.now = world.now.max(next);
        world.timeout(client);
        world.pump(client);
        seen.extend(events(client));
    }
    world.now = world.now.max(until);
    seen
}

/// What `client`'s host sent since entry `start` of the server's log, of type `kind`.
fn sent<'w>(
    world: &'w World,
    start: usize,
    client: &Client,
    kind: RequestType,
) -> Vec<&'w Received> {
    world.received[start..]
        .iter()
        .filter(|r| r.sender == Some(client.account()) && r.request_type == kind)
        .collect()
}

#[test]
fn lookups_leave_at_their_own_times_in_the_window_and_issuance_counts_say_nothing() {
    let mut world = world("schedule: lookups");
    let mut bob = world.new_client();
    world.register(&mut bob, "+15550002");
    let lookups = ClientSettings {
        discovery_tokens: 4,
        discovery_batch: 1,
        ..settings()
    };
    let mut alice = world.new_client_with(lookups.clone());
    let mut carol = world.new_client_with(lookups);
    let start = world.received.len();
    world.register(&mut alice, "+15550001");
    world.register(&mut carol, "+15550003");
    let registered = world.now;
    let window_end = Time::from_unix_secs((registered.window(DAY) + 1) * DAY);

    // Alice looks up three numbers (three batches), Carol one.
    let numbers = ["+15550002", "+15550004", "+15550005"];
    alice
        .lookup(&mut world.rng, world.now, numbers.map(phone).to_vec())
        .unwrap();
    carol
        .lookup(&mut world.rng, world.now, vec![phone("+15550002")])
        .unwrap();
    // Nothing leaves at the command: the tokens come first, at a random time.
    assert_eq!(alice.poll_transmit(world.now), None);
    let alice_events = run_until(&mut world, &mut alice, window_end);
    world.now = registered;
    run_until(&mut world, &mut carol, window_end);

    // Both ask for the same number of tokens, whatever their address books hold.
    for (who, client) in [("alice", &alice), ("carol", &carol)] {
        let issued = sent(&world, start, client, RequestType::IssueDiscoveryTokens);
        assert_eq!(issued.len(), 1, "{who}: one issuance in the window");
        let Ok(Request::IssueDiscoveryTokens { requests, .. }) =
            Request::from_bytes(&issued[0].bytes)
        else {
            panic!("{who}: an issuance request");
        };
        assert_eq!(requests.len(), 4, "{who}: the fixed count, not the need");
    }

    // Alice's three lookups leave at three different times, none with the issuance or right
    // after its answer, all inside the tokens' window.
    let issued_at = sent(&world, start, &alice, RequestType::IssueDiscoveryTokens)[0].now;
    assert!(issued_at > registered, "the issuance waits a random time");
    let times: Vec<Time> = sent(&world, start, &alice, RequestType::Lookup)
        .iter()
        .map(|r| r.now)
        .collect();
    assert_eq!(times.len(), 3);
    for (i, t) in times.iter().enumerate() {
        assert!(
            t.secs_since(issued_at) >= 60,
            "lookup {i} leaves {} s after the issuance",
            t.secs_since(issued_at)
        );
        assert!(*t < window_end, "lookup {i} leaves inside its window");
        assert!(
            times[..i].iter().all(|u| u != t),
            "lookup {i} shares its second with another"
        );
    }
    let completed = alice_events
        .iter()
        .filter(|e| matches!(e, Event::LookupCompleted { .. }))
        .count();
    assert_eq!(completed, 3, "every batch is answered");
}

/// Alice has accepted Bob's cold call (a release is due later) and made a cold call of her own
/// (a renewal check is due later), and returns the world with both pending.
fn release_and_renewal_pending(seed: &str) -> (World, Client, Client) {
    let mut world = world(seed);
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    let bob_certificate = world.lookup_one(&mut alice, "+15550002");
    world.cold_call(&mut alice, &bob_certificate, b"hello bob");
    let alice_certificate = world.lookup_one(&mut bob, "+15550001");
    world.cold_call(&mut bob, &alice_certificate, b"hello alice");
    world.deliver(&mut alice);
    alice
        .accept(&mut world.rng, world.now, bob.account())
        .unwrap();
    assert_eq!(alice.token_counts().attached, 1);
    (world, alice, bob)
}

#[test]
fn work_due_while_the_phone_slept_leaves_at_separate_random_times() {
    let (mut world, mut alice, _bob) = release_and_renewal_pending("schedule: sleep");
    // The phone sleeps two days: the release and the renewal check both fall due meanwhile.
    world.now += 2 * DAY;
    let wake = world.now;
    let start = world.received.len();
    world.timeout(&mut alice);
    assert_eq!(
        alice.poll_transmit(wake),
        None,
        "nothing leaves at the wake-up"
    );
    run_until(&mut world, &mut alice, wake + DAY);
    let release = sent(&world, start, &alice, RequestType::Release);
    let renewal = sent(&world, start, &alice, RequestType::RenewToken);
    assert_eq!(release.len(), 1);
    assert!(!renewal.is_empty());
    let (released, renewed) = (release[0].now, renewal[0].now);
    assert_eq!(release[0].channel, Channel::Authenticated(alice.account()));
    assert_eq!(renewal[0].channel, Channel::Anonymous);
    assert!(released > wake && renewed > wake);
    assert!(
        released.abs_diff(renewed) >= 2,
        "the authenticated release and the anonymous renewal leave together ({released}, {renewed})"
    );
}

#[test]
fn a_restored_client_gives_overdue_work_fresh_times_instead_of_a_burst() {
    let (mut world, alice, _bob) = release_and_renewal_pending("schedule: restart");
    let mut alice = alice;
    world.now += 2 * DAY;
    world.timeout(&mut alice);
    let queued = alice.outstanding();
    assert!(queued >= 2, "the release and the renewal are queued");
    // The app is killed before they leave and starts again three hours later.
    let blob = alice.to_bytes().unwrap();
    world.now += 3 * 3600;
    let restart = world.now;
    let mut alice = Client::from_bytes(&blob, settings()).unwrap();
    world.timeout(&mut alice);
    assert_eq!(
        alice.poll_transmit(restart),
        None,
        "overdue work does not leave at the restart"
    );
    let start = world.received.len();
    run_until(&mut world, &mut alice, restart + DAY);
    let times: Vec<Time> = world.received[start..]
        .iter()
        .filter(|r| r.sender == Some(alice.account()))
        .map(|r| r.now)
        .collect();
    assert!(times.len() >= queued);
    for (i, t) in times.iter().enumerate() {
        assert!(*t > restart);
        assert!(
            times[..i].iter().all(|u| u != t),
            "two requests leave in the same second after the restart: {times:?}"
        );
    }
}

/// The cold-call key set of `keys` replaced by `set`.
fn with_cold_call_set(keys: &ServerKeys, set: TokenKeySet) -> Vec<u8> {
    Response::Keys(ServerKeys {
        cold_call_tokens: set,
        ..keys.clone()
    })
    .to_bytes()
}

#[test]
fn the_key_pin_is_checked_at_random_times_and_a_contradicting_set_is_reported() {
    let mut world = world("schedule: key pin");
    let mut alice = world.new_client();
    world.register(&mut alice, "+15550001");
    let registered = world.now;
    let interval = settings().key_check_interval;

    // The check: an anonymous fetch of the published keys, between one and two intervals
    // after registration (plus the background delay, at most an hour in these settings).
    let start = world.received.len();
    let seen = run_until(&mut world, &mut alice, registered + 3 * interval);
    let checks = sent(&world, start, &alice, RequestType::FetchKeys);
    assert!(!checks.is_empty(), "the pin is checked");
    let first = checks[0];
    assert_eq!(first.channel, Channel::Anonymous);
    let after = first.now.secs_since(registered);
    assert!(
        (interval..2 * interval + 3600).contains(&after),
        "first check {after} s after registration"
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::KeysInconsistent { .. })),
        "an honest server's keys agree with the pin"
    );

    // A server that shows this client another cold-call key under the same serial is caught.
    let pinned = alice.server_keys().clone();
    let pinned_digest = *pinned.cold_call_tokens.digest();
    let old = &pinned.cold_call_tokens;
    let pem = include_str!("../../test-vectors/token_keys/rsa2048-b.pem");
    let rsa = blindpost::blind_rsa::SecretKey::from_pkcs8_pem(pem).unwrap();
    let other_key = TokenKey::from_public_key(rsa.public_key()).unwrap();
    let entry = &old.entries()[0];
    let other = TokenKeySet::new(
        old.serial(),
        old.issuer_name(),
        vec![TokenKeyEntry::new(
            other_key,
            entry.not_before(),
            entry.expires(),
        )],
    )
    .unwrap();
    alice.refresh_keys(world.now);
    let t = alice.poll_transmit(world.now).unwrap();
    alice
        .handle_response(
            &mut world.rng,
            world.now,
            t.id,
            &with_cold_call_set(&pinned, other),
        )
        .unwrap();
    assert_eq!(
        events(&mut alice),
        vec![Event::KeysInconsistent {
            set: PublishedKeySet::ColdCallTokens
        }]
    );
    assert_eq!(
        alice.server_keys().cold_call_tokens.digest(),
        &pinned_digest
    );

    // A valid update (a higher serial keeping every pinned key) replaces the pin.
    let mut entries = old.entries().to_vec();
    let later = entry.expires();
    let next_key = TokenKey::from_public_key(rsa.public_key()).unwrap();
    entries.push(TokenKeyEntry::new(next_key, later, later + DAY));
    let update = TokenKeySet::new(old.serial() + 1, old.issuer_name(), entries).unwrap();
    alice.refresh_keys(world.now);
    let t = alice.poll_transmit(world.now).unwrap();
    alice
        .handle_response(
            &mut world.rng,
            world.now,
            t.id,
            &with_cold_call_set(&pinned, update.clone()),
        )
        .unwrap();
    assert_eq!(events(&mut alice), vec![Event::KeysUpdated]);
    assert_eq!(
        alice.server_keys().cold_call_tokens.digest(),
        update.digest()
    );
}

#[test]
fn tokens_on_demand_are_asked_for_only_by_lookups_and_count_their_batches() {
    let mut world = world("schedule: on demand");
    let on_demand = ClientSettings {
        discovery_tokens: 0,
        discovery_batch: 1,
        ..settings()
    };
    let mut alice = world.new_client_with(on_demand);
    let mut bob = world.new_client();
    world.register(&mut bob, "+15550002");
    let start = world.received.len();
    world.register(&mut alice, "+15550001");
    let registered = world.now;
    run_until(&mut world, &mut alice, registered + 3600);
    assert!(
        sent(&world, start, &alice, RequestType::IssueDiscoveryTokens).is_empty(),
        "no lookup, no tokens"
    );
    let numbers = ["+15550002", "+15550004", "+15550005"];
    alice
        .lookup(&mut world.rng, world.now, numbers.map(phone).to_vec())
        .unwrap();
    let window_end = Time::from_unix_secs((world.now.window(DAY) + 1) * DAY);
    let seen = run_until(&mut world, &mut alice, window_end - 1);
    let issued = sent(&world, start, &alice, RequestType::IssueDiscoveryTokens);
    assert_eq!(issued.len(), 1);
    let Ok(Request::IssueDiscoveryTokens { requests, .. }) = Request::from_bytes(&issued[0].bytes)
    else {
        panic!("an issuance request");
    };
    assert_eq!(requests.len(), 3, "one token per waiting batch");
    let completed = seen
        .iter()
        .filter(|e| matches!(e, Event::LookupCompleted { .. }))
        .count();
    assert_eq!(completed, 3);
}
