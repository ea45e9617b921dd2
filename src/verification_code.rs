//! Stateless phone verification codes (SPEC.md section 9).
//!
//! The server derives the code for a phone number and time window from one secret, so it keeps
//! no state for a number until a wrong guess: `code = digits(HMAC-SHA256(secret,
//! vec8(DST) || u64(window) || vec8(phone)))`. A code is accepted in its own window and the
//! next one. Wrong guesses are counted by the host (its store, its keys) following the rule of
//! [`CodePolicy`]; this module provides the pure pieces.
//!
//! Guarantees: the secret is zeroized on drop and never printed; the comparison of a submitted
//! code with the expected ones is constant time and so is the derivation of the digits (no
//! division or table lookup on secret values).

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
/// Default number of wrong guesses allowed per code lifetime (see [`CodePolicy`]).
pub const DEFAULT_MAX_FAILURES: u32 = 5;

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
    /// The code does not match the current or the previous window's code.
    WrongCode,
    /// The phone number has used up its wrong guesses for now; the code was not checked.
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
                f.write_str("too many wrong verification codes for this phone number")
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

    /// The window `now` falls in: `floor(now / window_seconds)`. Wrong guesses at `now` are
    /// counted under this window (see [`CodePolicy`]).
    pub fn window(&self, now: Time) -> u64 {
        now.window(self.window_seconds)
    }

    /// The code for `phone` in `window`: the HMAC output read as a 256-bit big-endian integer
    /// h, and the code is `floor(h * 10^digits / 2^256)`, zero-padded (SPEC.md 9.1).
    pub fn derive(
        &self,
        secret: &CodeSecret,
        phone: &PhoneNumber,
        window: u64,
    ) -> VerificationCode {
        let mut mac = secret.mac();
        mac.update(&[const { crate::encoding::dst_len(CODE_DST) }]);
        mac.update(CODE_DST);
        mac.update(&window.to_be_bytes());
        let phone = phone.as_bytes();
        mac.update(&[u8::try_from(phone.len()).unwrap_or(u8::MAX)]);
        mac.update(phone);
        let mut h: [u8; 32] = mac.finalize().into_bytes().into();
        let value = scale_to_digits(&h, self.digits);
        h.zeroize();
        VerificationCode {
            digits: format_digits(value, self.digits),
            len: self.digits,
        }
    }

    /// Checks a submitted code at time `now`: it must equal the code of the current window or
    /// of the previous one. Both comparisons always run, in constant time.
    ///
    /// The caller first asks [`CodePolicy::allow_attempt`] and, on [`CodeError::WrongCode`],
    /// counts a failure under [`Self::window`]`(now)`.
    pub fn check(
        &self,
        secret: &CodeSecret,
        phone: &PhoneNumber,
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
        let window = self.window(now);
        let current = self.derive(secret, phone, window);
        let matches = match window.checked_sub(1) {
            Some(prev) => {
                current.ct_eq_bytes(submitted)
                    | self.derive(secret, phone, prev).ct_eq_bytes(submitted)
            }
            None => current.ct_eq_bytes(submitted),
        };
        if bool::from(matches) {
            Ok(())
        } else {
            Err(CodeError::WrongCode)
        }
    }
}

/// The rule for wrong guesses (SPEC.md 9.3).
///
/// The host keeps, per phone number, a counter of wrong guesses for each window `w`
/// ([`CodeConfig::window`] at the time of the guess). A code lives for two windows, so before
/// checking a code at `now` the host passes the sum of the counters of the current and the
/// previous window to [`Self::allow_attempt`]; once that sum reaches `max_failures`, no code is
/// checked (not even a right one) until the window ends. A code therefore faces at most
/// `max_failures` wrong guesses over its life, and counters older than two windows can be
/// dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodePolicy {
    max_failures: u32,
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self {
            max_failures: DEFAULT_MAX_FAILURES,
        }
    }
}

impl CodePolicy {
    /// A policy allowing `max_failures` wrong guesses per code lifetime (0 blocks every check).
    pub fn new(max_failures: u32) -> Self {
        Self { max_failures }
    }

    /// Wrong guesses allowed per code lifetime.
    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// Whether a code may be checked, given the wrong guesses counted in the current and the
    /// previous window together.
    pub fn allow_attempt(&self, failures_so_far: u32) -> Result<(), CodeError> {
        if failures_so_far < self.max_failures {
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
