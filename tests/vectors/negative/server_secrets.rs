//! The server's persisted secrets (SPEC.md 12).

use super::*;
use blindpost::Time;

pub(super) fn server_secrets_file(s: &Sources) -> Generated {
    let issuer_key = &s.certificates.issuer_keys[0];
    let bls_key = bls::SecretKey::from_bytes(&unhex(&issuer_key.secret_key)).unwrap();
    let (nb, na) = (
        Time::from_unix_secs(1_700_000_000),
        Time::from_unix_secs(1_900_000_000),
    );
    let certificate_issuer = CertificateIssuer::new(bls_key, nb, na).unwrap();
    let certificate_issuers = IssuerKeySet::new(vec![*certificate_issuer.issuer_key()]).unwrap();
    let rsa_key = |name: &str| blind_rsa::SecretKey::from_pkcs8_pem(&pem(name)).unwrap();
    let token_keys = |key: &blind_rsa::SecretKey| {
        let entry =
            token::TokenKeyEntry::new(TokenKey::from_public_key(key.public_key()).unwrap(), nb, na);
        TokenKeySet::new(1, b"server.example", vec![entry]).unwrap()
    };
    let (cold, discovery, stamp) = (
        rsa_key("rsa2048-a"),
        rsa_key("rsa2048-b"),
        rsa_key("rsa2048-c"),
    );
    let secrets = ServerSecrets {
        certificate_issuer,
        certificate_issuers: certificate_issuers.clone(),
        cold_call_keys: token_keys(&cold),
        discovery_keys: token_keys(&discovery),
        cold_call_issuer: token::Issuer::new(vec![cold.clone()]).unwrap(),
        discovery_issuer: token::Issuer::new(vec![discovery]).unwrap(),
        stamp_keys: token_keys(&stamp),
        stamp_issuer: token::Issuer::new(vec![stamp]).unwrap(),
        code_secret: CodeSecret::from_bytes([7; 32]),
    };
    let valid = secrets.to_bytes().unwrap().to_vec();
    // version || BLS key (32) || not_before || not_after || vec16 issuer key set || count ||
    // count x vec16 PKCS#8 || vec16 token key set || (the same for discovery) || code secret.
    let issuers_len = certificate_issuers.to_bytes().len();
    let cold_count_at = 1 + 32 + 16 + 2 + issuers_len;
    let cold_der = cold.to_pkcs8_der().unwrap().to_vec();
    let cold_set_at = cold_count_at + 1 + 2 + cold_der.len();
    let mut f = File::new(
        "server_secrets",
        "the server's persisted secrets (SPEC.md 12)",
        "server::ServerSecrets::from_bytes",
        valid.clone(),
        |b| ServerSecrets::from_bytes(b).map(drop),
        server_json,
    );
    let bad = ServerError::KeyEncoding;
    f.case("empty", Truncated, vec![], bad.clone());
    f.case("last byte missing", Truncated, f.truncated(), bad.clone());
    f.case("trailing byte", TrailingBytes, f.trailing(), bad.clone());
    f.case(
        "version 1 (before the stamp keys)",
        UnknownVersion,
        f.with_byte(0, 1),
        bad.clone(),
    );
    f.case("version 3", UnknownVersion, f.with_byte(0, 3), bad.clone());
    f.case(
        "certificate key 0",
        ZeroScalar,
        f.with(1, &[0; 32]),
        bad.clone(),
    );
    let r = hex::decode(R_HEX).unwrap();
    f.case(
        "certificate key = r",
        NonCanonicalScalar,
        f.with(1, &r),
        bad.clone(),
    );
    let mut reversed = f.with(33, &na.unix_secs().to_be_bytes());
    reversed[41..49].copy_from_slice(&nb.unix_secs().to_be_bytes());
    f.case(
        "issuer validity reversed",
        InvalidValue,
        reversed,
        bad.clone(),
    );
    f.case(
        "issuer key set of 16385 bytes",
        OverlongLength,
        f.with(49, &16_385u16.to_be_bytes()),
        bad.clone(),
    );
    f.case(
        "issuer key set version 2",
        InvalidEmbeddedObject,
        f.with_byte(51, 2),
        bad.clone(),
    );
    f.case(
        "5 cold-call keys",
        OverlongLength,
        f.with_byte(cold_count_at, 5),
        bad.clone(),
    );
    let without_cold = [&valid[..cold_count_at], &[0], &valid[cold_set_at..]].concat();
    f.case("no cold-call key", InvalidValue, without_cold, bad.clone());
    let mut wrong_crt = cold_der.clone();
    *wrong_crt.last_mut().unwrap() ^= 1;
    f.case(
        "cold-call key with a wrong CRT coefficient",
        InvalidEmbeddedObject,
        f.with(cold_count_at + 3, &wrong_crt),
        bad.clone(),
    );
    let big = rsa_key("rsa3072").to_pkcs8_der().unwrap().to_vec();
    let mut with_big = valid[..cold_count_at + 1].to_vec();
    put_u16(&mut with_big, big.len());
    with_big.extend_from_slice(&big);
    with_big.extend_from_slice(&valid[cold_set_at..]);
    f.case(
        "3072-bit cold-call key",
        UnsupportedKey,
        with_big,
        bad.clone(),
    );
    f.case(
        "cold-call key set version 2",
        InvalidEmbeddedObject,
        f.with_byte(cold_set_at + 2, 2),
        bad.clone(),
    );
    f.finish(&[
        Truncated,
        TrailingBytes,
        UnknownVersion,
        NonCanonicalScalar,
        ZeroScalar,
        OverlongLength,
        InvalidValue,
        InvalidEmbeddedObject,
        UnsupportedKey,
    ])
}
