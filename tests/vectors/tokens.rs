//! `test-vectors/tokens.json`: blindpost's own token vectors (SPEC.md section 6.7), one per
//! purpose plus negative cases. `generated_vectors_match_the_file` regenerates the file from its
//! seed and compares (`BLINDPOST_WRITE_VECTORS=1` rewrites it); `file_vectors_check_out` checks
//! the file without the generator, the way another implementation would.

use crate::vector_file;
use blindpost::Time;

use crate::token_support::{read_vectors, test_key_pem, unhex, RecordingRng, ReplayRng};
use crate::vector_file::KindName;
use blindpost::blind_rsa;
use blindpost::blind_rsa::SecretKey;
use blindpost::token::{
    self, Issuer, PendingToken, Token, TokenChallenge, TokenClient, TokenKey, TokenKeyEntry,
    TokenKeyId, TokenKeySet, TokenRequest, TokenResponse,
};
use blindpost::vector_rng::VectorRng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const SEED: &str = "blindpost/v1/test-vectors/tokens";
const ISSUER_NAME: &str = "tokens.blindpost.example";
const NOW: Time = Time::from_unix_secs(1_750_000_000);
const WINDOW_SECONDS: u64 = 86_400;
const FILE: &str = "tokens.json";

/// The outcome of a negative case, as the file writes it (SPEC.md 2.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
enum Outcome {
    Decode { field: String, kind: KindName },
    BlindedMessageOutOfRange,
    InvalidBlindSignature,
    UnknownKeyId,
    UnknownTruncatedKeyId,
    InvalidAuthenticator,
    ChallengeMismatch,
    UnsupportedTokenType,
    KeyNotValid,
}

/// The library's error in the file's vocabulary.
fn outcome(e: &token::Error) -> Outcome {
    match e {
        token::Error::Decode(d) => Outcome::Decode {
            field: d.field.to_owned(),
            kind: d.kind.into(),
        },
        token::Error::BlindRsa(blind_rsa::Error::BlindedMessageOutOfRange) => {
            Outcome::BlindedMessageOutOfRange
        }
        token::Error::BlindRsa(blind_rsa::Error::InvalidBlindSignature) => {
            Outcome::InvalidBlindSignature
        }
        token::Error::UnknownKeyId => Outcome::UnknownKeyId,
        token::Error::UnknownTruncatedKeyId { .. } => Outcome::UnknownTruncatedKeyId,
        token::Error::InvalidAuthenticator => Outcome::InvalidAuthenticator,
        token::Error::ChallengeMismatch => Outcome::ChallengeMismatch,
        token::Error::UnsupportedTokenType { .. } => Outcome::UnsupportedTokenType,
        token::Error::KeyNotValid { .. } => Outcome::KeyNotValid,
        other => panic!("an error outside SPEC.md 6.4: {other:?}"),
    }
}

/// `test-vectors/tokens.json`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TokensFile {
    pub(crate) source: String,
    pub(crate) seed: String,
    pub(crate) notes: String,
    pub(crate) issuer_name: String,
    pub(crate) now: u64,
    pub(crate) window_seconds: u64,
    pub(crate) issuer_secret_key_pem: String,
    pub(crate) key_set: String,
    pub(crate) key_set_digest: String,
    pub(crate) cases: Vec<TokenCase>,
    negative: Vec<NegativeCase>,
}

/// One token, from challenge to verified token (all byte strings hex).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TokenCase {
    pub(crate) purpose: String,
    pub(crate) challenge: String,
    pub(crate) challenge_digest: String,
    pub(crate) token_key_id: String,
    pub(crate) client_random: String,
    pub(crate) nonce: String,
    pub(crate) salt: String,
    pub(crate) blind: String,
    pub(crate) token_request: String,
    pub(crate) pending_token: String,
    pub(crate) token_response: String,
    pub(crate) token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) window: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) redemption_context: Option<String>,
}

/// One operation that must fail, with the inputs it takes (hex) and its outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct NegativeCase {
    name: String,
    operation: String,
    #[serde(flatten)]
    expected: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    now: Option<u64>,
}

