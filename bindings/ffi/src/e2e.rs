//! End-to-end sealing for the languages' hosts (SPEC.md 17.7): the [`EndToEnd`] object wraps
//! `blindpost-e2e`'s state (the host's HPKE key pair, its Olm account and its Olm sessions per
//! contact), the one implementation every host of this repository seals with.
//!
//! Its randomness is the operating system's (HPKE's through [`crate::rng::os_rng`], Olm's its
//! own), so sealed bytes differ on every run even where a client draws from a `VectorRng`.

use crate::error::BlindpostError;
use crate::rng::os_rng;
use crate::wire::account_id;
use blindpost_e2e::{E2eState, SealKind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A payload opened by [`EndToEnd::open`].
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct OpenedPayload {
    /// The 32-byte account id of the sender, as the sealed frame names it: the host checks that
    /// the client's event names the same contact.
    pub sender: Vec<u8>,
    /// The padded payload, for `Client::handle_delivery`.
    pub payload: Vec<u8>,
    /// Sealed as a first contact (HPKE alone, no ratchet): only a cold call may be.
    pub first_contact: bool,
}

/// A host's end-to-end state. Every method locks it, so the object may be shared between
/// threads. Persist `to_bytes()` with the client's state in one write: after every seal
/// (before the request leaves), after every open (before the acknowledgement), and after
/// `offer` and `accept_offer`.
#[derive(uniffi::Object)]
pub struct EndToEnd {
    inner: Mutex<E2eState>,
}

impl EndToEnd {
    fn wrap(inner: E2eState) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(inner),
        })
    }

    fn lock(&self) -> MutexGuard<'_, E2eState> {
        // No call into the state panics, so the lock is never poisoned; if it were, the state
        // inside is consistent because every call either completes or changes nothing.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl EndToEnd {
    /// A new state for the account `account` (32 bytes): a fresh HPKE key pair and Olm account
    /// from the operating system's randomness.
    #[uniffi::constructor]
    pub fn generate(account: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        let account = account_id("account", &account)?;
        let mut rng = os_rng()?;
        Ok(Self::wrap(E2eState::generate(&mut rng, account.0)))
    }

    /// Restores a state from `to_bytes()`.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Self::wrap(E2eState::from_bytes(&bytes)?))
    }

    /// The state to persist (secret: it holds the HPKE secret key and the Olm sessions).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.lock().to_bytes().to_vec()
    }

    /// The 32-byte account id this state belongs to.
    pub fn account(&self) -> Vec<u8> {
        self.lock().account().to_vec()
    }

    /// The host key to register in the certificate (33 bytes: the suite byte, the X25519 key).
    pub fn host_key(&self) -> Vec<u8> {
        self.lock().host_key().to_vec()
    }

    /// A fresh offer (64 bytes): the host material of a cold call. Changes the state (a new
    /// one-time key): persist it before the cold call leaves.
    pub fn offer(&self) -> Vec<u8> {
        self.lock().offer().to_vec()
    }

    /// Accepts the offer `offer` of the cold call from `peer` (32 bytes): starts the Olm
    /// session replies to it go through.
    pub fn accept_offer(&self, peer: Vec<u8>, offer: Vec<u8>) -> Result<(), BlindpostError> {
        let peer = account_id("peer", &peer)?;
        Ok(self.lock().accept_offer(&peer.0, &offer)?)
    }

    /// Whether there is an Olm session with `peer` (32 bytes).
    pub fn has_session(&self, peer: Vec<u8>) -> Result<bool, BlindpostError> {
        let peer = account_id("peer", &peer)?;
        Ok(self.lock().has_session(&peer.0))
    }

    /// Seals a cold call's padded introduction `padded` for `recipient` (32 bytes) to its host
    /// key `recipient_host_key` (from its certificate), with HPKE alone.
    pub fn seal_first_contact(
        &self,
        recipient_host_key: Vec<u8>,
        recipient: Vec<u8>,
        padded: Vec<u8>,
    ) -> Result<Vec<u8>, BlindpostError> {
        let recipient = account_id("recipient", &recipient)?;
        let mut rng = os_rng()?;
        Ok(self
            .lock()
            .seal_first_contact(&mut rng, &recipient_host_key, &recipient.0, &padded)?)
    }

    /// Seals a padded payload `padded` for the contact `recipient` (32 bytes): encrypted in the
    /// Olm session with it, then sealed to its host key. Changes the state (a ratchet step):
    /// persist it before the payload leaves, and resend the same bytes rather than seal again.
    pub fn seal(
        &self,
        recipient_host_key: Vec<u8>,
        recipient: Vec<u8>,
        padded: Vec<u8>,
    ) -> Result<Vec<u8>, BlindpostError> {
        let recipient = account_id("recipient", &recipient)?;
        let mut rng = os_rng()?;
        Ok(self
            .lock()
            .seal(&mut rng, &recipient_host_key, &recipient.0, &padded)?)
    }

    /// Opens a sealed payload (`delivery_sealed_payload`). A payload that does not open
    /// (tampered, misdirected, replayed, of an unknown session) is refused with
    /// `BlindpostError::EndToEnd` and changes nothing.
    pub fn open(&self, sealed: Vec<u8>) -> Result<OpenedPayload, BlindpostError> {
        let opened = self.lock().open(&sealed)?;
        Ok(OpenedPayload {
            sender: opened.sender.to_vec(),
            payload: opened.payload,
            first_contact: matches!(opened.kind, SealKind::FirstContact),
        })
    }
}
