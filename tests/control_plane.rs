//! Control-plane mechanisms (issue "Argo control plane at v3.6 fidelity"): each test runs a
//! scenario from `scenarios/` or a small inline one and checks direction and magnitude against
//! arithmetic from first principles (GET counts × bucket rates, queue and limiter rates, the
//! byte model), not against tuned constants.

use argosim::metrics::RunReport;
use argosim::scenario::{self, Scenario};

fn load(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn load_with(name: &str, edit: impl Fn(&mut toml::Table)) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    let mut doc: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    edit(&mut doc);
    scenario::parse(name, &toml::to_string(&doc).unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

fn set(doc: &mut toml::Table, table: &str, key: &str, v: toml::Value) {
    doc.entry(table)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .unwrap()
        .insert(key.into(), v);
}

fn count(r: &RunReport, client: &str, verb: &str, resource: &str) -> u64 {
    r.api
        .by_client
        .iter()
        .filter(|x| x.client == client && x.verb == verb && x.resource == resource)
        .map(|x| x.count)
        .sum()
}

fn throttle<'a>(r: &'a RunReport, client: &str) -> &'a argosim::metrics::ThrottleReport {
    r.throttling
        .iter()
        .find(|t| t.client == client)
        .expect("client present")
}

#[test]
fn templaterefs_cost_gets_on_submit_and_first_reconcile() {
    let r = argosim::simulate(&load("templaterefs.toml"), 1);
    // 4 distinct refs × 3 + 8 later uses × 2 = 28 GETs per validation (argo-facts §5.2).
    assert_eq!(
        count(&r, "argo-server", "get", "workflowtemplates"),
        100 * 28
    );
    assert_eq!(count(&r, "argo-server", "create", "workflows"), 100);
    // The controller re-validates with the templates stored at submission: 2 GETs per
    // templateRef task, 12 tasks (argo-facts §11.2, setExecWorkflow).
    assert_eq!(
        count(
            &r,
            "workflow-controller (workflow)",
            "get",
            "workflowtemplates"
        ),
        100 * 24
    );
    // One shared 20 qps / 30 burst bucket: the last of 2,900 requests leaves at (2900-30)/20.
    let max = r.workflows.submission_latency_s.max;
    assert!((max - 143.5).abs() < 0.5, "max submission latency {max}");
    assert_eq!(r.workflows.succeeded, 100);
}

#[test]
fn template_cache_removes_submit_gets() {
    let r = argosim::simulate(&load("templaterefs-cache.toml"), 1);
    assert_eq!(count(&r, "argo-server", "get", "workflowtemplates"), 0);
    // The controller still validates with direct GETs on first reconcile (stored templates:
    // 2 per templateRef task).
    assert_eq!(
        count(
            &r,
            "workflow-controller (workflow)",
            "get",
            "workflowtemplates"
        ),
        100 * 24
    );
    let max = r.workflows.submission_latency_s.max;
    assert!((max - 3.5).abs() < 0.2, "(100-30)/20 = 3.5 s, got {max}");
}

#[test]
fn parallel_cli_submitters_each_pay_their_own_bucket() {
    let r = argosim::simulate(&load("parallel-submitters.toml"), 1);
    // 2 refs × 3 + 18 × 2 = 42 GETs + 1 CREATE through a fresh 5 qps / 10 burst bucket.
    let s = &r.workflows.submission_latency_s;
    assert!(s.p50 >= 6.6 && s.max < 6.7, "(43-10)/5 = 6.6 s: {s:?}");
    let t = throttle(&r, "argo-cli");
    assert_eq!(t.requests, 200 * 43);
    assert_eq!(t.throttled, 200 * 33);
    assert_eq!(
        t.logged_waits, 0,
        "sequential calls never wait a whole second"
    );
}

