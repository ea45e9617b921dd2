//! Operations while the engine is disturbed (connections killed, a primary failed over).
//!
//! An operation that errs may or may not have happened. The workers retry it only where a
//! retry is safe, which is why each invariant is what it is:
//! - `insert_if_absent` of a key only this worker writes, always with the same value: a retry
//!   after an ambiguous failure finds the value already there (`false`) or writes it (`true`);
//!   either way the key ends up holding exactly that value.
//! - `add_within_limit` on a shared counter: a retry after an ambiguous failure may count the
//!   same addition twice. That over-counts, which only tightens a limit (the server refuses
//!   early, never lets more through). So the counter ends at exactly its limit (workers add
//!   until refused), never above it, and at least the granted additions.
//! - `replace_if_matches` along a chain only this worker advances: after an ambiguous failure
//!   the worker re-reads the value; if it moved to the new value the step happened. So the chain
//!   ends at exactly its number of steps, between the acknowledged steps and those plus the
//!   ambiguous ones.

use crate::{deadline, fail, retry, unique_namespace, Engine, SuiteFailure};
use blindpost::store::{read_counter, Store};
use blindpost::Time;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WORKERS: usize = 4;
const KEYS_PER_WORKER: u32 = 40;
const LIMIT: u64 = 120;
const CHAIN_STEPS: u64 = 20;
/// How many times the disturbance fires at most in one check.
const DISTURBANCES: u32 = 5;

/// The invariants of the module doc while `kill_connections` fires.
pub(crate) fn killed_connections<E: Engine>(engine: &E) -> Result<(), SuiteFailure> {
    workload(engine, "killed connections", |e: &E| e.kill_connections())
}

/// The invariants of the module doc while `fail_over` fires (skipped if it does nothing).
pub(crate) fn fail_over<E: Engine>(engine: &E) -> Result<(), SuiteFailure> {
    workload(engine, "fail-over", |e: &E| e.fail_over())
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    granted: u64,
    chain_acknowledged: u64,
    chain_ambiguous: u64,
    errors: u64,
}

fn workload<E: Engine>(
    engine: &E,
    check: &'static str,
    disturb: fn(&E) -> Result<bool, String>,
) -> Result<(), SuiteFailure> {
    let namespace = unique_namespace("disturbed");
    let now = Time::from_unix_secs(0);
    let until = deadline();
    let mut errors = 0;
    let store = retry(check, until, &mut errors, || engine.open(&namespace))?;
    // A handle (its own pool) per worker, where the engine allows more than one.
    let extra = if engine.shared_by_handles() {
        WORKERS
    } else {
        0
    };
    let stores = (0..extra)
        .map(|_| retry(check, until, &mut errors, || engine.open(&namespace)))
        .collect::<Result<Vec<_>, _>>()?;
    let done = AtomicBool::new(false);
    let (tallies, fired) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let store = stores.get(w).unwrap_or(&store);
                scope.spawn(move || worker(store, w, check, until))
            })
            .collect();
        let disturber = scope.spawn(|| {
            let mut fired = 0u32;
            for _ in 0..DISTURBANCES {
                std::thread::sleep(Duration::from_millis(30));
                if done.load(Ordering::Relaxed) {
                    break;
                }
                match disturb(engine) {
                    Ok(true) => fired += 1,
                    Ok(false) => break,
                    Err(e) => return Err(fail(check, format!("disturbing the engine: {e}"))),
                }
            }
            Ok(fired)
        });
        let tallies: Vec<_> = workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(fail(check, "a worker panicked")))
            })
            .collect();
        done.store(true, Ordering::Relaxed);
        let fired = disturber
            .join()
            .unwrap_or_else(|_| Err(fail(check, "the disturber panicked")));
        (tallies, fired)
    });
    let fired = fired?;
    if fired == 0 && check == "fail-over" {
        return Ok(());
    }
    let mut granted = 0;
    for (w, tally) in tallies.into_iter().enumerate() {
        let tally = tally?;
        granted += tally.granted;
        errors += tally.errors;
        for k in 0..KEYS_PER_WORKER {
            let got = retry(check, until, &mut errors, || store.get(&key(w, k), now))?;
            if got != Some(key(w, k)) {
                return Err(fail(check, format!("worker {w} key {k} reads {got:?}")));
            }
        }
        let chain = retry(check, until, &mut errors, || {
            read_counter(&store, &chain_key(w), now)
        })?;
        let acknowledged = tally.chain_acknowledged;
        if chain != CHAIN_STEPS
            || chain < acknowledged
            || chain > acknowledged + tally.chain_ambiguous
        {
            return Err(fail(
                check,
                format!(
                    "worker {w} chain at {chain}: {acknowledged} steps acknowledged, {} ambiguous",
                    tally.chain_ambiguous
                ),
            ));
        }
    }
    let counter = retry(check, until, &mut errors, || {
        read_counter(&store, b"counter", now)
    })?;
    if counter != LIMIT || granted > LIMIT {
        return Err(fail(
            check,
            format!("limit {LIMIT}: counter {counter}, {granted} additions granted"),
        ));
    }
    Ok(())
}

fn key(worker: usize, k: u32) -> Vec<u8> {
    format!("key {worker} {k}").into_bytes()
}

fn chain_key(worker: usize) -> Vec<u8> {
    format!("chain {worker}").into_bytes()
}

fn worker<S: Store>(
    store: &S,
    w: usize,
    check: &'static str,
    until: Instant,
) -> Result<Tally, SuiteFailure> {
    let now = Time::from_unix_secs(0);
    let mut tally = Tally::default();
    let errors = &mut tally.errors;
    for k in 0..KEYS_PER_WORKER {
        let key = key(w, k);
        retry(check, until, errors, || {
            store.insert_if_absent(&key, &key, None, now)
        })?;
    }
    // Adds until refused; every ambiguous attempt may count once more, so the attempts are
    // bounded by the limit plus the tries retry allows.
    while retry(check, until, errors, || {
        store.add_within_limit(b"counter", 1, LIMIT, None, now)
    })?
    .is_some()
    {
        tally.granted += 1;
        if tally.granted > LIMIT {
            return Err(fail(check, "more additions granted than the limit"));
        }
    }
    let chain = chain_key(w);
    retry(check, until, errors, || {
        store.insert_if_absent(&chain, &0u64.to_be_bytes(), None, now)
    })?;
    let mut step = read_step(store, &chain, check, until, errors)?;
    while step < CHAIN_STEPS {
        if Instant::now() > until {
            return Err(fail(check, "deadline hit in the chain"));
        }
        let current = step.to_be_bytes();
        let next = (step + 1).to_be_bytes();
        match store.replace_if_matches(&chain, &current, &next, None, now) {
            Ok(true) => tally.chain_acknowledged += 1,
            Ok(false) => {
                return Err(fail(
                    check,
                    format!("worker {w} chain moved away from {step}"),
                ))
            }
            Err(_) => {
                *errors += 1;
                tally.chain_ambiguous += 1;
            }
        }
        // Re-reading settles an ambiguous step: the value is `step` or `step + 1`.
        step = read_step(store, &chain, check, until, errors)?;
    }
    Ok(tally)
}

fn read_step<S: Store>(
    store: &S,
    chain: &[u8],
    check: &str,
    until: Instant,
    errors: &mut u64,
) -> Result<u64, SuiteFailure> {
    retry(check, until, errors, || {
        read_counter(store, chain, Time::from_unix_secs(0))
    })
}
