//! Errors of the BBS04 module.

use crate::encoding::DecodeError;
use core::fmt;

/// Why a BBS04 operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A byte string was not a valid encoding (the field and reason are inside).
    Decode(DecodeError),
    /// A manager key's secrets do not match its group public key (u^xi1 = v^xi2 = h and
    /// w = g2^gamma must hold).
    InconsistentManagerKey,
    /// A member key and a group key belong to different generations.
    GenerationMismatch {
        /// The member key's generation.
        member: u32,
        /// The group key's generation.
        group: u32,
    },
    /// A revocation record does not follow the group key it is applied to: its generation
    /// must be the group key's generation plus one.
    WrongGeneration {
        /// The generation the record must carry.
        expected: u32,
        /// The generation it carries.
        found: u32,
    },
    /// The group key is at the last generation (2^32 - 1) and cannot be revoked from.
    GenerationExhausted,
    /// A revocation record fails its pairing checks against the group key it is applied to.
    InvalidRevocationRecord,
    /// The member key is the one the revocation record revokes, or a checkpoint holds no entry
    /// for it (revoked, or the group moved on without it): it cannot be updated.
    Revoked,
    /// A member key does not belong to the group key (its pairing equation fails), or the
    /// entry a checkpoint holds for it does not unmask to a key of the group.
    NotAMember,
    /// A checkpoint was asked for more members than it may hold.
    TooManyMembers {
        /// The members asked for.
        count: usize,
        /// The most a checkpoint holds ([`super::MAX_CHECKPOINT_ENTRIES`]).
        max: usize,
    },
    /// A checkpoint was asked for the same member key twice.
    DuplicateMember,
    /// The signature does not verify for this group key, context and message.
    InvalidSignature,
    /// The prepared group key passed to the manager is not the manager's current group key.
    GroupMismatch,
    /// The context is longer than 65535 bytes.
    ContextTooLong {
        /// The context's length.
        length: usize,
    },
    /// The GT element of the challenge could not be encoded (the curve library's text form of
    /// GT did not have twelve coefficients). No longer returned: such a value becomes zero,
    /// outside GT, and fails every check it meets (SPEC.md 4.12); kept for compatibility.
    GtEncoding,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "bbs04: {e}"),
            Error::InconsistentManagerKey => f.write_str(
                "bbs04: manager key secrets do not match its group public key",
            ),
            Error::GenerationMismatch { member, group } => write!(
                f,
                "bbs04: member key is for generation {member} but the group key is at generation {group}"
            ),
            Error::WrongGeneration { expected, found } => write!(
                f,
                "bbs04: revocation record is for generation {found}, expected {expected}"
            ),
            Error::GenerationExhausted => {
                f.write_str("bbs04: group key is at the last generation")
            }
            Error::InvalidRevocationRecord => f.write_str(
                "bbs04: revocation record fails its pairing checks against the group key",
            ),
            Error::Revoked => f.write_str("bbs04: member key is revoked by this record"),
            Error::NotAMember => f.write_str("bbs04: member key does not belong to the group key"),
            Error::TooManyMembers { count, max } => write!(
                f,
                "bbs04: a checkpoint holds at most {max} members, not {count}"
            ),
            Error::DuplicateMember => f.write_str("bbs04: the same member key twice in a checkpoint"),
            Error::InvalidSignature => f.write_str("bbs04: signature does not verify"),
            Error::GroupMismatch => {
                f.write_str("bbs04: prepared group key is not the manager's group key")
            }
            Error::ContextTooLong { length } => write!(
                f,
                "bbs04: context of {length} bytes exceeds the limit of 65535"
            ),
            Error::GtEncoding => f.write_str("bbs04: GT element could not be encoded"),
        }
    }
}

impl core::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}
