//! client-go's rate-limited delaying work queue, as the workflow controller uses it.
//!
//! Semantics kept: a key is in the queue at most once (`dirty` set); a key re-added while a
//! worker processes it is queued again only when that worker calls [`WorkQueue::done`]; a
//! delayed add (`AddAfter`) keeps the *earlier* ready time if the key is already waiting.
//! The caller owns the timers: [`WorkQueue::add_after`] returns the time at which the caller
//! must call [`WorkQueue::timer_fired`]; stale timers are ignored.
//! Keys are dense integers (workflow indices).

use crate::engine::{OptTime, SimTime};
use std::collections::VecDeque;

/// One key's state, in 16 bytes (kept for every workflow, and every pod in the cleanup
/// queue, of a run).
#[derive(Debug, Clone, Copy, Default)]
struct Key {
    /// Ready time of its pending delayed add.
    waiting: OptTime,
    /// When it was last marked dirty (its `queue_latency` counts from here), in µs, in the
    /// low 62 bits (times clamp to 2^62 − 1 µs, ~146,000 years); bit 62: in the dirty set
    /// (to be processed); bit 63: a worker holds it.
    bits: u64,
}

const DIRTY: u64 = 1 << 62;
const PROCESSING: u64 = 1 << 63;
const TIME_BITS: u64 = DIRTY - 1;

impl Key {
    fn dirty(self) -> bool {
        self.bits & DIRTY != 0
    }

    fn processing(self) -> bool {
        self.bits & PROCESSING != 0
    }

    fn queued_at(self) -> SimTime {
        SimTime(self.bits & TIME_BITS)
    }

    /// Set or clear `flag` ([`DIRTY`] or [`PROCESSING`]).
    fn set(&mut self, flag: u64, on: bool) {
        if on {
            self.bits |= flag;
        } else {
            self.bits &= !flag;
        }
    }

    fn set_queued_at(&mut self, t: SimTime) {
        self.bits = (self.bits & !TIME_BITS) | t.0.min(TIME_BITS);
    }
}

/// A work queue of dense integer keys.
#[derive(Debug, Default, Clone)]
pub struct WorkQueue {
    /// Ready keys, in order (keys are workflow or pod ids: u32).
    queue: VecDeque<u32>,
    keys: Vec<Key>,
    /// `queue_adds_count`.
    pub adds: u64,
    /// Deepest the queue has been.
    pub max_depth: usize,
}

