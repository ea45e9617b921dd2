//! The store conformance suite for real engines.
//!
//! `blindpost::store::conformance::run` checks a [`Store`] through its API alone. A store over a
//! real engine must also keep its promises when the engine misbehaves: many threads and two
//! processes racing, connections cut in the middle of an operation, the engine restarted between
//! two operations (and, for Redis Cluster, a master failed over). An [`Engine`] gives the suite
//! the handles it needs for that.

pub mod engines;

use blindpost::store::{Store, StoreError};

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

/// What a protocol conversation on a store did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// Deliveries the server produced.
    pub deliveries: usize,
}

/// Runs every generic check on `engine` in this process (INTERFACE STUB: the suite engineer
/// replaces the body).
pub fn run_suite<E: Engine>(engine: &E) -> Result<(), SuiteFailure> {
    let _ = engine;
    unimplemented!("run_suite: issue 15 suite work in progress")
}

/// Races this process against a child running the same test (INTERFACE STUB).
pub fn process_race<E: Engine>(engine: &E, test_name: &str) -> Result<(), SuiteFailure> {
    let _ = (engine, test_name);
    unimplemented!("process_race: issue 15 suite work in progress")
}

/// A small population run on `store`, checked (INTERFACE STUB).
pub fn conversation<S: Store + 'static>(store: S) -> Result<Conversation, SuiteFailure> {
    let _ = store;
    unimplemented!("conversation: issue 15 suite work in progress")
}

/// Passes a found engine through; a missing one fails under `CI=true` and is skipped otherwise
/// (INTERFACE STUB).
pub fn require<E>(engine: Option<E>, variable: &str) -> Option<E> {
    let _ = variable;
    engine
}
