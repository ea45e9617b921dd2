//! A test world: one in-memory server, its host's queues, and a host for each client that
//! seals payloads end to end, shuttles requests and responses, and keeps time.
#![allow(dead_code)]

use blindpost::account::{AccountId, Channel};
use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, ClientSettings, Event, Transmit};
use blindpost::server::{Output, Server, ServerConfig, ServerSecrets};
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::Delivery;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The start of every test world's clock.
pub const T0: u64 = 1_800_000_000;

/// What the server received: the channel and the bytes.
#[derive(Clone, Debug)]
pub struct Received {
    pub channel: Channel,
    pub bytes: Vec<u8>,
}

pub struct World {
    pub server: Server<MemoryStore>,
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
}

pub fn settings() -> ClientSettings {
    ClientSettings {
        release_delay: (600, 3600),
        renewal_interval: 1800,
        ..ClientSettings::default()
    }
}

impl World {
    pub fn new(seed: &str) -> Self {
        Self::with_config(seed, ServerConfig::default())
    }

    pub fn with_config(seed: &str, config: ServerConfig) -> Self {
        let mut rng = VectorRng::new(seed.as_bytes());
        let secrets =
            ServerSecrets::generate(&mut rng, T0, b"blindpost.test", &config.discovery).unwrap();
        let server = Server::new(config, secrets, MemoryStore::new()).unwrap();
        Self {
            server,
            now: T0,
            rng,
            queues: BTreeMap::new(),
            sms: Vec::new(),
            received: Vec::new(),
            seal_keys: BTreeMap::new(),
            delivered: Vec::new(),
        }
    }

    pub fn new_client(&mut self) -> Client {
        let client = Client::new(&mut self.rng, self.server.public_keys(), settings());
        let mut key = [0u8; 32];
        rand_core::Rng::fill_bytes(&mut self.rng, &mut key);
        self.seal_keys.insert(client.account(), key);
        client
    }

    /// Sends one request to the server as its host would.
    pub fn send(&mut self, channel: Channel, bytes: &[u8]) -> Vec<u8> {
        self.received.push(Received {
            channel,
            bytes: bytes.to_vec(),
        });
        let handled = self.server.handle(&mut self.rng, self.now, channel, bytes);
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
        let response = self.send(t.channel, &t.bytes);
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

    pub fn events(client: &mut Client) -> Vec<Event> {
        std::iter::from_fn(|| client.poll_event()).collect()
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
        Self::events(client)
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

    /// Hands every queued delivery to its client (opening the payload as the host would).
    pub fn deliver(&mut self, client: &mut Client) -> Vec<Event> {
        let me = client.account();
        let queued = self.queues.remove(&me).unwrap_or_default();
        for bytes in queued {
            let delivery = Delivery::from_bytes(&bytes).unwrap();
            let opened = self.open(&me, delivery.sealed());
            client.handle_delivery(self.now, &bytes, &opened).unwrap();
        }
        Self::events(client)
    }

    /// Advances the clock and runs the client's timers and requests.
    pub fn advance(&mut self, client: &mut Client, seconds: u64) {
        self.now += seconds;
        client.handle_timeout(&mut self.rng, self.now);
        self.pump(client);
    }
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
