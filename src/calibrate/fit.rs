//! Fit a run-time distribution ([`DurationDist`]) to observed durations (startup stages are
//! summarised with [`crate::metrics::Stats`], the report's own nearest-rank statistics).
//!
//! # Rounding model
//!
//! Kubernetes and Argo timestamps are RFC3339 with whole seconds (`metav1.Time` truncates),
//! so an observed duration is `floor(end) - floor(start)`. More generally, with resolution
//! `r`, `y = r·floor(end/r) - r·floor(start/r)`. For a true duration `d` whose start falls at
//! a uniformly distributed fraction of a step, `y` is `floor(d)` or `floor(d) + r` with
//! `E[y | d] = d`, so `y = d + e` where `e` has mean 0 given any `d`. When `d` itself spreads
//! over a step or more (its fractional part is about uniform), `e` is the difference of two
//! independent uniform fractions: triangular on `(-r, r)`, variance `r²/6`, independent of
//! `d`. The fit assumes that independence. Hence:
//!
//! - the sample mean is unbiased for the mean of `d` (no correction);
//! - the observed variance is `var(d) + r²/6`, so the fitted variance is the observed one
//!   minus `r²/6`, floored at (1 µs)² (the crate's time resolution) when the rounding
//!   accounts for all of it;
//! - a constant duration shows up as at most two adjacent values, so samples that all lie
//!   within one step of each other (span ≤ `r`; with exact data, `r = 0`, span below 1 µs)
//!   are fitted as a constant, their mean.
//!
//! # Candidates
//!
//! Otherwise normal and lognormal are fitted by maximum likelihood to the observed values
//! (the lognormal only when every sample is > 0) and the one with the larger maximised
//! log-likelihood is chosen (a tie goes to the normal). Both have two parameters, so this is
//! the AIC choice too. The log-likelihoods are of the observed values as continuous densities
//! (the rounding noise is absorbed in the fitted spread); both candidates see the same data,
//! so they compare with each other, not with a discrete model. The chosen fit is then
//! corrected for the rounding: the normal's variance as above; for the lognormal, the mean
//! `exp(μ + σ²/2)` and variance `mean²·(exp(σ²) − 1)` on the duration scale, the variance
//! corrected the same way, give the mean/stddev-of-the-duration [`DurationDist::LogNormal`]
//! takes. There is no randomness anywhere: the fit is a pure function of its input.

use crate::dist::DurationDist;
use crate::units::{Dur, format_duration};
use serde::Serialize;

/// Smallest fitted standard deviation, seconds: the crate's time resolution, 1 µs.
const MIN_SD_S: f64 = 1e-6;

/// The family a [`Fit`] chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FitKind {
    /// All samples within one resolution step of each other (or a single sample).
    Constant,
    /// Normal (the simulator truncates it at zero by clamping).
    Normal,
    /// Lognormal.
    LogNormal,
}

impl FitKind {
    fn name(self) -> &'static str {
        match self {
            FitKind::Constant => "constant",
            FitKind::Normal => "normal",
            FitKind::LogNormal => "lognormal",
        }
    }
}

/// A run-time distribution fitted to observed durations by [`fit_durations`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// The chosen family.
    pub kind: FitKind,
    /// Mean of the duration, seconds (for a constant, its value).
    pub mean_s: f64,
    /// Standard deviation of the duration, seconds, corrected for the rounding (0 for a
    /// constant).
    pub stddev_s: f64,
    /// Number of samples.
    pub n: usize,
    /// Timestamp resolution the samples were taken at, seconds (0 = exact values).
    pub resolution_s: f64,
    /// Maximised log-likelihood of the normal candidate; None when not considered (constant).
    pub loglik_normal: Option<f64>,
    /// Maximised log-likelihood of the lognormal candidate; None when not considered
    /// (constant, or a sample is 0).
    pub loglik_lognormal: Option<f64>,
    /// Standard error of `mean_s`: the observed standard deviation (rounding included, as it
    /// is in the sample mean's variance) over √n. None for n = 1.
    pub mean_se_s: Option<f64>,
    /// Standard error of `stddev_s`: `se(var) / (2·stddev_s)`, capped at `√se(var)` where this
    /// delta method breaks down near a zero spread, with `se(var)` the standard error of the
    /// observed (uncorrected) variance under the chosen family: for a normal
    /// `s²·√(2/(n−1))`, so `stddev_s/√(2(n−1))` with exact data; for a lognormal the
    /// delta method through the MLE's μ and σ² (larger: the lognormal's tail). The rounding
    /// correction subtracts a known constant, so it leaves `se(var)` as it is but makes the
    /// stddev's error relatively larger. None for a constant.
    pub stddev_se_s: Option<f64>,
    /// Smallest sample, seconds.
    pub min_s: f64,
    /// Largest sample, seconds.
    pub max_s: f64,
    /// Caveats for a human reader (a single sample, an unresolved spread, clamping at zero).
    pub notes: Vec<String>,
}

