//! RFC 9578 tokens of type 0x0002 (SPEC.md section 6): challenges, key sets, the client's
//! request and pending state, the issuer, and verification.

use crate::blind_rsa::BlindRsaSecretKey;
use crate::error::{wrong_length, BlindpostError};
use crate::rng::{with_os_rng, VectorRng};
use blindpost::token::{self, TokenKeyEntry as CoreEntry, TokenKeyId};
use blindpost::Time;
use std::sync::{Arc, Mutex, PoisonError};

fn parse_key_id(bytes: &[u8]) -> Result<TokenKeyId, BlindpostError> {
    let array: [u8; token::NID] = bytes
        .try_into()
        .map_err(|_| wrong_length("token_key_id", token::NID, bytes.len()))?;
    Ok(TokenKeyId::from_bytes(array))
}

/// An RFC 9577 token challenge of type 0x0002.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct TokenChallenge {
    pub(crate) inner: token::TokenChallenge,
}

#[uniffi::export]
impl TokenChallenge {
    /// A challenge with these fields: `issuer_name` 1 to 65535 bytes, `redemption_context`
    /// absent or 32 bytes, `origin_info` at most 65535 bytes.
    #[uniffi::constructor]
    pub fn new(
        issuer_name: Vec<u8>,
        redemption_context: Option<Vec<u8>>,
        origin_info: Vec<u8>,
    ) -> Result<Arc<Self>, BlindpostError> {
        let context = redemption_context
            .map(|c| {
                <[u8; 32]>::try_from(c.as_slice())
                    .map_err(|_| wrong_length("token_challenge.redemption_context", 32, c.len()))
            })
            .transpose()?;
        Ok(Arc::new(Self {
            inner: token::TokenChallenge::new(&issuer_name, context, &origin_info)?,
        }))
    }

    /// The challenge of cold-call tokens of `issuer_name`.
    #[uniffi::constructor]
    pub fn cold_call(issuer_name: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: token::TokenChallenge::cold_call(&issuer_name)?,
        }))
    }

    /// The challenge of discovery tokens of `issuer_name` for time window `window`.
    #[uniffi::constructor]
    pub fn discovery(issuer_name: Vec<u8>, window: u64) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: token::TokenChallenge::discovery(&issuer_name, window)?,
        }))
    }

    /// Decodes the RFC 9577 encoding.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: token::TokenChallenge::from_bytes(&bytes)?,
        }))
    }

    /// The RFC 9577 encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// `SHA-256(challenge)`, what a token carries.
    pub fn digest(&self) -> Vec<u8> {
        self.inner.digest().to_vec()
    }

    /// The issuer name.
    pub fn issuer_name(&self) -> Vec<u8> {
        self.inner.issuer_name().to_vec()
    }

    /// The redemption context, if not empty (32 bytes).
    pub fn redemption_context(&self) -> Option<Vec<u8>> {
        self.inner.redemption_context().map(|c| c.to_vec())
    }

    /// The origin info.
    pub fn origin_info(&self) -> Vec<u8> {
        self.inner.origin_info().to_vec()
    }
}

/// The redemption context of discovery challenges for `window` (32 bytes).
#[uniffi::export]
pub fn discovery_context(window: u64) -> Vec<u8> {
    token::TokenChallenge::discovery_context(window).to_vec()
}

/// One key of a token key set.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct TokenKeyEntry {
    /// `SHA-256(spki)`, 32 bytes (ignored when building a key set: it is recomputed).
    pub key_id: Vec<u8>,
    /// The RFC 9578 SubjectPublicKeyInfo DER of the 2048-bit key.
    pub spki: Vec<u8>,
    /// First second of validity.
    pub not_before: u64,
    /// First second after validity.
    pub expires: u64,
}

impl From<&CoreEntry> for TokenKeyEntry {
    fn from(e: &CoreEntry) -> Self {
        Self {
            key_id: e.key().id().as_bytes().to_vec(),
            spki: e.key().spki_der().to_vec(),
            not_before: e.not_before().unix_secs(),
            expires: e.expires().unix_secs(),
        }
    }
}

/// The id of the token key with this RFC 9578 SPKI (`SHA-256(spki)`), after checking the key.
#[uniffi::export]
pub fn token_key_id(spki: Vec<u8>) -> Result<Vec<u8>, BlindpostError> {
    Ok(token::TokenKey::from_spki_der(&spki)?
        .id()
        .as_bytes()
        .to_vec())
}

/// A published, versioned set of token keys of one issuer.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct TokenKeySet {
    pub(crate) inner: token::TokenKeySet,
}

