//! The workflow controller, one component: its `workflow_queue` (client-go delaying queue with
//! the 10 s requeue and the resync), its workers and the reconcile loop (`reconcile.rs`),
//! controller/namespace parallelism, synchronization locks (`locks.rs`), the
//! `pod_cleanup_queue` (`cleanup.rs`), its CPU (processor sharing) and heap, crash and
//! restart with leader election and relist (`process.rs`), the TTL controller, and the
//! controller's metrics. A scenario may have several (`[[controllers]]`, shards): each is one
//! `Controller` with its own settings, clients, queues, locks and lease, reconciling only the
//! workflows whose `WorkflowRun::ctrl` names it; `fleet.rs` reports them together.
//!
//! Other components reach it through its informer handlers: `Controller::on_workflow_added`
//! (a Workflow CREATE landed), `Controller::on_pod_changed` (a pod status change is
//! visible), `Controller::on_task_result` (a TaskResult write landed), and through the
//! completions of its own API requests. Left out: update conflicts (no second workflow writer),
//! informer watch lag, the dynamic client except for the relist LIST.

mod activity;
mod cleanup;
mod events;
pub(super) mod fleet;
mod locks;
mod process;
mod reconcile;
mod rules;

use super::api::{Origin, Status};
use super::pods::PodState;
use super::scheduler::Scheduler;
use super::{Ctx, Event};
use crate::argo::cpu::ProcessorSharing;
use crate::argo::workflow::WfPhase;
use crate::argo::workqueue::WorkQueue;
use crate::engine::{RngStream, SimTime, TimerId};
use crate::kube::apiserver::Verb;
use crate::kube::ratelimit::TokenBucket;
use crate::metrics::ControllerReport;
use crate::scenario::defaults as d;
use crate::scenario::schema::ControllerCfg;
use crate::units::parse_duration;
use activity::Activity;
pub(super) use activity::{Act, Mark, split as split_activity};
use cleanup::CleanupQueue;
use events::Events;
use locks::Locks;
use process::Process;
use reconcile::Reconcile;
use std::collections::VecDeque;

/// *Estimate*: size of a Kubernetes Event or a small PATCH body.
pub(super) const SMALL_BODY_BYTES: u64 = 1024;

/// Events of the workflow controller.
#[derive(Debug, Clone, Copy)]
pub enum CtrlEvent {
    /// A delayed `workflow_queue` add matures (it fires at the time the add was due).
    QueueTimer {
        /// Workflow.
        wf: u32,
    },
    /// A worker's CPU time for the current reconcile is over.
    WorkerCpuDone {
        /// Worker.
        worker: u32,
        /// Controller process generation.
        epoch: u32,
        /// Controller.
        ctrl: u32,
    },
    /// The next reconcile finishes on the controller's shared CPU.
    CpuTick {
        /// Controller process generation.
        epoch: u32,
        /// Controller.
        ctrl: u32,
    },
    /// A worker's offload-database round trips are done.
    OffloadDone {
        /// Worker.
        worker: u32,
        /// Controller process generation.
        epoch: u32,
        /// Controller.
        ctrl: u32,
    },
    /// A worker's post-update sleep (INFORMER_WRITE_BACK=false) is over.
    WorkerSleepDone {
        /// Worker.
        worker: u32,
        /// Controller process generation.
        epoch: u32,
        /// Controller.
        ctrl: u32,
    },
    /// The controller process (re)starts after a crash and wins the leader election.
    ControllerStart {
        /// Controller process generation.
        epoch: u32,
        /// Controller.
        ctrl: u32,
    },
    /// The kubelet probes the controller's /healthz.
    Liveness {
        /// Controller.
        ctrl: u32,
    },
    /// A delayed pod_cleanup_queue add matures (it fires at the time the add was due).
    CleanupTimer {
        /// Pod.
        pod: u32,
    },
    /// A completed workflow's TTL expired: the TTL controller deletes it.
    WorkflowTtl {
        /// Workflow.
        wf: u32,
    },
}

