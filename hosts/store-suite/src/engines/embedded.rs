//! The embedded engine: [`RedbStore`] files in one directory, one file per namespace.
//!
//! There is no server process: "restarting" the engine means every handle was closed (the caller
//! drops its stores first, [`Engine::restart_needs_close`]) and each file is opened again, which
//! runs redb's recovery as a process start would. There are no connections to cut.

use crate::Engine;
use blindpost::store::StoreError;
use blindpost_store_redb::RedbStore;
use std::path::{Path, PathBuf};

/// Set it to run the embedded engine in a directory of one's choosing (kept afterwards), e.g. on
/// the disk a deployment will use; unset, each engine gets a fresh temporary directory.
pub const DIR_VARIABLE: &str = "BLINDPOST_EMBEDDED_DIR";

/// Where the engine's files live: a temporary directory removed on drop, or a directory the
/// operator named.
enum Dir {
    Temporary(tempfile::TempDir),
    Named(PathBuf),
}

/// [`RedbStore`] files in one directory, one per namespace.
///
/// A file is locked to one open handle, so two processes cannot share a namespace: the suite's
/// two-process race does not apply to this engine (its `shared_by_processes` is false).
pub struct EmbeddedEngine {
    dir: Dir,
}

/// The embedded engine needs nothing running, so it is always found: in the directory
/// [`DIR_VARIABLE`] names if set, else in a fresh temporary directory.
pub fn from_env() -> Option<EmbeddedEngine> {
    let engine = match std::env::var_os(DIR_VARIABLE) {
        Some(dir) => EmbeddedEngine::in_dir(PathBuf::from(dir)),
        None => EmbeddedEngine::temporary(),
    };
    match engine {
        Ok(engine) => Some(engine),
        Err(e) => panic!("the embedded engine cannot make its directory: {e}"),
    }
}

impl EmbeddedEngine {
    /// An engine in a fresh temporary directory, removed when the engine is dropped.
    pub fn temporary() -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("blindpost-embedded-")
            .tempdir()?;
        Ok(Self {
            dir: Dir::Temporary(dir),
        })
    }

    /// An engine in `dir` (created if missing, kept afterwards).
    pub fn in_dir(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir: Dir::Named(dir),
        })
    }

    /// The directory holding the engine's files.
    pub fn dir(&self) -> &Path {
        match &self.dir {
            Dir::Temporary(dir) => dir.path(),
            Dir::Named(dir) => dir,
        }
    }

    /// The file that holds `namespace`: its bytes kept readable where they are plain
    /// (letters, digits, `-`, `_`), every other byte escaped as `.xx` (hex), so different
    /// namespaces always name different files and none can leave the directory.
    pub fn file(&self, namespace: &str) -> PathBuf {
        let mut name = String::with_capacity(namespace.len().saturating_add(5));
        for byte in namespace.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
                name.push(char::from(byte));
            } else {
                name.push_str(&format!(".{byte:02x}"));
            }
        }
        name.push_str(".redb");
        self.dir().join(name)
    }
}

impl Engine for EmbeddedEngine {
    type Store = RedbStore;

    fn name(&self) -> &'static str {
        "embedded"
    }

    fn open(&self, namespace: &str) -> Result<RedbStore, StoreError> {
        RedbStore::open(self.file(namespace))
    }

    /// Opens and closes every file again (redb's recovery runs on open). Fails, naming the
    /// file, if a store is still open: the caller must drop its stores first.
    fn restart(&self) -> Result<(), String> {
        let entries = std::fs::read_dir(self.dir())
            .map_err(|e| format!("cannot list {}: {e}", self.dir().display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", self.dir().display()))?
                .path();
            if path.extension().is_some_and(|ext| ext == "redb") {
                drop(RedbStore::open(&path).map_err(|e| e.message)?);
            }
        }
        Ok(())
    }

    fn restart_needs_close(&self) -> bool {
        true
    }

    fn kill_connections(&self) -> Result<bool, String> {
        Ok(false)
    }

    /// redb locks a file to one handle.
    fn shared_by_handles(&self) -> bool {
        false
    }

    /// redb locks a file to one process.
    fn shared_by_processes(&self) -> bool {
        false
    }
}
