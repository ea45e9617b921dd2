//! [`RedisClusterStore`]: a [`Store`] over a Redis Cluster (issue 15, SPEC.md section 12.1).
//!
//! Open it with [`RedisClusterStore::connect`] on the addresses of the cluster's nodes
//! (`redis://host:port`; one reachable node is enough, the client learns the others) and a
//! namespace prefix; [`RedisClusterStore::connect_with`] takes [`Options`].
//!
//! # Guarantees
//! - **Atomicity.** Every operation touches one key, and runs as one command (`GET`, `SET`) or
//!   one Lua script (`EVALSHA`, loaded on `NOSCRIPT`) on the key's master, so it is atomic with
//!   respect to every other client. Keys spread over the cluster's slots; no operation spans two.
//! - **Expiry is the protocol's.** A value is stored with its protocol expiry in a 9-byte header;
//!   the caller's `now` decides liveness inside the script (or, for `get`, in this crate), never
//!   Redis' clock. The engine TTL only collects garbage: it is set relative to the caller's `now`
//!   to `expires_at - now` plus [`Options::engine_ttl_margin`] (1 day by default), so a live
//!   entry never vanishes early as long as the protocol clock does not fall behind real time by
//!   more than the margin while the entry lives. Expired entries Redis still holds are absent to
//!   every operation and are removed by [`Store::purge_expired`].
//! - **Durability on return.** With [`Options::replica_acks`] (on by default) every write that
//!   changed something is followed by `WAIT 1 <timeout>` on the same connection to the key's
//!   master; the store returns only once a replica holds the write, and returns a [`StoreError`]
//!   if none acknowledged in time (the write may still have happened: an ambiguous failure).
//!   Redis replication is asynchronous, so without this an unplanned master failure loses
//!   writes the master acknowledged but had not yet sent to its replica (a spent token spent
//!   again). `WAIT` does not make Redis strongly consistent: a failover that promotes a replica
//!   which had not received a write still loses it, but with `WAIT 1` and one replica per master
//!   that replica is the one that acknowledged. Each node's AOF (`appendonly yes`, `appendfsync
//!   everysec`, the configuration Redis' persistence docs recommend) is written before Redis
//!   answers, so a killed Redis process loses nothing, but a crash of a node's machine may lose
//!   the last second of writes not yet fsynced; losing an acknowledged write then needs the
//!   master's and its replica's machines to crash within that second (run them on different
//!   machines, or choose `appendfsync always`).
//! - **Reads may see unreplicated data.** A read (or a conditional write that changed nothing)
//!   may observe another client's write before a replica has it; if the master then fails before
//!   replicating it, that write is lost although it was observed.
//! - **Retries.** Reads (`GET`, `SCAN`, `CLUSTER SLOTS`) use the client library's retries, which
//!   follow `MOVED`/`ASK` redirections and reconnect after a dropped connection: re-reading is
//!   idempotent. Writes are never retried by the library (its retry count is 0 for them): this
//!   crate retries a write only on a fresh connection and only after a reply that proves the
//!   write did not run (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`, `READONLY`, `LOADING`,
//!   `MASTERDOWN`: each refuses the command before executing it), as during a failover, within
//!   [`Options::write_retry_budget`]. A dropped connection or a timeout after a write was sent is
//!   ambiguous and returned as a [`StoreError`]; the caller must assume nothing. A counter
//!   increment the caller repeats after such a failure may count twice, which only tightens a
//!   limit. A planned failover (`CLUSTER FAILOVER`) can also end a write this way: its `WAIT`
//!   on the old master is unblocked when that node becomes a replica. A pooled connection idle
//!   for a second is checked with `PING` before it carries a write, so a restart of the engine
//!   between two operations does not fail the next write.
//! - **`purge_expired` and `entry_count`** `SCAN` every master for the namespace's keys (a
//!   failover during the scan may make it miss keys; the next purge finds them). Each purge
//!   deletion is the purge script, which re-checks expiry atomically.
//!
//! # Layout
//! The key of `key` in namespace `prefix` is `bp:<hex(prefix)>:<key>`, so namespaces never
//! overlap and `SCAN MATCH bp:<hex(prefix)>:*` finds exactly one namespace.

