//! Scaling benchmark: fan-outs of 10,000, 100,000 and 1,000,000 one-minute pods (workflows of
//! 1,000 pods each, all submitted at once, on a pool of one 16-core node per 160 pods, so the
//! pods run in ~10 waves), to show whether the cost per event and the memory per pod stay
//! flat as the run grows. `main` prints the peak heap per pod (a counting allocator) of one run
//! of every shipped scenario, then for one run of each size the events, ns per event and the
//! peak heap per pod; then divan times the fan-outs.
//!
//! Run: `cargo bench --bench scale` (the 1,000,000-pod size takes a few seconds per sample).

use argosim::scenario::{self, Scenario};
#[path = "../tests/common/peak_heap.rs"]
mod peak_heap;

const SIZES: [u64; 3] = [10_000, 100_000, 1_000_000];

fn main() {
    // Every shipped scenario first (issue 14's memory goal is under 1 KiB per pod on each).
    for path in peak_heap::shipped_scenarios() {
        let sc = argosim::load_scenario(&path).expect("shipped scenario is valid");
        let (peak, r) = peak_heap::peak_of(|| argosim::simulate(&sc, 1));
        let name = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path);
        eprintln!(
            "{}: {} events, {} API requests, {} pods, peak heap {:.0} B/pod ({:.0} KiB)",
            name.display(),
            r.events,
            r.api.total_requests,
            r.pods.created,
            peak as f64 / r.pods.created.max(1) as f64,
            peak as f64 / 1024.0
        );
    }
    for pods in SIZES {
        let sc = scenario(pods);
        let t = std::time::Instant::now();
        let (peak, r) = peak_heap::peak_of(|| argosim::simulate(&sc, 1));
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "scale-{pods}: {} events, {:.0} ns/event, peak heap {:.0} B/pod, {} pods, {} succeeded, simulated {:.0} s",
            r.events,
            secs * 1e9 / r.events as f64,
            peak as f64 / pods as f64,
            r.pods.created,
            r.workflows.succeeded,
            r.end_time_s
        );
    }
    divan::main();
}

/// `pods` one-minute pods in workflows of 1,000.
fn scenario(pods: u64) -> Scenario {
    let text = format!(
        r#"
name = "scale-{pods}"
[experiment]
horizon = "48h"
[[cluster.pools]]
name = "n2-standard-16"
cpu = "16"
memory = "64Gi"
price_per_hour = 0.7769
nodes = {nodes}
[scheduler]
qps = 1000
burst = 2000
[controller]
qps = 1000
burst = 1500
[[workflows]]
name = "fan"
[[workflows.tasks]]
name = "shard"
width = 1000
cpu = "1"
memory = "2Gi"
duration = "1m"
[[submissions]]
workflow = "fan"
via = "kubectl"
count = {wfs}
clients = 50
"#,
        nodes = pods / 160,
        wfs = pods / 1000
    );
    scenario::parse("scale", &text).expect("valid bench scenario")
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn fanout_pods(b: divan::Bencher, pods: u64) {
    let sc = scenario(pods);
    b.bench(|| argosim::simulate(&sc, 1));
}
