//! Cheap checks first and a bounded prepared-key cache (issue 14 point 4; SPEC.md 12.5, 12.9,
//! 14.3): a reply that fails a cheap check decodes and prepares nothing, the cache never holds
//! more bytes than configured whatever number of accounts passes through it, it serves replies
//! from several threads at once, and lookups hand out stored certificates that clients still
//! decode and verify in full.

use blindpost::account::{AccountId, Channel};
use blindpost::bbs04::{GroupManagerKey, GroupPublicKey, MemberKey, PreparedGroupKey};
use blindpost::certificate::EncodedCertificate;
use blindpost::client::Event;
use blindpost::server::{KeyCacheStats, ServerConfig};
use blindpost::simulation::raw::{decode, error_code, phone};
use blindpost::simulation::{events, World};
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{reply_context, reply_timestamp, ErrorCode, ReplyRequest, Request, Response};
use blindpost::Time;

/// Bytes a prepared group key's tables alone take (the rest of an entry is bookkeeping). They
/// depend on the backend: blst keeps no G2 line tables.
fn prepared_heap_bytes(world: &mut World) -> usize {
    let group = GroupManagerKey::generate(&mut world.rng);
    PreparedGroupKey::new(group.public_key().clone()).heap_bytes()
}

/// A reply to `recipient` signed by `member` under `group`, claiming `generation`.
fn reply_bytes(
    rng: &mut VectorRng,
    recipient: AccountId,
    member: &MemberKey,
    group: &GroupPublicKey,
    generation: u32,
    timestamp: Time,
) -> Vec<u8> {
    let prepared = PreparedGroupKey::new(group.clone());
    let context = reply_context(&recipient, generation, timestamp);
    let sealed = b"a sealed reply".to_vec();
    let signature = member.sign(rng, &prepared, &context, &sealed).unwrap();
    Request::Reply(ReplyRequest {
        recipient,
        generation,
        timestamp,
        sealed,
        signature,
    })
    .to_bytes()
}

fn fetch_bytes(account: AccountId) -> Vec<u8> {
    Request::FetchGroupKey { account }.to_bytes()
}

fn stats(world: &World) -> KeyCacheStats {
    world.server.key_cache_stats()
}

#[test]
fn the_key_cache_stays_within_its_byte_bound_after_more_accounts_than_fit() {
    // Room for one prepared key per shard (16 shards of one and a half keys' tables: the
    // bookkeeping is far below half a key's), and 40 accounts: by pigeonhole some shard must
    // evict.
    let heap = prepared_heap_bytes(&mut World::new("key size"));
    let bound = 16 * (heap + heap / 2);
    let config = ServerConfig {
        prepared_key_cache_bytes: bound,
        ..ServerConfig::default()
    };
    let mut world = World::with_config("key cache bound", config);
    let accounts: Vec<_> = (0..40)
        .map(|i| world.raw_register(&format!("+1555010{i:02}"), 0))
        .collect();
    for account in &accounts {
        let response = world.send(Channel::Anonymous, &fetch_bytes(account.account()));
        assert!(matches!(decode(&response), Response::GroupKey(_)));
        let s = stats(&world);
        assert!(s.bytes <= bound, "{s:?} over {bound}");
        assert!(s.entries <= 16, "{s:?}: more than one key per shard");
    }
    let s = stats(&world);
    assert_eq!(s.misses, 40, "every account's key prepared once: {s:?}");
    assert!(s.entries < 40, "nothing was evicted: {s:?}");
    assert!(s.bytes >= s.entries * heap, "entries undercounted: {s:?}");

    // Evicted or not, every account's key is still served, and correct.
    for account in &accounts {
        let Response::GroupKey(update) =
            decode(&world.send(Channel::Anonymous, &fetch_bytes(account.account())))
        else {
            panic!("fetch refused")
        };
        assert_eq!(&update.group_key, account.group.public_key());
    }
    assert!(stats(&world).bytes <= bound);
}

#[test]
fn a_disabled_key_cache_holds_nothing_and_still_serves() {
    let config = ServerConfig {
        prepared_key_cache_bytes: 0,
        ..ServerConfig::default()
    };
    let mut world = World::with_config("key cache disabled", config);
    let bob = world.raw_register("+15550201", 0);
    for _ in 0..2 {
        let response = world.send(Channel::Anonymous, &fetch_bytes(bob.account()));
        assert!(matches!(decode(&response), Response::GroupKey(_)));
    }
    let s = stats(&world);
    assert_eq!((s.entries, s.bytes, s.misses, s.hits), (0, 0, 2, 0));
}

#[test]
fn stale_generation_and_clock_skew_replies_decode_and_prepare_nothing() {
    let mut world = World::new("cheap reply checks");
    let bob = world.raw_register("+15550301", 0);
    let group = bob.group.public_key().clone();
    let member = bob.group.issue_member(&mut world.rng);
    let now = world.now;
    let timestamp = reply_timestamp(now);
    let skew = world.server.config().reply_skew;
    let far = Time::from_unix_secs(timestamp.unix_secs() + 3600);
    assert!(far.unix_secs() > now.unix_secs() + skew);

    let stale = reply_bytes(&mut world.rng, bob.account(), &member, &group, 1, timestamp);
    let early = reply_bytes(&mut world.rng, bob.account(), &member, &group, 0, far);
    // Both wrong: the clock is checked before the store is read at all.
    let both = reply_bytes(&mut world.rng, AccountId([7; 32]), &member, &group, 0, far);
    world.refused(Channel::Anonymous, &stale, ErrorCode::StaleGeneration);
    world.refused(Channel::Anonymous, &early, ErrorCode::ClockSkew);
    world.refused(Channel::Anonymous, &both, ErrorCode::ClockSkew);
    assert_eq!(
        stats(&world),
        KeyCacheStats::default(),
        "a cheap refusal prepared a key"
    );

    // A reply that passes the cheap checks pays for the key once, and then hits the cache.
    let good = reply_bytes(&mut world.rng, bob.account(), &member, &group, 0, timestamp);
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &good)),
        Response::ReplyAccepted
    ));
    let again = reply_bytes(&mut world.rng, bob.account(), &member, &group, 0, timestamp);
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &again)),
        Response::ReplyAccepted
    ));
    let s = stats(&world);
    assert_eq!((s.misses, s.hits, s.entries), (1, 1, 1), "{s:?}");
}

