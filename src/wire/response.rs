//! Responses of the server (SPEC.md 11.3).

use super::codec::{codec_struct, read_tag, Bytes, Decode, Encode, Format, List, Own, U16, U8};
use super::{
    ErrorCode, RequestType, ServerKeys, WireError, MAX_BULK_CLAIM, MAX_DISCOVERY_REQUESTS,
    MAX_LOOKUP_BATCH, MAX_REDEEMED_STAMPS, MAX_REGISTRATION_TOKENS, VERSION,
};
use crate::bbs04::{Checkpoint, GroupPublicKey};
use crate::certificate::{Certificate, EncodedCertificate};
use crate::encoding::{EncodeError, Reader, Writer};
use crate::token::TokenResponse;
use alloc::string::String;
use alloc::vec::Vec;

/// The most bytes of an error's detail string.
const MAX_DETAIL_LEN: usize = 255;
/// The most bytes of one encoded certificate in a response.
const MAX_CERTIFICATE_LEN: usize = 1024;

const STATUS_OK: u8 = 0;
const STATUS_ERROR: u8 = 1;

/// A certificate behind its `vec16` length.
type CertificateField = Bytes<U16, MAX_CERTIFICATE_LEN>;

/// An account's current group key and the checkpoint of its generation: the same answer for
/// every member, from which each catches up in one step (SPEC.md 4.15, 12.6).
#[derive(Clone, Debug)]
pub struct GroupKeyUpdate {
    /// The current group key.
    pub group_key: GroupPublicKey,
    /// The checkpoint of the current generation; none before the first revocation after the
    /// group key was registered or rotated.
    pub checkpoint: Option<Checkpoint>,
}

/// The server's answer to a request.
#[derive(Clone, Debug)]
// Exhaustive on purpose: a new variant is a new protocol version (SPEC.md 2.2), and every
// host must handle every variant.
pub enum Response {
    /// The code was derived and handed to the host for sending.
    CodeSent,
    /// Registration succeeded.
    Registered {
        /// The certificate for the phone number and identity key.
        certificate: Certificate,
        /// Blind signatures for the token requests, in order (empty when the token policy
        /// refuses tokens for this registration).
        token_responses: Vec<TokenResponse>,
    },
    /// The cold call was accepted.
    ColdCallAccepted {
        /// This exact cold call had been accepted before (a retry); it was not queued again.
        duplicate: bool,
    },
    /// The reply was accepted and queued.
    ReplyAccepted,
    /// The group key and checkpoint asked for.
    GroupKey(GroupKeyUpdate),
    /// A fresh token for a released one, and a stamp for the renewal of a released token
    /// (none for an exchange of an unspent token for the next key; SPEC.md 18.1).
    TokenRenewed {
        /// The blind signature of the new token.
        token: TokenResponse,
        /// The blind signature of the stamp.
        stamp: Option<TokenResponse>,
    },
    /// The certificates of the looked-up numbers that have accounts, as the server stored them:
    /// the client decodes and verifies each (SPEC.md 14.3).
    LookupResult(Vec<EncodedCertificate>),
    /// The server's published keys.
    Keys(ServerKeys),
    /// The token is released.
    Released,
    /// The revocation record is published.
    RevocationAccepted,
    /// The group key is replaced.
    GroupKeyRotated,
    /// Discovery tokens for the current window.
    DiscoveryTokens(Vec<TokenResponse>),
    /// Stamps redeemed (SPEC.md 18.1).
    StampsRedeemed {
        /// How many stamps, from the front of the request's list, the server used up (credited,
        /// or redeemed before); the client drops them and keeps the rest for later.
        consumed: u8,
        /// Blind signatures for the first requests, one per stamp credited.
        tokens: Vec<TokenResponse>,
    },
    /// Cold-call tokens of a bulk-sender tier (SPEC.md 18.2): blind signatures for the first
    /// requests, as many as the tier has left in its period.
    BulkTokens(Vec<TokenResponse>),
    /// The request was refused.
    Error {
        /// The type of the refused request.
        request: RequestType,
        /// The reason, in the vocabulary of SPEC.md 11.4.
        code: ErrorCode,
        /// A short text for logs; never contains secrets.
        detail: String,
    },
}

impl Response {
    /// The type of the request this answers.
    pub fn request_type(&self) -> RequestType {
        match self {
            Response::CodeSent => RequestType::RequestCode,
            Response::Registered { .. } => RequestType::Register,
            Response::ColdCallAccepted { .. } => RequestType::ColdCall,
            Response::ReplyAccepted => RequestType::Reply,
            Response::GroupKey(_) => RequestType::FetchGroupKey,
            Response::TokenRenewed { .. } => RequestType::RenewToken,
            Response::LookupResult(_) => RequestType::Lookup,
            Response::Keys(_) => RequestType::FetchKeys,
            Response::Released => RequestType::Release,
            Response::RevocationAccepted => RequestType::UploadRevocation,
            Response::GroupKeyRotated => RequestType::RotateGroupKey,
            Response::DiscoveryTokens(_) => RequestType::IssueDiscoveryTokens,
            Response::StampsRedeemed { .. } => RequestType::RedeemStamps,
            Response::BulkTokens(_) => RequestType::ClaimBulkTokens,
            Response::Error { request, .. } => *request,
        }
    }

    /// The canonical encoding. A field over its limit (SPEC.md 11.3) is written whole, for the
    /// receiver to refuse; one its length prefix cannot count stops the encoding before it, so
    /// no decoder accepts the result.
    pub fn to_bytes(&self) -> Vec<u8> {
        super::codec::message_bytes(|w| self.write(w))
    }

