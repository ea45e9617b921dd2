//! The client state machine (SPEC.md section 13), sans-IO: the host calls commands, feeds in
//! responses, deliveries and the time, and drains transmits, events and the next timeout.

use crate::bbs04::GroupPublicKey;
use crate::certificate::{Certificate, PhoneNumber};
use crate::error::{wide, BlindpostError};
use crate::rng::{Randomness, VectorRng};
use crate::wire::{account_id, Channel, ErrorCode, RequestType, ServerKeys};
use blindpost::certificate::{self as cert, HostKey};
use blindpost::client::{self as core, RequestId};
use blindpost::wire;
use blindpost::Time;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Knobs of the client that are not persisted (the app passes them at every start). The
/// defaults are the core's (`client_settings_recommended()` returns the same values).
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// The shortest delay between accepting a cold call and releasing its token (seconds).
    #[uniffi(default = 3600)]
    pub release_delay_min: u64,
    /// The longest delay (seconds).
    #[uniffi(default = 86400)]
    pub release_delay_max: u64,
    /// 0: the delay is uniform between the two bounds. Otherwise it is `release_delay_min`
    /// plus an exponential delay with this mean (seconds), cut at `release_delay_max`.
    #[uniffi(default = 0)]
    pub release_delay_mean: u64,
    /// The longest wait before a reply's group-key fetch leaves (seconds; uniform from 0).
    #[uniffi(default = 30)]
    pub reply_delay_max: u64,
    /// Background work (releases, renewals, key checks, discovery token issuance, and any
    /// request that waited past its time while the client was not running) leaves after an
    /// exponential delay with this mean (seconds)...
    #[uniffi(default = 3600)]
    pub background_delay_mean: u64,
    /// ...cut at this many seconds.
    #[uniffi(default = 21600)]
    pub background_delay_max: u64,
    /// How often to fetch the published keys anonymously to check the pin (seconds; each check
    /// at a uniformly random time in `[interval, 2 * interval)`).
    #[uniffi(default = 43200)]
    pub key_check_interval: u64,
    /// Discovery tokens to obtain in every window, needed or not (0: only when lookups wait,
    /// one per batch, which tells the server when and how much the user looks up).
    #[uniffi(default = 10)]
    pub discovery_tokens: u64,
    /// How often to check whether a spent token was released (seconds; the check happens at a
    /// uniformly random time in `[interval, 2 * interval)`).
    #[uniffi(default = 21600)]
    pub renewal_interval: u64,
    /// How long before its key expires an unspent cold-call token is exchanged for one under a
    /// later key (seconds; the server's `token_migration_window`, 0: never).
    #[uniffi(default = 2592000)]
    pub token_migration_window: u64,
    /// How far in the future an introduction's timestamp may be (seconds).
    #[uniffi(default = 300)]
    pub max_clock_skew: u64,
    /// The discovery window length (seconds; must match the server's).
    #[uniffi(default = 86400)]
    pub discovery_window: u64,
    /// Phone numbers per lookup batch (must match the server's).
    #[uniffi(default = 100)]
    pub discovery_batch: u64,
    /// Cold-call tokens to ask for at registration (the server's number, at most 5).
    #[uniffi(default = 5)]
    pub registration_tokens: u64,
    /// The reputation period (seconds, the server's): stamps are redeemed at a random time in
    /// the second, third or fourth period after their renewal's.
    #[uniffi(default = 604800)]
    pub reputation_period: u64,
}

impl From<&core::ClientSettings> for ClientSettings {
    fn from(s: &core::ClientSettings) -> Self {
        let (release_delay_min, release_delay_max, release_delay_mean) = bounds(s.release_delay);
        let (_, reply_delay_max, _) = bounds(s.reply_delay);
        let (_, background_delay_max, background_delay_mean) = bounds(s.background_delay);
        Self {
            release_delay_min,
            release_delay_max,
            release_delay_mean,
            reply_delay_max,
            background_delay_mean,
            background_delay_max,
            key_check_interval: s.key_check_interval,
            discovery_tokens: wide(s.discovery_tokens),
            renewal_interval: s.renewal_interval,
            token_migration_window: s.token_migration_window,
            max_clock_skew: s.max_clock_skew,
            discovery_window: s.discovery_window,
            discovery_batch: wide(s.discovery_batch),
            registration_tokens: wide(s.registration_tokens),
            reputation_period: s.reputation_period,
        }
    }
}

