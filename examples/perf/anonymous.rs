//! What an anonymous party can make the server do (issue 14; SPEC.md 16): every request it can
//! send without an account, each under the worst state it can set up, against the 100,000-account
//! store of `protocol.rs`.
//!
//! - `reply_cold_bad_signature`: a reply to an account whose key is not cached (a different
//!   account each call, so every call decodes and prepares a key), signed under the right group
//!   but for another context, so it fails only at the end of verification.
//! - `reply_stale_generation`: the same to uncached accounts, claiming a generation they do not
//!   have.
//! - `fetch_group_key_uncached`: a group key fetch of an uncached account.
//! - `cold_call_invalid_token`: a cold call whose token's authenticator was altered.
//! - `renew_unknown_token`: a renewal of a token the server never saw.
//! - `lookup`: K registered numbers with a valid token (`server.lookup_us` of this run).
//! - `register_wrong_code`: a full registration (proof of possession, 5 token requests) with a
//!   wrong code, each for a fresh number so no wrong-code limit kicks in.
//! - `register_in_cooldown`: a registration with a fresh right code (its own code session) and 5
//!   token requests for a number the token policy gives none (inside the cool-down), a
//!   different number each call so no registration limit kicks in: the proof of possession and
//!   a certificate, and no RSA signature (SPEC.md 12.2). It needs a code sent to a phone the
//!   attacker holds, at most 3 such registrations per number and week.
//! - `request_code`, `fetch_keys`.
//!
//! `server.worst_anonymous_us` is the largest of these medians, printed with its name;
//! `server.worst_anonymous_ratio` divides it by `bbs04.verify_us` of the same run.
//!
//! `server.key_cache_bytes_10k` is the prepared-key cache's bytes after 10,000 distinct
//! accounts' keys went through it (a fetch and a bad-signature reply each), beside the
//! configured bound (`server.key_cache_bound`).

use crate::harness::{interleaved, Op, Report};
use crate::protocol::{code_for, filler_id, phone, ACCOUNTS, GENUINE, NOW};
use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{GroupManagerKey, PreparedGroupKey, Signer};
use blindpost::bls::SecretKey;
use blindpost::server::Server;
use blindpost::store::MemoryStore;
use blindpost::token::{Token, TokenChallenge, TokenClient};
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::CodeSession;
use blindpost::wire::{
    reply_context, ColdCallRequest, RegisterRequest, ReplyRequest, Request, Response,
};

const REPS: usize = 31;
/// Fillers the timed replies and fetches use (each call its own account), far from those of
/// the 10,000-account fill.
const TIMED_FILLERS: usize = 60_000;
/// Accounts whose keys go through the cache for `server.key_cache_bytes_10k`.
const CACHE_FILL: usize = 10_000;

/// What the protocol figures set up and this module reuses.
pub struct Setup<'a> {
    /// The server with its 100,000 accounts.
    pub server: &'a Server<MemoryStore>,
    /// The group of every filler account (and of the genuine accounts but the first).
    pub shared_group: &'a GroupManagerKey,
    /// A registered account the cold calls go to.
    pub recipient: AccountId,
}

fn handle(server: &Server<MemoryStore>, rng: &mut VectorRng, request: &[u8]) -> Response {
    server.handle(rng, NOW, Channel::Anonymous, request).decoded
}

fn direct(server: &Server<MemoryStore>, rng: &mut VectorRng, request: &[u8]) -> Response {
    server.handle(rng, NOW, Channel::Direct, request).decoded
}

fn refused(response: &Response) -> bool {
    matches!(response, Response::Error { .. })
}

