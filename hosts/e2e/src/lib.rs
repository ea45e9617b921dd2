//! End-to-end sealing between blindpost hosts (SPEC.md 17.7).
//!
//! - **First contact** is sealed with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256),
//!   HKDF-SHA256, ChaCha20Poly1305) to the host key the recipient's certificate carries.
//! - The cold call's introduction carries an **offer** (the caller's Olm identity key and a fresh
//!   one-time key); the callee starts an Olm session from it, and every later payload goes
//!   through that double ratchet (vodozemac), then HPKE to the recipient's host key, so the
//!   server sees one shape whatever the kind.
//!
//! The client pads (SPEC 10.1); the host frames and seals. Every sealed payload of one bucket
//! has one length: `padded.len() + SEAL_OVERHEAD`.
//!
//! This crate works on bytes (account ids, host keys as in a certificate) so that the core's
//! simulation can use it without a dependency cycle.

mod frame;
mod state;

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use std::collections::BTreeMap;
use std::fmt;
use vodozemac::olm::{Account, OlmMessage, Session, SessionConfig};
use vodozemac::Curve25519PublicKey;
use zeroize::Zeroizing;

pub use state::StateError;

/// The suite byte of host keys and sealed payloads: HPKE base mode, DHKEM(X25519,
/// HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305.
pub const HOST_KEY_SUITE: u8 = 1;

/// Length of a host key: the suite byte and the X25519 public key.
pub const HOST_KEY_LEN: usize = 1 + KEY_LEN;

/// Length of an offer: the Olm Curve25519 identity key, then one fresh one-time key.
pub const OFFER_LEN: usize = 2 * KEY_LEN;

/// Bytes a frame holds beyond the padded payload: the frame header and the largest Olm
/// overhead (a pre-key message), so every kind fits in one frame length.
pub const FRAME_SLACK: usize = 256;

/// Bytes sealing adds to a padded payload: suite byte, encapsulated key, AEAD tag and the
/// frame's slack.
pub const SEAL_OVERHEAD: usize = 1 + KEY_LEN + TAG_LEN + FRAME_SLACK;

/// The HPKE info string of sealed payloads (domain separation from every other use of a key).
pub const SEAL_INFO: &[u8] = b"blindpost/v1/e2e/sealed-payload";

/// An account id as bytes (the core's `AccountId`).
pub type AccountBytes = [u8; 32];

/// Olm sessions kept per peer. Two hosts can each start one (crossing cold calls, a repeated
/// cold call), and a message of an older session may still be on its way; beyond this many
/// the oldest is dropped.
pub const MAX_SESSIONS_PER_PEER: usize = 4;

const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;

type Kem = X25519HkdfSha256;

/// Olm as Matrix ships it (libolm-compatible, the configuration the audit covered): its
/// messages carry 8-byte MACs, and the HPKE layer around them authenticates every byte anyway.
fn olm_config() -> SessionConfig {
    SessionConfig::version_1()
}

/// What a sealed payload carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealKind {
    /// A first contact: the padded payload under HPKE only.
    FirstContact,
    /// A payload through the peer's Olm session (pre-key or normal message).
    Ratchet,
}

/// A sealed payload opened.
#[derive(Clone, PartialEq, Eq)]
pub struct Opened {
    /// The account the frame names as sender; the host checks the client's event agrees.
    pub sender: AccountBytes,
    /// How it was sealed.
    pub kind: SealKind,
    /// The padded payload, for the client to unpad and verify.
    pub payload: Vec<u8>,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("kind", &self.kind)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// Why a payload could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// The recipient's certificate carries no host key: its host cannot receive payloads.
    NoHostKey,
    /// The recipient's host key is of another suite or length, or not a valid key.
    UnsupportedHostKey,
    /// No Olm session with the recipient: it has not accepted an offer nor sent a reply yet.
    NoSession,
    /// The payload is empty or too long for a frame.
    PayloadNotPadded,
    /// The HPKE or Olm operation failed.
    Hpke(String),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoHostKey => f.write_str("seal: the recipient's certificate has no host key"),
            Self::UnsupportedHostKey => {
                f.write_str("seal: the recipient's host key is of an unsupported kind")
            }
            Self::NoSession => f.write_str("seal: no ratchet session with the recipient"),
            Self::PayloadNotPadded => f.write_str("seal: the payload is empty or too long"),
            Self::Hpke(e) => write!(f, "seal: {e}"),
        }
    }
}

impl std::error::Error for SealError {}

