//! The `pod_cleanup_queue` (argo-facts §6.5, §11.4; `workflow/controller/pod/queue.go`,
//! `pod/cleanup.go`, `pod_cleanup.go`): after every successful workflow update
//! (`persistUpdates` → `queuePodsForCleanup`) **every** finished pod of the workflow still in
//! the pod informer is queued again. The action follows `determinePodCleanupAction`: label
//! `workflows.argoproj.io/completed` (a merge PATCH; the labelled pod leaves the informer,
//! whose selector is `completed=false`), delete per podGC, or nothing (`OnWorkflowCompletion`
//! / `OnWorkflowSuccess` while the workflow runs). A label, or a delete without delay, goes
//! through `AddRateLimited`: `DefaultTypedControllerRateLimiter`, the max of a per-item
//! 5 ms·2ⁿ backoff (n = adds since the last `Forget`, capped at 1,000 s) and a shared 10/s,
//! burst-100 bucket whose token is taken on every call, even for a pod already waiting. A
//! delete with `podGCDeleteDelayDuration` > 0 goes through `AddAfter` and takes no token. The
//! queue is client-go's delaying work queue ([`WorkQueue`]: a key at most once, the earlier
//! ready time wins); `--pod-cleanup-workers` workers make the requests on the controller's
//! kube clientset and `Forget` the key afterwards; a failed request is re-added rate-limited.
//!
//! Reports: requests done, adds of each kind, the deepest ready queue, first-enqueue-to-done
//! latency, the backlog when the last workflow finished and when the queue drained.
//! Simplified: the queue survives a controller restart (the real one is rebuilt from the next
//! updates); `podGC.labelSelector` and the status-capture finalizer are not modelled.

use super::super::Ctx;
use super::super::api::{Origin, Status};
use super::{Controller, CtrlEvent, SMALL_BODY_BYTES};
use crate::argo::workflow::WfPhase;
use crate::argo::workqueue::WorkQueue;
use crate::engine::SimTime;
use crate::kube::apiserver::Verb;
use crate::kube::ratelimit::TokenBucket;
use crate::metrics::CleanupReport;
use crate::scenario::defaults as d;
use crate::scenario::schema::PodGcStrategy;

/// What `determinePodCleanupAction` decides for one finished pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CleanupAction {
    /// Leave the pod alone (for now).
    Nothing,
    /// Label it `completed=true`.
    Label,
    /// Delete it.
    Delete,
}

/// `pod/cleanup.go` `determinePodCleanupAction` (no label selector, no finalizer).
pub(super) fn cleanup_action(
    strategy: PodGcStrategy,
    wf_phase: WfPhase,
    pod_succeeded: bool,
) -> CleanupAction {
    use CleanupAction::*;
    match strategy {
        PodGcStrategy::None => Label,
        PodGcStrategy::OnWorkflowCompletion if wf_phase.is_done() => Delete,
        PodGcStrategy::OnWorkflowSuccess if wf_phase == WfPhase::Succeeded => Delete,
        PodGcStrategy::OnPodCompletion => Delete,
        PodGcStrategy::OnPodSuccess if pod_succeeded => Delete,
        PodGcStrategy::OnPodSuccess => Label,
        _ if wf_phase.is_done() => Label,
        _ => Nothing,
    }
}

/// client-go `ItemExponentialFailureRateLimiter` with the default 5 ms base and 1,000 s cap:
/// the delay of the `n`-th add since the last `Forget` (n from 0).
pub(super) fn item_backoff(n: u8) -> SimTime {
    const CAP: SimTime = SimTime::from_secs(1000);
    // 5 ms · 2^18 already exceeds the cap.
    let delay = SimTime::from_millis(5 << u64::from(n.min(18)));
    delay.min(CAP)
}

/// [`CleanupQueue::items`]: the failure count's bits.
const FAILURES: u8 = 0x7f;
/// [`CleanupQueue::items`]: the queued action is a delete.
const DELETE: u8 = 0x80;

