//! BBS04 test vectors (`test-vectors/bbs04.json`).
//!
//! `vectors_match_the_generator` regenerates the whole file from its seed with `VectorRng` and
//! compares (run with `BLINDPOST_WRITE_VECTORS=1` to rewrite it); `vectors_check_without_the_generator`
//! only decodes, verifies, opens, applies and updates what the file holds, as another
//! implementation would.

use crate::vector_file;
use crate::vector_file::unhex;
use crate::vector_file::KindName;
use blindpost::bbs04::{
    Checkpoint, Error, GroupManagerKey, GroupPublicKey, GroupSignature, MemberId, MemberKey,
    PreparedGroupKey, RevocationRecord,
};
use blindpost::vector_rng::VectorRng;
use bls12_381::{G1Affine, G2Affine};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const SEED: &str = "blindpost/v1 bbs04 test vectors";
const OTHER_SEED: &str = "blindpost/v1 bbs04 test vectors: another group";

/// r, the order of the groups, big-endian.
const R_HEX: &str = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
/// p, the base field modulus, big-endian.
const P_HEX: &str = "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";

fn h(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(bytes)
}

/// `test-vectors/bbs04.json` (byte strings hex).
#[derive(Debug, Deserialize)]
pub(crate) struct Bbs04File {
    pub(crate) generation0: Generation,
    pub(crate) generation1: Generation,
    pub(crate) members: Vec<String>,
    pub(crate) member_ids: Vec<String>,
    pub(crate) signatures: Vec<SignatureCase>,
    pub(crate) revocation: Revocation,
    pub(crate) checkpoint: CheckpointCase,
    pub(crate) other_group_key: String,
    negative: Vec<NegativeCase>,
}

/// The manager key and group key of one generation.
#[derive(Debug, Deserialize)]
pub(crate) struct Generation {
    pub(crate) manager_key: String,
    pub(crate) group_key: String,
}

