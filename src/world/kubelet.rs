//! The kubelets, one component: after binding, each pod's first status, sandbox, image checks
//! in container order (the argoexec image before the `init` container, the main image after
//! it; `IfNotPresent`, registryPullQPS/registryBurst `TryAccept`, serialized pulls as one FIFO
//! puller per node, ErrImagePull and ImagePullBackOff, registry pull limits, image
//! streaming), the init container with its artifact read, the main container, the wait
//! container with its write and the argoexec TaskResult writes (create, progress ticks,
//! outputs, finalize), and the pod status PATCHes through each node's own kubelet client.
//!
//! Shared storage transfers (`[storage]`: NFS processor sharing, or a bucket's per-client
//! bandwidth and request rate) are modelled here because only pods use them. Reports image
//! pulls, pull waits and create-to-running startup. Simplified: argoexec is one unthrottled
//! client (each pod's own 5/10 bucket is never the limit for a few writes a minute); image
//! disk GC is not modelled; a pull call refused by the pull QPS keeps its place on the node's
//! serial puller (the real kubelet frees it and the retry queues again).

use super::api::Origin;
use super::controller::SMALL_BODY_BYTES;
use super::pods::{PodState, R_CONTAINER_CREATING, R_IMAGE_PULL_BACKOFF, R_POD_INITIALIZING};
use super::{Ctx, Event};
use crate::engine::{SimTime, TimerId};
use crate::kube::apiserver::Verb;
use crate::kube::ratelimit::TokenBucket;
use crate::kube::storage::SharedLink;
use crate::scenario::defaults as d;
use crate::scenario::schema::StorageKind;
use crate::units::parse_duration;
use indexmap::IndexMap;

/// Kubelet stages of a pod after binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeletStage {
    /// Sandbox up: the kubelet checks/pulls the executor (argoexec) image of `init`.
    PullCheck,
    /// Executor image present: the init container starts.
    InitStart,
    /// Init done: the kubelet checks/pulls the main container's image.
    MainPullCheck,
    /// Main image present: main (and wait) start.
    MainStart,
    /// Main exited: the wait container saves outputs.
    MainExit,
    /// Main and wait exited.
    Exit,
}

/// Events of the kubelets.
#[derive(Debug, Clone, Copy)]
pub enum KubeletEvent {
    /// Kubelet progress of a pod.
    Stage {
        /// Pod.
        pod: u32,
        /// Stage reached.
        stage: KubeletStage,
    },
    /// A running pod's wait container patches its TaskResult (progress tick). The event
    /// carries what the tick needs, so that it does not read the pod, its workflow or its
    /// spec (a cache miss each, 657,000 times on the market run).
    ProgressTick(ProgressTick),
    /// A transfer through `[storage]` finishes.
    StorageTick,
}

/// A progress tick: the pod, and what its wait container knows from its start (its
/// controller's tick period, whether the step reports progress, the ticks left).
#[derive(Debug, Clone, Copy)]
pub struct ProgressTick {
    /// Pod.
    pod: u32,
    /// The controller that created the pod (it set `ARGO_PROGRESS_PATCH_TICK_DURATION`);
    /// [`ProgressTick::FROM_POD`] when its index does not fit: then the tick reads the pod.
    ctrl: u16,
    /// The step reports progress: each patch changes the TaskResult.
    changes: bool,
    /// Ticks after this one before the main container's exit.
    left: u32,
}

impl ProgressTick {
    /// `ctrl` when the controller's index does not fit in 16 bits.
    const FROM_POD: u16 = u16::MAX;
}

impl From<KubeletEvent> for Event {
    fn from(e: KubeletEvent) -> Event {
        Event::Kubelet(e)
    }
}

