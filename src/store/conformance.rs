//! The conformance suite every [`Store`] implementation must pass.
//!
//! Call [`run`] from a test of your implementation with a function that makes an empty store;
//! it returns the first check that failed. With the `std` feature it also hammers the store from
//! several threads and checks that each operation is atomic.

use super::{read_counter, Store, StoreError};
use crate::Time;
use alloc::format;
use alloc::string::String;
use core::fmt;

/// A check of the suite that the store failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConformanceFailure {
    /// Which check failed.
    pub check: &'static str,
    /// What was observed.
    pub detail: String,
}

impl fmt::Display for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "store conformance check '{}' failed: {}",
            self.check, self.detail
        )
    }
}

impl core::error::Error for ConformanceFailure {}

impl From<StoreError> for ConformanceFailure {
    fn from(e: StoreError) -> Self {
        Self {
            check: "backend error",
            detail: e.message,
        }
    }
}

fn expect<T: PartialEq + fmt::Debug>(
    check: &'static str,
    got: T,
    want: T,
) -> Result<(), ConformanceFailure> {
    if got == want {
        Ok(())
    } else {
        Err(ConformanceFailure {
            check,
            detail: format!("got {got:?}, expected {want:?}"),
        })
    }
}

/// The suite's clock readings: small numbers of seconds, for expiries easy to follow.
const fn at(secs: u64) -> Time {
    Time::from_unix_secs(secs)
}

/// Runs every check on fresh stores made by `make`.
pub fn run<S: Store, F: Fn() -> S>(make: F) -> Result<(), ConformanceFailure> {
    put_get_overwrite(&make())?;
    expiry(&make())?;
    insert_if_absent(&make())?;
    replace_and_delete(&make())?;
    counters(&make())?;
    purge(&make())?;
    boundary(&make)?;
    largest_value(&make())?;
    counter_edges(&make())?;
    #[cfg(feature = "std")]
    {
        concurrent_insert(&make())?;
        concurrent_counter(&make())?;
        concurrent_replace(&make())?;
    }
    Ok(())
}

fn put_get_overwrite<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    expect("get of a missing key", s.get(b"k", at(0))?, None)?;
    s.put(b"k", b"one", None, at(0))?;
    expect("get after put", s.get(b"k", at(0))?, Some(b"one".to_vec()))?;
    s.put(b"k", b"two", None, at(0))?;
    expect(
        "get after overwrite",
        s.get(b"k", at(0))?,
        Some(b"two".to_vec()),
    )?;
    expect("keys are distinct", s.get(b"k2", at(0))?, None)?;
    s.put(b"empty", b"", None, at(0))?;
    expect(
        "empty values are values",
        s.get(b"empty", at(0))?,
        Some(alloc::vec![]),
    )
}

fn expiry<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    s.put(b"k", b"v", Some(at(10)), at(0))?;
    expect(
        "live before expiry",
        s.get(b"k", at(9))?,
        Some(b"v".to_vec()),
    )?;
    expect("absent at expiry", s.get(b"k", at(10))?, None)?;
    expect(
        "insert over an expired entry",
        s.insert_if_absent(b"k", b"w", None, at(10))?,
        true,
    )?;
    expect(
        "value after reinsert",
        s.get(b"k", at(1000))?,
        Some(b"w".to_vec()),
    )?;
    s.put(b"gone", b"x", Some(at(5)), at(0))?;
    expect(
        "expired does not match",
        s.delete_if_matches(b"gone", b"x", at(5))?,
        false,
    )?;
    expect(
        "expired is not replaced",
        s.replace_if_matches(b"gone", b"x", b"y", None, at(6))?,
        false,
    )
}

fn insert_if_absent<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    expect(
        "first insert",
        s.insert_if_absent(b"k", b"a", None, at(0))?,
        true,
    )?;
    expect(
        "second insert refused",
        s.insert_if_absent(b"k", b"b", None, at(0))?,
        false,
    )?;
    expect(
        "refused insert changes nothing",
        s.get(b"k", at(0))?,
        Some(b"a".to_vec()),
    )
}

