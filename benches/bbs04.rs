//! BBS04 benchmarks (criterion). The floor, a 2-term multi-Miller loop plus final
//! exponentiation with the G2 side prepared, runs in the same group so ratios come from one run.
//!
//! `cargo bench --bench bbs04 -- --quick` for a fast pass. The group is named after the backend
//! the library runs on, `bbs04/bls12_381` or, with `--features blst`, `bbs04/blst`, which also
//! times the floor on blst (`floor_mml2_fe_blst`).

use blindpost::bbs04::{BatchEntry, GroupManagerKey, PreparedGroupKey, Signer};
use blindpost::vector_rng::VectorRng;
use bls12_381::{multi_miller_loop, G1Affine, G2Affine, G2Prepared, Scalar};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use std::time::Duration;

#[cfg(feature = "blst")]
#[path = "../examples/perf/blst_floor.rs"]
mod blst_floor;

/// The curve backend the library was built with (SPEC.md 2.6).
const BACKEND: &str = if cfg!(feature = "blst") {
    "blst"
} else {
    "bls12_381"
};

fn bbs04(c: &mut Criterion) {
    let mut rng = VectorRng::new(b"bench bbs04");
    let manager = GroupManagerKey::generate(&mut rng);
    let members = manager.issue_members(&mut rng, 4);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    let signer = Signer::new(&members[0], &prepared).unwrap();
    let (ctx, msg) = (b"bench context".as_slice(), b"bench message".as_slice());
    let signature = signer.sign(&mut rng, ctx, msg).unwrap();

    let p1 = G1Affine::from(G1Affine::generator() * Scalar::from(5u64));
    let p2 = G1Affine::from(G1Affine::generator() * Scalar::from(7u64));
    let q1 = G2Prepared::from(G2Affine::generator());
    let q2 = G2Prepared::from(G2Affine::from(G2Affine::generator() * Scalar::from(3u64)));

    let mut g = c.benchmark_group(format!("bbs04/{BACKEND}"));
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("floor_mml2_fe", |b| {
        b.iter(|| multi_miller_loop(black_box(&[(&p1, &q1), (&p2, &q2)])).final_exponentiation())
    });
    #[cfg(feature = "blst")]
    {
        let terms = blst_floor::Terms::new();
        g.bench_function("floor_mml2_fe_blst", |b| {
            b.iter(|| black_box(&terms).product())
        });
    }
    g.bench_function("keygen_and_issue_200", |b| {
        b.iter(|| {
            let m = GroupManagerKey::generate(&mut rng);
            m.issue_members(&mut rng, 200)
        })
    });
    g.bench_function("issue_member", |b| {
        b.iter(|| manager.issue_member(&mut rng))
    });
    g.bench_function("sign_signer", |b| {
        b.iter(|| signer.sign(&mut rng, ctx, black_box(msg)).unwrap())
    });
    g.bench_function("sign_one_shot", |b| {
        b.iter(|| {
            members[1]
                .sign(&mut rng, &prepared, ctx, black_box(msg))
                .unwrap()
        })
    });
    g.bench_function("signer_new", |b| {
        b.iter(|| Signer::new(&members[2], &prepared).unwrap())
    });
    g.bench_function("verify_prepared", |b| {
        b.iter(|| prepared.verify(ctx, msg, black_box(&signature)).unwrap())
    });
    let batch: Vec<_> = (0..16)
        .map(|_| signer.sign(&mut rng, ctx, msg).unwrap())
        .collect();
    let entries: Vec<BatchEntry<'_>> = batch
        .iter()
        .map(|signature| BatchEntry {
            context: ctx,
            message: msg,
            signature,
        })
        .collect();
    // 16 signatures verified together (SPEC.md 4.16): divide by 16 to compare with
    // `verify_prepared`.
    g.bench_function("verify_batch16", |b| {
        b.iter(|| prepared.verify_batch(&mut rng, black_box(&entries)))
    });
    g.bench_function("prepare_group_key", |b| {
        b.iter(|| PreparedGroupKey::new(black_box(manager.public_key().clone())))
    });
    g.bench_function("open", |b| b.iter(|| manager.open(black_box(&signature))));
    g.bench_function("revoke_and_update", |b| {
        b.iter_batched(
            || manager.clone(),
            |mut m| {
                let old = m.public_key().clone();
                let record = m.revoke(&members[3]).unwrap();
                members[0].update(&record, &old).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bbs04);
criterion_main!(benches);
