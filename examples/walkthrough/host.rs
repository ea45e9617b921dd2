//! The simulated host: everything the library leaves to the application.
//!
//! blindpost is sans-IO, so a real deployment wraps it in a host that moves bytes, keeps time,
//! sends SMS, queues deliveries and encrypts payloads end to end. Here one process plays all of
//! that for one server and every client:
//!
//! - [`Net`] is the server's host plus the network: it hands each request to
//!   [`Server::handle`] on the channel the client named, sends the verification codes the
//!   server asks for by "SMS" (an inbox), and queues deliveries per account.
//! - It keeps a log of every request the server received ([`Seen`]). The log also notes which
//!   user's device sent it (the ground truth); the server never gets that field, and the
//!   walkthrough uses it only to check what the server could not tell.
//! - End-to-end encryption is a stand-in ([`Net::seal`]): a SHA-256 keystream and tag under a
//!   key per recipient. A real host uses its own encryption (for example the Double Ratchet),
//!   which replaces this stand-in; all the library needs is that the server sees sealed bytes.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{GroupPublicKey, MemberKey};
use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::client::{Client, Event, FailureReason};
use blindpost::server::{Output, Server};
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{Delivery, DeliveryHandle, ErrorCode, Payload, RequestType, Response};
use rand_core::Rng;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

/// Why the walkthrough stopped: a protocol step it did not expect failed.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Results of the walkthrough's steps.
pub type Res<T> = Result<T, Failure>;

/// A failure with this message.
pub fn fail(message: impl Into<String>) -> Failure {
    Failure(message.into())
}

/// Adds what was being done to an error.
pub trait Context<T> {
    /// Wraps the error (or absence) with `what()`.
    fn ctx(self, what: impl FnOnce() -> String) -> Res<T>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, what: impl FnOnce() -> String) -> Res<T> {
        self.map_err(|e| fail(format!("{}: {e}", what())))
    }
}

impl<T> Context<T> for Option<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Res<T> {
        self.ok_or_else(|| fail(what()))
    }
}

/// Which side of the wire an operation ran on, for the timing table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    /// `Server::handle`, per request type.
    Server,
    /// A client call.
    Client,
}

/// Durations of operations, by side and name.
#[derive(Default)]
pub struct Timings {
    samples: BTreeMap<(Side, String), Vec<Duration>>,
}

impl Timings {
    /// Records one run of `name`.
    pub fn add(&mut self, side: Side, name: &str, d: Duration) {
        self.samples
            .entry((side, name.to_string()))
            .or_default()
            .push(d);
    }

    /// `(name, count, median, total)` for every operation of `side`, by name.
    pub fn summary(&self, side: Side) -> Vec<(String, usize, Duration, Duration)> {
        self.samples
            .iter()
            .filter(|((s, _), _)| *s == side)
            .map(|((_, name), v)| {
                let mut sorted = v.clone();
                sorted.sort();
                let n = sorted.len();
                let median = if n % 2 == 1 {
                    sorted[n / 2]
                } else {
                    (sorted[n / 2 - 1] + sorted[n / 2]) / 2
                };
                (name.clone(), n, median, sorted.iter().sum())
            })
            .collect()
    }
}

/// One request the server received.
pub struct Seen {
    /// The server's clock.
    pub at: u64,
    /// The channel it came by (all the server knows about its origin).
    pub channel: Channel,
    /// Its type, from the type byte.
    pub kind: Option<RequestType>,
    /// The bytes the server got.
    pub bytes: Vec<u8>,
    /// The response bytes.
    pub response: Vec<u8>,
    /// `None` if accepted, else the refusal.
    pub refused: Option<ErrorCode>,
    /// The delivery handle of an accepted cold call (from the server's output).
    pub handle: Option<DeliveryHandle>,
    /// Ground truth: the index of the user whose device sent it. Not given to the server.
    pub from: usize,
}

