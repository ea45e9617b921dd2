//! A deterministic protocol world for the state-machine targets and the seeds.
//!
//! The server's keys are fixed (RSA keys from PEM files, the BLS issuer key from a fixed IKM),
//! so every fuzz process builds the same server in milliseconds, and a fresh one (with an empty
//! store) per input. [`Fixture::recording`] is one scripted run between two real clients,
//! driven with `VectorRng`: registration, discovery, cold call, reply, messages, release,
//! renewal, blocking with revocation, and a reply by the revoked contact. It records every
//! request the server handled and, for several points of the run, a client's state blob and
//! everything that client received afterwards (the client target's scenarios).

use crate::steps::{put_client_step, put_server_step, ClientStep};
use blindpost::account::{AccountId, Channel};
use blindpost::certificate::{CertificateIssuer, IssuerKeySet, PhoneNumber};
use blindpost::client::{Client, ClientSettings, Event, ReleaseDelay};
use blindpost::server::{Output, Server, ServerConfig, ServerSecrets};
use blindpost::store::MemoryStore;
use blindpost::token::{Issuer, TokenKey, TokenKeyEntry, TokenKeySet};
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::CodeSecret;
use blindpost::wire::ServerKeys;
use blindpost::{blind_rsa, bls};
use std::sync::OnceLock;

/// The clock at the start of the recorded run.
pub const T0: u64 = 1_800_000_000;
/// The fixture server's issuer name.
pub const ISSUER_NAME: &[u8] = b"fuzz.blindpost.example";

const COLD_CALL_KEY: &str = include_str!("../../../test-vectors/token_keys/rsa2048-a.pem");
const DISCOVERY_KEY_NOW: &str = include_str!("../../../test-vectors/token_keys/rsa2048-b.pem");
const DISCOVERY_KEY_NEXT: &str = include_str!("../keys/rsa2048-c.pem");
const CERTIFICATE_IKM: &[u8; 32] = b"blindpost fuzz certificate key!!";
const CODE_SECRET: [u8; 32] = *b"blindpost fuzz code secret 32 b!";
const KEY_LIFETIME: u64 = 10 * 365 * 24 * 3600;

/// The client settings every fixture client uses (short delays, so the run reaches releases
/// and renewals).
pub fn client_settings() -> ClientSettings {
    ClientSettings {
        release_delay: ReleaseDelay::Uniform {
            min: 600,
            max: 3600,
        },
        renewal_interval: 1800,
        ..ClientSettings::default()
    }
}

/// The fixed server keys and the recorded run.
pub struct Fixture {
    certificate_key: bls::SecretKey,
    cold_call_key: blind_rsa::SecretKey,
    discovery_keys: [blind_rsa::SecretKey; 2],
    keys: ServerKeys,
    recording: OnceLock<Recording>,
}

/// One request the recorded server handled.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The channel it came by.
    pub channel: Channel,
    /// The server's clock.
    pub now: u64,
    /// The request bytes.
    pub request: Vec<u8>,
    /// The response bytes.
    pub response: Vec<u8>,
}

/// A client's state at one point of the run and what it received afterwards.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Where in the run.
    pub name: &'static str,
    /// `Client::to_bytes` at that point.
    pub state: Vec<u8>,
    /// The clock at that point.
    pub now: u64,
    /// The client's inputs from then on, as client steps (without the scenario byte).
    pub inputs: Vec<u8>,
}

/// What the scripted run produced.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// Every request, in order.
    pub requests: Vec<RecordedRequest>,
    /// Every delivery's bytes and its opened payload.
    pub deliveries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Client states with their later inputs.
    pub scenarios: Vec<Scenario>,
}

impl Recording {
    /// The whole run as one server-target input (deltas from [`T0`]).
    pub fn server_input(&self, requests: &[RecordedRequest]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut now = T0;
        for r in requests {
            let delta = u32::try_from(r.now.saturating_sub(now)).unwrap_or(u32::MAX);
            now = r.now;
            put_server_step(&mut out, &r.channel, delta, &r.request);
        }
        out
    }

