//! Responses of the server (SPEC.md 11.3).

use super::request::read_group_key;
use super::{
    embedded, ErrorCode, RequestType, ServerKeys, WireError, MAX_DISCOVERY_REQUESTS,
    MAX_LOOKUP_BATCH, MAX_RECORDS_PER_UPDATE, MAX_REGISTRATION_TOKENS, VERSION,
};
use crate::bbs04::{GroupPublicKey, RevocationRecord};
use crate::certificate::{Certificate, IssuerKeySet};
use crate::encoding::{DecodeError, DecodeErrorKind, Reader, Writer};
use crate::token::{TokenKeySet, TokenResponse};
use alloc::string::String;
use alloc::vec::Vec;

/// The most bytes of an error's detail string.
const MAX_DETAIL_LEN: usize = 255;
/// The most bytes of one encoded certificate in a response.
const MAX_CERTIFICATE_LEN: usize = 1024;
/// The most bytes of one encoded key set in a response.
const MAX_KEY_SET_LEN: usize = 16 * 1024;

const STATUS_OK: u8 = 0;
const STATUS_ERROR: u8 = 1;

/// An account's current group key and the revocation records a member needs to reach it.
#[derive(Clone, Debug)]
pub struct GroupKeyUpdate {
    /// The current group key.
    pub group_key: GroupPublicKey,
    /// Records for the generations after the one the member asked from, in order (empty if the
    /// member is current, or if the key was rotated and the records do not reach back).
    pub records: Vec<RevocationRecord>,
}

