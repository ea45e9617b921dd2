//! Random delays: when a release is sent after acceptance, when a renewal check happens, and
//! when each request may leave (SPEC.md 13.6).
//!
//! The core has no floating point (no_std without libm), so the exponential distribution is
//! sampled by inversion in fixed point: `-ln(U)` with `U` uniform on 64 bits, from an integer
//! base-2 logarithm computed by repeated squaring.

use rand_core::CryptoRng;

/// A distribution of random delays, in seconds.
///
/// The client draws one for every request it makes, so that what it sends is not tied by time
/// to what caused it: a release (authenticated, so the server sees who releases) to the
/// acceptance and the reply, a renewal to the release it follows, a lookup to the issuance of
/// its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delay {
    /// Uniform on `[min, max)` seconds (`min` when `max <= min`).
    Uniform {
        /// Shortest delay (seconds).
        min: u64,
        /// Longest delay, excluded (seconds).
        max: u64,
    },
    /// `min` plus an exponential delay with mean `mean` seconds, capped at `max` in all.
    /// Memoryless: a release that has not happened yet says nothing about how soon it will.
    Exponential {
        /// Shortest delay (seconds).
        min: u64,
        /// Mean of the exponential part (seconds).
        mean: u64,
        /// Longest delay (seconds); a sample beyond it is cut to it.
        max: u64,
    },
}

impl Default for Delay {
    /// Uniform between one hour and one day (the default release delay).
    fn default() -> Self {
        Delay::Uniform {
            min: 3600,
            max: 24 * 3600,
        }
    }
}

impl Delay {
    /// Draws one delay in seconds.
    pub fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> u64 {
        match *self {
            Delay::Uniform { min, max } => uniform(rng, min, max),
            Delay::Exponential { min, mean, max } => {
                let spread = max.saturating_sub(min);
                min.saturating_add(exponential(rng, mean).min(spread))
            }
        }
    }
}

/// A uniform integer in `[min, max)` (or `min` when the range is empty), without modulo bias
/// beyond 2^-64 relative.
pub(super) fn uniform<R: CryptoRng + ?Sized>(rng: &mut R, min: u64, max: u64) -> u64 {
    let span = max.saturating_sub(min);
    if span == 0 {
        return min;
    }
    let wide = u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64());
    let offset = (wide.checked_rem(u128::from(span)).unwrap_or(0)) as u64;
    min.saturating_add(offset)
}

/// Fractional bits of the fixed-point logarithms below.
const FRACTION_BITS: u32 = 32;
/// ln 2 with 32 fractional bits (0.693147180... x 2^32, rounded).
const LN_2: u128 = 0xB172_17F8;

/// An exponential integer with mean `mean`: `floor(mean * -ln(U))` for `U = x / 2^64`, `x`
/// uniform on `[1, 2^64)`; at most about `44.4 * mean`.
fn exponential<R: CryptoRng + ?Sized>(rng: &mut R, mean: u64) -> u64 {
    let x = rng.next_u64().max(1);
    // -log2(U) = 64 - log2(x), both with FRACTION_BITS fractional bits.
    let neg_log2 = (64u128 << FRACTION_BITS).saturating_sub(u128::from(log2_fixed(x)));
    let neg_ln = neg_log2.saturating_mul(LN_2) >> FRACTION_BITS;
    let delay = neg_ln.saturating_mul(u128::from(mean)) >> FRACTION_BITS;
    u64::try_from(delay).unwrap_or(u64::MAX)
}

