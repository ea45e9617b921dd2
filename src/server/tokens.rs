//! Cold calls, releases and renewals: the life of a cold-call token (SPEC.md 12.3, 12.4).

use super::records::{
    account_key, digest, handle_key, token_key, HandleRecord, StoredToken, TokenState,
};
use super::{Output, Refusal, Server};
use crate::account::AccountId;
use crate::store::Store;
use crate::token::{self, Token, TokenChallenge, TokenKeySet, TokenRequest, TokenResponse};
use crate::wire::{ColdCallRequest, Delivery, DeliveryHandle, ErrorCode, Response};
use crate::Time;
use alloc::vec::Vec;
use rand_core::CryptoRng;

const TOKEN_ID_DST: &[u8] = b"blindpost/v1/token-id";
const PAYLOAD_DIGEST_DST: &[u8] = b"blindpost/v1/payload-digest";
const RENEWAL_DIGEST_DST: &[u8] = b"blindpost/v1/renewal-request";

/// The name the server keys a token's state by: a digest of the whole token.
pub(super) fn token_id(token: &Token) -> [u8; 32] {
    digest(TOKEN_ID_DST, &[&token.to_bytes()])
}

/// Checks a token for a purpose: its key is in `keys` and valid at `now`, and it verifies for
/// `challenge`. Returns when the key expires.
pub(super) fn check_token(
    token: &Token,
    challenge: &TokenChallenge,
    keys: &TokenKeySet,
    now: Time,
) -> Result<Time, Refusal> {
    let entry = keys
        .entry(&token.token_key_id())
        .filter(|e| e.is_valid_at(now))
        .ok_or_else(|| {
            Refusal::new(
                ErrorCode::InvalidToken,
                "token key unknown or not valid now",
            )
        })?;
    token::verify(token, challenge, keys)
        .map_err(|e| Refusal::new(ErrorCode::InvalidToken, alloc::format!("{e}")))?;
    Ok(entry.expires())
}

impl<S: Store> Server<S> {
    fn cold_call_challenge(&self) -> Result<TokenChallenge, Refusal> {
        TokenChallenge::cold_call(self.secrets.cold_call_keys.issuer_name())
            .map_err(|e| Refusal::new(ErrorCode::Internal, alloc::format!("{e}")))
    }

