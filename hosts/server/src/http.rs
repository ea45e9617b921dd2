//! The HTTP endpoints (SPEC.md 17.1) and their status codes (SPEC.md 17.3).

use crate::queue::{self, QueueError};
use crate::{now, read_server, App};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use blindpost::account::{AccountId, Channel};
use blindpost::server::{Handled, Output};
use blindpost::wire::{RequestType, Response as WireResponse};
use std::sync::Arc;
use std::time::Instant;

/// Path of the authenticated endpoint (signed into its credential).
pub(crate) const AUTHENTICATED_PATH: &str = "/v1/authenticated";
/// Path of the delivery fetch (signed into its credential).
pub(crate) const DELIVERIES_PATH: &str = "/v1/deliveries";
/// Path of the delivery acknowledgement (signed into its credential).
pub(crate) const ACK_PATH: &str = "/v1/deliveries/ack";

#[derive(Clone)]
struct Shared {
    app: Arc<App>,
    body_limit: usize,
}

pub(crate) fn router(app: Arc<App>, body_limit: usize) -> Router {
    Router::new()
        .route("/v1/direct", post(direct))
        .route("/v1/anonymous", post(anonymous))
        .route(AUTHENTICATED_PATH, post(authenticated))
        .route(DELIVERIES_PATH, get(deliveries))
        .route(ACK_PATH, post(ack))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(Shared { app, body_limit })
}

/// A failed request: its status, body and (for the log and metrics) outcome label.
struct Failure {
    status: StatusCode,
    message: &'static str,
    outcome: &'static str,
}

impl Failure {
    fn new(status: StatusCode, message: &'static str, outcome: &'static str) -> Self {
        Self {
            status,
            message,
            outcome,
        }
    }

    fn into_response(self) -> Response {
        let mut response = (self.status, self.message).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Blindpost"),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

fn internal() -> Failure {
    Failure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
        "internal",
    )
}

fn store_unavailable() -> Failure {
    Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "store unavailable",
        "store_unavailable",
    )
}

/// Reads the whole body unless it is over the limit: a declared length over the limit is
/// refused before a byte is read, an undeclared one as soon as it passes the limit.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Failure> {
    let too_large = || Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "body too large", "too_large");
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

/// Logs and counts a finished request: endpoint, request type, status and latency only.
fn finish(
    app: &App,
    endpoint: &'static str,
    request_type: &'static str,
    outcome: &str,
    status: StatusCode,
    started: Instant,
) {
    let latency = started.elapsed();
    app.metrics
        .request(endpoint, request_type, outcome, latency);
    tracing::info!(
        endpoint,
        request_type,
        status = status.as_u16(),
        latency_us = latency.as_micros() as u64,
        "request"
    );
}

/// Hands the outputs of a handled request to the SMS sender and the delivery queue. Every
/// delivery is queued before the response goes out (SPEC.md 17.4).
fn act(app: &App, now: blindpost::Time, handled: &Handled) -> Result<(), Failure> {
    for output in &handled.outputs {
        match output {
            Output::SendCode { phone, code } => {
                if let Err(e) = app.sms.send(phone, code) {
                    tracing::error!(error = %e, "SMS sender failed");
                    return Err(internal());
                }
            }
            Output::Deliver {
                recipient,
                delivery,
            } => match app.queue.enqueue(now, recipient, &delivery.to_bytes()) {
                Ok(_) => app.metrics.queue(1, 0, 0),
                Err(QueueError::Full) => {
                    return Err(Failure::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "recipient's delivery queue is full",
                        "queue_full",
                    ))
                }
                Err(e) => {
                    tracing::error!(error = %e, "enqueue failed");
                    return Err(store_unavailable());
                }
            },
        }
    }
    Ok(())
}

fn outcome_of(handled: &Handled) -> &'static str {
    match &handled.decoded {
        WireResponse::Error { code, .. } => code.name(),
        _ => "ok",
    }
}

fn request_type_of(body: &[u8]) -> &'static str {
    RequestType::of_request(body).map_or("malformed", RequestType::name)
}

fn protocol_response(bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    )
        .into_response()
}

/// Runs `f` on a blocking thread; a panic there becomes a 500.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| Err(internal()))
}

async fn direct(State(s): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    unauthenticated(s, "direct", Channel::Direct, headers, body).await
}

