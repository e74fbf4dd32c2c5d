//! Tables for people: Markdown (GitHub-flavoured) and aligned plain text, and the documents
//! built from them: a grid's `summary.md`, `compare` and `check` results, and sensitivity
//! rankings. Pure: results in, text out. Left out: HTML, colours, and terminal-width wrapping.

use crate::experiment::check::CheckReport;
use crate::experiment::compare::{ALPHA, Comparison};
use crate::experiment::grid::Plan;
use crate::experiment::present::{format_value, human_secs, label};
use crate::experiment::results::{COST_METRIC, GridResults, RUNTIME_METRIC, files, metric_index};
use crate::experiment::sensitivity::Sensitivity;
use crate::experiment::stats::Agg;
use std::fmt::Write;

/// Output style of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// GitHub-flavoured Markdown.
    Markdown,
    /// Columns aligned with spaces.
    Text,
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Render a table. `right[i]` right-aligns column i (numbers).
pub fn table(style: Style, header: &[String], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut out = String::new();
    match style {
        Style::Markdown => {
            let h: Vec<String> = header.iter().map(|c| md_cell(c)).collect();
            let _ = writeln!(out, "| {} |", h.join(" | "));
            let sep: Vec<&str> = (0..header.len())
                .map(|i| {
                    if right.get(i) == Some(&true) {
                        "---:"
                    } else {
                        "---"
                    }
                })
                .collect();
            let _ = writeln!(out, "|{}|", sep.join("|"));
            for r in rows {
                let c: Vec<String> = r.iter().map(|c| md_cell(c)).collect();
                let _ = writeln!(out, "| {} |", c.join(" | "));
            }
        }
        Style::Text => {
            let width = |i: usize| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain(std::iter::once(header[i].chars().count()))
                    .max()
                    .unwrap_or(0)
            };
            let widths: Vec<usize> = (0..header.len()).map(width).collect();
            let line = |cells: &[String]| {
                let parts: Vec<String> = cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let w = widths[i];
                        if right.get(i) == Some(&true) {
                            format!("{c:>w$}")
                        } else {
                            format!("{c:<w$}")
                        }
                    })
                    .collect();
                parts.join("  ").trim_end().to_string()
            };
            let _ = writeln!(out, "{}", line(header));
            for r in rows {
                let _ = writeln!(out, "{}", line(r));
            }
        }
    }
    out
}

fn s(x: &str) -> String {
    x.to_string()
}

/// `mean (lo–hi)` of a metric for people.
pub fn mean_ci(metric: &str, a: &Agg) -> String {
    if a.ci_lo.is_nan() {
        format_value(metric, a.mean)
    } else {
        format!(
            "{} ({} – {})",
            format_value(metric, a.mean),
            format_value(metric, a.ci_lo),
            format_value(metric, a.ci_hi)
        )
    }
}

