//! BLS encodings (SPEC.md 7): public key, signature, proof of possession, secret key.

use super::*;

pub(super) fn bls_files(s: &Sources) -> Vec<Generated> {
    let e = |d: DecodeError| BlsError::Decode(d);
    let identity = &s.certificates.identities[0];
    let mut files = Vec::new();
    let mut applicable = vec![Truncated, TrailingBytes];
    applicable.extend(POINT_REASONS);

    let mut f = File::new(
        "bls_public_key",
        "BLS public key, minimal-pubkey-size (SPEC.md 7.2): compressed G1 point",
        "bls::PublicKey::from_bytes",
        unhex(&identity.public_key),
        |b| bls::PublicKey::from_bytes(b).map(drop),
        bls_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("bls.public_key", 48, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("bls.public_key", 48, 47)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("bls.public_key")),
    );
    f.g1_cases("key", 0, |k| e(dec("bls.public_key", k)));
    files.push(f.finish(&applicable));

    for (name, encoding, decoder, field, valid) in [
        (
            "bls_signature",
            "BLS signature (SPEC.md 7.3): compressed G2 point",
            "bls::Signature::from_bytes",
            "bls.signature",
            unhex(&s.certificates.certificates[0].bytes)[95..].to_vec(),
        ),
        (
            "bls_proof_of_possession",
            "BLS proof of possession (SPEC.md 7.4): compressed G2 point",
            "bls::ProofOfPossession::from_bytes",
            "bls.proof_of_possession",
            unhex(&identity.proof_of_possession),
        ),
    ] {
        let decode: fn(&[u8]) -> Result<(), BlsError> = if name == "bls_signature" {
            |b| bls::Signature::from_bytes(b).map(drop)
        } else {
            |b| ProofOfPossession::from_bytes(b).map(drop)
        };
        let mut f = File::new(name, encoding, decoder, valid, decode, bls_json);
        f.case("empty", Truncated, vec![], e(truncated(field, 96, 0)));
        f.case(
            "last byte missing",
            Truncated,
            f.truncated(),
            e(truncated(field, 96, 95)),
        );
        f.case(
            "trailing byte",
            TrailingBytes,
            f.trailing(),
            e(trailing(field)),
        );
        f.g2_cases("point", 0, |k| e(dec(field, k)));
        files.push(f.finish(&applicable));
    }

    let mut f = File::new(
        "bls_secret_key",
        "BLS secret key (SPEC.md 7.2): non-zero scalar",
        "bls::SecretKey::from_bytes",
        unhex(&identity.secret_key),
        |b| bls::SecretKey::from_bytes(b).map(drop),
        bls_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("bls.secret_key", 32, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("bls.secret_key", 32, 31)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("bls.secret_key")),
    );
    f.scalar_cases("key", 0, true, |k| e(dec("bls.secret_key", k)));
    files.push(f.finish(&[Truncated, TrailingBytes, NonCanonicalScalar, ZeroScalar]));
    files
}
