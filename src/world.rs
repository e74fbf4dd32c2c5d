//! The simulated world: every component's state, the closed [`Event`] enum, and the one
//! `match` that dispatches events to models. One [`World`] is one run; it is a pure function
//! of the scenario and the seed.
//!
//! Event flow of one workflow: `Submit` → client bucket → `ApiArrive`/`ApiDone` (CREATE
//! Workflow) → informer add → `workflow_queue` → a worker reconciles (`WorkerStep`): pod
//! statuses are read from the informer, ready tasks get pods (CREATE through the controller's
//! kube bucket, bounded by `MAX_OPERATION_TIME` and `resourceRateLimit`), the whole object is
//! written back (PUT through the workflow bucket). Pods go to the scheduler (`SchedulerCycle`,
//! bind), then the kubelet (`Kubelet`: sandbox, image pull, init, main, wait), whose status
//! PATCHes make the pod informer requeue the workflow after `DEFAULT_REQUEUE_TIME`. Completed
//! pods are labelled through `pod_cleanup_queue`.
//!
//! Around it: nodes come and go (cluster-autoscaler or Karpenter-like scale-up, empty-node
//! scale-down, spot preemption with Argo's retryStrategy deciding recovery), the kubelet pulls
//! images under registryPullQPS, steps read and write through shared storage, and the
//! controller can run out of CPU or memory and restart.
//!
//! Simplified: informers are instantaneous (no watch lag); the controller's three clientsets
//! are modelled as two buckets (kube, workflow; the dynamic client only LISTs on relist);
//! update conflicts are not modelled (only the controller writes workflows here); the
//! argoexec executor is one unthrottled client (each pod's own 5/10 bucket is never the limit
//! for ~3 writes plus one per minute).

use crate::argo::cpu::ProcessorSharing;
use crate::argo::templates::validation_gets;
use crate::argo::workflow::{Storage, WfPhase, WorkflowRun};
use crate::argo::workqueue::WorkQueue;
use crate::engine::{EventQueue, RngStream, SimTime, TimerId};
use crate::kube::apiserver::{Admission, ApiServer, ETCD_TOO_LARGE, Level, Verb};
use crate::kube::nodes::NodeState;
use crate::kube::nodes::Nodes;
use crate::kube::ratelimit::TokenBucket;
use crate::kube::storage::SharedLink;
use crate::metrics::*;
use crate::scenario::Scenario;
use crate::scenario::defaults as d;
use crate::scenario::schema::{Arrival, AuthMode, PodGcStrategy, SubmitVia, WorkflowKind};
use crate::scenario::schema::{AutoscalerMode, Expander, RetryPolicy, SpotShutdown, StorageKind};
use crate::units::parse_duration;
use indexmap::IndexMap;
use rand::RngExt;
use rand_distr::{Distribution, Exp};
use std::collections::{BTreeMap, VecDeque};

/// *Estimate*: size of an Argo pod object (main + init + wait containers, volumes, labels).
const POD_OBJECT_BYTES: u64 = 6 * 1024;
/// *Estimate*: size of a Kubernetes Event or a small PATCH body.
const SMALL_BODY_BYTES: u64 = 1024;

/// Every event of the simulation. Fields are indices into the world's tables (`stream`:
/// submission stream, `idx`: arrival number, `call`: API request, `wf`: workflow, `worker`:
/// controller worker, `pod`: pod) or the time a timer was set for (`at`).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// Submission `idx` of stream `stream` arrives.
    Submit { stream: usize, idx: u32 },
    /// A request leaves its client's bucket and reaches the apiserver.
    ApiArrive { call: usize },
    /// A request's service time is over.
    ApiDone { call: usize },
    /// A 429'd request's Retry-After elapsed: it goes through its bucket again.
    ApiRetry { call: usize },
    /// A request queued by API Priority and Fairness reached the queue-wait limit.
    ApfTimeout { call: usize },
    /// A delayed `workflow_queue` add matures.
    QueueTimer { wf: usize, at: SimTime },
    /// A worker's CPU time for the current reconcile is over.
    WorkerCpuDone { worker: usize, epoch: u32 },
    /// The next reconcile finishes on the controller's shared CPU.
    CpuTick { epoch: u32 },
    /// A worker's offload-database round trips are done.
    OffloadDone { worker: usize, epoch: u32 },
    /// A worker's post-update sleep (INFORMER_WRITE_BACK=false) is over.
    WorkerSleepDone { worker: usize, epoch: u32 },
    /// The controller process (re)starts after a crash and wins the leader election.
    ControllerStart { epoch: u32 },
    /// The kubelet probes the controller's /healthz.
    Liveness,
    /// A pod_cleanup_queue item passed the queue's rate limiter.
    CleanupReady { pod: usize },
    /// The scheduler finishes one cycle.
    SchedulerCycle,
    /// An unschedulable pod's backoff expired.
    PodBackoffDone { pod: usize },
    /// Kubelet progress of a pod.
    Kubelet { pod: usize, stage: KubeletStage },
    /// A running pod's wait container patches its TaskResult (progress tick).
    ProgressTick { pod: usize },
    /// A completed workflow's TTL expired: the TTL controller deletes it.
    WorkflowTtl { wf: usize },
    /// A transfer through `[storage]` finishes.
    StorageTick,
    /// A requested node becomes Ready.
    NodeReady { node: usize },
    /// A spot node receives its preemption notice.
    SpotNotice { node: usize },
    /// A preempted spot node stops.
    SpotGone { node: usize },
    /// A pod on a vanished node is removed by PodGC (Argo then sees "pod deleted").
    PodGone { pod: usize },
    /// cluster-autoscaler scan (also Karpenter's empty-node consolidation).
    AutoscalerScan,
    /// A Karpenter batching window may have closed.
    KarpenterBatch { at: SimTime },
    /// Time-series sample.
    Sample,
}

/// Kubelet stages of a pod after binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeletStage {
    /// Sandbox up: the kubelet checks/pulls the image.
    PullCheck,
    /// Image present: the init container starts.
    InitStart,
    /// Init done: main (and wait) start.
    MainStart,
    /// Main exited: the wait container saves outputs.
    MainExit,
    /// Main and wait exited.
    Exit,
}

/// Who is waiting for an API response.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Submit {
        wf: usize,
        stream: usize,
        slot: usize,
    },
    Worker {
        worker: usize,
        epoch: u32,
    },
    Relist {
        epoch: u32,
    },
    Cleanup {
        pod: usize,
    },
    Bind {
        pod: usize,
        node: usize,
    },
    KubeletStatus {
        pod: usize,
    },
    TaskResult {
        pod: usize,
        finalize: bool,
    },
    WorkflowDeleted {
        wf: usize,
    },
    FireAndForget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    TooMany,
    TooLarge,
    EtcdTooLarge,
}

#[derive(Debug, Clone)]
struct ApiCall {
    client: usize,
    verb: Verb,
    resource: &'static str,
    bytes: u64,
    origin: Origin,
    attempts: u32,
    first: SimTime,
}

#[derive(Debug, Clone)]
struct Client {
    name: &'static str,
    level: Level,
    bucket: TokenBucket,
    qps: f64,
    burst: u32,
}

#[derive(Debug, Default, Clone)]
struct ThrottleAcc {
    qps: f64,
    burst: u32,
    requests: u64,
    throttled: u64,
    logged: u64,
    total: f64,
    max: f64,
    worst: String,
}

#[derive(Debug, Default, Clone)]
struct ApiAcc {
    count: u64,
    errors: u64,
    by_status: BTreeMap<u16, u64>,
    latencies: Vec<f64>,
}

/// Pending reasons, in the order the report lists them.
const REASONS: [&str; 6] = [
    "Pending",
    "Unschedulable",
    "ContainerCreating",
    "PodInitializing",
    "ErrImagePull",
    "ImagePullBackOff",
];
const R_UNSCHEDULABLE: u8 = 1;
const R_CONTAINER_CREATING: u8 = 2;
const R_POD_INITIALIZING: u8 = 3;
const R_ERR_IMAGE_PULL: u8 = 4;
const R_IMAGE_PULL_BACKOFF: u8 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PodState {
    Pending(u8),
    Running,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone)]
struct Pod {
    wf: usize,
    task: u32,
    cpu: u64,
    mem: u64,
    image: usize,
    state: PodState,
    /// What the controller has recorded in the workflow status.
    recorded: PodState,
    /// What the informer shows.
    observed: PodState,
    since: SimTime,
    node: Option<usize>,
    created_at: SimTime,
    main_start: SimTime,
    run_time: SimTime,
    fails: bool,
    sched_attempts: u32,
    backoff_until: SimTime,
    unsched_msg: String,
    cleanup_enqueued: SimTime,
    cleanup_delete: bool,
    deleted: bool,
    task_result_done: bool,
    left_informer: bool,
    killed: bool,
    fail_error: bool,
    fail_msg: &'static str,
    attempt: u32,
    first_start: SimTime,
    pull_requested_at: SimTime,
    pull_dispatch_pending: bool,
    pull_failures: u32,
    after_transfer: (KubeletStage, SimTime),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// First reconcile: validation GETs of WorkflowTemplates.
    Validating,
    /// Reconcile CPU.
    Cpu,
    /// Pod CREATEs.
    Creating,
    /// Workflow PUT.
    Persisting,
}

/// A pod to create: task, retry attempt, and when the item's first attempt was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlanItem {
    task: u32,
    attempt: u32,
    first_start: SimTime,
}

#[derive(Debug, Clone)]
struct Reconcile {
    wf: usize,
    started: SimTime,
    deadline: SimTime,
    plan: VecDeque<PlanItem>,
    requeue: bool,
    updated: bool,
    body: u64,
    stage: Stage,
    gets_left: u32,
    became_running: u32,
    became_done: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
struct LockState {
    holders: u32,
    waiters: VecDeque<usize>,
}

#[derive(Debug, Clone)]
struct Submitter {
    client: usize,
    api_limit: TokenBucket,
    busy: bool,
    waiting: VecDeque<(usize, SimTime)>,
}

/// The whole simulated system during one run.
pub struct World<'s> {
    sc: &'s Scenario,
    q: EventQueue<Event>,
    rng_run: RngStream,
    rng_fail: RngStream,
    api: ApiServer,
    clients: Vec<Client>,
    calls: Vec<Option<ApiCall>>,
    free_calls: Vec<usize>,
    nodes: Nodes,
    wfs: Vec<WorkflowRun>,
    pods: Vec<Pod>,
    wq: WorkQueue,
    workers: Vec<Option<Reconcile>>,
    idle_workers: Vec<usize>,
    throttled_wfs: VecDeque<usize>,
    running_wfs: u32,
    running_by_ns: Vec<u32>,
    rrl: Option<TokenBucket>,
    cleanup_bucket: TokenBucket,
    cleanup_ready: VecDeque<usize>,
    cleanup_idle: u32,
    sched_active: VecDeque<usize>,
    sched_unsched: VecDeque<usize>,
    sched_busy: bool,
    submitters: Vec<Vec<Submitter>>,
    server_client: usize,
    argoexec_client: usize,
    node_clients: Vec<usize>,
    workflows_deleted: u64,
    pods_deleted: u64,
    epoch: u32,
    queue_adds_before: u64,
    queue_depth_before: usize,
    cpu: ProcessorSharing,
    cpu_timer: Option<TimerId>,
    ctrl_down: bool,
    down_since: SimTime,
    downtime: SimTime,
    restarts: u64,
    restart_causes: IndexMap<String, u64>,
    aborted_reconciles: u64,
    offload_round_trips: u64,
    relists_pending: u32,
    liveness_failures: u32,
    liveness_period: SimTime,
    informer_wf_bytes: u64,
    etcd_wf_bytes: u64,
    informer_pods: u64,
    peak_memory: u64,
    wfs_in_cluster: u64,
    wfs_in_cluster_peak: u64,
    locks: Vec<LockState>,
    rng_cluster: RngStream,
    storage: SharedLink,
    storage_timer: Option<TimerId>,
    bucket_requests: TokenBucket,
    image_registry: Vec<Option<usize>>,
    registry_buckets: Vec<TokenBucket>,
    pull_errors: IndexMap<String, u64>,
    image_backoff: SimTime,
    image_backoff_max: SimTime,
    image_streaming_time: SimTime,
    karpenter_open: Option<SimTime>,
    karpenter_deadline: Option<SimTime>,
    last_scale_up: Option<SimTime>,
    nodes_added: u64,
    nodes_removed: u64,
    pool_peak: Vec<u32>,
    spot_preemptions: u64,
    pods_killed: u64,
    retries: u64,
    lock_waits: u64,
    lock_messages: IndexMap<String, u64>,
    semaphore_notify_delay: SimTime,
    no_write_back_sleep: SimTime,
    pods_in_cluster: u64,
    etcd_peak: u64,
    arrivals_left: u64,
    unfinished_wfs: u64,
    // metrics
    api_acc: BTreeMap<(&'static str, Verb, &'static str), ApiAcc>,
    throttle: IndexMap<&'static str, ThrottleAcc>,
    status_429: u64,
    apf_timeouts: u64,
    status_413: u64,
    etcd_too_large: u64,
    reason_seconds: [f64; 6],
    reason_pods: [u64; 6],
    reason_now: [u64; 6],
    running_pods: u64,
    queue_latency: Vec<f64>,
    op_durations: Vec<f64>,
    deadline_exceeded: u64,
    rrl_refused: u64,
    reconciles: u64,
    pods_created: u64,
    cleanups: u64,
    cleanup_latency: Vec<f64>,
    cleanup_max_depth: u64,
    workers_busy_max: u64,
    parallelism_held: u64,
    sched_wait: Vec<f64>,
    pull_wait: Vec<f64>,
    startup: Vec<f64>,
    image_pulls: u64,
    last_finish: SimTime,
    last_pod_exit: SimTime,
    ts: TimeSeries,
}

const CTRL_KUBE: usize = 0;
const CTRL_WF: usize = 1;
const SCHEDULER: usize = 2;

