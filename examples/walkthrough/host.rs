//! The walkthrough's side of the hosts.
//!
//! blindpost is sans-IO, so a real deployment wraps it in hosts that move bytes, keep time,
//! send SMS, queue deliveries and encrypt payloads end to end. The library's simulated
//! deployment, [`World`] (`blindpost::simulation`), plays all of them for one server and every
//! client: it dispatches each request to the server on the channel the client named, keeps the
//! SMS inbox and the delivery queues, seals payloads end to end as every host in this repository
//! does (`blindpost-e2e`: HPKE first contact, then an Olm ratchet; SPEC.md 17.7), and logs every request the server received with the account that sent it (the
//! ground truth, which the server never gets; act 9 uses it only to check what the server could
//! not tell).
//!
//! This file adds what the walkthrough needs on top: the people ([`User`]), timing of every
//! client call and server request ([`Timings`]), and steps that report failures as values
//! instead of panicking, so that the run can stop with a message.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{GroupPublicKey, MemberKey};
use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::client::{Client, Event, FailureReason};
use blindpost::simulation::{OpenError, World};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{Delivery, Payload, RequestType};
use blindpost::Time;
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

    /// Runs a client operation with the world's generator and clock, timing it as `name`.
    pub fn client_op<T>(
        &mut self,
        world: &mut World,
        name: &str,
        f: impl FnOnce(&mut VectorRng, Time) -> T,
    ) -> T {
        let start = Instant::now();
        let out = f(&mut world.rng, world.now);
        self.add(Side::Client, name, start.elapsed());
        out
    }

    /// Hands one request from `from`'s device to the server through `world`, timing the
    /// server's handling by request type. Returns the response bytes.
    pub fn send(
        &mut self,
        world: &mut World,
        from: AccountId,
        channel: Channel,
        bytes: &[u8],
    ) -> Vec<u8> {
        let start = Instant::now();
        let response = world.send_from(Some(from), channel, bytes);
        let elapsed = start.elapsed();
        if let Some(received) = world.received.last() {
            self.add(Side::Server, received.request_type.name(), elapsed);
        }
        response
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

/// One person: a phone, a device running the client, and what the host keeps beside it.
pub struct User {
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
    /// Every account id the user's devices used (the spammer registers several times, the
    /// last time refused).
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

/// Sends the requests of `user`'s client that are due now (SPEC.md 13.6), feeding each response
/// back; returns the events the client produced. Requests whose time has not come stay queued:
/// [`Walk::settle`] and [`Walk::run_clock`] move the clock on to them.
pub fn pump(world: &mut World, timings: &mut Timings, user: &mut User) -> Res<Vec<Event>> {
    let now = world.now;
    while let Some(t) = user.client.poll_transmit(now) {
        let response = timings.send(world, user.account(), t.channel, &t.bytes);
        let kind = world.received.last().map_or("?", |r| r.request_type.name());
        let name = format!("handle_response({kind})");
        timings
            .client_op(world, &name, |rng, now| {
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

/// Hands every queued delivery to `user`'s client, opening each payload as its host would
/// (SPEC.md 17.7: a replayed delivery is dropped; each event's contact must be the sender the
/// host opened, and a cold call's offer starts the ratchet); returns the events.
pub fn deliver(world: &mut World, timings: &mut Timings, user: &mut User) -> Res<Vec<Event>> {
    let me = user.account();
    let mut all = events(user);
    for bytes in world.take_queued(&me) {
        let delivery = Delivery::from_bytes(&bytes).ctx(|| format!("{}: delivery", user.name))?;
        let opened = match world.open(&me, delivery.sealed()) {
            Ok(opened) => opened,
            Err(OpenError::Replayed) => continue,
            Err(e) => return Err(fail(format!("{}: delivery: {e}", user.name))),
        };
        if let Ok(Payload::Introduction(intro)) = Payload::from_bytes(&opened.payload) {
            let c = intro.content();
            user.introductions
                .insert(intro.sender(), (c.group_key.clone(), c.member_key.clone()));
        }
        let name = match delivery {
            Delivery::ColdCall { .. } => "handle_delivery(cold call)",
            Delivery::Reply { .. } => "handle_delivery(reply)",
        };
        timings
            .client_op(world, name, |_, now| {
                user.client.handle_delivery(now, &bytes, &opened.payload)
            })
            .ctx(|| format!("{}: {name}", user.name))?;
        let new = events(user);
        world.host_events(&me, &opened, &new);
        all.extend(new);
    }
    Ok(all)
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
