//! `cargo run --release --example walkthrough [-- --population N --seed S --quiet]`
//!
//! A population of phones runs the whole blindpost protocol against one in-memory server, in
//! nine acts: server keys, registration, discovery, cold calls, replies, releases and
//! renewals, a spammer running dry, a contact blocked and revoked, and finally what the server
//! saw and what it could not tell (each claim backed by a check on the recorded requests and
//! the store), with timings.
//!
//! Everything random comes from one `VectorRng` seeded by `--seed`, and the clock is simulated,
//! so two runs with the same options print the same text except for the timing table.
//! Any protocol step that fails unexpectedly, or any check that does not hold, stops the run
//! with a message and a non-zero exit code.

/// Prints a line to stdout. When stdout is gone (for example piped into `head`), the run ends
/// quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}

mod host;
mod view;

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::PreparedGroupKey;
use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::client::{Client, ClientError, ClientSettings, Event, FailureReason};
use blindpost::server::{Server, ServerConfig, ServerSecrets};
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{reply_context, ErrorCode, ReplyRequest, Request, RequestType, Response};
use host::{
    deliver, describe, fail, failures, hex_prefix, no_failures, pump, Context, Net, Res, User,
};
use rand_core::Rng;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The simulated clock starts here (2027-01-15 08:00 UTC).
const T0: u64 = 1_800_000_000;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
const DEFAULT_SEED: &str = "blindpost walkthrough";
const MIN_POPULATION: usize = 5;
const MAX_POPULATION: usize = 10_000;
/// How many lines of detail an act prints before it summarises.
const DETAIL: usize = 3;

const NAMES: [&str; 26] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken",
    "laura", "mike", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent", "uma",
    "victor", "wendy", "xavier", "yara", "zoe",
];

const USAGE: &str = "usage: walkthrough [--population N] [--seed S] [--quiet]
  --population N  people on the server, the spammer included (default 50, 5..=10000)
  --seed S        seed of the deterministic run (default \"blindpost walkthrough\")
  --quiet         print only each act's result line, the server's view and the timings";

struct Options {
    population: usize,
    seed: String,
    quiet: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        population: 50,
        seed: DEFAULT_SEED.to_string(),
        quiet: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--population" => {
                let v = value("--population")?;
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("--population: not a number: {v}"))?;
                if !(MIN_POPULATION..=MAX_POPULATION).contains(&n) {
                    return Err(format!(
                        "--population must be {MIN_POPULATION}..={MAX_POPULATION}, not {n}"
                    ));
                }
                options.population = n;
            }
            "--seed" => options.seed = value("--seed")?,
            "--quiet" if inline.is_none() => options.quiet = true,
            "--help" | "-h" => return Err(String::new()),
            _ => return Err(format!("unknown argument: {arg}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("walkthrough: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nwalkthrough FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints only in verbose mode.
macro_rules! say {
    ($w:expr, $($arg:tt)*) => {
        if !$w.quiet {
            out!($($arg)*);
        }
    };
}

fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if writeln!(std::io::stdout().lock(), "{args}").is_err() {
        std::process::exit(0);
    }
}

fn run(options: &Options) -> Res<()> {
    let started = Instant::now();
    out!(
        "blindpost walkthrough: {} people on one in-memory server, seed \"{}\"",
        options.population,
        options.seed
    );
    let mut walk = Walk::setup(options)?;
    walk.act2_registration()?;
    walk.act3_discovery()?;
    walk.act4_cold_calls()?;
    walk.act5_replies()?;
    walk.act6_releases()?;
    walk.act7_spammer()?;
    walk.act8_block()?;
    walk.act9_view()?;
    walk.print_timings(started.elapsed());
    out!("\nwalkthrough complete: every step and every check passed");
    Ok(())
}

/// What happened to a cold call once it arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// The recipient replied (and the sender answered back).
    Reply,
    /// The recipient accepted it without replying.
    Accept,
    /// The recipient ignored it: its token stays attached.
    Ignore,
}

/// An honest cold call of act 4: who called whom and what the recipient did.
struct ColdCall {
    from: usize,
    to: usize,
    fate: Fate,
}

/// What the clock loop observed.
#[derive(Default)]
struct ClockStats {
    /// (time, releasing user) per release.
    releases: Vec<(u64, usize)>,
    /// (time, user) per renewal.
    renewals: Vec<(u64, usize)>,
    /// Renewal checks answered `not_released`, per user.
    early: Vec<usize>,
    /// Entries purged by the daily jobs.
    purged: usize,
    /// Days the daily job installed new discovery keys.
    rotations: usize,
}

struct Walk {
    net: Net,
    /// The honest users, then the spammer.
    users: Vec<User>,
    honest: usize,
    quiet: bool,
    /// Per honest user, whom it will cold-call in act 4.
    targets: Vec<Vec<usize>>,
    cold_calls: Vec<ColdCall>,
    /// The spammer's victims (certificates found by its scrape).
    victims: Vec<Certificate>,
    /// Act durations.
    acts: Vec<(String, Duration)>,
    act_started: Instant,
    /// The discovery window the host's daily job last ran for.
    last_window: u64,
}

fn name_of(i: usize) -> String {
    let base = NAMES[i % NAMES.len()];
    match i / NAMES.len() {
        0 => base.to_string(),
        round => format!("{base}{}", round + 1),
    }
}

/// The phone number of honest user `i`: spread out in one range, so a scraper walking the
/// range finds them.
fn phone_of(i: usize) -> Res<PhoneNumber> {
    number(1000 + 37 * i as u64)
}

fn number(n: u64) -> Res<PhoneNumber> {
    let text = format!("+1555{n:07}");
    PhoneNumber::parse(&text).ctx(|| format!("phone number {text}"))
}

