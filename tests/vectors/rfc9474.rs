//! RFC 9474 Appendix A: every intermediate value of the four RSABSSA-SHA384 vectors, with the
//! randomness (message prefix, salt, blinding factor) replayed from the vector.

use crate::token_support::{pad_to, ReplayRng};
use crate::vector_file::{self, hex_bytes};
use blindpost::blind_rsa::{self, PublicKey, SecretKey, Variant};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use rsa::pkcs8::EncodePrivateKey;
use serde::Deserialize;

struct Vector {
    variant: Variant,
    secret: SecretKey,
    n: Vec<u8>,
    e: Vec<u8>,
    msg: Vec<u8>,
    msg_prefix: Vec<u8>,
    input_msg: Vec<u8>,
    salt: Vec<u8>,
    encoded_msg: Option<Vec<u8>>,
    inv: Vec<u8>,
    blinded_msg: Vec<u8>,
    blind_sig: Vec<u8>,
    sig: Vec<u8>,
}

/// One vector of RFC 9474 Appendix A as the file writes it (hex).
#[derive(Debug, Deserialize)]
struct RawVector {
    name: String,
    #[serde(deserialize_with = "hex_bytes")]
    n: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    e: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    d: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    p: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    q: Vec<u8>,
    #[serde(rename = "sLen", deserialize_with = "hex_bytes")]
    s_len: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    is_randomized: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    msg: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    msg_prefix: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    input_msg: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    salt: Vec<u8>,
    #[serde(default, deserialize_with = "optional_hex")]
    encoded_msg: Option<Vec<u8>>,
    #[serde(deserialize_with = "hex_bytes")]
    inv: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    blinded_msg: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    blind_sig: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    sig: Vec<u8>,
}

/// `test-vectors/rfc9474.json`.
#[derive(Debug, Deserialize)]
struct Rfc9474File {
    source: String,
    vectors: Vec<RawVector>,
}

fn optional_hex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    hex_bytes(d).map(Some)
}

fn vectors() -> Vec<Vector> {
    let file: Rfc9474File = vector_file::read("rfc9474.json");
    assert!(file.source.contains("RFC 9474"));
    file.vectors
        .into_iter()
        .map(|v| {
            let big = |b: &[u8]| BoxedUint::from_be_slice_vartime(b);
            // The test builds the key with the rsa crate and imports it as PKCS#8, the way an
            // issuer would load it.
            let key = rsa::PrivateKey::from_components(
                big(&v.n),
                big(&v.e),
                big(&v.d),
                vec![big(&v.p), big(&v.q)],
            )
            .unwrap();
            let der = key.to_pkcs8_der().unwrap();
            let variant = Variant::from_name(&v.name).unwrap();
            assert_eq!(
                variant.salt_len(),
                usize::from(v.s_len[0]),
                "sLen of {}",
                variant.name()
            );
            assert_eq!(variant.is_randomized(), v.is_randomized == [1]);
            Vector {
                variant,
                secret: SecretKey::from_pkcs8_der(der.as_bytes()).unwrap(),
                n: v.n,
                e: v.e,
                msg: v.msg,
                msg_prefix: v.msg_prefix,
                input_msg: v.input_msg,
                salt: v.salt,
                encoded_msg: v.encoded_msg,
                inv: v.inv,
                blinded_msg: v.blinded_msg,
                blind_sig: v.blind_sig,
                sig: v.sig,
            }
        })
        .collect()
}

/// `x^-1 mod n` and `a * b^e mod n`, computed here independently of the library.
struct Arith {
    n: Odd<BoxedUint>,
    params: BoxedMontyParams,
    bits: u32,
}

impl Arith {
    fn new(n: &[u8]) -> Self {
        let bits = (n.len() * 8) as u32;
        let n = Odd::new(BoxedUint::from_be_slice(n, bits).unwrap()).unwrap();
        Self {
            params: BoxedMontyParams::new(n.clone()),
            n,
            bits,
        }
    }

    fn int(&self, x: &[u8]) -> BoxedUint {
        BoxedUint::from_be_slice(x, self.bits).unwrap()
    }

