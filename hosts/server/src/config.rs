//! What a server is started with: [`ServerOptions`], built in code or from a TOML file
//! ([`FileConfig`], see `blindpost-server.example.toml`) with command-line flags on top.

use crate::queue::QueueLimits;
use crate::sms::{FileSender, LogSender, SmsSender};
use crate::{SharedStore, StartError};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The largest request body accepted (bytes); larger ones get 413.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// Where the server keeps its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// The embedded redb file `<data-dir>/store.redb` (one process only).
    Embedded,
    /// A PostgreSQL table.
    Postgres {
        /// libpq connection string or `postgresql://` URL.
        url: String,
        /// The table (created if missing).
        table: String,
    },
    /// A Redis Cluster.
    RedisCluster {
        /// `redis://host:port` URLs of some of the nodes.
        nodes: Vec<String>,
        /// The key namespace (servers sharing state use the same one).
        prefix: String,
    },
}

impl StoreChoice {
    /// Opens the store (blocking: call it off the async workers).
    pub fn open(&self, data_dir: &Path) -> Result<SharedStore, StartError> {
        let store: SharedStore = match self {
            StoreChoice::Embedded => Arc::new(
                blindpost_store_redb::RedbStore::open(data_dir.join("store.redb"))
                    .map_err(StartError::Store)?,
            ),
            StoreChoice::Postgres { url, table } => Arc::new(
                blindpost_store_postgres::PostgresStore::connect(url, table)
                    .map_err(StartError::Store)?,
            ),
            StoreChoice::RedisCluster { nodes, prefix } => Arc::new(
                blindpost_store_redis::RedisClusterStore::connect(nodes, prefix.as_bytes())
                    .map_err(StartError::Store)?,
            ),
        };
        Ok(store)
    }
}

/// Where verification codes go.
#[derive(Clone)]
pub enum SmsChoice {
    /// To the log ([`crate::sms::LogSender`]).
    Log,
    /// Appended to this file ([`crate::sms::FileSender`]).
    File(PathBuf),
    /// To a sender the embedding program provides (a real SMS gateway, or a test's).
    Custom(Arc<dyn SmsSender>),
}

impl std::fmt::Debug for SmsChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsChoice::Log => f.write_str("Log"),
            SmsChoice::File(path) => f.debug_tuple("File").field(path).finish(),
            SmsChoice::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl SmsChoice {
    /// The sender this choice names.
    pub fn sender(&self) -> Arc<dyn SmsSender> {
        match self {
            SmsChoice::Log => Arc::new(LogSender),
            SmsChoice::File(path) => Arc::new(FileSender::new(path)),
            SmsChoice::Custom(sender) => sender.clone(),
        }
    }
}

/// A TLS certificate chain and its private key, both PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How to start a server ([`crate::start`]).
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Holds `secrets.bin` and, with the embedded store, `store.redb`.
    pub data_dir: PathBuf,
    /// The address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Where the state lives.
    pub store: StoreChoice,
    /// The server's name: the issuer name of its token key sets, signed by clients'
    /// authenticated requests. Only read when the secrets are generated.
    pub name: String,
    /// Serve HTTPS with this certificate instead of plaintext HTTP.
    pub tls: Option<TlsFiles>,
    /// Where verification codes go.
    pub sms: SmsChoice,
    /// Delivery queue bounds.
    pub queue: QueueLimits,
    /// Largest request body (bytes).
    pub body_limit: usize,
    /// How often the discovery keys are checked and brought in step with the data dir.
    pub rotation_interval: Duration,
    /// How often expired state is purged from the store.
    pub maintain_interval: Duration,
    /// The bulk-sender tier (SPEC.md 18.2), if the operator offers it.
    pub bulk: Option<BulkOptions>,
}

/// The operator's bulk-sender tier: trust anchors and tiers by domain. Revocations are read
/// from `bulk-revoked.txt` in the data dir (one domain a line), again at every rotation
/// interval, so an operator revokes a tier by adding a line, on every process at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkOptions {
    /// PEM file of the trusted CA certificates.
    pub anchors: PathBuf,
    /// Tokens per bulk period, by domain.
    pub tiers: std::collections::BTreeMap<String, u32>,
}

/// Parses `domain=allowance`.
pub fn parse_tier(text: &str) -> Result<(String, u32), String> {
    let (domain, allowance) = text
        .split_once('=')
        .ok_or_else(|| format!("bulk tier {text:?}: expected domain=allowance"))?;
    let allowance = allowance
        .parse()
        .map_err(|_| format!("bulk tier {text:?}: the allowance is not a number"))?;
    Ok((domain.to_owned(), allowance))
}

