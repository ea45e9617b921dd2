#![no_main]
//! The authenticated channel's credential check (SPEC.md 17.2), as the server host runs it for
//! every authenticated request: `Server::authenticate` on the fixture server at the end of the
//! recorded run, with credentials the run's registered clients make (`Client::authorize`) for a
//! method, path and body, sent as made, edited, checked against another request, or replaced
//! by arbitrary bytes.
//!
//! Invariants: a credential is accepted only if it is exactly the one a registered client made
//! for the request checked, within the allowed clock skew, and then for that client's account;
//! a credential accepted once is refused as `Replayed` the second time; a refused credential
//! leaves the store unchanged.

use blindpost::client::Client;
use blindpost::host_auth::{AuthError, AUTH_SKEW};
use blindpost::server::Server;
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use common::fixture::{client_settings, fixture};
use common::hosts::{AuthInput, Tamper};
use common::steps::edited;
use common::world::server_world;
use std::sync::{Mutex, OnceLock};

/// The fixture server; each input starts from the store at the end of the recorded run.
fn server() -> &'static Mutex<Server<MemoryStore>> {
    static SERVER: OnceLock<Mutex<Server<MemoryStore>>> = OnceLock::new();
    SERVER.get_or_init(|| Mutex::new(fixture().server()))
}

/// The run's clients that are registered at its end (a credential of theirs is accepted
/// there), restored once per process.
fn clients() -> &'static [Client] {
    static CLIENTS: OnceLock<Vec<Client>> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let end = server_world().points.last().expect("a point");
        let mut probe = fixture().server();
        let mut rng = VectorRng::new(b"blindpost fuzz host auth probe");
        let mut clients: Vec<Client> = Vec::new();
        for scenario in &fixture().recording().scenarios {
            let client =
                Client::from_bytes(&scenario.state, client_settings()).expect("recorded state");
            if clients.iter().any(|c| c.account() == client.account()) {
                continue;
            }
            *probe.store_mut() = end.store.clone();
            let credential = client
                .authorize(&mut rng, end.now, "GET", "/v1/deliveries", b"")
                .expect("a credential");
            if probe
                .authenticate(
                    end.now,
                    &credential.to_bytes(),
                    "GET",
                    "/v1/deliveries",
                    b"",
                )
                .is_ok()
            {
                clients.push(client);
            }
        }
        assert!(!clients.is_empty(), "the run registers clients");
        clients
    })
}

libfuzzer_sys::fuzz_target!(|input: AuthInput| {
    let world = server_world();
    let end = world.points.last().expect("a point");
    let mut server = server().lock().unwrap_or_else(|p| p.into_inner());
    *server.store_mut() = end.store.clone();
    let now = end.now;
    let clients = clients();
    let client = &clients[usize::from(input.client) % clients.len()];

    let made_at = now
        .unix_secs()
        .checked_add_signed(i64::from(input.skew))
        .map_or(now, blindpost::Time::from_unix_secs);
    let (method, path, body) = (input.method.as_str(), input.path.as_str(), &input.body);
    let mut rng = VectorRng::new(b"blindpost fuzz host auth");
    let made = match client.authorize(&mut rng, made_at, method, path, body) {
        Ok(made) => made.to_bytes().to_vec(),
        // A method or path over its limit has no credential; the server refuses one anyway.
        Err(AuthError::Malformed) => {
            let any = [0u8; blindpost::host_auth::REQUEST_AUTH_LEN];
            let before = server.store().snapshot(now).expect("snapshot");
            assert!(server.authenticate(now, &any, method, path, body).is_err());
            assert_eq!(server.store().snapshot(now).expect("snapshot"), before);
            return;
        }
        Err(e) => panic!("authorize failed: {e:?}"),
    };

    let (mut sent, mut checked) = (made.clone(), (method, path, body.as_slice()));
    match &input.tamper {
        Tamper::None => {}
        Tamper::Bytes(edits) => sent = edited(&made, edits),
        Tamper::Method(m) => checked.0 = m.as_str(),
        Tamper::Path(p) => checked.1 = p.as_str(),
        Tamper::Body(b) => checked.2 = b,
        Tamper::Raw(bytes) => sent = bytes.clone(),
    }
    let genuine = sent == made && checked == (method, path, body.as_slice());
    let in_time = made_at.unix_secs().abs_diff(now.unix_secs()) <= AUTH_SKEW;

    let before = server.store().snapshot(now).expect("snapshot");
    let first = server.authenticate(now, &sent, checked.0, checked.1, checked.2);
    match &first {
        Ok(account) => {
            assert!(
                genuine && in_time,
                "a credential accepted for another request"
            );
            assert_eq!(*account, client.account(), "accepted for another account");
        }
        Err(e) => {
            assert!(!(genuine && in_time), "a genuine credential refused: {e:?}");
            assert_eq!(
                server.store().snapshot(now).expect("snapshot"),
                before,
                "a refused credential changed the store"
            );
        }
    }
    if input.resend {
        let again = server.authenticate(now, &sent, checked.0, checked.1, checked.2);
        match first {
            Ok(_) => assert_eq!(
                again,
                Err(AuthError::Replayed),
                "a credential accepted twice"
            ),
            Err(_) => assert!(again.is_err(), "accepted on the second try"),
        }
    }
});
