//! Node autoscaling, one component: cluster-autoscaler (scan every `scan_interval`, one node
//! group grown per scan by the configured expander, empty-node scale-down after
//! `scale_down_unneeded_time` and `scale_down_delay_after_add`) or a Karpenter-like
//! provisioner (batching window, cheapest fitting pool for every pending pod, consolidation of
//! empty nodes), and the provisioning delay of new nodes.
//!
//! Reads pending pods through `Scheduler::unschedulable`; new nodes become Ready through
//! [`ScalerEvent::NodeReady`]. Reports nodes added/removed and each pool's peak size.
//! Simplified: only empty nodes are removed (Argo pods have no controller, so neither CA nor
//! Karpenter drains them); max-node-provision-time failures are not modelled.

use super::scheduler::Scheduler;
use super::{Ctx, Event};
use crate::engine::SimTime;
use crate::kube::nodes::NodeState;
use crate::scenario::defaults as d;
use crate::scenario::schema::{AutoscalerMode, Expander};
use crate::units::parse_duration;
use rand::RngExt;

/// Events of the autoscaler.
#[derive(Debug, Clone, Copy)]
pub enum ScalerEvent {
    /// cluster-autoscaler scan (also Karpenter's empty-node consolidation).
    Scan,
    /// A Karpenter batching window may have closed (it fires at the deadline the window had
    /// when it was set: it closes the window if that is still the deadline).
    KarpenterBatch,
    /// A requested node becomes Ready.
    NodeReady {
        /// Node.
        node: u32,
    },
}

impl From<ScalerEvent> for Event {
    fn from(e: ScalerEvent) -> Event {
        Event::Scaler(e)
    }
}

/// Autoscaler state and metrics.
pub(super) struct Autoscaler {
    karpenter_open: Option<SimTime>,
    karpenter_deadline: Option<SimTime>,
    last_scale_up: Option<SimTime>,
    nodes_added: u64,
    nodes_removed: u64,
    pool_peak: Vec<u32>,
}

impl Autoscaler {
    /// The autoscaler at time zero (pools at their initial sizes).
    pub(super) fn new(cx: &Ctx<'_>) -> Self {
        Autoscaler {
            karpenter_open: None,
            karpenter_deadline: None,
            last_scale_up: None,
            nodes_added: 0,
            nodes_removed: 0,
            pool_peak: cx.sc.pools.iter().map(|p| p.nodes).collect(),
        }
    }

    /// Start the scan loop (when an autoscaler is configured).
    pub(super) fn start(&self, cx: &mut Ctx<'_>) {
        if cx.sc.file.autoscaler.mode != AutoscalerMode::None {
            cx.q.schedule_at(SimTime::ZERO, ScalerEvent::Scan.into());
        }
    }

    /// Handle a scan or a batch window; `NodeReady` is routed by the world.
    pub(super) fn handle(&mut self, cx: &mut Ctx<'_>, sched: &Scheduler, ev: ScalerEvent) {
        match ev {
            ScalerEvent::Scan => self.on_scan(cx, sched),
            ScalerEvent::KarpenterBatch => {
                // It fires at its deadline: the window closes if that is still the deadline.
                if self.karpenter_deadline == Some(cx.now()) {
                    self.karpenter_deadline = None;
                    self.karpenter_open = None;
                    self.scale_up(cx, sched, true);
                }
            }
            ScalerEvent::NodeReady { .. } => unreachable!("routed by the world"),
        }
    }

    /// A pod became unschedulable: Karpenter opens or extends its batching window.
    pub(super) fn on_unschedulable(&mut self, cx: &mut Ctx<'_>) {
        if cx.sc.file.autoscaler.mode == AutoscalerMode::Karpenter {
            self.karpenter_batch(cx);
        }
    }

    /// (nodes added, nodes removed by scale-down, peak size per pool).
    pub(super) fn report(&self) -> (u64, u64, &[u32]) {
        (self.nodes_added, self.nodes_removed, &self.pool_peak)
    }

