//! Protocol figures: the server accepting a cold call and a reply, a recipient checking an
//! introduction, and one lookup batch against a store of 100,000 accounts.
//!
//! Every server figure is a real request through `Server::handle` on its channel, with a fresh
//! token or signature per call (all prepared before timing), against a `MemoryStore` that
//! holds 100,000 accounts:
//!
//! - `GENUINE` accounts are registered through `Server::handle` (code by "SMS", proof of
//!   possession, certificate; the first ones with 5 token requests, which yield the cold-call
//!   tokens spent below).
//! - The rest are filler: registering 100,000 accounts through the server would take minutes
//!   (proof-of-possession check and certificate signing, about 5 ms each), so the store writes of
//!   a genuine registration (`phone -> account` and `account -> record`, found by diffing the
//!   store, not by knowing its layout) are replayed under other phone numbers and account ids.
//!   Their records are copies of genuine records; the measured lookups never hit them. They make
//!   the store the size it would have with 100,000 accounts.
//!
//! `server.reply_us` is measured interleaved with a bare `PreparedGroupKey::verify` of the same
//! kind of signature (same group key, context form and payload size): `server.reply_ratio` is
//! their quotient (target <= 1.2). `server.fetch_group_key_us`, measured alongside, is the
//! server's cost of reading and decoding one account record, the main part of the difference.

use crate::harness::{interleaved, Op, Report};
use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{BatchEntry, GroupManagerKey, PreparedGroupKey, Signer};
use blindpost::bls::SecretKey;
use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::server::{BatchRequest, Output, Server, ServerConfig, ServerSecrets};
use blindpost::store::{MemoryStore, Store};
use blindpost::token::{self, Token, TokenChallenge};
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::CodeSession;
use blindpost::wire::{
    reply_context, ColdCallRequest, IntroductionContent, Payload, RegisterRequest, ReplyRequest,
    Request, Response,
};
use blindpost::Time;
use rand_core::Rng;
use sha2::{Digest, Sha256};
use std::hint::black_box;

pub const NOW: Time = Time::from_unix_secs(1_800_000_000);
/// Accounts in the store.
pub const ACCOUNTS: usize = 100_000;
/// Accounts registered through the server (two full lookup batches).
pub const GENUINE: usize = 200;
/// Sealed payload size of the cold calls and replies (an introduction is about 850 bytes).
const SEALED: usize = 1024;

const COLD_REPS: usize = 41;
const COLD_INNER: usize = 3;
const REPLY_REPS: usize = 41;
const REPLY_INNER: usize = 3;
const LOOKUP_REPS: usize = 11;
/// Replies per batch, and batches measured.
const BATCH: usize = 16;
const BATCH_REPS: usize = 15;

struct Account {
    id: AccountId,
    identity: SecretKey,
    certificate: Certificate,
}

/// [`BATCH`] reply requests to `recipient`, each with a fresh signature.
fn reply_requests_for(
    signer: &Signer,
    rng: &mut VectorRng,
    recipient: AccountId,
    generation: u32,
    sealed: &[u8],
) -> Vec<Vec<u8>> {
    let context = reply_context(&recipient, generation, NOW);
    (0..BATCH)
        .map(|_| {
            Request::Reply(ReplyRequest {
                recipient,
                generation,
                timestamp: NOW,
                sealed: sealed.to_vec(),
                signature: signer.sign(rng, &context, sealed).unwrap(),
            })
            .to_bytes()
        })
        .collect()
}

/// The phone number of account `n` (genuine below [`GENUINE`], filler below [`ACCOUNTS`], and
/// unregistered above).
pub fn phone(n: usize) -> PhoneNumber {
    PhoneNumber::parse(&format!("+1444{n:08}")).unwrap()
}

/// A fresh code session for `phone` and the code the server sends for it now.
pub fn code_for(
    server: &Server<MemoryStore>,
    rng: &mut VectorRng,
    phone: &PhoneNumber,
) -> (CodeSession, String) {
    let session = CodeSession::generate(rng);
    let h = server.handle(
        rng,
        NOW,
        Channel::Direct,
        &Request::RequestCode {
            phone: phone.clone(),
            session: session.clone(),
        }
        .to_bytes(),
    );
    match h.outputs.first() {
        Some(Output::SendCode { code, .. }) => (session, code.as_str().to_string()),
        other => panic!("no code: {other:?}"),
    }
}

