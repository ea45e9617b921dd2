//! The one error type of the bindings and its conversions from the core's errors.
//!
//! A handful of variants, one per domain of the core (decoding, BLS, certificates, codes,
//! group signatures, blind RSA, tokens, client, server, store) plus two of the bindings' own.
//! Each domain variant carries a `kind` enum whose variants are the core error's variants, with
//! the same names and fields, and `reason`, the core's `Display` message. The conversions are
//! plain `From` impls with exhaustive matches and no logic: a wrapping core error (a
//! `ClientError::Group(Revoked)`) becomes its inner error's domain and kind, with the outer
//! message as `reason` (it says where the failure happened).

use blindpost::bls::BlsError;
use blindpost::certificate::{CertificateError, PhoneNumberError};
use blindpost::client::{ClientError, StateError};
use blindpost::server::ServerError;
use blindpost::store::conformance::ConformanceFailure;
use blindpost::store::StoreError;
use blindpost::verification_code::CodeError;
use blindpost::wire::{IntroductionError, WireError};
use blindpost::{bbs04, blind_rsa, token};
use blindpost::{DecodeError, DecodeErrorKind as CoreKind};
use blindpost_e2e::{OfferError, OpenError, SealError, StateError as E2eStateError};

/// Why a call into blindpost failed. Kotlin: `BlindpostException.<Variant>`; Swift:
/// `BlindpostError.<Variant>`; Python: `BlindpostError.<Variant>`. Every variant has `reason`,
/// the core's message (Kotlin's `toString()` and Swift's `description` give it too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum BlindpostError {
    /// Bytes are not a valid encoding of what was asked for.
    #[error("{reason}")]
    Malformed {
        /// The field that failed, named as in SPEC.md and the test vectors
        /// (`certificate.identity_key`); for an unknown message type, the message (`request`).
        field: String,
        /// What was wrong with it.
        kind: DecodeErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A BLS key, signature or proof of possession was refused.
    #[error("{reason}")]
    Bls {
        /// Which check failed.
        kind: BlsErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A certificate, issuer key set or phone number was refused.
    #[error("{reason}")]
    Certificate {
        /// Which check failed.
        kind: CertificateErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A verification code, its configuration or the attempt policy refused.
    #[error("{reason}")]
    Code {
        /// Which check failed.
        kind: CodeErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A BBS04 group signature operation failed (keys, signatures, revocation).
    #[error("{reason}")]
    Group {
        /// Which check failed.
        kind: GroupErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A blind RSA (RFC 9474) operation failed.
    #[error("{reason}")]
    BlindRsa {
        /// Which check failed.
        kind: BlindRsaErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A privacy pass token operation (RFC 9578) failed.
    #[error("{reason}")]
    Token {
        /// Which check failed.
        kind: TokenErrorKind,
        /// The core's message.
        reason: String,
    },
    /// The client refused a call or an input (its state is unchanged).
    #[error("{reason}")]
    Client {
        /// Which of the client's own checks refused.
        kind: ClientErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A server could not be set up.
    #[error("{reason}")]
    Server {
        /// What is wrong with the configuration or the keys.
        kind: ServerErrorKind,
        /// The core's message.
        reason: String,
    },
    /// A server store failed, or failed the store conformance suite.
    #[error("{reason}")]
    Store {
        /// A backend failure or a failed conformance check.
        kind: StoreErrorKind,
        /// The core's message.
        reason: String,
    },
    /// End-to-end sealing refused (SPEC.md 17.7): a payload that cannot be sealed, a sealed
    /// payload that does not open, an offer or a stored state that is not valid. Nothing was
    /// changed.
    #[error("{reason}")]
    EndToEnd {
        /// Which check refused.
        kind: EndToEndErrorKind,
        /// The message of blindpost-e2e.
        reason: String,
    },
    /// The operating system's random number generator failed (nothing was changed).
    #[error("{reason}")]
    Randomness {
        /// The operating system's message.
        reason: String,
    },
    /// A caller asked for more than the bindings hand out in one call.
    #[error("{reason}")]
    RequestTooLarge {
        /// The amount asked for.
        requested: u64,
        /// The largest amount allowed.
        max: u64,
        /// What was asked for, and the limit.
        reason: String,
    },
}

/// What was wrong with a field that failed to decode (the `kind` of the test vectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecodeErrorKind {
    /// The input ended before the field was complete.
    Truncated,
    /// Bytes were left over after the last field.
    TrailingBytes,
    /// The version byte names a format this library does not know.
    UnknownVersion,
    /// A scalar was not below the group order.
    NonCanonicalScalar,
    /// A scalar that must be non-zero was zero.
    ZeroScalar,
    /// A point encoding was not canonical or not on the curve.
    InvalidPoint,
    /// A point was on the curve but outside the prime-order subgroup.
    NotInSubgroup,
    /// A point was the identity.
    IdentityPoint,
    /// A length exceeded the limit for the field.
    TooLong,
    /// A field's value is outside the values the format allows.
    InvalidValue,
    /// A sealed-payload plaintext's padding is not zero bytes up to exactly its bucket.
    NonCanonicalPadding,
    /// A message's type byte names no message of this version (`field` is the message: request,
    /// response, delivery or payload; `reason` has the byte).
    UnknownType,
    /// An object embedded in a message (a key, token, certificate or signature) did not
    /// decode; `reason` says why.
    InvalidEmbedded,
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why BLS refused (the core's `BlsError`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BlsErrorKind {
    /// KeyGen was given fewer than 32 bytes of input keying material.
    IkmTooShort {
        /// The length given.
        length: u64,
    },
    /// A signature does not verify for this public key and message.
    InvalidSignature,
    /// A proof of possession does not verify for this public key.
    InvalidProofOfPossession,
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why a certificate, an issuer key set or a phone number was refused (the core's
/// `CertificateError`, plus `PhoneNumberError`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CertificateErrorKind {
    /// A phone number is not in E.164 form (`+` and 1 to 15 digits, no leading 0).
    InvalidPhoneNumber,
    /// The certificate names an issuer key that is not in the key set.
    UnknownIssuer {
        /// The 8-byte key id the certificate names.
        key_id: Vec<u8>,
    },
    /// The issuer signature does not verify.
    BadSignature,
    /// `now` is after the end of the certificate's validity (or its issuer key's).
    Expired {
        /// The last second of validity.
        not_after: u64,
        /// The time given.
        now: u64,
    },
    /// `now` is before the start of the certificate's validity (or its issuer key's).
    NotYetValid {
        /// The first second of validity.
        not_before: u64,
        /// The time given.
        now: u64,
    },
    /// The certificate is for another phone number than the one expected.
    WrongPhoneNumber,
    /// A validity interval ends before it starts.
    InvalidValidity {
        /// The start given.
        not_before: u64,
        /// The end given.
        not_after: u64,
    },
    /// An issuer was asked for a certificate valid outside its own key's validity.
    ValidityOutsideIssuerKey,
    /// A host key was empty (pass no host key instead).
    EmptyHostKey,
    /// A host key was longer than 64 bytes.
    HostKeyTooLong {
        /// The length given.
        length: u64,
    },
    /// An issuer key set was built from no keys.
    EmptyKeySet,
    /// An issuer key set was built from more than 16 keys.
    TooManyIssuerKeys {
        /// The number given.
        count: u64,
    },
    /// An issuer key set was given the same key twice.
    DuplicateIssuerKey {
        /// The repeated key's 8-byte id.
        key_id: Vec<u8>,
    },
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why a verification code or its configuration was refused (the core's `CodeError`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CodeErrorKind {
    /// A code length outside 4..=10 digits.
    InvalidDigits {
        /// The number of digits given.
        digits: u8,
    },
    /// A code window of zero seconds.
    ZeroWindow,
    /// A submitted code has the wrong length.
    WrongLength {
        /// The number of digits expected.
        expected: u8,
        /// The number of bytes submitted.
        found: u64,
    },
    /// A submitted code contains something other than ASCII digits.
    NotDigits,
    /// A submitted code is wrong or expired.
    WrongCode,
    /// Too many wrong codes were submitted for a phone number.
    TooManyAttempts,
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why a BBS04 operation failed (the core's `bbs04::Error`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum GroupErrorKind {
    /// A manager key's secrets do not match its group public key.
    InconsistentManagerKey,
    /// A member key and a group key belong to different generations.
    GenerationMismatch {
        /// The member key's generation.
        member: u32,
        /// The group key's generation.
        group: u32,
    },
    /// A revocation record does not follow the group key it is applied to, or a checkpoint is
    /// not of the group key's generation.
    WrongGeneration {
        /// The generation the record must carry.
        expected: u32,
        /// The generation it carries.
        found: u32,
    },
    /// The group key is at the last generation and cannot be revoked from.
    GenerationExhausted,
    /// A revocation record fails its checks against the group key it is applied to.
    InvalidRevocationRecord,
    /// The member key is the one the revocation record revokes, or the group's checkpoint
    /// holds no entry for it: the member was revoked.
    Revoked,
    /// A member key does not belong to the group key.
    NotAMember,
    /// A group signature does not verify for this group key, context and message.
    InvalidSignature,
    /// The prepared group key given to a manager is not the manager's current group key.
    GroupMismatch,
    /// A signing context is longer than 65535 bytes.
    ContextTooLong {
        /// The context's length.
        length: u64,
    },
    /// A pairing value could not be encoded (never expected).
    GtEncoding,
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why a blind RSA operation failed (the core's `blind_rsa::Error`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BlindRsaErrorKind {
    /// The modulus is not between 2048 and 4096 bits.
    UnsupportedModulusSize {
        /// The modulus length found, in bits.
        bits: u32,
    },
    /// The public exponent is not 65537.
    UnsupportedExponent,
    /// The key components are inconsistent.
    InvalidKey,
    /// A public key is not the exact RFC 9578 RSASSA-PSS SubjectPublicKeyInfo encoding.
    InvalidSpki,
    /// A PKCS#8 private key (DER or PEM) could not be parsed.
    InvalidPkcs8,
    /// Encoding a private key failed.
    KeyEncoding,
    /// Key generation failed.
    KeyGeneration,
    /// An input does not have the length the key requires.
    WrongLength {
        /// Which input.
        input: String,
        /// The length required (the modulus length in bytes).
        expected: u64,
        /// The length given.
        found: u64,
    },
    /// A blinded message is not below the modulus.
    BlindedMessageOutOfRange,
    /// A blind signature is not below the modulus.
    BlindSignatureOutOfRange,
    /// An encoded message is not coprime to the modulus.
    MessageNotCoprime,
    /// No invertible blinding factor could be drawn.
    BlindingFailed,
    /// The private operation failed its check.
    SigningFailed,
    /// A blinding inverse does not belong to this key.
    InverseNotForKey,
    /// A blind signature does not unblind to a valid signature (the signer answered wrongly).
    InvalidBlindSignature,
    /// A signature does not verify under the key.
    InvalidSignature,
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why a token operation failed (the core's `token::Error`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TokenErrorKind {
    /// A token message names a token type other than 0x0002.
    UnsupportedTokenType {
        /// The token type found.
        found: u16,
    },
    /// An issuer name is empty or longer than 65535 bytes.
    InvalidIssuerName {
        /// Its length.
        length: u64,
    },
    /// A challenge's origin info is longer than 65535 bytes.
    OriginInfoTooLong {
        /// Its length.
        length: u64,
    },
    /// A token key is not a 2048-bit RSA key.
    WrongKeySize {
        /// The modulus length found, in bits.
        bits: u32,
    },
    /// A token key set or issuer has no key.
    EmptyKeySet,
    /// A token key set has more than 4 keys.
    TooManyKeys {
        /// The number of keys.
        count: u64,
    },
    /// More than 2 keys of a set are valid at one instant.
    TooManyConcurrentKeys {
        /// An instant at which too many keys are valid.
        at: u64,
    },
    /// A key's validity is empty (not_before is not before expires).
    InvalidValidity {
        /// The 32-byte token key id.
        key_id: Vec<u8>,
    },
    /// Two keys share the truncated key id (the last byte).
    DuplicateTruncatedKeyId {
        /// The shared truncated id.
        truncated: u8,
    },
    /// A challenge or key set names a different issuer than the pinned key set.
    IssuerMismatch,
    /// An offered key set does not have a higher serial than the pinned one.
    KeySetRollback {
        /// The serial of the pinned set.
        pinned: u64,
        /// The serial of the offered set.
        offered: u64,
    },
    /// An offered key set drops or changes a pinned key before it expires.
    KeyWithdrawnEarly {
        /// The 32-byte token key id.
        key_id: Vec<u8>,
    },
    /// The token key is not in the key set.
    UnknownKeyId,
    /// No issuer key has this truncated key id.
    UnknownTruncatedKeyId {
        /// The truncated id of the request.
        truncated: u8,
    },
    /// The token key is not valid at the given time.
    KeyNotValid {
        /// The time given.
        now: u64,
    },
    /// The token was issued for a different challenge.
    ChallengeMismatch,
    /// The token's authenticator is not a valid signature by its key.
    InvalidAuthenticator,
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why the client refused (the core's `ClientError` and `IntroductionError` reasons of their
/// own; wrapped certificate, group, token and decoding errors keep their own domain).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ClientErrorKind {
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
    /// A delivery's group signature does not open to a member key we issued.
    UnknownSender,
    /// The server's keys have no token key valid now.
    NoTokenKey,
    /// A payload or field exceeds its limit.
    TooLarge {
        /// Which field.
        field: String,
    },
    /// A response answers another kind of request than the one with this id (or a delivery's
    /// payload does not fit it).
    UnexpectedResponse,
    /// An introduction's identity signature does not verify under its certificate's identity
    /// key.
    BadIntroductionSignature,
    /// An introduction is addressed to another account.
    WrongRecipient,
    /// An introduction's member key does not belong to the sender's group key.
    BadMemberKey,
    /// An introduction claims to be written after now plus the allowed clock skew.
    FromTheFuture {
        /// Its timestamp.
        created_at: u64,
    },
    /// The server's registration answer certifies another identity key than ours.
    CertificateNotOurs,
    /// Our member key cannot reach the group key the server sent: the group was rotated.
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
    /// An introduction is older than the one held from the same contact (a replay).
    StaleIntroduction {
        /// Its timestamp (Unix seconds).
        created_at: u64,
        /// The timestamp of the introduction held.
        stored: u64,
    },
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why a server could not be set up (the core's `ServerError`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ServerErrorKind {
    /// The certificate issuer key is not in the published key set.
    IssuerNotPublished,
    /// A token issuer's keys are not exactly the keys of its published key set.
    TokenKeysMismatch {
        /// Which purpose (cold-call, discovery).
        purpose: String,
    },
    /// A discovery token key is not valid for exactly one discovery window.
    DiscoveryKeyNotOneWindow,
    /// Generating a server key failed.
    KeyGeneration,
    /// Encoding a server key failed.
    KeyEncoding,
    /// A configuration value is out of range.
    InvalidConfig {
        /// Which value.
        field: String,
    },
    /// A reason added to the core after this version of the bindings; `reason` says what it is.
    Other,
}

/// Why end-to-end sealing refused (blindpost-e2e's `SealError`, `OpenError`, `OfferError` and
/// `StateError`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum EndToEndErrorKind {
    /// Sealing: the recipient's certificate carries no host key.
    NoHostKey,
    /// Sealing: the recipient's host key is of another suite or length, or not a valid key.
    UnsupportedHostKey,
    /// Sealing: there is no Olm session with the recipient (its cold call's offer was never
    /// accepted, or we never cold-called it).
    NoSession,
    /// Sealing: the payload is empty or too long for a frame (pass the client's padded
    /// payload, SPEC.md 10.1).
    PayloadNotPadded,
    /// Sealing: the HPKE or Olm operation failed; `reason` says how.
    Hpke,
    /// Opening: shorter than the suite byte, encapsulated key and tag.
    TooShort,
    /// Opening: a sealing suite this host does not know.
    UnknownSuite {
        /// The suite byte.
        suite: u8,
    },
    /// Opening: the encapsulated key is not a valid X25519 key.
    BadEncapsulatedKey,
    /// Opening: decryption failed (tampered, or sealed to another host key or account).
    Refused,
    /// Opening: the decrypted frame is malformed.
    BadFrame,
    /// Opening: a ratchet message from a sender with no session here.
    UnknownSession,
    /// Opening: a message opened before (a replay); acknowledge and drop it.
    Replayed,
    /// Opening: the Olm session refused the message.
    Ratchet,
    /// An offer is not 64 bytes.
    OfferWrongLength,
    /// An offer's keys are not valid.
    OfferBadKey,
    /// A stored end-to-end state does not decode (truncated, an unknown version, trailing
    /// bytes, an invalid key or pickle, not canonical); `reason` says which.
    BadState,
    /// A reason added to blindpost-e2e after this version of the bindings; `reason` says what
    /// it is.
    Other,
}

/// How a server store failed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum StoreErrorKind {
    /// The store's backend failed; the server answered with an internal error.
    Backend {
        /// The backend's message.
        detail: String,
    },
    /// A store failed a check of the store conformance suite.
    Conformance {
        /// Which check failed.
        check: String,
        /// What was observed.
        detail: String,
    },
}

/// Widens a length or count for the FFI (lengths here are far below 2^64).
pub(crate) fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The error for a fixed-length byte input of `expected` bytes that got `found` bytes, in the
/// core's terms (truncated or trailing bytes).
pub(crate) fn wrong_length(field: &'static str, expected: usize, found: usize) -> BlindpostError {
    let kind = match found.checked_sub(expected) {
        Some(extra) => CoreKind::TrailingBytes { extra },
        None => CoreKind::Truncated {
            needed: expected,
            available: found,
        },
    };
    DecodeError::new(field, kind).into()
}

impl From<CoreKind> for DecodeErrorKind {
    fn from(kind: CoreKind) -> Self {
        match kind {
            CoreKind::Truncated { .. } => Self::Truncated,
            CoreKind::TrailingBytes { .. } => Self::TrailingBytes,
            CoreKind::UnknownVersion { .. } => Self::UnknownVersion,
            CoreKind::NonCanonicalScalar => Self::NonCanonicalScalar,
            CoreKind::ZeroScalar => Self::ZeroScalar,
            CoreKind::InvalidPoint => Self::InvalidPoint,
            CoreKind::NotInSubgroup => Self::NotInSubgroup,
            CoreKind::IdentityPoint => Self::IdentityPoint,
            CoreKind::TooLong { .. } => Self::TooLong,
            CoreKind::InvalidValue => Self::InvalidValue,
            CoreKind::NonCanonicalPadding => Self::NonCanonicalPadding,
            _ => Self::Other,
        }
    }
}

// Each domain has one function from its core error and a `reason`: `From` passes the error's
// own message, a wrapping error passes its message instead.

fn malformed(e: DecodeError, reason: String) -> BlindpostError {
    BlindpostError::Malformed {
        field: e.field.to_owned(),
        kind: e.kind.into(),
        reason,
    }
}

fn bls(e: BlsError, reason: String) -> BlindpostError {
    let kind = match e {
        BlsError::Decode(d) => return malformed(d, reason),
        BlsError::IkmTooShort { length } => BlsErrorKind::IkmTooShort {
            length: wide(length),
        },
        BlsError::InvalidSignature => BlsErrorKind::InvalidSignature,
        BlsError::InvalidProofOfPossession => BlsErrorKind::InvalidProofOfPossession,
        _ => BlsErrorKind::Other,
    };
    BlindpostError::Bls { kind, reason }
}

fn certificate(e: CertificateError, reason: String) -> BlindpostError {
    use CertificateError as E;
    use CertificateErrorKind as K;
    let kind = match e {
        E::Malformed(d) => return malformed(d, reason),
        E::UnknownIssuer { key_id } => K::UnknownIssuer {
            key_id: key_id.to_bytes().to_vec(),
        },
        E::BadSignature => K::BadSignature,
        E::Expired { not_after, now } => K::Expired {
            not_after: not_after.unix_secs(),
            now: now.unix_secs(),
        },
        E::NotYetValid { not_before, now } => K::NotYetValid {
            not_before: not_before.unix_secs(),
            now: now.unix_secs(),
        },
        E::WrongPhoneNumber => K::WrongPhoneNumber,
        E::InvalidValidity {
            not_before,
            not_after,
        } => K::InvalidValidity {
            not_before: not_before.unix_secs(),
            not_after: not_after.unix_secs(),
        },
        E::ValidityOutsideIssuerKey => K::ValidityOutsideIssuerKey,
        E::EmptyHostKey => K::EmptyHostKey,
        E::HostKeyTooLong { length } => K::HostKeyTooLong {
            length: wide(length),
        },
        E::EmptyKeySet => K::EmptyKeySet,
        E::TooManyIssuerKeys { count } => K::TooManyIssuerKeys { count: wide(count) },
        E::DuplicateIssuerKey { key_id } => K::DuplicateIssuerKey {
            key_id: key_id.to_bytes().to_vec(),
        },
        _ => K::Other,
    };
    BlindpostError::Certificate { kind, reason }
}

fn group(e: bbs04::Error, reason: String) -> BlindpostError {
    use bbs04::Error as E;
    use GroupErrorKind as K;
    let kind = match e {
        E::Decode(d) => return malformed(d, reason),
        E::InconsistentManagerKey => K::InconsistentManagerKey,
        E::GenerationMismatch { member, group } => K::GenerationMismatch { member, group },
        E::WrongGeneration { expected, found } => K::WrongGeneration { expected, found },
        E::GenerationExhausted => K::GenerationExhausted,
        E::InvalidRevocationRecord => K::InvalidRevocationRecord,
        E::Revoked => K::Revoked,
        E::NotAMember => K::NotAMember,
        E::InvalidSignature => K::InvalidSignature,
        E::GroupMismatch => K::GroupMismatch,
        E::ContextTooLong { length } => K::ContextTooLong {
            length: wide(length),
        },
        E::GtEncoding => K::GtEncoding,
        _ => K::Other,
    };
    BlindpostError::Group { kind, reason }
}

fn blind_rsa(e: blind_rsa::Error, reason: String) -> BlindpostError {
    use blind_rsa::Error as E;
    use BlindRsaErrorKind as K;
    let kind = match e {
        E::UnsupportedModulusSize { bits } => K::UnsupportedModulusSize { bits },
        E::UnsupportedExponent => K::UnsupportedExponent,
        E::InvalidKey => K::InvalidKey,
        E::InvalidSpki => K::InvalidSpki,
        E::InvalidPkcs8 => K::InvalidPkcs8,
        E::KeyEncoding => K::KeyEncoding,
        E::KeyGeneration => K::KeyGeneration,
        E::WrongLength {
            input,
            expected,
            found,
        } => K::WrongLength {
            input: input.to_owned(),
            expected: wide(expected),
            found: wide(found),
        },
        E::BlindedMessageOutOfRange => K::BlindedMessageOutOfRange,
        E::BlindSignatureOutOfRange => K::BlindSignatureOutOfRange,
        E::MessageNotCoprime => K::MessageNotCoprime,
        E::BlindingFailed => K::BlindingFailed,
        E::SigningFailed => K::SigningFailed,
        E::InverseNotForKey => K::InverseNotForKey,
        E::InvalidBlindSignature => K::InvalidBlindSignature,
        E::InvalidSignature => K::InvalidSignature,
        _ => K::Other,
    };
    BlindpostError::BlindRsa { kind, reason }
}

fn token(e: token::Error, reason: String) -> BlindpostError {
    use token::Error as E;
    use TokenErrorKind as K;
    let kind = match e {
        E::Decode(d) => return malformed(d, reason),
        E::BlindRsa(b) => return blind_rsa(b, reason),
        E::UnsupportedTokenType { found } => K::UnsupportedTokenType { found },
        E::InvalidIssuerName { length } => K::InvalidIssuerName {
            length: wide(length),
        },
        E::OriginInfoTooLong { length } => K::OriginInfoTooLong {
            length: wide(length),
        },
        E::WrongKeySize { bits } => K::WrongKeySize { bits },
        E::EmptyKeySet => K::EmptyKeySet,
        E::TooManyKeys { count } => K::TooManyKeys { count: wide(count) },
        E::TooManyConcurrentKeys { at } => K::TooManyConcurrentKeys { at: at.unix_secs() },
        E::InvalidValidity { key_id } => K::InvalidValidity {
            key_id: key_id.as_bytes().to_vec(),
        },
        E::DuplicateTruncatedKeyId { truncated } => K::DuplicateTruncatedKeyId { truncated },
        E::IssuerMismatch => K::IssuerMismatch,
        E::KeySetRollback { pinned, offered } => K::KeySetRollback { pinned, offered },
        E::KeyWithdrawnEarly { key_id } => K::KeyWithdrawnEarly {
            key_id: key_id.as_bytes().to_vec(),
        },
        E::UnknownKeyId => K::UnknownKeyId,
        E::UnknownTruncatedKeyId { truncated } => K::UnknownTruncatedKeyId { truncated },
        E::KeyNotValid { now } => K::KeyNotValid {
            now: now.unix_secs(),
        },
        E::ChallengeMismatch => K::ChallengeMismatch,
        E::InvalidAuthenticator => K::InvalidAuthenticator,
        _ => K::Other,
    };
    BlindpostError::Token { kind, reason }
}

fn wire(e: WireError, reason: String) -> BlindpostError {
    match e {
        WireError::Decode(d) => malformed(d, reason),
        WireError::UnknownType { message, found: _ } => BlindpostError::Malformed {
            field: message.to_owned(),
            kind: DecodeErrorKind::UnknownType,
            reason,
        },
        WireError::Embedded { field, cause: _ } => BlindpostError::Malformed {
            field: field.to_owned(),
            kind: DecodeErrorKind::InvalidEmbedded,
            reason,
        },
        _ => BlindpostError::Malformed {
            field: "message".to_owned(),
            kind: DecodeErrorKind::Other,
            reason,
        },
    }
}

/// The client's own state blob: decoding faults are `Malformed` like any other encoding (their
/// fields are paths into the blob); a list too long to be written is `Client { TooLarge }`.
fn state(e: StateError, reason: String) -> BlindpostError {
    match e {
        StateError::Decode(d) => malformed(d, reason),
        StateError::UnknownTag { field, found: _ } => BlindpostError::Malformed {
            field: field.to_owned(),
            kind: DecodeErrorKind::UnknownType,
            reason,
        },
        StateError::Embedded { field, cause: _ } => BlindpostError::Malformed {
            field: field.to_owned(),
            kind: DecodeErrorKind::InvalidEmbedded,
            reason,
        },
        StateError::TooLong(too_long) => BlindpostError::Client {
            kind: ClientErrorKind::TooLarge {
                field: too_long.field.to_owned(),
            },
            reason,
        },
        _ => BlindpostError::Malformed {
            field: "client_state".to_owned(),
            kind: DecodeErrorKind::InvalidValue,
            reason,
        },
    }
}

fn introduction(e: IntroductionError, reason: String) -> BlindpostError {
    use ClientErrorKind as K;
    let kind = match e {
        IntroductionError::Certificate(c) => return certificate(c, reason),
        IntroductionError::BadSignature => K::BadIntroductionSignature,
        IntroductionError::WrongRecipient => K::WrongRecipient,
        IntroductionError::BadMemberKey => K::BadMemberKey,
        IntroductionError::FromTheFuture { created_at } => K::FromTheFuture {
            created_at: created_at.unix_secs(),
        },
        _ => ClientErrorKind::Other,
    };
    BlindpostError::Client { kind, reason }
}

fn client(e: ClientError, reason: String) -> BlindpostError {
    use ClientErrorKind as K;
    let kind = match e {
        ClientError::Wire(w) => return wire(w, reason),
        ClientError::State(s) => return state(s, reason),
        ClientError::Certificate(c) => return certificate(c, reason),
        ClientError::Introduction(i) => return introduction(i, reason),
        ClientError::Group(g) => return group(g, reason),
        ClientError::Token(t) => return token(t, reason),
        ClientError::NotRegistered => K::NotRegistered,
        ClientError::NoTokens => K::NoTokens,
        ClientError::UnknownContact => K::UnknownContact,
        ClientError::NoMembership => K::NoMembership,
        ClientError::Blocked => K::Blocked,
        ClientError::UnknownRequest => K::UnknownRequest,
        ClientError::UnknownSender => K::UnknownSender,
        ClientError::NoTokenKey => K::NoTokenKey,
        ClientError::TooLarge { field } => K::TooLarge {
            field: field.to_owned(),
        },
        ClientError::UnexpectedResponse => K::UnexpectedResponse,
        ClientError::CertificateNotOurs => K::CertificateNotOurs,
        ClientError::GroupUpdateUnreachable { reached, sent } => {
            K::GroupUpdateUnreachable { reached, sent }
        }
        ClientError::UnknownGeneration {
            generation,
            current,
        } => K::UnknownGeneration {
            generation,
            current,
        },
        ClientError::StaleIntroduction { created_at, stored } => K::StaleIntroduction {
            created_at: created_at.unix_secs(),
            stored: stored.unix_secs(),
        },
        _ => K::Other,
    };
    BlindpostError::Client { kind, reason }
}

fn server(e: ServerError) -> ServerErrorKind {
    use ServerErrorKind as K;
    match e {
        ServerError::IssuerNotPublished => K::IssuerNotPublished,
        ServerError::TokenKeysMismatch { purpose } => K::TokenKeysMismatch {
            purpose: purpose.to_owned(),
        },
        ServerError::DiscoveryKeyNotOneWindow => K::DiscoveryKeyNotOneWindow,
        ServerError::KeyGeneration => K::KeyGeneration,
        ServerError::KeyEncoding => K::KeyEncoding,
        ServerError::InvalidConfig { field } => K::InvalidConfig {
            field: field.to_owned(),
        },
        _ => K::Other,
    }
}

fn code(e: CodeError) -> CodeErrorKind {
    use CodeErrorKind as K;
    match e {
        CodeError::InvalidDigits { digits } => K::InvalidDigits { digits },
        CodeError::ZeroWindow => K::ZeroWindow,
        CodeError::WrongLength { expected, found } => K::WrongLength {
            expected,
            found: wide(found),
        },
        CodeError::NotDigits => K::NotDigits,
        CodeError::WrongCode => K::WrongCode,
        CodeError::TooManyAttempts => K::TooManyAttempts,
        _ => K::Other,
    }
}

impl From<DecodeError> for BlindpostError {
    fn from(e: DecodeError) -> Self {
        malformed(e, e.to_string())
    }
}

impl From<BlsError> for BlindpostError {
    fn from(e: BlsError) -> Self {
        bls(e, e.to_string())
    }
}

impl From<PhoneNumberError> for BlindpostError {
    fn from(e: PhoneNumberError) -> Self {
        Self::Certificate {
            kind: CertificateErrorKind::InvalidPhoneNumber,
            reason: e.to_string(),
        }
    }
}

impl From<CertificateError> for BlindpostError {
    fn from(e: CertificateError) -> Self {
        certificate(e, e.to_string())
    }
}

impl From<CodeError> for BlindpostError {
    fn from(e: CodeError) -> Self {
        Self::Code {
            reason: e.to_string(),
            kind: code(e),
        }
    }
}

impl From<bbs04::Error> for BlindpostError {
    fn from(e: bbs04::Error) -> Self {
        group(e, e.to_string())
    }
}

impl From<blind_rsa::Error> for BlindpostError {
    fn from(e: blind_rsa::Error) -> Self {
        blind_rsa(e, e.to_string())
    }
}

impl From<token::Error> for BlindpostError {
    fn from(e: token::Error) -> Self {
        token(e, e.to_string())
    }
}

impl From<WireError> for BlindpostError {
    fn from(e: WireError) -> Self {
        wire(e, e.to_string())
    }
}

impl From<IntroductionError> for BlindpostError {
    fn from(e: IntroductionError) -> Self {
        let reason = e.to_string();
        introduction(e, reason)
    }
}

impl From<ClientError> for BlindpostError {
    fn from(e: ClientError) -> Self {
        let reason = e.to_string();
        client(e, reason)
    }
}

impl From<ServerError> for BlindpostError {
    fn from(e: ServerError) -> Self {
        Self::Server {
            reason: e.to_string(),
            kind: server(e),
        }
    }
}

impl From<StoreError> for BlindpostError {
    fn from(e: StoreError) -> Self {
        Self::Store {
            reason: e.to_string(),
            kind: StoreErrorKind::Backend { detail: e.message },
        }
    }
}

impl From<ConformanceFailure> for BlindpostError {
    fn from(f: ConformanceFailure) -> Self {
        Self::Store {
            reason: f.to_string(),
            kind: StoreErrorKind::Conformance {
                check: f.check.to_owned(),
                detail: f.detail,
            },
        }
    }
}

impl From<SealError> for BlindpostError {
    fn from(e: SealError) -> Self {
        let kind = match e {
            SealError::NoHostKey => EndToEndErrorKind::NoHostKey,
            SealError::UnsupportedHostKey => EndToEndErrorKind::UnsupportedHostKey,
            SealError::NoSession => EndToEndErrorKind::NoSession,
            SealError::PayloadNotPadded => EndToEndErrorKind::PayloadNotPadded,
            SealError::Hpke(_) => EndToEndErrorKind::Hpke,
        };
        Self::EndToEnd {
            kind,
            reason: e.to_string(),
        }
    }
}

impl From<OpenError> for BlindpostError {
    fn from(e: OpenError) -> Self {
        let kind = match e {
            OpenError::TooShort => EndToEndErrorKind::TooShort,
            OpenError::UnknownSuite(suite) => EndToEndErrorKind::UnknownSuite { suite },
            OpenError::BadEncapsulatedKey => EndToEndErrorKind::BadEncapsulatedKey,
            OpenError::Refused => EndToEndErrorKind::Refused,
            OpenError::BadFrame => EndToEndErrorKind::BadFrame,
            OpenError::UnknownSession => EndToEndErrorKind::UnknownSession,
            OpenError::Replayed => EndToEndErrorKind::Replayed,
            OpenError::Ratchet => EndToEndErrorKind::Ratchet,
        };
        Self::EndToEnd {
            kind,
            reason: e.to_string(),
        }
    }
}

impl From<OfferError> for BlindpostError {
    fn from(e: OfferError) -> Self {
        let kind = match e {
            OfferError::WrongLength => EndToEndErrorKind::OfferWrongLength,
            OfferError::BadKey => EndToEndErrorKind::OfferBadKey,
        };
        Self::EndToEnd {
            kind,
            reason: e.to_string(),
        }
    }
}

impl From<E2eStateError> for BlindpostError {
    fn from(e: E2eStateError) -> Self {
        Self::EndToEnd {
            kind: EndToEndErrorKind::BadState,
            reason: e.to_string(),
        }
    }
}
