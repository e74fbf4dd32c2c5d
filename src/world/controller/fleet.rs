//! The controllers of a run taken together: the report's `controller` section (one
//! controller's own, or all of them summed with their latency samples pooled) and, with
//! several, a row per controller (`controllers`: what it managed, its makespans, its
//! client-side throttling, its own counters), plus the time-series sample summed over them.

use super::{Controller, CtrlSample};
use crate::engine::SimTime;
use crate::metrics::{ControllerReport, ControllerRow, Durations, Stats, ThrottleReport};
use crate::world::Ctx;

impl Controller {
    /// Its latency samples: `workflow_queue` waits, operation durations, pod cleanup.
    fn samples(&self) -> [&Durations; 3] {
        [
            &self.m.queue_latency,
            &self.m.op_durations,
            self.cleanup.latency_samples(),
        ]
    }
}

/// The `controller` section and the per-controller rows (empty with one controller) at
/// `end`; `throttling` is the API's throttle table (rows named `<controller> (<clientset>)`).
pub(in crate::world) fn report(
    ctrls: &mut [Controller],
    cx: &Ctx<'_>,
    end: SimTime,
    throttling: &[ThrottleReport],
) -> (ControllerReport, Vec<ControllerRow>) {
    if let [one] = ctrls {
        return (one.report(cx, end), Vec::new());
    }
    let mut pooled: [Durations; 3] = Default::default();
    for c in ctrls.iter() {
        for (p, s) in pooled.iter_mut().zip(c.samples()) {
            p.extend_from(s);
        }
    }
    let mut all = ControllerReport::default();
    let mut rows = Vec::with_capacity(ctrls.len());
    for c in ctrls.iter_mut() {
        let spec = &cx.sc.controllers[c.id];
        let r = c.report(cx, end);
        all.absorb(&r);
        let (mut workflows, mut succeeded, mut makespans) = (0, 0, Vec::new());
        for w in cx.wfs.iter().filter(|w| w.ctrl() == c.id) {
            workflows += 1;
            succeeded += u64::from(w.phase == crate::argo::workflow::WfPhase::Succeeded);
            if let Some(f) = w.finished_at.get() {
                makespans.push(f.since(w.submitted_at).as_secs_f64());
            }
        }
        let prefix = format!("{} (", spec.name);
        rows.push(ControllerRow {
            name: spec.name.clone(),
            namespace: spec.namespace.clone(),
            instance_id: spec.instance_id.clone(),
            workflows,
            succeeded,
            makespan_s: Stats::of(&mut makespans),
            throttle_wait_s: (throttling.iter())
                .filter(|t| t.client.starts_with(&prefix))
                .map(|t| t.total_wait_s)
                .sum(),
            report: r,
        });
    }
    let [q, op, cl] = &mut pooled;
    all.queue_latency_s = q.stats();
    all.operation_duration_s = op.stats();
    all.pod_cleanup.latency_s = cl.stats();
    (all, rows)
}

/// The time-series sample of all controllers: depths, busy workers, running workflows and
/// heap summed.
pub(in crate::world) fn sample(ctrls: &[Controller], cx: &Ctx<'_>) -> CtrlSample {
    let mut s = CtrlSample {
        queue_depth: 0,
        busy_workers: 0,
        running_workflows: 0,
        cleanup_depth: 0,
        memory: 0,
    };
    for c in ctrls {
        let x = c.sample(cx);
        s.queue_depth += x.queue_depth;
        s.busy_workers += x.busy_workers;
        s.running_workflows += x.running_workflows;
        s.cleanup_depth += x.cleanup_depth;
        s.memory += x.memory;
    }
    s
}

/// Totals over the controllers: offload-database round trips, updates refused for size,
/// completion writes abandoned, retries started.
pub(in crate::world) fn totals(ctrls: &[Controller]) -> [u64; 4] {
    let mut t = [0; 4];
    for c in ctrls {
        let (refused, panics) = c.size_failures();
        for (a, b) in t
            .iter_mut()
            .zip([c.offload_round_trips(), refused, panics, c.retries()])
        {
            *a += b;
        }
    }
    t
}
