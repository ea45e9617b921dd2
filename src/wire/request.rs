//! Requests from a client to the server (SPEC.md 11.3, 12, 13, 14).

use super::{
    embedded, DeliveryHandle, WireError, MAX_DISCOVERY_REQUESTS, MAX_LOOKUP_BATCH,
    MAX_REGISTRATION_TOKENS, MAX_SEALED_LEN, VERSION,
};
use crate::account::{AccountId, ChannelKind};
use crate::bbs04::{GroupPublicKey, RevocationRecord, Signature};
use crate::bls::{ProofOfPossession, PublicKey};
use crate::certificate::{HostKey, IssuerKeySet, PhoneNumber};
use crate::encoding::{Reader, Writer};
use crate::token::{Token, TokenKeySet, TokenRequest};
use alloc::string::String;
use alloc::vec::Vec;

/// The most bytes of a verification code on the wire.
const MAX_CODE_LEN: usize = 10;

/// The type byte of each request (and of its response).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RequestType {
    /// [`Request::RequestCode`].
    RequestCode = 0x01,
    /// [`Request::Register`].
    Register = 0x02,
    /// [`Request::ColdCall`].
    ColdCall = 0x10,
    /// [`Request::Reply`].
    Reply = 0x11,
    /// [`Request::FetchGroupKey`].
    FetchGroupKey = 0x12,
    /// [`Request::RenewToken`].
    RenewToken = 0x13,
    /// [`Request::Lookup`].
    Lookup = 0x14,
    /// [`Request::FetchKeys`].
    FetchKeys = 0x15,
    /// [`Request::Release`].
    Release = 0x20,
    /// [`Request::UploadRevocation`].
    UploadRevocation = 0x21,
    /// [`Request::RotateGroupKey`].
    RotateGroupKey = 0x22,
    /// [`Request::IssueDiscoveryTokens`].
    IssueDiscoveryTokens = 0x23,
}

impl RequestType {
    const ALL: [RequestType; 12] = [
        RequestType::RequestCode,
        RequestType::Register,
        RequestType::ColdCall,
        RequestType::Reply,
        RequestType::FetchGroupKey,
        RequestType::RenewToken,
        RequestType::Lookup,
        RequestType::FetchKeys,
        RequestType::Release,
        RequestType::UploadRevocation,
        RequestType::RotateGroupKey,
        RequestType::IssueDiscoveryTokens,
    ];

    /// The type with this byte.
    pub fn from_u8(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| *t as u8 == b)
    }

    /// The channel this request must travel on (SPEC.md 11.2).
    pub fn channel(self) -> ChannelKind {
        match self {
            RequestType::RequestCode | RequestType::Register => ChannelKind::Direct,
            RequestType::ColdCall
            | RequestType::Reply
            | RequestType::FetchGroupKey
            | RequestType::RenewToken
            | RequestType::Lookup
            | RequestType::FetchKeys => ChannelKind::Anonymous,
            RequestType::Release
            | RequestType::UploadRevocation
            | RequestType::RotateGroupKey
            | RequestType::IssueDiscoveryTokens => ChannelKind::Authenticated,
        }
    }

    /// The name SPEC.md uses.
    pub fn name(self) -> &'static str {
        match self {
            RequestType::RequestCode => "request_code",
            RequestType::Register => "register",
            RequestType::ColdCall => "cold_call",
            RequestType::Reply => "reply",
            RequestType::FetchGroupKey => "fetch_group_key",
            RequestType::RenewToken => "renew_token",
            RequestType::Lookup => "lookup",
            RequestType::FetchKeys => "fetch_keys",
            RequestType::Release => "release",
            RequestType::UploadRevocation => "upload_revocation",
            RequestType::RotateGroupKey => "rotate_group_key",
            RequestType::IssueDiscoveryTokens => "issue_discovery_tokens",
        }
    }
}

