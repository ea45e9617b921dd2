//! The simulated clock, and act 6: releases and renewals.

use crate::host::{describe, fail, pump, Context, Res};
use crate::walk::{Fate, Walk};
use crate::{header, rel, DAY, DETAIL, HOUR};
use blindpost::client::{Client, Event, FailureReason};
use blindpost::wire::{ErrorCode, RequestType};
use blindpost::Time;

/// The most clock moves [`Walk::settle`] makes for one phone.
const SETTLE_STEPS: usize = 10_000;

/// What the clock loop observed.
#[derive(Default)]
pub struct ClockStats {
    /// (time, releasing user) per release.
    pub releases: Vec<(Time, usize)>,
    /// (time, user) per renewal.
    pub renewals: Vec<(Time, usize)>,
    /// Renewal checks answered `not_released`, per user.
    pub early: Vec<usize>,
    /// Entries purged by the daily jobs.
    pub purged: usize,
    /// Days the daily job installed new discovery keys.
    pub rotations: usize,
    /// Every event each user's client produced, per user.
    pub events: Vec<Vec<Event>>,
}

impl Walk {
    /// The host's daily job: when a new discovery window starts, install the next window's
    /// discovery key and purge expired state.
    pub fn daily_jobs(&mut self, stats: &mut ClockStats) -> Res<()> {
        let window = self.world.server.config().discovery.window(self.world.now);
        if window == self.last_window {
            return Ok(());
        }
        self.last_window = window;
        let now = self.world.now;
        if self
            .world
            .server
            .rotate_discovery_keys(&mut self.world.rng, now)
            .ctx(|| "rotate_discovery_keys".into())?
        {
            stats.rotations += 1;
        }
        stats.purged += self.world.server.maintain(now).ctx(|| "maintain".into())?;
        Ok(())
    }

    /// Runs user `i`'s phone as SPEC.md 13.6 asks, for up to `within` seconds: the clock moves
    /// to each time its client names (the server's daily job running as windows change), its
    /// timers run, and what is due is sent. The other phones are idle meanwhile. Returns the
    /// client's events.
    pub fn settle(&mut self, i: usize, within: u64) -> Res<Vec<Event>> {
        let until = self.world.now + within;
        let mut stats = ClockStats::default();
        let mut seen = Vec::new();
        for _ in 0..SETTLE_STEPS {
            let user = &mut self.users[i];
            seen.extend(pump(&mut self.world, &mut self.timings, user)?);
            let Some(t) = user.client.poll_timeout().filter(|t| *t <= until) else {
                return Ok(seen);
            };
            self.world.now = self.world.now.max(t);
            self.daily_jobs(&mut stats)?;
            let user = &mut self.users[i];
            self.timings
                .client_op(&mut self.world, "handle_timeout", |rng, now| {
                    user.client.handle_timeout(rng, now)
                });
        }
        Err(fail(format!(
            "{}: still busy after {SETTLE_STEPS} clock moves",
            self.users[i].name
        )))
    }

    /// Runs every client's timers until `until`: each due client gets `handle_timeout` and
    /// its requests are sent. Renewal checks answered `not_released` are expected; any other
    /// failure stops the run.
    pub fn run_clock(&mut self, until: Time) -> Res<ClockStats> {
        let mut stats = ClockStats {
            early: vec![0; self.users.len()],
            events: vec![Vec::new(); self.users.len()],
            ..ClockStats::default()
        };
        loop {
            let next = self
                .users
                .iter()
                .filter_map(|u| u.client.poll_timeout())
                .min();
            let Some(t) = next.filter(|t| *t <= until) else {
                break;
            };
            self.world.now = self.world.now.max(t);
            self.daily_jobs(&mut stats)?;
            let now = self.world.now;
            for i in 0..self.users.len() {
                if self.users[i].client.poll_timeout().is_none_or(|t| t > now) {
                    continue;
                }
                let user = &mut self.users[i];
                self.timings
                    .client_op(&mut self.world, "handle_timeout", |rng, now| {
                        user.client.handle_timeout(rng, now)
                    });
                let ev = pump(&mut self.world, &mut self.timings, user)?;
                if user.client.poll_timeout().is_some_and(|t| t <= now) {
                    return Err(fail(format!("{}: a timer does not move on", user.name)));
                }
                stats.events[i].extend(ev.iter().cloned());
                for e in ev {
                    match e {
                        Event::TokenReleased { .. } => stats.releases.push((now, i)),
                        Event::TokenRenewed => stats.renewals.push((now, i)),
                        Event::RequestFailed {
                            request: RequestType::RenewToken,
                            reason: FailureReason::Server(ErrorCode::NotReleased),
                            ..
                        } => stats.early[i] += 1,
                        Event::RequestFailed {
                            request, reason, ..
                        } => {
                            return Err(fail(format!(
                                "{}: {} failed: {}",
                                user.name,
                                request.name(),
                                describe(&reason)
                            )))
                        }
                        _ => {}
                    }
                }
            }
        }
        self.world.now = self.world.now.max(until);
        self.daily_jobs(&mut stats)?;
        Ok(stats)
    }

