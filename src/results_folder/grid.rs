//! `argosim grid` and `argosim merge`: run a plan into a results folder, one `runs.csv` line
//! appended and flushed per finished run, so `--resume` can reload finished runs after a kill;
//! then the final files are written from the rows sorted by (point, replication), so bytes do
//! not depend on threads, order, interruptions or sharding. `merge` joins shard folders into
//! the files of an unsharded run.
//!
//! Left out: locking against two processes writing one folder, and cancelling runs already
//! started when `--stop-after` trips.

use super::manifest::{manifest, plan_from_folder, read_manifest, same_grid};
use super::runs::read_runs;
use super::write::{clear, finalize, write_atomic};
use crate::experiment::error::{ExperimentError, io, read_results_file};
use crate::experiment::grid::{Plan, fnv1a64};
use crate::experiment::progress::Progress;
use crate::experiment::results::{Row, Shard, files};
use crate::experiment::runner::{self, run_jobs};
use crate::output;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Options of `argosim grid`.
#[derive(Debug, Clone, Default)]
pub struct GridOptions {
    /// Results folder.
    pub out: PathBuf,
    /// Worker threads (None: all cores).
    pub jobs: Option<usize>,
    /// Run only this slice.
    pub shard: Option<Shard>,
    /// Continue a run interrupted in `out`.
    pub resume: bool,
    /// Replace what is in `out`.
    pub force: bool,
    /// Stop after this many runs (test hook that simulates a kill).
    pub stop_after: Option<u64>,
    /// The command line, recorded in the manifest.
    pub command: Vec<String>,
}

/// How a grid run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridOutcome {
    /// All runs of the grid (or shard) are done and every file is written.
    Complete {
        /// Runs simulated by this invocation.
        ran: usize,
        /// Runs reloaded from an earlier, interrupted invocation.
        reused: usize,
        /// Files written, relative to the folder.
        files: Vec<String>,
    },
    /// `--stop-after` tripped; `runs.csv` holds the finished runs.
    Stopped {
        /// Runs finished so far (all invocations).
        done: usize,
        /// Runs still to do.
        remaining: usize,
    },
}