mod scripts;

use blindpost::store::{Store, StoreError};
use blindpost::Time;
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConnection};
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{ConnectionLike, ErrorKind, RedisError, ServerErrorKind, Value};
use scripts::Scripts;
use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How a [`RedisClusterStore`] talks to the cluster.
#[derive(Clone, Debug)]
pub struct Options {
    /// After each write that changed something, wait up to this long for one replica to
    /// acknowledge it (`WAIT 1 <ms>`) and fail with a [`StoreError`] if none did. `None` skips
    /// the wait: faster, but an unplanned master failure can then lose acknowledged writes.
    pub replica_acks: Option<Duration>,
    /// Added to `expires_at - now` for the engine TTL that collects garbage. Must exceed how far
    /// the protocol clock may fall behind real time while an entry lives.
    pub engine_ttl_margin: Duration,
    /// How long a write may keep retrying after replies that prove it did not run (a failover
    /// in progress) before it fails.
    pub write_retry_budget: Duration,
    /// Timeout for connecting to a node and for each reply.
    pub io_timeout: Duration,
    /// Connections kept open for reuse (each is used by one thread at a time).
    pub pool_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            replica_acks: Some(Duration::from_secs(2)),
            engine_ttl_margin: Duration::from_secs(24 * 60 * 60),
            write_retry_budget: Duration::from_secs(20),
            io_timeout: Duration::from_secs(5),
            pool_size: 16,
        }
    }
}

/// Engine TTLs at or beyond this (about 100 years) are not set: the entry is kept until purged.
const LONGEST_ENGINE_TTL_MS: u64 = 100 * 365 * 24 * 60 * 60 * 1000;

/// A pooled connection idle this long is checked (`PING` to each node) before it carries a
/// write, so a write is not lost to a socket the engine closed meanwhile (a restart).
const IDLE_BEFORE_CHECK: Duration = Duration::from_secs(1);

/// Idle connections and when each was last used.
type Pool = Mutex<Vec<(ClusterConnection, Instant)>>;

/// Length of the header before each stored value: a flag byte and the expiry.
const HEADER_LEN: usize = 9;

/// A [`Store`] over a Redis Cluster; see the crate docs for what it guarantees.
pub struct RedisClusterStore {
    reads: ClusterClient,
    writes: ClusterClient,
    read_pool: Pool,
    write_pool: Pool,
    /// `bp:<hex(prefix)>:`, the start of every key of this namespace.
    key_prefix: Vec<u8>,
    scripts: Scripts,
    options: Options,
}

impl RedisClusterStore {
    /// Connects to the cluster through `nodes` (`redis://host:port` URLs) with the default
    /// [`Options`]; `prefix` names the namespace (stores with different prefixes never see each
    /// other's entries).
    pub fn connect(nodes: &[String], prefix: &[u8]) -> Result<Self, StoreError> {
        Self::connect_with(nodes, prefix, Options::default())
    }

    /// Connects like [`RedisClusterStore::connect`] with explicit `options`. Fails if no node
    /// answers.
    pub fn connect_with(
        nodes: &[String],
        prefix: &[u8],
        options: Options,
    ) -> Result<Self, StoreError> {
        let builder = |retries: u32| -> Result<ClusterClient, StoreError> {
            ClusterClientBuilder::new(nodes.iter().map(String::as_str))
                .retries(retries)
                .connection_timeout(options.io_timeout)
                .response_timeout(options.io_timeout)
                .build()
                .map_err(|e| failure("configuring the cluster client", &e))
        };
        let mut key_prefix = b"bp:".to_vec();
        key_prefix.extend(prefix.iter().flat_map(|b| {
            let hex = b"0123456789abcdef";
            [hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]
        }));
        key_prefix.push(b':');
        let store = Self {
            reads: builder(6)?,
            writes: builder(0)?,
            read_pool: Mutex::new(Vec::new()),
            write_pool: Mutex::new(Vec::new()),
            key_prefix,
            scripts: Scripts::new(),
            options,
        };
        // Connect once now so a wrong address fails here, not on the first operation.
        let conn = store.take(&store.read_pool, &store.reads)?;
        store.give_back(&store.read_pool, conn);
        Ok(store)
    }

