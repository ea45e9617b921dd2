//! Per-account delivery queues kept in the server's own [`Store`] (SPEC.md 17.4).
//!
//! Layout, under the store namespace byte `Q` (SPEC.md 12.1; no key of the core starts with it)
//! and the recipient's 32-byte account id:
//!
//! - `.../next`: a counter, the last sequence number handed out (slots are numbered from 1);
//! - `.../acked`: the acknowledged floor (8 bytes big-endian): every slot at or below it is done;
//! - `.../item/<u64 seq>`: one slot, `0x01 || delivery bytes` (a delivery) or `0x00` (a slot
//!   given up), both expiring after the retention time.
//!
//! An enqueue takes a number from `next` (bounded: at most `max_len` numbers beyond the floor)
//! and fills its slot with insert-if-absent. A fetch that meets an empty slot at or below `next`
//! cannot tell a slow enqueuer from a dead one, so it closes the slot with insert-if-absent of
//! the "given up" marker: exactly one of the two writes wins. An enqueuer that loses takes a new
//! number; a fetcher that loses reads the delivery. So a process dying between any two store
//! calls leaves at worst a slot that the next fetch gives up, and a delivery whose enqueue had
//! returned is never skipped. Acknowledging moves the floor up (compare-and-swap, never down)
//! and then deletes the deliveries below it (what a crash leaves of those expires with
//! retention); given-up markers are left to expire, so a slow enqueuer can never write below the
//! floor.

use blindpost::account::AccountId;
use blindpost::store::{read_counter, Store, StoreError};
use blindpost::Time;
use std::fmt;

/// The most entries one fetch returns.
pub const MAX_FETCH_ENTRIES: usize = 64;
/// The most delivery bytes one fetch returns (one delivery is always returned, whatever its size).
pub const MAX_FETCH_BYTES: usize = 1 << 20;
/// The most slots one fetch reads (given-up slots included), so a fetch costs a bounded number
/// of store calls.
const MAX_FETCH_SCAN: u64 = 4 * MAX_FETCH_ENTRIES as u64;
/// The most slots one acknowledgement deletes; the rest expire with the retention time.
const MAX_ACK_DELETES: u64 = 1024;
/// How often an enqueue takes a new number after fetchers gave its slot up, or a floor update
/// retries after a concurrent one, before it reports contention.
const MAX_ATTEMPTS: usize = 32;

/// The namespace byte of every queue key (SPEC.md 12.1).
const PREFIX: &[u8] = b"Q";
const TAG_GIVEN_UP: u8 = 0x00;
const TAG_DELIVERY: u8 = 0x01;

/// How long and how far a queue may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueLimits {
    /// The most slots between the acknowledged floor and the last number handed out. When a
    /// queue is full, [`DeliveryQueue::enqueue`] fails with [`QueueError::Full`] and stores
    /// nothing: the server answers the sender's request with 503, the sender's client resends
    /// later and the server hands out the same delivery again (SPEC.md 12.8), so nothing is
    /// dropped while the recipient is merely slow.
    pub max_len: u64,
    /// Seconds a delivery waits for its recipient; after that it expires unseen (a device gone
    /// for longer than this loses those deliveries).
    pub retention: u64,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            max_len: 10_000,
            retention: 30 * 24 * 3600,
        }
    }
}

/// Why a queue operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The recipient's queue holds [`QueueLimits::max_len`] slots; nothing was stored.
    Full,
    /// Concurrent writers kept winning every attempt (not seen in practice; retry).
    Contention,
    /// A stored slot or floor is not in this module's format.
    Corrupt,
    /// The store failed; the operation may or may not have taken effect, and repeating it is safe.
    Store(StoreError),
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::Full => f.write_str("delivery queue full"),
            QueueError::Contention => f.write_str("delivery queue: too much contention"),
            QueueError::Corrupt => f.write_str("delivery queue: stored entry malformed"),
            QueueError::Store(e) => write!(f, "delivery queue: {e}"),
        }
    }
}

impl std::error::Error for QueueError {}

impl From<StoreError> for QueueError {
    fn from(e: StoreError) -> Self {
        QueueError::Store(e)
    }
}

