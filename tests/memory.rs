//! Peak heap per simulated pod on every shipped scenario stays under 1 KiB (issue 14's memory
//! goal; `cargo bench --bench scale -- no_such_bench` prints the same figures).
//!
//! Its own test binary: the counting allocator is global, so this file holds a single test
//! and nothing else allocates while it measures. Allocation sizes are deterministic for a
//! given build and scenario, so the figure is exact, not a timing: a change that adds bytes
//! per workflow or per pod fails here with the scenario and its figure, and either finds the
//! bytes elsewhere or updates the goal with a reason.

#[path = "common/peak_heap.rs"]
mod peak_heap;

/// Bytes of peak heap per created pod allowed (issue 14: "< 1 KiB per simulated pod at peak
/// on every shipped scenario").
const GOAL: f64 = 1024.0;

#[test]
fn every_shipped_scenario_peaks_under_1_kib_per_pod() {
    let paths = peak_heap::shipped_scenarios();
    assert!(paths.len() >= 17, "shipped scenarios found: {paths:?}");
    let mut over = Vec::new();
    for path in &paths {
        let sc = argosim::load_scenario(path).expect("shipped scenario is valid");
        let (peak, r) = peak_heap::peak_of(|| argosim::simulate(&sc, 1));
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
