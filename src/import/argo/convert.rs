//! One Workflow, CronWorkflow (its `workflowSpec`) or submittable WorkflowTemplate → one
//! `[[workflows]]` table: the spec layers (`workflowTemplateRef`), workflow parameters, the
//! spec-level defaults of templates, the entrypoint expansion, the `onExit` handler (tasks
//! after all others), and the workflow fields (`parallelism`, `namespace`, `spec_bytes`,
//! `workflow_template_ref`, `pod_gc`, `ttl_after_completion`, lock); a plain steps
//! entrypoint stays `kind = "steps"` with `group`s.
//!
//! The exit handler runs only when the workflow succeeds (warned); `podGC.labelSelector`,
//! `deleteDelayDuration` and `ttlStrategy.secondsAfterFailure` are not simulated, and
//! `status` is ignored. Submissions are made by the caller (and, for a CronWorkflow, by
//! [`super::cron_submissions`]).

use super::super::expr::{self, Env};
use super::hints::{SPEC_KEYS, SPEC_NOT_SIMULATED};
use super::loops::input_env;
use super::{At, Conv, Corpus, Ctx, ImportHints, Lock, Node, WorkflowOut, kind_of, templates};
use crate::scenario::diag::Diagnostic;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Kind `steps` with groups when the graph is a plain sequence of groups; else `None`.
fn steps_groups(nodes: &[Node]) -> Option<Vec<u32>> {
    let mut level = vec![0u32; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        level[i] = n.deps.iter().map(|&d| level[d] + 1).max().unwrap_or(0);
    }
    let mut by_level: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &l) in level.iter().enumerate() {
        by_level.entry(l).or_default().push(i);
    }
    let empty = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let prev = if level[i] == 0 {
            &empty
        } else {
            by_level.get(&(level[i] - 1))?
        };
        let mut d = n.deps.clone();
        d.sort_unstable();
        d.dedup();
        if d != *prev {
            return None;
        }
    }
    Some(level)
}

