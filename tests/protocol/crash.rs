//! Crash safety (SPEC.md 13.2): a host that follows the persistence order can be killed
//! between any two of its steps and loses no token and no message.
//!
//! The test runs one conversation (registration of two clients, lookup, cold call, receipt,
//! reply, receipt, release, renewal) once to count the host's steps, then once per step with a
//! crash just before that step: the crashed client is restored from the bytes its host last
//! persisted, requests in flight are lost, and the host carries on. Every run must end in the
//! same place: each message delivered (copies of a resent one are the same payload, which the
//! client takes once) and the sender holding all five tokens.

use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::client::{Client, Event};
use blindpost::simulation::{settings, World};
use blindpost::wire::Delivery;
use blindpost::Time;

const ALICE: usize = 0;
const BOB: usize = 1;
const PHONES: [&str; 2] = ["+15550001", "+15550002"];

/// A crash happened; the intent being carried out starts over.
struct Crashed;

/// One client and what its host keeps durably.
struct Host {
    client: Client,
    persisted: Vec<u8>,
    /// The app's durable record of events.
    log: Vec<Event>,
}

struct Sim {
    world: World,
    hosts: [Host; 2],
    steps: usize,
    crash_before: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
enum Intent {
    Register(usize),
    Lookup,
    ColdCall,
    ReceiveColdCall,
    Reply,
    ReceiveReply,
    Release,
    Renew,
}

impl Sim {
    fn new(crash_before: Option<usize>) -> Self {
        let mut world = World::new("crash");
        let hosts = [0, 1].map(|_| {
            let client = world.new_client();
            let persisted = client.to_bytes().unwrap().to_vec();
            Host {
                client,
                persisted,
                log: Vec::new(),
            }
        });
        Self {
            world,
            hosts,
            steps: 0,
            crash_before,
        }
    }

    /// Counts a host step; crashes `who` if this is the chosen step.
    fn step(&mut self, who: usize) -> Result<(), Crashed> {
        self.steps += 1;
        if Some(self.steps) == self.crash_before {
            let host = &mut self.hosts[who];
            host.client = Client::from_bytes(&host.persisted, settings()).unwrap();
            return Err(Crashed);
        }
        Ok(())
    }

    /// The persistence order: events made durable, then the state stored.
    fn checkpoint(&mut self, who: usize) -> Result<(), Crashed> {
        self.step(who)?;
        let host = &mut self.hosts[who];
        host.log
            .extend(std::iter::from_fn(|| host.client.poll_event()));
        self.step(who)?;
        let host = &mut self.hosts[who];
        host.persisted = host.client.to_bytes().unwrap().to_vec();
        Ok(())
    }

    /// Sends every outstanding request, one at a time, each answer handled and checkpointed.
    fn pump(&mut self, who: usize) -> Result<(), Crashed> {
        while let Some(t) = self.hosts[who].client.poll_transmit(Time::MAX) {
            self.step(who)?;
            let response = self.world.send(t.channel, &t.bytes);
            self.step(who)?;
            let host = &mut self.hosts[who];
            host.client
                .handle_response(&mut self.world.rng, self.world.now, t.id, &response)
                .unwrap();
            self.checkpoint(who)?;
        }
        Ok(())
    }

    /// Hands the first queued delivery to `who`; it leaves the queue once the client's state
    /// with it is persisted.
    fn deliver_one(&mut self, who: usize) -> Result<bool, Crashed> {
        let me = self.hosts[who].client.account();
        let Some(bytes) = self.world.queues.get(&me).and_then(|q| q.first().cloned()) else {
            return Ok(false);
        };
        self.step(who)?;
        let delivery = Delivery::from_bytes(&bytes).unwrap();
        let opened = self.world.open(&me, delivery.sealed()).unwrap().payload;
        self.hosts[who]
            .client
            .handle_delivery(self.world.now, &bytes, &opened)
            .unwrap();
        self.checkpoint(who)?;
        self.step(who)?;
        self.world.queues.get_mut(&me).unwrap().remove(0);
        Ok(true)
    }

    fn command(
        &mut self,
        who: usize,
        f: impl FnOnce(&mut Client, &mut World),
    ) -> Result<(), Crashed> {
        self.step(who)?;
        f(&mut self.hosts[who].client, &mut self.world);
        self.checkpoint(who)
    }

    fn bob_certificate(&self) -> Option<Certificate> {
        self.hosts[ALICE].log.iter().find_map(|e| match e {
            Event::LookupCompleted { found } => found.first().cloned(),
            _ => None,
        })
    }

    fn logged(&self, who: usize, f: impl Fn(&Event) -> bool) -> bool {
        self.hosts[who].log.iter().any(f)
    }

