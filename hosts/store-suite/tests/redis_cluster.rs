//! The extended suite and a conversation on a Redis Cluster (`ci/engines.sh start`), and the
//! issue's "done when" for it: the invariants hold while a master is failed over mid-run.

use blindpost::store::{read_counter, Store};
use blindpost::Time;
use blindpost_store_redis::RedisClusterStore;
use blindpost_store_suite::engines::redis_cluster::{self, RedisClusterEngine};
use blindpost_store_suite::{conversation, process_race, require, run_suite, Engine};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

const VARIABLE: &str = "BLINDPOST_REDIS_CLUSTER";

/// The tests of this file share one cluster and restart or fail it over: one at a time.
static CLUSTER: Mutex<()> = Mutex::new(());

/// The cluster, held for one test (the guard first, so it is released last).
fn engine() -> Option<(MutexGuard<'static, ()>, RedisClusterEngine)> {
    let guard = CLUSTER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some((guard, require(redis_cluster::from_env(), VARIABLE)?))
}

/// A namespace no earlier run used (the cluster outlives test runs).
fn fresh(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{name}-{}-{nanos}", std::process::id())
}

#[test]
fn redis_cluster_passes_the_suite() {
    let Some((_cluster, engine)) = engine() else {
        return;
    };
    run_suite(&engine).unwrap();
}

#[test]
fn redis_cluster_process_race() {
    let Some((_cluster, engine)) = engine() else {
        return;
    };
    process_race(&engine, "redis_cluster_process_race").unwrap();
}

#[test]
fn redis_cluster_conversation() {
    let Some((_cluster, engine)) = engine() else {
        return;
    };
    let store = engine.open(&fresh("conversation")).unwrap();
    let done = conversation(store).unwrap();
    assert!(done.deliveries > 0, "{done:?}");
}

/// What one worker thread saw: per round and key whether it won the insert (`Some(true)`),
/// lost it (`Some(false)`) or saw a failure (`None`); per counter its accepted and failed
/// additions; and how many rounds it completed.
struct Seen {
    inserts: Vec<Vec<Option<bool>>>,
    added: [u64; 4],
    failed_adds: [u64; 4],
}

const KEYS: usize = 40;
const LIMIT: u64 = 400;

fn work(store: &impl Store, thread: usize, running: &AtomicBool, now: Time) -> Seen {
    let mut seen = Seen {
        inserts: Vec::new(),
        added: [0; 4],
        failed_adds: [0; 4],
    };
    let mut round = 0usize;
    while running.load(Ordering::Relaxed) || round < 2 {
        let mut outcomes = Vec::with_capacity(KEYS);
        for k in 0..KEYS {
            let key = format!("token-{round}-{k}");
            let value = format!("thread-{thread}");
            outcomes.push(
                store
                    .insert_if_absent(key.as_bytes(), value.as_bytes(), None, now)
                    .ok(),
            );
            let c = k % 4;
            match store.add_within_limit(format!("counter-{c}").as_bytes(), 1, LIMIT, None, now) {
                Ok(Some(_)) => seen.added[c] += 1,
                Ok(None) => {}
                Err(_) => seen.failed_adds[c] += 1,
            }
        }
        seen.inserts.push(outcomes);
        round += 1;
    }
    seen
}

#[test]
fn invariants_hold_while_a_master_is_failed_over() {
    let Some((_cluster, engine)) = engine() else {
        return;
    };
    invariants_hold_during(&engine, "failover", || engine.fail_over());
}

#[test]
fn invariants_hold_while_connections_are_killed() {
    let Some((_cluster, engine)) = engine() else {
        return;
    };
    invariants_hold_during(&engine, "killed", || {
        for _ in 0..5 {
            std::thread::sleep(std::time::Duration::from_millis(30));
            engine.kill_connections()?;
        }
        Ok(true)
    });
}

/// Threads add to bounded counters and race `insert_if_absent` on many keys while `disturb`
/// runs. Every answer the store gave must fit one order of the operations; an operation that
/// failed may or may not have happened.
fn invariants_hold_during(
    engine: &RedisClusterEngine,
    name: &str,
    disturb: impl FnOnce() -> Result<bool, String>,
) {
    const THREADS: usize = 4;
    let store = engine.open(&fresh(name)).unwrap();
    let now = Time::from_unix_secs(1_000);
    let running = AtomicBool::new(true);
    let (seen, disturbed) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, running) = (&store, &running);
                s.spawn(move || work(store, t, running, now))
            })
            .collect();
        let disturbed = disturb();
        running.store(false, Ordering::Relaxed);
        let seen: Vec<Seen> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        (seen, disturbed)
    });
    assert_eq!(disturbed, Ok(true));

    let rounds = seen.iter().map(|s| s.inserts.len()).min().unwrap();
    for round in 0..rounds {
        for k in 0..KEYS {
            let key = format!("token-{round}-{k}");
            let outcomes: Vec<Option<bool>> = seen.iter().map(|s| s.inserts[round][k]).collect();
            let winners: Vec<usize> = (0..THREADS)
                .filter(|t| outcomes[*t] == Some(true))
                .collect();
            assert!(winners.len() <= 1, "{key}: several winners: {outcomes:?}");
            let stored = store.get(key.as_bytes(), now).unwrap();
            if let [t] = winners[..] {
                assert_eq!(stored, Some(format!("thread-{t}").into_bytes()), "{key}");
            }
            if outcomes.contains(&Some(false)) || !winners.is_empty() {
                assert!(
                    stored.is_some(),
                    "{key}: answered but nothing stored: {outcomes:?}"
                );
            }
        }
    }
    for c in 0..4 {
        let added: u64 = seen.iter().map(|s| s.added[c]).sum();
        let failed: u64 = seen.iter().map(|s| s.failed_adds[c]).sum();
        let value = read_counter(&store, format!("counter-{c}").as_bytes(), now).unwrap();
        assert!(value <= LIMIT, "counter-{c} = {value} over its limit");
        assert!(
            (added..=added + failed).contains(&value),
            "counter-{c} = {value}, {added} accepted, {failed} failed"
        );
    }
}