/// A signature by member `member` under the group key of `group` ("generation0" or
/// "generation1"), and the member id its opening gives.
#[derive(Debug, Deserialize)]
pub(crate) struct SignatureCase {
    pub(crate) member: usize,
    pub(crate) group: String,
    pub(crate) context: String,
    pub(crate) message: String,
    pub(crate) signature: String,
    pub(crate) opened: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Revocation {
    pub(crate) revoked_member: usize,
    pub(crate) record: String,
    updated_members: Vec<UpdatedMember>,
}

/// The checkpoint of generation 1 for members 0 and 2 (SPEC.md 4.15): each member's tag, mask
/// and entry, and the whole encoding with its random padding.
#[derive(Debug, Deserialize)]
pub(crate) struct CheckpointCase {
    entries: Vec<CheckpointEntry>,
    pub(crate) checkpoint: String,
}

#[derive(Debug, Deserialize)]
struct CheckpointEntry {
    member: usize,
    tag: String,
    mask: String,
    entry: String,
}

#[derive(Debug, Deserialize)]
struct UpdatedMember {
    member: usize,
    key: String,
}

/// What a negative case does with its input (`object`): decode it, or run an operation.
#[derive(Debug, Deserialize)]
struct Check {
    check: String,
    group_key: Option<String>,
    context: Option<String>,
    message: Option<String>,
    record: Option<String>,
    checkpoint: Option<String>,
}

/// An input that must fail, and how.
#[derive(Debug, Deserialize)]
struct NegativeCase {
    name: String,
    object: String,
    input: String,
    #[serde(flatten)]
    check: Check,
    expected: Outcome,
}

/// The outcome of a negative case, as the file writes it (SPEC.md 2.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
enum Outcome {
    Decode { field: String, kind: KindName },
    InconsistentManagerKey,
    GenerationMismatch,
    WrongGeneration,
    GenerationExhausted,
    InvalidRevocationRecord,
    Revoked,
    NotAMember,
    InvalidSignature,
    GroupMismatch,
    ContextTooLong,
}

/// The library's error in the file's vocabulary.
fn outcome(e: &Error) -> Outcome {
    match e {
        Error::Decode(d) => Outcome::Decode {
            field: d.field.to_owned(),
            kind: d.kind.into(),
        },
        Error::InconsistentManagerKey => Outcome::InconsistentManagerKey,
        Error::GenerationMismatch { .. } => Outcome::GenerationMismatch,
        Error::WrongGeneration { .. } => Outcome::WrongGeneration,
        Error::GenerationExhausted => Outcome::GenerationExhausted,
        Error::InvalidRevocationRecord => Outcome::InvalidRevocationRecord,
        Error::Revoked => Outcome::Revoked,
        Error::NotAMember => Outcome::NotAMember,
        Error::InvalidSignature => Outcome::InvalidSignature,
        Error::GroupMismatch => Outcome::GroupMismatch,
        Error::ContextTooLong { .. } => Outcome::ContextTooLong,
        other => panic!("an error outside SPEC.md 4.15: {other:?}"),
    }
}

/// The tag and mask of SPEC.md 4.15 for the member with secret `x` (32 bytes, big-endian)
/// under the encoded group key `group`, written out with `sha2` alone.
fn tag_and_mask(group: &[u8], x: &[u8]) -> ([u8; 16], [u8; 48]) {
    use sha2::{Digest, Sha256, Sha512};
    let tag_dst = b"blindpost/v1/bbs04/checkpoint-tag";
    let mask_dst = b"blindpost/v1/bbs04/checkpoint-mask";
    let tag = Sha256::new()
        .chain_update([tag_dst.len() as u8])
        .chain_update(tag_dst)
        .chain_update(group)
        .chain_update(x)
        .finalize();
    let mask = Sha512::new()
        .chain_update([mask_dst.len() as u8])
        .chain_update(mask_dst)
        .chain_update(group)
        .chain_update(x)
        .finalize();
    (
        tag[..16].try_into().unwrap(),
        mask[..48].try_into().unwrap(),
    )
}

/// A compressed G1 encoding whose x is canonical but gives no curve point.
fn g1_off_curve() -> [u8; 48] {
    let mut bytes = [0u8; 48];
    bytes[0] = 0x80;
    for x in 1u8.. {
        bytes[47] = x;
        if bool::from(G1Affine::from_compressed_unchecked(&bytes).is_none()) {
            return bytes;
        }
    }
    unreachable!()
}

/// A compressed G1 encoding of a curve point outside the prime-order subgroup.
fn g1_off_subgroup() -> [u8; 48] {
    let mut bytes = [0u8; 48];
    bytes[0] = 0x80;
    for x in 1u8.. {
        bytes[47] = x;
        if let Some(p) = Option::<G1Affine>::from(G1Affine::from_compressed_unchecked(&bytes)) {
            if !bool::from(p.is_torsion_free()) {
                return bytes;
            }
        }
    }
    unreachable!()
}

/// A compressed G2 encoding (x = c1*u + c0, c1 first) giving no curve point.
fn g2_off_curve() -> [u8; 96] {
    let mut bytes = [0u8; 96];
    bytes[0] = 0x80;
    for x in 1u8.. {
        bytes[95] = x;
        if bool::from(G2Affine::from_compressed_unchecked(&bytes).is_none()) {
            return bytes;
        }
    }
    unreachable!()
}

/// A compressed G2 encoding of a curve point outside the prime-order subgroup.
fn g2_off_subgroup() -> [u8; 96] {
    let mut bytes = [0u8; 96];
    bytes[0] = 0x80;
    for x in 1u8.. {
        bytes[95] = x;
        if let Some(p) = Option::<G2Affine>::from(G2Affine::from_compressed_unchecked(&bytes)) {
            if !bool::from(p.is_torsion_free()) {
                return bytes;
            }
        }
    }
    unreachable!()
}

fn g1_identity() -> [u8; 48] {
    G1Affine::identity().to_compressed()
}

fn with(bytes: impl AsRef<[u8]>, offset: usize, patch: &[u8]) -> Vec<u8> {
    let mut out = bytes.as_ref().to_vec();
    out[offset..offset + patch.len()].copy_from_slice(patch);
    out
}

/// Adds one to the 32-byte big-endian scalar at `offset`.
fn plus_one(bytes: &[u8], offset: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for b in out[offset..offset + 32].iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
    out
}

/// Offsets inside a signature encoding.
const T1: usize = 1;
const T2: usize = 49;
const T3: usize = 97;
const C: usize = 145;
const S_ALPHA: usize = 177;
const S_BETA: usize = 209;
const S_X: usize = 241;
/// Offset of R3 in a signature.
const R3: usize = 337;
const S_DELTA1: usize = 273;
const S_DELTA2: usize = 305;

/// Builds the whole vector file from the seed.
fn generate() -> Value {
    let mut rng = VectorRng::new(SEED.as_bytes());
    let mut manager = GroupManagerKey::generate(&mut rng);
    let manager0 = manager.to_bytes();
    let group0 = manager.public_key().clone();
    let prepared0 = PreparedGroupKey::new(group0.clone());
    let members = manager.issue_members(&mut rng, 3);

    let inputs: [(&[u8], &[u8]); 3] = [
        (b"blindpost/v1 reply to account 42, generation 0", b"hello"),
        (b"", b""),
        (b"context", &[0xabu8; 300]),
    ];
    let mut signatures = Vec::new();
    let mut sig_bytes = Vec::new();
    for (i, (member, (ctx, msg))) in members.iter().zip(inputs).enumerate() {
        let sig = member.sign(&mut rng, &prepared0, ctx, msg).unwrap();
        sig_bytes.push(sig.to_bytes());
        signatures.push(json!({
            "member": i,
            "group": "generation0",
            "context": h(ctx),
            "message": h(msg),
            "signature": h(sig.to_bytes()),
            "opened": h(manager.open(&sig).to_bytes()),
        }));
    }

    let record = manager.revoke(&members[1]).unwrap();
    let group1 = manager.public_key().clone();
    let prepared1 = PreparedGroupKey::new(group1.clone());
    let updated: Vec<Value> = [0usize, 2]
        .iter()
        .map(|&i| json!({"member": i, "key": h(members[i].update(&record, &group0).unwrap().to_bytes())}))
        .collect();
    let updated0 = members[0].update(&record, &group0).unwrap();
    let (ctx1, msg1) = (b"blindpost/v1 reply to account 42, generation 1", b"after");
    let sig1 = updated0.sign(&mut rng, &prepared1, ctx1, msg1).unwrap();
    signatures.push(json!({
        "member": 0,
        "group": "generation1",
        "context": h(ctx1),
        "message": h(msg1),
        "signature": h(sig1.to_bytes()),
        "opened": h(manager.open(&sig1).to_bytes()),
    }));

    let kept: Vec<MemberKey> = [0usize, 2]
        .iter()
        .map(|&i| members[i].update(&record, &group0).unwrap())
        .collect();
    let checkpoint = Checkpoint::new(&mut rng, &group1, &kept).unwrap();
    let ck = checkpoint.to_bytes();
    let checkpoint_entries: Vec<Value> = [0usize, 2]
        .iter()
        .zip(&kept)
        .map(|(&i, key)| {
            let x = &members[i].to_bytes()[53..85];
            let (tag, mask) = tag_and_mask(&group1.to_bytes(), x);
            let entry: Vec<u8> = tag
                .iter()
                .copied()
                .chain(mask.iter().zip(&key.id().to_bytes()).map(|(m, a)| m ^ a))
                .collect();
            json!({"member": i, "tag": h(tag), "mask": h(mask), "entry": h(entry)})
        })
        .collect();

    let other = GroupManagerKey::generate(&mut VectorRng::new(OTHER_SEED.as_bytes()));
    let other_group = other.public_key().to_bytes();

    // Negative cases.
    let g0 = group0.to_bytes();
    let g1 = group1.to_bytes();
    let s0 = sig_bytes[0];
    let (ctx0, msg0) = inputs[0];
    let m0 = members[0].to_bytes();
    let rec = record.to_bytes();
    let r = hex::decode(R_HEX).unwrap();
    let p = hex::decode(P_HEX).unwrap();
    let mut non_canonical_x = [0u8; 48];
    non_canonical_x.copy_from_slice(&p);
    non_canonical_x[0] |= 0x80;
    let mut cases: Vec<(String, &str, Vec<u8>, Value)> = Vec::new();
    let mut decode = |name: &str, object: &'static str, bytes: Vec<u8>| {
        cases.push((name.to_string(), object, bytes, json!({"check": "decode"})));
    };
    decode(
        "signature T1 not on the curve",
        "signature",
        with(s0, T1, &g1_off_curve()),
    );
    decode(
        "signature T1 x not below p",
        "signature",
        with(s0, T1, &non_canonical_x),
    );
    decode(
        "signature T2 outside the subgroup",
        "signature",
        with(s0, T2, &g1_off_subgroup()),
    );
    decode(
        "signature T3 is the identity",
        "signature",
        with(s0, T3, &g1_identity()),
    );
    decode("signature c = r", "signature", with(s0, C, &r));
    decode(
        "signature s_x = 2^256 - 1",
        "signature",
        with(s0, S_X, &[0xff; 32]),
    );
    decode(
        "signature R3 coefficient c0.c0.c0 = p",
        "signature",
        with(s0, R3, &p),
    );
    decode(
        "signature R3 last coefficient = 2^384 - 1",
        "signature",
        with(s0, R3 + 11 * 48, &[0xff; 48]),
    );
    decode("signature R3 is zero", "signature", with(s0, R3, &[0; 576]));
    let mut two = [0u8; 576];
    two[47] = 2;
    decode(
        "signature R3 = 2, outside the cyclotomic subgroup",
        "signature",
        with(s0, R3, &two),
    );
    decode(
        "signature version 1 (without R3)",
        "signature",
        with(s0, 0, &[1]),
    );
    decode(
        "signature trailing byte",
        "signature",
        [&s0[..], &[0]].concat(),
    );
    decode(
        "signature truncated",
        "signature",
        s0[..GroupSignature::SIZE - 1].to_vec(),
    );
    decode(
        "group key g2 not on the curve",
        "group_key",
        with(g0, 53, &g2_off_curve()),
    );
    decode(
        "group key w outside the subgroup",
        "group_key",
        with(g0, 293, &g2_off_subgroup()),
    );
    decode(
        "group key h is the identity",
        "group_key",
        with(g0, 149, &g1_identity()),
    );
    decode("group key unknown version", "group_key", with(g0, 0, &[0]));
    decode(
        "group key trailing byte",
        "group_key",
        [&g0[..], &[0]].concat(),
    );
    decode(
        "group key truncated",
        "group_key",
        g0[..GroupPublicKey::SIZE - 1].to_vec(),
    );
    decode(
        "member key x is zero",
        "member_key",
        with(&m0, 53, &[0; 32]),
    );
    decode("member key x = r", "member_key", with(&m0, 53, &r));
    decode(
        "member key A is the identity",
        "member_key",
        with(&m0, 5, &g1_identity()),
    );
    decode("manager key xi1 and xi2 swapped", "manager_key", {
        let mut b = manager0.to_vec();
        b[1..33].copy_from_slice(&manager0[33..65]);
        b[33..65].copy_from_slice(&manager0[1..33]);
        b
    });
    decode(
        "revocation g2' is the identity",
        "revocation",
        with(rec, 85, &G2Affine::identity().to_compressed()),
    );
    decode(
        "revocation trailing byte",
        "revocation",
        [&rec[..], &[0]].concat(),
    );
    let entry = |i: usize| 7 + 64 * i..7 + 64 * (i + 1);
    decode("checkpoint entries not sorted", "checkpoint", {
        let mut b = ck.clone();
        b[entry(0)].copy_from_slice(&ck[entry(1)]);
        b[entry(1)].copy_from_slice(&ck[entry(0)]);
        b
    });
    decode("checkpoint tag repeated", "checkpoint", {
        let mut b = ck.clone();
        b[entry(1)].copy_from_slice(&ck[entry(0)]);
        b
    });
    decode(
        "checkpoint count not a power of two",
        "checkpoint",
        [&ck[..5], &15u16.to_be_bytes(), &ck[7..7 + 15 * 64]].concat(),
    );
    decode(
        "checkpoint count below 16",
        "checkpoint",
        [&ck[..5], &8u16.to_be_bytes(), &ck[7..7 + 8 * 64]].concat(),
    );
    decode(
        "checkpoint count above 1024",
        "checkpoint",
        [&ck[..5], &2048u16.to_be_bytes(), &ck[7..]].concat(),
    );
    decode(
        "checkpoint truncated entry",
        "checkpoint",
        ck[..ck.len() - 1].to_vec(),
    );
    decode(
        "checkpoint trailing byte",
        "checkpoint",
        [&ck[..], &[0]].concat(),
    );

