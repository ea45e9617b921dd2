//! [`MemoryStore`]: the reference [`Store`], a map behind one mutex.

use super::{Store, StoreError};
use crate::Time;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use std::sync::{Mutex, MutexGuard};

#[derive(Clone)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Time>,
}

impl Entry {
    fn live(&self, now: Time) -> bool {
        self.expires_at.is_none_or(|t| now < t)
    }
}

/// A stored key and its value, as [`MemoryStore::snapshot`] lists them.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// An in-memory [`Store`]: every operation takes one lock, which makes each atomic.
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<BTreeMap<Vec<u8>, Entry>>,
}

/// A copy of every entry, expired or not (to fork a server's state, e.g. for fuzzing from a
/// prepared world).
impl Clone for MemoryStore {
    fn clone(&self) -> Self {
        let map = self
            .map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        Self {
            map: Mutex::new(map),
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<Vec<u8>, Entry>>, StoreError> {
        // A poisoned lock means a thread panicked mid-operation; every operation below
        // completes its write in one step, so the map is still consistent.
        Ok(self
            .map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Every live entry, sorted by key: for tests that inspect what the server stored.
    pub fn snapshot(&self, now: Time) -> Result<Vec<KeyValue>, StoreError> {
        Ok(self
            .lock()?
            .iter()
            .filter(|(_, e)| e.live(now))
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect())
    }
}

fn live_value<'m>(map: &'m BTreeMap<Vec<u8>, Entry>, key: &[u8], now: Time) -> Option<&'m [u8]> {
    map.get(key)
        .filter(|e| e.live(now))
        .map(|e| e.value.as_slice())
}

impl Store for MemoryStore {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        let map = self.lock()?;
        Ok(live_value(&map, key, now).map(<[u8]>::to_vec))
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        _now: Time,
    ) -> Result<(), StoreError> {
        self.lock()?.insert(
            key.to_vec(),
            Entry {
                value: value.to_vec(),
                expires_at,
            },
        );
        Ok(())
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        let mut map = self.lock()?;
        if live_value(&map, key, now).is_some() {
            return Ok(false);
        }
        map.insert(
            key.to_vec(),
            Entry {
                value: value.to_vec(),
                expires_at,
            },
        );
        Ok(true)
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        let mut map = self.lock()?;
        if live_value(&map, key, now) != Some(expected) {
            return Ok(false);
        }
        map.insert(
            key.to_vec(),
            Entry {
                value: new.to_vec(),
                expires_at,
            },
        );
        Ok(true)
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        let mut map = self.lock()?;
        if live_value(&map, key, now) != Some(expected) {
            return Ok(false);
        }
        map.remove(key);
        Ok(true)
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        let mut map = self.lock()?;
        let (current, expiry) = match map.get(key).filter(|e| e.live(now)) {
            None => (0, expires_at),
            Some(e) => {
                let bytes: [u8; 8] = e
                    .value
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::new("counter value is not 8 bytes"))?;
                (u64::from_be_bytes(bytes), e.expires_at)
            }
        };
        let Some(next) = current.checked_add(amount).filter(|n| *n <= limit) else {
            return Ok(None);
        };
        map.insert(
            key.to_vec(),
            Entry {
                value: next.to_be_bytes().to_vec(),
                expires_at: expiry,
            },
        );
        Ok(Some(next))
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        let mut map = self.lock()?;
        let before = map.len();
        map.retain(|_, e| e.live(now));
        Ok(before.saturating_sub(map.len()))
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        Ok(self.lock()?.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_passes_the_conformance_suite() {
        super::super::conformance::run(MemoryStore::new).unwrap();
    }

    #[test]
    fn a_boxed_store_passes_the_conformance_suite() {
        super::super::conformance::run(|| -> alloc::boxed::Box<dyn super::super::Store> {
            alloc::boxed::Box::new(MemoryStore::new())
        })
        .unwrap();
    }
}
