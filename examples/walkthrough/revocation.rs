//! Act 8: a contact blocked and revoked.

use crate::header;
use crate::host::{deliver, fail, failures, no_failures, pump, Context, Res, User};
use crate::walk::Walk;
use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::PreparedGroupKey;
use blindpost::client::{ClientError, FailureReason};
use blindpost::simulation::World;
use blindpost::wire::{
    reply_context, reply_timestamp, ErrorCode, ReplyRequest, Request, RequestType, Response,
};

impl Walk {
    /// Act 8: a user blocks a contact holding a member key of its group.
    pub fn act8_block(&mut self) -> Res<()> {
        header(8, "A contact blocked and revoked");
        say!(self, "A user blocks a contact it had given a member key of its group. Its client revokes that key and");
        say!(self, "uploads the revocation record with a checkpoint: every remaining member's new key, masked for");
        say!(self, "that member (authenticated); the group key moves to the next generation. Members fetch the");
        say!(self, "group key and checkpoint before every reply: the others find their entry and catch up in one");
        say!(
            self,
            "step, however far behind; the revoked one has no entry."
        );
        // The user who handed out the most member keys blocks the first of them.
        let b = (0..self.honest)
            .max_by_key(|&i| {
                let n = self.users[i]
                    .client
                    .contacts()
                    .iter()
                    .filter(|c| c.introduced && !c.blocked)
                    .count();
                (n, std::cmp::Reverse(i))
            })
            .ctx(|| "nobody to block".into())?;
        let members: Vec<AccountId> = self.users[b]
            .client
            .contacts()
            .iter()
            .filter(|c| c.introduced && !c.blocked)
            .map(|c| c.account)
            .collect();
        let index_of = |users: &[User], a: &AccountId| users.iter().position(|u| u.account() == *a);
        let c_account = *members.first().ctx(|| "no member to block".into())?;
        let c = index_of(&self.users, &c_account).ctx(|| "blocked contact unknown".into())?;
        let b_account = self.users[b].account();
        let (b_name, c_name) = (self.users[b].name.clone(), self.users[c].name.clone());
        let generation = self.users[b].client.group_key().generation();

        let user = &mut self.users[b];
        let upload = self
            .timings
            .client_op(&mut self.world, "block", |rng, now| {
                user.client.block(rng, now, c_account)
            })
            .ctx(|| format!("{b_name}: block"))?;
        if upload.is_none() {
            return Err(fail("blocking a member should upload a revocation"));
        }
        let ev = pump(&mut self.world, &mut self.timings, user)?;
        no_failures(&b_name, &ev)?;
        let new_generation = user.client.group_key().generation();
        user.group_keys
            .push(user.client.group_key().to_bytes().to_vec());
        if new_generation != generation + 1 {
            return Err(fail("the group key should move to the next generation"));
        }
        say!(self, "  {b_name} blocks {c_name}: revocation uploaded, {b_name}'s group key generation {generation} -> {new_generation}");

        // The revoked member's client fetches the key, finds no checkpoint entry, and stops.
        let message = format!("{b_name}, please let me back in");
        let user = &mut self.users[c];
        let payload = self
            .timings
            .client_op(&mut self.world, "compose_reply", |rng, now| {
                user.client
                    .compose_reply(rng, now, b_account, message.as_bytes(), b"")
            })
            .ctx(|| format!("{c_name}: compose_reply"))?;
        let sealed = self.world.seal_reply(&user.client, &b_account, &payload);
        self.timings
            .client_op(&mut self.world, "send_reply", |rng, now| {
                user.client.send_reply(rng, now, b_account, &sealed)
            })
            .ctx(|| format!("{c_name}: send_reply"))?;
        let replies_before = count_replies_from(&self.world, user);
        let ev = self.settle(c, Walk::reply_window())?;
        let user = &mut self.users[c];
        let expected = [(
            RequestType::FetchGroupKey,
            FailureReason::Client(ClientError::Group(blindpost::bbs04::Error::Revoked)),
        )];
        if failures(&ev) != expected || count_replies_from(&self.world, user) != replies_before {
            return Err(fail(format!(
                "{c_name}'s reply should stop at the group key update (revoked) without sending: {ev:?}"
            )));
        }
        say!(self, "  {c_name}'s client fetches {b_name}'s group key: its checkpoint has no entry for its key (revoked),");
        say!(
            self,
            "  so it signs nothing and sends nothing; the server saw one anonymous group key fetch"
        );

        // A tampered client that signs with the revoked key anyway is refused by the server.
        let (old_group, old_member) = self.users[c]
            .introductions
            .get(&b_account)
            .cloned()
            .ctx(|| format!("{c_name}'s host kept no introduction from {b_name}"))?;
        let prepared = PreparedGroupKey::new(old_group);
        let mut codes = Vec::new();
        for claimed in [generation, new_generation] {
            let now = reply_timestamp(self.world.now);
            let sealed =
                self.world
                    .seal_reply(&self.users[c].client, &b_account, b"tampered client");
            let context = reply_context(&b_account, claimed, now);
            let signature = old_member
                .sign(&mut self.world.rng, &prepared, &context, &sealed)
                .ctx(|| "tampered signature".into())?;
            let request = Request::Reply(ReplyRequest {
                recipient: b_account,
                generation: claimed,
                timestamp: now,
                sealed,
                signature,
            });
            let from = self.users[c].account();
            let response = self.timings.send(
                &mut self.world,
                from,
                Channel::Anonymous,
                &request.to_bytes(),
            );
            match Response::from_bytes(&response) {
                Ok(Response::Error { code, .. }) => codes.push(code),
                other => {
                    return Err(fail(format!(
                        "a reply signed with a revoked key must be refused, got {other:?}"
                    )))
                }
            }
        }
        if codes != [ErrorCode::StaleGeneration, ErrorCode::BadSignature] {
            return Err(fail(format!(
                "tampered replies: expected stale_generation and bad_signature, got {codes:?}"
            )));
        }
        say!(self, "  a tampered client signing with the revoked key anyway: claiming generation {generation} -> {},", codes[0].name());
        say!(
            self,
            "  claiming {new_generation} -> {} (the server checks against the current group key)",
            codes[1].name()
        );

        // The other members update and get through; the owner's client opens each reply to
        // the right contact.
        let others: Vec<usize> = members
            .iter()
            .skip(1)
            .filter_map(|a| index_of(&self.users, a))
            .collect();
        for &o in &others {
            let text = format!("still here, {b_name}");
            self.reply(o, b, &text, None)?;
        }
        if !self.quiet && !others.is_empty() {
            let names: Vec<&str> = others
                .iter()
                .map(|&o| self.users[o].name.as_str())
                .collect();
            out!(
                "  {} catch up through the checkpoint and reply under generation {new_generation}: accepted,",
                names.join(", ")
            );
            out!("  and {b_name}'s client opens each signature to the right contact");
        }

        // The blocked contact may still pay a token to cold-call; the owner's client drops it
        // and never releases the token.
        let b_cert = self.users[c]
            .client
            .contacts()
            .iter()
            .find(|x| x.account == b_account)
            .map(|x| x.certificate.clone())
            .ctx(|| format!("{c_name} has no certificate of {b_name}"))?;
        let mut dropped = false;
        if self.users[c].client.token_counts().available > 0 {
            let user = &mut self.users[c];
            let offer = self.world.offer(&user.account());
            let intro = self
                .timings
                .client_op(&mut self.world, "compose_introduction", |rng, now| {
                    user.client
                        .compose_introduction(rng, now, &b_cert, b"it's me again", &offer)
                })
                .ctx(|| format!("{c_name}: compose_introduction"))?;
            let sealed = self
                .world
                .seal_first_contact(&user.account(), &b_cert, &intro);
            user.client
                .send_cold_call(self.world.now, b_account, &sealed)
                .ctx(|| format!("{c_name}: send_cold_call"))?;
            let ev = pump(&mut self.world, &mut self.timings, user)?;
            no_failures(&c_name, &ev)?;
            let ev = deliver(&mut self.world, &mut self.timings, &mut self.users[b])?;
            if !ev.is_empty() {
                return Err(fail(format!(
                    "{b_name}'s client should drop the blocked contact's cold call: {ev:?}"
                )));
            }
            dropped = true;
            say!(self, "  {c_name} pays a token to cold-call {b_name} instead: {b_name}'s client drops it and never releases the token");
        }
        out!(
            "result: {c_name}'s member key revoked ({b_name}'s group at generation {new_generation}); {c_name}'s replies fail, {} other member(s) continue{}",
            others.len(),
            if dropped {
                format!("; {c_name}'s cold call costs a token that never comes back")
            } else {
                String::new()
            }
        );
        self.end_act("8 block and revoke");
        Ok(())
    }
}

/// Reply requests user `i`'s device has sent so far.
fn count_replies_from(world: &World, user: &User) -> usize {
    world
        .received
        .iter()
        .filter(|s| {
            s.request_type == RequestType::Reply
                && s.sender.is_some_and(|a| user.accounts.contains(&a))
        })
        .count()
}
