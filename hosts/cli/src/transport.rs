//! The HTTP transport of the client host (SPEC.md 17.5): carries a client's requests to the
//! server's endpoints and fetches and acknowledges its deliveries.
//!
//! What the server could link is kept apart by construction:
//! - **Anonymous** requests each get a connection of their own, never reused. With a SOCKS5
//!   proxy configured (Tor's SocksPort) they go through it with a fresh random username and
//!   password each, which Tor takes as the isolation key of a separate circuit.
//! - **Direct** and **authenticated** requests (and the delivery queue) share one connection
//!   pool of their own, never through the proxy and never with an anonymous request. They
//!   name the account anyway.
//!
//! Every authenticated request carries `Authorization: Blindpost <hex>` with a credential
//! from [`Client::authorize`] over its method, path and body.

use blindpost::account::Channel;
use blindpost::client::{Client, Transmit};
use blindpost::Time;
use rand::CryptoRng;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The path of direct requests.
pub const DIRECT_PATH: &str = "/v1/direct";
/// The path of anonymous requests.
pub const ANONYMOUS_PATH: &str = "/v1/anonymous";
/// The path of authenticated requests.
pub const AUTHENTICATED_PATH: &str = "/v1/authenticated";
/// The path that lists queued deliveries.
pub const DELIVERIES_PATH: &str = "/v1/deliveries";
/// The path that acknowledges queued deliveries.
pub const ACK_PATH: &str = "/v1/deliveries/ack";

/// The most deliveries one fetch answers with (SPEC.md 17).
pub const MAX_FETCHED_DELIVERIES: usize = 64;

/// The largest response body read (bytes): a fetch answers with at most 1 MiB of deliveries
/// plus framing; protocol responses are far smaller.
pub const MAX_RESPONSE_LEN: usize = 2 * 1024 * 1024;

/// The most bytes of an error body kept in [`TransportError::Status`].
const MAX_ERROR_MESSAGE: usize = 512;

/// Where and how to reach the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportOptions {
    /// The server's base URL, `http://host:port` or `https://host:port`.
    pub server: String,
    /// The SOCKS5 proxy anonymous requests go through (Tor's SocksPort), if any.
    pub socks: Option<SocketAddr>,
    /// How long one request may take, connection included.
    pub timeout: Duration,
    /// A PEM root certificate to trust besides the built-in ones (a test or private server).
    pub root_certificate_pem: Option<Vec<u8>>,
}

impl TransportOptions {
    /// Options for `server` with no proxy, a 30 s timeout and the built-in roots.
    pub fn new(server: impl Into<String>) -> Self {
        Self {
            server: server.into(),
            socks: None,
            timeout: Duration::from_secs(30),
            root_certificate_pem: None,
        }
    }
}

/// Why a request did not produce a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// The options are unusable (a bad URL or certificate).
    Config(String),
    /// No connection could be made, or it broke (the proxy's refusal included).
    Connect(String),
    /// The request took longer than [`TransportOptions::timeout`].
    Timeout,
    /// The server answered with an HTTP status other than the expected one.
    Status {
        /// The status code.
        status: u16,
        /// The start of the server's message (its body, as text).
        message: String,
    },
    /// The answer's body does not have the expected form.
    Malformed(String),
    /// The client could not sign the request's credential.
    Sign(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "transport: bad configuration: {e}"),
            Self::Connect(e) => write!(f, "transport: cannot reach the server: {e}"),
            Self::Timeout => f.write_str("transport: the request timed out"),
            Self::Status { status, message } => {
                write!(f, "transport: the server answered {status}: {message}")
            }
            Self::Malformed(e) => write!(f, "transport: malformed answer: {e}"),
            Self::Sign(e) => write!(f, "transport: cannot sign the request: {e}"),
        }
    }
}

impl std::error::Error for TransportError {}

impl From<reqwest::Error> for TransportError {
    fn from(e: reqwest::Error) -> Self {
        // The error's text may hold the URL (with the proxy's one-time credential); it names
        // nothing secret beyond that, which is useless once the request is over.
        let text = error_chain(&e);
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_builder() {
            Self::Config(text)
        } else if e.is_decode() || e.is_body() {
            Self::Malformed(text)
        } else {
            Self::Connect(text)
        }
    }
}

/// The error and its sources, joined: reqwest's own message alone rarely says what failed.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The client host's connection to one server (cheap to clone: clones share the pool of
/// direct and authenticated requests).
#[derive(Clone, Debug)]
pub struct Transport {
    options: TransportOptions,
    /// The base URL without a trailing slash.
    base: String,
    /// Direct and authenticated requests: one pool, never through the proxy.
    named: reqwest::Client,
}

