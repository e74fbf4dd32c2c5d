//! argosim: a discrete-event simulator of the Argo Workflows control plane on Kubernetes.
//!
//! One run is a pure function of a validated [`scenario::Scenario`] and a seed:
//! [`simulate`] builds a [`world::World`], runs its events to completion or the horizon, and
//! returns a [`metrics::RunReport`]. [`run_replications`] runs several seeds in parallel and
//! returns them in order, so the result does not depend on the thread count.
//!
//! Layers (see ARCHITECTURE.md): `engine` (generic DES kernel) ← `kube`, `argo` (models) ←
//! `world` (state + event dispatch) ← `metrics` (report structs) ← `experiment` (grids and
//! statistics over runs, as plain data) ← `output` (bytes) ← `results_folder` (a grid's files)
//! ← `main`. `output` never simulates and never touches files.
//! Input: `scenario` (schema, validation) ← `import` (Argo manifests, WfFormat traces);
//! [`load_scenario`] and [`parse_scenario`] compose the two: read the file, import its
//! `manifests = [...]`, then validate.

#![warn(missing_docs)]

pub mod argo;
pub mod calibrate;
pub mod dist;
pub mod engine;
pub mod experiment;
pub mod import;
pub mod input;
pub mod kube;
pub mod metrics;
pub mod observed;
pub mod output;
pub mod results_folder;
pub mod scenario;
pub mod units;
pub mod world;

use metrics::{Report, RunReport, Summary};
use rayon::prelude::*;
use scenario::{Scenario, ScenarioError};

/// Read and validate a scenario file, importing the Argo manifests / WfFormat traces its
/// `manifests = [...]` key lists (paths relative to the file).
pub fn load_scenario(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
    let text = scenario::read(path)?;
    parse_scenario(&path.display().to_string(), &text)
}

/// Parse and validate scenario text, importing its `manifests` (relative to `file`'s
/// directory) with its `[import]` hints; `file` names it in diagnostics. The import's
/// warnings come first among the scenario's warnings.
pub fn parse_scenario(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let mut raw = scenario::parse_file(file, text)?;
    let import_warnings =
        import::resolve_manifests(&mut raw, file).map_err(ScenarioError::Invalid)?;
    let mut sc = Scenario::from_file(file, text, raw)?;
    sc.warnings.splice(0..0, import_warnings);
    Ok(sc)
}

/// Seed of replication `r` under master seed `seed`.
pub fn replication_seed(seed: u64, r: u32) -> u64 {
    engine::derive_seed(seed, &format!("replication/{r}"))
}

/// Run one replication.
pub fn simulate(sc: &Scenario, seed: u64) -> RunReport {
    world::World::new(sc, seed).run(0, seed)
}

/// Run one replication and keep its [`metrics::Trace`] (pods, nodes, workflow times).
pub fn simulate_traced(sc: &Scenario, seed: u64) -> (RunReport, metrics::Trace) {
    let (r, t) = world::World::new(sc, seed).run_with(0, seed, true);
    (r, t.unwrap_or_default())
}

/// Run `replications` runs under master `seed` (in parallel on the current rayon pool) and
/// summarise them. Output is identical for any thread count.
pub fn run_replications(sc: &Scenario, seed: u64, replications: u32) -> Report {
    run_replications_traced(sc, seed, replications, false).0
}

/// [`run_replications`], and with `trace` the [`metrics::Trace`] of replication 0 (for the
/// timeline figures of `run --out`; the report is the same either way).
pub fn run_replications_traced(
    sc: &Scenario,
    seed: u64,
    replications: u32,
    trace: bool,
) -> (Report, Option<metrics::Trace>) {
    let (runs, traces): (Vec<RunReport>, Vec<Option<metrics::Trace>>) = (0..replications)
        .into_par_iter()
        .map(|r| {
            let s = replication_seed(seed, r);
            world::World::new(sc, s).run_with(r, s, trace && r == 0)
        })
        .unzip();
    let summary = summarise(&runs);
    let report = Report {
        schema_version: metrics::REPORT_SCHEMA_VERSION,
        argosim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: sc.file.name.clone(),
        source: sc.source.clone(),
        seed,
        replications,
        summary,
        warnings: sc.warnings.iter().map(|w| w.to_string()).collect(),
        runs,
    };
    (report, traces.into_iter().flatten().next())
}

/// Headline metrics, by name, summarised over runs.
pub fn summarise(runs: &[RunReport]) -> indexmap::IndexMap<String, Summary> {
    type Get = fn(&RunReport) -> f64;
    /// A statistic of an empty sample is no data (NaN), never 0.
    fn of(s: &metrics::Stats, v: f64) -> f64 {
        if s.count == 0 { f64::NAN } else { v }
    }
    let metrics: [(&str, Get); 15] = [
        ("makespan_p50_s", |r| {
            of(&r.workflows.makespan_s, r.workflows.makespan_s.p50)
        }),
        ("makespan_p95_s", |r| {
            of(&r.workflows.makespan_s, r.workflows.makespan_s.p95)
        }),
        ("makespan_max_s", |r| {
            of(&r.workflows.makespan_s, r.workflows.makespan_s.max)
        }),
        ("end_time_s", |r| r.end_time_s),
        ("success_rate", |r| r.workflows.success_rate),
        ("cost_total_usd", |r| r.cost.total_usd),
        ("cost_per_workflow_usd", |r| r.cost.per_workflow_usd),
        ("api_requests", |r| r.api.total_requests as f64),
        ("throttle_wait_total_s", |r| {
            r.throttling.iter().map(|t| t.total_wait_s).sum()
        }),
        ("throttle_wait_max_s", |r| {
            r.throttling
                .iter()
                .map(|t| t.max_wait_s)
                .fold(0.0, f64::max)
        }),
        ("workflow_object_peak_bytes", |r| {
            r.workflow_object.peak_bytes as f64
        }),
        ("queue_latency_p95_s", |r| {
            of(
                &r.controller.queue_latency_s,
                r.controller.queue_latency_s.p95,
            )
        }),
        ("pod_startup_p95_s", |r| {
            of(&r.pods.startup_s, r.pods.startup_s.p95)
        }),
        ("pods_created", |r| r.pods.created as f64),
        ("unfinished_workflows", |r| r.workflows.unfinished as f64),
    ];
    metrics
        .iter()
        .map(|(name, get)| {
            let v: Vec<f64> = runs.iter().map(get).collect();
            ((*name).to_string(), Summary::of(&v))
        })
        .collect()
}
