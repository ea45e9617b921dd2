//! Constant time, measured (issue 17, item 8): a dudect-style check of the operations that
//! handle long-term secrets, for the curve backend compiled in (`cargo run --release --example
//! ct`, and again with `--features blst` for the blst backend; the code only calls the public
//! API, so it measures whatever sits behind `src/curve`).
//!
//! For each operation, two classes of secret inputs are measured interleaved in a seeded random
//! order: class 0 repeats one fixed secret input, class 1 draws a fresh one from a pool. Welch's
//! t statistic between the two classes' running times is computed over all measurements and
//! over the measurements below several percentiles (cropping, as dudect does, discards the
//! heavy tail other processes add). An operation whose time depends on its secret shows a
//! growing |t|; `max_abs_t` below 4.5 is the usual bar for "no leak found at this count".
//!
//! Prints `ct.<operation>.max_abs_t` and `ct.<operation>.measurements`. The count per
//! operation is the first argument (default 2000, split about evenly between the classes).
//!
//! - `bbs04_sign`: member signing; fixed = one member key and one fixed nonce stream, random =
//!   a member of a 16-member pool and fresh nonces.
//! - `bbs04_open`: manager open; fixed = one manager key and one signature, random = one of 8
//!   managers and one of its signatures.
//! - `bbs04_revoke`: revocation; fixed = one manager revoking one member, random = one of 8
//!   managers revoking one of its members (the manager is cloned outside the timed call).
//! - `rsa_blind_sign`: blind RSA signing (2048 bits); fixed = one key, one blinded message and
//!   one blinding stream, random = one of 4 keys, a fresh blinded message and fresh blinding.

use blindpost::bbs04::{GroupManagerKey, GroupSignature, MemberKey, PreparedGroupKey, Signer};
use blindpost::blind_rsa::{self, SecretKey, Variant};
use blindpost::vector_rng::VectorRng;
use rand_core::Rng;
use std::hint::black_box;
use std::time::Instant;

/// The bar: |t| above it means the classes' times differ (dudect's threshold).
const THRESHOLD: f64 = 4.5;

/// Measurements per operation unless the first argument says otherwise.
const DEFAULT_MEASUREMENTS: usize = 2000;

/// Percentiles the measurements are cropped at (1.0 keeps them all).
const CROPS: [f64; 6] = [1.0, 0.99, 0.95, 0.9, 0.75, 0.5];

/// The seed of class 0's random stream. Both classes' streams are seeded with 32 bytes:
/// `VectorRng`'s cost per block depends on its seed's length (the seed stays in its SHA-256
/// prefix, and 57 buffered bytes plus the counter take two compressions where 40 take one), so
/// a shorter fixed seed made class 0 faster than class 1 whatever the secrets (|t| about 10 for
/// member signing at 40,000 measurements).
const FIXED_SEED: [u8; 32] = *b"ct: the fixed stream's 32 bytes.";

/// Running times of one operation, by class.
#[derive(Default)]
struct Samples {
    class: [Vec<f64>; 2],
}

impl Samples {
    /// The largest |t| over the crops.
    fn max_abs_t(&self) -> f64 {
        let mut all: Vec<f64> = self.class.iter().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        CROPS
            .iter()
            .map(|p| {
                let index = ((all.len() as f64 * p) as usize).clamp(1, all.len()) - 1;
                let limit = all[index];
                let [a, b] = &self.class;
                let keep = |v: &Vec<f64>| -> Vec<f64> {
                    v.iter().copied().filter(|x| *x <= limit).collect()
                };
                welch_t(&keep(a), &keep(b)).abs()
            })
            .fold(0.0, f64::max)
    }
}

/// Welch's t statistic between two samples (0 when either has fewer than two values).
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    if a.len() < 2 || b.len() < 2 {
        return 0.0;
    }
    let stats = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var / n)
    };
    let ((ma, va), (mb, vb)) = (stats(a), stats(b));
    if va + vb == 0.0 {
        return 0.0;
    }
    (ma - mb) / (va + vb).sqrt()
}

/// Runs `measurements` calls of `op(class, rng)`, each class chosen by a seeded coin, timing
/// only the call `op` returns (its setup runs untimed).
fn measure<F, G>(name: &str, measurements: usize, mut setup: F) -> f64
where
    F: FnMut(usize, &mut VectorRng) -> G,
    G: FnOnce(),
{
    let mut coin = VectorRng::new(format!("ct classes {name}").as_bytes());
    let mut samples = Samples::default();
    for _ in 0..measurements {
        let class = usize::from(coin.next_u32() & 1 == 1);
        let call = setup(class, &mut coin);
        let start = Instant::now();
        call();
        samples.class[class].push(start.elapsed().as_secs_f64());
    }
    let t = samples.max_abs_t();
    println!("ct.{name}.max_abs_t {t:.2}");
    println!("ct.{name}.measurements {measurements}");
    t
}

