//! A blindpost server [`Store`] on PostgreSQL.
//!
//! Open it with [`PostgresStore::connect`]: a libpq connection string (`host=127.0.0.1 port=5432
//! user=blindpost dbname=blindpost`, or a `postgresql://` URL) and a table name. The table is the
//! store's namespace: stores on different tables never see each other's entries. The table and
//! the `blindpost_schema` table recording its version are created if missing.
//!
//! Guarantees:
//! - **Atomicity.** Every operation is one SQL statement, so it is atomic against every other
//!   operation on the same table, from any thread, process or host. Conditional writes
//!   (`insert_if_absent`, `replace_if_matches`, `delete_if_matches`, `add_within_limit`) decide
//!   on the row under its row lock (`INSERT ... ON CONFLICT DO UPDATE ... WHERE`, `UPDATE/DELETE
//!   ... WHERE`), never on a value read earlier.
//! - **Durability on return.** An operation returns after its transaction committed; with the
//!   server's `fsync=on` and `synchronous_commit=on` (the defaults) a returned write survives a
//!   crash of the database server.
//! - **Expiry by the caller's clock.** Liveness is decided on every read and conditional write by
//!   the `now` the caller passes, never by the database clock: an entry is live while
//!   `now < expires_at`. An expired row counts as absent for every operation until
//!   [`Store::purge_expired`] deletes it.
//! - **Failures.** A connection that breaks is dropped by the pool and a fresh one is opened for
//!   the next operation (each checked-out connection is tested first). An operation whose outcome
//!   is unknown (the connection broke after the statement was sent) returns [`StoreError`] and is
//!   not retried: the write may or may not have happened. For the protocol this is safe: a spent
//!   token or accepted reply either is recorded or the request failed; a counter may have been
//!   incremented without the caller learning it, which only over-counts and so only tightens a
//!   limit.
//!
//! Times are Unix seconds in a `bigint` column; a time past `i64::MAX` seconds is stored as
//! `i64::MAX` (about 292 billion years from now, so only a "never" sentinel is affected, and it
//! stays live for every clock reading below that).

