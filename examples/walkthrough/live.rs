//! The live walkthrough (`--server URL`, or `--store embedded|postgres|redis-cluster` to start a
//! server in this process): the acts that fit real time, against a real `blindpost-server`
//! over HTTP, with the real clock.
//!
//! The clients' hosts are the CLI's pieces: [`Transport`] moves each request on the channel
//! the client names (`/v1/direct`, `/v1/anonymous`, `/v1/authenticated` signed with the
//! client's identity key), fetches and acknowledges the delivery queue, and payloads are sealed
//! end to end as the CLI seals them ([`sealing`], SPEC.md 17.7): a cold call with HPKE to the
//! host key in the recipient's certificate, carrying an Olm offer; every reply after it in the
//! Olm session that offer starts. The verification codes come from the server's SMS file. The clients run with delays of seconds
//! instead of hours ([`settings`]), so releases and renewals happen while the run waits.
//!
//! What needs the simulated clock or the simulation's ground truth is skipped and said so:
//! the server's view (act 9: which device sent each request is known only inside the
//! simulation), the timing adversary (act 10: days of sleeping phones), and the parts of acts
//! that build requests by hand or read the server's store (the scrape and farming limits, the
//! tampered client).

use crate::host::{describe, fail, hex_prefix, Context, Res, Side, Timings};
use crate::{fmt_duration, header, number, DETAIL};
use blindpost::account::AccountId;
use blindpost::certificate::{Certificate, HostKey, PhoneNumber};
use blindpost::client::{Client, ClientError, ClientSettings, Delay, Event, FailureReason};
use blindpost::wire::{ErrorCode, Request, RequestType, Response, ServerKeys};
use blindpost::Time;
use blindpost_cli::sealing::{self, DeliveryRefused};
use blindpost_cli::transport::{Transport, TransportOptions};
use blindpost_e2e::{E2eState, OpenError, SEAL_OVERHEAD};
use blindpost_server::{RunningServer, ServerOptions, SmsChoice, StoreChoice};
use rand::rngs::StdRng;
use rand_core::Rng;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long the run waits for something the clients' timers bring (a release, a renewal, a
/// reply's group-key fetch) before it gives up.
const WAIT: Duration = Duration::from_secs(90);
/// How long the hosts sleep between two rounds of timers and queue fetches.
const TICK: Duration = Duration::from_millis(200);
/// The most requests one client may send in one round (a bound, never reached).
const MAX_REQUESTS: usize = 1000;
/// How long the run waits for a verification code to appear in the SMS file.
const SMS_WAIT: Duration = Duration::from_secs(20);

/// The server the live walkthrough talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A running server at this URL.
    Server(String),
    /// A server this process starts on 127.0.0.1 with this store.
    Store(StoreKind),
}

/// The store of a server the walkthrough starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded redb file in a temporary data directory.
    Embedded,
    /// PostgreSQL at `BLINDPOST_POSTGRES_URL`, in a table of its own.
    Postgres,
    /// The Redis Cluster at `BLINDPOST_REDIS_CLUSTER`, under a key prefix of its own.
    RedisCluster,
}

impl StoreKind {
    /// The store named on the command line.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "embedded" => Ok(Self::Embedded),
            "postgres" => Ok(Self::Postgres),
            "redis-cluster" => Ok(Self::RedisCluster),
            other => Err(format!(
                "--store: {other}: one of embedded, postgres, redis-cluster"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Embedded => "the embedded store",
            Self::Postgres => "PostgreSQL",
            Self::RedisCluster => "a Redis Cluster",
        }
    }
}

/// The live run's options.
pub struct LiveOptions {
    /// The server.
    pub target: Target,
    /// The server's SMS file (required with [`Target::Server`]).
    pub sms_file: Option<PathBuf>,
    /// Print only result lines and the timings.
    pub quiet: bool,
}

/// The clients' settings: the library's, with delays of seconds so that a run takes a
/// minute: replies leave within 1 s, background work within 2 s, releases 1-3 s after
/// acceptance, renewal checks 2-4 s after the cold call (then less and less often).
pub fn settings() -> ClientSettings {
    ClientSettings {
        reply_delay: Delay::Uniform { min: 0, max: 1 },
        background_delay: Delay::Uniform { min: 0, max: 2 },
        release_delay: Delay::Uniform { min: 1, max: 3 },
        renewal_interval: 2,
        discovery_tokens: 2,
        ..ClientSettings::default()
    }
}

/// The system clock as the protocol counts it.
fn now() -> Time {
    blindpost_cli::runner::now()
}

/// One person: a phone, a client, and its host's end-to-end state.
struct Person {
    name: String,
    phone: PhoneNumber,
    client: Client,
    e2e: E2eState,
    /// Certificates found by discovery.
    found: Vec<Certificate>,
    /// Every event the client produced, in order.
    log: Vec<Event>,
    /// Renewal checks answered `not_released`.
    early: usize,
}

impl Person {
    fn account(&self) -> AccountId {
        self.client.account()
    }

    /// Events logged since position `from`.
    fn since(&self, from: usize) -> &[Event] {
        self.log.get(from..).unwrap_or_default()
    }

    fn count(&self, what: impl Fn(&Event) -> bool) -> usize {
        self.log.iter().filter(|e| what(e)).count()
    }
}

