//! Blind RSA keys, encodings and failure cases (SPEC.md section 5), and property tests of the
//! protocol on the fixed 2048-bit test key.

use crate::token_support::{read_vectors, test_key_pem, unhex};
use blindpost::blind_rsa::{self, BlindingInverse, Error, PublicKey, SecretKey, Variant};
use blindpost::vector_rng::VectorRng;
use proptest::prelude::*;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use std::sync::OnceLock;

fn key_2048() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-a")).unwrap())
}

#[test]
fn fixed_keys_have_their_sizes_and_round_trip_pkcs8() {
    for (name, bits) in [
        ("rsa2048-a", 2048),
        ("rsa2048-b", 2048),
        ("rsa3072", 3072),
        ("rsa4096", 4096),
    ] {
        let pem = test_key_pem(name);
        let key = SecretKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(key.public_key().modulus_bits(), bits);
        assert_eq!(key.public_key().modulus_len() * 8, bits as usize);
        assert_eq!(*key.to_pkcs8_pem().unwrap(), pem);
        let der = key.to_pkcs8_der().unwrap();
        let again = SecretKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let spki = key.public_key().to_spki_der();
        assert_eq!(PublicKey::from_spki_der(&spki).unwrap(), *key.public_key());
    }
}

#[test]
fn spki_is_the_rfc9578_encoding_and_nothing_else() {
    let rfc = read_vectors("rfc9578_type2.json");
    let pk_s = unhex(rfc["vectors"][0]["pkS"].as_str().unwrap());
    let key = PublicKey::from_spki_der(&pk_s).unwrap();
    assert_eq!(key.to_spki_der(), pk_s);
    // The prefix pins id-RSASSA-PSS, SHA-384, MGF1-SHA-384 and salt length 48.
    assert_eq!(
        hex::encode(&pk_s[..72]),
        "30820152303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a30180609\
         2a864886f70d010108300b0609608648016503040202a2030201300382010f00"
    );

    let mut trailing = pk_s.clone();
    trailing.push(0);
    assert_eq!(PublicKey::from_spki_der(&trailing), Err(Error::InvalidSpki));
    assert_eq!(
        PublicKey::from_spki_der(&pk_s[..pk_s.len() - 1]),
        Err(Error::InvalidSpki)
    );
    // Salt length 32 instead of 48.
    let mut salt32 = pk_s.clone();
    assert_eq!(salt32[66], 0x30);
    salt32[66] = 0x20;
    assert_eq!(PublicKey::from_spki_der(&salt32), Err(Error::InvalidSpki));
    // SHA-256 instead of SHA-384 as the hash.
    let mut sha256 = pk_s.clone();
    assert_eq!(sha256[33], 0x02);
    sha256[33] = 0x01;
    assert_eq!(PublicKey::from_spki_der(&sha256), Err(Error::InvalidSpki));
    // The plain rsaEncryption SPKI of the same key.
    let rsa_spki = rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(&key.modulus_be()),
        rsa::BoxedUint::from(65_537u32),
    )
    .unwrap()
    .to_public_key_der()
    .unwrap();
    assert_eq!(
        PublicKey::from_spki_der(rsa_spki.as_bytes()),
        Err(Error::InvalidSpki)
    );
    // A non-minimal length (0x83 00 01 52 for 338) is not DER.
    let mut long_len = vec![0x30, 0x83, 0x00, 0x01, 0x52];
    long_len.extend_from_slice(&pk_s[4..]);
    assert_eq!(PublicKey::from_spki_der(&long_len), Err(Error::InvalidSpki));
}

#[test]
fn key_policy_rejects_small_moduli_and_other_exponents() {
    let n = key_2048().public_key().modulus_be();
    assert_eq!(
        PublicKey::from_components(&n, &[3]),
        Err(Error::UnsupportedExponent)
    );
    assert_eq!(
        PublicKey::from_components(&n, &[0x01, 0x00, 0x00, 0x01]),
        Err(Error::UnsupportedExponent)
    );
    assert!(PublicKey::from_components(&n, &[0, 0, 0x01, 0x00, 0x01]).is_ok());
    // An odd modulus of 2047 bits (the key checks would pass; the size policy does not).
    let mut small = n.clone();
    small[0] = 0x7f;
    assert_eq!(
        PublicKey::from_components(&small, &[1, 0, 1]),
        Err(Error::UnsupportedModulusSize { bits: 2047 })
    );
    let mut large = vec![0x80];
    large.extend_from_slice(&vec![0x01; 512]);
    assert_eq!(
        PublicKey::from_components(&large, &[1, 0, 1]),
        Err(Error::UnsupportedModulusSize { bits: 4104 })
    );
    // A 1024-bit PKCS#8 key is refused on import.
    let small_key = rsa::PrivateKey::new(&mut VectorRng::new(b"small rsa key"), 1024).unwrap();
    let der = small_key.to_pkcs8_der().unwrap();
    assert_eq!(
        SecretKey::from_pkcs8_der(der.as_bytes()).unwrap_err(),
        Error::UnsupportedModulusSize { bits: 1024 }
    );
    assert_eq!(
        SecretKey::generate(&mut VectorRng::new(b"g"), 1024).unwrap_err(),
        Error::UnsupportedModulusSize { bits: 1024 }
    );
    assert_eq!(
        SecretKey::from_pkcs8_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .unwrap_err(),
        Error::InvalidPkcs8
    );
    assert_eq!(
        SecretKey::from_pkcs8_der(&[0x30, 0x00]).unwrap_err(),
        Error::InvalidPkcs8
    );
}

