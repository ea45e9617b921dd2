//! The FFI layer seen from Rust: error mapping, fixed-length inputs, the vector rng, and that
//! what the bindings compute equals what the core computes. The foreign-language tests
//! (bindings/run-tests.sh) exercise the same exports through uniffi.

use blindpost::bls::BlsError;
use blindpost::certificate::{CertificateError, KeyId, PhoneNumberError};
use blindpost::verification_code::CodeError;
use blindpost::Time;
use blindpost::{DecodeError, DecodeErrorKind as CoreKind};
use blindpost_ffi::*;
use std::sync::Arc;

const NOW: u64 = 1_760_000_000;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn exported_objects_are_send_and_sync() {
    assert_send_sync::<BlsSecretKey>();
    assert_send_sync::<BlsPublicKey>();
    assert_send_sync::<PhoneNumber>();
    assert_send_sync::<IssuerKeySet>();
    assert_send_sync::<CertificateIssuer>();
    assert_send_sync::<CodeSecret>();
    assert_send_sync::<CodeConfig>();
    assert_send_sync::<CodePolicy>();
    assert_send_sync::<VectorRng>();
}

/// Every core error converts to its domain's variant and its own kind, and the message is the
/// core's `Display`.
#[test]
fn core_errors_map_variant_by_variant() {
    let decode = DecodeError::new(
        "certificate.phone",
        CoreKind::TooLong {
            length: 255,
            max: 16,
        },
    );
    let key_id = KeyId::from_bytes([1, 2, 3, 4, 5, 6, 7, 8]);
    let cases: Vec<(String, BlindpostError)> = vec![
        (decode.to_string(), decode.into()),
        (
            BlsError::IkmTooShort { length: 3 }.to_string(),
            BlsError::IkmTooShort { length: 3 }.into(),
        ),
        (
            BlsError::InvalidSignature.to_string(),
            BlsError::InvalidSignature.into(),
        ),
        (
            BlsError::InvalidProofOfPossession.to_string(),
            BlsError::InvalidProofOfPossession.into(),
        ),
        (
            PhoneNumberError::LeadingZero.to_string(),
            PhoneNumberError::LeadingZero.into(),
        ),
        (
            CertificateError::UnknownIssuer { key_id }.to_string(),
            CertificateError::UnknownIssuer { key_id }.into(),
        ),
        (
            CertificateError::BadSignature.to_string(),
            CertificateError::BadSignature.into(),
        ),
        (
            CertificateError::Expired {
                not_after: Time::from_unix_secs(5),
                now: Time::from_unix_secs(6),
            }
            .to_string(),
            CertificateError::Expired {
                not_after: Time::from_unix_secs(5),
                now: Time::from_unix_secs(6),
            }
            .into(),
        ),
        (
            CodeError::WrongCode.to_string(),
            CodeError::WrongCode.into(),
        ),
        (
            CodeError::WrongLength {
                expected: 6,
                found: 2,
            }
            .to_string(),
            CodeError::WrongLength {
                expected: 6,
                found: 2,
            }
            .into(),
        ),
    ];
    for (core_message, ffi) in &cases {
        assert_eq!(&ffi.to_string(), core_message);
    }
    assert!(matches!(
        &cases[0].1,
        BlindpostError::Malformed { field, kind: DecodeErrorKind::TooLong, .. } if field == "certificate.phone"
    ));
    assert!(matches!(
        cases[1].1,
        BlindpostError::Bls {
            kind: BlsErrorKind::IkmTooShort { length: 3 },
            ..
        }
    ));
    assert!(matches!(
        cases[2].1,
        BlindpostError::Bls {
            kind: BlsErrorKind::InvalidSignature,
            ..
        }
    ));
    assert!(matches!(
        cases[3].1,
        BlindpostError::Bls {
            kind: BlsErrorKind::InvalidProofOfPossession,
            ..
        }
    ));
    assert!(matches!(
        cases[4].1,
        BlindpostError::Certificate {
            kind: CertificateErrorKind::InvalidPhoneNumber,
            ..
        }
    ));
    assert!(
        matches!(&cases[5].1, BlindpostError::Certificate { kind: CertificateErrorKind::UnknownIssuer { key_id }, .. } if key_id == &[1, 2, 3, 4, 5, 6, 7, 8])
    );
    assert!(matches!(
        cases[6].1,
        BlindpostError::Certificate {
            kind: CertificateErrorKind::BadSignature,
            ..
        }
    ));
    assert!(matches!(
        cases[7].1,
        BlindpostError::Certificate {
            kind: CertificateErrorKind::Expired {
                not_after: 5,
                now: 6
            },
            ..
        }
    ));
    assert!(matches!(
        cases[8].1,
        BlindpostError::Code {
            kind: CodeErrorKind::WrongCode,
            ..
        }
    ));
    assert!(matches!(
        cases[9].1,
        BlindpostError::Code {
            kind: CodeErrorKind::WrongLength {
                expected: 6,
                found: 2
            },
            ..
        }
    ));
}

