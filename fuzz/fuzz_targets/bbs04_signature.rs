#![no_main]
//! BBS04 signatures: decoding; a decoded signature is verified and opened under the vector
//! group without panicking, and only the vector signature verifies.

use blindpost::bbs04::GroupSignature;
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(signature) = roundtrip(data, GroupSignature::from_bytes, GroupSignature::to_bytes)
    else {
        return;
    };
    let v = vectors();
    let verified = v.prepared.verify(&v.context, &v.message, &signature);
    assert_eq!(verified.is_ok(), signature == v.signature);
    let _ = v.manager.open(&signature);
    let _ = v
        .manager
        .open_verified(&v.prepared, &v.context, &v.message, &signature);
});
