//! The time series: every `sample_interval` each component contributes its gauges, named
//! after the Argo v3.6 (or Kubernetes) metric they mirror where one exists.

use super::pods::{R_CONTAINER_CREATING, R_ERR_IMAGE_PULL, R_IMAGE_PULL_BACKOFF};
use super::pods::{R_POD_INITIALIZING, R_UNSCHEDULABLE};
use super::{Event, World};
use crate::engine::SimTime;
use crate::kube::nodes::NodeState;
use crate::metrics::{Column, TimeSeries};

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

/// An empty series with every column.
pub(super) fn new_series(interval_s: f64) -> TimeSeries {
    let mut ts = TimeSeries {
        interval_s,
        // Sized once: the index's doubling would leave 15 of 32 entries empty for the run.
        series: indexmap::IndexMap::with_capacity(SERIES.len()),
        ..Default::default()
    };
    for name in SERIES {
        ts.series.insert(name.into(), Column::default());
    }
    ts
}

impl World<'_> {
    pub(super) fn on_sample(&mut self) {
        let cx = &mut self.cx;
        let now = cx.now();
        cx.note_etcd_peak();
        self.ts.t_s.push(now.as_secs_f64());
        let ready = || {
            cx.nodes
                .nodes
                .iter()
                .filter(|n| n.state == NodeState::Ready)
        };
        let alloc: u64 = ready().map(|n| n.alloc_cpu).sum();
        let used: u64 = ready().map(|n| n.used_cpu).sum();
        let c = super::controller::fleet::sample(&self.ctrls, cx);
        let p = &cx.pods;
        let values = [
            c.queue_depth as f64,
            c.busy_workers as f64,
            f64::from(c.running_workflows),
            p.pending_now() as f64,
            p.running() as f64,
            p.pending_with(R_UNSCHEDULABLE) as f64,
            p.pending_with(R_CONTAINER_CREATING) as f64,
            p.pending_with(R_POD_INITIALIZING) as f64,
            c.cleanup_depth as f64,
            f64::from(cx.api.inflight(&cx.q)),
            f64::from(cx.api.queued(&cx.q)),
            c.memory as f64,
            cx.objects.wfs_in_cluster as f64,
            cx.etcd_live_bytes() as f64,
            cx.nodes
                .nodes
                .iter()
                .filter(|n| n.state != NodeState::Gone)
                .count() as f64,
            p.pending_with(R_ERR_IMAGE_PULL) as f64 + p.pending_with(R_IMAGE_PULL_BACKOFF) as f64,
            if alloc > 0 {
                used as f64 / alloc as f64
            } else {
                0.0
            },
        ];
        for (col, v) in self.ts.series.values_mut().zip(values) {
            col.push(v);
        }
        let cleanup_left = self.ctrls.iter().any(|c| c.cleanup_state().0 > 0);
        let cx = &mut self.cx;
        if cx.work_left() || cleanup_left {
            cx.q.schedule_in(
                SimTime(cx.sc.file.experiment.sample_interval.0),
                Event::Sample,
            );
        }
    }
}
