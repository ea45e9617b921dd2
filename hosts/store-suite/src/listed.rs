//! A store with a listing of its live entries, for `blindpost::simulation::World`'s checks that
//! a refused request changed nothing (`World::refused` compares two listings).

use blindpost::simulation::Inspect;
use blindpost::store::{KeyValue, Store, StoreError};
use blindpost::Time;

/// How a [`Listed`] store lists its live entries at a time, in key order.
type Lister<S> = Box<dyn Fn(&S, Time) -> Vec<KeyValue> + Send + Sync>;

/// `store` with the listing `list`; every [`Store`] call goes to `store` unchanged.
pub struct Listed<S> {
    store: S,
    list: Lister<S>,
}

impl<S: Store> Listed<S> {
    /// Wraps `store`; `list(store, now)` must return its live entries at `now` in key order.
    pub fn new(store: S, list: impl Fn(&S, Time) -> Vec<KeyValue> + Send + Sync + 'static) -> Self {
        Self {
            store,
            list: Box::new(list),
        }
    }
}

impl<S: Store> Inspect for Listed<S> {
    fn entries(&self, now: Time) -> Vec<KeyValue> {
        (self.list)(&self.store, now)
    }
}

impl<S: Store> Store for Listed<S> {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(key, now)
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<(), StoreError> {
        self.store.put(key, value, expires_at, now)
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.store.insert_if_absent(key, value, expires_at, now)
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.store
            .replace_if_matches(key, expected, new, expires_at, now)
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        self.store.delete_if_matches(key, expected, now)
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        self.store
            .add_within_limit(key, amount, limit, expires_at, now)
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        self.store.purge_expired(now)
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        self.store.entry_count()
    }
}
