//! The server state machine (SPEC.md section 12): sans-IO, all state in a [`Store`].
//!
//! The host receives a request on some channel, calls [`Server::handle`] with the current time,
//! the channel and the bytes, sends back [`Handled::response`] and acts on
//! [`Handled::outputs`] (send an SMS code, queue a delivery). The server keeps no state of its
//! own between calls except caches, so any number of threads or processes may share one store.
//!
//! Every refusal is a typed [`ErrorCode`] in the response, and a refused request changes no
//! state, except that every verification code check is counted (that count is the point) and
//! a registration refused after its code session was consumed has burned that code.

mod batch;
mod discovery;
mod groups;
mod key_cache;
mod records;
mod registration;
mod reputation;
mod secrets;
mod tokens;

use crate::account::{AccountId, Channel};
use crate::bbs04::PreparedGroupKey;
use crate::certificate::PhoneNumber;
use crate::store::{Store, StoreError};
use crate::token::{Issuer, TokenKeySet};
use crate::verification_code::{CodeConfig, CodePolicy, VerificationCode};
use crate::wire::{Delivery, ErrorCode, Request, Response, ServerKeys, WireError};
use crate::Time;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use key_cache::KeyCache;
use rand_core::CryptoRng;

pub use batch::BatchRequest;
pub use discovery::DiscoveryConfig;
pub use key_cache::KeyCacheStats;
pub use registration::RateLimit;
pub use reputation::{Allowance, ReputationConfig};
pub use secrets::ServerSecrets;

/// Policy knobs of the server (defaults in SPEC.md 12.9).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Verification code length and window.
    pub code: CodeConfig,
    /// Code checks allowed per code session, right or wrong (SPEC.md 9.3).
    pub code_policy: CodePolicy,
    /// Code requests (each an SMS) allowed per phone number and period (SPEC.md 9.3).
    pub code_requests: RateLimit,
    /// Registrations allowed per phone number and period (SPEC.md 12.2).
    pub registrations: RateLimit,
    /// How long a certificate is valid (seconds).
    pub certificate_validity: u64,
    /// Cold-call tokens handed out at registration (at most 5).
    pub registration_tokens: usize,
    /// After tokens were issued to a phone number, how long until a re-registration gets
    /// tokens again (seconds).
    pub token_cooldown: u64,
    /// How long before its key expires an unspent cold-call token may be exchanged for one
    /// under a later key, and how long after that a token's state is kept so that a released
    /// token can still be renewed (seconds; 0 disables both, SPEC.md 12.4).
    pub token_migration_window: u64,
    /// The largest sealed payload accepted (bytes, at most [`crate::wire::MAX_SEALED_LEN`]).
    pub max_sealed_len: usize,
    /// How far a reply's timestamp may be from the server's clock (seconds).
    pub reply_skew: u64,
    /// Contact discovery limits.
    pub discovery: DiscoveryConfig,
    /// Limits of the reputation stamps and the bulk-sender tier (SPEC.md 18.3).
    pub reputation: ReputationConfig,
    /// Bytes the prepared group key cache may hold (std only; 0 disables it). Each key counts
    /// about 66 KB (SPEC.md 12.9.1).
    pub prepared_key_cache_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            code: CodeConfig::default(),
            code_policy: CodePolicy::default(),
            code_requests: RateLimit {
                max: 10,
                period_seconds: 24 * 3600,
            },
            registrations: RateLimit {
                max: 3,
                period_seconds: 7 * 24 * 3600,
            },
            certificate_validity: 365 * 24 * 3600,
            registration_tokens: 5,
            token_cooldown: 30 * 24 * 3600,
            token_migration_window: 30 * 24 * 3600,
            max_sealed_len: crate::wire::MAX_SEALED_LEN,
            reply_skew: 300,
            discovery: DiscoveryConfig::default(),
            reputation: ReputationConfig::default(),
            prepared_key_cache_bytes: 64 << 20,
        }
    }
}