/// The server's host, the network and the host side of every client.
pub struct Net {
    /// The server.
    pub server: Server<MemoryStore>,
    /// The simulated clock (Unix seconds), the same for everybody.
    pub now: u64,
    /// The one deterministic generator of the run (VectorRng: reproducible, never for secrets
    /// in production).
    pub rng: VectorRng,
    /// Deliveries queued per account (bytes of `Delivery`).
    pub queues: BTreeMap<AccountId, Vec<Vec<u8>>>,
    /// The SMS gateway: codes the server asked its host to send.
    pub sms: Vec<(PhoneNumber, String)>,
    /// Every request the server received.
    pub log: Vec<Seen>,
    /// Timing samples.
    pub timings: Timings,
    /// End-to-end keys of the sealing stand-in, per recipient account.
    seal_keys: BTreeMap<AccountId, [u8; 32]>,
}

impl Net {
    /// A network around `server` starting at `now`.
    pub fn new(server: Server<MemoryStore>, now: u64, rng: VectorRng) -> Self {
        Self {
            server,
            now,
            rng,
            queues: BTreeMap::new(),
            sms: Vec::new(),
            log: Vec::new(),
            timings: Timings::default(),
            seal_keys: BTreeMap::new(),
        }
    }

    /// Runs a client operation with the shared generator and clock, timing it as `name`.
    pub fn client_op<T>(&mut self, name: &str, f: impl FnOnce(&mut VectorRng, u64) -> T) -> T {
        let start = Instant::now();
        let out = f(&mut self.rng, self.now);
        self.timings.add(Side::Client, name, start.elapsed());
        out
    }

    /// Gives the host of `account` an end-to-end key (the stand-in's key exchange).
    pub fn add_seal_key(&mut self, account: AccountId) {
        let mut key = [0u8; 32];
        self.rng.fill_bytes(&mut key);
        self.seal_keys.insert(account, key);
    }

    /// Delivers one request from user `from` to the server as the hosts would, and carries out
    /// what the server asks (SMS, queueing). Returns the response bytes.
    pub fn send(&mut self, from: usize, channel: Channel, bytes: &[u8]) -> Vec<u8> {
        let kind = bytes.get(1).and_then(|b| RequestType::from_u8(*b));
        let start = Instant::now();
        let handled = self.server.handle(&mut self.rng, self.now, channel, bytes);
        let name = kind.map_or("(undecodable)", RequestType::name);
        self.timings.add(Side::Server, name, start.elapsed());
        let refused = match &handled.decoded {
            Response::Error { code, .. } => Some(*code),
            _ => None,
        };
        let mut handle = None;
        for output in handled.outputs {
            match output {
                Output::SendCode { phone, code } => {
                    self.sms.push((phone, code.as_str().to_string()));
                }
                Output::Deliver {
                    recipient,
                    delivery,
                } => {
                    if let Delivery::ColdCall { handle: h, .. } = &delivery {
                        handle = Some(*h);
                    }
                    self.queues
                        .entry(recipient)
                        .or_default()
                        .push(delivery.to_bytes());
                }
            }
        }
        self.log.push(Seen {
            at: self.now,
            channel,
            kind,
            bytes: bytes.to_vec(),
            response: handled.response.clone(),
            refused,
            handle,
            from,
        });
        handled.response
    }

    /// Seals `plaintext` for `to` (the stand-in for the hosts' end-to-end encryption).
    pub fn seal(&self, to: &AccountId, plaintext: &[u8]) -> Res<Vec<u8>> {
        let key = self.seal_keys.get(to).ctx(|| "seal: no key".into())?;
        let mut out: Vec<u8> = plaintext
            .iter()
            .zip(keystream(key, plaintext.len()))
            .map(|(a, b)| a ^ b)
            .collect();
        out.extend_from_slice(&tag(key, &out));
        Ok(out)
    }

    /// Opens a payload sealed for `me`.
    pub fn open(&self, me: &AccountId, sealed: &[u8]) -> Res<Vec<u8>> {
        let key = self.seal_keys.get(me).ctx(|| "open: no key".into())?;
        let split = sealed
            .len()
            .checked_sub(32)
            .ctx(|| "open: sealed payload too short".into())?;
        let (body, t) = sealed.split_at(split);
        if t != tag(key, body) {
            return Err(fail("open: the sealing tag does not match"));
        }
        Ok(body
            .iter()
            .zip(keystream(key, body.len()))
            .map(|(a, b)| a ^ b)
            .collect())
    }
}

