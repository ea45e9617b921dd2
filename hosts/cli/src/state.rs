//! The state file of the client host (SPEC.md 17.5): the client's blob
//! ([`Client::to_bytes`]), the host's end-to-end state ([`E2eState`]: its HPKE key pair, Olm
//! account and sessions) and the app's data (settings, received messages, contacts' numbers,
//! looked-up certificates) in one file.
//!
//! - **Crash-safe**: every save writes a temporary file beside it, fsyncs it, renames it over
//!   the old one and fsyncs the directory, so a crash at any point leaves either the old state
//!   or the new one, whole. The runner saves in the order of SPEC.md 13.2 (events made durable
//!   in the app data and the client's state in one write, before any transmit or ack). The
//!   end-to-end state is in the same write, so the client's queued sealed payloads and the
//!   ratchet that sealed them never disagree: a payload sealed and saved is resent as it is,
//!   never sealed again, and a message opened is acknowledged only once its ratchet step is on
//!   disk.
//! - **One process**: a lock file (`<file>.lock`, an exclusive OS lock held while the
//!   [`StateFile`] lives) stops a second CLI from running on the same state; the lock goes
//!   away with the process, even when it is killed.
//! - **Secret**: the file holds the identity, group and host keys; it is created with mode
//!   0600 and is not encrypted: the operating system's file permissions (and disk encryption)
//!   protect it.
//!
//! Layout: `"blindpost-cli-state"`, `u8 version = 2`, `vec32 client blob`, `vec32 end-to-end
//! state` ([`E2eState::to_bytes`]), `vec32 app data (JSON)`, nothing after. Version 1 (a bare
//! X25519 secret in place of the end-to-end state, before the ratchet) is refused: nothing
//! was deployed with it.

use blindpost::client::Client;
use blindpost_e2e::E2eState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The magic bytes that start a state file.
const MAGIC: &[u8] = b"blindpost-cli-state";
/// The layout version.
const VERSION: u8 = 2;
/// The layout of the HPKE-only host (a bare X25519 secret), which this host no longer reads.
const VERSION_WITHOUT_RATCHET: u8 = 1;

/// Why the state file could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateFileError {
    /// Another process holds the lock on this state.
    Locked(PathBuf),
    /// No state file exists there (run `init` first).
    Missing(PathBuf),
    /// A state file exists already (init would overwrite an account).
    Exists(PathBuf),
    /// The file is not a state file of this version, or is damaged.
    Corrupt(String),
    /// A state file of the first layout, whose host sealed with HPKE alone (no ratchet).
    WithoutRatchet(PathBuf),
    /// The file system failed.
    Io(PathBuf, io::Error),
}

impl fmt::Display for StateFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Locked(p) => write!(
                f,
                "state: {} is in use by another blindpost process",
                p.display()
            ),
            Self::Missing(p) => write!(
                f,
                "state: {} does not exist (run `blindpost init` first)",
                p.display()
            ),
            Self::Exists(p) => write!(
                f,
                "state: {} exists already (it holds an account; remove it to start over)",
                p.display()
            ),
            Self::Corrupt(e) => write!(f, "state: the file is damaged: {e}"),
            Self::WithoutRatchet(p) => write!(
                f,
                "state: {} is of layout version 1 (HPKE sealing without a ratchet), which this \
                 blindpost no longer reads; remove it and run `blindpost init` again",
                p.display()
            ),
            Self::Io(p, e) => write!(f, "state: {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for StateFileError {}

/// Delays and behaviour of the host, chosen at `init` (the client takes its settings at
/// every start, so they live in the state file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSettings {
    /// Upper bound of the uniform delay before a reply's group-key fetch leaves (seconds).
    pub reply_delay: u64,
    /// Mean of the exponential delay of background work (seconds; the cap is 6 times it).
    pub background_delay: u64,
    /// Lower bound of the exponential delay before a cold call's token is released
    /// (seconds; mean twice, cap six times that).
    pub release_delay: u64,
    /// Send every queued request at once, whatever its time: defeats the schedule's
    /// protection against timing analysis (SPEC.md 13.6). For tests and local development.
    pub ignore_schedule: bool,
    /// Timeout of one HTTP request (seconds).
    pub timeout: u64,
}

impl Default for HostSettings {
    fn default() -> Self {
        Self {
            reply_delay: 30,
            background_delay: 3600,
            release_delay: 3600,
            ignore_schedule: false,
            timeout: 30,
        }
    }
}

