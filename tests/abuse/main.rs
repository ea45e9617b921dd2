//! Abuse and denial-of-service limits (issue 14; SPEC.md 9, 12, 14, 16), each point of the
//! review with a test that fails if the weakness comes back: one module per limit.

mod codes;
mod discovery;
mod hot_path;
mod lifetimes;
mod revocation;