/// `log2(x)` for `x >= 1`, with FRACTION_BITS fractional bits (truncated).
fn log2_fixed(x: u64) -> u64 {
    let shift = x.leading_zeros();
    let integer = u64::from(63u32.saturating_sub(shift));
    // m = x / 2^integer in [1, 2) with 63 fractional bits; each squaring doubles log2(m), so
    // whether the square reaches 2 is the next bit of the fraction.
    let mut m = u128::from(x.checked_shl(shift).unwrap_or(0));
    let mut fraction = 0u64;
    for _ in 0..FRACTION_BITS {
        m = m.saturating_mul(m) >> 63;
        fraction <<= 1;
        if m >= 1u128 << 64 {
            m >>= 1;
            fraction |= 1;
        }
    }
    integer << FRACTION_BITS | fraction
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;
    use alloc::vec::Vec;

    #[test]
    fn log2_is_exact_on_powers_of_two_and_close_elsewhere() {
        for k in 0..64u32 {
            assert_eq!(log2_fixed(1u64 << k), u64::from(k) << FRACTION_BITS);
        }
        // log2(3) = 1.584962500721156...; log2(10^18) = 59.794705707972522...
        for (x, expected) in [
            (3u64, 1.584_962_500_721_156f64),
            (10u64.pow(18), 59.794_705_707_972_52),
        ] {
            let got = log2_fixed(x) as f64 / f64::from(1u32 << 16) / f64::from(1u32 << 16);
            assert!((got - expected).abs() < 1e-8, "log2({x}) = {got}");
        }
    }

    #[test]
    fn exponential_has_the_configured_mean_and_median() {
        let mut rng = VectorRng::new(b"release delay exponential");
        let delay = Delay::Exponential {
            min: 0,
            mean: 3600,
            max: u64::MAX,
        };
        let mut samples: Vec<u64> = (0..20_000).map(|_| delay.sample(&mut rng)).collect();
        let mean = samples.iter().sum::<u64>() as f64 / samples.len() as f64;
        samples.sort_unstable();
        let median = samples[samples.len() / 2] as f64;
        // Standard error of the mean: 3600 / sqrt(20000) = 25.5; of the median about 25.
        assert!((mean - 3600.0).abs() < 130.0, "mean {mean}");
        assert!(
            (median - 3600.0 * core::f64::consts::LN_2).abs() < 130.0,
            "median {median}"
        );
        // The tail: P(X > 3 mean) = e^-3 = 4.98%.
        let tail = samples.iter().filter(|&&d| d > 3 * 3600).count() as f64 / 20_000.0;
        assert!((tail - 0.0498).abs() < 0.006, "tail {tail}");
    }

    #[test]
    fn exponential_respects_min_and_max() {
        let mut rng = VectorRng::new(b"release delay bounds");
        let delay = Delay::Exponential {
            min: 600,
            mean: 3600,
            max: 7200,
        };
        let samples: Vec<u64> = (0..5_000).map(|_| delay.sample(&mut rng)).collect();
        assert!(samples.iter().all(|&d| (600..=7200).contains(&d)));
        // P(min + X >= max) = e^(-6600/3600) = 16%: the cap is hit, and not always.
        let capped = samples.iter().filter(|&&d| d == 7200).count();
        assert!((600..1000).contains(&capped), "capped {capped}");
        assert!(samples.iter().any(|&d| d < 1200));
    }

    #[test]
    fn uniform_stays_in_range_and_covers_it() {
        let mut rng = VectorRng::new(b"release delay uniform");
        let delay = Delay::Uniform { min: 10, max: 20 };
        let mut seen = [false; 10];
        for _ in 0..1_000 {
            let d = delay.sample(&mut rng);
            assert!((10..20).contains(&d));
            seen[(d - 10) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        let empty = Delay::Uniform { min: 50, max: 40 };
        assert_eq!(empty.sample(&mut rng), 50);
    }

    #[test]
    fn extreme_draws_do_not_overflow() {
        // The smallest draw gives the longest delay, 64 ln 2 = 44.36 means, before the cap.
        struct Fixed(u64);
        impl rand_core::TryRng for Fixed {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
                Ok(self.0 as u32)
            }
            fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
                Ok(self.0)
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
                dst.fill(0);
                Ok(())
            }
        }
        impl rand_core::TryCryptoRng for Fixed {}
        let longest = exponential(&mut Fixed(0), 1_000_000);
        assert!((44_361_000..44_362_000).contains(&longest), "{longest}");
        assert_eq!(exponential(&mut Fixed(u64::MAX), 1_000_000), 0);
        assert_eq!(exponential(&mut Fixed(0), u64::MAX), u64::MAX);
        let delay = Delay::Exponential {
            min: u64::MAX - 5,
            mean: u64::MAX,
            max: u64::MAX,
        };
        assert_eq!(delay.sample(&mut Fixed(0)), u64::MAX);
    }
}
