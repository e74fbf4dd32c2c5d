//! Node inventory and kube-scheduler's filter and score: nodes come and go (autoscaling,
//! spot preemption) with a lifecycle (provisioning → ready → cordoned → gone) that billing
//! follows; the filter checks pool affinity (nodeSelector, arch, tolerations of taints, given
//! per pod as the set of allowed pools), CPU, memory and pod count; the score is least- or
//! most-allocated; and each node keeps the image cache the kubelet pulls into.
//!
//! The filter pass visits only the nodes that fit, through a free-capacity index
//! (`kube::fitindex`), and gives what a scan of every node in rotation order gives (tested).
//!
//! Simplified: ties between equal scores go to the first node of the pass (the real scheduler
//! picks at random among them); terminated pods release their requests at once; parallel
//! image pulls do not share bandwidth.

use crate::engine::SimTime;
use crate::kube::fitindex::{FitIndex, Room, Shape};
use crate::kube::passsum::{self, PassSums};
use crate::kube::ratelimit::TokenBucket;
use crate::scenario::Pool;
use crate::scenario::schema::Scoring;

/// One node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Index of its pool.
    pub pool: usize,
    /// Lifecycle state.
    pub state: NodeState,
    /// VM requested (billing starts).
    pub created_at: SimTime,
    /// Became Ready (the initial nodes at time zero).
    pub ready_at: Option<SimTime>,
    /// Removed (billing stops).
    pub gone_at: Option<SimTime>,
    /// Since when the node has had no pods (scale-down candidate).
    pub empty_since: Option<SimTime>,
    /// Allocatable CPU, millicores.
    pub alloc_cpu: u64,
    /// Allocatable memory, bytes.
    pub alloc_mem: u64,
    /// maxPods.
    pub max_pods: u32,
    /// Requested CPU of pods bound here.
    pub used_cpu: u64,
    /// Requested memory of pods bound here.
    pub used_mem: u64,
    /// Pods bound here and not terminated.
    pub pods: u32,
    /// Per image: when it is (or will be) present on this node.
    image_ready: Vec<Option<SimTime>>,
    /// When the serial puller is free.
    pull_free_at: SimTime,
    /// kubelet registryPullQPS / registryBurst (TryAccept: refuses, never waits).
    pub pull_bucket: TokenBucket,
}

/// Lifecycle of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    /// VM requested, not yet Ready.
    Provisioning,
    /// Ready and schedulable.
    Ready,
    /// Unschedulable (spot notice received, or being removed).
    Cordoned,
    /// Deleted.
    Gone,
}

/// Why no node fits a pod, counted per node as the scheduler's message does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FitFailure {
    /// Nodes without enough CPU.
    pub insufficient_cpu: u32,
    /// Nodes without enough memory.
    pub insufficient_memory: u32,
    /// Nodes at maxPods.
    pub too_many_pods: u32,
    /// Nodes whose pool the pod may not use (selector, arch, untolerated taint).
    pub affinity: u32,
    /// Total nodes.
    pub nodes: u32,
}

impl FitFailure {
    /// kube-scheduler's message, e.g. `0/3 nodes are available: 3 Insufficient cpu.`
    pub fn message(&self) -> String {
        let mut parts = Vec::new();
        if self.insufficient_cpu > 0 {
            parts.push(format!("{} Insufficient cpu", self.insufficient_cpu));
        }
        if self.insufficient_memory > 0 {
            parts.push(format!("{} Insufficient memory", self.insufficient_memory));
        }
        if self.too_many_pods > 0 {
            parts.push(format!("{} Too many pods", self.too_many_pods));
        }
        if self.affinity > 0 {
            parts.push(format!(
                "{} node(s) didn't match Pod's node affinity/selector or had untolerated taint",
                self.affinity
            ));
        }
        if parts.is_empty() {
            format!("0/{} nodes are available.", self.nodes)
        } else {
            format!(
                "0/{} nodes are available: {}.",
                self.nodes,
                parts.join(", ")
            )
        }
    }
}

/// Requested-resource integrals of one pool, for utilisation.
#[derive(Debug, Clone, Default)]
pub struct PoolUsage {
    /// Requested CPU now, millicores.
    pub used_cpu: u64,
    /// Requested memory now, bytes.
    pub used_mem: u64,
    /// ∫ requested CPU dt, millicore-seconds.
    pub cpu_integral: f64,
    /// ∫ requested memory dt, byte-seconds.
    pub mem_integral: f64,
    last: SimTime,
}

