//! The store conformance suite for real engines.
//!
//! `blindpost::store::conformance::run` checks a [`Store`] through its API alone. A store over a
//! real engine must also keep its promises when the engine misbehaves: many threads and two
//! processes racing, connections cut in the middle of an operation, the engine restarted between
//! two operations (and, for Redis Cluster, a master failed over). An [`Engine`] gives the suite
//! the handles it needs for that.

mod conversation;
mod disturbed;
pub mod engines;
mod listed;
pub mod memory;
mod process;
mod races;

pub use conversation::{conversation, Conversation};
pub use listed::Listed;
pub use process::process_race;

use blindpost::store::{Store, StoreError};
use std::time::{Duration, Instant};

/// A running database engine the suite can open stores on and disturb.
pub trait Engine: Sync {
    /// The store this engine backs.
    type Store: Store + 'static;

    /// Short name for check names and perf lines (`embedded`, `postgres`, `redis_cluster`).
    fn name(&self) -> &'static str;

    /// Opens a store over `namespace`. The same namespace names the same data across opens and
    /// across processes; different namespaces never see each other's entries (including in
    /// `entry_count` and `purge_expired`). A namespace never opened before is empty.
    fn open(&self, namespace: &str) -> Result<Self::Store, StoreError>;

    /// Stops the engine and starts it again. The caller drops every store it opened first when
    /// [`Engine::restart_needs_close`] says so (an embedded file locked by its handle).
    fn restart(&self) -> Result<(), String>;

    /// Whether stores must be dropped before [`Engine::restart`] (true for an embedded file).
    fn restart_needs_close(&self) -> bool {
        false
    }

    /// Cuts every client connection the engine holds now, as a network failure would. Returns
    /// `false` if the engine has no connections (an embedded store).
    fn kill_connections(&self) -> Result<bool, String>;

    /// Fails a primary over to its replica while clients keep running (Redis Cluster). Returns
    /// `false` if the engine has no replicas.
    fn fail_over(&self) -> Result<bool, String> {
        Ok(false)
    }

    /// Whether one process may hold two handles on the same namespace at once (false for an
    /// embedded file, which its engine locks to one handle); the thread races then share one.
    fn shared_by_handles(&self) -> bool {
        true
    }

    /// Whether two processes may open the same namespace at once (false for an embedded file,
    /// which its engine locks to one process); [`process_race`] passes without racing if not.
    fn shared_by_processes(&self) -> bool {
        true
    }
}

/// A check of the suite that a store over a real engine failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteFailure {
    /// Which check failed.
    pub check: String,
    /// What was observed.
    pub detail: String,
}

impl core::fmt::Display for SuiteFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "engine check '{}' failed: {}", self.check, self.detail)
    }
}

impl std::error::Error for SuiteFailure {}

/// How long one check may run before it fails (every loop also has a bounded count).
pub const CHECK_DEADLINE: Duration = Duration::from_secs(60);

/// How many times an operation that errs is tried before its check fails.
pub const MAX_ATTEMPTS: u32 = 100;

/// Runs every generic check on `engine` in this process: [`blindpost::store::conformance::run`]
/// on fresh namespaces, thread races through separate handles, operations while connections are
/// killed, acknowledged writes across a restart, and the same under fail-over if the engine has
/// replicas.
pub fn run_suite<E: Engine>(engine: &E) -> Result<(), SuiteFailure> {
    conformance(engine)?;
    races::thread_races(engine)?;
    disturbed::killed_connections(engine)?;
    restart(engine)?;
    disturbed::fail_over(engine)?;
    Ok(())
}

/// Passes a found engine through; a missing one fails under `CI=true` (naming `variable` and
/// `ci/engines.sh start`) and is skipped with a message otherwise.
pub fn require<E>(engine: Option<E>, variable: &str) -> Option<E> {
    if engine.is_some() {
        return engine;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{variable} is not set: start the engines with `ci/engines.sh start` and source target/engines/env");
    }
    eprintln!("skipped: {variable} is not set (start the engines with `ci/engines.sh start`)");
    None
}