#[test]
fn controller_throughput_is_bounded_by_the_kube_bucket() {
    let slow = argosim::simulate(&load("controller-throughput.toml"), 1);
    // 1,000 pod CREATEs through 20 qps / 30 burst: the last leaves no earlier than 48.5 s,
    // then its pod runs 30 s.
    assert!(
        slow.workflows.makespan_s.max >= 48.5 + 30.0,
        "{:?}",
        slow.workflows.makespan_s
    );
    let kube = throttle(&slow, "workflow-controller (kube)");
    // Per workflow the kube clientset makes 1 artifact-repository ConfigMap GET, 1 pod CREATE
    // and 1 label PATCH, plus the Events its namespace's sink gets through: one write at a
    // time behind the saturated bucket, so most of the 6 per workflow are dropped at the
    // 1,000-entry buffer (argo-facts §11.1). client-go prints its "Waited for" line (> 1 s).
    let events = count(&slow, "workflow-controller (kube)", "create", "events");
    assert_eq!(events, slow.controller.events_sent);
    assert_eq!(kube.requests, 3 * 1000 + events);
    assert_eq!(
        slow.controller.events_sent + slow.controller.events_dropped,
        6 * 1000,
        "every recorded event is either written or dropped"
    );
    assert!(
        slow.controller.events_dropped > 1000,
        "{:?}",
        slow.controller
    );
    assert!(kube.logged_waits > 1000, "{kube:?}");
    let fast = argosim::simulate(
        &load_with("controller-throughput.toml", |d| {
            set(d, "controller", "qps", 100.into());
            set(d, "controller", "burst", 150.into());
        }),
        1,
    );
    assert!(
        fast.workflows.makespan_s.p95 < 0.8 * slow.workflows.makespan_s.p95,
        "qps 100 p95 {} vs qps 20 p95 {}",
        fast.workflows.makespan_s.p95,
        slow.workflows.makespan_s.p95
    );
    assert!(throttle(&fast, "workflow-controller (kube)").total_wait_s < kube.total_wait_s);
}

/// size-limits.toml: the flat 12,000-pod fan-out outgrows MAX_WORKFLOW_SIZE even compressed
/// while its pods run. v3.6.19 `persistUpdates` PUTs the uncompressed object (> 3 MiB: 413),
/// `persistWorkflowSizeLimitErr` falls back to the stored object, whose TaskResults are in
/// progress, so `markWorkflowPhase` never marks it Error: it stays Running, frozen.
#[test]
fn oversized_workflow_freezes_running_and_offload_saves_it() {
    let r = argosim::simulate(&load("size-limits.toml"), 1);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Running", "{w:?}");
    assert!(w.status_frozen);
    assert!(r.horizon_reached);
    assert_eq!(w.nodes, w.pods + 2);
    assert!(r.workflow_object.peak_uncompressed_bytes > 3 * 1_048_576);
    assert!(r.workflow_object.size_refused_updates >= 1);
    assert_eq!(r.api.status_413, r.workflow_object.size_refused_updates);
    assert_eq!(r.workflow_object.size_frozen, 1);
    assert_eq!(r.pods.by_phase.get("Succeeded"), Some(&12000));

    let off = argosim::simulate(&load("size-limits-offload.toml"), 1);
    assert_eq!(off.workflow_object.offloaded, 1);
    assert_eq!(off.workflows.succeeded, 1);
    assert_eq!(off.workflows.list[0].storage, "offloaded");
    assert!(
        off.workflow_object.peak_bytes <= 1_048_576,
        "never written above MAX_WORKFLOW_SIZE"
    );
}

#[test]
fn parallelism_limits_make_tiers_and_waves() {
    let r = argosim::simulate(&load("parallelism.toml"), 1);
    assert_eq!(r.workflows.succeeded, 6);
    assert_eq!(r.controller.throttled_by_parallelism, 4);
    assert_eq!(
        r.controller.restarts, 0,
        "postponed workflows must not trip /healthz"
    );
    let mut m: Vec<f64> = r
        .workflows
        .list
        .iter()
        .filter_map(|w| w.makespan_s)
        .collect();
    m.sort_by(f64::total_cmp);
    // spec.parallelism 10 over 40 items of 120 s: 4 waves per workflow; 2 workflows at a time.
    for (i, v) in m.iter().enumerate() {
        let tier = (i / 2 + 1) as f64;
        assert!(*v >= tier * 4.0 * 120.0, "workflow {i}: {v} s");
    }
}

