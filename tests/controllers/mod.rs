//! Several workflow controllers sharing one cluster (issue 11 item 3): which controller
//! manages a workflow (namespace, `instanceID`), that each reconciles only its own with its
//! own clientsets, that they share the apiserver (a saturated one slows both), the
//! validation of ambiguous or unmanaged workflows, and `controller-shards.toml`'s curve.
//!
//! Upstream: `cmd/workflow-controller/main.go` (`--namespaced`, `--managed-namespace`
//! defaulting to the install namespace; the leader lease `workflow-controller-<instanceID>`),
//! `util/instanceid/service.go` `With` (a controller with an instanceID selects
//! `controller-instanceid=<id>`, one without selects `!controller-instanceid`).

use crate::common::{crate_path, invalid, run};
use argosim::metrics::RunReport;

/// Two teams' workflows (`a`: 3 pods each, `b`: 1 pod) in namespaces `a` and `b`;
/// `controllers` is the TOML of the controller tables, `apiserver` lines under `[apiserver]`.
fn two_teams(controllers: &str, apiserver: &str, count_a: u32, count_b: u32) -> String {
    format!(
        r#"name = "two-teams"
[[cluster.pools]]
name = "p"
cpu = "16"
allocatable_cpu = "16"
memory = "64Gi"
allocatable_memory = "64Gi"
price_per_hour = 1.0
nodes = 20
[kubelet]
sandbox_start = "1s"
init_container_time = "1s"
wait_container_time = "1s"
image_pull_overhead = "1s"
[scheduler]
qps = 1000
burst = 2000
[apiserver]
{apiserver}
{controllers}
[[workflows]]
name = "wa"
namespace = "a"
[[workflows.tasks]]
name = "t"
cpu = "100m"
duration = "10s"
width = 3
[[workflows]]
name = "wb"
namespace = "b"
[[workflows.tasks]]
name = "t"
cpu = "100m"
duration = "10s"
[[submissions]]
workflow = "wa"
via = "kubectl"
count = {count_a}
clients = 50
[[submissions]]
workflow = "wb"
via = "kubectl"
count = {count_b}
clients = 50
"#
    )
}

const NAMESPACED: &str = r#"
[[controllers]]
name = "wc-a"
namespace = "a"
[[controllers]]
name = "wc-b"
namespace = "b"
"#;

/// Requests of `client` with `verb` on `resource`.
fn count(r: &RunReport, client: &str, verb: &str, resource: &str) -> u64 {
    (r.api.by_client.iter())
        .filter(|x| x.client == client && x.verb == verb && x.resource == resource)
        .map(|x| x.count)
        .sum()
}

fn row<'r>(r: &'r RunReport, name: &str) -> &'r argosim::metrics::ControllerRow {
    (r.controllers.iter())
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no controller row {name}"))
}

#[test]
fn each_namespaced_controller_reconciles_only_its_namespace() {
    let r = run(&two_teams(NAMESPACED, "", 40, 10), 1);
    assert_eq!(r.workflows.succeeded, 50);
    let (a, b) = (row(&r, "wc-a"), row(&r, "wc-b"));
    assert_eq!((a.workflows, a.succeeded), (40, 40));
    assert_eq!((b.workflows, b.succeeded), (10, 10));
    assert_eq!(a.namespace.as_deref(), Some("a"));
    // Each creates exactly its own workflows' pods, through its own kube clientset, and
    // writes only its own workflows through its workflow clientset.
    assert_eq!(count(&r, "wc-a (kube)", "create", "pods"), 120);
    assert_eq!(count(&r, "wc-b (kube)", "create", "pods"), 10);
    assert_eq!(a.report.pods_created, 120);
    assert_eq!(b.report.pods_created, 10);
    assert!(a.report.reconciles >= 80 && b.report.reconciles >= 20);
    assert!(a.report.reconciles > 2 * b.report.reconciles);
    let b_updates = count(&r, "wc-b (workflow)", "update", "workflows");
    assert!(b_updates >= 10 && b_updates <= b.report.reconciles);
    // The `controller` section is both together.
    assert_eq!(
        r.controller.reconciles,
        a.report.reconciles + b.report.reconciles
    );
    assert_eq!(r.controller.pods_created, 130);
    assert_eq!(
        r.controller.queue_latency_s.count,
        a.report.queue_latency_s.count + b.report.queue_latency_s.count
    );
    // Each has its own throttle rows (its own buckets).
    for c in [
        "wc-a (kube)",
        "wc-a (workflow)",
        "wc-b (kube)",
        "wc-b (workflow)",
    ] {
        assert!(r.throttling.iter().any(|t| t.client == c), "{c}");
    }
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["controllers"].as_array().map(Vec::len), Some(2));
}

