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
const EXCHANGE_DIGEST_DST: &[u8] = b"blindpost/v1/exchange-request";

/// The name the server keys a token's state by: a digest of the whole token.
pub(super) fn token_id(token: &Token) -> [u8; 32] {
    digest(TOKEN_ID_DST, &[&token.to_bytes()])
}

/// The checks of a blind-token request that need no RSA operation, for any purpose: the
/// request names a key of `keys` valid at `now` (else `no_key`, the purpose's refusal), and its
/// blinded message is in range for that key.
pub(super) fn check_token_request(
    keys: &TokenKeySet,
    issuer: &token::Issuer,
    now: Time,
    request: &TokenRequest,
    no_key: (ErrorCode, &'static str),
) -> Result<(), Refusal> {
    let truncated = request.truncated_token_key_id();
    let current = keys
        .entries()
        .iter()
        .any(|e| e.key().id().truncated() == truncated && e.is_valid_at(now));
    if !current {
        return Err(Refusal::new(no_key.0, no_key.1));
    }
    issuer
        .check_request(request)
        .map_err(|e| Refusal::new(ErrorCode::InvalidToken, alloc::format!("{e}")))
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
        let kept_until = self.token_state_until(expires);
        // The atomic spend: exactly one cold call attaches a token.
        if self
            .store
            .insert_if_absent(&key, &stored.to_bytes(), Some(kept_until), now)?
        {
            self.put_handle(&handle, id, call.recipient, kept_until, now)?;
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
        // Already attached or released: the same cold call again is a retry and is acknowledged
        // (the sender then renews the token as after any accepted cold call); anything else is
        // a second spend. While the token is attached the delivery is queued again under the
        // same handle: the first attempt's host may have died before it queued it (SPEC.md
        // 12.8), and the recipient's client ignores a copy it already has (13.4).
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
                self.put_handle(&handle, id, recipient, kept_until, now)?;
                outputs.push(Output::Deliver {
                    recipient,
                    delivery: Delivery::ColdCall {
                        handle,
                        received_at: now,
                        sealed: call.sealed,
                    },
                });
                Ok(Response::ColdCallAccepted { duplicate: true })
            }
            TokenState::Released {
                recipient,
                payload_digest: d,
            } if recipient == call.recipient && d == payload_digest => {
                Ok(Response::ColdCallAccepted { duplicate: true })
            }
            _ => Err(Refusal::new(ErrorCode::TokenSpent, "token already spent")),
        }
    }

    /// Writes the handle record: which token `handle` releases, and for whom.
    fn put_handle(
        &self,
        handle: &DeliveryHandle,
        token_id: [u8; 32],
        recipient: AccountId,
        kept_until: Time,
        now: Time,
    ) -> Result<(), Refusal> {
        let record = HandleRecord {
            token_id,
            recipient,
        };
        self.store.put(
            &handle_key(handle),
            &record.to_bytes(),
            Some(kept_until),
            now,
        )?;
        Ok(())
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
        if let TokenState::Attached {
            recipient,
            payload_digest,
            ..
        } = stored.state
        {
            let released = StoredToken {
                expires: stored.expires,
                state: TokenState::Released {
                    recipient,
                    payload_digest,
                },
            };
            // If the state changed meanwhile, only a concurrent release can have changed it.
            self.store.replace_if_matches(
                &key,
                &state_bytes,
                &released.to_bytes(),
                Some(self.token_state_until(stored.expires)),
                now,
            )?;
        }
        // Releasing a released or renewed token again is a harmless retry.
        Ok(Response::Released)
    }

    /// `renew_token`: a released token, or an unspent one whose key is in its last migration
    /// window, exchanged for a fresh blind signature (SPEC.md 12.4); the renewal of a released
    /// token also signs the stamp request (SPEC.md 18.1).
    pub(super) fn renew<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        token: &Token,
        request: &TokenRequest,
        stamp: &TokenRequest,
    ) -> Result<Response, Refusal> {
        let key = token_key(&token_id(token));
        // A renewal's digest covers the stamp request too (a resend is the same two requests);
        // an exchange's does not, and its own tag keeps a resent exchange from being answered
        // with a stamp.
        let request_bytes = request.to_bytes();
        let request_digest = digest(RENEWAL_DIGEST_DST, &[&request_bytes, &stamp.to_bytes()]);
        let exchange_digest = digest(EXCHANGE_DIGEST_DST, &[&request_bytes]);
        let state_bytes = match self.store.get(&key, now)? {
            Some(bytes) => bytes,
            None => {
                if let Some(response) =
                    self.migrate(rng, now, token, request, &key, exchange_digest)?
                {
                    return Ok(response);
                }
                // Another request spent the token between the read and the insert: answer
                // from the state it wrote.
                self.store.get(&key, now)?.ok_or_else(|| {
                    Refusal::new(ErrorCode::UnknownToken, "token was never attached")
                })?
            }
        };
        let stored = StoredToken::from_bytes(&state_bytes)?;
        match stored.state {
            TokenState::Attached { .. } => Err(Refusal::new(
                ErrorCode::NotReleased,
                "token not released yet",
            )),
            TokenState::Released { .. } => {
                // Both requests are checked before the state changes, so a bad stamp request
                // leaves the token released.
                self.check_stamp_request(now, stamp)?;
                let response = self.renewal_signatures(rng, now, request, stamp)?;
                let renewed = StoredToken {
                    expires: stored.expires,
                    state: TokenState::Renewed { request_digest },
                };
                if self.store.replace_if_matches(
                    &key,
                    &state_bytes,
                    &renewed.to_bytes(),
                    Some(self.token_state_until(stored.expires)),
                    now,
                )? {
                    Ok(response)
                } else {
                    Err(Refusal::new(
                        ErrorCode::TokenSpent,
                        "token renewed concurrently",
                    ))
                }
            }
            // A retry of the same renewal or exchange gets the same (deterministic) signatures
            // again; only a renewal comes with a stamp.
            TokenState::Renewed { request_digest: d } if d == request_digest => {
                self.renewal_signatures(rng, now, request, stamp)
            }
            TokenState::Renewed { request_digest: d } if d == exchange_digest => {
                Ok(Response::TokenRenewed {
                    token: self.issue_cold_call_token(rng, now, request)?,
                    stamp: None,
                })
            }
            TokenState::Renewed { .. } => {
                Err(Refusal::new(ErrorCode::TokenSpent, "token already renewed"))
            }
        }
    }

    /// The exchange of an unspent token whose key expires within the migration window for one
    /// under a key that expires later (SPEC.md 12.4). Cheap checks (key ids, expiry) come before
    /// the RSA verification, the spend is one insert-if-absent, the RSA signature comes last.
    /// `None` if the insert lost to another request that spent the token meanwhile.
    fn migrate<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        token: &Token,
        request: &TokenRequest,
        key: &[u8],
        request_digest: [u8; 32],
    ) -> Result<Option<Response>, Refusal> {
        let keys = &self.secrets.cold_call_keys;
        let window = self.config.token_migration_window;
        // Outside the window an unspent token is what it always was: unknown to renewal.
        let expires = keys
            .entry(&token.token_key_id())
            .filter(|e| e.is_valid_at(now))
            .map(|e| e.expires())
            .filter(|expires| window > 0 && now >= expires.saturating_sub(window))
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownToken, "token was never attached"))?;
        let truncated = request.truncated_token_key_id();
        let later = keys.entries().iter().any(|e| {
            e.key().id().truncated() == truncated && e.is_valid_at(now) && e.expires() > expires
        });
        if !later {
            return Err(Refusal::new(
                ErrorCode::InvalidToken,
                "no current token key that expires after the token's",
            ));
        }
        check_token(token, &self.cold_call_challenge()?, keys, now)?;
        let renewed = StoredToken {
            expires,
            state: TokenState::Renewed { request_digest },
        };
        if !self.store.insert_if_absent(
            key,
            &renewed.to_bytes(),
            Some(self.token_state_until(expires)),
            now,
        )? {
            return Ok(None);
        }
        Ok(Some(Response::TokenRenewed {
            token: self.issue_cold_call_token(rng, now, request)?,
            stamp: None,
        }))
    }

    /// The answer to the renewal of a released token: the new token's and the stamp's blind
    /// signatures.
    fn renewal_signatures<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        request: &TokenRequest,
        stamp: &TokenRequest,
    ) -> Result<Response, Refusal> {
        let token = self.issue_cold_call_token(rng, now, request)?;
        self.check_stamp_request(now, stamp)?;
        let stamp = self
            .secrets
            .stamp_issuer
            .issue(rng, stamp)
            .map_err(|e| Refusal::new(ErrorCode::InvalidToken, alloc::format!("{e}")))?;
        Ok(Response::TokenRenewed {
            token,
            stamp: Some(stamp),
        })
    }

    /// A stamp request names a stamp key valid now and its blinded message is in range (no RSA
    /// operation).
    fn check_stamp_request(&self, now: Time, stamp: &TokenRequest) -> Result<(), Refusal> {
        check_token_request(
            &self.secrets.stamp_keys,
            &self.secrets.stamp_issuer,
            now,
            stamp,
            (ErrorCode::InvalidToken, "no current stamp key with that id"),
        )
    }

    /// How long a token's state (and its handle) is kept: the migration window past its key's
    /// expiry, so that a token released just before its key expired can still be renewed.
    fn token_state_until(&self, expires: Time) -> Time {
        expires.saturating_add(self.config.token_migration_window)
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
        check_token_request(
            &self.secrets.cold_call_keys,
            &self.secrets.cold_call_issuer,
            now,
            request,
            (ErrorCode::InvalidToken, "no current token key with that id"),
        )
    }
}
