//! The phase-2 exports seen from Rust: objects are Send + Sync, every core error of the protocol
//! layer maps to its domain's variant and its own kind with the core's message, error codes map one to one, and the
//! exported client and server are the core's (same bytes from the same randomness).

use blindpost::bbs04::Error as GroupError;
use blindpost::blind_rsa::Error as RsaError;
use blindpost::certificate::CertificateError;
use blindpost::client::ClientError;
use blindpost::server::ServerError;
use blindpost::store::StoreError as CoreStoreError;
use blindpost::token::{Error as TokenError, TokenKeyId};
use blindpost::wire::{EmbeddedError, IntroductionError, WireError};
use blindpost::{DecodeError, DecodeErrorKind as CoreKind, Time};
use blindpost_ffi::*;

const T0: u64 = 1_800_000_000;

fn assert_send_sync<T: Send + Sync + ?Sized>() {}

#[test]
fn exported_objects_are_send_and_sync() {
    assert_send_sync::<Client>();
    assert_send_sync::<Server>();
    assert_send_sync::<GroupManagerKey>();
    assert_send_sync::<GroupPublicKey>();
    assert_send_sync::<PreparedGroupKey>();
    assert_send_sync::<MemberKey>();
    assert_send_sync::<GroupSignature>();
    assert_send_sync::<RevocationRecord>();
    assert_send_sync::<TokenChallenge>();
    assert_send_sync::<TokenKeySet>();
    assert_send_sync::<TokenClient>();
    assert_send_sync::<PendingToken>();
    assert_send_sync::<TokenIssuer>();
    assert_send_sync::<BlindRsaPublicKey>();
    assert_send_sync::<BlindRsaSecretKey>();
    assert_send_sync::<dyn ServerStore>();
    assert_send_sync::<dyn ServerStoreFactory>();
}

/// Each case: the core error's message and what it became.
fn check(cases: Vec<(String, BlindpostError)>, expected: &[fn(&BlindpostError) -> bool]) {
    assert_eq!(cases.len(), expected.len());
    for ((message, error), matches) in cases.iter().zip(expected) {
        assert_eq!(&error.to_string(), message);
        assert!(matches(error), "{error:?}");
    }
}

macro_rules! case {
    ($e:expr) => {{
        let e = $e;
        (e.to_string(), BlindpostError::from(e))
    }};
}

#[test]
fn group_signature_errors_map_to_their_kinds() {
    let decode = DecodeError::new("signature.T1", CoreKind::InvalidPoint);
    check(
        vec![
            case!(GroupError::Decode(decode)),
            case!(GroupError::GenerationMismatch {
                member: 1,
                group: 2
            }),
            case!(GroupError::WrongGeneration {
                expected: 3,
                found: 4
            }),
            case!(GroupError::Revoked),
            case!(GroupError::InvalidSignature),
            case!(GroupError::ContextTooLong { length: 70_000 }),
            case!(GroupError::InconsistentManagerKey),
        ],
        &[
            |e| {
                matches!(e, BlindpostError::Malformed { field, kind: DecodeErrorKind::InvalidPoint, reason }
                if field == "signature.T1" && reason.starts_with("bbs04: "))
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Group {
                        kind: GroupErrorKind::GenerationMismatch {
                            member: 1,
                            group: 2
                        },
                        ..
                    }
                )
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Group {
                        kind: GroupErrorKind::WrongGeneration {
                            expected: 3,
                            found: 4
                        },
                        ..
                    }
                )
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Group {
                        kind: GroupErrorKind::Revoked,
                        ..
                    }
                )
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Group {
                        kind: GroupErrorKind::InvalidSignature,
                        ..
                    }
                )
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Group {
                        kind: GroupErrorKind::ContextTooLong { length: 70_000 },
                        ..
                    }
                )
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Group {
                        kind: GroupErrorKind::InconsistentManagerKey,
                        ..
                    }
                )
            },
        ],
    );
}

