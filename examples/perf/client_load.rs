//! `client.load1000_*`: restoring a client with 1,000 contacts (`Client::from_bytes`), timed
//! interleaved with the pairing floor (a 2-term multi-Miller loop and a final exponentiation, as
//! `floor.mml2_fe_us`). Each contact holds what a long-used client keeps: a certificate, the
//! member key we issued it, our member key of its group and that group's key
//! (`Client::add_synthetic_contacts`, feature `test-util`). The blob stores contacts' points
//! uncompressed and restoring checks them on the curve only; the subgroup checks wait for each
//! contact's first use (SPEC.md 13.1), so they are not in this figure (issue 17: ratio <= 25).

use crate::harness::{interleaved, Op, Report};
use blindpost::blind_rsa;
use blindpost::bls::SecretKey;
use blindpost::certificate::{CertificateIssuer, IssuerKeySet};
use blindpost::client::{Client, ClientSettings};
use blindpost::token::{TokenKey, TokenKeyEntry, TokenKeySet};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::ServerKeys;
use bls12_381::{multi_miller_loop, G1Affine, G2Affine, G2Prepared, Scalar};
use std::hint::black_box;

const NOW: blindpost::Time = blindpost::Time::from_unix_secs(1_800_000_000);
const CONTACTS: usize = 1000;
const REPS: usize = 21;

/// Measures and prints this area's figures.
pub fn run(report: &mut Report) {
    let mut rng = VectorRng::new(b"perf client load");
    let issuer = CertificateIssuer::new(SecretKey::generate(&mut rng), NOW, NOW + 2 * 86_400)
        .expect("issuer");
    let pem = include_str!("../../test-vectors/token_keys/rsa2048-a.pem");
    let rsa = blind_rsa::SecretKey::from_pkcs8_pem(pem).expect("token key");
    let token_key = TokenKey::from_public_key(rsa.public_key()).expect("token key");
    let token_keys = TokenKeySet::new(
        1,
        b"perf.example",
        vec![TokenKeyEntry::new(token_key, NOW, NOW + 86_400)],
    )
    .expect("token key set");
    let keys = ServerKeys {
        certificate_issuers: IssuerKeySet::new(vec![*issuer.issuer_key()]).expect("issuers"),
        cold_call_tokens: token_keys.clone(),
        discovery_tokens: token_keys.clone(),
        stamp_tokens: token_keys,
    };
    let mut client = Client::new(&mut rng, keys, ClientSettings::default());
    client
        .add_synthetic_contacts(&mut rng, &issuer, NOW, CONTACTS)
        .expect("contacts");
    let blob = client.to_bytes().expect("blob");

    let p1 = G1Affine::from(G1Affine::generator() * Scalar::from(5u64));
    let p2 = G1Affine::from(G1Affine::generator() * Scalar::from(7u64));
    let q1 = G2Prepared::from(G2Affine::generator());
    let q2 = G2Prepared::from(G2Affine::from(G2Affine::generator() * Scalar::from(3u64)));
    let medians = {
        let mut ops: Vec<Op<'_>> = vec![
            (
                "floor",
                Box::new(|| {
                    black_box(multi_miller_loop(&[(&p1, &q1), (&p2, &q2)]).final_exponentiation());
                }),
            ),
            (
                "load1000",
                Box::new(|| {
                    let restored = Client::from_bytes(black_box(&blob), ClientSettings::default())
                        .expect("restore");
                    black_box(restored);
                }),
            ),
        ];
        interleaved(&mut ops, REPS, 1)
    };
    report.figure("client.load1000_floor_us", medians[0]);
    report.figure("client.load1000_us", medians[1]);
    // Issue 17: <= 25 floors.
    report.figure("client.load1000_ratio", medians[1] / medians[0]);
}
