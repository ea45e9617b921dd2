//! Reputation stamps (SPEC.md 18.1) and the bulk-sender claim (18.2): a released token's renewal earns one, an exchange earns
//! none; redemptions credit at most C per phone number and period and T in all, whoever
//! redeems; every refusal leaves the store as it was; and a client redeems its stamps on its own,
//! two to four periods after the renewal, for more cold-call tokens.

use blindpost::account::Channel;
use blindpost::bulk::{BulkProof, BulkRefusal, BulkSenderCheck, BulkTier};
use blindpost::client::{Client, Event};
use blindpost::server::{ReputationConfig, ServerConfig};
use blindpost::simulation::raw::{cold_call_bytes, decode, RawAccount};
use blindpost::simulation::{settings, World};
use blindpost::token::Token;
use blindpost::wire::{ErrorCode, Request, Response};
use std::sync::Arc;

const DAY: u64 = 24 * 3600;

/// One-day periods, 2 stamps a period, 3 tokens in all.
fn config() -> ServerConfig {
    ServerConfig {
        reputation: ReputationConfig {
            period_seconds: DAY,
            stamps_per_period: 2,
            max_earned: 3,
            bulk_period_seconds: 30 * DAY,
        },
        ..ServerConfig::default()
    }
}

/// A cold call with `token` to `to`, released by `to` and renewed: the renewed token and the
/// stamp.
fn earn(world: &mut World, to: &RawAccount, token: &Token) -> (Token, Token) {
    world
        .cold_call_for_stamp(to, token, b"sealed hello")
        .expect("a stamp earned")
}

/// `redeem_stamps` of `stamps` by `account`, with fresh token requests.
fn redeem(world: &mut World, account: &RawAccount, stamps: &[Token]) -> Response {
    let (requests, _) = world.cold_call_requests(stamps.len());
    let bytes = Request::RedeemStamps {
        stamps: stamps.to_vec(),
        requests,
    }
    .to_bytes();
    decode(&world.send(account.channel(), &bytes))
}

fn credited(response: &Response) -> (u8, usize) {
    match response {
        Response::StampsRedeemed { consumed, tokens } => (*consumed, tokens.len()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn redemptions_credit_at_most_the_period_cap_and_the_total_cap() {
    let mut world = World::with_config("reputation caps", config());
    let alice = world.raw_register("+15550001", 5);
    let bob = world.raw_register("+15550002", 0);
    let stamps: Vec<Token> = (0..5)
        .map(|i| earn(&mut world, &bob, &alice.tokens[i]).1)
        .collect();

    // Four stamps, two credited this period: the first two are used up, the others kept.
    let (requests, pending) = world.cold_call_requests(4);
    let bytes = Request::RedeemStamps {
        stamps: stamps[..4].to_vec(),
        requests,
    }
    .to_bytes();
    let Response::StampsRedeemed { consumed, tokens } =
        decode(&world.send(alice.channel(), &bytes))
    else {
        panic!("the redemption was refused")
    };
    assert_eq!((consumed, tokens.len()), (2, 2));
    // The credited tokens are good cold-call tokens.
    let fresh = pending[0].finalize(&tokens[0]).expect("a valid token");
    let call = cold_call_bytes(bob.account(), &fresh, b"paid by reputation");
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &call)),
        Response::ColdCallAccepted { duplicate: false }
    ));
    // A resend gets the same answer and changes nothing.
    let before = world.snapshot();
    let Response::StampsRedeemed {
        consumed: again_consumed,
        tokens: again,
    } = decode(&world.send(alice.channel(), &bytes))
    else {
        panic!("the resend was refused")
    };
    assert_eq!((again_consumed, &again), (consumed, &tokens));
    assert_eq!(world.snapshot(), before);
    // The period's cap is reached: nothing more is credited or used up.
    assert_eq!(credited(&redeem(&mut world, &alice, &stamps[2..4])), (0, 0));

    // Next period: one more token reaches the total cap of 3; a stamp redeemed before is used
    // up without credit.
    world.now += DAY;
    assert_eq!(
        credited(&redeem(
            &mut world,
            &alice,
            &[stamps[0].clone(), stamps[2].clone()]
        )),
        (2, 1)
    );
    // The total is reached: every stamp is worthless and used up.
    world.now += DAY;
    assert_eq!(credited(&redeem(&mut world, &alice, &stamps[3..5])), (2, 0));
    let allowance = world
        .server
        .allowance(world.now, &alice.account())
        .expect("the store answers");
    assert_eq!(allowance.earned, 3);
}

