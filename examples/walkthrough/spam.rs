//! Act 7: a spammer runs dry.

use crate::host::{deliver, describe, fail, no_failures, pump, Context, Res};
use crate::walk::Walk;
use crate::{header, DAY};
use blindpost::account::AccountId;
use blindpost::account::Channel;
use blindpost::client::{Client, ClientError, Event, FailureReason};
use blindpost::simulation::raw::decode;
use blindpost::wire::{ErrorCode, Request, Response};

impl Walk {
    /// Act 7: the spammer spends its tokens, gets none back and none by re-registering.
    pub fn act7_spammer(&mut self) -> Res<()> {
        header(7, "A spammer runs dry");
        say!(self, "mallory cold-calls the accounts it scraped until its 5 tokens are gone. Nobody replies or accepts,");
        say!(self, "so nothing is released: its renewal checks keep failing and it cannot cold-call again.");
        let s = self.honest;
        let mut sent = 0;
        let mut victims_hit: Vec<AccountId> = Vec::new();
        let mut k = 0;
        let refusal = loop {
            let Some(cert) = self.victims.get(k % self.victims.len().max(1)).cloned() else {
                return Err(fail("mallory found nobody to spam"));
            };
            k += 1;
            let victim = AccountId::for_identity_key(&cert.identity_key().to_bytes());
            let user = &mut self.users[s];
            let offer = self.world.offer(&user.account());
            let intro = self
                .timings
                .client_op(&mut self.world, "compose_introduction", |rng, now| {
                    user.client
                        .compose_introduction(rng, now, &cert, b"BUY NOW", &offer)
                })
                .ctx(|| "mallory: compose_introduction".into())?;
            let sealed = self
                .world
                .seal_first_contact(&user.account(), &cert, &intro);
            match user.client.send_cold_call(self.world.now, victim, &sealed) {
                Ok(_) => {
                    let ev = pump(&mut self.world, &mut self.timings, user)?;
                    no_failures("mallory", &ev)?;
                    sent += 1;
                    victims_hit.push(victim);
                }
                Err(e) => break e,
            }
            if k > 100 {
                return Err(fail("mallory never ran out of tokens"));
            }
        };
        if refusal != ClientError::NoTokens || sent != 5 {
            return Err(fail(format!(
                "mallory should send exactly 5 cold calls and then have no token; sent {sent}, then: {refusal}"
            )));
        }
        say!(self, "  mallory sends {sent} cold calls; the 6th is refused by its own client: no cold-call token left");
        // The victims' clients check the introductions (they are valid: mallory is a registered
        // number) and do nothing; the first victim blocks mallory.
        let mut blocked_by = None;
        for r in 0..self.honest {
            if !victims_hit.contains(&self.users[r].account()) {
                continue;
            }
            let ev = deliver(&mut self.world, &mut self.timings, &mut self.users[r])?;
            let from_mallory = ev.iter().any(|e| {
                matches!(e, Event::IntroductionReceived { contact, cold_call: true, .. }
                    if *contact == self.users[s].account())
            });
            if !from_mallory {
                return Err(fail(format!(
                    "{} did not receive mallory's cold call",
                    self.users[r].name
                )));
            }
            if blocked_by.is_none() {
                let mallory = self.users[s].account();
                let user = &mut self.users[r];
                let upload = self
                    .timings
                    .client_op(&mut self.world, "block", |rng, now| {
                        user.client.block(rng, now, mallory)
                    })
                    .ctx(|| format!("{}: block", user.name))?;
                if upload.is_some() {
                    return Err(fail("blocking mallory should need no revocation"));
                }
                pump(&mut self.world, &mut self.timings, user)?;
                blocked_by = Some(r);
            }
        }
        if let Some(r) = blocked_by {
            say!(self, "  {} blocks mallory: no revocation needed (mallory never got a member key); the others ignore it", self.users[r].name);
        }
        let start = self.world.now;
        let stats = self.run_clock(start + 3 * DAY)?;
        let counts = self.users[s].client.token_counts();
        // A renewal check may be waiting for its time when the clock stops: its token counts as
        // renewing until the answer (not_released) makes it attached again.
        let spent = counts.attached + counts.renewing;
        if counts.available != 0 || counts.in_flight != 0 || spent != 5 || stats.early[s] == 0 {
            return Err(fail(format!(
                "mallory should have 5 spent tokens and failed renewals, has {counts:?} after {} checks",
                stats.early[s]
            )));
        }
        say!(self, "  three days later: {} renewal checks by mallory, all not_released; tokens: 0 available, 5 spent ({} of them with a check under way)", stats.early[s], counts.renewing);

        // Re-registering the number with a fresh identity gives a certificate but no tokens.
        let previous = self.new_identity(s);
        let tokens = self.register(s, false)?;
        if tokens != 0 {
            return Err(fail(format!(
                "mallory's re-registration should get no tokens, got {tokens}"
            )));
        }
        drop(previous);
        say!(self, "  mallory re-registers its number with a new identity key: a certificate, but 0 tokens (tokens");
        say!(
            self,
            "  come once per number, then after a {}-day cool-down)",
            self.world.server.config().token_cooldown / DAY
        );
        let lookups = self.farm_lookups(s)?;
        let registrations = self.farm_registrations(s)?;
        out!(
            "result: the spammer reached {sent} people with its {sent} tokens and is out: 0 tokens, renewals refused, re-registration gave none"
        );
        out!(
            "result: re-registering farms nothing: {lookups} discovery tokens for the number this window (N = {}), registration {} of the week refused",
            self.world.server.config().discovery.tokens_per_window,
            registrations + 1
        );
        self.end_act("7 spammer");
        Ok(())
    }

