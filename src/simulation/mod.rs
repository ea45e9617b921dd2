//! A whole deployment in one process, for tests, fuzzing, examples and the walkthrough.
//!
//! blindpost is sans-IO: a real deployment wraps the [`Server`] and every [`Client`] in hosts
//! that move bytes, keep time, send SMS, queue deliveries and encrypt payloads end to end. A
//! [`World`] plays all of those hosts at once, deterministically:
//!
//! - **The server's host.** [`World::send`] hands one request to [`Server::handle`] on the
//!   channel the client named, "sends" the verification codes the server asks for into an SMS
//!   inbox ([`World::sms`]) and queues deliveries per account ([`World::queues`]). It logs every
//!   request with its response ([`World::received`]); each entry also notes which account's host
//!   sent it, the ground truth the server never gets, kept apart so that a test can check what
//!   the server could not tell.
//! - **The clients' hosts.** [`World::pump`] shuttles a client's transmits and the responses,
//!   [`World::deliver`] opens its queued deliveries and hands them over, [`World::advance`] moves
//!   the one shared clock and runs the client's timers. Higher steps ([`World::register`],
//!   [`World::lookup_one`], [`World::cold_call`], [`World::reply`]) do what an app would.
//!   Everything handed to a client is logged too ([`World::given`]).
//! - **End-to-end encryption** is the real one every host in this repository uses
//!   ([`blindpost_e2e`], SPEC.md 17.7): one [`E2eState`] per account's host, made with the
//!   client, its host key registered in the certificate. A cold call carries an Olm offer and
//!   is sealed with HPKE to the certificate's host key ([`World::seal_first_contact`]); replies
//!   go through the Olm ratchet ([`World::seal_reply`]); [`World::deliver`] opens, hands the
//!   payload over, starts the ratchet on a cold call and checks the sender.
//!
//! Randomness comes from one [`VectorRng`], so a world built from the same seed replays
//! exactly, except for the sealed bytes: Olm draws its keys from the operating system, so
//! sealed payloads differ from run to run (their lengths do not, and nothing the server or
//! the clients decide depends on their content). The helpers panic on anything unexpected (a client refusing a response the server
//! sent, a missing SMS): in a test that is a failure, reported where it happened. Requests built
//! by hand, for tests that control every field, are in [`raw`].
//!
//! ```
//! use blindpost::simulation::World;
//!
//! let mut world = World::new("doc example");
//! let mut alice = world.new_client();
//! let mut bob = world.new_client();
//! world.register(&mut alice, "+15550001");
//! world.register(&mut bob, "+15550002");
//!
//! let bob_certificate = world.lookup_one(&mut alice, "+15550002");
//! world.cold_call(&mut alice, &bob_certificate, b"hello");
//! let events = world.deliver(&mut bob);
//! assert!(events
//!     .iter()
//!     .any(|e| matches!(e, blindpost::client::Event::IntroductionReceived { .. })));
//! ```
// A test device: an unexpected outcome is a failed test, reported by panicking as `assert!`
// does, so the crate's no-panic lints do not apply here.
#![allow(clippy::expect_used, clippy::panic)]

pub mod adversary;
pub mod population;
pub mod raw;

pub use blindpost_e2e::{E2eState, OpenError, Opened};

use crate::account::{AccountId, Channel};
use crate::certificate::{Certificate, HostKey, PhoneNumber};
use crate::client::{Client, ClientSettings, Delay, Event, RequestId, Transmit};
use crate::server::{Output, Server, ServerConfig, ServerSecrets};
use crate::store::{KeyValue, MemoryStore, Store};
use crate::vector_rng::VectorRng;
use crate::wire::{Delivery, DeliveryHandle, ErrorCode, RequestType, Response};
use crate::Time;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

/// The start of every world's clock (2027-01-15 08:00 UTC).
pub const T0: Time = Time::from_unix_secs(1_800_000_000);

/// The issuer name of the servers [`World::new`] makes.
pub const ISSUER_NAME: &[u8] = b"blindpost.test";

