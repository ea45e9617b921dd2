//! Constant time, measured (issue 17, item 8): a dudect-style check of the operations that
//! handle long-term secrets, for the curve backend compiled in (`cargo run --release --example
//! ct`, and again with `--features blst` for the blst backend; the code only calls the public
//! API, so it measures whatever sits behind `src/curve`).
//!
//! For each operation, two classes of secret inputs are measured interleaved in a seeded random
//! order: class 0 fixes the secret, class 1 draws it from a pool. Welch's t statistic between
//! the two classes' running times is computed over all measurements and over the measurements
//! below several percentiles (cropping, as dudect does, discards the heavy tail other processes
//! add). An operation whose time depends on its secret shows a growing |t|; `max_abs_t` below
//! 4.5 is the usual bar for "no leak found at this count".
//!
//! Everything but the secret is held equal between the classes (SPEC.md 16):
//! - the fixed class draws from `POOL` copies of its one key, at distinct addresses, as the
//!   random class draws from `POOL` different keys, both pools cloned alternately, so both touch
//!   as much memory laid out alike;
//! - every call is prepared before any is timed, so no setup runs just before a timed call;
//! - public inputs and outputs vary in both classes (fresh nonces, messages, signatures), except
//!   in `bbs04_sign_nonces`, whose secret is the nonce stream itself.
//!
//! Prints `ct.<operation>.max_abs_t` and `ct.<operation>.measurements`. The count per
//! operation is the first argument (default 2000, split about evenly between the classes); a
//! second argument measures only the operations whose names contain it.
//!
//! - `bbs04_sign`: member signing, by member key; fixed = copies of one signer, random = 8
//!   members of one group; fresh nonces in both.
//! - `bbs04_sign_nonces`: member signing, by nonces; copies of one signer in both; fixed = one
//!   nonce stream, random = fresh streams. A fixed stream fixes the signature and its R3, whose
//!   GT encoding on `bls12_381` goes through `Display` and branches on its digits: R3 is public
//!   (every verifier recomputes it), so this line counts toward the verdict on blst only.
//! - `bbs04_open`: manager open; fixed = copies of one manager opening signatures of its group,
//!   random = 8 managers opening signatures of theirs.
//! - `bbs04_revoke`: revocation; the same managers revoking one of their members (each manager
//!   is cloned outside the timed call).
//! - `rsa_blind_sign`: blind RSA signing (2048 bits); fixed = copies of one key, random = 4
//!   keys; fresh blinded messages and blinding in both.

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

/// A group's member keys and a signature by each.
type Group = (Vec<MemberKey>, Vec<GroupSignature>);

/// Keys in each class's pool (see [`pools`]).
const POOL: usize = 8;

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

/// What to measure: the calls per operation and, if given, the text an operation's name must
/// contain.
struct Plan {
    measurements: usize,
    only: Option<String>,
}

/// Runs `plan.measurements` calls, each of a class chosen by a seeded coin. Every call is
/// prepared first (`prepare(class, coin)` returns it, untimed), then all are timed in the
/// prepared order, so that no class's setup runs just before its timed call (setup work evicts
/// caches and trains branch predictors, and for sub-millisecond calls that alone moves |t|).
/// Returns 0 for an operation the plan leaves out.
fn measure<F, G>(name: &str, plan: &Plan, mut prepare: F) -> f64
where
    F: FnMut(usize, &mut VectorRng) -> G,
    G: FnOnce(),
{
    if plan.only.as_ref().is_some_and(|only| !name.contains(only)) {
        return 0.0;
    }
    let measurements = plan.measurements;
    let mut coin = VectorRng::new(format!("ct classes {name}").as_bytes());
    let calls: Vec<(usize, G)> = (0..measurements)
        .map(|_| {
            let class = usize::from(coin.next_u32() & 1 == 1);
            (class, prepare(class, &mut coin))
        })
        .collect();
    let mut samples = Samples::default();
    for (class, call) in calls {
        let start = Instant::now();
        call();
        samples.class[class].push(start.elapsed().as_secs_f64());
    }
    let t = samples.max_abs_t();
    println!("ct.{name}.max_abs_t {t:.2}");
    println!("ct.{name}.measurements {measurements}");
    t
}

