//! Act 10: what the server could link. A population of phones (they sleep, go offline, restart,
//! keep their own clocks) uses the protocol for days; the traffic-analysis adversary reads the
//! server's whole log and guesses the sender of every cold call, reply, lookup and renewal.

use crate::host::{fail, Res};
use crate::walk::Walk;
use crate::{header, Options};
use blindpost::simulation::adversary::{score, KindScore};
use blindpost::simulation::population::{run, HostMode, PopulationConfig};

/// How many days the population runs.
const DAYS: u64 = 3;
/// The most a rate may exceed its chance rate (the bound).
const MARGIN: f64 = 0.05;

impl Walk {
    /// Act 10: runs the population with hosts that follow the schedule, prints
    /// `link.<kind>.rate` and `link.<kind>.chance` per kind, and fails if a rate exceeds its
    /// chance by more than [`MARGIN`]. For contrast (in verbose mode) the same population with
    /// hosts that send everything at once.
    pub fn act10_link(&mut self, options: &Options) -> Res<()> {
        header(10, "What the server could link");
        say!(self, "{} phones use the protocol for {DAYS} days: they sleep at night and go offline for hours,", options.population);
        say!(self, "restart from their state blob, keep clocks up to 2 minutes off. The server logs every request");
        say!(self, "(arrival, channel, account, type, size, fields), every delivery and when each device is connected.");
        say!(self, "The adversary tries adjacency in time, counts, since-generation values, sizes, timestamp");
        say!(self, "offsets and the intersection of online times, and guesses one sender per anonymous action.");
        say!(self, "rate: share guessed right (a tie among k counts 1/k); chance: mean 1/candidates, the candidates");
        say!(self, "being the registered accounts online at arrival that are not the recipient (for an accepted lookup:");
        say!(
            self,
            "holding discovery tokens of the window), at every request carrying the same token."
        );
        let config = |mode| PopulationConfig {
            seed: options.seed.clone(),
            phones: options.population,
            days: DAYS,
            mode,
        };
        if !self.quiet {
            let control = figures(&config(HostMode::SendAtOnce));
            out!("  hosts that send everything at once (the control):");
            for s in &control {
                out!(
                    "    {:<10} {:>5} actions  rate {:.3}  chance {:.3}",
                    s.kind.name(),
                    s.actions,
                    s.rate,
                    s.chance
                );
            }
            out!("  hosts that follow the schedule:");
        }
        let scheduled = figures(&config(HostMode::Scheduled));
        for s in &scheduled {
            out!("link.{}.rate {:.3}", s.kind.name(), s.rate);
            out!("link.{}.chance {:.3}", s.kind.name(), s.chance);
        }
        let over: Vec<&KindScore> = scheduled
            .iter()
            .filter(|s| s.rate > s.chance + MARGIN)
            .collect();
        if let Some(first) = over.first() {
            return Err(fail(format!(
                "the server links {} kind(s) above chance + {MARGIN}, first: {} at {:.3} (chance {:.3})",
                over.len(),
                first.kind.name(),
                first.rate,
                first.chance
            )));
        }
        self.end_act("10 what the server could link");
        Ok(())
    }
}

fn figures(config: &PopulationConfig) -> Vec<KindScore> {
    let outcome = run(config);
    score(&outcome.log, &outcome.truth)
}
