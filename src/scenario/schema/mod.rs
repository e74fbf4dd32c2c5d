//! The TOML schema of a scenario, as serde structs. Every table rejects unknown keys, and every
//! default comes from [`super::defaults`]. This is the raw layer: values are typed and in
//! units, but cross-references (task dependencies, workflow names) are checked later by
//! `super::validate`.

pub use super::import_hints::{ImportHints, TemplateMode};
pub use apiserver::ApiServerCfg;
pub use autoscaler::{AutoscalerCfg, AutoscalerMode, Expander, ca_minor};
pub use controller::{ControllerCfg, ResourceRateLimitCfg};

mod apiserver;
mod autoscaler;
mod controller;

use super::defaults as d;
use crate::units::{Bytes, Cpu, Dur, parse_duration};
use serde::{Deserialize, Serialize};

pub(super) fn dur(s: &str) -> Dur {
    Dur(parse_duration(s).expect("built-in default duration parses"))
}

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Short name used in reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// Free text: what the scenario shows and what to look at.
    #[serde(default)]
    pub description: String,
    /// Seed, replications, horizon.
    #[serde(default)]
    pub experiment: ExperimentCfg,
    /// Node pools and prices.
    pub cluster: ClusterCfg,
    /// kube-apiserver limits and service times.
    #[serde(default)]
    pub apiserver: ApiServerCfg,
    /// kube-scheduler settings.
    #[serde(default)]
    pub scheduler: SchedulerCfg,
    /// kubelet and pod start-up settings.
    #[serde(default)]
    pub kubelet: KubeletCfg,
    /// Argo workflow-controller flags, env vars and configmap.
    #[serde(default)]
    pub controller: ControllerCfg,
    /// Several workflow controllers on one cluster (instead of `[controller]`), each with
    /// its own settings, clients, queues and leader election.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controllers: Vec<ControllerCfg>,
    /// Argo Server flags.
    #[serde(default)]
    pub argo_server: ArgoServerCfg,
    /// Who submits which workflow, how many times, when.
    #[serde(default)]
    pub submissions: Vec<SubmissionCfg>,
    /// The workflows (templates) that can be submitted.
    #[serde(default)]
    pub workflows: Vec<WorkflowCfg>,
    /// Cluster autoscaling.
    #[serde(default)]
    pub autoscaler: AutoscalerCfg,
    /// Shared storage for step inputs and outputs.
    #[serde(default)]
    pub storage: StorageCfg,
    /// Registry pull limits.
    #[serde(default)]
    pub registries: Vec<RegistryCfg>,
    /// Argo manifests / WfFormat traces to import, relative to the scenario file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<std::path::PathBuf>,
    /// `[import]`: what the manifests do not say (durations, withParam widths, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportHints>,
    /// `[grid]`: parameter-sweep axes, validated by the experiment layer (`crate::experiment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<toml::Table>,
    /// `[[check]]`: CI thresholds, validated by the experiment layer (`crate::experiment`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check: Vec<toml::Table>,
}

fn default_name() -> String {
    "scenario".into()
}

/// `[experiment]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentCfg {
    /// Master seed; every random stream derives from it.
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// Independent runs with derived seeds.
    #[serde(default = "one_u32")]
    pub replications: u32,
    /// Stop simulating at this time even if workflows are unfinished.
    #[serde(default = "default_horizon")]
    pub horizon: Dur,
    /// Time-series sample interval.
    #[serde(default = "default_sample_interval")]
    pub sample_interval: Dur,
}
fn one_u64() -> u64 {
    1
}
fn one_u32() -> u32 {
    1
}
fn default_horizon() -> Dur {
    dur(d::HORIZON)
}
fn default_sample_interval() -> Dur {
    dur(d::SAMPLE_INTERVAL)
}
impl Default for ExperimentCfg {
    fn default() -> Self {
        ExperimentCfg {
            seed: 1,
            replications: 1,
            horizon: default_horizon(),
            sample_interval: default_sample_interval(),
        }
    }
}

