//! A population of phones on one server, driven for days in simulated time: the traffic the
//! [adversary](super::adversary) analyses.
//!
//! Each phone behaves like one: it sleeps at night (six to nine hours from a bedtime around
//! 22:00 of the simulation's day) and goes offline for an hour or so on most days; only while
//! it is awake does its host hold the authenticated push connection, run the client's timers,
//! send its transmits and take deliveries. On waking it sometimes restarts the app from its
//! state blob. Its clock is off by up to [`MAX_CLOCK_OFFSET`] seconds (the client is given
//! that clock, the server keeps the true one). Its user looks up numbers, cold-calls some of
//! them, answers cold calls and messages some time after reading them, accepts, and now and
//! then blocks. Whatever the user planned for a time the phone was asleep happens at a random
//! time after it wakes.
//!
//! Hosts follow one of two [`HostMode`]s. The run is deterministic: everything random comes
//! from the world's one generator, seeded by [`PopulationConfig::seed`].
// A test device: indices are the population's own and times stay far from the end of the
// range, so the crate's no-panic lints for hostile input do not apply here.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::adversary::{Connection, Fields, LoggedDelivery, LoggedRequest, ServerLog};
use super::{events, settings, OpenError, World, T0};
use crate::account::AccountId;
use crate::certificate::{Certificate, PhoneNumber};
use crate::client::{Client, ClientSettings, Event, Transmit};
use crate::server::{ReputationConfig, ServerConfig};
use crate::store::{MemoryStore, Store};
use crate::wire::{Delivery, Request};
use crate::Time;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rand_core::Rng;

/// The largest difference between a phone's clock and the true time (seconds, either way):
/// two phones differ by less than the 300 s skew an introduction may have.
pub const MAX_CLOCK_OFFSET: u64 = 120;
const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// Chance that a phone restarts from its state blob when it wakes.
const RESTART: f64 = 0.25;
/// Chance that a user looks up numbers on a given day.
const LOOKUP_PER_DAY: f64 = 0.6;
/// Chance that a user cold-calls a number a lookup found.
const COLD_CALL: f64 = 0.5;
/// Chances that a user answers a cold call, else accepts it (else blocks it).
const ANSWER_COLD_CALL: f64 = 0.6;
const ACCEPT_COLD_CALL: f64 = 0.85;
/// Chance that a user answers a message, and that it blocks its sender instead.
const ANSWER_MESSAGE: f64 = 0.45;
const BLOCK_MESSAGE: f64 = 0.03;

/// How a phone's host sends what its client queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostMode {
    /// The host loop contract (SPEC.md 13.6): whenever the clock reaches `poll_timeout`, run
    /// `handle_timeout`, then send what `poll_transmit` hands out now.
    Scheduled,
    /// Runs `handle_timeout` when due, then sends everything queued at once, ignoring
    /// not-before times, and its client asks for discovery tokens only when lookups wait
    /// (`discovery_tokens: 0`): the control experiment, what the first client did.
    SendAtOnce,
}

impl HostMode {
    /// The settings of the phones' clients in this mode.
    pub fn client_settings(self) -> ClientSettings {
        let scheduled = ClientSettings {
            reputation_period: REPUTATION_PERIOD,
            ..settings()
        };
        match self {
            HostMode::Scheduled => scheduled,
            HostMode::SendAtOnce => ClientSettings {
                discovery_tokens: 0,
                ..scheduled
            },
        }
    }
}

/// The reputation period of the simulated deployment: a day instead of the default week, so
/// that a run of a few days sees stamps redeemed (two periods after their renewals), and with
/// a day's renewals instead of a week's in each stamp's anonymity set (SPEC.md 18.1).
pub const REPUTATION_PERIOD: u64 = DAY;

/// What to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationConfig {
    /// The seed of the run.
    pub seed: String,
    /// How many phones.
    pub phones: usize,
    /// How many days after registration.
    pub days: u64,
    /// How the hosts send.
    pub mode: HostMode,
}

/// What a run produced: the server's log, and apart from it the truth.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Everything the server observed.
    pub log: ServerLog,
    /// Ground truth, for scoring only: the account whose host sent each request of
    /// [`ServerLog::requests`] (`None` for none).
    pub truth: Vec<Option<AccountId>>,
}

