//! A free-capacity index over the scheduler's node snapshot: a segment tree on the positions
//! of the Ready nodes (index order) that keeps, per subtree, the node count, the minimum and
//! maximum free CPU, free memory and free pod slots, and the set of pools present.
//!
//! It answers the two questions kube-scheduler's filter asks of every node, without visiting
//! every node: "the next node at or after position `p` where a pod of this shape fits"
//! (subtrees whose maxima are too small, or whose pools the pod may not use, are skipped), and
//! "for how many nodes does each filter fail" (subtrees where a filter fails for all nodes or
//! for none are counted whole). Both give exactly what a scan of every node gives
//! (`kube::nodes` tests compare them on random clusters). With 64 pools or more (the pool set
//! is a 64-bit mask) the index keeps the rooms only and answers by scanning them.

/// Free room of one Ready node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Room {
    /// Free CPU, millicores (allocatable minus requests, saturating).
    pub cpu: u64,
    /// Free memory, bytes.
    pub mem: u64,
    /// Free pod slots (maxPods minus pods).
    pub slots: u32,
    /// The node's pool.
    pub pool: usize,
}

impl Room {
    /// Whether a pod requesting `cpu` and `mem` fits this room (a free pod slot, enough CPU
    /// and memory); the pool is checked by the caller.
    pub fn holds(&self, cpu: u64, mem: u64) -> bool {
        self.slots > 0 && self.cpu >= cpu && self.mem >= mem
    }
}

/// A pod's shape as the filter sees it: requests and the pools it may use.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    /// CPU request, millicores.
    pub cpu: u64,
    /// Memory request, bytes.
    pub mem: u64,
    /// Per pool: whether the pod may use it (selector, arch, tolerations).
    pub allowed: &'a [bool],
    /// `allowed` as a bit mask (pools below 64).
    mask: u64,
}

impl<'a> Shape<'a> {
    /// The shape of a pod requesting `cpu`, `mem` allowed in `allowed` pools.
    pub fn new(cpu: u64, mem: u64, allowed: &'a [bool]) -> Self {
        let mask = (allowed.iter().take(64).enumerate())
            .filter(|(_, a)| **a)
            .fold(0u64, |m, (i, _)| m | 1 << i);
        Shape {
            cpu,
            mem,
            allowed,
            mask,
        }
    }

    /// The allowed pools below 64 as a bit mask.
    pub fn mask(&self) -> u64 {
        self.mask
    }

    fn allows(&self, pool: usize) -> bool {
        self.allowed.get(pool).copied().unwrap_or(false)
    }
}

/// One subtree's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Agg {
    n: u32,
    min_cpu: u64,
    max_cpu: u64,
    min_mem: u64,
    max_mem: u64,
    min_slots: u32,
    max_slots: u32,
    pools: u64,
}

const EMPTY: Agg = Agg {
    n: 0,
    min_cpu: u64::MAX,
    max_cpu: 0,
    min_mem: u64::MAX,
    max_mem: 0,
    min_slots: u32::MAX,
    max_slots: 0,
    pools: 0,
};

impl Agg {
    fn leaf(r: Room) -> Agg {
        Agg {
            n: 1,
            min_cpu: r.cpu,
            max_cpu: r.cpu,
            min_mem: r.mem,
            max_mem: r.mem,
            min_slots: r.slots,
            max_slots: r.slots,
            pools: 1 << r.pool,
        }
    }

    fn join(a: &Agg, b: &Agg) -> Agg {
        Agg {
            n: a.n + b.n,
            min_cpu: a.min_cpu.min(b.min_cpu),
            max_cpu: a.max_cpu.max(b.max_cpu),
            min_mem: a.min_mem.min(b.min_mem),
            max_mem: a.max_mem.max(b.max_mem),
            min_slots: a.min_slots.min(b.min_slots),
            max_slots: a.max_slots.max(b.max_slots),
            pools: a.pools | b.pools,
        }
    }

    /// Whether some node of the subtree may fit (a necessary condition).
    fn may_fit(&self, s: &Shape<'_>) -> bool {
        self.n > 0
            && self.max_cpu >= s.cpu
            && self.max_mem >= s.mem
            && self.max_slots > 0
            && self.pools & s.mask != 0
    }
}