/// Client settings with short delays, so that a simulated conversation reaches releases and
/// renewals within hours: an exponential release delay of 600 to 3600 s (mean 1200), a
/// renewal check every 1800 s, background work after an exponential delay of mean 600 s (at
/// most 3600 s), and 2 discovery tokens per window.
pub fn settings() -> ClientSettings {
    ClientSettings {
        release_delay: Delay::Exponential {
            min: 600,
            mean: 1200,
            max: 3600,
        },
        background_delay: Delay::Exponential {
            min: 0,
            mean: 600,
            max: 3600,
        },
        renewal_interval: 1800,
        discovery_tokens: 2,
        ..ClientSettings::default()
    }
}

/// How the clients' hosts treat the time each request may leave at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostTiming {
    /// A request leaves when its time has come (SPEC.md 13.6): [`World::pump`] sends what is
    /// due now, and the higher steps move the clock on until their requests have left.
    Scheduled,
    /// Every queued request leaves at once, whatever its time: the schedule is ignored, as a
    /// careless host would (and as the first client did). For tests about the protocol's
    /// answers rather than its timing, and as the traffic-analysis adversary's control.
    SendAtOnce,
}

/// The most clock moves [`World::settle`] makes before it gives up.
const SETTLE_STEPS: usize = 10_000;

/// Every event `client` has queued, in order.
pub fn events(client: &mut Client) -> Vec<Event> {
    core::iter::from_fn(|| client.poll_event()).collect()
}

/// One request the server received, as its host logged it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The server's clock when it handled the request.
    pub now: Time,
    /// The channel it came by: all the server knows of its origin.
    pub channel: Channel,
    /// The request bytes.
    pub bytes: Vec<u8>,
    /// The response bytes.
    pub response: Vec<u8>,
    /// The type of request the server answered (from its response).
    pub request_type: RequestType,
    /// The refusal's code, `None` if the request was accepted.
    pub refused: Option<ErrorCode>,
    /// The delivery handle of an accepted cold call.
    pub handle: Option<DeliveryHandle>,
    /// Ground truth: the account whose host sent it (`None` for requests a test sent as no
    /// client). The server never gets this.
    pub sender: Option<AccountId>,
    /// Entries the request added or changed in the store (key, new value), when
    /// [`World::track_store`] is on.
    pub stored: Vec<KeyValue>,
}

/// Something a client's host handed to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The response to one of its requests.
    Response {
        /// The request it answers.
        id: RequestId,
        /// The response bytes.
        bytes: Vec<u8>,
    },
    /// A delivery from its queue, with the payload its host opened.
    Delivery {
        /// The delivery bytes.
        delivery: Vec<u8>,
        /// The opened payload.
        opened: Vec<u8>,
    },
    /// A run of its timers.
    Timeout,
}

/// One [`Input`] with the client and the time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Given {
    /// The client's account.
    pub account: AccountId,
    /// The clock.
    pub now: Time,
    /// What it got.
    pub input: Input,
}

/// Called with every response before the client gets it (the client, its transmit, the
/// response bytes and the clock).
pub type ResponseHook = Box<dyn FnMut(&mut Client, &Transmit, &[u8], Time)>;
/// Called with every delivery and its opened payload before the client gets them (and the clock).
pub type DeliveryHook = Box<dyn FnMut(&mut Client, &[u8], &[u8], Time)>;

/// A store whose live entries the world can list (to snapshot the server's state).
pub trait Inspect: Store {
    /// Every live entry at `now`, in key order.
    fn entries(&self, now: Time) -> Vec<KeyValue>;
}

impl Inspect for MemoryStore {
    fn entries(&self, now: Time) -> Vec<KeyValue> {
        self.snapshot(now)
            .expect("the memory store lists its entries")
    }
}

