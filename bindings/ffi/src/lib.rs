//! # blindpost-ffi
//!
//! The uniffi bindings of [`blindpost`] for Kotlin, Swift and Python: a thin layer with no
//! protocol logic of its own. Data crosses as bytes (`Vec<u8>`) and records of bytes; keys and
//! stateful things are objects (`Arc`, `Send + Sync`); every failure is a [`BlindpostError`]:
//! one variant per domain with a `kind` enum, converted with `From` from the core's error
//! enums, so that it becomes a typed exception in Kotlin and Python and a thrown error in Swift. No panic
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

mod bbs04;
mod blind_rsa;
mod bls;
mod bulk;
mod certificate;
mod client;
mod code;
mod e2e;
mod error;
mod rng;
mod server;
mod store;
mod token;
mod wire;

pub use bbs04::{
    Checkpoint, GroupManagerKey, GroupPublicKey, GroupSignature, MemberKey, PreparedGroupKey,
    RevocationRecord, MAX_ISSUE_MEMBERS,
};
pub use blind_rsa::{
    blind_rsa_prepare, blind_rsa_variant_from_name, blind_rsa_variant_name, BlindRsaPublicKey,
    BlindRsaSecretKey, BlindRsaVariant, BlindedMessage,
};
pub use bulk::{
    bulk_proof_decode, bulk_proof_encode, bulk_proof_signed_message, Allowance, BulkDecision,
    BulkProof, BulkRefusal, BulkSenderCheck,
};
pub use client::{
    client_settings_recommended, Client, ClientSettings, ContactInfo, Event, FailureReason,
    TokenCounts, Transmit,
};
pub use server::{server_config_recommended, Handled, Output, Refusal, Server, ServerConfig};
pub use store::{store_conformance, ServerStore, ServerStoreFactory, StoreError};
pub use token::{
    decode_token, discovery_context, token_key_id, verify_token, PendingToken, Token,
    TokenChallenge, TokenClient, TokenIssuer, TokenKeyEntry, TokenKeySet, TokenRequestResult,
};
pub use wire::{
    account_id_for_identity_key, decode_delivery, delivery_sealed_payload, error_code_name,
    error_code_number, Channel, Delivery, ErrorCode, RequestType, ServerKeys,
};

pub use bls::{bls_ciphersuite, BlsPublicKey, BlsSecretKey};
pub use certificate::{
    decode_certificate_unverified, issuer_key_id, Certificate, CertificateIssuer, IssuerKey,
    IssuerKeySet, PhoneNumber,
};
pub use code::{verification_code_dst, CodeConfig, CodePolicy, CodeSecret};
pub use e2e::{EndToEnd, OpenedPayload};
pub use error::{
    BlindRsaErrorKind, BlindpostError, BlsErrorKind, CertificateErrorKind, ClientErrorKind,
    CodeErrorKind, DecodeErrorKind, EndToEndErrorKind, GroupErrorKind, ServerErrorKind,
    StoreErrorKind, TokenErrorKind,
};
pub use rng::{VectorRng, MAX_VECTOR_RNG_REQUEST};

uniffi::setup_scaffolding!("blindpost");
