//! # blindpost
//!
//! The protocol core of a mobile messenger whose server delivers messages without learning who
//! messages whom, while still stopping spam (see `SPEC.md` for the normative text):
//!
//! - cold calls to strangers cost RFC 9578 blind tokens that the recipient later releases;
//! - replies are authorised by BBS04 group signatures on BLS12-381;
//! - phone numbers are proven once and bound to identity keys by server certificates;
//! - contact discovery is rate limited with tokens good for one time window.
//!
//! The crate is `no_std` + `alloc` and sans-IO: the host brings transport, anonymity network,
//! push, storage and end-to-end encryption, and passes the current time and randomness in.
#![no_std]
// The only unsafe code is the FFI to blst behind feature `blst` (src/curve/blst_backend.rs).
#![cfg_attr(not(feature = "blst"), forbid(unsafe_code))]
#![cfg_attr(feature = "blst", deny(unsafe_code))]
#![deny(missing_docs)]
// Input must never reach a panic (SPEC.md, "Hostile input").
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
// Messages and events are built once and moved a few times; boxing their large variants would
// only add indirection.
#![allow(clippy::large_enum_variant)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod account;
pub mod bbs04;
pub mod blind_rsa;
pub mod bls;
pub mod bulk;
pub mod certificate;
pub mod client;
pub mod encoding;
pub mod host_auth;
pub mod server;
pub mod store;
pub mod time;
pub mod token;
pub mod verification_code;
pub mod wire;

// Test devices: deterministic randomness, the store conformance suite and the simulated
// deployment. Never for production, so outside the default API (the `test-util` feature).
#[cfg(feature = "simulation")]
pub mod simulation;
#[cfg(any(test, feature = "test-util"))]
pub mod vector_rng;

pub(crate) mod curve;
/// Fuzzing only (feature `differential`): the operations the two curve backends implement
/// separately, run on both at once; a disagreement panics (SPEC.md 2.6).
#[cfg(feature = "differential")]
#[doc(hidden)]
pub mod differential {
    pub use crate::curve::differential::{
        hash_to_g2_compressed, pairing_of_multiples, pairing_of_points,
    };
}

pub use encoding::{DecodeError, DecodeErrorKind, EncodeError};
pub use time::Time;

// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
