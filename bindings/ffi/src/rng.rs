//! Randomness for the bindings: the operating system's generator for real keys, and the
//! specified deterministic [`VectorRng`] for reproducing test vectors.

use crate::error::BlindpostError;
use blindpost::vector_rng::VectorRng as CoreVectorRng;
use chacha20::ChaCha20Rng;
use rand_core::{CryptoRng, SeedableRng};
use std::sync::{Arc, Mutex, PoisonError};
use zeroize::Zeroizing;

/// The most bytes [`VectorRng::next_bytes`] hands out in one call.
pub const MAX_VECTOR_RNG_REQUEST: u32 = 1 << 20;

/// The generator one call into the bindings uses: ChaCha20 keyed with 32 fresh bytes from the
/// operating system (`getrandom`), drawn before anything else happens. A failing OS generator
/// therefore fails the call up front, before any state (a client's, a key's) has changed, and
/// nothing is ever computed from a partial or zeroed draw.
pub(crate) fn os_rng() -> Result<ChaCha20Rng, BlindpostError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| BlindpostError::Randomness {
        reason: format!("the operating system's random number generator failed: {e}"),
    })?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

/// Runs `f` with a generator seeded from the operating system ([`os_rng`]).
pub(crate) fn with_os_rng<T>(f: impl FnOnce(&mut ChaCha20Rng) -> T) -> Result<T, BlindpostError> {
    let mut rng = os_rng()?;
    Ok(f(&mut rng))
}

/// Where a stateful object (a client, a server) draws its randomness from: the operating
/// system, or a shared test-vector generator for reproducible tests.
pub(crate) enum Randomness {
    /// [`os_rng`] afresh for every call.
    Os,
    /// The deterministic generator of SPEC.md 2.5 (tests only).
    Vector(Arc<VectorRng>),
}

impl Randomness {
    /// Runs `f` with this source's generator; fails only if the OS generator fails, and then
    /// before `f` runs.
    pub(crate) fn run<T>(
        &self,
        f: impl FnOnce(&mut dyn CryptoRng) -> T,
    ) -> Result<T, BlindpostError> {
        match self {
            Randomness::Os => {
                let mut rng = os_rng()?;
                Ok(f(&mut rng))
            }
            Randomness::Vector(v) => Ok(v.with(|rng| f(rng))),
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
