//! The token flow through `TokenClient`, `Issuer` and `verify`, the key set rules of SPEC.md 6.5, and
//! the failure cases of each step.

use crate::token_support::{read_vectors, test_key_pem, unhex};
use blindpost::blind_rsa::{self, SecretKey};
use blindpost::token::{
    self, Error, Issuer, PendingToken, Token, TokenChallenge, TokenClient, TokenKey, TokenKeyEntry,
    TokenKeySet, TokenRequest, TokenResponse,
};
use blindpost::vector_rng::VectorRng;
use blindpost::Time;
use blindpost::{DecodeError, DecodeErrorKind};
use std::sync::OnceLock;

const ISSUER: &[u8] = b"issuer.blindpost.example";
const NOW: Time = Time::from_unix_secs(1_750_000_000);
const DAY: u64 = 86_400;

struct Fixture {
    issuer: Issuer,
    a: TokenKey,
    b: TokenKey,
    /// A third 2048-bit key (the RFC 9578 vectors' issuer key), never in the issuer.
    c: TokenKey,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let issuer = Issuer::new(vec![
            SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-a")).unwrap(),
            SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-b")).unwrap(),
        ])
        .unwrap();
        let keys: Vec<TokenKey> = issuer.token_keys().cloned().collect();
        let (a, b) = (keys[0].clone(), keys[1].clone());
        let rfc = read_vectors("rfc9578_type2.json");
        let c =
            TokenKey::from_spki_der(&unhex(rfc["vectors"][0]["pkS"].as_str().unwrap())).unwrap();
        Fixture { issuer, a, b, c }
    })
}

fn entry(key: &TokenKey, from: Time, to: Time) -> TokenKeyEntry {
    TokenKeyEntry::new(key.clone(), from, to)
}

/// Key A valid now, key B valid from tomorrow.
fn standard_set(serial: u64) -> TokenKeySet {
    let f = fixture();
    TokenKeySet::new(
        serial,
        ISSUER,
        vec![
            entry(&f.b, NOW + DAY, NOW + 30 * DAY),
            entry(&f.a, NOW - DAY, NOW + 2 * DAY),
        ],
    )
    .unwrap()
}

fn issue_token(challenge: &TokenChallenge, seed: &[u8]) -> Token {
    let f = fixture();
    let client = TokenClient::new(standard_set(1));
    let mut rng = VectorRng::new(seed);
    let key = client.key_set().preferred_key(NOW).unwrap();
    let (request, pending) = client.request(&mut rng, challenge, key, NOW).unwrap();
    let response = f.issuer.issue(&mut rng, &request).unwrap();
    pending.finalize(&response).unwrap()
}

#[test]
fn cold_call_and_discovery_tokens_verify_for_their_purpose_only() {
    let set = standard_set(1);
    let cold = TokenChallenge::cold_call(ISSUER).unwrap();
    let window = NOW.window(DAY);
    let disc = TokenChallenge::discovery(ISSUER, window).unwrap();
    let cold_token = issue_token(&cold, b"cold");
    let disc_token = issue_token(&disc, b"disc");
    assert_eq!(token::verify(&cold_token, &cold, &set), Ok(()));
    assert_eq!(token::verify(&disc_token, &disc, &set), Ok(()));
    assert_eq!(
        token::verify(&cold_token, &disc, &set),
        Err(Error::ChallengeMismatch)
    );
    assert_eq!(
        token::verify(&disc_token, &cold, &set),
        Err(Error::ChallengeMismatch)
    );
    for other in [window - 1, window + 1] {
        let other = TokenChallenge::discovery(ISSUER, other).unwrap();
        assert_eq!(
            token::verify(&disc_token, &other, &set),
            Err(Error::ChallengeMismatch)
        );
    }
    // Same purpose, other issuer: a different challenge.
    let elsewhere = TokenChallenge::cold_call(b"other.example").unwrap();
    assert_eq!(
        token::verify(&cold_token, &elsewhere, &set),
        Err(Error::ChallengeMismatch)
    );
    assert_eq!(cold_token.token_key_id(), fixture().a.id());
    assert_eq!(
        Token::from_bytes(&cold_token.to_bytes()).unwrap(),
        cold_token
    );
    assert_eq!(cold_token.to_bytes().len(), Token::LEN);
}

