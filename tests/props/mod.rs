//! Property tests: random small scenarios, invariants every report must satisfy.

use crate::common::scenario;
use argosim::metrics::RunReport;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::fmt::Write as _;

#[derive(Debug, Clone)]
struct TaskGen {
    /// Indices of earlier tasks it depends on.
    deps: Vec<usize>,
    width: u32,
    cpu_m: u32,
    /// Seconds; the run time is this constant, or uniform on [secs, 2·secs].
    secs: u32,
    uniform: bool,
    fail: f64,
}

#[derive(Debug, Clone)]
struct Gen {
    nodes: u32,
    node_cpu: u32,
    tasks: Vec<TaskGen>,
    count: u32,
    interval_s: u32,
    via: &'static str,
    qps: u32,
    burst: u32,
    workers: u32,
    parallelism: u32,
}

fn task_gen(i: usize) -> impl Strategy<Value = TaskGen> {
    (
        proptest::sample::subsequence((0..i).collect::<Vec<_>>(), 0..=i),
        1u32..=30,
        100u32..=3000,
        1u32..=300,
        any::<bool>(),
        prop_oneof![Just(0.0), 0.0f64..=0.3],
    )
        .prop_map(|(deps, width, cpu_m, secs, uniform, fail)| TaskGen {
            deps,
            width,
            cpu_m,
            secs,
            uniform,
            fail,
        })
}

fn tasks_gen() -> impl Strategy<Value = Vec<TaskGen>> {
    (1usize..=3).prop_flat_map(|n| {
        let v: Vec<_> = (0..n).map(|i| task_gen(i).boxed()).collect();
        v
    })
}

fn scenario_gen() -> impl Strategy<Value = Gen> {
    (
        1u32..=3,
        prop_oneof![Just(4u32), Just(8), Just(16)],
        tasks_gen(),
        1u32..=3,
        0u32..=120,
        prop_oneof![Just("argo-cli"), Just("argo-server"), Just("kubectl")],
        1u32..=50,
        1u32..=50,
        1u32..=4,
        prop_oneof![Just(0u32), 1u32..=10],
    )
        .prop_map(
            |(nodes, node_cpu, tasks, count, interval_s, via, qps, burst, workers, parallelism)| {
                Gen {
                    nodes,
                    node_cpu,
                    tasks,
                    count,
                    interval_s,
                    via,
                    qps,
                    burst,
                    workers,
                    parallelism,
                }
            },
        )
}

impl Gen {
    fn toml(&self) -> String {
        let mut s = String::from("name = \"prop\"\n");
        writeln!(
            s,
            "[[cluster.pools]]\nname = \"p\"\ncpu = \"{c}\"\nmemory = \"64Gi\"\nreservation = \"none\"\n\
             price_per_hour = 0.5\nnodes = {}",
            self.nodes,
            c = self.node_cpu
        )
        .unwrap();
        writeln!(
            s,
            "[controller]\nqps = {}\nburst = {}\nworkflow_workers = {}",
            self.qps, self.burst, self.workers
        )
        .unwrap();
        writeln!(
            s,
            "[[workflows]]\nname = \"w\"\nparallelism = {}",
            self.parallelism
        )
        .unwrap();
        for (i, t) in self.tasks.iter().enumerate() {
            let duration = if t.uniform {
                format!(
                    "{{ distribution = \"uniform\", min = \"{}s\", max = \"{}s\" }}",
                    t.secs,
                    2 * t.secs
                )
            } else {
                format!("\"{}s\"", t.secs)
            };
            let deps: Vec<String> = t.deps.iter().map(|d| format!("t{d}")).collect();
            writeln!(
                s,
                "[[workflows.tasks]]\nname = \"t{i}\"\ndepends = {deps:?}\nwidth = {}\n\
                 cpu = \"{}m\"\nduration = {duration}\nfailure_probability = {:?}",
                t.width, t.cpu_m, t.fail
            )
            .unwrap();
        }
        writeln!(
            s,
            "[[submissions]]\nworkflow = \"w\"\nvia = \"{}\"\ncount = {}\ninterval = \"{}s\"",
            self.via, self.count, self.interval_s
        )
        .unwrap();
        s
    }

    fn pods_per_workflow(&self) -> u64 {
        self.tasks.iter().map(|t| u64::from(t.width)).sum()
    }

    /// Longest chain of minimum run times through the DAG, in seconds.
    fn critical_path_s(&self) -> f64 {
        let mut finish = vec![0.0f64; self.tasks.len()];
        for (i, t) in self.tasks.iter().enumerate() {
            let start = t.deps.iter().map(|&d| finish[d]).fold(0.0, f64::max);
            finish[i] = start + f64::from(t.secs);
        }
        finish.iter().copied().fold(0.0, f64::max)
    }
}

