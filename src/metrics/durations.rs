//! A sample of durations kept exactly, in whole microseconds: 4 bytes a value while every
//! value fits in a `u32` (71 minutes), 8 bytes from the first one that does not.
//!
//! The run's latency samples (workflow_queue waits, operation durations, image pulls, pod
//! startups, scheduling waits, pod cleanups) are simulated times, so keeping them as integers
//! loses nothing: [`Durations::stats`] gives exactly the [`Stats`] of the same values as
//! seconds (`f64`), at half the memory of keeping those. Left out: an approximate sketch
//! (`metrics::sketch` is the one the API rows use); these samples are a few per workflow.

use super::Stats;
use crate::engine::SimTime;

/// Durations in µs, narrow until a value needs 64 bits.
#[derive(Debug, Clone)]
pub enum Durations {
    /// Every value fits in 32 bits.
    Narrow(Vec<u32>),
    /// Some value does not.
    Wide(Vec<u64>),
}

impl Default for Durations {
    fn default() -> Self {
        Durations::Narrow(Vec::new())
    }
}

impl Durations {
    /// An empty sample.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one duration.
    #[inline]
    pub fn push(&mut self, d: SimTime) {
        match self {
            Durations::Narrow(v) => match u32::try_from(d.0) {
                Ok(x) => v.push(x),
                Err(_) => self.widen().push(d.0),
            },
            Durations::Wide(v) => v.push(d.0),
        }
    }

    /// Switch to 64-bit values; returns them.
    #[cold]
    #[inline(never)]
    fn widen(&mut self) -> &mut Vec<u64> {
        if let Durations::Narrow(v) = self {
            *self = Durations::Wide(v.iter().map(|&x| u64::from(x)).collect());
        }
        match self {
            Durations::Wide(v) => v,
            Durations::Narrow(_) => unreachable!("just widened"),
        }
    }

    /// Values kept.
    pub fn len(&self) -> usize {
        match self {
            Durations::Narrow(v) => v.len(),
            Durations::Wide(v) => v.len(),
        }
    }

    /// No value kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Append the values of `other`.
    pub fn extend_from(&mut self, other: &Durations) {
        match other {
            Durations::Narrow(o) => {
                for &x in o {
                    self.push(SimTime(u64::from(x)));
                }
            }
            Durations::Wide(o) => {
                for &x in o {
                    self.push(SimTime(x));
                }
            }
        }
    }

    /// The summary of the values as seconds: exactly [`Stats::of`] of them (sorted in place).
    pub fn stats(&mut self) -> Stats {
        fn of<T: Copy + Ord + Into<u64>>(v: &mut [T]) -> Stats {
            if v.is_empty() {
                return Stats::default();
            }
            // µs → s is monotone, so the integers sort in the order of the seconds, and the
            // mean sums the same f64s in the same order as `Stats::of`.
            v.sort_unstable();
            Stats::of_sorted(v.len(), |i| SimTime(v[i].into()).as_secs_f64())
        }
        match self {
            Durations::Narrow(v) => of(v),
            Durations::Wide(v) => of(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Same summary as `Stats::of` on the values as seconds, to the bit, narrow or wide,
        /// pushed one by one or appended from another sample.
        #[test]
        fn stats_match_the_f64_sample(
            small in proptest::collection::vec(0u64..5_000_000_000, 0..300),
            big in proptest::option::of(5_000_000_000u64..1u64 << 52),
        ) {
            let mut d = Durations::new();
            let mut half = Durations::new();
            let mut f: Vec<f64> = Vec::new();
            for (i, &x) in small.iter().chain(big.iter()).enumerate() {
                if i % 2 == 0 { d.push(SimTime(x)) } else { half.push(SimTime(x)) }
                f.push(SimTime(x).as_secs_f64());
            }
            d.extend_from(&half);
            proptest::prop_assert_eq!(d.len(), f.len());
            let want = Stats::of(&mut f);
            let got = d.stats();
            proptest::prop_assert_eq!(got.count, want.count);
            for (g, w) in [(got.mean, want.mean), (got.p50, want.p50), (got.p95, want.p95), (got.max, want.max)] {
                proptest::prop_assert_eq!(g.to_bits(), w.to_bits());
            }
        }
    }

    #[test]
    fn widens_only_past_u32() {
        let mut d = Durations::new();
        d.push(SimTime(u64::from(u32::MAX)));
        assert!(matches!(d, Durations::Narrow(_)));
        d.push(SimTime(u64::from(u32::MAX) + 1));
        assert!(
            matches!(&d, Durations::Wide(v) if v == &[u64::from(u32::MAX), u64::from(u32::MAX) + 1])
        );
    }
}
