//! The blindpost server as a process: [`blindpost::server::Server`] behind HTTP (SPEC.md 17).
//!
//! [`start`] opens the store, loads or generates the secrets, binds the listener and serves
//! HTTP/1.1 and HTTP/2 (prior knowledge on plaintext, ALPN over TLS) until
//! [`RunningServer::shutdown`]. Background tasks rotate the discovery keys and purge expired
//! state. Every store call and every [`Server::handle`] runs on a blocking thread, never on an
//! async worker.

#![deny(missing_docs)]

mod bulk;
pub mod config;
mod http;
pub mod metrics;
pub mod queue;
pub mod secrets_file;
mod serve;
pub mod sms;

use blindpost::server::{Server, ServerConfig};
use blindpost::store::Store;
use blindpost::Time;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use config::{ServerOptions, SmsChoice, StoreChoice, TlsFiles};

/// The store type every server process uses: chosen at run time, shared by the handlers, the
/// queue and the background tasks.
pub type SharedStore = Arc<dyn Store>;

/// The current time on the system clock, as the protocol counts it.
pub fn now() -> Time {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Time::from_unix_secs(secs)
}

/// Why [`start`] failed.
#[derive(Debug)]
pub enum StartError {
    /// The store could not be opened or reached.
    Store(blindpost::store::StoreError),
    /// The secrets could not be read, generated or accepted.
    Secrets(secrets_file::SecretsError),
    /// The TLS certificate or key could not be read or used.
    Tls(String),
    /// The listener could not be bound.
    Bind(std::io::Error),
    /// The server configuration was refused.
    Config(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Store(e) => write!(f, "cannot open the store: {e}"),
            StartError::Secrets(e) => write!(f, "{e}"),
            StartError::Tls(e) => write!(f, "TLS: {e}"),
            StartError::Bind(e) => write!(f, "cannot listen: {e}"),
            StartError::Config(e) => write!(f, "configuration: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Everything the request handlers share.
pub(crate) struct App {
    pub(crate) server: RwLock<Server<SharedStore>>,
    pub(crate) queue: queue::DeliveryQueue<SharedStore>,
    pub(crate) sms: Arc<dyn sms::SmsSender>,
    pub(crate) metrics: metrics::Metrics,
    /// The operator's bulk-tier check, whose revocations the rotation tick reloads.
    pub(crate) bulk: Option<Arc<blindpost_bulk_x509::X509BulkCheck>>,
    pub(crate) data_dir: std::path::PathBuf,
}

/// A server that is accepting connections.
pub struct RunningServer {
    local_addr: SocketAddr,
    tls: bool,
    app: Arc<App>,
    serving: serve::Serving,
    /// Tells the background tasks to stop (they finish the step they are in).
    stop_background: tokio::sync::watch::Sender<bool>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The address the listener is bound to (the port chosen for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The base URL clients use: `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// The public keys clients pin (the same answer as a `FetchKeys` request).
    pub fn public_keys(&self) -> blindpost::wire::ServerKeys {
        read_server(&self.app).public_keys()
    }

    /// Stops accepting connections, lets requests in flight finish (up to `grace`; connections
    /// still open then are closed), stops the background tasks and closes the store.
    pub async fn shutdown_within(self, grace: Duration) {
        self.serving.shutdown(grace).await;
        let _ = self.stop_background.send(true);
        for task in self.background {
            let _ = task.await;
        }
        // A request cut off after the grace period may still run on a blocking thread, holding
        // the store: wait for it (bounded), so that the store is closed when this returns and a
        // new server can open it (the embedded store allows one handle).
        let mut app = self.app;
        for _ in 0..6000 {
            match Arc::try_unwrap(app) {
                Ok(last) => {
                    // The store may hold a synchronous client with its own runtime: drop it off
                    // the async workers.
                    let _ = tokio::task::spawn_blocking(move || drop(last)).await;
                    return;
                }
                Err(shared) => {
                    app = shared;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
        tracing::warn!("a request still holds the store after shutdown");
    }

    /// [`RunningServer::shutdown_within`] with a 30-second grace period.
    pub async fn shutdown(self) {
        self.shutdown_within(Duration::from_secs(30)).await;
    }
}

pub(crate) fn read_server(app: &App) -> std::sync::RwLockReadGuard<'_, Server<SharedStore>> {
    app.server.read().unwrap_or_else(|e| e.into_inner())
}

/// Starts a server: opens the store, loads or generates the secrets in the data directory,
/// binds `options.listen` and serves until [`RunningServer::shutdown`].
pub async fn start(options: ServerOptions) -> Result<RunningServer, StartError> {
    let tls = options.tls.as_ref().map(serve::tls_acceptor).transpose()?;
    let setup = options.clone();
    let app = tokio::task::spawn_blocking(move || build_app(&setup))
        .await
        .map_err(|e| StartError::Config(e.to_string()))??;
    let app = Arc::new(app);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(StartError::Bind)?;
    let local_addr = listener.local_addr().map_err(StartError::Bind)?;
    let router = http::router(app.clone(), options.body_limit);
    let is_tls = tls.is_some();
    let serving = serve::Serving::start(listener, tls, router);
    let (stop_background, stopped) = tokio::sync::watch::channel(false);
    let background = vec![
        tokio::spawn(rotate_keys(
            app.clone(),
            secrets_file::SecretsFile::new(&options.data_dir),
            options.rotation_interval,
            stopped.clone(),
        )),
        tokio::spawn(maintain(app.clone(), options.maintain_interval, stopped)),
    ];
    tracing::info!(addr = %local_addr, tls = is_tls, "listening");
    Ok(RunningServer {
        local_addr,
        tls: is_tls,
        app,
        serving,
        stop_background,
        background,
    })
}

fn build_app(options: &ServerOptions) -> Result<App, StartError> {
    std::fs::create_dir_all(&options.data_dir)
        .map_err(|e| StartError::Secrets(secrets_file::SecretsError::Io(e)))?;
    let store = options.store.open(&options.data_dir)?;
    let config = ServerConfig::default();
    let file = secrets_file::SecretsFile::new(&options.data_dir);
    let secrets = file
        .load_or_generate(&options.name, &config.discovery, now())
        .map_err(StartError::Secrets)?;
    let mut server = Server::new(config, secrets, store.clone())
        .map_err(|e| StartError::Config(e.to_string()))?;
    let bulk = match &options.bulk {
        Some(bulk) => {
            let check = Arc::new(bulk::open(bulk, &options.data_dir)?);
            server.set_bulk_check(check.clone());
            Some(check)
        }
        None => None,
    };
    // Keys for the current window before the first request (the file may be old).
    file.rotate(&mut server, now())
        .map_err(StartError::Secrets)?;
    Ok(App {
        server: RwLock::new(server),
        queue: queue::DeliveryQueue::new(store, options.queue),
        sms: options.sms.sender(),
        metrics: metrics::Metrics::default(),
        bulk,
        data_dir: options.data_dir.clone(),
    })
}

/// Keeps the discovery keys current and in step with other processes on the same data dir.
async fn rotate_keys(
    app: Arc<App>,
    file: secrets_file::SecretsFile,
    every: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while next_tick(&mut tick, stop.clone()).await {
        let app = app.clone();
        let file = file.clone();
        let result = tokio::task::spawn_blocking(move || {
            if let Some(check) = &app.bulk {
                if let Err(e) = bulk::reload_revocations(check, &app.data_dir) {
                    tracing::warn!(error = %e, "bulk tier revocations not reloaded");
                }
            }
            let mut server = app.server.write().unwrap_or_else(|e| e.into_inner());
            file.rotate(&mut server, now())
        })
        .await;
        match result {
            Ok(Ok(true)) => tracing::info!("discovery keys updated"),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "discovery key rotation failed"),
            Err(e) => tracing::warn!(error = %e, "discovery key rotation task failed"),
        }
    }
}

/// Purges expired state from the store now and then.
async fn maintain(app: Arc<App>, every: Duration, stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while next_tick(&mut tick, stop.clone()).await {
        let app = app.clone();
        let result = tokio::task::spawn_blocking(move || read_server(&app).maintain(now())).await;
        match result {
            Ok(Ok(purged)) => tracing::debug!(purged, "maintenance"),
            Ok(Err(e)) => tracing::warn!(error = %e, "maintenance failed"),
            Err(e) => tracing::warn!(error = %e, "maintenance task failed"),
        }
    }
}

/// Waits for the next tick; `false` once the server is stopping.
async fn next_tick(
    tick: &mut tokio::time::Interval,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tick.tick() => !*stop.borrow(),
        _ = stop.changed() => false,
    }
}
