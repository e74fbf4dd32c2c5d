//! End-to-end benchmark: one workflow fanning out to 5,000 pods (constant 10 min each) on 40
//! n2-standard-16 nodes (~640 pods at a time, so it runs in waves), with Argo v3.6 defaults.
//! Prints events per run once, so events/s and wall time per simulated hour can be derived.
//!
//! Run: `cargo bench --bench fanout`

use argosim::scenario::{self, Scenario};

fn main() {
    let sc = scenario();
    let r = argosim::simulate(&sc, 1);
    eprintln!(
        "fanout-5000: {} events, simulated {:.0} s, {} pods, phase {}",
        r.events, r.end_time_s, r.pods.created, r.workflows.list[0].phase
    );
    divan::main();
}

/// The 5,000-pod fan-out scenario.
pub fn scenario() -> Scenario {
    let text = r#"
name = "fanout-5000"
[[cluster.pools]]
name = "n2-standard-16"
cpu = "16"
memory = "64Gi"
price_per_hour = 0.7769
nodes = 40
[[workflows]]
name = "fanout"
[[workflows.tasks]]
name = "shard"
width = 5000
cpu = "1"
memory = "2Gi"
duration = "10m"
[[submissions]]
workflow = "fanout"
"#;
    scenario::parse("fanout-5000", text).expect("valid bench scenario")
}

#[divan::bench(sample_count = 10)]
fn fanout_5000_pods(b: divan::Bencher) {
    let sc = scenario();
    b.bench(|| argosim::simulate(&sc, 1));
}