impl<'s> World<'s> {
    /// Build the world at time zero for `seed`.
    pub fn new(sc: &'s Scenario, seed: u64) -> Self {
        let f = &sc.file;
        let c = &f.controller;
        let mut clients = vec![
            Client::new("workflow-controller (kube)", c.qps, c.burst),
            Client::new("workflow-controller (workflow)", c.qps, c.burst),
            Client::new("kube-scheduler", f.scheduler.qps, f.scheduler.burst),
        ];
        let server_client = clients.len();
        clients.push(Client::new(
            "argo-server",
            f.argo_server.kube_api_qps,
            f.argo_server.kube_api_burst,
        ));
        let mut submitters = Vec::new();
        for s in &sc.submissions {
            let mut v: Vec<Submitter> = Vec::new();
            for _ in 0..s.cfg.clients {
                let client = match s.cfg.via {
                    SubmitVia::ArgoServer if f.argo_server.auth_mode == AuthMode::Server => {
                        server_client
                    }
                    SubmitVia::ArgoServer => {
                        clients.push(Client::new(
                            "argo-server",
                            f.argo_server.kube_api_qps,
                            f.argo_server.kube_api_burst,
                        ));
                        clients.len() - 1
                    }
                    SubmitVia::ArgoCli => {
                        clients.push(Client::new(
                            "argo-cli",
                            d::CLIENT_GO_DEFAULT_QPS,
                            d::CLIENT_GO_DEFAULT_BURST,
                        ));
                        clients.len() - 1
                    }
                    SubmitVia::Kubectl => {
                        clients.push(Client::new(
                            "kubectl",
                            d::CLIENT_GO_DEFAULT_QPS,
                            d::CLIENT_GO_DEFAULT_BURST,
                        ));
                        clients.len() - 1
                    }
                    SubmitVia::Cron => CTRL_WF,
                    SubmitVia::ArgoEvents => {
                        // One sensor per stream: all its slots share the sensor's bucket.
                        match v.first() {
                            Some(first) => first.client,
                            None => {
                                clients.push(Client::new(
                                    "argo-events-sensor",
                                    d::CLIENT_GO_DEFAULT_QPS,
                                    d::CLIENT_GO_DEFAULT_BURST,
                                ));
                                clients.len() - 1
                            }
                        }
                    }
                };
                v.push(Submitter {
                    client,
                    api_limit: TokenBucket::new(
                        f64::from(f.argo_server.api_rate_limit),
                        f.argo_server.api_rate_limit,
                    ),
                    busy: false,
                    waiting: VecDeque::new(),
                });
            }
            submitters.push(v);
        }
        let nodes = Nodes::new(
            &sc.pools,
            sc.images.len(),
            f.scheduler.scoring,
            f.kubelet.registry_pull_qps,
            f.kubelet.registry_burst,
        );
        // Each pod's executor has its own client-go bucket (5 qps / 10 burst) that its ~3
        // writes plus one per minute never exhaust: modelled as one unthrottled client.
        let argoexec_client = clients.len();
        clients.push(Client::new("argoexec", f64::INFINITY, u32::MAX));
        let kubelet_client0 = clients.len();
        let nodes_initial = nodes.nodes.len();
        for _ in 0..nodes.nodes.len() {
            clients.push(Client::new(
                "kubelet",
                f.kubelet.api_qps,
                f.kubelet.api_burst,
            ));
        }
        let mut throttle = IndexMap::new();
        for cl in &clients {
            throttle.entry(cl.name).or_insert(ThrottleAcc {
                qps: cl.qps,
                burst: cl.burst,
                ..Default::default()
            });
        }
        let workers = c.workflow_workers as usize;
        let mut ts = TimeSeries {
            interval_s: f.experiment.sample_interval.as_secs_f64(),
            ..Default::default()
        };
        for name in SERIES {
            ts.series.insert(name.to_string(), Vec::new());
        }
        World {
            sc,
            q: EventQueue::new(),
            rng_run: RngStream::new(seed, "pod-durations"),
            rng_fail: RngStream::new(seed, "pod-failures"),
            api: ApiServer::new(f.apiserver.clone()),
            clients,
            calls: Vec::new(),
            free_calls: Vec::new(),
            nodes,
            wfs: Vec::new(),
            pods: Vec::new(),
            wq: WorkQueue::new(),
            workers: vec![None; workers],
            idle_workers: (0..workers).rev().collect(),
            throttled_wfs: VecDeque::new(),
            running_wfs: 0,
            running_by_ns: vec![0; sc.namespaces.len()],
            rrl: c
                .resource_rate_limit
                .map(|r| TokenBucket::new(r.limit, r.burst)),
            cleanup_bucket: TokenBucket::new(d::CLEANUP_QUEUE_QPS, d::CLEANUP_QUEUE_BURST),
            cleanup_ready: VecDeque::new(),
            cleanup_idle: c.pod_cleanup_workers,
            sched_active: VecDeque::new(),
            sched_unsched: VecDeque::new(),
            sched_busy: false,
            submitters,
            server_client,
            argoexec_client,
            node_clients: (kubelet_client0..kubelet_client0 + nodes_initial).collect(),
            workflows_deleted: 0,
            pods_deleted: 0,
            epoch: 0,
            queue_adds_before: 0,
            queue_depth_before: 0,
            cpu: ProcessorSharing::new(c.cpu.0 as f64 / 1000.0),
            cpu_timer: None,
            ctrl_down: false,
            down_since: SimTime::ZERO,
            downtime: SimTime::ZERO,
            restarts: 0,
            restart_causes: IndexMap::new(),
            aborted_reconciles: 0,
            offload_round_trips: 0,
            relists_pending: 0,
            liveness_failures: 0,
            liveness_period: SimTime(parse_duration(d::LIVENESS_PERIOD).expect("constant")),
            informer_wf_bytes: 0,
            etcd_wf_bytes: 0,
            informer_pods: 0,
            peak_memory: 0,
            wfs_in_cluster: 0,
            wfs_in_cluster_peak: 0,
            locks: vec![LockState::default(); sc.locks.len()],
            rng_cluster: RngStream::new(seed, "cluster"),
            storage: SharedLink::new(
                f.storage.bandwidth.0 as f64,
                f.storage.per_client_bandwidth.0 as f64,
            ),
            storage_timer: None,
            bucket_requests: TokenBucket::new(
                f.storage.requests_per_sec,
                f.storage.requests_per_sec.max(1.0) as u32,
            ),
            image_registry: sc
                .images
                .iter()
                .map(|img| {
                    let host = registry_host(img);
                    f.registries.iter().position(|r| r.host == host)
                })
                .collect(),
            registry_buckets: f
                .registries
                .iter()
                .map(|r| TokenBucket::new(f64::from(r.pulls_per_hour) / 3600.0, r.pulls_per_hour))
                .collect(),
            pull_errors: IndexMap::new(),
            image_backoff: SimTime(parse_duration(d::IMAGE_BACKOFF_INITIAL).expect("constant")),
            image_backoff_max: SimTime(parse_duration(d::IMAGE_BACKOFF_MAX).expect("constant")),
            image_streaming_time: SimTime(
                parse_duration(d::IMAGE_STREAMING_PULL).expect("constant"),
            ),
            karpenter_open: None,
            karpenter_deadline: None,
            last_scale_up: None,
            nodes_added: 0,
            nodes_removed: 0,
            pool_peak: sc.pools.iter().map(|p| p.nodes).collect(),
            spot_preemptions: 0,
            pods_killed: 0,
            retries: 0,
            lock_waits: 0,
            lock_messages: IndexMap::new(),
            semaphore_notify_delay: SimTime(
                parse_duration(d::SEMAPHORE_NOTIFY_DELAY).expect("constant"),
            ),
            no_write_back_sleep: SimTime(parse_duration(d::NO_WRITE_BACK_SLEEP).expect("constant")),
            pods_in_cluster: 0,
            etcd_peak: 0,
            arrivals_left: 0,
            unfinished_wfs: 0,
            api_acc: BTreeMap::new(),
            throttle,
            status_429: 0,
            apf_timeouts: 0,
            status_413: 0,
            etcd_too_large: 0,
            reason_seconds: [0.0; 6],
            reason_pods: [0; 6],
            reason_now: [0; 6],
            running_pods: 0,
            queue_latency: Vec::new(),
            op_durations: Vec::new(),
            deadline_exceeded: 0,
            rrl_refused: 0,
            reconciles: 0,
            pods_created: 0,
            cleanups: 0,
            cleanup_latency: Vec::new(),
            cleanup_max_depth: 0,
            workers_busy_max: 0,
            parallelism_held: 0,
            sched_wait: Vec::new(),
            pull_wait: Vec::new(),
            startup: Vec::new(),
            image_pulls: 0,
            last_finish: SimTime::ZERO,
            last_pod_exit: SimTime::ZERO,
            ts,
        }
        .with_arrivals(seed)
    }

    fn with_arrivals(mut self, seed: u64) -> Self {
        for (si, s) in self.sc.submissions.iter().enumerate() {
            let mut rng = RngStream::new(seed, &format!("arrivals/{si}"));
            let mut t = SimTime(s.cfg.start.0);
            for idx in 0..s.cfg.count {
                if idx > 0 {
                    let gap = match s.cfg.arrival {
                        Arrival::Fixed => SimTime(s.cfg.interval.0),
                        Arrival::Poisson => {
                            let mean = s.cfg.interval.as_secs_f64();
                            let x: f64 = Exp::new(1.0 / mean)
                                .map(|e| e.sample(&mut *rng))
                                .unwrap_or(mean);
                            SimTime::from_secs_f64_ceil(x)
                        }
                    };
                    t = t.plus(gap);
                }
                self.q.schedule_at(t, Event::Submit { stream: si, idx });
                self.arrivals_left += 1;
            }
        }
        self.q.schedule_at(SimTime::ZERO, Event::Sample);
        // Spot preemption clocks of the initial nodes; the autoscaler's scan loop.
        for n in 0..self.nodes.nodes.len() {
            self.schedule_spot(n);
        }
        if self.sc.file.autoscaler.mode != AutoscalerMode::None {
            self.q.schedule_at(SimTime::ZERO, Event::AutoscalerScan);
        }
        // The shipped Deployment's liveness probe: initialDelaySeconds 90, then every 60 s.
        self.q.schedule_at(SimTime::from_secs(90), Event::Liveness);
        self
    }

    /// Run to completion or the horizon and build the report.
    pub fn run(mut self, replication: u32, seed: u64) -> RunReport {
        let horizon = SimTime(self.sc.file.experiment.horizon.0);
        while let Some((_, ev)) = self.q.pop_until(horizon) {
            self.handle(ev);
        }
        let horizon_reached = self.arrivals_left > 0 || self.unfinished_wfs > 0;
        // The run ends when the last workflow finished and the last pod exited (pods of a
        // workflow that errored keep running and keep their nodes busy).
        let end = if horizon_reached {
            horizon
        } else {
            self.last_finish.max(self.last_pod_exit)
        };
        self.report(replication, seed, end, horizon_reached)
    }

