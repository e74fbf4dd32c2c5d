//! Scaling benchmark: fan-outs of 10,000, 100,000 and 1,000,000 one-minute pods (workflows of
//! 1,000 pods each, all submitted at once, on a pool of one 16-core node per 160 pods, so the
//! pods run in ~10 waves), to show whether the cost per event and the memory per pod stay
//! flat as the run grows. `main` prints the peak heap per pod (a counting allocator) of one run
//! of every shipped scenario, then for one run of each size the events, ns per event and the
//! peak heap per pod; then divan times the fan-outs.
//!
//! Run: `cargo bench --bench scale` (the 1,000,000-pod size takes a few seconds per sample).

use argosim::scenario::{self, Scenario};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting live and peak bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the same layout; the counters are plain
// atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const SIZES: [u64; 3] = [10_000, 100_000, 1_000_000];

fn main() {
    // Every shipped scenario first (issue 14's memory goal is under 1 KiB per pod on each).
    for path in shipped_scenarios() {
        let sc = argosim::load_scenario(&path).expect("shipped scenario is valid");
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let r = argosim::simulate(&sc, 1);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
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
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = std::time::Instant::now();
        let r = argosim::simulate(&sc, 1);
        let secs = t.elapsed().as_secs_f64();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
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

/// `scenarios/*.toml` and `scenarios/manifests/etl.toml`, sorted.
fn shipped_scenarios() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.push(dir.join("manifests/etl.toml"));
    v.sort();
    v
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
