//! The server state machine (SPEC.md section 12), sans-IO, over the in-memory store or a
//! store of the host's ([`ServerStore`]).

use crate::error::{wide, BlindpostError};
use crate::rng::{Randomness, VectorRng};
use crate::store::{Backend, Foreign, ServerStore};
use crate::wire::{Channel, ErrorCode, RequestType, ServerKeys};
use blindpost::account;
use blindpost::server::{
    self as core, DiscoveryConfig, RateLimit, ReputationConfig, ServerSecrets,
};
use blindpost::store::MemoryStore;
use blindpost::verification_code::{CodeConfig, CodePolicy};
use blindpost::wire::Response;
use blindpost::Time;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

/// The server's policy (SPEC.md 12.9). The defaults are the core's
/// (`server_config_recommended()` returns the same values).
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Digits of a verification code (4 to 10).
    #[uniffi(default = 6)]
    pub code_digits: u8,
    /// Lifetime window of a verification code (seconds, non-zero).
    #[uniffi(default = 600)]
    pub code_window_seconds: u64,
    /// Code checks, right or wrong, allowed per code session.
    #[uniffi(default = 5)]
    pub code_max_attempts: u32,
    /// Code requests (each an SMS) allowed per phone number and period.
    #[uniffi(default = 10)]
    pub code_requests_max: u64,
    /// The period of `code_requests_max` (seconds, non-zero).
    #[uniffi(default = 86400)]
    pub code_requests_period_seconds: u64,
    /// Registrations allowed per phone number and period.
    #[uniffi(default = 3)]
    pub registrations_max: u64,
    /// The period of `registrations_max` (seconds, non-zero).
    #[uniffi(default = 604800)]
    pub registrations_period_seconds: u64,
    /// How long a certificate is valid (seconds).
    #[uniffi(default = 31536000)]
    pub certificate_validity: u64,
    /// Cold-call tokens handed out at registration (at most 5).
    #[uniffi(default = 5)]
    pub registration_tokens: u64,
    /// After tokens were issued to a phone number, how long until a re-registration gets
    /// tokens again (seconds).
    #[uniffi(default = 2592000)]
    pub token_cooldown: u64,
    /// How long before its key expires an unspent cold-call token may be exchanged for one
    /// under a later key, and how long a token's state outlives its key (seconds; 0 disables).
    #[uniffi(default = 2592000)]
    pub token_migration_window: u64,
    /// The largest sealed payload accepted (bytes, at most 69632: the largest padded
    /// plaintext, 65536, plus 4096 of sealing overhead).
    #[uniffi(default = 69632)]
    pub max_sealed_len: u64,
    /// How far a reply's timestamp may be from the server's clock (seconds).
    #[uniffi(default = 300)]
    pub reply_skew: u64,
    /// Length of a discovery window (seconds).
    #[uniffi(default = 86400)]
    pub discovery_window_seconds: u64,
    /// Discovery tokens a phone number's accounts may obtain per window.
    #[uniffi(default = 20)]
    pub discovery_tokens_per_window: u64,
    /// Phone numbers one discovery token pays for.
    #[uniffi(default = 100)]
    pub discovery_batch_size: u64,
    /// Bytes the prepared group key cache may hold (0 disables the cache; each key counts
    /// about 66 KB).
    #[uniffi(default = 67108864)]
    pub prepared_key_cache_bytes: u64,
    /// Length of a reputation period (seconds, non-zero).
    #[uniffi(default = 604800)]
    pub reputation_period_seconds: u64,
    /// Reputation stamps credited per phone number and period (at most 16).
    #[uniffi(default = 2)]
    pub stamps_per_period: u64,
    /// Tokens a phone number may earn with stamps in all.
    #[uniffi(default = 15)]
    pub max_earned_tokens: u64,
    /// Length of a bulk-sender period (seconds, non-zero): a tier's allowance is per period.
    #[uniffi(default = 2592000)]
    pub bulk_period_seconds: u64,
}

