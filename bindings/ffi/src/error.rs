//! The one error type of the bindings and its conversions from the core's errors.
//!
//! Every core error enum converts with `From`, variant by variant, so that each failure reason
//! stays its own exception class in Kotlin, its own case in Swift and its own exception class in
//! Python. Every variant carries `reason`, the core's `Display` message, and the typed fields
//! a caller may act on.

use blindpost::bls::BlsError;
use blindpost::certificate::{CertificateError, PhoneNumberError};
use blindpost::client::{ClientError, StateError};
use blindpost::server::ServerError;
use blindpost::store::StoreError;
use blindpost::verification_code::CodeError;
use blindpost::wire::{IntroductionError, WireError};
use blindpost::{bbs04, blind_rsa, token};
use blindpost::{DecodeError, DecodeErrorKind as CoreKind};

/// Why a call into blindpost failed. Kotlin: `BlindpostException.<Variant>`; Swift:
/// `BlindpostError.<variant>`; Python: `BlindpostError.<Variant>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum BlindpostError {
    /// Bytes are not a valid encoding: `field` names the field (as in SPEC.md and the test
    /// vectors), `kind` says what was wrong with it.
    #[error("{reason}")]
    Malformed {
        /// The message.
        reason: String,
        /// The field that failed, for example `certificate.identity_key`.
        field: String,
        /// What was wrong with it.
        kind: DecodeErrorKind,
    },
    /// A caller asked for more than the bindings hand out in one call.
    #[error("{reason}")]
    RequestTooLarge {
        /// The message.
        reason: String,
        /// The amount asked for.
        requested: u64,
        /// The largest amount allowed.
        max: u64,
    },
    /// The operating system's random number generator failed.
    #[error("{reason}")]
    Randomness {
        /// The message.
        reason: String,
    },
    /// BLS KeyGen was given fewer than 32 bytes of input keying material.
    #[error("{reason}")]
    IkmTooShort {
        /// The message.
        reason: String,
        /// The length given.
        length: u64,
    },
    /// A BLS signature does not verify for this public key and message.
    #[error("{reason}")]
    InvalidSignature {
        /// The message.
        reason: String,
    },
    /// A BLS proof of possession does not verify for this public key.
    #[error("{reason}")]
    InvalidProofOfPossession {
        /// The message.
        reason: String,
    },
    /// A phone number is not in E.164 form (`+` and 1 to 15 digits, no leading 0).
    #[error("{reason}")]
    InvalidPhoneNumber {
        /// The message, naming what is wrong.
        reason: String,
    },
    /// A certificate names an issuer key that is not in the key set.
    #[error("{reason}")]
    UnknownIssuer {
        /// The message.
        reason: String,
        /// The 8-byte key id the certificate names.
        key_id: Vec<u8>,
    },
    /// A certificate's issuer signature does not verify.
    #[error("{reason}")]
    BadCertificateSignature {
        /// The message.
        reason: String,
    },
    /// `now` is after the end of a certificate's validity (or its issuer key's).
    #[error("{reason}")]
    Expired {
        /// The message.
        reason: String,
        /// The last second of validity.
        not_after: u64,
        /// The time given.
        now: u64,
    },
    /// `now` is before the start of a certificate's validity (or its issuer key's).
    #[error("{reason}")]
    NotYetValid {
        /// The message.
        reason: String,
        /// The first second of validity.
        not_before: u64,
        /// The time given.
        now: u64,
    },
    /// A certificate is for another phone number than the one expected.
    #[error("{reason}")]
    WrongPhoneNumber {
        /// The message.
        reason: String,
    },
    /// A validity interval ends before it starts.
    #[error("{reason}")]
    InvalidValidity {
        /// The message.
        reason: String,
        /// The start given.
        not_before: u64,
        /// The end given.
        not_after: u64,
    },
    /// An issuer was asked for a certificate valid outside its own key's validity.
    #[error("{reason}")]
    ValidityOutsideIssuerKey {
        /// The message.
        reason: String,
    },
    /// A host key was empty (pass no host key instead).
    #[error("{reason}")]
    EmptyHostKey {
        /// The message.
        reason: String,
    },
    /// A host key was longer than 64 bytes.
    #[error("{reason}")]
    HostKeyTooLong {
        /// The message.
        reason: String,
        /// The length given.
        length: u64,
    },
    /// An issuer key set was built from no keys.
    #[error("{reason}")]
    EmptyKeySet {
        /// The message.
        reason: String,
    },
    /// An issuer key set was built from more than 16 keys.
    #[error("{reason}")]
    TooManyIssuerKeys {
        /// The message.
        reason: String,
        /// The number given.
        count: u64,
    },
    /// An issuer key set was given the same key twice.
    #[error("{reason}")]
    DuplicateIssuerKey {
        /// The message.
        reason: String,
        /// The repeated key's 8-byte id.
        key_id: Vec<u8>,
    },
    /// A verification code length outside 4..=10 digits.
    #[error("{reason}")]
    InvalidCodeDigits {
        /// The message.
        reason: String,
        /// The number of digits given.
        digits: u8,
    },
    /// A verification code window of zero seconds.
    #[error("{reason}")]
    ZeroCodeWindow {
        /// The message.
        reason: String,
    },
    /// A submitted verification code has the wrong length.
    #[error("{reason}")]
    WrongCodeLength {
        /// The message.
        reason: String,
        /// The number of digits expected.
        expected: u8,
        /// The number of bytes submitted.
        found: u64,
    },
    /// A submitted verification code contains something other than ASCII digits.
    #[error("{reason}")]
    CodeNotDigits {
        /// The message.
        reason: String,
    },
    /// A submitted verification code is wrong or expired.
    #[error("{reason}")]
    WrongCode {
        /// The message.
        reason: String,
    },
    /// Too many wrong verification codes were submitted for a phone number.
    #[error("{reason}")]
    TooManyAttempts {
        /// The message.
        reason: String,
    },
    /// A BBS04 manager key's secrets do not match its group public key.
    #[error("{reason}")]
    InconsistentManagerKey {
        /// The message.
        reason: String,
    },
    /// A BBS04 member key and a group key belong to different generations.
    #[error("{reason}")]
    GenerationMismatch {
        /// The message.
        reason: String,
        /// The member key's generation.
        member: u32,
        /// The group key's generation.
        group: u32,
    },
    /// A revocation record does not follow the group key it is applied to.
    #[error("{reason}")]
    WrongRevocationGeneration {
        /// The message.
        reason: String,
        /// The generation the record must carry.
        expected: u32,
        /// The generation it carries.
        found: u32,
    },
    /// The group key is at the last generation and cannot be revoked from.
    #[error("{reason}")]
    GenerationExhausted {
        /// The message.
        reason: String,
    },
    /// A revocation record fails its checks against the group key it is applied to.
    #[error("{reason}")]
    InvalidRevocationRecord {
        /// The message.
        reason: String,
    },
    /// The member key is the one the revocation record revokes.
    #[error("{reason}")]
    Revoked {
        /// The message.
        reason: String,
    },
    /// A member key does not belong to the group key.
    #[error("{reason}")]
    NotAMember {
        /// The message.
        reason: String,
    },
    /// A BBS04 group signature does not verify for this group key, context and message.
    #[error("{reason}")]
    InvalidGroupSignature {
        /// The message.
        reason: String,
    },
    /// The prepared group key given to a manager is not the manager's current group key.
    #[error("{reason}")]
    GroupMismatch {
        /// The message.
        reason: String,
    },
    /// A signing context is longer than 65535 bytes.
    #[error("{reason}")]
    ContextTooLong {
        /// The message.
        reason: String,
        /// The context's length.
        length: u64,
    },
    /// A pairing value could not be encoded (never expected).
    #[error("{reason}")]
    GtEncoding {
        /// The message.
        reason: String,
    },
    /// An RSA modulus is not between 2048 and 4096 bits.
    #[error("{reason}")]
    UnsupportedModulusSize {
        /// The message.
        reason: String,
        /// The modulus length found, in bits.
        bits: u32,
    },
    /// An RSA public exponent is not 65537.
    #[error("{reason}")]
    UnsupportedExponent {
        /// The message.
        reason: String,
    },
    /// RSA key components are inconsistent.
    #[error("{reason}")]
    InvalidRsaKey {
        /// The message.
        reason: String,
    },
    /// A public key is not the exact RFC 9578 RSASSA-PSS SubjectPublicKeyInfo encoding.
    #[error("{reason}")]
    InvalidSpki {
        /// The message.
        reason: String,
    },
    /// A PKCS#8 private key (DER or PEM) could not be parsed.
    #[error("{reason}")]
    InvalidPkcs8 {
        /// The message.
        reason: String,
    },
    /// Encoding a private key failed.
    #[error("{reason}")]
    KeyEncoding {
        /// The message.
        reason: String,
    },
    /// RSA key generation failed.
    #[error("{reason}")]
    RsaKeyGeneration {
        /// The message.
        reason: String,
    },
    /// An input does not have the length the RSA key requires.
    #[error("{reason}")]
    WrongLength {
        /// The message.
        reason: String,
        /// Which input.
        input: String,
        /// The length required (the modulus length in bytes).
        expected: u64,
        /// The length given.
        found: u64,
    },
    /// A blinded message is not below the RSA modulus.
    #[error("{reason}")]
    BlindedMessageOutOfRange {
        /// The message.
        reason: String,
    },
    /// A blind signature is not below the RSA modulus.
    #[error("{reason}")]
    BlindSignatureOutOfRange {
        /// The message.
        reason: String,
    },
    /// An encoded message is not coprime to the RSA modulus.
    #[error("{reason}")]
    MessageNotCoprime {
        /// The message.
        reason: String,
    },
    /// No invertible blinding factor could be drawn.
    #[error("{reason}")]
    BlindingFailed {
        /// The message.
        reason: String,
    },
    /// The RSA private operation failed its check.
    #[error("{reason}")]
    SigningFailed {
        /// The message.
        reason: String,
    },
    /// A blinding inverse does not belong to this key.
    #[error("{reason}")]
    InverseNotForKey {
        /// The message.
        reason: String,
    },
    /// A blind signature does not unblind to a valid signature (the signer answered wrongly).
    #[error("{reason}")]
    InvalidBlindSignature {
        /// The message.
        reason: String,
    },
    /// An RSA signature does not verify under the key.
    #[error("{reason}")]
    InvalidRsaSignature {
        /// The message.
        reason: String,
    },
    /// A token message names a token type other than 0x0002.
    #[error("{reason}")]
    UnsupportedTokenType {
        /// The message.
        reason: String,
        /// The token type found.
        found: u16,
    },
    /// A token issuer name is empty or longer than 65535 bytes.
    #[error("{reason}")]
    InvalidIssuerName {
        /// The message.
        reason: String,
        /// Its length.
        length: u64,
    },
    /// A token challenge's origin info is longer than 65535 bytes.
    #[error("{reason}")]
    OriginInfoTooLong {
        /// The message.
        reason: String,
        /// Its length.
        length: u64,
    },
    /// A token key is not a 2048-bit RSA key.
    #[error("{reason}")]
    WrongTokenKeySize {
        /// The message.
        reason: String,
        /// The modulus length found, in bits.
        bits: u32,
    },
    /// A token key set or issuer has no key.
    #[error("{reason}")]
    EmptyTokenKeySet {
        /// The message.
        reason: String,
    },
    /// A token key set has more than 4 keys.
    #[error("{reason}")]
    TooManyTokenKeys {
        /// The message.
        reason: String,
        /// The number of keys.
        count: u64,
    },
    /// More than 2 token keys of a set are valid at one instant.
    #[error("{reason}")]
    TooManyConcurrentKeys {
        /// The message.
        reason: String,
        /// An instant at which too many keys are valid.
        at: u64,
    },
    /// A token key's validity is empty (not_before is not before expires).
    #[error("{reason}")]
    InvalidTokenKeyValidity {
        /// The message.
        reason: String,
        /// The 32-byte token key id.
        key_id: Vec<u8>,
    },
    /// Two token keys share the truncated key id (the last byte).
    #[error("{reason}")]
    DuplicateTruncatedKeyId {
        /// The message.
        reason: String,
        /// The shared truncated id.
        truncated: u8,
    },
    /// A challenge or key set names a different issuer than the pinned token key set.
    #[error("{reason}")]
    IssuerMismatch {
        /// The message.
        reason: String,
    },
    /// An offered token key set does not have a higher serial than the pinned one.
    #[error("{reason}")]
    KeySetRollback {
        /// The message.
        reason: String,
        /// The serial of the pinned set.
        pinned: u64,
        /// The serial of the offered set.
        offered: u64,
    },
    /// An offered token key set drops or changes a pinned key before it expires.
    #[error("{reason}")]
    KeyWithdrawnEarly {
        /// The message.
        reason: String,
        /// The 32-byte token key id.
        key_id: Vec<u8>,
    },
    /// The token key is not in the key set.
    #[error("{reason}")]
    UnknownTokenKey {
        /// The message.
        reason: String,
    },
    /// No issuer key has this truncated key id.
    #[error("{reason}")]
    UnknownTruncatedKeyId {
        /// The message.
        reason: String,
        /// The truncated id of the request.
        truncated: u8,
    },
    /// The token key is not valid at the given time.
    #[error("{reason}")]
    TokenKeyNotValid {
        /// The message.
        reason: String,
        /// The time given.
        now: u64,
    },
    /// The token was issued for a different challenge.
    #[error("{reason}")]
    ChallengeMismatch {
        /// The message.
        reason: String,
    },
    /// The token's authenticator is not a valid signature by its key.
    #[error("{reason}")]
    InvalidAuthenticator {
        /// The message.
        reason: String,
    },
    /// A message's type byte names no message of this version.
    #[error("{reason}")]
    UnknownMessageType {
        /// The message.
        reason: String,
        /// What kind of message was being read (request, response, delivery, payload).
        message_kind: String,
        /// The type byte found.
        found: u8,
    },
    /// An introduction's identity signature does not verify under its certificate's identity key.
    #[error("{reason}")]
    BadIntroductionSignature {
        /// The message.
        reason: String,
    },
    /// An introduction is addressed to another account.
    #[error("{reason}")]
    WrongRecipient {
        /// The message.
        reason: String,
    },
    /// An introduction's member key does not belong to the sender's group key.
    #[error("{reason}")]
    BadMemberKey {
        /// The message.
        reason: String,
    },
    /// An introduction claims to be written after now plus the allowed clock skew.
    #[error("{reason}")]
    FromTheFuture {
        /// The message.
        reason: String,
        /// Its timestamp.
        created_at: u64,
    },
    /// The client call needs a registered client.
    #[error("{reason}")]
    NotRegistered {
        /// The message.
        reason: String,
    },
    /// No cold-call token is available.
    #[error("{reason}")]
    NoTokens {
        /// The message.
        reason: String,
    },
    /// No contact has this account id.
    #[error("{reason}")]
    UnknownContact {
        /// The message.
        reason: String,
    },
    /// The contact has not given us a member key of its group, so we cannot reply to it.
    #[error("{reason}")]
    NoMembership {
        /// The message.
        reason: String,
    },
    /// The contact is blocked.
    #[error("{reason}")]
    ContactBlocked {
        /// The message.
        reason: String,
    },
    /// No request with this id is outstanding.
    #[error("{reason}")]
    UnknownRequest {
        /// The message.
        reason: String,
    },
    /// A delivery's group signature does not open to a member key we issued.
    #[error("{reason}")]
    UnknownSender {
        /// The message.
        reason: String,
    },
    /// The server's keys have no token key valid now.
    #[error("{reason}")]
    NoTokenKey {
        /// The message.
        reason: String,
    },
    /// A payload or field exceeds its limit.
    #[error("{reason}")]
    TooLarge {
        /// The message.
        reason: String,
        /// Which field.
        field: String,
    },
    /// A response answers another kind of request than the one with this id (or a delivery's payload does not fit it).
    #[error("{reason}")]
    UnexpectedResponse {
        /// The message.
        reason: String,
    },
    /// The pinned server keys refused an update.
    #[error("{reason}")]
    KeyUpdateRefused {
        /// The message.
        reason: String,
    },
    /// The server's certificate issuer key is not in its published key set.
    #[error("{reason}")]
    IssuerNotPublished {
        /// The message.
        reason: String,
    },
    /// A token issuer's keys are not exactly the keys of its published key set.
    #[error("{reason}")]
    TokenKeysMismatch {
        /// The message.
        reason: String,
        /// Which purpose (cold-call, discovery).
        purpose: String,
    },
    /// A discovery token key is not valid for exactly one discovery window.
    #[error("{reason}")]
    DiscoveryKeyNotOneWindow {
        /// The message.
        reason: String,
    },
    /// Generating a server key failed.
    #[error("{reason}")]
    KeyGeneration {
        /// The message.
        reason: String,
    },
    /// A server configuration value is out of range.
    #[error("{reason}")]
    InvalidConfig {
        /// The message.
        reason: String,
        /// Which value.
        field: String,
    },
    /// A store failed a check of the store conformance suite.
    #[error("{reason}")]
    StoreConformance {
        /// The message.
        reason: String,
        /// Which check failed.
        check: String,
        /// What was observed.
        detail: String,
    },
    /// The server's store failed; the server answered with an internal error.
    #[error("{reason}")]
    StoreFailure {
        /// The message.
        reason: String,
        /// The backend's message.
        detail: String,
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
    /// An object embedded in a message (a key, token, certificate or signature) did not
    /// decode; the error's `reason` says why.
    InvalidEmbedded,
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
        }
    }
}