async fn anonymous(State(s): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    unauthenticated(s, "anonymous", Channel::Anonymous, headers, body).await
}

/// The direct and anonymous endpoints: nothing about the sender is read or logged.
async fn unauthenticated(
    s: Shared,
    endpoint: &'static str,
    channel: Channel,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let body = match read_body(&headers, body, s.body_limit).await {
        Ok(body) => body,
        Err(f) => return fail(&s.app, endpoint, "unread", f, started),
    };
    let request_type = request_type_of(&body);
    let app = s.app.clone();
    let result = blocking(move || {
        let now = now();
        let handled = read_server(&app).handle(&mut rand::rng(), now, channel, &body);
        act(&app, now, &handled)?;
        Ok(handled)
    })
    .await;
    respond(&s.app, endpoint, request_type, result, started)
}

fn respond(
    app: &App,
    endpoint: &'static str,
    request_type: &'static str,
    result: Result<Handled, Failure>,
    started: Instant,
) -> Response {
    match result {
        Ok(handled) => {
            finish(
                app,
                endpoint,
                request_type,
                outcome_of(&handled),
                StatusCode::OK,
                started,
            );
            protocol_response(handled.response)
        }
        Err(f) => fail(app, endpoint, request_type, f, started),
    }
}

fn fail(
    app: &App,
    endpoint: &'static str,
    request_type: &'static str,
    failure: Failure,
    started: Instant,
) -> Response {
    finish(
        app,
        endpoint,
        request_type,
        failure.outcome,
        failure.status,
        started,
    );
    failure.into_response()
}

/// The credential bytes of an `Authorization: Blindpost <hex>` header.
fn credential(headers: &HeaderMap) -> Result<Vec<u8>, Failure> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "missing credential",
            "auth_missing",
        ));
    };
    let bad = || {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed credential",
            "auth_malformed",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    let hex_part = value.strip_prefix("Blindpost ").ok_or_else(bad)?;
    if hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    hex::decode(hex_part).map_err(|_| bad())
}

