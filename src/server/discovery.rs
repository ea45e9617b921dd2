//! Contact discovery with per-window rate limits (SPEC.md section 14).

use super::records::{
    account_key, digest, discovery_batch_key, discovery_issued_key, discovery_spent_key, phone_key,
    AccountRecord,
};
use super::tokens::{check_token, check_token_request, token_id};
use super::{Refusal, Server, ServerError};
use crate::account::AccountId;
use crate::blind_rsa::SecretKey;
use crate::certificate::{EncodedCertificate, PhoneNumber};
use crate::store::Store;
use crate::token::{
    Issuer, Token, TokenChallenge, TokenKey, TokenKeyEntry, TokenKeySet, TokenRequest,
};
use crate::wire::{ErrorCode, Response};
use crate::Time;
use alloc::vec::Vec;
use rand_core::CryptoRng;

const DISCOVERY_BATCH_DST: &[u8] = b"blindpost/v1/discovery-issuance";
const LOOKUP_BATCH_DST: &[u8] = b"blindpost/v1/lookup-batch";

/// The discovery limits (defaults and reasoning in SPEC.md 14.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryConfig {
    /// Length of a window (seconds). Tokens are good only in the window they were issued for.
    pub window_seconds: u64,
    /// N: discovery tokens a phone number's accounts may obtain per window.
    pub tokens_per_window: u64,
    /// K: phone numbers one token pays for.
    pub batch_size: usize,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            window_seconds: 24 * 3600,
            tokens_per_window: 20,
            batch_size: 100,
        }
    }
}

impl DiscoveryConfig {
    /// The window that `now` falls in.
    pub fn window(&self, now: Time) -> u64 {
        now.window(self.window_seconds)
    }

    /// The first second of `window`.
    pub fn window_start(&self, window: u64) -> Time {
        Time::from_unix_secs(window.saturating_mul(self.window_seconds))
    }

    /// The first second after `window`.
    pub fn window_end(&self, window: u64) -> Time {
        self.window_start(window.saturating_add(1))
    }

    pub(super) fn validate(&self) -> Result<(), ServerError> {
        if self.window_seconds == 0 {
            return Err(ServerError::InvalidConfig {
                field: "discovery.window_seconds",
            });
        }
        if self.tokens_per_window == 0
            || self.tokens_per_window > crate::wire::MAX_DISCOVERY_REQUESTS as u64
        {
            return Err(ServerError::InvalidConfig {
                field: "discovery.tokens_per_window",
            });
        }
        if self.batch_size == 0 || self.batch_size > crate::wire::MAX_LOOKUP_BATCH {
            return Err(ServerError::InvalidConfig {
                field: "discovery.batch_size",
            });
        }
        Ok(())
    }
}

/// Each discovery key must be valid for exactly one window: otherwise a client could collect
/// tokens in one window for a later one and spend more than N in it (SPEC.md 14.2).
pub(super) fn check_keys(config: &DiscoveryConfig, keys: &TokenKeySet) -> Result<(), ServerError> {
    for e in keys.entries() {
        let window = config.window(e.not_before());
        if e.not_before() != config.window_start(window) || e.expires() != config.window_end(window)
        {
            return Err(ServerError::DiscoveryKeyNotOneWindow);
        }
    }
    Ok(())
}

/// An issuer and key set with one key for the window of `now` and one for the next; keys of
/// `previous` for those windows are kept, so clients see no key withdrawn early.
pub(super) fn generate_keys<R: CryptoRng + ?Sized>(
    rng: &mut R,
    now: Time,
    issuer_name: &[u8],
    config: &DiscoveryConfig,
    serial: u64,
    previous: Option<(&Issuer, &TokenKeySet)>,
) -> Result<(Issuer, TokenKeySet), ServerError> {
    let window = config.window(now);
    let windows = [window, window.saturating_add(1)];
    let kept: Vec<Option<(SecretKey, TokenKeyEntry)>> = windows
        .iter()
        .map(|&w| {
            let start = config.window_start(w);
            previous.and_then(|(issuer, set)| {
                let entry = set.entries().iter().find(|e| e.not_before() == start)?;
                let secret = issuer.secret_key(&entry.key().id())?;
                Some((secret.clone(), entry.clone()))
            })
        })
        .collect();
    // Requests name their key by the last byte of its id, so the keys of one issuer must
    // differ in it: a new key that collides with another key of the set is drawn again.
    let mut taken: Vec<u8> = kept
        .iter()
        .flatten()
        .map(|(_, e)| e.key().id().truncated())
        .collect();
    let mut secrets = Vec::new();
    let mut entries = Vec::new();
    for (w, kept) in windows.into_iter().zip(kept) {
        let (secret, entry) = match kept {
            Some(pair) => pair,
            None => {
                let (secret, key) = fresh_key(rng, &taken)?;
                taken.push(key.id().truncated());
                let entry = TokenKeyEntry::new(key, config.window_start(w), config.window_end(w));
                (secret, entry)
            }
        };
        secrets.push(secret);
        entries.push(entry);
    }
    let issuer = Issuer::new(secrets).map_err(|_| ServerError::KeyGeneration)?;
    let keys =
        TokenKeySet::new(serial, issuer_name, entries).map_err(|_| ServerError::KeyGeneration)?;
    Ok((issuer, keys))
}

