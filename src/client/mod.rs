//! The client state machine (SPEC.md section 13): sans-IO.
//!
//! The app calls commands (`register`, `compose_introduction` + `send_cold_call`,
//! `compose_reply` + `send_reply`, `accept`, `block`, `lookup`); the host feeds in what arrives
//! (`handle_response`, `handle_delivery`, `handle_send_failure`) and the time
//! (`handle_timeout`), and drains what comes out: [`Client::poll_transmit`] (requests, each with
//! the channel it must use), [`Client::poll_event`] (for the app) and [`Client::poll_timeout`]
//! (when to call `handle_timeout` next). Sealing and opening payloads end to end is the host's:
//! `compose_*` returns the plaintext [`Payload`] bytes to seal, and
//! `send_*` takes the sealed bytes.
//!
//! Persistence (SPEC.md 13.2): after every call, the host makes the events durable, then stores
//! [`Client::to_bytes`], then sends the transmits. A client restored from the last stored bytes
//! resends every request that had no response, and the server answers resends idempotently,
//! so a crash at any point loses no token and delivers nothing twice.

mod contacts;
mod delay;
mod deliveries;
mod outbox;
mod responses;
mod state;
#[cfg(any(test, feature = "test-util"))]
mod synthetic;
mod wallet;

use crate::account::{AccountId, Channel};
use crate::bbs04::{
    self, Checkpoint, GroupManagerKey, GroupPublicKey, MemberKey, PreparedGroupKey,
};
use crate::bls::SecretKey;
use crate::certificate::{Certificate, CertificateError, HostKey, PhoneNumber};
use crate::token::{Error as TokenError, PendingToken, Token, TokenChallenge};
use crate::wire::{
    reply_context, reply_timestamp, ColdCallRequest, ErrorCode, IntroductionContent,
    IntroductionError, Payload, RegisterRequest, ReplyRequest, Request, RequestType, ServerKeys,
    WireError,
};
use crate::Time;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use contacts::{Contacts, Membership};
use core::fmt;
use outbox::Outbox;
use rand_core::CryptoRng;
use state::{Purpose, State};
use wallet::Wallet;
use zeroize::Zeroizing;

pub use delay::Delay;
pub use outbox::OVERDUE_GRACE;
pub use state::{StateError, MAX_STATE_LIST};

/// How long before its window ends a discovery token issuance leaves at the latest (seconds),
/// so that it reaches the server within the window it names.
const ISSUANCE_MARGIN: u64 = 300;

/// Renewal checks back off by doubling at most this many times (6 h becomes 16 days).
const MAX_BACKOFF_DOUBLINGS: u32 = 6;

/// The host's handle on one outstanding request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// A request to send: on `channel`, the `bytes`; its response goes to
/// [`Client::handle_response`] with `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Which request this is.
    pub id: RequestId,
    /// The channel it must use. `Anonymous` means a fresh anonymous circuit for this request.
    pub channel: Channel,
    /// The request bytes.
    pub bytes: Vec<u8>,
}

/// Something the app should know.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server sent a verification code to the phone number (by SMS, through its host).
    CodeRequested {
        /// The number.
        phone: PhoneNumber,
    },
    /// Registration finished: the certificate is checked and the tokens are ready.
    Registered {
        /// Our certificate.
        certificate: Certificate,
        /// Cold-call tokens received.
        tokens: usize,
    },
    /// A cold call was accepted by the server.
    ColdCallSent {
        /// Its recipient.
        recipient: AccountId,
    },
    /// A reply was accepted by the server.
    ReplySent {
        /// Its recipient.
        recipient: AccountId,
    },
    /// Someone introduced itself to us (a cold call, or the first reply to our cold call).
    IntroductionReceived {
        /// The sender's account.
        contact: AccountId,
        /// The sender's proven phone number.
        phone: PhoneNumber,
        /// The message.
        message: Vec<u8>,
        /// The host's material (e.g. ratchet keys).
        host_material: Vec<u8>,
        /// True for a cold call (its token is attached to us until we accept it).
        cold_call: bool,
    },
    /// A contact sent a message.
    MessageReceived {
        /// The sender's account (found by opening its group signature).
        contact: AccountId,
        /// The message.
        message: Vec<u8>,
        /// The host's material.
        host_material: Vec<u8>,
    },
    /// We released the token of a contact's cold call.
    TokenReleased {
        /// The contact.
        contact: AccountId,
    },
    /// A token we had spent came back as a fresh one.
    TokenRenewed,
    /// Reputation stamps were redeemed: `credited` more cold-call tokens (SPEC.md 18.1).
    StampsRedeemed {
        /// Tokens earned (0 when this period's or the total cap is reached).
        credited: usize,
    },
    /// A bulk-sender claim brought cold-call tokens (SPEC.md 18.2).
    BulkTokensGranted {
        /// Tokens granted (0 when the tier's allowance for the period is used up).
        tokens: usize,
    },
    /// A lookup finished: the certificates of the numbers that have accounts.
    LookupCompleted {
        /// Checked certificates.
        found: Vec<Certificate>,
    },
    /// A contact was blocked (and revoked, if it held a member key of our group).
    ContactBlocked {
        /// The contact.
        contact: AccountId,
    },
    /// The pinned server keys were updated.
    KeysUpdated,
    /// The server showed keys that contradict the pinned ones (SPEC.md 6.5 rules 3 and 4): the
    /// same serial with other keys, an older serial, or a pinned key missing before its
    /// expiry. It is evidence that the server shows different keys to different clients, which
    /// would let it tell their tokens apart. The pin is kept; the host should report this.
    KeysInconsistent {
        /// The published set that contradicts the pin.
        set: PublishedKeySet,
    },
    /// A request failed for good (it is no longer outstanding).
    RequestFailed {
        /// The id the request had in its transmit.
        id: RequestId,
        /// The request's type.
        request: RequestType,
        /// The server's refusal, or the check of its answer that failed.
        reason: FailureReason,
    },
}

/// One of the key sets a server publishes (SPEC.md 12.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// Why a request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureReason {
    /// The server refused it.
    Server(ErrorCode),
    /// The server's answer failed the client's checks (for example a certificate that does
    /// not name our key, or a group key our member key cannot follow after a revocation).
    Client(ClientError),
}

