//! `test-vectors/registration.json`: a server with fixed secrets answering a fixed sequence of
//! registration requests at fixed times (SPEC.md 9 and 12.2): the codes it derives, the
//! certificates and blind token signatures it returns, and refusals (wrong code, a session no
//! code was requested for, an expired code, too many attempts, a used code, bad proof of
//! possession, too many token requests, account conflict, malformed).
//!
//! Everything is generated with `VectorRng` (seeds in the file): the server secrets by
//! `ServerSecrets::generate`, each client's identity key, group, code sessions and token
//! requests by its own generator. One test regenerates the file and compares (`BLINDPOST_WRITE_VECTORS=1` rewrites
//! it). The other rebuilds the server from the secrets written in the file, replays every
//! request and compares every response byte for byte, and checks the certificates, tokens and
//! codes against the published keys, without the generator.

use crate::vector_file;
use blindpost::Time;

use crate::vector_file::unhex;
use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::GroupManagerKey;
use blindpost::blind_rsa::SecretKey as RsaSecretKey;
use blindpost::bls::SecretKey;
use blindpost::certificate::{CertificateIssuer, HostKey, IssuerKeySet, PhoneNumber};
use blindpost::server::{DiscoveryConfig, Output, RateLimit, Server, ServerConfig, ServerSecrets};
use blindpost::store::MemoryStore;
use blindpost::token::{
    self, Issuer, PendingToken, Token, TokenChallenge, TokenKeySet, TokenRequest,
};
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::{CodeConfig, CodePolicy, CodeSecret, CodeSession};
use blindpost::wire::{ErrorCode, RegisterRequest, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};

const FILE: &str = "registration.json";
const SEED: &str = "blindpost/v1 registration vectors";
const ISSUER_NAME: &[u8] = b"blindpost.vectors";
/// When the server's keys are generated.
const KEYS_AT: Time = Time::from_unix_secs(1_760_000_000);
/// When the first request arrives.
const T: Time = Time::from_unix_secs(1_760_000_123);
const REGISTRATION_TOKENS: usize = 3;

/// `test-vectors/registration.json` (byte strings hex).
#[derive(Debug, Deserialize)]
struct RegistrationFile {
    issuer_name: String,
    config: ConfigJson,
    server: SecretsJson,
    clients: Vec<ClientJson>,
    steps: Vec<Step>,
}

/// The server configuration the steps run under.
#[derive(Debug, Deserialize)]
struct ConfigJson {
    code_digits: u8,
    code_window_seconds: u64,
    max_attempts: u32,
    code_requests_max: u64,
    code_requests_period_seconds: u64,
    registrations_max: u64,
    registrations_period_seconds: u64,
    certificate_validity: u64,
    registration_tokens: usize,
    token_cooldown: u64,
    discovery_window_seconds: u64,
    discovery_tokens_per_window: u64,
    discovery_batch_size: usize,
}

/// The server's secrets.
#[derive(Debug, Deserialize)]
struct SecretsJson {
    code_secret: String,
    certificate_issuer_secret_key: String,
    certificate_issuer_not_before: u64,
    certificate_issuer_not_after: u64,
    certificate_issuers: String,
    cold_call_secret_keys_pkcs8: Vec<String>,
    cold_call_keys: String,
    discovery_secret_keys_pkcs8: Vec<String>,
    discovery_keys: String,
    stamp_secret_keys_pkcs8: Vec<String>,
    stamp_keys: String,
}

#[derive(Debug, Deserialize)]
struct ClientJson {
    name: String,
    identity_secret_key: String,
    identity_public_key: String,
    account_id: String,
}

/// One request, the response it got and what the client made of it.
#[derive(Debug, Deserialize)]
struct Step {
    name: String,
    now: u64,
    request: String,
    response: String,
    expected: String,
    phone: Option<String>,
    code_window: Option<u64>,
    code: Option<String>,
    certificate: Option<String>,
    serial: Option<u64>,
    token_responses: Option<Vec<String>>,
    tokens: Option<Vec<String>>,
}

fn config() -> ServerConfig {
    ServerConfig {
        registration_tokens: REGISTRATION_TOKENS,
        ..ServerConfig::default()
    }
}

