//! Closed forms through the whole system: token buckets, the requeue-bound DAG chain, waves of
//! a fan-out wider than the cluster, and the Workflow object size limits.

use crate::common::{Minimal, minimal, run, task, throttle};
use argosim::metrics::RunReport;

// ------------------------------------------------------------------ token bucket

/// `n` one-pod workflows submitted at t = 0 through the Argo Server, each by its own client
/// (so no submission waits for another's response), sharing the server's kube bucket.
fn argo_server_burst(n: u32, qps: f64, burst: u32, auth: &str) -> RunReport {
    let toml = minimal()
        .nodes(2, "16")
        .task(task("t", "10s"))
        .argo_server(&format!("auth_mode = {auth:?}"))
        .argo_server(&format!("kube_api_qps = {qps:?}"))
        .argo_server(&format!("kube_api_burst = {burst}"))
        .submission("via = \"argo-server\"")
        .submission(&format!("count = {n}"))
        .submission(&format!("clients = {n}"))
        .toml();
    run(&toml, 1)
}

/// client-go: with qps q and burst b (bucket starts full), the k-th of n simultaneous
/// requests waits max(0, (k − b)/q).
fn waits(n: u32, q: f64, b: u32) -> Vec<f64> {
    (1..=n)
        .map(|k| ((f64::from(k) - f64::from(b)) / q).max(0.0))
        .collect()
}

#[test]
fn token_bucket_closed_form_through_argo_server() {
    // q = 7.5 so that no (k − b)/q lands exactly on 1 s (see the equality test below).
    let (n, q, b) = (40u32, 7.5, 5u32);
    let r = run_checked(argo_server_burst(n, q, b, "server"));
    let t = throttle(&r, "argo-server");
    let w = waits(n, q, b);
    assert_eq!((t.qps, t.burst), (q, b));
    assert_eq!(t.requests, u64::from(n), "one CREATE per workflow, no GETs");
    assert_eq!(t.throttled, u64::from(n - b), "all but the first b wait");
    let worst = (f64::from(n) - f64::from(b)) / q;
    assert!(
        (t.max_wait_s - worst).abs() < 1e-3,
        "max wait {} want (n-b)/q = {worst}",
        t.max_wait_s
    );
    let total: f64 = w.iter().sum();
    assert!(
        (t.total_wait_s - total).abs() < 1e-3,
        "total {} want {total}",
        t.total_wait_s
    );
    let logged = w.iter().filter(|&&x| x > 1.0).count() as u64;
    assert_eq!(logged, 28);
    assert_eq!(t.logged_waits, logged, "waits above 1 s");
    assert_eq!(
        t.worst_message,
        format!(
            "Waited for {worst:.2}s due to client-side throttling, not priority and fairness, request: CREATE:workflows"
        )
    );
    // The waits delay the CREATEs: the last workflow is created (n − b)/q after submission.
    assert!(r.workflows.submission_latency_s.max >= worst);
    assert!(r.workflows.submission_latency_s.max < worst + 0.5);
    assert_eq!(r.workflows.succeeded, u64::from(n));
}

#[test]
fn throttle_wait_of_exactly_one_second_is_not_logged() {
    // q = 10, b = 5: request k = 15 waits exactly (15 − 5)/10 = 1 s. client-go's
    // tryThrottleWithInfo logs `if latency > extraLongThrottleLatency` (strictly above 1 s), and
    // ThrottleReport::logged_waits documents "waits above ... 1 s": k = 16..=40 → 25 lines.
    let (n, q, b) = (40u32, 10.0, 5u32);
    let r = argo_server_burst(n, q, b, "server");
    let t = throttle(&r, "argo-server");
    let logged = waits(n, q, b).iter().filter(|&&x| x > 1.0).count() as u64;
    assert_eq!(logged, 25);
    assert_eq!(t.logged_waits, logged);
}

#[test]
fn argo_server_client_auth_mode_gives_each_request_a_fresh_bucket() {
    let r = run_checked(argo_server_burst(40, 7.5, 5, "client"));
    let t = throttle(&r, "argo-server");
    assert_eq!(t.requests, 40);
    assert_eq!(t.throttled, 0);
    assert_eq!(t.max_wait_s, 0.0);
}

// ------------------------------------------------------------------ DAG chain

