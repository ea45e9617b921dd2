//! One workload run over a link, phase by phase: setup (every client registers and looks up
//! its peers), the measured run (with the faults, if any, injected meanwhile), a bounded drain,
//! stop.

use crate::link::Link;
use crate::tally::{Phase, Tally};
use crate::workload::{run_client, ClientReport};
use blindpost::certificate::PhoneNumber;
use blindpost::wire::ServerKeys;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest setup (registrations and lookups of every client).
const SETUP_MAX: Duration = Duration::from_secs(180);
/// The shortest drain: time for the last releases and renewal checks.
const DRAIN_MIN: Duration = Duration::from_secs(4);
/// The longest drain.
const DRAIN_MAX: Duration = Duration::from_secs(30);
/// How long clients may take to stop once told.
const STOP_MAX: Duration = Duration::from_secs(30);

/// What a run leaves for the report: its accounting and every client's wallet.
pub struct Outcome {
    /// The counters and ledgers.
    pub tally: Arc<Tally>,
    /// One report per client.
    pub clients: Vec<ClientReport>,
}

/// Runs `phones.len()` clients over `link` for `seconds` of measured run, with `faults` running
/// alongside the run phase (the drain waits for it to end).
pub async fn run<L: Link, F: Future<Output = Result<(), String>>>(
    link: Arc<L>,
    keys: ServerKeys,
    phones: Arc<Vec<PhoneNumber>>,
    seconds: u64,
    tally: Arc<Tally>,
    faults: F,
) -> Result<Outcome, String> {
    let n = phones.len();
    let ready = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|me| {
            tokio::spawn(run_client(
                Arc::clone(&link),
                Arc::clone(&tally),
                keys.clone(),
                Arc::clone(&phones),
                me,
                Arc::clone(&ready),
            ))
        })
        .collect();
    let setup_start = Instant::now();
    let setup_end = setup_start + SETUP_MAX;
    while tally.set_up.load(Ordering::Relaxed) < n as u64 {
        if Instant::now() > setup_end {
            tally.set_phase(Phase::Stop);
            return Err(format!(
                "setup did not finish within {} s",
                SETUP_MAX.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("  setup took {:.1} s", setup_start.elapsed().as_secs_f64());
    tally.set_phase(Phase::Run);
    let schedule = async {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        tally.set_phase(Phase::Drain);
    };
    let (faulted, ()) = tokio::join!(faults, schedule);
    let drain_start = Instant::now();
    while drain_start.elapsed() < DRAIN_MAX {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if drain_start.elapsed() >= DRAIN_MIN && tally.deliveries_lost() == 0 {
            break;
        }
    }
    eprintln!("  drain took {:.1} s", drain_start.elapsed().as_secs_f64());
    tally.set_phase(Phase::Stop);
    let mut clients = Vec::with_capacity(n);
    for task in tasks {
        match tokio::time::timeout(STOP_MAX, task).await {
            Ok(Ok(report)) => clients.push(report),
            _ => return Err("a client did not stop".into()),
        }
    }
    faulted?;
    Ok(Outcome { tally, clients })
}
