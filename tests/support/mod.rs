//! A test world: one in-memory server, its host's queues, and a host for each client that
//! seals payloads end to end, shuttles requests and responses, and keeps time.
#![allow(dead_code)]

mod conversation;
#[allow(unused_imports)]
pub use conversation::{conversation, Conversation};

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{GroupManagerKey, GroupPublicKey};
use blindpost::bls::SecretKey;
use blindpost::certificate::Certificate;
use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, ClientSettings, Event, ReleaseDelay, Transmit};
use blindpost::server::{Output, Server, ServerConfig, ServerSecrets};
use blindpost::store::{KeyValue, MemoryStore, Store, StoreError};
use blindpost::token::{
    Client as TokenClient, PendingToken, Token, TokenChallenge, TokenKeySet, TokenRequest,
};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{ColdCallRequest, Delivery, ErrorCode, RegisterRequest, Request, Response};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The start of every test world's clock.
pub const T0: u64 = 1_800_000_000;

/// What the server received: the channel and the bytes, with the response it gave, which
/// account's host sent it (known to the test, not to the server) and what the request changed
/// in the store (when [`World::track_store`] is on).
#[derive(Clone, Debug)]
pub struct Received {
    pub channel: Channel,
    pub bytes: Vec<u8>,
    pub response: Vec<u8>,
    pub sender: Option<AccountId>,
    /// The server's clock when it handled the request.
    pub now: u64,
    /// Entries that the request added or changed (key, new value), if tracked.
    pub stored: Vec<KeyValue>,
}

pub struct World<S: Inspect = MemoryStore> {
    pub server: Server<S>,
    pub now: u64,
    pub rng: VectorRng,
    /// Deliveries queued per account (bytes of `Delivery`).
    pub queues: BTreeMap<AccountId, Vec<Vec<u8>>>,
    /// Codes the server asked its host to send.
    pub sms: Vec<(PhoneNumber, String)>,
    /// Every request the server received.
    pub received: Vec<Received>,
    /// Sealing keys of the hosts' end-to-end encryption, per account.
    pub seal_keys: BTreeMap<AccountId, [u8; 32]>,
    /// Every delivery the server produced, in order (duplicates would show here).
    pub delivered: Vec<(AccountId, Vec<u8>)>,
    /// Record in [`Received::stored`] what each request wrote to the store (two snapshots per
    /// request: for the tests that inspect the server's state).
    pub track_store: bool,
    /// Called with every response before the client gets it (and the server's clock).
    pub response_hook: Option<ResponseHook>,
    /// Called with every delivery and its opened payload before the client gets them.
    pub delivery_hook: Option<DeliveryHook>,
}

pub type ResponseHook = Box<dyn FnMut(&mut Client, &Transmit, &[u8], u64)>;
pub type DeliveryHook = Box<dyn FnMut(&mut Client, &[u8], &[u8], u64)>;

pub fn settings() -> ClientSettings {
    ClientSettings {
        // Exponential here, so that every protocol test runs it; the walkthrough uses the
        // default, uniform.
        release_delay: ReleaseDelay::Exponential {
            min: 600,
            mean: 1200,
            max: 3600,
        },
        renewal_interval: 1800,
        ..ClientSettings::default()
    }
}

impl World {
    pub fn new(seed: &str) -> Self {
        Self::with_config(seed, ServerConfig::default())
    }

    pub fn with_config(seed: &str, config: ServerConfig) -> Self {
        World::with_store(seed, config, MemoryStore::new())
    }

    /// Every event the client has (an associated function for the flow tests; see [`events`]).
    pub fn events(client: &mut Client) -> Vec<Event> {
        events(client)
    }
}

