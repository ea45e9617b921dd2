//! Token messages and RSA keys (SPEC.md 5 and 6): challenge, request, response, token, key
//! set, pending token, SPKI, PKCS#8 DER and PEM.

use super::*;
use blindpost::Time;

/// `vec16`-encoded SPKI entries into a token key set encoding.
fn key_set_bytes(issuer: &[u8], count: u8, entries: &[(u64, u64, &[u8])]) -> Vec<u8> {
    let mut out = vec![1];
    out.extend_from_slice(&7u64.to_be_bytes());
    put_u16(&mut out, issuer.len());
    out.extend_from_slice(issuer);
    out.push(count);
    for (nb, exp, spki) in entries {
        out.extend_from_slice(&nb.to_be_bytes());
        out.extend_from_slice(&exp.to_be_bytes());
        put_u16(&mut out, spki.len());
        out.extend_from_slice(spki);
    }
    out
}

/// An RFC 9578 SPKI around modulus `n` (INTEGER content bytes) and exponent `e`.
fn spki_with(algorithm: &[u8], n: &[u8], e: &[u8]) -> Vec<u8> {
    let rsa_key = tlv(0x30, &[tlv(0x02, n), tlv(0x02, e)].concat());
    let bits = [&[0u8][..], &rsa_key].concat();
    tlv(0x30, &[algorithm, &tlv(0x03, &bits)].concat())
}

