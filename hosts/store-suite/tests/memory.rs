//! The suite's generic checks on MemoryStore, so the checks themselves run in every build.

use blindpost::store::{MemoryStore, StoreError};
use blindpost_store_suite::memory::MemoryEngine;
use blindpost_store_suite::{conversation, process_race, run_suite, unique_namespace, Engine};

#[test]
fn suite_on_memory() {
    run_suite(&MemoryEngine::default()).unwrap();
}

#[test]
fn process_race_skips_an_engine_not_shared_by_processes() {
    process_race(
        &MemoryEngine::default(),
        "process_race_skips_an_engine_not_shared_by_processes",
    )
    .unwrap();
}

#[test]
fn conversation_on_memory() {
    let c = conversation(MemoryStore::new()).unwrap();
    assert!(
        c.deliveries > 0 && c.requests > c.deliveries && c.store_ops > 0,
        "{c:?}"
    );
    eprintln!("conversation: {c:?}");
}

/// A memory engine that claims to be shared by processes is not: each process grants the whole
/// limit, and the race must see it (this also runs the child half).
#[test]
fn process_race_catches_an_engine_not_really_shared() {
    let mut engine = MemoryEngine::default();
    engine.claims_shared = true;
    let result = process_race(&engine, "process_race_catches_an_engine_not_really_shared");
    if std::env::var_os("BLINDPOST_SUITE_CHILD").is_some() {
        result.unwrap();
        return;
    }
    let failure = result.unwrap_err();
    assert!(failure.detail.contains("granted 1000 + 1000"), "{failure}");
}

/// Gives every open a store of its own, as a broken engine that ignored namespaces would.
struct Unshared(MemoryEngine);

impl Engine for Unshared {
    type Store = <MemoryEngine as Engine>::Store;

    fn name(&self) -> &'static str {
        "unshared"
    }

    fn open(&self, _namespace: &str) -> Result<Self::Store, StoreError> {
        self.0.open(&unique_namespace("unshared"))
    }

    fn restart(&self) -> Result<(), String> {
        Ok(())
    }

    fn kill_connections(&self) -> Result<bool, String> {
        Ok(false)
    }
}

/// Two handles that do not share data pass the single-store conformance but not the races.
#[test]
fn suite_catches_handles_that_do_not_share() {
    let failure = run_suite(&Unshared(MemoryEngine::default())).unwrap_err();
    assert_eq!(failure.check, "thread races", "{failure}");
}