/// The live run's state: the runtime, the server (when started here), the transport and the
/// people.
struct Live {
    rt: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    /// The started server's data directory (removed at the end).
    _data_dir: Option<tempfile::TempDir>,
    sms_file: PathBuf,
    transport: Transport,
    rng: StdRng,
    keys: ServerKeys,
    /// alice, bob, carol, then mallory.
    people: Vec<Person>,
    /// The first number of the block this run's people live in.
    base: u64,
    quiet: bool,
    timings: Timings,
    acts: Vec<(String, Duration)>,
    act_started: Instant,
}

const HONEST: [&str; 3] = ["alice", "bob", "carol"];
const MALLORY: usize = 3;

/// Runs the live walkthrough.
pub fn run(options: &LiveOptions) -> Res<()> {
    let started = Instant::now();
    let mut live = Live::connect(options)?;
    live.act1_keys()?;
    live.act2_registration()?;
    live.act3_discovery()?;
    live.act4_cold_calls()?;
    live.act5_replies()?;
    live.act6_releases()?;
    live.act7_spammer()?;
    live.act8_block()?;
    header(9, "Skipped: they need the simulated clock");
    out!("skipped: 9. what the server saw and could not tell (needs the simulation's record of which device sent each request)");
    out!("skipped: 10. what a server timing every request could link (needs days of sleeping, restarting phones)");
    out!("skipped: the scrape and farming limits and the tampered client of acts 3, 7 and 8 (requests built by hand, the server's store read)");
    out!("run the walkthrough without --server and --store for them");
    live.print_timings(started.elapsed());
    if let Some(server) = live.server.take() {
        live.rt
            .block_on(server.shutdown_within(Duration::from_secs(5)));
    }
    out!("\nwalkthrough complete (live): every step and every check passed");
    Ok(())
}

impl Live {
    /// Starts the server if asked, and connects the clients' transport.
    fn connect(options: &LiveOptions) -> Res<Self> {
        let act_started = Instant::now();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .ctx(|| "the async runtime".into())?;
        let mut rng: StdRng = rand::make_rng();
        let (server, data_dir, url, sms_file, described) = match &options.target {
            Target::Server(url) => {
                let sms = options.sms_file.clone().ctx(|| {
                    "--server needs --sms-file: the file the server appends its codes to".into()
                })?;
                (None, None, url.clone(), sms, format!("the server at {url}"))
            }
            Target::Store(kind) => {
                let dir = tempfile::tempdir().ctx(|| "a temporary data directory".into())?;
                let sms = options
                    .sms_file
                    .clone()
                    .unwrap_or_else(|| dir.path().join("sms.txt"));
                let mut server_options = ServerOptions::new(dir.path());
                server_options.sms = SmsChoice::File(sms.clone());
                server_options.store = store_choice(*kind, rng.next_u64())?;
                let server = rt
                    .block_on(blindpost_server::start(server_options))
                    .ctx(|| format!("starting a server on {}", kind.name()))?;
                let url = server.url();
                let described = format!("a server on {} started here", kind.name());
                (Some(server), Some(dir), url, sms, described)
            }
        };
        let transport = Transport::new(TransportOptions::new(url.clone()))
            .ctx(|| format!("the transport to {url}"))?;
        // A client's first contact: the published keys, fetched anonymously, to pin.
        let mut timings = Timings::default();
        let fetch_started = Instant::now();
        let response = rt
            .block_on(transport.anonymous(Request::FetchKeys.to_bytes()))
            .ctx(|| format!("fetching the keys of {url}"))?;
        timings.add(
            Side::Server,
            RequestType::FetchKeys.name(),
            fetch_started.elapsed(),
        );
        let keys = match Response::from_bytes(&response) {
            Ok(Response::Keys(keys)) => keys,
            other => return Err(fail(format!("the server's keys: got {other:?}"))),
        };
        out!(
            "blindpost walkthrough, live: 3 people and a spammer against {described} ({url}), real clock"
        );
        // A block of numbers of this run's own, so that runs against one server do not meet.
        let base = 1_000_000 + rng.next_u64() % 8_000_000;
        Ok(Self {
            rt,
            server,
            _data_dir: data_dir,
            sms_file,
            transport,
            rng,
            keys,
            people: Vec::new(),
            base,
            quiet: options.quiet,
            timings,
            acts: Vec::new(),
            act_started,
        })
    }
}

/// The store a started server uses: the embedded one, or the engines of the environment
/// (`bash ci/engines.sh start; set -a; . target/engines/env; set +a`) under a table or key
/// prefix of this run's own.
fn store_choice(kind: StoreKind, unique: u64) -> Res<StoreChoice> {
    let env = |name: &str| {
        std::env::var(name).ctx(|| {
            format!(
                "--store {}: {name} is not set (bash ci/engines.sh start; set -a; . target/engines/env; set +a)",
                match kind {
                    StoreKind::Postgres => "postgres",
                    _ => "redis-cluster",
                }
            )
        })
    };
    Ok(match kind {
        StoreKind::Embedded => StoreChoice::Embedded,
        StoreKind::Postgres => StoreChoice::Postgres {
            url: env("BLINDPOST_POSTGRES_URL")?,
            table: format!("walkthrough_{unique:016x}"),
        },
        StoreKind::RedisCluster => StoreChoice::RedisCluster {
            nodes: env("BLINDPOST_REDIS_CLUSTER")?
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect(),
            prefix: format!("walkthrough/{unique:016x}/"),
        },
    })
}

/// The lines of the SMS file (none while it does not exist).
fn sms_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

impl Live {
    /// Records how long the act that just ended took.
    fn end_act(&mut self, name: &str) {
        self.acts
            .push((name.to_string(), self.act_started.elapsed()));
        self.act_started = Instant::now();
    }

