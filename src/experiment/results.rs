//! A grid's results folder: rows of `runs.csv` (write, read back, validate), per-point
//! statistics, the Pareto front and best point, the run whose time series are plotted, the
//! manifest, and atomic writes of every file.
//!
//! Everything written is a function of (scenario text, seed, replications, `--axis` list,
//! sorted rows), so a grid run with any `--jobs`, resumed after a kill, or merged from shards
//! writes the same bytes. The one exception is the manifest's `invocation` object (the command
//! line), which says how this copy was produced. Left out: fsync of the folder after renames,
//! and locking against two processes writing one folder.

use super::error::{ExperimentError, io};
use super::grid::{Plan, PlanInput};
use super::present;
use super::sensitivity::{self, Sensitivity};
use super::stats::{Agg, aggregate};
use crate::metrics::TimeSeries;
use crate::output;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Metric on the x axis of the runtime/cost plot and used to pick the best point.
pub const RUNTIME_METRIC: &str = "end_time_s";
/// Metric on the y axis of the runtime/cost plot.
pub const COST_METRIC: &str = "cost_total_usd";

/// File names in a results folder.
pub mod files {
    /// One row per run.
    pub const RUNS: &str = "runs.csv";
    /// One row per point.
    pub const POINTS: &str = "points.csv";
    /// Standardized regression coefficients.
    pub const SENSITIVITY: &str = "sensitivity.csv";
    /// Human summary.
    pub const SUMMARY: &str = "summary.md";
    /// Provenance and integrity.
    pub const MANIFEST: &str = "manifest.json";
    /// The scenario text the grid was expanded from.
    pub const SCENARIO: &str = "scenario.toml";
    /// Plot folder.
    pub const PLOTS: &str = "plots";
}

/// One run's headline metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
    /// Run seed.
    pub seed: u64,
    /// Metric values in [`Plan::metrics`] order.
    pub values: Vec<f64>,
}

/// Statistics of every metric at one point.
#[derive(Debug, Clone)]
pub struct PointSummary {
    /// Point index.
    pub point: usize,
    /// Runs.
    pub runs: usize,
    /// One per metric.
    pub aggs: Vec<Agg>,
}

/// The run whose time series are plotted.
#[derive(Debug, Clone)]
pub struct ChosenRun {
    /// Point index.
    pub point: usize,
    /// Replication.
    pub replication: u32,
    /// Seed.
    pub seed: u64,
    /// Its time series.
    pub timeseries: TimeSeries,
}

/// A slice of a grid: runs whose job index `point × replications + replication` is
/// `index − 1` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard `{s}`: expected K/N with 1 <= K <= N, e.g. 2/3");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether job `j` belongs to this shard.
    pub fn owns(&self, job: usize) -> bool {
        job % self.count as usize == (self.index - 1) as usize
    }
}

/// Everything the exporters of a finished grid read.
#[derive(Debug, Clone)]
pub struct GridResults<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// Rows sorted by (point, replication).
    pub rows: Vec<Row>,
    /// Per-point statistics, in point order.
    pub points: Vec<PointSummary>,
    /// Points on the runtime/cost Pareto front, by increasing runtime.
    pub pareto: Vec<usize>,
    /// Point with the lowest mean runtime (ties: lower cost, then lower index).
    pub best: Option<usize>,
    /// Sensitivity of every metric to the axes.
    pub sensitivity: Vec<Sensitivity>,
    /// The run whose time series are plotted (best point, replication 0).
    pub chosen: Option<ChosenRun>,
}

/// Index of metric `name` in the plan.
pub fn metric_index(plan: &Plan, name: &str) -> Option<usize> {
    plan.metrics.iter().position(|m| m == name)
}

/// Per-point statistics of sorted rows.
pub fn summarise_points(plan: &Plan, rows: &[Row]) -> Vec<PointSummary> {
    let mut out = Vec::with_capacity(plan.points.len());
    let mut i = 0;
    for p in 0..plan.points.len() {
        let start = i;
        while i < rows.len() && rows[i].point == p {
            i += 1;
        }
        let slice = &rows[start..i];
        let aggs = (0..plan.metrics.len())
            .map(|m| aggregate(&slice.iter().map(|r| r.values[m]).collect::<Vec<_>>()))
            .collect();
        out.push(PointSummary {
            point: p,
            runs: slice.len(),
            aggs,
        });
    }
    out
}

