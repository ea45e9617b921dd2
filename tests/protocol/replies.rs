//! Replies on the server: a group signature under the recipient's current group key, bound to
//! the recipient, the generation and a timestamp within the skew, accepted once. The recipient
//! here is a hand-registered account whose group manager key the test holds, so the test signs
//! exactly what it wants; the last test runs the clients.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{self, Checkpoint, GroupPublicKey, MemberKey, PreparedGroupKey};
use blindpost::client::{Event, FailureReason};
use blindpost::server::Output;
use blindpost::simulation::raw::{decode, error_code, phone};
use blindpost::simulation::{events, World};
use blindpost::wire::{
    reply_context, Delivery, ErrorCode, ReplyRequest, Request, Response, REPLY_TIME_GRANULARITY,
};
use blindpost::Time;

/// A reply to `recipient` signed by `member` under `group`, claiming `generation`.
fn signed_reply(
    world: &mut World,
    recipient: AccountId,
    member: &MemberKey,
    group: &GroupPublicKey,
    generation: u32,
    timestamp: Time,
    sealed: &[u8],
) -> ReplyRequest {
    let prepared = PreparedGroupKey::new(group.clone());
    let context = reply_context(&recipient, generation, timestamp);
    let signature = member
        .sign(&mut world.rng, &prepared, &context, sealed)
        .unwrap();
    ReplyRequest {
        recipient,
        generation,
        timestamp,
        sealed: sealed.to_vec(),
        signature,
    }
}

fn bytes(reply: &ReplyRequest) -> Vec<u8> {
    Request::Reply(reply.clone()).to_bytes()
}

#[test]
fn a_reply_is_accepted_once_and_only_within_the_clock_skew() {
    let mut world = World::new("reply replay and skew");
    let bob = world.raw_register("+15550002", 0);
    let group = bob.group.public_key().clone();
    let member = bob.group.issue_member(&mut world.rng);
    let skew = world.server.config().reply_skew;
    let now = world.now;

    let reply = signed_reply(&mut world, bob.account(), &member, &group, 0, now, b"hi");
    let handled = world
        .server
        .handle(&mut world.rng, now, Channel::Anonymous, &bytes(&reply));
    assert!(matches!(handled.decoded, Response::ReplyAccepted));
    let [Output::Deliver {
        recipient,
        delivery:
            Delivery::Reply {
                generation,
                timestamp,
                sealed,
                signature,
            },
    }] = handled.outputs.as_slice()
    else {
        panic!("{:?}", handled.outputs)
    };
    assert_eq!(*recipient, bob.account());
    assert_eq!(
        (*generation, *timestamp, sealed.as_slice()),
        (0, now, &b"hi"[..])
    );
    assert_eq!(signature, &reply.signature);
    assert_eq!(bob.group.open(signature), member.id());

    // The same bytes again: replayed, nothing stored, and the same delivery queued again (the
    // first attempt's host may have died before queueing it, SPEC.md 12.8).
    let before = world.snapshot();
    let again = world
        .server
        .handle(&mut world.rng, now, Channel::Anonymous, &bytes(&reply));
    assert_eq!(
        match again.decoded {
            Response::Error { code, .. } => Some(code),
            _ => None,
        },
        Some(ErrorCode::Replayed)
    );
    let [Output::Deliver {
        recipient: again_to,
        delivery: again_delivery,
    }] = again.outputs.as_slice()
    else {
        panic!("{:?}", again.outputs)
    };
    assert_eq!(*again_to, bob.account());
    assert_eq!(again_delivery.sealed(), b"hi");
    assert_eq!(world.snapshot(), before);

    // The signer's clock was in [t, t + granularity): the server accepts from t - skew up to,
    // not including, t + granularity + skew (SPEC.md 12.5).
    let g = REPLY_TIME_GRANULARITY;
    for (server_now, what, expected) in [
        (now - (skew + 1), "t - skew - 1", Some(ErrorCode::ClockSkew)),
        (now - skew, "t - skew", None),
        (now + (g + skew - 1), "t + granularity + skew - 1", None),
        (
            now + (g + skew),
            "t + granularity + skew",
            Some(ErrorCode::ClockSkew),
        ),
    ] {
        let reply = signed_reply(&mut world, bob.account(), &member, &group, 0, now, b"edge");
        let before = world.snapshot();
        let handled = world.server.handle(
            &mut world.rng,
            server_now,
            Channel::Anonymous,
            &bytes(&reply),
        );
        let code = match handled.decoded {
            Response::Error { code, .. } => Some(code),
            _ => None,
        };
        assert_eq!(code, expected, "server clock at {what}");
        if expected.is_some() {
            assert_eq!(world.snapshot(), before, "{what}");
        }
    }

    // A timestamp that is not a multiple of the granularity does not decode: refused as
    // malformed, nothing stored, whatever the signature.
    let exact = signed_reply(&mut world, bob.account(), &member, &group, 0, now + 1, b"x");
    world.refused(Channel::Anonymous, &bytes(&exact), ErrorCode::Malformed);

    // The server remembers the first reply for the whole acceptance interval: a resend at its
    // last second is still a replay...
    world.now = now + (g + skew - 1);
    world.server.maintain(world.now).unwrap();
    world.refused(Channel::Anonymous, &bytes(&reply), ErrorCode::Replayed);
    // ...and once the timestamp is out of it, the server forgets it (and purges the record)
    // and its resend is refused for its age, not accepted again.
    world.now = now + (g + skew);
    world.server.maintain(world.now).unwrap();
    world.refused(Channel::Anonymous, &bytes(&reply), ErrorCode::ClockSkew);
}

