//! Published BLS vectors: the Ethereum consensus `sign` and `verify` cases (ciphersuite
//! BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_, min-pk) and KeyGen vectors (EIP-2333
//! master keys), read from `test-vectors/`.

use blindpost::bls::{BlsError, PublicKey, SecretKey, Signature, CIPHERSUITE_SIG};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/test-vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap()).unwrap()
}

#[test]
fn ciphersuite_matches_the_vector_file() {
    let v = load("bls_eth_consensus.json");
    assert_eq!(
        v["ciphersuite"].as_str().unwrap().as_bytes(),
        CIPHERSUITE_SIG
    );
}

#[test]
fn sk_to_pk_matches_published_public_keys() {
    let v = load("bls_eth_consensus.json");
    let cases = v["sk_to_pk"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        let sk = SecretKey::from_bytes(&hex_field(c, "privkey")).unwrap();
        assert_eq!(sk.public_key().to_bytes().to_vec(), hex_field(c, "pubkey"));
    }
}

#[test]
fn sign_matches_published_signatures() {
    let v = load("bls_eth_consensus.json");
    let cases = v["sign"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let sk = SecretKey::from_bytes(&hex_field(c, "privkey"));
        let msg = hex_field(c, "message");
        match c["signature"].as_str() {
            Some(expected) => {
                let sig = sk.unwrap().sign(&msg);
                assert_eq!(hex::encode(sig.to_bytes()), expected, "{name}");
            }
            // The zero key is not a secret key: the case expects no signature.
            None => assert!(matches!(sk, Err(BlsError::Decode(_))), "{name}"),
        }
    }
}

#[test]
fn verify_matches_published_outcomes() {
    let v = load("bls_eth_consensus.json");
    let cases = v["verify"].as_array().unwrap();
    assert_eq!(cases.len(), 29);
    let (mut valid, mut invalid) = (0, 0);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let expected = c["output"].as_bool().unwrap();
        let outcome = PublicKey::from_bytes(&hex_field(c, "pubkey"))
            .and_then(|pk| {
                let sig = Signature::from_bytes(&hex_field(c, "signature"))?;
                pk.verify(&hex_field(c, "message"), &sig)
            })
            .is_ok();
        assert_eq!(outcome, expected, "{name}");
        if expected {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert_eq!((valid, invalid), (10, 19));
}

#[test]
fn infinity_key_and_signature_are_rejected_by_the_decoders() {
    let v = load("bls_eth_consensus.json");
    let c = &v["verify"][0];
    assert_eq!(
        c["name"].as_str().unwrap(),
        "verify_infinity_pubkey_and_infinity_signature"
    );
    assert!(PublicKey::from_bytes(&hex_field(c, "pubkey")).is_err());
    assert!(Signature::from_bytes(&hex_field(c, "signature")).is_err());
}

#[test]
fn key_gen_matches_eip2333_master_keys() {
    let v = load("bls_keygen.json");
    let cases = v["vectors"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let ikm = hex_field(c, "ikm");
        let info = hex_field(c, "key_info");
        let sk = SecretKey::key_gen(&ikm, &info).unwrap();
        let expected = decimal_to_be32(c["sk_decimal"].as_str().unwrap());
        assert_eq!(*sk.to_bytes(), expected);
    }
}

/// Parses a decimal integer below 2^256 into 32 big-endian bytes.
fn decimal_to_be32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for ch in s.bytes() {
        let mut carry = u32::from(ch - b'0');
        for b in out.iter_mut().rev() {
            let t = u32::from(*b) * 10 + carry;
            *b = (t & 0xff) as u8;
            carry = t >> 8;
        }
        assert_eq!(carry, 0, "value exceeds 256 bits");
    }
    out
}
