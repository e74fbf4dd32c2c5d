//! Argo manifests → argosim workflows. The entrypoint's template tree is flattened into one
//! task graph: every pod-running template reached (container, script, resource, data,
//! containerSet) becomes a task named by its call path (`outer.inner`), `dag`/`steps`
//! templates only contribute dependencies (a task depending on a nested DAG depends on its
//! leaves; each steps group waits for the leaves of the group before), loops become `width`,
//! and `templateRef`s are resolved across every given document.
//!
//! What each Argo field becomes, and what is approximated, is listed in the module
//! documentation of [`crate::import`]; every approximation is reported as a warning with the
//! file and line of the field.

use super::expr::{self, Env};
use super::locate::{Seg, dotted};
use super::yaml::Doc;
use super::{ImportHints, cron};
use crate::dist::DurationDist;
use crate::scenario::diag::Diagnostic;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Most tasks one flattened workflow may have.
pub const MAX_TASKS: usize = 10_000;
/// Largest fan-out of one task (nested loops multiply).
pub const MAX_WIDTH: u32 = 1_000_000;
/// Deepest chain of template calls followed.
pub const MAX_CALL_DEPTH: usize = 64;
/// Most dependency edges one flattened workflow may have.
pub const MAX_EDGES: usize = 1_000_000;
/// Most template expansions for one workflow (bounds recursion whose calls create no pod).
pub const MAX_EXPANSIONS: usize = 100_000;
/// Most warnings kept per workflow (the rest are counted).
pub const MAX_WARNINGS: usize = 500;
/// Image of `resource` and `data` templates (argoexec runs as the main container).
pub const ARGOEXEC_IMAGE: &str = "quay.io/argoproj/argoexec:v3.6";

/// All documents of one import, indexed by kind and name.
pub(crate) struct Corpus {
    pub docs: Vec<Doc>,
    pub names: Vec<String>,
    wftmpl: BTreeMap<String, usize>,
    cwftmpl: BTreeMap<String, usize>,
    configmaps: BTreeMap<String, usize>,
}

pub(crate) fn kind_of(v: &Value) -> &str {
    v.get("kind").and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn meta_name(v: &Value) -> Option<&str> {
    v.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
}

impl Corpus {
    /// Index `docs`; duplicate template names are reported and the first one wins.
    pub(crate) fn new(docs: Vec<Doc>, names: Vec<String>) -> (Corpus, Vec<Diagnostic>) {
        let mut c = Corpus {
            docs,
            names,
            wftmpl: BTreeMap::new(),
            cwftmpl: BTreeMap::new(),
            configmaps: BTreeMap::new(),
        };
        let mut warnings = Vec::new();
        for (i, d) in c.docs.iter().enumerate() {
            let map = match kind_of(&d.value) {
                "WorkflowTemplate" => &mut c.wftmpl,
                "ClusterWorkflowTemplate" => &mut c.cwftmpl,
                "ConfigMap" => &mut c.configmaps,
                _ => continue,
            };
            if let Some(n) = meta_name(&d.value) {
                if map.contains_key(n) {
                    warnings.push(Diagnostic {
                        file: c.names[d.source].clone(),
                        line: Some(
                            d.lines
                                .locate(&[Seg::Key("metadata".into()), Seg::Key("name".into())]),
                        ),
                        column: None,
                        key: Some("metadata.name".into()),
                        message: format!(
                            "{} {n:?} is defined twice; the first definition is used",
                            kind_of(&d.value)
                        ),
                        help: None,
                    });
                } else {
                    map.insert(n.to_string(), i);
                }
            }
        }
        (c, warnings)
    }

    pub(crate) fn diag(&self, at: &At<'_>, message: String, help: Option<String>) -> Diagnostic {
        let d = &self.docs[at.doc];
        Diagnostic {
            file: self.names[d.source].clone(),
            line: Some(d.lines.locate(&at.path)),
            column: None,
            key: (!at.path.is_empty()).then(|| dotted(&at.path)),
            message,
            help,
        }
    }

    pub(crate) fn root(&self, doc: usize) -> At<'_> {
        At {
            v: &self.docs[doc].value,
            doc,
            path: Vec::new(),
        }
    }
}

/// A value inside a document, with its path (for line numbers).
#[derive(Clone, Debug)]
pub(crate) struct At<'c> {
    pub v: &'c Value,
    pub doc: usize,
    pub path: Vec<Seg>,
}

impl<'c> At<'c> {
    pub(crate) fn get(&self, k: &str) -> Option<At<'c>> {
        let v = self.v.as_object()?.get(k)?;
        if v.is_null() {
            return None;
        }
        let mut path = self.path.clone();
        path.push(Seg::Key(k.to_string()));
        Some(At {
            v,
            doc: self.doc,
            path,
        })
    }
    fn items(&self) -> Vec<At<'c>> {
        match self.v.as_array() {
            Some(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut path = self.path.clone();
                    path.push(Seg::Index(i));
                    At {
                        v,
                        doc: self.doc,
                        path,
                    }
                })
                .collect(),
            None => Vec::new(),
        }
    }
    /// A scalar as text (strings, numbers, booleans).
    fn text(&self) -> Option<String> {
        match self.v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    fn keys(&self) -> Vec<&'c str> {
        self.v
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }
    fn name(&self) -> Option<&'c str> {
        self.v.get("name").and_then(Value::as_str)
    }
}

/// A pod-running task of the flattened graph.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    deps: Vec<usize>,
    width: u32,
    parallelism: u32,
    cpu: u64,
    mem: u64,
    image: Option<String>,
    duration: DurationDist,
    template_ref: Option<String>,
    output_parameter_bytes: u64,
    semaphore: Option<String>,
    mutex: Option<String>,
    arch: Option<String>,
    tolerations: Vec<String>,
    retry: Option<Value>,
    read_bytes: u64,
    write_bytes: u64,
}

#[derive(Debug, Clone)]
enum Lock {
    Semaphore(String),
    Mutex(String),
}

/// What a call passes down to the template it expands.
#[derive(Clone)]
struct Ctx<'c> {
    /// Task path so far (`outer.inner`), "" at the entrypoint.
    prefix: String,
    /// `inputs.parameters` of the template being expanded.
    env: Env,
    /// Nodes every node created here must wait for.
    deps: Vec<usize>,
    /// Product of enclosing loop widths.
    mult: u32,
    /// Active-pod limit from enclosing templates' `parallelism` (0 = none).
    par: u32,
    /// WorkflowTemplate name when this template was reached by `templateRef`.
    tref: Option<String>,
    /// Lock and retry inherited from an enclosing dag/steps template.
    lock: Option<Lock>,
    retry: Option<At<'c>>,
    /// Name of the call site (task or step), for hints.
    task: String,
}

/// One converted workflow.
pub(crate) struct WorkflowOut {
    /// The `[[workflows]]` entry as JSON (deserialized into `WorkflowCfg` by the caller).
    pub cfg: Value,
    pub warnings: Vec<Diagnostic>,
    /// Semaphores used, with limits.
    pub semaphores: BTreeMap<String, u32>,
    /// `file:line` of the document.
    pub origin: String,
}