    /// Act 6: four days pass; recipients release tokens, senders renew them.
    pub fn act6_releases(&mut self) -> Res<()> {
        header(6, "Releases and renewals (the clock runs for four days)");
        say!(self, "A recipient releases the token of a cold call it replied to or accepted, at a random time 1-24 h");
        say!(self, "later, on its authenticated channel, naming only the delivery handle. The sender's client checks");
        say!(self, "its spent tokens 6-12 h later on anonymous circuits, then less and less often; a released");
        say!(
            self,
            "token is exchanged for a fresh, unlinkable one. Ignored cold calls keep their tokens."
        );
        // Overnight every phone restarts its app: the client comes back from the state its host
        // saved (SPEC.md 13.2), with its scheduled releases and spent tokens.
        let mut saved = 0;
        for user in &mut self.users {
            let before = (
                user.client.account(),
                user.client.token_counts(),
                user.client.poll_timeout(),
            );
            let bytes = self
                .timings
                .client_op(&mut self.world, "to_bytes", |_, _| user.client.to_bytes())
                .ctx(|| format!("{}: saving the state", user.name))?;
            saved += bytes.len();
            user.client = self
                .timings
                .client_op(&mut self.world, "from_bytes", |_, _| {
                    Client::from_bytes(&bytes, Walk::settings())
                })
                .ctx(|| format!("{}: restoring the saved state", user.name))?;
            let after = (
                user.client.account(),
                user.client.token_counts(),
                user.client.poll_timeout(),
            );
            if before != after {
                return Err(fail(format!("{}: the restored client differs", user.name)));
            }
        }
        say!(
            self,
            "  every app restarts from the state its host saved (Client::to_bytes, {} bytes on average)",
            saved / self.users.len().max(1)
        );
        let start = self.world.now;
        // Four days is enough for every renewal: a release comes at most 24 h after the reply,
        // and a sender's third check (6-12 h, then 12-24 h, then 24-48 h after the cold call)
        // comes after it and at most 84 h after the cold call.
        let stats = self.run_clock(start + 4 * DAY)?;
        if !self.quiet {
            let mut timeline: Vec<(Time, usize, &str)> = stats
                .releases
                .iter()
                .map(|(t, i)| (*t, *i, "releases a token (authenticated; the handle names the token, not its sender)"))
                .chain(stats.renewals.iter().map(|(t, i)| {
                    (*t, *i, "checks a spent token: released, so it is renewed for a fresh one")
                }))
                .collect();
            timeline.sort();
            for (t, i, what) in timeline.iter().take(2 * DETAIL) {
                out!("  {:>8}  {:<8} {what}", rel(*t, start), self.users[*i].name);
            }
            let buckets: Vec<String> = (0..4)
                .map(|b| {
                    let n = stats
                        .releases
                        .iter()
                        .filter(|(t, _)| t.secs_since(start) / (6 * HOUR) == b)
                        .count();
                    format!("{}-{} h: {n}", 6 * b, 6 * b + 6)
                })
                .collect();
            out!("  releases after the replies:  {}", buckets.join(",  "));
            out!(
                "  the host's daily job installed {} new discovery key(s) and purged {} expired store entries",
                stats.rotations, stats.purged
            );
        }
        // Every cold call replied to or accepted is released and its token renewed; every
        // ignored one is still attached.
        let expected_releases = self
            .cold_calls
            .iter()
            .filter(|c| c.fate != Fate::Ignore)
            .count();
        if stats.releases.len() != expected_releases || stats.renewals.len() != expected_releases {
            return Err(fail(format!(
                "expected {expected_releases} releases and renewals, got {} and {}",
                stats.releases.len(),
                stats.renewals.len()
            )));
        }
        for i in 0..self.honest {
            let ignored = self
                .cold_calls
                .iter()
                .filter(|c| c.from == i && c.fate == Fate::Ignore)
                .count();
            let counts = self.users[i].client.token_counts();
            let registration = self.world.server.config().registration_tokens;
            if counts.attached != ignored || counts.available + ignored != registration {
                return Err(fail(format!(
                    "{}: tokens {counts:?}, expected {ignored} attached",
                    self.users[i].name
                )));
            }
        }
        let early: usize = stats.early.iter().sum();
        let still = self
            .cold_calls
            .iter()
            .filter(|c| c.fate == Fate::Ignore)
            .count();
        out!(
            "result: tokens released: {}, renewed: {} (checks too early, answered not_released and retried later: {early}); still attached (ignored cold calls): {still}",
            stats.releases.len(),
            stats.renewals.len()
        );
        self.end_act("6 releases and renewals");
        Ok(())
    }
}
