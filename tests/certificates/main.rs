//! BLS signatures, the server's certificates and issuer key sets, and verification codes:
//! property tests of their encodings and checks.

mod bls_properties;
mod certificate_properties;
mod verification_code_properties;
