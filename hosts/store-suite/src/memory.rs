//! The in-process reference engine.

use crate::Engine;
use blindpost::store::{MemoryStore, Store, StoreError};
use blindpost::Time;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An engine over [`MemoryStore`]: namespaces are a map of shared stores; nothing to restart,
/// kill or share between processes. The suite's own tests run every check on it, and the perf
/// example uses it as the reference.
#[derive(Default)]
pub struct MemoryEngine {
    namespaces: Mutex<HashMap<String, Arc<MemoryStore>>>,
    /// Whether it claims that two processes see the same data: false (the default) is true of
    /// memory; true lets a test show that `process_race` catches an engine that lies.
    pub claims_shared: bool,
}

impl Engine for MemoryEngine {
    type Store = Shared;

    fn name(&self) -> &'static str {
        "memory"
    }

    fn open(&self, namespace: &str) -> Result<Self::Store, StoreError> {
        let mut map = self
            .namespaces
            .lock()
            .map_err(|_| StoreError::new("poisoned"))?;
        Ok(Shared(Arc::clone(
            map.entry(namespace.to_string()).or_default(),
        )))
    }

    fn restart(&self) -> Result<(), String> {
        Ok(())
    }

    fn kill_connections(&self) -> Result<bool, String> {
        Ok(false)
    }

    fn shared_by_processes(&self) -> bool {
        self.claims_shared
    }
}

/// One namespace's store as every open of it sees it.
pub struct Shared(Arc<MemoryStore>);

impl Store for Shared {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key, now)
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<(), StoreError> {
        self.0.put(key, value, expires_at, now)
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.0.insert_if_absent(key, value, expires_at, now)
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.0
            .replace_if_matches(key, expected, new, expires_at, now)
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        self.0.delete_if_matches(key, expected, now)
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        self.0.add_within_limit(key, amount, limit, expires_at, now)
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        self.0.purge_expired(now)
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        self.0.entry_count()
    }
}