impl PoolUsage {
    fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.last).as_secs_f64();
        self.cpu_integral += self.used_cpu as f64 * dt;
        self.mem_integral += self.used_mem as f64 * dt;
        self.last = now;
    }
}

/// All nodes of the cluster.
#[derive(Debug, Clone)]
pub struct Nodes {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// Usage per pool.
    pub usage: Vec<PoolUsage>,
    /// Binds that left a node above its allocatable or maxPods (an invariant: always 0).
    pub overcommitted_binds: u64,
    pull_qps: f64,
    pull_burst: u32,
    scoring: Scoring,
    /// Ready nodes in index order: the scheduler's node snapshot.
    ready: Vec<usize>,
    /// kube-scheduler's `nextStartNodeIndex`: where the next filter pass starts.
    next_start: usize,
    /// Free room of the Ready nodes by position in `ready` (the filter's index).
    index: FitIndex,
    /// Trial takes of [`Nodes::trial_take`] to undo: (position, room before).
    trial: Vec<(usize, Room)>,
    /// Filter-pass summaries of the pod shapes scheduled most.
    sums: PassSums,
    /// Per pool, its nodes not deleted (the autoscaler asks every scan; the node list keeps
    /// deleted nodes for billing).
    live: Vec<u32>,
}

/// kube-scheduler's `numFeasibleNodesToFind` with the default `percentageOfNodesToScore` (0,
/// adaptive): every node below 100 nodes, else `50 - nodes/125` percent of them (at least 5
/// %), and never fewer than 100 (`pkg/scheduler/schedule_one.go`, `minFeasibleNodesToFind`,
/// `minFeasibleNodesPercentageToFind`).
pub fn feasible_nodes_to_find(nodes: usize) -> usize {
    if nodes < 100 {
        return nodes;
    }
    let pct = (50 - (nodes / 125) as i64).max(5) as usize;
    (nodes * pct / 100).max(100)
}

impl Nodes {
    /// The pools' initial nodes, Ready at time zero.
    pub fn new(
        pools: &[Pool],
        images: usize,
        scoring: Scoring,
        pull_qps: f64,
        pull_burst: u32,
    ) -> Self {
        let mut n = Nodes {
            nodes: Vec::new(),
            usage: vec![PoolUsage::default(); pools.len()],
            overcommitted_binds: 0,
            pull_qps,
            pull_burst,
            scoring,
            ready: Vec::new(),
            next_start: 0,
            index: FitIndex::default(),
            trial: Vec::new(),
            sums: PassSums::new(
                scoring,
                pools.iter().map(|p| (p.alloc_cpu, p.alloc_mem)).collect(),
            ),
            live: vec![0; pools.len()],
        };
        for (pi, p) in pools.iter().enumerate() {
            for _ in 0..p.nodes {
                let i = n.add(pi, p, images, SimTime::ZERO);
                let x = &mut n.nodes[i];
                x.state = NodeState::Ready;
                x.ready_at = Some(SimTime::ZERO);
                n.ready.push(i);
            }
        }
        n.rebuild_index();
        n
    }

    /// Request a new node of pool `pool` (Provisioning until [`Nodes::set_ready`]).
    pub fn add(&mut self, pool: usize, p: &Pool, images: usize, now: SimTime) -> usize {
        let mut image_ready = vec![None; images];
        for &i in &p.prepulled {
            if let Some(slot) = image_ready.get_mut(i) {
                *slot = Some(SimTime::ZERO);
            }
        }
        self.nodes.push(Node {
            pool,
            state: NodeState::Provisioning,
            created_at: now,
            ready_at: None,
            gone_at: None,
            empty_since: Some(now),
            alloc_cpu: p.alloc_cpu,
            alloc_mem: p.alloc_mem,
            max_pods: p.max_pods,
            used_cpu: 0,
            used_mem: 0,
            pods: 0,
            image_ready,
            pull_free_at: SimTime::ZERO,
            pull_bucket: TokenBucket::new(self.pull_qps, self.pull_burst),
        });
        if pool >= self.live.len() {
            self.live.resize(pool + 1, 0);
        }
        self.live[pool] += 1;
        self.nodes.len() - 1
    }