/// A p-value for people.
pub fn p_text(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// Causes shown in `compare`'s critical-path table.
pub const BREAKDOWN_SHOWN: usize = 8;

/// The comparison as a table with a heading line.
pub fn compare(c: &Comparison, style: Style) -> String {
    compare_rows(c, style, BREAKDOWN_SHOWN)
}

/// [`compare`] showing `breakdown_rows` critical-path causes (`-o wide`: all).
pub fn compare_rows(c: &Comparison, style: Style, breakdown_rows: usize) -> String {
    let mut out = String::new();
    let crn = if c.common_random_numbers() {
        format!(
            "common random numbers: both sides use the replication seeds of master seed {}",
            c.seed
        )
    } else {
        format!(
            "seeds: base {}, candidate {} (no common random numbers)",
            c.seed, c.candidate_seed
        )
    };
    match style {
        Style::Markdown => {
            let _ = writeln!(out, "## argosim compare\n");
            let _ = writeln!(out, "- base: `{}` ({})", c.base_label, c.base_name);
            let _ = writeln!(
                out,
                "- candidate: `{}` ({})",
                c.candidate_label, c.candidate_name
            );
            let _ = writeln!(out, "- {} replications each; {crn}\n", c.replications);
        }
        Style::Text => {
            let _ = writeln!(out, "base:      {} ({})", c.base_label, c.base_name);
            let _ = writeln!(
                out,
                "candidate: {} ({})",
                c.candidate_label, c.candidate_name
            );
            let _ = writeln!(out, "{} replications each; {crn}\n", c.replications);
        }
    }
    let header: Vec<String> = [
        "metric",
        "base mean (95% CI)",
        "candidate mean (95% CI)",
        "delta",
        if c.common_random_numbers() {
            "p (paired)"
        } else {
            "p (Welch)"
        },
        "p (Holm)",
        "verdict",
    ]
    .map(s)
    .to_vec();
    let rows: Vec<Vec<String>> = c
        .metrics
        .iter()
        .map(|m| {
            let sign = if m.test.diff > 0.0 {
                "+"
            } else if m.test.diff < 0.0 {
                "-"
            } else {
                ""
            };
            vec![
                m.metric.clone(),
                mean_ci(&m.metric, &m.base),
                mean_ci(&m.metric, &m.candidate),
                format!("{sign}{}", format_value(&m.metric, m.test.diff.abs())),
                p_text(m.test.p),
                p_text(m.p_adjusted),
                m.verdict.clone(),
            ]
        })
        .collect();
    out.push_str(&table(
        style,
        &header,
        &rows,
        &[false, true, true, true, true, true, false],
    ));
    if !c.breakdown.is_empty() {
        let _ = writeln!(
            out,
            "\n{}Critical path, mean per finished workflow (largest change first):\n",
            if style == Style::Markdown { "### " } else { "" }
        );
        let header: Vec<String> = ["cause", "base", "candidate", "change"].map(s).to_vec();
        let rows: Vec<Vec<String>> = c
            .breakdown
            .iter()
            .take(breakdown_rows)
            .map(|m| {
                let d = m.candidate_s - m.base_s;
                let sign = if d > 0.0 {
                    "+"
                } else if d < 0.0 {
                    "-"
                } else {
                    ""
                };
                vec![
                    m.cause.clone(),
                    human_secs(m.base_s),
                    human_secs(m.candidate_s),
                    format!("{sign}{}", human_secs(d.abs())),
                ]
            })
            .collect();
        out.push_str(&table(style, &header, &rows, &[false, true, true, true]));
    }
    let sig: Vec<String> = c
        .significant()
        .map(|m| format!("{}: {}", label(&m.metric), m.verdict))
        .collect();
    let _ = writeln!(out);
    if sig.is_empty() {
        let _ = writeln!(
            out,
            "Verdict: no significant change in any of the {} metrics.",
            c.metrics.len()
        );
    } else {
        let _ = writeln!(
            out,
            "Verdict: {} of {} metrics changed significantly.",
            sig.len(),
            c.metrics.len()
        );
        for x in sig {
            let _ = writeln!(
                out,
                "{}{x}",
                if style == Style::Markdown { "- " } else { "  " }
            );
        }
    }
    let _ = writeln!(
        out,
        "\nA change is significant when its Holm-adjusted p-value (over the {} metrics) is below {ALPHA}; \
         CIs are 95% Student-t intervals.",
        c.metrics.len()
    );
    out
}

/// The check results as a table with a verdict line.
pub fn check(r: &CheckReport, style: Style) -> String {
    let mut out = String::new();
    if style == Style::Markdown {
        let _ = writeln!(out, "## argosim check: `{}`\n", r.scenario);
    }
    let _ = writeln!(
        out,
        "{}: {} replications, master seed {}\n",
        r.source, r.replications, r.seed
    );
    let header: Vec<String> = [
        "check",
        "metric",
        "statistic",
        "observed",
        "required",
        "result",
    ]
    .map(s)
    .to_vec();
    let rows: Vec<Vec<String>> = r
        .outcomes
        .iter()
        .map(|o| {
            vec![
                o.spec.name.clone(),
                o.spec.metric.clone(),
                o.spec.statistic.name().to_string(),
                o.observed_text(),
                o.condition_text(),
                match (&o.reason, o.pass) {
                    (_, true) => "pass".into(),
                    (Some(why), false) => format!("FAIL ({why})"),
                    (None, false) => "FAIL".into(),
                },
            ]
        })
        .collect();
    out.push_str(&table(
        style,
        &header,
        &rows,
        &[false, false, false, true, false, false],
    ));
    let _ = writeln!(
        out,
        "\n{} of {} checks hold{}",
        r.outcomes.len() - r.failures(),
        r.outcomes.len(),
        if r.passed() {
            "."
        } else {
            "; the scenario breaches its thresholds."
        }
    );
    out
}

/// Sensitivity ranking: one block per metric that varies.
pub fn sensitivity(plan: &Plan, sens: &[Sensitivity], style: Style) -> String {
    let mut out = String::new();
    if sens.is_empty() {
        let _ = writeln!(
            out,
            "No sensitivity analysis: it needs at least one axis with two values and more runs than axes."
        );
        return out;
    }
    let header: Vec<String> = ["metric", "R²", "rank", "axis", "SRC", "note"]
        .map(s)
        .to_vec();
    let mut rows = Vec::new();
    for x in sens {
        let m = &plan.metrics[x.metric];
        if let Some(n) = &x.note {
            rows.push(vec![
                m.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                n.clone(),
            ]);
            continue;
        }
        for (rank, c) in x.coefs.iter().enumerate() {
            rows.push(vec![
                if rank == 0 { m.clone() } else { String::new() },
                if rank == 0 {
                    x.r2.map_or("-".into(), |r| format!("{r:.2}"))
                } else {
                    String::new()
                },
                c.src.map_or("-".into(), |_| (rank + 1).to_string()),
                plan.grid.axes[c.axis].name.clone(),
                c.src.map_or("-".into(), |v| format!("{v:+.2}")),
                c.note.clone().unwrap_or_default(),
            ]);
        }
    }
    out.push_str(&table(
        style,
        &header,
        &rows,
        &[false, true, true, false, true, false],
    ));
    let _ = writeln!(
        out,
        "\nSRC: standardized regression coefficient (OLS of the z-scored metric on the z-scored axis values over {} runs): \
         the change in the metric, in standard deviations, per standard deviation of the axis. \
         R² near 1 means the axes explain the metric almost linearly; low R² means noise or non-linear effects dominate.",
        sens[0].n
    );
    out
}

/// Headline metrics shown in the summary's point table.
const SUMMARY_METRICS: [&str; 5] = [
    "end_time_s",
    "makespan_p95_s",
    "cost_total_usd",
    "success_rate",
    "throttle_wait_total_s",
];

/// Largest number of points listed in full in summary.md.
const MAX_POINT_ROWS: usize = 40;

/// `summary.md` of a finished grid. `plots` lists (file stem, title).
pub fn grid_summary(r: &GridResults, plots: &[(String, String)]) -> String {
    let plan = r.plan;
    let mut out = String::new();
    let _ = writeln!(out, "# Grid results: `{}`\n", plan.name);
    let _ = writeln!(
        out,
        "{} point(s) × {} replication(s) = {} runs; master seed {}, seeds {} (see manifest.json); \
         scenario fingerprint fnv1a64 `{:016x}`; argosim {}.\n",
        plan.points.len(),
        plan.replications,
        r.rows.len(),
        plan.seed,
        plan.grid.seeds.name(),
        plan.hash,
        env!("CARGO_PKG_VERSION")
    );
    if !plan.grid.axes.is_empty() {
        let _ = writeln!(out, "## Axes\n");
        let header: Vec<String> = ["axis", "values", "unit", "varies with"].map(s).to_vec();
        let rows: Vec<Vec<String>> = plan
            .grid
            .axes
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let with: Vec<String> = plan
                    .grid
                    .factors
                    .iter()
                    .find(|f| f.contains(&i))
                    .map(|f| {
                        f.iter()
                            .filter(|&&j| j != i)
                            .map(|&j| format!("`{}`", plan.grid.axes[j].name))
                            .collect()
                    })
                    .unwrap_or_default();
                vec![
                    format!("`{}`", a.name),
                    a.texts.join(", "),
                    a.unit.name().to_string(),
                    if with.is_empty() {
                        "-".into()
                    } else {
                        format!("zipped with {}", with.join(", "))
                    },
                ]
            })
            .collect();
        out.push_str(&table(Style::Markdown, &header, &rows, &[]));
        let _ = writeln!(out);
    }

    let shown: Vec<(usize, &str)> = SUMMARY_METRICS
        .iter()
        .filter_map(|m| metric_index(plan, m).map(|i| (i, *m)))
        .collect();
    let point_rows = |ids: &[usize]| -> Vec<Vec<String>> {
        ids.iter()
            .map(|&p| {
                let ps = &r.points[p];
                let mut row = vec![p.to_string()];
                row.extend(
                    plan.grid
                        .axes
                        .iter()
                        .zip(&plan.points[p].values)
                        .map(|(a, &i)| a.texts[i].clone()),
                );
                for &(i, m) in &shown {
                    row.push(mean_ci(m, &ps.aggs[i]));
                }
                let mut tags = Vec::new();
                if r.best == Some(p) {
                    tags.push("best");
                }
                if r.pareto.contains(&p) {
                    tags.push("Pareto");
                }
                if crate::experiment::results::has_unfinished(plan, ps) {
                    tags.push("unfinished at horizon: not ranked");
                }
                row.push(tags.join(", "));
                row
            })
            .collect()
    };
    let mut header = vec![s("point")];
    header.extend(plan.grid.axes.iter().map(|a| a.name.clone()));
    header.extend(shown.iter().map(|(_, m)| label(m)));
    header.push(s("note"));
    let mut right = vec![true];
    right.extend(plan.grid.axes.iter().map(|_| true));
    right.extend(shown.iter().map(|_| true));
    right.push(false);

    let _ = writeln!(out, "## Results by point\n");
    let _ = writeln!(
        out,
        "Means over replications with 95% confidence intervals (Student t).\n"
    );
    let ids: Vec<usize> = if r.points.len() <= MAX_POINT_ROWS {
        (0..r.points.len()).collect()
    } else {
        let rt = metric_index(plan, RUNTIME_METRIC).unwrap_or(0);
        let mut ids: Vec<usize> = (0..r.points.len()).collect();
        ids.sort_by(|&a, &b| {
            r.points[a].aggs[rt]
                .mean
                .total_cmp(&r.points[b].aggs[rt].mean)
                .then(a.cmp(&b))
        });
        ids.truncate(MAX_POINT_ROWS);
        let _ = writeln!(
            out,
            "The {MAX_POINT_ROWS} points with the shortest {} of {}; every point is in points.csv.\n",
            label(RUNTIME_METRIC),
            r.points.len()
        );
        ids
    };
    out.push_str(&table(Style::Markdown, &header, &point_rows(&ids), &right));
    let _ = writeln!(out);

    if let (Some(best), Some(rt), Some(c)) = (
        r.best,
        metric_index(plan, RUNTIME_METRIC),
        metric_index(plan, COST_METRIC),
    ) {
        let _ = writeln!(out, "## Runtime and cost\n");
        let b = &r.points[best];
        let desc = plan.grid.describe(&plan.points[best].values);
        let _ = writeln!(
            out,
            "Shortest mean {}: point {best}{}: {} at {}.\n",
            label(RUNTIME_METRIC),
            if desc.is_empty() {
                String::new()
            } else {
                format!(" ({desc})")
            },
            mean_ci(RUNTIME_METRIC, &b.aggs[rt]),
            mean_ci(COST_METRIC, &b.aggs[c]),
        );
        if plan.points.len() > 1 {
            let _ = writeln!(
                out,
                "Pareto front ({} against {}, means; no other point is at least as good on both and better on one):\n",
                label(RUNTIME_METRIC),
                label(COST_METRIC)
            );
            out.push_str(&table(
                Style::Markdown,
                &header,
                &point_rows(&r.pareto),
                &right,
            ));
            let _ = writeln!(out);
        }
    }

    if !plan.grid.axes.is_empty() {
        let _ = writeln!(out, "## Sensitivity\n");
        out.push_str(&sensitivity(plan, &r.sensitivity, Style::Markdown));
        let _ = writeln!(out);
    }

    if !plots.is_empty() {
        let _ = writeln!(out, "## Plots\n");
        for (stem, title) in plots {
            let _ = writeln!(
                out,
                "- {title}: [PNG]({p}/{stem}.png), [SVG]({p}/{stem}.svg)",
                p = files::PLOTS
            );
        }
        if let Some(c) = &r.chosen {
            let _ = writeln!(
                out,
                "\nTime series are from point {}, replication {} (seed {}), re-simulated from its seed.",
                c.point, c.replication, c.seed
            );
        }
        let _ = writeln!(
            out,
            "Not drawn: per-node CPU and a pods-per-node Gantt chart (the run report has the cluster-wide \
             requested-CPU ratio only, and no per-pod placement)."
        );
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Files\n");
    let _ = writeln!(
        out,
        "- `{}`: one row per run (point, replication, seed, axis values, {} metrics)",
        files::RUNS,
        plan.metrics.len()
    );
    let _ = writeln!(
        out,
        "- `{}`: per point, mean, sd, 95% CI, p50 and p95 of every metric",
        files::POINTS
    );
    let _ = writeln!(
        out,
        "- `{}`: standardized regression coefficients",
        files::SENSITIVITY
    );
    let _ = writeln!(
        out,
        "- `{}`: the scenario the grid was expanded from",
        files::SCENARIO
    );
    let _ = writeln!(
        out,
        "- `{}`: version, fingerprints, seeds, command line",
        files::MANIFEST
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Metrics (units from the name: `_s` seconds, `_usd` US dollars, `_bytes` bytes, `_rate` a fraction):"
    );
    let _ = writeln!(
        out,
        "{}",
        plan.metrics
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out
}
