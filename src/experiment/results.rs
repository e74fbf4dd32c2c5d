//! A grid's results as plain data: one [`Row`] of headline metrics per run, per-point
//! statistics, the runtime/cost Pareto front and best point, the run whose time series are
//! plotted ([`ChosenRun`]), shards, and the file names of a results folder ([`files`]).
//!
//! Everything here is a function of (scenario text, seed, replications, `--axis` list,
//! sorted rows), so a grid run with any `--jobs`, resumed after a kill, or merged from shards
//! computes the same results. Turning them into bytes is `crate::output`'s job; writing,
//! reading back and validating the folder is `crate::results_folder`'s.

use super::grid::Plan;
use super::present;
use super::sensitivity::{self, Sensitivity};
use super::stats::{Agg, aggregate};
use crate::metrics::TimeSeries;

/// Metric on the x axis of the runtime/cost plot and used to pick the best point.
pub const RUNTIME_METRIC: &str = "end_time_s";
/// Metric on the y axis of the runtime/cost plot.
pub const COST_METRIC: &str = "cost_total_usd";

/// File names in a results folder.
pub mod files {
    /// One row per run.
    pub const RUNS: &str = "runs.csv";
    /// One row per point.
    pub const POINTS: &str = "points.csv";
    /// Standardized regression coefficients.
    pub const SENSITIVITY: &str = "sensitivity.csv";
    /// Human summary.
    pub const SUMMARY: &str = "summary.md";
    /// Provenance and integrity.
    pub const MANIFEST: &str = "manifest.json";
    /// The scenario text the grid was expanded from.
    pub const SCENARIO: &str = "scenario.toml";
    /// Plot folder.
    pub const PLOTS: &str = "plots";
}

/// One run's headline metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
    /// Run seed.
    pub seed: u64,
    /// Metric values in [`Plan::metrics`] order.
    pub values: Vec<f64>,
    /// Critical-path causes: (cause, seconds per finished workflow), kept by `compare` and
    /// `check` only (empty in grids and read-back rows).
    pub causes: Vec<(String, f64)>,
}

/// Statistics of every metric at one point.
#[derive(Debug, Clone)]
pub struct PointSummary {
    /// Point index.
    pub point: usize,
    /// Runs.
    pub runs: usize,
    /// One per metric.
    pub aggs: Vec<Agg>,
}

/// The run whose time series are plotted.
#[derive(Debug, Clone)]
pub struct ChosenRun {
    /// Point index.
    pub point: usize,
    /// Replication.
    pub replication: u32,
    /// Seed.
    pub seed: u64,
    /// Its time series.
    pub timeseries: TimeSeries,
}

/// A slice of a grid: runs whose job index `point × replications + replication` is
/// `index − 1` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard `{s}`: expected K/N with 1 <= K <= N, e.g. 2/3");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether job `j` belongs to this shard.
    pub fn owns(&self, job: usize) -> bool {
        job % self.count as usize == (self.index - 1) as usize
    }
}

/// Everything the exporters of a finished grid read.
#[derive(Debug, Clone)]
pub struct GridResults<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// Rows sorted by (point, replication).
    pub rows: Vec<Row>,
    /// Per-point statistics, in point order.
    pub points: Vec<PointSummary>,
    /// Points on the runtime/cost Pareto front, by increasing runtime.
    pub pareto: Vec<usize>,
    /// Point with the lowest mean runtime (ties: lower cost, then lower index).
    pub best: Option<usize>,
    /// Sensitivity of every metric to the axes.
    pub sensitivity: Vec<Sensitivity>,
    /// The run whose time series are plotted (best point, replication 0).
    pub chosen: Option<ChosenRun>,
}

/// Index of metric `name` in the plan.
pub fn metric_index(plan: &Plan, name: &str) -> Option<usize> {
    plan.metrics.iter().position(|m| m == name)
}

/// Per-point statistics of sorted rows.
pub fn summarise_points(plan: &Plan, rows: &[Row]) -> Vec<PointSummary> {
    let mut out = Vec::with_capacity(plan.points.len());
    let mut i = 0;
    for p in 0..plan.points.len() {
        let start = i;
        while i < rows.len() && rows[i].point == p {
            i += 1;
        }
        let slice = &rows[start..i];
        let aggs = (0..plan.metrics.len())
            .map(|m| aggregate(&slice.iter().map(|r| r.values[m]).collect::<Vec<_>>()))
            .collect();
        out.push(PointSummary {
            point: p,
            runs: slice.len(),
            aggs,
        });
    }
    out
}

