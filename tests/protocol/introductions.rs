//! The recipient's checks of an introduction (SPEC.md 12.3): the sender's certificate under the
//! pinned issuer keys and within its validity, the identity signature over every field, the
//! binding to the recipient, the member key against the enclosed group key, and the timestamp.
//! Every refused introduction must leave the recipient's persistent state byte for byte as it
//! was and produce no event. The sender is hand-built (the test holds its identity key), the
//! recipient is a real client.

use blindpost::account::AccountId;
use blindpost::bbs04::{GroupManagerKey, MemberKey};
use blindpost::bls::SecretKey;
use blindpost::certificate::{
    Certificate, CertificateContent, CertificateError, CertificateIssuer, IssuerKeySet, KeyId,
    CERTIFICATE_DST,
};
use blindpost::client::{Client, ClientError, Event};
use blindpost::simulation::raw::RawAccount;
use blindpost::simulation::{events, World};
use blindpost::wire::{
    padded_len, Delivery, DeliveryHandle, IntroductionContent, IntroductionError, Payload,
};
use blindpost::Time;

struct Setup {
    world: World,
    bob: Client,
    alice: RawAccount,
}

fn setup(seed: &str) -> Setup {
    let mut world = World::new(seed);
    let mut bob = world.new_client();
    world.register(&mut bob, "+15550002");
    let alice = world.raw_register("+15550001", 0);
    Setup { world, bob, alice }
}

impl Setup {
    /// Alice's introduction to `recipient`, with her certificate, group and a fresh member key.
    fn content(&mut self, recipient: AccountId) -> IntroductionContent {
        IntroductionContent {
            certificate: self.alice.certificate.clone(),
            recipient,
            group_key: self.alice.group.public_key().clone(),
            member_key: self.alice.group.issue_member(&mut self.world.rng),
            host_material: b"ratchet".to_vec(),
            message: b"hello bob".to_vec(),
            created_at: self.world.now,
        }
    }

    fn valid(&mut self) -> Vec<u8> {
        let content = self.content(self.bob.account());
        Payload::Introduction(content.sign(&self.alice.identity)).to_bytes()
    }

    /// The cold-call delivery a server would queue for this (opened) payload.
    fn delivery(&mut self, opened: &[u8]) -> Vec<u8> {
        let mut handle = DeliveryHandle([0; 16]);
        rand_core::Rng::fill_bytes(&mut self.world.rng, &mut handle.0);
        Delivery::ColdCall {
            handle,
            received_at: self.world.now,
            // Bob's client is handed `opened` itself; the sealed bytes only fill the delivery.
            sealed: self
                .world
                .seal(&self.bob.account(), &self.bob.account(), opened),
        }
        .to_bytes()
    }

    /// Hands Bob `opened` in a cold call at `now`: it must be refused with `expected`, with no
    /// change of his state and no event.
    #[track_caller]
    fn refused_at(&mut self, now: Time, opened: &[u8], expected: ClientError) {
        let delivery = self.delivery(opened);
        let before = self.bob.to_bytes().unwrap();
        assert_eq!(
            self.bob.handle_delivery(now, &delivery, opened),
            Err(expected)
        );
        assert_eq!(*self.bob.to_bytes().unwrap(), *before, "state changed");
        assert_eq!(self.bob.poll_event(), None, "event produced");
    }

    #[track_caller]
    fn refused(&mut self, opened: &[u8], expected: IntroductionError) {
        self.refused_at(self.world.now, opened, ClientError::Introduction(expected));
    }

    /// After the refusals, the untouched introduction is accepted (so they were refused for
    /// what was changed, not for something in the harness).
    fn accepts_a_valid_one(&mut self) {
        events(&mut self.bob);
        let opened = self.valid();
        let delivery = self.delivery(&opened);
        self.bob
            .handle_delivery(self.world.now, &delivery, &opened)
            .unwrap();
        let got = events(&mut self.bob);
        assert!(
            matches!(got.as_slice(), [Event::IntroductionReceived { contact, cold_call: true, .. }]
                if *contact == self.alice.account()),
            "{got:?}"
        );
    }
}