/// Something the user means to do at a time.
#[derive(Clone, Debug)]
enum Plan {
    Lookup(Vec<PhoneNumber>),
    ColdCall(Certificate),
    Reply(AccountId),
    Accept(AccountId),
    Block(AccountId),
}

struct Phone {
    client: Client,
    account: AccountId,
    /// The phone's clock minus the true clock (seconds).
    offset: i64,
    /// When the phone is awake (and connected): sorted, disjoint, `[from, until)`.
    awake: Vec<(Time, Time)>,
    /// Whether it was awake when its host last ran.
    was_awake: bool,
    plans: Vec<(Time, Plan)>,
}

impl Phone {
    fn clock(&self, t: Time) -> Time {
        if self.offset >= 0 {
            t.saturating_add(self.offset.unsigned_abs())
        } else {
            t.saturating_sub(self.offset.unsigned_abs())
        }
    }

    /// The true time at which the phone's clock shows `t`.
    fn true_time(&self, t: Time) -> Time {
        if self.offset >= 0 {
            t.saturating_sub(self.offset.unsigned_abs())
        } else {
            t.saturating_add(self.offset.unsigned_abs())
        }
    }

    /// The awake interval containing `t`.
    fn awake_at(&self, t: Time) -> Option<(Time, Time)> {
        self.awake
            .iter()
            .copied()
            .find(|&(from, until)| from <= t && t < until)
    }

    /// The next time after `t` at which the phone wakes or falls asleep.
    fn next_transition(&self, t: Time) -> Option<Time> {
        self.awake
            .iter()
            .flat_map(|&(from, until)| [from, until])
            .find(|&x| x > t)
    }
}

/// Runs a population as `config` says and returns the server's log and the truth.
pub fn run(config: &PopulationConfig) -> Outcome {
    run_on(config, MemoryStore::new())
}

/// Runs the population described by `config` with its server over `store` (empty). A store
/// that keeps the [`Store`] contract gives the same outcome as [`run`] does: the run is
/// deterministic and the server sees the same answers.
pub fn run_on<S: Store>(config: &PopulationConfig, store: S) -> Outcome {
    let mut p = Population::new(config, store);
    p.run();
    p.outcome()
}

struct Population<S: Store> {
    world: World<S>,
    phones: Vec<Phone>,
    mode: HostMode,
    end: Time,
    deliveries: Vec<LoggedDelivery>,
    /// The discovery window of the server host's last daily job.
    window: u64,
}

impl<S: Store> Population<S> {
    fn new(config: &PopulationConfig, store: S) -> Self {
        let server = ServerConfig {
            reputation: ReputationConfig {
                period_seconds: REPUTATION_PERIOD,
                ..ReputationConfig::default()
            },
            ..ServerConfig::default()
        };
        let mut world = World::with_store(&config.seed, server, store);
        let start = T0;
        let end = start + config.days * DAY;
        let mut phones = Vec::with_capacity(config.phones);
        for i in 0..config.phones {
            let mut client = world.new_client_with(config.mode.client_settings());
            world.now = start + i as u64;
            world.register(&mut client, &number(i));
            let offset = uniform(&mut world.rng, 0, 2 * MAX_CLOCK_OFFSET + 1) as i64
                - MAX_CLOCK_OFFSET as i64;
            let awake = schedule(&mut world.rng, start, config.days);
            let mut plans = Vec::new();
            for day in 0..config.days {
                if coin(&mut world.rng, LOOKUP_PER_DAY) {
                    let at = start + day * DAY + uniform(&mut world.rng, 0, DAY);
                    let phones = lookup_list(&mut world.rng, i, config.phones);
                    plans.push((at, Plan::Lookup(phones)));
                }
            }
            phones.push(Phone {
                account: client.account(),
                client,
                offset,
                awake,
                was_awake: true,
                plans,
            });
        }
        world.now = start + config.phones as u64;
        Self {
            world,
            phones,
            mode: config.mode,
            end,
            deliveries: Vec::new(),
            window: start.window(DAY),
        }
    }