impl CtrlEvent {
    /// The controller the event belongs to.
    pub(super) fn owner(&self, cx: &Ctx<'_>) -> usize {
        match *self {
            CtrlEvent::QueueTimer { wf } | CtrlEvent::WorkflowTtl { wf } => {
                cx.wfs[wf as usize].ctrl()
            }
            CtrlEvent::CleanupTimer { pod } => cx.ctrl_of_pod(pod as usize),
            CtrlEvent::WorkerCpuDone { ctrl, .. }
            | CtrlEvent::CpuTick { ctrl, .. }
            | CtrlEvent::OffloadDone { ctrl, .. }
            | CtrlEvent::WorkerSleepDone { ctrl, .. }
            | CtrlEvent::ControllerStart { ctrl, .. }
            | CtrlEvent::Liveness { ctrl } => ctrl as usize,
        }
    }
}

impl From<CtrlEvent> for Event {
    fn from(e: CtrlEvent) -> Event {
        Event::Ctrl(e)
    }
}

/// Counters and samples the controller reports.
#[derive(Debug, Default)]
struct Metrics {
    queue_latency: crate::metrics::Durations,
    op_durations: crate::metrics::Durations,
    deadline_exceeded: u64,
    rrl_refused: u64,
    reconciles: u64,
    workers_busy_max: u64,
    parallelism_held: u64,
    workflows_deleted: u64,
    pods_deleted: u64,
    offload_round_trips: u64,
    retries: u64,
    /// Pods it created.
    pods_created: u64,
    /// Pods of still-Pending nodes created again after their pod vanished.
    pods_recreated: u64,
    /// Workflow updates refused for size (413 / etcd "request is too large").
    size_refused: u64,
    /// Completion writes abandoned: markWorkflowError on a fulfilled workflow panicked.
    size_panics: u64,
}

/// The workflow controller's state.
pub(super) struct Controller {
    /// Index into `Scenario::controllers`.
    id: usize,
    kube_client: usize,
    wf_client: usize,
    dyn_client: usize,
    wq: WorkQueue,
    workers: Vec<Option<Reconcile>>,
    /// `--workflow-workers`.
    n_workers: usize,
    idle_workers: Vec<usize>,
    throttled_wfs: VecDeque<usize>,
    running_wfs: u32,
    running_by_ns: Vec<u32>,
    rrl: Option<TokenBucket>,
    epoch: u32,
    cpu: ProcessorSharing,
    cpu_timer: Option<TimerId>,
    cleanup: CleanupQueue,
    events: Events,
    locks: Locks,
    process: Process,
    rng_run: RngStream,
    rng_fail: RngStream,
    no_write_back_sleep: SimTime,
    /// The sync manager's global lock: the worker holding it, and those waiting.
    sync_holder: Option<usize>,
    sync_waiters: VecDeque<usize>,
    /// What the controller was doing about each workflow, over time.
    act: Activity,
    m: Metrics,
}

/// What the time-series sampler reads from the controller.
pub(super) struct CtrlSample {
    /// `workflow_queue` depth.
    pub queue_depth: usize,
    /// Busy workers.
    pub busy_workers: usize,
    /// Running workflows.
    pub running_workflows: u32,
    /// `pod_cleanup_queue` depth (items past the rate limiter).
    pub cleanup_depth: usize,
    /// Estimated heap.
    pub memory: u64,
}

impl Controller {
    /// Controller `id` of the scenario at time zero, with its clientsets registered.
    pub(super) fn new(cx: &mut Ctx<'_>, seed: u64, id: usize) -> Self {
        let sc = cx.sc;
        let spec = &sc.controllers[id];
        let c = &spec.cfg;
        // Its three clientsets share its service account: `argo` in the namespace it is
        // installed in (its managed namespace, or `argo` for a cluster-wide install).
        let sa = format!(
            "system:serviceaccount:{}:{}",
            spec.namespace.as_deref().unwrap_or(d::DEFAULT_NAMESPACE),
            match spec.name.as_str() {
                d::DEFAULT_CONTROLLER_NAME => "argo",
                n => n,
            }
        );
        let mut client = |set: &str| {
            let name = format!("{} ({set})", spec.name);
            cx.api.add_client_as(&name, &sa, c.qps, c.burst)
        };
        let kube_client = client("kube");
        let wf_client = client("workflow");
        // The workflow informer lists and watches through the dynamic client (unstructured).
        let dyn_client = client("dynamic");
        let workers = c.workflow_workers as usize;
        // The first controller keeps the stream names of a one-controller scenario.
        let stream = |s: &str| match id {
            0 => RngStream::new(seed, s),
            _ => RngStream::new(seed, &format!("{s}/{id}")),
        };
        Controller {
            id,
            kube_client,
            wf_client,
            dyn_client,
            wq: WorkQueue::new(),
            workers: Vec::new(),
            n_workers: workers,
            idle_workers: (0..workers).rev().collect(),
            throttled_wfs: VecDeque::new(),
            running_wfs: 0,
            running_by_ns: vec![0; sc.namespaces.len()],
            rrl: c
                .resource_rate_limit
                .map(|r| TokenBucket::new(r.limit, r.burst)),
            epoch: 0,
            cpu: ProcessorSharing::new(c.cpu.0 as f64 / 1000.0),
            cpu_timer: None,
            cleanup: CleanupQueue::new(c.pod_cleanup_workers),
            events: Events::new(sc.namespaces.len(), id as u32),
            locks: Locks::new(sc.locks.len()),
            process: Process::new(),
            rng_run: stream("pod-durations"),
            rng_fail: stream("pod-failures"),
            no_write_back_sleep: SimTime(parse_duration(d::NO_WRITE_BACK_SLEEP).expect("constant")),
            sync_holder: None,
            sync_waiters: VecDeque::new(),
            act: Activity::default(),
            m: Metrics::default(),
        }
    }