const CHAIN: u32 = 5;
const STEP: f64 = 60.0;

fn chain(requeue: Option<&str>) -> Minimal {
    let mut m = minimal();
    for i in 0..CHAIN {
        let mut t = task(&format!("t{i}"), "60s").cpu("1");
        if i > 0 {
            t = t.after(&[&format!("t{}", i - 1)]);
        }
        m = m.task(t);
    }
    if let Some(r) = requeue {
        m = m.controller(&format!("default_requeue_time = {r:?}"));
    }
    m
}

/// The executor image's pull on a fresh node: `image_pull_overhead` 1 s + 128 MiB at
/// 75 MiB/s (kubelet defaults, argo-facts §11.6).
const EXEC_PULL: f64 = 1.0 + 128.0 / 75.0;

fn makespan(r: &RunReport) -> f64 {
    assert_eq!(r.workflows.list.len(), 1);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Succeeded", "{}", w.message);
    w.makespan_s.expect("finished")
}

#[test]
fn dag_chain_pays_the_requeue_once_per_step() {
    // Each step: the pod's completion is only seen when the workflow is requeued
    // DEFAULT_REQUEUE_TIME (10 s) after the wait container's TaskResult write at main exit;
    // the next pod then needs sandbox (1 s) + init (1 s) before its main container starts.
    let r = run_checked(run(&chain(None).toml(), 1));
    let m = makespan(&r);
    let n = f64::from(CHAIN);
    assert!(m >= n * (STEP + 10.0), "makespan {m} < N(d + 10 s)");
    assert!(
        m >= n * (STEP + 10.0 + 2.0),
        "makespan {m} < N(d + 10 s + 2 s)"
    );
    // Above that only API service times (ms), the scheduler cycle (10 ms), and the first
    // pod's two pulls remain: argoexec before init (1 s + 128 MiB at 75 MiB/s) and the tiny
    // main image after it (1 s overhead): allow 0.5 s per step plus those and 0.5 s.
    assert!(
        m <= n * (STEP + 12.5) + EXEC_PULL + 1.5,
        "makespan {m}: more than start-up + requeue per step"
    );
    assert_eq!(
        r.pods.image_pulls, 2,
        "argoexec and one tiny image, pulled once each"
    );
    assert_eq!(r.pods.created, u64::from(CHAIN));
}

#[test]
fn shorter_requeue_shortens_every_step_by_the_difference() {
    let slow = makespan(&run_checked(run(&chain(Some("10s")).toml(), 1)));
    let fast = makespan(&run_checked(run(&chain(Some("2s")).toml(), 1)));
    let default = makespan(&run_checked(run(&chain(None).toml(), 1)));
    assert_eq!(slow, default, "DEFAULT_REQUEUE_TIME defaults to 10s");
    // With 2 s the completion (wait container 1 s + status PATCH ~15 ms) is already visible
    // at the requeue, so every step shrinks by exactly 10 − 2 = 8 s; pod start-up, the wait
    // container and API latencies are identical constants in both runs, so only the ordering
    // of ms-scale API completions could differ: 0.1 s per step.
    let diff = slow - fast;
    let want = f64::from(CHAIN) * 8.0;
    assert!(
        (diff - want).abs() <= 0.1 * f64::from(CHAIN),
        "slow {slow} fast {fast}: difference {diff}, want {want}"
    );
    assert!(fast >= f64::from(CHAIN) * (STEP + 2.0));
}

#[test]
fn steps_groups_run_in_sequence() {
    // Three groups (1 step; 3 items + 1 step in parallel; 1 step), 60 s each: every group
    // waits for the previous one's completion, seen at the 10 s requeue, like the DAG chain.
    let mut m = minimal();
    m.kind = "steps".into();
    let toml = m
        .task(task("a", "60s"))
        .task(task("b", "60s").width(3))
        .task(task("c", "60s"))
        .task(task("d", "60s"))
        .toml()
        .replace("name = \"a\"", "name = \"a\"\ngroup = 0")
        .replace("name = \"b\"", "name = \"b\"\ngroup = 1")
        .replace("name = \"c\"", "name = \"c\"\ngroup = 1")
        .replace("name = \"d\"", "name = \"d\"\ngroup = 2");
    let r = run_checked(run(&toml, 1));
    let m = makespan(&r);
    assert!(m >= 3.0 * (STEP + 10.0 + 2.0), "makespan {m}");
    assert!(m <= 3.0 * (STEP + 12.5) + EXEC_PULL + 1.5, "makespan {m}");
    let w = &r.workflows.list[0];
    assert_eq!(w.pods, 6);
    // Steps root + one StepGroup per group + one node per pod (items hang off the group).
    assert_eq!(w.nodes, 1 + 3 + 6);
}

