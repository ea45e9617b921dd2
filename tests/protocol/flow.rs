//! The whole protocol between real clients and a real server: registration, discovery, cold
//! call, reply, release and renewal, blocking and revocation.

use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, ClientError, Event, FailureReason};
use blindpost::simulation::{self, World};
use blindpost::wire::{reply_timestamp, ErrorCode, Request, RequestType, REPLY_TIME_GRANULARITY};
use blindpost::Time;

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

#[test]
fn registration_gives_a_certificate_and_five_tokens() {
    let mut world = World::new("registration");
    let mut alice = world.new_client();
    let events = world.register(&mut alice, "+15550001");
    assert!(matches!(events.first(), Some(Event::CodeRequested { .. })));
    let Some(Event::Registered {
        certificate,
        tokens,
    }) = events.get(1)
    else {
        panic!("{events:?}")
    };
    assert_eq!(*tokens, 5);
    assert_eq!(certificate.phone(), &phone("+15550001"));
    assert_eq!(alice.token_counts().available, 5);
    assert_eq!(alice.certificate(), Some(certificate));
}

#[test]
fn cold_call_reply_release_and_renewal() {
    let mut world = World::new("conversation");
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");

    // Alice finds Bob by phone number (one discovery token, over the anonymous channel).
    alice
        .lookup(
            &mut world.rng,
            world.now,
            vec![phone("+15550002"), phone("+15559999")],
        )
        .unwrap();
    world.pump(&mut alice);
    let found = simulation::events(&mut alice)
        .into_iter()
        .find_map(|e| match e {
            Event::LookupCompleted { found } => Some(found),
            _ => None,
        })
        .unwrap();
    assert_eq!(found.len(), 1, "only Bob is registered");
    let bob_cert = found[0].clone();
    assert_eq!(bob_cert.phone(), &phone("+15550002"));

    // Cold call: costs one token, which stays attached to Bob.
    let intro = alice
        .compose_introduction(
            &mut world.rng,
            world.now,
            &bob_cert,
            b"hi bob",
            b"ratchet-a",
        )
        .unwrap();
    let sealed = world.seal(&alice.account(), &bob.account(), &intro);
    alice
        .send_cold_call(world.now, bob.account(), &sealed)
        .unwrap();
    world.pump(&mut alice);
    assert!(
        simulation::events(&mut alice).contains(&Event::ColdCallSent {
            recipient: bob.account()
        })
    );
    assert_eq!(alice.token_counts().available, 4);
    assert_eq!(alice.token_counts().attached, 1);

    let events = world.deliver(&mut bob);
    let [Event::IntroductionReceived {
        contact,
        phone: from,
        message,
        host_material,
        cold_call: true,
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*contact, alice.account());
    assert_eq!(from, &phone("+15550001"));
    assert_eq!(message, b"hi bob");
    assert_eq!(host_material, b"ratchet-a");

    // Bob replies under Alice's group: no token. His first reply introduces himself.
    let reply = bob
        .compose_reply(
            &mut world.rng,
            world.now,
            alice.account(),
            b"hi alice",
            b"ratchet-b",
        )
        .unwrap();
    let sealed = world.seal(&bob.account(), &alice.account(), &reply);
    bob.send_reply(&mut world.rng, world.now, alice.account(), &sealed)
        .unwrap();
    world.pump(&mut bob);
    assert!(simulation::events(&mut bob).contains(&Event::ReplySent {
        recipient: alice.account()
    }));
    assert_eq!(bob.token_counts().available, 5);

    let events = world.deliver(&mut alice);
    assert!(
        matches!(events.as_slice(), [Event::IntroductionReceived { contact, cold_call: false, message, .. }]
            if *contact == bob.account() && message == b"hi alice"),
        "{events:?}"
    );

    // Alice now answers with a group signature under Bob's group.
    world.reply(&mut alice, bob.account(), b"how are you");
    let events = world.deliver(&mut bob);
    assert!(
        matches!(events.as_slice(), [Event::MessageReceived { contact, message, .. }]
            if *contact == alice.account() && message == b"how are you"),
        "{events:?}"
    );

    // Bob's reply scheduled the release of Alice's token at a random later time.
    let due = bob.poll_timeout().expect("release scheduled");
    // Exponential { min: 600, max: 3600 }: min + min(Exp(mean), max - min), both ends included.
    assert!(due >= world.now + 600 && due <= world.now + 3600);
    world.advance(&mut bob, due.secs_since(world.now));
    assert!(simulation::events(&mut bob)
        .iter()
        .any(|e| matches!(e, Event::TokenReleased { .. })));

    // Alice's client checks its spent token and gets a fresh one for it.
    let check = alice.poll_timeout().expect("renewal check scheduled");
    world.advance(&mut alice, check.secs_since(world.now));
    assert!(simulation::events(&mut alice).contains(&Event::TokenRenewed));
    assert_eq!(alice.token_counts().available, 5);
    assert_eq!(alice.token_counts().total(), 5);
}

#[test]
fn a_spammer_with_five_tokens_and_no_releases_makes_exactly_five_cold_calls() {
    let mut world = World::new("spammer");
    let mut spammer = world.new_client();
    world.register(&mut spammer, "+15550100");
    let mut victims = Vec::new();
    for i in 0..7 {
        let mut v = world.new_client();
        world.register(&mut v, &format!("+1555020{i}"));
        victims.push(v);
    }
    let phones: Vec<_> = (0..7).map(|i| phone(&format!("+1555020{i}"))).collect();
    spammer.lookup(&mut world.rng, world.now, phones).unwrap();
    world.pump(&mut spammer);
    let certs = simulation::events(&mut spammer)
        .into_iter()
        .find_map(|e| match e {
            Event::LookupCompleted { found } => Some(found),
            _ => None,
        })
        .unwrap();
    assert_eq!(certs.len(), 7);
    let mut sent = 0;
    for (victim, cert) in victims.iter().zip(&certs) {
        let intro = spammer
            .compose_introduction(&mut world.rng, world.now, cert, b"buy now", b"")
            .unwrap();
        let sealed = world.seal(&spammer.account(), &victim.account(), &intro);
        match spammer.send_cold_call(world.now, victim.account(), &sealed) {
            Ok(_) => {
                world.pump(&mut spammer);
                sent += 1;
            }
            Err(blindpost::client::ClientError::NoTokens) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(sent, 5);
    // Nobody releases: days later the tokens are still attached and renewal keeps failing.
    for _ in 0..4 {
        world.advance(&mut spammer, 24 * 3600);
    }
    let counts = spammer.token_counts();
    assert_eq!((counts.available, counts.attached), (0, 5));
    let failures: Vec<_> = simulation::events(&mut spammer)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Event::RequestFailed {
                    reason: FailureReason::Server(ErrorCode::NotReleased),
                    ..
                }
            )
        })
        .collect();
    assert!(!failures.is_empty());
}