#[test]
fn a_tampered_reply_or_a_foreign_signer_is_refused() {
    let mut world = World::new("reply tampering");
    let bob = world.raw_register("+15550002", 0);
    let carol = world.raw_register("+15550003", 0);
    let group = bob.group.public_key().clone();
    let member = bob.group.issue_member(&mut world.rng);
    let now = world.now;
    let good = signed_reply(
        &mut world,
        bob.account(),
        &member,
        &group,
        0,
        now,
        b"payload",
    );

    let mut sealed = good.clone();
    sealed.sealed[0] ^= 1;
    world.refused(Channel::Anonymous, &bytes(&sealed), ErrorCode::BadSignature);

    let mut longer = good.clone();
    longer.sealed.push(0);
    world.refused(Channel::Anonymous, &bytes(&longer), ErrorCode::BadSignature);

    // One granularity earlier: still within the acceptance interval, so only the signature
    // can refuse it.
    let mut timestamp = good.clone();
    timestamp.timestamp = timestamp.timestamp - REPLY_TIME_GRANULARITY;
    world.refused(
        Channel::Anonymous,
        &bytes(&timestamp),
        ErrorCode::BadSignature,
    );

    // Carol's group is also at generation 0: the signature is for Bob's context and group.
    let mut recipient = good.clone();
    recipient.recipient = carol.account();
    world.refused(
        Channel::Anonymous,
        &bytes(&recipient),
        ErrorCode::BadSignature,
    );

    let mut generation = good.clone();
    generation.generation = 1;
    world.refused(
        Channel::Anonymous,
        &bytes(&generation),
        ErrorCode::StaleGeneration,
    );

    // A member of Carol's group signing for Bob (with Bob's context) is not a member of Bob's.
    let outsider = carol.group.issue_member(&mut world.rng);
    let foreign = signed_reply(
        &mut world,
        bob.account(),
        &outsider,
        carol.group.public_key(),
        0,
        now,
        b"payload",
    );
    world.refused(
        Channel::Anonymous,
        &bytes(&foreign),
        ErrorCode::BadSignature,
    );

    // A signature for Carol's account sent to an account that does not exist.
    let mut nobody = good.clone();
    nobody.recipient = AccountId([9; 32]);
    world.refused(
        Channel::Anonymous,
        &bytes(&nobody),
        ErrorCode::UnknownRecipient,
    );

    // The untouched reply still goes through: none of the refusals used it up.
    assert_eq!(
        error_code(&world.send(Channel::Anonymous, &bytes(&good))),
        None
    );
}