impl Transport {
    /// A transport for `options` (checks the URL, the proxy and the certificate up front).
    pub fn new(options: TransportOptions) -> Result<Self, TransportError> {
        let base = options.server.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| TransportError::Config(format!("server URL {base:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TransportError::Config(format!(
                "server URL {base:?}: the scheme must be http or https"
            )));
        }
        let named = builder(&options)?.build()?;
        let transport = Self {
            options,
            base,
            named,
        };
        // An anonymous client is built per request; build one now so bad options fail here.
        transport.anonymous_client()?;
        Ok(transport)
    }

    /// The options it was made with.
    pub fn options(&self) -> &TransportOptions {
        &self.options
    }

    /// Sends one request of `client` on the channel it names and returns the response bytes
    /// (a protocol refusal is a response, not an error). Authenticated requests are signed
    /// with `rng` at `now`.
    pub async fn send<R: CryptoRng + ?Sized>(
        &self,
        client: &Client,
        rng: &mut R,
        now: Time,
        transmit: &Transmit,
    ) -> Result<Vec<u8>, TransportError> {
        let body = transmit.bytes.clone();
        match transmit.channel {
            Channel::Direct => self.direct(body).await,
            Channel::Anonymous => self.anonymous(body).await,
            Channel::Authenticated(_) => {
                let auth = authorization(client, rng, now, "POST", AUTHENTICATED_PATH, &body)?;
                let request = self
                    .named
                    .post(self.url(AUTHENTICATED_PATH))
                    .header(reqwest::header::AUTHORIZATION, auth);
                post(request, body).await
            }
        }
    }

    /// Sends request bytes on the anonymous channel (a connection of its own, through the
    /// proxy if any) and returns the response bytes; for requests made without a client, such
    /// as the first fetch of the server's keys.
    pub async fn anonymous(&self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let request = self.anonymous_client()?.post(self.url(ANONYMOUS_PATH));
        post(request, body).await
    }

    /// Sends request bytes on the direct channel and returns the response bytes.
    pub async fn direct(&self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        post(self.named.post(self.url(DIRECT_PATH)), body).await
    }

    /// Fetches the oldest queued deliveries of `client` (at most 64): their sequence numbers
    /// and bytes, oldest first.
    pub async fn fetch_deliveries<R: CryptoRng + ?Sized>(
        &self,
        client: &Client,
        rng: &mut R,
        now: Time,
    ) -> Result<Vec<(u64, Vec<u8>)>, TransportError> {
        let auth = authorization(client, rng, now, "GET", DELIVERIES_PATH, b"")?;
        let request = self
            .named
            .get(self.url(DELIVERIES_PATH))
            .header(reqwest::header::AUTHORIZATION, auth);
        let body = expect(request, reqwest::StatusCode::OK).await?;
        decode_deliveries(&body)
    }

    /// Acknowledges every queued delivery of `client` with a sequence number up to `up_to`.
    pub async fn ack_deliveries<R: CryptoRng + ?Sized>(
        &self,
        client: &Client,
        rng: &mut R,
        now: Time,
        up_to: u64,
    ) -> Result<(), TransportError> {
        let body = up_to.to_be_bytes().to_vec();
        let auth = authorization(client, rng, now, "POST", ACK_PATH, &body)?;
        let request = self
            .named
            .post(self.url(ACK_PATH))
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body);
        expect(request, reqwest::StatusCode::NO_CONTENT).await?;
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client for one anonymous request: no pooling, and through the proxy (if any) under a
    /// fresh random credential, so that Tor gives it a circuit of its own.
    fn anonymous_client(&self) -> Result<reqwest::Client, TransportError> {
        let mut builder = builder(&self.options)?
            .pool_max_idle_per_host(0)
            .http1_only();
        if let Some(socks) = self.options.socks {
            let proxy = reqwest::Proxy::all(format!("socks5h://{socks}"))?
                .basic_auth(&random_label(), &random_label());
            builder = builder.proxy(proxy);
        }
        Ok(builder.build()?)
    }
}

/// The settings both kinds of clients share: timeout, roots, and no proxy from the
/// environment (`HTTP_PROXY` must never route a request the host did not mean to).
fn builder(options: &TransportOptions) -> Result<reqwest::ClientBuilder, TransportError> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .user_agent("blindpost");
    if let Some(pem) = &options.root_certificate_pem {
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| TransportError::Config(format!("root certificate: {e}")))?;
        if certificates.is_empty() {
            return Err(TransportError::Config(
                "root certificate: no certificate in the PEM".into(),
            ));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    Ok(builder)
}

