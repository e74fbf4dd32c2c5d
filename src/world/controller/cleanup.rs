//! The `pod_cleanup_queue` (argo-facts §11.4): after a workflow update, completed pods are
//! labelled `workflows.argoproj.io/completed` (a merge PATCH) or deleted per podGC, after
//! `podGCDeleteDelayDuration`, through the queue's shared 10/s burst-100 limiter and
//! `--pod-cleanup-workers` workers on the controller's kube clientset.
//!
//! Reports: cleanups done, the deepest backlog past the limiter, enqueue-to-done latency.
//! Simplified: one enqueue per completed pod (no re-add after every update).

use super::super::Ctx;
use super::super::api::{Origin, Status};
use super::{Controller, CtrlEvent, SMALL_BODY_BYTES};
use crate::engine::SimTime;
use crate::kube::apiserver::Verb;
use crate::kube::ratelimit::TokenBucket;
use crate::metrics::Stats;
use crate::scenario::defaults as d;
use std::collections::VecDeque;

/// The queue, its limiter, idle workers and metrics.
pub(super) struct CleanupQueue {
    bucket: TokenBucket,
    ready: VecDeque<usize>,
    idle: u32,
    done: u64,
    latency: Vec<f64>,
    max_depth: u64,
}

impl CleanupQueue {
    pub(super) fn new(workers: u32) -> Self {
        CleanupQueue {
            bucket: TokenBucket::new(d::CLEANUP_QUEUE_QPS, d::CLEANUP_QUEUE_BURST),
            ready: VecDeque::new(),
            idle: workers,
            done: 0,
            latency: Vec::new(),
            max_depth: 0,
        }
    }

    /// `queuePodForCleanup`: label the pod completed, or delete it after
    /// `podGCDeleteDelayDuration`; both pass the queue's shared 10/s burst-100 limiter.
    pub(super) fn queue(&mut self, cx: &mut Ctx<'_>, pod: usize, delete: bool, now: SimTime) {
        let p = &mut cx.pods[pod];
        if p.deleted || (p.cleanup_delete && delete) {
            return;
        }
        p.cleanup_enqueued = now;
        p.cleanup_delete = delete;
        let gc_delay = if delete {
            SimTime(cx.sc.file.controller.pod_gc_delete_delay.0)
        } else {
            SimTime::ZERO
        };
        let delay = self.bucket.reserve(now.plus(gc_delay)).plus(gc_delay);
        cx.q.schedule_in(delay, CtrlEvent::CleanupReady { pod }.into());
    }

    /// An item passed the limiter: it waits for a cleanup worker.
    pub(super) fn on_ready(&mut self, pod: usize) {
        self.ready.push_back(pod);
        self.max_depth = self.max_depth.max(self.ready.len() as u64);
    }

    /// Items waiting for a worker now.
    pub(super) fn depth(&self) -> usize {
        self.ready.len()
    }

    /// (cleanups done, deepest backlog, latency statistics).
    pub(super) fn report(&mut self) -> (u64, u64, Stats) {
        (self.done, self.max_depth, Stats::of(&mut self.latency))
    }
}

impl Controller {
    /// Idle cleanup workers take ready items.
    pub(super) fn cleanup_start(&mut self, cx: &mut Ctx<'_>) {
        let c = &mut self.cleanup;
        while c.idle > 0 {
            let Some(pod) = c.ready.pop_front() else {
                return;
            };
            c.idle -= 1;
            // labelPodCompleted is a merge PATCH of the completed label.
            let verb = if cx.pods[pod].cleanup_delete {
                Verb::Delete
            } else {
                Verb::Patch
            };
            cx.issue(
                self.kube_client,
                verb,
                "pods",
                SMALL_BODY_BYTES,
                Origin::Cleanup { pod },
            );
        }
    }

    /// A cleanup PATCH/DELETE completed: the pod leaves the informer (the completed label is
    /// filtered out), a deleted pod leaves etcd.
    pub(super) fn on_cleanup_done(&mut self, cx: &mut Ctx<'_>, pod: usize, status: Status) {
        let now = cx.now();
        self.cleanup.done += 1;
        let p = &mut cx.pods[pod];
        if status == Status::Ok && !p.left_informer {
            p.left_informer = true;
            self.process.informer_pods -= 1;
        }
        if p.cleanup_delete && status == Status::Ok && !p.deleted {
            p.deleted = true;
            self.m.pods_deleted += 1;
            cx.pods.deleted_from_cluster();
        }
        let lat = now.since(cx.pods[pod].cleanup_enqueued).as_secs_f64();
        self.cleanup.latency.push(lat);
        self.cleanup.idle += 1;
        self.cleanup_start(cx);
    }
}
