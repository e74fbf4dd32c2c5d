//! The simulated world: the shared cluster state (`Ctx`: clock and event queue, the API
//! path, the Workflow, Pod and Node objects), the components that act on it, and the one
//! dispatch that routes each [`Event`] to its component. One [`World`] is one run; it is a
//! pure function of the scenario and the seed.
//!
//! Components (each owns its state; the others call a few of its methods):
//! [`submit`] (submitters and arrivals), [`api`] (client buckets, apiserver admission,
//! retries), [`controller`] (workflow queue, workers, reconcile, locks, pod cleanup queue,
//! process; one per controller of the scenario, each managing its namespace or instanceID's
//! workflows, all sharing the rest), [`scheduler`], [`kubelet`] (pod start-up, image pulls, storage, TaskResults),
//! `autoscaler` (cluster-autoscaler, Karpenter), `spot` (preemption). `pods` holds the
//! pod objects and their lifecycle accounting; `report.rs` assembles the [`RunReport`] from
//! each component's section; `sample.rs` takes the time series.
//!
//! Event flow of one workflow: `Submit` → client bucket → `Api::Arrive`/`Api::Done` (CREATE
//! Workflow) → informer add → `workflow_queue` → a worker reconciles: pod statuses are read
//! from the informer, ready tasks get pods (CREATE through the controller's kube bucket,
//! bounded by `MAX_OPERATION_TIME` and `resourceRateLimit`), the whole object is written back
//! (PUT through the workflow bucket). Pods go to the scheduler (cycle, bind), then the kubelet
//! (sandbox, image pull, init, main, wait), whose status PATCHes make the pod informer requeue
//! the workflow after `DEFAULT_REQUEUE_TIME`. Completed pods are labelled through the
//! `pod_cleanup_queue`.
//!
//! Simplified: informers are instantaneous (no watch lag); the controller's three clientsets
//! are modelled as two buckets (kube, workflow; the dynamic client only LISTs on relist);
//! update conflicts are not modelled (only the controller writes workflows here).

pub mod api;
pub mod autoscaler;
pub mod controller;
mod critical;
pub mod kubelet;
mod pods;
mod report;
mod sample;
pub mod scheduler;
pub mod spot;
pub mod submit;
mod trace;

use crate::argo::workflow::WorkflowRun;
use crate::engine::{EventQueue, RngStream, SimTime, Step};
use crate::kube::apiserver::Verb;
use crate::kube::nodes::Nodes;
use crate::metrics::{RunReport, TimeSeries, Trace};
use crate::scenario::Scenario;
use api::{Api, ApiEvent, Origin, Status};
use autoscaler::{Autoscaler, ScalerEvent};
use controller::{Controller, CtrlEvent};
use kubelet::{Kubelet, KubeletEvent};
use pods::{POD_OBJECT_BYTES, PodState, Pods, R_PENDING};
use scheduler::{SchedEvent, Scheduler};
use spot::{Spot, SpotEvent};
use submit::{Submission, SubmitEvent};

pub use sample::SERIES;

/// Every event of the simulation: one enum per component, wrapped. Fields are indices into
/// the world's tables or the time a timer was set for.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// Submission path.
    Submit(SubmitEvent),
    /// API path.
    Api(ApiEvent),
    /// Workflow controller.
    Ctrl(CtrlEvent),
    /// kube-scheduler.
    Sched(SchedEvent),
    /// Kubelets.
    Kubelet(KubeletEvent),
    /// Autoscaler and node readiness.
    Scaler(ScalerEvent),
    /// Spot preemption.
    Spot(SpotEvent),
    /// Time-series sample.
    Sample,
}

/// Cluster object accounting: Workflow objects in etcd (as stored: compressed or offloaded
/// bodies) and the peaks the report shows.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    etcd_wf_bytes: u64,
    wfs_in_cluster: u64,
    wfs_in_cluster_peak: u64,
    etcd_peak: u64,
}