/// Registration: proves a phone number and asks for a certificate and tokens (SPEC.md 12.2).
#[derive(Clone, Debug)]
pub struct RegisterRequest {
    /// The phone number being registered.
    pub phone: PhoneNumber,
    /// The verification code the host received by SMS (ASCII digits).
    pub code: String,
    /// The account's identity public key.
    pub identity_key: PublicKey,
    /// Proof of possession of the identity key.
    pub proof: ProofOfPossession,
    /// The host's own identity key (e.g. of its end-to-end encryption), if any.
    pub host_key: Option<HostKey>,
    /// The account's group public key, against which replies to it are checked.
    pub group_key: GroupPublicKey,
    /// Blinded cold-call token requests (at most [`MAX_REGISTRATION_TOKENS`]).
    pub token_requests: Vec<TokenRequest>,
}

/// A cold call: a token pays for one sealed payload to a recipient (SPEC.md 12.3).
#[derive(Clone, Debug)]
pub struct ColdCallRequest {
    /// The recipient's account.
    pub recipient: AccountId,
    /// A cold-call token.
    pub token: Token,
    /// The payload, sealed end to end by the host.
    pub sealed: Vec<u8>,
}

/// A reply: a group signature under the recipient's group authorises it (SPEC.md 12.5).
#[derive(Clone, Debug)]
pub struct ReplyRequest {
    /// The recipient's account.
    pub recipient: AccountId,
    /// The generation of the recipient's group key the signature was made under.
    pub generation: u32,
    /// The sender's clock when signing (Unix seconds).
    pub timestamp: u64,
    /// The payload, sealed end to end by the host.
    pub sealed: Vec<u8>,
    /// The group signature over the reply context and the sealed payload.
    pub signature: Signature,
}

/// The public keys a server publishes (SPEC.md 12.7): clients pin them.
#[derive(Clone, Debug)]
pub struct ServerKeys {
    /// The certificate issuer keys.
    pub certificate_issuers: IssuerKeySet,
    /// The keys cold-call tokens are issued under.
    pub cold_call_tokens: TokenKeySet,
    /// The keys discovery tokens are issued under (one per window).
    pub discovery_tokens: TokenKeySet,
}

/// A request from a client to the server.
#[derive(Clone, Debug)]
// Messages are built once and moved a few times; boxing would only add indirection.
#[allow(clippy::large_enum_variant)]
pub enum Request {
    /// Ask for a verification code to be sent to this phone number.
    RequestCode {
        /// The phone number.
        phone: PhoneNumber,
    },
    /// Register (SPEC.md 12.2).
    Register(RegisterRequest),
    /// Cold call (SPEC.md 12.3).
    ColdCall(ColdCallRequest),
    /// Reply (SPEC.md 12.5).
    Reply(ReplyRequest),
    /// Fetch an account's current group key and the revocation records since a generation.
    FetchGroupKey {
        /// The group's owner.
        account: AccountId,
        /// The generation the member holds; records after it are returned.
        since_generation: u32,
    },
    /// Exchange a released cold-call token for a fresh one (SPEC.md 12.4).
    RenewToken {
        /// The released token.
        token: Token,
        /// A blinded request for the new token.
        request: TokenRequest,
    },
    /// Look up which phone numbers have accounts (SPEC.md 14).
    Lookup {
        /// A discovery token for the current window.
        token: Token,
        /// The numbers to look up.
        phones: Vec<PhoneNumber>,
    },
    /// Fetch the server's published keys.
    FetchKeys,
    /// Release the token attached to the account under a delivery handle (SPEC.md 12.4).
    Release {
        /// The handle the cold call was delivered with.
        handle: DeliveryHandle,
    },
    /// Publish a revocation record for the account's group (SPEC.md 12.6).
    UploadRevocation {
        /// The record.
        record: RevocationRecord,
    },
    /// Replace the account's group key by a new group with a later generation.
    RotateGroupKey {
        /// The new group key.
        group_key: GroupPublicKey,
    },
    /// Ask for discovery tokens for the current window (SPEC.md 14).
    IssueDiscoveryTokens {
        /// The window the tokens are for.
        window: u64,
        /// Blinded requests.
        requests: Vec<TokenRequest>,
    },
}