#[test]
fn refused_redemptions_change_nothing() {
    let mut world = World::with_config("reputation refusals", config());
    let alice = world.raw_register("+15550001", 2);
    let bob = world.raw_register("+15550002", 0);
    let (_, stamp) = earn(&mut world, &bob, &alice.tokens[0]);
    let before = world.snapshot();

    // A cold-call token is no stamp, and a stamp pays for no cold call.
    let wrong = redeem(&mut world, &alice, &[alice.tokens[1].clone()]);
    assert!(
        matches!(
            wrong,
            Response::Error {
                code: ErrorCode::InvalidToken,
                ..
            }
        ),
        "{wrong:?}"
    );
    let call = cold_call_bytes(bob.account(), &stamp, b"stamp as a token");
    world.refused(Channel::Anonymous, &call, ErrorCode::InvalidToken);
    // A stamp whose authenticator was altered does not verify.
    let mut bytes = stamp.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let forged = Token::from_bytes(&bytes).expect("still a token");
    let refused = redeem(&mut world, &alice, &[forged]);
    assert!(
        matches!(
            refused,
            Response::Error {
                code: ErrorCode::InvalidToken,
                ..
            }
        ),
        "{refused:?}"
    );
    // One request per stamp.
    let (requests, _) = world.cold_call_requests(2);
    let mismatched = Request::RedeemStamps {
        stamps: vec![stamp.clone()],
        requests,
    }
    .to_bytes();
    world.refused(alice.channel(), &mismatched, ErrorCode::Malformed);
    // Only over the authenticated channel.
    let (requests, _) = world.cold_call_requests(1);
    let anonymous = Request::RedeemStamps {
        stamps: vec![stamp.clone()],
        requests,
    }
    .to_bytes();
    world.refused(Channel::Anonymous, &anonymous, ErrorCode::WrongChannel);
    assert_eq!(world.snapshot(), before);

    // Still good afterwards.
    assert_eq!(credited(&redeem(&mut world, &alice, &[stamp])), (1, 1));
}

#[test]
fn colluders_releasing_each_others_cold_calls_gain_at_most_the_cap() {
    let mut world = World::with_config("reputation colluders", config());
    let a = world.raw_register("+15550001", 1);
    let b = world.raw_register("+15550002", 1);
    let (mut token_a, mut token_b) = (a.tokens[0].clone(), b.tokens[0].clone());
    let mut earned = [0usize; 2];
    // Four periods of calling each other three times a period, redeeming every stamp at once.
    for _ in 0..4 {
        for _ in 0..3 {
            let (next_a, stamp_a) = earn(&mut world, &b, &token_a);
            let (next_b, stamp_b) = earn(&mut world, &a, &token_b);
            (token_a, token_b) = (next_a, next_b);
            earned[0] += credited(&redeem(&mut world, &a, &[stamp_a])).1;
            earned[1] += credited(&redeem(&mut world, &b, &[stamp_b])).1;
        }
        world.now += DAY;
    }
    assert_eq!(earned, [3, 3], "each number earns exactly the total cap");
}

