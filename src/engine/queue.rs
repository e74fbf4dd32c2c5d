//! The future-event list: a monotone radix heap on event times, first in first out within
//! one time.
//!
//! Every event carries a monotone insertion sequence, so events scheduled for the same instant
//! run in the order they were scheduled (FIFO), which makes every run reproducible. The clock
//! never goes back, so every time pushed is at or above the last one popped: the condition for
//! a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990). Entries sit in 65 buckets by the
//! highest bit in which their time differs from the last minimum (bucket 0: equal to it) and
//! only ever move to a lower bucket. Equal times are always in one bucket, in sequence order
//! (pushes append, and a bucket is redistributed in order), so bucket 0 is a FIFO of the
//! events due at the current minimum and the queue pops in exactly the `(time, seq)` order of
//! a binary heap on the same keys: results do not depend on the structure. A push is an
//! append, an event due now goes straight to bucket 0, and a pop rescans one bucket now and
//! then instead of sifting through `log n` scattered levels (`BENCHMARKS.md`); a bucket of
//! [`SPLIT_LARGE`] entries or more is split in place, so that a split does not hold its
//! entries several times over (the run's peak memory can sit on one). Cancellation is
//! lazy: a cancelled timer's entry stays queued and is skipped when it comes up (its key is
//! kept in a min-heap of cancelled keys; entries pop in key order, so one comparison with
//! the smallest tells a pop whether it is cancelled). A timer can
//! also be held outside the queue under a reserved sequence number (`reserve`) and queued
//! later under it (`schedule_reserved`): the events due at one time are then put back in
//! sequence order, so it pops exactly where it would have had it been queued at once.
//!
//! Streams of events scheduled in time order (a constant delay after now, such as a
//! progress tick's period or a request's network time; a FIFO server's completions) can go
//! to a *lane* instead ([`EventQueue::schedule_stream`]): a plain FIFO, appended to while
//! the new time is not before its last, popped from its front. A pop takes the smallest
//! `(time, seq)` among the heap's minimum and the lanes' fronts, so the order is the same
//! whichever holds an event; an event that would break a lane's order goes to the heap.
//! The heap is settled only when its minimum is not after every lane's front (the lowest
//! bucket's minimum is found by a scan, kept and extended as entries are appended, so a
//! push pays nothing for it), so its reference time never passes the clock. A caller may also
//! hold a stream of its own events outside the queue (`HeldStreams`) and offer its earliest
//! key to [`EventQueue::pop_until_or`], which competes it like a lane's front.

use super::SimTime;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Handle of a scheduled event, usable to cancel it before it fires: its sequence number and
/// its time (the queue's key; none for a number only reserved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId {
    seq: u64,
    time: u64,
}

impl TimerId {
    /// The time of a number taken by [`EventQueue::reserve`] and not yet scheduled.
    const UNSCHEDULED: u64 = u64::MAX;

    /// Its sequence number (events due at one time run in this order).
    pub fn seq(self) -> u64 {
        self.seq
    }
}

/// A queued event: its time, its insertion sequence (the FIFO tie-break and the timer id).
struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

/// Largest allocation (entries) an emptied bucket, or an emptied `due`, keeps for reuse.
const KEEP_CAPACITY: usize = 128;

/// An emptied bucket keeps its room only while this many entries are queued, and only up to
/// the entries queued: a small run does not hold a few entries' room in every bucket its
/// timers went through (on the 36-pod semaphores scenario that was 5 KiB of 43), while a busy
/// queue reuses its buckets' room (the market run and the default-scenario grid were
/// unchanged, A/B).
const KEEP_FROM: usize = 64;

/// Entries from which a bucket is split by [`EventQueue::split_large`] (its memory saving
/// matters for large buckets only; below this the plain split is faster: the engine's hold
/// benchmark, 1,000 pending, ran 10-20 % slower with every bucket over 256 split that way).
const SPLIT_LARGE: usize = 1024;

/// [`EventQueue::next_cancelled`] with no timer cancelled: above every key.
const NONE_CANCELLED: (u64, u64) = (u64::MAX, u64::MAX);

/// Buckets: 0 holds the entries whose time equals the last minimum, `b` (1..=64) those whose
/// time differs from it first in bit `b - 1`.
const BUCKETS: usize = 65;