    /// When phone `i`'s host must run next (after `t`, or at `t` for a waiting delivery).
    fn next_run(&self, i: usize, t: Time) -> Option<Time> {
        let phone = &self.phones[i];
        let mut next = phone.next_transition(t);
        let mut consider = |x: Time| next = Some(next.map_or(x, |n| n.min(x)));
        if phone.awake_at(t).is_some() {
            if self.world.queues.contains_key(&phone.account) {
                consider(t);
            }
            if let Some(timer) = phone.client.poll_timeout() {
                consider(phone.true_time(timer).max(t + 1));
            }
            for (at, _) in &phone.plans {
                consider((*at).max(t + 1));
            }
        }
        next
    }

    fn run(&mut self) {
        loop {
            let now = self.world.now;
            let next = (0..self.phones.len())
                .filter_map(|i| self.next_run(i, now).map(|t| (t, i)))
                .min();
            let Some((t, i)) = next else { break };
            if t >= self.end {
                break;
            }
            self.world.now = t;
            self.daily_job();
            self.step(i);
        }
    }

    /// The server host's job at the start of every discovery window: rotate the discovery
    /// keys and purge what expired.
    fn daily_job(&mut self) {
        let now = self.world.now;
        let window = self.world.server.config().discovery.window(now);
        if window == self.window {
            return;
        }
        self.window = window;
        self.world
            .server
            .rotate_discovery_keys(&mut self.world.rng, now)
            .expect("the store takes the new keys");
        self.world.server.maintain(now).expect("the store purges");
    }

    /// Runs phone `i`'s host at the world's clock.
    fn step(&mut self, i: usize) {
        let now = self.world.now;
        let awake = self.phones[i].awake_at(now);
        let woke = awake.is_some() && !self.phones[i].was_awake;
        self.phones[i].was_awake = awake.is_some();
        let Some((_, until)) = awake else { return };
        if woke {
            self.wake(i, now, until);
        }
        let events = self.take_deliveries(i);
        self.react(i, events);
        let due: Vec<Plan> = {
            let plans = &mut self.phones[i].plans;
            let (due, later) = core::mem::take(plans)
                .into_iter()
                .partition(|(at, _)| *at <= now);
            *plans = later;
            due.into_iter().map(|(_, plan)| plan).collect()
        };
        for plan in due {
            self.act(i, plan);
        }
        let clock = self.phones[i].clock(now);
        if self.phones[i]
            .client
            .poll_timeout()
            .is_some_and(|t| t <= clock)
        {
            self.phones[i]
                .client
                .handle_timeout(&mut self.world.rng, clock);
        }
        self.drain(i);
    }

    /// The phone woke at `now`: maybe restart from the state blob; move the plans that fell
    /// in its sleep to random times in this awake spell.
    fn wake(&mut self, i: usize, now: Time, until: Time) {
        let rng = &mut self.world.rng;
        if coin(rng, RESTART) {
            let phone = &mut self.phones[i];
            let blob = phone.client.to_bytes().expect("the state fits");
            phone.client =
                Client::from_bytes(&blob, self.mode.client_settings()).expect("the state reloads");
        }
        let room = until.secs_since(now).clamp(2, 2 * HOUR);
        for (at, _) in self.phones[i].plans.iter_mut() {
            if *at < now {
                *at = now + uniform(rng, 1, room);
            }
        }
    }

    /// Hands phone `i` its queued deliveries; returns the events.
    fn take_deliveries(&mut self, i: usize) -> Vec<Event> {
        let account = self.phones[i].account;
        let clock = self.phones[i].clock(self.world.now);
        let mut all = events(&mut self.phones[i].client);
        for bytes in self.world.take_queued(&account) {
            let delivery = Delivery::from_bytes(&bytes).expect("the server queues valid ones");
            // A replayed delivery (queued again) is acknowledged and dropped, as hosts do.
            let opened = match self.world.open(&account, delivery.sealed()) {
                Ok(opened) => opened,
                Err(OpenError::Replayed) => continue,
                Err(e) => panic!("sealed for this phone: {e}"),
            };
            if let Err(e) = self.phones[i]
                .client
                .handle_delivery(clock, &bytes, &opened.payload)
            {
                panic!("the client refused a delivery: {e}");
            }
            let new = events(&mut self.phones[i].client);
            self.world.host_events(&account, &opened, &new);
            all.extend(new);
        }
        all
    }

