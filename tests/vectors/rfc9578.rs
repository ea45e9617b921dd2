//! RFC 9578 Appendix B.2: the five token type 0x0002 vectors, end to end through the client,
//! the issuer and the verifier, with the client's randomness (nonce, salt, blinding factor)
//! replayed from the vector.

use crate::token_support::{pad_to, ReplayRng};
use crate::vector_file::{self, hex_bytes};
use blindpost::blind_rsa::SecretKey;
use blindpost::token::{
    self, Issuer, PendingToken, Token, TokenChallenge, TokenClient, TokenKey, TokenKeyEntry,
    TokenKeySet, TokenRequest, TokenResponse,
};
use blindpost::vector_rng::VectorRng;
use blindpost::Time;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One vector of RFC 9578 Appendix B.2 (byte strings hex in the file).
#[derive(Debug, Deserialize)]
pub(crate) struct Vector {
    #[serde(rename = "skS", deserialize_with = "hex_bytes")]
    pub(crate) sk: Vec<u8>,
    #[serde(rename = "pkS", deserialize_with = "hex_bytes")]
    pk: Vec<u8>,
    #[serde(rename = "token_challenge", deserialize_with = "hex_bytes")]
    challenge: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    nonce: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    blind: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    salt: Vec<u8>,
    #[serde(rename = "token_request", deserialize_with = "hex_bytes")]
    request: Vec<u8>,
    #[serde(rename = "token_response", deserialize_with = "hex_bytes")]
    response: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    token: Vec<u8>,
}

/// `test-vectors/rfc9578_type2.json`.
#[derive(Debug, Deserialize)]
struct Rfc9578File {
    source: String,
    vectors: Vec<Vector>,
}

pub(crate) fn vectors() -> Vec<Vector> {
    let file: Rfc9578File = vector_file::read("rfc9578_type2.json");
    assert!(file.source.contains("RFC 9578"));
    assert_eq!(file.vectors.len(), 5);
    file.vectors
}

fn secret_key(v: &Vector) -> SecretKey {
    SecretKey::from_pkcs8_pem(std::str::from_utf8(&v.sk).unwrap()).unwrap()
}

#[test]
fn issuer_key_encodings_match_the_vectors() {
    for v in vectors() {
        let sk = secret_key(&v);
        let key = TokenKey::from_spki_der(&v.pk).unwrap();
        assert_eq!(key.public_key(), sk.public_key());
        // The SPKI (id-RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48) is reproduced byte for byte.
        assert_eq!(sk.public_key().to_spki_der(), v.pk);
        assert_eq!(key.spki_der(), &v.pk[..]);
        let id: [u8; 32] = Sha256::digest(&v.pk).into();
        assert_eq!(key.id().as_bytes(), &id);
        // The token carries the full key id, the request its last byte.
        assert_eq!(&v.token[66..98], &id);
        assert_eq!(v.request[2], id[31]);
    }
}

#[test]
fn messages_decode_and_reencode_exactly() {
    for v in vectors() {
        let challenge = TokenChallenge::from_bytes(&v.challenge).unwrap();
        assert_eq!(challenge.to_bytes(), v.challenge);
        assert_eq!(
            TokenRequest::from_bytes(&v.request).unwrap().to_bytes(),
            v.request
        );
        assert_eq!(
            TokenResponse::from_bytes(&v.response).unwrap().to_bytes(),
            v.response
        );
        let token = Token::from_bytes(&v.token).unwrap();
        assert_eq!(token.to_bytes(), v.token);
        assert_eq!(token.nonce(), &v.nonce[..]);
        assert_eq!(token.challenge_digest(), challenge.digest());
    }
}

#[test]
fn client_issuer_and_verifier_reproduce_every_vector() {
    for (i, v) in vectors().into_iter().enumerate() {
        let challenge = TokenChallenge::from_bytes(&v.challenge).unwrap();
        let key = TokenKey::from_spki_der(&v.pk).unwrap();
        let set = TokenKeySet::new(
            1,
            challenge.issuer_name(),
            vec![TokenKeyEntry::new(key.clone(), Time::EPOCH, Time::MAX)],
        )
        .unwrap();
        let client = TokenClient::new(set.clone());

        let mut rng = ReplayRng::new(&[&v.nonce, &v.salt, &pad_to(&v.blind, 256)]);
        let (request, pending) = client
            .request(
                &mut rng,
                &challenge,
                &key,
                Time::from_unix_secs(1_700_000_000),
            )
            .unwrap();
        rng.assert_drained();
        assert_eq!(request.to_bytes(), v.request, "vector {i}: token_request");

        let issuer = Issuer::new(vec![secret_key(&v)]).unwrap();
        let response = issuer
            .issue(&mut VectorRng::new(b"rfc9578 issuer"), &request)
            .unwrap();
        assert_eq!(
            response.to_bytes(),
            v.response,
            "vector {i}: token_response"
        );

        let token = pending.finalize(&response).unwrap();
        assert_eq!(token.to_bytes(), v.token, "vector {i}: token");
        token::verify(&token, &challenge, &set).unwrap();

        // A persisted and restored state finalizes to the same token.
        let restored = PendingToken::from_bytes(&pending.to_bytes()).unwrap();
        assert_eq!(restored.finalize(&response).unwrap(), token);
    }
}

#[test]
fn vector_tokens_verify_only_under_their_own_challenge() {
    let vectors = vectors();
    for (i, v) in vectors.iter().enumerate() {
        let key = TokenKey::from_spki_der(&v.pk).unwrap();
        let token = Token::from_bytes(&v.token).unwrap();
        for (j, w) in vectors.iter().enumerate() {
            let challenge = TokenChallenge::from_bytes(&w.challenge).unwrap();
            let set = TokenKeySet::new(
                1,
                challenge.issuer_name(),
                vec![TokenKeyEntry::new(key.clone(), Time::EPOCH, Time::MAX)],
            )
            .unwrap();
            let result = token::verify(&token, &challenge, &set);
            if v.challenge == w.challenge {
                assert_eq!(result, Ok(()), "token {i} under challenge {j}");
            } else {
                assert_eq!(
                    result,
                    Err(token::Error::ChallengeMismatch),
                    "token {i} under {j}"
                );
            }
        }
    }
}