/// The server's answer to a request.
#[derive(Clone, Debug)]
// Messages are built once and moved a few times; boxing would only add indirection.
#[allow(clippy::large_enum_variant)]
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
    /// The group key and records asked for.
    GroupKey(GroupKeyUpdate),
    /// A fresh token for a released one.
    TokenRenewed(TokenResponse),
    /// The certificates of the looked-up numbers that have accounts.
    LookupResult(Vec<Certificate>),
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
    /// The request was refused.
    Error {
        /// The type of the refused request.
        request: RequestType,
        /// Why.
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
            Response::TokenRenewed(_) => RequestType::RenewToken,
            Response::LookupResult(_) => RequestType::Lookup,
            Response::Keys(_) => RequestType::FetchKeys,
            Response::Released => RequestType::Release,
            Response::RevocationAccepted => RequestType::UploadRevocation,
            Response::GroupKeyRotated => RequestType::RotateGroupKey,
            Response::DiscoveryTokens(_) => RequestType::IssueDiscoveryTokens,
            Response::Error { request, .. } => *request,
        }
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(VERSION).u8(self.request_type() as u8);
        if let Response::Error { code, detail, .. } = self {
            w.u8(STATUS_ERROR)
                .u16(code.to_u16())
                .vec8(detail.as_bytes());
            return w.finish();
        }
        w.u8(STATUS_OK);
        match self {
            Response::CodeSent
            | Response::ReplyAccepted
            | Response::Released
            | Response::RevocationAccepted
            | Response::GroupKeyRotated
            | Response::Error { .. } => {}
            Response::Registered {
                certificate,
                token_responses,
            } => {
                w.vec16(&certificate.to_bytes());
                write_token_responses(&mut w, token_responses);
            }
            Response::ColdCallAccepted { duplicate } => {
                w.u8(u8::from(*duplicate));
            }
            Response::GroupKey(update) => {
                w.bytes(&update.group_key.to_bytes())
                    .u8(update.records.len() as u8);
                for record in &update.records {
                    w.bytes(&record.to_bytes());
                }
            }
            Response::TokenRenewed(t) => {
                w.bytes(&t.to_bytes());
            }
            Response::LookupResult(certificates) => {
                w.u8(certificates.len() as u8);
                for c in certificates {
                    w.vec16(&c.to_bytes());
                }
            }
            Response::Keys(keys) => {
                w.vec16(&keys.certificate_issuers.to_bytes())
                    .vec16(&keys.cold_call_tokens.to_bytes())
                    .vec16(&keys.discovery_tokens.to_bytes());
            }
            Response::DiscoveryTokens(responses) => write_token_responses(&mut w, responses),
        }
        w.finish()
    }

    /// Decodes and validates a response.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("response.version", VERSION)?;
        let type_byte = r.u8("response.type")?;
        let Some(request) = RequestType::from_u8(type_byte) else {
            return Err(WireError::UnknownType {
                message: "response",
                found: type_byte,
            });
        };
        let response = match r.u8("response.status")? {
            STATUS_OK => Self::read_ok(&mut r, request)?,
            STATUS_ERROR => {
                let code = ErrorCode::from_u16(r.u16("response.error_code")?);
                let detail = r.vec8("response.detail", MAX_DETAIL_LEN)?;
                let detail =
                    String::from_utf8(detail.to_vec()).map_err(embedded("response.detail"))?;
                Response::Error {
                    request,
                    code,
                    detail,
                }
            }
            _ => {
                return Err(WireError::Decode(DecodeError::new(
                    "response.status",
                    DecodeErrorKind::InvalidValue,
                )))
            }
        };
        r.finish("response")?;
        Ok(response)
    }

    fn read_ok(r: &mut Reader<'_>, request: RequestType) -> Result<Self, WireError> {
        Ok(match request {
            RequestType::RequestCode => Response::CodeSent,
            RequestType::Register => Response::Registered {
                certificate: read_certificate(r, "registered.certificate")?,
                token_responses: read_token_responses(
                    r,
                    "registered.token_responses",
                    MAX_REGISTRATION_TOKENS,
                )?,
            },
            RequestType::ColdCall => match r.u8("cold_call_accepted.duplicate")? {
                0 => Response::ColdCallAccepted { duplicate: false },
                1 => Response::ColdCallAccepted { duplicate: true },
                _ => {
                    return Err(WireError::Decode(DecodeError::new(
                        "cold_call_accepted.duplicate",
                        DecodeErrorKind::InvalidValue,
                    )))
                }
            },
            RequestType::Reply => Response::ReplyAccepted,
            RequestType::FetchGroupKey => {
                let group_key = read_group_key(r, "group_key.group_key")?;
                let count = usize::from(r.u8("group_key.count")?);
                let mut records = Vec::with_capacity(count.min(MAX_RECORDS_PER_UPDATE));
                for _ in 0..count {
                    let bytes = r.bytes("group_key.record", RevocationRecord::SIZE)?;
                    records.push(
                        RevocationRecord::from_bytes(bytes)
                            .map_err(embedded("group_key.record"))?,
                    );
                }
                Response::GroupKey(GroupKeyUpdate { group_key, records })
            }
            RequestType::RenewToken => Response::TokenRenewed(read_token_response(r, "renewed")?),
            RequestType::Lookup => {
                let count = usize::from(r.u8("lookup_result.count")?);
                let mut certificates = Vec::with_capacity(count.min(MAX_LOOKUP_BATCH));
                for _ in 0..count {
                    certificates.push(read_certificate(r, "lookup_result.certificate")?);
                }
                Response::LookupResult(certificates)
            }
            RequestType::FetchKeys => Response::Keys(ServerKeys {
                certificate_issuers: IssuerKeySet::from_bytes(
                    r.vec16("keys.certificate_issuers", MAX_KEY_SET_LEN)?,
                )
                .map_err(embedded("keys.certificate_issuers"))?,
                cold_call_tokens: TokenKeySet::from_bytes(
                    r.vec16("keys.cold_call_tokens", MAX_KEY_SET_LEN)?,
                )
                .map_err(embedded("keys.cold_call_tokens"))?,
                discovery_tokens: TokenKeySet::from_bytes(
                    r.vec16("keys.discovery_tokens", MAX_KEY_SET_LEN)?,
                )
                .map_err(embedded("keys.discovery_tokens"))?,
            }),
            RequestType::Release => Response::Released,
            RequestType::UploadRevocation => Response::RevocationAccepted,
            RequestType::RotateGroupKey => Response::GroupKeyRotated,
            RequestType::IssueDiscoveryTokens => Response::DiscoveryTokens(read_token_responses(
                r,
                "discovery_tokens",
                MAX_DISCOVERY_REQUESTS,
            )?),
        })
    }
}

fn write_token_responses(w: &mut Writer, responses: &[TokenResponse]) {
    w.u8(responses.len() as u8);
    for t in responses {
        w.bytes(&t.to_bytes());
    }
}

fn read_token_response(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<TokenResponse, WireError> {
    TokenResponse::from_bytes(r.bytes(field, TokenResponse::LEN)?).map_err(embedded(field))
}

fn read_token_responses(
    r: &mut Reader<'_>,
    field: &'static str,
    max: usize,
) -> Result<Vec<TokenResponse>, WireError> {
    let count = usize::from(r.u8(field)?);
    if count > max {
        return Err(WireError::Decode(DecodeError::new(
            field,
            DecodeErrorKind::TooLong { length: count, max },
        )));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(read_token_response(r, field)?);
    }
    Ok(out)
}

fn read_certificate(r: &mut Reader<'_>, field: &'static str) -> Result<Certificate, WireError> {
    Certificate::from_bytes(r.vec16(field, MAX_CERTIFICATE_LEN)?).map_err(embedded(field))
}
