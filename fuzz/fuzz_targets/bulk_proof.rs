#![no_main]
//! Bulk-sender proofs (SPEC.md 18.2); a decoded proof has a canonical domain, a chain of 1 to 4
//! non-empty certificates and a signature, and its signed message ends with the identity key.

use blindpost::bulk::{is_canonical_domain, BulkProof, MAX_CHAIN_LEN};
use common::roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(proof) = roundtrip(data, BulkProof::from_bytes, BulkProof::to_bytes) else {
        return;
    };
    assert!(is_canonical_domain(&proof.domain));
    assert!((1..=MAX_CHAIN_LEN).contains(&proof.chain.len()));
    assert!(proof.chain.iter().all(|c| !c.is_empty()));
    assert!(!proof.signature.is_empty());
    let key = [7u8; 48];
    assert!(BulkProof::signed_message(&proof.domain, &key).ends_with(&key));
});
