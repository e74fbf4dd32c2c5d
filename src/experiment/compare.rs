//! `argosim compare BASE CANDIDATE`: both scenarios run with the same replication seeds
//! (common random numbers: each component's stream starts identically in both), and every
//! headline metric is compared: means with 95% CIs, the difference with its CI, a paired
//! t-test on the per-replication differences under common random numbers (Welch's test when
//! the seeds differ), a Holm-adjusted p-value across the metrics, and a plain verdict such as
//! "faster by 31% (CI 27-35%)" or "no significant change". The critical-path breakdown of
//! both sides (mean seconds per finished workflow per cause) shows where the time moved.
//!
//! The candidate is a second file, or the base with `--set KEY=VALUE` overrides (same key
//! paths as `[grid]`). Relative CIs divide the difference's CI by the base mean (its own
//! uncertainty is ignored). Left out: equivalence tests, effect sizes other than the relative
//! difference, and significance tests on the breakdown's causes.

use super::error::ExperimentError;
use super::grid::{Plan, PlanInput, parse_cli_axis};
use super::path::KeyPath;
use super::present::{self, MetricKind};
use super::progress::Progress;
use super::results::Row;
use super::runner::run_in_memory;
use super::stats::{Agg, Welch, aggregate, holm, paired, welch};
use crate::scenario::diag::Diagnostic;
use indexmap::IndexMap;

/// Family-wise significance level of the verdicts.
pub const ALPHA: f64 = 0.05;

/// One scenario to compare.
#[derive(Debug, Clone)]
pub struct Side {
    /// How it is named in output (file name, or "BASE with --set ...").
    pub label: String,
    /// File name for diagnostics.
    pub source: String,
    /// Scenario text.
    pub text: String,
}

/// What to compare.
#[derive(Debug, Clone)]
pub struct CompareInput {
    /// Base scenario.
    pub base: Side,
    /// Candidate scenario (None: the base with `sets` applied).
    pub candidate: Option<Side>,
    /// `--set KEY=VALUE` overrides applied to the candidate.
    pub sets: Vec<String>,
    /// Master seed (default: the base's `[experiment].seed`).
    pub seed: Option<u64>,
    /// Candidate master seed (default: the same, for common random numbers).
    pub candidate_seed: Option<u64>,
    /// Replications (default: the base's `[experiment].replications`, at least 2).
    pub replications: Option<u32>,
}

/// Comparison of one metric.
#[derive(Debug, Clone)]
pub struct MetricComparison {
    /// Metric name.
    pub metric: String,
    /// Base runs.
    pub base: Agg,
    /// Candidate runs.
    pub candidate: Agg,
    /// Test of candidate − base: paired t on per-replication differences with common random
    /// numbers, Welch's t otherwise.
    pub test: Welch,
    /// Holm-adjusted p-value.
    pub p_adjusted: f64,
    /// The change is significant after adjustment.
    pub significant: bool,
    /// Plain-words verdict.
    pub verdict: String,
}

/// A finished comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Validation warnings of both sides (base first), formatted `file:line: key: message`.
    pub warnings: Vec<String>,
    /// Base label.
    pub base_label: String,
    /// Candidate label.
    pub candidate_label: String,
    /// Base scenario name.
    pub base_name: String,
    /// Candidate scenario name.
    pub candidate_name: String,
    /// Base master seed.
    pub seed: u64,
    /// Candidate master seed.
    pub candidate_seed: u64,
    /// Replications per side.
    pub replications: u32,
    /// One per metric, in the headline order.
    pub metrics: Vec<MetricComparison>,
    /// How the critical-path attribution moved, largest change first.
    pub breakdown: Vec<CauseMove>,
}

/// One critical-path cause on both sides: mean seconds per finished workflow, averaged over
/// the replications that finished any workflow (a cause absent from a run counts 0).
#[derive(Debug, Clone)]
pub struct CauseMove {
    /// Cause, in words (as in `limits.causes[].cause`).
    pub cause: String,
    /// Base mean, s per workflow.
    pub base_s: f64,
    /// Candidate mean, s per workflow.
    pub candidate_s: f64,
}

/// The critical-path breakdowns of both sides, largest absolute change first (ties keep the
/// base's order).
fn breakdown(base: &[Row], cand: &[Row]) -> Vec<CauseMove> {
    let mean = |rows: &[Row]| -> IndexMap<String, f64> {
        let runs: Vec<&Row> = rows.iter().filter(|r| !r.causes.is_empty()).collect();
        let mut m: IndexMap<String, f64> = IndexMap::new();
        for r in &runs {
            for (c, v) in &r.causes {
                *m.entry(c.clone()).or_default() += v / runs.len() as f64;
            }
        }
        m
    };
    let (a, b) = (mean(base), mean(cand));
    let mut out: Vec<CauseMove> = a
        .keys()
        .chain(b.keys().filter(|k| !a.contains_key(*k)))
        .map(|k| CauseMove {
            cause: k.clone(),
            base_s: a.get(k).copied().unwrap_or(0.0),
            candidate_s: b.get(k).copied().unwrap_or(0.0),
        })
        .collect();
    out.sort_by(|x, y| {
        (y.candidate_s - y.base_s)
            .abs()
            .total_cmp(&(x.candidate_s - x.base_s).abs())
    });
    out
}

