//! Anonymous requests pass through the SOCKS5 proxy, each on a connection of its own with a
//! credential of its own; direct and authenticated requests (and the delivery queue) never
//! reach it (SPEC.md 17.5).
//!
//! The proxy is written here (RFC 1928 greeting and CONNECT, RFC 1929 username/password) and
//! records every connection's credential and target. The server counts the requests it got on
//! each endpoint (`/metrics`); the proxy's count must equal the anonymous endpoint's, and the
//! server must have seen direct and authenticated requests the proxy never did.

mod common;

use blindpost::account::Channel;
use blindpost::client::{Client, Event};
use blindpost::wire::RequestType;
use blindpost_cli::runner::{client_settings, now};
use blindpost_cli::state::HostSettings;
use blindpost_cli::transport::{Transport, TransportOptions};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One connection the proxy carried.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Carried {
    username: String,
    password: String,
    target: SocketAddr,
}

/// A loopback SOCKS5 proxy that requires username/password authentication.
async fn start_proxy() -> (SocketAddr, Arc<Mutex<Vec<Carried>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let record = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let record = record.clone();
            tokio::spawn(async move {
                if let Err(e) = serve(stream, record).await {
                    eprintln!("proxy: {e}");
                }
            });
        }
    });
    (addr, log)
}

