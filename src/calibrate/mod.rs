//! Calibration from a user's real runs (observed Workflow and Pod objects, optionally a
//! Prometheus snapshot): fit per task the main container's run-time distribution and failure
//! probability, the pods' startup stages, and service times from metrics, then write them into
//! the user's scenario with their source and sample size ([`calibrate`]).
//!
//! - `fit`: run-time distribution (constant, normal, lognormal by likelihood) under 1-second
//!   timestamp rounding (stages are summarised with `metrics::Stats`);
//! - `samples`: what the objects say per task, per pod stage and per step;
//! - `metrics`: apiserver and controller means from `/metrics` text;
//! - `apply`: the calibrated scenario, edited in place.
//!
//! Fitted into the scenario: each task's `duration` (pods' main container run times; without
//! pod objects, node durations minus the scenario's sandbox, init and wait times) and
//! `failure_probability` (Failed attempts / ended attempts, only when some failed or the key
//! is set); `kubelet.sandbox_start` (`PodScheduled` → init started, from the pods bound after
//! another pod's init container had started on the same node, so the executor image was
//! there under `IfNotPresent`; not fitted, only reported, when there are none),
//! `init_container_time`,
//! `wait_container_time` (main finished → wait finished), each the mean of the pods within
//! one timestamp step of the stage's median (a pod far above it pulled an image: those are
//! counted in the report, not in the stage); `apiserver.read_latency`/`write_latency` and
//! `controller.reconcile_base_cpu` from metrics. Reported, not fitted, because the model
//! produces them from mechanisms: scheduling wait, main-image waits and the controller's
//! per-step gaps (`replay` compares them with the calibrated model's).

pub mod apply;
pub mod fit;
pub mod metrics;
pub mod samples;

use crate::metrics::Stats;
use crate::observed::{ObservedInput, TIMESTAMP_RESOLUTION_S};
use crate::scenario::Scenario;
use apply::{Fitted, Target};
use fit::Fit;
use serde::Serialize;
use std::path::Path;

/// One task's fit.
#[derive(Debug, Clone, Serialize)]
pub struct TaskFit {
    /// Workflow family of the observed runs.
    pub family: String,
    /// Task path.
    pub task: String,
    /// Templates seen.
    pub templates: Vec<String>,
    /// The scenario task it was written to (`<workflow>.<task>`, or
    /// `import.durations.<template>`); None when it matches none.
    pub applied_to: Option<String>,
    /// Run-time samples from pods' main containers (the rest from node durations).
    pub from_pods: usize,
    /// The fit (None: no Succeeded attempt).
    pub fit: Option<Fit>,
    /// Ended attempts.
    pub attempts: u64,
    /// Failed attempts.
    pub failed: u64,
}

/// One startup stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageFit {
    /// Stage name.
    pub stage: &'static str,
    /// The scenario key it calibrates (None: reported only).
    pub key: Option<&'static str>,
    /// All samples.
    pub all: Stats,
    /// Samples within one step of the median, used for the value.
    pub used: usize,
    /// The fitted value, s (mean of the used samples).
    pub value_s: f64,
    /// The scenario's value before, s.
    pub before_s: Option<f64>,
}

/// One value from metrics.
#[derive(Debug, Clone, Serialize)]
pub struct MetricFit {
    /// Scenario key.
    pub key: &'static str,
    /// Value, s.
    pub value_s: f64,
    /// Observations behind it.
    pub count: f64,
    /// How it was derived.
    pub how: String,
}

/// What `calibrate` found.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationReport {
    /// Scenario calibrated.
    pub scenario: String,
    /// Workflows read.
    pub workflows: usize,
    /// Pods read, and of those joined to a status node.
    pub pods: usize,
    /// Pods joined to a status node.
    pub pods_joined: usize,
    /// Per task.
    pub tasks: Vec<TaskFit>,
    /// Startup stages.
    pub stages: Vec<StageFit>,
    /// The controller's per-step gaps (a pod's start after its dependencies' end).
    pub step_gaps: Option<Stats>,
    /// From metrics.
    pub metrics: Vec<MetricFit>,
    /// What could not be used or placed.
    pub notes: Vec<String>,
}

