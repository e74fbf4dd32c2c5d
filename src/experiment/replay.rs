//! `argosim replay`: simulate the observed workflows with their observed submission times on a
//! scenario's cluster and settings, and compare each with what was observed: makespan,
//! per-step gaps, pending time, pods and retries, as ratio and percent, with the spread over
//! replications. Results are plain data; `output::replay` renders them.
//!
//! How the scenario is rewritten: its `[[submissions]]` are replaced by one stream per
//! observed workflow (`count = 1`, `start` = its creation time minus the first one's), each
//! submitting the scenario workflow whose name is the observed workflow's family
//! (`generateName` without `-`, else its WorkflowTemplate, else its name without the random
//! suffix; a scenario with one workflow takes them all), through the `via` and namespace of
//! that workflow's first submission in the scenario (else `kubectl`, whose CREATE-only path
//! adds nothing an observed creation time does not already include). The horizon is raised
//! to twice the observed span when it is shorter. Simulated and observed workflows are paired
//! in creation order, and both are measured the same way ([`crate::observed::measure`]) from
//! the objects [`crate::observed::from_trace`] writes, so definitions cannot drift apart.

use crate::metrics::Summary;
use crate::observed::{self, ObservedInput, ObservedWorkflow, WorkflowMeasures};
use crate::scenario::diag::Diagnostic;
use crate::scenario::schema::{ScenarioFile, SubmissionCfg, SubmitVia};
use crate::scenario::{Scenario, ScenarioError};
use crate::units::Dur;
use rayon::prelude::*;
use serde::Serialize;

/// Predicted ÷ observed and the same as a signed percentage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Error {
    /// predicted / observed.
    pub ratio: f64,
    /// (predicted − observed) / observed × 100.
    pub pct: f64,
}

fn error(pred: f64, obs: f64) -> Option<Error> {
    (obs.abs() > 1e-9 && pred.is_finite()).then(|| Error {
        ratio: pred / obs,
        pct: (pred - obs) / obs * 100.0,
    })
}

/// One figure observed and predicted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Compared {
    /// Observed (None: not in the input).
    pub observed: Option<f64>,
    /// Predicted over replications: mean, sd, min, max (None: no replication had it).
    pub predicted: Option<Summary>,
    /// Error of the predicted mean.
    pub error: Option<Error>,
}

impl Compared {
    fn new(observed: Option<f64>, predicted: &[f64]) -> Compared {
        let predicted = (!predicted.is_empty()).then(|| Summary::of(predicted));
        Compared {
            observed,
            predicted,
            error: observed.zip(predicted).and_then(|(o, p)| error(p.mean, o)),
        }
    }
}

/// One observed workflow against its replays.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowReplay {
    /// Observed name.
    pub name: String,
    /// The scenario workflow it was replayed as.
    pub workflow: String,
    /// Observed phase.
    pub phase: String,
    /// Observed creation, s after the first observed workflow's.
    pub start_s: f64,
    /// Finished − created, s.
    pub makespan_s: Compared,
    /// Mean per-step gap (a pod's start after the pods it waited for), s.
    pub step_gap_s: Compared,
    /// Mean pod creation → main container start, s (observed only with pod objects).
    pub pending_s: Compared,
    /// Pod nodes.
    pub pods: Compared,
    /// Retried pod nodes.
    pub retries: Compared,
}

/// Everything replayed together.
#[derive(Debug, Clone, Serialize)]
pub struct Overall {
    /// Workflows compared (observed ones with a finish time and a finished replay).
    pub workflows: u32,
    /// Mean makespan, s.
    pub mean_makespan_s: Compared,
    /// First creation to last finish, s.
    pub span_s: Compared,
    /// Mean per-step gap over all workflows' steps, s.
    pub step_gap_s: Compared,
    /// Mean pending time, s.
    pub pending_s: Compared,
    /// Mean over workflows of |makespan error| %.
    pub mean_abs_makespan_error_pct: Option<f64>,
    /// Largest |makespan error| % of one workflow.
    pub max_abs_makespan_error_pct: Option<f64>,
}

/// A replay's results.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayResult {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Replications.
    pub replications: u32,
    /// Per observed workflow, in creation order.
    pub workflows: Vec<WorkflowReplay>,
    /// Together.
    pub overall: Overall,
    /// What was approximated (unmatched names, raised horizon, skipped objects).
    pub notes: Vec<String>,
}

fn diag(file: &str, key: Option<&str>, message: String) -> ScenarioError {
    ScenarioError::Invalid(vec![Diagnostic {
        file: file.to_string(),
        line: None,
        column: None,
        key: key.map(String::from),
        message,
        help: None,
    }])
}