/// Every event the client has.
pub fn events(client: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

/// A store whose state a test can list.
pub trait Inspect: Store {
    fn entries(&self, now: u64) -> Vec<KeyValue>;
}

impl Inspect for MemoryStore {
    fn entries(&self, now: u64) -> Vec<KeyValue> {
        self.snapshot(now).unwrap()
    }
}

/// The in-memory store, but every operation first yields its thread and pauses briefly (while
/// `contended` is set), so that concurrent requests interleave between the store operations of
/// one request as they would against a networked database. A server that made a decision from
/// a read followed by a separate write would lose races here.
#[derive(Default)]
pub struct Contended {
    pub inner: MemoryStore,
    pub contended: std::sync::atomic::AtomicBool,
}

impl Contended {
    fn pause(&self) {
        if self.contended.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::yield_now();
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

impl Store for Contended {
    fn get(&self, key: &[u8], now: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.pause();
        self.inner.get(key, now)
    }
    fn put(&self, key: &[u8], value: &[u8], exp: Option<u64>, now: u64) -> Result<(), StoreError> {
        self.pause();
        self.inner.put(key, value, exp, now)
    }
    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        exp: Option<u64>,
        now: u64,
    ) -> Result<bool, StoreError> {
        self.pause();
        self.inner.insert_if_absent(key, value, exp, now)
    }
    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        exp: Option<u64>,
        now: u64,
    ) -> Result<bool, StoreError> {
        self.pause();
        self.inner.replace_if_matches(key, expected, new, exp, now)
    }
    fn delete_if_matches(&self, key: &[u8], expected: &[u8], now: u64) -> Result<bool, StoreError> {
        self.pause();
        self.inner.delete_if_matches(key, expected, now)
    }
    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        exp: Option<u64>,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        self.pause();
        self.inner.add_within_limit(key, amount, limit, exp, now)
    }
    fn purge_expired(&self, now: u64) -> Result<usize, StoreError> {
        self.inner.purge_expired(now)
    }
    fn entry_count(&self) -> Result<usize, StoreError> {
        self.inner.entry_count()
    }
}

impl Inspect for Contended {
    fn entries(&self, now: u64) -> Vec<KeyValue> {
        self.inner.snapshot(now).unwrap()
    }
}

impl<S: Inspect> World<S> {
    pub fn with_store(seed: &str, config: ServerConfig, store: S) -> Self {
        let mut rng = VectorRng::new(seed.as_bytes());
        let secrets =
            ServerSecrets::generate(&mut rng, T0, b"blindpost.test", &config.discovery).unwrap();
        let server = Server::new(config, secrets, store).unwrap();
        Self {
            server,
            now: T0,
            rng,
            queues: BTreeMap::new(),
            sms: Vec::new(),
            received: Vec::new(),
            seal_keys: BTreeMap::new(),
            delivered: Vec::new(),
            track_store: false,
            response_hook: None,
            delivery_hook: None,
        }
    }

    pub fn new_client(&mut self) -> Client {
        self.new_client_with(settings())
    }

    pub fn new_client_with(&mut self, settings: ClientSettings) -> Client {
        let client = Client::new(&mut self.rng, self.server.public_keys(), settings);
        let mut key = [0u8; 32];
        rand_core::Rng::fill_bytes(&mut self.rng, &mut key);
        self.seal_keys.insert(client.account(), key);
        client
    }

    /// Sends one request to the server as its host would.
    pub fn send(&mut self, channel: Channel, bytes: &[u8]) -> Vec<u8> {
        self.send_from(None, channel, bytes)
    }

