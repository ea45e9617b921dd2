//! A whole conversation through a running server over loopback HTTP, and each refusal of the
//! authenticated channel.

mod common;

use blindpost::account::AccountId;
use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, ClientSettings, Event};
use blindpost::wire::Response;
use common::Host;

fn found(events: &[Event]) -> Vec<blindpost::certificate::Certificate> {
    events
        .iter()
        .find_map(|e| match e {
            Event::LookupCompleted { found } => Some(found.clone()),
            _ => None,
        })
        .expect("a lookup completed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_lookup_cold_call_fetch_ack_reply() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;
    let host = Host::new(&server);
    let settings = ClientSettings::default();
    let mut alice = Client::new(&mut rand::rng(), server.public_keys(), settings.clone());
    let mut bob = Client::new(&mut rand::rng(), server.public_keys(), settings);
    host.register(dir.path(), &mut alice, "+15550200001").await;
    host.register(dir.path(), &mut bob, "+15550200002").await;

    alice
        .lookup(
            &mut rand::rng(),
            blindpost_server::now(),
            vec![PhoneNumber::parse("+15550200002").unwrap()],
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

    let intro = alice
        .compose_introduction(
            &mut rand::rng(),
            blindpost_server::now(),
            &certs[0],
            b"hi bob",
            b"",
        )
        .unwrap();
    alice
        .send_cold_call(blindpost_server::now(), bob_id, &intro)
        .unwrap();
    host.pump(&mut alice).await;

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
    let reply = bob
        .compose_reply(
            &mut rand::rng(),
            blindpost_server::now(),
            alice.account(),
            b"hi alice",
            b"",
        )
        .unwrap();
    bob.send_reply(
        &mut rand::rng(),
        blindpost_server::now(),
        alice.account(),
        &reply,
    )
    .unwrap();
    host.pump(&mut bob).await;
    // Bob's first reply introduces him to Alice.
    let events = host.receive(&mut alice).await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::IntroductionReceived { message, cold_call: false, .. } if message == b"hi alice"
        )),
        "{events:?}"
    );
    let reply = alice
        .compose_reply(
            &mut rand::rng(),
            blindpost_server::now(),
            bob_id,
            b"how are you",
            b"",
        )
        .unwrap();
    alice
        .send_reply(&mut rand::rng(), blindpost_server::now(), bob_id, &reply)
        .unwrap();
    host.pump(&mut alice).await;
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_refusals_have_their_status() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;
    let host = Host::new(&server);
    let url = &host.url;
    let mut alice = Client::new(
        &mut rand::rng(),
        server.public_keys(),
        ClientSettings::default(),
    );
    host.register(dir.path(), &mut alice, "+15550200003").await;
    let stranger = Client::new(
        &mut rand::rng(),
        server.public_keys(),
        ClientSettings::default(),
    );
    let now = blindpost_server::now();

    let get = |auth: String| {
        host.http
            .get(format!("{url}/v1/deliveries"))
            .header("authorization", auth)
            .send()
    };
    let header = |client: &Client, time: blindpost::Time, method: &str, path: &str, body: &[u8]| {
        let auth = client
            .authorize(&mut rand::rng(), time, method, path, body)
            .unwrap();
        format!("Blindpost {}", hex::encode(auth.to_bytes()))
    };
    let expect = |response: reqwest::Response, status: u16, reason: &'static str| async move {
        assert_eq!(response.status().as_u16(), status);
        if status == 401 {
            assert_eq!(response.headers()["www-authenticate"], "Blindpost");
        }
        assert_eq!(response.text().await.unwrap(), reason);
    };

    // Clock skew, either way.
    for time in [now.saturating_sub(3600), now.saturating_add(3600)] {
        let r = get(header(&alice, time, "GET", "/v1/deliveries", b""))
            .await
            .unwrap();
        expect(r, 401, "clock skew").await;
    }
    // Unknown account.
    let r = get(header(&stranger, now, "GET", "/v1/deliveries", b""))
        .await
        .unwrap();
    expect(r, 401, "unknown account").await;
    // Bad signature: signed for another path, another method, another body.
    for auth in [
        header(&alice, now, "GET", "/v1/authenticated", b""),
        header(&alice, now, "POST", "/v1/deliveries", b""),
        header(&alice, now, "GET", "/v1/deliveries", b"x"),
    ] {
        let r = get(auth).await.unwrap();
        expect(r, 401, "bad signature").await;
    }
    // A credential of the wrong length is malformed: 400.
    let r = get(format!("Blindpost {}", "00".repeat(167)))
        .await
        .unwrap();
    expect(r, 400, "malformed credential").await;
    // Replayed: the same credential twice.
    let once = header(&alice, now, "GET", "/v1/deliveries", b"");
    let r = get(once.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = get(once).await.unwrap();
    expect(r, 409, "credential replayed").await;
    // A bad ack body, authenticated.
    let body = vec![1, 2, 3];
    let r = host
        .http
        .post(format!("{url}/v1/deliveries/ack"))
        .header(
            "authorization",
            header(&alice, now, "POST", "/v1/deliveries/ack", &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    expect(r, 400, "ack body is a u64").await;
    // An authenticated protocol request signed for its body is answered in a 200; the same
    // body under another body's credential is refused.
    let release = blindpost::wire::Request::FetchKeys.to_bytes();
    let r = host
        .http
        .post(format!("{url}/v1/authenticated"))
        .header(
            "authorization",
            header(&alice, now, "POST", "/v1/authenticated", &release),
        )
        .body(release.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(matches!(
        common::decode(&r.bytes().await.unwrap()),
        Response::Error {
            code: blindpost::wire::ErrorCode::WrongChannel,
            ..
        }
    ));
    let r = host
        .http
        .post(format!("{url}/v1/authenticated"))
        .header(
            "authorization",
            header(&alice, now, "POST", "/v1/authenticated", b"other"),
        )
        .body(release)
        .send()
        .await
        .unwrap();
    expect(r, 401, "bad signature").await;

    let metrics = host
        .http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "blindpost_auth_refusals_total{reason=\"clock_skew\"} 2",
        "blindpost_auth_refusals_total{reason=\"unknown_account\"} 1",
        "blindpost_auth_refusals_total{reason=\"bad_signature\"} 4",
        "blindpost_auth_refusals_total{reason=\"malformed\"} 1",
        "blindpost_auth_refusals_total{reason=\"replayed\"} 1",
    ] {
        assert!(metrics.contains(line), "{line}: {metrics}");
    }
    server.shutdown().await;
}
