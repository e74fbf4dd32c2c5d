//! A results folder's `manifest.json`: provenance (version, scenario hash, seed rule, grid,
//! shard, chosen run, a hash of every file, the command line), reading it back, and the
//! identity check that `--resume` and `merge` apply before trusting a folder's rows. Also
//! rebuilding the plan a folder was produced from (its `scenario.toml` and manifest).

use crate::experiment::error::{ExperimentError, read_results_text};
use crate::experiment::grid::{GridMode, Plan, PlanInput, SeedMode};
use crate::experiment::provenance::{InputFile, changed_input};
use crate::experiment::results::{COST_METRIC, ChosenRun, RUNTIME_METRIC, Shard, files};
use serde_json::json;
use std::path::Path;

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
        SeedMode::Independent => {
            "derive_seed(derive_seed(seed, \"point/{point}\"), \"replication/{replication}\")"
        }
        SeedMode::Common => "derive_seed(seed, \"replication/{replication}\")",
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
    let inputs: Vec<serde_json::Value> = plan
        .provenance
        .inputs
        .iter()
        .map(|f| json!({"file": f.file, "fnv1a64": format!("{:016x}", f.fnv1a64)}))
        .collect();
    m.insert("inputs".into(), json!(inputs));
    m.insert("seed".into(), json!(plan.seed));
    m.insert("seed_mode".into(), json!(plan.grid.seeds.name()));
    m.insert("seed_derivation".into(), json!(seed_rule));
    m.insert("replications".into(), json!(plan.replications));
    m.insert("cli_axes".into(), json!(plan.input.cli_axes));
    m.insert(
        "grid".into(),
        json!({
            "mode": match plan.grid.mode { GridMode::Cartesian => "cartesian", GridMode::Zip => "zip" },
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
    let text = read_results_text(&path)?;
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
        if k == "scenario_fnv1a64"
            && let Some(why) = changed_input(&plan.provenance.inputs, &folder_inputs(manifest))
        {
            // Every input's content is part of the identity, even where the resolved
            // scenario would come out the same (a comment in a manifest).
            return Err(why);
        }
        if want[k] != got[k] {
            return Err(format!(
                "{k} is {} here but {} in this folder",
                want[k], got[k]
            ));
        }
    }
    Ok(())
}

/// The `inputs` list of a manifest (empty for folders written before it existed).
fn folder_inputs(manifest: &serde_json::Value) -> Vec<InputFile> {
    manifest["inputs"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|f| InputFile {
                    file: f["file"].as_str().unwrap_or_default().to_string(),
                    fnv1a64: f["fnv1a64"]
                        .as_str()
                        .and_then(|h| u64::from_str_radix(h, 16).ok())
                        .unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Rebuild the plan a results folder was produced from (its `scenario.toml` and manifest).
pub fn plan_from_folder(dir: &Path) -> Result<(Plan, serde_json::Value), ExperimentError> {
    let m = read_manifest(dir)?;
    let path = dir.join(files::SCENARIO);
    let text = read_results_text(&path)?;
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
    // The folder's scenario.toml is already resolved: its inputs are the ones recorded.
    let mut plan = plan;
    let recorded = folder_inputs(&m);
    if !recorded.is_empty() {
        plan.provenance.inputs = recorded;
    }
    if let Err(e) = same_grid(&m, &plan) {
        return Err(ExperimentError::Results {
            path: dir.to_path_buf(),
            message: format!("{} does not match the manifest: {e}", files::SCENARIO),
        });
    }
    Ok((plan, m))
}