/// Why [`fit_durations`] refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The sample is empty.
    #[error("no samples to fit")]
    Empty,
    /// A sample is NaN or infinite.
    #[error("sample {index} is not a finite number ({value})")]
    NonFinite {
        /// Position in the input.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A sample is below zero.
    #[error("sample {index} is negative ({value} s)")]
    Negative {
        /// Position in the input.
        index: usize,
        /// The value, seconds.
        value: f64,
    },
    /// The resolution is negative or not finite.
    #[error("resolution must be a finite number >= 0 seconds (got {0})")]
    BadResolution(f64),
}

/// Mean and two-pass MLE variance (divided by n).
fn mean_var(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = v.clone().count() as f64;
    let mean = v.clone().sum::<f64>() / n;
    let var = v.map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var)
}

/// `ln L` of a normal at its MLE: `−n/2·(ln(2π·var) + 1)`.
fn normal_loglik(n: f64, var_mle: f64) -> f64 {
    -0.5 * n * ((2.0 * std::f64::consts::PI * var_mle).ln() + 1.0)
}

/// Fit a constant, normal or lognormal duration to `samples_s` (seconds, observed at
/// `resolution_s`; 0 = exact values). See the [module docs](self) for the rounding model and
/// the choice between candidates. A single sample gives a constant with a note.
pub fn fit_durations(samples_s: &[f64], resolution_s: f64) -> Result<Fit, FitError> {
    if !resolution_s.is_finite() || resolution_s < 0.0 {
        return Err(FitError::BadResolution(resolution_s));
    }
    if samples_s.is_empty() {
        return Err(FitError::Empty);
    }
    for (index, &value) in samples_s.iter().enumerate() {
        if !value.is_finite() {
            return Err(FitError::NonFinite { index, value });
        }
        if value < 0.0 {
            return Err(FitError::Negative { index, value });
        }
    }
    let n = samples_s.len();
    let nf = n as f64;
    let min_s = samples_s.iter().copied().fold(f64::INFINITY, f64::min);
    let max_s = samples_s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mean, var_mle) = mean_var(samples_s.iter().copied());
    // Unbiased observed variance (n − 1), rounding included.
    let s2 = if n > 1 {
        var_mle * nf / (nf - 1.0)
    } else {
        0.0
    };
    let mut fit = Fit {
        kind: FitKind::Constant,
        mean_s: mean,
        stddev_s: 0.0,
        n,
        resolution_s,
        loglik_normal: None,
        loglik_lognormal: None,
        mean_se_s: (n > 1).then(|| (s2 / nf).sqrt()),
        stddev_se_s: None,
        min_s,
        max_s,
        notes: Vec::new(),
    };
    let span = max_s - min_s;
    let constant = if resolution_s > 0.0 {
        span <= resolution_s
    } else {
        span < 1e-6
    };
    if n == 1 {
        fit.notes
            .push("a single sample: fitted as that constant; no spread can be estimated".into());
        return Ok(fit);
    }
    if constant {
        if resolution_s > 0.0 && span > 0.0 {
            fit.notes.push(format!(
                "all samples within one {resolution_s}s step: a constant \
                 (the rounding alone spreads one over two adjacent values)"
            ));
        }
        return Ok(fit);
    }

    let ll_normal = normal_loglik(nf, var_mle);
    fit.loglik_normal = Some(ll_normal);
    let rounding_var = resolution_s * resolution_s / 6.0;
    // Lognormal MLE on the observed values: μ, σ² of ln y.
    let lognormal = if min_s > 0.0 {
        let (mu, s2_log) = mean_var(samples_s.iter().map(|x| x.ln()));
        let sum_ln: f64 = samples_s.iter().map(|x| x.ln()).sum();
        let ll = -sum_ln + normal_loglik(nf, s2_log);
        fit.loglik_lognormal = Some(ll);
        Some((mu, s2_log, ll))
    } else {
        fit.notes
            .push("lognormal not considered: a sample is 0".into());
        None
    };

    // Observed variance on the duration scale of the chosen candidate, before correction,
    // and its standard error under that candidate.
    let (observed_var, se_var) = match lognormal {
        Some((mu, s2_log, ll)) if ll > ll_normal => {
            fit.kind = FitKind::LogNormal;
            // Unbiased σ² on the log scale, then the duration-scale moments.
            let s2_log = s2_log * nf / (nf - 1.0);
            let m = (mu + s2_log / 2.0).exp();
            fit.mean_s = m;
            let v = m * m * s2_log.exp_m1();
            // Delta method on ln v = 2μ + σ² + ln(exp(σ²) − 1), var(μ̂) = σ²/n,
            // var(σ̂²) = 2σ⁴/(n − 1), independent.
            let d_s2 = 1.0 + s2_log.exp() / s2_log.exp_m1();
            let var_ln_v = 4.0 * s2_log / nf + d_s2 * d_s2 * 2.0 * s2_log * s2_log / (nf - 1.0);
            (v, v * var_ln_v.sqrt())
        }
        _ => {
            fit.kind = FitKind::Normal;
            (s2, s2 * (2.0 / (nf - 1.0)).sqrt())
        }
    };
    let corrected = observed_var - rounding_var;
    if corrected < MIN_SD_S * MIN_SD_S {
        fit.notes.push(format!(
            "observed variance {observed_var:.4} s² is within the rounding's \
             {rounding_var:.4} s² (step²/6): the true spread is not resolved; \
             stddev floored at 1 µs"
        ));
    }
    fit.stddev_s = corrected.max(MIN_SD_S * MIN_SD_S).sqrt();
    fit.stddev_se_s = Some((se_var / (2.0 * fit.stddev_s)).min(se_var.sqrt()));
    if fit.kind == FitKind::Normal && fit.mean_s < 3.0 * fit.stddev_s {
        fit.notes.push(
            "normal with mean < 3 stddev: the simulator clamps negative draws to 0, so its \
             mean will be above the fitted one"
                .into(),
        );
    }
    Ok(fit)
}

