//! Statistics over replications: mean, sample sd, 95% confidence intervals from Student's t,
//! nearest-rank percentiles, Welch's unequal-variance t-test and Holm's step-down correction.
//!
//! All sums are sequential over values in (point, replication) order, so results do not
//! depend on thread count. Left out: bootstrap intervals, non-parametric tests, paired tests
//! (compare uses common random numbers, which Welch's test ignores: it is conservative).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Two-sided confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;

/// Summary of one metric over a sample of runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agg {
    /// Sample size.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for n = 1).
    pub sd: f64,
    /// Lower end of the 95% CI of the mean (NaN for n < 2).
    pub ci_lo: f64,
    /// Upper end of the 95% CI of the mean (NaN for n < 2).
    pub ci_hi: f64,
    /// Median, nearest rank.
    pub p50: f64,
    /// 95th percentile, nearest rank.
    pub p95: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

/// Two-sided Student-t quantile for `CONFIDENCE` with `df` degrees of freedom.
pub fn t_quantile(df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 || !df.is_finite() {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(0.5 + CONFIDENCE / 2.0),
        Err(_) => f64::NAN,
    }
}

/// Nearest-rank percentile of sorted values (same rule as [`crate::metrics::Stats`]).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1]
}

/// Summarise values (order matters only for the floating-point sums). NaN values (no data)
/// are left out: `n` counts the others.
pub fn aggregate(v: &[f64]) -> Agg {
    let v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = v.len();
    if n == 0 {
        return Agg {
            n: 0,
            mean: f64::NAN,
            sd: f64::NAN,
            ci_lo: f64::NAN,
            ci_hi: f64::NAN,
            p50: f64::NAN,
            p95: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
        };
    }
    let nf = n as f64;
    let mean = v.iter().sum::<f64>() / nf;
    let sd = if n > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt()
    } else {
        0.0
    };
    let (ci_lo, ci_hi) = if n > 1 {
        let h = t_quantile(nf - 1.0) * sd / nf.sqrt();
        (mean - h, mean + h)
    } else {
        (f64::NAN, f64::NAN)
    };
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    Agg {
        n,
        mean,
        sd,
        ci_lo,
        ci_hi,
        p50: percentile(&s, 0.50),
        p95: percentile(&s, 0.95),
        min: s[0],
        max: s[n - 1],
    }
}

/// Welch's t-test of `b` against `a`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// mean(b) − mean(a).
    pub diff: f64,
    /// Standard error of the difference.
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value (1 when both samples are identical constants, 0 when they are
    /// different constants).
    pub p: f64,
    /// 95% CI of the difference.
    pub ci_lo: f64,
    /// 95% CI of the difference.
    pub ci_hi: f64,
}

/// Paired t-test of mean(b\[i\] − a\[i\]) (the same replication seeds on both sides: common random
/// numbers make the pairs correlated, and the differences' spread is what matters). Needs
/// n ≥ 2 pairs without NaN; otherwise NaN p and CI. Reported in a [`Welch`] with df = n − 1.
pub fn paired(a: &[f64], b: &[f64]) -> Welch {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| y - x)
        .filter(|x| !x.is_nan())
        .collect();
    let n = d.len();
    let diff = if n > 0 {
        d.iter().sum::<f64>() / n as f64
    } else {
        f64::NAN
    };
    let nan = Welch {
        diff,
        se: f64::NAN,
        df: f64::NAN,
        p: f64::NAN,
        ci_lo: f64::NAN,
        ci_hi: f64::NAN,
    };
    if n < 2 || n != a.len() {
        return nan;
    }
    let sd = (d.iter().map(|x| (x - diff).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let se = sd / (n as f64).sqrt();
    t_test(diff, se, n as f64 - 1.0)
}

/// The two-sided t-test of a difference `diff` with standard error `se` and `df` degrees of
/// freedom, with its 95 % CI; `se` = 0 gives p = 1 for no difference, else 0.
fn t_test(diff: f64, se: f64, df: f64) -> Welch {
    if se == 0.0 {
        let p = if diff == 0.0 { 1.0 } else { 0.0 };
        return Welch {
            diff,
            se,
            df,
            p,
            ci_lo: diff,
            ci_hi: diff,
        };
    }
    let p = match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => (2.0 * dist.sf((diff / se).abs())).min(1.0),
        Err(_) => f64::NAN,
    };
    let h = t_quantile(df) * se;
    Welch {
        diff,
        se,
        df,
        p,
        ci_lo: diff - h,
        ci_hi: diff + h,
    }
}