/// Convert one Workflow, CronWorkflow (`spec_path` = `spec.workflowSpec`) or a submittable
/// WorkflowTemplate (`submit_as` = its name, submitted with `--from`).
pub(crate) fn convert(
    c: &Corpus,
    h: &ImportHints,
    doc: usize,
    spec_path: &[&str],
    submit_as: Option<&str>,
) -> Result<WorkflowOut, Box<Diagnostic>> {
    let root = c.root(doc);
    let mut spec = Some(root.clone());
    for k in spec_path {
        spec = spec.and_then(|s| s.get(k));
    }
    let kind = kind_of(root.v).to_string();
    let Some(spec) = spec.filter(|s| s.v.is_object()) else {
        return Err(Box::new(c.diag(
            &root,
            format!("{kind} has no `{}`", spec_path.join(".")),
            None,
        )));
    };
    let mut conv = Conv::new(c, h);
    if let Some(st) = root.get("status") {
        conv.warn(
            &st,
            "`status` is ignored: the workflow is simulated from the start",
        );
    }
    // Layers of the spec: the workflow's own, then the WorkflowTemplate it references.
    let (layers, wtr, extra_bytes) = templates::spec_layers(c, &spec, submit_as)?;
    for l in &layers {
        conv.check_keys(l, "spec", SPEC_KEYS, SPEC_NOT_SIMULATED);
    }
    let first = |k: &str| layers.iter().find_map(|l| l.get(k));
    // Workflow parameters: the template's, overridden by the workflow's.
    for l in layers.iter().rev() {
        for p in l
            .get("arguments")
            .and_then(|a| a.get("parameters"))
            .map(|p| p.items())
            .unwrap_or_default()
        {
            if let (Some(n), Some(v)) = (p.name(), p.get("value").and_then(|v| v.text())) {
                conv.wf_params.insert(n.to_string(), v);
            }
        }
    }
    let params = conv.wf_params.clone();
    for (k, v) in &params {
        let s = expr::subst(v, &Env::new(), &params);
        conv.wf_params.insert(k.clone(), s);
    }
    conv.wf_node_selector = first("nodeSelector");
    conv.wf_tolerations = first("tolerations");
    conv.wf_retry = first("retryStrategy");
    conv.wf_pod_resources = first("podResources");
    let scope: Vec<At<'_>> = layers.iter().filter_map(|l| l.get("templates")).collect();
    let Some(entry_at) = first("entrypoint") else {
        return Err(Box::new(c.diag(
            &spec,
            format!("{kind} has no entrypoint"),
            None,
        )));
    };
    let entry_name = entry_at.text().unwrap_or_default();
    let Some(entry) = conv.find_template(&scope, &entry_name) else {
        return Err(Box::new(c.diag(
            &entry_at,
            format!("entrypoint {entry_name:?}: no template of that name"),
            None,
        )));
    };
    let env = input_env(&entry, &conv.wf_params);
    let ctx = Ctx {
        prefix: String::new(),
        env,
        deps: Vec::new(),
        mult: 1,
        par: 0,
        tref: None,
        lock: None,
        retry: None,
        task: String::new(),
    };
    let entry_is_steps = entry.get("steps").is_some();
    let leaves = conv.expand(entry.clone(), &scope, ctx);
    // Exit handler: after every task.
    let mut has_exit = false;
    if let Some(ex) = first("onExit") {
        let n = ex.text().unwrap_or_default();
        match conv.find_template(&scope, &n) {
            Some(t) => {
                let sinks: Vec<usize> = {
                    let used: BTreeSet<usize> = conv
                        .nodes
                        .iter()
                        .flat_map(|x| x.deps.iter().copied())
                        .collect();
                    (0..conv.nodes.len())
                        .filter(|i| !used.contains(i))
                        .collect()
                };
                let before = conv.nodes.len();
                let ctx = Ctx {
                    prefix: "onExit".into(),
                    env: Env::new(),
                    deps: if sinks.is_empty() { leaves } else { sinks },
                    mult: 1,
                    par: 0,
                    tref: None,
                    lock: None,
                    retry: None,
                    task: "onExit".into(),
                };
                conv.expand(t, &scope, ctx);
                has_exit = conv.nodes.len() > before;
                conv.warn(
                    &ex,
                    "exit handler simulated as tasks after all others: it runs only when the workflow succeeds (argosim stops at the first failure)",
                );
            }
            None => conv.warn(&ex, format!("onExit template {n:?} not found: ignored")),
        }
    }
    if let Some(f) = conv.fatal.take() {
        return Err(Box::new(f));
    }
    if conv.nodes.is_empty() {
        // Why: the warnings about what was dropped or skipped.
        let why: Vec<String> = conv
            .warnings
            .iter()
            .map(|w| w.message.clone())
            .filter(|m| {
                ["dropped", "skipped", "no pods"]
                    .iter()
                    .any(|k| m.contains(k))
            })
            .take(3)
            .collect();
        return Err(Box::new(c.diag(
            &entry_at,
            format!(
                "entrypoint {entry_name:?} reaches no pod-running template, nothing to simulate{}",
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join("; "))
                }
            ),
            None,
        )));
    }
    // Validation GETs of templateRef holders that created no task of their own.
    for (r, at) in std::mem::take(&mut conv.pending_refs) {
        match conv.nodes.iter_mut().find(|n| n.template_ref.is_none()) {
            Some(n) => {
                let name = n.name.clone();
                n.template_ref = Some(r.clone());
                conv.warn(&at, format!("the validation GETs of templateRef {r:?} (no pod of its own) are charged to task {name}"));
            }
            None => conv.warn(&at, format!("the validation GETs of templateRef {r:?} are not counted: every task already carries a templateRef")),
        }
    }
    let pods: u64 = conv.nodes.iter().map(|n| u64::from(n.width)).sum();
    if pods > 1_000_000 {
        conv.warn(
            &entry_at,
            format!(
                "one run creates {pods} pods: check the loop widths and [import] recursion_depth"
            ),
        );
    }
    if !conv.param_templates.is_empty() {
        let list: Vec<&str> = conv.param_templates.iter().map(String::as_str).collect();
        conv.warn(
            &entry_at,
            format!(
                "output parameters (and script results) of templates {} sized at {} B each in the Workflow object (estimate; set [import] output_parameter_bytes)",
                list.join(", "),
                h.output_parameter_bytes.0
            ),
        );
    }
    if !conv.no_requests.is_empty() {
        let list: Vec<&str> = conv.no_requests.iter().map(String::as_str).collect();
        conv.warn_help(
            &entry_at,
            format!(
                "templates {} request no cpu and no memory: their pods are BestEffort and fit \
                 on any node, so the cluster never fills",
                list.join(", ")
            ),
            Some(
                "pass --default-requests cpu=500m,memory=1Gi (or set [import] default_cpu and \
                 default_memory)"
                    .into(),
            ),
        );
    }
    if !conv.default_durations.is_empty() {
        let list: Vec<&str> = conv.default_durations.iter().map(String::as_str).collect();
        let d = serde_json::to_value(&h.default_duration)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let help = format!(
            "set [import.durations] {:?} = \"5m\" (or a distribution table)",
            list[0]
        );
        conv.warn_help(
            &entry_at,
            format!(
                "run time unknown for templates {}: default {d} used",
                list.join(", ")
            ),
            Some(help),
        );
    }
    // The workflow table.
    let meta = root.get("metadata");
    let name = submit_as
        .map(str::to_string)
        .or_else(|| {
            meta.as_ref()
                .and_then(|m| m.get("name"))
                .and_then(|n| n.text())
        })
        .or_else(|| {
            meta.as_ref()
                .and_then(|m| m.get("generateName"))
                .and_then(|n| n.text())
                .map(|g| g.trim_end_matches(['-', '.']).to_string())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{}-{}", kind.to_lowercase(), c.docs[doc].index));
    let mut w = Map::new();
    w.insert("name".into(), json!(name));
    let groups = if entry_is_steps && !has_exit {
        steps_groups(&conv.nodes)
    } else {
        None
    };
    if groups.is_some() {
        w.insert("kind".into(), json!("steps"));
    }
    if let Some(p) = first("parallelism") {
        match p.text().and_then(|s| s.parse::<u32>().ok()) {
            Some(n) => {
                w.insert("parallelism".into(), json!(n));
            }
            None => conv.warn(&p, "parallelism is not an integer; ignored"),
        }
    }
    if let Some(ns) = meta
        .as_ref()
        .and_then(|m| m.get("namespace"))
        .and_then(|n| n.text())
    {
        w.insert("namespace".into(), json!(ns));
    }
    let spec_bytes = serde_json::to_vec(root.v).map_or(0, |v| v.len()) + extra_bytes;
    w.insert("spec_bytes".into(), json!(spec_bytes));
    if let Some(r) = &wtr {
        w.insert("workflow_template_ref".into(), json!(r));
    }
    if let Some(gc) = first("podGC") {
        conv.check_keys(
            &gc,
            "podGC",
            &["strategy"],
            &[
                ("labelSelector", "every pod is treated as matching"),
                (
                    "deleteDelayDuration",
                    "a per-workflow delay is not simulated: set [controller] pod_gc_delete_delay",
                ),
            ],
        );
        if let Some(s) = gc.get("strategy") {
            let v = s.text().unwrap_or_default();
            match v.as_str() {
                "OnPodCompletion"
                | "OnPodSuccess"
                | "OnWorkflowCompletion"
                | "OnWorkflowSuccess" => {
                    w.insert("pod_gc".into(), json!(v));
                }
                "" => {}
                _ => conv.warn(
                    &s,
                    format!("podGC strategy {v:?} not understood: no pod GC"),
                ),
            }
        }
    }
    if let Some(ttl) = first("ttlStrategy") {
        conv.check_keys(
            &ttl,
            "ttlStrategy",
            &["secondsAfterCompletion"],
            &[
                (
                    "secondsAfterSuccess",
                    "used only when secondsAfterCompletion is absent, for every outcome",
                ),
                (
                    "secondsAfterFailure",
                    "not simulated (failures use secondsAfterCompletion)",
                ),
            ],
        );
        let secs = ttl
            .get("secondsAfterCompletion")
            .or_else(|| ttl.get("secondsAfterSuccess"))
            .and_then(|s| s.text())
            .and_then(|s| s.trim().parse::<u64>().ok());
        if let Some(s) = secs {
            w.insert("ttl_after_completion".into(), json!(format!("{s}s")));
        }
    }
    if let Some(s) = first("synchronization") {
        match conv.lock(&s) {
            Some(Lock::Semaphore(k)) => {
                w.insert("semaphore".into(), json!(k));
            }
            Some(Lock::Mutex(m)) => {
                w.insert("mutex".into(), json!(m));
            }
            None => {}
        }
    }
    w.insert(
        "tasks".into(),
        Value::Array(task_tables(&conv.nodes, groups.as_deref())),
    );
    if conv.dropped_warnings > 0 {
        let n = conv.dropped_warnings;
        conv.warnings
            .push(c.diag(&root, format!("… and {n} more warnings not shown"), None));
    }
    let d = &c.docs[doc];
    let mut warnings = conv.warnings;
    warnings.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(WorkflowOut {
        cfg: Value::Object(w),
        warnings,
        semaphores: conv.semaphores,
        origin: format!("{}:{}: {kind} {name}", c.names[d.source], d.first_line),
    })
}

/// The `[[workflows.tasks]]` tables of the graph: `group` (when `groups` is given, one per
/// node) or `depends`, and the fields that differ from the defaults.
fn task_tables(nodes: &[Node], groups: Option<&[u32]>) -> Vec<Value> {
    let mut tasks = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let mut t = Map::new();
        t.insert("name".into(), json!(n.name));
        match groups {
            Some(g) => {
                t.insert("group".into(), json!(g[i]));
            }
            None => {
                let mut d = n.deps.clone();
                d.sort_unstable();
                d.dedup();
                if !d.is_empty() {
                    let names: Vec<&str> = d.iter().map(|&j| nodes[j].name.as_str()).collect();
                    t.insert("depends".into(), json!(names));
                }
            }
        }
        if n.width != 1 {
            t.insert("width".into(), json!(n.width));
        }
        if n.parallelism > 0 {
            t.insert("parallelism".into(), json!(n.parallelism));
        }
        if n.cpu > 0 {
            t.insert("cpu".into(), json!(format!("{}m", n.cpu)));
        }
        if n.mem > 0 {
            t.insert("memory".into(), json!(n.mem));
        }
        if let Some(i) = &n.image {
            t.insert("image".into(), json!(i));
        }
        t.insert(
            "duration".into(),
            serde_json::to_value(&n.duration).unwrap_or(json!("30s")),
        );
        for (k, v) in [
            ("template_ref", &n.template_ref),
            ("semaphore", &n.semaphore),
            ("mutex", &n.mutex),
            ("arch", &n.arch),
        ] {
            if let Some(v) = v {
                t.insert(k.into(), json!(v));
            }
        }
        if n.output_parameter_bytes > 0 {
            t.insert(
                "output_parameter_bytes".into(),
                json!(n.output_parameter_bytes),
            );
        }
        if !n.tolerations.is_empty() {
            t.insert("tolerations".into(), json!(n.tolerations));
        }
        if let Some(r) = &n.retry {
            t.insert("retry".into(), r.clone());
        }
        if n.read_bytes > 0 {
            t.insert("read_bytes".into(), json!(n.read_bytes));
        }
        if n.write_bytes > 0 {
            t.insert("write_bytes".into(), json!(n.write_bytes));
        }
        tasks.push(Value::Object(t));
    }
    tasks
}
