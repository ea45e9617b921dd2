//! Every test-vector file of `test-vectors/` (SPEC.md 2.5), in one test binary: one module per
//! file or family. Generated files are rebuilt from their seeds and compared with the stored
//! text (`BLINDPOST_WRITE_VECTORS=1` rewrites them); every file is also read into typed structs
//! and checked through the public API alone, the way another implementation would use it.

#[path = "../token_support/mod.rs"]
mod token_support;

mod bbs04;
mod bls;
mod certificates;
mod negative;
mod random_streams;
mod registration;
mod rfc9474;
mod rfc9578;
mod tokens;
mod vector_file;
mod verification_codes;