/// Widens a length or count for the FFI (lengths here are far below 2^64).
pub(crate) fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl From<DecodeError> for BlindpostError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed {
            reason: e.to_string(),
            field: e.field.to_owned(),
            kind: e.kind.into(),
        }
    }
}

impl From<BlsError> for BlindpostError {
    fn from(e: BlsError) -> Self {
        let reason = e.to_string();
        match e {
            BlsError::Decode(d) => d.into(),
            BlsError::IkmTooShort { length } => Self::IkmTooShort {
                reason,
                length: wide(length),
            },
            BlsError::InvalidSignature => Self::InvalidSignature { reason },
            BlsError::InvalidProofOfPossession => Self::InvalidProofOfPossession { reason },
        }
    }
}

impl From<PhoneNumberError> for BlindpostError {
    fn from(e: PhoneNumberError) -> Self {
        Self::InvalidPhoneNumber {
            reason: e.to_string(),
        }
    }
}

impl From<CertificateError> for BlindpostError {
    fn from(e: CertificateError) -> Self {
        let reason = e.to_string();
        match e {
            CertificateError::Malformed(d) => d.into(),
            CertificateError::UnknownIssuer { key_id } => Self::UnknownIssuer {
                reason,
                key_id: key_id.to_bytes().to_vec(),
            },
            CertificateError::BadSignature => Self::BadCertificateSignature { reason },
            CertificateError::Expired { not_after, now } => Self::Expired {
                reason,
                not_after,
                now,
            },
            CertificateError::NotYetValid { not_before, now } => Self::NotYetValid {
                reason,
                not_before,
                now,
            },
            CertificateError::WrongPhoneNumber => Self::WrongPhoneNumber { reason },
            CertificateError::InvalidValidity {
                not_before,
                not_after,
            } => Self::InvalidValidity {
                reason,
                not_before,
                not_after,
            },
            CertificateError::ValidityOutsideIssuerKey => Self::ValidityOutsideIssuerKey { reason },
            CertificateError::EmptyHostKey => Self::EmptyHostKey { reason },
            CertificateError::HostKeyTooLong { length } => Self::HostKeyTooLong {
                reason,
                length: wide(length),
            },
            CertificateError::EmptyKeySet => Self::EmptyKeySet { reason },
            CertificateError::TooManyIssuerKeys { count } => Self::TooManyIssuerKeys {
                reason,
                count: wide(count),
            },
            CertificateError::DuplicateIssuerKey { key_id } => Self::DuplicateIssuerKey {
                reason,
                key_id: key_id.to_bytes().to_vec(),
            },
        }
    }
}