impl Objects {
    /// A Workflow object of `stored` bytes was created.
    fn workflow_stored(&mut self, stored: u64) {
        self.etcd_wf_bytes += stored;
        self.wfs_in_cluster += 1;
        self.wfs_in_cluster_peak = self.wfs_in_cluster_peak.max(self.wfs_in_cluster);
    }

    /// A Workflow object changed from `old` to `new` stored bytes.
    fn workflow_resized(&mut self, old: u64, new: u64) {
        self.etcd_wf_bytes = self.etcd_wf_bytes + new - old;
    }

    /// A Workflow object of `stored` bytes was deleted.
    fn workflow_deleted(&mut self, stored: u64) {
        self.etcd_wf_bytes -= stored;
        self.wfs_in_cluster -= 1;
    }
}

/// The shared state every component works on: the scenario, the clock and event queue, the
/// API path, and the objects (Workflows, Pods, Nodes) as etcd and the informers hold them.
pub(crate) struct Ctx<'s> {
    sc: &'s Scenario,
    q: EventQueue<Event>,
    /// The `cluster` random stream (spot clocks, provisioning delays, random expander).
    rng_cluster: RngStream,
    api: Api,
    wfs: Vec<WorkflowRun>,
    pods: Pods,
    nodes: Nodes,
    objects: Objects,
    arrivals_left: u64,
    unfinished_wfs: u64,
    last_finish: SimTime,
    last_pod_exit: SimTime,
    /// Set when the last workflow finished, to the controller that finished it (the others
    /// note their cleanup backlog at the end of the event).
    all_done_by: Option<usize>,
}

impl Ctx<'_> {
    fn now(&self) -> SimTime {
        self.q.now()
    }

    /// Send a request (see [`Api::issue`]); returns its wait in the client's bucket.
    fn issue(
        &mut self,
        client: usize,
        verb: Verb,
        resource: &'static str,
        bytes: u64,
        origin: Origin,
    ) -> SimTime {
        self.issue_write(client, verb, resource, bytes, origin, false)
    }

    /// [`Ctx::issue`] saying whether the write leaves the object `unchanged` (a no-op patch:
    /// the apiserver spends its CPU but writes nothing to etcd and sends no watch event).
    fn issue_write(
        &mut self,
        client: usize,
        verb: Verb,
        resource: &'static str,
        bytes: u64,
        origin: Origin,
        unchanged: bool,
    ) -> SimTime {
        self.api.issue(
            &mut self.q,
            client,
            verb,
            resource,
            bytes,
            origin,
            unchanged,
        )
    }

    /// The controller that manages `pod`'s workflow.
    fn ctrl_of_pod(&self, pod: usize) -> usize {
        self.wfs[self.pods[pod].wf()].ctrl()
    }

    /// Whether arrivals or unfinished workflows remain (periodic loops keep going).
    fn work_left(&self) -> bool {
        self.arrivals_left > 0 || self.unfinished_wfs > 0
    }

    /// Live bytes in etcd: Workflow objects as stored (compressed/offloaded bodies) and pods.
    fn etcd_live_bytes(&self) -> u64 {
        self.objects.etcd_wf_bytes + self.pods.in_cluster() * POD_OBJECT_BYTES
    }

    /// Record the etcd live-bytes peak.
    fn note_etcd_peak(&mut self) {
        self.objects.etcd_peak = self.objects.etcd_peak.max(self.etcd_live_bytes());
    }
}

/// The whole simulated system during one run.
pub struct World<'s> {
    cx: Ctx<'s>,
    submit: Submission,
    /// The workflow controllers, indexed like `Scenario::controllers`.
    ctrls: Vec<Controller>,
    sched: Scheduler,
    kubelet: Kubelet,
    scaler: Autoscaler,
    spot: Spot,
    ts: TimeSeries,
    /// Reused buffer of the requests a CPU tick completed.
    api_done: Vec<(Origin, Status)>,
}

