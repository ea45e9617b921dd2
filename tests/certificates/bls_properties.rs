//! Property tests for BLS: key, signature and proof encodings round-trip; signatures verify
//! for their key and message only; proofs of possession are bound to their key.

use blindpost::bls::{BlsError, ProofOfPossession, PublicKey, SecretKey, Signature};
use blindpost::vector_rng::VectorRng;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sign_verify_and_encodings(
        seed in any::<[u8; 16]>(),
        msg in proptest::collection::vec(any::<u8>(), 0..200),
        flip in any::<prop::sample::Index>(),
    ) {
        let mut rng = VectorRng::new(&seed);
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        prop_assert_eq!(&SecretKey::from_bytes(&*sk.to_bytes()).unwrap(), &sk);
        prop_assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
        let sig = sk.sign(&msg);
        prop_assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);
        prop_assert!(pk.verify(&msg, &sig).is_ok());
        // Deterministic.
        prop_assert_eq!(sk.sign(&msg), sig);
        // Another message fails.
        let mut other = msg.clone();
        other.push(0);
        prop_assert_eq!(pk.verify(&other, &sig), Err(BlsError::InvalidSignature));
        // Any bit flip of the signature either fails to decode or fails to verify.
        let mut bytes = sig.to_bytes();
        let i = flip.index(bytes.len() * 8);
        bytes[i / 8] ^= 1 << (i % 8);
        let r = Signature::from_bytes(&bytes).and_then(|s| pk.verify(&msg, &s));
        prop_assert!(r.is_err());
        // Proof of possession round trip and binding.
        let pop = sk.pop_prove();
        prop_assert_eq!(ProofOfPossession::from_bytes(&pop.to_bytes()).unwrap(), pop);
        prop_assert!(pk.pop_verify(&pop).is_ok());
        let pk2 = SecretKey::generate(&mut rng).public_key();
        prop_assert_eq!(pk2.pop_verify(&pop), Err(BlsError::InvalidProofOfPossession));
    }

    #[test]
    fn key_gen_is_deterministic_and_needs_32_bytes(
        ikm in proptest::collection::vec(any::<u8>(), 0..64),
        info in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        match SecretKey::key_gen(&ikm, &info) {
            Ok(sk) => {
                prop_assert!(ikm.len() >= 32);
                prop_assert_eq!(SecretKey::key_gen(&ikm, &info).unwrap(), sk);
            }
            Err(e) => {
                prop_assert!(ikm.len() < 32);
                prop_assert_eq!(e, BlsError::IkmTooShort { length: ikm.len() });
            }
        }
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let _ = PublicKey::from_bytes(&bytes);
        let _ = Signature::from_bytes(&bytes);
        let _ = ProofOfPossession::from_bytes(&bytes);
        let _ = SecretKey::from_bytes(&bytes);
        let _ = blindpost::certificate::Certificate::from_bytes(&bytes);
        let _ = blindpost::certificate::IssuerKeySet::from_bytes(&bytes);
    }
}

#[test]
fn key_info_separates_keys() {
    let ikm = [42u8; 32];
    let a = SecretKey::key_gen(&ikm, b"").unwrap();
    let b = SecretKey::key_gen(&ikm, b"blindpost identity").unwrap();
    assert_ne!(a, b);
}
