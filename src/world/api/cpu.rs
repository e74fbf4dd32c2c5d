//! The apiserver's CPU within the API path: requests holding a seat share it (processor
//! sharing, `kube::sharing`), and one timer follows its next completion. The timer is not an
//! event in the queue: held under its reserved sequence number it competes with the queue by
//! key (`Api::next_held`), and when nobody observes it (a lone no-op write, nothing queued)
//! it is run by the next API call after it in event order (`Api::catch_up`). Both are exact:
//! results and the event count are those of a queued tick (tests compare them). Writes then
//! go to etcd, one FIFO lane of its throughput and commit latency.

use super::{Api, ApiEvent, ETCD_STREAM, Origin, Status};
use crate::engine::{EventQueue, SimTime};
use crate::world::Event;

impl Api {
    /// Queue every CPU tick (do not hold unobserved ones in hand): for tests.
    #[cfg(test)]
    pub(in crate::world) fn queue_every_tick(&mut self) {
        self.virtual_ticks = false;
    }

    /// The key `(time, seq)` of the earliest work held here (an unthrottled arrival, or the
    /// CPU's observed tick), for [`EventQueue::pop_until_or`].
    #[inline]
    pub(in crate::world) fn next_held(&self) -> Option<(SimTime, u64)> {
        let arrival = self.arrivals.next();
        match self.held_tick() {
            Some(tick) => Some(arrival.map_or(tick, |a| a.min(tick))),
            None => arrival,
        }
    }

    /// The key of the CPU tick when it is held for delivery (observed, not queued).
    #[inline]
    pub(super) fn held_tick(&self) -> Option<(SimTime, u64)> {
        match self.cpu_timer {
            Some((t, at)) if !self.cpu_timer_virtual && !self.ticks_queued => Some((at, t.seq())),
            _ => None,
        }
    }

    /// The earliest held work is due ([`Step::External`](crate::engine::Step)): the event it
    /// stands for (an `Arrive` or the `CpuTick`), handled as if it had been queued.
    #[inline]
    pub(in crate::world) fn take_held(&mut self, q: &EventQueue<Event>) -> Option<ApiEvent> {
        if let Some(tick) = self.held_tick()
            && self.arrivals.next().is_none_or(|a| tick < a)
        {
            return Some(ApiEvent::CpuTick);
        }
        self.arrivals
            .pop(q.pending())
            .map(|call| ApiEvent::Arrive { call })
    }

    /// Queue every observed CPU tick as an event (do not hold it here): for tests.
    #[cfg(test)]
    pub(in crate::world) fn queue_observed_ticks(&mut self) {
        self.ticks_queued = true;
    }

    /// A request with a seat starts computing on the apiserver's CPU.
    pub(super) fn start_cpu(&mut self, q: &mut EventQueue<Event>, id: usize) {
        let Some(call) = self.calls[id].as_ref() else {
            return;
        };
        let cpu = call.cpu;
        self.cpu.add(q.now(), id, cpu);
        self.arm_cpu(q);
    }

    /// Keep one timer at the CPU's next completion.
    ///
    /// When the CPU holds a single request whose completion nobody observes (a write that
    /// changes nothing, answered to nobody waiting: a no-op progress patch or a fire-and-forget
    /// write) and no request waits in an APF queue, the timer is not queued but held in hand
    /// under its reserved sequence number ([`EventQueue::reserve`]): its tick would only free
    /// the seat and account the request. The next API call after it in event order runs the
    /// tick first, as of its time ([`Api::catch_up`]); one that makes the tick observable (a
    /// second request on the CPU, a request queued) queues it under the same number
    /// ([`EventQueue::schedule_reserved`]), where it takes the place it would have had. Every
    /// state and figure is as with a queued tick; only the engine's event count is lower.
    ///
    /// An observed tick is not queued either: it is held under its reserved number too and
    /// competes with the queue by key ([`Api::next_held`]), delivered as the queued event
    /// would have been (and counted as delivered); re-arming it draws a new number, as
    /// cancelling and scheduling did, without touching the queue.
    pub(super) fn arm_cpu(&mut self, q: &mut EventQueue<Event>) {
        let next = self.cpu.next_completion();
        if self.cpu_timer.map(|t| t.1) == next {
            if self.cpu_timer_virtual && !self.tick_unobserved() {
                self.queue_virtual_tick(q);
            }
            return;
        }
        if let Some((t, _)) = self.cpu_timer.take()
            && !std::mem::take(&mut self.cpu_timer_virtual)
            && self.ticks_queued
        {
            q.cancel(t);
        }
        if let Some(at) = next {
            if self.tick_unobserved() {
                self.cpu_timer = Some((q.reserve(), at));
                self.cpu_timer_virtual = true;
            } else if self.ticks_queued {
                let t = q.schedule_at(at, Event::Api(ApiEvent::CpuTick));
                self.cpu_timer = Some((t, at));
            } else {
                self.cpu_timer = Some((q.reserve(), at));
            }
        }
    }

