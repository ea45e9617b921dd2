//! The server's storage: the core's in-memory store, or a store written in Kotlin, Swift or
//! Python behind the [`ServerStore`] foreign trait (SPEC.md 12.1).

use crate::error::{wide, BlindpostError};
use blindpost::store::{self, conformance, StoreError as CoreStoreError};
use blindpost::Time;
use std::sync::Arc;

/// The error a foreign store throws. Anything else it throws arrives as `Backend` too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum StoreError {
    /// The backend failed; the server answers the request with an `Internal` error code.
    #[error("storage failure: {detail}")]
    Backend {
        /// What went wrong, for logs.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for StoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Backend {
            detail: format!("the foreign store threw an unexpected error: {}", e.reason),
        }
    }
}

impl From<StoreError> for CoreStoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Backend { detail } => CoreStoreError::new(detail),
        }
    }
}

/// Atomic key-value storage with expiry, implemented by the host (for example over a database
/// of a JVM server). The semantics are the core's `Store` trait's (SPEC.md 12.1), and
/// `store_conformance` checks an implementation against them:
///
/// - an entry with `expires_at` set is live while `now < expires_at`; afterwards every
///   operation treats it as absent; no `expires_at` never expires;
/// - each method is atomic with respect to every other call, from any thread (the server calls
///   the store from whatever thread calls `Server.handle`);
/// - counters are 8-byte big-endian values under their key, read back by `get`.
#[uniffi::export(with_foreign)]
pub trait ServerStore: Send + Sync {
    /// The live value under `key`.
    fn get(&self, key: Vec<u8>, now: u64) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes `value` under `key`, replacing any value.
    fn put(
        &self,
        key: Vec<u8>,
        value: Vec<u8>,
        expires_at: Option<u64>,
        now: u64,
    ) -> Result<(), StoreError>;

    /// Writes `value` only if no live value exists; returns whether it wrote.
    fn insert_if_absent(
        &self,
        key: Vec<u8>,
        value: Vec<u8>,
        expires_at: Option<u64>,
        now: u64,
    ) -> Result<bool, StoreError>;

    /// Replaces the live value with `new` only if it equals `expected`; returns whether it
    /// replaced.
    fn replace_if_matches(
        &self,
        key: Vec<u8>,
        expected: Vec<u8>,
        new: Vec<u8>,
        expires_at: Option<u64>,
        now: u64,
    ) -> Result<bool, StoreError>;

    /// Deletes the live value only if it equals `expected`; returns whether it deleted.
    fn delete_if_matches(
        &self,
        key: Vec<u8>,
        expected: Vec<u8>,
        now: u64,
    ) -> Result<bool, StoreError>;

    /// Adds `amount` to the counter under `key` (absent counts as 0) unless the result would
    /// exceed `limit`: returns the new value, or nothing (and changes nothing) if over the
    /// limit. `expires_at` is set when the counter is created and kept on later additions.
    fn add_within_limit(
        &self,
        key: Vec<u8>,
        amount: u64,
        limit: u64,
        expires_at: Option<u64>,
        now: u64,
    ) -> Result<Option<u64>, StoreError>;

    /// Removes every entry that has expired by `now`; returns how many were removed.
    fn purge_expired(&self, now: u64) -> Result<u64, StoreError>;

    /// The number of entries held, live or expired but not yet purged.
    fn entry_count(&self) -> Result<u64, StoreError>;
}

/// Makes empty stores, for `store_conformance`.
#[uniffi::export(with_foreign)]
pub trait ServerStoreFactory: Send + Sync {
    /// A new, empty store.
    fn make(&self) -> Arc<dyn ServerStore>;
}

/// A foreign store seen as the core's `Store`.
pub(crate) struct Foreign(pub(crate) Arc<dyn ServerStore>);

fn narrow(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl store::Store for Foreign {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, CoreStoreError> {
        Ok(self.0.get(key.to_vec(), now.unix_secs())?)
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<(), CoreStoreError> {
        Ok(self.0.put(
            key.to_vec(),
            value.to_vec(),
            expires_at.map(Time::unix_secs),
            now.unix_secs(),
        )?)
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, CoreStoreError> {
        Ok(self.0.insert_if_absent(
            key.to_vec(),
            value.to_vec(),
            expires_at.map(Time::unix_secs),
            now.unix_secs(),
        )?)
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, CoreStoreError> {
        Ok(self.0.replace_if_matches(
            key.to_vec(),
            expected.to_vec(),
            new.to_vec(),
            expires_at.map(Time::unix_secs),
            now.unix_secs(),
        )?)
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, CoreStoreError> {
        Ok(self
            .0
            .delete_if_matches(key.to_vec(), expected.to_vec(), now.unix_secs())?)
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, CoreStoreError> {
        Ok(self.0.add_within_limit(
            key.to_vec(),
            amount,
            limit,
            expires_at.map(Time::unix_secs),
            now.unix_secs(),
        )?)
    }

    fn purge_expired(&self, now: Time) -> Result<usize, CoreStoreError> {
        Ok(narrow(self.0.purge_expired(now.unix_secs())?))
    }

    fn entry_count(&self) -> Result<usize, CoreStoreError> {
        Ok(narrow(self.0.entry_count()?))
    }
}

/// The store a [`crate::Server`] runs over: the core's in-memory store or the host's.
pub(crate) type Backend = Box<dyn store::Store>;

/// Runs the core's store conformance suite (SPEC.md 12.1) on fresh stores from `factory`,
/// including its multi-threaded atomicity checks (which call the store from several threads
/// at once). Throws `Store` with a `Conformance` kind naming the first check that failed.
#[uniffi::export]
pub fn store_conformance(factory: Arc<dyn ServerStoreFactory>) -> Result<(), BlindpostError> {
    Ok(conformance::run(|| Foreign(factory.make()))?)
}

/// How many entries the in-memory store of a server holds (for tests and monitoring).
pub(crate) fn entry_count(backend: &Backend) -> Result<u64, BlindpostError> {
    Ok(wide(store::Store::entry_count(backend)?))
}
