//! Tests of the API path alone: held and queued CPU ticks and arrivals give the same
//! completions, times and report.

use super::*;
use crate::engine::Step;
use crate::units::Dur;

/// Drive an `Api` alone: `script` issues requests at given times (µs); every API event is
/// dispatched as `World::handle` does. Returns each completion (time, origin, status) and
/// whether a CPU tick was held in hand when a request joined an APF queue. `held`: CPU
/// ticks and unthrottled arrivals are held outside the event queue where they can be.
fn drive(held: bool, script: &[(u64, usize, Verb, u64, Origin, bool)]) -> Vec<String> {
    let mut api = Api::new(ApiServerCfg {
        max_requests_inflight: 2,
        max_mutating_requests_inflight: 1,
        write_latency: Dur(2_100_000),
        etcd_write_latency: Dur(2_000_000),
        cpu_cores: 1.0,
        ..ApiServerCfg::default()
    });
    if !held {
        api.queue_every_tick();
        api.queue_observed_ticks();
        api.queue_every_arrival();
    }
    let clients = [
        api.add_client("workflow-controller", 1e6, 1_000_000),
        api.add_client("argoexec", f64::INFINITY, u32::MAX),
    ];
    let mut q: EventQueue<Event> = EventQueue::new();
    for &(at, ..) in script {
        q.schedule_at(SimTime(at), Event::Sample);
    }
    let mut next = 0;
    let mut out = Vec::new();
    let mut done = Vec::new();
    let mut held_ticks = 0;
    loop {
        let ev = match q.pop_until_or(SimTime::MAX, api.next_held()) {
            Step::Event(_, ev) => ev,
            Step::External => {
                let ev = api.take_held(&q).expect("work is held");
                held_ticks += u32::from(matches!(ev, ApiEvent::CpuTick));
                Event::Api(ev)
            }
            Step::End => break,
        };
        let now = q.now();
        let c = match ev {
            Event::Sample => {
                let (_, client, verb, bytes, origin, unchanged) = script[next];
                next += 1;
                let held_before = api.cpu_timer_virtual;
                api.issue(
                    &mut q,
                    clients[client],
                    verb,
                    "pods",
                    bytes,
                    origin,
                    unchanged,
                );
                out.push(format!(
                    "{now:?} issue {origin:?} (tick in hand: {held_before})"
                ));
                None
            }
            Event::Api(ApiEvent::Arrive { call }) => {
                let c = api.on_arrive(&mut q, call as usize);
                out.push(format!("{now:?} arrive {call}: queued {}", api.queued(&q)));
                c
            }
            Event::Api(ApiEvent::Done { call }) => api.on_done(&mut q, call as usize),
            Event::Api(ApiEvent::Retry { call }) => {
                api.send(&mut q, call as usize);
                None
            }
            Event::Api(ApiEvent::ApfTimeout { call }) => api.on_apf_timeout(&mut q, call as usize),
            Event::Api(ApiEvent::CpuTick) => {
                api.on_cpu_tick(&mut q, &mut done);
                for (o, s) in done.drain(..) {
                    out.push(format!("{now:?} done {o:?} {s:?}"));
                }
                None
            }
            _ => None,
        };
        if let Some((o, s)) = c {
            out.push(format!("{now:?} done {o:?} {s:?}"));
        }
    }
    api.finish_run(SimTime::MAX);
    // Held, the argoexec patches' arrivals (unthrottled) skip the event queue.
    assert_eq!(api.arrivals_held() > 0, held);
    // Held, observed CPU ticks skip it too.
    assert_eq!(held_ticks > 0, held);
    let (report, _) = api.report();
    out.push(format!("{report:?}"));
    out
}

/// A lone no-op patch computes while every other seat is held by writes waiting on etcd;
/// a request then joins its level's APF queue, so the seat the patch frees admits it: the
/// held tick must be queued then. Completions, times and the API report are the same as
/// with every tick queued (pinned to kube-apiserver's APF: a freed seat dispatches the
/// next queued request, `queueset.go` `finishRequestAndDispatchAsMuchAsPossible`).
#[test]
fn a_request_queued_behind_a_held_tick_is_admitted_as_with_a_queued_tick() {
    // The seats a workload-low client gets here (its own plus what it may borrow).
    let mut probe = ApiServer::new(ApiServerCfg {
        max_requests_inflight: 2,
        max_mutating_requests_inflight: 1,
        ..ApiServerCfg::default()
    });
    let (level, flow) = (Level::WorkloadLow, flow_hash("WorkloadLow", "argoexec"));
    let mut seats = 0;
    while matches!(
        probe.admit(seats, Verb::Create, 1000, level, flow),
        Admission::Accepted
    ) {
        seats += 1;
    }
    assert!(seats >= 2, "{seats}");
    let write = Origin::FireAndForget;
    let noop = Origin::TaskResult {
        pod: 0,
        finalize: false,
        changes: false,
    };
    let change = Origin::TaskResult {
        pod: 1,
        finalize: false,
        changes: true,
    };
    // seats - 1 writes at 0 (in etcd for 2 s after their CPU), then at 0.5 s the no-op
    // patch (last seat, alone on the CPU) and a changing patch that must queue.
    let mut script: Vec<_> = (0..seats - 1)
        .map(|_| (0, 0, Verb::Create, 1000, write, false))
        .collect();
    script.push((500_000, 1, Verb::Patch, 100, noop, true));
    script.push((500_000, 1, Verb::Patch, 100, change, false));
    let held = drive(true, &script);
    let queued = drive(false, &script);
    assert!(
        held.iter().any(|l| l.contains("queued 1")),
        "the changing patch queues: {held:#?}"
    );
    assert_eq!(held, queued);
}
