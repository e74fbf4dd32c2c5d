//! Report structs. Times are seconds (`_s`), sizes bytes, money USD.

use super::{Column, Stats, Summary};
use indexmap::IndexMap;
use serde::Serialize;

/// Version of the JSON layout; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// All replications of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// JSON layout version.
    pub schema_version: u32,
    /// argosim version.
    pub argosim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file.
    pub source: String,
    /// Master seed.
    pub seed: u64,
    /// Number of runs.
    pub replications: u32,
    /// Headline metrics over runs: mean, sd, min, max.
    pub summary: IndexMap<String, Summary>,
    /// Validation warnings.
    pub warnings: Vec<String>,
    /// One entry per replication, in order.
    pub runs: Vec<RunReport>,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Replication index.
    pub replication: u32,
    /// Seed of this run (derived from the master seed).
    pub seed: u64,
    /// Simulated time when the last workflow finished (or the horizon).
    pub end_time_s: f64,
    /// The horizon stopped the run with work unfinished.
    pub horizon_reached: bool,
    /// Events processed.
    pub events: u64,
    /// Workflow outcomes.
    pub workflows: WorkflowsReport,
    /// What the finished workflows' critical paths spent their time on.
    pub limits: LimitsReport,
    /// Pod outcomes and start-up.
    pub pods: PodsReport,
    /// API traffic.
    pub api: ApiReport,
    /// Client-side throttling per client.
    pub throttling: Vec<ThrottleReport>,
    /// Workflow controller (with several: all of them together, see
    /// [`ControllerReport::absorb`]).
    pub controller: ControllerReport,
    /// One row per controller when the scenario has several (empty with one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controllers: Vec<ControllerRow>,
    /// Workflow object sizes against limits.
    pub workflow_object: ObjectReport,
    /// Cost and utilisation.
    pub cost: CostReport,
    /// Nodes, autoscaling, spot preemptions, retries, image pull errors.
    pub cluster: ClusterReport,
    /// Time series.
    pub timeseries: TimeSeries,
}

/// Workflow outcomes.
#[derive(Debug, Clone, Serialize, Default)]
pub struct WorkflowsReport {
    /// Submitted.
    pub submitted: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed (a step failed).
    pub failed: u64,
    /// Error (controller/API).
    pub errored: u64,
    /// Not finished at the end.
    pub unfinished: u64,
    /// succeeded / submitted.
    pub success_rate: f64,
    /// Submission to completion, finished workflows.
    pub makespan_s: Stats,
    /// Start of the submit call (validation GETs + CREATE) to CREATE accepted; time spent
    /// waiting for a busy submitter is not included (it is in the makespan).
    pub submission_latency_s: Stats,
    /// CREATE to first reconcile.
    pub time_to_start_s: Stats,
    /// Failure messages and counts.
    pub failure_causes: IndexMap<String, u64>,
    /// Per workflow.
    pub list: Vec<WorkflowEntry>,
}

/// One workflow.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowEntry {
    /// Name.
    pub name: String,
    /// Final phase.
    pub phase: &'static str,
    /// Message.
    pub message: String,
    /// Submitted.
    pub submitted_at_s: f64,
    /// Finished (null if not).
    pub finished_at_s: Option<f64>,
    /// finished − submitted.
    pub makespan_s: Option<f64>,
    /// Pods created.
    pub pods: u64,
    /// Nodes in status.
    pub nodes: u64,
    /// Reconciles.
    pub reconciles: u32,
    /// Largest body written.
    pub peak_object_bytes: u64,
    /// Storage at the last write.
    pub storage: &'static str,
    /// `status.progress` of the stored object, completed/all pod nodes (as `argo get` shows it;
    /// frozen when updates are refused for size).
    pub progress: String,
    /// The stored status is frozen: its last updates were refused for size and the workflow
    /// could not be marked Error while its stored TaskResults were in progress.
    pub status_frozen: bool,
    /// Node-hour share of cost, USD.
    pub cost_usd: f64,
    /// Critical-path attribution: seconds per cause key, summing to `makespan_s` (null if the
    /// workflow did not finish). Keys: docs/report-json.md.
    pub critical_path_s: Option<CauseSeconds>,
}

