//! What the controller holds for one workflow: its phase, per-task progress, and the node
//! statuses whose size decides whether the Workflow object still fits.
//!
//! Size model (argo-facts §4.2–4.3): the object is the spec plus one status entry per node
//! (pod nodes and virtual DAG/StepGroup/TaskGroup nodes), two ~30 B references per child (the
//! parent's `children` and `outboundNodes`), and a `taskResultsCompletionStatus` entry per pod
//! that is never compressed. Above `MAX_WORKFLOW_SIZE` the nodes are gzip'd (~55 B each); if
//! still too big they are offloaded when offload is on, else the workflow errors with Argo's
//! message. A pod node grows when it completes (`finishedAt`, `resourcesDuration`,
//! `outputs.exitCode`: [`COMPLETED_POD_NODE_EXTRA_BYTES`]), so limits are crossed while pods
//! finish; output parameters of completed nodes add their bytes (compressed at the same ratio
//! as node statuses). [`StoredStatus`] is what the last successful write left in etcd: what
//! `argo get` shows, and what `persistWorkflowSizeLimitErr` falls back to (argo-facts §11.5).
//! Simplified: artifacts are not modelled; every completed pod node has the same size.

use crate::engine::{OptTime, SimTime};
use crate::scenario::WorkflowSpec;
use crate::scenario::defaults::COMPLETED_POD_NODE_EXTRA_BYTES;
use crate::scenario::schema::ControllerCfg;
use serde::Serialize;

/// Workflow phase as Argo reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum WfPhase {
    /// Submitted, CREATE not yet done.
    Submitting,
    /// Created, not yet reconciled (phase "").
    Pending,
    /// Running.
    Running,
    /// All steps succeeded.
    Succeeded,
    /// A step failed.
    Failed,
    /// The controller or the API failed the workflow.
    Error,
}

impl WfPhase {
    /// Terminal phases.
    pub fn is_done(self) -> bool {
        matches!(self, WfPhase::Succeeded | WfPhase::Failed | WfPhase::Error)
    }

    /// The name the report uses (the variant's name).
    pub fn name(self) -> &'static str {
        match self {
            WfPhase::Submitting => "Submitting",
            WfPhase::Pending => "Pending",
            WfPhase::Running => "Running",
            WfPhase::Succeeded => "Succeeded",
            WfPhase::Failed => "Failed",
            WfPhase::Error => "Error",
        }
    }
}

/// Progress of one task (all its items) as recorded in the workflow's status.
#[derive(Debug, Clone, Default)]
pub struct TaskRun {
    /// Pods created so far.
    pub created: u32,
    /// Recorded Pending/Running.
    pub active: u32,
    /// Recorded Succeeded.
    pub succeeded: u32,
    /// Recorded Failed.
    pub failed: u32,
}

/// How the status was stored at the last write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// Plain `status.nodes`.
    #[default]
    Plain,
    /// `status.compressedNodes`.
    Compressed,
    /// Offloaded to the database.
    Offloaded,
}

impl Storage {
    /// The name the report uses.
    pub fn name(self) -> &'static str {
        match self {
            Storage::Plain => "plain",
            Storage::Compressed => "compressed",
            Storage::Offloaded => "offloaded",
        }
    }
}

/// Outcome of sizing the object for a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sized {
    /// JSON size with plain nodes.
    pub uncompressed: u64,
    /// Body size actually sent.
    pub body: u64,
    /// How nodes are stored.
    pub storage: Storage,
    /// Argo's error when the object cannot be made small enough.
    pub error: Option<String>,
}

/// What the last successful write of the Workflow left in etcd (the informer's `orig`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredStatus {
    /// Completed pod nodes (`status.progress` numerator, as `argo get` shows it).
    pub done: u32,
    /// Pod nodes (`status.progress` denominator).
    pub total: u32,
    /// Some `taskResultsCompletionStatus` entry was `false`: `markWorkflowPhase` refuses to
    /// complete the stored object (`TaskResultsInProgress`).
    pub results_in_progress: bool,
    /// Updates refused for size (413 or etcd "request is too large") since the last
    /// successful write of the working status: the status is frozen.
    pub refusals: u32,
}

