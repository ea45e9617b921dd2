//! End-to-end behaviour of the BBS04 API: issue, sign, verify, open, revoke, update, and the
//! errors each step reports.

use blindpost::bbs04::{
    Checkpoint, Error, GroupManagerKey, GroupPublicKey, GroupSignature, MemberId, MemberKey,
    PreparedGroupKey, RevocationRecord, Signer, MAX_CHECKPOINT_ENTRIES,
};
use blindpost::vector_rng::VectorRng;
use blindpost::{DecodeError, DecodeErrorKind};

fn group(seed: &[u8], members: usize) -> (VectorRng, GroupManagerKey, Vec<MemberKey>) {
    let mut rng = VectorRng::new(seed);
    let manager = GroupManagerKey::generate(&mut rng);
    let keys = manager.issue_members(&mut rng, members);
    (rng, manager, keys)
}

#[test]
fn sign_verify_open() {
    let (mut rng, manager, members) = group(b"flow: basic", 3);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    for member in &members {
        member.check(manager.public_key()).unwrap();
        let sig = member.sign(&mut rng, &prepared, b"ctx", b"hello").unwrap();
        prepared.verify(b"ctx", b"hello", &sig).unwrap();
        assert_eq!(manager.open(&sig), member.id());
        assert_eq!(
            manager.open_verified(&prepared, b"ctx", b"hello", &sig),
            Ok(member.id())
        );
        assert_eq!(
            prepared.verify(b"ctx2", b"hello", &sig),
            Err(Error::InvalidSignature)
        );
        assert_eq!(
            prepared.verify(b"ctx", b"hellp", &sig),
            Err(Error::InvalidSignature)
        );
        assert_eq!(
            manager.open_verified(&prepared, b"ctx", b"other", &sig),
            Err(Error::InvalidSignature)
        );
    }
    // Distinct members have distinct ids.
    assert_ne!(members[0].id(), members[1].id());
}