/// The critical-path cause keys, in cause order (docs/report-json.md).
pub const CAUSE_KEYS: [&str; 25] = [
    "submitter_busy",
    "submission_throttle",
    "submission",
    "requeue_delay",
    "queue_wait",
    "reconcile",
    "controller_api",
    "pod_creation_throttle",
    "controller_throttle",
    "parallelism",
    "lock",
    "controller_down",
    "scheduling",
    "bind_throttle",
    "unschedulable_max_nodes",
    "unschedulable_pools_full",
    "unschedulable_node_coming_up",
    "unschedulable_awaiting_scale_up",
    "sandbox_init",
    "image_pull",
    "image_pull_backoff",
    "main",
    "wait",
    "retries_preempted",
    "retries",
];

/// Seconds per critical-path cause key, in cause order; serialized as a JSON object. Kept
/// small (one per workflow row): a bit per key of [`CAUSE_KEYS`] and the seconds of the keys
/// present, in key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CauseSeconds {
    mask: u32,
    secs: Box<[f64]>,
}

impl CauseSeconds {
    /// From the keys present (bit `i` set: key `CAUSE_KEYS[i]`) and their seconds in key order.
    pub fn new(mask: u32, secs: impl Iterator<Item = f64>) -> Self {
        let secs: Box<[f64]> = secs.collect();
        debug_assert_eq!(secs.len(), mask.count_ones() as usize);
        CauseSeconds { mask, secs }
    }

    /// The causes and their seconds, in cause order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        (0..CAUSE_KEYS.len())
            .filter(|k| self.mask & (1 << k) != 0)
            .zip(self.secs.iter())
            .map(|(k, s)| (CAUSE_KEYS[k], *s))
    }
}

impl Serialize for CauseSeconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.secs.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

/// The finished workflows' critical paths, summed over workflows.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LimitsReport {
    /// Finished workflows attributed.
    pub workflows: u64,
    /// Their makespans, summed (equal to the causes' seconds, summed).
    pub makespan_total_s: f64,
    /// Causes, largest first.
    pub causes: Vec<CauseShare>,
    /// One line: what limited the run most, with its share of the critical path.
    pub verdict: String,
}

/// One cause of the critical path.
#[derive(Debug, Clone, Serialize)]
pub struct CauseShare {
    /// Stable id of the cause (the keys of `workflows.list[].critical_path_s`).
    pub key: String,
    /// What it is, in words (pool causes name the pools and their limits).
    pub cause: String,
    /// Seconds, summed over finished workflows.
    pub seconds: f64,
    /// Share of the summed makespans, 0-1.
    pub share: f64,
}

/// Pods.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PodsReport {
    /// Created.
    pub created: u64,
    /// Final phase counts (Succeeded, Failed, Running, Pending).
    pub by_phase: IndexMap<String, u64>,
    /// Pending reason → pod-seconds spent in it.
    pub pending_seconds_by_reason: IndexMap<String, f64>,
    /// Pending reason → pods that entered it (kubelet and scheduler view).
    pub pods_by_pending_reason: IndexMap<String, u64>,
    /// Argo v3.6 `pod_pending_count`: node message reason → changes recorded by reconciles
    /// (`""`, `Unschedulable`, `ErrImagePull`, `ImagePullBackOff`; `PodInitializing` dropped).
    pub pods_pending_count: IndexMap<String, u64>,
    /// Scheduler messages of pods still unschedulable at the end.
    pub unschedulable_messages: IndexMap<String, u64>,
    /// Create → bound.
    pub scheduling_wait_s: Stats,
    /// Image pull wait (0 when cached).
    pub image_pull_s: Stats,
    /// Create → main container start.
    pub startup_s: Stats,
    /// Main container run time.
    pub run_s: Stats,
    /// Image pulls performed.
    pub image_pulls: u64,
    /// Binds that over-committed a node (invariant: 0).
    pub overcommitted_binds: u64,
}

