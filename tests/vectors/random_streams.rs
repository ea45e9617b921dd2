//! Re-derives the random streams of the generated vector files from their seeds by following
//! the text of SPEC.md 2.5 (and the sections it cites) step by step, with plain `sha2` and
//! `bls12_381` calls instead of the library's generator: the check that SPEC.md says enough for
//! another implementation to reproduce every draw.

use crate::vector_file::{read, unhex};
use blindpost::vector_rng::VectorRng;
use bls12_381::{G1Affine, Scalar};
use rand_core::Rng;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// `VectorRng(seed)` as SPEC.md 2.5 writes it: block i is
/// `SHA-256("blindpost/v1/vector-rng" || u16(len(seed)) || seed || u64(i))`, the tag raw.
struct Stream {
    prefix: Vec<u8>,
    counter: u64,
    buffered: Vec<u8>,
}

impl Stream {
    fn new(seed: &str) -> Self {
        let mut prefix = b"blindpost/v1/vector-rng".to_vec();
        prefix.extend(u16::try_from(seed.len()).unwrap().to_be_bytes());
        prefix.extend(seed.as_bytes());
        Self {
            prefix,
            counter: 0,
            buffered: Vec::new(),
        }
    }

    /// The next `n` bytes of the stream.
    fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buffered.len() < n {
            let mut h = Sha256::new();
            h.update(&self.prefix);
            h.update(self.counter.to_be_bytes());
            self.buffered.extend(h.finalize());
            self.counter += 1;
        }
        self.buffered.drain(..n).collect()
    }

    /// `RandomScalar()` of SPEC.md 4.1: 64 bytes, big-endian, reduced mod r.
    fn scalar(&mut self) -> Scalar {
        let mut wide: [u8; 64] = self.take(64).try_into().unwrap();
        wide.reverse();
        Scalar::from_bytes_wide(&wide)
    }

    /// `RandomNonzeroScalar()` of SPEC.md 4.1: `RandomScalar()` until it is not zero.
    fn nonzero_scalar(&mut self) -> Scalar {
        loop {
            let s = self.scalar();
            if s != Scalar::zero() {
                return s;
            }
        }
    }
}

/// A scalar as 32 big-endian bytes (SPEC.md 2.1).
fn be32(s: &Scalar) -> Vec<u8> {
    let mut b = s.to_bytes();
    b.reverse();
    b.to_vec()
}

#[test]
fn the_specified_stream_is_the_generator_of_the_vectors() {
    for seed in ["", "seed", "blindpost/v1/test-vectors/tokens"] {
        let mut library = vec![0u8; 200];
        VectorRng::new(seed.as_bytes()).fill_bytes(&mut library);
        assert_eq!(Stream::new(seed).take(200), library, "{seed:?}");
    }
}

#[test]
fn bbs04_keys_are_the_first_draws_of_the_seed() {
    #[derive(Deserialize)]
    struct Keys {
        manager_key: String,
        group_key: String,
    }
    #[derive(Deserialize)]
    struct Signed {
        group: String,
        signature: String,
    }
    #[derive(Deserialize)]
    struct File {
        seed: String,
        generation0: Keys,
        generation1: Keys,
        members: Vec<String>,
        signatures: Vec<Signed>,
    }
    let file: File = read("bbs04.json");
    let manager = unhex(&file.generation0.manager_key);
    let mut s = Stream::new(&file.seed);
    // GroupManagerKey::generate (4.3): t_g1, t_h, t_g2, then xi1, xi2, gamma.
    for _ in 0..3 {
        s.nonzero_scalar();
    }
    assert_eq!(be32(&s.nonzero_scalar()), manager[1..33], "xi1");
    assert_eq!(be32(&s.nonzero_scalar()), manager[33..65], "xi2");
    assert_eq!(be32(&s.nonzero_scalar()), manager[65..97], "gamma");
    // issue_members(3) (4.4): x_0, x_1, x_2; a member key is version, generation, A, x.
    for member in &file.members {
        assert_eq!(be32(&s.nonzero_scalar()), unhex(member)[53..85]);
    }
    // Each signature (4.5 step 2): alpha, beta, then five scalars; T1 = u^alpha, T2 = v^beta
    // under the signature's group key (u at byte 197, v at 245; T1 at 1, T2 at 49).
    let g1 = |b: &[u8]| G1Affine::from_compressed(b.try_into().unwrap()).unwrap();
    for signature in &file.signatures {
        let (alpha, beta) = (s.nonzero_scalar(), s.nonzero_scalar());
        for _ in 0..5 {
            s.scalar();
        }
        let group = match signature.group.as_str() {
            "generation0" => &file.generation0,
            _ => &file.generation1,
        };
        let gpk = unhex(&group.group_key);
        let sig = unhex(&signature.signature);
        assert_eq!(G1Affine::from(g1(&gpk[197..245]) * alpha), g1(&sig[1..49]));
        assert_eq!(G1Affine::from(g1(&gpk[245..293]) * beta), g1(&sig[49..97]));
    }
}

