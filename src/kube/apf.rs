//! API Priority and Fairness as kube-apiserver v0.32 runs it, per priority level: its nominal
//! seats (`ceil(600 × shares / 245)`), seat lending and borrowing between levels (lendable
//! percent), a queue set with shuffle sharding (each flow, a client identity, is dealt a hand
//! of `handSize` of the level's queues and joins the shortest; a request finding every seat
//! busy and its queue at `queueLengthLimit` is rejected), fair dispatch among the queues, and
//! the adaptive `Retry-After` of rejected requests (1 s, doubling after sustained drops, up to
//! 32 s; `dropped_requests_tracker.go`).
//!
//! Simplified: every request costs one seat and the same estimated work, so fair queuing's
//! virtual finish times reduce to round robin over the non-empty queues; borrowing is decided
//! at each admission and release instead of every 10 s from smoothed demand
//! (`apf_controller.go`), a lender never reclaims a lent seat before the borrower's request
//! ends, and flows are hashed with FNV-1a instead of SHA-256 (which queues a flow is dealt
//! differs, the sharding does not).

use crate::engine::SimTime;
use crate::scenario::defaults as d;
use std::collections::VecDeque;

/// A request waiting in an APF queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// Caller's request id.
    pub id: usize,
    /// Verb class: a write (for the service time).
    pub mutating: bool,
    /// Body bytes.
    pub bytes: u64,
}

/// What admission decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A seat now.
    Run,
    /// Waiting in a queue.
    Queued,
    /// 429.
    Reject,
}

/// The hand of `hand` distinct cards out of `deck` dealt from `hash` (`shufflesharding.Dealer`).
pub fn deal(mut hash: u64, deck: usize, hand: usize) -> Vec<usize> {
    let mut rem = Vec::with_capacity(hand);
    for i in 0..hand {
        let n = (deck - i) as u64;
        rem.push((hash % n) as usize);
        hash /= n;
    }
    (0..hand)
        .map(|i| {
            let mut card = rem[i];
            for j in (1..=i).rev() {
                if card >= rem[j - 1] {
                    card += 1;
                }
            }
            card
        })
        .collect()
}