/// API traffic.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ApiReport {
    /// Requests answered (a request retried after 429 counts once; `throttling[].requests`
    /// counts every attempt).
    pub total_requests: u64,
    /// 429 responses.
    pub status_429: u64,
    /// 413 responses.
    pub status_413: u64,
    /// etcd "request is too large".
    pub etcd_too_large: u64,
    /// Most seats in use.
    pub peak_inflight: u32,
    /// Most requests waiting in API Priority and Fairness queues.
    pub peak_queued: u32,
    /// Requests rejected (429) after waiting the APF queue-wait limit.
    pub apf_queue_timeouts: u64,
    /// By client, verb and resource.
    pub by_client: Vec<ApiRow>,
}

/// One (client, verb, resource).
#[derive(Debug, Clone, Serialize)]
pub struct ApiRow {
    /// Client.
    pub client: String,
    /// Verb.
    pub verb: String,
    /// Resource.
    pub resource: String,
    /// Requests.
    pub count: u64,
    /// Non-2xx responses.
    pub errors: u64,
    /// HTTP status code → responses (`201`/`200` success, `429`, `413`, `500` etcd too large).
    pub by_status: IndexMap<String, u64>,
    /// Time from the first try to the response, including throttling and retries.
    pub latency_s: Stats,
}

/// Client-side throttling of one client.
#[derive(Debug, Clone, Serialize)]
pub struct ThrottleReport {
    /// Client.
    pub client: String,
    /// qps of its bucket (0 = unthrottled).
    pub qps: f64,
    /// burst.
    pub burst: u32,
    /// Requests through it.
    pub requests: u64,
    /// Requests that waited at all.
    pub throttled: u64,
    /// Waits above client-go's extraLongThrottleLatency (1 s): the "Waited for" log lines.
    pub logged_waits: u64,
    /// Sum of waits.
    pub total_wait_s: f64,
    /// Longest wait.
    pub max_wait_s: f64,
    /// client-go's line for the longest wait.
    pub worst_message: String,
}

/// The controller's `pod_cleanup_queue` (argo-facts §11.4).
#[derive(Debug, Clone, Serialize, Default)]
pub struct CleanupReport {
    /// Cleanup actions that reached the API server (completed-label PATCH or podGC DELETE).
    pub done: u64,
    /// `AddRateLimited` calls: each took a token of the queue's 10/s, burst-100 bucket, even
    /// for a pod already waiting (every workflow update re-adds every finished pod still in
    /// the informer).
    pub rate_limited_adds: u64,
    /// `AddAfter` calls (podGC deletes with `deleteDelayDuration` > 0): no token.
    pub delayed_adds: u64,
    /// Max `queue_depth_gauge{queue_name="pod_cleanup_queue"}`: pods ready for a worker.
    pub max_depth: u64,
    /// First enqueue of a pod → its cleanup request done.
    pub latency_s: Stats,
    /// Pods queued or in progress when the last workflow finished.
    pub backlog_at_last_finish: u64,
    /// When the last cleanup request completed (`None`: no cleanup happened).
    pub drained_at_s: Option<f64>,
    /// The horizon cut the run with pods still queued for cleanup.
    pub cut_at_horizon: bool,
}

/// Controller.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ControllerReport {
    /// Reconciles (operate calls).
    pub reconciles: u64,
    /// `queue_adds_count` of workflow_queue.
    pub queue_adds: u64,
    /// Max `queue_depth_gauge`.
    pub queue_max_depth: u64,
    /// `queue_latency`.
    pub queue_latency_s: Stats,
    /// `operation_duration_seconds`.
    pub operation_duration_s: Stats,
    /// Reconciles stopped by MAX_OPERATION_TIME.
    pub deadline_exceeded: u64,
    /// Pod creations refused by resourceRateLimit.
    pub resource_rate_limited: u64,
    /// Max busy workers.
    pub workers_busy_max: u64,
    /// Pods created.
    pub pods_created: u64,
    /// `pod_cleanup_queue`.
    pub pod_cleanup: CleanupReport,
    /// Workflows held by controller parallelism.
    pub throttled_by_parallelism: u64,
    /// Pods deleted by podGC.
    pub pods_deleted: u64,
    /// Pods created again because the pod of a still-Pending node vanished (a spot node
    /// gone without graceful shutdown): Argo re-creates them rather than failing the node.
    pub pods_recreated: u64,
    /// Workflows deleted by the TTL controller.
    pub workflows_deleted: u64,
    /// Kubernetes Events written by the controller's per-namespace sinks.
    pub events_sent: u64,
    /// Events dropped: the sink's 1,000-entry buffer was full, or the write failed.
    pub events_dropped: u64,
    /// Events refused by the recorder's spam filter (burst 10,000 per workflow, 1 per 300 s).
    pub events_spam_filtered: u64,
    /// Refused semaphore/mutex acquisitions.
    pub lock_waits: u64,
    /// Argo's pending message (`Waiting for <lock> lock. Lock status: free/limit`) → count.
    pub lock_messages: IndexMap<String, u64>,
    /// Controller restarts (OOM kill, liveness).
    pub restarts: u64,
    /// Restart cause → count.
    pub restart_causes: IndexMap<String, u64>,
    /// Time the controller was down (restart backoff, leader election, relist).
    pub downtime_s: f64,
    /// Reconciles cut short by a restart.
    pub aborted_reconciles: u64,
    /// Peak estimated heap.
    pub peak_memory_bytes: u64,
    /// Container memory limit (null = none).
    pub memory_limit_bytes: Option<u64>,
    /// Mean busy cores when a CPU limit is set (0 when unlimited).
    pub cpu_busy_cores_mean: f64,
}

