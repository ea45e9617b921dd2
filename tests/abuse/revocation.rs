//! Revocation at any scale (issue 14, point 3; SPEC.md 4.15, 12.6): the server keeps one
//! group key and one checkpoint per account, answers every member's fetch with the same bytes of
//! a size set by the group alone, and a member any number of generations behind catches up in
//! one step.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{self, Checkpoint, GroupPublicKey, MemberKey, PreparedGroupKey};
use blindpost::simulation::raw::{decode, RawAccount};
use blindpost::simulation::World;
use blindpost::wire::{reply_context, ErrorCode, GroupKeyUpdate, ReplyRequest, Request, Response};

/// Revokes `n` throwaway members of `bob`'s group one after the other, each upload carrying
/// the checkpoint of `kept`'s keys: what a group that blocks one new contact after another
/// looks like to the server.
fn revoke_throwaways(world: &mut World, bob: &mut RawAccount, kept: &[MemberKey], n: usize) {
    for _ in 0..n {
        let throwaway = bob.group.issue_member(&mut world.rng);
        upload(world, bob, &throwaway, kept);
    }
}

/// Revokes `member` and uploads the record with the checkpoint of `kept`'s new keys.
fn upload(world: &mut World, bob: &mut RawAccount, member: &MemberKey, kept: &[MemberKey]) {
    let record = bob.group.revoke(member).unwrap();
    let next = bob.group.reissue(kept).unwrap();
    let checkpoint = Checkpoint::new(&mut world.rng, bob.group.public_key(), &next).unwrap();
    let bytes = Request::UploadRevocation { record, checkpoint }.to_bytes();
    assert!(matches!(
        decode(&world.send(bob.channel(), &bytes)),
        Response::RevocationAccepted
    ));
}

/// The raw answer to an anonymous fetch of `account`'s group key.
fn fetch_bytes(world: &mut World, account: AccountId) -> Vec<u8> {
    world.send(
        Channel::Anonymous,
        &Request::FetchGroupKey { account }.to_bytes(),
    )
}

fn fetch(world: &mut World, account: AccountId) -> GroupKeyUpdate {
    match decode(&fetch_bytes(world, account)) {
        Response::GroupKey(update) => update,
        other => panic!("fetch refused: {other:?}"),
    }
}

/// The store entries that name `account` (its record and its checkpoints).
fn entries_of(world: &World, account: &AccountId) -> usize {
    world
        .snapshot()
        .iter()
        .filter(|(k, _)| k.windows(32).any(|w| w == account.as_bytes()))
        .count()
}

/// A reply to `recipient` claiming `generation`, signed by `member` under `group`.
fn reply(
    world: &mut World,
    recipient: AccountId,
    member: &MemberKey,
    group: &GroupPublicKey,
    generation: u32,
) -> Vec<u8> {
    let now = world.now;
    let context = reply_context(&recipient, generation, now);
    let prepared = PreparedGroupKey::new(group.clone());
    let signature = member
        .sign(&mut world.rng, &prepared, &context, b"still here")
        .unwrap();
    Request::Reply(ReplyRequest {
        recipient,
        generation,
        timestamp: now,
        sealed: b"still here".to_vec(),
        signature,
    })
    .to_bytes()
}