/// A workflow's message (`status.message`) in 8 bytes: most workflows never have one, and
/// every run keeps one per workflow. Empty and none are the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
// The extra indirection is the point: a thin 8-byte field instead of a String's 24, paid only
// by the few workflows that have a message.
#[allow(clippy::box_collection)]
pub struct Message(Option<Box<String>>);

impl Message {
    /// The text ("" when none).
    pub fn as_str(&self) -> &str {
        self.0.as_deref().map_or("", String::as_str)
    }

    /// Set the text.
    pub fn set(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.0 = (!text.is_empty()).then(|| Box::new(text));
    }

    /// Remove the text.
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// Keep the first `len` bytes (a char boundary).
    pub fn truncate(&mut self, len: usize) {
        if let Some(s) = &mut self.0 {
            s.truncate(len);
            if s.is_empty() {
                self.0 = None;
            }
        }
    }

    /// Take the text, leaving none.
    pub fn take(&mut self) -> String {
        self.0.take().map_or_else(String::new, |b| *b)
    }
}

impl std::ops::Deref for Message {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// A workflow's submission, as its submitter sees it.
#[derive(Debug, Clone, Copy)]
pub struct SubmitProgress {
    /// When its submitter started the `argo submit`/CREATE (after waiting for a free submitter).
    pub started: SimTime,
    /// The submitter's requests' waits in its client bucket, summed.
    pub throttle: SimTime,
}

/// The controller's state of one workflow.
#[derive(Debug, Clone)]
pub struct WorkflowRun {
    /// Index of its spec.
    spec: u32,
    /// Index of the controller that manages it (`Scenario::controllers`).
    ctrl: u32,
    /// Index of its namespace (`Scenario::namespaces`).
    ns: u32,
    /// Phase.
    pub phase: WfPhase,
    /// Message when failed or errored.
    pub message: Message,
    /// When the user asked for it (its arrival; makespans count from here).
    pub submitted_at: SimTime,
    /// Its submitter's progress.
    pub submit: SubmitProgress,
    /// Validation GETs its submitter still has to make before its CREATE.
    pub submit_gets_left: u32,
    /// When its CREATE succeeded.
    pub created_at: OptTime,
    /// First reconcile.
    pub started_at: OptTime,
    /// Completion persisted.
    pub finished_at: OptTime,
    /// Per task.
    pub tasks: Box<[TaskRun]>,
    /// Steps: group nodes created.
    pub groups_started: Box<[bool]>,
    /// Pods of this workflow (ids).
    pub pods: Vec<u32>,
    /// Pods whose observed state changed since the last reconcile.
    pub dirty_pods: Vec<u32>,
    /// Pods whose node is done in the stored status and that may still be in the pod
    /// informer: what `queuePodsForCleanup` walks after each update (pruned as they leave).
    pub finished_pods: Vec<u32>,
    /// Virtual nodes in status.
    pub virtual_nodes: u32,
    /// Pod nodes in status.
    pub pod_nodes: u32,
    /// A task failed: start nothing new (DAG failFast / steps).
    pub stop_new: bool,
    /// Largest body written.
    pub peak_body: u64,
    /// Largest uncompressed size computed.
    pub peak_uncompressed: u64,
    /// Storage at the last write.
    pub storage: Storage,
    /// Reconciles run.
    pub reconciles: u32,
    /// Deleted from the cluster (TTL).
    pub deleted: bool,
    /// JSON size held in the controller's informer.
    pub json_bytes: u64,
    /// Body size stored in etcd at the last write.
    pub stored_bytes: u64,
    /// Held by controller parallelism (phase Pending persisted with a message).
    pub postponed: bool,
    /// Holds its workflow-level lock.
    pub holds_lock: bool,
    /// Retries and pods to create again, if any (most workflows never have one: boxed, the
    /// two lists cost 8 bytes per workflow instead of 48).
    pub redo: Option<Box<Redo>>,
    /// Pod nodes of the working status whose TaskResult is incomplete: recorded Running (the
    /// wait container created its placeholder result) and not yet recorded completed.
    pub results_open: u32,
    /// The last successful write.
    pub stored: StoredStatus,
}

/// A workflow's pods to create again: retries after their backoff and the pods of still-Pending
/// nodes whose pod vanished.
#[derive(Debug, Clone, Default)]
pub struct Redo {
    /// Retries waiting for their backoff: (task, attempt, item's first start, ready at).
    pub retry: Vec<(u32, u32, SimTime, SimTime)>,
    /// Pods of still-Pending nodes to create again: (task, attempt, first start).
    pub recreate: Vec<(u32, u32, SimTime)>,
}

impl WorkflowRun {
    /// Index of its spec (`Scenario::workflows`).
    pub fn spec(&self) -> usize {
        self.spec as usize
    }

