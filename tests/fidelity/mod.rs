//! Controller fidelity to Argo v3.6.19 (issue "every API call, event, requeue and cleanup"):
//! per-workflow request tables and requeue behaviour pinned to the upstream code paths.

mod cleanup;
mod pods;
mod size;

use crate::common::run;
use argosim::metrics::RunReport;

/// One one-pod DAG workflow submitted with kubectl, on a node with the image cached.
fn one_pod(duration: &str, extra_task: &str, pod_gc: &str) -> String {
    format!(
        r#"
[[cluster.pools]]
name = "p"
cpu = "16"
memory = "64Gi"
price_per_hour = 1.0
nodes = 1
[[workflows]]
name = "w"
pod_gc = "{pod_gc}"
[[workflows.tasks]]
name = "t"
cpu = "100m"
duration = "{duration}"
{extra_task}
[[submissions]]
workflow = "w"
via = "kubectl"
"#
    )
}

fn count(r: &RunReport, client: &str, verb: &str, resource: &str) -> u64 {
    r.api
        .by_client
        .iter()
        .filter(|x| x.client == client && x.verb == verb && x.resource == resource)
        .map(|x| x.count)
        .sum()
}

fn client_total(r: &RunReport, client: &str) -> u64 {
    r.api
        .by_client
        .iter()
        .filter(|x| x.client == client)
        .map(|x| x.count)
        .sum()
}

const KUBE: &str = "workflow-controller (kube)";
const WF: &str = "workflow-controller (workflow)";

/// operator.go v3.6.19: `operate` → `artifactRepositories.Resolve` (1 ConfigMap GET),
/// pod CREATE, `recordNodePhaseChangeEvents` + `markWorkflowPhase` (6 Events: WorkflowRunning,
/// NodeRunning ×2, NodeSucceeded ×2, WorkflowSucceeded), `persistUpdates` (3 Updates) →
/// `deleteTaskResults` (1 DeleteCollection); pod_cleanup.go labels the pod (1 PATCH) or, under
/// OnPodSuccess, deletes it (argo-facts §11.2).
#[test]
fn one_pod_dag_request_table_matches_v3_6() {
    let r = run(&one_pod("60s", "", "none"), 1);
    assert_eq!(r.workflows.succeeded, 1);
    assert_eq!(count(&r, KUBE, "get", "configmaps"), 1);
    assert_eq!(count(&r, KUBE, "create", "pods"), 1);
    assert_eq!(count(&r, KUBE, "create", "events"), 6);
    assert_eq!(count(&r, KUBE, "patch", "pods"), 1);
    assert_eq!(client_total(&r, KUBE), 9, "{:#?}", r.api.by_client);
    assert_eq!(count(&r, WF, "update", "workflows"), 3);
    assert_eq!(count(&r, WF, "deletecollection", "workflowtaskresults"), 1);
    assert_eq!(client_total(&r, WF), 4, "{:#?}", r.api.by_client);
    assert_eq!(r.controller.events_sent, 6);
    assert_eq!(r.controller.events_dropped, 0);

    let r = run(&one_pod("60s", "", "OnPodSuccess"), 1);
    assert_eq!(count(&r, KUBE, "delete", "pods"), 1);
    assert_eq!(count(&r, KUBE, "patch", "pods"), 0);
    assert_eq!(client_total(&r, KUBE), 9, "{:#?}", r.api.by_client);
    assert_eq!(client_total(&r, WF), 4, "{:#?}", r.api.by_client);
}

