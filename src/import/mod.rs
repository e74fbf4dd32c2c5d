//! Real workloads: users' own Argo Workflows manifests (YAML) and WfCommons WfFormat traces
//! (JSON) in, as argosim `[[workflows]]` and `[[submissions]]`; WfFormat traces of a run out.
//!
//! Entry points: [`import_manifests`] (files) and [`import_sources`] (text) return an
//! [`Imported`] workload, [`to_toml`] prints it as a scenario fragment, [`import_into`] adds it
//! to a parsed scenario file, [`resolve_manifests`] does so for the file's own
//! `manifests = [...]` key (what [`crate::parse_scenario`] and [`crate::load_scenario`] call
//! between reading and validating a scenario), and [`wfformat_export`] writes a run as a
//! WfFormat instance. What the manifests do not say comes from [`ImportHints`], the
//! scenario's `[import]` table (defined in [`crate::scenario::schema`]).
//!
//! Layering: this module depends on [`crate::scenario`] (schema, diagnostics), never the
//! reverse; the Argo converter is split by concern under `argo/`.
//!
//! # What an Argo manifest becomes
//!
//! | Argo | argosim |
//! |---|---|
//! | `Workflow` | a workflow (name from `metadata.name`, else `generateName` without its `-`) and one submission (`via` hint, default `argo-cli`; none with `submit = false`) |
//! | `CronWorkflow` | a workflow from `spec.workflowSpec`; each schedule a `via = "cron"` stream with the schedule's interval (mean interval if uneven; 24h if not understood) and `cron_window / interval` runs; a suspended one, or one without a schedule, is submitted once (warned) |
//! | `WorkflowTemplate`, `ClusterWorkflowTemplate` | resolve `templateRef` / `workflowTemplateRef`; when the inputs hold no Workflow or CronWorkflow (or `workflow_templates = "submit"`), each one with an `entrypoint` is also a workflow submitted `--from` it (`workflow_template_ref`) |
//! | `ConfigMap` | semaphore limits (`data.<key>`); the `workflow-controller-configmap` is cluster configuration (below) |
//! | WfFormat instance (JSON) | a workflow: tasks, parents → `depends`, runtime → constant `duration` |
//! | other kinds | refused |
//! | `container`, `script`, `resource`, `data` template | a task (one pod); `resource`/`data` run the argoexec image, the object they manage is not simulated |
//! | `containerSet` | one task whose CPU/memory are the containers' sum; the first image is pulled |
//! | `dag` (`dependencies`, `depends`) | flattened: tasks named by call path (`outer.inner`); `depends` expressions keep the task names and are approximated as "all succeeded" (warned unless they are only `&&` of names / `.Succeeded`); `target` keeps the targets and their ancestors |
//! | `steps` | flattened the same way: each group waits for the previous group's leaves; a plain entrypoint steps template stays `kind = "steps"` with `group` |
//! | `suspend`, `http`, `plugin` | **dropped** with a warning (no pod; the agent pod of HTTP/plugin templates is not simulated); their dependents wait for their dependencies instead |
//! | `templateRef` | resolved across all given documents; the pod task gets `template_ref` = the WorkflowTemplate name, so validation GETs match Argo's; a reference to a dag/steps template charges its GETs to one of the tasks it expands to; an unresolved reference becomes one default pod (warned) |
//! | `workflowTemplateRef` | the template's spec under the workflow's own fields; `workflow_template_ref` |
//! | `withItems` / `withSequence` / `withParam` | `width` (product through nested calls, ≤ 1,000,000); `withParam` needs a literal JSON list after parameter substitution, else `[import.widths]`, else 1 (warned); an empty loop drops the task |
//! | `when` | evaluated when it is one comparison of literals after substitution; else `[import.when]` probability (kept when ≥ 0.5), else kept (warned) |
//! | recursion | unrolled to `recursion_depth` (default 3) calls of the same template, reported |
//! | `parallelism` (spec / template) | workflow `parallelism` / task `parallelism` (template limit × enclosing loop width) |
//! | `retryStrategy` (template, else a dag/steps parent's, else the spec's) | `retry`: `limit`, `retryPolicy`, `backoff.duration`/`factor`/`maxDuration` (bare numbers are seconds) |
//! | `synchronization` (spec / template) | `semaphore` (configMapKeyRef key; limit from `[import.semaphores]`, a given ConfigMap, else 1) or `mutex`; only the first lock |
//! | `podGC.strategy`, `ttlStrategy.secondsAfterCompletion` | `pod_gc`, `ttl_after_completion` |
//! | `resources.requests` (limits when no request), sidecars (added), initContainers (max) | `cpu`, `memory` |
//! | `nodeSelector` `kubernetes.io/arch`, `tolerations[].key` (template, else spec) | `arch`, `tolerations`; other selectors are warned |
//! | output parameters (+1 for a script's result) | `output_parameter_bytes` = count × `output_parameter_bytes` hint (estimate 128 B) |
//! | input / output artifacts | `read_bytes` / `write_bytes` = count × `artifact_bytes` hint (0 = not simulated, warned) |
//! | `onExit` | tasks after all others (they run only when the workflow succeeds; warned) |
//! | the document's JSON size (+ the referenced WorkflowTemplate's spec) | `spec_bytes` |
//!
//! # What cluster configuration becomes (`cluster/`)
//!
//! | input | argosim |
//! |---|---|
//! | `workflow-controller` Deployment | `--qps`, `--burst`, `--workflow-workers`, `--pod-cleanup-workers` → `[controller]` `qps`, `burst`, `workflow_workers`, `pod_cleanup_workers`; `--namespaced` (+ `--managed-namespace`, else the Deployment's namespace) → `namespace`; `--executor-image` → `[kubelet] executor_image`; env `DEFAULT_REQUEUE_TIME`, `MAX_OPERATION_TIME`, `INFORMER_WRITE_BACK`, `MAX_WORKFLOW_SIZE`, `HEALTHZ_AGE`, `ARGO_PROGRESS_PATCH_TICK_DURATION` and `ARGO_<FLAG>` → their keys; `resources.limits.cpu` / `.memory` → `cpu`, `memory_limit`; `metadata.name` → `name` |
//! | `argo-server` Deployment | `--kube-api-qps`, `--kube-api-burst`, `--api-rate-limit`, `--auth-mode` → `[argo_server]` |
//! | `workflow-controller-configmap` (data keys or `data.config`) | `parallelism`, `namespaceParallelism`, `resourceRateLimit`, `persistence.nodeStatusOffLoad`, `podGCDeleteDelayDuration`, `initialDelay`, `instanceID`, `nodeEvents.enabled` → `[controller]`; `executor.image` → `[kubelet] executor_image` (a flag overrides it) |
//! | argo-workflows Helm `values.yaml` (no `kind`; known top-level keys) | what the chart renders: `controller.extraArgs` / `extraEnv` / `resources` / `workflowWorkers` / `podCleanupWorkers`, the configmap values, `instanceID.explicitID`, `singleNamespace` (+ `namespaceOverride`), `executor.image`, `server.extraArgs` / `extraEnv` / `authMode(s)` |
//! | `Node`, `NodeList`, `List` of Nodes | `[[cluster.pools]]` by pool label, else instance type: capacity and allocatable as observed, `max_pods`, `arch`, spot, taint keys, `nodes` = the count seen; price from the example table, else 0 (warned) |
//!
//! Settings with no effect on the model are listed in one warning per file; unknown flags,
//! variables and keys are warned with file, line and key path. A `manifests = [...]` key of a
//! scenario does not apply cluster configuration (warned).
//!
//! Not simulated and warned with file and line: `activeDeadlineSeconds`, `timeout`,
//! `continueOn`, lifecycle `hooks`, `memoize`, `daemon`, `podSpecPatch`, `affinity`,
//! priorities, `volumeClaimTemplates`, `templateDefaults`, CronWorkflow `concurrencyPolicy`
//! other than Allow, history limits. Keys with no effect on the control-plane model (command,
//! args, env, volumes, labels, annotations, security contexts, service accounts, artifact
//! repositories, metrics) are ignored silently; any other key is reported as not understood.
//! Run times are not in manifests: `[import.durations]` (by template, `WorkflowTemplate/template`,
//! task name or call path) or `default_duration` (estimate 30s, warned).
//!
//! Hostile input is refused in bounded time and memory: files above [`MAX_FILE_BYTES`]
//! (10 MiB), nesting deeper than [`MAX_DEPTH`] (64), more than [`MAX_NODES`] (1,000,000) YAML
//! nodes after alias expansion (a lexical pre-scan bounds what libyaml sees before it builds its
//! event list), flattened workflows above [`MAX_TASKS`] (10,000) tasks or [`MAX_EDGES`]
//! (1,000,000) dependencies, template calls nested deeper than [`MAX_CALL_DEPTH`] (64) or more
//! than [`MAX_EXPANSIONS`] (100,000) template expansions.
//! At most [`MAX_WARNINGS`] warnings are kept per workflow.