#[test]
fn a_client_redeems_its_stamp_two_to_four_periods_after_the_renewal_for_one_token_more() {
    let mut world = World::with_config("reputation client", config());
    let client_settings = blindpost::client::ClientSettings {
        reputation_period: DAY,
        ..settings()
    };
    let mut alice = world.new_client_with(client_settings.clone());
    let mut bob = world.new_client_with(client_settings);
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    let bob_cert = world.lookup_one(&mut alice, "+15550002");
    world.cold_call(&mut alice, &bob_cert, b"hi bob");
    world.deliver(&mut bob);
    // Bob answers: the release of Alice's token follows at a random time, then her renewal.
    world.reply(&mut bob, alice.account(), b"hi alice");
    world.deliver(&mut alice);
    run_until(&mut world, &mut alice, &mut bob, |alice| {
        alice.stamps() == 1
    });
    assert_eq!(alice.token_counts().total(), 5);
    let renewed_at = world.now;

    // The state blob keeps the stamp.
    let restored = Client::from_bytes(&alice.to_bytes().unwrap(), settings()).unwrap();
    assert_eq!(restored.stamps(), 1);
    assert_eq!(*restored.to_bytes().unwrap(), *alice.to_bytes().unwrap());

    // It leaves two to four periods on, and brings a sixth token.
    let seen = run_until(&mut world, &mut alice, &mut bob, |alice| {
        alice.stamps() == 0
    });
    let period = |t: blindpost::Time| t.window(DAY);
    let later = period(world.now) - period(renewed_at);
    assert!((2..=4).contains(&later), "redeemed {later} periods on");
    assert!(seen
        .iter()
        .any(|e| matches!(e, Event::StampsRedeemed { credited: 1 })));
    assert_eq!(alice.token_counts().total(), 6);
}

/// Runs both clients' hosts, moving the clock to the next time either names, until `done`;
/// returns the events of `a`.
fn run_until(
    world: &mut World,
    a: &mut Client,
    b: &mut Client,
    done: impl Fn(&Client) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    for _ in 0..200 {
        if done(a) {
            return seen;
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .expect("a client names a time");
        world.now = world.now.max(next);
        world.timeout(a);
        world.pump(a);
        seen.extend(world.deliver(a));
        world.timeout(b);
        world.pump(b);
        world.deliver(b);
    }
    panic!("not done after 200 clock moves");
}

/// An operator's check that grants `allowance` to one domain and refuses every other proof as
/// `reason` (the X.509 check itself lives in hosts/bulk-x509 and is tested there).
struct DomainCheck {
    domain: &'static str,
    allowance: u32,
    reason: BulkRefusal,
}

impl BulkSenderCheck for DomainCheck {
    fn check(
        &self,
        now: blindpost::Time,
        _identity_key: &[u8; 48],
        proof: &BulkProof,
    ) -> Result<BulkTier, BulkRefusal> {
        if proof.domain == self.domain {
            Ok(BulkTier {
                allowance: self.allowance,
                valid_until: now + DAY,
            })
        } else {
            Err(self.reason)
        }
    }
}

fn proof(domain: &str) -> BulkProof {
    BulkProof {
        chain: vec![vec![0x30, 0x00]],
        domain: domain.into(),
        scheme: 0x0403,
        signature: vec![1; 64],
    }
}

fn claim(world: &mut World, account: &RawAccount, domain: &str, count: usize) -> Response {
    let (requests, _) = world.cold_call_requests(count);
    let bytes = Request::ClaimBulkTokens {
        proof: proof(domain),
        requests,
    }
    .to_bytes();
    decode(&world.send(account.channel(), &bytes))
}

fn granted(response: &Response) -> usize {
    match response {
        Response::BulkTokens(tokens) => tokens.len(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_bulk_tier_grants_its_allowance_per_period_and_nothing_without_a_check() {
    let mut world = World::with_config("bulk tier", config());
    let sender = world.raw_register("+15550001", 0);
    let refused = claim(&mut world, &sender, "mail.example.com", 4);
    assert!(
        matches!(
            refused,
            Response::Error {
                code: ErrorCode::BulkNotOffered,
                ..
            }
        ),
        "{refused:?}"
    );
    world.server.set_bulk_check(Arc::new(DomainCheck {
        domain: "mail.example.com",
        allowance: 10,
        reason: BulkRefusal::NoTier,
    }));
    let before = world.snapshot();
    let other = claim(&mut world, &sender, "other.example.com", 4);
    assert!(
        matches!(
            other,
            Response::Error {
                code: ErrorCode::BulkNoTier,
                ..
            }
        ),
        "{other:?}"
    );
    assert_eq!(world.snapshot(), before);

    // 10 a period: 8, then the 2 left, then none.
    let (requests, pending) = world.cold_call_requests(8);
    let first = Request::ClaimBulkTokens {
        proof: proof("mail.example.com"),
        requests,
    }
    .to_bytes();
    let Response::BulkTokens(tokens) = decode(&world.send(sender.channel(), &first)) else {
        panic!("the claim was refused")
    };
    assert_eq!(tokens.len(), 8);
    let token = pending[0].finalize(&tokens[0]).expect("a valid token");
    let receiver = world.raw_register("+15550002", 0);
    let call = cold_call_bytes(receiver.account(), &token, b"bulk hello");
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &call)),
        Response::ColdCallAccepted { duplicate: false }
    ));
    // A resend is answered again, counted once.
    let before = world.snapshot();
    assert_eq!(granted(&decode(&world.send(sender.channel(), &first))), 8);
    assert_eq!(world.snapshot(), before);
    assert_eq!(
        granted(&claim(&mut world, &sender, "mail.example.com", 8)),
        2
    );
    assert_eq!(
        granted(&claim(&mut world, &sender, "mail.example.com", 8)),
        0
    );
    assert_eq!(
        world
            .server
            .allowance(world.now, &sender.account())
            .expect("the store answers")
            .bulk_this_period,
        10
    );
    // The next bulk period starts a new allowance.
    world.now += 30 * DAY;
    assert_eq!(
        granted(&claim(&mut world, &sender, "mail.example.com", 4)),
        4
    );
}

