//! BBS04 encodings (SPEC.md 4): group key, member key, manager key, signature, revocation
//! record, member id.

use super::*;

/// An element of the cyclotomic subgroup of Fp12 outside GT: f^((p^6 - 1)(p^2 + 1)) for an Fp12
/// element f drawn from `VectorRng::new(b"negative vector: cyclotomic outside GT")` (made with
/// the library's own tower, `src/curve/fp12.rs`; its order is not r).
const CYCLOTOMIC_OUTSIDE_GT: &str = concat!(
    "0a4fbffee7306ec3ce32e72f45da4470376c038de59a3ef39fb9d9af262c264b6571fabde2fdb6e96ae92cd5be1da896",
    "09f5470e0705087b65638b21e0749b959c22f49117cee1381c52ae54439ca549853b056756e7b89afb826116fdadfa4b",
    "0ed126c87a63b8d2ca9b59424fd76ac0c36e20b624e18b16016600a888b1f8b2f7da9447cd12c53e84e6140dfdca336c",
    "08c222a75266caf1a8bf7906ca3736521e75b00fa40db6afcf5694bb5538c6eb74dd42f27bbdcb55f627aa2a87e7c765",
    "0f72500b40e60093760f1241af2bd8e057e9ee1a126d59dd208c4b51a10a3121ccc2695831a6936930e32677b85a2ee8",
    "01531db612d0fa35587e6c5579ec067bb7d70b16be4b83863bd69fc20617ada6f6a8b767c0855b74ac7ea5a66e974d8a",
    "09bdfc1517ed4243cf5a164c90af63e8d350db0d090f5427052514f624eda9020845084992efb6458388c2466a6b99ce",
    "16180eae90bc4babe5cda0383a7c3481bbbffc214e52e6b1fa594140abb448be9110d4e7a36f11bc0e744dd0b3367794",
    "0c95146bdcb75e930ca2a130b349c07b1bd901f125b5812b9b483414aad04a6017980725eb8df3b767c92e6a39ace35a",
    "016683026bb0e622e03613bb56f77236801022a45800567d2d28bbff007a6400764c513ad0fe807c05c1f7e3a9309fc1",
    "13607f761409c4093427c180a6e405f7bc354b68886c7cd923f0ba4716cc8511aedf8e0ac307458ea48d1bb928cc4fe0",
    "11a96fed4dc0b0644252b650341865649d5a6bac3794302b52d8915b8e1a76fda7e3704a2aa6fb8af1f83e2afe965862",
);

