//! What the server hands its host to queue for a recipient (SPEC.md 11.5).

use super::codec::{codec_enum, read_tag, tags, Bytes, Decode, Encode, Own, U32};
use super::{WireError, MAX_SEALED_LEN, VERSION};
use crate::bbs04::GroupSignature;
use crate::encoding::Reader;
use crate::Time;
use alloc::vec::Vec;
use core::fmt;

/// The random name under which the server attaches a cold call's token to its recipient; the
/// recipient releases the token by it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeliveryHandle(pub [u8; 16]);

impl fmt::Debug for DeliveryHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeliveryHandle(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

tags! {
    /// The kind byte of a delivery.
    enum DeliveryKind {
        ColdCall = 1,
        Reply = 2,
    }
}

impl DeliveryKind {
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "delivery.kind", "delivery", Self::from_u8)
    }
}

/// A message queued for a recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
// Exhaustive on purpose: a new variant is a new protocol version (SPEC.md 2.2), and every
// host must handle every variant.
pub enum Delivery {
    /// A cold call; its token stays attached to the recipient until released by `handle`.
    ColdCall {
        /// The handle to release the token by.
        handle: DeliveryHandle,
        /// The server's clock when it accepted the cold call.
        received_at: Time,
        /// The sealed payload (an introduction, once the host has opened it).
        sealed: Vec<u8>,
    },
    /// A reply, authorised by a group signature under the recipient's group.
    Reply {
        /// The group key generation it was signed under.
        generation: u32,
        /// The sender's timestamp (a multiple of [`super::REPLY_TIME_GRANULARITY`]), part of the
        /// signed context.
        timestamp: Time,
        /// The sealed payload.
        sealed: Vec<u8>,
        /// The group signature, which the recipient (the group's manager) can open.
        signature: GroupSignature,
    },
}

impl Delivery {
    /// The canonical encoding. A sealed payload over its limit (SPEC.md 11.5) is written whole,
    /// for the receiver to refuse; one its `u32` length cannot count stops the encoding before
    /// it, so no decoder accepts the result.
    pub fn to_bytes(&self) -> Vec<u8> {
        super::codec::message_bytes(|w| {
            w.u8(VERSION);
            self.encode(w, "delivery")
        })
    }

    /// Decodes and validates a delivery.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("delivery.version", VERSION)?;
        let delivery = Self::decode(&mut r, "delivery")?;
        r.finish("delivery")?;
        Ok(delivery)
    }

    /// The sealed payload.
    pub fn sealed(&self) -> &[u8] {
        match self {
            Delivery::ColdCall { sealed, .. } | Delivery::Reply { sealed, .. } => sealed,
        }
    }
}

codec_enum! {
    Delivery by DeliveryKind::read {
        ColdCall {
            handle: Own = "delivery.handle",
            received_at: Own = "delivery.received_at",
            sealed: Bytes<U32, MAX_SEALED_LEN> = "delivery.sealed",
        },
        Reply {
            generation: Own = "delivery.generation",
            timestamp: super::ReplyTime = "delivery.timestamp",
            sealed: Bytes<U32, MAX_SEALED_LEN> = "delivery.sealed",
            signature: Own = "delivery.signature",
        },
    }
}
