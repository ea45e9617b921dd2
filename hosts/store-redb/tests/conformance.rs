//! `RedbStore` against the store conformance suite, and what a file adds: it survives a reopen,
//! and it is locked to one open handle.

use blindpost::store::{conformance, read_counter, Store};
use blindpost::Time;
use blindpost_store_redb::RedbStore;

#[test]
fn passes_the_conformance_suite_on_fresh_files() {
    let dir = tempfile::tempdir().unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    conformance::run(|| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        RedbStore::open(dir.path().join(format!("store-{n}.redb"))).unwrap()
    })
    .unwrap();
    // Every check had its own file.
    assert!(next.into_inner() >= 6);
}

#[test]
fn a_reopened_file_holds_everything_written_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let now = Time::from_unix_secs(100);
    {
        let store = RedbStore::open(&path).unwrap();
        store.put(b"kept", b"forever", None, now).unwrap();
        assert!(store
            .insert_if_absent(b"spent", b"token", Some(now + 60), now)
            .unwrap());
        assert_eq!(
            store.add_within_limit(b"count", 3, 10, None, now).unwrap(),
            Some(3)
        );
        store.put(b"gone", b"soon", Some(now + 1), now).unwrap();
    }
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(
        store.get(b"kept", now).unwrap().as_deref(),
        Some(&b"forever"[..])
    );
    assert_eq!(
        store.get(b"spent", now).unwrap().as_deref(),
        Some(&b"token"[..])
    );
    assert_eq!(read_counter(&store, b"count", now).unwrap(), 3);
    assert!(!store
        .insert_if_absent(b"spent", b"again", Some(now + 60), now)
        .unwrap());
    // The expiry came back with the value: the server's clock still decides.
    assert_eq!(store.get(b"gone", now + 1).unwrap(), None);
    assert_eq!(store.entry_count().unwrap(), 4);
    assert_eq!(store.purge_expired(now + 1).unwrap(), 1);
    assert_eq!(
        store.entries(now + 1).unwrap(),
        vec![
            (b"count".to_vec(), 3u64.to_be_bytes().to_vec()),
            (b"kept".to_vec(), b"forever".to_vec()),
            (b"spent".to_vec(), b"token".to_vec()),
        ]
    );
}

#[test]
fn a_second_open_of_an_open_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let first = RedbStore::open(&path).unwrap();
    assert_eq!(first.path(), path);
    assert!(format!("{first:?}").contains("store.redb"));
    let error = RedbStore::open(&path).expect_err("the second open is refused");
    assert!(error.message.contains("already open"), "{error}");
    // The first handle is unharmed, and the file opens again once it is closed.
    first.put(b"k", b"v", None, Time::EPOCH).unwrap();
    drop(first);
    let again = RedbStore::open(&path).unwrap();
    assert_eq!(
        again.get(b"k", Time::EPOCH).unwrap().as_deref(),
        Some(&b"v"[..])
    );
}

#[test]
fn a_file_that_is_not_a_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-store");
    std::fs::write(&path, b"this is not a redb file, just some bytes ....").unwrap();
    let error = RedbStore::open(&path).expect_err("a foreign file is refused");
    assert!(error.message.contains("cannot open"), "{error}");
}
