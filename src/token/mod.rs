//! Privacy Pass publicly verifiable tokens, RFC 9578 token type 0x0002 (SPEC.md section 6).
//!
//! A token is an RSABSSA-SHA384-PSS-Deterministic signature (RFC 9474, module
//! [`crate::blind_rsa`]) by a 2048-bit issuer key over
//! `token_type || nonce || challenge_digest || token_key_id`. The issuer signs blind, so it cannot
//! link the token it later sees to the request it answered.
//!
//! The flow, one type per step (each message and state serialises):
//!
//! 1. the client pins a published [`TokenKeySet`] in a [`TokenClient`] and calls [`TokenClient::request`]
//!    with a [`TokenChallenge`] (for example [`TokenChallenge::cold_call`] or
//!    [`TokenChallenge::discovery`]), getting a [`TokenRequest`] to send and a [`PendingToken`]
//!    to keep;
//! 2. the [`Issuer`] answers with a [`TokenResponse`] ([`Issuer::issue`]);
//! 3. the client turns it into a [`Token`] with [`PendingToken::finalize`], which checks the
//!    signature;
//! 4. a verifier accepts the token with [`verify`] under the challenge it expects and its key set.
//!
//! ```
//! use blindpost::blind_rsa::SecretKey;
//! use blindpost::token::{self, Issuer, TokenChallenge, TokenClient, TokenKeyEntry, TokenKeySet};
//! use blindpost::vector_rng::VectorRng; // any rand_core 0.10 CryptoRng; VectorRng is for tests
//! use blindpost::Time;
//!
//! let mut rng = VectorRng::new(b"token docs");
//! let now = Time::from_unix_secs(1_750_000_000); // from the host's clock
//!
//! // Issuer: a 2048-bit key, published in a key set.
//! let issuer = Issuer::new(vec![SecretKey::generate(&mut rng, 2048)?])?;
//! let key = issuer.token_keys().next().unwrap().clone();
//! let entry = TokenKeyEntry::new(key, now - 60, now + 86_400);
//! let set = TokenKeySet::new(1, b"issuer.example", vec![entry])?;
//!
//! // Client: pins the set (fetched over the anonymous channel) and asks for a cold-call token.
//! let client = TokenClient::new(set.clone());
//! let challenge = TokenChallenge::cold_call(b"issuer.example")?;
//! let key = client.key_set().preferred_key(now).unwrap();
//! let (request, pending) = client.request(&mut rng, &challenge, key, now)?;
//! let response = issuer.issue(&mut rng, &request)?;
//! let token = pending.finalize(&response)?;
//!
//! // Verifier: the token is good for this challenge under this key set.
//! token::verify(&token, &challenge, &set)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Guarantees: the wire formats are exactly RFC 9578's, decoders reject every malformed or
//! trailing byte; a client uses only keys of its pinned set that are valid at the time it is given
//! and accepts a new set only under the key-consistency rule of SPEC.md section 6.5; the client's
//! secrets (nonce, blinding inverse) are zeroized.

mod challenge;
mod client;
mod issuer;
mod key_set;
mod messages;

pub use challenge::TokenChallenge;
pub use client::{PendingToken, TokenClient};
pub use issuer::Issuer;
pub use key_set::{TokenKey, TokenKeyEntry, TokenKeySet};
pub use messages::{Token, TokenRequest, TokenResponse};

use crate::blind_rsa;
use crate::encoding::DecodeError;
use crate::Time;
use core::fmt;

/// The token type of RFC 9578 publicly verifiable tokens: Blind RSA (2048-bit).
pub const TOKEN_TYPE: u16 = 0x0002;

/// `Nk`: the length of the authenticator, blinded message and blind signature (2048-bit RSA).
pub const NK: usize = 256;

/// The modulus length in bits of token keys of type 0x0002.
pub const KEY_BITS: u32 = 2048;

/// `Nid`: the length of a token key identifier.
pub const NID: usize = 32;

/// The length of the client's token nonce.
pub const NONCE_LEN: usize = 32;

/// The blind RSA variant of token type 0x0002.
pub const VARIANT: blind_rsa::Variant = blind_rsa::Variant::Sha384PssDeterministic;

/// A token key identifier: SHA-256 of the key's SubjectPublicKeyInfo (RFC 9578 section 6.5).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenKeyId([u8; NID]);

impl TokenKeyId {
    /// The identifier with these bytes.
    pub const fn from_bytes(bytes: [u8; NID]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; NID] {
        &self.0
    }

    /// The truncated identifier a [`TokenRequest`] carries: the last byte.
    pub const fn truncated(&self) -> u8 {
        let [.., last] = self.0;
        last
    }
}