/// The delivery queues of every account, in the store `S` (see the module docs).
#[derive(Debug)]
pub struct DeliveryQueue<S: Store> {
    store: S,
    limits: QueueLimits,
}

/// What one slot holds, as a fetch sees it.
enum Slot {
    Delivery(Vec<u8>),
    GivenUp,
}

impl<S: Store> DeliveryQueue<S> {
    /// Queues over `store` with these limits.
    pub fn new(store: S, limits: QueueLimits) -> Self {
        Self { store, limits }
    }

    /// The limits this queue keeps.
    pub fn limits(&self) -> QueueLimits {
        self.limits
    }

    /// The store the queues live in.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Appends `delivery` to the queue of `recipient`; returns its sequence number. Safe to
    /// call from any number of threads and processes at once.
    pub fn enqueue(
        &self,
        now: Time,
        recipient: &AccountId,
        delivery: &[u8],
    ) -> Result<u64, QueueError> {
        let mut value = Vec::with_capacity(delivery.len() + 1);
        value.push(TAG_DELIVERY);
        value.extend_from_slice(delivery);
        let expires = Some(now.saturating_add(self.limits.retention));
        for _ in 0..MAX_ATTEMPTS {
            let floor = self.floor(now, recipient)?;
            let seq = self
                .store
                .add_within_limit(
                    &key(recipient, b"next"),
                    1,
                    floor.saturating_add(self.limits.max_len),
                    None,
                    now,
                )?
                .ok_or(QueueError::Full)?;
            if self
                .store
                .insert_if_absent(&slot_key(recipient, seq), &value, expires, now)?
            {
                return Ok(seq);
            }
            // A fetcher gave this slot up before the write: take the next number.
        }
        Err(QueueError::Contention)
    }

