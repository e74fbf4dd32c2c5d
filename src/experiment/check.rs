//! `argosim check SCENARIO`: the scenario's `[[check]]` thresholds, evaluated over its
//! replications. Exit 0 when all hold, 1 on any breach, 2 on bad input.
//!
//! ```toml
//! [[check]]
//! name = "nightly run fits its window"     # optional
//! metric = "end_time_s"                    # a headline metric (see `argosim check --help`)
//! statistic = "p95"                        # mean (default), p50, p95, max, min, probability
//! operator = "<"                           # <, <=, >, >=, ==, !=
//! threshold = "2h"                         # in the metric's units: "2h", "1Mi", "99%", "$5", 3
//!
//! [[check]]
//! metric = "success_rate"
//! statistic = "probability"                # share of runs with success_rate >= 99% ...
//! operator = ">="
//! threshold = "99%"
//! probability = "90%"                      # ... must be at least 90%
//! allow_unfinished = true                  # judge runs that hit the horizon too
//! ```
//!
//! Statistics are over the per-run values of the metric (p50/p95 nearest rank). Results that
//! mean nothing never pass: a statistic over runs of which one has no data (a makespan with
//! no finished workflow) is "no data" and a breach; so is any check, unless it says
//! `allow_unfinished = true`, when a run hit the horizon with unfinished workflows (its run
//! length and cost are cut by the horizon, not measured). For `probability` a run without data
//! does not meet the threshold. Every problem
//! in a `[[check]]` table is a diagnostic naming `check[i].key` and its line. Also here: the
//! JUnit XML rendering for CI systems. Left out: checks on metrics outside the headline list,
//! and confidence-aware checks ("the CI upper bound is below 2h").

use super::error::ExperimentError;
use super::grid::{Plan, PlanInput, metric_names};
use super::present;
use super::progress::Progress;
use super::runner::run_in_memory;
use super::stats::aggregate;
use crate::scenario::diag::{Diagnostic, did_you_mean, locate_key};

/// The statistic a check takes over replications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Mean.
    Mean,
    /// Median (nearest rank).
    P50,
    /// 95th percentile (nearest rank).
    P95,
    /// Largest run.
    Max,
    /// Smallest run.
    Min,
    /// Share of runs meeting the bound.
    Probability,
}

impl Statistic {
    /// All statistics with their names.
    pub const ALL: [(&'static str, Statistic); 6] = [
        ("mean", Statistic::Mean),
        ("p50", Statistic::P50),
        ("p95", Statistic::P95),
        ("max", Statistic::Max),
        ("min", Statistic::Min),
        ("probability", Statistic::Probability),
    ];
    /// Name as written in `[[check]]`.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("?", |(n, _)| n)
    }
}

/// Comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// All operators with their symbols.
    pub const ALL: [(&'static str, Op); 6] = [
        ("<", Op::Lt),
        ("<=", Op::Le),
        (">", Op::Gt),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("!=", Op::Ne),
    ];
    /// Symbol.
    pub fn symbol(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("?", |(n, _)| n)
    }
    /// `x op y` (false when either is NaN, except `!=`).
    pub fn holds(self, x: f64, y: f64) -> bool {
        match self {
            Op::Lt => x < y,
            Op::Le => x <= y,
            Op::Gt => x > y,
            Op::Ge => x >= y,
            Op::Eq => x == y,
            Op::Ne => x != y,
        }
    }
}

/// One validated `[[check]]`.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Position in the file (0-based).
    pub index: usize,
    /// Given name, or one built from the fields.
    pub name: String,
    /// Metric name.
    pub metric: String,
    /// Statistic.
    pub statistic: Statistic,
    /// Operator.
    pub op: Op,
    /// Threshold in the metric's base unit.
    pub threshold: f64,
    /// Threshold as written.
    pub threshold_text: String,
    /// Required share of runs for `probability`.
    pub probability: Option<f64>,
    /// Line of the `[[check]]` header.
    pub line: Option<usize>,
    /// `allow_unfinished = true`: runs that hit the horizon with unfinished workflows do not
    /// breach this check by themselves.
    pub allow_unfinished: bool,
}