/// Workflow runs to make room for at the start: the submissions' counts, up to
/// [`RESERVE_WORKFLOWS_MAX`] (a doubling `Vec` would otherwise hold up to twice the room at
/// the peak; a run cut short by its horizon wastes at most that many slots).
fn expected_workflows(sc: &Scenario) -> usize {
    let total: u64 = sc.submissions.iter().map(|s| u64::from(s.cfg.count)).sum();
    total.min(RESERVE_WORKFLOWS_MAX) as usize
}

/// See [`expected_workflows`]: 4,096 runs are ~1 MiB.
const RESERVE_WORKFLOWS_MAX: u64 = 4096;

impl<'s> World<'s> {
    /// Build the world at time zero for `seed`.
    pub fn new(sc: &'s Scenario, seed: u64) -> Self {
        let f = &sc.file;
        let mut cx = Ctx {
            sc,
            q: EventQueue::new(),
            rng_cluster: RngStream::new(seed, "cluster"),
            api: Api::new(f.apiserver.clone()),
            wfs: Vec::with_capacity(expected_workflows(sc)),
            pods: Pods::default(),
            nodes: Nodes::new(
                &sc.pools,
                sc.images.len(),
                f.scheduler.scoring,
                f.kubelet.registry_pull_qps,
                f.kubelet.registry_burst,
            ),
            objects: Objects::default(),
            arrivals_left: 0,
            unfinished_wfs: 0,
            last_finish: SimTime::ZERO,
            last_pod_exit: SimTime::ZERO,
            all_done_by: None,
        };
        // Client registration order is the throttle table's row order.
        let ctrls: Vec<Controller> = (0..sc.controllers.len())
            .map(|i| Controller::new(&mut cx, seed, i))
            .collect();
        let sched = Scheduler::new(&mut cx);
        let cron_clients: Vec<usize> = ctrls.iter().map(Controller::wf_client).collect();
        let submit = Submission::new(&mut cx, cron_clients);
        let kubelet = Kubelet::new(&mut cx);
        let scaler = Autoscaler::new(&cx);
        let mut w = World {
            ts: sample::new_series(f.experiment.sample_interval.as_secs_f64()),
            cx,
            submit,
            ctrls,
            sched,
            kubelet,
            scaler,
            spot: Spot::default(),
            api_done: Vec::new(),
        };
        w.submit.schedule_arrivals(&mut w.cx, seed);
        w.cx.q.schedule_at(SimTime::ZERO, Event::Sample);
        // Spot preemption clocks of the initial nodes; the autoscaler's scan loop.
        for n in 0..w.cx.nodes.nodes.len() {
            w.spot.schedule(&mut w.cx, n);
        }
        w.scaler.start(&mut w.cx);
        for c in &w.ctrls {
            c.start(&mut w.cx);
        }
        w
    }

    /// Run to completion or the horizon and build the report.
    pub fn run(self, replication: u32, seed: u64) -> RunReport {
        self.run_with(replication, seed, false).0
    }

