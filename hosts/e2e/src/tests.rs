//! The crate's own tests: a whole conversation, refusals that change nothing, replays, lengths,
//! state round trips.

use super::*;

const ALICE: AccountBytes = [0xA1; 32];
const BOB: AccountBytes = [0xB0; 32];
const CAROL: AccountBytes = [0xC0; 32];

fn padded(fill: u8, len: usize) -> Vec<u8> {
    vec![fill; len]
}

fn state(me: AccountBytes) -> E2eState {
    E2eState::generate(&mut rand::rng(), me)
}

/// Alice cold-calls Bob; Bob accepts the offer. Returns the states and Alice's sealed call.
fn cold_call() -> (E2eState, E2eState, Vec<u8>) {
    let mut rng = rand::rng();
    let mut alice = state(ALICE);
    let mut bob = state(BOB);
    let offer = alice.offer();
    let sealed = alice
        .seal_first_contact(&mut rng, &bob.host_key(), &BOB, &padded(1, 512))
        .unwrap();
    let opened = bob.open(&sealed).unwrap();
    assert_eq!(opened.sender, ALICE);
    assert_eq!(opened.kind, SealKind::FirstContact);
    assert_eq!(opened.payload, padded(1, 512));
    bob.accept_offer(&ALICE, &offer).unwrap();
    (alice, bob, sealed)
}

fn send(from: &mut E2eState, to: &mut E2eState, fill: u8, len: usize) -> Vec<u8> {
    let sealed = from
        .seal(
            &mut rand::rng(),
            &to.host_key(),
            &to.account(),
            &padded(fill, len),
        )
        .unwrap();
    assert_eq!(sealed.len(), len + SEAL_OVERHEAD);
    let opened = to.open(&sealed).unwrap();
    assert_eq!(opened.sender, from.account());
    assert_eq!(opened.kind, SealKind::Ratchet);
    assert_eq!(opened.payload, padded(fill, len));
    sealed
}

#[test]
fn a_whole_conversation_opens_both_ways() {
    let (mut alice, mut bob, _) = cold_call();
    assert!(bob.has_session(&ALICE));
    assert!(!alice.has_session(&BOB));
    // Alice cannot ratchet to Bob before his first reply.
    assert_eq!(
        alice.seal(&mut rand::rng(), &bob.host_key(), &BOB, &padded(0, 512)),
        Err(SealError::NoSession)
    );
    // Two pre-key replies before Alice answers, then normal messages both ways.
    send(&mut bob, &mut alice, 2, 512);
    send(&mut bob, &mut alice, 3, 512);
    assert!(alice.has_session(&BOB));
    for round in 0..4u8 {
        send(&mut alice, &mut bob, 10 + round, 512);
        send(&mut bob, &mut alice, 20 + round, 2048);
        send(&mut bob, &mut alice, 30 + round, 512);
    }
}

#[test]
fn every_kind_has_one_sealed_length_per_bucket() {
    let mut rng = rand::rng();
    for len in [256usize, 512, 4096, 65536] {
        let (mut alice, mut bob, _) = cold_call();
        let first = alice
            .seal_first_contact(&mut rng, &bob.host_key(), &BOB, &padded(1, len))
            .unwrap();
        assert_eq!(first.len(), len + SEAL_OVERHEAD);
        let pre_key = send(&mut bob, &mut alice, 2, len);
        let normal = send(&mut alice, &mut bob, 3, len);
        assert_eq!(pre_key.len(), first.len());
        assert_eq!(normal.len(), first.len());
    }
}

#[test]
fn tampered_bytes_are_refused_without_state_change() {
    let (mut alice, mut bob, first) = cold_call();
    let pre_key = bob
        .seal(&mut rand::rng(), &alice.host_key(), &ALICE, &padded(2, 256))
        .unwrap();
    for i in 0..pre_key.len() {
        let mut tampered = pre_key.clone();
        tampered[i] ^= 0x01;
        let before = alice.to_bytes();
        assert!(alice.open(&tampered).is_err(), "bit flipped at {i}");
        assert_eq!(alice.to_bytes(), before, "state changed at {i}");
    }
    let mut tampered = first.clone();
    tampered[40] ^= 0x80;
    assert_eq!(bob.open(&tampered), Err(OpenError::Refused));
    tampered[0] = 9;
    assert_eq!(bob.open(&tampered), Err(OpenError::UnknownSuite(9)));
    assert_eq!(bob.open(&first[..40]), Err(OpenError::TooShort));
    assert_eq!(bob.open(&[]), Err(OpenError::TooShort));
    // The untampered one still opens.
    assert_eq!(alice.open(&pre_key).unwrap().payload, padded(2, 256));
}

