//! Peak heap per simulated pod on every shipped scenario stays under 1 KiB (issue 14's memory
//! goal; `cargo bench --bench scale -- no_such_bench` prints the same figures).
//!
//! Its own test binary: the counting allocator is global, so this file holds a single test
//! and nothing else allocates while it measures. Allocation sizes are deterministic for a
//! given build and scenario, so the figure is exact, not a timing: a change that adds bytes
//! per workflow or per pod fails here with the scenario and its figure, and either finds the
//! bytes elsewhere or updates the goal with a reason.

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

/// Bytes of peak heap per created pod allowed (issue 14: "< 1 KiB per simulated pod at peak
/// on every shipped scenario").
const GOAL: f64 = 1024.0;

#[test]
fn every_shipped_scenario_peaks_under_1_kib_per_pod() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.push(dir.join("manifests/etl.toml"));
    paths.sort();
    assert!(paths.len() >= 17, "shipped scenarios found: {paths:?}");
    let mut over = Vec::new();
    for path in &paths {
        let sc = argosim::load_scenario(path).expect("shipped scenario is valid");
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let r = argosim::simulate(&sc, 1);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        let per_pod = peak as f64 / r.pods.created.max(1) as f64;
        if per_pod >= GOAL {
            over.push(format!(
                "{}: {per_pod:.0} B/pod ({} pods, peak {peak} B)",
                path.display(),
                r.pods.created
            ));
        }
    }
    assert!(over.is_empty(), "over {GOAL} B per pod: {over:#?}");
}