/// A message received from a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    /// The sender's account id (hex).
    pub from: String,
    /// The sender's proven phone number, if known.
    pub phone: Option<String>,
    /// The text (lossily decoded as UTF-8).
    pub text: String,
    /// Whether it came with a cold call (an introduction from a stranger).
    pub cold_call: bool,
    /// When it was handed to the client (Unix seconds).
    pub received_at: u64,
    /// Whether `receive` has printed it.
    pub shown: bool,
}

/// What the app keeps beside the client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppData {
    /// The server's base URL.
    pub server: String,
    /// The SOCKS5 proxy for anonymous requests.
    pub socks: Option<SocketAddr>,
    /// A PEM root certificate to trust for the server, if any.
    pub root_certificate_pem: Option<String>,
    /// The host's settings.
    pub settings: HostSettings,
    /// Our phone number, once registration was asked for.
    pub phone: Option<String>,
    /// Messages received, oldest first.
    pub messages: Vec<ReceivedMessage>,
    /// Certificates found by lookups (hex), by phone number: whom `send` can cold-call.
    pub found: BTreeMap<String, String>,
    /// Things the user should be told (failures, sent confirmations), oldest first; printed
    /// and cleared by the next command.
    pub notices: Vec<String>,
    /// The highest delivery sequence number handed to the client (acknowledged or about to
    /// be): a delivery fetched again after a crash is handed over again, which the client
    /// ignores (SPEC.md 13.4).
    pub delivered_up_to: Option<u64>,
}

/// Everything a state file holds.
pub struct Contents {
    /// The client's state blob.
    pub client: Zeroizing<Vec<u8>>,
    /// The host's end-to-end state.
    pub e2e: E2eState,
    /// The app's data.
    pub app: AppData,
}

/// An open, locked state file.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// Held for the life of the value: the OS releases it when the process ends.
    _lock: File,
}

impl StateFile {
    /// Locks the state at `path` for this process (it need not exist yet).
    pub fn lock(path: &Path) -> Result<Self, StateFileError> {
        let lock_path = sibling(path, ".lock");
        let lock = open_private(&lock_path, false).map_err(|e| StateFileError::Io(lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StateFileError::Locked(path.into())),
            Err(TryLockError::Error(e)) => return Err(StateFileError::Io(path.into(), e)),
        }
        Ok(Self {
            path: path.into(),
            _lock: lock,
        })
    }

