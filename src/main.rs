//! The `argosim` command line: parse arguments, call the library, print. Nothing else.

use anyhow::{Context, Result, bail};
use argosim::experiment::{self, budget, compare, progress, results};
use argosim::output;
use argosim::output::markdown::Style;
use argosim::output::structured::{self, Structured};
use argosim::results_folder;
use argosim::scenario::{self, Scenario};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod cli;

/// `print!` to standard output, except that a closed pipe (`argosim run | head`) ends the
/// program quietly with exit status 141, as a Unix tool killed by SIGPIPE does, instead of
/// `print!`'s panic; any other write error ends it with status 2 and a message.
macro_rules! out {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*)) };
}

/// [`out!`] with a newline.
macro_rules! outln {
    ($($arg:tt)*) => { write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Write to standard output; see [`out!`].
fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) else {
        return;
    };
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: writing to standard output: {e}");
    std::process::exit(2);
}

#[derive(Parser)]
#[command(
    name = "argosim",
    version,
    about = "Discrete-event simulator of the Argo Workflows control plane on Kubernetes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Do not print warnings on stderr (they stay in the reports).
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
}

/// Print warnings on stderr as kubectl does (`Warning: ...`), each once, unless `quiet`.
fn warn_all(quiet: bool, warnings: impl IntoIterator<Item = String>) {
    if quiet {
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for w in warnings {
        if seen.insert(w.clone()) {
            eprintln!("Warning: {w}");
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Human-readable tables.
    Table,
    /// The tables without truncation: every critical-path cause, one row per workflow.
    Wide,
    /// The full report as JSON (documented in docs/report-json.md).
    Json,
    /// The same document as YAML.
    Yaml,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario (the embedded default when no file is given) and print the report.
    /// Exit 0 when every workflow finished, 1 when a replication hit the horizon with
    /// workflows unfinished (the report is still printed and written), 2 on bad input.
    Run {
        /// Scenario TOML file (`-`: standard input).
        scenario: Option<PathBuf>,
        /// Change a scenario key first: KEY=VALUE (TOML value), e.g. --set controller.qps=100.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Master seed (overrides [experiment].seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Replications (overrides [experiment].replications).
        #[arg(long)]
        replications: Option<u32>,
        /// Output format on stdout.
        #[arg(
            short = 'o',
            long = "output",
            visible_alias = "format",
            value_enum,
            default_value = "table"
        )]
        format: Format,
        /// Also write report.json, summary.txt, and per run timeseries.csv (the sampled
        /// series) and metrics.prom (a Prometheus text snapshot) into this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Let --out name a folder that is not empty (the files of an earlier run are
        /// replaced; none is left behind).
        #[arg(long)]
        force: bool,
        /// With --out: also write replication 0's workflows as Argo Workflow objects with
        /// their status.nodes (workflows.json) and their pods (pods.json), as `kubectl get
        /// wf,pods -o json` prints them; `calibrate` and `replay` read them back.
        #[arg(long, requires = "out")]
        argo_objects: bool,
        /// Worker threads for replications (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Refuse, before running, a scenario whose estimated memory is above this
        /// (Kubernetes units: 16Gi, 500Mi); default 16Gi, for a 2-core 24 GiB machine.
        #[arg(long, value_name = "BYTES", value_parser = parse_memory)]
        max_memory: Option<u64>,
    },
    /// Parse and check a scenario without running it, and print its resource budget.
    Validate {
        /// Scenario TOML file (`-`: standard input).
        scenario: PathBuf,
        /// Refuse, before running, a scenario whose estimated memory is above this
        /// (Kubernetes units: 16Gi, 500Mi); default 16Gi, for a 2-core 24 GiB machine.
        #[arg(long, value_name = "BYTES", value_parser = parse_memory)]
        max_memory: Option<u64>,
    },
    /// Print the embedded default scenario (a starting point for your own).
    Example,
    /// Explain a scenario key (like `kubectl explain`): type, default, upstream flag and
    /// meaning, from docs/scenario.md; a table name lists its keys.
    Explain {
        /// Dotted key, e.g. controller.qps, cluster.pools[0].max_nodes, kubelet.
        key: String,
    },
    /// Import Argo manifests (Workflow, WorkflowTemplate, ClusterWorkflowTemplate,
    /// CronWorkflow) or WfFormat traces and print the workload as scenario TOML; cluster
    /// configuration among the files (workflow-controller / argo-server Deployments, the
    /// controller ConfigMap, the Helm chart's values.yaml, kubectl get nodes -o json) becomes
    /// [controller], [argo_server] keys and [[cluster.pools]], each value commented with its
    /// file and line.
    Import {
        /// Manifest, trace or cluster configuration files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Files read only to resolve templateRefs (WorkflowTemplates, ConfigMaps).
        #[arg(long)]
        library: Vec<PathBuf>,
        /// A TOML file with import hints (durations, widths, when, ...): the keys of
        /// `[import]` at top level, or a whole `[import]` table (as in a scenario).
        #[arg(long)]
        hints: Option<PathBuf>,
        /// Requests for pods whose manifest requests nothing, e.g. cpu=500m,memory=1Gi
        /// (without them such pods are BestEffort and fit on any node).
        #[arg(long, value_name = "cpu=Q,memory=Q", value_parser = parse_requests)]
        default_requests: Option<(Option<u64>, Option<u64>)>,
        /// Append an example node pool so the output runs as it is: gke-n2-standard-16,
        /// gke-n2-standard-16-spot, gke-e2-standard-16, gke-t2a-standard-16, eks-m5-4xlarge,
        /// eks-m6g-4xlarge or eks-c5-4xlarge (list prices of k8s-facts §6).
        #[arg(long, value_name = "POOL")]
        with_cluster: Option<String>,
        /// Nodes of the --with-cluster pool at the start.
        #[arg(long, default_value_t = 4, requires = "with_cluster")]
        nodes: u32,
        /// Let the autoscaler grow the --with-cluster pool up to this many nodes
        /// (default: --nodes, a fixed pool).
        #[arg(long, requires = "with_cluster")]
        max_nodes: Option<u32>,
    },
    /// Run a parameter grid (the scenario's [grid] table and --axis) with replications, and
    /// write runs.csv, points.csv, summary.md, plots and manifest.json into a results folder.
    Grid {
        /// Scenario TOML file with a [grid] table (or --axis).
        scenario: PathBuf,
        /// Change a scenario key first: KEY=VALUE (TOML value), e.g. --set controller.qps=100.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Results folder (default: results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: all cores). Results are identical for any value.
        #[arg(long)]
        jobs: Option<usize>,
        /// Replications per point (overrides [experiment].replications).
        #[arg(long)]
        replications: Option<u32>,
        /// Master seed (overrides [experiment].seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Add or override an axis: KEY=V1,V2,... or KEY=[V1, V2] (TOML values), e.g.
        /// --axis controller.qps=20,50,100 --axis kubelet.sandbox_start=1s,2s.
        #[arg(long = "axis", value_name = "KEY=VALUES")]
        axes: Vec<String>,
        /// Run only shard K of N (a deterministic slice); join shards with `argosim merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<experiment::Shard>,
        /// Continue an interrupted grid in --out without redoing finished runs.
        #[arg(long)]
        resume: bool,
        /// Replace results already in --out.
        #[arg(long)]
        force: bool,
        /// Refuse, before running, a scenario whose estimated memory is above this
        /// (Kubernetes units: 16Gi, 500Mi); default 16Gi, for a 2-core 24 GiB machine.
        #[arg(long, value_name = "BYTES", value_parser = parse_memory)]
        max_memory: Option<u64>,
        /// Stop after this many runs, as if killed (for testing --resume).
        #[arg(long, hide = true)]
        stop_after: Option<u64>,
    },
    /// Join the folders of `grid --shard K/N` runs into the files an unsharded run writes.
    Merge {
        /// Shard folders (all N of them).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Results folder to write.
        #[arg(long)]
        out: PathBuf,
        /// Replace results already in --out.
        #[arg(long)]
        force: bool,
    },
    /// Compare two scenarios (or one with --set changes) over replications with common random
    /// numbers: means with 95% CIs, deltas, Welch p-values and a verdict per metric.
    Compare {
        /// Base scenario.
        base: PathBuf,
        /// Candidate scenario (default: BASE with the --set changes).
        candidate: Option<PathBuf>,
        /// Change a key of the candidate: KEY=VALUE, e.g. --set controller.qps=100.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Master seed (default: the base's [experiment].seed); both sides use its
        /// replication seeds.
        #[arg(long)]
        seed: Option<u64>,
        /// Seed the candidate differently (turns common random numbers off).
        #[arg(long)]
        candidate_seed: Option<u64>,
        /// Replications per side (default: the base's, at least 2).
        #[arg(long)]
        replications: Option<u32>,
        /// Worker threads.
        #[arg(long)]
        jobs: Option<usize>,
        /// Refuse, before running, a scenario whose estimated memory is above this
        /// (Kubernetes units: 16Gi, 500Mi); default 16Gi, for a 2-core 24 GiB machine.
        #[arg(long, value_name = "BYTES", value_parser = parse_memory)]
        max_memory: Option<u64>,
        /// Output format on stdout.
        #[arg(
            short = 'o',
            long = "output",
            visible_alias = "format",
            value_enum,
            default_value = "table"
        )]
        format: TextFormat,
        /// Also write the comparison as Markdown to this file.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Evaluate the scenario's [[check]] thresholds over its replications: exit 0 when all
    /// hold, 1 on a breach, 2 on bad input.
    Check {
        /// Scenario TOML file with [[check]] tables.
        scenario: PathBuf,
        /// Change a scenario key first: KEY=VALUE (TOML value), e.g. --set controller.qps=100.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Master seed (overrides [experiment].seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Replications (overrides [experiment].replications).
        #[arg(long)]
        replications: Option<u32>,
        /// Worker threads.
        #[arg(long)]
        jobs: Option<usize>,
        /// Refuse, before running, a scenario whose estimated memory is above this
        /// (Kubernetes units: 16Gi, 500Mi); default 16Gi, for a 2-core 24 GiB machine.
        #[arg(long, value_name = "BYTES", value_parser = parse_memory)]
        max_memory: Option<u64>,
        /// Output format on stdout.
        #[arg(
            short = 'o',
            long = "output",
            visible_alias = "format",
            value_enum,
            default_value = "table"
        )]
        format: TextFormat,
        /// Also write JUnit XML to this file.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Also write Markdown to this file.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Fit a scenario to observed runs: per task the run-time distribution (constant, normal
    /// or lognormal by likelihood) and failure probability, the pods' startup stages, and
    /// with --metrics the apiserver and reconcile service times; write the calibrated
    /// scenario (each fitted key commented with its source and sample size) and the report.
    Calibrate(cli::observed::CalibrateArgs),
    /// Simulate observed workflows (Workflow objects with status, e.g. `kubectl get wf -o
    /// json`) at their observed creation times on a scenario's cluster and settings, and
    /// report the prediction error per workflow and overall. Exit 1 when a --max-* limit is
    /// breached.
    Replay(cli::observed::ReplayArgs),
    /// Rank the grid axes by their standardized regression coefficients on each metric,
    /// from a results folder written by `grid` or `merge`.
    Sensitivity {
        /// Results folder.
        dir: PathBuf,
        /// Output format on stdout.
        #[arg(
            short = 'o',
            long = "output",
            visible_alias = "format",
            value_enum,
            default_value = "table"
        )]
        format: TextFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TextFormat {
    /// Aligned plain-text table.
    Table,
    /// The table without truncation.
    Wide,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// JSON.
    Json,
    /// YAML (the same document as JSON).
    Yaml,
}

