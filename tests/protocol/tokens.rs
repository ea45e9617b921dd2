//! The life of a cold-call token on the server: attached by a cold call, released only by the
//! account it is attached to, renewed once, never spent again. Every refusal is checked to
//! leave the store exactly as it was.

use blindpost::account::Channel;
use blindpost::simulation::raw::{cold_call_bytes, decode, RawAccount};
use blindpost::simulation::World;
use blindpost::wire::{Delivery, DeliveryHandle, ErrorCode, Request, Response};

fn release(handle: DeliveryHandle) -> Vec<u8> {
    Request::Release { handle }.to_bytes()
}

/// Alice cold-calls Bob with her first token; returns the handle Bob got it under.
fn cold_call(world: &mut World, alice: &RawAccount, bob: &RawAccount) -> DeliveryHandle {
    let response = world.send(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &alice.tokens[0], b"sealed hello"),
    );
    assert!(matches!(
        decode(&response),
        Response::ColdCallAccepted { duplicate: false }
    ));
    match world.queued(&bob.account()).as_slice() {
        [Delivery::ColdCall { handle, sealed, .. }] => {
            assert_eq!(sealed, b"sealed hello");
            *handle
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_the_recipient_can_release_and_only_known_handles() {
    let mut world = World::new("release rights");
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let carol = world.raw_register("+15550003", 0);
    let handle = cold_call(&mut world, &alice, &bob);

    // Before the release the sender cannot renew.
    let (requests, _) = world.cold_call_requests(1);
    let renew = Request::RenewToken {
        token: alice.tokens[0].clone(),
        request: requests[0].clone(),
        stamp: world.stamp_request(b"renewal"),
    }
    .to_bytes();
    world.refused(Channel::Anonymous, &renew, ErrorCode::NotReleased);

    // Neither another account nor the sender can release it; nor can an unknown handle be
    // released.
    world.refused(carol.channel(), &release(handle), ErrorCode::NotYourToken);
    world.refused(alice.channel(), &release(handle), ErrorCode::NotYourToken);
    let mut unknown = handle;
    unknown.0[0] ^= 1;
    world.refused(bob.channel(), &release(unknown), ErrorCode::UnknownHandle);
    world.refused(
        bob.channel(),
        &release(DeliveryHandle([0; 16])),
        ErrorCode::UnknownHandle,
    );
    // Releases travel only on the authenticated channel.
    world.refused(
        Channel::Anonymous,
        &release(handle),
        ErrorCode::WrongChannel,
    );

    // Bob can; a second release is an idempotent retry that changes nothing.
    let before = world.snapshot();
    assert!(matches!(
        decode(&world.send(bob.channel(), &release(handle))),
        Response::Released
    ));
    let after = world.snapshot();
    assert_ne!(before, after, "the release changed the token's state");
    assert!(matches!(
        decode(&world.send(bob.channel(), &release(handle))),
        Response::Released
    ));
    assert_eq!(world.snapshot(), after);

    // And now the renewal goes through.
    assert!(matches!(
        decode(&world.send(Channel::Anonymous, &renew)),
        Response::TokenRenewed { .. }
    ));
}

#[test]
fn a_released_token_is_renewed_exactly_once_and_never_spent_again() {
    let mut world = World::new("renew once");
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let carol = world.raw_register("+15550003", 0);
    let token = alice.tokens[0].clone();
    let handle = cold_call(&mut world, &alice, &bob);

    // A token the server never saw attached cannot be renewed.
    let stranger = world.raw_register("+15550004", 1);
    let (requests, pending) = world.cold_call_requests(2);
    world.refused(
        Channel::Anonymous,
        &Request::RenewToken {
            token: stranger.tokens[0].clone(),
            request: requests[0].clone(),
            stamp: world.stamp_request(b"renewal"),
        }
        .to_bytes(),
        ErrorCode::UnknownToken,
    );

    assert!(matches!(
        decode(&world.send(bob.channel(), &release(handle))),
        Response::Released
    ));
    // Released but not yet renewed: still not spendable.
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(carol.account(), &token, b"reuse"),
        ErrorCode::TokenSpent,
    );

    let first = Request::RenewToken {
        token: token.clone(),
        request: requests[0].clone(),
        stamp: world.stamp_request(b"renewal"),
    }
    .to_bytes();
    let Response::TokenRenewed {
        token: response, ..
    } = decode(&world.send(Channel::Anonymous, &first))
    else {
        panic!("renewal refused")
    };
    // A resend of the same renewal gets the same signature and changes nothing.
    let before = world.snapshot();
    let Response::TokenRenewed { token: again, .. } =
        decode(&world.send(Channel::Anonymous, &first))
    else {
        panic!("resent renewal refused")
    };
    assert_eq!(again, response);
    assert_eq!(world.snapshot(), before);

    // Another renewal of the same token is refused.
    let second = Request::RenewToken {
        token: token.clone(),
        request: requests[1].clone(),
        stamp: world.stamp_request(b"renewal"),
    }
    .to_bytes();
    world.refused(Channel::Anonymous, &second, ErrorCode::TokenSpent);

    // The renewed token is spent for good: not to Bob with the original payload (that is not
    // a retry any more), not to anyone else.
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &token, b"sealed hello"),
        ErrorCode::TokenSpent,
    );
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(carol.account(), &token, b"another"),
        ErrorCode::TokenSpent,
    );

    // The fresh token works once.
    let fresh = pending[0].finalize(&response).unwrap();
    assert_ne!(fresh.to_bytes(), token.to_bytes());
    assert!(matches!(
        decode(&world.send(
            Channel::Anonymous,
            &cold_call_bytes(carol.account(), &fresh, b"fresh")
        )),
        Response::ColdCallAccepted { duplicate: false }
    ));
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &fresh, b"fresh again"),
        ErrorCode::TokenSpent,
    );
}

