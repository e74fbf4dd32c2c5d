//! Machine-readable output of every command that prints a result (`-o json` / `-o yaml`):
//! the run report as it is (docs/report-json.md), and JSON views of a comparison, a check
//! report and a sensitivity analysis. YAML is the same document: every value goes through
//! `serde_json::Value` first, so a statistic with no data is `null` in both, and keys keep
//! their order.

use crate::experiment::check::CheckReport;
use crate::experiment::compare::Comparison;
use crate::experiment::grid::Plan;
use crate::experiment::sensitivity::Sensitivity;
use crate::experiment::stats::{Agg, Welch};
use serde_json::{Value, json};

/// A structured output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structured {
    /// Pretty JSON.
    Json,
    /// YAML.
    Yaml,
}

/// `value` as text in format `f` (ends with a newline).
pub fn render(value: &impl serde::Serialize, f: Structured) -> String {
    let v = serde_json::to_value(value).expect("serialises to JSON");
    let mut s = match f {
        Structured::Json => serde_json::to_string_pretty(&v).expect("JSON value prints"),
        Structured::Yaml => serde_norway::to_string(&v).expect("JSON value prints as YAML"),
    };
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn agg(a: &Agg) -> Value {
    json!({
        "n": a.n, "mean": a.mean, "sd": a.sd, "ci_lo": a.ci_lo, "ci_hi": a.ci_hi,
        "p50": a.p50, "p95": a.p95, "min": a.min, "max": a.max,
    })
}

fn test(t: &Welch) -> Value {
    json!({ "diff": t.diff, "se": t.se, "df": t.df, "p": t.p, "ci_lo": t.ci_lo, "ci_hi": t.ci_hi })
}

/// A comparison: both sides' settings, one entry per metric, the critical-path breakdown.
pub fn comparison(c: &Comparison) -> Value {
    json!({
        "base": { "label": c.base_label, "scenario": c.base_name, "seed": c.seed },
        "candidate": {
            "label": c.candidate_label, "scenario": c.candidate_name, "seed": c.candidate_seed,
        },
        "replications": c.replications,
        "common_random_numbers": c.common_random_numbers(),
        "test": if c.common_random_numbers() { "paired t" } else { "Welch t" },
        "metrics": c.metrics.iter().map(|m| json!({
            "metric": m.metric,
            "base": agg(&m.base),
            "candidate": agg(&m.candidate),
            "difference": test(&m.test),
            "p_holm": m.p_adjusted,
            "significant": m.significant,
            "verdict": m.verdict,
        })).collect::<Vec<_>>(),
        "critical_path": c.breakdown.iter().map(|b| json!({
            "cause": b.cause, "base_s": b.base_s, "candidate_s": b.candidate_s,
        })).collect::<Vec<_>>(),
        "warnings": c.warnings,
    })
}

/// A check report: every check with its condition, observed value and outcome.
pub fn check(r: &CheckReport) -> Value {
    json!({
        "scenario": r.scenario,
        "source": r.source,
        "seed": r.seed,
        "replications": r.replications,
        "passed": r.passed(),
        "checks": r.outcomes.iter().map(|o| json!({
            "name": o.spec.name,
            "metric": o.spec.metric,
            "statistic": o.spec.statistic.name(),
            "condition": o.condition_text(),
            "observed": o.observed,
            "observed_text": o.observed_text(),
            "pass": o.pass,
            "reason": o.reason,
        })).collect::<Vec<_>>(),
        "warnings": r.warnings,
    })
}

/// A sensitivity analysis: per metric, R² and the axes' standardized coefficients by rank.
pub fn sensitivity(plan: &Plan, sens: &[Sensitivity]) -> Value {
    json!({
        "metrics": sens.iter().map(|x| json!({
            "metric": plan.metrics[x.metric],
            "runs": x.n,
            "r2": x.r2,
            "note": x.note,
            "coefficients": x.coefs.iter().map(|c| json!({
                "axis": plan.grid.axes[c.axis].name,
                "src": c.src,
                "note": c.note,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
