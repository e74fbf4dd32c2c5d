//! Every default of the simulator in one place, each named after the upstream flag, variable or
//! source it mirrors. Values marked *estimate* have no upstream default; their doc comment says
//! what they stand for so a user can calibrate them.
//!
//! Sources: `shared/reference/argo-facts.md` (Argo v3.6.19) and `shared/reference/k8s-facts.md`.

/// workflow-controller `--qps` (argo-facts §1.1).
pub const CONTROLLER_QPS: f64 = 20.0;
/// workflow-controller `--burst` (argo-facts §1.1).
pub const CONTROLLER_BURST: u32 = 30;
/// workflow-controller `--workflow-workers` (argo-facts §1.1).
pub const WORKFLOW_WORKERS: u32 = 32;
/// workflow-controller `--pod-cleanup-workers` (argo-facts §1.1).
pub const POD_CLEANUP_WORKERS: u32 = 4;
/// `DEFAULT_REQUEUE_TIME`: the fixed delay of every `AddRateLimited` on `workflow_queue` (argo-facts §1.3).
pub const DEFAULT_REQUEUE_TIME: &str = "10s";
/// configmap `initialDelay`: delay of the informer's first add of a new workflow (argo-facts §1.4).
pub const INITIAL_DELAY: &str = "0s";
/// `workflowResyncPeriod`: every reconcile re-adds its key after this long (argo-facts §1.4/1.6).
pub const WORKFLOW_RESYNC_PERIOD: &str = "20m";
/// `MAX_OPERATION_TIME`: per-reconcile deadline, then requeue (argo-facts §1.5).
pub const MAX_OPERATION_TIME: &str = "30s";
/// `MAX_WORKFLOW_SIZE`: JSON size above which node statuses are compressed (argo-facts §4.3).
pub const MAX_WORKFLOW_SIZE: u64 = 1024 * 1024;
/// `DefaultTypedControllerRateLimiter` bucket of `pod_cleanup_queue`: 10 items/s (argo-facts §1.3).
pub const CLEANUP_QUEUE_QPS: f64 = 10.0;
/// `DefaultTypedControllerRateLimiter` bucket of `pod_cleanup_queue`: burst 100 (argo-facts §1.3).
pub const CLEANUP_QUEUE_BURST: u32 = 100;
/// `podGCDeleteDelayDuration` default 5s (argo-facts §6.5).
pub const POD_GC_DELETE_DELAY: &str = "5s";

/// Bytes of one completed pod node in `status.nodes` (argo-facts §4.2: synthetic realistic fan-out pod
/// node ~500–510 B, derived).
pub const POD_NODE_STATUS_BYTES: u64 = 505;
/// Bytes a pod node gains when it completes, included in [`POD_NODE_STATUS_BYTES`]
/// (derived by serializing the fields: `finishedAt` null → RFC 3339 +18 B,
/// `,"resourcesDuration":{"cpu":12,"memory":45}` +43 B, `,"outputs":{"exitCode":"0"}` +27 B,
/// phase `Running` → `Succeeded` +2 B).
pub const COMPLETED_POD_NODE_EXTRA_BYTES: u64 = 90;
/// Bytes of one virtual node (DAG, StepGroup, TaskGroup) (argo-facts §4.2: 370–440 B, derived).
pub const VIRTUAL_NODE_STATUS_BYTES: u64 = 400;
/// Bytes a child adds to its parent's `children` list (argo-facts §4.2: ~30 B, derived).
pub const CHILD_REF_BYTES: u64 = 30;
/// Bytes of one `taskResultsCompletionStatus` entry, never compressed (argo-facts §4.2: ~36 B).
pub const TASK_RESULT_STATUS_BYTES: u64 = 36;
/// gzip+base64 bytes per node once compressed (argo-facts §4.2: ~55 B/node, derived).
pub const COMPRESSED_NODE_BYTES: u64 = 55;
/// Workflow spec plus metadata size (argo-facts §4.2 table assumes a 5 KB spec).
pub const WORKFLOW_SPEC_BYTES: u64 = 5 * 1024;