#[uniffi::export]
impl TokenKeySet {
    /// A key set (at most 4 keys, at most 2 valid at once, distinct truncated ids).
    #[uniffi::constructor]
    pub fn new(
        serial: u64,
        issuer_name: Vec<u8>,
        entries: Vec<TokenKeyEntry>,
    ) -> Result<Arc<Self>, BlindpostError> {
        let entries = entries
            .iter()
            .map(|e| {
                Ok(CoreEntry::new(
                    token::TokenKey::from_spki_der(&e.spki)?,
                    Time::from_unix_secs(e.not_before),
                    Time::from_unix_secs(e.expires),
                ))
            })
            .collect::<Result<Vec<_>, BlindpostError>>()?;
        Ok(Arc::new(Self {
            inner: token::TokenKeySet::new(serial, &issuer_name, entries)?,
        }))
    }

    /// Decodes and checks the canonical encoding.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: token::TokenKeySet::from_bytes(&bytes)?,
        }))
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// The serial number (a newer set has a higher one).
    pub fn serial(&self) -> u64 {
        self.inner.serial()
    }

    /// The issuer name.
    pub fn issuer_name(&self) -> Vec<u8> {
        self.inner.issuer_name().to_vec()
    }

    /// The 32-byte digest clients compare.
    pub fn digest(&self) -> Vec<u8> {
        self.inner.digest().to_vec()
    }

    /// The keys, in canonical order.
    pub fn entries(&self) -> Vec<TokenKeyEntry> {
        self.inner
            .entries()
            .iter()
            .map(TokenKeyEntry::from)
            .collect()
    }

    /// The id of the key a client should request under at `now`, if any is valid.
    pub fn preferred_key_id(&self, now: u64) -> Option<Vec<u8>> {
        let now = Time::from_unix_secs(now);
        self.inner
            .preferred_key(now)
            .map(|k| k.id().as_bytes().to_vec())
    }

    /// Whether `next` may replace this set at `now` (SPEC.md 6.5); throws why not.
    pub fn check_update(&self, next: &TokenKeySet, now: u64) -> Result<(), BlindpostError> {
        let now = Time::from_unix_secs(now);
        Ok(self.inner.check_update(&next.inner, now)?)
    }
}

/// What a token request returns: the request to send and the state to keep.
#[derive(uniffi::Record)]
pub struct TokenRequestResult {
    /// The RFC 9578 TokenRequest bytes for the issuer.
    pub request: Vec<u8>,
    /// The client's secret state, which finalizes the issuer's response.
    pub pending: Arc<PendingToken>,
}

/// A client of one token issuer: pins its key set and requests tokens under it.
#[derive(uniffi::Object)]
pub struct TokenClient {
    inner: Mutex<token::TokenClient>,
}

impl TokenClient {
    fn with<T>(&self, f: impl FnOnce(&mut token::TokenClient) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    fn request_with(
        &self,
        rng: &mut (impl rand_core::CryptoRng + ?Sized),
        challenge: &TokenChallenge,
        key_id: &[u8],
        now: Time,
    ) -> Result<TokenRequestResult, BlindpostError> {
        let id = parse_key_id(key_id)?;
        let (request, pending) = self.with(|c| {
            let key = c
                .key_set()
                .key(&id)
                .ok_or(token::Error::UnknownKeyId)?
                .clone();
            c.request(rng, &challenge.inner, &key, now)
        })?;
        Ok(TokenRequestResult {
            request: request.to_bytes(),
            pending: Arc::new(PendingToken { inner: pending }),
        })
    }
}

#[uniffi::export]
impl TokenClient {
    /// A client pinning `key_set`.
    #[uniffi::constructor]
    pub fn new(key_set: &TokenKeySet) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(token::TokenClient::new(key_set.inner.clone())),
        })
    }

    /// The pinned key set.
    pub fn key_set(&self) -> Arc<TokenKeySet> {
        Arc::new(TokenKeySet {
            inner: self.with(|c| c.key_set().clone()),
        })
    }

    /// Replaces the pinned set by `next` if the key-consistency rule allows it at `now`.
    pub fn update_key_set(&self, next: &TokenKeySet, now: u64) -> Result<(), BlindpostError> {
        let now = Time::from_unix_secs(now);
        Ok(self.with(|c| c.update_key_set(next.inner.clone(), now))?)
    }

    /// A token request for `challenge` under the pinned key `key_id` (valid at `now`), with
    /// the operating system's randomness.
    pub fn request(
        &self,
        challenge: &TokenChallenge,
        key_id: Vec<u8>,
        now: u64,
    ) -> Result<TokenRequestResult, BlindpostError> {
        let now = Time::from_unix_secs(now);
        with_os_rng(|rng| self.request_with(rng, challenge, &key_id, now))?
    }

    /// [`TokenClient::request`] drawing from the test-vector generator (vectors only).
    pub fn request_with_vector_rng(
        &self,
        rng: &VectorRng,
        challenge: &TokenChallenge,
        key_id: Vec<u8>,
        now: u64,
    ) -> Result<TokenRequestResult, BlindpostError> {
        let now = Time::from_unix_secs(now);
        rng.with(|r| self.request_with(r, challenge, &key_id, now))
    }
}

