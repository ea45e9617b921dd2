//! Requests from a client to the server (SPEC.md 11.3, 12, 13, 14).

use super::codec::{
    codec_enum, codec_struct, read_tag, tags, Bytes, Decode, Encode, List, Own, U16, U32, U8,
};
use super::{
    DeliveryHandle, WireError, MAX_BULK_CLAIM, MAX_BULK_PROOF_LEN, MAX_DISCOVERY_REQUESTS,
    MAX_LOOKUP_BATCH, MAX_REDEEMED_STAMPS, MAX_REGISTRATION_TOKENS, MAX_SEALED_LEN, VERSION,
};
use crate::account::{AccountId, ChannelKind};
use crate::bbs04::{Checkpoint, GroupPublicKey, GroupSignature, RevocationRecord};
use crate::bls::{ProofOfPossession, PublicKey};
use crate::certificate::{HostKey, IssuerKeySet, PhoneNumber, MAX_HOST_KEY_LEN};
use crate::encoding::Reader;
use crate::token::{Token, TokenKeySet, TokenRequest};
use crate::verification_code::CodeSession;
use crate::Time;
use alloc::string::String;
use alloc::vec::Vec;

/// The most bytes of a verification code on the wire.
const MAX_CODE_LEN: usize = 10;

/// The most bytes of one encoded key set in a response.
pub(super) const MAX_KEY_SET_LEN: usize = 16 * 1024;

tags! {
    /// The type byte of each request (and of its response).
    // Exhaustive on purpose: a new variant is a new protocol version (SPEC.md 2.2), and every
    // host must handle every variant.
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
        /// [`Request::RedeemStamps`].
        RedeemStamps = 0x24,
        /// [`Request::ClaimBulkTokens`].
        ClaimBulkTokens = 0x25,
    }
}

impl RequestType {
    /// The type of an encoded request, read from its header alone without decoding the rest
    /// (SPEC.md 11.3): the type byte after the version byte, whatever the version, so that the
    /// answer to an undecodable request names the request it refuses. The one place a request's
    /// type is read from its bytes.
    pub fn of_request(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.u8("request.version")?;
        Self::read(&mut r)
    }

    /// Reads the type byte of a request.
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "request.type", "request", Self::from_u8)
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
            | RequestType::IssueDiscoveryTokens
            | RequestType::RedeemStamps
            | RequestType::ClaimBulkTokens => ChannelKind::Authenticated,
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
            RequestType::RedeemStamps => "redeem_stamps",
            RequestType::ClaimBulkTokens => "claim_bulk_tokens",
        }
    }
}

/// Registration: proves a phone number and asks for a certificate and tokens (SPEC.md 12.2).
#[derive(Clone, Debug)]
pub struct RegisterRequest {
    /// The phone number being registered.
    pub phone: PhoneNumber,
    /// The code session the code was requested for (SPEC.md 9).
    pub session: CodeSession,
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
    /// The sender's clock when signing, rounded down to a multiple of
    /// [`super::REPLY_TIME_GRANULARITY`] ([`super::reply_timestamp`]); decoding refuses others.
    pub timestamp: Time,
    /// The payload, sealed end to end by the host.
    pub sealed: Vec<u8>,
    /// The group signature over the reply context and the sealed payload.
    pub signature: GroupSignature,
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
    /// The keys reputation stamps are issued under (SPEC.md 18.1).
    pub stamp_tokens: TokenKeySet,
}

/// A request from a client to the server.
#[derive(Clone, Debug)]
// Exhaustive on purpose: a new variant is a new protocol version (SPEC.md 2.2), and every
// host must handle every variant.
pub enum Request {
    /// Ask for a verification code to be sent to this phone number.
    RequestCode {
        /// The phone number.
        phone: PhoneNumber,
        /// The client's secret code session (SPEC.md 9): the code is bound to it.
        session: CodeSession,
    },
    /// Register (SPEC.md 12.2).
    Register(RegisterRequest),
    /// Cold call (SPEC.md 12.3).
    ColdCall(ColdCallRequest),
    /// Reply (SPEC.md 12.5).
    Reply(ReplyRequest),
    /// Fetch an account's current group key and the revocation records the server keeps for
    /// it (SPEC.md 12.6). It names nothing about the member: every member's fetch of one group
    /// is the same bytes, whatever generation it holds.
    FetchGroupKey {
        /// The group's owner.
        account: AccountId,
    },
    /// Exchange a released cold-call token for a fresh one and a reputation stamp (SPEC.md
    /// 12.4, 18.1).
    RenewToken {
        /// The released token.
        token: Token,
        /// A blinded request for the new token.
        request: TokenRequest,
        /// A blinded request for a stamp, under the stamp key (every renewal carries one, so
        /// renewals look alike; an exchange for the next key is answered without a stamp).
        stamp: TokenRequest,
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
    /// Publish a revocation record for the account's group, with the checkpoint of the
    /// generation it produces (SPEC.md 12.6).
    UploadRevocation {
        /// The record.
        record: RevocationRecord,
        /// Every remaining member's key of the new generation, masked (SPEC.md 4.15).
        checkpoint: Checkpoint,
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
    /// Redeem reputation stamps for more cold-call tokens (SPEC.md 18.1).
    RedeemStamps {
        /// Stamps, each obtained with a renewal.
        stamps: Vec<Token>,
        /// One blinded cold-call token request per stamp; the first `n` are signed for the `n`
        /// stamps credited.
        requests: Vec<TokenRequest>,
    },
    /// Claim cold-call tokens of a bulk-sender tier (SPEC.md 18.2).
    ClaimBulkTokens {
        /// The proof of the tier, checked again at every claim.
        proof: crate::bulk::BulkProof,
        /// Blinded cold-call token requests.
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
            Request::RedeemStamps { .. } => RequestType::RedeemStamps,
            Request::ClaimBulkTokens { .. } => RequestType::ClaimBulkTokens,
        }
    }

    /// The channel this request must travel on.
    pub fn channel(&self) -> ChannelKind {
        self.request_type().channel()
    }

    /// The canonical encoding. A field over its limit (SPEC.md 11.3) is written whole, for the
    /// receiver to refuse; one its length prefix cannot count stops the encoding before it, so
    /// no decoder accepts the result.
    pub fn to_bytes(&self) -> Vec<u8> {
        super::codec::message_bytes(|w| {
            w.u8(VERSION);
            self.encode(w, "request")
        })
    }

    /// Decodes and validates a request.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("request.version", VERSION)?;
        let request = Self::decode(&mut r, "request")?;
        r.finish("request")?;
        Ok(request)
    }
}

