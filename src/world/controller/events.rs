//! Kubernetes Events from the controller (argo-facts §11.1; `workflow/events/
//! event_recorder_manager.go`, client-go `tools/record`): one `EventBroadcaster` per namespace
//! on the controller's kube clientset, whose sink writes **one event at a time** (so at most one
//! event request per namespace is in flight or waiting in the kube bucket) from an incoming
//! buffer of 1,000 that drops what does not fit (`DropIfChannelFull`); before that, the
//! recorder's `EventCorrelator` spam filter allows a burst of 10,000 events per involved object
//! (here: per workflow) refilled at 1 per 300 s.
//!
//! Which events: `recordNodePhaseChangeEvents` (operator.go) emits one per phase change of
//! every node (entrypoint DAG/Steps node, StepGroup/TaskGroup, Retry, Pod; a synthetic
//! `Running` when a node jumps from Pending to done) after a successful update, and
//! `markWorkflowPhase` emits `WorkflowRunning` / `WorkflowSucceeded` / `WorkflowFailed`.
//! Simplified: the sink's retries on a failed write (client-go retries 12 times, 10 s apart)
//! are not modelled: a failed event is dropped.

use super::super::Ctx;
use super::super::api::Origin;
use super::SMALL_BODY_BYTES;
use crate::engine::SimTime;
use crate::kube::apiserver::Verb;
use crate::scenario::defaults as d;

/// One namespace's sink: buffered events and whether a write is in flight.
#[derive(Debug, Clone, Copy, Default)]
struct Sink {
    buffered: u32,
    in_flight: bool,
}

/// The spam filter's token bucket of one involved object. A bucket never used is full
/// ([`Spam::FULL`]): refilling a full bucket leaves it full whatever its `last`, so it acts
/// as one created at its first event (16 bytes per workflow, no `Option`).
#[derive(Debug, Clone, Copy)]
struct Spam {
    tokens: f64,
    last: SimTime,
}

impl Spam {
    const FULL: Spam = Spam {
        tokens: d::EVENT_SPAM_BURST,
        last: SimTime::ZERO,
    };
}

/// Per-namespace sinks, per-workflow spam filters, and counters.
pub(super) struct Events {
    /// The controller they belong to (completions are routed back to it).
    ctrl: u32,
    sinks: Vec<Sink>,
    spam: Vec<Spam>,
    sent: u64,
    dropped: u64,
    spam_filtered: u64,
}

impl Events {
    pub(super) fn new(namespaces: usize, ctrl: u32) -> Self {
        Events {
            ctrl,
            sinks: vec![Sink::default(); namespaces],
            spam: Vec::new(),
            sent: 0,
            dropped: 0,
            spam_filtered: 0,
        }
    }

    /// Free the per-workflow spam filters (the run is over).
    pub(super) fn release(&mut self) {
        self.spam = Vec::new();
    }

    /// The correlator's spam filter for workflow `wf` at `now`: take a token or refuse.
    fn spam_ok(&mut self, wf: usize, now: SimTime) -> bool {
        if self.spam.len() <= wf {
            self.spam.resize(wf + 1, Spam::FULL);
        }
        let s = &mut self.spam[wf];
        let dt = now.since(s.last).as_secs_f64();
        s.tokens = (s.tokens + dt * d::EVENT_SPAM_QPS).min(d::EVENT_SPAM_BURST);
        s.last = now;
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Record `n` events about workflow `wf` in namespace `ns`.
    pub(super) fn record(&mut self, cx: &mut Ctx<'_>, client: usize, ns: usize, wf: usize, n: u32) {
        let now = cx.now();
        for _ in 0..n {
            if !self.spam_ok(wf, now) {
                self.spam_filtered += 1;
                continue;
            }
            let sink = &mut self.sinks[ns];
            if !sink.in_flight {
                sink.in_flight = true;
                Self::write(cx, client, ns, self.ctrl);
            } else if sink.buffered < d::EVENT_BROADCASTER_BUFFER {
                sink.buffered += 1;
            } else {
                self.dropped += 1;
            }
        }
    }

    fn write(cx: &mut Ctx<'_>, client: usize, ns: usize, ctrl: u32) {
        cx.issue(
            client,
            Verb::Create,
            "events",
            SMALL_BODY_BYTES,
            Origin::Event {
                ns: ns as u32,
                ctrl,
            },
        );
    }

    /// The sink's write landed (or failed): send the next buffered event.
    pub(super) fn on_written(&mut self, cx: &mut Ctx<'_>, client: usize, ns: usize, ok: bool) {
        if ok {
            self.sent += 1;
        } else {
            self.dropped += 1;
        }
        let sink = &mut self.sinks[ns];
        if sink.buffered > 0 {
            sink.buffered -= 1;
            Self::write(cx, client, ns, self.ctrl);
        } else {
            sink.in_flight = false;
        }
    }

    /// (events written, dropped by a full buffer or a failed write, refused by the spam filter).
    pub(super) fn counts(&self) -> (u64, u64, u64) {
        (self.sent, self.dropped, self.spam_filtered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    /// client-go `tools/record/event.go`: one sink goroutine writes one event at a time; the
    /// broadcaster's 1,000-entry channel drops what does not fit (`DropIfChannelFull`).
    #[test]
    fn one_write_in_flight_per_namespace_and_drops_past_1000() {
        let sc = crate::scenario::default_scenario();
        let mut w = World::new(&sc, 1);
        let cx = &mut w.cx;
        let mut ev = Events::new(2, 0);
        let before = cx.api.requests_in_flight();
        ev.record(cx, 0, 0, 0, 1500);
        assert_eq!(
            cx.api.requests_in_flight(),
            before + 1,
            "exactly one request in flight"
        );
        assert!(ev.sinks[0].in_flight);
        assert_eq!(ev.sinks[0].buffered, 1000);
        assert_eq!(ev.counts(), (0, 499, 0));
        // Another namespace has its own sink.
        ev.record(cx, 0, 1, 0, 1);
        assert_eq!(cx.api.requests_in_flight(), before + 2);
        // A landed write sends the next buffered one.
        ev.on_written(cx, 0, 0, true);
        assert_eq!(ev.sinks[0].buffered, 999);
        assert_eq!(ev.counts().0, 1);
    }

    /// client-go `events_cache.go` spam filter with Argo's burst 10,000 (`defaultSpamBurst`)
    /// and 1 token per 300 s.
    #[test]
    fn spam_filter_allows_10000_per_workflow_then_one_per_300s() {
        let mut ev = Events::new(1, 0);
        let t0 = SimTime::ZERO;
        for _ in 0..10_000 {
            assert!(ev.spam_ok(7, t0));
        }
        assert!(!ev.spam_ok(7, t0));
        assert!(ev.spam_ok(3, t0), "another workflow has its own bucket");
        assert!(!ev.spam_ok(7, SimTime::from_secs(299)));
        assert!(ev.spam_ok(7, SimTime::from_secs(600)));
    }
}
