//! What the client does with each response (SPEC.md 13.3).

use super::contacts::Membership;
use super::outbox::Pending;
use super::state::Purpose;
use super::wallet;
use super::{delay, Client, ClientError, Event, FailureReason, PublishedKeySet, RequestId};
use crate::account::{AccountId, Channel};
use crate::certificate::{Certificate, EncodedCertificate};
use crate::token::TokenKeySet;
use crate::wire::{ErrorCode, GroupKeyUpdate, Request, RequestType, Response, ServerKeys};
use crate::Time;
use alloc::vec::Vec;
use rand_core::CryptoRng;

impl Client {
    /// The server's response to request `id` arrived.
    ///
    /// A response that does not decode, or answers another kind of request, is refused and
    /// changes nothing: the request stays outstanding (call
    /// [`Client::handle_send_failure`] to send it again).
    pub fn handle_response<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        id: RequestId,
        response: &[u8],
    ) -> Result<(), ClientError> {
        let request_type = self
            .state
            .outbox
            .get(id)
            .ok_or(ClientError::UnknownRequest)?
            .request_type()
            .ok_or(ClientError::UnexpectedResponse)?;
        let response = Response::from_bytes(response)?;
        if response.request_type() != request_type {
            return Err(ClientError::UnexpectedResponse);
        }
        // A response we can use but whose content fails our checks ends the request with a
        // failure event, and nothing else of it sticks: each case checks everything before it
        // changes anything.
        let pending = self
            .state
            .outbox
            .remove(id)
            .ok_or(ClientError::UnknownRequest)?;
        let reserved_token = matches!(pending.purpose, Purpose::ColdCall { .. });
        let renewal = matches!(pending.purpose, Purpose::RenewToken);
        let redemption = matches!(pending.purpose, Purpose::RedeemStamps { .. });
        if let Err(error) = self.apply_response(rng, now, pending, response) {
            if redemption {
                // An answer that does not finalize: the stamps are offered again next period
                // (a resend of the same request would get the same answer).
                let retry = self.stamp_time(rng, now, 1);
                self.state.wallet.stamps_redeemed(id, 0, retry);
            }
            if reserved_token {
                self.state.wallet.unreserve(id);
            }
            if renewal {
                // A signature that does not finalize: the token goes back to where it was
                // (attached, or available), to be offered again later, not lost.
                self.renewal_not_granted(rng, now, id);
            }
            self.events.push_back(Event::RequestFailed {
                id,
                request: request_type,
                reason: FailureReason::Client(error),
            });
        }
        Ok(())
    }

    fn apply_response<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        pending: Pending,
        response: Response,
    ) -> Result<(), ClientError> {
        let id = RequestId(pending.id);
        if let Response::Error { request, code, .. } = response {
            return self.handle_error(rng, now, pending, request, code);
        }
        match (pending.purpose, response) {
            (Purpose::RequestCode, Response::CodeSent) => {
                if let Ok(Request::RequestCode { phone, .. }) = Request::from_bytes(&pending.bytes)
                {
                    self.events.push_back(Event::CodeRequested { phone });
                }
            }
            (
                Purpose::Register { phone, tokens },
                Response::Registered {
                    certificate,
                    token_responses,
                },
            ) => {
                // Our certificate must name our number and our key, under a pinned issuer.
                self.state
                    .keys
                    .certificate_issuers
                    .verify_certificate(&certificate, now, Some(&phone))
                    .map_err(ClientError::Certificate)?;
                if certificate.identity_key() != &self.state.identity.public_key() {
                    return Err(ClientError::CertificateNotOurs);
                }
                let fresh = wallet::finalize(&tokens, &token_responses)?;
                let count = fresh.len();
                self.state.wallet.add(fresh);
                self.state.certificate = Some(certificate.clone());
                self.state.forget_code_session(&phone);
                self.events.push_back(Event::Registered {
                    certificate,
                    tokens: count,
                });
                // Background work starts now: this window's discovery tokens, and the first
                // check of the key pin at a random later time.
                let interval = self.settings.key_check_interval.max(1);
                let wait = delay::uniform(rng, interval, interval.saturating_mul(2));
                self.state.next_key_check = now.saturating_add(wait);
                self.issue_discovery_tokens(rng, now, true);
            }
            (Purpose::ColdCall { recipient }, Response::ColdCallAccepted { .. }) => {
                let check = self.next_check(rng, now, 0);
                self.state.wallet.attach(id, check);
                self.events.push_back(Event::ColdCallSent { recipient });
            }
            (
                Purpose::FetchGroupKey {
                    contact,
                    then_reply,
                },
                Response::GroupKey(update),
            ) => {
                let (index, membership) = self.followed(contact, update)?;
                let reply = match then_reply {
                    Some(sealed) => {
                        Some(self.sign_reply(rng, now, contact, &membership, sealed)?)
                    }
                    None => None,
                };
                if let Some(c) = self.state.contacts.get_mut(index) {
                    c.membership = Some(membership);
                }
                if let Some(reply) = reply {
                    // It leaves right after the group-key fetch it follows, which left at a
                    // random time.
                    self.enqueue(Channel::Anonymous, &reply, Purpose::Reply { contact }, now);
                }
            }
            (Purpose::Reply { contact }, Response::ReplyAccepted) => {
                self.events
                    .push_back(Event::ReplySent { recipient: contact });
            }
            (Purpose::RenewToken, Response::TokenRenewed { token, stamp }) => {
                if let Some((fresh, stamp)) =
                    self.state.wallet.renewed(id, &token, stamp.as_ref())?
                {
                    self.state.wallet.complete_renewal(id, fresh);
                    if let Some(stamp) = stamp {
                        // Held until a random time two to four periods on (SPEC.md 18.1).
                        let later = delay::uniform(
                            rng,
                            2,
                            2u64.saturating_add(crate::client::STAMP_SPREAD),
                        );
                        let at = self.stamp_time(rng, now, later);
                        self.state.wallet.add_stamp(stamp, at);
                    }
                    self.events.push_back(Event::TokenRenewed);
                }
            }
            (
                Purpose::RedeemStamps { tokens },
                Response::StampsRedeemed {
                    consumed,
                    tokens: signed,
                },
            ) => {
                let sent = self.state.wallet.stamps_in(id);
                if usize::from(consumed) > sent || signed.len() > usize::from(consumed) {
                    return Err(ClientError::UnexpectedResponse);
                }
                let fresh = wallet::finalize(&tokens, &signed)?;
                let credited = fresh.len();
                self.state.wallet.add(fresh);
                // The stamps not used wait for the next period (its cap was reached).
                let retry = self.stamp_time(rng, now, 1);
                self.state
                    .wallet
                    .stamps_redeemed(id, usize::from(consumed), retry);
                self.events.push_back(Event::StampsRedeemed { credited });
            }
            (Purpose::ClaimBulk { tokens }, Response::BulkTokens(signed)) => {
                let fresh = wallet::finalize(&tokens, &signed)?;
                let count = fresh.len();
                self.state.wallet.add(fresh);
                self.events
                    .push_back(Event::BulkTokensGranted { tokens: count });
            }
            (Purpose::IssueDiscovery { window, pending }, Response::DiscoveryTokens(responses)) => {
                let tokens = wallet::finalize(&pending, &responses)?;
                self.state.wallet.add_discovery(window, tokens);
                self.spend_discovery_tokens(rng, now);
            }
            (Purpose::Lookup { phones, .. }, Response::LookupResult(found)) => {
                let found = self.check_lookup(rng, now, &phones, found)?;
                self.events.push_back(Event::LookupCompleted { found });
            }
            (Purpose::FetchKeys { then_issue }, Response::Keys(keys)) => {
                match self.update_keys(now, keys) {
                    Ok(true) => self.events.push_back(Event::KeysUpdated),
                    Ok(false) => {}
                    // Rule 4: the pin stays, and the host hears of the contradiction.
                    Err(set) => self.events.push_back(Event::KeysInconsistent { set }),
                }
                if then_issue && self.state.certificate.is_some() && !self.has_discovery(now) {
                    self.issue_discovery_tokens(rng, now, false);
                }
            }
            (Purpose::Release { contact, .. }, Response::Released) => {
                self.events.push_back(Event::TokenReleased { contact });
            }
            (Purpose::UploadRevocation, Response::RevocationAccepted) => {}
            _ => return Err(ClientError::UnexpectedResponse),
        }
        Ok(())
    }

    /// Applies a refusal. Retries that the server answers with "already done" count as done.
    fn handle_error<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        pending: Pending,
        request: RequestType,
        code: ErrorCode,
    ) -> Result<(), ClientError> {
        let id = RequestId(pending.id);
        match (&pending.purpose, code) {
            // A resent reply the server had already accepted.
            (Purpose::Reply { contact }, ErrorCode::Replayed) => {
                self.events.push_back(Event::ReplySent {
                    recipient: *contact,
                });
                return Ok(());
            }
            // The token was not spent: the server refused before attaching it.
            (
                Purpose::ColdCall { .. },
                ErrorCode::UnknownRecipient
                | ErrorCode::PayloadTooLarge
                | ErrorCode::Internal
                | ErrorCode::WrongChannel
                | ErrorCode::Malformed,
            ) => {
                self.state.wallet.unreserve(id);
            }
            // Spent in another cold call (by a copy of this wallet, say): never offered in a cold
            // call again, but checked for its release like any attached token, since the cold
            // call that spent it may be released and the token renewed.
            (Purpose::ColdCall { .. }, ErrorCode::TokenSpent) => {
                let check = self.next_check(rng, now, 0);
                self.state.wallet.attach(id, check);
            }
            // No longer valid (its key expired or is unknown): the token is gone.
            (Purpose::ColdCall { .. }, _) => {
                self.state.wallet.remove(id);
            }
            // Attached and not released yet (an exchange's token was spent in a cold call after
            // all): check again later, backing off.
            (Purpose::RenewToken, ErrorCode::NotReleased) => {
                let check = self.next_check(rng, now, self.state.wallet.checks(id));
                self.state.wallet.renewal_refused(id, check);
            }
            // Spent (renewed or exchanged already): the token is gone.
            (Purpose::RenewToken, ErrorCode::TokenSpent) => {
                self.state.wallet.remove(id);
            }
            // An exchange refused for any other reason leaves the token unspent; a renewal
            // refused for a passing reason is tried again.
            (Purpose::RenewToken, _) if self.state.wallet.is_migration(id) => {
                self.renewal_not_granted(rng, now, id);
            }
            (Purpose::RenewToken, ErrorCode::Internal | ErrorCode::InvalidToken) => {
                self.renewal_not_granted(rng, now, id);
            }
            (Purpose::RenewToken, _) => {
                self.state.wallet.remove(id);
            }
            // Stamps that do not verify (their key expired, say) are worth nothing.
            (Purpose::RedeemStamps { .. }, ErrorCode::InvalidToken) => {
                let sent = self.state.wallet.stamps_in(id);
                self.state.wallet.stamps_redeemed(id, sent, now);
            }
            // Anything else: the stamps are offered again next period.
            (Purpose::RedeemStamps { .. }, _) => {
                let retry = self.stamp_time(rng, now, 1);
                self.state.wallet.stamps_redeemed(id, 0, retry);
            }
            // The session can no longer register: the next code request draws a new one.
            (Purpose::Register { phone, .. }, ErrorCode::TooManyAttempts | ErrorCode::CodeUsed) => {
                self.state.forget_code_session(phone);
            }
            _ => {}
        }
        self.events.push_back(Event::RequestFailed {
            id,
            request,
            reason: FailureReason::Server(code),
        });
        Ok(())
    }

    /// The renewal or exchange `request` did not give a token: a renewal's token is checked
    /// again later (backing off), an exchange's token is available again and no exchange starts
    /// before a renewal-check draw (SPEC.md 13.3).
    fn renewal_not_granted<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Time,
        request: RequestId,
    ) {
        if self.state.wallet.is_migration(request) {
            let retry = self.next_check(rng, now, 0);
            self.state.wallet.migration_refused(request, retry);
        } else {
            let check = self.next_check(rng, now, self.state.wallet.checks(request));
            self.state.wallet.renewal_refused(request, check);
        }
    }

    /// Our member key of `contact`'s group brought to the fetched generation in one step
    /// through the server's checkpoint (the same answer for every member, SPEC.md 12.6); and
    /// the contact's index. Nothing is stored yet. A key of another group (rotated) is
    /// [`ClientError::GroupUpdateUnreachable`]; a checkpoint without our entry in our own
    /// group is [`crate::bbs04::Error::Revoked`].
    fn followed(
        &self,
        contact: AccountId,
        update: GroupKeyUpdate,
    ) -> Result<(usize, Membership), ClientError> {
        let (index, membership) = self.membership(&contact)?;
        let ours = membership.group_key.generation();
        let sent = update.group_key.generation();
        let member = match &update.checkpoint {
            _ if update.group_key == membership.group_key => membership.member,
            Some(checkpoint) if update.group_key.follows(&membership.group_key) => {
                membership.member.catch_up(&update.group_key, checkpoint)?
            }
            // Rotated (another group), or no checkpoint to catch up with.
            _ => {
                return Err(ClientError::GroupUpdateUnreachable {
                    reached: ours,
                    sent,
                })
            }
        };
        Ok((
            index,
            Membership {
                member,
                group_key: update.group_key,
            },
        ))
    }

    /// Keeps the certificates that verify under the pinned issuers and name a number we asked
    /// for.
    fn check_lookup<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        phones: &[crate::certificate::PhoneNumber],
        found: Vec<EncodedCertificate>,
    ) -> Result<Vec<Certificate>, ClientError> {
        // The server passes on what it stored without decoding it: a certificate that does not
        // decode is dropped like one that does not verify.
        let found: Vec<Certificate> = found.iter().filter_map(|c| c.decode().ok()).collect();
        let items: Vec<_> = found.iter().map(|c| (c, None)).collect();
        let results = self
            .state
            .keys
            .certificate_issuers
            .verify_many(rng, &items, now);
        Ok(found
            .iter()
            .zip(results)
            .filter(|(c, r)| r.is_ok() && phones.contains(c.phone()))
            .map(|(c, _)| c.clone())
            .collect())
    }

    /// Applies fetched server keys under the pinning rules (SPEC.md 6.5 and 8.3): true if they
    /// differ from the pinned ones and replace them, false if they are the same. A set that is
    /// neither the pinned one nor a valid update of it is refused, named, and nothing changes.
    fn update_keys(&mut self, now: Time, keys: ServerKeys) -> Result<bool, PublishedKeySet> {
        let pinned = &self.state.keys;
        let same = pinned.cold_call_tokens.digest() == keys.cold_call_tokens.digest()
            && pinned.discovery_tokens.digest() == keys.discovery_tokens.digest()
            && pinned.stamp_tokens.digest() == keys.stamp_tokens.digest()
            && pinned.certificate_issuers == keys.certificate_issuers;
        if same {
            return Ok(false);
        }
        if !token_update_valid(&pinned.cold_call_tokens, &keys.cold_call_tokens, now) {
            return Err(PublishedKeySet::ColdCallTokens);
        }
        if !token_update_valid(&pinned.discovery_tokens, &keys.discovery_tokens, now) {
            return Err(PublishedKeySet::DiscoveryTokens);
        }
        if !token_update_valid(&pinned.stamp_tokens, &keys.stamp_tokens, now) {
            return Err(PublishedKeySet::StampTokens);
        }
        // Issuer keys: every pinned key still valid must remain, unchanged.
        for key in pinned.certificate_issuers.keys() {
            if key.not_after() >= now && keys.certificate_issuers.get(&key.id()) != Some(key) {
                return Err(PublishedKeySet::CertificateIssuers);
            }
        }
        self.state.keys = keys;
        Ok(true)
    }
}

fn token_update_valid(pinned: &TokenKeySet, next: &TokenKeySet, now: Time) -> bool {
    pinned.check_update(next, now).is_ok()
}