    let verify = |name: &str, sig: Vec<u8>, group: &[u8], ctx: &[u8], msg: &[u8]| {
        (
            name.to_string(),
            "signature",
            sig,
            json!({"check": "verify", "group_key": h(group), "context": h(ctx), "message": h(msg)}),
        )
    };
    let negated_t1 = with(s0, T1, &[s0[T1] ^ 0x20]);
    cases.extend([
        verify(
            "tampered T1 (T2 in its place)",
            with(s0, T1, &s0[T2..T2 + 48]),
            &g0,
            ctx0,
            msg0,
        ),
        verify("tampered T1 (negated)", negated_t1, &g0, ctx0, msg0),
        verify(
            "tampered T2 (T1 in its place)",
            with(s0, T2, &s0[T1..T1 + 48]),
            &g0,
            ctx0,
            msg0,
        ),
        verify(
            "tampered T3 (T1 in its place)",
            with(s0, T3, &s0[T1..T1 + 48]),
            &g0,
            ctx0,
            msg0,
        ),
        verify("tampered c", plus_one(&s0, C), &g0, ctx0, msg0),
        verify("tampered s_alpha", plus_one(&s0, S_ALPHA), &g0, ctx0, msg0),
        verify("tampered s_beta", plus_one(&s0, S_BETA), &g0, ctx0, msg0),
        verify("tampered s_x", plus_one(&s0, S_X), &g0, ctx0, msg0),
        verify(
            "tampered s_delta1",
            plus_one(&s0, S_DELTA1),
            &g0,
            ctx0,
            msg0,
        ),
        verify(
            "tampered s_delta2",
            plus_one(&s0, S_DELTA2),
            &g0,
            ctx0,
            msg0,
        ),
        verify(
            "wrong context",
            s0.to_vec(),
            &g0,
            b"blindpost/v1 reply to account 43, generation 0",
            msg0,
        ),
        verify("wrong message", s0.to_vec(), &g0, ctx0, b"hellO"),
        verify("wrong group", s0.to_vec(), &other_group, ctx0, msg0),
        verify(
            "stale generation: generation 0 signature against generation 1",
            s0.to_vec(),
            &g1,
            ctx0,
            msg0,
        ),
    ]);
    cases.push((
        "revoked member cannot update".into(),
        "member_key",
        members[1].to_bytes().to_vec(),
        json!({"check": "update", "record": h(rec), "group_key": h(g0)}),
    ));
    cases.push((
        "revoked member finds no checkpoint entry".into(),
        "member_key",
        members[1].to_bytes().to_vec(),
        json!({"check": "catch_up", "checkpoint": h(&ck), "group_key": h(g1)}),
    ));
    cases.push((
        "record applied twice".into(),
        "revocation",
        rec.to_vec(),
        json!({"check": "apply", "group_key": h(g1)}),
    ));
    cases.push((
        "record with a different x*".into(),
        "revocation",
        plus_one(&rec, 53),
        json!({"check": "apply", "group_key": h(g0)}),
    ));
    cases.push((
        "stale member key signs under the next generation".into(),
        "member_key",
        m0.to_vec(),
        json!({"check": "sign", "group_key": h(g1), "context": h(ctx1), "message": h(msg1)}),
    ));