use blindpost::store::{Store, StoreError};
use blindpost::Time;
use postgres::types::{ToSql, Type};
use postgres::{NoTls, Row};
use r2d2_postgres::r2d2::{self, Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use std::time::Duration;

/// The version of the table layout this crate writes; [`PostgresStore::connect`] refuses a table
/// recorded with a newer one.
pub const SCHEMA_VERSION: i32 = 1;

/// Connections a store keeps at most.
const POOL_SIZE: u32 = 8;

/// How long an operation waits for a connection before failing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Key for the advisory lock that serialises schema creation (PostgreSQL's `CREATE TABLE IF NOT
/// EXISTS` is not safe against a concurrent creation of the same table).
const SCHEMA_LOCK: i64 = 0x626c_696e_6470_6f73; // "blindpos"

/// 2^64, for unsigned arithmetic on `numeric`.
const TWO_POW_64: &str = "18446744073709551616";

/// A [`Store`] on one table of a PostgreSQL database, over a pool of connections.
///
/// Cheap to share between threads (`&PostgresStore` is enough: the pool hands each operation its
/// own connection).
pub struct PostgresStore {
    pool: Pool<PostgresConnectionManager<NoTls>>,
    /// Validated table name, safe to splice into SQL.
    table: String,
    sql: Statements,
}

impl core::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// The SQL text of every operation, with the table name spliced in once.
struct Statements {
    get: String,
    put: String,
    insert_if_absent: String,
    replace_if_matches: String,
    delete_if_matches: String,
    add_within_limit: String,
    purge_expired: String,
    entry_count: String,
}

impl Statements {
    fn new(t: &str) -> Self {
        // `$live` is the liveness test of row `t` against the caller's clock in parameter `$n`.
        let live = |n: u8| format!("(t.expires_at IS NULL OR t.expires_at > ${n})");
        // Counters: 8-byte big-endian `value` as an unsigned number, and back.
        let as_u64 = |bytes: &str| {
            format!(
                "(CASE WHEN ('x' || encode({bytes}, 'hex'))::bit(64)::bigint < 0 \
                 THEN ('x' || encode({bytes}, 'hex'))::bit(64)::bigint::numeric + {TWO_POW_64} \
                 ELSE ('x' || encode({bytes}, 'hex'))::bit(64)::bigint::numeric END)"
            )
        };
        let bigint_as_u64 = |p: &str| {
            format!("(CASE WHEN {p} < 0 THEN {p}::numeric + {TWO_POW_64} ELSE {p}::numeric END)")
        };
        let u64_as_bytes = |n: &str| {
            format!(
                "int8send((CASE WHEN {n} >= {TWO_POW_64} / 2 THEN {n} - {TWO_POW_64} ELSE {n} END)::bigint)"
            )
        };
        let amount = bigint_as_u64("$2::bigint");
        let limit = bigint_as_u64("$3::bigint");
        let sum = format!("({} + {amount})", as_u64("t.value"));
        Self {
            get: format!("SELECT t.value FROM {t} t WHERE t.key = $1 AND {}", live(2)),
            put: format!(
                "INSERT INTO {t} AS t (key, value, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at"
            ),
            insert_if_absent: format!(
                "INSERT INTO {t} AS t (key, value, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at \
                 WHERE NOT {} RETURNING 1",
                live(4)
            ),
            replace_if_matches: format!(
                "UPDATE {t} t SET value = $3, expires_at = $4 \
                 WHERE t.key = $1 AND t.value = $2 AND {} RETURNING 1",
                live(5)
            ),
            delete_if_matches: format!(
                "DELETE FROM {t} t WHERE t.key = $1 AND t.value = $2 AND {} RETURNING 1",
                live(3)
            ),
            // Absent (or expired): the counter starts at `amount` with the given expiry, if
            // `amount` fits the limit. Live: `value + amount` under the row lock, expiry kept;
            // refused (no row returned) past the limit or if the value is not 8 bytes.
            add_within_limit: format!(
                "INSERT INTO {t} AS t (key, value, expires_at) \
                 SELECT $1, {new_value}, $4 WHERE {amount} <= {limit} \
                 ON CONFLICT (key) DO UPDATE SET \
                   value = CASE WHEN {live} THEN {sum_bytes} ELSE EXCLUDED.value END, \
                   expires_at = CASE WHEN {live} THEN t.expires_at ELSE EXCLUDED.expires_at END \
                 WHERE NOT {live} OR (octet_length(t.value) = 8 AND {sum} <= {limit}) \
                 RETURNING t.value",
                new_value = u64_as_bytes(&amount),
                live = live(5),
                sum_bytes = u64_as_bytes(&sum),
            ),
            purge_expired: format!(
                "WITH gone AS (DELETE FROM {t} WHERE expires_at <= $1 RETURNING 1) \
                 SELECT count(*) FROM gone"
            ),
            entry_count: format!("SELECT count(*) FROM {t}"),
        }
    }
}

/// Whether `table` is a name this crate splices into SQL: `[a-z_][a-z0-9_]{0,40}`, and not the
/// schema table.
fn valid_table(table: &str) -> bool {
    let bytes = table.as_bytes();
    let Some((first, rest)) = bytes.split_first() else {
        return false;
    };
    (first.is_ascii_lowercase() || *first == b'_')
        && rest.len() <= 40
        && rest
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && table != "blindpost_schema"
}

/// A Unix time as the `bigint` the table holds (saturating at `i64::MAX`).
fn secs(time: Time) -> i64 {
    i64::try_from(time.unix_secs()).unwrap_or(i64::MAX)
}

fn expiry(time: Option<Time>) -> Option<i64> {
    time.map(secs)
}

/// A `u64` reinterpreted as the `bigint` with the same bits (the SQL maps it back).
fn bits(n: u64) -> i64 {
    i64::from_ne_bytes(n.to_ne_bytes())
}

/// A [`StoreError`] naming the operation and the whole cause chain (`postgres::Error` alone
/// says only "db error"; the server's message is its source).
fn failure(context: &str, error: impl std::error::Error) -> StoreError {
    let mut message = format!("postgres {context}: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    StoreError::new(message)
}

impl PostgresStore {
    /// Connects to the database `config` names (libpq key=value string or `postgresql://` URL)
    /// and opens the store on `table`, creating the table and its schema record if missing.
    ///
    /// Fails if `table` is not `[a-z_][a-z0-9_]{0,40}` (or is `blindpost_schema`), if no
    /// connection can be made within 10 seconds, or if the table was created by a newer version
    /// of this crate ([`SCHEMA_VERSION`]).
    pub fn connect(config: &str, table: &str) -> Result<Self, StoreError> {
        if !valid_table(table) {
            return Err(StoreError::new(format!(
                "postgres table name {table:?} is not [a-z_][a-z0-9_]{{0,40}}"
            )));
        }
        let config: postgres::Config = config
            .parse()
            .map_err(|e| failure("connection string", e))?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            .build(manager)
            .map_err(|e| failure("connect", e))?;
        let store = Self {
            pool,
            table: table.to_owned(),
            sql: Statements::new(table),
        };
        store.create_schema()?;
        Ok(store)
    }

    /// The table this store keeps its entries in.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The schema version recorded for this store's table.
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        let row = self
            .conn()?
            .query_one(
                "SELECT version FROM blindpost_schema WHERE table_name = $1",
                &[&self.table],
            )
            .map_err(|e| failure("schema version", e))?;
        Ok(row.get(0))
    }

    fn create_schema(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(|e| failure("schema", e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .map_err(|e| failure("schema lock", e))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS blindpost_schema \
             (table_name text PRIMARY KEY, version integer NOT NULL)",
        )
        .map_err(|e| failure("schema table", e))?;
        let recorded = tx
            .query_opt(
                "SELECT version FROM blindpost_schema WHERE table_name = $1",
                &[&self.table],
            )
            .map_err(|e| failure("schema version", e))?;
        match recorded.map(|row| row.get::<_, i32>(0)) {
            Some(version) if version > SCHEMA_VERSION => {
                return Err(StoreError::new(format!(
                    "postgres table {} has schema version {version}, newer than {SCHEMA_VERSION} \
                     which this blindpost-store-postgres understands: upgrade the server",
                    self.table
                )));
            }
            Some(_) => {}
            None => {
                let t = &self.table;
                tx.batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {t} \
                     (key bytea PRIMARY KEY, value bytea NOT NULL, expires_at bigint NULL); \
                     CREATE INDEX IF NOT EXISTS {t}_expires_at ON {t} (expires_at) \
                     WHERE expires_at IS NOT NULL"
                ))
                .map_err(|e| failure("create table", e))?;
                tx.execute(
                    "INSERT INTO blindpost_schema (table_name, version) VALUES ($1, $2)",
                    &[&self.table, &SCHEMA_VERSION],
                )
                .map_err(|e| failure("schema record", e))?;
            }
        }
        tx.commit().map_err(|e| failure("schema commit", e))
    }

    fn conn(&self) -> Result<PooledConnection<PostgresConnectionManager<NoTls>>, StoreError> {
        self.pool.get().map_err(|e| failure("connection", e))
    }
}