fn signed(content: IntroductionContent, identity: &SecretKey) -> Vec<u8> {
    Payload::Introduction(content.sign(identity)).to_bytes()
}

#[test]
fn wrong_recipient_bad_signature_future_and_foreign_member_key_are_refused() {
    let mut s = setup("introduction checks");

    // Addressed to another account (and signed correctly for it).
    let other = AccountId([3; 32]);
    let content = s.content(other);
    s.refused(
        &signed(content, &s.alice.identity.clone()),
        IntroductionError::WrongRecipient,
    );

    // Signed by another identity key than the certificate's.
    let content = s.content(s.bob.account());
    let rogue = SecretKey::generate(&mut s.world.rng);
    s.refused(&signed(content, &rogue), IntroductionError::BadSignature);

    // Written after now + the allowed skew (300 s); the edge itself is accepted below.
    let mut content = s.content(s.bob.account());
    content.created_at = s.world.now + 301;
    s.refused(
        &signed(content, &s.alice.identity.clone()),
        IntroductionError::FromTheFuture {
            created_at: s.world.now + 301,
        },
    );

    // A member key of another group than the enclosed group key.
    let mut content = s.content(s.bob.account());
    let other_group = GroupManagerKey::generate(&mut s.world.rng);
    content.member_key = other_group.issue_member(&mut s.world.rng);
    s.refused(
        &signed(content, &s.alice.identity.clone()),
        IntroductionError::BadMemberKey,
    );

    // A member key of a later generation than the enclosed group key.
    let mut content = s.content(s.bob.account());
    let mut bytes = content.member_key.to_bytes();
    bytes[4] = 1;
    content.member_key = MemberKey::from_bytes(&bytes[..]).unwrap();
    s.refused(
        &signed(content, &s.alice.identity.clone()),
        IntroductionError::BadMemberKey,
    );

    // A cold call whose payload is not an introduction at all.
    let message = Payload::Message {
        host_material: Vec::new(),
        message: b"no introduction".to_vec(),
    }
    .to_bytes();
    let now = s.world.now;
    s.refused_at(now, &message, ClientError::UnexpectedResponse);
    s.accepts_a_valid_one();

    // The edge of the skew is accepted (and is newer than the introduction Bob holds).
    let mut content = s.content(s.bob.account());
    content.created_at = s.world.now + 300;
    let edge = signed(content, &s.alice.identity.clone());
    let delivery = s.delivery(&edge);
    s.bob
        .handle_delivery(s.world.now, &delivery, &edge)
        .unwrap();
    events(&mut s.bob);
    // Now an introduction of now is older than the one held: refused (SPEC.md 13.4).
    let older = s.valid();
    s.refused_at(
        now,
        &older,
        ClientError::StaleIntroduction {
            created_at: now,
            stored: now + 300,
        },
    );
}