fn main() {
    let measurements = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("the measurement count is a number"))
        .unwrap_or(DEFAULT_MEASUREMENTS);
    let mut rng = VectorRng::new(b"ct setup");
    let (context, message) = (b"ct context".as_slice(), b"ct message".as_slice());
    let mut worst = 0.0f64;

    // Member signing.
    let manager = GroupManagerKey::generate(&mut rng);
    let group = PreparedGroupKey::new(manager.public_key().clone());
    let members: Vec<MemberKey> = manager.issue_members(&mut rng, 16);
    let signers: Vec<Signer> = members
        .iter()
        .map(|m| Signer::new(m, &group).unwrap())
        .collect();
    let mut nonces = VectorRng::new(b"ct nonces");
    worst = worst.max(measure("bbs04_sign", measurements, |class, coin| {
        let (signer, mut stream) = if class == 0 {
            (&signers[0], VectorRng::new(&FIXED_SEED))
        } else {
            let seed: [u8; 32] = std::array::from_fn(|_| nonces.next_u32() as u8);
            (
                &signers[coin.next_u32() as usize % 16],
                VectorRng::new(&seed),
            )
        };
        move || {
            black_box(signer.sign(&mut stream, context, message).unwrap());
        }
    }));

    // Manager open and revocation: 8 managers with 8 members and a signature by each.
    let managers: Vec<(GroupManagerKey, Vec<MemberKey>, Vec<GroupSignature>)> = (0..8)
        .map(|_| {
            let m = GroupManagerKey::generate(&mut rng);
            let g = PreparedGroupKey::new(m.public_key().clone());
            let keys = m.issue_members(&mut rng, 8);
            let sigs = keys
                .iter()
                .map(|k| k.sign(&mut rng, &g, context, message).unwrap())
                .collect();
            (m, keys, sigs)
        })
        .collect();
    let pick = |class: usize, coin: &mut VectorRng| {
        if class == 0 {
            (0, 0)
        } else {
            (coin.next_u32() as usize % 8, coin.next_u32() as usize % 8)
        }
    };
    worst = worst.max(measure("bbs04_open", measurements, |class, coin| {
        let (m, s) = pick(class, coin);
        let (manager, _, sigs) = &managers[m];
        let signature = &sigs[s];
        move || {
            black_box(manager.open(black_box(signature)));
        }
    }));
    worst = worst.max(measure("bbs04_revoke", measurements, |class, coin| {
        let (m, k) = pick(class, coin);
        let (manager, keys, _) = &managers[m];
        let mut manager = manager.clone();
        let member = &keys[k];
        move || {
            black_box(manager.revoke(black_box(member)).unwrap());
        }
    }));

    // Blind RSA signing: the two 2048-bit test keys and two generated ones.
    let mut keys = vec![
        SecretKey::from_pkcs8_pem(include_str!("../../test-vectors/token_keys/rsa2048-a.pem"))
            .unwrap(),
        SecretKey::from_pkcs8_pem(include_str!("../../test-vectors/token_keys/rsa2048-b.pem"))
            .unwrap(),
    ];
    for _ in 0..2 {
        keys.push(SecretKey::generate(&mut rng, 2048).unwrap());
    }
    let blinded = |key: &SecretKey, rng: &mut VectorRng| {
        let input = blind_rsa::prepare(Variant::Sha384PssDeterministic, rng, b"ct token");
        blind_rsa::blind(
            key.public_key(),
            Variant::Sha384PssDeterministic,
            rng,
            &input,
        )
        .unwrap()
        .0
    };
    let fixed_message = blinded(&keys[0], &mut VectorRng::new(b"ct fixed message"));
    let mut messages = VectorRng::new(b"ct messages");
    worst = worst.max(measure("rsa_blind_sign", measurements, |class, coin| {
        let (key, msg, mut signing_rng) = if class == 0 {
            (&keys[0], fixed_message.clone(), VectorRng::new(&FIXED_SEED))
        } else {
            let key = &keys[coin.next_u32() as usize % keys.len()];
            let seed: [u8; 32] = std::array::from_fn(|_| messages.next_u32() as u8);
            (key, blinded(key, &mut messages), VectorRng::new(&seed))
        };
        move || {
            black_box(key.blind_sign(&mut signing_rng, black_box(&msg)).unwrap());
        }
    }));

    println!(
        "ct.verdict {}",
        if worst < THRESHOLD {
            "no leak found"
        } else {
            "LEAK SUSPECTED"
        }
    );
}
