//! End-to-end sealing in the CLI's host (SPEC.md 17.5, 17.7) against a server started in this
//! process: every step of a conversation reloads both sides from their state files, and every
//! message arrives exactly once; tampered, misdirected and replayed payloads are refused with
//! the typed error and leave the state file byte-identical; a crash between saving a sealed
//! reply and sending it resends the same bytes.

mod common;

use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::client::Client;
use blindpost::wire::{Delivery, Request, Response};
use blindpost_cli::runner::{self, client_settings, Host};
use blindpost_cli::sealing::DeliveryRefused;
use blindpost_cli::state::{decode, AppData, HostSettings, StateFile};
use blindpost_cli::transport::{Transport, TransportOptions};
use blindpost_e2e::{E2eState, OpenError};
use std::path::{Path, PathBuf};

/// One user: the path of its state file. Every operation opens the host from the file and
/// drops it at the end, as a new process would.
struct User {
    state: PathBuf,
}

impl User {
    /// Creates the state file: the server's keys pinned, a fresh client and end-to-end state.
    async fn init(dir: &Path, name: &str, url: &str) -> Self {
        let state = dir.join(format!("{name}.state"));
        let app = AppData {
            server: url.to_string(),
            settings: HostSettings {
                reply_delay: 1,
                background_delay: 1,
                release_delay: 1,
                ignore_schedule: true,
                timeout: 30,
            },
            ..AppData::default()
        };
        let transport = Transport::new(TransportOptions::new(url)).unwrap();
        let response = transport
            .anonymous(Request::FetchKeys.to_bytes())
            .await
            .unwrap();
        let Ok(Response::Keys(keys)) = Response::from_bytes(&response) else {
            panic!("the server's keys");
        };
        let mut rng: rand::rngs::StdRng = rand::make_rng();
        let client = Client::new(&mut rng, keys, client_settings(&app.settings));
        let e2e = E2eState::generate(&mut rng, client.account().0);
        let file = StateFile::lock(&state).unwrap();
        Host::create(file, client, e2e, app).unwrap();
        Self { state }
    }

    /// The host, loaded from the state file.
    fn open(&self) -> Host {
        Host::open(StateFile::lock(&self.state).unwrap()).unwrap()
    }

    /// The state file's bytes.
    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.state).unwrap()
    }

    /// Registers `phone` with the host key, reading the code from the server's SMS file.
    async fn register(&self, dir: &Path, phone: &str) -> Certificate {
        let phone = PhoneNumber::parse(phone).unwrap();
        let mut host = self.open();
        host.client
            .request_code(&mut host.rng, runner::now(), phone.clone());
        host.persist().unwrap();
        host.send_due().await.unwrap();
        let code = common::code_for(dir, phone.as_str()).expect("a code");
        let host_key = host.host_key();
        host.client
            .register(&mut host.rng, runner::now(), phone, &code, Some(host_key))
            .unwrap();
        host.persist().unwrap();
        host.send_due().await.unwrap();
        host.client.certificate().cloned().expect("registered")
    }

    /// Writes `text` to the contact `to` and sends it; returns the sealed payload.
    async fn reply(&self, to: &Certificate, text: &str) -> Vec<u8> {
        let mut host = self.open();
        let account = to_account(to);
        let queued = host.reply(account, text.as_bytes()).unwrap();
        host.send_due().await.unwrap();
        assert!(!host.failed.contains(&queued.id), "{:?}", host.app.notices);
        queued.sealed
    }

    /// One pass of the host; returns the texts of the messages it received.
    async fn receive(&self) -> Vec<String> {
        let mut host = self.open();
        let before = host.app.messages.len();
        let report = host.step().await.unwrap();
        assert!(report.failure.is_none(), "{:?}", report.failure);
        host.app.messages[before..]
            .iter()
            .map(|m| m.text.clone())
            .collect()
    }

    /// The deliveries queued for this user, fetched without acknowledging them.
    async fn queued(&self) -> Vec<Vec<u8>> {
        let mut host = self.open();
        let fetched = host
            .transport()
            .clone()
            .fetch_deliveries(&host.client, &mut host.rng, runner::now())
            .await
            .unwrap();
        fetched.into_iter().map(|(_, bytes)| bytes).collect()
    }
}

fn to_account(certificate: &Certificate) -> blindpost::account::AccountId {
    blindpost::account::AccountId::for_identity_key(&certificate.identity_key().to_bytes())
}

/// `delivery` with one bit of its sealed payload flipped at `at`.
fn tampered(delivery: &[u8], at: usize) -> Vec<u8> {
    let mut parsed = Delivery::from_bytes(delivery).unwrap();
    let (Delivery::ColdCall { sealed, .. } | Delivery::Reply { sealed, .. }) = &mut parsed;
    sealed[at] ^= 1;
    parsed.to_bytes()
}

/// A server and two registered users.
struct Two {
    server: blindpost_server::RunningServer,
    alice: User,
    bob: User,
    alice_cert: Certificate,
    bob_cert: Certificate,
}

/// Starts a server in `dir` and registers alice and bob.
async fn two_users(dir: &Path) -> Two {
    let server = common::start_server(dir).await;
    let url = server.url();
    let alice = User::init(dir, "alice", &url).await;
    let bob = User::init(dir, "bob", &url).await;
    let alice_cert = alice.register(dir, "+15550001").await;
    let bob_cert = bob.register(dir, "+15550002").await;
    Two {
        server,
        alice,
        bob,
        alice_cert,
        bob_cert,
    }
}

