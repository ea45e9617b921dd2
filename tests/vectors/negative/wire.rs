//! Protocol messages (SPEC.md 10-12): request, response, delivery, payload.

use super::*;
use blindpost::verification_code::CodeSession;
use blindpost::Time;

pub(super) fn wire_files(s: &Sources) -> Vec<Generated> {
    let o = objects(s);
    let d = WireError::Decode;
    let mut files = Vec::new();

    // Requests: version || type || body.
    let request_code = Request::RequestCode {
        phone: PhoneNumber::parse("+15550001").unwrap(),
        session: CodeSession::from_bytes([0x5e; 32]),
    }
    .to_bytes();
    let mut f = File::new(
        "wire_request",
        "protocol request (SPEC.md 11.3)",
        "wire::Request::from_bytes",
        request_code.clone(),
        |b| Request::from_bytes(b).map(drop),
        wire_json,
    );
    let with_body = |kind: RequestType, body: &[u8]| [&[1, kind as u8][..], body].concat();
    f.case(
        "empty",
        Truncated,
        vec![],
        d(truncated("request.version", 1, 0)),
    );
    f.case(
        "no type",
        Truncated,
        vec![1],
        d(truncated("request.type", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        d(truncated("request_code.session", 32, 31)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        d(trailing("request")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        d(version("request.version", 2)),
    );
    for t in [0x00, 0x03, 0x26, 0xff] {
        f.case(
            &format!("type 0x{t:02x}"),
            UnknownType,
            f.with_byte(1, t),
            WireError::UnknownType {
                message: "request",
                found: t,
            },
        );
    }
    let phone_body = |p: &[u8]| [&[p.len() as u8][..], p].concat();
    f.case(
        "phone of 17 bytes",
        OverlongLength,
        with_body(RequestType::RequestCode, &phone_body(b"+1234567890123456")),
        d(too_long("phone", 17, 16)),
    );
    f.case(
        "phone without '+'",
        InvalidEmbeddedObject,
        with_body(RequestType::RequestCode, &phone_body(b"15550001")),
        embedded("phone", PhoneNumberError::MissingPlus),
    );
    let not_utf8 = b"+1555\xff".to_vec();
    f.case(
        "phone not UTF-8",
        InvalidEmbeddedObject,
        with_body(RequestType::RequestCode, &phone_body(&not_utf8)),
        embedded("phone", std::str::from_utf8(&not_utf8).unwrap_err()),
    );

    // A registration with one token request.
    let register = Request::Register(RegisterRequest {
        phone: PhoneNumber::parse("+15550001").unwrap(),
        session: CodeSession::from_bytes([0x5e; 32]),
        code: "123456".into(),
        identity_key: o.identity.public_key(),
        proof: o.identity.pop_prove(),
        host_key: None,
        group_key: o.gpk.clone(),
        token_requests: vec![TokenRequest::from_bytes(&o.token_request).unwrap()],
    })
    .to_bytes();
    // version, type, vec8 phone (1 + 9), session (32), vec8 code (1 + 6), identity (48),
    // proof (96), vec8 host key (1), group key (389), count, token requests.
    let code_at = 2 + 10 + 32;
    let identity_at = code_at + 7;
    let proof_at = identity_at + 48;
    let host_at = proof_at + 96;
    let gpk_at = host_at + 1;
    let count_at = gpk_at + GroupPublicKey::SIZE;
    let patch = |base: &[u8], at: usize, bytes: &[u8]| {
        let mut out = base.to_vec();
        out[at..at + bytes.len()].copy_from_slice(bytes);
        out
    };
    let code_with = |code: &[u8]| {
        [
            &register[..code_at],
            &[code.len() as u8],
            code,
            &register[identity_at..],
        ]
        .concat()
    };
    f.case(
        "register: code of 11 bytes",
        OverlongLength,
        code_with(b"12345678901"),
        d(too_long("register.code", 11, 10)),
    );
    let bad_code = b"12\xc0456".to_vec();
    f.case(
        "register: code not UTF-8",
        InvalidEmbeddedObject,
        code_with(&bad_code),
        embedded(
            "register.code",
            String::from_utf8(bad_code.clone()).unwrap_err(),
        ),
    );
    let p = points();
    f.case(
        "register: identity key is the identity point",
        InvalidEmbeddedObject,
        patch(&register, identity_at, &p.g1_identity),
        embedded(
            "register.identity_key",
            BlsError::Decode(dec("bls.public_key", Kind::IdentityPoint)),
        ),
    );
    f.case(
        "register: proof outside the subgroup",
        InvalidEmbeddedObject,
        patch(&register, proof_at, &p.g2_off_subgroup),
        embedded(
            "register.proof",
            BlsError::Decode(dec("bls.proof_of_possession", Kind::NotInSubgroup)),
        ),
    );
    f.case(
        "register: host key of 65 bytes",
        OverlongLength,
        patch(&register, host_at, &[65]),
        d(too_long("register.host_key", 65, 64)),
    );
    f.case(
        "register: group key version 2",
        InvalidEmbeddedObject,
        patch(&register, gpk_at, &[2]),
        embedded(
            "register.group_key",
            bbs04::Error::Decode(version("group_key.version", 2)),
        ),
    );
    f.case(
        "register: 6 token requests",
        OverlongLength,
        patch(&register, count_at, &[6]),
        d(too_long("register.token_requests", 6, 5)),
    );
    f.case(
        "register: token request of type 0x0001",
        InvalidEmbeddedObject,
        patch(&register, count_at + 1, &[0, 1]),
        embedded(
            "register.token_requests",
            token::Error::UnsupportedTokenType { found: 1 },
        ),
    );
    f.case(
        "register: count larger than the token requests",
        Truncated,
        patch(&register, count_at, &[2]),
        d(truncated("register.token_requests", TokenRequest::LEN, 0)),
    );

    // Cold call: recipient || token || vec32 sealed.
    let mut cold = with_body(RequestType::ColdCall, &[7; 32]);
    cold.extend_from_slice(&o.token);
    let sealed_at = cold.len();
    let mut long = cold.clone();
    put_u32(&mut long, 69_633);
    f.case(
        "cold call: sealed payload of 69633 bytes",
        OverlongLength,
        long,
        d(too_long("cold_call.sealed", 69_633, 69_632)),
    );
    let mut wrong_token = cold.clone();
    wrong_token[2 + 32 + 1] = 3;
    put_u32(&mut wrong_token, 0);
    f.case(
        "cold call: token of type 0x0003",
        InvalidEmbeddedObject,
        wrong_token,
        embedded(
            "cold_call.token",
            token::Error::UnsupportedTokenType { found: 3 },
        ),
    );
    let mut short = cold[..sealed_at].to_vec();
    put_u32(&mut short, 10);
    short.extend_from_slice(b"sealed");
    f.case(
        "cold call: sealed payload cut short",
        Truncated,
        short,
        d(truncated("cold_call.sealed", 10, 6)),
    );

    // Renewal: token || token request || stamp request.
    let mut renew = with_body(RequestType::RenewToken, &o.token);
    renew.extend_from_slice(&o.token_request);
    let stamp_at = renew.len();
    renew.extend_from_slice(&o.token_request);
    assert!(Request::from_bytes(&renew).is_ok());
    f.case(
        "renew token: no stamp request",
        Truncated,
        renew[..stamp_at].to_vec(),
        d(truncated("renew_token.stamp", TokenRequest::LEN, 0)),
    );
    f.case(
        "renew token: stamp request of type 0x0001",
        InvalidEmbeddedObject,
        patch(&renew, stamp_at, &[0, 1]),
        embedded(
            "renew_token.stamp",
            token::Error::UnsupportedTokenType { found: 1 },
        ),
    );

    // Stamp redemption: u8 n || n stamps || u8 m || m token requests.
    f.case(
        "redeem stamps: 17 stamps",
        OverlongLength,
        with_body(RequestType::RedeemStamps, &[17]),
        d(too_long("redeem_stamps.count", 17, 16)),
    );
    let mut redeem = with_body(RequestType::RedeemStamps, &[1]);
    redeem.extend_from_slice(&o.token);
    redeem.push(1);
    redeem.extend_from_slice(&o.token_request);
    assert!(Request::from_bytes(&redeem).is_ok());
    f.case(
        "redeem stamps: stamp of type 0x0003",
        InvalidEmbeddedObject,
        patch(&redeem, 4, &[3]),
        embedded(
            "redeem_stamps.stamp",
            token::Error::UnsupportedTokenType { found: 3 },
        ),
    );
    f.case(
        "redeem stamps: 17 token requests",
        OverlongLength,
        patch(&redeem, 3 + o.token.len(), &[17]),
        d(too_long("redeem_stamps.requests", 17, 16)),
    );

    // Bulk claim: vec16 proof || u8 n || n token requests (SPEC.md 18.2).
    let proof = blindpost::bulk::BulkProof {
        chain: vec![vec![0x30, 0x00]],
        domain: "mail.example.com".into(),
        scheme: 0x0403,
        signature: vec![0x30, 0x00],
    };
    let claim_with = |proof: &[u8]| {
        let mut out = with_body(RequestType::ClaimBulkTokens, &[]);
        put_u16(&mut out, proof.len());
        out.extend_from_slice(proof);
        out.push(1);
        out.extend_from_slice(&o.token_request);
        out
    };
    assert!(Request::from_bytes(&claim_with(&proof.to_bytes())).is_ok());
    f.case(
        "claim bulk tokens: proof of 40961 bytes",
        OverlongLength,
        [
            &with_body(RequestType::ClaimBulkTokens, &[])[..],
            &40_961u16.to_be_bytes(),
        ]
        .concat(),
        d(too_long("claim_bulk_tokens.proof", 40_961, 40_960)),
    );
    let bulk = |cause: DecodeError| WireError::Embedded {
        field: "claim_bulk_tokens.proof",
        cause: EmbeddedError::BulkProof(cause),
    };
    f.case(
        "claim bulk tokens: proof version 2",
        InvalidEmbeddedObject,
        claim_with(&patch(&proof.to_bytes(), 0, &[2])),
        bulk(version("bulk_proof.version", 2)),
    );
    let mut upper = proof.clone();
    upper.domain = "Mail.example.com".into();
    f.case(
        "claim bulk tokens: domain not lower-case",
        InvalidEmbeddedObject,
        claim_with(&upper.to_bytes()),
        bulk(dec("bulk_proof.domain", Kind::InvalidValue)),
    );
    let mut unchained = proof.clone();
    unchained.chain.clear();
    f.case(
        "claim bulk tokens: no certificate",
        InvalidEmbeddedObject,
        claim_with(&unchained.to_bytes()),
        bulk(dec("bulk_proof.chain", Kind::InvalidValue)),
    );
    let mut long_chain = proof.clone();
    long_chain.chain = vec![vec![0x30]; 5];
    f.case(
        "claim bulk tokens: 5 certificates",
        InvalidEmbeddedObject,
        claim_with(&long_chain.to_bytes()),
        bulk(too_long("bulk_proof.chain", 5, 4)),
    );
    let mut empty_certificate = proof.clone();
    empty_certificate.chain = vec![vec![]];
    f.case(
        "claim bulk tokens: empty certificate",
        InvalidEmbeddedObject,
        claim_with(&empty_certificate.to_bytes()),
        bulk(dec("bulk_proof.certificate", Kind::InvalidValue)),
    );
    let mut proof_and_more = proof.to_bytes();
    proof_and_more.push(0);
    f.case(
        "claim bulk tokens: proof with a trailing byte",
        InvalidEmbeddedObject,
        claim_with(&proof_and_more),
        bulk(dec("bulk_proof", Kind::TrailingBytes { extra: 1 })),
    );
    let mut long_signature = proof.clone();
    long_signature.signature = vec![1; 1025];
    f.case(
        "claim bulk tokens: signature of 1025 bytes",
        InvalidEmbeddedObject,
        claim_with(&long_signature.to_bytes()),
        bulk(too_long("bulk_proof.signature", 1025, 1024)),
    );
    let mut unsigned = proof.clone();
    unsigned.signature.clear();
    f.case(
        "claim bulk tokens: empty signature",
        InvalidEmbeddedObject,
        claim_with(&unsigned.to_bytes()),
        bulk(dec("bulk_proof.signature", Kind::InvalidValue)),
    );
    f.case(
        "claim bulk tokens: 65 token requests",
        OverlongLength,
        {
            let mut out = with_body(RequestType::ClaimBulkTokens, &[]);
            let p = proof.to_bytes();
            put_u16(&mut out, p.len());
            out.extend_from_slice(&p);
            out.push(65);
            out
        },
        d(too_long("claim_bulk_tokens.count", 65, 64)),
    );

    // Reply: recipient || generation || timestamp || vec32 sealed || signature.
    let mut reply = with_body(RequestType::Reply, &[7; 32]);
    reply.extend_from_slice(&0u32.to_be_bytes());
    reply.extend_from_slice(&1_800_000_000u64.to_be_bytes());
    put_u32(&mut reply, 2);
    reply.extend_from_slice(b"hi");
    let sig_at = reply.len();
    reply.extend_from_slice(&o.signature);
    assert!(Request::from_bytes(&reply).is_ok());
    f.case(
        "reply: signature T1 is the identity",
        InvalidEmbeddedObject,
        patch(&reply, sig_at + 1, &p.g1_identity),
        embedded(
            "reply.signature",
            bbs04::Error::Decode(dec("signature.T1", Kind::IdentityPoint)),
        ),
    );
    let mut exact = reply.clone();
    exact[2 + 32 + 4..2 + 32 + 4 + 8].copy_from_slice(&1_800_000_001u64.to_be_bytes());
    f.case(
        "reply: timestamp not a multiple of the granularity",
        InvalidValue,
        exact,
        d(dec("reply.timestamp", Kind::InvalidValue)),
    );
    f.case(
        "reply: signature cut short",
        Truncated,
        reply[..reply.len() - 1].to_vec(),
        d(truncated(
            "reply.signature",
            GroupSignature::SIZE,
            GroupSignature::SIZE - 1,
        )),
    );

    // Revocation upload, key rotation, lookup.
    let upload = with_body(
        RequestType::UploadRevocation,
        &[&o.record[..], &o.checkpoint].concat(),
    );
    assert!(Request::from_bytes(&upload).is_ok());
    f.case(
        "upload revocation: x* = 0",
        InvalidEmbeddedObject,
        patch(&upload, 2 + 53, &[0; 32]),
        embedded(
            "upload_revocation.record",
            bbs04::Error::Decode(dec("revocation.x", Kind::ZeroScalar)),
        ),
    );
    // The checkpoint's first two entries swapped: tags no longer ascending (SPEC.md 4.15).
    let entries_at = 2 + RevocationRecord::SIZE + 7;
    let mut swapped = upload.clone();
    swapped[entries_at..entries_at + 64]
        .copy_from_slice(&upload[entries_at + 64..entries_at + 128]);
    swapped[entries_at + 64..entries_at + 128]
        .copy_from_slice(&upload[entries_at..entries_at + 64]);
    f.case(
        "upload revocation: checkpoint tags not ascending",
        InvalidEmbeddedObject,
        swapped,
        embedded(
            "upload_revocation.checkpoint",
            bbs04::Error::Decode(dec("checkpoint.tag", Kind::InvalidValue)),
        ),
    );
    f.case(
        "upload revocation: checkpoint of 17 entries",
        InvalidEmbeddedObject,
        patch(
            &upload,
            2 + RevocationRecord::SIZE + 5,
            &17u16.to_be_bytes(),
        ),
        embedded(
            "upload_revocation.checkpoint",
            bbs04::Error::Decode(dec("checkpoint.count", Kind::InvalidValue)),
        ),
    );
    let rotate = with_body(RequestType::RotateGroupKey, &o.gpk_bytes);
    f.case(
        "rotate group key: w off the curve",
        InvalidEmbeddedObject,
        patch(&rotate, 2 + 293, &p.g2_off_curve),
        embedded(
            "rotate_group_key.group_key",
            bbs04::Error::Decode(dec("group_key.w", Kind::InvalidPoint)),
        ),
    );
    let mut lookup = with_body(RequestType::Lookup, &o.token);
    lookup.push(2);
    lookup.extend_from_slice(&phone_body(b"+15550002"));
    lookup.extend_from_slice(&phone_body(b"+0555"));
    f.case(
        "lookup: second phone with a leading zero",
        InvalidEmbeddedObject,
        lookup,
        embedded("lookup.phone", PhoneNumberError::LeadingZero),
    );
    f.case(
        "fetch group key: account cut short",
        Truncated,
        with_body(RequestType::FetchGroupKey, &[9; 30]),
        d(truncated("fetch_group_key.account", 32, 30)),
    );
    files.push(f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        UnknownType,
        OverlongLength,
        InvalidValue,
        InvalidEmbeddedObject,
    ]));

    // Responses: version || type || status || body.
    let code_sent = Response::CodeSent.to_bytes();
    let mut f = File::new(
        "wire_response",
        "protocol response (SPEC.md 11.3)",
        "wire::Response::from_bytes",
        code_sent.clone(),
        |b| Response::from_bytes(b).map(drop),
        wire_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        d(truncated("response.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        d(truncated("response.status", 1, 0)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        d(trailing("response")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        d(version("response.version", 2)),
    );
    f.case(
        "type 0x30",
        UnknownType,
        f.with_byte(1, 0x30),
        WireError::UnknownType {
            message: "response",
            found: 0x30,
        },
    );
    f.case(
        "status 2",
        InvalidValue,
        f.with_byte(2, 2),
        d(dec("response.status", Kind::InvalidValue)),
    );
    let accepted = Response::ColdCallAccepted { duplicate: false }.to_bytes();
    f.case(
        "cold call accepted: duplicate flag 2",
        InvalidValue,
        patch(&accepted, 3, &[2]),
        d(dec("cold_call_accepted.duplicate", Kind::InvalidValue)),
    );
    let error = Response::Error {
        request: RequestType::ColdCall,
        code: ErrorCode::TokenSpent,
        detail: "spent".into(),
    }
    .to_bytes();
    let bad_detail = [&error[..5], &[2, b'o', 0xff]].concat();
    f.case(
        "error detail not UTF-8",
        InvalidEmbeddedObject,
        bad_detail,
        embedded(
            "response.detail",
            String::from_utf8(vec![b'o', 0xff]).unwrap_err(),
        ),
    );
    f.case(
        "error detail cut short",
        Truncated,
        error[..error.len() - 1].to_vec(),
        d(truncated("response.detail", 5, 4)),
    );
    let registered = Response::Registered {
        certificate: o.certificate.clone(),
        token_responses: vec![TokenResponse::from_bytes(&o.token_response).unwrap()],
    }
    .to_bytes();
    let cert_len = o.certificate.to_bytes().len();
    let tokens_at = 3 + 2 + cert_len;
    let mut long_cert = registered[..3].to_vec();
    put_u16(&mut long_cert, 1025);
    f.case(
        "registered: certificate of 1025 bytes",
        OverlongLength,
        long_cert,
        d(too_long("registered.certificate", 1025, 1024)),
    );
    let mut bad_cert = registered.clone();
    bad_cert[5] = 2;
    f.case(
        "registered: certificate version 2",
        InvalidEmbeddedObject,
        bad_cert,
        embedded(
            "registered.certificate",
            CertificateError::Malformed(version("certificate.version", 2)),
        ),
    );
    f.case(
        "registered: 6 token responses",
        OverlongLength,
        patch(&registered, tokens_at, &[6]),
        d(too_long("registered.token_responses", 6, 5)),
    );
    let group_key = [
        &[1, RequestType::FetchGroupKey as u8, 0][..],
        &o.gpk_bytes,
        &[1],
        &o.checkpoint,
    ]
    .concat();
    assert!(Response::from_bytes(&group_key).is_ok());
    f.case(
        "group key: checkpoint tag repeated",
        InvalidEmbeddedObject,
        patch(
            &group_key,
            3 + GroupPublicKey::SIZE + 1 + 7 + 64,
            &o.checkpoint[7..7 + 64],
        ),
        embedded(
            "group_key.checkpoint",
            bbs04::Error::Decode(dec("checkpoint.tag", Kind::InvalidValue)),
        ),
    );
    let mut keys = vec![1, RequestType::FetchKeys as u8, 0];
    put_u16(&mut keys, 2);
    keys.extend_from_slice(&[1, 0]);
    f.case(
        "keys: issuer key set without keys",
        InvalidEmbeddedObject,
        keys,
        embedded(
            "keys.certificate_issuers",
            CertificateError::Malformed(dec("issuer_key_set.count", Kind::InvalidValue)),
        ),
    );
    let issuers = o.issuers.to_bytes();
    let mut keys = vec![1, RequestType::FetchKeys as u8, 0];
    put_u16(&mut keys, issuers.len());
    keys.extend_from_slice(&issuers);
    put_u16(&mut keys, 16_385);
    f.case(
        "keys: cold-call key set of 16385 bytes",
        OverlongLength,
        keys,
        d(too_long("keys.cold_call_tokens", 16_385, 16_384)),
    );
    let mut discovery = vec![1, RequestType::IssueDiscoveryTokens as u8, 0, 2];
    discovery.extend_from_slice(&o.token_response);
    f.case(
        "discovery tokens: count larger than the responses",
        Truncated,
        discovery,
        d(truncated("discovery_tokens", TokenResponse::LEN, 0)),
    );
    // Renewal: token response || u8 present || stamp response (SPEC.md 18.1).
    let mut renewed = vec![1, RequestType::RenewToken as u8, 0];
    renewed.extend_from_slice(&o.token_response);
    let stamp_flag = renewed.len();
    renewed.push(1);
    renewed.extend_from_slice(&o.token_response);
    assert!(Response::from_bytes(&renewed).is_ok());
    f.case(
        "renewed: stamp flag 2",
        InvalidValue,
        {
            let mut b = renewed.clone();
            b[stamp_flag] = 2;
            b
        },
        d(dec("renewed.stamp", Kind::InvalidValue)),
    );
    f.case(
        "renewed: stamp announced, none present",
        Truncated,
        renewed[..stamp_flag + 1].to_vec(),
        d(truncated("renewed.stamp", TokenResponse::LEN, 0)),
    );
    f.case(
        "stamps redeemed: 17 tokens",
        OverlongLength,
        vec![1, RequestType::RedeemStamps as u8, 0, 2, 17],
        d(too_long("stamps_redeemed.tokens", 17, 16)),
    );
    f.case(
        "bulk tokens: 65 tokens",
        OverlongLength,
        vec![1, RequestType::ClaimBulkTokens as u8, 0, 65],
        d(too_long("bulk_tokens", 65, 64)),
    );
    files.push(f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        UnknownType,
        InvalidValue,
        OverlongLength,
        InvalidEmbeddedObject,
    ]));

    // Deliveries: version || kind || body.
    let cold_delivery = Delivery::ColdCall {
        handle: DeliveryHandle([3; 16]),
        received_at: Time::from_unix_secs(1_800_000_000),
        sealed: b"sealed".to_vec(),
    }
    .to_bytes();
    let mut f = File::new(
        "wire_delivery",
        "delivery queued for a recipient (SPEC.md 12.3, 12.5)",
        "wire::Delivery::from_bytes",
        cold_delivery.clone(),
        |b| Delivery::from_bytes(b).map(drop),
        wire_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        d(truncated("delivery.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        d(truncated("delivery.sealed", 6, 5)),
    );
    f.case(
        "handle cut short",
        Truncated,
        cold_delivery[..10].to_vec(),
        d(truncated("delivery.handle", 16, 8)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        d(trailing("delivery")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        d(version("delivery.version", 2)),
    );
    f.case(
        "kind 3",
        UnknownType,
        f.with_byte(1, 3),
        WireError::UnknownType {
            message: "delivery",
            found: 3,
        },
    );
    let mut long = cold_delivery[..2 + 16 + 8].to_vec();
    put_u32(&mut long, 69_633);
    f.case(
        "sealed payload of 69633 bytes",
        OverlongLength,
        long,
        d(too_long("delivery.sealed", 69_633, 69_632)),
    );
    let reply_delivery = Delivery::Reply {
        generation: 0,
        timestamp: Time::from_unix_secs(1_800_000_000),
        sealed: b"hi".to_vec(),
        signature: GroupSignature::from_bytes(&o.signature).unwrap(),
    }
    .to_bytes();
    let mut exact = reply_delivery.clone();
    exact[2 + 4..2 + 4 + 8].copy_from_slice(&1_800_000_599u64.to_be_bytes());
    f.case(
        "reply: timestamp not a multiple of the granularity",
        InvalidValue,
        exact,
        d(dec("delivery.timestamp", Kind::InvalidValue)),
    );
    let sig_at = reply_delivery.len() - GroupSignature::SIZE;
    f.case(
        "reply: signature c = r",
        InvalidEmbeddedObject,
        patch(&reply_delivery, sig_at + 145, &hex::decode(R_HEX).unwrap()),
        embedded(
            "delivery.signature",
            bbs04::Error::Decode(dec("signature.c", Kind::NonCanonicalScalar)),
        ),
    );
    files.push(f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        UnknownType,
        OverlongLength,
        InvalidValue,
        InvalidEmbeddedObject,
    ]));

    // Payloads: version || kind || body.
    let message = Payload::Message {
        host_material: b"ratchet".to_vec(),
        message: b"hello".to_vec(),
    }
    .to_bytes();
    let mut f = File::new(
        "wire_payload",
        "sealed-payload plaintext: introduction or message (SPEC.md 12.3)",
        "wire::Payload::from_bytes",
        message.clone(),
        |b| Payload::from_bytes(b).map(drop),
        wire_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        d(truncated("payload.version", 1, 0)),
    );
    // The encoding is 18 bytes, then zero padding up to 2048 (SPEC.md 10.1).
    let used = 2 + 2 + 7 + 2 + 5;
    assert_eq!(message.len(), 2048);
    f.case(
        "message cut short",
        Truncated,
        message[..used - 1].to_vec(),
        d(truncated("payload.message", 5, 4)),
    );
    let padding = || d(dec("payload.padding", Kind::NonCanonicalPadding));
    f.case(
        "not padded",
        NonCanonicalPadding,
        message[..used].to_vec(),
        padding(),
    );
    f.case(
        "padding one byte short",
        NonCanonicalPadding,
        f.truncated(),
        padding(),
    );
    f.case(
        "a byte after the padding",
        NonCanonicalPadding,
        f.trailing(),
        padding(),
    );
    f.case(
        "non-zero first padding byte",
        NonCanonicalPadding,
        f.with_byte(used, 1),
        padding(),
    );
    f.case(
        "non-zero last padding byte",
        NonCanonicalPadding,
        f.with_byte(2047, 0x80),
        padding(),
    );
    let mut doubled = message.clone();
    doubled.resize(4096, 0);
    f.case(
        "padded to the next bucket",
        NonCanonicalPadding,
        doubled,
        padding(),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        d(version("payload.version", 2)),
    );
    f.case(
        "kind 0",
        UnknownType,
        f.with_byte(1, 0),
        WireError::UnknownType {
            message: "payload",
            found: 0,
        },
    );
    f.case(
        "host material of 16385 bytes",
        OverlongLength,
        f.with(2, &16_385u16.to_be_bytes()),
        d(too_long("payload.host_material", 16_385, 16_384)),
    );
    let mut long = message[..2 + 2 + 7].to_vec();
    put_u16(&mut long, 32_769);
    f.case(
        "message of 32769 bytes",
        OverlongLength,
        long,
        d(too_long("payload.message", 32_769, 32_768)),
    );
    let intro = IntroductionContent {
        certificate: o.certificate.clone(),
        recipient: AccountId([5; 32]),
        group_key: o.gpk.clone(),
        member_key: o.member.clone(),
        host_material: b"ratchet".to_vec(),
        message: b"hello".to_vec(),
        created_at: Time::from_unix_secs(1_760_000_000),
    }
    .sign(&o.identity);
    let intro = Payload::Introduction(intro).to_bytes();
    // version, kind, vec16 certificate, recipient, group key, member key, ...
    let cert_at = 4;
    let gpk_at = cert_at + cert_len + 32;
    let member_at = gpk_at + GroupPublicKey::SIZE;
    let sig_at = member_at + MemberKey::SIZE + 2 + 7 + 2 + 5 + 8;
    f.case(
        "introduction: certificate of 1025 bytes",
        OverlongLength,
        patch(&intro, 2, &1025u16.to_be_bytes()),
        d(too_long("introduction.certificate", 1025, 1024)),
    );
    f.case(
        "introduction: certificate version 2",
        InvalidEmbeddedObject,
        patch(&intro, cert_at, &[2]),
        embedded(
            "introduction.certificate",
            CertificateError::Malformed(version("certificate.version", 2)),
        ),
    );
    f.case(
        "introduction: group key g1 outside the subgroup",
        InvalidEmbeddedObject,
        patch(&intro, gpk_at + 5, &p.g1_off_subgroup),
        embedded(
            "introduction.group_key",
            bbs04::Error::Decode(dec("group_key.g1", Kind::NotInSubgroup)),
        ),
    );
    f.case(
        "introduction: member key x = 0",
        InvalidEmbeddedObject,
        patch(&intro, member_at + 53, &[0; 32]),
        embedded(
            "introduction.member_key",
            bbs04::Error::Decode(dec("member_key.x", Kind::ZeroScalar)),
        ),
    );
    f.case(
        "introduction: signature is the identity",
        InvalidEmbeddedObject,
        patch(&intro, sig_at, &p.g2_identity),
        embedded(
            "introduction.signature",
            BlsError::Decode(dec("bls.signature", Kind::IdentityPoint)),
        ),
    );
    f.case(
        "introduction: signature cut short",
        Truncated,
        intro[..sig_at + 95].to_vec(),
        d(truncated("introduction.signature", 96, 95)),
    );
    files.push(f.finish(&[
        Truncated,
        NonCanonicalPadding,
        UnknownVersion,
        UnknownType,
        OverlongLength,
        InvalidEmbeddedObject,
    ]));

    files
}