#[test]
fn a_cold_call_to_an_unknown_recipient_does_not_use_up_the_token() {
    let mut world = World::new("unknown recipient");
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let token = alice.tokens[0].clone();
    let nobody = blindpost::account::AccountId([7; 32]);
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(nobody, &token, b"hello"),
        ErrorCode::UnknownRecipient,
    );
    // A token that does not verify (its authenticator altered) is refused as invalid.
    let mut forged = token.to_bytes();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged = blindpost::token::Token::from_bytes(&forged).unwrap();
    world.refused(
        Channel::Anonymous,
        &cold_call_bytes(bob.account(), &forged, b"hello"),
        ErrorCode::InvalidToken,
    );
    assert!(matches!(
        decode(&world.send(
            Channel::Anonymous,
            &cold_call_bytes(bob.account(), &token, b"hello")
        )),
        Response::ColdCallAccepted { duplicate: false }
    ));
}

#[test]
fn a_resent_cold_call_is_queued_again_until_its_token_is_released() {
    // SPEC.md 12.8: the host of the first attempt may have died between the token's attachment
    // and its queueing, so a resend queues the same delivery again while the token is attached.
    let mut world = World::new("cold call resend queues again");
    let alice = world.raw_register("+15550001", 1);
    let bob = world.raw_register("+15550002", 0);
    let bytes = cold_call_bytes(bob.account(), &alice.tokens[0], b"sealed hello");
    let handle = cold_call(&mut world, &alice, &bob);
    world.take_queued(&bob.account());

    let before = world.snapshot();
    let again = world.send(Channel::Anonymous, &bytes);
    assert!(matches!(
        decode(&again),
        Response::ColdCallAccepted { duplicate: true }
    ));
    assert_eq!(world.snapshot(), before, "a resend stores nothing new");
    match world.queued(&bob.account()).as_slice() {
        [Delivery::ColdCall {
            handle: h, sealed, ..
        }] => assert_eq!((h, sealed.as_slice()), (&handle, &b"sealed hello"[..])),
        other => panic!("{other:?}"),
    }
    world.take_queued(&bob.account());

    // Once Bob released the token, a resend is still acknowledged but queues nothing.
    let released = world.send(Channel::Authenticated(bob.account()), &release(handle));
    assert!(matches!(decode(&released), Response::Released));
    let late = world.send(Channel::Anonymous, &bytes);
    assert!(matches!(
        decode(&late),
        Response::ColdCallAccepted { duplicate: true }
    ));
    assert!(world.queued(&bob.account()).is_empty());
}
