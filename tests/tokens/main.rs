//! Blind RSA (RFC 9474) and the RFC 9578 tokens built on it, through the public API: keys and
//! encodings, the token flow and key-set rules, and property tests.

#[path = "../token_support/mod.rs"]
mod token_support;

mod blind_rsa_api;
mod flow;
mod properties;