    fn now(&self) -> SimTime {
        self.q.now()
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Submit { stream, idx } => self.on_submit(stream, idx),
            Event::ApiArrive { call } => self.on_api_arrive(call),
            Event::ApiDone { call } => self.on_api_done(call),
            Event::ApiRetry { call } => self.throttle_and_send(call),
            Event::ApfTimeout { call } => self.on_apf_timeout(call),
            Event::QueueTimer { wf, at } => {
                let now = self.now();
                self.wq.timer_fired(wf, at, now);
                self.start_workers();
            }
            Event::WorkerCpuDone { worker, epoch } => {
                if epoch == self.epoch {
                    self.on_worker_cpu_done(worker);
                }
            }
            Event::WorkerSleepDone { worker, epoch } => {
                if epoch == self.epoch {
                    self.finish_reconcile(worker);
                }
            }
            Event::OffloadDone { worker, epoch } => {
                if epoch == self.epoch {
                    self.put_workflow(worker);
                }
            }
            Event::CpuTick { epoch } => {
                if epoch == self.epoch {
                    self.on_cpu_tick();
                }
            }
            Event::ControllerStart { epoch } => {
                if epoch == self.epoch {
                    self.on_controller_start();
                }
            }
            Event::Liveness => self.on_liveness(),
            Event::CleanupReady { pod } => {
                self.cleanup_ready.push_back(pod);
                self.cleanup_max_depth =
                    self.cleanup_max_depth.max(self.cleanup_ready.len() as u64);
                self.cleanup_start();
            }
            Event::SchedulerCycle => self.on_scheduler_cycle(),
            Event::PodBackoffDone { pod } => {
                self.sched_active.push_back(pod);
                self.sched_kick();
            }
            Event::Kubelet { pod, stage } => self.on_kubelet(pod, stage),
            Event::ProgressTick { pod } => self.on_progress_tick(pod),
            Event::WorkflowTtl { wf } => {
                self.issue(
                    CTRL_WF,
                    Verb::Delete,
                    "workflows",
                    SMALL_BODY_BYTES,
                    Origin::WorkflowDeleted { wf },
                );
            }
            Event::StorageTick => self.on_storage_tick(),
            Event::NodeReady { node } => self.on_node_ready(node),
            Event::SpotNotice { node } => self.on_spot_notice(node),
            Event::SpotGone { node } => self.on_spot_gone(node),
            Event::PodGone { pod } => self.on_pod_status_visible(pod),
            Event::AutoscalerScan => self.on_autoscaler_scan(),
            Event::KarpenterBatch { at } => {
                if self.karpenter_deadline == Some(at) {
                    self.karpenter_deadline = None;
                    self.karpenter_open = None;
                    self.scale_up(true);
                }
            }
            Event::Sample => self.on_sample(),
        }
    }

    // ---------------------------------------------------------------- API path

    fn issue(
        &mut self,
        client: usize,
        verb: Verb,
        resource: &'static str,
        bytes: u64,
        origin: Origin,
    ) {
        let now = self.now();
        let call = ApiCall {
            client,
            verb,
            resource,
            bytes,
            origin,
            attempts: 0,
            first: now,
        };
        let id = match self.free_calls.pop() {
            Some(i) => {
                self.calls[i] = Some(call);
                i
            }
            None => {
                self.calls.push(Some(call));
                self.calls.len() - 1
            }
        };
        self.throttle_and_send(id);
    }

    fn throttle_and_send(&mut self, id: usize) {
        let now = self.now();
        let Some(call) = self.calls[id].as_ref() else {
            return;
        };
        let (client, verb, resource) = (call.client, call.verb, call.resource);
        let cl = &mut self.clients[client];
        let wait = cl.bucket.reserve(now);
        let acc = self.throttle.get_mut(cl.name).expect("client registered");
        acc.requests += 1;
        if wait > SimTime::ZERO {
            acc.throttled += 1;
            let w = wait.as_secs_f64();
            acc.total += w;
            if wait.0 > d::EXTRA_LONG_THROTTLE_LATENCY_US {
                acc.logged += 1;
            }
            if w > acc.max {
                acc.max = w;
                acc.worst = format!(
                    "Waited for {:.2}s due to client-side throttling, not priority and fairness, request: {}:{}",
                    w,
                    verb.as_str().to_uppercase(),
                    resource
                );
            }
        }
        self.q.schedule_in(wait, Event::ApiArrive { call: id });
    }

    fn on_api_arrive(&mut self, id: usize) {
        let Some(call) = self.calls[id].as_ref() else {
            return;
        };
        let level = self.clients[call.client].level;
        match self.api.admit(id, call.verb, call.bytes, level) {
            Admission::Accepted(service) => {
                self.q.schedule_in(service, Event::ApiDone { call: id });
            }
            Admission::Queued => {
                let limit = self.api.queue_wait_limit();
                self.q.schedule_in(limit, Event::ApfTimeout { call: id });
            }
            Admission::EntityTooLarge => {
                self.status_413 += 1;
                self.complete(id, Status::TooLarge);
            }
            Admission::TooManyRequests => self.on_429(id),
        }
    }

    /// 429: client-go sleeps `Retry-After` and retries through its bucket, up to 10 times.
    fn on_429(&mut self, id: usize) {
        self.status_429 += 1;
        let Some(call) = self.calls[id].as_mut() else {
            return;
        };
        call.attempts += 1;
        if call.attempts > d::CLIENT_GO_MAX_RETRIES {
            self.complete(id, Status::TooMany);
        } else {
            let retry = self.api.retry_after();
            self.q.schedule_in(retry, Event::ApiRetry { call: id });
        }
    }

    fn on_apf_timeout(&mut self, id: usize) {
        let Some(call) = self.calls[id].as_ref() else {
            return;
        };
        let level = self.clients[call.client].level;
        if self.api.time_out(id, level) {
            self.apf_timeouts += 1;
            self.on_429(id);
        }
    }

    fn on_api_done(&mut self, id: usize) {
        let Some(call) = self.calls[id].as_ref() else {
            return;
        };
        let level = self.clients[call.client].level;
        if let Some((next, service)) = self.api.release(call.verb, level) {
            self.q
                .schedule_in(service, Event::ApiDone { call: next.id });
        }
        let status = if self.api.etcd_accepts(call.verb, call.bytes) {
            Status::Ok
        } else {
            self.etcd_too_large += 1;
            Status::EtcdTooLarge
        };
        self.complete(id, status);
    }

    fn complete(&mut self, id: usize, status: Status) {
        let Some(call) = self.calls[id].take() else {
            return;
        };
        self.free_calls.push(id);
        let now = self.now();
        let acc = self
            .api_acc
            .entry((self.clients[call.client].name, call.verb, call.resource))
            .or_default();
        acc.count += 1;
        if status != Status::Ok {
            acc.errors += 1;
        }
        let code = match status {
            Status::Ok if call.verb == Verb::Create => 201,
            Status::Ok => 200,
            Status::TooMany => 429,
            Status::TooLarge => 413,
            Status::EtcdTooLarge => 500,
        };
        *acc.by_status.entry(code).or_default() += 1;
        acc.latencies.push(now.since(call.first).as_secs_f64());
        match call.origin {
            Origin::Submit { wf, stream, slot } => self.on_submit_done(wf, stream, slot, status),
            Origin::Worker { worker, epoch } => {
                if epoch == self.epoch {
                    self.on_worker_call_done(worker, status);
                }
            }
            Origin::Cleanup { pod } => {
                self.cleanups += 1;
                if status == Status::Ok && !self.pods[pod].left_informer {
                    self.pods[pod].left_informer = true;
                    self.informer_pods -= 1;
                }
                if self.pods[pod].cleanup_delete && status == Status::Ok && !self.pods[pod].deleted
                {
                    self.pods[pod].deleted = true;
                    self.pods_deleted += 1;
                    self.pods_in_cluster -= 1;
                }
                let lat = now.since(self.pods[pod].cleanup_enqueued).as_secs_f64();
                self.cleanup_latency.push(lat);
                self.cleanup_idle += 1;
                self.cleanup_start();
            }
            Origin::Bind { pod, node } => self.on_bound(pod, node, status),
            Origin::KubeletStatus { pod } => self.on_pod_status_visible(pod),
            Origin::TaskResult { pod, finalize } => self.on_task_result(pod, finalize, status),
            Origin::WorkflowDeleted { wf } => {
                if status == Status::Ok {
                    self.wfs[wf].deleted = true;
                    self.workflows_deleted += 1;
                    self.informer_wf_bytes -= self.wfs[wf].json_bytes;
                    self.etcd_wf_bytes -= self.wfs[wf].stored_bytes;
                    self.wfs_in_cluster -= 1;
                    for i in 0..self.wfs[wf].pods.len() {
                        let p = self.wfs[wf].pods[i];
                        if !self.pods[p].deleted {
                            self.pods[p].deleted = true; // ownerReference garbage collection
                            self.pods_in_cluster -= 1;
                        }
                        if !self.pods[p].left_informer {
                            self.pods[p].left_informer = true;
                            self.informer_pods -= 1;
                        }
                    }
                }
            }
            Origin::Relist { epoch } => {
                if epoch == self.epoch {
                    self.relists_pending -= 1;
                    if self.relists_pending == 0 {
                        self.on_informers_synced();
                    }
                }
            }
            Origin::FireAndForget => {}
        }
    }

    fn api_error_text(&self, status: Status) -> String {
        match status {
            Status::Ok => String::new(),
            Status::TooMany => {
                "the server has received too many requests and has asked us to try again later"
                    .into()
            }
            Status::TooLarge => self.api.entity_too_large_message(),
            Status::EtcdTooLarge => ETCD_TOO_LARGE.into(),
        }
    }

    // ---------------------------------------------------------------- submission

    fn on_submit(&mut self, stream: usize, idx: u32) {
        self.arrivals_left -= 1;
        let n = self.submitters[stream].len();
        let slot = idx as usize % n;
        let s = &mut self.submitters[stream][slot];
        if s.busy {
            let now = self.q.now();
            s.waiting.push_back((stream, now));
            return;
        }
        let now = self.now();
        self.start_submission(stream, slot, now);
    }

    /// Start submission of a workflow that arrived at `arrived` (it may have waited for a
    /// busy submitter; that wait counts in its submission latency and makespan).
    fn start_submission(&mut self, stream: usize, slot: usize, arrived: SimTime) {
        let now = self.now();
        let sub = &self.sc.submissions[stream];
        let spec_idx = sub.workflow;
        let spec = &self.sc.workflows[spec_idx];
        let wf = self.wfs.len();
        self.wfs.push(WorkflowRun::new(
            spec_idx,
            spec,
            format!("{}-{}", spec.name, wf),
            arrived,
        ));
        self.wfs[wf].submit_started = now;
        self.unfinished_wfs += 1;
        // Validation before CREATE: the CLI in kube mode and the Argo Server (without its v3.7
        // informer cache) GET every templateRef; kubectl does not validate at all.
        let f = &self.sc.file;
        let gets = match sub.cfg.via {
            SubmitVia::ArgoCli => validation_gets(spec),
            SubmitVia::ArgoServer if !f.argo_server.template_cache => validation_gets(spec),
            SubmitVia::ArgoServer
            | SubmitVia::Kubectl
            | SubmitVia::Cron
            | SubmitVia::ArgoEvents => 0,
        };
        self.wfs[wf].submit_gets_left = gets;
        let s = &mut self.submitters[stream][slot];
        s.busy = true;
        let client = s.client;
        if sub.cfg.via == SubmitVia::ArgoServer && !s.api_limit.try_accept(now) {
            // Argo Server --api-rate-limit (per client IP) refuses without waiting.
            return self.on_submit_done(wf, stream, slot, Status::TooMany);
        }
        // Each `argo submit`/`kubectl` is a new process, and the Argo Server in client auth
        // mode builds new clientsets per request: a full bucket. Server mode shares one.
        if matches!(sub.cfg.via, SubmitVia::ArgoCli | SubmitVia::Kubectl)
            || (sub.cfg.via == SubmitVia::ArgoServer && client != self.server_client)
        {
            self.clients[client].bucket.reset(now);
        }
        self.submit_next_call(wf, stream, slot);
    }

    fn submit_next_call(&mut self, wf: usize, stream: usize, slot: usize) {
        let client = self.submitters[stream][slot].client;
        let origin = Origin::Submit { wf, stream, slot };
        if self.wfs[wf].submit_gets_left > 0 {
            self.issue(
                client,
                Verb::Get,
                "workflowtemplates",
                d::WORKFLOW_TEMPLATE_BYTES,
                origin,
            );
        } else {
            let bytes = self.sc.workflows[self.wfs[wf].spec].spec_bytes;
            self.issue(client, Verb::Create, "workflows", bytes, origin);
        }
    }

    fn on_submit_done(&mut self, wf: usize, stream: usize, slot: usize, status: Status) {
        let now = self.now();
        if status == Status::Ok && self.wfs[wf].submit_gets_left > 0 {
            self.wfs[wf].submit_gets_left -= 1;
            return self.submit_next_call(wf, stream, slot);
        }
        if status == Status::Ok {
            let w = &mut self.wfs[wf];
            w.created_at = Some(now);
            w.phase = WfPhase::Pending;
            w.json_bytes = self.sc.workflows[w.spec].spec_bytes;
            w.stored_bytes = w.json_bytes;
            self.informer_wf_bytes += w.json_bytes;
            self.etcd_wf_bytes += w.stored_bytes;
            self.wfs_in_cluster += 1;
            self.wfs_in_cluster_peak = self.wfs_in_cluster_peak.max(self.wfs_in_cluster);
            self.check_memory();
            let delay = SimTime(self.sc.file.controller.initial_delay.0);
            self.enqueue_after(wf, delay);
        } else {
            let msg = format!("submission failed: {}", self.api_error_text(status));
            self.finish_workflow(wf, WfPhase::Error, msg);
        }
        let s = &mut self.submitters[stream][slot];
        s.busy = false;
        if let Some((st, arrived)) = s.waiting.pop_front() {
            self.start_submission(st, slot, arrived);
        }
    }

    // ---------------------------------------------------------------- controller

    fn enqueue_after(&mut self, wf: usize, delay: SimTime) {
        let now = self.now();
        if let Some(at) = self.wq.add_after(wf, delay, now) {
            self.q.schedule_at(at, Event::QueueTimer { wf, at });
        }
        self.start_workers();
    }

    fn requeue(&mut self, wf: usize) {
        self.enqueue_after(wf, SimTime(self.sc.file.controller.default_requeue_time.0));
    }

    fn start_workers(&mut self) {
        if self.ctrl_down {
            return;
        }
        while !self.wq.is_empty() {
            let Some(&worker) = self.idle_workers.last() else {
                return;
            };
            let now = self.now();
            let Some((wf, lat)) = self.wq.get(now) else {
                return;
            };
            self.idle_workers.pop();
            self.queue_latency.push(lat.as_secs_f64());
            let busy = (self.workers.len() - self.idle_workers.len()) as u64;
            self.workers_busy_max = self.workers_busy_max.max(busy);
            self.begin_reconcile(worker, wf);
        }
    }

    fn begin_reconcile(&mut self, worker: usize, wf: usize) {
        let now = self.now();
        let ctl = &self.sc.file.controller;
        if self.wfs[wf].phase.is_done() {
            // Completed workflows are skipped (label workflows.argoproj.io/completed=true).
            self.wq.done(wf);
            self.idle_workers.push(worker);
            return;
        }
        // Controller and namespace parallelism: a workflow that has not started waits for a slot.
        if self.wfs[wf].phase == WfPhase::Pending && !self.admissible(wf) {
            if !self.throttled_wfs.contains(&wf) {
                self.throttled_wfs.push_back(wf);
                self.parallelism_held += 1;
            }
            return self.postpone(worker, wf);
        }
        // Workflow-level synchronization: acquire before the workflow starts.
        if self.wfs[wf].phase == WfPhase::Pending
            && let Some(l) = self.sc.workflows[self.wfs[wf].spec].lock
            && !self.wfs[wf].holds_lock
        {
            if !self.try_acquire(l, wf) {
                return self.postpone(worker, wf);
            }
            self.wfs[wf].holds_lock = true;
        }
        // Safety resync: every processed workflow is re-added after workflowResyncPeriod.
        let resync = SimTime(ctl.workflow_resync_period.0);
        if let Some(at) = self.wq.add_after(wf, resync, now) {
            self.q.schedule_at(at, Event::QueueTimer { wf, at });
        }
        self.reconciles += 1;
        let mut rec = Reconcile {
            wf,
            started: now,
            deadline: now.plus(SimTime(ctl.max_operation_time.0)),
            plan: VecDeque::new(),
            requeue: false,
            updated: false,
            body: 0,
            stage: Stage::Cpu,
            gets_left: 0,
            became_running: 0,
            became_done: Vec::new(),
        };
        let spec = &self.sc.workflows[self.wfs[wf].spec];
        let w = &mut self.wfs[wf];
        w.reconciles += 1;
        if w.phase == WfPhase::Pending {
            w.phase = WfPhase::Running;
            w.started_at = Some(now);
            w.virtual_nodes += 1; // the entrypoint DAG/Steps node
            rec.updated = true;
            self.running_wfs += 1;
            self.running_by_ns[spec.namespace] += 1;
            // setExecWorkflow validates once, with direct GETs on the workflow clientset.
            rec.gets_left = validation_gets(spec);
            if rec.gets_left > 0 {
                rec.stage = Stage::Validating;
            }
        }
        // podReconciliation: fold informer changes into node statuses.
        let mut released = Vec::new();
        let mut retry_after: Option<SimTime> = None;
        let dirty = std::mem::take(&mut w.dirty_pods);
        for p in dirty {
            let pod = &mut self.pods[p];
            if pod.observed == pod.recorded {
                continue;
            }
            if matches!(pod.observed, PodState::Succeeded | PodState::Failed)
                && !pod.task_result_done
            {
                // The TaskResult is incomplete: the node is not completed yet (taskresult.go).
                continue;
            }
            let t = &mut w.tasks[pod.task as usize];
            match pod.observed {
                PodState::Running => rec.became_running += 1,
                PodState::Succeeded | PodState::Failed => {
                    t.active -= 1;
                    if pod.observed == PodState::Succeeded {
                        t.succeeded += 1;
                    } else if let Some(backoff) =
                        retry_backoff(&spec.tasks[pod.task as usize], pod, now)
                    {
                        // retryStrategy: a new attempt after the backoff.
                        w.retry_queue.push((
                            pod.task,
                            pod.attempt + 1,
                            pod.first_start,
                            now.plus(backoff),
                        ));
                        retry_after =
                            Some(retry_after.map_or(backoff, |r: SimTime| r.min(backoff)));
                        self.retries += 1;
                    } else {
                        t.failed += 1;
                        w.stop_new = true;
                        if w.message.is_empty() {
                            // Argo's DAG/steps message names the failed child and its node message.
                            w.message = format!(
                                "child of task {:?} failed: {}",
                                spec.tasks[pod.task as usize].name, pod.fail_msg
                            );
                        }
                    }
                    if pod.recorded != PodState::Running {
                        rec.became_running += 1;
                    }
                    rec.became_done.push(p);
                    if let Some(l) = spec.tasks[pod.task as usize].lock {
                        released.push(l);
                    }
                }
                PodState::Pending(_) => {}
            }
            pod.recorded = pod.observed;
            rec.updated = true;
        }
        if let Some(b) = retry_after {
            // requeueAfter(backoff) for the next attempt.
            if let Some(at) = self.wq.add_after(wf, b.max(SimTime(1)), now) {
                self.q.schedule_at(at, Event::QueueTimer { wf, at });
            }
        }
        for l in released {
            self.release_lock(l);
        }
        let validating = rec.stage == Stage::Validating;
        self.workers[worker] = Some(rec);
        if validating {
            self.issue(
                CTRL_WF,
                Verb::Get,
                "workflowtemplates",
                d::WORKFLOW_TEMPLATE_BYTES,
                Origin::Worker {
                    worker,
                    epoch: self.epoch,
                },
            );
        } else {
            self.start_reconcile_cpu(worker);
        }
    }

    /// Whether controller `parallelism` and `namespaceParallelism` let `wf` start now.
    fn admissible(&self, wf: usize) -> bool {
        let c = &self.sc.file.controller;
        let ns = self.sc.workflows[self.wfs[wf].spec].namespace;
        (c.parallelism == 0 || self.running_wfs < c.parallelism)
            && (c.namespace_parallelism == 0 || self.running_by_ns[ns] < c.namespace_parallelism)
    }

    /// A workflow that may not start yet (controller parallelism, workflow-level lock): the
    /// first time, phase Pending is persisted with Argo's message, so /healthz stays happy;
    /// the worker is released without reconciling.
    fn postpone(&mut self, worker: usize, wf: usize) {
        if !self.wfs[wf].postponed {
            self.wfs[wf].postponed = true;
            let bytes = self.sc.workflows[self.wfs[wf].spec].spec_bytes;
            self.issue(
                CTRL_WF,
                Verb::Update,
                "workflows",
                bytes,
                Origin::FireAndForget,
            );
        }
        self.wq.done(wf);
        self.idle_workers.push(worker);
    }

    fn start_reconcile_cpu(&mut self, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        rec.stage = Stage::Cpu;
        let ctl = &self.sc.file.controller;
        let cpu = SimTime(
            ctl.reconcile_base_cpu.0 + ctl.reconcile_per_node_cpu.0 * self.wfs[rec.wf].nodes(),
        );
        if self.cpu.limited() {
            let now = self.now();
            self.cpu.advance(now);
            self.cpu.add(worker, cpu);
            self.reschedule_cpu();
        } else {
            let epoch = self.epoch;
            self.q
                .schedule_in(cpu, Event::WorkerCpuDone { worker, epoch });
        }
    }

    fn on_worker_cpu_done(&mut self, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        rec.stage = Stage::Creating;
        let wf = rec.wf;
        let spec = &self.sc.workflows[self.wfs[wf].spec];
        let w = &self.wfs[wf];
        if !w.stop_new {
            let mut budget = if spec.parallelism > 0 {
                spec.parallelism.saturating_sub(w.active_pods())
            } else {
                u32::MAX
            };
            let now = self.q.now();
            // Retries whose backoff has elapsed go first.
            for r in w.retry_queue.iter().filter(|r| r.3 <= now) {
                if budget == 0 {
                    break;
                }
                rec.plan.push_back(PlanItem {
                    task: r.0,
                    attempt: r.1,
                    first_start: r.2,
                });
                budget -= 1;
            }
            for (i, t) in w.tasks.iter().enumerate() {
                if budget == 0 {
                    break;
                }
                let width = spec.tasks[i].width;
                if t.created < width && w.task_ready(spec, i) {
                    let task_cap = match spec.tasks[i].parallelism {
                        0 => u32::MAX,
                        p => p.saturating_sub(t.active),
                    };
                    let n = (width - t.created).min(budget).min(task_cap);
                    for _ in 0..n {
                        rec.plan.push_back(PlanItem {
                            task: i as u32,
                            attempt: 0,
                            first_start: now,
                        });
                    }
                    budget -= n;
                }
            }
        }
        self.continue_creating(worker);
    }

    fn continue_creating(&mut self, worker: usize) {
        let now = self.now();
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        let Some(&PlanItem { task, .. }) = rec.plan.front() else {
            return self.persist(worker);
        };
        let wf = rec.wf;
        if now > rec.deadline {
            self.deadline_exceeded += 1;
            rec.requeue = true;
            rec.plan.clear();
            return self.persist(worker);
        }
        // Template-level synchronization: each pod of the task holds a permit.
        let lock = self.sc.workflows[self.wfs[wf].spec].tasks[task as usize].lock;
        if let Some(l) = lock
            && !self.try_acquire(l, wf)
        {
            if let Some(rec) = self.workers[worker].as_mut() {
                rec.plan.retain(|it| it.task != task);
            }
            return self.continue_creating(worker);
        }
        if let Some(rrl) = self.rrl.as_mut()
            && !rrl.try_accept(now)
        {
            self.rrl_refused += 1;
            if let Some(l) = lock {
                self.release_lock(l);
            }
            if let Some(rec) = self.workers[worker].as_mut() {
                rec.requeue = true;
                rec.plan.clear();
            }
            return self.persist(worker);
        }
        self.issue(
            CTRL_KUBE,
            Verb::Create,
            "pods",
            POD_OBJECT_BYTES,
            Origin::Worker {
                worker,
                epoch: self.epoch,
            },
        );
    }

    fn on_worker_call_done(&mut self, worker: usize, status: Status) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        match rec.stage {
            Stage::Persisting => return self.on_persisted(worker, status),
            Stage::Validating => {
                rec.gets_left -= 1;
                if status != Status::Ok {
                    // Transient validation failure: retry on the next reconcile.
                    rec.requeue = true;
                    let wf = rec.wf;
                    self.wfs[wf].phase = WfPhase::Pending;
                    self.wfs[wf].started_at = None;
                    self.wfs[wf].virtual_nodes -= 1;
                    self.running_wfs -= 1;
                    let ns = self.sc.workflows[self.wfs[wf].spec].namespace;
                    self.running_by_ns[ns] -= 1;
                    return self.finish_reconcile(worker);
                }
                if rec.gets_left > 0 {
                    self.issue(
                        CTRL_WF,
                        Verb::Get,
                        "workflowtemplates",
                        d::WORKFLOW_TEMPLATE_BYTES,
                        Origin::Worker {
                            worker,
                            epoch: self.epoch,
                        },
                    );
                } else {
                    self.start_reconcile_cpu(worker);
                }
                return;
            }
            Stage::Cpu | Stage::Creating => {}
        }
        let Some(PlanItem {
            task,
            attempt,
            first_start,
        }) = rec.plan.pop_front()
        else {
            return self.persist(worker);
        };
        if status != Status::Ok {
            // Transient: the node stays Pending and the workflow is requeued.
            rec.requeue = true;
            rec.plan.clear();
            let wf = rec.wf;
            if let Some(l) = self.sc.workflows[self.wfs[wf].spec].tasks[task as usize].lock {
                self.release_lock(l);
            }
            return self.persist(worker);
        }
        rec.updated = true;
        let wf = rec.wf;
        let now = self.now();
        let spec_idx = self.wfs[wf].spec;
        let spec = &self.sc.workflows[spec_idx];
        let ts = &spec.tasks[task as usize];
        let group = (spec.kind == WorkflowKind::Steps).then_some(ts.group as usize);
        if attempt == 0 {
            self.wfs[wf].record_created(spec, task as usize, group);
            if ts.retry.is_some() {
                self.wfs[wf].virtual_nodes += 1; // the item's Retry node
            }
        } else {
            let w = &mut self.wfs[wf];
            if let Some(i) = w
                .retry_queue
                .iter()
                .position(|r| r.0 == task && r.1 == attempt && r.2 == first_start)
            {
                w.retry_queue.swap_remove(i);
            }
            w.tasks[task as usize].active += 1;
            w.pod_nodes += 1;
        }
        let fails =
            ts.failure_probability > 0.0 && self.rng_fail.random::<f64>() < ts.failure_probability;
        let run_time = SimTime::from_secs_f64_ceil(
            ts.duration.sample(&mut *self.rng_run).as_secs_f64() / ts.speedup,
        );
        let pod = self.pods.len();
        self.pods.push(Pod {
            wf,
            task,
            cpu: ts.cpu,
            mem: ts.mem,
            image: ts.image,
            state: PodState::Pending(0),
            recorded: PodState::Pending(0),
            observed: PodState::Pending(0),
            since: now,
            node: None,
            created_at: now,
            main_start: SimTime::ZERO,
            run_time,
            fails,
            sched_attempts: 0,
            backoff_until: SimTime::ZERO,
            unsched_msg: String::new(),
            cleanup_enqueued: SimTime::ZERO,
            cleanup_delete: false,
            deleted: false,
            task_result_done: false,
            left_informer: false,
            killed: false,
            fail_error: false,
            fail_msg: "",
            attempt,
            first_start,
            pull_requested_at: SimTime::ZERO,
            pull_dispatch_pending: false,
            pull_failures: 0,
            after_transfer: (KubeletStage::Exit, SimTime::ZERO),
        });
        self.wfs[wf].pods.push(pod);
        self.pods_created += 1;
        self.informer_pods += 1;
        self.pods_in_cluster += 1;
        self.check_memory();
        self.reason_pods[0] += 1;
        self.reason_now[0] += 1;
        self.sched_active.push_back(pod);
        self.sched_kick();
        self.continue_creating(worker);
    }

    fn persist(&mut self, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        let wf = rec.wf;
        let spec = &self.sc.workflows[self.wfs[wf].spec];
        let w = &mut self.wfs[wf];
        if w.phase == WfPhase::Running && w.is_complete(spec) {
            let failed = w.tasks.iter().any(|t| t.failed > 0);
            w.phase = if failed {
                WfPhase::Failed
            } else {
                WfPhase::Succeeded
            };
            if failed && w.message.is_empty() {
                w.message = "child failed".into();
            }
            rec.updated = true;
        }
        if !rec.updated {
            return self.finish_reconcile(worker);
        }
        let sized = w.size(spec, &self.sc.file.controller);
        w.peak_uncompressed = w.peak_uncompressed.max(sized.uncompressed);
        self.informer_wf_bytes = self.informer_wf_bytes + sized.uncompressed - w.json_bytes;
        w.json_bytes = sized.uncompressed;
        self.etcd_wf_bytes = self.etcd_wf_bytes + sized.body - w.stored_bytes;
        w.stored_bytes = sized.body;
        w.peak_body = w.peak_body.max(sized.body);
        w.storage = sized.storage;
        if let Some(msg) = sized.error {
            // Dehydrate failed: Argo marks the workflow Error and writes it (compressed).
            w.phase = WfPhase::Error;
            w.message = msg;
        }
        rec.stage = Stage::Persisting;
        rec.body = sized.body;
        self.etcd_peak = self.etcd_peak.max(self.etcd_live_bytes());
        self.check_memory();
        if sized.storage == Storage::Offloaded {
            // Hydrate read + dehydrate write of the offload table before the PUT.
            self.offload_round_trips += 2;
            let db = SimTime(2 * self.sc.file.controller.offload_latency.0);
            let epoch = self.epoch;
            self.q.schedule_in(db, Event::OffloadDone { worker, epoch });
        } else {
            self.put_workflow(worker);
        }
    }

    fn put_workflow(&mut self, worker: usize) {
        let Some(rec) = self.workers[worker].as_ref() else {
            return;
        };
        let body = rec.body;
        self.issue(
            CTRL_WF,
            Verb::Update,
            "workflows",
            body,
            Origin::Worker {
                worker,
                epoch: self.epoch,
            },
        );
    }

    fn on_persisted(&mut self, worker: usize, status: Status) {
        let Some(rec) = self.workers[worker].take() else {
            return;
        };
        let wf = rec.wf;
        if status != Status::Ok {
            if matches!(status, Status::TooLarge | Status::EtcdTooLarge) {
                // persistWorkflowSizeLimitErr: the workflow is marked Error with the API error.
                let msg = self.api_error_text(status);
                self.finish_workflow(wf, WfPhase::Error, msg);
            } else {
                // Not persisted: a later reconcile redoes the work.
                self.requeue(wf);
            }
            self.workers[worker] = Some(rec);
            return self.finish_reconcile(worker);
        }
        // Node events through the kube clientset (nodeEvents.enabled default true).
        let events = if self.sc.file.controller.node_events {
            rec.became_running as usize + rec.became_done.len()
        } else {
            0
        };
        for _ in 0..events {
            self.issue(
                CTRL_KUBE,
                Verb::Create,
                "events",
                SMALL_BODY_BYTES,
                Origin::FireAndForget,
            );
        }
        let now = self.now();
        let gc = self.sc.workflows[self.wfs[wf].spec].pod_gc;
        for &p in &rec.became_done {
            let delete = match gc {
                PodGcStrategy::OnPodCompletion => true,
                PodGcStrategy::OnPodSuccess => self.pods[p].recorded == PodState::Succeeded,
                _ => false,
            };
            self.queue_pod_cleanup(p, delete, now);
        }
        let phase = self.wfs[wf].phase;
        if phase.is_done() {
            let msg = self.wfs[wf].message.clone();
            self.finish_workflow(wf, phase, msg);
        }
        self.workers[worker] = Some(rec);
        if self.sc.file.controller.informer_write_back {
            self.finish_reconcile(worker);
        } else {
            // Without INFORMER_WRITE_BACK the controller sleeps 1 s after its update.
            let epoch = self.epoch;
            self.q.schedule_in(
                self.no_write_back_sleep,
                Event::WorkerSleepDone { worker, epoch },
            );
        }
    }

    fn finish_reconcile(&mut self, worker: usize) {
        let Some(rec) = self.workers[worker].take() else {
            return;
        };
        let now = self.now();
        self.op_durations.push(now.since(rec.started).as_secs_f64());
        let wf = rec.wf;
        if rec.requeue && !self.wfs[wf].phase.is_done() {
            let at = now.plus(SimTime(self.sc.file.controller.default_requeue_time.0));
            if let Some(at) = self.wq.add_after(wf, at.since(now), now) {
                self.q.schedule_at(at, Event::QueueTimer { wf, at });
            }
        }
        self.wq.done(wf);
        self.idle_workers.push(worker);
        self.start_workers();
    }

    fn finish_workflow(&mut self, wf: usize, phase: WfPhase, message: String) {
        let now = self.now();
        let w = &mut self.wfs[wf];
        if w.finished_at.is_some() {
            return;
        }
        let was_running = w.started_at.is_some();
        w.phase = phase;
        w.message = message;
        w.finished_at = Some(now);
        self.unfinished_wfs -= 1;
        self.last_finish = self.last_finish.max(now);
        self.wq.forget(wf);
        if w.holds_lock {
            w.holds_lock = false;
            if let Some(l) = self.sc.workflows[w.spec].lock {
                self.release_lock(l);
            }
        }
        let w = &self.wfs[wf];
        let spec = &self.sc.workflows[w.spec];
        let delete_all = match spec.pod_gc {
            PodGcStrategy::OnWorkflowCompletion => true,
            PodGcStrategy::OnWorkflowSuccess => phase == WfPhase::Succeeded,
            _ => false,
        };
        if let Some(ttl) = spec.ttl_after_completion {
            self.q.schedule_in(SimTime(ttl), Event::WorkflowTtl { wf });
        }
        if delete_all {
            for i in 0..self.wfs[wf].pods.len() {
                let p = self.wfs[wf].pods[i];
                self.queue_pod_cleanup(p, true, now);
            }
        }
        if was_running {
            self.running_wfs -= 1;
            let ns = self.sc.workflows[self.wfs[wf].spec].namespace;
            self.running_by_ns[ns] -= 1;
            // The throttler admits the first waiting workflow that now fits (FIFO).
            if let Some(i) =
                (0..self.throttled_wfs.len()).find(|&i| self.admissible(self.throttled_wfs[i]))
            {
                let next = self.throttled_wfs.remove(i).expect("index in range");
                let now = self.now();
                self.wq.add(next, now);
                self.start_workers();
            }
        }
    }

    /// Acquire a permit of lock `l` for workflow `wf`: only the head of the waiters may take
    /// one (argo-facts §3). On refusal the workflow joins the queue with Argo's message.
    fn try_acquire(&mut self, l: usize, wf: usize) -> bool {
        let lk = &mut self.locks[l];
        let head_ok = lk.waiters.front().is_none_or(|&w| w == wf);
        if lk.holders < self.sc.locks[l].limit && head_ok {
            lk.holders += 1;
            if lk.waiters.front() == Some(&wf) {
                lk.waiters.pop_front();
            }
            return true;
        }
        if !lk.waiters.contains(&wf) {
            lk.waiters.push_back(wf);
        }
        let msg = format!(
            "Waiting for {} lock. Lock status: {}/{}",
            self.sc.locks[l].name,
            self.sc.locks[l].limit.saturating_sub(lk.holders),
            self.sc.locks[l].limit
        );
        self.lock_waits += 1;
        *self.lock_messages.entry(msg).or_default() += 1;
        false
    }

    /// Release a permit; the next waiter is requeued after SEMAPHORE_NOTIFY_DELAY.
    fn release_lock(&mut self, l: usize) {
        let lk = &mut self.locks[l];
        lk.holders = lk.holders.saturating_sub(1);
        if let Some(&next) = lk.waiters.front() {
            self.enqueue_after(next, self.semaphore_notify_delay);
        }
    }

    fn reschedule_cpu(&mut self) {
        if let Some(t) = self.cpu_timer.take() {
            self.q.cancel(t);
        }
        if let Some(delay) = self.cpu.next_completion() {
            let epoch = self.epoch;
            self.cpu_timer = Some(self.q.schedule_in(delay, Event::CpuTick { epoch }));
        }
    }

    fn on_cpu_tick(&mut self) {
        self.cpu_timer = None;
        let now = self.now();
        self.cpu.advance(now);
        let done = self.cpu.take_done();
        self.reschedule_cpu();
        for w in done {
            self.on_worker_cpu_done(w);
        }
    }

    /// Estimated controller heap: base + informer-held Workflow JSON × factor + pods × size.
    fn controller_memory(&self) -> u64 {
        let c = &self.sc.file.controller;
        c.memory_base.0
            + (self.informer_wf_bytes as f64 * c.memory_per_workflow_byte) as u64
            + self.informer_pods * c.memory_per_pod.0
    }

    fn check_memory(&mut self) {
        let mem = self.controller_memory();
        self.peak_memory = self.peak_memory.max(mem);
        if let Some(limit) = self.sc.file.controller.memory_limit
            && mem > limit.0
            && !self.ctrl_down
        {
            self.crash("OOMKilled");
        }
    }

    /// The controller process dies: in-flight reconciles and queued keys are lost; it comes
    /// back after the kubelet's restart backoff plus the leader-election lease.
    fn crash(&mut self, cause: &str) {
        let now = self.now();
        self.restarts += 1;
        *self.restart_causes.entry(cause.to_string()).or_default() += 1;
        self.epoch += 1;
        self.ctrl_down = true;
        self.down_since = now;
        self.liveness_failures = 0;
        for w in 0..self.workers.len() {
            if self.workers[w].take().is_some() {
                self.aborted_reconciles += 1;
            }
        }
        self.idle_workers = (0..self.workers.len()).rev().collect();
        self.queue_adds_before += self.wq.adds;
        self.queue_depth_before = self.queue_depth_before.max(self.wq.max_depth);
        self.wq = WorkQueue::new();
        self.cpu.clear();
        if let Some(t) = self.cpu_timer.take() {
            self.q.cancel(t);
        }
        let c = &self.sc.file.controller;
        let exp = (self.restarts - 1).min(20) as u32;
        let backoff = (d::CONTAINER_RESTART_BACKOFF_INITIAL_US << exp)
            .min(d::CONTAINER_RESTART_BACKOFF_MAX_US);
        let delay = SimTime(backoff + c.leader_election_lease_duration.0);
        let epoch = self.epoch;
        self.q.schedule_in(delay, Event::ControllerStart { epoch });
    }

    /// New leader: informers LIST workflows and pods before any worker runs.
    fn on_controller_start(&mut self) {
        let now = self.now();
        self.downtime = self.downtime.plus(now.since(self.down_since));
        self.relists_pending = 2;
        let epoch = self.epoch;
        let wf_bytes = self.informer_wf_bytes;
        let pod_bytes = self.informer_pods * POD_OBJECT_BYTES;
        self.issue(
            CTRL_WF,
            Verb::List,
            "workflows",
            wf_bytes,
            Origin::Relist { epoch },
        );
        self.issue(
            CTRL_KUBE,
            Verb::List,
            "pods",
            pod_bytes,
            Origin::Relist { epoch },
        );
    }

    fn on_informers_synced(&mut self) {
        self.ctrl_down = false;
        self.check_memory();
        if self.ctrl_down {
            return; // OOM again while the informers filled: crash loop
        }
        let now = self.now();
        for wf in 0..self.wfs.len() {
            let w = &mut self.wfs[wf];
            if w.created_at.is_some() && !w.phase.is_done() {
                w.dirty_pods = w.pods.clone();
                self.wq.add(wf, now);
            }
        }
        self.start_workers();
    }

    /// Liveness probe: /healthz fails while a workflow has waited longer than HEALTHZ_AGE
    /// for its first reconcile; three failures in a row restart the controller.
    fn on_liveness(&mut self) {
        let now = self.now();
        if !self.ctrl_down {
            let age = SimTime(self.sc.file.controller.healthz_age.0);
            let stale = self.wfs.iter().any(|w| {
                w.phase == WfPhase::Pending
                    && w.reconciles == 0
                    && !w.postponed
                    && w.created_at.is_some_and(|c| now.since(c) > age)
            });
            if stale {
                self.liveness_failures += 1;
                if self.liveness_failures >= d::LIVENESS_FAILURE_THRESHOLD {
                    self.crash("liveness probe failed (healthz)");
                }
            } else {
                self.liveness_failures = 0;
            }
        }
        if self.arrivals_left > 0 || self.unfinished_wfs > 0 {
            self.q.schedule_in(self.liveness_period, Event::Liveness);
        }
    }

    /// `queuePodForCleanup`: label the pod completed, or delete it after
    /// `podGCDeleteDelayDuration`; both pass the queue's shared 10/s burst-100 limiter.
    fn queue_pod_cleanup(&mut self, pod: usize, delete: bool, now: SimTime) {
        let p = &mut self.pods[pod];
        if p.deleted || (p.cleanup_delete && delete) {
            return;
        }
        p.cleanup_enqueued = now;
        p.cleanup_delete = delete;
        let gc_delay = if delete {
            SimTime(self.sc.file.controller.pod_gc_delete_delay.0)
        } else {
            SimTime::ZERO
        };
        let delay = self
            .cleanup_bucket
            .reserve(now.plus(gc_delay))
            .plus(gc_delay);
        self.q.schedule_in(delay, Event::CleanupReady { pod });
    }

    fn cleanup_start(&mut self) {
        while self.cleanup_idle > 0 {
            let Some(pod) = self.cleanup_ready.pop_front() else {
                return;
            };
            self.cleanup_idle -= 1;
            if self.pods[pod].cleanup_delete {
                self.issue(
                    CTRL_KUBE,
                    Verb::Delete,
                    "pods",
                    SMALL_BODY_BYTES,
                    Origin::Cleanup { pod },
                );
            } else {
                // labelPodCompleted: a merge PATCH of the completed label.
                self.issue(
                    CTRL_KUBE,
                    Verb::Patch,
                    "pods",
                    SMALL_BODY_BYTES,
                    Origin::Cleanup { pod },
                );
            }
        }
    }

    // ---------------------------------------------------------------- scheduler

    fn sched_kick(&mut self) {
        if !self.sched_busy && !self.sched_active.is_empty() {
            self.sched_busy = true;
            self.q.schedule_in(
                SimTime(self.sc.file.scheduler.schedule_latency.0),
                Event::SchedulerCycle,
            );
        }
    }

    fn set_pending_reason(&mut self, pod: usize, reason: u8) {
        let now = self.now();
        let p = &mut self.pods[pod];
        if let PodState::Pending(r) = p.state {
            if r == reason {
                return;
            }
            self.reason_seconds[r as usize] += now.since(p.since).as_secs_f64();
            self.reason_now[r as usize] -= 1;
            self.reason_now[reason as usize] += 1;
            self.reason_pods[reason as usize] += 1;
            p.state = PodState::Pending(reason);
            p.since = now;
        }
    }

    fn on_scheduler_cycle(&mut self) {
        self.sched_busy = false;
        let Some(pod) = self.sched_active.pop_front() else {
            return;
        };
        let (cpu, mem) = (self.pods[pod].cpu, self.pods[pod].mem);
        let allowed = &self.sc.workflows[self.wfs[self.pods[pod].wf].spec].tasks
            [self.pods[pod].task as usize]
            .allowed_pools;
        match self.nodes.pick(cpu, mem, allowed) {
            Ok(n) => {
                let now = self.now();
                self.nodes.bind(now, n, cpu, mem);
                self.issue(
                    SCHEDULER,
                    Verb::Create,
                    "pods/binding",
                    SMALL_BODY_BYTES,
                    Origin::Bind { pod, node: n },
                );
            }
            Err(fail) => {
                let sc = &self.sc.file.scheduler;
                let p = &mut self.pods[pod];
                p.sched_attempts += 1;
                let exp = (p.sched_attempts - 1).min(20);
                let backoff = (sc.pod_initial_backoff.0 << exp).min(sc.pod_max_backoff.0);
                p.backoff_until = self.q.now().plus(SimTime(backoff));
                p.unsched_msg = fail.message();
                self.set_pending_reason(pod, R_UNSCHEDULABLE);
                self.sched_unsched.push_back(pod);
                if self.sc.file.autoscaler.mode == AutoscalerMode::Karpenter {
                    self.karpenter_batch();
                }
            }
        }
        self.sched_kick();
    }

    fn on_bound(&mut self, pod: usize, node: usize, status: Status) {
        let now = self.now();
        let (cpu, mem) = (self.pods[pod].cpu, self.pods[pod].mem);
        if status != Status::Ok
            || self.nodes.nodes[node].state == NodeState::Gone
            || self.pods[pod].killed
        {
            self.nodes.release(now, node, cpu, mem);
            if !self.pods[pod].killed {
                self.sched_active.push_back(pod);
            }
            return self.sched_kick();
        }
        let kl = &self.sc.file.kubelet;
        self.pods[pod].node = Some(node);
        self.sched_wait
            .push(now.since(self.pods[pod].created_at).as_secs_f64());
        self.set_pending_reason(pod, R_CONTAINER_CREATING);
        let sandbox_done = now.plus(SimTime(kl.sandbox_start.0));
        self.pods[pod].pull_requested_at = sandbox_done;
        self.kubelet_at(sandbox_done, pod, KubeletStage::PullCheck);
    }

    /// kubelet `EnsureImageExists` with `IfNotPresent`: a present image needs no pull; a pull
    /// is dispatched through the node's registryPullQPS/registryBurst bucket, which refuses
    /// rather than waits ("pull QPS exceeded" → ErrImagePull, then ImagePullBackOff 10 s
    /// doubling to 300 s); a request queued behind an in-flight pull of the same image
    /// (serialized pulls) is dispatched when that pull ends and takes a token then.
    fn pull_check(&mut self, pod: usize) {
        let now = self.now();
        let kl = &self.sc.file.kubelet;
        let Some(node) = self.pods[pod].node else {
            return;
        };
        let image = self.pods[pod].image;
        let present = self.nodes.image_ready_at(node, image);
        let queued = self.pods[pod].pull_dispatch_pending;
        if present.is_some_and(|t| t <= now) && !queued {
            return self.image_ready(pod);
        }
        if kl.image_streaming {
            let t = now.plus(self.image_streaming_time);
            self.kubelet_at(t, pod, KubeletStage::InitStart);
            self.pull_wait
                .push(t.since(self.pods[pod].pull_requested_at).as_secs_f64());
            return;
        }
        if queued {
            self.pods[pod].pull_dispatch_pending = false;
            if !self.nodes.nodes[node].pull_bucket.try_accept(now) {
                return self.err_image_pull(pod, "pull QPS exceeded");
            }
            return self.image_ready(pod);
        }
        if let Some(t) = present {
            // A pull of this image is in flight on the node.
            if kl.serialize_image_pulls {
                self.pods[pod].pull_dispatch_pending = true;
                self.kubelet_at(t, pod, KubeletStage::PullCheck);
                return;
            }
            if !self.nodes.nodes[node].pull_bucket.try_accept(now) {
                return self.err_image_pull(pod, "pull QPS exceeded");
            }
            self.pull_wait
                .push(t.since(self.pods[pod].pull_requested_at).as_secs_f64());
            self.kubelet_at(t, pod, KubeletStage::InitStart);
            return;
        }
        if !self.nodes.nodes[node].pull_bucket.try_accept(now) {
            return self.err_image_pull(pod, "pull QPS exceeded");
        }
        if let Some(r) = self.image_registry[image]
            && !self.registry_buckets[r].try_accept(now)
        {
            return self.err_image_pull(
                pod,
                "toomanyrequests: You have reached your pull rate limit",
            );
        }
        let size = self.sc.workflows[self.wfs[self.pods[pod].wf].spec].tasks
            [self.pods[pod].task as usize]
            .image_size;
        let pull = SimTime(kl.image_pull_overhead.0).plus(SimTime::from_secs_f64_ceil(
            size as f64 / kl.image_pull_bytes_per_sec.0 as f64,
        ));
        let (done, _) = self
            .nodes
            .ensure_image(now, node, image, pull, kl.serialize_image_pulls);
        self.image_pulls += 1;
        self.pull_wait
            .push(done.since(self.pods[pod].pull_requested_at).as_secs_f64());
        self.kubelet_at(done, pod, KubeletStage::InitStart);
    }

    /// Schedule kubelet stage `stage` of `pod` at `at`.
    fn kubelet_at(&mut self, at: SimTime, pod: usize, stage: KubeletStage) {
        self.q.schedule_at(at, Event::Kubelet { pod, stage });
    }

    /// Schedule kubelet stage `stage` of `pod` after `delay`.
    fn kubelet_in(&mut self, delay: SimTime, pod: usize, stage: KubeletStage) {
        self.q.schedule_in(delay, Event::Kubelet { pod, stage });
    }

    fn image_ready(&mut self, pod: usize) {
        let now = self.now();
        self.pull_wait
            .push(now.since(self.pods[pod].pull_requested_at).as_secs_f64());
        self.on_kubelet(pod, KubeletStage::InitStart);
    }

    fn err_image_pull(&mut self, pod: usize, msg: &str) {
        let now = self.now();
        *self.pull_errors.entry(msg.to_string()).or_default() += 1;
        self.reason_pods[R_ERR_IMAGE_PULL as usize] += 1;
        let p = &mut self.pods[pod];
        p.pull_failures += 1;
        let exp = (p.pull_failures - 1).min(20);
        let backoff = (self.image_backoff.0 << exp).min(self.image_backoff_max.0);
        self.set_pending_reason(pod, R_IMAGE_PULL_BACKOFF);
        self.kubelet_at(now.plus(SimTime(backoff)), pod, KubeletStage::PullCheck);
    }

    /// Move `bytes` through `[storage]`, then continue the pod at `next` after `then`.
    fn transfer(&mut self, pod: usize, bytes: u64, next: KubeletStage, then: SimTime) {
        self.pods[pod].after_transfer = (next, then);
        let st = &self.sc.file.storage;
        match st.kind {
            StorageKind::Nfs => {
                let now = self.now();
                self.storage.advance(now);
                self.storage.add(pod, bytes);
                self.reschedule_storage();
            }
            StorageKind::Bucket => {
                let now = self.now();
                let requests = bytes.div_ceil(st.object_size.0.max(1));
                let mut wait = SimTime::ZERO;
                for _ in 0..requests {
                    wait = self.bucket_requests.reserve(now);
                }
                let t = wait.plus(SimTime::from_secs_f64_ceil(
                    bytes as f64 / st.per_client_bandwidth.0 as f64,
                ));
                self.q
                    .schedule_in(t.plus(then), Event::Kubelet { pod, stage: next });
            }
        }
    }

    fn reschedule_storage(&mut self) {
        if let Some(t) = self.storage_timer.take() {
            self.q.cancel(t);
        }
        if let Some(d) = self.storage.next_completion() {
            self.storage_timer = Some(self.q.schedule_in(d, Event::StorageTick));
        }
    }

    fn on_storage_tick(&mut self) {
        self.storage_timer = None;
        let now = self.now();
        self.storage.advance(now);
        let done = self.storage.take_done();
        self.reschedule_storage();
        for pod in done {
            let (next, then) = self.pods[pod].after_transfer;
            self.q
                .schedule_in(then, Event::Kubelet { pod, stage: next });
        }
    }

    fn on_kubelet(&mut self, pod: usize, stage: KubeletStage) {
        if self.pods[pod].killed {
            return;
        }
        let now = self.now();
        let kl = &self.sc.file.kubelet;
        let ts = &self.sc.workflows[self.wfs[self.pods[pod].wf].spec].tasks
            [self.pods[pod].task as usize];
        let (read, write, out) = (ts.read_bytes, ts.write_bytes, ts.output_parameter_bytes);
        match stage {
            KubeletStage::PullCheck => self.pull_check(pod),
            KubeletStage::InitStart => {
                self.set_pending_reason(pod, R_POD_INITIALIZING);
                let init = SimTime(kl.init_container_time.0);
                if read > 0 {
                    self.transfer(pod, read, KubeletStage::MainStart, init);
                } else {
                    self.kubelet_in(init, pod, KubeletStage::MainStart);
                }
            }
            KubeletStage::MainStart => {
                let p = &mut self.pods[pod];
                if let PodState::Pending(r) = p.state {
                    self.reason_seconds[r as usize] += now.since(p.since).as_secs_f64();
                    self.reason_now[r as usize] -= 1;
                }
                p.state = PodState::Running;
                p.since = now;
                p.main_start = now;
                self.running_pods += 1;
                self.startup.push(now.since(p.created_at).as_secs_f64());
                let run = p.run_time;
                self.kubelet_in(run, pod, KubeletStage::MainExit);
                let tick = SimTime(self.sc.file.controller.progress_patch_tick.0);
                if tick < run {
                    self.q.schedule_in(tick, Event::ProgressTick { pod });
                }
                self.kubelet_status(pod);
                // wait container: InitializeOutput creates the WorkflowTaskResult.
                self.issue(
                    self.argoexec_client,
                    Verb::Create,
                    "workflowtaskresults",
                    SMALL_BODY_BYTES,
                    Origin::TaskResult {
                        pod,
                        finalize: false,
                    },
                );
            }
            KubeletStage::MainExit => {
                // wait container: ReportOutputs, then FinalizeOutput (label report-outputs-completed).
                self.issue(
                    self.argoexec_client,
                    Verb::Patch,
                    "workflowtaskresults",
                    SMALL_BODY_BYTES + out,
                    Origin::TaskResult {
                        pod,
                        finalize: false,
                    },
                );
                self.issue(
                    self.argoexec_client,
                    Verb::Patch,
                    "workflowtaskresults",
                    SMALL_BODY_BYTES,
                    Origin::TaskResult {
                        pod,
                        finalize: true,
                    },
                );
                let wait = SimTime(kl.wait_container_time.0);
                if write > 0 {
                    self.transfer(pod, write, KubeletStage::Exit, wait);
                } else {
                    self.kubelet_in(wait, pod, KubeletStage::Exit);
                }
            }
            KubeletStage::Exit => {
                self.last_pod_exit = self.last_pod_exit.max(now);
                let p = &mut self.pods[pod];
                p.state = PodState::Failed;
                if !p.fails {
                    p.state = PodState::Succeeded;
                } else {
                    p.fail_msg = "Error (exit code 1)";
                }
                self.running_pods -= 1;
                self.kubelet_status(pod);
            }
        }
    }

    /// The kubelet client of `node` (each kubelet has its own kubeAPIQPS bucket).
    fn kubelet_client(&mut self, node: usize) -> usize {
        while self.node_clients.len() <= node {
            let f = &self.sc.file.kubelet;
            self.clients
                .push(Client::new("kubelet", f.api_qps, f.api_burst));
            self.node_clients.push(self.clients.len() - 1);
            self.throttle.entry("kubelet").or_insert(ThrottleAcc {
                qps: f.api_qps,
                burst: f.api_burst,
                ..Default::default()
            });
        }
        self.node_clients[node]
    }

    fn on_progress_tick(&mut self, pod: usize) {
        if self.pods[pod].state != PodState::Running {
            return;
        }
        self.issue(
            self.argoexec_client,
            Verb::Patch,
            "workflowtaskresults",
            SMALL_BODY_BYTES,
            Origin::TaskResult {
                pod,
                finalize: false,
            },
        );
        let tick = SimTime(self.sc.file.controller.progress_patch_tick.0);
        let p = &self.pods[pod];
        if self.now().plus(tick) < p.main_start.plus(p.run_time) {
            self.q.schedule_in(tick, Event::ProgressTick { pod });
        }
    }

    /// A TaskResult write landed: the taskresult informer requeues the workflow.
    fn on_task_result(&mut self, pod: usize, finalize: bool, status: Status) {
        let wf = self.pods[pod].wf;
        if finalize && status == Status::Ok {
            self.pods[pod].task_result_done = true;
            if matches!(
                self.pods[pod].observed,
                PodState::Succeeded | PodState::Failed
            ) && !self.wfs[wf].phase.is_done()
            {
                self.wfs[wf].dirty_pods.push(pod);
            }
        }
        if !self.wfs[wf].phase.is_done() {
            self.requeue(wf);
        }
    }

    fn kubelet_status(&mut self, pod: usize) {
        let node = self.pods[pod].node.unwrap_or(0);
        let client = self.kubelet_client(node);
        self.issue(
            client,
            Verb::Patch,
            "pods/status",
            SMALL_BODY_BYTES,
            Origin::KubeletStatus { pod },
        );
    }

    fn on_pod_status_visible(&mut self, pod: usize) {
        let now = self.now();
        let p = &mut self.pods[pod];
        let state = p.state;
        if p.observed == state {
            return;
        }
        p.observed = state;
        let wf = p.wf;
        if matches!(state, PodState::Succeeded | PodState::Failed)
            && let Some(n) = p.node
            && !p.killed
        {
            let (cpu, mem) = (p.cpu, p.mem);
            self.nodes.release(now, n, cpu, mem);
            self.requeue_unschedulable();
        }
        if !self.wfs[wf].phase.is_done() {
            self.wfs[wf].dirty_pods.push(pod);
            // Pod informer: a significant change enqueues the workflow with AddRateLimited.
            self.requeue(wf);
        }
    }

    // ---------------------------------------------------------------- cluster dynamics

    fn schedule_spot(&mut self, node: usize) {
        let rate = self.sc.pools[self.nodes.nodes[node].pool].spot_rate_per_hour;
        if rate > 0.0 {
            let hours: f64 = Exp::new(rate)
                .map(|e| e.sample(&mut *self.rng_cluster))
                .unwrap_or(f64::INFINITY);
            let t = SimTime::from_secs_f64_ceil(hours * 3600.0);
            if t < SimTime(self.sc.file.experiment.horizon.0) {
                self.q.schedule_in(t, Event::SpotNotice { node });
            }
        }
    }

    fn on_node_ready(&mut self, node: usize) {
        if self.nodes.nodes[node].state != NodeState::Provisioning {
            return;
        }
        self.nodes.set_ready(node);
        self.schedule_spot(node);
        self.requeue_unschedulable();
    }

    /// Spot notice: the node is cordoned; it stops after the notice period.
    fn on_spot_notice(&mut self, node: usize) {
        if matches!(self.nodes.nodes[node].state, NodeState::Gone) {
            return;
        }
        self.spot_preemptions += 1;
        self.nodes.cordon(node);
        let notice = SimTime(self.sc.pools[self.nodes.nodes[node].pool].spot_notice);
        self.q.schedule_in(notice, Event::SpotGone { node });
    }

    /// The preempted VM stops. With graceful node shutdown its pods end Failed ("Pod was
    /// terminated in response to imminent node shutdown."); without, they vanish and PodGC
    /// removes them after its 40 s quarantine, which Argo reports as Error "pod deleted".
    fn on_spot_gone(&mut self, node: usize) {
        let now = self.now();
        let pool = self.nodes.nodes[node].pool;
        let mode = self.sc.pools[pool].spot_shutdown;
        let victims: Vec<usize> = (0..self.pods.len())
            .filter(|&p| {
                let x = &self.pods[p];
                x.node == Some(node)
                    && !x.killed
                    && matches!(x.state, PodState::Pending(_) | PodState::Running)
            })
            .collect();
        for p in victims {
            self.pods_killed += 1;
            let (cpu, mem) = (self.pods[p].cpu, self.pods[p].mem);
            self.nodes.release(now, node, cpu, mem);
            let x = &mut self.pods[p];
            if x.state == PodState::Running {
                self.running_pods -= 1;
            } else if let PodState::Pending(r) = x.state {
                self.reason_seconds[r as usize] += now.since(x.since).as_secs_f64();
                self.reason_now[r as usize] -= 1;
            }
            x.killed = true;
            x.state = PodState::Failed;
            x.task_result_done = true;
            self.last_pod_exit = self.last_pod_exit.max(now);
            match mode {
                SpotShutdown::Graceful => {
                    x.fail_msg = "Pod was terminated in response to imminent node shutdown.";
                    self.kubelet_status(p);
                }
                SpotShutdown::PodDeleted => {
                    x.fail_error = true;
                    x.fail_msg = "pod deleted";
                    x.deleted = true;
                    self.q
                        .schedule_in(SimTime::from_secs(40), Event::PodGone { pod: p });
                }
            }
        }
        self.nodes.remove(node, now);
        self.nodes_removed += 1;
        self.requeue_unschedulable();
    }

    fn provisioning_delay(&mut self, pool: usize) -> SimTime {
        let karpenter = self.sc.file.autoscaler.mode == AutoscalerMode::Karpenter;
        match &self.sc.pools[pool].provisioning_delay {
            Some(dist) => dist.sample(&mut *self.rng_cluster),
            None => {
                let (m, s) = if karpenter {
                    (
                        d::KARPENTER_PROVISIONING_MEAN,
                        d::KARPENTER_PROVISIONING_STDDEV,
                    )
                } else {
                    (d::CA_PROVISIONING_MEAN, d::CA_PROVISIONING_STDDEV)
                };
                let dist = crate::dist::DurationDist::LogNormal {
                    mean: crate::units::Dur(parse_duration(m).expect("constant")),
                    stddev: crate::units::Dur(parse_duration(s).expect("constant")),
                };
                dist.sample(&mut *self.rng_cluster)
            }
        }
    }

    /// Karpenter batching: the first pending pod opens a window that closes after
    /// `batch_idle` without new pods, or at `batch_max` after it opened.
    fn karpenter_batch(&mut self) {
        let now = self.now();
        let a = &self.sc.file.autoscaler;
        let start = *self.karpenter_open.get_or_insert(now);
        let at = now
            .plus(SimTime(a.batch_idle.0))
            .min(start.plus(SimTime(a.batch_max.0)));
        self.karpenter_deadline = Some(at);
        self.q.schedule_at(at, Event::KarpenterBatch { at });
    }

    fn on_autoscaler_scan(&mut self) {
        let now = self.now();
        let a = self.sc.file.autoscaler.clone();
        if a.mode == AutoscalerMode::ClusterAutoscaler {
            self.scale_up(false);
        }
        // Scale down empty nodes only: Argo pods are not backed by a controller CA or
        // Karpenter would recreate them elsewhere, so non-empty nodes are not drained here.
        let (unneeded, after_add) = match a.mode {
            AutoscalerMode::Karpenter => (SimTime(a.consolidate_after.0), SimTime::ZERO),
            _ => (
                SimTime(a.scale_down_unneeded_time.0),
                SimTime(a.scale_down_delay_after_add.0),
            ),
        };
        let recently_added = self.last_scale_up.is_some_and(|t| now < t.plus(after_add));
        if !recently_added {
            let mut removed = 0;
            for n in 0..self.nodes.nodes.len() {
                let x = &self.nodes.nodes[n];
                if removed < 10
                    && x.state == NodeState::Ready
                    && x.pods == 0
                    && x.empty_since.is_some_and(|t| now.since(t) >= unneeded)
                    && self.nodes.pool_size(x.pool) > self.sc.pools[x.pool].min_nodes
                {
                    self.nodes.remove(n, now);
                    self.nodes_removed += 1;
                    removed += 1;
                }
            }
        }
        // Keep scanning after the work is done until the pools are back at their minimum:
        // those idle node-minutes are billed.
        let removable =
            (0..self.sc.pools.len()).any(|p| self.nodes.pool_size(p) > self.sc.pools[p].min_nodes);
        if self.arrivals_left > 0 || self.unfinished_wfs > 0 || removable {
            self.q
                .schedule_in(SimTime(a.scan_interval.0), Event::AutoscalerScan);
        }
    }

    /// Grow node groups for the Unschedulable pods that upcoming nodes will not absorb.
    /// cluster-autoscaler grows one group per scan, chosen by its expander; Karpenter
    /// (`all_groups`) keeps launching the cheapest fitting pool until every pod is covered.
    fn scale_up(&mut self, all_groups: bool) {
        let now = self.now();
        let mut pending: Vec<usize> = self
            .sched_unsched
            .iter()
            .copied()
            .filter(|&p| !self.pods[p].killed)
            .collect();
        if pending.is_empty() {
            return;
        }
        // Capacity of nodes already provisioning absorbs pods first.
        let mut upcoming: Vec<(u64, u64, u32, usize)> = self
            .nodes
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Provisioning)
            .map(|n| (n.alloc_cpu, n.alloc_mem, n.max_pods, n.pool))
            .collect();
        pending.retain(|&p| {
            let x = &self.pods[p];
            let allowed =
                &self.sc.workflows[self.wfs[x.wf].spec].tasks[x.task as usize].allowed_pools;
            match upcoming
                .iter_mut()
                .find(|u| u.0 >= x.cpu && u.1 >= x.mem && u.2 > 0 && allowed[u.3])
            {
                Some(u) => {
                    u.0 -= x.cpu;
                    u.1 -= x.mem;
                    u.2 -= 1;
                    false
                }
                None => true,
            }
        });
        let max_per = self.sc.file.autoscaler.max_nodes_per_scaleup;
        loop {
            if pending.is_empty() {
                return;
            }
            // Option per pool: (nodes needed, pods helped, idle cpu fraction, cost/h).
            let mut options = Vec::new();
            for (pi, pool) in self.sc.pools.iter().enumerate() {
                let room = pool
                    .max_nodes
                    .saturating_sub(self.nodes.pool_size(pi))
                    .min(max_per);
                if room == 0 {
                    continue;
                }
                let mut bins: Vec<(u64, u64, u32)> = Vec::new();
                let mut helped = Vec::new();
                for &p in &pending {
                    let x = &self.pods[p];
                    let allowed = &self.sc.workflows[self.wfs[x.wf].spec].tasks[x.task as usize]
                        .allowed_pools;
                    if !allowed[pi] || x.cpu > pool.alloc_cpu || x.mem > pool.alloc_mem {
                        continue;
                    }
                    let slot = bins
                        .iter()
                        .position(|b| b.0 >= x.cpu && b.1 >= x.mem && b.2 > 0);
                    let idx = match slot {
                        Some(i) => i,
                        None if (bins.len() as u32) < room => {
                            bins.push((pool.alloc_cpu, pool.alloc_mem, pool.max_pods));
                            bins.len() - 1
                        }
                        None => continue,
                    };
                    let b = &mut bins[idx];
                    b.0 -= x.cpu;
                    b.1 -= x.mem;
                    b.2 -= 1;
                    helped.push(p);
                }
                if bins.is_empty() {
                    continue;
                }
                let idle: u64 = bins.iter().map(|b| b.0).sum();
                let waste = idle as f64 / (pool.alloc_cpu.max(1) * bins.len() as u64) as f64;
                let cost = bins.len() as f64 * pool.price_per_hour;
                options.push((pi, bins.len() as u32, helped, waste, cost));
            }
            if options.is_empty() {
                return;
            }
            let expander = if all_groups {
                Expander::Price
            } else {
                self.sc.file.autoscaler.expander
            };
            let pick = match expander {
                Expander::LeastWaste => {
                    (0..options.len()).min_by(|&a, &b| options[a].3.total_cmp(&options[b].3))
                }
                Expander::Price => (0..options.len()).min_by(|&a, &b| {
                    (options[a].4 / options[a].2.len() as f64)
                        .total_cmp(&(options[b].4 / options[b].2.len() as f64))
                }),
                Expander::MostPods => {
                    (0..options.len()).max_by_key(|&i| (options[i].2.len(), usize::MAX - i))
                }
                Expander::Random => Some(self.rng_cluster.random_range(0..options.len())),
            }
            .expect("options is not empty");
            let (pool, count, helped, _, _) = options.swap_remove(pick);
            for _ in 0..count {
                let n = self
                    .nodes
                    .add(pool, &self.sc.pools[pool], self.sc.images.len(), now);
                let delay = self.provisioning_delay(pool);
                self.q.schedule_in(delay, Event::NodeReady { node: n });
                self.nodes_added += 1;
            }
            let size = self.nodes.pool_size(pool);
            self.pool_peak[pool] = self.pool_peak[pool].max(size);
            self.last_scale_up = Some(now);
            if !all_groups {
                return;
            }
            pending.retain(|p| !helped.contains(p));
        }
    }

    /// Move unschedulable pods that could now fit back to the active queue (as kube-scheduler's
    /// queueing hints do), honouring each pod's backoff. The scan stops after a run of pods
    /// that fit nowhere, so a long homogeneous backlog costs O(freed slots), not O(backlog).
    fn requeue_unschedulable(&mut self) {
        if self.sched_unsched.is_empty() {
            return;
        }
        let now = self.now();
        let mut free: Vec<(u64, u64, u32, usize)> = self
            .nodes
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| {
                (
                    n.alloc_cpu.saturating_sub(n.used_cpu),
                    n.alloc_mem.saturating_sub(n.used_mem),
                    n.max_pods.saturating_sub(n.pods),
                    n.pool,
                )
            })
            .collect();
        let mut misses = 0;
        let mut i = 0;
        while i < self.sched_unsched.len() && misses < 32 {
            let pod = self.sched_unsched[i];
            let (cpu, mem) = (self.pods[pod].cpu, self.pods[pod].mem);
            let allowed = &self.sc.workflows[self.wfs[self.pods[pod].wf].spec].tasks
                [self.pods[pod].task as usize]
                .allowed_pools;
            if let Some(slot) = free
                .iter_mut()
                .find(|f| f.0 >= cpu && f.1 >= mem && f.2 > 0 && allowed[f.3])
            {
                slot.0 -= cpu;
                slot.1 -= mem;
                slot.2 -= 1;
                self.sched_unsched.remove(i);
                let until = self.pods[pod].backoff_until;
                if until > now {
                    self.q.schedule_at(until, Event::PodBackoffDone { pod });
                } else {
                    self.sched_active.push_back(pod);
                }
                misses = 0;
            } else {
                misses += 1;
                i += 1;
            }
        }
        self.sched_kick();
    }

    // ---------------------------------------------------------------- metrics

    /// Live bytes in etcd: Workflow objects as stored (compressed/offloaded bodies) and pods.
    fn etcd_live_bytes(&self) -> u64 {
        self.etcd_wf_bytes + self.pods_in_cluster * POD_OBJECT_BYTES
    }

    fn on_sample(&mut self) {
        let now = self.now();
        self.etcd_peak = self.etcd_peak.max(self.etcd_live_bytes());
        let t = now.as_secs_f64();
        self.ts.t_s.push(t);
        let alloc: u64 = self
            .nodes
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| n.alloc_cpu)
            .sum();
        let used: u64 = self
            .nodes
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Ready)
            .map(|n| n.used_cpu)
            .sum();
        let busy = (self.workers.len() - self.idle_workers.len()) as f64;
        let values = [
            self.wq.len() as f64,
            busy,
            self.running_wfs as f64,
            self.reason_now.iter().sum::<u64>() as f64,
            self.running_pods as f64,
            self.reason_now[1] as f64,
            self.reason_now[2] as f64,
            self.reason_now[3] as f64,
            self.cleanup_ready.len() as f64,
            self.api.inflight() as f64,
            self.api.queued() as f64,
            self.controller_memory() as f64,
            self.wfs_in_cluster as f64,
            self.etcd_live_bytes() as f64,
            self.nodes
                .nodes
                .iter()
                .filter(|n| n.state != NodeState::Gone)
                .count() as f64,
            self.reason_now[R_ERR_IMAGE_PULL as usize] as f64
                + self.reason_now[R_IMAGE_PULL_BACKOFF as usize] as f64,
            if alloc > 0 {
                used as f64 / alloc as f64
            } else {
                0.0
            },
        ];
        for (col, v) in self.ts.series.values_mut().zip(values) {
            col.push(v);
        }
        if self.arrivals_left > 0 || self.unfinished_wfs > 0 {
            self.q.schedule_in(
                SimTime(self.sc.file.experiment.sample_interval.0),
                Event::Sample,
            );
        }
    }

    fn report(
        mut self,
        replication: u32,
        seed: u64,
        end: SimTime,
        horizon_reached: bool,
    ) -> RunReport {
        let sc = self.sc;
        self.nodes.finish(end);
        // Close pending-reason accounting for pods still pending.
        for p in &self.pods {
            if let PodState::Pending(r) = p.state {
                self.reason_seconds[r as usize] += end.since(p.since).as_secs_f64();
            }
        }
        // Cost: each node is billed from its VM request to its deletion (or the end of the
        // run), per second with a one-minute minimum (GCP and AWS billing).
        let mut by_pool = Vec::new();
        let mut total = 0.0;
        for (pi, p) in sc.pools.iter().enumerate() {
            let mut secs_billed = 0.0;
            let mut peak = 0u32;
            for n in 0..self.nodes.nodes.len() {
                if self.nodes.nodes[n].pool == pi {
                    secs_billed += self.nodes.billed_seconds(n, end);
                }
            }
            peak = peak.max(self.pool_peak.get(pi).copied().unwrap_or(0));
            let node_hours = secs_billed / 3600.0;
            let usd = node_hours * p.price_per_hour;
            total += usd;
            let u = &self.nodes.usage[pi];
            // Utilisation: requested over allocatable of the node-seconds that existed.
            let cap_cpu = p.alloc_cpu as f64 * secs_billed;
            let cap_mem = p.alloc_mem as f64 * secs_billed;
            by_pool.push(PoolCost {
                pool: p.name.clone(),
                nodes: peak,
                spot: p.spot,
                node_hours,
                usd,
                cpu_utilisation: if cap_cpu > 0.0 {
                    (u.cpu_integral / cap_cpu).min(1.0)
                } else {
                    0.0
                },
                memory_utilisation: if cap_mem > 0.0 {
                    (u.mem_integral / cap_mem).min(1.0)
                } else {
                    0.0
                },
            });
        }
        let cp = sc.file.cluster.control_plane_price_per_hour * end.as_secs_f64() / 3600.0;
        total += cp;
        let nodes_usd = total - cp;

        // Per-workflow cost: share of node cost by requested cpu-seconds of its pods.
        let mut wf_cpu_secs = vec![0.0f64; self.wfs.len()];
        for p in &self.pods {
            // Only pods whose main container started are charged (request x run time).
            if matches!(
                p.state,
                PodState::Running | PodState::Succeeded | PodState::Failed
            ) {
                let end_t = if p.state == PodState::Running {
                    end
                } else {
                    p.main_start.plus(p.run_time)
                };
                let secs = end_t.since(p.main_start).as_secs_f64();
                wf_cpu_secs[p.wf] += (p.cpu.max(1)) as f64 * secs;
            }
        }
        let cpu_total: f64 = wf_cpu_secs.iter().sum();

        let mut wr = WorkflowsReport {
            submitted: self.wfs.len() as u64,
            ..Default::default()
        };
        let mut makespans = Vec::new();
        let mut sub_lat = Vec::new();
        let mut start_lat = Vec::new();
        let mut obj = ObjectReport {
            max_workflow_size: sc.file.controller.max_workflow_size.0,
            etcd_limit: sc.file.apiserver.etcd_max_request_bytes.0,
            apiserver_limit: sc.file.apiserver.max_request_body_bytes.0,
            workflows_in_cluster_peak: self.wfs_in_cluster_peak,
            offload_db_round_trips: self.offload_round_trips,
            etcd_live_bytes_peak: self.etcd_peak.max(self.etcd_live_bytes()),
            etcd_quota_bytes: sc.file.apiserver.etcd_quota_bytes.0,
            argo_server_list_latency_s: SimTime(
                sc.file.argo_server.list_latency_base.0
                    + sc.file.argo_server.list_latency_per_workflow.0 * self.wfs_in_cluster_peak,
            )
            .as_secs_f64(),
            ..Default::default()
        };
        for (i, w) in self.wfs.iter().enumerate() {
            match w.phase {
                WfPhase::Succeeded => wr.succeeded += 1,
                WfPhase::Failed => wr.failed += 1,
                WfPhase::Error => wr.errored += 1,
                _ => wr.unfinished += 1,
            }
            if matches!(w.phase, WfPhase::Failed | WfPhase::Error) {
                let cause = if w
                    .message
                    .starts_with("workflow is longer than maximum allowed size")
                {
                    "workflow is longer than maximum allowed size".to_string()
                } else if let Some((_, node_msg)) = w.message.split_once(" failed: ") {
                    format!("step failed: {node_msg}")
                } else {
                    w.message.clone()
                };
                *wr.failure_causes.entry(cause).or_default() += 1;
            }
            if let Some(c) = w.created_at {
                sub_lat.push(c.since(w.submit_started).as_secs_f64());
                if let Some(s) = w.started_at {
                    start_lat.push(s.since(c).as_secs_f64());
                }
            }
            let makespan = w.finished_at.map(|f| f.since(w.submitted_at).as_secs_f64());
            if let Some(m) = makespan {
                makespans.push(m);
            }
            obj.peak_bytes = obj.peak_bytes.max(w.peak_body);
            obj.peak_uncompressed_bytes = obj.peak_uncompressed_bytes.max(w.peak_uncompressed);
            obj.peak_nodes = obj.peak_nodes.max(w.nodes());
            match w.storage {
                Storage::Compressed => obj.compressed += 1,
                Storage::Offloaded => obj.offloaded += 1,
                Storage::Plain => {}
            }
            if w.message
                .starts_with("workflow is longer than maximum allowed size")
                || w.message == ETCD_TOO_LARGE
                || w.message.starts_with("Request entity too large")
            {
                obj.size_errors += 1;
            }
            wr.list.push(WorkflowEntry {
                name: w.name.clone(),
                phase: format!("{:?}", w.phase),
                message: w.message.clone(),
                submitted_at_s: w.submitted_at.as_secs_f64(),
                finished_at_s: w.finished_at.map(SimTime::as_secs_f64),
                makespan_s: makespan,
                pods: w.pods.len() as u64,
                nodes: w.nodes(),
                reconciles: w.reconciles,
                peak_object_bytes: w.peak_body,
                storage: format!("{:?}", w.storage).to_lowercase(),
                cost_usd: if cpu_total > 0.0 {
                    nodes_usd * wf_cpu_secs[i] / cpu_total
                } else {
                    0.0
                },
            });
        }
        wr.success_rate = if wr.submitted > 0 {
            wr.succeeded as f64 / wr.submitted as f64
        } else {
            0.0
        };
        wr.makespan_s = Stats::of(&mut makespans);
        wr.submission_latency_s = Stats::of(&mut sub_lat);
        wr.time_to_start_s = Stats::of(&mut start_lat);

        let mut pods = PodsReport {
            created: self.pods_created,
            image_pulls: self.image_pulls,
            overcommitted_binds: self.nodes.overcommitted_binds,
            ..Default::default()
        };
        for name in ["Succeeded", "Failed", "Running", "Pending"] {
            pods.by_phase.insert(name.into(), 0);
        }
        let mut runs = Vec::new();
        for p in &self.pods {
            let key = match p.state {
                PodState::Succeeded => "Succeeded",
                PodState::Failed => "Failed",
                PodState::Running => "Running",
                PodState::Pending(r) => {
                    if r == 1 {
                        *pods
                            .unschedulable_messages
                            .entry(p.unsched_msg.clone())
                            .or_default() += 1;
                    }
                    "Pending"
                }
            };
            *pods.by_phase.entry(key.into()).or_default() += 1;
            if matches!(p.state, PodState::Succeeded | PodState::Failed) {
                runs.push(p.run_time.as_secs_f64());
            }
        }
        for (i, r) in REASONS.iter().enumerate() {
            pods.pending_seconds_by_reason
                .insert((*r).into(), self.reason_seconds[i]);
            pods.pods_by_pending_reason
                .insert((*r).into(), self.reason_pods[i]);
        }
        pods.scheduling_wait_s = Stats::of(&mut self.sched_wait);
        pods.image_pull_s = Stats::of(&mut self.pull_wait);
        pods.startup_s = Stats::of(&mut self.startup);
        pods.run_s = Stats::of(&mut runs);

        let mut api = ApiReport {
            status_429: self.status_429,
            status_413: self.status_413,
            etcd_too_large: self.etcd_too_large,
            peak_inflight: self.api.peak_inflight,
            peak_queued: self.api.peak_queued,
            apf_queue_timeouts: self.apf_timeouts,
            ..Default::default()
        };
        for ((client, verb, resource), mut acc) in std::mem::take(&mut self.api_acc) {
            api.total_requests += acc.count;
            api.by_client.push(ApiRow {
                client: client.into(),
                verb: verb.as_str().into(),
                resource: resource.into(),
                count: acc.count,
                errors: acc.errors,
                by_status: acc
                    .by_status
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
                latency_s: Stats::of(&mut acc.latencies),
            });
        }
        let throttling = self
            .throttle
            .iter()
            .filter(|(_, a)| a.requests > 0)
            .map(|(name, a)| ThrottleReport {
                client: (*name).into(),
                qps: if a.qps.is_finite() { a.qps } else { 0.0 },
                burst: if a.qps.is_finite() { a.burst } else { 0 },
                requests: a.requests,
                throttled: a.throttled,
                logged_waits: a.logged,
                total_wait_s: a.total,
                max_wait_s: a.max,
                worst_message: a.worst.clone(),
            })
            .collect();
        let controller = ControllerReport {
            reconciles: self.reconciles,
            queue_adds: self.queue_adds_before + self.wq.adds,
            queue_max_depth: self.queue_depth_before.max(self.wq.max_depth) as u64,
            queue_latency_s: Stats::of(&mut self.queue_latency),
            operation_duration_s: Stats::of(&mut self.op_durations),
            deadline_exceeded: self.deadline_exceeded,
            resource_rate_limited: self.rrl_refused,
            workers_busy_max: self.workers_busy_max,
            pods_created: self.pods_created,
            pod_cleanups: self.cleanups,
            cleanup_queue_max_depth: self.cleanup_max_depth,
            cleanup_latency_s: Stats::of(&mut self.cleanup_latency),
            throttled_by_parallelism: self.parallelism_held,
            pods_deleted: self.pods_deleted,
            workflows_deleted: self.workflows_deleted,
            lock_waits: self.lock_waits,
            lock_messages: std::mem::take(&mut self.lock_messages),
            restarts: self.restarts,
            restart_causes: std::mem::take(&mut self.restart_causes),
            downtime_s: self.downtime.as_secs_f64(),
            aborted_reconciles: self.aborted_reconciles,
            peak_memory_bytes: self.peak_memory,
            memory_limit_bytes: self.sc.file.controller.memory_limit.map(|b| b.0),
            cpu_busy_cores_mean: if self.cpu.limited() {
                self.cpu.busy_core_seconds / end.as_secs_f64().max(1e-9)
            } else {
                0.0
            },
        };
        RunReport {
            replication,
            seed,
            end_time_s: end.as_secs_f64(),
            horizon_reached,
            events: self.q.delivered(),
            workflows: wr,
            pods,
            api,
            throttling,
            controller,
            workflow_object: obj,
            cost: CostReport {
                total_usd: total,
                control_plane_usd: cp,
                spot_usd: by_pool
                    .iter()
                    .filter(|p| p.spot)
                    .map(|p| p.usd)
                    .fold(0.0, |a, b| a + b),
                on_demand_usd: by_pool
                    .iter()
                    .filter(|p| !p.spot)
                    .map(|p| p.usd)
                    .fold(0.0, |a, b| a + b),
                per_workflow_usd: if self.wfs.is_empty() {
                    0.0
                } else {
                    total / self.wfs.len() as f64
                },
                by_pool,
            },
            cluster: ClusterReport {
                nodes_added: self.nodes_added,
                nodes_removed: self.nodes_removed,
                nodes_peak: self.pool_peak.iter().map(|&n| u64::from(n)).sum(),
                spot_preemptions: self.spot_preemptions,
                pods_killed: self.pods_killed,
                retries: self.retries,
                pull_errors: std::mem::take(&mut self.pull_errors),
            },
            timeseries: std::mem::take(&mut self.ts),
        }
    }
}