#[test]
fn token_and_blind_rsa_errors_map_to_their_kinds() {
    let id = TokenKeyId::from_bytes([9; 32]);
    check(
        vec![
            case!(TokenError::BlindRsa(RsaError::InvalidBlindSignature)),
            case!(TokenError::KeySetRollback {
                pinned: 7,
                offered: 6
            }),
            case!(TokenError::KeyWithdrawnEarly { key_id: id }),
            case!(TokenError::UnknownTruncatedKeyId { truncated: 0x9f }),
            case!(TokenError::Decode(DecodeError::new(
                "token.authenticator",
                CoreKind::Truncated {
                    needed: 256,
                    available: 3
                }
            ))),
            case!(RsaError::WrongLength {
                input: "blind signature",
                expected: 256,
                found: 3
            }),
            case!(RsaError::InvalidSignature),
        ],
        &[
            |e| {
                matches!(e, BlindpostError::BlindRsa { kind: BlindRsaErrorKind::InvalidBlindSignature, reason }
                if reason.starts_with("blind RSA: "))
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Token {
                        kind: TokenErrorKind::KeySetRollback {
                            pinned: 7,
                            offered: 6
                        },
                        ..
                    }
                )
            },
            |e| {
                matches!(e, BlindpostError::Token { kind: TokenErrorKind::KeyWithdrawnEarly { key_id }, .. }
                if key_id == &[9; 32])
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Token {
                        kind: TokenErrorKind::UnknownTruncatedKeyId { truncated: 0x9f },
                        ..
                    }
                )
            },
            |e| {
                matches!(e, BlindpostError::Malformed { field, kind: DecodeErrorKind::Truncated, .. }
                if field == "token.authenticator")
            },
            |e| {
                matches!(e, BlindpostError::BlindRsa {
                    kind: BlindRsaErrorKind::WrongLength { input, expected: 256, found: 3 }, ..
                } if input == "blind signature")
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::BlindRsa {
                        kind: BlindRsaErrorKind::InvalidSignature,
                        ..
                    }
                )
            },
        ],
    );
}

#[test]
fn client_wire_and_server_errors_keep_the_outer_message_and_the_inner_kind() {
    check(
        vec![
            case!(ClientError::Group(GroupError::Revoked)),
            case!(ClientError::Certificate(CertificateError::BadSignature)),
            case!(ClientError::Introduction(IntroductionError::Certificate(
                CertificateError::Expired {
                    not_after: Time::from_unix_secs(5),
                    now: Time::from_unix_secs(6)
                }
            ))),
            case!(ClientError::Introduction(
                IntroductionError::FromTheFuture {
                    created_at: Time::from_unix_secs(99)
                }
            )),
            case!(ClientError::Wire(WireError::UnknownType {
                message: "delivery",
                found: 7
            })),
            case!(ClientError::Wire(WireError::Embedded {
                field: "delivery.signature",
                cause: EmbeddedError::Group(GroupError::Decode(DecodeError::new(
                    "signature.T1",
                    CoreKind::InvalidPoint
                ))),
            })),
            case!(ClientError::TooLarge { field: "message" }),
            case!(ClientError::Blocked),
            case!(ServerError::InvalidConfig {
                field: "registration_tokens"
            }),
            case!(ServerError::TokenKeysMismatch {
                purpose: "discovery"
            }),
            case!(CoreStoreError::new("disk full")),
        ],
        &[
            |e| {
                matches!(e, BlindpostError::Group { kind: GroupErrorKind::Revoked, reason }
                if reason.starts_with("client: bbs04: "))
            },
            |e| {
                matches!(e, BlindpostError::Certificate { kind: CertificateErrorKind::BadSignature, reason }
                if reason.starts_with("client: "))
            },
            |e| {
                matches!(e, BlindpostError::Certificate {
                    kind: CertificateErrorKind::Expired { not_after: 5, now: 6 }, reason
                } if reason.starts_with("client: introduction: sender certificate: "))
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Client {
                        kind: ClientErrorKind::FromTheFuture { created_at: 99 },
                        ..
                    }
                )
            },
            |e| {
                matches!(e, BlindpostError::Malformed { field, kind: DecodeErrorKind::UnknownType, reason }
                if field == "delivery" && reason == "client: unknown delivery type 0x07")
            },
            |e| {
                matches!(e, BlindpostError::Malformed { field, kind: DecodeErrorKind::InvalidEmbedded, reason }
                if field == "delivery.signature" && reason.contains("signature.T1"))
            },
            |e| {
                matches!(e, BlindpostError::Client { kind: ClientErrorKind::TooLarge { field }, .. }
                if field == "message")
            },
            |e| {
                matches!(
                    e,
                    BlindpostError::Client {
                        kind: ClientErrorKind::Blocked,
                        ..
                    }
                )
            },
            |e| {
                matches!(e, BlindpostError::Server { kind: ServerErrorKind::InvalidConfig { field }, .. }
                if field == "registration_tokens")
            },
            |e| {
                matches!(e, BlindpostError::Server { kind: ServerErrorKind::TokenKeysMismatch { purpose }, .. }
                if purpose == "discovery")
            },
            |e| {
                matches!(e, BlindpostError::Store { kind: StoreErrorKind::Backend { detail }, .. }
                if detail == "disk full")
            },
        ],
    );
}

