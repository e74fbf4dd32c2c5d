//! The future-event list: a binary min-heap keyed by `(time, seq)`.
//!
//! `seq` is a monotone insertion counter, so events scheduled for the same instant run in the
//! order they were scheduled (FIFO), which makes every run reproducible. Cancellation is lazy:
//! a cancelled timer's entry stays in the heap and is skipped when it reaches the top.

use super::SimTime;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a timer's sequence number with one multiply (Fibonacci hashing). The cancelled set
/// is only looked up, never iterated, so its hasher cannot change any result; SipHash cost a
/// few percent of a run.
#[derive(Default, Clone, Copy)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Handle of a scheduled event, usable to cancel it before it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(u64);

/// Heap entry; `key` packs `(time, seq)` into one integer so ordering is a single compare.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
    fn seq(&self) -> u64 {
        self.key as u64
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, we want the earliest (time, seq) on top.
        other.key.cmp(&self.key)
    }
}

/// A deterministic event queue with a clock.
///
/// The clock only moves forward: [`EventQueue::pop`] sets `now` to the popped event's time,
/// and scheduling in the past is clamped to `now` (it runs after events already due now).
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    cancelled: HashSet<u64, BuildHasherDefault<SeqHasher>>,
    next_seq: u64,
    now: SimTime,
    popped: u64,
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
            heap: BinaryHeap::new(),
            cancelled: HashSet::default(),
            next_seq: 0,
            now: SimTime::ZERO,
            popped: 0,
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

    /// Entries still in the heap, including cancelled ones not yet skipped.
    pub fn pending(&self) -> usize {
        self.heap.len()
    }

    /// Schedule `event` at absolute time `at` (clamped to now).
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> TimerId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let time = at.max(self.now);
        self.heap.push(Entry {
            key: (u128::from(time.0) << 64) | u128::from(seq),
            event,
        });
        TimerId(seq)
    }

    /// Schedule `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimTime, event: E) -> TimerId {
        let at = self.now.plus(delay);
        self.schedule_at(at, event)
    }

    /// Cancel a scheduled event. Cancelling one that already fired or was cancelled is a no-op.
    pub fn cancel(&mut self, id: TimerId) {
        if id.0 < self.next_seq {
            self.cancelled.insert(id.0);
        }
    }

    /// Time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        self.heap.peek().map(Entry::time)
    }

    fn skip_cancelled(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.cancelled.is_empty() || !self.cancelled.contains(&top.seq()) {
                break;
            }
            let seq = top.seq();
            self.heap.pop();
            self.cancelled.remove(&seq);
        }
    }

    /// Remove and return the next live event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.skip_cancelled();
        self.pop_live()
    }

    /// Pop the top entry, which `skip_cancelled` has just made live.
    fn pop_live(&mut self) -> Option<(SimTime, E)> {
        let e = self.heap.pop()?;
        let t = e.time();
        self.now = t;
        self.popped += 1;
        Some((t, e.event))
    }

    /// Like [`EventQueue::pop`] but only if the next event is at or before `limit`.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        match self.peek_time() {
            Some(t) if t <= limit => self.pop_live(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_are_fifo() {
        let mut q = EventQueue::new();
        for i in 0..100 {
            q.schedule_at(SimTime(5), i);
        }
        let got: Vec<i32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn orders_by_time_then_seq() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(30), "c");
        q.schedule_at(SimTime(10), "a");
        q.schedule_at(SimTime(20), "b1");
        q.schedule_at(SimTime(20), "b2");
        let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(got, vec!["a", "b1", "b2", "c"]);
        assert_eq!(q.now(), SimTime(30));
    }

    #[test]
    fn cancelled_timers_never_fire() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(SimTime(1), 1);
        q.schedule_at(SimTime(2), 2);
        let c = q.schedule_at(SimTime(3), 3);
        q.cancel(a);
        q.cancel(c);
        q.cancel(c);
        assert_eq!(q.pop(), Some((SimTime(2), 2)));
        assert_eq!(q.pop(), None);
        assert_eq!(q.delivered(), 1);
    }

    #[test]
    fn past_is_clamped_to_now() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(10), 0);
        q.pop();
        q.schedule_at(SimTime(3), 1);
        assert_eq!(q.pop(), Some((SimTime(10), 1)));
    }

    #[test]
    fn pop_until_respects_limit() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(10), 0);
        assert_eq!(q.pop_until(SimTime(9)), None);
        assert_eq!(q.pop_until(SimTime(10)), Some((SimTime(10), 0)));
    }
}
