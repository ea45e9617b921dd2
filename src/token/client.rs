//! The client side: requests under a pinned key set and the pending state that finalizes a token
//! (SPEC.md sections 6.2 and 6.5).

use super::{
    token_input, Error, Token, TokenChallenge, TokenKey, TokenKeyId, TokenKeySet, TokenRequest,
    TokenResponse, NK, NONCE_LEN, VARIANT,
};
use crate::blind_rsa::{self, BlindingInverse};
use crate::encoding::Reader;
use crate::Time;
use alloc::vec::Vec;
use core::fmt;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The version byte of the [`PendingToken`] encoding.
const PENDING_VERSION: u8 = 1;

/// The largest SPKI a pending token may hold.
const MAX_SPKI_LEN: usize = 1024;

/// A client of one issuer: it holds the pinned [`TokenKeySet`] and requests tokens only under its
/// keys, within their validity.
#[derive(Clone, Debug)]
pub struct TokenClient {
    key_set: TokenKeySet,
}

impl TokenClient {
    /// A client pinning `key_set` (fetched over the anonymous channel; SPEC.md 6.5).
    pub fn new(key_set: TokenKeySet) -> Self {
        Self { key_set }
    }

    /// The pinned key set (persist it with [`TokenKeySet::to_bytes`]).
    pub fn key_set(&self) -> &TokenKeySet {
        &self.key_set
    }

    /// Replaces the pinned set by `next` if [`TokenKeySet::check_update`] allows it at `now`;
    /// otherwise keeps the pinned set and returns why `next` was refused.
    pub fn update_key_set(&mut self, next: TokenKeySet, now: Time) -> Result<(), Error> {
        self.key_set.check_update(&next, now)?;
        self.key_set = next;
        Ok(())
    }

    /// RFC 9578 section 6.1: a token request for `challenge` under `key`, which must be in the
    /// pinned set and valid at `now`, with the challenge naming the set's issuer. Draws the nonce
    /// (32 bytes), then the salt and blinding factor of [`blind_rsa::blind`], from `rng`.
    pub fn request<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        challenge: &TokenChallenge,
        key: &TokenKey,
        now: Time,
    ) -> Result<(TokenRequest, PendingToken), Error> {
        if challenge.issuer_name() != self.key_set.issuer_name() {
            return Err(Error::IssuerMismatch);
        }
        let entry = self.key_set.entry(&key.id()).ok_or(Error::UnknownKeyId)?;
        if !entry.is_valid_at(now) {
            return Err(Error::KeyNotValid { now });
        }
        let key = entry.key();
        let mut nonce = Zeroizing::new([0u8; NONCE_LEN]);
        rng.fill_bytes(nonce.as_mut());
        let input = Zeroizing::new(token_input(&nonce, challenge.digest(), &key.id()));
        let (blinded, inverse) = blind_rsa::blind(key.public_key(), VARIANT, rng, input.as_ref())?;
        let blinded: [u8; NK] = blinded.try_into().map_err(|_| Error::WrongKeySize {
            bits: key.public_key().modulus_bits(),
        })?;
        let request = TokenRequest::new(key.id().truncated(), blinded);
        let pending = PendingToken {
            key: key.clone(),
            nonce: *nonce,
            challenge_digest: *challenge.digest(),
            inverse,
        };
        Ok((request, pending))
    }
}

/// What a client keeps between [`TokenClient::request`] and the issuer's answer: the token key, the
/// nonce, the challenge digest and the blinding inverse. The nonce and inverse are secret (they
/// would link the token to the request); they are zeroized on drop and `Debug` hides them.
///
/// Encoding (version 1), for persisting the state:
///
/// ```text
/// u8 version = 1; u8 nonce[32]; u8 challenge_digest[32]; vec16 spki (at most 1024 bytes);
/// u8 blind_inverse[Nk]    // r^-1 mod n, big-endian, a unit modulo n
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PendingToken {
    #[zeroize(skip)]
    key: TokenKey,
    nonce: [u8; NONCE_LEN],
    #[zeroize(skip)]
    challenge_digest: [u8; 32],
    inverse: BlindingInverse,
}

impl PendingToken {
    /// The key the token is requested under.
    pub fn token_key_id(&self) -> TokenKeyId {
        self.key.id()
    }

    /// RFC 9578 section 6.3: unblinds the issuer's response and returns the token after checking
    /// its authenticator verifies (a wrong response fails with
    /// [`blind_rsa::Error::InvalidBlindSignature`]).
    pub fn finalize(&self, response: &TokenResponse) -> Result<Token, Error> {
        let input = Zeroizing::new(token_input(
            &self.nonce,
            &self.challenge_digest,
            &self.key.id(),
        ));
        let authenticator = blind_rsa::finalize(
            self.key.public_key(),
            VARIANT,
            input.as_ref(),
            response.blind_sig(),
            &self.inverse,
        )?;
        let authenticator: [u8; NK] =
            authenticator.try_into().map_err(|_| Error::WrongKeySize {
                bits: self.key.public_key().modulus_bits(),
            })?;
        Ok(Token::new(
            self.nonce,
            self.challenge_digest,
            self.key.id(),
            authenticator,
        ))
    }

    /// The encoding described on the type, in a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let spki = self.key.spki_der();
        let inverse = self.inverse.to_bytes();
        let mut out = Zeroizing::new(Vec::with_capacity(
            67usize
                .saturating_add(spki.len())
                .saturating_add(inverse.len()),
        ));
        out.push(PENDING_VERSION);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.challenge_digest);
        super::push_vec16(&mut out, spki);
        out.extend_from_slice(&inverse);
        out
    }

    /// Decodes the encoding described on the type: a 2048-bit token key and an inverse that is a
    /// unit modulo its modulus.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        r.version("pending_token.version", PENDING_VERSION)?;
        let nonce = Zeroizing::new(r.array("pending_token.nonce")?);
        let challenge_digest = r.array("pending_token.challenge_digest")?;
        let key = TokenKey::from_spki_der(r.vec16("pending_token.spki", MAX_SPKI_LEN)?)?;
        let inverse = BlindingInverse::from_bytes(
            key.public_key(),
            r.bytes("pending_token.blind_inverse", NK)?,
        )?;
        r.finish("pending_token")?;
        Ok(Self {
            key,
            nonce: *nonce,
            challenge_digest,
            inverse,
        })
    }
}

impl fmt::Debug for PendingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingToken")
            .field("token_key_id", &self.key.id())
            .field("challenge_digest", &self.challenge_digest)
            .finish_non_exhaustive()
    }
}