/// `[cluster]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterCfg {
    /// Node pools (`[[cluster.pools]]`).
    pub pools: Vec<PoolCfg>,
    /// Fixed control-plane fee per hour (GKE/EKS: $0.10).
    #[serde(default = "default_cp_price")]
    pub control_plane_price_per_hour: f64,
}
fn default_cp_price() -> f64 {
    d::CONTROL_PLANE_PRICE_PER_HOUR
}

/// How allocatable is derived from capacity when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Reservation {
    /// GKE's kube-reserved ladder (CPU 6/1/0.5/0.25 %, memory 25/20/10/6/2 % + 100 MiB eviction).
    #[default]
    Gke,
    /// EKS/Karpenter: same CPU ladder; memory 255 MiB + 11 MiB × maxPods, 7.5 % VM overhead, 100 MiB eviction.
    Eks,
    /// Allocatable equals capacity.
    None,
}

/// `[[cluster.pools]]`: a group of identical nodes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolCfg {
    /// Pool name, unique.
    pub name: String,
    /// Machine type label, e.g. `n2-standard-16`.
    #[serde(default)]
    pub machine_type: String,
    /// CPU capacity of one node.
    pub cpu: Cpu,
    /// Memory capacity of one node.
    pub memory: Bytes,
    /// Allocatable CPU; derived from `reservation` when absent.
    pub allocatable_cpu: Option<Cpu>,
    /// Allocatable memory; derived from `reservation` when absent.
    pub allocatable_memory: Option<Bytes>,
    /// Provider reservation formula used when allocatable is not given.
    #[serde(default)]
    pub reservation: Reservation,
    /// kubelet `maxPods`.
    #[serde(default = "default_max_pods")]
    pub max_pods: u32,
    /// Price of one node per hour in USD.
    pub price_per_hour: f64,
    /// Spot / preemptible capacity: priced as given, preempted at `spot_interruptions_per_node_hour`.
    #[serde(default)]
    pub spot: bool,
    /// CPU architecture label.
    #[serde(default = "default_arch")]
    pub arch: String,
    /// Nodes at the start of the run (Ready at time zero).
    #[serde(default)]
    pub nodes: u32,
    /// Fewest nodes the autoscaler keeps (default: `nodes`).
    pub min_nodes: Option<u32>,
    /// Most nodes the autoscaler may create (default: `nodes`, i.e. a fixed pool).
    pub max_nodes: Option<u32>,
    /// Taint keys on the nodes (pods need a matching toleration), e.g. `["cloud.google.com/gke-spot"]`.
    #[serde(default)]
    pub taints: Vec<String>,
    /// Images already on every node of the pool (baked into the node image).
    #[serde(default)]
    pub prepulled_images: Vec<String>,
    /// Spot interruptions per node-hour (spot pools only; default 0.05/730).
    pub spot_interruptions_per_node_hour: Option<f64>,
    /// Spot notice before the VM stops (default: GKE 30 s, EKS 2 min).
    pub spot_notice: Option<Dur>,
    /// What spot preemption does to running pods.
    #[serde(default)]
    pub spot_shutdown: SpotShutdown,
    /// VM request → node Ready (default depends on `[autoscaler] mode`).
    pub provisioning_delay: Option<crate::dist::DurationDist>,
}

/// Pod outcome of a spot preemption (argo-facts §7, k8s-facts §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SpotShutdown {
    /// Graceful node shutdown: pods end Failed, "Pod was terminated in response to imminent
    /// node shutdown." (retried by OnFailure/Always).
    #[default]
    Graceful,
    /// The node vanishes: Argo marks the node Error "pod deleted" (retried by OnError/Always).
    PodDeleted,
}

/// `[storage]`: where steps read inputs and write outputs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageCfg {
    /// `nfs` (aggregate bandwidth shared by all active clients) or `bucket` (per-client
    /// bandwidth, request-rate limit).
    #[serde(default)]
    pub kind: StorageKind,
    /// NFS: aggregate bytes/s of the server (Filestore Basic HDD: 100 MiB/s).
    #[serde(default = "default_nfs_bw")]
    pub bandwidth: Bytes,
    /// Bytes/s one client can reach.
    #[serde(default = "default_client_bw")]
    pub per_client_bandwidth: Bytes,
    /// Bucket: object requests per second (GCS starts at ~5,000 reads/s).
    #[serde(default = "default_bucket_rps")]
    pub requests_per_sec: f64,
    /// Bucket: bytes per object request.
    #[serde(default = "default_object_size")]
    pub object_size: Bytes,
}
fn default_nfs_bw() -> Bytes {
    Bytes(100 * 1024 * 1024)
}
fn default_client_bw() -> Bytes {
    Bytes(100 * 1024 * 1024)
}
fn default_bucket_rps() -> f64 {
    5000.0
}
fn default_object_size() -> Bytes {
    Bytes(64 * 1024 * 1024)
}
impl Default for StorageCfg {
    fn default() -> Self {
        toml::from_str("").expect("empty storage table deserializes")
    }
}