/// Kubelet clients, image pull state, shared storage, and the kubelet metrics.
pub(super) struct Kubelet {
    argoexec_client: usize,
    /// Progress ticks read the pod each time (the path for controller indices over 16 bits):
    /// for a test that both paths agree.
    #[cfg(test)]
    ticks_from_pod: bool,
    node_clients: Vec<usize>,
    image_registry: Vec<Option<usize>>,
    registry_buckets: Vec<TokenBucket>,
    pull_errors: IndexMap<String, u64>,
    image_backoff: SimTime,
    image_backoff_max: SimTime,
    image_streaming_time: SimTime,
    storage: SharedLink,
    storage_timer: Option<TimerId>,
    bucket_requests: TokenBucket,
    image_pulls: u64,
    pull_wait: crate::metrics::Durations,
    startup: crate::metrics::Durations,
}

impl Kubelet {
    /// Register the argoexec client and one client per initial node.
    pub(super) fn new(cx: &mut Ctx<'_>) -> Self {
        let f = &cx.sc.file;
        // Each pod's executor has its own client-go bucket (5 qps / 10 burst) that its ~3
        // writes plus one per minute never exhaust: modelled as one unthrottled client.
        let argoexec_client = cx.api.add_client("argoexec", f64::INFINITY, u32::MAX);
        let node_clients = (0..cx.nodes.nodes.len())
            .map(|_| {
                cx.api
                    .add_client("kubelet", f.kubelet.api_qps, f.kubelet.api_burst)
            })
            .collect();
        Kubelet {
            argoexec_client,
            #[cfg(test)]
            ticks_from_pod: false,
            node_clients,
            image_registry: cx
                .sc
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
            storage: SharedLink::new(
                f.storage.bandwidth.0 as f64,
                f.storage.per_client_bandwidth.0 as f64,
            ),
            storage_timer: None,
            bucket_requests: TokenBucket::new(
                f.storage.requests_per_sec,
                f.storage.requests_per_sec.max(1.0) as u32,
            ),
            image_pulls: 0,
            pull_wait: crate::metrics::Durations::new(),
            startup: crate::metrics::Durations::new(),
        }
    }

    /// Route one kubelet event.
    pub(super) fn handle(&mut self, cx: &mut Ctx<'_>, ev: KubeletEvent) {
        match ev {
            KubeletEvent::Stage { pod, stage } => self.on_stage(cx, pod as usize, stage),
            KubeletEvent::ProgressTick(t) => self.on_progress_tick(cx, t),
            KubeletEvent::StorageTick => self.on_storage_tick(cx),
        }
    }

    /// The pod was bound to its node: the sandbox starts (ContainerCreating).
    pub(super) fn on_pod_bound(&mut self, cx: &mut Ctx<'_>, pod: usize) {
        let now = cx.now();
        cx.pods.set_pending_reason(now, pod, R_CONTAINER_CREATING);
        // SyncPod posts the pod's first status (containers waiting) before the sandbox.
        self.status(cx, pod);
        let sandbox_done = now.plus(SimTime(cx.sc.file.kubelet.sandbox_start.0));
        cx.pods[pod].pull.requested_at = sandbox_done;
        let t = cx.pods.times_mut(pod);
        t.bound = now;
        t.sandbox = sandbox_done;
        at(cx, sandbox_done, pod, KubeletStage::PullCheck);
    }