    /// Sends one request from the host of `sender` (recorded for the test only).
    pub fn send_from(
        &mut self,
        sender: Option<AccountId>,
        channel: Channel,
        bytes: &[u8],
    ) -> Vec<u8> {
        let before = self.track_store.then(|| self.snapshot());
        let handled = self.server.handle(&mut self.rng, self.now, channel, bytes);
        let stored = match before {
            Some(before) => {
                let before: BTreeMap<_, _> = before.into_iter().collect();
                self.snapshot()
                    .into_iter()
                    .filter(|(k, v)| before.get(k) != Some(v))
                    .collect()
            }
            None => Vec::new(),
        };
        self.received.push(Received {
            channel,
            bytes: bytes.to_vec(),
            response: handled.response.clone(),
            sender,
            now: self.now,
            stored,
        });
        for output in handled.outputs {
            match output {
                Output::SendCode { phone, code } => {
                    self.sms.push((phone, code.as_str().to_string()))
                }
                Output::Deliver {
                    recipient,
                    delivery,
                } => {
                    self.delivered.push((recipient, delivery.to_bytes()));
                    self.queues
                        .entry(recipient)
                        .or_default()
                        .push(delivery.to_bytes());
                }
            }
        }
        handled.response
    }

    /// Delivers one transmit and feeds the response back.
    pub fn exchange(&mut self, client: &mut Client, t: Transmit) {
        let response = self.send_from(Some(client.account()), t.channel, &t.bytes);
        let now = self.now;
        if let Some(hook) = self.response_hook.as_mut() {
            hook(client, &t, &response, now);
        }
        client
            .handle_response(&mut self.rng, self.now, t.id, &response)
            .unwrap();
    }

    /// Sends every outstanding request until the client has none left.
    pub fn pump(&mut self, client: &mut Client) {
        while let Some(t) = client.poll_transmit() {
            self.exchange(client, t);
        }
    }

    /// Registers `client` under `phone`: asks for a code, reads the SMS, registers.
    pub fn register(&mut self, client: &mut Client, phone: &str) -> Vec<Event> {
        let phone = PhoneNumber::parse(phone).unwrap();
        client.request_code(phone.clone());
        self.pump(client);
        let code = self
            .sms
            .iter()
            .rev()
            .find(|(p, _)| *p == phone)
            .unwrap()
            .1
            .clone();
        client
            .register(&mut self.rng, self.now, phone, &code, None)
            .unwrap();
        self.pump(client);
        events(client)
    }

    /// The host's end-to-end sealing (a stand-in for the Double Ratchet: a SHA-256 keystream
    /// under a key only the two hosts know, with a tag).
    pub fn seal(&self, to: &AccountId, plaintext: &[u8]) -> Vec<u8> {
        let key = self.seal_keys[to];
        let mut out: Vec<u8> = plaintext
            .iter()
            .zip(keystream(&key, plaintext.len()))
            .map(|(a, b)| a ^ b)
            .collect();
        out.extend_from_slice(&tag(&key, &out));
        out
    }

    pub fn open(&self, me: &AccountId, sealed: &[u8]) -> Vec<u8> {
        let key = self.seal_keys[me];
        let (body, t) = sealed.split_at(sealed.len() - 32);
        assert_eq!(t, tag(&key, body), "seal tag");
        body.iter()
            .zip(keystream(&key, body.len()))
            .map(|(a, b)| a ^ b)
            .collect()
    }

    /// Looks up `phone` for `client` and returns the certificate found.
    pub fn lookup_one(&mut self, client: &mut Client, phone: &str) -> Certificate {
        let phone = PhoneNumber::parse(phone).unwrap();
        client.lookup(&mut self.rng, self.now, vec![phone]).unwrap();
        self.pump(client);
        events(client)
            .into_iter()
            .find_map(|e| match e {
                Event::LookupCompleted { found } => found.into_iter().next(),
                _ => None,
            })
            .expect("the number has an account")
    }

    /// `from` introduces itself to the owner of `to` with a cold call.
    pub fn cold_call(&mut self, from: &mut Client, to: &Certificate, message: &[u8]) {
        let recipient = AccountId::for_identity_key(&to.identity_key().to_bytes());
        let intro = from
            .compose_introduction(&mut self.rng, self.now, to, message, b"")
            .unwrap();
        let sealed = self.seal(&recipient, &intro);
        from.send_cold_call(recipient, &sealed).unwrap();
        self.pump(from);
    }