struct Conv<'c> {
    c: &'c Corpus,
    h: &'c ImportHints,
    wf_params: Env,
    warnings: Vec<Diagnostic>,
    seen: BTreeSet<(usize, Vec<Seg>, String)>,
    nodes: Vec<Node>,
    names: BTreeSet<String>,
    stack: Vec<(usize, Vec<Seg>)>,
    wf_node_selector: Option<At<'c>>,
    wf_tolerations: Option<At<'c>>,
    wf_retry: Option<At<'c>>,
    wf_pod_resources: Option<At<'c>>,
    pending_refs: Vec<(String, At<'c>)>,
    semaphores: BTreeMap<String, u32>,
    default_durations: BTreeSet<String>,
    param_templates: BTreeSet<String>,
    fatal: Option<Diagnostic>,
    overflow: bool,
    edges: usize,
    expansions: usize,
    dropped_warnings: usize,
    /// Templates by name, per `templates` array (document, path).
    tmpl_index: BTreeMap<(usize, Vec<Seg>), BTreeMap<&'c str, usize>>,
}

const TASK_KEYS: &[&str] = &[
    "name",
    "template",
    "templateRef",
    "inline",
    "arguments",
    "dependencies",
    "depends",
    "when",
    "withItems",
    "withParam",
    "withSequence",
];
const TASK_NOT_SIMULATED: &[(&str, &str)] = &[
    (
        "continueOn",
        "argosim stops starting tasks at the first failure",
    ),
    ("onExit", "task-level exit handlers are not simulated"),
    ("hooks", "lifecycle hooks are not simulated"),
];
/// Keys of a Kubernetes container (and of a script or containerSet container).
const CONTAINER_KEYS: &[&str] = &[
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
    "source",
    "dependencies",
    "mirrorVolumeMounts",
];
const TEMPLATE_KEYS: &[&str] = &[
    "name",
    "container",
    "script",
    "resource",
    "data",
    "containerSet",
    "dag",
    "steps",
    "suspend",
    "http",
    "plugin",
    "inputs",
    "outputs",
    "retryStrategy",
    "parallelism",
    "synchronization",
    "nodeSelector",
    "tolerations",
    "sidecars",
    "initContainers",
    "metadata",
    "serviceAccountName",
    "automountServiceAccountToken",
    "securityContext",
    "executor",
    "archiveLocation",
    "volumes",
    "hostAliases",
    "metrics",
    "failFast",
    "annotations",
    "podResources",
];
const TEMPLATE_NOT_SIMULATED: &[(&str, &str)] = &[
    (
        "podSpecPatch",
        "the patch is not applied (resources in it are not seen)",
    ),
    (
        "affinity",
        "affinity is not simulated (pools are not chosen by it)",
    ),
    (
        "priorityClassName",
        "pod priority and preemption are not simulated",
    ),
    ("priority", "pod priority and preemption are not simulated"),
    ("schedulerName", "a custom scheduler is not simulated"),
    (
        "activeDeadlineSeconds",
        "deadlines are not simulated: the pod runs its full duration",
    ),
    (
        "timeout",
        "timeouts are not simulated: the pod runs its full duration",
    ),
    (
        "memoize",
        "memoization is not simulated: every run creates its pods",
    ),
    (
        "daemon",
        "a daemoned pod is simulated as an ordinary pod that ends after its duration",
    ),
    ("hooks", "lifecycle hooks are not simulated"),
    (
        "pendingTimeout",
        "the pending timeout is not simulated: a pod waits as long as it must",
    ),
    ("resourceClaims", "resource claims (DRA) are not simulated"),
];
const SPEC_KEYS: &[&str] = &[
    "entrypoint",
    "templates",
    "arguments",
    "parallelism",
    "podGC",
    "ttlStrategy",
    "synchronization",
    "workflowTemplateRef",
    "onExit",
    "retryStrategy",
    "nodeSelector",
    "tolerations",
    "serviceAccountName",
    "automountServiceAccountToken",
    "executor",
    "securityContext",
    "podMetadata",
    "imagePullSecrets",
    "hostAliases",
    "hostNetwork",
    "dnsPolicy",
    "dnsConfig",
    "artifactRepositoryRef",
    "archiveLogs",
    "workflowMetadata",
    "volumes",
    "volumeClaimGC",
    "metrics",
    "podDisruptionBudget",
    "podResources",
];
const SPEC_NOT_SIMULATED: &[(&str, &str)] = &[
    (
        "activeDeadlineSeconds",
        "the workflow deadline is not simulated",
    ),
    (
        "volumeClaimTemplates",
        "PersistentVolumeClaims are not created (no API calls, no volume binding)",
    ),
    ("hooks", "lifecycle hooks are not simulated"),
    ("podSpecPatch", "the patch is not applied"),
    ("affinity", "affinity is not simulated"),
    ("priority", "workflow priority is not simulated"),
    ("podPriorityClassName", "pod priority is not simulated"),
    ("podPriority", "pod priority is not simulated"),
    ("schedulerName", "a custom scheduler is not simulated"),
    ("templateDefaults", "template defaults are not applied"),
    ("suspend", "the workflow is simulated as not suspended"),
    ("shutdown", "the workflow is simulated as running"),
    (
        "artifactGC",
        "artifact garbage collection pods are not simulated",
    ),
    ("resourceClaims", "resource claims (DRA) are not simulated"),
    (
        "executorPlugins",
        "executor plugins (agent pod sidecars) are not simulated",
    ),
];

fn union(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = a.iter().chain(b).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// `"name"`, or `"name" (every call) or "outer.name" (this call)` for a nested task.
fn key_help(keys: &[String]) -> String {
    match keys {
        [path, name, ..] if path != name => {
            format!("{name:?} (every call) or {path:?} (this call)")
        }
        [path, ..] => format!("{path:?}"),
        [] => String::new(),
    }
}

fn par_min(a: u32, b: u32) -> u32 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (x, y) => x.min(y),
    }
}

impl<'c> Conv<'c> {
    fn warn(&mut self, at: &At<'_>, msg: impl Into<String>) {
        self.warn_help(at, msg, None);
    }
    fn warn_help(&mut self, at: &At<'_>, msg: impl Into<String>, help: Option<String>) {
        let msg = msg.into();
        // Deduplicate before locating the line: a template expanded many times warns once.
        if !self.seen.insert((at.doc, at.path.clone(), msg.clone())) {
            return;
        }
        if self.warnings.len() >= MAX_WARNINGS {
            self.dropped_warnings += 1;
            return;
        }
        let d = self.c.diag(at, msg, help);
        self.warnings.push(d);
    }
    fn fail(&mut self, at: &At<'_>, msg: impl Into<String>) {
        if self.fatal.is_none() {
            self.fatal = Some(self.c.diag(at, msg.into(), None));
        }
    }
    fn check_keys(&mut self, at: &At<'_>, what: &str, known: &[&str], not_sim: &[(&str, &str)]) {
        for k in at.keys() {
            if known.contains(&k) {
                continue;
            }
            let Some(child) = at.get(k) else { continue };
            match not_sim.iter().find(|(n, _)| *n == k) {
                Some((_, why)) => self.warn(&child, format!("{what} `{k}`: {why}")),
                None => self.warn(
                    &child,
                    format!("{what} `{k}` is not understood by the importer; ignored"),
                ),
            }
        }
    }
    fn subst(&self, s: &str, env: &Env) -> String {
        expr::subst(s, env, &self.wf_params)
    }

