//! Simulated time as integer microseconds since the start of a run.

use std::fmt;

/// Microseconds in one second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

/// `x.ceil() as u64` (NaN and negatives give 0, 2^64 and above `u64::MAX`) without a call
/// to libm's `ceil`: the baseline x86-64 target has no rounding instruction, and the
/// processor-shared CPU takes one per request. Exact: the truncation of `x < 2^64` is exact,
/// and so is its comparison with `x`.
#[inline]
pub fn ceil_to_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x >= 18_446_744_073_709_551_616.0 {
        return u64::MAX;
    }
    let t = x as u64;
    if (t as f64) < x { t + 1 } else { t }
}

/// A point in simulated time, or a span of it, in integer microseconds.
///
/// Integer time makes event ordering exact: there are no float ties and no epsilon fudging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero, the start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The far future; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// From whole seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s * MICROS_PER_SEC)
    }
    /// From milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms * 1_000)
    }
    /// From fractional seconds, rounded up to the next microsecond (a wait is never shortened).
    pub fn from_secs_f64_ceil(s: f64) -> Self {
        if s <= 0.0 || s.is_nan() {
            return SimTime::ZERO;
        }
        SimTime(ceil_to_u64(s * MICROS_PER_SEC as f64))
    }
    /// As fractional seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }
    /// Saturating addition of a span.
    pub fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// Saturating difference `self - earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

/// An optional instant in 8 bytes (an `Option<SimTime>` takes 16): per-workflow timestamps
/// are kept for every workflow of a run. `u64::MAX` ([`SimTime::MAX`], "never") stands for
/// none, so [`OptTime::some`] of that one value would read back as none; simulated times
/// never reach it (runs end at their horizon).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OptTime(u64);

impl OptTime {
    /// No time.
    pub const NONE: OptTime = OptTime(u64::MAX);

    /// The time `t`.
    pub const fn some(t: SimTime) -> Self {
        OptTime(t.0)
    }

    /// As an `Option`.
    #[inline]
    pub const fn get(self) -> Option<SimTime> {
        if self.0 == u64::MAX {
            None
        } else {
            Some(SimTime(self.0))
        }
    }

    /// A time is set.
    pub const fn is_some(self) -> bool {
        self.0 != u64::MAX
    }

    /// No time is set.
    pub const fn is_none(self) -> bool {
        self.0 == u64::MAX
    }
}

impl Default for OptTime {
    fn default() -> Self {
        OptTime::NONE
    }
}

impl std::fmt::Debug for OptTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod opt_time_tests {
    use super::*;

    #[test]
    fn round_trips_and_takes_eight_bytes() {
        assert_eq!(std::mem::size_of::<OptTime>(), 8);
        for t in [
            None,
            Some(SimTime::ZERO),
            Some(SimTime(1)),
            Some(SimTime(u64::MAX - 1)),
        ] {
            let o = t.map_or(OptTime::NONE, OptTime::some);
            assert_eq!(o.get(), t);
            assert_eq!(o.is_some(), t.is_some());
            assert_eq!(o.is_none(), t.is_none());
        }
        assert_eq!(OptTime::default(), OptTime::NONE);
    }
}

#[cfg(test)]
mod ceil_tests {
    use super::*;

    proptest::proptest! {
        /// `ceil_to_u64` is `ceil() as u64` bit for bit: any bit pattern (NaN, infinities,
        /// negatives, subnormals, huge values) and values next to integers.
        #[test]
        fn ceil_to_u64_is_ceil_as_u64(bits in proptest::num::u64::ANY, n in 0u64..1 << 60, d in -2i64..=2) {
            let x = f64::from_bits(bits);
            proptest::prop_assert_eq!(ceil_to_u64(x), x.ceil() as u64, "{}", x);
            let y = f64::from_bits(((n as f64).to_bits() as i64 + d) as u64);
            proptest::prop_assert_eq!(ceil_to_u64(y), y.ceil() as u64, "{}", y);
        }
    }
}