/// How many keys to draw before giving up on a truncated key id not in `taken` (each draw
/// collides with probability at most 2/256).
const MAX_KEY_DRAWS: usize = 16;

/// A new discovery key whose truncated key id is not in `taken`.
fn fresh_key<R: CryptoRng + ?Sized>(
    rng: &mut R,
    taken: &[u8],
) -> Result<(SecretKey, TokenKey), ServerError> {
    for _ in 0..MAX_KEY_DRAWS {
        let secret = SecretKey::generate(rng, crate::token::KEY_BITS)
            .map_err(|_| ServerError::KeyGeneration)?;
        let key = TokenKey::from_public_key(secret.public_key())
            .map_err(|_| ServerError::KeyGeneration)?;
        if !taken.contains(&key.id().truncated()) {
            return Ok((secret, key));
        }
    }
    Err(ServerError::KeyGeneration)
}

impl<S: Store> Server<S> {
    pub(super) fn issue_discovery_tokens<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        account: AccountId,
        window: u64,
        requests: &[TokenRequest],
    ) -> Result<Response, Refusal> {
        let config = &self.config.discovery;
        let current = config.window(now);
        if window != current {
            return Err(Refusal::new(
                ErrorCode::WrongWindow,
                "tokens are issued for the current window only",
            ));
        }
        let count = u64::try_from(requests.len()).unwrap_or(u64::MAX);
        if count == 0 || count > config.tokens_per_window {
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                "request count outside 1..=N",
            ));
        }
        // Cheap checks first: every request names this window's key and is in range.
        for request in requests {
            check_token_request(
                &self.secrets.discovery_keys,
                &self.secrets.discovery_issuer,
                now,
                request,
                (ErrorCode::WrongWindow, "not this window's discovery key"),
            )?;
        }
        // The quota is the phone number's: re-registering the number with a new identity key
        // (a new account) does not reset it.
        let Some(record) = self.store.get(&account_key(&account), now)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let phone = AccountRecord::phone_from_bytes(&record)?;
        // A resend of a batch already counted is answered again (blind signatures are
        // deterministic) without counting it twice.
        let parts: Vec<Vec<u8>> = requests.iter().map(TokenRequest::to_bytes).collect();
        let window_bytes = window.to_be_bytes();
        let mut refs: Vec<&[u8]> = alloc::vec![account.as_bytes().as_slice(), &window_bytes];
        refs.extend(parts.iter().map(Vec::as_slice));
        let batch = discovery_batch_key(&digest(DISCOVERY_BATCH_DST, &refs));
        let expires = config.window_end(window);
        if self.store.get(&batch, now)?.is_none() {
            // The counter is the commit point, before any signature.
            let key = discovery_issued_key(&phone, window);
            if self
                .store
                .add_within_limit(&key, count, config.tokens_per_window, Some(expires), now)?
                .is_none()
            {
                return Err(Refusal::new(
                    ErrorCode::RateLimited,
                    "discovery token limit for this phone number reached",
                ));
            }
            self.store.put(&batch, &[], Some(expires), now)?;
        }
        let responses = requests
            .iter()
            .map(|request| {
                self.secrets
                    .discovery_issuer
                    .issue(rng, request)
                    .map_err(|e| Refusal::new(ErrorCode::InvalidToken, alloc::format!("{e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::DiscoveryTokens(responses))
    }

    pub(super) fn lookup(
        &self,
        now: Time,
        token: &Token,
        phones: &[PhoneNumber],
    ) -> Result<Response, Refusal> {
        let config = &self.config.discovery;
        if phones.len() > config.batch_size {
            return Err(Refusal::new(
                ErrorCode::TooManyNumbers,
                "batch larger than K",
            ));
        }
        let window = config.window(now);
        let challenge =
            TokenChallenge::discovery(self.secrets.discovery_keys.issuer_name(), window)
                .map_err(|e| Refusal::new(ErrorCode::Internal, alloc::format!("{e}")))?;
        check_token(token, &challenge, &self.secrets.discovery_keys, now)?;
        // The spent record remembers the batch, so a resend of the same lookup is answered
        // again while any other use of the token is refused.
        let parts: Vec<&[u8]> = phones.iter().map(PhoneNumber::as_bytes).collect();
        let batch = digest(LOOKUP_BATCH_DST, &parts);
        let spent = discovery_spent_key(&token_id(token));
        let expires = Some(config.window_end(window));
        if !self.store.insert_if_absent(&spent, &batch, expires, now)?
            && self.store.get(&spent, now)?.as_deref() != Some(batch.as_slice())
        {
            return Err(Refusal::new(
                ErrorCode::TokenSpent,
                "discovery token already used",
            ));
        }
        // The certificates go out as stored, their points not decoded: the server issued them,
        // and the client decodes and verifies each anyway (SPEC.md 14.3).
        let mut found: Vec<EncodedCertificate> = Vec::new();
        for phone in phones {
            let Some(id) = self.store.get(&phone_key(phone), now)? else {
                continue;
            };
            let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) else {
                continue;
            };
            let Some(bytes) = self.store.get(&account_key(&AccountId(id)), now)? else {
                continue;
            };
            let certificate = AccountRecord::certificate_bytes(&bytes)?;
            if !found.contains(&certificate) {
                found.push(certificate);
            }
        }
        Ok(Response::LookupResult(found))
    }
}
