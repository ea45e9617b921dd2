//! The X.509 check against chains made by a test CA: every refusal of SPEC.md 18.2, each with
//! an explicit time (no test depends on the wall clock), and the tier a good proof grants.

use blindpost::bulk::{BulkProof, BulkRefusal, BulkSenderCheck};
use blindpost::Time;
use blindpost_bulk_x509::test_ca::{DomainCertificate, TestCa};
use blindpost_bulk_x509::{ConfigError, X509BulkCheck};
use std::collections::BTreeMap;

const DAY: u64 = 24 * 3600;
const T0: Time = Time::from_unix_secs(1_800_000_000);
const KEY: [u8; 48] = [7; 48];
const DOMAIN: &str = "mail.example.com";

fn at(days: i64) -> Time {
    Time::from_unix_secs(T0.unix_secs().saturating_add_signed(days * DAY as i64))
}

fn ca(name: &str) -> TestCa {
    TestCa::new(name, at(-100), at(1000)).unwrap()
}

fn tiers() -> BTreeMap<String, u32> {
    BTreeMap::from([
        (DOMAIN.to_owned(), 500),
        ("other.example.com".to_owned(), 50),
    ])
}

/// A check trusting `ca` and a certificate for `domain` valid from day -10 to day 90.
fn setup(ca: &TestCa, domain: &str) -> (X509BulkCheck, DomainCertificate) {
    let check = X509BulkCheck::new(&[ca.anchor_der()], tiers()).unwrap();
    let cert = ca.issue(domain, at(-10), at(90)).unwrap();
    (check, cert)
}

#[test]
fn a_valid_chain_grants_the_domains_tier_until_the_certificate_expires() {
    let ca = ca("good");
    let (check, cert) = setup(&ca, DOMAIN);
    let tier = check.check(T0, &KEY, &cert.prove(&KEY).unwrap()).unwrap();
    assert_eq!(tier.allowance, 500);
    assert_eq!(tier.valid_until, at(90));
    // The same from PEM anchors, and the proof survives its own encoding.
    let from_pem = X509BulkCheck::from_pem(&ca.anchor_pem(), tiers()).unwrap();
    let bytes = cert.prove(&KEY).unwrap().to_bytes();
    let decoded = BulkProof::from_bytes(&bytes).unwrap();
    assert_eq!(from_pem.check(T0, &KEY, &decoded), Ok(tier));
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    let ca = ca("time");
    let (check, cert) = setup(&ca, DOMAIN);
    let proof = cert.prove(&KEY).unwrap();
    assert_eq!(check.check(at(91), &KEY, &proof), Err(BulkRefusal::Expired));
    assert_eq!(
        check.check(at(-11), &KEY, &proof),
        Err(BulkRefusal::Expired)
    );
    assert!(check.check(at(89), &KEY, &proof).is_ok());
}

#[test]
fn a_certificate_for_another_domain_is_refused() {
    let ca = ca("names");
    let (check, cert) = setup(&ca, "other.example.com");
    // A proof for mail.example.com with other.example.com's certificate.
    let proof = cert.prove_for(DOMAIN, &KEY).unwrap();
    assert_eq!(check.check(T0, &KEY, &proof), Err(BulkRefusal::WrongDomain));
}

#[test]
fn a_signature_by_another_key_or_for_another_account_is_refused() {
    let ca = ca("keys");
    let (check, cert) = setup(&ca, DOMAIN);
    let proof = cert.prove(&KEY).unwrap();
    // Signed for another identity key: not a proof for this account.
    assert_eq!(
        check.check(T0, &[8; 48], &proof),
        Err(BulkRefusal::BadSignature)
    );
    // Signed by the key of another certificate for the same domain.
    let other = ca.issue(DOMAIN, at(-10), at(90)).unwrap();
    let mut mixed = proof.clone();
    mixed.signature = other.prove(&KEY).unwrap().signature;
    assert_eq!(
        check.check(T0, &KEY, &mixed),
        Err(BulkRefusal::BadSignature)
    );
    let mut garbage = proof;
    garbage.signature = vec![0x30, 0x01, 0x00];
    assert_eq!(
        check.check(T0, &KEY, &garbage),
        Err(BulkRefusal::BadSignature)
    );
}