#[test]
fn the_key_cache_serves_concurrent_replies_from_several_threads() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 3;
    let mut world = World::new("concurrent cached replies");
    let accounts: Vec<_> = (0..4)
        .map(|i| world.raw_register(&format!("+1555040{i}"), 0))
        .collect();
    let timestamp = reply_timestamp(world.now);
    // Thread i replies to account i % 4; odd threads also send a reply signed for the wrong
    // recipient (it must fail to verify, whatever the cache holds).
    let mut requests: Vec<Vec<(Vec<u8>, bool)>> = Vec::new();
    for i in 0..THREADS {
        let to = &accounts[i % accounts.len()];
        let other = &accounts[(i + 1) % accounts.len()];
        let member = to.group.issue_member(&mut world.rng);
        let group = to.group.public_key().clone();
        let mut mine = Vec::new();
        for _ in 0..PER_THREAD {
            let bytes = reply_bytes(&mut world.rng, to.account(), &member, &group, 0, timestamp);
            mine.push((bytes, true));
        }
        if i % 2 == 1 {
            // Signed under this group but addressed to another account: bad_signature.
            let mut forged =
                reply_bytes(&mut world.rng, to.account(), &member, &group, 0, timestamp);
            let at = forged
                .windows(32)
                .position(|w| w == to.account().as_bytes())
                .unwrap();
            forged[at..at + 32].copy_from_slice(other.account().as_bytes());
            mine.push((forged, false));
        }
        requests.push(mine);
    }
    let (server, now) = (&world.server, world.now);
    let barrier = std::sync::Barrier::new(THREADS);
    let outcomes: Vec<Vec<(Option<ErrorCode>, bool)>> = std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .iter()
            .enumerate()
            .map(|(i, mine)| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut rng = VectorRng::new(format!("thread {i}").as_bytes());
                    barrier.wait();
                    mine.iter()
                        .map(|(bytes, genuine)| {
                            let h = server.handle(&mut rng, now, Channel::Anonymous, bytes);
                            (error_code(&h.response), *genuine)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (code, genuine) in outcomes.into_iter().flatten() {
        let expected = if genuine {
            None
        } else {
            Some(ErrorCode::BadSignature)
        };
        assert_eq!(code, expected);
    }
    let s = stats(&world);
    assert_eq!(s.entries, accounts.len(), "{s:?}");
    // Each account's key is prepared at least once; racing misses may prepare it again, but
    // never more often than requests reached the key.
    let verified = (THREADS * PER_THREAD + THREADS / 2) as u64;
    assert!(s.misses >= accounts.len() as u64, "{s:?}");
    assert_eq!(s.misses + s.hits, verified, "{s:?}");
}

#[test]
fn lookup_results_still_decode_and_verify_on_the_client() {
    let mut world = World::new("lookup hands out stored certificates");
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550501");
    world.register(&mut bob, "+15550502");
    let found = world.lookup_one(&mut alice, "+15550502");
    assert_eq!(found.phone(), &phone("+15550502"));
    assert_eq!(
        AccountId::for_identity_key(&found.identity_key().to_bytes()),
        bob.account()
    );
    world
        .server
        .public_keys()
        .certificate_issuers
        .verify_certificate(&found, world.now, Some(&phone("+15550502")))
        .unwrap();

    // The answer carries certificates as stored; one altered on the way (its serial changed:
    // it decodes, but the issuer's signature fails) and one cut short (it does not decode)
    // are dropped by the client, which decodes and verifies each itself.
    let genuine = EncodedCertificate::from(&found);
    let mut altered = genuine.as_bytes().to_vec();
    altered[12] ^= 1; // in the serial (after version and the 8-byte issuer key id)
    let cut = genuine.as_bytes()[..100].to_vec();
    let tampered = Response::LookupResult(vec![
        EncodedCertificate::new(altered),
        EncodedCertificate::new(cut),
        genuine.clone(),
    ])
    .to_bytes();
    alice
        .lookup(&mut world.rng, world.now, vec![phone("+15550502")])
        .unwrap();
    let mut answered = false;
    for _ in 0..20 {
        while let Some(t) = alice.poll_transmit(Time::MAX) {
            let mut response = world.send_from(Some(alice.account()), t.channel, &t.bytes);
            if matches!(decode(&response), Response::LookupResult(_)) {
                response = tampered.clone();
                answered = true;
            }
            alice
                .handle_response(&mut world.rng, world.now, t.id, &response)
                .unwrap();
        }
        if alice.outstanding() == 0 {
            break;
        }
        world.now = world.now.max(alice.poll_timeout().unwrap());
        world.timeout(&mut alice);
    }
    assert!(answered, "the lookup never left");
    let found_now: Vec<_> = events(&mut alice)
        .into_iter()
        .filter_map(|e| match e {
            Event::LookupCompleted { found } => Some(found),
            _ => None,
        })
        .collect();
    assert_eq!(found_now, [vec![found]]);
}