/// How many nodes each filter refuses (a node may count under several).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refusals {
    /// Nodes whose pool the pod may not use.
    pub affinity: u32,
    /// Allowed nodes at maxPods.
    pub too_many_pods: u32,
    /// Allowed nodes without the CPU.
    pub cpu: u32,
    /// Allowed nodes without the memory.
    pub mem: u32,
}

/// The segment tree over Ready-node positions.
#[derive(Debug, Clone, Default)]
pub struct FitIndex {
    /// Leaves (positions) in use.
    len: usize,
    /// Power of two at or above `len`.
    cap: usize,
    /// `tree[1]` is the root; leaves at `cap..cap + len`. Empty when `!tree_ok`.
    tree: Vec<Agg>,
    rooms: Vec<Room>,
    /// Every pool below 64: the tree is kept (else the rooms are scanned).
    tree_ok: bool,
}

impl FitIndex {
    /// Build over `rooms` (one per Ready node, in snapshot order).
    pub fn build(&mut self, rooms: impl Iterator<Item = Room>) {
        self.rooms.clear();
        self.rooms.extend(rooms);
        self.len = self.rooms.len();
        self.tree_ok = self.rooms.iter().all(|r| r.pool < 64);
        self.cap = self.len.next_power_of_two().max(1);
        self.tree.clear();
        if !self.tree_ok {
            return;
        }
        self.tree.resize(2 * self.cap, EMPTY);
        for (i, r) in self.rooms.iter().enumerate() {
            self.tree[self.cap + i] = Agg::leaf(*r);
        }
        for i in (1..self.cap).rev() {
            self.tree[i] = Agg::join(&self.tree[2 * i], &self.tree[2 * i + 1]);
        }
    }

    /// The rooms by position.
    pub fn rooms(&self) -> &[Room] {
        &self.rooms
    }

    /// The room at position `p`.
    pub fn room(&self, p: usize) -> Room {
        self.rooms[p]
    }

    /// Set the room at position `p`.
    pub fn set(&mut self, p: usize, r: Room) {
        // A position keeps its node, so its pool: `tree_ok` holds as built.
        self.rooms[p] = r;
        if !self.tree_ok {
            return;
        }
        let mut i = self.cap + p;
        self.tree[i] = Agg::leaf(r);
        // Up to the first subtree whose summary is unchanged (its ancestors are then too):
        // usually a few levels, as many nodes share the extremes.
        while i > 1 {
            i /= 2;
            let joined = Agg::join(&self.tree[2 * i], &self.tree[2 * i + 1]);
            if joined == self.tree[i] {
                break;
            }
            self.tree[i] = joined;
        }
    }

    /// Whether a pod of shape `s` fits the room at `p`.
    fn fits(&self, p: usize, s: &Shape<'_>) -> bool {
        let r = &self.rooms[p];
        r.holds(s.cpu, s.mem) && s.allows(r.pool)
    }

    /// The first position at or after `from` (and before the end) where a pod of shape `s`
    /// fits.
    pub fn next_fit(&self, from: usize, s: &Shape<'_>) -> Option<usize> {
        if from >= self.len {
            return None;
        }
        if self.fits(from, s) {
            return Some(from);
        }
        if !self.tree_ok {
            return (from + 1..self.len).find(|&p| self.fits(p, s));
        }
        // Climb from the leaf: at each level, look into the right sibling subtree (it lies
        // after `from`), and descend into it if it may hold a fit.
        let mut i = self.cap + from;
        while i > 1 {
            if i & 1 == 0
                && self.tree[i + 1].may_fit(s)
                && let Some(p) = self.descend(i + 1, s)
            {
                return Some(p);
            }
            i /= 2;
        }
        None
    }

    /// The first fitting leaf in subtree `i`, if any.
    fn descend(&self, i: usize, s: &Shape<'_>) -> Option<usize> {
        if i >= self.cap {
            let p = i - self.cap;
            return (p < self.len && self.fits(p, s)).then_some(p);
        }
        for c in [2 * i, 2 * i + 1] {
            if self.tree[c].may_fit(s)
                && let Some(p) = self.descend(c, s)
            {
                return Some(p);
            }
        }
        None
    }

    /// How many nodes each filter refuses a pod of shape `s`.
    pub fn refusals(&self, s: &Shape<'_>) -> Refusals {
        let mut out = Refusals::default();
        if !self.tree_ok {
            for r in &self.rooms {
                refuse_one(r, s, &mut out);
            }
        } else if self.len > 0 {
            self.count(1, s, &mut out);
        }
        out
    }