#[test]
fn after_a_revocation_old_signatures_are_stale_and_only_updated_members_get_through() {
    let mut world = World::new("reply revocation");
    let mut bob = world.raw_register("+15550002", 0);
    let old_group = bob.group.public_key().clone();
    let alice = bob.group.issue_member(&mut world.rng);
    let dave = bob.group.issue_member(&mut world.rng);
    let now = world.now;
    // Both sign replies under generation 0 but do not send them yet.
    let alice_old = signed_reply(&mut world, bob.account(), &alice, &old_group, 0, now, b"a");
    let dave_old = signed_reply(&mut world, bob.account(), &dave, &old_group, 0, now, b"d");

    // Bob revokes Dave and publishes the record with the checkpoint of Alice's new key.
    let record = bob.group.revoke(&dave).unwrap();
    let kept = bob.group.reissue(std::slice::from_ref(&alice)).unwrap();
    let checkpoint = Checkpoint::new(&mut world.rng, bob.group.public_key(), &kept).unwrap();
    let upload = Request::UploadRevocation {
        record: record.clone(),
        checkpoint,
    }
    .to_bytes();
    assert!(matches!(
        decode(&world.send(bob.channel(), &upload)),
        Response::RevocationAccepted
    ));
    let new_group = bob.group.public_key().clone();
    assert_eq!(new_group.generation(), 1);

    // Signatures under generation 0, sent directly, are stale — the revoked member's and the
    // others' alike.
    world.refused(
        Channel::Anonymous,
        &bytes(&dave_old),
        ErrorCode::StaleGeneration,
    );
    world.refused(
        Channel::Anonymous,
        &bytes(&alice_old),
        ErrorCode::StaleGeneration,
    );

    // Dave cannot follow the revocation, and his old key does not sign for generation 1.
    assert_eq!(
        dave.update(&record, &old_group).err(),
        Some(bbs04::Error::Revoked)
    );
    let dave_claims_new = signed_reply(&mut world, bob.account(), &dave, &old_group, 1, now, b"d2");
    world.refused(
        Channel::Anonymous,
        &bytes(&dave_claims_new),
        ErrorCode::BadSignature,
    );

    // Anyone fetching Bob's group key gets the checkpoint; Alice catches up and gets through,
    // Dave finds no entry.
    let fetch = Request::FetchGroupKey {
        account: bob.account(),
    }
    .to_bytes();
    let Response::GroupKey(update) = decode(&world.send(Channel::Anonymous, &fetch)) else {
        panic!("fetch refused")
    };
    assert_eq!(update.group_key, new_group);
    let checkpoint = update.checkpoint.expect("a checkpoint after a revocation");
    assert_eq!(
        dave.catch_up(&new_group, &checkpoint).err(),
        Some(bbs04::Error::Revoked)
    );
    let alice_new = alice.catch_up(&new_group, &checkpoint).unwrap();
    assert_eq!(alice_new, kept[0]);
    let reply = signed_reply(
        &mut world,
        bob.account(),
        &alice_new,
        &new_group,
        1,
        now,
        b"a2",
    );
    let handled = world
        .server
        .handle(&mut world.rng, now, Channel::Anonymous, &bytes(&reply));
    assert!(matches!(handled.decoded, Response::ReplyAccepted));
    let Some(Output::Deliver {
        delivery: Delivery::Reply { signature, .. },
        ..
    }) = handled.outputs.first()
    else {
        panic!("nothing delivered")
    };
    assert_eq!(bob.group.open(signature), alice_new.id());
}

#[test]
fn a_resent_reply_is_counted_as_sent_and_delivered_once() {
    let mut world = World::new("reply resend");
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    alice
        .lookup(&mut world.rng, world.now, vec![phone("+15550002")])
        .unwrap();
    world.pump(&mut alice);
    let cert = events(&mut alice)
        .into_iter()
        .find_map(|e| match e {
            Event::LookupCompleted { found } => found.into_iter().next(),
            _ => None,
        })
        .unwrap();
    let intro = alice
        .compose_introduction(&mut world.rng, world.now, &cert, b"hi", b"")
        .unwrap();
    let sealed = world.seal(&alice.account(), &bob.account(), &intro);
    alice
        .send_cold_call(world.now, bob.account(), &sealed)
        .unwrap();
    world.pump(&mut alice);
    events(&mut alice);
    world.deliver(&mut bob);

    // Bob's reply: the fetch goes through, the reply reaches the server but its response is
    // lost; the transport reports the failure and the client sends the same bytes again.
    let msg = bob
        .compose_reply(&mut world.rng, world.now, alice.account(), b"hello", b"")
        .unwrap();
    let sealed = world.seal(&bob.account(), &alice.account(), &msg);
    bob.send_reply(&mut world.rng, world.now, alice.account(), &sealed)
        .unwrap();
    let fetch = bob.poll_transmit(Time::MAX).unwrap();
    world.exchange(&mut bob, fetch);
    let reply = bob.poll_transmit(Time::MAX).unwrap();
    let lost = world.send(reply.channel, &reply.bytes);
    assert!(matches!(decode(&lost), Response::ReplyAccepted));
    bob.handle_send_failure(reply.id).unwrap();
    let resend = bob.poll_transmit(Time::MAX).unwrap();
    assert_eq!((resend.id, &resend.bytes), (reply.id, &reply.bytes));
    let response = world.send(resend.channel, &resend.bytes);
    assert_eq!(error_code(&response), Some(ErrorCode::Replayed));
    bob.handle_response(&mut world.rng, world.now, resend.id, &response)
        .unwrap();
    let bob_events = events(&mut bob);
    assert!(
        bob_events.contains(&Event::ReplySent {
            recipient: alice.account()
        }),
        "{bob_events:?}"
    );
    assert!(!bob_events.iter().any(|e| matches!(
        e,
        Event::RequestFailed {
            reason: FailureReason::Server(_),
            ..
        }
    )));
    assert_eq!(bob.outstanding(), 0);
    // The resend queued the reply again (SPEC.md 12.8): two identical copies, and Alice's
    // client takes it once (13.4).
    let queued = world.queued(&alice.account());
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0].to_bytes(), queued[1].to_bytes());
    let received = world.deliver(&mut alice);
    assert!(
        matches!(received.as_slice(), [Event::IntroductionReceived { contact, message, .. }]
            if *contact == bob.account() && message == b"hello"),
        "{received:?}"
    );
}