/// Why a client call was refused. A refused call changes no state.
///
/// Failures of a primitive keep the primitive's error (`Certificate`, `Group`, `Token`, ...);
/// failures of the protocol's own rules have variants of their own, so a primitive's reason
/// never stands for something else.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// A message did not decode.
    Wire(WireError),
    /// The client's own state blob did not decode, or is over a limit and cannot be written.
    State(StateError),
    /// The call needs a registered client.
    NotRegistered,
    /// No cold-call token is available.
    NoTokens,
    /// No contact has this account id.
    UnknownContact,
    /// The contact has not given us a member key of its group, so we cannot reply to it.
    NoMembership,
    /// The contact is blocked.
    Blocked,
    /// No request with this id is outstanding.
    UnknownRequest,
    /// A recipient's certificate did not verify.
    Certificate(CertificateError),
    /// An introduction did not verify.
    Introduction(IntroductionError),
    /// A group signature operation failed.
    Group(bbs04::Error),
    /// A token operation failed.
    Token(TokenError),
    /// A delivery's group signature does not open to a member key we issued.
    UnknownSender,
    /// The server's keys have no token key valid now.
    NoTokenKey,
    /// A payload or field exceeds its limit.
    TooLarge {
        /// The field over its limit (`message`, `host_material`, ...).
        field: &'static str,
    },
    /// A response answers another kind of request than the one with this id.
    UnexpectedResponse,
    /// The server's registration answer holds a valid certificate for another identity key
    /// than ours.
    CertificateNotOurs,
    /// A group key update cannot be reached from the member key we hold: the group key was
    /// rotated (another group), or it moved on with no checkpoint to catch up through.
    GroupUpdateUnreachable {
        /// The generation of our member key.
        reached: u32,
        /// The generation of the group key the server sent.
        sent: u32,
    },
    /// A reply names a generation of our group that we neither hold nor remember.
    UnknownGeneration {
        /// The generation the reply names.
        generation: u32,
        /// Our group's current generation.
        current: u32,
    },
    /// An introduction is older than the one we hold from the same contact (a replay, which
    /// would otherwise overwrite a newer membership; SPEC.md 13.4).
    StaleIntroduction {
        /// Its `created_at`.
        created_at: Time,
        /// The `created_at` of the introduction we hold.
        stored: Time,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Wire(e) => write!(f, "client: {e}"),
            ClientError::State(e) => write!(f, "client: {e}"),
            ClientError::NotRegistered => f.write_str("client: not registered"),
            ClientError::NoTokens => f.write_str("client: no cold-call token available"),
            ClientError::UnknownContact => f.write_str("client: unknown contact"),
            ClientError::NoMembership => {
                f.write_str("client: the contact has not given us a member key of its group")
            }
            ClientError::Blocked => f.write_str("client: contact is blocked"),
            ClientError::UnknownRequest => f.write_str("client: no such outstanding request"),
            ClientError::Certificate(e) => write!(f, "client: {e}"),
            ClientError::Introduction(e) => write!(f, "client: {e}"),
            ClientError::Group(e) => write!(f, "client: {e}"),
            ClientError::Token(e) => write!(f, "client: {e}"),
            ClientError::UnknownSender => {
                f.write_str("client: group signature opens to no member key we issued")
            }
            ClientError::NoTokenKey => f.write_str("client: no token key is valid now"),
            ClientError::TooLarge { field } => write!(f, "client: {field} too large"),
            ClientError::UnexpectedResponse => {
                f.write_str("client: response does not answer the request")
            }
            ClientError::CertificateNotOurs => {
                f.write_str("client: the certificate names another identity key than ours")
            }
            ClientError::GroupUpdateUnreachable { reached, sent } => write!(
                f,
                "client: our member key of generation {reached} cannot reach the server's {sent}"
            ),
            ClientError::UnknownGeneration {
                generation,
                current,
            } => write!(
                f,
                "client: reply under generation {generation} of our group, which is at {current}"
            ),
            ClientError::StaleIntroduction { created_at, stored } => write!(
                f,
                "client: introduction of {} is older than the one held, of {}",
                created_at.unix_secs(),
                stored.unix_secs()
            ),
        }
    }
}

impl core::error::Error for ClientError {}

impl From<WireError> for ClientError {
    fn from(e: WireError) -> Self {
        ClientError::Wire(e)
    }
}

impl From<StateError> for ClientError {
    fn from(e: StateError) -> Self {
        ClientError::State(e)
    }
}

impl From<bbs04::Error> for ClientError {
    fn from(e: bbs04::Error) -> Self {
        ClientError::Group(e)
    }
}

impl From<TokenError> for ClientError {
    fn from(e: TokenError) -> Self {
        ClientError::Token(e)
    }
}

/// Knobs of the client that are not persisted (the app passes them at every start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSettings {
    /// How long after acceptance a cold call's token is released.
    pub release_delay: Delay,
    /// How long a reply waits before its group-key fetch leaves (SPEC.md 13.6).
    pub reply_delay: Delay,
    /// How long background work waits before it leaves, counted from when it becomes due
    /// (releases, renewals, key-set checks, discovery token issuance), and how long any request
    /// whose time passed while the client was not running waits from when it runs again.
    pub background_delay: Delay,
    /// How often to fetch the published keys anonymously to check the pin (seconds; each check
    /// at a uniformly random time in `[interval, 2 * interval)`, SPEC.md 6.5 rule 4).
    pub key_check_interval: u64,
    /// Discovery tokens to obtain in every window, needed or not, so that the count says
    /// nothing about the address book (at most the server's limit per window). 0 asks only
    /// when lookups wait, for as many tokens as batches wait, as the first client did: the
    /// issuance's time and count then tell the server when and how much its user looks up
    /// (SPEC.md 15.1 measures it).
    pub discovery_tokens: usize,
    /// How often to check whether a spent token was released (seconds; the check happens at a
    /// uniformly random time in `[interval, 2 * interval)`).
    pub renewal_interval: u64,
    /// How long before its key expires an unspent cold-call token is exchanged for one under a
    /// later pinned key (seconds; the server's `token_migration_window`, 0: never).
    pub token_migration_window: u64,
    /// How far in the future an introduction's timestamp may be (seconds).
    pub max_clock_skew: u64,
    /// The discovery window length and batch size (must match the server's).
    pub discovery_window: u64,
    /// Phone numbers per lookup batch.
    pub discovery_batch: usize,
    /// How many cold-call tokens to ask for at registration (the server's limit, at most 5).
    pub registration_tokens: usize,
    /// The reputation period (seconds; the server's `reputation.period_seconds`): a stamp is
    /// redeemed at a random time in the second, third or fourth period after its renewal's
    /// (SPEC.md 18.1).
    pub reputation_period: u64,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            release_delay: Delay::default(),
            reply_delay: Delay::Uniform { min: 0, max: 30 },
            background_delay: Delay::Exponential {
                min: 0,
                mean: 3600,
                max: 6 * 3600,
            },
            key_check_interval: 12 * 3600,
            discovery_tokens: 10,
            renewal_interval: 6 * 3600,
            token_migration_window: 30 * 24 * 3600,
            max_clock_skew: 300,
            discovery_window: 24 * 3600,
            discovery_batch: 100,
            registration_tokens: crate::wire::MAX_REGISTRATION_TOKENS,
            reputation_period: 7 * 24 * 3600,
        }
    }
}