impl Request {
    /// This request's type.
    pub fn request_type(&self) -> RequestType {
        match self {
            Request::RequestCode { .. } => RequestType::RequestCode,
            Request::Register(_) => RequestType::Register,
            Request::ColdCall(_) => RequestType::ColdCall,
            Request::Reply(_) => RequestType::Reply,
            Request::FetchGroupKey { .. } => RequestType::FetchGroupKey,
            Request::RenewToken { .. } => RequestType::RenewToken,
            Request::Lookup { .. } => RequestType::Lookup,
            Request::FetchKeys => RequestType::FetchKeys,
            Request::Release { .. } => RequestType::Release,
            Request::UploadRevocation { .. } => RequestType::UploadRevocation,
            Request::RotateGroupKey { .. } => RequestType::RotateGroupKey,
            Request::IssueDiscoveryTokens { .. } => RequestType::IssueDiscoveryTokens,
        }
    }

    /// The channel this request must travel on.
    pub fn channel(&self) -> ChannelKind {
        self.request_type().channel()
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(VERSION).u8(self.request_type() as u8);
        match self {
            Request::RequestCode { phone } => {
                w.vec8(phone.as_bytes());
            }
            Request::Register(r) => {
                w.vec8(r.phone.as_bytes())
                    .vec8(r.code.as_bytes())
                    .bytes(&r.identity_key.to_bytes())
                    .bytes(&r.proof.to_bytes())
                    .vec8(r.host_key.as_ref().map(HostKey::as_bytes).unwrap_or(&[]))
                    .bytes(&r.group_key.to_bytes());
                // At most MAX_REGISTRATION_TOKENS (checked by the constructor's users and
                // the decoder).
                w.u8(r.token_requests.len() as u8);
                for t in &r.token_requests {
                    w.bytes(&t.to_bytes());
                }
            }
            Request::ColdCall(c) => {
                w.bytes(c.recipient.as_bytes())
                    .bytes(&c.token.to_bytes())
                    .vec32(&c.sealed);
            }
            Request::Reply(r) => {
                w.bytes(r.recipient.as_bytes())
                    .u32(r.generation)
                    .u64(r.timestamp)
                    .vec32(&r.sealed)
                    .bytes(&r.signature.to_bytes());
            }
            Request::FetchGroupKey {
                account,
                since_generation,
            } => {
                w.bytes(account.as_bytes()).u32(*since_generation);
            }
            Request::RenewToken { token, request } => {
                w.bytes(&token.to_bytes()).bytes(&request.to_bytes());
            }
            Request::Lookup { token, phones } => {
                w.bytes(&token.to_bytes()).u8(phones.len() as u8);
                for p in phones {
                    w.vec8(p.as_bytes());
                }
            }
            Request::FetchKeys => {}
            Request::Release { handle } => {
                w.bytes(&handle.0);
            }
            Request::UploadRevocation { record } => {
                w.bytes(&record.to_bytes());
            }
            Request::RotateGroupKey { group_key } => {
                w.bytes(&group_key.to_bytes());
            }
            Request::IssueDiscoveryTokens { window, requests } => {
                w.u64(*window).u8(requests.len() as u8);
                for t in requests {
                    w.bytes(&t.to_bytes());
                }
            }
        }
        w.finish()
    }