/// Storage kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// NFS server (Filestore, EFS).
    #[default]
    Nfs,
    /// Object store (GCS, S3).
    Bucket,
}

/// `[[registries]]`: pull limits of a registry host (Docker Hub: 10 pulls/h per egress IP
/// anonymous, 100/h authenticated; k8s-facts §7.1).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryCfg {
    /// Host, e.g. `docker.io` (images without a host are docker.io).
    pub host: String,
    /// Manifest pulls per hour for the cluster's egress IP.
    pub pulls_per_hour: u32,
}

/// A task's `retryStrategy` (argo-facts §7).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetryCfg {
    /// `limit`: retries after the first attempt (unset = unlimited).
    pub limit: Option<u32>,
    /// `retryPolicy` (default OnFailure).
    #[serde(default)]
    pub policy: RetryPolicy,
    /// `backoff.duration` (default: retry at once).
    #[serde(default)]
    pub backoff: Dur,
    /// `backoff.factor`.
    #[serde(default = "default_factor")]
    pub factor: f64,
    /// `backoff.maxDuration`, from the first attempt's start.
    pub max_duration: Option<Dur>,
}
fn default_factor() -> f64 {
    1.0
}

/// `retryPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
pub enum RetryPolicy {
    /// Retry Failed nodes (main container failed) — Argo's default.
    #[default]
    OnFailure,
    /// Retry Error nodes (init/wait failed, pod deleted).
    OnError,
    /// Retry Failed/Error nodes whose message is a transient error ("pod deleted" is not).
    OnTransientError,
    /// Retry both.
    Always,
}
fn default_max_pods() -> u32 {
    d::MAX_PODS
}
fn default_arch() -> String {
    "amd64".into()
}

/// `[scheduler]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerCfg {
    /// Time of one scheduling cycle (sets throughput).
    #[serde(default = "default_schedule_latency")]
    pub schedule_latency: Dur,
    /// `podInitialBackoffSeconds`.
    #[serde(default = "default_pod_initial_backoff")]
    pub pod_initial_backoff: Dur,
    /// `podMaxBackoffSeconds`.
    #[serde(default = "default_pod_max_backoff")]
    pub pod_max_backoff: Dur,
    /// Score: `least-allocated` (default) or `most-allocated`.
    #[serde(default)]
    pub scoring: Scoring,
    /// Client QPS for binds.
    #[serde(default = "default_sched_qps")]
    pub qps: f64,
    /// Client burst.
    #[serde(default = "default_sched_burst")]
    pub burst: u32,
}
fn default_schedule_latency() -> Dur {
    dur(d::SCHEDULE_LATENCY)
}
fn default_pod_initial_backoff() -> Dur {
    dur(d::POD_INITIAL_BACKOFF)
}
fn default_pod_max_backoff() -> Dur {
    dur(d::POD_MAX_BACKOFF)
}
fn default_sched_qps() -> f64 {
    d::SCHEDULER_QPS
}
fn default_sched_burst() -> u32 {
    d::SCHEDULER_BURST
}
impl Default for SchedulerCfg {
    fn default() -> Self {
        toml::from_str("").expect("empty scheduler table deserializes")
    }
}

/// NodeResourcesFit scoring strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Scoring {
    /// Spread: prefer the node with the most free resources (kube-scheduler default).
    #[default]
    LeastAllocated,
    /// Bin-pack: prefer the fullest node that fits.
    MostAllocated,
}