/// FIFO lanes for streams scheduled in time order ([`EventQueue::schedule_stream`]): a
/// handful (a run has few recurring delays: each API request class's network time, the
/// progress tick); a stream finding none free goes to the heap.
const LANES: usize = 8;

/// A FIFO lane: entries of one stream, in `(time, seq)` order (its stream and last time
/// are in [`EventQueue::lane_tags`], scanned without touching the entries).
struct Lane<E> {
    entries: VecDeque<Entry<E>>,
}

/// Where the next live event is.
#[derive(Clone, Copy)]
enum Next {
    /// The front of the heap's `due`.
    Heap,
    /// The front of lane `i`.
    Lane(usize),
    /// The caller's external stream ([`EventQueue::pop_until_or`]).
    External,
}

/// What [`EventQueue::pop_until_or`] found next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<E> {
    /// A queued event, now due (the clock is at its time).
    Event(SimTime, E),
    /// The caller's external event comes first: the clock is at its time and it is the event
    /// being handled ([`EventQueue::current`]); the caller handles it.
    External,
    /// Nothing is due by the limit.
    End,
}

/// The bucket of `time` relative to the last minimum `last`.
#[inline]
fn bucket(time: u64, last: u64) -> usize {
    (64 - (time ^ last).leading_zeros()) as usize
}

/// A deterministic event queue with a clock.
///
/// The clock only moves forward: [`EventQueue::pop`] sets `now` to the popped event's time,
/// and scheduling in the past is clamped to `now` (it runs after events already due now).
pub struct EventQueue<E> {
    /// The events due at `last`, in sequence order.
    due: VecDeque<Entry<E>>,
    /// Buckets 1..=64 (index 0 unused).
    buckets: Vec<Vec<Entry<E>>>,
    /// Bit `b - 1` set when bucket `b` (1..=64) is non-empty.
    occupied: u64,
    /// The last minimum: the time of the entries in `due`, a lower bound of all times.
    last: u64,
    len: usize,
    /// Keys `(time, seq)` of the cancelled timers not yet come up, smallest first: entries
    /// pop in key order, so a popped entry is cancelled exactly when its key is the smallest
    /// here, and one comparison with [`EventQueue::next_cancelled`] clears all others.
    cancelled: BinaryHeap<Reverse<(u64, u64)>>,
    /// The smallest key in `cancelled` (`(u64::MAX, u64::MAX)` when it is empty).
    next_cancelled: (u64, u64),
    next_seq: u64,
    now: SimTime,
    popped: u64,
    /// Sequence number of the event popped last (the one being handled).
    current: u64,
    /// Latest time of an entry scheduled under a reserved (older) sequence number: until the
    /// clock passes it, the events due at one time are put back in sequence order.
    reserved_until: Option<u64>,
    /// Counts the reorganisations of the buckets (a settle, a split, a rebase, a discard):
    /// an entry leaves a bucket only then; between them buckets are only appended to.
    reorgs: u64,
    /// The lowest occupied bucket's smallest time as last found for the lanes: (`reorgs`
    /// then, bucket, entries scanned, their smallest time). Extended over the entries
    /// appended since, rescanned after a reorganisation; `put` pays nothing for it.
    low_min: (u64, usize, usize, u64),
    /// FIFO lanes of streams scheduled in time order.
    lanes: Vec<Lane<E>>,
    /// Per lane: the stream it holds (reassigned when it is empty) and its last entry's time.
    lane_tags: [(u64, u64); LANES],
    /// Bit `i` set when lane `i` holds entries.
    lanes_busy: u32,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            due: VecDeque::new(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: 0,
            last: 0,
            len: 0,
            cancelled: BinaryHeap::new(),
            next_cancelled: NONE_CANCELLED,
            next_seq: 0,
            now: SimTime::ZERO,
            popped: 0,
            current: 0,
            reserved_until: None,
            reorgs: 0,
            low_min: (u64::MAX, 0, 0, u64::MAX),
            lanes: Vec::new(),
            lane_tags: [(0, 0); LANES],
            lanes_busy: 0,
        }
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of events delivered so far (cancelled ones excluded).
    pub fn delivered(&self) -> u64 {
        self.popped
    }