/// A failure of `check`.
pub(crate) fn fail(check: &str, detail: impl Into<String>) -> SuiteFailure {
    SuiteFailure {
        check: check.to_string(),
        detail: detail.into(),
    }
}

/// A namespace no other check, run or process has used (for engine tests too): the process id, the clock and a counter.
pub fn unique_namespace(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

/// The deadline of a check started now.
pub(crate) fn deadline() -> Instant {
    Instant::now() + CHECK_DEADLINE
}

/// Runs `op` until it returns `Ok`, at most [`MAX_ATTEMPTS`] times and not past `until`,
/// counting the failed attempts in `errors`. Only for operations whose retry is safe (see the
/// callers).
pub(crate) fn retry<T>(
    check: &str,
    until: Instant,
    errors: &mut u64,
    mut op: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, SuiteFailure> {
    let mut last = String::new();
    for _ in 0..MAX_ATTEMPTS {
        if Instant::now() > until {
            return Err(fail(check, format!("deadline hit; last error: {last}")));
        }
        match op() {
            Ok(v) => return Ok(v),
            Err(e) => {
                *errors += 1;
                last = e.message;
                // Give a killed pool or a restarting engine a moment to come back.
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    Err(fail(
        check,
        format!("{MAX_ATTEMPTS} attempts failed; last error: {last}"),
    ))
}

/// `conformance::run` with every store on a namespace of its own.
fn conformance<E: Engine>(engine: &E) -> Result<(), SuiteFailure> {
    blindpost::store::conformance::run(|| {
        let namespace = unique_namespace("conformance");
        match engine.open(&namespace) {
            Ok(store) => store,
            // `run` takes an infallible maker; the panic names the engine and the error.
            Err(e) => panic!("{}: opening {namespace}: {}", engine.name(), e.message),
        }
    })
    .map_err(|f| fail("conformance", f.to_string()))
}

/// Entries written before a restart: every one must read back after it.
fn restart<E: Engine>(engine: &E) -> Result<(), SuiteFailure> {
    const CHECK: &str = "restart";
    const KEYS: u32 = 50;
    let until = deadline();
    let namespace = unique_namespace("restart");
    let now = blindpost::Time::from_unix_secs(1_000);
    let later = blindpost::Time::from_unix_secs(1_000_000);
    let mut errors = 0;
    let store = engine
        .open(&namespace)
        .map_err(|e| fail(CHECK, e.message))?;
    let value = |i: u32| format!("value {i}").into_bytes();
    for i in 0..KEYS {
        let key = format!("k{i}").into_bytes();
        if i % 2 == 0 {
            store.put(&key, &value(i), Some(later), now)
        } else {
            store.insert_if_absent(&key, &value(i), None, now).map(drop)
        }
        .map_err(|e| fail(CHECK, e.message))?;
    }
    store
        .add_within_limit(b"counter", 7, 100, Some(later), now)
        .map_err(|e| fail(CHECK, e.message))?;
    let kept = if engine.restart_needs_close() {
        drop(store);
        None
    } else {
        Some(store)
    };
    engine.restart().map_err(|e| fail(CHECK, e))?;
    let reopened = retry(CHECK, until, &mut errors, || engine.open(&namespace))?;
    let mut handles = vec![&reopened];
    handles.extend(kept.as_ref());
    for store in handles {
        for i in 0..KEYS {
            let key = format!("k{i}").into_bytes();
            let got = retry(CHECK, until, &mut errors, || store.get(&key, now))?;
            if got != Some(value(i)) {
                return Err(fail(CHECK, format!("k{i} read {got:?} after the restart")));
            }
        }
        let counter = retry(CHECK, until, &mut errors, || {
            blindpost::store::read_counter(store, b"counter", now)
        })?;
        if counter != 7 {
            return Err(fail(
                CHECK,
                format!("counter {counter} after the restart, not 7"),
            ));
        }
    }
    Ok(())
}
