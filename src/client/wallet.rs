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
    /// Being exchanged for a fresh token in `request`, at the `checks`-th check.
    Renewing {
        token: Token,
        pending: PendingToken,
        request: u64,
        checks: u32,
    },
}

/// A discovery token for one window.
#[derive(Clone, Debug)]
pub(super) struct DiscoveryToken {
    pub(super) window: u64,
    pub(super) token: Token,
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

/// Every token the client holds.
#[derive(Clone, Debug, Default)]
pub(super) struct Wallet {
    pub(super) tokens: Vec<TokenSlot>,
    pub(super) discovery: Vec<DiscoveryToken>,
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
                TokenSlot::Renewing { .. } => &mut counts.renewing,
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

    /// The renewal `request` was refused for now: check again at `next_check`.
    pub(super) fn renewal_refused(&mut self, request: RequestId, next_check: Time) {
        self.replace(request, |token, checks| TokenSlot::Attached {
            token,
            next_check,
            checks: checks.saturating_add(1),
        });
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

    /// The fresh token that the renewal `request`'s `response` gives, not yet stored.
    pub(super) fn renewed(
        &self,
        request: RequestId,
        response: &TokenResponse,
    ) -> Result<Option<Token>, ClientError> {
        match self.slot(request).and_then(|i| self.tokens.get(i)) {
            Some(TokenSlot::Renewing { pending, .. }) => Ok(Some(pending.finalize(response)?)),
            _ => Ok(None),
        }
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

    /// The attached token at `index` is being renewed in `request`.
    pub(super) fn start_renewal(
        &mut self,
        index: usize,
        pending: PendingToken,
        request: RequestId,
    ) {
        if let Some(slot) = self.tokens.get_mut(index) {
            if let TokenSlot::Attached { token, checks, .. } = slot {
                *slot = TokenSlot::Renewing {
                    token: token.clone(),
                    pending,
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
            TokenSlot::Reserved { request: r, .. } | TokenSlot::Renewing { request: r, .. } => {
                *r == request.0
            }
            _ => false,
        })
    }

    /// Replaces the slot waiting on `request` by `f(token, checks)`.
    fn replace(&mut self, request: RequestId, f: impl FnOnce(Token, u32) -> TokenSlot) {
        let Some(slot) = self.slot(request).and_then(|i| self.tokens.get_mut(i)) else {
            return;
        };
        let (token, checks) = match slot {
            TokenSlot::Reserved { token, .. } => (token.clone(), 0),
            TokenSlot::Renewing { token, checks, .. } => (token.clone(), *checks),
            _ => return,
        };
        *slot = f(token, checks);
    }
}
