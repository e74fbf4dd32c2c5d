//! What the controller was doing about each workflow, over time: a step function per
//! workflow (ready in `workflow_queue`, reconciling, a worker's call waiting in its client
//! bucket or in flight, held by parallelism or a lock, the controller down, or nothing:
//! waiting for an `AddAfter` delay or an informer event). The critical-path attribution
//! (`world/critical.rs`) splits the controller's share of a workflow's time with it.
//!
//! One entry per change, so the cost is a few entries per reconcile and per worker call; a
//! log is packed as varint steps (2-4 bytes an entry) until the report reads it.
//! Simplified: a call retried after a 429 counts its `Retry-After` sleep and its second
//! bucket wait as "in flight".

use crate::engine::SimTime;

/// The controller's relation to one workflow at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Not in the queue and not held: waiting for an `AddAfter` delay (initialDelay, the
    /// 10 s requeue, a retry backoff) or for the informers to show a change.
    Idle,
    /// In `workflow_queue`, ready, waiting for a free worker.
    Ready,
    /// A worker reconciles it (CPU, bookkeeping, offload round trips).
    Work,
    /// A worker's pod CREATE waits in the kube client's token bucket.
    ThrottleCreate,
    /// A worker's other call (GET, PUT, DELETE) waits in its client's token bucket.
    ThrottleOther,
    /// A worker's call is at the apiserver.
    Api,
    /// Held by controller, namespace or workflow/template `parallelism`.
    HeldParallelism,
    /// Held by a semaphore or mutex.
    HeldLock,
    /// The controller is down (restart, CrashLoopBackOff, relist).
    Down,
}

/// [`Act`]'s variants, in order (a [`Mark`] keeps the index).
const ACTS: [Act; 9] = [
    Act::Idle,
    Act::Ready,
    Act::Work,
    Act::ThrottleCreate,
    Act::ThrottleOther,
    Act::Api,
    Act::HeldParallelism,
    Act::HeldLock,
    Act::Down,
];

/// Latest time a [`Mark`] can hold (2^60 µs, ~36,000 years; later times are clamped to it).
const MARK_TIME_MAX: u64 = (1 << 60) - 1;

/// One step of an activity log: from `time()` on, the workflow is in state `act()`, in 8 bytes
/// (the time in µs above 4 bits of state). The log keeps its entries packed smaller still
/// (`Log`) and gives them back as marks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mark(u64);

impl Mark {
    /// From `time` on, state `act`.
    pub fn new(time: SimTime, act: Act) -> Self {
        Mark(time.0.min(MARK_TIME_MAX) << 4 | act as u64)
    }

    /// When the state starts.
    pub fn time(self) -> SimTime {
        SimTime(self.0 >> 4)
    }

    /// The state.
    pub fn act(self) -> Act {
        ACTS[(self.0 & 15) as usize]
    }
}

impl std::fmt::Debug for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({:?}, {:?})", self.time(), self.act())
    }
}

/// Bytes of the last entry, kept whole at the end of a [`Log`].
const LAST: usize = 8;

/// One workflow's step function, packed: a few entries per reconcile and per worker call are
/// kept for every workflow until the report, and most steps are milliseconds to seconds
/// apart, so an entry takes 2-4 bytes here instead of a [`Mark`]'s 8.
///
/// Layout of `bytes`: every entry but the last, oldest first, each as the LEB128 varint of
/// `(next entry's time − its time) << 4 | its state`; then the last entry as a whole [`Mark`]
/// (8 bytes, little-endian). Empty: no entry. One `Vec` (24 bytes) per workflow.
#[derive(Debug, Clone, Default)]
struct Log {
    bytes: Vec<u8>,
}

impl Log {
    fn last(&self) -> Option<Mark> {
        let tail = self.bytes.len().checked_sub(LAST)?;
        let b: [u8; LAST] = self.bytes[tail..].try_into().expect("8 bytes");
        Some(Mark(u64::from_le_bytes(b)))
    }

    /// The varints (every entry but the last).
    fn steps(&self) -> &[u8] {
        &self.bytes[..self.bytes.len().saturating_sub(LAST)]
    }

    /// Append `m` (its time is at or after the last entry's).
    fn push(&mut self, m: Mark) {
        if let Some(l) = self.last() {
            self.bytes.truncate(self.bytes.len() - LAST);
            let mut v = (m.time().0 - l.time().0) << 4 | (l.0 & 15);
            while v >= 0x80 {
                self.bytes.push(v as u8 | 0x80);
                v >>= 7;
            }
            self.bytes.push(v as u8);
        }
        self.bytes.extend_from_slice(&m.0.to_le_bytes());
    }

    /// Where the varint of the entry before the last starts (there is one).
    fn prev_start(&self) -> usize {
        let steps = self.steps();
        steps[..steps.len() - 1]
            .iter()
            .rposition(|&b| b & 0x80 == 0)
            .map_or(0, |i| i + 1)
    }

    /// The entry before the last: where its varint starts, its gap to the last, its state.
    fn prev(&self) -> Option<(usize, u64, u64)> {
        if self.steps().is_empty() {
            return None;
        }
        let start = self.prev_start();
        let v = decode(&self.steps()[start..]);
        Some((start, v >> 4, v & 15))
    }

