//! Acts 4 and 5: cold calls and replies.

use crate::host::{deliver, fail, hex_prefix, no_failures, pump, Context, Res};
use crate::walk::{ColdCall, Fate, Walk};
use crate::{header, pick, DETAIL};
use blindpost::client::Event;

impl Walk {
    /// Act 4: cold calls between random pairs, each paid with a token.
    pub fn act4_cold_calls(&mut self) -> Res<()> {
        header(4, "Cold calls");
        say!(self, "A first message to a stranger costs one token. The client writes an introduction (its certificate,");
        say!(self, "a member key of its own group for the recipient, the message; signed with its identity key), the");
        say!(self, "host seals it end to end, and the cold call goes out on a fresh anonymous circuit: recipient,");
        say!(
            self,
            "token, sealed bytes. The server checks the token and attaches it to the recipient."
        );
        let mut shown = 0;
        for i in 0..self.honest {
            for t in self.targets[i].clone() {
                let to_account = self.users[t].account();
                let to_phone = self.users[t].phone.clone();
                let to_name = self.users[t].name.clone();
                let user = &mut self.users[i];
                let cert = user
                    .found
                    .iter()
                    .find(|c| *c.phone() == to_phone)
                    .cloned()
                    .ctx(|| format!("{}: {to_name} was not found by discovery", user.name))?;
                let message = format!("hi {to_name}, this is {}", user.name);
                // The host's Olm offer rides in the introduction (SPEC.md 17.7).
                let offer = self.world.offer(&user.account());
                let intro = self
                    .timings
                    .client_op(&mut self.world, "compose_introduction", |rng, now| {
                        user.client.compose_introduction(
                            rng,
                            now,
                            &cert,
                            message.as_bytes(),
                            &offer,
                        )
                    })
                    .ctx(|| format!("{}: compose_introduction", user.name))?;
                let sealed = self
                    .world
                    .seal_first_contact(&user.account(), &cert, &intro);
                self.timings
                    .client_op(&mut self.world, "send_cold_call", |_, now| {
                        user.client.send_cold_call(now, to_account, &sealed)
                    })
                    .ctx(|| format!("{}: send_cold_call", user.name))?;
                let ev = pump(&mut self.world, &mut self.timings, user)?;
                no_failures(&user.name, &ev)?;
                if !ev.contains(&Event::ColdCallSent {
                    recipient: to_account,
                }) {
                    return Err(fail(format!("{}: cold call not acknowledged", user.name)));
                }
                if shown < DETAIL && !self.quiet {
                    let handle = self.world.received.last().and_then(|s| s.handle);
                    out!(
                        "  {:<8} -> {:<8} introduction {} bytes sealed to {} bytes; token attached to {to_name} under handle {}..",
                        user.name,
                        to_name,
                        intro.len(),
                        sealed.len(),
                        handle.map(|h| hex_prefix(&h.0, 4)).unwrap_or_default()
                    );
                    shown += 1;
                }
                self.cold_calls.push(ColdCall {
                    from: i,
                    to: t,
                    fate: Fate::Ignore,
                });
            }
        }
        // Every recipient's host fetches its queue; the client checks each introduction.
        let mut received = 0;
        for r in 0..self.honest {
            let ev = deliver(&mut self.world, &mut self.timings, &mut self.users[r])?;
            for e in ev {
                match e {
                    Event::IntroductionReceived {
                        contact,
                        phone,
                        cold_call: true,
                        ..
                    } => {
                        let Some(call) = self
                            .cold_calls
                            .iter()
                            .find(|c| c.to == r && self.users[c.from].account() == contact)
                        else {
                            return Err(fail(format!(
                                "{}: an introduction from an unexpected sender",
                                self.users[r].name
                            )));
                        };
                        if phone != self.users[call.from].phone {
                            return Err(fail("introduction names the wrong phone number"));
                        }
                        if received < DETAIL && !self.quiet {
                            out!(
                                "  {:<8} gets a cold call; certificate, identity signature and binding check out: {} is {}",
                                self.users[r].name,
                                phone.as_str(),
                                self.users[call.from].name
                            );
                        }
                        received += 1;
                    }
                    other => {
                        return Err(fail(format!(
                            "{}: unexpected event {other:?}",
                            self.users[r].name
                        )))
                    }
                }
            }
        }
        if received != self.cold_calls.len() {
            return Err(fail(format!(
                "{} cold calls sent but {received} introductions received",
                self.cold_calls.len()
            )));
        }
        let available: usize = (0..self.honest)
            .map(|i| self.users[i].client.token_counts().available)
            .sum();
        out!(
            "result: {} cold calls, each paid with one token now attached to its recipient; {received} introductions checked; honest users hold {available} unspent tokens",
            self.cold_calls.len()
        );
        self.end_act("4 cold calls");
        Ok(())
    }