    /// The node became Ready.
    pub fn set_ready(&mut self, n: usize, now: SimTime) {
        if self.nodes[n].state == NodeState::Provisioning {
            self.nodes[n].state = NodeState::Ready;
            self.nodes[n].ready_at = Some(now);
            if let Err(at) = self.ready.binary_search(&n) {
                self.ready.insert(at, n);
                self.rebuild_index();
            }
        }
    }

    /// Stop scheduling onto the node.
    pub fn cordon(&mut self, n: usize) {
        if matches!(
            self.nodes[n].state,
            NodeState::Provisioning | NodeState::Ready
        ) {
            self.nodes[n].state = NodeState::Cordoned;
            self.unready(n);
        }
    }

    /// Delete the node (billing stops).
    pub fn remove(&mut self, n: usize, now: SimTime) {
        let x = &mut self.nodes[n];
        if x.state != NodeState::Gone {
            x.state = NodeState::Gone;
            x.gone_at = Some(now);
            self.live[x.pool] -= 1;
            self.unready(n);
        }
    }

    /// Node `n` leaves the scheduler's snapshot.
    fn unready(&mut self, n: usize) {
        if let Ok(at) = self.ready.binary_search(&n) {
            self.ready.remove(at);
            self.rebuild_index();
        }
    }

    /// The free room of node `n`.
    fn room_of(&self, n: usize) -> Room {
        let x = &self.nodes[n];
        Room {
            cpu: x.alloc_cpu.saturating_sub(x.used_cpu),
            mem: x.alloc_mem.saturating_sub(x.used_mem),
            slots: x.max_pods.saturating_sub(x.pods),
            pool: x.pool,
        }
    }

    /// The snapshot changed (a node became Ready or left it): index its rooms anew.
    fn rebuild_index(&mut self) {
        let mut index = std::mem::take(&mut self.index);
        index.build(self.ready.iter().map(|&n| self.room_of(n)));
        self.index = index;
        self.sums.reset(self.ready.len());
    }

    /// Node `n`'s room changed: update its entry if it is in the snapshot.
    fn reindex(&mut self, n: usize) {
        if let Ok(p) = self.ready.binary_search(&n) {
            let r = self.room_of(n);
            self.set_room(p, r);
        }
    }

    /// Set the room at snapshot position `p` in the index and the pass summaries.
    fn set_room(&mut self, p: usize, r: Room) {
        self.index.set(p, r);
        self.sums.set(p, &r);
    }

    /// First fit of a pod of `cpu`, `mem` in `allowed` pools over the Ready nodes in index
    /// order, taking its room for the length of a trial (so the next pod of the trial sees it
    /// gone); false when it fits nowhere. [`Nodes::trial_end`] gives every room back. The
    /// scheduler's queueing hint uses it to decide which unschedulable pods to move back.
    pub fn trial_take(&mut self, cpu: u64, mem: u64, allowed: &[bool]) -> bool {
        let shape = Shape::new(cpu, mem, allowed);
        let Some(p) = self.index.next_fit(0, &shape) else {
            return false;
        };
        let r = self.index.room(p);
        self.trial.push((p, r));
        self.set_room(
            p,
            Room {
                cpu: r.cpu - cpu,
                mem: r.mem - mem,
                slots: r.slots - 1,
                pool: r.pool,
            },
        );
        true
    }

    /// Give back the rooms taken since the trial started.
    pub fn trial_end(&mut self) {
        while let Some((p, r)) = self.trial.pop() {
            self.set_room(p, r);
        }
    }

    /// Nodes of `pool` not yet deleted (including provisioning ones).
    pub fn pool_size(&self, pool: usize) -> u32 {
        debug_assert_eq!(
            self.live.get(pool).copied().unwrap_or(0),
            (self.nodes.iter())
                .filter(|n| n.pool == pool && n.state != NodeState::Gone)
                .count() as u32
        );
        self.live.get(pool).copied().unwrap_or(0)
    }

