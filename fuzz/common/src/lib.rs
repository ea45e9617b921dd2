//! Shared code of the blindpost fuzz targets and of the seed-corpus generator.
//!
//! - [`roundtrip`]: the property every decoder target checks: whatever decodes re-encodes to
//!   exactly the input bytes (SPEC.md 2.1: every object has one encoding), and an error's
//!   `Display` and `Debug` work.
//! - [`fixture`]: a deterministic server (fixed keys) and a recorded protocol run between two
//!   real clients, from which the state-machine targets start and the seeds are made.
//! - [`steps`]: the structured (`arbitrary`) inputs of the state-machine targets.
//! - [`world`]: the server's state at every point of the recorded run, made once per process,
//!   from which the sequence targets start.
//! - [`hosts`]: the inputs of the host-input targets (a credential, a store's read-backs) and
//!   the store that corrupts what it reads back.
//! - [`vectors`]: known-good objects from `test-vectors/` to combine with fuzzed ones.

pub mod fixture;
pub mod hosts;
pub mod input;
pub mod steps;
pub mod vectors;
pub mod world;

use std::fmt::{Debug, Display};

/// Decodes `input`; if that succeeds, checks that re-encoding gives back `input` exactly and
/// returns the value. On failure, formats the error (a `Display` or `Debug` that panics is a
/// bug too) and returns `None`.
pub fn roundtrip<T, E, B>(
    input: &[u8],
    decode: impl FnOnce(&[u8]) -> Result<T, E>,
    encode: impl FnOnce(&T) -> B,
) -> Option<T>
where
    E: Display + Debug,
    B: AsRef<[u8]>,
{
    match decode(input) {
        Ok(value) => {
            let again = encode(&value);
            assert!(
                again.as_ref() == input,
                "re-encoding differs from the accepted input\n input: {}\nencoded: {}",
                hex::encode(input),
                hex::encode(again.as_ref())
            );
            Some(value)
        }
        Err(e) => {
            format_error(&e);
            None
        }
    }
}

/// Formats an error both ways, so that a panicking formatter is found.
pub fn format_error<E: Display + Debug>(e: &E) {
    let shown = format!("{e}");
    let debugged = format!("{e:?}");
    assert!(!shown.is_empty() && !debugged.is_empty());
}