    /// The state of the entry before the last.
    fn prev_act(&self) -> Option<Act> {
        self.prev().map(|(_, _, a)| ACTS[a as usize])
    }

    /// Drop the last entry.
    fn pop(&mut self) {
        let Some(l) = self.last() else {
            return;
        };
        match self.prev() {
            Some((start, gap, act)) => {
                self.bytes.truncate(start);
                let prev = Mark((l.time().0 - gap) << 4 | act);
                self.bytes.extend_from_slice(&prev.0.to_le_bytes());
            }
            None => self.bytes.clear(),
        }
    }

    /// Replace the last entry by `m`, at the same time.
    fn replace_last(&mut self, m: Mark) {
        debug_assert_eq!(self.last().map(Mark::time), Some(m.time()));
        let tail = self.bytes.len() - LAST;
        self.bytes[tail..].copy_from_slice(&m.0.to_le_bytes());
    }

    /// The entries, oldest first.
    fn marks(&self) -> Vec<Mark> {
        let Some(l) = self.last() else {
            return Vec::new();
        };
        // Two passes over the varints: the first finds the first entry's time.
        let entries = self.steps().iter().filter(|&&b| b & 0x80 == 0).count();
        let total: u64 = self.varints().map(|v| v >> 4).sum();
        let mut t = l.time().0 - total;
        let mut out = Vec::with_capacity(entries + 1);
        for v in self.varints() {
            out.push(Mark(t << 4 | (v & 15)));
            t += v >> 4;
        }
        out.push(l);
        out
    }

    /// The varints of the entries before the last, in order.
    fn varints(&self) -> impl Iterator<Item = u64> + '_ {
        let steps = self.steps();
        let mut i = 0;
        std::iter::from_fn(move || {
            let rest = steps.get(i..).filter(|r| !r.is_empty())?;
            let len = rest.iter().position(|&b| b & 0x80 == 0)? + 1;
            i += len;
            Some(decode(&rest[..len]))
        })
    }
}

/// The LEB128 varint at the start of `bytes`.
fn decode(bytes: &[u8]) -> u64 {
    let mut v = 0;
    for (i, &b) in bytes.iter().enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    v
}

/// Per-workflow step functions of [`Act`].
#[derive(Debug, Default)]
pub(super) struct Activity {
    logs: Vec<Log>,
    /// What a workflow waits for when its reconcile ends without a requeue.
    held: Vec<Act>,
}

impl Activity {
    fn ensure(&mut self, wf: usize) {
        if wf >= self.logs.len() {
            self.logs.resize_with(wf + 1, Log::default);
            self.held.resize(wf + 1, Act::Idle);
        }
    }

    /// From `at` on, `wf` is in state `act`. Entries after `at` (a call's planned end of its
    /// bucket wait, when the controller crashed first) are dropped.
    pub(super) fn set(&mut self, wf: usize, at: SimTime, act: Act) {
        self.ensure(wf);
        let log = &mut self.logs[wf];
        let at = SimTime(at.0.min(MARK_TIME_MAX));
        while log.last().is_some_and(|l| l.time() > at) {
            log.pop();
        }
        match log.last() {
            Some(l) if l.act() == act => {}
            // A same-time change replaces the last entry, and merges with an equal
            // predecessor.
            Some(l) if l.time() == at => {
                if log.prev_act() == Some(act) {
                    log.pop();
                } else {
                    log.replace_last(Mark::new(at, act));
                }
            }
            _ => log.push(Mark::new(at, act)),
        }
    }

    /// The state `wf` is in now (its last entry).
    pub(super) fn last(&self, wf: usize) -> Option<Act> {
        self.logs.get(wf).and_then(Log::last).map(Mark::act)
    }

    /// What `wf` waits for once its worker lets go of it.
    pub(super) fn set_held(&mut self, wf: usize, act: Act) {
        self.ensure(wf);
        self.held[wf] = act;
    }

    /// See [`Activity::set_held`].
    pub(super) fn held(&self, wf: usize) -> Act {
        self.held.get(wf).copied().unwrap_or(Act::Idle)
    }

    /// A worker call: its bucket wait (if any) then the apiserver.
    pub(super) fn call(&mut self, wf: usize, now: SimTime, wait: SimTime, create: bool) {
        if wait > SimTime::ZERO {
            let t = if create {
                Act::ThrottleCreate
            } else {
                Act::ThrottleOther
            };
            self.set(wf, now, t);
        }
        self.set(wf, now.plus(wait), Act::Api);
    }

    /// Take the log of `wf`, oldest first (empty if the controller never saw it), leaving an
    /// empty one.
    pub(super) fn take(&mut self, wf: usize) -> Vec<Mark> {
        self.logs
            .get_mut(wf)
            .map(|l| std::mem::take(l).marks())
            .unwrap_or_default()
    }

    /// The log of `wf`, oldest first (empty if the controller never saw it).
    #[cfg(test)]
    pub(super) fn log(&self, wf: usize) -> Vec<Mark> {
        self.logs.get(wf).map_or_else(Vec::new, Log::marks)
    }
}