fn key_set(a: &TokenKey, b: &TokenKey) -> TokenKeySet {
    TokenKeySet::new(
        7,
        ISSUER_NAME.as_bytes(),
        vec![
            // A is current; B is announced and becomes valid later.
            TokenKeyEntry::new(
                a.clone(),
                Time::from_unix_secs(1_740_000_000),
                Time::from_unix_secs(1_760_000_000),
            ),
            TokenKeyEntry::new(
                b.clone(),
                Time::from_unix_secs(1_755_000_000),
                Time::from_unix_secs(1_780_000_000),
            ),
        ],
    )
    .unwrap()
}

/// Runs one negative case against the library and returns the outcome it produced.
fn run_negative(case: &NegativeCase, set: &TokenKeySet, issuer: &Issuer) -> Outcome {
    let h = |v: &Option<String>| unhex(v.as_deref().expect("the operation's input"));
    let result: Result<(), token::Error> = match case.operation.as_str() {
        "verify" => Token::from_bytes(&h(&case.token)).and_then(|t| {
            let challenge = TokenChallenge::from_bytes(&h(&case.challenge))?;
            token::verify(&t, &challenge, set)
        }),
        "issue" => TokenRequest::from_bytes(&h(&case.token_request)).and_then(|r| {
            issuer
                .issue(&mut VectorRng::new(b"negative issue"), &r)
                .map(drop)
        }),
        "finalize" => PendingToken::from_bytes(&h(&case.pending_token)).and_then(|p| {
            let response = TokenResponse::from_bytes(&h(&case.token_response))?;
            p.finalize(&response).map(drop)
        }),
        "request" => {
            let challenge = TokenChallenge::from_bytes(&h(&case.challenge)).unwrap();
            let id = TokenKeyId::from_bytes(h(&case.token_key_id).try_into().unwrap());
            let key = set.key(&id).unwrap();
            TokenClient::new(set.clone())
                .request(
                    &mut VectorRng::new(b"negative request"),
                    &challenge,
                    key,
                    Time::from_unix_secs(case.now.expect("the time of the request")),
                )
                .map(drop)
        }
        other => panic!("unknown operation {other}"),
    };
    outcome(&result.expect_err(&case.name))
}