    /// Index of the controller that manages it (`Scenario::controllers`).
    pub fn ctrl(&self) -> usize {
        self.ctrl as usize
    }

    /// Index of its namespace (`Scenario::namespaces`).
    pub fn ns(&self) -> usize {
        self.ns as usize
    }

    /// Hand it to controller `ctrl` in namespace `ns` (its submission's target).
    pub fn set_target(&mut self, (ctrl, ns): (usize, usize)) {
        self.ctrl = ctrl as u32;
        self.ns = ns as u32;
    }

    /// Retries waiting for their backoff: (task, attempt, item's first start, ready at).
    pub fn retry_queue(&self) -> &[(u32, u32, SimTime, SimTime)] {
        self.redo.as_ref().map_or(&[], |r| &r.retry)
    }

    /// Pods of still-Pending nodes to create again: (task, attempt, first start).
    pub fn recreate_queue(&self) -> &[(u32, u32, SimTime)] {
        self.redo.as_ref().map_or(&[], |r| &r.recreate)
    }

    /// The lists of pods to create again, made on first use.
    pub fn redo_mut(&mut self) -> &mut Redo {
        self.redo.get_or_insert_with(Box::default)
    }

    /// The name of the run of `spec` that is the `index`th workflow submitted:
    /// `<workflow>-<index>` (derived, not stored: a run keeps no string of its own).
    pub fn name(spec: &WorkflowSpec, index: usize) -> String {
        format!("{}-{}", spec.name, index)
    }

    /// A just-submitted workflow.
    pub fn new(spec_idx: usize, spec: &WorkflowSpec, now: SimTime) -> Self {
        WorkflowRun {
            spec: spec_idx as u32,
            ctrl: 0,
            ns: spec.namespace as u32,
            phase: WfPhase::Submitting,
            message: Message::default(),
            submitted_at: now,
            submit: SubmitProgress {
                started: now,
                throttle: SimTime::ZERO,
            },
            submit_gets_left: 0,
            created_at: OptTime::NONE,
            started_at: OptTime::NONE,
            finished_at: OptTime::NONE,
            tasks: vec![TaskRun::default(); spec.tasks.len()].into_boxed_slice(),
            groups_started: vec![false; spec.groups as usize].into_boxed_slice(),
            pods: Vec::new(),
            finished_pods: Vec::new(),
            dirty_pods: Vec::new(),
            virtual_nodes: 0,
            pod_nodes: 0,
            stop_new: false,
            peak_body: 0,
            peak_uncompressed: 0,
            storage: Storage::Plain,
            reconciles: 0,
            deleted: false,
            json_bytes: 0,
            stored_bytes: 0,
            postponed: false,
            holds_lock: false,
            redo: None,
            results_open: 0,
            stored: StoredStatus::default(),
        }
    }

    /// Completed pod nodes of the working status (every attempt is a pod node).
    pub fn done_pod_nodes(&self) -> u32 {
        self.pod_nodes - self.active_pods()
    }

    /// A write of the working status succeeded: it is what etcd holds now.
    pub fn mark_stored(&mut self) {
        self.stored = StoredStatus {
            done: self.done_pod_nodes(),
            total: self.pod_nodes,
            results_in_progress: self.results_open > 0,
            refusals: 0,
        };
    }

    /// Total nodes in `status.nodes`.
    pub fn nodes(&self) -> u64 {
        u64::from(self.virtual_nodes) + u64::from(self.pod_nodes)
    }

    /// Active (Pending/Running) pods as recorded.
    pub fn active_pods(&self) -> u32 {
        self.tasks.iter().map(|t| t.active).sum()
    }

    /// Whether task `i` may start: all dependencies finished and succeeded.
    pub fn task_ready(&self, spec: &WorkflowSpec, i: usize) -> bool {
        spec.tasks[i].deps.iter().all(|&d| {
            let t = &self.tasks[d];
            t.failed == 0 && t.succeeded == spec.tasks[d].width
        })
    }

