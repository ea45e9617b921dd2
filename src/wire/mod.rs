//! Every message the client and the server exchange, with its one canonical encoding
//! (SPEC.md section 11).
//!
//! Requests go from a client to the server on the channel [`Request::channel`] names; each has
//! a [`Response`]. The server hands deliveries ([`Delivery`]) to its host, which queues them for
//! the recipient. Decoding validates everything (keys, signatures' encodings, tokens, phone
//! numbers, length limits), so a decoded message is well formed.

pub(crate) mod codec;
mod delivery;
mod error;
mod error_code;
mod padding;
mod payload;
mod request;
mod response;

pub use delivery::{Delivery, DeliveryHandle};
pub(crate) use error::embedded;
pub use error::{EmbeddedError, WireError};
pub use error_code::ErrorCode;
pub use padding::{padded_len, MAX_PADDED_LEN, MIN_PADDED_LEN};
pub use payload::{Introduction, IntroductionContent, IntroductionError, Payload};
pub use request::{
    ColdCallRequest, RegisterRequest, ReplyRequest, Request, RequestType, ServerKeys,
};
pub use response::{GroupKeyUpdate, Response};

/// The version byte of every message of this section.
pub const VERSION: u8 = 1;

/// The most bytes a host's sealing may add to a padded plaintext (its encapsulated key,
/// headers and tag; SPEC.md 10.1), so that the largest bucket still fits [`MAX_SEALED_LEN`].
pub const MAX_SEAL_OVERHEAD: usize = 4 * 1024;

/// The largest sealed payload a cold call or reply may carry (bytes): the largest padded
/// plaintext plus the sealing's overhead.
pub const MAX_SEALED_LEN: usize = MAX_PADDED_LEN + MAX_SEAL_OVERHEAD;

/// The most token requests a registration may carry.
pub const MAX_REGISTRATION_TOKENS: usize = 5;

/// The most phone numbers a lookup request may carry (a server may allow fewer).
pub const MAX_LOOKUP_BATCH: usize = 255;

/// The most discovery token requests one issuance request may carry.
pub const MAX_DISCOVERY_REQUESTS: usize = 255;

/// The most stamps one `redeem_stamps` request may carry (SPEC.md 18.1).
pub const MAX_REDEEMED_STAMPS: usize = 16;

/// The most token requests one `claim_bulk_tokens` request may carry (SPEC.md 18.2).
pub const MAX_BULK_CLAIM: usize = 64;

/// The most bytes of an encoded bulk-sender proof (SPEC.md 18.2): a chain of the most
/// certificates of the most bytes, the domain and the signature, with their prefixes.
pub const MAX_BULK_PROOF_LEN: usize = 40 * 1024;

/// The most bytes of host material (e.g. ratchet keys) an introduction or message may carry.
pub const MAX_HOST_MATERIAL_LEN: usize = 16 * 1024;

/// The most bytes of application message a payload may carry.
pub const MAX_MESSAGE_LEN: usize = 32 * 1024;

/// The granularity of reply timestamps (seconds, SPEC.md 10.3): a reply carries the time its
/// sender signed it rounded down to a multiple of this, so no exact client clock reaches the
/// server. Only a reply signed within its sender's clock offset of a boundary tells the server
/// anything about that offset, so a granularity well above typical offsets (seconds to a
/// minute) leaves most replies saying nothing, at the cost of a longer replay window.
pub const REPLY_TIME_GRANULARITY: u64 = 600;

/// The timestamp a reply signed at `now` carries: `now` rounded down to a multiple of
/// [`REPLY_TIME_GRANULARITY`].
pub const fn reply_timestamp(now: crate::Time) -> crate::Time {
    crate::Time::from_unix_secs(
        now.window(REPLY_TIME_GRANULARITY)
            .saturating_mul(REPLY_TIME_GRANULARITY),
    )
}

/// The field format of a reply timestamp: a `u64` time that must be a multiple of
/// [`REPLY_TIME_GRANULARITY`] (`invalid_value` otherwise), so that each reply time has one
/// encoding and a client cannot slip its exact clock through.
pub(crate) struct ReplyTime;

impl codec::Format<crate::Time> for ReplyTime {
    fn write(
        value: &crate::Time,
        w: &mut crate::encoding::Writer,
        names: codec::Names,
    ) -> Result<(), crate::encoding::EncodeError> {
        codec::Encode::encode(value, w, names.field)
    }

    fn read(
        r: &mut crate::encoding::Reader<'_>,
        names: codec::Names,
    ) -> Result<crate::Time, WireError> {
        let time = <crate::Time as codec::Decode>::decode(r, names.field)?;
        if reply_timestamp(time) != time {
            return Err(codec::invalid(names.field));
        }
        Ok(time)
    }
}

const REPLY_CONTEXT_DST: &[u8] = b"blindpost/v1/reply";

/// The length of a reply context.
pub const REPLY_CONTEXT_LEN: usize = 1 + REPLY_CONTEXT_DST.len() + 32 + 4 + 8;

/// The context a reply's group signature binds (SPEC.md 10.3):
/// `vec8("blindpost/v1/reply") || recipient || u32 generation || u64 timestamp`, the timestamp
/// a multiple of [`REPLY_TIME_GRANULARITY`] ([`reply_timestamp`]). The message it signs is the
/// sealed payload.
pub fn reply_context(
    recipient: &crate::account::AccountId,
    generation: u32,
    timestamp: crate::Time,
) -> [u8; REPLY_CONTEXT_LEN] {
    let mut out = [0u8; REPLY_CONTEXT_LEN];
    const DST_LEN: u8 = crate::encoding::dst_len(REPLY_CONTEXT_DST);
    let parts = core::iter::once(DST_LEN)
        .chain(REPLY_CONTEXT_DST.iter().copied())
        .chain(recipient.as_bytes().iter().copied())
        .chain(generation.to_be_bytes())
        .chain(timestamp.unix_secs().to_be_bytes());
    for (dst, src) in out.iter_mut().zip(parts) {
        *dst = src;
    }
    out
}