#[test]
fn tokens_verify_only_under_their_own_key() {
    let f = fixture();
    let cold = TokenChallenge::cold_call(ISSUER).unwrap();
    let token = issue_token(&cold, b"own key");
    // A set without key A does not know the token's key.
    let only_b = TokenKeySet::new(2, ISSUER, vec![entry(&f.b, Time::EPOCH, Time::MAX)]).unwrap();
    assert_eq!(
        token::verify(&token, &cold, &only_b),
        Err(Error::UnknownKeyId)
    );
    // Relabelled as key B's token, it fails under B.
    let mut bytes = token.to_bytes();
    bytes[66..98].copy_from_slice(f.b.id().as_bytes());
    let relabelled = Token::from_bytes(&bytes).unwrap();
    assert_eq!(
        token::verify(&relabelled, &cold, &standard_set(1)),
        Err(Error::InvalidAuthenticator)
    );
}

#[test]
fn every_single_bit_flip_of_a_token_is_rejected() {
    let set = standard_set(1);
    let cold = TokenChallenge::cold_call(ISSUER).unwrap();
    let bytes = issue_token(&cold, b"bit flips").to_bytes();
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let result = Token::from_bytes(&flipped).and_then(|t| token::verify(&t, &cold, &set));
        let expected = match bit / 8 {
            0..=1 => Error::UnsupportedTokenType {
                found: u16::from_be_bytes([flipped[0], flipped[1]]),
            },
            2..=33 => Error::InvalidAuthenticator,
            34..=65 => Error::ChallengeMismatch,
            66..=97 => Error::UnknownKeyId,
            _ => Error::InvalidAuthenticator,
        };
        assert_eq!(result, Err(expected), "bit {bit}");
    }
}

#[test]
fn issuer_selects_keys_by_truncated_id_and_checks_requests() {
    let f = fixture();
    let cold = TokenChallenge::cold_call(ISSUER).unwrap();
    // Key B once it is valid.
    let later = NOW + 2 * DAY + 1;
    let client = TokenClient::new(standard_set(1));
    assert_eq!(client.key_set().preferred_key(later), Some(&f.b));
    let mut rng = VectorRng::new(b"key b");
    let (request, pending) = client.request(&mut rng, &cold, &f.b, later).unwrap();
    assert_eq!(request.truncated_token_key_id(), f.b.id().truncated());
    let token = pending
        .finalize(&f.issuer.issue(&mut rng, &request).unwrap())
        .unwrap();
    assert_eq!(token.token_key_id(), f.b.id());
    token::verify(&token, &cold, client.key_set()).unwrap();

    let mut bytes = request.to_bytes();
    bytes[2] = f.c.id().truncated();
    assert_ne!(bytes[2], f.a.id().truncated());
    assert_ne!(bytes[2], f.b.id().truncated());
    let unknown = TokenRequest::from_bytes(&bytes).unwrap();
    assert_eq!(
        f.issuer.issue(&mut rng, &unknown),
        Err(Error::UnknownTruncatedKeyId {
            truncated: bytes[2]
        })
    );
    let mut high = request.to_bytes();
    high[3..].fill(0xff);
    assert_eq!(
        f.issuer
            .issue(&mut rng, &TokenRequest::from_bytes(&high).unwrap()),
        Err(Error::BlindRsa(blind_rsa::Error::BlindedMessageOutOfRange))
    );
}

#[test]
fn issuer_construction_rules() {
    let f = fixture();
    assert_eq!(Issuer::new(vec![]).unwrap_err(), Error::EmptyKeySet);
    let twice = Issuer::new(vec![
        SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-a")).unwrap(),
        SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-a")).unwrap(),
    ]);
    assert_eq!(
        twice.unwrap_err(),
        Error::DuplicateTruncatedKeyId {
            truncated: f.a.id().truncated()
        }
    );
    let big = SecretKey::from_pkcs8_pem(&test_key_pem("rsa3072")).unwrap();
    assert_eq!(
        TokenKey::from_public_key(big.public_key()).unwrap_err(),
        Error::WrongKeySize { bits: 3072 }
    );
    assert_eq!(
        Issuer::new(vec![big]).unwrap_err(),
        Error::WrongKeySize { bits: 3072 }
    );
}

