//! The issuer side: blind signing of token requests (RFC 9578 section 6.2, SPEC.md 6.2).

use super::{Error, TokenKey, TokenRequest, TokenResponse, NK};
use crate::blind_rsa::SecretKey;
use alloc::vec::Vec;
use rand_core::CryptoRng;

/// An issuer holding its token signing keys, each found by its truncated key identifier. The
/// keys' public parts and identifiers are computed once, when the issuer is built.
#[derive(Debug)]
pub struct Issuer {
    keys: Vec<(SecretKey, TokenKey)>,
}

impl Issuer {
    /// An issuer with these 2048-bit keys, whose truncated key identifiers must differ.
    pub fn new(keys: Vec<SecretKey>) -> Result<Self, Error> {
        if keys.is_empty() {
            return Err(Error::EmptyKeySet);
        }
        let mut out: Vec<(SecretKey, TokenKey)> = Vec::with_capacity(keys.len());
        for secret in keys {
            let public = TokenKey::from_public_key(secret.public_key())?;
            let truncated = public.id().truncated();
            if out.iter().any(|(_, k)| k.id().truncated() == truncated) {
                return Err(Error::DuplicateTruncatedKeyId { truncated });
            }
            out.push((secret, public));
        }
        Ok(Self { keys: out })
    }

    /// The public token keys, for publishing in a [`TokenKeySet`](super::TokenKeySet).
    pub fn token_keys(&self) -> impl Iterator<Item = &TokenKey> {
        self.keys.iter().map(|(_, k)| k)
    }

    /// The secret keys, in the order they were given (for persisting the issuer).
    pub(crate) fn secret_keys(&self) -> impl Iterator<Item = &SecretKey> {
        self.keys.iter().map(|(s, _)| s)
    }

    /// The secret key with this identifier (for carrying a key over into a new issuer).
    pub fn secret_key(&self, id: &super::TokenKeyId) -> Option<&SecretKey> {
        self.keys
            .iter()
            .find(|(_, k)| k.id() == *id)
            .map(|(s, _)| s)
    }

    /// The checks of [`Self::issue`] that need no signature: the request names one of the
    /// issuer's keys and its blinded message has the key's length and is below its modulus.
    pub fn check_request(&self, request: &TokenRequest) -> Result<(), Error> {
        let (secret, _) = self.key_for(request)?;
        Ok(secret
            .public_key()
            .check_blinded_message(request.blinded_msg())?)
    }

    fn key_for(&self, request: &TokenRequest) -> Result<&(SecretKey, TokenKey), Error> {
        let truncated = request.truncated_token_key_id();
        self.keys
            .iter()
            .find(|(_, k)| k.id().truncated() == truncated)
            .ok_or(Error::UnknownTruncatedKeyId { truncated })
    }

    /// RFC 9578 section 6.2: finds the key named by the request's truncated key identifier and
    /// blind-signs the blinded message (which must be below the key's modulus), with RSA blinding
    /// drawn from `rng` and the result checked before it is returned.
    pub fn issue<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        request: &TokenRequest,
    ) -> Result<TokenResponse, Error> {
        let (secret, _) = self.key_for(request)?;
        let blind_sig = secret.blind_sign(rng, request.blinded_msg())?;
        let blind_sig: [u8; NK] = blind_sig.try_into().map_err(|_| Error::WrongKeySize {
            bits: secret.public_key().modulus_bits(),
        })?;
        Ok(TokenResponse::new(blind_sig))
    }
}