#[test]
fn blocked_member_is_revoked_and_other_members_update() {
    let mut world = World::new("blocking");
    let mut bob = world.new_client();
    let mut alice = world.new_client();
    let mut carol = world.new_client();
    world.register(&mut bob, "+15550002");
    world.register(&mut alice, "+15550001");
    world.register(&mut carol, "+15550003");

    // Alice and Carol each cold-call Bob; Bob replies to both, handing each a member key.
    bob_with_two_members(&mut world, &mut bob, &mut alice, &mut carol);
    let generation = bob.group_key().generation();

    // Bob blocks Carol: her member key is revoked and the record published.
    bob.block(&mut world.rng, world.now, carol.account())
        .unwrap()
        .expect("revocation request");
    world.pump(&mut bob);
    assert_eq!(bob.group_key().generation(), generation + 1);
    assert!(
        simulation::events(&mut bob).contains(&Event::ContactBlocked {
            contact: carol.account()
        })
    );

    // Carol cannot reply any more: her key cannot follow the revocation.
    let msg = carol
        .compose_reply(&mut world.rng, world.now, bob.account(), b"let me in", b"")
        .unwrap();
    let sealed = world.seal(&carol.account(), &bob.account(), &msg);
    carol
        .send_reply(&mut world.rng, world.now, bob.account(), &sealed)
        .unwrap();
    let t = carol.poll_transmit(Time::MAX).unwrap();
    let response = world.send(t.channel, &t.bytes);
    carol
        .handle_response(&mut world.rng, world.now, t.id, &response)
        .unwrap();
    assert_eq!(
        simulation::events(&mut carol),
        [Event::RequestFailed {
            id: t.id,
            request: blindpost::wire::RequestType::FetchGroupKey,
            reason: FailureReason::Client(ClientError::Group(blindpost::bbs04::Error::Revoked)),
        }]
    );
    assert!(
        carol.poll_transmit(Time::MAX).is_none(),
        "the reply is dropped, not retried"
    );
    assert!(world
        .queues
        .get(&bob.account())
        .is_none_or(|q| q.is_empty()));

    // Alice updates her key from the record before signing, and gets through.
    world.reply(&mut alice, bob.account(), b"still here");
    let events = world.deliver(&mut bob);
    assert!(
        matches!(events.as_slice(), [Event::MessageReceived { contact, .. }] if *contact == alice.account()),
        "{events:?}"
    );
}

