//! The PostgreSQL store against the core's conformance checks, and its schema versioning.
//!
//! Needs `BLINDPOST_POSTGRES_URL` (`ci/engines/postgres.sh start` writes it to
//! `target/engines/postgres.env`): without it these tests fail under `CI=true` and are skipped
//! otherwise.

use blindpost::store::conformance;
use blindpost::store::Store;
use blindpost::Time;
use blindpost_store_postgres::{PostgresStore, SCHEMA_VERSION};
use std::sync::atomic::{AtomicUsize, Ordering};

const VARIABLE: &str = "BLINDPOST_POSTGRES_URL";

/// The connection string, or `None` (after failing under CI) when no engine runs.
fn url() -> Option<String> {
    match std::env::var(VARIABLE) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{VARIABLE} is not set: run `ci/engines.sh start` and source target/engines/env")
        }
        Err(_) => {
            eprintln!("skipped: {VARIABLE} is not set (run ci/engines/postgres.sh start)");
            None
        }
    }
}

/// A table name no earlier run of this test used, so every check starts empty.
fn fresh_table(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "t_{prefix}_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[test]
fn conformance() {
    let Some(url) = url() else { return };
    conformance::run(|| PostgresStore::connect(&url, &fresh_table("conf")).unwrap()).unwrap();
}

#[test]
fn schema_version_recorded_and_newer_refused() {
    let Some(url) = url() else { return };
    let table = fresh_table("schema");
    let store = PostgresStore::connect(&url, &table).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store.put(b"k", b"v", None, Time::EPOCH).unwrap();
    drop(store);

    // Reopening keeps the data and the version.
    let again = PostgresStore::connect(&url, &table).unwrap();
    assert_eq!(again.get(b"k", Time::EPOCH).unwrap(), Some(b"v".to_vec()));
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    drop(again);

    // A table a newer crate wrote is refused, naming both versions.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .execute(
            "UPDATE blindpost_schema SET version = $1 WHERE table_name = $2",
            &[&(SCHEMA_VERSION + 1), &table],
        )
        .unwrap();
    let refused = PostgresStore::connect(&url, &table).unwrap_err();
    assert!(
        refused
            .message
            .contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
        "{refused}"
    );
}

#[test]
fn bad_table_names_refused() {
    // Checked before connecting, so no engine is needed.
    for bad in ["", "Upper", "9lead", "semi;colon", "blindpost_schema"] {
        assert!(
            PostgresStore::connect("host=127.0.0.1", bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn counters_use_all_64_bits() {
    let Some(url) = url() else { return };
    let store = PostgresStore::connect(&url, &fresh_table("u64")).unwrap();
    let at = Time::from_unix_secs(1);
    let big = u64::MAX - 1;
    assert_eq!(
        store
            .add_within_limit(b"c", big, u64::MAX, None, at)
            .unwrap(),
        Some(big)
    );
    assert_eq!(
        store.add_within_limit(b"c", 1, u64::MAX, None, at).unwrap(),
        Some(u64::MAX)
    );
    assert_eq!(
        store.add_within_limit(b"c", 1, u64::MAX, None, at).unwrap(),
        None
    );
    assert_eq!(
        store.get(b"c", at).unwrap(),
        Some(u64::MAX.to_be_bytes().to_vec())
    );
    // A refused first addition creates nothing.
    assert_eq!(store.add_within_limit(b"d", 6, 5, None, at).unwrap(), None);
    assert_eq!(store.get(b"d", at).unwrap(), None);
    // Far-future expiry (past i64::MAX seconds) stays live.
    store.put(b"f", b"v", Some(Time::MAX), at).unwrap();
    assert_eq!(
        store.get(b"f", Time::from_unix_secs(1 << 62)).unwrap(),
        Some(b"v".to_vec())
    );
}

#[test]
fn cut_connections_are_replaced() {
    let Some(url) = url() else { return };
    // Only this test's connections are cut (the other tests run in parallel): they carry an
    // application name of their own.
    let separator = match (url.contains("://"), url.contains('?')) {
        (false, _) => " ",
        (true, false) => "?",
        (true, true) => "&",
    };
    let url = format!("{url}{separator}application_name=blindpost_cut_test");
    let store = PostgresStore::connect(&url, &fresh_table("cut")).unwrap();
    let at = Time::from_unix_secs(1);
    store.put(b"k", b"v", None, at).unwrap();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for round in 0..3u8 {
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'blindpost_cut_test' AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        // The pool tests a connection before handing it out, so the dead one is replaced.
        assert_eq!(
            store.get(b"k", at).unwrap(),
            Some(b"v".to_vec()),
            "round {round}"
        );
        assert!(store.insert_if_absent(&[round], b"x", None, at).unwrap());
    }
}