    /// `from` writes to its contact `to` under `to`'s group.
    pub fn reply(&mut self, from: &mut Client, to: AccountId, message: &[u8]) {
        let payload = from
            .compose_reply(&mut self.rng, self.now, to, message, b"")
            .unwrap();
        let sealed = self.seal(&to, &payload);
        from.send_reply(&mut self.rng, self.now, to, &sealed)
            .unwrap();
        self.pump(from);
    }

    /// Hands every queued delivery to its client (opening the payload as the host would).
    pub fn deliver(&mut self, client: &mut Client) -> Vec<Event> {
        let me = client.account();
        let queued = self.queues.remove(&me).unwrap_or_default();
        for bytes in queued {
            let delivery = Delivery::from_bytes(&bytes).unwrap();
            let opened = self.open(&me, delivery.sealed());
            let now = self.now;
            if let Some(hook) = self.delivery_hook.as_mut() {
                hook(client, &bytes, &opened, now);
            }
            client.handle_delivery(self.now, &bytes, &opened).unwrap();
        }
        events(client)
    }

    /// Advances the clock and runs the client's timers and requests.
    pub fn advance(&mut self, client: &mut Client, seconds: u64) {
        self.now += seconds;
        client.handle_timeout(&mut self.rng, self.now);
        self.pump(client);
    }
}

// ----- Requests built by hand, for tests that need exact control over what is sent -----

pub fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

/// The decoded response (panics on bytes that do not decode: the server only sends valid ones).
pub fn decode(response: &[u8]) -> Response {
    Response::from_bytes(response).unwrap()
}

/// The error code of a refusal, `None` for a success.
pub fn error_code(response: &[u8]) -> Option<ErrorCode> {
    match decode(response) {
        Response::Error { code, .. } => Some(code),
        _ => None,
    }
}

/// An account registered without the client state machine: the test holds its secrets.
pub struct RawAccount {
    pub phone: PhoneNumber,
    pub identity: SecretKey,
    pub group: GroupManagerKey,
    pub certificate: Certificate,
    pub tokens: Vec<Token>,
}

impl RawAccount {
    pub fn account(&self) -> AccountId {
        AccountId::for_identity_key(&self.identity.public_key().to_bytes())
    }

    /// The channel the host authenticates this account on.
    pub fn channel(&self) -> Channel {
        Channel::Authenticated(self.account())
    }
}

pub fn register_bytes(
    phone: &PhoneNumber,
    code: &str,
    identity: &SecretKey,
    group_key: &GroupPublicKey,
    token_requests: Vec<TokenRequest>,
) -> Vec<u8> {
    Request::Register(RegisterRequest {
        phone: phone.clone(),
        code: code.to_string(),
        identity_key: identity.public_key(),
        proof: identity.pop_prove(),
        host_key: None,
        group_key: group_key.clone(),
        token_requests,
    })
    .to_bytes()
}

pub fn cold_call_bytes(recipient: AccountId, token: &Token, sealed: &[u8]) -> Vec<u8> {
    Request::ColdCall(ColdCallRequest {
        recipient,
        token: token.clone(),
        sealed: sealed.to_vec(),
    })
    .to_bytes()
}

/// Blinded token requests under the preferred key of `keys` at `now`.
pub fn token_requests<R: rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
    keys: &TokenKeySet,
    challenge: &TokenChallenge,
    now: u64,
    n: usize,
) -> (Vec<TokenRequest>, Vec<PendingToken>) {
    let client = TokenClient::new(keys.clone());
    let key = keys.preferred_key(now).unwrap().clone();
    (0..n)
        .map(|_| client.request(rng, challenge, &key, now).unwrap())
        .unzip()
}

impl<S: Inspect> World<S> {
    /// Every live store entry.
    pub fn snapshot(&self) -> Vec<KeyValue> {
        self.server.store().entries(self.now)
    }