/// Why a server could not be set up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerError {
    /// The certificate issuer's key is not in the published issuer key set.
    IssuerNotPublished,
    /// An issuer's keys are not exactly the keys of its published token key set.
    TokenKeysMismatch {
        /// The token purpose whose keys differ (`cold-call`, `discovery` or `stamp`).
        purpose: &'static str,
    },
    /// A token key is published for two purposes: a blinded request does not show its
    /// challenge, so a stamp or discovery request could then be turned into a cold-call token.
    TokenKeyShared,
    /// A discovery token key is not valid for exactly one discovery window.
    DiscoveryKeyNotOneWindow,
    /// Generating a key failed (the random generator or a key constraint).
    KeyGeneration,
    /// Persisted server secrets did not encode or decode (malformed, or a key that is not valid).
    KeyEncoding,
    /// A configuration value is out of range.
    InvalidConfig {
        /// The configuration field that is out of range.
        field: &'static str,
    },
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::IssuerNotPublished => {
                f.write_str("server: certificate issuer key is not in the published key set")
            }
            ServerError::TokenKeysMismatch { purpose } => {
                write!(
                    f,
                    "server: {purpose} issuer keys differ from the published key set"
                )
            }
            ServerError::TokenKeyShared => {
                f.write_str("server: a token key is published for two purposes")
            }
            ServerError::DiscoveryKeyNotOneWindow => {
                f.write_str("server: each discovery key must be valid for exactly one window")
            }
            ServerError::KeyGeneration => f.write_str("server: key generation failed"),
            ServerError::KeyEncoding => f.write_str("server: persisted secrets are malformed"),
            ServerError::InvalidConfig { field } => {
                write!(f, "server: invalid configuration {field}")
            }
        }
    }
}

impl core::error::Error for ServerError {}

/// Something the host must do after a request.
#[derive(Clone, Debug)]
// Exhaustive on purpose: a host must act on every output, so a new one must not compile away.
pub enum Output {
    /// Send this verification code to this phone number by SMS.
    SendCode {
        /// The phone number.
        phone: PhoneNumber,
        /// The code.
        code: VerificationCode,
    },
    /// Queue this delivery for this account (and wake its device).
    Deliver {
        /// The recipient.
        recipient: AccountId,
        /// The delivery; [`Delivery::to_bytes`] is what the recipient's client takes.
        delivery: Delivery,
    },
}

/// The result of handling one request.
#[derive(Clone, Debug)]
pub struct Handled {
    /// The response to send back on the request's channel.
    pub response: Vec<u8>,
    /// What the host must do.
    pub outputs: Vec<Output>,
    /// The decoded response, for hosts that log or inspect it.
    pub decoded: Response,
}

/// A refusal: the error code and a detail for logs.
#[derive(Clone, Debug)]
pub(crate) struct Refusal {
    pub(crate) code: ErrorCode,
    pub(crate) detail: String,
    /// The outputs stay (a replayed reply is queued again, SPEC.md 12.8); otherwise a refusal
    /// drops them.
    pub(crate) keep_outputs: bool,
}

impl Refusal {
    pub(crate) fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            keep_outputs: false,
        }
    }

    /// The same refusal, with the outputs gathered so far kept.
    pub(crate) fn keeping_outputs(mut self) -> Self {
        self.keep_outputs = true;
        self
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        // The backend's message may name keys; logs get it through the host's own error path.
        let _ = e;
        Refusal::new(ErrorCode::Internal, "storage failure")
    }
}

impl From<WireError> for Refusal {
    fn from(e: WireError) -> Self {
        Refusal::new(ErrorCode::Malformed, e.to_string())
    }
}

/// The blindpost server over a store `S`.
pub struct Server<S: Store> {
    config: ServerConfig,
    secrets: ServerSecrets,
    store: S,
    key_cache: KeyCache,
    /// The operator's check of bulk-sender proofs, if it offers the tier.
    bulk_check: Option<Arc<dyn crate::bulk::BulkSenderCheck>>,
}

