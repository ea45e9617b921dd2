//! Shared pieces of the server's HTTP tests: starting servers in temporary directories and a
//! client host speaking the HTTP protocol with the core `Client`.
#![allow(dead_code)]

use blindpost::account::{AccountId, Channel};
use blindpost::certificate::{Certificate, HostKey, PhoneNumber};
use blindpost::client::{Client, ClientSettings, Event, Transmit};
use blindpost::wire::{Delivery, Request, Response};
use blindpost::Time;
use blindpost_e2e::E2eState;
use blindpost_server::{RunningServer, ServerOptions, SmsChoice};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Options for a server in `dir` on a free loopback port, codes appended to `dir/sms.txt`.
pub fn options(dir: &Path) -> ServerOptions {
    let mut options = ServerOptions::new(dir.join("data"));
    options.sms = SmsChoice::File(sms_file(dir));
    options
}

/// The SMS file of a server made with [`options`].
pub fn sms_file(dir: &Path) -> PathBuf {
    dir.join("sms.txt")
}

/// Starts a server made with [`options`].
pub async fn start(dir: &Path) -> RunningServer {
    blindpost_server::start(options(dir))
        .await
        .expect("server starts")
}

/// A plain HTTP client (HTTP/1.1, pooled).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client builds")
}

/// POSTs `body` to `url` + `path` and returns the status and body.
pub async fn post(http: &reqwest::Client, url: &str, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
    let response = http
        .post(format!("{url}{path}"))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("request answered");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body read").to_vec())
}

/// The last code the server wrote to its SMS file for `phone`.
pub fn code_for(dir: &Path, phone: &str) -> Option<String> {
    let text = std::fs::read_to_string(sms_file(dir)).ok()?;
    text.lines().rev().find_map(|line| {
        line.strip_prefix(phone)?
            .strip_prefix(' ')
            .map(str::to_owned)
    })
}

/// A `FetchKeys` request's bytes.
pub fn fetch_keys() -> Vec<u8> {
    Request::FetchKeys.to_bytes()
}

/// Decodes a protocol response.
pub fn decode(bytes: &[u8]) -> Response {
    Response::from_bytes(bytes).expect("a protocol response")
}

/// The encoded answer to `FetchKeys` from `server`'s published keys.
pub fn keys_response(server: &RunningServer) -> Vec<u8> {
    Response::Keys(server.public_keys()).to_bytes()
}

/// A client host over HTTP for tests: sends a `Client`'s requests to the endpoint of their
/// channel (authenticated ones with a fresh credential) and fetches and acknowledges
/// deliveries. Payloads are sealed end to end as every host in this repository seals them
/// (`blindpost-e2e`, SPEC.md 17.7), one end-to-end state per client.
pub struct Host {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// The server's base URL.
    pub url: String,
    /// Each registered client's end-to-end state.
    sealing: Mutex<BTreeMap<AccountId, E2eState>>,
}

impl Host {
    /// A host talking to `server`.
    pub fn new(server: &RunningServer) -> Self {
        Self {
            http: http(),
            url: server.url(),
            sealing: Mutex::new(BTreeMap::new()),
        }
    }

    /// The `Authorization` header value for a request by `client`.
    pub fn authorization(client: &Client, method: &str, path: &str, body: &[u8]) -> String {
        let auth = client
            .authorize(
                &mut rand::rng(),
                blindpost_server::now(),
                method,
                path,
                body,
            )
            .expect("the client signs");
        format!("Blindpost {}", hex::encode(auth.to_bytes()))
    }

    /// Sends one transmit; the status and body.
    pub async fn send(&self, client: &Client, t: &Transmit) -> (u16, Vec<u8>) {
        let path = match t.channel {
            Channel::Direct => "/v1/direct",
            Channel::Anonymous => "/v1/anonymous",
            Channel::Authenticated(_) => "/v1/authenticated",
        };
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .body(t.bytes.clone());
        if let Channel::Authenticated(_) = t.channel {
            request = request.header(
                "authorization",
                Self::authorization(client, "POST", path, &t.bytes),
            );
        }
        let response = request.send().await.expect("request answered");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }

    /// Sends every queued request of `client` whatever its time, feeding back the responses
    /// (bounded).
    pub async fn pump(&self, client: &mut Client) {
        for _ in 0..100 {
            let Some(t) = client.poll_transmit(Time::MAX) else {
                return;
            };
            let (status, body) = self.send(client, &t).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            client
                .handle_response(&mut rand::rng(), blindpost_server::now(), t.id, &body)
                .expect("the client accepts the response");
        }
        panic!("the client kept sending");
    }

