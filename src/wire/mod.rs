//! Every message the client and the server exchange, with its one canonical encoding
//! (SPEC.md section 11).
//!
//! Requests go from a client to the server on the channel [`Request::channel`] names; each has
//! a [`Response`]. The server hands deliveries ([`Delivery`]) to its host, which queues them for
//! the recipient. Decoding validates everything (keys, signatures' encodings, tokens, phone
//! numbers, length limits), so a decoded message is well formed.

mod delivery;
mod error_code;
mod payload;
mod request;
mod response;

pub use delivery::{Delivery, DeliveryHandle};
pub use error_code::ErrorCode;
pub use payload::{Introduction, IntroductionContent, IntroductionError, Payload};
pub use request::{
    ColdCallRequest, RegisterRequest, ReplyRequest, Request, RequestType, ServerKeys,
};
pub use response::{GroupKeyUpdate, Response};

use crate::encoding::DecodeError;
use core::fmt;

/// The version byte of every message of this section.
pub const VERSION: u8 = 1;

/// The largest sealed payload a cold call or reply may carry (bytes).
pub const MAX_SEALED_LEN: usize = 64 * 1024;

/// The most token requests a registration may carry.
pub const MAX_REGISTRATION_TOKENS: usize = 5;

/// The most phone numbers a lookup request may carry (a server may allow fewer).
pub const MAX_LOOKUP_BATCH: usize = 255;

/// The most discovery token requests one issuance request may carry.
pub const MAX_DISCOVERY_REQUESTS: usize = 255;

/// The most revocation records one group key update may carry.
pub const MAX_RECORDS_PER_UPDATE: usize = 255;

/// The most bytes of host material (e.g. ratchet keys) an introduction or message may carry.
pub const MAX_HOST_MATERIAL_LEN: usize = 16 * 1024;

/// The most bytes of application message a payload may carry.
pub const MAX_MESSAGE_LEN: usize = 32 * 1024;

const REPLY_CONTEXT_DST: &[u8] = b"blindpost/v1/reply";

/// The length of a reply context.
pub const REPLY_CONTEXT_LEN: usize = 1 + REPLY_CONTEXT_DST.len() + 32 + 4 + 8;

/// The context a reply's group signature binds (SPEC.md 10.3):
/// `vec8("blindpost/v1/reply") || recipient || u32 generation || u64 timestamp`. The message it
/// signs is the sealed payload.
pub fn reply_context(
    recipient: &crate::account::AccountId,
    generation: u32,
    timestamp: u64,
) -> [u8; REPLY_CONTEXT_LEN] {
    let mut out = [0u8; REPLY_CONTEXT_LEN];
    let parts = core::iter::once(REPLY_CONTEXT_DST.len() as u8)
        .chain(REPLY_CONTEXT_DST.iter().copied())
        .chain(recipient.as_bytes().iter().copied())
        .chain(generation.to_be_bytes())
        .chain(timestamp.to_be_bytes());
    for (dst, src) in out.iter_mut().zip(parts) {
        *dst = src;
    }
    out
}

/// Why a message could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
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
        /// The embedded decoder's message.
        reason: alloc::string::String,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Decode(e) => write!(f, "{e}"),
            WireError::UnknownType { message, found } => {
                write!(f, "unknown {message} type 0x{found:02x}")
            }
            WireError::Embedded { field, reason } => write!(f, "invalid {field}: {reason}"),
        }
    }
}

impl core::error::Error for WireError {}

impl From<DecodeError> for WireError {
    fn from(e: DecodeError) -> Self {
        WireError::Decode(e)
    }
}

/// Wraps an embedded decoder's error with the field it was read for.
pub(crate) fn embedded<E: fmt::Display>(field: &'static str) -> impl Fn(E) -> WireError {
    move |e| WireError::Embedded {
        field,
        reason: alloc::format!("{e}"),
    }
}