/// Checks the request's credential (SPEC.md 17.2); the account it proves, or the refusal.
fn authenticate(
    app: &App,
    now: blindpost::Time,
    credential: &[u8],
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<AccountId, Failure> {
    use interim_auth::AuthError;
    match interim_auth::authenticate(&read_server(app), now, credential, method, path, body) {
        Ok(account) => Ok(account),
        Err(e) => {
            let (reason, failure) = match e {
                AuthError::Malformed => (
                    "malformed",
                    Failure::new(
                        StatusCode::BAD_REQUEST,
                        "malformed credential",
                        "auth_malformed",
                    ),
                ),
                AuthError::ClockSkew => (
                    "clock_skew",
                    Failure::new(StatusCode::UNAUTHORIZED, "clock skew", "auth_clock_skew"),
                ),
                AuthError::UnknownAccount => (
                    "unknown_account",
                    Failure::new(
                        StatusCode::UNAUTHORIZED,
                        "unknown account",
                        "auth_unknown_account",
                    ),
                ),
                AuthError::BadSignature => (
                    "bad_signature",
                    Failure::new(
                        StatusCode::UNAUTHORIZED,
                        "bad signature",
                        "auth_bad_signature",
                    ),
                ),
                AuthError::Replayed => (
                    "replayed",
                    Failure::new(StatusCode::CONFLICT, "credential replayed", "auth_replayed"),
                ),
                AuthError::Store(_) => ("store", store_unavailable()),
            };
            app.metrics.auth_refused(reason);
            Err(failure)
        }
    }
}

/// Reads the body and the credential of an authenticated request; refusals are already
/// counted by the caller's `fail`.
async fn authenticated_parts(
    s: &Shared,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Vec<u8>, Bytes), Failure> {
    let body = read_body(headers, body, s.body_limit).await?;
    let credential = credential(headers).inspect_err(|f| {
        if f.status == StatusCode::UNAUTHORIZED {
            s.app.metrics.auth_refused("missing");
        } else {
            s.app.metrics.auth_refused("malformed");
        }
    })?;
    Ok((credential, body))
}

async fn authenticated(State(s): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let endpoint = "authenticated";
    let (credential, body) = match authenticated_parts(&s, &headers, body).await {
        Ok(parts) => parts,
        Err(f) => return fail(&s.app, endpoint, "unread", f, started),
    };
    let request_type = request_type_of(&body);
    let app = s.app.clone();
    let result = blocking(move || {
        let now = now();
        let account = authenticate(&app, now, &credential, "POST", AUTHENTICATED_PATH, &body)?;
        let handled = read_server(&app).handle(
            &mut rand::rng(),
            now,
            Channel::Authenticated(account),
            &body,
        );
        act(&app, now, &handled)?;
        Ok(handled)
    })
    .await;
    respond(&s.app, endpoint, request_type, result, started)
}

async fn deliveries(State(s): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let endpoint = "deliveries";
    let (credential, body) = match authenticated_parts(&s, &headers, body).await {
        Ok(parts) => parts,
        Err(f) => return fail(&s.app, endpoint, "fetch", f, started),
    };
    let app = s.app.clone();
    let result = blocking(move || {
        let now = now();
        let account = authenticate(&app, now, &credential, "GET", DELIVERIES_PATH, &body)?;
        let fetched = app
            .queue
            .fetch(now, &account, queue::MAX_FETCH_ENTRIES)
            .map_err(|e| {
                tracing::error!(error = %e, "fetch failed");
                store_unavailable()
            })?;
        app.metrics.queue(0, fetched.len() as u64, 0);
        Ok(queue::encode_fetched(&fetched))
    })
    .await;
    match result {
        Ok(bytes) => {
            finish(&s.app, endpoint, "fetch", "ok", StatusCode::OK, started);
            protocol_response(bytes)
        }
        Err(f) => fail(&s.app, endpoint, "fetch", f, started),
    }
}

async fn ack(State(s): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let endpoint = "ack";
    let (credential, body) = match authenticated_parts(&s, &headers, body).await {
        Ok(parts) => parts,
        Err(f) => return fail(&s.app, endpoint, "ack", f, started),
    };
    let app = s.app.clone();
    let result = blocking(move || {
        let now = now();
        let account = authenticate(&app, now, &credential, "POST", ACK_PATH, &body)?;
        let up_to: [u8; 8] = body[..]
            .try_into()
            .map_err(|_| Failure::new(StatusCode::BAD_REQUEST, "ack body is a u64", "bad_ack"))?;
        let acked = app
            .queue
            .ack(now, &account, u64::from_be_bytes(up_to))
            .map_err(|e| {
                tracing::error!(error = %e, "ack failed");
                store_unavailable()
            })?;
        app.metrics.queue(0, 0, acked);
        Ok(())
    })
    .await;
    match result {
        Ok(()) => {
            finish(
                &s.app,
                endpoint,
                "ack",
                "ok",
                StatusCode::NO_CONTENT,
                started,
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(f) => fail(&s.app, endpoint, "ack", f, started),
    }
}

async fn health(State(s): State<Shared>) -> Response {
    let app = s.app.clone();
    let ok = tokio::task::spawn_blocking(move || {
        read_server(&app).store().get(b"host/health", now()).is_ok()
    })
    .await
    .unwrap_or(false);
    if ok {
        (StatusCode::OK, "ok").into_response()
    } else {
        store_unavailable().into_response()
    }
}

async fn metrics(State(s): State<Shared>) -> Response {
    let stats = read_server(&s.app).key_cache_stats();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.app.metrics.render(stats),
    )
        .into_response()
}

/// Stands in for `blindpost::host_auth` (SPEC.md 17.2) until the core's version is merged:
/// the same error type, and no credential is accepted.
mod interim_auth {
    use blindpost::account::AccountId;
    use blindpost::server::Server;
    use blindpost::store::{Store, StoreError};

    /// Why a credential was refused.
    #[allow(dead_code)]
    pub(crate) enum AuthError {
        Malformed,
        ClockSkew,
        UnknownAccount,
        BadSignature,
        Replayed,
        Store(StoreError),
    }

    pub(crate) fn authenticate<S: Store>(
        _server: &Server<S>,
        _now: blindpost::Time,
        credential: &[u8],
        _method: &str,
        _path: &str,
        _body: &[u8],
    ) -> Result<AccountId, AuthError> {
        if credential.len() != 168 {
            return Err(AuthError::Malformed);
        }
        Err(AuthError::BadSignature)
    }
}
