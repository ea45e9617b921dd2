//! The one error type of the bindings and its conversions from the core's errors.
//!
//! Every core error enum converts with `From`, variant by variant, so that each failure reason
//! stays its own exception class in Kotlin, its own case in Swift and its own exception class in
//! Python. Every variant carries `reason`, the core's `Display` message, and the typed fields
//! a caller may act on.

use blindpost::bls::BlsError;
use blindpost::certificate::{CertificateError, PhoneNumberError};
use blindpost::verification_code::CodeError;
use blindpost::{DecodeError, DecodeErrorKind as CoreKind};

/// Why a call into blindpost failed. Kotlin: `BlindpostException.<Variant>`; Swift:
/// `BlindpostError.<variant>`; Python: `BlindpostError.<Variant>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum BlindpostError {
    /// Bytes are not a valid encoding: `field` names the field (as in SPEC.md and the test
    /// vectors), `kind` says what was wrong with it.
    #[error("{reason}")]
    Malformed {
        /// The message.
        reason: String,
        /// The field that failed, for example `certificate.identity_key`.
        field: String,
        /// What was wrong with it.
        kind: DecodeErrorKind,
    },
    /// A caller asked for more than the bindings hand out in one call.
    #[error("{reason}")]
    RequestTooLarge {
        /// The message.
        reason: String,
        /// The amount asked for.
        requested: u64,
        /// The largest amount allowed.
        max: u64,
    },
    /// The operating system's random number generator failed.
    #[error("{reason}")]
    Randomness {
        /// The message.
        reason: String,
    },
    /// BLS KeyGen was given fewer than 32 bytes of input keying material.
    #[error("{reason}")]
    IkmTooShort {
        /// The message.
        reason: String,
        /// The length given.
        length: u64,
    },
    /// A BLS signature does not verify for this public key and message.
    #[error("{reason}")]
    InvalidSignature {
        /// The message.
        reason: String,
    },
    /// A BLS proof of possession does not verify for this public key.
    #[error("{reason}")]
    InvalidProofOfPossession {
        /// The message.
        reason: String,
    },
    /// A phone number is not in E.164 form (`+` and 1 to 15 digits, no leading 0).
    #[error("{reason}")]
    InvalidPhoneNumber {
        /// The message, naming what is wrong.
        reason: String,
    },
    /// A certificate names an issuer key that is not in the key set.
    #[error("{reason}")]
    UnknownIssuer {
        /// The message.
        reason: String,
        /// The 8-byte key id the certificate names.
        key_id: Vec<u8>,
    },
    /// A certificate's issuer signature does not verify.
    #[error("{reason}")]
    BadCertificateSignature {
        /// The message.
        reason: String,
    },
    /// `now` is after the end of a certificate's validity (or its issuer key's).
    #[error("{reason}")]
    Expired {
        /// The message.
        reason: String,
        /// The last second of validity.
        not_after: u64,
        /// The time given.
        now: u64,
    },
    /// `now` is before the start of a certificate's validity (or its issuer key's).
    #[error("{reason}")]
    NotYetValid {
        /// The message.
        reason: String,
        /// The first second of validity.
        not_before: u64,
        /// The time given.
        now: u64,
    },
    /// A certificate is for another phone number than the one expected.
    #[error("{reason}")]
    WrongPhoneNumber {
        /// The message.
        reason: String,
    },
    /// A validity interval ends before it starts.
    #[error("{reason}")]
    InvalidValidity {
        /// The message.
        reason: String,
        /// The start given.
        not_before: u64,
        /// The end given.
        not_after: u64,
    },
    /// An issuer was asked for a certificate valid outside its own key's validity.
    #[error("{reason}")]
    ValidityOutsideIssuerKey {
        /// The message.
        reason: String,
    },
    /// A host key was empty (pass no host key instead).
    #[error("{reason}")]
    EmptyHostKey {
        /// The message.
        reason: String,
    },
    /// A host key was longer than 64 bytes.
    #[error("{reason}")]
    HostKeyTooLong {
        /// The message.
        reason: String,
        /// The length given.
        length: u64,
    },
    /// An issuer key set was built from no keys.
    #[error("{reason}")]
    EmptyKeySet {
        /// The message.
        reason: String,
    },
    /// An issuer key set was built from more than 16 keys.
    #[error("{reason}")]
    TooManyIssuerKeys {
        /// The message.
        reason: String,
        /// The number given.
        count: u64,
    },
    /// An issuer key set was given the same key twice.
    #[error("{reason}")]
    DuplicateIssuerKey {
        /// The message.
        reason: String,
        /// The repeated key's 8-byte id.
        key_id: Vec<u8>,
    },
    /// A verification code length outside 4..=10 digits.
    #[error("{reason}")]
    InvalidCodeDigits {
        /// The message.
        reason: String,
        /// The number of digits given.
        digits: u8,
    },
    /// A verification code window of zero seconds.
    #[error("{reason}")]
    ZeroCodeWindow {
        /// The message.
        reason: String,
    },
    /// A submitted verification code has the wrong length.
    #[error("{reason}")]
    WrongCodeLength {
        /// The message.
        reason: String,
        /// The number of digits expected.
        expected: u8,
        /// The number of bytes submitted.
        found: u64,
    },
    /// A submitted verification code contains something other than ASCII digits.
    #[error("{reason}")]
    CodeNotDigits {
        /// The message.
        reason: String,
    },
    /// A submitted verification code is wrong or expired.
    #[error("{reason}")]
    WrongCode {
        /// The message.
        reason: String,
    },
    /// Too many wrong verification codes were submitted for a phone number.
    #[error("{reason}")]
    TooManyAttempts {
        /// The message.
        reason: String,
    },
}

