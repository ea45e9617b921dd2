//! Criterion benches for BLS signatures, certificates and verification codes.

use blindpost::bls::SecretKey;
use blindpost::certificate::{
    Certificate, CertificateContent, CertificateIssuer, IssuerKeySet, PhoneNumber,
};
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::{CodeConfig, CodeSecret, CodeSession};
use blindpost::Time;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// The curve backend the library was built with (SPEC.md 2.6): BLS and certificate groups are
/// named after it, `bls/bls12_381` or, with `--features blst`, `bls/blst`.
const BACKEND: &str = if cfg!(feature = "blst") {
    "blst"
} else {
    "bls12_381"
};

fn bls(c: &mut Criterion) {
    let mut rng = VectorRng::new(b"bench bls");
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key();
    let msg = [7u8; 64];
    let sig = sk.sign(&msg);
    let pop = sk.pop_prove();
    let mut g = c.benchmark_group(format!("bls/{BACKEND}"));
    g.bench_function("key_gen", |b| {
        b.iter(|| SecretKey::key_gen(black_box(&[9u8; 32]), b"").unwrap())
    });
    g.bench_function("sk_to_pk", |b| b.iter(|| black_box(&sk).public_key()));
    g.bench_function("sign", |b| b.iter(|| sk.sign(black_box(&msg))));
    g.bench_function("verify", |b| {
        b.iter(|| pk.verify(black_box(&msg), black_box(&sig)).unwrap())
    });
    g.bench_function("pop_verify", |b| {
        b.iter(|| pk.pop_verify(black_box(&pop)).unwrap())
    });
    g.finish();
}

fn certificates(c: &mut Criterion) {
    let mut rng = VectorRng::new(b"bench certificates");
    let issuer =
        CertificateIssuer::new(SecretKey::generate(&mut rng), Time::EPOCH, Time::MAX).unwrap();
    let set = IssuerKeySet::new(vec![*issuer.issuer_key()]).unwrap();
    let phone = PhoneNumber::parse("+14155550100").unwrap();
    let content = CertificateContent {
        phone: phone.clone(),
        identity_key: SecretKey::generate(&mut rng).public_key(),
        host_key: None,
        serial: 1,
        not_before: Time::from_unix_secs(1_700_000_000),
        not_after: Time::from_unix_secs(1_800_000_000),
    };
    let cert = issuer.issue(content.clone()).unwrap().to_bytes();
    let mut g = c.benchmark_group(format!("certificate/{BACKEND}"));
    g.bench_function("issue", |b| {
        b.iter(|| issuer.issue(black_box(content.clone())).unwrap())
    });
    g.bench_function("decode", |b| {
        b.iter(|| Certificate::from_bytes(black_box(&cert)).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            set.verify(
                black_box(&cert),
                Time::from_unix_secs(1_750_000_000),
                Some(&phone),
            )
            .unwrap()
        })
    });
    let batch: Vec<Certificate> = (0..16)
        .map(|serial| {
            let mut c = content.clone();
            c.serial = serial;
            issuer.issue(c).unwrap()
        })
        .collect();
    let items: Vec<(&Certificate, Option<&PhoneNumber>)> =
        batch.iter().map(|c| (c, Some(&phone))).collect();
    let mut weights = VectorRng::new(b"bench batch weights");
    g.bench_function("verify_many_16", |b| {
        b.iter(|| {
            set.verify_many(
                &mut weights,
                black_box(&items),
                Time::from_unix_secs(1_750_000_000),
            )
        })
    });
    g.finish();
}

fn codes(c: &mut Criterion) {
    let secret = CodeSecret::generate(&mut VectorRng::new(b"bench codes"));
    let config = CodeConfig::default();
    let phone = PhoneNumber::parse("+14155550100").unwrap();
    let session = CodeSession::from_bytes([7; 32]);
    let window = config.window(Time::from_unix_secs(1_750_000_000));
    let code = config.derive(&secret, &phone, window, &session);
    let mut g = c.benchmark_group("verification_code");
    g.bench_function("derive", |b| {
        b.iter(|| config.derive(&secret, black_box(&phone), black_box(2_916_666), &session))
    });
    g.bench_function("check", |b| {
        b.iter(|| {
            config
                .check(
                    &secret,
                    &phone,
                    &session,
                    window,
                    black_box(code.as_str()),
                    Time::from_unix_secs(1_750_000_000),
                )
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bls, certificates, codes);
criterion_main!(benches);
