//! The server's storage interface (SPEC.md section 12.1).
//!
//! The server keeps all of its state behind [`Store`]: a key-value map whose operations are each
//! atomic, with optional expiry. The protocol's invariants (a token is spent once, a reply is
//! accepted once, attempt and issuance limits hold exactly) rest on that atomicity, not on locks
//! in the server, so one [`Store`] may be shared by many server threads or processes.
//!
//! An implementation for a real database must pass `conformance::run` (a test device: enable
//! the `test-util` feature in its dev-dependencies). [`MemoryStore`] (feature `std`) is the
//! reference implementation.

use crate::Time;
use alloc::vec::Vec;
use core::fmt;

#[cfg(any(test, feature = "test-util"))]
pub mod conformance;
#[cfg(feature = "std")]
mod memory;

#[cfg(feature = "std")]
pub use memory::{KeyValue, MemoryStore};

/// A failure of the storage backend (the server answers such requests with an internal error and
/// no state change is assumed to have happened).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    /// What went wrong, for logs.
    pub message: alloc::string::String,
}

impl StoreError {
    /// A backend error with a message for the logs.
    pub fn new(message: impl Into<alloc::string::String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage failure: {}", self.message)
    }
}

impl core::error::Error for StoreError {}

/// Atomic key-value storage with expiry, as the server needs it.
///
/// Semantics every implementation must keep (checked by `conformance::run`, feature `test-util`):
/// - An entry with `expires_at = Some(t)` is *live* while `now < t`; afterwards every operation
///   treats it as absent. `None` never expires.
/// - Each method is atomic with respect to every other call on the same store, from any thread.
/// - Counters are stored as 8-byte big-endian values under their key and read back by `get`.
pub trait Store: Send + Sync {
    /// The live value under `key`.
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes `value` under `key`, replacing any value.
    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<(), StoreError>;

    /// Writes `value` only if no live value exists. Returns whether it wrote.
    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError>;

    /// Replaces the live value with `new` only if it equals `expected`. Returns whether it
    /// replaced.
    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError>;

    /// Deletes the live value only if it equals `expected`. Returns whether it deleted.
    fn delete_if_matches(&self, key: &[u8], expected: &[u8], now: Time)
        -> Result<bool, StoreError>;

    /// Adds `amount` to the counter under `key` (absent counts as 0) unless the result would
    /// exceed `limit`. Returns the new value, or `None` (and changes nothing) if over the limit.
    /// `expires_at` is set when the counter is created and kept on later additions.
    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError>;

    /// Removes every entry that has expired by `now`. Returns how many were removed.
    fn purge_expired(&self, now: Time) -> Result<usize, StoreError>;

    /// The number of entries held, live or expired but not yet purged.
    fn entry_count(&self) -> Result<usize, StoreError>;
}

/// Implements [`Store`] for a pointer type by calling through to the store it points to.
macro_rules! store_through_pointer {
    ($pointer:ident) => {
        impl<S: Store + ?Sized> Store for $pointer<S> {
            fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
                (**self).get(key, now)
            }

            fn put(
                &self,
                key: &[u8],
                value: &[u8],
                expires_at: Option<Time>,
                now: Time,
            ) -> Result<(), StoreError> {
                (**self).put(key, value, expires_at, now)
            }

            fn insert_if_absent(
                &self,
                key: &[u8],
                value: &[u8],
                expires_at: Option<Time>,
                now: Time,
            ) -> Result<bool, StoreError> {
                (**self).insert_if_absent(key, value, expires_at, now)
            }

            fn replace_if_matches(
                &self,
                key: &[u8],
                expected: &[u8],
                new: &[u8],
                expires_at: Option<Time>,
                now: Time,
            ) -> Result<bool, StoreError> {
                (**self).replace_if_matches(key, expected, new, expires_at, now)
            }

            fn delete_if_matches(
                &self,
                key: &[u8],
                expected: &[u8],
                now: Time,
            ) -> Result<bool, StoreError> {
                (**self).delete_if_matches(key, expected, now)
            }

            fn add_within_limit(
                &self,
                key: &[u8],
                amount: u64,
                limit: u64,
                expires_at: Option<Time>,
                now: Time,
            ) -> Result<Option<u64>, StoreError> {
                (**self).add_within_limit(key, amount, limit, expires_at, now)
            }

            fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
                (**self).purge_expired(now)
            }

            fn entry_count(&self) -> Result<usize, StoreError> {
                (**self).entry_count()
            }
        }
    };
}

// A boxed store is a store, so a host can choose its store at run time
// (`Server<Box<dyn Store>>`).
use alloc::boxed::Box;
store_through_pointer!(Box);

// A shared store is a store, so several servers or handles in one process can use one store.
#[cfg(target_has_atomic = "ptr")]
use alloc::sync::Arc;
#[cfg(target_has_atomic = "ptr")]
store_through_pointer!(Arc);

/// Reads a counter written by [`Store::add_within_limit`] (absent reads as 0).
pub fn read_counter<S: Store + ?Sized>(
    store: &S,
    key: &[u8],
    now: Time,
) -> Result<u64, StoreError> {
    match store.get(key, now)? {
        None => Ok(0),
        Some(v) => {
            let bytes: [u8; 8] = v
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::new("counter value is not 8 bytes"))?;
            Ok(u64::from_be_bytes(bytes))
        }
    }
}
