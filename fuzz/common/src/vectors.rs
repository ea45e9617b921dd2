//! Known-good objects from `test-vectors/`, which the decoder targets combine with what they
//! decode (verify a fuzzed signature under a real key, apply a fuzzed record to a real group
//! key, and so on).

use blindpost::bbs04::{
    GroupManagerKey, GroupPublicKey, GroupSignature, MemberKey, PreparedGroupKey, RevocationRecord,
};
use blindpost::certificate::IssuerKeySet;
use blindpost::token::{TokenChallenge, TokenKeySet, TokenResponse};
use serde_json::Value;
use std::sync::OnceLock;

const BBS04: &str = include_str!("../../../test-vectors/bbs04.json");
const CERTIFICATES: &str = include_str!("../../../test-vectors/certificates.json");
const TOKENS: &str = include_str!("../../../test-vectors/tokens.json");

/// Decoded objects from the vector files.
pub struct Vectors {
    /// Generation 0 of the BBS04 vector group.
    pub group_key: GroupPublicKey,
    /// The same, prepared.
    pub prepared: PreparedGroupKey,
    /// Its manager key.
    pub manager: GroupManagerKey,
    /// Its first member.
    pub member: MemberKey,
    /// The record revoking member 1.
    pub record: RevocationRecord,
    /// A valid signature, its context and message.
    pub signature: GroupSignature,
    /// The signature's context.
    pub context: Vec<u8>,
    /// The signature's message.
    pub message: Vec<u8>,
    /// The certificate issuer key set.
    pub issuers: IssuerKeySet,
    /// The token key set.
    pub token_keys: TokenKeySet,
    /// A cold-call token challenge.
    pub challenge: TokenChallenge,
    /// A token response.
    pub token_response: TokenResponse,
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

/// The vectors, decoded once per process.
pub fn vectors() -> &'static Vectors {
    static VECTORS: OnceLock<Vectors> = OnceLock::new();
    VECTORS.get_or_init(|| {
        let bbs: Value = serde_json::from_str(BBS04).expect("bbs04.json");
        let certs: Value = serde_json::from_str(CERTIFICATES).expect("certificates.json");
        let tokens: Value = serde_json::from_str(TOKENS).expect("tokens.json");
        let group_key =
            GroupPublicKey::from_bytes(&bytes(&bbs["generation0"]["group_key"])).expect("gpk");
        let signature = &bbs["signatures"][0];
        Vectors {
            prepared: PreparedGroupKey::new(group_key.clone()),
            group_key,
            manager: GroupManagerKey::from_bytes(&bytes(&bbs["generation0"]["manager_key"]))
                .expect("manager key"),
            member: MemberKey::from_bytes(&bytes(&bbs["members"][0])).expect("member"),
            record: RevocationRecord::from_bytes(&bytes(&bbs["revocation"]["record"]))
                .expect("record"),
            signature: GroupSignature::from_bytes(&bytes(&signature["signature"]))
                .expect("signature"),
            context: bytes(&signature["context"]),
            message: bytes(&signature["message"]),
            issuers: IssuerKeySet::from_bytes(&bytes(&certs["key_set"])).expect("key set"),
            token_keys: TokenKeySet::from_bytes(&bytes(&tokens["key_set"])).expect("key set"),
            challenge: TokenChallenge::from_bytes(&bytes(&tokens["cases"][0]["challenge"]))
                .expect("challenge"),
            token_response: TokenResponse::from_bytes(&bytes(
                &tokens["cases"][0]["token_response"],
            ))
            .expect("response"),
        }
    })
}
