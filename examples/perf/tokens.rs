//! Token figures (SPEC.md section 16): RFC 9578 type 0x0002 request, issue and verify at 2048
//! bits, each ratio measured in one interleaved call with its floor, the `rsa` crate's raw
//! operation on the same key (private: blinded and checked, `rsa_decrypt_and_check`; public:
//! `rsa_encrypt`).

use blindpost::Time;
use std::hint::black_box;

use blindpost::blind_rsa::SecretKey;
use blindpost::token::{self, Issuer, TokenChallenge, TokenClient, TokenKeyEntry, TokenKeySet};
use blindpost::vector_rng::VectorRng;
use rsa::pkcs8::DecodePrivateKey;
use rsa::BoxedUint;

use crate::harness::{interleaved, Op, Report};

const KEY_PEM: &str = include_str!("../../test-vectors/token_keys/rsa2048-a.pem");

/// Measures and prints this area's figures.
pub fn run(report: &mut Report) {
    let now = Time::from_unix_secs(1_750_000_000);
    let secret = SecretKey::from_pkcs8_pem(KEY_PEM).unwrap();
    let issuer = Issuer::new(vec![SecretKey::from_pkcs8_pem(KEY_PEM).unwrap()]).unwrap();
    let key = issuer.token_keys().next().unwrap().clone();
    let set = TokenKeySet::new(
        1,
        b"issuer.example",
        vec![TokenKeyEntry::new(key.clone(), Time::EPOCH, Time::MAX)],
    )
    .unwrap();
    let client = TokenClient::new(set.clone());
    let challenge = TokenChallenge::cold_call(b"issuer.example").unwrap();

    let mut rng = VectorRng::new(b"perf tokens");
    let (request, pending) = client.request(&mut rng, &challenge, &key, now).unwrap();
    let response = issuer.issue(&mut rng, &request).unwrap();
    let token = pending.finalize(&response).unwrap();
    token::verify(&token, &challenge, &set).unwrap();

    // The floors: the rsa crate's raw operations on the same key and the same input.
    let raw_key = rsa::PrivateKey::from_pkcs8_pem(KEY_PEM).unwrap();
    let raw_public = raw_key.to_public_key();
    let c = BoxedUint::from_be_slice(request.blinded_msg(), 2048).unwrap();
    let s = BoxedUint::from_be_slice(token.authenticator(), 2048).unwrap();
    assert_eq!(secret.public_key().modulus_bits(), 2048);

    let mut rng_floor = VectorRng::new(b"perf floor");
    let mut rng_issue = VectorRng::new(b"perf issue");
    let mut ops: Vec<Op<'_>> = vec![
        (
            "rsa2048.raw_private",
            Box::new(|| {
                black_box(
                    rsa::hazmat::rsa_decrypt_and_check(
                        &raw_key,
                        Some(&mut rng_floor),
                        black_box(&c),
                    )
                    .unwrap(),
                );
            }),
        ),
        (
            "token2048.issue",
            Box::new(|| {
                black_box(issuer.issue(&mut rng_issue, black_box(&request)).unwrap());
            }),
        ),
    ];
    let private = interleaved(&mut ops, 60, 3);
    drop(ops);
    report.figure("rsa2048.raw_private_us", private[0]);
    report.figure("token2048.issue_us", private[1]);
    report.figure("token2048.issue_ratio", private[1] / private[0]);

    let mut ops: Vec<Op<'_>> = vec![
        (
            "rsa2048.raw_public",
            Box::new(|| {
                black_box(rsa::hazmat::rsa_encrypt(&raw_public, black_box(&s)).unwrap());
            }),
        ),
        (
            "token2048.verify",
            Box::new(|| {
                token::verify(black_box(&token), &challenge, &set).unwrap();
            }),
        ),
    ];
    let public = interleaved(&mut ops, 100, 20);
    drop(ops);
    report.figure("rsa2048.raw_public_us", public[0]);
    report.figure("token2048.verify_us", public[1]);
    report.figure("token2048.verify_ratio", public[1] / public[0]);

    let mut rng_request = VectorRng::new(b"perf request");
    let mut ops: Vec<Op<'_>> = vec![(
        "token2048.request",
        Box::new(|| {
            black_box(
                client
                    .request(&mut rng_request, &challenge, &key, now)
                    .unwrap(),
            );
        }),
    )];
    let request_us = interleaved(&mut ops, 40, 5);
    report.figure("token2048.request_us", request_us[0]);
}