    fn full_key(&self, key: &[u8]) -> Vec<u8> {
        let mut full = Vec::with_capacity(self.key_prefix.len() + key.len());
        full.extend_from_slice(&self.key_prefix);
        full.extend_from_slice(key);
        full
    }

    fn take(&self, pool: &Pool, client: &ClusterClient) -> Result<ClusterConnection, StoreError> {
        loop {
            // Pop in its own statement so the pool is unlocked while the connection is checked.
            let popped = lock(pool).pop();
            let Some((mut conn, last_used)) = popped else {
                break;
            };
            if last_used.elapsed() < IDLE_BEFORE_CHECK
                || ConnectionLike::check_connection(&mut conn)
            {
                return Ok(conn);
            }
        }
        client
            .get_connection()
            .map_err(|e| failure("connecting to the cluster", &e))
    }

    /// Returns a connection that finished its command cleanly; one that failed is dropped
    /// instead, since it may hold a stale slot map or a half-read reply.
    fn give_back(&self, pool: &Pool, conn: ClusterConnection) {
        let mut pool = lock(pool);
        if pool.len() < self.options.pool_size {
            pool.push((conn, Instant::now()));
        }
    }

    fn read<T>(
        &self,
        what: &str,
        op: impl FnOnce(&mut ClusterConnection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.take(&self.read_pool, &self.reads)?;
        let value = op(&mut conn).map_err(|e| failure(what, &e))?;
        self.give_back(&self.read_pool, conn);
        Ok(value)
    }

    /// Runs a write on the key's master, retrying on a fresh connection only after replies that
    /// prove it did not run, then waits for a replica if it `changed` something.
    fn write<T>(
        &self,
        what: &str,
        full_key: &[u8],
        op: impl Fn(&mut ClusterConnection) -> redis::RedisResult<T>,
        changed: impl Fn(&T) -> bool,
    ) -> Result<T, StoreError> {
        let deadline = Instant::now() + self.options.write_retry_budget;
        let mut pause = Duration::from_millis(20);
        loop {
            let mut conn = self.take(&self.write_pool, &self.writes)?;
            match op(&mut conn) {
                Ok(value) => {
                    if changed(&value) {
                        self.wait_for_replica(&mut conn, full_key)?;
                    }
                    self.give_back(&self.write_pool, conn);
                    return Ok(value);
                }
                Err(e) if did_not_run(&e) && Instant::now() < deadline => {
                    drop(conn);
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(e) => {
                    if e.is_io_error() {
                        // Whatever cut this connection (a restart, a network failure) most
                        // likely cut the idle ones too.
                        lock(&self.write_pool).clear();
                    }
                    return Err(failure(what, &e));
                }
            }
        }
    }

    fn wait_for_replica(
        &self,
        conn: &mut ClusterConnection,
        full_key: &[u8],
    ) -> Result<(), StoreError> {
        let Some(timeout) = self.options.replica_acks else {
            return Ok(());
        };
        let millis = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let master = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::with_key(
            full_key,
            SlotAddr::Master,
        )));
        let reply = conn
            .route_command(redis::cmd("WAIT").arg(1).arg(millis), master)
            .map_err(|e| failure("waiting for a replica (the write may have happened)", &e))?;
        match reply {
            Value::Int(acks) if acks >= 1 => Ok(()),
            other => Err(StoreError::new(format!(
                "no replica acknowledged the write within {millis} ms (the write may have \
                 happened): WAIT answered {other:?}"
            ))),
        }
    }

    fn engine_ttl_ms(&self, expires_at: Option<Time>, now: Time) -> u64 {
        let Some(expires_at) = expires_at else {
            return 0;
        };
        let margin = u64::try_from(self.options.engine_ttl_margin.as_millis()).unwrap_or(u64::MAX);
        let ttl = expires_at
            .unix_secs()
            .saturating_sub(now.unix_secs())
            .saturating_mul(1000)
            .saturating_add(margin)
            .max(1);
        if ttl >= LONGEST_ENGINE_TTL_MS {
            0
        } else {
            ttl
        }
    }

