//! Registration: code sessions, certificates and the token policy (SPEC.md 9, 12.2).

use super::records::{
    account_key, code_attempts_key, code_requests_key, code_session_key, digest, issuance_key,
    phone_key, registrations_key, AccountRecord, CodeSessionRecord, CodeSessionState,
    IssuanceRecord, SERIAL_KEY,
};
use super::{Output, Refusal, Server, ServerError};
use crate::account::AccountId;
use crate::certificate::{CertificateContent, PhoneNumber};
use crate::store::{read_counter, Store};
use crate::token::TokenResponse;
use crate::verification_code::CodeSession;
use crate::wire::codec::{message_bytes, Encode};
use crate::wire::{ErrorCode, RegisterRequest, Response};
use crate::Time;
use alloc::vec::Vec;
use rand_core::CryptoRng;

const TOKEN_REQUESTS_DST: &[u8] = b"blindpost/v1/registration-token-requests";
const REGISTER_REQUEST_DST: &[u8] = b"blindpost/v1/register-request";

/// At most `max` events per phone number in each period of `period_seconds` (periods are
/// `floor(now / period_seconds)`, so any `period_seconds` of time sees at most `2 * max`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Events allowed per period.
    pub max: u64,
    /// Length of a period (seconds).
    pub period_seconds: u64,
}

impl RateLimit {
    /// The period `now` falls in.
    fn period(&self, now: Time) -> u64 {
        now.window(self.period_seconds)
    }

    /// The first second after `period`, when its counter expires.
    fn period_end(&self, period: u64) -> Time {
        Time::from_unix_secs(period.saturating_add(1).saturating_mul(self.period_seconds))
    }

    pub(super) fn validate(&self, field: &'static str) -> Result<(), ServerError> {
        if self.max == 0 || self.period_seconds == 0 {
            return Err(ServerError::InvalidConfig { field });
        }
        Ok(())
    }
}

/// Whether a register request may use its code session (SPEC.md 12.2 step 8).
enum SessionUse {
    /// The session is open: this request consumes it.
    Fresh,
    /// This very request already consumed it: a resend, answered again (12.8).
    Resend,
}