    /// Carries an intent forward; `Ok(true)` once it is done.
    fn attempt(&mut self, intent: Intent) -> Result<bool, Crashed> {
        // A restored client resends what it had outstanding before anything else.
        self.pump(ALICE)?;
        self.pump(BOB)?;
        let alice = self.hosts[ALICE].client.account();
        let bob = self.hosts[BOB].client.account();
        match intent {
            Intent::Register(who) => {
                if self.hosts[who].client.certificate().is_some() {
                    return Ok(true);
                }
                let phone = PhoneNumber::parse(PHONES[who]).unwrap();
                let code = self
                    .world
                    .sms
                    .iter()
                    .rev()
                    .find(|(p, _)| *p == phone)
                    .map(|(_, c)| c.clone());
                match code {
                    None => self.command(who, |c, w| {
                        c.request_code(&mut w.rng, w.now, phone);
                    })?,
                    Some(code) => self.command(who, |c, w| {
                        c.register(&mut w.rng, w.now, phone, &code, None).unwrap();
                    })?,
                }
            }
            Intent::Lookup => {
                if self.bob_certificate().is_some() {
                    return Ok(true);
                }
                self.command(ALICE, |c, w| {
                    c.lookup(
                        &mut w.rng,
                        w.now,
                        vec![PhoneNumber::parse(PHONES[BOB]).unwrap()],
                    )
                    .unwrap();
                })?;
            }
            Intent::ColdCall => {
                let counts = self.hosts[ALICE].client.token_counts();
                if counts.attached + counts.renewing == 1
                    || self.logged(ALICE, |e| *e == Event::ColdCallSent { recipient: bob })
                {
                    return Ok(true);
                }
                let cert = self.bob_certificate().unwrap();
                self.command(ALICE, |c, w| {
                    let intro = c
                        .compose_introduction(&mut w.rng, w.now, &cert, b"hello bob", b"")
                        .unwrap();
                    let sealed = w.seal(&c.account(), &bob, &intro);
                    c.send_cold_call(w.now, bob, &sealed).unwrap();
                })?;
            }
            Intent::ReceiveColdCall | Intent::ReceiveReply => {
                let (who, other) = if matches!(intent, Intent::ReceiveColdCall) {
                    (BOB, alice)
                } else {
                    (ALICE, bob)
                };
                while self.deliver_one(who)? {}
                let known = self.hosts[who]
                    .client
                    .contacts()
                    .iter()
                    .any(|c| c.account == other && c.can_reply);
                return Ok(known);
            }
            Intent::Reply => {
                if self.logged(BOB, |e| *e == Event::ReplySent { recipient: alice }) {
                    return Ok(true);
                }
                if self.hosts[BOB].client.outstanding() == 0 {
                    self.command(BOB, |c, w| {
                        let reply = c
                            .compose_reply(&mut w.rng, w.now, alice, b"hello alice", b"")
                            .unwrap();
                        let sealed = w.seal(&c.account(), &alice, &reply);
                        c.send_reply(&mut w.rng, w.now, alice, &sealed).unwrap();
                    })?;
                }
            }
            Intent::Release | Intent::Renew => {
                let who = if matches!(intent, Intent::Release) {
                    BOB
                } else {
                    ALICE
                };
                let done = match intent {
                    Intent::Release => {
                        self.logged(BOB, |e| matches!(e, Event::TokenReleased { .. }))
                    }
                    _ => self.hosts[ALICE].client.token_counts().available == 5,
                };
                if done {
                    return Ok(true);
                }
                if let Some(at) = self.hosts[who].client.poll_timeout() {
                    self.world.now = self.world.now.max(at);
                }
                self.command(who, |c, w| c.handle_timeout(&mut w.rng, w.now))?;
            }
        }
        self.pump(ALICE)?;
        self.pump(BOB)?;
        Ok(false)
    }

    fn run(&mut self) {
        let intents = [
            Intent::Register(ALICE),
            Intent::Register(BOB),
            Intent::Lookup,
            Intent::ColdCall,
            Intent::ReceiveColdCall,
            Intent::Reply,
            Intent::ReceiveReply,
            Intent::Release,
            Intent::Renew,
        ];
        for intent in intents {
            let mut attempts = 0;
            loop {
                attempts += 1;
                assert!(
                    attempts < 50,
                    "{intent:?} does not finish (crash before step {:?})",
                    self.crash_before
                );
                // Not done yet, or crashed: carry on from the persisted state.
                if let Ok(true) = self.attempt(intent) {
                    break;
                }
            }
        }
    }

    /// The end state every run must reach.
    fn check(&self) {
        let label = format!("crash before step {:?}", self.crash_before);
        let alice = &self.hosts[ALICE].client;
        let bob = &self.hosts[BOB].client;
        let counts = alice.token_counts();
        assert_eq!(
            (counts.available, counts.total()),
            (5, 5),
            "{label}: Alice's tokens {counts:?}"
        );
        assert_eq!(bob.token_counts().total(), 5, "{label}: Bob's tokens");
        // A resend queues its delivery again (SPEC.md 12.8): each recipient may get copies,
        // but of one payload only, which its client takes once (13.4).
        let payloads_to = |account| {
            let all: Vec<Vec<u8>> = self
                .world
                .delivered
                .iter()
                .filter(|(a, _)| *a == account)
                .map(|(_, d)| Delivery::from_bytes(d).unwrap().sealed().to_vec())
                .collect::<Vec<_>>();
            let mut distinct = all.clone();
            distinct.sort();
            distinct.dedup();
            (!all.is_empty(), distinct.len())
        };
        assert_eq!(
            (payloads_to(bob.account()), payloads_to(alice.account())),
            ((true, 1), (true, 1)),
            "{label}: each message delivered, one payload each"
        );
        assert!(
            alice
                .contacts()
                .iter()
                .any(|c| c.account == bob.account() && c.can_reply),
            "{label}"
        );
        assert!(
            bob.contacts()
                .iter()
                .any(|c| c.account == alice.account() && !c.unreleased),
            "{label}"
        );
        assert_eq!(
            alice.outstanding() + bob.outstanding(),
            0,
            "{label}: nothing left outstanding"
        );
    }
}

#[test]
fn a_crash_between_any_two_host_steps_loses_no_token_and_sends_nothing_twice() {
    let mut clean = Sim::new(None);
    clean.run();
    clean.check();
    let total = clean.steps;
    assert!(total > 40, "the conversation has {total} host steps");
    for k in 1..=total {
        let mut sim = Sim::new(Some(k));
        sim.run();
        sim.check();
    }
}
