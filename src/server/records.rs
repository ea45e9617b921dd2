//! The server's store layout: keys and the encodings of stored values (SPEC.md 12.1).
//!
//! Every key starts with a one-byte namespace. Values are versioned like every other encoding;
//! a value that does not decode is reported as a storage failure.

use crate::account::AccountId;
use crate::bbs04::GroupPublicKey;
use crate::certificate::{Certificate, EncodedCertificate, PhoneNumber};
use crate::encoding::{dst_len, Reader};
use crate::store::StoreError;
use crate::verification_code::CodeSession;
use crate::wire::codec::{
    codec_enum, codec_struct, message_bytes, read_tag, tags, Bytes, Decode, Encode, Format, Own,
    U16,
};
use crate::wire::{DeliveryHandle, WireError};
use crate::Time;
use alloc::vec::Vec;
use core::fmt;
use sha2::{Digest, Sha256};

const RECORD_VERSION: u8 = 1;

/// `a || account` -> [`AccountRecord`].
pub(super) fn account_key(account: &AccountId) -> Vec<u8> {
    key(b'a', &[account.as_bytes()])
}

/// `p || phone` -> account id of the phone number's current account.
pub(super) fn phone_key(phone: &PhoneNumber) -> Vec<u8> {
    key(b'p', &[phone.as_bytes()])
}

/// `k || account || u32 generation` -> the encoded checkpoint of that generation (SPEC.md
/// 4.15): one per account, the current generation's, besides at most one left by an
/// interrupted upload.
pub(super) fn checkpoint_key(account: &AccountId, generation: u32) -> Vec<u8> {
    key(b'k', &[account.as_bytes(), &generation.to_be_bytes()])
}

/// `t || token id` -> [`TokenState`] of a cold-call token.
pub(super) fn token_key(token_id: &[u8; 32]) -> Vec<u8> {
    key(b't', &[token_id])
}

/// `h || handle` -> token id || recipient: which token a delivery handle releases.
pub(super) fn handle_key(handle: &DeliveryHandle) -> Vec<u8> {
    key(b'h', &[&handle.0])
}

/// `s || signature digest` -> empty: replies accepted within the skew window.
pub(super) fn seen_reply_key(digest: &[u8; 32]) -> Vec<u8> {
    key(b's', &[digest])
}

/// `A || credential digest` -> empty: credentials of the authenticated channel accepted
/// within the skew window (SPEC.md 17.2).
pub(super) fn seen_auth_key(digest: &[u8; 32]) -> Vec<u8> {
    key(b'A', &[digest])
}

/// `v || phone || session` -> [`CodeSessionRecord`]: a code request and whether its code
/// registered.
pub(super) fn code_session_key(phone: &PhoneNumber, session: &CodeSession) -> Vec<u8> {
    key(b'v', &[phone.as_bytes(), session.as_bytes()])
}

/// `g || phone || session` -> counter of the code checks made for the session.
pub(super) fn code_attempts_key(phone: &PhoneNumber, session: &CodeSession) -> Vec<u8> {
    key(b'g', &[phone.as_bytes(), session.as_bytes()])
}

/// `C || u64 period || phone` -> counter of code requests (SMS sent) to the number.
pub(super) fn code_requests_key(phone: &PhoneNumber, period: u64) -> Vec<u8> {
    key(b'C', &[&period.to_be_bytes(), phone.as_bytes()])
}

/// `R || u64 period || phone` -> counter of registrations of the number.
pub(super) fn registrations_key(phone: &PhoneNumber, period: u64) -> Vec<u8> {
    key(b'R', &[&period.to_be_bytes(), phone.as_bytes()])
}

/// `i || phone` -> u64 issued_at || request digest: the last token issuance to a number.
pub(super) fn issuance_key(phone: &PhoneNumber) -> Vec<u8> {
    key(b'i', &[phone.as_bytes()])
}

/// `n` -> the certificate serial counter.
pub(super) const SERIAL_KEY: &[u8] = b"n";

/// `d || u64 window || phone` -> discovery tokens issued to the phone number's accounts in the
/// window (keyed by the number, so a re-registration does not reset it).
pub(super) fn discovery_issued_key(phone: &PhoneNumber, window: u64) -> Vec<u8> {
    key(b'd', &[&window.to_be_bytes(), phone.as_bytes()])
}

/// `D || token id` -> digest of the batch it paid for: discovery tokens spent (until their
/// window ends).
pub(super) fn discovery_spent_key(token_id: &[u8; 32]) -> Vec<u8> {
    key(b'D', &[token_id])
}

/// `q || batch digest` -> empty: discovery issuances already counted (until the window ends).
pub(super) fn discovery_batch_key(digest: &[u8; 32]) -> Vec<u8> {
    key(b'q', &[digest])
}

/// `S || stamp id` -> empty: spent reputation stamps (until their key expires).
pub(super) fn stamp_spent_key(stamp_id: &[u8; 32]) -> Vec<u8> {
    key(b'S', &[stamp_id])
}

