//! Metric exporters for one run: the time series as CSV (one row per sample, one column per
//! series) and a Prometheus text-exposition snapshot of the run's final counters and gauges,
//! named after Argo v3.6's metrics (`argo_workflows_` prefix, labels as Argo sets them).
//! The snapshot is what `/metrics` would show at the end of the run; histograms are given as
//! `_count`/`_sum` only.

use crate::metrics::RunReport;
use std::fmt::Write;

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The run's time series as CSV: `t_s` then one column per series.
pub fn timeseries_csv(r: &RunReport) -> String {
    let ts = &r.timeseries;
    let mut o = String::from("t_s");
    for name in ts.series.keys() {
        o.push(',');
        o.push_str(&csv_field(name));
    }
    o.push('\n');
    for (i, t) in ts.t_s.iter().enumerate() {
        let _ = write!(o, "{t}");
        for col in ts.series.values() {
            let _ = write!(o, ",{}", col.get(i).unwrap_or(f64::NAN));
        }
        o.push('\n');
    }
    o
}

fn kind_of(resource: &str) -> &str {
    match resource {
        "pods" | "pods/binding" | "pods/status" => "Pod",
        "workflows" => "Workflow",
        "workflowtemplates" => "WorkflowTemplate",
        "workflowtaskresults" => "WorkflowTaskResult",
        "events" => "Event",
        other => other,
    }
}

/// Final counters and gauges in Prometheus text exposition format.
pub fn prometheus(r: &RunReport) -> String {
    let mut o = String::new();
    let w = &r.workflows;
    let _ = writeln!(
        o,
        "# HELP argo_workflows_gauge Number of workflows currently accessible by the controller by status."
    );
    let _ = writeln!(o, "# TYPE argo_workflows_gauge gauge");
    for (status, n) in [
        ("Succeeded", w.succeeded),
        ("Failed", w.failed),
        ("Error", w.errored),
        ("Running", w.unfinished),
    ] {
        let _ = writeln!(o, "argo_workflows_gauge{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(
        o,
        "# HELP argo_workflows_k8s_request_total Number of kubernetes requests executed by the controller."
    );
    let _ = writeln!(o, "# TYPE argo_workflows_k8s_request_total counter");
    for row in r
        .api
        .by_client
        .iter()
        .filter(|row| row.client.starts_with("workflow-controller"))
    {
        for (code, n) in &row.by_status {
            let _ = writeln!(
                o,
                "argo_workflows_k8s_request_total{{kind=\"{}\",status_code=\"{}\",verb=\"{}\"}} {}",
                kind_of(&row.resource),
                code,
                row.verb.to_uppercase(),
                n
            );
        }
    }
    let c = &r.controller;
    let _ = writeln!(
        o,
        "# HELP argo_workflows_queue_adds_count Adds to the queue."
    );
    let _ = writeln!(o, "# TYPE argo_workflows_queue_adds_count counter");
    let _ = writeln!(
        o,
        "argo_workflows_queue_adds_count{{queue_name=\"workflow_queue\"}} {}",
        c.queue_adds
    );
    let _ = writeln!(
        o,
        "# HELP argo_workflows_queue_latency Time objects spend waiting in the queue."
    );
    let _ = writeln!(o, "# TYPE argo_workflows_queue_latency histogram");
    let _ = writeln!(
        o,
        "argo_workflows_queue_latency_count{{queue_name=\"workflow_queue\"}} {}",
        c.queue_latency_s.count
    );
    let _ = writeln!(
        o,
        "argo_workflows_queue_latency_sum{{queue_name=\"workflow_queue\"}} {}",
        c.queue_latency_s.mean * c.queue_latency_s.count as f64
    );
    let _ = writeln!(
        o,
        "# HELP argo_workflows_operation_duration_seconds Histogram of durations of operations."
    );
    let _ = writeln!(
        o,
        "# TYPE argo_workflows_operation_duration_seconds histogram"
    );
    let _ = writeln!(
        o,
        "argo_workflows_operation_duration_seconds_count {}",
        c.operation_duration_s.count
    );
    let _ = writeln!(
        o,
        "argo_workflows_operation_duration_seconds_sum {}",
        c.operation_duration_s.mean * c.operation_duration_s.count as f64
    );
    let p = &r.pods;
    let _ = writeln!(
        o,
        "# HELP argo_workflows_pods_total_count Total number of pods that have entered each phase."
    );
    let _ = writeln!(o, "# TYPE argo_workflows_pods_total_count counter");
    for (phase, n) in &p.by_phase {
        let _ = writeln!(
            o,
            "argo_workflows_pods_total_count{{phase=\"{phase}\"}} {n}"
        );
    }
    let _ = writeln!(
        o,
        "# HELP argo_workflows_pod_pending_count Total number of pods that started pending by reason"
    );
    let _ = writeln!(o, "# TYPE argo_workflows_pod_pending_count counter");
    for (reason, n) in &p.pods_pending_count {
        let _ = writeln!(
            o,
            "argo_workflows_pod_pending_count{{reason=\"{reason}\"}} {n}"
        );
    }
    let _ = writeln!(
        o,
        "# HELP argo_workflows_error_count Number of errors encountered by the controller by cause."
    );
    let _ = writeln!(o, "# TYPE argo_workflows_error_count counter");
    for (cause, n) in &w.failure_causes {
        let _ = writeln!(
            o,
            "argo_workflows_error_count{{cause=\"{}\"}} {n}",
            cause.replace('"', "'")
        );
    }
    o
}