impl<S: Store> Server<S> {
    /// Counts the SMS against the number's cap, opens the code session (or finds it open) and
    /// asks the host to send its code (SPEC.md 12.2).
    pub(super) fn request_code(
        &self,
        now: Time,
        phone: PhoneNumber,
        session: CodeSession,
        outputs: &mut Vec<Output>,
    ) -> Result<Response, Refusal> {
        let limit = self.config.code_requests;
        let period = limit.period(now);
        // Every code request is an SMS, a resend too: the cap comes first.
        if self
            .store
            .add_within_limit(
                &code_requests_key(&phone, period),
                1,
                limit.max,
                Some(limit.period_end(period)),
                now,
            )?
            .is_none()
        {
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                "code request limit for this phone number reached",
            ));
        }
        let key = code_session_key(&phone, &session);
        let window = self.config.code.window(now);
        let fresh = CodeSessionRecord {
            window,
            state: CodeSessionState::Open,
        };
        let expires = self.code_expiry(window);
        let record = if self
            .store
            .insert_if_absent(&key, &fresh.to_bytes(), Some(expires), now)?
        {
            fresh
        } else {
            // The session exists: the same code again.
            match self.store.get(&key, now)? {
                Some(bytes) => CodeSessionRecord::from_bytes(&bytes)?,
                None => return Err(Refusal::new(ErrorCode::Internal, "code session vanished")),
            }
        };
        let code =
            self.config
                .code
                .derive(&self.secrets.code_secret, &phone, record.window, &session);
        outputs.push(Output::SendCode { phone, code });
        Ok(Response::CodeSent)
    }

    /// When a code requested in `window` stops being good: the end of the next window.
    fn code_expiry(&self, window: u64) -> Time {
        Time::from_unix_secs(
            window
                .saturating_add(2)
                .saturating_mul(self.config.code.window_seconds()),
        )
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
        for t in &req.token_requests {
            self.check_cold_call_request(now, t)?;
        }
        let session_key = code_session_key(&req.phone, &req.session);
        let session = self.check_code(now, &req, &session_key)?;
        req.identity_key
            .pop_verify(&req.proof)
            .map_err(|_| Refusal::new(ErrorCode::BadProofOfPossession, "proof of possession"))?;

        let account = AccountId::for_identity_key(&req.identity_key.to_bytes());
        // Only the stored phone number is read: decoding the whole record would validate its
        // certificate's and group key's points for nothing.
        let existing_phone = match self.store.get(&account_key(&account), now)? {
            Some(bytes) => Some(AccountRecord::phone_from_bytes(&bytes)?),
            None => None,
        };
        if existing_phone.is_some_and(|phone| phone != req.phone) {
            return Err(Refusal::new(
                ErrorCode::AccountConflict,
                "identity key has another phone",
            ));
        }

        let request_digest = digest(
            REGISTER_REQUEST_DST,
            &[&message_bytes(|w| req.encode(w, "register"))],
        );
        self.use_code_session(now, &req.phone, &session_key, session, request_digest)?;
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

    /// Finds the code session, reserves one check of it and checks the code (SPEC.md 9.2,
    /// 9.3). Returns the session record as it was read.
    fn check_code(
        &self,
        now: Time,
        req: &RegisterRequest,
        session_key: &[u8],
    ) -> Result<CodeSessionRecord, Refusal> {
        let Some(bytes) = self.store.get(session_key, now)? else {
            // Nothing to guess against, so nothing is counted.
            return Err(Refusal::new(
                ErrorCode::WrongCode,
                "no code was requested for this code session, or it expired",
            ));
        };
        let record = CodeSessionRecord::from_bytes(&bytes)?;
        // The check is reserved before it is made, so no concurrency lets more through.
        let max = u64::from(self.config.code_policy.max_attempts());
        let attempts = code_attempts_key(&req.phone, &req.session);
        let expires = self.code_expiry(record.window);
        if self
            .store
            .add_within_limit(&attempts, 1, max, Some(expires), now)?
            .is_none()
        {
            return Err(Refusal::new(
                ErrorCode::TooManyAttempts,
                "this code session has used up its code checks",
            ));
        }
        self.config
            .code
            .check(
                &self.secrets.code_secret,
                &req.phone,
                &req.session,
                record.window,
                &req.code,
                now,
            )
            .map_err(|e| Refusal::new(ErrorCode::WrongCode, alloc::format!("{e}")))?;
        Ok(record)
    }

    /// One code, one registration (SPEC.md 12.2 steps 8-9): a resend of the request that used
    /// the session goes through again; otherwise the number's registration limit is read, the
    /// session consumed by compare-and-swap, and the registration counted.
    fn use_code_session(
        &self,
        now: Time,
        phone: &PhoneNumber,
        session_key: &[u8],
        session: CodeSessionRecord,
        request_digest: [u8; 32],
    ) -> Result<(), Refusal> {
        if let SessionUse::Resend = session_use(&session, &request_digest)? {
            return Ok(());
        }
        let limit = self.config.registrations;
        let period = limit.period(now);
        let counter = registrations_key(phone, period);
        if read_counter(&self.store, &counter, now)? >= limit.max {
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                "registration limit for this phone number reached",
            ));
        }
        let used = CodeSessionRecord {
            window: session.window,
            state: CodeSessionState::Used { request_digest },
        };
        let expires = Some(self.code_expiry(session.window));
        if !self.store.replace_if_matches(
            session_key,
            &session.to_bytes(),
            &used.to_bytes(),
            expires,
            now,
        )? {
            // Another request got there first: this one goes on only if it is the same request.
            let now_stored = match self.store.get(session_key, now)? {
                Some(bytes) => CodeSessionRecord::from_bytes(&bytes)?,
                None => return Err(Refusal::new(ErrorCode::WrongCode, "the code expired")),
            };
            return match session_use(&now_stored, &request_digest)? {
                SessionUse::Resend => Ok(()),
                SessionUse::Fresh => Err(Refusal::new(ErrorCode::Internal, "code session raced")),
            };
        }
        // A concurrent registration may have taken the last slot since the read: the code is
        // then burned (so that not even a resend of this request gets through), and no
        // registration beyond the limit happens.
        if self
            .store
            .add_within_limit(&counter, 1, limit.max, Some(limit.period_end(period)), now)?
            .is_none()
        {
            let burned = CodeSessionRecord {
                window: session.window,
                state: CodeSessionState::Burned,
            };
            self.store.replace_if_matches(
                session_key,
                &used.to_bytes(),
                &burned.to_bytes(),
                expires,
                now,
            )?;
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                "registration limit for this phone number reached",
            ));
        }
        Ok(())
    }

    /// The token policy (SPEC.md 12.2): tokens at the first registration of a number, again
    /// only after the cool-down; a retry of the same requests gets the same signatures. The
    /// requests were checked before; nothing is signed when the policy hands out none.
    fn issue_registration_tokens<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        req: &RegisterRequest,
    ) -> Result<Vec<TokenResponse>, Refusal> {
        if req.token_requests.is_empty() || !self.token_policy_allows(now, req)? {
            return Ok(Vec::new());
        }
        req.token_requests
            .iter()
            .map(|t| self.issue_cold_call_token(rng, now, t))
            .collect()
    }

    /// Whether the policy hands out tokens for these requests, recording the issuance when it
    /// does (the atomic decision of 12.2 step 10).
    fn token_policy_allows(&self, now: Time, req: &RegisterRequest) -> Result<bool, Refusal> {
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
            return Ok(true);
        }
        let Some(old_bytes) = self.store.get(&key, now)? else {
            return Ok(false);
        };
        let old = IssuanceRecord::from_bytes(&old_bytes)?;
        if old.requests_digest == requests_digest {
            // The same registration again (a retry): the same blinded messages get the same
            // signatures, so nothing new is handed out.
            return Ok(true);
        }
        Ok(
            now >= old.issued_at.saturating_add(self.config.token_cooldown)
                && self
                    .store
                    .replace_if_matches(&key, &old_bytes, &new, None, now)?,
        )
    }

    /// Deletes an account that its phone number no longer names, with its checkpoints.
    fn retire_account(&self, now: Time, old: &AccountId) -> Result<(), Refusal> {
        let key = account_key(old);
        let Some(bytes) = self.store.get(&key, now)? else {
            return Ok(());
        };
        // The generation is read from the stored key's encoding, nothing is decoded.
        let (key_bytes, _) = AccountRecord::group_key_fields(&bytes)?;
        let generation = crate::bbs04::GroupPublicKey::generation_of_encoding(key_bytes)
            .ok_or_else(|| Refusal::new(ErrorCode::Internal, "stored group key corrupt"))?;
        self.delete_checkpoints(now, old, generation)?;
        self.store.delete_if_matches(&key, &bytes, now)?;
        Ok(())
    }
}

/// How a register request with this digest may use a session in this state.
fn session_use(
    session: &CodeSessionRecord,
    request_digest: &[u8; 32],
) -> Result<SessionUse, Refusal> {
    match &session.state {
        CodeSessionState::Open => Ok(SessionUse::Fresh),
        CodeSessionState::Used {
            request_digest: used,
        } if used == request_digest => Ok(SessionUse::Resend),
        CodeSessionState::Used { .. } | CodeSessionState::Burned => Err(Refusal::new(
            ErrorCode::CodeUsed,
            "this code already registered another request",
        )),
    }
}