/// `E || phone` -> counter: tokens the number's accounts earned with stamps, in all.
pub(super) fn earned_key(phone: &PhoneNumber) -> Vec<u8> {
    key(b'E', &[phone.as_bytes()])
}

/// `e || u64 period || phone` -> counter: stamps credited to the number in a period.
pub(super) fn earned_period_key(phone: &PhoneNumber, period: u64) -> Vec<u8> {
    key(b'e', &[&period.to_be_bytes(), phone.as_bytes()])
}

/// `r || batch digest` -> `[consumed, credited]`: redemptions already counted.
pub(super) fn redemption_key(digest: &[u8; 32]) -> Vec<u8> {
    key(b'r', &[digest])
}

/// `b || u64 period || phone` -> counter: bulk-tier tokens granted to the number in a period.
pub(super) fn bulk_granted_key(phone: &PhoneNumber, period: u64) -> Vec<u8> {
    key(b'b', &[&period.to_be_bytes(), phone.as_bytes()])
}

/// `c || batch digest` -> `[granted]`: bulk claims already counted.
pub(super) fn bulk_claim_key(digest: &[u8; 32]) -> Vec<u8> {
    key(b'c', &[digest])
}

fn key(namespace: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(namespace);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// `SHA-256(vec8(dst) || parts...)`: the digests the server keys state by. `dst` is one of the
/// server's constant tags, all shorter than 256 bytes.
pub(super) fn digest(dst: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([dst_len(dst)]);
    h.update(dst);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The most bytes of a stored certificate.
const MAX_CERTIFICATE_LEN: usize = 1024;
/// A certificate behind its `vec16` length.
type CertificateField = Bytes<U16, MAX_CERTIFICATE_LEN>;

/// The store failure of a value that does not decode.
fn corrupt<E: fmt::Display>(what: &'static str) -> impl Fn(E) -> StoreError {
    move |e| StoreError::new(alloc::format!("stored {what} does not decode: {e}"))
}

/// `u8 version = 1 || value`: the encoding of every stored record.
fn record_bytes<T: Encode>(value: &T, what: &'static str) -> Vec<u8> {
    // Stored records hold only fields whose types bound them (phone numbers, certificates,
    // fixed-size keys and digests), so the encoding never stops short.
    message_bytes(|w| {
        w.u8(RECORD_VERSION);
        value.encode(w, what)
    })
}

/// Decodes `u8 version = 1 || value` with nothing left over.
fn record_from_bytes<T: Decode>(bytes: &[u8], what: &'static str) -> Result<T, StoreError> {
    let mut r = Reader::new(bytes);
    let value = read_version(&mut r, what)
        .and_then(|()| T::decode(&mut r, what))
        .map_err(corrupt(what))?;
    r.finish(what).map_err(corrupt(what))?;
    Ok(value)
}

fn read_version(r: &mut Reader<'_>, what: &'static str) -> Result<(), WireError> {
    Ok(r.version(what, RECORD_VERSION)?)
}

/// What the server knows about an account.
#[derive(Clone, Debug)]
pub(super) struct AccountRecord {
    pub(super) phone: PhoneNumber,
    pub(super) certificate: Certificate,
    pub(super) group_key: GroupPublicKey,
    /// The generation the group key had when it was registered or rotated: a checkpoint
    /// exists for the current generation if it is later.
    pub(super) base_generation: u32,
}

codec_struct!(AccountRecord {
    phone: Own = "account.phone",
    certificate: CertificateField = "account.certificate",
    group_key: Own = "account.group_key",
    base_generation: Own = "account.base_generation",
});

impl AccountRecord {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        record_bytes(self, "account record")
    }

    /// The phone number of an encoded record, decoding nothing after it.
    pub(super) fn phone_from_bytes(bytes: &[u8]) -> Result<PhoneNumber, StoreError> {
        let mut r = Reader::new(bytes);
        read_version(&mut r, "account record")
            .and_then(|()| PhoneNumber::decode(&mut r, "account.phone"))
            .map_err(corrupt("account record"))
    }

    /// The certificate of an encoded record as it was stored, its points not decoded: a lookup
    /// passes it on, and the client decodes and verifies it (SPEC.md 14.3).
    pub(super) fn certificate_bytes(bytes: &[u8]) -> Result<EncodedCertificate, StoreError> {
        let mut r = Reader::new(bytes);
        read_version(&mut r, "account record")
            .and_then(|()| PhoneNumber::decode(&mut r, "account.phone"))
            .and_then(|_| {
                <CertificateField as Format<EncodedCertificate>>::read(
                    &mut r,
                    "account.certificate".into(),
                )
            })
            .map_err(corrupt("account record"))
    }

    /// The encoded group key and the base generation of an encoded record, decoding neither
    /// the certificate nor the key: the hot paths (replies, group key fetches) find the key in
    /// the prepared-key cache by these bytes.
    pub(super) fn group_key_fields(bytes: &[u8]) -> Result<(&[u8], u32), StoreError> {
        let mut r = Reader::new(bytes);
        let fields = read_version(&mut r, "account record")
            .and_then(|()| PhoneNumber::decode(&mut r, "account.phone"))
            .and_then(|_| {
                <Bytes<U16, MAX_CERTIFICATE_LEN> as Format<Vec<u8>>>::read(
                    &mut r,
                    "account.certificate".into(),
                )
            })
            .and_then(|_| Ok(r.bytes("account.group_key", GroupPublicKey::SIZE)?))
            .map_err(corrupt("account record"))?;
        let base_generation =
            u32::decode(&mut r, "account.base_generation").map_err(corrupt("account record"))?;
        r.finish("account record")
            .map_err(corrupt("account record"))?;
        Ok((fields, base_generation))
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        record_from_bytes(bytes, "account record")
    }
}

/// The state of a cold-call token the server has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TokenState {
    /// Attached to a recipient under a handle, for a payload with this digest.
    Attached {
        recipient: AccountId,
        handle: DeliveryHandle,
        payload_digest: [u8; 32],
    },
    /// Released by its recipient; the sender may renew it once. The recipient and payload
    /// digest stay, so a resend of the cold call is still recognised as one (SPEC.md 12.3).
    Released {
        recipient: AccountId,
        payload_digest: [u8; 32],
    },
    /// Renewed for the token request with this digest.
    Renewed { request_digest: [u8; 32] },
}

