//! Protocol time: whole seconds since the Unix epoch (SPEC.md 2.1).
//!
//! The core never reads a clock; the host passes [`Time`] in. A newtype rather than a bare
//! `u64`, so a time cannot be confused with a duration, a count or a generation, and every
//! addition states what happens at the end of the range (it saturates: a time past
//! `u64::MAX` seconds is "never").

use core::fmt;

/// A point in time: whole seconds since 1970-01-01T00:00:00Z, as the host's clock reads it.
///
/// Encoded on the wire as a big-endian `u64` (SPEC.md 2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

impl Time {
    /// The epoch itself (second 0).
    pub const EPOCH: Time = Time(0);

    /// The latest representable time; protocol code uses it for "never".
    pub const MAX: Time = Time(u64::MAX);

    /// The time `secs` seconds after the Unix epoch.
    pub const fn from_unix_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_secs(self) -> u64 {
        self.0
    }

    /// `secs` seconds later, or [`Time::MAX`] if that is past the end of the range.
    #[must_use]
    pub const fn saturating_add(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// `secs` seconds earlier, or the epoch if that is before it.
    #[must_use]
    pub const fn saturating_sub(self, secs: u64) -> Self {
        Self(self.0.saturating_sub(secs))
    }

    /// `secs` seconds later, or `None` past the end of the range.
    pub const fn checked_add(self, secs: u64) -> Option<Self> {
        match self.0.checked_add(secs) {
            Some(t) => Some(Self(t)),
            None => None,
        }
    }

    /// Seconds from `earlier` to `self`, or 0 if `earlier` is later.
    pub const fn secs_since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Seconds between `self` and `other`, whichever is earlier.
    pub const fn abs_diff(self, other: Time) -> u64 {
        self.0.abs_diff(other.0)
    }

    /// The index of the window of `length` seconds that holds this time (windows start at the
    /// epoch); 0 for a zero length.
    pub const fn window(self, length: u64) -> u64 {
        match self.0.checked_div(length) {
            Some(w) => w,
            None => 0,
        }
    }
}

/// Prints the seconds since the epoch, as the numbers in error messages always were.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `time + secs` is [`Time::saturating_add`]: past the end of the range it stays at
/// [`Time::MAX`] ("never"), so it cannot overflow or panic.
impl core::ops::Add<u64> for Time {
    type Output = Time;

    fn add(self, secs: u64) -> Time {
        self.saturating_add(secs)
    }
}

/// `time += secs` is `time = time.saturating_add(secs)`.
impl core::ops::AddAssign<u64> for Time {
    fn add_assign(&mut self, secs: u64) {
        *self = self.saturating_add(secs);
    }
}

/// `time - secs` is [`Time::saturating_sub`]: before the epoch it stays at the epoch.
impl core::ops::Sub<u64> for Time {
    type Output = Time;

    fn sub(self, secs: u64) -> Time {
        self.saturating_sub(secs)
    }
}

impl From<Time> for u64 {
    fn from(t: Time) -> u64 {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn arithmetic_saturates_at_both_ends_of_the_range() {
        let t = Time::from_unix_secs(100);
        assert_eq!(t + 5, Time::from_unix_secs(105));
        assert_eq!(t - 5, Time::from_unix_secs(95));
        assert_eq!(Time::MAX + 1, Time::MAX);
        assert_eq!(
            Time::from_unix_secs(u64::MAX - 1).saturating_add(2),
            Time::MAX
        );
        assert_eq!(t - 101, Time::EPOCH);
        assert_eq!(t.checked_add(u64::MAX), None);
        assert_eq!(t.checked_add(1), Some(Time::from_unix_secs(101)));
        let mut u = t;
        u += u64::MAX;
        assert_eq!(u, Time::MAX);
    }

    #[test]
    fn differences_and_windows() {
        let (early, late) = (Time::from_unix_secs(10), Time::from_unix_secs(25));
        assert_eq!(late.secs_since(early), 15);
        assert_eq!(early.secs_since(late), 0);
        assert_eq!(early.abs_diff(late), 15);
        assert_eq!(late.abs_diff(early), 15);
        assert_eq!(Time::from_unix_secs(1199).window(600), 1);
        assert_eq!(Time::from_unix_secs(1200).window(600), 2);
        assert_eq!(late.window(0), 0);
    }

    #[test]
    fn displays_and_converts_as_the_plain_number() {
        let t = Time::from_unix_secs(1_800_000_000);
        assert_eq!(t.to_string(), "1800000000");
        assert_eq!(u64::from(t), 1_800_000_000);
        assert_eq!(t.unix_secs(), 1_800_000_000);
    }
}