#[test]
fn empty_and_large_inputs() {
    let (mut rng, manager, members) = group(b"flow: sizes", 1);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    let big = vec![0xa5u8; 1 << 20];
    let max_context = vec![7u8; 65535];
    for (ctx, msg) in [
        (&[][..], &[][..]),
        (&max_context[..], &b"m"[..]),
        (&b"c"[..], &big[..]),
    ] {
        let sig = members[0].sign(&mut rng, &prepared, ctx, msg).unwrap();
        prepared.verify(ctx, msg, &sig).unwrap();
    }
    let too_long = vec![0u8; 65536];
    assert_eq!(
        members[0].sign(&mut rng, &prepared, &too_long, b"m"),
        Err(Error::ContextTooLong { length: 65536 })
    );
    let sig = members[0].sign(&mut rng, &prepared, b"", b"m").unwrap();
    assert_eq!(
        prepared.verify(&too_long, b"m", &sig),
        Err(Error::ContextTooLong { length: 65536 })
    );
    // The message length is bound: moving a byte between context and message is detected.
    let sig = members[0].sign(&mut rng, &prepared, b"ab", b"c").unwrap();
    assert_eq!(
        prepared.verify(b"a", b"bc", &sig),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn signer_and_one_shot_sign_agree() {
    let (_, manager, members) = group(b"flow: signer", 2);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    let signer = Signer::new(&members[1], &prepared).unwrap();
    let a = signer
        .sign(&mut VectorRng::new(b"nonces"), b"c", b"m")
        .unwrap();
    let b = members[1]
        .sign(&mut VectorRng::new(b"nonces"), &prepared, b"c", b"m")
        .unwrap();
    assert_eq!(a, b);
    prepared.verify(b"c", b"m", &a).unwrap();
    assert_eq!(manager.open(&a), members[1].id());
    assert_eq!(signer.member_key(), &members[1]);
    assert_eq!(signer.group().group_key(), manager.public_key());
    // Fresh randomness gives unlinkable-looking, different signatures.
    let c = signer
        .sign(&mut VectorRng::new(b"other"), b"c", b"m")
        .unwrap();
    assert_ne!(a.to_bytes(), c.to_bytes());
}

#[test]
fn batch_issue_equals_single_issue() {
    let mut rng = VectorRng::new(b"flow: issue");
    let manager = GroupManagerKey::generate(&mut rng);
    let mut r1 = VectorRng::new(b"issue stream");
    let mut r2 = VectorRng::new(b"issue stream");
    let batch = manager.issue_members(&mut r1, 5);
    let single: Vec<MemberKey> = (0..5).map(|_| manager.issue_member(&mut r2)).collect();
    assert_eq!(batch, single);
    assert!(manager.issue_members(&mut r1, 0).is_empty());
    for m in &batch {
        m.check(manager.public_key()).unwrap();
        assert_eq!(m.generation(), 0);
    }
}

#[test]
fn wrong_group_is_rejected_everywhere() {
    let (mut rng, manager, members) = group(b"flow: group a", 1);
    let (_, other, other_members) = group(b"flow: group b", 1);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    let other_prepared = PreparedGroupKey::new(other.public_key().clone());
    let sig = members[0].sign(&mut rng, &prepared, b"c", b"m").unwrap();
    assert_eq!(
        other_prepared.verify(b"c", b"m", &sig),
        Err(Error::InvalidSignature)
    );
    assert_eq!(
        other.open_verified(&prepared, b"c", b"m", &sig),
        Err(Error::GroupMismatch)
    );
    assert_eq!(
        other_members[0].check(manager.public_key()),
        Err(Error::NotAMember)
    );
    assert_eq!(
        Signer::new(&other_members[0], &prepared).unwrap_err(),
        Error::NotAMember
    );
    // A signature by a non-member (its key from another group) does not verify.
    let forged = other_members[0]
        .sign(&mut rng, &prepared, b"c", b"m")
        .unwrap();
    assert_eq!(
        prepared.verify(b"c", b"m", &forged),
        Err(Error::InvalidSignature)
    );
    let mut manager = manager;
    assert_eq!(
        manager.revoke(&other_members[0]).unwrap_err(),
        Error::NotAMember
    );
    assert_eq!(manager.public_key().generation(), 0);
}

#[test]
fn revocation_moves_everyone_but_the_revoked_member() {
    let (mut rng, mut manager, members) = group(b"flow: revoke", 3);
    let old = manager.public_key().clone();
    let old_prepared = PreparedGroupKey::new(old.clone());
    let old_sig = members[0]
        .sign(&mut rng, &old_prepared, b"c", b"m")
        .unwrap();

    let record = manager.revoke(&members[1]).unwrap();
    assert_eq!(record.generation(), 1);
    assert_eq!(record.revoked(), members[1].id());
    let new = old.apply(&record).unwrap();
    assert_eq!(&new, manager.public_key());
    assert_eq!(new.generation(), 1);
    let new_prepared = PreparedGroupKey::new(new.clone());

    // The revoked member cannot update; the others can, and keep signing.
    assert_eq!(members[1].update(&record, &old), Err(Error::Revoked));
    for i in [0, 2] {
        let updated = members[i].update(&record, &old).unwrap();
        assert_eq!(updated.generation(), 1);
        updated.check(&new).unwrap();
        assert_ne!(updated.id(), members[i].id());
        let sig = updated.sign(&mut rng, &new_prepared, b"c", b"m").unwrap();
        new_prepared.verify(b"c", b"m", &sig).unwrap();
        assert_eq!(manager.open(&sig), updated.id());
        // A stale key cannot sign under the new generation.
        assert_eq!(
            members[i].sign(&mut rng, &new_prepared, b"c", b"m"),
            Err(Error::GenerationMismatch {
                member: 0,
                group: 1
            })
        );
        // The updated key does not update again from the same record.
        assert_eq!(
            updated.update(&record, &old),
            Err(Error::GenerationMismatch {
                member: 1,
                group: 0
            })
        );
    }
    // A signature made under the old generation fails against the new key.
    assert_eq!(
        new_prepared.verify(b"c", b"m", &old_sig),
        Err(Error::InvalidSignature)
    );
    // The revoked member's old-generation signature still verifies under the old key only.
    let revoked_sig = members[1]
        .sign(&mut rng, &old_prepared, b"c", b"m")
        .unwrap();
    old_prepared.verify(b"c", b"m", &revoked_sig).unwrap();
    assert_eq!(
        new_prepared.verify(b"c", b"m", &revoked_sig),
        Err(Error::InvalidSignature)
    );
    // Records must come in order.
    assert_eq!(
        new.apply(&record),
        Err(Error::WrongGeneration {
            expected: 2,
            found: 1
        })
    );
    // The manager can no longer revoke an old-generation key.
    assert_eq!(
        manager.revoke(&members[0]).unwrap_err(),
        Error::GenerationMismatch {
            member: 0,
            group: 1
        }
    );
    // Manager keys round-trip across generations and still issue valid keys.
    let reloaded = GroupManagerKey::from_bytes(&manager.to_bytes()[..]).unwrap();
    assert_eq!(reloaded.public_key(), &new);
    let fresh = reloaded.issue_member(&mut rng);
    fresh.check(&new).unwrap();
}

#[test]
fn successive_revocations_chain() {
    let (mut rng, mut manager, members) = group(b"flow: chain", 4);
    let mut keys: Vec<Option<MemberKey>> = members.into_iter().map(Some).collect();
    let mut group = manager.public_key().clone();
    for victim in [3usize, 0] {
        let revoked = keys[victim].take().unwrap();
        let record = manager.revoke(&revoked).unwrap();
        assert_eq!(revoked.update(&record, &group), Err(Error::Revoked));
        for key in keys.iter_mut().flatten() {
            *key = key.update(&record, &group).unwrap();
        }
        group = group.apply(&record).unwrap();
    }
    assert_eq!(group.generation(), 2);
    assert_eq!(&group, manager.public_key());
    let prepared = PreparedGroupKey::new(group.clone());
    let remaining: Vec<&MemberKey> = keys.iter().flatten().collect();
    assert_eq!(remaining.len(), 2);
    for k in remaining {
        let sig = k.sign(&mut rng, &prepared, b"c", b"m").unwrap();
        prepared.verify(b"c", b"m", &sig).unwrap();
        assert_eq!(manager.open(&sig), k.id());
    }
}

#[test]
fn signer_update_follows_the_group() {
    let (mut rng, mut manager, members) = group(b"flow: signer update", 2);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    let signer = Signer::new(&members[0], &prepared).unwrap();
    let revoked = Signer::new(&members[1], &prepared).unwrap();
    let record = manager.revoke(&members[1]).unwrap();
    assert_eq!(revoked.update(&record).unwrap_err(), Error::Revoked);
    let next = signer.update(&record).unwrap();
    assert_eq!(next.group().group_key(), manager.public_key());
    assert_eq!(next.member_key().generation(), 1);
    let sig = next.sign(&mut rng, b"c", b"m").unwrap();
    next.group().verify(b"c", b"m", &sig).unwrap();
    assert_eq!(manager.open(&sig), next.member_key().id());
    assert!(next.heap_bytes() > next.group().heap_bytes());
    assert!(next.group().heap_bytes() < 100_000);
}

#[test]
fn tampered_records_are_rejected() {
    let (_, mut manager, members) = group(b"flow: records", 2);
    let old = manager.public_key().clone();
    let record = manager.revoke(&members[0]).unwrap();
    let mut bytes = record.to_bytes();
    // Change x* (last byte of the scalar at offset 1 + 4 + 48).
    bytes[1 + 4 + 48 + 31] ^= 1;
    let bad = RevocationRecord::from_bytes(&bytes).unwrap();
    assert_eq!(old.apply(&bad), Err(Error::InvalidRevocationRecord));
    assert_eq!(
        members[1].update(&bad, &old),
        Err(Error::InvalidRevocationRecord)
    );
    // A record of another group fails the pairing checks.
    let (_, mut other, other_members) = group(b"flow: records other", 1);
    let foreign = other.revoke(&other_members[0]).unwrap();
    assert_eq!(old.apply(&foreign), Err(Error::InvalidRevocationRecord));
    // Generation numbers are checked before anything else.
    let mut bytes = record.to_bytes();
    bytes[4] = 2;
    let skipped = RevocationRecord::from_bytes(&bytes).unwrap();
    assert_eq!(
        old.apply(&skipped),
        Err(Error::WrongGeneration {
            expected: 1,
            found: 2
        })
    );
}

#[test]
fn last_generation_cannot_move_on() {
    let (_, manager, members) = group(b"flow: exhausted", 1);
    let mut bytes = *manager.to_bytes();
    // generation field of the embedded group key: 1 + 96 + 1.
    bytes[98..102].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut last = GroupManagerKey::from_bytes(&bytes).unwrap();
    assert_eq!(last.public_key().generation(), u32::MAX);
    let mut member = *members[0].to_bytes();
    member[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
    let member = MemberKey::from_bytes(&member).unwrap();
    assert_eq!(
        last.revoke(&member).unwrap_err(),
        Error::GenerationExhausted
    );
}

#[test]
fn manager_key_decoding_checks_consistency() {
    let (_, manager, _) = group(b"flow: manager", 0);
    let bytes = *manager.to_bytes();
    assert_eq!(bytes.len(), GroupManagerKey::SIZE);
    let reloaded = GroupManagerKey::from_bytes(&bytes).unwrap();
    assert_eq!(*reloaded.to_bytes(), bytes);
    // Swapping xi1 and xi2 breaks u^xi1 = h.
    let mut swapped = bytes;
    swapped[1..33].copy_from_slice(&bytes[33..65]);
    swapped[33..65].copy_from_slice(&bytes[1..33]);
    assert_eq!(
        GroupManagerKey::from_bytes(&swapped).unwrap_err(),
        Error::InconsistentManagerKey
    );
    // A different gamma breaks w = g2^gamma.
    let mut gamma = bytes;
    gamma[96] ^= 1;
    assert_eq!(
        GroupManagerKey::from_bytes(&gamma).unwrap_err(),
        Error::InconsistentManagerKey
    );
    // Zero secrets are rejected while decoding.
    let mut zero = bytes;
    zero[65..97].fill(0);
    assert_eq!(
        GroupManagerKey::from_bytes(&zero).unwrap_err(),
        Error::Decode(DecodeError::new(
            "manager_key.gamma",
            DecodeErrorKind::ZeroScalar
        ))
    );
}

#[test]
fn encodings_have_the_specified_sizes() {
    let (mut rng, mut manager, members) = group(b"flow: sizes", 2);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    let sig = members[0].sign(&mut rng, &prepared, b"c", b"m").unwrap();
    assert_eq!(GroupPublicKey::SIZE, 389);
    assert_eq!(MemberKey::SIZE, 85);
    assert_eq!(GroupManagerKey::SIZE, 486);
    assert_eq!(GroupSignature::SIZE, 913);
    assert_eq!(RevocationRecord::SIZE, 181);
    assert_eq!(MemberId::SIZE, 48);
    assert_eq!(
        GroupPublicKey::from_bytes(&manager.public_key().to_bytes()).unwrap(),
        *manager.public_key()
    );
    assert_eq!(
        MemberKey::from_bytes(&members[0].to_bytes()[..]).unwrap(),
        members[0]
    );
    assert_eq!(GroupSignature::from_bytes(&sig.to_bytes()).unwrap(), sig);
    let id = members[0].id();
    assert_eq!(MemberId::from_bytes(&id.to_bytes()).unwrap(), id);
    let record = manager.revoke(&members[1]).unwrap();
    assert_eq!(
        RevocationRecord::from_bytes(&record.to_bytes()).unwrap(),
        record
    );
    // Every encoding starts with version 1, but the signature's: 2 since it carries R3.
    for first in [
        manager.public_key().to_bytes()[0],
        members[0].to_bytes()[0],
        manager.to_bytes()[0],
        record.to_bytes()[0],
    ] {
        assert_eq!(first, 1);
    }
    assert_eq!(sig.to_bytes()[0], 2);
}

#[test]
fn debug_output_hides_secrets() {
    let (_, manager, members) = group(b"flow: debug", 1);
    let member_hex = hex::encode(&members[0].to_bytes()[53..]);
    let manager_hex = hex::encode(&manager.to_bytes()[1..33]);
    let m = format!("{:?}", members[0]);
    let g = format!("{manager:?}");
    assert!(
        m.contains("MemberKey") && !m.contains(&member_hex[..16]),
        "{m}"
    );
    assert!(
        g.contains("GroupManagerKey") && !g.contains(&manager_hex[..16]),
        "{g}"
    );
    // Errors name their input.
    let e = GroupSignature::from_bytes(&[2u8; 10]).unwrap_err();
    assert!(e.to_string().contains("signature.T1"), "{e}");
    assert!(Error::Revoked.to_string().contains("revoked"));
}

#[test]
fn a_checkpoint_gives_the_same_keys_as_following_every_record() {
    let (mut rng, mut manager, members) = group(b"flow: checkpoint chain", 5);
    let original = members.clone();
    let group0 = manager.public_key().clone();
    let mut followed: Vec<Option<MemberKey>> = members.into_iter().map(Some).collect();
    let mut group = manager.public_key().clone();
    for victim in [4usize, 1, 3] {
        let revoked = followed[victim].take().unwrap();
        let record = manager.revoke(&revoked).unwrap();
        for key in followed.iter_mut().flatten() {
            *key = key.update(&record, &group).unwrap();
        }
        group = group.apply(&record).unwrap();
    }
    // Members 0 and 2 skip all three generations through one checkpoint, and get exactly the
    // keys that following every record gives; the revoked ones find no entry.
    let kept = manager
        .reissue(&[original[0].clone(), original[2].clone()])
        .unwrap();
    let checkpoint = Checkpoint::new(&mut rng, &group, &kept).unwrap();
    for (i, expected) in [(0usize, &kept[0]), (2, &kept[1])] {
        let caught = original[i].catch_up(&group, &checkpoint).unwrap();
        assert_eq!(&caught, expected);
        assert_eq!(Some(&caught), followed[i].as_ref());
    }
    for i in [1usize, 3, 4] {
        assert_eq!(
            original[i].catch_up(&group, &checkpoint),
            Err(Error::Revoked)
        );
    }
    // A checkpoint of another generation is refused before any lookup.
    let old = Checkpoint::new(&mut rng, &group0, &original[..2]).unwrap();
    assert_eq!(
        original[0].catch_up(&group, &old),
        Err(Error::WrongGeneration {
            expected: 3,
            found: 0
        })
    );
}

#[test]
fn a_tampered_checkpoint_entry_is_not_a_member() {
    let (mut rng, mut manager, members) = group(b"flow: checkpoint tamper", 3);
    manager.revoke(&members[2]).unwrap();
    let kept = manager.reissue(&members[..2]).unwrap();
    let checkpoint = Checkpoint::new(&mut rng, manager.public_key(), &kept).unwrap();
    let bytes = checkpoint.to_bytes();
    // Every bit of every entry's masked point, flipped: the member whose entry it is gets
    // NotAMember (an invalid point or a point that fails (M)), never a wrong key.
    let mut refused = 0;
    for entry in 0..checkpoint.len() {
        for bit in [0usize, 7, 200, 383] {
            let mut tampered = bytes.clone();
            tampered[7 + 64 * entry + 16 + bit / 8] ^= 1 << (bit % 8);
            let tampered = Checkpoint::from_bytes(&tampered).unwrap();
            for member in &members[..2] {
                match member.catch_up(manager.public_key(), &tampered) {
                    Ok(key) => assert!(kept.contains(&key)),
                    Err(e) => {
                        assert_eq!(e, Error::NotAMember);
                        refused += 1;
                    }
                }
            }
        }
    }
    // Each of the two members' entries, four bits each.
    assert_eq!(refused, 2 * 4);
}

#[test]
fn checkpoint_sizes_are_powers_of_two_up_to_the_limit() {
    let (mut rng, mut manager, members) = group(b"flow: checkpoint sizes", 1);
    manager.revoke(&members[0]).unwrap();
    let more = manager.issue_members(&mut rng, MAX_CHECKPOINT_ENTRIES + 1);
    for (count, entries) in [(0, 16), (16, 16), (17, 32), (200, 256), (1024, 1024)] {
        let checkpoint = Checkpoint::new(&mut rng, manager.public_key(), &more[..count]).unwrap();
        assert_eq!(checkpoint.len(), entries, "{count} members");
        assert_eq!(checkpoint.to_bytes().len(), 7 + 64 * entries);
        assert_eq!(
            Checkpoint::from_bytes(&checkpoint.to_bytes()),
            Ok(checkpoint)
        );
    }
    assert_eq!(
        Checkpoint::new(&mut rng, manager.public_key(), &more),
        Err(Error::TooManyMembers {
            count: 1025,
            max: 1024
        })
    );
    let twice = [more[0].clone(), more[0].clone()];
    assert_eq!(
        Checkpoint::new(&mut rng, manager.public_key(), &twice),
        Err(Error::DuplicateMember)
    );
    // Keys of another generation are refused.
    assert!(matches!(
        Checkpoint::new(&mut rng, manager.public_key(), &members),
        Err(Error::GenerationMismatch { .. })
    ));
}