impl<S: Store> fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Server<S> {
    /// A server with this policy, these keys and this store. Checks that the keys match the
    /// published key sets.
    pub fn new(
        config: ServerConfig,
        secrets: ServerSecrets,
        store: S,
    ) -> Result<Self, ServerError> {
        if config.registration_tokens > crate::wire::MAX_REGISTRATION_TOKENS {
            return Err(ServerError::InvalidConfig {
                field: "registration_tokens",
            });
        }
        if config.max_sealed_len > crate::wire::MAX_SEALED_LEN {
            return Err(ServerError::InvalidConfig {
                field: "max_sealed_len",
            });
        }
        config.discovery.validate()?;
        config.reputation.validate()?;
        config.code_requests.validate("code_requests")?;
        config.registrations.validate("registrations")?;
        let issuer_key = secrets.certificate_issuer.issuer_key();
        if secrets.certificate_issuers.get(&issuer_key.id()) != Some(issuer_key) {
            return Err(ServerError::IssuerNotPublished);
        }
        check_token_keys(
            &secrets.cold_call_issuer,
            &secrets.cold_call_keys,
            "cold-call",
        )?;
        check_token_keys(
            &secrets.discovery_issuer,
            &secrets.discovery_keys,
            "discovery",
        )?;
        check_token_keys(&secrets.stamp_issuer, &secrets.stamp_keys, "stamp")?;
        check_keys_not_shared(&[
            &secrets.cold_call_keys,
            &secrets.discovery_keys,
            &secrets.stamp_keys,
        ])?;
        discovery::check_keys(&config.discovery, &secrets.discovery_keys)?;
        Ok(Self {
            key_cache: KeyCache::new(config.prepared_key_cache_bytes),
            config,
            secrets,
            store,
            bulk_check: None,
        })
    }

    /// Replaces the discovery keys (the host installs the next windows' keys ahead of time).
    pub fn set_discovery_keys(
        &mut self,
        issuer: Issuer,
        keys: TokenKeySet,
    ) -> Result<(), ServerError> {
        check_token_keys(&issuer, &keys, "discovery")?;
        discovery::check_keys(&self.config.discovery, &keys)?;
        check_keys_not_shared(&[
            &self.secrets.cold_call_keys,
            &keys,
            &self.secrets.stamp_keys,
        ])?;
        self.secrets.discovery_issuer = issuer;
        self.secrets.discovery_keys = keys;
        Ok(())
    }