/// Keys a `[[check]]` table accepts.
pub const KEYS: [&str; 7] = [
    "name",
    "metric",
    "statistic",
    "operator",
    "threshold",
    "probability",
    "allow_unfinished",
];

fn text_of(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Validate `[[check]]` tables. All problems are returned, each naming `check[i].key`.
pub fn parse_checks(
    file: &str,
    text: &str,
    tables: &[toml::Table],
) -> Result<Vec<CheckSpec>, Vec<Diagnostic>> {
    let metrics = metric_names();
    let mut diags = Vec::new();
    let mut out = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let at = |key: &str| format!("check[{i}].{key}");
        let mut d = |key: &str, message: String, help: Option<String>| {
            let k = if key.is_empty() {
                format!("check[{i}]")
            } else {
                at(key)
            };
            diags.push(Diagnostic {
                file: file.to_string(),
                line: locate_key(text, &k),
                column: None,
                key: Some(k),
                message,
                help,
            });
        };
        for k in t.keys() {
            if !KEYS.contains(&k.as_str()) {
                d(
                    k,
                    format!("unknown key `{k}`"),
                    did_you_mean(k, KEYS)
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| Some(format!("expected one of: {}", KEYS.join(", ")))),
                );
            }
        }
        let string =
            |key: &str, d: &mut dyn FnMut(&str, String, Option<String>)| -> Option<String> {
                match t.get(key) {
                    None => None,
                    Some(toml::Value::String(s)) => Some(s.clone()),
                    Some(other) => {
                        d(key, format!("expected a string, got `{other}`"), None);
                        None
                    }
                }
            };
        let metric = match string("metric", &mut d) {
            Some(m) if metrics.contains(&m) => Some(m),
            Some(m) => {
                d(
                    "metric",
                    format!("unknown metric `{m}`"),
                    did_you_mean(&m, metrics.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| Some(format!("metrics: {}", metrics.join(", ")))),
                );
                None
            }
            None => {
                if !t.contains_key("metric") {
                    d(
                        "",
                        "missing key `metric`".into(),
                        Some(format!("metrics: {}", metrics.join(", "))),
                    );
                }
                None
            }
        };
        let statistic = match string("statistic", &mut d) {
            None if !t.contains_key("statistic") => Some(Statistic::Mean),
            None => None,
            Some(s) => match Statistic::ALL.iter().find(|(n, _)| *n == s) {
                Some((_, st)) => Some(*st),
                None => {
                    let names: Vec<&str> = Statistic::ALL.iter().map(|(n, _)| *n).collect();
                    d(
                        "statistic",
                        format!("unknown statistic `{s}`"),
                        did_you_mean(&s, names.iter().copied())
                            .map(|x| format!("did you mean `{x}`?"))
                            .or_else(|| Some(format!("expected one of: {}", names.join(", ")))),
                    );
                    None
                }
            },
        };
        let op = match string("operator", &mut d) {
            None => {
                if !t.contains_key("operator") {
                    d(
                        "",
                        "missing key `operator`".into(),
                        Some("e.g. operator = \"<\"".into()),
                    );
                }
                None
            }
            Some(s) => match Op::ALL.iter().find(|(n, _)| *n == s.trim()) {
                Some((_, o)) => Some(*o),
                None => {
                    d(
                        "operator",
                        format!("unknown operator `{s}`"),
                        Some("expected one of: <, <=, >, >=, ==, !=".into()),
                    );
                    None
                }
            },
        };
        let threshold = match (t.get("threshold"), &metric) {
            (None, _) => {
                d(
                    "",
                    "missing key `threshold`".into(),
                    Some("e.g. threshold = \"2h\"".into()),
                );
                None
            }
            (Some(v), Some(m)) => match present::parse_threshold(m, v) {
                Ok(x) => Some((x, text_of(v))),
                Err(e) => {
                    d("threshold", e, None);
                    None
                }
            },
            (Some(_), None) => None,
        };
        let probability = match (t.get("probability"), statistic) {
            (None, Some(Statistic::Probability)) => {
                d(
                    "",
                    "statistic = \"probability\" needs `probability`, the share of runs that must meet the threshold".into(),
                    Some("e.g. probability = \"95%\"".into()),
                );
                None
            }
            (Some(_), Some(s)) if s != Statistic::Probability => {
                d(
                    "probability",
                    format!(
                        "`probability` only applies to statistic = \"probability\", not \"{}\"",
                        s.name()
                    ),
                    None,
                );
                None
            }
            (Some(v), _) => match present::parse_threshold("share_ratio", v) {
                Ok(p) if (0.0..=1.0).contains(&p) => Some(p),
                Ok(p) => {
                    d(
                        "probability",
                        format!("must be between 0% and 100%, got {}", p * 100.0),
                        None,
                    );
                    None
                }
                Err(e) => {
                    d(
                        "probability",
                        e.replace("`share_ratio`", "`probability`"),
                        None,
                    );
                    None
                }
            },
            (None, _) => None,
        };
        let allow_unfinished = match t.get("allow_unfinished") {
            None => false,
            Some(toml::Value::Boolean(b)) => *b,
            Some(other) => {
                d(
                    "allow_unfinished",
                    format!("expected true or false, got `{other}`"),
                    None,
                );
                false
            }
        };
        let name = string("name", &mut d);
        if let (Some(metric), Some(statistic), Some(op), Some((threshold, threshold_text))) =
            (metric, statistic, op, threshold)
        {
            let name = name.unwrap_or_else(|| match statistic {
                Statistic::Probability => format!(
                    "P({metric} {} {threshold_text}) >= {}",
                    op.symbol(),
                    probability.map_or("?".into(), |p| format!("{}%", p * 100.0))
                ),
                s => format!("{} {metric} {} {threshold_text}", s.name(), op.symbol()),
            });
            out.push(CheckSpec {
                index: i,
                name,
                metric,
                statistic,
                op,
                threshold,
                threshold_text,
                probability,
                line: locate_key(text, &format!("check[{i}]")),
                allow_unfinished,
            });
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// The result of one check.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// The check.
    pub spec: CheckSpec,
    /// Observed statistic (a share for `probability`).
    pub observed: f64,
    /// It holds.
    pub pass: bool,
    /// Why it was breached regardless of the threshold: no data, or runs that hit the horizon
    /// with unfinished workflows.
    pub reason: Option<String>,
}

impl CheckOutcome {
    /// Observed value for people.
    pub fn observed_text(&self) -> String {
        if self.observed.is_nan() {
            return "no data".into();
        }
        match self.spec.statistic {
            Statistic::Probability => format!("{:.1}% of runs", self.observed * 100.0),
            _ => present::format_value(&self.spec.metric, self.observed),
        }
    }
    /// The condition for people.
    pub fn condition_text(&self) -> String {
        match self.spec.statistic {
            Statistic::Probability => format!(
                "{} {} in >= {}% of runs",
                self.spec.op.symbol(),
                self.spec.threshold_text,
                self.spec.probability.unwrap_or(1.0) * 100.0
            ),
            _ => format!("{} {}", self.spec.op.symbol(), self.spec.threshold_text),
        }
    }
}

/// All checks of one scenario.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Scenario name.
    pub scenario: String,
    /// File.
    pub source: String,
    /// Master seed.
    pub seed: u64,
    /// Replications.
    pub replications: u32,
    /// One per check, in file order.
    pub outcomes: Vec<CheckOutcome>,
    /// The scenario's validation warnings, formatted `file:line: key: message`.
    pub warnings: Vec<String>,
}