impl From<CodeError> for BlindpostError {
    fn from(e: CodeError) -> Self {
        let reason = e.to_string();
        match e {
            CodeError::InvalidDigits { digits } => Self::InvalidCodeDigits { reason, digits },
            CodeError::ZeroWindow => Self::ZeroCodeWindow { reason },
            CodeError::WrongLength { expected, found } => Self::WrongCodeLength {
                reason,
                expected,
                found: wide(found),
            },
            CodeError::NotDigits => Self::CodeNotDigits { reason },
            CodeError::WrongCode => Self::WrongCode { reason },
            CodeError::TooManyAttempts => Self::TooManyAttempts { reason },
        }
    }
}

impl BlindpostError {
    /// The same error with `reason` as its message (for a wrapped core error: the variant comes
    /// from the inner error, the message from the outer one, which says where it happened).
    #[must_use]
    pub(crate) fn with_reason(mut self, message: String) -> Self {
        match &mut self {
            Self::Malformed { reason, .. }
            | Self::RequestTooLarge { reason, .. }
            | Self::Randomness { reason, .. }
            | Self::IkmTooShort { reason, .. }
            | Self::InvalidSignature { reason, .. }
            | Self::InvalidProofOfPossession { reason, .. }
            | Self::InvalidPhoneNumber { reason, .. }
            | Self::UnknownIssuer { reason, .. }
            | Self::BadCertificateSignature { reason, .. }
            | Self::Expired { reason, .. }
            | Self::NotYetValid { reason, .. }
            | Self::WrongPhoneNumber { reason, .. }
            | Self::InvalidValidity { reason, .. }
            | Self::ValidityOutsideIssuerKey { reason, .. }
            | Self::EmptyHostKey { reason, .. }
            | Self::HostKeyTooLong { reason, .. }
            | Self::EmptyKeySet { reason, .. }
            | Self::TooManyIssuerKeys { reason, .. }
            | Self::DuplicateIssuerKey { reason, .. }
            | Self::InvalidCodeDigits { reason, .. }
            | Self::ZeroCodeWindow { reason, .. }
            | Self::WrongCodeLength { reason, .. }
            | Self::CodeNotDigits { reason, .. }
            | Self::WrongCode { reason, .. }
            | Self::TooManyAttempts { reason, .. }
            | Self::InconsistentManagerKey { reason, .. }
            | Self::GenerationMismatch { reason, .. }
            | Self::WrongRevocationGeneration { reason, .. }
            | Self::GenerationExhausted { reason, .. }
            | Self::InvalidRevocationRecord { reason, .. }
            | Self::Revoked { reason, .. }
            | Self::NotAMember { reason, .. }
            | Self::InvalidGroupSignature { reason, .. }
            | Self::GroupMismatch { reason, .. }
            | Self::ContextTooLong { reason, .. }
            | Self::GtEncoding { reason, .. }
            | Self::UnsupportedModulusSize { reason, .. }
            | Self::UnsupportedExponent { reason, .. }
            | Self::InvalidRsaKey { reason, .. }
            | Self::InvalidSpki { reason, .. }
            | Self::InvalidPkcs8 { reason, .. }
            | Self::KeyEncoding { reason, .. }
            | Self::RsaKeyGeneration { reason, .. }
            | Self::WrongLength { reason, .. }
            | Self::BlindedMessageOutOfRange { reason, .. }
            | Self::BlindSignatureOutOfRange { reason, .. }
            | Self::MessageNotCoprime { reason, .. }
            | Self::BlindingFailed { reason, .. }
            | Self::SigningFailed { reason, .. }
            | Self::InverseNotForKey { reason, .. }
            | Self::InvalidBlindSignature { reason, .. }
            | Self::InvalidRsaSignature { reason, .. }
            | Self::UnsupportedTokenType { reason, .. }
            | Self::InvalidIssuerName { reason, .. }
            | Self::OriginInfoTooLong { reason, .. }
            | Self::WrongTokenKeySize { reason, .. }
            | Self::EmptyTokenKeySet { reason, .. }
            | Self::TooManyTokenKeys { reason, .. }
            | Self::TooManyConcurrentKeys { reason, .. }
            | Self::InvalidTokenKeyValidity { reason, .. }
            | Self::DuplicateTruncatedKeyId { reason, .. }
            | Self::IssuerMismatch { reason, .. }
            | Self::KeySetRollback { reason, .. }
            | Self::KeyWithdrawnEarly { reason, .. }
            | Self::UnknownTokenKey { reason, .. }
            | Self::UnknownTruncatedKeyId { reason, .. }
            | Self::TokenKeyNotValid { reason, .. }
            | Self::ChallengeMismatch { reason, .. }
            | Self::InvalidAuthenticator { reason, .. }
            | Self::UnknownMessageType { reason, .. }
            | Self::BadIntroductionSignature { reason, .. }
            | Self::WrongRecipient { reason, .. }
            | Self::BadMemberKey { reason, .. }
            | Self::FromTheFuture { reason, .. }
            | Self::NotRegistered { reason, .. }
            | Self::NoTokens { reason, .. }
            | Self::UnknownContact { reason, .. }
            | Self::NoMembership { reason, .. }
            | Self::ContactBlocked { reason, .. }
            | Self::UnknownRequest { reason, .. }
            | Self::UnknownSender { reason, .. }
            | Self::NoTokenKey { reason, .. }
            | Self::TooLarge { reason, .. }
            | Self::UnexpectedResponse { reason, .. }
            | Self::KeyUpdateRefused { reason, .. }
            | Self::IssuerNotPublished { reason, .. }
            | Self::TokenKeysMismatch { reason, .. }
            | Self::DiscoveryKeyNotOneWindow { reason, .. }
            | Self::KeyGeneration { reason, .. }
            | Self::InvalidConfig { reason, .. }
            | Self::StoreConformance { reason, .. }
            | Self::StoreFailure { reason, .. } => *reason = message,
        }
        self
    }
}

