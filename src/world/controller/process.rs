//! The controller process: its heap estimate (informer-held Workflow JSON and pods), the OOM
//! kill against `memory_limit`, the /healthz liveness probe, CrashLoopBackOff, re-acquiring
//! the leader lease, and the relist of both informers before workers resume.
//!
//! Simplified: heap = base + informer Workflow bytes x factor + pods x size (*estimates*);
//! a restart is a container restart in the same pod (never a new pod that would wait for the
//! old lease to expire).

use super::super::Ctx;
use super::super::api::Origin;
use super::super::pods::POD_OBJECT_BYTES;
use super::{Controller, CtrlEvent};
use crate::argo::workflow::WfPhase;
use crate::argo::workqueue::WorkQueue;
use crate::engine::SimTime;
use crate::kube::apiserver::Verb;
use crate::scenario::defaults as d;
use crate::units::parse_duration;
use indexmap::IndexMap;

/// Process state: up/down, restarts, informer contents, queue totals of dead processes.
pub(super) struct Process {
    down: bool,
    down_since: SimTime,
    pub downtime: SimTime,
    pub restarts: u64,
    pub restart_causes: IndexMap<String, u64>,
    pub aborted_reconciles: u64,
    relists_pending: u32,
    liveness_failures: u32,
    liveness_period: SimTime,
    /// Workflows below this index can never make /healthz fail again (another controller's,
    /// reconciled, or past Pending): the probe looks from here on.
    healthz_from: usize,
    pub informer_wf_bytes: u64,
    pub informer_pods: u64,
    pub peak_memory: u64,
    pub queue_adds_before: u64,
    pub queue_depth_before: usize,
}

impl Process {
    pub(super) fn new() -> Self {
        Process {
            down: false,
            down_since: SimTime::ZERO,
            downtime: SimTime::ZERO,
            restarts: 0,
            restart_causes: IndexMap::new(),
            aborted_reconciles: 0,
            relists_pending: 0,
            liveness_failures: 0,
            healthz_from: 0,
            liveness_period: SimTime(parse_duration(d::LIVENESS_PERIOD).expect("constant")),
            informer_wf_bytes: 0,
            informer_pods: 0,
            peak_memory: 0,
            queue_adds_before: 0,
            queue_depth_before: 0,
        }
    }

    /// Whether the process is down (crashed, or relisting before workers resume).
    pub(super) fn down(&self) -> bool {
        self.down
    }
}

impl Controller {
    /// Estimated controller heap: base + informer-held Workflow JSON × factor + pods × size.
    pub(super) fn memory(&self, cx: &Ctx<'_>) -> u64 {
        let c = &self.cfg(cx);
        c.memory_base.0
            + (self.process.informer_wf_bytes as f64 * c.memory_per_workflow_byte) as u64
            + self.process.informer_pods * c.memory_per_pod.0
    }

    pub(super) fn check_memory(&mut self, cx: &mut Ctx<'_>) {
        let mem = self.memory(cx);
        self.process.peak_memory = self.process.peak_memory.max(mem);
        if let Some(limit) = self.cfg(cx).memory_limit
            && mem > limit.0
            && !self.process.down
        {
            self.crash(cx, "OOMKilled");
        }
    }

    /// The controller process dies: in-flight reconciles and queued keys are lost; it comes
    /// back after the kubelet's restart backoff (the same pod re-acquires its lease at once).
    fn crash(&mut self, cx: &mut Ctx<'_>, cause: &str) {
        let now = cx.now();
        let p = &mut self.process;
        p.restarts += 1;
        *p.restart_causes.entry(cause.to_string()).or_default() += 1;
        self.epoch += 1;
        p.down = true;
        p.down_since = now;
        p.liveness_failures = 0;
        for w in 0..self.workers.len() {
            if self.workers[w].take().is_some() {
                p.aborted_reconciles += 1;
            }
        }
        self.idle_workers = (0..self.n_workers).rev().collect();
        self.sync_holder = None;
        self.sync_waiters.clear();
        for (wf, w) in cx.wfs.iter().enumerate() {
            if w.ctrl() == self.id && w.created_at.is_some() && !w.phase.is_done() {
                self.act.set(wf, now, super::Act::Down);
            }
        }
        let p = &mut self.process;
        p.queue_adds_before += self.wq.adds;
        p.queue_depth_before = p.queue_depth_before.max(self.wq.max_depth);
        self.wq = WorkQueue::new();
        self.cpu.clear();
        if let Some(t) = self.cpu_timer.take() {
            cx.q.cancel(t);
        }
        let exp = (p.restarts - 1).min(20) as u32;
        let backoff = (d::CONTAINER_RESTART_BACKOFF_INITIAL_US << exp)
            .min(d::CONTAINER_RESTART_BACKOFF_MAX_US);
        // The lease holder's identity is the pod name, so the restarted container of the same
        // pod re-acquires its own lease at once (argo-facts §11.6): only the back-off waits.
        let delay = SimTime(backoff);
        let epoch = self.epoch;
        cx.q.schedule_in(
            delay,
            CtrlEvent::ControllerStart {
                epoch,
                ctrl: self.id as u32,
            }
            .into(),
        );
    }