/// The two classes' pools of keys: copies of `keys[0]` for the fixed class and copies of every
/// key for the random class, cloned alternately so that both pools lie in memory alike. Equal
/// pools make both classes touch as much memory (a single fixed key would stay in cache while a
/// pool of keys would not), and cloning them together keeps one pool's alignment or cache sets
/// from favouring it; either would time the classes apart whatever the keys' values.
fn pools<T: Clone>(keys: &[T]) -> [Vec<T>; 2] {
    let mut pools = [Vec::new(), Vec::new()];
    for key in keys {
        pools[0].push(keys[0].clone());
        pools[1].push(key.clone());
    }
    pools
}

/// A fresh 32-byte seed for a random stream.
fn fresh_seed(rng: &mut VectorRng) -> [u8; 32] {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    seed
}

/// A random index into a pool.
fn pick(coin: &mut VectorRng, len: usize) -> usize {
    coin.next_u32() as usize % len
}

fn main() {
    let mut args = std::env::args().skip(1);
    let plan = Plan {
        measurements: args
            .next()
            .map(|a| a.parse().expect("the measurement count is a number"))
            .unwrap_or(DEFAULT_MEASUREMENTS),
        only: args.next(),
    };
    let mut rng = VectorRng::new(b"ct setup");
    let (context, message) = (b"ct context".as_slice(), b"ct message".as_slice());
    let mut worst = 0.0f64;

    // Member signing.
    let manager = GroupManagerKey::generate(&mut rng);
    let group = PreparedGroupKey::new(manager.public_key().clone());
    let signers: Vec<Signer> = manager
        .issue_members(&mut rng, POOL)
        .iter()
        .map(|m| Signer::new(m, &group).unwrap())
        .collect();
    let signer_pools = pools(&signers);
    let mut streams = VectorRng::new(b"ct nonces");
    worst = worst.max(measure("bbs04_sign", &plan, |class, coin| {
        let signer = &signer_pools[class][pick(coin, POOL)];
        let mut nonces = VectorRng::new(&fresh_seed(&mut streams));
        move || {
            black_box(signer.sign(&mut nonces, context, message).unwrap());
        }
    }));
    let nonce_test = measure("bbs04_sign_nonces", &plan, |class, coin| {
        let signer = &signer_pools[0][pick(coin, POOL)];
        let seed = if class == 0 {
            FIXED_SEED
        } else {
            fresh_seed(&mut streams)
        };
        let mut nonces = VectorRng::new(&seed);
        move || {
            black_box(signer.sign(&mut nonces, context, message).unwrap());
        }
    });
    if cfg!(feature = "blst") {
        worst = worst.max(nonce_test);
    }

    // Manager open and revocation: managers with members and a signature by each.
    let (manager_keys, groups): (Vec<GroupManagerKey>, Vec<Group>) = (0..POOL)
        .map(|_| {
            let m = GroupManagerKey::generate(&mut rng);
            let g = PreparedGroupKey::new(m.public_key().clone());
            let keys = m.issue_members(&mut rng, POOL);
            let sigs = keys
                .iter()
                .map(|k| k.sign(&mut rng, &g, context, message).unwrap())
                .collect();
            (m, (keys, sigs))
        })
        .unzip();
    let manager_pools = pools(&manager_keys);
    // A manager of the class's pool, its group's members and signatures (group 0's for class
    // 0), and the index of one of them.
    let pick_manager = |class: usize, coin: &mut VectorRng| {
        let slot = pick(coin, POOL);
        let group = if class == 0 { 0 } else { slot };
        (
            &manager_pools[class][slot],
            &groups[group],
            pick(coin, POOL),
        )
    };
    worst = worst.max(measure("bbs04_open", &plan, |class, coin| {
        let (manager, (_, sigs), s) = pick_manager(class, coin);
        let signature = &sigs[s];
        move || {
            black_box(manager.open(black_box(signature)));
        }
    }));
    worst = worst.max(measure("bbs04_revoke", &plan, |class, coin| {
        let (manager, (keys, _), k) = pick_manager(class, coin);
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
    let key_pools = pools(&keys);
    let mut messages = VectorRng::new(b"ct messages");
    worst = worst.max(measure("rsa_blind_sign", &plan, |class, coin| {
        let key = &key_pools[class][pick(coin, key_pools[class].len())];
        let input = blind_rsa::prepare(Variant::Sha384PssDeterministic, &mut messages, b"ct");
        let (blinded, _) = blind_rsa::blind(
            key.public_key(),
            Variant::Sha384PssDeterministic,
            &mut messages,
            &input,
        )
        .unwrap();
        let mut signing = VectorRng::new(&fresh_seed(&mut messages));
        move || {
            black_box(key.blind_sign(&mut signing, black_box(&blinded)).unwrap());
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