    /// Nothing runs and nothing more can start: the outcome is decided.
    pub fn is_complete(&self, spec: &WorkflowSpec) -> bool {
        if self.active_pods() > 0 {
            return false;
        }
        // failFast: once a task has failed for good nothing new starts, pending retries included.
        if self.stop_new {
            return true;
        }
        if !self.retry_queue().is_empty() {
            return false;
        }
        self.tasks
            .iter()
            .zip(&spec.tasks)
            .all(|(t, s)| t.succeeded + t.failed == s.width)
    }

    /// Record that a pod was created for task `task` (adds its node and group nodes).
    pub fn record_created(&mut self, spec: &WorkflowSpec, task: usize, steps_group: Option<usize>) {
        let t = &mut self.tasks[task];
        if t.created == 0 {
            match steps_group {
                Some(g) => {
                    if let Some(started) = self.groups_started.get_mut(g)
                        && !*started
                    {
                        *started = true;
                        self.virtual_nodes += 1;
                    }
                }
                None => {
                    if spec.tasks[task].width > 1 {
                        self.virtual_nodes += 1; // TaskGroup
                    }
                }
            }
        }
        t.created += 1;
        t.active += 1;
        self.pod_nodes += 1;
    }

    /// Size the object for a write under the controller's settings.
    pub fn size(&self, spec: &WorkflowSpec, cfg: &ControllerCfg) -> Sized {
        const CHILD_REFS_PER_NODE: u64 = 2; // parent's children + outboundNodes
        let task_results =
            u64::from(self.pod_nodes) * super::super::scenario::defaults::TASK_RESULT_STATUS_BYTES;
        // A pod node not yet completed lacks finishedAt/resourcesDuration/outputs.
        let open = u64::from(self.active_pods());
        let nodes_json = u64::from(self.pod_nodes) * cfg.pod_node_status_bytes.0
            - open * COMPLETED_POD_NODE_EXTRA_BYTES.min(cfg.pod_node_status_bytes.0)
            + u64::from(self.virtual_nodes) * cfg.virtual_node_status_bytes.0
            + self.nodes().saturating_sub(1)
                * CHILD_REFS_PER_NODE
                * super::super::scenario::defaults::CHILD_REF_BYTES;
        // Output parameters of completed pod nodes sit in their node's `outputs`.
        let outputs: u64 = self
            .tasks
            .iter()
            .zip(&spec.tasks)
            .map(|(t, s)| u64::from(t.succeeded + t.failed) * s.output_parameter_bytes)
            .sum();
        let nodes_json = nodes_json + outputs;
        let uncompressed = spec.spec_bytes + nodes_json + task_results;
        let max = cfg.max_workflow_size.0;
        if uncompressed <= max {
            return Sized {
                uncompressed,
                body: uncompressed,
                storage: Storage::Plain,
                error: None,
            };
        }
        // Outputs compress like the rest of a node (~55 B of ~505 B).
        let out_compressed =
            outputs * cfg.compressed_node_bytes.0 / cfg.pod_node_status_bytes.0.max(1);
        let compressed = spec.spec_bytes
            + self.nodes() * cfg.compressed_node_bytes.0
            + out_compressed
            + task_results;
        if compressed <= max {
            return Sized {
                uncompressed,
                body: compressed,
                storage: Storage::Compressed,
                error: None,
            };
        }
        if cfg.node_status_offload {
            return Sized {
                uncompressed,
                body: spec.spec_bytes + task_results,
                storage: Storage::Offloaded,
                error: None,
            };
        }
        Sized {
            uncompressed,
            body: compressed,
            storage: Storage::Compressed,
            error: Some(format!(
                "workflow is longer than maximum allowed size. compressed size {compressed} > maxSize {max}Tried to offload but encountered error: offload node status is not supported"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_is_eight_bytes_and_acts_as_a_string() {
        assert_eq!(std::mem::size_of::<Message>(), 8);
        let mut m = Message::default();
        assert_eq!((m.as_str(), m.is_empty()), ("", true));
        m.set("child failed");
        assert_eq!(&*m, "child failed");
        m.truncate(5);
        assert_eq!(m.as_str(), "child");
        m.truncate(0);
        assert_eq!(m, Message::default());
        m.set(String::new());
        assert_eq!(m, Message::default());
        m.set("x");
        assert_eq!(m.take(), "x");
        assert!(m.is_empty());
    }

    use super::*;
    use crate::dist::DurationDist;
    use crate::scenario::TaskSpec;
    use crate::scenario::schema::WorkflowKind;
    use crate::units::Dur;

    fn fanout(n: u32) -> WorkflowSpec {
        WorkflowSpec {
            name: "w".into(),
            kind: WorkflowKind::Dag,
            parallelism: 0,
            priority: 0,
            namespace: 0,
            instance_id: None,
            spec_bytes: 5 * 1024,
            tasks: vec![TaskSpec {
                name: "t".into(),
                deps: vec![],
                group: 0,
                width: n,
                parallelism: 0,
                cpu: 0,
                mem: 0,
                image: 0,
                image_size: 0,
                duration: DurationDist::Constant(Dur(1)),
                failure_probability: 0.0,
                template_ref: None,
                output_parameter_bytes: 0,
                lock: None,
                allowed_pools: vec![true],
                retry: None,
                speedup: 1.0,
                read_bytes: 0,
                write_bytes: 0,
                progress: false,
            }],
            groups: 0,
            workflow_template_ref: None,
            pod_gc: Default::default(),
            ttl_after_completion: None,
            lock: None,
        }
    }

    fn sized(n: u32, offload: bool) -> Sized {
        let spec = fanout(n);
        let mut w = WorkflowRun::new(0, &spec, SimTime::ZERO);
        w.virtual_nodes = 1; // root DAG node
        for _ in 0..n {
            w.record_created(&spec, 0, None);
        }
        // argo-facts §4.2 sizes completed nodes (hostNodeName, resourcesDuration, exitCode).
        w.tasks[0].active = 0;
        w.tasks[0].succeeded = n;
        let cfg = ControllerCfg {
            node_status_offload: offload,
            ..ControllerCfg::default()
        };
        w.size(&spec, &cfg)
    }

    #[test]
    fn matches_reference_table() {
        // argo-facts §4.2: 1,000 pods ≈ 0.58 MiB plain; 2,000 compress; 5,000 ≈ 0.45 MiB compressed.
        let s = sized(1000, false);
        assert_eq!(s.storage, Storage::Plain);
        assert!(
            (s.body as f64 / 1048576.0 - 0.58).abs() < 0.02,
            "{}",
            s.body
        );
        assert_eq!(sized(2000, false).storage, Storage::Compressed);
        let s = sized(5000, false);
        assert!(
            (s.body as f64 / 1048576.0 - 0.45).abs() < 0.02,
            "{}",
            s.body
        );
    }

    #[test]
    fn errors_past_compressed_limit_unless_offloaded() {
        // Per pod node: 55 B compressed + 36 B task result; threshold ≈ (1 MiB − spec) / 91.
        let limit = (1_048_576 - 5 * 1024 - 2 * 55) / 91;
        assert!(sized(limit as u32 - 5, false).error.is_none());
        let s = sized(limit as u32 + 5, false);
        let msg = s.error.unwrap();
        assert!(msg.starts_with("workflow is longer than maximum allowed size. compressed size "));
        assert!(msg.ends_with("> maxSize 1048576Tried to offload but encountered error: offload node status is not supported"));
        let s = sized(limit as u32 + 5, true);
        assert_eq!(s.storage, Storage::Offloaded);
        assert!(s.error.is_none());
    }

    #[test]
    fn a_pod_node_grows_when_it_completes() {
        // operator.go: a completed node gains finishedAt, resourcesDuration and
        // outputs.exitCode; the object grows by that much per completion.
        let spec = fanout(10);
        let mut w = WorkflowRun::new(0, &spec, SimTime::ZERO);
        w.virtual_nodes = 1;
        for _ in 0..10 {
            w.record_created(&spec, 0, None);
        }
        let cfg = ControllerCfg::default();
        let running = w.size(&spec, &cfg).uncompressed;
        w.tasks[0].active -= 3;
        w.tasks[0].succeeded += 3;
        let later = w.size(&spec, &cfg).uncompressed;
        assert_eq!(later - running, 3 * COMPLETED_POD_NODE_EXTRA_BYTES);
        assert_eq!(w.done_pod_nodes(), 3);
    }
}