impl From<bbs04::Error> for BlindpostError {
    fn from(e: bbs04::Error) -> Self {
        use bbs04::Error as E;
        let reason = e.to_string();
        match e {
            E::Decode(d) => Self::from(d).with_reason(reason),
            E::InconsistentManagerKey => Self::InconsistentManagerKey { reason },
            E::GenerationMismatch { member, group } => Self::GenerationMismatch {
                reason,
                member,
                group,
            },
            E::WrongGeneration { expected, found } => Self::WrongRevocationGeneration {
                reason,
                expected,
                found,
            },
            E::GenerationExhausted => Self::GenerationExhausted { reason },
            E::InvalidRevocationRecord => Self::InvalidRevocationRecord { reason },
            E::Revoked => Self::Revoked { reason },
            E::NotAMember => Self::NotAMember { reason },
            E::InvalidSignature => Self::InvalidGroupSignature { reason },
            E::GroupMismatch => Self::GroupMismatch { reason },
            E::ContextTooLong { length } => Self::ContextTooLong {
                reason,
                length: wide(length),
            },
            E::GtEncoding => Self::GtEncoding { reason },
        }
    }
}

impl From<blind_rsa::Error> for BlindpostError {
    fn from(e: blind_rsa::Error) -> Self {
        use blind_rsa::Error as E;
        let reason = e.to_string();
        match e {
            E::UnsupportedModulusSize { bits } => Self::UnsupportedModulusSize { reason, bits },
            E::UnsupportedExponent => Self::UnsupportedExponent { reason },
            E::InvalidKey => Self::InvalidRsaKey { reason },
            E::InvalidSpki => Self::InvalidSpki { reason },
            E::InvalidPkcs8 => Self::InvalidPkcs8 { reason },
            E::KeyEncoding => Self::KeyEncoding { reason },
            E::KeyGeneration => Self::RsaKeyGeneration { reason },
            E::WrongLength {
                input,
                expected,
                found,
            } => Self::WrongLength {
                reason,
                input: input.to_owned(),
                expected: wide(expected),
                found: wide(found),
            },
            E::BlindedMessageOutOfRange => Self::BlindedMessageOutOfRange { reason },
            E::BlindSignatureOutOfRange => Self::BlindSignatureOutOfRange { reason },
            E::MessageNotCoprime => Self::MessageNotCoprime { reason },
            E::BlindingFailed => Self::BlindingFailed { reason },
            E::SigningFailed => Self::SigningFailed { reason },
            E::InverseNotForKey => Self::InverseNotForKey { reason },
            E::InvalidBlindSignature => Self::InvalidBlindSignature { reason },
            E::InvalidSignature => Self::InvalidRsaSignature { reason },
        }
    }
}