#[test]
fn replays_are_refused_without_state_change() {
    let (mut alice, mut bob, _) = cold_call();
    let first_reply = send(&mut bob, &mut alice, 2, 512);
    let before = alice.to_bytes();
    assert_eq!(alice.open(&first_reply), Err(OpenError::Replayed));
    assert_eq!(alice.to_bytes(), before);
    let normal = send(&mut alice, &mut bob, 3, 512);
    let before = bob.to_bytes();
    assert_eq!(bob.open(&normal), Err(OpenError::Replayed));
    assert_eq!(bob.to_bytes(), before);
    // A replayed reply after the session moved on: still refused, still no change.
    send(&mut bob, &mut alice, 4, 512);
    let before = alice.to_bytes();
    assert_eq!(alice.open(&first_reply), Err(OpenError::Replayed));
    assert_eq!(alice.to_bytes(), before);
}

#[test]
fn a_pre_key_message_whose_one_time_key_was_used_is_a_replay() {
    // Alice opens the first reply, then loses the session (restored from an old backup would
    // keep the key; here she gets the same message after a fresh session replaced it).
    let (mut alice, mut bob, _) = cold_call();
    let first_reply = send(&mut bob, &mut alice, 2, 512);
    alice.sessions.clear();
    assert_eq!(alice.open(&first_reply), Err(OpenError::Replayed));
}

#[test]
fn misdirected_payloads_are_refused() {
    let mut rng = rand::rng();
    let (alice, mut bob, _) = cold_call();
    let mut carol = state(CAROL);
    let to_bob = alice
        .seal_first_contact(&mut rng, &bob.host_key(), &BOB, &padded(1, 256))
        .unwrap();
    // Carol's host cannot open what was sealed to Bob's host key.
    assert_eq!(carol.open(&to_bob), Err(OpenError::Refused));
    // Sealed to Carol's host key for Bob's account: the associated data differs.
    let wrong_account = alice
        .seal_first_contact(&mut rng, &carol.host_key(), &BOB, &padded(1, 256))
        .unwrap();
    let before = carol.to_bytes();
    assert_eq!(carol.open(&wrong_account), Err(OpenError::Refused));
    assert_eq!(carol.to_bytes(), before);
    assert!(bob.open(&to_bob).is_ok());
}

#[test]
fn a_normal_message_from_a_stranger_has_no_session() {
    let (mut alice, mut bob, _) = cold_call();
    send(&mut bob, &mut alice, 2, 256);
    let normal = alice
        .seal(&mut rand::rng(), &bob.host_key(), &BOB, &padded(3, 256))
        .unwrap();
    bob.sessions.clear();
    assert_eq!(bob.open(&normal), Err(OpenError::UnknownSession));
}

#[test]
fn state_round_trips_mid_conversation() {
    let (alice, bob, _) = cold_call();
    let mut alice = E2eState::from_bytes(&alice.to_bytes()).unwrap();
    let mut bob = E2eState::from_bytes(&bob.to_bytes()).unwrap();
    send(&mut bob, &mut alice, 2, 512);
    let bytes = alice.to_bytes();
    let mut alice = E2eState::from_bytes(&bytes).unwrap();
    assert_eq!(alice.to_bytes(), bytes);
    assert_eq!(alice.account(), ALICE);
    send(&mut alice, &mut bob, 3, 512);
    let mut bob = E2eState::from_bytes(&bob.to_bytes()).unwrap();
    send(&mut bob, &mut alice, 4, 512);
    send(&mut alice, &mut bob, 5, 512);
}

#[test]
fn bad_state_bytes_are_refused() {
    let (_, bob, _) = cold_call();
    let bytes = bob.to_bytes();
    for len in 0..bytes.len() {
        assert!(
            E2eState::from_bytes(&bytes[..len]).is_err(),
            "truncated to {len}"
        );
    }
    let mut trailing = bytes.to_vec();
    trailing.push(0);
    assert_eq!(
        E2eState::from_bytes(&trailing).err(),
        Some(StateError::TrailingBytes)
    );
    let mut version = bytes.to_vec();
    version[0] = 2;
    assert_eq!(
        E2eState::from_bytes(&version).err(),
        Some(StateError::UnknownVersion(2))
    );
    // JSON with an extra space is the same pickle, not the same bytes: refused.
    let mut spaced = bytes.to_vec();
    let at = 1 + 32 + 32 + 4;
    assert_eq!(spaced[at], b'{');
    spaced.insert(at + 1, b' ');
    let len = u32::from_be_bytes(spaced[at - 4..at].try_into().unwrap()) + 1;
    spaced[at - 4..at].copy_from_slice(&len.to_be_bytes());
    assert_eq!(
        E2eState::from_bytes(&spaced).err(),
        Some(StateError::BadPickle)
    );
}