/// The queue, its limiter, idle workers and metrics.
pub(super) struct CleanupQueue {
    bucket: TokenBucket,
    wq: WorkQueue,
    /// Per pod: `AddRateLimited` calls since the last `Forget` in the low 7 bits (saturating
    /// at 127: the backoff stops growing at 18), and [`DELETE`] when the queued action is a
    /// delete rather than the completed label.
    items: Vec<u8>,
    idle: u32,
    /// Pods anywhere in the queue (waiting, ready or being processed).
    outstanding: u64,
    done: u64,
    rate_limited_adds: u64,
    delayed_adds: u64,
    latency: crate::metrics::Durations,
    last_done: Option<SimTime>,
    backlog_at_last_finish: u64,
}

impl CleanupQueue {
    pub(super) fn new(workers: u32) -> Self {
        CleanupQueue {
            bucket: TokenBucket::new(d::CLEANUP_QUEUE_QPS, d::CLEANUP_QUEUE_BURST),
            wq: WorkQueue::new(),
            items: Vec::new(),
            idle: workers,
            outstanding: 0,
            done: 0,
            rate_limited_adds: 0,
            delayed_adds: 0,
            latency: crate::metrics::Durations::new(),
            last_done: None,
            backlog_at_last_finish: 0,
        }
    }

    fn note_enqueue(&mut self, cx: &mut Ctx<'_>, pod: usize, now: SimTime) {
        if !self.wq.contains(pod) {
            self.outstanding += 1;
            cx.pods[pod].cleanup_enqueued = now;
        }
    }

    /// `AddRateLimited`: a bucket token and a per-item backoff step on every call.
    fn add_rate_limited(&mut self, cx: &mut Ctx<'_>, pod: usize, now: SimTime) {
        self.rate_limited_adds += 1;
        let n = self.count_failure(pod);
        let wait = self.bucket.reserve(now).max(item_backoff(n));
        self.add_after(cx, pod, wait, now);
    }

    /// client-go `ItemExponentialFailureRateLimiter.When`'s count: `pod`'s adds since its
    /// last `Forget`, before this one (kept in 7 bits, saturating at 127: the backoff reaches
    /// its cap at 18).
    #[inline]
    fn count_failure(&mut self, pod: usize) -> u8 {
        let item = self.item(pod);
        let n = *item & FAILURES;
        if n < FAILURES {
            *item += 1;
        }
        n
    }

    /// client-go `ItemExponentialFailureRateLimiter.Forget`: `pod`'s count back to 0 (its
    /// queued action stays).
    fn forget(&mut self, pod: usize) {
        if let Some(item) = self.items.get_mut(pod) {
            *item &= DELETE;
        }
    }

    /// `pod`'s byte in [`CleanupQueue::items`].
    #[inline]
    fn item(&mut self, pod: usize) -> &mut u8 {
        if pod >= self.items.len() {
            self.items.resize(pod + 1, 0);
        }
        &mut self.items[pod]
    }

    /// Whether the action queued for `pod` is a delete (else the completed label).
    fn deletes(&self, pod: usize) -> bool {
        self.items.get(pod).is_some_and(|i| i & DELETE != 0)
    }

    /// Queue a delete (`true`) or the completed label for `pod`.
    fn set_deletes(&mut self, pod: usize, delete: bool) {
        let item = self.item(pod);
        *item = if delete {
            *item | DELETE
        } else {
            *item & !DELETE
        };
    }

    /// `AddAfter`: ready after `delay`, the earlier ready time winning.
    fn add_after(&mut self, cx: &mut Ctx<'_>, pod: usize, delay: SimTime, now: SimTime) {
        self.note_enqueue(cx, pod, now);
        if let Some(at) = self.wq.add_after(pod, delay, now) {
            cx.q.schedule_at(at, CtrlEvent::CleanupTimer { pod: pod as u32 }.into());
        }
    }

    /// `EnactAnyPodCleanup` for one finished pod still in the informer.
    pub(super) fn enact(
        &mut self,
        cx: &mut Ctx<'_>,
        pod: usize,
        action: CleanupAction,
        delay: SimTime,
        now: SimTime,
    ) {
        match action {
            CleanupAction::Nothing => {}
            CleanupAction::Label => {
                self.set_deletes(pod, false);
                self.add_rate_limited(cx, pod, now);
            }
            CleanupAction::Delete => {
                self.set_deletes(pod, true);
                if delay > SimTime::ZERO {
                    self.delayed_adds += 1;
                    self.add_after(cx, pod, delay, now);
                } else {
                    self.add_rate_limited(cx, pod, now);
                }
            }
        }
    }