    /// Run to completion or the horizon; the report, and the trace if `trace`.
    pub fn run_with(
        mut self,
        replication: u32,
        seed: u64,
        trace: bool,
    ) -> (RunReport, Option<Trace>) {
        let horizon = SimTime(self.cx.sc.file.experiment.horizon.0);
        loop {
            // Unthrottled arrivals and the CPU's tick, which the API holds instead of
            // queueing, compete with the queue by key: the earliest goes first.
            let held = self.cx.api.next_held();
            match self.cx.q.pop_until_or(horizon, held) {
                Step::Event(_, ev) => self.handle(ev),
                // Held work is due, as its queued event would have been. Run directly, not
                // through `handle`'s match (1-1.5 % of the market run, measured): most of its
                // events are held arrivals and ticks.
                Step::External => {
                    let cx = &mut self.cx;
                    match cx.api.take_held(&cx.q) {
                        Some(ApiEvent::Arrive { call }) => {
                            if let Some((origin, status)) =
                                cx.api.on_arrive(&mut cx.q, call as usize)
                            {
                                self.on_api_done(origin, status);
                            }
                            self.after_event();
                        }
                        Some(ApiEvent::CpuTick) => {
                            self.on_api_cpu_tick();
                            self.after_event();
                        }
                        // The API holds only arrivals and ticks; anything else goes the
                        // general way.
                        Some(ev) => self.handle(Event::Api(ev)),
                        None => {}
                    }
                }
                Step::End => break,
            }
        }
        self.cx.api.finish_run(horizon);
        let horizon_reached = self.cx.work_left();
        // The workload ends when the last workflow finished and the last pod exited (pods of
        // a workflow that errored keep running and keep their nodes busy): the bill stops
        // there. The run goes on until pod_cleanup_queue is empty too.
        let (cleanup_left, cleanup_done) = self.cleanup_state();
        let bill_end = if horizon_reached {
            horizon
        } else {
            self.cx.last_finish.max(self.cx.last_pod_exit)
        };
        let end = if cleanup_left > 0 {
            horizon
        } else {
            bill_end.max(cleanup_done.unwrap_or(SimTime::ZERO))
        };
        let tr = trace.then(|| self.trace(seed, bill_end));
        (
            self.report(replication, seed, end, bill_end, horizon_reached),
            tr,
        )
    }

    fn handle(&mut self, ev: Event) {
        let cx = &mut self.cx;
        match ev {
            Event::Submit(e) => self.submit.handle(cx, &mut self.ctrls, e),
            Event::Api(e) => {
                let done = match e {
                    ApiEvent::Arrive { call } => cx.api.on_arrive(&mut cx.q, call as usize),
                    ApiEvent::Done { call } => cx.api.on_done(&mut cx.q, call as usize),
                    ApiEvent::Retry { call } => {
                        let _ = cx.api.send(&mut cx.q, call as usize);
                        None
                    }
                    ApiEvent::ApfTimeout { call } => {
                        cx.api.on_apf_timeout(&mut cx.q, call as usize)
                    }
                    ApiEvent::CpuTick => {
                        self.on_api_cpu_tick();
                        None
                    }
                };
                if let Some((origin, status)) = done {
                    self.on_api_done(origin, status);
                }
            }
            Event::Ctrl(e) => {
                let c = e.owner(cx);
                self.ctrls[c].handle(cx, e)
            }
            Event::Sched(e) => self.sched.handle(cx, &mut self.scaler, e),
            Event::Kubelet(e) => self.kubelet.handle(cx, e),
            Event::Scaler(ScalerEvent::NodeReady { node }) => self.on_node_ready(node as usize),
            Event::Scaler(e) => self.scaler.handle(cx, &self.sched, e),
            Event::Spot(SpotEvent::Notice { node }) => self.spot.on_notice(cx, node as usize),
            Event::Spot(SpotEvent::Gone { node }) => {
                self.spot
                    .on_gone(cx, &mut self.kubelet, &mut self.sched, node as usize)
            }
            Event::Spot(SpotEvent::PodGone { pod }) => self.on_pod_status_visible(pod as usize),
            Event::Sample => self.on_sample(),
        }
        self.after_event();
    }

    /// After each event: when the last workflow of all finished, every other controller
    /// notes its last finish.
    #[inline]
    fn after_event(&mut self) {
        if let Some(by) = self.cx.all_done_by.take() {
            for (i, c) in self.ctrls.iter_mut().enumerate() {
                if i != by {
                    c.note_last_finish();
                }
            }
        }
    }

    /// Pods still queued for cleanup by any controller, and when the last cleanup request
    /// completed.
    fn cleanup_state(&self) -> (u64, Option<SimTime>) {
        self.ctrls
            .iter()
            .map(Controller::cleanup_state)
            .fold((0, None), |(left, done), (l, d)| (left + l, done.max(d)))
    }