/// Measures and prints this area's figures.
pub fn run(report: &mut Report, setup: &Setup<'_>) {
    let server = setup.server;
    let mut rng = VectorRng::new(b"perf anonymous");
    let keys = server.public_keys();

    // A signature under the fillers' group, for a context none of them has.
    let prepared = PreparedGroupKey::new(setup.shared_group.public_key().clone());
    let member = setup.shared_group.issue_member(&mut rng);
    let signer = Signer::new(&member, &prepared).unwrap();
    let sealed = vec![0x5au8; 1024];
    let elsewhere = reply_context(&AccountId([0; 32]), 0, NOW);
    let signature = signer.sign(&mut rng, &elsewhere, &sealed).unwrap();
    let reply_to = |recipient: AccountId, generation: u32| {
        Request::Reply(ReplyRequest {
            recipient,
            generation,
            timestamp: NOW,
            sealed: sealed.clone(),
            signature: signature.clone(),
        })
        .to_bytes()
    };
    let cold_replies: Vec<Vec<u8>> = (0..=REPS)
        .map(|i| reply_to(filler_id(TIMED_FILLERS + i), 0))
        .collect();
    let stale_replies: Vec<Vec<u8>> = (0..=REPS)
        .map(|i| reply_to(filler_id(TIMED_FILLERS + 1_000 + i), 1))
        .collect();
    let fetches: Vec<Vec<u8>> = (0..=REPS)
        .map(|i| {
            Request::FetchGroupKey {
                account: filler_id(TIMED_FILLERS + 2_000 + i),
            }
            .to_bytes()
        })
        .collect();

    // A number that got its tokens: registering it again with new token requests is inside the
    // cool-down. Its first registration's tokens, altered, make the invalid tokens.
    let cold_challenge = TokenChallenge::cold_call(keys.cold_call_tokens.issuer_name()).unwrap();
    let cold_key = keys.cold_call_tokens.preferred_key(NOW).unwrap().clone();
    let token_client = TokenClient::new(keys.cold_call_tokens.clone());
    let token_requests = |rng: &mut VectorRng| {
        (0..5)
            .map(|_| {
                token_client
                    .request(rng, &cold_challenge, &cold_key, NOW)
                    .unwrap()
            })
            .unzip::<_, _, Vec<_>, Vec<_>>()
    };
    let farmed = phone(ACCOUNTS + 900_000);
    let register = |rng: &mut VectorRng,
                    phone: &blindpost::certificate::PhoneNumber,
                    (session, code): &(CodeSession, String)| {
        let identity = SecretKey::generate(rng);
        let (requests, pending) = token_requests(rng);
        let bytes = Request::Register(RegisterRequest {
            phone: phone.clone(),
            session: session.clone(),
            code: code.clone(),
            identity_key: identity.public_key(),
            proof: identity.pop_prove(),
            host_key: None,
            group_key: setup.shared_group.public_key().clone(),
            token_requests: requests,
        })
        .to_bytes();
        (bytes, pending)
    };
    let farmed_code = code_for(server, &mut rng, &farmed);
    let (first, pending) = register(&mut rng, &farmed, &farmed_code);
    let Response::Registered {
        token_responses, ..
    } = direct(server, &mut rng, &first)
    else {
        panic!("the first registration of the farmed number was refused")
    };
    let tokens: Vec<Token> = pending
        .iter()
        .zip(&token_responses)
        .map(|(p, r)| p.finalize(r).unwrap())
        .collect();
    let mut altered = tokens[0].to_bytes();
    *altered.last_mut().unwrap() ^= 1;
    let invalid = Token::from_bytes(&altered).unwrap();
    let invalid_cold_call = Request::ColdCall(ColdCallRequest {
        recipient: setup.recipient,
        token: invalid.clone(),
        sealed: sealed.clone(),
    })
    .to_bytes();
    let (renewal_requests, _) = token_requests(&mut rng);
    let unknown_renewal = Request::RenewToken {
        token: invalid,
        request: renewal_requests[0].clone(),
        // Refused before any request is looked at: a stamp request's content does not matter.
        stamp: renewal_requests[1].clone(),
    }
    .to_bytes();
    // Numbers that got their tokens, each with a fresh code for a second registration.
    let farming: Vec<Vec<u8>> = (0..=REPS)
        .map(|i| {
            let number = phone(ACCOUNTS + 900_001 + i);
            let first = code_for(server, &mut rng, &number);
            let (bytes, _) = register(&mut rng, &number, &first);
            let registered = direct(server, &mut rng, &bytes);
            assert!(
                matches!(registered, Response::Registered { .. }),
                "{registered:?}"
            );
            let again = code_for(server, &mut rng, &number);
            register(&mut rng, &number, &again).0
        })
        .collect();
    let wrong_codes: Vec<Vec<u8>> = (0..=REPS)
        .map(|i| {
            let phone = phone(ACCOUNTS + 800_000 + i);
            let (session, right) = code_for(server, &mut rng, &phone);
            let wrong = if right == "000000" {
                "000001"
            } else {
                "000000"
            };
            register(&mut rng, &phone, &(session, wrong.to_string())).0
        })
        .collect();
    let code_requests: Vec<Vec<u8>> = (0..=REPS)
        .map(|i| {
            Request::RequestCode {
                phone: phone(ACCOUNTS + 700_000 + i),
                session: CodeSession::generate(&mut rng),
            }
            .to_bytes()
        })
        .collect();
    let fetch_keys = Request::FetchKeys.to_bytes();

    let (mut cold, mut stale, mut fetch) =
        (cold_replies.iter(), stale_replies.iter(), fetches.iter());
    let (mut farm, mut wrong, mut codes) =
        (farming.iter(), wrong_codes.iter(), code_requests.iter());
    let mut op_rng = VectorRng::new(b"perf anonymous ops");
    let op_rng = std::cell::RefCell::new(&mut op_rng);
    let mut ops: Vec<Op<'_>> = vec![
        (
            "reply_cold_bad_signature",
            Box::new(|| {
                let r = handle(server, &mut op_rng.borrow_mut(), cold.next().unwrap());
                assert!(refused(&r), "{r:?}");
            }),
        ),
        (
            "reply_stale_generation",
            Box::new(|| {
                let r = handle(server, &mut op_rng.borrow_mut(), stale.next().unwrap());
                assert!(refused(&r), "{r:?}");
            }),
        ),
        (
            "fetch_group_key_uncached",
            Box::new(|| {
                let r = handle(server, &mut op_rng.borrow_mut(), fetch.next().unwrap());
                assert!(matches!(r, Response::GroupKey(_)), "{r:?}");
            }),
        ),
        (
            "cold_call_invalid_token",
            Box::new(|| {
                let r = handle(server, &mut op_rng.borrow_mut(), &invalid_cold_call);
                assert!(refused(&r), "{r:?}");
            }),
        ),
        (
            "renew_unknown_token",
            Box::new(|| {
                let r = handle(server, &mut op_rng.borrow_mut(), &unknown_renewal);
                assert!(refused(&r), "{r:?}");
            }),
        ),
        (
            "register_wrong_code",
            Box::new(|| {
                let r = direct(server, &mut op_rng.borrow_mut(), wrong.next().unwrap());
                assert!(refused(&r), "{r:?}");
            }),
        ),
        (
            "register_in_cooldown",
            Box::new(|| {
                // Registered, without tokens: never tokens inside the cool-down.
                match direct(server, &mut op_rng.borrow_mut(), farm.next().unwrap()) {
                    Response::Registered {
                        token_responses, ..
                    } => assert!(token_responses.is_empty()),
                    r => panic!("{r:?}"),
                }
            }),
        ),
        (
            "request_code",
            Box::new(|| {
                let r = direct(server, &mut op_rng.borrow_mut(), codes.next().unwrap());
                assert!(matches!(r, Response::CodeSent), "{r:?}");
            }),
        ),
        (
            "fetch_keys",
            Box::new(|| {
                let r = handle(server, &mut op_rng.borrow_mut(), &fetch_keys);
                assert!(matches!(r, Response::Keys(_)), "{r:?}");
            }),
        ),
    ];
    let medians = interleaved(&mut ops, REPS, 1);
    let names: Vec<&str> = ops.iter().map(|(n, _)| *n).collect();
    drop(ops);
    let mut all: Vec<(String, f64)> = names
        .iter()
        .zip(&medians)
        .map(|(n, m)| (n.to_string(), *m))
        .collect();
    all.push(("lookup".to_string(), report.get("server.lookup_us")));
    for (name, median) in &all {
        report.figure(&format!("server.anonymous.{name}_us"), *median);
    }
    let (worst_name, worst) = all
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .cloned()
        .unwrap();
    report.figure_named("server.worst_anonymous_us", worst, &worst_name);
    report.figure(
        "server.worst_anonymous_ratio",
        worst / report.get(&format!("{}.verify_us", crate::harness::BBS04)),
    );

    // 10,000 distinct accounts' keys through the cache: a fetch and a reply each.
    for n in GENUINE..GENUINE + CACHE_FILL {
        let account = filler_id(n);
        let r = handle(
            server,
            &mut rng,
            &Request::FetchGroupKey { account }.to_bytes(),
        );
        assert!(matches!(r, Response::GroupKey(_)));
        let r = handle(server, &mut rng, &reply_to(account, 0));
        assert!(refused(&r), "{r:?}");
    }
    let stats = server.key_cache_stats();
    let bound = server.config().prepared_key_cache_bytes;
    assert!(stats.bytes <= bound, "{stats:?} over {bound}");
    report.figure_named(
        "server.key_cache_bytes_10k",
        stats.bytes as f64,
        &format!("bound {bound} entries {}", stats.entries),
    );
}