/// Why a sealed payload was refused. A refusal changes no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Shorter than the suite byte, encapsulated key and tag.
    TooShort,
    /// A suite this host does not know.
    UnknownSuite(u8),
    /// The encapsulated key is not a valid X25519 point.
    BadEncapsulatedKey,
    /// HPKE decryption failed: tampered, or sealed for another host key or account.
    Refused,
    /// The frame inside is malformed (kind, length, non-zero filler, Olm encoding).
    BadFrame,
    /// A normal Olm message from a sender with no session here.
    UnknownSession,
    /// A message already opened (its message key or one-time key is used up).
    Replayed,
    /// Olm refused the message (a bad MAC, a key mismatch, too large a gap).
    Ratchet,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort => f.write_str("open: the sealed payload is too short"),
            Self::UnknownSuite(s) => write!(f, "open: unknown sealing suite {s}"),
            Self::BadEncapsulatedKey => f.write_str("open: invalid encapsulated key"),
            Self::Refused => {
                f.write_str("open: the payload was tampered with or sealed for someone else")
            }
            Self::BadFrame => f.write_str("open: malformed frame"),
            Self::UnknownSession => f.write_str("open: no ratchet session with the sender"),
            Self::Replayed => f.write_str("open: the payload was already opened"),
            Self::Ratchet => f.write_str("open: the ratchet refused the message"),
        }
    }
}

impl std::error::Error for OpenError {}

/// Why an offer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferError {
    /// Not [`OFFER_LEN`] bytes.
    WrongLength,
    /// A key that yields no contributory Diffie-Hellman (a low-order point).
    BadKey,
}

impl fmt::Display for OfferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength => write!(f, "offer: not {OFFER_LEN} bytes"),
            Self::BadKey => f.write_str("offer: an unusable key"),
        }
    }
}

impl std::error::Error for OfferError {}

/// A host's end-to-end state: its HPKE key pair, its Olm account, and per peer its Olm
/// sessions, the one to send with last (the latest started or the latest that opened a
/// message).
///
/// Every operation that returns `&mut self` changes state that must be saved
/// ([`E2eState::to_bytes`]) before its result leaves the host.
pub struct E2eState {
    me: AccountBytes,
    hpke_secret: <Kem as hpke::Kem>::PrivateKey,
    olm: Account,
    sessions: BTreeMap<AccountBytes, Vec<Session>>,
}

