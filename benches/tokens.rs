//! Token benches (SPEC.md section 16), each group with its floor: the `rsa` crate's raw private
//! operation, blinded and checked (`rsa_decrypt_and_check`), and its raw public operation
//! (`rsa_encrypt`), on the same key.
//!
//! - `token2048`: RFC 9578 type 0x0002 request, issue, finalize and verify through the token API.
//! - `rsabssa3072-token-ops`, `rsabssa4096-token-ops`: token type 0x0002 is 2048-bit only, so at
//!   3072 and 4096 bits these are the RSABSSA-SHA384-PSS-Deterministic operations a token of
//!   that size would run (blind, blind_sign, finalize, verify over a 98-byte token input).

use blindpost::Time;
use std::hint::black_box;
use std::time::Duration;

use blindpost::blind_rsa::{self, SecretKey, Variant};
use blindpost::token::{self, Issuer, TokenChallenge, TokenClient, TokenKeyEntry, TokenKeySet};
use blindpost::vector_rng::VectorRng;
use criterion::{criterion_group, criterion_main, Criterion};
use rsa::pkcs8::DecodePrivateKey;
use rsa::BoxedUint;

fn key_pem(name: &str) -> String {
    let path = format!(
        "{}/test-vectors/token_keys/{name}.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

/// The floors on the `rsa` crate's own key, input `c` and signature `s`.
fn floors(c: &mut Criterion, group: &str, pem: &str, blinded: &[u8], sig: &[u8]) {
    let raw = rsa::PrivateKey::from_pkcs8_pem(pem).unwrap();
    let public = raw.to_public_key();
    let bits = (blinded.len() * 8) as u32;
    let m = BoxedUint::from_be_slice(blinded, bits).unwrap();
    let s = BoxedUint::from_be_slice(sig, bits).unwrap();
    let mut g = c.benchmark_group(group);
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    let mut rng = VectorRng::new(b"bench floor");
    g.bench_function("floor_raw_private_blinded_checked", |b| {
        b.iter(|| rsa::hazmat::rsa_decrypt_and_check(&raw, Some(&mut rng), black_box(&m)).unwrap())
    });
    g.bench_function("floor_raw_public", |b| {
        b.iter(|| rsa::hazmat::rsa_encrypt(&public, black_box(&s)).unwrap())
    });
    g.finish();
}

fn token2048(c: &mut Criterion) {
    let pem = key_pem("rsa2048-a");
    let now = Time::from_unix_secs(1_750_000_000);
    let issuer = Issuer::new(vec![SecretKey::from_pkcs8_pem(&pem).unwrap()]).unwrap();
    let key = issuer.token_keys().next().unwrap().clone();
    let set = TokenKeySet::new(
        1,
        b"issuer.example",
        vec![TokenKeyEntry::new(key.clone(), Time::EPOCH, Time::MAX)],
    )
    .unwrap();
    let client = TokenClient::new(set.clone());
    let challenge = TokenChallenge::cold_call(b"issuer.example").unwrap();
    let mut rng = VectorRng::new(b"bench token2048");
    let (request, pending) = client.request(&mut rng, &challenge, &key, now).unwrap();
    let response = issuer.issue(&mut rng, &request).unwrap();
    let token = pending.finalize(&response).unwrap();

    let mut g = c.benchmark_group("token2048");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function("request", |b| {
        b.iter(|| {
            client
                .request(&mut rng, black_box(&challenge), &key, now)
                .unwrap()
        })
    });
    g.bench_function("issue", |b| {
        b.iter(|| issuer.issue(&mut rng, black_box(&request)).unwrap())
    });
    g.bench_function("finalize", |b| {
        b.iter(|| pending.finalize(black_box(&response)).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| token::verify(black_box(&token), &challenge, &set).unwrap())
    });
    g.finish();
    floors(
        c,
        "token2048",
        &pem,
        request.blinded_msg(),
        token.authenticator(),
    );
}

fn rsabssa_token_ops(c: &mut Criterion, bits: u32) {
    let pem = key_pem(&format!("rsa{bits}"));
    let sk = SecretKey::from_pkcs8_pem(&pem).unwrap();
    let pk = sk.public_key();
    let variant = Variant::Sha384PssDeterministic;
    // The shape of a token input: type, nonce, challenge digest, key id.
    let input = [0x5au8; 98];
    let mut rng = VectorRng::new(b"bench rsabssa");
    let (blinded, inv) = blind_rsa::blind(pk, variant, &mut rng, &input).unwrap();
    let blind_sig = sk.blind_sign(&mut rng, &blinded).unwrap();
    let sig = blind_rsa::finalize(pk, variant, &input, &blind_sig, &inv).unwrap();

    let group = format!("rsabssa{bits}-token-ops");
    let mut g = c.benchmark_group(&group);
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function("request_blind", |b| {
        b.iter(|| blind_rsa::blind(pk, variant, &mut rng, black_box(&input)).unwrap())
    });
    g.bench_function("issue_blind_sign", |b| {
        b.iter(|| sk.blind_sign(&mut rng, black_box(&blinded)).unwrap())
    });
    g.bench_function("finalize", |b| {
        b.iter(|| blind_rsa::finalize(pk, variant, &input, black_box(&blind_sig), &inv).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| pk.verify(variant, &input, black_box(&sig)).unwrap())
    });
    g.finish();
    floors(c, &group, &pem, &blinded, &sig);
}

fn benches(c: &mut Criterion) {
    token2048(c);
    rsabssa_token_ops(c, 3072);
    rsabssa_token_ops(c, 4096);
}

criterion_group!(tokens, benches);
criterion_main!(tokens);
