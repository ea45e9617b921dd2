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
