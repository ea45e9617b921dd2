//! RSA blind signatures, RFC 9474 RSABSSA (SPEC.md section 5).
