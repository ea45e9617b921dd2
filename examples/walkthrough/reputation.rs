//! Act 11: a month of reputation (SPEC.md 18): ordinary users whose cold calls are accepted
//! earn tokens, a spammer earns none, two colluders farm each other's releases up to the cap,
//! and a bulk sender proves a domain for its tier.

use crate::host::{fail, Context, Res};
use crate::walk::Walk;
use crate::{header, DAY, HOUR, T0};
use blindpost::account::AccountId;
use blindpost::client::FailureReason;
use blindpost::client::{Client, Event};
use blindpost::server::{ServerConfig, ServerSecrets};
use blindpost::simulation::raw::{decode, RawAccount};
use blindpost::simulation::{events, settings, World};
use blindpost::token::Token;
use blindpost::wire::ErrorCode;
use blindpost::wire::{Request, Response};
use blindpost::Time;
use blindpost_bulk_x509::test_ca::TestCa;
use blindpost_bulk_x509::X509BulkCheck;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long the act simulates.
const MONTH: u64 = 30 * DAY;
/// Ordinary users, each cold-calling a new acquaintance every week, who accepts.
const ORDINARY: usize = 3;
/// Weeks in which the ordinary users cold-call.
const WEEKS: u64 = 4;

/// One person of the act: a client and whom it answers.
struct Person {
    name: String,
    client: Client,
    /// Accepts every cold call it receives (the acquaintances) or ignores them (the spammer's
    /// victims).
    accepts: bool,
}