/// Metric counting a run's workflows left unfinished at the horizon.
pub const UNFINISHED_METRIC: &str = "unfinished_workflows";

/// Whether any run of point `p` hit the horizon with unfinished workflows.
pub fn has_unfinished(plan: &Plan, p: &PointSummary) -> bool {
    metric_index(plan, UNFINISHED_METRIC).is_some_and(|u| p.aggs[u].max > 0.0)
}

/// Points not dominated in (runtime, cost) means, by increasing runtime then index.
pub fn pareto_front(points: &[PointSummary], rt: usize, cost: usize) -> Vec<usize> {
    let key = |p: &PointSummary| (p.aggs[rt].mean, p.aggs[cost].mean);
    let valid: Vec<&PointSummary> = points
        .iter()
        .filter(|p| p.runs > 0 && key(p).0.is_finite() && key(p).1.is_finite())
        .collect();
    let mut front: Vec<&PointSummary> = valid
        .iter()
        .filter(|p| {
            let (r, c) = key(p);
            !valid.iter().any(|q| {
                let (r2, c2) = key(q);
                r2 <= r && c2 <= c && (r2 < r || c2 < c)
            })
        })
        .copied()
        .collect();
    front.sort_by(|a, b| {
        key(a)
            .0
            .total_cmp(&key(b).0)
            .then(key(a).1.total_cmp(&key(b).1))
            .then(a.point.cmp(&b.point))
    });
    front.iter().map(|p| p.point).collect()
}

/// The point with the lowest mean runtime (ties: lower cost, then lower index).
pub fn best_point(points: &[PointSummary], rt: usize, cost: usize) -> Option<usize> {
    points
        .iter()
        .filter(|p| p.runs > 0 && p.aggs[rt].mean.is_finite())
        .min_by(|a, b| {
            a.aggs[rt]
                .mean
                .total_cmp(&b.aggs[rt].mean)
                .then(a.aggs[cost].mean.total_cmp(&b.aggs[cost].mean))
                .then(a.point.cmp(&b.point))
        })
        .map(|p| p.point)
}

impl<'a> GridResults<'a> {
    /// Compute statistics, front, sensitivity, and re-simulate the chosen run for its time
    /// series (a run is a pure function of scenario and seed, so this is exact).
    pub fn new(plan: &'a Plan, mut rows: Vec<Row>) -> GridResults<'a> {
        rows.sort_by_key(|r| (r.point, r.replication));
        let points = summarise_points(plan, &rows);
        let rt = metric_index(plan, RUNTIME_METRIC);
        let cost = metric_index(plan, COST_METRIC);
        // A point with a run that hit the horizon with unfinished workflows is never ranked:
        // its run length and cost are cut by the horizon, not measured.
        let ranked: Vec<PointSummary> = points
            .iter()
            .filter(|p| !has_unfinished(plan, p))
            .cloned()
            .collect();
        let (pareto, best) = match (rt, cost) {
            (Some(rt), Some(c)) => (pareto_front(&ranked, rt, c), best_point(&ranked, rt, c)),
            _ => (Vec::new(), None),
        };
        let sensitivity = sensitivity::analyse(plan, &rows);
        let chosen = best.map(|p| {
            let seed = plan.seed_of(p, 0);
            let report = crate::simulate(&plan.points[p].scenario, seed);
            ChosenRun {
                point: p,
                replication: 0,
                seed,
                timeseries: report.timeseries,
            }
        });
        GridResults {
            plan,
            rows,
            points,
            pareto,
            best,
            sensitivity,
            chosen,
        }
    }
}

/// One line per point for terminal output: index, axis values, mean runtime and cost.
pub fn point_lines(results: &GridResults) -> Vec<String> {
    let plan = results.plan;
    let rt = metric_index(plan, RUNTIME_METRIC);
    let cost = metric_index(plan, COST_METRIC);
    results
        .points
        .iter()
        .map(|p| {
            let mut s = format!("point {}", p.point);
            let d = plan.grid.describe(&plan.points[p.point].values);
            if !d.is_empty() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(i) = rt {
                s.push_str(&format!(
                    ": {} {}",
                    present::label(RUNTIME_METRIC),
                    present::format_value(RUNTIME_METRIC, p.aggs[i].mean)
                ));
            }
            if let Some(i) = cost {
                s.push_str(&format!(
                    ", {} {}",
                    present::label(COST_METRIC),
                    present::format_value(COST_METRIC, p.aggs[i].mean)
                ));
            }
            s
        })
        .collect()
}
