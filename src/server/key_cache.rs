//! The prepared group key cache (SPEC.md 12.9): a reply verifies against its recipient's
//! [`PreparedGroupKey`], which takes about 2 ms to decode and prepare and about 66 KB to keep.
//!
//! The cache is bounded in bytes, not entries, so its memory is the configured figure whatever
//! the keys cost. It is split into [`SHARDS`] shards by account id, each behind its own mutex
//! and holding at most `1/SHARDS` of the bound, so concurrent replies to different accounts
//! rarely wait on each other; a lock is held only to find, insert or evict an entry, never while
//! decoding or preparing a key. Each shard evicts with CLOCK (second chance): an entry used since
//! the hand last passed it is spared once. Without `std` there is no cache: every key is
//! decoded and prepared again (the counters still count).

use crate::account::AccountId;
use crate::bbs04::{Error, GroupPublicKey, PreparedGroupKey};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

/// Shards of the cache. Account ids are SHA-256 digests of identity keys, so their first byte
/// spreads accounts evenly.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
const SHARDS: usize = 16;

/// What the prepared-key cache holds and has done, for hosts' metrics and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyCacheStats {
    /// Prepared keys held.
    pub entries: usize,
    /// Bytes the held keys are counted for (each: its prepared tables, the key, the slot and
    /// index entry); never above the configured bound.
    pub bytes: usize,
    /// Group keys decoded and prepared since the server started, because the cache did not
    /// hold them (or is disabled): the expensive work an anonymous request can cause.
    pub misses: u64,
    /// Requests answered with a key the cache held.
    pub hits: u64,
}

/// The bytes an entry is counted for: the prepared key's tables on the heap
/// ([`PreparedGroupKey::heap_bytes`]), the key itself, the `Arc` counters, the slot with the
/// encoded key and the index entry.
fn entry_bytes(prepared: &PreparedGroupKey) -> usize {
    prepared
        .heap_bytes()
        .saturating_add(core::mem::size_of::<PreparedGroupKey>())
        .saturating_add(core::mem::size_of::<[usize; 2]>())
        .saturating_add(core::mem::size_of::<Slot>())
        .saturating_add(core::mem::size_of::<(AccountId, usize)>())
}

/// The cache of prepared group keys, by account.
pub(super) struct KeyCache {
    misses: AtomicU64,
    hits: AtomicU64,
    #[cfg(feature = "std")]
    shards: alloc::vec::Vec<std::sync::Mutex<Shard>>,
}

/// One cached key: the account, the encoding it was prepared from, and the prepared form.
struct Slot {
    account: AccountId,
    encoded: [u8; GroupPublicKey::SIZE],
    prepared: Arc<PreparedGroupKey>,
    bytes: usize,
    /// Used since the clock hand last passed.
    referenced: bool,
}

/// A shard: its slots in clock order and an index into them.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
struct Shard {
    bound: usize,
    bytes: usize,
    slots: alloc::vec::Vec<Slot>,
    index: alloc::collections::BTreeMap<AccountId, usize>,
    hand: usize,
}

impl KeyCache {
    /// A cache holding at most `bound` bytes (0: no cache).
    pub(super) fn new(bound: usize) -> Self {
        let _ = bound;
        Self {
            misses: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            #[cfg(feature = "std")]
            shards: (0..SHARDS)
                .map(|_| std::sync::Mutex::new(Shard::new(bound / SHARDS)))
                .collect(),
        }
    }

