//! BLS signatures for identity and certificate keys (SPEC.md section 7).