    /// kubelet `EnsureImageExists` with `IfNotPresent`: a present image needs no pull; a pull
    /// is dispatched through the node's registryPullQPS/registryBurst bucket, which refuses
    /// rather than waits ("pull QPS exceeded" → ErrImagePull, then ImagePullBackOff 10 s
    /// doubling to 300 s); a request queued behind an in-flight pull of the same image
    /// (serialized pulls) is dispatched when that pull ends and takes a token then.
    ///
    /// `main` selects the main container's image (after init) rather than the executor's
    /// (before init, argo-facts §11.6). With serialized pulls, a request made while a pull
    /// of the same image is in flight is its own `PullImage` call, queued FIFO on the node's
    /// serial puller: one at a time, each taking a pull-QPS token when it starts and
    /// `image_pull_overhead` (the manifest round trip of an image now present). Simplified: a
    /// call refused by the pull QPS keeps its slot on the puller.
    fn pull_check(&mut self, cx: &mut Ctx<'_>, pod: usize, main: bool) {
        let now = cx.now();
        let kl = &cx.sc.file.kubelet;
        let Some(node) = cx.pods[pod].node() else {
            return;
        };
        let (image, size, this, next) = if main {
            let p = &cx.pods[pod];
            let size = cx.sc.workflows[cx.wfs[p.wf()].spec()].tasks[p.task as usize].image_size;
            (
                p.image as usize,
                size,
                KubeletStage::MainPullCheck,
                KubeletStage::MainStart,
            )
        } else {
            let size = kl.executor_image_size.0;
            (
                cx.sc.executor_image,
                size,
                KubeletStage::PullCheck,
                KubeletStage::InitStart,
            )
        };
        cx.pods[pod].pull.main_pull = main;
        let present = cx.nodes.image_ready_at(node, image);
        let queued = cx.pods[pod].pull.dispatch_pending;
        if present.is_some_and(|t| t <= now) && !queued {
            return self.image_ready(cx, pod, next);
        }
        if kl.image_streaming {
            let t = now.plus(self.image_streaming_time);
            at(cx, t, pod, next);
            self.pull_wait.push(t.since(cx.pods[pod].pull.requested_at));
            return;
        }
        let overhead = SimTime(kl.image_pull_overhead.0);
        if queued {
            // The serial puller reached this request's call: it takes a token now.
            cx.pods[pod].pull.dispatch_pending = false;
            if !cx.nodes.nodes[node].pull_bucket.try_accept(now) {
                return self.err_image_pull(cx, pod, "pull QPS exceeded");
            }
            let t = now.plus(overhead);
            self.pull_wait.push(t.since(cx.pods[pod].pull.requested_at));
            at(cx, t, pod, next);
            return;
        }
        if present.is_some() && kl.serialize_image_pulls {
            // A pull of this image is in flight on the node: this request is its own call,
            // queued FIFO on the serial puller.
            let start = cx.nodes.serial_call(now, node, overhead);
            cx.pods[pod].pull.dispatch_pending = true;
            at(cx, start, pod, this);
            return;
        }
        if let Some(t) = present {
            // A pull of this image is in flight on the node (parallel pulls).
            if !cx.nodes.nodes[node].pull_bucket.try_accept(now) {
                return self.err_image_pull(cx, pod, "pull QPS exceeded");
            }
            self.pull_wait.push(t.since(cx.pods[pod].pull.requested_at));
            at(cx, t, pod, next);
            return;
        }
        if !cx.nodes.nodes[node].pull_bucket.try_accept(now) {
            return self.err_image_pull(cx, pod, "pull QPS exceeded");
        }
        if let Some(r) = self.image_registry[image]
            && !self.registry_buckets[r].try_accept(now)
        {
            return self.err_image_pull(
                cx,
                pod,
                "toomanyrequests: You have reached your pull rate limit",
            );
        }
        let pull = SimTime(kl.image_pull_overhead.0).plus(SimTime::from_secs_f64_ceil(
            size as f64 / kl.image_pull_bytes_per_sec.0 as f64,
        ));
        let (done, _) = cx
            .nodes
            .ensure_image(now, node, image, pull, kl.serialize_image_pulls);
        self.image_pulls += 1;
        self.pull_wait
            .push(done.since(cx.pods[pod].pull.requested_at));
        at(cx, done, pod, next);
    }

    fn image_ready(&mut self, cx: &mut Ctx<'_>, pod: usize, next: KubeletStage) {
        let now = cx.now();
        self.pull_wait
            .push(now.since(cx.pods[pod].pull.requested_at));
        self.on_stage(cx, pod, next);
    }

    fn err_image_pull(&mut self, cx: &mut Ctx<'_>, pod: usize, msg: &str) {
        let now = cx.now();
        *self.pull_errors.entry(msg.to_string()).or_default() += 1;
        cx.pods.count_err_image_pull();
        let p = &mut cx.pods[pod];
        p.pull.failures += 1;
        let exp = (p.pull.failures - 1).min(20);
        let backoff = (self.image_backoff.0 << exp).min(self.image_backoff_max.0);
        let stage = if p.pull.main_pull {
            KubeletStage::MainPullCheck
        } else {
            KubeletStage::PullCheck
        };
        let t = cx.pods.times_mut(pod);
        t.backoff = t.backoff.plus(SimTime(backoff));
        let before = cx.pods[pod].state;
        cx.pods.set_pending_reason(now, pod, R_IMAGE_PULL_BACKOFF);
        if cx.pods[pod].state != before {
            // The status manager posts the container's new waiting reason.
            self.status(cx, pod);
        }
        at(cx, now.plus(SimTime(backoff)), pod, stage);
    }

