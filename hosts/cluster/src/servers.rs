//! The `blindpost-server` processes: started over one store and one data directory (so they
//! share the secrets), killed with SIGKILL and restarted on the same address.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a server may take to print `listening on`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The server binary: `--server-bin`, else `blindpost-server` next to this executable (cargo
/// puts both in `target/<profile>/`), built with `cargo build -p blindpost-server` in the same
/// profile when it is missing.
pub fn find_binary(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let exe = std::env::current_exe().map_err(|e| format!("current executable: {e}"))?;
    let dir = exe
        .parent()
        .ok_or("the current executable has no directory")?
        .to_path_buf();
    let candidate = dir.join("blindpost-server");
    if candidate.exists() {
        return Ok(candidate);
    }
    let release = dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    build.args(["build", "-p", "blindpost-server"]);
    if release {
        build.arg("--release");
    }
    let status = build
        .status()
        .map_err(|e| format!("running cargo build -p blindpost-server: {e}"))?;
    if !status.success() || !candidate.exists() {
        return Err(format!(
            "no blindpost-server next to {} (cargo build -p blindpost-server: {status})",
            exe.display()
        ));
    }
    Ok(candidate)
}

/// Server processes over one store and data directory, each on its own loopback address.
pub struct Fleet {
    binary: PathBuf,
    data_dir: PathBuf,
    /// The store flags (`--store ... --postgres-url ...`).
    store_args: Vec<String>,
    children: Vec<Option<Child>>,
    addrs: Vec<String>,
}

impl Fleet {
    /// A fleet of `count` servers, none started yet.
    pub fn new(binary: PathBuf, data_dir: PathBuf, store_args: Vec<String>, count: usize) -> Self {
        Self {
            binary,
            data_dir,
            store_args,
            children: (0..count).map(|_| None).collect(),
            addrs: vec!["127.0.0.1:0".into(); count],
        }
    }

    /// The SMS file of server `i`.
    pub fn sms_file(&self, i: usize) -> PathBuf {
        self.data_dir.join(format!("sms-{i}.txt"))
    }

    /// The base URL of server `i` (once started).
    pub fn url(&self, i: usize) -> String {
        format!("http://{}", self.addrs[i])
    }

    /// Starts server `i` on its address (a free port the first time, the same one after) and
    /// waits for its `listening on` line.
    pub async fn start(&mut self, i: usize) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join(format!("server-{i}.log")))
            .map_err(|e| format!("server log: {e}"))?;
        let mut child = Command::new(&self.binary)
            .arg("--listen")
            .arg(&self.addrs[i])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--sms-file")
            .arg(self.sms_file(i))
            .args(&self.store_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let wait = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.trim().strip_prefix("listening on http://") {
                    return Some(url.to_string());
                }
            }
            None
        };
        let addr = match tokio::time::timeout(START_TIMEOUT, wait).await {
            Ok(Some(addr)) => addr,
            _ => {
                let _ = child.start_kill();
                return Err(format!(
                    "server {i} did not print `listening on` (log: {})",
                    self.data_dir.join(format!("server-{i}.log")).display()
                ));
            }
        };
        // Keep reading its stdout so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.addrs[i] = addr;
        self.children[i] = Some(child);
        Ok(())
    }

    /// Kills server `i` with SIGKILL and waits for it to be gone.
    pub async fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Stops every server (SIGKILL: their state is all in the store).
    pub async fn stop_all(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i).await;
        }
    }
}
