//! `blindpost-server`: runs a blindpost server until SIGINT or SIGTERM (see `--help`).

use blindpost_server::config::{
    parse_tier, store_choice, BulkOptions, FileConfig, ServerOptions, SmsChoice, TlsFiles,
};
use clap::Parser;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// A blindpost server over HTTP. Settings come from `--config` (TOML) and flags; flags win.
#[derive(Parser, Debug)]
#[command(name = "blindpost-server", version)]
struct Flags {
    /// TOML configuration file (see blindpost-server.example.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free one). Default 127.0.0.1:8080.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Directory for secrets.bin and, with the embedded store, store.redb. Default ./blindpost-data.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// embedded, postgres or redis-cluster.
    #[arg(long)]
    store: Option<String>,
    /// PostgreSQL connection string (with --store postgres).
    #[arg(long)]
    postgres_url: Option<String>,
    /// PostgreSQL table (default blindpost).
    #[arg(long)]
    postgres_table: Option<String>,
    /// Redis Cluster node URLs, comma-separated (with --store redis-cluster).
    #[arg(long, value_delimiter = ',')]
    redis_nodes: Option<Vec<String>>,
    /// Redis key namespace (default blindpost).
    #[arg(long)]
    redis_prefix: Option<String>,
    /// The server's name, used when its secrets are generated. Default blindpost.local.
    #[arg(long)]
    name: Option<String>,
    /// Append verification codes to this file as `<phone> <code>` lines instead of logging them.
    #[arg(long)]
    sms_file: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM file of the CAs whose domain certificates earn a bulk-sender tier (SPEC.md 18.2).
    #[arg(long)]
    bulk_anchors: Option<PathBuf>,
    /// A bulk-sender tier, `domain=tokens per period` (repeatable; with --bulk-anchors).
    #[arg(long, requires = "bulk_anchors", value_parser = parse_tier)]
    bulk_tier: Vec<(String, u32)>,
}

fn options(flags: Flags) -> Result<ServerOptions, String> {
    let mut options = ServerOptions::new("blindpost-data");
    options.listen = SocketAddr::from(([127, 0, 0, 1], 8080));
    let file = match &flags.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            FileConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => FileConfig::default(),
    };
    options = options.with_file(&file)?;
    if let Some(listen) = flags.listen {
        options.listen = listen;
    }
    if let Some(dir) = flags.data_dir {
        options.data_dir = dir;
    }
    if let Some(name) = flags.name {
        options.name = name;
    }
    if let Some(path) = flags.sms_file {
        options.sms = SmsChoice::File(path);
    }
    if let (Some(cert), Some(key)) = (flags.tls_cert, flags.tls_key) {
        options.tls = Some(TlsFiles { cert, key });
    }
    if let Some(anchors) = flags.bulk_anchors {
        options.bulk = Some(BulkOptions {
            anchors,
            tiers: flags.bulk_tier.into_iter().collect(),
        });
    }
    let store_flags_given = flags.store.is_some()
        || flags.postgres_url.is_some()
        || flags.postgres_table.is_some()
        || flags.redis_nodes.is_some()
        || flags.redis_prefix.is_some();
    if store_flags_given {
        let kind = flags
            .store
            .or(file.store.clone())
            .unwrap_or_else(|| "embedded".to_owned());
        options.store = store_choice(
            &kind,
            flags
                .postgres_url
                .as_deref()
                .or(file.postgres_url.as_deref()),
            flags
                .postgres_table
                .as_deref()
                .or(file.postgres_table.as_deref()),
            flags.redis_nodes.as_deref().or(file.redis_nodes.as_deref()),
            flags
                .redis_prefix
                .as_deref()
                .or(file.redis_prefix.as_deref()),
        )?;
    }
    Ok(options)
}

/// Resolves at SIGINT or SIGTERM. Created before the `listening on` line, so that a signal sent
/// as soon as the line is read is not missed.
#[cfg(unix)]
fn terminated() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Resolves at Ctrl-C.
#[cfg(not(unix))]
fn terminated() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let options = match options(Flags::parse()) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("blindpost-server: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match blindpost_server::start(options).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("blindpost-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let terminated = match terminated() {
        Ok(terminated) => terminated,
        Err(e) => {
            eprintln!("blindpost-server: cannot watch for signals: {e}");
            server.shutdown().await;
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", server.url());
    let _ = std::io::stdout().flush();
    terminated.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}
