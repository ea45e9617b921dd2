//! The client's tokens: cold-call tokens through their life (SPEC.md 13.3) and discovery tokens
//! per window, and the one way the client asks for new ones.

use super::{ClientError, RequestId, TokenCounts};
use crate::token::{
    PendingToken, Token, TokenChallenge, TokenClient, TokenKeySet, TokenRequest, TokenResponse,
};
use crate::Time;
use alloc::vec::Vec;
use rand_core::CryptoRng;

/// A cold-call token and where it is in its life (SPEC.md 13.3).
#[derive(Clone, Debug)]
pub(super) enum TokenSlot {
    /// Ready to pay for a cold call.
    Available(Token),
    /// Offered in the cold call `request`, not yet acknowledged.
    Reserved { token: Token, request: u64 },
    /// Attached to a recipient; check for its release at `next_check` (the `checks`-th check).
    Attached {
        token: Token,
        next_check: Time,
        checks: u32,
    },
    /// Being exchanged for a fresh token and a stamp in `request`, at the `checks`-th check.
    Renewing {
        token: Token,
        pending: PendingToken,
        stamp: PendingToken,
        request: u64,
        checks: u32,
    },
    /// Unspent, its key in its last migration window: being exchanged in `request` for a token
    /// under a later key (SPEC.md 12.4).
    Migrating {
        token: Token,
        pending: PendingToken,
        request: u64,
    },
}

/// A discovery token for one window.
#[derive(Clone, Debug)]
pub(super) struct DiscoveryToken {
    pub(super) window: u64,
    pub(super) token: Token,
}

/// A reputation stamp (SPEC.md 18.1), held until `redeem_at`, then redeemed in `request`.
#[derive(Clone, Debug)]
pub(super) struct HeldStamp {
    pub(super) token: Token,
    pub(super) redeem_at: Time,
    /// The `redeem_stamps` request it travels in, once queued.
    pub(super) request: Option<u64>,
}

/// Blinded requests for `count` tokens under the preferred key of `keys` at `now`, for
/// `challenge`: the requests to send and the states that finalize their answers.
pub(super) fn token_requests<R: CryptoRng + ?Sized>(
    rng: &mut R,
    keys: &TokenKeySet,
    challenge: &TokenChallenge,
    now: Time,
    count: usize,
) -> Result<(Vec<TokenRequest>, Vec<PendingToken>), ClientError> {
    let key = keys.preferred_key(now).ok_or(ClientError::NoTokenKey)?;
    let client = TokenClient::new(keys.clone());
    let mut requests = Vec::with_capacity(count);
    let mut pending = Vec::with_capacity(count);
    for _ in 0..count {
        let (request, state) = client.request(rng, challenge, key, now)?;
        requests.push(request);
        pending.push(state);
    }
    Ok((requests, pending))
}

/// Finalizes the answers to `pending` (no more answers than requests).
pub(super) fn finalize(
    pending: &[PendingToken],
    responses: &[TokenResponse],
) -> Result<Vec<Token>, ClientError> {
    if responses.len() > pending.len() {
        return Err(ClientError::UnexpectedResponse);
    }
    pending
        .iter()
        .zip(responses)
        .map(|(state, response)| Ok(state.finalize(response)?))
        .collect()
}

/// When an unspent `token` is to be exchanged for one under a later key (SPEC.md 13.6): once
/// its key is in its last `window` seconds and a key that expires later is pinned and valid.
/// `None` if its key is not pinned, no later key is, or the key expires before that time.
pub(super) fn migration_time(token: &Token, keys: &TokenKeySet, window: u64) -> Option<Time> {
    let expires = keys.entry(&token.token_key_id())?.expires();
    let later = keys
        .entries()
        .iter()
        .filter(|e| e.expires() > expires)
        .map(|e| e.not_before())
        .min()?;
    let due = expires.saturating_sub(window).max(later);
    (window > 0 && due < expires).then_some(due)
}

/// Every token the client holds.
#[derive(Clone, Debug, Default)]
pub(super) struct Wallet {
    pub(super) tokens: Vec<TokenSlot>,
    pub(super) discovery: Vec<DiscoveryToken>,
    /// No exchange for the next key starts before this time (set after a refused exchange, so
    /// a server that refuses is not asked again at once).
    pub(super) next_migration: Time,
    /// Reputation stamps not redeemed yet.
    pub(super) stamps: Vec<HeldStamp>,
}

