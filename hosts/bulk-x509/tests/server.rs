//! A server with the X.509 check: a bulk sender's claim over the wire gets its tier's tokens,
//! and after the operator revokes the domain the next claim is refused (SPEC.md 18.2).

use blindpost::simulation::raw::decode;
use blindpost::simulation::World;
use blindpost::wire::{ErrorCode, Request, Response};
use blindpost::Time;
use blindpost_bulk_x509::test_ca::TestCa;
use blindpost_bulk_x509::X509BulkCheck;
use std::collections::BTreeMap;
use std::sync::Arc;

const DAY: u64 = 24 * 3600;

#[test]
fn a_claim_with_a_domain_certificate_gets_the_tier_until_the_operator_revokes_it() {
    let mut world = World::new("bulk x509 server");
    let now = world.now;
    let ca = TestCa::new(
        "server test",
        Time::from_unix_secs(now.unix_secs() - DAY),
        now + 365 * DAY,
    )
    .unwrap();
    let tiers = BTreeMap::from([("mail.example.com".to_owned(), 100)]);
    let check = Arc::new(X509BulkCheck::new(&[ca.anchor_der()], tiers).unwrap());
    world.server.set_bulk_check(check.clone());
    let sender = world.raw_register("+15550001", 0);
    let cert = ca
        .issue(
            "mail.example.com",
            Time::from_unix_secs(now.unix_secs() - DAY),
            now + 90 * DAY,
        )
        .unwrap();
    let proof = cert
        .prove(&sender.identity.public_key().to_bytes())
        .unwrap();
    let claim = |world: &mut World| {
        let (requests, pending) = world.cold_call_requests(64);
        let bytes = Request::ClaimBulkTokens {
            proof: proof.clone(),
            requests,
        }
        .to_bytes();
        (decode(&world.send(sender.channel(), &bytes)), pending)
    };
    let (Response::BulkTokens(tokens), pending) = claim(&mut world) else {
        panic!("the claim was refused")
    };
    assert_eq!(tokens.len(), 64);
    pending[0]
        .finalize(&tokens[0])
        .expect("a valid cold-call token");
    // Another account cannot use the proof: it signs the sender's identity key only.
    let thief = world.raw_register("+15550002", 0);
    let (requests, _) = world.cold_call_requests(1);
    let stolen = Request::ClaimBulkTokens {
        proof: proof.clone(),
        requests,
    }
    .to_bytes();
    world.refused(thief.channel(), &stolen, ErrorCode::BulkBadSignature);

    check.revoke("mail.example.com");
    let (refused, _) = claim(&mut world);
    assert!(
        matches!(
            refused,
            Response::Error {
                code: ErrorCode::BulkRevoked,
                ..
            }
        ),
        "{refused:?}"
    );
}