    fn count(&self, i: usize, s: &Shape<'_>, out: &mut Refusals) {
        let a = &self.tree[i];
        if a.n == 0 {
            return;
        }
        if a.pools & s.mask == 0 {
            out.affinity += a.n;
            return;
        }
        // Each filter is decided for the whole subtree when it refuses all its nodes or none.
        if a.pools & !s.mask == 0
            && let Some(slots) = decide(a.max_slots == 0, a.min_slots > 0)
            && let Some(cpu) = decide(a.max_cpu < s.cpu, a.min_cpu >= s.cpu)
            && let Some(mem) = decide(a.max_mem < s.mem, a.min_mem >= s.mem)
        {
            out.too_many_pods += a.n * u32::from(slots);
            out.cpu += a.n * u32::from(cpu);
            out.mem += a.n * u32::from(mem);
            return;
        }
        self.count(2 * i, s, out);
        self.count(2 * i + 1, s, out);
    }
}

/// Count one room's refusals.
fn refuse_one(r: &Room, s: &Shape<'_>, out: &mut Refusals) {
    if !s.allows(r.pool) {
        out.affinity += 1;
        return;
    }
    out.too_many_pods += u32::from(r.slots == 0);
    out.cpu += u32::from(r.cpu < s.cpu);
    out.mem += u32::from(r.mem < s.mem);
}

/// `Some(true)` when a filter refuses every node of a subtree, `Some(false)` when none.
fn decide(all: bool, none: bool) -> Option<bool> {
    if all {
        Some(true)
    } else if none {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(cpu: u64, mem: u64, slots: u32, pool: usize) -> Room {
        Room {
            cpu,
            mem,
            slots,
            pool,
        }
    }

    /// The tree and the plain scan (taken with 64 pools or more) answer alike: next fit from
    /// every position, and the per-filter refusals.
    #[test]
    fn tree_and_scan_agree_and_the_scan_serves_64_pools_or_more() {
        let rooms: Vec<Room> = (0..37)
            .map(|i| {
                room(
                    (i * 7919) % 4000,
                    (i * 104_729) % (8 << 20),
                    (i % 4) as u32,
                    (i % 3) as usize,
                )
            })
            .collect();
        let mut tree = FitIndex::default();
        tree.build(rooms.iter().copied());
        // The same rooms in pools 64, 65, 66: no tree.
        let mut scan = FitIndex::default();
        scan.build(rooms.iter().map(|r| Room {
            pool: r.pool + 64,
            ..*r
        }));
        assert!(tree.tree_ok && !scan.tree_ok);
        for allowed in 1u8..8 {
            let a3: Vec<bool> = (0..3).map(|i| allowed >> i & 1 == 1).collect();
            let mut a67 = vec![false; 64];
            a67.extend(a3.iter().copied());
            for (cpu, mem) in [(0, 0), (1000, 1 << 20), (3999, 0), (5000, 1)] {
                let (st, ss) = (Shape::new(cpu, mem, &a3), Shape::new(cpu, mem, &a67));
                for from in 0..=rooms.len() {
                    let want = (from..rooms.len()).find(|&p| {
                        let r = &rooms[p];
                        r.slots > 0 && r.cpu >= cpu && r.mem >= mem && a3[r.pool]
                    });
                    assert_eq!(tree.next_fit(from, &st), want, "tree from {from}");
                    assert_eq!(scan.next_fit(from, &ss), want, "scan from {from}");
                }
                assert_eq!(tree.refusals(&st), scan.refusals(&ss));
            }
        }
    }

    /// A room set after the build is seen by both questions.
    #[test]
    fn set_updates_the_subtrees() {
        let mut ix = FitIndex::default();
        ix.build((0..10).map(|_| room(0, 0, 0, 0)));
        let s = Shape::new(500, 0, &[true]);
        assert_eq!(ix.next_fit(0, &s), None);
        assert_eq!(ix.refusals(&s).cpu, 10);
        ix.set(7, room(500, 0, 1, 0));
        assert_eq!(ix.next_fit(0, &s), Some(7));
        assert_eq!(ix.next_fit(8, &s), None);
        let r = ix.refusals(&s);
        assert_eq!((r.cpu, r.too_many_pods, r.affinity), (9, 9, 0));
    }
}
