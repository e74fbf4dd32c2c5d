//! Cluster dynamics (issue "Cluster dynamics"): autoscaler bounds and scale-down delay, spot
//! preemption against Argo's retry policies, kubelet pull throttling, shared NFS bandwidth,
//! and the market-run what-if pair. Expectations come from the mechanisms' definitions.

use argosim::metrics::RunReport;
use argosim::scenario;

fn run(text: &str) -> RunReport {
    argosim::simulate(
        &scenario::parse("test.toml", text).unwrap_or_else(|e| panic!("{e}")),
        1,
    )
}

fn autoscaled(width: u32, extra_pool: &str) -> String {
    format!(
        r#"
[autoscaler]
mode = "cluster-autoscaler"
[[cluster.pools]]
name = "small"
cpu = "4"
memory = "16Gi"
allocatable_cpu = "4"
price_per_hour = 0.2
nodes = 0
max_nodes = 3
provisioning_delay = "60s"
{extra_pool}
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
width = {width}
cpu = "3500m"
duration = "10m"
[[submissions]]
workflow = "w"
"#
    )
}

#[test]
fn autoscaler_respects_max_and_scales_down_after_unneeded_time() {
    let r = run(&autoscaled(10, ""));
    assert_eq!(r.workflows.succeeded, 1);
    let pool = &r.cost.by_pool[0];
    assert_eq!(pool.nodes, 3, "never above max_nodes");
    assert!(
        r.timeseries.series["cluster_nodes"]
            .iter()
            .all(|n| n <= 3.0)
    );
    // 10 pods, one per node, 3 nodes: 4 waves of 10 minutes.
    assert!(r.workflows.makespan_s.max >= 4.0 * 600.0);
    // Each node is Ready after 60 s, busy for at least 3 waves (3 × 10 pods over 3 nodes ≥ 9
    // pods), and only removed 10 min (scale-down-unneeded-time) after it went empty: each is
    // billed at least 60 s + 30 min + 10 min.
    let lower = 3.0 * (60.0 + 3.0 * 600.0 + 600.0) / 3600.0;
    assert!(pool.node_hours >= lower, "{} < {lower}", pool.node_hours);
    // ... and not much more (scan interval 10 s, 4th wave on one node).
    assert!(
        pool.node_hours <= lower + (600.0 + 3.0 * 60.0) / 3600.0,
        "{}",
        pool.node_hours
    );
    assert_eq!(
        r.cluster.nodes_removed, 3,
        "scaled back to zero after the run"
    );
}

#[test]
fn karpenter_launches_the_cheapest_pool_and_consolidates() {
    let text = autoscaled(6, "[[cluster.pools]]\nname = \"cheap\"\ncpu = \"4\"\nmemory = \"16Gi\"\nallocatable_cpu = \"4\"\nprice_per_hour = 0.05\nnodes = 0\nmax_nodes = 10\nprovisioning_delay = \"45s\"\n")
        .replace("mode = \"cluster-autoscaler\"", "mode = \"karpenter\"");
    let r = run(&text);
    assert_eq!(r.workflows.succeeded, 1);
    let cheap = r.cost.by_pool.iter().find(|p| p.pool == "cheap").unwrap();
    let small = r.cost.by_pool.iter().find(|p| p.pool == "small").unwrap();
    assert_eq!(
        cheap.nodes, 6,
        "all six pods on the cheapest pool in one batch"
    );
    assert_eq!(small.nodes, 0);
    // consolidateAfter 0s: empty nodes go at the next scan (10 s), so one wave of 10 min
    // plus ~1 min of start-up and a scan bills well under 2 × 10 min per node.
    assert!(cheap.node_hours < 6.0 * 20.0 / 60.0, "{}", cheap.node_hours);
}

fn spot(policy: &str, shutdown: &str) -> RunReport {
    run(&format!(
        r#"
[[cluster.pools]]
name = "spot"
cpu = "4"
memory = "16Gi"
price_per_hour = 0.05
spot = true
spot_interruptions_per_node_hour = 20
spot_shutdown = "{shutdown}"
taints = ["spot"]
nodes = 1
[[cluster.pools]]
name = "on-demand"
cpu = "4"
memory = "16Gi"
price_per_hour = 0.2
nodes = 1
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
cpu = "3"
duration = "30m"
tolerations = ["spot"]
retry = {{ limit = 2, policy = "{policy}" }}
[[submissions]]
workflow = "w"
"#
    ))
}

