//! Experiment-layer benchmark: a grid of 1,000 runs of the embedded default scenario (the
//! 400-shard nightly ETL; 4 controller.qps values x 250 replications) on 2 threads (and on 1,
//! for the parallel efficiency; the same for 10,000 runs, issue 14's size), first with
//! rows kept in memory (`run_in_memory`, as `compare` and `check` do), then as `argosim grid`
//! does it: runs.csv appended per run, then points.csv, sensitivity, summary.md, PNG+SVG plots
//! and the manifest written atomically.
//!
//! Run: `cargo bench --bench grid`. The CLI equivalent of the second bench:
//! `argosim grid scenarios/default.toml --axis 'controller.qps=[20, 50, 100, 200]'
//!  --replications 250 --jobs 2 --out results/bench`.

use argosim::experiment::progress::Quiet;
use argosim::experiment::{Plan, PlanInput, run_in_memory};
use argosim::results_folder::{GridOptions, run_grid};

fn main() {
    divan::main();
}

fn plan() -> Plan {
    plan_of(250)
}

/// The default scenario at 4 `controller.qps` values x `replications`.
fn plan_of(replications: u32) -> Plan {
    Plan::new(PlanInput {
        source: "default.toml".into(),
        text: argosim::scenario::DEFAULT_SCENARIO.into(),
        cli_axes: vec!["controller.qps=[20, 50, 100, 200]".into()],
        seed: Some(1),
        replications: Some(replications),
        use_grid: true,
    })
    .expect("valid bench grid")
}

/// The grid at `replications` per point, rows in memory, on `threads` threads.
fn in_memory(b: divan::Bencher, replications: u32, threads: usize) {
    let p = plan_of(replications);
    b.bench(|| {
        run_in_memory(&p, Some(threads), &Quiet)
            .expect("runs")
            .len()
    });
}

/// 1,000 runs, rows in memory, on 2 threads.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn runs_1000_in_memory(b: divan::Bencher) {
    in_memory(b, 250, 2);
}

/// The same 1,000 runs on 1 thread: with the 2-thread bench, the parallel efficiency.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn runs_1000_in_memory_1_thread(b: divan::Bencher) {
    in_memory(b, 250, 1);
}

/// Issue 14's size: 10,000 runs (4 x 2,500), rows in memory, on 2 threads. The goal is
/// 100,000 runs a minute, i.e. 6 s for these.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn runs_10000_in_memory(b: divan::Bencher) {
    in_memory(b, 2_500, 2);
}

/// The same 10,000 runs on 1 thread.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn runs_10000_in_memory_1_thread(b: divan::Bencher) {
    in_memory(b, 2_500, 1);
}

/// 1,000 runs with every results file written.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn grid_1000_with_files(b: divan::Bencher) {
    let p = plan();
    b.bench(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = GridOptions {
            out: dir.path().join("bench"),
            jobs: Some(2),
            command: vec!["bench".into()],
            ..GridOptions::default()
        };
        run_grid(&p, &opts, &Quiet).expect("grid")
    });
}
