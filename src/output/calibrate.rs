//! `argosim calibrate`'s report as Markdown (also the terminal output): per task the chosen
//! distribution with its parameters, sample size and log-likelihoods, the startup stages with
//! the value taken and the scenario's before, values from metrics, the per-step gaps and the
//! notes. JSON and YAML come from `structured` over the same report.

use crate::calibrate::CalibrationReport;
use std::fmt::Write;

fn s(v: f64) -> String {
    if v.abs() < 60.0 {
        format!("{v:.2}s")
    } else {
        crate::units::format_duration((v.abs().round() as u64) * 1_000_000)
    }
}

/// The report as Markdown.
pub fn markdown(r: &CalibrationReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Calibration of \"{}\"\n\n{} workflow(s), {} pod(s) ({} joined to a status node).\n",
        r.scenario, r.workflows, r.pods, r.pods_joined
    );
    let _ = writeln!(
        o,
        "## Run times per task\n\n| workflow / task | written to | fit | n (from pods) | mean ± SE | stddev ± SE | failed / attempts |\n|---|---|---|---|---|---|---|"
    );
    for t in &r.tasks {
        let (fit, mean, sd) = match &t.fit {
            Some(f) => (
                f.describe(),
                format!("{} ± {}", s(f.mean_s), f.mean_se_s.map_or("-".into(), s)),
                format!(
                    "{} ± {}",
                    s(f.stddev_s),
                    f.stddev_se_s.map_or("-".into(), s)
                ),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            o,
            "| {}/{} | {} | {} | {} ({}) | {} | {} | {} / {} |",
            t.family,
            t.task,
            t.applied_to.as_deref().unwrap_or("(not in scenario)"),
            fit,
            t.fit.as_ref().map_or(0, |f| f.n),
            t.from_pods,
            mean,
            sd,
            t.failed,
            t.attempts
        );
    }
    if !r.stages.is_empty() {
        let _ = writeln!(
            o,
            "\n## Pod startup stages\n\n| stage | key | pods | median | p95 | max | value (pods used) | before |\n|---|---|---|---|---|---|---|---|"
        );
        for x in &r.stages {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} ({}) | {} |",
                x.stage,
                x.key
                    .map_or("(reported)".into(), |k| format!("kubelet.{k}")),
                x.all.count,
                s(x.all.p50),
                s(x.all.p95),
                s(x.all.max),
                s(x.value_s),
                x.used,
                x.before_s.map_or("-".into(), s)
            );
        }
    }
    if let Some(g) = &r.step_gaps {
        let _ = writeln!(
            o,
            "\n## Controller per-step gaps\n\nA pod node's start after the pod nodes it waited for: {} gaps, mean {}, median {}, p95 {}, max {}. Not a scenario key: the model produces it from the informer, the workflow queue, reconciles and API calls; `argosim replay` compares it with the calibrated model's.",
            g.count,
            s(g.mean),
            s(g.p50),
            s(g.p95),
            s(g.max)
        );
    }
    if !r.metrics.is_empty() {
        let _ = writeln!(
            o,
            "\n## From metrics\n\n| key | value | observations | how |\n|---|---|---|---|"
        );
        for m in &r.metrics {
            let _ = writeln!(
                o,
                "| {} | {:.3}ms | {} | {} |",
                m.key,
                m.value_s * 1e3,
                m.count,
                m.how
            );
        }
    }
    if !r.notes.is_empty() {
        let _ = writeln!(o, "\n## Notes\n");
        for n in &r.notes {
            let _ = writeln!(o, "- {n}");
        }
    }
    o
}