impl CheckReport {
    /// Every check holds.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.pass)
    }
    /// Breached checks.
    pub fn failures(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.pass).count()
    }
}

/// Evaluate checks over per-run metric values (`values[run][metric]`, metric order of
/// [`metric_names`]). A statistic over runs of which some have no data (NaN: e.g. a makespan
/// with no finished workflow) is no data, and the check is breached for that reason; runs that
/// hit the horizon with unfinished workflows breach every check without `allow_unfinished`.
pub fn evaluate(specs: &[CheckSpec], metrics: &[String], runs: &[Vec<f64>]) -> Vec<CheckOutcome> {
    let unfinished_at = metrics.iter().position(|x| x == "unfinished_workflows");
    let unfinished_runs = unfinished_at.map_or(0, |u| runs.iter().filter(|r| r[u] > 0.0).count());
    specs
        .iter()
        .map(|s| {
            let m = metrics.iter().position(|x| *x == s.metric).unwrap_or(0);
            let v: Vec<f64> = runs.iter().map(|r| r[m]).collect();
            let missing = v.iter().filter(|x| x.is_nan()).count();
            let a = aggregate(&v);
            let observed = match s.statistic {
                _ if v.is_empty() => f64::NAN,
                Statistic::Probability => {
                    v.iter().filter(|&&x| s.op.holds(x, s.threshold)).count() as f64
                        / v.len() as f64
                }
                _ if missing > 0 => f64::NAN,
                Statistic::Mean => a.mean,
                Statistic::P50 => a.p50,
                Statistic::P95 => a.p95,
                Statistic::Max => a.max,
                Statistic::Min => a.min,
            };
            let mut reason = None;
            if v.is_empty() {
                reason = Some("no data: no runs".to_string());
            } else if missing > 0 && s.statistic != Statistic::Probability {
                reason = Some(format!(
                    "no data: {missing} of {} runs have no {} (an empty sample)",
                    v.len(),
                    s.metric
                ));
            } else if unfinished_runs > 0 && !s.allow_unfinished {
                reason = Some(format!(
                    "{unfinished_runs} of {} runs hit the horizon with unfinished workflows \
                     (set allow_unfinished = true to judge them anyway)",
                    v.len()
                ));
            }
            let holds = match s.statistic {
                Statistic::Probability => observed >= s.probability.unwrap_or(1.0),
                _ => !observed.is_nan() && s.op.holds(observed, s.threshold),
            };
            CheckOutcome {
                spec: s.clone(),
                observed,
                pass: holds && reason.is_none(),
                reason,
            }
        })
        .collect()
}

