//! The `argosim` command line: parse arguments, call the library, print. Nothing else.

use anyhow::{Context, Result, bail};
use argosim::output;
use argosim::scenario::{self, Scenario};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "argosim",
    version,
    about = "Discrete-event simulator of the Argo Workflows control plane on Kubernetes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Human-readable tables.
    Table,
    /// The full report as JSON (documented in docs/report-json.md).
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario (the embedded default when no file is given) and print the report.
    Run {
        /// Scenario TOML file.
        scenario: Option<PathBuf>,
        /// Master seed (overrides [experiment].seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Replications (overrides [experiment].replications).
        #[arg(long)]
        replications: Option<u32>,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also write report.json and summary.txt into this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads for replications (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Parse and check a scenario without running it.
    Validate {
        /// Scenario TOML file.
        scenario: PathBuf,
    },
    /// Print the embedded default scenario (a starting point for your own).
    Example,
}

fn load(path: Option<&Path>) -> Result<Scenario> {
    match path {
        Some(p) => scenario::load(p).map_err(|e| anyhow::anyhow!("{e}")),
        None => Ok(scenario::default_scenario()),
    }
}

/// Write `bytes` to `dir/name` atomically (temp file, then rename).
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(name))
        .with_context(|| format!("renaming into {}", dir.join(name).display()))?;
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            seed,
            replications,
            format,
            out,
            jobs,
        } => {
            let sc = load(scenario.as_deref())?;
            let seed = seed.unwrap_or(sc.file.experiment.seed);
            let reps = replications.unwrap_or(sc.file.experiment.replications);
            if reps == 0 {
                bail!("--replications must be at least 1");
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs.unwrap_or(0))
                .build()
                .context("building the thread pool")?;
            let report = pool.install(|| argosim::run_replications(&sc, seed, reps));
            let json = output::json(&report);
            let text = output::table(&report);
            if let Some(dir) = out {
                write_atomic(&dir, "report.json", json.as_bytes())?;
                write_atomic(&dir, "summary.txt", text.as_bytes())?;
            }
            match format {
                Format::Table => print!("{text}"),
                Format::Json => print!("{json}"),
            }
            Ok(())
        }
        Command::Validate { scenario } => {
            let sc = load(Some(&scenario))?;
            for w in &sc.warnings {
                eprintln!("warning: {w}");
            }
            let pods: u64 = sc
                .submissions
                .iter()
                .map(|s| u64::from(s.cfg.count) * sc.workflows[s.workflow].pod_count())
                .sum();
            println!(
                "{}: ok ({} pool(s), {} node(s), {} workflow template(s), {} submission(s), {} pods)",
                scenario.display(),
                sc.pools.len(),
                sc.pools.iter().map(|p| p.nodes).sum::<u32>(),
                sc.workflows.len(),
                sc.submissions.iter().map(|s| s.cfg.count).sum::<u32>(),
                pods
            );
            Ok(())
        }
        Command::Example => {
            print!("{}", scenario::DEFAULT_SCENARIO);
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
