//! The human-readable summary printed by `argosim run`.

use crate::metrics::{Report, RunReport, Stats};
use std::fmt::Write;

/// Seconds as `12.3s`, `4m05s` or `1h02m`.
pub fn human_secs(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

/// A latency: milliseconds below one second (Go's `time.Duration` style: `0s`, `4.2ms`,
/// `180ms`), else as [`human_secs`]; most apiserver and queue latencies are milliseconds,
/// which `human_secs` would print as `0.0s`.
pub fn human_latency(s: f64) -> String {
    if !s.is_finite() || s >= 1.0 {
        return human_secs(s);
    }
    if s <= 0.0 {
        return "0s".into();
    }
    let ms = s * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{ms:.0}ms")
    }
}

fn mib(b: u64) -> String {
    format!("{:.2} MiB", b as f64 / 1048576.0)
}

fn stats_line(s: &Stats) -> String {
    if s.count == 0 {
        return "-".into();
    }
    format!(
        "p50 {}  p95 {}  max {}",
        human_latency(s.p50),
        human_latency(s.p95),
        human_latency(s.max)
    )
}

/// Render the report as text tables.
pub fn table(report: &Report) -> String {
    render(report, false)
}

/// [`table`] without truncation (`-o wide`): every critical-path cause, and one row per
/// workflow (phase, makespan, pods, reconciles, its largest cause other than the main
/// containers).
pub fn table_wide(report: &Report) -> String {
    render(report, true)
}

fn render(report: &Report, wide: bool) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "argosim {} | scenario {:?} ({}) | seed {} | {} replication{}",
        report.argosim_version,
        report.scenario,
        report.source,
        report.seed,
        report.replications,
        if report.replications == 1 { "" } else { "s" }
    );
    for w in &report.warnings {
        let _ = writeln!(o, "warning: {w}");
    }
    if report.replications > 1 {
        // Like `compare`: units, and the mean with its 95 % confidence interval.
        use crate::experiment::present::format_value as fv;
        let rows: Vec<[String; 5]> = report
            .summary
            .iter()
            .map(|(k, s)| {
                if s.n == 0 {
                    return [
                        k.clone(),
                        "no data (no run has any)".into(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ];
                }
                let mean = if s.n > 1 {
                    let h = crate::experiment::stats::t_quantile(s.n as f64 - 1.0) * s.sd
                        / (s.n as f64).sqrt();
                    format!(
                        "{} ({} – {})",
                        fv(k, s.mean),
                        fv(k, s.mean - h),
                        fv(k, s.mean + h)
                    )
                } else {
                    fv(k, s.mean)
                };
                let note = if s.n < report.replications as u64 {
                    format!("  ({} of {} runs have data)", s.n, report.replications)
                } else {
                    String::new()
                };
                [
                    k.clone(),
                    mean + &note,
                    fv(k, s.sd),
                    fv(k, s.min),
                    fv(k, s.max),
                ]
            })
            .collect();
        let header = ["metric", "mean (95% CI)", "sd", "min", "max"];
        let width = |c: usize| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        };
        let w: Vec<usize> = (0..5).map(width).collect();
        let _ = writeln!(o, "\nAcross replications");
        let head = header.map(String::from);
        for r in std::iter::once(&head).chain(&rows) {
            let line = format!(
                "  {:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:>w4$}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3],
                w4 = w[4]
            );
            let _ = writeln!(o, "{}", line.trim_end());
        }
        let _ = writeln!(o, "\nDetails of replication 0:");
    }
    if let Some(r) = report.runs.first() {
        run_table(&mut o, r, wide);
    }
    o
}

/// Causes shown in the "Limited by" section (the JSON has all).
const LIMITS_SHOWN: usize = 6;

/// The "Limited by" section: the verdict and the largest causes of the critical paths, with
/// their share and mean seconds per finished workflow.
fn limits_table(o: &mut String, l: &crate::metrics::LimitsReport, shown: usize) {
    let _ = writeln!(o, "\nLimited by  {}", l.verdict);
    if l.workflows == 0 {
        return;
    }
    let _ = writeln!(
        o,
        "  critical path of {} finished workflow{}: share, mean per workflow, cause",
        l.workflows,
        if l.workflows == 1 { "" } else { "s" }
    );
    for c in l.causes.iter().take(shown) {
        let _ = writeln!(
            o,
            "  {:>5.1}%  {:>10}  {}",
            c.share * 100.0,
            human_secs(c.seconds / l.workflows as f64),
            c.cause
        );
    }
    if l.causes.len() > shown {
        let rest: f64 = l.causes[shown..].iter().map(|c| c.share).sum();
        let _ = writeln!(
            o,
            "  {:>5.1}%  {:>10}  {} other causes (report.json: limits)",
            rest * 100.0,
            "",
            l.causes.len() - shown
        );
    }
}