    /// The apiserver's CPU finished requests: route the completions.
    fn on_api_cpu_tick(&mut self) {
        let cx = &mut self.cx;
        let mut done = std::mem::take(&mut self.api_done);
        cx.api.on_cpu_tick(&mut cx.q, &mut done);
        for &(origin, status) in &done {
            self.on_api_done(origin, status);
        }
        self.api_done = done;
    }

    /// Route a completed request to whoever waits for it.
    fn on_api_done(&mut self, origin: Origin, status: Status) {
        let cx = &mut self.cx;
        match origin {
            Origin::Submit { wf, stream, slot } => self.submit.on_call_done(
                cx,
                &mut self.ctrls,
                wf as usize,
                stream as usize,
                slot as usize,
                status,
            ),
            Origin::Worker { ctrl, .. }
            | Origin::Relist { ctrl, .. }
            | Origin::Event { ctrl, .. } => {
                self.ctrls[ctrl as usize].on_api_done(cx, &mut self.sched, origin, status)
            }
            Origin::Cleanup { pod } => {
                let c = cx.ctrl_of_pod(pod as usize);
                self.ctrls[c].on_api_done(cx, &mut self.sched, origin, status)
            }
            Origin::WorkflowDeleted { wf } => {
                let c = cx.wfs[wf as usize].ctrl();
                self.ctrls[c].on_api_done(cx, &mut self.sched, origin, status)
            }
            Origin::Bind { pod, node } => {
                let (pod, node) = (pod as usize, node as usize);
                if self.sched.on_bound(cx, pod, node, status) {
                    // The pod informers see nodeName set and, as the binding subresource sets
                    // PodScheduled=True, no Unschedulable condition: Argo's pending reason is
                    // "" until the kubelet's first status (`getPendingReason`).
                    let bound = PodState::Pending(R_PENDING);
                    let ctrl = &mut self.ctrls[cx.ctrl_of_pod(pod)];
                    let p = &mut cx.pods[pod];
                    if matches!(p.observed, PodState::Pending(_)) && p.observed != bound {
                        p.observed = bound;
                        ctrl.on_pod_changed(cx, pod);
                    } else {
                        ctrl.on_pod_event(cx, pod);
                    }
                    self.kubelet.on_pod_bound(cx, pod);
                }
            }
            Origin::KubeletStatus { pod } | Origin::SchedulerStatus { pod } => {
                self.on_pod_status_visible(pod as usize)
            }
            Origin::TaskResult {
                pod,
                finalize,
                changes,
            } => {
                let pod = pod as usize;
                self.ctrls[cx.ctrl_of_pod(pod)].on_task_result(cx, pod, finalize, changes, status)
            }
            Origin::FireAndForget => {}
        }
    }

    /// The pod informers see a status change (or the pod's removal): a finished pod frees
    /// its node's room for the scheduler, and the controller requeues its workflow.
    fn on_pod_status_visible(&mut self, pod: usize) {
        let cx = &mut self.cx;
        let now = cx.now();
        let p = &mut cx.pods[pod];
        let state = p.state;
        if p.observed == state {
            return;
        }
        p.observed = state;
        cx.pods.note_completion_seen(now, pod);
        let p = &cx.pods[pod];
        if matches!(state, PodState::Succeeded | PodState::Failed)
            && let Some(n) = p.node()
            && !p.killed
        {
            let (cpu, mem) = (p.cpu, p.mem);
            cx.nodes.release(now, n, cpu, mem);
            self.sched.requeue_unschedulable(cx);
        }
        self.ctrls[cx.ctrl_of_pod(pod)].on_pod_changed(cx, pod);
    }