/// The shipped backlog scenario (podGC none: labels through `AddRateLimited`): the last
/// label lands long after the workflow, and its delete-based twin drains at worker speed
/// because delayed deletes take no token (argo-facts §11.4).
#[test]
fn pod_cleanup_backlog_outlives_the_workflow() {
    let r = argosim::simulate(&load("pod-cleanup-backlog.toml"), 1);
    let c = &r.controller.pod_cleanup;
    assert_eq!(c.done, 4000);
    assert_eq!(r.controller.pods_deleted, 0, "labels only");
    let makespan = r.workflows.makespan_s.max;
    let bound = (c.rate_limited_adds - 100) as f64 / 10.0;
    assert!(r.end_time_s >= bound && bound > 3.0 * makespan, "{c:?}");
    let sc = load_with("pod-cleanup-backlog.toml", |d| {
        let wfs = d["workflows"].as_array_mut().unwrap();
        wfs[0]
            .as_table_mut()
            .unwrap()
            .insert("pod_gc".into(), "OnPodCompletion".into());
    });
    let d = argosim::simulate(&sc, 1);
    assert_eq!(d.controller.pod_cleanup.rate_limited_adds, 0);
    assert_eq!(d.controller.pods_deleted, 4000);
    assert!(
        d.end_time_s < r.end_time_s / 3.0,
        "{} vs {}",
        d.end_time_s,
        r.end_time_s
    );
}

#[test]
fn controller_oom_loop_and_its_cure() {
    let r = argosim::simulate(&load("controller-oom.toml"), 1);
    let c = &r.controller;
    assert!(c.restarts >= 3, "{c:?}");
    assert_eq!(c.restart_causes.get("OOMKilled"), Some(&c.restarts));
    assert!(r.horizon_reached);
    // Each restart waits at least the 10 s back-off + 15 s lease.
    assert!(c.downtime_s >= 25.0 * (c.restarts - 1) as f64);
    let cured = argosim::simulate(
        &load_with("controller-oom.toml", |d| {
            set(d, "controller", "memory_limit", "1Gi".into())
        }),
        1,
    );
    assert_eq!(cured.controller.restarts, 0);
    assert_eq!(cured.workflows.succeeded, 4);
}

const SMALL: &str = r#"
[[cluster.pools]]
name = "p"
cpu = "16"
memory = "64Gi"
price_per_hour = 1.0
nodes = 4
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
width = 20
cpu = "100m"
duration = "10m"
[[submissions]]
workflow = "w"
"#;

#[test]
fn task_results_and_progress_patches_per_pod() {
    let r = argosim::simulate(&scenario::parse("small", SMALL).unwrap(), 1);
    // Per pod: 1 CREATE (InitializeOutput), 9 progress PATCHes (60 s ticks inside 600 s),
    // then ReportOutputs + FinalizeOutput.
    assert_eq!(count(&r, "argoexec", "create", "workflowtaskresults"), 20);
    assert_eq!(
        count(&r, "argoexec", "patch", "workflowtaskresults"),
        20 * 11
    );
}

#[test]
fn apf_queues_and_max_inflight_rejects() {
    let tiny = |apf: bool| {
        let text = format!(
            "{SMALL}\n[apiserver]\nmax_requests_inflight = 1\nmax_mutating_requests_inflight = 1\npriority_and_fairness = {apf}\nwrite_latency = \"200ms\"\n"
        );
        argosim::simulate(&scenario::parse("tiny", &text).unwrap(), 1)
    };
    let apf = tiny(true);
    assert!(apf.api.peak_queued > 0, "requests wait in APF queues");
    assert_eq!(apf.workflows.succeeded, 1);
    let plain = tiny(false);
    assert!(
        plain.api.status_429 > 0,
        "max-in-flight rejects at once with 429"
    );
    assert_eq!(plain.api.peak_queued, 0);
}

