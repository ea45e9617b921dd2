//! Phone verification codes bound to code sessions (SPEC.md section 9).

use crate::certificate::PhoneNumber;
use crate::error::{wrong_length, BlindpostError};
use crate::rng::with_os_rng;
use blindpost::verification_code as vc;
use blindpost::Time;
use std::sync::Arc;

/// The server's secret code key (32 bytes). Zeroized when the object is destroyed.
#[derive(uniffi::Object)]
pub struct CodeSecret {
    inner: vc::CodeSecret,
}

#[uniffi::export]
impl CodeSecret {
    /// A fresh secret from the operating system's randomness.
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>, BlindpostError> {
        let inner = with_os_rng(vc::CodeSecret::generate)?;
        Ok(Arc::new(Self { inner }))
    }

    /// Wraps exactly 32 bytes of secret.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        let array: [u8; vc::SECRET_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| wrong_length("verification_code.secret", vc::SECRET_LEN, bytes.len()))?;
        Ok(Arc::new(Self {
            inner: vc::CodeSecret::from_bytes(array),
        }))
    }

    /// The 32 bytes. The copy handed out is the caller's to protect.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.as_bytes().to_vec()
    }
}

/// How codes look and how long they live: 4 to 10 digits, a window length in seconds.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct CodeConfig {
    inner: vc::CodeConfig,
}

#[uniffi::export]
impl CodeConfig {
    /// Codes of `digits` digits (4 to 10) in windows of `window_seconds` (non-zero).
    #[uniffi::constructor]
    pub fn new(digits: u8, window_seconds: u64) -> Result<Arc<Self>, BlindpostError> {
        let inner = vc::CodeConfig::new(digits, window_seconds)?;
        Ok(Arc::new(Self { inner }))
    }

    /// The recommended configuration: 6 digits, 600-second windows.
    #[uniffi::constructor]
    pub fn recommended() -> Arc<Self> {
        Arc::new(Self {
            inner: vc::CodeConfig::default(),
        })
    }

    /// Digits per code.
    pub fn digits(&self) -> u8 {
        self.inner.digits()
    }

    /// Seconds per window.
    pub fn window_seconds(&self) -> u64 {
        self.inner.window_seconds()
    }

    /// The window number of time `now` (Unix seconds).
    pub fn window(&self, now: u64) -> u64 {
        let now = Time::from_unix_secs(now);
        self.inner.window(now)
    }

    /// The code for `phone` and the 32-byte code `session`, requested in window `window` (what
    /// the host sends by SMS).
    pub fn derive(
        &self,
        secret: &CodeSecret,
        phone: &PhoneNumber,
        window: u64,
        session: Vec<u8>,
    ) -> Result<String, BlindpostError> {
        let session = code_session(&session)?;
        Ok(self
            .inner
            .derive(&secret.inner, &phone.inner, window, &session)
            .as_str()
            .to_owned())
    }

    /// Checks a submitted code at `now` against the code of `session` requested in `window`:
    /// accepted in that window and the next; compared in constant time.
    pub fn check(
        &self,
        secret: &CodeSecret,
        phone: &PhoneNumber,
        session: Vec<u8>,
        window: u64,
        code: String,
        now: u64,
    ) -> Result<(), BlindpostError> {
        let session = code_session(&session)?;
        let now = Time::from_unix_secs(now);
        Ok(self
            .inner
            .check(&secret.inner, &phone.inner, &session, window, &code, now)?)
    }
}

/// A code session from exactly 32 bytes.
fn code_session(bytes: &[u8]) -> Result<vc::CodeSession, BlindpostError> {
    let array: [u8; vc::SESSION_LEN] = bytes
        .try_into()
        .map_err(|_| wrong_length("verification_code.session", vc::SESSION_LEN, bytes.len()))?;
    Ok(vc::CodeSession::from_bytes(array))
}

/// How many code checks, right or wrong, one code session may make (the server counts them).
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct CodePolicy {
    inner: vc::CodePolicy,
}

#[uniffi::export]
impl CodePolicy {
    /// A policy that refuses checks after `max_attempts` checks of a session.
    #[uniffi::constructor]
    pub fn new(max_attempts: u32) -> Arc<Self> {
        Arc::new(Self {
            inner: vc::CodePolicy::new(max_attempts),
        })
    }

    /// The recommended policy (5 checks per session).
    #[uniffi::constructor]
    pub fn recommended() -> Arc<Self> {
        Arc::new(Self {
            inner: vc::CodePolicy::default(),
        })
    }

    /// Checks allowed per code session.
    pub fn max_attempts(&self) -> u32 {
        self.inner.max_attempts()
    }

    /// Whether another check is allowed after `attempts_so_far` checks of the session; throws
    /// `Code` (`TooManyAttempts`) if not.
    pub fn allow_attempt(&self, attempts_so_far: u32) -> Result<(), BlindpostError> {
        Ok(self.inner.allow_attempt(attempts_so_far)?)
    }
}

/// The domain separation tag of code derivation (SPEC.md 9.1).
#[uniffi::export]
pub fn verification_code_dst() -> String {
    String::from_utf8_lossy(vc::CODE_DST).into_owned()
}