    /// Act 5: recipients reply (most), accept silently or ignore the cold calls.
    pub fn act5_replies(&mut self) -> Res<()> {
        header(5, "Replies");
        say!(self, "Replies cost no token. The replier's client fetches the recipient's current group key (anonymous),");
        say!(self, "signs with the member key the recipient gave it, and sends recipient, sealed bytes and the group");
        say!(self, "signature (anonymous). The server verifies the signature against the recipient's group key: it");
        say!(
            self,
            "learns that some member signed, not which. The first reply carries the replier's own"
        );
        say!(self, "introduction, so both sides can write to each other from then on. Some cold calls are only");
        say!(self, "accepted (no reply), a few ignored.");
        let mut shown = 0;
        let (mut replies, mut accepted, mut ignored) = (0, 0, 0);
        for k in 0..self.cold_calls.len() {
            let (s, r) = (self.cold_calls[k].from, self.cold_calls[k].to);
            let ring = self.targets[s].first() == Some(&r);
            let fate = if ring {
                Fate::Reply
            } else {
                match pick(&mut self.world.rng, 20) {
                    0..=11 => Fate::Reply,
                    12..=16 => Fate::Accept,
                    _ => Fate::Ignore,
                }
            };
            self.cold_calls[k].fate = fate;
            let s_account = self.users[s].account();
            match fate {
                Fate::Ignore => ignored += 1,
                Fate::Accept => {
                    let s_name = self.users[s].name.clone();
                    let user = &mut self.users[r];
                    self.timings
                        .client_op(&mut self.world, "accept", |rng, now| {
                            user.client.accept(rng, now, s_account)
                        })
                        .ctx(|| format!("{}: accept", user.name))?;
                    accepted += 1;
                    if shown < DETAIL + 2 && !self.quiet {
                        out!(
                            "  {:<8} accepts {}'s cold call without replying (the release is scheduled)",
                            user.name, s_name
                        );
                        shown += 1;
                    }
                }
                Fate::Reply => {
                    let text = format!("hi {}, {} here", self.users[s].name, self.users[r].name);
                    self.reply(r, s, &text, Some(true))?;
                    let text = format!("good to hear from you, {}", self.users[r].name);
                    self.reply(s, r, &text, Some(false))?;
                    replies += 2;
                    if shown < DETAIL && !self.quiet {
                        out!(
                            "  {:<8} -> {:<8} reply under {}'s group, carrying {}'s introduction: accepted, no token",
                            self.users[r].name,
                            self.users[s].name,
                            self.users[s].name,
                            self.users[r].name
                        );
                        out!(
                            "  {:<8} -> {:<8} reply under {}'s group; {}'s client opens the signature: it is {}",
                            self.users[s].name,
                            self.users[r].name,
                            self.users[r].name,
                            self.users[r].name,
                            self.users[s].name
                        );
                        shown += 1;
                    }
                }
            }
        }
        out!(
            "result: {replies} replies accepted ({} conversations) without spending a token; cold calls accepted silently: {accepted}, ignored: {ignored}",
            replies / 2
        );
        self.end_act("5 replies");
        Ok(())
    }

    /// User `from` sends `text` to contact `to` as a reply and `to` receives it. With
    /// `Some(true)` the payload must carry an introduction, with `Some(false)` it must be a
    /// plain message.
    pub fn reply(
        &mut self,
        from: usize,
        to: usize,
        text: &str,
        introduces: Option<bool>,
    ) -> Res<()> {
        let to_account = self.users[to].account();
        let from_account = self.users[from].account();
        let user = &mut self.users[from];
        let payload = self
            .timings
            .client_op(&mut self.world, "compose_reply", |rng, now| {
                user.client
                    .compose_reply(rng, now, to_account, text.as_bytes(), b"")
            })
            .ctx(|| format!("{}: compose_reply", user.name))?;
        let sealed = self.world.seal_reply(&user.client, &to_account, &payload);
        self.timings
            .client_op(&mut self.world, "send_reply", |rng, now| {
                user.client.send_reply(rng, now, to_account, &sealed)
            })
            .ctx(|| format!("{}: send_reply", user.name))?;
        // The group-key fetch leaves after the reply delay, the reply right after it.
        let ev = self.settle(from, Walk::reply_window())?;
        let user = &mut self.users[from];
        no_failures(&user.name, &ev)?;
        if !ev.contains(&Event::ReplySent {
            recipient: to_account,
        }) {
            return Err(fail(format!("{}: reply not acknowledged", user.name)));
        }
        let ev = deliver(&mut self.world, &mut self.timings, &mut self.users[to])?;
        let ok = ev.iter().any(|e| match (e, introduces) {
            (
                Event::IntroductionReceived {
                    contact,
                    cold_call: false,
                    message,
                    ..
                },
                Some(true) | None,
            )
            | (
                Event::MessageReceived {
                    contact, message, ..
                },
                Some(false) | None,
            ) => *contact == from_account && message == text.as_bytes(),
            _ => false,
        });
        if !ok {
            return Err(fail(format!(
                "{}: the reply from {} did not arrive as expected: {ev:?}",
                self.users[to].name, self.users[from].name
            )));
        }
        Ok(())
    }
}