impl From<&ClientSettings> for core::ClientSettings {
    fn from(s: &ClientSettings) -> Self {
        Self {
            release_delay: match s.release_delay_mean {
                0 => core::Delay::Uniform {
                    min: s.release_delay_min,
                    max: s.release_delay_max,
                },
                mean => core::Delay::Exponential {
                    min: s.release_delay_min,
                    mean,
                    max: s.release_delay_max,
                },
            },
            reply_delay: core::Delay::Uniform {
                min: 0,
                max: s.reply_delay_max,
            },
            background_delay: core::Delay::Exponential {
                min: 0,
                mean: s.background_delay_mean,
                max: s.background_delay_max,
            },
            key_check_interval: s.key_check_interval,
            discovery_tokens: usize::try_from(s.discovery_tokens).unwrap_or(usize::MAX),
            renewal_interval: s.renewal_interval,
            token_migration_window: s.token_migration_window,
            max_clock_skew: s.max_clock_skew,
            discovery_window: s.discovery_window,
            // A batch larger than memory can only mean "one batch".
            discovery_batch: usize::try_from(s.discovery_batch).unwrap_or(usize::MAX),
            registration_tokens: usize::try_from(s.registration_tokens).unwrap_or(usize::MAX),
            reputation_period: s.reputation_period,
        }
    }
}

/// A delay as `(min, max, mean)`, mean 0 for a uniform one.
fn bounds(delay: core::Delay) -> (u64, u64, u64) {
    match delay {
        core::Delay::Uniform { min, max } => (min, max, 0),
        core::Delay::Exponential { min, mean, max } => (min, max, mean),
    }
}

/// The core's recommended client settings.
#[uniffi::export]
pub fn client_settings_recommended() -> ClientSettings {
    ClientSettings::from(&core::ClientSettings::default())
}

/// A request to send: on `channel`, the `bytes`; its response goes to `handle_response` with
/// `id`.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Which request this is.
    pub id: u64,
    /// The channel it must use (`Anonymous`: a fresh anonymous circuit for this request).
    pub channel: Channel,
    /// The request bytes.
    pub bytes: Vec<u8>,
}

/// One of the key sets a server publishes.
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishedKeySet {
    /// The certificate issuer keys.
    CertificateIssuers,
    /// The keys cold-call tokens are issued under.
    ColdCallTokens,
    /// The keys discovery tokens are issued under.
    DiscoveryTokens,
    /// The keys reputation stamps are issued under.
    StampTokens,
}

impl From<core::PublishedKeySet> for PublishedKeySet {
    fn from(set: core::PublishedKeySet) -> Self {
        match set {
            core::PublishedKeySet::CertificateIssuers => Self::CertificateIssuers,
            core::PublishedKeySet::ColdCallTokens => Self::ColdCallTokens,
            core::PublishedKeySet::DiscoveryTokens => Self::DiscoveryTokens,
            core::PublishedKeySet::StampTokens => Self::StampTokens,
        }
    }
}

/// Why a request failed for good.
#[derive(uniffi::Enum, Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// The server refused it.
    Server {
        /// The server's error code.
        code: ErrorCode,
    },
    /// The server's answer failed the client's checks.
    Client {
        /// What the check found.
        error: BlindpostError,
    },
}

