//! Registration: verification codes, certificates and the token policy (SPEC.md 12.2).

use super::records::{
    account_key, code_failures_key, digest, issuance_key, phone_key, AccountRecord, IssuanceRecord,
    SERIAL_KEY,
};
use super::{Output, Refusal, Server};
use crate::account::AccountId;
use crate::certificate::{CertificateContent, PhoneNumber};
use crate::store::{read_counter, Store};
use crate::token::TokenResponse;
use crate::verification_code::CodeError;
use crate::wire::{ErrorCode, RegisterRequest, Response};
use crate::Time;
use alloc::vec::Vec;
use rand_core::CryptoRng;

const TOKEN_REQUESTS_DST: &[u8] = b"blindpost/v1/registration-token-requests";

impl<S: Store> Server<S> {
    /// Derives the current window's code and asks the host to send it. Stores nothing.
    pub(super) fn request_code(
        &self,
        now: Time,
        phone: PhoneNumber,
        outputs: &mut Vec<Output>,
    ) -> Response {
        let window = self.config.code.window(now);
        let code = self
            .config
            .code
            .derive(&self.secrets.code_secret, &phone, window);
        outputs.push(Output::SendCode { phone, code });
        Response::CodeSent
    }

    pub(super) fn register<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        req: RegisterRequest,
    ) -> Result<Response, Refusal> {
        if req.token_requests.len() > self.config.registration_tokens {
            return Err(Refusal::new(
                ErrorCode::TooManyTokenRequests,
                alloc::format!("at most {} token requests", self.config.registration_tokens),
            ));
        }
        self.check_code(now, &req.phone, &req.code)?;
        req.identity_key
            .pop_verify(&req.proof)
            .map_err(|_| Refusal::new(ErrorCode::BadProofOfPossession, "proof of possession"))?;

        let account = AccountId::for_identity_key(&req.identity_key.to_bytes());
        let existing = match self.store.get(&account_key(&account), now)? {
            Some(bytes) => Some(AccountRecord::from_bytes(&bytes)?),
            None => None,
        };
        if existing.as_ref().is_some_and(|r| r.phone != req.phone) {
            return Err(Refusal::new(
                ErrorCode::AccountConflict,
                "identity key has another phone",
            ));
        }

        // Everything that can fail without side effects is done; now the writes, token
        // issuance (the atomic decision) first.
        let token_responses = self.issue_registration_tokens(rng, now, &req)?;

        let serial = self
            .store
            .add_within_limit(SERIAL_KEY, 1, u64::MAX, None, now)?
            .ok_or_else(|| Refusal::new(ErrorCode::Internal, "serials exhausted"))?;
        let issuer_end = self.secrets.certificate_issuer.issuer_key().not_after();
        let certificate = self
            .secrets
            .certificate_issuer
            .issue(CertificateContent {
                phone: req.phone.clone(),
                identity_key: req.identity_key,
                host_key: req.host_key.clone(),
                serial,
                not_before: now,
                not_after: now
                    .saturating_add(self.config.certificate_validity)
                    .min(issuer_end),
            })
            .map_err(|e| Refusal::new(ErrorCode::Internal, alloc::format!("certificate: {e}")))?;

        let generation = req.group_key.generation();
        let record = AccountRecord {
            phone: req.phone.clone(),
            certificate: certificate.clone(),
            group_key: req.group_key,
            base_generation: generation,
        };
        self.store
            .put(&account_key(&account), &record.to_bytes(), None, now)?;
        // The phone number now names this account; an older account of the number is retired.
        let phone_key = phone_key(&req.phone);
        if let Some(old) = self.store.get(&phone_key, now)? {
            if old.as_slice() != account.as_bytes() {
                if let Ok(old_id) = <[u8; 32]>::try_from(old.as_slice()) {
                    self.retire_account(now, &AccountId(old_id))?;
                }
            }
        }
        self.store.put(&phone_key, account.as_bytes(), None, now)?;
        Ok(Response::Registered {
            certificate,
            token_responses,
        })
    }

    /// Checks the attempt limit and the code; counts a wrong code (SPEC.md 9.3).
    fn check_code(&self, now: Time, phone: &PhoneNumber, code: &str) -> Result<(), Refusal> {
        let window = self.config.code.window(now);
        let current = code_failures_key(phone, window);
        let mut failures = read_counter(&self.store, &current, now)?;
        if let Some(previous) = window.checked_sub(1) {
            failures = failures.saturating_add(read_counter(
                &self.store,
                &code_failures_key(phone, previous),
                now,
            )?);
        }
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        self.config
            .code_policy
            .allow_attempt(failures)
            .map_err(|_| Refusal::new(ErrorCode::TooManyAttempts, "too many wrong codes"))?;
        match self
            .config
            .code
            .check(&self.secrets.code_secret, phone, code, now)
        {
            Ok(()) => Ok(()),
            Err(
                e @ (CodeError::WrongCode | CodeError::WrongLength { .. } | CodeError::NotDigits),
            ) => {
                // The counter lives until the end of the next window, when it stops counting.
                let expires = Time::from_unix_secs(
                    window
                        .saturating_add(2)
                        .saturating_mul(self.config.code.window_seconds()),
                );
                self.store
                    .add_within_limit(&current, 1, u64::MAX, Some(expires), now)?;
                Err(Refusal::new(ErrorCode::WrongCode, alloc::format!("{e}")))
            }
            Err(e) => Err(Refusal::new(ErrorCode::WrongCode, alloc::format!("{e}"))),
        }
    }

    /// The token policy (SPEC.md 12.2): tokens at the first registration of a number, again
    /// only after the cool-down; a retry of the same requests gets the same signatures.
    fn issue_registration_tokens<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        req: &RegisterRequest,
    ) -> Result<Vec<TokenResponse>, Refusal> {
        if req.token_requests.is_empty() {
            return Ok(Vec::new());
        }
        // Sign first (no state change), so a bad request refuses before anything is written.
        let mut responses = Vec::with_capacity(req.token_requests.len());
        for t in &req.token_requests {
            responses.push(self.issue_cold_call_token(rng, now, t)?);
        }
        let parts: Vec<Vec<u8>> = req.token_requests.iter().map(|t| t.to_bytes()).collect();
        let part_refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let requests_digest = digest(TOKEN_REQUESTS_DST, &part_refs);
        let new = IssuanceRecord {
            issued_at: now,
            requests_digest,
        }
        .to_bytes();
        let key = issuance_key(&req.phone);
        if self.store.insert_if_absent(&key, &new, None, now)? {
            return Ok(responses);
        }
        let Some(old_bytes) = self.store.get(&key, now)? else {
            return Ok(Vec::new());
        };
        let old = IssuanceRecord::from_bytes(&old_bytes)?;
        if old.requests_digest == requests_digest {
            // The same registration again (a retry): the same blinded messages get the same
            // signatures, so nothing new is handed out.
            return Ok(responses);
        }
        if now >= old.issued_at.saturating_add(self.config.token_cooldown)
            && self
                .store
                .replace_if_matches(&key, &old_bytes, &new, None, now)?
        {
            return Ok(responses);
        }
        Ok(Vec::new())
    }

    /// Deletes an account that its phone number no longer names, with its checkpoints.
    fn retire_account(&self, now: Time, old: &AccountId) -> Result<(), Refusal> {
        let key = account_key(old);
        let Some(bytes) = self.store.get(&key, now)? else {
            return Ok(());
        };
        let record = AccountRecord::from_bytes(&bytes)?;
        self.delete_checkpoints(now, old, record.group_key.generation())?;
        self.store.delete_if_matches(&key, &bytes, now)?;
        Ok(())
    }
}