// ------------------------------------------------------------------ waves

fn fanout(width: u32) -> RunReport {
    let toml = minimal()
        .nodes(1, "4")
        .task(task("t", "100s").width(width).cpu("1"))
        .toml();
    run_checked(run(&toml, 1))
}

#[test]
fn fanout_wider_than_the_node_runs_in_waves() {
    // 4000m allocatable, 12 pods of 1 CPU: ceil(12/4) = 3 waves of 100 s.
    let r = fanout(12);
    let m = makespan(&r);
    assert!(m >= 300.0, "makespan {m} < 3 waves x 100 s");
    assert!(
        m < 400.0 + 60.0,
        "makespan {m}: more than 3 waves plus overhead"
    );
    // Exactly the 8 pods that did not fit the first wave were ever Unschedulable.
    assert_eq!(r.pods.pods_by_pending_reason["Unschedulable"], 8);
    assert!(r.pods.pending_seconds_by_reason["Unschedulable"] >= 4.0 * 100.0 + 4.0 * 200.0);
    assert_eq!(r.pods.by_phase["Succeeded"], 12);
    assert_eq!(r.pods.overcommitted_binds, 0);
    // The node was never over-committed, and was full while the waves ran.
    let ratio = &r.timeseries.series["cluster_cpu_requested_ratio"];
    let peak = ratio.iter().fold(0.0, f64::max);
    assert_eq!(peak, 1.0, "4 of 4 CPUs requested at the peak");
    let util = r.cost.by_pool[0].cpu_utilisation;
    assert!(util > 0.75 && util <= 1.0, "utilisation {util}");

    let r4 = fanout(4);
    let m4 = makespan(&r4);
    assert!((100.0..200.0).contains(&m4), "one wave: makespan {m4}");
    assert_eq!(r4.pods.pods_by_pending_reason["Unschedulable"], 0);
}

// ------------------------------------------------------------------ object size

/// Size model constants, written out (argo-facts §4.2): spec 5 KiB, pod node 505 B plain or
/// 55 B compressed, virtual node 400 B, 2 × 30 B child references per node beyond the root,
/// 36 B `taskResultsCompletionStatus` per pod (never compressed).
const SPEC: u64 = 5 * 1024;
const MIB: u64 = 1024 * 1024;
/// Virtual nodes of a one-task fan-out: the DAG root and the TaskGroup.
const VIRTUAL: u64 = 2;

fn plain_bytes(pods: u64) -> u64 {
    SPEC + 505 * pods + 400 * VIRTUAL + (pods + VIRTUAL - 1) * 2 * 30 + 36 * pods
}

fn compressed_bytes(pods: u64) -> u64 {
    SPEC + 55 * (pods + VIRTUAL) + 36 * pods
}

/// Smallest pod count whose `f(pods)` exceeds `limit`.
fn threshold(limit: u64, f: fn(u64) -> u64) -> u64 {
    (1..).find(|&p| f(p) > limit).unwrap()
}

/// Most pods one reconcile can create: MAX_OPERATION_TIME (30 s) of CREATEs through the
/// controller's kube bucket (20 qps, burst 30), plus the one started just before the deadline.
const MAX_PODS_PER_RECONCILE: u64 = 30 + 20 * 30 + 1;

fn wide(width: u32, controller: &[&str], apiserver: &[&str]) -> RunReport {
    let mut m = minimal()
        .nodes(1, "16")
        .task(task("t", "1s").width(width).cpu("10m"))
        .workflow("spec_bytes = 5120")
        .controller("pod_node_status_bytes = 505")
        .controller("virtual_node_status_bytes = 400")
        .controller("compressed_node_bytes = 55");
    for l in controller {
        m = m.controller(l);
    }
    for l in apiserver {
        m = m.apiserver(l);
    }
    // 16 CPUs / 10m = 1600 pods at a time, but maxPods = 110 per node bounds it.
    run_checked(run(&m.toml(), 1))
}