impl TextFormat {
    /// Table style, or None for a structured format.
    fn style(self) -> Option<Style> {
        match self {
            TextFormat::Table | TextFormat::Wide => Some(Style::Text),
            TextFormat::Markdown => Some(Style::Markdown),
            TextFormat::Json | TextFormat::Yaml => None,
        }
    }

    /// The structured format, if this is one.
    fn structured(self) -> Option<Structured> {
        match self {
            TextFormat::Json => Some(Structured::Json),
            TextFormat::Yaml => Some(Structured::Yaml),
            _ => None,
        }
    }

    /// Print `value` in a structured format, or `text(style)` in a table one.
    fn print(self, value: impl FnOnce() -> serde_json::Value, text: impl FnOnce(Style) -> String) {
        match (self.structured(), self.style()) {
            (Some(f), _) => out!("{}", structured::render(&value(), f)),
            (None, Some(st)) => out!("{}", text(st)),
            (None, None) => unreachable!("every format is structured or a table"),
        }
    }
}

/// `--default-requests cpu=500m,memory=1Gi`: (millicores, bytes), either may be left out.
fn parse_requests(s: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let (mut cpu, mut mem) = (None, None);
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("cpu", v)) => cpu = Some(argosim::units::parse_cpu(v)?),
            Some(("memory", v)) => mem = Some(argosim::units::parse_bytes(v)?),
            _ => {
                return Err(format!(
                    "`{part}`: expected cpu=QUANTITY or memory=QUANTITY"
                ));
            }
        }
    }
    if cpu.is_none() && mem.is_none() {
        return Err("give cpu=QUANTITY and/or memory=QUANTITY, e.g. cpu=500m,memory=1Gi".into());
    }
    Ok((cpu, mem))
}