#[test]
fn one_controller_reports_no_controllers_rows() {
    let one = two_teams("[controller]\nqps = 20", "", 4, 2);
    let r = run(&one, 1);
    assert!(r.controllers.is_empty());
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.get("controllers").is_none());
    assert_eq!(
        count(&r, "workflow-controller (kube)", "create", "pods"),
        14
    );
}

#[test]
fn a_saturated_shared_apiserver_slows_both_controllers() {
    let idle = run(&two_teams(NAMESPACED, "cpu_cores = 2", 200, 200), 1);
    // 3,900 background reads/s at 500 us: 1.95 of the 2 cores, 0.05 core left for the run.
    let busy = run(
        &two_teams(NAMESPACED, "cpu_cores = 2\nbackground_qps = 3900", 200, 200),
        1,
    );
    assert_eq!(busy.workflows.succeeded, 400);
    for name in ["wc-a", "wc-b"] {
        let (i, b) = (row(&idle, name), row(&busy, name));
        assert!(
            b.makespan_s.p95 > 1.5 * i.makespan_s.p95,
            "{name}: p95 {} busy vs {} idle",
            b.makespan_s.p95,
            i.makespan_s.p95
        );
    }
}

#[test]
fn instance_ids_route_workflows_between_cluster_wide_controllers() {
    let ctrls = r#"
[[controllers]]
name = "blue"
instance_id = "blue"
[[controllers]]
name = "plain"
"#;
    let text = two_teams(ctrls, "", 6, 4).replace(
        "name = \"wa\"\nnamespace = \"a\"",
        "name = \"wa\"\nnamespace = \"a\"\ninstance_id = \"blue\"",
    );
    let r = run(&text, 1);
    assert_eq!(row(&r, "blue").workflows, 6);
    assert_eq!(row(&r, "plain").workflows, 4);
    assert_eq!(count(&r, "blue (kube)", "create", "pods"), 18);
    assert_eq!(row(&r, "blue").namespace, None);
}

#[test]
fn shards_spread_a_namespace_round_robin() {
    let ctrls = "[controller]\nname = \"wc\"\nnamespace = \"a\"\nshards = 3\n";
    let text = two_teams(ctrls, "", 30, 0)
        .replace("count = 0", "count = 1")
        .replace("namespace = \"b\"", "namespace = \"a\"");
    let r = run(&text, 1);
    let rows: Vec<(String, Option<String>, u64)> = (r.controllers.iter())
        .map(|c| (c.name.clone(), c.namespace.clone(), c.workflows))
        .collect();
    // 30 + 1 workflows submitted into "a" go to a-0, a-1, a-2 in turn, per stream.
    assert_eq!(
        rows,
        vec![
            ("wc-0".into(), Some("a-0".into()), 11),
            ("wc-1".into(), Some("a-1".into()), 10),
            ("wc-2".into(), Some("a-2".into()), 10),
        ]
    );
}

#[test]
fn unmanaged_ambiguous_and_doubled_controllers_are_refused() {
    // Namespace b has no controller.
    let only_a = "[[controllers]]\nname = \"wc-a\"\nnamespace = \"a\"\n";
    let e = invalid(&two_teams(only_a, "", 1, 1));
    let d = &e.diagnostics()[0];
    assert_eq!(d.key.as_deref(), Some("submissions[1]"));
    assert!(
        d.message
            .contains("no controller manages workflows in namespace \"b\""),
        "{e}"
    );
    assert!(d.line.is_some());
    // A cluster-wide controller and a namespaced one both match namespace a.
    let both =
        "[[controllers]]\nname = \"all\"\n[[controllers]]\nname = \"wc-a\"\nnamespace = \"a\"\n";
    let e = invalid(&two_teams(both, "", 1, 1)).to_string();
    assert!(e.contains("managed by 2 controllers (all, wc-a)"), "{e}");
    // [controller] and [[controllers]] together.
    let e = invalid(&two_teams(
        &format!("[controller]\nqps = 5\n{NAMESPACED}"),
        "",
        1,
        1,
    ));
    assert_eq!(e.diagnostics()[0].key.as_deref(), Some("controller"));
    // Two entries with the default name.
    let e = invalid(&two_teams(
        "[[controllers]]\nnamespace = \"a\"\n[[controllers]]\nnamespace = \"b\"\n",
        "",
        1,
        1,
    ))
    .to_string();
    assert!(e.contains("controllers[1].name"), "{e}");
    // A controller name must be a Deployment name.
    let e = invalid(&two_teams(
        &NAMESPACED.replace("\"wc-a\"", "\"WC A\""),
        "",
        1,
        1,
    ))
    .to_string();
    assert!(
        e.contains("controllers[0].name") && e.contains("not a Deployment name"),
        "{e}"
    );
    // Shards need exactly one of namespace / instance_id; a bad setting names its entry.
    let e = invalid(&two_teams("[controller]\nshards = 2\n", "", 1, 1)).to_string();
    assert!(e.contains("controller.shards"), "{e}");
    let e = invalid(&two_teams(
        &NAMESPACED.replace("name = \"wc-b\"", "name = \"wc-b\"\nqps = 0"),
        "",
        1,
        1,
    ))
    .to_string();
    assert!(e.contains("controllers[1].qps"), "{e}");
}