#[test]
fn generated_2048_bit_key_signs_blind() {
    let sk = SecretKey::generate(&mut VectorRng::new(b"runtime 2048 key"), 2048).unwrap();
    assert_eq!(sk.public_key().modulus_bits(), 2048);
    let mut rng = VectorRng::new(b"flow");
    let pk = sk.public_key();
    let variant = Variant::Sha384PssDeterministic;
    let (blinded, inv) = blind_rsa::blind(pk, variant, &mut rng, b"msg").unwrap();
    let blind_sig = sk.blind_sign(&mut rng, &blinded).unwrap();
    let sig = blind_rsa::finalize(pk, variant, b"msg", &blind_sig, &inv).unwrap();
    pk.verify(variant, b"msg", &sig).unwrap();
}

#[test]
fn signer_rejects_wrong_lengths_and_values_not_below_n() {
    let sk = key_2048();
    let pk = sk.public_key();
    let mut rng = VectorRng::new(b"signer");
    assert_eq!(
        sk.blind_sign(&mut rng, &[1u8; 255]),
        Err(Error::WrongLength {
            input: "blinded message",
            expected: 256,
            found: 255
        })
    );
    assert!(matches!(
        sk.blind_sign(&mut rng, &[1u8; 257]),
        Err(Error::WrongLength { found: 257, .. })
    ));
    let n = pk.modulus_be();
    assert_eq!(
        sk.blind_sign(&mut rng, &n),
        Err(Error::BlindedMessageOutOfRange)
    );
    assert_eq!(
        sk.blind_sign(&mut rng, &[0xff; 256]),
        Err(Error::BlindedMessageOutOfRange)
    );
    // n - 1 is in range.
    let mut n_minus_1 = n.clone();
    *n_minus_1.last_mut().unwrap() -= 1;
    assert!(sk.blind_sign(&mut rng, &n_minus_1).is_ok());
}

#[test]
fn finalize_rejects_bad_blind_signatures_and_foreign_inverses() {
    let sk = key_2048();
    let pk = sk.public_key();
    let variant = Variant::Sha384PssRandomized;
    let mut rng = VectorRng::new(b"finalize");
    let msg = blind_rsa::prepare(variant, &mut rng, b"hello");
    assert_eq!(msg.len(), 32 + 5);
    let (blinded, inv) = blind_rsa::blind(pk, variant, &mut rng, &msg).unwrap();
    let blind_sig = sk.blind_sign(&mut rng, &blinded).unwrap();

    let mut tampered = blind_sig.clone();
    tampered[100] ^= 0x04;
    assert_eq!(
        blind_rsa::finalize(pk, variant, &msg, &tampered, &inv),
        Err(Error::InvalidBlindSignature)
    );
    assert_eq!(
        blind_rsa::finalize(pk, variant, &msg, &pk.modulus_be(), &inv),
        Err(Error::BlindSignatureOutOfRange)
    );
    assert!(matches!(
        blind_rsa::finalize(pk, variant, &msg, &blind_sig[1..], &inv),
        Err(Error::WrongLength { .. })
    ));
    // The message the client prepared is what the signature covers.
    assert_eq!(
        blind_rsa::finalize(pk, variant, b"hello", &blind_sig, &inv),
        Err(Error::InvalidBlindSignature)
    );
    // An inverse of a 3072-bit key's blinding does not fit this key.
    let other = SecretKey::from_pkcs8_pem(&test_key_pem("rsa3072")).unwrap();
    let (_, other_inv) = blind_rsa::blind(other.public_key(), variant, &mut rng, &msg).unwrap();
    assert_eq!(
        blind_rsa::finalize(pk, variant, &msg, &blind_sig, &other_inv),
        Err(Error::InverseNotForKey)
    );
    // An inverse made under another 2048-bit key unblinds to garbage.
    let b = SecretKey::from_pkcs8_pem(&test_key_pem("rsa2048-b")).unwrap();
    let (_, b_inv) = blind_rsa::blind(b.public_key(), variant, &mut rng, &msg).unwrap();
    assert_eq!(
        blind_rsa::finalize(pk, variant, &msg, &blind_sig, &b_inv),
        Err(Error::InvalidBlindSignature)
    );
    let sig = blind_rsa::finalize(pk, variant, &msg, &blind_sig, &inv).unwrap();
    pk.verify(variant, &msg, &sig).unwrap();
}

