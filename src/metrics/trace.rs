//! A run's per-pod and per-node history, for the timeline figures of `run --out`: when each
//! pod was created, started its init container, ran its main container and exited, on which
//! node; when each node was requested, became Ready and was deleted. Plain data, built only
//! on request (`simulate_traced`): grids and checks never keep it. Not part of the JSON report.
//! `run --out --argo-objects` also turns it into Workflow and Pod objects (`crate::observed`),
//! which is why it keeps each workflow's times and each pod's container stage times.

/// One pod (one attempt of one workflow node).
#[derive(Debug, Clone, PartialEq)]
pub struct PodSpan {
    /// Index into [`Trace::workflows`].
    pub workflow: u32,
    /// Task (template) name.
    pub task: String,
    /// Index of the task in its workflow spec.
    pub task_index: u32,
    /// Retry attempt (0 = first).
    pub attempt: u32,
    /// Index into [`Trace::nodes`] once bound.
    pub node: Option<u32>,
    /// CPU request, millicores.
    pub cpu: u64,
    /// The controller issued the CREATE (Argo's node `startedAt`).
    pub issued_s: f64,
    /// CREATE landed (Pending from here).
    pub created_s: f64,
    /// The binding was issued (the node's room is taken from here).
    pub bound_s: Option<f64>,
    /// The binding landed (the `PodScheduled` condition).
    pub scheduled_s: Option<f64>,
    /// The init container started.
    pub init_s: Option<f64>,
    /// The init container finished.
    pub init_end_s: Option<f64>,
    /// The main container started.
    pub main_s: Option<f64>,
    /// The main container exited (or was killed).
    pub main_end_s: Option<f64>,
    /// Main and wait containers exited (or the pod was killed).
    pub exit_s: Option<f64>,
    /// Final phase: `Succeeded`, `Failed`, `Running` or `Pending` (at the end of the run).
    pub phase: &'static str,
    /// Why it failed (empty unless it did).
    pub message: &'static str,
}

/// One Workflow object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkflowSpan {
    /// Name (`<workflow>-<n>`).
    pub name: String,
    /// Index of its spec in the scenario's workflows.
    pub spec: u32,
    /// Namespace.
    pub namespace: String,
    /// Arrival (the submission's start).
    pub submitted_s: f64,
    /// CREATE accepted (None: never created).
    pub created_s: Option<f64>,
    /// First reconcile.
    pub started_s: Option<f64>,
    /// Completion persisted.
    pub finished_s: Option<f64>,
    /// Phase at the end of the run (`Pending`, `Running`, `Succeeded`, `Failed`, `Error`).
    pub phase: String,
    /// Message when failed or errored.
    pub message: String,
}

/// One Kubernetes node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpan {
    /// Pool name.
    pub pool: String,
    /// Allocatable CPU, millicores.
    pub alloc_cpu: u64,
    /// VM requested.
    pub created_s: f64,
    /// Ready (None: never).
    pub ready_s: Option<f64>,
    /// Deleted (None: still there at the end).
    pub gone_s: Option<f64>,
}

/// The history of one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace {
    /// Scenario name.
    pub scenario: String,
    /// Run seed.
    pub seed: u64,
    /// End of the run (where open spans stop), s.
    pub end_s: f64,
    /// Workflows, in submission order.
    pub workflows: Vec<WorkflowSpan>,
    /// Pods, in creation order.
    pub pods: Vec<PodSpan>,
    /// Nodes, in request order.
    pub nodes: Vec<NodeSpan>,
}