/// Something the app should know (the core's `Event`).
#[derive(uniffi::Enum, Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server sent a verification code to the phone number.
    CodeRequested {
        /// The number, E.164.
        phone: String,
    },
    /// Registration finished: the certificate is checked and the tokens are ready.
    Registered {
        /// Our certificate.
        certificate: Certificate,
        /// Cold-call tokens received.
        tokens: u64,
    },
    /// A cold call was accepted by the server.
    ColdCallSent {
        /// Its recipient's account.
        recipient: Vec<u8>,
    },
    /// A reply was accepted by the server.
    ReplySent {
        /// Its recipient's account.
        recipient: Vec<u8>,
    },
    /// Someone introduced itself (a cold call, or the first reply to our cold call).
    IntroductionReceived {
        /// The sender's account.
        contact: Vec<u8>,
        /// The sender's proven phone number, E.164.
        phone: String,
        /// The message.
        message: Vec<u8>,
        /// The host's material.
        host_material: Vec<u8>,
        /// True for a cold call (its token is attached to us until we accept it).
        cold_call: bool,
    },
    /// A contact sent a message.
    MessageReceived {
        /// The sender's account.
        contact: Vec<u8>,
        /// The message.
        message: Vec<u8>,
        /// The host's material.
        host_material: Vec<u8>,
    },
    /// We released the token of a contact's cold call.
    TokenReleased {
        /// The contact.
        contact: Vec<u8>,
    },
    /// A token we had spent came back as a fresh one.
    TokenRenewed,
    /// Reputation stamps were redeemed: `credited` more cold-call tokens.
    StampsRedeemed {
        /// Tokens earned (0 when a cap is reached).
        credited: u64,
    },
    /// A bulk-sender claim brought cold-call tokens.
    BulkTokensGranted {
        /// Tokens granted (0 when the tier's allowance for the period is used up).
        tokens: u64,
    },
    /// A lookup finished: the checked certificates of the numbers that have accounts.
    LookupCompleted {
        /// The certificates.
        found: Vec<Certificate>,
    },
    /// A contact was blocked (and revoked, if it held a member key of our group).
    ContactBlocked {
        /// The contact.
        contact: Vec<u8>,
    },
    /// The pinned server keys were updated.
    KeysUpdated,
    /// The server showed keys that contradict the pinned ones (evidence that it shows different
    /// keys to different clients). The pin is kept; report this.
    KeysInconsistent {
        /// The published set that contradicts the pin.
        set: PublishedKeySet,
    },
    /// A request failed for good (it is no longer outstanding).
    RequestFailed {
        /// Which request.
        id: u64,
        /// Its type.
        request: RequestType,
        /// The server's error code, or the check of the client that its answer failed.
        reason: FailureReason,
    },
    /// An event added to the core after this version of the bindings, described for logs.
    Other {
        /// The core event's debug description.
        description: String,
    },
}

impl From<core::Event> for Event {
    fn from(e: core::Event) -> Self {
        use core::Event as E;
        match e {
            E::CodeRequested { phone } => Self::CodeRequested {
                phone: phone.as_str().to_owned(),
            },
            E::Registered {
                certificate,
                tokens,
            } => Self::Registered {
                certificate: Certificate::from(&certificate),
                tokens: wide(tokens),
            },
            E::ColdCallSent { recipient } => Self::ColdCallSent {
                recipient: recipient.0.to_vec(),
            },
            E::ReplySent { recipient } => Self::ReplySent {
                recipient: recipient.0.to_vec(),
            },
            E::IntroductionReceived {
                contact,
                phone,
                message,
                host_material,
                cold_call,
            } => Self::IntroductionReceived {
                contact: contact.0.to_vec(),
                phone: phone.as_str().to_owned(),
                message,
                host_material,
                cold_call,
            },
            E::MessageReceived {
                contact,
                message,
                host_material,
            } => Self::MessageReceived {
                contact: contact.0.to_vec(),
                message,
                host_material,
            },
            E::TokenReleased { contact } => Self::TokenReleased {
                contact: contact.0.to_vec(),
            },
            E::TokenRenewed => Self::TokenRenewed,
            E::StampsRedeemed { credited } => Self::StampsRedeemed {
                credited: wide(credited),
            },
            E::BulkTokensGranted { tokens } => Self::BulkTokensGranted {
                tokens: wide(tokens),
            },
            E::LookupCompleted { found } => Self::LookupCompleted {
                found: found.iter().map(Certificate::from).collect(),
            },
            E::ContactBlocked { contact } => Self::ContactBlocked {
                contact: contact.0.to_vec(),
            },
            E::KeysUpdated => Self::KeysUpdated,
            E::KeysInconsistent { set } => Self::KeysInconsistent { set: set.into() },
            E::RequestFailed {
                id,
                request,
                reason,
            } => Self::RequestFailed {
                id: id.0,
                request: request.into(),
                reason: match reason {
                    core::FailureReason::Server(code) => {
                        FailureReason::Server { code: code.into() }
                    }
                    core::FailureReason::Client(error) => FailureReason::Client {
                        error: error.into(),
                    },
                },
            },
            other => Self::Other {
                description: format!("{other:?}"),
            },
        }
    }
}

/// What the client knows about a contact.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct ContactInfo {
    /// The contact's account.
    pub account: Vec<u8>,
    /// Its certificate.
    pub certificate: Certificate,
    /// We can reply to it (it gave us a member key of its group).
    pub can_reply: bool,
    /// We gave it a member key of our group.
    pub introduced: bool,
    /// Its cold call's token is still attached to us.
    pub unreleased: bool,
    /// It is blocked.
    pub blocked: bool,
}

