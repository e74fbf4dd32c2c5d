//! The resource budget: before anything runs, estimate from the scenario alone the events and
//! memory a run (and a set of runs) will need, and refuse what would exceed a limit
//! (`--max-memory`, default [`d::MAX_MEMORY`]) with a diagnostic naming the key responsible
//! and the estimate. `validate`, `run`, `grid`, `check` and `compare` apply it, so a
//! scenario from someone else fails in milliseconds instead of aborting on an allocation or
//! being OOM-killed.
//!
//! The estimate is deliberately simple, linear in the counts, and errs high:
//! - per run: a fixed base, pods × [`d::BUDGET_POD_BYTES`] (measured), extra API calls
//!   (progress PATCHes) × [`d::BUDGET_API_CALL_BYTES`], nodes, workflows, clients, workers,
//!   and the time series, `horizon / sample_interval` samples × (columns + 1) × 8 bytes;
//! - kept after a run: the report (time series and per-workflow rows) for `run`, `check` and
//!   `compare`, which hold every replication's report, or one row for `grid`;
//! - total: per run × runs in parallel + kept × runs.
//!
//! Events are estimated too (reported by `validate`), but not limited: time is the user's.

use crate::scenario::Scenario;
use crate::scenario::defaults as d;
use crate::scenario::diag::{Diagnostic, locate_key};
use crate::units::format_bytes;

/// Time-series columns of a run (the sampled gauges plus the time column).
const SERIES_COLUMNS: u64 = 18;

/// What a run keeps in memory once it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The whole report (time series, per-workflow rows): `run`, `check`, `compare`.
    Report,
    /// One row of headline metrics: `grid`.
    Row,
}

/// One contributor to the estimate: the key responsible, what it counts and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Dotted scenario key (or CLI flag) that sizes this part.
    pub key: String,
    /// Human description, e.g. `1000000000 pods x 360 B`.
    pub what: String,
    /// Estimated bytes.
    pub bytes: u64,
}

/// The estimate of one scenario (per run) and of the runs asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Pods created by one run (without retries).
    pub pods: u64,
    /// Nodes a run may hold at once (initial, plus what autoscaling may add for its pods).
    pub nodes: u64,
    /// API calls of one run, estimated.
    pub api_calls: u64,
    /// Time-series samples of one run (rows).
    pub samples: u64,
    /// Simulation events of one run, estimated.
    pub events: u64,
    /// Contributors to the memory of one run, largest first.
    pub parts: Vec<Part>,
    /// Memory of one run while it runs, bytes.
    pub run_bytes: u64,
    /// Memory kept per finished run, bytes.
    pub kept_bytes: u64,
    /// Runs in total.
    pub runs: u64,
    /// Runs at once.
    pub parallel: u64,
    /// Total estimated peak memory, bytes.
    pub total_bytes: u64,
}

fn sat_mul(a: u64, b: u64) -> u64 {
    a.saturating_mul(b)
}

