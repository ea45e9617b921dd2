//! Property tests for certificates and issuer key sets: encodings round-trip, issued
//! certificates verify, and any single-bit flip of a certificate is rejected.

use blindpost::bls::SecretKey;
use blindpost::certificate::{
    Certificate, CertificateContent, CertificateError, CertificateIssuer, HostKey, IssuerKey,
    IssuerKeySet, PhoneNumber,
};
use blindpost::vector_rng::VectorRng;
use blindpost::Time;
use proptest::prelude::*;
use std::sync::OnceLock;

const KEY_NOT_BEFORE: Time = Time::from_unix_secs(1_000_000);
const KEY_NOT_AFTER: Time = Time::from_unix_secs(u64::MAX - 1);

/// A time given as seconds since the epoch.
fn t(secs: u64) -> Time {
    Time::from_unix_secs(secs)
}

struct Fixture {
    issuer: CertificateIssuer,
    set: IssuerKeySet,
    identity: SecretKey,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = VectorRng::new(b"certificate props");
        let issuer =
            CertificateIssuer::new(SecretKey::generate(&mut rng), KEY_NOT_BEFORE, KEY_NOT_AFTER)
                .unwrap();
        let other = IssuerKey::new(
            SecretKey::generate(&mut rng).public_key(),
            KEY_NOT_BEFORE,
            KEY_NOT_AFTER,
        )
        .unwrap();
        let set = IssuerKeySet::new(vec![other, *issuer.issuer_key()]).unwrap();
        let identity = SecretKey::generate(&mut rng);
        Fixture {
            issuer,
            set,
            identity,
        }
    })
}

fn phone() -> impl Strategy<Value = PhoneNumber> {
    ("[1-9][0-9]{0,14}").prop_map(|d| PhoneNumber::parse(&format!("+{d}")).unwrap())
}

fn content() -> impl Strategy<Value = CertificateContent> {
    (
        phone(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 1..=64)),
        any::<u64>(),
        KEY_NOT_BEFORE.unix_secs()..KEY_NOT_AFTER.unix_secs() / 2,
        0..KEY_NOT_AFTER.unix_secs() / 2,
    )
        .prop_map(
            |(phone, host, serial, not_before, span)| CertificateContent {
                phone,
                identity_key: fixture().identity.public_key(),
                host_key: host.map(|h| HostKey::new(&h).unwrap()),
                serial,
                not_before: Time::from_unix_secs(not_before),
                not_after: Time::from_unix_secs(not_before + span),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn issued_certificates_round_trip_and_verify(c in content()) {
        let f = fixture();
        let cert = f.issuer.issue(c.clone()).unwrap();
        let bytes = cert.to_bytes();
        let decoded = Certificate::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&decoded, &cert);
        prop_assert_eq!(decoded.content(), &c);
        prop_assert_eq!(decoded.to_bytes(), bytes.clone());
        let verified = f.set.verify(&bytes, c.not_before, Some(&c.phone)).unwrap();
        prop_assert_eq!(verified, cert);
    }

    #[test]
    fn any_single_bit_flip_is_rejected(c in content(), bit in any::<prop::sample::Index>()) {
        let f = fixture();
        let mut bytes = f.issuer.issue(c.clone()).unwrap().to_bytes();
        let i = bit.index(bytes.len() * 8);
        bytes[i / 8] ^= 1 << (i % 8);
        let r = f.set.verify(&bytes, c.not_before, None);
        prop_assert!(r.is_err(), "flipped bit {} accepted", i);
        // Whatever the error, it comes from decoding or verification (the signature covers
        // every field), never from the issuer's rules.
        let issuance_error = matches!(
            r,
            Err(CertificateError::InvalidValidity { .. } | CertificateError::EmptyHostKey)
        );
        prop_assert!(!issuance_error);
    }

    #[test]
    fn truncations_are_malformed(c in content(), cut in any::<prop::sample::Index>()) {
        let f = fixture();
        let bytes = f.issuer.issue(c).unwrap().to_bytes();
        let n = cut.index(bytes.len());
        prop_assert!(matches!(
            Certificate::from_bytes(&bytes[..n]),
            Err(CertificateError::Malformed(_))
        ));
    }

    #[test]
    fn key_sets_round_trip(n in 1usize..=16, nb in any::<u32>(), span in any::<u32>()) {
        let mut rng = VectorRng::new(&n.to_be_bytes());
        let keys: Vec<IssuerKey> = (0..n)
            .map(|_| {
                IssuerKey::new(
                    SecretKey::generate(&mut rng).public_key(),
                    Time::from_unix_secs(u64::from(nb)),
                    Time::from_unix_secs(u64::from(nb) + u64::from(span)),
                )
                .unwrap()
            })
            .collect();
        let set = IssuerKeySet::new(keys.clone()).unwrap();
        let bytes = set.to_bytes();
        prop_assert_eq!(bytes.len(), 2 + 64 * n);
        let decoded = IssuerKeySet::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&decoded, &set);
        prop_assert_eq!(decoded.fingerprint(), set.fingerprint());
        for k in &keys {
            prop_assert_eq!(decoded.get(&k.id()), Some(k));
        }
        // Order of construction does not matter.
        let mut reversed = keys;
        reversed.reverse();
        prop_assert_eq!(IssuerKeySet::new(reversed).unwrap().to_bytes(), bytes);
    }

    #[test]
    fn phone_numbers_parse_exactly_e164(s in "\\+?[0-9 a-]{0,18}") {
        let b = s.as_bytes();
        let ok = b.len() >= 2
            && b.len() <= 16
            && b[0] == b'+'
            && b[1] != b'0'
            && b[1..].iter().all(u8::is_ascii_digit);
        prop_assert_eq!(PhoneNumber::parse(&s).is_ok(), ok);
    }
}

