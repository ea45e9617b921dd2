//! Stateless phone verification codes (SPEC.md section 9).