    /// Drop every pending entry and free the queue's storage (the run is over and its report
    /// is built next: the buckets' room, sized by the busiest moment of the run, is not held
    /// through it). The clock and the delivered count are kept; the queue stays usable.
    pub fn discard_pending(&mut self) {
        self.due = VecDeque::new();
        for b in &mut self.buckets {
            *b = Vec::new();
        }
        self.occupied = 0;
        self.reorgs += 1;
        self.len = 0;
        self.cancelled = BinaryHeap::new();
        self.next_cancelled = NONE_CANCELLED;
        self.reserved_until = None;
        self.lanes = Vec::new();
        self.lanes_busy = 0;
    }

    /// Entries still queued, including cancelled ones not yet skipped.
    pub fn pending(&self) -> usize {
        self.len
    }

    #[inline]
    fn put(&mut self, e: Entry<E>) {
        match bucket(e.time, self.last) {
            0 => self.due.push_back(e),
            b => {
                self.buckets[b].push(e);
                self.occupied |= 1 << (b - 1);
            }
        }
    }

    /// Schedule `event` at absolute time `at` (clamped to now).
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> TimerId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let time = at.max(self.now).0;
        if time < self.last {
            // Only after a peek moved the minimum past `now` (`pop_until` stopping at a
            // limit) and something is then scheduled before it: re-bucket around the new time.
            self.rebase(time);
        }
        self.put(Entry { time, seq, event });
        self.len += 1;
        TimerId { seq, time }
    }

    /// Lower the last minimum to `time` and re-bucket every entry, keeping each bucket's order
    /// (the rare non-monotone path).
    #[cold]
    fn rebase(&mut self, time: u64) {
        self.reorgs += 1;
        self.last = time;
        self.occupied = 0;
        let mut all: Vec<Entry<E>> = self.due.drain(..).collect();
        for b in &mut self.buckets {
            all.append(b);
        }
        for e in all {
            self.put(e);
        }
    }

    /// Schedule `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimTime, event: E) -> TimerId {
        let at = self.now.plus(delay);
        self.schedule_at(at, event)
    }

    /// [`EventQueue::schedule_at`] for an event of `stream`, a stream the caller schedules
    /// in time order (a constant delay after now: use the delay as the stream; a FIFO
    /// server's completions). It goes to the stream's lane, a FIFO, while its time is not
    /// before the lane's last; otherwise, or with no lane free, to the heap. Either way it
    /// pops at the same place: only the cost differs (an append and a front pop instead of
    /// the heap's moves between buckets).
    #[inline]
    pub fn schedule_stream(&mut self, stream: u64, at: SimTime, event: E) -> TimerId {
        let time = at.max(self.now).0;
        let mut busy = self.lanes_busy;
        while busy != 0 {
            let i = busy.trailing_zeros() as usize;
            busy &= busy - 1;
            let (tag, last) = self.lane_tags[i];
            if tag == stream {
                if last <= time {
                    return self.push_lane(i, time, event);
                }
                return self.schedule_at(at, event);
            }
        }
        // A free lane: the first one not busy (made on first use).
        let i = (!self.lanes_busy).trailing_zeros() as usize;
        if i >= LANES {
            return self.schedule_at(at, event);
        }
        if i == self.lanes.len() {
            self.lanes.push(Lane {
                entries: VecDeque::new(),
            });
        }
        self.lane_tags[i].0 = stream;
        self.push_lane(i, time, event)
    }

    /// [`EventQueue::schedule_in`] for a delay the caller uses again and again (a period, a
    /// fixed network time): the events of one delay are in time order, so they share a lane
    /// ([`EventQueue::schedule_stream`] with the delay as the stream).
    #[inline]
    pub fn schedule_recurring(&mut self, delay: SimTime, event: E) -> TimerId {
        let at = self.now.plus(delay);
        self.schedule_stream(delay.0, at, event)
    }

    /// Append to lane `i` (its last time is not after `time`).
    #[inline]
    fn push_lane(&mut self, i: usize, time: u64, event: E) -> TimerId {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.lanes[i].entries.push_back(Entry { time, seq, event });
        self.lane_tags[i].1 = time;
        self.lanes_busy |= 1 << i;
        self.len += 1;
        TimerId { seq, time }
    }

    /// Take the sequence number the next [`EventQueue::schedule_at`] would use, without
    /// scheduling anything: a component can hold a timer "in hand" (a virtual timer) and later
    /// either drop it or schedule it under this number with [`EventQueue::schedule_reserved`],
    /// where it takes exactly the place in the order it would have had if scheduled now.
    pub fn reserve(&mut self) -> TimerId {
        let seq = self.next_seq;
        self.next_seq += 1;
        TimerId {
            seq,
            time: TimerId::UNSCHEDULED,
        }
    }

    /// Schedule `event` at `at` under the sequence number `id` from [`EventQueue::reserve`]
    /// (`at` must not be before the event being handled: the timer was due later); returns
    /// the id to cancel it by.
    pub fn schedule_reserved(&mut self, id: TimerId, at: SimTime, event: E) -> TimerId {
        let time = at.max(self.now).0;
        if time < self.last {
            self.rebase(time);
        }
        self.reserved_until = Some(self.reserved_until.map_or(time, |t| t.max(time)));
        self.put(Entry {
            time,
            seq: id.seq,
            event,
        });
        self.len += 1;
        self.order_due();
        TimerId { seq: id.seq, time }
    }

    /// `(time, sequence)` of the event being handled (the last popped): a virtual timer held
    /// under a reserved number is due once its `(time, sequence)` is below this.
    pub fn current(&self) -> (SimTime, u64) {
        (self.now, self.current)
    }

    /// Events due at one time pop in sequence order: an entry scheduled under a reserved
    /// number may have been appended after later-numbered ones; sort them back (the due
    /// events of one instant are few).
    #[inline]
    fn order_due(&mut self) {
        if let Some(until) = self.reserved_until {
            if self.last > until {
                self.reserved_until = None;
            } else if self.due.len() > 1 {
                let d = self.due.make_contiguous();
                if !d.is_sorted_by_key(|e| e.seq) {
                    d.sort_unstable_by_key(|e| e.seq);
                }
            }
        }
    }

    /// Cancel a scheduled event. Cancelling one that already fired or was cancelled, or a
    /// number only reserved, is a no-op (the key of a fired timer is below every key still
    /// queued: the next pop forgets it).
    pub fn cancel(&mut self, id: TimerId) {
        if id.time == TimerId::UNSCHEDULED {
            return;
        }
        let key = (id.time, id.seq);
        self.cancelled.push(Reverse(key));
        self.next_cancelled = self.next_cancelled.min(key);
    }

    /// Whether the entry of key `(time, seq)`, the smallest live key left, was cancelled
    /// (then it is forgotten here, and the caller drops the entry).
    #[inline]
    fn take_cancelled(&mut self, time: u64, seq: u64) -> bool {
        if (time, seq) < self.next_cancelled {
            return false;
        }
        self.take_cancelled_slow((time, seq))
    }

    /// [`EventQueue::take_cancelled`] when a cancelled key is at or before `key`: drop the
    /// keys before it (a timer cancelled twice, or after it fired), then match it.
    #[cold]
    fn take_cancelled_slow(&mut self, key: (u64, u64)) -> bool {
        let mut hit = false;
        while let Some(&Reverse(k)) = self.cancelled.peek() {
            if k > key {
                break;
            }
            hit |= k == key;
            self.cancelled.pop();
        }
        self.next_cancelled = self.cancelled.peek().map_or(NONE_CANCELLED, |r| r.0);
        hit
    }

    /// Make `due` hold the earliest entries (if any): empty the lowest non-empty bucket into
    /// lower ones around its minimum, in order. Returns false when the queue is empty.
    #[inline]
    fn settle(&mut self) -> bool {
        if !self.due.is_empty() {
            return true;
        }
        if self.occupied == 0 {
            return false;
        }
        // `due` is empty: like an emptied bucket, it keeps its room up to KEEP_CAPACITY only
        // (a burst of events at one instant, such as every submission at time zero, would
        // otherwise hold its size for the rest of the run).
        if self.due.capacity() > KEEP_CAPACITY {
            self.free_due();
        }
        let b = self.occupied.trailing_zeros() as usize + 1;
        let mut entries = std::mem::take(&mut self.buckets[b]);
        self.occupied &= !(1 << (b - 1));
        self.last = entries.iter().map(|e| e.time).min().unwrap_or(self.last);
        self.reorgs += 1;
        if entries.len() > SPLIT_LARGE {
            self.split_large(entries);
            self.order_due();
            return true;
        }
        for e in entries.drain(..) {
            self.put(e);
        }
        // Keep the emptied bucket's allocation for later entries unless it is over
        // KEEP_CAPACITY (or over the entries queued, or fewer than KEEP_FROM are): a bucket that once held thousands of timers (a minute-long tick of
        // every running pod) would otherwise keep that memory for the rest of the run, in each
        // bucket the timers passed through. Buckets of SPLIT_LARGE or more went to `split_large`.
        if self.len >= KEEP_FROM && entries.capacity() <= KEEP_CAPACITY.min(self.len) {
            self.buckets[b] = entries;
        }
        self.order_due();
        true
    }

    /// Drop `due`'s (empty) allocation. Out of line: it is rare, and `settle` is inlined into
    /// the event loop.
    #[cold]
    #[inline(never)]
    fn free_due(&mut self) {
        self.due = VecDeque::new();
    }

    /// Split a large bucket (every lower bucket and `due` are empty). The lower bucket that
    /// receives most of the entries, if at least half, takes over the bucket's allocation in
    /// place (the others are moved out, in order); every other lower bucket is sized once for
    /// what it receives. The split then holds the entries about once, not up to three times
    /// (the source plus doubling `Vec`s). Kept out of line: inlined, it grew `settle` enough to
    /// stop the event loop inlining the pop (13 % on the 5,000-pod fan-out).
    #[cold]
    #[inline(never)]
    fn split_large(&mut self, mut entries: Vec<Entry<E>>) {
        let last = self.last;
        let mut counts = [0u32; BUCKETS];
        for e in &entries {
            counts[bucket(e.time, last)] += 1;
        }
        let (top, &most) = (counts.iter().enumerate())
            .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))
            .expect("65 buckets");
        let in_place = 2 * most as usize >= entries.len();
        for (i, &n) in counts.iter().enumerate() {
            if in_place && i == top {
                continue;
            }
            match i {
                0 => self.due.reserve_exact(n as usize),
                _ => self.buckets[i].reserve_exact(n as usize),
            }
        }
        if !in_place {
            for e in entries.drain(..) {
                self.put(e);
            }
            return;
        }
        for e in entries.extract_if(.., |e| bucket(e.time, last) != top) {
            self.put(e);
        }
        // `entries` now holds, in order, exactly the entries of bucket `top` (empty so far).
        match top {
            0 => self.due = VecDeque::from(entries),
            _ => {
                self.buckets[top] = entries;
                self.occupied |= 1 << (top - 1);
            }
        }
    }

    /// The earliest live entry's time, skipping (and dropping) cancelled ones.
    #[inline]
    fn settle_live(&mut self) -> Option<u64> {
        while self.settle() {
            let top = self.due.front().map(|e| (e.time, e.seq))?;
            if !self.take_cancelled(top.0, top.1) {
                return Some(top.0);
            }
            self.due.pop_front();
            self.len -= 1;
        }
        None
    }

    /// Where the earliest live event is, and its time: the heap's minimum or a lane's front,
    /// the smallest `(time, seq)`. The heap is settled only if its minimum may come first.
    #[inline]
    fn next_live(&mut self) -> Option<(u64, Next)> {
        self.next_live_or(None)
    }

    /// [`EventQueue::next_live`] with an external stream's next key competing.
    #[inline]
    fn next_live_or(&mut self, ext: Option<(u64, u64)>) -> Option<(u64, Next)> {
        if self.lanes_busy == 0 && ext.is_none() {
            return self.settle_live().map(|t| (t, Next::Heap));
        }
        self.next_with_lanes(ext)
    }

    /// The smallest time in bucket `b` (the lowest occupied one), from [`EventQueue::low_min`]
    /// extended over the entries appended since it was found.
    fn lowest_bucket_min(&mut self, b: usize) -> u64 {
        let entries = &self.buckets[b];
        let (reorgs, cb, n, m) = self.low_min;
        let (from, m) = if reorgs == self.reorgs && cb == b && n <= entries.len() {
            (n, m)
        } else {
            (0, u64::MAX)
        };
        let m = entries[from..].iter().fold(m, |m, e| m.min(e.time));
        self.low_min = (self.reorgs, b, entries.len(), m);
        m
    }

    /// [`EventQueue::next_live`] with lanes in use or an external key `ext` (a lane of one
    /// that is never cancelled).
    fn next_with_lanes(&mut self, ext: Option<(u64, u64)>) -> Option<(u64, Next)> {
        loop {
            // The lanes' smallest front.
            let mut best: Option<(u64, u64, usize)> = None;
            let mut busy = self.lanes_busy;
            while busy != 0 {
                let i = busy.trailing_zeros() as usize;
                busy &= busy - 1;
                let e = self.lanes[i]
                    .entries
                    .front()
                    .expect("a busy lane has entries");
                if best.is_none_or(|(t, s, _)| (e.time, e.seq) < (t, s)) {
                    best = Some((e.time, e.seq, i));
                }
            }
            const EXT: usize = usize::MAX;
            if let Some((et, es)) = ext
                && best.is_none_or(|(t, s, _)| (et, es) < (t, s))
            {
                best = Some((et, es, EXT));
            }
            let Some((lt, ls, li)) = best else {
                return self.settle_live().map(|t| (t, Next::Heap));
            };
            // The heap's live minimum, if it precedes the lane's front. A bucket is settled
            // only while its smallest time is not after the lane's front (skipping cancelled
            // entries may move on to later buckets): the heap's reference time stays at or
            // below the clock.
            loop {
                let Some(h) = self.due.front() else {
                    if self.occupied == 0 {
                        break;
                    }
                    let b = self.occupied.trailing_zeros() as usize + 1;
                    if self.lowest_bucket_min(b) > lt {
                        break;
                    }
                    self.settle();
                    continue;
                };
                let (t, hs) = (h.time, h.seq);
                if (t, hs) > (lt, ls) {
                    break;
                }
                if !self.take_cancelled(t, hs) {
                    return Some((t, Next::Heap));
                }
                self.due.pop_front();
                self.len -= 1;
            }
            if li == EXT {
                return Some((lt, Next::External));
            }
            if !self.take_cancelled(lt, ls) {
                return Some((lt, Next::Lane(li)));
            }
            self.pop_lane_entry(li);
        }
    }

    /// Remove lane `i`'s front entry.
    #[inline]
    fn pop_lane_entry(&mut self, i: usize) -> Option<Entry<E>> {
        let lane = &mut self.lanes[i];
        let e = lane.entries.pop_front()?;
        if lane.entries.is_empty() {
            self.lanes_busy &= !(1 << i);
            if lane.entries.capacity() > KEEP_CAPACITY || self.len < KEEP_FROM {
                lane.entries = VecDeque::new();
            }
        }
        self.len -= 1;
        Some(e)
    }

    /// Time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.next_live().map(|(t, _)| SimTime(t))
    }

    /// Remove and return the next live event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (_, next) = self.next_live()?;
        self.pop_live(next)
    }

    /// Pop the live minimum `next_live` has just found.
    #[inline]
    fn pop_live(&mut self, next: Next) -> Option<(SimTime, E)> {
        let e = match next {
            Next::Heap => {
                let e = self.due.pop_front()?;
                self.len -= 1;
                e
            }
            Next::Lane(i) => self.pop_lane_entry(i)?,
            Next::External => return None,
        };
        let t = SimTime(e.time);
        self.now = t;
        self.popped += 1;
        self.current = e.seq;
        Some((t, e.event))
    }

    /// Like [`EventQueue::pop`] but only if the next event is at or before `limit`.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        match self.next_live() {
            Some((t, next)) if t <= limit.0 => self.pop_live(next),
            _ => None,
        }
    }

    /// [`EventQueue::pop_until`] with the caller's own stream of events competing: `ext`
    /// is the key of its next one (its time, at or after now, and a sequence number from
    /// [`EventQueue::reserve`], drawn when it was scheduled). When it comes first, the clock
    /// moves to it, it counts as delivered and [`Step::External`] tells the caller to handle
    /// it: exactly where it would have popped had it been queued, without queueing it.
    #[inline]
    pub fn pop_until_or(&mut self, limit: SimTime, ext: Option<(SimTime, u64)>) -> Step<E> {
        let ext = ext.map(|(t, s)| (t.0, s));
        match self.next_live_or(ext) {
            Some((t, Next::External)) if t <= limit.0 => {
                self.now = SimTime(t);
                self.current = ext.map_or(0, |e| e.1);
                self.popped += 1;
                Step::External
            }
            Some((t, next)) if t <= limit.0 => match self.pop_live(next) {
                Some((t, e)) => Step::Event(t, e),
                None => Step::End,
            },
            _ => Step::End,
        }
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
