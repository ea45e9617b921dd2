//! The server's atomic decisions under real concurrency: many threads share one `Server` (and so
//! one store) by reference, each with its own random generator, and race on the same token or
//! limit. The store's atomic operations, not locks in the server, must make exactly one (or
//! exactly N) of them win.
//!
//! The store is the in-memory store behind `Contended` (below), which pauses before every
//! operation while a race runs, so the threads interleave between the store operations of one
//! request (as against a networked database) instead of each finishing in one time slice. A
//! server that decided from a read and a separate write would fail these tests.

use blindpost::account::Channel;
use blindpost::certificate::EncodedCertificate;
use blindpost::server::{Handled, Output, ServerConfig};
use blindpost::simulation::raw::{cold_call_bytes, decode, error_code, phone};
use blindpost::simulation::{Inspect, World};
use blindpost::store::{KeyValue, MemoryStore, Store, StoreError};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{ErrorCode, Request, Response};
use blindpost::Time;
use std::sync::atomic::Ordering;
use std::sync::Barrier;

type ContendedWorld = World<Contended>;

fn world(seed: &str) -> ContendedWorld {
    World::with_store(seed, config(), Contended::default())
}

const THREADS: usize = 8;

/// Runs `f(i)` on `THREADS` threads released together by a barrier, and collects the results
/// in thread order.
fn race<T: Send>(f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Each thread handles its request with its own generator.
fn handle_all(world: &ContendedWorld, channel: Channel, requests: &[Vec<u8>]) -> Vec<Handled> {
    let (server, now) = (&world.server, world.now);
    server.store().contended.store(true, Ordering::Relaxed);
    let results = race(|i| {
        let mut rng = VectorRng::new(format!("thread {i}").as_bytes());
        server.handle(&mut rng, now, channel, &requests[i])
    });
    server.store().contended.store(false, Ordering::Relaxed);
    results
}

fn codes(results: &[Handled]) -> Vec<Option<ErrorCode>> {
    results
        .iter()
        .map(|h| match &h.decoded {
            Response::Error { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

fn config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.discovery.tokens_per_window = 5;
    config
}

#[test]
fn one_token_many_cold_calls_exactly_one_is_accepted() {
    let mut world = world("concurrent cold calls");
    let alice = world.raw_register("+15550001", 3);
    let bob = world.raw_register("+15550002", 0);
    for (round, token) in alice.tokens.iter().enumerate() {
        // Different payloads, so no attempt is a retry of another.
        let requests: Vec<Vec<u8>> = (0..THREADS)
            .map(|i| cold_call_bytes(bob.account(), token, format!("payload {i}").as_bytes()))
            .collect();
        let results = handle_all(&world, Channel::Anonymous, &requests);
        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, h)| matches!(h.decoded, Response::ColdCallAccepted { duplicate: false }))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {:?}", codes(&results));
        let winner = winners[0];
        for (i, code) in codes(&results).into_iter().enumerate() {
            if i != winner {
                assert_eq!(
                    code,
                    Some(ErrorCode::TokenSpent),
                    "round {round} thread {i}"
                );
            }
        }
        let deliveries: Vec<_> = results
            .iter()
            .flat_map(|h| &h.outputs)
            .filter_map(|o| match o {
                Output::Deliver {
                    recipient,
                    delivery,
                } => Some((*recipient, delivery.sealed().to_vec())),
                _ => None,
            })
            .collect();
        assert_eq!(
            deliveries,
            [(bob.account(), format!("payload {winner}").into_bytes())],
            "exactly the winner's payload is queued, once"
        );
        // Afterwards: the winner's request is a retry, every other one a second spend.
        let retry = world.send(Channel::Anonymous, &requests[winner]);
        assert!(matches!(
            decode(&retry),
            Response::ColdCallAccepted { duplicate: true }
        ));
        let other = world.send(Channel::Anonymous, &requests[(winner + 1) % THREADS]);
        assert_eq!(error_code(&other), Some(ErrorCode::TokenSpent));
    }
}

#[test]
fn one_discovery_token_many_lookups_exactly_one_is_answered() {
    let mut world = world("concurrent lookups");
    let alice = world.raw_register("+15550001", 0);
    let bob = world.raw_register("+15550002", 0);
    let tokens = world.discovery_tokens(&alice, 3);
    for (round, token) in tokens.iter().enumerate() {
        let requests: Vec<Vec<u8>> = (0..THREADS)
            .map(|i| {
                Request::Lookup {
                    token: token.clone(),
                    phones: vec![phone("+15550002"), phone(&format!("+1555090{i}"))],
                }
                .to_bytes()
            })
            .collect();
        let results = handle_all(&world, Channel::Anonymous, &requests);
        let answered: Vec<_> = results
            .iter()
            .filter_map(|h| match &h.decoded {
                Response::LookupResult(found) => Some(found.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(answered.len(), 1, "round {round}: {:?}", codes(&results));
        assert_eq!(answered[0], [EncodedCertificate::from(&bob.certificate)]);
        assert_eq!(
            codes(&results)
                .into_iter()
                .filter(|c| *c == Some(ErrorCode::TokenSpent))
                .count(),
            THREADS - 1
        );
    }
}

#[test]
fn one_released_token_many_renewals_exactly_one_is_renewed() {
    let mut world = world("concurrent renewals");
    let alice = world.raw_register("+15550001", 3);
    let bob = world.raw_register("+15550002", 0);
    for (round, token) in alice.tokens.iter().enumerate() {
        let handled = world.server.handle(
            &mut world.rng,
            world.now,
            Channel::Anonymous,
            &cold_call_bytes(bob.account(), token, b"hello"),
        );
        let Some(Output::Deliver {
            delivery: blindpost::wire::Delivery::ColdCall { handle, .. },
            ..
        }) = handled.outputs.first()
        else {
            panic!("{:?}", handled.decoded)
        };
        let released = world.send(
            bob.channel(),
            &Request::Release { handle: *handle }.to_bytes(),
        );
        assert!(matches!(decode(&released), Response::Released));

        let (requests, pending) = world.cold_call_requests(THREADS);
        let stamp = world.stamp_requests(1).0.remove(0);
        let requests: Vec<Vec<u8>> = requests
            .into_iter()
            .map(|request| {
                Request::RenewToken {
                    token: token.clone(),
                    request,
                    stamp: stamp.clone(),
                }
                .to_bytes()
            })
            .collect();
        let results = handle_all(&world, Channel::Anonymous, &requests);
        let renewed: Vec<_> = results
            .iter()
            .enumerate()
            .filter_map(|(i, h)| match &h.decoded {
                Response::TokenRenewed { token, .. } => Some((i, token.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(renewed.len(), 1, "round {round}: {:?}", codes(&results));
        let (winner, response) = &renewed[0];
        // The one fresh token is good: it pays for a new cold call.
        let fresh = pending[*winner].finalize(response).unwrap();
        let call = world.send(
            Channel::Anonymous,
            &cold_call_bytes(bob.account(), &fresh, b"again"),
        );
        assert!(matches!(
            decode(&call),
            Response::ColdCallAccepted { duplicate: false }
        ));
        for (i, code) in codes(&results).into_iter().enumerate() {
            if i != *winner {
                assert_eq!(
                    code,
                    Some(ErrorCode::TokenSpent),
                    "round {round} thread {i}"
                );
            }
        }
    }
}

#[test]
fn concurrent_discovery_issuance_grants_exactly_n() {
    let mut world = world("concurrent issuance");
    let n = world.server.config().discovery.tokens_per_window as usize;
    let alice = world.raw_register("+15550001", 0);
    let bob = world.raw_register("+15550002", 0);
    let window = world.server.config().discovery.window(world.now);

    // One token per request: exactly N of the THREADS requests are granted.
    let requests: Vec<Vec<u8>> = (0..THREADS)
        .map(|_| {
            let (requests, _) = world.discovery_requests(1);
            Request::IssueDiscoveryTokens { window, requests }.to_bytes()
        })
        .collect();
    let results = handle_all(&world, alice.channel(), &requests);
    let granted = results
        .iter()
        .filter(|h| matches!(h.decoded, Response::DiscoveryTokens(_)))
        .count();
    assert_eq!(granted, n, "{:?}", codes(&results));
    assert_eq!(
        codes(&results)
            .into_iter()
            .filter(|c| *c == Some(ErrorCode::RateLimited))
            .count(),
        THREADS - n
    );

    // Two per request for another account: two requests fit (4 <= N = 5), a third would not;
    // the last slot is still free for one more token, and then nothing is.
    let requests: Vec<Vec<u8>> = (0..THREADS)
        .map(|_| {
            let (requests, _) = world.discovery_requests(2);
            Request::IssueDiscoveryTokens { window, requests }.to_bytes()
        })
        .collect();
    let results = handle_all(&world, bob.channel(), &requests);
    let granted: usize = results
        .iter()
        .map(|h| match &h.decoded {
            Response::DiscoveryTokens(t) => t.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(granted, 4, "{:?}", codes(&results));
    let (one, _) = world.discovery_requests(1);
    let last = world.send(
        bob.channel(),
        &Request::IssueDiscoveryTokens {
            window,
            requests: one,
        }
        .to_bytes(),
    );
    assert!(matches!(decode(&last), Response::DiscoveryTokens(t) if t.len() == 1));
    let (one, _) = world.discovery_requests(1);
    let over = world.send(
        bob.channel(),
        &Request::IssueDiscoveryTokens {
            window,
            requests: one,
        }
        .to_bytes(),
    );
    assert_eq!(error_code(&over), Some(ErrorCode::RateLimited));
}

/// The in-memory store, but every operation first yields its thread and pauses briefly (while
/// `contended` is set), so that concurrent requests interleave between the store operations of
/// one request as they would against a networked database. A server that made a decision from
/// a read followed by a separate write would lose races here.
#[derive(Default)]
struct Contended {
    inner: MemoryStore,
    contended: std::sync::atomic::AtomicBool,
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
    fn get(&self, key: &[u8], now: Time) -> Result<Option<Vec<u8>>, StoreError> {
        self.pause();
        self.inner.get(key, now)
    }
    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        exp: Option<Time>,
        now: Time,
    ) -> Result<(), StoreError> {
        self.pause();
        self.inner.put(key, value, exp, now)
    }
    fn insert_if_absent(
        &self,
        key: &[u8],
        value: &[u8],
        exp: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.pause();
        self.inner.insert_if_absent(key, value, exp, now)
    }
    fn replace_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        new: &[u8],
        exp: Option<Time>,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.pause();
        self.inner.replace_if_matches(key, expected, new, exp, now)
    }
    fn delete_if_matches(
        &self,
        key: &[u8],
        expected: &[u8],
        now: Time,
    ) -> Result<bool, StoreError> {
        self.pause();
        self.inner.delete_if_matches(key, expected, now)
    }
    fn add_within_limit(
        &self,
        key: &[u8],
        amount: u64,
        limit: u64,
        exp: Option<Time>,
        now: Time,
    ) -> Result<Option<u64>, StoreError> {
        self.pause();
        self.inner.add_within_limit(key, amount, limit, exp, now)
    }
    fn purge_expired(&self, now: Time) -> Result<usize, StoreError> {
        self.inner.purge_expired(now)
    }
    fn entry_count(&self) -> Result<usize, StoreError> {
        self.inner.entry_count()
    }
}

impl Inspect for Contended {
    fn entries(&self, now: Time) -> Vec<KeyValue> {
        self.inner.snapshot(now).unwrap()
    }
}
