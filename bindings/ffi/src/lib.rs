//! # blindpost-ffi
//!
//! The uniffi bindings of [`blindpost`] for Kotlin, Swift and Python: a thin layer with no
//! protocol logic of its own. Data crosses as bytes (`Vec<u8>`) and records of bytes; keys and
//! stateful things are objects (`Arc`, `Send + Sync`); every failure is one
//! [`BlindpostError`] variant, converted with `From` from the core's error enums, so that it
//! becomes a typed exception in Kotlin and Python and a thrown error in Swift. No panic
//! reaches the FFI: the core is panic-free by construction, and so is this layer.
//!
//! Randomness comes from the operating system (`getrandom`); [`VectorRng`] reproduces the
//! project's test vectors and is never a source of secrets.
//!
//! See `bindings/README.md` for the generated package names and examples.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

mod bls;
mod certificate;
mod code;
mod error;
mod rng;

pub use bls::{bls_ciphersuite, BlsPublicKey, BlsSecretKey};
pub use certificate::{
    decode_certificate_unverified, issuer_key_id, Certificate, CertificateIssuer, IssuerKey,
    IssuerKeySet, PhoneNumber,
};
pub use code::{verification_code_dst, CodeConfig, CodePolicy, CodeSecret};
pub use error::{BlindpostError, DecodeErrorKind};
pub use rng::{VectorRng, MAX_VECTOR_RNG_REQUEST};

uniffi::setup_scaffolding!("blindpost");