#[test]
fn client_refuses_keys_outside_its_pinned_set_and_validity() {
    let f = fixture();
    let client = TokenClient::new(standard_set(1));
    let cold = TokenChallenge::cold_call(ISSUER).unwrap();
    let mut rng = VectorRng::new(b"refusals");
    assert_eq!(
        client.request(&mut rng, &cold, &f.c, NOW).unwrap_err(),
        Error::UnknownKeyId
    );
    assert_eq!(
        client.request(&mut rng, &cold, &f.b, NOW).unwrap_err(),
        Error::KeyNotValid { now: NOW }
    );
    assert_eq!(
        client
            .request(&mut rng, &cold, &f.a, NOW + 2 * DAY)
            .unwrap_err(),
        Error::KeyNotValid { now: NOW + 2 * DAY }
    );
    let foreign = TokenChallenge::cold_call(b"other.example").unwrap();
    assert_eq!(
        client.request(&mut rng, &foreign, &f.a, NOW).unwrap_err(),
        Error::IssuerMismatch
    );
    assert!(client.request(&mut rng, &cold, &f.a, NOW).is_ok());
}

#[test]
fn key_set_construction_rules() {
    let f = fixture();
    assert_eq!(
        TokenKeySet::new(1, ISSUER, vec![]).unwrap_err(),
        Error::EmptyKeySet
    );
    assert_eq!(
        TokenKeySet::new(
            1,
            b"",
            vec![entry(
                &f.a,
                Time::from_unix_secs(0),
                Time::from_unix_secs(1)
            )]
        )
        .unwrap_err(),
        Error::InvalidIssuerName { length: 0 }
    );
    assert_eq!(
        TokenKeySet::new(
            1,
            ISSUER,
            vec![entry(
                &f.a,
                Time::from_unix_secs(5),
                Time::from_unix_secs(5)
            )]
        )
        .unwrap_err(),
        Error::InvalidValidity { key_id: f.a.id() }
    );
    assert_eq!(
        TokenKeySet::new(
            1,
            ISSUER,
            vec![
                entry(&f.a, Time::from_unix_secs(0), Time::from_unix_secs(10)),
                entry(&f.a, Time::from_unix_secs(20), Time::from_unix_secs(30))
            ]
        )
        .unwrap_err(),
        Error::DuplicateTruncatedKeyId {
            truncated: f.a.id().truncated()
        }
    );
    let five = (0..5)
        .map(|i| {
            entry(
                &f.a,
                Time::from_unix_secs(i * 10),
                Time::from_unix_secs(i * 10 + 5),
            )
        })
        .collect();
    assert_eq!(
        TokenKeySet::new(1, ISSUER, five).unwrap_err(),
        Error::TooManyKeys { count: 5 }
    );
    // Three keys valid from 20 to 30.
    let three = vec![
        entry(&f.a, Time::from_unix_secs(0), Time::from_unix_secs(30)),
        entry(&f.b, Time::from_unix_secs(10), Time::from_unix_secs(40)),
        entry(&f.c, Time::from_unix_secs(20), Time::from_unix_secs(50)),
    ];
    assert_eq!(
        TokenKeySet::new(1, ISSUER, three).unwrap_err(),
        Error::TooManyConcurrentKeys {
            at: Time::from_unix_secs(20)
        }
    );
    // Back to back (expires is exclusive): never more than two at once.
    let chained = vec![
        entry(&f.a, Time::from_unix_secs(0), Time::from_unix_secs(20)),
        entry(&f.b, Time::from_unix_secs(10), Time::from_unix_secs(30)),
        entry(&f.c, Time::from_unix_secs(20), Time::from_unix_secs(50)),
    ];
    let set = TokenKeySet::new(1, ISSUER, chained).unwrap();
    assert_eq!(set.preferred_key(Time::from_unix_secs(15)), Some(&f.b));
    assert_eq!(set.preferred_key(Time::from_unix_secs(20)), Some(&f.c));
    assert_eq!(set.preferred_key(Time::from_unix_secs(50)), None);
    assert_eq!(set.key(&f.c.id()), Some(&f.c));
}

