//! The run's [`Trace`] (per-pod stage times and node lifetimes) for the timeline figures,
//! built from the pods and nodes after the run when asked for.

use super::World;
use super::pods::PodState;
use crate::argo::workflow::WfPhase;
use crate::engine::SimTime;
use crate::metrics::{NodeSpan, PodSpan, Trace, WorkflowSpan};

fn opt(t: SimTime) -> Option<f64> {
    (t > SimTime::ZERO).then(|| t.as_secs_f64())
}

impl World<'_> {
    /// The trace of the run so far, open spans ending at `end`.
    #[inline(never)]
    pub(super) fn trace(&self, seed: u64, end: SimTime) -> Trace {
        let cx = &self.cx;
        let sc = cx.sc;
        let pods = cx
            .pods
            .iter_with_times()
            .map(|(p, t)| {
                let spec = &sc.workflows[cx.wfs[p.wf()].spec()];
                let main_end = if p.main_start > SimTime::ZERO {
                    let planned = p.main_start.plus(p.run_time);
                    // A killed pod's main stops at the kill.
                    Some(if p.killed && t.exit > SimTime::ZERO {
                        planned.min(t.exit)
                    } else {
                        planned.min(end)
                    })
                } else {
                    None
                };
                PodSpan {
                    workflow: p.wf,
                    task: spec.tasks[p.task as usize].name.clone(),
                    task_index: p.task,
                    attempt: p.attempt,
                    node: p.node,
                    cpu: p.cpu,
                    issued_s: t.issued.min(p.created_at).as_secs_f64(),
                    created_s: p.created_at.as_secs_f64(),
                    bound_s: opt(t.bind_issued),
                    scheduled_s: opt(t.bound),
                    init_s: opt(t.init_start),
                    init_end_s: opt(t.init_end),
                    main_s: opt(p.main_start),
                    main_end_s: main_end.map(SimTime::as_secs_f64),
                    exit_s: opt(t.exit),
                    phase: match p.state {
                        PodState::Succeeded => "Succeeded",
                        PodState::Failed => "Failed",
                        PodState::Running => "Running",
                        PodState::Pending(_) => "Pending",
                    },
                    message: if p.state == PodState::Failed {
                        p.fail_message()
                    } else {
                        ""
                    },
                }
            })
            .collect();
        let nodes = cx
            .nodes
            .nodes
            .iter()
            .map(|n| NodeSpan {
                pool: sc.pools[n.pool].name.clone(),
                alloc_cpu: n.alloc_cpu,
                created_s: n.created_at.as_secs_f64(),
                ready_s: n.ready_at.map(SimTime::as_secs_f64),
                gone_s: n.gone_at.map(SimTime::as_secs_f64),
            })
            .collect();
        Trace {
            scenario: sc.file.name.clone(),
            seed,
            end_s: end.as_secs_f64(),
            workflows: cx
                .wfs
                .iter()
                .enumerate()
                .map(|(i, w)| WorkflowSpan {
                    name: crate::argo::workflow::WorkflowRun::name(&sc.workflows[w.spec()], i),
                    spec: w.spec() as u32,
                    namespace: sc.namespaces[w.ns()].clone(),
                    submitted_s: w.submitted_at.as_secs_f64(),
                    created_s: w.created_at.get().map(SimTime::as_secs_f64),
                    started_s: w.started_at.get().map(SimTime::as_secs_f64),
                    finished_s: w.finished_at.get().map(SimTime::as_secs_f64),
                    phase: match w.phase {
                        WfPhase::Submitting | WfPhase::Pending => "Pending",
                        WfPhase::Running => "Running",
                        WfPhase::Succeeded => "Succeeded",
                        WfPhase::Failed => "Failed",
                        WfPhase::Error => "Error",
                    }
                    .into(),
                    message: w.message.to_string(),
                })
                .collect(),
            pods,
            nodes,
        }
    }
}