/// One workflow controller of several sharing the cluster.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ControllerRow {
    /// Its name (`[[controllers]] name`, shards `<name>-<i>`).
    pub name: String,
    /// The namespace it manages (`None`: all).
    pub namespace: Option<String>,
    /// Its `instanceID`.
    pub instance_id: Option<String>,
    /// Workflows it managed.
    pub workflows: u64,
    /// Of those, finished Succeeded.
    pub succeeded: u64,
    /// Makespans of its finished workflows.
    pub makespan_s: Stats,
    /// Client-side throttle wait of its three clientsets, summed over requests.
    pub throttle_wait_s: f64,
    /// Its own counters.
    #[serde(flatten)]
    pub report: ControllerReport,
}

impl ControllerReport {
    /// Add another controller's counters into this one: counts and times summed, peaks and
    /// depths the largest of the two, `cpu_busy_cores_mean` summed (cores of all controllers),
    /// the memory limit the largest. The latency [`Stats`] cannot be merged from summaries;
    /// the caller sets them from the pooled samples.
    pub fn absorb(&mut self, o: &ControllerReport) {
        self.reconciles += o.reconciles;
        self.queue_adds += o.queue_adds;
        self.queue_max_depth = self.queue_max_depth.max(o.queue_max_depth);
        self.deadline_exceeded += o.deadline_exceeded;
        self.resource_rate_limited += o.resource_rate_limited;
        self.workers_busy_max = self.workers_busy_max.max(o.workers_busy_max);
        self.pods_created += o.pods_created;
        let (c, oc) = (&mut self.pod_cleanup, &o.pod_cleanup);
        c.done += oc.done;
        c.rate_limited_adds += oc.rate_limited_adds;
        c.delayed_adds += oc.delayed_adds;
        c.max_depth = c.max_depth.max(oc.max_depth);
        c.backlog_at_last_finish += oc.backlog_at_last_finish;
        c.drained_at_s = match (c.drained_at_s, oc.drained_at_s) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        c.cut_at_horizon |= oc.cut_at_horizon;
        self.throttled_by_parallelism += o.throttled_by_parallelism;
        self.pods_deleted += o.pods_deleted;
        self.pods_recreated += o.pods_recreated;
        self.workflows_deleted += o.workflows_deleted;
        self.events_sent += o.events_sent;
        self.events_dropped += o.events_dropped;
        self.events_spam_filtered += o.events_spam_filtered;
        self.lock_waits += o.lock_waits;
        for (k, v) in &o.lock_messages {
            *self.lock_messages.entry(k.clone()).or_default() += v;
        }
        self.restarts += o.restarts;
        for (k, v) in &o.restart_causes {
            *self.restart_causes.entry(k.clone()).or_default() += v;
        }
        self.downtime_s += o.downtime_s;
        self.aborted_reconciles += o.aborted_reconciles;
        self.peak_memory_bytes = self.peak_memory_bytes.max(o.peak_memory_bytes);
        self.memory_limit_bytes = self.memory_limit_bytes.max(o.memory_limit_bytes);
        self.cpu_busy_cores_mean += o.cpu_busy_cores_mean;
    }
}

