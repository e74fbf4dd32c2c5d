//! kube-scheduler, one component: the active queue, the unschedulable pods with their
//! exponential backoff, one scheduling cycle at a time (filter pools, fit, score via
//! `kube::nodes`), the binding through its own client bucket, and the queueing hint that moves
//! unschedulable pods back when capacity frees up.
//!
//! Reached through `Scheduler::enqueue` (a pod was created), `Scheduler::on_bound` (the
//! binding completed), `Scheduler::requeue_unschedulable` (capacity changed) and
//! `Scheduler::unschedulable` (the autoscalers read the pending pods). Reports the
//! create-to-bound wait. Simplified: one pod per cycle with a constant cycle latency;
//! preemption and pod priority are not modelled.

use super::api::{Origin, Status};
use super::autoscaler::Autoscaler;
use super::controller::SMALL_BODY_BYTES;
use super::pods::R_UNSCHEDULABLE;
use super::{Ctx, Event};
use crate::engine::SimTime;
use crate::kube::apiserver::Verb;
use crate::kube::nodes::NodeState;
use crate::metrics::Stats;
use std::collections::VecDeque;

/// Events of the scheduler.
#[derive(Debug, Clone, Copy)]
pub enum SchedEvent {
    /// The scheduler finishes one cycle.
    Cycle,
    /// An unschedulable pod's backoff expired.
    BackoffDone {
        /// Pod.
        pod: u32,
    },
}

impl From<SchedEvent> for Event {
    fn from(e: SchedEvent) -> Event {
        Event::Sched(e)
    }
}

/// What a pending pod asks of a node: requests and allowed pools (see
/// [`Scheduler::requeue_unschedulable`]).
struct Shape {
    /// (cpu, memory, address of the allowed-pools list).
    key: (u64, u64, usize),
    /// Where the allowed-pools list is: workflow spec and task.
    spec: u32,
    task: u32,
}

/// The scheduler's queues and metrics.
pub(super) struct Scheduler {
    client: usize,
    active: VecDeque<usize>,
    /// Unschedulable pods, oldest first, each with its shape (an index into `shapes`).
    unsched: VecDeque<(u32, u32)>,
    /// The shapes of pods that failed to schedule: (cpu, memory, address of the task's
    /// allowed-pools list, its workflow spec and task). The requeue pass compares shapes
    /// without reading the pods.
    shapes: Vec<Shape>,
    busy: bool,
    wait: crate::metrics::Durations,
}

impl Scheduler {
    /// The scheduler with its client registered.
    pub(super) fn new(cx: &mut Ctx<'_>) -> Self {
        let s = &cx.sc.file.scheduler;
        Scheduler {
            client: cx.api.add_client("kube-scheduler", s.qps, s.burst),
            active: VecDeque::new(),
            unsched: VecDeque::new(),
            shapes: Vec::new(),
            busy: false,
            wait: crate::metrics::Durations::new(),
        }
    }

    /// Route one scheduler event.
    pub(super) fn handle(&mut self, cx: &mut Ctx<'_>, scaler: &mut Autoscaler, ev: SchedEvent) {
        match ev {
            SchedEvent::Cycle => self.on_cycle(cx, scaler),
            SchedEvent::BackoffDone { pod } => {
                self.active.push_back(pod as usize);
                self.kick(cx);
            }
        }
    }

    /// A new pod enters the active queue.
    pub(super) fn enqueue(&mut self, cx: &mut Ctx<'_>, pod: usize) {
        self.active.push_back(pod);
        self.kick(cx);
    }