/// Welch's unequal-variance t-test of mean(b) − mean(a). Needs n ≥ 2 on both sides.
pub fn welch(a: &Agg, b: &Agg) -> Welch {
    let diff = b.mean - a.mean;
    if a.n < 2 || b.n < 2 {
        return Welch {
            diff,
            se: f64::NAN,
            df: f64::NAN,
            p: f64::NAN,
            ci_lo: f64::NAN,
            ci_hi: f64::NAN,
        };
    }
    let va = a.sd * a.sd / a.n as f64;
    let vb = b.sd * b.sd / b.n as f64;
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return t_test(diff, se, f64::INFINITY);
    }
    let df = (va + vb).powi(2) / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
    t_test(diff, se, df)
}

/// Holm's step-down adjusted p-values (family-wise error control); NaN stays NaN.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len();
    idx.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    let mut out = vec![f64::NAN; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in idx.iter().enumerate() {
        let adj = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_test_sees_a_constant_shift_that_welch_misses() {
        // Wide spread between replications, the same +1 in every pair.
        let a = [10.0, 50.0, 90.0, 130.0];
        let b = [11.0, 51.0, 91.0, 131.0];
        let p = paired(&a, &b);
        assert_eq!((p.diff, p.se, p.p), (1.0, 0.0, 0.0));
        let w = welch(&aggregate(&a), &aggregate(&b));
        assert!(w.p > 0.9, "{}", w.p);
        // Closed form: d = [1, 3], mean 2, sd sqrt(2), se 1, t = 2, df 1: p = 0.2952.
        let q = paired(&[0.0, 0.0], &[1.0, 3.0]);
        assert!((q.p - 0.295_167).abs() < 1e-5, "{}", q.p);
    }

    #[test]
    fn t_quantiles() {
        assert!((t_quantile(1.0) - 12.706).abs() < 1e-3);
        assert!((t_quantile(9.0) - 2.262).abs() < 1e-3);
        assert!((t_quantile(1e6) - 1.960).abs() < 1e-3);
        assert!(t_quantile(0.0).is_nan());
    }

    #[test]
    fn aggregate_ci() {
        let a = aggregate(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(
            (a.mean, a.p50, a.p95, a.min, a.max),
            (3.0, 3.0, 5.0, 1.0, 5.0)
        );
        let h = 2.776_445 * (2.5f64).sqrt() / 5f64.sqrt();
        assert!((a.ci_hi - 3.0 - h).abs() < 1e-5);
        let one = aggregate(&[7.0]);
        assert_eq!((one.sd, one.n), (0.0, 1));
        assert!(one.ci_lo.is_nan());
    }

    #[test]
    fn welch_known_value() {
        // Two samples with a textbook Welch result (computed independently: t = -2.4, df ≈ 7.06).
        let a = aggregate(&[19.1, 20.3, 21.0, 18.7, 20.9]);
        let b = aggregate(&[22.4, 20.9, 23.6, 21.8, 24.2]);
        let w = welch(&a, &b);
        assert!(w.diff > 0.0);
        assert!(w.p < 0.05 && w.p > 0.001, "{w:?}");
        let same = welch(&a, &a);
        assert!((same.p - 1.0).abs() < 1e-12);
        let c = aggregate(&[3.0, 3.0]);
        let d = aggregate(&[4.0, 4.0]);
        assert_eq!(welch(&c, &d).p, 0.0);
        assert_eq!(welch(&c, &c).p, 1.0);
    }

    #[test]
    fn holm_adjusts() {
        let h = holm(&[0.01, 0.04, f64::NAN, 0.03]);
        assert!((h[0] - 0.03).abs() < 1e-12);
        assert!((h[3] - 0.06).abs() < 1e-12);
        assert!((h[1] - 0.06).abs() < 1e-12);
        assert!(h[2].is_nan());
    }
}