#[test]
fn a_member_1000_generations_behind_catches_up_in_one_fetch_and_replies() {
    let mut world = World::new("abuse: revocation far behind");
    let mut bob = world.raw_register("+15550002", 0);
    let alice = bob.group.issue_member(&mut world.rng);
    let mallory = bob.group.issue_member(&mut world.rng);
    let alice_group_0 = bob.group.public_key().clone();
    revoke_throwaways(&mut world, &mut bob, std::slice::from_ref(&alice), 999);
    // Mallory is revoked last, without having followed any of the 999.
    let at_999 = bob.group.reissue(std::slice::from_ref(&alice)).unwrap();
    let mallory_999 = bob.group.reissue(std::slice::from_ref(&mallory)).unwrap();
    upload(&mut world, &mut bob, &mallory_999[0], &at_999);

    let update = fetch(&mut world, bob.account());
    assert_eq!(update.group_key.generation(), 1000);
    assert_eq!(&update.group_key, bob.group.public_key());
    let checkpoint = update.checkpoint.expect("a checkpoint after revocations");
    // Alice, still at generation 0, reaches 1000 in one step and her reply is accepted.
    assert_eq!(alice.generation(), 0);
    let caught = alice.catch_up(&update.group_key, &checkpoint).unwrap();
    assert_eq!(caught.generation(), 1000);
    let bytes = reply(&mut world, bob.account(), &caught, &update.group_key, 1000);
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &bytes)),
        Response::ReplyAccepted
    ));
    // Her old key does not sign for generation 1000; Mallory, revoked, finds no entry whatever
    // generation she holds.
    let group_0 = alice_group_0;
    let stale = reply(&mut world, bob.account(), &alice, &group_0, 1000);
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &stale)),
        Response::Error {
            code: ErrorCode::BadSignature,
            ..
        }
    ));
    for key in [&mallory, &mallory_999[0]] {
        assert_eq!(
            key.catch_up(&update.group_key, &checkpoint).err(),
            Some(bbs04::Error::Revoked)
        );
    }
}

#[test]
fn the_fetch_answer_and_the_accounts_storage_do_not_grow_with_revocations() {
    let mut world = World::new("abuse: revocation bounded");
    let mut bob = world.raw_register("+15550002", 0);
    let alice = bob.group.issue_member(&mut world.rng);
    let base = fetch_bytes(&mut world, bob.account());
    let base_entries = entries_of(&world, &bob.account());

    revoke_throwaways(&mut world, &mut bob, std::slice::from_ref(&alice), 1);
    let after_one = fetch_bytes(&mut world, bob.account());
    let entries_one = entries_of(&world, &bob.account());
    revoke_throwaways(&mut world, &mut bob, std::slice::from_ref(&alice), 999);
    let after_many = fetch_bytes(&mut world, bob.account());
    let entries_many = entries_of(&world, &bob.account());

    // The key, a presence byte and a 16-entry checkpoint, after 1 revocation as after 1,000.
    let checkpoint_len = 7 + 16 * 64;
    assert_eq!(after_one.len(), base.len() + checkpoint_len);
    assert_eq!(after_many.len(), after_one.len());
    // The account record, plus one checkpoint: never more.
    assert_eq!(base_entries, 1);
    assert_eq!(entries_one, 2);
    assert_eq!(entries_many, 2);
}

#[test]
fn every_member_gets_the_same_answer_whatever_its_generation() {
    let mut world = World::new("abuse: revocation same answer");
    let mut bob = world.raw_register("+15550002", 0);
    let [early, late] = [0, 1].map(|_| bob.group.issue_member(&mut world.rng));
    revoke_throwaways(&mut world, &mut bob, &[early.clone(), late.clone()], 3);
    // `late` follows to generation 3, `early` stays at 0; then two more revocations.
    let update = fetch(&mut world, bob.account());
    let late = late
        .catch_up(&update.group_key, update.checkpoint.as_ref().unwrap())
        .unwrap();
    let kept = bob.group.reissue(&[early.clone(), late.clone()]).unwrap();
    revoke_throwaways(&mut world, &mut bob, &kept, 2);

    // The request names only the account, so both members send the same bytes, and the server
    // answers the same bytes to both: nothing in it depends on who asks.
    let answer_early = fetch_bytes(&mut world, bob.account());
    let answer_late = fetch_bytes(&mut world, bob.account());
    assert_eq!(answer_early, answer_late);
    let Response::GroupKey(update) = decode(&answer_early) else {
        panic!("fetch refused")
    };
    let checkpoint = update.checkpoint.unwrap();
    for member in [&early, &late] {
        let caught = member.catch_up(&update.group_key, &checkpoint).unwrap();
        assert_eq!(caught.generation(), 5);
        caught.check(&update.group_key).unwrap();
    }
}

