//! Two processes racing on one namespace: the test binary re-runs one test as a child.

use crate::{deadline, fail, unique_namespace, Engine, SuiteFailure};
use blindpost::store::{read_counter, Store};
use blindpost::Time;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the child: the namespace to race on.
const CHILD_NAMESPACE: &str = "BLINDPOST_SUITE_CHILD";
/// Set in the child: the file it writes its results to.
const CHILD_RESULTS: &str = "BLINDPOST_SUITE_CHILD_RESULTS";
const CHECK: &str = "process race";
const LIMIT: u64 = 1000;
const CONTESTED_KEYS: u32 = 200;

/// Races this process against a child running the same test: both add 1 to a counter limited
/// to 1000 until refused and insert the same 200 keys. Call it from `#[test] fn <test_name>()`;
/// in the child (env `BLINDPOST_SUITE_CHILD`) it runs the child's half and returns. Passes
/// without racing if the engine is not shared by processes.
pub fn process_race<E: Engine>(engine: &E, test_name: &str) -> Result<(), SuiteFailure> {
    if !engine.shared_by_processes() {
        return Ok(());
    }
    if let Ok(namespace) = std::env::var(CHILD_NAMESPACE) {
        let results = std::env::var(CHILD_RESULTS).map_err(|e| fail(CHECK, e.to_string()))?;
        let (won, granted) = half(engine, &namespace, b"child")?;
        let text = format!("{granted}\n{}\n", join(&won));
        return std::fs::write(results, text).map_err(|e| fail(CHECK, e.to_string()));
    }
    let namespace = unique_namespace("process");
    let results = std::env::temp_dir().join(format!("{namespace}.results"));
    let exe = std::env::current_exe().map_err(|e| fail(CHECK, e.to_string()))?;
    let mut child = Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_NAMESPACE, &namespace)
        .env(CHILD_RESULTS, &results)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| fail(CHECK, format!("spawning the child: {e}")))?;
    let mine = half(engine, &namespace, b"parent");
    let status = wait(&mut child, deadline())?;
    let (won, granted) = mine?;
    if !status.success() {
        return Err(fail(CHECK, format!("the child exited with {status}")));
    }
    let text = std::fs::read_to_string(&results).map_err(|e| fail(CHECK, e.to_string()))?;
    let _ = std::fs::remove_file(&results);
    let mut lines = text.lines();
    let child_granted: u64 = lines
        .next()
        .and_then(|l| l.parse().ok())
        .ok_or_else(|| fail(CHECK, format!("child results {text:?}")))?;
    let child_won: Vec<u32> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| fail(CHECK, format!("child results {text:?}")))
        })
        .collect::<Result<_, _>>()?;
    let store = engine
        .open(&namespace)
        .map_err(|e| fail(CHECK, e.message))?;
    let now = Time::from_unix_secs(0);
    let counter = read_counter(&store, b"counter", now).map_err(|e| fail(CHECK, e.message))?;
    if counter != LIMIT || granted + child_granted != LIMIT {
        return Err(fail(
            CHECK,
            format!("limit {LIMIT}: counter {counter}, granted {granted} + {child_granted}"),
        ));
    }
    for key in 0..CONTESTED_KEYS {
        let by_parent = won.contains(&key);
        let by_child = child_won.contains(&key);
        let stored = store
            .get(&key.to_be_bytes(), now)
            .map_err(|e| fail(CHECK, e.message))?;
        let want: &[u8] = if by_parent { b"parent" } else { b"child" };
        if by_parent == by_child || stored.as_deref() != Some(want) {
            return Err(fail(
                CHECK,
                format!(
                    "key {key}: parent won {by_parent}, child won {by_child}, holds {stored:?}"
                ),
            ));
        }
    }
    Ok(())
}

/// One process's half: the contested keys it won and the additions granted to it.
fn half<E: Engine>(
    engine: &E,
    namespace: &str,
    me: &[u8],
) -> Result<(Vec<u32>, u64), SuiteFailure> {
    let store = engine.open(namespace).map_err(|e| fail(CHECK, e.message))?;
    let now = Time::from_unix_secs(0);
    let err = |e: blindpost::store::StoreError| fail(CHECK, e.message);
    let mut won = Vec::new();
    let mut granted = 0;
    // Interleaved so that both kinds of operation overlap with the other process.
    for key in 0..CONTESTED_KEYS {
        if store
            .insert_if_absent(&key.to_be_bytes(), me, None, now)
            .map_err(err)?
        {
            won.push(key);
        }
        for _ in 0..LIMIT / u64::from(CONTESTED_KEYS) {
            if store
                .add_within_limit(b"counter", 1, LIMIT, None, now)
                .map_err(err)?
                .is_some()
            {
                granted += 1;
            }
        }
    }
    // Then adds until refused (at most LIMIT + 1 attempts).
    for _ in 0..=LIMIT {
        match store
            .add_within_limit(b"counter", 1, LIMIT, None, now)
            .map_err(err)?
        {
            Some(_) => granted += 1,
            None => break,
        }
    }
    Ok((won, granted))
}

fn join(won: &[u32]) -> String {
    won.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Waits for the child until `until`, killing it if it runs over.
fn wait(
    child: &mut std::process::Child,
    until: Instant,
) -> Result<std::process::ExitStatus, SuiteFailure> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() > until => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(CHECK, "the child ran past the deadline"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(fail(CHECK, e.to_string())),
        }
    }
}
