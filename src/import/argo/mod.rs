//! Argo manifests → argosim workflows. The entrypoint's template tree is flattened into one
//! task graph: every pod-running template reached (container, script, resource, data,
//! containerSet) becomes a task named by its call path (`outer.inner`), `dag`/`steps`
//! templates only contribute dependencies (a task depending on a nested DAG depends on its
//! leaves; each steps group waits for the leaves of the group before), loops become `width`,
//! and `templateRef`s are resolved across every given document.
//!
//! What each Argo field becomes, and what is approximated, is listed in the module
//! documentation of [`crate::import`]; every approximation is reported as a warning with the
//! file and line of the field. Reading YAML, expressions and cron schedules are left to the
//! sibling modules `yaml`, `expr` and `cron`; choosing which documents to convert and merging
//! the results into a scenario is left to [`crate::import`].
//!
//! This module holds the limits and the state of one conversion ([`Conv`], the graph's
//! [`Node`]s, the call context [`Ctx`]); the work is split by concern:
//!
//! | module | handles |
//! |---|---|
//! | [`corpus`] | the documents, indexed by kind and name; positions ([`At`]) and diagnostics |
//! | [`convert`](mod@convert) | one Workflow / CronWorkflow / WorkflowTemplate: spec fields, entrypoint, `onExit`, the `[[workflows]]` table |
//! | [`templates`] | finding templates by name, `templateRef`, `workflowTemplateRef` |
//! | [`expand`] | `dag` and `steps` expansion, task calls |
//! | [`loops`] | `withItems` / `withParam` / `withSequence`, `when`, parameter passing |
//! | [`pods`] | pod-running templates → tasks: resources, image, artifacts, duration, scheduling |
//! | [`policy`] | `retryStrategy` and `synchronization` |
//! | [`hints`] | warnings, the known and not-simulated keys, `[import]` hint keys |
//! | [`schedules`] | a CronWorkflow's schedules → submissions |

mod convert;
mod corpus;
mod expand;
mod hints;
mod loops;
mod pods;
mod policy;
mod schedules;
mod templates;

pub(crate) use convert::convert;
pub(crate) use corpus::{At, Corpus, kind_of, meta_name};
pub(crate) use schedules::cron_submissions;

use super::ImportHints;
use super::expr::Env;
use super::locate::Seg;
use crate::dist::DurationDist;
use crate::scenario::diag::Diagnostic;
use serde_json::Value;
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

/// A pod-running task of the flattened graph.
#[derive(Debug, Clone)]
struct Node {
    /// Unique task name (the call path).
    name: String,
    /// Indices of the nodes it waits for.
    deps: Vec<usize>,
    /// Fan-out (product of the enclosing loop widths).
    width: u32,
    /// Active-pod limit of the fan-out (0 = none).
    parallelism: u32,
    /// CPU request, millicores.
    cpu: u64,
    /// Memory request, bytes.
    mem: u64,
    /// Image pulled (`None`: the scenario's default).
    image: Option<String>,
    /// Run time.
    duration: DurationDist,
    /// WorkflowTemplate whose validation GETs this task carries.
    template_ref: Option<String>,
    /// Bytes its output parameters add to the Workflow object.
    output_parameter_bytes: u64,
    /// Semaphore key held while it runs.
    semaphore: Option<String>,
    /// Mutex held while it runs.
    mutex: Option<String>,
    /// `kubernetes.io/arch` node selector.
    arch: Option<String>,
    /// Taint keys tolerated.
    tolerations: Vec<String>,
    /// The `retry` table, as JSON.
    retry: Option<Value>,
    /// Input artifact bytes moved through `[storage]`.
    read_bytes: u64,
    /// Output artifact bytes moved through `[storage]`.
    write_bytes: u64,
}

/// The one lock of a `synchronization` block that is simulated.
#[derive(Debug, Clone)]
enum Lock {
    /// A semaphore, by ConfigMap key.
    Semaphore(String),
    /// A mutex, by name.
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
    /// Approximations, sorted by file and line.
    pub warnings: Vec<Diagnostic>,
    /// Semaphores used, with limits.
    pub semaphores: BTreeMap<String, u32>,
    /// `file:line` of the document.
    pub origin: String,
}

/// The state of converting one workflow.
struct Conv<'c> {
    /// Every document of the import.
    c: &'c Corpus,
    /// The `[import]` hints.
    h: &'c ImportHints,
    /// Workflow parameters (`spec.arguments.parameters`), substituted.
    wf_params: Env,
    /// Warnings kept so far (at most [`MAX_WARNINGS`]).
    warnings: Vec<Diagnostic>,
    /// (document, path, message) of every warning given, to warn once per place.
    seen: BTreeSet<(usize, Vec<Seg>, String)>,
    /// The flattened graph.
    nodes: Vec<Node>,
    /// Task names taken.
    names: crate::import::names::UniqueNames,
    /// Templates being expanded (document, path), innermost last.
    stack: Vec<(usize, Vec<Seg>)>,
    /// Spec-level defaults of the templates.
    wf_node_selector: Option<At<'c>>,
    wf_tolerations: Option<At<'c>>,
    wf_retry: Option<At<'c>>,
    wf_pod_resources: Option<At<'c>>,
    /// templateRefs whose validation GETs no task carries yet.
    pending_refs: Vec<(String, At<'c>)>,
    /// Semaphores used, with limits.
    semaphores: BTreeMap<String, u32>,
    /// Templates that got `default_duration`.
    default_durations: BTreeSet<String>,
    /// Templates whose pods request no CPU and no memory.
    no_requests: BTreeSet<String>,
    /// Templates with output parameters.
    param_templates: BTreeSet<String>,
    /// The first error: the workflow is refused.
    fatal: Option<Diagnostic>,
    /// A size limit was hit: stop expanding.
    overflow: bool,
    /// Dependency edges so far (bounded by [`MAX_EDGES`]).
    edges: usize,
    /// Template expansions so far (bounded by [`MAX_EXPANSIONS`]).
    expansions: usize,
    /// Warnings not kept above [`MAX_WARNINGS`].
    dropped_warnings: usize,
    /// Templates by name, per `templates` array (document, path).
    tmpl_index: BTreeMap<(usize, Vec<Seg>), BTreeMap<&'c str, usize>>,
}

/// Sorted union of two node lists.
fn union(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = a.iter().chain(b).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The tighter of two parallelism limits (0 = none).
fn par_min(a: u32, b: u32) -> u32 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (x, y) => x.min(y),
    }
}

impl<'c> Conv<'c> {
    /// A fresh conversion reading `c` with hints `h`.
    fn new(c: &'c Corpus, h: &'c ImportHints) -> Conv<'c> {
        Conv {
            c,
            h,
            wf_params: Env::new(),
            warnings: Vec::new(),
            seen: BTreeSet::new(),
            nodes: Vec::new(),
            names: Default::default(),
            stack: Vec::new(),
            wf_node_selector: None,
            wf_tolerations: None,
            wf_retry: None,
            wf_pod_resources: None,
            pending_refs: Vec::new(),
            semaphores: BTreeMap::new(),
            default_durations: BTreeSet::new(),
            no_requests: BTreeSet::new(),
            param_templates: BTreeSet::new(),
            fatal: None,
            overflow: false,
            edges: 0,
            expansions: 0,
            dropped_warnings: 0,
            tmpl_index: BTreeMap::new(),
        }
    }
}