/// What the client knows about a contact (for the app).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactInfo {
    /// The contact's account.
    pub account: AccountId,
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

/// Over how many periods a stamp's redemption is spread, from the second after its renewal's
/// (SPEC.md 18.1).
pub const STAMP_SPREAD: u64 = 3;

/// How many cold-call tokens are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Ready to use.
    pub available: usize,
    /// Offered in a cold call that is not acknowledged yet.
    pub in_flight: usize,
    /// Attached to a recipient, waiting for release.
    pub attached: usize,
    /// Being exchanged for a fresh token.
    pub renewing: usize,
}

impl TokenCounts {
    /// All tokens the client holds, in any state.
    pub fn total(&self) -> usize {
        self.available
            .saturating_add(self.in_flight)
            .saturating_add(self.attached)
            .saturating_add(self.renewing)
    }
}

/// The blindpost client.
// Cloned only by tests and fuzzing (forking a prepared client); apps persist with `to_bytes`.
#[cfg_attr(feature = "test-util", derive(Clone))]
pub struct Client {
    state: State,
    /// Our account id, derived from the identity key once (a G1 multiplication) rather than on
    /// every request that names us.
    account: AccountId,
    settings: ClientSettings,
    events: VecDeque<Event>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("account", &self.account())
            .field("registered", &self.state.certificate.is_some())
            .field("contacts", &self.state.contacts.len())
            .field("tokens", &self.token_counts())
            .field("outstanding", &self.state.outbox.len())
            .finish_non_exhaustive()
    }
}

/// The account id of the state's identity key (SPEC.md 11.1).
fn account_of(state: &State) -> AccountId {
    AccountId::for_identity_key(&state.identity.public_key().to_bytes())
}

impl Client {
    /// A new, unregistered client pinning the server's `keys`: generates the identity key and
    /// the group.
    pub fn new<R: CryptoRng + ?Sized>(
        rng: &mut R,
        keys: ServerKeys,
        settings: ClientSettings,
    ) -> Self {
        let state = State {
            keys,
            identity: SecretKey::generate(rng),
            host_key: None,
            group: GroupManagerKey::generate(rng),
            former_group_keys: Vec::new(),
            certificate: None,
            contacts: Contacts::default(),
            wallet: Wallet::default(),
            releases: Vec::new(),
            outbox: Outbox::new(),
            recent_deliveries: VecDeque::new(),
            lookups: Vec::new(),
            discovery_window: 0,
            next_key_check: Time::EPOCH,
            code_sessions: Vec::new(),
        };
        Self {
            account: account_of(&state),
            state,
            settings,
            events: VecDeque::new(),
        }
    }

    /// Restores a client from [`Client::to_bytes`].
    pub fn from_bytes(bytes: &[u8], settings: ClientSettings) -> Result<Self, ClientError> {
        let state = State::from_bytes(bytes)?;
        Ok(Self {
            account: account_of(&state),
            state,
            settings,
            events: VecDeque::new(),
        })
    }