/// Every write acknowledged before a graceful restart of all six nodes (each flushes its AOF on
/// `SHUTDOWN`) reads back afterwards, through the same store and through a new one.
#[test]
fn acknowledged_writes_survive_a_restart_of_every_node() {
    let Some((_cluster, engine)) = engine() else {
        return;
    };
    let namespace = fresh("restart");
    let store = engine.open(&namespace).unwrap();
    let now = Time::from_unix_secs(2_000);
    let later = Some(Time::from_unix_secs(3_000));
    for k in 0..50u32 {
        let key = format!("spent-{k}");
        assert!(store
            .insert_if_absent(key.as_bytes(), &k.to_be_bytes(), later, now)
            .unwrap());
    }
    assert_eq!(
        store.add_within_limit(b"count", 7, 10, later, now).unwrap(),
        Some(7)
    );
    engine.restart().unwrap();
    for reopened in [store, engine.open(&namespace).unwrap()] {
        for k in 0..50u32 {
            let key = format!("spent-{k}");
            assert_eq!(
                reopened.get(key.as_bytes(), now).unwrap(),
                Some(k.to_be_bytes().to_vec()),
                "{key}"
            );
            assert!(!reopened
                .insert_if_absent(key.as_bytes(), b"again", later, now)
                .unwrap());
        }
        assert_eq!(read_counter(&reopened, b"count", now).unwrap(), 7);
        assert_eq!(reopened.entry_count().unwrap(), 51);
    }
}

/// A replica of one master and that master's port, read from the nodes' `INFO replication`.
fn a_replica_and_its_master(engine: &RedisClusterEngine) -> (u16, u16) {
    for node in engine.nodes() {
        let mut conn = redis::Client::open(node.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query(&mut conn)
            .unwrap();
        if info.lines().any(|l| l.trim() == "role:slave") {
            let field = |name: &str| {
                info.lines()
                    .find_map(|l| l.trim().strip_prefix(name))
                    .unwrap()
                    .parse::<u16>()
                    .unwrap()
            };
            let replica = node.rsplit(':').next().unwrap().parse().unwrap();
            return (replica, field("master_port:"));
        }
    }
    panic!("no replica in the cluster");
}

/// The stored key of `key` in a namespace (the layout the crate docs give).
fn redis_key(namespace: &str, key: &[u8]) -> Vec<u8> {
    let mut full = b"bp:".to_vec();
    for b in namespace.as_bytes() {
        full.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    full.push(b':');
    full.extend_from_slice(key);
    full
}

/// With a master's only replica down, every write to that master's keys fails (no replica
/// acknowledged it, so it may be lost with the master), and writes to the other masters
/// succeed; without `WAIT` the same writes all succeed.
#[test]
fn a_write_no_replica_acknowledged_is_a_failure() {
    let Some((_cluster, engine)) = engine() else {
        return;
    };
    let namespace = fresh("wait");
    let fast = blindpost_store_redis::Options {
        replica_acks: Some(std::time::Duration::from_millis(100)),
        ..Default::default()
    };
    let store =
        RedisClusterStore::connect_with(engine.nodes(), namespace.as_bytes(), fast).unwrap();
    let unsafe_store = RedisClusterStore::connect_with(
        engine.nodes(),
        fresh("nowait").as_bytes(),
        blindpost_store_redis::Options {
            replica_acks: None,
            ..Default::default()
        },
    )
    .unwrap();
    let (replica, master) = a_replica_and_its_master(&engine);
    let mut on_master = redis::Client::open(format!("redis://127.0.0.1:{master}"))
        .unwrap()
        .get_connection()
        .unwrap();
    let now = Time::from_unix_secs(10);
    engine.stop_node(replica).unwrap();
    let outcomes: Vec<(bool, bool, bool)> = (0..60)
        .map(|k| {
            let key = format!("key-{k}");
            // A plain GET on the master answers MOVED unless the master owns the key's slot.
            let owned = redis::cmd("GET")
                .arg(redis_key(&namespace, key.as_bytes()))
                .query::<Option<Vec<u8>>>(&mut on_master)
                .is_ok();
            let waited = store
                .insert_if_absent(key.as_bytes(), b"v", None, now)
                .is_ok();
            let unwaited = unsafe_store.insert_if_absent(key.as_bytes(), b"v", None, now);
            (owned, waited, unwaited == Ok(true))
        })
        .collect();
    engine.start_node(replica).unwrap();
    assert!(outcomes.iter().any(|o| o.0), "no key on master {master}");
    for (k, (owned, waited, unwaited)) in outcomes.into_iter().enumerate() {
        assert_eq!(
            waited, !owned,
            "key-{k}: owned by the master without a replica: {owned}"
        );
        assert!(unwaited, "key-{k}: the write without WAIT failed");
    }
}
