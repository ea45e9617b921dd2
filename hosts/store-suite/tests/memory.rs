//! The suite's generic checks on MemoryStore, so the checks themselves run in every build.

use blindpost::store::{MemoryStore, Store, StoreError};
use blindpost::Time;
use blindpost_store_suite::{conversation, process_race, run_suite, Engine};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Namespaces as a map of shared memory stores; nothing to restart, kill or share.
#[derive(Default)]
struct MemoryEngine {
    namespaces: Mutex<HashMap<String, Arc<MemoryStore>>>,
    /// Claims that two processes see the same data (false: memory is per process).
    claims_shared: bool,
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
struct Shared(Arc<MemoryStore>);

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

#[test]
fn suite_on_memory() {
    run_suite(&MemoryEngine::default()).unwrap();
}

#[test]
fn process_race_skips_an_engine_not_shared_by_processes() {
    process_race(
        &MemoryEngine::default(),
        "process_race_skips_an_engine_not_shared_by_processes",
    )
    .unwrap();
}

#[test]
fn conversation_on_memory() {
    let c = conversation(MemoryStore::new()).unwrap();
    assert!(
        c.deliveries > 0 && c.requests > c.deliveries && c.store_ops > 0,
        "{c:?}"
    );
    eprintln!("conversation: {c:?}");
}

/// A memory engine that claims to be shared by processes is not: each process grants the whole
/// limit, and the race must see it (this also runs the child half).
#[test]
fn process_race_catches_an_engine_not_really_shared() {
    let engine = MemoryEngine {
        claims_shared: true,
        ..MemoryEngine::default()
    };
    let result = process_race(&engine, "process_race_catches_an_engine_not_really_shared");
    if std::env::var_os("BLINDPOST_SUITE_CHILD").is_some() {
        result.unwrap();
        return;
    }
    let failure = result.unwrap_err();
    assert!(failure.detail.contains("granted 1000 + 1000"), "{failure}");
}
