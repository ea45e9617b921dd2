//! The server over real loopback HTTP: endpoints, status codes, HTTP/2, TLS, restarts and
//! graceful shutdown.

mod common;

use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, ClientSettings};
use blindpost::wire::{ErrorCode, Response};
use blindpost::Time;
use common::{decode, fetch_keys, post};
use std::sync::{mpsc, Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_direct_endpoints_answer_protocol_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;
    let http = common::http();
    let url = server.url();

    let (status, body) = post(&http, &url, "/v1/anonymous", fetch_keys()).await;
    assert_eq!(status, 200);
    assert_eq!(body, common::keys_response(&server));
    // A request on the wrong endpoint is a protocol refusal inside a 200.
    let (status, body) = post(&http, &url, "/v1/direct", fetch_keys()).await;
    assert_eq!(status, 200);
    assert!(matches!(
        decode(&body),
        Response::Error {
            code: ErrorCode::WrongChannel,
            ..
        }
    ));
    // Garbage is a protocol refusal too.
    let (status, body) = post(&http, &url, "/v1/anonymous", b"garbage".to_vec()).await;
    assert_eq!(status, 200);
    assert!(matches!(
        decode(&body),
        Response::Error {
            code: ErrorCode::Malformed,
            ..
        }
    ));

    // A code request on the direct endpoint reaches the SMS file sender.
    let mut client = Client::new(
        &mut rand::rng(),
        server.public_keys(),
        ClientSettings::default(),
    );
    let now = blindpost_server::now();
    client.request_code(
        &mut rand::rng(),
        now,
        PhoneNumber::parse("+15550100001").unwrap(),
    );
    let t = client.poll_transmit(Time::MAX).unwrap();
    let (status, body) = post(&http, &url, "/v1/direct", t.bytes).await;
    assert_eq!(status, 200);
    assert!(matches!(decode(&body), Response::CodeSent));
    let code = common::code_for(dir.path(), "+15550100001").expect("a code in the SMS file");
    assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()));

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_codes_outside_the_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;
    let http = common::http();
    let url = server.url();

    // 413: over the body limit, whether declared or not.
    let (status, _) = post(&http, &url, "/v1/anonymous", vec![0; 256 * 1024 + 1]).await;
    assert_eq!(status, 413);
    let (status, _) = post(&http, &url, "/v1/anonymous", vec![0; 256 * 1024]).await;
    assert_eq!(status, 200);
    let stream = futures_stream(vec![0; 300 * 1024]);
    let response = http
        .post(format!("{url}/v1/anonymous"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);

    // 404 and 405.
    let (status, _) = post(&http, &url, "/v1/nothing", vec![]).await;
    assert_eq!(status, 404);
    let response = http
        .get(format!("{url}/v1/anonymous"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);

    // 401 without a credential, with the challenge header.
    for path in ["/v1/authenticated", "/v1/deliveries/ack"] {
        let response = http
            .post(format!("{url}{path}"))
            .body(vec![0; 8])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path}");
        assert_eq!(response.headers()["www-authenticate"], "Blindpost");
    }
    let response = http
        .get(format!("{url}/v1/deliveries"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    // 400: a credential that is not `Blindpost <lowercase hex>`.
    for value in [
        "Bearer abcd",
        "Blindpost xyz",
        "Blindpost ABCD",
        "Blindpost abc",
    ] {
        let response = http
            .get(format!("{url}/v1/deliveries"))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{value}");
    }

    // Health and metrics.
    let response = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
    let metrics = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(
        "blindpost_requests_total{endpoint=\"anonymous\",type=\"unread\",outcome=\"too_large\"} 2"
    ), "{metrics}");
    assert!(
        metrics.contains("blindpost_auth_refusals_total{reason=\"missing\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("blindpost_auth_refusals_total{reason=\"malformed\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("blindpost_request_duration_seconds_count{endpoint=\"anonymous\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("blindpost_key_cache_misses_total 0"),
        "{metrics}"
    );

    server.shutdown().await;
}

/// A body stream of `bytes` in 16 KiB chunks, with no declared length.
fn futures_stream(
    bytes: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let chunks: Vec<Vec<u8>> = bytes.chunks(16 * 1024).map(<[u8]>::to_vec).collect();
    futures_util::stream::iter(chunks.into_iter().map(Ok))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_with_prior_knowledge() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;
    let http = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = http
        .post(format!("{}/v1/anonymous", server.url()))
        .body(fetch_keys())
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status().as_u16(), 200);
    assert!(matches!(
        decode(&response.bytes().await.unwrap()),
        Response::Keys(_)
    ));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_h2_by_alpn() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut options = common::options(dir.path());
    options.tls = Some(blindpost_server::TlsFiles {
        cert: cert_path,
        key: key_path,
    });
    let server = blindpost_server::start(options).await.unwrap();
    assert!(server.url().starts_with("https://"));
    let root = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", server.local_addr())
        .build()
        .unwrap();
    let url = format!("https://localhost:{}", server.local_addr().port());
    let response = http
        .post(format!("{url}/v1/anonymous"))
        .body(fetch_keys())
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status().as_u16(), 200);
    assert!(matches!(
        decode(&response.bytes().await.unwrap()),
        Response::Keys(_)
    ));
    // HTTP/1.1 over TLS works too.
    let http1 = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", server.local_addr())
        .http1_only()
        .build()
        .unwrap();
    let response = http1.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status().as_u16(), 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_the_same_data_dir_keeps_secrets_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;
    let keys = server.public_keys();
    let keys_bytes = common::keys_response(&server);
    let secrets = dir.path().join("data/secrets.bin");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let http = common::http();
    let mut client = Client::new(&mut rand::rng(), keys.clone(), ClientSettings::default());
    let phone = PhoneNumber::parse("+15550100002").unwrap();
    client.request_code(&mut rand::rng(), blindpost_server::now(), phone.clone());
    let t = client.poll_transmit(Time::MAX).unwrap();
    let (status, _) = post(&http, &server.url(), "/v1/direct", t.bytes.clone()).await;
    assert_eq!(status, 200);
    let code = common::code_for(dir.path(), "+15550100002").unwrap();
    server.shutdown().await;

    let server = common::start(dir.path()).await;
    assert_eq!(common::keys_response(&server), keys_bytes);
    // The code session survived: asking again re-sends the same code (SPEC.md 9).
    let (status, _) = post(&common::http(), &server.url(), "/v1/direct", t.bytes).await;
    assert_eq!(status, 200);
    let lines = std::fs::read_to_string(common::sms_file(dir.path())).unwrap();
    assert_eq!(lines.lines().count(), 2);
    assert_eq!(common::code_for(dir.path(), "+15550100002").unwrap(), code);
    server.shutdown().await;
}

/// An SMS sender that holds each send until the test lets it go.
struct Gate {
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl blindpost_server::sms::SmsSender for Gate {
    fn send(
        &self,
        _phone: &PhoneNumber,
        _code: &blindpost::verification_code::VerificationCode,
    ) -> std::io::Result<()> {
        let _ = self.entered.lock().unwrap().send(());
        self.release
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(60))
            .map_err(std::io::Error::other)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_a_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let mut options = common::options(dir.path());
    options.sms = blindpost_server::SmsChoice::Custom(Arc::new(Gate {
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    }));
    let server = blindpost_server::start(options).await.unwrap();
    let (url, addr) = (server.url(), server.local_addr());

    let mut client = Client::new(
        &mut rand::rng(),
        server.public_keys(),
        ClientSettings::default(),
    );
    client.request_code(
        &mut rand::rng(),
        blindpost_server::now(),
        PhoneNumber::parse("+15550100003").unwrap(),
    );
    let t = client.poll_transmit(Time::MAX).unwrap();
    let in_flight =
        tokio::spawn(async move { post(&common::http(), &url, "/v1/direct", t.bytes).await });
    // The request is inside the server (its SMS is being sent) when the shutdown starts.
    tokio::task::spawn_blocking(move || {
        entered_rx.recv_timeout(std::time::Duration::from_secs(60))
    })
    .await
    .unwrap()
    .expect("the request reached the SMS sender");
    let shutdown = tokio::spawn(server.shutdown());
    // New connections are refused once the listener is closed (bounded wait for that).
    let mut refused = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(refused, "the listener still accepts after shutdown began");
    release_tx.send(()).unwrap();
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, 200);
    assert!(matches!(decode(&body), Response::CodeSent));
    shutdown.await.unwrap();
}
