//! A deterministic protocol world for the state-machine targets and the seeds.
//!
//! The server's keys are fixed (RSA keys from PEM files, the BLS issuer key from a fixed IKM),
//! so every fuzz process builds the same server in milliseconds, and a fresh one (with an empty
//! store) per input. [`Fixture::recording`] is one scripted run between two real clients in
//! the simulated deployment (`blindpost::simulation`), driven with `VectorRng`: registration, discovery, cold call, reply, messages, release,
//! renewal, blocking with revocation, and a reply by the revoked contact. It records every
//! request the server handled and, for several points of the run, a client's state blob and
//! everything that client received afterwards (the client target's scenarios).

use blindpost::account::{AccountId, Channel};
use blindpost::certificate::{CertificateIssuer, IssuerKeySet, PhoneNumber};
use blindpost::client::{Client, ClientSettings, Delay, Event};
use blindpost::server::{Server, ServerConfig, ServerSecrets};
use blindpost::simulation::{events, Given, Input, World};
use blindpost::store::{MemoryStore, Store};
use blindpost::token::{Issuer, TokenKey, TokenKeyEntry, TokenKeySet};
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::CodeSecret;
use blindpost::wire::ServerKeys;
use blindpost::Time;
use blindpost::{blind_rsa, bls};
use std::sync::OnceLock;

/// The clock at the start of the recorded run.
pub const T0: Time = Time::from_unix_secs(1_800_000_000);
/// The fixture server's issuer name.
pub const ISSUER_NAME: &[u8] = b"fuzz.blindpost.example";

const COLD_CALL_KEY: &str = include_str!("../../../test-vectors/token_keys/rsa2048-a.pem");
const DISCOVERY_KEY_NOW: &str = include_str!("../../../test-vectors/token_keys/rsa2048-b.pem");
const DISCOVERY_KEY_NEXT: &str = include_str!("../../../test-vectors/token_keys/rsa2048-c.pem");
const STAMP_KEY: &str = include_str!("../keys/rsa2048-d.pem");
const CERTIFICATE_IKM: &[u8; 32] = b"blindpost fuzz certificate key!!";
const CODE_SECRET: [u8; 32] = *b"blindpost fuzz code secret 32 b!";
const KEY_LIFETIME: u64 = 10 * 365 * 24 * 3600;

