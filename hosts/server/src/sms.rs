//! Where verification codes go: the server hands each `Output::SendCode` to an [`SmsSender`].

use blindpost::certificate::PhoneNumber;
use blindpost::verification_code::VerificationCode;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// Sends a verification code to a phone number. Called from a blocking thread, once per code,
/// before the response to the code request is sent.
pub trait SmsSender: Send + Sync {
    /// Sends `code` to `phone`; an error fails the request with status 500.
    fn send(&self, phone: &PhoneNumber, code: &VerificationCode) -> std::io::Result<()>;
}

/// Writes each code to the server's log at `info` level (development only: the log then holds
/// codes).
#[derive(Debug, Default)]
pub struct LogSender;

impl SmsSender for LogSender {
    fn send(&self, phone: &PhoneNumber, code: &VerificationCode) -> std::io::Result<()> {
        tracing::info!(
            phone = phone.as_str(),
            code = code.as_str(),
            "verification code"
        );
        Ok(())
    }
}

/// Appends each code to a file as a line `<phone> <code>\n` (development and tests read it).
#[derive(Debug)]
pub struct FileSender {
    path: PathBuf,
    // One line per write, whole: concurrent requests must not interleave their lines.
    lock: Mutex<()>,
}

impl FileSender {
    /// A sender appending to `path` (created on first use).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }
}

impl SmsSender for FileSender {
    fn send(&self, phone: &PhoneNumber, code: &VerificationCode) -> std::io::Result<()> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(format!("{} {}\n", phone.as_str(), code.as_str()).as_bytes())?;
        file.sync_data()
    }
}