/// The account id of filler account `n` (`GENUINE <= n < ACCOUNTS`).
pub fn filler_id(n: usize) -> AccountId {
    AccountId(Sha256::digest(format!("perf filler account {n}")).into())
}

/// Measures and prints this area's figures.
pub fn run(report: &mut Report) {
    let mut rng = VectorRng::new(b"perf protocol");
    let config = ServerConfig::default();
    let batch = config.discovery.batch_size;
    let secrets =
        ServerSecrets::generate(&mut rng, NOW, b"perf.example", &config.discovery).unwrap();
    let server = Server::new(config, secrets, MemoryStore::new()).unwrap();
    let keys = server.public_keys();

    // Genuine registrations; the first ones ask for tokens (enough for every timed cold call).
    let cold_calls = (COLD_REPS * COLD_INNER + 1).div_ceil(5);
    let recipient_group = GroupManagerKey::generate(&mut rng);
    let shared_group = GroupManagerKey::generate(&mut rng);
    let token_client = token::TokenClient::new(keys.cold_call_tokens.clone());
    let cold_key = keys.cold_call_tokens.preferred_key(NOW).unwrap().clone();
    let cold_challenge = TokenChallenge::cold_call(keys.cold_call_tokens.issuer_name()).unwrap();
    let mut accounts = Vec::with_capacity(GENUINE);
    let mut tokens: Vec<Token> = Vec::new();
    for i in 0..GENUINE {
        let phone = phone(i);
        let (session, code) = code_for(&server, &mut rng, &phone);
        let identity = SecretKey::generate(&mut rng);
        let mut requests = Vec::new();
        let mut pending = Vec::new();
        if i < cold_calls {
            for _ in 0..5 {
                let (r, p) = token_client
                    .request(&mut rng, &cold_challenge, &cold_key, NOW)
                    .unwrap();
                requests.push(r);
                pending.push(p);
            }
        }
        let group = if i == 0 {
            &recipient_group
        } else {
            &shared_group
        };
        let request = Request::Register(RegisterRequest {
            phone,
            session,
            code,
            identity_key: identity.public_key(),
            proof: identity.pop_prove(),
            host_key: None,
            group_key: group.public_key().clone(),
            token_requests: requests,
        });
        let h = server.handle(&mut rng, NOW, Channel::Direct, &request.to_bytes());
        let Response::Registered {
            certificate,
            token_responses,
        } = h.decoded
        else {
            panic!("registration refused: {:?}", h.decoded)
        };
        for (p, r) in pending.iter().zip(&token_responses) {
            tokens.push(p.finalize(r).unwrap());
        }
        accounts.push(Account {
            id: AccountId::for_identity_key(&identity.public_key().to_bytes()),
            identity,
            certificate,
        });
    }

    // Filler: replay one registration's writes under other numbers and ids.
    let store = server.store();
    let snapshot = store.snapshot(NOW).unwrap();
    let sample = &accounts[1];
    let sample_phone = phone(1);
    let phone_prefix = snapshot
        .iter()
        .find(|(k, v)| v.as_slice() == sample.id.as_bytes() && k.ends_with(sample_phone.as_bytes()))
        .map(|(k, _)| k[..k.len() - sample_phone.as_bytes().len()].to_vec())
        .expect("phone -> account entry");
    let account_prefix = snapshot
        .iter()
        .find(|(k, _)| k.ends_with(sample.id.as_bytes()))
        .map(|(k, _)| k[..k.len() - 32].to_vec())
        .expect("account record entry");
    let records: Vec<Vec<u8>> = accounts
        .iter()
        .skip(1)
        .map(|a| {
            let mut key = account_prefix.clone();
            key.extend_from_slice(a.id.as_bytes());
            store.get(&key, NOW).unwrap().unwrap()
        })
        .collect();
    for n in GENUINE..ACCOUNTS {
        let id = filler_id(n).0;
        let mut key = phone_prefix.clone();
        key.extend_from_slice(phone(n).as_bytes());
        store.put(&key, &id, None, NOW).unwrap();
        let mut key = account_prefix.clone();
        key.extend_from_slice(&id);
        store
            .put(&key, &records[n % records.len()], None, NOW)
            .unwrap();
    }
    assert_eq!(
        store.entry_count().unwrap(),
        snapshot.len() + 2 * (ACCOUNTS - GENUINE)
    );

    let mut sealed = vec![0u8; SEALED];
    rng.fill_bytes(&mut sealed);

    // Cold calls to account 1, one fresh token each.
    let cold_requests: Vec<Vec<u8>> = tokens
        .into_iter()
        .map(|token| {
            Request::ColdCall(ColdCallRequest {
                recipient: accounts[1].id,
                token,
                sealed: sealed.clone(),
            })
            .to_bytes()
        })
        .collect();
    let mut cold = cold_requests.iter();
    let mut cold_rng = VectorRng::new(b"perf protocol cold call");
    let coldcall = {
        let mut ops: Vec<Op<'_>> = vec![(
            "server.coldcall",
            Box::new(|| {
                let h = server.handle(
                    &mut cold_rng,
                    NOW,
                    Channel::Anonymous,
                    cold.next().expect("enough tokens"),
                );
                assert!(matches!(
                    h.decoded,
                    Response::ColdCallAccepted { duplicate: false }
                ));
            }),
        )];
        interleaved(&mut ops, COLD_REPS, COLD_INNER)[0]
    };

    // Replies to account 0, one fresh signature each, and the bare verification.
    let recipient = accounts[0].id;
    let prepared = PreparedGroupKey::new(recipient_group.public_key().clone());
    let member = recipient_group.issue_member(&mut rng);
    let signer = Signer::new(&member, &prepared).unwrap();
    let generation = recipient_group.public_key().generation();
    let context = reply_context(&recipient, generation, NOW);
    let reply_requests: Vec<Vec<u8>> = (0..REPLY_REPS * REPLY_INNER + 1)
        .map(|_| {
            Request::Reply(ReplyRequest {
                recipient,
                generation,
                timestamp: NOW,
                sealed: sealed.clone(),
                signature: signer.sign(&mut rng, &context, &sealed).unwrap(),
            })
            .to_bytes()
        })
        .collect();
    let bare = signer.sign(&mut rng, &context, &sealed).unwrap();
    let fetch = Request::FetchGroupKey { account: recipient }.to_bytes();
    let mut replies = reply_requests.iter();
    let mut reply_rng = VectorRng::new(b"perf protocol reply");
    let mut fetch_rng = VectorRng::new(b"perf protocol fetch");
    let reply = {
        let mut ops: Vec<Op<'_>> = vec![
            (
                "server.reply",
                Box::new(|| {
                    let h = server.handle(
                        &mut reply_rng,
                        NOW,
                        Channel::Anonymous,
                        replies.next().expect("enough signatures"),
                    );
                    assert!(matches!(h.decoded, Response::ReplyAccepted));
                }),
            ),
            (
                "verify",
                Box::new(|| {
                    prepared
                        .verify(&context, &sealed, black_box(&bare))
                        .unwrap();
                }),
            ),
            (
                "server.fetch_group_key",
                Box::new(|| {
                    let h = server.handle(&mut fetch_rng, NOW, Channel::Anonymous, &fetch);
                    assert!(matches!(h.decoded, Response::GroupKey(_)));
                }),
            ),
        ];
        interleaved(&mut ops, REPLY_REPS, REPLY_INNER)
    };

    // Sixteen replies to account 0 verified as one batch (SPEC.md 4.16, 12.5.1): the bare
    // batch verification of 16 signatures, the server handling 16 fresh reply requests at
    // once, and one bare verification, interleaved.
    let batch_signatures: Vec<_> = (0..BATCH)
        .map(|_| signer.sign(&mut rng, &context, &sealed).unwrap())
        .collect();
    let batch_entries: Vec<BatchEntry<'_>> = batch_signatures
        .iter()
        .map(|signature| BatchEntry {
            context: &context,
            message: &sealed,
            signature,
        })
        .collect();
    // One batch more than measured: the harness warms up with one call.
    let batch_requests: Vec<Vec<Vec<u8>>> = (0..=BATCH_REPS)
        .map(|_| reply_requests_for(&signer, &mut rng, recipient, generation, &sealed))
        .collect();
    let mut batches = batch_requests.iter();
    let mut batch_rng = VectorRng::new(b"perf protocol reply batch");
    let mut batch_verify_rng = VectorRng::new(b"perf protocol verify batch");
    let batched = {
        let mut ops: Vec<Op<'_>> = vec![
            (
                "server.reply_batch16",
                Box::new(|| {
                    let requests: Vec<BatchRequest<'_>> = batches
                        .next()
                        .expect("enough batches")
                        .iter()
                        .map(|r| BatchRequest {
                            channel: Channel::Anonymous,
                            request: r,
                        })
                        .collect();
                    let handled = server.handle_batch(&mut batch_rng, NOW, &requests);
                    assert!(handled
                        .iter()
                        .all(|h| matches!(h.decoded, Response::ReplyAccepted)));
                }),
            ),
            (
                "verify_batch16",
                Box::new(|| {
                    let results =
                        prepared.verify_batch(&mut batch_verify_rng, black_box(&batch_entries));
                    assert!(results.iter().all(Result::is_ok));
                }),
            ),
            (
                "verify",
                Box::new(|| {
                    prepared
                        .verify(&context, &sealed, black_box(&bare))
                        .unwrap();
                }),
            ),
        ];
        interleaved(&mut ops, BATCH_REPS, 1)
    };

    // An introduction from account 2 to account 1, as the recipient's client checks it.
    let intro_member = shared_group.issue_member(&mut rng);
    let introduction = IntroductionContent {
        certificate: accounts[2].certificate.clone(),
        recipient: accounts[1].id,
        group_key: shared_group.public_key().clone(),
        member_key: intro_member,
        host_material: vec![7u8; 64],
        message: b"hello, this is an introduction of realistic length".to_vec(),
        created_at: NOW,
    }
    .sign(&accounts[2].identity);
    let opened = Payload::Introduction(introduction.clone()).to_bytes();
    let issuers = &keys.certificate_issuers;
    let intro = {
        let mut ops: Vec<Op<'_>> = vec![
            (
                "client.intro_verify",
                Box::new(|| {
                    introduction
                        .verify(issuers, &accounts[1].id, NOW, 300)
                        .unwrap();
                }),
            ),
            (
                "client.intro_open",
                Box::new(|| {
                    let Payload::Introduction(i) = Payload::from_bytes(&opened).unwrap() else {
                        panic!("not an introduction")
                    };
                    i.verify(issuers, &accounts[1].id, NOW, 300).unwrap();
                }),
            ),
        ];
        interleaved(&mut ops, 21, 1)
    };

    // Discovery tokens for the lookups, issued through the server (20 per account and window).
    let window = server.config().discovery.window(NOW);
    let discovery_client = token::TokenClient::new(keys.discovery_tokens.clone());
    let discovery_key = keys.discovery_tokens.preferred_key(NOW).unwrap().clone();
    let discovery_challenge =
        TokenChallenge::discovery(keys.discovery_tokens.issuer_name(), window).unwrap();
    let needed = 2 * (LOOKUP_REPS + 1);
    let per_account = server.config().discovery.tokens_per_window as usize;
    let mut discovery_tokens = Vec::new();
    for account in accounts.iter().skip(10) {
        if discovery_tokens.len() >= needed {
            break;
        }
        let count = per_account.min(needed - discovery_tokens.len());
        let (requests, pending): (Vec<_>, Vec<_>) = (0..count)
            .map(|_| {
                discovery_client
                    .request(&mut rng, &discovery_challenge, &discovery_key, NOW)
                    .unwrap()
            })
            .unzip();
        let h = server.handle(
            &mut rng,
            NOW,
            Channel::Authenticated(account.id),
            &Request::IssueDiscoveryTokens { window, requests }.to_bytes(),
        );
        let Response::DiscoveryTokens(responses) = h.decoded else {
            panic!("discovery tokens refused: {:?}", h.decoded)
        };
        for (p, r) in pending.iter().zip(&responses) {
            discovery_tokens.push(p.finalize(r).unwrap());
        }
    }
    // Batches of K registered numbers (alternating between two), and of K unregistered ones.
    let registered: Vec<Vec<u8>> = discovery_tokens[..LOOKUP_REPS + 1]
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let start = (i % 2) * batch;
            Request::Lookup {
                token: token.clone(),
                phones: (start..start + batch).map(phone).collect(),
            }
            .to_bytes()
        })
        .collect();
    let unregistered: Vec<Vec<u8>> = discovery_tokens[LOOKUP_REPS + 1..]
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let start = ACCOUNTS + i * batch;
            Request::Lookup {
                token: token.clone(),
                phones: (start..start + batch).map(phone).collect(),
            }
            .to_bytes()
        })
        .collect();
    let mut hits = registered.iter();
    let mut misses = unregistered.iter();
    let mut lookup_rng = VectorRng::new(b"perf protocol lookup");
    let mut miss_rng = VectorRng::new(b"perf protocol lookup miss");
    let lookup = {
        let mut ops: Vec<Op<'_>> = vec![
            (
                "server.lookup",
                Box::new(|| {
                    let h = server.handle(
                        &mut lookup_rng,
                        NOW,
                        Channel::Anonymous,
                        hits.next().expect("enough tokens"),
                    );
                    let Response::LookupResult(found) = h.decoded else {
                        panic!("lookup refused: {:?}", h.decoded)
                    };
                    assert_eq!(found.len(), batch);
                }),
            ),
            (
                "server.lookup_unregistered",
                Box::new(|| {
                    let h = server.handle(
                        &mut miss_rng,
                        NOW,
                        Channel::Anonymous,
                        misses.next().expect("enough tokens"),
                    );
                    let Response::LookupResult(found) = h.decoded else {
                        panic!("lookup refused: {:?}", h.decoded)
                    };
                    assert!(found.is_empty());
                }),
            ),
        ];
        interleaved(&mut ops, LOOKUP_REPS, 1)
    };

    report.figure("server.coldcall_us", coldcall);
    report.figure("server.reply_us", reply[0]);
    report.figure("server.reply_verify_us", reply[1]);
    report.figure("server.reply_ratio", reply[0] / reply[1]);
    report.figure("server.fetch_group_key_us", reply[2]);
    let per_signature = BATCH as f64;
    report.figure("server.reply_batch16_us", batched[0] / per_signature);
    report.figure("server.verify_batch16_us", batched[1] / per_signature);
    report.figure("server.batch_verify_us", batched[2]);
    // Issue 17: a signature's share of a 16-signature batch verification over one
    // verification, same backend (<= 0.45); and the same for the server's whole handling of
    // 16 reply requests (decoding, store, replay set included) over one bare verification.
    report.figure(
        "server.reply_batch16_ratio",
        batched[1] / per_signature / batched[2],
    );
    report.figure(
        "server.reply_batch16_handle_ratio",
        batched[0] / per_signature / batched[2],
    );
    report.figure("client.intro_verify_us", intro[0]);
    // One pairing product per introduction (SPEC 10.2; issue 17: <= 2.0).
    report.figure(
        "client.intro_verify_ratio",
        intro[0] / report.get(crate::harness::BACKEND_FLOOR),
    );
    report.figure("client.intro_open_us", intro[1]);
    report.figure("server.lookup_us", lookup[0]);
    report.figure("server.lookup_unregistered_us", lookup[1]);
    // Certificates were validated at registration: a lookup of K registered numbers should
    // cost store reads, not much more than one finding nothing (issue 17: <= 3).
    report.figure("server.lookup_ratio", lookup[0] / lookup[1]);

    crate::anonymous::run(
        report,
        &crate::anonymous::Setup {
            server: &server,
            shared_group: &shared_group,
            recipient: accounts[1].id,
        },
    );
}