tags! {
    /// The kind byte of a [`TokenState`].
    enum TokenStateKind {
        Attached = 1,
        Released = 2,
        Renewed = 3,
    }
}

impl TokenStateKind {
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "token_state.kind", "token_state.kind", Self::from_u8)
    }
}

codec_enum! {
    TokenState by TokenStateKind::read {
        Attached {
            recipient: Own = "token_state.recipient",
            handle: Own = "token_state.handle",
            payload_digest: Own = "token_state.payload_digest",
        },
        Released {
            recipient: Own = "token_state.recipient",
            payload_digest: Own = "token_state.payload_digest",
        },
        Renewed { request_digest: Own = "token_state.request_digest" },
    }
}

/// A token's state and when its token key expires. The state is kept for the migration window
/// after that (SPEC.md 12.4), so a token released just before its key expired can still be
/// renewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct StoredToken {
    pub(super) expires: Time,
    pub(super) state: TokenState,
}

codec_struct!(StoredToken {
    expires: Own = "token_state.expires",
    state: Own = "token_state",
});

impl StoredToken {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        record_bytes(self, "token state")
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        record_from_bytes(bytes, "token state")
    }
}

/// Which token a delivery handle names, and its recipient.
pub(super) struct HandleRecord {
    pub(super) token_id: [u8; 32],
    pub(super) recipient: AccountId,
}

codec_struct!(HandleRecord {
    token_id: Own = "handle.token_id",
    recipient: Own = "handle.recipient",
});

impl HandleRecord {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        record_bytes(self, "handle record")
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        record_from_bytes(bytes, "handle record")
    }
}

/// The last token issuance to a phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct IssuanceRecord {
    pub(super) issued_at: Time,
    pub(super) requests_digest: [u8; 32],
}

codec_struct!(IssuanceRecord {
    issued_at: Own = "issuance.issued_at",
    requests_digest: Own = "issuance.requests_digest",
});

impl IssuanceRecord {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        record_bytes(self, "issuance record")
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        record_from_bytes(bytes, "issuance record")
    }
}

/// A code request (SPEC.md 9): the window it was made in (its code is derived for that window)
/// and whether the code has registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct CodeSessionRecord {
    pub(super) window: u64,
    pub(super) state: CodeSessionState,
}

/// Whether a code session's code is still open for a registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum CodeSessionState {
    /// No registration has used the code yet.
    Open,
    /// The registration request with this digest used the code.
    Used { request_digest: [u8; 32] },
    /// The code was consumed by a registration the registration limit then refused: no
    /// request, not even a resend of that one, can use it.
    Burned,
}

tags! {
    /// The kind byte of a [`CodeSessionState`].
    enum CodeSessionKind {
        Open = 1,
        Used = 2,
        Burned = 3,
    }
}

impl CodeSessionKind {
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "code_session.state", "code_session.state", Self::from_u8)
    }
}

codec_enum! {
    CodeSessionState by CodeSessionKind::read {
        Open {},
        Used { request_digest: Own = "code_session.request_digest" },
        Burned {},
    }
}

codec_struct!(CodeSessionRecord {
    window: Own = "code_session.window",
    state: Own = "code_session.state",
});

impl CodeSessionRecord {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        record_bytes(self, "code session")
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        record_from_bytes(bytes, "code session")
    }
}