fn generate() -> Value {
    let pem_a = test_key_pem("rsa2048-a");
    let pem_b = test_key_pem("rsa2048-b");
    let secret_b = SecretKey::from_pkcs8_pem(&pem_b).unwrap();
    let issuer = Issuer::new(vec![SecretKey::from_pkcs8_pem(&pem_a).unwrap()]).unwrap();
    let key_a = issuer.token_keys().next().unwrap().clone();
    let key_b = TokenKey::from_public_key(secret_b.public_key()).unwrap();
    let set = key_set(&key_a, &key_b);
    let client = TokenClient::new(set.clone());
    let window = NOW.window(WINDOW_SECONDS);

    let mut rng = RecordingRng::new(VectorRng::new(SEED.as_bytes()));
    let mut cases = Vec::new();
    let mut tokens = Vec::new();
    for (purpose, challenge) in [
        (
            "cold_call",
            TokenChallenge::cold_call(ISSUER_NAME.as_bytes()).unwrap(),
        ),
        (
            "discovery",
            TokenChallenge::discovery(ISSUER_NAME.as_bytes(), window).unwrap(),
        ),
    ] {
        let key = set.preferred_key(NOW).unwrap();
        let (request, pending) = client.request(&mut rng, &challenge, key, NOW).unwrap();
        let stream = rng.take();
        let response = issuer.issue(&mut rng, &request).unwrap();
        rng.take(); // the issuer's RSA blinding does not change its answer
        let token = pending.finalize(&response).unwrap();
        token::verify(&token, &challenge, &set).unwrap();
        let mut case = json!({
            "purpose": purpose,
            "challenge": hex::encode(challenge.to_bytes()),
            "challenge_digest": hex::encode(challenge.digest()),
            "token_key_id": hex::encode(key.id().as_bytes()),
            "client_random": hex::encode(&stream),
            "nonce": hex::encode(&stream[..32]),
            "salt": hex::encode(&stream[32..80]),
            "blind": hex::encode(&stream[stream.len() - 256..]),
            "token_request": hex::encode(request.to_bytes()),
            "pending_token": hex::encode(&*pending.to_bytes()),
            "token_response": hex::encode(response.to_bytes()),
            "token": hex::encode(token.to_bytes()),
        });
        if purpose == "discovery" {
            case["window"] = json!(window);
            case["redemption_context"] =
                json!(hex::encode(TokenChallenge::discovery_context(window)));
        }
        cases.push(case);
        tokens.push((challenge, request, pending, response, token));
    }

    let [(cold_challenge, cold_request, cold_pending, _, cold_token), (disc_challenge, _, _, disc_response, disc_token)] =
        <[_; 2]>::try_from(tokens).ok().unwrap();
    let cold = cold_token.to_bytes();
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = cold.clone();
        f(&mut b);
        hex::encode(b)
    };
    // A real key id outside the set: the RFC 9578 vectors' issuer key.
    let rfc_key = read_vectors("rfc9578_type2.json")["vectors"][0]["pkS"]
        .as_str()
        .map(unhex)
        .map(|der| TokenKey::from_spki_der(&der).unwrap())
        .unwrap();
    let mut request_n = cold_request.to_bytes();
    request_n[3..].copy_from_slice(&key_a.public_key().modulus_be());
    let mut request_other_id = cold_request.to_bytes();
    request_other_id[2] ^= 0x01;
    assert_ne!(request_other_id[2], key_a.id().truncated());
    let cold_hex = hex::encode(cold_challenge.to_bytes());

    let negative = vec![
        json!({"name": "unknown key id", "error": "unknown_key_id", "operation": "verify", "challenge": cold_hex,
               "token": with(&|b| b[66..98].copy_from_slice(rfc_key.id().as_bytes()))}),
        json!({"name": "tampered authenticator", "error": "invalid_authenticator", "operation": "verify", "challenge": cold_hex,
               "token": with(&|b| *b.last_mut().unwrap() ^= 0x01)}),
        json!({"name": "tampered nonce", "error": "invalid_authenticator", "operation": "verify", "challenge": cold_hex,
               "token": with(&|b| b[2] ^= 0x80)}),
        json!({"name": "cold-call token under a discovery challenge", "error": "challenge_mismatch", "operation": "verify",
               "challenge": hex::encode(disc_challenge.to_bytes()), "token": hex::encode(&cold)}),
        json!({"name": "discovery token under the next window", "error": "challenge_mismatch", "operation": "verify",
               "challenge": hex::encode(TokenChallenge::discovery(ISSUER_NAME.as_bytes(), window + 1).unwrap().to_bytes()),
               "token": hex::encode(disc_token.to_bytes())}),
        json!({"name": "truncated token", "error": "decode", "field": "token.authenticator", "kind": "truncated", "operation": "verify", "challenge": cold_hex,
               "token": hex::encode(&cold[..cold.len() - 1])}),
        json!({"name": "token with a trailing byte", "error": "decode", "field": "token", "kind": "trailing_bytes", "operation": "verify", "challenge": cold_hex,
               "token": with(&|b| b.push(0))}),
        json!({"name": "token of type 0x0001", "error": "unsupported_token_type", "operation": "verify", "challenge": cold_hex,
               "token": with(&|b| b[1] = 0x01)}),
        json!({"name": "blinded message equal to n", "error": "blinded_message_out_of_range", "operation": "issue",
               "token_request": hex::encode(&request_n)}),
        json!({"name": "request for another truncated key id", "error": "unknown_truncated_key_id", "operation": "issue",
               "token_request": hex::encode(&request_other_id)}),
        json!({"name": "truncated request", "error": "decode", "field": "token_request.blinded_msg", "kind": "truncated", "operation": "issue",
               "token_request": hex::encode(&cold_request.to_bytes()[..200])}),
        json!({"name": "response to another request", "error": "invalid_blind_signature", "operation": "finalize",
               "pending_token": hex::encode(&*cold_pending.to_bytes()),
               "token_response": hex::encode(disc_response.to_bytes())}),
        json!({"name": "request under a key before its not_before", "error": "key_not_valid", "operation": "request",
               "challenge": cold_hex, "token_key_id": hex::encode(key_b.id().as_bytes()),
               "now": NOW.unix_secs()}),
        json!({"name": "request under a key after it expired", "error": "key_not_valid", "operation": "request",
               "challenge": cold_hex, "token_key_id": hex::encode(key_a.id().as_bytes()),
               "now": 1_760_000_000u64}),
    ];
    for case in &negative {
        let case: NegativeCase = serde_json::from_value(case.clone()).unwrap();
        assert_eq!(
            run_negative(&case, &set, &issuer),
            case.expected,
            "{}",
            case.name
        );
    }

    json!({
        "source": "blindpost: generated by tests/vectors/tokens.rs (SPEC.md section 6.7) with VectorRng(seed); the issuer keys are test-vectors/token_keys/rsa2048-a.pem and rsa2048-b.pem",
        "seed": SEED,
        "notes": "All byte strings hex. client_random is every byte the client's request drew from VectorRng(seed), in order: nonce (32), salt (48), then blinding-factor candidates of 256 bytes, the last accepted (blind). Cases share one generator: the cold-call request, the issuer's RSA blinding, then the discovery request. Issuer RSA blinding does not change blind signatures. Discovery windows are floor(now / window_seconds).",
        "issuer_name": ISSUER_NAME,
        "now": NOW.unix_secs(),
        "window_seconds": WINDOW_SECONDS,
        "issuer_secret_key_pem": pem_a,
        "key_set": hex::encode(set.to_bytes()),
        "key_set_digest": hex::encode(set.digest()),
        "cases": cases,
        "negative": negative,
    })
}

