//! The server's secrets on disk: `<data-dir>/secrets.bin` (mode 0600), generated on first
//! start. Several processes may share one data directory; every read-modify-write of the file
//! happens under an exclusive lock on `<data-dir>/secrets.lock`, and the file is replaced by an
//! atomic rename, so a reader sees the old or the new secrets, never a mix, and two processes
//! never generate different keys for the same discovery window.

use blindpost::server::{DiscoveryConfig, Server, ServerError, ServerSecrets};
use blindpost::store::Store;
use blindpost::Time;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Why the secrets could not be read or written.
#[derive(Debug)]
pub enum SecretsError {
    /// The file system failed.
    Io(io::Error),
    /// The file does not hold valid secrets, or new keys could not be made.
    Keys(ServerError),
}

impl std::fmt::Display for SecretsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretsError::Io(e) => write!(f, "secrets file: {e}"),
            SecretsError::Keys(e) => write!(f, "secrets file: {e}"),
        }
    }
}

impl std::error::Error for SecretsError {}

impl From<io::Error> for SecretsError {
    fn from(e: io::Error) -> Self {
        SecretsError::Io(e)
    }
}

impl From<ServerError> for SecretsError {
    fn from(e: ServerError) -> Self {
        SecretsError::Keys(e)
    }
}

/// The secrets file of one data directory.
#[derive(Debug, Clone)]
pub struct SecretsFile {
    dir: PathBuf,
}

/// Holds the directory's lock until dropped.
struct Locked(File);

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl SecretsFile {
    /// The secrets file in `data_dir` (created with the directory if missing).
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.to_path_buf(),
        }
    }

    /// The path of the secrets file.
    pub fn path(&self) -> PathBuf {
        self.dir.join("secrets.bin")
    }

    fn lock(&self) -> Result<Locked, SecretsError> {
        fs::create_dir_all(&self.dir)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("secrets.lock"))?;
        file.lock()?;
        Ok(Locked(file))
    }

    /// Reads the secrets, generating them (for a server named `name`) if the file is missing.
    pub fn load_or_generate(
        &self,
        name: &str,
        discovery: &DiscoveryConfig,
        now: Time,
    ) -> Result<ServerSecrets, SecretsError> {
        let _lock = self.lock()?;
        match fs::read(self.path()) {
            Ok(bytes) => Ok(ServerSecrets::from_bytes(&Zeroizing::new(bytes))?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let secrets =
                    ServerSecrets::generate(&mut rand::rng(), now, name.as_bytes(), discovery)?;
                self.write(&secrets.to_bytes()?)?;
                Ok(secrets)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Brings `server`'s discovery keys up to date: under the lock, takes the keys another
    /// process wrote to the file, then generates the next window's key if it is still missing
    /// and writes the result back. Returns whether `server`'s keys changed.
    pub fn rotate<S: Store>(
        &self,
        server: &mut Server<S>,
        now: Time,
    ) -> Result<bool, SecretsError> {
        let _lock = self.lock()?;
        let on_disk = Zeroizing::new(fs::read(self.path())?);
        let mine = server.secrets().to_bytes()?;
        let mut changed = false;
        if on_disk.as_slice() != mine.as_slice() {
            let theirs = ServerSecrets::from_bytes(&on_disk)?;
            server.set_discovery_keys(theirs.discovery_issuer, theirs.discovery_keys)?;
            changed = true;
        }
        if server.rotate_discovery_keys(&mut rand::rng(), now)? {
            self.write(&server.secrets().to_bytes()?)?;
            changed = true;
        }
        Ok(changed)
    }

    /// Replaces the file atomically: a private temporary file, synced, renamed over it.
    fn write(&self, bytes: &[u8]) -> Result<(), SecretsError> {
        let tmp = self.dir.join("secrets.bin.tmp");
        let mut options = OpenOptions::new();
        options.create(true).truncate(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, self.path())?;
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blindpost::server::ServerConfig;
    use blindpost::store::MemoryStore;
    use blindpost::wire::Response;
    use std::sync::Arc;

    const T0: Time = Time::from_unix_secs(1_800_000_000);

    fn published<S: Store>(server: &Server<S>) -> Vec<u8> {
        Response::Keys(server.public_keys()).to_bytes()
    }

    /// Two processes on one data dir: whichever rotates first writes the next window's key,
    /// and the other takes that key instead of generating its own.
    #[test]
    fn processes_sharing_a_data_dir_rotate_to_the_same_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::new());
        let config = ServerConfig::default();
        let window = config.discovery.window_seconds;
        let (file_a, file_b) = (SecretsFile::new(dir.path()), SecretsFile::new(dir.path()));
        let secrets_a = file_a
            .load_or_generate("x.test", &config.discovery, T0)
            .unwrap();
        let secrets_b = file_b
            .load_or_generate("x.test", &config.discovery, T0)
            .unwrap();
        let mut a = Server::new(config.clone(), secrets_a, store.clone()).unwrap();
        let mut b = Server::new(config, secrets_b, store).unwrap();
        assert_eq!(published(&a), published(&b));
        assert!(!file_a.rotate(&mut a, T0).unwrap());

        let later = T0.saturating_add(window);
        assert!(file_a.rotate(&mut a, later).unwrap());
        assert_ne!(published(&a), published(&b));
        assert!(file_b.rotate(&mut b, later).unwrap());
        assert_eq!(published(&a), published(&b));
        assert!(!file_a.rotate(&mut a, later).unwrap());
        // The file holds them too, and stays private.
        let on_disk = ServerSecrets::from_bytes(&fs::read(file_a.path()).unwrap()).unwrap();
        assert_eq!(
            Response::Keys(blindpost::wire::ServerKeys {
                certificate_issuers: on_disk.certificate_issuers.clone(),
                cold_call_tokens: on_disk.cold_call_keys.clone(),
                discovery_tokens: on_disk.discovery_keys.clone(),
                stamp_tokens: on_disk.stamp_keys.clone(),
            })
            .to_bytes(),
            published(&a)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(file_a.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