/// `[kubelet]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KubeletCfg {
    /// Sandbox + CNI + container start with the image present.
    #[serde(default = "default_sandbox")]
    pub sandbox_start: Dur,
    /// Compressed image bytes pulled per second.
    #[serde(default = "default_pull_rate")]
    pub image_pull_bytes_per_sec: Bytes,
    /// Fixed cost of one pull.
    #[serde(default = "default_pull_overhead")]
    pub image_pull_overhead: Dur,
    /// `serializeImagePulls` (one pull at a time per node).
    #[serde(default = "default_true")]
    pub serialize_image_pulls: bool,
    /// The controller's executor image (configmap `executor.image`, `--executor-image`):
    /// the `init` and `wait` containers' image, pulled before the init container runs.
    #[serde(default = "default_executor_image")]
    pub executor_image: String,
    /// *Estimate*: compressed size of the executor image.
    #[serde(default = "default_executor_image_size")]
    pub executor_image_size: Bytes,
    /// Time of Argo's `init` container with no input artifacts.
    #[serde(default = "default_init_time")]
    pub init_container_time: Dur,
    /// Time of Argo's `wait` container after main exits.
    #[serde(default = "default_wait_time")]
    pub wait_container_time: Dur,
    /// `kubeAPIQPS` (status updates).
    #[serde(default = "default_kubelet_qps")]
    pub api_qps: f64,
    /// `kubeAPIBurst`.
    #[serde(default = "default_kubelet_burst")]
    pub api_burst: u32,
    /// `registryPullQPS` (refuses, never waits: "pull QPS exceeded").
    #[serde(default = "default_pull_qps")]
    pub registry_pull_qps: f64,
    /// `registryBurst`.
    #[serde(default = "default_pull_burst")]
    pub registry_burst: u32,
    /// GKE image streaming: any image starts after ~2 s.
    #[serde(default)]
    pub image_streaming: bool,
}
fn default_pull_qps() -> f64 {
    d::REGISTRY_PULL_QPS
}
fn default_pull_burst() -> u32 {
    d::REGISTRY_BURST
}
fn default_sandbox() -> Dur {
    dur(d::SANDBOX_START)
}
fn default_pull_rate() -> Bytes {
    Bytes(d::IMAGE_PULL_BYTES_PER_SEC)
}
fn default_pull_overhead() -> Dur {
    dur(d::IMAGE_PULL_OVERHEAD)
}
pub(super) fn default_true() -> bool {
    true
}
fn default_init_time() -> Dur {
    dur(d::INIT_CONTAINER_TIME)
}
fn default_wait_time() -> Dur {
    dur(d::WAIT_CONTAINER_TIME)
}
fn default_kubelet_qps() -> f64 {
    d::KUBELET_API_QPS
}
fn default_kubelet_burst() -> u32 {
    d::KUBELET_API_BURST
}
impl Default for KubeletCfg {
    fn default() -> Self {
        toml::from_str("").expect("empty kubelet table deserializes")
    }
}

/// Argo Server authentication mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Each request builds clientsets from the caller's token: a fresh bucket per request.
    #[default]
    Client,
    /// The server's shared clientsets (one bucket for all callers).
    Server,
}

/// `[argo_server]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArgoServerCfg {
    /// `--kube-api-qps`.
    #[serde(default = "default_server_qps")]
    pub kube_api_qps: f64,
    /// `--kube-api-burst`.
    #[serde(default = "default_server_burst")]
    pub kube_api_burst: u32,
    /// `--auth-mode`.
    #[serde(default)]
    pub auth_mode: AuthMode,
    /// `--api-rate-limit`: requests per second per client IP.
    #[serde(default = "default_api_rate_limit")]
    pub api_rate_limit: u32,
    /// v3.7 WorkflowTemplate informer cache (PR #13672): validation reads templates from the
    /// cache instead of GETs.
    #[serde(default)]
    pub template_cache: bool,
    /// ListWorkflows fixed cost (estimate).
    #[serde(default = "default_list_base")]
    pub list_latency_base: Dur,
    /// ListWorkflows cost per live workflow (estimate).
    #[serde(default = "default_list_per_wf")]
    pub list_latency_per_workflow: Dur,
}
fn default_list_base() -> Dur {
    dur(d::ARGO_SERVER_LIST_BASE)
}
fn default_list_per_wf() -> Dur {
    dur(d::ARGO_SERVER_LIST_PER_WORKFLOW)
}
fn default_api_rate_limit() -> u32 {
    d::ARGO_SERVER_API_RATE_LIMIT
}
fn default_server_qps() -> f64 {
    d::ARGO_SERVER_KUBE_API_QPS
}
fn default_server_burst() -> u32 {
    d::ARGO_SERVER_KUBE_API_BURST
}
impl Default for ArgoServerCfg {
    fn default() -> Self {
        toml::from_str("").expect("empty argo_server table deserializes")
    }
}