/// A flow's hash: FNV-1a of the flow schema's and the distinguisher's names.
pub fn flow_hash(schema: &str, distinguisher: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in schema.bytes().chain([0]).chain(distinguisher.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `droppedRequestsStats`: dropped requests per second and the `Retry-After` they lead to.
#[derive(Debug, Clone)]
struct Dropped {
    history: Vec<(i64, i64)>,
    current_unix: i64,
    current_count: i64,
    retry_after: i64,
    update_unix: i64,
}

impl Default for Dropped {
    fn default() -> Self {
        Dropped {
            history: Vec::new(),
            current_unix: 0,
            current_count: 0,
            retry_after: 1,
            update_unix: 0,
        }
    }
}

impl Dropped {
    fn record(&mut self, unix: i64) {
        if self.current_unix == unix {
            self.current_count += 1;
            return;
        }
        let (u, c) = (self.current_unix, self.current_count);
        self.history.push((u, c));
        let max_history = (2 * self.retry_after).min(d::APF_MAX_RETRY_AFTER_S);
        let start = self
            .history
            .iter()
            .position(|h| u - h.0 <= max_history)
            .unwrap_or(self.history.len());
        self.history.drain(..start);
        self.current_unix = unix;
        self.current_count = 1;
        // Drops in [unix - retryAfter, unix): double after 3 × retryAfter of them (at most
        // once per retryAfter seconds), step down by one below retryAfter.
        let ra = self.retry_after;
        let dropped: i64 = self
            .history
            .iter()
            .rev()
            .take_while(|h| unix - h.0 <= ra)
            .filter(|h| h.0 < unix)
            .map(|h| h.1)
            .sum();
        if unix - self.update_unix >= ra && dropped >= 3 * ra {
            self.retry_after = (ra * 2).min(d::APF_MAX_RETRY_AFTER_S);
            self.update_unix = unix;
        } else if dropped < ra && ra > 1 {
            self.retry_after = ra - 1;
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Level {
    nominal: u32,
    lendable: u32,
    used: u32,
    borrowed: u32,
    lent: u32,
    /// The level's queues, allocated when the first request queues (most runs never queue,
    /// and the suggested levels have 128-queue tables).
    queues: Vec<VecDeque<Queued>>,
    /// How many queues the level has (`queues` is empty until one is used).
    nqueues: usize,
    hand: usize,
    queue_limit: usize,
    waiting: u32,
    robin: usize,
    enqueues: usize,
    dropped: Dropped,
}

impl Level {
    fn limit(&self) -> u32 {
        self.nominal + self.borrowed
    }
    /// Seats this level can lend now: lendable and neither lent nor in use.
    fn spare(&self) -> u32 {
        let free = self
            .nominal
            .saturating_sub(self.used.min(self.nominal) + self.lent);
        free.min(self.lendable.saturating_sub(self.lent))
    }
    fn pop_fair(&mut self) -> Option<Queued> {
        if self.waiting == 0 {
            return None;
        }
        let n = self.queues.len();
        for k in 0..n {
            let i = (self.robin + k) % n;
            if let Some(q) = self.queues[i].pop_front() {
                self.robin = (i + 1) % n;
                self.waiting -= 1;
                return Some(q);
            }
        }
        None
    }
}

/// The priority levels of one apiserver.
#[derive(Debug, Clone)]
pub struct Apf {
    levels: Vec<Level>,
    /// Most requests queued at once, all levels.
    pub peak_queued: u32,
    /// Seats in use, all levels (the sum of `used`, kept as it changes: every admission and
    /// release reads it).
    used_total: u32,
    /// Requests queued, all levels (the sum of `waiting`).
    waiting_total: u32,
}

impl Apf {
    /// The suggested levels over `total` seats.
    pub fn new(total: u32) -> Self {
        let share_sum: u32 = d::APF_SHARES.iter().map(|(_, s)| s).sum();
        let levels = d::APF_SHARES
            .iter()
            .zip(d::APF_QUEUING)
            .map(|((_, share), (_, queues, hand, limit, lendable))| {
                let nominal =
                    (u64::from(total) * u64::from(*share)).div_ceil(u64::from(share_sum)) as u32;
                Level {
                    nominal,
                    lendable: (f64::from(nominal) * f64::from(lendable) / 100.0).round() as u32,
                    nqueues: queues as usize,
                    hand: hand as usize,
                    queue_limit: limit as usize,
                    ..Default::default()
                }
            })
            .collect();
        Apf {
            levels,
            peak_queued: 0,
            used_total: 0,
            waiting_total: 0,
        }
    }

    /// Nominal seats of level `l`.
    pub fn seats(&self, l: usize) -> u32 {
        self.levels[l].nominal
    }

    /// Seats of level `l` that other levels may borrow.
    pub fn lendable(&self, l: usize) -> u32 {
        self.levels[l].lendable
    }

    /// Requests executing, all levels.
    pub fn inflight(&self) -> u32 {
        debug_assert_eq!(
            self.used_total,
            self.levels.iter().map(|l| l.used).sum::<u32>()
        );
        self.used_total
    }

    /// Requests queued, all levels.
    pub fn queued(&self) -> u32 {
        debug_assert_eq!(
            self.waiting_total,
            self.levels.iter().map(|l| l.waiting).sum::<u32>()
        );
        self.waiting_total
    }

    /// Borrow one spare seat for level `l` from another level, if any has one.
    fn borrow(&mut self, l: usize) -> bool {
        let Some(o) = (0..self.levels.len()).find(|&o| o != l && self.levels[o].spare() > 0) else {
            return false;
        };
        self.levels[o].lent += 1;
        self.levels[l].borrowed += 1;
        true
    }

    /// Admit a request of flow `flow` at level `l`.
    pub fn admit(&mut self, q: Queued, l: usize, flow: u64) -> Decision {
        let lv = &self.levels[l];
        if lv.waiting == 0 && (lv.used < lv.limit() || self.borrow(l)) {
            self.levels[l].used += 1;
            self.used_total += 1;
            return Decision::Run;
        }
        let lv = &mut self.levels[l];
        if lv.nqueues == 0 {
            return Decision::Reject;
        }
        if lv.queues.is_empty() {
            lv.queues = vec![VecDeque::new(); lv.nqueues];
        }
        let hand = deal(flow, lv.nqueues, lv.hand);
        let offset = lv.enqueues % hand.len();
        lv.enqueues += 1;
        let best = (0..hand.len())
            .map(|i| hand[(offset + i) % hand.len()])
            .min_by_key(|&qi| lv.queues[qi].len())
            .expect("a hand has cards");
        if lv.used >= lv.limit() && lv.queues[best].len() >= lv.queue_limit {
            return Decision::Reject;
        }
        lv.queues[best].push_back(q);
        lv.waiting += 1;
        self.waiting_total += 1;
        self.peak_queued = self.peak_queued.max(self.queued());
        Decision::Queued
    }

    /// A request of level `l` finished: its seat goes to `l`'s queues, back to a lender, or
    /// to another level waiting for one. The requests that start now go into `started`
    /// (cleared first; a caller's buffer, not a `Vec` returned through memory on the hot
    /// path).
    pub fn release(&mut self, l: usize, started: &mut Vec<Queued>) {
        started.clear();
        let lv = &mut self.levels[l];
        if lv.used > 0 {
            lv.used -= 1;
            self.used_total -= 1;
        }
        if lv.used < lv.limit()
            && let Some(q) = lv.pop_fair()
        {
            lv.used += 1;
            // A queued request took the seat: one more in use again, one fewer waiting.
            self.used_total += 1;
            self.waiting_total -= 1;
            started.push(q);
            return;
        }
        if lv.borrowed > 0 && lv.used < lv.limit() {
            // Give the borrowed seat back; the lender may have requests waiting for it.
            lv.borrowed -= 1;
            if let Some(o) = (0..self.levels.len()).find(|&o| self.levels[o].lent > 0) {
                self.levels[o].lent -= 1;
                let lo = &mut self.levels[o];
                if lo.used < lo.limit()
                    && lo.used + lo.lent < lo.nominal
                    && let Some(q) = lo.pop_fair()
                {
                    lo.used += 1;
                    self.used_total += 1;
                    self.waiting_total -= 1;
                    started.push(q);
                    return;
                }
            }
        }
        // Levels still waiting may borrow what is spare now (none waits: nothing to do).
        if self.waiting_total == 0 {
            return;
        }
        for o in 0..self.levels.len() {
            while self.levels[o].waiting > 0 && self.borrow(o) {
                let lo = &mut self.levels[o];
                let q = lo.pop_fair().expect("waiting > 0");
                lo.used += 1;
                self.used_total += 1;
                self.waiting_total -= 1;
                started.push(q);
            }
        }
    }

    /// The queue-wait limit passed for request `id` of level `l`: removed if still queued.
    pub fn time_out(&mut self, id: usize, l: usize) -> bool {
        let lv = &mut self.levels[l];
        for q in &mut lv.queues {
            if let Some(i) = q.iter().position(|x| x.id == id) {
                q.remove(i);
                lv.waiting -= 1;
                self.waiting_total -= 1;
                return true;
            }
        }
        false
    }

    /// A request of level `l` was rejected or timed out at `now`.
    pub fn record_dropped(&mut self, l: usize, now: SimTime) {
        self.levels[l].dropped.record((now.0 / 1_000_000) as i64);
    }

    /// The `Retry-After` level `l` answers with now.
    pub fn retry_after(&self, l: usize) -> SimTime {
        SimTime::from_secs(self.levels[l].dropped.retry_after as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: usize = 4;

    fn q(id: usize) -> Queued {
        Queued {
            id,
            mutating: false,
            bytes: 0,
        }
    }

    /// `shufflesharding.Dealer.Deal`: distinct cards, every card reachable.
    #[test]
    fn deal_gives_distinct_cards() {
        let mut seen = [false; 128];
        for h in 0..2000u64 {
            let hand = deal(flow_hash("service-accounts", &format!("sa-{h}")), 128, 6);
            let mut s = hand.clone();
            s.sort();
            s.dedup();
            assert_eq!(s.len(), 6, "{hand:?}");
            for c in hand {
                seen[c] = true;
            }
        }
        assert!(seen.iter().all(|&x| x));
        // Dealer.Deal by hand: 10 = 0 + 4·(2 + 3·0) → remainders [2, 2, 0] → cards 2, 3, 0.
        assert_eq!(deal(10, 4, 3), vec![2, 3, 0]);
    }

    /// `queueset.go` `shuffleShardLocked` + `rejectOrEnqueueToBoundLocked`: one flow fills at
    /// most its hand of 6 queues × 50 and is then rejected; another flow still gets queued
    /// (and, fair dispatch, served before the first flow's backlog drains).
    #[test]
    fn one_flow_cannot_fill_every_queue() {
        let mut a = Apf::new(600);
        // Take every seat of workload-low and everything others could lend.
        let mut id = 0;
        while a.admit(q(id), LOW, 1) == Decision::Run {
            id += 1;
        }
        // 245 own + borrowed: system round(74 × 33 %) = 24, node-high round(98 × 25 %) = 25,
        // workload-high 49, global-default round(49 × 50 %) = 25 (leader-election and
        // catch-all lend nothing).
        assert_eq!(id, 245 + 24 + 25 + 49 + 25, "seats incl. borrowed");
        let heavy = flow_hash("service-accounts", "system:serviceaccount:argo:argo");
        let mut queued = 1; // the one that found no seat above
        loop {
            id += 1;
            match a.admit(q(id), LOW, heavy) {
                Decision::Queued => queued += 1,
                Decision::Reject => break,
                Decision::Run => panic!("no seat left"),
            }
        }
        assert!(
            queued <= 6 * 50 + 1,
            "one flow holds at most its hand: {queued}"
        );
        assert!(queued >= 50, "{queued}");
        let other = flow_hash("service-accounts", "system:serviceaccount:other:default");
        assert_eq!(a.admit(q(99_999), LOW, other), Decision::Queued);
        // Seats free one at a time: the other flow's request is not behind the whole backlog.
        let mut order = Vec::new();
        let mut started = Vec::new();
        for _ in 0..10 {
            a.release(LOW, &mut started);
            order.extend(started.iter().map(|x| x.id));
        }
        assert!(order.contains(&99_999), "{order:?}");
    }

    /// Lendable seats (`bootstrap/default.go` LendablePercent; borrowing as
    /// `apf_controller.go` allows it, decided per request here): workload-low (245 nominal,
    /// 90 % lendable = 221) lends to a busy level, and gets them back when the borrower's
    /// requests end.
    #[test]
    fn levels_borrow_spare_seats_and_give_them_back() {
        let mut a = Apf::new(600);
        assert_eq!(a.lendable(LOW), 221);
        let gd = 5; // global-default: 49 nominal
        let mut ids = 0;
        while a.admit(q(ids), gd, ids as u64) == Decision::Run {
            ids += 1;
        }
        assert_eq!(ids, 49 + 24 + 25 + 49 + 221, "borrowed beyond its 49");
        assert_eq!(a.levels[gd].used, ids as u32);
        // The request that found no seat was queued; it runs on the first release.
        for _ in 0..=ids {
            a.release(gd, &mut Vec::new());
        }
        assert!(
            a.levels
                .iter()
                .all(|l| l.lent == 0 && l.borrowed == 0 && l.used == 0)
        );
    }

    /// `droppedRequestsStats` (`dropped_requests_tracker.go`): 1 s, doubled after ≥ 3 ×
    /// retryAfter drops within retryAfter seconds, stepped down by one when drops are fewer.
    #[test]
    fn retry_after_adapts_between_1_and_32_seconds() {
        let mut a = Apf::new(600);
        assert_eq!(a.retry_after(LOW), SimTime::from_secs(1));
        let t = |s: u64| SimTime::from_secs(s);
        for s in 10..60 {
            for _ in 0..200 {
                a.record_dropped(LOW, t(s));
            }
        }
        assert_eq!(a.retry_after(LOW), SimTime::from_secs(32));
        // It only changes when a drop is recorded: sparse drops (one every 40 s) step it down
        // by one each, as the window before each holds fewer than retryAfter drops.
        for k in 0..31 {
            a.record_dropped(LOW, t(100 + 40 * k));
        }
        assert_eq!(a.retry_after(LOW), SimTime::from_secs(1));
    }
}