/// *Estimate*: controller CPU time of one reconcile before per-node work (no upstream figure;
/// calibrate against `argo_workflows_operation_duration_seconds`).
pub const RECONCILE_BASE_CPU: &str = "2ms";
/// *Estimate*: controller CPU time per node held in the workflow during a reconcile
/// (status assessment, JSON marshal of the whole object).
pub const RECONCILE_PER_NODE_CPU: &str = "20us";

/// Argo Server `--kube-api-qps` (argo-facts §5.1).
pub const ARGO_SERVER_KUBE_API_QPS: f64 = 20.0;
/// Argo Server `--kube-api-burst` (argo-facts §5.1).
pub const ARGO_SERVER_KUBE_API_BURST: u32 = 30;
/// client-go `rest.DefaultQPS`, used by the argo CLI in kube mode and by kubectl (argo-facts §1.2).
pub const CLIENT_GO_DEFAULT_QPS: f64 = 5.0;
/// client-go `rest.DefaultBurst` (argo-facts §1.2).
pub const CLIENT_GO_DEFAULT_BURST: u32 = 10;

/// client-go's user-visible "Waited for ..." line above `extraLongThrottleLatency` (argo-facts §1.2).
pub const EXTRA_LONG_THROTTLE_LATENCY_US: u64 = 1_000_000;
/// client-go retries a 429 at most this many times (`rest.Request` `maxRetries` default 10).
pub const CLIENT_GO_MAX_RETRIES: u32 = 10;

/// kube-apiserver `--max-requests-inflight` (k8s-facts §1.1).
pub const MAX_REQUESTS_INFLIGHT: u32 = 400;
/// kube-apiserver `--max-mutating-requests-inflight` (k8s-facts §1.1).
pub const MAX_MUTATING_REQUESTS_INFLIGHT: u32 = 200;
/// kube-apiserver `MaxRequestBodyBytes` = 3 MiB (k8s-facts §1.1, argo-facts §4.4).
pub const MAX_REQUEST_BODY_BYTES: u64 = 3 * 1024 * 1024;
/// etcd `--max-request-bytes` = 1.5 MiB (k8s-facts §2).
pub const ETCD_MAX_REQUEST_BYTES: u64 = 1024 * 1024 * 3 / 2;
/// `Retry-After` seconds the max-in-flight filter sends with a 429 (apiserver `filters/maxinflight.go`).
pub const RETRY_AFTER: &str = "1s";
/// *Estimate*: service time of a single-object read (k8s-facts §10: mutating p50 ~10–50 ms, reads faster; SLO p99 ≤ 1 s).
pub const READ_LATENCY: &str = "5ms";
/// *Estimate*: service time of a single-object write, including the etcd commit (k8s-facts §10).
pub const WRITE_LATENCY: &str = "15ms";
/// *Estimate*: extra service time per MiB of request or response body (decode, convert, encode, etcd).
pub const LATENCY_PER_MIB: &str = "40ms";
/// *Estimate*: apiserver cores the requests share. A mid-size managed control plane; calibrate
/// from `process_cpu_seconds_total` of kube-apiserver against its request rate.
pub const APISERVER_CPU_CORES: f64 = 8.0;
/// *Estimate*: CPU of a single-object read (decode, authz, encode), within `READ_LATENCY`.
pub const APISERVER_READ_CPU: &str = "500us";
/// *Estimate*: CPU of a single-object write (decode, admission, validation, encode), within
/// `WRITE_LATENCY`.
pub const APISERVER_WRITE_CPU: &str = "1ms";
/// *Estimate*: CPU per MiB of a JSON body (custom resources are JSON only), within
/// `LATENCY_PER_MIB`.
pub const APISERVER_JSON_CPU_PER_MIB: &str = "20ms";
/// *Estimate*: CPU per MiB of a protobuf body (built-in resources), within `LATENCY_PER_MIB`.
pub const APISERVER_PROTOBUF_CPU_PER_MIB: &str = "5ms";
/// *Estimate*: CPU of one watch event sent to one watcher.
pub const APISERVER_WATCH_EVENT_CPU: &str = "20us";
/// *Estimate*: etcd commit latency (fsync + raft) of a write, within `WRITE_LATENCY`; calibrate
/// from `etcd_request_duration_seconds` / `etcd_disk_wal_fsync_duration_seconds`.
pub const ETCD_WRITE_LATENCY: &str = "5ms";
/// *Estimate*: etcd write throughput (small values, SSD, 3 members).
pub const ETCD_WRITES_PER_SEC: f64 = 5000.0;