fn replace_and_delete<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    s.put(b"k", b"a", None, at(0))?;
    expect(
        "replace with wrong expectation",
        s.replace_if_matches(b"k", b"x", b"b", None, at(0))?,
        false,
    )?;
    expect(
        "failed replace changes nothing",
        s.get(b"k", at(0))?,
        Some(b"a".to_vec()),
    )?;
    expect(
        "replace with right expectation",
        s.replace_if_matches(b"k", b"a", b"b", None, at(0))?,
        true,
    )?;
    expect(
        "value after replace",
        s.get(b"k", at(0))?,
        Some(b"b".to_vec()),
    )?;
    expect(
        "replace of a missing key",
        s.replace_if_matches(b"m", b"", b"b", None, at(0))?,
        false,
    )?;
    expect(
        "delete with wrong expectation",
        s.delete_if_matches(b"k", b"a", at(0))?,
        false,
    )?;
    expect(
        "delete with right expectation",
        s.delete_if_matches(b"k", b"b", at(0))?,
        true,
    )?;
    expect("absent after delete", s.get(b"k", at(0))?, None)?;
    expect(
        "delete of a missing key",
        s.delete_if_matches(b"k", b"b", at(0))?,
        false,
    )
}

fn counters<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    expect("missing counter reads 0", read_counter(s, b"c", at(0))?, 0)?;
    expect(
        "first add",
        s.add_within_limit(b"c", 2, 5, Some(at(100)), at(0))?,
        Some(2),
    )?;
    expect(
        "second add",
        s.add_within_limit(b"c", 3, 5, Some(at(999)), at(1))?,
        Some(5),
    )?;
    expect(
        "add over the limit refused",
        s.add_within_limit(b"c", 1, 5, Some(at(100)), at(2))?,
        None,
    )?;
    expect(
        "refused add changes nothing",
        read_counter(s, b"c", at(2))?,
        5,
    )?;
    expect(
        "counter keeps its first expiry",
        read_counter(s, b"c", at(100))?,
        0,
    )?;
    expect(
        "counter restarts after expiry",
        s.add_within_limit(b"c", 1, 5, None, at(100))?,
        Some(1),
    )?;
    expect(
        "zero limit refuses",
        s.add_within_limit(b"z", 1, 0, None, at(0))?,
        None,
    )?;
    expect(
        "overflow refused",
        s.add_within_limit(b"c", u64::MAX, u64::MAX, None, at(100))?,
        None,
    )
}

fn purge<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    s.put(b"a", b"1", Some(at(5)), at(0))?;
    s.put(b"b", b"2", Some(at(50)), at(0))?;
    s.put(b"c", b"3", None, at(0))?;
    expect("entries before purge", s.entry_count()?, 3)?;
    expect("purge removes the expired", s.purge_expired(at(10))?, 1)?;
    expect("entries after purge", s.entry_count()?, 2)?;
    expect(
        "live entries survive purge",
        s.get(b"b", at(10))?,
        Some(b"2".to_vec()),
    )
}

/// The largest value the protocol writes, rounded up: a revocation checkpoint
/// (`bbs04::Checkpoint`, stored under its group generation by `server::groups`) of at most
/// `MAX_CHECKPOINT_ENTRIES` = 1024 entries of 64 bytes plus a 7-byte header, 65 543 bytes.
/// Account records (a group key and a certificate of at most 1024 bytes) are smaller.
pub const LARGEST_VALUE: usize = 96 * 1024;

/// A key longer than any the server builds (a tag, an account id and a generation), rounded up.
pub const LONG_KEY: usize = 512;