/// A uniform index below `n` (n > 0); the tiny modulo bias does not matter for a simulation.
fn pick(rng: &mut VectorRng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// A time relative to T0, for example `T0-8h00m`.
fn at(t: u64) -> String {
    let (sign, d) = if t >= T0 {
        ('+', t - T0)
    } else {
        ('-', T0 - t)
    };
    format!("T0{sign}{}h{:02}m", d / HOUR, (d % HOUR) / 60)
}

fn rel(t: u64, from: u64) -> String {
    let d = t.saturating_sub(from);
    format!("+{}h{:02}m", d / HOUR, (d % HOUR) / 60)
}

fn header(number: u32, title: &str) {
    let line = format!("== {number}. {title} ");
    out!("\n{line}{}", "=".repeat(96usize.saturating_sub(line.len())));
}

impl Walk {
    // ----- act 1 -----------------------------------------------------------------------------

    fn setup(options: &Options) -> Res<Self> {
        let act_started = Instant::now();
        header(1, "The server's keys");
        let quiet = options.quiet;
        let mut rng = VectorRng::new(options.seed.as_bytes());
        let config = ServerConfig::default();
        let secrets =
            ServerSecrets::generate(&mut rng, T0, b"blindpost.example", &config.discovery)
                .ctx(|| "server key generation".into())?;
        let server =
            Server::new(config, secrets, MemoryStore::new()).ctx(|| "server set-up".into())?;
        let keys = server.public_keys();
        let config = server.config().clone();
        if !quiet {
            out!(
                "The server makes its keys once and publishes the public halves; every client pins them."
            );
            for k in keys.certificate_issuers.keys() {
                out!(
                    "  certificate issuer  BLS12-381 key {}  signs phone number -> identity key, for {} days",
                    k.id(),
                    config.certificate_validity / DAY
                );
            }
            for e in keys.cold_call_tokens.entries() {
                out!(
                    "  cold-call tokens    RSA-2048 key {}..  blind-signs tokens (RFC 9578); one key for everybody",
                    hex_prefix(e.key().id().as_bytes(), 8)
                );
            }
            for e in keys.discovery_tokens.entries() {
                out!(
                    "  discovery tokens    RSA-2048 key {}..  valid for one window only: {} .. {}",
                    hex_prefix(e.key().id().as_bytes(), 8),
                    at(e.not_before()),
                    at(e.expires())
                );
            }
            out!(
                "  policy: {} cold-call tokens per registration (once per number, then a {}-day cool-down);",
                config.registration_tokens,
                config.token_cooldown / DAY
            );
            out!(
                "          replies within {} s of the server clock; discovery: {} tokens per account per {} h, {} numbers per token",
                config.reply_skew,
                config.discovery.tokens_per_window,
                config.discovery.window_seconds / HOUR,
                config.discovery.batch_size
            );
        }
        let window = config.discovery.window(T0);
        let mut walk = Self {
            net: Net::new(server, T0, rng),
            users: Vec::new(),
            honest: options.population - 1,
            quiet,
            targets: Vec::new(),
            cold_calls: Vec::new(),
            victims: Vec::new(),
            acts: Vec::new(),
            act_started,
            last_window: window,
        };
        out!(
            "result: server keys made: 1 certificate issuer key, 1 cold-call token key, {} discovery keys",
            keys.discovery_tokens.entries().len()
        );
        walk.end_act("1 server keys");
        Ok(walk)
    }

    fn end_act(&mut self, name: &str) {
        self.acts
            .push((name.to_string(), self.act_started.elapsed()));
        self.act_started = Instant::now();
    }

    fn settings() -> ClientSettings {
        ClientSettings::default()
    }

    // ----- act 2 -----------------------------------------------------------------------------

    fn act2_registration(&mut self) -> Res<()> {
        header(2, "Registration");
        say!(self, "Each phone asks for a code; the server derives it from its secret, the phone number and the");
        say!(self, "time (it stores nothing) and its host sends it by SMS. The client then registers: phone, code,");
        say!(self, "identity key, group key and 5 blinded token requests. It gets a certificate binding the number");
        say!(
            self,
            "to its identity key, and 5 cold-call tokens the server signed without seeing them."
        );
        let population = self.honest + 1;
        let mut tokens = 0;
        for i in 0..population {
            let spammer = i == self.honest;
            let name = if spammer {
                "mallory".to_string()
            } else {
                name_of(i)
            };
            let phone = if spammer {
                number(9_990_000)?
            } else {
                phone_of(i)?
            };
            let keys = self.net.server.public_keys();
            let client = self.net.client_op("Client::new", |rng, _| {
                Client::new(rng, keys, Self::settings())
            });
            self.net.add_seal_key(client.account());
            self.users.push(User {
                index: i,
                name,
                phone,
                client,
                book: Vec::new(),
                found: Vec::new(),
                accounts: Vec::new(),
                identity_keys: Vec::new(),
                group_keys: Vec::new(),
                introductions: Default::default(),
            });
            let got = self.register(i, i == 0)?;
            tokens += got;
        }
        if self.quiet {
            out!("result: {population} accounts registered, {tokens} cold-call tokens issued");
        } else {
            out!(
                "  ... {} more registered the same way",
                population.saturating_sub(DETAIL + 1)
            );
            out!(
                "result: {population} accounts registered, {tokens} cold-call tokens issued (the spammer, mallory, is one of them)"
            );
        }
        self.end_act("2 registration");
        Ok(())
    }

    /// Registers user `i` (its client exists); with `mistype`, the first code is wrong.
    /// Returns the number of tokens received.
    fn register(&mut self, i: usize, mistype: bool) -> Res<usize> {
        let detail = !self.quiet && (i < DETAIL || i == self.honest);
        let user = &mut self.users[i];
        let phone = user.phone.clone();
        user.client.request_code(phone.clone());
        let ev = pump(&mut self.net, user)?;
        no_failures(&user.name, &ev)?;
        let code = self
            .net
            .sms
            .iter()
            .rev()
            .find(|(p, _)| *p == phone)
            .map(|(_, c)| c.clone())
            .ctx(|| format!("{}: no SMS arrived", user.name))?;
        if mistype {
            let mut wrong: Vec<u8> = code.bytes().collect();
            if let Some(last) = wrong.last_mut() {
                *last = b'0' + (*last - b'0' + 1) % 10;
            }
            let wrong = String::from_utf8(wrong).ctx(|| "code".into())?;
            self.net
                .client_op("register", |rng, now| {
                    user.client.register(rng, now, phone.clone(), &wrong, None)
                })
                .ctx(|| format!("{}: register", user.name))?;
            let ev = pump(&mut self.net, user)?;
            match failures(&ev).as_slice() {
                [(RequestType::Register, FailureReason::Server(ErrorCode::WrongCode))] => {
                    if detail {
                        out!(
                            "  {:<8} {}  types {wrong} by mistake: refused, wrong_code (the server counts wrong guesses per number)",
                            user.name,
                            phone.as_str()
                        );
                    }
                }
                other => {
                    return Err(fail(format!(
                        "{}: a wrong code should be refused with wrong_code, got {other:?}",
                        user.name
                    )))
                }
            }
        }
        self.net
            .client_op("register", |rng, now| {
                user.client.register(rng, now, phone.clone(), &code, None)
            })
            .ctx(|| format!("{}: register", user.name))?;
        let ev = pump(&mut self.net, user)?;
        no_failures(&user.name, &ev)?;
        let (certificate, tokens) = ev
            .iter()
            .find_map(|e| match e {
                Event::Registered {
                    certificate,
                    tokens,
                } => Some((certificate.clone(), *tokens)),
                _ => None,
            })
            .ctx(|| format!("{}: no Registered event", user.name))?;
        user.accounts.push(user.client.account());
        user.identity_keys
            .push(certificate.identity_key().to_bytes());
        user.group_keys
            .push(user.client.group_key().to_bytes().to_vec());
        if detail {
            out!(
                "  {:<8} {}  SMS code {code} -> certificate #{} (account {}..), {tokens} tokens",
                user.name,
                phone.as_str(),
                certificate.serial(),
                hex_prefix(user.client.account().as_bytes(), 6),
            );
        }
        Ok(tokens)
    }

    // ----- act 3 -----------------------------------------------------------------------------

    fn act3_discovery(&mut self) -> Res<()> {
        header(3, "Discovery");
        say!(self, "Each client looks up numbers from its address book. It first asks for discovery tokens on its");
        say!(self, "authenticated channel (blinded, counted per account and day), then pays one token per batch of");
        say!(self, "up to 100 numbers on a fresh anonymous circuit. The server answers with the certificates of the");
        say!(
            self,
            "numbers that have accounts; the client checks them against the pinned issuer key."
        );
        let h = self.honest;
        // Whom each honest user will cold-call: the next one around a ring (so every user ends up
        // with contacts both ways), and one more at random when possible.
        let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
        for i in 0..h {
            let next = (i + 1) % h;
            pairs.insert((i, next));
            self.targets.push(vec![next]);
        }
        for i in 0..h {
            let j = pick(&mut self.net.rng, h);
            if j != i && !pairs.contains(&(i, j)) && !pairs.contains(&(j, i)) {
                pairs.insert((i, j));
                self.targets[i].push(j);
            }
        }
        let mut total_numbers = 0;
        let mut total_found = 0;
        for i in 0..h {
            // The address book: the people it will call, two more users, two numbers without
            // an account.
            let mut book: Vec<PhoneNumber> = Vec::new();
            for &t in &self.targets[i] {
                book.push(phone_of(t)?);
            }
            for _ in 0..2 {
                let j = pick(&mut self.net.rng, h);
                let p = phone_of(j)?;
                if j != i && !book.contains(&p) {
                    book.push(p);
                }
            }
            for _ in 0..2 {
                let n = 5_000_000 + self.net.rng.next_u64() % 1_000_000;
                book.push(number(n)?);
            }
            let user = &mut self.users[i];
            user.book = book.clone();
            self.net
                .client_op("lookup", |rng, now| {
                    user.client.lookup(rng, now, book.clone())
                })
                .ctx(|| format!("{}: lookup", user.name))?;
            let ev = pump(&mut self.net, user)?;
            no_failures(&user.name, &ev)?;
            let found: Vec<Certificate> = ev
                .into_iter()
                .filter_map(|e| match e {
                    Event::LookupCompleted { found } => Some(found),
                    _ => None,
                })
                .flatten()
                .collect();
            // Exactly the registered numbers of the book must come back.
            let expected: BTreeSet<&str> = book
                .iter()
                .filter(|p| (0..h).any(|j| phone_of(j).is_ok_and(|q| q == **p)))
                .map(PhoneNumber::as_str)
                .collect();
            let got: BTreeSet<&str> = found.iter().map(|c| c.phone().as_str()).collect();
            if expected != got {
                return Err(fail(format!(
                    "{}: lookup found {got:?}, expected {expected:?}",
                    user.name
                )));
            }
            if !self.quiet && i < DETAIL {
                out!(
                    "  {:<8} looks up {} numbers: 1 discovery token, {} have accounts ({})",
                    user.name,
                    book.len(),
                    found.len(),
                    found
                        .iter()
                        .map(|c| c.phone().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            total_numbers += book.len();
            total_found += found.len();
            user.found = found;
        }
        say!(self, "  ... and so on for every honest user");

        // The spammer walks a range of numbers instead of an address book.
        let s = self.honest;
        let window_tokens = self.net.server.config().discovery.tokens_per_window;
        let batch = self.net.server.config().discovery.batch_size as u64;
        let scraped: Vec<PhoneNumber> = (0..window_tokens * batch)
            .map(|k| number(1000 + k))
            .collect::<Res<_>>()?;
        let first = scraped.first().map(|p| p.as_str().to_string());
        let last = scraped.last().map(|p| p.as_str().to_string());
        let user = &mut self.users[s];
        self.net
            .client_op("lookup", |rng, now| user.client.lookup(rng, now, scraped))
            .ctx(|| "mallory: lookup".into())?;
        let ev = pump(&mut self.net, user)?;
        no_failures(&user.name, &ev)?;
        let lookups = ev
            .iter()
            .filter(|e| matches!(e, Event::LookupCompleted { .. }))
            .count();
        self.victims = ev
            .into_iter()
            .filter_map(|e| match e {
                Event::LookupCompleted { found } => Some(found),
                _ => None,
            })
            .flatten()
            .collect();
        let more: Vec<PhoneNumber> = (0..batch)
            .map(|k| number(1000 + window_tokens * batch + k))
            .collect::<Res<_>>()?;
        self.net
            .client_op("lookup", |rng, now| user.client.lookup(rng, now, more))
            .ctx(|| "mallory: lookup".into())?;
        let ev = pump(&mut self.net, user)?;
        let refused = matches!(
            failures(&ev).as_slice(),
            [(
                RequestType::IssueDiscoveryTokens,
                FailureReason::Server(ErrorCode::RateLimited)
            )]
        );
        if !refused {
            return Err(fail(format!(
                "mallory's token request beyond the window's limit should be rate_limited, got {:?}",
                failures(&ev)
            )));
        }
        if !self.quiet {
            out!(
                "  mallory  scrapes {} .. {}: {} tokens pay for {lookups} batches of {batch}, finding {} accounts;",
                first.unwrap_or_default(),
                last.unwrap_or_default(),
                window_tokens,
                self.victims.len()
            );
            out!(
                "           asking for token {} this window: refused, rate_limited (everyone gets the same {} per day)",
                window_tokens + 1,
                window_tokens
            );
        }
        out!(
            "result: {h} address books, {total_numbers} numbers looked up, {total_found} certificates found; the scraper capped at {} numbers per day",
            window_tokens * batch
        );
        self.end_act("3 discovery");
        Ok(())
    }

    // ----- act 4 -----------------------------------------------------------------------------

    fn act4_cold_calls(&mut self) -> Res<()> {
        header(4, "Cold calls");
        say!(self, "A first message to a stranger costs one token. The client writes an introduction (its certificate,");
        say!(self, "a member key of its own group for the recipient, the message; signed with its identity key), the");
        say!(self, "host seals it end to end, and the cold call goes out on a fresh anonymous circuit: recipient,");
        say!(
            self,
            "token, sealed bytes. The server checks the token and attaches it to the recipient."
        );
        let mut shown = 0;
        for i in 0..self.honest {
            for t in self.targets[i].clone() {
                let to_account = self.users[t].account();
                let to_phone = self.users[t].phone.clone();
                let to_name = self.users[t].name.clone();
                let user = &mut self.users[i];
                let cert = user
                    .found
                    .iter()
                    .find(|c| *c.phone() == to_phone)
                    .cloned()
                    .ctx(|| format!("{}: {to_name} was not found by discovery", user.name))?;
                let message = format!("hi {to_name}, this is {}", user.name);
                let ratchet = format!("ratchet-init:{}", user.name);
                let intro = self
                    .net
                    .client_op("compose_introduction", |rng, now| {
                        user.client.compose_introduction(
                            rng,
                            now,
                            &cert,
                            message.as_bytes(),
                            ratchet.as_bytes(),
                        )
                    })
                    .ctx(|| format!("{}: compose_introduction", user.name))?;
                let sealed = self.net.seal(&to_account, &intro)?;
                self.net
                    .client_op("send_cold_call", |_, _| {
                        user.client.send_cold_call(to_account, &sealed)
                    })
                    .ctx(|| format!("{}: send_cold_call", user.name))?;
                let ev = pump(&mut self.net, user)?;
                no_failures(&user.name, &ev)?;
                if !ev.contains(&Event::ColdCallSent {
                    recipient: to_account,
                }) {
                    return Err(fail(format!("{}: cold call not acknowledged", user.name)));
                }
                if shown < DETAIL && !self.quiet {
                    let handle = self.net.log.last().and_then(|s| s.handle);
                    out!(
                        "  {:<8} -> {:<8} introduction {} bytes sealed to {} bytes; token attached to {to_name} under handle {}..",
                        user.name,
                        to_name,
                        intro.len(),
                        sealed.len(),
                        handle.map(|h| hex_prefix(&h.0, 4)).unwrap_or_default()
                    );
                    shown += 1;
                }
                self.cold_calls.push(ColdCall {
                    from: i,
                    to: t,
                    fate: Fate::Ignore,
                });
            }
        }
        // Every recipient's host fetches its queue; the client checks each introduction.
        let mut received = 0;
        for r in 0..self.honest {
            let ev = deliver(&mut self.net, &mut self.users[r])?;
            for e in ev {
                match e {
                    Event::IntroductionReceived {
                        contact,
                        phone,
                        cold_call: true,
                        ..
                    } => {
                        let Some(call) = self
                            .cold_calls
                            .iter()
                            .find(|c| c.to == r && self.users[c.from].account() == contact)
                        else {
                            return Err(fail(format!(
                                "{}: an introduction from an unexpected sender",
                                self.users[r].name
                            )));
                        };
                        if phone != self.users[call.from].phone {
                            return Err(fail("introduction names the wrong phone number"));
                        }
                        if received < DETAIL && !self.quiet {
                            out!(
                                "  {:<8} gets a cold call; certificate, identity signature and binding check out: {} is {}",
                                self.users[r].name,
                                phone.as_str(),
                                self.users[call.from].name
                            );
                        }
                        received += 1;
                    }
                    other => {
                        return Err(fail(format!(
                            "{}: unexpected event {other:?}",
                            self.users[r].name
                        )))
                    }
                }
            }
        }
        if received != self.cold_calls.len() {
            return Err(fail(format!(
                "{} cold calls sent but {received} introductions received",
                self.cold_calls.len()
            )));
        }
        let available: usize = (0..self.honest)
            .map(|i| self.users[i].client.token_counts().available)
            .sum();
        out!(
            "result: {} cold calls, each paid with one token now attached to its recipient; {received} introductions checked; honest users hold {available} unspent tokens",
            self.cold_calls.len()
        );
        self.end_act("4 cold calls");
        Ok(())
    }

    // ----- act 5 -----------------------------------------------------------------------------

    fn act5_replies(&mut self) -> Res<()> {
        header(5, "Replies");
        say!(self, "Replies cost no token. The replier's client fetches the recipient's current group key (anonymous),");
        say!(self, "signs with the member key the recipient gave it, and sends recipient, sealed bytes and the group");
        say!(self, "signature (anonymous). The server verifies the signature against the recipient's group key: it");
        say!(
            self,
            "learns that some member signed, not which. The first reply carries the replier's own"
        );
        say!(self, "introduction, so both sides can write to each other from then on. Some cold calls are only");
        say!(self, "accepted (no reply), a few ignored.");
        let mut shown = 0;
        let (mut replies, mut accepted, mut ignored) = (0, 0, 0);
        for k in 0..self.cold_calls.len() {
            let (s, r) = (self.cold_calls[k].from, self.cold_calls[k].to);
            let ring = self.targets[s].first() == Some(&r);
            let fate = if ring {
                Fate::Reply
            } else {
                match pick(&mut self.net.rng, 20) {
                    0..=11 => Fate::Reply,
                    12..=16 => Fate::Accept,
                    _ => Fate::Ignore,
                }
            };
            self.cold_calls[k].fate = fate;
            let s_account = self.users[s].account();
            match fate {
                Fate::Ignore => ignored += 1,
                Fate::Accept => {
                    let s_name = self.users[s].name.clone();
                    let user = &mut self.users[r];
                    self.net
                        .client_op("accept", |rng, now| user.client.accept(rng, now, s_account))
                        .ctx(|| format!("{}: accept", user.name))?;
                    accepted += 1;
                    if shown < DETAIL + 2 && !self.quiet {
                        out!(
                            "  {:<8} accepts {}'s cold call without replying (the release is scheduled)",
                            user.name, s_name
                        );
                        shown += 1;
                    }
                }
                Fate::Reply => {
                    let text = format!("hi {}, {} here", self.users[s].name, self.users[r].name);
                    self.reply(r, s, &text, Some(true))?;
                    let text = format!("good to hear from you, {}", self.users[r].name);
                    self.reply(s, r, &text, Some(false))?;
                    replies += 2;
                    if shown < DETAIL && !self.quiet {
                        out!(
                            "  {:<8} -> {:<8} reply under {}'s group, carrying {}'s introduction: accepted, no token",
                            self.users[r].name,
                            self.users[s].name,
                            self.users[s].name,
                            self.users[r].name
                        );
                        out!(
                            "  {:<8} -> {:<8} reply under {}'s group; {}'s client opens the signature: it is {}",
                            self.users[s].name,
                            self.users[r].name,
                            self.users[r].name,
                            self.users[r].name,
                            self.users[s].name
                        );
                        shown += 1;
                    }
                }
            }
        }
        out!(
            "result: {replies} replies accepted ({} conversations) without spending a token; cold calls accepted silently: {accepted}, ignored: {ignored}",
            replies / 2
        );
        self.end_act("5 replies");
        Ok(())
    }

    /// User `from` sends `text` to contact `to` as a reply and `to` receives it. With
    /// `Some(true)` the payload must carry an introduction, with `Some(false)` it must be a
    /// plain message.
    fn reply(&mut self, from: usize, to: usize, text: &str, introduces: Option<bool>) -> Res<()> {
        let to_account = self.users[to].account();
        let from_account = self.users[from].account();
        let user = &mut self.users[from];
        let payload = self
            .net
            .client_op("compose_reply", |rng, now| {
                user.client
                    .compose_reply(rng, now, to_account, text.as_bytes(), b"ratchet-step")
            })
            .ctx(|| format!("{}: compose_reply", user.name))?;
        let sealed = self.net.seal(&to_account, &payload)?;
        self.net
            .client_op("send_reply", |rng, now| {
                user.client.send_reply(rng, now, to_account, &sealed)
            })
            .ctx(|| format!("{}: send_reply", user.name))?;
        let ev = pump(&mut self.net, user)?;
        no_failures(&user.name, &ev)?;
        if !ev.contains(&Event::ReplySent {
            recipient: to_account,
        }) {
            return Err(fail(format!("{}: reply not acknowledged", user.name)));
        }
        let ev = deliver(&mut self.net, &mut self.users[to])?;
        let ok = ev.iter().any(|e| match (e, introduces) {
            (
                Event::IntroductionReceived {
                    contact,
                    cold_call: false,
                    message,
                    ..
                },
                Some(true) | None,
            )
            | (
                Event::MessageReceived {
                    contact, message, ..
                },
                Some(false) | None,
            ) => *contact == from_account && message == text.as_bytes(),
            _ => false,
        });
        if !ok {
            return Err(fail(format!(
                "{}: the reply from {} did not arrive as expected: {ev:?}",
                self.users[to].name, self.users[from].name
            )));
        }
        Ok(())
    }

    // ----- the clock -------------------------------------------------------------------------

    /// The host's daily job: when a new discovery window starts, install the next window's
    /// discovery key and purge expired state.
    fn daily_jobs(&mut self, stats: &mut ClockStats) -> Res<()> {
        let window = self.net.server.config().discovery.window(self.net.now);
        if window == self.last_window {
            return Ok(());
        }
        self.last_window = window;
        let now = self.net.now;
        if self
            .net
            .server
            .rotate_discovery_keys(&mut self.net.rng, now)
            .ctx(|| "rotate_discovery_keys".into())?
        {
            stats.rotations += 1;
        }
        stats.purged += self.net.server.maintain(now).ctx(|| "maintain".into())?;
        Ok(())
    }

    /// Runs every client's timers until `until`: each due client gets `handle_timeout` and
    /// its requests are sent. Renewal checks answered `not_released` are expected; any other
    /// failure stops the run.
    fn run_clock(&mut self, until: u64) -> Res<ClockStats> {
        let mut stats = ClockStats {
            early: vec![0; self.users.len()],
            ..ClockStats::default()
        };
        loop {
            let next = self
                .users
                .iter()
                .filter_map(|u| u.client.poll_timeout())
                .min();
            let Some(t) = next.filter(|t| *t <= until) else {
                break;
            };
            self.net.now = self.net.now.max(t);
            self.daily_jobs(&mut stats)?;
            let now = self.net.now;
            for i in 0..self.users.len() {
                if !self.users[i]
                    .client
                    .poll_timeout()
                    .is_some_and(|t| t <= now)
                {
                    continue;
                }
                let user = &mut self.users[i];
                self.net.client_op("handle_timeout", |rng, now| {
                    user.client.handle_timeout(rng, now)
                });
                let ev = pump(&mut self.net, user)?;
                if user.client.poll_timeout().is_some_and(|t| t <= now) {
                    return Err(fail(format!("{}: a timer does not move on", user.name)));
                }
                for e in ev {
                    match e {
                        Event::TokenReleased { .. } => stats.releases.push((now, i)),
                        Event::TokenRenewed => stats.renewals.push((now, i)),
                        Event::RequestFailed {
                            request: RequestType::RenewToken,
                            reason: FailureReason::Server(ErrorCode::NotReleased),
                            ..
                        } => stats.early[i] += 1,
                        Event::RequestFailed {
                            request, reason, ..
                        } => {
                            return Err(fail(format!(
                                "{}: {} failed: {}",
                                user.name,
                                request.name(),
                                describe(&reason)
                            )))
                        }
                        _ => {}
                    }
                }
            }
        }
        self.net.now = self.net.now.max(until);
        self.daily_jobs(&mut stats)?;
        Ok(stats)
    }

    // ----- act 6 -----------------------------------------------------------------------------

    fn act6_releases(&mut self) -> Res<()> {
        header(6, "Releases and renewals (the clock runs for two days)");
        say!(self, "A recipient releases the token of a cold call it replied to or accepted, at a random time 1-24 h");
        say!(self, "later, on its authenticated channel, naming only the delivery handle. The sender's client checks");
        say!(self, "its spent tokens every 6-12 h on anonymous circuits; a released token is exchanged for a fresh,");
        say!(
            self,
            "unlinkable one. Ignored cold calls keep their tokens."
        );
        let start = self.net.now;
        let stats = self.run_clock(start + 2 * DAY)?;
        if !self.quiet {
            let mut timeline: Vec<(u64, usize, &str)> = stats
                .releases
                .iter()
                .map(|(t, i)| (*t, *i, "releases a token (authenticated; the handle names the token, not its sender)"))
                .chain(stats.renewals.iter().map(|(t, i)| {
                    (*t, *i, "checks a spent token: released, so it is renewed for a fresh one")
                }))
                .collect();
            timeline.sort();
            for (t, i, what) in timeline.iter().take(2 * DETAIL) {
                out!("  {:>8}  {:<8} {what}", rel(*t, start), self.users[*i].name);
            }
            let buckets: Vec<String> = (0..4)
                .map(|b| {
                    let n = stats
                        .releases
                        .iter()
                        .filter(|(t, _)| (t - start) / (6 * HOUR) == b)
                        .count();
                    format!("{}-{} h: {n}", 6 * b, 6 * b + 6)
                })
                .collect();
            out!("  releases after the replies:  {}", buckets.join(",  "));
            out!(
                "  the host's daily job installed {} new discovery key(s) and purged {} expired store entries",
                stats.rotations, stats.purged
            );
        }
        // Every cold call replied to or accepted is released and its token renewed; every
        // ignored one is still attached.
        let expected_releases = self
            .cold_calls
            .iter()
            .filter(|c| c.fate != Fate::Ignore)
            .count();
        if stats.releases.len() != expected_releases || stats.renewals.len() != expected_releases {
            return Err(fail(format!(
                "expected {expected_releases} releases and renewals, got {} and {}",
                stats.releases.len(),
                stats.renewals.len()
            )));
        }
        for i in 0..self.honest {
            let ignored = self
                .cold_calls
                .iter()
                .filter(|c| c.from == i && c.fate == Fate::Ignore)
                .count();
            let counts = self.users[i].client.token_counts();
            let registration = self.net.server.config().registration_tokens;
            if counts.attached != ignored || counts.available + ignored != registration {
                return Err(fail(format!(
                    "{}: tokens {counts:?}, expected {ignored} attached",
                    self.users[i].name
                )));
            }
        }
        let early: usize = stats.early.iter().sum();
        let still = self
            .cold_calls
            .iter()
            .filter(|c| c.fate == Fate::Ignore)
            .count();
        out!(
            "result: tokens released: {}, renewed: {} (checks too early, answered not_released and retried later: {early}); still attached (ignored cold calls): {still}",
            stats.releases.len(),
            stats.renewals.len()
        );
        self.end_act("6 releases and renewals");
        Ok(())
    }

    // ----- act 7 -----------------------------------------------------------------------------

    fn act7_spammer(&mut self) -> Res<()> {
        header(7, "A spammer runs dry");
        say!(self, "mallory cold-calls the accounts it scraped until its 5 tokens are gone. Nobody replies or accepts,");
        say!(self, "so nothing is released: its renewal checks keep failing and it cannot cold-call again.");
        let s = self.honest;
        let mut sent = 0;
        let mut victims_hit: Vec<AccountId> = Vec::new();
        let mut k = 0;
        let refusal = loop {
            let Some(cert) = self.victims.get(k % self.victims.len().max(1)).cloned() else {
                return Err(fail("mallory found nobody to spam"));
            };
            k += 1;
            let victim = AccountId::for_identity_key(&cert.identity_key().to_bytes());
            let user = &mut self.users[s];
            let intro = self
                .net
                .client_op("compose_introduction", |rng, now| {
                    user.client
                        .compose_introduction(rng, now, &cert, b"BUY NOW", b"")
                })
                .ctx(|| "mallory: compose_introduction".into())?;
            let sealed = self.net.seal(&victim, &intro)?;
            match user.client.send_cold_call(victim, &sealed) {
                Ok(_) => {
                    let ev = pump(&mut self.net, user)?;
                    no_failures("mallory", &ev)?;
                    sent += 1;
                    victims_hit.push(victim);
                }
                Err(e) => break e,
            }
            if k > 100 {
                return Err(fail("mallory never ran out of tokens"));
            }
        };
        if refusal != ClientError::NoTokens || sent != 5 {
            return Err(fail(format!(
                "mallory should send exactly 5 cold calls and then have no token; sent {sent}, then: {refusal}"
            )));
        }
        say!(self, "  mallory sends {sent} cold calls; the 6th is refused by its own client: no cold-call token left");
        // The victims' clients check the introductions (they are valid: mallory is a registered
        // number) and do nothing; the first victim blocks mallory.
        let mut blocked_by = None;
        for r in 0..self.honest {
            if !victims_hit.contains(&self.users[r].account()) {
                continue;
            }
            let ev = deliver(&mut self.net, &mut self.users[r])?;
            let from_mallory = ev.iter().any(|e| {
                matches!(e, Event::IntroductionReceived { contact, cold_call: true, .. }
                    if *contact == self.users[s].account())
            });
            if !from_mallory {
                return Err(fail(format!(
                    "{} did not receive mallory's cold call",
                    self.users[r].name
                )));
            }
            if blocked_by.is_none() {
                let mallory = self.users[s].account();
                let user = &mut self.users[r];
                let upload = self
                    .net
                    .client_op("block", |_, _| user.client.block(mallory))
                    .ctx(|| format!("{}: block", user.name))?;
                if upload.is_some() {
                    return Err(fail("blocking mallory should need no revocation"));
                }
                pump(&mut self.net, user)?;
                blocked_by = Some(r);
            }
        }
        if let Some(r) = blocked_by {
            say!(self, "  {} blocks mallory: no revocation needed (mallory never got a member key); the others ignore it", self.users[r].name);
        }
        let start = self.net.now;
        let stats = self.run_clock(start + 3 * DAY)?;
        let counts = self.users[s].client.token_counts();
        if counts.available != 0 || counts.attached != 5 || stats.early[s] == 0 {
            return Err(fail(format!(
                "mallory should have 5 attached tokens and failed renewals, has {counts:?} after {} checks",
                stats.early[s]
            )));
        }
        say!(self, "  three days later: {} renewal checks by mallory, all not_released; tokens: 0 available, 5 attached", stats.early[s]);

        // Re-registering the number with a fresh identity gives a certificate but no tokens.
        let keys = self.net.server.public_keys();
        let client = self.net.client_op("Client::new", |rng, _| {
            Client::new(rng, keys, Self::settings())
        });
        self.net.add_seal_key(client.account());
        self.users[s].client = client;
        let tokens = self.register(s, false)?;
        if tokens != 0 {
            return Err(fail(format!(
                "mallory's re-registration should get no tokens, got {tokens}"
            )));
        }
        say!(self, "  mallory re-registers its number with a new identity key: a certificate, but 0 tokens (tokens");
        say!(
            self,
            "  come once per number, then after a {}-day cool-down)",
            self.net.server.config().token_cooldown / DAY
        );
        out!(
            "result: the spammer reached {sent} people with its {sent} tokens and is out: 0 tokens, renewals refused, re-registration gave none"
        );
        self.end_act("7 spammer");
        Ok(())
    }

    // ----- act 8 -----------------------------------------------------------------------------

    fn act8_block(&mut self) -> Res<()> {
        header(8, "A contact blocked and revoked");
        say!(self, "A user blocks a contact it had given a member key of its group. Its client revokes that key and");
        say!(self, "uploads the revocation record (authenticated); the group key moves to the next generation.");
        say!(self, "Members fetch the group key before every reply: the others update their keys from the record,");
        say!(self, "the revoked one cannot.");
        // The user who handed out the most member keys blocks the first of them.
        let b = (0..self.honest)
            .max_by_key(|&i| {
                let n = self.users[i]
                    .client
                    .contacts()
                    .iter()
                    .filter(|c| c.introduced && !c.blocked)
                    .count();
                (n, std::cmp::Reverse(i))
            })
            .ctx(|| "nobody to block".into())?;
        let members: Vec<AccountId> = self.users[b]
            .client
            .contacts()
            .iter()
            .filter(|c| c.introduced && !c.blocked)
            .map(|c| c.account)
            .collect();
        let index_of = |users: &[User], a: &AccountId| users.iter().position(|u| u.account() == *a);
        let c_account = *members.first().ctx(|| "no member to block".into())?;
        let c = index_of(&self.users, &c_account).ctx(|| "blocked contact unknown".into())?;
        let b_account = self.users[b].account();
        let (b_name, c_name) = (self.users[b].name.clone(), self.users[c].name.clone());
        let generation = self.users[b].client.group_key().generation();

        let user = &mut self.users[b];
        let upload = self
            .net
            .client_op("block", |_, _| user.client.block(c_account))
            .ctx(|| format!("{b_name}: block"))?;
        if upload.is_none() {
            return Err(fail("blocking a member should upload a revocation"));
        }
        let ev = pump(&mut self.net, user)?;
        no_failures(&b_name, &ev)?;
        let new_generation = user.client.group_key().generation();
        user.group_keys
            .push(user.client.group_key().to_bytes().to_vec());
        if new_generation != generation + 1 {
            return Err(fail("the group key should move to the next generation"));
        }
        say!(self, "  {b_name} blocks {c_name}: revocation uploaded, {b_name}'s group key generation {generation} -> {new_generation}");

        // The revoked member's client fetches the key, cannot follow the record, and stops.
        let message = format!("{b_name}, please let me back in");
        let user = &mut self.users[c];
        let payload = self
            .net
            .client_op("compose_reply", |rng, now| {
                user.client
                    .compose_reply(rng, now, b_account, message.as_bytes(), b"")
            })
            .ctx(|| format!("{c_name}: compose_reply"))?;
        let sealed = self.net.seal(&b_account, &payload)?;
        self.net
            .client_op("send_reply", |rng, now| {
                user.client.send_reply(rng, now, b_account, &sealed)
            })
            .ctx(|| format!("{c_name}: send_reply"))?;
        let replies_before = count_replies_from(&self.net, c);
        let ev = pump(&mut self.net, user)?;
        let expected = [(
            RequestType::FetchGroupKey,
            FailureReason::Client(ClientError::Group(blindpost::bbs04::Error::Revoked)),
        )];
        if failures(&ev) != expected || count_replies_from(&self.net, c) != replies_before {
            return Err(fail(format!(
                "{c_name}'s reply should stop at the group key update (revoked) without sending: {ev:?}"
            )));
        }
        say!(self, "  {c_name}'s client fetches {b_name}'s group key: its member key cannot follow the record (revoked),");
        say!(
            self,
            "  so it signs nothing and sends nothing; the server saw one anonymous group key fetch"
        );

        // A tampered client that signs with the revoked key anyway is refused by the server.
        let (old_group, old_member) = self.users[c]
            .introductions
            .get(&b_account)
            .cloned()
            .ctx(|| format!("{c_name}'s host kept no introduction from {b_name}"))?;
        let prepared = PreparedGroupKey::new(old_group);
        let mut codes = Vec::new();
        for claimed in [generation, new_generation] {
            let now = self.net.now;
            let sealed = self.net.seal(&b_account, b"tampered client")?;
            let context = reply_context(&b_account, claimed, now);
            let signature = old_member
                .sign(&mut self.net.rng, &prepared, &context, &sealed)
                .ctx(|| "tampered signature".into())?;
            let request = Request::Reply(ReplyRequest {
                recipient: b_account,
                generation: claimed,
                timestamp: now,
                sealed,
                signature,
            });
            let response = self.net.send(c, Channel::Anonymous, &request.to_bytes());
            match Response::from_bytes(&response) {
                Ok(Response::Error { code, .. }) => codes.push(code),
                other => {
                    return Err(fail(format!(
                        "a reply signed with a revoked key must be refused, got {other:?}"
                    )))
                }
            }
        }
        if codes != [ErrorCode::StaleGeneration, ErrorCode::BadSignature] {
            return Err(fail(format!(
                "tampered replies: expected stale_generation and bad_signature, got {codes:?}"
            )));
        }
        say!(self, "  a tampered client signing with the revoked key anyway: claiming generation {generation} -> {},", codes[0].name());
        say!(
            self,
            "  claiming {new_generation} -> {} (the server checks against the current group key)",
            codes[1].name()
        );

        // The other members update and get through; the owner's client opens each reply to
        // the right contact.
        let others: Vec<usize> = members
            .iter()
            .skip(1)
            .filter_map(|a| index_of(&self.users, a))
            .collect();
        for &o in &others {
            let text = format!("still here, {b_name}");
            self.reply(o, b, &text, None)?;
        }
        if !self.quiet && !others.is_empty() {
            let names: Vec<&str> = others
                .iter()
                .map(|&o| self.users[o].name.as_str())
                .collect();
            out!(
                "  {} update their member keys from the record and reply under generation {new_generation}: accepted,",
                names.join(", ")
            );
            out!("  and {b_name}'s client opens each signature to the right contact");
        }

        // The blocked contact may still pay a token to cold-call; the owner's client drops it
        // and never releases the token.
        let b_cert = self.users[c]
            .client
            .contacts()
            .iter()
            .find(|x| x.account == b_account)
            .map(|x| x.certificate.clone())
            .ctx(|| format!("{c_name} has no certificate of {b_name}"))?;
        let mut dropped = false;
        if self.users[c].client.token_counts().available > 0 {
            let user = &mut self.users[c];
            let intro = self
                .net
                .client_op("compose_introduction", |rng, now| {
                    user.client
                        .compose_introduction(rng, now, &b_cert, b"it's me again", b"")
                })
                .ctx(|| format!("{c_name}: compose_introduction"))?;
            let sealed = self.net.seal(&b_account, &intro)?;
            user.client
                .send_cold_call(b_account, &sealed)
                .ctx(|| format!("{c_name}: send_cold_call"))?;
            let ev = pump(&mut self.net, user)?;
            no_failures(&c_name, &ev)?;
            let ev = deliver(&mut self.net, &mut self.users[b])?;
            if !ev.is_empty() {
                return Err(fail(format!(
                    "{b_name}'s client should drop the blocked contact's cold call: {ev:?}"
                )));
            }
            dropped = true;
            say!(self, "  {c_name} pays a token to cold-call {b_name} instead: {b_name}'s client drops it and never releases the token");
        }
        out!(
            "result: {c_name}'s member key revoked ({b_name}'s group at generation {new_generation}); {c_name}'s replies fail, {} other member(s) continue{}",
            others.len(),
            if dropped {
                format!("; {c_name}'s cold call costs a token that never comes back")
            } else {
                String::new()
            }
        );
        self.end_act("8 block and revoke");
        Ok(())
    }
}

/// Reply requests user `i`'s device has sent so far.
fn count_replies_from(net: &Net, i: usize) -> usize {
    {
        net.log
            .iter()
            .filter(|s| s.from == i && s.kind == Some(RequestType::Reply))
            .count()
    }
}

impl Walk {
    // ----- act 9 -----------------------------------------------------------------------------

    fn act9_view(&mut self) -> Res<()> {
        header(9, "What the server saw, and what it could not tell");
        say!(self, "Every request the server received is in the host's log, with the channel it came by. The checks");
        say!(self, "below scan those bytes and the server's store for things the server should not be able to tell;");
        say!(
            self,
            "the log's ground truth (which device sent what) is used only by the checks."
        );
        let purged = self
            .net
            .server
            .maintain(self.net.now)
            .ctx(|| "maintain".into())?;
        let report = view::analyse(&self.net, &self.users)?;
        view::print(&report, purged);
        let failed: Vec<&view::Check> = report.checks.iter().filter(|c| !c.passed).collect();
        if let Some(first) = failed.first() {
            return Err(fail(format!(
                "{} check(s) failed, first: [{}] {}",
                failed.len(),
                first.tag,
                first.detail
            )));
        }
        self.end_act("9 server's view");
        Ok(())
    }

    fn print_timings(&self, total: Duration) {
        out!("\n== Timings (this machine; medians) {}", "=".repeat(62));
        for (side, title) in [
            (
                host::Side::Server,
                "server: Server::handle, by request type",
            ),
            (host::Side::Client, "client: calls, by operation"),
        ] {
            out!(
                "  {title:<44} {:>7} {:>11} {:>11}",
                "count",
                "median",
                "total"
            );
            for (name, n, median, sum) in self.net.timings.summary(side) {
                out!(
                    "    {name:<42} {n:>7} {:>11} {:>11}",
                    fmt_duration(median),
                    fmt_duration(sum)
                );
            }
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

fn fmt_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} us")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}