    /// Makes sure discovery keys exist for the window of `now` and the next one, generating
    /// the next window's key when it is missing. Hosts call it at least once per window (before
    /// it ends, so clients can fetch the next key ahead). Returns whether the keys changed.
    pub fn rotate_discovery_keys<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
    ) -> Result<bool, ServerError> {
        let config = &self.config.discovery;
        let window = config.window(now);
        let has = |w: u64| {
            self.secrets
                .discovery_keys
                .entries()
                .iter()
                .any(|e| e.not_before() == config.window_start(w))
        };
        if has(window) && has(window.saturating_add(1)) {
            return Ok(false);
        }
        let serial = self.secrets.discovery_keys.serial().saturating_add(1);
        let (issuer, keys) = discovery::generate_keys(
            rng,
            now,
            self.secrets.discovery_keys.issuer_name(),
            config,
            serial,
            Some((&self.secrets.discovery_issuer, &self.secrets.discovery_keys)),
        )?;
        self.set_discovery_keys(issuer, keys)?;
        Ok(true)
    }

    /// The secret keys (to persist them with [`ServerSecrets::to_bytes`], for example after
    /// [`Server::rotate_discovery_keys`]).
    pub fn secrets(&self) -> &ServerSecrets {
        &self.secrets
    }

    /// The server's policy: limits, windows and lifetimes it was started with.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The store holding all of the server's state.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to replace it with a prepared one (tests and fuzzing start from snapshots
    /// without rebuilding the server and its keys).
    #[cfg(feature = "test-util")]
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Stops the server and hands back its store (to restart it, say, with
    /// [`ServerSecrets::from_bytes`] and the same store).
    pub fn into_store(self) -> S {
        self.store
    }

    /// The keys clients pin ([`Request::FetchKeys`] returns the same).
    pub fn public_keys(&self) -> ServerKeys {
        ServerKeys {
            certificate_issuers: self.secrets.certificate_issuers.clone(),
            cold_call_tokens: self.secrets.cold_call_keys.clone(),
            discovery_tokens: self.secrets.discovery_keys.clone(),
            stamp_tokens: self.secrets.stamp_keys.clone(),
        }
    }

    /// Handles one request that arrived on `channel` at time `now`.
    pub fn handle<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        channel: Channel,
        request: &[u8],
    ) -> Handled {
        self.handle_decoded(
            rng,
            now,
            channel,
            request,
            Request::from_bytes(request),
            None,
        )
    }

    /// Handles a request already decoded from `request`; a reply whose signature was verified
    /// ahead ([`Server::handle_batch`]) comes with that verdict.
    fn handle_decoded<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        channel: Channel,
        request: &[u8],
        decoded: Result<Request, crate::wire::WireError>,
        verdict: Option<&batch::Verdict>,
    ) -> Handled {
        let mut outputs = Vec::new();
        let decoded = match decoded {
            Err(e) => {
                // The header, if readable, names the request the error answers (SPEC.md 11.3).
                let request_type = crate::wire::RequestType::of_request(request)
                    .unwrap_or(crate::wire::RequestType::FetchKeys);
                error_response(request_type, Refusal::from(e))
            }
            Ok(req) => {
                let request_type = req.request_type();
                match self.dispatch(rng, now, channel, req, verdict, &mut outputs) {
                    Ok(response) => response,
                    Err(refusal) => {
                        if !refusal.keep_outputs {
                            outputs.clear();
                        }
                        error_response(request_type, refusal)
                    }
                }
            }
        };
        Handled {
            response: decoded.to_bytes(),
            outputs,
            decoded,
        }
    }

    fn dispatch<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        channel: Channel,
        request: Request,
        verdict: Option<&batch::Verdict>,
        outputs: &mut Vec<Output>,
    ) -> Result<Response, Refusal> {
        if request.channel() != channel.kind() {
            return Err(Refusal::new(
                ErrorCode::WrongChannel,
                alloc::format!(
                    "{} must use the {} channel, not {}",
                    request.request_type().name(),
                    request.channel(),
                    channel.kind()
                ),
            ));
        }
        let account = match channel {
            Channel::Authenticated(account) => Some(account),
            _ => None,
        };
        match (request, account) {
            (Request::RequestCode { phone, session }, _) => {
                self.request_code(now, phone, session, outputs)
            }
            (Request::Register(r), _) => self.register(rng, now, r),
            (Request::ColdCall(c), _) => self.cold_call(rng, now, c, outputs),
            (Request::Reply(r), _) => self.reply(now, r, verdict, outputs),
            (Request::FetchGroupKey { account }, _) => self.fetch_group_key(now, account),
            (
                Request::RenewToken {
                    token,
                    request,
                    stamp,
                },
                _,
            ) => self.renew(rng, now, &token, &request, &stamp),
            (Request::Lookup { token, phones }, _) => self.lookup(now, &token, &phones),
            (Request::FetchKeys, _) => Ok(Response::Keys(self.public_keys())),
            (Request::Release { handle }, Some(account)) => self.release(now, account, handle),
            (Request::UploadRevocation { record, checkpoint }, Some(account)) => {
                self.upload_revocation(now, account, &record, &checkpoint)
            }
            (Request::RotateGroupKey { group_key }, Some(account)) => {
                self.rotate_group_key(now, account, group_key)
            }
            (Request::IssueDiscoveryTokens { window, requests }, Some(account)) => {
                self.issue_discovery_tokens(rng, now, account, window, &requests)
            }
            (Request::RedeemStamps { stamps, requests }, Some(account)) => {
                self.redeem_stamps(rng, now, account, &stamps, &requests)
            }
            (Request::ClaimBulkTokens { proof, requests }, Some(account)) => {
                self.claim_bulk_tokens(rng, now, account, &proof, &requests)
            }
            // The channel check above makes this unreachable: authenticated requests always
            // come with an account.
            (_, None) => Err(Refusal::new(
                ErrorCode::WrongChannel,
                "no account on the channel",
            )),
        }
    }

    /// Checks the credential of a request on the authenticated channel (SPEC.md 17.2) and
    /// returns the account it authenticates: the request is then handled on
    /// `Channel::Authenticated(account)`. `auth` is the credential's encoding, `method`, `path`
    /// and `body` those of the request it came with. Cheap checks run first (length, clock,
    /// registered account), then the signature; an accepted credential is recorded until its
    /// time leaves the skew window, so it is accepted once.
    pub fn authenticate(
        &self,
        now: Time,
        auth: &[u8],
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<AccountId, crate::host_auth::AuthError> {
        use crate::host_auth::{AuthError, RequestAuth};
        let auth = RequestAuth::from_bytes(auth)?;
        auth.check_time(now)?;
        let account = auth.account();
        if self
            .store
            .get(&records::account_key(&account), now)
            .map_err(|_| AuthError::Store)?
            .is_none()
        {
            return Err(AuthError::UnknownAccount);
        }
        auth.verify(self.public_keys_issuer_name(), method, path, body)?;
        let seen = records::seen_auth_key(&auth.replay_digest());
        if !self
            .store
            .insert_if_absent(&seen, &[], Some(auth.remember_until()), now)
            .map_err(|_| AuthError::Store)?
        {
            return Err(AuthError::Replayed);
        }
        Ok(account)
    }

    /// The server's name in credentials: the issuer name of its cold-call token keys.
    fn public_keys_issuer_name(&self) -> &[u8] {
        self.secrets.cold_call_keys.issuer_name()
    }

    /// Removes expired state (spent discovery tokens, counters, replay records). Hosts call it
    /// periodically; it is what keeps the store bounded (SPEC.md 14.4).
    pub fn maintain(&self, now: Time) -> Result<usize, StoreError> {
        self.store.purge_expired(now)
    }

    /// The prepared form of the encoded group key `bytes` of `account`, from the cache when
    /// it holds this encoding.
    fn prepared(
        &self,
        account: &AccountId,
        bytes: &[u8],
    ) -> Result<Arc<PreparedGroupKey>, Refusal> {
        self.key_cache
            .prepared(account, bytes)
            .map_err(|_| Refusal::new(ErrorCode::Internal, "stored group key corrupt"))
    }

    /// What the prepared group key cache holds and how often it had to decode and prepare a
    /// key (a miss): for hosts' metrics, and to check that refused requests prepare nothing.
    pub fn key_cache_stats(&self) -> KeyCacheStats {
        self.key_cache.stats()
    }
}

