//! The adversary against whole populations, in both host modes.

use blindpost::simulation::adversary::{score, KindScore};
use blindpost::simulation::population::{run, HostMode, PopulationConfig};

fn figures(mode: HostMode) -> Vec<KindScore> {
    let outcome = run(&PopulationConfig {
        seed: "privacy test".into(),
        phones: 24,
        days: 3,
        mode,
    });
    let scores = score(&outcome.log, &outcome.truth);
    for s in &scores {
        eprintln!("{mode:?} {:?}: actions {} rate {:.3} chance {:.3}", s.kind, s.actions, s.rate, s.chance);
    }
    scores
}

#[test]
fn send_at_once() {
    figures(HostMode::SendAtOnce);
}
