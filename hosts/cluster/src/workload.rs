//! The simulated clients: what each one's host does, over any [`Link`].
//!
//! Every client registers (its code read from the deployment's SMS log), looks up a few others,
//! then until the run phase ends cold-calls those it has not reached yet, answers every
//! introduction and message it receives (which accepts the cold call, so its token is released
//! and renewed within seconds), and once tries to spend a token twice from a restored copy of
//! its wallet. In the drain phase it starts nothing new, accepts what still arrives and keeps
//! fetching, releasing and renewing until the orchestrator stops it.
//!
//! Payloads are not sealed: the run measures the protocol and its transport, and end-to-end
//! encryption (the CLI's HPKE) is a fixed cost per message on the clients' side. Each message is
//! its 8-byte id, so the accounting knows which accepted message each recipient took in.

use crate::link::{now, Link, Rng};
use crate::tally::{bump, Phase, Tally};
use blindpost::account::AccountId;
use blindpost::certificate::{Certificate, HostKey, PhoneNumber};
use blindpost::client::{Client, ClientSettings, Delay, Event, FailureReason, Transmit};
use blindpost::wire::{Delivery, ErrorCode, RequestType, Response, ServerKeys};
use blindpost::Time;
use blindpost_e2e::{E2eState, OpenError};
use rand::RngExt as _;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Client settings with delays of seconds, so releases, renewals and background work happen
/// within a run of a minute: releases 1 to 4 s after acceptance, renewal checks every 1 to 2 s
/// (backing off), background work within 2 s, a reply's key fetch at once, and one discovery
/// token per window (the one lookup of the run needs no more).
pub fn settings() -> ClientSettings {
    ClientSettings {
        release_delay: Delay::Uniform { min: 1, max: 4 },
        reply_delay: Delay::Uniform { min: 0, max: 1 },
        background_delay: Delay::Uniform { min: 0, max: 2 },
        renewal_interval: 1,
        discovery_tokens: 1,
        ..ClientSettings::default()
    }
}

/// How many other clients each one looks up (one lookup batch).
const PEERS: usize = 8;
/// The most transmits one flush sends, so one client cannot hog its task.
const FLUSH_MAX: usize = 64;
/// How often a client fetches its deliveries (each fetch is an authenticated request).
const FETCH_EVERY: Duration = Duration::from_millis(2000);
/// The most deliveries asked for per fetch.
const FETCH_MAX: usize = 64;
/// Pause between loop turns when nothing is due.
const IDLE: Duration = Duration::from_millis(100);
/// Attempts for one setup step (code, registration, lookup), each at most [`IDLE`] apart.
const SETUP_TURNS: usize = 600;
/// When a client with an even index tries its double spend: this long after the cold call
/// whose token it re-uses (milliseconds, uniform).
const GHOST_DELAY_MS: std::ops::Range<u64> = 500..3000;

/// What one client reports when it stops.
#[derive(Debug, Default)]
pub struct ClientReport {
    /// Cold-call tokens issued at registration.
    pub issued: usize,
    /// Tokens its wallet holds at the end, in any state (available, in flight, attached to a
    /// recipient, being renewed).
    pub held: usize,
    /// Of those, available at the end.
    pub available: usize,
}

/// One message a client waits to see accepted: its id, recipient and kind.
struct Pending {
    id: u64,
    recipient: AccountId,
    cold_call: bool,
}

/// A restored copy of a wallet, taken just before a cold call, that will re-send the token.
struct Ghost {
    state: Vec<u8>,
    /// The recipient of the cold call that spent the token.
    spent_on: AccountId,
    /// When to try: set once the original cold call was accepted (a copy that spends the
    /// token first makes the original the refused one: one spend, not two).
    at: Option<Instant>,
}

/// One simulated client and its host.
struct Sim<L: Link> {
    me: usize,
    link: Arc<L>,
    tally: Arc<Tally>,
    route: usize,
    client: Client,
    /// The host's end-to-end state: every payload is sealed as in SPEC.md 17.7.
    e2e: E2eState,
    rng: Rng,
    issued: usize,
    peers: Vec<Certificate>,
    contacted: Vec<AccountId>,
    pending: Option<Pending>,
    to_answer: VecDeque<AccountId>,
    next_message: u64,
    ghost: Option<Ghost>,
    ghost_tried: bool,
    last_fetch: Option<Instant>,
    /// Whether the faults were over when the request in flight was sent.
    settled_at_start: bool,
}