/// [`replay_scenario`] from scenario text: parse it and import its `manifests` first.
///
/// Observed workflows that match no scenario workflow are removed from `input` (and named in
/// a note); none matching is an error.
pub fn replay_scenario_text(
    file: &str,
    text: &str,
    input: &mut ObservedInput,
) -> Result<(Scenario, Vec<String>), ScenarioError> {
    let mut raw = crate::scenario::parse_file(file, text)?;
    let mut notes: Vec<String> = crate::import::resolve_manifests(&mut raw, file)
        .map_err(ScenarioError::Invalid)?
        .iter()
        .map(|d| d.to_string())
        .collect();
    let names: Vec<String> = raw.workflows.iter().map(|w| w.name.clone()).collect();
    let (sc, more) = replay_scenario(file, text, raw, &input.workflows)?;
    if names.len() > 1 {
        input
            .workflows
            .retain(|w| names.iter().any(|n| w.is_named(n)));
    }
    notes.extend(more);
    Ok((sc, notes))
}

/// The scenario with its submissions replaced by the observed workflows', and a note per
/// approximation. `raw` is the parsed file with its manifests already imported.
pub fn replay_scenario(
    file: &str,
    text: &str,
    mut raw: ScenarioFile,
    observed: &[ObservedWorkflow],
) -> Result<(Scenario, Vec<String>), ScenarioError> {
    let mut notes = Vec::new();
    if observed.is_empty() {
        return Err(diag(
            file,
            None,
            "no observed Workflow objects to replay".into(),
        ));
    }
    let t0 = observed
        .iter()
        .map(|w| w.created_s)
        .fold(f64::INFINITY, f64::min);
    let names: Vec<&str> = raw.workflows.iter().map(|w| w.name.as_str()).collect();
    let mut subs = Vec::with_capacity(observed.len());
    let mut guessed = 0usize;
    let mut unmatched = Vec::new();
    for w in observed {
        let fam = w.family();
        let wf = if let Some(n) = names.iter().find(|n| w.is_named(n)) {
            n.to_string()
        } else if names.len() == 1 {
            guessed += 1;
            names[0].to_string()
        } else {
            unmatched.push(format!("{} ({})", w.name, fam));
            continue;
        };
        let first = raw.submissions.iter().find(|s| s.workflow == wf);
        subs.push(SubmissionCfg {
            workflow: wf,
            via: first.map_or(SubmitVia::Kubectl, |s| s.via),
            count: 1,
            start: Dur(((w.created_s - t0) * 1e6).round().max(0.0) as u64),
            interval: Dur(0),
            arrival: Default::default(),
            clients: 1,
            namespace: first.and_then(|s| s.namespace.clone()),
        });
    }
    if subs.is_empty() {
        return Err(diag(
            file,
            Some("workflows"),
            format!(
                "no observed workflow matches a [[workflows]] name ({}): observed {}",
                names.join(", "),
                unmatched.join(", ")
            ),
        ));
    }
    if !unmatched.is_empty() {
        notes.push(format!(
            "not replayed, no [[workflows]] of that name: {}",
            unmatched.join(", ")
        ));
    }
    if guessed > 0 {
        notes.push(format!(
            "{guessed} observed workflow(s) named unlike the scenario's only workflow `{}` were replayed as it",
            names[0]
        ));
    }
    let span = observed
        .iter()
        .filter_map(|w| w.finished_s)
        .fold(t0, f64::max)
        - t0;
    let need = Dur(((span * 2.0).max(3600.0) * 1e6) as u64);
    if raw.experiment.horizon.0 < need.0 {
        notes.push(format!(
            "horizon raised from {} to {} (twice the observed span)",
            crate::units::format_duration(raw.experiment.horizon.0),
            crate::units::format_duration(need.0)
        ));
        raw.experiment.horizon = need;
    }
    raw.submissions = subs;
    let sc = Scenario::from_file(file, text, raw)?;
    Ok((sc, notes))
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

fn gap_mean(m: &WorkflowMeasures) -> Option<f64> {
    mean(m.gaps.iter().map(|g| g.gap_s))
}

/// Replay `input`'s workflows on `sc` (from [`replay_scenario`]): `replications` seeds
/// derived from `seed`, in parallel on the current rayon pool (output independent of it).
pub fn replay(
    sc: &Scenario,
    input: &ObservedInput,
    seed: u64,
    replications: u32,
    notes: Vec<String>,
) -> ReplayResult {
    let obs = observed::measure_all(&input.workflows, &input.pods);
    // Per replication: the measures of its workflows in creation order, and its span.
    let runs: Vec<(Vec<WorkflowMeasures>, Option<f64>)> = (0..replications)
        .into_par_iter()
        .map(|r| {
            let s = crate::replication_seed(seed, r);
            let (_, trace) = crate::simulate_traced(sc, s);
            let (mut wfs, pods) = observed::from_trace(&trace, sc);
            // Pair in arrival order (stream order breaks ties: one stream per observed).
            let mut order: Vec<usize> = (0..trace.workflows.len()).collect();
            order.sort_by(|&a, &b| {
                trace.workflows[a]
                    .submitted_s
                    .total_cmp(&trace.workflows[b].submitted_s)
                    .then(a.cmp(&b))
            });
            let rank: std::collections::HashMap<&str, usize> = order
                .iter()
                .enumerate()
                .map(|(i, &w)| (trace.workflows[w].name.as_str(), i))
                .collect();
            wfs.sort_by_key(|w| rank.get(w.name.as_str()).copied().unwrap_or(usize::MAX));
            let t0 = wfs
                .iter()
                .map(|w| w.created_s)
                .fold(f64::INFINITY, f64::min);
            let done = wfs.iter().all(|w| w.finished_s.is_some());
            let span =
                done.then(|| wfs.iter().filter_map(|w| w.finished_s).fold(t0, f64::max) - t0);
            (observed::measure_all(&wfs, &pods), span)
        })
        .collect();
    let t0 = input
        .workflows
        .iter()
        .map(|w| w.created_s)
        .fold(f64::INFINITY, f64::min);
    let mut workflows = Vec::with_capacity(obs.len());
    let mut abs_err = Vec::new();
    for (i, (o, w)) in obs.iter().zip(&input.workflows).enumerate() {
        let pick = |f: &dyn Fn(&WorkflowMeasures) -> Option<f64>| -> Vec<f64> {
            runs.iter()
                .filter_map(|(ms, _)| ms.get(i).and_then(f))
                .collect()
        };
        let makespan = Compared::new(o.makespan_s, &pick(&|m| m.makespan_s));
        if let Some(e) = makespan.error {
            abs_err.push(e.pct.abs());
        }
        workflows.push(WorkflowReplay {
            name: o.name.clone(),
            workflow: sc
                .submissions
                .get(i)
                .map_or_else(String::new, |s| sc.workflows[s.workflow].name.clone()),
            phase: o.phase.clone(),
            start_s: w.created_s - t0,
            makespan_s: makespan,
            step_gap_s: Compared::new(gap_mean(o), &pick(&gap_mean)),
            pending_s: Compared::new(o.pending_s, &pick(&|m| m.pending_s)),
            pods: Compared::new(Some(o.pods as f64), &pick(&|m| Some(m.pods as f64))),
            retries: Compared::new(Some(o.retries as f64), &pick(&|m| Some(m.retries as f64))),
        });
    }
    let per_run = |f: &dyn Fn(&[WorkflowMeasures]) -> Option<f64>| -> Vec<f64> {
        runs.iter().filter_map(|(ms, _)| f(ms)).collect()
    };
    let obs_span = input
        .workflows
        .iter()
        .all(|w| w.finished_s.is_some())
        .then(|| {
            input
                .workflows
                .iter()
                .filter_map(|w| w.finished_s)
                .fold(t0, f64::max)
                - t0
        });
    let overall = Overall {
        workflows: abs_err.len() as u32,
        mean_makespan_s: Compared::new(
            mean(obs.iter().filter_map(|m| m.makespan_s)),
            &per_run(&|ms| mean(ms.iter().filter_map(|m| m.makespan_s))),
        ),
        span_s: Compared::new(
            obs_span,
            &runs.iter().filter_map(|(_, s)| *s).collect::<Vec<_>>(),
        ),
        step_gap_s: Compared::new(
            mean(obs.iter().flat_map(|m| m.gaps.iter().map(|g| g.gap_s))),
            &per_run(&|ms| mean(ms.iter().flat_map(|m| m.gaps.iter().map(|g| g.gap_s)))),
        ),
        pending_s: Compared::new(
            mean(obs.iter().filter_map(|m| m.pending_s)),
            &per_run(&|ms| mean(ms.iter().filter_map(|m| m.pending_s))),
        ),
        mean_abs_makespan_error_pct: mean(abs_err.iter().copied()),
        max_abs_makespan_error_pct: abs_err.iter().copied().reduce(f64::max),
    };
    ReplayResult {
        scenario: sc.file.name.clone(),
        seed,
        replications,
        workflows,
        overall,
        notes,
    }
}

/// A replay threshold that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    /// What was checked.
    pub what: String,
    /// Its value.
    pub value: f64,
    /// The limit.
    pub limit: f64,
}

/// Check the error limits (percent, on absolute errors): the mean makespan's error, and each
/// workflow's. A limit with nothing to compare (no finished workflow) is a breach.
pub fn check(
    r: &ReplayResult,
    max_mean_pct: Option<f64>,
    max_each_pct: Option<f64>,
) -> Vec<Breach> {
    let mut out = Vec::new();
    if let Some(l) = max_mean_pct {
        let v = r
            .overall
            .mean_makespan_s
            .error
            .map_or(f64::INFINITY, |e| e.pct.abs());
        if v > l {
            out.push(Breach {
                what: "mean makespan error %".into(),
                value: v,
                limit: l,
            });
        }
    }
    if let Some(l) = max_each_pct {
        if r.overall.workflows == 0 {
            out.push(Breach {
                what: "workflow makespan error % (no finished workflow to compare)".into(),
                value: f64::INFINITY,
                limit: l,
            });
        }
        for w in &r.workflows {
            if let Some(e) = w.makespan_s.error
                && e.pct.abs() > l
            {
                out.push(Breach {
                    what: format!("makespan error % of {}", w.name),
                    value: e.pct.abs(),
                    limit: l,
                });
            }
        }
    }
    out
}
