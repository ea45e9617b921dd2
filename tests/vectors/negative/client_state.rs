//! The client's state blob (SPEC.md 13.1) of a new client, and the rejections its decoder
//! must report.

use super::*;

pub(super) fn client_state_file(s: &Sources) -> Generated {
    let o = objects(s);
    let d = WireError::Decode;
    let issuers = o.issuers.to_bytes();
    // The client state blob (SPEC.md 13.1) of a new client.
    let keys = ServerKeys {
        certificate_issuers: o.issuers.clone(),
        cold_call_tokens: o.token_keys.clone(),
        discovery_tokens: o.token_keys.clone(),
    };
    let mut rng = VectorRng::new(format!("{SEED}/client").as_bytes());
    let state = Client::new(&mut rng, keys, ClientSettings::default())
        .to_bytes()
        .to_vec();
    let w = |e: WireError| ClientError::Wire(e);
    let mut f = File::new(
        "client_state",
        "the client's persisted state (SPEC.md 13.1), of a new client",
        "client::Client::from_bytes",
        state.clone(),
        |b| Client::from_bytes(b, ClientSettings::default()).map(drop),
        client_json,
    );
    let issuers_len = issuers.len();
    let keys_len = o.token_keys.to_bytes().len();
    let identity_at = 1 + 4 + issuers_len + 2 * (4 + keys_len);
    let group_at = identity_at + 32 + 1;
    let former_at = group_at + GroupManagerKey::SIZE;
    let has_cert_at = former_at + 2;
    f.case(
        "empty",
        Truncated,
        vec![],
        w(d(truncated("client_state.version", 1, 0))),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        w(d(truncated("state.recent_deliveries", 2, 1))),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        w(d(trailing("client_state"))),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        w(d(version("client_state.version", 2))),
    );
    f.case(
        "issuer key set of 2^20 + 1 bytes",
        OverlongLength,
        f.with(1, &(1u32 << 20 | 1).to_be_bytes()),
        w(d(too_long("state.issuers", (1 << 20) + 1, 1 << 20))),
    );
    f.case(
        "issuer key set version 2",
        InvalidEmbeddedObject,
        f.with_byte(5, 2),
        w(embedded(
            "state.issuers",
            CertificateError::Malformed(version("issuer_key_set.version", 2)),
        )),
    );
    f.case(
        "identity key 0",
        InvalidEmbeddedObject,
        f.with(identity_at, &[0; 32]),
        w(embedded(
            "state.identity",
            BlsError::Decode(dec("bls.secret_key", Kind::ZeroScalar)),
        )),
    );
    let mut one = [0u8; 32];
    one[31] = 1;
    f.case(
        "group manager key with xi1 = 1",
        InconsistentKey,
        f.with(group_at + 1, &one),
        w(embedded(
            "state.group",
            bbs04::Error::InconsistentManagerKey,
        )),
    );
    f.case(
        "one former group key announced, none present",
        Truncated,
        f.with(former_at, &[0, 1]),
        w(d(truncated("former_group_key", GroupPublicKey::SIZE, 21))),
    );
    f.case(
        "certificate flag 2",
        InvalidValue,
        f.with_byte(has_cert_at, 2),
        w(d(dec("state.has_certificate", Kind::InvalidValue))),
    );
    f.case(
        "one contact announced, none present",
        Truncated,
        f.with(has_cert_at + 1, &[0, 1]),
        w(d(truncated("contact.account", 32, 18))),
    );
    f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        OverlongLength,
        InvalidValue,
        InvalidEmbeddedObject,
        InconsistentKey,
    ])
}
