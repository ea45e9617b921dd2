//! What the server sees of end-to-end sealed payloads (SPEC.md 17.7): a conversation sealed
//! by the hosts' real sealing leaves no plaintext and no Olm key in any request the server
//! received or any entry it stored, and every sealed payload of one bucket has one length.

use blindpost::simulation::{Input, World};
use blindpost::wire::{Delivery, MIN_PADDED_LEN};

/// Whether `needle` occurs anywhere in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_server_sees_no_plaintext_no_olm_key_and_one_length_per_bucket() {
    let mut world = World::new("privacy: sealing");
    world.track_store();
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    let bob_certificate = world.lookup_one(&mut alice, "+15550002");

    let messages: [&[u8]; 4] = [
        b"plaintext 1: alice calls bob cold",
        b"plaintext 2: bob answers alice",
        b"plaintext 3: alice writes back",
        b"plaintext 4: bob again, in the ratchet",
    ];
    world.cold_call(&mut alice, &bob_certificate, messages[0]);
    world.deliver(&mut bob);
    world.reply(&mut bob, alice.account(), messages[1]);
    world.deliver(&mut alice);
    world.reply(&mut alice, bob.account(), messages[2]);
    world.deliver(&mut bob);
    world.reply(&mut bob, alice.account(), messages[3]);
    world.deliver(&mut alice);

    // Every message reached its recipient, so the payloads did go through the sealing.
    let opened: Vec<&[u8]> = world
        .given
        .iter()
        .filter_map(|g| match &g.input {
            Input::Delivery { opened, .. } => Some(opened.as_slice()),
            _ => None,
        })
        .collect();
    for message in messages {
        assert!(
            opened.iter().any(|o| contains(o, message)),
            "{message:?} was delivered"
        );
    }

    // The Olm identity keys open every offer (SPEC.md 17.7); the server must never see them.
    let olm_identities: Vec<Vec<u8>> = [alice.account(), bob.account()]
        .iter()
        .map(|a| world.offer(a)[..32].to_vec())
        .collect();
    let mut needles: Vec<&[u8]> = messages.to_vec();
    needles.extend(olm_identities.iter().map(Vec::as_slice));

    assert!(!world.received.is_empty());
    for received in &world.received {
        let stored = received.stored.iter().flat_map(|(k, v)| [k, v]);
        for bytes in [&received.bytes, &received.response]
            .into_iter()
            .chain(stored)
        {
            for needle in &needles {
                assert!(
                    !contains(bytes, needle),
                    "the server saw {needle:?} in a {:?}",
                    received.request_type
                );
            }
        }
    }

    // Cold call and replies alike: one bucket, one sealed length.
    let sealed_lengths: Vec<usize> = world
        .given
        .iter()
        .filter_map(|g| match &g.input {
            Input::Delivery { delivery, .. } => {
                Some(Delivery::from_bytes(delivery).unwrap().sealed().len())
            }
            _ => None,
        })
        .collect();
    assert_eq!(sealed_lengths.len(), 4);
    assert!(sealed_lengths
        .iter()
        .all(|&l| l == MIN_PADDED_LEN + blindpost_e2e::SEAL_OVERHEAD));
}
