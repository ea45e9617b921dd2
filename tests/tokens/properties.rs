//! Property tests of the token encodings and of what a token is bound to.

use crate::token_support::test_key_pem;
use blindpost::blind_rsa::SecretKey;
use blindpost::token::{
    self, Error, Issuer, PendingToken, Token, TokenChallenge, TokenClient, TokenKey, TokenKeyEntry,
    TokenKeySet, TokenRequest, TokenResponse,
};
use blindpost::vector_rng::VectorRng;
use blindpost::Time;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

fn issuer() -> &'static (Issuer, TokenKey, TokenKey) {
    static I: OnceLock<(Issuer, TokenKey, TokenKey)> = OnceLock::new();
    I.get_or_init(|| {
        let issuer = Issuer::new(vec![
            SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-a")).unwrap()
        ])
        .unwrap();
        let a = issuer.token_keys().next().unwrap().clone();
        let b_secret = SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-b")).unwrap();
        let b = TokenKey::from_public_key(b_secret.public_key()).unwrap();
        (issuer, a, b)
    })
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn challenges_round_trip(issuer in name(), context in proptest::option::of(any::<[u8; 32]>()),
                             origin in proptest::collection::vec(any::<u8>(), 0..64)) {
        let c = TokenChallenge::new(&issuer, context, &origin).unwrap();
        let bytes = c.to_bytes();
        prop_assert_eq!(&bytes[..2], &[0u8, 2][..]);
        prop_assert_eq!(c.digest(), &<[u8; 32]>::from(Sha256::digest(&bytes)));
        prop_assert_eq!(TokenChallenge::from_bytes(&bytes).unwrap(), c);
    }

    #[test]
    fn fixed_size_messages_are_bijective(body in proptest::collection::vec(any::<u8>(), Token::LEN - 2)) {
        let mut token = vec![0, 2];
        token.extend_from_slice(&body);
        prop_assert_eq!(Token::from_bytes(&token).unwrap().to_bytes(), token);
        let mut request = vec![0, 2];
        request.extend_from_slice(&body[..TokenRequest::LEN - 2]);
        prop_assert_eq!(TokenRequest::from_bytes(&request).unwrap().to_bytes(), request);
        let response = &body[..TokenResponse::LEN];
        prop_assert_eq!(TokenResponse::from_bytes(response).unwrap().to_bytes(), response);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        let _ = Token::from_bytes(&bytes);
        let _ = TokenRequest::from_bytes(&bytes);
        let _ = TokenResponse::from_bytes(&bytes);
        let _ = TokenChallenge::from_bytes(&bytes);
        let _ = TokenKeySet::from_bytes(&bytes);
        let _ = PendingToken::from_bytes(&bytes);
        let _ = TokenKey::from_spki_der(&bytes);
    }

    #[test]
    fn key_sets_round_trip(serial in any::<u64>(), issuer_name in name(),
                           a_from in any::<u64>(), a_len in 1u64..1 << 40,
                           b_from in any::<u64>(), b_len in 1u64..1 << 40) {
        let (_, a, b) = issuer();
        let set = TokenKeySet::new(serial, &issuer_name, vec![
            TokenKeyEntry::new(a.clone(), Time::from_unix_secs(a_from.min(u64::MAX - a_len)), Time::from_unix_secs(a_from.min(u64::MAX - a_len) + a_len)),
            TokenKeyEntry::new(b.clone(), Time::from_unix_secs(b_from.min(u64::MAX - b_len)), Time::from_unix_secs(b_from.min(u64::MAX - b_len) + b_len)),
        ]).unwrap();
        let decoded = TokenKeySet::from_bytes(&set.to_bytes()).unwrap();
        prop_assert_eq!(decoded.digest(), set.digest());
        prop_assert_eq!(decoded, set);
    }
}

proptest! {
    // Each case issues a token (about 2 ms).
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A discovery token verifies under its own issuer, window and key, and under no other.
    #[test]
    fn tokens_are_bound_to_challenge_and_key(issuer_name in name(), window in any::<u64>(),
                                             other_window in any::<u64>(), seed in any::<u64>()) {
        prop_assume!(window != other_window);
        let (issuer, a, b) = issuer();
        let set = TokenKeySet::new(1, &issuer_name, vec![TokenKeyEntry::new(a.clone(), Time::EPOCH, Time::MAX)]).unwrap();
        let client = TokenClient::new(set.clone());
        let challenge = TokenChallenge::discovery(&issuer_name, window).unwrap();
        let mut rng = VectorRng::new(&seed.to_be_bytes());
        let (request, pending) = client.request(&mut rng, &challenge, a, Time::from_unix_secs(1)).unwrap();
        let token = pending.finalize(&issuer.issue(&mut rng, &request).unwrap()).unwrap();

        prop_assert_eq!(token::verify(&token, &challenge, &set), Ok(()));
        let other = TokenChallenge::discovery(&issuer_name, other_window).unwrap();
        prop_assert_eq!(token::verify(&token, &other, &set), Err(Error::ChallengeMismatch));
        let cold = TokenChallenge::cold_call(&issuer_name).unwrap();
        prop_assert_eq!(token::verify(&token, &cold, &set), Err(Error::ChallengeMismatch));
        let only_b = TokenKeySet::new(1, &issuer_name, vec![TokenKeyEntry::new(b.clone(), Time::EPOCH, Time::MAX)]).unwrap();
        prop_assert_eq!(token::verify(&token, &challenge, &only_b), Err(Error::UnknownKeyId));
        prop_assert_eq!(Token::from_bytes(&token.to_bytes()).unwrap(), token);
    }
}