    /// Unschedulable pods, oldest first, each as (pod, cpu request, memory request, allowed
    /// pools), read from its shape (not from the pod).
    pub(super) fn unschedulable<'a>(
        &'a self,
        sc: &'a crate::scenario::Scenario,
    ) -> impl Iterator<Item = (usize, u64, u64, &'a [bool])> + 'a {
        self.unsched.iter().map(move |&(p, shape)| {
            let s = &self.shapes[shape as usize];
            let allowed = &sc.workflows[s.spec as usize].tasks[s.task as usize].allowed_pools;
            (p as usize, s.key.0, s.key.1, allowed.as_slice())
        })
    }

    /// The shape id of `pod` (made on first sight; the last one made or found is tried
    /// first: failures come in runs of one shape).
    fn shape_of(&mut self, cx: &Ctx<'_>, pod: usize) -> u32 {
        let p = &cx.pods[pod];
        let spec = cx.wfs[p.wf()].spec();
        let allowed = &cx.sc.workflows[spec].tasks[p.task as usize].allowed_pools;
        let key = (p.cpu, p.mem, allowed.as_ptr() as usize);
        if let Some(i) = self.shapes.iter().rposition(|s| s.key == key) {
            return i as u32;
        }
        self.shapes.push(Shape {
            key,
            spec: spec as u32,
            task: p.task,
        });
        (self.shapes.len() - 1) as u32
    }

    /// Create → bound wait statistics.
    pub(super) fn wait_stats(&mut self) -> Stats {
        self.wait.stats()
    }

    fn kick(&mut self, cx: &mut Ctx<'_>) {
        if !self.busy && !self.active.is_empty() {
            self.busy = true;
            cx.q.schedule_in(
                SimTime(cx.sc.file.scheduler.schedule_latency.0),
                SchedEvent::Cycle.into(),
            );
        }
    }

    fn on_cycle(&mut self, cx: &mut Ctx<'_>, scaler: &mut Autoscaler) {
        self.busy = false;
        let Some(pod) = self.active.pop_front() else {
            return;
        };
        let (cpu, mem) = (cx.pods[pod].cpu, cx.pods[pod].mem);
        let allowed = &cx.sc.workflows[cx.wfs[cx.pods[pod].wf()].spec()].tasks
            [cx.pods[pod].task as usize]
            .allowed_pools;
        match cx.nodes.pick(cpu, mem, allowed) {
            Ok(n) => {
                let now = cx.now();
                cx.nodes.bind(now, n, cpu, mem);
                let wait = cx.issue(
                    self.client,
                    Verb::Create,
                    "pods/binding",
                    SMALL_BODY_BYTES,
                    Origin::Bind {
                        pod: pod as u32,
                        node: n as u32,
                    },
                );
                let t = cx.pods.times_mut(pod);
                t.bind_issued = now;
                t.bind_wait = wait;
            }
            Err(fail) => {
                let sc = &cx.sc.file.scheduler;
                let now = cx.now();
                let t = cx.pods.times_mut(pod);
                if t.unschedulable == SimTime::ZERO {
                    t.unschedulable = now;
                }
                let p = &mut cx.pods[pod];
                p.sched_attempts += 1;
                let exp = (p.sched_attempts - 1).min(20);
                let backoff = (sc.pod_initial_backoff.0 << exp).min(sc.pod_max_backoff.0);
                p.backoff_until = now.plus(SimTime(backoff));
                // handleSchedulingFailure: PATCH the PodScheduled=False condition when its
                // reason or message changes (the pod informers see it).
                let changed = cx.pods.set_unsched_failure(pod, &fail);
                cx.pods.set_pending_reason(now, pod, R_UNSCHEDULABLE);
                if changed {
                    cx.issue(
                        self.client,
                        Verb::Patch,
                        "pods/status",
                        SMALL_BODY_BYTES,
                        Origin::SchedulerStatus { pod: pod as u32 },
                    );
                }
                let shape = self.shape_of(cx, pod);
                self.unsched.push_back((pod as u32, shape));
                scaler.on_unschedulable(cx);
            }
        }
        self.kick(cx);
    }

    /// The binding completed; returns whether the pod is now bound (the kubelet takes over).
    /// A failed binding, a vanished node or a killed pod gives the node's room back.
    pub(super) fn on_bound(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: usize,
        node: usize,
        status: Status,
    ) -> bool {
        let now = cx.now();
        let (cpu, mem) = (cx.pods[pod].cpu, cx.pods[pod].mem);
        if status != Status::Ok
            || cx.nodes.nodes[node].state == NodeState::Gone
            || cx.pods[pod].killed
        {
            cx.nodes.release(now, node, cpu, mem);
            if !cx.pods[pod].killed {
                self.active.push_back(pod);
            }
            self.kick(cx);
            return false;
        }
        cx.pods.bind(pod, node);
        self.wait.push(now.since(cx.pods[pod].created_at));
        true
    }

    /// Move unschedulable pods that could now fit back to the active queue (as kube-scheduler's
    /// queueing hints do), honouring each pod's backoff. The scan stops after a run of pods
    /// that fit nowhere, so a long homogeneous backlog costs O(freed slots), not O(backlog).
    pub(super) fn requeue_unschedulable(&mut self, cx: &mut Ctx<'_>) {
        if self.unsched.is_empty() {
            return;
        }
        let now = cx.now();
        // First fit over the Ready nodes' free room, each pod moved back taking its room for
        // the rest of the pass (`Nodes::trial_take`, given back at the end).
        // Room only shrinks during the pass, so a pod shaped like one that fit nowhere fits
        // nowhere either: its trial is skipped (same outcome, one fit search per shape).
        // Up to 4 shapes that missed (no allocation). Pools are compared by the address of the
        // task's list: two tasks with equal lists are simply tried apart, which costs a
        // search, never a different outcome.
        let mut missed = [u32::MAX; 4];
        let mut n_missed = 0;
        let mut misses = 0;
        let mut i = 0;
        while i < self.unsched.len() && misses < 32 {
            let (pod, shape) = self.unsched[i];
            let pod = pod as usize;
            let known_miss = missed[..n_missed].contains(&shape);
            if !known_miss && self.trial_take(cx, shape) {
                self.unsched.remove(i);
                let until = cx.pods[pod].backoff_until;
                if until > now {
                    cx.q.schedule_at(until, SchedEvent::BackoffDone { pod: pod as u32 }.into());
                } else {
                    self.active.push_back(pod);
                }
                misses = 0;
            } else {
                if !known_miss && n_missed < missed.len() {
                    missed[n_missed] = shape;
                    n_missed += 1;
                }
                misses += 1;
                i += 1;
            }
        }
        cx.nodes.trial_end();
        self.kick(cx);
    }

    /// `Nodes::trial_take` for a pod of shape `shape`.
    fn trial_take(&self, cx: &mut Ctx<'_>, shape: u32) -> bool {
        let s = &self.shapes[shape as usize];
        let allowed = &cx.sc.workflows[s.spec as usize].tasks[s.task as usize].allowed_pools;
        cx.nodes.trial_take(s.key.0, s.key.1, allowed)
    }
}