    /// Billed seconds of node `n`: from its VM request to its deletion (which may come after
    /// the run's end, e.g. the autoscaler's scale-down delay), or to `end` if it still
    /// exists; per second with a one-minute minimum.
    pub fn billed_seconds(&self, n: usize, end: SimTime) -> f64 {
        let x = &self.nodes[n];
        let until = x.gone_at.unwrap_or(end).max(x.created_at);
        until.since(x.created_at).as_secs_f64().max(60.0)
    }

    /// Filter and score among Ready nodes of the allowed pools: the chosen node, or why none
    /// fits. As kube-scheduler's `findNodesThatPassFilters`, the filter pass stops once
    /// [`feasible_nodes_to_find`] nodes fit and the next pass starts where this one stopped
    /// (from 100 nodes on; below, every node is filtered, from the first). Ties of score go to
    /// the first node of the pass (kube-scheduler picks among them at random).
    pub fn pick(&mut self, cpu: u64, mem: u64, allowed: &[bool]) -> Result<usize, FitFailure> {
        let n = self.ready.len();
        let to_find = feasible_nodes_to_find(n);
        let start = if to_find < n { self.next_start % n } else { 0 };
        let shape = Shape::new(cpu, mem, allowed);
        let mut best: Option<(f64, usize)> = None;
        let mut found = 0;
        let mut processed = n;
        let summarised = self.sums.pass(&shape, self.index.rooms(), start, to_find);
        if let Some(pass) = summarised {
            // A shape scheduled often: the pass takes whole subtrees of its summaries.
            best = pass.best.map(|(s, q)| (s, self.ready[q]));
            processed = pass.processed;
        }
        // Otherwise the fitting nodes in rotation order from `start`, found through the
        // index: the nodes a scan would filter out in between are skipped whole.
        let (mut p, mut end, mut wrapped) = (start, n, false);
        // Nodes of one pool (one allocatable) with the same free room score the same (their
        // requests are allocatable minus room: binds never exceed allocatable): the last score
        // is reused for a run of such nodes (most of a pass on a homogeneous cluster), without
        // reading the node.
        let mut memo: Option<(Room, f64)> = None;
        while summarised.is_none() && found < to_find {
            match self.index.next_fit(p, &shape).filter(|&q| q < end) {
                Some(q) => {
                    found += 1;
                    let i = self.ready[q];
                    let key = self.index.room(q);
                    let score = match memo {
                        Some((k, sc)) if k == key => sc,
                        _ => {
                            let sc = self.score(i, cpu, mem);
                            memo = Some((key, sc));
                            sc
                        }
                    };
                    if best.is_none_or(|(s, _)| score > s) {
                        best = Some((score, i));
                    }
                    if found == to_find {
                        processed = if q >= start { q - start } else { n - start + q } + 1;
                    }
                    p = q + 1;
                }
                None if wrapped || start == 0 => break,
                None => (p, end, wrapped) = (0, start, true),
            }
        }
        if to_find < n {
            self.next_start = (start + processed) % n;
        }
        best.map(|(_, i)| i).ok_or_else(|| {
            let r = self.index.refusals(&shape);
            FitFailure {
                insufficient_cpu: r.cpu,
                insufficient_memory: r.mem,
                too_many_pods: r.too_many_pods,
                affinity: r.affinity,
                nodes: n as u32,
            }
        })
    }

    /// kube-scheduler's NodeResourcesFit score of node `i` for the pod (least- or
    /// most-allocated, CPU and memory weighted equally).
    fn score(&self, i: usize, cpu: u64, mem: u64) -> f64 {
        let x = &self.nodes[i];
        let alloc = (x.alloc_cpu, x.alloc_mem);
        passsum::score(&self.room_of(i), alloc, cpu, mem, self.scoring)
    }

    /// Account a pod bound to node `n`.
    pub fn bind(&mut self, now: SimTime, n: usize, cpu: u64, mem: u64) {
        let x = &mut self.nodes[n];
        x.used_cpu += cpu;
        x.used_mem += mem;
        x.pods += 1;
        x.empty_since = None;
        if x.used_cpu > x.alloc_cpu || x.used_mem > x.alloc_mem || x.pods > x.max_pods {
            self.overcommitted_binds += 1;
        }
        let u = &mut self.usage[x.pool];
        u.advance(now);
        u.used_cpu += cpu;
        u.used_mem += mem;
        self.reindex(n);
    }

