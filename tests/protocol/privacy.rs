//! What the server sees (SPEC.md 1, 11.2): a full conversation between real clients, with every
//! request the server received, its response and what it wrote to the store, checked for
//! anything that names the sender of an anonymous request.
//!
//! What the server can tell:
//! - At registration (direct channel): the phone number, identity key, account id, group key
//!   and certificate of an account, and how many blinded tokens it was given.
//! - From a cold call: that someone holding a valid token sent a sealed payload of some size to
//!   a recipient at some time; the token itself (spent now, unlinkable to its issuance).
//! - From a reply: that some member of the recipient's group (at a given generation) sent a
//!   sealed payload to it, with the signer's clock to 600 s and the payload's size bucket
//!   (SPEC.md 10.1, 10.3). Only the recipient can open the signature.
//! - From a group key fetch: that someone is about to reply to that account (every member's
//!   fetch is the same bytes, whatever generation it holds).
//! - From a release (the one authenticated request of a conversation): that the recipient
//!   accepted the cold call with that delivery handle, at a randomised later time.
//! - From a renewal: that the sender of that cold call (whoever it is) got a fresh blinded token.
//! - From discovery: that an account took n tokens in a window (authenticated), and that some
//!   holder of a token of the window looked up these numbers (anonymous).
//!
//! What it cannot tell: who sent a cold call, reply, fetch, renewal or lookup; which member of
//! a group signed a reply, or whether two replies came from the same member; which issuance a
//! spent token came from. Nothing in those requests, their responses or the state the server
//! keeps for them names the sender — which is what the tests below check, byte string by byte
//! string. (Network-level correlation is the anonymous transport's concern, not checked here.)

use crate::conversation::{conversation, Conversation};
use blindpost::account::Channel;
use blindpost::client::Client;
use blindpost::simulation::raw::{contains, phone};
use blindpost::simulation::{Received, World};
use blindpost::token::Token;
use blindpost::wire::{Payload, Request, RequestType, Response, MIN_PADDED_LEN};

/// Byte strings that identify one account. Strings of 16 bytes or more are matched by every
/// 16-byte window (so a partial copy counts); only high-entropy strings are listed that way.
struct Identifying {
    name: &'static str,
    whole: Vec<(String, Vec<u8>)>,
    windows: Vec<(String, Vec<u8>)>,
}

const WINDOW: usize = 16;

impl Identifying {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            whole: Vec::new(),
            windows: Vec::new(),
        }
    }

    fn whole(&mut self, what: impl Into<String>, bytes: &[u8]) {
        self.whole.push((what.into(), bytes.to_vec()));
    }

    fn windows(&mut self, what: impl Into<String>, bytes: &[u8]) {
        assert!(bytes.len() >= WINDOW);
        self.windows.push((what.into(), bytes.to_vec()));
    }

    /// The first identifying string found in `haystack`.
    fn found_in(&self, haystack: &[u8]) -> Option<String> {
        for (what, needle) in &self.whole {
            if contains(haystack, needle) {
                return Some(what.clone());
            }
        }
        let mut windows = std::collections::HashMap::new();
        for (what, needle) in &self.windows {
            for w in needle.windows(WINDOW) {
                windows.entry(w).or_insert(what);
            }
        }
        haystack
            .windows(WINDOW)
            .find_map(|w| windows.get(w).map(|what| (*what).clone()))
    }

    #[track_caller]
    fn assert_absent(&self, haystack: &[u8], context: &str) {
        if let Some(what) = self.found_in(haystack) {
            panic!("{context} contains {}'s {what}", self.name);
        }
    }
}

fn request_type(r: &Received) -> RequestType {
    RequestType::from_u8(r.bytes[1]).unwrap()
}