async fn serve(mut client: TcpStream, log: Arc<Mutex<Vec<Carried>>>) -> std::io::Result<()> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    // Greeting: version 5, the methods offered; we take 0x02 (username/password) only.
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await?;
    if head[0] != 5 {
        return Err(bad("not SOCKS5"));
    }
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods).await?;
    if !methods.contains(&2) {
        client.write_all(&[5, 0xff]).await?;
        return Err(bad("no username/password method offered"));
    }
    client.write_all(&[5, 2]).await?;
    // RFC 1929: version 1, username, password.
    let mut version = [0u8; 1];
    client.read_exact(&mut version).await?;
    let username = read_label(&mut client).await?;
    let password = read_label(&mut client).await?;
    client.write_all(&[1, 0]).await?;
    // Request: version 5, CONNECT, reserved, address type, address, port.
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    if request[..3] != [5, 1, 0] {
        return Err(bad("not a CONNECT"));
    }
    let ip: std::net::IpAddr = match request[3] {
        1 => {
            let mut a = [0u8; 4];
            client.read_exact(&mut a).await?;
            a.into()
        }
        4 => {
            let mut a = [0u8; 16];
            client.read_exact(&mut a).await?;
            a.into()
        }
        3 => {
            let name = read_label(&mut client).await?;
            // Loopback only: the test's server listens on 127.0.0.1.
            if name != "localhost" && name != "127.0.0.1" {
                return Err(bad("a name other than loopback"));
            }
            [127, 0, 0, 1].into()
        }
        _ => return Err(bad("unknown address type")),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let target = SocketAddr::new(ip, u16::from_be_bytes(port));
    log.lock().unwrap().push(Carried {
        username,
        password,
        target,
    });
    let mut upstream = TcpStream::connect(target).await?;
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn read_label(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut len = [0u8; 1];
    stream.read_exact(&mut len).await?;
    let mut bytes = vec![0u8; usize::from(len[0])];
    stream.read_exact(&mut bytes).await?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Sends every request of `client` that is queued (whatever its time), feeding back answers;
/// counts the anonymous ones in `anonymous`.
async fn send_all(
    transport: &Transport,
    client: &mut Client,
    rng: &mut rand::rngs::StdRng,
    anonymous: &mut usize,
) {
    for _ in 0..64 {
        let Some(transmit) = client.poll_transmit(blindpost::Time::MAX) else {
            return;
        };
        if transmit.channel == Channel::Anonymous {
            *anonymous += 1;
        }
        let response = transport
            .send(client, rng, now(), &transmit)
            .await
            .unwrap_or_else(|e| panic!("{:?} failed: {e}", transmit.channel));
        client
            .handle_response(rng, now(), transmit.id, &response)
            .unwrap();
    }
    panic!("the client keeps queueing requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_go_through_the_proxy_each_with_its_own_credential() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start_server(dir.path()).await;
    let (proxy, carried) = start_proxy().await;

    let mut options = TransportOptions::new(server.url());
    options.socks = Some(proxy);
    let transport = Transport::new(options).unwrap();
    let mut rng: rand::rngs::StdRng = rand::make_rng();
    let mut client = Client::new(
        &mut rng,
        server.public_keys(),
        client_settings(&HostSettings::default()),
    );

    let mut sent_anonymously = 0;
    // Direct: code request and registration.
    let phone = blindpost::certificate::PhoneNumber::parse("+15550100").unwrap();
    client.request_code(&mut rng, now(), phone.clone());
    send_all(&transport, &mut client, &mut rng, &mut sent_anonymously).await;
    let code = common::code_for(dir.path(), "+15550100").expect("a code was sent");
    client
        .register(&mut rng, now(), phone, &code, None)
        .unwrap();
    send_all(&transport, &mut client, &mut rng, &mut sent_anonymously).await;
    assert!(client.certificate().is_some());

    // Authenticated: this window's discovery tokens (queued by the timer after registering).
    client.handle_timeout(&mut rng, now());
    send_all(&transport, &mut client, &mut rng, &mut sent_anonymously).await;
    assert!(client.discovery_tokens(now().window(24 * 3600)) > 0);

    // Anonymous: five key fetches and a lookup.
    for _ in 0..5 {
        client.refresh_keys(now());
    }
    client
        .lookup(
            &mut rng,
            now(),
            vec![blindpost::certificate::PhoneNumber::parse("+15550101").unwrap()],
        )
        .unwrap();
    send_all(&transport, &mut client, &mut rng, &mut sent_anonymously).await;
    let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::LookupCompleted { found } if found.is_empty())));
    assert!(!events.iter().any(
        |e| matches!(e, Event::RequestFailed { request, .. } if *request != RequestType::Lookup)
    ));

    // The delivery queue: authenticated, not proxied.
    let fetched = transport
        .fetch_deliveries(&client, &mut rng, now())
        .await
        .unwrap();
    assert!(fetched.is_empty());
    transport
        .ack_deliveries(&client, &mut rng, now(), 0)
        .await
        .unwrap();

    let counts = common::endpoint_counts(&server.url()).await;
    let carried = carried.lock().unwrap().clone();
    let anonymous = counts.get("anonymous").copied().unwrap_or(0);
    // Five key fetches, a lookup, and the key check the timer queued.
    assert!(sent_anonymously >= 6);
    assert_eq!(anonymous, sent_anonymously as u64, "{counts:?}");
    assert_eq!(
        carried.len(),
        sent_anonymously,
        "every anonymous request and nothing else: {carried:?}"
    );
    assert!(
        counts.get("direct").copied().unwrap_or(0) >= 2,
        "{counts:?}"
    );
    assert!(
        counts.get("authenticated").copied().unwrap_or(0) >= 1,
        "{counts:?}"
    );
    assert!(
        counts.get("deliveries").copied().unwrap_or(0) >= 1,
        "{counts:?}"
    );
    assert!(counts.get("ack").copied().unwrap_or(0) >= 1, "{counts:?}");
    let credentials: BTreeSet<(String, String)> = carried
        .iter()
        .map(|c| (c.username.clone(), c.password.clone()))
        .collect();
    assert_eq!(
        credentials.len(),
        carried.len(),
        "credentials repeat: {carried:?}"
    );
    let usernames: BTreeSet<&String> = carried.iter().map(|c| &c.username).collect();
    assert_eq!(usernames.len(), carried.len(), "usernames repeat");
    assert!(carried
        .iter()
        .all(|c| c.target.port() == server.local_addr().port() && c.username.len() == 32));
    server.shutdown().await;
}