    /// Its settings (its `[controller]` or `[[controllers]]` entry).
    fn cfg<'s>(&self, cx: &Ctx<'s>) -> &'s ControllerCfg {
        &cx.sc.controllers[self.id].cfg
    }

    /// The workflow clientset's client id (cron submissions use it).
    pub(super) fn wf_client(&self) -> usize {
        self.wf_client
    }

    /// Schedule the first liveness probe (the shipped Deployment: initialDelaySeconds 90).
    pub(super) fn start(&self, cx: &mut Ctx<'_>) {
        let ctrl = self.id as u32;
        cx.q.schedule_at(SimTime::from_secs(90), CtrlEvent::Liveness { ctrl }.into());
    }

    /// Route one controller event.
    pub(super) fn handle(&mut self, cx: &mut Ctx<'_>, ev: CtrlEvent) {
        match ev {
            CtrlEvent::QueueTimer { wf } => {
                // It fires at the time the add was due (always after it was set).
                let (wf, now) = (wf as usize, cx.now());
                self.wq.timer_fired(wf, now, now);
                self.note_queue(wf, now);
                self.start_workers(cx);
            }
            CtrlEvent::WorkerCpuDone { worker, epoch, .. } => {
                if epoch == self.epoch {
                    self.on_worker_cpu_done(cx, worker as usize);
                }
            }
            CtrlEvent::WorkerSleepDone { worker, epoch, .. } => {
                if epoch == self.epoch {
                    self.after_update(cx, worker as usize);
                }
            }
            CtrlEvent::OffloadDone { worker, epoch, .. } => {
                if epoch == self.epoch {
                    self.put_workflow(cx, worker as usize);
                }
            }
            CtrlEvent::CpuTick { epoch, .. } => {
                if epoch == self.epoch {
                    self.on_cpu_tick(cx);
                }
            }
            CtrlEvent::ControllerStart { epoch, .. } => {
                if epoch == self.epoch {
                    self.on_controller_start(cx);
                }
            }
            CtrlEvent::Liveness { .. } => self.on_liveness(cx),
            CtrlEvent::CleanupTimer { pod } => {
                let now = cx.now();
                self.cleanup.on_timer(pod as usize, now, now);
                self.cleanup_start(cx);
            }
            CtrlEvent::WorkflowTtl { wf } => {
                cx.issue(
                    self.wf_client,
                    Verb::Delete,
                    "workflows",
                    SMALL_BODY_BYTES,
                    Origin::WorkflowDeleted { wf },
                );
            }
        }
    }

    /// A request of the controller completed (`origin` is one of its own).
    pub(super) fn on_api_done(
        &mut self,
        cx: &mut Ctx<'_>,
        sched: &mut Scheduler,
        origin: Origin,
        status: Status,
    ) {
        match origin {
            Origin::Worker { worker, epoch, .. } => {
                if epoch == self.epoch {
                    self.on_worker_call_done(cx, sched, worker as usize, status);
                }
            }
            Origin::Cleanup { pod } => {
                let pod = pod as usize;
                let in_informer = !cx.pods[pod].left_informer();
                self.on_cleanup_done(cx, pod, status);
                if in_informer && cx.pods[pod].left_informer() {
                    // The labelled (or deleted) pod leaves the informer: a delete event.
                    self.on_pod_event(cx, pod);
                }
            }
            Origin::WorkflowDeleted { wf } => self.on_workflow_deleted(cx, wf as usize, status),
            Origin::Relist { epoch, .. } => {
                if epoch == self.epoch {
                    self.on_relist_done(cx);
                }
            }
            Origin::Event { ns, .. } => {
                let client = self.kube_client;
                self.events
                    .on_written(cx, client, ns as usize, status == Status::Ok)
            }
            _ => unreachable!("not a controller request: {origin:?}"),
        }
    }

    // ------------------------------------------------------------ workflow_queue

    fn enqueue_after(&mut self, cx: &mut Ctx<'_>, wf: usize, delay: SimTime) {
        let now = cx.now();
        if let Some(at) = self.wq.add_after(wf, delay, now) {
            cx.q.schedule_at(at, CtrlEvent::QueueTimer { wf: wf as u32 }.into());
        }
        self.note_queue(wf, now);
        self.start_workers(cx);
    }

    fn requeue(&mut self, cx: &mut Ctx<'_>, wf: usize) {
        self.enqueue_after(cx, wf, SimTime(self.cfg(cx).default_requeue_time.0));
    }

    /// `AddAfter` without waking workers (timers of the reconcile itself).
    fn add_after_quiet(&mut self, cx: &mut Ctx<'_>, wf: usize, delay: SimTime) {
        let now = cx.now();
        if let Some(at) = self.wq.add_after(wf, delay, now) {
            cx.q.schedule_at(at, CtrlEvent::QueueTimer { wf: wf as u32 }.into());
        }
        self.note_queue(wf, now);
    }

    /// Log a `workflow_queue` change of `wf` in its activity (workers log their own).
    fn note_queue(&mut self, wf: usize, now: SimTime) {
        if self.process.down() || self.wq.is_processing(wf) {
            return;
        }
        if self.wq.is_ready(wf) {
            self.act.set(wf, now, Act::Ready);
        } else if !matches!(
            self.act.last(wf),
            Some(Act::Idle | Act::HeldParallelism | Act::HeldLock)
        ) {
            let held = self.act.held(wf);
            self.act.set(wf, now, held);
        }
    }

    /// The worker is done with `wf` (`workflow_queue.Done`).
    fn queue_done(&mut self, wf: usize, now: SimTime) {
        self.wq.done(wf);
        self.note_queue(wf, now);
    }

    /// Take `wf`'s activity log (the report reads each once and frees it).
    pub(super) fn take_activity_log(&mut self, wf: usize) -> Vec<Mark> {
        self.act.take(wf)
    }

    fn start_workers(&mut self, cx: &mut Ctx<'_>) {
        if self.process.down() {
            return;
        }
        while !self.wq.is_empty() {
            let Some(&worker) = self.idle_workers.last() else {
                return;
            };
            let now = cx.now();
            let Some((wf, lat)) = self.wq.get(now) else {
                return;
            };
            self.idle_workers.pop();
            // Worker slots are made on first use (idle workers are taken lowest first): a
            // run that never has 32 reconciles at once does not hold 32 slots.
            if worker >= self.workers.len() {
                self.workers.resize_with(worker + 1, || None);
            }
            self.act.set(wf, now, Act::Work);
            self.m.queue_latency.push(lat);
            let busy = (self.n_workers - self.idle_workers.len()) as u64;
            self.m.workers_busy_max = self.m.workers_busy_max.max(busy);
            self.begin_reconcile(cx, worker, wf);
        }
    }

    // ------------------------------------------------------------ informer handlers

    /// The workflow informer saw a new Workflow: it is queued after `initialDelay`.
    pub(super) fn on_workflow_added(&mut self, cx: &mut Ctx<'_>, wf: usize) {
        self.process.informer_wf_bytes += cx.wfs[wf].json_bytes;
        self.check_memory(cx);
        let delay = SimTime(self.cfg(cx).initial_delay.0);
        self.enqueue_after(cx, wf, delay);
    }

    /// The pod informer saw a status change of `pod` (phase, container states, conditions):
    /// AddRateLimited of its workflow, and the change is folded in at the next reconcile.
    pub(super) fn on_pod_changed(&mut self, cx: &mut Ctx<'_>, pod: usize) {
        let wf = cx.pods[pod].wf();
        if !cx.wfs[wf].phase.is_done() {
            cx.wfs[wf].dirty_pods.push(pod as u32);
            self.requeue(cx, wf);
        }
    }

    /// The pod informer saw an add, a bind (nodeName set) or a removal of `pod`: AddRateLimited
    /// of its workflow (`workflow/controller/pod/controller.go`, argo-facts §11.3).
    pub(super) fn on_pod_event(&mut self, cx: &mut Ctx<'_>, pod: usize) {
        let wf = cx.pods[pod].wf();
        if !cx.wfs[wf].phase.is_done() {
            self.requeue(cx, wf);
        }
    }

    /// A TaskResult write landed: if it changed the object, the taskresult informer requeues
    /// the workflow (`taskresult.go`); a progress patch that changes nothing is a no-op write
    /// the apiserver does not turn into a watch event.
    pub(super) fn on_task_result(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: usize,
        finalize: bool,
        changes: bool,
        status: Status,
    ) {
        let wf = cx.pods[pod].wf();
        if finalize && status == Status::Ok {
            cx.pods[pod].task_result_done = true;
            let now = cx.now();
            cx.pods.note_completion_seen(now, pod);
            if matches!(
                cx.pods[pod].observed,
                PodState::Succeeded | PodState::Failed
            ) && !cx.wfs[wf].phase.is_done()
            {
                cx.wfs[wf].dirty_pods.push(pod as u32);
            }
        }
        if changes && status == Status::Ok && !cx.wfs[wf].phase.is_done() {
            self.requeue(cx, wf);
        }
    }

    // ------------------------------------------------------------ workflow lifecycle

    /// Whether controller `parallelism` and `namespaceParallelism` let `wf` start now.
    fn admissible(&self, cx: &Ctx<'_>, wf: usize) -> bool {
        let c = &self.cfg(cx);
        let ns = cx.wfs[wf].ns();
        (c.parallelism == 0 || self.running_wfs < c.parallelism)
            && (c.namespace_parallelism == 0 || self.running_by_ns[ns] < c.namespace_parallelism)
    }

    /// The workflow reached a final phase (or its submission failed): release its slot and
    /// lock, start its TTL. (Its pods' cleanup was queued by the update that completed it,
    /// `queue_pods_for_cleanup`; the Error mark of `persistWorkflowSizeLimitErr` queues none.)
    pub(super) fn finish_workflow(
        &mut self,
        cx: &mut Ctx<'_>,
        wf: usize,
        phase: WfPhase,
        message: String,
    ) {
        let now = cx.now();
        let w = &mut cx.wfs[wf];
        if w.finished_at.is_some() {
            return;
        }
        let was_running = w.started_at.is_some();
        w.phase = phase;
        w.message.set(message);
        w.finished_at = crate::engine::OptTime::some(now);
        cx.unfinished_wfs -= 1;
        cx.last_finish = cx.last_finish.max(now);
        self.wq.forget(wf);
        if w.holds_lock {
            w.holds_lock = false;
            if let Some(l) = cx.sc.workflows[w.spec()].lock {
                self.release_lock(cx, l);
            }
        }
        if let Some(ttl) = cx.sc.workflows[cx.wfs[wf].spec()].ttl_after_completion {
            cx.q.schedule_in(
                SimTime(ttl),
                CtrlEvent::WorkflowTtl { wf: wf as u32 }.into(),
            );
        }
        if !cx.work_left() {
            self.cleanup.note_last_finish();
            cx.all_done_by = Some(self.id);
        }
        if was_running {
            self.running_wfs -= 1;
            let ns = cx.wfs[wf].ns();
            self.running_by_ns[ns] -= 1;
            // The throttler admits the waiting workflow that now fits with the highest
            // priority, then the earliest creation time (`sync/throttler.go` priority queue).
            let key = |i: usize| {
                let w = &cx.wfs[self.throttled_wfs[i]];
                let prio = cx.sc.workflows[w.spec()].priority;
                (std::cmp::Reverse(prio), w.created_at.get(), i)
            };
            if let Some(i) = (0..self.throttled_wfs.len())
                .filter(|&i| self.admissible(cx, self.throttled_wfs[i]))
                .min_by_key(|&i| key(i))
            {
                let next = self.throttled_wfs.remove(i).expect("index in range");
                let now = cx.now();
                self.wq.add(next, now);
                self.note_queue(next, now);
                self.start_workers(cx);
            }
        }
    }

    /// The last workflow of the run (another controller's) finished: remember the backlog.
    pub(super) fn note_last_finish(&mut self) {
        self.cleanup.note_last_finish();
    }

    /// Pods still queued for cleanup, and when the last cleanup request completed.
    pub(super) fn cleanup_state(&self) -> (u64, Option<SimTime>) {
        (self.cleanup.outstanding(), self.cleanup.last_done())
    }

    /// The TTL controller's DELETE completed: the workflow and (by ownerReference garbage
    /// collection) its pods leave etcd and the informers.
    fn on_workflow_deleted(&mut self, cx: &mut Ctx<'_>, wf: usize, status: Status) {
        if status != Status::Ok {
            return;
        }
        cx.wfs[wf].deleted = true;
        self.m.workflows_deleted += 1;
        self.process.informer_wf_bytes -= cx.wfs[wf].json_bytes;
        let stored = cx.wfs[wf].stored_bytes;
        cx.objects.workflow_deleted(stored);
        for i in 0..cx.wfs[wf].pods.len() {
            let p = cx.wfs[wf].pods[i] as usize;
            // ownerReference garbage collection
            if cx.pods.set_deleted(p) {
                cx.pods.deleted_from_cluster();
            }
            if cx.pods.set_left_informer(p) {
                self.process.informer_pods -= 1;
            }
        }
    }

    /// The run is over and every activity log was taken: free what the controller keeps per
    /// workflow (queue keys, logs, spam filters) before the report's rows are built, so the
    /// peak does not hold both. Its counters and latency samples stay for [`Self::report`].
    pub(super) fn release_workflow_state(&mut self) {
        self.wq.release();
        self.act = Activity::default();
        self.events.release();
    }

    /// The controller's section of the report at `end`.
    pub(super) fn report(&mut self, cx: &Ctx<'_>, end: SimTime) -> ControllerReport {
        ControllerReport {
            reconciles: self.m.reconciles,
            queue_adds: self.process.queue_adds_before + self.wq.adds,
            queue_max_depth: self.process.queue_depth_before.max(self.wq.max_depth) as u64,
            queue_latency_s: self.m.queue_latency.stats(),
            operation_duration_s: self.m.op_durations.stats(),
            deadline_exceeded: self.m.deadline_exceeded,
            resource_rate_limited: self.m.rrl_refused,
            workers_busy_max: self.m.workers_busy_max,
            pods_created: self.m.pods_created,
            pod_cleanup: self.cleanup.report(),
            throttled_by_parallelism: self.m.parallelism_held,
            pods_deleted: self.m.pods_deleted,
            pods_recreated: self.m.pods_recreated,
            workflows_deleted: self.m.workflows_deleted,
            events_sent: self.events.counts().0,
            events_dropped: self.events.counts().1,
            events_spam_filtered: self.events.counts().2,
            lock_waits: self.locks.waits(),
            lock_messages: self.locks.take_messages(),
            restarts: self.process.restarts,
            restart_causes: std::mem::take(&mut self.process.restart_causes),
            downtime_s: self.process.downtime.as_secs_f64(),
            aborted_reconciles: self.process.aborted_reconciles,
            peak_memory_bytes: self.process.peak_memory,
            memory_limit_bytes: self.cfg(cx).memory_limit.map(|b| b.0),
            cpu_busy_cores_mean: if self.cpu.limited() {
                self.cpu.busy_core_seconds / end.as_secs_f64().max(1e-9)
            } else {
                0.0
            },
        }
    }

    /// Offload-database round trips made (hydrate + dehydrate per offloaded update).
    pub(super) fn offload_round_trips(&self) -> u64 {
        self.m.offload_round_trips
    }

    /// Workflow updates refused for size, and completion writes abandoned by the
    /// "already fulfilled" panic.
    pub(super) fn size_failures(&self) -> (u64, u64) {
        (self.m.size_refused, self.m.size_panics)
    }

    /// Retries started by retryStrategy.
    pub(super) fn retries(&self) -> u64 {
        self.m.retries
    }

    /// What the time-series sampler reads now.
    pub(super) fn sample(&self, cx: &Ctx<'_>) -> CtrlSample {
        CtrlSample {
            queue_depth: self.wq.len(),
            busy_workers: self.n_workers - self.idle_workers.len(),
            running_workflows: self.running_wfs,
            cleanup_depth: self.cleanup.depth(),
            memory: self.memory(cx),
        }
    }
}
