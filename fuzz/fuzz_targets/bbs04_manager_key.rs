#![no_main]
//! BBS04 manager keys: decoding (with the consistency check); a decoded manager issues member
//! keys that check against its own group key.

use blindpost::bbs04::GroupManagerKey;
use blindpost::vector_rng::VectorRng;
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(manager) = roundtrip(data, GroupManagerKey::from_bytes, GroupManagerKey::to_bytes)
    else {
        return;
    };
    let mut rng = VectorRng::new(data);
    let member = manager.issue_member(&mut rng);
    assert!(member.check(manager.public_key()).is_ok());
    let _ = manager.open(&vectors().signature);
});