    /// The next CPU tick would complete one request that nobody observes and start nothing.
    pub(super) fn tick_unobserved(&self) -> bool {
        let Some(id) = self.cpu.sole().filter(|_| self.virtual_ticks) else {
            return false;
        };
        self.calls[id].as_ref().is_some_and(|c| {
            !c.etcd
                && matches!(
                    c.origin,
                    Origin::FireAndForget
                        | Origin::TaskResult {
                            finalize: false,
                            changes: false,
                            ..
                        }
                )
        }) && self.server.queued() == 0
    }

    /// The CPU timer held in hand becomes observed, under its reserved number: held for
    /// delivery ([`Api::next_held`]), or queued when ticks are queued.
    pub(super) fn queue_virtual_tick(&mut self, q: &mut EventQueue<Event>) {
        if self.ticks_queued
            && let Some((t, at)) = self.cpu_timer
        {
            let t = q.schedule_reserved(t, at, Event::Api(ApiEvent::CpuTick));
            self.cpu_timer = Some((t, at));
        }
        self.cpu_timer_virtual = false;
    }

    /// Run the CPU tick held in hand if it is due before the event being handled. Called
    /// first by every API entry point (inlined: usually no tick is held).
    #[inline]
    pub(super) fn catch_up(&mut self, q: &EventQueue<Event>) {
        if self.cpu_timer_virtual {
            self.catch_up_until(q.current());
        }
    }

    pub(super) fn catch_up_until(&mut self, (now, seq): (SimTime, u64)) {
        let Some((t, at)) = self.cpu_timer else {
            return;
        };
        if !self.cpu_timer_virtual || (at, t.seq()) >= (now, seq) {
            return;
        }
        self.cpu_timer = None;
        self.cpu_timer_virtual = false;
        let mut ids = std::mem::take(&mut self.tick_ids);
        self.cpu.take_done_into(at, &mut ids);
        for &id in &ids {
            // The sole request, unobserved: its completion goes to nobody, and its seat
            // admits nobody (a request queued since made the tick a queued one).
            self.finish(at, id);
            debug_assert!(
                self.started.is_empty(),
                "a held tick admitted a queued request"
            );
            self.started.clear();
        }
        self.tick_ids = ids;
        debug_assert!(self.cpu.is_empty(), "an unobserved tick empties the CPU");
    }

    /// After the last event (at or before `horizon`): run the CPU tick held in hand if the
    /// run would have reached it.
    pub(in crate::world) fn finish_run(&mut self, horizon: SimTime) {
        self.catch_up_until((horizon, u64::MAX));
    }

    /// The CPU finished requests: reads complete (into `out`, cleared first), writes go on to
    /// etcd (in order, one slot of its throughput each, then its commit latency).
    pub(in crate::world) fn on_cpu_tick(
        &mut self,
        q: &mut EventQueue<Event>,
        out: &mut Vec<(Origin, Status)>,
    ) {
        self.catch_up(q);
        self.cpu_timer = None;
        let now = q.now();
        out.clear();
        let mut ids = std::mem::take(&mut self.tick_ids);
        self.cpu.take_done_into(now, &mut ids);
        for &id in &ids {
            let Some(call) = self.calls[id].as_ref() else {
                continue;
            };
            if call.etcd {
                let start = now.max(self.etcd_free);
                self.etcd_wait_max = self.etcd_wait_max.max(start.since(now));
                self.etcd_free = start.plus(self.server.etcd_slot());
                let done = self.etcd_free.plus(self.server.etcd_write_latency());
                // etcd commits in order, each a fixed latency after its slot: one lane.
                q.schedule_stream(
                    ETCD_STREAM,
                    done,
                    Event::Api(ApiEvent::Done { call: id as u32 }),
                );
            } else if let Some(c) = self.on_done(q, id) {
                out.push(c);
            }
        }
        self.tick_ids = ids;
        self.arm_cpu(q);
    }
}
