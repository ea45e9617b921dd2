//! Eight threads racing on one namespace through two store handles (separate pools), or one
//! where the engine allows only one.

use crate::{deadline, fail, unique_namespace, Engine, SuiteFailure};
use blindpost::store::{read_counter, Store};
use blindpost::Time;
use std::time::Instant;

const THREADS: usize = 8;
const CONTESTED_KEYS: u32 = 20;
const LIMIT: u64 = 100;
const CAS_STEPS: u64 = 10;

/// Contested inserts (one winner each), a bounded counter (exactly its limit granted) and a
/// shared compare-and-swap chain (no lost step), each thread on one of the handles.
pub(crate) fn thread_races<E: Engine>(engine: &E) -> Result<(), SuiteFailure> {
    const CHECK: &str = "thread races";
    let namespace = unique_namespace("races");
    let count = if engine.shared_by_handles() { 2 } else { 1 };
    let handles = (0..count)
        .map(|_| engine.open(&namespace).map_err(|e| fail(CHECK, e.message)))
        .collect::<Result<Vec<_>, _>>()?;
    let now = Time::from_unix_secs(0);
    let until = deadline();
    handles[0]
        .put(b"cas", &0u64.to_be_bytes(), None, now)
        .map_err(|e| fail(CHECK, e.message))?;
    let results: Vec<Result<(Vec<u32>, u64), SuiteFailure>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = &handles[t % handles.len()];
                scope.spawn(move || race_worker(store, t, until))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(fail(CHECK, "a thread panicked")))
            })
            .collect()
    });
    let mut wins = vec![0u32; CONTESTED_KEYS as usize];
    let mut granted = 0;
    for result in results {
        let (won, grants) = result?;
        for key in won {
            wins[key as usize] += 1;
        }
        granted += grants;
    }
    if let Some(key) = wins.iter().position(|&w| w != 1) {
        return Err(fail(
            CHECK,
            format!("contested key {key} won {} times", wins[key]),
        ));
    }
    let store = &handles[0];
    let counter = read_counter(store, b"ctr", now).map_err(|e| fail(CHECK, e.message))?;
    if granted != LIMIT || counter != LIMIT {
        return Err(fail(
            CHECK,
            format!("limit {LIMIT}: {granted} additions granted, counter {counter}"),
        ));
    }
    let cas = read_counter(store, b"cas", now).map_err(|e| fail(CHECK, e.message))?;
    let want = THREADS as u64 * CAS_STEPS;
    if cas != want {
        return Err(fail(
            CHECK,
            format!("compare-and-swap chain at {cas}, not {want}"),
        ));
    }
    Ok(())
}

/// One thread's share: the contested keys it won and the counter additions granted to it.
fn race_worker<S: Store>(
    store: &S,
    thread: usize,
    until: Instant,
) -> Result<(Vec<u32>, u64), SuiteFailure> {
    const CHECK: &str = "thread races";
    let now = Time::from_unix_secs(0);
    let err = |e: blindpost::store::StoreError| fail(CHECK, e.message);
    let mut won = Vec::new();
    for key in 0..CONTESTED_KEYS {
        if store
            .insert_if_absent(&key.to_be_bytes(), &[thread as u8], None, now)
            .map_err(err)?
        {
            won.push(key);
        }
    }
    let mut granted = 0;
    // Every thread adds until refused: at most LIMIT + 1 attempts each.
    for _ in 0..=LIMIT {
        match store
            .add_within_limit(b"ctr", 1, LIMIT, None, now)
            .map_err(err)?
        {
            Some(_) => granted += 1,
            None => break,
        }
    }
    let mut done = 0;
    while done < CAS_STEPS {
        if Instant::now() > until {
            return Err(fail(CHECK, "deadline hit in the compare-and-swap chain"));
        }
        let current = store.get(b"cas", now).map_err(err)?.unwrap_or_default();
        let value = <[u8; 8]>::try_from(current.as_slice())
            .map_err(|_| fail(CHECK, format!("chain value {current:?} is not 8 bytes")))?;
        let next = (u64::from_be_bytes(value) + 1).to_be_bytes();
        if store
            .replace_if_matches(b"cas", &current, &next, None, now)
            .map_err(err)?
        {
            done += 1;
        }
    }
    Ok((won, granted))
}