mod argo;
pub mod cluster;
mod cron;
mod emit;
mod expr;
mod locate;
mod names;
mod pools;
mod wfformat;
mod yaml;

pub use argo::{
    ARGOEXEC_IMAGE, MAX_CALL_DEPTH, MAX_EDGES, MAX_EXPANSIONS, MAX_TASKS, MAX_WARNINGS, MAX_WIDTH,
};
pub use emit::{to_toml, to_toml_with};
pub use pools::{EXAMPLE_POOLS, ExamplePool, example_pool, pool_toml};
pub use wfformat::{WFFORMAT_SCHEMA_VERSION, wfformat_export, wfformat_export_workflow};
pub use yaml::{MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, MAX_TOTAL_BYTES};

/// The hints live with the scenario schema (they are its `[import]` table); re-exported here
/// for callers of the importer.
pub use crate::scenario::schema::{ImportHints, TemplateMode};

use crate::scenario::diag::Diagnostic;
use crate::scenario::schema::{ScenarioFile, SubmissionCfg, WorkflowCfg};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One input: a name for diagnostics and its text.
#[derive(Debug, Clone)]
pub struct Source {
    /// File name as shown in diagnostics.
    pub name: String,
    /// Contents.
    pub text: String,
}

/// An imported workload.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// Workflows, in input order (names made unique).
    pub workflows: Vec<WorkflowCfg>,
    /// Where each workflow came from (`file:line: Kind name`), parallel to `workflows`.
    pub origins: Vec<String>,
    /// CronWorkflow schedules (`via = "cron"`) and, with `submit`, one stream per other workflow.
    pub submissions: Vec<SubmissionCfg>,
    /// Semaphores the workflows use, with their limits (for `[controller.semaphores]`).
    pub semaphores: BTreeMap<String, u32>,
    /// What was approximated or not understood, with file and line.
    pub warnings: Vec<Diagnostic>,
    /// Documents not imported, and why (the unsupported feature is named).
    pub refused: Vec<Diagnostic>,
    /// Cluster configuration: controller and server settings, node pools (its warnings are
    /// in `warnings`).
    pub cluster: cluster::ClusterImport,
}

