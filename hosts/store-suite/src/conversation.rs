//! A protocol conversation on a store: a small seeded population, compared with MemoryStore.

use crate::{fail, SuiteFailure};
use blindpost::simulation::population::{run_on, HostMode, PopulationConfig};
use blindpost::store::{MemoryStore, Store, StoreError};
use blindpost::Time;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a protocol conversation on a store did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// Deliveries the server produced.
    pub deliveries: usize,
    /// Requests the server answered.
    pub requests: usize,
    /// Store operations the server made.
    pub store_ops: u64,
}

/// Runs 8 phones for 2 days (seeded) with the server on `store` (empty) and checks that the
/// server's whole log equals the same run on a [`MemoryStore`]: the run is deterministic, so a
/// store that keeps the contract gives the same answers and the same log. Any store error fails.
pub fn conversation<S: Store + 'static>(store: S) -> Result<Conversation, SuiteFailure> {
    const CHECK: &str = "conversation";
    let config = PopulationConfig {
        seed: "blindpost store suite conversation".into(),
        phones: 8,
        days: 2,
        mode: HostMode::Scheduled,
    };
    let counts = Arc::new(Counts::default());
    let on_store = run_on(
        &config,
        Counted {
            inner: store,
            counts: Arc::clone(&counts),
        },
    );
    let reference = run_on(&config, MemoryStore::new());
    let errors = counts.errors.load(Ordering::Relaxed);
    if errors != 0 {
        return Err(fail(CHECK, format!("{errors} store operations failed")));
    }
    if on_store.log.deliveries.is_empty() {
        return Err(fail(CHECK, "no delivery: the population did not talk"));
    }
    if on_store.log != reference.log {
        return Err(fail(
            CHECK,
            format!(
                "the log differs from MemoryStore's: {} requests and {} deliveries, expected {} and {}",
                on_store.log.requests.len(),
                on_store.log.deliveries.len(),
                reference.log.requests.len(),
                reference.log.deliveries.len()
            ),
        ));
    }
    Ok(Conversation {
        deliveries: on_store.log.deliveries.len(),
        requests: on_store.log.requests.len(),
        store_ops: counts.ops.load(Ordering::Relaxed),
    })
}

#[derive(Default)]
struct Counts {
    ops: AtomicU64,
    errors: AtomicU64,
}

/// A store that counts the operations made on it and those that failed.
struct Counted<S> {
    inner: S,
    counts: Arc<Counts>,
}

impl<S> Counted<S> {
    fn count<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        self.counts.ops.fetch_add(1, Ordering::Relaxed);
        if result.is_err() {
            self.counts.errors.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

impl<S: Store> Store for Counted<S> {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        self.count(self.inner.get(key, now))
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<(), StoreError> {
        self.count(self.inner.put(key, value, expires_at, now))
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.count(self.inner.insert_if_absent(key, value, expires_at, now))
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.count(
            self.inner
                .replace_if_matches(key, expected, new, expires_at, now),
        )
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        self.count(self.inner.delete_if_matches(key, expected, now))
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        self.count(
            self.inner
                .add_within_limit(key, amount, limit, expires_at, now),
        )
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        self.count(self.inner.purge_expired(now))
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        self.count(self.inner.entry_count())
    }
}