/// `wide` for a workflow refused for size: a 1 h horizon, no completion required.
fn wide_refused(width: u32, controller: &[&str], apiserver: &[&str]) -> RunReport {
    let mut m = minimal()
        .nodes(1, "16")
        .experiment("horizon = \"1h\"")
        .task(task("t", "1s").width(width).cpu("10m"))
        .workflow("spec_bytes = 5120")
        .controller("pod_node_status_bytes = 505")
        .controller("virtual_node_status_bytes = 400")
        .controller("compressed_node_bytes = 55");
    for l in controller {
        m = m.controller(l);
    }
    for l in apiserver {
        m = m.apiserver(l);
    }
    let r = run(&m.toml(), 1);
    assert_eq!(r.pods.overcommitted_binds, 0);
    r
}

/// Pod nodes of the stored (frozen) status.
fn stored_nodes(w: &argosim::metrics::WorkflowEntry) -> u64 {
    w.progress
        .split_once('/')
        .and_then(|(_, t)| t.parse().ok())
        .expect("N/M")
}

/// Pods that can be active at once on the one 110-pod node: each is 90 B smaller than a
/// completed node, so a plain object crosses a limit up to this many pods later than
/// `plain_bytes` (which sizes completed nodes) says.
const ACTIVE_SLACK: u64 = 110 * 90 / (505 + 60 + 36) + 1;

/// Checks of a workflow refused for size (operator.go v3.6.19 `persistUpdates` →
/// `persistWorkflowSizeLimitErr` → `markWorkflowPhase`): Error with the API server's text
/// when the stored object has no TaskResult in progress, else frozen Running. With 1 s pods
/// and reconciles up to 30 s apart, the stored status may hold only finished and just-created
/// (Pending) pods, so either can happen; the rule is what is checked. Returns the pod nodes
/// of the stored status.
fn assert_refused(r: &RunReport, width: u64) -> u64 {
    let w = &r.workflows.list[0];
    if w.phase == "Running" {
        assert_eq!(r.workflow_object.size_errors, 0);
        assert!(r.horizon_reached);
        assert!(w.status_frozen);
        assert_eq!(w.message, "");
        assert_eq!(r.workflow_object.size_frozen, 1);
        // The working status goes on: pods already in the informer are not created again
        // (workflowpod.go podExists), the rest are created and all complete.
        assert_eq!(r.pods.created, width);
        assert_eq!(r.pods.by_phase["Succeeded"], width);
        // The completion cannot be written: markWorkflowError panics on a fulfilled workflow.
        assert!(r.workflow_object.size_completion_panics >= 1);
    } else {
        assert_eq!(w.phase, "Error", "{w:?}");
        assert!(w.message.starts_with("Request entity too large"), "{w:?}");
        assert!(!w.status_frozen);
        assert_eq!(r.workflow_object.size_errors, 1);
        assert_eq!(r.workflow_object.size_frozen, 0);
        // No podGC or cleanup on that path; the run stopped creating pods.
        assert!(r.pods.created < width);
    }
    stored_nodes(w)
}

#[test]
fn size_model_thresholds() {
    // The closed forms the tests below rely on: ≈ (1 MiB − 5 KiB)/91 pods compressed.
    assert_eq!(threshold(MIB, compressed_bytes), 11_466);
    assert_eq!(threshold(MIB * 3 / 2, plain_bytes), 2_608);
    assert_eq!(threshold(3 * MIB, plain_bytes), 5_225);
    assert!(plain_bytes(3_000) > MIB && compressed_bytes(3_000) < MIB);
}

#[test]
fn fanout_past_max_workflow_size_is_refused_at_the_compressed_threshold() {
    let r = wide_refused(12_000, &[], &[]);
    let stored = assert_refused(&r, 12_000);
    // The first refused update is the first whose compressed size is above 1 MiB (compressed
    // nodes do not grow at completion): the stored status is the write before it, at most one
    // reconcile's pods short of the threshold.
    let t = threshold(MIB, compressed_bytes);
    assert!(
        (t - MAX_PODS_PER_RECONCILE..t).contains(&stored),
        "frozen at {stored} pod nodes, threshold {t}"
    );
    // Dehydrate failed and the nodes were restored: the PUT is plain (> 3 MiB: 413).
    assert!(plain_bytes(t) > 3 * MIB);
    assert!(r.api.status_413 >= 1);
    assert_eq!(r.api.status_413, r.workflow_object.size_refused_updates);
    assert_eq!(r.workflows.list[0].storage, "compressed");
    assert!(
        r.workflow_object.peak_bytes <= MIB,
        "nothing above 1 MiB was stored"
    );
}