impl Wallet {
    /// How many cold-call tokens are in each state.
    pub(super) fn counts(&self) -> TokenCounts {
        let mut counts = TokenCounts::default();
        for slot in &self.tokens {
            let n = match slot {
                TokenSlot::Available(_) => &mut counts.available,
                TokenSlot::Reserved { .. } => &mut counts.in_flight,
                TokenSlot::Attached { .. } => &mut counts.attached,
                TokenSlot::Renewing { .. } | TokenSlot::Migrating { .. } => &mut counts.renewing,
            };
            *n = n.saturating_add(1);
        }
        counts
    }

    /// Adds fresh cold-call tokens.
    pub(super) fn add(&mut self, tokens: Vec<Token>) {
        self.tokens
            .extend(tokens.into_iter().map(TokenSlot::Available));
    }

    /// An available cold-call token, if any.
    pub(super) fn available(&self) -> Option<&Token> {
        self.tokens.iter().find_map(|slot| match slot {
            TokenSlot::Available(token) => Some(token),
            _ => None,
        })
    }

    /// Reserves the first available token for the cold call `request`.
    pub(super) fn reserve(&mut self, request: RequestId) {
        if let Some(slot) = self
            .tokens
            .iter_mut()
            .find(|slot| matches!(slot, TokenSlot::Available(_)))
        {
            if let TokenSlot::Available(token) = slot {
                *slot = TokenSlot::Reserved {
                    token: token.clone(),
                    request: request.0,
                };
            }
        }
    }

    /// The cold call `request` was accepted: its token is attached, first checked at
    /// `next_check`.
    pub(super) fn attach(&mut self, request: RequestId, next_check: Time) {
        self.replace(request, |token, _| TokenSlot::Attached {
            token,
            next_check,
            checks: 0,
        });
    }

    /// The cold call `request` did not spend its token: it is available again.
    pub(super) fn unreserve(&mut self, request: RequestId) {
        self.replace(request, |token, _| TokenSlot::Available(token));
    }

    /// The renewal `request` was refused for now: check again at `next_check`. (For an
    /// exchange refused with `not_released`, the token was spent in a cold call after all, and
    /// is checked for its release from now on.)
    pub(super) fn renewal_refused(&mut self, request: RequestId, next_check: Time) {
        self.replace(request, |token, checks| TokenSlot::Attached {
            token,
            next_check,
            checks: checks.saturating_add(1),
        });
    }

    /// Whether `request` is an exchange of an unspent token for the next key.
    pub(super) fn is_migration(&self, request: RequestId) -> bool {
        matches!(
            self.slot(request).and_then(|i| self.tokens.get(i)),
            Some(TokenSlot::Migrating { .. })
        )
    }

    /// The exchange `request` was refused without spending the token: it is available again,
    /// and no exchange starts before `retry`.
    pub(super) fn migration_refused(&mut self, request: RequestId, retry: Time) {
        self.replace(request, |token, _| TokenSlot::Available(token));
        self.next_migration = retry;
    }

    /// How many checks the token of renewal `request` has had, counting this one.
    pub(super) fn checks(&self, request: RequestId) -> u32 {
        match self.slot(request).and_then(|i| self.tokens.get(i)) {
            Some(TokenSlot::Renewing { checks, .. }) => checks.saturating_add(1),
            _ => 1,
        }
    }

    /// The token of `request` is gone (spent elsewhere, or no longer valid).
    pub(super) fn remove(&mut self, request: RequestId) {
        if let Some(i) = self.slot(request) {
            self.tokens.remove(i);
        }
    }

