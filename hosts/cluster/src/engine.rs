//! The store engine the servers run on, as the environment names it (`ci/engines.sh start`
//! writes `target/engines/env`), and its fault: a Redis master failed over to its replica, or
//! the PostgreSQL postmaster killed with SIGKILL and started again (crash recovery).

use std::process::Command;

/// The table (PostgreSQL) or key prefix (Redis) the run's servers use, apart from other users
/// of the same engine. Runs share it; each registers fresh phone numbers and accounts.
const NAMESPACE: &str = "cluster";

/// Which engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// PostgreSQL (`BLINDPOST_POSTGRES_URL`, `BLINDPOST_POSTGRES_CTL`).
    Postgres,
    /// Redis Cluster (`BLINDPOST_REDIS_CLUSTER`, `BLINDPOST_REDIS_CTL`).
    RedisCluster,
}

/// A running engine: the server flags that point at it and its control script.
#[derive(Clone, Debug)]
pub struct Engine {
    /// Which engine.
    pub kind: Kind,
    /// `--store ...` and its connection flags for `blindpost-server`.
    pub server_args: Vec<String>,
    /// The control command line (`bash .../ci/engines/<engine>.sh`).
    ctl: Vec<String>,
}

impl Engine {
    /// The engine `name` (`postgres` or `redis-cluster`) from the environment.
    pub fn from_env(name: &str) -> Result<Self, String> {
        let var = |v: &str| {
            std::env::var(v).map_err(|_| {
                format!(
                    "{v} is not set: run `bash ci/engines.sh start; set -a; . target/engines/env; set +a`"
                )
            })
        };
        let (kind, server_args, ctl) = match name {
            "postgres" => (
                Kind::Postgres,
                vec![
                    "--store".into(),
                    "postgres".into(),
                    "--postgres-url".into(),
                    var("BLINDPOST_POSTGRES_URL")?,
                    "--postgres-table".into(),
                    NAMESPACE.into(),
                ],
                var("BLINDPOST_POSTGRES_CTL")?,
            ),
            "redis-cluster" => (
                Kind::RedisCluster,
                vec![
                    "--store".into(),
                    "redis-cluster".into(),
                    "--redis-nodes".into(),
                    var("BLINDPOST_REDIS_CLUSTER")?,
                    "--redis-prefix".into(),
                    NAMESPACE.into(),
                ],
                var("BLINDPOST_REDIS_CTL")?,
            ),
            other => {
                return Err(format!(
                    "unknown store {other:?}: postgres or redis-cluster"
                ))
            }
        };
        Ok(Self {
            kind,
            server_args,
            ctl: ctl.split_whitespace().map(str::to_owned).collect(),
        })
    }

    /// Injects the engine's fault and waits until the script says it has recovered:
    /// `failover` for Redis Cluster, `crash` (SIGKILL of the postmaster, then start and crash
    /// recovery) for PostgreSQL. Blocking: run it off the async workers.
    pub fn fault(&self) -> Result<String, String> {
        let action = match self.kind {
            Kind::Postgres => "crash",
            Kind::RedisCluster => "failover",
        };
        let (program, args) = self.ctl.split_first().ok_or("empty control command")?;
        let output = Command::new(program)
            .args(args)
            .arg(action)
            .output()
            .map_err(|e| format!("running {program} {action}: {e}"))?;
        if output.status.success() {
            Ok(format!(
                "{action}: {}",
                String::from_utf8_lossy(&output.stdout).trim()
            ))
        } else {
            Err(format!(
                "{action} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}