    let negative: Vec<Value> = cases
        .into_iter()
        .map(|(name, object, bytes, mut check)| {
            let typed: Check = serde_json::from_value(check.clone()).unwrap();
            let err = run_check(object, &bytes, &typed).expect_err(&name);
            let obj = check.as_object_mut().unwrap();
            obj.insert("name".into(), json!(name));
            obj.insert("object".into(), json!(object));
            obj.insert("input".into(), json!(h(&bytes)));
            obj.insert(
                "expected".into(),
                serde_json::to_value(outcome(&err)).unwrap(),
            );
            check
        })
        .collect();

    json!({
        "source": "blindpost test vectors for BBS04 group signatures on BLS12-381 (SPEC.md section 4), generated by tests/vectors/bbs04.rs",
        "randomness": "VectorRng(seed) of SPEC.md 2.5, one stream consumed in the order of `steps`; the wrong-group key comes from VectorRng(other_group_seed)",
        "seed": SEED,
        "other_group_seed": OTHER_SEED,
        "steps": [
            "manager = GroupManagerKey::generate (draws t_g1, t_h, t_g2, xi1, xi2, gamma)",
            "members = manager.issue_members(3) (draws x_0, x_1, x_2)",
            "signatures[0..3]: member i signs (context_i, message_i) under generation0 (7 draws each)",
            "record = manager.revoke(members[1]) (no draws)",
            "members 0 and 2 update with record",
            "signatures[3]: updated member 0 signs under generation1",
            "checkpoint = Checkpoint::new(generation1, [updated member 0, updated member 2]) (draws 14 padding entries: 16 tag bytes, then 48 bytes, each)",
        ],
        "generation0": {"manager_key": h(&manager0), "group_key": h(g0)},
        "members": members.iter().map(|m| h(m.to_bytes())).collect::<Vec<_>>(),
        "member_ids": members.iter().map(|m| h(m.id().to_bytes())).collect::<Vec<_>>(),
        "signatures": signatures,
        "revocation": {
            "revoked_member": 1,
            "record": h(rec),
            "updated_members": updated,
        },
        "checkpoint": {
            "entries": checkpoint_entries,
            "checkpoint": h(&ck),
        },
        "generation1": {"manager_key": h(manager.to_bytes()), "group_key": h(g1)},
        "other_group_key": h(other_group),
        "negative": negative,
    })
}

