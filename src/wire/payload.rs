//! What travels inside a sealed payload, end-to-end encrypted by the host (SPEC.md section 10).
//!
//! The server never sees these bytes in clear. An [`Introduction`] is the first message from a
//! sender to a recipient: it proves who the sender is (certificate + identity signature), binds
//! the message to the recipient, and hands the recipient a member key of the sender's group so
//! it can reply without spending tokens.

use super::codec::{codec_enum, codec_struct, read_tag, tags, Bytes, Decode, Encode, Own, U16};
use super::{WireError, MAX_HOST_MATERIAL_LEN, MAX_MESSAGE_LEN, VERSION};
use crate::account::AccountId;
use crate::bbs04::{GroupPublicKey, MemberKey};
use crate::bls::{PublicKey, SecretKey, Signature as BlsSignature};
use crate::certificate::{Certificate, CertificateError, IssuerKeySet};
use crate::curve::pairing::all_hold;
use crate::encoding::{dst_len, EncodeError, Reader, Writer};
use crate::Time;
use alloc::vec::Vec;
use core::fmt;

const INTRODUCTION_DST: &[u8] = b"blindpost/v1/introduction";
/// Domain of the coefficients that combine an introduction's three pairing equations.
const INTRODUCTION_CHECK_DST: &[u8] = b"blindpost/v1/introduction-check";
/// The most bytes of the sender's certificate in an introduction.
pub(super) const MAX_CERTIFICATE_LEN: usize = 1024;

tags! {
    /// The kind byte of a payload.
    enum PayloadKind {
        Introduction = 1,
        Message = 2,
    }
}

impl PayloadKind {
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "payload.kind", "payload", Self::from_u8)
    }
}

/// The signed part of an introduction.
#[derive(Clone)]
pub struct IntroductionContent {
    /// The sender's certificate.
    pub certificate: Certificate,
    /// The recipient the introduction is for.
    pub recipient: AccountId,
    /// The sender's group key when it wrote the introduction.
    pub group_key: GroupPublicKey,
    /// A member key of the sender's group, issued to this recipient (secret).
    pub member_key: MemberKey,
    /// Opaque material of the host (e.g. its initial ratchet keys).
    pub host_material: Vec<u8>,
    /// The application message.
    pub message: Vec<u8>,
    /// The sender's clock when it wrote the introduction (Unix seconds).
    pub created_at: Time,
}

impl fmt::Debug for IntroductionContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntroductionContent")
            .field("phone", self.certificate.phone())
            .field("recipient", &self.recipient)
            .field("generation", &self.group_key.generation())
            .field("member_key", &"<secret>")
            .field("host_material_len", &self.host_material.len())
            .field("message_len", &self.message.len())
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl IntroductionContent {
    /// The bytes the sender's identity key signs: `vec8(DST) || content`.
    /// A field its length prefix cannot count stops the message before it; the recipient, which
    /// decodes the whole payload first, refuses such a content anyway.
    fn signed_message(&self) -> Vec<u8> {
        const DST_LEN: u8 = dst_len(INTRODUCTION_DST);
        super::codec::message_bytes(|w| {
            w.u8(DST_LEN).bytes(INTRODUCTION_DST);
            self.encode(w, "introduction")
        })
    }

    /// Signs the content with the sender's identity key.
    pub fn sign(self, identity: &SecretKey) -> Introduction {
        let signature = identity.sign(&self.signed_message());
        Introduction {
            content: self,
            signature,
        }
    }
}

/// An introduction: its content signed by the sender's identity key.
#[derive(Clone, Debug)]
pub struct Introduction {
    content: IntroductionContent,
    signature: BlsSignature,
}

/// Why a recipient refused an introduction.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntroductionError {
    /// The sender's certificate did not verify.
    Certificate(CertificateError),
    /// The identity signature does not verify under the certificate's identity key.
    BadSignature,
    /// The introduction is for another account.
    WrongRecipient,
    /// The member key does not belong to the enclosed group key.
    BadMemberKey,
    /// The introduction claims to be written after `now` plus the allowed skew.
    FromTheFuture {
        /// Its timestamp.
        created_at: Time,
    },
}

