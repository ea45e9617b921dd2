//! The authenticated channel's credential checked by the server (SPEC.md 17.2): accepted once
//! for a registered account and this request, refused with its reason otherwise, and a refusal
//! stores nothing.

use blindpost::host_auth::{AuthError, AUTH_SKEW};
use blindpost::simulation::World;

const PATH: &str = "/v1/authenticated";

#[test]
fn a_credential_authenticates_its_account_once_and_only_for_its_request() {
    let mut world = World::new("host auth");
    let mut alice = world.new_client();
    let stranger = world.new_client();
    world.register(&mut alice, "+15550001");
    let now = world.now;

    let auth = alice
        .authorize(&mut world.rng, now, "POST", PATH, b"body")
        .unwrap()
        .to_bytes();
    let refused = |world: &mut World, auth: &[u8], method, path, body: &[u8], at| {
        let before = world.snapshot();
        let result = world.server.authenticate(at, auth, method, path, body);
        assert_eq!(world.snapshot(), before, "a refusal stores nothing");
        result
    };
    // Another method, path or body, a clock too far either way, a truncated credential.
    assert_eq!(
        refused(&mut world, &auth, "GET", PATH, b"body", now),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        refused(&mut world, &auth, "POST", "/v1/deliveries", b"body", now),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        refused(&mut world, &auth, "POST", PATH, b"other", now),
        Err(AuthError::BadSignature)
    );
    for at in [now + (AUTH_SKEW + 1), now - (AUTH_SKEW + 1)] {
        assert_eq!(
            refused(&mut world, &auth, "POST", PATH, b"body", at),
            Err(AuthError::ClockSkew)
        );
    }
    assert_eq!(
        refused(&mut world, &auth[1..], "POST", PATH, b"body", now),
        Err(AuthError::Malformed)
    );
    // An identity key no account is registered under, with a valid signature.
    let unknown = stranger
        .authorize(&mut world.rng, now, "POST", PATH, b"body")
        .unwrap()
        .to_bytes();
    assert_eq!(
        refused(&mut world, &unknown, "POST", PATH, b"body", now),
        Err(AuthError::UnknownAccount)
    );

    // The right request: accepted once, as Alice; the same credential again is a replay.
    assert_eq!(
        world.server.authenticate(now, &auth, "POST", PATH, b"body"),
        Ok(alice.account())
    );
    assert_eq!(
        refused(&mut world, &auth, "POST", PATH, b"body", now + 1),
        Err(AuthError::Replayed)
    );
    // A fresh credential for the same request is a new one.
    let fresh = alice
        .authorize(&mut world.rng, now, "POST", PATH, b"body")
        .unwrap()
        .to_bytes();
    assert_eq!(
        world
            .server
            .authenticate(now, &fresh, "POST", PATH, b"body"),
        Ok(alice.account())
    );
    // The replay record lives exactly as long as the credential's time can pass the clock check.
    world.server.maintain(now + AUTH_SKEW).unwrap();
    assert_eq!(
        refused(&mut world, &auth, "POST", PATH, b"body", now + AUTH_SKEW),
        Err(AuthError::Replayed)
    );
    world.server.maintain(now + (AUTH_SKEW + 1)).unwrap();
    assert_eq!(
        refused(
            &mut world,
            &auth,
            "POST",
            PATH,
            b"body",
            now + (AUTH_SKEW + 1)
        ),
        Err(AuthError::ClockSkew)
    );
}