/// Runs one negative case's check; Ok(()) means the input was accepted.
fn run_check(object: &str, bytes: &[u8], check: &Check) -> Result<(), Error> {
    let field = |k: &str| {
        let value = match k {
            "group_key" => &check.group_key,
            "context" => &check.context,
            "message" => &check.message,
            "checkpoint" => &check.checkpoint,
            _ => &check.record,
        };
        unhex(
            value
                .as_deref()
                .unwrap_or_else(|| panic!("the check needs {k}")),
        )
    };
    match check.check.as_str() {
        "decode" => match object {
            "signature" => GroupSignature::from_bytes(bytes).map(|_| ()),
            "group_key" => GroupPublicKey::from_bytes(bytes).map(|_| ()),
            "member_key" => MemberKey::from_bytes(bytes).map(|_| ()),
            "manager_key" => GroupManagerKey::from_bytes(bytes).map(|_| ()),
            "revocation" => RevocationRecord::from_bytes(bytes).map(|_| ()),
            "checkpoint" => Checkpoint::from_bytes(bytes).map(|_| ()),
            other => panic!("unknown object {other}"),
        },
        "verify" => {
            let group =
                PreparedGroupKey::new(GroupPublicKey::from_bytes(&field("group_key")).unwrap());
            let sig = GroupSignature::from_bytes(bytes)?;
            group.verify(&field("context"), &field("message"), &sig)
        }
        "update" => {
            let member = MemberKey::from_bytes(bytes)?;
            let record = RevocationRecord::from_bytes(&field("record")).unwrap();
            let group = GroupPublicKey::from_bytes(&field("group_key")).unwrap();
            member.update(&record, &group).map(|_| ())
        }
        "catch_up" => {
            let member = MemberKey::from_bytes(bytes)?;
            let checkpoint = Checkpoint::from_bytes(&field("checkpoint")).unwrap();
            let group = GroupPublicKey::from_bytes(&field("group_key")).unwrap();
            member.catch_up(&group, &checkpoint).map(|_| ())
        }
        "apply" => {
            let record = RevocationRecord::from_bytes(bytes)?;
            let group = GroupPublicKey::from_bytes(&field("group_key")).unwrap();
            group.apply(&record).map(|_| ())
        }
        "sign" => {
            let member = MemberKey::from_bytes(bytes)?;
            let group =
                PreparedGroupKey::new(GroupPublicKey::from_bytes(&field("group_key")).unwrap());
            let mut rng = VectorRng::new(b"unused: sign fails before drawing");
            member
                .sign(&mut rng, &group, &field("context"), &field("message"))
                .map(|_| ())
        }
        other => panic!("unknown check {other}"),
    }
}