#[test]
fn chains_to_another_ca_or_without_their_intermediate_are_untrusted() {
    let trusted = ca("trusted");
    let stranger = ca("stranger");
    let (check, _) = setup(&trusted, DOMAIN);
    let foreign = stranger.issue(DOMAIN, at(-10), at(90)).unwrap();
    assert_eq!(
        check.check(T0, &KEY, &foreign.prove(&KEY).unwrap()),
        Err(BulkRefusal::Untrusted)
    );
    let cert = trusted.issue(DOMAIN, at(-10), at(90)).unwrap();
    let mut alone = cert.prove(&KEY).unwrap();
    alone.chain.truncate(1);
    assert_eq!(check.check(T0, &KEY, &alone), Err(BulkRefusal::Untrusted));
    // Bytes that are no certificate: refused, never a panic.
    let mut garbage = cert.prove(&KEY).unwrap();
    garbage.chain[0] = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    assert_eq!(check.check(T0, &KEY, &garbage), Err(BulkRefusal::Untrusted));
    // The root itself is no end-entity certificate.
    let mut root = cert.prove(&KEY).unwrap();
    root.chain = vec![trusted.anchor_der()];
    assert_eq!(check.check(T0, &KEY, &root), Err(BulkRefusal::Untrusted));
}

#[test]
fn the_operator_revokes_and_restores_a_tier_and_grants_only_configured_domains() {
    let ca = ca("operator");
    let (check, cert) = setup(&ca, DOMAIN);
    let proof = cert.prove(&KEY).unwrap();
    assert!(check.revoke(DOMAIN));
    assert!(!check.revoke(DOMAIN));
    assert_eq!(check.check(T0, &KEY, &proof), Err(BulkRefusal::Revoked));
    assert!(check.unrevoke(DOMAIN));
    assert!(check.check(T0, &KEY, &proof).is_ok());
    let unknown = ca.issue("shop.example.com", at(-10), at(90)).unwrap();
    assert_eq!(
        check.check(T0, &KEY, &unknown.prove(&KEY).unwrap()),
        Err(BulkRefusal::NoTier)
    );
}

#[test]
fn an_unsupported_scheme_is_refused() {
    let ca = ca("schemes");
    let (check, cert) = setup(&ca, DOMAIN);
    let mut proof = cert.prove(&KEY).unwrap();
    proof.scheme = 0x0201; // rsa_pkcs1_sha1
    assert_eq!(
        check.check(T0, &KEY, &proof),
        Err(BulkRefusal::UnsupportedScheme)
    );
    // A known scheme that does not fit the key (Ed25519 for a P-256 key).
    proof.scheme = 0x0807;
    assert_eq!(
        check.check(T0, &KEY, &proof),
        Err(BulkRefusal::UnsupportedScheme)
    );
}

#[test]
fn bad_configurations_are_refused() {
    assert_eq!(
        X509BulkCheck::new(&[], tiers()).unwrap_err(),
        ConfigError::NoAnchors
    );
    assert_eq!(
        X509BulkCheck::new(&[vec![1, 2, 3]], tiers()).unwrap_err(),
        ConfigError::BadAnchor(0)
    );
    let anchor = ca("config").anchor_der();
    let upper = BTreeMap::from([("Mail.example.com".to_owned(), 5)]);
    assert!(matches!(
        X509BulkCheck::new(std::slice::from_ref(&anchor), upper),
        Err(ConfigError::BadDomain(_))
    ));
    let empty = BTreeMap::from([(DOMAIN.to_owned(), 0)]);
    assert!(matches!(
        X509BulkCheck::new(&[anchor], empty),
        Err(ConfigError::EmptyTier(_))
    ));
}
