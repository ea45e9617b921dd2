//! The two growth paths of a token allowance (SPEC.md 18): reputation stamps, earned by
//! renewing released cold-call tokens and redeemed later over the authenticated channel, and
//! the bulk-sender tier, claimed with a proof the operator's [`BulkSenderCheck`] accepts.
//!
//! Both are counted per phone number, what an account costs its owner, so a new identity key
//! for the same number starts from the same counts.

use super::records::{
    account_key, bulk_claim_key, bulk_granted_key, digest, earned_key, earned_period_key,
    redemption_key, stamp_spent_key, AccountRecord,
};
use super::tokens::{check_token, token_id};
use super::{Refusal, Server, ServerError};
use crate::account::AccountId;
use crate::bulk::{BulkProof, BulkRefusal, BulkSenderCheck};
use crate::certificate::PhoneNumber;
use crate::store::{read_counter, Store, StoreError};
use crate::token::{Token, TokenChallenge, TokenRequest, TokenResponse};
use crate::wire::{ErrorCode, Response};
use crate::Time;
use alloc::sync::Arc;
use alloc::vec::Vec;
use rand_core::CryptoRng;

const REDEMPTION_DST: &[u8] = b"blindpost/v1/stamp-redemption";
const BULK_CLAIM_DST: &[u8] = b"blindpost/v1/bulk-claim";

/// The limits of both growth paths (defaults and their reasoning in SPEC.md 18.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReputationConfig {
    /// Length of a reputation period (seconds).
    pub period_seconds: u64,
    /// Stamps credited per phone number and period: each credited stamp earns one cold-call
    /// token.
    pub stamps_per_period: u64,
    /// Tokens a phone number may earn with stamps in all: with the registration tokens, the
    /// cap of an ordinary account's allowance.
    pub max_earned: u64,
    /// Length of a bulk-sender period (seconds): a tier's allowance is per period.
    pub bulk_period_seconds: u64,
}

impl Default for ReputationConfig {
    fn default() -> Self {
        Self {
            period_seconds: 7 * 24 * 3600,
            stamps_per_period: 2,
            max_earned: 15,
            bulk_period_seconds: 30 * 24 * 3600,
        }
    }
}

impl ReputationConfig {
    pub(super) fn validate(&self) -> Result<(), ServerError> {
        if self.period_seconds == 0 {
            return Err(ServerError::InvalidConfig {
                field: "reputation.period_seconds",
            });
        }
        if self.bulk_period_seconds == 0 {
            return Err(ServerError::InvalidConfig {
                field: "reputation.bulk_period_seconds",
            });
        }
        if self.stamps_per_period > crate::wire::MAX_REDEEMED_STAMPS as u64 {
            return Err(ServerError::InvalidConfig {
                field: "reputation.stamps_per_period",
            });
        }
        Ok(())
    }

    /// The first second after the period `now` falls in.
    fn period_end(&self, now: Time, seconds: u64) -> Time {
        Time::from_unix_secs(
            now.window(seconds)
                .saturating_add(1)
                .saturating_mul(seconds),
        )
    }
}

/// What the server holds about a phone number's allowance (for operators and the walkthrough).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allowance {
    /// Tokens earned with stamps, in all.
    pub earned: u64,
    /// Stamps credited in the current reputation period.
    pub earned_this_period: u64,
    /// Tokens granted under a bulk-sender tier in the current bulk period.
    pub bulk_this_period: u64,
}

/// The wire code of a bulk-sender check's refusal.
fn bulk_code(refusal: BulkRefusal) -> ErrorCode {
    match refusal {
        BulkRefusal::Untrusted => ErrorCode::BulkUntrusted,
        BulkRefusal::Expired => ErrorCode::BulkExpired,
        BulkRefusal::WrongDomain => ErrorCode::BulkWrongDomain,
        BulkRefusal::BadSignature => ErrorCode::BulkBadSignature,
        BulkRefusal::UnsupportedScheme => ErrorCode::BulkUnsupportedScheme,
        BulkRefusal::Revoked => ErrorCode::BulkRevoked,
        BulkRefusal::NoTier => ErrorCode::BulkNoTier,
    }
}

impl<S: Store> Server<S> {
    /// Installs the operator's check of bulk-sender proofs; without one, claims are refused
    /// with `bulk_not_offered`.
    pub fn set_bulk_check(&mut self, check: Arc<dyn BulkSenderCheck>) {
        self.bulk_check = Some(check);
    }

    /// What `account`'s phone number has earned and been granted (none for an unknown account).
    pub fn allowance(&self, now: Time, account: &AccountId) -> Result<Allowance, StoreError> {
        let Some(phone) = self.phone_of(now, account)? else {
            return Ok(Allowance::default());
        };
        let config = &self.config.reputation;
        Ok(Allowance {
            earned: read_counter(&self.store, &earned_key(&phone), now)?,
            earned_this_period: read_counter(
                &self.store,
                &earned_period_key(&phone, now.window(config.period_seconds)),
                now,
            )?,
            bulk_this_period: read_counter(
                &self.store,
                &bulk_granted_key(&phone, now.window(config.bulk_period_seconds)),
                now,
            )?,
        })
    }