    /// The namespace's keys on every master.
    fn scan_keys(&self) -> Result<HashSet<Vec<u8>>, StoreError> {
        let mut pattern = self.key_prefix.clone();
        pattern.push(b'*');
        let masters = self.read("listing the masters", |conn| {
            redis::cmd("CLUSTER").arg("SLOTS").query::<Value>(conn)
        })?;
        let mut keys = HashSet::new();
        for (host, port) in masters_of(&masters)? {
            let node = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port });
            let mut cursor = 0u64;
            loop {
                let reply = self.read("scanning a master", |conn| {
                    conn.route_command(
                        redis::cmd("SCAN")
                            .arg(cursor)
                            .arg("MATCH")
                            .arg(&pattern)
                            .arg("COUNT")
                            .arg(1000),
                        node.clone(),
                    )
                })?;
                let (next, batch): (u64, Vec<Vec<u8>>) =
                    redis::from_redis_value(reply).map_err(|e| {
                        StoreError::new(format!("redis cluster: reading a SCAN reply: {e}"))
                    })?;
                keys.extend(batch);
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(keys)
    }
}

impl Store for RedisClusterStore {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        let stored: Option<Vec<u8>> = self.read("reading a value", |conn| {
            redis::cmd("GET").arg(self.full_key(key)).query(conn)
        })?;
        match stored {
            None => Ok(None),
            Some(stored) => {
                let (expires_at, value) = decode(&stored)?;
                let live = expires_at.is_none_or(|t| now < t);
                Ok(live.then(|| value.to_vec()))
            }
        }
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<(), StoreError> {
        let full_key = self.full_key(key);
        let stored = encode(value, expires_at);
        let ttl = self.engine_ttl_ms(expires_at, now);
        self.write(
            "writing a value",
            &full_key,
            |conn| {
                let mut set = redis::cmd("SET");
                set.arg(&full_key).arg(&stored);
                if ttl != 0 {
                    set.arg("PX").arg(ttl);
                }
                set.query::<()>(conn)
            },
            |()| true,
        )
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        let full_key = self.full_key(key);
        let stored = encode(value, expires_at);
        let ttl = self.engine_ttl_ms(expires_at, now);
        self.write(
            "inserting a value",
            &full_key,
            |conn| {
                self.scripts
                    .insert_if_absent
                    .key(&full_key)
                    .arg(&clock(now)[..])
                    .arg(&stored)
                    .arg(ttl)
                    .invoke::<i64>(conn)
            },
            |wrote| *wrote == 1,
        )
        .map(|wrote| wrote == 1)
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        let full_key = self.full_key(key);
        let stored = encode(new, expires_at);
        let ttl = self.engine_ttl_ms(expires_at, now);
        self.write(
            "replacing a value",
            &full_key,
            |conn| {
                self.scripts
                    .replace_if_matches
                    .key(&full_key)
                    .arg(&clock(now)[..])
                    .arg(expected)
                    .arg(&stored)
                    .arg(ttl)
                    .invoke::<i64>(conn)
            },
            |replaced| *replaced == 1,
        )
        .map(|replaced| replaced == 1)
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        let full_key = self.full_key(key);
        self.write(
            "deleting a value",
            &full_key,
            |conn| {
                self.scripts
                    .delete_if_matches
                    .key(&full_key)
                    .arg(&clock(now)[..])
                    .arg(expected)
                    .invoke::<i64>(conn)
            },
            |deleted| *deleted == 1,
        )
        .map(|deleted| deleted == 1)
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        let full_key = self.full_key(key);
        let header = encode(&[], expires_at);
        let ttl = self.engine_ttl_ms(expires_at, now);
        let counter = self.write(
            "adding to a counter",
            &full_key,
            |conn| {
                self.scripts
                    .add_within_limit
                    .key(&full_key)
                    .arg(&clock(now)[..])
                    .arg(&amount.to_be_bytes()[..])
                    .arg(&limit.to_be_bytes()[..])
                    .arg(&header)
                    .arg(ttl)
                    .invoke::<Option<Vec<u8>>>(conn)
            },
            Option::is_some,
        )?;
        counter
            .map(|bytes| {
                <[u8; 8]>::try_from(bytes.as_slice())
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::new("the counter script returned a malformed value"))
            })
            .transpose()
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        let mut purged = 0usize;
        for full_key in self.scan_keys()? {
            let deleted = self.write(
                "purging an expired entry",
                &full_key,
                |conn| {
                    self.scripts
                        .purge_if_expired
                        .key(&full_key)
                        .arg(&clock(now)[..])
                        .invoke::<i64>(conn)
                },
                |deleted| *deleted == 1,
            )?;
            if deleted == 1 {
                purged = purged.saturating_add(1);
            }
        }
        Ok(purged)
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        Ok(self.scan_keys()?.len())
    }
}