#[test]
fn key_set_encoding_is_canonical() {
    let set = standard_set(9);
    let bytes = set.to_bytes();
    assert_eq!(bytes[0], 1);
    assert_eq!(TokenKeySet::from_bytes(&bytes).unwrap(), set);
    // Entries are sorted on construction: A (earlier not_before) comes first.
    assert_eq!(set.entries()[0].key(), &fixture().a);

    let mut v2 = bytes.clone();
    v2[0] = 2;
    assert_eq!(
        TokenKeySet::from_bytes(&v2).unwrap_err(),
        Error::Decode(DecodeError::new(
            "token_key_set.version",
            DecodeErrorKind::UnknownVersion { found: 2 }
        ))
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        TokenKeySet::from_bytes(&trailing).unwrap_err(),
        Error::Decode(DecodeError {
            kind: DecodeErrorKind::TrailingBytes { extra: 1 },
            ..
        })
    ));
    assert!(matches!(
        TokenKeySet::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err(),
        Error::Decode(DecodeError {
            kind: DecodeErrorKind::Truncated { .. },
            ..
        })
    ));
    // The same entries written in the other order.
    let header = 1 + 8 + 2 + ISSUER.len() + 1;
    let first = 16 + 2 + 342;
    let mut swapped = bytes[..header].to_vec();
    swapped.extend_from_slice(&bytes[header + first..]);
    swapped.extend_from_slice(&bytes[header..header + first]);
    assert_eq!(swapped.len(), bytes.len());
    assert_eq!(
        TokenKeySet::from_bytes(&swapped).unwrap_err(),
        Error::Decode(DecodeError::new(
            "token_key_set.entries",
            DecodeErrorKind::InvalidValue
        ))
    );
    // The digest covers the serial.
    assert_ne!(standard_set(10).digest(), set.digest());
}

#[test]
fn key_set_updates_follow_the_consistency_rule() {
    let f = fixture();
    let pinned = standard_set(5);
    let mut client = TokenClient::new(pinned.clone());
    // The same set again is fine.
    assert_eq!(pinned.check_update(&standard_set(5), NOW), Ok(()));
    // A rollback, or a changed set under the same serial, is not.
    assert_eq!(
        pinned.check_update(&standard_set(4), NOW),
        Err(Error::KeySetRollback {
            pinned: 5,
            offered: 4
        })
    );
    let same_serial =
        TokenKeySet::new(5, ISSUER, vec![entry(&f.a, NOW - DAY, NOW + 2 * DAY)]).unwrap();
    assert_eq!(
        pinned.check_update(&same_serial, NOW),
        Err(Error::KeySetRollback {
            pinned: 5,
            offered: 5
        })
    );
    // Dropping key B (announced, not expired) early is refused, so is shortening A.
    let drop_b = TokenKeySet::new(6, ISSUER, vec![entry(&f.a, NOW - DAY, NOW + 2 * DAY)]).unwrap();
    assert_eq!(
        client.update_key_set(drop_b.clone(), NOW),
        Err(Error::KeyWithdrawnEarly { key_id: f.b.id() })
    );
    assert_eq!(client.key_set(), &pinned, "a refused set leaves the pin");
    let shorten_a = TokenKeySet::new(
        6,
        ISSUER,
        vec![
            entry(&f.a, NOW - DAY, NOW + DAY),
            entry(&f.b, NOW + DAY, NOW + 30 * DAY),
        ],
    )
    .unwrap();
    assert_eq!(
        pinned.check_update(&shorten_a, NOW),
        Err(Error::KeyWithdrawnEarly { key_id: f.a.id() })
    );
    // Replacing B by another key before B expires is refused.
    let replace_b = TokenKeySet::new(
        6,
        ISSUER,
        vec![
            entry(&f.a, NOW - DAY, NOW + 2 * DAY),
            entry(&f.c, NOW + DAY, NOW + 30 * DAY),
        ],
    )
    .unwrap();
    assert_eq!(
        pinned.check_update(&replace_b, NOW),
        Err(Error::KeyWithdrawnEarly { key_id: f.b.id() })
    );
    // Another issuer's set is refused.
    let other_issuer = TokenKeySet::new(
        6,
        b"other.example",
        vec![entry(&f.a, Time::EPOCH, Time::MAX)],
    )
    .unwrap();
    assert_eq!(
        pinned.check_update(&other_issuer, NOW),
        Err(Error::IssuerMismatch)
    );
    // Once A has expired it may go, and a new key may be announced.
    let after_a = NOW + 2 * DAY;
    let rotated = TokenKeySet::new(
        6,
        ISSUER,
        vec![
            entry(&f.b, NOW + DAY, NOW + 30 * DAY),
            entry(&f.c, NOW + 29 * DAY, NOW + 60 * DAY),
        ],
    )
    .unwrap();
    assert_eq!(
        pinned.check_update(&rotated, NOW),
        Err(Error::KeyWithdrawnEarly { key_id: f.a.id() })
    );
    client.update_key_set(rotated.clone(), after_a).unwrap();
    assert_eq!(client.key_set(), &rotated);
}

