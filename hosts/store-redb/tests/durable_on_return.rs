//! Durable on return: a writer process killed (SIGKILL, no chance to flush or close) right after
//! its calls returned leaves every one of them in the file.
//!
//! The test binary runs itself again as the writer: with `WRITER_FILE` set, the test below is
//! the child, which writes until it is killed and prints `acked <i>` after each call returns.
#![cfg(unix)]

use blindpost::store::{read_counter, Store};
use blindpost::Time;
use blindpost_store_redb::RedbStore;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Set in the child's environment: the store file it writes.
const WRITER_FILE: &str = "BLINDPOST_REDB_WRITER_FILE";
/// Acknowledgements the parent waits for before killing the child.
const ACKED: usize = 40;
/// The child stops by itself after this many rounds, should nobody kill it.
const ROUNDS: usize = 100_000;
/// The longest the parent waits for the next acknowledgement.
const PATIENCE: Duration = Duration::from_secs(60);

const NOW: Time = Time::from_unix_secs(1_000);

fn key(i: usize) -> Vec<u8> {
    format!("token-{i:06}").into_bytes()
}

/// The child: one spent-token record and one counter step per round, each acknowledged on
/// stdout only after its call returned.
fn write_until_killed(path: &str) {
    let store = RedbStore::open(path).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0..ROUNDS {
        assert!(store
            .insert_if_absent(&key(i), b"spent", None, NOW)
            .unwrap());
        store
            .add_within_limit(b"rounds", 1, u64::MAX, None, NOW)
            .unwrap();
        writeln!(out, "acked {i}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn a_killed_writer_loses_nothing_it_acknowledged() {
    if let Ok(path) = std::env::var(WRITER_FILE) {
        return write_until_killed(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_killed_writer_loses_nothing_it_acknowledged",
            "--exact",
            "--nocapture",
        ])
        .env(WRITER_FILE, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (acks, acked) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(i) = line.strip_prefix("acked ") {
                if acks.send(i.parse::<usize>().unwrap()).is_err() {
                    return;
                }
            }
        }
    });
    let mut last = None;
    for expected in 0..ACKED {
        let i = acked.recv_timeout(PATIENCE).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!("the writer acknowledged {expected} rounds, then nothing: {e}")
        });
        assert_eq!(i, expected, "acknowledgements come in order");
        last = Some(i);
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no close, no flush runs in the child.
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the writer was killed, not finished: {status}"
    );

    let store = RedbStore::open(&path).unwrap();
    let acknowledged = last.unwrap() + 1;
    for i in 0..acknowledged {
        assert_eq!(
            store.get(&key(i), NOW).unwrap().as_deref(),
            Some(&b"spent"[..]),
            "acknowledged round {i} was lost"
        );
    }
    // Commits are ordered: the file holds rounds 0..written with no gap, and the counter counts
    // them (one behind if the kill fell between a round's two calls).
    let written = (acknowledged..ROUNDS)
        .find(|&i| store.get(&key(i), NOW).unwrap().is_none())
        .unwrap();
    let rounds = read_counter(&store, b"rounds", NOW).unwrap();
    assert!(
        rounds == written as u64 || rounds + 1 == written as u64,
        "{written} tokens written but the counter says {rounds}"
    );
    assert_eq!(store.entry_count().unwrap(), written + 1);
}