/// The stored form of a value: the 9-byte header (flag, big-endian expiry) and the payload.
fn encode(value: &[u8], expires_at: Option<Time>) -> Vec<u8> {
    let mut stored = Vec::with_capacity(HEADER_LEN + value.len());
    match expires_at {
        None => stored.extend_from_slice(&[0; HEADER_LEN]),
        Some(t) => {
            stored.push(1);
            stored.extend_from_slice(&t.unix_secs().to_be_bytes());
        }
    }
    stored.extend_from_slice(value);
    stored
}

/// Splits a stored value into its expiry and payload; rejects anything this crate did not write.
fn decode(stored: &[u8]) -> Result<(Option<Time>, &[u8]), StoreError> {
    let malformed = || StoreError::new("a stored value has a malformed header");
    let (header, value) = stored.split_at_checked(HEADER_LEN).ok_or_else(malformed)?;
    let (flag, expiry) = header.split_first().ok_or_else(malformed)?;
    let expiry = <[u8; 8]>::try_from(expiry).map_err(|_| malformed())?;
    match flag {
        0 if expiry == [0; 8] => Ok((None, value)),
        1 => Ok((
            Some(Time::from_unix_secs(u64::from_be_bytes(expiry))),
            value,
        )),
        _ => Err(malformed()),
    }
}

/// The caller's clock as the scripts compare it: 8 big-endian bytes.
fn clock(now: Time) -> [u8; 8] {
    now.unix_secs().to_be_bytes()
}

/// Whether a reply proves the command was refused before it ran, so retrying cannot apply it
/// twice.
fn did_not_run(e: &RedisError) -> bool {
    e.is_cluster_error()
        || matches!(
            e.kind(),
            ErrorKind::Server(
                ServerErrorKind::ReadOnly
                    | ServerErrorKind::BusyLoading
                    | ServerErrorKind::MasterDown
            )
        )
}

/// The addresses of the masters in a `CLUSTER SLOTS` reply.
fn masters_of(reply: &Value) -> Result<Vec<(String, u16)>, StoreError> {
    let malformed = || StoreError::new("malformed CLUSTER SLOTS reply");
    let Value::Array(ranges) = reply else {
        return Err(malformed());
    };
    let mut masters = Vec::new();
    for range in ranges {
        let Value::Array(fields) = range else {
            return Err(malformed());
        };
        let Some(Value::Array(master)) = fields.get(2) else {
            return Err(malformed());
        };
        let host = match master.first() {
            Some(Value::BulkString(host)) => String::from_utf8_lossy(host).into_owned(),
            Some(Value::SimpleString(host)) => host.clone(),
            _ => return Err(malformed()),
        };
        let port = match master.get(1) {
            Some(Value::Int(port)) => u16::try_from(*port).map_err(|_| malformed())?,
            _ => return Err(malformed()),
        };
        if !masters.contains(&(host.clone(), port)) {
            masters.push((host, port));
        }
    }
    Ok(masters)
}

fn lock(pool: &Pool) -> MutexGuard<'_, Vec<(ClusterConnection, Instant)>> {
    // The pool is only pushed to and popped from; a panic elsewhere cannot leave it torn.
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn failure(what: &str, e: &RedisError) -> StoreError {
    StoreError::new(format!("redis cluster: {what}: {e}"))
}