#[test]
fn pending_token_state_round_trips_and_is_checked() {
    let f = fixture();
    let client = TokenClient::new(standard_set(1));
    let cold = TokenChallenge::cold_call(ISSUER).unwrap();
    let mut rng = VectorRng::new(b"pending");
    let (request, pending) = client.request(&mut rng, &cold, &f.a, NOW).unwrap();
    let bytes = pending.to_bytes();
    assert_eq!(bytes.len(), 1 + 32 + 32 + 2 + 342 + 256);
    let restored = PendingToken::from_bytes(&bytes).unwrap();
    assert_eq!(*restored.to_bytes(), *bytes);
    assert_eq!(restored.token_key_id(), f.a.id());
    let response = f.issuer.issue(&mut rng, &request).unwrap();
    assert_eq!(
        restored.finalize(&response).unwrap(),
        pending.finalize(&response).unwrap()
    );

    let shown = format!("{pending:?}");
    let nonce = &bytes[1..33];
    assert!(!shown.contains(&hex::encode(nonce)[..8]), "{shown}");
    assert!(
        !shown.contains(&format!("{:?}", &nonce[..4])[1..12]),
        "{shown}"
    );
    assert!(shown.starts_with("PendingToken"), "{shown}");

    let mut v2 = bytes.to_vec();
    v2[0] = 2;
    assert!(matches!(
        PendingToken::from_bytes(&v2).unwrap_err(),
        Error::Decode(DecodeError {
            kind: DecodeErrorKind::UnknownVersion { found: 2 },
            ..
        })
    ));
    let mut zero_inverse = bytes.to_vec();
    let len = zero_inverse.len();
    zero_inverse[len - 256..].fill(0);
    assert_eq!(
        PendingToken::from_bytes(&zero_inverse).unwrap_err(),
        Error::BlindRsa(blind_rsa::Error::InverseNotForKey)
    );
    let mut trailing = bytes.to_vec();
    trailing.push(0);
    assert!(matches!(
        PendingToken::from_bytes(&trailing).unwrap_err(),
        Error::Decode(DecodeError {
            kind: DecodeErrorKind::TrailingBytes { extra: 1 },
            ..
        })
    ));
    let mut bad_spki = bytes.to_vec();
    bad_spki[67 + 10] ^= 0xff;
    assert_eq!(
        PendingToken::from_bytes(&bad_spki).unwrap_err(),
        Error::BlindRsa(blind_rsa::Error::InvalidSpki)
    );
}

#[test]
fn messages_reject_wrong_lengths_and_types() {
    assert!(matches!(
        TokenRequest::from_bytes(&[0, 2, 7]).unwrap_err(),
        Error::Decode(DecodeError {
            field: "token_request.blinded_msg",
            kind: DecodeErrorKind::Truncated {
                needed: 256,
                available: 0
            }
        })
    ));
    let mut request = vec![0u8; TokenRequest::LEN];
    request[1] = 1;
    assert_eq!(
        TokenRequest::from_bytes(&request).unwrap_err(),
        Error::UnsupportedTokenType { found: 1 }
    );
    assert!(TokenResponse::from_bytes(&[0u8; 255]).is_err());
    assert!(TokenResponse::from_bytes(&[0u8; 257]).is_err());
    assert_eq!(
        TokenResponse::from_bytes(&[7u8; 256]).unwrap().to_bytes(),
        vec![7u8; 256]
    );
}

#[test]
fn errors_read_well() {
    assert_eq!(
        Error::UnsupportedTokenType { found: 1 }.to_string(),
        "token type 0x0001 is not supported (only 0x0002)"
    );
    assert_eq!(
        Error::Decode(DecodeError::new(
            "token.nonce",
            DecodeErrorKind::Truncated {
                needed: 32,
                available: 3
            }
        ))
        .to_string(),
        "cannot decode token.nonce: truncated (needs 32 bytes, 3 left)"
    );
    assert_eq!(
        Error::KeySetRollback {
            pinned: 5,
            offered: 4
        }
        .to_string(),
        "offered token key set serial 4 is not above the pinned serial 5"
    );
}