    /// A delayed add matured.
    pub(super) fn on_timer(&mut self, pod: usize, at: SimTime, now: SimTime) {
        self.wq.timer_fired(pod, at, now);
    }

    /// Pods ready for a worker now (`queue_depth_gauge`).
    pub(super) fn depth(&self) -> usize {
        self.wq.len()
    }

    /// Pods anywhere in the queue.
    pub(super) fn outstanding(&self) -> u64 {
        self.outstanding
    }

    /// When the last cleanup request completed.
    pub(super) fn last_done(&self) -> Option<SimTime> {
        self.last_done
    }

    /// The last workflow finished: remember the backlog.
    pub(super) fn note_last_finish(&mut self) {
        self.backlog_at_last_finish = self.outstanding;
    }

    /// `Forget` + `Done` after a worker handled `pod`.
    fn finish_item(&mut self, pod: usize) {
        self.forget(pod);
        self.wq.done(pod);
        if !self.wq.contains(pod) {
            self.outstanding -= 1;
        }
        self.idle += 1;
    }

    /// The report section.
    /// First enqueue → cleanup done, per pod so far.
    pub(super) fn latency_samples(&self) -> &crate::metrics::Durations {
        &self.latency
    }

    pub(super) fn report(&mut self) -> CleanupReport {
        CleanupReport {
            done: self.done,
            rate_limited_adds: self.rate_limited_adds,
            delayed_adds: self.delayed_adds,
            max_depth: self.wq.max_depth as u64,
            latency_s: self.latency.stats(),
            backlog_at_last_finish: self.backlog_at_last_finish,
            drained_at_s: self.last_done.map(SimTime::as_secs_f64),
            cut_at_horizon: self.outstanding > 0,
        }
    }
}

impl Controller {
    /// `queuePodsForCleanup` after a successful update of `wf`: `became_done` joins the
    /// workflow's finished pods, and every one of them still in the informer is enacted.
    pub(super) fn queue_pods_for_cleanup(
        &mut self,
        cx: &mut Ctx<'_>,
        wf: usize,
        became_done: &[usize],
    ) {
        let now = cx.now();
        let spec = &cx.sc.workflows[cx.wfs[wf].spec()];
        let strategy = spec.pod_gc;
        let delay = SimTime(self.cfg(cx).pod_gc_delete_delay.0);
        let phase = cx.wfs[wf].phase;
        let mut finished = std::mem::take(&mut cx.wfs[wf].finished_pods);
        finished.extend(became_done.iter().map(|&p| p as u32));
        // Every finished pod on every update: what each checks and changes is kept densely
        // (gone bits, the queue's own bytes and keys), not read from the pod.
        finished.retain(|&p| !cx.pods.gone(p as usize));
        // Only OnPodSuccess looks at the pod's own phase.
        let by_pod = strategy == PodGcStrategy::OnPodSuccess;
        let action = cleanup_action(strategy, phase, false);
        for &p in &finished {
            let action = if by_pod {
                let succeeded = cx.pods[p].recorded == super::super::pods::PodState::Succeeded;
                cleanup_action(strategy, phase, succeeded)
            } else {
                action
            };
            self.cleanup.enact(cx, p as usize, action, delay, now);
        }
        cx.wfs[wf].finished_pods = finished;
        self.cleanup_start(cx);
    }

    /// Idle cleanup workers take ready pods; a pod no longer in the informer is skipped
    /// (`GetPod` finds nothing: no request).
    pub(super) fn cleanup_start(&mut self, cx: &mut Ctx<'_>) {
        let now = cx.now();
        while self.cleanup.idle > 0 {
            let Some((pod, _)) = self.cleanup.wq.get(now) else {
                return;
            };
            self.cleanup.idle -= 1;
            if cx.pods.gone(pod) {
                self.cleanup.finish_item(pod);
                continue;
            }
            // labelPodCompleted is a merge PATCH of the completed label; deletePod a DELETE
            // (its finalizer PATCH is empty without the status-capture finalizer).
            let verb = if self.cleanup.deletes(pod) {
                Verb::Delete
            } else {
                Verb::Patch
            };
            cx.issue(
                self.kube_client,
                verb,
                "pods",
                SMALL_BODY_BYTES,
                Origin::Cleanup { pod: pod as u32 },
            );
        }
    }

