//! `RedisClusterStore` against the cluster `ci/engines/redis-cluster.sh start` runs
//! (`BLINDPOST_REDIS_CLUSTER`): the core conformance suite, and the engine TTL as garbage
//! collection only.

use blindpost::store::{conformance, Store};
use blindpost::Time;
use blindpost_store_redis::RedisClusterStore;
use std::sync::atomic::{AtomicU64, Ordering};

const VARIABLE: &str = "BLINDPOST_REDIS_CLUSTER";

/// The cluster's nodes, or `None` (after failing under `CI=true`) when no cluster runs.
fn nodes() -> Option<Vec<String>> {
    match std::env::var(VARIABLE) {
        Ok(list) => Some(list.split(',').map(str::to_owned).collect()),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{VARIABLE} is not set: run `ci/engines.sh start` and source target/engines/env")
        }
        Err(_) => {
            eprintln!("skipped: {VARIABLE} is not set (run `ci/engines.sh start`)");
            None
        }
    }
}

/// A namespace no other test (or earlier run) has used.
fn fresh_prefix(name: &str) -> Vec<u8> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "test-{name}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
    .into_bytes()
}

#[test]
fn passes_the_conformance_suite_with_a_fresh_namespace_per_check() {
    let Some(nodes) = nodes() else { return };
    conformance::run(|| {
        RedisClusterStore::connect(&nodes, &fresh_prefix("conformance")).expect("connect")
    })
    .unwrap();
}

/// Redis' own TTL for a key, in milliseconds (-1: none, -2: no key).
fn engine_ttl_ms(nodes: &[String], key: &[u8]) -> i64 {
    let client = redis::cluster::ClusterClient::new(nodes.iter().map(String::as_str)).unwrap();
    let mut conn = client.get_connection().unwrap();
    redis::cmd("PTTL").arg(key).query(&mut conn).unwrap()
}

fn redis_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut full = b"bp:".to_vec();
    for b in prefix {
        full.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    full.push(b':');
    full.extend_from_slice(key);
    full
}

#[test]
fn the_engine_ttl_outlives_the_protocol_expiry_by_the_margin() {
    let Some(nodes) = nodes() else { return };
    let prefix = fresh_prefix("ttl");
    let store = RedisClusterStore::connect(&nodes, &prefix).unwrap();
    // A clock far in the past relative to Redis' clock: the engine TTL is relative to the
    // caller's `now`, so the entry is not dropped at once.
    let now = Time::from_unix_secs(1_000);
    store
        .put(b"short", b"v", Some(Time::from_unix_secs(1_010)), now)
        .unwrap();
    assert!(store
        .insert_if_absent(
            b"counter-like",
            b"w",
            Some(Time::from_unix_secs(1_060)),
            now
        )
        .unwrap());
    assert_eq!(
        store
            .add_within_limit(b"c", 1, 5, Some(Time::from_unix_secs(1_030)), now)
            .unwrap(),
        Some(1)
    );
    store.put(b"forever", b"x", None, now).unwrap();
    let day_ms = 24 * 60 * 60 * 1000;
    for (key, protocol_secs) in [(&b"short"[..], 10i64), (b"counter-like", 60), (b"c", 30)] {
        let ttl = engine_ttl_ms(&nodes, &redis_key(&prefix, key));
        let expected = protocol_secs * 1000 + day_ms;
        // The TTL counts down from `expected`; allow the time this test has taken so far.
        assert!(
            ttl <= expected && ttl > expected - 60_000,
            "{key:?}: engine TTL {ttl} ms, expected about {expected}"
        );
    }
    // A later addition keeps the counter's engine TTL (KEEPTTL) and its protocol expiry.
    assert_eq!(
        store
            .add_within_limit(
                b"c",
                1,
                5,
                Some(Time::from_unix_secs(9_999)),
                Time::from_unix_secs(1_020)
            )
            .unwrap(),
        Some(2)
    );
    let ttl = engine_ttl_ms(&nodes, &redis_key(&prefix, b"c"));
    assert!(
        ttl <= 30_000 + day_ms && ttl > 30_000 + day_ms - 60_000,
        "counter TTL {ttl}"
    );
    assert_eq!(engine_ttl_ms(&nodes, &redis_key(&prefix, b"forever")), -1);
    // Live by the protocol clock: every entry reads back.
    let later = Time::from_unix_secs(1_009);
    assert_eq!(store.get(b"short", later).unwrap(), Some(b"v".to_vec()));
    assert_eq!(store.get(b"forever", later).unwrap(), Some(b"x".to_vec()));
}

#[test]
fn an_entry_expired_by_the_protocol_clock_is_absent_while_redis_still_holds_it() {
    let Some(nodes) = nodes() else { return };
    let prefix = fresh_prefix("expired");
    let store = RedisClusterStore::connect(&nodes, &prefix).unwrap();
    let now = Time::from_unix_secs(5_000);
    let expiry = Some(Time::from_unix_secs(5_010));
    store.put(b"k", b"old", expiry, now).unwrap();
    assert_eq!(
        store.add_within_limit(b"n", 3, 3, expiry, now).unwrap(),
        Some(3)
    );
    let after = Time::from_unix_secs(5_010);
    // Redis still holds both keys (its TTL is a day away) ...
    assert!(engine_ttl_ms(&nodes, &redis_key(&prefix, b"k")) > 0);
    assert!(engine_ttl_ms(&nodes, &redis_key(&prefix, b"n")) > 0);
    assert_eq!(store.entry_count().unwrap(), 2);
    // ... but every operation treats them as absent at the protocol expiry.
    assert_eq!(store.get(b"k", after).unwrap(), None);
    assert!(!store
        .replace_if_matches(b"k", b"old", b"new", None, after)
        .unwrap());
    assert!(!store.delete_if_matches(b"k", b"old", after).unwrap());
    assert_eq!(
        store.add_within_limit(b"n", 3, 3, None, after).unwrap(),
        Some(3)
    );
    assert!(store.insert_if_absent(b"k", b"fresh", None, after).unwrap());
    assert_eq!(store.get(b"k", after).unwrap(), Some(b"fresh".to_vec()));
    // One second earlier the old values were still live.
    let store2 = RedisClusterStore::connect(&nodes, &fresh_prefix("expired2")).unwrap();
    store2.put(b"k", b"old", expiry, now).unwrap();
    assert_eq!(
        store2.get(b"k", Time::from_unix_secs(5_009)).unwrap(),
        Some(b"old".to_vec())
    );
    assert_eq!(
        store2.purge_expired(Time::from_unix_secs(5_009)).unwrap(),
        0
    );
    assert_eq!(
        store2.purge_expired(Time::from_unix_secs(5_010)).unwrap(),
        1
    );
    assert_eq!(store2.entry_count().unwrap(), 0);
}