/// What a client keeps between its request and the issuer's response (secret: the nonce and
/// the blinding inverse link the token to the request). Zeroized when destroyed.
#[derive(uniffi::Object)]
pub struct PendingToken {
    inner: token::PendingToken,
}

#[uniffi::export]
impl PendingToken {
    /// Decodes the persisted state.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: token::PendingToken::from_bytes(&bytes)?,
        }))
    }

    /// The state to persist (secret).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }

    /// The id of the key the token is requested under.
    pub fn token_key_id(&self) -> Vec<u8> {
        self.inner.token_key_id().as_bytes().to_vec()
    }

    /// Unblinds the issuer's TokenResponse bytes into a token (its bytes), after checking it.
    pub fn finalize(&self, response: Vec<u8>) -> Result<Vec<u8>, BlindpostError> {
        let response = token::TokenResponse::from_bytes(&response)?;
        Ok(self.inner.finalize(&response)?.to_bytes())
    }
}

/// A token issuer: blind-signs token requests with its 2048-bit keys.
#[derive(uniffi::Object)]
pub struct TokenIssuer {
    inner: token::Issuer,
}

#[uniffi::export]
impl TokenIssuer {
    /// An issuer with these keys (2048 bits, distinct truncated ids).
    #[uniffi::constructor]
    pub fn new(keys: Vec<Arc<BlindRsaSecretKey>>) -> Result<Arc<Self>, BlindpostError> {
        let keys = keys.iter().map(|k| k.inner.clone()).collect();
        Ok(Arc::new(Self {
            inner: token::Issuer::new(keys)?,
        }))
    }

    /// The ids of its keys.
    pub fn token_key_ids(&self) -> Vec<Vec<u8>> {
        self.inner
            .token_keys()
            .map(|k| k.id().as_bytes().to_vec())
            .collect()
    }

    /// The RFC 9578 SPKI of its keys (to publish in a key set).
    pub fn token_key_spkis(&self) -> Vec<Vec<u8>> {
        self.inner
            .token_keys()
            .map(|k| k.spki_der().to_vec())
            .collect()
    }

    /// Answers TokenRequest bytes with TokenResponse bytes.
    pub fn issue(&self, request: Vec<u8>) -> Result<Vec<u8>, BlindpostError> {
        let request = token::TokenRequest::from_bytes(&request)?;
        Ok(with_os_rng(|rng| self.inner.issue(rng, &request))??.to_bytes())
    }

    /// [`TokenIssuer::issue`] drawing the RSA blinding from the test-vector generator.
    pub fn issue_with_vector_rng(
        &self,
        rng: &VectorRng,
        request: Vec<u8>,
    ) -> Result<Vec<u8>, BlindpostError> {
        let request = token::TokenRequest::from_bytes(&request)?;
        Ok(rng.with(|r| self.inner.issue(r, &request))?.to_bytes())
    }
}

/// The fields of a decoded token.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The client's 32-byte nonce.
    pub nonce: Vec<u8>,
    /// SHA-256 of the challenge it was issued for.
    pub challenge_digest: Vec<u8>,
    /// The 32-byte id of the key that signed it.
    pub token_key_id: Vec<u8>,
    /// The 256-byte RSABSSA signature.
    pub authenticator: Vec<u8>,
}

/// Decodes token bytes (not verified: see [`verify_token`]).
#[uniffi::export]
pub fn decode_token(bytes: Vec<u8>) -> Result<Token, BlindpostError> {
    let t = token::Token::from_bytes(&bytes)?;
    Ok(Token {
        nonce: t.nonce().to_vec(),
        challenge_digest: t.challenge_digest().to_vec(),
        token_key_id: t.token_key_id().as_bytes().to_vec(),
        authenticator: t.authenticator().to_vec(),
    })
}

/// Checks that token bytes were issued for `challenge` under a key of `key_set` (spending,
/// i.e. refusing a token seen before, is the caller's).
#[uniffi::export]
pub fn verify_token(
    token: Vec<u8>,
    challenge: &TokenChallenge,
    key_set: &TokenKeySet,
) -> Result<(), BlindpostError> {
    let t = token::Token::from_bytes(&token)?;
    Ok(token::verify(&t, &challenge.inner, &key_set.inner)?)
}
