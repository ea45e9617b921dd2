#![no_main]
//! BBS04 group public keys: decoding, and a decoded key used against the vector objects.

use blindpost::bbs04::{GroupPublicKey, PreparedGroupKey};
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(key) = roundtrip(data, GroupPublicKey::from_bytes, GroupPublicKey::to_bytes) else {
        return;
    };
    let v = vectors();
    let is_vector_key = key == v.group_key;
    assert_eq!(v.member.check(&key).is_ok(), is_vector_key);
    let prepared = PreparedGroupKey::new(key.clone());
    let verified = prepared.verify(&v.context, &v.message, &v.signature);
    assert_eq!(verified.is_ok(), is_vector_key);
    let _ = key.apply(&v.record);
});