/// How many cold-call tokens are in each state.
#[derive(uniffi::Record, Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCounts {
    /// Ready to use.
    pub available: u64,
    /// Offered in a cold call that is not acknowledged yet.
    pub in_flight: u64,
    /// Attached to a recipient, waiting for release.
    pub attached: u64,
    /// Being exchanged for a fresh token.
    pub renewing: u64,
    /// All of them.
    pub total: u64,
}

/// The blindpost client (one account). Every method locks the state, so the object may be
/// shared between threads; calls are applied one at a time.
///
/// Persistence (SPEC.md 13.2): after every call, make the events durable, then store
/// `to_bytes()`, then send the transmits. A client restored with `from_bytes` resends every
/// request that had no response.
#[derive(uniffi::Object)]
pub struct Client {
    inner: Mutex<core::Client>,
    rng: Randomness,
}

impl Client {
    fn wrap(inner: core::Client, rng: Randomness) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(inner),
            rng,
        })
    }

    fn lock(&self) -> MutexGuard<'_, core::Client> {
        // The core never panics (its lints forbid every panicking construct), so the lock is
        // never poisoned; if it were, the client inside is still a consistent state because
        // every core call either completes or changes nothing.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn build(
        rng: Randomness,
        server_keys: &ServerKeys,
        settings: &ClientSettings,
    ) -> Result<Arc<Self>, BlindpostError> {
        let keys = wire::ServerKeys::try_from(server_keys)?;
        let settings = core::ClientSettings::from(settings);
        let inner = rng.run(|r| core::Client::new(r, keys, settings))?;
        Ok(Self::wrap(inner, rng))
    }

    fn restore(
        rng: Randomness,
        bytes: &[u8],
        settings: &ClientSettings,
    ) -> Result<Arc<Self>, BlindpostError> {
        let inner = core::Client::from_bytes(bytes, core::ClientSettings::from(settings))?;
        Ok(Self::wrap(inner, rng))
    }
}

fn account(
    field: &'static str,
    bytes: &[u8],
) -> Result<blindpost::account::AccountId, BlindpostError> {
    account_id(field, bytes)
}

#[uniffi::export]
impl Client {
    /// A new, unregistered client pinning the server's keys: generates the identity key and
    /// the group from the operating system's randomness (and uses it for every later call).
    #[uniffi::constructor]
    pub fn new(
        server_keys: ServerKeys,
        settings: ClientSettings,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::build(Randomness::Os, &server_keys, &settings)
    }

    /// A new client that draws all its randomness, now and in every later call, from the
    /// test-vector generator `rng`: reproducible, for tests only.
    #[uniffi::constructor]
    pub fn new_with_vector_rng(
        rng: Arc<VectorRng>,
        server_keys: ServerKeys,
        settings: ClientSettings,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::build(Randomness::Vector(rng), &server_keys, &settings)
    }

    /// Restores a client from `to_bytes()`.
    #[uniffi::constructor]
    pub fn from_bytes(
        bytes: Vec<u8>,
        settings: ClientSettings,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::restore(Randomness::Os, &bytes, &settings)
    }

    /// Restores a client that draws from the test-vector generator `rng` (tests only).
    #[uniffi::constructor]
    pub fn from_bytes_with_vector_rng(
        rng: Arc<VectorRng>,
        bytes: Vec<u8>,
        settings: ClientSettings,
    ) -> Result<Arc<Self>, BlindpostError> {
        Self::restore(Randomness::Vector(rng), &bytes, &settings)
    }

