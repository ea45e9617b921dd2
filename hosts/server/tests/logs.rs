//! What the server logs about anonymous and direct requests: the endpoint, request type, status
//! and latency, never the body, anything derived from it, or the source address.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Collects everything the server logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends one HTTP/1.1 POST over a fresh connection; returns the connection's own address and
/// the response's status line.
async fn post_raw(server: std::net::SocketAddr, path: &str, body: &[u8]) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(server).await.unwrap();
    let source = stream.local_addr().unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    (
        source.to_string(),
        text.lines().next().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_direct_logs_hold_no_body_and_no_address() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path()).await;

    let marker = b"MARKER-7f3a9c";
    let mut keys_then_marker = common::fetch_keys();
    keys_then_marker.extend_from_slice(marker);
    let mut sources = Vec::new();
    for (path, body) in [
        ("/v1/anonymous", common::fetch_keys()),
        ("/v1/anonymous", keys_then_marker.clone()),
        ("/v1/direct", keys_then_marker.clone()),
        ("/v1/anonymous", marker.to_vec()),
    ] {
        let (source, status) = post_raw(server.local_addr(), path, &body).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        sources.push(source);
    }
    server.shutdown().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The requests were logged, by type and status.
    assert_eq!(logs.matches("endpoint=\"anonymous\"").count(), 3, "{logs}");
    assert_eq!(logs.matches("endpoint=\"direct\"").count(), 1, "{logs}");
    assert!(
        logs.contains("request_type=\"fetch_keys\" status=200"),
        "{logs}"
    );
    // Nothing of the bodies or of where they came from.
    let marker_text = std::str::from_utf8(marker).unwrap();
    for needle in [
        marker_text.to_owned(),
        hex::encode(marker),
        format!("{:?}", &marker[..]),
        format!("{:?}", &keys_then_marker[..]),
    ] {
        assert!(!logs.contains(&needle), "the logs hold {needle}: {logs}");
    }
    for source in sources {
        assert!(!logs.contains(&source), "the logs hold {source}: {logs}");
    }
}