    /// Sends a request that must be refused with `code` and must change nothing in the store.
    #[track_caller]
    pub fn refused(&mut self, channel: Channel, bytes: &[u8], code: ErrorCode) {
        let before = self.snapshot();
        let response = self.send(channel, bytes);
        assert_eq!(error_code(&response), Some(code), "{:?}", decode(&response));
        assert_eq!(
            self.snapshot(),
            before,
            "a refused request changed the store"
        );
    }

    /// The queued deliveries of `account`, decoded (they stay queued).
    pub fn queued(&self, account: &AccountId) -> Vec<Delivery> {
        self.queues
            .get(account)
            .map(|q| q.iter().map(|b| Delivery::from_bytes(b).unwrap()).collect())
            .unwrap_or_default()
    }

    /// Asks the server for a code for `phone` and returns the one its host would send.
    pub fn code(&mut self, phone: &PhoneNumber) -> String {
        let response = self.send(
            Channel::Direct,
            &Request::RequestCode {
                phone: phone.clone(),
            }
            .to_bytes(),
        );
        assert!(matches!(decode(&response), Response::CodeSent));
        self.sms
            .iter()
            .rev()
            .find(|(p, _)| p == phone)
            .unwrap()
            .1
            .clone()
    }

    /// `n` cold-call token requests under the server's current key.
    pub fn cold_call_requests(&mut self, n: usize) -> (Vec<TokenRequest>, Vec<PendingToken>) {
        let keys = self.server.public_keys().cold_call_tokens;
        let challenge = TokenChallenge::cold_call(keys.issuer_name()).unwrap();
        token_requests(&mut self.rng, &keys, &challenge, self.now, n)
    }

    /// `n` discovery token requests for the current window.
    pub fn discovery_requests(&mut self, n: usize) -> (Vec<TokenRequest>, Vec<PendingToken>) {
        let keys = self.server.public_keys().discovery_tokens;
        let window = self.server.config().discovery.window(self.now);
        let challenge = TokenChallenge::discovery(keys.issuer_name(), window).unwrap();
        token_requests(&mut self.rng, &keys, &challenge, self.now, n)
    }

    /// Registers a fresh identity and group under `phone` with hand-built requests, asking for
    /// `tokens` cold-call tokens.
    pub fn raw_register(&mut self, phone_number: &str, tokens: usize) -> RawAccount {
        let phone = phone(phone_number);
        let identity = SecretKey::generate(&mut self.rng);
        let group = GroupManagerKey::generate(&mut self.rng);
        let code = self.code(&phone);
        let (requests, pending) = self.cold_call_requests(tokens);
        let bytes = register_bytes(&phone, &code, &identity, group.public_key(), requests);
        let response = self.send(Channel::Direct, &bytes);
        let Response::Registered {
            certificate,
            token_responses,
        } = decode(&response)
        else {
            panic!("registration refused: {:?}", decode(&response))
        };
        let tokens = pending
            .iter()
            .zip(&token_responses)
            .map(|(p, r)| p.finalize(r).unwrap())
            .collect();
        RawAccount {
            phone,
            identity,
            group,
            certificate,
            tokens,
        }
    }

    /// `n` discovery tokens for the current window, issued to `account`.
    pub fn discovery_tokens(&mut self, account: &RawAccount, n: usize) -> Vec<Token> {
        let (requests, pending) = self.discovery_requests(n);
        let window = self.server.config().discovery.window(self.now);
        let response = self.send(
            account.channel(),
            &Request::IssueDiscoveryTokens { window, requests }.to_bytes(),
        );
        let Response::DiscoveryTokens(responses) = decode(&response) else {
            panic!("discovery issuance refused: {:?}", decode(&response))
        };
        pending
            .iter()
            .zip(&responses)
            .map(|(p, r)| p.finalize(r).unwrap())
            .collect()
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn keystream(key: &[u8; 32], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut i = 0u64;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(b"test-seal");
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
    h.update(b"test-seal-tag");
    h.update(key);
    h.update(body);
    h.finalize().into()
}