#[test]
fn malformed_or_mismatched_checkpoints_are_refused_and_change_nothing() {
    let mut world = World::new("abuse: revocation malformed");
    let bob = world.raw_register("+15550002", 0);
    let alice = bob.group.issue_member(&mut world.rng);
    let mallory = bob.group.issue_member(&mut world.rng);
    let before = world.snapshot();

    let mut next = bob.group.clone();
    let record = next.revoke(&mallory).unwrap();
    let kept = next.reissue(std::slice::from_ref(&alice)).unwrap();
    let good = Checkpoint::new(&mut world.rng, next.public_key(), &kept).unwrap();
    let good_bytes = good.to_bytes();
    let upload_bytes = |checkpoint: &[u8]| {
        let mut bytes = Request::UploadRevocation {
            record: record.clone(),
            checkpoint: good.clone(),
        }
        .to_bytes();
        let at = bytes.len() - good_bytes.len();
        bytes.truncate(at);
        bytes.extend_from_slice(checkpoint);
        bytes
    };
    let refused = |world: &mut World, bytes: &[u8], code: ErrorCode| {
        world.refused(bob.channel(), bytes, code);
        assert_eq!(world.snapshot(), before);
    };

    // Two entries swapped (tags not ascending), an entry duplicated, a count that is not a
    // power of two, a count above the limit, and a truncated checkpoint: refused when decoded.
    let entry = |i: usize| 7 + 64 * i..7 + 64 * (i + 1);
    let mut swapped = good_bytes.clone();
    let (first, second) = (good_bytes[entry(0)].to_vec(), good_bytes[entry(1)].to_vec());
    swapped[entry(0)].copy_from_slice(&second);
    swapped[entry(1)].copy_from_slice(&first);
    let mut duplicated = good_bytes.clone();
    duplicated[entry(1)].copy_from_slice(&first);
    let mut seventeen = good_bytes.clone();
    seventeen[5..7].copy_from_slice(&17u16.to_be_bytes());
    let mut oversized = good_bytes.clone();
    oversized[5..7].copy_from_slice(&2048u16.to_be_bytes());
    for bad in [
        swapped,
        duplicated,
        seventeen,
        oversized,
        good_bytes[..good_bytes.len() - 1].to_vec(),
    ] {
        assert!(Checkpoint::from_bytes(&bad).is_err());
        refused(&mut world, &upload_bytes(&bad), ErrorCode::Malformed);
    }

    // A well-formed checkpoint of another generation than the record's, or a record that
    // skips a generation: refused before any pairing.
    let wrong_generation = Checkpoint::new(
        &mut world.rng,
        bob.group.public_key(),
        std::slice::from_ref(&alice),
    )
    .unwrap();
    refused(
        &mut world,
        &upload_bytes(&wrong_generation.to_bytes()),
        ErrorCode::BadRevocation,
    );
    let mut further = next.clone();
    let skipping = further.revoke(&kept[0]).unwrap();
    let empty = Checkpoint::new(&mut world.rng, further.public_key(), &[]).unwrap();
    refused(
        &mut world,
        &Request::UploadRevocation {
            record: skipping,
            checkpoint: empty,
        }
        .to_bytes(),
        ErrorCode::BadRevocation,
    );

    // The good upload still goes through.
    assert!(matches!(
        decode(&world.send(bob.channel(), &upload_bytes(&good_bytes))),
        Response::RevocationAccepted
    ));
}

#[test]
fn rotating_the_group_key_drops_the_checkpoint() {
    let mut world = World::new("abuse: revocation rotation");
    let mut bob = world.raw_register("+15550002", 0);
    let alice = bob.group.issue_member(&mut world.rng);
    revoke_throwaways(&mut world, &mut bob, std::slice::from_ref(&alice), 2);
    assert_eq!(entries_of(&world, &bob.account()), 2);
    let mut rotated_key = bbs04::GroupManagerKey::generate(&mut world.rng);
    // A later generation than the current 2.
    for _ in 0..3 {
        let member = rotated_key.issue_member(&mut world.rng);
        rotated_key.revoke(&member).unwrap();
    }
    let bytes = Request::RotateGroupKey {
        group_key: rotated_key.public_key().clone(),
    }
    .to_bytes();
    assert!(matches!(
        decode(&world.send(bob.channel(), &bytes)),
        Response::GroupKeyRotated
    ));
    assert_eq!(entries_of(&world, &bob.account()), 1);
    let update = fetch(&mut world, bob.account());
    assert!(update.checkpoint.is_none());
    assert!(!update.group_key.follows(bob.group.public_key()));
}
