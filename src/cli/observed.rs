//! `calibrate` and `replay`: the commands that read a user's real Workflow and Pod objects
//! (`argosim::observed`), kept apart from the simulation commands in `main.rs`. Parse the
//! flags, call the library, write the `--out` files, print; no logic of their own.

use crate::{TextFormat, read_text, warn_all, with_sets};
use anyhow::Result;
use argosim::experiment;
use argosim::output;
use argosim::output::structured::{self, Structured};
use argosim::results_folder;
use std::path::PathBuf;
use std::process::ExitCode;

/// `argosim calibrate` flags.
#[derive(clap::Args)]
pub(crate) struct CalibrateArgs {
    /// Observed Workflow (and Pod) objects: JSON or YAML, single objects or Lists.
    #[arg(required = true)]
    pub(crate) runs: Vec<PathBuf>,
    /// Pod objects of those workflows (exact container start and finish times).
    #[arg(long)]
    pub(crate) pods: Vec<PathBuf>,
    /// Prometheus text snapshots of the apiserver's and the controller's /metrics.
    #[arg(long)]
    pub(crate) metrics: Vec<PathBuf>,
    /// The scenario to calibrate.
    #[arg(long)]
    pub(crate) scenario: PathBuf,
    /// Output format of the report on stdout.
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "format",
        value_enum,
        default_value = "table"
    )]
    pub(crate) format: TextFormat,
    /// Write scenario.toml (calibrated), calibration.md and calibration.json here.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Let --out name a folder that is not empty.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `argosim replay` flags.
#[derive(clap::Args)]
pub(crate) struct ReplayArgs {
    /// Observed Workflow (and Pod) objects: JSON or YAML, single objects or Lists.
    #[arg(required = true)]
    pub(crate) runs: Vec<PathBuf>,
    /// Pod objects of those workflows (`kubectl get pods -l workflows.argoproj.io/workflow -o json`).
    #[arg(long)]
    pub(crate) pods: Vec<PathBuf>,
    /// The scenario (cluster, settings, workflows) to replay them on.
    #[arg(long)]
    pub(crate) scenario: PathBuf,
    /// Change a scenario key first: KEY=VALUE (TOML value).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) sets: Vec<String>,
    /// Master seed (overrides [experiment].seed).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Replications (overrides [experiment].replications).
    #[arg(long)]
    pub(crate) replications: Option<u32>,
    /// Worker threads.
    #[arg(long)]
    pub(crate) jobs: Option<usize>,
    /// Output format on stdout.
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "format",
        value_enum,
        default_value = "table"
    )]
    pub(crate) format: TextFormat,
    /// Also write replay.json, replay.md and the observed-vs-predicted plot here.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Let --out name a folder that is not empty.
    #[arg(long)]
    pub(crate) force: bool,
    /// Fail (exit 1) when the mean makespan's error is above this many percent.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub(crate) max_error: Option<f64>,
    /// Fail (exit 1) when any workflow's makespan error is above this many percent.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub(crate) max_workflow_error: Option<f64>,
}

/// `5`, `5%` or `2.5%`: a non-negative percentage.
pub(crate) fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage (e.g. 5 or 5%)"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "`{s}`: a percentage must be finite and non-negative"
        ));
    }
    Ok(v)
}

pub(crate) fn calibrate(args: CalibrateArgs, quiet: bool) -> Result<ExitCode> {
    let CalibrateArgs {
        runs,
        pods,
        metrics,
        scenario,
        format,
        out,
        force,
    } = args;
    if let Some(dir) = &out {
        results_folder::prepare_run_folder(dir, force)?;
    }
    let source = scenario.display().to_string();
    let text = read_text(&scenario)?;
    let sc = argosim::parse_scenario(&source, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    warn_all(quiet, sc.warnings.iter().map(|d| d.to_string()));
    let files: Vec<PathBuf> = runs.into_iter().chain(pods).collect();
    let observed = argosim::observed::read_files(&files).map_err(|d| anyhow::anyhow!("{d}"))?;
    warn_all(quiet, observed.warnings.iter().map(|d| d.to_string()));
    let mut snaps = Vec::new();
    for m in &metrics {
        snaps.push((m.display().to_string(), read_text(m)?));
    }
    let names: Vec<String> = files
        .iter()
        .chain(&metrics)
        .map(|p| p.display().to_string())
        .collect();
    let cal = argosim::calibrate::calibrate(&scenario, &text, &sc, &observed, &snaps, &names)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The calibrated scenario must load as it is.
    argosim::parse_scenario(&source, &cal.scenario_toml)
        .map_err(|e| anyhow::anyhow!("the calibrated scenario does not validate: {e}"))?;
    let md = output::calibrate::markdown(&cal.report);
    if let Some(dir) = &out {
        results_folder::write_atomic(dir, "scenario.toml", cal.scenario_toml.as_bytes())?;
        results_folder::write_atomic(dir, "calibration.md", md.as_bytes())?;
        results_folder::write_atomic(
            dir,
            "calibration.json",
            structured::render(&cal.report, Structured::Json).as_bytes(),
        )?;
    }
    if out.is_none() {
        warn_all(
            quiet,
            ["the calibrated scenario was not written: pass --out DIR to keep it".to_string()],
        );
    }
    format.print(
        || serde_json::to_value(&cal.report).unwrap_or_default(),
        |_| md.clone(),
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn replay(args: ReplayArgs, quiet: bool) -> Result<ExitCode> {
    let ReplayArgs {
        runs,
        pods,
        scenario,
        sets,
        seed,
        replications,
        jobs,
        format,
        out,
        force,
        max_error,
        max_workflow_error,
    } = args;
    if let Some(dir) = &out {
        results_folder::prepare_run_folder(dir, force)?;
    }
    let source = scenario.display().to_string();
    let text = with_sets(&source, read_text(&scenario)?, &sets)?;
    let files: Vec<PathBuf> = runs.into_iter().chain(pods).collect();
    let mut observed = argosim::observed::read_files(&files).map_err(|d| anyhow::anyhow!("{d}"))?;
    warn_all(quiet, observed.warnings.iter().map(|d| d.to_string()));
    let (sc, notes) = experiment::replay::replay_scenario_text(&source, &text, &mut observed)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    warn_all(quiet, sc.warnings.iter().map(|d| d.to_string()));
    let seed = seed.unwrap_or(sc.file.experiment.seed);
    let reps = replications
        .unwrap_or(sc.file.experiment.replications)
        .max(1);
    let pool = experiment::runner::pool(jobs)?;
    let r = pool.install(|| experiment::replay::replay(&sc, &observed, seed, reps, notes));
    let limits = max_error.is_some() || max_workflow_error.is_some();
    let breaches = experiment::replay::check(&r, max_error, max_workflow_error);
    let md = output::replay::markdown(&r, limits.then_some(&breaches[..]));
    if let Some(dir) = &out {
        results_folder::write_atomic(
            dir,
            "replay.json",
            structured::render(&r, Structured::Json).as_bytes(),
        )?;
        results_folder::write_atomic(dir, "replay.md", md.as_bytes())?;
        let f = output::plot::replay_figure(&r)
            .map_err(|(stem, m)| anyhow::anyhow!("drawing {stem}: {m}"))?;
        results_folder::write_atomic(dir, &format!("{}.png", f.stem), &f.png)?;
        results_folder::write_atomic(dir, &format!("{}.svg", f.stem), f.svg.as_bytes())?;
    }
    format.print(
        || serde_json::to_value(&r).unwrap_or_default(),
        |_| md.clone(),
    );
    Ok(if breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
