#![no_main]
//! BBS04 group public keys: decoding, and a decoded key used against the vector objects.

use blindpost::bbs04::{GroupPublicKey, PreparedGroupKey};
use common::{roundtrip, vectors::vectors};

/// The bytes of the fields a member key's check involves (SPEC.md 4.2, 4.4): generation, g1,
/// g2 and w. h, u and v do not enter the membership equation, so a key that differs only there
/// still holds the vector member.
fn membership_fields(bytes: &[u8; GroupPublicKey::SIZE]) -> (&[u8], &[u8]) {
    (&bytes[1..149], &bytes[293..389])
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(key) = roundtrip(data, GroupPublicKey::from_bytes, GroupPublicKey::to_bytes) else {
        return;
    };
    let v = vectors();
    let is_vector_key = key == v.group_key;
    let (bytes, vector_bytes) = (key.to_bytes(), v.group_key.to_bytes());
    if membership_fields(&bytes) == membership_fields(&vector_bytes) {
        assert!(v.member.check(&key).is_ok());
    }
    // The signature's challenge binds the whole group key: only the vector key verifies it.
    let prepared = PreparedGroupKey::new(key.clone());
    let verified = prepared.verify(&v.context, &v.message, &v.signature);
    assert_eq!(verified.is_ok(), is_vector_key);
    let _ = key.apply(&v.record);
});