#[test]
fn issuer_refuses_bad_validity_and_key_set_rules() {
    let f = fixture();
    let base = CertificateContent {
        phone: PhoneNumber::parse("+15550001").unwrap(),
        identity_key: f.identity.public_key(),
        host_key: None,
        serial: 7,
        not_before: KEY_NOT_BEFORE,
        not_after: KEY_NOT_BEFORE + 10,
    };
    let mut reversed = base.clone();
    reversed.not_after = reversed.not_before - 1;
    assert_eq!(
        f.issuer.issue(reversed),
        Err(CertificateError::InvalidValidity {
            not_before: KEY_NOT_BEFORE,
            not_after: KEY_NOT_BEFORE - 1
        })
    );
    let mut early = base.clone();
    early.not_before = KEY_NOT_BEFORE - 1;
    assert_eq!(
        f.issuer.issue(early),
        Err(CertificateError::ValidityOutsideIssuerKey)
    );
    let mut late = base.clone();
    late.not_after = Time::MAX;
    assert_eq!(
        f.issuer.issue(late),
        Err(CertificateError::ValidityOutsideIssuerKey)
    );
    assert_eq!(HostKey::new(&[]), Err(CertificateError::EmptyHostKey));
    assert_eq!(
        HostKey::new(&[0; 65]),
        Err(CertificateError::HostKeyTooLong { length: 65 })
    );
    assert_eq!(
        IssuerKeySet::new(vec![]),
        Err(CertificateError::EmptyKeySet)
    );
    let k = *f.issuer.issuer_key();
    assert_eq!(
        IssuerKeySet::new(vec![k, k]),
        Err(CertificateError::DuplicateIssuerKey { key_id: k.id() })
    );
    assert_eq!(
        IssuerKeySet::new(vec![k; 17]),
        Err(CertificateError::TooManyIssuerKeys { count: 17 })
    );
}

