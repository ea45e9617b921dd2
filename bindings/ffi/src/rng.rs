//! Randomness for the bindings: the operating system's generator for real keys, and the
//! specified deterministic [`VectorRng`] for reproducing test vectors.

use crate::error::BlindpostError;
use blindpost::vector_rng::VectorRng as CoreVectorRng;
use rand_core::{Infallible, TryCryptoRng, TryRng};
use std::sync::{Arc, Mutex, PoisonError};

/// The most bytes [`VectorRng::next_bytes`] hands out in one call.
pub const MAX_VECTOR_RNG_REQUEST: u32 = 1 << 20;

/// The operating system's generator (`getrandom`), shaped as the infallible `CryptoRng` the
/// core takes. The core cannot receive an error from an rng, so a failure is recorded here and
/// [`with_os_rng`] throws away whatever was computed with it.
pub(crate) struct OsRng {
    failure: Option<getrandom::Error>,
}

impl TryRng for OsRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if let Err(e) = getrandom::fill(dst) {
            dst.fill(0);
            self.failure.get_or_insert(e);
        }
        Ok(())
    }
}

impl TryCryptoRng for OsRng {}

/// Runs `f` with the operating system's generator. If the generator failed at any point the
/// result is dropped (secrets in it are zeroized by their own `Drop`) and an error returned,
/// so nothing computed from bad randomness reaches the caller.
pub(crate) fn with_os_rng<T>(f: impl FnOnce(&mut OsRng) -> T) -> Result<T, BlindpostError> {
    let mut rng = OsRng { failure: None };
    let out = f(&mut rng);
    match rng.failure {
        None => Ok(out),
        Some(e) => {
            drop(out);
            Err(BlindpostError::Randomness {
                reason: format!("the operating system's random number generator failed: {e}"),
            })
        }
    }
}

/// The deterministic generator of SPEC.md 2.5 that every test vector uses. **Not a source of
/// secrets**: use it only to reproduce vectors.
#[derive(uniffi::Object)]
pub struct VectorRng {
    inner: Mutex<CoreVectorRng>,
}

#[uniffi::export]
impl VectorRng {
    /// A generator for `seed` (seeds longer than 65535 bytes are truncated, as in SPEC.md 2.5).
    #[uniffi::constructor]
    pub fn new(seed: Vec<u8>) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(CoreVectorRng::new(&seed)),
        })
    }

    /// The next `length` bytes of the stream (at most 1 MiB per call).
    pub fn next_bytes(&self, length: u32) -> Result<Vec<u8>, BlindpostError> {
        if length > MAX_VECTOR_RNG_REQUEST {
            return Err(BlindpostError::RequestTooLarge {
                reason: format!(
                    "asked for {length} bytes of the vector rng, at most {MAX_VECTOR_RNG_REQUEST} per call"
                ),
                requested: u64::from(length),
                max: u64::from(MAX_VECTOR_RNG_REQUEST),
            });
        }
        let mut out = vec![0u8; usize::try_from(length).unwrap_or(0)];
        self.with(|rng| rand_core::Rng::fill_bytes(rng, &mut out));
        Ok(out)
    }
}

impl VectorRng {
    /// Runs `f` with the generator locked (for exports that draw from it).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut CoreVectorRng) -> T) -> T {
        // The core never panics, so the lock cannot be poisoned; if it were, the state is
        // still a valid generator state.
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}