/// Everything of `client` that would identify it, from its state and the transcripts of its
/// registration and discovery issuance.
fn identifying(
    name: &'static str,
    client: &Client,
    phone_number: &str,
    world: &World,
    member_keys: &[blindpost::bbs04::MemberKey],
) -> Identifying {
    let mut id = Identifying::new(name);
    id.whole("phone number", phone(phone_number).as_bytes());
    let certificate = client.certificate().unwrap();
    id.whole("certificate", &certificate.to_bytes());
    id.windows("certificate signature", &certificate.signature().to_bytes());
    id.windows("identity key", &certificate.identity_key().to_bytes());
    id.windows("account id", client.account().as_bytes());
    // The group key without its version and generation: its six points.
    id.windows("group key", &client.group_key().to_bytes()[5..]);
    for m in member_keys {
        id.windows("member id (A)", &m.id().to_bytes());
        id.windows("member key", &m.to_bytes()[5..]);
    }
    let mine = world
        .received
        .iter()
        .filter(|r| r.sender == Some(client.account()));
    for r in mine {
        match (
            Request::from_bytes(&r.bytes).unwrap(),
            decode_ok(&r.response),
        ) {
            (
                Request::Register(req),
                Response::Registered {
                    token_responses, ..
                },
            ) => {
                for t in &req.token_requests {
                    id.windows("blinded registration token request", t.blinded_msg());
                }
                for t in &token_responses {
                    id.windows("registration token response", t.blind_sig());
                }
            }
            (
                Request::IssueDiscoveryTokens { requests, .. },
                Response::DiscoveryTokens(responses),
            ) => {
                for t in &requests {
                    id.windows("blinded discovery token request", t.blinded_msg());
                }
                for t in &responses {
                    id.windows("discovery token response", t.blind_sig());
                }
            }
            _ => {}
        }
    }
    id
}

fn decode_ok(response: &[u8]) -> Response {
    Response::from_bytes(response).unwrap()
}

/// The unlinkable parts of a token (nonce and authenticator; the key id and challenge are
/// shared by every token of a key).
fn token_needles(token: &Token, what: &str) -> Identifying {
    let mut id = Identifying::new("spent token");
    id.windows(format!("{what} nonce"), token.nonce());
    id.windows(format!("{what} authenticator"), token.authenticator());
    id
}

fn tracked_conversation() -> Conversation {
    let mut world = World::new("privacy");
    world.track_store();
    conversation(world)
}

#[test]
fn anonymous_requests_and_what_the_server_stores_for_them_name_no_sender() {
    let c = tracked_conversation();
    let world = &c.world;
    let alice = identifying(
        "Alice",
        &c.alice,
        "+15550001",
        world,
        std::slice::from_ref(&c.alice_in_bob),
    );
    let bob = identifying(
        "Bob",
        &c.bob,
        "+15550002",
        world,
        std::slice::from_ref(&c.bob_in_alice),
    );

    // The matching works: each account's registration request names it.
    for (who, id) in [(c.alice.account(), &alice), (c.bob.account(), &bob)] {
        let register = world
            .received
            .iter()
            .find(|r| r.sender == Some(who) && request_type(r) == RequestType::Register)
            .unwrap();
        assert!(id.found_in(&register.bytes).is_some());
        assert!(id.found_in(&register.response).is_some());
    }

    let mut checked = std::collections::BTreeMap::<&str, usize>::new();
    for (i, r) in world.received.iter().enumerate() {
        let Some(sender) = r.sender else { continue };
        if r.channel != Channel::Anonymous {
            continue;
        }
        let (own, name) = if sender == c.alice.account() {
            (&alice, "Alice")
        } else if sender == c.bob.account() {
            (&bob, "Bob")
        } else {
            continue;
        };
        let kind = request_type(r).name();
        *checked.entry(kind).or_default() += 1;
        let context = format!("request {i} ({kind}) from {name}");
        own.assert_absent(&r.bytes, &context);
        own.assert_absent(&r.response, &format!("the response to {context}"));
        for (key, value) in &r.stored {
            own.assert_absent(key, &format!("a store key written by {context}"));
            own.assert_absent(value, &format!("a store value written by {context}"));
        }
    }
    // Every kind of anonymous request of the conversation was looked at.
    for kind in [
        "cold_call",
        "reply",
        "fetch_group_key",
        "renew_token",
        "lookup",
        "fetch_keys",
    ] {
        assert!(
            checked.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} seen"
        );
    }
}