    /// A client-target input: the scenario and its recorded inputs.
    pub fn client_input(&self, index: usize) -> Vec<u8> {
        let mut out = vec![u8::try_from(index).unwrap()];
        out.extend_from_slice(&self.scenarios[index].inputs);
        out
    }
}

/// The fixture, built once per process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(Fixture::new)
}

impl Fixture {
    fn new() -> Self {
        let config = ServerConfig::default();
        let certificate_key = bls::SecretKey::key_gen(CERTIFICATE_IKM, b"").expect("ikm length");
        let rsa = |pem: &str| blind_rsa::SecretKey::from_pkcs8_pem(pem).expect("fixture key");
        let cold_call_key = rsa(COLD_CALL_KEY);
        let discovery_keys = [rsa(DISCOVERY_KEY_NOW), rsa(DISCOVERY_KEY_NEXT)];
        let token_key = |k: &blind_rsa::SecretKey| {
            TokenKey::from_public_key(k.public_key()).expect("2048-bit key")
        };
        let issuer = CertificateIssuer::new(
            certificate_key.clone(),
            T0 - KEY_LIFETIME,
            T0 + KEY_LIFETIME,
        )
        .expect("validity");
        let certificate_issuers =
            IssuerKeySet::new(vec![*issuer.issuer_key()]).expect("one issuer key");
        let cold_call_tokens = TokenKeySet::new(
            1,
            ISSUER_NAME,
            vec![TokenKeyEntry::new(
                token_key(&cold_call_key),
                T0 - KEY_LIFETIME,
                T0 + KEY_LIFETIME,
            )],
        )
        .expect("cold-call key set");
        let window = config.discovery.window(T0);
        let entries = discovery_keys
            .iter()
            .zip([window, window + 1])
            .map(|(k, w)| {
                TokenKeyEntry::new(
                    token_key(k),
                    config.discovery.window_start(w),
                    config.discovery.window_end(w),
                )
            })
            .collect();
        let discovery_tokens =
            TokenKeySet::new(1, ISSUER_NAME, entries).expect("discovery key set");
        Self {
            certificate_key,
            cold_call_key,
            discovery_keys,
            keys: ServerKeys {
                certificate_issuers,
                cold_call_tokens,
                discovery_tokens,
            },
            recording: OnceLock::new(),
        }
    }

    /// The keys the fixture server publishes.
    pub fn keys(&self) -> &ServerKeys {
        &self.keys
    }

    /// A fresh fixture server with an empty store.
    pub fn server(&self) -> Server<MemoryStore> {
        let certificate_issuer = CertificateIssuer::new(
            self.certificate_key.clone(),
            T0 - KEY_LIFETIME,
            T0 + KEY_LIFETIME,
        )
        .expect("validity");
        let secrets = ServerSecrets {
            certificate_issuer,
            certificate_issuers: self.keys.certificate_issuers.clone(),
            cold_call_issuer: Issuer::new(vec![self.cold_call_key.clone()]).expect("issuer"),
            cold_call_keys: self.keys.cold_call_tokens.clone(),
            discovery_issuer: Issuer::new(self.discovery_keys.to_vec()).expect("issuer"),
            discovery_keys: self.keys.discovery_tokens.clone(),
            code_secret: CodeSecret::from_bytes(CODE_SECRET),
        };
        Server::new(ServerConfig::default(), secrets, MemoryStore::new()).expect("server")
    }

    /// The recorded run (made on first use).
    pub fn recording(&self) -> &Recording {
        self.recording.get_or_init(|| Run::new(self).script())
    }
}

/// What a client received, with the time.
enum Received {
    Response {
        now: u64,
        id: u64,
        bytes: Vec<u8>,
    },
    Delivery {
        now: u64,
        delivery: Vec<u8>,
        opened: Vec<u8>,
    },
    Timeout {
        now: u64,
    },
}

struct Snapshot {
    client: usize,
    name: &'static str,
    state: Vec<u8>,
    now: u64,
    from: usize,
}

/// The scripted run: a server, two clients and their hosts (payloads are not sealed: sealing
/// is the host's and opaque to the library).
struct Run {
    server: Server<MemoryStore>,
    rng: VectorRng,
    now: u64,
    clients: Vec<Client>,
    received: Vec<Vec<Received>>,
    queues: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    sms: Vec<(PhoneNumber, String)>,
    recording: Recording,
    snapshots: Vec<Snapshot>,
}