    /// Move `bytes` through `[storage]`, then continue the pod at `next` after `then`.
    fn transfer(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: usize,
        bytes: u64,
        next: KubeletStage,
        then: SimTime,
    ) {
        let p = &mut cx.pods[pod];
        p.after_transfer = next;
        p.after_transfer_delay = then;
        let st = &cx.sc.file.storage;
        match st.kind {
            StorageKind::Nfs => {
                let now = cx.now();
                self.storage.advance(now);
                self.storage.add(pod, bytes);
                self.reschedule_storage(cx);
            }
            StorageKind::Bucket => {
                let now = cx.now();
                let requests = bytes.div_ceil(st.object_size.0.max(1));
                // One token per object, taken at once (the wait of the last object).
                let wait = self.bucket_requests.reserve_n(now, requests);
                let t = wait.plus(SimTime::from_secs_f64_ceil(
                    bytes as f64 / st.per_client_bandwidth.0 as f64,
                ));
                after(cx, t.plus(then), pod, next);
            }
        }
    }

    fn reschedule_storage(&mut self, cx: &mut Ctx<'_>) {
        if let Some(t) = self.storage_timer.take() {
            cx.q.cancel(t);
        }
        if let Some(d) = self.storage.next_completion() {
            self.storage_timer = Some(cx.q.schedule_in(d, KubeletEvent::StorageTick.into()));
        }
    }

    fn on_storage_tick(&mut self, cx: &mut Ctx<'_>) {
        self.storage_timer = None;
        let now = cx.now();
        self.storage.advance(now);
        let done = self.storage.take_done();
        self.reschedule_storage(cx);
        for pod in done {
            let p = &cx.pods[pod];
            let (next, then) = (p.after_transfer, p.after_transfer_delay);
            after(cx, then, pod, next);
        }
    }

    fn on_stage(&mut self, cx: &mut Ctx<'_>, pod: usize, stage: KubeletStage) {
        if cx.pods[pod].killed {
            return;
        }
        let now = cx.now();
        let kl = &cx.sc.file.kubelet;
        let ts =
            &cx.sc.workflows[cx.wfs[cx.pods[pod].wf()].spec()].tasks[cx.pods[pod].task as usize];
        let (read, write, out) = (ts.read_bytes, ts.write_bytes, ts.output_parameter_bytes);
        match stage {
            KubeletStage::PullCheck => self.pull_check(cx, pod, false),
            KubeletStage::MainPullCheck => {
                if !cx.pods[pod].pull.main_pull {
                    // Init is done: the kubelet starts the regular containers.
                    cx.pods[pod].pull.requested_at = now;
                    cx.pods.times_mut(pod).init_end = now;
                }
                self.pull_check(cx, pod, true)
            }
            KubeletStage::InitStart => {
                cx.pods.times_mut(pod).init_start = now;
                cx.pods.set_pending_reason(now, pod, R_POD_INITIALIZING);
                // The init container runs: the status manager posts the change.
                self.status(cx, pod);
                let init = SimTime(kl.init_container_time.0);
                if read > 0 {
                    self.transfer(cx, pod, read, KubeletStage::MainPullCheck, init);
                } else {
                    after(cx, init, pod, KubeletStage::MainPullCheck);
                }
            }
            KubeletStage::MainStart => {
                cx.pods.start_running(now, pod);
                let p = &cx.pods[pod];
                self.startup.push(now.since(p.created_at));
                let run = p.run_time;
                after(cx, run, pod, KubeletStage::MainExit);
                self.first_progress_tick(cx, pod, run);
                self.status(cx, pod);
                // wait container: InitializeOutput creates the WorkflowTaskResult.
                self.task_result(cx, pod, Verb::Create, SMALL_BODY_BYTES, false, true);
            }
            KubeletStage::MainExit => {
                // wait container: ReportOutputs, then FinalizeOutput (label report-outputs-completed).
                self.task_result(cx, pod, Verb::Patch, SMALL_BODY_BYTES + out, false, true);
                self.task_result(cx, pod, Verb::Patch, SMALL_BODY_BYTES, true, true);
                let wait = SimTime(kl.wait_container_time.0);
                if write > 0 {
                    self.transfer(cx, pod, write, KubeletStage::Exit, wait);
                } else {
                    after(cx, wait, pod, KubeletStage::Exit);
                }
            }
            KubeletStage::Exit => {
                cx.last_pod_exit = cx.last_pod_exit.max(now);
                cx.pods.times_mut(pod).exit = now;
                let p = &mut cx.pods[pod];
                p.state = PodState::Failed;
                if !p.fails {
                    p.state = PodState::Succeeded;
                } else {
                    p.fail_msg = super::pods::FAIL_EXIT_1;
                }
                cx.pods.stop_running(pod);
                self.status(cx, pod);
            }
        }
    }