    /// Gives user `i` a fresh client (a new identity key, not registered yet); returns the old
    /// one.
    fn new_identity(&mut self, i: usize) -> Client {
        let client = self.fresh_client();
        std::mem::replace(&mut self.users[i].client, client)
    }

    /// Mallory, running a modified client, asks for discovery tokens one at a time until the
    /// server refuses, re-registers, and asks again from the new account: the quota is the
    /// number's (SPEC.md 14.5). Returns the tokens the number holds for this window.
    fn farm_lookups(&mut self, s: usize) -> Res<u64> {
        let discovery = self.world.server.config().discovery.clone();
        let window = discovery.window(self.world.now);
        let ask = |walk: &mut Walk| -> Res<bool> {
            let account = walk.users[s].account();
            let (requests, _) = walk.world.discovery_requests(1);
            let bytes = Request::IssueDiscoveryTokens { window, requests }.to_bytes();
            let response = walk.timings.send(
                &mut walk.world,
                account,
                Channel::Authenticated(account),
                &bytes,
            );
            match decode(&response) {
                Response::DiscoveryTokens(t) if t.len() == 1 => Ok(true),
                Response::Error {
                    code: ErrorCode::RateLimited,
                    ..
                } => Ok(false),
                other => Err(fail(format!("mallory's discovery request: {other:?}"))),
            }
        };
        let mut extra = 0u64;
        while ask(self)? {
            extra += 1;
            if extra > discovery.tokens_per_window {
                return Err(fail(
                    "mallory got more than N discovery tokens in one window",
                ));
            }
        }
        let held = self.number_counter(b'd', s, window)?;
        if held != discovery.tokens_per_window {
            return Err(fail(format!(
                "the number should hold N = {} discovery tokens, the server counts {held}",
                discovery.tokens_per_window
            )));
        }
        say!(self, "  mallory's modified client asks for discovery tokens one at a time: {extra} more, then");
        say!(
            self,
            "  rate_limited; the server counts {held} for the number this window (N = {held})"
        );
        let previous = self.new_identity(s);
        let tokens = self.register(s, false)?;
        drop(previous);
        if tokens != 0 || ask(self)? {
            return Err(fail(
                "a re-registered number got cold-call or discovery tokens it had used up",
            ));
        }
        say!(self, "  it re-registers once more (a new SMS code, a new account) and asks again: rate_limited at once:");
        say!(
            self,
            "  the quota is the phone number's, not the account's, so no new account resets it"
        );
        Ok(held)
    }

    /// Records the identifiers of user `i`'s refused registration `client` (its account id, and
    /// the identity and group keys its register request carried): the checks of act 9
    /// attribute the requests its device sent by them.
    fn remember_refused_identity(&mut self, i: usize, client: &Client) -> Res<()> {
        let account = client.account();
        let identity_key = self
            .world
            .received
            .iter()
            .rev()
            .filter(|r| r.sender == Some(account))
            .find_map(|r| match Request::from_bytes(&r.bytes) {
                Ok(Request::Register(register)) => Some(register.identity_key.to_bytes()),
                _ => None,
            })
            .ctx(|| "the refused registration is not in the log".into())?;
        let user = &mut self.users[i];
        user.accounts.push(account);
        user.identity_keys.push(identity_key);
        user.group_keys.push(client.group_key().to_bytes().to_vec());
        Ok(())
    }

    /// A per-number counter of the server's store (SPEC.md 12.1): `namespace || u64 window ||
    /// phone` for user `i`'s number, 0 when absent.
    fn number_counter(&self, namespace: u8, i: usize, window: u64) -> Res<u64> {
        let mut key = vec![namespace];
        key.extend_from_slice(&window.to_be_bytes());
        key.extend_from_slice(self.users[i].phone.as_bytes());
        let Some((_, value)) = self.world.snapshot().into_iter().find(|(k, _)| *k == key) else {
            return Ok(0);
        };
        let bytes: [u8; 8] = value
            .as_slice()
            .try_into()
            .map_err(|_| fail("a counter is not 8 bytes"))?;
        Ok(u64::from_be_bytes(bytes))
    }

    /// Mallory re-registers with fresh identities until the server refuses; returns how many
    /// of this week's registrations of the number succeeded. Mallory keeps the last account
    /// that registered.
    fn farm_registrations(&mut self, s: usize) -> Res<u64> {
        let limit = self.world.server.config().registrations;
        let period = self.world.now.window(limit.period_seconds);
        let mut extra = 0u64;
        loop {
            let previous = self.new_identity(s);
            match self.try_register(s, false)? {
                Ok(0) => extra += 1,
                Ok(tokens) => return Err(fail(format!("a re-registration got {tokens} tokens"))),
                Err(FailureReason::Server(ErrorCode::RateLimited)) => {
                    // The refused identity's device still sent requests: the checks of act 9
                    // attribute them to mallory by this account id.
                    let refused = std::mem::replace(&mut self.users[s].client, previous);
                    self.remember_refused_identity(s, &refused)?;
                    break;
                }
                Err(other) => {
                    return Err(fail(format!(
                        "mallory's re-registration refused: {}",
                        describe(&other)
                    )))
                }
            }
            if extra > limit.max {
                return Err(fail("mallory registered past the limit"));
            }
        }
        let this_period = self.number_counter(b'R', s, period)?;
        if this_period != limit.max {
            return Err(fail(format!(
                "the refusal should come at the limit ({}), the server counts {this_period}",
                limit.max
            )));
        }
        say!(
            self,
            "  it keeps re-registering: {extra} more, then rate_limited: {} registrations per number every {} days,",
            limit.max,
            limit.period_seconds / DAY
        );
        say!(self, "  each with its own SMS code (a code registers once)");
        Ok(this_period)
    }
}