#[test]
fn generated_vectors_match_the_file() {
    vector_file::check_generated(FILE, &generate());
}

#[test]
fn file_vectors_check_out() {
    let file: TokensFile = vector_file::read(FILE);
    let issuer = Issuer::new(vec![
        SecretKey::from_pkcs8_pem(&file.issuer_secret_key_pem).unwrap()
    ])
    .unwrap();
    let set = TokenKeySet::from_bytes(&unhex(&file.key_set)).unwrap();
    assert_eq!(set.to_bytes(), unhex(&file.key_set));
    assert_eq!(set.digest()[..], unhex(&file.key_set_digest)[..]);
    assert_eq!(set.issuer_name(), file.issuer_name.as_bytes());
    let now = Time::from_unix_secs(file.now);
    let client = TokenClient::new(set.clone());

    let purposes: Vec<_> = file.cases.iter().map(|c| c.purpose.as_str()).collect();
    assert_eq!(purposes, ["cold_call", "discovery"]);
    for case in &file.cases {
        let challenge = TokenChallenge::from_bytes(&unhex(&case.challenge)).unwrap();
        assert_eq!(challenge.digest()[..], unhex(&case.challenge_digest)[..]);
        let expected = match case.purpose.as_str() {
            "cold_call" => TokenChallenge::cold_call(ISSUER_NAME.as_bytes()).unwrap(),
            _ => {
                let window = case.window.unwrap();
                assert_eq!(window, now.window(file.window_seconds));
                assert_eq!(
                    TokenChallenge::discovery_context(window)[..],
                    unhex(case.redemption_context.as_deref().unwrap())[..]
                );
                TokenChallenge::discovery(ISSUER_NAME.as_bytes(), window).unwrap()
            }
        };
        assert_eq!(challenge, expected);
        let key = set.preferred_key(now).unwrap();
        assert_eq!(key.id().as_bytes()[..], unhex(&case.token_key_id)[..]);

        // The client reproduces the request and its state from the recorded random stream.
        let random = unhex(&case.client_random);
        assert_eq!(random[..32], unhex(&case.nonce)[..]);
        assert_eq!(random[32..80], unhex(&case.salt)[..]);
        assert_eq!(random[random.len() - 256..], unhex(&case.blind)[..]);
        let mut rng = ReplayRng::new(&[&random]);
        let (request, pending) = client.request(&mut rng, &challenge, key, now).unwrap();
        rng.assert_drained();
        assert_eq!(request.to_bytes(), unhex(&case.token_request));
        assert_eq!(*pending.to_bytes(), unhex(&case.pending_token));

        // Blind RSA signatures are deterministic: any blinding gives the recorded response.
        let response = issuer
            .issue(&mut VectorRng::new(b"another blinding"), &request)
            .unwrap();
        assert_eq!(response.to_bytes(), unhex(&case.token_response));
        let restored = PendingToken::from_bytes(&unhex(&case.pending_token)).unwrap();
        let token = restored
            .finalize(&TokenResponse::from_bytes(&unhex(&case.token_response)).unwrap())
            .unwrap();
        assert_eq!(token.to_bytes(), unhex(&case.token));
        token::verify(
            &Token::from_bytes(&unhex(&case.token)).unwrap(),
            &challenge,
            &set,
        )
        .unwrap();
    }

    assert_eq!(file.negative.len(), 14);
    for case in &file.negative {
        assert_eq!(
            run_negative(case, &set, &issuer),
            case.expected,
            "{}",
            case.name
        );
    }
}
