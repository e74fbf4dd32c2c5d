//! The `[controller]` table and the `[[controllers]]` entries: the workflow-controller's
//! flags, environment variables and configmap, plus which workflows it manages (cluster-wide
//! or `--namespaced --managed-namespace`, `instanceID`) and, as a scenario convenience,
//! `shards` (several identical controllers over namespaces or instance IDs).

use super::{default_true, dur};
use crate::scenario::defaults as d;
use crate::units::{Bytes, Cpu, Dur};
use serde::{Deserialize, Serialize};
/// `[controller.resource_rate_limit]` (configmap `resourceRateLimit`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceRateLimitCfg {
    /// Pod creations per second.
    pub limit: f64,
    /// Burst.
    pub burst: u32,
}

/// `[controller]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerCfg {
    /// The Deployment's name: its clients' rows in the API tables, its row in the report
    /// (`workflow-controller` when unset; with `shards`, `<name>-<i>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `--namespaced --managed-namespace`: the one namespace whose workflows it watches
    /// (unset: all namespaces). With `shards` > 1, shard `i` manages `<namespace>-<i>` and the
    /// submissions into `<namespace>` are spread over them round-robin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// configmap `instanceID`: it reconciles only workflows labelled
    /// `workflows.argoproj.io/controller-instanceid=<id>` (unset: only unlabelled ones). With
    /// `shards` > 1, shard `i` has `<instance_id>-<i>` and workflows are labelled round-robin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// A scenario convenience, not an Argo setting: this many identical controllers, split by
    /// `namespace` or `instance_id` (1 = just this one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u32>,
    /// `--qps` of each clientset.
    #[serde(default = "default_ctrl_qps")]
    pub qps: f64,
    /// `--burst` of each clientset.
    #[serde(default = "default_ctrl_burst")]
    pub burst: u32,
    /// `--workflow-workers`.
    #[serde(default = "default_workers")]
    pub workflow_workers: u32,
    /// `--pod-cleanup-workers`.
    #[serde(default = "default_cleanup_workers")]
    pub pod_cleanup_workers: u32,
    /// `DEFAULT_REQUEUE_TIME`.
    #[serde(default = "default_requeue")]
    pub default_requeue_time: Dur,
    /// configmap `initialDelay`.
    #[serde(default = "default_initial_delay")]
    pub initial_delay: Dur,
    /// Safety resync of each workflow.
    #[serde(default = "default_resync")]
    pub workflow_resync_period: Dur,
    /// `MAX_OPERATION_TIME`.
    #[serde(default = "default_max_op")]
    pub max_operation_time: Dur,
    /// configmap `parallelism`: max running workflows (0 = unlimited).
    #[serde(default)]
    pub parallelism: u32,
    /// configmap `namespaceParallelism`: max running workflows per namespace (0 = unlimited).
    #[serde(default)]
    pub namespace_parallelism: u32,
    /// `INFORMER_WRITE_BACK` (false: sleep 1 s after each workflow update).
    #[serde(default = "default_write_back")]
    pub informer_write_back: bool,
    /// configmap `resourceRateLimit` (unset = unlimited).
    pub resource_rate_limit: Option<ResourceRateLimitCfg>,
    /// `MAX_WORKFLOW_SIZE`.
    #[serde(default = "default_max_wf_size")]
    pub max_workflow_size: Bytes,
    /// configmap `persistence.nodeStatusOffLoad` (with a database configured).
    #[serde(default)]
    pub node_status_offload: bool,
    /// One offload-database round trip (estimate).
    #[serde(default = "default_offload_latency")]
    pub offload_latency: Dur,
    /// Controller CPU per reconcile (estimate).
    #[serde(default = "default_reconcile_base")]
    pub reconcile_base_cpu: Dur,
    /// Controller CPU per node per reconcile (estimate).
    #[serde(default = "default_reconcile_per_node")]
    pub reconcile_per_node_cpu: Dur,
    /// Bytes of a completed pod node status (a node not yet completed has
    /// `COMPLETED_POD_NODE_EXTRA_BYTES` fewer).
    #[serde(default = "default_pod_node_bytes")]
    pub pod_node_status_bytes: Bytes,
    /// Bytes of a virtual node status.
    #[serde(default = "default_virtual_node_bytes")]
    pub virtual_node_status_bytes: Bytes,
    /// Bytes per compressed node.
    #[serde(default = "default_compressed_node_bytes")]
    pub compressed_node_bytes: Bytes,
    /// configmap `nodeEvents.enabled`: emit a Kubernetes Event per node phase change.
    #[serde(default = "default_true")]
    pub node_events: bool,
    /// `ARGO_PROGRESS_PATCH_TICK_DURATION`.
    #[serde(default = "default_progress_tick")]
    pub progress_patch_tick: Dur,
    /// configmap `podGCDeleteDelayDuration`.
    #[serde(default = "default_gc_delay")]
    pub pod_gc_delete_delay: Dur,
    /// CPU cores reconciles share (the container's CPU limit); 0 = unlimited.
    #[serde(default)]
    pub cpu: Cpu,
    /// Container memory limit; above it the controller is OOM-killed and restarts.
    pub memory_limit: Option<Bytes>,
    /// Heap with no workflows (estimate).
    #[serde(default = "default_mem_base")]
    pub memory_base: Bytes,
    /// Heap bytes per byte of Workflow JSON in the informer (estimate).
    #[serde(default = "default_mem_per_wf_byte")]
    pub memory_per_workflow_byte: f64,
    /// Heap bytes per pod in the pod informer (estimate).
    #[serde(default = "default_mem_per_pod")]
    pub memory_per_pod: Bytes,
    /// `HEALTHZ_AGE`.
    #[serde(default = "default_healthz_age")]
    pub healthz_age: Dur,
    /// Semaphore ConfigMap: key → limit (`synchronization.semaphores[].configMapKeyRef`).
    #[serde(default)]
    pub semaphores: std::collections::BTreeMap<String, u32>,
}
fn default_mem_base() -> Bytes {
    Bytes(d::CONTROLLER_MEMORY_BASE)
}
fn default_mem_per_wf_byte() -> f64 {
    d::CONTROLLER_MEMORY_PER_WORKFLOW_BYTE
}
fn default_mem_per_pod() -> Bytes {
    Bytes(d::CONTROLLER_MEMORY_PER_POD)
}
fn default_healthz_age() -> Dur {
    dur(d::HEALTHZ_AGE)
}
fn default_progress_tick() -> Dur {
    dur(d::PROGRESS_PATCH_TICK)
}
fn default_gc_delay() -> Dur {
    dur(d::POD_GC_DELETE_DELAY)
}
fn default_write_back() -> bool {
    d::INFORMER_WRITE_BACK
}
fn default_offload_latency() -> Dur {
    dur(d::OFFLOAD_LATENCY)
}
fn default_ctrl_qps() -> f64 {
    d::CONTROLLER_QPS
}
fn default_ctrl_burst() -> u32 {
    d::CONTROLLER_BURST
}
fn default_workers() -> u32 {
    d::WORKFLOW_WORKERS
}
fn default_cleanup_workers() -> u32 {
    d::POD_CLEANUP_WORKERS
}
fn default_requeue() -> Dur {
    dur(d::DEFAULT_REQUEUE_TIME)
}
fn default_initial_delay() -> Dur {
    dur(d::INITIAL_DELAY)
}
fn default_resync() -> Dur {
    dur(d::WORKFLOW_RESYNC_PERIOD)
}
fn default_max_op() -> Dur {
    dur(d::MAX_OPERATION_TIME)
}
fn default_max_wf_size() -> Bytes {
    Bytes(d::MAX_WORKFLOW_SIZE)
}
fn default_reconcile_base() -> Dur {
    dur(d::RECONCILE_BASE_CPU)
}
fn default_reconcile_per_node() -> Dur {
    dur(d::RECONCILE_PER_NODE_CPU)
}
fn default_pod_node_bytes() -> Bytes {
    Bytes(d::POD_NODE_STATUS_BYTES)
}
fn default_virtual_node_bytes() -> Bytes {
    Bytes(d::VIRTUAL_NODE_STATUS_BYTES)
}
fn default_compressed_node_bytes() -> Bytes {
    Bytes(d::COMPRESSED_NODE_BYTES)
}
impl Default for ControllerCfg {
    fn default() -> Self {
        toml::from_str("").expect("empty controller table deserializes")
    }
}
