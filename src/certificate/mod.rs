//! Server certificates binding a phone number to an identity key (SPEC.md section 8).