    /// The state to persist (secret: it holds the identity and group keys); refused if a list
    /// is over its limit (`TooLarge`), never written cut.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BlindpostError> {
        Ok(self.lock().to_bytes()?.to_vec())
    }

    // ----- queries -----

    /// Our 32-byte account id.
    pub fn account(&self) -> Vec<u8> {
        self.lock().account().0.to_vec()
    }

    /// Our certificate, once registered.
    pub fn certificate(&self) -> Option<Certificate> {
        self.lock().certificate().map(Certificate::from)
    }

    /// Our group's current public key.
    pub fn group_key(&self) -> Arc<GroupPublicKey> {
        Arc::new(GroupPublicKey {
            inner: self.lock().group_key().clone(),
        })
    }

    /// The pinned server keys.
    pub fn server_keys(&self) -> ServerKeys {
        ServerKeys::from(self.lock().server_keys())
    }

    /// Our contacts.
    pub fn contacts(&self) -> Vec<ContactInfo> {
        self.lock()
            .contacts()
            .into_iter()
            .map(|c| ContactInfo {
                account: c.account.0.to_vec(),
                certificate: Certificate::from(&c.certificate),
                can_reply: c.can_reply,
                introduced: c.introduced,
                unreleased: c.unreleased,
                blocked: c.blocked,
            })
            .collect()
    }

    /// How many cold-call tokens are in each state.
    pub fn token_counts(&self) -> TokenCounts {
        let c = self.lock().token_counts();
        TokenCounts {
            available: wide(c.available),
            in_flight: wide(c.in_flight),
            attached: wide(c.attached),
            renewing: wide(c.renewing),
            total: wide(c.total()),
        }
    }

    /// Unused discovery tokens for discovery window `window`.
    pub fn discovery_tokens(&self, window: u64) -> u64 {
        wide(self.lock().discovery_tokens(window))
    }

    /// How many requests are waiting for a response.
    pub fn outstanding(&self) -> u64 {
        wide(self.lock().outstanding())
    }

    // ----- commands -----

    /// Asks the server to send a verification code to `phone` (under the client's secret code
    /// session for the number, drawn now if it has none). Returns the request id.
    pub fn request_code(&self, now: u64, phone: &PhoneNumber) -> Result<u64, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let mut client = self.lock();
        let id = self
            .rng
            .run(|r| client.request_code(r, now, phone.inner.clone()))?;
        Ok(id.0)
    }

    /// Registers `phone` with the `code` received by SMS (and the host's own identity key, if
    /// any: 1 to 64 bytes). Returns the request id.
    pub fn register(
        &self,
        now: u64,
        phone: &PhoneNumber,
        code: String,
        host_key: Option<Vec<u8>>,
    ) -> Result<u64, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let host_key = host_key.as_deref().map(HostKey::new).transpose()?;
        let mut client = self.lock();
        let id = self
            .rng
            .run(|r| client.register(r, now, phone.inner.clone(), &code, host_key))??;
        Ok(id.0)
    }

    /// Writes the introduction for a cold call to the account of `recipient_certificate` (from
    /// a lookup): returns the plaintext payload for the host to seal to the recipient.
    pub fn compose_introduction(
        &self,
        now: u64,
        recipient_certificate: Vec<u8>,
        message: Vec<u8>,
        host_material: Vec<u8>,
    ) -> Result<Vec<u8>, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let recipient = cert::Certificate::from_bytes(&recipient_certificate)?;
        let mut client = self.lock();
        Ok(self
            .rng
            .run(|r| client.compose_introduction(r, now, &recipient, &message, &host_material))??)
    }

    /// Sends a cold call carrying the sealed introduction to `recipient` (32-byte account),
    /// paying with one token. Returns the request id.
    pub fn send_cold_call(
        &self,
        now: u64,
        recipient: Vec<u8>,
        sealed: Vec<u8>,
    ) -> Result<u64, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let recipient = account("recipient", &recipient)?;
        Ok(self.lock().send_cold_call(now, recipient, &sealed)?.0)
    }

    /// Writes a message to `contact`: returns the plaintext payload for the host to seal (the
    /// first message to a contact that introduced itself carries our own introduction).
    pub fn compose_reply(
        &self,
        now: u64,
        contact: Vec<u8>,
        message: Vec<u8>,
        host_material: Vec<u8>,
    ) -> Result<Vec<u8>, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let contact = account("contact", &contact)?;
        let mut client = self.lock();
        Ok(self
            .rng
            .run(|r| client.compose_reply(r, now, contact, &message, &host_material))??)
    }

    /// Sends a sealed message to `contact` under a group signature; first fetches the
    /// contact's current group key, after a short random delay. Returns the id of that first
    /// request.
    pub fn send_reply(
        &self,
        now: u64,
        contact: Vec<u8>,
        sealed: Vec<u8>,
    ) -> Result<u64, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let contact = account("contact", &contact)?;
        let mut client = self.lock();
        Ok(self
            .rng
            .run(|r| client.send_reply(r, now, contact, &sealed))??
            .0)
    }

    /// Reputation stamps held, not redeemed yet (SPEC.md 18.1): the client redeems each on its
    /// own, two to four reputation periods after the renewal that earned it.
    pub fn stamps(&self) -> u64 {
        wide(self.lock().stamps())
    }

    /// Claims up to `count` (1 to 64) cold-call tokens of a bulk-sender tier with the encoded
    /// `proof` (`bulk_proof_encode`), over the authenticated channel, at once. The answer comes
    /// as a `BulkTokensGranted` event. Returns the request id.
    pub fn claim_bulk_tokens(
        &self,
        now: u64,
        proof: Vec<u8>,
        count: u64,
    ) -> Result<u64, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let proof = blindpost::bulk::BulkProof::from_bytes(&proof)?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let mut client = self.lock();
        Ok(self
            .rng
            .run(|r| client.claim_bulk_tokens(r, now, proof, count))??
            .0)
    }

    /// Accepts `contact`'s cold call without replying: its token is released later.
    pub fn accept(&self, now: u64, contact: Vec<u8>) -> Result<(), BlindpostError> {
        let now = Time::from_unix_secs(now);
        let contact = account("contact", &contact)?;
        let mut client = self.lock();
        Ok(self.rng.run(|r| client.accept(r, now, contact))??)
    }

    /// Blocks `contact`: its token is never released and, if it holds a member key of our
    /// group, that key is revoked. Returns the id of the revocation upload, if any.
    pub fn block(&self, now: u64, contact: Vec<u8>) -> Result<Option<u64>, BlindpostError> {
        let now = Time::from_unix_secs(now);
        let contact = account("contact", &contact)?;
        let mut client = self.lock();
        Ok(self
            .rng
            .run(|r| client.block(r, now, contact))??
            .map(|id| id.0))
    }

    /// Looks up which of `phones` have accounts (one discovery token per batch). Each batch
    /// leaves at its own random time in the rest of the discovery window; the answers come as
    /// `LookupCompleted` events.
    pub fn lookup(&self, now: u64, phones: Vec<Arc<PhoneNumber>>) -> Result<(), BlindpostError> {
        let now = Time::from_unix_secs(now);
        let phones = phones.iter().map(|p| p.inner.clone()).collect();
        let mut client = self.lock();
        Ok(self.rng.run(|r| client.lookup(r, now, phones))??)
    }

    /// Asks the server for its current keys at once. Returns the request id.
    pub fn refresh_keys(&self, now: u64) -> u64 {
        self.lock().refresh_keys(Time::from_unix_secs(now)).0
    }

    // ----- inputs -----

    /// The server's response to request `id`. Throws (and changes nothing) for a response it
    /// cannot use; a usable response whose content fails the client's checks ends the request
    /// with a `RequestFailed` event instead.
    pub fn handle_response(
        &self,
        now: u64,
        id: u64,
        response: Vec<u8>,
    ) -> Result<(), BlindpostError> {
        let now = Time::from_unix_secs(now);
        let mut client = self.lock();
        Ok(self
            .rng
            .run(|r| client.handle_response(r, now, RequestId(id), &response))??)
    }

    /// A delivery arrived: its bytes as the server queued them, and its sealed payload as the
    /// host opened it. Throws (and changes nothing) if it fails any check.
    pub fn handle_delivery(
        &self,
        now: u64,
        delivery: Vec<u8>,
        opened: Vec<u8>,
    ) -> Result<(), BlindpostError> {
        let now = Time::from_unix_secs(now);
        Ok(self.lock().handle_delivery(now, &delivery, &opened)?)
    }

    /// The transport could not deliver request `id`: it will be handed out again.
    pub fn handle_send_failure(&self, id: u64) -> Result<(), BlindpostError> {
        Ok(self.lock().handle_send_failure(RequestId(id))?)
    }

    /// Time has passed: gives requests that waited past their time while the client was not
    /// running a fresh random time, and queues due background work. Call it whenever `now`
    /// reaches `poll_timeout()`, before draining `poll_transmit(now)`.
    pub fn handle_timeout(&self, now: u64) -> Result<(), BlindpostError> {
        let now = Time::from_unix_secs(now);
        let mut client = self.lock();
        self.rng.run(|r| client.handle_timeout(r, now))
    }

    // ----- outputs -----

    /// The next request to send, if one is due at `now` (Unix seconds). Requests whose time
    /// has not come stay queued: `poll_timeout()` says when to ask again.
    pub fn poll_transmit(&self, now: u64) -> Option<Transmit> {
        let now = Time::from_unix_secs(now);
        self.lock().poll_transmit(now).map(|t| Transmit {
            id: t.id.0,
            channel: t.channel.into(),
            bytes: t.bytes,
        })
    }

    /// The next event for the app, if any.
    pub fn poll_event(&self) -> Option<Event> {
        self.lock().poll_event().map(Event::from)
    }

    /// When to call `handle_timeout` and then `poll_transmit` next (Unix seconds): the
    /// earliest timer or request time, if anything is scheduled.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.lock().poll_timeout().map(Time::unix_secs)
    }
}