fn io_diag(path: &Path, message: String) -> Box<Diagnostic> {
    Box::new(Diagnostic {
        file: path.display().to_string(),
        line: None,
        column: None,
        key: None,
        message,
        help: None,
    })
}

/// Read one input file: at most [`yaml::MAX_FILE_BYTES`] + 1 bytes are read, whatever the
/// path is (a device or a pipe included), and more is refused.
pub fn read_source(path: &Path) -> Result<Source, Box<Diagnostic>> {
    let limit = yaml::MAX_FILE_BYTES as u64;
    let text = crate::input::read_text(path, limit, "file for the importer")
        .map_err(|e| io_diag(path, e.to_string()))?;
    Ok(Source {
        name: path.display().to_string(),
        text,
    })
}

/// Import Argo manifests and WfFormat traces from files; `hints.library` files (paths as
/// given, resolved by the caller) only resolve references. `Err` when a file cannot be read or
/// parsed, is refused as hostile, or nothing at all could be imported.
pub fn import_manifests(
    paths: &[PathBuf],
    hints: &ImportHints,
) -> Result<Imported, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut read = |ps: &[PathBuf]| -> Vec<Source> {
        ps.iter()
            .filter_map(|p| read_source(p).map_err(|e| errors.push(*e)).ok())
            .collect()
    };
    let inputs = read(paths);
    let library = read(&hints.library);
    if !errors.is_empty() {
        return Err(errors);
    }
    import_sources(&inputs, &library, hints)
}

