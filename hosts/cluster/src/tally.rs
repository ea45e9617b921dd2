//! The run's accounting, shared by every simulated client: counters for the throughput lines
//! and the ledgers the checks compare at the end.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Where the run is: clients start new work only while [`Phase::Run`] lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Registration and lookups.
    Setup,
    /// The measured phase: cold calls, replies, double-spend attempts, faults.
    Run,
    /// No new messages: clients accept what arrives, release, renew and fetch until quiet.
    Drain,
    /// Everybody stops.
    Stop,
}

/// Counters and ledgers of one workload run.
#[derive(Debug)]
pub struct Tally {
    phase: Mutex<Phase>,
    /// Every request a link carried (sends, fetches, acknowledgements).
    pub requests: AtomicU64,
    /// Cold calls the server accepted (the sender saw `ColdCallSent`).
    pub cold_calls: AtomicU64,
    /// Replies the server accepted (the sender saw `ReplySent`).
    pub replies: AtomicU64,
    /// Requests that got no usable answer (transport failure or a store failure answer).
    pub failures: AtomicU64,
    /// Failures, refusals and client errors after the faults settled (see [`Tally::settled`]).
    pub errors_after_recovery: AtomicU64,
    /// Cold calls sent from a restored copy of a wallet, re-using a token already accepted.
    pub double_spends_tried: AtomicU64,
    /// Of those, the ones the server accepted.
    pub double_spent: AtomicU64,
    /// Clients that could not register (each counts as an error).
    pub unregistered: AtomicU64,
    /// Clients done with setup (registered and looked up, or failed).
    pub set_up: AtomicU64,
    /// Why errors counted (the first few of each kind), for the report on stderr.
    reasons: Mutex<std::collections::BTreeMap<String, u64>>,
    /// Set once the faults are over and the deployment answers again; errors count from then.
    settled: AtomicBool,
    /// Message ids whose cold call or reply the server accepted.
    accepted: Mutex<HashSet<u64>>,
    /// Message ids some recipient's client took in.
    received: Mutex<HashSet<u64>>,
    /// When the run phase started and ended.
    run_window: Mutex<(Option<Instant>, Option<Instant>)>,
    /// The counters when the run phase started and ended (requests, cold calls, replies).
    run_counts: Mutex<[(u64, u64, u64); 2]>,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            phase: Mutex::new(Phase::Setup),
            requests: AtomicU64::new(0),
            cold_calls: AtomicU64::new(0),
            replies: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            errors_after_recovery: AtomicU64::new(0),
            double_spends_tried: AtomicU64::new(0),
            double_spent: AtomicU64::new(0),
            unregistered: AtomicU64::new(0),
            set_up: AtomicU64::new(0),
            settled: AtomicBool::new(true),
            reasons: Mutex::new(std::collections::BTreeMap::new()),
            accepted: Mutex::new(HashSet::new()),
            received: Mutex::new(HashSet::new()),
            run_window: Mutex::new((None, None)),
            run_counts: Mutex::new([(0, 0, 0); 2]),
        }
    }
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Tally {
    /// The current phase.
    pub fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves to `phase`, noting the counters when the run phase starts and ends.
    pub fn set_phase(&self, phase: Phase) {
        let mut current = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        let counts = (
            self.requests.load(Ordering::Relaxed),
            self.cold_calls.load(Ordering::Relaxed),
            self.replies.load(Ordering::Relaxed),
        );
        let mut window = self.run_window.lock().unwrap_or_else(|e| e.into_inner());
        let mut run_counts = self.run_counts.lock().unwrap_or_else(|e| e.into_inner());
        if phase == Phase::Run && *current != Phase::Run {
            *window = (Some(Instant::now()), None);
            run_counts[0] = counts;
        }
        if *current == Phase::Run && phase != Phase::Run {
            window.1 = Some(Instant::now());
            run_counts[1] = counts;
        }
        *current = phase;
    }

    /// Requests, accepted cold calls and accepted replies per second over the run phase.
    pub fn rates(&self) -> (f64, f64, f64) {
        let window = *self.run_window.lock().unwrap_or_else(|e| e.into_inner());
        let [start, end] = *self.run_counts.lock().unwrap_or_else(|e| e.into_inner());
        let secs = match window {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64().max(1e-3),
            _ => return (0.0, 0.0, 0.0),
        };
        let per_s = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
        (
            per_s(start.0, end.0),
            per_s(start.1, end.1),
            per_s(start.2, end.2),
        )
    }

    /// Marks the deployment as disturbed (errors are expected until [`Tally::settle`]).
    pub fn disturb(&self) {
        self.settled.store(false, Ordering::SeqCst);
    }

    /// Marks the faults as over: from now on every error counts.
    pub fn settle(&self) {
        self.settled.store(true, Ordering::SeqCst);
    }

    /// Whether the faults are over.
    pub fn settled(&self) -> bool {
        self.settled.load(Ordering::SeqCst)
    }

    /// Counts one error: a failure, a refusal the workload did not ask for, or a client error.
    /// It counts against the run only once the faults have settled.
    pub fn error(&self, reason: impl Into<String>) {
        self.error_since(true, reason);
    }

    /// Counts one error of a request that started when the faults were over
    /// (`settled_at_start`) and failed now: a request sent during a fault that times out after
    /// it is the fault's, not an error after recovery.
    pub fn error_since(&self, settled_at_start: bool, reason: impl Into<String>) {
        if settled_at_start && self.settled() {
            bump(&self.errors_after_recovery);
            let mut reasons = self.reasons.lock().unwrap_or_else(|e| e.into_inner());
            *reasons.entry(reason.into()).or_default() += 1;
        }
    }

    /// The errors counted, by reason.
    pub fn reasons(&self) -> Vec<(String, u64)> {
        let reasons = self.reasons.lock().unwrap_or_else(|e| e.into_inner());
        reasons.iter().map(|(r, n)| (r.clone(), *n)).collect()
    }

    /// Notes that the server accepted message `id`.
    pub fn accepted(&self, id: u64) {
        self.accepted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
    }

    /// Notes that a recipient's client took in message `id`.
    pub fn received(&self, id: u64) {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
    }

    /// Accepted messages no recipient took in.
    pub fn deliveries_lost(&self) -> usize {
        let accepted = self.accepted.lock().unwrap_or_else(|e| e.into_inner());
        let received = self.received.lock().unwrap_or_else(|e| e.into_inner());
        accepted.difference(&received).count()
    }

    /// Messages the server accepted.
    pub fn accepted_count(&self) -> usize {
        self.accepted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}
