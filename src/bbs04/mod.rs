//! BBS04 short group signatures on BLS12-381 (SPEC.md section 4).