/// Workflow object sizes.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ObjectReport {
    /// Largest body written.
    pub peak_bytes: u64,
    /// Largest uncompressed JSON computed.
    pub peak_uncompressed_bytes: u64,
    /// MAX_WORKFLOW_SIZE.
    pub max_workflow_size: u64,
    /// etcd --max-request-bytes.
    pub etcd_limit: u64,
    /// apiserver MaxRequestBodyBytes.
    pub apiserver_limit: u64,
    /// Workflows that ended compressed.
    pub compressed: u64,
    /// Workflows that ended offloaded.
    pub offloaded: u64,
    /// Workflows failed for size.
    pub size_errors: u64,
    /// Workflow updates refused for size (413 or etcd "request is too large").
    pub size_refused_updates: u64,
    /// Completion writes abandoned because compression failed on a fulfilled workflow
    /// (`markWorkflowPhase` "workflow is already fulfilled" panic, recovered).
    pub size_completion_panics: u64,
    /// Workflows left Running with a status frozen by size refusals.
    pub size_frozen: u64,
    /// Offload-database round trips (hydrate reads + dehydrate writes).
    pub offload_db_round_trips: u64,
    /// Largest node count.
    pub peak_nodes: u64,
    /// Most Workflow objects in the cluster at once (completed ones stay until deleted by TTL).
    pub workflows_in_cluster_peak: u64,
    /// Peak live bytes of Workflows and Pods in etcd (MVCC history before compaction excluded).
    pub etcd_live_bytes_peak: u64,
    /// etcd `--quota-backend-bytes`.
    pub etcd_quota_bytes: u64,
    /// Argo Server ListWorkflows latency at the peak workflow count (what the UI waits for).
    pub argo_server_list_latency_s: f64,
}

/// Cost.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CostReport {
    /// Total USD.
    pub total_usd: f64,
    /// The bill runs to here: the last workflow finish or pod exit (or the horizon), not the
    /// pod-cleanup tail that may follow (`end_time_s`).
    pub billed_until_s: f64,
    /// Control-plane fee.
    pub control_plane_usd: f64,
    /// Node cost on spot pools.
    pub spot_usd: f64,
    /// Node cost on on-demand pools.
    pub on_demand_usd: f64,
    /// Mean per submitted workflow.
    pub per_workflow_usd: f64,
    /// Per pool.
    pub by_pool: Vec<PoolCost>,
}

/// Cluster dynamics.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ClusterReport {
    /// Nodes requested by the autoscaler.
    pub nodes_added: u64,
    /// Nodes deleted (scale-down, consolidation, spot preemption).
    pub nodes_removed: u64,
    /// Sum over pools of the most nodes each had at once.
    pub nodes_peak: u64,
    /// Spot preemption notices.
    pub spot_preemptions: u64,
    /// Pods killed by a node going away.
    pub pods_killed: u64,
    /// retryStrategy attempts scheduled.
    pub retries: u64,
    /// Image pull errors by message ("pull QPS exceeded", "toomanyrequests: ...").
    pub pull_errors: IndexMap<String, u64>,
}

/// One pool's cost and utilisation.
#[derive(Debug, Clone, Serialize)]
pub struct PoolCost {
    /// Pool.
    pub pool: String,
    /// Most nodes at once.
    pub nodes: u32,
    /// Spot.
    pub spot: bool,
    /// Node-hours billed.
    pub node_hours: f64,
    /// USD.
    pub usd: f64,
    /// Mean requested/allocatable CPU.
    pub cpu_utilisation: f64,
    /// Mean requested/allocatable memory.
    pub memory_utilisation: f64,
}

/// Time series sampled every `sample_interval`; names follow Argo v3.6 metrics where one exists.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TimeSeries {
    /// Sample interval.
    pub interval_s: f64,
    /// Sample times.
    pub t_s: Vec<f64>,
    /// Column name → values (same length as `t_s`; run-length encoded, a JSON array). The
    /// names are the simulator's constants, borrowed rather than copied into every run.
    pub series: IndexMap<std::borrow::Cow<'static, str>, Column>,
}