/// Expiry exactly at the boundary for every operation: an entry expiring at `t` is live at
/// `t - 1` and expired at `t` (the server's `now` decides).
fn boundary<S: Store, F: Fn() -> S>(make: &F) -> Result<(), ConformanceFailure> {
    let s = make();
    s.put(b"get", b"v", Some(at(100)), at(0))?;
    expect(
        "get live one second before expiry",
        s.get(b"get", at(99))?,
        Some(b"v".to_vec()),
    )?;
    expect("get expired at expiry", s.get(b"get", at(100))?, None)?;

    s.put(b"ins", b"v", Some(at(100)), at(0))?;
    expect(
        "insert refused one second before expiry",
        s.insert_if_absent(b"ins", b"w", None, at(99))?,
        false,
    )?;
    expect(
        "insert over an entry expired at expiry",
        s.insert_if_absent(b"ins", b"w", None, at(100))?,
        true,
    )?;
    expect(
        "inserted value",
        s.get(b"ins", at(100))?,
        Some(b"w".to_vec()),
    )?;

    s.put(b"rep", b"v", Some(at(100)), at(0))?;
    expect(
        "replace one second before expiry",
        s.replace_if_matches(b"rep", b"v", b"w", Some(at(100)), at(99))?,
        true,
    )?;
    expect(
        "replace refused at expiry",
        s.replace_if_matches(b"rep", b"w", b"x", None, at(100))?,
        false,
    )?;
    expect(
        "refused replace leaves it expired",
        s.get(b"rep", at(100))?,
        None,
    )?;

    s.put(b"del", b"v", Some(at(100)), at(0))?;
    s.put(b"del2", b"v", Some(at(100)), at(0))?;
    expect(
        "delete refused at expiry",
        s.delete_if_matches(b"del", b"v", at(100))?,
        false,
    )?;
    expect(
        "delete one second before expiry",
        s.delete_if_matches(b"del2", b"v", at(99))?,
        true,
    )?;
    expect("deleted", s.get(b"del2", at(0))?, None)?;

    expect(
        "counter created with an expiry",
        s.add_within_limit(b"ctr", 3, 10, Some(at(100)), at(0))?,
        Some(3),
    )?;
    expect(
        "counter adds one second before expiry",
        s.add_within_limit(b"ctr", 3, 10, Some(at(500)), at(99))?,
        Some(6),
    )?;
    expect(
        "counter restarts at expiry",
        s.add_within_limit(b"ctr", 5, 10, Some(at(200)), at(100))?,
        Some(5),
    )?;
    expect(
        "restarted counter takes the new expiry",
        read_counter(&s, b"ctr", at(199))?,
        5,
    )?;
    expect(
        "restarted counter expires",
        read_counter(&s, b"ctr", at(200))?,
        0,
    )?;

    let p = make();
    p.put(b"a", b"1", Some(at(100)), at(0))?;
    p.put(b"b", b"2", Some(at(101)), at(0))?;
    p.put(b"c", b"3", None, at(0))?;
    expect(
        "purge one second before expiry",
        p.purge_expired(at(99))?,
        0,
    )?;
    expect("purge at expiry", p.purge_expired(at(100))?, 1)?;
    expect("entries after boundary purge", p.entry_count()?, 2)?;
    expect(
        "purge spares the later expiry",
        p.get(b"b", at(100))?,
        Some(b"2".to_vec()),
    )
}

/// The largest value and a long key, written and read back byte-exact by every writing call.
fn largest_value<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    let value: alloc::vec::Vec<u8> = (0..LARGEST_VALUE)
        .map(|i| (i as u8) ^ ((i >> 8) as u8))
        .collect();
    let mut other = value.clone();
    other.reverse();
    let key: alloc::vec::Vec<u8> = (0..LONG_KEY).map(|i| (i as u8) | 1).collect();
    s.put(&key, &value, None, at(0))?;
    expect(
        "largest value read back",
        s.get(&key, at(0))?,
        Some(value.clone()),
    )?;
    expect(
        "largest value replaced",
        s.replace_if_matches(&key, &value, &other, None, at(0))?,
        true,
    )?;
    expect(
        "largest replacement read back",
        s.get(&key, at(0))?,
        Some(other.clone()),
    )?;
    expect(
        "largest value matched for delete",
        s.delete_if_matches(&key, &other, at(0))?,
        true,
    )?;
    expect(
        "largest value inserted",
        s.insert_if_absent(&key, &value, None, at(0))?,
        true,
    )?;
    expect("largest insert read back", s.get(&key, at(0))?, Some(value))
}