#[test]
fn bad_offers_are_refused() {
    let mut bob = state(BOB);
    assert_eq!(
        bob.accept_offer(&ALICE, &[7; 63]),
        Err(OfferError::WrongLength)
    );
    assert_eq!(
        bob.accept_offer(&ALICE, &[7; 65]),
        Err(OfferError::WrongLength)
    );
    // The identity point of Curve25519 (all zero) gives no contributory secret.
    assert_eq!(bob.accept_offer(&ALICE, &[0; 64]), Err(OfferError::BadKey));
    assert!(!bob.has_session(&ALICE));
}

#[test]
fn bad_host_keys_and_payloads_are_refused() {
    let mut rng = rand::rng();
    let (alice, mut bob, _) = cold_call();
    assert_eq!(
        alice.seal_first_contact(&mut rng, &[], &BOB, b"x"),
        Err(SealError::NoHostKey)
    );
    for key in [&[2u8; 33][..], &[1u8; 32][..], &[1u8][..]] {
        assert_eq!(
            alice.seal_first_contact(&mut rng, key, &BOB, b"x"),
            Err(SealError::UnsupportedHostKey)
        );
    }
    assert_eq!(
        alice.seal_first_contact(&mut rng, &bob.host_key(), &BOB, b""),
        Err(SealError::PayloadNotPadded)
    );
    let before = bob.to_bytes();
    assert_eq!(
        bob.seal(&mut rng, &alice.host_key(), &ALICE, b""),
        Err(SealError::PayloadNotPadded)
    );
    assert_eq!(bob.to_bytes(), before);
}

#[test]
fn debug_prints_no_secrets() {
    let (alice, _, _) = cold_call();
    let printed = format!("{alice:?}");
    assert!(!printed.contains("secret"), "{printed}");
    assert!(printed.len() < 64, "{printed}");
}

/// A session the other side started later does not cut off the earlier one: Alice and Bob
/// cold-call each other at once, each accepts the other's offer, and messages sealed in either
/// session still open, including one of the older session delivered after the newer began.
#[test]
fn crossing_cold_calls_keep_both_sessions_open() {
    let (mut alice, mut bob, _) = cold_call();
    // Bob's first reply, in the session from Alice's offer, is still on its way...
    let late = bob
        .seal(&mut rand::rng(), &alice.host_key(), &ALICE, &padded(7, 512))
        .unwrap();
    // ...while Bob's own cold call reaches Alice, who starts a session of her own from it.
    let offer = bob.offer();
    alice.accept_offer(&BOB, &offer).unwrap();
    let opened = alice.open(&late).unwrap();
    assert_eq!(opened.payload, padded(7, 512));
    // Both directions keep working; each side may send in whichever session it holds last.
    send(&mut alice, &mut bob, 8, 512);
    send(&mut bob, &mut alice, 9, 512);
    send(&mut alice, &mut bob, 10, 512);
    // A replay of the late message is still a replay, and the state survives a round trip.
    let before = alice.to_bytes();
    assert_eq!(alice.open(&late), Err(OpenError::Replayed));
    assert_eq!(alice.to_bytes(), before);
    let restored = E2eState::from_bytes(&alice.to_bytes()).unwrap();
    assert_eq!(restored.to_bytes(), alice.to_bytes());
}

/// At most [`MAX_SESSIONS_PER_PEER`] sessions per peer are kept: the oldest goes first.
#[test]
fn sessions_per_peer_are_bounded() {
    let mut alice = state(ALICE);
    let mut bob = state(BOB);
    for _ in 0..MAX_SESSIONS_PER_PEER + 2 {
        let offer = alice.offer();
        bob.accept_offer(&ALICE, &offer).unwrap();
    }
    assert_eq!(bob.sessions[&ALICE].len(), MAX_SESSIONS_PER_PEER);
    let restored = E2eState::from_bytes(&bob.to_bytes()).unwrap();
    assert_eq!(restored.sessions[&ALICE].len(), MAX_SESSIONS_PER_PEER);
}