/// A controller that restarts (its /healthz fails: one worker behind a 1 qps bucket leaves
/// workflows unreconciled past HEALTHZ_AGE) relists and requeues only its own workflows, and
/// the other controller's /healthz does not look at them (`process.rs`; before the fix the
/// healthy controller restarted and created pods for the other's workflows).
#[test]
fn a_restarting_controller_takes_back_only_its_own_workflows() {
    let ctrls = r#"
[[controllers]]
name = "wc-a"
namespace = "a"
qps = 1
burst = 1
workflow_workers = 1
[[controllers]]
name = "wc-b"
namespace = "b"
"#;
    let text = two_teams(ctrls, "", 300, 3)
        .replace("width = 3\n", "width = 1\n")
        .replace(
            "name = \"two-teams\"\n",
            "name = \"two-teams\"\n[experiment]\nhorizon = \"6h\"\n",
        );
    let r = run(&text, 1);
    assert_eq!(r.workflows.succeeded, 303);
    let (a, b) = (row(&r, "wc-a"), row(&r, "wc-b"));
    assert!(a.report.restarts > 0, "wc-a should restart on /healthz");
    assert_eq!(b.report.restarts, 0);
    assert_eq!(b.report.pods_created, 3);
    assert_eq!(count(&r, "wc-b (kube)", "create", "pods"), 3);
    assert!(count(&r, "wc-b (workflow)", "update", "workflows") <= b.report.reconciles);
}

/// `scenarios/controller-shards.toml`: throughput (workflows per second by the last finish)
/// grows with the shards while the apiserver has headroom, and stops growing once the shared
/// apiserver is the limit; there the client-side throttle vanishes.
#[test]
fn controller_shards_scenario_shows_diminishing_returns_on_a_busy_apiserver() {
    let text = std::fs::read_to_string(crate_path("scenarios/controller-shards.toml")).unwrap();
    let at = |shards: u32, background: u32| {
        let t = text
            .replace("shards = 1\n", &format!("shards = {shards}\n"))
            .replace(
                "background_qps = 3000 ",
                &format!("background_qps = {background} "),
            );
        let r = run(&t, 3);
        assert_eq!(r.workflows.succeeded, 2000);
        let thr = 2000.0 / r.workflows.makespan_s.max;
        let throttle: f64 = r.throttling.iter().map(|t| t.total_wait_s).sum();
        (thr, throttle)
    };
    let (idle1, _) = at(1, 0);
    let (idle4, _) = at(4, 0);
    let (busy1, throttle1) = at(1, 3000);
    let (busy3, _) = at(3, 3000);
    let (busy6, throttle6) = at(6, 3000);
    // One shard: its own bucket is the limit, busy or not.
    assert!((busy1 / idle1 - 1.0).abs() < 0.05, "{busy1} vs {idle1}");
    // Idle apiserver: four shards give > 3.5x.
    assert!(idle4 > 3.5 * idle1, "idle: {idle1} -> {idle4}");
    // Busy apiserver: 3 shards help (> 2x), 6 shards add < 15 % over 3.
    assert!(busy3 > 2.0 * busy1, "busy: {busy1} -> {busy3}");
    assert!(busy6 < 1.15 * busy3, "busy: {busy3} -> {busy6}");
    // ... while the client-side throttle, the limit of one shard, is gone.
    assert!(
        throttle1 > 1000.0 && throttle6 < 0.01 * throttle1,
        "{throttle1} -> {throttle6}"
    );
}
