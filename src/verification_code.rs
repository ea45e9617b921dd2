//! Phone verification codes bound to a code session (SPEC.md section 9).
//!
//! A client asking for a code draws a random [`CodeSession`] and keeps it; the server derives
//! the code from one secret, the window of the request, the phone number and the session:
//! `code = digits(HMAC-SHA256(secret, vec8(DST) || u64(window) || vec8(phone) || session))`.
//! A code is good from its request to the end of the next window, and only together with its
//! session, so wrong guesses are counted per session and exhaust only the guesser's own
//! attempts ([`CodePolicy`]). The server keeps the session records; this module provides the
//! pure pieces.
//!
//! Guarantees: the secret and the sessions are zeroized on drop and never printed; the
//! comparison of a submitted code with the expected one is constant time and so is the
//! derivation of the digits (no division or table lookup on secret values).

use crate::certificate::PhoneNumber;
use crate::Time;
use core::fmt;
use hmac::{Hmac, Mac};
use rand_core::CryptoRng;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// DST of the HMAC input.
pub const CODE_DST: &[u8] = b"blindpost/v1/verification-code";
/// Length of the server secret.
pub const SECRET_LEN: usize = 32;
/// Fewest digits a code may have.
pub const MIN_DIGITS: u8 = 4;
/// Most digits a code may have.
pub const MAX_DIGITS: u8 = 10;
/// Default number of digits.
pub const DEFAULT_DIGITS: u8 = 6;
/// Default window length in seconds.
pub const DEFAULT_WINDOW_SECONDS: u64 = 600;
/// Default number of code checks allowed per code session (see [`CodePolicy`]).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Length of a code session.
pub const SESSION_LEN: usize = 32;

/// Why a code configuration or a code check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeError {
    /// The number of digits is outside `MIN_DIGITS..=MAX_DIGITS`.
    InvalidDigits {
        /// The number given.
        digits: u8,
    },
    /// The window length is zero.
    ZeroWindow,
    /// The submitted code has the wrong number of characters.
    WrongLength {
        /// Characters expected.
        expected: u8,
        /// Bytes submitted.
        found: usize,
    },
    /// The submitted code contains something other than ASCII digits.
    NotDigits,
    /// The code does not match the session's code, or the session's code has expired.
    WrongCode,
    /// The code session has used up its checks; the code was not checked.
    TooManyAttempts,
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidDigits { digits } => write!(
                f,
                "verification code length {digits} is outside {MIN_DIGITS}..={MAX_DIGITS}"
            ),
            Self::ZeroWindow => f.write_str("verification code window length is zero"),
            Self::WrongLength { expected, found } => write!(
                f,
                "verification code has {found} bytes, {expected} digits expected"
            ),
            Self::NotDigits => f.write_str("verification code contains a non-digit"),
            Self::WrongCode => f.write_str("verification code is wrong or expired"),
            Self::TooManyAttempts => {
                f.write_str("too many verification code checks for this code session")
            }
        }
    }
}

impl core::error::Error for CodeError {}

/// The server's code secret (32 bytes). Zeroized on drop; `Debug` prints no key material.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct CodeSecret([u8; SECRET_LEN]);

impl CodeSecret {
    /// Wraps 32 secret bytes.
    pub fn from_bytes(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh secret from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut s = Self([0u8; SECRET_LEN]);
        rng.fill_bytes(&mut s.0);
        s
    }

    /// The secret bytes (for the server's key storage).
    pub fn as_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC zero-pads a key shorter than the 64-byte block, so keying with the padded
        // block is the same function, and this constructor cannot fail.
        let mut block = zeroize::Zeroizing::new([0u8; 64]);
        if let Some(head) = block.get_mut(..SECRET_LEN) {
            head.copy_from_slice(&self.0);
        }
        <Hmac<Sha256> as hmac::digest::KeyInit>::new(&(*block).into())
    }
}

impl fmt::Debug for CodeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeSecret(<redacted>)")
    }
}

/// A code session: 32 random bytes the client draws when it asks for a code, keeps, and sends
/// (to the server only) with the request and with its registration. Zeroized on drop; `Debug`
/// is redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CodeSession([u8; SESSION_LEN]);