#[test]
fn node_status_offload_avoids_the_size_error() {
    let r = wide(12_000, &["node_status_offload = true"], &[]);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Succeeded", "{}", w.message);
    assert_eq!(r.workflow_object.offloaded, 1);
    assert_eq!(r.workflow_object.size_errors, 0);
    assert_eq!(w.storage, "offloaded");
    assert_eq!(w.pods, 12_000);
    assert_eq!(w.nodes, 12_000 + VIRTUAL);
    assert_eq!(
        r.workflow_object.peak_uncompressed_bytes,
        plain_bytes(12_000)
    );
    // Nothing above MAX_WORKFLOW_SIZE was ever written.
    assert!(r.workflow_object.peak_bytes <= MIB);
}

#[test]
fn fanout_of_3000_is_stored_compressed_and_succeeds() {
    let r = wide(3_000, &[], &[]);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Succeeded", "{}", w.message);
    assert_eq!(w.storage, "compressed");
    assert_eq!(r.workflow_object.compressed, 1);
    assert_eq!(r.workflow_object.peak_nodes, 3_000 + VIRTUAL);
    assert_eq!(
        r.workflow_object.peak_uncompressed_bytes,
        plain_bytes(3_000)
    );
    assert!(r.workflow_object.peak_bytes <= MIB);
}

#[test]
fn raised_max_workflow_size_hits_etcd_limit_first_and_stalls_until_compression() {
    // MAX_WORKFLOW_SIZE = 4 MiB keeps the object plain; the plain object passes etcd's
    // 1.5 MiB (at ~2,608 pods) long before the apiserver's 3 MiB (5,225 pods): etcd refuses
    // every write past it ("request is too large", which `IsRequestEntityTooLargeErr` treats
    // like a 413), and the stored status stays frozen (its TaskResults are in progress) while
    // the working status grows. Once that passes 4 MiB the packer compresses it, the PUT fits
    // and the workflow catches up and succeeds: a stall, not a failure.
    let r = wide(8_000, &["max_workflow_size = \"4Mi\""], &[]);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Succeeded", "{w:?}");
    assert_eq!(w.storage, "compressed");
    assert!(plain_bytes(8_000) > 4 * MIB);
    assert!(r.api.etcd_too_large >= 1);
    assert_eq!(
        r.api.etcd_too_large + r.api.status_413,
        r.workflow_object.size_refused_updates
    );
    // Nothing between 1.5 MiB and 4 MiB was ever stored.
    assert!(r.workflow_object.peak_bytes <= MIB * 3 / 2);
    assert_eq!(r.workflow_object.size_frozen, 0);
}

#[test]
fn with_a_larger_etcd_limit_the_apiserver_body_limit_is_hit() {
    let r = wide(
        8_000,
        &["max_workflow_size = \"4Mi\""],
        &["etcd_max_request_bytes = \"8Mi\""],
    );
    let w = &r.workflows.list[0];
    // persistWorkflowSizeLimitErr marks the workflow Error with the server's text only if the
    // stored status had no TaskResult in progress at that moment (all pods of a wave done):
    // which one happens depends on the timing of waves, so both are accepted, each with its
    // own evidence.
    match w.phase {
        "Succeeded" => assert_eq!(w.storage, "compressed", "{w:?}"),
        "Error" => assert_eq!(w.message, "Request entity too large: limit is 3145728"),
        other => panic!("phase {other}: {w:?}"),
    }
    assert!(r.api.status_413 >= 1);
    assert_eq!(r.api.etcd_too_large, 0);
    assert_eq!(r.api.status_413, r.workflow_object.size_refused_updates);
    // The largest stored object is a plain one under 3 MiB, written before the refusals.
    let t = threshold(3 * MIB, plain_bytes);
    assert!(r.workflow_object.peak_bytes <= 3 * MIB);
    assert!(r.workflow_object.peak_bytes > plain_bytes(t - MAX_PODS_PER_RECONCILE - ACTIVE_SLACK));
}