/// One row per workflow (`-o wide`).
fn workflow_rows(o: &mut String, w: &crate::metrics::WorkflowsReport) {
    let _ = writeln!(
        o,
        "\n  {:<28} {:<10} {:>10} {:>6} {:>10}  largest cause besides main",
        "workflow", "phase", "makespan", "pods", "reconciles"
    );
    for e in &w.list {
        let top = e.critical_path_s.as_ref().and_then(|cp| {
            cp.iter()
                .filter(|(k, _)| *k != "main")
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, v)| format!("{k} {}", human_secs(v)))
        });
        let _ = writeln!(
            o,
            "  {:<28} {:<10} {:>10} {:>6} {:>10}  {}",
            e.name,
            e.phase,
            e.makespan_s.map_or("-".into(), human_secs),
            e.pods,
            e.reconciles,
            top.unwrap_or_else(|| "-".into())
        );
    }
}

fn run_table(o: &mut String, r: &RunReport, wide: bool) {
    let w = &r.workflows;
    let _ = writeln!(o);
    if r.horizon_reached {
        let _ = writeln!(
            o,
            "!! horizon reached at {} with {} workflow(s) unfinished",
            human_secs(r.end_time_s),
            w.unfinished
        );
    }
    let _ = writeln!(
        o,
        "Workflows   submitted {}  succeeded {}  failed {}  error {}  unfinished {}  success rate {:.1}%",
        w.submitted,
        w.succeeded,
        w.failed,
        w.errored,
        w.unfinished,
        w.success_rate * 100.0
    );
    let _ = writeln!(o, "Makespan    {}", stats_line(&w.makespan_s));
    let _ = writeln!(
        o,
        "Submission  {}   (submit -> Workflow created)",
        stats_line(&w.submission_latency_s)
    );
    for (cause, n) in &w.failure_causes {
        let _ = writeln!(o, "  failure: {n} x {cause}");
    }
    for e in w.list.iter().filter(|e| !e.message.is_empty()).take(3) {
        let _ = writeln!(o, "  {} {}: {}", e.name, e.phase, e.message);
    }
    limits_table(o, &r.limits, if wide { usize::MAX } else { LIMITS_SHOWN });
    if wide {
        workflow_rows(o, w);
    }

    let c = &r.cost;
    let _ = writeln!(
        o,
        "\nCost        ${:.2} total (${:.2} control plane), ${:.2} per workflow, run length {}",
        c.total_usd,
        c.control_plane_usd,
        c.per_workflow_usd,
        human_secs(r.end_time_s)
    );
    let _ = writeln!(
        o,
        "  {:<16} {:>6} {:>11} {:>10} {:>9} {:>9}",
        "pool", "nodes", "node-hours", "usd", "cpu req", "mem req"
    );
    for p in &c.by_pool {
        let _ = writeln!(
            o,
            "  {:<16} {:>6} {:>11.2} {:>10.2} {:>8.1}% {:>8.1}%",
            p.pool,
            p.nodes,
            p.node_hours,
            p.usd,
            p.cpu_utilisation * 100.0,
            p.memory_utilisation * 100.0
        );
    }

    let cl = &r.cluster;
    let _ = writeln!(
        o,
        "  spot ${:.2} / on-demand ${:.2} | nodes added {}, removed {}, peak {} | spot preemptions {}, pods killed {}, retries {}",
        c.spot_usd,
        c.on_demand_usd,
        cl.nodes_added,
        cl.nodes_removed,
        cl.nodes_peak,
        cl.spot_preemptions,
        cl.pods_killed,
        cl.retries
    );
    for (msg, n) in &cl.pull_errors {
        let _ = writeln!(o, "  image pull errors: {n} x {msg}");
    }
    let a = &r.api;
    let _ = writeln!(
        o,
        "\nAPI requests {} total, 429: {} ({} after APF queue wait), 413: {}, etcd too large: {}, peak in-flight {}, peak queued {}",
        a.total_requests,
        a.status_429,
        a.apf_queue_timeouts,
        a.status_413,
        a.etcd_too_large,
        a.peak_inflight,
        a.peak_queued
    );
    // Columns widen to their longest value (`deletecollection` is 16 characters).
    let width = |min: usize, f: fn(&crate::metrics::ApiRow) -> &str| {
        a.by_client.iter().map(|r| f(r).len()).fold(min, usize::max)
    };
    let (cw, vw, rw) = (
        width(32, |r| &r.client),
        width(7, |r| &r.verb),
        width(20, |r| &r.resource),
    );
    let _ = writeln!(
        o,
        "  {:<cw$} {:<vw$} {:<rw$} {:>8} {:>6} {:>9} {:>9}",
        "client", "verb", "resource", "count", "errors", "p50", "p95"
    );
    for row in &a.by_client {
        let _ = writeln!(
            o,
            "  {:<cw$} {:<vw$} {:<rw$} {:>8} {:>6} {:>9} {:>9}",
            row.client,
            row.verb,
            row.resource,
            row.count,
            row.errors,
            human_latency(row.latency_s.p50),
            human_latency(row.latency_s.p95)
        );
    }

    let _ = writeln!(
        o,
        "\nClient-side throttling (summed wait: over all requests, which wait in parallel)"
    );
    let _ = writeln!(
        o,
        "  {:<32} {:>10} {:>9} {:>10} {:>8} {:>11} {:>9}",
        "client", "qps/burst", "requests", "throttled", ">1s", "summed wait", "max wait"
    );
    for t in &r.throttling {
        let _ = writeln!(
            o,
            "  {:<32} {:>10} {:>9} {:>10} {:>8} {:>11} {:>9}",
            t.client,
            if t.qps > 0.0 {
                format!("{}/{}", t.qps, t.burst)
            } else {
                "unlimited".to_string()
            },
            t.requests,
            t.throttled,
            t.logged_waits,
            human_secs(t.total_wait_s),
            human_latency(t.max_wait_s)
        );
    }
    if let Some(t) = r
        .throttling
        .iter()
        .filter(|t| t.max_wait_s > 0.0)
        .max_by(|a, b| a.max_wait_s.total_cmp(&b.max_wait_s))
    {
        let _ = writeln!(o, "  worst ({}): {}", t.client, t.worst_message);
    }

    let ob = &r.workflow_object;
    let _ = writeln!(
        o,
        "\nWorkflow object  peak {} written ({} uncompressed, {} nodes) | MAX_WORKFLOW_SIZE {} | etcd {} | apiserver {}",
        mib(ob.peak_bytes),
        mib(ob.peak_uncompressed_bytes),
        ob.peak_nodes,
        mib(ob.max_workflow_size),
        mib(ob.etcd_limit),
        mib(ob.apiserver_limit)
    );
    let _ = writeln!(
        o,
        "  compressed {}  offloaded {}  failed for size {}  updates refused for size {}",
        ob.compressed, ob.offloaded, ob.size_errors, ob.size_refused_updates
    );
    let frozen: Vec<_> = r
        .workflows
        .list
        .iter()
        .filter(|w| w.status_frozen)
        .collect();
    for w in frozen.iter().take(3) {
        let _ = writeln!(
            o,
            "  !! {} stuck {} at stored progress {}: its updates are refused for size and Argo cannot mark it Error while the stored TaskResults are in progress ({} completion writes abandoned in all)",
            w.name, w.phase, w.progress, ob.size_completion_panics
        );
    }
    if frozen.len() > 3 {
        let _ = writeln!(o, "  !! ... and {} more stuck for size", frozen.len() - 3);
    }
    let _ = writeln!(
        o,
        "  workflows in cluster peak {} (Argo Server list {}), etcd live objects peak {} of quota {}",
        ob.workflows_in_cluster_peak,
        human_latency(ob.argo_server_list_latency_s),
        mib(ob.etcd_live_bytes_peak),
        mib(ob.etcd_quota_bytes)
    );

    let ct = &r.controller;
    let _ = writeln!(
        o,
        "\n{}reconciles {}  queue adds {}  max depth {}  workers busy max {}  deadline exceeded {}  rate-limited {}",
        match r.controllers.len() {
            0 => "Controller  ".to_string(),
            n => format!("Controllers ({n} together; depths and peaks: the largest one)\n  "),
        },
        ct.reconciles,
        ct.queue_adds,
        ct.queue_max_depth,
        ct.workers_busy_max,
        ct.deadline_exceeded,
        ct.resource_rate_limited
    );
    if ct.restarts > 0 {
        let causes: Vec<String> = ct
            .restart_causes
            .iter()
            .map(|(k, v)| format!("{v} x {k}"))
            .collect();
        let _ = writeln!(
            o,
            "  !! {} restart(s) ({}), down {}, {} reconcile(s) lost; peak heap {} (limit {})",
            ct.restarts,
            causes.join(", "),
            human_secs(ct.downtime_s),
            ct.aborted_reconciles,
            mib(ct.peak_memory_bytes),
            ct.memory_limit_bytes.map_or("none".to_string(), mib)
        );
    }
    let _ = writeln!(
        o,
        "  queue latency      {}",
        stats_line(&ct.queue_latency_s)
    );
    let _ = writeln!(
        o,
        "  operation duration {}",
        stats_line(&ct.operation_duration_s)
    );
    let pc = &ct.pod_cleanup;
    let _ = writeln!(
        o,
        "  pod cleanup: {} done ({} rate-limited adds, {} delayed), max queue {}, latency {}",
        pc.done,
        pc.rate_limited_adds,
        pc.delayed_adds,
        pc.max_depth,
        stats_line(&pc.latency_s)
    );
    if pc.backlog_at_last_finish > 0 || pc.cut_at_horizon {
        let drained = match (pc.cut_at_horizon, pc.drained_at_s) {
            (true, _) => "still queued at the horizon".to_string(),
            (false, Some(t)) => format!("drained at {}", human_secs(t)),
            (false, None) => "drained".to_string(),
        };
        let _ = writeln!(
            o,
            "  pod cleanup backlog {} pods when the last workflow finished, {}",
            pc.backlog_at_last_finish, drained
        );
    }
    controller_rows(o, &r.controllers);

    let p = &r.pods;
    let phases: Vec<String> = p.by_phase.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(
        o,
        "\nPods        created {}  | {}  | image pulls {}",
        p.created,
        phases.join("  "),
        p.image_pulls
    );
    let _ = writeln!(o, "  scheduling wait {}", stats_line(&p.scheduling_wait_s));
    let _ = writeln!(o, "  image pull      {}", stats_line(&p.image_pull_s));
    let _ = writeln!(o, "  create->running {}", stats_line(&p.startup_s));
    let _ = writeln!(o, "  main run time   {}", stats_line(&p.run_s));
    let _ = writeln!(
        o,
        "  {:<20} {:>8} {:>14}",
        "pending reason", "pods", "pod-seconds"
    );
    let mut reasons: Vec<_> = p.pending_seconds_by_reason.iter().collect();
    reasons.sort_by(|a, b| b.1.total_cmp(a.1));
    for (reason, secs) in reasons {
        let _ = writeln!(
            o,
            "  {:<20} {:>8} {:>14.0}",
            reason,
            p.pods_by_pending_reason.get(reason).copied().unwrap_or(0),
            secs
        );
    }
    for (msg, n) in &p.unschedulable_messages {
        let _ = writeln!(o, "  still Unschedulable: {n} pod(s): {msg}");
    }
}