/// Points not dominated in (runtime, cost) means, by increasing runtime then index.
pub fn pareto_front(points: &[PointSummary], rt: usize, cost: usize) -> Vec<usize> {
    let key = |p: &PointSummary| (p.aggs[rt].mean, p.aggs[cost].mean);
    let valid: Vec<&PointSummary> = points
        .iter()
        .filter(|p| p.runs > 0 && key(p).0.is_finite() && key(p).1.is_finite())
        .collect();
    let mut front: Vec<&PointSummary> = valid
        .iter()
        .filter(|p| {
            let (r, c) = key(p);
            !valid.iter().any(|q| {
                let (r2, c2) = key(q);
                r2 <= r && c2 <= c && (r2 < r || c2 < c)
            })
        })
        .copied()
        .collect();
    front.sort_by(|a, b| {
        key(a)
            .0
            .total_cmp(&key(b).0)
            .then(key(a).1.total_cmp(&key(b).1))
            .then(a.point.cmp(&b.point))
    });
    front.iter().map(|p| p.point).collect()
}

/// The point with the lowest mean runtime (ties: lower cost, then lower index).
pub fn best_point(points: &[PointSummary], rt: usize, cost: usize) -> Option<usize> {
    points
        .iter()
        .filter(|p| p.runs > 0 && p.aggs[rt].mean.is_finite())
        .min_by(|a, b| {
            a.aggs[rt]
                .mean
                .total_cmp(&b.aggs[rt].mean)
                .then(a.aggs[cost].mean.total_cmp(&b.aggs[cost].mean))
                .then(a.point.cmp(&b.point))
        })
        .map(|p| p.point)
}

impl<'a> GridResults<'a> {
    /// Compute statistics, front, sensitivity, and re-simulate the chosen run for its time
    /// series (a run is a pure function of scenario and seed, so this is exact).
    pub fn new(plan: &'a Plan, mut rows: Vec<Row>) -> GridResults<'a> {
        rows.sort_by_key(|r| (r.point, r.replication));
        let points = summarise_points(plan, &rows);
        let rt = metric_index(plan, RUNTIME_METRIC);
        let cost = metric_index(plan, COST_METRIC);
        let (pareto, best) = match (rt, cost) {
            (Some(rt), Some(c)) => (pareto_front(&points, rt, c), best_point(&points, rt, c)),
            _ => (Vec::new(), None),
        };
        let sensitivity = sensitivity::analyse(plan, &rows);
        let chosen = best.map(|p| {
            let seed = plan.seed_of(p, 0);
            let report = crate::simulate(&plan.points[p].scenario, seed);
            ChosenRun {
                point: p,
                replication: 0,
                seed,
                timeseries: report.timeseries,
            }
        });
        GridResults {
            plan,
            rows,
            points,
            pareto,
            best,
            sensitivity,
            chosen,
        }
    }
}

/// Write `bytes` to `dir/name` atomically: a temporary file in the same folder, then rename.
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
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(())
}

/// Settings that must match for rows to belong to the same grid (resume, merge).
pub fn identity(plan: &Plan) -> serde_json::Value {
    json!({
        "argosim_version": env!("CARGO_PKG_VERSION"),
        "scenario_fnv1a64": format!("{:016x}", plan.hash),
        "seed": plan.seed,
        "replications": plan.replications,
        "cli_axes": plan.input.cli_axes,
    })
}