    /// The oldest unacknowledged deliveries of `account` (at most `max`, at most
    /// [`MAX_FETCH_ENTRIES`] and about [`MAX_FETCH_BYTES`]), oldest first, with their sequence
    /// numbers. Fetching does not remove anything: [`DeliveryQueue::ack`] does.
    pub fn fetch(
        &self,
        now: Time,
        account: &AccountId,
        max: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, QueueError> {
        let max = max.min(MAX_FETCH_ENTRIES);
        let floor = self.floor(now, account)?;
        let last = read_counter(&self.store, &key(account, b"next"), now)?;
        let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut bytes = 0usize;
        // Given-up slots directly above the floor are done: the floor moves over them.
        let mut new_floor = floor;
        let end = last.min(floor.saturating_add(MAX_FETCH_SCAN));
        let mut seq = floor;
        while seq < end && out.len() < max {
            seq += 1;
            match self.read_or_give_up(now, account, seq)? {
                Slot::GivenUp => {
                    if out.is_empty() {
                        new_floor = seq;
                    }
                }
                Slot::Delivery(delivery) => {
                    if !out.is_empty() && bytes.saturating_add(delivery.len()) > MAX_FETCH_BYTES {
                        break;
                    }
                    bytes = bytes.saturating_add(delivery.len());
                    out.push((seq, delivery));
                }
            }
        }
        if new_floor > floor {
            self.raise_floor(now, account, new_floor)?;
        }
        Ok(out)
    }

    /// Acknowledges every delivery of `account` with a sequence number at most `up_to` (numbers
    /// not yet handed out are not acknowledged). Returns how many slots it moved the floor over.
    pub fn ack(&self, now: Time, account: &AccountId, up_to: u64) -> Result<u64, QueueError> {
        let last = read_counter(&self.store, &key(account, b"next"), now)?;
        let up_to = up_to.min(last);
        let old = self.raise_floor(now, account, up_to)?;
        if old >= up_to {
            return Ok(0);
        }
        let delete_from = old.max(up_to.saturating_sub(MAX_ACK_DELETES));
        for seq in delete_from + 1..=up_to {
            let slot = slot_key(account, seq);
            // Only deliveries are deleted. A given-up marker stays until it expires: deleted, it
            // would let the enqueuer whose number it closed (still between its two store calls)
            // write its delivery below the floor, where no fetch looks.
            if let Some(value) = self.store.get(&slot, now)? {
                if value.first() == Some(&TAG_DELIVERY) {
                    self.store.delete_if_matches(&slot, &value, now)?;
                }
            }
        }
        Ok(up_to - old)
    }

    /// The number of slots of `account` between its floor and its last number (deliveries
    /// waiting, plus slots not yet given up).
    pub fn depth(&self, now: Time, account: &AccountId) -> Result<u64, QueueError> {
        let floor = self.floor(now, account)?;
        let last = read_counter(&self.store, &key(account, b"next"), now)?;
        Ok(last.saturating_sub(floor))
    }

    /// Reads slot `seq`, closing it as given up if it is empty (see the module docs).
    fn read_or_give_up(
        &self,
        now: Time,
        account: &AccountId,
        seq: u64,
    ) -> Result<Slot, QueueError> {
        let slot = slot_key(account, seq);
        let value = match self.store.get(&slot, now)? {
            Some(value) => value,
            None => {
                let expires = Some(now.saturating_add(self.limits.retention));
                if self
                    .store
                    .insert_if_absent(&slot, &[TAG_GIVEN_UP], expires, now)?
                {
                    return Ok(Slot::GivenUp);
                }
                // The enqueuer's write won; read what it wrote. Should it have expired in
                // between, the slot is gone for good (its retention is over).
                match self.store.get(&slot, now)? {
                    Some(value) => value,
                    None => return Ok(Slot::GivenUp),
                }
            }
        };
        match value.split_first() {
            Some((&TAG_DELIVERY, delivery)) => Ok(Slot::Delivery(delivery.to_vec())),
            Some((&TAG_GIVEN_UP, [])) => Ok(Slot::GivenUp),
            _ => Err(QueueError::Corrupt),
        }
    }

    /// The acknowledged floor of `account` (0 if none).
    fn floor(&self, now: Time, account: &AccountId) -> Result<u64, QueueError> {
        match self.store.get(&key(account, b"acked"), now)? {
            None => Ok(0),
            Some(v) => decode_u64(&v),
        }
    }

    /// Moves the floor of `account` up to `to` unless it is already there; returns the floor
    /// before.
    fn raise_floor(&self, now: Time, account: &AccountId, to: u64) -> Result<u64, QueueError> {
        let floor_key = key(account, b"acked");
        let new = to.to_be_bytes();
        for _ in 0..MAX_ATTEMPTS {
            let written = match self.store.get(&floor_key, now)? {
                None => self.store.insert_if_absent(&floor_key, &new, None, now)?,
                Some(current) => {
                    let old = decode_u64(&current)?;
                    if old >= to {
                        return Ok(old);
                    }
                    if self
                        .store
                        .replace_if_matches(&floor_key, &current, &new, None, now)?
                    {
                        return Ok(old);
                    }
                    false
                }
            };
            if written {
                return Ok(0);
            }
        }
        Err(QueueError::Contention)
    }
}

fn decode_u64(bytes: &[u8]) -> Result<u64, QueueError> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| QueueError::Corrupt)?;
    Ok(u64::from_be_bytes(array))
}

fn key(account: &AccountId, field: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(PREFIX.len() + 33 + field.len());
    k.extend_from_slice(PREFIX);
    k.extend_from_slice(account.as_bytes());
    k.push(b'/');
    k.extend_from_slice(field);
    k
}

fn slot_key(account: &AccountId, seq: u64) -> Vec<u8> {
    let mut k = key(account, b"item/");
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The encoding of a fetch's answer: `u16 n; n x (u64 seq; vec32 delivery)`.
pub fn encode_fetched(entries: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let len: usize = entries.iter().map(|(_, d)| 12 + d.len()).sum();
    let mut out = Vec::with_capacity(2 + len);
    // At most MAX_FETCH_ENTRIES entries, each under 4 GiB: the casts cannot truncate.
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for (seq, delivery) in entries {
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&(delivery.len() as u32).to_be_bytes());
        out.extend_from_slice(delivery);
    }
    out
}

