//! The RFC 9577 `TokenChallenge` for token type 0x0002 and the two blindpost purposes
//! (SPEC.md section 6.3).

use super::{Error, TOKEN_TYPE};
use crate::encoding::{DecodeError, DecodeErrorKind, Reader};
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// Domain-separation tag of the redemption context of discovery challenges (SPEC.md 2.3).
const DISCOVERY_WINDOW_DST: &[u8] = b"blindpost/v1/token/discovery-window";

/// Domain-separation tag of the redemption context of stamp challenges (SPEC.md 18.1).
const STAMP_DST: &[u8] = b"blindpost/v1/token/stamp";

/// The length of a non-empty redemption context.
const CONTEXT_LEN: usize = 32;

/// A token challenge (RFC 9577 section 2.1) of token type 0x0002:
///
/// ```text
/// struct {
///     uint16_t token_type;                 // 0x0002
///     opaque issuer_name<1..2^16-1>;
///     opaque redemption_context<0..32>;    // 0 or 32 bytes
///     opaque origin_info<0..2^16-1>;
/// } TokenChallenge;
/// ```
///
/// Its SHA-256 digest, computed once when the value is built, is what a token carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenChallenge {
    issuer_name: Vec<u8>,
    redemption_context: Option<[u8; CONTEXT_LEN]>,
    origin_info: Vec<u8>,
    digest: [u8; 32],
}

impl TokenChallenge {
    /// A challenge with these fields. `issuer_name` must be 1 to 65535 bytes and `origin_info` at
    /// most 65535.
    pub fn new(
        issuer_name: &[u8],
        redemption_context: Option<[u8; CONTEXT_LEN]>,
        origin_info: &[u8],
    ) -> Result<Self, Error> {
        if issuer_name.is_empty() || u16::try_from(issuer_name.len()).is_err() {
            return Err(Error::InvalidIssuerName {
                length: issuer_name.len(),
            });
        }
        if u16::try_from(origin_info.len()).is_err() {
            return Err(Error::OriginInfoTooLong {
                length: origin_info.len(),
            });
        }
        let mut challenge = Self {
            issuer_name: Vec::from(issuer_name),
            redemption_context,
            origin_info: Vec::from(origin_info),
            digest: [0; 32],
        };
        challenge.digest = Sha256::digest(challenge.to_bytes()).into();
        Ok(challenge)
    }

    /// The challenge of cold-call tokens: the issuer name, an empty redemption context and an
    /// empty origin info. It is the same for every account, so a cold-call token says nothing
    /// about who asked for it or when.
    pub fn cold_call(issuer_name: &[u8]) -> Result<Self, Error> {
        Self::new(issuer_name, None, &[])
    }

    /// The challenge of discovery tokens for time window `window`: the issuer name, the redemption
    /// context [`Self::discovery_context`]`(window)` and an empty origin info. A token for one
    /// window does not verify under the challenge of another.
    pub fn discovery(issuer_name: &[u8], window: u64) -> Result<Self, Error> {
        Self::new(issuer_name, Some(Self::discovery_context(window)), &[])
    }

    /// The challenge of reputation stamps (SPEC.md 18.1): the issuer name, the redemption
    /// context `SHA-256(vec8("blindpost/v1/token/stamp"))` and an empty origin info. Like the
    /// cold-call challenge it is the same for every account and every time; the context only
    /// keeps a stamp from ever verifying as a token of another purpose.
    pub fn stamp(issuer_name: &[u8]) -> Result<Self, Error> {
        let mut h = Sha256::new();
        h.update([const { crate::encoding::dst_len(STAMP_DST) }]);
        h.update(STAMP_DST);
        Self::new(issuer_name, Some(h.finalize().into()), &[])
    }

    /// The redemption context naming discovery window `window`:
    /// `SHA-256(vec8("blindpost/v1/token/discovery-window") || u64(window))`.
    pub fn discovery_context(window: u64) -> [u8; CONTEXT_LEN] {
        let mut h = Sha256::new();
        // The DST is shorter than 256 bytes; vec8 length prefix.
        h.update([const { crate::encoding::dst_len(DISCOVERY_WINDOW_DST) }]);
        h.update(DISCOVERY_WINDOW_DST);
        h.update(window.to_be_bytes());
        h.finalize().into()
    }

    /// The issuer name.
    pub fn issuer_name(&self) -> &[u8] {
        &self.issuer_name
    }

    /// The redemption context: `None` when empty, else 32 bytes.
    pub fn redemption_context(&self) -> Option<&[u8; CONTEXT_LEN]> {
        self.redemption_context.as_ref()
    }

