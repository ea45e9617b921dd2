//! Phone numbers in E.164 form (SPEC.md section 8.1).

use crate::encoding::{DecodeError, Reader};
use alloc::string::String;
use core::fmt;

/// The most digits an E.164 number has.
pub const MAX_DIGITS: usize = 15;
/// The longest encoded phone number: `'+'` and [`MAX_DIGITS`] digits.
pub const MAX_LEN: usize = MAX_DIGITS + 1;

/// Why a string is not an E.164 phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneNumberError {
    /// The string does not start with `'+'`.
    MissingPlus,
    /// There are no digits after the `'+'`.
    NoDigits,
    /// More than [`MAX_DIGITS`] digits.
    TooLong {
        /// The number of characters after the `'+'`.
        digits: usize,
    },
    /// A character after the `'+'` is not an ASCII digit.
    NotADigit {
        /// Byte offset of the character in the input.
        position: usize,
    },
    /// The first digit (the start of the country code) is `0`.
    LeadingZero,
}

impl fmt::Display for PhoneNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("phone number is not E.164: ")?;
        match self {
            Self::MissingPlus => f.write_str("it must start with '+'"),
            Self::NoDigits => f.write_str("no digits after '+'"),
            Self::TooLong { digits } => {
                write!(f, "{digits} digits, at most {MAX_DIGITS} allowed")
            }
            Self::NotADigit { position } => write!(f, "byte {position} is not a digit"),
            Self::LeadingZero => f.write_str("the country code cannot start with 0"),
        }
    }
}

impl core::error::Error for PhoneNumberError {}

/// Why the bytes of an encoded phone number are not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EncodedError {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// The text is not E.164.
    Invalid(PhoneNumberError),
}

/// Why reading `vec8 phone` failed: the framing, or the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The length prefix or the bytes were malformed.
    Decode(DecodeError),
    /// The bytes are not a phone number.
    Encoded(EncodedError),
}

/// Reads `vec8 phone` (at most [`MAX_LEN`] bytes): the one decoder of encoded phone numbers
/// (certificates, wire messages, the client state and the server's records all call it).
pub(crate) fn read(r: &mut Reader<'_>, field: &'static str) -> Result<PhoneNumber, ReadError> {
    let bytes = r.vec8(field, MAX_LEN).map_err(ReadError::Decode)?;
    PhoneNumber::from_encoded(bytes).map_err(ReadError::Encoded)
}

/// A phone number in E.164 form: `'+'` then 1 to 15 ASCII digits, the first one 1-9.
///
/// Only the form is checked (no country-code table); the canonical form is the only form, so
/// two equal numbers have equal bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses and validates `s` (no spaces or separators are accepted).
    pub fn parse(s: &str) -> Result<Self, PhoneNumberError> {
        Self::validate(s.as_bytes())?;
        Ok(Self(String::from(s)))
    }

    /// Decodes the encoded form (the ASCII bytes of [`Self::as_str`]): UTF-8 first, then the
    /// rules of [`Self::parse`]. Every decoder of the crate goes through [`read`].
    fn from_encoded(bytes: &[u8]) -> Result<Self, EncodedError> {
        let text = core::str::from_utf8(bytes).map_err(|_| EncodedError::NotUtf8)?;
        Self::parse(text).map_err(EncodedError::Invalid)
    }

    fn validate(bytes: &[u8]) -> Result<(), PhoneNumberError> {
        let Some((&b'+', digits)) = bytes.split_first() else {
            return Err(PhoneNumberError::MissingPlus);
        };
        let Some(&first) = digits.first() else {
            return Err(PhoneNumberError::NoDigits);
        };
        if digits.len() > MAX_DIGITS {
            return Err(PhoneNumberError::TooLong {
                digits: digits.len(),
            });
        }
        if let Some(i) = digits.iter().position(|b| !b.is_ascii_digit()) {
            return Err(PhoneNumberError::NotADigit {
                position: i.saturating_add(1),
            });
        }
        if first == b'0' {
            return Err(PhoneNumberError::LeadingZero);
        }
        Ok(())
    }

    /// The number as text, for example `"+14155550100"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The encoded form: the ASCII bytes of [`Self::as_str`] (1 + 1..=15 bytes).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.0)
    }
}

impl core::str::FromStr for PhoneNumber {
    type Err = PhoneNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_e164_and_rejects_the_rest() {
        assert_eq!(PhoneNumber::parse("+1").unwrap().as_str(), "+1");
        assert!(PhoneNumber::parse("+123456789012345").is_ok());
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(PhoneNumberError::TooLong { digits: 16 })
        );
        assert_eq!(
            PhoneNumber::parse("14155550100"),
            Err(PhoneNumberError::MissingPlus)
        );
        assert_eq!(PhoneNumber::parse(""), Err(PhoneNumberError::MissingPlus));
        assert_eq!(PhoneNumber::parse("+"), Err(PhoneNumberError::NoDigits));
        assert_eq!(
            PhoneNumber::parse("+0123"),
            Err(PhoneNumberError::LeadingZero)
        );
        assert_eq!(
            PhoneNumber::parse("+1 415"),
            Err(PhoneNumberError::NotADigit { position: 2 })
        );
        assert_eq!(
            PhoneNumber::parse("+1٣"),
            Err(PhoneNumberError::NotADigit { position: 2 })
        );
    }
}