impl From<token::Error> for BlindpostError {
    fn from(e: token::Error) -> Self {
        use token::Error as E;
        let reason = e.to_string();
        match e {
            E::Decode(d) => Self::from(d).with_reason(reason),
            E::BlindRsa(b) => Self::from(b).with_reason(reason),
            E::UnsupportedTokenType { found } => Self::UnsupportedTokenType { reason, found },
            E::InvalidIssuerName { length } => Self::InvalidIssuerName {
                reason,
                length: wide(length),
            },
            E::OriginInfoTooLong { length } => Self::OriginInfoTooLong {
                reason,
                length: wide(length),
            },
            E::WrongKeySize { bits } => Self::WrongTokenKeySize { reason, bits },
            E::EmptyKeySet => Self::EmptyTokenKeySet { reason },
            E::TooManyKeys { count } => Self::TooManyTokenKeys {
                reason,
                count: wide(count),
            },
            E::TooManyConcurrentKeys { at } => Self::TooManyConcurrentKeys { reason, at },
            E::InvalidValidity { key_id } => Self::InvalidTokenKeyValidity {
                reason,
                key_id: key_id.as_bytes().to_vec(),
            },
            E::DuplicateTruncatedKeyId { truncated } => {
                Self::DuplicateTruncatedKeyId { reason, truncated }
            }
            E::IssuerMismatch => Self::IssuerMismatch { reason },
            E::KeySetRollback { pinned, offered } => Self::KeySetRollback {
                reason,
                pinned,
                offered,
            },
            E::KeyWithdrawnEarly { key_id } => Self::KeyWithdrawnEarly {
                reason,
                key_id: key_id.as_bytes().to_vec(),
            },
            E::UnknownKeyId => Self::UnknownTokenKey { reason },
            E::UnknownTruncatedKeyId { truncated } => {
                Self::UnknownTruncatedKeyId { reason, truncated }
            }
            E::KeyNotValid { now } => Self::TokenKeyNotValid { reason, now },
            E::ChallengeMismatch => Self::ChallengeMismatch { reason },
            E::InvalidAuthenticator => Self::InvalidAuthenticator { reason },
        }
    }
}