/// The client settings every fixture client uses: short delays, so the run reaches releases
/// and renewals, and two discovery tokens a window rather than ten (each is an RSA blinding,
/// whose inversion was a quarter of `client_sequence`'s time; two still cover a batch that
/// spends one and a window with one left).
pub fn client_settings() -> ClientSettings {
    ClientSettings {
        discovery_tokens: 2,
        release_delay: Delay::Uniform {
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
    stamp_key: blind_rsa::SecretKey,
    keys: ServerKeys,
    recording: OnceLock<Recording>,
}

/// One request the recorded server handled.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The channel it came by.
    pub channel: Channel,
    /// The server's clock.
    pub now: Time,
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
    pub now: Time,
    /// The client's inputs from then on, in order.
    pub inputs: Vec<Given>,
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
        let stamp_key = rsa(STAMP_KEY);
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
        let stamp_tokens = TokenKeySet::new(
            1,
            ISSUER_NAME,
            vec![TokenKeyEntry::new(
                token_key(&stamp_key),
                T0 - KEY_LIFETIME,
                T0 + KEY_LIFETIME,
            )],
        )
        .expect("stamp key set");
        Self {
            certificate_key,
            cold_call_key,
            discovery_keys,
            stamp_key,
            keys: ServerKeys {
                certificate_issuers,
                cold_call_tokens,
                discovery_tokens,
                stamp_tokens,
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
        self.server_with(MemoryStore::new())
    }

    /// The fixture's server over `store`.
    pub fn server_with<S: Store>(&self, store: S) -> Server<S> {
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
            stamp_issuer: Issuer::new(vec![self.stamp_key.clone()]).expect("issuer"),
            stamp_keys: self.keys.stamp_tokens.clone(),
            code_secret: CodeSecret::from_bytes(CODE_SECRET),
        };
        Server::new(ServerConfig::default(), secrets, store).expect("server")
    }

    /// The recorded run (made on first use).
    pub fn recording(&self) -> &Recording {
        self.recording.get_or_init(|| Run::new(self).script())
    }
}

/// A point of the run at which a client's state is kept as a scenario.
struct Snapshot {
    client: usize,
    name: &'static str,
    state: Vec<u8>,
    now: Time,
    /// How many inputs the client had been given by then.
    given: usize,
}

/// The scripted run: the fixture server in the simulated deployment, with two clients.
struct Run {
    world: World,
    clients: Vec<Client>,
    snapshots: Vec<Snapshot>,
}

impl Run {
    fn new(fixture: &Fixture) -> Self {
        let rng = VectorRng::new(b"blindpost fuzz fixture run");
        let mut world = World::with_server(fixture.server(), rng, T0);
        let clients = (0..2)
            .map(|_| world.new_client_with(client_settings()))
            .collect();
        Self {
            world,
            clients,
            snapshots: Vec::new(),
        }
    }

    fn account(&self, c: usize) -> AccountId {
        self.clients[c].account()
    }

    /// The inputs client `c` has been given so far, oldest first.
    fn given(&self, c: usize) -> impl Iterator<Item = &Given> {
        let account = self.account(c);
        self.world
            .given
            .iter()
            .filter(move |g| g.account == account)
    }

    fn snapshot(&mut self, client: usize, name: &'static str) {
        self.snapshots.push(Snapshot {
            client,
            name,
            state: self.clients[client]
                .to_bytes()
                .expect("state encodes")
                .to_vec(),
            now: self.world.now,
            given: self.given(client).count(),
        });
    }

    fn pump(&mut self, c: usize) {
        self.world.pump(&mut self.clients[c]);
    }

    fn deliver(&mut self, c: usize) {
        self.world.deliver(&mut self.clients[c]);
    }

    fn timeout(&mut self, c: usize) {
        self.world.timeout(&mut self.clients[c]);
    }

    fn events(&mut self, c: usize) -> Vec<Event> {
        events(&mut self.clients[c])
    }

    fn register(&mut self, c: usize, phone: &str) {
        let phone = PhoneNumber::parse(phone).expect("phone");
        self.clients[c].request_code(&mut self.world.rng, self.world.now, phone.clone());
        self.snapshot(c, "code_requested");
        self.pump(c);
        let code = self.world.last_code(&phone).expect("code sent");
        self.clients[c]
            .register(&mut self.world.rng, self.world.now, phone, &code, None)
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
            .lookup(&mut self.world.rng, self.world.now, phones)
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
                &mut self.world.rng,
                self.world.now,
                &bob_certificate,
                b"hello Bob",
                b"alice ratchet",
            )
            .expect("introduction");
        let sealed = self.world.seal(&alice_account, &bob_account, &intro);
        self.clients[alice]
            .send_cold_call(self.world.now, bob_account, &sealed)
            .expect("cold call");
        self.snapshot(alice, "cold_calling");
        self.pump(alice);
        self.snapshot(bob, "cold_call_queued");
        self.deliver(bob);

        // Bob replies (with his own introduction); Alice answers with a plain message.
        self.world.now += 60;
        let reply = self.clients[bob]
            .compose_reply(
                &mut self.world.rng,
                self.world.now,
                alice_account,
                b"hi Alice",
                b"bob ratchet",
            )
            .expect("reply");
        let sealed = self.world.seal(&bob_account, &alice_account, &reply);
        self.clients[bob]
            .send_reply(&mut self.world.rng, self.world.now, alice_account, &sealed)
            .expect("send reply");
        self.snapshot(bob, "replying");
        self.pump(bob);
        self.snapshot(alice, "reply_queued");
        self.deliver(alice);
        self.world.now += 60;
        let message = self.clients[alice]
            .compose_reply(
                &mut self.world.rng,
                self.world.now,
                bob_account,
                b"how are you",
                b"",
            )
            .expect("message");
        let sealed = self.world.seal(&alice_account, &bob_account, &message);
        self.clients[alice]
            .send_reply(&mut self.world.rng, self.world.now, bob_account, &sealed)
            .expect("send message");
        self.pump(alice);
        self.snapshot(bob, "message_queued");
        self.deliver(bob);

        // Bob releases Alice's token; Alice renews it.
        self.world.now += 4000;
        self.timeout(bob);
        self.snapshot(bob, "releasing");
        self.pump(bob);
        self.timeout(alice);
        self.snapshot(alice, "renewing");
        self.pump(alice);

        // Alice blocks Bob (revoking his member key); Bob's next reply fails.
        self.clients[alice]
            .block(&mut self.world.rng, self.world.now, bob_account)
            .expect("block");
        self.snapshot(alice, "revoking");
        self.pump(alice);
        self.world.now += 60;
        let late = self.clients[bob]
            .compose_reply(
                &mut self.world.rng,
                self.world.now,
                alice_account,
                b"still there?",
                b"",
            )
            .expect("late reply");
        let sealed = self.world.seal(&bob_account, &alice_account, &late);
        self.clients[bob]
            .send_reply(&mut self.world.rng, self.world.now, alice_account, &sealed)
            .expect("send late reply");
        self.snapshot(bob, "revoked_replying");
        self.pump(bob);
        self.snapshot(alice, "final");
        self.snapshot(bob, "final");

        let mut recording = Recording {
            requests: self
                .world
                .received
                .iter()
                .map(|r| RecordedRequest {
                    channel: r.channel,
                    now: r.now,
                    request: r.bytes.clone(),
                    response: r.response.clone(),
                })
                .collect(),
            deliveries: self
                .world
                .given
                .iter()
                .filter_map(|g| match &g.input {
                    Input::Delivery { delivery, opened } => {
                        Some((delivery.clone(), opened.clone()))
                    }
                    _ => None,
                })
                .collect(),
            scenarios: Vec::new(),
        };
        for s in &self.snapshots {
            let inputs = self.given(s.client).skip(s.given).cloned().collect();
            recording.scenarios.push(Scenario {
                name: s.name,
                state: s.state.clone(),
                now: s.now,
                inputs,
            });
        }
        recording
    }
}