/// taskresult.go: a progress patch that changes nothing is a no-op the apiserver turns into no
/// watch event, so it does not requeue; the 30-minute pod reconciles on pod add/bind/status,
/// TaskResult create/outputs/finalize and the 20-minute resync only (argo-facts §11.3).
#[test]
fn long_single_pod_reconciles_a_handful_of_times_while_argoexec_patches_each_minute() {
    let r = run(&one_pod("30m", "", "none"), 1);
    assert_eq!(r.workflows.succeeded, 1);
    let progress = count(&r, "argoexec", "patch", "workflowtaskresults");
    // 29 ticks inside 30 minutes + ReportOutputs + FinalizeOutput.
    assert_eq!(progress, 29 + 2);
    let reconciles = r.controller.reconciles;
    assert!((3..=8).contains(&reconciles), "{reconciles} reconciles");

    // A step that reports progress changes its TaskResult each tick: each one requeues.
    let r = run(&one_pod("30m", "progress = true", "none"), 1);
    assert!(
        r.controller.reconciles >= reconciles + 25,
        "{} vs {reconciles}",
        r.controller.reconciles
    );
}

/// pod/controller.go: the controller's own pod CREATE is an informer add that calls
/// AddRateLimited (10 s), so a workflow whose pod waits for a slow image pull is reconciled
/// 10 s after pod creation although nothing finished (argo-facts §11.3).
#[test]
fn requeue_clock_starts_at_pod_creation() {
    let slow_pull = "image = \"example.com/big:1\"\nimage_size = \"3Gi\"";
    let r = run(&one_pod("60s", slow_pull, "none"), 1);
    assert_eq!(r.workflows.succeeded, 1);
    // Reconcile at creation, 10 s after the pod add, at main start (+10 s), after exit.
    assert!(
        r.controller.reconciles >= 4,
        "{} reconciles",
        r.controller.reconciles
    );
    // The pull takes well over 10 s, so the post-add reconcile saw an unchanged Pending pod.
    assert!(r.pods.image_pull_s.max > 10.0, "{:?}", r.pods.image_pull_s);
}

/// throttler: among waiting workflows the higher `priority` is admitted first.
#[test]
fn parallelism_admits_by_priority_then_creation() {
    let text = r#"
[[cluster.pools]]
name = "p"
cpu = "16"
memory = "64Gi"
price_per_hour = 1.0
nodes = 1
[controller]
parallelism = 1
[[workflows]]
name = "low"
[[workflows.tasks]]
name = "t"
duration = "60s"
[[workflows]]
name = "high"
priority = 10
[[workflows.tasks]]
name = "t"
duration = "60s"
[[submissions]]
workflow = "low"
count = 3
interval = "1s"
[[submissions]]
workflow = "high"
start = "2s"
"#;
    let r = run(text, 1);
    let finished = |prefix: &str| -> Vec<f64> {
        r.workflows
            .list
            .iter()
            .filter(|w| w.name.starts_with(prefix))
            .map(|w| w.finished_at_s.expect("finished"))
            .collect()
    };
    let high = finished("high")[0];
    let low = finished("low");
    // low-0 runs first; high (submitted after low-1 and low-2) is admitted next.
    assert!(low[0] < high, "{low:?} {high}");
    assert!(high < low[1] && high < low[2], "{low:?} {high}");
}

/// sync_manager.go `TryAcquire`: every reconcile GETs the semaphore ConfigMap (uncached, kube
/// clientset) once per unfinished node holding or waiting for a ConfigMap semaphore; mutexes
/// need no ConfigMap. The only other ConfigMap GET is each workflow's artifact repository.
#[test]
fn semaphore_nodes_get_the_configmap_each_reconcile_mutexes_do_not() {
    let path = crate::common::crate_path("scenarios/semaphores.toml");
    let text = std::fs::read_to_string(path).expect("scenario");
    let r = run(&text, 1);
    let wfs = r.workflows.submitted;
    let gets = count(&r, KUBE, "get", "configmaps");
    assert!(
        gets > wfs + r.controller.reconciles / 2,
        "{gets} GETs for {wfs} workflows"
    );
    let mutex_only = text.replace("semaphore = \"db-writers\"", "mutex = \"db-writers\"");
    assert_ne!(mutex_only, text);
    let r = run(&mutex_only, 1);
    assert_eq!(count(&r, KUBE, "get", "configmaps"), r.workflows.submitted);
}