/// The manifest: provenance of a results folder. Everything but `invocation` is a function
/// of the grid and its rows.
pub fn manifest(
    plan: &Plan,
    shard: Option<Shard>,
    complete: bool,
    runs_in_folder: usize,
    chosen: Option<&ChosenRun>,
    files: &[(String, u64)],
    invocation: serde_json::Value,
) -> String {
    let axes: Vec<serde_json::Value> = plan
        .grid
        .axes
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "values": a.texts,
                "numeric": a.numeric.iter().map(|x| if x.is_finite() { json!(x) } else { json!(null) }).collect::<Vec<_>>(),
                "unit": a.unit.name(),
            })
        })
        .collect();
    let zip: Vec<Vec<&str>> = plan
        .grid
        .factors
        .iter()
        .filter(|f| f.len() > 1)
        .map(|f| f.iter().map(|&i| plan.grid.axes[i].name.as_str()).collect())
        .collect();
    let seed_rule = match plan.grid.seeds {
        super::grid::SeedMode::Independent => {
            "derive_seed(derive_seed(seed, \"point/{point}\"), \"replication/{replication}\")"
        }
        super::grid::SeedMode::Common => "derive_seed(seed, \"replication/{replication}\")",
    };
    let mut m = serde_json::Map::new();
    m.insert("argosim_version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert("complete".into(), json!(complete));
    m.insert(
        "scenario".into(),
        json!({
            "name": plan.name,
            "file": files::SCENARIO,
            "fnv1a64": format!("{:016x}", plan.hash),
        }),
    );
    m.insert("seed".into(), json!(plan.seed));
    m.insert("seed_mode".into(), json!(plan.grid.seeds.name()));
    m.insert("seed_derivation".into(), json!(seed_rule));
    m.insert("replications".into(), json!(plan.replications));
    m.insert("cli_axes".into(), json!(plan.input.cli_axes));
    m.insert(
        "grid".into(),
        json!({
            "mode": match plan.grid.mode { super::grid::GridMode::Cartesian => "cartesian", super::grid::GridMode::Zip => "zip" },
            "zip": zip,
            "axes": axes,
            "points": plan.points.len(),
            "runs": plan.run_count(),
        }),
    );
    m.insert(
        "shard".into(),
        match shard {
            Some(s) => json!({"index": s.index, "count": s.count}),
            None => json!(null),
        },
    );
    m.insert("runs_in_folder".into(), json!(runs_in_folder));
    m.insert("metrics".into(), json!(plan.metrics));
    m.insert("runtime_metric".into(), json!(RUNTIME_METRIC));
    m.insert("cost_metric".into(), json!(COST_METRIC));
    m.insert(
        "chosen_run".into(),
        match chosen {
            Some(c) => json!({"point": c.point, "replication": c.replication, "seed": c.seed}),
            None => json!(null),
        },
    );
    let f: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|(n, h)| (n.clone(), json!(format!("fnv1a64:{h:016x}"))))
        .collect();
    m.insert("files".into(), serde_json::Value::Object(f));
    m.insert("invocation".into(), invocation);
    let mut s = serde_json::to_string_pretty(&serde_json::Value::Object(m)).expect("json");
    s.push('\n');
    s
}

/// Read a results folder's manifest.
pub fn read_manifest(dir: &Path) -> Result<serde_json::Value, ExperimentError> {
    let path = dir.join(files::MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|e| ExperimentError::Results {
        path,
        message: format!("not a valid manifest: {e}"),
    })
}

/// Whether a manifest describes the same grid as `plan` (same version, scenario text, seed,
/// replications and `--axis` list); the mismatching field if not.
pub fn same_grid(manifest: &serde_json::Value, plan: &Plan) -> Result<(), String> {
    let want = identity(plan);
    let got = json!({
        "argosim_version": manifest["argosim_version"],
        "scenario_fnv1a64": manifest["scenario"]["fnv1a64"],
        "seed": manifest["seed"],
        "replications": manifest["replications"],
        "cli_axes": manifest["cli_axes"],
    });
    for k in [
        "argosim_version",
        "scenario_fnv1a64",
        "seed",
        "replications",
        "cli_axes",
    ] {
        if want[k] != got[k] {
            return Err(format!(
                "{k} is {} here but {} in this folder",
                want[k], got[k]
            ));
        }
    }
    Ok(())
}

/// Rebuild the plan a results folder was produced from (its `scenario.toml` and manifest).
pub fn plan_from_folder(dir: &Path) -> Result<(Plan, serde_json::Value), ExperimentError> {
    let m = read_manifest(dir)?;
    let path = dir.join(files::SCENARIO);
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    let bad = |what: &str| ExperimentError::Results {
        path: dir.join(files::MANIFEST),
        message: format!("manifest has no valid `{what}`"),
    };
    let seed = m["seed"].as_u64().ok_or_else(|| bad("seed"))?;
    let replications = m["replications"]
        .as_u64()
        .and_then(|r| u32::try_from(r).ok())
        .ok_or_else(|| bad("replications"))?;
    let cli_axes = m["cli_axes"]
        .as_array()
        .ok_or_else(|| bad("cli_axes"))?
        .iter()
        .map(|v| v.as_str().map(String::from).ok_or_else(|| bad("cli_axes")))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = Plan::new(PlanInput {
        source: path.display().to_string(),
        text,
        cli_axes,
        seed: Some(seed),
        replications: Some(replications),
        use_grid: true,
    })?;
    if let Err(e) = same_grid(&m, &plan) {
        return Err(ExperimentError::Results {
            path: dir.to_path_buf(),
            message: format!("{} does not match the manifest: {e}", files::SCENARIO),
        });
    }
    Ok((plan, m))
}