impl fmt::Display for IntroductionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntroductionError::Certificate(e) => write!(f, "introduction: sender certificate: {e}"),
            IntroductionError::BadSignature => {
                f.write_str("introduction: identity signature does not verify")
            }
            IntroductionError::WrongRecipient => {
                f.write_str("introduction: addressed to another account")
            }
            IntroductionError::BadMemberKey => {
                f.write_str("introduction: member key does not belong to the sender's group key")
            }
            IntroductionError::FromTheFuture { created_at } => {
                write!(f, "introduction: timestamp {created_at} is in the future")
            }
        }
    }
}

impl core::error::Error for IntroductionError {}

impl Introduction {
    /// The content (check it with [`Introduction::verify`] first).
    pub fn content(&self) -> &IntroductionContent {
        &self.content
    }

    /// The sender's account id (from its certificate's identity key).
    pub fn sender(&self) -> AccountId {
        AccountId::for_identity_key(&self.content.certificate.identity_key().to_bytes())
    }

    /// Everything a recipient checks (SPEC.md 10.2): the certificate against the pinned issuer
    /// keys at `now`, the identity signature, the binding to `me`, the member key against the
    /// enclosed group key, and a timestamp no later than `now + max_skew`.
    ///
    /// The three pairing equations (certificate signature, identity signature, member key) are
    /// checked first as one product; only if that fails are they checked one by one, so that
    /// the error names the first failing check in the order above.
    pub fn verify(
        &self,
        issuers: &IssuerKeySet,
        me: &AccountId,
        now: Time,
        max_skew: u64,
    ) -> Result<(), IntroductionError> {
        let c = &self.content;
        let pairings_hold = issuers
            .signature_equation(&c.certificate)
            .is_some_and(|certificate| {
                let identity = c
                    .certificate
                    .identity_key()
                    .equation(&c.signed_message(), &self.signature);
                let member = c.member_key.membership_equation(&c.group_key);
                all_hold(INTRODUCTION_CHECK_DST, &[certificate, identity, member])
            });
        issuers
            .verify_certificate_given(&c.certificate, now, None, pairings_hold)
            .map_err(IntroductionError::Certificate)?;
        if !pairings_hold {
            let identity: &PublicKey = c.certificate.identity_key();
            identity
                .verify(&c.signed_message(), &self.signature)
                .map_err(|_| IntroductionError::BadSignature)?;
        }
        if c.recipient != *me {
            return Err(IntroductionError::WrongRecipient);
        }
        if c.created_at > now.saturating_add(max_skew) {
            return Err(IntroductionError::FromTheFuture {
                created_at: c.created_at,
            });
        }
        if pairings_hold {
            c.member_key.check_generation(&c.group_key)
        } else {
            c.member_key.check(&c.group_key)
        }
        .map_err(|_| IntroductionError::BadMemberKey)
    }
}

/// The plaintext of a sealed payload.
#[derive(Clone, Debug)]
pub enum Payload {
    /// A cold call, or the first reply to one: the sender introduces itself.
    Introduction(Introduction),
    /// A later message between contacts.
    Message {
        /// Opaque material of the host.
        host_material: Vec<u8>,
        /// The application message.
        message: Vec<u8>,
    },
}

impl Payload {
    /// The canonical encoding (what the host seals): the payload followed by zero bytes up to
    /// its bucket ([`super::padded_len`], SPEC.md 10.1), so that its size says only which
    /// bucket it is in. A field over its limit is written whole, for the receiver to refuse;
    /// one its length prefix cannot count stops the encoding before it, so no decoder accepts
    /// the result.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::for_messages();
        match self.write(&mut w) {
            Ok(()) => super::padding::pad(w.finish()),
            // The documented stop (see `message_bytes`): left cut and unpadded, so that the
            // decoder finds the missing field instead of zero padding it would read as a field.
            Err(_) => w.finish(),
        }
    }

    fn write(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u8(VERSION);
        self.encode(w, "payload")
    }

    /// Decodes a payload the host has opened: the encoding, then its padding, which must be
    /// zero bytes up to exactly the encoding's bucket (`non_canonical_padding` otherwise).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        r.version("payload.version", VERSION)?;
        let payload = Self::decode(&mut r, "payload")?;
        let padding = r.bytes("payload.padding", r.remaining())?;
        let used = bytes.len().saturating_sub(padding.len());
        super::padding::check(used, padding)?;
        Ok(payload)
    }
}