    /// The prepared form of the encoded group key `encoded` of `account`: from the cache when
    /// it holds exactly this encoding, otherwise decoded and prepared (outside any lock) and
    /// cached.
    pub(super) fn prepared(
        &self,
        account: &AccountId,
        encoded: &[u8],
    ) -> Result<Arc<PreparedGroupKey>, Error> {
        #[cfg(not(feature = "std"))]
        let _ = account;
        #[cfg(feature = "std")]
        if let Some(hit) = self.lock(account).and_then(|mut s| s.get(account, encoded)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let prepared = Arc::new(PreparedGroupKey::new(GroupPublicKey::from_bytes(encoded)?));
        #[cfg(feature = "std")]
        if let (Some(mut shard), Ok(encoded)) = (self.lock(account), encoded.try_into()) {
            shard.insert(*account, encoded, Arc::clone(&prepared));
        }
        Ok(prepared)
    }

    /// Entries, bytes and counters now.
    pub(super) fn stats(&self) -> KeyCacheStats {
        let (entries, bytes) = self.held();
        KeyCacheStats {
            entries,
            bytes,
            misses: self.misses.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
        }
    }

    /// Entries and bytes held, over all shards.
    #[cfg(feature = "std")]
    fn held(&self) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(entries, bytes), shard| {
            let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            (
                entries.saturating_add(shard.slots.len()),
                bytes.saturating_add(shard.bytes),
            )
        })
    }

    /// Without `std` nothing is held.
    #[cfg(not(feature = "std"))]
    fn held(&self) -> (usize, usize) {
        (0, 0)
    }

    /// The shard of `account`, locked (`None` when the cache is disabled).
    #[cfg(feature = "std")]
    fn lock(&self, account: &AccountId) -> Option<std::sync::MutexGuard<'_, Shard>> {
        let first = account.as_bytes().first().copied().unwrap_or(0);
        let shard = self.shards.get(usize::from(first) % SHARDS)?;
        let guard = shard.lock().unwrap_or_else(|p| p.into_inner());
        (guard.bound > 0).then_some(guard)
    }
}

#[cfg_attr(not(feature = "std"), allow(dead_code))]
impl Shard {
    fn new(bound: usize) -> Self {
        Self {
            bound,
            bytes: 0,
            slots: alloc::vec::Vec::new(),
            index: alloc::collections::BTreeMap::new(),
            hand: 0,
        }
    }

    /// The cached key of `account` if it was prepared from `encoded`, marked as used.
    fn get(&mut self, account: &AccountId, encoded: &[u8]) -> Option<Arc<PreparedGroupKey>> {
        let i = *self.index.get(account)?;
        let slot = self.slots.get_mut(i)?;
        if slot.encoded.as_slice() != encoded {
            return None;
        }
        slot.referenced = true;
        Some(Arc::clone(&slot.prepared))
    }

    /// Caches `prepared` for `account`, replacing its older key and evicting others until it
    /// fits. A key larger than the whole shard is not cached.
    fn insert(
        &mut self,
        account: AccountId,
        encoded: [u8; GroupPublicKey::SIZE],
        prepared: Arc<PreparedGroupKey>,
    ) {
        if let Some(i) = self.index.get(&account).copied() {
            self.remove(i);
        }
        let bytes = entry_bytes(&prepared);
        if bytes > self.bound {
            return;
        }
        while self.bytes.saturating_add(bytes) > self.bound {
            if !self.evict_one() {
                return;
            }
        }
        self.index.insert(account, self.slots.len());
        self.slots.push(Slot {
            account,
            encoded,
            prepared,
            bytes,
            referenced: false,
        });
        self.bytes = self.bytes.saturating_add(bytes);
    }

    /// Evicts the first entry under the clock hand not used since the hand last passed it;
    /// false if the shard is empty.
    fn evict_one(&mut self) -> bool {
        // Two sweeps at most: the first clears every mark it passes.
        let limit = self.slots.len().saturating_mul(2).saturating_add(1);
        for _ in 0..limit {
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let Some(slot) = self.slots.get_mut(self.hand) else {
                return false;
            };
            if slot.referenced {
                slot.referenced = false;
                self.hand = self.hand.saturating_add(1);
            } else {
                self.remove(self.hand);
                return true;
            }
        }
        false
    }

    /// Removes slot `i`; the last slot takes its place (and its turn under the hand).
    fn remove(&mut self, i: usize) {
        if i >= self.slots.len() {
            return;
        }
        let removed = self.slots.swap_remove(i);
        self.index.remove(&removed.account);
        if let Some(moved) = self.slots.get(i) {
            self.index.insert(moved.account, i);
        }
        self.bytes = self.bytes.saturating_sub(removed.bytes);
    }
}