    /// A template by name in the given scope (each entry a `templates` array).
    fn find_template(&mut self, scope: &[At<'c>], name: &str) -> Option<At<'c>> {
        for layer in scope {
            let key = (layer.doc, layer.path.clone());
            let index = self.tmpl_index.entry(key).or_insert_with(|| {
                let mut m = BTreeMap::new();
                for (i, t) in layer.v.as_array().into_iter().flatten().enumerate() {
                    if let Some(n) = t.get("name").and_then(Value::as_str) {
                        m.entry(n).or_insert(i);
                    }
                }
                m
            });
            if let Some(&i) = index.get(name) {
                let mut path = layer.path.clone();
                path.push(Seg::Index(i));
                return Some(At {
                    v: &layer.v[i],
                    doc: layer.doc,
                    path,
                });
            }
        }
        None
    }

    /// `templateRef`: the referenced template, the scope it lives in, the WorkflowTemplate name.
    fn resolve_ref(&mut self, tr: &At<'c>) -> Result<(At<'c>, Vec<At<'c>>, String), String> {
        let name = tr.get("name").and_then(|n| n.text()).unwrap_or_default();
        let tmpl = tr
            .get("template")
            .and_then(|n| n.text())
            .unwrap_or_default();
        let cluster = tr
            .get("clusterScope")
            .is_some_and(|c| c.v == &Value::Bool(true));
        if name.is_empty() || tmpl.is_empty() {
            return Err("templateRef needs `name` and `template`".into());
        }
        let (map, kind) = if cluster {
            (&self.c.cwftmpl, "ClusterWorkflowTemplate")
        } else {
            (&self.c.wftmpl, "WorkflowTemplate")
        };
        let Some(&doc) = map.get(&name) else {
            let other = if cluster {
                &self.c.wftmpl
            } else {
                &self.c.cwftmpl
            };
            let hint = if other.contains_key(&name) {
                format!(
                    " (a {} of that name is: set clusterScope: {})",
                    if cluster {
                        "WorkflowTemplate"
                    } else {
                        "ClusterWorkflowTemplate"
                    },
                    !cluster
                )
            } else {
                String::new()
            };
            return Err(format!(
                "templateRef: {kind} {name:?} is not among the given files{hint}"
            ));
        };
        let root = self.c.root(doc);
        let scope: Vec<At<'c>> = root
            .get("spec")
            .and_then(|s| s.get("templates"))
            .into_iter()
            .collect();
        match self.find_template(&scope, &tmpl) {
            Some(t) => Ok((t, scope, name)),
            None => Err(format!(
                "templateRef: {kind} {name:?} has no template {tmpl:?}"
            )),
        }
    }

    fn unique_name(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "main" } else { base };
        let mut name = base.to_string();
        let mut n = 2;
        while self.names.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        self.names.insert(name.clone());
        name
    }

    fn hint_keys(&self, ctx: &Ctx<'_>) -> Vec<String> {
        let mut keys = vec![ctx.prefix.clone()];
        if !ctx.task.is_empty() && ctx.task != ctx.prefix {
            keys.push(ctx.task.clone());
        }
        keys
    }

    /// Expand a template called with `ctx`; returns the nodes a successor must wait for.
    fn expand(&mut self, t: At<'c>, scope: &[At<'c>], ctx: Ctx<'c>) -> Vec<usize> {
        if self.fatal.is_some() || self.overflow {
            return ctx.deps;
        }
        let key = (t.doc, t.path.clone());
        let tname = t.name().unwrap_or("(unnamed)").to_string();
        let depth = self.stack.iter().filter(|k| **k == key).count();
        if depth >= self.h.recursion_depth.max(1) as usize {
            self.warn(
                &t,
                format!(
                    "template {tname:?} calls itself recursively: unrolled to depth {} (set [import] recursion_depth); the deeper call at {:?} is dropped",
                    self.h.recursion_depth, ctx.prefix
                ),
            );
            return ctx.deps;
        }
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            self.overflow = true;
            self.fail(
                &t,
                format!(
                    "expanding the templates takes more than {MAX_EXPANSIONS} calls; refused (lower [import] recursion_depth?)"
                ),
            );
            return ctx.deps;
        }
        if self.stack.len() >= MAX_CALL_DEPTH {
            self.fail(
                &t,
                format!("template calls nested deeper than {MAX_CALL_DEPTH} levels; refused"),
            );
            return ctx.deps;
        }
        self.check_keys(&t, "template", TEMPLATE_KEYS, TEMPLATE_NOT_SIMULATED);
        self.stack.push(key);
        let out = if t.get("dag").is_some() {
            self.dag(&t, scope, ctx)
        } else if t.get("steps").is_some() {
            self.steps(&t, scope, ctx)
        } else if ["container", "script", "resource", "data", "containerSet"]
            .iter()
            .any(|k| t.get(k).is_some())
        {
            self.leaf(&t, &tname, ctx)
        } else {
            let why = if let Some(s) = t.get("suspend") {
                let d = s.get("duration").and_then(|d| d.text());
                match d {
                    Some(d) => format!(
                        "suspend template {tname:?} creates no pod: dropped (its {d} wait before the next tasks is not simulated)"
                    ),
                    None => format!(
                        "suspend template {tname:?} creates no pod: dropped (simulated as resumed at once)"
                    ),
                }
            } else if t.get("http").is_some() {
                format!(
                    "HTTP template {tname:?} runs in the workflow's agent pod, which is not simulated: dropped"
                )
            } else if t.get("plugin").is_some() {
                format!(
                    "executor plugin template {tname:?} runs in the workflow's agent pod, which is not simulated: dropped"
                )
            } else {
                format!(
                    "template {tname:?} has none of container, script, resource, data, containerSet, dag, steps, suspend, http, plugin: not understood, dropped"
                )
            };
            self.warn(&t, why);
            ctx.deps
        };
        self.stack.pop();
        out
    }

    fn composite_ctx(&mut self, t: &At<'c>, ctx: &Ctx<'c>) -> Ctx<'c> {
        let mut inner = ctx.clone();
        inner.tref = None;
        if let Some(p) = t.get("parallelism") {
            match p.text().and_then(|s| s.parse::<u32>().ok()) {
                Some(n) if n > 0 => inner.par = par_min(ctx.par, n.saturating_mul(ctx.mult)),
                _ => self.warn(&p, "parallelism is not a positive integer; ignored"),
            }
        }
        if let Some(s) = t.get("synchronization")
            && let Some(lock) = self.lock(&s)
        {
            self.warn(
                &s,
                "a lock on a dag/steps template is held by each of its pods instead of once for the whole template",
            );
            inner.lock = Some(lock);
        }
        if let Some(r) = t.get("retryStrategy") {
            self.warn(
                &r,
                "retryStrategy on a dag/steps template retries each of its pods instead of the whole template",
            );
            inner.retry = Some(r);
        }
        inner
    }

    fn dag(&mut self, t: &At<'c>, scope: &[At<'c>], ctx: Ctx<'c>) -> Vec<usize> {
        let Some(dag) = t.get("dag") else {
            return ctx.deps;
        };
        self.check_keys(&dag, "dag", &["tasks", "target", "failFast"], &[]);
        if let Some(ff) = dag.get("failFast")
            && ff.v == &Value::Bool(false)
        {
            self.warn(
                &ff,
                "failFast: false is not simulated: argosim stops starting tasks at the first failure",
            );
        }
        let inner = self.composite_ctx(t, &ctx);
        let tasks: Vec<At<'c>> = dag
            .get("tasks")
            .map(|x| x.items())
            .unwrap_or_default()
            .into_iter()
            .filter(|x| {
                if x.name().is_none() {
                    self.warn(x, "DAG task without a `name`: ignored");
                    false
                } else {
                    true
                }
            })
            .collect();
        let names: Vec<&str> = tasks.iter().filter_map(|x| x.name()).collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        // Dependencies by index.
        let mut deps: Vec<Vec<usize>> = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let mut ds = Vec::new();
            let mut mention = |this: &mut Self, at: &At<'_>, n: &str| match index.get(n) {
                Some(&i) => ds.push(i),
                None => this.warn(at, format!("depends on unknown task {n:?}: ignored")),
            };
            if let Some(d) = task.get("dependencies") {
                for item in d.items() {
                    if let Some(n) = item.text() {
                        mention(self, &item, &n);
                    }
                }
            }
            if let Some(d) = task.get("depends") {
                let e = d.text().unwrap_or_default();
                let (ns, exact) = expr::depends_names(&e, &|s| index.contains_key(s));
                for n in &ns {
                    mention(self, &d, n);
                }
                if !exact {
                    self.warn(
                        &d,
                        format!(
                            "depends {e:?} approximated as \"all of {} succeeded\"",
                            ns.join(", ")
                        ),
                    );
                }
            }
            ds.sort_unstable();
            ds.dedup();
            deps.push(ds);
        }
        // `target`: only the named tasks and their ancestors run.
        let mut keep = vec![true; tasks.len()];
        if let Some(tg) = dag.get("target") {
            let s = self.subst(&tg.text().unwrap_or_default(), &ctx.env);
            if expr::resolved(&s) {
                let wanted: Vec<&str> = s.split([' ', ',']).filter(|x| !x.is_empty()).collect();
                keep = vec![false; tasks.len()];
                let mut stack: Vec<usize> = wanted
                    .iter()
                    .filter_map(|w| index.get(w).copied())
                    .collect();
                while let Some(i) = stack.pop() {
                    if !keep[i] {
                        keep[i] = true;
                        stack.extend(deps[i].iter().copied());
                    }
                }
            } else {
                self.warn(
                    &tg,
                    format!("target {s:?} cannot be resolved statically: every task runs"),
                );
            }
        }
        // Topological order (stable: declaration order among ready tasks).
        let n = tasks.len();
        let mut indeg: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (j, ds) in deps.iter().enumerate() {
            for &d in ds {
                users[d].push(j);
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        let mut done = vec![false; n];
        while let Some(i) = ready.pop_first() {
            done[i] = true;
            order.push(i);
            for &j in &users[i] {
                indeg[j] -= 1;
                if indeg[j] == 0 {
                    ready.insert(j);
                }
            }
        }
        if order.len() < n {
            let cyc: Vec<&str> = (0..n).filter(|&i| !done[i]).map(|i| names[i]).collect();
            self.fail(
                &dag,
                format!(
                    "DAG template {:?} has a dependency cycle among {}; Argo rejects it too",
                    t.name().unwrap_or(""),
                    cyc.join(", ")
                ),
            );
            return ctx.deps;
        }
        let mut leaves: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &i in &order {
            if !keep[i] {
                continue;
            }
            let entry = if deps[i].is_empty() {
                ctx.deps.clone()
            } else {
                deps[i]
                    .iter()
                    .fold(Vec::new(), |acc, &d| union(&acc, &leaves[d]))
            };
            leaves[i] = self.call(&tasks[i], scope, &inner, entry);
        }
        let depended: BTreeSet<usize> = (0..n)
            .filter(|&i| keep[i])
            .flat_map(|i| deps[i].iter().copied())
            .collect();
        let out = (0..n)
            .filter(|&i| keep[i] && !depended.contains(&i))
            .fold(Vec::new(), |acc, i| union(&acc, &leaves[i]));
        if out.is_empty() { ctx.deps } else { out }
    }

    fn steps(&mut self, t: &At<'c>, scope: &[At<'c>], ctx: Ctx<'c>) -> Vec<usize> {
        let Some(groups) = t.get("steps") else {
            return ctx.deps;
        };
        let inner = self.composite_ctx(t, &ctx);
        let mut prev = ctx.deps.clone();
        for g in groups.items() {
            let steps = if g.v.is_array() {
                g.items()
            } else {
                self.warn(
                    &g,
                    "a steps group should be a list of steps; read as one step",
                );
                vec![g.clone()]
            };
            let mut group_leaves: Vec<usize> = Vec::new();
            for s in steps {
                if s.name().is_none() {
                    self.warn(&s, "step without a `name`: ignored");
                    continue;
                }
                let before = self.nodes.len();
                let l = self.call(&s, scope, &inner, prev.clone());
                if self.nodes.len() > before {
                    group_leaves = union(&group_leaves, &l);
                }
            }
            if !group_leaves.is_empty() {
                prev = group_leaves;
            }
        }
        prev
    }

    /// Loop width of a task or step; `None` drops it (an empty loop).
    fn width(&mut self, task: &At<'c>, env: &Env, keys: &[String]) -> Option<u32> {
        let hint = keys.iter().find_map(|k| self.h.widths.get(k).copied());
        let raw: Option<(u64, At<'c>)> = if let Some(items) = task.get("withItems") {
            match items.v.as_array() {
                Some(a) => Some((a.len() as u64, items)),
                None => {
                    self.warn(&items, "withItems is not a list: read as one item");
                    Some((1, items))
                }
            }
        } else if let Some(p) = task.get("withParam")
            && let Some(a) = p.v.as_array()
        {
            Some((a.len() as u64, p))
        } else if let Some(p) = task.get("withParam") {
            let s = self.subst(&p.text().unwrap_or_default(), env);
            let parsed = if expr::resolved(&s) {
                serde_json::from_str::<Value>(&s).ok()
            } else {
                None
            };
            match (parsed, hint) {
                (Some(Value::Array(a)), _) => Some((a.len() as u64, p)),
                (_, Some(w)) => Some((u64::from(w), p)),
                (Some(_), None) => {
                    self.warn(&p, format!("withParam {s:?} is not a JSON list: width 1"));
                    Some((1, p))
                }
                (None, None) => {
                    self.warn(
                        &p,
                        format!(
                            "withParam width unknown for task {}: set [import.widths] {} = N (using 1)",
                            keys[0],
                            key_help(keys)
                        ),
                    );
                    Some((1, p))
                }
            }
        } else if let Some(sq) = task.get("withSequence") {
            let num = |this: &Self, k: &str| -> Option<Result<i64, ()>> {
                let at = sq.get(k)?;
                let s = this.subst(&at.text().unwrap_or_default(), env);
                Some(s.trim().parse::<i64>().map_err(|_| ()))
            };
            let count = match (num(self, "count"), num(self, "start"), num(self, "end")) {
                (Some(Ok(c)), _, _) => Some(c.max(0) as u64),
                (None, s, Some(Ok(e))) => match s.unwrap_or(Ok(0)) {
                    Ok(s) => Some(e.abs_diff(s).saturating_add(1)),
                    Err(()) => None,
                },
                _ => None,
            };
            match (count, hint) {
                (Some(c), _) => Some((c, sq)),
                (None, Some(w)) => Some((u64::from(w), sq)),
                (None, None) => {
                    self.warn(
                        &sq,
                        format!(
                            "withSequence width unknown for task {}: set [import.widths] {} = N (using 1)",
                            keys[0],
                            key_help(keys)
                        ),
                    );
                    Some((1, sq))
                }
            }
        } else {
            None
        };
        match raw {
            None => Some(1),
            Some((0, at)) => {
                self.warn(
                    &at,
                    format!("task {} loops over no items: no pods, dropped", keys[0]),
                );
                None
            }
            Some((w, at)) if w > u64::from(MAX_WIDTH) => {
                self.warn(&at, format!("loop width {w} capped at {MAX_WIDTH}"));
                Some(MAX_WIDTH)
            }
            Some((w, _)) => Some(w as u32),
        }
    }

    /// A DAG task or step: `when`, loops, arguments, then the template it calls.
    fn call(
        &mut self,
        task: &At<'c>,
        scope: &[At<'c>],
        ctx: &Ctx<'c>,
        deps: Vec<usize>,
    ) -> Vec<usize> {
        if self.fatal.is_some() || self.overflow {
            return deps;
        }
        self.check_keys(task, "task", TASK_KEYS, TASK_NOT_SIMULATED);
        let name = task.name().unwrap_or("").to_string();
        let path = if ctx.prefix.is_empty() {
            name.clone()
        } else {
            format!("{}.{}", ctx.prefix, name)
        };
        let keys = vec![path.clone(), name.clone()];
        if let Some(w) = task.get("when") {
            let e = self.subst(&w.text().unwrap_or_default(), &ctx.env);
            let hint = keys.iter().find_map(|k| self.h.when.get(k).copied());
            let both = key_help(&keys);
            let run = match (hint, expr::eval_when(&e)) {
                (Some(p), _) => {
                    if p > 0.0 && p < 1.0 {
                        self.warn(
                            &w,
                            format!(
                                "when: probability {p} for {path}: argosim cannot skip at random, so the task is {} (kept when >= 0.5)",
                                if p >= 0.5 { "kept" } else { "dropped" }
                            ),
                        );
                    }
                    p >= 0.5
                }
                (None, Some(b)) => {
                    if !b {
                        self.warn(&w, format!("when {e:?} is false: task {path} is skipped"));
                    }
                    b
                }
                (None, None) => {
                    self.warn_help(
                        &w,
                        format!(
                            "when {e:?} cannot be evaluated statically: task {path} assumed to run"
                        ),
                        Some(format!(
                            "set [import.when] {both} = probability (0 drops it)"
                        )),
                    );
                    true
                }
            };
            if !run {
                return deps;
            }
        }
        let Some(width) = self.width(task, &ctx.env, &keys) else {
            return deps;
        };
        // The template called.
        let (tmpl, tscope, tref): (At<'c>, Vec<At<'c>>, Option<String>) = if let Some(tr) =
            task.get("templateRef")
        {
            match self.resolve_ref(&tr) {
                Ok((t, s, n)) => (t, s, Some(n)),
                Err(msg) => {
                    let wt = tr.get("name").and_then(|n| n.text()).unwrap_or_default();
                    self.warn_help(
                            &tr,
                            format!("{msg}: task {path} simulated as one pod with default resources and duration"),
                            Some("pass the file that defines it (argosim import --library FILE, or [import] library = [...])".into()),
                        );
                    let mut c2 = ctx.clone();
                    c2.prefix = path.clone();
                    c2.task = name.clone();
                    c2.deps = deps;
                    c2.mult = ctx.mult.saturating_mul(width).min(MAX_WIDTH);
                    c2.tref = (!wt.is_empty()).then_some(wt);
                    return self.placeholder(&tr, c2);
                }
            }
        } else if let Some(inl) = task.get("inline") {
            (inl, scope.to_vec(), None)
        } else if let Some(tn) = task.get("template").and_then(|x| x.text()) {
            match self.find_template(scope, &tn) {
                Some(t) => (t, scope.to_vec(), None),
                None => {
                    self.fail(task, format!("task {path}: no template named {tn:?}"));
                    return deps;
                }
            }
        } else {
            self.fail(
                task,
                format!("task {path} names no template, templateRef or inline template"),
            );
            return deps;
        };
        // Arguments → the callee's inputs.
        let mut args: Env = Env::new();
        if let Some(ps) = task.get("arguments").and_then(|a| a.get("parameters")) {
            for p in ps.items() {
                if let (Some(n), Some(v)) = (p.name(), p.get("value").and_then(|v| v.text())) {
                    args.insert(n.to_string(), self.subst(&v, &ctx.env));
                }
            }
        }
        let mut env = Env::new();
        if let Some(ps) = tmpl.get("inputs").and_then(|i| i.get("parameters")) {
            for p in ps.items() {
                let Some(n) = p.name() else { continue };
                let v = args.get(n).cloned().or_else(|| {
                    p.get("value")
                        .or_else(|| p.get("default"))
                        .and_then(|v| v.text())
                });
                if let Some(v) = v {
                    env.insert(n.to_string(), v);
                }
            }
        }
        let composite = tmpl.get("dag").is_some() || tmpl.get("steps").is_some();
        if width > 1 && composite {
            self.warn(
                task,
                format!(
                    "task {path} loops {width} times over dag/steps template {:?}: each inner task runs {width} wide, and inner dependencies wait for all items (Argo runs each item's sub-graph independently)",
                    tmpl.name().unwrap_or("")
                ),
            );
        }
        let mult = ctx.mult.saturating_mul(width);
        if mult > MAX_WIDTH {
            self.warn(
                task,
                format!("nested loops give {path} a width of {mult}: capped at {MAX_WIDTH}"),
            );
        }
        let inner = Ctx {
            prefix: path,
            env,
            deps,
            mult: mult.min(MAX_WIDTH),
            par: ctx.par,
            tref: tref.clone(),
            lock: ctx.lock.clone(),
            retry: ctx.retry.clone(),
            task: name,
        };
        let before = self.nodes.len();
        let out = self.expand(tmpl, &tscope, inner);
        // A templateRef holder whose template creates no pod itself still costs validation
        // GETs: charge them to a task it created, or to any task later.
        if let Some(r) = tref
            && (composite || self.nodes.len() == before)
        {
            match (before..self.nodes.len()).find(|&i| self.nodes[i].template_ref.is_none()) {
                Some(i) => self.nodes[i].template_ref = Some(r),
                None => self.pending_refs.push((r, task.clone())),
            }
        }
        out
    }

    fn placeholder(&mut self, at: &At<'c>, ctx: Ctx<'c>) -> Vec<usize> {
        let name = self.unique_name(&ctx.prefix);
        let duration = self.h.default_duration.clone();
        self.push(
            Node {
                name,
                deps: ctx.deps,
                width: ctx.mult,
                parallelism: if ctx.par > 0 && ctx.par < ctx.mult {
                    ctx.par
                } else {
                    0
                },
                cpu: 0,
                mem: 0,
                image: None,
                duration,
                template_ref: ctx.tref,
                output_parameter_bytes: 0,
                semaphore: None,
                mutex: None,
                arch: None,
                tolerations: Vec::new(),
                retry: None,
                read_bytes: 0,
                write_bytes: 0,
            },
            at,
        )
    }

    fn push(&mut self, n: Node, at: &At<'_>) -> Vec<usize> {
        if self.nodes.len() >= MAX_TASKS {
            self.overflow = true;
            self.fail(
                at,
                format!("the flattened workflow has more than {MAX_TASKS} tasks; refused"),
            );
            return n.deps;
        }
        self.edges += n.deps.len();
        if self.edges > MAX_EDGES {
            self.overflow = true;
            self.fail(
                at,
                format!("the flattened workflow has more than {MAX_EDGES} dependencies; refused"),
            );
            return n.deps;
        }
        self.nodes.push(n);
        vec![self.nodes.len() - 1]
    }

    /// Requests of one container spec: (cpu millicores, memory bytes).
    fn requests(&mut self, c: &At<'c>, env: &Env) -> (u64, u64) {
        self.check_keys(c, "container", CONTAINER_KEYS, &[]);
        match c.get("resources") {
            Some(res) => self.quantities(&res, env),
            None => (0, 0),
        }
    }

    /// `{requests, limits}` → (cpu millicores, memory bytes); a missing request is the limit.
    fn quantities(&mut self, res: &At<'c>, env: &Env) -> (u64, u64) {
        self.check_keys(
            res,
            "resources",
            &["requests", "limits"],
            &[("claims", "resource claims (DRA) are not simulated")],
        );
        for section in ["requests", "limits"] {
            let Some(sec) = res.get(section) else {
                continue;
            };
            for k in sec.keys() {
                if k != "cpu"
                    && k != "memory"
                    && let Some(at) = sec.get(k)
                {
                    self.warn(
                        &at,
                        format!("resource {k} is not simulated (only cpu and memory)"),
                    );
                }
            }
        }
        let get = |this: &mut Self, key: &str| -> (Option<u64>, Option<u64>) {
            let mut out = (None, None);
            for (i, section) in ["requests", "limits"].iter().enumerate() {
                let Some(q) = res.get(section).and_then(|s| s.get(key)) else {
                    continue;
                };
                let s = this.subst(&q.text().unwrap_or_default(), env);
                let v = if key == "cpu" {
                    expr::cpu_millis(&s)
                } else {
                    expr::bytes(&s)
                };
                if v.is_none() {
                    this.warn(&q, format!("{key} quantity {s:?} not understood: ignored"));
                }
                if i == 0 {
                    out.0 = v;
                } else {
                    out.1 = v;
                }
            }
            out
        };
        // Kubernetes defaults a missing request to the limit.
        let (rc, lc) = get(self, "cpu");
        let (rm, lm) = get(self, "memory");
        (rc.or(lc).unwrap_or(0), rm.or(lm).unwrap_or(0))
    }

    fn leaf(&mut self, t: &At<'c>, tname: &str, ctx: Ctx<'c>) -> Vec<usize> {
        let env = ctx.env.clone();
        let mut cpu = 0u64;
        let mut mem = 0u64;
        let mut image: Option<(String, At<'c>)> = None;
        let mut outputs = 0u64;
        if let Some(c) = t.get("container").or_else(|| t.get("script")) {
            (cpu, mem) = self.requests(&c, &env);
            image = c.get("image").and_then(|i| i.text().map(|s| (s, i)));
            if t.get("script").is_some() {
                outputs += 1; // outputs.result
            }
        } else if let Some(cs) = t.get("containerSet") {
            let cs_items = cs.get("containers").map(|x| x.items()).unwrap_or_default();
            let mut images = BTreeSet::new();
            for c in &cs_items {
                let (a, b) = self.requests(c, &env);
                cpu = cpu.saturating_add(a);
                mem = mem.saturating_add(b);
                if let Some(i) = c.get("image").and_then(|i| i.text()) {
                    images.insert(i.clone());
                    if image.is_none() {
                        image = c.get("image").map(|a| (i, a));
                    }
                }
            }
            if images.len() > 1 {
                self.warn(
                    &cs,
                    format!(
                        "containerSet {tname:?}: one pod with the summed requests; only the first of {} images is pulled",
                        images.len()
                    ),
                );
            }
            if cs.get("retryStrategy").is_some() {
                self.warn(
                    &cs,
                    "containerSet retryStrategy (container restarts) is not simulated",
                );
            }
        } else {
            let what = if t.get("resource").is_some() {
                let action = t
                    .get("resource")
                    .and_then(|r| r.get("action"))
                    .and_then(|a| a.text())
                    .unwrap_or_default();
                format!(
                    "resource template {tname:?} ({action}): one argoexec pod; the Kubernetes object it manages and any wait for its success condition are not simulated (set its duration in [import.durations])"
                )
            } else {
                format!(
                    "data template {tname:?}: one argoexec pod; the data source and transformations are not simulated"
                )
            };
            self.warn(t, what);
            image = Some((ARGOEXEC_IMAGE.to_string(), t.clone()));
            outputs += 1;
        }
        for (key, add) in [("sidecars", true), ("initContainers", false)] {
            let Some(list) = t.get(key) else { continue };
            let (mut c2, mut m2) = (0u64, 0u64);
            for c in list.items() {
                let (a, b) = self.requests(&c, &env);
                if add {
                    c2 = c2.saturating_add(a);
                    m2 = m2.saturating_add(b);
                } else {
                    c2 = c2.max(a);
                    m2 = m2.max(b);
                }
            }
            if add {
                cpu = cpu.saturating_add(c2);
                mem = mem.saturating_add(m2);
                self.warn(&list, "sidecars: their requests are added to the pod; their images are not pulled and they stop with the main container");
            } else {
                cpu = cpu.max(c2);
                mem = mem.max(m2);
                self.warn(&list, "initContainers: the pod requests the larger of them and the containers; their run time is not simulated");
            }
        }
        // Pod-level resources (Kubernetes PodLevelResources) replace the containers' sum.
        if let Some(pr) = t
            .get("podResources")
            .or_else(|| self.wf_pod_resources.clone())
        {
            let (c2, m2) = self.quantities(&pr, &env);
            if c2 > 0 {
                cpu = c2;
            }
            if m2 > 0 {
                mem = m2;
            }
        }
        let image = match image {
            Some((s, at)) => {
                let s = self.subst(&s, &env);
                if expr::resolved(&s) {
                    Some(s)
                } else {
                    self.warn(
                        &at,
                        format!(
                            "image {s:?} depends on run-time values: the default image is used"
                        ),
                    );
                    None
                }
            }
            None => None,
        };
        // Outputs and artifacts.
        if let Some(o) = t.get("outputs") {
            outputs += o.get("parameters").map_or(0, |p| p.items().len()) as u64;
        }
        let count_artifacts = |at: Option<At<'c>>| at.map_or(0, |a| a.items().len()) as u64;
        let in_art = count_artifacts(t.get("inputs").and_then(|i| i.get("artifacts")));
        let out_art = count_artifacts(t.get("outputs").and_then(|o| o.get("artifacts")));
        let art = self.h.artifact_bytes.0;
        if in_art + out_art > 0 && art == 0 {
            self.warn_help(
                t,
                format!("template {tname:?} moves {in_art} input and {out_art} output artifacts of unknown size: not simulated"),
                Some("set [import] artifact_bytes = \"100Mi\" to move that much per artifact through [storage]".into()),
            );
        }
        let output_parameter_bytes = outputs.saturating_mul(self.h.output_parameter_bytes.0);
        if outputs > 0 {
            self.param_templates.insert(tname.to_string());
        }
        // Duration.
        let mut keys = self.hint_keys(&ctx);
        if let Some(r) = &ctx.tref {
            keys.push(format!("{r}/{tname}"));
        }
        keys.push(tname.to_string());
        let duration = match keys.iter().find_map(|k| self.h.durations.get(k)) {
            Some(d) => d.clone(),
            None => {
                self.default_durations.insert(tname.to_string());
                self.h.default_duration.clone()
            }
        };
        // Scheduling constraints: the template's, else the workflow's.
        let mut arch = None;
        if let Some(ns) = t
            .get("nodeSelector")
            .or_else(|| self.wf_node_selector.clone())
        {
            for (k, v) in ns.v.as_object().into_iter().flatten() {
                let child = ns.get(k);
                match (k.as_str(), v.as_str()) {
                    ("kubernetes.io/arch" | "beta.kubernetes.io/arch", Some(a)) => {
                        arch = Some(self.subst(a, &env));
                    }
                    _ => {
                        if let Some(c) = child {
                            self.warn(
                                &c,
                                format!("nodeSelector {k}: not mapped (only kubernetes.io/arch is); set the task's `pools` by hand"),
                            );
                        }
                    }
                }
            }
        }
        let mut tolerations = Vec::new();
        if let Some(ts) = t.get("tolerations").or_else(|| self.wf_tolerations.clone()) {
            for tol in ts.items() {
                match tol.get("key").and_then(|k| k.text()) {
                    Some(k) => {
                        if !tolerations.contains(&k) {
                            tolerations.push(k);
                        }
                    }
                    None => self.warn(
                        &tol,
                        "a toleration without a key (tolerate every taint) is not simulated: list the pools' taint keys instead",
                    ),
                }
            }
        }
        let retry = match t
            .get("retryStrategy")
            .or(ctx.retry.clone())
            .or(self.wf_retry.clone())
        {
            Some(r) => self.retry(&r, &env),
            None => None,
        };
        let lock = match t.get("synchronization") {
            Some(s) => self.lock(&s),
            None => ctx.lock.clone(),
        };
        let (semaphore, mutex) = match lock {
            Some(Lock::Semaphore(s)) => (Some(s), None),
            Some(Lock::Mutex(m)) => (None, Some(m)),
            None => (None, None),
        };
        let base = if ctx.prefix.is_empty() {
            tname.to_string()
        } else {
            ctx.prefix.clone()
        };
        let name = self.unique_name(&base);
        self.push(
            Node {
                name,
                deps: ctx.deps,
                width: ctx.mult.max(1),
                parallelism: if ctx.par > 0 && ctx.par < ctx.mult {
                    ctx.par
                } else {
                    0
                },
                cpu,
                mem,
                image,
                duration,
                template_ref: ctx.tref,
                output_parameter_bytes,
                semaphore,
                mutex,
                arch,
                tolerations,
                retry,
                read_bytes: in_art.saturating_mul(art),
                write_bytes: out_art.saturating_mul(art),
            },
            t,
        )
    }

    /// `retryStrategy` → the `retry` table.
    fn retry(&mut self, r: &At<'c>, env: &Env) -> Option<Value> {
        self.check_keys(
            r,
            "retryStrategy",
            &["limit", "retryPolicy", "backoff"],
            &[
                ("expression", "retry expressions are not evaluated (every attempt that the policy allows is retried)"),
                ("affinity", "retrying on a different node is not simulated"),
            ],
        );
        let mut out = Map::new();
        if let Some(l) = r.get("limit") {
            let s = self.subst(&l.text().unwrap_or_default(), env);
            match s.trim().parse::<u32>() {
                Ok(n) => {
                    out.insert("limit".into(), json!(n));
                }
                Err(_) => self.warn(
                    &l,
                    format!("retry limit {s:?} not understood: unlimited retries"),
                ),
            }
        }
        let policy = match r.get("retryPolicy").and_then(|p| p.text()) {
            Some(p) => match p.as_str() {
                "Always" | "OnFailure" | "OnError" | "OnTransientError" => p,
                other => {
                    if let Some(at) = r.get("retryPolicy") {
                        self.warn(
                            &at,
                            format!("retryPolicy {other:?} not understood: OnFailure"),
                        );
                    }
                    "OnFailure".into()
                }
            },
            // Argo v3.5+: an expression without a policy means Always.
            None if r.get("expression").is_some() => "Always".into(),
            None => "OnFailure".into(),
        };
        out.insert("policy".into(), json!(policy));
        if let Some(b) = r.get("backoff") {
            self.check_keys(
                &b,
                "backoff",
                &["duration", "factor", "maxDuration"],
                &[("cap", "the deprecated backoff cap is not simulated")],
            );
            let dur = |this: &mut Self, k: &str| -> Option<u64> {
                let at = b.get(k)?;
                let s = this.subst(&at.text().unwrap_or_default(), env);
                let v = expr::argo_duration_us(&s);
                if v.is_none() {
                    this.warn(&at, format!("backoff {k} {s:?} not understood: ignored"));
                }
                v
            };
            if let Some(d) = dur(self, "duration") {
                out.insert("backoff".into(), json!(crate::units::format_duration(d)));
            }
            if let Some(d) = dur(self, "maxDuration") {
                out.insert(
                    "max_duration".into(),
                    json!(crate::units::format_duration(d)),
                );
            }
            if let Some(f) = b.get("factor") {
                let s = self.subst(&f.text().unwrap_or_default(), env);
                match s.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 1.0 => {
                        out.insert("factor".into(), json!(x));
                    }
                    _ => self.warn(
                        &f,
                        format!("backoff factor {s:?} not understood (needs >= 1): 1"),
                    ),
                }
            }
        }
        Some(Value::Object(out))
    }

    /// `synchronization` → one lock (the first one if several).
    fn lock(&mut self, s: &At<'c>) -> Option<Lock> {
        self.check_keys(
            s,
            "synchronization",
            &["semaphores", "mutexes", "semaphore", "mutex"],
            &[],
        );
        let mut sems: Vec<At<'c>> = s.get("semaphores").map(|x| x.items()).unwrap_or_default();
        sems.extend(s.get("semaphore"));
        let mut mutexes: Vec<At<'c>> = s.get("mutexes").map(|x| x.items()).unwrap_or_default();
        mutexes.extend(s.get("mutex"));
        if sems.len() + mutexes.len() > 1 {
            self.warn(s, "several locks: only the first is simulated");
        }
        if let Some(sem) = sems.first() {
            let (key, cm) = if let Some(r) = sem.get("configMapKeyRef") {
                (
                    r.get("key").and_then(|k| k.text()),
                    r.get("name").and_then(|k| k.text()),
                )
            } else if let Some(db) = sem.get("database") {
                self.warn(
                    &db,
                    "a database semaphore is simulated like a ConfigMap one",
                );
                (db.get("key").and_then(|k| k.text()), None)
            } else {
                (None, None)
            };
            let Some(key) = key else {
                self.warn(sem, "semaphore without a configMapKeyRef key: ignored");
                return None;
            };
            let limit = self.h.semaphores.get(&key).copied().or_else(|| {
                let doc = *self.c.configmaps.get(cm.as_deref()?)?;
                let v = self.c.docs[doc].value.get("data")?.get(&key)?;
                match v {
                    Value::String(s) => s.trim().parse().ok(),
                    Value::Number(n) => n.as_u64().and_then(|x| u32::try_from(x).ok()),
                    _ => None,
                }
            });
            let limit = match limit {
                Some(l) => l,
                None => {
                    let place = match &cm {
                        Some(n) => format!("ConfigMap {n:?}, not among the inputs"),
                        None => "the synchronization database".into(),
                    };
                    self.warn_help(
                        sem,
                        format!("semaphore {key:?}: its limit is in {place}: 1 assumed"),
                        Some(format!(
                            "set [import.semaphores] {key:?} = N, or pass the ConfigMap"
                        )),
                    );
                    1
                }
            };
            self.semaphores.entry(key.clone()).or_insert(limit);
            return Some(Lock::Semaphore(key));
        }
        if let Some(m) = mutexes.first() {
            if m.get("database").is_some() {
                self.warn(m, "a database mutex is simulated like an in-cluster one");
            }
            return match m.get("name").and_then(|n| n.text()) {
                Some(n) => Some(Lock::Mutex(n)),
                None => {
                    self.warn(m, "mutex without a name: ignored");
                    None
                }
            };
        }
        None
    }
}

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
    let mut conv = Conv {
        c,
        h,
        wf_params: Env::new(),
        warnings: Vec::new(),
        seen: BTreeSet::new(),
        nodes: Vec::new(),
        names: BTreeSet::new(),
        stack: Vec::new(),
        wf_node_selector: None,
        wf_tolerations: None,
        wf_retry: None,
        wf_pod_resources: None,
        pending_refs: Vec::new(),
        semaphores: BTreeMap::new(),
        default_durations: BTreeSet::new(),
        param_templates: BTreeSet::new(),
        fatal: None,
        overflow: false,
        edges: 0,
        expansions: 0,
        dropped_warnings: 0,
        tmpl_index: BTreeMap::new(),
    };
    if let Some(st) = root.get("status") {
        conv.warn(
            &st,
            "`status` is ignored: the workflow is simulated from the start",
        );
    }
    // Layers of the spec: the workflow's own, then the WorkflowTemplate it references.
    let mut layers = vec![spec.clone()];
    let mut wtr = submit_as.map(str::to_string);
    let mut extra_bytes = 0usize;
    if let Some(r) = spec.get("workflowTemplateRef") {
        let name = r.get("name").and_then(|n| n.text()).unwrap_or_default();
        let cluster = r
            .get("clusterScope")
            .is_some_and(|x| x.v == &Value::Bool(true));
        let map = if cluster { &c.cwftmpl } else { &c.wftmpl };
        match map.get(&name).and_then(|&d| c.root(d).get("spec")) {
            Some(ts) => {
                extra_bytes = serde_json::to_vec(ts.v).map_or(0, |v| v.len());
                layers.push(ts);
                wtr = Some(name);
            }
            None => {
                return Err(Box::new(c.diag(
                    &r,
                    format!(
                        "workflowTemplateRef: {} {name:?} is not among the given files; pass the file that defines it",
                        if cluster { "ClusterWorkflowTemplate" } else { "WorkflowTemplate" }
                    ),
                    None,
                )));
            }
        }
    }
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
    let mut env = Env::new();
    for p in entry
        .get("inputs")
        .and_then(|i| i.get("parameters"))
        .map(|p| p.items())
        .unwrap_or_default()
    {
        let Some(n) = p.name() else { continue };
        let v = conv.wf_params.get(n).cloned().or_else(|| {
            p.get("value")
                .or_else(|| p.get("default"))
                .and_then(|v| v.text())
        });
        if let Some(v) = v {
            env.insert(n.to_string(), v);
        }
    }
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
    let mut tasks = Vec::with_capacity(conv.nodes.len());
    for (i, n) in conv.nodes.iter().enumerate() {
        let mut t = Map::new();
        t.insert("name".into(), json!(n.name));
        match &groups {
            Some(g) => {
                t.insert("group".into(), json!(g[i]));
            }
            None => {
                let mut d = n.deps.clone();
                d.sort_unstable();
                d.dedup();
                if !d.is_empty() {
                    let names: Vec<&str> = d.iter().map(|&j| conv.nodes[j].name.as_str()).collect();
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
    w.insert("tasks".into(), Value::Array(tasks));
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

/// Submissions of a CronWorkflow: one stream per schedule, `via = "cron"`.
pub(crate) fn cron_submissions(
    c: &Corpus,
    h: &ImportHints,
    doc: usize,
    workflow: &str,
) -> (Vec<Value>, Vec<Diagnostic>) {
    let root = c.root(doc);
    let mut warnings = Vec::new();
    let Some(spec) = root.get("spec") else {
        return (Vec::new(), warnings);
    };
    let mut w = |at: &At<'_>, m: String, help: Option<String>| warnings.push(c.diag(at, m, help));
    for k in spec.keys() {
        const KNOWN: [&str; 13] = [
            "schedule",
            "schedules",
            "timezone",
            "concurrencyPolicy",
            "startingDeadlineSeconds",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
            "suspend",
            "workflowSpec",
            "workflowMetadata",
            "when",
            "stopStrategy",
            "timeZone",
        ];
        if !KNOWN.contains(&k)
            && let Some(at) = spec.get(k)
        {
            w(
                &at,
                format!("CronWorkflow spec `{k}` is not understood by the importer; ignored"),
                None,
            );
        }
    }
    let mut scheds: Vec<(String, At<'_>)> = Vec::new();
    if let Some(s) = spec.get("schedule")
        && let Some(t) = s.text()
    {
        scheds.push((t, s));
    }
    if let Some(list) = spec.get("schedules") {
        for s in list.items() {
            if let Some(t) = s.text() {
                scheds.push((t, s));
            }
        }
    }
    if scheds.is_empty() {
        w(
            &spec,
            "CronWorkflow without a schedule: submitted once".into(),
            None,
        );
        return (vec![json!({"workflow": workflow, "via": "cron"})], warnings);
    }
    if spec
        .get("suspend")
        .is_some_and(|s| s.v == &Value::Bool(true))
    {
        w(
            &spec,
            "suspended CronWorkflow: submitted once (raise the submission's count to simulate its schedule)".into(),
            None,
        );
        return (vec![json!({"workflow": workflow, "via": "cron"})], warnings);
    }
    for k in [
        "concurrencyPolicy",
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "when",
        "stopStrategy",
    ] {
        if let Some(at) = spec.get(k) {
            let v = at.text().unwrap_or_default();
            if k == "concurrencyPolicy" && (v.is_empty() || v == "Allow") {
                continue;
            }
            let why = match k {
                "concurrencyPolicy" => {
                    format!("concurrencyPolicy {v}: runs may overlap in argosim (Allow)")
                }
                "when" => {
                    "the `when` condition of the schedule is not evaluated: every run is submitted"
                        .into()
                }
                "stopStrategy" => "the stop strategy is not simulated".into(),
                "startingDeadlineSeconds" => continue,
                _ => format!("{k}: workflow history is not pruned (use ttlStrategy)"),
            };
            w(&at, why, None);
        }
    }
    let mut out = Vec::new();
    for (s, at) in scheds {
        let (us, exact) = match cron::interval(&s) {
            Ok(x) => x,
            Err(e) => {
                w(
                    &at,
                    format!("schedule {s:?} not understood ({e}): one run every 24h assumed"),
                    None,
                );
                (86_400_000_000, true)
            }
        };
        if !exact {
            w(
                &at,
                format!(
                    "schedule {s:?} is not evenly spaced: submitted every {} (its mean interval)",
                    crate::units::format_duration(us)
                ),
                None,
            );
        }
        let count = (h.cron_window.0 / us.max(1)).clamp(1, u64::from(u32::MAX)) as u32;
        out.push(json!({
            "workflow": workflow,
            "via": "cron",
            "count": count,
            "interval": crate::units::format_duration(us),
        }));
    }
    (out, warnings)
}