impl fmt::Debug for E2eState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("E2eState")
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl E2eState {
    /// A fresh state for account `me`: an HPKE key pair from `rng`, an Olm account (vodozemac
    /// draws its own keys from the OS).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R, me: AccountBytes) -> Self {
        let mut ikm = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(ikm.as_mut());
        let (hpke_secret, _) = Kem::derive_keypair(ikm.as_ref());
        Self {
            me,
            hpke_secret,
            olm: Account::new(),
            sessions: BTreeMap::new(),
        }
    }

    /// The account this state belongs to (the associated data of payloads sealed to it).
    pub fn account(&self) -> AccountBytes {
        self.me
    }

    /// The host key to put in the certificate: [`HOST_KEY_SUITE`] then the X25519 public key.
    pub fn host_key(&self) -> [u8; HOST_KEY_LEN] {
        let mut out = [0u8; HOST_KEY_LEN];
        out[0] = HOST_KEY_SUITE;
        out[1..].copy_from_slice(&Kem::sk_to_pk(&self.hpke_secret).to_bytes());
        out
    }

    /// An offer for a cold call's introduction: the Olm identity key and a fresh one-time key.
    /// The state changed (the one-time key's secret): save it before sending.
    pub fn offer(&mut self) -> [u8; OFFER_LEN] {
        let created = self.olm.generate_one_time_keys(1).created;
        self.olm.mark_keys_as_published();
        let mut out = [0u8; OFFER_LEN];
        out[..KEY_LEN].copy_from_slice(self.olm.curve25519_key().as_bytes());
        if let Some(key) = created.first() {
            out[KEY_LEN..].copy_from_slice(key.as_bytes());
        }
        out
    }

    /// Starts the Olm session to `peer` from the offer in its cold call (replacing any earlier
    /// session with it). Later payloads to `peer` go through [`E2eState::seal`].
    pub fn accept_offer(&mut self, peer: &AccountBytes, offer: &[u8]) -> Result<(), OfferError> {
        if offer.len() != OFFER_LEN {
            return Err(OfferError::WrongLength);
        }
        let (identity, one_time) = offer.split_at(KEY_LEN);
        let identity = Curve25519PublicKey::from_slice(identity).map_err(|_| OfferError::BadKey)?;
        let one_time = Curve25519PublicKey::from_slice(one_time).map_err(|_| OfferError::BadKey)?;
        let session = self
            .olm
            .create_outbound_session(olm_config(), identity, one_time)
            .map_err(|_| OfferError::BadKey)?;
        self.keep(*peer, session);
        Ok(())
    }

    /// Whether an Olm session with `peer` exists (so [`E2eState::seal`] can reach it).
    pub fn has_session(&self, peer: &AccountBytes) -> bool {
        self.sessions.get(peer).is_some_and(|s| !s.is_empty())
    }

    /// Seals a first contact (the padded cold call) to the recipient's host key: HPKE only.
    pub fn seal_first_contact<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        recipient_host_key: &[u8],
        recipient: &AccountBytes,
        padded: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let public = parse_host_key(recipient_host_key)?;
        let frame = frame::encode(frame::Kind::FirstContact, &self.me, padded, padded.len())?;
        hpke_seal(rng, &public, recipient, &frame)
    }

    /// Seals a padded payload to `recipient` through its Olm session, then HPKE to its host
    /// key. The ratchet advanced: save the state before sending.
    pub fn seal<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        recipient_host_key: &[u8],
        recipient: &AccountBytes,
        padded: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let public = parse_host_key(recipient_host_key)?;
        if padded.is_empty() {
            return Err(SealError::PayloadNotPadded);
        }
        let session = self
            .sessions
            .get_mut(recipient)
            .and_then(|sessions| sessions.last_mut())
            .ok_or(SealError::NoSession)?;
        // Encrypt a copy of the session first: a frame that does not fit leaves no trace.
        let mut trial = Session::from_pickle(session.pickle());
        let message = trial
            .encrypt(padded)
            .map_err(|e| SealError::Hpke(e.to_string()))?;
        let (kind, body) = match &message {
            OlmMessage::PreKey(m) => (frame::Kind::PreKey, m.to_bytes()),
            OlmMessage::Normal(m) => (frame::Kind::Normal, m.to_bytes()),
        };
        let frame = frame::encode(kind, &self.me, &body, padded.len())?;
        let sealed = hpke_seal(rng, &public, recipient, &frame)?;
        *session = trial;
        Ok(sealed)
    }

    /// Opens a payload sealed for this host's account. A refusal changes no state; a
    /// [`OpenError::Replayed`] is a duplicate delivery the host acknowledges and drops.
    pub fn open(&mut self, sealed: &[u8]) -> Result<Opened, OpenError> {
        let frame = hpke_open(&self.hpke_secret, &self.me, sealed)?;
        let (kind, sender, body) = frame::decode(&frame)?;
        match kind {
            frame::Kind::FirstContact => Ok(Opened {
                sender,
                kind: SealKind::FirstContact,
                payload: body.to_vec(),
            }),
            frame::Kind::PreKey => self.open_pre_key(sender, body),
            frame::Kind::Normal => self.open_normal(sender, body),
        }
    }

    fn open_pre_key(&mut self, sender: AccountBytes, body: &[u8]) -> Result<Opened, OpenError> {
        let message =
            vodozemac::olm::PreKeyMessage::from_bytes(body).map_err(|_| OpenError::BadFrame)?;
        // A later pre-key message of a session already started decrypts in that session.
        let known = self.sessions.get(&sender).and_then(|sessions| {
            sessions
                .iter()
                .position(|s| s.session_id() == message.session_id())
        });
        if let Some(index) = known {
            let mut session = self.take_session(&sender, index);
            let opened = decrypt(&mut session, &OlmMessage::PreKey(message));
            return self.settle(sender, index, opened, session);
        }
        let created = self
            .olm
            .create_inbound_session(olm_config(), message.identity_key(), &message)
            .map_err(|e| match e {
                // Its one-time key was used up by the first opening.
                vodozemac::olm::SessionCreationError::MissingOneTimeKey(_) => OpenError::Replayed,
                _ => OpenError::Ratchet,
            })?;
        self.keep(sender, created.session);
        Ok(ratchet(sender, created.plaintext))
    }

    fn open_normal(&mut self, sender: AccountBytes, body: &[u8]) -> Result<Opened, OpenError> {
        let message = vodozemac::olm::Message::from_bytes(body).map_err(|_| OpenError::BadFrame)?;
        let message = OlmMessage::Normal(message);
        let count = self.sessions.get(&sender).map_or(0, Vec::len);
        if count == 0 {
            return Err(OpenError::UnknownSession);
        }
        // Newest first; a session the message is not for refuses it and stays as it was.
        let mut refusal = OpenError::Ratchet;
        for index in (0..count).rev() {
            let mut session = self.take_session(&sender, index);
            let opened = decrypt(&mut session, &message);
            match self.settle(sender, index, opened, session) {
                Ok(opened) => return Ok(opened),
                Err(OpenError::Replayed) => refusal = OpenError::Replayed,
                Err(_) => {}
            }
        }
        Err(refusal)
    }

    /// Removes and returns session `index` of `peer` (which exists).
    fn take_session(&mut self, peer: &AccountBytes, index: usize) -> Session {
        self.sessions
            .get_mut(peer)
            .map(|sessions| sessions.remove(index))
            .unwrap_or_else(|| unreachable!("the caller found the session"))
    }

    /// Puts a session taken out for decryption back: last (the one to send with) if it
    /// opened the message, where it was otherwise.
    fn settle(
        &mut self,
        peer: AccountBytes,
        index: usize,
        opened: Result<Vec<u8>, OpenError>,
        session: Session,
    ) -> Result<Opened, OpenError> {
        let sessions = self.sessions.entry(peer).or_default();
        match opened {
            Ok(payload) => {
                sessions.push(session);
                Ok(ratchet(peer, payload))
            }
            Err(e) => {
                sessions.insert(index.min(sessions.len()), session);
                Err(e)
            }
        }
    }

    /// Keeps a new session with `peer` as the one to send with, dropping the oldest beyond
    /// [`MAX_SESSIONS_PER_PEER`].
    fn keep(&mut self, peer: AccountBytes, session: Session) {
        let sessions = self.sessions.entry(peer).or_default();
        sessions.push(session);
        if sessions.len() > MAX_SESSIONS_PER_PEER {
            sessions.remove(0);
        }
    }

    /// The whole state, versioned and canonical (SPEC 17.7), holding secrets: store it as such.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        state::encode(self)
    }

    /// A state from [`E2eState::to_bytes`]; anything else (truncated, trailing bytes, an
    /// unknown version, a non-canonical encoding) is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
        state::decode(bytes)
    }
}