/// kube-scheduler `podInitialBackoffSeconds` (k8s-facts §4.1).
pub const POD_INITIAL_BACKOFF: &str = "1s";
/// kube-scheduler `podMaxBackoffSeconds` (k8s-facts §4.1).
pub const POD_MAX_BACKOFF: &str = "10s";
/// One scheduling cycle: ~10 ms per pod at 100 pods/s measured throughput (k8s-facts §4.1, §8).
pub const SCHEDULE_LATENCY: &str = "10ms";
/// kube-scheduler client QPS (k8s-facts §1.5).
pub const SCHEDULER_QPS: f64 = 50.0;
/// kube-scheduler client burst (k8s-facts §1.5).
pub const SCHEDULER_BURST: u32 = 100;

/// kubelet `kubeAPIQPS` (k8s-facts §1.5).
pub const KUBELET_API_QPS: f64 = 50.0;
/// kubelet `kubeAPIBurst` (k8s-facts §1.5).
pub const KUBELET_API_BURST: u32 = 100;
/// kubelet `maxPods` (k8s-facts §3.1).
pub const MAX_PODS: u32 = 110;
/// *Estimate*: sandbox + CNI + container start with the image present; the SLO bounds it at
/// p99 ≤ 5 s (k8s-facts §3.2), typical is about a second.
pub const SANDBOX_START: &str = "1s";
/// *Estimate*: compressed image bytes pulled per second, gunzip-bound (k8s-facts §7.2: 50–100 MiB/s).
pub const IMAGE_PULL_BYTES_PER_SEC: u64 = 75 * 1024 * 1024;
/// *Estimate*: fixed cost of one pull (auth + manifest round trips; k8s-facts §7.2: 0.5–2 s).
pub const IMAGE_PULL_OVERHEAD: &str = "1s";
/// *Estimate*: `argoexec init` with no input artifacts (copies the emissary binary).
pub const INIT_CONTAINER_TIME: &str = "1s";
/// *Estimate*: wait container after main exits with no output artifacts (saves logs/params,
/// patches its WorkflowTaskResult; argo-facts §6.2).
pub const WAIT_CONTAINER_TIME: &str = "1s";
/// Default image of a task (the image of Argo's own examples).
pub const DEFAULT_IMAGE: &str = "argoproj/argosay:v2";
/// Default executor image of v3.6.19 (`cmd/workflow-controller`: `quay.io/argoproj/argoexec`
/// at the controller's version).
pub const EXECUTOR_IMAGE: &str = "quay.io/argoproj/argoexec:v3.6.19";
/// *Estimate*: compressed size of the argoexec image. argo-workflows issue #6196 reports
/// 130 MB on Docker Hub (2021); 128 MiB here, settable as `kubelet.executor_image_size`.
pub const EXECUTOR_IMAGE_SIZE: u64 = 128 * 1024 * 1024;
/// *Estimate*: compressed size of a task image when the scenario does not give one.
pub const DEFAULT_IMAGE_SIZE: u64 = 100 * 1024 * 1024;