/// How a workflow reaches the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SubmitVia {
    /// `argo submit` without ARGO_SERVER: validation in-process, client-go 5 qps / 10 burst.
    #[default]
    ArgoCli,
    /// `argo submit` through the Argo Server.
    ArgoServer,
    /// `kubectl create`: no validation, one CREATE.
    Kubectl,
    /// A CronWorkflow: the controller's cron controller creates it through the controller's
    /// workflow clientset, without GETs (validation uses informers since PR #11470).
    Cron,
    /// An Argo Events sensor trigger: one sensor process (client-go 5 qps / 10 burst) creates
    /// every workflow of the stream, without validation.
    ArgoEvents,
}

/// Arrival process of a submission stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// One every `interval` (all at `start` when the interval is 0).
    #[default]
    Fixed,
    /// Poisson arrivals with mean gap `interval`.
    Poisson,
}

/// `[[submissions]]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionCfg {
    /// Name of a `[[workflows]]` entry.
    pub workflow: String,
    /// Submission path.
    #[serde(default)]
    pub via: SubmitVia,
    /// Number of workflows submitted.
    #[serde(default = "one_u32")]
    pub count: u32,
    /// Time of the first submission.
    #[serde(default)]
    pub start: Dur,
    /// Gap between submissions (fixed or mean).
    #[serde(default)]
    pub interval: Dur,
    /// Arrival process.
    #[serde(default)]
    pub arrival: Arrival,
    /// Parallel submitting clients (each its own process and client-go bucket).
    #[serde(default = "one_u32")]
    pub clients: u32,
    /// `argo submit -n`: the namespace the workflows are created in (unset: the workflow's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Shape of a workflow's entrypoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowKind {
    /// A `dag` template: tasks with `depends`.
    #[default]
    Dag,
    /// A `steps` template: sequential groups of parallel steps.
    Steps,
}

/// `[[workflows]]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowCfg {
    /// Name, referenced by submissions.
    pub name: String,
    /// `dag` or `steps`.
    #[serde(default)]
    pub kind: WorkflowKind,
    /// `spec.parallelism`: max active pods of one workflow (0 = unlimited).
    #[serde(default)]
    pub parallelism: u32,
    /// `spec.priority`: among workflows waiting for a parallelism slot, higher goes first,
    /// then earlier creation (the controller's throttler).
    #[serde(default)]
    pub priority: i32,
    /// `metadata.namespace` (for `namespace_parallelism`, and which controller manages it);
    /// a submission may submit it into another.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// The `workflows.argoproj.io/controller-instanceid` label: only the controller with this
    /// `instance_id` reconciles it (unset: a controller without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Size of the spec and metadata in the Workflow object.
    #[serde(default = "default_spec_bytes")]
    pub spec_bytes: Bytes,
    /// Tasks (DAG) or steps.
    pub tasks: Vec<TaskCfg>,
    /// Submitted as `--from workflowtemplate/<name>` (`workflowTemplateRef`).
    pub workflow_template_ref: Option<String>,
    /// `spec.podGC.strategy`.
    #[serde(default)]
    pub pod_gc: PodGcStrategy,
    /// `spec.ttlStrategy.secondsAfterCompletion`: delete the Workflow this long after it ends.
    pub ttl_after_completion: Option<Dur>,
    /// Workflow-level `synchronization.semaphores`: a key of `[controller.semaphores]`.
    pub semaphore: Option<String>,
    /// Workflow-level `synchronization.mutexes`: a mutex name.
    pub mutex: Option<String>,
}