fn narrow(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl From<&core::ServerConfig> for ServerConfig {
    fn from(c: &core::ServerConfig) -> Self {
        Self {
            code_digits: c.code.digits(),
            code_window_seconds: c.code.window_seconds(),
            code_max_attempts: c.code_policy.max_attempts(),
            code_requests_max: c.code_requests.max,
            code_requests_period_seconds: c.code_requests.period_seconds,
            registrations_max: c.registrations.max,
            registrations_period_seconds: c.registrations.period_seconds,
            certificate_validity: c.certificate_validity,
            registration_tokens: wide(c.registration_tokens),
            token_cooldown: c.token_cooldown,
            token_migration_window: c.token_migration_window,
            max_sealed_len: wide(c.max_sealed_len),
            reply_skew: c.reply_skew,
            discovery_window_seconds: c.discovery.window_seconds,
            discovery_tokens_per_window: c.discovery.tokens_per_window,
            discovery_batch_size: wide(c.discovery.batch_size),
            prepared_key_cache_bytes: wide(c.prepared_key_cache_bytes),
            reputation_period_seconds: c.reputation.period_seconds,
            stamps_per_period: c.reputation.stamps_per_period,
            max_earned_tokens: c.reputation.max_earned,
            bulk_period_seconds: c.reputation.bulk_period_seconds,
        }
    }
}

impl TryFrom<&ServerConfig> for core::ServerConfig {
    type Error = BlindpostError;

    fn try_from(c: &ServerConfig) -> Result<Self, BlindpostError> {
        Ok(Self {
            code: CodeConfig::new(c.code_digits, c.code_window_seconds)?,
            code_policy: CodePolicy::new(c.code_max_attempts),
            code_requests: RateLimit {
                max: c.code_requests_max,
                period_seconds: c.code_requests_period_seconds,
            },
            registrations: RateLimit {
                max: c.registrations_max,
                period_seconds: c.registrations_period_seconds,
            },
            certificate_validity: c.certificate_validity,
            registration_tokens: narrow(c.registration_tokens),
            token_cooldown: c.token_cooldown,
            token_migration_window: c.token_migration_window,
            max_sealed_len: narrow(c.max_sealed_len),
            reply_skew: c.reply_skew,
            discovery: DiscoveryConfig {
                window_seconds: c.discovery_window_seconds,
                tokens_per_window: c.discovery_tokens_per_window,
                batch_size: narrow(c.discovery_batch_size),
            },
            prepared_key_cache_bytes: narrow(c.prepared_key_cache_bytes),
            reputation: ReputationConfig {
                period_seconds: c.reputation_period_seconds,
                stamps_per_period: c.stamps_per_period,
                max_earned: c.max_earned_tokens,
                bulk_period_seconds: c.bulk_period_seconds,
            },
        })
    }
}

/// The core's recommended server configuration.
#[uniffi::export]
pub fn server_config_recommended() -> ServerConfig {
    ServerConfig::from(&core::ServerConfig::default())
}

/// Something the host must do after a request.
#[derive(uniffi::Enum, Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this verification code to this phone number by SMS.
    SendCode {
        /// The phone number, E.164.
        phone: String,
        /// The code (ASCII digits).
        code: String,
    },
    /// Queue this delivery for this account (and wake its device).
    Deliver {
        /// The recipient's 32-byte account id.
        recipient: Vec<u8>,
        /// The delivery bytes the recipient's client takes (`decode_delivery` reads them).
        delivery: Vec<u8>,
    },
}

impl From<core::Output> for Output {
    fn from(o: core::Output) -> Self {
        match o {
            core::Output::SendCode { phone, code } => Self::SendCode {
                phone: phone.as_str().to_owned(),
                code: code.as_str().to_owned(),
            },
            core::Output::Deliver {
                recipient,
                delivery,
            } => Self::Deliver {
                recipient: recipient.0.to_vec(),
                delivery: delivery.to_bytes(),
            },
        }
    }
}

/// A refusal in a response, for hosts that log or count them.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The type of the refused request.
    pub request: RequestType,
    /// The error code the response carries.
    pub code: ErrorCode,
    /// A short text for logs (never secrets).
    pub detail: String,
}