impl Run {
    fn new(fixture: &Fixture) -> Self {
        let mut rng = VectorRng::new(b"blindpost fuzz fixture run");
        let clients: Vec<Client> = (0..2)
            .map(|_| Client::new(&mut rng, fixture.keys.clone(), client_settings()))
            .collect();
        Self {
            server: fixture.server(),
            rng,
            now: T0,
            received: clients.iter().map(|_| Vec::new()).collect(),
            queues: clients.iter().map(|_| Vec::new()).collect(),
            clients,
            sms: Vec::new(),
            recording: Recording::default(),
            snapshots: Vec::new(),
        }
    }

    fn account(&self, c: usize) -> AccountId {
        self.clients[c].account()
    }

    fn snapshot(&mut self, client: usize, name: &'static str) {
        self.snapshots.push(Snapshot {
            client,
            name,
            state: self.clients[client]
                .to_bytes()
                .expect("state encodes")
                .to_vec(),
            now: self.now,
            from: self.received[client].len(),
        });
    }

    /// Sends every outstanding request of client `c` and feeds the responses back.
    fn pump(&mut self, c: usize) {
        while let Some(t) = self.clients[c].poll_transmit() {
            let handled = self
                .server
                .handle(&mut self.rng, self.now, t.channel, &t.bytes);
            for output in handled.outputs {
                match output {
                    Output::SendCode { phone, code } => {
                        self.sms.push((phone, code.as_str().to_string()))
                    }
                    Output::Deliver {
                        recipient,
                        delivery,
                    } => {
                        let to = (0..self.clients.len())
                            .find(|&i| self.account(i) == recipient)
                            .expect("recipient is a fixture client");
                        let opened = delivery.sealed().to_vec();
                        self.queues[to].push((delivery.to_bytes(), opened));
                    }
                }
            }
            self.recording.requests.push(RecordedRequest {
                channel: t.channel,
                now: self.now,
                request: t.bytes,
                response: handled.response.clone(),
            });
            self.received[c].push(Received::Response {
                now: self.now,
                id: t.id.0,
                bytes: handled.response.clone(),
            });
            self.clients[c]
                .handle_response(&mut self.rng, self.now, t.id, &handled.response)
                .expect("fixture response");
        }
    }

    fn deliver(&mut self, c: usize) {
        for (delivery, opened) in std::mem::take(&mut self.queues[c]) {
            self.received[c].push(Received::Delivery {
                now: self.now,
                delivery: delivery.clone(),
                opened: opened.clone(),
            });
            self.clients[c]
                .handle_delivery(self.now, &delivery, &opened)
                .expect("fixture delivery");
            self.recording.deliveries.push((delivery, opened));
        }
    }

    fn timeout(&mut self, c: usize) {
        self.received[c].push(Received::Timeout { now: self.now });
        self.clients[c].handle_timeout(&mut self.rng, self.now);
    }

    fn events(&mut self, c: usize) -> Vec<Event> {
        std::iter::from_fn(|| self.clients[c].poll_event()).collect()
    }

    fn register(&mut self, c: usize, phone: &str) {
        let phone = PhoneNumber::parse(phone).expect("phone");
        self.clients[c].request_code(phone.clone());
        self.snapshot(c, "code_requested");
        self.pump(c);
        let code = self
            .sms
            .iter()
            .rev()
            .find(|(p, _)| *p == phone)
            .expect("code sent")
            .1
            .clone();
        self.clients[c]
            .register(&mut self.rng, self.now, phone, &code, None)
            .expect("register");
        self.snapshot(c, "registering");
        self.pump(c);
        assert!(self
            .events(c)
            .iter()
            .any(|e| matches!(e, Event::Registered { .. })));
    }