#[test]
fn the_release_names_only_the_recipient() {
    let c = tracked_conversation();
    let world = &c.world;
    let alice = identifying(
        "Alice",
        &c.alice,
        "+15550001",
        world,
        std::slice::from_ref(&c.alice_in_bob),
    );
    let releases: Vec<&Received> = world
        .received
        .iter()
        .filter(|r| request_type(r) == RequestType::Release)
        .collect();
    assert_eq!(releases.len(), 1);
    let release = releases[0];
    // On Bob's authenticated channel, carrying only the handle Bob's delivery came with.
    assert_eq!(release.channel, Channel::Authenticated(c.bob.account()));
    assert_eq!(release.sender, Some(c.bob.account()));
    assert_eq!(release.bytes, [&[1, 0x20][..], &c.handle.0[..]].concat());
    alice.assert_absent(&release.bytes, "the release");
    alice.assert_absent(&release.response, "the release's response");
    for (key, value) in &release.stored {
        alice.assert_absent(key, "a store key written by the release");
        alice.assert_absent(value, "a store value written by the release");
    }
    // And the handle is the server's random name, not something of the cold call's token.
    for r in &world.received {
        if let Ok(Request::ColdCall(call)) = Request::from_bytes(&r.bytes) {
            assert!(!contains(&call.token.to_bytes(), &c.handle.0));
        }
    }
}

#[test]
fn spent_tokens_do_not_appear_in_any_issuance_transcript() {
    let c = tracked_conversation();
    let world = &c.world;
    let issuance: Vec<&Received> = world
        .received
        .iter()
        .filter(|r| {
            matches!(
                request_type(r),
                RequestType::Register | RequestType::RenewToken | RequestType::IssueDiscoveryTokens
            )
        })
        .collect();
    let renewals = issuance
        .iter()
        .filter(|r| request_type(r) == RequestType::RenewToken)
        .count();
    assert_eq!(renewals, 1);
    let mut spent = 0;
    for r in &world.received {
        let (token, what) = match Request::from_bytes(&r.bytes).unwrap() {
            Request::ColdCall(call) => (call.token, "cold-call token"),
            Request::Lookup { token, .. } => (token, "discovery token"),
            _ => continue,
        };
        spent += 1;
        let needles = token_needles(&token, what);
        for t in &issuance {
            let kind = request_type(t).name();
            // A renewal carries the old token in the clear (it is spent already); what it must
            // not carry is the token it issues.
            if kind == "renew_token" {
                if let Ok(Request::RenewToken { token: old, .. }) = Request::from_bytes(&t.bytes) {
                    if old == token {
                        continue;
                    }
                }
            }
            needles.assert_absent(&t.bytes, &format!("a {kind} request"));
            needles.assert_absent(&t.response, &format!("a {kind} response"));
        }
    }
    // Two cold calls and one lookup.
    assert_eq!(spent, 3);
}

/// Issue 13 finding 4: a first reply carries an introduction (about 800 bytes more than a plain
/// message), so its size alone told the server which replies were first ones. Both are padded to
/// the same bucket when the text is a few hundred bytes and the host material typical.
#[test]
fn a_reply_with_an_introduction_and_a_plain_reply_have_the_same_size() {
    let mut world = World::new("padding");
    let mut alice = world.new_client();
    let mut bob = world.new_client();
    world.register(&mut alice, "+15550001");
    world.register(&mut bob, "+15550002");
    let cert = world.lookup_one(&mut alice, "+15550002");
    world.cold_call(&mut alice, &cert, b"hello");
    world.deliver(&mut bob);

    let text = [7u8; 200];
    let host_material = [9u8; 256];
    let first = bob
        .compose_reply(
            &mut world.rng,
            world.now,
            alice.account(),
            &text,
            &host_material,
        )
        .unwrap();
    let later = bob
        .compose_reply(
            &mut world.rng,
            world.now,
            alice.account(),
            &text,
            &host_material,
        )
        .unwrap();
    assert!(matches!(
        Payload::from_bytes(&first),
        Ok(Payload::Introduction(_))
    ));
    assert!(matches!(
        Payload::from_bytes(&later),
        Ok(Payload::Message { .. })
    ));
    assert_eq!(first.len(), later.len());
    assert_eq!(first.len(), MIN_PADDED_LEN);
    // So are the sealed payloads the server sees.
    assert_eq!(
        world.seal(&bob.account(), &alice.account(), &first).len(),
        world.seal(&bob.account(), &alice.account(), &later).len()
    );
}