/// The result of handling one request.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The response to send back on the request's channel.
    pub response: Vec<u8>,
    /// What the host must do (empty when the request was refused).
    pub outputs: Vec<Output>,
    /// The type of request the response answers.
    pub request: RequestType,
    /// Set when the request was refused.
    pub refusal: Option<Refusal>,
}

impl From<core::Handled> for Handled {
    fn from(handled: core::Handled) -> Self {
        let refusal = match &handled.decoded {
            Response::Error {
                request,
                code,
                detail,
            } => Some(Refusal {
                request: (*request).into(),
                code: (*code).into(),
                detail: detail.clone(),
            }),
            _ => None,
        };
        Self {
            request: handled.decoded.request_type().into(),
            response: handled.response,
            outputs: handled.outputs.into_iter().map(Output::from).collect(),
            refusal,
        }
    }
}

/// One request of a batch (`Server::handle_batch`): its bytes and the channel it came on.
#[derive(uniffi::Record)]
pub struct BatchRequest {
    /// The channel the request arrived on.
    pub channel: Channel,
    /// The request's encoding.
    pub request: Vec<u8>,
}

/// The blindpost server. `handle` may run on many threads at once (the store makes each
/// operation atomic); `rotate_discovery_keys` takes the keys exclusively for its moment.
#[derive(uniffi::Object)]
pub struct Server {
    inner: RwLock<core::Server<Backend>>,
    rng: Randomness,
}

