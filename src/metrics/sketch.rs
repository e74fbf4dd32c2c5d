//! A mergeable quantile sketch with a fixed relative error (DDSketch, Masson, Rim & Lee,
//! VLDB 2019): the report's latency quantiles without keeping every sample.
//!
//! What it models: a sample of non-negative values (seconds), summarised by its exact count,
//! sum, minimum and maximum plus a histogram over logarithmic buckets. Bucket `i` holds the
//! values in `(γ^(i−1), γ^i]` with `γ = (1+α)/(1−α)`; a quantile is answered by the
//! representative value `2γ^i/(γ+1)` of the bucket holding the nearest-rank value (rank
//! `ceil(p·n)` clamped to `[1, n]`, the definition of [`Stats::of`](super::Stats::of)),
//! clamped to `[min, max]`.
//!
//! Error bound: for every `p`, `|quantile(p) − x| ≤ α·x` where `x` is the exact nearest-rank
//! value of the same sample (up to the last bits of `ln`, ~1e-15 relative). [`ALPHA`] = 0.5 %.
//! Zeros (and only zeros) are counted apart and answered exactly. Count, min and max are exact;
//! the sum is summed in insertion order (so the mean may differ from `Stats::of`'s, which
//! sums the sorted sample, in the last bits; a merge adds the two sums).
//!
//! Why α = 0.5 %: the bound is a tenth of the ±5 % band `replay` and `calibrate` judge by and
//! below the spread of a p95 between replications, while the memory stays negligible — the
//! buckets are per report row (client, verb, resource: tens per run), not per request or pod.
//! Halving α to 0.25 % would double the buckets for an error nobody reads; 1 % would save a
//! few kilobytes per run.
//!
//! Memory: the counts are dense `u64`s between the lowest and highest bucket seen, so a sketch
//! costs `8 × (ln(max/min_positive)/ln γ + 1)` bytes plus ~80 for the struct, whatever its
//! count. Simulated times are whole microseconds, so a positive value is ≥ 1 µs; up to a 48 h
//! horizon that is at most 2,589 buckets (~20 KiB), up to a year 3,110 (~24 KiB); an API row
//! whose latencies span 1 ms … 60 s uses ~1,100 buckets (~9 KiB).
//!
//! Left out: negative values and NaN (a debug assertion; in release they count as zeros),
//! bucket collapsing (the range above is bounded, so the store never needs it), and
//! interpolation between ranks.

/// Relative accuracy of [`Sketch::quantile`].
pub const ALPHA: f64 = 0.005;
/// Bucket growth factor `(1+α)/(1−α)`.
pub const GAMMA: f64 = (1.0 + ALPHA) / (1.0 - ALPHA);
/// `ln γ` (a literal: `f64::ln` is not `const`; a test checks it against `GAMMA.ln()`).
const LN_GAMMA: f64 = 0.010_000_083_334_583_179;

/// The bucket of the last values a caller added ([`Sketch::add_memo`]): the smallest and the
/// largest value seen that fell in bucket `index` since it last changed. Starts empty (a zero
/// value never goes to a bucket, so the empty range `[0, 0]` never matches).
///
/// Every value between two values of one bucket is in that bucket, because `index` is
/// monotone on the values added: whole microseconds (see the module doc), whose logarithms
/// differ by at least ~9 ulp up to a year (1 µs in 3.2·10^13) while `ln` errs by under 1 ulp,
/// so `ln` keeps their order. A test checks the memo's buckets against `add`'s.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memo {
    lo: f64,
    hi: f64,
    index: i32,
}

impl Memo {
    /// The bucket of positive `x`, learning its range (out of line: the logarithm is the rare
    /// case, and inlined it makes the caller save registers on every call).
    #[cold]
    #[inline(never)]
    fn learn(&mut self, x: f64) -> i32 {
        let i = index(x);
        if i == self.index && self.hi > 0.0 {
            self.lo = self.lo.min(x);
            self.hi = self.hi.max(x);
        } else {
            *self = Memo {
                lo: x,
                hi: x,
                index: i,
            };
        }
        i
    }
}

