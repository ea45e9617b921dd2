//! `test-vectors/certificates.json`: issuer keys, a key set, certificates and every
//! verification outcome, generated with `VectorRng` (seed in the file).
//!
//! `vectors_regenerate_identically` rebuilds the file from the seed and compares it (set
//! `BLINDPOST_WRITE_VECTORS=1` to rewrite it); `vectors_check_without_the_generator` reads the
//! file and checks each entry through the public API only.

use crate::vector_file;
use crate::vector_file::{unhex, KindName};
use blindpost::bls::{ProofOfPossession, PublicKey, SecretKey, Signature};
use blindpost::certificate::{
    Certificate, CertificateContent, CertificateError, CertificateIssuer, HostKey, IssuerKeySet,
    KeyId, PhoneNumber, CERTIFICATE_DST, KEY_ID_DST, KEY_SET_DST,
};
use blindpost::vector_rng::VectorRng;
use blindpost::Time;
use rand_core::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const FILE: &str = "certificates.json";
const SEED: &str = "blindpost/v1 certificate vectors";

const KEY0_NOT_BEFORE: Time = Time::from_unix_secs(1_700_000_000);
const KEY0_NOT_AFTER: Time = Time::from_unix_secs(1_900_000_000);
const KEY1_NOT_BEFORE: Time = Time::from_unix_secs(1_750_000_000);
const KEY1_NOT_AFTER: Time = Time::from_unix_secs(2_000_000_000);
const CERT_NOT_BEFORE: Time = Time::from_unix_secs(1_760_000_000);
const CERT_NOT_AFTER: Time = CERT_NOT_BEFORE.saturating_add(30 * 86_400);
const NOW: Time = CERT_NOT_BEFORE.saturating_add(86_400);

/// A verification or decoding outcome, as the file writes it (SPEC.md 2.7 and 8.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum Outcome {
    Ok,
    Malformed { field: String, kind: KindName },
    UnknownIssuer,
    BadSignature,
    Expired,
    NotYetValid,
    WrongPhoneNumber,
}

fn outcome<T>(r: &Result<T, CertificateError>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(CertificateError::Malformed(e)) => Outcome::Malformed {
            field: e.field.to_owned(),
            kind: e.kind.into(),
        },
        Err(CertificateError::UnknownIssuer { .. }) => Outcome::UnknownIssuer,
        Err(CertificateError::BadSignature) => Outcome::BadSignature,
        Err(CertificateError::Expired { .. }) => Outcome::Expired,
        Err(CertificateError::NotYetValid { .. }) => Outcome::NotYetValid,
        Err(CertificateError::WrongPhoneNumber) => Outcome::WrongPhoneNumber,
        Err(other) => panic!("verification cannot fail with {other:?}"),
    }
}