/// Seconds to integer microseconds, rounded to nearest.
fn dur(s: f64) -> Dur {
    Dur((s * 1e6).round().max(0.0) as u64)
}

/// A duration for a one-line summary: whole seconds from a minute up, 10 ms from a second,
/// 1 ms below that (µs below a millisecond), in the crate's Go-duration format.
fn short(s: f64) -> String {
    let us = (s * 1e6).round().max(0.0) as u64;
    let q = match us {
        60_000_000.. => 1_000_000,
        1_000_000.. => 10_000,
        1_000.. => 1_000,
        _ => 1,
    };
    format_duration((us + q / 2) / q * q)
}

impl Fit {
    /// The fitted distribution for a scenario (mean and stddev rounded to whole µs; a
    /// lognormal's mean at least 1 µs, as [`DurationDist::check`] requires).
    pub fn dist(&self) -> DurationDist {
        match self.kind {
            FitKind::Constant => DurationDist::Constant(dur(self.mean_s)),
            FitKind::Normal => DurationDist::Normal {
                mean: dur(self.mean_s),
                stddev: dur(self.stddev_s),
            },
            FitKind::LogNormal => DurationDist::LogNormal {
                mean: Dur(dur(self.mean_s).0.max(1)),
                stddev: dur(self.stddev_s),
            },
        }
    }

