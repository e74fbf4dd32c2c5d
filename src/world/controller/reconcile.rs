//! One reconcile of one workflow by one worker (`operator.go`'s `operate`): admission
//! (parallelism, workflow-level locks), podReconciliation (fold the informer's pod and
//! TaskResult state into node statuses, retryStrategy), first-reconcile validation GETs, the
//! reconcile's CPU, the plan of pods to create (dependencies, parallelism, template locks,
//! retry backoffs) cut by `MAX_OPERATION_TIME` and `resourceRateLimit`, the object size
//! model, and the workflow PUT with node Events and pod cleanup after it.
//!
//! The too-large path follows v3.6.19: a status whose compressed form still exceeds
//! `MAX_WORKFLOW_SIZE` is marked Error only while no TaskResult is in progress
//! (`operator.go` `persistUpdates` / `reapplyUpdate`); otherwise the uncompressed body is
//! written and the run goes on. Once every node is done the completion write panics on
//! "workflow is already fulfilled" (recovered), so the workflow stays Running at its last
//! stored progress. An API server 413 or etcd "request is too large" marks the workflow
//! Error with the server's text when the stored status has no results in progress
//! (`persistWorkflowSizeLimitErr`), with no Events and no pod cleanup.
//!
//! Simplified: the reconcile's CPU is one block before pod creation (base + per node, an
//! *estimate*); the semaphore ConfigMap GETs are made before the CPU, not interleaved with
//! node execution; a workflow postponed for a workflow-level semaphore makes no GET; a failed
//! artifact-repository GET is retried like a validation failure (Argo marks the workflow
//! Error); group nodes of a workflow that fails fast are not counted as completing (no
//! Event).

use super::super::api::{Origin, Status};
use super::super::pods::{Pod, PodState, argo_pending_reason};
use super::super::scheduler::Scheduler;
use super::super::{Ctx, Event};
use super::rules::{PlanItem, group_completions, retry_backoff, semaphore_nodes, take_one};
use super::{Act, Controller, CtrlEvent, SMALL_BODY_BYTES};
use crate::argo::templates::controller_validation_gets;
use crate::argo::workflow::{Storage, WfPhase};
use crate::engine::SimTime;
use crate::kube::apiserver::Verb;
use crate::scenario::defaults as d;
use crate::scenario::schema::WorkflowKind;
use rand::RngExt;
use std::collections::VecDeque;

/// *Estimate*: size of an Argo pod object, as sent in the CREATE.
use super::super::pods::POD_OBJECT_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// First reconcile: validation GETs of WorkflowTemplates, then the artifact-repository
    /// ConfigMap GET.
    Validating,
    /// Reconcile CPU.
    Cpu,
    /// Pod CREATEs.
    Creating,
    /// Workflow PUT.
    Persisting,
    /// `persistWorkflowSizeLimitErr`: the PUT of the last stored object after a size refusal,
    /// marked Error when `markWorkflowPhase` allows it.
    PersistingSizeErr { mark_error: bool },
    /// DeleteCollection of the completed workflow's TaskResults.
    DeletingResults,
}

/// A worker's reconcile in progress.
#[derive(Debug, Clone)]
pub(super) struct Reconcile {
    wf: usize,
    started: SimTime,
    deadline: SimTime,
    plan: VecDeque<PlanItem>,
    requeue: bool,
    updated: bool,
    body: u64,
    stage: Stage,
    gets_left: u32,
    /// The artifact-repository ConfigMap GET is still to be made (first reconcile).
    artifact_get: bool,
    /// First reconcile: `WorkflowRunning` is recorded when validation is through.
    first: bool,
    /// This reconcile started the workflow (a failed pre-call puts it back to Pending).
    started_now: bool,
    /// Semaphore ConfigMap GETs still to make under the sync manager's global lock.
    sync_gets: u32,
    /// This worker holds the sync manager's lock.
    in_sync: bool,
    /// Node phase changes of this reconcile (one Event each after the update).
    node_events: u32,
    became_done: Vec<usize>,
    /// Dehydrate failed: the PUT carries the restored, uncompressed nodes (`packer.go`).
    oversize: bool,
    /// How the PUT stores the nodes (etcd holds it once the PUT succeeds).
    storage: Storage,
    /// What the workflow waits for if this reconcile leaves ready work undone.
    held: Act,
    /// When the pod CREATE in flight was issued.
    issued: SimTime,
}