    fn provisioning_delay(&self, cx: &mut Ctx<'_>, pool: usize) -> SimTime {
        let karpenter = cx.sc.file.autoscaler.mode == AutoscalerMode::Karpenter;
        match &cx.sc.pools[pool].provisioning_delay {
            Some(dist) => dist.sample(&mut *cx.rng_cluster),
            None => {
                let (m, s) = if karpenter {
                    (
                        d::KARPENTER_PROVISIONING_MEAN,
                        d::KARPENTER_PROVISIONING_STDDEV,
                    )
                } else {
                    (d::CA_PROVISIONING_MEAN, d::CA_PROVISIONING_STDDEV)
                };
                let dist = crate::dist::DurationDist::LogNormal {
                    mean: crate::units::Dur(parse_duration(m).expect("constant")),
                    stddev: crate::units::Dur(parse_duration(s).expect("constant")),
                };
                dist.sample(&mut *cx.rng_cluster)
            }
        }
    }

    /// Karpenter batching: the first pending pod opens a window that closes after
    /// `batch_idle` without new pods, or at `batch_max` after it opened.
    fn karpenter_batch(&mut self, cx: &mut Ctx<'_>) {
        let now = cx.now();
        let a = &cx.sc.file.autoscaler;
        let start = *self.karpenter_open.get_or_insert(now);
        let at = now
            .plus(SimTime(a.batch_idle.0))
            .min(start.plus(SimTime(a.batch_max.0)));
        // A deadline already past fires now (the queue clamps it): the timer identifies its
        // window by its firing time.
        let at = at.max(now);
        self.karpenter_deadline = Some(at);
        cx.q.schedule_at(at, ScalerEvent::KarpenterBatch.into());
    }

    fn on_scan(&mut self, cx: &mut Ctx<'_>, sched: &Scheduler) {
        let now = cx.now();
        let a = &cx.sc.file.autoscaler;
        if a.mode == AutoscalerMode::ClusterAutoscaler {
            self.scale_up(cx, sched, false);
        }
        // Scale down empty nodes only: Argo pods are not backed by a controller CA or
        // Karpenter would recreate them elsewhere, so non-empty nodes are not drained here.
        let (unneeded, after_add) = match a.mode {
            AutoscalerMode::Karpenter => (SimTime(a.consolidate_after.0), SimTime::ZERO),
            _ => (
                SimTime(a.scale_down_unneeded_time.0),
                SimTime(a.scale_down_delay_after_add.0),
            ),
        };
        let recently_added = self.last_scale_up.is_some_and(|t| now < t.plus(after_add));
        if !recently_added {
            let mut removed = 0;
            for n in 0..cx.nodes.nodes.len() {
                let x = &cx.nodes.nodes[n];
                if removed < 10
                    && x.state == NodeState::Ready
                    && x.pods == 0
                    && x.empty_since.is_some_and(|t| now.since(t) >= unneeded)
                    && cx.nodes.pool_size(x.pool) > cx.sc.pools[x.pool].min_nodes
                {
                    cx.nodes.remove(n, now);
                    self.nodes_removed += 1;
                    removed += 1;
                }
            }
        }
        // Keep scanning after the work is done until the pools are back at their minimum:
        // those idle node-minutes are billed.
        let removable =
            (0..cx.sc.pools.len()).any(|p| cx.nodes.pool_size(p) > cx.sc.pools[p].min_nodes);
        if cx.work_left() || removable {
            cx.q.schedule_in(SimTime(a.scan_interval.0), ScalerEvent::Scan.into());
        }
    }