/// Time of each [`Act`] within `[from, to)` of a step function `log` (state before the first
/// entry: `Idle`), in the order of [`Act`]'s variants.
pub fn split(log: &[Mark], from: SimTime, to: SimTime) -> [SimTime; 9] {
    let mut out = [SimTime::ZERO; 9];
    if to <= from {
        return out;
    }
    // The entry in force at `from`.
    let i = log.partition_point(|e| e.time() <= from);
    let mut state = if i == 0 { Act::Idle } else { log[i - 1].act() };
    let mut t = from;
    for e in &log[i..] {
        if e.time() >= to {
            break;
        }
        out[state as usize] = out[state as usize].plus(e.time().since(t));
        t = e.time();
        state = e.act();
    }
    out[state as usize] = out[state as usize].plus(to.since(t));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    fn s(x: u64) -> SimTime {
        SimTime::from_secs(x)
    }

    #[test]
    fn split_sums_to_interval_and_follows_steps() {
        let mut a = Activity::default();
        a.set(0, s(1), Act::Ready);
        a.set(0, s(3), Act::Work);
        a.call(0, s(4), s(2), true);
        a.set(0, s(7), Act::Work);
        a.set(0, s(8), Act::Idle);
        let parts = split(&a.log(0), s(0), s(10));
        assert_eq!(parts[Act::Idle as usize], s(1 + 2));
        assert_eq!(parts[Act::Ready as usize], s(2));
        assert_eq!(parts[Act::Work as usize], s(1 + 1));
        assert_eq!(parts[Act::ThrottleCreate as usize], s(2));
        assert_eq!(parts[Act::Api as usize], s(1));
        let total = parts.iter().fold(SimTime::ZERO, |x, y| x.plus(*y));
        assert_eq!(total, s(10));
        // A sub-interval starting inside a step.
        let parts = split(&a.log(0), s(5), s(7));
        assert_eq!(parts[Act::ThrottleCreate as usize], s(1));
        assert_eq!(parts[Act::Api as usize], s(1));
    }

    /// A mark gives back its time and state, for every state, and orders equal states by time.
    #[test]
    fn marks_round_trip() {
        for (i, &a) in ACTS.iter().enumerate() {
            assert_eq!(a as usize, i);
            for t in [0, 1, 59_999_999, MARK_TIME_MAX] {
                let m = Mark::new(SimTime(t), a);
                assert_eq!((m.time(), m.act()), (SimTime(t), a));
            }
        }
        assert_eq!(
            Mark::new(SimTime::MAX, Act::Down).time(),
            SimTime(MARK_TIME_MAX)
        );
    }

    #[test]
    fn a_crash_drops_planned_entries() {
        let mut a = Activity::default();
        a.call(0, s(1), s(5), false);
        a.set(0, s(2), Act::Down);
        let want = [
            Mark::new(s(1), Act::ThrottleOther),
            Mark::new(s(2), Act::Down),
        ];
        assert_eq!(a.log(0), want);
        // Same-time changes replace, and merge with an equal predecessor.
        a.set(0, s(3), Act::Ready);
        a.set(0, s(3), Act::Down);
        assert_eq!(a.log(0), want);
    }

    /// The old, unpacked log: a `Vec<Mark>` with the same rules.
    fn reference_set(log: &mut Vec<Mark>, at: SimTime, act: Act) {
        let at = SimTime(at.0.min(MARK_TIME_MAX));
        while log.last().is_some_and(|l| l.time() > at) {
            log.pop();
        }
        match log.last_mut() {
            Some(l) if l.act() == act => {}
            Some(l) if l.time() == at => {
                *l = Mark::new(at, act);
                let n = log.len();
                if n >= 2 && log[n - 2].act() == act {
                    log.pop();
                }
            }
            _ => log.push(Mark::new(at, act)),
        }
    }

    proptest::proptest! {
        /// The packed log holds exactly the entries of a plain `Vec<Mark>` fed the same
        /// changes: steps of every size (0 to past 2^35 µs, so varints of 1 to 6 bytes),
        /// same-time replacements and merges, and times that go back (a crash drops planned
        /// entries).
        #[test]
        fn packed_log_matches_a_plain_one(
            ops in proptest::collection::vec((0u64..6, 0u64..40, 0usize..9), 1..200)
        ) {
            let mut a = Activity::default();
            let mut want = Vec::new();
            let mut t = 0u64;
            for (kind, x, act) in ops {
                t = match kind {
                    0 => t,
                    1 => t + x,
                    2 => t + x * 1_000_003,
                    3 => t + (1 << 35) + x,
                    4 => t.saturating_sub(x * 1_000),
                    _ => t + x * 60_000_000,
                };
                let act = ACTS[act];
                a.set(3, SimTime(t), act);
                reference_set(&mut want, SimTime(t), act);
                proptest::prop_assert_eq!(a.log(3), want.clone());
                proptest::prop_assert_eq!(a.last(3), want.last().map(|m| m.act()));
            }
            proptest::prop_assert_eq!(a.take(3), want);
            proptest::prop_assert!(a.log(3).is_empty());
        }
    }
}