    /// Decodes and validates a request.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("request.version", VERSION)?;
        let type_byte = r.u8("request.type")?;
        let Some(kind) = RequestType::from_u8(type_byte) else {
            return Err(WireError::UnknownType {
                message: "request",
                found: type_byte,
            });
        };
        let request = match kind {
            RequestType::RequestCode => Request::RequestCode {
                phone: read_phone(&mut r, "phone")?,
            },
            RequestType::Register => Request::Register(RegisterRequest {
                phone: read_phone(&mut r, "register.phone")?,
                code: {
                    let code = r.vec8("register.code", MAX_CODE_LEN)?;
                    String::from_utf8(code.to_vec()).map_err(embedded("register.code"))?
                },
                identity_key: PublicKey::from_bytes(r.bytes("register.identity_key", 48)?)
                    .map_err(embedded("register.identity_key"))?,
                proof: ProofOfPossession::from_bytes(r.bytes("register.proof", 96)?)
                    .map_err(embedded("register.proof"))?,
                host_key: {
                    let bytes =
                        r.vec8("register.host_key", crate::certificate::MAX_HOST_KEY_LEN)?;
                    if bytes.is_empty() {
                        None
                    } else {
                        Some(HostKey::new(bytes).map_err(embedded("register.host_key"))?)
                    }
                },
                group_key: read_group_key(&mut r, "register.group_key")?,
                token_requests: read_token_requests(
                    &mut r,
                    "register.token_requests",
                    MAX_REGISTRATION_TOKENS,
                )?,
            }),
            RequestType::ColdCall => Request::ColdCall(ColdCallRequest {
                recipient: read_account(&mut r, "cold_call.recipient")?,
                token: read_token(&mut r, "cold_call.token")?,
                sealed: r.vec32("cold_call.sealed", MAX_SEALED_LEN)?.to_vec(),
            }),
            RequestType::Reply => Request::Reply(ReplyRequest {
                recipient: read_account(&mut r, "reply.recipient")?,
                generation: r.u32("reply.generation")?,
                timestamp: r.u64("reply.timestamp")?,
                sealed: r.vec32("reply.sealed", MAX_SEALED_LEN)?.to_vec(),
                signature: Signature::from_bytes(r.bytes("reply.signature", Signature::SIZE)?)
                    .map_err(embedded("reply.signature"))?,
            }),
            RequestType::FetchGroupKey => Request::FetchGroupKey {
                account: read_account(&mut r, "fetch_group_key.account")?,
                since_generation: r.u32("fetch_group_key.since_generation")?,
            },
            RequestType::RenewToken => Request::RenewToken {
                token: read_token(&mut r, "renew_token.token")?,
                request: read_token_request(&mut r, "renew_token.request")?,
            },
            RequestType::Lookup => {
                let token = read_token(&mut r, "lookup.token")?;
                let count = usize::from(r.u8("lookup.count")?);
                let mut phones = Vec::with_capacity(count.min(MAX_LOOKUP_BATCH));
                for _ in 0..count {
                    phones.push(read_phone(&mut r, "lookup.phone")?);
                }
                Request::Lookup { token, phones }
            }
            RequestType::FetchKeys => Request::FetchKeys,
            RequestType::Release => Request::Release {
                handle: DeliveryHandle(r.array("release.handle")?),
            },
            RequestType::UploadRevocation => Request::UploadRevocation {
                record: RevocationRecord::from_bytes(
                    r.bytes("upload_revocation.record", RevocationRecord::SIZE)?,
                )
                .map_err(embedded("upload_revocation.record"))?,
            },
            RequestType::RotateGroupKey => Request::RotateGroupKey {
                group_key: read_group_key(&mut r, "rotate_group_key.group_key")?,
            },
            RequestType::IssueDiscoveryTokens => Request::IssueDiscoveryTokens {
                window: r.u64("issue_discovery_tokens.window")?,
                requests: read_token_requests(
                    &mut r,
                    "issue_discovery_tokens.requests",
                    MAX_DISCOVERY_REQUESTS,
                )?,
            },
        };
        r.finish("request")?;
        Ok(request)
    }
}

pub(super) fn read_phone(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<PhoneNumber, WireError> {
    let bytes = r.vec8(field, crate::certificate::phone::MAX_LEN)?;
    let text = core::str::from_utf8(bytes).map_err(embedded(field))?;
    PhoneNumber::parse(text).map_err(embedded(field))
}

pub(super) fn read_account(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<AccountId, WireError> {
    Ok(AccountId(r.array(field)?))
}

pub(super) fn read_token(r: &mut Reader<'_>, field: &'static str) -> Result<Token, WireError> {
    Token::from_bytes(r.bytes(field, Token::LEN)?).map_err(embedded(field))
}

pub(super) fn read_token_request(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<TokenRequest, WireError> {
    TokenRequest::from_bytes(r.bytes(field, TokenRequest::LEN)?).map_err(embedded(field))
}

fn read_token_requests(
    r: &mut Reader<'_>,
    field: &'static str,
    max: usize,
) -> Result<Vec<TokenRequest>, WireError> {
    let count = usize::from(r.u8(field)?);
    if count > max {
        return Err(WireError::Decode(crate::encoding::DecodeError::new(
            field,
            crate::encoding::DecodeErrorKind::TooLong { length: count, max },
        )));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(read_token_request(r, field)?);
    }
    Ok(out)
}

pub(super) fn read_group_key(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<GroupPublicKey, WireError> {
    GroupPublicKey::from_bytes(r.bytes(field, GroupPublicKey::SIZE)?).map_err(embedded(field))
}