    /// The fresh token that the renewal `request`'s `response` gives, and the stamp that came
    /// with it (only for the renewal of a released token), not yet stored.
    pub(super) fn renewed(
        &self,
        request: RequestId,
        response: &TokenResponse,
        stamp: Option<&TokenResponse>,
    ) -> Result<Option<(Token, Option<Token>)>, ClientError> {
        match (self.slot(request).and_then(|i| self.tokens.get(i)), stamp) {
            (
                Some(TokenSlot::Renewing {
                    pending, stamp: s, ..
                }),
                Some(stamp),
            ) => Ok(Some((
                pending.finalize(response)?,
                Some(s.finalize(stamp)?),
            ))),
            // A stamp is missing only from an exchange's answer, and is none of its business.
            (Some(TokenSlot::Renewing { .. }), None) => Err(ClientError::UnexpectedResponse),
            (Some(TokenSlot::Migrating { pending, .. }), None) => {
                Ok(Some((pending.finalize(response)?, None)))
            }
            (Some(TokenSlot::Migrating { .. }), Some(_)) => Err(ClientError::UnexpectedResponse),
            _ => Ok(None),
        }
    }

    /// Keeps a stamp until `redeem_at`.
    pub(super) fn add_stamp(&mut self, token: Token, redeem_at: Time) {
        self.stamps.push(HeldStamp {
            token,
            redeem_at,
            request: None,
        });
    }

    /// The stamps due for redemption at `now` and not queued yet (at most `max`).
    pub(super) fn due_stamps(&self, now: Time, max: usize) -> Vec<Token> {
        self.stamps
            .iter()
            .filter(|s| s.request.is_none() && s.redeem_at <= now)
            .take(max)
            .map(|s| s.token.clone())
            .collect()
    }

    /// The due stamps (as [`Self::due_stamps`] chose them) travel in `request`.
    pub(super) fn stamps_queued(&mut self, now: Time, max: usize, request: RequestId) {
        for stamp in self
            .stamps
            .iter_mut()
            .filter(|s| s.request.is_none() && s.redeem_at <= now)
            .take(max)
        {
            stamp.request = Some(request.0);
        }
    }

    /// The redemption `request` ended: its first `consumed` stamps are gone (credited, or
    /// redeemed before), the others wait for `retry_at`.
    pub(super) fn stamps_redeemed(&mut self, request: RequestId, consumed: usize, retry_at: Time) {
        let mut seen = 0usize;
        self.stamps.retain_mut(|s| {
            if s.request != Some(request.0) {
                return true;
            }
            seen = seen.saturating_add(1);
            s.request = None;
            s.redeem_at = retry_at;
            seen > consumed
        });
    }

    /// How many stamps travel in `request`.
    pub(super) fn stamps_in(&self, request: RequestId) -> usize {
        self.stamps
            .iter()
            .filter(|s| s.request == Some(request.0))
            .count()
    }

    /// How many stamps are held (queued or not).
    pub(super) fn stamp_count(&self) -> usize {
        self.stamps.len()
    }