/// A deterministic, mergeable log-bucket quantile sketch of non-negative values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sketch {
    /// Counts of buckets `offset, offset+1, …`.
    counts: Vec<u64>,
    /// Index of `counts[0]`.
    offset: i32,
    /// Values equal to zero.
    zeros: u64,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

/// The bucket of a positive value: `ceil(log_γ x)`.
fn index(x: f64) -> i32 {
    (x.ln() / LN_GAMMA).ceil() as i32
}

/// The representative value of bucket `i`: `2γ^i/(γ+1)`, within α of every value in it.
fn value(i: i32) -> f64 {
    (f64::from(i) * LN_GAMMA).exp() * (2.0 / (GAMMA + 1.0))
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Self {
        Sketch::default()
    }

    /// Add one value (seconds; must be ≥ 0 and finite).
    pub fn add(&mut self, x: f64) {
        self.add_memo(x, &mut Memo::default());
    }

    /// [`Sketch::add`] through `memo`, which remembers the range of values of the last
    /// bucket: a value within it (the same request at about the same load) costs no
    /// logarithm. Same result.
    #[inline]
    pub fn add_memo(&mut self, x: f64, memo: &mut Memo) {
        debug_assert!(x >= 0.0 && x.is_finite(), "sketch value {x}");
        if self.count == 0 {
            (self.min, self.max) = (x, x);
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.count += 1;
        self.sum += x;
        if x > 0.0 {
            let i = if memo.lo <= x && x <= memo.hi {
                memo.index
            } else {
                memo.learn(x)
            };
            self.bump(i, 1);
        } else {
            self.zeros += 1;
        }
    }

    /// Add `n` to bucket `i`, growing the store to cover it.
    #[inline]
    fn bump(&mut self, i: i32, n: u64) {
        let k = i.wrapping_sub(self.offset) as u32 as usize;
        match self.counts.get_mut(k) {
            Some(c) if i >= self.offset => *c += n,
            _ => self.grow_and_bump(i, n),
        }
    }

    /// [`Sketch::bump`] outside the store: grow it to cover `i` first.
    #[cold]
    #[inline(never)]
    fn grow_and_bump(&mut self, i: i32, n: u64) {
        if self.counts.is_empty() {
            self.offset = i;
            self.counts.push(n);
            return;
        }
        if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = i;
        }
        let k = (i - self.offset) as usize;
        if k >= self.counts.len() {
            self.counts.resize(k + 1, 0);
        }
        self.counts[k] += n;
    }

    /// Fold `other` in: the result answers as a sketch of both samples would (the sum is the
    /// two sums added).
    pub fn merge(&mut self, other: &Sketch) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
        self.zeros += other.zeros;
        if let (Some(first), Some(last)) = (
            other.counts.iter().position(|&c| c > 0),
            other.counts.iter().rposition(|&c| c > 0),
        ) {
            // Grow once to the union's range, then add bucket by bucket.
            self.bump(other.offset + first as i32, 0);
            self.bump(other.offset + last as i32, 0);
            for (k, &c) in other.counts.iter().enumerate().take(last + 1).skip(first) {
                let at = (other.offset + k as i32 - self.offset) as usize;
                self.counts[at] += c;
            }
        }
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their sum, in insertion order (0 when empty).
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Smallest value (0 when empty).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// Largest value (0 when empty).
    pub fn max(&self) -> f64 {
        self.max
    }

    /// Buckets held (the store's length; its memory is 8 bytes each).
    pub fn buckets(&self) -> usize {
        self.counts.len()
    }

    /// The nearest-rank `p` quantile (`p` in [0, 1]) within relative error [`ALPHA`]; 0 when
    /// empty.
    pub fn quantile(&self, p: f64) -> f64 {
        let n = self.count;
        if n == 0 {
            return 0.0;
        }
        let rank = ((p * n as f64).ceil() as u64).clamp(1, n);
        if rank == n {
            return self.max;
        }
        if rank <= self.zeros {
            return 0.0;
        }
        let mut seen = self.zeros;
        for (k, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value(self.offset + k as i32).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Stats;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, LogNormal, Pareto};

    const PS: [f64; 9] = [0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0];

    /// The exact nearest-rank quantile of `v` (sorted).
    fn exact(v: &[f64], p: f64) -> f64 {
        let n = v.len();
        v[((p * n as f64).ceil() as usize).clamp(1, n) - 1]
    }

    fn check(mut v: Vec<f64>) {
        let s = build(&v);
        v.sort_by(f64::total_cmp);
        for p in PS {
            let (q, x) = (s.quantile(p), exact(&v, p));
            assert!(
                (q - x).abs() <= ALPHA * x + 1e-12 * x,
                "p{p}: sketch {q} vs exact {x} (n {})",
                v.len()
            );
        }
        assert_eq!(s.count(), v.len() as u64);
        assert_eq!((s.min(), s.max()), (v[0], v[v.len() - 1]));
    }

    fn build(v: &[f64]) -> Sketch {
        let mut s = Sketch::new();
        for &x in v {
            s.add(x);
        }
        s
    }

    fn rng() -> rand_pcg::Pcg64 {
        rand_pcg::Pcg64::seed_from_u64(7)
    }

    #[test]
    fn ln_gamma_literal() {
        assert!((GAMMA.ln() - LN_GAMMA).abs() <= 2.0 * f64::EPSILON * LN_GAMMA);
    }

    #[test]
    fn memo_adds_what_add_adds() {
        let (mut a, mut b, mut memo) = (Sketch::new(), Sketch::new(), Memo::default());
        for x in [0.5, 0.5, 0.0, 0.5, 2.0, 2.0, 0.0, 1e-6, 0.5] {
            a.add(x);
            b.add_memo(x, &mut memo);
        }
        assert_eq!(a, b);
    }

    /// The memo's range answers `index` for every whole-microsecond value it covers: values
    /// walking across bucket boundaries one microsecond at a time, up and down, near 1 ms,
    /// 1 s, 1 h and a year, and a random walk of latencies, give the sketch `add` gives.
    #[test]
    fn memo_range_adds_what_add_adds() {
        let us = |n: u64| n as f64 / 1e6;
        let mut values = Vec::new();
        for centre in [1_000u64, 1_000_000, 3_600_000_000, 31_536_000_000_000] {
            // The bucket boundary nearest `centre`, in whole microseconds.
            let i = index(us(centre));
            let edge = ((f64::from(i) * LN_GAMMA).exp() * 1e6).round() as u64;
            let (lo, hi) = (edge - 40, edge + 40);
            values.extend((lo..hi).map(us));
            values.extend((lo..hi).rev().map(us));
            values.extend((lo..hi).step_by(7).map(us));
        }
        let mut r = rng();
        let mut t: u64 = 15_000;
        for _ in 0..20_000 {
            t = (t as i64 + r.random_range(-300i64..=300)).max(1) as u64;
            values.push(us(t));
        }
        let (mut a, mut b, mut memo) = (Sketch::new(), Sketch::new(), Memo::default());
        for &x in &values {
            a.add(x);
            b.add_memo(x, &mut memo);
            assert!(
                memo.lo <= x && x <= memo.hi && memo.index == index(x),
                "{x}"
            );
        }
        assert_eq!(a, b);
    }

    #[test]
    fn representative_is_within_alpha_of_its_bucket() {
        for i in [-1400, -100, -1, 0, 1, 7, 1200] {
            let (lo, hi, r) = (value(i - 1), value(i), value(i));
            let (lo, hi) = (lo * (GAMMA + 1.0) / 2.0, hi * (GAMMA + 1.0) / 2.0);
            assert!((r - lo) / lo <= ALPHA * (1.0 + 1e-9), "bucket {i}");
            assert!((hi - r) / hi <= ALPHA * (1.0 + 1e-9), "bucket {i}");
            assert_eq!(index(hi * (1.0 - 1e-12)), i);
            assert_eq!(index(lo * (1.0 + 1e-12)), i);
        }
    }

    #[test]
    fn lognormal() {
        let d = LogNormal::new(-3.0, 1.5).unwrap();
        let mut r = rng();
        check((0..20_000).map(|_| d.sample(&mut r)).collect());
    }

    #[test]
    fn uniform() {
        let mut r = rng();
        check((0..10_000).map(|_| r.random_range(0.001..2.0)).collect());
    }

    #[test]
    fn heavy_tail() {
        let d = Pareto::new(1e-3, 0.7).unwrap();
        let mut r = rng();
        check((0..10_000).map(|_| d.sample(&mut r)).collect());
    }

    #[test]
    fn with_zeros() {
        let mut r = rng();
        let v: Vec<f64> = (0..5_000)
            .map(|i| {
                if i % 3 == 0 {
                    0.0
                } else {
                    r.random_range(1e-6..10.0)
                }
            })
            .collect();
        check(v);
        check(vec![0.0; 10]);
        check(vec![0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn tiny_samples() {
        check(vec![0.25]);
        check(vec![3.0, 0.002]);
        check(vec![1e-6, 172_800.0]);
        let s = build(&[0.125]);
        assert_eq!((s.quantile(0.5), s.quantile(0.95)), (0.125, 0.125));
        assert_eq!(Sketch::new().quantile(0.5), 0.0);
    }

    #[test]
    fn merge_equals_union() {
        let d = LogNormal::new(0.0, 2.0).unwrap();
        let mut r = rng();
        let a: Vec<f64> = (0..3_000).map(|_| d.sample(&mut r)).collect();
        let b: Vec<f64> = (0..2_000).map(|_| d.sample(&mut r) * 1e-3).collect();
        let mut m = build(&a);
        m.merge(&build(&[]));
        m.merge(&build(&b));
        let mut e = build(&[]);
        e.merge(&build(&a));
        let all: Vec<f64> = a.iter().chain(&b).copied().collect();
        let u = build(&all);
        for p in PS {
            assert_eq!(m.quantile(p), u.quantile(p), "p{p}");
        }
        assert_eq!((m.count(), m.min(), m.max()), (u.count(), u.min(), u.max()));
        assert!((m.sum() - u.sum()).abs() <= 1e-12 * u.sum());
        assert_eq!(e, build(&a));
    }

    #[test]
    fn deterministic() {
        let d = LogNormal::new(-2.0, 1.0).unwrap();
        let v: Vec<f64> = (0..5_000).map(|_| d.sample(&mut rng())).collect();
        assert_eq!(build(&v), build(&v));
        let w: Vec<f64> = (0..5_000).map(|_| d.sample(&mut rng())).collect();
        assert_eq!(build(&v), build(&w));
    }

    #[test]
    fn stats_agree_within_alpha() {
        let d = LogNormal::new(-1.0, 1.0).unwrap();
        let mut r = rng();
        let mut v: Vec<f64> = (0..9_999).map(|_| d.sample(&mut r)).collect();
        let s = Stats::from_sketch(&build(&v));
        let e = Stats::of(&mut v);
        assert_eq!((s.count, s.max), (e.count, e.max));
        assert!((s.mean - e.mean).abs() <= 1e-12 * e.mean);
        assert!((s.p50 - e.p50).abs() <= ALPHA * e.p50 * (1.0 + 1e-9));
        assert!((s.p95 - e.p95).abs() <= ALPHA * e.p95 * (1.0 + 1e-9));
    }

    #[test]
    fn memory_bound() {
        // 1 µs … 48 h: the documented bucket bound.
        let s = build(&[1e-6, 172_800.0]);
        assert!(s.buckets() <= 2_589, "{} buckets", s.buckets());
    }

    proptest::proptest! {
        /// The documented bound against [`Stats::of`] on random samples: log-uniform values
        /// over 1 µs … 48 h, some zeros, any size.
        #[test]
        fn bound_holds_against_stats(
            exps in proptest::collection::vec((-6.0f64..5.24, 0u8..10), 1..400),
        ) {
            let v: Vec<f64> = exps
                .iter()
                .map(|&(e, z)| if z == 0 { 0.0 } else { 10f64.powf(e) })
                .collect();
            let s = Stats::from_sketch(&build(&v));
            let e = Stats::of(&mut v.clone());
            proptest::prop_assert_eq!((s.count, s.max), (e.count, e.max));
            proptest::prop_assert!((s.mean - e.mean).abs() <= 1e-12 * e.mean);
            for (a, x) in [(s.p50, e.p50), (s.p95, e.p95)] {
                proptest::prop_assert!((a - x).abs() <= ALPHA * x * (1.0 + 1e-9), "{} vs {}", a, x);
            }
        }
    }
}