/// Read `runs.csv` rows written by this plan. A last line without a newline (a run killed
/// while writing) is dropped; any other malformed line is an error naming its line. Exact
/// duplicates are dropped; conflicting ones are an error.
pub fn read_runs(plan: &Plan, path: &Path) -> Result<Vec<Row>, ExperimentError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    parse_runs(plan, path, &bytes)
}

/// Parse `runs.csv` bytes (see [`read_runs`]).
pub fn parse_runs(plan: &Plan, path: &Path, bytes: &[u8]) -> Result<Vec<Row>, ExperimentError> {
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => &bytes[..=i],
        None => &[][..],
    };
    let err = |line: usize, message: String| ExperimentError::Results {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    if complete.is_empty() {
        return Ok(Vec::new());
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(complete);
    let want: Vec<String> = output::csv::runs_header(plan);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| err(1, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    if header != want {
        return Err(err(
            1,
            format!(
                "header does not match this grid (expected `{}`)",
                want.join(",")
            ),
        ));
    }
    let naxes = plan.grid.axes.len();
    let mut rows: Vec<Row> = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        if rec.len() != want.len() {
            return Err(err(
                line,
                format!("{} fields, expected {}", rec.len(), want.len()),
            ));
        }
        let point: usize = rec[0]
            .parse()
            .ok()
            .filter(|p| *p < plan.points.len())
            .ok_or_else(|| err(line, format!("bad point `{}`", &rec[0])))?;
        let replication: u32 = rec[1]
            .parse()
            .ok()
            .filter(|r| *r < plan.replications)
            .ok_or_else(|| err(line, format!("bad replication `{}`", &rec[1])))?;
        let seed: u64 = rec[2]
            .parse()
            .map_err(|_| err(line, format!("bad seed `{}`", &rec[2])))?;
        if seed != plan.seed_of(point, replication) {
            return Err(err(
                line,
                format!("seed {seed} is not the seed of point {point} replication {replication}"),
            ));
        }
        for (a, axis) in plan.grid.axes.iter().enumerate() {
            let want = &axis.texts[plan.points[point].values[a]];
            if &rec[3 + a] != want {
                return Err(err(
                    line,
                    format!("`{}` is `{}`, expected `{want}`", axis.name, &rec[3 + a]),
                ));
            }
        }
        let values = (0..plan.metrics.len())
            .map(|m| {
                let s = &rec[3 + naxes + m];
                if s.is_empty() {
                    Ok(f64::NAN)
                } else {
                    s.parse::<f64>()
                        .map_err(|_| err(line, format!("bad `{}` value `{s}`", plan.metrics[m])))
                }
            })
            .collect::<Result<Vec<f64>, _>>()?;
        let row = Row {
            point,
            replication,
            seed,
            values,
        };
        match seen.get(&(point, replication)) {
            None => {
                seen.insert((point, replication), rows.len());
                rows.push(row);
            }
            Some(&j) => {
                let same = rows[j]
                    .values
                    .iter()
                    .zip(&row.values)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                if !same {
                    return Err(err(
                        line,
                        format!(
                            "point {point} replication {replication} appears twice with different values"
                        ),
                    ));
                }
            }
        }
    }
    Ok(rows)
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
        (files::SCENARIO.into(), plan.input.text.as_bytes().to_vec()),
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
                plan.input.text.as_bytes().to_vec(),
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
        hashes.push((name.clone(), super::grid::fnv1a64(bytes)));
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

/// One line per point for terminal output: index, axis values, mean runtime and cost.
pub fn point_lines(results: &GridResults) -> Vec<String> {
    let plan = results.plan;
    let rt = metric_index(plan, RUNTIME_METRIC);
    let cost = metric_index(plan, COST_METRIC);
    results
        .points
        .iter()
        .map(|p| {
            let mut s = format!("point {}", p.point);
            let d = plan.grid.describe(&plan.points[p.point].values);
            if !d.is_empty() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(i) = rt {
                s.push_str(&format!(
                    ": {} {}",
                    present::label(RUNTIME_METRIC),
                    present::format_value(RUNTIME_METRIC, p.aggs[i].mean)
                ));
            }
            if let Some(i) = cost {
                s.push_str(&format!(
                    ", {} {}",
                    present::label(COST_METRIC),
                    present::format_value(COST_METRIC, p.aggs[i].mean)
                ));
            }
            s
        })
        .collect()
}
