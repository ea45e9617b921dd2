//! What the server hands its host to queue for a recipient (SPEC.md 11.5).

use super::{embedded, WireError, MAX_SEALED_LEN, VERSION};
use crate::bbs04::Signature;
use crate::encoding::{Reader, Writer};
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

const KIND_COLD_CALL: u8 = 1;
const KIND_REPLY: u8 = 2;

/// A message queued for a recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
// Messages are built once and moved a few times; boxing would only add indirection.
#[allow(clippy::large_enum_variant)]
pub enum Delivery {
    /// A cold call; its token stays attached to the recipient until released by `handle`.
    ColdCall {
        /// The handle to release the token by.
        handle: DeliveryHandle,
        /// The server's clock when it accepted the cold call.
        received_at: u64,
        /// The sealed payload (an introduction, once the host has opened it).
        sealed: Vec<u8>,
    },
    /// A reply, authorised by a group signature under the recipient's group.
    Reply {
        /// The group key generation it was signed under.
        generation: u32,
        /// The sender's timestamp, part of the signed context.
        timestamp: u64,
        /// The sealed payload.
        sealed: Vec<u8>,
        /// The group signature, which the recipient (the group's manager) can open.
        signature: Signature,
    },
}

impl Delivery {
    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(VERSION);
        match self {
            Delivery::ColdCall {
                handle,
                received_at,
                sealed,
            } => {
                w.u8(KIND_COLD_CALL)
                    .bytes(&handle.0)
                    .u64(*received_at)
                    .vec32(sealed);
            }
            Delivery::Reply {
                generation,
                timestamp,
                sealed,
                signature,
            } => {
                w.u8(KIND_REPLY)
                    .u32(*generation)
                    .u64(*timestamp)
                    .vec32(sealed)
                    .bytes(&signature.to_bytes());
            }
        }
        w.finish()
    }

    /// Decodes and validates a delivery.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("delivery.version", VERSION)?;
        let delivery = match r.u8("delivery.kind")? {
            KIND_COLD_CALL => Delivery::ColdCall {
                handle: DeliveryHandle(r.array("delivery.handle")?),
                received_at: r.u64("delivery.received_at")?,
                sealed: r.vec32("delivery.sealed", MAX_SEALED_LEN)?.to_vec(),
            },
            KIND_REPLY => Delivery::Reply {
                generation: r.u32("delivery.generation")?,
                timestamp: r.u64("delivery.timestamp")?,
                sealed: r.vec32("delivery.sealed", MAX_SEALED_LEN)?.to_vec(),
                signature: Signature::from_bytes(r.bytes("delivery.signature", Signature::SIZE)?)
                    .map_err(embedded("delivery.signature"))?,
            },
            found => {
                return Err(WireError::UnknownType {
                    message: "delivery",
                    found,
                })
            }
        };
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