    /// Sends what phone `i`'s client hands out, feeding back the responses, and reacts to the
    /// events.
    fn drain(&mut self, i: usize) {
        while let Some(t) = self.next_transmit(i) {
            self.exchange(i, t);
            let events = events(&mut self.phones[i].client);
            self.react(i, events);
        }
    }

    fn next_transmit(&mut self, i: usize) -> Option<Transmit> {
        let until = match self.mode {
            HostMode::Scheduled => self.phones[i].clock(self.world.now),
            HostMode::SendAtOnce => Time::MAX,
        };
        self.phones[i].client.poll_transmit(until)
    }

    fn exchange(&mut self, i: usize, t: Transmit) {
        let account = self.phones[i].account;
        let before = self.world.delivered.len();
        let response = self.world.send_from(Some(account), t.channel, &t.bytes);
        let now = self.world.now;
        for (recipient, _) in &self.world.delivered[before..] {
            self.deliveries.push(LoggedDelivery {
                at: now,
                recipient: *recipient,
            });
        }
        let clock = self.phones[i].clock(now);
        if let Err(e) =
            self.phones[i]
                .client
                .handle_response(&mut self.world.rng, clock, t.id, &response)
        {
            panic!("the client refused the server's response: {e}");
        }
    }

    /// The user of phone `i` plans what to do about `events`.
    fn react(&mut self, i: usize, events: Vec<Event>) {
        let now = self.world.now;
        let own = self.phones[i].account;
        for event in events {
            let rng = &mut self.world.rng;
            let later = |rng: &mut _| now + uniform(rng, 5 * MINUTE, 8 * HOUR);
            let plan = match event {
                Event::LookupCompleted { found } => {
                    for certificate in found {
                        let account =
                            AccountId::for_identity_key(&certificate.identity_key().to_bytes());
                        if account != own && coin(rng, COLD_CALL) {
                            let at = now + uniform(rng, MINUTE, 4 * HOUR);
                            self.phones[i].plans.push((at, Plan::ColdCall(certificate)));
                        }
                    }
                    None
                }
                Event::IntroductionReceived {
                    contact,
                    cold_call: true,
                    ..
                } => {
                    let r = unit(rng);
                    Some(if r < ANSWER_COLD_CALL {
                        Plan::Reply(contact)
                    } else if r < ACCEPT_COLD_CALL {
                        Plan::Accept(contact)
                    } else {
                        Plan::Block(contact)
                    })
                }
                Event::IntroductionReceived { contact, .. }
                | Event::MessageReceived { contact, .. } => {
                    let r = unit(rng);
                    if r < ANSWER_MESSAGE {
                        Some(Plan::Reply(contact))
                    } else if r < ANSWER_MESSAGE + BLOCK_MESSAGE {
                        Some(Plan::Block(contact))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(plan) = plan {
                let at = later(rng);
                self.phones[i].plans.push((at, plan));
            }
        }
    }

    /// The user of phone `i` does what it planned (what the client refuses, for example a
    /// cold call without tokens, it gives up).
    fn act(&mut self, i: usize, plan: Plan) {
        let clock = self.phones[i].clock(self.world.now);
        let rng = &mut self.world.rng;
        let client = &mut self.phones[i].client;
        match plan {
            Plan::Lookup(phones) => {
                let _ = client.lookup(rng, clock, phones);
            }
            Plan::ColdCall(certificate) => {
                let to = AccountId::for_identity_key(&certificate.identity_key().to_bytes());
                let known = client.contacts().iter().any(|c| c.account == to);
                if known || client.token_counts().available == 0 {
                    return;
                }
                let message = text(rng);
                let me = client.account();
                let offer = self.world.offer(&me);
                let rng = &mut self.world.rng;
                let client = &mut self.phones[i].client;
                let Ok(intro) =
                    client.compose_introduction(rng, clock, &certificate, &message, &offer)
                else {
                    return;
                };
                let sealed = self.world.seal_first_contact(&me, &certificate, &intro);
                let _ = self.phones[i].client.send_cold_call(clock, to, &sealed);
            }
            Plan::Reply(to) => {
                let message = text(rng);
                let Ok(payload) = client.compose_reply(rng, clock, to, &message, b"") else {
                    return;
                };
                let sealed = self.world.seal_reply(&self.phones[i].client, &to, &payload);
                let _ = self.phones[i]
                    .client
                    .send_reply(&mut self.world.rng, clock, to, &sealed);
            }
            Plan::Accept(contact) => {
                let _ = client.accept(rng, clock, contact);
            }
            Plan::Block(contact) => {
                let _ = client.block(rng, clock, contact);
            }
        }
        let events = events(&mut self.phones[i].client);
        self.react(i, events);
    }

    fn outcome(self) -> Outcome {
        let end = self.end;
        let requests = self
            .world
            .received
            .iter()
            .map(|r| LoggedRequest {
                arrival: r.now,
                channel: r.channel,
                request_type: r.request_type,
                size: r.bytes.len(),
                accepted: r.refused.is_none(),
                fields: Request::from_bytes(&r.bytes)
                    .map(|q| Fields::of(&q))
                    .unwrap_or(Fields::Other),
            })
            .collect();
        let truth = self.world.received.iter().map(|r| r.sender).collect();
        let connections = self
            .phones
            .iter()
            .flat_map(|p| {
                p.awake.iter().map(|&(from, until)| Connection {
                    account: p.account,
                    from,
                    until: until.min(end),
                })
            })
            .filter(|c| c.from < c.until)
            .collect();
        Outcome {
            log: ServerLog {
                requests,
                deliveries: self.deliveries,
                connections,
                discovery_window: self.world.server.config().discovery.window_seconds,
                reputation_period: self.world.server.config().reputation.period_seconds,
            },
            truth,
        }
    }
}

/// The phone number of phone `i`.
pub fn number(i: usize) -> String {
    format!("+1555{:07}", 2000 + i)
}

/// The numbers a user looks up: one to three other phones of the population and sometimes a
/// number nobody registered.
fn lookup_list(rng: &mut impl Rng, me: usize, phones: usize) -> Vec<PhoneNumber> {
    let mut list = Vec::new();
    for _ in 0..uniform(rng, 1, 4) {
        let other = uniform(rng, 0, phones as u64) as usize;
        if other != me {
            list.push(parse(&number(other)));
        }
    }
    if coin(rng, 0.3) {
        list.push(parse(&format!(
            "+1555{:07}",
            9_000_000 + uniform(rng, 0, 1000)
        )));
    }
    list
}

fn parse(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("a valid phone number")
}

/// The awake intervals of one phone for `days` days from `start`: the whole time minus a
/// night's sleep each day and, on most days, an offline spell.
fn schedule(rng: &mut impl Rng, start: Time, days: u64) -> Vec<(Time, Time)> {
    let mut off = Vec::new();
    for day in 0..=days {
        let base = start + day * DAY;
        let bed = base + 12 * HOUR + uniform(rng, 0, 4 * HOUR);
        off.push((bed, bed + uniform(rng, 6 * HOUR, 9 * HOUR)));
        if coin(rng, 0.6) {
            let from = base + uniform(rng, HOUR, 12 * HOUR);
            off.push((from, from + uniform(rng, 30 * MINUTE, 3 * HOUR)));
        }
    }
    off.sort();
    let mut awake = Vec::new();
    let mut from = start;
    for (a, b) in off {
        if a > from {
            awake.push((from, a));
        }
        from = from.max(b);
    }
    awake.push((from, start + (days + 1) * DAY));
    awake
}

/// A message of 20 to 300 random bytes.
fn text(rng: &mut impl Rng) -> Vec<u8> {
    let mut m = alloc::vec![0u8; uniform(rng, 20, 301) as usize];
    rng.fill_bytes(&mut m);
    m
}

/// A uniform integer in `[lo, hi)` (`lo` if empty); the modulo bias does not matter here.
fn uniform(rng: &mut impl Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        lo
    } else {
        lo + rng.next_u64() % (hi - lo)
    }
}

/// A uniform number in `[0, 1)`.
fn unit(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// True with probability `p`.
fn coin(rng: &mut impl Rng, p: f64) -> bool {
    unit(rng) < p
}