/// `test-vectors/certificates.json` (byte strings hex).
#[derive(Debug, Deserialize)]
pub(crate) struct CertificatesFile {
    pub(crate) issuer_keys: Vec<IssuerKeyJson>,
    pub(crate) rogue_issuer_key: IssuerKeyJson,
    pub(crate) key_set: String,
    pub(crate) key_set_fingerprint: String,
    pub(crate) identities: Vec<IdentityJson>,
    pub(crate) certificates: Vec<CertificateJson>,
    verify_cases: Vec<VerifyCase>,
    key_set_cases: Vec<KeySetCase>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IssuerKeyJson {
    pub(crate) ikm: String,
    pub(crate) secret_key: String,
    pub(crate) public_key: String,
    pub(crate) key_id: String,
    pub(crate) not_before: u64,
    pub(crate) not_after: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IdentityJson {
    pub(crate) ikm: String,
    pub(crate) secret_key: String,
    pub(crate) public_key: String,
    pub(crate) proof_of_possession: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CertificateJson {
    pub(crate) issuer: usize,
    pub(crate) phone: String,
    pub(crate) identity_key: String,
    pub(crate) host_key: Option<String>,
    pub(crate) serial: u64,
    pub(crate) not_before: u64,
    pub(crate) not_after: u64,
    pub(crate) bytes: String,
}

#[derive(Debug, Deserialize)]
struct VerifyCase {
    name: String,
    certificate: String,
    now: u64,
    expected_phone: Option<String>,
    expected: Outcome,
}

#[derive(Debug, Deserialize)]
struct KeySetCase {
    name: String,
    key_set: String,
    expected: Outcome,
}

/// A certificate encoding assembled field by field (SPEC.md 8.2), so that malformed variants
/// can be built.
#[allow(clippy::too_many_arguments)]
fn raw_certificate(
    version: u8,
    key_id: [u8; 8],
    serial: u64,
    not_before: Time,
    not_after: Time,
    phone: &[u8],
    identity_key: &[u8],
    host_key: &[u8],
    signature: &[u8],
) -> Vec<u8> {
    let mut out = vec![version];
    out.extend_from_slice(&key_id);
    out.extend_from_slice(&serial.to_be_bytes());
    out.extend_from_slice(&not_before.unix_secs().to_be_bytes());
    out.extend_from_slice(&not_after.unix_secs().to_be_bytes());
    out.push(phone.len() as u8);
    out.extend_from_slice(phone);
    out.extend_from_slice(identity_key);
    out.push(host_key.len() as u8);
    out.extend_from_slice(host_key);
    out.extend_from_slice(signature);
    out
}

/// The first compressed G1 encoding with a small x that is on the curve but outside the
/// prime-order subgroup.
fn off_subgroup_g1() -> [u8; 48] {
    let mut bytes = [0u8; 48];
    bytes[0] = 0x80;
    for x in 1u8..=255 {
        bytes[47] = x;
        if let Some(p) = Option::<bls12_381::G1Affine>::from(
            bls12_381::G1Affine::from_compressed_unchecked(&bytes),
        ) {
            if !bool::from(p.is_torsion_free()) {
                return bytes;
            }
        }
    }
    panic!("no off-subgroup point among small x");
}

/// The first compressed G1 encoding with a small x that is not on the curve.
fn not_on_curve_g1() -> [u8; 48] {
    let mut bytes = [0u8; 48];
    bytes[0] = 0x80;
    for x in 1u8..=255 {
        bytes[47] = x;
        if Option::<bls12_381::G1Affine>::from(bls12_381::G1Affine::from_compressed_unchecked(
            &bytes,
        ))
        .is_none()
        {
            return bytes;
        }
    }
    panic!("every small x is on the curve");
}

fn key_with_ikm(rng: &mut VectorRng) -> ([u8; 32], SecretKey) {
    let mut ikm = [0u8; 32];
    rng.fill_bytes(&mut ikm);
    (ikm, SecretKey::key_gen(&ikm, b"").unwrap())
}

fn generate() -> Value {
    let mut rng = VectorRng::new(SEED.as_bytes());
    let (ikm0, sk0) = key_with_ikm(&mut rng);
    let (ikm1, sk1) = key_with_ikm(&mut rng);
    let (ikm_rogue, sk_rogue) = key_with_ikm(&mut rng);
    let (ikm_a, id_a) = key_with_ikm(&mut rng);
    let (ikm_b, id_b) = key_with_ikm(&mut rng);

    let issuer0 = CertificateIssuer::new(sk0, KEY0_NOT_BEFORE, KEY0_NOT_AFTER).unwrap();
    let issuer1 = CertificateIssuer::new(sk1, KEY1_NOT_BEFORE, KEY1_NOT_AFTER).unwrap();
    let rogue = CertificateIssuer::new(sk_rogue, KEY0_NOT_BEFORE, KEY1_NOT_AFTER).unwrap();
    let set = IssuerKeySet::new(vec![*issuer0.issuer_key(), *issuer1.issuer_key()]).unwrap();

    let phone_a = PhoneNumber::parse("+14155550100").unwrap();
    let phone_b = PhoneNumber::parse("+442079460018").unwrap();
    let content_a = CertificateContent {
        phone: phone_a.clone(),
        identity_key: id_a.public_key(),
        host_key: None,
        serial: 1,
        not_before: CERT_NOT_BEFORE,
        not_after: CERT_NOT_AFTER,
    };
    let content_b = CertificateContent {
        phone: phone_b.clone(),
        identity_key: id_b.public_key(),
        host_key: Some(HostKey::new(&[0x5a; 32]).unwrap()),
        serial: 2,
        not_before: CERT_NOT_BEFORE,
        not_after: CERT_NOT_AFTER,
    };
    let cert_a = issuer0.issue(content_a.clone()).unwrap();
    let cert_b = issuer1.issue(content_b.clone()).unwrap();
    let cert_rogue = rogue.issue(content_a.clone()).unwrap();
    let a = cert_a.to_bytes();
    let b = cert_b.to_bytes();

    let key_id0 = issuer0.issuer_key().id().to_bytes();
    let id_a_pk = id_a.public_key().to_bytes();
    let sig_a = cert_a.signature().to_bytes();
    let phone_a_bytes = phone_a.as_bytes();
    let raw = |version: u8, nb: Time, na: Time, phone: &[u8], pk: &[u8], host: &[u8]| {
        raw_certificate(version, key_id0, 1, nb, na, phone, pk, host, &sig_a)
    };
    let mut truncated = a.clone();
    truncated.pop();
    let mut trailing = a.clone();
    trailing.push(0);
    let mut other_serial = content_a.clone();
    other_serial.serial = 99;
    // Certificate A's signature on a certificate that differs only in its serial.
    let bad_signature = raw_certificate(
        1,
        key_id0,
        99,
        CERT_NOT_BEFORE,
        CERT_NOT_AFTER,
        phone_a_bytes,
        &id_a_pk,
        b"",
        &sig_a,
    );
    let identity_g1 = bls12_381::G1Affine::identity().to_compressed();

    let cases: Vec<(&str, Vec<u8>, Time, Option<&PhoneNumber>)> = vec![
        ("valid", a.clone(), NOW, Some(&phone_a)),
        ("valid_without_expected_phone", a.clone(), NOW, None),
        (
            "valid_second_key_with_host_key",
            b.clone(),
            NOW,
            Some(&phone_b),
        ),
        ("valid_at_first_second", a.clone(), CERT_NOT_BEFORE, None),
        ("valid_at_last_second", a.clone(), CERT_NOT_AFTER, None),
        ("truncated", truncated, NOW, None),
        ("trailing_byte", trailing, NOW, None),
        ("empty", Vec::new(), NOW, None),
        (
            "bad_version",
            raw(
                2,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                phone_a_bytes,
                &id_a_pk,
                b"",
            ),
            NOW,
            None,
        ),
        (
            "bad_phone_leading_zero",
            raw(
                1,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                b"+04155550100",
                &id_a_pk,
                b"",
            ),
            NOW,
            None,
        ),
        (
            "bad_phone_no_plus",
            raw(
                1,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                b"14155550100",
                &id_a_pk,
                b"",
            ),
            NOW,
            None,
        ),
        (
            "bad_phone_too_long",
            raw(
                1,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                b"+14155550100123456",
                &id_a_pk,
                b"",
            ),
            NOW,
            None,
        ),
        (
            "host_key_too_long",
            raw(
                1,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                phone_a_bytes,
                &id_a_pk,
                &[0x5a; 65],
            ),
            NOW,
            None,
        ),
        (
            "identity_key_is_identity",
            raw(
                1,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                phone_a_bytes,
                &identity_g1,
                b"",
            ),
            NOW,
            None,
        ),
        (
            "identity_key_off_subgroup",
            raw(
                1,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                phone_a_bytes,
                &off_subgroup_g1(),
                b"",
            ),
            NOW,
            None,
        ),
        (
            "identity_key_not_on_curve",
            raw(
                1,
                CERT_NOT_BEFORE,
                CERT_NOT_AFTER,
                phone_a_bytes,
                &not_on_curve_g1(),
                b"",
            ),
            NOW,
            None,
        ),
        (
            "validity_reversed",
            raw(
                1,
                CERT_NOT_AFTER,
                CERT_NOT_BEFORE,
                phone_a_bytes,
                &id_a_pk,
                b"",
            ),
            NOW,
            None,
        ),
        ("unknown_issuer", cert_rogue.to_bytes(), NOW, None),
        ("bad_signature", bad_signature, NOW, None),
        ("expired", a.clone(), CERT_NOT_AFTER + 1, None),
        ("not_yet_valid", a.clone(), CERT_NOT_BEFORE - 1, None),
        ("wrong_phone_number", a.clone(), NOW, Some(&phone_b)),
    ];
    let verify_cases: Vec<Value> = cases
        .iter()
        .map(|(name, bytes, now, phone)| {
            let r = set.verify(bytes, *now, *phone);
            json!({
                "name": name,
                "certificate": hex::encode(bytes),
                "now": now.unix_secs(),
                "expected_phone": phone.map(|p| p.as_str()),
                "expected": outcome(&r),
            })
        })
        .collect();

    let set_bytes = set.to_bytes();
    let mut ks_trailing = set_bytes.clone();
    ks_trailing.push(0);
    let mut ks_bad_version = set_bytes.clone();
    ks_bad_version[0] = 2;
    let mut ks_empty = set_bytes[..1].to_vec();
    ks_empty.push(0);
    // The two entries swapped: ids no longer increase.
    let mut ks_unsorted = set_bytes[..2].to_vec();
    ks_unsorted.extend_from_slice(&set_bytes[2 + 64..]);
    ks_unsorted.extend_from_slice(&set_bytes[2..2 + 64]);
    let mut ks_duplicate = set_bytes[..2].to_vec();
    ks_duplicate.extend_from_slice(&set_bytes[2..2 + 64]);
    ks_duplicate.extend_from_slice(&set_bytes[2..2 + 64]);
    let mut ks_too_many = set_bytes[..1].to_vec();
    ks_too_many.push(17);
    let ks_truncated = set_bytes[..set_bytes.len() - 1].to_vec();
    let mut ks_reversed_validity = set_bytes[..2 + 48].to_vec();
    ks_reversed_validity.extend_from_slice(&KEY0_NOT_AFTER.unix_secs().to_be_bytes());
    ks_reversed_validity.extend_from_slice(&KEY0_NOT_BEFORE.unix_secs().to_be_bytes());
    ks_reversed_validity[1] = 1;
    let key_set_cases: Vec<Value> = [
        ("valid", set_bytes.clone()),
        ("trailing_byte", ks_trailing),
        ("truncated", ks_truncated),
        ("bad_version", ks_bad_version),
        ("no_keys", ks_empty),
        ("too_many_keys", ks_too_many),
        ("unsorted", ks_unsorted),
        ("duplicate", ks_duplicate),
        ("validity_reversed", ks_reversed_validity),
    ]
    .iter()
    .map(|(name, bytes)| {
        json!({
            "name": name,
            "key_set": hex::encode(bytes),
            "expected": outcome(&IssuerKeySet::from_bytes(bytes)),
        })
    })
    .collect();

    let issuer_json = |ikm: &[u8; 32], issuer: &CertificateIssuer, sk: &SecretKey| {
        let k = issuer.issuer_key();
        json!({
            "ikm": hex::encode(ikm),
            "secret_key": hex::encode(*sk.to_bytes()),
            "public_key": hex::encode(k.public_key().to_bytes()),
            "key_id": hex::encode(k.id().to_bytes()),
            "not_before": k.not_before().unix_secs(),
            "not_after": k.not_after().unix_secs(),
        })
    };
    let identity_json = |ikm: &[u8; 32], sk: &SecretKey| {
        json!({
            "ikm": hex::encode(ikm),
            "secret_key": hex::encode(*sk.to_bytes()),
            "public_key": hex::encode(sk.public_key().to_bytes()),
            "proof_of_possession": hex::encode(sk.pop_prove().to_bytes()),
        })
    };
    let cert_json = |name: &str, issuer: usize, c: &CertificateContent, bytes: &[u8]| {
        json!({
            "name": name,
            "issuer": issuer,
            "phone": c.phone.as_str(),
            "identity_key": hex::encode(c.identity_key.to_bytes()),
            "host_key": c.host_key.as_ref().map(|h| hex::encode(h.as_bytes())),
            "serial": c.serial,
            "not_before": c.not_before.unix_secs(),
            "not_after": c.not_after.unix_secs(),
            "bytes": hex::encode(bytes),
        })
    };
    // Re-derive the secret keys from their IKM for the JSON (the issuers own theirs).
    let sk0 = SecretKey::key_gen(&ikm0, b"").unwrap();
    let sk1 = SecretKey::key_gen(&ikm1, b"").unwrap();
    let sk_rogue = SecretKey::key_gen(&ikm_rogue, b"").unwrap();
    json!({
        "source": "generated by blindpost (tests/vectors/certificates.rs), SPEC.md section 8; \
                   randomness from VectorRng(seed) (SPEC.md 2.5), drawn as 32-byte KeyGen IKMs \
                   in this order: issuer 0, issuer 1, rogue issuer, identity A, identity B",
        "seed": SEED,
        "bls_ciphersuite": "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_",
        "issuer_keys": [issuer_json(&ikm0, &issuer0, &sk0), issuer_json(&ikm1, &issuer1, &sk1)],
        "rogue_issuer_key": issuer_json(&ikm_rogue, &rogue, &sk_rogue),
        "key_set": hex::encode(&set_bytes),
        "key_set_fingerprint": hex::encode(set.fingerprint()),
        "identities": [identity_json(&ikm_a, &id_a), identity_json(&ikm_b, &id_b)],
        "certificates": [cert_json("A", 0, &content_a, &a), cert_json("B", 1, &content_b, &b)],
        "verify_cases": verify_cases,
        "key_set_cases": key_set_cases,
    })
}

#[test]
fn vectors_regenerate_identically() {
    vector_file::check_generated(FILE, &generate());
}

#[test]
fn vectors_check_without_the_generator() {
    let v: CertificatesFile = vector_file::read(FILE);
    let set = IssuerKeySet::from_bytes(&unhex(&v.key_set)).unwrap();
    assert_eq!(set.to_bytes(), unhex(&v.key_set));
    assert_eq!(set.fingerprint().to_vec(), unhex(&v.key_set_fingerprint));

    // Issuer keys: KeyGen from the IKM, SkToPk, key id, and their entries in the set.
    for k in &v.issuer_keys {
        let sk = SecretKey::key_gen(&unhex(&k.ikm), b"").unwrap();
        assert_eq!(sk.to_bytes().to_vec(), unhex(&k.secret_key));
        let pk = PublicKey::from_bytes(&unhex(&k.public_key)).unwrap();
        assert_eq!(sk.public_key(), pk);
        let id = KeyId::from_bytes(unhex(&k.key_id).try_into().unwrap());
        assert_eq!(KeyId::of(&pk), id);
        let entry = set.get(&id).unwrap();
        assert_eq!(entry.public_key(), &pk);
        assert_eq!(entry.not_before().unix_secs(), k.not_before);
        assert_eq!(entry.not_after().unix_secs(), k.not_after);
    }
    let rogue = PublicKey::from_bytes(&unhex(&v.rogue_issuer_key.public_key)).unwrap();
    assert!(set.get(&KeyId::of(&rogue)).is_none());

    // Identity keys and their proofs of possession.
    for i in &v.identities {
        let sk = SecretKey::key_gen(&unhex(&i.ikm), b"").unwrap();
        assert_eq!(sk.to_bytes().to_vec(), unhex(&i.secret_key));
        let pk = PublicKey::from_bytes(&unhex(&i.public_key)).unwrap();
        assert_eq!(sk.public_key(), pk);
        let pop = ProofOfPossession::from_bytes(&unhex(&i.proof_of_possession)).unwrap();
        assert_eq!(sk.pop_prove(), pop);
        pk.pop_verify(&pop).unwrap();
    }

    // Certificates decode to the listed fields and re-encode byte for byte.
    for c in &v.certificates {
        let bytes = unhex(&c.bytes);
        let cert = Certificate::from_bytes(&bytes).unwrap();
        assert_eq!(cert.to_bytes(), bytes);
        assert_eq!(cert.phone().as_str(), c.phone);
        assert_eq!(
            cert.identity_key().to_bytes().to_vec(),
            unhex(&c.identity_key)
        );
        assert_eq!(
            cert.host_key().map(|k| k.as_bytes().to_vec()),
            c.host_key.as_deref().map(unhex)
        );
        assert_eq!(cert.serial(), c.serial);
        assert_eq!(cert.not_before().unix_secs(), c.not_before);
        assert_eq!(cert.not_after().unix_secs(), c.not_after);
        let issuer = &v.issuer_keys[c.issuer];
        assert_eq!(
            cert.issuer_key_id().to_bytes().to_vec(),
            unhex(&issuer.key_id)
        );
        // SPEC.md 8.2: the signature is a plain BLS signature over
        // vec8("blindpost/v1/certificate") || (the encoding without the signature).
        let (tbs, sig) = bytes.split_at(bytes.len() - 96);
        let mut msg = vec![CERTIFICATE_DST.len() as u8];
        msg.extend_from_slice(CERTIFICATE_DST);
        msg.extend_from_slice(tbs);
        let pk = PublicKey::from_bytes(&unhex(&issuer.public_key)).unwrap();
        pk.verify(&msg, &Signature::from_bytes(sig).unwrap())
            .unwrap();
        assert!(pk
            .verify(tbs, &Signature::from_bytes(sig).unwrap())
            .is_err());
    }

    // SPEC.md 8.3: key ids and the fingerprint, recomputed with SHA-256 directly.
    let sha = |dst: &[u8], data: &[u8]| -> Vec<u8> {
        let mut hasher = Sha256::new();
        hasher.update([dst.len() as u8]);
        hasher.update(dst);
        hasher.update(data);
        hasher.finalize().to_vec()
    };
    for k in &v.issuer_keys {
        assert_eq!(
            sha(KEY_ID_DST, &unhex(&k.public_key))[..8],
            unhex(&k.key_id)[..]
        );
    }
    assert_eq!(
        sha(KEY_SET_DST, &unhex(&v.key_set)),
        unhex(&v.key_set_fingerprint)
    );

    // Every verification outcome, one case per error.
    let mut seen = std::collections::BTreeSet::new();
    for c in &v.verify_cases {
        let phone = c
            .expected_phone
            .as_deref()
            .map(|p| PhoneNumber::parse(p).unwrap());
        let r = set.verify(
            &unhex(&c.certificate),
            Time::from_unix_secs(c.now),
            phone.as_ref(),
        );
        assert_eq!(outcome(&r), c.expected, "{}", c.name);
        let name = serde_json::to_value(&c.expected).unwrap()["result"].clone();
        seen.insert(name.as_str().unwrap().to_string());
    }
    let all: std::collections::BTreeSet<String> = [
        "ok",
        "malformed",
        "unknown_issuer",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "wrong_phone_number",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(seen, all);

    for c in &v.key_set_cases {
        let r = IssuerKeySet::from_bytes(&unhex(&c.key_set));
        assert_eq!(outcome(&r), c.expected, "{}", c.name);
    }
}
