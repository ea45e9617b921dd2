//! The RFC 9578 messages of token type 0x0002: `TokenRequest`, `TokenResponse` and `Token`
//! (SPEC.md section 6.2).

use super::{token_input, Error, TokenKeyId, NID, NK, NONCE_LEN, TOKEN_INPUT_LEN, TOKEN_TYPE};
use crate::encoding::Reader;
use alloc::vec::Vec;

/// The client's request (RFC 9578 section 6.1):
///
/// ```text
/// struct {
///     uint16_t token_type = 0x0002;
///     uint8_t truncated_token_key_id;
///     uint8_t blinded_msg[Nk];
/// } TokenRequest;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    truncated_token_key_id: u8,
    blinded_msg: [u8; NK],
}

impl TokenRequest {
    /// The encoded length: 259 bytes.
    pub const LEN: usize = 3 + NK;

    pub(crate) fn new(truncated_token_key_id: u8, blinded_msg: [u8; NK]) -> Self {
        Self {
            truncated_token_key_id,
            blinded_msg,
        }
    }

    /// The last byte of the token key identifier.
    pub fn truncated_token_key_id(&self) -> u8 {
        self.truncated_token_key_id
    }

    /// The blinded message.
    pub fn blinded_msg(&self) -> &[u8; NK] {
        &self.blinded_msg
    }

    /// The RFC 9578 encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&TOKEN_TYPE.to_be_bytes());
        out.push(self.truncated_token_key_id);
        out.extend_from_slice(&self.blinded_msg);
        out
    }

    /// Decodes the RFC 9578 encoding (exactly [`Self::LEN`] bytes, token type 0x0002). Whether
    /// the blinded message is below the key's modulus is checked when it is signed.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let token_type = r.u16("token_request.token_type")?;
        if token_type != TOKEN_TYPE {
            return Err(Error::UnsupportedTokenType { found: token_type });
        }
        let truncated_token_key_id = r.u8("token_request.truncated_token_key_id")?;
        let blinded_msg = r.array("token_request.blinded_msg")?;
        r.finish("token_request")?;
        Ok(Self::new(truncated_token_key_id, blinded_msg))
    }
}

/// The issuer's response (RFC 9578 section 6.2): `struct { uint8_t blind_sig[Nk]; }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    blind_sig: [u8; NK],
}

impl TokenResponse {
    /// The encoded length: 256 bytes.
    pub const LEN: usize = NK;

    pub(crate) fn new(blind_sig: [u8; NK]) -> Self {
        Self { blind_sig }
    }

    /// The blind signature.
    pub fn blind_sig(&self) -> &[u8; NK] {
        &self.blind_sig
    }

    /// The RFC 9578 encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        Vec::from(self.blind_sig)
    }

    /// Decodes the RFC 9578 encoding (exactly [`Self::LEN`] bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let blind_sig = r.array("token_response.blind_sig")?;
        r.finish("token_response")?;
        Ok(Self::new(blind_sig))
    }
}

/// A token (RFC 9577 section 2.2, RFC 9578 section 6.3):
///
/// ```text
/// struct {
///     uint16_t token_type = 0x0002;
///     uint8_t nonce[32];
///     uint8_t challenge_digest[32];
///     uint8_t token_key_id[32];
///     uint8_t authenticator[Nk];
/// } Token;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    nonce: [u8; NONCE_LEN],
    challenge_digest: [u8; 32],
    token_key_id: TokenKeyId,
    authenticator: [u8; NK],
}

impl Token {
    /// The encoded length: 354 bytes.
    pub const LEN: usize = 2 + NONCE_LEN + 32 + NID + NK;

    pub(crate) fn new(
        nonce: [u8; NONCE_LEN],
        challenge_digest: [u8; 32],
        token_key_id: TokenKeyId,
        authenticator: [u8; NK],
    ) -> Self {
        Self {
            nonce,
            challenge_digest,
            token_key_id,
            authenticator,
        }
    }

    /// The client's nonce.
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    /// SHA-256 of the challenge the token was issued for.
    pub fn challenge_digest(&self) -> &[u8; 32] {
        &self.challenge_digest
    }

    /// The identifier of the key that signed it.
    pub fn token_key_id(&self) -> TokenKeyId {
        self.token_key_id
    }

    /// The RSABSSA signature over [`Self::token_input`].
    pub fn authenticator(&self) -> &[u8; NK] {
        &self.authenticator
    }

    /// `token_type || nonce || challenge_digest || token_key_id`: what the authenticator signs.
    pub fn token_input(&self) -> [u8; TOKEN_INPUT_LEN] {
        token_input(&self.nonce, &self.challenge_digest, &self.token_key_id)
    }

    /// The RFC 9578 encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&self.token_input());
        out.extend_from_slice(&self.authenticator);
        out
    }

    /// Decodes the RFC 9578 encoding (exactly [`Self::LEN`] bytes, token type 0x0002).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let token_type = r.u16("token.token_type")?;
        if token_type != TOKEN_TYPE {
            return Err(Error::UnsupportedTokenType { found: token_type });
        }
        let nonce = r.array("token.nonce")?;
        let challenge_digest = r.array("token.challenge_digest")?;
        let token_key_id = TokenKeyId::from_bytes(r.array("token.token_key_id")?);
        let authenticator = r.array("token.authenticator")?;
        r.finish("token")?;
        Ok(Self::new(
            nonce,
            challenge_digest,
            token_key_id,
            authenticator,
        ))
    }
}
