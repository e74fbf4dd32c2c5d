//! Filter-pass summaries per pod shape: for the few pod shapes (requests and allowed pools) a
//! run schedules again and again, a segment tree over the Ready-node positions that keeps, per
//! subtree, how many nodes fit the shape and the best score among them (first position on
//! ties).
//!
//! A kube-scheduler pass looks for `numFeasibleNodesToFind` fitting nodes in rotation order
//! and keeps the best-scoring one; on a 6,250-node cluster that is 312 nodes for every pod.
//! With a shape's summaries a pass takes whole subtrees (their count and best) and descends
//! only where the count runs out: O(log² n) instead of O(312). The result is exactly what
//! visiting every fitting node gives (`kube::nodes` tests compare them). A shape gets
//! summaries once it has been asked for a few times on a large snapshot; at most
//! [`SLOTS`] shapes are kept (least recently used goes), so a run with many shapes falls
//! back to visiting nodes rather than rebuilding summaries for every pod.

use crate::kube::fitindex::{Room, Shape};
use crate::scenario::schema::Scoring;

/// Shapes with summaries kept at once.
pub const SLOTS: usize = 4;

/// Passes of one shape before its summaries are built (a shape seen once is not worth an
/// O(n) build).
const ASKS_BEFORE_BUILD: u32 = if cfg!(test) { 1 } else { 8 };

/// Smallest snapshot worth summaries (below it a pass visits few nodes anyway).
const MIN_NODES: usize = if cfg!(test) { 1 } else { 256 };

/// kube-scheduler's NodeResourcesFit score of a node with free `room` (allocatable
/// `alloc`) for a pod of `cpu`, `mem` that fits it: least- or most-allocated, CPU and memory
/// weighted equally.
pub fn score(room: &Room, alloc: (u64, u64), cpu: u64, mem: u64, scoring: Scoring) -> f64 {
    let free_cpu = (room.cpu - cpu) as f64 / alloc.0.max(1) as f64;
    let free_mem = (room.mem - mem) as f64 / alloc.1.max(1) as f64;
    let free = (free_cpu + free_mem) / 2.0;
    match scoring {
        Scoring::LeastAllocated => free,
        Scoring::MostAllocated => -free,
    }
}

/// One subtree for one shape: fitting nodes, and the best score with its first position.
#[derive(Debug, Clone, Copy)]
struct Sum {
    count: u32,
    pos: u32,
    best: f64,
}

const NONE: Sum = Sum {
    count: 0,
    pos: u32::MAX,
    best: f64::NEG_INFINITY,
};

impl Sum {
    /// Bit for bit the same summary.
    #[inline]
    fn same(&self, o: &Sum) -> bool {
        self.count == o.count && self.pos == o.pos && self.best.to_bits() == o.best.to_bits()
    }

    fn join(a: &Sum, b: &Sum) -> Sum {
        let best = if b.count > 0 && (a.count == 0 || b.best > a.best) {
            (b.best, b.pos)
        } else {
            (a.best, a.pos)
        };
        Sum {
            count: a.count + b.count,
            pos: best.1,
            best: best.0,
        }
    }
}

/// The pod shape a slot summarises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    cpu: u64,
    mem: u64,
    mask: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    key: Key,
    tree: Vec<Sum>,
    used: u64,
}

/// What a pass found: the best (score, position), and how many positions the pass covered
/// (kube-scheduler's `processedNodes`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    /// Best score and its position, first in rotation order on ties.
    pub best: Option<(f64, usize)>,
    /// Positions covered, from the start of the pass to the last fitting node taken (all of
    /// them when fewer fit than asked for).
    pub processed: usize,
}

/// The summaries of the recently used shapes.
#[derive(Debug, Clone)]
pub struct PassSums {
    scoring: Scoring,
    /// Allocatable (cpu, memory) per pool.
    alloc: Vec<(u64, u64)>,
    len: usize,
    cap: usize,
    slots: Vec<Slot>,
    /// Shapes asked for without summaries, and how often.
    asks: Vec<(Key, u32)>,
    clock: u64,
}

impl PassSums {
    /// No summaries yet, for pools of allocatable `alloc`.
    pub fn new(scoring: Scoring, alloc: Vec<(u64, u64)>) -> Self {
        PassSums {
            scoring,
            alloc,
            len: 0,
            cap: 1,
            slots: Vec::new(),
            asks: Vec::new(),
            clock: 0,
        }
    }

    /// The snapshot changed size: drop every summary (they are rebuilt on demand).
    pub fn reset(&mut self, len: usize) {
        self.len = len;
        self.cap = len.next_power_of_two().max(1);
        self.slots.clear();
        self.asks.clear();
    }

    fn leaf(&self, key: &Key, r: &Room, p: usize) -> Sum {
        let fits = r.holds(key.cpu, key.mem) && r.pool < 64 && (key.mask >> r.pool) & 1 == 1;
        if !fits {
            return NONE;
        }
        let alloc = self.alloc.get(r.pool).copied().unwrap_or((1, 1));
        Sum {
            count: 1,
            pos: p as u32,
            best: score(r, alloc, key.cpu, key.mem, self.scoring),
        }
    }

