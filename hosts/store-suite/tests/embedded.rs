//! The embedded store (`RedbStore`) through the engine suite, a protocol conversation, and the
//! issue's "done when": a server restarted on the same file refuses a token spent before.

use blindpost::account::Channel;
use blindpost::server::{Server, ServerConfig, ServerSecrets};
use blindpost::simulation::raw::{cold_call_bytes, decode};
use blindpost::simulation::World;
use blindpost::store::Store;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{Delivery, ErrorCode, Response};
use blindpost::Time;
use blindpost_store_redb::RedbStore;
use blindpost_store_suite::engines::embedded::{self, EmbeddedEngine};
use blindpost_store_suite::{conversation, process_race, require, run_suite, Engine, Listed};

fn engine() -> Option<EmbeddedEngine> {
    require(embedded::from_env(), embedded::DIR_VARIABLE)
}

#[test]
fn embedded_passes_the_engine_suite() {
    let Some(engine) = engine() else { return };
    run_suite(&engine).unwrap();
}

#[test]
fn embedded_process_race() {
    let Some(engine) = engine() else { return };
    process_race(&engine, "embedded_process_race").unwrap();
}

#[test]
fn embedded_carries_a_conversation() {
    let Some(engine) = engine() else { return };
    let done = conversation(engine.open("conversation").unwrap()).unwrap();
    assert!(done.deliveries > 0, "{done:?}");
}

#[test]
fn namespaces_are_separate_files_and_a_restart_keeps_them() {
    let engine = EmbeddedEngine::temporary().unwrap();
    let now = Time::from_unix_secs(5);
    for (namespace, value) in [
        ("a", &b"1"[..]),
        ("a.b", b"2"),
        ("a.2eb", b"3"),
        ("../x", b"4"),
    ] {
        assert!(engine
            .open(namespace)
            .unwrap()
            .insert_if_absent(b"k", value, None, now)
            .unwrap());
    }
    assert_eq!(std::fs::read_dir(engine.dir()).unwrap().count(), 4);
    let open = engine.open("a").unwrap();
    assert!(
        engine.restart().is_err(),
        "a restart with a store still open"
    );
    drop(open);
    engine.restart().unwrap();
    assert_eq!(engine.kill_connections(), Ok(false));
    let reopened = engine.open("a.2eb").unwrap();
    assert_eq!(reopened.get(b"k", now).unwrap().as_deref(), Some(&b"3"[..]));
}

/// The file's store, listed for `World`'s checks that a refusal changed nothing.
fn listed(store: RedbStore) -> Listed<RedbStore> {
    Listed::new(store, |s, now| {
        s.entries(now).expect("the file lists its entries")
    })
}

#[test]
fn a_server_restarted_on_the_file_refuses_a_token_spent_before() {
    let engine = EmbeddedEngine::temporary().unwrap();
    let store = listed(engine.open("server").unwrap());
    let mut world = World::with_store("restart", ServerConfig::default(), store);
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let carol = world.raw_register("+15550003", 0);
    let token = alice.tokens[0].clone();
    let call = cold_call_bytes(bob.account(), &token, b"sealed hello");
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &call)),
        Response::ColdCallAccepted { duplicate: false }
    ));
    assert_eq!(world.delivered.len(), 1);
    let handle_of = |bytes: &[u8]| match Delivery::from_bytes(bytes) {
        Ok(Delivery::ColdCall { handle, .. }) => handle,
        other => panic!("{other:?}"),
    };
    let first_handle = handle_of(&world.delivered[0].1);

    // The server stops: its secrets are kept as an operator keeps them, the file is closed.
    let secrets = world.server.secrets().to_bytes().unwrap();
    let config = world.server.config().clone();
    let now = world.now;
    drop(world);

    let store = listed(engine.open("server").unwrap());
    let server = Server::new(config, ServerSecrets::from_bytes(&secrets).unwrap(), store).unwrap();
    let mut world = World::with_server(server, VectorRng::new(b"after the restart"), now);
    // The byte-identical resend is recognised as a retry of the spend: acknowledged as a
    // duplicate and queued again under the first handle (SPEC.md 12.8). A server that lost the
    // spend would answer `duplicate: false` and deliver under a new handle.
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &call)),
        Response::ColdCallAccepted { duplicate: true }
    ));
    let again: Vec<_> = world.delivered.iter().map(|(_, d)| handle_of(d)).collect();
    assert_eq!(again, [first_handle], "the resend is the same delivery");
    // Any other cold call with the spent token is refused, and changes nothing in the file.
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(carol.account(), &token, b"another"),
        ErrorCode::TokenSpent,
    );
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &token, b"a new payload"),
        ErrorCode::TokenSpent,
    );
}