/// Counters at the top of the range and at their limits.
fn counter_edges<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    let top = u64::MAX;
    expect(
        "add up to one below the top",
        s.add_within_limit(b"top", top.saturating_sub(1), top, None, at(0))?,
        Some(top.saturating_sub(1)),
    )?;
    expect(
        "add to the top",
        s.add_within_limit(b"top", 1, top, None, at(0))?,
        Some(top),
    )?;
    expect(
        "add past the top refused",
        s.add_within_limit(b"top", 1, top, None, at(0))?,
        None,
    )?;
    expect(
        "counter stays at the top",
        read_counter(s, b"top", at(0))?,
        top,
    )?;
    expect(
        "a first add of exactly the limit",
        s.add_within_limit(b"exact", 7, 7, None, at(0))?,
        Some(7),
    )?;
    expect(
        "a first add over the limit refused",
        s.add_within_limit(b"over", 8, 7, None, at(0))?,
        None,
    )?;
    expect(
        "a refused first add creates nothing",
        s.get(b"over", at(0))?,
        None,
    )
}

#[cfg(feature = "std")]
const THREADS: usize = 8;

#[cfg(feature = "std")]
fn concurrent_insert<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    for round in 0u8..50 {
        let key = [b'i', round];
        let wins = std::thread::scope(|scope| {
            let handles: alloc::vec::Vec<_> = (0..THREADS)
                .map(|t| scope.spawn(move || s.insert_if_absent(&key, &[t as u8], None, at(0))))
                .collect();
            let mut wins = 0usize;
            for h in handles {
                if matches!(h.join(), Ok(Ok(true))) {
                    wins = wins.saturating_add(1);
                }
            }
            wins
        });
        expect("exactly one concurrent insert wins", wins, 1)?;
    }
    Ok(())
}

#[cfg(feature = "std")]
fn concurrent_counter<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    const LIMIT: u64 = 100;
    let granted = std::thread::scope(|scope| {
        let handles: alloc::vec::Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = 0u64;
                    for _ in 0..20 {
                        if matches!(
                            s.add_within_limit(b"ctr", 1, LIMIT, None, at(0)),
                            Ok(Some(_))
                        ) {
                            mine = mine.saturating_add(1);
                        }
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(0))
            .sum::<u64>()
    });
    expect(
        "concurrent additions stop exactly at the limit",
        granted,
        LIMIT,
    )?;
    expect(
        "counter equals the limit",
        read_counter(s, b"ctr", at(0))?,
        LIMIT,
    )
}

#[cfg(feature = "std")]
fn concurrent_replace<S: Store>(s: &S) -> Result<(), ConformanceFailure> {
    // Each thread moves the value from n to n+1 with compare-and-swap; no step may be lost.
    s.put(b"cas", &0u64.to_be_bytes(), None, at(0))?;
    const STEPS: u64 = 25;
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(move || {
                let mut done = 0;
                while done < STEPS {
                    let Ok(Some(cur)) = s.get(b"cas", at(0)) else {
                        continue;
                    };
                    let Ok(bytes) = <[u8; 8]>::try_from(cur.as_slice()) else {
                        continue;
                    };
                    let next = u64::from_be_bytes(bytes).saturating_add(1).to_be_bytes();
                    if matches!(
                        s.replace_if_matches(b"cas", &cur, &next, None, at(0)),
                        Ok(true)
                    ) {
                        done = done.saturating_add(1);
                    }
                }
            });
        }
    });
    let want = (THREADS as u64).saturating_mul(STEPS);
    expect(
        "compare-and-swap loses no update",
        read_counter(s, b"cas", at(0))?,
        want,
    )
}
