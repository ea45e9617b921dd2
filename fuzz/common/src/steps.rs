//! The input formats of the state-machine targets, decoded with `arbitrary` (derive).
//!
//! An input starts from a point of the fixture's recorded run ([`crate::world`]) and is a
//! sequence of steps. Valid messages come from the recorded pool by index (`Next` continues the
//! run, `Recorded` picks any), so most inputs go deep without making new signatures; `Mutated`
//! edits a pooled message (cheap checks should refuse most of those before any expensive one);
//! `Raw` is arbitrary bytes. At most [`MAX_STEPS`] steps run, and steps that may verify or
//! make a signature only in one input of [`HEAVY_ONE_IN`], at most [`MAX_HEAVY`] of them (the
//! targets skip the others: [`heavy_budget`]), so executions stay short.

use arbitrary::Arbitrary;
use blindpost::wire::RequestType;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The most steps one input runs.
pub const MAX_STEPS: usize = 32;
/// The most steps of one input that may run a signature verification or a signing (a
/// reply's group signature costs ~3 ms, a registration's five RSA signatures more).
pub const MAX_HEAVY: usize = 1;
/// Only one input in this many may run heavy steps at all, chosen by a hash of the input (so
/// every run of an input does the same): the others stay under a millisecond, and the
/// prepared world's points give them every state of the run to start from.
pub const HEAVY_ONE_IN: u64 = 128;

/// How many heavy steps `input` may run: [`MAX_HEAVY`] for one input in [`HEAVY_ONE_IN`], 0 for
/// the rest.
pub fn heavy_budget<T: Hash>(input: &T) -> usize {
    if one_in(input, HEAVY_ONE_IN) {
        MAX_HEAVY
    } else {
        0
    }
}

/// Whether handling `request` signs or verifies a signature or pairing (the other requests
/// are cheap).
pub fn heavy_request(request: &[u8]) -> bool {
    !matches!(
        RequestType::of_request(request),
        Err(_)
            | Ok(RequestType::RequestCode
                | RequestType::ColdCall
                | RequestType::FetchGroupKey
                | RequestType::FetchKeys
                | RequestType::Release)
    )
}

/// Whether `input` is one of the inputs in `n` picked by its hash (the same ones every run).
pub fn one_in<T: Hash>(input: &T, n: u64) -> bool {
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    h.finish() % n == 0
}

/// A change to a pooled message.
#[derive(Arbitrary, Clone, Debug, Hash)]
pub enum Edit {
    /// XOR a byte (position modulo the length).
    Flip {
        /// Where.
        at: u16,
        /// The mask.
        xor: u8,
    },
    /// Cut the message to this length (when shorter).
    Truncate {
        /// The new length.
        len: u16,
    },
    /// Insert a byte (position modulo the length + 1).
    Insert {
        /// Where.
        at: u16,
        /// The byte.
        byte: u8,
    },
    /// Remove a byte (position modulo the length).
    Remove {
        /// Where.
        at: u16,
    },
}

/// Applies `edits` to a copy of `bytes`.
pub fn edited(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        let pos = |at: u16, len: usize| usize::from(at) % len.max(1);
        match *edit {
            Edit::Flip { at, xor } => {
                if !out.is_empty() {
                    let i = pos(at, out.len());
                    out[i] ^= xor;
                }
            }
            Edit::Truncate { len } => out.truncate(usize::from(len)),
            Edit::Insert { at, byte } => {
                let i = pos(at, out.len() + 1);
                out.insert(i, byte);
            }
            Edit::Remove { at } => {
                if !out.is_empty() {
                    out.remove(pos(at, out.len()));
                }
            }
        }
    }
    out
}

/// A channel for a request.
#[derive(Arbitrary, Clone, Debug, Hash)]
pub enum ChannelChoice {
    /// The direct channel.
    Direct,
    /// The anonymous channel.
    Anonymous,
    /// Authenticated as one of the run's accounts (index modulo their number).
    Known(u8),
    /// Authenticated as any account.
    Account([u8; 32]),
}

/// One step of `server_sequence`.
#[derive(Arbitrary, Clone, Debug, Hash)]
pub enum ServerAction {
    /// The recorded request after the last one sent (or after the starting point).
    Next,
    /// A recorded request (index modulo the pool), on its own channel or another.
    Recorded {
        /// Which.
        index: u8,
        /// Another channel.
        channel: Option<ChannelChoice>,
    },
    /// A recorded request with edits, on its own channel.
    Mutated {
        /// Which.
        index: u8,
        /// The edits.
        edits: Vec<Edit>,
    },
    /// Any bytes.
    Raw {
        /// The channel.
        channel: ChannelChoice,
        /// The request bytes.
        bytes: Vec<u8>,
    },
    /// The clock jumps ahead.
    Wait {
        /// Seconds.
        secs: u32,
    },
    /// The server restarts from its secrets blob with the same store.
    Restart,
}

/// A `server_sequence` input.
#[derive(Arbitrary, Clone, Debug, Hash)]
pub struct ServerInput {
    /// The point of the recorded run to start from (modulo their number).
    pub start: u8,
    /// The steps.
    pub steps: Vec<ServerAction>,
}

/// Which part of a recorded client input an edit changes.
#[derive(Arbitrary, Clone, Copy, Debug, Hash)]
pub enum Part {
    /// The response or delivery bytes.
    Message,
    /// A delivery's opened payload.
    Opened,
}

/// One step of `client_sequence`.
#[derive(Arbitrary, Clone, Debug, Hash)]
pub enum ClientAction {
    /// The scenario's recorded input after the last one given.
    Next,
    /// One of the scenario's recorded inputs (index modulo their number).
    Recorded {
        /// Which.
        index: u8,
    },
    /// A recorded input with edits.
    Mutated {
        /// Which.
        index: u8,
        /// What the edits change.
        part: Part,
        /// The edits.
        edits: Vec<Edit>,
    },
    /// A response to request `id`.
    Response {
        /// The request id.
        id: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A delivery and its opened payload.
    Delivery {
        /// The delivery bytes.
        delivery: Vec<u8>,
        /// The opened payload.
        opened: Vec<u8>,
    },
    /// Timers run after this many seconds.
    Timeout {
        /// Seconds.
        secs: u32,
    },
    /// The transport lost request `id`.
    SendFailure {
        /// The request id.
        id: u64,
    },
    /// The host drains the transmits.
    Poll,
    /// The app restarts from the state blob.
    Restart,
}

/// A `client_sequence` input.
#[derive(Arbitrary, Clone, Debug, Hash)]
pub struct ClientInput {
    /// The recorded scenario to start from (modulo their number).
    pub scenario: u8,
    /// The steps.
    pub steps: Vec<ClientAction>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_stay_in_bounds() {
        let edits = [
            Edit::Flip { at: 7, xor: 0xff },
            Edit::Insert { at: 100, byte: 9 },
            Edit::Remove { at: 0 },
            Edit::Truncate { len: 2 },
        ];
        // Flip index 7 % 3 = 1; insert at 100 % 4 = 0; remove index 0; keep two bytes.
        assert_eq!(edited(b"abc", &edits), vec![b'a', b'b' ^ 0xff]);
        assert_eq!(edited(b"", &edits), Vec::<u8>::new());
    }
}
