//! The server's store layout: keys and the encodings of stored values (SPEC.md 12.1).
//!
//! Every key starts with a one-byte namespace. Values are versioned like every other encoding;
//! a value that does not decode is reported as a storage failure.

use crate::account::AccountId;
use crate::bbs04::GroupPublicKey;
use crate::certificate::{Certificate, PhoneNumber};
use crate::encoding::{Reader, Writer};
use crate::store::StoreError;
use crate::wire::DeliveryHandle;
use alloc::vec::Vec;
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

/// `r || account || u32 generation` -> the revocation record that produced that generation.
pub(super) fn revocation_key(account: &AccountId, generation: u32) -> Vec<u8> {
    key(b'r', &[account.as_bytes(), &generation.to_be_bytes()])
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

/// `c || u64 window || phone` -> counter of wrong codes in that window.
pub(super) fn code_failures_key(phone: &PhoneNumber, window: u64) -> Vec<u8> {
    key(b'c', &[&window.to_be_bytes(), phone.as_bytes()])
}

/// `i || phone` -> u64 issued_at || request digest: the last token issuance to a number.
pub(super) fn issuance_key(phone: &PhoneNumber) -> Vec<u8> {
    key(b'i', &[phone.as_bytes()])
}

/// `n` -> the certificate serial counter.
pub(super) const SERIAL_KEY: &[u8] = b"n";

/// `d || u64 window || account` -> discovery tokens issued to the account in the window.
pub(super) fn discovery_issued_key(account: &AccountId, window: u64) -> Vec<u8> {
    key(b'd', &[&window.to_be_bytes(), account.as_bytes()])
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

fn key(namespace: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(namespace);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// `SHA-256(vec8(dst) || parts...)`: the digests the server keys state by.
pub(super) fn digest(dst: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([dst.len() as u8]);
    h.update(dst);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::new(alloc::format!("stored {what} does not decode"))
}

/// What the server knows about an account.
#[derive(Clone, Debug)]
pub(super) struct AccountRecord {
    pub(super) phone: PhoneNumber,
    pub(super) certificate: Certificate,
    pub(super) group_key: GroupPublicKey,
    /// The generation the group key had when it was registered or rotated: revocation
    /// records exist for the generations after it.
    pub(super) base_generation: u32,
}

impl AccountRecord {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(RECORD_VERSION)
            .vec8(self.phone.as_bytes())
            .vec16(&self.certificate.to_bytes())
            .bytes(&self.group_key.to_bytes())
            .u32(self.base_generation);
        w.finish()
    }

    /// The certificate of an encoded record, decoding nothing else.
    pub(super) fn certificate_from_bytes(bytes: &[u8]) -> Result<Certificate, StoreError> {
        let bad = |_| corrupt("account record");
        let mut r = Reader::new(bytes);
        r.version("account.version", RECORD_VERSION).map_err(bad)?;
        r.vec8("account.phone", 16).map_err(bad)?;
        Certificate::from_bytes(r.vec16("account.certificate", 1024).map_err(bad)?)
            .map_err(|_| corrupt("account certificate"))
    }

    /// The encoded group key and the base generation of an encoded record, decoding nothing
    /// else: the hot paths (replies, group key fetches) find the key in the prepared-key cache
    /// by these bytes.
    pub(super) fn group_key_fields(bytes: &[u8]) -> Result<(&[u8], u32), StoreError> {
        let bad = |_| corrupt("account record");
        let mut r = Reader::new(bytes);
        r.version("account.version", RECORD_VERSION).map_err(bad)?;
        r.vec8("account.phone", 16).map_err(bad)?;
        r.vec16("account.certificate", 1024).map_err(bad)?;
        let key = r
            .bytes("account.group_key", GroupPublicKey::SIZE)
            .map_err(bad)?;
        let base_generation = r.u32("account.base_generation").map_err(bad)?;
        r.finish("account").map_err(bad)?;
        Ok((key, base_generation))
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let bad = |_| corrupt("account record");
        let mut r = Reader::new(bytes);
        r.version("account.version", RECORD_VERSION).map_err(bad)?;
        let phone = core::str::from_utf8(r.vec8("account.phone", 16).map_err(bad)?)
            .ok()
            .and_then(|s| PhoneNumber::parse(s).ok())
            .ok_or_else(|| corrupt("account phone"))?;
        let certificate =
            Certificate::from_bytes(r.vec16("account.certificate", 1024).map_err(bad)?)
                .map_err(|_| corrupt("account certificate"))?;
        let group_key = GroupPublicKey::from_bytes(
            r.bytes("account.group_key", GroupPublicKey::SIZE)
                .map_err(bad)?,
        )
        .map_err(|_| corrupt("account group key"))?;
        let base_generation = r.u32("account.base_generation").map_err(bad)?;
        r.finish("account").map_err(bad)?;
        Ok(Self {
            phone,
            certificate,
            group_key,
            base_generation,
        })
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
    /// Released by its recipient; the sender may renew it once.
    Released,
    /// Renewed for the token request with this digest.
    Renewed { request_digest: [u8; 32] },
}

/// A token's state and when it may be forgotten (when its token key expires, after which the
/// token no longer verifies anyway).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct StoredToken {
    pub(super) expires: u64,
    pub(super) state: TokenState,
}

impl StoredToken {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(RECORD_VERSION).u64(self.expires);
        match &self.state {
            TokenState::Attached {
                recipient,
                handle,
                payload_digest,
            } => {
                w.u8(1)
                    .bytes(recipient.as_bytes())
                    .bytes(&handle.0)
                    .bytes(payload_digest);
            }
            TokenState::Released => {
                w.u8(2);
            }
            TokenState::Renewed { request_digest } => {
                w.u8(3).bytes(request_digest);
            }
        }
        w.finish()
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let bad = |_| corrupt("token state");
        let mut r = Reader::new(bytes);
        r.version("token_state.version", RECORD_VERSION)
            .map_err(bad)?;
        let expires = r.u64("token_state.expires").map_err(bad)?;
        let state = match r.u8("token_state.kind").map_err(bad)? {
            1 => TokenState::Attached {
                recipient: AccountId(r.array("recipient").map_err(bad)?),
                handle: DeliveryHandle(r.array("handle").map_err(bad)?),
                payload_digest: r.array("payload_digest").map_err(bad)?,
            },
            2 => TokenState::Released,
            3 => TokenState::Renewed {
                request_digest: r.array("request_digest").map_err(bad)?,
            },
            _ => return Err(corrupt("token state kind")),
        };
        r.finish("token_state").map_err(bad)?;
        Ok(Self { expires, state })
    }
}

/// Which token a delivery handle names, and its recipient.
pub(super) struct HandleRecord {
    pub(super) token_id: [u8; 32],
    pub(super) recipient: AccountId,
}

impl HandleRecord {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(RECORD_VERSION)
            .bytes(&self.token_id)
            .bytes(self.recipient.as_bytes());
        w.finish()
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let bad = |_| corrupt("handle record");
        let mut r = Reader::new(bytes);
        r.version("handle.version", RECORD_VERSION).map_err(bad)?;
        let token_id = r.array("token_id").map_err(bad)?;
        let recipient = AccountId(r.array("recipient").map_err(bad)?);
        r.finish("handle").map_err(bad)?;
        Ok(Self {
            token_id,
            recipient,
        })
    }
}

/// The last token issuance to a phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct IssuanceRecord {
    pub(super) issued_at: u64,
    pub(super) requests_digest: [u8; 32],
}

impl IssuanceRecord {
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(RECORD_VERSION)
            .u64(self.issued_at)
            .bytes(&self.requests_digest);
        w.finish()
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let bad = |_| corrupt("issuance record");
        let mut r = Reader::new(bytes);
        r.version("issuance.version", RECORD_VERSION).map_err(bad)?;
        let issued_at = r.u64("issued_at").map_err(bad)?;
        let requests_digest = r.array("requests_digest").map_err(bad)?;
        r.finish("issuance").map_err(bad)?;
        Ok(Self {
            issued_at,
            requests_digest,
        })
    }
}