/// One row per controller when several share the cluster.
fn controller_rows(o: &mut String, rows: &[crate::metrics::ControllerRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "  {:<24} {:<22} {:>9} {:>9} {:>13} {:>10} {:>10} {:>13} {:>8}",
        "controller",
        "manages",
        "workflows",
        "succeeded",
        "makespan p95",
        "reconciles",
        "queue p95",
        "throttle wait",
        "restarts"
    );
    for c in rows {
        let manages = match (&c.namespace, &c.instance_id) {
            (Some(n), None) => format!("namespace {n}"),
            (None, Some(i)) => format!("instanceID {i}"),
            (Some(n), Some(i)) => format!("{n}, instanceID {i}"),
            (None, None) => "all namespaces".to_string(),
        };
        let _ = writeln!(
            o,
            "  {:<24} {:<22} {:>9} {:>9} {:>13} {:>10} {:>10} {:>13} {:>8}",
            c.name,
            manages,
            c.workflows,
            c.succeeded,
            human_secs(c.makespan_s.p95),
            c.report.reconciles,
            human_secs(c.report.queue_latency_s.p95),
            human_secs(c.throttle_wait_s),
            c.report.restarts
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_below_a_second_print_in_milliseconds() {
        assert_eq!(human_latency(0.0042), "4.2ms");
        assert_eq!(human_latency(0.18), "180ms");
        assert_eq!(human_latency(0.0), "0s");
        assert_eq!(human_latency(0.0000004), "0.0ms");
        assert_eq!(human_latency(2.5), "2.5s");
        assert_eq!(human_latency(f64::NAN), "-");
    }
}