/// Estimate the memory of `runs` runs of `sc`, `parallel` at a time, each keeping `kept`.
pub fn estimate(sc: &Scenario, runs: u64, parallel: u64, kept: Kept) -> Estimate {
    let f = &sc.file;
    let mut parts: Vec<Part> = Vec::new();
    let mut part = |key: String, what: String, bytes: u64| {
        parts.push(Part { key, what, bytes });
    };

    // Pods, per (submission, task): count × width. The largest pair names the keys.
    let mut pods = 0u64;
    let mut workflows = 0u64;
    let mut progress_calls = 0u64;
    let tick = f.controller.progress_patch_tick.0.max(1);
    let mut biggest: Option<(u64, String)> = None;
    for (si, s) in sc.submissions.iter().enumerate() {
        let count = u64::from(s.cfg.count);
        workflows = workflows.saturating_add(count);
        let raw = &f.workflows[s.workflow];
        for (ti, t) in raw.tasks.iter().enumerate() {
            let n = sat_mul(count, u64::from(t.width));
            pods = pods.saturating_add(n);
            let ticks = t.duration.mean().0 / tick;
            progress_calls = progress_calls.saturating_add(sat_mul(n, ticks));
            if biggest.as_ref().is_none_or(|(b, _)| n > *b) {
                let key = if u64::from(t.width) >= count {
                    format!("workflows[{}].tasks[{ti}].width", s.workflow)
                } else {
                    format!("submissions[{si}].count")
                };
                biggest = Some((n, key));
            }
        }
    }
    let pod_key = biggest.map_or_else(|| "submissions".to_string(), |(_, k)| k);
    part(
        pod_key,
        format!("{pods} pods x {} B", d::BUDGET_POD_BYTES),
        sat_mul(pods, d::BUDGET_POD_BYTES),
    );
    part(
        "controller.progress_patch_tick".into(),
        format!(
            "{progress_calls} progress PATCHes (every {}) x {} B",
            crate::units::format_duration(tick),
            d::BUDGET_API_CALL_BYTES
        ),
        sat_mul(progress_calls, d::BUDGET_API_CALL_BYTES),
    );
    part(
        "submissions".into(),
        format!("{workflows} workflows x {} B", d::BUDGET_WORKFLOW_BYTES),
        sat_mul(workflows, d::BUDGET_WORKFLOW_BYTES),
    );

    // Nodes: what a pool starts with, plus what it may grow to for the run's pods.
    let mut nodes = 0u64;
    let mut node_key = (0u64, "cluster.pools".to_string());
    for (pi, p) in sc.pools.iter().enumerate() {
        let grow = u64::from(p.max_nodes.saturating_sub(p.nodes)).min(pods);
        let n = u64::from(p.nodes) + grow;
        nodes = nodes.saturating_add(n);
        if n > node_key.0 {
            let which = if grow > u64::from(p.nodes) {
                "max_nodes"
            } else {
                "nodes"
            };
            node_key = (n, format!("cluster.pools[{pi}].{which}"));
        }
    }
    part(
        node_key.1,
        format!("{nodes} nodes x {} B", d::BUDGET_NODE_BYTES),
        sat_mul(nodes, d::BUDGET_NODE_BYTES),
    );

    // Clients and workers.
    let (mut clients, mut client_key) = (0u64, (0u64, "submissions".to_string()));
    for (si, s) in sc.submissions.iter().enumerate() {
        let c = u64::from(s.cfg.clients);
        clients = clients.saturating_add(c);
        if c > client_key.0 {
            client_key = (c, format!("submissions[{si}].clients"));
        }
    }
    part(
        client_key.1,
        format!("{clients} clients x {} B", d::BUDGET_CLIENT_BYTES),
        sat_mul(clients, d::BUDGET_CLIENT_BYTES),
    );
    let workers = (sc.controllers.iter()).fold(0u64, |n, c| {
        n.saturating_add(u64::from(c.cfg.workflow_workers))
            .saturating_add(u64::from(c.cfg.pod_cleanup_workers))
    });
    part(
        "controller.workflow_workers".into(),
        format!("{workers} workers x {} B", d::BUDGET_WORKER_BYTES),
        sat_mul(workers, d::BUDGET_WORKER_BYTES),
    );

    // Time series.
    let samples = f.experiment.horizon.0 / f.experiment.sample_interval.0.max(1) + 1;
    let series_bytes = sat_mul(samples, SERIES_COLUMNS * 8);
    part(
        "experiment.sample_interval".into(),
        format!(
            "{samples} samples (horizon {} / sample_interval {}) x {} B",
            crate::units::format_duration(f.experiment.horizon.0),
            crate::units::format_duration(f.experiment.sample_interval.0),
            SERIES_COLUMNS * 8
        ),
        series_bytes,
    );

    let run_bytes = parts
        .iter()
        .fold(d::BUDGET_RUN_BASE_BYTES, |a, p| a.saturating_add(p.bytes));
    parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    let kept_bytes = match kept {
        Kept::Report => series_bytes
            .saturating_add(sat_mul(workflows, 256))
            .saturating_add(64 << 10),
        Kept::Row => d::BUDGET_ROW_BYTES,
    };
    let parallel = parallel.clamp(1, runs.max(1));
    let total_bytes = sat_mul(run_bytes, parallel).saturating_add(sat_mul(kept_bytes, runs));
    // Events: a pod's lifecycle is ~25 events, an API call ~3, a sample and a workflow ~20.
    let api_calls = sat_mul(pods, 10).saturating_add(progress_calls);
    let events = sat_mul(pods, 25)
        .saturating_add(sat_mul(progress_calls, 3))
        .saturating_add(samples)
        .saturating_add(sat_mul(workflows, 20));
    Estimate {
        pods,
        nodes,
        api_calls,
        samples,
        events,
        parts,
        run_bytes,
        kept_bytes,
        runs,
        parallel,
        total_bytes,
    }
}

