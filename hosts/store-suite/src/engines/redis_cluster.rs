//! The Redis Cluster engine: a [`RedisClusterStore`] per namespace on the cluster that
//! `ci/engines/redis-cluster.sh start` runs, restarted and failed over through that script.

use crate::Engine;
use blindpost::store::StoreError;
use blindpost_store_redis::RedisClusterStore;
use std::process::Command;

/// A running Redis Cluster, found through `BLINDPOST_REDIS_CLUSTER` (comma-separated
/// `redis://host:port` of every node) and `BLINDPOST_REDIS_CTL` (the command that runs
/// `ci/engines/redis-cluster.sh`).
pub struct RedisClusterEngine {
    nodes: Vec<String>,
    control: Vec<String>,
}

/// The engine the environment names, or `None` if `BLINDPOST_REDIS_CLUSTER` is not set.
pub fn from_env() -> Option<RedisClusterEngine> {
    let nodes = std::env::var("BLINDPOST_REDIS_CLUSTER").ok()?;
    let control = std::env::var("BLINDPOST_REDIS_CTL")
        .unwrap_or_else(|_| "bash ci/engines/redis-cluster.sh".to_owned());
    Some(RedisClusterEngine {
        nodes: nodes.split(',').map(str::to_owned).collect(),
        control: control.split_whitespace().map(str::to_owned).collect(),
    })
}

impl RedisClusterEngine {
    /// The addresses of the cluster's nodes.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// Shuts the node on `port` down (the cluster stays up while that node is a replica).
    pub fn stop_node(&self, port: u16) -> Result<(), String> {
        self.control(&["stop-node", &port.to_string()])
    }

    /// Starts the node on `port` again and waits until the cluster is whole.
    pub fn start_node(&self, port: u16) -> Result<(), String> {
        self.control(&["start-node", &port.to_string()])
    }

    /// Runs the control script with `args`; its output goes to the error on failure.
    fn control(&self, args: &[&str]) -> Result<(), String> {
        let (program, fixed) = self
            .control
            .split_first()
            .ok_or("BLINDPOST_REDIS_CTL is empty")?;
        let output = Command::new(program)
            .args(fixed)
            .args(args)
            .output()
            .map_err(|e| format!("running {program}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "redis-cluster.sh {args:?} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

impl Engine for RedisClusterEngine {
    type Store = RedisClusterStore;

    fn name(&self) -> &'static str {
        "redis_cluster"
    }

    fn open(&self, namespace: &str) -> Result<RedisClusterStore, StoreError> {
        RedisClusterStore::connect(&self.nodes, namespace.as_bytes())
    }

    fn restart(&self) -> Result<(), String> {
        self.control(&["restart"])
    }

    fn kill_connections(&self) -> Result<bool, String> {
        for node in &self.nodes {
            let client = redis::Client::open(node.as_str()).map_err(|e| format!("{node}: {e}"))?;
            let mut conn = client
                .get_connection()
                .map_err(|e| format!("{node}: {e}"))?;
            // TYPE normal spares the replication links; SKIPME (default yes) spares this one.
            redis::cmd("CLIENT")
                .arg("KILL")
                .arg("TYPE")
                .arg("normal")
                .query::<i64>(&mut conn)
                .map_err(|e| format!("CLIENT KILL on {node}: {e}"))?;
        }
        Ok(true)
    }

    fn fail_over(&self) -> Result<bool, String> {
        self.control(&["failover"])?;
        Ok(true)
    }
}
