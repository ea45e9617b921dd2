//! What crosses between the client, the server and their hosts (SPEC.md section 11): channels,
//! request types, error codes, deliveries and the server's published keys.

use crate::error::{wrong_length, BlindpostError};
use blindpost::account::{self, AccountId};
use blindpost::certificate::IssuerKeySet;
use blindpost::token::TokenKeySet;
use blindpost::wire;

/// An account id (32 bytes) from bytes.
pub(crate) fn account_id(field: &'static str, bytes: &[u8]) -> Result<AccountId, BlindpostError> {
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| wrong_length(field, 32, bytes.len()))?;
    Ok(AccountId(array))
}

/// The account id of the identity key `identity_key` (48 bytes): the address other accounts
/// send to (SPEC.md 11.1). A certificate's `account` field is the same value.
#[uniffi::export]
pub fn account_id_for_identity_key(identity_key: Vec<u8>) -> Result<Vec<u8>, BlindpostError> {
    let pk = blindpost::bls::PublicKey::from_bytes(&identity_key)?;
    Ok(AccountId::for_identity_key(&pk.to_bytes()).0.to_vec())
}

/// The channel a request travels on (SPEC.md 11.2). The client says which one each request
/// must use; the server's host says which one a request came by.
#[derive(uniffi::Enum, Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// A plain connection that names no account: registration only.
    Direct,
    /// A fresh anonymous circuit (Tor or similar) carrying no account credential.
    Anonymous,
    /// A connection the host has authenticated as this account (32-byte id).
    Authenticated {
        /// The account.
        account: Vec<u8>,
    },
}

impl From<account::Channel> for Channel {
    fn from(c: account::Channel) -> Self {
        match c {
            account::Channel::Direct => Self::Direct,
            account::Channel::Anonymous => Self::Anonymous,
            account::Channel::Authenticated(a) => Self::Authenticated {
                account: a.0.to_vec(),
            },
        }
    }
}

impl TryFrom<Channel> for account::Channel {
    type Error = BlindpostError;

    fn try_from(c: Channel) -> Result<Self, BlindpostError> {
        Ok(match c {
            Channel::Direct => Self::Direct,
            Channel::Anonymous => Self::Anonymous,
            Channel::Authenticated { account } => {
                Self::Authenticated(account_id("channel.account", &account)?)
            }
        })
    }
}

/// The type of a request (and of its response).
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// Ask for a verification code.
    RequestCode,
    /// Register a phone number.
    Register,
    /// A cold call.
    ColdCall,
    /// A reply.
    Reply,
    /// Fetch a contact's group key.
    FetchGroupKey,
    /// Renew a released token.
    RenewToken,
    /// Look up phone numbers.
    Lookup,
    /// Fetch the server's keys.
    FetchKeys,
    /// Release a cold call's token.
    Release,
    /// Publish a revocation record.
    UploadRevocation,
    /// Replace the group key.
    RotateGroupKey,
    /// Get discovery tokens.
    IssueDiscoveryTokens,
    /// Redeem reputation stamps for cold-call tokens.
    RedeemStamps,
    /// Claim cold-call tokens of a bulk-sender tier.
    ClaimBulkTokens,
}

impl From<wire::RequestType> for RequestType {
    fn from(t: wire::RequestType) -> Self {
        use wire::RequestType as T;
        match t {
            T::RequestCode => Self::RequestCode,
            T::Register => Self::Register,
            T::ColdCall => Self::ColdCall,
            T::Reply => Self::Reply,
            T::FetchGroupKey => Self::FetchGroupKey,
            T::RenewToken => Self::RenewToken,
            T::Lookup => Self::Lookup,
            T::FetchKeys => Self::FetchKeys,
            T::Release => Self::Release,
            T::UploadRevocation => Self::UploadRevocation,
            T::RotateGroupKey => Self::RotateGroupKey,
            T::IssueDiscoveryTokens => Self::IssueDiscoveryTokens,
            T::RedeemStamps => Self::RedeemStamps,
            T::ClaimBulkTokens => Self::ClaimBulkTokens,
        }
    }
}

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $name:ident ),* $(,)?) => {
        /// Why the server refused a request (SPEC.md 11.4).
        #[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $name, )*
            /// A code this library version does not know (from a newer server).
            Unknown {
                /// The code's number on the wire.
                code: u16,
            },
        }

        impl From<wire::ErrorCode> for ErrorCode {
            fn from(c: wire::ErrorCode) -> Self {
                match c {
                    $( wire::ErrorCode::$name => Self::$name, )*
                    // The core's enum is non_exhaustive: a code added there after this list
                    // arrives as Unknown with its number (a Rust test checks that every code
                    // the core knows is listed here).
                    other => Self::Unknown { code: other.to_u16() },
                }
            }
        }

        impl From<ErrorCode> for wire::ErrorCode {
            fn from(c: ErrorCode) -> Self {
                match c {
                    $( ErrorCode::$name => Self::$name, )*
                    ErrorCode::Unknown { code } => Self::from_u16(code),
                }
            }
        }
    };
}