    /// The state to persist (secret: it holds the identity and group keys). A list over its
    /// limit ([`MAX_STATE_LIST`] entries) is refused with [`ClientError::State`], never written
    /// cut.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, ClientError> {
        Ok(self.state.to_bytes()?)
    }

    /// Our account id.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// A credential for one request on the authenticated channel (SPEC.md 17.2): our identity
    /// key signs the pinned server's name (the issuer name of its cold-call token keys), `now`,
    /// a fresh nonce, `method`, `path` and the digest of `body`. The host sends it with the
    /// request; every request needs its own.
    pub fn authorize<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<crate::host_auth::RequestAuth, crate::host_auth::AuthError> {
        crate::host_auth::RequestAuth::sign(
            rng,
            &self.state.identity,
            self.state.keys.cold_call_tokens.issuer_name(),
            now,
            method,
            path,
            body,
        )
    }

    /// Our certificate, once registered.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.state.certificate.as_ref()
    }

    /// Our group's current public key.
    pub fn group_key(&self) -> &GroupPublicKey {
        self.state.group.public_key()
    }

    /// The pinned server keys.
    pub fn server_keys(&self) -> &ServerKeys {
        &self.state.keys
    }

    /// Our contacts. A contact restored from the state blob has its points' subgroups checked
    /// here first, once (SPEC.md 13.1); one whose points fail the check (a blob this client did
    /// not write) is left out, and every operation on it fails with [`ClientError::State`].
    pub fn contacts(&self) -> Vec<ContactInfo> {
        self.state
            .contacts
            .iter()
            .filter(|c| c.check_points().is_ok())
            .map(|c| ContactInfo {
                account: c.account,
                certificate: c.certificate.clone(),
                can_reply: c.membership.is_some(),
                introduced: c.issued.is_some(),
                unreleased: c.unreleased.is_some(),
                blocked: c.blocked,
            })
            .collect()
    }

    /// How many cold-call tokens are in each state.
    pub fn token_counts(&self) -> TokenCounts {
        self.state.wallet.counts()
    }

    /// Reputation stamps held, not redeemed yet (SPEC.md 18.1).
    pub fn stamps(&self) -> usize {
        self.state.wallet.stamp_count()
    }

    /// Unused discovery tokens for `window`.
    pub fn discovery_tokens(&self, window: u64) -> usize {
        self.state.wallet.discovery_count(window)
    }

    /// How many requests are waiting for a response.
    pub fn outstanding(&self) -> usize {
        self.state.outbox.len()
    }

    // ----- commands -----

    /// Asks the server to send a verification code to `phone` (the request may leave at once).
    /// The code is bound to a secret code session drawn here and kept until the registration
    /// succeeds: asking again re-sends the same code (SPEC.md 9).
    pub fn request_code<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        phone: PhoneNumber,
    ) -> RequestId {
        let session = self.state.code_session(rng, &phone);
        let request = Request::RequestCode { phone, session };
        self.enqueue(Channel::Direct, &request, Purpose::RequestCode, now)
    }

    /// Registers `phone` with the `code` received by SMS: asks for a certificate for our
    /// identity key, publishes our group key and asks for cold-call tokens. The request carries
    /// the code session of [`Self::request_code`] (without one, a fresh session the server
    /// knows no code for: it answers `wrong_code`).
    pub fn register<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        phone: PhoneNumber,
        code: &str,
        host_key: Option<HostKey>,
    ) -> Result<RequestId, ClientError> {
        if code.len() > 10 {
            return Err(ClientError::TooLarge { field: "code" });
        }
        let keys = &self.state.keys.cold_call_tokens;
        let challenge = TokenChallenge::cold_call(keys.issuer_name())?;
        let count = self
            .settings
            .registration_tokens
            .min(crate::wire::MAX_REGISTRATION_TOKENS);
        let (requests, pending) = wallet::token_requests(rng, keys, &challenge, now, count)?;
        let session = self.state.code_session(rng, &phone);
        let request = Request::Register(RegisterRequest {
            phone: phone.clone(),
            session,
            code: code.into(),
            identity_key: self.state.identity.public_key(),
            proof: self.state.identity.pop_prove(),
            host_key: host_key.clone(),
            group_key: self.state.group.public_key().clone(),
            token_requests: requests,
        });
        self.state.host_key = host_key;
        Ok(self.enqueue(
            Channel::Direct,
            &request,
            Purpose::Register {
                phone,
                tokens: pending,
            },
            now,
        ))
    }

    /// Writes the introduction for a cold call to `recipient` (whose certificate came from a
    /// lookup): returns the plaintext payload for the host to seal. Issues a member key of our
    /// group to the recipient.
    pub fn compose_introduction<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        recipient: &Certificate,
        message: &[u8],
        host_material: &[u8],
    ) -> Result<Vec<u8>, ClientError> {
        let own = self
            .state
            .certificate
            .clone()
            .ok_or(ClientError::NotRegistered)?;
        check_sizes(message, host_material)?;
        self.state
            .keys
            .certificate_issuers
            .verify_certificate(recipient, now, None)
            .map_err(ClientError::Certificate)?;
        let account = AccountId::for_identity_key(&recipient.identity_key().to_bytes());
        if let Err(ClientError::Blocked) = self.state.contacts.active(&account) {
            return Err(ClientError::Blocked);
        }
        let index = self.state.contacts.upsert(account, recipient);
        let contact = self
            .state
            .contacts
            .get_mut(index)
            .ok_or(ClientError::UnknownContact)?;
        let member = match &contact.issued {
            Some(m) => m.clone(),
            None => {
                let m = self.state.group.issue_member(rng);
                contact.issued = Some(m.clone());
                m
            }
        };
        Ok(self.introduction(own, account, member, message, host_material, now))
    }

    /// Sends a cold call with a sealed introduction, paying with one token. It may leave at
    /// once: the user's action is its time.
    pub fn send_cold_call(
        &mut self,
        now: Time,
        recipient: AccountId,
        sealed: &[u8],
    ) -> Result<RequestId, ClientError> {
        if self.state.certificate.is_none() {
            return Err(ClientError::NotRegistered);
        }
        if sealed.len() > crate::wire::MAX_SEALED_LEN {
            return Err(ClientError::TooLarge {
                field: "sealed payload",
            });
        }
        let token = self
            .state
            .wallet
            .available()
            .ok_or(ClientError::NoTokens)?
            .clone();
        let request = Request::ColdCall(ColdCallRequest {
            recipient,
            token,
            sealed: sealed.to_vec(),
        });
        let id = self.enqueue(
            Channel::Anonymous,
            &request,
            Purpose::ColdCall { recipient },
            now,
        );
        self.state.wallet.reserve(id);
        Ok(id)
    }

    /// Writes a message to a contact: returns the plaintext payload for the host to seal. The
    /// first message to a contact that introduced itself carries our own introduction (and a
    /// member key of our group), so it can answer without tokens.
    pub fn compose_reply<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        contact: AccountId,
        message: &[u8],
        host_material: &[u8],
    ) -> Result<Vec<u8>, ClientError> {
        let own = self
            .state
            .certificate
            .clone()
            .ok_or(ClientError::NotRegistered)?;
        check_sizes(message, host_material)?;
        let index = self.state.contacts.active(&contact)?;
        let c = self
            .state
            .contacts
            .get_mut(index)
            .ok_or(ClientError::UnknownContact)?;
        if c.membership.is_none() {
            return Err(ClientError::NoMembership);
        }
        if c.issued.is_some() {
            return Ok(Payload::Message {
                host_material: host_material.to_vec(),
                message: message.to_vec(),
            }
            .to_bytes());
        }
        let member = self.state.group.issue_member(rng);
        c.issued = Some(member.clone());
        Ok(self.introduction(own, contact, member, message, host_material, now))
    }

    /// Sends a sealed message to a contact under a group signature. First fetches the
    /// contact's current group key over the anonymous channel and updates our member key, so
    /// the server sees the same fetch before every reply and never a retry after a rejection
    /// (SPEC.md 12.6, 13.3). The fetch leaves after a random [`ClientSettings::reply_delay`]
    /// and the reply right after the fetch's answer. Replying also accepts the contact's cold
    /// call (schedules the release of its token).
    pub fn send_reply<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        contact: AccountId,
        sealed: &[u8],
    ) -> Result<RequestId, ClientError> {
        if self.state.certificate.is_none() {
            return Err(ClientError::NotRegistered);
        }
        if sealed.len() > crate::wire::MAX_SEALED_LEN {
            return Err(ClientError::TooLarge {
                field: "sealed payload",
            });
        }
        let index = self.state.contacts.active(&contact)?;
        let c = self
            .state
            .contacts
            .get(index)
            .ok_or(ClientError::UnknownContact)?;
        if c.membership.is_none() {
            return Err(ClientError::NoMembership);
        }
        // The same bytes from every member, whatever generation it holds (SPEC.md 12.6).
        let request = Request::FetchGroupKey { account: contact };
        let not_before = now.saturating_add(self.settings.reply_delay.sample(rng));
        let id = self.enqueue(
            Channel::Anonymous,
            &request,
            Purpose::FetchGroupKey {
                contact,
                then_reply: Some(sealed.to_vec()),
            },
            not_before,
        );
        self.schedule_release(rng, now, index);
        Ok(id)
    }

    /// Accepts a contact's cold call without replying: its token is released at a random
    /// later time.
    pub fn accept<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        contact: AccountId,
    ) -> Result<(), ClientError> {
        let index = self.state.contacts.active(&contact)?;
        self.schedule_release(rng, now, index);
        Ok(())
    }

    /// Blocks a contact: its cold call's token is never released, and if it holds a member key
    /// of our group, that key is revoked and the revocation published (at once, so the revoked
    /// key stops working) with the checkpoint through which every other member catches up
    /// (SPEC.md 4.15; `rng` draws its padding). Refused, with nothing changed, if more than
    /// [`crate::bbs04::MAX_CHECKPOINT_ENTRIES`] members would remain.
    pub fn block<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        contact: AccountId,
    ) -> Result<Option<RequestId>, ClientError> {
        let index = self.state.contacts.index(&contact)?;
        let own = self.account();
        let c = self
            .state
            .contacts
            .get(index)
            .ok_or(ClientError::UnknownContact)?;
        // The member key we revoke is computed with: its points are checked first if the
        // contact was restored from the state blob (SPEC.md 13.1).
        c.check_points()?;
        let issued = c.issued.clone();
        let mut request = None;
        if let Some(member) = issued {
            let old_group = self.state.group.public_key().clone();
            let mut group = self.state.group.clone();
            let record = group.revoke(&member)?;
            // Every other member key we issued moves to the new generation too, so that we
            // can still open their signatures; the checkpoint carries them to their members.
            let others: Vec<(usize, MemberKey)> = self
                .state
                .contacts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index)
                .filter_map(|(i, c)| c.issued.clone().map(|m| (i, m)))
                .collect();
            let keys: Vec<MemberKey> = others.iter().map(|(_, m)| m.clone()).collect();
            let next_keys = group.reissue(&keys)?;
            let checkpoint = Checkpoint::new(rng, group.public_key(), &next_keys)?;
            let mut updated: Vec<Option<MemberKey>> = vec![None; self.state.contacts.len()];
            for ((i, _), next) in others.iter().zip(next_keys) {
                if let Some(slot) = updated.get_mut(*i) {
                    *slot = Some(next);
                }
            }
            self.state.group = group;
            if self.state.former_group_keys.len() >= state::FORMER_GROUP_KEYS {
                self.state.former_group_keys.remove(0);
            }
            self.state.former_group_keys.push(old_group);
            for (c, next) in self.state.contacts.iter_mut().zip(updated) {
                if let (Some(old), Some(next)) = (c.issued.take(), next) {
                    if c.former_ids.len() >= state::FORMER_IDS {
                        c.former_ids.remove(0);
                    }
                    c.former_ids.push(old.id());
                    c.issued = Some(next);
                }
            }
            let upload = Request::UploadRevocation { record, checkpoint };
            request = Some(self.enqueue(
                Channel::Authenticated(own),
                &upload,
                Purpose::UploadRevocation,
                now,
            ));
        }
        if let Some(c) = self.state.contacts.get_mut(index) {
            c.blocked = true;
            c.issued = None;
            if let Some(handle) = c.unreleased.take() {
                self.state.releases.retain(|r| r.handle != handle);
            }
        }
        self.events.push_back(Event::ContactBlocked { contact });
        Ok(request)
    }

    /// Looks up which of `phones` have accounts, paying one discovery token per batch. Each
    /// batch leaves at its own uniformly random time in the rest of the discovery window, with
    /// a token the client obtained earlier in the window (SPEC.md 13.6); batches beyond the
    /// tokens held wait for the next window. The answers come as
    /// [`Event::LookupCompleted`], one per batch.
    pub fn lookup<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        phones: Vec<PhoneNumber>,
    ) -> Result<(), ClientError> {
        if self.state.certificate.is_none() {
            return Err(ClientError::NotRegistered);
        }
        let batch = self
            .settings
            .discovery_batch
            .clamp(1, crate::wire::MAX_LOOKUP_BATCH);
        let waiting = self.state.lookups.len();
        let batches = phones.chunks(batch).map(<[PhoneNumber]>::to_vec);
        if waiting.saturating_add(batches.len()) > MAX_STATE_LIST {
            return Err(ClientError::TooLarge { field: "lookups" });
        }
        self.state.lookups.extend(batches);
        self.spend_discovery_tokens(rng, now);
        // Tokens on demand: ask now for the batches left waiting.
        if self.settings.discovery_tokens == 0
            && !self.state.lookups.is_empty()
            && !self.issuance_outstanding(now)
        {
            self.issue_discovery_tokens(rng, now, true);
        }
        Ok(())
    }

    /// Asks the server for its current keys at once (they are checked against the pinned
    /// ones). The client also does this by itself at random times (SPEC.md 6.5 rule 4).
    pub fn refresh_keys(&mut self, now: Time) -> RequestId {
        self.enqueue(
            Channel::Anonymous,
            &Request::FetchKeys,
            Purpose::FetchKeys { then_issue: false },
            now,
        )
    }

    // ----- inputs -----

    /// The transport could not deliver request `id` (or got no answer): it will be sent again,
    /// by [`Client::poll_transmit`] at once, or at a fresh random time if it has waited more
    /// than [`OVERDUE_GRACE`] past its time when [`Client::handle_timeout`] runs.
    pub fn handle_send_failure(&mut self, id: RequestId) -> Result<(), ClientError> {
        if self.state.outbox.unmark(id) {
            Ok(())
        } else {
            Err(ClientError::UnknownRequest)
        }
    }

    /// Time has passed: gives work that waited past its time while the client was not running
    /// a fresh random time, queues due releases and renewal checks (each to leave at its own
    /// random time), obtains this window's discovery tokens and checks the key pin when due.
    pub fn handle_timeout<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: Time) {
        let settings = &self.settings;
        let discovery_window = settings.discovery_window;
        let window = now.window(discovery_window);
        // A lookup whose window ended unsent waits, ahead of newer ones, for a token of this
        // window (13.6).
        let expired = self.state.outbox.take_expired_lookups(window);
        let resume = !expired.is_empty();
        if resume {
            let newer = core::mem::take(&mut self.state.lookups);
            self.state.lookups = expired;
            self.state.lookups.extend(newer);
        }
        self.state.outbox.reschedule_overdue(now, |purpose| {
            let fresh = match purpose {
                Purpose::Lookup { window, .. } => {
                    lookup_time(rng, now, window_end(*window, discovery_window))
                }
                Purpose::IssueDiscovery { window, .. } => {
                    let delay = settings.background_delay.sample(rng);
                    issuance_time(now, delay, window_end(*window, discovery_window))
                }
                _ => now.saturating_add(settings.background_delay.sample(rng)),
            };
            fresh.secs_since(now)
        });
        let own = self.account();
        let (due, later): (Vec<_>, Vec<_>) = core::mem::take(&mut self.state.releases)
            .into_iter()
            .partition(|r| r.due <= now);
        self.state.releases = later;
        for release in due {
            let request = Request::Release {
                handle: release.handle,
            };
            let not_before = self.background_time(rng, now);
            self.enqueue(
                Channel::Authenticated(own),
                &request,
                Purpose::Release {
                    handle: release.handle,
                    contact: release.contact,
                },
                not_before,
            );
        }
        self.start_renewals(rng, now);
        self.state
            .wallet
            .drop_expired(&self.state.keys.cold_call_tokens, now);
        self.start_migrations(rng, now);
        self.start_redemption(rng, now);
        self.state.wallet.drop_discovery_before(window);
        if self.state.certificate.is_some() {
            if window > self.state.discovery_window {
                self.issue_discovery_tokens(rng, now, true);
            }
            if self.state.next_key_check <= now {
                self.check_keys(rng, now);
            }
        }
        if resume {
            self.spend_discovery_tokens(rng, now);
        }
    }

    // ----- outputs -----

    /// The next request to send, if one is due at `now`. Requests whose time has not come stay
    /// queued: [`Client::poll_timeout`] says when to ask again. A host that calls this with a
    /// time later than its clock defeats the schedule (SPEC.md 13.6).
    pub fn poll_transmit(&mut self, now: Time) -> Option<Transmit> {
        self.state.outbox.next_due(now)
    }

    /// The next event for the app, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When the host should call [`Client::handle_timeout`] (and then
    /// [`Client::poll_transmit`]) next: the earliest of the client's timers and of the times of
    /// the requests not handed out yet.
    pub fn poll_timeout(&self) -> Option<Time> {
        let releases = self.state.releases.iter().map(|r| r.due);
        let checks = self.state.wallet.check_times();
        let migrations = self.state.wallet.migration_times(
            &self.state.keys.cold_call_tokens,
            self.settings.token_migration_window,
        );
        let registered = self.state.certificate.is_some();
        let background = registered.then(|| {
            self.window_end(self.state.discovery_window)
                .min(self.state.next_key_check)
        });
        releases
            .chain(checks)
            .chain(migrations)
            .chain(self.state.wallet.stamp_times())
            .chain(self.state.outbox.earliest())
            .chain(background)
            .min()
    }

    // ----- internals -----

    fn enqueue(
        &mut self,
        channel: Channel,
        request: &Request,
        purpose: Purpose,
        not_before: Time,
    ) -> RequestId {
        self.state
            .outbox
            .push(channel, request, purpose, not_before)
    }

    /// When background work that is due at `now` may leave.
    fn background_time<R: CryptoRng + ?Sized>(&self, rng: &mut R, now: Time) -> Time {
        now.saturating_add(self.settings.background_delay.sample(rng))
    }

    /// Our introduction to `recipient`, signed with our identity key: the payload to seal.
    fn introduction(
        &self,
        certificate: Certificate,
        recipient: AccountId,
        member_key: crate::bbs04::MemberKey,
        message: &[u8],
        host_material: &[u8],
        now: Time,
    ) -> Vec<u8> {
        let intro = IntroductionContent {
            certificate,
            recipient,
            group_key: self.state.group.public_key().clone(),
            member_key,
            host_material: host_material.to_vec(),
            message: message.to_vec(),
            created_at: now,
        }
        .sign(&self.state.identity);
        Payload::Introduction(intro).to_bytes()
    }

    /// The member key of `contact`'s group we hold, and the contact's index. The contact's
    /// points are checked first if it was restored from the state blob (SPEC.md 13.1).
    fn membership(&self, contact: &AccountId) -> Result<(usize, Membership), ClientError> {
        let index = self.state.contacts.index(contact)?;
        let c = self
            .state
            .contacts
            .get(index)
            .ok_or(ClientError::UnknownContact)?;
        c.check_points()?;
        let membership = c.membership.clone().ok_or(ClientError::NoMembership)?;
        Ok((index, membership))
    }

    fn schedule_release<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: Time, index: usize) {
        let Some(contact) = self.state.contacts.get_mut(index) else {
            return;
        };
        let Some(handle) = contact.unreleased.take() else {
            return;
        };
        let contact = contact.account;
        let delay = self.settings.release_delay.sample(rng);
        self.state.releases.push(state::ScheduledRelease {
            handle,
            due: now.saturating_add(delay),
            contact,
        });
    }

    fn window(&self, now: Time) -> u64 {
        now.window(self.settings.discovery_window)
    }

    /// The first second after discovery window `window`.
    fn window_end(&self, window: u64) -> Time {
        window_end(window, self.settings.discovery_window)
    }

    /// Moves attached tokens whose check is due into renewal requests, each to leave at its own
    /// random time.
    fn start_renewals<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: Time) {
        for index in self.state.wallet.due_checks(now) {
            let Some(token) = self.state.wallet.attached(index).cloned() else {
                continue;
            };
            if let Some((id, pending, stamp)) = self.exchange(rng, now, token) {
                self.state.wallet.start_renewal(index, pending, stamp, id);
            }
        }
    }

    /// Moves unspent tokens whose key is in its last migration window, while a later key is
    /// pinned, into exchanges for that key, each to leave at its own random time (SPEC.md
    /// 13.6).
    fn start_migrations<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: Time) {
        let keys = &self.state.keys.cold_call_tokens;
        // The request names the preferred key, which must outlive the token's.
        let preferred_expires = keys
            .preferred_key(now)
            .and_then(|k| keys.entry(&k.id()))
            .map(|e| e.expires());
        let due: Vec<(usize, Token, bool)> = self
            .state
            .wallet
            .due_migrations(keys, self.settings.token_migration_window, now)
            .into_iter()
            .filter_map(|index| {
                let token = self.state.wallet.available_at(index)?.clone();
                let expires = keys.entry(&token.token_key_id()).map(|e| e.expires());
                let later =
                    matches!((expires, preferred_expires), (Some(old), Some(new)) if new > old);
                Some((index, token, later))
            })
            .collect();
        for (index, token, later) in due {
            let started = if later {
                self.exchange(rng, now, token)
            } else {
                None
            };
            match started {
                // An exchange gets no stamp: its stamp request is only there to look alike.
                Some((id, pending, _)) => self.state.wallet.start_migration(index, pending, id),
                // Nothing to exchange for now: try again after a renewal interval rather than
                // at every timeout.
                None => {
                    self.state.wallet.next_migration =
                        now.saturating_add(self.settings.renewal_interval.max(1));
                }
            }
        }
    }

    /// Queues `renew_token` for `token` with a fresh blinded request under the preferred
    /// cold-call key and one for a stamp (every renewal carries one, SPEC.md 18.1), to leave at
    /// a background time: its id and the two blinding states.
    fn exchange<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        token: Token,
    ) -> Option<(RequestId, PendingToken, PendingToken)> {
        let keys = &self.state.keys.cold_call_tokens;
        let challenge = TokenChallenge::cold_call(keys.issuer_name()).ok()?;
        let (requests, pending) = wallet::token_requests(rng, keys, &challenge, now, 1).ok()?;
        let stamp_keys = &self.state.keys.stamp_tokens;
        let stamp_challenge = TokenChallenge::stamp(stamp_keys.issuer_name()).ok()?;
        let (stamps, stamp_pending) =
            wallet::token_requests(rng, stamp_keys, &stamp_challenge, now, 1).ok()?;
        let request = requests.into_iter().next()?;
        let pending = pending.into_iter().next()?;
        let stamp = stamps.into_iter().next()?;
        let stamp_pending = stamp_pending.into_iter().next()?;
        let not_before = self.background_time(rng, now);
        let id = self.enqueue(
            Channel::Anonymous,
            &Request::RenewToken {
                token,
                request,
                stamp,
            },
            Purpose::RenewToken,
            not_before,
        );
        Some((id, pending, stamp_pending))
    }

    /// Queues `redeem_stamps` with the stamps due at `now` (SPEC.md 18.1), one cold-call token
    /// request per stamp. Their times were drawn when they arrived, so the request leaves now.
    fn start_redemption<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: Time) {
        let max = crate::wire::MAX_REDEEMED_STAMPS;
        let stamps = self.state.wallet.due_stamps(now, max);
        if stamps.is_empty() || self.state.certificate.is_none() {
            return;
        }
        let keys = &self.state.keys.cold_call_tokens;
        let Ok(challenge) = TokenChallenge::cold_call(keys.issuer_name()) else {
            return;
        };
        let Ok((requests, tokens)) =
            wallet::token_requests(rng, keys, &challenge, now, stamps.len())
        else {
            return;
        };
        let own = self.account();
        let id = self.enqueue(
            Channel::Authenticated(own),
            &Request::RedeemStamps { stamps, requests },
            Purpose::RedeemStamps { tokens },
            now,
        );
        self.state.wallet.stamps_queued(now, max, id);
    }

    /// When a stamp that arrives at `now`, or waits for another period, is redeemed: at a
    /// uniformly random time in the period `periods_later` periods after the one of `now`, so
    /// the redemption says nothing about when in its period the renewal happened (SPEC.md
    /// 18.1).
    fn stamp_time<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        periods_later: u64,
    ) -> Time {
        let period = self.settings.reputation_period.max(1);
        let start = now
            .window(period)
            .saturating_add(periods_later)
            .saturating_mul(period);
        Time::from_unix_secs(start.saturating_add(delay::uniform(rng, 0, period)))
    }

    /// Asks for up to `count` cold-call tokens of a bulk-sender tier with `proof` (SPEC.md
    /// 18.2), over the authenticated channel, leaving at once. The answer brings as many tokens
    /// as the tier has left in its period ([`Event::BulkTokensGranted`]).
    pub fn claim_bulk_tokens<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        proof: crate::bulk::BulkProof,
        count: usize,
    ) -> Result<RequestId, ClientError> {
        if self.state.certificate.is_none() {
            return Err(ClientError::NotRegistered);
        }
        let count = count.clamp(1, crate::wire::MAX_BULK_CLAIM);
        let keys = &self.state.keys.cold_call_tokens;
        let challenge = TokenChallenge::cold_call(keys.issuer_name())?;
        let (requests, tokens) = wallet::token_requests(rng, keys, &challenge, now, count)?;
        let own = self.account();
        Ok(self.enqueue(
            Channel::Authenticated(own),
            &Request::ClaimBulkTokens { proof, requests },
            Purpose::ClaimBulk { tokens },
            now,
        ))
    }

    /// The next time to check a spent token after `checks` unsuccessful checks: uniformly in
    /// `[i, 2i)` with `i = interval * 2^min(checks, 6)`, so a token nobody releases is asked
    /// about less and less often (SPEC.md 13.3).
    fn next_check<R: CryptoRng + ?Sized>(&self, rng: &mut R, now: Time, checks: u32) -> Time {
        let interval = self
            .settings
            .renewal_interval
            .saturating_mul(1u64 << checks.min(MAX_BACKOFF_DOUBLINGS));
        now.saturating_add(delay::uniform(rng, interval, interval.saturating_mul(2)))
    }

    /// Asks for this window's discovery tokens, to leave at a random time: always
    /// [`ClientSettings::discovery_tokens`] of them (capped by the wire limit), or with 0 as
    /// many as lookup batches wait (none if none wait). Without a
    /// discovery key valid now, fetches the keys first (if `fetch_missing_key`) and asks when
    /// they arrive; either way the window counts as served, so no timer fires again before the
    /// next one.
    fn issue_discovery_tokens<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        fetch_missing_key: bool,
    ) {
        let window = self.window(now);
        let delay = self.settings.background_delay.sample(rng);
        let not_before = issuance_time(now, delay, self.window_end(window));
        self.state.discovery_window = window;
        let count = match self.settings.discovery_tokens {
            0 => self.state.lookups.len(),
            n => n,
        }
        .min(crate::wire::MAX_DISCOVERY_REQUESTS);
        if count == 0 {
            return;
        }
        let keys = &self.state.keys.discovery_tokens;
        if keys.preferred_key(now).is_none() {
            if fetch_missing_key {
                self.fetch_keys(not_before, true);
            }
            return;
        }
        let Ok(challenge) = TokenChallenge::discovery(keys.issuer_name(), window) else {
            return;
        };
        let Ok((requests, pending)) = wallet::token_requests(rng, keys, &challenge, now, count)
        else {
            return;
        };
        let own = self.account();
        self.enqueue(
            Channel::Authenticated(own),
            &Request::IssueDiscoveryTokens { window, requests },
            Purpose::IssueDiscovery { window, pending },
            not_before,
        );
    }

    /// Pairs waiting lookup batches with this window's discovery tokens; each lookup leaves at
    /// a uniformly random time between `now` and the end of the window.
    fn spend_discovery_tokens<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: Time) {
        let window = self.window(now);
        let end = self.window_end(window);
        while !self.state.lookups.is_empty() {
            let Some(token) = self.state.wallet.take_discovery(window) else {
                return;
            };
            let phones = self.state.lookups.remove(0);
            let request = Request::Lookup {
                token,
                phones: phones.clone(),
            };
            let not_before = lookup_time(rng, now, end);
            self.enqueue(
                Channel::Anonymous,
                &request,
                Purpose::Lookup { window, phones },
                not_before,
            );
        }
    }

    /// Whether the client holds discovery tokens of the window of `now`, or has asked for them.
    fn has_discovery(&self, now: Time) -> bool {
        self.state.wallet.discovery_count(self.window(now)) > 0 || self.issuance_outstanding(now)
    }

    /// Whether the client has asked for discovery tokens of the window of `now` and waits for
    /// them.
    fn issuance_outstanding(&self, now: Time) -> bool {
        let window = self.window(now);
        self.state
            .outbox
            .iter()
            .any(|p| matches!(p.purpose, Purpose::IssueDiscovery { window: w, .. } if w == window))
    }

    /// Schedules an anonymous fetch of the published keys to check the pin (SPEC.md 6.5
    /// rule 4), and the next check after it.
    fn check_keys<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: Time) {
        let interval = self.settings.key_check_interval.max(1);
        let wait = delay::uniform(rng, interval, interval.saturating_mul(2));
        self.state.next_key_check = now.saturating_add(wait);
        let not_before = self.background_time(rng, now);
        self.fetch_keys(not_before, false);
    }

    /// Queues an anonymous fetch of the published keys at `not_before`, unless one is queued
    /// already (which then also serves `then_issue`).
    fn fetch_keys(&mut self, not_before: Time, then_issue: bool) {
        let queued = self
            .state
            .outbox
            .iter_mut()
            .find_map(|p| match &mut p.purpose {
                Purpose::FetchKeys { then_issue } => Some(then_issue),
                _ => None,
            });
        match queued {
            Some(flag) => *flag |= then_issue,
            None => {
                self.enqueue(
                    Channel::Anonymous,
                    &Request::FetchKeys,
                    Purpose::FetchKeys { then_issue },
                    not_before,
                );
            }
        }
    }

    /// Our reply to `contact`, signed with `membership` (our member key of its group).
    fn sign_reply<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        contact: AccountId,
        membership: &Membership,
        sealed: Vec<u8>,
    ) -> Result<Request, ClientError> {
        let generation = membership.group_key.generation();
        let prepared = PreparedGroupKey::new(membership.group_key.clone());
        // Coarse, so the server learns nothing of our exact clock (SPEC.md 10.3).
        let timestamp = reply_timestamp(now);
        let context = reply_context(&contact, generation, timestamp);
        let signature = membership.member.sign(rng, &prepared, &context, &sealed)?;
        Ok(Request::Reply(ReplyRequest {
            recipient: contact,
            generation,
            timestamp,
            sealed,
            signature,
        }))
    }
}

