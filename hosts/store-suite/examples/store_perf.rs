//! The server's cost of a cold call and a reply on each store: `store.<engine>.coldcall_us`,
//! `store.<engine>.reply_us` (medians over fresh requests through `Server::handle`, as
//! `examples/perf/protocol.rs` measures them on memory) and `store.<engine>.coldcall_ratio`
//! (over memory in the same run). Memory and the embedded store always run; PostgreSQL and
//! Redis Cluster when `ci/engines.sh start` has written their environment.
//!
//! `cargo run --release -p blindpost-store-suite --example store_perf`

use blindpost::account::Channel;
use blindpost::bbs04::{PreparedGroupKey, Signer};
use blindpost::server::ServerConfig;
use blindpost::simulation::raw::cold_call_bytes;
use blindpost::simulation::World;
use blindpost::wire::{reply_context, ReplyRequest, Request, Response};
use blindpost_store_suite::memory::MemoryEngine;
use blindpost_store_suite::{engines, unique_namespace, Engine};
use std::time::Instant;

/// Timed requests of each kind (cold-call senders get the 5 tokens of their registration).
const REPS: usize = 40;
/// Sealed payload size (an introduction is about 850 bytes).
const SEALED: usize = 1024;

fn main() {
    let memory = measure(&MemoryEngine::default());
    let embedded = engines::embedded::from_env();
    let postgres = engines::postgres::from_env();
    let redis = engines::redis_cluster::from_env();
    let mut lines = Vec::new();
    lines.extend(report("memory", memory, memory));
    if let Some(e) = &embedded {
        lines.extend(report(e.name(), measure(e), memory));
    }
    if let Some(e) = &postgres {
        lines.extend(report(e.name(), measure(e), memory));
    }
    if let Some(e) = &redis {
        lines.extend(report(e.name(), measure(e), memory));
    }
    for line in lines {
        println!("{line}");
    }
}

fn report(name: &str, (coldcall, reply): (f64, f64), memory: (f64, f64)) -> Vec<String> {
    vec![
        format!("store.{name}.coldcall_us {coldcall:.1}"),
        format!("store.{name}.reply_us {reply:.1}"),
        format!("store.{name}.coldcall_ratio {:.2}", coldcall / memory.0),
    ]
}

/// Median microseconds of a cold call and of a reply through a server on `engine`.
fn measure<E: Engine>(engine: &E) -> (f64, f64) {
    let store = engine
        .open(&unique_namespace("perf"))
        .expect("the engine opens a namespace");
    let mut world = World::with_store("store perf", ServerConfig::default(), store);
    let sealed = vec![0x5a; SEALED];
    let recipient = world.raw_register("+14440000000", 0);
    let mut tokens = Vec::new();
    for n in 1.. {
        if tokens.len() >= REPS {
            break;
        }
        tokens.extend(world.raw_register(&format!("+1444{n:07}"), 5).tokens);
    }
    let cold: Vec<Vec<u8>> = tokens
        .iter()
        .take(REPS)
        .map(|t| cold_call_bytes(recipient.account(), t, &sealed))
        .collect();
    let coldcall = median(cold.iter().map(|bytes| {
        time(&mut world, bytes, |r| {
            matches!(r, Response::ColdCallAccepted { duplicate: false })
        })
    }));

    let group = &recipient.group;
    let prepared = PreparedGroupKey::new(group.public_key().clone());
    let member = group.issue_member(&mut world.rng);
    let signer = Signer::new(&member, &prepared).expect("a member of the group");
    let generation = group.public_key().generation();
    let context = reply_context(&recipient.account(), generation, world.now);
    let replies: Vec<Vec<u8>> = (0..REPS)
        .map(|_| {
            Request::Reply(ReplyRequest {
                recipient: recipient.account(),
                generation,
                timestamp: world.now,
                sealed: sealed.clone(),
                signature: signer
                    .sign(&mut world.rng, &context, &sealed)
                    .expect("the member signs"),
            })
            .to_bytes()
        })
        .collect();
    let reply = median(
        replies
            .iter()
            .map(|bytes| time(&mut world, bytes, |r| matches!(r, Response::ReplyAccepted))),
    );
    (coldcall, reply)
}

/// Microseconds the server takes to answer `bytes`, checking the answer with `accepted`.
fn time<S: blindpost::store::Store>(
    world: &mut World<S>,
    bytes: &[u8],
    accepted: impl Fn(&Response) -> bool,
) -> f64 {
    let start = Instant::now();
    let handled = world
        .server
        .handle(&mut world.rng, world.now, Channel::Anonymous, bytes);
    let micros = start.elapsed().as_secs_f64() * 1e6;
    assert!(accepted(&handled.decoded), "{:?}", handled.decoded);
    micros
}

fn median(samples: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = samples.collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
