//! A durable [`Store`] for one machine: [`RedbStore`], one [redb](https://docs.rs/redb) file.
//!
//! # Why redb
//! redb is pure Rust: no C toolchain to build (unlike SQLite through `rusqlite`'s bundled
//! build), no server to run, the whole state in one file. Its write transactions are ACID and,
//! with the default immediate durability, fsynced before `commit` returns; readers see the last
//! committed state through MVCC snapshots without blocking the writer.
//!
//! # Guarantees
//! - **Durable on return.** Every operation that changes the store is one write transaction,
//!   committed with immediate durability: when the call returns `Ok`, the change is on disk and a
//!   process killed right afterwards finds it when the file is opened again (the tests kill a
//!   writer with SIGKILL). redb fsyncs before the commit returns, so a power cut keeps it too,
//!   as far as the disk honours fsync. Writes are serialised, one fsync each.
//! - **Atomic.** Each method reads and writes inside one transaction; redb runs one write
//!   transaction at a time, so compare-and-swap, insert-if-absent and bounded counters hold from
//!   any number of threads sharing one [`RedbStore`].
//! - **Expiry by the server's clock.** The expiry is stored with the value and the `now` passed to
//!   each call decides whether an entry is live; [`Store::purge_expired`] deletes what expired.
//! - **One process.** redb locks the file: a second [`RedbStore::open`] of a file already open
//!   (from this or another process) fails with an error instead of sharing it. Share one
//!   `RedbStore` (it is `Send + Sync`) between a server's threads.
//! - **Failures.** An `Err` before the commit (a bad record, a failed read) changed nothing: the
//!   transaction is aborted. An `Err` from the commit itself (an I/O error while writing or
//!   syncing) is ambiguous: the change may be in the file when it is opened again, and this
//!   handle refuses every later write (redb's "previous I/O error") until the file is reopened.
//!   The server answers such a request with an internal error; at worst a counter counted an
//!   attempt that did not complete, which only tightens a limit. A record this crate did not
//!   write (wrong length, unknown expiry flag) is an error, never a panic.
//!
//! # Opening
//! ```no_run
//! use blindpost_store_redb::RedbStore;
//! # fn main() -> Result<(), blindpost::store::StoreError> {
//! let store = RedbStore::open("/var/lib/blindpost/store.redb")?;
//! // Server::new(config, secrets, store) ...
//! # let _ = store;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

mod record;