#[test]
fn issuer_key_validity_bounds_verification() {
    // A key valid for [100, 200] and a certificate claiming [50, 300] (issued by a signer
    // that had a wider validity for the same key): the narrower interval wins.
    let mut rng = VectorRng::new(b"key validity");
    let sk_bytes = SecretKey::generate(&mut rng).to_bytes();
    let wide =
        CertificateIssuer::new(SecretKey::from_bytes(&*sk_bytes).unwrap(), t(0), t(1000)).unwrap();
    let narrow = IssuerKey::new(wide.issuer_key().public_key().to_owned(), t(100), t(200)).unwrap();
    let set = IssuerKeySet::new(vec![narrow]).unwrap();
    let cert = wide
        .issue(CertificateContent {
            phone: PhoneNumber::parse("+15550002").unwrap(),
            identity_key: SecretKey::generate(&mut rng).public_key(),
            host_key: None,
            serial: 1,
            not_before: t(50),
            not_after: t(300),
        })
        .unwrap();
    let bytes = cert.to_bytes();
    assert_eq!(
        set.verify(&bytes, t(99), None),
        Err(CertificateError::NotYetValid {
            not_before: t(100),
            now: t(99)
        })
    );
    assert!(set.verify(&bytes, t(100), None).is_ok());
    assert!(set.verify(&bytes, t(200), None).is_ok());
    assert_eq!(
        set.verify(&bytes, t(201), None),
        Err(CertificateError::Expired {
            not_after: t(200),
            now: t(201)
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// `verify_many` gives exactly the per-certificate results of `verify_certificate`, for
    /// batches mixing valid certificates from two keys with every kind of failure.
    #[test]
    fn verify_many_agrees_with_verify_certificate(
        kinds in proptest::collection::vec(0u8..6, 0..12),
        seed in any::<u64>(),
    ) {
        let mut rng = VectorRng::new(&seed.to_be_bytes());
        let a = CertificateIssuer::new(SecretKey::generate(&mut rng), t(0), t(1000)).unwrap();
        let b = CertificateIssuer::new(SecretKey::generate(&mut rng), t(0), t(1000)).unwrap();
        let rogue = CertificateIssuer::new(SecretKey::generate(&mut rng), t(0), t(1000)).unwrap();
        let set = IssuerKeySet::new(vec![*a.issuer_key(), *b.issuer_key()]).unwrap();
        let phone = PhoneNumber::parse("+15550003").unwrap();
        let other_phone = PhoneNumber::parse("+15550004").unwrap();
        let content = |serial: u64, not_after: u64| CertificateContent {
            phone: phone.clone(),
            identity_key: fixture().identity.public_key(),
            host_key: None,
            serial,
            not_before: t(10),
            not_after: t(not_after),
        };
        let certs: Vec<(Certificate, Option<&PhoneNumber>)> = kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let i = i as u64;
                match kind {
                    0 => (a.issue(content(i, 500)).unwrap(), Some(&phone)),
                    1 => (b.issue(content(i, 500)).unwrap(), None),
                    2 => (rogue.issue(content(i, 500)).unwrap(), None),
                    3 => (a.issue(content(i, 50)).unwrap(), None), // expired at 100
                    4 => (b.issue(content(i, 500)).unwrap(), Some(&other_phone)),
                    _ => {
                        // A's signature over another serial: bad signature.
                        let good = a.issue(content(i, 500)).unwrap().to_bytes();
                        let forged = a.issue(content(i + 1000, 500)).unwrap().to_bytes();
                        let mut bytes = forged[..forged.len() - 96].to_vec();
                        bytes.extend_from_slice(&good[good.len() - 96..]);
                        (Certificate::from_bytes(&bytes).unwrap(), None)
                    }
                }
            })
            .collect();
        let items: Vec<(&Certificate, Option<&PhoneNumber>)> =
            certs.iter().map(|(c, p)| (c, *p)).collect();
        let many = set.verify_many(&mut rng, &items, t(100));
        let one_by_one: Vec<Result<(), CertificateError>> = items
            .iter()
            .map(|(c, p)| set.verify_certificate(c, t(100), *p))
            .collect();
        prop_assert_eq!(many, one_by_one);
    }
}
