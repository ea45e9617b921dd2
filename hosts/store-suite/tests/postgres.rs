//! The suite on PostgreSQL (`ci/engines/postgres.sh start`, then source
//! `target/engines/postgres.env`), and the "done when": a token spent before the
//! database crashed stays spent for a server restarted on it.

use blindpost::account::Channel;
use blindpost::server::{Server, ServerConfig, ServerSecrets};
use blindpost::simulation::raw::{cold_call_bytes, decode};
use blindpost::simulation::World;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{ErrorCode, Response};
use blindpost_store_postgres::PostgresStore;
use blindpost_store_suite::engines::postgres::{self, PostgresEngine};
use blindpost_store_suite::{conversation, process_race, require, run_suite, Engine, Listed};
use std::sync::{Mutex, MutexGuard};

const VARIABLE: &str = "BLINDPOST_POSTGRES_URL";

/// Tests here crash the server and cut every connection to the database, so they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The engine and the turn to use it, or `None` when the test is skipped.
fn engine() -> Option<(PostgresEngine, MutexGuard<'static, ()>)> {
    let engine = require(postgres::from_env(), VARIABLE)?;
    let turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some((engine, turn))
}

#[test]
fn suite() {
    let Some((engine, _turn)) = engine() else {
        return;
    };
    run_suite(&engine).unwrap();
}

#[test]
fn postgres_process_race() {
    let Some((engine, _turn)) = engine() else {
        return;
    };
    process_race(&engine, "postgres_process_race").unwrap();
}

#[test]
fn a_conversation_on_postgres() {
    let Some((engine, _turn)) = engine() else {
        return;
    };
    let store = engine.open(&namespace("conversation")).unwrap();
    let done = conversation(store).unwrap();
    assert!(done.deliveries > 0, "{done:?}");
}

/// A namespace no earlier run used, so the test starts from an empty table.
fn namespace(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{name}_{}_{nanos}", std::process::id())
}

/// A PostgreSQL store the simulation can look into (`World` lists live entries to check that a
/// refused request changed nothing), listed over a connection of its own.
fn inspected(engine: &PostgresEngine, namespace: &str) -> Listed<PostgresStore> {
    let client = Mutex::new(::postgres::Client::connect(engine.url(), ::postgres::NoTls).unwrap());
    Listed::new(engine.open(namespace).unwrap(), move |store, now| {
        let now = i64::try_from(now.unix_secs()).unwrap();
        let sql = format!(
            "SELECT key, value FROM {} WHERE expires_at IS NULL OR expires_at > $1 ORDER BY key",
            store.table()
        );
        let mut client = client.lock().unwrap();
        client
            .query(&sql, &[&now])
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    })
}

#[test]
fn a_token_spent_before_a_crash_stays_spent() {
    let Some((engine, _turn)) = engine() else {
        return;
    };
    let ns = namespace("spent_token");
    let config = ServerConfig::default();

    let mut world = World::with_store("postgres crash", config.clone(), inspected(&engine, &ns));
    let secrets = world.server.secrets().to_bytes().unwrap();
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let carol = world.raw_register("+15550003", 0);
    let token = alice.tokens[0].clone();
    let call = cold_call_bytes(bob.account(), &token, b"sealed hello");
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &call)),
        Response::ColdCallAccepted { duplicate: false }
    ));
    let now = world.now;
    drop(world);

    // SIGKILL the postmaster: only what was committed to the write-ahead log comes back.
    engine.restart().unwrap();

    let server = Server::new(
        config,
        ServerSecrets::from_bytes(&secrets).unwrap(),
        inspected(&engine, &ns),
    )
    .unwrap();
    let mut world = World::with_server(server, VectorRng::new(b"after the crash"), now);
    // The byte-identical resend is recognised as the call already accepted...
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &call)),
        Response::ColdCallAccepted { duplicate: true }
    ));
    // ...and the token cannot be spent on anyone else.
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(carol.account(), &token, b"again"),
        ErrorCode::TokenSpent,
    );
}
