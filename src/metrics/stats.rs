//! Order statistics of a sample (nearest-rank percentiles, exact or from a [`Sketch`]) and
//! mean/spread across replications.

use super::Sketch;
use serde::Serialize;

/// Distribution summary of one sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Sample size.
    pub count: u64,
    /// Mean (0 when empty).
    pub mean: f64,
    /// Median, nearest rank.
    pub p50: f64,
    /// 95th percentile, nearest rank.
    pub p95: f64,
    /// Maximum.
    pub max: f64,
}

impl Stats {
    /// Summarise `v` (sorted in place).
    pub fn of(v: &mut [f64]) -> Stats {
        if v.is_empty() {
            return Stats::default();
        }
        v.sort_by(f64::total_cmp);
        Stats::of_sorted(v.len(), |i| v[i])
    }

    /// Summarise the `n` values `at(0) <= at(1) <= …` (sorted; `n > 0`): the mean sums them in
    /// that order, the quantiles are nearest-rank.
    pub fn of_sorted(n: usize, at: impl Fn(usize) -> f64) -> Stats {
        let rank = |p: f64| at(((p * n as f64).ceil() as usize).clamp(1, n) - 1);
        Stats {
            count: n as u64,
            mean: (0..n).map(&at).sum::<f64>() / n as f64,
            p50: rank(0.50),
            p95: rank(0.95),
            max: at(n - 1),
        }
    }

    /// Summarise a sketched sample: count and max exact, mean from the insertion-order sum
    /// (may differ from [`Stats::of`]'s sorted sum in the last bits), p50 and p95 within
    /// [`sketch::ALPHA`](super::sketch::ALPHA) relative error of the nearest-rank values.
    pub fn from_sketch(s: &Sketch) -> Stats {
        let n = s.count();
        if n == 0 {
            return Stats::default();
        }
        Stats {
            count: n,
            mean: s.sum() / n as f64,
            p50: s.quantile(0.50),
            p95: s.quantile(0.95),
            max: s.max(),
        }
    }
}

/// Mean and spread of one metric over replications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Replications.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for n = 1).
    pub sd: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

impl Summary {
    /// Summarise values in order (sequential sum: the result does not depend on threads).
    /// NaN values (no data: a statistic of an empty sample) are left out; `n` counts the
    /// others, and with none every statistic is NaN (`null` in JSON).
    pub fn of(v: &[f64]) -> Summary {
        let v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return Summary {
                n: 0,
                mean: f64::NAN,
                sd: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = if v.len() > 1 {
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Summary {
            n: v.len() as u64,
            mean,
            sd: var.sqrt(),
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Stats::of(&mut v);
        assert_eq!((s.p50, s.p95, s.max, s.count), (50.0, 95.0, 100.0, 100));
        assert_eq!(Stats::of(&mut []).count, 0);
    }

    #[test]
    fn summary_sd() {
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!((s.mean - 5.0).abs() < 1e-12);
        assert!((s.sd - 2.138_089_935).abs() < 1e-6);
    }
}
