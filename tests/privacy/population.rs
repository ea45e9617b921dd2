//! The adversary against a population of phones, in both host modes: hosts that send
//! everything at once are linked, hosts that follow the schedule stay within chance.

use blindpost::simulation::adversary::{attribute, score, Fields, Kind, KindScore};
use blindpost::simulation::population::{run, HostMode, Outcome, PopulationConfig};

/// Small enough for a debug test run of seconds, large enough for dozens of actions a kind.
const PHONES: usize = 30;
const DAYS: u64 = 6;

fn outcome(mode: HostMode) -> Outcome {
    run(&PopulationConfig {
        seed: "privacy test".into(),
        phones: PHONES,
        days: DAYS,
        mode,
    })
}

fn figure(scores: &[KindScore], kind: Kind) -> KindScore {
    *scores
        .iter()
        .find(|s| s.kind == kind)
        .expect("a score per kind")
}

/// Scores the run, checking first that every action's sender could be named by chance (the
/// candidates are never empty) and that each kind occurred often enough to measure.
fn scores(outcome: &Outcome) -> Vec<KindScore> {
    for g in attribute(&outcome.log) {
        assert!(g.candidates >= 1, "request {} has no candidate", g.request);
    }
    let scores = score(&outcome.log, &outcome.truth);
    for s in &scores {
        eprintln!(
            "{:<9} actions {:>4} rate {:.3} chance {:.3}",
            s.kind.name(),
            s.actions,
            s.rate,
            s.chance
        );
        assert!(
            s.actions >= 15,
            "too few {} actions: {}",
            s.kind.name(),
            s.actions
        );
    }
    scores
}

/// The control, as the first client behaved: hosts that ignore not-before times send a phone's
/// overdue releases and renewal checks in one burst when it wakes, and clients ask for discovery
/// tokens when their user looks up, then spend them at once. The adversary links renewals (and
/// with them, through the token, the cold calls they paid for) and lookups (one round trip after
/// their issuance, in counts that match it).
#[test]
fn hosts_sending_everything_at_once_have_their_lookups_and_renewals_linked() {
    let scores = scores(&outcome(HostMode::SendAtOnce));
    for kind in [Kind::Lookup, Kind::Renewal] {
        let s = figure(&scores, kind);
        assert!(s.rate >= 0.5, "{}: {s:?}", kind.name());
        assert!(s.rate > s.chance + 0.25, "{}: {s:?}", kind.name());
    }
}

/// Hosts that follow the host loop contract: nothing is linked beyond chance + 0.05, with the
/// stamp redemptions (SPEC.md 18.1) in the log and the adversary's stamp-period strategy on.
#[test]
fn hosts_following_the_schedule_stay_within_chance() {
    let outcome = outcome(HostMode::Scheduled);
    let redemptions = outcome
        .log
        .requests
        .iter()
        .filter(|r| r.accepted && matches!(r.fields, Fields::RedeemStamps { .. }))
        .count();
    eprintln!("redemptions {redemptions}");
    assert!(redemptions >= 10, "too few redemptions: {redemptions}");
    let scores = scores(&outcome);
    for s in scores {
        assert!(
            s.rate <= s.chance + 0.05,
            "{}: rate {} over chance {} + 0.05",
            s.kind.name(),
            s.rate,
            s.chance
        );
    }
}
