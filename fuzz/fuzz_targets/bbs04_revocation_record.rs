#![no_main]
//! BBS04 revocation records: decoding; a decoded record is applied to the vector group key and
//! used to update a vector member key without panicking.

use blindpost::bbs04::RevocationRecord;
use common::{roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(record) = roundtrip(
        data,
        RevocationRecord::from_bytes,
        RevocationRecord::to_bytes,
    ) else {
        return;
    };
    let v = vectors();
    let applied = v.group_key.apply(&record);
    let updated = v.member.update(&record, &v.group_key);
    if updated.is_ok() {
        assert!(applied.is_ok());
    }
    if let (Ok(next), Ok(member)) = (applied, updated) {
        assert!(member.check(&next).is_ok());
    }
});