    fn invert(&self, x: &[u8]) -> Vec<u8> {
        self.int(x)
            .invert_odd_mod(&self.n)
            .unwrap()
            .to_be_bytes()
            .to_vec()
    }

    fn mul_pow(&self, a: &[u8], b: &[u8], e: &[u8]) -> Vec<u8> {
        let a = BoxedMontyForm::new(self.int(a), &self.params);
        let b = BoxedMontyForm::new(self.int(b), &self.params);
        let e = BoxedUint::from_be_slice_vartime(e);
        a.mul(&b.pow(&e)).retrieve().to_be_bytes().to_vec()
    }
}

#[test]
fn four_variants_are_covered() {
    let names: Vec<_> = vectors().iter().map(|v| v.variant).collect();
    assert_eq!(names, Variant::ALL.to_vec());
}

#[test]
fn keys_match_the_vector_components() {
    for v in vectors() {
        let pk = v.secret.public_key();
        assert_eq!(pk.modulus_bits(), 4096);
        assert_eq!(pk.modulus_len(), 512);
        assert_eq!(pk.modulus_be(), v.n);
        assert_eq!(*pk, PublicKey::from_components(&v.n, &v.e).unwrap());
    }
}

#[test]
fn every_intermediate_value_is_reproduced() {
    for v in vectors() {
        let pk = v.secret.public_key();
        let k = pk.modulus_len();
        let arith = Arith::new(&v.n);
        // r = inv^-1 mod n, replayed as the blinding-factor candidate.
        let r = pad_to(&arith.invert(&v.inv), k);
        let mut rng = ReplayRng::new(&[&v.msg_prefix, &v.salt, &r]);

        let input_msg = blind_rsa::prepare(v.variant, &mut rng, &v.msg);
        assert_eq!(input_msg, v.input_msg, "{}: input_msg", v.variant.name());
        assert_eq!(&input_msg[..v.msg_prefix.len()], &v.msg_prefix[..]);

        let (blinded, inverse) = blind_rsa::blind(pk, v.variant, &mut rng, &input_msg).unwrap();
        rng.assert_drained();
        assert_eq!(blinded, v.blinded_msg, "{}: blinded_msg", v.variant.name());
        assert_eq!(
            *inverse.to_bytes(),
            pad_to(&v.inv, k),
            "{}: inv",
            v.variant.name()
        );

        // encoded_msg = blinded_msg * inv^e mod n (r^e * inv^e = 1).
        let encoded = arith.mul_pow(&blinded, &v.inv, &v.e);
        if let Some(expected) = &v.encoded_msg {
            assert_eq!(
                pad_to(&encoded, k),
                pad_to(expected, k),
                "{}: encoded_msg",
                v.variant.name()
            );
        }

        let mut signer_rng = blindpost::vector_rng::VectorRng::new(b"rfc9474 signer");
        let blind_sig = v.secret.blind_sign(&mut signer_rng, &blinded).unwrap();
        assert_eq!(blind_sig, v.blind_sig, "{}: blind_sig", v.variant.name());

        let sig = blind_rsa::finalize(pk, v.variant, &input_msg, &blind_sig, &inverse).unwrap();
        assert_eq!(sig, v.sig, "{}: sig", v.variant.name());
        pk.verify(v.variant, &input_msg, &sig).unwrap();
    }
}

#[test]
fn vector_signatures_verify_only_under_their_salt_length_and_message() {
    for v in vectors() {
        let pk = v.secret.public_key();
        for other in Variant::ALL {
            let result = pk.verify(other, &v.input_msg, &v.sig);
            if other.salt_len() == v.variant.salt_len() {
                assert_eq!(result, Ok(()));
            } else {
                assert_eq!(result, Err(blind_rsa::Error::InvalidSignature));
            }
        }
        if v.variant.is_randomized() {
            // The signature covers the prefix: the bare message does not verify.
            assert_eq!(
                pk.verify(v.variant, &v.msg, &v.sig),
                Err(blind_rsa::Error::InvalidSignature)
            );
        }
    }
}
