//! Act 7: a spammer runs dry.

use crate::host::{deliver, fail, no_failures, pump, Context, Res};
use crate::walk::Walk;
use crate::{header, DAY};
use blindpost::account::AccountId;
use blindpost::client::{Client, ClientError, Event};

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
            let intro = self
                .timings
                .client_op(&mut self.world, "compose_introduction", |rng, now| {
                    user.client
                        .compose_introduction(rng, now, &cert, b"BUY NOW", b"")
                })
                .ctx(|| "mallory: compose_introduction".into())?;
            let sealed = self.world.seal(&victim, &intro);
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
        if counts.available != 0 || counts.attached != 5 || stats.early[s] == 0 {
            return Err(fail(format!(
                "mallory should have 5 attached tokens and failed renewals, has {counts:?} after {} checks",
                stats.early[s]
            )));
        }
        say!(self, "  three days later: {} renewal checks by mallory, all not_released; tokens: 0 available, 5 attached", stats.early[s]);

        // Re-registering the number with a fresh identity gives a certificate but no tokens.
        let keys = self.world.server.public_keys();
        let client = self
            .timings
            .client_op(&mut self.world, "Client::new", |rng, _| {
                Client::new(rng, keys, Self::settings())
            });
        self.world.add_seal_key(client.account());
        self.users[s].client = client;
        let tokens = self.register(s, false)?;
        if tokens != 0 {
            return Err(fail(format!(
                "mallory's re-registration should get no tokens, got {tokens}"
            )));
        }
        say!(self, "  mallory re-registers its number with a new identity key: a certificate, but 0 tokens (tokens");
        say!(
            self,
            "  come once per number, then after a {}-day cool-down)",
            self.world.server.config().token_cooldown / DAY
        );
        out!(
            "result: the spammer reached {sent} people with its {sent} tokens and is out: 0 tokens, renewals refused, re-registration gave none"
        );
        self.end_act("7 spammer");
        Ok(())
    }
}