impl ServerOptions {
    /// Defaults: the embedded store in `data_dir`, listening on `127.0.0.1:0`, name
    /// `blindpost.local`, plaintext, codes to the log.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store: StoreChoice::Embedded,
            name: "blindpost.local".to_owned(),
            tls: None,
            sms: SmsChoice::Log,
            queue: QueueLimits::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            rotation_interval: Duration::from_secs(60),
            maintain_interval: Duration::from_secs(300),
            bulk: None,
        }
    }

    /// These options with every setting `file` gives replaced.
    pub fn with_file(mut self, file: &FileConfig) -> Result<Self, String> {
        if let Some(dir) = &file.data_dir {
            self.data_dir = dir.clone();
        }
        if let Some(listen) = file.listen {
            self.listen = listen;
        }
        if let Some(name) = &file.name {
            self.name = name.clone();
        }
        if let Some(path) = &file.sms_file {
            self.sms = SmsChoice::File(path.clone());
        }
        match (&file.tls_cert, &file.tls_key) {
            (Some(cert), Some(key)) => {
                self.tls = Some(TlsFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                })
            }
            (None, None) => {}
            _ => return Err("tls_cert and tls_key go together".to_owned()),
        }
        if let Some(store) = &file.store {
            self.store = store_choice(
                store,
                file.postgres_url.as_deref(),
                file.postgres_table.as_deref(),
                file.redis_nodes.as_deref(),
                file.redis_prefix.as_deref(),
            )?;
        }
        if let Some(queue) = &file.queue {
            if let Some(n) = queue.max_len {
                self.queue.max_len = n;
            }
            if let Some(s) = queue.retention_seconds {
                self.queue.retention = s;
            }
        }
        if let Some(limit) = file.body_limit {
            self.body_limit = limit;
        }
        if let Some(anchors) = &file.bulk_anchors {
            let tiers = file
                .bulk_tiers
                .iter()
                .flatten()
                .map(|t| parse_tier(t))
                .collect::<Result<_, _>>()?;
            self.bulk = Some(BulkOptions {
                anchors: anchors.clone(),
                tiers,
            });
        }
        Ok(self)
    }
}

/// Builds a [`StoreChoice`] from its name (`embedded`, `postgres`, `redis-cluster`) and the
/// settings that name needs.
pub fn store_choice(
    kind: &str,
    postgres_url: Option<&str>,
    postgres_table: Option<&str>,
    redis_nodes: Option<&[String]>,
    redis_prefix: Option<&str>,
) -> Result<StoreChoice, String> {
    match kind {
        "embedded" => Ok(StoreChoice::Embedded),
        "postgres" => Ok(StoreChoice::Postgres {
            url: postgres_url
                .ok_or("store postgres needs postgres_url")?
                .to_owned(),
            table: postgres_table.unwrap_or("blindpost").to_owned(),
        }),
        "redis-cluster" => Ok(StoreChoice::RedisCluster {
            nodes: redis_nodes
                .filter(|n| !n.is_empty())
                .ok_or("store redis-cluster needs redis_nodes")?
                .to_vec(),
            prefix: redis_prefix.unwrap_or("blindpost").to_owned(),
        }),
        other => Err(format!(
            "unknown store {other:?} (embedded, postgres or redis-cluster)"
        )),
    }
}

/// The TOML configuration file; every field is optional and flags override it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See [`ServerOptions::listen`].
    pub listen: Option<SocketAddr>,
    /// See [`ServerOptions::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`ServerOptions::name`].
    pub name: Option<String>,
    /// `embedded`, `postgres` or `redis-cluster`.
    pub store: Option<String>,
    /// With `store = "postgres"`: the connection string.
    pub postgres_url: Option<String>,
    /// With `store = "postgres"`: the table (default `blindpost`).
    pub postgres_table: Option<String>,
    /// With `store = "redis-cluster"`: node URLs.
    pub redis_nodes: Option<Vec<String>>,
    /// With `store = "redis-cluster"`: the key namespace (default `blindpost`).
    pub redis_prefix: Option<String>,
    /// Append verification codes to this file instead of logging them.
    pub sms_file: Option<PathBuf>,
    /// PEM certificate chain (with `tls_key`: serve HTTPS).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    pub tls_key: Option<PathBuf>,
    /// See [`ServerOptions::body_limit`].
    pub body_limit: Option<usize>,
    /// Delivery queue bounds.
    pub queue: Option<QueueConfig>,
    /// PEM file of the CAs whose certificates earn a bulk-sender tier.
    pub bulk_anchors: Option<PathBuf>,
    /// The tiers, as `domain=allowance` strings.
    pub bulk_tiers: Option<Vec<String>>,
}

/// The `[queue]` table of the configuration file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// See [`QueueLimits::max_len`].
    pub max_len: Option<u64>,
    /// See [`QueueLimits::retention`] (seconds).
    pub retention_seconds: Option<u64>,
}

impl FileConfig {
    /// Parses a configuration file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}