/// A hints file written as a scenario's `[import]` table.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportTable {
    import: argosim::import::ImportHints,
}

/// `--max-memory`: a byte quantity in Kubernetes units.
fn parse_memory(s: &str) -> Result<u64, String> {
    argosim::units::parse_bytes(s)
}

fn read_text(path: &Path) -> Result<String> {
    argosim::scenario::read(path).map_err(|e| anyhow::anyhow!("{e}"))
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?
        .to_string_lossy()
        .into_owned();
    results_folder::write_atomic(dir, &name, text.as_bytes())?;
    Ok(())
}

/// The scenario text with `--set` changes applied (unchanged without any).
fn with_sets(source: &str, text: String, sets: &[String]) -> Result<String> {
    if sets.is_empty() {
        return Ok(text);
    }
    let side = compare::Side {
        label: source.to_string(),
        source: source.to_string(),
        text,
    };
    Ok(compare::apply_sets(&side, sets)?)
}

/// `--max-memory`, or the default budget.
fn memory_limit(flag: Option<u64>) -> u64 {
    flag.unwrap_or(scenario::defaults::MAX_MEMORY)
}

fn command_line() -> Vec<String> {
    std::env::args().collect()
}

fn run(cli: Cli) -> Result<ExitCode> {
    let quiet = cli.quiet;
    let warn_sc = |sc: &Scenario| warn_all(quiet, sc.warnings.iter().map(|d| d.to_string()));
    match cli.command {
        Command::Run {
            scenario,
            sets,
            seed,
            replications,
            format,
            out,
            force,
            argo_objects,
            jobs,
            max_memory,
        } => {
            if let Some(dir) = &out {
                results_folder::prepare_run_folder(dir, force)?;
            }
            // Read once (the scenario may be standard input, `-`).
            let (source, text) = match &scenario {
                Some(p) => (p.display().to_string(), read_text(p)?),
                None => (
                    scenario::DEFAULT_SCENARIO_NAME.to_string(),
                    scenario::DEFAULT_SCENARIO.to_string(),
                ),
            };
            let text = with_sets(&source, text, &sets)?;
            let sc = if scenario.is_none() && sets.is_empty() {
                scenario::default_scenario()
            } else {
                argosim::parse_scenario(&source, &text).map_err(|e| anyhow::anyhow!("{e}"))?
            };
            warn_sc(&sc);
            let seed = seed.unwrap_or(sc.file.experiment.seed);
            let reps = replications.unwrap_or(sc.file.experiment.replications);
            if reps == 0 {
                bail!("--replications must be at least 1");
            }
            let pool = experiment::runner::pool(jobs)?;
            let est = budget::estimate(
                &sc,
                reps.into(),
                budget::threads(jobs),
                budget::Kept::Report,
            );
            let reps_key = if replications.is_some() {
                "--replications"
            } else {
                "experiment.replications"
            };
            budget::check(&sc, &text, &est, reps_key, memory_limit(max_memory))?;
            let (report, trace) =
                pool.install(|| argosim::run_replications_traced(&sc, seed, reps, out.is_some()));
            let json = output::json(&report);
            let text = output::table(&report);
            if let Some(dir) = out {
                results_folder::write_atomic(&dir, "report.json", json.as_bytes())?;
                results_folder::write_atomic(&dir, "summary.txt", text.as_bytes())?;
                for run in &report.runs {
                    let suffix = if report.runs.len() == 1 {
                        String::new()
                    } else {
                        format!("-r{}", run.replication)
                    };
                    results_folder::write_atomic(
                        &dir,
                        &format!("timeseries{suffix}.csv"),
                        output::timeseries_csv(run).as_bytes(),
                    )?;
                    results_folder::write_atomic(
                        &dir,
                        &format!("metrics{suffix}.prom"),
                        output::prometheus(run).as_bytes(),
                    )?;
                }
                if let (true, Some(tr)) = (argo_objects, &trace) {
                    let (wfs, pods) = argosim::observed::from_trace(tr, &sc);
                    let exec = &sc.images[sc.executor_image];
                    for (name, v) in [
                        ("workflows.json", argosim::observed::workflows_json(&wfs)),
                        ("pods.json", argosim::observed::pods_json(&pods, exec)),
                    ] {
                        let mut bytes = serde_json::to_vec_pretty(&v)?;
                        bytes.push(b'\n');
                        results_folder::write_atomic(&dir, name, &bytes)?;
                    }
                }
                // Timelines of replication 0: pods by phase, nodes by occupancy.
                if let Some(tr) = &trace {
                    let figs = output::plot::timeline::figures(tr)
                        .map_err(|(stem, m)| anyhow::anyhow!("drawing {stem}: {m}"))?;
                    for f in figs {
                        results_folder::write_atomic(&dir, &format!("{}.png", f.stem), &f.png)?;
                        results_folder::write_atomic(
                            &dir,
                            &format!("{}.svg", f.stem),
                            f.svg.as_bytes(),
                        )?;
                    }
                }
            }
            match format {
                Format::Table => out!("{text}"),
                Format::Wide => out!("{}", output::table_wide(&report)),
                Format::Json => out!("{json}"),
                Format::Yaml => out!("{}", structured::render(&report, Structured::Yaml)),
            }
            let cut: Vec<_> = report
                .runs
                .iter()
                .filter(|r| r.horizon_reached && r.workflows.unfinished > 0)
                .collect();
            warn_all(
                quiet,
                cut.iter().map(|r| {
                    format!(
                        "replication {} hit the horizon ({}) with {} workflow(s) unfinished: its \
                         run length and cost are cut by the horizon",
                        r.replication,
                        argosim::units::format_duration(sc.file.experiment.horizon.0),
                        r.workflows.unfinished
                    )
                }),
            );
            Ok(if cut.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Validate {
            scenario,
            max_memory,
        } => {
            // Read once (the scenario may be standard input, `-`).
            let text = read_text(&scenario)?;
            let sc = argosim::parse_scenario(&scenario.display().to_string(), &text)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            warn_sc(&sc);
            let est = budget::estimate(
                &sc,
                sc.file.experiment.replications.into(),
                budget::threads(None),
                budget::Kept::Report,
            );
            let limit = memory_limit(max_memory);
            budget::check(&sc, &text, &est, "experiment.replications", limit)?;
            let pods: u64 = sc
                .submissions
                .iter()
                .map(|s| u64::from(s.cfg.count) * sc.workflows[s.workflow].pod_count())
                .sum();
            outln!(
                "{}: ok ({} pool(s), {} node(s), {} workflow template(s), {} submission(s), {} pods)",
                scenario.display(),
                sc.pools.len(),
                sc.pools.iter().map(|p| p.nodes).sum::<u32>(),
                sc.workflows.len(),
                sc.submissions.iter().map(|s| s.cfg.count).sum::<u32>(),
                pods
            );
            outln!("{}", budget::describe(&est, limit));
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            files,
            library,
            hints,
            default_requests,
            with_cluster,
            nodes,
            max_nodes,
        } => {
            let cluster = match &with_cluster {
                Some(name) => {
                    let p = argosim::import::example_pool(name).map_err(|e| anyhow::anyhow!(e))?;
                    let max = max_nodes.unwrap_or(nodes);
                    if max < nodes || max == 0 {
                        bail!("--max-nodes must be at least --nodes and at least 1");
                    }
                    Some(argosim::import::pool_toml(p, nodes, max))
                }
                None => None,
            };
            let mut h: argosim::import::ImportHints = match &hints {
                Some(p) => {
                    let limit = argosim::input::MAX_SCENARIO_BYTES;
                    let text = argosim::input::read_text(p, limit, "hints file")
                        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                    let wrapped = toml::from_str::<toml::Table>(&text)
                        .is_ok_and(|t| t.get("import").is_some_and(toml::Value::is_table));
                    let parsed = if wrapped {
                        toml::from_str::<ImportTable>(&text).map(|t| t.import)
                    } else {
                        toml::from_str(&text)
                    };
                    parsed.map_err(|e| {
                        anyhow::anyhow!(
                            "{}",
                            argosim::scenario::diag::from_toml_error(
                                &p.display().to_string(),
                                &text,
                                &e
                            )
                        )
                    })?
                }
                None => Default::default(),
            };
            h.library.extend(library);
            if let Some((cpu, mem)) = default_requests {
                h.default_cpu = cpu.map(argosim::units::Cpu).or(h.default_cpu);
                h.default_memory = mem.map(argosim::units::Bytes).or(h.default_memory);
            }
            match argosim::import::import_manifests(&files, &h) {
                Ok(imp) => {
                    for d in &imp.warnings {
                        warn_all(quiet, [d.to_string()]);
                    }
                    for d in &imp.refused {
                        eprintln!("refused: {d}");
                    }
                    out!(
                        "{}",
                        argosim::import::to_toml_with(&imp, cluster.as_deref())
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(diags) => {
                    let msg: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
                    bail!("{}", msg.join("\n"))
                }
            }
        }
        Command::Explain { key } => match scenario::explain::explain(&key) {
            Ok(text) => {
                out!("{text}");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => bail!("{e}"),
        },
        Command::Example => {
            out!("{}", scenario::DEFAULT_SCENARIO);
            Ok(ExitCode::SUCCESS)
        }
        Command::Grid {
            scenario,
            sets,
            out,
            jobs,
            replications,
            seed,
            axes,
            shard,
            resume,
            force,
            stop_after,
            max_memory,
        } => {
            let started = std::time::Instant::now();
            let plan = experiment::Plan::new(experiment::PlanInput {
                source: scenario.display().to_string(),
                text: with_sets(
                    &scenario.display().to_string(),
                    read_text(&scenario)?,
                    &sets,
                )?,
                cli_axes: axes,
                seed,
                replications,
                use_grid: true,
            })
            .map_err(experiment::ExperimentError::Invalid)?;
            warn_all(
                quiet,
                plan.points
                    .iter()
                    .flat_map(|p| p.scenario.warnings.iter().map(|d| d.to_string())),
            );
            let out = out
                .unwrap_or_else(|| PathBuf::from("results").join(output::plot::slug(&plan.name)));
            let opts = results_folder::GridOptions {
                out: out.clone(),
                jobs,
                shard,
                resume,
                force,
                stop_after,
                command: command_line(),
            };
            budget::check_plan(&plan, jobs, budget::Kept::Row, memory_limit(max_memory))?;
            let bar = progress::for_stderr(&plan.name);
            let outcome = results_folder::run_grid(&plan, &opts, bar.as_ref())?;
            let secs = started.elapsed().as_secs_f64();
            match outcome {
                results_folder::GridOutcome::Complete { ran, reused, .. } => {
                    let what = match shard {
                        Some(s) => format!("shard {}/{} of ", s.index, s.count),
                        None => String::new(),
                    };
                    outln!(
                        "{}: {what}{} point(s) x {} replication(s): {} run(s) simulated, {} reused, in {secs:.1}s",
                        out.display(),
                        plan.points.len(),
                        plan.replications,
                        ran,
                        reused
                    );
                    if shard.is_some() {
                        outln!("join all shards with: argosim merge SHARD_DIRS... --out DIR");
                    } else {
                        outln!(
                            "wrote runs.csv, points.csv, sensitivity.csv, summary.md, plots/, manifest.json"
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                results_folder::GridOutcome::Stopped { done, remaining } => {
                    eprintln!(
                        "{}: stopped after {done} run(s) with {remaining} to go; continue with --resume",
                        out.display()
                    );
                    Ok(ExitCode::from(3))
                }
            }
        }
        Command::Merge { dirs, out, force } => {
            let (n, _) = results_folder::merge(&dirs, &out, force, &command_line())?;
            outln!(
                "{}: merged {} shard folder(s), {n} runs; wrote runs.csv, points.csv, sensitivity.csv, summary.md, plots/, manifest.json",
                out.display(),
                dirs.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare {
            base,
            candidate,
            sets,
            seed,
            candidate_seed,
            replications,
            jobs,
            max_memory,
            format,
            markdown,
        } => {
            let side = |p: &Path| -> Result<compare::Side> {
                Ok(compare::Side {
                    label: p.display().to_string(),
                    source: p.display().to_string(),
                    text: read_text(p)?,
                })
            };
            let input = compare::CompareInput {
                base: side(&base)?,
                candidate: candidate.as_deref().map(side).transpose()?,
                sets,
                seed,
                candidate_seed,
                replications,
            };
            let bar = progress::for_stderr("compare");
            let c = compare::compare(&input, jobs, memory_limit(max_memory), bar.as_ref())?;
            warn_all(quiet, c.warnings.iter().cloned());
            let rows = if matches!(format, TextFormat::Wide) {
                usize::MAX
            } else {
                output::markdown::BREAKDOWN_SHOWN
            };
            format.print(
                || structured::comparison(&c),
                |st| output::markdown::compare_rows(&c, st, rows),
            );
            if let Some(path) = markdown {
                write_file(&path, &output::markdown::compare(&c, Style::Markdown))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            scenario,
            sets,
            seed,
            replications,
            jobs,
            max_memory,
            format,
            junit,
            markdown,
        } => {
            let text = with_sets(
                &scenario.display().to_string(),
                read_text(&scenario)?,
                &sets,
            )?;
            let bar = progress::for_stderr("check");
            let r = experiment::check::run_checks(
                &scenario.display().to_string(),
                &text,
                seed,
                replications,
                jobs,
                memory_limit(max_memory),
                bar.as_ref(),
            )?;
            warn_all(quiet, r.warnings.iter().cloned());
            format.print(
                || structured::check(&r),
                |st| output::markdown::check(&r, st),
            );
            if let Some(path) = junit {
                write_file(&path, &experiment::check::junit_xml(&r))?;
            }
            if let Some(path) = markdown {
                write_file(&path, &output::markdown::check(&r, Style::Markdown))?;
            }
            Ok(if r.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Calibrate(args) => cli::observed::calibrate(args, quiet),
        Command::Replay(args) => cli::observed::replay(args, quiet),
        Command::Sensitivity { dir, format } => {
            let (plan, _) = results_folder::plan_from_folder(&dir)?;
            let rows = results_folder::read_runs(&plan, &dir.join(results::files::RUNS))?;
            if rows.len() != plan.run_count() {
                bail!(
                    "{}: holds {} of the grid's {} runs; finish it with `argosim grid --resume` first",
                    dir.display(),
                    rows.len(),
                    plan.run_count()
                );
            }
            let mut rows = rows;
            rows.sort_by_key(|r| (r.point, r.replication));
            let sens = experiment::sensitivity::analyse(&plan, &rows);
            format.print(
                || structured::sensitivity(&plan, &sens),
                |st| output::markdown::sensitivity(&plan, &sens, st),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