codec_struct!(RegisterRequest {
    phone: Own = "register.phone",
    session: Own = "register.session",
    code: Bytes<U8, MAX_CODE_LEN> = "register.code",
    identity_key: Own = "register.identity_key",
    proof: Own = "register.proof",
    host_key: Bytes<U8, MAX_HOST_KEY_LEN> = "register.host_key",
    group_key: Own = "register.group_key",
    token_requests: List<U8, MAX_REGISTRATION_TOKENS> = "register.token_requests",
});

codec_struct!(ColdCallRequest {
    recipient: Own = "cold_call.recipient",
    token: Own = "cold_call.token",
    sealed: Bytes<U32, MAX_SEALED_LEN> = "cold_call.sealed",
});

codec_struct!(ReplyRequest {
    recipient: Own = "reply.recipient",
    generation: Own = "reply.generation",
    timestamp: super::ReplyTime = "reply.timestamp",
    sealed: Bytes<U32, MAX_SEALED_LEN> = "reply.sealed",
    signature: Own = "reply.signature",
});

codec_struct!(ServerKeys {
    certificate_issuers: Bytes<super::codec::U16, MAX_KEY_SET_LEN> = "keys.certificate_issuers",
    cold_call_tokens: Bytes<super::codec::U16, MAX_KEY_SET_LEN> = "keys.cold_call_tokens",
    discovery_tokens: Bytes<super::codec::U16, MAX_KEY_SET_LEN> = "keys.discovery_tokens",
    stamp_tokens: Bytes<super::codec::U16, MAX_KEY_SET_LEN> = "keys.stamp_tokens",
});

codec_enum! {
    Request by RequestType::read {
        RequestCode {
            phone: Own = "phone",
            session: Own = "request_code.session",
        },
        Register(register: Own = "register"),
        ColdCall(cold_call: Own = "cold_call"),
        Reply(reply: Own = "reply"),
        FetchGroupKey { account: Own = "fetch_group_key.account" },
        RenewToken {
            token: Own = "renew_token.token",
            request: Own = "renew_token.request",
            stamp: Own = "renew_token.stamp",
        },
        Lookup {
            token: Own = "lookup.token",
            phones: List<U8, MAX_LOOKUP_BATCH> = ("lookup.count", "lookup.phone"),
        },
        FetchKeys {},
        Release { handle: Own = "release.handle" },
        UploadRevocation {
            record: Own = "upload_revocation.record",
            checkpoint: Own = "upload_revocation.checkpoint",
        },
        RotateGroupKey { group_key: Own = "rotate_group_key.group_key" },
        IssueDiscoveryTokens {
            window: Own = "issue_discovery_tokens.window",
            requests: List<U8, MAX_DISCOVERY_REQUESTS> = "issue_discovery_tokens.requests",
        },
        RedeemStamps {
            stamps: List<U8, MAX_REDEEMED_STAMPS> = ("redeem_stamps.count", "redeem_stamps.stamp"),
            requests: List<U8, MAX_REDEEMED_STAMPS> = ("redeem_stamps.requests", "redeem_stamps.request"),
        },
        ClaimBulkTokens {
            proof: Bytes<U16, MAX_BULK_PROOF_LEN> = "claim_bulk_tokens.proof",
            requests: List<U8, MAX_BULK_CLAIM> = ("claim_bulk_tokens.count", "claim_bulk_tokens.request"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_of_a_request_is_read_from_its_header() {
        assert_eq!(
            RequestType::of_request(&Request::FetchKeys.to_bytes()),
            Ok(RequestType::FetchKeys)
        );
        assert_eq!(
            RequestType::of_request(&[1, 0x10, 0xff]),
            Ok(RequestType::ColdCall)
        );
        assert_eq!(
            RequestType::of_request(&[1, 0x03]),
            Err(WireError::UnknownType {
                message: "request",
                found: 3
            })
        );
        // The type byte is read whatever the version, as the server's refusal names it.
        assert_eq!(
            RequestType::of_request(&[2, 0x02]),
            Ok(RequestType::Register)
        );
        assert!(matches!(
            RequestType::of_request(&[1]),
            Err(WireError::Decode(crate::DecodeError {
                field: "request.type",
                ..
            }))
        ));
        assert!(RequestType::of_request(&[]).is_err());
    }
}