/// Backoff before the next attempt of a failed pod's item, or `None` if its retryStrategy
/// (policy, limit, maxDuration) does not allow one (argo-facts §7).
fn retry_backoff(task: &crate::scenario::TaskSpec, pod: &Pod, now: SimTime) -> Option<SimTime> {
    let r = task.retry.as_ref()?;
    let policy_ok = match r.policy {
        RetryPolicy::Always => true,
        RetryPolicy::OnFailure => !pod.fail_error,
        RetryPolicy::OnError => pod.fail_error,
        // Neither "pod deleted" nor node shutdown nor an exit code is a transient error.
        RetryPolicy::OnTransientError => false,
    };
    if !policy_ok || r.limit.is_some_and(|l| pod.attempt >= l) {
        return None;
    }
    let backoff =
        SimTime::from_secs_f64_ceil(r.backoff.as_secs_f64() * r.factor.powi(pod.attempt as i32));
    if let Some(max) = r.max_duration
        && now.plus(backoff).since(pod.first_start) > SimTime(max.0)
    {
        return None;
    }
    Some(backoff)
}

/// Registry host of an image reference (`docker.io` when it has none).
fn registry_host(image: &str) -> &str {
    match image.split_once('/') {
        Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => host,
        _ => "docker.io",
    }
}