impl PostgresStore {
    /// Runs one statement of this store with explicitly typed parameters: one round trip, no
    /// prepared statement to create and close.
    fn run(
        &self,
        context: &str,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, StoreError> {
        self.conn()?
            .query_typed(sql, params)
            .map_err(|e| failure(context, e))
    }
}

/// The single `bigint` a `count(*)` row holds, as a `usize`.
fn count(context: &str, rows: &[Row]) -> Result<usize, StoreError> {
    let row = rows
        .first()
        .ok_or_else(|| StoreError::new(format!("postgres {context}: no count returned")))?;
    usize::try_from(row.get::<_, i64>(0)).map_err(|e| failure(context, e))
}

impl Store for PostgresStore {
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.run(
            "get",
            &self.sql.get,
            &[(&key, Type::BYTEA), (&secs(now), Type::INT8)],
        )?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        _now: Time,
    ) -> Result<(), StoreError> {
        self.run(
            "put",
            &self.sql.put,
            &[
                (&key, Type::BYTEA),
                (&value, Type::BYTEA),
                (&expiry(expires_at), Type::INT8),
            ],
        )?;
        Ok(())
    }

    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        let rows = self.run(
            "insert_if_absent",
            &self.sql.insert_if_absent,
            &[
                (&key, Type::BYTEA),
                (&value, Type::BYTEA),
                (&expiry(expires_at), Type::INT8),
                (&secs(now), Type::INT8),
            ],
        )?;
        Ok(rows.len() == 1)
    }

    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        let rows = self.run(
            "replace_if_matches",
            &self.sql.replace_if_matches,
            &[
                (&key, Type::BYTEA),
                (&expected, Type::BYTEA),
                (&new, Type::BYTEA),
                (&expiry(expires_at), Type::INT8),
                (&secs(now), Type::INT8),
            ],
        )?;
        Ok(rows.len() == 1)
    }

    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        let rows = self.run(
            "delete_if_matches",
            &self.sql.delete_if_matches,
            &[
                (&key, Type::BYTEA),
                (&expected, Type::BYTEA),
                (&secs(now), Type::INT8),
            ],
        )?;
        Ok(rows.len() == 1)
    }

    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        expires_at: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        let rows = self.run(
            "add_within_limit",
            &self.sql.add_within_limit,
            &[
                (&key, Type::BYTEA),
                (&bits(amount), Type::INT8),
                (&bits(limit), Type::INT8),
                (&expiry(expires_at), Type::INT8),
                (&secs(now), Type::INT8),
            ],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let value: Vec<u8> = row.get(0);
        let bytes: [u8; 8] = value
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::new("postgres counter value is not 8 bytes"))?;
        Ok(Some(u64::from_be_bytes(bytes)))
    }

    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        let rows = self.run(
            "purge_expired",
            &self.sql.purge_expired,
            &[(&secs(now), Type::INT8)],
        )?;
        count("purge_expired", &rows)
    }

    fn entry_count(&self) -> Result<usize, StoreError> {
        let rows = self.run("entry_count", &self.sql.entry_count, &[])?;
        count("entry_count", &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names() {
        assert!(valid_table("a"));
        assert!(valid_table("_x9_"));
        assert!(valid_table(&"a".repeat(41)));
        assert!(!valid_table(&"a".repeat(42)));
        assert!(!valid_table(""));
        assert!(!valid_table("9a"));
        assert!(!valid_table("A"));
        assert!(!valid_table("a;drop"));
        assert!(!valid_table("blindpost_schema"));
    }

    #[test]
    fn u64_bits_round_trip() {
        for n in [0, 1, i64::MAX as u64, 1 << 63, u64::MAX] {
            assert_eq!(bits(n).to_ne_bytes(), n.to_ne_bytes());
        }
    }
}