    /// Room at position `p` changed.
    pub fn set(&mut self, p: usize, r: &Room) {
        for k in 0..self.slots.len() {
            let key = self.slots[k].key;
            let leaf = self.leaf(&key, r, p);
            let cap = self.cap;
            let t = &mut self.slots[k].tree;
            let mut i = cap + p;
            t[i] = leaf;
            // Up to the first subtree whose summary is unchanged (so are its ancestors').
            while i > 1 {
                i /= 2;
                let joined = Sum::join(&t[2 * i], &t[2 * i + 1]);
                if joined.same(&t[i]) {
                    break;
                }
                t[i] = joined;
            }
        }
    }

    /// The slot of `shape`, building it from `rooms` once the shape has been asked for often
    /// enough; `None` when it has no summaries (the caller visits nodes instead).
    fn slot(&mut self, shape: &Shape<'_>, rooms: &[Room]) -> Option<usize> {
        if self.len < MIN_NODES || self.alloc.len() > 64 || rooms.len() != self.len {
            return None;
        }
        self.clock += 1;
        let key = Key {
            cpu: shape.cpu,
            mem: shape.mem,
            mask: shape.mask(),
        };
        if let Some(k) = self.slots.iter().position(|s| s.key == key) {
            self.slots[k].used = self.clock;
            return Some(k);
        }
        let asks = match self.asks.iter_mut().find(|a| a.0 == key) {
            Some(a) => {
                a.1 += 1;
                a.1
            }
            None => {
                if self.asks.len() >= 4 * SLOTS {
                    self.asks.remove(0);
                }
                self.asks.push((key, 1));
                1
            }
        };
        if asks < ASKS_BEFORE_BUILD {
            return None;
        }
        self.asks.retain(|a| a.0 != key);
        let mut tree = vec![NONE; 2 * self.cap];
        for (p, r) in rooms.iter().enumerate() {
            tree[self.cap + p] = self.leaf(&key, r, p);
        }
        for i in (1..self.cap).rev() {
            tree[i] = Sum::join(&tree[2 * i], &tree[2 * i + 1]);
        }
        let slot = Slot {
            key,
            tree,
            used: self.clock,
        };
        if self.slots.len() < SLOTS {
            self.slots.push(slot);
            Some(self.slots.len() - 1)
        } else {
            let k = (0..self.slots.len())
                .min_by_key(|&k| self.slots[k].used)
                .unwrap_or(0);
            self.slots[k] = slot;
            Some(k)
        }
    }

    /// A filter pass for `shape` over the positions in rotation order from `start`, taking
    /// up to `to_find` fitting nodes; `None` when the shape has no summaries.
    pub fn pass(
        &mut self,
        shape: &Shape<'_>,
        rooms: &[Room],
        start: usize,
        to_find: usize,
    ) -> Option<Pass> {
        let k = self.slot(shape, rooms)?;
        let n = self.len;
        let mut w = Walk {
            need: to_find,
            best: None,
            end: None,
        };
        let t = &self.slots[k].tree;
        let done = walk(t, self.cap, 1, 0, self.cap, start, n, &mut w)
            || walk(t, self.cap, 1, 0, self.cap, 0, start, &mut w);
        let processed = match (done, w.end) {
            (true, Some(q)) => (if q >= start { q - start } else { n - start + q }) + 1,
            _ => n,
        };
        Some(Pass {
            best: w.best,
            processed,
        })
    }
}

/// A pass in progress: fitting nodes still wanted, the best so far, the last position taken.
struct Walk {
    need: usize,
    best: Option<(f64, usize)>,
    end: Option<usize>,
}

impl Walk {
    fn take(&mut self, s: &Sum) {
        if s.count > 0 && self.best.is_none_or(|(b, _)| s.best > b) {
            self.best = Some((s.best, s.pos as usize));
        }
    }
}

/// Take the fitting nodes of subtree `v` (positions `lo..hi`) inside `a..b`, in order, until
/// `w.need` runs out; true when it did.
#[allow(clippy::too_many_arguments)]
fn walk(
    t: &[Sum],
    cap: usize,
    v: usize,
    lo: usize,
    hi: usize,
    a: usize,
    b: usize,
    w: &mut Walk,
) -> bool {
    let s = &t[v];
    if w.need == 0 || hi <= a || lo >= b || s.count == 0 {
        return w.need == 0;
    }
    if a <= lo && hi <= b && (s.count as usize) < w.need {
        w.need -= s.count as usize;
        w.take(s);
        return false;
    }
    if v >= cap {
        // A fitting leaf, and the last one wanted.
        w.need -= 1;
        w.take(s);
        w.end = Some(lo);
        return true;
    }
    let mid = (lo + hi) / 2;
    walk(t, cap, 2 * v, lo, mid, a, b, w) || walk(t, cap, 2 * v + 1, mid, hi, a, b, w)
}