    fn phone_of(&self, now: Time, account: &AccountId) -> Result<Option<PhoneNumber>, StoreError> {
        match self.store.get(&account_key(account), now)? {
            Some(record) => Ok(Some(AccountRecord::phone_from_bytes(&record)?)),
            None => Ok(None),
        }
    }

    /// `redeem_stamps` (SPEC.md 18.1). Cheap checks first (counts, key ids, one store read),
    /// then a resend is answered from its record, then the stamps' RSA verifications; the
    /// stamps are spent in order until the period's or the total cap is reached, the counters
    /// are added, and the first requests are signed, one per stamp credited.
    pub(super) fn redeem_stamps<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        account: AccountId,
        stamps: &[Token],
        requests: &[TokenRequest],
    ) -> Result<Response, Refusal> {
        if stamps.is_empty() || stamps.len() != requests.len() {
            return Err(Refusal::new(
                ErrorCode::Malformed,
                "one token request per stamp, at least one",
            ));
        }
        for request in requests {
            self.check_cold_call_request(now, request)?;
        }
        let keys = &self.secrets.stamp_keys;
        if stamps.iter().any(|s| {
            keys.entry(&s.token_key_id())
                .is_none_or(|e| !e.is_valid_at(now))
        }) {
            return Err(Refusal::new(
                ErrorCode::InvalidToken,
                "stamp key unknown or not valid now",
            ));
        }
        let Some(phone) = self.phone_of(now, &account)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let config = &self.config.reputation;
        let batch = redemption_key(&batch_digest(REDEMPTION_DST, &account, stamps, requests));
        if let Some(record) = self.store.get(&batch, now)? {
            // A resend: the same answer, counted once.
            let [consumed, credited] = <[u8; 2]>::try_from(record.as_slice())
                .map_err(|_| Refusal::new(ErrorCode::Internal, "stored redemption corrupt"))?;
            let tokens = self.sign_cold_call(rng, now, requests, usize::from(credited))?;
            return Ok(Response::StampsRedeemed { consumed, tokens });
        }
        let challenge = TokenChallenge::stamp(keys.issuer_name())
            .map_err(|e| Refusal::new(ErrorCode::Internal, alloc::format!("{e}")))?;
        for stamp in stamps {
            check_token(stamp, &challenge, keys, now)?;
        }
        let period = now.window(config.period_seconds);
        let period_key = earned_period_key(&phone, period);
        let total_key = earned_key(&phone);
        let in_period = read_counter(&self.store, &period_key, now)?;
        let in_total = read_counter(&self.store, &total_key, now)?;
        let total_left = config.max_earned.saturating_sub(in_total);
        let period_left = config.stamps_per_period.saturating_sub(in_period);
        let (consumed, credited) = if total_left == 0 {
            // Nothing more can be earned: every stamp is worthless, and the client drops them.
            (stamps.len(), 0)
        } else {
            self.spend_stamps(now, stamps, total_left.min(period_left))?
        };
        if credited > 0 {
            let amount = u64::try_from(credited).unwrap_or(u64::MAX);
            let period_end = config.period_end(now, config.period_seconds);
            // The commit points; a concurrent redemption of the same number that wins between
            // the reads above and here leaves these stamps spent without credit, never more
            // credit than the caps (SPEC.md 18.1).
            let capped = self
                .store
                .add_within_limit(
                    &period_key,
                    amount,
                    config.stamps_per_period,
                    Some(period_end),
                    now,
                )?
                .is_none()
                || self
                    .store
                    .add_within_limit(&total_key, amount, config.max_earned, None, now)?
                    .is_none();
            if capped {
                return Err(Refusal::new(
                    ErrorCode::RateLimited,
                    "a concurrent redemption reached the cap",
                ));
            }
        }
        let record = [
            u8::try_from(consumed).unwrap_or(u8::MAX),
            u8::try_from(credited).unwrap_or(u8::MAX),
        ];
        self.store.put(
            &batch,
            &record,
            Some(now.saturating_add(config.period_seconds)),
            now,
        )?;
        let tokens = self.sign_cold_call(rng, now, requests, credited)?;
        Ok(Response::StampsRedeemed {
            consumed: record[0],
            tokens,
        })
    }

    /// Spends stamps in order until `limit` are credited: a stamp spent before is skipped
    /// (consumed, not credited). Returns how many were consumed from the front and credited.
    fn spend_stamps(
        &self,
        now: Time,
        stamps: &[Token],
        limit: u64,
    ) -> Result<(usize, usize), Refusal> {
        let mut consumed = 0usize;
        let mut credited = 0usize;
        for stamp in stamps {
            if u64::try_from(credited).unwrap_or(u64::MAX) >= limit {
                break;
            }
            let expires = self
                .secrets
                .stamp_keys
                .entry(&stamp.token_key_id())
                .map(|e| e.expires());
            if self
                .store
                .insert_if_absent(&stamp_spent_key(&token_id(stamp)), &[], expires, now)?
            {
                credited = credited.saturating_add(1);
            }
            consumed = consumed.saturating_add(1);
        }
        Ok((consumed, credited))
    }

    /// `claim_bulk_tokens` (SPEC.md 18.2): cheap checks, the operator's check of the proof
    /// (again at every claim, so a revocation applies at once), then as many tokens as the tier
    /// has left in its period.
    pub(super) fn claim_bulk_tokens<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        account: AccountId,
        proof: &BulkProof,
        requests: &[TokenRequest],
    ) -> Result<Response, Refusal> {
        let Some(check) = self.bulk_check.as_ref() else {
            return Err(Refusal::new(
                ErrorCode::BulkNotOffered,
                "this server grants no bulk-sender tier",
            ));
        };
        if requests.is_empty() {
            return Err(Refusal::new(ErrorCode::Malformed, "no token request"));
        }
        for request in requests {
            self.check_cold_call_request(now, request)?;
        }
        let Some(bytes) = self.store.get(&account_key(&account), now)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        // The certificate alone, not the group key (whose points are dearer to decode).
        let phone = AccountRecord::phone_from_bytes(&bytes)?;
        let identity_key = AccountRecord::certificate_bytes(&bytes)?
            .decode()
            .map_err(|_| Refusal::new(ErrorCode::Internal, "stored certificate corrupt"))?
            .identity_key()
            .to_bytes();
        let tier = check
            .check(now, &identity_key, proof)
            .map_err(|e| Refusal::new(bulk_code(e), e.name()))?;
        let config = &self.config.reputation;
        let batch = bulk_claim_key(&batch_digest(
            BULK_CLAIM_DST,
            &account,
            core::slice::from_ref(&proof.to_bytes()),
            requests,
        ));
        let granted = match self.store.get(&batch, now)? {
            // A resend: the same answer, counted once.
            Some(stored) => usize::from(
                stored
                    .first()
                    .copied()
                    .ok_or_else(|| Refusal::new(ErrorCode::Internal, "stored claim corrupt"))?,
            ),
            None => {
                let period_end = config.period_end(now, config.bulk_period_seconds);
                let key = bulk_granted_key(&phone, now.window(config.bulk_period_seconds));
                let left =
                    u64::from(tier.allowance).saturating_sub(read_counter(&self.store, &key, now)?);
                let n = left.min(u64::try_from(requests.len()).unwrap_or(u64::MAX));
                if n > 0
                    && self
                        .store
                        .add_within_limit(
                            &key,
                            n,
                            u64::from(tier.allowance),
                            Some(period_end),
                            now,
                        )?
                        .is_none()
                {
                    return Err(Refusal::new(
                        ErrorCode::RateLimited,
                        "a concurrent claim reached the tier's allowance",
                    ));
                }
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                let stored = [u8::try_from(n).unwrap_or(u8::MAX)];
                self.store.put(&batch, &stored, Some(period_end), now)?;
                n
            }
        };
        Ok(Response::BulkTokens(
            self.sign_cold_call(rng, now, requests, granted)?,
        ))
    }

    /// Blind-signs the first `count` cold-call token requests.
    fn sign_cold_call<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        requests: &[TokenRequest],
        count: usize,
    ) -> Result<Vec<TokenResponse>, Refusal> {
        requests
            .iter()
            .take(count)
            .map(|request| self.issue_cold_call_token(rng, now, request))
            .collect()
    }
}

/// The digest a batch (redemption or claim) is remembered by: the account and every item,
/// each behind its length so that no two batches share an input.
fn batch_digest<A: AsBytes, B: AsBytes>(
    dst: &[u8],
    account: &AccountId,
    items: &[A],
    requests: &[B],
) -> [u8; 32] {
    let mut encoded = Vec::new();
    for item in items
        .iter()
        .map(AsBytes::bytes)
        .chain(requests.iter().map(AsBytes::bytes))
    {
        encoded.extend_from_slice(&u32::try_from(item.len()).unwrap_or(u32::MAX).to_be_bytes());
        encoded.extend_from_slice(&item);
    }
    digest(dst, &[account.as_bytes(), &encoded])
}

/// What [`batch_digest`] hashes of an item: its canonical encoding.
trait AsBytes {
    fn bytes(&self) -> Vec<u8>;
}

impl AsBytes for Token {
    fn bytes(&self) -> Vec<u8> {
        self.to_bytes()
    }
}

impl AsBytes for TokenRequest {
    fn bytes(&self) -> Vec<u8> {
        self.to_bytes()
    }
}

impl AsBytes for Vec<u8> {
    fn bytes(&self) -> Vec<u8> {
        self.clone()
    }
}