fn keystream(key: &[u8; 32], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut i = 0u64;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(b"walkthrough seal stand-in");
        h.update(key);
        h.update(i.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        i += 1;
    }
    out.truncate(len);
    out
}

fn tag(key: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"walkthrough seal stand-in tag");
    h.update(key);
    h.update(body);
    h.finalize().into()
}

/// One person: a phone, a device running the client, and what the host keeps beside it.
pub struct User {
    /// Position in the population (the ground truth the log refers to).
    pub index: usize,
    /// A name for the output.
    pub name: String,
    /// The phone number.
    pub phone: PhoneNumber,
    /// The blindpost client.
    pub client: Client,
    /// The numbers in the phone's address book.
    pub book: Vec<PhoneNumber>,
    /// Certificates found by discovery.
    pub found: Vec<Certificate>,
    /// Every account id the user registered (the spammer registers twice).
    pub accounts: Vec<AccountId>,
    /// Every identity public key the user registered.
    pub identity_keys: Vec<[u8; 48]>,
    /// Every group public key the user published (encodings), for the checks.
    pub group_keys: Vec<Vec<u8>>,
    /// What the host opened from introductions it received, by sender: the sender's group key
    /// and the member key it handed over (kept only to play a tampered client in act 8).
    pub introductions: BTreeMap<AccountId, (GroupPublicKey, MemberKey)>,
}

impl User {
    /// The account id.
    pub fn account(&self) -> AccountId {
        self.client.account()
    }
}

/// Sends every request `user`'s client has queued until none is left, feeding each response
/// back; returns the events the client produced.
pub fn pump(net: &mut Net, user: &mut User) -> Res<Vec<Event>> {
    while let Some(t) = user.client.poll_transmit() {
        let response = net.send(user.index, t.channel, &t.bytes);
        let kind = t
            .bytes
            .get(1)
            .and_then(|b| RequestType::from_u8(*b))
            .map_or("?", RequestType::name);
        let name = format!("handle_response({kind})");
        net.client_op(&name, |rng, now| {
            user.client.handle_response(rng, now, t.id, &response)
        })
        .ctx(|| format!("{}: response to {kind}", user.name))?;
    }
    Ok(events(user))
}

/// Drains `user`'s events.
pub fn events(user: &mut User) -> Vec<Event> {
    std::iter::from_fn(|| user.client.poll_event()).collect()
}

/// Hands every queued delivery to `user`'s client, opening each payload as its host would;
/// returns the events.
pub fn deliver(net: &mut Net, user: &mut User) -> Res<Vec<Event>> {
    let me = user.account();
    let queued = net.queues.remove(&me).unwrap_or_default();
    for bytes in queued {
        let delivery = Delivery::from_bytes(&bytes).ctx(|| format!("{}: delivery", user.name))?;
        let opened = net.open(&me, delivery.sealed())?;
        if let Ok(Payload::Introduction(intro)) = Payload::from_bytes(&opened) {
            let c = intro.content();
            user.introductions
                .insert(intro.sender(), (c.group_key.clone(), c.member_key.clone()));
        }
        let name = match delivery {
            Delivery::ColdCall { .. } => "handle_delivery(cold call)",
            Delivery::Reply { .. } => "handle_delivery(reply)",
        };
        net.client_op(name, |_, now| {
            user.client.handle_delivery(now, &bytes, &opened)
        })
        .ctx(|| format!("{}: {name}", user.name))?;
    }
    Ok(events(user))
}

/// The requests that failed among `events`.
pub fn failures(events: &[Event]) -> Vec<(RequestType, FailureReason)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::RequestFailed {
                request, reason, ..
            } => Some((*request, reason.clone())),
            _ => None,
        })
        .collect()
}

/// Fails if any request failed among `events`.
pub fn no_failures(who: &str, events: &[Event]) -> Res<()> {
    match failures(events).first() {
        None => Ok(()),
        Some((request, reason)) => Err(fail(format!(
            "{who}: {} failed: {}",
            request.name(),
            describe(reason)
        ))),
    }
}

/// A failure reason in words.
pub fn describe(reason: &FailureReason) -> String {
    match reason {
        FailureReason::Server(code) => format!("server refused: {code}"),
        FailureReason::Client(e) => format!("{e}"),
    }
}

/// Lowercase hex of the first `n` bytes.
pub fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}