/// A calibration: the report and the calibrated scenario text.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// The report.
    pub report: CalibrationReport,
    /// The calibrated scenario.
    pub scenario_toml: String,
}

fn dur_toml(s: f64) -> String {
    format!(
        "\"{}\"",
        crate::units::format_duration((s * 1e6).round().max(0.0) as u64)
    )
}

fn stage(
    stage: &'static str,
    key: Option<&'static str>,
    v: &[f64],
    before: Option<f64>,
) -> Option<StageFit> {
    if v.is_empty() {
        return None;
    }
    let all = Stats::of(&mut v.to_vec());
    let cut = all.p50 + TIMESTAMP_RESOLUTION_S;
    let used: Vec<f64> = v.iter().copied().filter(|x| *x <= cut).collect();
    Some(StageFit {
        stage,
        key,
        used: used.len(),
        value_s: used.iter().sum::<f64>() / used.len().max(1) as f64,
        all,
        before_s: before,
    })
}

/// Calibrate the scenario at `path` (its `text`, resolved as `sc`) on `input`, with metrics
/// snapshots `metrics` (file name, text); `inputs` names the files for the header.
pub fn calibrate(
    path: &Path,
    text: &str,
    sc: &Scenario,
    input: &ObservedInput,
    metrics: &[(String, String)],
    inputs: &[String],
) -> Result<Calibration, String> {
    let kl = &sc.file.kubelet;
    let secs = |d: crate::units::Dur| d.0 as f64 / 1e6;
    let startup =
        secs(kl.sandbox_start) + secs(kl.init_container_time) + secs(kl.wait_container_time);
    let s = samples::sample(input, startup);
    let mut notes = Vec::new();
    let mut fitted = Vec::new();
    let mut tasks = Vec::new();
    let one = (sc.workflows.len() == 1).then(|| sc.workflows[0].name.clone());
    for ((family, task), t) in &s.tasks {
        let wf = sc
            .workflows
            .iter()
            .find(|w| {
                input
                    .workflows
                    .iter()
                    .any(|o| o.family() == family && o.is_named(&w.name))
            })
            .or_else(|| (sc.workflows.len() == 1).then(|| &sc.workflows[0]));
        if wf.is_some()
            && one.as_deref().is_some_and(|n| {
                !input
                    .workflows
                    .iter()
                    .any(|o| o.family() == family && o.is_named(n))
            })
        {
            notes.push(format!(
                "workflows `{family}` were taken as the scenario's only workflow `{}`",
                sc.workflows[0].name
            ));
        }
        let spec_task = wf.and_then(|w| {
            w.tasks
                .iter()
                .find(|x| &x.name == task)
                .or_else(|| w.tasks.iter().find(|x| t.templates.contains(&x.name)))
        });
        let fit = match fit::fit_durations(&t.run_s, TIMESTAMP_RESOLUTION_S) {
            Ok(f) => Some(f),
            Err(e) => {
                if t.attempts > 0 {
                    notes.push(format!("{family}/{task}: no run time fitted: {e}"));
                }
                None
            }
        };
        if t.from_pods < t.run_s.len() {
            notes.push(format!(
                "{family}/{task}: {} of {} run times are node durations minus the scenario's startup stages ({startup:.1}s): give the pods for exact ones",
                t.run_s.len() - t.from_pods,
                t.run_s.len()
            ));
        }
        let mut applied_to = None;
        if let (Some(w), Some(x)) = (wf, spec_task) {
            let in_file = apply::has_task(text, &w.name, &x.name);
            let src = format!(
                "{} {} ({} pods, {} from node durations)",
                if in_file {
                    "calibrated:"
                } else {
                    "calibrated from"
                },
                fit.as_ref().map_or_else(String::new, Fit::describe),
                t.run_s.len(),
                t.run_s.len() - t.from_pods
            );
            if let Some(f) = &fit {
                let value = inline(&f.dist());
                let Some(value) = value else {
                    return Err(format!(
                        "{family}/{task}: the fitted distribution does not print as TOML"
                    ));
                };
                let target = if in_file {
                    applied_to = Some(format!("{}.{}", w.name, x.name));
                    Target::Task {
                        workflow: w.name.clone(),
                        task: x.name.clone(),
                        key: "duration".into(),
                    }
                } else {
                    let tpl = t
                        .templates
                        .first()
                        .cloned()
                        .unwrap_or_else(|| x.name.clone());
                    applied_to = Some(format!("import.durations.{tpl}"));
                    Target::ImportDuration { template: tpl }
                };
                fitted.push(Fitted {
                    target,
                    toml: value,
                    comment: src,
                });
            }
            if in_file && t.attempts > 0 && (t.failed > 0 || x.failure_probability > 0.0) {
                fitted.push(Fitted {
                    target: Target::Task {
                        workflow: w.name.clone(),
                        task: x.name.clone(),
                        key: "failure_probability".into(),
                    },
                    toml: format!("{}", t.failed as f64 / t.attempts as f64),
                    comment: format!(
                        "calibrated: {} Failed of {} ended attempts",
                        t.failed, t.attempts
                    ),
                });
            }
        } else {
            notes.push(format!(
                "{family}/{task}: observed, but the scenario has no such task: not written"
            ));
        }
        tasks.push(TaskFit {
            family: family.clone(),
            task: task.clone(),
            templates: t.templates.clone(),
            applied_to,
            from_pods: t.from_pods,
            fit,
            attempts: t.attempts,
            failed: t.failed,
        });
    }
    let st = &s.stages;
    let stages: Vec<StageFit> = [
        stage(
            "scheduling (created → PodScheduled)",
            None,
            &st.scheduling,
            None,
        ),
        // Pods bound where the executor image already was, when there are any: the others'
        // stage includes its pull.
        if st.sandbox_warm.is_empty() {
            if !st.sandbox.is_empty() {
                notes.push("kubelet.sandbox_start not fitted: no pod was bound after the executor image was on its node, so every pod's sandbox stage includes its pull (kept the scenario's value; the stage is reported)".into());
            }
            stage(
                "sandbox with the executor image pull (PodScheduled → init started)",
                None,
                &st.sandbox,
                Some(secs(kl.sandbox_start)),
            )
        } else {
            stage(
                "sandbox, executor image on the node (PodScheduled → init started)",
                Some("sandbox_start"),
                &st.sandbox_warm,
                Some(secs(kl.sandbox_start)),
            )
        },
        stage(
            "init container",
            Some("init_container_time"),
            &st.init,
            Some(secs(kl.init_container_time)),
        ),
        stage(
            "main start (init finished → main started)",
            None,
            &st.main_start,
            None,
        ),
        stage(
            "wait container (main finished → wait finished)",
            Some("wait_container_time"),
            &st.wait,
            Some(secs(kl.wait_container_time)),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    for x in &stages {
        if let Some(key) = x.key {
            fitted.push(Fitted {
                target: Target::Key { table: "kubelet".into(), key: key.into() },
                toml: dur_toml(x.value_s),
                comment: format!(
                    "calibrated: mean of {} of {} pods (those within 1s of the median {:.1}s; was {})",
                    x.used,
                    x.all.count,
                    x.all.p50,
                    x.before_s.map_or("-".into(), |b| format!("{b}s"))
                ),
            });
        }
    }
    // Metrics.
    let mut snap = metrics::Snapshot::default();
    for (f, t) in metrics {
        snap.absorb(&metrics::parse(f, t)?);
    }
    let mut mfits = Vec::new();
    for (key, table, v, how) in [
        (
            "read_latency",
            "apiserver",
            snap.api_read,
            "mean apiserver_request_duration_seconds of GET/LIST (includes the snapshot's queueing)",
        ),
        (
            "write_latency",
            "apiserver",
            snap.api_write,
            "mean apiserver_request_duration_seconds of POST/PUT/PATCH/DELETE (includes the snapshot's queueing)",
        ),
    ] {
        if let Some(m) = metrics::mean(v) {
            mfits.push(MetricFit {
                key,
                value_s: m,
                count: v.1,
                how: how.into(),
            });
            fitted.push(Fitted {
                target: Target::Key {
                    table: table.into(),
                    key: key.into(),
                },
                toml: dur_toml(m),
                comment: format!("calibrated: {how}, {} requests", v.1),
            });
        }
    }
    if let Some(op) = metrics::mean(snap.operation) {
        let nodes = {
            let n: usize = input.workflows.iter().map(|w| w.nodes.len()).sum();
            n as f64 / input.workflows.len().max(1) as f64
        };
        let per_node = secs(sc.file.controller.reconcile_per_node_cpu);
        let base = (op - per_node * nodes).max(1e-6);
        let how = format!(
            "mean argo_workflows_operation_duration_seconds {:.2}ms minus reconcile_per_node_cpu x {nodes:.0} mean status nodes (an upper bound: it includes the reconcile's API calls)",
            op * 1e3
        );
        mfits.push(MetricFit {
            key: "reconcile_base_cpu",
            value_s: base,
            count: snap.operation.1,
            how: how.clone(),
        });
        fitted.push(Fitted {
            target: Target::Key {
                table: "controller".into(),
                key: "reconcile_base_cpu".into(),
            },
            toml: dur_toml(base),
            comment: format!("calibrated: {how}, {} operations", snap.operation.1),
        });
    }
    if !metrics.is_empty() && snap.series.is_empty() {
        notes.push("the metrics files hold neither apiserver_request_duration_seconds nor argo_workflows_operation_duration_seconds".into());
    }
    let mut header = vec![format!(
        "Calibrated by `argosim calibrate` from {} workflow(s) and {} pod(s): {}",
        input.workflows.len(),
        input.pods.len(),
        inputs.join(", ")
    )];
    header.push(
        "Each calibrated key says where it came from; see the calibration report for the fits."
            .into(),
    );
    let (scenario_toml, more) =
        apply::apply(path, text, &fitted, &header).map_err(|e| e.to_string())?;
    notes.extend(more);
    if s.pods_unmatched > 0 {
        notes.push(format!("{} pod(s) matched no status node (another workflow, or no node-id/node-name annotation)", s.pods_unmatched));
    }
    notes.sort();
    notes.dedup();
    Ok(Calibration {
        report: CalibrationReport {
            scenario: sc.file.name.clone(),
            workflows: input.workflows.len(),
            pods: input.pods.len(),
            pods_joined: s.pods_joined,
            tasks,
            stages,
            step_gaps: (!s.gaps.is_empty()).then(|| Stats::of(&mut s.gaps.clone())),
            metrics: mfits,
            notes,
        },
        scenario_toml,
    })
}

/// A distribution as an inline TOML value.
fn inline(d: &crate::dist::DurationDist) -> Option<String> {
    #[derive(Serialize)]
    struct W<'a> {
        v: &'a crate::dist::DurationDist,
    }
    let doc: toml_edit::DocumentMut = toml::to_string(&W { v: d }).ok()?.parse().ok()?;
    match doc.get("v")? {
        toml_edit::Item::Value(v) => Some(v.to_string().trim().to_string()),
        toml_edit::Item::Table(t) => {
            let mut it = toml_edit::InlineTable::new();
            for (k, v) in t.iter() {
                it.insert(k, v.as_value()?.clone());
            }
            it.fmt();
            Some(it.to_string())
        }
        _ => None,
    }
}