    /// Release a terminated pod's requests.
    pub fn release(&mut self, now: SimTime, n: usize, cpu: u64, mem: u64) {
        let x = &mut self.nodes[n];
        x.used_cpu = x.used_cpu.saturating_sub(cpu);
        x.used_mem = x.used_mem.saturating_sub(mem);
        x.pods = x.pods.saturating_sub(1);
        if x.pods == 0 {
            x.empty_since = Some(now);
        }
        let u = &mut self.usage[x.pool];
        u.advance(now);
        u.used_cpu = u.used_cpu.saturating_sub(cpu);
        u.used_mem = u.used_mem.saturating_sub(mem);
        self.reindex(n);
    }

    /// Close the usage integrals at `now`.
    pub fn finish(&mut self, now: SimTime) {
        for u in &mut self.usage {
            u.advance(now);
        }
    }

    /// When `image` is (or will be) present on node `n`, if it is or is being pulled.
    pub fn image_ready_at(&self, n: usize, image: usize) -> Option<SimTime> {
        self.nodes[n].image_ready[image]
    }

    /// Queue a serial-puller call of `dur` on node `n` at `now` (FIFO behind the calls and
    /// pulls already queued): returns when it starts.
    pub fn serial_call(&mut self, now: SimTime, n: usize, dur: SimTime) -> SimTime {
        let x = &mut self.nodes[n];
        let start = x.pull_free_at.max(now);
        x.pull_free_at = start.plus(dur);
        start
    }

    /// Ensure `image` is on node `n`: returns when it is present (now if cached) and whether
    /// this call started a pull. A pull of an image already being pulled is shared.
    pub fn ensure_image(
        &mut self,
        now: SimTime,
        n: usize,
        image: usize,
        pull_time: SimTime,
        serialize: bool,
    ) -> (SimTime, bool) {
        let x = &mut self.nodes[n];
        if let Some(t) = x.image_ready[image] {
            return (t.max(now), false);
        }
        let start = if serialize {
            x.pull_free_at.max(now)
        } else {
            now
        };
        let done = start.plus(pull_time);
        if serialize {
            x.pull_free_at = done;
        }
        x.image_ready[image] = Some(done);
        (done, true)
    }
}