#[test]
fn ttl_deletes_workflows_and_pod_gc_deletes_pods() {
    let text = SMALL
        .replace("name = \"w\"\n[[workflows.tasks]]", "name = \"w\"\nttl_after_completion = \"1m\"\npod_gc = \"OnWorkflowCompletion\"\n[[workflows.tasks]]")
        .replace("duration = \"10m\"", "duration = \"1m\"")
        .replace("workflow = \"w\"\n", "workflow = \"w\"\ncount = 5\ninterval = \"30m\"\n");
    let r = argosim::simulate(&scenario::parse("ttl", &text).unwrap(), 1);
    assert_eq!(r.workflows.succeeded, 5);
    assert_eq!(r.controller.workflows_deleted, 5);
    assert_eq!(
        r.workflow_object.workflows_in_cluster_peak, 1,
        "30 min apart, each deleted after 1 min"
    );
    assert_eq!(r.controller.pods_deleted, 100);
}

#[test]
fn controller_cpu_limit_stretches_reconciles() {
    let many = SMALL
        .replace("workflow = \"w\"\n", "workflow = \"w\"\ncount = 200\n")
        .replace("width = 20", "width = 1");
    let run = |cpu: &str| {
        let text =
            format!("{many}\n[controller]\ncpu = \"{cpu}\"\nreconcile_base_cpu = \"50ms\"\n");
        argosim::simulate(&scenario::parse("cpu", &text).unwrap(), 1)
    };
    let unlimited = run("0");
    let limited = run("100m");
    assert!(
        limited.controller.operation_duration_s.p95 > unlimited.controller.operation_duration_s.p95
    );
    assert!(limited.controller.cpu_busy_cores_mean <= 0.1 + 1e-9);
    assert!(limited.controller.cpu_busy_cores_mean > 0.0);
}

#[test]
fn semaphores_and_mutexes_serialise_with_argos_messages() {
    let r = argosim::simulate(&load("semaphores.toml"), 1);
    assert_eq!(r.workflows.succeeded, 3);
    let mut m: Vec<f64> = r
        .workflows
        .list
        .iter()
        .filter_map(|w| w.makespan_s)
        .collect();
    m.sort_by(f64::total_cmp);
    // Semaphore 3 over 12 writers of 60 s: 4 waves; the mutex runs the workflows one by one.
    for (i, v) in m.iter().enumerate() {
        assert!(*v >= (i + 1) as f64 * 4.0 * 60.0, "workflow {i}: {v}");
    }
    assert!(
        m[0] < 2.0 * 4.0 * 60.0,
        "one workflow alone is not serialised twice: {}",
        m[0]
    );
    let msgs = &r.controller.lock_messages;
    assert!(
        msgs.contains_key(
            "Waiting for argo/ConfigMap/semaphore-config/db-writers lock. Lock status: 0/3"
        ),
        "{msgs:?}"
    );
    assert!(
        msgs.contains_key("Waiting for argo/Mutex/nightly lock. Lock status: 0/1"),
        "{msgs:?}"
    );
}

#[test]
fn cron_submissions_use_the_controller_bucket_without_gets() {
    let text = SMALL
        .replace(
            "workflow = \"w\"\n",
            "workflow = \"w\"\nvia = \"cron\"\ncount = 3\ninterval = \"1h\"\n",
        )
        .replace(
            "name = \"t\"\n",
            "name = \"t\"\ntemplate_ref = \"shared\"\n",
        );
    let r = argosim::simulate(&scenario::parse("cron", &text).unwrap(), 1);
    assert_eq!(
        count(&r, "workflow-controller (workflow)", "create", "workflows"),
        3
    );
    // No submit-side GETs; the controller's own first-reconcile validation still GETs (2 each:
    // the template is stored, argo-facts §11.2).
    assert_eq!(
        count(
            &r,
            "workflow-controller (workflow)",
            "get",
            "workflowtemplates"
        ),
        3 * 2
    );
    assert_eq!(r.workflows.succeeded, 3);
}