pub(super) fn bbs04_files(s: &Sources) -> Vec<Generated> {
    let e = |d: DecodeError| bbs04::Error::Decode(d);
    let describe = bbs04_json;
    let mut files = Vec::new();

    // Group public key: version || generation || g1 || g2 || h || u || v || w.
    let gpk = unhex(&s.bbs04.generation0.group_key);
    let mut f = File::new(
        "bbs04_group_key",
        "BBS04 group public key (SPEC.md 4.2)",
        "bbs04::GroupPublicKey::from_bytes",
        gpk.clone(),
        |b| GroupPublicKey::from_bytes(b).map(drop),
        describe,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("group_key.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("group_key.w", 96, 95)),
    );
    f.case(
        "generation cut short",
        Truncated,
        gpk[..3].to_vec(),
        e(truncated("group_key.generation", 4, 2)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("group_key")),
    );
    f.case(
        "version 0",
        UnknownVersion,
        f.with_byte(0, 0),
        e(version("group_key.version", 0)),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("group_key.version", 2)),
    );
    f.g1_cases("g1", 5, |k| e(dec("group_key.g1", k)));
    f.g2_cases("g2", 53, |k| e(dec("group_key.g2", k)));
    f.g1_cases("h", 149, |k| e(dec("group_key.h", k)));
    f.g1_cases("u", 197, |k| e(dec("group_key.u", k)));
    f.g1_cases("v", 245, |k| e(dec("group_key.v", k)));
    f.g2_cases("w", 293, |k| e(dec("group_key.w", k)));
    let mut applicable = vec![Truncated, TrailingBytes, UnknownVersion];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));

    // Member key: version || generation || A || x (non-zero).
    let member = unhex(&s.bbs04.members[0]);
    let mut f = File::new(
        "bbs04_member_key",
        "BBS04 member key (SPEC.md 4.4)",
        "bbs04::MemberKey::from_bytes",
        member,
        |b| MemberKey::from_bytes(b).map(drop),
        describe,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("member_key.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("member_key.x", 32, 31)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("member_key")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("member_key.version", 2)),
    );
    f.g1_cases("A", 5, |k| e(dec("member_key.A", k)));
    f.scalar_cases("x", 53, true, |k| e(dec("member_key.x", k)));
    let mut applicable = vec![
        Truncated,
        TrailingBytes,
        UnknownVersion,
        NonCanonicalScalar,
        ZeroScalar,
    ];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));

    // Manager key: version || xi1 || xi2 || gamma || gpk.
    let manager = unhex(&s.bbs04.generation0.manager_key);
    let mut f = File::new(
        "bbs04_manager_key",
        "BBS04 group manager key (SPEC.md 4.3)",
        "bbs04::GroupManagerKey::from_bytes",
        manager.clone(),
        |b| GroupManagerKey::from_bytes(b).map(drop),
        describe,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("manager_key.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("group_key.w", 96, 95)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("manager_key")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("manager_key.version", 2)),
    );
    f.case(
        "embedded group key version 2",
        UnknownVersion,
        f.with_byte(97, 2),
        e(version("group_key.version", 2)),
    );
    f.scalar_cases("xi1", 1, true, |k| e(dec("manager_key.xi1", k)));
    f.scalar_cases("xi2", 33, true, |k| e(dec("manager_key.xi2", k)));
    f.scalar_cases("gamma", 65, true, |k| e(dec("manager_key.gamma", k)));
    f.g1_cases("embedded g1", 97 + 5, |k| e(dec("group_key.g1", k)));
    f.g2_cases("embedded w", 97 + 293, |k| e(dec("group_key.w", k)));
    let (xi1, xi2) = (manager[1..33].to_vec(), manager[33..65].to_vec());
    let mut swapped = f.with(1, &xi2);
    swapped[33..65].copy_from_slice(&xi1);
    f.case(
        "xi1 and xi2 swapped",
        InconsistentKey,
        swapped,
        bbs04::Error::InconsistentManagerKey,
    );
    let mut one = [0u8; 32];
    one[31] = 1;
    f.case(
        "gamma = 1",
        InconsistentKey,
        f.with(65, &one),
        bbs04::Error::InconsistentManagerKey,
    );
    let other_gpk = unhex(&s.bbs04.other_group_key);
    f.case(
        "group key of another group",
        InconsistentKey,
        f.with(97, &other_gpk),
        bbs04::Error::InconsistentManagerKey,
    );
    let mut applicable = vec![
        Truncated,
        TrailingBytes,
        UnknownVersion,
        NonCanonicalScalar,
        ZeroScalar,
        InconsistentKey,
    ];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));

    // Signature: version || T1 || T2 || T3 || c || s_alpha || s_beta || s_x || s_d1 || s_d2 ||
    // R3.
    let sig = unhex(&s.bbs04.signatures[0].signature);
    let mut f = File::new(
        "bbs04_signature",
        "BBS04 group signature (SPEC.md 4.5)",
        "bbs04::GroupSignature::from_bytes",
        sig,
        |b| GroupSignature::from_bytes(b).map(drop),
        describe,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("signature.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("signature.R3", 576, 575)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("signature")),
    );
    f.case(
        "version 1 (the layout without R3)",
        UnknownVersion,
        f.with_byte(0, 1),
        e(version("signature.version", 1)),
    );
    f.case(
        "version 3",
        UnknownVersion,
        f.with_byte(0, 3),
        e(version("signature.version", 3)),
    );
    f.g1_cases("T1", 1, |k| e(dec("signature.T1", k)));
    f.g1_cases("T2", 49, |k| e(dec("signature.T2", k)));
    f.g1_cases("T3", 97, |k| e(dec("signature.T3", k)));
    for (label, field, at) in [
        ("c", "signature.c", 145),
        ("s_alpha", "signature.s_alpha", 177),
        ("s_beta", "signature.s_beta", 209),
        ("s_x", "signature.s_x", 241),
        ("s_delta1", "signature.s_delta1", 273),
        ("s_delta2", "signature.s_delta2", 305),
    ] {
        f.scalar_cases(label, at, false, |k| e(dec(field, k)));
    }
    // R3, a GT element (SPEC.md 2.1): coefficients below p, the value in GT.
    let p = hex::decode(P_HEX).unwrap();
    let mut two = [0u8; 576];
    two[47] = 2;
    for (what, reason, at, bytes, kind) in [
        (
            "R3 c0.c0.c0 = p",
            NonCanonicalPoint,
            337,
            p.clone(),
            Kind::InvalidPoint,
        ),
        (
            "R3 c1.c2.c1 = p",
            NonCanonicalPoint,
            337 + 11 * 48,
            p,
            Kind::InvalidPoint,
        ),
        (
            "R3 c1.c2.c1 = 2^384 - 1",
            NonCanonicalPoint,
            337 + 11 * 48,
            vec![0xff; 48],
            Kind::InvalidPoint,
        ),
        (
            "R3 zero",
            OffSubgroupPoint,
            337,
            vec![0; 576],
            Kind::NotInSubgroup,
        ),
        (
            "R3 = 2, outside the cyclotomic subgroup",
            OffSubgroupPoint,
            337,
            two.to_vec(),
            Kind::NotInSubgroup,
        ),
        (
            "R3 in the cyclotomic subgroup, of order other than r",
            OffSubgroupPoint,
            337,
            hex::decode(CYCLOTOMIC_OUTSIDE_GT).unwrap(),
            Kind::NotInSubgroup,
        ),
    ] {
        let input = f.with(at, &bytes);
        f.case(what, reason, input, e(dec("signature.R3", kind)));
    }
    let mut applicable = vec![Truncated, TrailingBytes, UnknownVersion, NonCanonicalScalar];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));

    // Revocation record: version || generation || A* || x* || g2'.
    let record = unhex(&s.bbs04.revocation.record);
    let mut f = File::new(
        "bbs04_revocation_record",
        "BBS04 revocation record (SPEC.md 4.8)",
        "bbs04::RevocationRecord::from_bytes",
        record,
        |b| RevocationRecord::from_bytes(b).map(drop),
        describe,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("revocation.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("revocation.g2", 96, 95)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("revocation")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("revocation.version", 2)),
    );
    f.g1_cases("A*", 5, |k| e(dec("revocation.A", k)));
    f.scalar_cases("x*", 53, true, |k| e(dec("revocation.x", k)));
    f.g2_cases("g2'", 85, |k| e(dec("revocation.g2", k)));
    let mut applicable = vec![
        Truncated,
        TrailingBytes,
        UnknownVersion,
        NonCanonicalScalar,
        ZeroScalar,
    ];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));

    // Member id: a bare G1 point.
    let id = unhex(&s.bbs04.member_ids[0]);
    let mut f = File::new(
        "bbs04_member_id",
        "BBS04 member id (SPEC.md 4.4): a bare compressed G1 point",
        "bbs04::MemberId::from_bytes",
        id,
        |b| MemberId::from_bytes(b).map(drop),
        describe,
    );
    f.case("empty", Truncated, vec![], e(truncated("member_id", 48, 0)));
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("member_id", 48, 47)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("member_id")),
    );
    f.g1_cases("A", 0, |k| e(dec("member_id", k)));
    let mut applicable = vec![Truncated, TrailingBytes];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));
    files
}