impl Walk {
    /// Act 11: a simulated month with ordinary users, a spammer, colluders and a bulk sender.
    pub fn act11_reputation(&mut self) -> Res<()> {
        header(11, "Reputation and the bulk tier: a month");
        say!(self, "A fresh deployment with the default reputation policy: a renewal of an accepted cold call earns a");
        say!(self, "blind stamp, redeemed two to four weeks later for one more token, at most 2 a week and 15 in all.");
        let config = ServerConfig::default();
        let policy = config.reputation.clone();
        let mut rng = blindpost::vector_rng::VectorRng::new(b"walkthrough act 11");
        let secrets =
            ServerSecrets::generate(&mut rng, T0, b"reputation.example", &config.discovery)
                .ctx(|| "act 11 server keys".into())?;
        let server = blindpost::server::Server::new(
            config.clone(),
            secrets,
            blindpost::store::MemoryStore::new(),
        )
        .ctx(|| "act 11 server".into())?;
        let mut world = World::with_server(server, rng, T0);
        let client_settings = blindpost::client::ClientSettings {
            reputation_period: policy.period_seconds,
            ..settings()
        };
        let base = config.registration_tokens;
        let cap = base as u64 + policy.max_earned;

        // The people: ordinary users and their weekly acquaintances, a spammer and its victims.
        let mut people: Vec<Person> = Vec::new();
        let mut register =
            |world: &mut World, name: String, phone: u64, accepts: bool| -> Res<usize> {
                let mut client = world.new_client_with(client_settings.clone());
                let number = format!("+1556{phone:07}");
                world.register(&mut client, &number);
                if client.token_counts().total() != base {
                    return Err(fail(format!("{name} did not get its {base} tokens")));
                }
                people.push(Person {
                    name,
                    client,
                    accepts,
                });
                Ok(people.len() - 1)
            };
        let users: Vec<usize> = (0..ORDINARY)
            .map(|i| register(&mut world, format!("user{i}"), i as u64, true))
            .collect::<Res<_>>()?;
        let mut acquaintances = Vec::new();
        for i in 0..ORDINARY {
            for w in 0..WEEKS {
                let n = 100 + (i as u64) * 10 + w;
                acquaintances.push(register(&mut world, format!("friend{i}.{w}"), n, true)?);
            }
        }
        let spammer = register(&mut world, "spammer".into(), 900, false)?;
        let victims: Vec<usize> = (0..base)
            .map(|v| register(&mut world, format!("victim{v}"), 950 + v as u64, false))
            .collect::<Res<_>>()?;
        let certificate = |people: &[Person], i: usize| {
            people[i]
                .client
                .certificate()
                .cloned()
                .ok_or_else(|| fail("a registered client has its certificate"))
        };

        // Two colluders script their farm with hand-made requests: each cold-calls the other
        // three times a day and releases everything at once.
        let colluders = [
            world.raw_register("+15569000001", 1),
            world.raw_register("+15569000002", 1),
        ];
        let mut farm_tokens = [
            colluders[0].tokens[0].clone(),
            colluders[1].tokens[0].clone(),
        ];
        let mut farm_stamps: [Vec<Token>; 2] = [Vec::new(), Vec::new()];

        // The month, one day at a time.
        let start = world.now;
        let mut day = 0u64;
        while day * DAY < MONTH {
            let morning = start + day * DAY + 9 * HOUR;
            world.now = world.now.max(morning);
            if day.is_multiple_of(7) && day / 7 < WEEKS {
                let w = (day / 7) as usize;
                for (i, &u) in users.iter().enumerate() {
                    let friend = acquaintances[i * WEEKS as usize + w];
                    let to = certificate(&people, friend)?;
                    world.cold_call(
                        &mut people[u].client,
                        &to,
                        b"hello, we met at the conference",
                    );
                }
            }
            if (day as usize) < victims.len() {
                let to = certificate(&people, victims[day as usize])?;
                world.cold_call(&mut people[spammer].client, &to, b"BUY NOW");
            }
            for _ in 0..3 {
                for c in 0..2 {
                    let other = 1 - c;
                    let (next, stamp) = farm(&mut world, &colluders[other], &farm_tokens[c])?;
                    farm_tokens[c] = next;
                    farm_stamps[c].push(stamp);
                }
            }
            for (c, account) in colluders.iter().enumerate() {
                redeem(&mut world, account, &mut farm_stamps[c])?;
            }
            run_day(&mut world, &mut people, start + (day + 1) * DAY)?;
            day += 1;
        }

        let allowance = |world: &World, account: &AccountId| -> Res<u64> {
            let a = world
                .server
                .allowance(world.now, account)
                .map_err(|e| fail(format!("allowance: {e}")))?;
            Ok(base as u64 + a.earned)
        };
        let user_allowance = users
            .iter()
            .map(|&u| allowance(&world, &people[u].client.account()))
            .collect::<Res<Vec<u64>>>()?;
        let min_user = user_allowance.iter().copied().min().unwrap_or(0);
        let spammer_allowance = allowance(&world, &people[spammer].client.account())?;
        let colluder_allowance = allowance(&world, &colluders[0].account())?
            .max(allowance(&world, &colluders[1].account())?);
        for &u in &users {
            let held = people[u].client.token_counts().total() as u64;
            let earned = allowance(&world, &people[u].client.account())? - base as u64;
            say!(
                self,
                "  {:<8} {} tokens held ({} earned), {} stamps still waiting",
                people[u].name,
                held,
                earned,
                people[u].client.stamps()
            );
        }
        say!(
            self,
            "  spammer  {} tokens held: its 5 cold calls were never accepted, so it never renewed",
            people[spammer].client.token_counts().total()
        );

        // The bulk sender: a domain certificate from a CA the operator trusts.
        let bulk_allowance = self.bulk_sender(&mut world, &client_settings)?;

        out!("  reputation.user_allowance {min_user}");
        out!("  reputation.spammer_allowance {spammer_allowance}");
        out!("  reputation.colluder_allowance {colluder_allowance}");
        out!("  reputation.cap {cap}");
        out!("  reputation.bulk_allowance {bulk_allowance}");
        if min_user <= base as u64 {
            return Err(fail(format!(
                "an ordinary user whose cold calls were accepted did not grow: {user_allowance:?}"
            )));
        }
        if spammer_allowance != base as u64 {
            return Err(fail(format!(
                "the spammer's allowance moved: {spammer_allowance}"
            )));
        }
        if colluder_allowance > cap {
            return Err(fail(format!(
                "the colluders went over the cap: {colluder_allowance} > {cap}"
            )));
        }
        if bulk_allowance <= cap {
            return Err(fail(format!(
                "the bulk sender did not get its tier: {bulk_allowance}"
            )));
        }
        out!(
            "=> a month: ordinary users grew to {min_user}+ tokens, the spammer stayed at {spammer_allowance}, the colluders stopped at {colluder_allowance} (cap {cap}), the bulk sender got {bulk_allowance}"
        );
        self.end_act("11 reputation and the bulk tier");
        Ok(())
    }
}