impl From<WireError> for BlindpostError {
    fn from(e: WireError) -> Self {
        let reason = e.to_string();
        match e {
            WireError::Decode(d) => Self::from(d).with_reason(reason),
            WireError::UnknownType { message, found } => Self::UnknownMessageType {
                reason,
                message_kind: message.to_owned(),
                found,
            },
            WireError::Embedded { field, cause: _ } => Self::Malformed {
                reason,
                field: field.to_owned(),
                kind: DecodeErrorKind::InvalidEmbedded,
            },
        }
    }
}

impl From<StateError> for BlindpostError {
    fn from(e: StateError) -> Self {
        let reason = e.to_string();
        match e {
            StateError::Decode(d) => Self::from(d).with_reason(reason),
            StateError::UnknownTag { field, found } => Self::UnknownMessageType {
                reason,
                message_kind: field.to_owned(),
                found,
            },
            StateError::Embedded { field, .. } => Self::Malformed {
                reason,
                field: field.to_owned(),
                kind: DecodeErrorKind::InvalidEmbedded,
            },
            StateError::TooLong(too_long) => Self::TooLarge {
                reason,
                field: too_long.field.to_owned(),
            },
            _ => Self::Malformed {
                reason,
                field: "client_state".to_owned(),
                kind: DecodeErrorKind::InvalidValue,
            },
        }
    }
}