    fn write(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u8(VERSION).u8(self.request_type().to_u8());
        if let Response::Error { code, detail, .. } = self {
            w.u8(STATUS_ERROR).u16(code.to_u16());
            return Bytes::<U8, MAX_DETAIL_LEN>::write(detail, w, "response.detail".into());
        }
        w.u8(STATUS_OK);
        match self {
            Response::CodeSent
            | Response::ReplyAccepted
            | Response::Released
            | Response::RevocationAccepted
            | Response::GroupKeyRotated
            | Response::Error { .. } => Ok(()),
            Response::Registered {
                certificate,
                token_responses,
            } => {
                CertificateField::write(certificate, w, "registered.certificate".into())?;
                TokenResponses::<MAX_REGISTRATION_TOKENS>::write(
                    token_responses,
                    w,
                    "registered.token_responses".into(),
                )
            }
            Response::ColdCallAccepted { duplicate } => {
                duplicate.encode(w, "cold_call_accepted.duplicate")
            }
            Response::GroupKey(update) => update.encode(w, "group_key"),
            Response::TokenRenewed { token, stamp } => {
                token.encode(w, "renewed.token")?;
                stamp.encode(w, "renewed.stamp")
            }
            Response::LookupResult(certificates) => Certificates::write(
                certificates,
                w,
                ("lookup_result.count", "lookup_result.certificate").into(),
            ),
            Response::Keys(keys) => keys.encode(w, "keys"),
            Response::DiscoveryTokens(responses) => {
                TokenResponses::<MAX_DISCOVERY_REQUESTS>::write(
                    responses,
                    w,
                    "discovery_tokens".into(),
                )
            }
            Response::StampsRedeemed { consumed, tokens } => {
                consumed.encode(w, "stamps_redeemed.consumed")?;
                TokenResponses::<MAX_REDEEMED_STAMPS>::write(
                    tokens,
                    w,
                    "stamps_redeemed.tokens".into(),
                )
            }
            Response::BulkTokens(tokens) => {
                TokenResponses::<MAX_BULK_CLAIM>::write(tokens, w, "bulk_tokens".into())
            }
        }
    }

    /// Decodes and validates a response.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("response.version", VERSION)?;
        let request = read_tag(&mut r, "response.type", "response", RequestType::from_u8)?;
        let response = match r.u8("response.status")? {
            STATUS_OK => Self::read_ok(&mut r, request)?,
            STATUS_ERROR => Response::Error {
                request,
                code: ErrorCode::from_u16(r.u16("response.error_code")?),
                detail: Bytes::<U8, MAX_DETAIL_LEN>::read(&mut r, "response.detail".into())?,
            },
            _ => return Err(super::codec::invalid("response.status")),
        };
        r.finish("response")?;
        Ok(response)
    }

    fn read_ok(r: &mut Reader<'_>, request: RequestType) -> Result<Self, WireError> {
        Ok(match request {
            RequestType::RequestCode => Response::CodeSent,
            RequestType::Register => Response::Registered {
                certificate: CertificateField::read(r, "registered.certificate".into())?,
                token_responses: TokenResponses::<MAX_REGISTRATION_TOKENS>::read(
                    r,
                    "registered.token_responses".into(),
                )?,
            },
            RequestType::ColdCall => Response::ColdCallAccepted {
                duplicate: bool::decode(r, "cold_call_accepted.duplicate")?,
            },
            RequestType::Reply => Response::ReplyAccepted,
            RequestType::FetchGroupKey => {
                Response::GroupKey(GroupKeyUpdate::decode(r, "group_key")?)
            }
            RequestType::RenewToken => Response::TokenRenewed {
                token: TokenResponse::decode(r, "renewed.token")?,
                stamp: Option::<TokenResponse>::decode(r, "renewed.stamp")?,
            },
            RequestType::Lookup => Response::LookupResult(Certificates::read(
                r,
                ("lookup_result.count", "lookup_result.certificate").into(),
            )?),
            RequestType::FetchKeys => Response::Keys(ServerKeys::decode(r, "keys")?),
            RequestType::Release => Response::Released,
            RequestType::UploadRevocation => Response::RevocationAccepted,
            RequestType::RotateGroupKey => Response::GroupKeyRotated,
            RequestType::IssueDiscoveryTokens => {
                Response::DiscoveryTokens(TokenResponses::<MAX_DISCOVERY_REQUESTS>::read(
                    r,
                    "discovery_tokens".into(),
                )?)
            }
            RequestType::RedeemStamps => Response::StampsRedeemed {
                consumed: u8::decode(r, "stamps_redeemed.consumed")?,
                tokens: TokenResponses::<MAX_REDEEMED_STAMPS>::read(
                    r,
                    "stamps_redeemed.tokens".into(),
                )?,
            },
            RequestType::ClaimBulkTokens => Response::BulkTokens(
                TokenResponses::<MAX_BULK_CLAIM>::read(r, "bulk_tokens".into())?,
            ),
        })
    }
}

/// `u8 n; n x TokenResponse`, at most `MAX`.
type TokenResponses<const MAX: usize> = List<U8, MAX>;

/// `u8 n; n x vec16 certificate`.
type Certificates = List<U8, MAX_LOOKUP_BATCH, CertificateField>;

codec_struct!(GroupKeyUpdate {
    group_key: Own = "group_key.group_key",
    checkpoint: Own = "group_key.checkpoint",
});