/// One server, its host and the hosts of every client, with one clock and one generator.
pub struct World<S: Store = MemoryStore> {
    /// The server.
    pub server: Server<S>,
    /// The clock (Unix seconds), the same for everybody.
    pub now: Time,
    /// The one generator of the run.
    pub rng: VectorRng,
    /// Deliveries queued per account (bytes of [`Delivery`]), oldest first.
    pub queues: BTreeMap<AccountId, Vec<Vec<u8>>>,
    /// The SMS inbox: every code the server asked its host to send, oldest first.
    pub sms: Vec<(PhoneNumber, String)>,
    /// Every request the server received, in order.
    pub received: Vec<Received>,
    /// Every delivery the server produced, in order (a duplicate would show here even after
    /// its queue is emptied).
    pub delivered: Vec<(AccountId, Vec<u8>)>,
    /// Everything handed to a client, in order.
    pub given: Vec<Given>,
    /// Lists the store's live entries when [`World::track_store`] is on: [`Received::stored`]
    /// then records what each request wrote (two listings per request).
    store_lister: Option<fn(&S, Time) -> Vec<KeyValue>>,
    /// Runs on every response before the client gets it.
    pub response_hook: Option<ResponseHook>,
    /// Runs on every delivery before the client gets it.
    pub delivery_hook: Option<DeliveryHook>,
    /// How the clients' hosts time their requests ([`HostTiming::SendAtOnce`] unless set).
    pub timing: HostTiming,
    /// The end-to-end state of each account's host (SPEC.md 17.7).
    pub e2e: BTreeMap<AccountId, E2eState>,
}

impl World {
    /// A world whose server has the default configuration, keys generated from `seed`.
    pub fn new(seed: &str) -> Self {
        Self::with_config(seed, ServerConfig::default())
    }

    /// A world whose server has `config`, keys generated from `seed`.
    pub fn with_config(seed: &str, config: ServerConfig) -> Self {
        Self::with_store(seed, config, MemoryStore::new())
    }
}

impl<S: Store> World<S> {
    /// A world whose server has `config` and runs over `store`, keys generated from `seed`.
    pub fn with_store(seed: &str, config: ServerConfig, store: S) -> Self {
        let mut rng = VectorRng::new(seed.as_bytes());
        let secrets = ServerSecrets::generate(&mut rng, T0, ISSUER_NAME, &config.discovery)
            .expect("the default discovery configuration is valid");
        let server = Server::new(config, secrets, store).expect("generated secrets fit");
        Self::with_server(server, rng, T0)
    }

    /// A world around a server the caller built, with its clock at `now`.
    pub fn with_server(server: Server<S>, rng: VectorRng, now: Time) -> Self {
        Self {
            server,
            now,
            rng,
            queues: BTreeMap::new(),
            sms: Vec::new(),
            received: Vec::new(),
            delivered: Vec::new(),
            given: Vec::new(),
            store_lister: None,
            response_hook: None,
            delivery_hook: None,
            timing: HostTiming::SendAtOnce,
            e2e: BTreeMap::new(),
        }
    }

    /// A new client with [`settings`] and its host's end-to-end state.
    pub fn new_client(&mut self) -> Client {
        self.new_client_with(settings())
    }

    /// A new client with `settings` and its host's end-to-end state.
    pub fn new_client_with(&mut self, settings: ClientSettings) -> Client {
        let client = Client::new(&mut self.rng, self.server.public_keys(), settings);
        self.add_host(client.account());
        client
    }

    /// Gives the host of `account` a fresh end-to-end state (done by [`World::new_client`];
    /// for clients made otherwise) and returns its host key, for registration.
    pub fn add_host(&mut self, account: AccountId) -> HostKey {
        let state = E2eState::generate(&mut self.rng, *account.as_bytes());
        self.e2e.insert(account, state);
        self.host_key(&account)
    }

    /// The host key of `account`'s host, as its certificate carries it.
    pub fn host_key(&self, account: &AccountId) -> HostKey {
        HostKey::new(&self.host(account).host_key()).expect("a host key fits a certificate")
    }

    /// The end-to-end state of `account`'s host.
    pub fn host(&self, account: &AccountId) -> &E2eState {
        self.e2e
            .get(account)
            .expect("the simulation made a host for the account")
    }

    fn host_mut(&mut self, account: &AccountId) -> &mut E2eState {
        self.e2e
            .get_mut(account)
            .expect("the simulation made a host for the account")
    }

    // ----- The server's host -----

    /// Hands one request to the server as its host would, from no client.
    pub fn send(&mut self, channel: Channel, bytes: &[u8]) -> Vec<u8> {
        self.send_from(None, channel, bytes)
    }