    fn script(mut self) -> Recording {
        let (alice, bob) = (0, 1);
        self.register(alice, "+15550001");
        self.register(bob, "+15550002");
        let bob_account = self.account(bob);
        let alice_account = self.account(alice);

        // Alice finds Bob and cold-calls him.
        let phones = ["+15550002", "+15559999"]
            .map(|p| PhoneNumber::parse(p).expect("phone"))
            .to_vec();
        self.clients[alice]
            .lookup(&mut self.rng, self.now, phones)
            .expect("lookup");
        self.snapshot(alice, "looking_up");
        self.pump(alice);
        let found = self
            .events(alice)
            .into_iter()
            .find_map(|e| match e {
                Event::LookupCompleted { found } => Some(found),
                _ => None,
            })
            .expect("lookup completed");
        let bob_certificate = found.first().expect("Bob found").clone();
        let intro = self.clients[alice]
            .compose_introduction(
                &mut self.rng,
                self.now,
                &bob_certificate,
                b"hello Bob",
                b"alice ratchet",
            )
            .expect("introduction");
        self.clients[alice]
            .send_cold_call(bob_account, &intro)
            .expect("cold call");
        self.snapshot(alice, "cold_calling");
        self.pump(alice);
        self.snapshot(bob, "cold_call_queued");
        self.deliver(bob);

        // Bob replies (with his own introduction); Alice answers with a plain message.
        self.now += 60;
        let reply = self.clients[bob]
            .compose_reply(
                &mut self.rng,
                self.now,
                alice_account,
                b"hi Alice",
                b"bob ratchet",
            )
            .expect("reply");
        self.clients[bob]
            .send_reply(&mut self.rng, self.now, alice_account, &reply)
            .expect("send reply");
        self.snapshot(bob, "replying");
        self.pump(bob);
        self.snapshot(alice, "reply_queued");
        self.deliver(alice);
        self.now += 60;
        let message = self.clients[alice]
            .compose_reply(&mut self.rng, self.now, bob_account, b"how are you", b"")
            .expect("message");
        self.clients[alice]
            .send_reply(&mut self.rng, self.now, bob_account, &message)
            .expect("send message");
        self.pump(alice);
        self.snapshot(bob, "message_queued");
        self.deliver(bob);

        // Bob releases Alice's token; Alice renews it.
        self.now += 4000;
        self.timeout(bob);
        self.snapshot(bob, "releasing");
        self.pump(bob);
        self.timeout(alice);
        self.snapshot(alice, "renewing");
        self.pump(alice);

        // Alice blocks Bob (revoking his member key); Bob's next reply fails.
        self.clients[alice].block(bob_account).expect("block");
        self.snapshot(alice, "revoking");
        self.pump(alice);
        self.now += 60;
        let late = self.clients[bob]
            .compose_reply(&mut self.rng, self.now, alice_account, b"still there?", b"")
            .expect("late reply");
        self.clients[bob]
            .send_reply(&mut self.rng, self.now, alice_account, &late)
            .expect("send late reply");
        self.snapshot(bob, "revoked_replying");
        self.pump(bob);
        self.snapshot(alice, "final");
        self.snapshot(bob, "final");

        let snapshots = std::mem::take(&mut self.snapshots);
        for s in snapshots {
            let mut inputs = Vec::new();
            let mut now = s.now;
            let delta = |now: &mut u64, at: u64| {
                let d = u32::try_from(at.saturating_sub(*now)).unwrap_or(u32::MAX);
                *now = at;
                d
            };
            for r in &self.received[s.client][s.from..] {
                let step = match r {
                    Received::Response { now: at, id, bytes } => ClientStep::Response {
                        id: *id,
                        delta: delta(&mut now, *at),
                        bytes,
                    },
                    Received::Delivery {
                        now: at,
                        delivery,
                        opened,
                    } => ClientStep::Delivery {
                        delta: delta(&mut now, *at),
                        delivery,
                        opened,
                    },
                    Received::Timeout { now: at } => ClientStep::Timeout {
                        delta: delta(&mut now, *at),
                    },
                };
                put_client_step(&mut inputs, &step);
                put_client_step(&mut inputs, &ClientStep::Poll);
            }
            self.recording.scenarios.push(Scenario {
                name: s.name,
                state: s.state,
                now: s.now,
                inputs,
            });
        }
        self.recording
    }
}