pub(super) fn token_files(s: &Sources) -> Vec<Generated> {
    let e = |d: DecodeError| token::Error::Decode(d);
    let mut files = Vec::new();
    let case0 = &s.tokens.cases[0];
    let discovery = &s.tokens.cases[1];
    assert_eq!(discovery.purpose, "discovery");

    // TokenChallenge: u16 type || vec16 issuer || vec8 context (0 or 32) || vec16 origin.
    let challenge = unhex(&discovery.challenge);
    let issuer_len = usize::from(u16::from_be_bytes([challenge[2], challenge[3]]));
    let context_at = 4 + issuer_len;
    assert_eq!(challenge[context_at], 32);
    let mut f = File::new(
        "token_challenge",
        "RFC 9577 TokenChallenge of token type 0x0002 (SPEC.md 6.3)",
        "token::TokenChallenge::from_bytes",
        challenge.clone(),
        |b| TokenChallenge::from_bytes(b).map(drop),
        token_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("token_challenge.token_type", 2, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("token_challenge.origin_info", 2, 1)),
    );
    f.case(
        "issuer name longer than the input",
        Truncated,
        challenge[..10].to_vec(),
        e(truncated("token_challenge.issuer_name", issuer_len, 6)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("token_challenge")),
    );
    f.case(
        "token type 0x0001",
        UnknownType,
        f.with(0, &[0, 1]),
        token::Error::UnsupportedTokenType { found: 1 },
    );
    f.case(
        "token type 0x0003",
        UnknownType,
        f.with(0, &[0, 3]),
        token::Error::UnsupportedTokenType { found: 3 },
    );
    let empty_issuer = [&[0, 2, 0, 0][..], &challenge[context_at..]].concat();
    f.case(
        "empty issuer name",
        InvalidValue,
        empty_issuer,
        e(dec("token_challenge.issuer_name", Kind::InvalidValue)),
    );
    let with_context = |len: u8| {
        let mut out = challenge[..context_at].to_vec();
        out.push(len);
        out.extend(std::iter::repeat_n(0x5a, usize::from(len)));
        out.extend_from_slice(&[0, 0]);
        out
    };
    f.case(
        "redemption context of 5 bytes",
        InvalidValue,
        with_context(5),
        e(dec(
            "token_challenge.redemption_context",
            Kind::InvalidValue,
        )),
    );
    f.case(
        "redemption context of 33 bytes",
        OverlongLength,
        with_context(33),
        e(too_long("token_challenge.redemption_context", 33, 32)),
    );
    files.push(f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownType,
        InvalidValue,
        OverlongLength,
    ]));

    // TokenRequest, TokenResponse, Token: fixed sizes.
    let request = unhex(&case0.token_request);
    let mut f = File::new(
        "token_request",
        "RFC 9578 TokenRequest of token type 0x0002 (SPEC.md 6.2)",
        "token::TokenRequest::from_bytes",
        request,
        |b| TokenRequest::from_bytes(b).map(drop),
        token_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("token_request.token_type", 2, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("token_request.blinded_msg", 256, 255)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("token_request")),
    );
    f.case(
        "token type 0x0001",
        UnknownType,
        f.with(0, &[0, 1]),
        token::Error::UnsupportedTokenType { found: 1 },
    );
    files.push(f.finish(&[Truncated, TrailingBytes, UnknownType]));

    let response = unhex(&case0.token_response);
    let mut f = File::new(
        "token_response",
        "RFC 9578 TokenResponse (SPEC.md 6.2)",
        "token::TokenResponse::from_bytes",
        response,
        |b| TokenResponse::from_bytes(b).map(drop),
        token_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("token_response.blind_sig", 256, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("token_response.blind_sig", 256, 255)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("token_response")),
    );
    files.push(f.finish(&[Truncated, TrailingBytes]));

    let token_bytes = unhex(&case0.token);
    let mut f = File::new(
        "token",
        "RFC 9577 Token of token type 0x0002 (SPEC.md 6.2)",
        "token::Token::from_bytes",
        token_bytes,
        |b| Token::from_bytes(b).map(drop),
        token_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("token.token_type", 2, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("token.authenticator", 256, 255)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("token")),
    );
    f.case(
        "token type 0x0001",
        UnknownType,
        f.with(0, &[0, 1]),
        token::Error::UnsupportedTokenType { found: 1 },
    );
    files.push(f.finish(&[Truncated, TrailingBytes, UnknownType]));

    // RSA keys: the issuer keys of the token vectors and a third 2048-bit key (RFC 9578's).
    let key_a = blind_rsa::SecretKey::from_pkcs8_pem(&pem("rsa2048-a")).unwrap();
    let key_b = blind_rsa::SecretKey::from_pkcs8_pem(&pem("rsa2048-b")).unwrap();
    let rfc_pem = String::from_utf8(crate::rfc9578::vectors()[0].sk.clone()).unwrap();
    let key_c = blind_rsa::SecretKey::from_pkcs8_pem(&rfc_pem).unwrap();
    let key_3072 = blind_rsa::SecretKey::from_pkcs8_pem(&pem("rsa3072")).unwrap();
    let spki_a = key_a.public_key().to_spki_der();
    let spki_b = key_b.public_key().to_spki_der();
    let spki_c = key_c.public_key().to_spki_der();
    let spki_3072 = key_3072.public_key().to_spki_der();
    let id = |spki: &[u8]| TokenKey::from_spki_der(spki).unwrap().id();

    // TokenKeySet: version || serial || vec16 issuer || count || entries.
    let set = unhex(&s.tokens.key_set);
    let issuer = s.tokens.issuer_name.as_bytes().to_vec();
    let mut f = File::new(
        "token_key_set",
        "token key set (SPEC.md 6.5)",
        "token::TokenKeySet::from_bytes",
        set.clone(),
        |b| TokenKeySet::from_bytes(b).map(drop),
        token_json,
    );
    let count_at = 1 + 8 + 2 + issuer.len();
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("token_key_set.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated(
            "token_key_set.spki",
            spki_a.len(),
            spki_a.len() - 1,
        )),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("token_key_set")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("token_key_set.version", 2)),
    );
    f.case(
        "5 keys",
        OverlongLength,
        f.with_byte(count_at, 5),
        token::Error::TooManyKeys { count: 5 },
    );
    f.case(
        "no keys",
        InvalidValue,
        key_set_bytes(&issuer, 0, &[]),
        token::Error::EmptyKeySet,
    );
    f.case(
        "empty issuer name",
        InvalidValue,
        key_set_bytes(b"", 1, &[(0, 100, &spki_a)]),
        token::Error::InvalidIssuerName { length: 0 },
    );
    let long_spki = vec![0u8; 1025];
    f.case(
        "SPKI of 1025 bytes",
        OverlongLength,
        key_set_bytes(&issuer, 1, &[(0, 100, &long_spki)]),
        e(too_long("token_key_set.spki", 1025, 1024)),
    );
    let mut bad_spki = spki_a.clone();
    bad_spki[10] ^= 1;
    f.case(
        "SPKI with another algorithm identifier",
        InvalidEmbeddedObject,
        key_set_bytes(&issuer, 1, &[(0, 100, &bad_spki)]),
        token::Error::BlindRsa(blind_rsa::Error::InvalidSpki),
    );
    f.case(
        "3072-bit key",
        UnsupportedKey,
        key_set_bytes(&issuer, 1, &[(0, 100, &spki_3072)]),
        token::Error::WrongKeySize { bits: 3072 },
    );
    let (first, second) = if id(&spki_a) < id(&spki_b) {
        (&spki_a, &spki_b)
    } else {
        (&spki_b, &spki_a)
    };
    f.case(
        "entries out of order",
        InvalidValue,
        key_set_bytes(&issuer, 2, &[(0, 100, second), (0, 100, first)]),
        e(dec("token_key_set.entries", Kind::InvalidValue)),
    );
    f.case(
        "empty validity",
        InvalidValue,
        key_set_bytes(&issuer, 1, &[(100, 100, &spki_a)]),
        token::Error::InvalidValidity {
            key_id: id(&spki_a),
        },
    );
    f.case(
        "the same key twice",
        InvalidValue,
        key_set_bytes(&issuer, 2, &[(0, 100, &spki_a), (100, 200, &spki_a)]),
        token::Error::DuplicateTruncatedKeyId {
            truncated: id(&spki_a).truncated(),
        },
    );
    let mut three = [&spki_a, &spki_b, &spki_c];
    three.sort_by_key(|s| id(s));
    f.case(
        "three keys valid at once",
        InvalidValue,
        key_set_bytes(
            &issuer,
            3,
            &[
                (10, 100, three[0]),
                (10, 100, three[1]),
                (10, 100, three[2]),
            ],
        ),
        token::Error::TooManyConcurrentKeys {
            at: Time::from_unix_secs(10),
        },
    );
    files.push(f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        OverlongLength,
        InvalidValue,
        InvalidEmbeddedObject,
        UnsupportedKey,
    ]));

    // PendingToken: version || nonce || challenge digest || vec16 spki || inverse (256).
    let pending = unhex(&case0.pending_token);
    let spki_len = usize::from(u16::from_be_bytes([pending[65], pending[66]]));
    let inverse_at = 67 + spki_len;
    let mut f = File::new(
        "pending_token",
        "the client's pending token state (SPEC.md 6.4)",
        "token::PendingToken::from_bytes",
        pending.clone(),
        |b| PendingToken::from_bytes(b).map(drop),
        token_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("pending_token.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("pending_token.blind_inverse", 256, 255)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("pending_token")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("pending_token.version", 2)),
    );
    let with_spki = |spki: &[u8], inverse: &[u8]| {
        let mut out = pending[..65].to_vec();
        put_u16(&mut out, spki.len());
        out.extend_from_slice(spki);
        out.extend_from_slice(inverse);
        out
    };
    let inverse = pending[inverse_at..].to_vec();
    f.case(
        "SPKI of 1025 bytes",
        OverlongLength,
        with_spki(&long_spki, &inverse),
        e(too_long("pending_token.spki", 1025, 1024)),
    );
    f.case(
        "SPKI with another algorithm identifier",
        InvalidEmbeddedObject,
        with_spki(&bad_spki, &inverse),
        token::Error::BlindRsa(blind_rsa::Error::InvalidSpki),
    );
    f.case(
        "3072-bit key",
        UnsupportedKey,
        with_spki(&spki_3072, &inverse),
        token::Error::WrongKeySize { bits: 3072 },
    );
    f.case(
        "inverse 0",
        InvalidValue,
        f.with(inverse_at, &[0; 256]),
        token::Error::BlindRsa(blind_rsa::Error::InverseNotForKey),
    );
    let pending_key = blind_rsa::PublicKey::from_spki_der(&pending[67..inverse_at]).unwrap();
    f.case(
        "inverse = n",
        InvalidValue,
        f.with(inverse_at, &pending_key.modulus_be()),
        token::Error::BlindRsa(blind_rsa::Error::InverseNotForKey),
    );
    f.case(
        "inverse 2^2048 - 1",
        InvalidValue,
        f.with(inverse_at, &[0xff; 256]),
        token::Error::BlindRsa(blind_rsa::Error::InverseNotForKey),
    );
    files.push(f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        OverlongLength,
        InvalidValue,
        InvalidEmbeddedObject,
        UnsupportedKey,
    ]));

    // SPKI (SPEC.md 5.2): only the exact RFC 9578 encoding of a 2048..4096-bit, e = 65537 key.
    let algorithm = spki_a[4..67].to_vec();
    let n_int = [&[0u8][..], &key_a.public_key().modulus_be()].concat();
    assert_eq!(spki_with(&algorithm, &n_int, &[1, 0, 1]), spki_a);
    let mut f = File::new(
        "rsa_spki",
        "RSA public key: RFC 9578 SubjectPublicKeyInfo, id-RSASSA-PSS with SHA-384 (SPEC.md 5.2)",
        "blind_rsa::PublicKey::from_spki_der",
        spki_a.clone(),
        |b| blind_rsa::PublicKey::from_spki_der(b).map(drop),
        rsa_json,
    );
    let invalid = blind_rsa::Error::InvalidSpki;
    f.case("empty", Truncated, vec![], invalid);
    f.case("last byte missing", Truncated, f.truncated(), invalid);
    f.case("trailing byte", TrailingBytes, f.trailing(), invalid);
    let rsa_encryption = hex::decode("300d06092a864886f70d0101010500").unwrap();
    f.case(
        "rsaEncryption algorithm identifier",
        InvalidValue,
        spki_with(&rsa_encryption, &n_int, &[1, 0, 1]),
        invalid,
    );
    let long_form = [&[0x30, 0x83, 0x00][..], &spki_a[2..]].concat();
    f.case("outer length not minimal", InvalidValue, long_form, invalid);
    let padded = [&[0u8][..], &n_int].concat();
    f.case(
        "modulus with an extra leading zero",
        InvalidValue,
        spki_with(&algorithm, &padded, &[1, 0, 1]),
        invalid,
    );
    f.case(
        "modulus without its sign byte",
        InvalidValue,
        spki_with(&algorithm, &n_int[1..], &[1, 0, 1]),
        invalid,
    );
    f.case(
        "exponent 3",
        UnsupportedKey,
        spki_with(&algorithm, &n_int, &[3]),
        blind_rsa::Error::UnsupportedExponent,
    );
    let small = [&[0u8][..], &n_int[1..129]].concat();
    f.case(
        "1024-bit modulus",
        UnsupportedKey,
        spki_with(&algorithm, &small, &[1, 0, 1]),
        blind_rsa::Error::UnsupportedModulusSize { bits: 1024 },
    );
    let mut big = vec![0x01];
    big.extend(std::iter::repeat_n(0xab, 513));
    f.case(
        "4105-bit modulus",
        UnsupportedKey,
        spki_with(&algorithm, &big, &[1, 0, 1]),
        blind_rsa::Error::UnsupportedModulusSize { bits: 4105 },
    );
    let mut even = n_int.clone();
    *even.last_mut().unwrap() &= 0xfe;
    f.case(
        "even modulus",
        InvalidValue,
        spki_with(&algorithm, &even, &[1, 0, 1]),
        blind_rsa::Error::InvalidKey,
    );
    files.push(f.finish(&[Truncated, TrailingBytes, InvalidValue, UnsupportedKey]));

    // PKCS#8 DER and PEM (SPEC.md 5.2).
    let der = key_a.to_pkcs8_der().unwrap().to_vec();
    let mut f = File::new(
        "rsa_pkcs8",
        "RSA private key: PKCS#8 PrivateKeyInfo DER, canonical (SPEC.md 5.2)",
        "blind_rsa::SecretKey::from_pkcs8_der",
        der.clone(),
        |b| blind_rsa::SecretKey::from_pkcs8_der(b).map(drop),
        rsa_json,
    );
    let invalid = blind_rsa::Error::InvalidPkcs8;
    f.case("empty", Truncated, vec![], invalid);
    f.case("last byte missing", Truncated, f.truncated(), invalid);
    f.case("trailing byte", TrailingBytes, f.trailing(), invalid);
    let mut wrong_crt = der.clone();
    *wrong_crt.last_mut().unwrap() ^= 1;
    f.case(
        "wrong CRT coefficient",
        InvalidValue,
        wrong_crt.clone(),
        invalid,
    );
    let mut rng = VectorRng::new(format!("{SEED}/rsa").as_bytes());
    use rsa::pkcs8::EncodePrivateKey;
    let small = rsa::PrivateKey::new(&mut rng, 1024).unwrap();
    f.case(
        "1024-bit key",
        UnsupportedKey,
        small.to_pkcs8_der().unwrap().as_bytes().to_vec(),
        blind_rsa::Error::UnsupportedModulusSize { bits: 1024 },
    );
    let e3 = rsa::PrivateKey::new_with_exp(&mut rng, 2048, 3u32.into()).unwrap();
    f.case(
        "exponent 3",
        UnsupportedKey,
        e3.to_pkcs8_der().unwrap().as_bytes().to_vec(),
        blind_rsa::Error::UnsupportedExponent,
    );
    files.push(f.finish(&[Truncated, TrailingBytes, InvalidValue, UnsupportedKey]));

    let pem_a = key_a.to_pkcs8_pem().unwrap().to_string();
    let mut f = File::new(
        "rsa_pkcs8_pem",
        "RSA private key: PKCS#8 PEM (label PRIVATE KEY) around the canonical DER (SPEC.md 5.2)",
        "blind_rsa::SecretKey::from_pkcs8_pem",
        pem_a.as_bytes().to_vec(),
        |b| blind_rsa::SecretKey::from_pkcs8_pem(std::str::from_utf8(b).unwrap()).map(drop),
        rsa_json,
    );
    f.case("empty", Truncated, vec![], invalid);
    let no_end = pem_a.replace("-----END PRIVATE KEY-----\n", "");
    f.case("no end line", Truncated, no_end.into_bytes(), invalid);
    let label = pem_a.replace("PRIVATE KEY", "RSA PRIVATE KEY");
    f.case(
        "label RSA PRIVATE KEY",
        InvalidValue,
        label.into_bytes(),
        invalid,
    );
    let bad_char = pem_a.replacen("MII", "M*I", 1);
    f.case(
        "a character outside base64",
        InvalidValue,
        bad_char.into_bytes(),
        invalid,
    );
    let crt = String::from_utf8(blind_rsa_pem(&wrong_crt)).unwrap();
    f.case(
        "wrong CRT coefficient inside",
        InvalidValue,
        crt.into_bytes(),
        invalid,
    );
    files.push(f.finish(&[Truncated, InvalidValue]));
    files
}

/// PEM armour around `der` (label PRIVATE KEY, 64-character lines).
fn blind_rsa_pem(der: &[u8]) -> Vec<u8> {
    use rsa::pkcs8::der::pem::{encode_string, LineEnding};
    encode_string("PRIVATE KEY", LineEnding::LF, der)
        .unwrap()
        .into_bytes()
}