fn rel_eq(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

fn check(g: &Gen, r: &RunReport) -> Result<(), TestCaseError> {
    let wr = &r.workflows;
    let p = &r.pods;
    // Every pod fits a node (cpu ≤ 3 < node cpu ≥ 4), so runs finish well within 72 h.
    prop_assert!(!r.horizon_reached, "horizon reached");
    prop_assert_eq!(p.overcommitted_binds, 0);
    // Never more CPU requested than allocatable, at any sample or on average.
    let ratio = &r.timeseries.series["cluster_cpu_requested_ratio"];
    prop_assert!(ratio.iter().all(|x| (0.0..=1.0).contains(&x)), "{ratio:?}");
    for pool in &r.cost.by_pool {
        prop_assert!(pool.cpu_utilisation <= 1.0 + 1e-12);
    }

    // Workflows: every submission is accounted for, once.
    prop_assert_eq!(wr.submitted, u64::from(g.count));
    prop_assert_eq!(wr.list.len() as u64, wr.submitted);
    prop_assert_eq!(
        wr.succeeded + wr.failed + wr.errored + wr.unfinished,
        wr.submitted
    );
    prop_assert_eq!(wr.unfinished, 0);

    // Pods: each created pod ends in exactly one phase.
    let by_phase: u64 = p.by_phase.values().sum();
    prop_assert_eq!(by_phase, p.created);
    prop_assert_eq!(wr.list.iter().map(|w| w.pods).sum::<u64>(), p.created);
    prop_assert_eq!(r.controller.pods_created, p.created);
    prop_assert_eq!(
        p.by_phase["Succeeded"] + p.by_phase["Failed"],
        p.created,
        "run finished: no pod Pending or Running"
    );
    prop_assert_eq!(p.pods_by_pending_reason["Pending"], p.created);

    // A workflow fails iff one of its pods failed.
    let failed_pods = p.by_phase["Failed"];
    prop_assert_eq!(wr.errored, 0);
    prop_assert!(wr.failed <= failed_pods);
    prop_assert_eq!(wr.failed > 0, failed_pods > 0);
    let never_fails = g.tasks.iter().all(|t| t.fail == 0.0);
    if never_fails {
        prop_assert_eq!(wr.succeeded, wr.submitted);
        prop_assert_eq!(failed_pods, 0);
    }

    for w in &wr.list {
        let m = w.makespan_s.expect("finished");
        prop_assert!(m >= 0.0);
        prop_assert!(w.finished_at_s.unwrap() >= w.submitted_at_s);
        prop_assert!(w.pods <= g.pods_per_workflow());
        if w.phase == "Succeeded" {
            // All pods ran, and the critical path of minimum run times was respected.
            prop_assert_eq!(w.pods, g.pods_per_workflow());
            prop_assert!(
                m >= g.critical_path_s(),
                "makespan {} < critical path {}",
                m,
                g.critical_path_s()
            );
        } else {
            prop_assert_eq!(w.phase, "Failed");
            prop_assert!(w.message.starts_with("child of task"), "{}", w.message);
        }
    }
    prop_assert_eq!(wr.makespan_s.count, wr.submitted);
    prop_assert!(wr.makespan_s.max <= r.end_time_s + 1e-9);

    // Cost conservation.
    let c = &r.cost;
    let pools: f64 = c.by_pool.iter().map(|x| x.usd).sum();
    prop_assert!(
        rel_eq(pools + c.control_plane_usd, c.total_usd),
        "pools {} + cp {} != total {}",
        pools,
        c.control_plane_usd,
        c.total_usd
    );
    prop_assert!(c.billed_until_s <= r.end_time_s);
    let hours = c.billed_until_s.max(60.0) / 3600.0;
    prop_assert!(rel_eq(pools, 0.5 * f64::from(g.nodes) * hours));
    if p.created > 0 {
        let wfs: f64 = wr.list.iter().map(|w| w.cost_usd).sum();
        prop_assert!(
            rel_eq(wfs, c.total_usd - c.control_plane_usd),
            "workflows {} != nodes {}",
            wfs,
            c.total_usd - c.control_plane_usd
        );
    }
    prop_assert!(wr.list.iter().all(|w| w.cost_usd >= 0.0));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn reports_satisfy_invariants(g in scenario_gen(), seed in any::<u64>()) {
        let toml = g.toml();
        let sc = scenario(&toml);
        let r = argosim::simulate(&sc, seed);
        check(&g, &r)?;
        // Deterministic: the same (scenario, seed) again gives the same report.
        let again = argosim::simulate(&sc, seed);
        prop_assert_eq!(
            serde_json::to_string(&r).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
    }
}

/// Random clusters with autoscaling and spot preemption: conservation and bounds hold.
#[derive(Debug, Clone)]
struct ClusterGen {
    mode: &'static str,
    max_nodes: u32,
    spot_rate: f64,
    shutdown: &'static str,
    policy: &'static str,
    limit: u32,
    width: u32,
    cpu_m: u32,
    secs: u32,
    fail: f64,
}

fn cluster_gen() -> impl Strategy<Value = ClusterGen> {
    (
        prop_oneof![Just("none"), Just("cluster-autoscaler"), Just("karpenter")],
        1u32..=4,
        prop_oneof![Just(0.0), 0.1f64..=6.0],
        prop_oneof![Just("graceful"), Just("pod-deleted")],
        prop_oneof![Just("OnFailure"), Just("OnError"), Just("Always")],
        0u32..=3,
        1u32..=20,
        100u32..=3500,
        30u32..=1800,
        prop_oneof![Just(0.0), 0.0f64..=0.2],
    )
        .prop_map(
            |(mode, max_nodes, spot_rate, shutdown, policy, limit, width, cpu_m, secs, fail)| {
                ClusterGen {
                    mode,
                    max_nodes,
                    spot_rate,
                    shutdown,
                    policy,
                    limit,
                    width,
                    cpu_m,
                    secs,
                    fail,
                }
            },
        )
}

impl ClusterGen {
    fn toml(&self) -> String {
        let initial = if self.mode == "none" {
            self.max_nodes
        } else {
            0
        };
        format!(
            r#"name = "prop-cluster"
[experiment]
horizon = "24h"
[autoscaler]
mode = "{mode}"
[[cluster.pools]]
name = "od"
cpu = "4"
memory = "16Gi"
reservation = "none"
price_per_hour = 0.2
nodes = {initial}
max_nodes = {max}
[[cluster.pools]]
name = "spot"
cpu = "4"
memory = "16Gi"
reservation = "none"
price_per_hour = 0.06
spot = true
spot_interruptions_per_node_hour = {rate:?}
spot_shutdown = "{shutdown}"
nodes = {initial}
max_nodes = {max}
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
width = {width}
cpu = "{cpu}m"
duration = "{secs}s"
failure_probability = {fail:?}
retry = {{ limit = {limit}, policy = "{policy}", backoff = "10s" }}
[[submissions]]
workflow = "w"
count = 2
interval = "5m"
"#,
            mode = self.mode,
            max = self.max_nodes,
            rate = self.spot_rate,
            shutdown = self.shutdown,
            width = self.width,
            cpu = self.cpu_m,
            secs = self.secs,
            fail = self.fail,
            limit = self.limit,
            policy = self.policy,
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: Some(Box::new(FileFailurePersistence::Off)), ..ProptestConfig::default() })]
    #[test]
    fn cluster_dynamics_conserve_pods_nodes_and_cost(g in cluster_gen()) {
        let r = argosim::simulate(&scenario(&g.toml()), 7);
        let p = &r.pods;
        let w = &r.workflows;
        prop_assert_eq!(p.overcommitted_binds, 0);
        prop_assert_eq!(p.by_phase.values().sum::<u64>(), p.created);
        prop_assert_eq!(w.succeeded + w.failed + w.errored + w.unfinished, w.submitted);
        if !r.horizon_reached {
            prop_assert_eq!(p.by_phase["Succeeded"] + p.by_phase["Failed"], p.created);
        }
        // Pods created = first attempts + retries; retries never exceed the policy's limit.
        prop_assert!(r.cluster.retries <= u64::from(g.limit) * u64::from(g.width) * w.submitted);
        prop_assert_eq!(p.created, r.controller.pods_created);
        // Pool sizes stay within max_nodes; node-hours and cost are consistent.
        let mut nodes_usd = 0.0;
        for pool in &r.cost.by_pool {
            prop_assert!(pool.nodes <= g.max_nodes, "{} > {}", pool.nodes, g.max_nodes);
            prop_assert!(pool.node_hours >= 0.0 && pool.cpu_utilisation <= 1.0 + 1e-12);
            nodes_usd += pool.usd;
        }
        prop_assert!(rel_eq(nodes_usd + r.cost.control_plane_usd, r.cost.total_usd));
        prop_assert!(rel_eq(r.cost.spot_usd + r.cost.on_demand_usd, nodes_usd));
        prop_assert!(r.cluster.pods_killed <= p.created);
        if g.spot_rate == 0.0 {
            prop_assert_eq!(r.cluster.spot_preemptions, 0);
        }
    }
}
