//! Published BLS vectors: the Ethereum consensus `sign` and `verify` cases (ciphersuite
//! BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_, min-pk) and KeyGen vectors (EIP-2333
//! master keys), read from `test-vectors/`.

use crate::vector_file::{self, hex_bytes};
use blindpost::bls::{BlsError, PublicKey, SecretKey, Signature, CIPHERSUITE_SIG};
use serde::Deserialize;

/// `test-vectors/bls_eth_consensus.json` (byte strings hex).
#[derive(Debug, Deserialize)]
struct EthFile {
    ciphersuite: String,
    sk_to_pk: Vec<SkToPk>,
    sign: Vec<SignCase>,
    verify: Vec<VerifyCase>,
}

#[derive(Debug, Deserialize)]
struct SkToPk {
    #[serde(deserialize_with = "hex_bytes")]
    privkey: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    pubkey: Vec<u8>,
}

#[derive(Debug, Deserialize)]
struct SignCase {
    name: String,
    #[serde(deserialize_with = "hex_bytes")]
    privkey: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    message: Vec<u8>,
    /// None when the case expects no signature.
    signature: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VerifyCase {
    name: String,
    #[serde(deserialize_with = "hex_bytes")]
    pubkey: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    message: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    signature: Vec<u8>,
    output: bool,
}

/// `test-vectors/bls_keygen.json`.
#[derive(Debug, Deserialize)]
struct KeyGenFile {
    vectors: Vec<KeyGenCase>,
}

#[derive(Debug, Deserialize)]
struct KeyGenCase {
    #[serde(deserialize_with = "hex_bytes")]
    ikm: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    key_info: Vec<u8>,
    sk_decimal: String,
}

fn eth() -> EthFile {
    vector_file::read("bls_eth_consensus.json")
}

#[test]
fn ciphersuite_matches_the_vector_file() {
    assert_eq!(eth().ciphersuite.as_bytes(), CIPHERSUITE_SIG);
}

#[test]
fn sk_to_pk_matches_published_public_keys() {
    let cases = eth().sk_to_pk;
    assert_eq!(cases.len(), 3);
    for c in cases {
        let sk = SecretKey::from_bytes(&c.privkey).unwrap();
        assert_eq!(sk.public_key().to_bytes().to_vec(), c.pubkey);
    }
}

#[test]
fn sign_matches_published_signatures() {
    let cases = eth().sign;
    assert_eq!(cases.len(), 10);
    for c in cases {
        let sk = SecretKey::from_bytes(&c.privkey);
        match c.signature {
            Some(expected) => {
                let sig = sk.unwrap().sign(&c.message);
                assert_eq!(hex::encode(sig.to_bytes()), expected, "{}", c.name);
            }
            // The zero key is not a secret key: the case expects no signature.
            None => assert!(matches!(sk, Err(BlsError::Decode(_))), "{}", c.name),
        }
    }
}

#[test]
fn verify_matches_published_outcomes() {
    let cases = eth().verify;
    assert_eq!(cases.len(), 29);
    let (mut valid, mut invalid) = (0, 0);
    for c in cases {
        let outcome = PublicKey::from_bytes(&c.pubkey)
            .and_then(|pk| {
                let sig = Signature::from_bytes(&c.signature)?;
                pk.verify(&c.message, &sig)
            })
            .is_ok();
        assert_eq!(outcome, c.output, "{}", c.name);
        if c.output {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert_eq!((valid, invalid), (10, 19));
}

#[test]
fn infinity_key_and_signature_are_rejected_by_the_decoders() {
    let cases = eth().verify;
    let c = &cases[0];
    assert_eq!(c.name, "verify_infinity_pubkey_and_infinity_signature");
    assert!(PublicKey::from_bytes(&c.pubkey).is_err());
    assert!(Signature::from_bytes(&c.signature).is_err());
}

#[test]
fn key_gen_matches_eip2333_master_keys() {
    let file: KeyGenFile = vector_file::read("bls_keygen.json");
    assert_eq!(file.vectors.len(), 4);
    for c in file.vectors {
        let sk = SecretKey::key_gen(&c.ikm, &c.key_info).unwrap();
        assert_eq!(*sk.to_bytes(), decimal_to_be32(&c.sk_decimal));
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