/// Prometheus default `scrape_interval` (1m): time-series sample interval.
pub const SAMPLE_INTERVAL: &str = "1m";
/// Simulation horizon: a run still unfinished at this time is reported as such.
pub const HORIZON: &str = "72h";
/// Managed control-plane fee per cluster-hour (GKE and EKS both list $0.10/h).
pub const CONTROL_PLANE_PRICE_PER_HOUR: f64 = 0.10;

/// `ARGO_PROGRESS_PATCH_TICK_DURATION`: the wait container patches its TaskResult this often (argo-facts §6.2).
pub const PROGRESS_PATCH_TICK: &str = "1m";
/// Argo Server `--api-rate-limit`: requests per second per client IP (argo-facts §5.1).
pub const ARGO_SERVER_API_RATE_LIMIT: u32 = 1000;
/// kube-apiserver `--request-timeout` (k8s-facts §1.1); APF queue wait limit is a quarter of it.
pub const REQUEST_TIMEOUT: &str = "60s";
/// GETs of the first use of a distinct templateRef during validation (argo-facts §5.2, derived from v3.6 code).
pub const TEMPLATE_REF_FIRST_GETS: u32 = 3;
/// GETs of each later step/task using an already-seen templateRef (argo-facts §5.2).
pub const TEMPLATE_REF_LATER_GETS: u32 = 2;
/// GETs added by a top-level workflowTemplateRef at submission: 4 + 2N + k in all (argo-facts §11.2, `ValidateWorkflow`).
pub const WORKFLOW_TEMPLATE_REF_GETS: u32 = 4;
/// *Estimate*: size of a WorkflowTemplate object returned by a GET.
pub const WORKFLOW_TEMPLATE_BYTES: u64 = 8 * 1024;
/// Shares of the API Priority and Fairness levels (k8s-facts §1.2): NominalConcurrencyShares.
pub const APF_SHARES: [(&str, u32); 7] = [
    ("system", 30),
    ("node-high", 40),
    ("leader-election", 10),
    ("workload-high", 40),
    ("workload-low", 100),
    ("global-default", 20),
    ("catch-all", 5),
];
/// APF queuing per level, apiserver v0.32 `bootstrap/default.go` (k8s-facts §1.2): (name,
/// queues, hand size, queue length limit, lendable percent). `catch-all` rejects instead of
/// queuing (0 queues).
pub const APF_QUEUING: [(&str, u32, u32, u32, u32); 7] = [
    ("system", 64, 6, 50, 33),
    ("node-high", 64, 6, 50, 25),
    ("leader-election", 16, 4, 50, 0),
    ("workload-high", 128, 6, 50, 50),
    ("workload-low", 128, 6, 50, 90),
    ("global-default", 128, 6, 50, 50),
    ("catch-all", 0, 0, 0, 0),
];
/// Most an APF `Retry-After` grows to, seconds (`dropped_requests_tracker.go` `maxRetryAfter`).
pub const APF_MAX_RETRY_AFTER_S: i64 = 32;
/// `HEALTHZ_AGE`: /healthz fails if a workflow has stayed unreconciled this long (argo-facts §1.7).
pub const HEALTHZ_AGE: &str = "5m";
/// Liveness probe `periodSeconds` of the shipped controller Deployment (argo-facts §1.7).
pub const LIVENESS_PERIOD: &str = "60s";
/// Liveness probe `failureThreshold` of the shipped controller Deployment (argo-facts §1.7).
pub const LIVENESS_FAILURE_THRESHOLD: u32 = 3;
/// kubelet container restart backoff: starts at 10 s (`backOffPeriod`, k8s-facts §3.1) and
/// doubles up to `MaxContainerBackOff` = 300 s (CrashLoopBackOff).
pub const CONTAINER_RESTART_BACKOFF_INITIAL_US: u64 = 10_000_000;
/// kubelet `MaxContainerBackOff`.
pub const CONTAINER_RESTART_BACKOFF_MAX_US: u64 = 300_000_000;
/// *Estimate*: controller heap with no workflows (Go runtime, informer machinery).
pub const CONTROLLER_MEMORY_BASE: u64 = 64 * 1024 * 1024;
/// *Estimate*: heap bytes per byte of Workflow JSON held in the informer (decoded Go structs
/// plus the unstructured copy).
pub const CONTROLLER_MEMORY_PER_WORKFLOW_BYTE: f64 = 3.0;
/// *Estimate*: heap bytes per pod held in the pod informer.
pub const CONTROLLER_MEMORY_PER_POD: u64 = 16 * 1024;
/// etcd `--quota-backend-bytes` default 2 GiB (k8s-facts §2).
pub const ETCD_QUOTA_BACKEND_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// *Estimate*: Argo Server ListWorkflows fixed cost (v3.6 serves lists from its in-memory
/// SQLite store of live workflows, argo-facts §5.1).
pub const ARGO_SERVER_LIST_BASE: &str = "20ms";
/// *Estimate*: Argo Server ListWorkflows cost per live workflow (query + JSON encoding).
pub const ARGO_SERVER_LIST_PER_WORKFLOW: &str = "200us";
/// `SEMAPHORE_NOTIFY_DELAY`: a released lock requeues the next waiter after this (argo-facts §1.4).
pub const SEMAPHORE_NOTIFY_DELAY: &str = "1s";
/// cluster-autoscaler version assumed when `[autoscaler] version` is not set: the newest
/// release line (cluster-autoscaler-1.35.x), whose default expander is least-waste.
pub const CA_VERSION: &str = "1.35";
/// cluster-autoscaler `--scan-interval` (k8s-facts §4.2).
pub const CA_SCAN_INTERVAL: &str = "10s";
/// cluster-autoscaler `--scale-down-unneeded-time` (k8s-facts §4.2).
pub const CA_SCALE_DOWN_UNNEEDED_TIME: &str = "10m";
/// cluster-autoscaler `--scale-down-delay-after-add` (k8s-facts §4.2).
pub const CA_SCALE_DOWN_DELAY_AFTER_ADD: &str = "10m";
/// cluster-autoscaler `--max-nodes-per-scaleup` (k8s-facts §4.2).
pub const CA_MAX_NODES_PER_SCALEUP: u32 = 1000;
/// *Estimate*: CA request → node Ready on GKE: "usually 3 to 4 minutes" to schedulable (CA FAQ),
/// 60–240 s measured (k8s-facts §4.2–4.3): lognormal mean 150 s, sd 45 s.
pub const CA_PROVISIONING_MEAN: &str = "150s";
/// See [`CA_PROVISIONING_MEAN`].
pub const CA_PROVISIONING_STDDEV: &str = "45s";
/// Karpenter `BATCH_IDLE_DURATION` (k8s-facts §4.3).
pub const KARPENTER_BATCH_IDLE: &str = "1s";
/// Karpenter `BATCH_MAX_DURATION` (k8s-facts §4.3).
pub const KARPENTER_BATCH_MAX: &str = "10s";
/// Karpenter `consolidateAfter` default (k8s-facts §4.3).
pub const KARPENTER_CONSOLIDATE_AFTER: &str = "0s";
/// *Estimate*: Karpenter launch → Ready, "about 30–40 s" per a maintainer, 24–55 s measured
/// (k8s-facts §4.3): lognormal mean 45 s, sd 10 s.
pub const KARPENTER_PROVISIONING_MEAN: &str = "45s";
/// See [`KARPENTER_PROVISIONING_MEAN`].
pub const KARPENTER_PROVISIONING_STDDEV: &str = "10s";
/// Spot interruptions per node-hour when a spot pool gives none: the AWS Spot Advisor's most
/// common "<5 % per month" bucket, 0.05 / 730 h (k8s-facts §5).
pub const SPOT_INTERRUPTIONS_PER_NODE_HOUR: f64 = 0.05 / 730.0;
/// GCP spot/preemptible notice: 30 s (k8s-facts §5).
pub const GCP_SPOT_NOTICE: &str = "30s";
/// AWS spot interruption notice: 2 min (k8s-facts §5).
pub const AWS_SPOT_NOTICE: &str = "120s";
/// kubelet `registryPullQPS` (k8s-facts §3.1).
pub const REGISTRY_PULL_QPS: f64 = 5.0;
/// kubelet `registryBurst` (k8s-facts §3.1).
pub const REGISTRY_BURST: u32 = 10;
/// kubelet image pull back-off: initial `imageBackOffPeriod` 10 s (k8s-facts §3.1).
pub const IMAGE_BACKOFF_INITIAL: &str = "10s";
/// kubelet `MaxImageBackOff` 300 s (k8s-facts §3.1).
pub const IMAGE_BACKOFF_MAX: &str = "300s";
/// GKE image streaming: containers start in "a couple of seconds" regardless of size (k8s-facts §7.3).
pub const IMAGE_STREAMING_PULL: &str = "2s";
/// *Estimate*: one offload-table round trip (Postgres/MySQL insert or select of the node
/// status row, with its JSON). A reconcile of an offloaded workflow pays a read (hydrate) and
/// a write (dehydrate).
pub const OFFLOAD_LATENCY: &str = "15ms";
/// `INFORMER_WRITE_BACK`: write the controller's own update back into the informer; when
/// false the controller sleeps 1 s after each update instead (argo-facts §1.4).
pub const INFORMER_WRITE_BACK: bool = true;
/// The sleep after an update when `INFORMER_WRITE_BACK` is false (argo-facts §1.4).
pub const NO_WRITE_BACK_SLEEP: &str = "1s";
/// Namespace of a workflow when the scenario gives none (Argo's quick-start namespace).
pub const DEFAULT_NAMESPACE: &str = "argo";
/// Most shards one `[controller]`/`[[controllers]]` entry may expand into (a bound on the
/// scenario, not an Argo limit).
pub const MAX_CONTROLLER_SHARDS: u32 = 64;
/// Name of a controller that sets none (the Deployment of the install manifests).
pub const DEFAULT_CONTROLLER_NAME: &str = "workflow-controller";