/// Issue 13 finding 3: a fetch that carried the member's generation told the server how far
/// behind each replier was, which split the members and linked one member's fetches and
/// replies. Two members at different generations must send the same bytes, which name the
/// group and nothing else, and get the same answer, from which each reaches the current key.
#[test]
fn members_at_different_generations_send_the_same_group_key_fetch() {
    let mut world = World::new("same fetch");
    let mut bob = world.new_client();
    let mut alice = world.new_client();
    let mut carol = world.new_client();
    let mut dave = world.new_client();
    world.register(&mut bob, "+15550002");
    world.register(&mut alice, "+15550001");
    world.register(&mut carol, "+15550003");
    world.register(&mut dave, "+15550004");
    bob_with_two_members(&mut world, &mut bob, &mut alice, &mut carol);
    let cert = world.lookup_one(&mut dave, "+15550002");
    world.cold_call(&mut dave, &cert, b"hello");
    world.deliver(&mut bob);
    world.reply(&mut bob, dave.account(), b"hey");
    world.deliver(&mut dave);

    // Bob blocks Dave (generation 1); Alice replies and so follows to generation 1, Carol
    // stays at generation 0.
    bob.block(&mut world.rng, world.now, dave.account())
        .unwrap()
        .expect("revocation request");
    world.pump(&mut bob);
    assert_eq!(bob.group_key().generation(), 1);
    world.reply(&mut alice, bob.account(), b"at one");
    let events = world.deliver(&mut bob);
    assert!(
        matches!(events.last(), Some(Event::MessageReceived { contact, .. }) if *contact == alice.account()),
        "{events:?}"
    );

    let mut fetches = Vec::new();
    for member in [&mut alice, &mut carol] {
        let msg = member
            .compose_reply(&mut world.rng, world.now, bob.account(), b"again", b"")
            .unwrap();
        let sealed = world.seal(&member.account(), &bob.account(), &msg);
        member
            .send_reply(&mut world.rng, world.now, bob.account(), &sealed)
            .unwrap();
        let t = member.poll_transmit(Time::MAX).unwrap();
        let response = world.send(t.channel, &t.bytes);
        fetches.push((t.bytes.clone(), response.clone()));
        member
            .handle_response(&mut world.rng, world.now, t.id, &response)
            .unwrap();
        world.pump(member);
    }
    // What the server sees: version, type, the group's account id; no generation.
    let expected = [
        &[blindpost::wire::VERSION, 0x12][..],
        bob.account().as_bytes(),
    ]
    .concat();
    assert_eq!(fetches[0].0, expected);
    assert_eq!(fetches[1].0, expected);
    assert_eq!(
        fetches[0].1, fetches[1].1,
        "the same answer for both members"
    );
    // Both followed the record from their own generation: both replies reach Bob.
    let events = world.deliver(&mut bob);
    let senders: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::MessageReceived { contact, .. } => Some(*contact),
            _ => None,
        })
        .collect();
    assert_eq!(senders, [alice.account(), carol.account()], "{events:?}");
}

/// Issue 13 finding 5: a reply's timestamp was its sender's exact clock, a fingerprint across
/// replies. Now it is rounded down to the granularity: two members whose clocks are 40 s apart
/// within one granularity window send the same timestamp, and it is a multiple.
#[test]
fn reply_timestamps_are_coarse() {
    let mut world = World::new("coarse time");
    let mut bob = world.new_client();
    let mut alice = world.new_client();
    let mut carol = world.new_client();
    world.register(&mut bob, "+15550002");
    world.register(&mut alice, "+15550001");
    world.register(&mut carol, "+15550003");
    bob_with_two_members(&mut world, &mut bob, &mut alice, &mut carol);

    let window_start = reply_timestamp(world.now) + REPLY_TIME_GRANULARITY;
    for (member, offset) in [(&mut alice, 100), (&mut carol, 140)] {
        world.now = window_start + offset;
        world.reply(member, bob.account(), b"when?");
    }
    let timestamps: Vec<_> = world
        .received
        .iter()
        .filter(|r| r.request_type == RequestType::Reply && r.now >= window_start)
        .map(|r| match Request::from_bytes(&r.bytes).unwrap() {
            Request::Reply(reply) => reply.timestamp,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(timestamps, [window_start, window_start]);
    assert_eq!(window_start.unix_secs() % REPLY_TIME_GRANULARITY, 0);
    let events = world.deliver(&mut bob);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::MessageReceived { .. }))
            .count(),
        2,
        "{events:?}"
    );
}