/// Time-series columns, named after Argo v3.6 metrics where one exists.
pub const SERIES: [&str; 17] = [
    "argo_workflows_queue_depth_gauge{queue_name=\"workflow_queue\"}",
    "argo_workflows_workers_busy_count{worker_type=\"workflow\"}",
    "argo_workflows_gauge{status=\"Running\"}",
    "argo_workflows_pods_gauge{phase=\"Pending\"}",
    "argo_workflows_pods_gauge{phase=\"Running\"}",
    "pods_pending{reason=\"Unschedulable\"}",
    "pods_pending{reason=\"ContainerCreating\"}",
    "pods_pending{reason=\"PodInitializing\"}",
    "argo_workflows_queue_depth_gauge{queue_name=\"pod_cleanup_queue\"}",
    "apiserver_current_inflight_requests",
    "apiserver_flowcontrol_current_inqueue_requests",
    "controller_memory_bytes",
    "workflows_in_cluster",
    "etcd_live_bytes",
    "cluster_nodes",
    "pods_pending{reason=\"ImagePullBackOff\"}",
    "cluster_cpu_requested_ratio",
];

impl Client {
    fn new(name: &'static str, qps: f64, burst: u32) -> Self {
        // API Priority and Fairness flow schemas (k8s-facts §1.2): service accounts land in
        // workload-low, the scheduler in workload-high, kubelets (system:nodes) in system,
        // human users (argo CLI, kubectl) in global-default.
        let level = match name {
            "kube-scheduler" => Level::WorkloadHigh,
            "kubelet" => Level::System,
            "argo-cli" | "kubectl" => Level::GlobalDefault,
            _ => Level::WorkloadLow,
        };
        Client {
            name,
            level,
            bucket: TokenBucket::new(qps, burst),
            qps,
            burst,
        }
    }
}