    /// Fetches `client`'s deliveries; the status and the decoded entries.
    pub async fn fetch(&self, client: &Client) -> (u16, Vec<(u64, Vec<u8>)>) {
        let response = self
            .http
            .get(format!("{}/v1/deliveries", self.url))
            .header(
                "authorization",
                Self::authorization(client, "GET", "/v1/deliveries", b""),
            )
            .send()
            .await
            .expect("fetch answered");
        let status = response.status().as_u16();
        let body = response.bytes().await.expect("body");
        if status != 200 {
            return (status, Vec::new());
        }
        let entries = blindpost_server::queue::decode_fetched(&body).expect("a fetch answer");
        (status, entries)
    }

    /// Acknowledges `client`'s deliveries up to `seq`; the status.
    pub async fn ack(&self, client: &Client, seq: u64) -> u16 {
        let body = seq.to_be_bytes().to_vec();
        self.http
            .post(format!("{}/v1/deliveries/ack", self.url))
            .header(
                "authorization",
                Self::authorization(client, "POST", "/v1/deliveries/ack", &body),
            )
            .body(body)
            .send()
            .await
            .expect("ack answered")
            .status()
            .as_u16()
    }

    /// Fetches, opens and hands every delivery to `client`, starts the ratchet from a cold
    /// call's offer, and acknowledges them; returns the client's events.
    pub async fn receive(&self, client: &mut Client) -> Vec<Event> {
        let (status, entries) = self.fetch(client).await;
        assert_eq!(status, 200);
        let me = client.account();
        let mut events = Vec::new();
        for (_, bytes) in &entries {
            let delivery = Delivery::from_bytes(bytes).expect("a delivery");
            let mut sealing = self.sealing.lock().unwrap();
            let state = sealing.get_mut(&me).expect("a registered client");
            let opened = state.open(delivery.sealed()).expect("the payload opens");
            client
                .handle_delivery(blindpost_server::now(), bytes, &opened.payload)
                .expect("the client takes the delivery");
            for event in std::iter::from_fn(|| client.poll_event()) {
                if let Event::IntroductionReceived {
                    contact,
                    host_material,
                    cold_call: true,
                    ..
                } = &event
                {
                    assert_eq!(contact.as_bytes(), &opened.sender);
                    state
                        .accept_offer(contact.as_bytes(), host_material)
                        .expect("a cold call carries an offer");
                }
                events.push(event);
            }
        }
        if let Some(&(last, _)) = entries.last() {
            assert_eq!(self.ack(client, last).await, 204);
        }
        events.extend(std::iter::from_fn(|| client.poll_event()));
        events
    }

    /// Sends a cold call from `from` to the owner of `to`: an Olm offer in the introduction,
    /// sealed as a first contact to the certificate's host key.
    pub async fn cold_call(&self, from: &mut Client, to: &Certificate, message: &[u8]) {
        let recipient = AccountId::for_identity_key(&to.identity_key().to_bytes());
        let host_key = to.host_key().expect("the recipient has a host key");
        let sealed = {
            let mut sealing = self.sealing.lock().unwrap();
            let state = sealing
                .get_mut(&from.account())
                .expect("a registered client");
            let offer = state.offer();
            let intro = from
                .compose_introduction(
                    &mut rand::rng(),
                    blindpost_server::now(),
                    to,
                    message,
                    &offer,
                )
                .expect("the client composes an introduction");
            state
                .seal_first_contact(
                    &mut rand::rng(),
                    host_key.as_bytes(),
                    recipient.as_bytes(),
                    &intro,
                )
                .expect("the introduction seals")
        };
        from.send_cold_call(blindpost_server::now(), recipient, &sealed)
            .expect("the client holds a token");
        self.pump(from).await;
    }