/// `spec.podGC.strategy` (argo-facts §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
pub enum PodGcStrategy {
    /// No GC: completed pods are only labelled `completed=true`.
    #[default]
    #[serde(rename = "none")]
    None,
    /// Delete each pod when it completes.
    OnPodCompletion,
    /// Delete succeeded pods when they complete; label failed ones.
    OnPodSuccess,
    /// Delete all pods when the workflow completes.
    OnWorkflowCompletion,
    /// Delete all pods when the workflow succeeds.
    OnWorkflowSuccess,
}
fn default_namespace() -> String {
    d::DEFAULT_NAMESPACE.into()
}
fn default_spec_bytes() -> Bytes {
    Bytes(d::WORKFLOW_SPEC_BYTES)
}

/// `[[workflows.tasks]]`: one DAG task or step, run `width` times (withItems).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCfg {
    /// Task name, unique in its workflow.
    pub name: String,
    /// DAG: names of tasks that must succeed first.
    #[serde(default)]
    pub depends: Vec<String>,
    /// Steps: index of the sequential group (0, 1, 2, ...).
    pub group: Option<u32>,
    /// Fan-out: number of items (`withItems` length); 1 = no loop.
    #[serde(default = "one_u32")]
    pub width: u32,
    /// The step reports progress (`argo_progress` / a progress file): its periodic TaskResult
    /// patches change the object and requeue the workflow. Without it they change nothing,
    /// which the apiserver turns into a no-op that no informer sees.
    #[serde(default)]
    pub progress: bool,
    /// Template-level `parallelism` of the template running this fan-out: max active pods of
    /// this task (0 = unlimited).
    #[serde(default)]
    pub parallelism: u32,
    /// CPU request of the main container.
    #[serde(default)]
    pub cpu: Cpu,
    /// Memory request of the main container.
    #[serde(default)]
    pub memory: Bytes,
    /// Container image.
    #[serde(default = "default_image")]
    pub image: String,
    /// Compressed image size.
    #[serde(default = "default_image_size")]
    pub image_size: Bytes,
    /// Run time of the main container.
    pub duration: crate::dist::DurationDist,
    /// Probability that the main container exits non-zero.
    #[serde(default)]
    pub failure_probability: f64,
    /// Name of the WorkflowTemplate this task's template comes from (`templateRef`); each
    /// use costs GETs during validation (argo-facts §5.2).
    pub template_ref: Option<String>,
    /// Bytes of output parameters each pod node carries in the workflow status.
    #[serde(default)]
    pub output_parameter_bytes: Bytes,
    /// Template-level semaphore (a key of `[controller.semaphores]`), held by each pod.
    pub semaphore: Option<String>,
    /// Template-level mutex, held by each pod.
    pub mutex: Option<String>,
    /// Pools the pod may run on (nodeSelector / node affinity); empty = any pool.
    #[serde(default)]
    pub pools: Vec<String>,
    /// `kubernetes.io/arch` nodeSelector.
    pub arch: Option<String>,
    /// Tolerated taint keys.
    #[serde(default)]
    pub tolerations: Vec<String>,
    /// `retryStrategy`.
    pub retry: Option<RetryCfg>,
    /// Threads the main container uses (the run time `duration` is single-threaded).
    #[serde(default = "one_u32")]
    pub threads: u32,
    /// Amdahl parallel fraction of the work (1.0 = perfectly parallel).
    #[serde(default = "default_parallel_fraction")]
    pub parallel_fraction: f64,
    /// Input bytes the init container downloads through `[storage]`.
    #[serde(default)]
    pub read_bytes: Bytes,
    /// Output bytes the wait container uploads through `[storage]`.
    #[serde(default)]
    pub write_bytes: Bytes,
}
fn default_parallel_fraction() -> f64 {
    1.0
}
fn default_image() -> String {
    d::DEFAULT_IMAGE.into()
}
fn default_image_size() -> Bytes {
    Bytes(d::DEFAULT_IMAGE_SIZE)
}
fn default_executor_image() -> String {
    d::EXECUTOR_IMAGE.into()
}
fn default_executor_image_size() -> Bytes {
    Bytes(d::EXECUTOR_IMAGE_SIZE)
}