impl From<IntroductionError> for BlindpostError {
    fn from(e: IntroductionError) -> Self {
        let reason = e.to_string();
        match e {
            IntroductionError::Certificate(c) => Self::from(c).with_reason(reason),
            IntroductionError::BadSignature => Self::BadIntroductionSignature { reason },
            IntroductionError::WrongRecipient => Self::WrongRecipient { reason },
            IntroductionError::BadMemberKey => Self::BadMemberKey { reason },
            IntroductionError::FromTheFuture { created_at } => {
                Self::FromTheFuture { reason, created_at }
            }
        }
    }
}

impl From<ClientError> for BlindpostError {
    fn from(e: ClientError) -> Self {
        let reason = e.to_string();
        match e {
            ClientError::Wire(w) => Self::from(w).with_reason(reason),
            ClientError::State(s) => Self::from(s).with_reason(reason),
            ClientError::NotRegistered => Self::NotRegistered { reason },
            ClientError::NoTokens => Self::NoTokens { reason },
            ClientError::UnknownContact => Self::UnknownContact { reason },
            ClientError::NoMembership => Self::NoMembership { reason },
            ClientError::Blocked => Self::ContactBlocked { reason },
            ClientError::UnknownRequest => Self::UnknownRequest { reason },
            ClientError::Certificate(c) => Self::from(c).with_reason(reason),
            ClientError::Introduction(i) => Self::from(i).with_reason(reason),
            ClientError::Group(g) => Self::from(g).with_reason(reason),
            ClientError::Token(t) => Self::from(t).with_reason(reason),
            ClientError::UnknownSender => Self::UnknownSender { reason },
            ClientError::NoTokenKey => Self::NoTokenKey { reason },
            ClientError::TooLarge { field } => Self::TooLarge {
                reason,
                field: field.to_owned(),
            },
            ClientError::UnexpectedResponse => Self::UnexpectedResponse { reason },
            ClientError::KeyUpdateRefused => Self::KeyUpdateRefused { reason },
        }
    }
}

impl From<ServerError> for BlindpostError {
    fn from(e: ServerError) -> Self {
        let reason = e.to_string();
        match e {
            ServerError::IssuerNotPublished => Self::IssuerNotPublished { reason },
            ServerError::TokenKeysMismatch { purpose } => Self::TokenKeysMismatch {
                reason,
                purpose: purpose.to_owned(),
            },
            ServerError::DiscoveryKeyNotOneWindow => Self::DiscoveryKeyNotOneWindow { reason },
            ServerError::KeyGeneration => Self::KeyGeneration { reason },
            ServerError::KeyEncoding => Self::KeyEncoding { reason },
            ServerError::InvalidConfig { field } => Self::InvalidConfig {
                reason,
                field: field.to_owned(),
            },
        }
    }
}

impl From<StoreError> for BlindpostError {
    fn from(e: StoreError) -> Self {
        Self::StoreFailure {
            reason: e.to_string(),
            detail: e.message,
        }
    }
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
