//! The client's state blob (SPEC.md 13.1) of a new client, and the rejections its decoder
//! must report.

use super::*;

pub(super) fn client_state_file(s: &Sources) -> Generated {
    let o = objects(s);
    let issuers = o.issuers.to_bytes();
    // The client state blob (SPEC.md 13.1) of a new client.
    let keys = ServerKeys {
        certificate_issuers: o.issuers.clone(),
        cold_call_tokens: o.token_keys.clone(),
        discovery_tokens: o.token_keys.clone(),
        stamp_tokens: o.token_keys.clone(),
    };
    let mut rng = VectorRng::new(format!("{SEED}/client").as_bytes());
    let state = Client::new(&mut rng, keys, ClientSettings::default())
        .to_bytes()
        .unwrap()
        .to_vec();
    let w = |e: DecodeError| ClientError::State(StateError::Decode(e));
    let embedded = |field: &'static str, cause: EmbeddedError| {
        ClientError::State(StateError::Embedded { field, cause })
    };
    let mut f = File::new(
        "client_state",
        "the client's persisted state (SPEC.md 13.1), of a new client",
        "client::Client::from_bytes",
        state.clone(),
        |b| Client::from_bytes(b, ClientSettings::default()).map(drop),
        client_json,
    );
    // version || vec16 issuer key set || 3 x vec16 token key set || [32] identity ||
    // vec8 host key || manager key || u8 n former group keys || u8 certificate flag ||
    // u32 n contacts || u32 n tokens || u32 n discovery tokens || u64 next migration ||
    // u32 n stamps ||
    // u32 n releases ||
    // u32 n outbox || u64 next request || u16 n recent deliveries || u32 n lookups ||
    // u64 discovery window || u64 next key check || u8 n code sessions.
    let issuers_len = issuers.len();
    let keys_len = o.token_keys.to_bytes().len();
    let identity_at = 1 + 2 + issuers_len + 3 * (2 + keys_len);
    let group_at = identity_at + 32 + 1;
    let former_at = group_at + GroupManagerKey::SIZE;
    let has_cert_at = former_at + 1;
    let contacts_at = has_cert_at + 1;
    let tokens_at = contacts_at + 4;
    f.case(
        "empty",
        Truncated,
        vec![],
        w(truncated("client_state.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        w(truncated("state.code_sessions", 1, 0)),
    );
    f.case(
        "nine code sessions announced",
        OverlongLength,
        f.with_byte(state.len() - 1, 9),
        w(too_long("state.code_sessions", 9, 8)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        w(trailing("client_state")),
    );
    f.case(
        "version 1 (counts of 16 bits, before SPEC.md 13.1 version 2)",
        UnknownVersion,
        f.with_byte(0, 1),
        w(version("client_state.version", 1)),
    );
    f.case(
        "version 2 (requests without their times, before SPEC.md 13.1 version 3)",
        UnknownVersion,
        f.with_byte(0, 2),
        w(version("client_state.version", 2)),
    );
    f.case(
        "version 3 (before SPEC.md 13.1 version 4: no introduction times, no code sessions)",
        UnknownVersion,
        f.with_byte(0, 3),
        w(version("client_state.version", 3)),
    );
    f.case(
        "version 4 (before SPEC.md 13.1 version 5: no reputation stamps)",
        UnknownVersion,
        f.with_byte(0, 4),
        w(version("client_state.version", 4)),
    );
    f.case(
        "issuer key set of 16385 bytes",
        OverlongLength,
        f.with(1, &16_385u16.to_be_bytes()),
        w(too_long("keys.certificate_issuers", 16_385, 16_384)),
    );
    f.case(
        "issuer key set version 2",
        InvalidEmbeddedObject,
        f.with_byte(3, 2),
        embedded(
            "keys.certificate_issuers",
            CertificateError::Malformed(version("issuer_key_set.version", 2)).into(),
        ),
    );
    f.case(
        "identity key 0",
        InvalidEmbeddedObject,
        f.with(identity_at, &[0; 32]),
        embedded(
            "state.identity",
            BlsError::Decode(dec("bls.secret_key", Kind::ZeroScalar)).into(),
        ),
    );
    let mut one = [0u8; 32];
    one[31] = 1;
    f.case(
        "group manager key with xi1 = 1",
        InconsistentKey,
        f.with(group_at + 1, &one),
        embedded("state.group", bbs04::Error::InconsistentManagerKey.into()),
    );
    f.case(
        "one former group key announced, none present",
        Truncated,
        f.with_byte(former_at, 1),
        w(truncated(
            "state.former_group_key",
            GroupPublicKey::SIZE,
            state.len() - former_at - 1,
        )),
    );
    f.case(
        "five former group keys",
        OverlongLength,
        f.with_byte(former_at, 5),
        w(too_long("state.former_group_keys", 5, 4)),
    );
    f.case(
        "certificate flag 2",
        InvalidValue,
        f.with_byte(has_cert_at, 2),
        w(dec("state.certificate", Kind::InvalidValue)),
    );
    f.case(
        "one contact announced, the blob ending 20 bytes into it",
        Truncated,
        {
            let mut b = f.with(contacts_at, &1u32.to_be_bytes());
            b.truncate(contacts_at + 4 + 20);
            b
        },
        w(truncated("contact.account", 32, 20)),
    );
    let over = MAX_STATE_LIST + 1;
    f.case(
        "2^24 + 1 contacts announced",
        OverlongLength,
        f.with(contacts_at, &u32::try_from(over).unwrap().to_be_bytes()),
        w(too_long("state.contacts", over, MAX_STATE_LIST)),
    );
    f.case(
        "a token slot of kind 6",
        UnknownType,
        f.with(tokens_at, &[0, 0, 0, 1, 6]),
        ClientError::State(StateError::UnknownTag {
            field: "token_slot.kind",
            found: 6,
        }),
    );
    f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        OverlongLength,
        InvalidValue,
        UnknownType,
        InvalidEmbeddedObject,
        InconsistentKey,
    ])
}
