//! Critical-path attribution (`src/world/critical.rs`): every finished workflow's causes sum to
//! its makespan on every shipped scenario, and the verdicts name the limit a user would have
//! to find by hand (the pool pinned at `max_nodes`, the scheduler's bind bucket once the
//! controller's is wide enough).

use crate::common::crate_path;
use argosim::metrics::RunReport;

fn cause_s(r: &RunReport, key: &str) -> f64 {
    r.limits
        .causes
        .iter()
        .find(|c| c.key == key)
        .map_or(0.0, |c| c.seconds)
}

#[test]
fn causes_sum_to_the_makespan_on_every_shipped_scenario() {
    for rel in crate::golden::scenarios() {
        let sc = argosim::load_scenario(&crate_path(&rel)).expect("shipped scenario loads");
        let r = argosim::simulate(&sc, 1);
        let mut total = 0.0;
        let mut finished = 0;
        for w in &r.workflows.list {
            match (w.makespan_s, &w.critical_path_s) {
                (Some(m), Some(cp)) => {
                    let sum: f64 = cp.iter().map(|(_, s)| s).sum();
                    assert!(
                        (sum - m).abs() <= 1e-6 * m.max(1.0),
                        "{rel} {}: causes sum to {sum} s, makespan {m} s: {cp:?}",
                        w.name
                    );
                    assert!(cp.iter().all(|(_, s)| s > 0.0), "{rel}: {cp:?}");
                    total += m;
                    finished += 1;
                }
                (None, None) => {}
                other => panic!(
                    "{rel} {}: makespan and breakdown disagree: {other:?}",
                    w.name
                ),
            }
        }
        assert_eq!(r.limits.workflows, finished, "{rel}");
        assert!(
            (r.limits.makespan_total_s - total).abs() <= 1e-6 * total.max(1.0),
            "{rel}: limits total {} vs makespans {total}",
            r.limits.makespan_total_s
        );
        let shares: f64 = r.limits.causes.iter().map(|c| c.share).sum();
        if finished > 0 {
            assert!((shares - 1.0).abs() < 1e-9, "{rel}: shares sum to {shares}");
        } else {
            assert!(
                r.limits.verdict.starts_with("no workflow finished"),
                "{rel}"
            );
        }
    }
}

/// 200 five-minute pods, one per node, on an autoscaled pool capped at 5 nodes: the pods queue
/// Unschedulable behind the cap, and the verdict says so, naming the pool and its limit.
#[test]
fn a_pool_pinned_at_max_nodes_is_the_verdict() {
    let text = r#"
[autoscaler]
mode = "cluster-autoscaler"
[[cluster.pools]]
name = "batch-spot"
cpu = "4"
memory = "16Gi"
allocatable_cpu = "4"
price_per_hour = 0.2
nodes = 1
max_nodes = 5
provisioning_delay = "60s"
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
width = 200
cpu = "3500m"
duration = "5m"
[[submissions]]
workflow = "w"
"#;
    let sc = argosim::scenario::parse("test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let r = argosim::simulate(&sc, 1);
    assert_eq!(r.workflows.succeeded, 1);
    let l = &r.limits;
    assert_eq!(
        l.causes[0].cause, "Unschedulable: pools at max_nodes: batch-spot (max 5)",
        "{l:#?}"
    );
    assert!(
        l.verdict
            .starts_with("Unschedulable: pools at max_nodes: batch-spot (max 5) for "),
        "{}",
        l.verdict
    );
    // 200 pods, 5 at a time, 5 minutes each: ~40 waves, all but the last waited for the cap.
    assert!(l.causes[0].share > 0.9, "{l:#?}");
    // The node the last pod waited for at the start was provisioning: its 60 s are named.
    assert!(
        cause_s(&r, "unschedulable_node_coming_up") >= 59.0,
        "{l:#?}"
    );
}

/// throttled-fanout.toml: at 50 qps the controller's kube bucket still paces the serial pod
/// CREATEs (pod creation throttle on the critical path, binds unthrottled); at 100 qps, above
/// kube-scheduler's own 50 qps, the wait moves to the scheduler's bind bucket.
#[test]
fn raising_controller_qps_moves_the_wait_to_the_scheduler_bind_bucket() {
    let path = crate_path("scenarios/throttled-fanout.toml");
    let text = std::fs::read_to_string(&path).expect("shipped");
    let at = |qps: u32| {
        let t = text.replace(
            "[controller]\nqps = 20\nburst = 30\n",
            &format!("[controller]\nqps = {qps}\nburst = {}\n", qps * 3 / 2),
        );
        assert_ne!(t, text, "scenario sets controller qps 20 / burst 30");
        let sc =
            argosim::parse_scenario("throttled-fanout.toml", &t).unwrap_or_else(|e| panic!("{e}"));
        argosim::simulate(&sc, 7)
    };
    let r50 = at(50);
    let r100 = at(100);
    assert!(
        cause_s(&r50, "pod_creation_throttle") > 1.0,
        "{:#?}",
        r50.limits
    );
    assert_eq!(cause_s(&r50, "bind_throttle"), 0.0, "{:#?}", r50.limits);
    let bind = cause_s(&r100, "bind_throttle");
    assert!(bind > 1.0, "{:#?}", r100.limits);
    assert!(
        bind > cause_s(&r100, "pod_creation_throttle"),
        "{:#?}",
        r100.limits
    );
    assert!(
        r100.limits
            .causes
            .iter()
            .any(|c| c.cause == "scheduler: bind throttle (kube-scheduler client bucket)"),
        "{:#?}",
        r100.limits
    );
}

/// `compare` shows where the time moved: the pod creation throttle leaves the critical path
/// and the scheduler's bind throttle enters it.
#[test]
fn compare_shows_how_the_breakdown_moved() {
    let out = crate::common::argosim()
        .args([
            "compare",
            crate_path("scenarios/throttled-fanout.toml")
                .to_str()
                .expect("utf-8"),
            "--set",
            "controller.qps=100",
            "--set",
            "controller.burst=150",
            "--replications",
            "2",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let table = text
        .split("Critical path, mean per finished workflow")
        .nth(1)
        .unwrap_or_else(|| panic!("no breakdown table:\n{text}"));
    let line = |cause: &str| {
        table
            .lines()
            .find(|l| l.starts_with(cause))
            .unwrap_or_else(|| panic!("no {cause:?} row:\n{table}"))
            .to_string()
    };
    let create = line("controller: pod creation throttle");
    assert!(create.trim_end().contains(" -"), "{create}");
    let bind = line("scheduler: bind throttle");
    assert!(bind.contains("0.00s") && bind.contains(" +"), "{bind}");
}