/// client-go `record` broadcaster: incoming buffer length (`maxQueuedEvents`), dropped when
/// full (`watch.DropIfChannelFull`; argo-facts §11.1).
pub const EVENT_BROADCASTER_BUFFER: u32 = 1000;
/// Argo's `EventCorrelator` spam filter burst per involved object (`defaultSpamBurst`,
/// `workflow/events/event_recorder_manager.go`).
pub const EVENT_SPAM_BURST: f64 = 10_000.0;
/// client-go `defaultSpamQPS`: the spam filter refills 1 token per 300 s.
pub const EVENT_SPAM_QPS: f64 = 1.0 / 300.0;

// Limits. Timers that re-arm themselves get a minimum (a zero or microsecond period would
// re-queue the event at the same instant, or fill memory with events, before `horizon` is
// reached); counts and sizes are bounded by the resource budget (`crate::experiment::budget`).

/// Smallest `[autoscaler] scan_interval`. cluster-autoscaler takes any Go duration for
/// `--scan-interval`, but one scan (list pods and nodes, simulate scale-up) takes about a
/// second on a real cluster, so a shorter period only queues scans back to back. *Estimate*.
pub const MIN_SCAN_INTERVAL: &str = "1s";
/// Smallest Karpenter `batch_idle` / `batch_max`: `BATCH_IDLE_DURATION` and
/// `BATCH_MAX_DURATION` take any duration; 100 ms is a tenth of the 1 s idle default, far
/// below any tuned value seen. *Estimate*.
pub const MIN_KARPENTER_BATCH: &str = "100ms";
/// Smallest `controller.progress_patch_tick`: Argo parses `ARGO_PROGRESS_PATCH_TICK_DURATION`
/// as a Go duration with no bound; one WorkflowTaskResult PATCH per second per running pod
/// is already far beyond what the apiserver sustains at any size. *Estimate*.
pub const MIN_PROGRESS_PATCH_TICK: &str = "1s";
/// Smallest `experiment.sample_interval`: Prometheus' own `scrape_interval` is rarely set
/// below 1 s (its examples use 15 s); the simulator's series are gauges read at that rate.
/// *Estimate*.
pub const MIN_SAMPLE_INTERVAL: &str = "1s";
/// Smallest `controller.workflow_resync_period`: the informer resync is a Go duration; a
/// period under a second would re-add every workflow faster than a reconcile. *Estimate*.
pub const MIN_WORKFLOW_RESYNC_PERIOD: &str = "1s";
/// Smallest `controller.default_requeue_time` (`DEFAULT_REQUEUE_TIME`): any Go duration
/// upstream; 100 ms is a hundredth of the 10 s default. *Estimate*.
pub const MIN_DEFAULT_REQUEUE_TIME: &str = "100ms";
/// Smallest `scheduler.pod_initial_backoff`: kube-scheduler's `podInitialBackoffSeconds` is
/// an integer number of seconds and must be > 0 (KubeSchedulerConfiguration validation).
pub const MIN_POD_INITIAL_BACKOFF: &str = "1s";