impl WorkQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    fn ensure(&mut self, key: usize) {
        if key >= self.keys.len() {
            self.keys.resize(key + 1, Key::default());
        }
    }

    /// Keys ready and waiting for a worker (`queue_depth_gauge`).
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// No key is ready.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// `Add`: make the key ready now (deduplicated).
    pub fn add(&mut self, key: usize, now: SimTime) {
        self.ensure(key);
        self.adds += 1;
        let k = &mut self.keys[key];
        if k.dirty() {
            return;
        }
        k.set(DIRTY, true);
        k.set_queued_at(now);
        if k.processing() {
            return;
        }
        self.queue.push_back(key as u32);
        self.max_depth = self.max_depth.max(self.queue.len());
    }

    /// `AddAfter`: ready after `delay`. Returns the time the caller must fire a timer at, or
    /// `None` if nothing new needs a timer (added now, or an earlier timer already waits).
    pub fn add_after(&mut self, key: usize, delay: SimTime, now: SimTime) -> Option<SimTime> {
        self.ensure(key);
        if delay == SimTime::ZERO {
            self.add(key, now);
            return None;
        }
        let at = now.plus(delay);
        let k = &mut self.keys[key];
        match k.waiting.get() {
            Some(t) if t <= at => None,
            _ => {
                k.waiting = OptTime::some(at);
                Some(at)
            }
        }
    }

    /// A timer set from [`WorkQueue::add_after`] fired; adds the key if it is still due.
    pub fn timer_fired(&mut self, key: usize, at: SimTime, now: SimTime) {
        if self
            .keys
            .get(key)
            .is_some_and(|k| k.waiting.get() == Some(at))
        {
            self.keys[key].waiting = OptTime::NONE;
            self.add(key, now);
        }
    }

    /// `Get`: the next ready key and how long it waited in the queue (`queue_latency`).
    pub fn get(&mut self, now: SimTime) -> Option<(usize, SimTime)> {
        let key = self.queue.pop_front()? as usize;
        let k = &mut self.keys[key];
        k.set(PROCESSING, true);
        k.set(DIRTY, false);
        Some((key, now.since(k.queued_at())))
    }

    /// `Done`: the worker finished; a key re-added meanwhile becomes ready again.
    pub fn done(&mut self, key: usize) {
        if let Some(k) = self.keys.get_mut(key) {
            k.set(PROCESSING, false);
            if k.dirty() {
                self.queue.push_back(key as u32);
                self.max_depth = self.max_depth.max(self.queue.len());
            }
        }
    }

    /// Drop a key's pending delayed add (the workflow no longer needs reconciling).
    pub fn forget(&mut self, key: usize) {
        if let Some(k) = self.keys.get_mut(key) {
            k.waiting = OptTime::NONE;
        }
    }

    /// Whether the key is anywhere in the queue: waiting on a delay, ready, or being
    /// processed.
    pub fn contains(&self, key: usize) -> bool {
        self.keys
            .get(key)
            .is_some_and(|k| k.dirty() || k.processing() || k.waiting.is_some())
    }

    /// Whether the key is ready and waiting for a worker.
    pub fn is_ready(&self, key: usize) -> bool {
        self.keys
            .get(key)
            .is_some_and(|k| k.dirty() && !k.processing())
    }

    /// Whether a worker holds the key.
    pub fn is_processing(&self, key: usize) -> bool {
        self.keys.get(key).is_some_and(|k| k.processing())
    }

    /// Free the per-key state (the run is over; the counters stay).
    pub fn release(&mut self) {
        self.queue = VecDeque::new();
        self.keys = Vec::new();
    }

    /// Whether any key still has a delayed add pending.
    pub fn has_waiting(&self) -> bool {
        self.keys.iter().any(|k| k.waiting.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const T0: SimTime = SimTime::ZERO;

    #[test]
    fn a_key_takes_16_bytes_and_keeps_its_flags_apart_from_its_time() {
        assert_eq!(std::mem::size_of::<Key>(), 16);
        let mut k = Key::default();
        k.set_queued_at(SimTime(TIME_BITS));
        k.set(DIRTY, true);
        assert!(k.dirty() && !k.processing());
        k.set(PROCESSING, true);
        k.set_queued_at(SimTime(7));
        assert!(k.dirty() && k.processing());
        assert_eq!(k.queued_at(), SimTime(7));
        k.set(DIRTY, false);
        assert!(!k.dirty() && k.processing());
        k.set_queued_at(SimTime::MAX);
        assert_eq!(k.queued_at(), SimTime(TIME_BITS));
        assert!(k.processing());
    }

    /// client-go `util/workqueue/queue.go` `Add`: a key already in the dirty set is not
    /// queued twice.
    #[test]
    fn dedups_ready_keys() {
        let mut q = WorkQueue::new();
        q.add(1, T0);
        q.add(1, T0);
        q.add(2, T0);
        assert_eq!(q.len(), 2);
        assert_eq!(q.get(T0).map(|x| x.0), Some(1));
    }

    /// client-go `util/workqueue/queue.go` `Add` (a key in `processing` stays out of the queue)
    /// and `Done` (a key re-added meanwhile is queued again).
    #[test]
    fn readd_during_processing_runs_once_more_after_done() {
        let mut q = WorkQueue::new();
        q.add(7, T0);
        let (k, _) = q.get(T0).unwrap();
        q.add(7, T0);
        q.add(7, T0);
        assert!(
            q.is_empty(),
            "not handed to a second worker while processing"
        );
        q.done(k);
        assert_eq!(q.len(), 1);
        q.get(T0);
        q.done(7);
        assert!(q.is_empty());
    }

    /// client-go `util/workqueue/delaying_queue.go` `insert`: an entry already waiting keeps
    /// the earlier ready time.
    #[test]
    fn add_after_keeps_earliest() {
        let mut q = WorkQueue::new();
        let t1 = q.add_after(3, SimTime::from_secs(10), T0).unwrap();
        assert_eq!(q.add_after(3, SimTime::from_secs(20), T0), None);
        let t2 = q.add_after(3, SimTime::from_secs(5), T0).unwrap();
        q.timer_fired(3, t1, t1); // stale
        assert!(q.is_empty());
        q.timer_fired(3, t2, t2);
        assert_eq!(
            q.get(SimTime::from_secs(7)),
            Some((3, SimTime::from_secs(2)))
        );
    }
}