    /// Sends a reply from `from` to its contact `to`, sealed through their ratchet.
    pub async fn reply(&self, from: &mut Client, to: AccountId, message: &[u8]) {
        let certificate = from
            .contacts()
            .into_iter()
            .find(|c| c.account == to)
            .expect("a contact")
            .certificate;
        let host_key = certificate.host_key().expect("the contact has a host key");
        let payload = from
            .compose_reply(&mut rand::rng(), blindpost_server::now(), to, message, b"")
            .expect("the client composes a reply");
        let sealed = self
            .sealing
            .lock()
            .unwrap()
            .get_mut(&from.account())
            .expect("a registered client")
            .seal(
                &mut rand::rng(),
                host_key.as_bytes(),
                to.as_bytes(),
                &payload,
            )
            .expect("the reply seals");
        from.send_reply(&mut rand::rng(), blindpost_server::now(), to, &sealed)
            .expect("the client can reply");
        self.pump(from).await;
    }

    /// Registers `client` under `phone`, reading the code from the SMS file in `dir`.
    pub async fn register(&self, dir: &Path, client: &mut Client, phone: &str) {
        let number = PhoneNumber::parse(phone).expect("a phone number");
        client.request_code(&mut rand::rng(), blindpost_server::now(), number.clone());
        self.pump(client).await;
        let code = code_for(dir, phone).expect("a code was sent");
        let state = E2eState::generate(&mut rand::rng(), *client.account().as_bytes());
        let host_key = HostKey::new(&state.host_key()).expect("a host key fits");
        self.sealing.lock().unwrap().insert(client.account(), state);
        client
            .register(
                &mut rand::rng(),
                blindpost_server::now(),
                number,
                &code,
                Some(host_key),
            )
            .expect("the client registers");
        self.pump(client).await;
        let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
        assert!(
            events.iter().any(|e| matches!(e, Event::Registered { .. })),
            "{events:?}"
        );
    }
}

fn found(events: &[Event]) -> Vec<blindpost::certificate::Certificate> {
    events
        .iter()
        .find_map(|e| match e {
            Event::LookupCompleted { found } => Some(found.clone()),
            _ => None,
        })
        .expect("a lookup completed")
}

/// Two clients with phone numbers `<prefix>0001` and `<prefix>0002` (on a server whose SMS
/// file is in `dir`, and whose metrics start at zero) register, one looks the other up and
/// cold-calls it, the other fetches, acknowledges and replies, and they exchange one more reply.
pub async fn round(dir: &Path, server: &RunningServer, prefix: &str) {
    let host = Host::new(server);
    let settings = ClientSettings::default();
    let mut alice = Client::new(&mut rand::rng(), server.public_keys(), settings.clone());
    let mut bob = Client::new(&mut rand::rng(), server.public_keys(), settings);
    host.register(dir, &mut alice, &format!("{prefix}0001"))
        .await;
    host.register(dir, &mut bob, &format!("{prefix}0002")).await;

    alice
        .lookup(
            &mut rand::rng(),
            blindpost_server::now(),
            vec![PhoneNumber::parse(&format!("{prefix}0002")).unwrap()],
        )
        .unwrap();
    host.pump(&mut alice).await;
    let events: Vec<Event> = std::iter::from_fn(|| alice.poll_event()).collect();
    let certs = found(&events);
    assert_eq!(certs.len(), 1);
    let bob_id = AccountId::for_identity_key(&certs[0].identity_key().to_bytes());
    assert_eq!(bob_id, bob.account());

    // Nothing queued for Bob yet.
    assert_eq!(host.fetch(&bob).await, (200, vec![]));

    host.cold_call(&mut alice, &certs[0], b"hi bob").await;

    // Fetched until acknowledged.
    let (status, first) = host.fetch(&bob).await;
    assert_eq!(status, 200);
    assert_eq!(first.len(), 1);
    assert_eq!(host.fetch(&bob).await, (200, first.clone()));
    let events = host.receive(&mut bob).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::IntroductionReceived { .. })),
        "{events:?}"
    );
    assert_eq!(host.fetch(&bob).await, (200, vec![]));

    // Bob replies; Alice receives it.
    host.reply(&mut bob, alice.account(), b"hi alice").await;
    // Bob's first reply introduces him to Alice.
    let events = host.receive(&mut alice).await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::IntroductionReceived { message, cold_call: false, .. } if message == b"hi alice"
        )),
        "{events:?}"
    );
    host.reply(&mut alice, bob_id, b"how are you").await;
    let events = host.receive(&mut bob).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::MessageReceived { .. })),
        "{events:?}"
    );

    let metrics = host
        .http
        .get(format!("{}/metrics", host.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("blindpost_deliveries_enqueued_total 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("blindpost_deliveries_acked_total 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("type=\"cold_call\",outcome=\"ok\"} 1"),
        "{metrics}"
    );
}