fn config_json(config: &ServerConfig) -> Value {
    json!({
        "code_digits": config.code.digits(),
        "code_window_seconds": config.code.window_seconds(),
        "max_attempts": config.code_policy.max_attempts(),
        "code_requests_max": config.code_requests.max,
        "code_requests_period_seconds": config.code_requests.period_seconds,
        "registrations_max": config.registrations.max,
        "registrations_period_seconds": config.registrations.period_seconds,
        "certificate_validity": config.certificate_validity,
        "registration_tokens": config.registration_tokens,
        "token_cooldown": config.token_cooldown,
        "discovery_window_seconds": config.discovery.window_seconds,
        "discovery_tokens_per_window": config.discovery.tokens_per_window,
        "discovery_batch_size": config.discovery.batch_size,
    })
}

fn config_from_json(v: &ConfigJson) -> ServerConfig {
    ServerConfig {
        code: CodeConfig::new(v.code_digits, v.code_window_seconds).unwrap(),
        code_policy: CodePolicy::new(v.max_attempts),
        code_requests: RateLimit {
            max: v.code_requests_max,
            period_seconds: v.code_requests_period_seconds,
        },
        registrations: RateLimit {
            max: v.registrations_max,
            period_seconds: v.registrations_period_seconds,
        },
        certificate_validity: v.certificate_validity,
        registration_tokens: v.registration_tokens,
        token_cooldown: v.token_cooldown,
        discovery: DiscoveryConfig {
            window_seconds: v.discovery_window_seconds,
            tokens_per_window: v.discovery_tokens_per_window,
            batch_size: v.discovery_batch_size,
        },
        ..ServerConfig::default()
    }
}

fn rsa_keys(issuer: &Issuer, keys: &TokenKeySet) -> Vec<Value> {
    keys.entries()
        .iter()
        .map(|e| {
            let secret = issuer.secret_key(&e.key().id()).unwrap();
            json!(hex::encode(&*secret.to_pkcs8_der().unwrap()))
        })
        .collect()
}

fn secrets_json(s: &ServerSecrets, issuer_secret: &SecretKey) -> Value {
    let issuer_key = s.certificate_issuer.issuer_key();
    assert_eq!(&issuer_secret.public_key(), issuer_key.public_key());
    json!({
        "code_secret": hex::encode(s.code_secret.as_bytes()),
        "certificate_issuer_secret_key": hex::encode(*issuer_secret.to_bytes()),
        "certificate_issuer_not_before": issuer_key.not_before().unix_secs(),
        "certificate_issuer_not_after": issuer_key.not_after().unix_secs(),
        "certificate_issuers": hex::encode(s.certificate_issuers.to_bytes()),
        "cold_call_secret_keys_pkcs8": rsa_keys(&s.cold_call_issuer, &s.cold_call_keys),
        "cold_call_keys": hex::encode(s.cold_call_keys.to_bytes()),
        "discovery_secret_keys_pkcs8": rsa_keys(&s.discovery_issuer, &s.discovery_keys),
        "discovery_keys": hex::encode(s.discovery_keys.to_bytes()),
        "stamp_secret_keys_pkcs8": rsa_keys(&s.stamp_issuer, &s.stamp_keys),
        "stamp_keys": hex::encode(s.stamp_keys.to_bytes()),
    })
}