#[test]
fn vectors_match_the_generator() {
    vector_file::check_generated("bbs04.json", &generate());
}

#[test]
fn vectors_check_without_the_generator() {
    let v: Bbs04File = vector_file::read("bbs04.json");
    let manager0 = GroupManagerKey::from_bytes(&unhex(&v.generation0.manager_key)).unwrap();
    let group0 = GroupPublicKey::from_bytes(&unhex(&v.generation0.group_key)).unwrap();
    assert_eq!(manager0.public_key(), &group0);
    assert_eq!(group0.generation(), 0);
    let members: Vec<MemberKey> = v
        .members
        .iter()
        .map(|m| MemberKey::from_bytes(&unhex(m)).unwrap())
        .collect();
    assert_eq!(members.len(), 3);
    for (m, id) in members.iter().zip(&v.member_ids) {
        m.check(&group0).unwrap();
        assert_eq!(m.id(), MemberId::from_bytes(&unhex(id)).unwrap());
    }

    let record = RevocationRecord::from_bytes(&unhex(&v.revocation.record)).unwrap();
    let group1 = GroupPublicKey::from_bytes(&unhex(&v.generation1.group_key)).unwrap();
    assert_eq!(group0.apply(&record).unwrap(), group1);
    let manager1 = GroupManagerKey::from_bytes(&unhex(&v.generation1.manager_key)).unwrap();
    assert_eq!(manager1.public_key(), &group1);
    // Revoking member 1 from the generation-0 manager key reproduces the record exactly.
    let mut revoking = GroupManagerKey::from_bytes(&manager0.to_bytes()[..]).unwrap();
    assert_eq!(
        revoking
            .revoke(&members[v.revocation.revoked_member])
            .unwrap(),
        record
    );
    assert_eq!(revoking.to_bytes(), manager1.to_bytes());
    for u in &v.revocation.updated_members {
        let updated = members[u.member].update(&record, &group0).unwrap();
        assert_eq!(updated.to_bytes().to_vec(), unhex(&u.key));
        updated.check(&group1).unwrap();
    }

    // The checkpoint: decodes, re-encodes identically, holds each entry as SPEC.md 4.15 derives
    // it, and catches members 0 and 2 up to their generation-1 keys.
    let ck = unhex(&v.checkpoint.checkpoint);
    let checkpoint = Checkpoint::from_bytes(&ck).unwrap();
    assert_eq!(checkpoint.to_bytes(), ck);
    assert_eq!((checkpoint.generation(), checkpoint.len()), (1, 16));
    assert_eq!(v.checkpoint.entries.len(), 2);
    for e in &v.checkpoint.entries {
        let x = &members[e.member].to_bytes()[53..85];
        let (tag, mask) = tag_and_mask(&group1.to_bytes(), x);
        assert_eq!((h(tag), h(mask)), (e.tag.clone(), e.mask.clone()));
        assert!(ck[7..].chunks(64).any(|c| c == unhex(&e.entry).as_slice()));
        let caught = members[e.member].catch_up(&group1, &checkpoint).unwrap();
        let updated = members[e.member].update(&record, &group0).unwrap();
        assert_eq!(caught, updated);
        assert_eq!(
            h(&unhex(&e.entry)[16..]),
            h(mask
                .iter()
                .zip(&caught.id().to_bytes())
                .map(|(m, a)| m ^ a)
                .collect::<Vec<u8>>())
        );
    }

    let prepared0 = PreparedGroupKey::new(group0);
    let prepared1 = PreparedGroupKey::new(group1);
    assert_eq!(v.signatures.len(), 4);
    for s in &v.signatures {
        let sig = GroupSignature::from_bytes(&unhex(&s.signature)).unwrap();
        let (prepared, manager) = match s.group.as_str() {
            "generation0" => (&prepared0, &manager0),
            "generation1" => (&prepared1, &manager1),
            other => panic!("unknown group {other}"),
        };
        prepared
            .verify(&unhex(&s.context), &unhex(&s.message), &sig)
            .unwrap();
        let opened = MemberId::from_bytes(&unhex(&s.opened)).unwrap();
        assert_eq!(manager.open(&sig), opened);
        let expected = if s.group == "generation0" {
            members[s.member].id()
        } else {
            members[s.member]
                .update(&record, prepared0.group_key())
                .unwrap()
                .id()
        };
        assert_eq!(opened, expected);
    }

    assert!(v.negative.len() >= 30);
    for case in &v.negative {
        let err = run_check(&case.object, &unhex(&case.input), &case.check).expect_err(&case.name);
        assert_eq!(outcome(&err), case.expected, "{}", case.name);
    }
}

