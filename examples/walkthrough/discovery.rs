//! Act 3: discovery.

use crate::host::{fail, Context, Res};
use crate::walk::Walk;
use crate::{header, number, phone_of, pick, DETAIL, HOUR};
use blindpost::account::Channel;
use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::client::Event;
use blindpost::simulation::raw;
use blindpost::wire::{ErrorCode, Request};
use rand_core::Rng;
use std::collections::BTreeSet;

impl Walk {
    /// Act 3: everyone looks up its address book; the spammer scrapes until the window's limit.
    pub fn act3_discovery(&mut self) -> Res<()> {
        header(3, "Discovery");
        say!(self, "Each client looks up numbers from its address book. Every window it asks for the same number of");
        say!(self, "discovery tokens on its authenticated channel (blinded, counted per phone number and day), needed or");
        say!(self, "not, and pays one token per batch of up to 100 numbers on a fresh anonymous circuit, each batch at");
        say!(self, "its own random time in the window (this act's hosts send at once). The server answers with the certificates of the");
        say!(
            self,
            "numbers that have accounts; the client checks them against the pinned issuer key."
        );
        let h = self.honest;
        // Whom each honest user will cold-call: the next one around a ring (so every user ends up
        // with contacts both ways), and one more at random when possible.
        let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
        for i in 0..h {
            let next = (i + 1) % h;
            pairs.insert((i, next));
            self.targets.push(vec![next]);
        }
        for i in 0..h {
            let j = pick(&mut self.world.rng, h);
            if j != i && !pairs.contains(&(i, j)) && !pairs.contains(&(j, i)) {
                pairs.insert((i, j));
                self.targets[i].push(j);
            }
        }
        // Every phone asks for its lookups now; each batch leaves at its own random time in the
        // window, once the client holds the window's tokens. Then the clock runs to the end of
        // the window, every phone's host sending what falls due.
        for i in 0..h {
            // The address book: the people it will call, two more users, two numbers without
            // an account.
            let mut book: Vec<PhoneNumber> = Vec::new();
            for &t in &self.targets[i] {
                book.push(phone_of(t)?);
            }
            for _ in 0..2 {
                let j = pick(&mut self.world.rng, h);
                let p = phone_of(j)?;
                if j != i && !book.contains(&p) {
                    book.push(p);
                }
            }
            for _ in 0..2 {
                let n = 5_000_000 + self.world.rng.next_u64() % 1_000_000;
                book.push(number(n)?);
            }
            let user = &mut self.users[i];
            user.book = book.clone();
            self.timings
                .client_op(&mut self.world, "lookup", |rng, now| {
                    user.client.lookup(rng, now, book)
                })
                .ctx(|| format!("{}: lookup", user.name))?;
        }
        // The spammer walks a range of numbers instead of an address book.
        let s = self.honest;
        let window_tokens = self.world.server.config().discovery.tokens_per_window;
        let batch = self.world.server.config().discovery.batch_size as u64;
        let scraped: Vec<PhoneNumber> = (0..window_tokens * batch)
            .map(|k| number(1000 + k))
            .collect::<Res<_>>()?;
        let first = scraped.first().map(|p| p.as_str().to_string());
        let last = scraped.last().map(|p| p.as_str().to_string());
        let user = &mut self.users[s];
        self.timings
            .client_op(&mut self.world, "lookup", |rng, now| {
                user.client.lookup(rng, now, scraped)
            })
            .ctx(|| "mallory: lookup".into())?;
        let discovery = &self.world.server.config().discovery;
        let window = discovery.window(self.world.now);
        let window_end = discovery.window_end(window);
        let started = self.world.now;
        let stats = self.run_clock(window_end - 1)?;
        say!(
            self,
            "  the clock runs {} h to the end of the window: every lookup left at its own time",
            (window_end - 1).secs_since(started) / HOUR
        );

        let mut total_numbers = 0;
        let mut total_found = 0;
        for i in 0..h {
            let user = &mut self.users[i];
            let found: Vec<Certificate> = stats.events[i]
                .iter()
                .filter_map(|e| match e {
                    Event::LookupCompleted { found } => Some(found.clone()),
                    _ => None,
                })
                .flatten()
                .collect();
            let book = user.book.clone();
            // Exactly the registered numbers of the book must come back.
            let expected: BTreeSet<&str> = book
                .iter()
                .filter(|p| (0..h).any(|j| phone_of(j).is_ok_and(|q| q == **p)))
                .map(PhoneNumber::as_str)
                .collect();
            let got: BTreeSet<&str> = found.iter().map(|c| c.phone().as_str()).collect();
            if expected != got {
                return Err(fail(format!(
                    "{}: lookup found {got:?}, expected {expected:?}",
                    user.name
                )));
            }
            if !self.quiet && i < DETAIL {
                out!(
                    "  {:<8} looks up {} numbers: 1 discovery token, {} have accounts ({})",
                    user.name,
                    book.len(),
                    found.len(),
                    found
                        .iter()
                        .map(|c| c.phone().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            total_numbers += book.len();
            total_found += found.len();
            user.found = found;
        }
        say!(self, "  ... and so on for every honest user");

        let user = &mut self.users[s];
        let lookups = stats.events[s]
            .iter()
            .filter(|e| matches!(e, Event::LookupCompleted { .. }))
            .count();
        self.victims = stats.events[s]
            .iter()
            .filter_map(|e| match e {
                Event::LookupCompleted { found } => Some(found.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        // The scraper's client holds this window's share of tokens; its host asks for the rest
        // of the window's limit, and one more, on its own.
        let held = lookups as u64;
        let more = window_tokens.saturating_sub(held) + 1;
        let window = self
            .world
            .now
            .window(self.world.server.config().discovery.window_seconds);
        let (requests, _) = self.world.discovery_requests(more as usize);
        let account = user.account();
        let bytes = Request::IssueDiscoveryTokens { window, requests }.to_bytes();
        let response = self.timings.send(
            &mut self.world,
            account,
            Channel::Authenticated(account),
            &bytes,
        );
        let refused = raw::error_code(&response) == Some(ErrorCode::RateLimited);
        if !refused {
            return Err(fail(format!(
                "mallory's token request beyond the window's limit should be rate_limited, got {:?}",
                raw::decode(&response)
            )));
        }
        if !self.quiet {
            out!(
                "  mallory  scrapes {} .. {}: its {held} tokens pay for {lookups} batches of {batch}, finding {} accounts;",
                first.unwrap_or_default(),
                last.unwrap_or_default(),
                self.victims.len()
            );
            out!(
                "           asking for {more} more this window: refused, rate_limited (nobody gets more than {} per day)",
                window_tokens
            );
        }
        out!(
            "result: {h} address books, {total_numbers} numbers looked up, {total_found} certificates found; the scraper capped at {} numbers per day",
            window_tokens * batch
        );
        self.end_act("3 discovery");
        Ok(())
    }
}
