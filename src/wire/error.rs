//! Why a message could not be decoded: a malformed field of the message itself, an unknown
//! type, or an embedded object (key, token, certificate, signature) its own decoder refused.

use crate::bbs04;
use crate::bls::BlsError;
use crate::certificate::{CertificateError, PhoneNumberError};
use crate::encoding::DecodeError;
use crate::token;
use core::fmt;

/// Why a message could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// A field was malformed (the field and the reason are inside).
    Decode(DecodeError),
    /// The type byte names no message of this version.
    UnknownType {
        /// What kind of message was being read.
        message: &'static str,
        /// The type byte found.
        found: u8,
    },
    /// An embedded object (key, token, certificate, signature) did not decode.
    Embedded {
        /// Which field held it.
        field: &'static str,
        /// The embedded decoder's error.
        cause: EmbeddedError,
    },
}

/// The error of the decoder of an embedded object, as that decoder reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmbeddedError {
    /// A group key, member key, signature or revocation record.
    Group(bbs04::Error),
    /// A token, token message or token key set.
    Token(token::Error),
    /// A certificate, issuer key set or host key.
    Certificate(CertificateError),
    /// A phone number.
    Phone(PhoneNumberError),
    /// An identity key, proof of possession or BLS signature.
    Bls(BlsError),
    /// Text that is not UTF-8.
    NotUtf8,
    /// A bulk-sender proof (SPEC.md 18.2): the field of the proof and what was wrong with it.
    BulkProof(DecodeError),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Decode(e) => write!(f, "{e}"),
            WireError::UnknownType { message, found } => {
                write!(f, "unknown {message} type 0x{found:02x}")
            }
            WireError::Embedded { field, cause } => write!(f, "invalid {field}: {cause}"),
        }
    }
}

impl fmt::Display for EmbeddedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbeddedError::Group(e) => write!(f, "{e}"),
            EmbeddedError::Token(e) => write!(f, "{e}"),
            EmbeddedError::Certificate(e) => write!(f, "{e}"),
            EmbeddedError::Phone(e) => write!(f, "{e}"),
            EmbeddedError::Bls(e) => write!(f, "{e}"),
            EmbeddedError::NotUtf8 => f.write_str("not UTF-8"),
            EmbeddedError::BulkProof(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for WireError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            WireError::Decode(e) => Some(e),
            WireError::UnknownType { .. } => None,
            WireError::Embedded { cause, .. } => Some(cause),
        }
    }
}

impl core::error::Error for EmbeddedError {}

impl From<DecodeError> for WireError {
    fn from(e: DecodeError) -> Self {
        WireError::Decode(e)
    }
}

impl From<bbs04::Error> for EmbeddedError {
    fn from(e: bbs04::Error) -> Self {
        EmbeddedError::Group(e)
    }
}

impl From<token::Error> for EmbeddedError {
    fn from(e: token::Error) -> Self {
        EmbeddedError::Token(e)
    }
}

impl From<CertificateError> for EmbeddedError {
    fn from(e: CertificateError) -> Self {
        EmbeddedError::Certificate(e)
    }
}

impl From<PhoneNumberError> for EmbeddedError {
    fn from(e: PhoneNumberError) -> Self {
        EmbeddedError::Phone(e)
    }
}

impl From<BlsError> for EmbeddedError {
    fn from(e: BlsError) -> Self {
        EmbeddedError::Bls(e)
    }
}

impl From<crate::certificate::phone::EncodedError> for EmbeddedError {
    fn from(e: crate::certificate::phone::EncodedError) -> Self {
        match e {
            crate::certificate::phone::EncodedError::NotUtf8 => EmbeddedError::NotUtf8,
            crate::certificate::phone::EncodedError::Invalid(e) => EmbeddedError::Phone(e),
        }
    }
}

impl From<WireError> for EmbeddedError {
    /// A nested message's error, as the one field of it that was wrong (only the bulk-sender
    /// proof nests a message of its own).
    fn from(e: WireError) -> Self {
        let field = match e {
            WireError::Decode(d) => return EmbeddedError::BulkProof(d),
            WireError::UnknownType { .. } => "bulk_proof",
            WireError::Embedded { field, .. } => field,
        };
        EmbeddedError::BulkProof(DecodeError::new(
            field,
            crate::DecodeErrorKind::InvalidValue,
        ))
    }
}

impl From<core::str::Utf8Error> for EmbeddedError {
    fn from(_: core::str::Utf8Error) -> Self {
        EmbeddedError::NotUtf8
    }
}

impl From<alloc::string::FromUtf8Error> for EmbeddedError {
    fn from(_: alloc::string::FromUtf8Error) -> Self {
        EmbeddedError::NotUtf8
    }
}

/// Wraps an embedded decoder's error with the field it was read for.
pub(crate) fn embedded<E: Into<EmbeddedError>>(field: &'static str) -> impl Fn(E) -> WireError {
    move |e| WireError::Embedded {
        field,
        cause: e.into(),
    }
}
