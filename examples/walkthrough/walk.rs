//! The walkthrough's state, act 1 (the server's keys) and the steps the acts share.

use crate::host::{Context, Res, Timings, User};
use crate::{at, header, hex_prefix, Options, DAY, HOUR, T0};
use blindpost::certificate::Certificate;
use blindpost::client::{ClientSettings, Delay};
use blindpost::server::{Server, ServerConfig, ServerSecrets};
use blindpost::simulation::World;
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use std::time::{Duration, Instant};

/// What happened to a cold call once it arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The recipient replied (and the sender answered back).
    Reply,
    /// The recipient accepted it without replying.
    Accept,
    /// The recipient ignored it: its token stays attached.
    Ignore,
}

/// An honest cold call of act 4: who called whom and what the recipient did.
pub struct ColdCall {
    /// The caller.
    pub from: usize,
    /// The recipient.
    pub to: usize,
    /// What the recipient did.
    pub fate: Fate,
}

/// Everything the acts share: the network with the server, the people, and what happened so
/// far.
pub struct Walk {
    /// The server, its host and the hosts of every client (the simulated deployment).
    pub world: World,
    /// How long each client call and server request took.
    pub timings: Timings,
    /// The honest users, then the spammer.
    pub users: Vec<User>,
    /// How many honest users there are (the spammer is `users[honest]`).
    pub honest: usize,
    /// Print only result lines.
    pub quiet: bool,
    /// Per honest user, whom it will cold-call in act 4.
    pub targets: Vec<Vec<usize>>,
    /// The honest cold calls of act 4.
    pub cold_calls: Vec<ColdCall>,
    /// The spammer's victims (certificates found by its scrape).
    pub victims: Vec<Certificate>,
    /// Act durations.
    pub acts: Vec<(String, Duration)>,
    act_started: Instant,
    /// The discovery window the host's daily job last ran for.
    pub last_window: u64,
}

impl Walk {
    /// Act 1: the server makes and publishes its keys; returns the walk ready for act 2.
    pub fn setup(options: &Options) -> Res<Self> {
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
                "          replies within {} s of the server clock; discovery: {} tokens per phone number per {} h, {} numbers per token",
                config.reply_skew,
                config.discovery.tokens_per_window,
                config.discovery.window_seconds / HOUR,
                config.discovery.batch_size
            );
        }
        let window = config.discovery.window(T0);
        let mut walk = Self {
            world: World::with_server(server, rng, T0),
            timings: Timings::default(),
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

    /// Records how long the act that just ended took.
    pub fn end_act(&mut self, name: &str) {
        self.acts
            .push((name.to_string(), self.act_started.elapsed()));
        self.act_started = Instant::now();
    }

    /// The clients' settings (the library's defaults: releases 1-24 h after acceptance, renewal
    /// checks 6-12 h after the cold call, the interval doubling after each refusal).
    pub fn settings() -> ClientSettings {
        ClientSettings::default()
    }

    /// The longest a reply waits before its group-key fetch leaves (the clients' reply delay,
    /// SPEC.md 13.6).
    pub fn reply_window() -> u64 {
        match Self::settings().reply_delay {
            Delay::Uniform { max, .. } | Delay::Exponential { max, .. } => max,
        }
    }
}
