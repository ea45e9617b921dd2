//! What a host does around its client's payloads (SPEC.md 17.7): seals what the client
//! composes and opens what it receives, with [`blindpost_e2e`].
//!
//! - A cold call carries a fresh Olm offer as the introduction's host material (the
//!   introduction's signature covers it) and is sealed to the recipient's host key alone
//!   ([`seal_cold_call`]).
//! - The recipient's host accepts the offer when its client reports the cold call, which
//!   starts the Olm session its replies go through; every later payload, either way, is sealed
//!   in that session ([`seal_reply`]).
//! - A delivery is opened, handed to the client, and the client's event checked against the
//!   sender the sealing names ([`open_delivery`]).
//!
//! These are free functions over a [`Client`] and an [`E2eState`] so that every host (the
//! CLI's [`crate::runner::Host`], the live walkthrough) runs the same steps; saving is the
//! caller's.

use blindpost::account::AccountId;
use blindpost::certificate::Certificate;
use blindpost::client::{Client, ClientError, Event};
use blindpost::wire::{Delivery, WireError};
use blindpost::Time;
use blindpost_e2e::{AccountBytes, E2eState, OfferError, OpenError, Opened, SealError, SealKind};
use rand::CryptoRng;
use std::fmt;

/// Why a payload could not be composed or sealed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ComposeError {
    /// The client refused to compose it (or knows no such contact).
    Client(ClientError),
    /// It could not be sealed (no host key, no session with the contact, ...).
    Seal(SealError),
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(e) => e.fmt(f),
            Self::Seal(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ComposeError {}

impl From<ClientError> for ComposeError {
    fn from(e: ClientError) -> Self {
        Self::Client(e)
    }
}

impl From<SealError> for ComposeError {
    fn from(e: SealError) -> Self {
        Self::Seal(e)
    }
}

/// Why a delivery was not handed over, or its message not shown.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeliveryRefused {
    /// The delivery does not decode.
    Malformed(WireError),
    /// The sealed payload did not open (tampered, misdirected, replayed, or of an unknown
    /// session); nothing changed.
    Open(OpenError),
    /// The client refused the opened payload; nothing changed in the client.
    Client(ClientError),
    /// The payload was sealed as `sealed_by`, but the client found it from `contact`: one
    /// account sealed a message another signed. Its message is not shown.
    SenderMismatch {
        /// The sender the sealed frame names.
        sealed_by: AccountBytes,
        /// The contact the client's checks found.
        contact: AccountId,
    },
    /// A payload sealed as a first contact (HPKE alone) that is not a cold call: only a cold
    /// call may come without the ratchet. Its message is not shown.
    FirstContactNotColdCall,
    /// A cold call whose offer cannot start an Olm session (no reply could be sealed to its
    /// sender). Its message is not shown.
    Offer(OfferError),
}

impl fmt::Display for DeliveryRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "the delivery does not decode: {e}"),
            Self::Open(e) => e.fmt(f),
            Self::Client(e) => e.fmt(f),
            Self::SenderMismatch { sealed_by, contact } => write!(
                f,
                "sealed by {} but signed by {}",
                hex::encode(sealed_by),
                hex::encode(contact.as_bytes())
            ),
            Self::FirstContactNotColdCall => {
                f.write_str("a message sealed without the ratchet that is not a cold call")
            }
            Self::Offer(e) => write!(f, "the cold call's end-to-end offer was refused: {e}"),
        }
    }
}

impl std::error::Error for DeliveryRefused {}