fn invocation(command: &[String], extra: serde_json::Value) -> serde_json::Value {
    let mut v = json!({ "command": command });
    if let (Some(o), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

/// Run a grid (or one shard of it) into `opts.out`, resuming if asked.
pub fn run_grid(
    plan: &Plan,
    opts: &GridOptions,
    progress: &dyn Progress,
) -> Result<GridOutcome, ExperimentError> {
    let dir = opts.out.as_path();
    let pool = runner::pool(opts.jobs)?;
    let runs_path = dir.join(files::RUNS);
    let manifest_path = dir.join(files::MANIFEST);
    let has_previous = runs_path.exists() || manifest_path.exists();
    if has_previous && !opts.resume && !opts.force {
        return Err(ExperimentError::Results {
            path: dir.to_path_buf(),
            message: "already holds grid results; pass --resume to continue them or --force to \
                      replace them"
                .into(),
        });
    }
    if opts.force && !opts.resume {
        clear(dir)?;
    }
    let mut done: Vec<Row> = Vec::new();
    if opts.resume && manifest_path.exists() {
        let m = read_manifest(dir)?;
        same_grid(&m, plan).map_err(|e| ExperimentError::Results {
            path: dir.to_path_buf(),
            message: format!("cannot resume a different grid: {e}"),
        })?;
        let shard_here = match &m["shard"] {
            serde_json::Value::Null => None,
            s => Some(Shard {
                index: s["index"].as_u64().unwrap_or(0) as u32,
                count: s["count"].as_u64().unwrap_or(0) as u32,
            }),
        };
        if shard_here != opts.shard {
            return Err(ExperimentError::Results {
                path: dir.to_path_buf(),
                message: format!(
                    "cannot resume: the folder holds shard {:?}, this run asks for {:?}",
                    shard_here, opts.shard
                ),
            });
        }
        if runs_path.exists() {
            done = read_runs(plan, &runs_path)?;
        }
    } else if opts.resume && runs_path.exists() {
        return Err(ExperimentError::Results {
            path: dir.to_path_buf(),
            message: "has runs.csv but no manifest.json, so it cannot be checked; use --force"
                .into(),
        });
    }
    let owns = |p: usize, r: u32| {
        opts.shard
            .is_none_or(|s| s.owns(p * plan.replications as usize + r as usize))
    };
    if let Some(r) = done.iter().find(|r| !owns(r.point, r.replication)) {
        return Err(ExperimentError::Results {
            path: runs_path.clone(),
            message: format!(
                "point {} replication {} does not belong to this shard",
                r.point, r.replication
            ),
        });
    }

    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let cmd_info = invocation(&opts.command, json!({}));
    // The in-progress manifest identifies the grid for a later --resume.
    let hashes = Vec::new();
    let m = manifest(
        plan,
        opts.shard,
        false,
        done.len(),
        None,
        &hashes,
        cmd_info.clone(),
    );
    write_atomic(dir, files::MANIFEST, m.as_bytes())?;
    write_atomic(dir, files::SCENARIO, plan.provenance.resolved.as_bytes())?;
    // Start runs.csv again from the rows kept (drops a torn last line).
    let mut start = output::csv::runs_header_bytes(plan);
    for r in &done {
        start.extend(output::csv::run_line(plan, r));
    }
    write_atomic(dir, files::RUNS, &start)?;

    let finished: std::collections::BTreeSet<(usize, u32)> =
        done.iter().map(|r| (r.point, r.replication)).collect();
    let todo: Vec<(usize, u32)> = (0..plan.points.len())
        .flat_map(|p| (0..plan.replications).map(move |r| (p, r)))
        .filter(|&(p, r)| owns(p, r) && !finished.contains(&(p, r)))
        .collect();
    let reused = done.len();
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&runs_path)
        .map_err(io(&runs_path))?;
    let file = Mutex::new(file);
    let append = |row: &Row| -> Result<(), ExperimentError> {
        let line = output::csv::run_line(plan, row);
        let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(&line)
            .and_then(|()| f.flush())
            .map_err(io(&runs_path))
    };
    let new_rows = run_jobs(plan, &pool, &todo, opts.stop_after, progress, &append)?;
    drop(file);
    let ran = new_rows.len();
    done.extend(new_rows);
    if ran < todo.len() {
        return Ok(GridOutcome::Stopped {
            done: done.len(),
            remaining: todo.len() - ran,
        });
    }
    let files = finalize(plan, done, dir, opts.shard, cmd_info)?;
    Ok(GridOutcome::Complete { ran, reused, files })
}

/// Join shard folders (from `grid --shard K/N`, all N of them) into `out`, writing the same
/// files an unsharded run writes.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
    command: &[String],
) -> Result<(usize, Vec<String>), ExperimentError> {
    if dirs.is_empty() {
        return Err(ExperimentError::Usage(
            "merge needs at least one shard folder".into(),
        ));
    }
    let (plan, first) = plan_from_folder(&dirs[0])?;
    let mut seen: Vec<Option<PathBuf>> = Vec::new();
    let mut count = None;
    let mut rows = Vec::new();
    for d in dirs {
        let m = read_manifest(d)?;
        let fail = |message: String| ExperimentError::Results {
            path: d.clone(),
            message,
        };
        same_grid(&m, &plan).map_err(|e| {
            fail(format!(
                "is not a shard of the same grid as {}: {e}",
                dirs[0].display()
            ))
        })?;
        if m["scenario"]["fnv1a64"] != first["scenario"]["fnv1a64"] {
            return Err(fail("has a different scenario".into()));
        }
        if m["complete"] != json!(true) {
            return Err(fail(
                "is not complete; finish it with `argosim grid ... --shard K/N --resume`".into(),
            ));
        }
        let (k, n) = match (&m["shard"]["index"], &m["shard"]["count"]) {
            (serde_json::Value::Number(k), serde_json::Value::Number(n)) => (
                k.as_u64().unwrap_or(0) as usize,
                n.as_u64().unwrap_or(0) as usize,
            ),
            _ => (1, 1),
        };
        if k == 0 || k > n {
            return Err(fail(format!("bad shard {k}/{n} in its manifest")));
        }
        match count {
            None => {
                count = Some(n);
                seen = vec![None; n];
            }
            Some(c) if c != n => {
                return Err(fail(format!(
                    "is shard {k}/{n}, but other folders are of {c} shards"
                )));
            }
            _ => {}
        }
        if let Some(prev) = &seen[k - 1] {
            return Err(fail(format!(
                "is shard {k}/{n}, and so is {}",
                prev.display()
            )));
        }
        seen[k - 1] = Some(d.clone());
        let text = read_results_file(&d.join(files::SCENARIO))?;
        if fnv1a64(&text) != plan.hash {
            return Err(fail("scenario.toml does not match its manifest".into()));
        }
        rows.extend(read_runs(&plan, &d.join(files::RUNS))?);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{}", i + 1, seen.len()))
        .collect();
    if !missing.is_empty() {
        return Err(ExperimentError::Usage(format!(
            "missing shard folder(s) for {}",
            missing.join(", ")
        )));
    }
    rows.sort_by_key(|r| (r.point, r.replication));
    let before = rows.len();
    rows.dedup_by_key(|r| (r.point, r.replication));
    if rows.len() != before || rows.len() != plan.run_count() {
        return Err(ExperimentError::Usage(format!(
            "the shards hold {before} runs ({} distinct) but the grid has {}",
            rows.len(),
            plan.run_count()
        )));
    }
    let has_previous = out.join(files::RUNS).exists() || out.join(files::MANIFEST).exists();
    if has_previous {
        if !force {
            return Err(ExperimentError::Results {
                path: out.to_path_buf(),
                message: "already holds grid results; pass --force to replace them".into(),
            });
        }
        clear(out)?;
    }
    let n = rows.len();
    let merged_from: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let files = finalize(
        &plan,
        rows,
        out,
        None,
        invocation(command, json!({ "merged_from": merged_from })),
    )?;
    Ok((n, files))
}