    /// An argoexec TaskResult write; `changes` = it changes the object (create, outputs,
    /// finalize label, or a progress report of a step with `progress = true`).
    fn task_result(
        &self,
        cx: &mut Ctx<'_>,
        pod: usize,
        verb: Verb,
        bytes: u64,
        finalize: bool,
        changes: bool,
    ) {
        let origin = Origin::TaskResult {
            pod: pod as u32,
            finalize,
            changes,
        };
        // A progress tick of a step that reports no progress patches `{}`: the apiserver
        // finds the object unchanged and skips etcd and the watch event.
        let resource = "workflowtaskresults";
        cx.issue_write(
            self.argoexec_client,
            verb,
            resource,
            bytes,
            origin,
            !changes,
        );
    }

    /// The kubelet client of `node` (each kubelet has its own kubeAPIQPS bucket).
    fn client(&mut self, cx: &mut Ctx<'_>, node: usize) -> usize {
        while self.node_clients.len() <= node {
            let f = &cx.sc.file.kubelet;
            let c = cx.api.add_client("kubelet", f.api_qps, f.api_burst);
            self.node_clients.push(c);
        }
        self.node_clients[node]
    }

    /// Make every progress tick read the pod (for tests).
    #[cfg(test)]
    pub(super) fn ticks_from_pod(&mut self) {
        self.ticks_from_pod = true;
    }

    /// The main container started, to run `run`: its wait container patches the TaskResult
    /// every tick before the exit (ticks at `start + i * tick < start + run`, i >= 1).
    fn first_progress_tick(&mut self, cx: &mut Ctx<'_>, pod: usize, run: SimTime) {
        let ctrl = cx.ctrl_of_pod(pod);
        let tick = progress_tick(cx, pod);
        if tick >= run {
            return;
        }
        let changes = reports_progress(cx, pod);
        // Ticks before the exit: i * tick < run for i = 1..=n, so n = ceil(run / tick) - 1.
        let n = run.0.div_ceil(tick.0.max(1)) - 1;
        let (ctrl, left) = match (u16::try_from(ctrl), u32::try_from(n.saturating_sub(1))) {
            #[cfg(test)]
            _ if self.ticks_from_pod => (ProgressTick::FROM_POD, 0),
            (Ok(c), Ok(l)) if c != ProgressTick::FROM_POD => (c, l),
            _ => (ProgressTick::FROM_POD, 0),
        };
        let t = ProgressTick {
            pod: pod as u32,
            ctrl,
            changes,
            left,
        };
        cx.q.schedule_recurring(tick, KubeletEvent::ProgressTick(t).into());
    }

