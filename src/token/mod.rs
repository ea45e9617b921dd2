//! Privacy Pass publicly verifiable tokens, RFC 9578 type 0x0002 (SPEC.md section 6).
