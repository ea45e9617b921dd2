//! A lookup whose discovery window ended while the phone slept (issue 13, finding 1 at wake).

use blindpost::client::Event;
use blindpost::simulation::raw::phone;
use blindpost::simulation::{events, HostTiming, World};
use blindpost::wire::RequestType;

/// Sent at wake with its expired token, the lookup was refused, and it arrived in the same
/// second as the phone's connection: the adversary linked it. It must instead wait for a token
/// of the new window and leave at its own time in that window.
#[test]
fn a_lookup_whose_window_ended_during_sleep_waits_for_a_token_of_the_new_window() {
    let mut world = World::new("expired lookup");
    world.timing = HostTiming::Scheduled;
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    world.settle(&mut alice);
    alice
        .lookup(&mut world.rng, world.now, vec![phone("+15550002")])
        .expect("a registered client looks up");
    events(&mut alice);

    // The phone sleeps until an hour into the next window; the server rotated its keys.
    let discovery = world.server.config().discovery.clone();
    let woke = discovery.window_end(discovery.window(world.now)) + 3600;
    world.now = woke;
    world
        .server
        .rotate_discovery_keys(&mut world.rng, woke)
        .expect("the new window's key");
    let start = world.received.len();
    world.timeout(&mut alice);
    world.pump(&mut alice);
    assert!(
        world.received[start..]
            .iter()
            .all(|r| r.request_type != RequestType::Lookup),
        "a lookup left at wake"
    );

    world.settle(&mut alice);
    let lookups: Vec<_> = world.received[start..]
        .iter()
        .filter(|r| r.request_type == RequestType::Lookup)
        .collect();
    assert_eq!(lookups.len(), 1);
    assert_eq!(
        lookups[0].refused, None,
        "paid with a token of the new window"
    );
    assert!(lookups[0].now > woke, "at its own time, not at wake");
    assert!(events(&mut alice)
        .iter()
        .any(|e| matches!(e, Event::LookupCompleted { found } if found.len() == 1)));
}