    /// A cleanup PATCH/DELETE completed: the pod leaves the informer (the completed label is
    /// filtered out), a deleted pod leaves etcd; a failed request is re-added rate-limited.
    pub(super) fn on_cleanup_done(&mut self, cx: &mut Ctx<'_>, pod: usize, status: Status) {
        let now = cx.now();
        self.cleanup.done += 1;
        self.cleanup.last_done = Some(now);
        if status == Status::Ok && cx.pods.set_left_informer(pod) {
            self.process.informer_pods -= 1;
        }
        if self.cleanup.deletes(pod) && status == Status::Ok && cx.pods.set_deleted(pod) {
            self.m.pods_deleted += 1;
            cx.pods.deleted_from_cluster();
        }
        if status == Status::Ok {
            let lat = now.since(cx.pods[pod].cleanup_enqueued);
            self.cleanup.latency.push(lat);
        } else {
            self.cleanup.add_rate_limited(cx, pod, now);
        }
        self.cleanup.finish_item(pod);
        self.cleanup_start(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pod/cleanup.go` `determinePodCleanupAction`, case by case.
    #[test]
    fn cleanup_action_follows_determine_pod_cleanup_action() {
        use CleanupAction::*;
        use PodGcStrategy as S;
        let run = WfPhase::Running;
        let ok = WfPhase::Succeeded;
        let bad = WfPhase::Failed;
        assert_eq!(cleanup_action(S::None, run, true), Label);
        assert_eq!(cleanup_action(S::OnPodCompletion, run, false), Delete);
        assert_eq!(cleanup_action(S::OnPodSuccess, run, true), Delete);
        assert_eq!(cleanup_action(S::OnPodSuccess, run, false), Label);
        assert_eq!(cleanup_action(S::OnWorkflowCompletion, run, true), Nothing);
        assert_eq!(cleanup_action(S::OnWorkflowCompletion, bad, true), Delete);
        assert_eq!(cleanup_action(S::OnWorkflowSuccess, run, true), Nothing);
        assert_eq!(cleanup_action(S::OnWorkflowSuccess, ok, true), Delete);
        assert_eq!(cleanup_action(S::OnWorkflowSuccess, bad, true), Label);
    }

    /// client-go `ItemExponentialFailureRateLimiter.When`: 5 ms · 2ⁿ, capped at 1,000 s.
    #[test]
    fn item_backoff_doubles_to_the_cap() {
        assert_eq!(item_backoff(0), SimTime::from_millis(5));
        assert_eq!(item_backoff(1), SimTime::from_millis(10));
        assert_eq!(item_backoff(10), SimTime::from_millis(5120));
        assert_eq!(item_backoff(17), SimTime::from_millis(655_360));
        assert_eq!(item_backoff(18), SimTime::from_secs(1000));
        assert_eq!(item_backoff(255), SimTime::from_secs(1000));
    }

    /// The per-pod byte of the queue: client-go `ItemExponentialFailureRateLimiter.When`
    /// counts adds since `Forget` (saturating here at 127, past the backoff's cap at 18), and
    /// the action `EnactAnyPodCleanup` queued (`pod/cleanup.go`) lives beside it: setting one
    /// never changes the other.
    #[test]
    fn a_pods_failure_count_and_action_share_a_byte_without_mixing() {
        let mut q = CleanupQueue::new(1);
        q.set_deletes(3, true);
        let counts: Vec<u8> = (0..200).map(|_| q.count_failure(3)).collect();
        assert_eq!(counts[..3], [0, 1, 2]);
        assert_eq!(counts[199], FAILURES);
        assert_eq!(item_backoff(counts[199]), item_backoff(199));
        assert!(q.deletes(3), "counting kept the delete");
        q.set_deletes(3, false);
        assert!(!q.deletes(3));
        assert_eq!(q.count_failure(3), FAILURES, "the label kept the count");
        q.set_deletes(3, true);
        q.forget(3);
        assert!(q.deletes(3), "Forget kept the action");
        assert_eq!(q.count_failure(3), 0, "Forget cleared the count");
        assert!(!q.deletes(2) && !q.deletes(1_000), "other pods have none");
    }
}