/// Validate the checks of a scenario, apply the resource budget (`max_memory` bytes, see
/// [`super::budget`]), run its replications and evaluate them.
#[allow(clippy::too_many_arguments)]
pub fn run_checks(
    source: &str,
    text: &str,
    seed: Option<u64>,
    replications: Option<u32>,
    jobs: Option<usize>,
    max_memory: u64,
    progress: &dyn Progress,
) -> Result<CheckReport, ExperimentError> {
    let plan = Plan::new(PlanInput {
        source: source.to_string(),
        text: text.to_string(),
        cli_axes: Vec::new(),
        seed,
        replications,
        use_grid: false,
    })?;
    let sc = &plan.points[0].scenario;
    if sc.file.check.is_empty() {
        return Err(ExperimentError::Invalid(vec![Diagnostic {
            file: source.to_string(),
            line: None,
            column: None,
            key: Some("check".into()),
            message: "the scenario has no [[check]] tables".into(),
            help: Some(
                "add e.g. [[check]] metric = \"end_time_s\", statistic = \"p95\", operator = \"<\", threshold = \"2h\""
                    .into(),
            ),
        }]));
    }
    let specs = parse_checks(source, text, &sc.file.check)?;
    super::budget::check_plan(&plan, jobs, super::budget::Kept::Row, max_memory)?;
    let rows = run_in_memory(&plan, jobs, progress)?;
    let runs: Vec<Vec<f64>> = rows.into_iter().map(|r| r.values).collect();
    Ok(CheckReport {
        scenario: plan.name.clone(),
        source: source.to_string(),
        seed: plan.seed,
        replications: plan.replications,
        outcomes: evaluate(&specs, &plan.metrics, &runs),
        warnings: sc.warnings.iter().map(|d| d.to_string()).collect(),
    })
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one test suite for the scenario, one test case per check.
pub fn junit_xml(r: &CheckReport) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let n = r.outcomes.len();
    let f = r.failures();
    s.push_str(&format!(
        "<testsuites name=\"argosim check\" tests=\"{n}\" failures=\"{f}\">\n"
    ));
    s.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{f}\" errors=\"0\" skipped=\"0\">\n",
        xml(&r.scenario)
    ));
    s.push_str(&format!(
        "    <properties>\n      <property name=\"source\" value=\"{}\"/>\n      <property name=\"seed\" value=\"{}\"/>\n      <property name=\"replications\" value=\"{}\"/>\n    </properties>\n",
        xml(&r.source),
        r.seed,
        r.replications
    ));
    for o in &r.outcomes {
        s.push_str(&format!(
            "    <testcase classname=\"argosim.check.{}\" name=\"{}\"",
            xml(&r.scenario),
            xml(&o.spec.name)
        ));
        if o.pass {
            s.push_str("/>\n");
        } else {
            let mut msg = format!(
                "{} of {}: observed {}, required {}",
                o.spec.statistic.name(),
                o.spec.metric,
                o.observed_text(),
                o.condition_text()
            );
            if let Some(why) = &o.reason {
                msg.push_str(&format!(" ({why})"));
            }
            s.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"threshold\">{}</failure>\n    </testcase>\n",
                xml(&msg),
                xml(&msg)
            ));
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(s: &str) -> (String, Vec<toml::Table>) {
        let t: toml::Table = toml::from_str(s).unwrap();
        let v = t["check"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_table().unwrap().clone())
            .collect();
        (s.to_string(), v)
    }

    #[test]
    fn parse_and_evaluate() {
        let (text, t) = tables(
            "[[check]]\nmetric = \"end_time_s\"\nstatistic = \"p95\"\noperator = \"<\"\nthreshold = \"2h\"\n\
             [[check]]\nmetric = \"success_rate\"\nstatistic = \"probability\"\noperator = \">=\"\nthreshold = \"99%\"\nprobability = \"50%\"\n",
        );
        let specs = parse_checks("c.toml", &text, &t).unwrap();
        assert_eq!(specs[0].threshold, 7200.0);
        assert_eq!(specs[1].probability, Some(0.5));
        let metrics = metric_names();
        let e = metrics.iter().position(|m| m == "end_time_s").unwrap();
        let s = metrics.iter().position(|m| m == "success_rate").unwrap();
        let mut runs = vec![vec![0.0; metrics.len()]; 4];
        for (i, r) in runs.iter_mut().enumerate() {
            r[e] = 3600.0 * (i as f64 + 0.5);
            r[s] = if i < 2 { 1.0 } else { 0.9 };
        }
        let o = evaluate(&specs, &metrics, &runs);
        assert!(!o[0].pass); // p95 = 3.5h
        assert!(o[1].pass); // 2 of 4 runs >= 99%
        assert_eq!(o[1].observed, 0.5);
        let r = CheckReport {
            scenario: "s".into(),
            source: "c.toml".into(),
            seed: 1,
            replications: 4,
            outcomes: o,
            warnings: Vec::new(),
        };
        let x = junit_xml(&r);
        assert!(x.contains("failures=\"1\"") && x.contains("&lt; 2h"), "{x}");
    }

    #[test]
    fn errors_name_key_and_line() {
        let (text, t) = tables(
            "[[check]]\nmetric = \"end_time_s\"\noperator = \"<\"\nthreshold = \"2h\"\n\
             [[check]]\nmetric = \"workflow_object_peak_bytes\"\nstatistc = \"max\"\noperator = \"<\"\nthreshold = \"2h\"\n",
        );
        let e = parse_checks("c.toml", &text, &t).unwrap_err();
        let all: Vec<String> = e.iter().map(|d| d.to_string()).collect();
        assert!(
            all[0].starts_with("c.toml:7: check[1].statistc: unknown key"),
            "{all:?}"
        );
        assert!(all[0].contains("did you mean `statistic`"), "{all:?}");
        assert!(
            all[1].starts_with("c.toml:9: check[1].threshold:") && all[1].contains("bytes"),
            "{all:?}"
        );
        let (text, t) =
            tables("[[check]]\nmetric = \"makespan\"\noperator = \"<\"\nthreshold = 1\n");
        let e = parse_checks("c.toml", &text, &t).unwrap_err();
        assert!(
            e[0].to_string().contains("unknown metric `makespan`"),
            "{}",
            e[0]
        );
    }
}