#[test]
fn certificate_key_material_is_drawn_in_file_order() {
    #[derive(Deserialize)]
    struct Ikm {
        ikm: String,
    }
    #[derive(Deserialize)]
    struct File {
        seed: String,
        issuer_keys: Vec<Ikm>,
        rogue_issuer_key: Ikm,
        identities: Vec<Ikm>,
    }
    let file: File = read("certificates.json");
    let mut s = Stream::new(&file.seed);
    let order = file
        .issuer_keys
        .iter()
        .chain([&file.rogue_issuer_key])
        .chain(&file.identities);
    for key in order {
        assert_eq!(s.take(32), unhex(&key.ikm));
    }
}

#[test]
fn the_verification_code_secret_is_the_first_32_bytes() {
    #[derive(Deserialize)]
    struct File {
        seed: String,
        secret: String,
    }
    let file: File = read("verification_codes.json");
    assert_eq!(Stream::new(&file.seed).take(32), unhex(&file.secret));
}

/// tokens.json (SPEC.md 6.7): one stream for both cases, with the issuer's RSA blinding between
/// them. Only the seed, the issuer's modulus and SPEC's rules are used; the file's recorded
/// client streams must come out byte for byte.
#[test]
fn both_token_cases_follow_from_the_seed() {
    #[derive(Deserialize)]
    struct Case {
        client_random: String,
        nonce: String,
        salt: String,
        blind: String,
    }
    #[derive(Deserialize)]
    struct File {
        seed: String,
        issuer_secret_key_pem: String,
        cases: Vec<Case>,
    }
    let file: File = read("tokens.json");
    let key = blindpost::blind_rsa::SecretKey::from_pkcs8_pem(&file.issuer_secret_key_pem)
        .unwrap()
        .public_key()
        .clone();
    let n = key.modulus_be();
    let k = n.len();
    assert_eq!(
        (k, n[0] >= 0x80),
        (256, true),
        "a 2048-bit modulus: no bits to clear"
    );
    let below_n = |be: &[u8]| be.iter().any(|&b| b != 0) && be < &n[..];

    let mut s = Stream::new(&file.seed);
    for (i, case) in file.cases.iter().enumerate() {
        // The client (6.2 and 5.3): nonce, salt, then k-byte big-endian candidates for r.
        let nonce = s.take(32);
        let salt = s.take(48);
        let mut drawn = [nonce.clone(), salt.clone()].concat();
        let blind = loop {
            let candidate = s.take(k);
            drawn.extend_from_slice(&candidate);
            if below_n(&candidate) {
                break candidate;
            }
        };
        assert_eq!(drawn, unhex(&case.client_random), "case {i}");
        assert_eq!(
            (nonce, salt, blind),
            (unhex(&case.nonce), unhex(&case.salt), unhex(&case.blind))
        );
        // The issuer's BlindSign (6.7): k-byte little-endian candidates for its blinding factor
        // until one is below n, then 4 x 16 bytes of exponent and modulus blinding.
        let mut issuer_draws = 64;
        loop {
            let mut candidate = s.take(k);
            issuer_draws += k;
            candidate.reverse();
            if below_n(&candidate) {
                break;
            }
        }
        s.take(64);
        if i == 0 {
            // SPEC.md 6.7 states the counts: the issuer's first candidate is not below n, so
            // the discovery request starts 336 + 576 bytes in.
            assert_eq!((drawn.len(), issuer_draws), (336, 2 * 256 + 64));
        }
    }
}

/// registration.json (SPEC.md 2.5): the server's BLS issuer key is the first draw of its
/// stream, and each client's identity key the first draw of its own.
#[test]
fn registration_identity_keys_are_first_draws() {
    #[derive(Deserialize)]
    struct Server {
        certificate_issuer_secret_key: String,
    }
    #[derive(Deserialize)]
    struct ClientJson {
        seed: String,
        identity_secret_key: String,
    }
    #[derive(Deserialize)]
    struct File {
        seed: String,
        server: Server,
        clients: Vec<ClientJson>,
    }
    let file: File = read("registration.json");
    let key_gen = |seed: &str| {
        let ikm = Stream::new(seed).take(32);
        let key = blindpost::bls::SecretKey::key_gen(&ikm, b"").unwrap();
        hex::encode(*key.to_bytes())
    };
    assert_eq!(
        key_gen(&format!("{}/server", file.seed)),
        file.server.certificate_issuer_secret_key
    );
    assert_eq!(file.clients.len(), 3);
    for client in &file.clients {
        assert!(client.seed.starts_with(&file.seed));
        assert_eq!(key_gen(&client.seed), client.identity_secret_key);
    }
}
