//! What the controller was doing about each workflow, over time: a step function per
//! workflow (ready in `workflow_queue`, reconciling, a worker's call waiting in its client
//! bucket or in flight, held by parallelism or a lock, the controller down, or nothing:
//! waiting for an `AddAfter` delay or an informer event). The critical-path attribution
//! (`world/critical.rs`) splits the controller's share of a workflow's time with it.
//!
//! One entry per change, so the cost is a few entries per reconcile and per worker call.
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

/// One step of an activity log: from `time()` on, the workflow is in state `act()`. Packed in
/// 8 bytes (the time in µs above 4 bits of state): a log has a few entries per reconcile and
/// per worker call, kept for every workflow until the report.
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

/// Per-workflow step functions of [`Act`].
#[derive(Debug, Default)]
pub(super) struct Activity {
    logs: Vec<Vec<Mark>>,
    /// What a workflow waits for when its reconcile ends without a requeue.
    held: Vec<Act>,
}

impl Activity {
    fn ensure(&mut self, wf: usize) {
        if wf >= self.logs.len() {
            self.logs.resize_with(wf + 1, Vec::new);
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

    /// The state `wf` is in now (its last entry).
    pub(super) fn last(&self, wf: usize) -> Option<Act> {
        self.logs.get(wf).and_then(|l| l.last()).map(|l| l.act())
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
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The log of `wf`, oldest first (empty if the controller never saw it).
    #[cfg(test)]
    pub(super) fn log(&self, wf: usize) -> &[Mark] {
        self.logs.get(wf).map_or(&[], Vec::as_slice)
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
        let parts = split(a.log(0), s(0), s(10));
        assert_eq!(parts[Act::Idle as usize], s(1 + 2));
        assert_eq!(parts[Act::Ready as usize], s(2));
        assert_eq!(parts[Act::Work as usize], s(1 + 1));
        assert_eq!(parts[Act::ThrottleCreate as usize], s(2));
        assert_eq!(parts[Act::Api as usize], s(1));
        let total = parts.iter().fold(SimTime::ZERO, |x, y| x.plus(*y));
        assert_eq!(total, s(10));
        // A sub-interval starting inside a step.
        let parts = split(a.log(0), s(5), s(7));
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
        assert_eq!(a.log(0), &want);
        // Same-time changes replace, and merge with an equal predecessor.
        a.set(0, s(3), Act::Ready);
        a.set(0, s(3), Act::Down);
        assert_eq!(a.log(0), &want);
    }
}
