//! BBS04 figures: the floor (a 2-term multi-Miller loop plus final exponentiation with the G2
//! side prepared), sign and verify measured interleaved with it, and keygen of a 200-member
//! group, open, and a revocation's checkpoint for a 200-member group (built by the manager,
//! caught up from by a member) on their own.
//!
//! Built with `--features blst`, the library runs on the blst backend (SPEC.md 2.6): the floor
//! is then also measured on blst (`floor_blst.mml2_fe_us`), the BBS04 lines are named
//! `bbs04_blst.*`, and their ratios are over the blst floor from the same interleaved run.

use crate::harness::{interleaved, Op, Report};
use blindpost::bbs04::{Checkpoint, GroupManagerKey, PreparedGroupKey, Signer};
use blindpost::vector_rng::VectorRng;
use bls12_381::{multi_miller_loop, G1Affine, G2Affine, G2Prepared, Scalar};
use std::hint::black_box;

/// Measures and prints this area's figures.
pub fn run(report: &mut Report) {
    let mut rng = VectorRng::new(b"perf bbs04");
    let manager = GroupManagerKey::generate(&mut rng);
    let member = manager.issue_member(&mut rng);
    let prepared = PreparedGroupKey::new(manager.public_key().clone());
    let signer = Signer::new(&member, &prepared).unwrap();
    let (context, message) = (b"perf context".as_slice(), b"perf message".as_slice());
    let signature = signer.sign(&mut rng, context, message).unwrap();

    // The floor: what any verification must do at least once.
    let p1 = G1Affine::from(G1Affine::generator() * Scalar::from(5u64));
    let p2 = G1Affine::from(G1Affine::generator() * Scalar::from(7u64));
    let q1 = G2Prepared::from(G2Affine::generator());
    let q2 = G2Prepared::from(G2Affine::from(G2Affine::generator() * Scalar::from(3u64)));

    #[cfg(feature = "blst")]
    let blst_floor = crate::blst_floor::Terms::new();

    let mut sign_rng = VectorRng::new(b"perf bbs04 sign");
    let mut oneshot_rng = VectorRng::new(b"perf bbs04 one-shot sign");
    let medians = {
        let mut ops: Vec<Op<'_>> = vec![
            (
                "floor",
                Box::new(|| {
                    black_box(multi_miller_loop(&[(&p1, &q1), (&p2, &q2)]).final_exponentiation());
                }),
            ),
            (
                "sign",
                Box::new(|| {
                    black_box(signer.sign(&mut sign_rng, context, message).unwrap());
                }),
            ),
            (
                "verify",
                Box::new(|| {
                    prepared
                        .verify(context, message, black_box(&signature))
                        .unwrap();
                }),
            ),
            (
                "sign_oneshot",
                Box::new(|| {
                    black_box(
                        member
                            .sign(&mut oneshot_rng, &prepared, context, message)
                            .unwrap(),
                    );
                }),
            ),
        ];
        #[cfg(feature = "blst")]
        ops.push((
            "floor_blst",
            Box::new(|| {
                black_box(blst_floor.product());
            }),
        ));
        interleaved(&mut ops, 41, 3)
    };
    let (floor, sign, verify, oneshot) = (medians[0], medians[1], medians[2], medians[3]);
    // The floor of the backend the library runs on.
    #[cfg(feature = "blst")]
    let backend_floor = medians[4];
    #[cfg(not(feature = "blst"))]
    let backend_floor = floor;
    let area = crate::harness::BBS04;

    // A 200-member group revokes one: the manager re-issues the 199 others' keys and builds
    // the checkpoint; a member catches up from generation 0 through it.
    let mut revoking = GroupManagerKey::generate(&mut rng);
    let group_members = revoking.issue_members(&mut rng, 200);
    revoking.revoke(&group_members[199]).unwrap();
    let remaining = &group_members[..199];
    let mut checkpoint_rng = VectorRng::new(b"perf bbs04 checkpoint");
    let next = revoking.reissue(remaining).unwrap();
    let checkpoint = Checkpoint::new(&mut checkpoint_rng, revoking.public_key(), &next).unwrap();

    let mut keygen_rng = VectorRng::new(b"perf bbs04 keygen");
    let mut open_ops: Vec<Op<'_>> = vec![
        (
            "keygen200",
            Box::new(|| {
                let m = GroupManagerKey::generate(&mut keygen_rng);
                black_box(m.issue_members(&mut keygen_rng, 200));
            }),
        ),
        (
            "open",
            Box::new(|| {
                black_box(manager.open(black_box(&signature)));
            }),
        ),
        (
            "checkpoint200",
            Box::new(|| {
                let keys = revoking.reissue(remaining).unwrap();
                black_box(
                    Checkpoint::new(&mut checkpoint_rng, revoking.public_key(), &keys).unwrap(),
                );
            }),
        ),
        (
            "catch_up",
            Box::new(|| {
                black_box(
                    group_members[0]
                        .catch_up(revoking.public_key(), black_box(&checkpoint))
                        .unwrap(),
                );
            }),
        ),
    ];
    let other = interleaved(&mut open_ops, 15, 1);

    report.figure("floor.mml2_fe_us", floor);
    #[cfg(feature = "blst")]
    report.figure("floor_blst.mml2_fe_us", backend_floor);
    let mut line = |name: &str, value: f64| report.figure(&format!("{area}.{name}"), value);
    line("keygen200_us", other[0]);
    line("sign_us", sign);
    line("verify_us", verify);
    line("open_us", other[1]);
    line("open_ratio", other[1] / backend_floor);
    line("checkpoint200_us", other[2]);
    line("catch_up_us", other[3]);
    line("sign_ratio", sign / backend_floor);
    line("verify_ratio", verify / backend_floor);
    line("sign_oneshot_us", oneshot);
    line("sign_oneshot_ratio", oneshot / backend_floor);
}
