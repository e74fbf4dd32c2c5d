//! A Workflow too large even after compression (argo-facts §11.5), pinned to v3.6.19:
//! `workflow/packer/packer.go` `compressWorkflow` restores the uncompressed nodes,
//! `workflow/hydrator/hydrator.go` `Dehydrate` fails without offload,
//! `workflow/controller/operator.go` `persistUpdates` calls `markWorkflowError` and PUTs the
//! uncompressed object, `persistWorkflowSizeLimitErr` falls back to the stored object, and
//! `markWorkflowPhase` refuses to complete it while `TaskResultsInProgress`.

use crate::common::run;

/// A steps workflow: one pod, then `width` pods in one group, under a small MAX_WORKFLOW_SIZE
/// and a fast controller so the whole second group is created in one reconcile.
fn two_groups(width: u32, max_size: &str) -> String {
    format!(
        r#"
[experiment]
horizon = "2h"
[[cluster.pools]]
name = "p"
cpu = "64"
memory = "256Gi"
price_per_hour = 1.0
nodes = 100
[controller]
qps = 2000
burst = 4000
max_workflow_size = "{max_size}"
[[workflows]]
name = "w"
kind = "steps"
[[workflows.tasks]]
name = "first"
group = 0
cpu = "100m"
duration = "30s"
[[workflows.tasks]]
name = "wide"
group = 1
width = {width}
cpu = "100m"
duration = "5m"
[[submissions]]
workflow = "w"
"#
    )
}

/// The stored object had no TaskResult in progress (the first group is done, the second's
/// pods were still Pending when stored) when more of the second group pushed the compressed
/// size past MAX_WORKFLOW_SIZE: the uncompressed PUT (~2 MB) is refused by etcd, and
/// `persistWorkflowSizeLimitErr` marks the stored object Error with the API's text. Its
/// progress is the stored one: the first group's pod done, fewer nodes than pods created.
#[test]
fn refused_update_marks_error_with_the_api_text_when_no_result_is_in_progress() {
    let r = run(&two_groups(5000, "256Ki"), 1);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Error", "{w:?}");
    assert_eq!(w.message, "etcdserver: request is too large", "{w:?}");
    let (done, total) = progress(&w.progress);
    assert_eq!(done, 1, "{w:?}");
    assert!(total > 1 && total < w.pods, "{w:?}");
    assert!(!w.status_frozen);
    assert_eq!(r.workflow_object.size_refused_updates, 1);
    assert_eq!(r.workflow_object.size_errors, 1);
    // persistWorkflowSizeLimitErr returns before queuePodsForCleanup, and a completed workflow
    // is not reconciled again: only the first group's pod is ever labelled.
    assert_eq!(r.controller.pod_cleanup.done, 1);
}

/// Compression fails on the reconcile that creates the second group while no TaskResult is in
/// progress: `markWorkflowError` takes effect on the working status, and the uncompressed
/// object (~1,000 pending nodes of ~415 B) fits under etcd's 1.5 MiB, so it is stored plain,
/// in Error with the packer's message.
#[test]
fn uncompressed_object_under_the_etcd_limit_is_stored_with_the_packer_error() {
    let r = run(&two_groups(1000, "64Ki"), 1);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Error", "{w:?}");
    assert!(
        w.message
            .starts_with("workflow is longer than maximum allowed size. compressed size ")
            && w.message.ends_with("offload node status is not supported"),
        "{}",
        w.message
    );
    assert_eq!(w.storage, "plain");
    assert_eq!(r.workflow_object.size_refused_updates, 0);
}

/// The uncompressed object fits etcd while pods run (no Error: their TaskResults are in
/// progress), until completing nodes grow it past 1.5 MiB: from then on every update is
/// refused, the stored object keeps TaskResults in progress so it can never be marked Error,
/// and the workflow stays Running with a frozen progress until the horizon (the symptom of
/// argo-workflows issue #913). Once all pods are done the completion cannot be written either
/// (`markWorkflowPhase` "workflow is already fulfilled" panic, recovered).
#[test]
fn refused_updates_with_results_in_progress_freeze_the_workflow_running() {
    let r = run(&two_groups(3000, "256Ki"), 1);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Running", "{w:?}");
    assert!(w.status_frozen);
    assert!(r.horizon_reached);
    assert_eq!(w.storage, "plain");
    let (done, total) = progress(&w.progress);
    assert!(done < total && total <= w.pods, "{w:?}");
    assert!(r.workflow_object.size_refused_updates >= 1);
    assert!(r.workflow_object.size_completion_panics >= 1);
    assert_eq!(r.workflow_object.size_frozen, 1);
    assert_eq!(r.pods.by_phase.get("Succeeded"), Some(&3001));
}

fn progress(p: &str) -> (u64, u64) {
    let (d, t) = p.split_once('/').expect("N/M");
    (d.parse().expect("N"), t.parse().expect("M"))
}