impl CodeSession {
    /// Wraps 32 bytes (drawn by a cryptographic generator).
    pub fn from_bytes(bytes: [u8; SESSION_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh session from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut s = Self([0u8; SESSION_LEN]);
        rng.fill_bytes(&mut s.0);
        s
    }

    /// The session bytes (for the wire and the server's store keys).
    pub fn as_bytes(&self) -> &[u8; SESSION_LEN] {
        &self.0
    }
}

impl fmt::Debug for CodeSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeSession(<redacted>)")
    }
}

/// A derived code: `digits` ASCII decimal digits. Zeroized on drop; `Debug` is redacted,
/// [`Self::as_str`] gives the digits to send by SMS.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct VerificationCode {
    digits: [u8; MAX_DIGITS as usize],
    len: u8,
}

impl VerificationCode {
    /// The digits, for example `"042917"`.
    pub fn as_str(&self) -> &str {
        let bytes = self
            .digits
            .get(..usize::from(self.len))
            .unwrap_or(&self.digits);
        core::str::from_utf8(bytes).unwrap_or("")
    }

    /// Constant-time comparison with a submitted code of the right length (`false` for any
    /// other length).
    fn ct_eq_bytes(&self, submitted: &[u8]) -> Choice {
        let mine = self
            .digits
            .get(..usize::from(self.len))
            .unwrap_or(&self.digits);
        mine.ct_eq(submitted)
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationCode(<redacted>)")
    }
}

/// Code length and window length. Default: 6 digits, 600-second windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeConfig {
    digits: u8,
    window_seconds: u64,
}

impl Default for CodeConfig {
    fn default() -> Self {
        Self {
            digits: DEFAULT_DIGITS,
            window_seconds: DEFAULT_WINDOW_SECONDS,
        }
    }
}

impl CodeConfig {
    /// A configuration with `digits` in `4..=10` and a non-zero window length in seconds.
    pub fn new(digits: u8, window_seconds: u64) -> Result<Self, CodeError> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            return Err(CodeError::InvalidDigits { digits });
        }
        if window_seconds == 0 {
            return Err(CodeError::ZeroWindow);
        }
        Ok(Self {
            digits,
            window_seconds,
        })
    }

    /// Number of digits of a code.
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// Window length in seconds.
    pub fn window_seconds(&self) -> u64 {
        self.window_seconds
    }

    /// The window `now` falls in: `floor(now / window_seconds)`. A code requested at `now` is
    /// derived for this window.
    pub fn window(&self, now: Time) -> u64 {
        now.window(self.window_seconds)
    }

    /// The code for `phone` and `session`, requested in `window`: the HMAC output read as a
    /// 256-bit big-endian integer h, and the code is `floor(h * 10^digits / 2^256)`,
    /// zero-padded (SPEC.md 9.1).
    pub fn derive(
        &self,
        secret: &CodeSecret,
        phone: &PhoneNumber,
        window: u64,
        session: &CodeSession,
    ) -> VerificationCode {
        let mut mac = secret.mac();
        mac.update(&[const { crate::encoding::dst_len(CODE_DST) }]);
        mac.update(CODE_DST);
        mac.update(&window.to_be_bytes());
        let phone = phone.as_bytes();
        mac.update(&[u8::try_from(phone.len()).unwrap_or(u8::MAX)]);
        mac.update(phone);
        mac.update(session.as_bytes());
        let mut h: [u8; 32] = mac.finalize().into_bytes().into();
        let value = scale_to_digits(&h, self.digits);
        h.zeroize();
        VerificationCode {
            digits: format_digits(value, self.digits),
            len: self.digits,
        }
    }

    /// Checks a submitted code at time `now` against the code of `session`, requested in
    /// `window`: the code must be that one, and `now` must fall in `window` or the next one
    /// (SPEC.md 9.2). The comparison is constant time.
    ///
    /// The caller first reserves the check with [`CodePolicy`] (every check counts, right or
    /// wrong).
    pub fn check(
        &self,
        secret: &CodeSecret,
        phone: &PhoneNumber,
        session: &CodeSession,
        window: u64,
        code: &str,
        now: Time,
    ) -> Result<(), CodeError> {
        let submitted = code.as_bytes();
        if submitted.len() != usize::from(self.digits) {
            return Err(CodeError::WrongLength {
                expected: self.digits,
                found: submitted.len(),
            });
        }
        if !submitted.iter().all(u8::is_ascii_digit) {
            return Err(CodeError::NotDigits);
        }
        let matches = self
            .derive(secret, phone, window, session)
            .ct_eq_bytes(submitted);
        let current = self.window(now);
        let live = window <= current && current <= window.saturating_add(1);
        if bool::from(matches) && live {
            Ok(())
        } else {
            Err(CodeError::WrongCode)
        }
    }
}

