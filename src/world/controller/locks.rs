//! Synchronization (argo-facts §3): workflow- and template-level semaphores and mutexes with
//! head-of-queue acquisition and Argo's "Waiting for ... lock" messages; a released permit
//! requeues the next waiter after `SEMAPHORE_NOTIFY_DELAY`.
//!
//! Simplified: the semaphore ConfigMap is read from the scenario (no GET per reconcile).

use super::super::Ctx;
use super::Controller;
use crate::engine::SimTime;
use crate::scenario::Scenario;
use crate::scenario::defaults as d;
use crate::units::parse_duration;
use indexmap::IndexMap;
use std::collections::VecDeque;

#[derive(Debug, Clone, Default)]
struct LockState {
    holders: u32,
    waiters: VecDeque<usize>,
}

/// Every lock's holders and waiters, and the lock metrics.
pub(super) struct Locks {
    state: Vec<LockState>,
    waits: u64,
    messages: IndexMap<String, u64>,
    notify_delay: SimTime,
}

impl Locks {
    pub(super) fn new(n: usize) -> Self {
        Locks {
            state: vec![LockState::default(); n],
            waits: 0,
            messages: IndexMap::new(),
            notify_delay: SimTime(parse_duration(d::SEMAPHORE_NOTIFY_DELAY).expect("constant")),
        }
    }

    /// Acquire a permit of lock `l` for workflow `wf`: only the head of the waiters may take
    /// one. On refusal the workflow joins the queue with Argo's message.
    pub(super) fn try_acquire(&mut self, sc: &Scenario, l: usize, wf: usize) -> bool {
        let lk = &mut self.state[l];
        let head_ok = lk.waiters.front().is_none_or(|&w| w == wf);
        if lk.holders < sc.locks[l].limit && head_ok {
            lk.holders += 1;
            if lk.waiters.front() == Some(&wf) {
                lk.waiters.pop_front();
            }
            return true;
        }
        if !lk.waiters.contains(&wf) {
            lk.waiters.push_back(wf);
        }
        let msg = format!(
            "Waiting for {} lock. Lock status: {}/{}",
            sc.locks[l].name,
            sc.locks[l].limit.saturating_sub(lk.holders),
            sc.locks[l].limit
        );
        self.waits += 1;
        *self.messages.entry(msg).or_default() += 1;
        false
    }

    /// Release a permit; returns the waiter to notify, if any.
    fn release(&mut self, l: usize) -> Option<usize> {
        let lk = &mut self.state[l];
        lk.holders = lk.holders.saturating_sub(1);
        lk.waiters.front().copied()
    }

    /// Refusals so far.
    pub(super) fn waits(&self) -> u64 {
        self.waits
    }

    /// Argo's pending messages and how often each was set.
    pub(super) fn take_messages(&mut self) -> IndexMap<String, u64> {
        std::mem::take(&mut self.messages)
    }
}

impl Controller {
    /// Release a permit; the next waiter is requeued after SEMAPHORE_NOTIFY_DELAY.
    pub(super) fn release_lock(&mut self, cx: &mut Ctx<'_>, l: usize) {
        if let Some(next) = self.locks.release(l) {
            let delay = self.locks.notify_delay;
            self.enqueue_after(cx, next, delay);
        }
    }
}