impl Server {
    fn build(
        rng: Randomness,
        config: &ServerConfig,
        issuer_name: &[u8],
        now: u64,
        store: Backend,
    ) -> Result<Arc<Self>, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let config = core::ServerConfig::try_from(config)?;
        let secrets =
            rng.run(|r| ServerSecrets::generate(r, now, issuer_name, &config.discovery))??;
        let inner = core::Server::new(config, secrets, store)?;
        Ok(Arc::new(Self {
            inner: RwLock::new(inner),
            rng,
        }))
    }

    fn restore(
        rng: Randomness,
        config: &ServerConfig,
        secrets: &[u8],
        store: Backend,
    ) -> Result<Arc<Self>, BlindpostError> {
        let config = core::ServerConfig::try_from(config)?;
        let secrets = ServerSecrets::from_bytes(secrets)?;
        let inner = core::Server::new(config, secrets, store)?;
        Ok(Arc::new(Self {
            inner: RwLock::new(inner),
            rng,
        }))
    }

    fn read(&self) -> RwLockReadGuard<'_, core::Server<Backend>> {
        // The core never panics, so the lock is never poisoned; if it were, the server inside
        // is whole (its only mutation, rotate_discovery_keys, swaps keys in one assignment).
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl Server {
    /// A server named `issuer_name` (its token issuer name, 1 to 65535 bytes) with fresh keys
    /// valid from `now` (a certificate issuer key and a cold-call token key for a year, and
    /// discovery keys for the current and the next window), over an in-memory store, drawing
    /// from the operating system's randomness. Key generation takes a few hundred milliseconds.
    #[uniffi::constructor]
    pub fn new(
        config: ServerConfig,
        issuer_name: Vec<u8>,
        now: u64,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::build(
            Randomness::Os,
            &config,
            &issuer_name,
            now,
            Box::new(MemoryStore::new()),
        )
    }

    /// Like `new`, over the host's `store`.
    #[uniffi::constructor]
    pub fn with_store(
        config: ServerConfig,
        issuer_name: Vec<u8>,
        now: u64,
        store: Arc<dyn ServerStore>,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::build(
            Randomness::Os,
            &config,
            &issuer_name,
            now,
            Box::new(Foreign(store)),
        )
    }

    /// Like `new`, drawing all randomness (keys, and every later call) from the test-vector
    /// generator `rng`: reproducible, for tests only.
    #[uniffi::constructor]
    pub fn new_with_vector_rng(
        rng: Arc<VectorRng>,
        config: ServerConfig,
        issuer_name: Vec<u8>,
        now: u64,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::build(
            Randomness::Vector(rng),
            &config,
            &issuer_name,
            now,
            Box::new(MemoryStore::new()),
        )
    }

    /// A server restarted from its persisted `secrets` (see `secrets()`) over `store`, the store
    /// it ran on before: every token and certificate it issued stays valid.
    #[uniffi::constructor]
    pub fn from_secrets(
        config: ServerConfig,
        secrets: Vec<u8>,
        store: Arc<dyn ServerStore>,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::restore(Randomness::Os, &config, &secrets, Box::new(Foreign(store)))
    }

    /// The server's secrets to persist (secret bytes: store them encrypted), for example after
    /// `rotate_discovery_keys`.
    pub fn secrets(&self) -> Result<Vec<u8>, BlindpostError> {
        Ok(self.read().secrets().to_bytes()?.to_vec())
    }

    /// Handles one request that arrived on `channel` at `now`. A refusal is not an error: it
    /// is the response (with `refusal` set). Throws only for an authenticated channel whose
    /// account is not 32 bytes, or if the OS random generator fails.
    pub fn handle(
        &self,
        now: u64,
        channel: Channel,
        request: Vec<u8>,
    ) -> Result<Handled, BlindpostError> {
        let now = Time::from_unix_secs(now);
        // An authenticated channel must name a 32-byte account id (else `Malformed`).
        let channel = account::Channel::try_from(channel)?;
        let server = self.read();
        let handled = self.rng.run(|r| server.handle(r, now, channel, &request))?;
        Ok(Handled::from(handled))
    }

    /// Handles several requests that arrived at `now` (each with its channel), in order: each
    /// gets the response `handle` would give it, one after the other, but the group
    /// signatures of replies to the same recipient are verified together, at about half the
    /// cost (SPEC.md 12.5.1). Throws as `handle` does, before handling any.
    pub fn handle_batch(
        &self,
        now: u64,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<Handled>, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let channels = requests
            .iter()
            .map(|r| account::Channel::try_from(r.channel.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let batch: Vec<core::BatchRequest<'_>> = requests
            .iter()
            .zip(channels)
            .map(|(r, channel)| core::BatchRequest {
                channel,
                request: &r.request,
            })
            .collect();
        let server = self.read();
        let handled = self.rng.run(|r| server.handle_batch(r, now, &batch))?;
        Ok(handled.into_iter().map(Handled::from).collect())
    }

    /// Removes expired state; returns how many entries were removed. Call it periodically.
    pub fn maintain(&self, now: u64) -> Result<u64, BlindpostError> {
        let now = Time::from_unix_secs(now);
        Ok(wide(self.read().maintain(now)?))
    }

    /// Makes sure discovery keys exist for the window of `now` and the next one, generating
    /// the next window's key when missing. Returns whether the keys changed. Call it at least
    /// once per discovery window.
    pub fn rotate_discovery_keys(&self, now: u64) -> Result<bool, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let mut server = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        Ok(self.rng.run(|r| server.rotate_discovery_keys(r, now))??)
    }

    /// The keys clients pin (the `fetch_keys` request returns the same).
    pub fn public_keys(&self) -> ServerKeys {
        ServerKeys::from(&self.read().public_keys())
    }

    /// The configuration in force.
    pub fn config(&self) -> ServerConfig {
        ServerConfig::from(self.read().config())
    }

    /// Installs the operator's check of bulk-sender proofs (SPEC.md 18.2); without one, bulk
    /// claims are refused with `BulkNotOffered`.
    pub fn set_bulk_check(&self, check: Arc<dyn crate::bulk::BulkSenderCheck>) {
        let mut server = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        server.set_bulk_check(Arc::new(crate::bulk::ForeignCheck(check)));
    }

    /// What the server holds about the allowance of `account`'s phone number (zeros for an
    /// unknown account).
    pub fn allowance(
        &self,
        now: u64,
        account: Vec<u8>,
    ) -> Result<crate::bulk::Allowance, BlindpostError> {
        let account = crate::wire::account_id("account", &account)?;
        Ok(self
            .read()
            .allowance(Time::from_unix_secs(now), &account)?
            .into())
    }

    /// The number of entries in the store (live or expired but not yet purged).
    pub fn store_entry_count(&self) -> Result<u64, BlindpostError> {
        crate::store::entry_count(self.read().store())
    }
}