/// The rule for code checks (SPEC.md 9.3): at most `max_attempts` checks per code session,
/// right or wrong.
///
/// The host reserves each check atomically before making it (a bounded counter per phone
/// number and session), so no concurrency lets more checks through; a session's code thus
/// faces at most `max_attempts` guesses. Checks against one session never touch another
/// session's, so a guesser without the owner's session cannot use up the owner's checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodePolicy {
    max_attempts: u32,
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl CodePolicy {
    /// A policy allowing `max_attempts` code checks per session (0 blocks every check).
    pub fn new(max_attempts: u32) -> Self {
        Self { max_attempts }
    }

    /// Code checks allowed per session.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether one more code may be checked, given the checks of the session so far.
    pub fn allow_attempt(&self, attempts_so_far: u32) -> Result<(), CodeError> {
        if attempts_so_far < self.max_attempts {
            Ok(())
        } else {
            Err(CodeError::TooManyAttempts)
        }
    }
}

/// `floor(h * 10^digits / 2^256)` for the 256-bit big-endian `h`: the high part of a
/// 256 x 34-bit product, computed limb by limb with multiplications only (constant time).
fn scale_to_digits(h: &[u8; 32], digits: u8) -> u64 {
    let m = u128::from(
        10u64
            .checked_pow(u32::from(digits.min(MAX_DIGITS)))
            .unwrap_or(0),
    );
    let mut carry: u128 = 0;
    // Least significant limb first.
    for chunk in h.rchunks_exact(8) {
        let mut limb = [0u8; 8];
        limb.copy_from_slice(chunk);
        let t = u128::from(u64::from_be_bytes(limb))
            .wrapping_mul(m)
            .wrapping_add(carry);
        carry = t >> 64;
    }
    // carry < m <= 10^10, so it fits in u64.
    u64::try_from(carry).unwrap_or(0)
}

/// The `digits` decimal digits of `value` (< 10^digits), zero-padded, as ASCII. Division by
/// the constant 10 compiles to a multiplication, so this is constant time too.
fn format_digits(mut value: u64, digits: u8) -> [u8; MAX_DIGITS as usize] {
    let mut out = [b'0'; MAX_DIGITS as usize];
    let len = usize::from(digits.min(MAX_DIGITS));
    for slot in out.iter_mut().take(len).rev() {
        *slot = b'0'.wrapping_add((value % 10) as u8);
        value /= 10;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_big_integer_arithmetic() {
        // h = 2^256 - 1 gives 10^d - 1; h = 2^255 gives 10^d / 2.
        assert_eq!(scale_to_digits(&[0xff; 32], 6), 999_999);
        let mut half = [0u8; 32];
        half[0] = 0x80;
        assert_eq!(scale_to_digits(&half, 6), 500_000);
        assert_eq!(scale_to_digits(&half, 10), 5_000_000_000);
        assert_eq!(scale_to_digits(&[0u8; 32], 4), 0);
        // h = 2^192 * 3: (3 * 10^4) >> 64 = 0; h = 2^250: 10^4 / 64 = 156.
        let mut x = [0u8; 32];
        x[0] = 0x04;
        assert_eq!(scale_to_digits(&x, 4), 156);
    }

    #[test]
    fn digits_are_zero_padded() {
        assert_eq!(&format_digits(42, 6)[..6], b"000042");
        assert_eq!(&format_digits(9_999_999_999, 10), b"9999999999");
    }
}
