#![no_main]
//! BBS04 signatures: decoding; a decoded signature is verified and opened under the vector
//! group without panicking, only the vector signature verifies, and a batch of the vector
//! signature and the decoded one gives what verifying each gives.

use blindpost::bbs04::{BatchEntry, GroupSignature};
use blindpost::vector_rng::VectorRng;
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(signature) = roundtrip(data, GroupSignature::from_bytes, GroupSignature::to_bytes)
    else {
        return;
    };
    let v = vectors();
    let verified = v.prepared.verify(&v.context, &v.message, &signature);
    assert_eq!(verified.is_ok(), signature == v.signature);
    let entry = |signature| BatchEntry {
        context: &v.context,
        message: &v.message,
        signature,
    };
    let batch = v.prepared.verify_batch(
        &mut VectorRng::new(b"fuzz bbs04 batch"),
        &[entry(&v.signature), entry(&signature)],
    );
    assert_eq!(batch, [Ok(()), verified]);
    let _ = v.manager.open(&signature);
    let _ = v
        .manager
        .open_verified(&v.prepared, &v.context, &v.message, &signature);
});