/// What was wrong with a field that failed to decode (the `kind` of the test vectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecodeErrorKind {
    /// The input ended before the field was complete.
    Truncated,
    /// Bytes were left over after the last field.
    TrailingBytes,
    /// The version byte names a format this library does not know.
    UnknownVersion,
    /// A scalar was not below the group order.
    NonCanonicalScalar,
    /// A scalar that must be non-zero was zero.
    ZeroScalar,
    /// A point encoding was not canonical or not on the curve.
    InvalidPoint,
    /// A point was on the curve but outside the prime-order subgroup.
    NotInSubgroup,
    /// A point was the identity.
    IdentityPoint,
    /// A length exceeded the limit for the field.
    TooLong,
    /// A field's value is outside the values the format allows.
    InvalidValue,
}

impl From<CoreKind> for DecodeErrorKind {
    fn from(kind: CoreKind) -> Self {
        match kind {
            CoreKind::Truncated { .. } => Self::Truncated,
            CoreKind::TrailingBytes { .. } => Self::TrailingBytes,
            CoreKind::UnknownVersion { .. } => Self::UnknownVersion,
            CoreKind::NonCanonicalScalar => Self::NonCanonicalScalar,
            CoreKind::ZeroScalar => Self::ZeroScalar,
            CoreKind::InvalidPoint => Self::InvalidPoint,
            CoreKind::NotInSubgroup => Self::NotInSubgroup,
            CoreKind::IdentityPoint => Self::IdentityPoint,
            CoreKind::TooLong { .. } => Self::TooLong,
            CoreKind::InvalidValue => Self::InvalidValue,
        }
    }
}

/// Widens a length or count for the FFI (lengths here are far below 2^64).
pub(crate) fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl From<DecodeError> for BlindpostError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed {
            reason: e.to_string(),
            field: e.field.to_owned(),
            kind: e.kind.into(),
        }
    }
}

impl From<BlsError> for BlindpostError {
    fn from(e: BlsError) -> Self {
        let reason = e.to_string();
        match e {
            BlsError::Decode(d) => d.into(),
            BlsError::IkmTooShort { length } => Self::IkmTooShort {
                reason,
                length: wide(length),
            },
            BlsError::InvalidSignature => Self::InvalidSignature { reason },
            BlsError::InvalidProofOfPossession => Self::InvalidProofOfPossession { reason },
        }
    }
}

impl From<PhoneNumberError> for BlindpostError {
    fn from(e: PhoneNumberError) -> Self {
        Self::InvalidPhoneNumber {
            reason: e.to_string(),
        }
    }
}

impl From<CertificateError> for BlindpostError {
    fn from(e: CertificateError) -> Self {
        let reason = e.to_string();
        match e {
            CertificateError::Malformed(d) => d.into(),
            CertificateError::UnknownIssuer { key_id } => Self::UnknownIssuer {
                reason,
                key_id: key_id.to_bytes().to_vec(),
            },
            CertificateError::BadSignature => Self::BadCertificateSignature { reason },
            CertificateError::Expired { not_after, now } => Self::Expired {
                reason,
                not_after,
                now,
            },
            CertificateError::NotYetValid { not_before, now } => Self::NotYetValid {
                reason,
                not_before,
                now,
            },
            CertificateError::WrongPhoneNumber => Self::WrongPhoneNumber { reason },
            CertificateError::InvalidValidity {
                not_before,
                not_after,
            } => Self::InvalidValidity {
                reason,
                not_before,
                not_after,
            },
            CertificateError::ValidityOutsideIssuerKey => Self::ValidityOutsideIssuerKey { reason },
            CertificateError::EmptyHostKey => Self::EmptyHostKey { reason },
            CertificateError::HostKeyTooLong { length } => Self::HostKeyTooLong {
                reason,
                length: wide(length),
            },
            CertificateError::EmptyKeySet => Self::EmptyKeySet { reason },
            CertificateError::TooManyIssuerKeys { count } => Self::TooManyIssuerKeys {
                reason,
                count: wide(count),
            },
            CertificateError::DuplicateIssuerKey { key_id } => Self::DuplicateIssuerKey {
                reason,
                key_id: key_id.to_bytes().to_vec(),
            },
        }
    }
}

impl From<CodeError> for BlindpostError {
    fn from(e: CodeError) -> Self {
        let reason = e.to_string();
        match e {
            CodeError::InvalidDigits { digits } => Self::InvalidCodeDigits { reason, digits },
            CodeError::ZeroWindow => Self::ZeroCodeWindow { reason },
            CodeError::WrongLength { expected, found } => Self::WrongCodeLength {
                reason,
                expected,
                found: wide(found),
            },
            CodeError::NotDigits => Self::CodeNotDigits { reason },
            CodeError::WrongCode => Self::WrongCode { reason },
            CodeError::TooManyAttempts => Self::TooManyAttempts { reason },
        }
    }
}

/// The error for a fixed-length byte input of `expected` bytes that got `found` bytes, in the
/// core's terms (truncated or trailing bytes).
pub(crate) fn wrong_length(field: &'static str, expected: usize, found: usize) -> BlindpostError {
    let kind = match found.checked_sub(expected) {
        Some(extra) => CoreKind::TrailingBytes { extra },
        None => CoreKind::Truncated {
            needed: expected,
            available: found,
        },
    };
    DecodeError::new(field, kind).into()
}
