//! Spot preemption, one component: a Poisson preemption clock per spot node (rate per
//! node-hour), the notice (the node is cordoned), and the stop. With graceful node shutdown
//! the node's pods end Failed ("Pod was terminated in response to imminent node shutdown.");
//! without, they vanish and PodGC removes them after its 40 s quarantine, which Argo reports as
//! Error "pod deleted". Argo's retryStrategy then decides recovery (in the controller).
//!
//! Reports preemptions, pods killed, and the nodes they removed. Simplified: the preemption
//! rate is constant over the run.

use super::kubelet::Kubelet;
use super::pods::PodState;
use super::scheduler::Scheduler;
use super::{Ctx, Event};
use crate::engine::SimTime;
use crate::kube::nodes::NodeState;
use crate::scenario::schema::SpotShutdown;
use rand_distr::{Distribution, Exp};

/// Events of spot preemption.
#[derive(Debug, Clone, Copy)]
pub enum SpotEvent {
    /// A spot node receives its preemption notice.
    Notice {
        /// Node.
        node: u32,
    },
    /// A preempted spot node stops.
    Gone {
        /// Node.
        node: u32,
    },
    /// A pod on a vanished node is removed by PodGC (Argo then sees "pod deleted").
    PodGone {
        /// Pod.
        pod: u32,
    },
}

impl From<SpotEvent> for Event {
    fn from(e: SpotEvent) -> Event {
        Event::Spot(e)
    }
}

/// Spot metrics.
#[derive(Default)]
pub(super) struct Spot {
    preemptions: u64,
    pods_killed: u64,
    nodes_removed: u64,
}

impl Spot {
    /// Draw the preemption time of a new (or initial) node of a spot pool.
    pub(super) fn schedule(&mut self, cx: &mut Ctx<'_>, node: usize) {
        let rate = cx.sc.pools[cx.nodes.nodes[node].pool].spot_rate_per_hour;
        if rate > 0.0 {
            let hours: f64 = Exp::new(rate)
                .map(|e| e.sample(&mut *cx.rng_cluster))
                .unwrap_or(f64::INFINITY);
            let t = SimTime::from_secs_f64_ceil(hours * 3600.0);
            if t < SimTime(cx.sc.file.experiment.horizon.0) {
                cx.q.schedule_in(t, SpotEvent::Notice { node: node as u32 }.into());
            }
        }
    }

    /// Spot notice: the node is cordoned; it stops after the notice period.
    pub(super) fn on_notice(&mut self, cx: &mut Ctx<'_>, node: usize) {
        if matches!(cx.nodes.nodes[node].state, NodeState::Gone) {
            return;
        }
        self.preemptions += 1;
        cx.nodes.cordon(node);
        let notice = SimTime(cx.sc.pools[cx.nodes.nodes[node].pool].spot_notice);
        cx.q.schedule_in(notice, SpotEvent::Gone { node: node as u32 }.into());
    }

    /// The preempted VM stops: its pods are killed (see the module doc), the node is removed
    /// and unschedulable pods are reconsidered.
    pub(super) fn on_gone(
        &mut self,
        cx: &mut Ctx<'_>,
        kubelet: &mut Kubelet,
        sched: &mut Scheduler,
        node: usize,
    ) {
        let now = cx.now();
        let pool = cx.nodes.nodes[node].pool;
        let mode = cx.sc.pools[pool].spot_shutdown;
        // The node's pods still there, in pod order (the pods ever bound to it, not every
        // pod of the run).
        let mut victims: Vec<usize> = (cx.pods.bound_to(node).iter())
            .map(|&p| p as usize)
            .filter(|&p| {
                let x = &cx.pods[p];
                x.node() == Some(node)
                    && !x.killed
                    && matches!(x.state, PodState::Pending(_) | PodState::Running)
            })
            .collect();
        victims.sort_unstable();
        for p in victims {
            self.pods_killed += 1;
            let (cpu, mem) = (cx.pods[p].cpu, cx.pods[p].mem);
            cx.nodes.release(now, node, cpu, mem);
            if cx.pods[p].state == PodState::Running {
                cx.pods.stop_running(p);
            } else {
                cx.pods.end_pending(now, p);
            }
            cx.last_pod_exit = cx.last_pod_exit.max(now);
            cx.pods.times_mut(p).exit = now;
            let x = &mut cx.pods[p];
            x.killed = true;
            x.state = PodState::Failed;
            x.task_result_done = true;
            match mode {
                SpotShutdown::Graceful => {
                    x.fail_msg = super::pods::FAIL_SHUTDOWN;
                    kubelet.status(cx, p);
                }
                SpotShutdown::PodDeleted => {
                    x.fail_error = true;
                    x.fail_msg = super::pods::FAIL_DELETED;
                    cx.pods.set_deleted(p);
                    cx.q.schedule_in(
                        SimTime::from_secs(40),
                        SpotEvent::PodGone { pod: p as u32 }.into(),
                    );
                }
            }
        }
        cx.nodes.remove(node, now);
        self.nodes_removed += 1;
        sched.requeue_unschedulable(cx);
    }

    /// (preemptions, pods killed, nodes removed).
    pub(super) fn report(&self) -> (u64, u64, u64) {
        (self.preemptions, self.pods_killed, self.nodes_removed)
    }
}