#[test]
fn unknown_semaphore_is_an_error_with_help() {
    let text = SMALL.replace(
        "name = \"t\"\n",
        "name = \"t\"\nsemaphore = \"db-writer\"\n",
    ) + "[controller.semaphores]\ndb-writers = 2\n";
    let e = scenario::parse("sem.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("workflows[0].tasks[0].semaphore") && e.contains("did you mean `db-writers`?"),
        "{e}"
    );
}

#[test]
fn offloaded_reconciles_pay_database_round_trips() {
    let r = argosim::simulate(&load("size-limits-offload.toml"), 1);
    let o = &r.workflow_object;
    // Every persist of the offloaded workflow reads and writes the offload table once each.
    assert!(o.offload_db_round_trips > 0);
    assert_eq!(o.offload_db_round_trips % 2, 0);
    let slow = argosim::simulate(
        &load_with("size-limits-offload.toml", |d| {
            set(d, "controller", "offload_latency", "2s".into())
        }),
        1,
    );
    assert!(slow.workflows.makespan_s.max > r.workflows.makespan_s.max);
}

#[test]
fn namespace_and_task_parallelism() {
    // 4 workflows in two namespaces, namespaceParallelism 1: two run at once (one per
    // namespace), so the makespans come in two tiers.
    let text = SMALL
        .replace("width = 20", "width = 1")
        .replace("duration = \"10m\"", "duration = \"5m\"")
        + "[controller]\nnamespace_parallelism = 1\n[[workflows]]\nname = \"w2\"\nnamespace = \"team-b\"\n[[workflows.tasks]]\nname = \"t\"\ncpu = \"100m\"\nduration = \"5m\"\n[[submissions]]\nworkflow = \"w2\"\ncount = 2\n";
    let text = text.replace("workflow = \"w\"\n", "workflow = \"w\"\ncount = 2\n");
    let r = argosim::simulate(&scenario::parse("ns", &text).unwrap(), 1);
    assert_eq!(r.workflows.succeeded, 4);
    assert_eq!(r.controller.throttled_by_parallelism, 2);
    let mut m: Vec<f64> = r
        .workflows
        .list
        .iter()
        .filter_map(|w| w.makespan_s)
        .collect();
    m.sort_by(f64::total_cmp);
    assert!(m[1] < 400.0 && m[2] >= 600.0, "{m:?}");
    // Task-level parallelism 5 over 20 items of 10 min: 4 waves.
    let capped = SMALL.replace("width = 20", "width = 20\nparallelism = 5");
    let r = argosim::simulate(&scenario::parse("task-par", &capped).unwrap(), 1);
    assert!(
        r.workflows.makespan_s.max >= 4.0 * 600.0,
        "{:?}",
        r.workflows.makespan_s
    );
    let free = argosim::simulate(&scenario::parse("free", SMALL).unwrap(), 1);
    assert!(free.workflows.makespan_s.max < 2.0 * 600.0);
}

#[test]
fn without_informer_write_back_each_update_costs_a_second() {
    let base = argosim::simulate(&load("controller-throughput.toml"), 1);
    let slow = argosim::simulate(
        &load_with("controller-throughput.toml", |d| {
            set(d, "controller", "informer_write_back", false.into())
        }),
        1,
    );
    // Every reconcile that wrote the workflow slept 1 s before finishing.
    let updates = count(
        &slow,
        "workflow-controller (workflow)",
        "update",
        "workflows",
    ) as f64;
    let op = &slow.controller.operation_duration_s;
    assert!(
        op.mean * op.count as f64 >= updates * 1.0,
        "{op:?} updates {updates}"
    );
    assert!(op.mean > base.controller.operation_duration_s.mean);
}
