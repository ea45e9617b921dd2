//! Replies handled in a batch (SPEC.md 12.5.1): `Server::handle_batch` gives every request the
//! response, outputs and stored state that handling them one by one gives, while the
//! signatures of replies to the same recipient are verified together.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{GroupPublicKey, MemberKey, PreparedGroupKey};
use blindpost::server::BatchRequest;
use blindpost::simulation::World;
use blindpost::wire::{reply_context, ErrorCode, ReplyRequest, Request, Response};
use blindpost::Time;

fn reply(
    world: &mut World,
    recipient: AccountId,
    member: &MemberKey,
    group: &GroupPublicKey,
    timestamp: Time,
    sealed: &[u8],
) -> ReplyRequest {
    let prepared = PreparedGroupKey::new(group.clone());
    let context = reply_context(&recipient, group.generation(), timestamp);
    ReplyRequest {
        recipient,
        generation: group.generation(),
        timestamp,
        sealed: sealed.to_vec(),
        signature: member
            .sign(&mut world.rng, &prepared, &context, sealed)
            .unwrap(),
    }
}

fn code(response: &Response) -> Option<ErrorCode> {
    match response {
        Response::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[test]
fn a_batch_gives_each_request_what_handling_it_alone_gives() {
    // Two worlds from the same seed hold the same accounts and keys.
    let mut world = World::new("batch of replies");
    let mut twin = World::new("batch of replies");
    let mut bob = world.raw_register("+15550002", 0);
    let carol = world.raw_register("+15550003", 0);
    twin.raw_register("+15550002", 0);
    twin.raw_register("+15550003", 0);
    assert_eq!(world.snapshot(), twin.snapshot());
    let now = world.now;
    let skew = world.server.config().reply_skew;
    let bob_group = bob.group.public_key().clone();
    let carol_group = carol.group.public_key().clone();
    let bob_members = bob.group.issue_members(&mut world.rng, 6);
    let carol_member = carol.group.issue_member(&mut world.rng);

    let mut replies: Vec<(&str, Vec<u8>, Channel)> = Vec::new();
    let anonymous = |r: &ReplyRequest| Request::Reply(r.clone()).to_bytes();
    for (i, m) in bob_members.iter().enumerate() {
        let r = reply(
            &mut world,
            bob.account(),
            m,
            &bob_group,
            now,
            &[i as u8; 40],
        );
        replies.push(("bob, good", anonymous(&r), Channel::Anonymous));
    }
    let good = reply(
        &mut world,
        bob.account(),
        &bob_members[0],
        &bob_group,
        now,
        b"again",
    );
    replies.push(("bob, sent twice", anonymous(&good), Channel::Anonymous));
    replies.push(("bob, sent twice", anonymous(&good), Channel::Anonymous));
    let mut tampered = good.clone();
    tampered.sealed[0] ^= 1;
    replies.push(("bob, tampered", anonymous(&tampered), Channel::Anonymous));
    // A member of Carol's group signing for Bob: its challenge holds for Carol's key only.
    let foreign = reply(
        &mut world,
        bob.account(),
        &carol_member,
        &carol_group,
        now,
        b"f",
    );
    replies.push((
        "bob, foreign signer",
        anonymous(&foreign),
        Channel::Anonymous,
    ));
    let early = reply(
        &mut world,
        bob.account(),
        &bob_members[1],
        &bob_group,
        now + 2 * skew + 600,
        b"e",
    );
    replies.push(("bob, clock", anonymous(&early), Channel::Anonymous));
    replies.push(("bob, wrong channel", anonymous(&good), Channel::Direct));
    for i in 0..3u8 {
        let r = reply(
            &mut world,
            carol.account(),
            &carol_member,
            &carol_group,
            now,
            &[i; 8],
        );
        replies.push(("carol, good", anonymous(&r), Channel::Anonymous));
    }
    let mut nobody = good.clone();
    nobody.recipient = AccountId([9; 32]);
    replies.push(("nobody", anonymous(&nobody), Channel::Anonymous));
    replies.push((
        "fetch keys",
        Request::FetchKeys.to_bytes(),
        Channel::Anonymous,
    ));
    replies.push((
        "truncated",
        anonymous(&good)[..100].to_vec(),
        Channel::Anonymous,
    ));
    // Bob's group moves to generation 1 in the middle of the batch: his replies made before
    // are stale after it, in the batch as one by one.
    let stale = reply(
        &mut world,
        bob.account(),
        &bob_members[2],
        &bob_group,
        now,
        b"late",
    );
    bob.group.revoke(&bob_members[5]).unwrap();
    let rotate = Request::RotateGroupKey {
        group_key: bob.group.public_key().clone(),
    };
    replies.push((
        "bob rotates",
        rotate.to_bytes(),
        Channel::Authenticated(bob.account()),
    ));
    replies.push(("bob, stale", anonymous(&stale), Channel::Anonymous));

    let one_by_one: Vec<_> = replies
        .iter()
        .map(|(_, bytes, channel)| world.server.handle(&mut world.rng, now, *channel, bytes))
        .collect();
    let batch: Vec<BatchRequest<'_>> = replies
        .iter()
        .map(|(_, bytes, channel)| BatchRequest {
            channel: *channel,
            request: bytes,
        })
        .collect();
    let batched = twin.server.handle_batch(&mut twin.rng, now, &batch);

    assert_eq!(batched.len(), replies.len());
    let mut expected = Vec::new();
    for (((what, _, _), alone), together) in replies.iter().zip(&one_by_one).zip(&batched) {
        assert_eq!(together.response, alone.response, "{what}");
        assert_eq!(
            format!("{:?}", together.outputs),
            format!("{:?}", alone.outputs),
            "{what}"
        );
        expected.push((*what, code(&alone.decoded)));
    }
    assert_eq!(world.snapshot(), twin.snapshot());
    // What the requests got, so the test cannot pass by refusing everything in both worlds.
    let got: Vec<_> = expected.iter().map(|(what, code)| (*what, *code)).collect();
    use ErrorCode::*;
    let want: Vec<(&str, Option<ErrorCode>)> = [
        vec![("bob, good", None); 6],
        vec![
            ("bob, sent twice", None),
            ("bob, sent twice", Some(Replayed)),
            ("bob, tampered", Some(BadSignature)),
            ("bob, foreign signer", Some(BadSignature)),
            ("bob, clock", Some(ClockSkew)),
            ("bob, wrong channel", Some(WrongChannel)),
        ],
        vec![("carol, good", None); 3],
        vec![
            ("nobody", Some(UnknownRecipient)),
            ("fetch keys", None),
            ("truncated", Some(Malformed)),
            ("bob rotates", None),
            ("bob, stale", Some(StaleGeneration)),
        ],
    ]
    .concat();
    assert_eq!(got, want);
}
