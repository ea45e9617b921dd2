#![no_main]
//! BBS04 member keys: decoding; a decoded key that checks against the vector group signs
//! verifiably, and any decoded key can sign without panicking.

use blindpost::bbs04::MemberKey;
use blindpost::vector_rng::VectorRng;
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(member) = roundtrip(data, MemberKey::from_bytes, MemberKey::to_bytes) else {
        return;
    };
    let v = vectors();
    let belongs = member.check(&v.group_key).is_ok();
    let mut rng = VectorRng::new(data);
    match member.sign(&mut rng, &v.prepared, b"context", b"message") {
        Ok(signature) => {
            let verified = v.prepared.verify(b"context", b"message", &signature);
            assert_eq!(verified.is_ok(), belongs);
            if belongs {
                assert_eq!(v.manager.open(&signature), member.id());
            }
        }
        Err(_) => assert!(!belongs),
    }
    let _ = member.update(&v.record, &v.group_key);
});