#[test]
fn spot_pod_deleted_is_retried_by_on_error_not_on_failure() {
    // 20 preemptions per node-hour: the spot node goes within the 30-minute step (P > 0.9999).
    let ok = spot("OnError", "pod-deleted");
    assert!(ok.cluster.spot_preemptions >= 1);
    assert_eq!(
        ok.workflows.succeeded, 1,
        "{:?}",
        ok.workflows.list[0].message
    );
    assert!(ok.cluster.retries >= 1);
    let failed = spot("OnFailure", "pod-deleted");
    assert_eq!(failed.workflows.failed, 1);
    assert!(
        failed.workflows.list[0]
            .message
            .ends_with("failed: pod deleted"),
        "{}",
        failed.workflows.list[0].message
    );
    // Graceful node shutdown ends the pod Failed instead: OnFailure now retries it.
    let graceful = spot("OnFailure", "graceful");
    assert_eq!(graceful.workflows.succeeded, 1);
    let graceful_err = spot("OnError", "graceful");
    assert!(
        graceful_err.workflows.list[0]
            .message
            .ends_with("failed: Pod was terminated in response to imminent node shutdown.")
    );
}

fn pulls(width: u32, serialize: bool) -> RunReport {
    run(&format!(
        r#"
[kubelet]
serialize_image_pulls = {serialize}
[[cluster.pools]]
name = "p"
cpu = "32"
memory = "128Gi"
price_per_hour = 1.0
nodes = 1
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
width = {width}
cpu = "100m"
image = "ghcr.io/acme/big:1"
image_size = "750Mi"
duration = "1m"
[[submissions]]
workflow = "w"
"#
    ))
}

/// registryPullQPS 5 / registryBurst 10, 30 pods on a fresh node (argo-facts §11.6). Each
/// pod's kubelet pulls the executor image before init and the main image after it. With the
/// serial puller every queued request is its own `PullImage` call, one at a time, taking a
/// token as it starts and `image_pull_overhead` (1 s) for an image now present: 5/s refills
/// faster than 1/s drains, so nothing is refused, but the last pod waits for 58 queued calls
/// plus the two real pulls. With parallel pulls all 30 executor pulls hit the bucket at once.
#[test]
fn queued_pulls_are_spaced_by_the_serial_puller_and_parallel_pulls_hit_pull_qps() {
    let r = pulls(30, true);
    assert!(
        r.cluster.pull_errors.is_empty(),
        "{:?}",
        r.cluster.pull_errors
    );
    assert_eq!(
        r.pods.image_pulls, 2,
        "argoexec and the main image, once each"
    );
    // argoexec 1 s + 128 MiB / 75 MiB/s, main 1 s + 750 MiB / 75 MiB/s, 58 queued calls.
    let floor = 58.0 + (1.0 + 128.0 / 75.0) + (1.0 + 750.0 / 75.0);
    assert!(
        r.pods.startup_s.max >= floor,
        "{} < {floor}",
        r.pods.startup_s.max
    );
    assert_eq!(r.workflows.succeeded, 1);

    let r = pulls(30, false);
    let n = r
        .cluster
        .pull_errors
        .get("pull QPS exceeded")
        .copied()
        .unwrap_or(0);
    assert!(
        n >= 20,
        "30 executor pulls against a burst of 10: {n} refusals"
    );
    assert!(r.pods.pods_by_pending_reason["ImagePullBackOff"] >= 20);
    assert_eq!(
        r.workflows.succeeded, 1,
        "the backoff retry finds the image present"
    );
    // Within the burst: no refusals.
    let r = pulls(4, false);
    assert!(
        r.cluster.pull_errors.is_empty(),
        "{:?}",
        r.cluster.pull_errors
    );
}