#[test]
fn every_refusal_of_the_check_has_its_own_code() {
    let cases = [
        (BulkRefusal::Untrusted, ErrorCode::BulkUntrusted),
        (BulkRefusal::Expired, ErrorCode::BulkExpired),
        (BulkRefusal::WrongDomain, ErrorCode::BulkWrongDomain),
        (BulkRefusal::BadSignature, ErrorCode::BulkBadSignature),
        (
            BulkRefusal::UnsupportedScheme,
            ErrorCode::BulkUnsupportedScheme,
        ),
        (BulkRefusal::Revoked, ErrorCode::BulkRevoked),
        (BulkRefusal::NoTier, ErrorCode::BulkNoTier),
    ];
    let mut world = World::with_config("bulk refusals", config());
    let sender = world.raw_register("+15550001", 0);
    for (reason, code) in cases {
        world.server.set_bulk_check(Arc::new(DomainCheck {
            domain: "granted.example.com",
            allowance: 10,
            reason,
        }));
        match claim(&mut world, &sender, "refused.example.com", 1) {
            Response::Error { code: c, .. } => assert_eq!(c, code),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_client_claims_bulk_tokens_with_its_proof() {
    let mut world = World::with_config("bulk client", config());
    world.server.set_bulk_check(Arc::new(DomainCheck {
        domain: "mail.example.com",
        allowance: 3,
        reason: BulkRefusal::NoTier,
    }));
    let mut sender = world.new_client();
    world.register(&mut sender, "+15550001");
    blindpost::simulation::events(&mut sender);
    sender
        .claim_bulk_tokens(&mut world.rng, world.now, proof("mail.example.com"), 5)
        .unwrap();
    world.settle(&mut sender);
    assert_eq!(
        blindpost::simulation::events(&mut sender),
        vec![Event::BulkTokensGranted { tokens: 3 }]
    );
    assert_eq!(sender.token_counts().available, 8);
    // A refused claim is a failure event and changes no token.
    sender
        .claim_bulk_tokens(&mut world.rng, world.now, proof("other.example.com"), 1)
        .unwrap();
    world.settle(&mut sender);
    assert!(matches!(
        blindpost::simulation::events(&mut sender).as_slice(),
        [Event::RequestFailed { .. }]
    ));
    assert_eq!(sender.token_counts().available, 8);
}