    /// Hands one request from the host of `sender` to the server, carries out what the server
    /// asks (SMS, queueing), logs it and returns the response bytes.
    pub fn send_from(
        &mut self,
        sender: Option<AccountId>,
        channel: Channel,
        bytes: &[u8],
    ) -> Vec<u8> {
        let before = self
            .store_lister
            .map(|list| list(self.server.store(), self.now));
        let handled = self.server.handle(&mut self.rng, self.now, channel, bytes);
        let stored = match before {
            Some(before) => {
                let before: BTreeMap<_, _> = before.into_iter().collect();
                self.store_lister
                    .map(|list| list(self.server.store(), self.now))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(k, v)| before.get(k) != Some(v))
                    .collect()
            }
            None => Vec::new(),
        };
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
                    let bytes = delivery.to_bytes();
                    self.delivered.push((recipient, bytes.clone()));
                    self.queues.entry(recipient).or_default().push(bytes);
                }
            }
        }
        self.received.push(Received {
            now: self.now,
            channel,
            bytes: bytes.to_vec(),
            response: handled.response.clone(),
            request_type: handled.decoded.request_type(),
            refused,
            handle,
            sender,
            stored,
        });
        handled.response
    }

    /// The last code the server sent to `phone` by SMS.
    pub fn last_code(&self, phone: &PhoneNumber) -> Option<String> {
        self.sms
            .iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, code)| code.clone())
    }

    /// The queued deliveries of `account`, decoded (they stay queued).
    pub fn queued(&self, account: &AccountId) -> Vec<Delivery> {
        self.queues
            .get(account)
            .map(|q| {
                q.iter()
                    .map(|b| Delivery::from_bytes(b).expect("the server queues valid deliveries"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Takes the queued deliveries of `account` (bytes of [`Delivery`]), oldest first.
    pub fn take_queued(&mut self, account: &AccountId) -> Vec<Vec<u8>> {
        self.queues.remove(account).unwrap_or_default()
    }

    // ----- End-to-end encryption (SPEC.md 17.7) -----

    /// A fresh Olm offer from `from`'s host, for a cold call's host material.
    pub fn offer(&mut self, from: &AccountId) -> [u8; blindpost_e2e::OFFER_LEN] {
        self.host_mut(from).offer()
    }

    /// Seals a padded introduction from `from` for the owner of `to` (HPKE to the host key
    /// `to` carries). Panics if `to` has no host key.
    pub fn seal_first_contact(
        &mut self,
        from: &AccountId,
        to: &Certificate,
        padded: &[u8],
    ) -> Vec<u8> {
        let recipient = AccountId::for_identity_key(&to.identity_key().to_bytes());
        let key = to
            .host_key()
            .expect("the recipient's certificate has a host key");
        let host = self
            .e2e
            .get(from)
            .expect("the simulation made a host for the account");
        host.seal_first_contact(&mut self.rng, key.as_bytes(), recipient.as_bytes(), padded)
            .expect("a padded introduction seals")
    }

    /// Seals a padded reply of `from` to its contact `to` through their ratchet, to the host
    /// key of `to`'s certificate; as a first contact if they have no session (a cold call a
    /// test composed by hand carried no offer). Panics if `to` is no contact.
    pub fn seal_reply(&mut self, from: &Client, to: &AccountId, padded: &[u8]) -> Vec<u8> {
        let certificate = from
            .contacts()
            .into_iter()
            .find(|c| c.account == *to)
            .expect("the recipient is a contact")
            .certificate;
        let key = certificate
            .host_key()
            .expect("the contact's certificate has a host key");
        self.seal_with_key(&from.account(), to, key.as_bytes(), padded)
    }

    /// Seals a padded payload from `from`'s host to `to`'s, as a host would with what it
    /// has: through their ratchet once `from` has a session with `to`, else as a first contact
    /// to `to`'s host key (for tests that compose cold calls and replies by hand).
    pub fn seal(&mut self, from: &AccountId, to: &AccountId, padded: &[u8]) -> Vec<u8> {
        let key = self.host(to).host_key();
        self.seal_with_key(from, to, &key, padded)
    }

    /// Seals from `from`'s host to `to` under host key `key`: through their ratchet if they
    /// have a session, else as a first contact.
    fn seal_with_key(
        &mut self,
        from: &AccountId,
        to: &AccountId,
        key: &[u8],
        padded: &[u8],
    ) -> Vec<u8> {
        let host = self
            .e2e
            .get_mut(from)
            .expect("the simulation made a host for the account");
        let sealed = if host.has_session(to.as_bytes()) {
            host.seal(&mut self.rng, key, to.as_bytes(), padded)
        } else {
            host.seal_first_contact(&mut self.rng, key, to.as_bytes(), padded)
        };
        sealed.expect("a padded payload seals")
    }

    /// Opens a payload sealed for `me`'s host.
    pub fn open(&mut self, me: &AccountId, sealed: &[u8]) -> Result<Opened, OpenError> {
        self.host_mut(me).open(sealed)
    }

    /// What `me`'s host does with the events its client raised on a payload from `sender`:
    /// the contact they name must be the sender the frame named, and a cold call's offer
    /// starts the ratchet towards the caller. Panics on a mismatch or a bad offer.
    pub fn host_events(&mut self, me: &AccountId, opened: &Opened, events: &[Event]) {
        for event in events {
            match event {
                Event::IntroductionReceived {
                    contact,
                    host_material,
                    cold_call,
                    ..
                } => {
                    assert_eq!(contact.as_bytes(), &opened.sender, "the frame's sender");
                    // A cold call composed by hand may carry other host material.
                    if *cold_call && host_material.len() == blindpost_e2e::OFFER_LEN {
                        self.host_mut(me)
                            .accept_offer(contact.as_bytes(), host_material)
                            .expect("a cold call carries an offer");
                    }
                }
                Event::MessageReceived { contact, .. } => {
                    assert_eq!(contact.as_bytes(), &opened.sender, "the frame's sender");
                }
                _ => {}
            }
        }
    }

    // ----- The clients' hosts -----

    /// Sends one transmit of `client` and feeds the response back.
    pub fn exchange(&mut self, client: &mut Client, t: Transmit) {
        let response = self.send_from(Some(client.account()), t.channel, &t.bytes);
        let now = self.now;
        if let Some(hook) = self.response_hook.as_mut() {
            hook(client, &t, &response, now);
        }
        self.given.push(Given {
            account: client.account(),
            now,
            input: Input::Response {
                id: t.id,
                bytes: response.clone(),
            },
        });
        if let Err(e) = client.handle_response(&mut self.rng, now, t.id, &response) {
            panic!("the client refused the server's response: {e}");
        }
    }

    /// Sends the requests of `client` that may leave now (all of them, under
    /// [`HostTiming::SendAtOnce`]), and what their responses queue.
    pub fn pump(&mut self, client: &mut Client) {
        let until = match self.timing {
            HostTiming::Scheduled => self.now,
            HostTiming::SendAtOnce => Time::MAX,
        };
        while let Some(t) = client.poll_transmit(until) {
            self.exchange(client, t);
        }
    }

    /// Runs `client`'s host until it has no request left to send: sends what is due, and
    /// moves the clock to the next time the client names (running its timers there), as
    /// often as needed. Other clients' hosts do not run meanwhile.
    pub fn settle(&mut self, client: &mut Client) {
        self.pump(client);
        for _ in 0..SETTLE_STEPS {
            if client.outstanding() == 0 {
                return;
            }
            let next = client
                .poll_timeout()
                .expect("a client with requests to send names a time");
            self.now = self.now.max(next);
            self.timeout(client);
            self.pump(client);
        }
        panic!("the client still has requests after {SETTLE_STEPS} clock moves");
    }

    /// Opens every queued delivery of `client` and hands it over, as its host would (a
    /// replayed one, which the server queued again, is dropped; the host checks each event's
    /// contact and accepts cold calls' offers); returns the events.
    pub fn deliver(&mut self, client: &mut Client) -> Vec<Event> {
        let me = client.account();
        let mut all = events(client);
        for bytes in self.take_queued(&me) {
            let delivery =
                Delivery::from_bytes(&bytes).expect("the server queues valid deliveries");
            let opened = match self.open(&me, delivery.sealed()) {
                Ok(opened) => opened,
                Err(OpenError::Replayed) => continue,
                Err(e) => panic!("{e}"),
            };
            self.hand_delivery(client, bytes, opened.payload.clone());
            let new = events(client);
            self.host_events(&me, &opened, &new);
            all.extend(new);
        }
        all
    }

    /// Hands one delivery and its opened payload to `client` (running the delivery hook).
    pub fn hand_delivery(&mut self, client: &mut Client, delivery: Vec<u8>, opened: Vec<u8>) {
        let now = self.now;
        if let Some(hook) = self.delivery_hook.as_mut() {
            hook(client, &delivery, &opened, now);
        }
        if let Err(e) = client.handle_delivery(now, &delivery, &opened) {
            panic!("the client refused a delivery: {e}");
        }
        self.given.push(Given {
            account: client.account(),
            now,
            input: Input::Delivery { delivery, opened },
        });
    }

    /// Runs `client`'s timers at the current time (what they queue is not sent yet).
    pub fn timeout(&mut self, client: &mut Client) {
        self.given.push(Given {
            account: client.account(),
            now: self.now,
            input: Input::Timeout,
        });
        client.handle_timeout(&mut self.rng, self.now);
    }

    /// Advances the clock by `seconds`, runs `client`'s timers and sends what they queued.
    pub fn advance(&mut self, client: &mut Client, seconds: u64) {
        self.now = self
            .now
            .checked_add(seconds)
            .expect("the clock stays in range");
        self.timeout(client);
        self.pump(client);
    }

    /// Registers `client` under `phone`: asks for a code, reads the SMS, registers; returns the
    /// events.
    pub fn register(&mut self, client: &mut Client, phone: &str) -> Vec<Event> {
        let phone = PhoneNumber::parse(phone).expect("a valid phone number");
        client.request_code(&mut self.rng, self.now, phone.clone());
        self.pump(client);
        let code = self.last_code(&phone).expect("the server sent a code");
        let host_key = self.host_key(&client.account());
        client
            .register(&mut self.rng, self.now, phone, &code, Some(host_key))
            .expect("the client accepts its code");
        self.pump(client);
        events(client)
    }

    /// Looks up `phone` for `client` and returns the certificate found.
    pub fn lookup_one(&mut self, client: &mut Client, phone: &str) -> Certificate {
        let phone = PhoneNumber::parse(phone).expect("a valid phone number");
        client
            .lookup(&mut self.rng, self.now, vec![phone])
            .expect("the client can look up");
        self.settle(client);
        events(client)
            .into_iter()
            .find_map(|e| match e {
                Event::LookupCompleted { found } => found.into_iter().next(),
                _ => None,
            })
            .expect("the number has an account")
    }

    /// `from` introduces itself to the owner of `to` with a cold call carrying `message`.
    pub fn cold_call(&mut self, from: &mut Client, to: &Certificate, message: &[u8]) {
        let recipient = AccountId::for_identity_key(&to.identity_key().to_bytes());
        let offer = self.offer(&from.account());
        let intro = from
            .compose_introduction(&mut self.rng, self.now, to, message, &offer)
            .expect("the client composes an introduction");
        let sealed = self.seal_first_contact(&from.account(), to, &intro);
        from.send_cold_call(self.now, recipient, &sealed)
            .expect("the client holds a token");
        self.pump(from);
    }

    /// `from` writes `message` to its contact `to` under `to`'s group.
    pub fn reply(&mut self, from: &mut Client, to: AccountId, message: &[u8]) {
        let payload = from
            .compose_reply(&mut self.rng, self.now, to, message, b"")
            .expect("the client composes a reply");
        let sealed = self.seal_reply(from, &to, &payload);
        from.send_reply(&mut self.rng, self.now, to, &sealed)
            .expect("the client can reply");
        self.settle(from);
    }
}

impl<S: Inspect> World<S> {
    /// Records in [`Received::stored`] what each later request wrote (two store listings per
    /// request; off by default, and only for stores that can list their entries).
    pub fn track_store(&mut self) {
        self.store_lister = Some(|store, now| store.entries(now));
    }

    /// Every live store entry.
    pub fn snapshot(&self) -> Vec<KeyValue> {
        self.server.store().entries(self.now)
    }
}