/// Recomputes the challenge of every vector signature from SPEC.md 4.5 with plain
/// `bls12_381` and `sha2` calls: the paper's verification equations (R3 from four pairings
/// and GT exponentiations, not the library's single pairing product), the GT encoding read
/// from `Display` text, and the hash layout written out field by field.
#[test]
fn challenges_match_an_independent_computation() {
    use bls12_381::{pairing, G1Projective, Gt, Scalar};
    use sha2::{Digest, Sha512};

    fn g1(b: &[u8]) -> G1Affine {
        G1Affine::from_compressed(b.try_into().unwrap()).unwrap()
    }
    fn g2(b: &[u8]) -> G2Affine {
        G2Affine::from_compressed(b.try_into().unwrap()).unwrap()
    }
    fn scalar(b: &[u8]) -> Scalar {
        let mut le: [u8; 32] = b.try_into().unwrap();
        le.reverse();
        Scalar::from_bytes(&le).unwrap()
    }
    fn gt_bytes(gt: &Gt) -> Vec<u8> {
        let text = gt.to_string();
        let coefficients: Vec<&str> = text.split("0x").skip(1).map(|c| &c[..96]).collect();
        assert_eq!(coefficients.len(), 12);
        hex::decode(coefficients.concat()).unwrap()
    }

    let v: Bbs04File = vector_file::read("bbs04.json");
    let generation = |name: &str| match name {
        "generation0" => &v.generation0,
        _ => &v.generation1,
    };
    for s in &v.signatures {
        let gpk = unhex(&generation(&s.group).group_key);
        let (gen_g1, gen_g2, h, u, vv, w) = (
            g1(&gpk[5..53]),
            g2(&gpk[53..149]),
            g1(&gpk[149..197]),
            g1(&gpk[197..245]),
            g1(&gpk[245..293]),
            g2(&gpk[293..389]),
        );
        let sig = unhex(&s.signature);
        let (t1, t2, t3) = (g1(&sig[T1..T2]), g1(&sig[T2..T3]), g1(&sig[T3..C]));
        let sc = |o: usize| scalar(&sig[o..o + 32]);
        let (c, sa, sb, sx, sd1, sd2) = (
            sc(C),
            sc(S_ALPHA),
            sc(S_BETA),
            sc(S_X),
            sc(S_DELTA1),
            sc(S_DELTA2),
        );
        let r1 = G1Affine::from(u * sa - t1 * c);
        let r2 = G1Affine::from(vv * sb - t2 * c);
        let r4 = G1Affine::from(t1 * sx - u * sd1);
        let r5 = G1Affine::from(t2 * sx - vv * sd2);
        let r3 = pairing(&t3, &gen_g2) * sx
            + pairing(&h, &w) * (-sa - sb)
            + pairing(&h, &gen_g2) * (-sd1 - sd2)
            + (pairing(&t3, &w) - pairing(&gen_g1, &gen_g2)) * c;
        let (ctx, msg) = (unhex(&s.context), unhex(&s.message));
        let dst = b"blindpost/v1/bbs04/challenge";
        let mut hash = Sha512::new();
        hash.update([dst.len() as u8]);
        hash.update(dst);
        hash.update(&gpk);
        hash.update((ctx.len() as u16).to_be_bytes());
        hash.update(&ctx);
        hash.update((msg.len() as u64).to_be_bytes());
        hash.update(&msg);
        hash.update(&sig[T1..C]);
        hash.update(r1.to_compressed());
        hash.update(r2.to_compressed());
        hash.update(gt_bytes(&r3));
        hash.update(r4.to_compressed());
        hash.update(r5.to_compressed());
        let mut wide: [u8; 64] = hash.finalize().into();
        wide.reverse();
        assert_eq!(Scalar::from_bytes_wide(&wide), c, "{}", s.signature);
        // And the member the manager opened satisfies T3 = A * h^(alpha + beta) for the
        // opening key: A = T3 - xi1 T1 - xi2 T2.
        let manager = unhex(&generation(&s.group).manager_key);
        let (xi1, xi2) = (scalar(&manager[1..33]), scalar(&manager[33..65]));
        let a = G1Affine::from(G1Projective::from(t3) - t1 * xi1 - t2 * xi2);
        assert_eq!(hex::encode(a.to_compressed()), s.opened);
    }
}