// ------------------------------------------------------------------ cost

#[test]
fn cost_is_node_hours_times_price_plus_control_plane() {
    // 1 node at $1/h, control plane $0.10/h, billed to the last completion (the pod-cleanup
    // tail after it is not billed).
    let r = run_checked(run(&chain(None).toml(), 1));
    assert_eq!(r.cost.billed_until_s, r.workflows.makespan_s.max);
    assert!(r.end_time_s >= r.cost.billed_until_s);
    let hours = r.cost.billed_until_s / 3600.0;
    assert!((r.cost.by_pool[0].node_hours - hours).abs() < 1e-12);
    assert!((r.cost.by_pool[0].usd - hours).abs() < 1e-12);
    assert!((r.cost.control_plane_usd - 0.1 * hours).abs() < 1e-12);
    assert!((r.cost.total_usd - 1.1 * hours).abs() < 1e-9);
    // One workflow: it carries all the node cost.
    assert!((r.workflows.list[0].cost_usd - hours).abs() < 1e-9);
    assert!((r.cost.per_workflow_usd - r.cost.total_usd).abs() < 1e-12);
}

#[test]
fn workflow_cost_ignores_pods_that_never_ran() {
    // Two workflows on one 16-CPU node, horizon 2 h: `big` asks for 64 CPUs and stays
    // Unschedulable; `small` runs one 1-CPU pod for an hour. The node-hour share by requested
    // cpu-seconds should give everything to `small` (the only pod that held a node); the
    // Pending pod has no node and no running time.
    let toml = r#"
[experiment]
horizon = "2h"
[[cluster.pools]]
name = "p"
cpu = "16"
allocatable_cpu = "16"
memory = "64Gi"
price_per_hour = 1.0
nodes = 1
[[workflows]]
name = "big"
[[workflows.tasks]]
name = "t"
cpu = "64"
duration = "1m"
[[workflows]]
name = "small"
[[workflows.tasks]]
name = "t"
cpu = "1"
duration = "1h"
[[submissions]]
workflow = "big"
[[submissions]]
workflow = "small"
"#;
    let r = run(toml, 1);
    assert!(r.horizon_reached);
    let cost = |name: &str| {
        r.workflows
            .list
            .iter()
            .find(|w| w.name.starts_with(name))
            .unwrap()
            .cost_usd
    };
    assert_eq!(r.pods.by_phase["Pending"], 1);
    assert_eq!(cost("big"), 0.0, "a pod that never ran costs nothing");
    assert!((cost("small") - 2.0).abs() < 1e-9);
}

#[test]
fn cpu_utilisation_is_at_most_one_when_an_errored_workflow_leaves_pods_running() {
    // etcd accepts at most 12 KiB: the first PUT after the 16 pods are created (5 KiB spec +
    // 16 × ~600 B) is refused, so the workflow errors at ~0.3 s while its 16 pods go on to run
    // for an hour. The run keeps processing their events, but the report ends at the last
    // workflow completion and divides the node usage integral (an hour of 16 CPUs) by 0.3 s.
    // Mean requested/allocatable CPU can never exceed 1.
    let toml = minimal()
        .nodes(1, "16")
        .apiserver("etcd_max_request_bytes = \"12Ki\"")
        .task(task("t", "1h").width(16).cpu("1"))
        .toml();
    let r = run(&toml, 1);
    let w = &r.workflows.list[0];
    // The stored object (written before the pods existed) has no TaskResult in progress, so
    // persistWorkflowSizeLimitErr marks it Error with etcd's text.
    assert_eq!(w.phase, "Error", "{w:?}");
    assert_eq!(w.message, "etcdserver: request is too large");
    let util = r.cost.by_pool[0].cpu_utilisation;
    assert!(util <= 1.0, "cpu_utilisation {util} > 1");
}

/// Checks shared by every closed-form run: it finished and nothing was over-committed.
fn run_checked(r: RunReport) -> RunReport {
    assert!(!r.horizon_reached, "run hit the horizon");
    assert_eq!(r.pods.overcommitted_binds, 0);
    r
}