    /// A progress tick of a running pod: the wait container patches its TaskResult (a no-op
    /// unless the step reports progress, argo-facts §11.3; argoexec's `monitorProgress` in
    /// `workflow/executor/executor.go` reports on every tick) and the next tick is set if
    /// it comes before the exit.
    fn on_progress_tick(&mut self, cx: &mut Ctx<'_>, t: ProgressTick) {
        let pod = t.pod as usize;
        if !cx.pods.is_running(pod) {
            return;
        }
        debug_assert_eq!(cx.pods[pod].state, PodState::Running);
        let (changes, tick, next) = if t.ctrl == ProgressTick::FROM_POD {
            // The path that reads the pod (a controller index over 16 bits).
            let tick = progress_tick(cx, pod);
            let p = &cx.pods[pod];
            let more = cx.now().plus(tick) < p.main_start.plus(p.run_time);
            (reports_progress(cx, pod), tick, more.then_some(t))
        } else {
            let tick = SimTime(
                cx.sc.controllers[usize::from(t.ctrl)]
                    .cfg
                    .progress_patch_tick
                    .0,
            );
            debug_assert_eq!(t.left > 0, {
                let p = &cx.pods[pod];
                cx.now().plus(tick) < p.main_start.plus(p.run_time)
            });
            let next = (t.left > 0).then(|| ProgressTick {
                left: t.left - 1,
                ..t
            });
            (t.changes, tick, next)
        };
        self.task_result(cx, pod, Verb::Patch, SMALL_BODY_BYTES, false, changes);
        if let Some(next) = next {
            cx.q.schedule_recurring(tick, KubeletEvent::ProgressTick(next).into());
        }
    }

    /// The pod's kubelet PATCHes its status (the pod informers see it when it lands).
    pub(super) fn status(&mut self, cx: &mut Ctx<'_>, pod: usize) {
        let node = cx.pods[pod].node().unwrap_or(0);
        let client = self.client(cx, node);
        cx.issue(
            client,
            Verb::Patch,
            "pods/status",
            SMALL_BODY_BYTES,
            Origin::KubeletStatus { pod: pod as u32 },
        );
    }

    /// (image pulls, pull-wait samples, startup samples, pull errors) for the report.
    pub(super) fn report(&mut self) -> KubeletReport {
        KubeletReport {
            image_pulls: self.image_pulls,
            pull_wait: self.pull_wait.stats(),
            startup: self.startup.stats(),
            pull_errors: std::mem::take(&mut self.pull_errors),
        }
    }
}

/// The kubelets' part of the report.
pub(super) struct KubeletReport {
    pub image_pulls: u64,
    pub pull_wait: crate::metrics::Stats,
    pub startup: crate::metrics::Stats,
    pub pull_errors: IndexMap<String, u64>,
}

/// Schedule kubelet stage `stage` of `pod` at `t`.
fn at(cx: &mut Ctx<'_>, t: SimTime, pod: usize, stage: KubeletStage) {
    cx.q.schedule_at(
        t,
        KubeletEvent::Stage {
            pod: pod as u32,
            stage,
        }
        .into(),
    );
}

/// Schedule kubelet stage `stage` of `pod` after `delay`.
fn after(cx: &mut Ctx<'_>, delay: SimTime, pod: usize, stage: KubeletStage) {
    cx.q.schedule_in(
        delay,
        KubeletEvent::Stage {
            pod: pod as u32,
            stage,
        }
        .into(),
    );
}

/// Registry host of an image reference (`docker.io` when it has none).
fn registry_host(image: &str) -> &str {
    match image.split_once('/') {
        Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => host,
        _ => "docker.io",
    }
}

/// Whether `pod`'s step reports progress (each progress patch then changes its TaskResult).
fn reports_progress(cx: &Ctx<'_>, pod: usize) -> bool {
    let p = &cx.pods[pod];
    cx.sc.workflows[cx.wfs[p.wf()].spec()].tasks[p.task as usize].progress
}

/// `ARGO_PROGRESS_PATCH_TICK_DURATION` of the controller that created `pod` (it sets the
/// executor's environment).
fn progress_tick(cx: &Ctx<'_>, pod: usize) -> SimTime {
    SimTime(
        cx.sc.controllers[cx.ctrl_of_pod(pod)]
            .cfg
            .progress_patch_tick
            .0,
    )
}