#[test]
fn forged_and_expired_certificates_are_refused() {
    let mut s = setup("introduction certificates");
    let real = s.alice.certificate.clone();
    let issuers = s.bob.server_keys().certificate_issuers.clone();
    let real_id = issuers.keys()[0].id();

    // A certificate for Alice's number and key from an issuer Bob does not pin.
    let rogue = SecretKey::generate(&mut s.world.rng);
    let rogue_issuer =
        CertificateIssuer::new(rogue.clone(), real.not_before(), real.not_after()).unwrap();
    let rogue_cert = rogue_issuer
        .issue(CertificateContent {
            serial: 1,
            ..real.content().clone()
        })
        .unwrap();
    IssuerKeySet::new(vec![*rogue_issuer.issuer_key()])
        .unwrap()
        .verify_certificate(&rogue_cert, s.world.now, None)
        .expect("the rogue certificate is well made");
    let mut content = s.content(s.bob.account());
    content.certificate = rogue_cert.clone();
    s.refused(
        &signed(content, &s.alice.identity.clone()),
        IntroductionError::Certificate(CertificateError::UnknownIssuer {
            key_id: rogue_issuer.issuer_key().id(),
        }),
    );

    // The same certificate naming the pinned issuer key, signed by the rogue key over exactly
    // what the real issuer would sign (the signing is checked to reproduce the rogue issuer's
    // own signature first).
    let sign_tbs = |tbs: &[u8]| {
        let mut message = vec![CERTIFICATE_DST.len() as u8];
        message.extend_from_slice(CERTIFICATE_DST);
        message.extend_from_slice(tbs);
        rogue.sign(&message).to_bytes()
    };
    let rogue_bytes = rogue_cert.to_bytes();
    let (tbs, sig) = rogue_bytes.split_at(rogue_bytes.len() - 96);
    assert_eq!(sign_tbs(tbs), sig);
    let mut tbs = tbs.to_vec();
    assert_eq!(&tbs[1..9], &rogue_issuer.issuer_key().id().to_bytes());
    tbs[1..9].copy_from_slice(&real_id.to_bytes());
    let mut forged = tbs.clone();
    forged.extend_from_slice(&sign_tbs(&tbs));
    let forged = Certificate::from_bytes(&forged).unwrap();
    let mut content = s.content(s.bob.account());
    content.certificate = forged;
    s.refused(
        &signed(content, &s.alice.identity.clone()),
        IntroductionError::Certificate(CertificateError::BadSignature),
    );

    // Alice's real certificate, but Bob's clock is past its end (or before its start).
    let opened = s.valid();
    let after = real.not_after() + 1;
    s.refused_at(
        after,
        &opened,
        ClientError::Introduction(IntroductionError::Certificate(CertificateError::Expired {
            not_after: real.not_after(),
            now: after,
        })),
    );
    let before = real.not_before() - 1;
    s.refused_at(
        before,
        &opened,
        ClientError::Introduction(IntroductionError::Certificate(
            CertificateError::NotYetValid {
                not_before: real.not_before(),
                now: before,
            },
        )),
    );
    s.accepts_a_valid_one();
}

/// Where each field of an encoded introduction payload starts.
struct Layout {
    certificate: usize,
    certificate_len: usize,
    recipient: usize,
    group_key: usize,
    member_key: usize,
    host_material: usize,
    message: usize,
    created_at: usize,
    signature: usize,
}

fn layout(payload: &[u8]) -> Layout {
    let certificate_len = usize::from(u16::from_be_bytes([payload[2], payload[3]]));
    let certificate = 4;
    let recipient = certificate + certificate_len;
    let group_key = recipient + 32;
    let member_key = group_key + 389;
    let host_material = member_key + 85;
    let host_len = usize::from(u16::from_be_bytes([
        payload[host_material],
        payload[host_material + 1],
    ]));
    let message = host_material + 2 + host_len;
    let message_len = usize::from(u16::from_be_bytes([payload[message], payload[message + 1]]));
    let created_at = message + 2 + message_len;
    let signature = created_at + 8;
    // Zero padding up to the bucket follows (SPEC.md 10.1).
    assert_eq!(padded_len(signature + 96), Some(payload.len()));
    assert!(payload[signature + 96..].iter().all(|b| *b == 0));
    Layout {
        certificate,
        certificate_len,
        recipient,
        group_key,
        member_key,
        host_material,
        message,
        created_at,
        signature,
    }
}