#[test]
fn blinding_inverse_encoding_is_checked() {
    let pk = key_2048().public_key();
    let mut rng = VectorRng::new(b"inverse");
    let (_, inv) =
        blind_rsa::blind(pk, Variant::Sha384PssZeroDeterministic, &mut rng, b"m").unwrap();
    let bytes = inv.to_bytes();
    assert_eq!(bytes.len(), 256);
    let again = BlindingInverse::from_bytes(pk, &bytes).unwrap();
    assert_eq!(*again.to_bytes(), *bytes);
    assert_eq!(format!("{again:?}"), "BlindingInverse(<redacted>)");
    for bad in [
        vec![0u8; 256],
        pk.modulus_be(),
        vec![0xff; 256],
        bytes[1..].to_vec(),
    ] {
        assert_eq!(
            BlindingInverse::from_bytes(pk, &bad).unwrap_err(),
            Error::InverseNotForKey
        );
    }
    // A multiple of p is below n and non-zero, but not a unit.
    let raw = <rsa::PrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&test_key_pem(
        "rsa2048-a",
    ))
    .unwrap();
    let p = rsa::traits::PrivateKeyParts::primes(&raw)[0].to_be_bytes();
    let mut p_padded = vec![0u8; 256 - p.len()];
    p_padded.extend_from_slice(&p);
    assert_eq!(
        BlindingInverse::from_bytes(pk, &p_padded).unwrap_err(),
        Error::InverseNotForKey
    );
    // 1 is a unit.
    let mut one = vec![0u8; 256];
    one[255] = 1;
    assert!(BlindingInverse::from_bytes(pk, &one).is_ok());
}

#[test]
fn every_variant_works_at_3072_and_4096_bits() {
    for name in ["rsa3072", "rsa4096"] {
        let sk = SecretKey::from_pkcs8_pem(&test_key_pem(name)).unwrap();
        let pk = sk.public_key();
        let mut rng = VectorRng::new(name.as_bytes());
        for variant in Variant::ALL {
            let msg = blind_rsa::prepare(variant, &mut rng, b"sized message");
            let (blinded, inv) = blind_rsa::blind(pk, variant, &mut rng, &msg).unwrap();
            assert_eq!(blinded.len(), pk.modulus_len());
            let blind_sig = sk.blind_sign(&mut rng, &blinded).unwrap();
            let sig = blind_rsa::finalize(pk, variant, &msg, &blind_sig, &inv).unwrap();
            pk.verify(variant, &msg, &sig).unwrap();
        }
    }
}

#[test]
fn debug_output_hides_secrets() {
    let shown = format!("{:?}", key_2048());
    assert!(shown.starts_with("SecretKey"), "{shown}");
    assert!(
        !shown.contains("primes") && !shown.contains(" d:"),
        "{shown}"
    );
}

#[test]
fn errors_name_their_input() {
    let e = Error::WrongLength {
        input: "blind signature",
        expected: 256,
        found: 3,
    };
    assert_eq!(
        e.to_string(),
        "blind signature is 3 bytes, the key needs 256"
    );
    assert_eq!(
        Error::UnsupportedModulusSize { bits: 1024 }.to_string(),
        "RSA modulus of 1024 bits is outside 2048..=4096"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any message, any variant: the unblinded signature verifies, over that message only.
    #[test]
    fn blind_sign_finalize_verify(msg in proptest::collection::vec(any::<u8>(), 0..200), seed in any::<u64>(), which in 0usize..4) {
        let sk = key_2048();
        let pk = sk.public_key();
        let variant = Variant::ALL[which];
        let mut rng = VectorRng::new(&seed.to_be_bytes());
        let input = blind_rsa::prepare(variant, &mut rng, &msg);
        let (blinded, inv) = blind_rsa::blind(pk, variant, &mut rng, &input).unwrap();
        let blind_sig = sk.blind_sign(&mut rng, &blinded).unwrap();
        let sig = blind_rsa::finalize(pk, variant, &input, &blind_sig, &inv).unwrap();
        prop_assert_eq!(pk.verify(variant, &input, &sig), Ok(()));
        let mut other = input.clone();
        other.push(0);
        prop_assert_eq!(pk.verify(variant, &other, &sig), Err(Error::InvalidSignature));
    }

    /// A single flipped bit anywhere in a signature makes it invalid.
    #[test]
    fn signature_bit_flips_are_rejected(bit in 0usize..2048) {
        let sk = key_2048();
        let pk = sk.public_key();
        let variant = Variant::Sha384PssDeterministic;
        let mut rng = VectorRng::new(b"bit flips");
        let (blinded, inv) = blind_rsa::blind(pk, variant, &mut rng, b"flip").unwrap();
        let blind_sig = sk.blind_sign(&mut rng, &blinded).unwrap();
        let mut sig = blind_rsa::finalize(pk, variant, b"flip", &blind_sig, &inv).unwrap();
        sig[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(pk.verify(variant, b"flip", &sig), Err(Error::InvalidSignature));
    }
}
