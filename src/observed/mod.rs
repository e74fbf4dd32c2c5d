//! Observed runs: Argo Workflow objects with their `status.nodes` (`argo get -o json`,
//! `kubectl get wf -o json|yaml`) and the pods that ran them (`kubectl get pods -o json`), as
//! plain data: what `calibrate` fits and `replay` compares against, and what `run --out
//! --argo-objects` writes for a simulated run (so a simulated run reads back like a real one).
//!
//! Kept: per workflow its name, namespace, `generateName`, WorkflowTemplate reference, creation,
//! start and finish times, phase and message; per status node its id, name, display name,
//! type, template, phase, times, host node, message, children and progress; per pod its
//! workflow and node (label and annotations), creation, `PodScheduled`/`Initialized`/`Ready`
//! transitions and each container's start and finish. Left out: inputs, outputs, artifacts,
//! resource durations, conditions other than those, and everything in the specs (the scenario
//! describes the workload; an observed run only says how long its parts took).
//!
//! Times are seconds since the Unix epoch (`f64`); Kubernetes writes them with one-second
//! resolution ([`TIMESTAMP_RESOLUTION_S`]).

mod export;
mod measure;
mod parse;
mod time;

pub use export::{from_trace, pods_json, workflows_json};
pub use measure::{StepGap, WorkflowMeasures, measure, measure_all};
pub use parse::{ObservedInput, parse_text, read_files};
pub use time::{format_rfc3339, parse_rfc3339};

/// Resolution of the timestamps in Workflow and Pod objects (`metav1.Time`: whole seconds).
pub const TIMESTAMP_RESOLUTION_S: f64 = 1.0;

/// `status.nodes[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum NodeType {
    /// A pod.
    Pod,
    /// A `dag` template's node.
    Dag,
    /// A `steps` template's node.
    Steps,
    /// One group of parallel steps.
    StepGroup,
    /// The items of a looped DAG task.
    TaskGroup,
    /// A `retryStrategy` node; its children are the attempts.
    Retry,
    /// Any other type (`Suspend`, `Skipped`, `Container`, `HTTP`, `Plugin`), by name.
    Other,
}

impl NodeType {
    /// Parse Argo's type name.
    pub fn parse(s: &str) -> NodeType {
        match s {
            "Pod" => NodeType::Pod,
            "DAG" => NodeType::Dag,
            "Steps" => NodeType::Steps,
            "StepGroup" => NodeType::StepGroup,
            "TaskGroup" => NodeType::TaskGroup,
            "Retry" => NodeType::Retry,
            _ => NodeType::Other,
        }
    }

    /// Argo's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::Pod => "Pod",
            NodeType::Dag => "DAG",
            NodeType::Steps => "Steps",
            NodeType::StepGroup => "StepGroup",
            NodeType::TaskGroup => "TaskGroup",
            NodeType::Retry => "Retry",
            NodeType::Other => "Skipped",
        }
    }
}

/// One entry of `status.nodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedNode {
    /// `id` (the map key).
    pub id: String,
    /// `name`: the call path, e.g. `wf.task(0:a)(1)`.
    pub name: String,
    /// `displayName`.
    pub display_name: String,
    /// `type`.
    pub node_type: NodeType,
    /// `templateName` (or `templateRef.template`).
    pub template: String,
    /// `phase` (`Succeeded`, `Failed`, `Error`, `Running`, `Pending`, `Skipped`, `Omitted`).
    pub phase: String,
    /// `startedAt`.
    pub started_s: Option<f64>,
    /// `finishedAt`.
    pub finished_s: Option<f64>,
    /// `hostNodeName` (pods).
    pub host: String,
    /// `message`.
    pub message: String,
    /// `progress` (e.g. `1/1`).
    pub progress: String,
    /// `children` (ids).
    pub children: Vec<String>,
    /// `boundaryID`.
    pub boundary: String,
}

/// One Workflow object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedWorkflow {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.generateName` (empty if none).
    pub generate_name: String,
    /// `spec.workflowTemplateRef.name`, else the `workflows.argoproj.io/workflow-template`
    /// label (empty if none).
    pub template_ref: String,
    /// `metadata.creationTimestamp`.
    pub created_s: f64,
    /// `status.startedAt`.
    pub started_s: Option<f64>,
    /// `status.finishedAt`.
    pub finished_s: Option<f64>,
    /// `status.phase` (empty: never reconciled).
    pub phase: String,
    /// `status.message`.
    pub message: String,
    /// `status.progress`.
    pub progress: String,
    /// `status.nodes`, sorted by id.
    pub nodes: Vec<ObservedNode>,
    /// `file[:item]` it was read from.
    pub source: String,
}

impl ObservedWorkflow {
    /// The workflow's kind of name without the random suffix: `generateName` without its
    /// trailing `-`, else the WorkflowTemplate it was submitted from, else the name without
    /// a trailing `-<suffix>`.
    pub fn family(&self) -> &str {
        if !self.generate_name.is_empty() {
            return self.generate_name.trim_end_matches('-');
        }
        if !self.template_ref.is_empty() {
            return &self.template_ref;
        }
        self.name.rsplit_once('-').map_or(&self.name, |(a, _)| a)
    }

    /// Is `name` (a scenario workflow's) this workflow's: its family or its own name (the
    /// manifest importer names a workflow `metadata.name` when it has one)?
    pub fn is_named(&self, name: &str) -> bool {
        name == self.family() || name == self.name
    }

    /// Finished − created (None while unfinished).
    pub fn makespan_s(&self) -> Option<f64> {
        self.finished_s.map(|f| f - self.created_s)
    }
}

/// One container's run, from `status.initContainerStatuses` / `containerStatuses`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ContainerRun {
    /// `state.running.startedAt` or `state.terminated.startedAt`.
    pub started_s: Option<f64>,
    /// `state.terminated.finishedAt`.
    pub finished_s: Option<f64>,
    /// `state.terminated.exitCode`.
    pub exit_code: Option<i64>,
}

/// One pod of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedPod {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// Label `workflows.argoproj.io/workflow`.
    pub workflow: String,
    /// Annotation `workflows.argoproj.io/node-name`.
    pub node_name: String,
    /// Annotation `workflows.argoproj.io/node-id` (absent before v3.5: empty).
    pub node_id: String,
    /// `spec.nodeName`.
    pub host: String,
    /// `status.phase`.
    pub phase: String,
    /// `metadata.creationTimestamp`.
    pub created_s: f64,
    /// Condition `PodScheduled` True: the binding.
    pub scheduled_s: Option<f64>,
    /// Condition `Initialized` True: init containers done.
    pub initialized_s: Option<f64>,
    /// The `init` container (Argo's executor).
    pub init: ContainerRun,
    /// The `main` container.
    pub main: ContainerRun,
    /// The `wait` container (Argo's executor sidecar).
    pub wait: ContainerRun,
    /// `file[:item]` it was read from.
    pub source: String,
}
