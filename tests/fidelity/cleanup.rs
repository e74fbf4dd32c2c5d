//! `pod_cleanup_queue` (argo-facts §11.4), pinned to v3.6.19: `workflow/controller/
//! pod_cleanup.go` `queuePodsForCleanup` walks every finished pod still in the informer after
//! each update; `pod/cleanup.go` `EnactAnyPodCleanup` / `determinePodCleanupAction` picks the
//! action; `pod/queue.go` `queuePodForCleanup` uses `AddRateLimited` (client-go
//! `DefaultTypedControllerRateLimiter`: 10/s burst 100 bucket, a token per call) and
//! `queuePodForCleanupAfter` `AddAfter` (no token) for deletes with a delay.

use crate::common::run;

/// One fan-out of `width` short pods, `pod_gc` as given, `horizon` as given.
fn fan(width: u32, pod_gc: &str, horizon: &str) -> String {
    format!(
        r#"
[experiment]
horizon = "{horizon}"
[[cluster.pools]]
name = "p"
cpu = "16"
memory = "64Gi"
price_per_hour = 1.0
nodes = 30
[controller]
qps = 50
burst = 75
[[workflows]]
name = "w"
pod_gc = "{pod_gc}"
[[workflows.tasks]]
name = "t"
width = {width}
cpu = "100m"
duration = "20s"
[[submissions]]
workflow = "w"
"#
    )
}

/// Labels (podGC none) go through AddRateLimited, and every update re-adds every finished pod
/// still waiting: tokens far outnumber pods, and the last label lands no earlier than the
/// bucket allows for all of them, `(adds - burst) / qps` after the first add.
#[test]
fn duplicate_adds_take_tokens_and_push_the_last_label_out() {
    let r = run(&fan(2000, "none", "4h"), 1);
    assert_eq!(r.workflows.succeeded, 1);
    let c = &r.controller.pod_cleanup;
    assert_eq!(c.done, 2000);
    assert_eq!(c.delayed_adds, 0);
    assert!(
        c.rate_limited_adds > 2 * c.done,
        "re-adds after every update: {c:?}"
    );
    // The bucket starts full at t = 0, before the first add.
    let bound = (c.rate_limited_adds - 100) as f64 / 10.0;
    let drained = c.drained_at_s.expect("cleanups happened");
    assert!(
        drained >= bound,
        "drained at {drained} s < bucket bound {bound} s"
    );
    assert!(c.backlog_at_last_finish > 0, "{c:?}");
    assert!(!c.cut_at_horizon);
    // The run lasts until the queue is empty; the bill stops with the workload.
    assert_eq!(r.end_time_s, drained);
    assert!(r.end_time_s > r.workflows.makespan_s.max + 60.0);
    assert_eq!(r.cost.billed_until_s, r.workflows.makespan_s.max);
    let nodes_usd = 30.0 * r.cost.billed_until_s / 3600.0;
    assert!((r.cost.by_pool[0].usd - nodes_usd).abs() < 1e-9 * nodes_usd);
}

/// OnPodCompletion with the default 5 s podGCDeleteDelayDuration: AddAfter, no token; every
/// pod waits at least the delay.
#[test]
fn delayed_deletes_take_no_token() {
    let r = run(&fan(500, "OnPodCompletion", "4h"), 1);
    let c = &r.controller.pod_cleanup;
    assert_eq!(c.done, 500);
    assert_eq!(r.controller.pods_deleted, 500);
    assert_eq!(c.rate_limited_adds, 0);
    assert!(c.delayed_adds >= 500, "{c:?}");
    assert!(c.latency_s.p50 >= 5.0 && c.latency_s.count == 500, "{c:?}");
}

/// OnWorkflowCompletion: `determinePodCleanupAction` returns noAction while the workflow
/// runs, so no pod is touched (all stay in the informer) until the completing update, which
/// deletes them all after the delay.
#[test]
fn workflow_completion_gc_waits_for_the_workflow() {
    let r = run(&fan(300, "OnWorkflowCompletion", "4h"), 1);
    let c = &r.controller.pod_cleanup;
    assert_eq!(c.done, 300);
    assert_eq!(r.controller.pods_deleted, 300);
    assert_eq!(
        c.delayed_adds, 300,
        "one AddAfter per pod, at completion only"
    );
    assert_eq!(c.backlog_at_last_finish, 300);
    assert!(c.drained_at_s.unwrap() >= r.workflows.makespan_s.max + 5.0);
}

/// A horizon inside the cleanup tail: every workflow finished, but pods are still queued; the
/// report says the cleanup was cut and the run ends at the horizon.
#[test]
fn a_cleanup_tail_cut_by_the_horizon_is_reported() {
    let r = run(&fan(2000, "none", "6m"), 1);
    assert_eq!(r.workflows.succeeded, 1);
    assert!(!r.horizon_reached, "the workload itself finished");
    let c = &r.controller.pod_cleanup;
    assert!(c.cut_at_horizon, "{c:?}");
    assert!(c.done < 2000);
    assert_eq!(r.end_time_s, 360.0);
}