/// Refuse an estimate above `limit` bytes ([`super::ExperimentError::Invalid`]): one diagnostic on the key of the largest part (or
/// on `runs_key`, e.g. `--replications`, when the runs kept in memory are what overflows),
/// giving the estimate and its largest parts. `text` is the scenario source, to find the line.
pub fn check(
    sc: &Scenario,
    text: &str,
    est: &Estimate,
    runs_key: &str,
    limit: u64,
) -> Result<(), super::ExperimentError> {
    if est.total_bytes <= limit {
        return Ok(());
    }
    let kept_total = sat_mul(est.kept_bytes, est.runs);
    let run_total = sat_mul(est.run_bytes, est.parallel);
    let (key, message) = if kept_total > run_total {
        (
            runs_key.to_string(),
            format!(
                "{} runs keep ~{} each in memory",
                est.runs,
                format_bytes(est.kept_bytes)
            ),
        )
    } else {
        let top: Vec<String> = est
            .parts
            .iter()
            .take(2)
            .filter(|p| p.bytes > 0)
            .map(|p| format!("{} ({}: {})", format_bytes(p.bytes), p.key, p.what))
            .collect();
        (
            est.parts
                .first()
                .map_or("experiment".into(), |p| p.key.clone()),
            format!(
                "one run needs ~{} ({}), {} at once",
                format_bytes(est.run_bytes),
                top.join(", "),
                est.parallel
            ),
        )
    };
    let is_flag = key.starts_with("--");
    Err(super::ExperimentError::Invalid(vec![Diagnostic {
        file: sc.source.clone(),
        line: if is_flag { None } else { locate_key(text, &key) },
        column: None,
        key: Some(key),
        message: format!(
            "estimated memory ~{} exceeds the limit of {}: {message}",
            format_bytes(est.total_bytes),
            format_bytes(limit)
        ),
        help: Some(
            "make the scenario smaller, or raise the limit with --max-memory (e.g. --max-memory 64Gi) on a machine that has it"
                .into(),
        ),
    }]))
}

/// The one-line summary `validate` prints.
pub fn describe(est: &Estimate, limit: u64) -> String {
    format!(
        "budget: ~{} events and ~{} per run ({} pods, {} nodes, {} API calls, {} samples); ~{} for {} run(s), {} at once (limit {})",
        est.events,
        format_bytes(est.run_bytes),
        est.pods,
        est.nodes,
        est.api_calls,
        est.samples,
        format_bytes(est.total_bytes),
        est.runs,
        est.parallel,
        format_bytes(limit)
    )
}

/// Threads a run uses for `--jobs` (None: all cores).
pub fn threads(jobs: Option<usize>) -> u64 {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())) as u64
}

/// Apply the budget to every point of a plan: all of its runs, `jobs` at a time, each
/// keeping `kept`. The replications key is `--replications` when the command line set it.
pub fn check_plan(
    plan: &super::Plan,
    jobs: Option<usize>,
    kept: Kept,
    limit: u64,
) -> Result<(), super::ExperimentError> {
    let runs = plan.run_count() as u64;
    let runs_key = if plan.input.replications.is_some() {
        "--replications"
    } else {
        "experiment.replications"
    };
    for point in &plan.points {
        let est = estimate(&point.scenario, runs, threads(jobs), kept);
        check(&point.scenario, &plan.input.text, &est, runs_key, limit)?;
    }
    Ok(())
}