impl fmt::Debug for TokenKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKeyId(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Why a token operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A message, state or key set could not be decoded.
    Decode(DecodeError),
    /// A blind RSA operation failed (for example a blinded message not below the modulus).
    BlindRsa(blind_rsa::Error),
    /// A message names a token type other than 0x0002.
    UnsupportedTokenType {
        /// The token type found.
        found: u16,
    },
    /// An issuer name is empty or longer than 65535 bytes.
    InvalidIssuerName {
        /// Its length.
        length: usize,
    },
    /// An origin info is longer than 65535 bytes.
    OriginInfoTooLong {
        /// Its length.
        length: usize,
    },
    /// A token key is not a 2048-bit RSA key.
    WrongKeySize {
        /// The modulus length found, in bits.
        bits: u32,
    },
    /// A key set or issuer has no key.
    EmptyKeySet,
    /// A key set has more keys than [`TokenKeySet::MAX_KEYS`].
    TooManyKeys {
        /// The number of keys.
        count: usize,
    },
    /// More than [`TokenKeySet::MAX_CONCURRENT_KEYS`] keys of a set are valid at one instant.
    TooManyConcurrentKeys {
        /// An instant (seconds since the Unix epoch) at which too many keys are valid.
        at: Time,
    },
    /// A key's validity is empty: `not_before` is not before `expires`.
    InvalidValidity {
        /// The key.
        key_id: TokenKeyId,
    },
    /// Two keys of a set or issuer share the truncated key identifier (the last byte).
    DuplicateTruncatedKeyId {
        /// The shared truncated identifier.
        truncated: u8,
    },
    /// A challenge or key set names a different issuer than the pinned key set.
    IssuerMismatch,
    /// An offered key set does not have a higher serial number than the pinned one.
    KeySetRollback {
        /// The serial of the pinned set.
        pinned: u64,
        /// The serial of the offered set.
        offered: u64,
    },
    /// An offered key set drops or changes a key of the pinned set before that key expires.
    KeyWithdrawnEarly {
        /// The key.
        key_id: TokenKeyId,
    },
    /// The token key is not in the key set.
    UnknownKeyId,
    /// No issuer key has this truncated key identifier.
    UnknownTruncatedKeyId {
        /// The truncated identifier of the request.
        truncated: u8,
    },
    /// The token key is not valid at the given time.
    KeyNotValid {
        /// The time given (seconds since the Unix epoch).
        now: Time,
    },
    /// The token was issued for a different challenge.
    ChallengeMismatch,
    /// The token's authenticator is not a valid signature by its key.
    InvalidAuthenticator,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "{e}"),
            Error::BlindRsa(e) => write!(f, "blind RSA: {e}"),
            Error::UnsupportedTokenType { found } => {
                write!(f, "token type {found:#06x} is not supported (only 0x0002)")
            }
            Error::InvalidIssuerName { length } => {
                write!(f, "issuer name of {length} bytes (must be 1 to 65535)")
            }
            Error::OriginInfoTooLong { length } => {
                write!(f, "origin info of {length} bytes exceeds 65535")
            }
            Error::WrongKeySize { bits } => {
                write!(
                    f,
                    "token key has {bits} bits, token type 0x0002 needs {KEY_BITS}"
                )
            }
            Error::EmptyKeySet => f.write_str("token key set has no key"),
            Error::TooManyKeys { count } => write!(
                f,
                "token key set has {count} keys, at most {} allowed",
                TokenKeySet::MAX_KEYS
            ),
            Error::TooManyConcurrentKeys { at } => write!(
                f,
                "more than {} token keys are valid at time {at}",
                TokenKeySet::MAX_CONCURRENT_KEYS
            ),
            Error::InvalidValidity { key_id } => {
                write!(f, "token key {key_id:?} has an empty validity period")
            }
            Error::DuplicateTruncatedKeyId { truncated } => {
                write!(
                    f,
                    "two token keys share the truncated key id {truncated:#04x}"
                )
            }
            Error::IssuerMismatch => f.write_str("issuer name differs from the pinned key set"),
            Error::KeySetRollback { pinned, offered } => write!(
                f,
                "offered token key set serial {offered} is not above the pinned serial {pinned}"
            ),
            Error::KeyWithdrawnEarly { key_id } => write!(
                f,
                "offered token key set drops or changes key {key_id:?} before it expires"
            ),
            Error::UnknownKeyId => f.write_str("token key is not in the key set"),
            Error::UnknownTruncatedKeyId { truncated } => {
                write!(f, "no issuer key has the truncated key id {truncated:#04x}")
            }
            Error::KeyNotValid { now } => write!(f, "token key is not valid at time {now}"),
            Error::ChallengeMismatch => f.write_str("token was issued for another challenge"),
            Error::InvalidAuthenticator => f.write_str("token authenticator does not verify"),
        }
    }
}

impl core::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<blind_rsa::Error> for Error {
    fn from(e: blind_rsa::Error) -> Self {
        Error::BlindRsa(e)
    }
}

/// RFC 9578 section 6.4: checks that `token` was issued for `challenge` under a key of
/// `key_set` (RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384, 48-byte salt over the token input).
/// Spending (rejecting a token seen before) is the caller's; see SPEC.md section 6.6.
pub fn verify(
    token: &Token,
    challenge: &TokenChallenge,
    key_set: &TokenKeySet,
) -> Result<(), Error> {
    let key = key_set
        .key(&token.token_key_id())
        .ok_or(Error::UnknownKeyId)?;
    if token.challenge_digest() != challenge.digest() {
        return Err(Error::ChallengeMismatch);
    }
    key.public_key()
        .verify(VARIANT, &token.token_input(), token.authenticator())
        .map_err(|_| Error::InvalidAuthenticator)
}

/// The length of the token input.
const TOKEN_INPUT_LEN: usize = 2 + NONCE_LEN + 32 + NID;

/// `token_type || nonce || challenge_digest || token_key_id`, the message a token signs.
fn token_input(
    nonce: &[u8; NONCE_LEN],
    challenge_digest: &[u8; 32],
    key_id: &TokenKeyId,
) -> [u8; TOKEN_INPUT_LEN] {
    let mut out = [0u8; TOKEN_INPUT_LEN];
    let parts = TOKEN_TYPE
        .to_be_bytes()
        .into_iter()
        .chain(nonce.iter().copied())
        .chain(challenge_digest.iter().copied())
        .chain(key_id.as_bytes().iter().copied());
    for (dst, src) in out.iter_mut().zip(parts) {
        *dst = src;
    }
    out
}

/// Appends `u16(len) || bytes`; callers guarantee `len <= 65535`.
fn push_vec16(out: &mut alloc::vec::Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}