/// Runs client `me` (of `phones`) until the tally's phase is [`Phase::Stop`]. `ready` is
/// passed by every client once registered, so lookups find everybody.
pub async fn run_client<L: Link>(
    link: Arc<L>,
    tally: Arc<Tally>,
    keys: ServerKeys,
    phones: Arc<Vec<PhoneNumber>>,
    me: usize,
    ready: Arc<tokio::sync::Barrier>,
) -> ClientReport {
    let mut rng: Rng = rand::make_rng();
    let client = Client::new(&mut rng, keys, settings());
    let e2e = E2eState::generate(&mut rng, *client.account().as_bytes());
    let route = me % link.routes().max(1);
    let mut sim = Sim {
        me,
        link,
        tally,
        route,
        client,
        e2e,
        rng,
        issued: 0,
        peers: Vec::new(),
        contacted: Vec::new(),
        pending: None,
        to_answer: VecDeque::new(),
        next_message: 0,
        ghost: None,
        ghost_tried: false,
        last_fetch: None,
        settled_at_start: true,
    };
    let registered = sim.register(&phones[me]).await;
    if !registered {
        bump(&sim.tally.unregistered);
        sim.tally.error("registration failed");
    }
    ready.wait().await;
    if registered {
        sim.look_up(&phones).await;
    }
    bump(&sim.tally.set_up);
    if registered {
        sim.run().await;
    }
    let counts = sim.client.token_counts();
    ClientReport {
        issued: sim.issued,
        held: counts.total(),
        available: counts.available,
    }
}

impl<L: Link> Sim<L> {
    /// Asks for a code, reads it from the SMS log, registers. Requests leave at once.
    async fn register(&mut self, phone: &PhoneNumber) -> bool {
        self.client
            .request_code(&mut self.rng, now(), phone.clone());
        if !self.settle_at_once().await {
            return false;
        }
        let mut code = None;
        for _ in 0..SETUP_TURNS {
            code = self.link.code(phone);
            if code.is_some() {
                break;
            }
            tokio::time::sleep(IDLE).await;
        }
        let Some(code) = code else { return false };
        let Ok(host_key) = HostKey::new(&self.e2e.host_key()) else {
            return false;
        };
        if self
            .client
            .register(&mut self.rng, now(), phone.clone(), &code, Some(host_key))
            .is_err()
        {
            return false;
        }
        self.settle_at_once().await;
        self.events();
        self.issued > 0
    }

    /// Looks up [`PEERS`] other clients. The lookup's schedule would spread it over the
    /// discovery window (a day), so setup sends everything at once.
    async fn look_up(&mut self, phones: &[PhoneNumber]) {
        let mut wanted = Vec::new();
        for _ in 0..PEERS.min(phones.len().saturating_sub(1)) * 4 {
            let other = self.rng.random_range(0..phones.len());
            if other != self.me && !wanted.contains(&phones[other]) && wanted.len() < PEERS {
                wanted.push(phones[other].clone());
            }
        }
        self.client.handle_timeout(&mut self.rng, now());
        if self.client.lookup(&mut self.rng, now(), wanted).is_err() {
            return;
        }
        self.settle_at_once().await;
        self.events();
    }

    /// Sends every queued request whatever its time, until none is left (bounded).
    async fn settle_at_once(&mut self) -> bool {
        for _ in 0..SETUP_TURNS {
            self.flush(Time::MAX).await;
            if self.client.outstanding() == 0 {
                return true;
            }
            tokio::time::sleep(IDLE).await;
        }
        false
    }

