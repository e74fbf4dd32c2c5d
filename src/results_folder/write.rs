//! Writing a results folder: the exporters' bytes of a finished grid ([`render`]), atomic
//! writes, clearing what an earlier grid left, and [`finalize`], which writes every file and
//! the manifest last. The bytes written depend only on the plan and the sorted rows.

use super::manifest::manifest;
use crate::experiment::error::{ExperimentError, io};
use crate::experiment::grid::{Plan, fnv1a64};
use crate::experiment::results::{GridResults, Row, Shard, files};
use crate::output;
use std::path::{Path, PathBuf};

/// Write `bytes` to `dir/name` atomically: a temporary file in the same folder, then rename.
/// On any error the temporary file is removed, so a failed write (disk full, a directory in
/// the way) leaves neither a partial file nor a `.NAME.tmp` behind.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ExperimentError> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string());
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    let done = std::fs::write(&tmp, bytes)
        .map_err(io(&tmp))
        .and_then(|()| std::fs::rename(&tmp, &path).map_err(io(&path)));
    if done.is_err() {
        // Best effort: the error being returned is the one that matters.
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// The exporters' files of a finished grid: (relative name, bytes), sorted by name.
pub fn render(results: &GridResults) -> Result<Vec<(String, Vec<u8>)>, ExperimentError> {
    let plan = results.plan;
    let mut out: Vec<(String, Vec<u8>)> = vec![
        (
            files::RUNS.into(),
            output::csv::runs_csv(plan, &results.rows),
        ),
        (
            files::POINTS.into(),
            output::csv::points_csv(plan, &results.points, &results.pareto),
        ),
        (
            files::SENSITIVITY.into(),
            output::csv::sensitivity_csv(plan, &results.sensitivity),
        ),
        (
            files::SCENARIO.into(),
            plan.provenance.resolved.as_bytes().to_vec(),
        ),
    ];
    let figures = output::plot::figures(results)
        .map_err(|(name, message)| ExperimentError::Plot { name, message })?;
    let mut plot_names = Vec::new();
    for f in figures {
        plot_names.push((f.stem.clone(), f.title.clone()));
        out.push((format!("{}/{}.png", files::PLOTS, f.stem), f.png));
        out.push((
            format!("{}/{}.svg", files::PLOTS, f.stem),
            f.svg.into_bytes(),
        ));
    }
    out.push((
        files::SUMMARY.into(),
        output::markdown::grid_summary(results, &plot_names).into_bytes(),
    ));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Remove what a previous grid left in `dir` (only files this layer writes).
pub fn clear(dir: &Path) -> Result<(), ExperimentError> {
    for f in [
        files::RUNS,
        files::POINTS,
        files::SENSITIVITY,
        files::SUMMARY,
        files::MANIFEST,
        files::SCENARIO,
    ] {
        let p = dir.join(f);
        if p.exists() {
            std::fs::remove_file(&p).map_err(io(&p))?;
        }
    }
    let plots = dir.join(files::PLOTS);
    if plots.is_dir() {
        for e in std::fs::read_dir(&plots).map_err(io(&plots))? {
            let p = e.map_err(io(&plots))?.path();
            if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("png" | "svg" | "tmp")
            ) {
                std::fs::remove_file(&p).map_err(io(&p))?;
            }
        }
    }
    Ok(())
}

/// Write every file of a finished grid (or of one shard, which gets only runs.csv, the
/// scenario and the manifest), manifest last. Returns the names written.
pub fn finalize(
    plan: &Plan,
    rows: Vec<Row>,
    dir: &Path,
    shard: Option<Shard>,
    invocation: serde_json::Value,
) -> Result<Vec<String>, ExperimentError> {
    let n = rows.len();
    let (written, chosen) = if shard.is_some() {
        let mut rows = rows;
        rows.sort_by_key(|r| (r.point, r.replication));
        let w = vec![
            (files::RUNS.to_string(), output::csv::runs_csv(plan, &rows)),
            (
                files::SCENARIO.to_string(),
                plan.provenance.resolved.as_bytes().to_vec(),
            ),
        ];
        (w, None)
    } else {
        let results = GridResults::new(plan, rows);
        (render(&results)?, results.chosen.clone())
    };
    let plots = dir.join(files::PLOTS);
    if shard.is_none() {
        std::fs::create_dir_all(&plots).map_err(io(&plots))?;
    }
    let mut hashes = Vec::new();
    for (name, bytes) in &written {
        write_atomic(dir, name, bytes)?;
        hashes.push((name.clone(), fnv1a64(bytes)));
    }
    let m = manifest(plan, shard, true, n, chosen.as_ref(), &hashes, invocation);
    write_atomic(dir, files::MANIFEST, m.as_bytes())?;
    let mut names: Vec<String> = written.into_iter().map(|(n, _)| n).collect();
    names.push(files::MANIFEST.into());
    Ok(names)
}

/// Paths of the folder's plots, for messages.
pub fn plot_dir(dir: &Path) -> PathBuf {
    dir.join(files::PLOTS)
}

/// Whether `name` is a file `argosim run --out` writes.
fn is_run_file(name: &str) -> bool {
    let ours = |stem: &str, ext: &str| {
        name.strip_prefix(stem)
            .and_then(|r| r.strip_suffix(ext))
            .is_some_and(|mid| mid.is_empty() || mid.starts_with("-r"))
    };
    name == "report.json"
        || name == "summary.txt"
        || ours("timeseries", ".csv")
        || ours("metrics", ".prom")
        || matches!(
            name,
            "timeline.png" | "timeline.svg" | "nodes.png" | "nodes.svg"
        )
        || name.ends_with(".tmp")
}

/// Get `dir` ready for `run --out`: a folder that holds anything is refused unless `force`,
/// and then the files of an earlier run (`report.json`, `summary.txt`, `timeseries*.csv`,
/// `metrics*.prom`, the timeline figures) are removed first, so none is left from a run with more replications.
/// Other files are kept.
pub fn prepare_run_folder(dir: &Path, force: bool) -> Result<(), ExperimentError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    if !force {
        return Err(ExperimentError::Results {
            path: dir.to_path_buf(),
            message: "is not empty; pass --force to replace the files of an earlier run".into(),
        });
    }
    for n in names.iter().filter(|n| is_run_file(n)) {
        let p = dir.join(n);
        if p.is_file() {
            std::fs::remove_file(&p).map_err(io(&p))?;
        }
    }
    Ok(())
}