/// When a lookup paying with a token of the window ending at `end` leaves: uniformly in
/// `[now, end)` (SPEC.md 13.6).
fn lookup_time<R: CryptoRng + ?Sized>(rng: &mut R, now: Time, end: Time) -> Time {
    now.saturating_add(delay::uniform(rng, 0, end.secs_since(now)))
}

/// When a discovery token issuance for the window ending at `end` leaves: `now + delay`, but
/// at the latest [`ISSUANCE_MARGIN`] before the window ends, since tokens are issued for the
/// current window only (SPEC.md 13.6).
fn issuance_time(now: Time, delay: u64, end: Time) -> Time {
    let last = end.saturating_sub(ISSUANCE_MARGIN).max(now);
    now.saturating_add(delay).min(last)
}

/// The first second after discovery window `window` of `length` seconds.
fn window_end(window: u64, length: u64) -> Time {
    Time::from_unix_secs(window.saturating_add(1).saturating_mul(length))
}

fn check_sizes(message: &[u8], host_material: &[u8]) -> Result<(), ClientError> {
    if message.len() > crate::wire::MAX_MESSAGE_LEN {
        return Err(ClientError::TooLarge { field: "message" });
    }
    if host_material.len() > crate::wire::MAX_HOST_MATERIAL_LEN {
        return Err(ClientError::TooLarge {
            field: "host material",
        });
    }
    Ok(())
}