    /// The run and drain phases: one turn at a time until told to stop.
    async fn run(&mut self) {
        loop {
            let phase = self.tally.phase();
            if phase == Phase::Stop {
                return;
            }
            if phase == Phase::Setup {
                tokio::time::sleep(IDLE).await;
                continue;
            }
            let now = now();
            // Only when the client names a time that has come: a timeout is not free (it
            // derives the account id from the identity key, a scalar multiplication).
            if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.handle_timeout(&mut self.rng, now);
            }
            self.flush(now).await;
            self.events();
            if self.last_fetch.is_none_or(|t| t.elapsed() >= FETCH_EVERY) {
                self.last_fetch = Some(Instant::now());
                self.fetch().await;
                self.events();
            }
            if let Some(ghost) = self
                .ghost
                .take_if(|g| g.at.is_some_and(|at| at <= Instant::now()))
            {
                self.spend_again(ghost).await;
            }
            if phase == Phase::Run {
                self.start_work();
            } else {
                self.accept_all();
            }
            self.flush(now).await;
            self.events();
            tokio::time::sleep(IDLE).await;
        }
    }

    /// Sends the requests due by `until`; stops at the first that gets no answer (the client
    /// will send it again at the next turn, perhaps by the other server).
    async fn flush(&mut self, until: Time) {
        for _ in 0..FLUSH_MAX {
            let Some(transmit) = self.client.poll_transmit(until) else {
                return;
            };
            if !self.exchange(&transmit).await {
                return;
            }
        }
    }

    /// One request and its response; false if it got no usable answer.
    async fn exchange(&mut self, transmit: &Transmit) -> bool {
        bump(&self.tally.requests);
        self.settled_at_start = self.tally.settled();
        let sent = self
            .link
            .send(self.route, &self.client, &mut self.rng, now(), transmit)
            .await;
        let response = match sent {
            Ok(bytes) if !store_failed(&bytes) => bytes,
            Ok(_) => {
                self.failed("internal answer".into());
                let _ = self.client.handle_send_failure(transmit.id);
                return false;
            }
            Err(e) => {
                self.failed(e.0);
                // The outbox knows this id: it was just handed out.
                let _ = self.client.handle_send_failure(transmit.id);
                return false;
            }
        };
        if self
            .client
            .handle_response(&mut self.rng, now(), transmit.id, &response)
            .is_err()
        {
            self.tally.error("response refused by the client");
        }
        true
    }

    /// A request got no usable answer: count it and try the other server next time.
    fn failed(&mut self, reason: String) {
        bump(&self.tally.failures);
        // Keep the reason short and free of per-request detail, so kinds add up.
        let kind: String = reason.chars().take(90).collect();
        self.tally.error_since(self.settled_at_start, kind);
        self.route = (self.route + 1) % self.link.routes().max(1);
    }

    /// Fetches queued deliveries, hands them to the client and acknowledges them.
    async fn fetch(&mut self) {
        bump(&self.tally.requests);
        self.settled_at_start = self.tally.settled();
        let fetched = self
            .link
            .fetch(self.route, &self.client, &mut self.rng, now())
            .await;
        let deliveries = match fetched {
            Ok(d) => d,
            Err(e) => {
                self.failed(e.0);
                return;
            }
        };
        let Some(last) = deliveries.iter().map(|(seq, _)| *seq).max() else {
            return;
        };
        let now = now();
        for (_, bytes) in deliveries.iter().take(FETCH_MAX) {
            let Ok(delivery) = Delivery::from_bytes(bytes) else {
                self.tally.error("delivery does not decode");
                continue;
            };
            let opened = match self.e2e.open(delivery.sealed()) {
                Ok(opened) => opened.payload,
                // A delivery handed out again after a crash: opened the first time.
                Err(OpenError::Replayed) => continue,
                Err(e) => {
                    self.tally.error(format!("delivery does not open: {e}"));
                    continue;
                }
            };
            // A copy seen before is dropped by the client without an error.
            if let Err(e) = self.client.handle_delivery(now, bytes, &opened) {
                self.tally.error(format!("delivery refused: {e}"));
            }
        }
        bump(&self.tally.requests);
        let acked = self
            .link
            .ack(self.route, &self.client, &mut self.rng, now, last)
            .await;
        if let Err(e) = acked {
            self.failed(e.0);
        }
    }

    /// Counts a received message and puts its sender on the to-do list.
    fn received(&mut self, contact: AccountId, message: &[u8]) {
        match message_id(message) {
            Some(id) => self.tally.received(id),
            None => self.tally.error("message without an id"),
        }
        if !self.to_answer.contains(&contact) {
            self.to_answer.push_back(contact);
        }
    }

    /// The host key in `contact`'s certificate.
    fn host_key_of(&self, contact: AccountId) -> Option<Vec<u8>> {
        let info = self
            .client
            .contacts()
            .into_iter()
            .find(|c| c.account == contact)?;
        Some(info.certificate.host_key()?.as_bytes().to_vec())
    }

    /// A padded introduction sealed as a first contact to `peer`'s host key; `None` (and an
    /// error in the accounting) if it cannot be.
    fn seal_first_contact(&mut self, peer: &Certificate, payload: &[u8]) -> Option<Vec<u8>> {
        let recipient = account_of(peer);
        let key = peer
            .host_key()
            .map(|k| k.as_bytes().to_vec())
            .unwrap_or_default();
        self.e2e
            .seal_first_contact(&mut self.rng, &key, recipient.as_bytes(), payload)
            .map_err(|e| self.tally.error(format!("cold call not sealed: {e}")))
            .ok()
    }

    /// Reads the client's events into the accounting and the to-do list.
    fn events(&mut self) {
        while let Some(event) = self.client.poll_event() {
            match event {
                Event::Registered { tokens, .. } => self.issued += tokens,
                Event::ColdCallSent { recipient } => self.sent(recipient, true),
                Event::ReplySent { recipient } => self.sent(recipient, false),
                Event::IntroductionReceived {
                    contact,
                    message,
                    host_material,
                    cold_call,
                    ..
                } => {
                    if cold_call {
                        if let Err(e) = self.e2e.accept_offer(contact.as_bytes(), &host_material) {
                            self.tally.error(format!("offer refused: {e}"));
                        }
                    }
                    self.received(contact, &message);
                }
                Event::MessageReceived {
                    contact, message, ..
                } => self.received(contact, &message),
                Event::LookupCompleted { found } => {
                    let own = self.client.account();
                    self.peers
                        .extend(found.into_iter().filter(|c| account_of(c) != own));
                }
                Event::RequestFailed {
                    request, reason, ..
                } => {
                    if matches!(
                        request,
                        RequestType::ColdCall | RequestType::Reply | RequestType::FetchGroupKey
                    ) {
                        let failed = self.pending.take().map(|p| p.recipient);
                        // The cold call the copy would repeat was refused: nothing to repeat.
                        if failed.is_some()
                            && self
                                .ghost
                                .as_ref()
                                .is_some_and(|g| g.at.is_none() && Some(g.spent_on) == failed)
                        {
                            self.ghost = None;
                        }
                    }
                    // A renewal check before the release is the schedule working, not an error.
                    let expected = request == RequestType::RenewToken
                        && reason == FailureReason::Server(ErrorCode::NotReleased);
                    if !expected {
                        self.tally.error(format!("{request:?} failed: {reason:?}"));
                    }
                }
                _ => {}
            }
        }
    }

    /// The server accepted our message to `recipient`.
    fn sent(&mut self, recipient: AccountId, cold_call: bool) {
        let Some(pending) = self.pending.take_if(|p| p.recipient == recipient) else {
            return;
        };
        self.tally.accepted(pending.id);
        let wait = Duration::from_millis(self.rng.random_range(GHOST_DELAY_MS));
        if let Some(ghost) = self.ghost.as_mut().filter(|g| g.spent_on == recipient) {
            ghost.at.get_or_insert(Instant::now() + wait);
        }
        if cold_call && pending.cold_call {
            bump(&self.tally.cold_calls);
        } else {
            bump(&self.tally.replies);
        }
    }

    /// Starts one piece of new work, if no message of ours is in flight: an answer to a
    /// contact, else a cold call to a peer not reached yet.
    fn start_work(&mut self) {
        if self.pending.is_some() || self.client.outstanding() > 0 {
            return;
        }
        if let Some(contact) = self.to_answer.pop_front() {
            self.answer(contact);
        } else {
            self.cold_call();
        }
    }

    /// Replies to `contact` (which also accepts its cold call, if it made one).
    fn answer(&mut self, contact: AccountId) {
        let id = self.message_id();
        let now = now();
        let Some(host_key) = self.host_key_of(contact) else {
            self.tally
                .error("reply not sent: the contact has no host key");
            return;
        };
        let payload =
            match self
                .client
                .compose_reply(&mut self.rng, now, contact, &id.to_be_bytes(), b"")
            {
                Ok(payload) => payload,
                Err(e) => return self.tally.error(format!("reply not sent: {e}")),
            };
        let sealed = match self
            .e2e
            .seal(&mut self.rng, &host_key, contact.as_bytes(), &payload)
        {
            Ok(sealed) => sealed,
            Err(e) => return self.tally.error(format!("reply not sealed: {e}")),
        };
        let sent = self.client.send_reply(&mut self.rng, now, contact, &sealed);
        match sent {
            Ok(_) => {
                self.pending = Some(Pending {
                    id,
                    recipient: contact,
                    cold_call: false,
                })
            }
            Err(e) => self.tally.error(format!("reply not sent: {e}")),
        }
    }

    /// Cold-calls a peer not reached yet, if a token is available. Clients with an even index
    /// first keep a copy of their wallet, once, to try the token again a little later.
    fn cold_call(&mut self) {
        if self.client.token_counts().available == 0 {
            return;
        }
        // Not one that is a contact already: it wrote first, so we answer it instead (and a
        // second introduction within the same second would be ignored as a replay, 13.4).
        let contacts: Vec<AccountId> = self.client.contacts().iter().map(|c| c.account).collect();
        let Some(peer) = self
            .peers
            .iter()
            .find(|p| {
                let account = account_of(p);
                !self.contacted.contains(&account) && !contacts.contains(&account)
            })
            .cloned()
        else {
            return;
        };
        let recipient = account_of(&peer);
        let id = self.message_id();
        let now = now();
        let ghost_state = if !self.ghost_tried && self.me.is_multiple_of(2) {
            self.client.to_bytes().ok().map(|s| s.to_vec())
        } else {
            None
        };
        let offer = self.e2e.offer();
        let payload = match self.client.compose_introduction(
            &mut self.rng,
            now,
            &peer,
            &id.to_be_bytes(),
            &offer,
        ) {
            Ok(payload) => payload,
            Err(e) => return self.tally.error(format!("cold call not sent: {e}")),
        };
        let Some(sealed) = self.seal_first_contact(&peer, &payload) else {
            return;
        };
        let sent = self.client.send_cold_call(now, recipient, &sealed);
        match sent {
            Ok(_) => {
                self.contacted.push(recipient);
                self.pending = Some(Pending {
                    id,
                    recipient,
                    cold_call: true,
                });
                if let Some(state) = ghost_state {
                    self.ghost_tried = true;
                    self.ghost = Some(Ghost {
                        state,
                        spent_on: recipient,
                        at: None,
                    });
                }
            }
            Err(e) => self.tally.error(format!("cold call not sent: {e}")),
        }
    }

    /// Restores the wallet copy and cold-calls another peer with the token it still holds as
    /// available; counts the attempt, and a double spend if the server accepts it.
    async fn spend_again(&mut self, ghost: Ghost) {
        let Ok(mut copy) = Client::from_bytes(&ghost.state, settings()) else {
            self.tally.error("wallet copy does not restore");
            return;
        };
        let Some(peer) = self
            .peers
            .iter()
            .find(|p| account_of(p) != ghost.spent_on)
            .cloned()
        else {
            return;
        };
        let recipient = account_of(&peer);
        let now = now();
        let offer = self.e2e.offer();
        let Ok(payload) =
            copy.compose_introduction(&mut self.rng, now, &peer, &u64::MAX.to_be_bytes(), &offer)
        else {
            return;
        };
        let Some(sealed) = self.seal_first_contact(&peer, &payload) else {
            return;
        };
        if copy.send_cold_call(now, recipient, &sealed).is_err() {
            return;
        }
        bump(&self.tally.double_spends_tried);
        for _ in 0..SETUP_TURNS {
            let Some(transmit) = copy.poll_transmit(Time::MAX) else {
                break;
            };
            bump(&self.tally.requests);
            self.settled_at_start = self.tally.settled();
            let sent = self
                .link
                .send(self.route, &copy, &mut self.rng, now, &transmit)
                .await;
            match sent {
                Ok(bytes) if !store_failed(&bytes) => {
                    let _ = copy.handle_response(&mut self.rng, now, transmit.id, &bytes);
                }
                other => {
                    self.failed(match other {
                        Err(e) => e.0,
                        Ok(_) => "internal answer".into(),
                    });
                    let _ = copy.handle_send_failure(transmit.id);
                    tokio::time::sleep(IDLE).await;
                }
            }
        }
        while let Some(event) = copy.poll_event() {
            if matches!(event, Event::ColdCallSent { .. }) {
                bump(&self.tally.double_spent);
            }
        }
    }

    /// In the drain phase: accepts every contact that wrote, so its token is released.
    fn accept_all(&mut self) {
        while let Some(contact) = self.to_answer.pop_front() {
            if let Err(e) = self.client.accept(&mut self.rng, now(), contact) {
                self.tally.error(format!("accept: {e}"));
            }
        }
    }

    /// A fresh message id: the client's index and a counter.
    fn message_id(&mut self) -> u64 {
        self.next_message += 1;
        (self.me as u64) << 32 | self.next_message
    }
}

/// Whether a response says the server's store failed: an ambiguous failure the host resends
/// byte for byte (SPEC.md 12.1.1: a retry is safe for every record), as for a lost response.
fn store_failed(response: &[u8]) -> bool {
    matches!(
        Response::from_bytes(response),
        Ok(Response::Error {
            code: ErrorCode::Internal,
            ..
        })
    )
}

/// The message id a payload carries.
fn message_id(message: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(message.try_into().ok()?))
}

/// The account a certificate names.
fn account_of(certificate: &Certificate) -> AccountId {
    AccountId::for_identity_key(&certificate.identity_key().to_bytes())
}
