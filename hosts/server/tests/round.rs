//! A whole conversation through a running server over loopback HTTP, and each refusal of the
//! authenticated channel.

mod common;

use blindpost::client::{Client, ClientSettings};
use blindpost::wire::Response;
use common::Host;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_lookup_cold_call_fetch_ack_reply() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;
    common::round(dir.path(), &server, "+1555020").await;
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

/// The bulk-sender tier through the server's X.509 check over HTTP: a proof from the test CA,
/// whose root the server trusts, brings the tier's tokens (SPEC.md 18.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_sender_claims_its_tier() {
    use blindpost::client::Event;
    use blindpost_bulk_x509::test_ca::TestCa;
    use blindpost_server::config::BulkOptions;

    let dir = tempfile::tempdir().unwrap();
    let now = blindpost_server::now();
    let ca = TestCa::new(
        "operator-trusted",
        now.saturating_sub(86_400),
        now.saturating_add(86_400),
    )
    .unwrap();
    let anchors = dir.path().join("anchors.pem");
    std::fs::write(&anchors, ca.anchor_pem()).unwrap();
    let mut options = common::options(dir.path());
    options.bulk = Some(BulkOptions {
        anchors,
        tiers: std::collections::BTreeMap::from([("mail.example.com".to_owned(), 3)]),
    });
    let server = blindpost_server::start(options).await.unwrap();
    let host = Host::new(&server);
    let mut sender = Client::new(
        &mut rand::rng(),
        server.public_keys(),
        ClientSettings::default(),
    );
    host.register(dir.path(), &mut sender, "+15550200009").await;
    let cert = ca
        .issue(
            "mail.example.com",
            now.saturating_sub(86_400),
            now.saturating_add(86_400),
        )
        .unwrap();
    let identity_key = sender.certificate().unwrap().identity_key().to_bytes();
    let proof = cert.prove(&identity_key).unwrap();
    // The client's clock: the server's keys are valid from its start, after `now` above.
    sender
        .claim_bulk_tokens(&mut rand::rng(), blindpost_server::now(), proof, 5)
        .unwrap();
    host.pump(&mut sender).await;
    let events: Vec<Event> = std::iter::from_fn(|| sender.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::BulkTokensGranted { tokens: 3 })),
        "{events:?}"
    );
    server.shutdown().await;
}