/// Alice cold-calls Bob with `text`, reloading her host first.
async fn cold_call(alice: &User, bob_cert: &Certificate, text: &str) -> Vec<u8> {
    let mut host = alice.open();
    let queued = host.cold_call(bob_cert, text.as_bytes()).unwrap();
    host.send_due().await.unwrap();
    assert!(!host.failed.contains(&queued.id), "{:?}", host.app.notices);
    queued.sealed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_across_restarts_delivers_every_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let Two {
        server,
        alice,
        bob,
        alice_cert,
        bob_cert,
    } = two_users(dir.path()).await;

    cold_call(&alice, &bob_cert, "m0 hello bob").await;
    assert_eq!(bob.receive().await, ["m0 hello bob"]);
    // Bob answers twice before Alice answers (two Olm pre-key messages), then they alternate.
    bob.reply(&alice_cert, "m1 hi alice").await;
    bob.reply(&alice_cert, "m2 are you there?").await;
    assert_eq!(alice.receive().await, ["m1 hi alice", "m2 are you there?"]);
    alice.reply(&bob_cert, "m3 yes").await;
    assert_eq!(bob.receive().await, ["m3 yes"]);
    bob.reply(&alice_cert, "m4 good").await;
    alice.reply(&bob_cert, "m5 and you?").await;
    assert_eq!(alice.receive().await, ["m4 good"]);
    assert_eq!(bob.receive().await, ["m5 and you?"]);
    // Nothing twice: more passes on either side receive nothing.
    assert!(alice.receive().await.is_empty());
    assert!(bob.receive().await.is_empty());
    let texts = |user: &User| -> Vec<String> {
        user.open()
            .app
            .messages
            .iter()
            .map(|m| m.text.clone())
            .collect()
    };
    assert_eq!(
        texts(&alice),
        ["m1 hi alice", "m2 are you there?", "m4 good"]
    );
    assert_eq!(texts(&bob), ["m0 hello bob", "m3 yes", "m5 and you?"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_misdirected_and_replayed_payloads_leave_the_state_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let Two {
        server,
        alice,
        bob,
        alice_cert,
        bob_cert,
    } = two_users(dir.path()).await;

    let sealed = cold_call(&alice, &bob_cert, "hello bob").await;
    let [cold_call] = <[Vec<u8>; 1]>::try_from(bob.queued().await).unwrap();
    let saved = bob.bytes();
    let mut host = bob.open();
    // The suite byte, the encapsulated key, the ciphertext and its tag, each flipped.
    for at in [0, 1, 40, sealed.len() - 1] {
        let expected = if at == 0 {
            OpenError::UnknownSuite(0)
        } else {
            OpenError::Refused
        };
        match host.accept_delivery(&tampered(&cold_call, at)) {
            Err(DeliveryRefused::Open(e)) => assert_eq!(e, expected, "bit flipped at {at}"),
            other => panic!("bit flipped at {at}: {other:?}"),
        }
        host.persist().unwrap();
        assert_eq!(
            bob.bytes(),
            saved,
            "a refusal changes nothing (bit flipped at {at})"
        );
    }
    drop(host);
    // Misdirected: Alice's host cannot open what was sealed to Bob's.
    let before = alice.bytes();
    let mut host = alice.open();
    assert!(matches!(
        host.accept_delivery(&cold_call),
        Err(DeliveryRefused::Open(OpenError::Refused))
    ));
    host.persist().unwrap();
    assert_eq!(alice.bytes(), before);
    drop(host);

    // Bob takes the cold call and replies; Alice opens the reply once, and a replay is refused.
    assert_eq!(bob.receive().await, ["hello bob"]);
    bob.reply(&alice_cert, "hi alice").await;
    let [reply] = <[Vec<u8>; 1]>::try_from(alice.queued().await).unwrap();
    let mut host = alice.open();
    host.accept_delivery(&reply).unwrap();
    host.persist().unwrap();
    let saved = alice.bytes();
    assert!(matches!(
        host.accept_delivery(&reply),
        Err(DeliveryRefused::Open(OpenError::Replayed))
    ));
    host.persist().unwrap();
    assert_eq!(alice.bytes(), saved, "a refused replay changes nothing");
    drop(host);
    // The delivery, still queued, is fetched again: dropped with a notice, never shown twice.
    assert!(alice.receive().await.is_empty());
    let host = alice.open();
    assert_eq!(host.app.messages.len(), 1);
    assert!(
        host.app.notices.iter().any(|n| n.contains("replayed")),
        "{:?}",
        host.app.notices
    );
    drop(host);
    assert!(alice.queued().await.is_empty(), "acknowledged");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_saving_a_sealed_reply_resends_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let Two {
        server,
        alice,
        bob,
        alice_cert,
        bob_cert,
    } = two_users(dir.path()).await;
    cold_call(&alice, &bob_cert, "hello bob").await;
    assert_eq!(bob.receive().await, ["hello bob"]);

    // Bob's host seals and saves a reply, then dies before sending it.
    let sealed = {
        let mut host = bob.open();
        host.reply(to_account(&alice_cert), b"sent after a crash")
            .unwrap()
            .sealed
    };
    let e2e_saved = decode(&bob.bytes()).unwrap().e2e.to_bytes();
    // A new process sends what was queued, sealing nothing again.
    let mut host = bob.open();
    let sent = host.send_due().await.unwrap();
    assert!(sent >= 2, "the group-key fetch and the reply: {sent}");
    drop(host);
    assert_eq!(decode(&bob.bytes()).unwrap().e2e.to_bytes(), e2e_saved);
    let [reply] = <[Vec<u8>; 1]>::try_from(alice.queued().await).unwrap();
    assert_eq!(
        Delivery::from_bytes(&reply).unwrap().sealed(),
        sealed.as_slice()
    );
    assert_eq!(alice.receive().await, ["sent after a crash"]);
    server.shutdown().await;
}