    /// The origin info.
    pub fn origin_info(&self) -> &[u8] {
        &self.origin_info
    }

    /// `challenge_digest = SHA-256(TokenChallenge)`.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The RFC 9577 encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let context: &[u8] = self.redemption_context.as_ref().map_or(&[], |c| c);
        let mut out = Vec::with_capacity(
            7usize
                .saturating_add(self.issuer_name.len())
                .saturating_add(context.len())
                .saturating_add(self.origin_info.len()),
        );
        out.extend_from_slice(&TOKEN_TYPE.to_be_bytes());
        super::push_vec16(&mut out, &self.issuer_name);
        // The constructors admit contexts of 0 or 32 bytes only, so the length always fits a u8.
        out.push(u8::try_from(context.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(context);
        super::push_vec16(&mut out, &self.origin_info);
        out
    }

    /// Decodes the RFC 9577 encoding: token type 0x0002, a non-empty issuer name, a redemption
    /// context of 0 or 32 bytes, and no trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let token_type = r.u16("token_challenge.token_type")?;
        if token_type != TOKEN_TYPE {
            return Err(Error::UnsupportedTokenType { found: token_type });
        }
        let issuer_name = r.vec16("token_challenge.issuer_name", usize::from(u16::MAX))?;
        if issuer_name.is_empty() {
            return Err(DecodeError::new(
                "token_challenge.issuer_name",
                DecodeErrorKind::InvalidValue,
            )
            .into());
        }
        let context = r.vec8("token_challenge.redemption_context", CONTEXT_LEN)?;
        let redemption_context = match context.len() {
            0 => None,
            _ => Some(<[u8; CONTEXT_LEN]>::try_from(context).map_err(|_| {
                DecodeError::new(
                    "token_challenge.redemption_context",
                    DecodeErrorKind::InvalidValue,
                )
            })?),
        };
        let origin_info = r.vec16("token_challenge.origin_info", usize::from(u16::MAX))?;
        r.finish("token_challenge")?;
        Self::new(issuer_name, redemption_context, origin_info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn cold_call_encoding_is_type_name_and_two_empty_fields() {
        let c = TokenChallenge::cold_call(b"issuer.example").unwrap();
        let mut expected = vec![0x00, 0x02, 0x00, 0x0e];
        expected.extend_from_slice(b"issuer.example");
        expected.extend_from_slice(&[0x00, 0x00, 0x00]);
        assert_eq!(c.to_bytes(), expected);
        assert_eq!(c.digest(), &<[u8; 32]>::from(Sha256::digest(&expected)));
        assert_eq!(TokenChallenge::from_bytes(&expected).unwrap(), c);
    }

    #[test]
    fn discovery_context_is_the_specified_hash() {
        let mut input = vec![const { crate::encoding::dst_len(DISCOVERY_WINDOW_DST) }];
        input.extend_from_slice(DISCOVERY_WINDOW_DST);
        input.extend_from_slice(&7u64.to_be_bytes());
        let expected: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(TokenChallenge::discovery_context(7), expected);
        let c = TokenChallenge::discovery(b"i", 7).unwrap();
        assert_eq!(c.redemption_context(), Some(&expected));
        assert_ne!(
            c.digest(),
            TokenChallenge::discovery(b"i", 8).unwrap().digest()
        );
    }

    #[test]
    fn decoding_rejects_bad_fields() {
        let good = TokenChallenge::new(b"i", Some([5; 32]), b"o")
            .unwrap()
            .to_bytes();
        assert!(TokenChallenge::from_bytes(&good).is_ok());
        let mut wrong_type = good.clone();
        wrong_type[1] = 1;
        assert_eq!(
            TokenChallenge::from_bytes(&wrong_type),
            Err(Error::UnsupportedTokenType { found: 1 })
        );
        // A 5-byte redemption context.
        let odd = [&[0, 2, 0, 1, b'i', 5][..], &[1; 5], &[0, 0]].concat();
        assert!(matches!(
            TokenChallenge::from_bytes(&odd),
            Err(Error::Decode(DecodeError {
                kind: DecodeErrorKind::InvalidValue,
                ..
            }))
        ));
        let empty_issuer = [0, 2, 0, 0, 0, 0, 0];
        assert!(matches!(
            TokenChallenge::from_bytes(&empty_issuer),
            Err(Error::Decode(_))
        ));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(
            TokenChallenge::from_bytes(&trailing),
            Err(Error::Decode(DecodeError {
                kind: DecodeErrorKind::TrailingBytes { extra: 1 },
                ..
            }))
        ));
        assert_eq!(
            TokenChallenge::cold_call(b""),
            Err(Error::InvalidIssuerName { length: 0 })
        );
    }
}