fn secrets_from_json(v: &SecretsJson) -> ServerSecrets {
    let rsa = |keys: &[String]| -> Vec<RsaSecretKey> {
        keys.iter()
            .map(|d| RsaSecretKey::from_pkcs8_der(&unhex(d)))
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let issuer_secret = SecretKey::from_bytes(&unhex(&v.certificate_issuer_secret_key)).unwrap();
    ServerSecrets {
        certificate_issuer: CertificateIssuer::new(
            issuer_secret,
            Time::from_unix_secs(v.certificate_issuer_not_before),
            Time::from_unix_secs(v.certificate_issuer_not_after),
        )
        .unwrap(),
        certificate_issuers: IssuerKeySet::from_bytes(&unhex(&v.certificate_issuers)).unwrap(),
        cold_call_issuer: Issuer::new(rsa(&v.cold_call_secret_keys_pkcs8)).unwrap(),
        cold_call_keys: TokenKeySet::from_bytes(&unhex(&v.cold_call_keys)).unwrap(),
        discovery_issuer: Issuer::new(rsa(&v.discovery_secret_keys_pkcs8)).unwrap(),
        discovery_keys: TokenKeySet::from_bytes(&unhex(&v.discovery_keys)).unwrap(),
        stamp_issuer: Issuer::new(rsa(&v.stamp_secret_keys_pkcs8)).unwrap(),
        stamp_keys: TokenKeySet::from_bytes(&unhex(&v.stamp_keys)).unwrap(),
        code_secret: CodeSecret::from_bytes(unhex(&v.code_secret).try_into().unwrap()),
    }
}

/// A client of the vectors: its identity key and group from its own generator, which then
/// also draws its token requests.
struct VectorClient {
    name: &'static str,
    seed: String,
    rng: VectorRng,
    identity: SecretKey,
    group: GroupManagerKey,
}

impl VectorClient {
    fn new(name: &'static str) -> Self {
        let seed = format!("{SEED}/client/{name}");
        let mut rng = VectorRng::new(seed.as_bytes());
        let identity = SecretKey::generate(&mut rng);
        let group = GroupManagerKey::generate(&mut rng);
        Self {
            name,
            seed,
            rng,
            identity,
            group,
        }
    }

    fn json(&self) -> Value {
        let pk = self.identity.public_key().to_bytes();
        json!({
            "name": self.name,
            "seed": self.seed,
            "identity_secret_key": hex::encode(*self.identity.to_bytes()),
            "identity_public_key": hex::encode(pk),
            "account_id": hex::encode(AccountId::for_identity_key(&pk).as_bytes()),
            "group_public_key": hex::encode(self.group.public_key().to_bytes()),
        })
    }

    fn token_requests(
        &mut self,
        keys: &TokenKeySet,
        now: Time,
        n: usize,
    ) -> (Vec<TokenRequest>, Vec<PendingToken>) {
        // n cold-call requests under the key preferred at `now`, one after another.
        let client = token::TokenClient::new(keys.clone());
        let key = keys.preferred_key(now).unwrap().clone();
        let challenge = TokenChallenge::cold_call(keys.issuer_name()).unwrap();
        (0..n)
            .map(|_| {
                client
                    .request(&mut self.rng, &challenge, &key, now)
                    .unwrap()
            })
            .unzip()
    }
}

/// Runs the requests against the server and records each step.
struct Recorder {
    server: Server<MemoryStore>,
    rng: VectorRng,
    steps: Vec<Value>,
}

impl Recorder {
    fn keys(&self) -> TokenKeySet {
        self.server.public_keys().cold_call_tokens
    }

    fn send(&mut self, name: &str, now: Time, request: &[u8]) -> (Response, Value) {
        let handled = self
            .server
            .handle(&mut self.rng, now, Channel::Direct, request);
        let expected = match &handled.decoded {
            Response::CodeSent => "code_sent".to_string(),
            Response::Registered { .. } => "registered".to_string(),
            Response::Error { code, .. } => code.name().to_string(),
            other => panic!("{other:?}"),
        };
        let mut step = json!({
            "name": name,
            "now": now.unix_secs(),
            "channel": "direct",
            "request": hex::encode(request),
            "response": hex::encode(&handled.response),
            "expected": expected,
        });
        if let [Output::SendCode { phone, code }] = handled.outputs.as_slice() {
            step["phone"] = json!(phone.as_str());
            step["code_window"] = json!(self.server.config().code.window(now));
            step["code"] = json!(code.as_str());
        }
        (handled.decoded, step)
    }

    /// `client` asks for a code under a fresh code session; returns the session and the code.
    fn request_code(
        &mut self,
        name: &str,
        now: Time,
        client: &mut VectorClient,
        number: &str,
    ) -> Code {
        let session = CodeSession::generate(&mut client.rng);
        let request = Request::RequestCode {
            phone: PhoneNumber::parse(number).unwrap(),
            session: session.clone(),
        };
        let (_, step) = self.send(name, now, &request.to_bytes());
        let code = step["code"].as_str().unwrap().to_string();
        self.steps.push(step);
        Code { session, code }
    }

    /// Sends a registration; on success records the certificate, the responses and the tokens
    /// the client finalizes from them.
    fn register(
        &mut self,
        name: &str,
        now: Time,
        request: &[u8],
        pending: &[PendingToken],
        expected: &str,
    ) {
        let (response, mut step) = self.send(name, now, request);
        assert_eq!(step["expected"], expected, "{name}");
        if let Response::Registered {
            certificate,
            token_responses,
        } = response
        {
            step["certificate"] = json!(hex::encode(certificate.to_bytes()));
            step["serial"] = json!(certificate.serial());
            step["token_responses"] = token_responses
                .iter()
                .map(|r| json!(hex::encode(r.to_bytes())))
                .collect();
            step["tokens"] = pending
                .iter()
                .zip(&token_responses)
                .map(|(p, r)| json!(hex::encode(p.finalize(r).unwrap().to_bytes())))
                .collect();
        }
        self.steps.push(step);
    }
}

/// A code session and the code the server sent for it (or a guess).
#[derive(Clone)]
struct Code {
    session: CodeSession,
    code: String,
}

impl Code {
    fn guess(&self, code: &str) -> Code {
        Code {
            session: self.session.clone(),
            code: code.to_string(),
        }
    }
}

fn register_request(
    client: &VectorClient,
    number: &str,
    code: &Code,
    host_key: Option<HostKey>,
    token_requests: Vec<TokenRequest>,
) -> RegisterRequest {
    RegisterRequest {
        phone: PhoneNumber::parse(number).unwrap(),
        session: code.session.clone(),
        code: code.code.clone(),
        identity_key: client.identity.public_key(),
        proof: client.identity.pop_prove(),
        host_key,
        group_key: client.group.public_key().clone(),
        token_requests,
    }
}

fn bytes(r: RegisterRequest) -> Vec<u8> {
    Request::Register(r).to_bytes()
}

/// The code of `code`'s session changed in its last digit.
fn wrong(code: &Code) -> Code {
    let mut c = code.code.as_bytes().to_vec();
    let last = c.len() - 1;
    c[last] = if c[last] == b'9' { b'0' } else { c[last] + 1 };
    code.guess(&String::from_utf8(c).unwrap())
}

const ALICE: &str = "+14155550100";
const BOB: &str = "+442079460018";
const CAROL: &str = "+15550100";

fn generate() -> Value {
    let config = config();
    let mut server_rng = VectorRng::new(format!("{SEED}/server").as_bytes());
    let secrets =
        ServerSecrets::generate(&mut server_rng, KEYS_AT, ISSUER_NAME, &config.discovery).unwrap();
    // The BLS issuer key cannot be read back from the issuer; it is the first thing
    // ServerSecrets::generate draws, so draw it again from a fresh generator.
    let issuer_secret =
        SecretKey::generate(&mut VectorRng::new(format!("{SEED}/server").as_bytes()));
    let secrets_json = secrets_json(&secrets, &issuer_secret);
    let window = config.code.window_seconds();
    let cooldown = config.token_cooldown;
    let server = Server::new(config.clone(), secrets, MemoryStore::new()).unwrap();
    let mut rec = Recorder {
        server,
        rng: VectorRng::new(format!("{SEED}/server requests").as_bytes()),
        steps: Vec::new(),
    };
    let mut alice = VectorClient::new("alice");
    let mut bob = VectorClient::new("bob");
    let mut carol = VectorClient::new("carol");
    let keys = rec.keys();

    // Alice: a wrong code, then her first registration (tokens), its retry (the same
    // signatures), another registration with the used code (refused) and a re-registration
    // with a new code within the cool-down (no tokens).
    let code = rec.request_code("alice requests a code", T, &mut alice, ALICE);
    let (requests, pending) = alice.token_requests(&keys, T, REGISTRATION_TOKENS);
    let first = bytes(register_request(&alice, ALICE, &code, None, requests));
    let (requests2, _) = alice.token_requests(&keys, T, REGISTRATION_TOKENS);
    rec.register(
        "alice with a wrong code",
        T + 30,
        &bytes(register_request(
            &alice,
            ALICE,
            &wrong(&code),
            None,
            requests2.clone(),
        )),
        &[],
        "wrong_code",
    );
    rec.register("alice registers", T + 31, &first, &pending, "registered");
    rec.register(
        "alice retries the same registration",
        T + 40,
        &first,
        &pending,
        "registered",
    );
    rec.register(
        "alice registers other requests with the used code",
        T + 50,
        &bytes(register_request(&alice, ALICE, &code, None, requests2)),
        &[],
        "code_used",
    );
    let code = rec.request_code("alice requests a second code", T + 55, &mut alice, ALICE);
    let (requests3, pending3) = alice.token_requests(&keys, T + 60, REGISTRATION_TOKENS);
    rec.register(
        "alice registers again within the cool-down: no tokens",
        T + 60,
        &bytes(register_request(&alice, ALICE, &code, None, requests3)),
        &pending3,
        "registered",
    );

    // Bob, with a host key: refusals first, then his registration.
    let code = rec.request_code("bob requests a code", T + 100, &mut bob, BOB);
    let host_key = HostKey::new(&[0xb0; 32]).unwrap();
    let (requests, pending) = bob.token_requests(&keys, T + 100, REGISTRATION_TOKENS + 1);
    rec.register(
        "bob asks for more tokens than the server hands out",
        T + 110,
        &bytes(register_request(
            &bob,
            BOB,
            &code,
            Some(host_key.clone()),
            requests.clone(),
        )),
        &[],
        "too_many_token_requests",
    );
    let requests: Vec<TokenRequest> = requests[..REGISTRATION_TOKENS].to_vec();
    let mut bad_pop = register_request(&bob, BOB, &code, Some(host_key.clone()), requests.clone());
    bad_pop.proof = alice.identity.pop_prove();
    rec.register(
        "bob with a proof of possession of another key",
        T + 111,
        &bytes(bad_pop),
        &[],
        "bad_proof_of_possession",
    );
    rec.register(
        "alice's identity key for bob's number",
        T + 112,
        &bytes(register_request(&alice, BOB, &code, None, requests.clone())),
        &[],
        "account_conflict",
    );
    let good = bytes(register_request(
        &bob,
        BOB,
        &code,
        Some(host_key),
        requests.clone(),
    ));
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        (
            "bob's registration truncated by one byte",
            good[..good.len() - 1].to_vec(),
        ),
        (
            "bob's registration with a trailing byte",
            [&good[..], &[0]].concat(),
        ),
        ("bob's registration with version 2", {
            let mut m = good.clone();
            m[0] = 2;
            m
        }),
        ("bob's registration with an unknown request type", {
            let mut m = good.clone();
            m[1] = 0x7f;
            m
        }),
        ("a registration with six token requests", {
            let (six, _) = bob.token_requests(&keys, T + 100, 6);
            let mut r = register_request(&bob, BOB, &code, None, Vec::new());
            r.token_requests = six;
            bytes(r)
        }),
    ];
    for (name, m) in malformed {
        rec.register(name, T + 113, &m, &[], "malformed");
    }
    rec.register("bob registers", T + 120, &good, &pending, "registered");

    // Carol: a session the server sent no code for; five wrong guesses, after which even the
    // right code of that session is refused; her code of another session still registers.
    let code = rec.request_code("carol requests a code", T + 200, &mut carol, CAROL);
    let (requests, _) = carol.token_requests(&keys, T + 200, REGISTRATION_TOKENS);
    let unknown = Code {
        session: CodeSession::from_bytes([0; 32]),
        code: code.code.clone(),
    };
    rec.register(
        "carol with a session no code was requested for",
        T + 200,
        &bytes(register_request(&carol, CAROL, &unknown, None, requests)),
        &[],
        "wrong_code",
    );
    let guesses = [
        wrong(&code),
        code.guess("12345"),
        code.guess("12a456"),
        wrong(&code),
        code.guess("0000000"),
    ];
    for (i, guess) in guesses.iter().enumerate() {
        let (requests, _) = carol.token_requests(&keys, T + 200, REGISTRATION_TOKENS);
        rec.register(
            &format!("carol's wrong guess {}", i + 1),
            T + 201 + i as u64,
            &bytes(register_request(&carol, CAROL, guess, None, requests)),
            &[],
            "wrong_code",
        );
    }
    let (requests, _) = carol.token_requests(&keys, T + 210, REGISTRATION_TOKENS);
    let right = bytes(register_request(&carol, CAROL, &code, None, requests));
    rec.register(
        "carol's right code after five checks of its session",
        T + 210,
        &right,
        &[],
        "too_many_attempts",
    );
    let code = rec.request_code("carol requests a code again", T + 220, &mut carol, CAROL);
    let late = rec.request_code("carol requests a third code", T + 230, &mut carol, CAROL);
    let after = Time::from_unix_secs((T.window(window) + 2) * window);
    let (requests, pending) = carol.token_requests(&keys, T + 221, REGISTRATION_TOKENS);
    rec.register(
        "carol's second code in the last second of the next window",
        after - 1,
        &bytes(register_request(&carol, CAROL, &code, None, requests)),
        &pending,
        "registered",
    );
    let (requests, _) = carol.token_requests(&keys, after, REGISTRATION_TOKENS);
    rec.register(
        "carol's third code after the end of the next window: expired",
        after,
        &bytes(register_request(&carol, CAROL, &late, None, requests)),
        &[],
        "wrong_code",
    );

    // Alice after the cool-down: tokens again.
    let end = T + 31 + cooldown;
    let code = rec.request_code(
        "alice requests a code after the cool-down",
        end,
        &mut alice,
        ALICE,
    );
    let (requests, pending) = alice.token_requests(&keys, end, REGISTRATION_TOKENS);
    rec.register(
        "alice registers after the cool-down: tokens again",
        end + 1,
        &bytes(register_request(&alice, ALICE, &code, None, requests)),
        &pending,
        "registered",
    );

    json!({
        "source": "generated by blindpost (tests/vectors/registration.rs), SPEC.md sections 9 \
                   and 12.2. The server's secrets are ServerSecrets::generate(VectorRng(seed + \
                   \"/server\"), keys_generated_at, issuer_name, discovery config); each client \
                   draws its identity key, group, code sessions and token requests from VectorRng(seed + \
                   \"/client/<name>\") (SPEC.md 2.5). Steps run in order against one server \
                   with an empty store; every request arrives on the direct channel.",
        "seed": SEED,
        "issuer_name": std::str::from_utf8(ISSUER_NAME).unwrap(),
        "keys_generated_at": KEYS_AT.unix_secs(),
        "config": config_json(&config),
        "server": secrets_json,
        "clients": [alice.json(), bob.json(), carol.json()],
        "steps": rec.steps,
    })
}