/// 16 random bytes in hex: a SOCKS username or password used once.
fn random_label() -> String {
    let mut bytes = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

/// The `Authorization` header of a request of `client` (SPEC.md 17.2).
fn authorization<R: CryptoRng + ?Sized>(
    client: &Client,
    rng: &mut R,
    now: Time,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<String, TransportError> {
    let auth = client
        .authorize(rng, now, method, path, body)
        .map_err(|e| TransportError::Sign(e.to_string()))?;
    Ok(format!("Blindpost {}", hex::encode(auth.to_bytes())))
}

/// Posts request bytes and returns the response bytes of a `200`.
async fn post(request: reqwest::RequestBuilder, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
    let request = request
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(body);
    expect(request, reqwest::StatusCode::OK).await
}

/// Sends `request` and returns its body if the status is `expected`; otherwise the status
/// and the start of the server's message.
async fn expect(
    request: reqwest::RequestBuilder,
    expected: reqwest::StatusCode,
) -> Result<Vec<u8>, TransportError> {
    let mut response = request.send().await?;
    let status = response.status();
    if let Some(length) = response.content_length() {
        if length > MAX_RESPONSE_LEN as u64 {
            return Err(TransportError::Malformed(format!(
                "a body of {length} bytes, over the limit of {MAX_RESPONSE_LEN}"
            )));
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len().saturating_add(chunk.len()) > MAX_RESPONSE_LEN {
            return Err(TransportError::Malformed(format!(
                "a body over the limit of {MAX_RESPONSE_LEN} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if status == expected {
        return Ok(body);
    }
    let end = body.len().min(MAX_ERROR_MESSAGE);
    let message = String::from_utf8_lossy(body.get(..end).unwrap_or_default())
        .trim()
        .to_string();
    Err(TransportError::Status {
        status: status.as_u16(),
        message,
    })
}

/// Decodes a fetch's body: `u16 n; n x (u64 seq; vec32 delivery)`, with increasing sequence
/// numbers, at most [`MAX_FETCHED_DELIVERIES`] entries and no trailing bytes.
pub fn decode_deliveries(body: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, TransportError> {
    let mut rest = body;
    let count = u16::from_be_bytes(take::<2>(&mut rest)?);
    let count = usize::from(count);
    if count > MAX_FETCHED_DELIVERIES {
        return Err(TransportError::Malformed(format!(
            "{count} deliveries, over the limit of {MAX_FETCHED_DELIVERIES}"
        )));
    }
    let mut deliveries: Vec<(u64, Vec<u8>)> = Vec::with_capacity(count);
    for _ in 0..count {
        let seq = u64::from_be_bytes(take::<8>(&mut rest)?);
        if deliveries.last().is_some_and(|(last, _)| *last >= seq) {
            return Err(TransportError::Malformed(
                "delivery sequence numbers do not increase".into(),
            ));
        }
        let len = u32::from_be_bytes(take::<4>(&mut rest)?);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > rest.len() {
            return Err(TransportError::Malformed("a delivery is cut short".into()));
        }
        let (bytes, tail) = rest.split_at(len);
        deliveries.push((seq, bytes.to_vec()));
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(TransportError::Malformed(format!(
            "{} trailing bytes after the deliveries",
            rest.len()
        )));
    }
    Ok(deliveries)
}

/// The first `N` bytes of `rest`, which moves past them.
fn take<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N], TransportError> {
    if rest.len() < N {
        return Err(TransportError::Malformed("the list is cut short".into()));
    }
    let (head, tail) = rest.split_at(N);
    *rest = tail;
    let mut out = [0u8; N];
    out.copy_from_slice(head);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(entries: &[(u64, &[u8])]) -> Vec<u8> {
        let mut out = (entries.len() as u16).to_be_bytes().to_vec();
        for (seq, bytes) in entries {
            out.extend_from_slice(&seq.to_be_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        out
    }

    #[test]
    fn deliveries_decode_in_order() {
        let body = encode(&[(3, b"abc"), (7, b"")]);
        assert_eq!(
            decode_deliveries(&body).unwrap(),
            vec![(3, b"abc".to_vec()), (7, Vec::new())]
        );
        assert_eq!(decode_deliveries(&encode(&[])).unwrap(), vec![]);
    }

    #[test]
    fn malformed_delivery_lists_are_refused() {
        let mut trailing = encode(&[(1, b"x")]);
        trailing.push(0);
        let mut cut = encode(&[(1, b"xyz")]);
        cut.pop();
        let too_many: Vec<(u64, &[u8])> = (0..65).map(|i| (i, &b""[..])).collect();
        for body in [
            trailing,
            cut,
            encode(&[(2, b"a"), (2, b"b")]),
            encode(&[(5, b"a"), (4, b"b")]),
            encode(&too_many),
            vec![0],
            Vec::new(),
        ] {
            assert!(
                matches!(decode_deliveries(&body), Err(TransportError::Malformed(_))),
                "{body:?}"
            );
        }
    }

    #[test]
    fn bad_options_are_refused_up_front() {
        for server in ["not a url", "ftp://example.invalid"] {
            assert!(matches!(
                Transport::new(TransportOptions::new(server)),
                Err(TransportError::Config(_))
            ));
        }
        let mut options = TransportOptions::new("http://127.0.0.1:1");
        options.root_certificate_pem = Some(b"not a certificate".to_vec());
        assert!(matches!(
            Transport::new(options),
            Err(TransportError::Config(_))
        ));
    }
}
