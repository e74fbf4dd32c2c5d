//! Running a plan: every (point, replication) job on a rayon pool of `--jobs` threads, each
//! run's `RunReport` reduced to one row of headline metrics and dropped at once (memory grows
//! with rows, not with time series). [`run_in_memory`] returns the rows in job order;
//! [`run_jobs`] hands each row to a sink as soon as it is done (`crate::results_folder`
//! appends it to `runs.csv` there, so `--resume` can reload finished runs after a kill) and can
//! stop early. Callers sort rows by (point, replication), so results do not depend on
//! threads, order, interruptions or sharding.
//!
//! Left out: retrying failed runs (a run cannot fail: it is a pure function), distributed
//! locking, and cancelling runs already started when a stop trips.

use super::error::ExperimentError;
use super::grid::{Plan, metric_values};
use super::progress::Progress;
use super::results::Row;
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A rayon pool of `jobs` threads (None: all cores). The one `--jobs` rule of every command:
/// 0 and more than [`crate::scenario::defaults::MAX_JOBS`] are usage errors (refused, not
/// clamped, so a typo does not silently run with another thread count).
pub fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, ExperimentError> {
    let max = crate::scenario::defaults::MAX_JOBS;
    match jobs {
        Some(0) => return Err(ExperimentError::Usage("--jobs must be at least 1".into())),
        Some(j) if j > max => {
            return Err(ExperimentError::Usage(format!(
                "--jobs {j} is above the maximum of {max} worker threads (a run uses one core; use at most the machine's cores)"
            )));
        }
        _ => {}
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| ExperimentError::Usage(format!("cannot start {jobs:?} threads: {e}")))
}

fn simulate_row(plan: &Plan, point: usize, replication: u32, causes: bool) -> Row {
    let seed = plan.seed_of(point, replication);
    let report = crate::simulate(&plan.points[point].scenario, seed);
    let values = metric_values(&report);
    let l = &report.limits;
    let causes = if causes && l.workflows > 0 {
        l.causes
            .iter()
            .map(|c| (c.cause.clone(), c.seconds / l.workflows as f64))
            .collect()
    } else {
        Vec::new()
    };
    // The report (with its time series) is dropped here.
    Row {
        point,
        replication,
        seed,
        values,
        causes,
    }
}

/// Run every job of `plan` in memory (no files), rows sorted by (point, replication).
/// Used by `compare` and `check`.
pub fn run_in_memory(
    plan: &Plan,
    jobs: Option<usize>,
    progress: &dyn Progress,
) -> Result<Vec<Row>, ExperimentError> {
    let pool = pool(jobs)?;
    let todo: Vec<(usize, u32)> = (0..plan.points.len())
        .flat_map(|p| (0..plan.replications).map(move |r| (p, r)))
        .collect();
    progress.start(todo.len() as u64);
    let rows: Vec<Row> = pool.install(|| {
        todo.par_iter()
            .map(|&(p, r)| {
                let row = simulate_row(plan, p, r, true);
                progress.inc();
                row
            })
            .collect()
    });
    progress.finish();
    Ok(rows)
}

/// Run the `todo` jobs of `plan` on `pool`, handing each finished row to `sink` at once (in
/// completion order, one call at a time per row, from the worker that ran it), and returning
/// the rows in completion order. Once `stop_after` rows are done no new job starts, so fewer
/// rows than jobs come back. The first error of `sink` stops the run and is returned.
pub fn run_jobs(
    plan: &Plan,
    pool: &rayon::ThreadPool,
    todo: &[(usize, u32)],
    stop_after: Option<u64>,
    progress: &dyn Progress,
    sink: &(dyn Fn(&Row) -> Result<(), ExperimentError> + Sync),
) -> Result<Vec<Row>, ExperimentError> {
    let rows = Mutex::new(Vec::with_capacity(todo.len()));
    let stop = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    progress.start(todo.len() as u64);
    let done: Result<(), ExperimentError> = pool.install(|| {
        todo.par_iter().try_for_each(|&(p, r)| {
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let row = simulate_row(plan, p, r, false);
            sink(&row)?;
            rows.lock().unwrap_or_else(|e| e.into_inner()).push(row);
            progress.inc();
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            if stop_after.is_some_and(|limit| n >= limit) {
                stop.store(true, Ordering::SeqCst);
            }
            Ok(())
        })
    });
    progress.finish();
    done?;
    Ok(rows.into_inner().unwrap_or_else(|e| e.into_inner()))
}