use blindpost::store::{KeyValue, Store, StoreError};
use blindpost::Time;
use record::Record;
use redb::{Database, DatabaseError, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use redb::{Table, TableDefinition};
use std::fmt;
use std::path::{Path, PathBuf};

/// Every entry: key to [`Record`] bytes (expiry, then value).
const ENTRIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blindpost_entries");
/// The file's layout version, so a later layout is refused instead of misread.
const META: TableDefinition<&str, u64> = TableDefinition::new("blindpost_meta");
const FORMAT_KEY: &str = "format";
/// The layout [`record`] describes.
const FORMAT: u64 = 1;

/// A [`Store`] in one redb file, durable when each call returns (see the crate docs).
pub struct RedbStore {
    db: Database,
    path: PathBuf,
}

/// Names the file, for logs.
impl fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Wraps a redb error with what the store was doing.
fn failed<E: Into<redb::Error>>(doing: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError::new(format!("redb store: {doing}: {}", e.into()))
}

impl RedbStore {
    /// Opens the store in the file at `path`, creating it (and its tables) if it does not exist.
    ///
    /// Fails if the file is already open (redb locks it to one handle: another process or another
    /// `RedbStore` in this one), if it is not a redb file, or if it holds a layout version this
    /// crate does not know.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let db = Database::create(path).map_err(|e| match e {
            DatabaseError::DatabaseAlreadyOpen => StoreError::new(format!(
                "redb store: {} is already open by another process or handle (redb locks the \
                 file to one; share one RedbStore instead)",
                path.display()
            )),
            other => StoreError::new(format!(
                "redb store: cannot open {}: {}",
                path.display(),
                redb::Error::from(other)
            )),
        })?;
        let txn = db.begin_write().map_err(failed("begin the setup"))?;
        {
            let mut meta = txn
                .open_table(META)
                .map_err(failed("open the meta table"))?;
            let format = meta
                .get(FORMAT_KEY)
                .map_err(failed("read the format"))?
                .map(|v| v.value());
            match format {
                None => {
                    meta.insert(FORMAT_KEY, FORMAT)
                        .map_err(failed("write the format"))?;
                }
                Some(FORMAT) => {}
                Some(other) => {
                    return Err(StoreError::new(format!(
                        "redb store: {} has layout version {other}; this crate reads version \
                         {FORMAT}",
                        path.display()
                    )))
                }
            }
            txn.open_table(ENTRIES)
                .map_err(failed("create the entries table"))?;
        }
        txn.commit().map_err(failed("commit the setup"))?;
        Ok(Self {
            db,
            path: path.to_path_buf(),
        })
    }

    /// The file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every live entry at `now`, in key order: for operators inspecting a store, and for tests.
    pub fn entries(&self, now: Time) -> Result<Vec<KeyValue>, StoreError> {
        let txn = self.db.begin_read().map_err(failed("begin a read"))?;
        let table = txn
            .open_table(ENTRIES)
            .map_err(failed("open the entries table"))?;
        let mut live = Vec::new();
        for item in table.iter().map_err(failed("list the entries"))? {
            let (key, bytes) = item.map_err(failed("read an entry"))?;
            let record = Record::decode(bytes.value())?;
            if record.live(now) {
                live.push((key.value().to_vec(), record.value.to_vec()));
            }
        }
        Ok(live)
    }

    /// Runs `op` in one write transaction. `op` returns its result and whether it changed the
    /// table: a change is committed (durable on return), no change is aborted (nothing to
    /// write, no fsync). An error aborts: nothing changes.
    fn write<T>(
        &self,
        op: impl FnOnce(&mut Table<&[u8], &[u8]>) -> Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        let txn = self.db.begin_write().map_err(failed("begin a write"))?;
        let (result, changed) = {
            let mut table = txn
                .open_table(ENTRIES)
                .map_err(failed("open the entries table"))?;
            op(&mut table)?
        };
        if changed {
            txn.commit().map_err(failed("commit"))?;
        } else {
            txn.abort().map_err(failed("end an unchanged write"))?;
        }
        Ok(result)
    }
}

/// A live entry copied out of a table being written (the table is then free to change).
struct LiveEntry {
    value: Vec<u8>,
    expires_at: Option<Time>,
}

/// The live entry under `key` in a table being written.
fn live_entry(
    table: &Table<&[u8], &[u8]>,
    key: &[u8],
    now: Time,
) -> Result<Option<LiveEntry>, StoreError> {
    let Some(bytes) = table.get(key).map_err(failed("read an entry"))? else {
        return Ok(None);
    };
    let record = Record::decode(bytes.value())?;
    Ok(record.live(now).then(|| LiveEntry {
        value: record.value.to_vec(),
        expires_at: record.expires_at,
    }))
}

fn insert(
    table: &mut Table<&[u8], &[u8]>,
    key: &[u8],
    value: &[u8],
    expires_at: Option<Time>,
) -> Result<(), StoreError> {
    table
        .insert(key, Record::encode(value, expires_at).as_slice())
        .map_err(failed("write an entry"))?;
    Ok(())
}