#[test]
fn every_tampered_field_is_refused() {
    let mut s = setup("introduction tampering");
    let valid = s.valid();
    let l = layout(&valid);
    let cert_phone = l.certificate + 1 + 8 + 24 + 1; // version, issuer id, serial + validity, len
    assert_eq!(
        &valid[cert_phone..cert_phone + 9],
        b"+15550001",
        "layout of the certificate"
    );
    // (what, byte offset, xor mask, the error if the payload still decodes)
    let bad_signature = ClientError::Introduction(IntroductionError::BadSignature);
    let bad_certificate = ClientError::Introduction(IntroductionError::Certificate(
        CertificateError::BadSignature,
    ));
    let cases: Vec<(&str, usize, u8, Option<ClientError>)> = vec![
        ("payload version", 0, 0x02, None),
        ("payload kind", 1, 0x02, None),
        ("certificate length", 2, 0x01, None),
        ("certificate version", l.certificate, 0x02, None),
        (
            "certificate issuer id",
            l.certificate + 1,
            0x01,
            Some(ClientError::Introduction(IntroductionError::Certificate(
                CertificateError::UnknownIssuer {
                    key_id: KeyId::from_bytes({
                        let mut id: [u8; 8] = valid[l.certificate + 1..l.certificate + 9]
                            .try_into()
                            .unwrap();
                        id[0] ^= 0x01;
                        id
                    }),
                },
            ))),
        ),
        (
            "certificate serial",
            l.certificate + 9,
            0x01,
            Some(bad_certificate.clone()),
        ),
        (
            "certificate not_after",
            l.certificate + 32,
            0x01,
            Some(bad_certificate.clone()),
        ),
        (
            "certificate phone digit",
            cert_phone + 8,
            0x03,
            Some(bad_certificate.clone()),
        ),
        ("certificate identity key flag", cert_phone + 9, 0x80, None),
        (
            "certificate signature flag",
            l.certificate + l.certificate_len - 96,
            0x80,
            None,
        ),
        (
            "recipient",
            l.recipient + 5,
            0x01,
            Some(bad_signature.clone()),
        ),
        ("group key version", l.group_key, 0x02, None),
        (
            "group key generation",
            l.group_key + 4,
            0x01,
            Some(bad_signature.clone()),
        ),
        ("group key g1 flag", l.group_key + 5, 0x80, None),
        ("group key w flag", l.group_key + 389 - 96, 0x80, None),
        (
            "member key generation",
            l.member_key + 4,
            0x01,
            Some(bad_signature.clone()),
        ),
        ("member key A flag", l.member_key + 5, 0x80, None),
        (
            "member key x",
            l.member_key + 84,
            0x01,
            Some(bad_signature.clone()),
        ),
        ("host material length", l.host_material + 1, 0x01, None),
        (
            "host material",
            l.host_material + 2,
            0x01,
            Some(bad_signature.clone()),
        ),
        ("message length", l.message + 1, 0x01, None),
        ("message", l.message + 2, 0x20, Some(bad_signature.clone())),
        (
            "created_at",
            l.created_at + 7,
            0x01,
            Some(bad_signature.clone()),
        ),
        ("signature flag", l.signature, 0x80, None),
    ];
    for (what, offset, mask, if_decodes) in cases {
        let mut tampered = valid.clone();
        tampered[offset] ^= mask;
        let expected = match (Payload::from_bytes(&tampered), if_decodes) {
            (Err(e), None) => ClientError::Wire(e),
            (Ok(_), Some(expected)) => expected,
            (Err(e), Some(_)) => panic!("{what}: expected to decode, got {e}"),
            (Ok(_), None) => panic!("{what}: expected not to decode"),
        };
        let now = s.world.now;
        s.refused_at(now, &tampered, expected);
    }
    // Truncated, extended and re-padded payloads.
    let now = s.world.now;
    let unpadded = l.signature + 96;
    let mut nonzero_pad = valid.clone();
    *nonzero_pad.last_mut().unwrap() = 1;
    for tampered in [
        valid[..valid.len() - 1].to_vec(),
        [&valid[..], &[0]].concat(),
        valid[..unpadded].to_vec(),
        valid[..unpadded - 1].to_vec(),
        nonzero_pad,
    ] {
        let e = Payload::from_bytes(&tampered).unwrap_err();
        s.refused_at(now, &tampered, ClientError::Wire(e));
    }
    s.accepts_a_valid_one();
}