    /// One line for a human, e.g. `lognormal mean 5m2s stddev 1m10s (n = 412; lognormal
    /// log-lik -1834.2 vs normal -1867.9)`.
    pub fn describe(&self) -> String {
        let head = match self.kind {
            FitKind::Constant => format!("constant {}", short(self.mean_s)),
            k => format!(
                "{} mean {} stddev {}",
                k.name(),
                short(self.mean_s),
                short(self.stddev_s)
            ),
        };
        let tail = match (self.kind, self.loglik_normal, self.loglik_lognormal) {
            (FitKind::LogNormal, Some(n), Some(l)) => {
                format!("lognormal log-lik {l:.1} vs normal {n:.1}")
            }
            (FitKind::Normal, Some(n), Some(l)) => {
                format!("normal log-lik {n:.1} vs lognormal {l:.1}")
            }
            (_, Some(n), None) => format!("normal log-lik {n:.1}; lognormal not applicable"),
            _ if self.n == 1 => "a single sample".to_string(),
            _ if self.min_s == self.max_s => format!("all {}", short(self.min_s)),
            _ => format!("all within {}–{}", short(self.min_s), short(self.max_s)),
        };
        format!("{head} (n = {}; {tail})", self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStream;
    use rand::RngExt;

    /// `n` durations of `d` as Kubernetes would show them: a uniform start fraction, both
    /// ends floored to whole seconds.
    fn observe(d: &DurationDist, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = RngStream::new(seed, "fit-test");
        (0..n)
            .map(|_| {
                let true_s = d.sample(&mut *rng).as_secs_f64();
                let start: f64 = 1_700_000_000.0 + rng.random::<f64>();
                (start + true_s).floor() - start.floor()
            })
            .collect()
    }

    fn secs(s: f64) -> Dur {
        Dur((s * 1e6) as u64)
    }

    fn within(what: &str, got: f64, truth: f64, se: f64, k: f64) {
        eprintln!("{what}: got {got:.4}, truth {truth}, se {se:.4}");
        assert!(
            (got - truth).abs() <= k * se,
            "{what}: got {got}, truth {truth}, {k} se = {}",
            k * se
        );
    }

    #[test]
    fn lognormal_recovered() {
        let d = DurationDist::LogNormal {
            mean: secs(300.0),
            stddev: secs(120.0),
        };
        let f = fit_durations(&observe(&d, 500, 1), 1.0).unwrap();
        eprintln!("{}", f.describe());
        assert_eq!(f.kind, FitKind::LogNormal, "{f:?}");
        within("mean", f.mean_s, 300.0, f.mean_se_s.unwrap(), 3.0);
        within("sd", f.stddev_s, 120.0, f.stddev_se_s.unwrap(), 3.0);
        assert!(f.loglik_lognormal.unwrap() > f.loglik_normal.unwrap());
        let DurationDist::LogNormal { mean, stddev } = f.dist() else {
            panic!("{:?}", f.dist())
        };
        assert_eq!(mean.0, (f.mean_s * 1e6).round() as u64);
        assert_eq!(stddev.0, (f.stddev_s * 1e6).round() as u64);
        assert!(
            f.describe().starts_with("lognormal mean 5m"),
            "{}",
            f.describe()
        );
    }

    #[test]
    fn normal_recovered() {
        let d = DurationDist::Normal {
            mean: secs(120.0),
            stddev: secs(10.0),
        };
        let f = fit_durations(&observe(&d, 500, 2), 1.0).unwrap();
        eprintln!("{}", f.describe());
        assert_eq!(f.kind, FitKind::Normal, "{f:?}");
        within("mean", f.mean_s, 120.0, f.mean_se_s.unwrap(), 3.0);
        within("sd", f.stddev_s, 10.0, f.stddev_se_s.unwrap(), 3.0);
        assert!(matches!(f.dist(), DurationDist::Normal { .. }));
        assert!(f.notes.is_empty(), "{:?}", f.notes);
    }

    #[test]
    fn constants_recovered() {
        for truth in [30.0, 30.4] {
            let obs = observe(&DurationDist::Constant(secs(truth)), 200, 3);
            let f = fit_durations(&obs, 1.0).unwrap();
            eprintln!("{truth}: {} mean {:.4}", f.describe(), f.mean_s);
            assert_eq!(f.kind, FitKind::Constant, "{f:?}");
            assert!((f.mean_s - truth).abs() <= 0.05, "{truth}: {}", f.mean_s);
            assert_eq!(f.stddev_s, 0.0);
            assert_eq!(f.dist(), DurationDist::Constant(dur(f.mean_s)));
        }
        // Exact data: any spread of 1 µs or more is not a constant.
        assert_eq!(
            fit_durations(&[5.0, 5.0], 0.0).unwrap().kind,
            FitKind::Constant
        );
        assert_ne!(
            fit_durations(&[5.0, 5.1], 0.0).unwrap().kind,
            FitKind::Constant
        );
        // Two steps apart at 1 s resolution is not a constant either.
        assert_ne!(
            fit_durations(&[5.0, 7.0], 1.0).unwrap().kind,
            FitKind::Constant
        );
    }

    #[test]
    fn sub_resolution_spread_is_corrected() {
        let d = DurationDist::Normal {
            mean: secs(20.0),
            stddev: secs(0.8),
        };
        let obs = observe(&d, 500, 4);
        let f = fit_durations(&obs, 1.0).unwrap();
        let raw_sd = fit_durations(&obs, 0.0).unwrap().stddev_s;
        eprintln!("{} (uncorrected sd {raw_sd:.4})", f.describe());
        // At a CV of 4 % normal and lognormal are indistinguishable (their log-likelihoods
        // differ by a fraction of a nat), so either may win; both correct the spread.
        assert_ne!(f.kind, FitKind::Constant, "{f:?}");
        within("sd", f.stddev_s, 0.8, f.stddev_se_s.unwrap(), 3.0);
        // Without the correction the estimate is off: √(0.64 + 1/6) ≈ 0.90.
        assert!(raw_sd - 0.8 > 3.0 * f.stddev_se_s.unwrap(), "raw {raw_sd}");
    }

    #[test]
    fn unresolved_spread_is_floored_with_a_note() {
        let mut v = vec![30.0; 499];
        v.push(32.0);
        let f = fit_durations(&v, 1.0).unwrap();
        assert_ne!(f.kind, FitKind::Constant);
        assert_eq!(f.stddev_s, MIN_SD_S);
        assert!(f.notes.iter().any(|n| n.contains("not resolved")), "{f:?}");
        assert!(f.stddev_se_s.unwrap().is_finite());
    }

    #[test]
    fn zero_sample_rules_out_lognormal() {
        let f = fit_durations(&[0.0, 1.0, 2.0, 3.0, 9.0], 1.0).unwrap();
        assert_eq!(f.kind, FitKind::Normal);
        assert_eq!(f.loglik_lognormal, None);
        assert!(
            f.describe().contains("lognormal not applicable"),
            "{}",
            f.describe()
        );
        assert!(
            f.notes.iter().any(|n| n.contains("clamps")),
            "{:?}",
            f.notes
        );
    }

    #[test]
    fn loglik_closed_form() {
        // Normal MLE var of [1, 3] is 1: ln L = −(ln 2π + 1).
        let f = fit_durations(&[1.0, 3.0], 0.0).unwrap();
        let want = -(2.0 * std::f64::consts::PI).ln() - 1.0;
        assert!((f.loglik_normal.unwrap() - want).abs() < 1e-12);
        // Lognormal on [1, e²]: ln y = [0, 2], var 1, ln L = −2 − (ln 2π + 1).
        let f = fit_durations(&[1.0, 2f64.exp()], 0.0).unwrap();
        assert!((f.loglik_lognormal.unwrap() - (want - 2.0)).abs() < 1e-12);
    }

    #[test]
    fn errors_and_single_sample() {
        assert_eq!(fit_durations(&[], 1.0), Err(FitError::Empty));
        let e = fit_durations(&[1.0, f64::NAN], 1.0).unwrap_err();
        assert!(matches!(e, FitError::NonFinite { index: 1, .. }), "{e:?}");
        assert!(e.to_string().contains("sample 1"), "{e}");
        let e = fit_durations(&[1.0, 2.0, -3.0], 1.0).unwrap_err();
        assert!(matches!(e, FitError::Negative { index: 2, .. }), "{e:?}");
        assert!(fit_durations(&[f64::INFINITY], 0.0).is_err());
        assert!(matches!(
            fit_durations(&[1.0], -1.0),
            Err(FitError::BadResolution(_))
        ));
        let f = fit_durations(&[42.0], 1.0).unwrap();
        assert_eq!((f.kind, f.mean_s, f.n), (FitKind::Constant, 42.0, 1));
        assert_eq!((f.mean_se_s, f.stddev_se_s), (None, None));
        assert!(!f.notes.is_empty());
        assert_eq!(f.describe(), "constant 42s (n = 1; a single sample)");
    }

    #[test]
    fn describe_formats() {
        assert_eq!(short(302.4), "5m2s");
        assert_eq!(short(30.404), "30.4s");
        assert_eq!(short(0.8004), "800ms");
        let f = fit_durations(&[30.0, 31.0, 30.0, 31.0, 30.0], 1.0).unwrap();
        assert_eq!(f.describe(), "constant 30.4s (n = 5; all within 30s–31s)");
        let f = fit_durations(&[7.0, 7.0], 1.0).unwrap();
        assert_eq!(f.describe(), "constant 7s (n = 2; all 7s)");
    }
}