/// Decodes a fetch's answer ([`encode_fetched`]); `None` if malformed or with trailing bytes.
pub fn decode_fetched(bytes: &[u8]) -> Option<Vec<(u64, Vec<u8>)>> {
    let (n, mut rest) = bytes.split_first_chunk::<2>()?;
    let n = u16::from_be_bytes(*n);
    let mut out = Vec::new();
    for _ in 0..n {
        let (seq, r) = rest.split_first_chunk::<8>()?;
        let (len, r) = r.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if r.len() < len {
            return None;
        }
        let (delivery, r) = r.split_at(len);
        out.push((u64::from_be_bytes(*seq), delivery.to_vec()));
        rest = r;
    }
    rest.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use blindpost::store::MemoryStore;
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    const T0: Time = Time::from_unix_secs(1_800_000_000);

    fn account(n: u8) -> AccountId {
        AccountId([n; 32])
    }

    fn queue(max_len: u64) -> DeliveryQueue<Arc<MemoryStore>> {
        DeliveryQueue::new(
            Arc::new(MemoryStore::new()),
            QueueLimits {
                max_len,
                retention: 3600,
            },
        )
    }

    /// Fetches and acknowledges until the queue of `who` is empty (bounded).
    fn drain<S: Store>(q: &DeliveryQueue<S>, who: &AccountId) -> Vec<(u64, Vec<u8>)> {
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let batch = q.fetch(T0, who, MAX_FETCH_ENTRIES).unwrap();
            let Some(&(last, _)) = batch.last() else {
                return all;
            };
            q.ack(T0, who, last).unwrap();
            all.extend(batch);
        }
        panic!("queue did not drain");
    }

    #[test]
    fn fetch_returns_in_order_until_acknowledged() {
        let q = queue(100);
        let (a, b) = (account(1), account(2));
        for i in 0..3u8 {
            q.enqueue(T0, &a, &[i]).unwrap();
        }
        q.enqueue(T0, &b, b"other").unwrap();
        let first = q.fetch(T0, &a, 10).unwrap();
        assert_eq!(first, vec![(1, vec![0]), (2, vec![1]), (3, vec![2])]);
        // Fetching again without an ack hands out the same deliveries (at-least-once).
        assert_eq!(q.fetch(T0, &a, 10).unwrap(), first);
        assert_eq!(q.fetch(T0, &a, 2).unwrap(), first[..2]);
        assert_eq!(q.ack(T0, &a, 2).unwrap(), 2);
        assert_eq!(q.fetch(T0, &a, 10).unwrap(), vec![(3, vec![2])]);
        // An ack beyond the last number handed out stops at it; a lower one changes nothing.
        assert_eq!(q.ack(T0, &a, 1_000).unwrap(), 1);
        assert_eq!(q.ack(T0, &a, 1).unwrap(), 0);
        assert!(q.fetch(T0, &a, 10).unwrap().is_empty());
        assert_eq!(q.enqueue(T0, &a, b"next").unwrap(), 4);
        assert_eq!(q.fetch(T0, &b, 10).unwrap(), vec![(1, b"other".to_vec())]);
        // Acknowledged slots are deleted: only a's two counters, b's counter and slot remain.
        q.ack(T0, &a, 4).unwrap();
        assert_eq!(q.store().entry_count().unwrap(), 4);
    }

    #[test]
    fn fetch_is_bounded_in_entries_and_bytes() {
        let q = queue(1_000);
        let a = account(1);
        for _ in 0..100 {
            q.enqueue(T0, &a, &[7; 40_000]).unwrap();
        }
        let batch = q.fetch(T0, &a, 1_000).unwrap();
        assert_eq!(batch.len(), MAX_FETCH_BYTES / 40_000);
        let small = queue(1_000);
        for _ in 0..100 {
            small.enqueue(T0, &a, b"x").unwrap();
        }
        assert_eq!(small.fetch(T0, &a, 1_000).unwrap().len(), MAX_FETCH_ENTRIES);
    }

    #[test]
    fn a_full_queue_refuses_and_stores_nothing_until_acknowledged() {
        let q = queue(3);
        let a = account(1);
        for i in 0..3u8 {
            q.enqueue(T0, &a, &[i]).unwrap();
        }
        let before = q.store().entry_count().unwrap();
        assert_eq!(q.enqueue(T0, &a, b"late"), Err(QueueError::Full));
        assert_eq!(q.store().entry_count().unwrap(), before);
        assert_eq!(q.depth(T0, &a).unwrap(), 3);
        q.ack(T0, &a, 1).unwrap();
        assert_eq!(q.enqueue(T0, &a, b"late").unwrap(), 4);
        let rest: Vec<_> = drain(&q, &a).into_iter().map(|(_, d)| d).collect();
        assert_eq!(rest, vec![vec![1], vec![2], b"late".to_vec()]);
    }

    #[test]
    fn deliveries_expire_after_retention_and_the_floor_moves_over_them() {
        let q = queue(100);
        let a = account(1);
        q.enqueue(T0, &a, b"old").unwrap();
        let later = T0.saturating_add(1800);
        q.enqueue(later, &a, b"new").unwrap();
        let after_first = T0.saturating_add(3600);
        assert_eq!(
            q.fetch(after_first, &a, 10).unwrap(),
            vec![(2, b"new".to_vec())]
        );
        assert_eq!(q.depth(after_first, &a).unwrap(), 1);
    }

    #[test]
    fn a_slot_left_empty_is_given_up_and_its_enqueuer_takes_the_next() {
        let q = queue(100);
        let a = account(1);
        // An enqueuer took number 1 and has not written yet (or died).
        q.store()
            .add_within_limit(&key(&a, b"next"), 1, 100, None, T0)
            .unwrap();
        assert!(q.fetch(T0, &a, 10).unwrap().is_empty());
        assert_eq!(q.floor(T0, &a).unwrap(), 1);
        // Its late write loses against the given-up marker, so it could not be skipped.
        assert!(!q
            .store()
            .insert_if_absent(&slot_key(&a, 1), &[TAG_DELIVERY, 9], None, T0)
            .unwrap());
        assert_eq!(q.enqueue(T0, &a, b"d").unwrap(), 2);
        assert_eq!(drain(&q, &a), vec![(2, b"d".to_vec())]);
    }

    #[test]
    fn eight_threads_enqueue_concurrently_and_each_item_is_fetched_once_in_order() {
        const PER_THREAD: u16 = 150;
        let q = Arc::new(queue(100_000));
        let a = account(3);
        std::thread::scope(|scope| {
            for t in 0..8u8 {
                let q = &q;
                scope.spawn(move || {
                    for i in 0..PER_THREAD {
                        let [hi, lo] = i.to_be_bytes();
                        q.enqueue(T0, &a, &[t, hi, lo]).unwrap();
                    }
                });
            }
        });
        let all = drain(&q, &a);
        check_each_once_in_order(&all, 8, PER_THREAD);
    }

    #[test]
    fn enqueues_racing_a_consumer_lose_nothing_and_duplicate_nothing() {
        const PER_THREAD: u16 = 100;
        let q = Arc::new(queue(100_000));
        let a = account(4);
        let done = AtomicUsize::new(0);
        let mut consumed = Vec::new();
        std::thread::scope(|scope| {
            for t in 0..8u8 {
                let (q, done) = (&q, &done);
                scope.spawn(move || {
                    for i in 0..PER_THREAD {
                        let [hi, lo] = i.to_be_bytes();
                        q.enqueue(T0, &a, &[t, hi, lo]).unwrap();
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
            // The consumer runs while they enqueue, giving up slots that are not written yet.
            for _ in 0..1_000_000 {
                let finished = done.load(Ordering::SeqCst) == 8;
                let batch = q.fetch(T0, &a, MAX_FETCH_ENTRIES).unwrap();
                if let Some(&(last, _)) = batch.last() {
                    q.ack(T0, &a, last).unwrap();
                    consumed.extend(batch);
                } else if finished {
                    break;
                }
            }
        });
        check_each_once_in_order(&consumed, 8, PER_THREAD);
    }

    /// Each of `threads x per_thread` items exactly once, sequence numbers strictly
    /// increasing, each thread's items in the order it enqueued them.
    fn check_each_once_in_order(all: &[(u64, Vec<u8>)], threads: u8, per_thread: u16) {
        assert_eq!(all.len(), usize::from(threads) * usize::from(per_thread));
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
        let distinct: BTreeSet<_> = all.iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(distinct.len(), all.len());
        for t in 0..threads {
            let mine: Vec<u16> = all
                .iter()
                .filter(|(_, d)| d[0] == t)
                .map(|(_, d)| u16::from_be_bytes([d[1], d[2]]))
                .collect();
            assert_eq!(mine, (0..per_thread).collect::<Vec<_>>());
        }
    }

    /// A store whose process dies after `budget` calls: every later call fails.
    struct Dying {
        inner: Arc<MemoryStore>,
        budget: AtomicUsize,
    }

    impl Dying {
        fn alive(&self) -> Result<(), StoreError> {
            self.budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
                .map(|_| ())
                .map_err(|_| StoreError::new("process died"))
        }
    }

    impl Store for Dying {
        fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
            self.alive()?;
            self.inner.get(key, now)
        }
        fn put(&self, k: &[u8], v: &[u8], e: Option<Time>, now: Time) -> Result<(), StoreError> {
            self.alive()?;
            self.inner.put(k, v, e, now)
        }
        fn insert_if_absent(
            &self,
            k: &[u8],
            v: &[u8],
            e: Option<Time>,
            now: Time,
        ) -> Result<bool, StoreError> {
            self.alive()?;
            self.inner.insert_if_absent(k, v, e, now)
        }
        fn replace_if_matches(
            &self,
            k: &[u8],
            old: &[u8],
            new: &[u8],
            e: Option<Time>,
            now: Time,
        ) -> Result<bool, StoreError> {
            self.alive()?;
            self.inner.replace_if_matches(k, old, new, e, now)
        }
        fn delete_if_matches(&self, k: &[u8], v: &[u8], now: Time) -> Result<bool, StoreError> {
            self.alive()?;
            self.inner.delete_if_matches(k, v, now)
        }
        fn add_within_limit(
            &self,
            k: &[u8],
            amount: u64,
            limit: u64,
            e: Option<Time>,
            now: Time,
        ) -> Result<Option<u64>, StoreError> {
            self.alive()?;
            self.inner.add_within_limit(k, amount, limit, e, now)
        }
        fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
            self.alive()?;
            self.inner.purge_expired(now)
        }
        fn entry_count(&self) -> Result<usize, StoreError> {
            self.inner.entry_count()
        }
    }

    /// For every point at which a process can die between two store calls of a script of
    /// enqueues, fetches and acks: after a second process repeats the enqueues that did not
    /// return (the senders' resends) and drains the queue, every item has reached the client,
    /// and nothing the client acknowledged comes back.
    #[test]
    fn a_process_dying_between_any_two_store_calls_loses_no_delivery() {
        let a = account(5);
        let items: [&[u8]; 4] = [b"one", b"two", b"three", b"four"];
        let mut completed = false;
        for budget in 0..200 {
            let inner = Arc::new(MemoryStore::new());
            let dying = DeliveryQueue::new(
                Dying {
                    inner: inner.clone(),
                    budget: AtomicUsize::new(budget),
                },
                QueueLimits::default(),
            );
            let mut enqueued = [false; 4];
            let mut received: Vec<(u64, Vec<u8>)> = Vec::new();
            let mut acked_up_to = 0;
            // The script: enqueue two, fetch, ack, enqueue two more, fetch. Stop at death.
            let _ = (|| -> Result<(), QueueError> {
                for i in 0..2 {
                    dying.enqueue(T0, &a, items[i])?;
                    enqueued[i] = true;
                }
                let batch = dying.fetch(T0, &a, 10)?;
                received.extend(batch.iter().cloned());
                if let Some(&(last, _)) = batch.last() {
                    dying.ack(T0, &a, last)?;
                    acked_up_to = last;
                }
                for i in 2..4 {
                    dying.enqueue(T0, &a, items[i])?;
                    enqueued[i] = true;
                }
                received.extend(dying.fetch(T0, &a, 10)?);
                completed = true;
                Ok(())
            })();
            let next = DeliveryQueue::new(inner, QueueLimits::default());
            for i in 0..4 {
                if !enqueued[i] {
                    next.enqueue(T0, &a, items[i]).unwrap();
                }
            }
            let rest = drain(&next, &a);
            assert!(
                rest.iter().all(|(seq, _)| *seq > acked_up_to),
                "budget {budget}: an acknowledged delivery came back"
            );
            received.extend(rest);
            for item in items {
                assert!(
                    received.iter().any(|(_, d)| d == item),
                    "budget {budget}: {item:?} lost"
                );
            }
            if completed {
                break;
            }
        }
        assert!(completed, "the script never ran to its end");
    }
}
