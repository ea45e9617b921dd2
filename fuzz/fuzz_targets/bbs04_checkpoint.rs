#![no_main]
//! BBS04 checkpoints: decoding (count, order of tags, trailing bytes); a decoded checkpoint is
//! used to catch the vector member key up to the generation after the vector record without
//! panicking, and a key it yields belongs to that group.

use blindpost::bbs04::Checkpoint;
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(checkpoint) = roundtrip(data, Checkpoint::from_bytes, Checkpoint::to_bytes) else {
        return;
    };
    let v = vectors();
    let Ok(next) = v.group_key.apply(&v.record) else {
        return;
    };
    if let Ok(member) = v.member.catch_up(&next, &checkpoint) {
        assert!(member.check(&next).is_ok());
    }
});
