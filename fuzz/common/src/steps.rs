//! The input formats of the state-machine targets.
//!
//! Both are sequences of steps read by a lenient cursor ([`Input`]): a missing byte reads as
//! zero and a length longer than what is left takes what is left, so every byte string is a
//! valid input and mutations of a seed stay meaningful. At most [`MAX_STEPS`] steps are run.
//!
//! Server input, repeated:
//! `channel u8 (0 direct, 1 anonymous, else authenticated followed by the 32-byte account)
//! || delta u32 (seconds added to the clock) || u32 length || request bytes`.
//!
//! Client input: `scenario u8` (which recorded client state to start from), then repeated
//! `kind u8` and, by `kind % 5`:
//! 0 response: `id u64 || delta u32 || u32 length || response bytes`;
//! 1 delivery: `delta u32 || u32 length || delivery bytes || u32 length || opened payload`;
//! 2 timeout: `delta u32`;
//! 3 send failure: `id u64`;
//! 4 poll: drain the transmits and events.

use blindpost::account::{AccountId, Channel};

/// The most steps one input runs (keeps each execution short).
pub const MAX_STEPS: usize = 48;

/// A cursor over fuzz input that never fails.
pub struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    /// Starts reading `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Up to `len` bytes.
    pub fn bytes(&mut self, len: usize) -> &'a [u8] {
        let (head, tail) = self.rest.split_at(len.min(self.rest.len()));
        self.rest = tail;
        head
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let head = self.bytes(N);
        out[..head.len()].copy_from_slice(head);
        out
    }

    /// A byte (0 when none is left).
    pub fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.array())
    }

    /// A `u32` length and that many bytes (or what is left).
    pub fn vec32(&mut self) -> &'a [u8] {
        let len = usize::try_from(self.u32()).unwrap_or(usize::MAX);
        self.bytes(len)
    }
}

fn put_vec32(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
    out.extend_from_slice(bytes);
}

/// One request to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStep<'a> {
    /// The channel it arrives on.
    pub channel: Channel,
    /// Seconds the clock advances first.
    pub delta: u32,
    /// The request bytes.
    pub request: &'a [u8],
}

/// Reads a server input.
pub fn server_steps(data: &[u8]) -> Vec<ServerStep<'_>> {
    let mut input = Input::new(data);
    let mut steps = Vec::new();
    while !input.is_empty() && steps.len() < MAX_STEPS {
        let channel = match input.u8() {
            0 => Channel::Direct,
            1 => Channel::Anonymous,
            _ => Channel::Authenticated(AccountId(input.array())),
        };
        let delta = input.u32();
        let request = input.vec32();
        steps.push(ServerStep {
            channel,
            delta,
            request,
        });
    }
    steps
}

/// Appends one server step in the format [`server_steps`] reads.
pub fn put_server_step(out: &mut Vec<u8>, channel: &Channel, delta: u32, request: &[u8]) {
    match channel {
        Channel::Direct => out.push(0),
        Channel::Anonymous => out.push(1),
        Channel::Authenticated(account) => {
            out.push(2);
            out.extend_from_slice(account.as_bytes());
        }
    }
    out.extend_from_slice(&delta.to_be_bytes());
    put_vec32(out, request);
}

/// One input to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientStep<'a> {
    /// The response to request `id`.
    Response {
        /// The request id.
        id: u64,
        /// Seconds the clock advances first.
        delta: u32,
        /// The response bytes.
        bytes: &'a [u8],
    },
    /// A delivery and its opened payload.
    Delivery {
        /// Seconds the clock advances first.
        delta: u32,
        /// The delivery bytes.
        delivery: &'a [u8],
        /// The payload as the host opened it.
        opened: &'a [u8],
    },
    /// Time passes.
    Timeout {
        /// Seconds the clock advances.
        delta: u32,
    },
    /// The transport lost request `id`.
    SendFailure {
        /// The request id.
        id: u64,
    },
    /// Drain transmits and events.
    Poll,
}

/// Reads a client input: the scenario byte and the steps.
pub fn client_steps(data: &[u8]) -> (u8, Vec<ClientStep<'_>>) {
    let mut input = Input::new(data);
    let scenario = input.u8();
    let mut steps = Vec::new();
    while !input.is_empty() && steps.len() < MAX_STEPS {
        let step = match input.u8() % 5 {
            0 => ClientStep::Response {
                id: input.u64(),
                delta: input.u32(),
                bytes: input.vec32(),
            },
            1 => ClientStep::Delivery {
                delta: input.u32(),
                delivery: input.vec32(),
                opened: input.vec32(),
            },
            2 => ClientStep::Timeout { delta: input.u32() },
            3 => ClientStep::SendFailure { id: input.u64() },
            _ => ClientStep::Poll,
        };
        steps.push(step);
    }
    (scenario, steps)
}

/// Appends one client step in the format [`client_steps`] reads.
pub fn put_client_step(out: &mut Vec<u8>, step: &ClientStep<'_>) {
    match step {
        ClientStep::Response { id, delta, bytes } => {
            out.push(0);
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&delta.to_be_bytes());
            put_vec32(out, bytes);
        }
        ClientStep::Delivery {
            delta,
            delivery,
            opened,
        } => {
            out.push(1);
            out.extend_from_slice(&delta.to_be_bytes());
            put_vec32(out, delivery);
            put_vec32(out, opened);
        }
        ClientStep::Timeout { delta } => {
            out.push(2);
            out.extend_from_slice(&delta.to_be_bytes());
        }
        ClientStep::SendFailure { id } => {
            out.push(3);
            out.extend_from_slice(&id.to_be_bytes());
        }
        ClientStep::Poll => out.push(4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_steps_round_trip() {
        let mut out = Vec::new();
        put_server_step(&mut out, &Channel::Direct, 5, b"abc");
        put_server_step(
            &mut out,
            &Channel::Authenticated(AccountId([7; 32])),
            0,
            b"",
        );
        let steps = server_steps(&out);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].request, b"abc");
        assert_eq!(steps[1].channel, Channel::Authenticated(AccountId([7; 32])));
    }

    #[test]
    fn client_steps_round_trip() {
        let steps = [
            ClientStep::Response {
                id: 3,
                delta: 1,
                bytes: b"r",
            },
            ClientStep::Delivery {
                delta: 2,
                delivery: b"d",
                opened: b"o",
            },
            ClientStep::Timeout { delta: 9 },
            ClientStep::SendFailure { id: 4 },
            ClientStep::Poll,
        ];
        let mut out = vec![1];
        for s in &steps {
            put_client_step(&mut out, s);
        }
        assert_eq!(client_steps(&out), (1, steps.to_vec()));
    }
}