    /// Sends person `i`'s requests that are due (all of them with `at_once`, as the hosts of
    /// act 3 do), handing each response back; logs and returns the events.
    fn pump(&mut self, i: usize, at_once: bool) -> Res<Vec<Event>> {
        let until = if at_once { Time::MAX } else { now() };
        let p = &mut self.people[i];
        for _ in 0..MAX_REQUESTS {
            let Some(t) = p.client.poll_transmit(until) else {
                break;
            };
            let started = Instant::now();
            let sent = self
                .rt
                .block_on(self.transport.send(&p.client, &mut self.rng, now(), &t));
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    let _ = p.client.handle_send_failure(t.id);
                    return Err(fail(format!("{}: {e}", p.name)));
                }
            };
            let kind = Response::from_bytes(&response).map_or("?", |r| r.request_type().name());
            self.timings.add(Side::Server, kind, started.elapsed());
            p.client
                .handle_response(&mut self.rng, now(), t.id, &response)
                .ctx(|| format!("{}: response to {kind}", p.name))?;
        }
        Ok(self.drain(i))
    }

    /// Moves person `i`'s client's queued events into its log; returns them.
    fn drain(&mut self, i: usize) -> Vec<Event> {
        let p = &mut self.people[i];
        let events: Vec<Event> = std::iter::from_fn(|| p.client.poll_event()).collect();
        p.log.extend(events.iter().cloned());
        events
    }

    /// Runs person `i`'s timers if one is due, then sends what is due.
    fn tick(&mut self, i: usize, at_once: bool) -> Res<Vec<Event>> {
        let t = now();
        let p = &mut self.people[i];
        if p.client.poll_timeout().is_some_and(|due| due <= t) {
            p.client.handle_timeout(&mut self.rng, t);
        }
        self.pump(i, at_once)
    }

    /// Fetches person `i`'s delivery queue, opens each payload with its host's end-to-end
    /// state and hands it to the client, and acknowledges them; logs and returns the events.
    fn receive(&mut self, i: usize) -> Res<Vec<Event>> {
        let mut events = self.drain(i);
        let p = &mut self.people[i];
        for _ in 0..MAX_REQUESTS {
            let batch = self
                .rt
                .block_on(
                    self.transport
                        .fetch_deliveries(&p.client, &mut self.rng, now()),
                )
                .ctx(|| format!("{}: fetching deliveries", p.name))?;
            let Some(last) = batch.last().map(|(seq, _)| *seq) else {
                break;
            };
            for (_, bytes) in &batch {
                match sealing::open_delivery(&mut p.client, &mut p.e2e, now(), bytes) {
                    Ok(got) => {
                        p.log.extend(got.iter().cloned());
                        events.extend(got);
                    }
                    // A resend the server queued again (SPEC.md 12.8): handled the first time.
                    Err(DeliveryRefused::Open(OpenError::Replayed)) => {}
                    Err(e) => return Err(fail(format!("{}: a delivery: {e}", p.name))),
                }
            }
            // A real host saves the client's and the end-to-end state before acknowledging
            // (SPEC.md 13.2); this one keeps them in memory for the run.
            self.rt
                .block_on(
                    self.transport
                        .ack_deliveries(&p.client, &mut self.rng, now(), last),
                )
                .ctx(|| format!("{}: acknowledging deliveries", p.name))?;
        }
        Ok(events)
    }

    /// Runs the hosts of `who` in real time (timers, due requests, delivery queues) until
    /// `done` holds, at most [`WAIT`]. Renewal checks answered `not_released` are counted; any
    /// other failed request stops the run unless `tolerate` accepts it.
    fn run_until(
        &mut self,
        who: &[usize],
        at_once: bool,
        what: &str,
        tolerate: impl Fn(RequestType, &FailureReason) -> bool,
        done: impl Fn(&Self) -> bool,
    ) -> Res<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            for &i in who {
                let mut events = self.tick(i, at_once)?;
                events.extend(self.receive(i)?);
                for e in events {
                    let Event::RequestFailed {
                        request, reason, ..
                    } = e
                    else {
                        continue;
                    };
                    if request == RequestType::RenewToken
                        && reason == FailureReason::Server(ErrorCode::NotReleased)
                    {
                        self.people[i].early += 1;
                    } else if !tolerate(request, &reason) {
                        return Err(fail(format!(
                            "{}: {} failed: {}",
                            self.people[i].name,
                            request.name(),
                            describe(&reason)
                        )));
                    }
                }
            }
            if done(self) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "{what}: not done after {} s of real time",
                    WAIT.as_secs()
                )));
            }
            std::thread::sleep(TICK);
        }
    }

    /// Waits for the verification code the server sent to `phone` after the SMS file had
    /// `seen` lines.
    fn sms_code(&self, phone: &PhoneNumber, seen: usize) -> Res<String> {
        let deadline = Instant::now() + SMS_WAIT;
        loop {
            let code = sms_lines(&self.sms_file)
                .iter()
                .skip(seen)
                .rev()
                .find_map(|line| {
                    let (p, code) = line.split_once(' ')?;
                    (p == phone.as_str()).then(|| code.trim().to_string())
                });
            if let Some(code) = code {
                return Ok(code);
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "no code for {} in {} after {} s",
                    phone.as_str(),
                    self.sms_file.display(),
                    SMS_WAIT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A new client pinning the server's keys, and its host's end-to-end state.
    fn fresh_client(&mut self) -> (Client, E2eState) {
        let client = Client::new(&mut self.rng, self.keys.clone(), settings());
        let e2e = E2eState::generate(&mut self.rng, client.account().0);
        (client, e2e)
    }

    /// Registers person `i` (its client exists): a code by SMS, then the registration with
    /// its host key; with `mistype`, the first code sent is wrong. Returns the tokens received.
    fn register(&mut self, i: usize, mistype: bool) -> Res<usize> {
        let phone = self.people[i].phone.clone();
        let name = self.people[i].name.clone();
        let seen = sms_lines(&self.sms_file).len();
        let p = &mut self.people[i];
        p.client.request_code(&mut self.rng, now(), phone.clone());
        let events = self.pump(i, false)?;
        no_failure(&name, &events)?;
        let code = self.sms_code(&phone, seen)?;
        let detail = !self.quiet && (i < DETAIL || i == MALLORY);
        if mistype {
            let wrong: String = code
                .chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => char::from(b'0' + ((d + 1) % 10) as u8),
                    None => c,
                })
                .collect();
            let p = &mut self.people[i];
            let host_key = host_key(&p.e2e)?;
            p.client
                .register(&mut self.rng, now(), phone.clone(), &wrong, Some(host_key))
                .ctx(|| format!("{name}: register"))?;
            let events = self.pump(i, false)?;
            match failed(&events).as_slice() {
                [(RequestType::Register, FailureReason::Server(ErrorCode::WrongCode))] => {
                    if detail {
                        out!(
                            "  {name:<8} {}  types {wrong} by mistake: refused, wrong_code",
                            phone.as_str()
                        );
                    }
                }
                other => {
                    return Err(fail(format!(
                        "{name}: a wrong code should be refused with wrong_code, got {other:?}"
                    )))
                }
            }
        }
        let p = &mut self.people[i];
        let host_key = host_key(&p.e2e)?;
        p.client
            .register(&mut self.rng, now(), phone.clone(), &code, Some(host_key))
            .ctx(|| format!("{name}: register"))?;
        let events = self.pump(i, false)?;
        no_failure(&name, &events)?;
        let (certificate, tokens) = events
            .iter()
            .find_map(|e| match e {
                Event::Registered {
                    certificate,
                    tokens,
                } => Some((certificate.clone(), *tokens)),
                _ => None,
            })
            .ctx(|| format!("{name}: no Registered event"))?;
        if certificate.host_key().is_none() {
            return Err(fail(format!("{name}: the certificate carries no host key")));
        }
        if detail {
            out!(
                "  {name:<8} {}  SMS code {code} -> certificate #{} with its HPKE host key (account {}..), {tokens} tokens",
                phone.as_str(),
                certificate.serial(),
                hex_prefix(self.people[i].account().as_bytes(), 6),
            );
        }
        Ok(tokens)
    }

    /// Person `from` replies `text` to contact `to`, and `to` receives it; with
    /// `introduces`, the reply must carry `from`'s introduction.
    fn reply(&mut self, from: usize, to: usize, text: &str, introduces: bool) -> Res<()> {
        let to_account = self.people[to].account();
        let from_account = self.people[from].account();
        let name = self.people[from].name.clone();
        let p = &mut self.people[from];
        let sealed = sealing::seal_reply(
            &mut p.client,
            &mut p.e2e,
            &mut self.rng,
            now(),
            to_account,
            text.as_bytes(),
        )
        .ctx(|| format!("{name}: sealing a reply"))?;
        p.client
            .send_reply(&mut self.rng, now(), to_account, &sealed)
            .ctx(|| format!("{name}: send_reply"))?;
        // The group-key fetch leaves after the reply delay, the reply right after it.
        let mark = self.people[from].log.len();
        self.run_until(
            &[from],
            false,
            &format!("{name}'s reply"),
            |_, _| false,
            |live| {
                live.people[from].since(mark).contains(&Event::ReplySent {
                    recipient: to_account,
                })
            },
        )?;
        let mark = self.people[to].log.len();
        let recipient = self.people[to].name.clone();
        self.run_until(
            &[to],
            false,
            &format!("{recipient} receiving {name}'s reply"),
            |_, _| false,
            |live| {
                live.people[to].since(mark).iter().any(|e| match e {
                    Event::IntroductionReceived {
                        contact,
                        cold_call: false,
                        message,
                        ..
                    } => introduces && *contact == from_account && message == text.as_bytes(),
                    Event::MessageReceived {
                        contact, message, ..
                    } => !introduces && *contact == from_account && message == text.as_bytes(),
                    _ => false,
                })
            },
        )
    }
}