#[test]
fn nfs_bandwidth_is_shared_and_a_bucket_is_not() {
    let text = |kind: &str| {
        format!(
            r#"
[storage]
kind = "{kind}"
bandwidth = "100Mi"
per_client_bandwidth = "100Mi"
[[cluster.pools]]
name = "p"
cpu = "32"
memory = "128Gi"
price_per_hour = 1.0
nodes = 1
prepulled_images = ["argoproj/argosay:v2", "quay.io/argoproj/argoexec:v3.6.19"]
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
width = 4
cpu = "100m"
duration = "1m"
read_bytes = "400Mi"
[[submissions]]
workflow = "w"
"#
        )
    };
    // 4 clients on 100 MiB/s NFS: each gets 25 MiB/s, 400 MiB take 16 s (vs 4 s alone).
    let nfs = run(&text("nfs"));
    let per_pod = nfs.pods.pending_seconds_by_reason["PodInitializing"] / 4.0;
    assert!((16.0..18.5).contains(&per_pod), "init per pod {per_pod}");
    let bucket = run(&text("bucket"));
    let per_pod = bucket.pods.pending_seconds_by_reason["PodInitializing"] / 4.0;
    assert!((5.0..6.5).contains(&per_pod), "init per pod {per_pod}");
}

#[test]
fn market_run_what_if_nfs_vs_bucket() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let nfs = argosim::simulate(&scenario::load(&dir.join("market-run.toml")).unwrap(), 1);
    let bucket = argosim::simulate(
        &scenario::load(&dir.join("market-run-bucket.toml")).unwrap(),
        1,
    );
    for r in [&nfs, &bucket] {
        assert_eq!(r.workflows.succeeded, 1);
        assert!(r.cluster.spot_preemptions > 0 && r.cluster.retries > 0);
        assert!(r.cost.spot_usd > 0.0 && r.cost.on_demand_usd > 0.0);
        assert!(r.pods.pods_by_pending_reason["Unschedulable"] > 0);
        assert!(r.cluster.nodes_added > 0);
        assert!(
            r.workflows.makespan_s.max > 10.0 * 3600.0,
            "a 16 h-class run"
        );
    }
    // The explanation the report gives: time spent reading inputs (PodInitializing).
    assert!(
        nfs.pods.pending_seconds_by_reason["PodInitializing"]
            > 5.0 * bucket.pods.pending_seconds_by_reason["PodInitializing"]
    );
    assert!(nfs.workflows.makespan_s.max > bucket.workflows.makespan_s.max);
}

/// Which pool grew for one 4-CPU pod under `[autoscaler] version` (and no `expander`): a
/// "snug" pool where the pod fills the node and a "roomy" one where it leaves 12 CPUs idle.
fn grown_pool(version: &str, seed: u64) -> String {
    let text = format!(
        r#"
[autoscaler]
mode = "cluster-autoscaler"
version = "{version}"
[[cluster.pools]]
name = "snug"
cpu = "4"
memory = "16Gi"
allocatable_cpu = "4"
price_per_hour = 0.2
nodes = 0
max_nodes = 1
provisioning_delay = "60s"
[[cluster.pools]]
name = "roomy"
cpu = "16"
memory = "64Gi"
allocatable_cpu = "16"
price_per_hour = 0.2
nodes = 0
max_nodes = 1
provisioning_delay = "60s"
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
cpu = "4"
duration = "1m"
[[submissions]]
workflow = "w"
"#
    );
    let sc = scenario::parse("test.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let r = argosim::simulate(&sc, seed);
    assert_eq!(r.cluster.nodes_added, 1, "one scale-up of one node");
    let grown: Vec<_> = r.cost.by_pool.iter().filter(|p| p.nodes > 0).collect();
    assert_eq!(grown.len(), 1);
    grown[0].pool.clone()
}

/// cluster-autoscaler's `--expander` default: `random` up to 1.32 (`cluster-autoscaler/main.go`
/// at tag cluster-autoscaler-1.32.0), `least-waste` from 1.33 (`config/flags/flags.go` at
/// cluster-autoscaler-1.33.0). Least-waste always takes the pool the pod fills; random takes
/// either over seeds.
#[test]
fn the_default_expander_follows_the_autoscaler_version() {
    for seed in 1..=12 {
        assert_eq!(grown_pool("1.33", seed), "snug");
        assert_eq!(grown_pool("v1.35.2", seed), "snug");
    }
    let picks: Vec<String> = (1..=12).map(|s| grown_pool("1.32", s)).collect();
    assert!(picks.iter().any(|p| p == "snug"), "{picks:?}");
    assert!(picks.iter().any(|p| p == "roomy"), "{picks:?}");
}