    /// The path of the state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the state file exists.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Reads and decodes the state.
    pub fn load(&self) -> Result<Contents, StateFileError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StateFileError::Missing(self.path.clone()))
            }
            Err(e) => return Err(StateFileError::Io(self.path.clone(), e)),
        };
        decode(&bytes).map_err(|e| match e {
            StateFileError::WithoutRatchet(_) => StateFileError::WithoutRatchet(self.path.clone()),
            e => e,
        })
    }

    /// Writes `client`, `e2e` and `app` crash-safely: temporary file, fsync, rename over
    /// the state, fsync of the directory.
    pub fn save(
        &self,
        client: &Client,
        e2e: &E2eState,
        app: &AppData,
    ) -> Result<(), StateFileError> {
        let blob = client
            .to_bytes()
            .map_err(|e| StateFileError::Corrupt(format!("the client cannot be stored: {e}")))?;
        let bytes = encode(&blob, e2e, app)?;
        self.write_atomically(&bytes)
    }

    /// The crash-safe write of `bytes` over the state file.
    pub fn write_atomically(&self, bytes: &[u8]) -> Result<(), StateFileError> {
        let temp = sibling(&self.path, ".tmp");
        let io = |e| StateFileError::Io(temp.clone(), e);
        // A temporary file left by a crash is replaced, not reused: it is created afresh with
        // mode 0600 whatever the old one had.
        match std::fs::remove_file(&temp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        {
            let mut file = open_private(&temp, true).map_err(io)?;
            file.write_all(bytes).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&temp, &self.path).map_err(|e| StateFileError::Io(self.path.clone(), e))?;
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StateFileError::Io(dir, e))
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Opens (creating) a file only its owner can read and write; `truncate` empties it.
fn open_private(path: &Path, truncate: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(true)
        .truncate(truncate);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// The file's bytes for `client` (a blob), `e2e` and `app`.
pub fn encode(
    client: &[u8],
    e2e: &E2eState,
    app: &AppData,
) -> Result<Zeroizing<Vec<u8>>, StateFileError> {
    let app = serde_json::to_vec(app).map_err(|e| StateFileError::Corrupt(e.to_string()))?;
    let mut out = Zeroizing::new(Vec::new());
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    push_vec32(&mut out, client)?;
    push_vec32(&mut out, &e2e.to_bytes())?;
    push_vec32(&mut out, &app)?;
    Ok(out)
}

fn push_vec32(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), StateFileError> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| StateFileError::Corrupt("a field over 4 GiB".into()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// Decodes a state file's bytes (the client blob is checked when the client is restored). A
/// file of layout version 1 is [`StateFileError::WithoutRatchet`] (with an empty path; the
/// [`StateFile`] names its own).
pub fn decode(bytes: &[u8]) -> Result<Contents, StateFileError> {
    let corrupt = |what: &str| StateFileError::Corrupt(what.to_string());
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| corrupt("not a blindpost state file"))?;
    let (&version, mut rest) = rest.split_first().ok_or_else(|| corrupt("cut short"))?;
    if version == VERSION_WITHOUT_RATCHET {
        return Err(StateFileError::WithoutRatchet(PathBuf::new()));
    }
    if version != VERSION {
        return Err(StateFileError::Corrupt(format!(
            "layout version {version}, this blindpost reads {VERSION}"
        )));
    }
    let client = Zeroizing::new(take_vec32(&mut rest)?.to_vec());
    let e2e = E2eState::from_bytes(take_vec32(&mut rest)?)
        .map_err(|e| StateFileError::Corrupt(format!("end-to-end state: {e}")))?;
    let app = take_vec32(&mut rest)?;
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    let app = serde_json::from_slice(app)
        .map_err(|e| StateFileError::Corrupt(format!("app data: {e}")))?;
    Ok(Contents { client, e2e, app })
}

fn take_vec32<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], StateFileError> {
    let cut = || StateFileError::Corrupt("cut short".into());
    if rest.len() < 4 {
        return Err(cut());
    }
    let (len, tail) = rest.split_at(4);
    let mut len_bytes = [0u8; 4];
    len_bytes.copy_from_slice(len);
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| cut())?;
    if tail.len() < len {
        return Err(cut());
    }
    let (field, tail) = tail.split_at(len);
    *rest = tail;
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use blindpost::vector_rng::VectorRng;

    fn sample() -> (Vec<u8>, E2eState, AppData) {
        let secret = E2eState::generate(&mut VectorRng::new(b"state"), [7; 32]);
        let app = AppData {
            server: "http://127.0.0.1:1".into(),
            phone: Some("+15550001".into()),
            ..AppData::default()
        };
        (b"client blob".to_vec(), secret, app)
    }

    #[test]
    fn contents_round_trip_and_damage_is_refused() {
        let (client, secret, app) = sample();
        let bytes = encode(&client, &secret, &app).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.client.as_slice(), client.as_slice());
        assert_eq!(back.e2e.host_key(), secret.host_key());
        assert_eq!(back.e2e.to_bytes(), secret.to_bytes());
        assert_eq!(back.app, app);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = bytes.to_vec();
        trailing.push(0);
        assert!(decode(&trailing).is_err());
        let mut version = bytes.to_vec();
        version[MAGIC.len()] = 3;
        assert!(matches!(decode(&version), Err(StateFileError::Corrupt(_))));
    }

    #[test]
    fn a_file_of_the_first_layout_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.state");
        // Magic, version 1, an empty client blob, a 32-byte secret, empty app data.
        let mut old = MAGIC.to_vec();
        old.push(1);
        old.extend_from_slice(&[0; 4]);
        old.extend_from_slice(&[9; 32]);
        old.extend_from_slice(&[0; 4]);
        std::fs::write(&path, &old).unwrap();
        let error = StateFile::lock(&path).unwrap().load().err().unwrap();
        assert!(matches!(&error, StateFileError::WithoutRatchet(p) if p == &path));
        let message = error.to_string();
        assert!(message.contains("layout version 1"), "{message}");
        assert!(message.contains("blindpost init"), "{message}");
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.state");
        let first = StateFile::lock(&path).unwrap();
        assert!(matches!(
            StateFile::lock(&path),
            Err(StateFileError::Locked(_))
        ));
        assert!(matches!(first.load(), Err(StateFileError::Missing(_))));
        drop(first);
        StateFile::lock(&path).unwrap();
    }

    #[test]
    fn writes_replace_the_file_whole_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.state");
        let file = StateFile::lock(&path).unwrap();
        let (client, secret, mut app) = sample();
        file.write_atomically(&encode(&client, &secret, &app).unwrap())
            .unwrap();
        // A crash after the temporary file was written but before the rename: the old state
        // is still what loads.
        app.phone = Some("+15550002".into());
        let newer = encode(&client, &secret, &app).unwrap();
        std::fs::write(sibling(&path, ".tmp"), &newer[..10]).unwrap();
        assert_eq!(file.load().unwrap().app.phone.as_deref(), Some("+15550001"));
        file.write_atomically(&newer).unwrap();
        assert_eq!(file.load().unwrap().app.phone.as_deref(), Some("+15550002"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