#[test]
fn a_reply_queued_across_a_revocation_is_checked_against_the_remembered_group_key() {
    let mut world = World::new("across revocation");
    let mut bob = world.new_client();
    let mut alice = world.new_client();
    let mut carol = world.new_client();
    world.register(&mut bob, "+15550002");
    world.register(&mut alice, "+15550001");
    world.register(&mut carol, "+15550003");
    bob_with_two_members(&mut world, &mut bob, &mut alice, &mut carol);

    // Alice's reply is accepted under generation 0 and waits in Bob's queue...
    world.reply(&mut alice, bob.account(), b"queued");
    let queued = world.queues.remove(&bob.account()).unwrap();
    assert_eq!(queued.len(), 1);

    // ...while Bob blocks Carol: his group moves to generation 1.
    bob.block(&mut world.rng, world.now, carol.account())
        .unwrap();
    world.pump(&mut bob);
    simulation::events(&mut bob);
    assert_eq!(bob.group_key().generation(), 1);

    // The reply is still checked (against the remembered generation-0 key) and opened to Alice.
    let delivery = blindpost::wire::Delivery::from_bytes(&queued[0]).unwrap();
    let opened = world
        .open(&bob.account(), delivery.sealed())
        .unwrap()
        .payload;
    bob.handle_delivery(world.now, &queued[0], &opened).unwrap();
    assert!(matches!(
        simulation::events(&mut bob).as_slice(),
        [Event::MessageReceived { contact, message, .. }] if *contact == alice.account() && message == b"queued"
    ));

    // The same signature with another payload does not pass as a generation-0 reply.
    let blindpost::wire::Delivery::Reply {
        generation,
        timestamp,
        signature,
        ..
    } = delivery
    else {
        panic!()
    };
    let forged = blindpost::wire::Delivery::Reply {
        generation,
        timestamp,
        sealed: world.seal(&alice.account(), &bob.account(), b"something else"),
        signature,
    };
    let before = bob.to_bytes().unwrap();
    let err = bob
        .handle_delivery(world.now, &forged.to_bytes(), &opened)
        .unwrap_err();
    assert_eq!(
        err,
        ClientError::Group(blindpost::bbs04::Error::InvalidSignature)
    );
    assert_eq!(bob.to_bytes().unwrap(), before);
}

#[test]
fn a_server_restarted_from_its_persisted_secrets_and_store_carries_on() {
    let mut world = World::new("restart");
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    let persisted = world.server.secrets().to_bytes().unwrap();
    let config = world.server.config().clone();

    // Restart: same secrets, same store, a new process.
    let placeholder = blindpost::server::Server::new(
        config.clone(),
        blindpost::server::ServerSecrets::from_bytes(&persisted).unwrap(),
        blindpost::store::MemoryStore::new(),
    )
    .unwrap();
    let store = std::mem::replace(&mut world.server, placeholder).into_store();
    let secrets = blindpost::server::ServerSecrets::from_bytes(&persisted).unwrap();
    world.server = blindpost::server::Server::new(config, secrets, store).unwrap();

    // Tokens issued before the restart still pay, and the accounts are still there.
    let cert = world.lookup_one(&mut alice, "+15550002");
    world.cold_call(&mut alice, &cert, b"after restart");
    assert!(
        simulation::events(&mut alice).contains(&Event::ColdCallSent {
            recipient: bob.account()
        })
    );
    assert!(matches!(
        world.deliver(&mut bob).as_slice(),
        [Event::IntroductionReceived { message, .. }] if message == b"after restart"
    ));
}

/// Alice and Carol cold-call Bob, Bob answers both: each holds a member key of Bob's group.
fn bob_with_two_members(
    world: &mut World,
    bob: &mut Client,
    alice: &mut Client,
    carol: &mut Client,
) {
    for who in [&mut *alice, &mut *carol] {
        let cert = world.lookup_one(who, "+15550002");
        world.cold_call(who, &cert, b"hello");
    }
    world.deliver(bob);
    for who in [alice.account(), carol.account()] {
        world.reply(bob, who, b"hey");
    }
    world.deliver(alice);
    world.deliver(carol);
}