    pub(super) fn cold_call<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        call: ColdCallRequest,
        outputs: &mut Vec<Output>,
    ) -> Result<Response, Refusal> {
        if call.sealed.len() > self.config.max_sealed_len {
            return Err(Refusal::new(
                ErrorCode::PayloadTooLarge,
                "sealed payload too large",
            ));
        }
        // The recipient is checked before the token, so a token is never used up on a
        // recipient that does not exist.
        if self
            .store
            .get(&account_key(&call.recipient), now)?
            .is_none()
        {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        }
        let challenge = self.cold_call_challenge()?;
        let expires = check_token(&call.token, &challenge, &self.secrets.cold_call_keys, now)?;
        let id = token_id(&call.token);
        let payload_digest = digest(PAYLOAD_DIGEST_DST, &[&call.sealed]);
        let mut handle = DeliveryHandle([0; 16]);
        rng.fill_bytes(&mut handle.0);
        let stored = StoredToken {
            expires,
            state: TokenState::Attached {
                recipient: call.recipient,
                handle,
                payload_digest,
            },
        };
        let key = token_key(&id);
        // The atomic spend: exactly one cold call attaches a token.
        if self
            .store
            .insert_if_absent(&key, &stored.to_bytes(), Some(expires), now)?
        {
            let record = HandleRecord {
                token_id: id,
                recipient: call.recipient,
            };
            self.store
                .put(&handle_key(&handle), &record.to_bytes(), Some(expires), now)?;
            outputs.push(Output::Deliver {
                recipient: call.recipient,
                delivery: Delivery::ColdCall {
                    handle,
                    received_at: now,
                    sealed: call.sealed,
                },
            });
            return Ok(Response::ColdCallAccepted { duplicate: false });
        }
        // Already attached: the same cold call again is a retry and is acknowledged without
        // being queued twice; anything else is a second spend.
        let Some(bytes) = self.store.get(&key, now)? else {
            return Err(Refusal::new(ErrorCode::TokenSpent, "token already spent"));
        };
        match StoredToken::from_bytes(&bytes)?.state {
            TokenState::Attached {
                recipient,
                handle,
                payload_digest: d,
            } if recipient == call.recipient && d == payload_digest => {
                // Repair the handle record in case the first attempt stopped before writing it.
                let record = HandleRecord {
                    token_id: id,
                    recipient,
                };
                self.store
                    .put(&handle_key(&handle), &record.to_bytes(), Some(expires), now)?;
                Ok(Response::ColdCallAccepted { duplicate: true })
            }
            _ => Err(Refusal::new(ErrorCode::TokenSpent, "token already spent")),
        }
    }

    pub(super) fn release(
        &self,
        now: Time,
        account: AccountId,
        handle: DeliveryHandle,
    ) -> Result<Response, Refusal> {
        let Some(bytes) = self.store.get(&handle_key(&handle), now)? else {
            return Err(Refusal::new(
                ErrorCode::UnknownHandle,
                "no token under this handle",
            ));
        };
        let record = HandleRecord::from_bytes(&bytes)?;
        if record.recipient != account {
            return Err(Refusal::new(
                ErrorCode::NotYourToken,
                "token attached to another account",
            ));
        }
        let key = token_key(&record.token_id);
        let Some(state_bytes) = self.store.get(&key, now)? else {
            return Err(Refusal::new(ErrorCode::UnknownToken, "token state expired"));
        };
        let stored = StoredToken::from_bytes(&state_bytes)?;
        if let TokenState::Attached { .. } = stored.state {
            let released = StoredToken {
                expires: stored.expires,
                state: TokenState::Released,
            };
            // If the state changed meanwhile, only a concurrent release can have changed it.
            self.store.replace_if_matches(
                &key,
                &state_bytes,
                &released.to_bytes(),
                Some(stored.expires),
                now,
            )?;
        }
        // Releasing a released or renewed token again is a harmless retry.
        Ok(Response::Released)
    }

    pub(super) fn renew<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        token: &Token,
        request: &TokenRequest,
    ) -> Result<Response, Refusal> {
        let id = token_id(token);
        let key = token_key(&id);
        let Some(state_bytes) = self.store.get(&key, now)? else {
            return Err(Refusal::new(
                ErrorCode::UnknownToken,
                "token was never attached",
            ));
        };
        let stored = StoredToken::from_bytes(&state_bytes)?;
        let request_digest = digest(RENEWAL_DIGEST_DST, &[&request.to_bytes()]);
        match stored.state {
            TokenState::Attached { .. } => Err(Refusal::new(
                ErrorCode::NotReleased,
                "token not released yet",
            )),
            TokenState::Released => {
                let response = self.issue_cold_call_token(rng, now, request)?;
                let renewed = StoredToken {
                    expires: stored.expires,
                    state: TokenState::Renewed { request_digest },
                };
                if self.store.replace_if_matches(
                    &key,
                    &state_bytes,
                    &renewed.to_bytes(),
                    Some(stored.expires),
                    now,
                )? {
                    Ok(Response::TokenRenewed(response))
                } else {
                    Err(Refusal::new(
                        ErrorCode::TokenSpent,
                        "token renewed concurrently",
                    ))
                }
            }
            // A retry of the same renewal gets the same (deterministic) signature again.
            TokenState::Renewed { request_digest: d } if d == request_digest => Ok(
                Response::TokenRenewed(self.issue_cold_call_token(rng, now, request)?),
            ),
            TokenState::Renewed { .. } => {
                Err(Refusal::new(ErrorCode::TokenSpent, "token already renewed"))
            }
        }
    }

    /// Blind-signs a cold-call token request with a key valid now.
    pub(super) fn issue_cold_call_token<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        request: &TokenRequest,
    ) -> Result<TokenResponse, Refusal> {
        self.check_cold_call_request(now, request)?;
        self.secrets
            .cold_call_issuer
            .issue(rng, request)
            .map_err(|e| Refusal::new(ErrorCode::InvalidToken, alloc::format!("{e}")))
    }

    /// What [`Self::issue_cold_call_token`] checks before signing: the request names a key
    /// valid now and its blinded message is in range (no RSA operation).
    pub(super) fn check_cold_call_request(
        &self,
        now: Time,
        request: &TokenRequest,
    ) -> Result<(), Refusal> {
        let current = self.secrets.cold_call_keys.entries().iter().any(|e| {
            e.key().id().truncated() == request.truncated_token_key_id() && e.is_valid_at(now)
        });
        if !current {
            return Err(Refusal::new(
                ErrorCode::InvalidToken,
                "no current token key with that id",
            ));
        }
        self.secrets
            .cold_call_issuer
            .check_request(request)
            .map_err(|e| Refusal::new(ErrorCode::InvalidToken, alloc::format!("{e}")))
    }
}