    /// A requested node is Ready: its spot clock starts and pending pods are reconsidered.
    fn on_node_ready(&mut self, node: usize) {
        let cx = &mut self.cx;
        if cx.nodes.nodes[node].state != crate::kube::nodes::NodeState::Provisioning {
            return;
        }
        let now = cx.now();
        cx.nodes.set_ready(node, now);
        self.spot.schedule(cx, node);
        self.sched.requeue_unschedulable(cx);
    }
}

#[cfg(test)]
mod tests {
    /// The event queue moves `(time, seq, Event)` entries of 32 bytes (40 before issue 14's
    /// u32 indices): a larger event would make every bucket move dearer.
    #[test]
    fn events_stay_16_bytes() {
        assert!(std::mem::size_of::<super::Event>() <= 16);
    }

    /// A small apiserver (4 mutating seats, 1 core, slow etcd) under 1,200 four-minute pods:
    /// APF queues requests while a lone no-op progress patch computes, so held ticks must be
    /// queued when a request joins an APF queue.
    const APF_QUEUEING: &str = r#"
name = "apf-queue-noop"
[experiment]
horizon = "2h"
[[cluster.pools]]
name = "n2-standard-16"
cpu = "16"
memory = "64Gi"
price_per_hour = 0.7769
nodes = 20
[apiserver]
max_requests_inflight = 8
max_mutating_requests_inflight = 4
cpu_cores = 1
write_latency = "40ms"
[scheduler]
qps = 1000
burst = 2000
[controller]
qps = 200
burst = 300
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "main"
cpu = "200m"
memory = "256Mi"
duration = "4m"
width = 20
[[submissions]]
workflow = "w"
via = "kubectl"
count = 60
clients = 20
"#;