/// Default of `--max-memory`: the resource budget refuses a run whose estimated memory is
/// above this. Sized for a 2-core, 24 GiB machine: 16 GiB leaves room for the OS and a
/// second process.
pub const MAX_MEMORY: u64 = 16 << 30;
/// Largest `--jobs`: more worker threads than this only add stacks and contention (a grid
/// point runs on one core); `--jobs` above it is refused.
pub const MAX_JOBS: usize = 256;
/// Budget: bytes per pod of one run, everything included (pod object, status node, its
/// ~10 API calls and their latency samples, scheduler and kubelet state). Measured: peak RSS
/// / pods ≈ 360 B at a 1,000,000-pod fan-out of one-minute pods (2026-11), plus what the
/// critical-path attribution keeps since (2026-12, from the sizes, not re-measured): the
/// pod's stage times (`PodTimes`, 11 × 8 B) and up to three 16-byte controller-activity
/// entries for its CREATE (bucket wait, at the apiserver, back to reconciling).
pub const BUDGET_POD_BYTES: u64 = 360 + 88 + 48;
/// Budget: bytes per API call beyond a pod's fixed ones (progress PATCHes): its latency
/// sample (`f64`). Calibrated on the market run: 6,202 pods and ~1.8 M progress PATCHes
/// peak at 17.7 MB RSS (~2.8 KiB/pod), estimated 18 MiB.
pub const BUDGET_API_CALL_BYTES: u64 = 8;
/// Budget: bytes per node (state, image cache, billing, per-node client bucket). *Estimate*.
pub const BUDGET_NODE_BYTES: u64 = 1024;
/// Budget: bytes per workflow run (object, queue entries, per-workflow report row). *Estimate*.
pub const BUDGET_WORKFLOW_BYTES: u64 = 2048;
/// Budget: bytes per submission client (its client-go bucket and stream state). *Estimate*.
pub const BUDGET_CLIENT_BYTES: u64 = 128;
/// Budget: bytes per controller worker (idle list entry, per-worker state). *Estimate*.
pub const BUDGET_WORKER_BYTES: u64 = 64;
/// Budget: fixed bytes of one run (world, queues, report skeleton). *Estimate*.
pub const BUDGET_RUN_BASE_BYTES: u64 = 1 << 20;
/// Budget: bytes of one grid row kept in memory per finished run (the headline metrics).
/// *Estimate*.
pub const BUDGET_ROW_BYTES: u64 = 1024;
