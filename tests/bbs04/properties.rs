//! Property tests of BBS04: encodings round-trip, open names the signer, and no single-bit
//! change of a signature or a group key is accepted.

use blindpost::bbs04::{
    GroupManagerKey, GroupPublicKey, GroupSignature, MemberId, MemberKey, PreparedGroupKey,
    RevocationRecord, Signer,
};
use blindpost::vector_rng::VectorRng;
use proptest::prelude::*;
use std::sync::OnceLock;

struct Fixture {
    manager: GroupManagerKey,
    members: Vec<MemberKey>,
    prepared: PreparedGroupKey,
    signers: Vec<Signer>,
    signature: GroupSignature,
}

const CONTEXT: &[u8] = b"properties context";
const MESSAGE: &[u8] = b"properties message";

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = VectorRng::new(b"bbs04 properties");
        let manager = GroupManagerKey::generate(&mut rng);
        let members = manager.issue_members(&mut rng, 4);
        let prepared = PreparedGroupKey::new(manager.public_key().clone());
        let signers = members
            .iter()
            .map(|m| Signer::new(m, &prepared).unwrap())
            .collect();
        let signature = members[0]
            .sign(&mut rng, &prepared, CONTEXT, MESSAGE)
            .unwrap();
        Fixture {
            manager,
            members,
            prepared,
            signers,
            signature,
        }
    })
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[bit / 8] ^= 1 << (bit % 8);
    out
}

/// A changed signature must fail to decode or to verify.
fn signature_rejected(bytes: &[u8]) -> bool {
    let f = fixture();
    match GroupSignature::from_bytes(bytes) {
        Err(_) => true,
        Ok(sig) => f.prepared.verify(CONTEXT, MESSAGE, &sig).is_err(),
    }
}

/// A changed group key must fail to decode or to verify the fixture's signature.
fn group_key_rejected(bytes: &[u8]) -> bool {
    let f = fixture();
    match GroupPublicKey::from_bytes(bytes) {
        Err(_) => true,
        Ok(key) => PreparedGroupKey::new(key)
            .verify(CONTEXT, MESSAGE, &f.signature)
            .is_err(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn every_encoding_round_trips(seed in any::<[u8; 16]>(), ctx in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut rng = VectorRng::new(&seed);
        let mut manager = GroupManagerKey::generate(&mut rng);
        let members = manager.issue_members(&mut rng, 2);
        let prepared = PreparedGroupKey::new(manager.public_key().clone());
        let sig = members[0].sign(&mut rng, &prepared, &ctx, b"m").unwrap();

        let gpk = manager.public_key().to_bytes();
        prop_assert_eq!(GroupPublicKey::from_bytes(&gpk).unwrap().to_bytes(), gpk);
        let mk = members[0].to_bytes();
        prop_assert_eq!(MemberKey::from_bytes(&mk[..]).unwrap().to_bytes(), mk);
        let sk = manager.to_bytes();
        prop_assert_eq!(GroupManagerKey::from_bytes(&sk[..]).unwrap().to_bytes(), sk);
        let sb = sig.to_bytes();
        prop_assert_eq!(GroupSignature::from_bytes(&sb).unwrap().to_bytes(), sb);
        let id = members[1].id().to_bytes();
        prop_assert_eq!(MemberId::from_bytes(&id).unwrap().to_bytes(), id);
        let record = manager.revoke(&members[1]).unwrap().to_bytes();
        prop_assert_eq!(RevocationRecord::from_bytes(&record).unwrap().to_bytes(), record);
        let sk1 = manager.to_bytes();
        prop_assert_eq!(GroupManagerKey::from_bytes(&sk1[..]).unwrap().to_bytes(), sk1);
    }

    #[test]
    fn open_returns_the_signer(
        index in 0usize..4,
        seed in any::<[u8; 8]>(),
        ctx in proptest::collection::vec(any::<u8>(), 0..64),
        msg in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let f = fixture();
        let mut rng = VectorRng::new(&seed);
        let sig = f.signers[index].sign(&mut rng, &ctx, &msg).unwrap();
        prop_assert!(f.prepared.verify(&ctx, &msg, &sig).is_ok());
        prop_assert_eq!(f.manager.open(&sig), f.members[index].id());
        let decoded = GroupSignature::from_bytes(&sig.to_bytes()).unwrap();
        prop_assert_eq!(f.manager.open_verified(&f.prepared, &ctx, &msg, &decoded), Ok(f.members[index].id()));
    }

    #[test]
    fn a_fresh_signature_with_one_bit_flipped_is_rejected(seed in any::<[u8; 8]>(), bit in 0usize..GroupSignature::SIZE * 8) {
        let f = fixture();
        let sig = f.signers[1].sign(&mut VectorRng::new(&seed), CONTEXT, MESSAGE).unwrap();
        prop_assert!(signature_rejected(&flip(&sig.to_bytes(), bit)));
    }

    #[test]
    fn a_group_key_with_one_bit_flipped_is_rejected(bit in 0usize..GroupPublicKey::SIZE * 8) {
        let f = fixture();
        prop_assert!(group_key_rejected(&flip(&f.manager.public_key().to_bytes(), bit)));
    }
}

#[test]
fn every_single_bit_flip_of_a_signature_is_rejected() {
    let f = fixture();
    let bytes = f.signature.to_bytes();
    assert!(!signature_rejected(&bytes));
    for bit in 0..GroupSignature::SIZE * 8 {
        assert!(signature_rejected(&flip(&bytes, bit)), "bit {bit}");
    }
}

#[test]
fn every_single_bit_flip_of_a_group_key_is_rejected() {
    let f = fixture();
    let bytes = f.manager.public_key().to_bytes();
    assert!(!group_key_rejected(&bytes));
    for bit in 0..GroupPublicKey::SIZE * 8 {
        assert!(group_key_rejected(&flip(&bytes, bit)), "bit {bit}");
    }
}
