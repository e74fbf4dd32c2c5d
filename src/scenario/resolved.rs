//! The structures the simulator runs on, resolved from the raw schema by
//! [`super::validate`]: pools with allocatable computed, tasks and workflows with indices
//! instead of names, locks, submissions, and the whole validated [`Scenario`].

use super::diag::Diagnostic;
use super::schema::*;
use crate::dist::DurationDist;

/// A resolved node pool.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    /// Pool name.
    pub name: String,
    /// Machine type label.
    pub machine_type: String,
    /// Allocatable CPU of one node, millicores.
    pub alloc_cpu: u64,
    /// Allocatable memory of one node, bytes.
    pub alloc_mem: u64,
    /// kubelet maxPods.
    pub max_pods: u32,
    /// USD per node-hour.
    pub price_per_hour: f64,
    /// Spot capacity.
    pub spot: bool,
    /// Architecture.
    pub arch: String,
    /// Nodes at time zero.
    pub nodes: u32,
    /// Autoscaler floor.
    pub min_nodes: u32,
    /// Autoscaler ceiling.
    pub max_nodes: u32,
    /// Taint keys.
    pub taints: Vec<String>,
    /// Images (indices into [`Scenario::images`]) present on every new node.
    pub prepulled: Vec<usize>,
    /// Spot interruptions per node-hour (0 for on-demand).
    pub spot_rate_per_hour: f64,
    /// Spot notice, µs.
    pub spot_notice: u64,
    /// Pod outcome of a preemption.
    pub spot_shutdown: SpotShutdown,
    /// VM request → Ready.
    pub provisioning_delay: Option<DurationDist>,
}

/// A resolved task: dependencies by index.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    /// Task name.
    pub name: String,
    /// Indices of tasks that must succeed first (DAG), or of the previous group (steps).
    pub deps: Vec<usize>,
    /// Steps: sequential group index (0 for DAG tasks).
    pub group: u32,
    /// withItems width.
    pub width: u32,
    /// Max active pods of this task (0 = unlimited).
    pub parallelism: u32,
    /// CPU request, millicores.
    pub cpu: u64,
    /// Memory request, bytes.
    pub mem: u64,
    /// Index into [`Scenario::images`].
    pub image: usize,
    /// Compressed image size, bytes.
    pub image_size: u64,
    /// Main-container run time.
    pub duration: DurationDist,
    /// Probability that main exits non-zero.
    pub failure_probability: f64,
    /// templateRef name, if any.
    pub template_ref: Option<String>,
    /// Output parameter bytes per pod node.
    pub output_parameter_bytes: u64,
    /// Index into [`Scenario::locks`] each pod must hold.
    pub lock: Option<usize>,
    /// Per pool: may this task's pods run there (selector, arch, tolerations)?
    pub allowed_pools: Vec<bool>,
    /// retryStrategy.
    pub retry: Option<RetryCfg>,
    /// Amdahl speed-up of the main container: run time = duration × ((1−p) + p/threads).
    pub speedup: f64,
    /// Bytes read by the init container.
    pub read_bytes: u64,
    /// Bytes written by the wait container.
    pub write_bytes: u64,
    /// The step reports progress: its periodic TaskResult patches requeue the workflow.
    pub progress: bool,
}

/// A resolved workflow.
#[derive(Debug, Clone)]
pub struct WorkflowSpec {
    /// Name.
    pub name: String,
    /// DAG or steps.
    pub kind: WorkflowKind,
    /// spec.parallelism (0 = unlimited).
    pub parallelism: u32,
    /// spec.priority (the throttler admits higher first).
    pub priority: i32,
    /// Index into [`Scenario::namespaces`] of its `metadata.namespace`.
    pub namespace: usize,
    /// Its `controller-instanceid` label.
    pub instance_id: Option<String>,
    /// Spec + metadata bytes.
    pub spec_bytes: u64,
    /// Tasks in topological order of their declaration (deps always point backwards).
    pub tasks: Vec<TaskSpec>,
    /// Steps: number of sequential groups (0 for a DAG).
    pub groups: u32,
    /// `workflowTemplateRef` name, if submitted from a template.
    pub workflow_template_ref: Option<String>,
    /// Pod GC strategy.
    pub pod_gc: PodGcStrategy,
    /// ttlStrategy.secondsAfterCompletion, µs.
    pub ttl_after_completion: Option<u64>,
    /// Index into [`Scenario::locks`] the workflow must hold to run.
    pub lock: Option<usize>,
}

/// A semaphore or mutex (`synchronization`), as Argo names it in its messages.
#[derive(Debug, Clone)]
pub struct LockSpec {
    /// `argo/ConfigMap/semaphore-config/<key>` or `argo/Mutex/<name>`.
    pub name: String,
    /// Permits (1 for a mutex).
    pub limit: u32,
}

impl WorkflowSpec {
    /// Pods one run of this workflow creates (without retries).
    pub fn pod_count(&self) -> u64 {
        self.tasks.iter().map(|t| u64::from(t.width)).sum()
    }
}

/// A resolved submission stream.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Index into [`Scenario::workflows`].
    pub workflow: usize,
    /// The raw settings.
    pub cfg: SubmissionCfg,
    /// Where its workflows go, `(controller, namespace)` indices into
    /// [`Scenario::controllers`] and [`Scenario::namespaces`]: the `n`-th workflow of the
    /// stream goes to entry `n % len` (one entry unless the managing controller is sharded).
    pub targets: Vec<(usize, usize)>,
}

/// One workflow controller of the run: `[controller]`, a `[[controllers]]` entry, or one
/// shard of either.
#[derive(Debug, Clone)]
pub struct ControllerSpec {
    /// Name (`workflow-controller` unless set; shards `<name>-<i>`).
    pub name: String,
    /// The namespace it manages (`--managed-namespace`); `None`: all namespaces.
    pub namespace: Option<String>,
    /// Its `instanceID`.
    pub instance_id: Option<String>,
    /// Its settings.
    pub cfg: ControllerCfg,
}

/// A validated scenario, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File name used in diagnostics.
    pub source: String,
    /// The file as read (defaults filled in).
    pub file: ScenarioFile,
    /// Resolved pools.
    pub pools: Vec<Pool>,
    /// Resolved workflows.
    pub workflows: Vec<WorkflowSpec>,
    /// Resolved submissions.
    pub submissions: Vec<Submission>,
    /// Distinct images, indexed by [`TaskSpec::image`] and [`Scenario::executor_image`].
    pub images: Vec<String>,
    /// Index into [`Scenario::images`] of the executor (argoexec) image.
    pub executor_image: usize,
    /// Problems that do not stop a run (e.g. a pod no node can hold).
    pub warnings: Vec<Diagnostic>,
    /// Semaphores and mutexes referenced by workflows and tasks.
    pub locks: Vec<LockSpec>,
    /// Namespaces of the workflows.
    pub namespaces: Vec<String>,
    /// The workflow controllers (at least one).
    pub controllers: Vec<ControllerSpec>,
}