impl Walk {
    /// The bulk sender: a domain certificate from a CA the operator trusts, its key signs the
    /// sender's identity key, and the server's X.509 check grants the domain's tier. Claims
    /// until the tier is used up, then the operator revokes it. Returns the tokens granted.
    fn bulk_sender(
        &mut self,
        world: &mut World,
        settings: &blindpost::client::ClientSettings,
    ) -> Res<u64> {
        const DOMAIN: &str = "news.example.com";
        const TIER: u32 = 200;
        let now = world.now;
        let ca = TestCa::new("walkthrough CA", now, now + 365 * DAY).ctx(|| "test CA".into())?;
        let check = Arc::new(
            X509BulkCheck::new(
                &[ca.anchor_der()],
                BTreeMap::from([(DOMAIN.to_owned(), TIER)]),
            )
            .ctx(|| "the operator's X.509 check".into())?,
        );
        world.server.set_bulk_check(check.clone());
        let mut sender = world.new_client_with(settings.clone());
        world.register(&mut sender, "+15569990000");
        events(&mut sender);
        let key = sender
            .certificate()
            .map(|c| c.identity_key().to_bytes())
            .ok_or_else(|| fail("the bulk sender is registered"))?;
        let proof = ca
            .issue(DOMAIN, now, now + 90 * DAY)
            .and_then(|c| c.prove(&key))
            .ctx(|| "the domain certificate and its proof".into())?;
        say!(self, "  news.example.com's certificate (from a CA the operator trusts) signs the bulk sender's identity key;");
        let mut granted = 0u64;
        loop {
            sender
                .claim_bulk_tokens(
                    &mut world.rng,
                    world.now,
                    proof.clone(),
                    blindpost::wire::MAX_BULK_CLAIM,
                )
                .ctx(|| "claim_bulk_tokens".into())?;
            world.settle(&mut sender);
            let got: usize = events(&mut sender)
                .iter()
                .map(|e| match e {
                    Event::BulkTokensGranted { tokens } => *tokens,
                    _ => 0,
                })
                .sum();
            if got == 0 {
                break;
            }
            granted += got as u64;
        }
        say!(self, "  the tier grants {granted} tokens this period, in claims of up to 64; then the claims bring none");
        check.revoke(DOMAIN);
        sender
            .claim_bulk_tokens(&mut world.rng, world.now, proof, 1)
            .ctx(|| "claim after the revocation".into())?;
        world.settle(&mut sender);
        let refused = events(&mut sender).iter().any(|e| {
            matches!(
                e,
                Event::RequestFailed {
                    reason: FailureReason::Server(ErrorCode::BulkRevoked),
                    ..
                }
            )
        });
        if !refused {
            return Err(fail(
                "the claim after the operator revoked the tier was not refused",
            ));
        }
        say!(
            self,
            "  the operator revokes the domain: the next claim is refused (bulk_revoked)"
        );
        if sender.token_counts().total() as u64 != granted + 5 {
            return Err(fail(
                "the bulk sender does not hold the tokens it was granted",
            ));
        }
        Ok(granted)
    }
}

/// Runs every person's host through the day until `until`: timers, sends, deliveries; the
/// acquaintances accept every cold call they receive, everyone else ignores them.
fn run_day(world: &mut World, people: &mut [Person], until: Time) -> Res<()> {
    for _ in 0..10_000 {
        let next = people
            .iter()
            .filter_map(|p| p.client.poll_timeout())
            .filter(|&t| t < until)
            .min();
        for p in people.iter_mut() {
            world.timeout(&mut p.client);
            world.pump(&mut p.client);
            for event in world.deliver(&mut p.client) {
                if let Event::IntroductionReceived {
                    contact,
                    cold_call: true,
                    ..
                } = event
                {
                    if p.accepts {
                        p.client
                            .accept(&mut world.rng, world.now, contact)
                            .ctx(|| format!("{} accepts", p.name))?;
                    }
                }
            }
            let _ = events(&mut p.client);
        }
        match next {
            Some(t) => world.now = world.now.max(t),
            None => {
                world.now = world.now.max(until);
                return Ok(());
            }
        }
    }
    Err(fail("a day of the month did not settle"))
}

/// One round of the colluders' farm: a cold call with `token` to `to`, released by `to` at once
/// and renewed: the renewed token and the stamp.
fn farm(world: &mut World, to: &RawAccount, token: &Token) -> Res<(Token, Token)> {
    world
        .cold_call_for_stamp(to, token, b"farm")
        .map_err(|step| fail(format!("a colluder's stamp round: {step}")))
}

/// The colluders redeem every stamp they hold, at once (the server credits what the caps
/// allow and they drop what it used up).
fn redeem(world: &mut World, account: &RawAccount, stamps: &mut Vec<Token>) -> Res<()> {
    let batch: Vec<Token> = stamps
        .iter()
        .take(blindpost::wire::MAX_REDEEMED_STAMPS)
        .cloned()
        .collect();
    if batch.is_empty() {
        return Ok(());
    }
    let (requests, _) = world.cold_call_requests(batch.len());
    let bytes = Request::RedeemStamps {
        stamps: batch,
        requests,
    }
    .to_bytes();
    match decode(&world.send(account.channel(), &bytes)) {
        Response::StampsRedeemed { consumed, .. } => {
            stamps.drain(..usize::from(consumed));
            Ok(())
        }
        other => Err(fail(format!("a colluder's redemption: {other:?}"))),
    }
}