/// Import from text; see [`import_manifests`].
pub fn import_sources(
    inputs: &[Source],
    library: &[Source],
    hints: &ImportHints,
) -> Result<Imported, Vec<Diagnostic>> {
    let total: usize = inputs.iter().chain(library).map(|s| s.text.len()).sum();
    if total > yaml::MAX_TOTAL_BYTES {
        return Err(vec![Diagnostic {
            file: inputs.first().map_or_else(String::new, |s| s.name.clone()),
            line: None,
            column: None,
            key: None,
            message: format!(
                "inputs total {total} bytes, above the importer's {} byte limit",
                yaml::MAX_TOTAL_BYTES
            ),
            help: None,
        }]);
    }
    let budget = Cell::new(yaml::MAX_NODES);
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let names: Vec<String> = inputs
        .iter()
        .chain(library)
        .map(|s| s.name.clone())
        .collect();
    for (i, s) in inputs.iter().chain(library).enumerate() {
        match yaml::load_documents(i, &s.name, &s.text, &budget) {
            Ok(d) => docs.extend(d),
            Err(e) => errors.push(*e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (corpus, mut warnings) = argo::Corpus::new(docs, names);
    let n_inputs = inputs.len();
    let mut out = Imported::default();
    let (mut cluster, claimed) = cluster::import(&corpus, n_inputs, &budget);
    warnings.append(&mut cluster.warnings);
    out.cluster = cluster;
    let submit_templates = match hints.workflow_templates {
        TemplateMode::Submit => true,
        TemplateMode::Library => false,
        TemplateMode::Auto => !corpus.docs.iter().any(|d| {
            d.source < n_inputs && matches!(argo::kind_of(&d.value), "Workflow" | "CronWorkflow")
        }),
    };
    let mut used_names = names::UniqueNames::default();
    for di in 0..corpus.docs.len() {
        let d = &corpus.docs[di];
        if d.source >= n_inputs || claimed.contains(&di) {
            continue;
        }
        let root = corpus.root(di);
        let kind = argo::kind_of(&d.value).to_string();
        let converted = if wfformat::is_instance(&d.value) {
            Some(
                wfformat::import_instance(&corpus, hints, di).map(|(cfg, w)| {
                    let name = cfg["name"].as_str().unwrap_or("").to_string();
                    argo::WorkflowOut {
                        cfg,
                        warnings: w,
                        semaphores: BTreeMap::new(),
                        origin: format!(
                            "{}:{}: WfFormat {name}",
                            corpus.names[d.source], d.first_line
                        ),
                    }
                }),
            )
        } else {
            match kind.as_str() {
                "Workflow" => Some(argo::convert(&corpus, hints, di, &["spec"], None)),
                "CronWorkflow" => Some(argo::convert(
                    &corpus,
                    hints,
                    di,
                    &["spec", "workflowSpec"],
                    None,
                )),
                "WorkflowTemplate" | "ClusterWorkflowTemplate" => {
                    let has_entry = d
                        .value
                        .get("spec")
                        .and_then(|s| s.get("entrypoint"))
                        .is_some();
                    match (submit_templates, has_entry, argo::meta_name(&d.value)) {
                        (true, true, Some(n)) => {
                            Some(argo::convert(&corpus, hints, di, &["spec"], Some(n)))
                        }
                        (false, true, Some(n)) => {
                            warnings.push(corpus.diag(
                                &root,
                                format!(
                                    "{kind} {n:?} only resolves references, as the inputs hold Workflows (set [import] workflow_templates = \"submit\" to submit it too)"
                                ),
                                None,
                            ));
                            None
                        }
                        _ => None,
                    }
                }
                "ConfigMap" => None,
                "WorkflowEventBinding" => {
                    out.refused.push(corpus.diag(&root, "WorkflowEventBinding (a workflow started by an API event) is not simulated: submit its WorkflowTemplate with via = \"argo-events\"".into(), None));
                    None
                }
                "" => {
                    out.refused.push(corpus.diag(
                        &root,
                        "not a Kubernetes object (no `kind`) nor a WfFormat instance".into(),
                        None,
                    ));
                    None
                }
                other => {
                    out.refused.push(corpus.diag(&root, format!("kind {other} is not an Argo workflow kind (Workflow, CronWorkflow, WorkflowTemplate, ClusterWorkflowTemplate)"), None));
                    None
                }
            }
        };
        let Some(converted) = converted else { continue };
        let w = match converted {
            Ok(w) => w,
            Err(e) => {
                out.refused.push(*e);
                continue;
            }
        };
        let mut cfg: WorkflowCfg = match serde_json::from_value(w.cfg) {
            Ok(c) => c,
            Err(e) => {
                out.refused.push(corpus.diag(
                    &root,
                    format!(
                        "internal: the imported workflow does not fit the scenario schema: {e}"
                    ),
                    None,
                ));
                continue;
            }
        };
        cfg.name = used_names.claim(&cfg.name, "-");
        warnings.extend(w.warnings);
        for (k, v) in w.semaphores {
            out.semaphores.entry(k).or_insert(v);
        }
        let subs = if kind == "CronWorkflow" {
            let (subs, ws) = argo::cron_submissions(&corpus, hints, di, &cfg.name);
            warnings.extend(ws);
            subs
        } else if hints.submit {
            vec![serde_json::json!({"workflow": cfg.name, "via": hints.via})]
        } else {
            Vec::new()
        };
        for s in subs {
            if let Ok(s) = serde_json::from_value::<SubmissionCfg>(s) {
                out.submissions.push(s);
            }
        }
        out.origins.push(w.origin);
        out.workflows.push(cfg);
    }
    out.warnings = warnings;
    if out.workflows.is_empty() && out.cluster.is_empty() {
        let mut errs = std::mem::take(&mut out.refused);
        if errs.is_empty() {
            errs.push(Diagnostic {
                file: inputs.first().map_or_else(String::new, |s| s.name.clone()),
                line: None,
                column: None,
                key: None,
                message: "nothing to import: no Workflow, CronWorkflow, submittable WorkflowTemplate, WfFormat instance, nor Argo cluster configuration (controller or server Deployment, controller ConfigMap, Helm values, Nodes)".into(),
                help: None,
            });
        }
        return Err(errs);
    }
    Ok(out)
}

/// Add an import to a parsed scenario file: workflows the file defines itself are kept (the
/// imported one of the same name is skipped, with a warning), submissions are added for
/// imported workflows the file does not submit itself, and semaphore limits for keys
/// `[controller.semaphores]` lacks. Cluster configuration is not applied (the file's own
/// settings cannot be told from their defaults once parsed): a warning says so. Returns the
/// warnings.
pub fn apply_to_scenario(imported: &Imported, file: &mut ScenarioFile) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    if !imported.cluster.is_empty() {
        warnings.push(Diagnostic {
            file: "manifests".into(),
            line: None,
            column: None,
            key: None,
            message: format!(
                "cluster configuration among the manifests ({} setting(s), {} node pool(s)) is not applied: the scenario's own tables stand; `argosim import` prints it as a fragment to paste in",
                imported.cluster.settings.len(),
                imported.cluster.pools.len()
            ),
            help: None,
        });
    }
    let own: BTreeSet<String> = file.workflows.iter().map(|w| w.name.clone()).collect();
    let submitted: BTreeSet<String> = file
        .submissions
        .iter()
        .map(|s| s.workflow.clone())
        .collect();
    for (i, w) in imported.workflows.iter().enumerate() {
        if own.contains(&w.name) {
            warnings.push(Diagnostic {
                file: imported.origins.get(i).cloned().unwrap_or_default(),
                line: None,
                column: None,
                key: None,
                message: format!(
                    "the scenario defines workflow {:?} itself: the imported one is not used",
                    w.name
                ),
                help: None,
            });
            continue;
        }
        file.workflows.push(w.clone());
    }
    for s in &imported.submissions {
        if !submitted.contains(&s.workflow) && !own.contains(&s.workflow) {
            file.submissions.push(s.clone());
        }
    }
    // The manifests' semaphore ConfigMap keys, for every controller of the scenario.
    let controllers: Vec<_> = if file.controllers.is_empty() {
        vec![&mut file.controller]
    } else {
        file.controllers.iter_mut().collect()
    };
    for c in controllers {
        for (k, v) in &imported.semaphores {
            c.semaphores.entry(k.clone()).or_insert(*v);
        }
    }
    warnings
}

/// The `manifests = [...]` key of a scenario: import `manifests` (and `hints.library`),
/// paths relative to `base_dir`, and add the result to `file` ([`apply_to_scenario`]).
/// Returns the import's warnings; `Err` lists why nothing could be imported.
pub fn import_into(
    file: &mut ScenarioFile,
    manifests: &[PathBuf],
    hints: &ImportHints,
    base_dir: &Path,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let resolve = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            base_dir.join(p)
        }
    };
    let paths: Vec<PathBuf> = manifests.iter().map(resolve).collect();
    let mut h = hints.clone();
    h.library = hints.library.iter().map(resolve).collect();
    let imported = import_manifests(&paths, &h)?;
    let mut warnings = imported.warnings.clone();
    warnings.extend(imported.refused.iter().cloned());
    warnings.extend(apply_to_scenario(&imported, file));
    Ok(warnings)
}

/// The `manifests = [...]` key of a parsed scenario `file` (named `file_name`, whose directory
/// relative paths start from): when it lists files, import them with the file's `[import]`
/// hints ([`import_into`]) and remove both keys, so the resolved file carries the workflows
/// inline and is never imported twice. Without manifests the file is left as it is. Returns
/// the import's warnings; `Err` lists why nothing could be imported.
pub fn resolve_manifests(
    file: &mut ScenarioFile,
    file_name: &str,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    if file.manifests.is_empty() {
        return Ok(Vec::new());
    }
    let base = Path::new(file_name).parent().unwrap_or(Path::new(""));
    let hints = file.import.take().unwrap_or_default();
    let manifests = std::mem::take(&mut file.manifests);
    import_into(file, &manifests, &hints, base)
}

/// The YAML documents of `text` as generic trees, with the importer's bounds (size, nesting,
/// node budget); for other readers of Kubernetes objects (observed runs).
pub(crate) fn load_yaml_values(
    file: &str,
    text: &str,
    budget: &Cell<usize>,
) -> Result<Vec<serde_json::Value>, Box<Diagnostic>> {
    Ok(yaml::load_documents(0, file, text, budget)?
        .into_iter()
        .map(|d| d.value)
        .collect())
}