    /// Holding unobserved CPU ticks in hand (`Api::arm_cpu`: a lone no-op write's tick is run
    /// by the next API call after it instead of being queued) changes nothing but the engine's
    /// event count: every other field of the report equals the run that queues every tick,
    /// on scenarios with no-op progress patches, APF queueing, a saturated apiserver, spot
    /// preemptions and controller restarts.
    #[test]
    fn held_cpu_ticks_change_nothing_but_the_event_count() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let load = |rel: &str| {
            if rel == "apf-queueing" {
                crate::scenario::parse(rel, APF_QUEUEING).expect("test scenario parses")
            } else {
                crate::load_scenario(&dir.join(rel)).expect("shipped scenario loads")
            }
        };
        let mut fewer = 0;
        for (rel, seeds) in [
            ("apf-queueing", &[1u64, 2][..]),
            ("scenarios/default.toml", &[1, 2]),
            ("scenarios/parallelism.toml", &[1, 5]),
            ("scenarios/throttled-fanout.toml", &[3]),
            ("scenarios/controller-oom.toml", &[1]),
            ("scenarios/apiserver-saturation.toml", &[2]),
            ("scenarios/market-run.toml", &[4]),
        ] {
            let sc = load(rel);
            for &seed in seeds {
                let held = super::World::new(&sc, seed).run_with(0, seed, false).0;
                let mut queued = super::World::new(&sc, seed);
                queued.cx.api.queue_every_tick();
                let queued = queued.run_with(0, seed, false).0;
                assert!(
                    held.events < queued.events || rel.contains("saturation"),
                    "{rel} {seed}"
                );
                if rel == "apf-queueing" {
                    assert!(held.api.peak_queued > 0, "the test scenario queues in APF");
                }
                fewer += queued.events - held.events;
                let json = |r: &crate::metrics::RunReport| {
                    let mut v = serde_json::to_value(r).expect("report serializes");
                    v["events"] = 0.into();
                    v
                };
                assert!(
                    json(&held) == json(&queued),
                    "{rel} seed {seed}: reports differ"
                );
            }
        }
        // The shortcut is taken (the default and market runs have no-op progress patches).
        assert!(fewer > 100_000, "only {fewer} ticks held");
    }

    /// Unthrottled requests' arrivals at the apiserver and the CPU's observed ticks, held by
    /// the API instead of queued as events ([`api::Api::next_held`],
    /// `EventQueue::pop_until_or`), run in the same place of the order under the same
    /// numbers: the reports, the event count included, are those of queued arrivals and
    /// ticks (each alone and both), on scenarios with progress patches, APF queueing, 429s
    /// and retries, a saturated apiserver, spot preemptions and controller restarts. (That
    /// the arrivals and ticks are held is checked in `api`'s tests.)
    #[test]
    fn held_arrivals_and_ticks_change_nothing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (rel, seed) in [
            ("apf-queueing", 1u64),
            ("scenarios/default.toml", 2),
            ("scenarios/throttled-fanout.toml", 3),
            ("scenarios/controller-oom.toml", 1),
            ("scenarios/apiserver-saturation.toml", 2),
            ("scenarios/parallel-submitters.toml", 1),
            ("scenarios/market-run.toml", 4),
        ] {
            let sc = if rel == "apf-queueing" {
                crate::scenario::parse(rel, APF_QUEUEING).expect("test scenario parses")
            } else {
                crate::load_scenario(&dir.join(rel)).expect("shipped scenario loads")
            };
            let json = |w: super::World<'_>| {
                let r = w.run_with(0, seed, false).0;
                serde_json::to_string(&r).expect("json")
            };
            let held = json(super::World::new(&sc, seed));
            let mut queued = super::World::new(&sc, seed);
            queued.cx.api.queue_every_arrival();
            assert!(
                held == json(queued),
                "{rel} seed {seed}: arrivals: reports differ"
            );
            let mut queued = super::World::new(&sc, seed);
            queued.cx.api.queue_observed_ticks();
            assert!(
                held == json(queued),
                "{rel} seed {seed}: ticks: reports differ"
            );
            let mut queued = super::World::new(&sc, seed);
            queued.cx.api.queue_every_arrival();
            queued.cx.api.queue_observed_ticks();
            assert!(
                held == json(queued),
                "{rel} seed {seed}: both: reports differ"
            );
        }
    }

    /// argoexec reports progress on every `annotationPatchTicker` tick while the main
    /// container runs (`workflow/executor/executor.go`, `monitorProgress`). A progress tick
    /// carries its controller, progress flag and ticks left
    /// (`kubelet::ProgressTick`) instead of reading the pod, its workflow and its spec: the
    /// reports, events included, equal those of the path that reads the pod each tick (taken
    /// when a controller index does not fit in 16 bits), with spot preemptions killing
    /// running pods (market run) and ticks of steps that report progress (default).
    #[test]
    fn progress_ticks_from_the_event_equal_ticks_from_the_pod() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let progress = crate::scenario::DEFAULT_SCENARIO.replace(
            "[[workflows.tasks]]",
            "[[workflows.tasks]]\nprogress = true",
        );
        let mut events = Vec::new();
        for (rel, seed) in [
            ("progress", 1u64),
            ("scenarios/default.toml", 1),
            ("scenarios/market-run.toml", 4),
            ("scenarios/controller-oom.toml", 1),
        ] {
            let sc = if rel == "progress" {
                crate::scenario::parse(rel, &progress).expect("test scenario parses")
            } else {
                crate::load_scenario(&dir.join(rel)).expect("shipped scenario loads")
            };
            let carried = super::World::new(&sc, seed).run_with(0, seed, false).0;
            let mut read = super::World::new(&sc, seed);
            read.kubelet.ticks_from_pod();
            let read = read.run_with(0, seed, false).0;
            let json = |r: &crate::metrics::RunReport| serde_json::to_string(r).expect("json");
            assert!(
                json(&carried) == json(&read),
                "{rel} seed {seed}: reports differ"
            );
            events.push(carried.events);
        }
        // Patches that change the TaskResult make watch events and reconciles: the
        // progress-reporting variant is a different run from the default.
        assert_ne!(events[0], events[1], "progress = true changed nothing");
    }
}
