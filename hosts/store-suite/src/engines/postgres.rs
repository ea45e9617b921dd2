//! The PostgreSQL engine: a server `ci/engines/postgres.sh start` runs, found through
//! `BLINDPOST_POSTGRES_URL` (connection string) and `BLINDPOST_POSTGRES_CTL` (the script's
//! command line, for restarts).

use crate::Engine;
use blindpost::store::StoreError;
use blindpost_store_postgres::PostgresStore;
use std::process::Command;

/// A running PostgreSQL server the suite opens [`PostgresStore`]s on.
#[derive(Clone, Debug)]
pub struct PostgresEngine {
    /// libpq connection string of the test database.
    url: String,
    /// Command line of the engine script (`bash /abs/ci/engines/postgres.sh`).
    ctl: Vec<String>,
}

/// The engine the environment names, or `None` when `BLINDPOST_POSTGRES_URL` is unset.
pub fn from_env() -> Option<PostgresEngine> {
    let url = std::env::var("BLINDPOST_POSTGRES_URL").ok()?;
    let ctl = std::env::var("BLINDPOST_POSTGRES_CTL")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    Some(PostgresEngine { url, ctl })
}

impl PostgresEngine {
    /// The connection string stores are opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs the engine script with `action` (`restart`, `crash`, ...).
    fn control(&self, action: &str) -> Result<(), String> {
        let (program, args) = self
            .ctl
            .split_first()
            .ok_or("BLINDPOST_POSTGRES_CTL is not set: cannot restart the engine")?;
        let output = Command::new(program)
            .args(args)
            .arg(action)
            .output()
            .map_err(|e| format!("running {program} {action}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} {action} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

/// The table for a suite namespace: `suite_<namespace>` when the namespace is already a short
/// `[a-z0-9_]` name, else a cleaned prefix plus a hash of the whole namespace, so distinct
/// namespaces stay distinct tables.
fn table_for(namespace: &str) -> Result<String, StoreError> {
    let plain = namespace
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain && namespace.len() <= 30 {
        return Ok(format!("suite_{namespace}"));
    }
    let prefix: String = namespace
        .chars()
        .take(16)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    // DefaultHasher::new() has fixed keys: the same namespace gives the same table in every
    // process built from this source.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(namespace, &mut hasher);
    Ok(format!(
        "suite_{prefix}_{:016x}",
        std::hash::Hasher::finish(&hasher)
    ))
}

impl Engine for PostgresEngine {
    type Store = PostgresStore;

    fn name(&self) -> &'static str {
        "postgres"
    }

    fn open(&self, namespace: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect(&self.url, &table_for(namespace)?)
    }

    /// Kills the postmaster with SIGKILL and starts it again: the stronger test, since only what
    /// was committed to the write-ahead log survives crash recovery.
    fn restart(&self) -> Result<(), String> {
        self.control("crash")
    }

    fn kill_connections(&self) -> Result<bool, String> {
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls)
            .map_err(|e| format!("connecting to kill connections: {e}"))?;
        client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .map_err(|e| format!("terminating backends: {e}"))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::table_for;

    #[test]
    fn namespaces_map_to_distinct_tables() {
        assert_eq!(table_for("conversation").unwrap(), "suite_conversation");
        assert_eq!(table_for("race_1").unwrap(), "suite_race_1");
        let odd = ["a-b", "a_b", "A", "a", &"x".repeat(40), &"x".repeat(41)];
        let tables: std::collections::HashSet<_> =
            odd.iter().map(|ns| table_for(ns).unwrap()).collect();
        assert_eq!(tables.len(), odd.len());
        assert!(tables.iter().all(|t| t.len() <= 41), "{tables:?}");
    }
}
