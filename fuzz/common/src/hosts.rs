//! The inputs a host hands the core that do not arrive as protocol requests: the credential of
//! an authenticated HTTP request (target `host_auth`), and every value a store adapter reads
//! back from its engine (target `store_readback`, through [`HostileStore`]).

use crate::steps::{edited, Edit};
use arbitrary::Arbitrary;
use blindpost::store::{MemoryStore, Store, StoreError};
use blindpost::Time;
use std::sync::Mutex;

/// One credential check of `host_auth`.
#[derive(Arbitrary, Clone, Debug)]
pub struct AuthInput {
    /// Which registered client of the recorded run makes the credential (modulo their number).
    pub client: u8,
    /// The credential's time, in seconds from the server's clock.
    pub skew: i16,
    /// The request it is made for.
    pub method: MethodChoice,
    /// The path it is made for: one of the host's (an index) or any text.
    pub path: PathChoice,
    /// The body it is made for.
    pub body: Vec<u8>,
    /// What happens to it before the server checks it.
    pub tamper: Tamper,
    /// Whether it is sent a second time after the first check.
    pub resend: bool,
}

/// The method a credential is made for.
#[derive(Arbitrary, Clone, Debug)]
pub enum MethodChoice {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// Any text.
    Other(String),
}

impl MethodChoice {
    /// The method's text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Other(m) => m,
        }
    }
}

/// The paths of the server host (SPEC.md 17.1).
pub const HOST_PATHS: [&str; 3] = ["/v1/authenticated", "/v1/deliveries", "/v1/deliveries/ack"];

/// The path a credential is made for.
#[derive(Arbitrary, Clone, Debug)]
pub enum PathChoice {
    /// One of [`HOST_PATHS`] (index modulo their number).
    Host(u8),
    /// Any text.
    Other(String),
}

impl PathChoice {
    /// The path's text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Host(i) => HOST_PATHS[usize::from(*i) % HOST_PATHS.len()],
            Self::Other(p) => p,
        }
    }
}

/// What happens to a credential between the client and the server's check.
#[derive(Arbitrary, Clone, Debug)]
pub enum Tamper {
    /// Nothing: sent as made.
    None,
    /// Its bytes edited.
    Bytes(Vec<Edit>),
    /// Checked for another method.
    Method(MethodChoice),
    /// Checked for another path.
    Path(PathChoice),
    /// Checked with another body.
    Body(Vec<u8>),
    /// Replaced by arbitrary bytes.
    Raw(Vec<u8>),
}

/// How [`HostileStore`] answers one `get`.
#[derive(Arbitrary, Clone, Debug)]
pub enum Corruption {
    /// The value with edits (a bit flipped on disk, a value cut short or grown).
    Edited(Vec<Edit>),
    /// Other bytes altogether (another key's value, a value of an older version).
    Replaced(Vec<u8>),
    /// No value, although one is stored (a lost write).
    Absent,
    /// The engine fails.
    Failed,
}

/// One run of `store_readback`: a point of the recorded run, and the `get` calls whose answer
/// the store corrupts.
#[derive(Arbitrary, Clone, Debug)]
pub struct ReadbackInput {
    /// The point of the recorded run the store starts at (modulo their number).
    pub start: u16,
    /// How many recorded requests after it are handled (at most [`MAX_READBACK_REQUESTS`]).
    pub requests: u8,
    /// `(n, how)`: the `n`-th `get` of the run (counted from 0, modulo 64) is answered `how`.
    pub corruptions: Vec<(u8, Corruption)>,
}

/// The most recorded requests one `store_readback` input handles.
pub const MAX_READBACK_REQUESTS: usize = 6;

/// A store whose engine hands back values the server did not write: [`MemoryStore`] with the
/// answers of chosen `get` calls corrupted. Writes, and the comparisons of the conditional
/// writes, go to the real values, as a real engine's would.
pub struct HostileStore {
    inner: MemoryStore,
    plan: Mutex<Plan>,
}

struct Plan {
    gets: usize,
    corruptions: Vec<(usize, Corruption)>,
    applied: usize,
}

impl HostileStore {
    /// `inner`, with the `get` calls `corruptions` names answered as they say.
    pub fn new(inner: MemoryStore, corruptions: &[(u8, Corruption)]) -> Self {
        let corruptions = corruptions
            .iter()
            .map(|(n, how)| (usize::from(*n) % 64, how.clone()))
            .collect();
        Self {
            inner,
            plan: Mutex::new(Plan {
                gets: 0,
                corruptions,
                applied: 0,
            }),
        }
    }

    /// How many corruptions have been handed out (a `get` of an absent value stays absent for
    /// an edit, so not every planned one applies).
    pub fn applied(&self) -> usize {
        self.plan.lock().unwrap_or_else(|p| p.into_inner()).applied
    }

    /// The real store underneath.
    pub fn inner(&self) -> &MemoryStore {
        &self.inner
    }
}

impl Store for HostileStore {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.inner.get(key, now)?;
        let mut plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        let n = plan.gets;
        plan.gets += 1;
        let Some(how) = plan
            .corruptions
            .iter()
            .find(|(at, _)| *at == n)
            .map(|(_, how)| how.clone())
        else {
            return Ok(value);
        };
        let answer = match (how, value) {
            (Corruption::Edited(edits), Some(v)) => Ok(Some(edited(&v, &edits))),
            (Corruption::Edited(_), None) => return Ok(None),
            (Corruption::Replaced(bytes), _) => Ok(Some(bytes)),
            (Corruption::Absent, _) => Ok(None),
            (Corruption::Failed, _) => Err(StoreError::new("the engine failed (fuzzed)")),
        };
        plan.applied += 1;
        answer
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<(), StoreError> {
        self.inner.put(key, value, expires_at, now)
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.inner.insert_if_absent(key, value, expires_at, now)
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.inner
            .replace_if_matches(key, expected, new, expires_at, now)
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        self.inner.delete_if_matches(key, expected, now)
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        self.inner
            .add_within_limit(key, amount, limit, expires_at, now)
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        self.inner.purge_expired(now)
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        self.inner.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hostile_store_corrupts_exactly_the_planned_gets() {
        let inner = MemoryStore::new();
        let now = Time::from_unix_secs(1);
        inner.put(b"k", b"value", None, now).unwrap();
        let store = HostileStore::new(
            inner,
            &[
                (1, Corruption::Replaced(b"other".to_vec())),
                (2, Corruption::Absent),
                (3, Corruption::Failed),
                (4, Corruption::Edited(vec![Edit::Truncate { len: 2 }])),
                (69, Corruption::Absent),
            ],
        );
        let get = || store.get(b"k", now);
        assert_eq!(get().unwrap(), Some(b"value".to_vec()));
        assert_eq!(get().unwrap(), Some(b"other".to_vec()));
        assert_eq!(get().unwrap(), None);
        assert!(get().is_err());
        assert_eq!(get().unwrap(), Some(b"va".to_vec()));
        // 69 is 5 modulo 64.
        assert_eq!(get().unwrap(), None);
        assert_eq!(get().unwrap(), Some(b"value".to_vec()));
        assert_eq!(store.applied(), 5);
        // Writes reach the real store: the comparison is with the real value.
        assert!(store
            .replace_if_matches(b"k", b"value", b"new", None, now)
            .unwrap());
        assert_eq!(store.inner().get(b"k", now).unwrap(), Some(b"new".to_vec()));
    }
}