#[test]
fn fixed_length_inputs_report_truncated_or_trailing() {
    for (len, kind) in [
        (0, DecodeErrorKind::Truncated),
        (31, DecodeErrorKind::Truncated),
        (33, DecodeErrorKind::TrailingBytes),
    ] {
        match CodeSecret::from_bytes(vec![7; len]) {
            Err(BlindpostError::Malformed { field, kind: k, .. }) => {
                assert_eq!(field, "verification_code.secret");
                assert_eq!(k, kind, "length {len}");
            }
            Err(other) => panic!("length {len}: {other}"),
            Ok(_) => panic!("length {len} accepted"),
        }
    }
    let secret = CodeSecret::from_bytes(vec![7; 32]).unwrap();
    assert_eq!(secret.to_bytes(), vec![7; 32]);
}

#[test]
fn vector_rng_chunks_are_one_stream() {
    let whole = VectorRng::new(b"seed".to_vec()).next_bytes(100).unwrap();
    let rng = VectorRng::new(b"seed".to_vec());
    let mut parts = rng.next_bytes(33).unwrap();
    parts.extend(rng.next_bytes(0).unwrap());
    parts.extend(rng.next_bytes(67).unwrap());
    assert_eq!(parts, whole);
    let mut core = blindpost::vector_rng::VectorRng::new(b"seed");
    let mut expected = [0u8; 100];
    rand_core::Rng::fill_bytes(&mut core, &mut expected);
    assert_eq!(whole, expected);
    assert!(matches!(
        rng.next_bytes(MAX_VECTOR_RNG_REQUEST + 1),
        Err(BlindpostError::RequestTooLarge { requested, max, .. })
            if requested == u64::from(MAX_VECTOR_RNG_REQUEST) + 1 && max == u64::from(MAX_VECTOR_RNG_REQUEST)
    ));
    assert_eq!(
        rng.next_bytes(MAX_VECTOR_RNG_REQUEST).unwrap().len(),
        MAX_VECTOR_RNG_REQUEST as usize
    );
}

#[test]
fn generate_with_vector_rng_is_the_core_generate() {
    let ffi = BlsSecretKey::generate_with_vector_rng(&VectorRng::new(b"k".to_vec()));
    let core =
        blindpost::bls::SecretKey::generate(&mut blindpost::vector_rng::VectorRng::new(b"k"));
    assert_eq!(ffi.to_bytes(), core.to_bytes().to_vec());
}

#[test]
fn os_randomness_gives_distinct_working_keys() {
    let a = BlsSecretKey::generate().unwrap();
    let b = BlsSecretKey::generate().unwrap();
    assert_ne!(a.to_bytes(), b.to_bytes());
    a.public_key().pop_verify(a.pop_prove()).unwrap();
    assert!(matches!(
        a.public_key().pop_verify(b.pop_prove()),
        Err(BlindpostError::Bls {
            kind: BlsErrorKind::InvalidProofOfPossession,
            ..
        })
    ));
    let s1 = CodeSecret::generate().unwrap();
    let s2 = CodeSecret::generate().unwrap();
    assert_ne!(s1.to_bytes(), s2.to_bytes());
}

#[test]
fn issue_verify_and_key_set_round_trip() {
    let issuer_key = BlsSecretKey::key_gen(vec![9; 32], vec![]).unwrap();
    let issuer = CertificateIssuer::new(&issuer_key, NOW - 10, NOW + 1000).unwrap();
    let published = issuer.issuer_key();
    assert_eq!(published.key_id, issuer_key_id(&issuer_key.public_key()));
    let set = IssuerKeySet::from_keys(vec![published.clone()]).unwrap();
    assert_eq!(set.keys(), vec![published.clone()]);
    let again = IssuerKeySet::from_bytes(set.to_bytes()).unwrap();
    assert_eq!(*again, *set);
    assert_eq!(again.fingerprint().len(), 32);

    let phone = PhoneNumber::parse("+14155550100".into()).unwrap();
    let identity = BlsSecretKey::generate().unwrap().public_key();
    let bytes = issuer
        .issue(&phone, &identity, Some(vec![1, 2, 3]), 7, NOW, NOW + 100)
        .unwrap();
    let cert = set
        .verify(bytes.clone(), NOW + 1, Some(Arc::clone(&phone)))
        .unwrap();
    assert_eq!(cert, decode_certificate_unverified(bytes.clone()).unwrap());
    assert_eq!(cert.bytes, bytes);
    assert_eq!(cert.serial, 7);
    assert_eq!(cert.phone, phone.e164());
    assert_eq!(cert.identity_key, identity.to_bytes());
    assert_eq!(cert.host_key, Some(vec![1, 2, 3]));
    assert!(matches!(
        set.verify(bytes.clone(), NOW + 101, None),
        Err(BlindpostError::Certificate { kind: CertificateErrorKind::Expired { not_after, now }, .. })
            if not_after == NOW + 100 && now == NOW + 101
    ));

    let mut wrong_id = published;
    wrong_id.key_id = vec![0; 8];
    assert!(matches!(
        IssuerKeySet::from_keys(vec![wrong_id]),
        Err(BlindpostError::Malformed { field, kind: DecodeErrorKind::InvalidValue, .. }) if field == "issuer_key.key_id"
    ));
}