fn ratchet(sender: AccountBytes, payload: Vec<u8>) -> Opened {
    Opened {
        sender,
        kind: SealKind::Ratchet,
        payload,
    }
}

/// Decrypts in `session`, which vodozemac leaves unchanged on failure.
fn decrypt(session: &mut Session, message: &OlmMessage) -> Result<Vec<u8>, OpenError> {
    session.decrypt(message).map_err(|e| match e {
        vodozemac::olm::DecryptionError::MissingMessageKey(_) => OpenError::Replayed,
        _ => OpenError::Ratchet,
    })
}

fn parse_host_key(key: &[u8]) -> Result<<Kem as hpke::Kem>::PublicKey, SealError> {
    if key.is_empty() {
        return Err(SealError::NoHostKey);
    }
    let (&suite, public) = key.split_first().ok_or(SealError::NoHostKey)?;
    if suite != HOST_KEY_SUITE || public.len() != KEY_LEN {
        return Err(SealError::UnsupportedHostKey);
    }
    <Kem as hpke::Kem>::PublicKey::from_bytes(public).map_err(|_| SealError::UnsupportedHostKey)
}

fn hpke_seal<R: CryptoRng + ?Sized>(
    rng: &mut R,
    public: &<Kem as hpke::Kem>::PublicKey,
    recipient: &AccountBytes,
    frame: &[u8],
) -> Result<Vec<u8>, SealError> {
    let mut rng = Adapter(rng);
    let (encapped, ciphertext) =
        hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeS::Base,
            public,
            SEAL_INFO,
            frame,
            recipient,
            &mut rng,
        )
        .map_err(|e| SealError::Hpke(e.to_string()))?;
    let mut out = Vec::with_capacity(1 + KEY_LEN + ciphertext.len());
    out.push(HOST_KEY_SUITE);
    out.extend_from_slice(&encapped.to_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn hpke_open(
    secret: &<Kem as hpke::Kem>::PrivateKey,
    me: &AccountBytes,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let (&suite, rest) = sealed.split_first().ok_or(OpenError::TooShort)?;
    if suite != HOST_KEY_SUITE {
        return Err(OpenError::UnknownSuite(suite));
    }
    if rest.len() < KEY_LEN + TAG_LEN {
        return Err(OpenError::TooShort);
    }
    let (encapped, ciphertext) = rest.split_at(KEY_LEN);
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped)
        .map_err(|_| OpenError::BadEncapsulatedKey)?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        secret,
        &encapped,
        SEAL_INFO,
        ciphertext,
        me,
    )
    .map(Zeroizing::new)
    .map_err(|_| OpenError::Refused)
}

/// Lets an unsized generator stand where hpke wants a sized one.
struct Adapter<'a, R: ?Sized>(&'a mut R);

impl<R: CryptoRng + ?Sized> rand_core::TryRng for Adapter<'_, R> {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: CryptoRng + ?Sized> rand_core::TryCryptoRng for Adapter<'_, R> {}

#[cfg(test)]
mod tests;