fn error_response(request: crate::wire::RequestType, refusal: Refusal) -> Response {
    // The detail is a vec8 on the wire: cut it at a character boundary within 255 bytes.
    let mut detail = refusal.detail;
    let mut end = detail.len().min(255);
    while !detail.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    detail.truncate(end);
    Response::Error {
        request,
        code: refusal.code,
        detail,
    }
}

/// No token key appears in two of `sets` (the purposes' published sets).
fn check_keys_not_shared(sets: &[&TokenKeySet]) -> Result<(), ServerError> {
    for (i, set) in sets.iter().enumerate() {
        for other in sets.iter().skip(i.saturating_add(1)) {
            let shared = set
                .entries()
                .iter()
                .any(|e| other.entry(&e.key().id()).is_some());
            if shared {
                return Err(ServerError::TokenKeyShared);
            }
        }
    }
    Ok(())
}

fn check_token_keys(
    issuer: &Issuer,
    keys: &TokenKeySet,
    purpose: &'static str,
) -> Result<(), ServerError> {
    let mut issuer_ids: Vec<_> = issuer.token_keys().map(|k| k.id()).collect();
    let mut published: Vec<_> = keys.entries().iter().map(|e| e.key().id()).collect();
    issuer_ids.sort();
    published.sort();
    if issuer_ids != published {
        return Err(ServerError::TokenKeysMismatch { purpose });
    }
    Ok(())
}