/// The filter as a scan of every node: the reference [`Nodes::pick`] must agree with.
#[cfg(test)]
impl Nodes {
    /// [`Nodes::pick`] by visiting every node in rotation order.
    pub(crate) fn pick_scan(
        &mut self,
        cpu: u64,
        mem: u64,
        allowed: &[bool],
    ) -> Result<usize, FitFailure> {
        let mut best: Option<(f64, usize)> = None;
        let mut fail = FitFailure::default();
        let n = self.ready.len();
        let to_find = feasible_nodes_to_find(n);
        let start = if to_find < n { self.next_start % n } else { 0 };
        let mut found = 0;
        let mut processed = 0;
        for k in 0..n {
            if found == to_find {
                break;
            }
            processed += 1;
            let i = self.ready[(start + k) % n];
            let x = &self.nodes[i];
            fail.nodes += 1;
            if !allowed.get(x.pool).copied().unwrap_or(false) {
                fail.affinity += 1;
                continue;
            }
            let mut ok = true;
            if x.pods >= x.max_pods {
                fail.too_many_pods += 1;
                ok = false;
            }
            if x.used_cpu + cpu > x.alloc_cpu {
                fail.insufficient_cpu += 1;
                ok = false;
            }
            if x.used_mem + mem > x.alloc_mem {
                fail.insufficient_memory += 1;
                ok = false;
            }
            if !ok {
                continue;
            }
            found += 1;
            let free_cpu = (x.alloc_cpu - x.used_cpu - cpu) as f64 / x.alloc_cpu.max(1) as f64;
            let free_mem = (x.alloc_mem - x.used_mem - mem) as f64 / x.alloc_mem.max(1) as f64;
            let free = (free_cpu + free_mem) / 2.0;
            let score = match self.scoring {
                Scoring::LeastAllocated => free,
                Scoring::MostAllocated => -free,
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i));
            }
        }
        if to_find < n {
            self.next_start = (start + processed) % n;
        }
        best.map(|(_, i)| i).ok_or(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(nodes: u32, cpu: u64, mem: u64, max_pods: u32) -> Pool {
        Pool {
            name: "p".into(),
            machine_type: "m".into(),
            alloc_cpu: cpu,
            alloc_mem: mem,
            max_pods,
            price_per_hour: 1.0,
            spot: false,
            arch: "amd64".into(),
            nodes,
            ..Pool::default()
        }
    }

    /// `numFeasibleNodesToFind` (`pkg/scheduler/schedule_one.go`) with the default adaptive
    /// percentage: all nodes below 100, then `max(100, n * max(5, 50 - n/125) / 100)`.
    #[test]
    fn feasible_nodes_follow_kube_schedulers_adaptive_percentage() {
        for (nodes, want) in [
            (0, 0),
            (99, 99),
            (100, 100),
            (199, 100),
            (500, 230),
            (1000, 420),
            (5000, 500),
            (10000, 500),
        ] {
            assert_eq!(feasible_nodes_to_find(nodes), want, "{nodes} nodes");
        }
    }

    /// From 100 nodes on, a pass stops after `feasible_nodes_to_find` fitting nodes and the
    /// next starts after them (`nextStartNodeIndex`), so equal empty nodes are used in turn.
    #[test]
    fn filter_passes_rotate_over_a_large_cluster() {
        let mut n = Nodes::new(
            &[pool(200, 4000, 8 << 30, 110)],
            1,
            Scoring::LeastAllocated,
            5.0,
            10,
        );
        assert_eq!(n.pick(100, 0, &[true]), Ok(0));
        assert_eq!(n.pick(100, 0, &[true]), Ok(100));
        assert_eq!(n.pick(100, 0, &[true]), Ok(0));
        // Below 100 nodes every pass covers all, from the first.
        let mut small = Nodes::new(
            &[pool(50, 4000, 8 << 30, 110)],
            1,
            Scoring::LeastAllocated,
            5.0,
            10,
        );
        assert_eq!(small.pick(100, 0, &[true]), Ok(0));
        assert_eq!(small.pick(100, 0, &[true]), Ok(0));
    }

    #[test]
    fn fit_filters_cpu_memory_pods() {
        let mut n = Nodes::new(
            &[pool(2, 4000, 8 << 30, 3)],
            1,
            Scoring::LeastAllocated,
            5.0,
            10,
        );
        assert_eq!(
            n.pick(5000, 0, &[true]).unwrap_err().message(),
            "0/2 nodes are available: 2 Insufficient cpu."
        );
        assert_eq!(
            n.pick(0, 9 << 30, &[true]).unwrap_err().message(),
            "0/2 nodes are available: 2 Insufficient memory."
        );
        for _ in 0..6 {
            let i = n.pick(100, 0, &[true]).unwrap();
            n.bind(SimTime::ZERO, i, 100, 0);
        }
        assert_eq!(
            n.pick(100, 0, &[true]).unwrap_err().message(),
            "0/2 nodes are available: 2 Too many pods."
        );
    }

    #[test]
    fn least_allocated_spreads_most_allocated_packs() {
        let mut spread = Nodes::new(
            &[pool(3, 4000, 8 << 30, 110)],
            1,
            Scoring::LeastAllocated,
            5.0,
            10,
        );
        let mut pack = Nodes::new(
            &[pool(3, 4000, 8 << 30, 110)],
            1,
            Scoring::MostAllocated,
            5.0,
            10,
        );
        let mut s = vec![];
        let mut p = vec![];
        for _ in 0..3 {
            let i = spread.pick(1000, 1 << 30, &[true]).unwrap();
            spread.bind(SimTime::ZERO, i, 1000, 1 << 30);
            s.push(i);
            let j = pack.pick(1000, 1 << 30, &[true]).unwrap();
            pack.bind(SimTime::ZERO, j, 1000, 1 << 30);
            p.push(j);
        }
        assert_eq!(s, vec![0, 1, 2]);
        assert_eq!(p, vec![0, 0, 0]);
    }

    #[test]
    fn image_pulls_are_serialized_and_cached() {
        let mut n = Nodes::new(
            &[pool(1, 4000, 8 << 30, 110)],
            2,
            Scoring::LeastAllocated,
            5.0,
            10,
        );
        let d = SimTime::from_secs(10);
        assert_eq!(
            n.ensure_image(SimTime::ZERO, 0, 0, d, true),
            (SimTime::from_secs(10), true)
        );
        assert_eq!(
            n.ensure_image(SimTime::ZERO, 0, 1, d, true),
            (SimTime::from_secs(20), true)
        );
        assert_eq!(
            n.ensure_image(SimTime::from_secs(1), 0, 0, d, true),
            (SimTime::from_secs(10), false)
        );
        assert_eq!(
            n.ensure_image(SimTime::from_secs(30), 0, 0, d, true),
            (SimTime::from_secs(30), false)
        );
    }

    /// One step of the comparison between the indexed filter and the scan.
    #[derive(Debug, Clone)]
    enum Step {
        Pick { cpu: u64, mem: u64, allowed: u8 },
        Release(usize),
        Ready(usize),
        Cordon(usize),
        Add(usize),
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            6 => (0u64..5000, 0u64..(9u64 << 30), 1u8..8)
                .prop_map(|(cpu, mem, allowed)| Step::Pick { cpu, mem, allowed }),
            // A few shapes again and again: the pass summaries' path.
            6 => (prop::sample::select(vec![100u64, 1000, 2000]), 1u8..8)
                .prop_map(|(cpu, allowed)| Step::Pick { cpu, mem: 1 << 30, allowed }),
            3 => any::<usize>().prop_map(Step::Release),
            1 => any::<usize>().prop_map(Step::Ready),
            1 => any::<usize>().prop_map(Step::Cordon),
            1 => (0usize..3).prop_map(Step::Add),
        ]
    }

    proptest::proptest! {
        /// The indexed filter (and the pass summaries of repeated shapes) picks the node,
        /// rotates the next pass's start and explains a refusal exactly as the scan of every
        /// node does, over three pools (some pods allowed in some only), 90-260 nodes (both
        /// sides of kube-scheduler's 100-node sampling threshold), binds, releases, nodes
        /// becoming Ready and cordoned.
        #[test]
        fn indexed_filter_matches_the_scan(
            sizes in (30u32..90, 30u32..90, 30u32..90),
            steps in proptest::collection::vec(step(), 1..300),
            most in proptest::bool::ANY,
        ) {
            let pools = [
                pool(sizes.0, 4000, 8 << 30, 5),
                pool(sizes.1, 16000, 64 << 30, 110),
                pool(sizes.2, 2000, 4 << 30, 3),
            ];
            let scoring = if most { Scoring::MostAllocated } else { Scoring::LeastAllocated };
            let mut a = Nodes::new(&pools, 1, scoring, 5.0, 10);
            let mut b = a.clone();
            let mut bound: Vec<(usize, u64, u64)> = Vec::new();
            for st in steps {
                match st {
                    Step::Pick { cpu, mem, allowed } => {
                        let allowed: Vec<bool> = (0..3).map(|i| allowed >> i & 1 == 1).collect();
                        let got = a.pick(cpu, mem, &allowed);
                        let want = b.pick_scan(cpu, mem, &allowed);
                        proptest::prop_assert_eq!(got, want);
                        proptest::prop_assert_eq!(a.next_start, b.next_start);
                        if let Ok(n) = got {
                            a.bind(SimTime::ZERO, n, cpu, mem);
                            b.bind(SimTime::ZERO, n, cpu, mem);
                            bound.push((n, cpu, mem));
                        }
                    }
                    Step::Release(i) if !bound.is_empty() => {
                        let (n, cpu, mem) = bound.swap_remove(i % bound.len());
                        a.release(SimTime::ZERO, n, cpu, mem);
                        b.release(SimTime::ZERO, n, cpu, mem);
                    }
                    Step::Ready(i) => {
                        let n = i % a.nodes.len();
                        a.set_ready(n, SimTime::ZERO);
                        b.set_ready(n, SimTime::ZERO);
                    }
                    Step::Cordon(i) => {
                        let n = i % a.nodes.len();
                        a.cordon(n);
                        b.cordon(n);
                    }
                    Step::Add(p) => {
                        a.add(p, &pools[p], 1, SimTime::ZERO);
                        b.add(p, &pools[p], 1, SimTime::ZERO);
                    }
                    Step::Release(_) => {}
                }
            }
        }
    }
}