    /// Grow node groups for the Unschedulable pods that upcoming nodes will not absorb.
    /// cluster-autoscaler grows one group per scan, chosen by its expander; Karpenter
    /// (`all_groups`) keeps launching the cheapest fitting pool until every pod is covered.
    fn scale_up(&mut self, cx: &mut Ctx<'_>, sched: &Scheduler, all_groups: bool) {
        let now = cx.now();
        let sc = cx.sc;
        let max_per = sc.file.autoscaler.max_nodes_per_scaleup;
        let room_in = |cx: &Ctx<'_>, pi: usize| {
            (sc.pools[pi].max_nodes)
                .saturating_sub(cx.nodes.pool_size(pi))
                .min(max_per)
        };
        // Every pool at its max_nodes (most scans of a long run at its limit): no option can
        // come out of the loop below, so skip listing and packing the pending pods.
        if (0..sc.pools.len()).all(|pi| room_in(cx, pi) == 0) {
            return;
        }
        // (pod, cpu, memory, allowed pools) of each pending pod, from the scheduler's shapes.
        let mut pending: Vec<(usize, u64, u64, &[bool])> = sched
            .unschedulable(sc)
            .filter(|&(p, ..)| !cx.pods[p].killed)
            .collect();
        if pending.is_empty() {
            return;
        }
        // Capacity of nodes already provisioning absorbs pods first.
        let mut upcoming: Vec<(u64, u64, u32, usize)> = cx
            .nodes
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Provisioning)
            .map(|n| (n.alloc_cpu, n.alloc_mem, n.max_pods, n.pool))
            .collect();
        pending.retain(|&(_, cpu, mem, allowed)| {
            if upcoming.is_empty() {
                return true;
            }
            match upcoming
                .iter_mut()
                .find(|u| u.0 >= cpu && u.1 >= mem && u.2 > 0 && allowed[u.3])
            {
                Some(u) => {
                    u.0 -= cpu;
                    u.1 -= mem;
                    u.2 -= 1;
                    false
                }
                None => true,
            }
        });
        loop {
            if pending.is_empty() {
                return;
            }
            // Option per pool: (nodes needed, pods helped, idle cpu fraction, cost/h).
            let mut options = Vec::new();
            for (pi, pool) in sc.pools.iter().enumerate() {
                let room = room_in(cx, pi);
                if room == 0 {
                    continue;
                }
                let mut bins: Vec<(u64, u64, u32)> = Vec::new();
                let mut helped = Vec::new();
                for &(p, cpu, mem, allowed) in &pending {
                    if !allowed[pi] || cpu > pool.alloc_cpu || mem > pool.alloc_mem {
                        continue;
                    }
                    let slot = bins
                        .iter()
                        .position(|b| b.0 >= cpu && b.1 >= mem && b.2 > 0);
                    let idx = match slot {
                        Some(i) => i,
                        None if (bins.len() as u32) < room => {
                            bins.push((pool.alloc_cpu, pool.alloc_mem, pool.max_pods));
                            bins.len() - 1
                        }
                        None => continue,
                    };
                    let b = &mut bins[idx];
                    b.0 -= cpu;
                    b.1 -= mem;
                    b.2 -= 1;
                    helped.push(p);
                }
                if bins.is_empty() {
                    continue;
                }
                let idle: u64 = bins.iter().map(|b| b.0).sum();
                let waste = idle as f64 / (pool.alloc_cpu.max(1) * bins.len() as u64) as f64;
                let cost = bins.len() as f64 * pool.price_per_hour;
                options.push((pi, bins.len() as u32, helped, waste, cost));
            }
            if options.is_empty() {
                return;
            }
            let expander = if all_groups {
                Expander::Price
            } else {
                sc.file.autoscaler.expander()
            };
            let pick = match expander {
                Expander::LeastWaste => {
                    (0..options.len()).min_by(|&a, &b| options[a].3.total_cmp(&options[b].3))
                }
                Expander::Price => (0..options.len()).min_by(|&a, &b| {
                    (options[a].4 / options[a].2.len() as f64)
                        .total_cmp(&(options[b].4 / options[b].2.len() as f64))
                }),
                Expander::MostPods => {
                    (0..options.len()).max_by_key(|&i| (options[i].2.len(), usize::MAX - i))
                }
                Expander::Random => Some(cx.rng_cluster.random_range(0..options.len())),
            }
            .expect("options is not empty");
            let (pool, count, helped, _, _) = options.swap_remove(pick);
            for _ in 0..count {
                let n = cx.nodes.add(pool, &sc.pools[pool], sc.images.len(), now);
                let delay = self.provisioning_delay(cx, pool);
                cx.q.schedule_in(delay, ScalerEvent::NodeReady { node: n as u32 }.into());
                self.nodes_added += 1;
            }
            let size = cx.nodes.pool_size(pool);
            self.pool_peak[pool] = self.pool_peak[pool].max(size);
            self.last_scale_up = Some(now);
            if !all_groups {
                return;
            }
            pending.retain(|x| !helped.contains(&x.0));
        }
    }
}