codec_struct!(IntroductionContent {
    certificate: Bytes<U16, MAX_CERTIFICATE_LEN> = "introduction.certificate",
    recipient: Own = "introduction.recipient",
    group_key: Own = "introduction.group_key",
    member_key: Own = "introduction.member_key",
    host_material: Bytes<U16, MAX_HOST_MATERIAL_LEN> = "introduction.host_material",
    message: Bytes<U16, MAX_MESSAGE_LEN> = "introduction.message",
    created_at: Own = "introduction.created_at",
});

codec_struct!(Introduction {
    content: Own = "introduction",
    signature: Own = "introduction.signature",
});

codec_enum! {
    Payload by PayloadKind::read {
        Introduction(introduction: Own = "introduction"),
        Message {
            host_material: Bytes<U16, MAX_HOST_MATERIAL_LEN> = "payload.host_material",
            message: Bytes<U16, MAX_MESSAGE_LEN> = "payload.message",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecodeError, DecodeErrorKind};

    fn padding_error() -> WireError {
        WireError::Decode(DecodeError::new(
            "payload.padding",
            DecodeErrorKind::NonCanonicalPadding,
        ))
    }

    #[test]
    fn a_payload_is_padded_with_zeros_to_its_bucket_and_nothing_else_decodes() {
        let message = Payload::Message {
            host_material: alloc::vec![1; 256],
            message: alloc::vec![2; 200],
        };
        let bytes = message.to_bytes();
        assert_eq!(bytes.len(), super::super::MIN_PADDED_LEN);
        assert!(bytes[2 + 2 + 256 + 2 + 200..].iter().all(|b| *b == 0));
        assert!(Payload::from_bytes(&bytes).is_ok());

        // A non-zero padding byte, the first or the last.
        for at in [2 + 2 + 256 + 2 + 200, bytes.len() - 1] {
            let mut tampered = bytes.clone();
            tampered[at] = 1;
            assert_eq!(Payload::from_bytes(&tampered).unwrap_err(), padding_error());
        }
        // A length that is no bucket: one byte short, one byte over, unpadded.
        for len in [bytes.len() - 1, 2 + 2 + 256 + 2 + 200] {
            assert_eq!(
                Payload::from_bytes(&bytes[..len]).unwrap_err(),
                padding_error()
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Payload::from_bytes(&longer).unwrap_err(), padding_error());
        // A bucket, but not the smallest one that fits: padding is canonical too.
        let mut doubled = bytes.clone();
        doubled.resize(2 * bytes.len(), 0);
        assert_eq!(Payload::from_bytes(&doubled).unwrap_err(), padding_error());
    }

    #[test]
    fn buckets_are_powers_of_two_from_the_floor_to_the_largest() {
        assert_eq!(super::super::padded_len(0), Some(2048));
        assert_eq!(super::super::padded_len(2048), Some(2048));
        assert_eq!(super::super::padded_len(2049), Some(4096));
        assert_eq!(super::super::padded_len(65_536), Some(65_536));
        assert_eq!(super::super::padded_len(65_537), None);
    }

    #[test]
    fn a_field_its_prefix_cannot_count_is_not_encoded_cut() {
        let too_long = Payload::Message {
            host_material: alloc::vec![1; 65_536],
            message: alloc::vec![2; 3],
        };
        // Version and kind, then nothing (not even padding): 65,536 does not fit the u16
        // length prefix.
        assert_eq!(too_long.to_bytes(), [VERSION, 2]);
        assert!(Payload::from_bytes(&too_long.to_bytes()).is_err());
        // Over the maximum but countable: written whole, refused by the receiver.
        let over = Payload::Message {
            host_material: alloc::vec![1; MAX_HOST_MATERIAL_LEN + 1],
            message: alloc::vec![2; 3],
        };
        let bytes = over.to_bytes();
        let unpadded = 2 + 2 + MAX_HOST_MATERIAL_LEN + 1 + 2 + 3;
        assert_eq!(bytes.len(), super::super::padded_len(unpadded).unwrap());
        assert_eq!(
            Payload::from_bytes(&bytes).unwrap_err(),
            WireError::Decode(crate::DecodeError::new(
                "payload.host_material",
                crate::DecodeErrorKind::TooLong {
                    length: MAX_HOST_MATERIAL_LEN + 1,
                    max: MAX_HOST_MATERIAL_LEN
                }
            ))
        );
    }
}