impl Controller {
    fn worker_origin(&self, worker: usize) -> Origin {
        Origin::Worker {
            worker: worker as u32,
            epoch: self.epoch,
            ctrl: self.id as u32,
        }
    }

    /// `setExecWorkflow` validation: one direct GET of a WorkflowTemplate on the workflow
    /// clientset.
    fn validation_get(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let client = self.wf_client;
        self.worker_call(
            cx,
            worker,
            client,
            Verb::Get,
            "workflowtemplates",
            d::WORKFLOW_TEMPLATE_BYTES,
        );
    }

    /// A worker's blocking API call; its bucket wait and time at the apiserver go into the
    /// workflow's activity.
    fn worker_call(
        &mut self,
        cx: &mut Ctx<'_>,
        worker: usize,
        client: usize,
        verb: Verb,
        resource: &'static str,
        bytes: u64,
    ) {
        let origin = self.worker_origin(worker);
        let wait = cx.issue(client, verb, resource, bytes, origin);
        if let Some(rec) = self.workers[worker].as_ref() {
            let create = verb == Verb::Create && resource == "pods";
            self.act.call(rec.wf, cx.now(), wait, create);
        }
    }

    pub(super) fn begin_reconcile(&mut self, cx: &mut Ctx<'_>, worker: usize, wf: usize) {
        let now = cx.now();
        let sc = cx.sc;
        let ctl = self.cfg(cx);
        if cx.wfs[wf].phase.is_done() {
            // Completed workflows are skipped (label workflows.argoproj.io/completed=true).
            self.queue_done(wf, now);
            self.idle_workers.push(worker);
            return;
        }
        // Controller and namespace parallelism: a workflow that has not started waits for a slot.
        if cx.wfs[wf].phase == WfPhase::Pending && !self.admissible(cx, wf) {
            if !self.throttled_wfs.contains(&wf) {
                self.throttled_wfs.push_back(wf);
                self.m.parallelism_held += 1;
            }
            return self.postpone(cx, worker, wf, Act::HeldParallelism);
        }
        // Workflow-level synchronization: acquire before the workflow starts.
        if cx.wfs[wf].phase == WfPhase::Pending
            && let Some(l) = sc.workflows[cx.wfs[wf].spec()].lock
            && !cx.wfs[wf].holds_lock
        {
            if !self.locks.try_acquire(sc, l, wf) {
                return self.postpone(cx, worker, wf, Act::HeldLock);
            }
            cx.wfs[wf].holds_lock = true;
        }
        // Safety resync: every processed workflow is re-added after workflowResyncPeriod.
        let resync = SimTime(ctl.workflow_resync_period.0);
        self.add_after_quiet(cx, wf, resync);
        self.m.reconciles += 1;
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
            artifact_get: false,
            first: false,
            started_now: false,
            sync_gets: 0,
            in_sync: false,
            node_events: 0,
            became_done: Vec::new(),
            oversize: false,
            storage: Storage::Plain,
            held: Act::Idle,
            issued: SimTime::ZERO,
        };
        let spec = &sc.workflows[cx.wfs[wf].spec()];
        let w = &mut cx.wfs[wf];
        w.reconciles += 1;
        if w.phase == WfPhase::Pending {
            w.phase = WfPhase::Running;
            w.started_at = crate::engine::OptTime::some(now);
            w.virtual_nodes += 1; // the entrypoint DAG/Steps node
            rec.node_events += 1; // ... created Running
            rec.updated = true;
            rec.first = true;
            rec.started_now = true;
            self.running_wfs += 1;
            self.running_by_ns[w.ns()] += 1;
            // setExecWorkflow validates once, with direct GETs on the workflow clientset
            // (templates stored at submission are not fetched again); then the artifact
            // repository is resolved with an uncached ConfigMap GET on the kube clientset
            // (`artifactrepositories.go` Resolve; argo-facts §11.2).
            rec.gets_left = controller_validation_gets(spec);
            rec.artifact_get = true;
            rec.stage = Stage::Validating;
        }
        // podReconciliation: fold informer changes into node statuses.
        let mut released = Vec::new();
        let mut retry_after: Option<SimTime> = None;
        let dirty = std::mem::take(&mut w.dirty_pods);
        let mut pending_seen = Vec::new();
        for p in dirty.into_iter().map(|p| p as usize) {
            let pod = &mut cx.pods[p];
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
            let task_spec = &spec.tasks[pod.task as usize];
            match pod.observed {
                PodState::Running if pod.recorded != PodState::Running => {
                    rec.node_events += 1;
                    // The wait container's placeholder TaskResult (completed=false).
                    w.results_open += 1;
                }
                PodState::Running => {}
                PodState::Failed
                    if pod.deleted()
                        && pod.fail_error
                        && matches!(pod.recorded, PodState::Pending(_)) =>
                {
                    // podReconciliation (operator.go v3.6.19): the pod of a node still
                    // Pending vanished; the node stays Pending and its pod is created again
                    // (same attempt, not a retry). The RECENTLY_STARTED_POD_DURATION (10 s)
                    // window never applies here: PodGC removes the pod 40 s after its node.
                    w.redo_mut()
                        .recreate
                        .push((pod.task, pod.attempt, pod.first_start));
                    self.m.pods_recreated += 1;
                }
                PodState::Succeeded | PodState::Failed => {
                    t.active -= 1;
                    if pod.recorded == PodState::Running {
                        w.results_open -= 1;
                    }
                    let mut item_done = true;
                    if pod.observed == PodState::Succeeded {
                        t.succeeded += 1;
                    } else if let Some(backoff) =
                        retry_backoff(&spec.tasks[pod.task as usize], pod, now)
                    {
                        // retryStrategy: a new attempt after the backoff.
                        w.redo_mut().retry.push((
                            pod.task,
                            pod.attempt + 1,
                            pod.first_start,
                            now.plus(backoff),
                        ));
                        retry_after =
                            Some(retry_after.map_or(backoff, |r: SimTime| r.min(backoff)));
                        self.m.retries += 1;
                        item_done = false;
                    } else {
                        t.failed += 1;
                        w.stop_new = true;
                        if w.message.is_empty() {
                            // Argo's DAG/steps message names the failed child and its node message.
                            w.message.set(format!(
                                "child of task {:?} failed: {}",
                                spec.tasks[pod.task as usize].name,
                                pod.fail_message()
                            ));
                        }
                    }
                    // The pod node's completion, with a synthetic Running first when it
                    // jumps from Pending (recordNodePhaseChangeEvents).
                    rec.node_events += if pod.recorded != PodState::Running {
                        2
                    } else {
                        1
                    };
                    if item_done {
                        // The item's Retry node completes with it.
                        rec.node_events += u32::from(task_spec.retry.is_some());
                        let t = &w.tasks[pod.task as usize];
                        if t.succeeded + t.failed == task_spec.width {
                            rec.node_events += group_completions(spec, &w.tasks, pod.task);
                        }
                    }
                    rec.became_done.push(p);
                    if let Some(l) = spec.tasks[pod.task as usize].lock {
                        released.push(l);
                    }
                }
                PodState::Pending(r) => {
                    // assessNodeStatus: a changed node message counts in pod_pending_count.
                    let argo = argo_pending_reason(r, pod.pull.main_pull);
                    pending_seen.push((p, argo));
                }
            }
            pod.recorded = pod.observed;
            rec.updated = true;
        }
        for (p, argo) in pending_seen {
            cx.pods.record_argo_pending(p, argo);
        }
        if let Some(b) = retry_after {
            // requeueAfter(backoff) for the next attempt.
            self.add_after_quiet(cx, wf, b.max(SimTime(1)));
        }
        for l in released {
            self.release_lock(cx, l);
        }
        // sync_manager.go TryAcquire: an uncached ConfigMap GET per unfinished node holding or
        // waiting for a ConfigMap semaphore, under the manager's global lock (argo-facts §11.2).
        rec.sync_gets = semaphore_nodes(cx.sc, spec, &cx.wfs[wf]);
        if rec.sync_gets > 0 {
            rec.stage = Stage::Validating;
        }
        let validating = rec.stage == Stage::Validating;
        self.workers[worker] = Some(rec);
        if validating {
            self.next_pre_call(cx, worker);
        } else {
            self.start_reconcile_cpu(cx, worker);
        }
    }

    /// The first reconcile's blocking calls, one at a time: validation GETs, then the
    /// artifact-repository ConfigMap GET; then the reconcile's CPU.
    fn next_pre_call(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        if rec.gets_left > 0 {
            rec.gets_left -= 1;
            self.validation_get(cx, worker);
        } else if rec.artifact_get {
            rec.artifact_get = false;
            self.configmap_get(cx, worker);
        } else if rec.sync_gets > 0 {
            if !rec.in_sync {
                if self.sync_holder.is_some() {
                    self.sync_waiters.push_back(worker);
                    return;
                }
                rec.in_sync = true;
                self.sync_holder = Some(worker);
            }
            rec.sync_gets -= 1;
            self.configmap_get(cx, worker);
        } else {
            if rec.in_sync {
                rec.in_sync = false;
                self.release_sync(cx);
            }
            self.start_reconcile_cpu(cx, worker);
        }
    }

    /// An uncached ConfigMap GET on the kube clientset (artifact repository or semaphore).
    fn configmap_get(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let client = self.kube_client;
        self.worker_call(
            cx,
            worker,
            client,
            Verb::Get,
            "configmaps",
            SMALL_BODY_BYTES,
        );
    }

    /// The sync manager's global lock is free: the next waiting worker takes it.
    fn release_sync(&mut self, cx: &mut Ctx<'_>) {
        self.sync_holder = None;
        if let Some(next) = self.sync_waiters.pop_front() {
            self.next_pre_call(cx, next);
        }
    }

    /// A workflow that may not start yet (controller parallelism, workflow-level lock): the
    /// first time, phase Pending is persisted with Argo's message, so /healthz stays happy;
    /// the worker is released without reconciling.
    fn postpone(&mut self, cx: &mut Ctx<'_>, worker: usize, wf: usize, held: Act) {
        if !cx.wfs[wf].postponed {
            cx.wfs[wf].postponed = true;
            let bytes = cx.sc.workflows[cx.wfs[wf].spec()].spec_bytes;
            cx.issue(
                self.wf_client,
                Verb::Update,
                "workflows",
                bytes,
                Origin::FireAndForget,
            );
        }
        self.act.set_held(wf, held);
        let now = cx.now();
        self.queue_done(wf, now);
        self.idle_workers.push(worker);
    }

    fn start_reconcile_cpu(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        rec.stage = Stage::Cpu;
        if rec.first {
            // markWorkflowPhase(Running) records WorkflowRunning.
            rec.first = false;
            let wf = rec.wf;
            self.record_workflow_event(cx, wf);
        }
        let ctl = self.cfg(cx);
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        let cpu = SimTime(
            ctl.reconcile_base_cpu.0 + ctl.reconcile_per_node_cpu.0 * cx.wfs[rec.wf].nodes(),
        );
        if self.cpu.limited() {
            let now = cx.now();
            self.cpu.advance(now);
            self.cpu.add(worker, cpu);
            self.reschedule_cpu(cx);
        } else {
            let epoch = self.epoch;
            cx.q.schedule_in(
                cpu,
                CtrlEvent::WorkerCpuDone {
                    worker: worker as u32,
                    epoch,
                    ctrl: self.id as u32,
                }
                .into(),
            );
        }
    }

    pub(super) fn on_worker_cpu_done(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        rec.stage = Stage::Creating;
        let wf = rec.wf;
        let spec = &cx.sc.workflows[cx.wfs[wf].spec()];
        let w = &cx.wfs[wf];
        if !w.stop_new {
            let mut budget = if spec.parallelism > 0 {
                spec.parallelism.saturating_sub(w.active_pods())
            } else {
                u32::MAX
            };
            let now = cx.q.now();
            // Pods of Pending nodes to create again: their nodes already count as active.
            for r in w.recreate_queue() {
                rec.plan.push_back(PlanItem {
                    task: r.0,
                    attempt: r.1,
                    first_start: r.2,
                    recreate: true,
                    count: 1,
                });
            }
            // Retries whose backoff has elapsed go first.
            for r in w.retry_queue().iter().filter(|r| r.3 <= now) {
                if budget == 0 {
                    break;
                }
                rec.plan.push_back(PlanItem {
                    task: r.0,
                    attempt: r.1,
                    first_start: r.2,
                    recreate: false,
                    count: 1,
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
                    if n < width - t.created {
                        // Ready pods left for a parallelism slot.
                        rec.held = Act::HeldParallelism;
                    }
                    if n > 0 {
                        rec.plan.push_back(PlanItem {
                            task: i as u32,
                            attempt: 0,
                            first_start: now,
                            recreate: false,
                            count: n,
                        });
                    }
                    budget -= n;
                }
            }
        }
        self.continue_creating(cx, worker);
    }

    fn continue_creating(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let now = cx.now();
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        let Some(&PlanItem { task, recreate, .. }) = rec.plan.front() else {
            return self.persist(cx, worker);
        };
        let wf = rec.wf;
        if now > rec.deadline {
            self.m.deadline_exceeded += 1;
            rec.requeue = true;
            rec.plan.clear();
            return self.persist(cx, worker);
        }
        // Template-level synchronization: each pod of the task holds a permit (a Pending node
        // whose pod is created again still holds its own).
        let lock = cx.sc.workflows[cx.wfs[wf].spec()].tasks[task as usize]
            .lock
            .filter(|_| !recreate);
        if let Some(l) = lock
            && !self.locks.try_acquire(cx.sc, l, wf)
        {
            if let Some(rec) = self.workers[worker].as_mut() {
                rec.plan.retain(|it| it.task != task);
                rec.held = Act::HeldLock;
            }
            return self.continue_creating(cx, worker);
        }
        if let Some(rrl) = self.rrl.as_mut()
            && !rrl.try_accept(now)
        {
            self.m.rrl_refused += 1;
            if let Some(l) = lock {
                self.release_lock(cx, l);
            }
            if let Some(rec) = self.workers[worker].as_mut() {
                rec.requeue = true;
                rec.plan.clear();
            }
            return self.persist(cx, worker);
        }
        if let Some(rec) = self.workers[worker].as_mut() {
            rec.issued = now;
        }
        let client = self.kube_client;
        self.worker_call(cx, worker, client, Verb::Create, "pods", POD_OBJECT_BYTES);
    }

    pub(super) fn on_worker_call_done(
        &mut self,
        cx: &mut Ctx<'_>,
        sched: &mut Scheduler,
        worker: usize,
        status: Status,
    ) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        self.act.set(rec.wf, cx.now(), Act::Work);
        match rec.stage {
            Stage::Persisting => return self.on_persisted(cx, worker, status),
            Stage::PersistingSizeErr { mark_error } => {
                return self.on_size_err_persisted(cx, worker, mark_error, status);
            }
            Stage::DeletingResults => return self.finish_reconcile(cx, worker),
            Stage::Validating => {
                if status != Status::Ok && !rec.started_now {
                    // A failed semaphore GET: retry on the next reconcile.
                    rec.requeue = true;
                    return self.finish_reconcile(cx, worker);
                }
                if status != Status::Ok {
                    // Transient validation failure: retry on the next reconcile.
                    rec.requeue = true;
                    let wf = rec.wf;
                    cx.wfs[wf].phase = WfPhase::Pending;
                    cx.wfs[wf].started_at = crate::engine::OptTime::NONE;
                    cx.wfs[wf].virtual_nodes -= 1;
                    rec.node_events = 0;
                    self.running_wfs -= 1;
                    let ns = cx.wfs[wf].ns();
                    self.running_by_ns[ns] -= 1;
                    return self.finish_reconcile(cx, worker);
                }
                return self.next_pre_call(cx, worker);
            }
            Stage::Cpu | Stage::Creating => {}
        }
        let Some(PlanItem {
            task,
            attempt,
            first_start,
            recreate,
            ..
        }) = take_one(&mut rec.plan)
        else {
            return self.persist(cx, worker);
        };
        if status != Status::Ok {
            // Transient: the node stays Pending and the workflow is requeued.
            rec.requeue = true;
            rec.plan.clear();
            let wf = rec.wf;
            if let Some(l) = cx.sc.workflows[cx.wfs[wf].spec()].tasks[task as usize].lock
                && !recreate
            {
                self.release_lock(cx, l);
            }
            return self.persist(cx, worker);
        }
        rec.updated = true;
        let wf = rec.wf;
        let issued = rec.issued;
        let now = cx.now();
        let spec_idx = cx.wfs[wf].spec();
        let spec = &cx.sc.workflows[spec_idx];
        let ts = &spec.tasks[task as usize];
        let group = (spec.kind == WorkflowKind::Steps).then_some(ts.group as usize);
        if recreate {
            let w = &mut cx.wfs[wf];
            if let Some(redo) = w.redo.as_mut()
                && let Some(i) = (redo.recreate.iter())
                    .position(|r| r.0 == task && r.1 == attempt && r.2 == first_start)
            {
                redo.recreate.swap_remove(i);
            }
        } else if attempt == 0 {
            let before = cx.wfs[wf].virtual_nodes;
            cx.wfs[wf].record_created(spec, task as usize, group);
            if ts.retry.is_some() {
                cx.wfs[wf].virtual_nodes += 1; // the item's Retry node
            }
            // New StepGroup/TaskGroup and Retry nodes start Running: one Event each.
            rec.node_events += cx.wfs[wf].virtual_nodes - before;
        } else {
            let w = &mut cx.wfs[wf];
            if let Some(redo) = w.redo.as_mut()
                && let Some(i) = (redo.retry.iter())
                    .position(|r| r.0 == task && r.1 == attempt && r.2 == first_start)
            {
                redo.retry.swap_remove(i);
            }
            w.tasks[task as usize].active += 1;
            w.pod_nodes += 1;
        }
        let fails =
            ts.failure_probability > 0.0 && self.rng_fail.random::<f64>() < ts.failure_probability;
        let run_time = SimTime::from_secs_f64_ceil(
            ts.duration.sample(&mut *self.rng_run).as_secs_f64() / ts.speedup,
        );
        let pod = cx.pods.create(Pod::new(
            wf,
            task,
            ts.cpu,
            ts.mem,
            ts.image,
            now,
            run_time,
            fails,
            attempt,
            first_start,
        ));
        cx.pods.times_mut(pod).issued = issued;
        cx.wfs[wf].pods.push(pod as u32);
        self.process.informer_pods += 1;
        self.m.pods_created += 1;
        self.check_memory(cx);
        sched.enqueue(cx, pod);
        // The pod informer sees the controller's own CREATE: AddRateLimited.
        self.on_pod_event(cx, pod);
        self.continue_creating(cx, worker);
    }

    fn persist(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        let wf = rec.wf;
        let spec = &cx.sc.workflows[cx.wfs[wf].spec()];
        let w = &mut cx.wfs[wf];
        if w.stored.refusals > 0 {
            // The stored status is frozen behind the working one: every reconcile writes.
            rec.updated = true;
        }
        let message_before = w.message.len();
        if w.phase == WfPhase::Running && w.is_complete(spec) {
            let failed = w.tasks.iter().any(|t| t.failed > 0);
            w.phase = if failed {
                WfPhase::Failed
            } else {
                WfPhase::Succeeded
            };
            if failed && w.message.is_empty() {
                w.message.set("child failed");
            }
            rec.updated = true;
            rec.node_events += 1; // the entrypoint node completes
            self.record_workflow_event(cx, wf);
        }
        let ctl = self.cfg(cx);
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        let w = &mut cx.wfs[wf];
        if !rec.updated {
            return self.finish_reconcile(cx, worker);
        }
        let sized = w.size(spec, ctl);
        w.peak_uncompressed = w.peak_uncompressed.max(sized.uncompressed);
        self.process.informer_wf_bytes =
            self.process.informer_wf_bytes + sized.uncompressed - w.json_bytes;
        w.json_bytes = sized.uncompressed;
        if let Some(msg) = sized.error {
            // Dehydrate failed (`persistUpdates`): markWorkflowError, then the PUT of the
            // object with its nodes restored uncompressed (`packer.go` compressWorkflow).
            if w.phase.is_done() {
                // markWorkflowPhase(Error) on a fulfilled workflow panics ("workflow is
                // already fulfilled"); operate's RecoverFromPanic swallows it: nothing is
                // written, and the stored workflow stays Running.
                w.phase = WfPhase::Running;
                w.message.truncate(message_before);
                w.stored.refusals += 1;
                self.m.size_panics += 1;
                return self.finish_reconcile(cx, worker);
            }
            if w.results_open == 0 {
                // markWorkflowPhase refuses to complete while TaskResults are incomplete.
                w.phase = WfPhase::Error;
                w.message.set(msg);
            }
            rec.oversize = true;
            rec.stage = Stage::Persisting;
            rec.body = sized.uncompressed;
            rec.storage = Storage::Plain;
            return self.put_workflow(cx, worker);
        }
        rec.stage = Stage::Persisting;
        rec.body = sized.body;
        rec.storage = sized.storage;
        self.check_memory(cx);
        if sized.storage == Storage::Offloaded {
            // Hydrate read + dehydrate write of the offload table before the PUT.
            self.m.offload_round_trips += 2;
            let db = SimTime(2 * self.cfg(cx).offload_latency.0);
            let epoch = self.epoch;
            cx.q.schedule_in(
                db,
                CtrlEvent::OffloadDone {
                    worker: worker as u32,
                    epoch,
                    ctrl: self.id as u32,
                }
                .into(),
            );
        } else {
            self.put_workflow(cx, worker);
        }
    }

    pub(super) fn put_workflow(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let Some(rec) = self.workers[worker].as_ref() else {
            return;
        };
        let body = rec.body;
        let client = self.wf_client;
        self.worker_call(cx, worker, client, Verb::Update, "workflows", body);
    }

    fn on_persisted(&mut self, cx: &mut Ctx<'_>, worker: usize, status: Status) {
        let Some(mut rec) = self.workers[worker].take() else {
            return;
        };
        let wf = rec.wf;
        if status != Status::Ok {
            let w = &mut cx.wfs[wf];
            if w.phase.is_done() && w.finished_at.is_none() {
                // The completion was not written: the stored workflow is still Running.
                w.phase = WfPhase::Running;
            }
            if matches!(status, Status::TooLarge | Status::EtcdTooLarge) {
                return self.persist_size_limit_err(cx, worker, rec, status);
            }
            // Not persisted: a later reconcile redoes the work.
            self.requeue(cx, wf);
            self.workers[worker] = Some(rec);
            return self.finish_reconcile(cx, worker);
        }
        // etcd holds the new object (after a failed Dehydrate, with its nodes uncompressed).
        let w = &mut cx.wfs[wf];
        let old_stored = w.stored_bytes;
        w.stored_bytes = rec.body;
        w.peak_body = w.peak_body.max(rec.body);
        w.storage = rec.storage;
        w.mark_stored();
        cx.objects.workflow_resized(old_stored, rec.body);
        cx.note_etcd_peak();
        // recordNodePhaseChangeEvents (nodeEvents.enabled, default true).
        if self.cfg(cx).node_events {
            let ns = cx.wfs[wf].ns();
            let client = self.kube_client;
            self.events.record(cx, client, ns, wf, rec.node_events);
        }
        // persistUpdates → queuePodsForCleanup: every finished pod still in the informer.
        let became_done = std::mem::take(&mut rec.became_done);
        self.queue_pods_for_cleanup(cx, wf, &became_done);
        let phase = cx.wfs[wf].phase;
        if phase.is_done() {
            let msg = cx.wfs[wf].message.to_string();
            self.finish_workflow(cx, wf, phase, msg);
        }
        self.workers[worker] = Some(rec);
        if self.cfg(cx).informer_write_back {
            self.after_update(cx, worker);
        } else {
            // Without INFORMER_WRITE_BACK the controller sleeps 1 s after its update.
            let epoch = self.epoch;
            cx.q.schedule_in(
                self.no_write_back_sleep,
                CtrlEvent::WorkerSleepDone {
                    worker: worker as u32,
                    epoch,
                    ctrl: self.id as u32,
                }
                .into(),
            );
        }
    }

    /// `persistWorkflowSizeLimitErr`: the API refused the update for size. The working status
    /// falls back to the last stored object, which is marked Error with the API's text unless
    /// its TaskResults are in progress (`markWorkflowPhase`), and written back (a small PUT
    /// either way: the annotation changes). Without the Error the workflow stays Running with
    /// a frozen status; no Events, no pod cleanup, no TaskResult deletion follow
    /// (argo-facts §11.5).
    fn persist_size_limit_err(
        &mut self,
        cx: &mut Ctx<'_>,
        worker: usize,
        mut rec: Reconcile,
        status: Status,
    ) {
        self.m.size_refused += 1;
        let wf = rec.wf;
        let text = cx.api.error_text(status);
        let w = &mut cx.wfs[wf];
        w.stored.refusals += 1;
        let mark_error = !w.stored.results_in_progress;
        if w.phase == WfPhase::Error && w.finished_at.is_none() {
            // The working status's Error mark is discarded with it.
            w.phase = WfPhase::Running;
            w.message.clear();
        }
        if mark_error {
            w.message.set(text);
        }
        rec.stage = Stage::PersistingSizeErr { mark_error };
        rec.body = w.stored_bytes.max(SMALL_BODY_BYTES);
        self.workers[worker] = Some(rec);
        self.put_workflow(cx, worker);
    }

    /// The PUT of `persistWorkflowSizeLimitErr` landed.
    fn on_size_err_persisted(
        &mut self,
        cx: &mut Ctx<'_>,
        worker: usize,
        mark_error: bool,
        status: Status,
    ) {
        let Some(rec) = self.workers[worker].as_ref() else {
            return;
        };
        let wf = rec.wf;
        if status == Status::Ok && mark_error {
            let msg = cx.wfs[wf].message.take();
            self.finish_workflow(cx, wf, WfPhase::Error, msg);
        } else {
            if mark_error {
                cx.wfs[wf].message.clear();
            }
            self.requeue(cx, wf);
        }
        self.finish_reconcile(cx, worker)
    }

    /// After a successful update (and the 1 s sleep without INFORMER_WRITE_BACK): a fulfilled
    /// workflow's TaskResults are deleted with one blocking DeleteCollection on the workflow
    /// clientset (`persistUpdates` → `deleteTaskResults`).
    pub(super) fn after_update(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let Some(rec) = self.workers[worker].as_mut() else {
            return;
        };
        if cx.wfs[rec.wf].phase.is_done() {
            rec.stage = Stage::DeletingResults;
            let client = self.wf_client;
            self.worker_call(
                cx,
                worker,
                client,
                Verb::DeleteCollection,
                "workflowtaskresults",
                SMALL_BODY_BYTES,
            );
        } else {
            self.finish_reconcile(cx, worker);
        }
    }

    /// markWorkflowPhase records WorkflowRunning / WorkflowSucceeded / WorkflowFailed.
    fn record_workflow_event(&mut self, cx: &mut Ctx<'_>, wf: usize) {
        let ns = cx.wfs[wf].ns();
        let client = self.kube_client;
        self.events.record(cx, client, ns, wf, 1);
    }

    pub(super) fn finish_reconcile(&mut self, cx: &mut Ctx<'_>, worker: usize) {
        let Some(rec) = self.workers[worker].take() else {
            return;
        };
        let now = cx.now();
        if rec.in_sync {
            self.release_sync(cx);
        }
        self.m.op_durations.push(now.since(rec.started));
        let wf = rec.wf;
        if rec.requeue && !cx.wfs[wf].phase.is_done() {
            let at = now.plus(SimTime(self.cfg(cx).default_requeue_time.0));
            self.add_after_quiet(cx, wf, at.since(now));
        }
        self.act.set_held(wf, rec.held);
        self.queue_done(wf, now);
        self.idle_workers.push(worker);
        self.start_workers(cx);
    }

    pub(super) fn reschedule_cpu(&mut self, cx: &mut Ctx<'_>) {
        if let Some(t) = self.cpu_timer.take() {
            cx.q.cancel(t);
        }
        if let Some(delay) = self.cpu.next_completion() {
            let epoch = self.epoch;
            self.cpu_timer = Some(cx.q.schedule_in(
                delay,
                Event::Ctrl(CtrlEvent::CpuTick {
                    epoch,
                    ctrl: self.id as u32,
                }),
            ));
        }
    }

    pub(super) fn on_cpu_tick(&mut self, cx: &mut Ctx<'_>) {
        self.cpu_timer = None;
        let now = cx.now();
        self.cpu.advance(now);
        let done = self.cpu.take_done();
        self.reschedule_cpu(cx);
        for w in done {
            self.on_worker_cpu_done(cx, w);
        }
    }
}