impl Comparison {
    /// Common random numbers were used (same seeds on both sides).
    pub fn common_random_numbers(&self) -> bool {
        self.seed == self.candidate_seed
    }
    /// Metrics that changed significantly.
    pub fn significant(&self) -> impl Iterator<Item = &MetricComparison> {
        self.metrics.iter().filter(|m| m.significant)
    }
}

fn pct(x: f64) -> String {
    if x.abs() >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The verdict for one metric.
pub fn verdict(metric: &str, base: &Agg, test: &Welch, significant: bool) -> String {
    if test.p == 1.0 && test.diff == 0.0 && base.sd == 0.0 {
        return "no change".into();
    }
    if !significant {
        return "no significant change".into();
    }
    let kind = MetricKind::of(metric);
    let up = test.diff > 0.0;
    let waiting = metric.contains("wait") || metric.contains("latency");
    let word = match (kind, up) {
        (MetricKind::Seconds, false) if waiting => "shorter",
        (MetricKind::Seconds, true) if waiting => "longer",
        (MetricKind::Seconds, false) => "faster",
        (MetricKind::Seconds, true) => "slower",
        (MetricKind::Usd, false) => "cheaper",
        (MetricKind::Usd, true) => "more expensive",
        (_, false) => "lower",
        (_, true) => "higher",
    };
    let m = base.mean.abs();
    if m > 0.0 && m.is_finite() {
        let (a, b) = (
            (test.ci_lo / m * 100.0).abs(),
            (test.ci_hi / m * 100.0).abs(),
        );
        let (lo, hi) = if test.ci_lo * test.ci_hi < 0.0 {
            (0.0, a.max(b))
        } else {
            (a.min(b), a.max(b))
        };
        format!(
            "{word} by {}% (CI {}-{}%)",
            pct((test.diff / m * 100.0).abs()),
            pct(lo),
            pct(hi)
        )
    } else {
        let (lo, hi) = (
            test.ci_lo.abs().min(test.ci_hi.abs()),
            test.ci_lo.abs().max(test.ci_hi.abs()),
        );
        format!(
            "{word} by {} (CI {}-{})",
            present::format_value(metric, test.diff.abs()),
            present::format_value(metric, lo),
            present::format_value(metric, hi)
        )
    }
}

/// Apply `--set KEY=VALUE` overrides to a scenario text; the result is validated.
pub fn apply_sets(side: &Side, sets: &[String]) -> Result<String, ExperimentError> {
    let file = side.source.as_str();
    let mut doc: toml::Table = toml::from_str(&side.text).map_err(|e| {
        ExperimentError::Invalid(vec![crate::scenario::diag::from_toml_error(
            file, &side.text, &e,
        )])
    })?;
    let d = |key: &str, message: String, help: Option<String>| Diagnostic {
        file: file.to_string(),
        line: None,
        column: None,
        key: Some(format!("--set {key}")),
        message,
        help,
    };
    for s in sets {
        let (key, values) =
            parse_cli_axis(s).map_err(|e| ExperimentError::Usage(e.replace("--axis", "--set")))?;
        if values.len() != 1 {
            return Err(ExperimentError::Usage(format!(
                "--set {key}: give one value (a grid takes several: use `argosim grid --axis`)"
            )));
        }
        let path =
            KeyPath::parse(&key).map_err(|e| ExperimentError::Invalid(vec![d(&key, e, None)]))?;
        path.set(&mut doc, values[0].clone())
            .map_err(|e| ExperimentError::Invalid(vec![d(&key, e, None)]))?;
        let text = toml::to_string(&doc).map_err(|e| ExperimentError::Usage(e.to_string()))?;
        if let Err(e) = crate::parse_scenario(file, &text) {
            let first = e.diagnostics().first().cloned();
            let (msg, help) = match first {
                Some(x) => (
                    match x.key {
                        Some(k) if k != key => format!("{k}: {}", x.message),
                        _ => x.message,
                    },
                    x.help,
                ),
                None => (e.to_string(), None),
            };
            return Err(ExperimentError::Invalid(vec![d(&key, msg, help)]));
        }
    }
    toml::to_string(&doc).map_err(|e| ExperimentError::Usage(e.to_string()))
}

/// Apply the resource budget (`max_memory` bytes, see [`super::budget`]) to both sides, run
/// them and compare every headline metric.
pub fn compare(
    input: &CompareInput,
    jobs: Option<usize>,
    max_memory: u64,
    progress: &dyn Progress,
) -> Result<Comparison, ExperimentError> {
    let cand_side = match (&input.candidate, input.sets.is_empty()) {
        (Some(c), true) => c.clone(),
        (Some(c), false) => Side {
            label: format!("{} with {}", c.label, input.sets.join(" ")),
            source: c.source.clone(),
            text: apply_sets(c, &input.sets)?,
        },
        (None, false) => Side {
            label: format!("{} with {}", input.base.label, input.sets.join(" ")),
            source: input.base.source.clone(),
            text: apply_sets(&input.base, &input.sets)?,
        },
        (None, true) => {
            return Err(ExperimentError::Usage(
                "compare needs a CANDIDATE scenario or at least one --set KEY=VALUE".into(),
            ));
        }
    };
    let plan_of = |side: &Side, seed: Option<u64>, reps: Option<u32>| {
        Plan::new(PlanInput {
            source: side.source.clone(),
            text: side.text.clone(),
            cli_axes: Vec::new(),
            seed,
            replications: reps,
            use_grid: false,
        })
        .map_err(ExperimentError::Invalid)
    };
    let base0 = plan_of(&input.base, input.seed, input.replications)?;
    let reps = input.replications.unwrap_or(base0.replications.max(2));
    if reps < 2 {
        return Err(ExperimentError::Usage(
            "compare needs at least 2 replications per side (--replications)".into(),
        ));
    }
    let seed = base0.seed;
    let cseed = input.candidate_seed.unwrap_or(seed);
    let base = plan_of(&input.base, Some(seed), Some(reps))?;
    let cand = plan_of(&cand_side, Some(cseed), Some(reps))?;
    for plan in [&base, &cand] {
        super::budget::check_plan(plan, jobs, super::budget::Kept::Row, max_memory)?;
    }
    progress.start(2 * u64::from(reps));
    let rb = run_in_memory(&base, jobs, &super::progress::Quiet)?;
    for _ in 0..reps {
        progress.inc();
    }
    let rc = run_in_memory(&cand, jobs, &super::progress::Quiet)?;
    progress.finish();
    let mut out = Vec::new();
    for (i, name) in base.metrics.iter().enumerate() {
        let Some(j) = cand.metrics.iter().position(|m| m == name) else {
            continue;
        };
        let va: Vec<f64> = rb.iter().map(|r| r.values[i]).collect();
        let vb: Vec<f64> = rc.iter().map(|r| r.values[j]).collect();
        let (a, b) = (aggregate(&va), aggregate(&vb));
        // Common random numbers pair replication r of both sides: a paired test.
        let test = if seed == cseed && va.len() == vb.len() {
            paired(&va, &vb)
        } else {
            welch(&a, &b)
        };
        out.push(MetricComparison {
            metric: name.clone(),
            base: a,
            candidate: b,
            test,
            p_adjusted: f64::NAN,
            significant: false,
            verdict: String::new(),
        });
    }
    let adj = holm(&out.iter().map(|m| m.test.p).collect::<Vec<_>>());
    for (m, p) in out.iter_mut().zip(adj) {
        m.p_adjusted = p;
        // A change that rounds to 0.0 % of the base is never called significant.
        let negligible =
            m.base.mean.abs() > 0.0 && (m.test.diff / m.base.mean * 100.0).abs() < 0.05;
        m.significant = p < ALPHA && !negligible;
        m.verdict = verdict(&m.metric, &m.base, &m.test, m.significant);
        if m.base.n == 0 || m.candidate.n == 0 {
            // A statistic of an empty sample (no finished workflow): nothing to compare.
            m.significant = false;
            m.verdict = format!(
                "no data ({} base and {} candidate runs have a value)",
                m.base.n, m.candidate.n
            );
        }
    }
    let warnings = [&base, &cand]
        .iter()
        .flat_map(|p| p.points[0].scenario.warnings.iter().map(|d| d.to_string()))
        .collect();
    Ok(Comparison {
        warnings,
        base_label: input.base.label.clone(),
        candidate_label: cand_side.label,
        base_name: base.name.clone(),
        candidate_name: cand.name.clone(),
        seed,
        candidate_seed: cseed,
        replications: reps,
        metrics: out,
        breakdown: breakdown(&rb, &rc),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_words() {
        let base = aggregate(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let cand = aggregate(&[69.0, 70.0, 68.0, 71.0, 67.0]);
        let t = welch(&base, &cand);
        let v = verdict("end_time_s", &base, &t, true);
        assert!(v.starts_with("faster by 31% (CI "), "{v}");
        assert_eq!(
            verdict("end_time_s", &base, &t, false),
            "no significant change"
        );
        let v = verdict("cost_total_usd", &cand, &welch(&cand, &base), true);
        assert!(v.starts_with("more expensive by 45%"), "{v}");
        let v = verdict("throttle_wait_total_s", &base, &t, true);
        assert!(v.starts_with("shorter by 31%"), "{v}");
        let c = aggregate(&[3.0, 3.0]);
        assert_eq!(
            verdict("pods_created", &c, &welch(&c, &c), false),
            "no change"
        );
    }

    #[test]
    fn sets_errors_name_the_key() {
        let side = Side {
            label: "d".into(),
            source: "d.toml".into(),
            text: crate::scenario::DEFAULT_SCENARIO.into(),
        };
        let e = apply_sets(&side, &["controller.qsp=100".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--set controller.qsp") && e.contains("did you mean `qps`"),
            "{e}"
        );
        let t = apply_sets(&side, &["controller.qps=100".into()]).unwrap();
        assert!(crate::scenario::parse("x", &t).unwrap().file.controller.qps == 100.0);
    }
}