/// The host key `e2e` registers in its certificate.
fn host_key(e2e: &E2eState) -> Res<HostKey> {
    HostKey::new(&e2e.host_key()).ctx(|| "the host key".into())
}

/// The requests that failed among `events`.
fn failed(events: &[Event]) -> Vec<(RequestType, FailureReason)> {
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

/// Fails if a request failed among `events`.
fn no_failure(who: &str, events: &[Event]) -> Res<()> {
    match failed(events).first() {
        None => Ok(()),
        Some((request, reason)) => Err(fail(format!(
            "{who}: {} failed: {}",
            request.name(),
            describe(reason)
        ))),
    }
}

impl Live {
    /// Act 1: the keys the server publishes, fetched as a new client does.
    fn act1_keys(&mut self) -> Res<()> {
        header(1, "The server's keys");
        say!(
            self,
            "A new client fetches the server's public keys on a fresh anonymous connection and pins them."
        );
        if !self.quiet {
            for k in self.keys.certificate_issuers.keys() {
                out!(
                    "  certificate issuer  BLS12-381 key {}  signs phone number -> identity key",
                    k.id()
                );
            }
            for e in self.keys.cold_call_tokens.entries() {
                out!(
                    "  cold-call tokens    RSA-2048 key {}..  blind-signs tokens (RFC 9578)",
                    hex_prefix(e.key().id().as_bytes(), 8)
                );
            }
            for e in self.keys.discovery_tokens.entries() {
                out!(
                    "  discovery tokens    RSA-2048 key {}..  valid for one window",
                    hex_prefix(e.key().id().as_bytes(), 8)
                );
            }
        }
        out!(
            "result: server keys fetched and pinned: {} certificate issuer key(s), {} cold-call token key(s), {} discovery keys",
            self.keys.certificate_issuers.keys().len(),
            self.keys.cold_call_tokens.entries().len(),
            self.keys.discovery_tokens.entries().len()
        );
        self.end_act("1 server keys");
        Ok(())
    }

    /// Act 2: alice, bob, carol and mallory register, each with a code from the SMS file.
    fn act2_registration(&mut self) -> Res<()> {
        header(2, "Registration");
        say!(self, "Each phone asks for a code (direct channel); the server's SMS sender writes it to its file, where");
        say!(self, "this run reads it. The client registers with the code, its keys and the HPKE host key other");
        say!(
            self,
            "hosts seal payloads to, and gets a certificate and its cold-call tokens."
        );
        let mut tokens = 0;
        for i in 0..=MALLORY {
            let (name, phone) = match HONEST.get(i) {
                Some(name) => (name.to_string(), number(self.base + 37 * i as u64)?),
                None => ("mallory".to_string(), number(self.base + 5000)?),
            };
            let (client, e2e) = self.fresh_client();
            self.people.push(Person {
                name,
                phone,
                client,
                e2e,
                found: Vec::new(),
                log: Vec::new(),
                early: 0,
            });
            tokens += self.register(i, i == 0)?;
        }
        out!(
            "result: {} accounts registered, {tokens} cold-call tokens issued (the spammer, mallory, is one of them)",
            self.people.len()
        );
        self.end_act("2 registration");
        Ok(())
    }

    /// Act 3: the honest people look up their address books; mallory scrapes a block of
    /// numbers.
    fn act3_discovery(&mut self) -> Res<()> {
        header(3, "Discovery");
        say!(self, "Each client gets its window's discovery tokens (authenticated, blinded) in the background and");
        say!(self, "pays one per batch of numbers on a fresh anonymous connection. Batches are scheduled at random");
        say!(
            self,
            "times in the day's window; these hosts send them at once. The server answers with the"
        );
        say!(self, "certificates of the numbers that have accounts.");
        let honest = HONEST.len();
        let mut books = Vec::new();
        for i in 0..honest {
            // The other two, and a number nobody registered.
            let mut book = Vec::new();
            for j in 1..honest {
                book.push(self.people[(i + j) % honest].phone.clone());
            }
            book.push(number(self.base + 1 + i as u64)?);
            books.push(book.clone());
            let p = &mut self.people[i];
            p.client
                .lookup(&mut self.rng, now(), book)
                .ctx(|| format!("{}: lookup", p.name))?;
        }
        let batch = settings().discovery_batch;
        let scraped: Vec<PhoneNumber> = (0..batch as u64)
            .map(|k| number(self.base + k))
            .collect::<Res<_>>()?;
        let p = &mut self.people[MALLORY];
        p.client
            .lookup(&mut self.rng, now(), scraped.clone())
            .ctx(|| "mallory: lookup".into())?;
        let everyone: Vec<usize> = (0..=MALLORY).collect();
        let completed = |p: &Person| p.count(|e| matches!(e, Event::LookupCompleted { .. })) > 0;
        self.run_until(
            &everyone,
            true,
            "discovery",
            |_, _| false,
            |live| live.people.iter().all(completed),
        )?;
        let registered: BTreeSet<String> = (0..honest)
            .map(|i| self.people[i].phone.as_str().to_string())
            .collect();
        let mut looked_up = 0;
        let mut total_found = 0;
        for (i, book) in books.iter().enumerate() {
            let found = found_certificates(&self.people[i]);
            let expected: BTreeSet<&str> = book
                .iter()
                .map(PhoneNumber::as_str)
                .filter(|p| registered.contains(*p))
                .collect();
            let got: BTreeSet<&str> = found.iter().map(|c| c.phone().as_str()).collect();
            if expected != got {
                return Err(fail(format!(
                    "{}: lookup found {got:?}, expected {expected:?}",
                    self.people[i].name
                )));
            }
            say!(
                self,
                "  {:<8} looks up {} numbers: {} have accounts ({})",
                self.people[i].name,
                book.len(),
                found.len(),
                got.iter().copied().collect::<Vec<_>>().join(", ")
            );
            looked_up += book.len();
            total_found += found.len();
            self.people[i].found = found;
        }
        let victims = found_certificates(&self.people[MALLORY]);
        if victims.len() != honest {
            return Err(fail(format!(
                "mallory's scrape should find the {honest} honest people, found {}",
                victims.len()
            )));
        }
        say!(
            self,
            "  mallory  scrapes {} .. {}: one token, one batch, {} accounts found",
            scraped.first().map(PhoneNumber::as_str).unwrap_or_default(),
            scraped.last().map(PhoneNumber::as_str).unwrap_or_default(),
            victims.len()
        );
        self.people[MALLORY].found = victims;
        out!(
            "result: {honest} address books, {looked_up} numbers looked up, {total_found} certificates found; mallory's scrape of {} numbers found {honest}",
            scraped.len()
        );
        self.end_act("3 discovery");
        Ok(())
    }

    /// Act 4: a ring of cold calls, alice -> bob -> carol -> alice.
    fn act4_cold_calls(&mut self) -> Res<()> {
        header(4, "Cold calls");
        say!(self, "A first message to a stranger costs one token. The client writes an introduction carrying the");
        say!(self, "host's Olm offer (an identity key and a one-time key, under the introduction's signature); the");
        say!(self, "host seals it with HPKE to the host key in the recipient's certificate, and the cold call goes out");
        say!(self, "on a fresh anonymous connection. The recipient's host fetches its queue (authenticated), opens the");
        say!(self, "payload with its HPKE secret, its client checks the introduction, and the host accepts the offer:");
        say!(
            self,
            "an Olm session (a Double Ratchet) every later message between the two goes through."
        );
        let honest = HONEST.len();
        for i in 0..honest {
            let to = (i + 1) % honest;
            let to_phone = self.people[to].phone.clone();
            let to_name = self.people[to].name.clone();
            let p = &mut self.people[i];
            let certificate = p
                .found
                .iter()
                .find(|c| *c.phone() == to_phone)
                .cloned()
                .ctx(|| format!("{}: {to_name} was not found by discovery", p.name))?;
            let message = format!("hi {to_name}, this is {}", p.name);
            let (to_account, sealed) = sealing::seal_cold_call(
                &mut p.client,
                &mut p.e2e,
                &mut self.rng,
                now(),
                &certificate,
                message.as_bytes(),
            )
            .ctx(|| format!("{}: sealing a cold call", p.name))?;
            p.client
                .send_cold_call(now(), to_account, &sealed)
                .ctx(|| format!("{}: send_cold_call", p.name))?;
            let name = p.name.clone();
            let events = self.pump(i, false)?;
            no_failure(&name, &events)?;
            if !events.contains(&Event::ColdCallSent {
                recipient: to_account,
            }) {
                return Err(fail(format!("{name}: cold call not acknowledged")));
            }
            say!(
                self,
                "  {name:<8} -> {to_name:<8} introduction with an Olm offer, padded to {} bytes, sealed to {} bytes (HPKE, X25519 + ChaCha20Poly1305)",
                sealed.len().saturating_sub(SEAL_OVERHEAD),
                sealed.len()
            );
        }
        let mut received = 0;
        for r in 0..honest {
            let from = (r + honest - 1) % honest;
            let (from_account, from_phone) =
                (self.people[from].account(), self.people[from].phone.clone());
            let events = self.receive(r)?;
            let ok = events.iter().any(|e| {
                matches!(e, Event::IntroductionReceived { contact, phone, cold_call: true, .. }
                    if *contact == from_account && *phone == from_phone)
            });
            if !ok {
                return Err(fail(format!(
                    "{}: the cold call from {} did not arrive: {events:?}",
                    self.people[r].name, self.people[from].name
                )));
            }
            say!(
                self,
                "  {:<8} fetches its queue: a cold call, opened and checked: {} is {}",
                self.people[r].name,
                from_phone.as_str(),
                self.people[from].name
            );
            received += 1;
        }
        out!(
            "result: {honest} cold calls, each paid with one token now attached to its recipient; {received} introductions opened and checked"
        );
        self.end_act("4 cold calls");
        Ok(())
    }

    /// Act 5: bob replies to alice and she answers; carol accepts bob's cold call silently;
    /// alice ignores carol's.
    fn act5_replies(&mut self) -> Res<()> {
        header(5, "Replies");
        say!(self, "Replies cost no token: the replier's client fetches the recipient's group key (anonymous) after a");
        say!(self, "short random delay, signs with the member key it was given, and sends the reply, encrypted in the");
        say!(self, "Olm session and sealed with HPKE to the recipient's host key. bob's first reply completes the session.");
        let (alice, bob, carol) = (0, 1, 2);
        self.reply(bob, alice, "hi alice, bob here", true)?;
        say!(self, "  bob      -> alice    reply under alice's group, carrying bob's introduction: accepted, no token");
        self.reply(alice, bob, "good to hear from you, bob", false)?;
        say!(self, "  alice    -> bob      reply under bob's group; bob's client opens the signature: it is alice");
        let bob_account = self.people[bob].account();
        let p = &mut self.people[carol];
        p.client
            .accept(&mut self.rng, now(), bob_account)
            .ctx(|| "carol: accept".into())?;
        say!(
            self,
            "  carol    accepts bob's cold call without replying (the release is scheduled)"
        );
        say!(
            self,
            "  alice    ignores carol's cold call: its token stays attached"
        );
        out!("result: 2 replies accepted (1 conversation) without spending a token; cold calls accepted silently: 1, ignored: 1");
        self.end_act("5 replies");
        Ok(())
    }

    /// Act 6: the apps restart from their saved state; recipients release, senders renew.
    fn act6_releases(&mut self) -> Res<()> {
        header(6, "Releases and renewals (seconds instead of hours)");
        say!(self, "The recipient of a cold call it replied to or accepted releases the token 1-3 s later (these");
        say!(self, "clients' delays; the library's are hours); the sender's renewal checks find it released and");
        say!(
            self,
            "exchange it for a fresh token. The ignored cold call keeps its token."
        );
        let honest = HONEST.len();
        let mut saved = 0;
        for i in 0..honest {
            let p = &mut self.people[i];
            let before = (p.client.account(), p.client.token_counts());
            let bytes = p
                .client
                .to_bytes()
                .ctx(|| format!("{}: saving the state", p.name))?;
            let e2e = p.e2e.to_bytes();
            saved += bytes.len() + e2e.len();
            p.client = Client::from_bytes(&bytes, settings())
                .ctx(|| format!("{}: restoring the state", p.name))?;
            p.e2e = E2eState::from_bytes(&e2e)
                .ctx(|| format!("{}: restoring the end-to-end state", p.name))?;
            if (p.client.account(), p.client.token_counts()) != before {
                return Err(fail(format!("{}: the restored client differs", p.name)));
            }
        }
        say!(
            self,
            "  every app restarts from the state its host saved (the client's and the end-to-end state, {} bytes on average)",
            saved / honest
        );
        let started = Instant::now();
        let released = |p: &Person| p.count(|e| matches!(e, Event::TokenReleased { .. }));
        let renewed = |p: &Person| p.count(|e| *e == Event::TokenRenewed);
        let everyone: Vec<usize> = (0..honest).collect();
        self.run_until(
            &everyone,
            false,
            "releases and renewals",
            |_, _| false,
            |live| {
                let people = &live.people[..honest];
                people.iter().map(released).sum::<usize>() == 2
                    && people.iter().map(renewed).sum::<usize>() == 2
            },
        )?;
        let people = &self.people[..honest];
        let releases: usize = people.iter().map(released).sum();
        let renewals: usize = people.iter().map(renewed).sum();
        let early: usize = people.iter().map(|p| p.early).sum();
        // alice and bob got their tokens back; carol's cold call, ignored, keeps its token (a
        // renewal check may be under way for it: renewing until answered).
        for (i, attached) in [(0, 0), (1, 0), (2, 1)] {
            let counts = self.people[i].client.token_counts();
            let spent = counts.attached + counts.renewing;
            if spent != attached || counts.available + attached != counts.total() {
                return Err(fail(format!(
                    "{}: tokens {counts:?}, expected {attached} attached and the rest available",
                    self.people[i].name
                )));
            }
        }
        say!(
            self,
            "  done after {:.1} s of real time",
            started.elapsed().as_secs_f64()
        );
        out!(
            "result: tokens released: {releases}, renewed: {renewals} (checks too early, answered not_released and retried later: {early}); still attached (ignored cold calls): 1"
        );
        self.end_act("6 releases and renewals");
        Ok(())
    }

    /// Act 7: mallory spends its tokens on the people it scraped, gets none back and none by
    /// registering again.
    fn act7_spammer(&mut self) -> Res<()> {
        header(7, "A spammer runs dry");
        say!(self, "mallory cold-calls the accounts it scraped until its tokens are gone. Nobody replies or accepts,");
        say!(self, "so nothing is released: its renewal checks keep failing and it cannot cold-call again.");
        let victims = self.people[MALLORY].found.clone();
        let registration = self.people[MALLORY].client.token_counts().available;
        let mut sent = 0;
        let mut reached = BTreeSet::new();
        let refusal = loop {
            let Some(certificate) = victims.get(sent % victims.len().max(1)) else {
                return Err(fail("mallory found nobody to spam"));
            };
            let p = &mut self.people[MALLORY];
            let sealed = sealing::seal_cold_call(
                &mut p.client,
                &mut p.e2e,
                &mut self.rng,
                now(),
                certificate,
                b"BUY NOW",
            );
            let (victim, sealed) = match sealed {
                Ok(sealed) => sealed,
                Err(sealing::ComposeError::Client(e)) => break e,
                Err(e) => return Err(fail(format!("mallory: sealing a cold call: {e}"))),
            };
            match p.client.send_cold_call(now(), victim, &sealed) {
                Ok(_) => {
                    let events = self.pump(MALLORY, false)?;
                    no_failure("mallory", &events)?;
                    sent += 1;
                    reached.insert(victim);
                }
                Err(e) => break e,
            }
            if sent > 100 {
                return Err(fail("mallory never ran out of tokens"));
            }
        };
        if refusal != ClientError::NoTokens || sent != registration {
            return Err(fail(format!(
                "mallory should send exactly {registration} cold calls and then have no token; sent {sent}, then: {refusal}"
            )));
        }
        say!(self, "  mallory sends {sent} cold calls to {} people; the next is refused by its own client: no token left", reached.len());
        // The victims' clients check the cold calls (valid: mallory's number is registered);
        // alice blocks mallory, the others ignore it.
        let mallory = self.people[MALLORY].account();
        for r in 0..HONEST.len() {
            let events = self.receive(r)?;
            let from_mallory = events.iter().any(|e| {
                matches!(e, Event::IntroductionReceived { contact, cold_call: true, .. }
                    if *contact == mallory)
            });
            if !from_mallory {
                return Err(fail(format!(
                    "{} did not receive mallory's cold call",
                    self.people[r].name
                )));
            }
        }
        let p = &mut self.people[0];
        let upload = p
            .client
            .block(&mut self.rng, now(), mallory)
            .ctx(|| "alice: block".into())?;
        if upload.is_some() {
            return Err(fail("blocking mallory should need no revocation"));
        }
        let events = self.pump(0, false)?;
        no_failure("alice", &events)?;
        say!(self, "  alice blocks mallory: no revocation needed (mallory never got a member key); the others ignore it");
        self.run_until(
            &[MALLORY],
            false,
            "mallory's renewal checks",
            |_, _| false,
            |live| live.people[MALLORY].early >= 2,
        )?;
        let counts = self.people[MALLORY].client.token_counts();
        if counts.available != 0
            || counts.in_flight != 0
            || counts.attached + counts.renewing != sent
        {
            return Err(fail(format!(
                "mallory should hold {sent} spent tokens, has {counts:?}"
            )));
        }
        say!(
            self,
            "  {} renewal checks by mallory, all not_released; tokens: 0 available, {sent} spent",
            self.people[MALLORY].early
        );
        let (client, e2e) = self.fresh_client();
        let p = &mut self.people[MALLORY];
        p.client = client;
        p.e2e = e2e;
        let tokens = self.register(MALLORY, false)?;
        if tokens != 0 {
            return Err(fail(format!(
                "mallory's re-registration should get no tokens, got {tokens}"
            )));
        }
        say!(self, "  mallory re-registers its number with a new identity key: a certificate, but 0 tokens");
        out!(
            "result: the spammer reached {} people with its {sent} tokens and is out: 0 tokens, renewals refused, re-registration gave none",
            reached.len()
        );
        self.end_act("7 spammer");
        Ok(())
    }

    /// Act 8: alice blocks bob, who holds a member key of her group: the key is revoked.
    fn act8_block(&mut self) -> Res<()> {
        header(8, "A contact blocked and revoked");
        say!(self, "alice blocks bob, to whom she gave a member key of her group with her cold call. Her client revokes");
        say!(self, "it and uploads the revocation with a checkpoint (authenticated); her group key moves to the next");
        say!(self, "generation. bob's client, fetching the group key before its next reply, finds no entry for itself.");
        let (alice, bob) = (0, 1);
        let bob_account = self.people[bob].account();
        let alice_account = self.people[alice].account();
        let p = &mut self.people[alice];
        if !p
            .client
            .contacts()
            .iter()
            .any(|c| c.account == bob_account && c.introduced)
        {
            return Err(fail("alice should have given bob a member key"));
        }
        let generation = p.client.group_key().generation();
        let upload = p
            .client
            .block(&mut self.rng, now(), bob_account)
            .ctx(|| "alice: block".into())?;
        if upload.is_none() {
            return Err(fail("blocking a member should upload a revocation"));
        }
        let events = self.pump(alice, false)?;
        no_failure("alice", &events)?;
        let new_generation = self.people[alice].client.group_key().generation();
        if new_generation != generation + 1 {
            return Err(fail("the group key should move to the next generation"));
        }
        say!(self, "  alice blocks bob: revocation uploaded, alice's group key generation {generation} -> {new_generation}");
        let p = &mut self.people[bob];
        let sealed = sealing::seal_reply(
            &mut p.client,
            &mut p.e2e,
            &mut self.rng,
            now(),
            alice_account,
            b"alice, let me back in",
        )
        .ctx(|| "bob: sealing a reply".into())?;
        p.client
            .send_reply(&mut self.rng, now(), alice_account, &sealed)
            .ctx(|| "bob: send_reply".into())?;
        let mark = self.people[bob].log.len();
        let revoked = FailureReason::Client(ClientError::Group(blindpost::bbs04::Error::Revoked));
        let is_revoked = |request: RequestType, reason: &FailureReason| {
            request == RequestType::FetchGroupKey && *reason == revoked
        };
        self.run_until(
            &[bob],
            false,
            "bob's reply after the revocation",
            is_revoked,
            |live| {
                failed(live.people[bob].since(mark))
                    .iter()
                    .any(|(request, reason)| is_revoked(*request, reason))
            },
        )?;
        if self.people[bob]
            .since(mark)
            .iter()
            .any(|e| matches!(e, Event::ReplySent { .. }))
        {
            return Err(fail("bob's reply should not be sent after the revocation"));
        }
        say!(self, "  bob's client fetches alice's group key: the checkpoint has no entry for its key (revoked), so it");
        say!(self, "  signs nothing and sends nothing");
        out!(
            "result: bob's member key revoked (alice's group at generation {new_generation}); bob's replies fail"
        );
        self.end_act("8 block and revoke");
        Ok(())
    }

    /// The timing table: HTTP round trips by request type, and act times.
    fn print_timings(&self, total: Duration) {
        out!(
            "\n== Timings (this machine, over HTTP on loopback or the network; medians) {}",
            "=".repeat(24)
        );
        out!(
            "  {:<44} {:>7} {:>11} {:>11}",
            "round trip, by request type",
            "count",
            "median",
            "total"
        );
        for (name, n, median, sum) in self.timings.summary(Side::Server) {
            out!(
                "    {name:<42} {n:>7} {:>11} {:>11}",
                fmt_duration(median),
                fmt_duration(sum)
            );
        }
        out!("  acts");
        for (name, d) in &self.acts {
            out!(
                "    {name:<42} {:>7} {:>11} {:>11}",
                "",
                "",
                fmt_duration(*d)
            );
        }
        out!("  whole run {:>63}", fmt_duration(total));
    }
}

/// Every certificate `p`'s lookups found.
fn found_certificates(p: &Person) -> Vec<Certificate> {
    p.log
        .iter()
        .filter_map(|e| match e {
            Event::LookupCompleted { found } => Some(found.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}
