//! Figures for BLS signatures, certificates and verification codes (SPEC.md section 16).
//!
//! `bls.verify_ratio` and `cert.verify_ratio` divide by the floor measured in the same
//! interleaved run: one 2-term multi-Miller loop with both G2 points prepared in advance plus
//! one final exponentiation (`bls.floor_mml2_fe_us`). BLS verification cannot prepare its G2
//! points in advance (the hash of the message and the signature change every call), and it
//! hashes to G2 first; `bls.hash_to_g2_us` shows that part.

use crate::harness::{interleaved, Op, Report};
use blindpost::bls::SecretKey;
use blindpost::certificate::{
    Certificate, CertificateContent, CertificateIssuer, IssuerKeySet, PhoneNumber,
};
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::{CodeConfig, CodeSecret, CodeSession};
use blindpost::Time;
use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
use bls12_381::{multi_miller_loop, G1Affine, G2Affine, G2Prepared, G2Projective};
use group::Group;
use std::hint::black_box;

/// Certificates per `verify_many` call in the batch figure.
const BATCH: usize = 16;

/// Measures and prints this area's figures.
pub fn run(report: &mut Report) {
    let mut rng = VectorRng::new(b"perf certs");
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key();
    let msg = [0x42u8; 64];
    let sig = sk.sign(&msg);

    // The floor: e(P, Q) * e(-g1, S) == 1 with Q and S prepared outside the timing.
    let p = G1Affine::from(G1Affine::generator() * blindpost_scalar(&sk));
    let neg_g1 = -G1Affine::generator();
    let q = G2Affine::from(G2Projective::generator() * bls12_381::Scalar::from(7u64));
    let s = G2Affine::from(G2Projective::generator() * bls12_381::Scalar::from(11u64));
    let (qp, sp) = (G2Prepared::from(q), G2Prepared::from(s));

    let mut ops: Vec<Op> = vec![
        (
            "bls.sign_us",
            Box::new(|| _ = black_box(sk.sign(black_box(&msg)))),
        ),
        (
            "bls.verify_us",
            Box::new(|| assert!(black_box(&pk).verify(black_box(&msg), &sig).is_ok())),
        ),
        (
            "bls.floor_mml2_fe_us",
            Box::new(|| {
                let r = multi_miller_loop(&[(black_box(&p), &qp), (&neg_g1, &sp)])
                    .final_exponentiation();
                black_box(bool::from(r.is_identity()));
            }),
        ),
        (
            "bls.hash_to_g2_us",
            Box::new(|| {
                black_box(
                    <G2Projective as HashToCurve<ExpandMsgXmd<sha2::Sha256>>>::hash_to_curve(
                        [black_box(&msg[..])],
                        blindpost::bls::CIPHERSUITE_SIG,
                    ),
                );
            }),
        ),
    ];
    let t = interleaved(&mut ops, 25, 4);
    drop(ops);
    for (name, value) in [
        "bls.sign_us",
        "bls.verify_us",
        "bls.floor_mml2_fe_us",
        "bls.hash_to_g2_us",
    ]
    .iter()
    .zip(&t)
    {
        report.figure(name, *value);
    }
    report.figure(
        "bls.verify_ratio",
        report.get("bls.verify_us") / report.get("bls.floor_mml2_fe_us"),
    );

    let issuer =
        CertificateIssuer::new(SecretKey::generate(&mut rng), Time::EPOCH, Time::MAX).unwrap();
    let set = IssuerKeySet::new(vec![*issuer.issuer_key()]).unwrap();
    let phone = PhoneNumber::parse("+14155550100").unwrap();
    let content = CertificateContent {
        phone: phone.clone(),
        identity_key: pk,
        host_key: None,
        serial: 1,
        not_before: Time::from_unix_secs(1_700_000_000),
        not_after: Time::from_unix_secs(1_800_000_000),
    };
    let cert = issuer.issue(content.clone()).unwrap().to_bytes();
    let batch: Vec<Certificate> = (0..BATCH)
        .map(|serial| {
            let mut c = content.clone();
            c.serial = serial as u64;
            issuer.issue(c).unwrap()
        })
        .collect();
    let items: Vec<(&Certificate, Option<&PhoneNumber>)> =
        batch.iter().map(|c| (c, Some(&phone))).collect();
    let mut batch_rng = VectorRng::new(b"perf batch weights");
    let mut ops: Vec<Op> = vec![
        (
            "cert.issue_us",
            Box::new(|| _ = black_box(issuer.issue(black_box(content.clone())).unwrap())),
        ),
        (
            "cert.verify_us",
            Box::new(|| {
                black_box(
                    set.verify(
                        black_box(&cert),
                        Time::from_unix_secs(1_750_000_000),
                        Some(&phone),
                    )
                    .unwrap(),
                );
            }),
        ),
        (
            "cert.verify_many16",
            Box::new(|| {
                let r = set.verify_many(
                    &mut batch_rng,
                    black_box(&items),
                    Time::from_unix_secs(1_750_000_000),
                );
                assert!(r.iter().all(Result::is_ok));
            }),
        ),
        (
            "floor",
            Box::new(|| {
                let r = multi_miller_loop(&[(black_box(&p), &qp), (&neg_g1, &sp)])
                    .final_exponentiation();
                black_box(bool::from(r.is_identity()));
            }),
        ),
    ];
    let t = interleaved(&mut ops, 25, 4);
    drop(ops);
    report.figure("cert.issue_us", t[0]);
    report.figure("cert.verify_us", t[1]);
    report.figure("cert.verify_ratio", t[1] / t[3]);
    report.figure("cert.verify_many16_per_cert_us", t[2] / BATCH as f64);
    report.figure(
        "cert.verify_many16_per_cert_ratio",
        t[2] / BATCH as f64 / t[3],
    );

    let secret = CodeSecret::generate(&mut rng);
    let config = CodeConfig::default();
    let session = CodeSession::from_bytes([7; 32]);
    let mut window = 2_933_334u64;
    let mut ops: Vec<Op> = vec![(
        "code.derive_us",
        Box::new(|| {
            window = window.wrapping_add(1);
            black_box(config.derive(&secret, black_box(&phone), window, &session));
        }),
    )];
    let t = interleaved(&mut ops, 25, 2000);
    report.figure("code.derive_us", t[0]);
}

/// The secret scalar of `sk`, for building the floor's G1 point (its value does not matter to
/// the timing; any non-identity point would do).
fn blindpost_scalar(sk: &SecretKey) -> bls12_381::Scalar {
    let mut le = *sk.to_bytes();
    le.reverse();
    bls12_381::Scalar::from_bytes(&le).unwrap()
}