    /// New leader: informers LIST workflows and pods before any worker runs.
    pub(super) fn on_controller_start(&mut self, cx: &mut Ctx<'_>) {
        let now = cx.now();
        let p = &mut self.process;
        p.downtime = p.downtime.plus(now.since(p.down_since));
        p.relists_pending = 2;
        let epoch = self.epoch;
        let wf_bytes = p.informer_wf_bytes;
        let pod_bytes = p.informer_pods * POD_OBJECT_BYTES;
        cx.issue(
            self.dyn_client,
            Verb::List,
            "workflows",
            wf_bytes,
            Origin::Relist {
                epoch,
                ctrl: self.id as u32,
            },
        );
        cx.issue(
            self.kube_client,
            Verb::List,
            "pods",
            pod_bytes,
            Origin::Relist {
                epoch,
                ctrl: self.id as u32,
            },
        );
    }

    /// One relist LIST of the current process completed.
    pub(super) fn on_relist_done(&mut self, cx: &mut Ctx<'_>) {
        self.process.relists_pending -= 1;
        if self.process.relists_pending == 0 {
            self.on_informers_synced(cx);
        }
    }

    fn on_informers_synced(&mut self, cx: &mut Ctx<'_>) {
        self.process.down = false;
        self.check_memory(cx);
        if self.process.down {
            return; // OOM again while the informers filled: crash loop
        }
        let now = cx.now();
        for wf in 0..cx.wfs.len() {
            let w = &mut cx.wfs[wf];
            // Its informer lists only the workflows it manages.
            if w.ctrl() == self.id && w.created_at.is_some() && !w.phase.is_done() {
                w.dirty_pods = w.pods.clone();
                self.wq.add(wf, now);
                self.note_queue(wf, now);
            }
        }
        self.start_workers(cx);
    }

    /// Liveness probe: /healthz fails while a workflow has waited longer than HEALTHZ_AGE
    /// for its first reconcile; three failures in a row restart the controller.
    pub(super) fn on_liveness(&mut self, cx: &mut Ctx<'_>) {
        let now = cx.now();
        if !self.process.down {
            let age = SimTime(self.cfg(cx).healthz_age.0);
            // Skip the prefix that can never count again (reconciles only grow, a workflow
            // past Pending never goes back, its controller is fixed); a postponed or
            // still-submitting one may.
            let id = self.id;
            let done = |w: &crate::argo::workflow::WorkflowRun| {
                w.ctrl() != id
                    || w.reconciles > 0
                    || !matches!(w.phase, WfPhase::Submitting | WfPhase::Pending)
            };
            let from = &mut self.process.healthz_from;
            while *from < cx.wfs.len() && done(&cx.wfs[*from]) {
                *from += 1;
            }
            let stale = cx.wfs[*from..].iter().any(|w| {
                w.ctrl() == self.id
                    && w.phase == WfPhase::Pending
                    && w.reconciles == 0
                    && !w.postponed
                    && w.created_at.get().is_some_and(|c| now.since(c) > age)
            });
            if stale {
                self.process.liveness_failures += 1;
                if self.process.liveness_failures >= d::LIVENESS_FAILURE_THRESHOLD {
                    self.crash(cx, "liveness probe failed (healthz)");
                }
            } else {
                self.process.liveness_failures = 0;
            }
        }
        if cx.work_left() {
            cx.q.schedule_in(
                self.process.liveness_period,
                CtrlEvent::Liveness {
                    ctrl: self.id as u32,
                }
                .into(),
            );
        }
    }
}