/// Composes a cold call to `certificate`'s account carrying `message`: a fresh offer from
/// `e2e` as the host material, the introduction sealed to the recipient's host key. Returns the
/// recipient and the sealed payload, for [`Client::send_cold_call`]. `e2e` changed (the
/// offer's one-time key): save it with the client before the cold call leaves.
pub fn seal_cold_call<R: CryptoRng + ?Sized>(
    client: &mut Client,
    e2e: &mut E2eState,
    rng: &mut R,
    now: Time,
    certificate: &Certificate,
    message: &[u8],
) -> Result<(AccountId, Vec<u8>), ComposeError> {
    let host_key = certificate.host_key().ok_or(SealError::NoHostKey)?;
    let recipient = AccountId::for_identity_key(&certificate.identity_key().to_bytes());
    let offer = e2e.offer();
    let intro = client.compose_introduction(rng, now, certificate, message, &offer)?;
    let sealed = e2e.seal_first_contact(rng, host_key.as_bytes(), recipient.as_bytes(), &intro)?;
    Ok((recipient, sealed))
}

/// Composes a reply to the contact `account` carrying `message`, encrypted in the Olm session
/// with it and sealed to its certificate's host key. Returns the sealed payload, for
/// [`Client::send_reply`]. `e2e` changed (a ratchet step): save it with the client before the
/// reply leaves, and resend these bytes rather than seal again.
pub fn seal_reply<R: CryptoRng + ?Sized>(
    client: &mut Client,
    e2e: &mut E2eState,
    rng: &mut R,
    now: Time,
    account: AccountId,
    message: &[u8],
) -> Result<Vec<u8>, ComposeError> {
    let certificate = client
        .contacts()
        .into_iter()
        .find(|c| c.account == account)
        .map(|c| c.certificate)
        .ok_or(ClientError::UnknownContact)?;
    let host_key = certificate.host_key().ok_or(SealError::NoHostKey)?;
    let payload = client.compose_reply(rng, now, account, message, b"")?;
    Ok(e2e.seal(rng, host_key.as_bytes(), account.as_bytes(), &payload)?)
}

/// Opens `delivery` (the bytes the server queued) with `e2e` and hands the payload to `client`;
/// returns the events the client made of it. A cold call's offer is accepted on the way,
/// which starts the Olm session replies to it go through.
///
/// A payload that does not open, or that the client refuses, changes neither `client` nor
/// `e2e`. The event's contact must be the sender the sealed frame names, a payload sealed
/// without the ratchet must be a cold call, and a cold call's offer must be usable: these are
/// checked once the client has taken the payload, so such a refusal drops the event (its
/// message is not shown) but not the client's change.
pub fn open_delivery(
    client: &mut Client,
    e2e: &mut E2eState,
    now: Time,
    delivery: &[u8],
) -> Result<Vec<Event>, DeliveryRefused> {
    let parsed = Delivery::from_bytes(delivery).map_err(DeliveryRefused::Malformed)?;
    // A payload the client refuses must leave the ratchet as it was, too.
    let before = e2e.to_bytes();
    let Opened {
        sender,
        kind,
        payload,
    } = e2e.open(parsed.sealed()).map_err(DeliveryRefused::Open)?;
    if let Err(e) = client.handle_delivery(now, delivery, &payload) {
        if let Ok(restored) = E2eState::from_bytes(&before) {
            *e2e = restored;
        }
        return Err(DeliveryRefused::Client(e));
    }
    let mut events = Vec::new();
    while let Some(event) = client.poll_event() {
        let (contact, cold_call, host_material) = match &event {
            Event::IntroductionReceived {
                contact,
                cold_call,
                host_material,
                ..
            } => (*contact, *cold_call, host_material.as_slice()),
            Event::MessageReceived { contact, .. } => (*contact, false, &[][..]),
            _ => {
                events.push(event);
                continue;
            }
        };
        if contact.as_bytes() != &sender {
            return Err(DeliveryRefused::SenderMismatch {
                sealed_by: sender,
                contact,
            });
        }
        match kind {
            SealKind::FirstContact if !cold_call => {
                return Err(DeliveryRefused::FirstContactNotColdCall)
            }
            SealKind::FirstContact => e2e
                .accept_offer(&sender, host_material)
                .map_err(DeliveryRefused::Offer)?,
            SealKind::Ratchet => {}
        }
        events.push(event);
    }
    Ok(events)
}