#[test]
fn every_core_error_code_has_its_own_variant() {
    let mut seen = std::collections::HashSet::new();
    for code in blindpost::wire::ErrorCode::ALL {
        let ffi = ErrorCode::from(*code);
        assert!(
            !matches!(ffi, ErrorCode::Unknown { .. }),
            "{code:?} is not listed"
        );
        assert!(
            seen.insert(ffi),
            "{code:?} maps onto another code's variant"
        );
        assert_eq!(error_code_number(ffi), code.to_u16());
        assert_eq!(error_code_name(ffi), code.name());
    }
    assert_eq!(
        ErrorCode::from(blindpost::wire::ErrorCode::from_u16(9999)),
        ErrorCode::Unknown { code: 9999 }
    );
}

#[test]
fn defaults_are_the_cores() {
    let settings = client_settings_recommended();
    assert_eq!(
        blindpost::client::ClientSettings::from(&settings),
        blindpost::client::ClientSettings::default()
    );
    let config = server_config_recommended();
    let core = blindpost::server::ServerConfig::default();
    assert_eq!(config.registration_tokens, core.registration_tokens as u64);
    assert_eq!(
        config.discovery_batch_size,
        core.discovery.batch_size as u64
    );
    assert_eq!(config.code_digits, core.code.digits());
}

#[test]
fn vector_rng_client_and_server_are_the_cores() {
    let ffi_server = Server::new_with_vector_rng(
        VectorRng::new(b"world".to_vec()),
        server_config_recommended(),
        b"blindpost.test".to_vec(),
        T0,
    )
    .unwrap();
    let mut rng = blindpost::vector_rng::VectorRng::new(b"world");
    let core_config = blindpost::server::ServerConfig::default();
    let secrets = blindpost::server::ServerSecrets::generate(
        &mut rng,
        Time::from_unix_secs(T0),
        b"blindpost.test",
        &core_config.discovery,
    )
    .unwrap();
    let core_server =
        blindpost::server::Server::new(core_config, secrets, blindpost::store::MemoryStore::new())
            .unwrap();
    let keys = ffi_server.public_keys();
    assert_eq!(
        keys.cold_call_tokens,
        core_server.public_keys().cold_call_tokens.to_bytes()
    );

    let ffi_client = Client::new_with_vector_rng(
        VectorRng::new(b"client".to_vec()),
        keys.clone(),
        client_settings_recommended(),
    )
    .unwrap();
    let core_client = blindpost::client::Client::new(
        &mut blindpost::vector_rng::VectorRng::new(b"client"),
        core_server.public_keys(),
        blindpost::client::ClientSettings::default(),
    );
    assert_eq!(
        ffi_client.to_bytes().unwrap(),
        core_client.to_bytes().unwrap().to_vec()
    );

    // A request through the exported server, its response through the exported client.
    let phone = PhoneNumber::parse("+15550001".into()).unwrap();
    let id = ffi_client.request_code(T0, &phone).unwrap();
    let t = ffi_client.poll_transmit(T0).unwrap();
    assert_eq!((t.id, t.channel.clone()), (id, Channel::Direct));
    let handled = ffi_server.handle(T0, t.channel, t.bytes).unwrap();
    assert_eq!(handled.refusal, None);
    assert!(
        matches!(&handled.outputs[..], [Output::SendCode { phone, code }] if phone == "+15550001" && code.len() == 6)
    );
    ffi_client
        .handle_response(T0, t.id, handled.response)
        .unwrap();
    assert_eq!(
        ffi_client.poll_event(),
        Some(Event::CodeRequested {
            phone: "+15550001".into()
        })
    );
    assert_eq!(ffi_client.outstanding(), 0);
}

#[test]
fn refused_inputs_change_nothing_and_never_panic() {
    let server = Server::new(server_config_recommended(), b"x".to_vec(), T0).unwrap();
    let client = Client::new(server.public_keys(), client_settings_recommended()).unwrap();
    let id = client.refresh_keys(T0);
    let before = client.to_bytes().unwrap();
    for n in [0usize, 1, 3, 100, 5000] {
        let junk = vec![0xA5; n];
        assert!(client.handle_response(T0, id, junk.clone()).is_err());
        assert!(client
            .handle_delivery(T0, junk.clone(), junk.clone())
            .is_err());
        let handled = server.handle(T0, Channel::Anonymous, junk).unwrap();
        assert_eq!(handled.refusal.map(|r| r.code), Some(ErrorCode::Malformed));
    }
    assert_eq!(client.to_bytes().unwrap(), before);
    assert!(matches!(
        server.handle(T0, Channel::Authenticated { account: vec![1; 31] }, vec![]),
        Err(BlindpostError::Malformed { field, .. }) if field == "channel.account"
    ));
    assert!(matches!(
        client.send_cold_call(T0, vec![0; 32], vec![1]),
        Err(BlindpostError::Client {
            kind: ClientErrorKind::NotRegistered,
            ..
        })
    ));
}
