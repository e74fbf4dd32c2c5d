//! Simulated time as integer microseconds since the start of a run.

use std::fmt;

/// Microseconds in one second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

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
        let us = (s * MICROS_PER_SEC as f64).ceil();
        if us >= u64::MAX as f64 {
            SimTime::MAX
        } else {
            SimTime(us as u64)
        }
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