#[test]
fn vectors_regenerate_identically() {
    vector_file::check_generated(FILE, &generate());
}

#[test]
fn vectors_replay_byte_for_byte_on_a_server_built_from_the_file() {
    let v: RegistrationFile = vector_file::read(FILE);
    let config = config_from_json(&v.config);
    let secrets = secrets_from_json(&v.server);
    let code_secret = CodeSecret::from_bytes(*secrets.code_secret.as_bytes());
    let issuers = secrets.certificate_issuers.clone();
    let cold_call_keys = secrets.cold_call_keys.clone();
    assert_eq!(cold_call_keys.issuer_name(), v.issuer_name.as_bytes());
    let server = Server::new(config.clone(), secrets, MemoryStore::new()).unwrap();
    let challenge = TokenChallenge::cold_call(cold_call_keys.issuer_name()).unwrap();

    let mut identities = std::collections::BTreeMap::new();
    for c in &v.clients {
        let sk = SecretKey::from_bytes(&unhex(&c.identity_secret_key)).unwrap();
        let pk = sk.public_key().to_bytes();
        assert_eq!(hex::encode(pk), c.identity_public_key);
        assert_eq!(
            hex::encode(AccountId::for_identity_key(&pk).as_bytes()),
            c.account_id
        );
        identities.insert(hex::encode(pk), c.name.clone());
    }

    // Any generator will do: the responses depend only on the secrets, the state and the
    // requests.
    let mut rng = VectorRng::new(b"another generator");
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let mut serial = 0;
    for step in &v.steps {
        let name = &step.name;
        let now = Time::from_unix_secs(step.now);
        let request = unhex(&step.request);
        let handled = server.handle(&mut rng, now, Channel::Direct, &request);
        assert_eq!(hex::encode(&handled.response), step.response, "{name}");
        let expected = step.expected.as_str();
        *counts.entry(expected.to_string()).or_default() += 1;
        match (expected, Response::from_bytes(&handled.response).unwrap()) {
            ("code_sent", Response::CodeSent) => {
                let [Output::SendCode { phone, code }] = handled.outputs.as_slice() else {
                    panic!("{name}: no code sent")
                };
                assert_eq!(Some(phone.as_str()), step.phone.as_deref());
                assert_eq!(Some(code.as_str()), step.code.as_deref(), "{name}");
                let window = step.code_window.unwrap();
                assert_eq!(window, config.code.window(now));
                let Ok(Request::RequestCode { session, .. }) = Request::from_bytes(&request) else {
                    panic!("{name}: not a code request")
                };
                assert_eq!(
                    config
                        .code
                        .derive(&code_secret, phone, window, &session)
                        .as_str(),
                    code.as_str()
                );
            }
            (
                "registered",
                Response::Registered {
                    certificate,
                    token_responses,
                },
            ) => {
                let Request::Register(r) = Request::from_bytes(&request).unwrap() else {
                    panic!("{name}: not a registration")
                };
                assert!(identities.contains_key(&hex::encode(r.identity_key.to_bytes())));
                assert_eq!(Some(hex::encode(certificate.to_bytes())), step.certificate);
                issuers
                    .verify_certificate(&certificate, now, Some(&r.phone))
                    .unwrap();
                assert_eq!(certificate.identity_key(), &r.identity_key);
                assert_eq!(certificate.host_key(), r.host_key.as_ref());
                assert_eq!(certificate.not_before(), now);
                assert_eq!(Some(certificate.serial()), step.serial);
                serial += 1;
                assert_eq!(certificate.serial(), serial, "serials count registrations");
                let responses: Vec<String> = token_responses
                    .iter()
                    .map(|t| hex::encode(t.to_bytes()))
                    .collect();
                assert_eq!(
                    Some(&responses),
                    step.token_responses.as_ref(),
                    "{name}: token responses"
                );
                // The client's finalized tokens verify under the published cold-call keys.
                let tokens = step.tokens.as_ref().unwrap();
                assert_eq!(tokens.len(), token_responses.len());
                for t in tokens {
                    let token = Token::from_bytes(&unhex(t)).unwrap();
                    token::verify(&token, &challenge, &cold_call_keys).unwrap();
                }
            }
            (code, Response::Error { code: got, .. }) => {
                assert_eq!(got.name(), code, "{name}");
                assert!(handled.outputs.is_empty());
                assert!(ErrorCode::ALL.contains(&got));
            }
            (expected, got) => panic!("{name}: expected {expected}, got {got:?}"),
        }
    }
    // A retry (the same request bytes) got the same blind signatures, and a re-registration
    // within the cool-down none.
    let registered: Vec<&Step> = v
        .steps
        .iter()
        .filter(|s| s.expected == "registered")
        .collect();
    let responses = |s: &Step| s.token_responses.clone().unwrap();
    let mut retries = 0;
    for (i, a) in registered.iter().enumerate() {
        for b in &registered[i + 1..] {
            if a.request == b.request {
                assert_eq!(responses(a), responses(b));
                assert_eq!(responses(a).len(), REGISTRATION_TOKENS);
                retries += 1;
            }
        }
    }
    assert_eq!(retries, 1);
    assert!(registered.iter().any(|s| responses(s).is_empty()));

    // Every case the file promises is there.
    for (expected, at_least) in [
        ("code_sent", 6),
        ("registered", 6),
        ("wrong_code", 6),
        ("too_many_attempts", 1),
        ("code_used", 1),
        ("bad_proof_of_possession", 1),
        ("too_many_token_requests", 1),
        ("account_conflict", 1),
        ("malformed", 5),
    ] {
        assert!(
            counts.get(expected).copied().unwrap_or(0) >= at_least,
            "{expected}: {counts:?}"
        );
    }
}