error_codes! {
    /// The request did not decode.
    Malformed,
    /// The request type is not allowed on the channel it came by.
    WrongChannel,
    /// The store failed; nothing was changed.
    Internal,
    /// The code session has used up its verification code checks.
    TooManyAttempts,
    /// The verification code is wrong or expired, or no code was requested for the session.
    WrongCode,
    /// The identity key's proof of possession does not verify.
    BadProofOfPossession,
    /// The registration carries more token requests than allowed.
    TooManyTokenRequests,
    /// The identity key is registered to another phone number.
    AccountConflict,
    /// The code session already registered another request: one code, one registration.
    CodeUsed,
    /// No account has this id.
    UnknownRecipient,
    /// The token does not verify under the purpose's keys and challenge.
    InvalidToken,
    /// The token is already attached, spent or renewed.
    TokenSpent,
    /// The sealed payload exceeds the server's limit.
    PayloadTooLarge,
    /// The signature names another generation of the group key.
    StaleGeneration,
    /// The timestamp is too far from the server's clock.
    ClockSkew,
    /// The group signature does not verify.
    BadSignature,
    /// This signature was already accepted.
    Replayed,
    /// No token is attached under this delivery handle.
    UnknownHandle,
    /// The token is attached to another account.
    NotYourToken,
    /// The token has not been released yet.
    NotReleased,
    /// The token was never attached.
    UnknownToken,
    /// The revocation record does not apply to the current group key.
    BadRevocation,
    /// The new group key does not have a later generation.
    BadRotation,
    /// The request names another discovery window.
    WrongWindow,
    /// A limit per phone number and period is reached: discovery tokens, code requests or
    /// registrations.
    RateLimited,
    /// The lookup batch exceeds the server's limit.
    TooManyNumbers,
    /// The server offers no bulk-sender tier.
    BulkNotOffered,
    /// The bulk-sender proof's chain leads to no trust anchor of the operator.
    BulkUntrusted,
    /// A certificate of the bulk-sender proof is expired or not yet valid.
    BulkExpired,
    /// The bulk-sender proof's certificate is not valid for its domain.
    BulkWrongDomain,
    /// The bulk-sender proof's signature does not verify.
    BulkBadSignature,
    /// The bulk-sender proof's signature scheme is not supported.
    BulkUnsupportedScheme,
    /// The operator revoked the domain's bulk-sender tier.
    BulkRevoked,
    /// The operator grants the proof's domain no bulk-sender tier.
    BulkNoTier,
}

/// The wire number of `code`.
#[uniffi::export]
pub fn error_code_number(code: ErrorCode) -> u16 {
    wire::ErrorCode::from(code).to_u16()
}

/// The name SPEC.md gives `code` (for example `not_released`).
#[uniffi::export]
pub fn error_code_name(code: ErrorCode) -> String {
    wire::ErrorCode::from(code).name().to_owned()
}

/// A message the server queued for an account, decoded (SPEC.md 11.5). The host opens
/// `sealed` and hands the delivery's bytes and the opened payload to the recipient's client.
#[derive(uniffi::Enum, Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A cold call; its token stays attached to the recipient until released.
    ColdCall {
        /// The 16-byte handle the token is released by.
        handle: Vec<u8>,
        /// The server's clock when it accepted the cold call.
        received_at: u64,
        /// The sealed payload.
        sealed: Vec<u8>,
    },
    /// A reply, authorised by a group signature under the recipient's group.
    Reply {
        /// The group key generation it was signed under.
        generation: u32,
        /// The sender's timestamp.
        timestamp: u64,
        /// The sealed payload.
        sealed: Vec<u8>,
        /// The 913-byte group signature.
        signature: Vec<u8>,
    },
}

/// Decodes delivery bytes (as the server's `Output::Deliver` hands them out).
#[uniffi::export]
pub fn decode_delivery(bytes: Vec<u8>) -> Result<Delivery, BlindpostError> {
    Ok(match wire::Delivery::from_bytes(&bytes)? {
        wire::Delivery::ColdCall {
            handle,
            received_at,
            sealed,
        } => Delivery::ColdCall {
            handle: handle.0.to_vec(),
            received_at: received_at.unix_secs(),
            sealed,
        },
        wire::Delivery::Reply {
            generation,
            timestamp,
            sealed,
            signature,
        } => Delivery::Reply {
            generation,
            timestamp: timestamp.unix_secs(),
            sealed,
            signature: signature.to_bytes().to_vec(),
        },
    })
}

/// The sealed payload of delivery bytes (what the host opens).
#[uniffi::export]
pub fn delivery_sealed_payload(bytes: Vec<u8>) -> Result<Vec<u8>, BlindpostError> {
    Ok(wire::Delivery::from_bytes(&bytes)?.sealed().to_vec())
}

/// The public keys a server publishes and clients pin (SPEC.md 12.7), each as its canonical
/// encoding.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct ServerKeys {
    /// The certificate issuer key set (`IssuerKeySet` encoding).
    pub certificate_issuers: Vec<u8>,
    /// The cold-call token key set (`TokenKeySet` encoding).
    pub cold_call_tokens: Vec<u8>,
    /// The discovery token key set (`TokenKeySet` encoding).
    pub discovery_tokens: Vec<u8>,
    /// The reputation stamp key set (`TokenKeySet` encoding).
    pub stamp_tokens: Vec<u8>,
}

impl From<&wire::ServerKeys> for ServerKeys {
    fn from(k: &wire::ServerKeys) -> Self {
        Self {
            certificate_issuers: k.certificate_issuers.to_bytes(),
            cold_call_tokens: k.cold_call_tokens.to_bytes(),
            discovery_tokens: k.discovery_tokens.to_bytes(),
            stamp_tokens: k.stamp_tokens.to_bytes(),
        }
    }
}

impl TryFrom<&ServerKeys> for wire::ServerKeys {
    type Error = BlindpostError;

    fn try_from(k: &ServerKeys) -> Result<Self, BlindpostError> {
        Ok(Self {
            certificate_issuers: IssuerKeySet::from_bytes(&k.certificate_issuers)?,
            cold_call_tokens: TokenKeySet::from_bytes(&k.cold_call_tokens)?,
            discovery_tokens: TokenKeySet::from_bytes(&k.discovery_tokens)?,
            stamp_tokens: TokenKeySet::from_bytes(&k.stamp_tokens)?,
        })
    }
}
