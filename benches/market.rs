//! End-to-end benchmark of `scenarios/market-run.toml`: a ~15-hour pipeline of ~6,300 pods
//! on two autoscaled pools (one spot), NFS storage, retries. Prints the events and simulated
//! time of one run, so events/s and wall time per simulated hour can be derived.
//!
//! Run: `cargo bench --bench market`

use argosim::scenario::{self, Scenario};

fn main() {
    let sc = scenario();
    let r = argosim::simulate(&sc, 1);
    eprintln!(
        "market-run: {} events, simulated {:.0} s ({:.2} h), {} pods, {} nodes added",
        r.events,
        r.end_time_s,
        r.end_time_s / 3600.0,
        r.pods.created,
        r.cluster.nodes_added
    );
    divan::main();
}

fn scenario() -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/market-run.toml");
    scenario::load(&path).expect("market-run scenario is valid")
}

#[divan::bench(sample_count = 10)]
fn market_run(b: divan::Bencher) {
    let sc = scenario();
    b.bench(|| argosim::simulate(&sc, 1));
}