impl Store for RedbStore {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(failed("begin a read"))?;
        let table = txn
            .open_table(ENTRIES)
            .map_err(failed("open the entries table"))?;
        let Some(bytes) = table.get(key).map_err(failed("read an entry"))? else {
            return Ok(None);
        };
        let record = Record::decode(bytes.value())?;
        Ok(record.live(now).then(|| record.value.to_vec()))
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        _now: Time,
    ) -> Result<(), StoreError> {
        self.write(|table| Ok((insert(table, key, value, expires_at)?, true)))
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.write(|table| {
            if live_entry(table, key, now)?.is_some() {
                return Ok((false, false));
            }
            insert(table, key, value, expires_at)?;
            Ok((true, true))
        })
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.write(|table| {
            if live_entry(table, key, now)?.is_none_or(|e| e.value != expected) {
                return Ok((false, false));
            }
            insert(table, key, new, expires_at)?;
            Ok((true, true))
        })
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        self.write(|table| {
            if live_entry(table, key, now)?.is_none_or(|e| e.value != expected) {
                return Ok((false, false));
            }
            table.remove(key).map_err(failed("delete an entry"))?;
            Ok((true, true))
        })
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        self.write(|table| {
            let (current, expiry) = match live_entry(table, key, now)? {
                None => (0, expires_at),
                Some(entry) => {
                    let bytes: [u8; 8] = entry.value.as_slice().try_into().map_err(|_| {
                        StoreError::new(format!(
                            "redb store: counter value is {} bytes, not 8",
                            entry.value.len()
                        ))
                    })?;
                    (u64::from_be_bytes(bytes), entry.expires_at)
                }
            };
            let Some(next) = current.checked_add(amount).filter(|n| *n <= limit) else {
                return Ok((None, false));
            };
            insert(table, key, &next.to_be_bytes(), expiry)?;
            Ok((Some(next), true))
        })
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        self.write(|table| {
            // Collect first: redb does not delete from a table while iterating it, and a corrupt
            // record must stop the purge (an error) rather than be deleted unseen.
            let mut expired = Vec::new();
            for item in table.iter().map_err(failed("list the entries"))? {
                let (key, bytes) = item.map_err(failed("read an entry"))?;
                if !Record::decode(bytes.value())?.live(now) {
                    expired.push(key.value().to_vec());
                }
            }
            for key in &expired {
                table
                    .remove(key.as_slice())
                    .map_err(failed("delete an expired entry"))?;
            }
            let changed = !expired.is_empty();
            Ok((expired.len(), changed))
        })
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        let txn = self.db.begin_read().map_err(failed("begin a read"))?;
        let table = txn
            .open_table(ENTRIES)
            .map_err(failed("open the entries table"))?;
        let count = table.len().map_err(failed("count the entries"))?;
        usize::try_from(count)
            .map_err(|_| StoreError::new(format!("redb store: {count} entries overflow usize")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_record_is_an_error_in_every_operation_that_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(dir.path().join("store.redb")).unwrap();
        let txn = store.db.begin_write().unwrap();
        txn.open_table(ENTRIES)
            .unwrap()
            .insert(&b"bad"[..], &[1u8, 2, 3][..])
            .unwrap();
        txn.commit().unwrap();
        let now = Time::from_unix_secs(1);
        assert!(store.get(b"bad", now).is_err());
        assert!(store.insert_if_absent(b"bad", b"v", None, now).is_err());
        assert!(store
            .replace_if_matches(b"bad", b"v", b"w", None, now)
            .is_err());
        assert!(store.delete_if_matches(b"bad", b"v", now).is_err());
        assert!(store.add_within_limit(b"bad", 1, 9, None, now).is_err());
        assert!(store.purge_expired(now).is_err());
        assert!(store.entries(now).is_err());
        // Nothing changed: the bad record is still the only entry.
        assert_eq!(store.entry_count().unwrap(), 1);
    }

    #[test]
    fn a_file_with_an_unknown_layout_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        drop(RedbStore::open(&path).unwrap());
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert(FORMAT_KEY, 2).unwrap();
        txn.commit().unwrap();
        drop(db);
        let error = RedbStore::open(&path).unwrap_err();
        assert!(error.message.contains("layout version 2"), "{error}");
    }
}