    /// When the stamps not queued become due.
    pub(super) fn stamp_times(&self) -> impl Iterator<Item = Time> + '_ {
        self.stamps
            .iter()
            .filter(|s| s.request.is_none())
            .map(|s| s.redeem_at)
    }

    /// Stores the fresh token of the renewal `request`.
    pub(super) fn complete_renewal(&mut self, request: RequestId, fresh: Token) {
        self.replace(request, |_, _| TokenSlot::Available(fresh));
    }

    /// The attached tokens whose check is due at `now`: their indexes.
    pub(super) fn due_checks(&self, now: Time) -> Vec<usize> {
        self.tokens
            .iter()
            .enumerate()
            .filter(|(_, slot)| {
                matches!(slot, TokenSlot::Attached { next_check, .. } if *next_check <= now)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The token at `index`, if it is attached.
    pub(super) fn attached(&self, index: usize) -> Option<&Token> {
        match self.tokens.get(index) {
            Some(TokenSlot::Attached { token, .. }) => Some(token),
            _ => None,
        }
    }

    /// The attached token at `index` is being renewed in `request`, with `stamp` the blinding
    /// state of its stamp.
    pub(super) fn start_renewal(
        &mut self,
        index: usize,
        pending: PendingToken,
        stamp: PendingToken,
        request: RequestId,
    ) {
        if let Some(slot) = self.tokens.get_mut(index) {
            if let TokenSlot::Attached { token, checks, .. } = slot {
                *slot = TokenSlot::Renewing {
                    token: token.clone(),
                    pending,
                    stamp,
                    request: request.0,
                    checks: *checks,
                };
            }
        }
    }

    /// When the attached tokens are checked next.
    pub(super) fn check_times(&self) -> impl Iterator<Item = Time> + '_ {
        self.tokens.iter().filter_map(|slot| match slot {
            TokenSlot::Attached { next_check, .. } => Some(*next_check),
            _ => None,
        })
    }

    /// The available tokens due for an exchange at `now` (SPEC.md 13.6): their indexes.
    pub(super) fn due_migrations(&self, keys: &TokenKeySet, window: u64, now: Time) -> Vec<usize> {
        if now < self.next_migration {
            return Vec::new();
        }
        self.tokens
            .iter()
            .enumerate()
            .filter(|(_, slot)| match slot {
                TokenSlot::Available(token) => {
                    migration_time(token, keys, window).is_some_and(|t| t <= now)
                }
                _ => false,
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// When the available tokens become due for an exchange.
    pub(super) fn migration_times<'a>(
        &'a self,
        keys: &'a TokenKeySet,
        window: u64,
    ) -> impl Iterator<Item = Time> + 'a {
        self.tokens.iter().filter_map(move |slot| match slot {
            TokenSlot::Available(token) => {
                migration_time(token, keys, window).map(|t| t.max(self.next_migration))
            }
            _ => None,
        })
    }

    /// Drops the available tokens whose key has expired at `now` or is no longer pinned: they
    /// can no longer pay, and would otherwise stay due for an exchange that cannot succeed.
    pub(super) fn drop_expired(&mut self, keys: &TokenKeySet, now: Time) {
        self.tokens.retain(|slot| match slot {
            TokenSlot::Available(token) => keys
                .entry(&token.token_key_id())
                .is_some_and(|e| now < e.expires()),
            _ => true,
        });
    }

    /// The available token at `index` is being exchanged for the next key in `request`.
    pub(super) fn start_migration(
        &mut self,
        index: usize,
        pending: PendingToken,
        request: RequestId,
    ) {
        if let Some(slot) = self.tokens.get_mut(index) {
            if let TokenSlot::Available(token) = slot {
                *slot = TokenSlot::Migrating {
                    token: token.clone(),
                    pending,
                    request: request.0,
                };
            }
        }
    }

    /// The available token at `index`.
    pub(super) fn available_at(&self, index: usize) -> Option<&Token> {
        match self.tokens.get(index) {
            Some(TokenSlot::Available(token)) => Some(token),
            _ => None,
        }
    }

    /// Adds discovery tokens of `window`.
    pub(super) fn add_discovery(&mut self, window: u64, tokens: Vec<Token>) {
        self.discovery.extend(
            tokens
                .into_iter()
                .map(|token| DiscoveryToken { window, token }),
        );
    }

    /// Takes a discovery token of `window`, if one is left.
    pub(super) fn take_discovery(&mut self, window: u64) -> Option<Token> {
        let i = self.discovery.iter().position(|d| d.window == window)?;
        Some(self.discovery.remove(i).token)
    }

    /// How many discovery tokens of `window` are left.
    pub(super) fn discovery_count(&self, window: u64) -> usize {
        self.discovery.iter().filter(|d| d.window == window).count()
    }

    /// Drops the discovery tokens of windows before `window` (they can no longer be spent).
    pub(super) fn drop_discovery_before(&mut self, window: u64) {
        self.discovery.retain(|d| d.window >= window);
    }

    fn slot(&self, request: RequestId) -> Option<usize> {
        self.tokens.iter().position(|slot| match slot {
            TokenSlot::Reserved { request: r, .. }
            | TokenSlot::Renewing { request: r, .. }
            | TokenSlot::Migrating { request: r, .. } => *r == request.0,
            _ => false,
        })
    }

    /// Replaces the slot waiting on `request` by `f(token, checks)`.
    fn replace(&mut self, request: RequestId, f: impl FnOnce(Token, u32) -> TokenSlot) {
        let Some(slot) = self.slot(request).and_then(|i| self.tokens.get_mut(i)) else {
            return;
        };
        let (token, checks) = match slot {
            TokenSlot::Reserved { token, .. } | TokenSlot::Migrating { token, .. } => {
                (token.clone(), 0)
            }
            TokenSlot::Renewing { token, checks, .. } => (token.clone(), *checks),
            _ => return,
        };
        *slot = f(token, checks);
    }
}
