//! One full conversation between real clients, for the tests that inspect everything the
//! server received or that interpose on every response and delivery.

use blindpost::bbs04::MemberKey;
use blindpost::certificate::Certificate;
use blindpost::client::{Client, Event};
use blindpost::simulation::raw::phone;
use blindpost::simulation::{events, World};
use blindpost::wire::{Delivery, DeliveryHandle, Payload};

pub struct Conversation {
    pub world: World,
    pub alice: Client,
    pub bob: Client,
    pub carol: Client,
    /// Alice's member key of Bob's group, and Bob's of Alice's (from the opened introductions).
    pub alice_in_bob: MemberKey,
    pub bob_in_alice: MemberKey,
    /// The handle Alice's cold call was delivered to Bob with.
    pub handle: DeliveryHandle,
}

fn introduction_member_key(world: &mut World, to: &blindpost::account::AccountId) -> MemberKey {
    let queued = world.queued(to);
    let opened = world
        .open(to, queued.last().unwrap().sealed())
        .unwrap()
        .payload;
    let Payload::Introduction(intro) = Payload::from_bytes(&opened).unwrap() else {
        panic!("not an introduction")
    };
    intro.content().member_key.clone()
}

fn found(client: &mut Client) -> Vec<Certificate> {
    events(client)
        .into_iter()
        .find_map(|e| match e {
            Event::LookupCompleted { found } => Some(found),
            _ => None,
        })
        .unwrap()
}

/// Registration of Alice, Bob and Carol; Alice's key refresh and discovery; her cold call to
/// Bob; replies both ways; Bob's release and Alice's renewal; Alice's second cold call (to
/// Carol); and Bob blocking Alice (a revocation). Every kind of request but a group key
/// rotation travels.
pub fn conversation(mut world: World) -> Conversation {
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    let mut carol = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    world.register(&mut carol, "+15550003");

    // Unchanged keys: nothing to report.
    alice.refresh_keys(world.now);
    world.pump(&mut alice);
    assert!(!events(&mut alice)
        .iter()
        .any(|e| matches!(e, Event::KeysUpdated | Event::KeysInconsistent { .. })));
    alice
        .lookup(
            &mut world.rng,
            world.now,
            vec![phone("+15550002"), phone("+15550003")],
        )
        .unwrap();
    world.pump(&mut alice);
    let certs = found(&mut alice);
    assert_eq!(certs.len(), 2);

    let intro = alice
        .compose_introduction(&mut world.rng, world.now, &certs[0], b"hi bob", b"")
        .unwrap();
    let sealed = world.seal(&alice.account(), &bob.account(), &intro);
    alice
        .send_cold_call(world.now, bob.account(), &sealed)
        .unwrap();
    world.pump(&mut alice);
    let handle = match world.queued(&bob.account()).as_slice() {
        [Delivery::ColdCall { handle, .. }] => *handle,
        other => panic!("{other:?}"),
    };
    let bob_in_alice = introduction_member_key(&mut world, &bob.account());
    world.deliver(&mut bob);

    world.reply(&mut bob, alice.account(), b"hi alice");
    let alice_in_bob = introduction_member_key(&mut world, &alice.account());
    world.deliver(&mut alice);

    world.reply(&mut alice, bob.account(), b"how are you");
    world.deliver(&mut bob);

    let due = bob.poll_timeout().unwrap();
    world.advance(&mut bob, due.secs_since(world.now));
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, Event::TokenReleased { .. })));
    let check = alice.poll_timeout().unwrap();
    world.advance(&mut alice, check.secs_since(world.now));
    assert!(events(&mut alice).contains(&Event::TokenRenewed));

    let intro = alice
        .compose_introduction(&mut world.rng, world.now, &certs[1], b"hi carol", b"")
        .unwrap();
    let sealed = world.seal(&alice.account(), &carol.account(), &intro);
    alice
        .send_cold_call(world.now, carol.account(), &sealed)
        .unwrap();
    world.pump(&mut alice);
    assert!(events(&mut alice).contains(&Event::ColdCallSent {
        recipient: carol.account()
    }));
    world.deliver(&mut carol);

    bob.block(&mut world.rng, world.now, alice.account())
        .unwrap()
        .expect("a revocation");
    world.pump(&mut bob);
    assert!(events(&mut bob).contains(&Event::ContactBlocked {
        contact: alice.account()
    }));

    Conversation {
        world,
        alice,
        bob,
        carol,
        alice_in_bob,
        bob_in_alice,
        handle,
    }
}
