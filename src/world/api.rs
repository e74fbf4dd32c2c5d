//! The API path, one component: every client's client-go token bucket, the requests in
//! flight, the kube-apiserver's admission (APF levels or max-in-flight, 413, etcd limits) and
//! client-go's Retry-After retries, plus what it measures (requests by client/verb/resource and
//! status code, latencies in a quantile sketch, throttle waits with client-go's log line).
//!
//! Other components call `Api::issue` with an `Origin` naming who waits for the answer;
//! when a request completes the API returns that origin and a `Status`, and the world routes
//! it. A request's latency is its bucket wait, a fixed part before admission, its share of
//! the apiserver's CPU (processor sharing over `cpu_cores`, `kube::sharing`) and, for a write,
//! etcd's commit (writes queue for etcd's throughput, then its latency): at low load the
//! configured `read_latency`/`write_latency`, growing with load. Left out: watch delivery
//! latency (informers see a change when its request completes).
//!
//! Two engine shortcuts, exact: the CPU tick of a lone request whose completion nobody
//! observes (a no-op progress patch) is held in hand instead of queued, and run by the next
//! API call after it in event order (`Api::arm_cpu`); an unthrottled request's arrival is
//! held in a FIFO of its pre-admission time (`engine::HeldStreams`) under the number its
//! `Arrive` event would have drawn, and the CPU's observed tick is held under the number its
//! event would have drawn; the world runs the earliest held work when its key comes first
//! (`Api::next_held`). Results, the event count included, are those of queued events.

use super::Event;
use crate::engine::{EventQueue, HeldStreams, SimTime, TimerId};
use crate::kube::apf::flow_hash;
use crate::kube::apiserver::{Admission, ApiServer, Cost, ETCD_TOO_LARGE, Level, Verb};
use crate::kube::ratelimit::TokenBucket;
use crate::kube::sharing::SharedCpu;
use crate::metrics::sketch::Memo;
use crate::metrics::{ApiReport, ApiRow, Sketch, Stats, ThrottleReport};
use crate::scenario::defaults as d;
use crate::scenario::schema::ApiServerCfg;
use indexmap::IndexMap;

/// Events of the API path.
#[derive(Debug, Clone, Copy)]
pub enum ApiEvent {
    /// A request leaves its client's bucket and reaches the apiserver.
    Arrive {
        /// Request id.
        call: u32,
    },
    /// A request's service time is over.
    Done {
        /// Request id.
        call: u32,
    },
    /// A 429'd request's Retry-After elapsed: it goes through its bucket again.
    Retry {
        /// Request id.
        call: u32,
    },
    /// A request queued by API Priority and Fairness reached the queue-wait limit.
    ApfTimeout {
        /// Request id.
        call: u32,
    },
    /// The apiserver's CPU finishes its next request(s).
    CpuTick,
}

impl From<ApiEvent> for Event {
    fn from(e: ApiEvent) -> Event {
        Event::Api(e)
    }
}

/// Who is waiting for an API response (the world routes the completion to it).
#[derive(Debug, Clone, Copy)]
pub(super) enum Origin {
    /// A submitter's validation GET or Workflow CREATE.
    Submit { wf: u32, stream: u32, slot: u32 },
    /// A controller worker's request (validation GET, pod CREATE, workflow PUT).
    Worker { worker: u32, epoch: u32, ctrl: u32 },
    /// The new leader's informer LIST.
    Relist { epoch: u32, ctrl: u32 },
    /// A pod_cleanup_queue PATCH/DELETE.
    Cleanup { pod: u32 },
    /// The scheduler's binding.
    Bind { pod: u32, node: u32 },
    /// A kubelet pod status PATCH.
    KubeletStatus { pod: u32 },
    /// An argoexec TaskResult write; `changes` = the object changes (a watch event follows).
    TaskResult {
        pod: u32,
        finalize: bool,
        changes: bool,
    },
    /// One namespace's event sink wrote an Event.
    Event { ns: u32, ctrl: u32 },
    /// The scheduler's PodScheduled=False condition PATCH.
    SchedulerStatus { pod: u32 },
    /// The TTL controller's workflow DELETE.
    WorkflowDeleted { wf: u32 },
    /// Nobody waits (events, postponed-phase writes).
    FireAndForget,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Ok,
    TooMany,
    TooLarge,
    EtcdTooLarge,
}

#[derive(Debug, Clone)]
struct ApiCall {
    client: u32,
    verb: Verb,
    bytes: u64,
    origin: Origin,
    attempts: u32,
    first: SimTime,
    /// When it last joined an APF queue (a timeout from an earlier use of its id is stale).
    queued_at: SimTime,
    /// Its CPU work at the apiserver.
    cpu: SimTime,
    /// A write: commits through etcd.
    etcd: bool,
    /// A write that changes nothing: no etcd commit, no watch event.
    unchanged: bool,
    /// Its accounting row (`Api::acc`), found when it is issued (its client is in cache
    /// then; at completion, on a large cluster, it no longer is).
    acc: u32,
}

#[derive(Debug, Clone)]
struct Client {
    /// Its row in the throttle table (clients of one name share a row).
    row: usize,
    level: Level,
    /// APF flow: hash of its flow schema and user.
    flow: u64,
    bucket: TokenBucket,
}

#[derive(Debug, Default, Clone)]
struct ThrottleAcc {
    qps: f64,
    burst: u32,
    requests: u64,
    throttled: u64,
    logged: u64,
    total: f64,
    max: f64,
    worst: String,
}

#[derive(Debug, Default, Clone)]
struct ApiAcc {
    /// Responses per status code, in [`STATUS_CODES`] order (every completion has one: the
    /// row's count is their sum, its errors all but 200 and 201).
    by_status: [u64; STATUS_CODES.len()],
    /// Latencies, sketched (0.5 % relative error on the quantiles; one value per call would
    /// be the run's largest per-pod memory cost).
    latencies: Sketch,
    /// The bucket of the last latency added.
    memo: Memo,
    /// The apiserver cost of the last request sent: (body bytes, unchanged) and its cost.
    cost_memo: Option<((u64, bool), Cost)>,
}

impl ApiAcc {
    /// Requests completed.
    fn count(&self) -> u64 {
        self.by_status.iter().sum()
    }

    /// Requests completed with an error status (413, 429, 500).
    fn errors(&self) -> u64 {
        (STATUS_CODES.iter().zip(self.by_status))
            .filter(|(c, _)| !matches!(c, 200 | 201))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The event queue stream of etcd's commits (in time order: a FIFO server); the high bit
/// keeps it apart from the streams named by a delay.
const ETCD_STREAM: u64 = 1 << 63;

/// The status codes a request can end with, in ascending order (the report's order).
const STATUS_CODES: [u16; 5] = [200, 201, 413, 429, 500];

/// Clients, requests in flight, the apiserver, and the API metrics.
pub(super) struct Api {
    clients: Vec<Client>,
    calls: Vec<Option<ApiCall>>,
    free_calls: Vec<usize>,
    server: ApiServer,
    throttle: IndexMap<String, ThrottleAcc>,
    /// Per (throttle row, verb, resource), in first-use order; the report orders the rows by
    /// client name, verb and resource.
    acc: Vec<((u32, Verb, &'static str), ApiAcc)>,
    /// Per throttle row: (verb, resource) → index into `acc`, learnt on first use (a handful
    /// each). Kept per row, not per client: a few hot lists instead of one per kubelet.
    row_accs: Vec<Vec<(Verb, &'static str, usize)>>,
    status_429: u64,
    apf_timeouts: u64,
    status_413: u64,
    etcd_too_large: u64,
    /// The apiserver's CPU, shared by the requests holding seats.
    cpu: SharedCpu,
    cpu_timer: Option<(TimerId, SimTime)>,
    /// The CPU timer is held in hand under its reserved number, not queued (see
    /// [`Api::arm_cpu`]): its tick is run by the next API call after it, or dropped.
    cpu_timer_virtual: bool,
    /// Whether unobserved CPU ticks may be held in hand (on; off only to test that holding
    /// them changes nothing).
    virtual_ticks: bool,
    /// When etcd can take the next write (writes queue for its throughput).
    etcd_free: SimTime,
    /// Longest a write waited for etcd's throughput.
    etcd_wait_max: SimTime,
    /// Reused buffer of the requests a CPU tick finished.
    tick_ids: Vec<usize>,
    /// The queued requests the last [`Api::finish`] admitted (empty unless APF queued).
    started: Vec<crate::kube::apf::Queued>,
    /// Unthrottled requests on their way to the apiserver, held here under their `Arrive`
    /// events' numbers instead of queued, one stream per pre-admission time (the request
    /// class's network time: each is in time order). See [`Api::next_held`].
    arrivals: HeldStreams<u32>,
    /// Queue every arrival as an event instead (tests compare both).
    arrivals_queued: bool,
    /// Queue every observed CPU tick as an event instead of holding it under its reserved
    /// number (tests compare both).
    ticks_queued: bool,
}

/// Work the API holds outside the event queue, due now ([`Api::take_held`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Held {
    /// A request reaches the apiserver ([`Api::on_arrive`]).
    Arrive(usize),
    /// The CPU's tick ([`Api::on_cpu_tick`]).
    CpuTick,
}

impl Api {
    /// An apiserver with no clients yet.
    pub(super) fn new(cfg: ApiServerCfg) -> Self {
        Api {
            clients: Vec::new(),
            calls: Vec::new(),
            free_calls: Vec::new(),
            cpu: SharedCpu::new(0.0),
            cpu_timer: None,
            cpu_timer_virtual: false,
            virtual_ticks: true,
            etcd_free: SimTime::ZERO,
            etcd_wait_max: SimTime::ZERO,
            tick_ids: Vec::new(),
            started: Vec::new(),
            arrivals: HeldStreams::default(),
            arrivals_queued: false,
            ticks_queued: false,
            server: ApiServer::new(cfg),
            throttle: IndexMap::new(),
            acc: Vec::new(),
            row_accs: Vec::new(),
            status_429: 0,
            apf_timeouts: 0,
            status_413: 0,
            etcd_too_large: 0,
        }
        .with_cpu()
    }

    fn with_cpu(mut self) -> Self {
        self.cpu = SharedCpu::new(self.server.cores_for_requests());
        self
    }

    /// Register a client with its own bucket; returns its id. Clients of one name share a
    /// throttle row (the first one's qps/burst are reported).
    pub(super) fn add_client(&mut self, name: &str, qps: f64, burst: u32) -> usize {
        // The flow's user: each kubelet is its own (system:node:NAME); the others are named
        // after their client.
        let user = if name == "kubelet" {
            format!("system:node:{}", self.clients.len())
        } else {
            name.to_string()
        };
        self.add_client_as(name, &user, qps, burst)
    }

    /// [`Api::add_client`] for a client authenticated as `user` (a controller's clientsets
    /// share its service account).
    pub(super) fn add_client_as(&mut self, name: &str, user: &str, qps: f64, burst: u32) -> usize {
        // API Priority and Fairness flow schemas (k8s-facts §1.2): service accounts land in
        // workload-low, the scheduler in workload-high, kubelets (system:nodes) in system,
        // human users (argo CLI, kubectl) in global-default.
        let level = match name {
            "kube-scheduler" => Level::WorkloadHigh,
            "kubelet" => Level::System,
            "argo-cli" | "kubectl" => Level::GlobalDefault,
            _ => Level::WorkloadLow,
        };
        // The flow: flow schema and distinguisher (ByUser, kube-scheduler ByNamespace).
        let flow = flow_hash(&format!("{level:?}"), user);
        let entry = self.throttle.entry(name.to_string());
        let row = entry.index();
        entry.or_insert(ThrottleAcc {
            qps,
            burst,
            ..Default::default()
        });
        self.clients.push(Client {
            row,
            level,
            flow,
            bucket: TokenBucket::new(qps, burst),
        });
        self.clients.len() - 1
    }

    /// Queue every CPU tick (do not hold unobserved ones in hand): for tests.
    #[cfg(test)]
    pub(super) fn queue_every_tick(&mut self) {
        self.virtual_ticks = false;
    }

    /// A new process (or new clientset) starts with a full bucket.
    pub(super) fn reset_bucket(&mut self, client: usize, now: SimTime) {
        self.clients[client].bucket.reset(now);
    }

    /// Send a request from `client`; `origin` gets the completion. `unchanged`: a write
    /// whose result equals the stored object (the apiserver skips etcd and the watch event).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn issue(
        &mut self,
        q: &mut EventQueue<Event>,
        client: usize,
        verb: Verb,
        resource: &'static str,
        bytes: u64,
        origin: Origin,
        unchanged: bool,
    ) -> SimTime {
        self.catch_up(q);
        let acc = self.acc_index(client, verb, resource) as u32;
        let call = ApiCall {
            acc,
            unchanged,
            client: client as u32,
            verb,
            bytes,
            origin,
            attempts: 0,
            first: q.now(),
            queued_at: SimTime::ZERO,
            cpu: SimTime::ZERO,
            etcd: false,
        };
        let id = match self.free_calls.pop() {
            Some(i) => i,
            None => {
                self.calls.push(None);
                self.calls.len() - 1
            }
        };
        let mut call = call;
        let wait = self.dispatch(q, id, &mut call);
        self.calls[id] = Some(call);
        wait
    }

    /// Pass the client's bucket (client-go `Wait`), then arrive at the apiserver; returns the
    /// bucket wait.
    pub(super) fn send(&mut self, q: &mut EventQueue<Event>, id: usize) -> SimTime {
        self.catch_up(q);
        let Some(mut call) = self.calls[id].take() else {
            return SimTime::ZERO;
        };
        let wait = self.dispatch(q, id, &mut call);
        self.calls[id] = Some(call);
        wait
    }

    /// [`Api::send`] for request `id`, `call` (its entry, out of the table: a fresh request
    /// is stored once, after this, instead of stored then read back).
    #[inline]
    fn dispatch(&mut self, q: &mut EventQueue<Event>, id: usize, call: &mut ApiCall) -> SimTime {
        let now = q.now();
        let (client, verb) = (call.client as usize, call.verb);
        let resource = self.acc[call.acc as usize].0.2;
        // The cost depends on the row's verb and resource, the body size and whether the
        // write changes anything: the row remembers its last one (most rows send one size).
        let key = (call.bytes, call.unchanged);
        let row = &mut self.acc[call.acc as usize].1;
        let cost = match row.cost_memo {
            Some((k, c)) if k == key => c,
            _ => {
                let c = if call.unchanged {
                    self.server.cost_unchanged(verb, resource, call.bytes)
                } else {
                    self.server.cost(verb, resource, call.bytes)
                };
                row.cost_memo = Some((key, c));
                c
            }
        };
        call.cpu = cost.cpu;
        call.etcd = cost.etcd;
        let cl = &mut self.clients[client];
        let wait = cl.bucket.reserve(now);
        let acc = &mut self.throttle[cl.row];
        acc.requests += 1;
        if wait > SimTime::ZERO {
            acc.throttled += 1;
            let w = wait.as_secs_f64();
            acc.total += w;
            if wait.0 > d::EXTRA_LONG_THROTTLE_LATENCY_US {
                acc.logged += 1;
            }
            if w > acc.max {
                acc.max = w;
                acc.worst = format!(
                    "Waited for {:.2}s due to client-side throttling, not priority and fairness, request: {}:{}",
                    w,
                    verb.as_str().to_uppercase(),
                    resource
                );
            }
        }
        // Network, TLS and authentication come before admission. Unthrottled, the delay is
        // the request class's fixed time: its arrivals are in time order (one held stream).
        let arrive = Event::Api(ApiEvent::Arrive { call: id as u32 });
        if wait > SimTime::ZERO {
            q.schedule_in(wait.plus(cost.pre), arrive);
        } else if self.arrivals_queued
            || !(self.arrivals).push(q, cost.pre.0, now.plus(cost.pre), id as u32)
        {
            q.schedule_recurring(cost.pre, arrive);
        }
        wait
    }

    /// The key `(time, seq)` of the earliest work held here (an unthrottled arrival, or the
    /// CPU's observed tick), for [`EventQueue::pop_until_or`].
    #[inline]
    pub(super) fn next_held(&self) -> Option<(SimTime, u64)> {
        let arrival = self.arrivals.next();
        match self.held_tick() {
            Some(tick) => Some(arrival.map_or(tick, |a| a.min(tick))),
            None => arrival,
        }
    }

    /// The key of the CPU tick when it is held for delivery (observed, not queued).
    #[inline]
    fn held_tick(&self) -> Option<(SimTime, u64)> {
        match self.cpu_timer {
            Some((t, at)) if !self.cpu_timer_virtual && !self.ticks_queued => Some((at, t.seq())),
            _ => None,
        }
    }

    /// The earliest held work is due ([`Step::External`](crate::engine::Step)): which, for
    /// [`Api::on_arrive`] or [`Api::on_cpu_tick`].
    #[inline]
    pub(super) fn take_held(&mut self, q: &EventQueue<Event>) -> Option<Held> {
        if let Some(tick) = self.held_tick()
            && self.arrivals.next().is_none_or(|a| tick < a)
        {
            return Some(Held::CpuTick);
        }
        self.arrivals
            .pop(q.pending())
            .map(|c| Held::Arrive(c as usize))
    }

    /// Requests issued and not completed (in a bucket, on the way, queued or served): for
    /// tests.
    #[cfg(test)]
    pub(super) fn requests_in_flight(&self) -> usize {
        self.calls.iter().filter(|c| c.is_some()).count()
    }

    /// Unthrottled arrivals held outside the event queue so far: for tests.
    #[cfg(test)]
    pub(super) fn arrivals_held(&self) -> u64 {
        self.arrivals.held()
    }

    /// Queue every arrival as an event (do not hold unthrottled ones here): for tests.
    #[cfg(test)]
    pub(super) fn queue_every_arrival(&mut self) {
        self.arrivals_queued = true;
    }

    /// Queue every observed CPU tick as an event (do not hold it here): for tests.
    #[cfg(test)]
    pub(super) fn queue_observed_ticks(&mut self) {
        self.ticks_queued = true;
    }

    /// The request reaches the apiserver; returns a completion if it is refused at once.
    pub(super) fn on_arrive(
        &mut self,
        q: &mut EventQueue<Event>,
        id: usize,
    ) -> Option<(Origin, Status)> {
        self.catch_up(q);
        let call = self.calls[id].as_ref()?;
        let cl = &self.clients[call.client as usize];
        match self
            .server
            .admit(id, call.verb, call.bytes, cl.level, cl.flow)
        {
            Admission::Accepted => {
                self.start_cpu(q, id);
                None
            }
            Admission::Queued => {
                // A queued request is admitted when a seat frees: the CPU's next tick is
                // observed now.
                if self.cpu_timer_virtual {
                    self.queue_virtual_tick(q);
                }
                if let Some(c) = self.calls[id].as_mut() {
                    c.queued_at = q.now();
                }
                let limit = self.server.queue_wait_limit();
                q.schedule_in(limit, Event::Api(ApiEvent::ApfTimeout { call: id as u32 }));
                None
            }
            Admission::EntityTooLarge => {
                self.status_413 += 1;
                self.complete(q.now(), id, Status::TooLarge)
            }
            Admission::TooManyRequests => self.on_429(q, id),
        }
    }

    /// 429: client-go sleeps `Retry-After` and retries through its bucket, up to 10 times.
    fn on_429(&mut self, q: &mut EventQueue<Event>, id: usize) -> Option<(Origin, Status)> {
        self.status_429 += 1;
        let call = self.calls[id].as_mut()?;
        call.attempts += 1;
        let level = self.clients[call.client as usize].level;
        let retry = self.server.reject(level, q.now());
        let call = self.calls[id].as_ref()?;
        if call.attempts > d::CLIENT_GO_MAX_RETRIES {
            self.complete(q.now(), id, Status::TooMany)
        } else {
            q.schedule_in(retry, Event::Api(ApiEvent::Retry { call: id as u32 }));
            None
        }
    }

    /// An APF-queued request waited too long: 429.
    pub(super) fn on_apf_timeout(
        &mut self,
        q: &mut EventQueue<Event>,
        id: usize,
    ) -> Option<(Origin, Status)> {
        self.catch_up(q);
        let call = self.calls[id].as_ref()?;
        let level = self.clients[call.client as usize].level;
        let due = call.queued_at.plus(self.server.queue_wait_limit());
        if q.now() >= due && self.server.time_out(id, level) {
            self.apf_timeouts += 1;
            self.on_429(q, id)
        } else {
            None
        }
    }

    /// A request with a seat starts computing on the apiserver's CPU.
    fn start_cpu(&mut self, q: &mut EventQueue<Event>, id: usize) {
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
    fn arm_cpu(&mut self, q: &mut EventQueue<Event>) {
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
    fn tick_unobserved(&self) -> bool {
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
    fn queue_virtual_tick(&mut self, q: &mut EventQueue<Event>) {
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
    fn catch_up(&mut self, q: &EventQueue<Event>) {
        if self.cpu_timer_virtual {
            self.catch_up_until(q.current());
        }
    }

    fn catch_up_until(&mut self, (now, seq): (SimTime, u64)) {
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
    pub(super) fn finish_run(&mut self, horizon: SimTime) {
        self.catch_up_until((horizon, u64::MAX));
    }

    /// The CPU finished requests: reads complete (into `out`, cleared first), writes go on to
    /// etcd (in order, one slot of its throughput each, then its commit latency).
    pub(super) fn on_cpu_tick(
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

    /// Service over: free the seat (admitting the next queued request) and complete.
    pub(super) fn on_done(
        &mut self,
        q: &mut EventQueue<Event>,
        id: usize,
    ) -> Option<(Origin, Status)> {
        self.catch_up(q);
        let done = self.finish(q.now(), id)?;
        for next in std::mem::take(&mut self.started) {
            self.start_cpu(q, next.id);
        }
        Some(done)
    }

    /// Free `id`'s seat and complete it at `now`; returns the completion. The queued
    /// requests the seat admitted are left in `self.started` (the caller starts their CPU).
    /// Two results, not one nested tuple: returned together through memory they cost a
    /// store-forwarding stall on every completion.
    #[inline]
    fn finish(&mut self, now: SimTime, id: usize) -> Option<(Origin, Status)> {
        let call = self.calls[id].as_ref()?;
        let level = self.clients[call.client as usize].level;
        let (verb, bytes) = (call.verb, call.bytes);
        self.server.release(verb, level, &mut self.started);
        let status = if self.server.etcd_accepts(verb, bytes) {
            Status::Ok
        } else {
            self.etcd_too_large += 1;
            Status::EtcdTooLarge
        };
        self.complete(now, id, status)
    }

    /// Make room for `n` more clients at once.
    pub(super) fn reserve_clients(&mut self, n: usize) {
        self.clients.reserve_exact(n);
    }

    /// Free the table of calls (the run is over: the report reads the accounting rows).
    pub(super) fn release_calls(&mut self) {
        self.calls = Vec::new();
        self.free_calls = Vec::new();
    }

    /// The accounting row of `client`'s `verb` on `resource`: a short scan of its throttle
    /// row's list (pointer-equal names first), created on first use.
    fn acc_index(&mut self, client: usize, verb: Verb, resource: &'static str) -> usize {
        let same = |r: &'static str| std::ptr::eq(r, resource) || r == resource;
        let row = self.clients[client].row;
        if row >= self.row_accs.len() {
            self.row_accs.resize_with(row + 1, Vec::new);
        }
        if let Some(&(_, _, i)) = self.row_accs[row].iter().find(|a| a.0 == verb && same(a.1)) {
            return i;
        }
        if self.acc.len() == self.acc.capacity() {
            // Rows are made once each and are few (tens), ~190 bytes with their sketch: grow by
            // a quarter (4 at least), not double, so a run does not hold up to as many empty
            // rows as used ones.
            self.acc.reserve_exact((self.acc.len() / 4).max(4));
        }
        self.acc
            .push(((row as u32, verb, resource), ApiAcc::default()));
        let i = self.acc.len() - 1;
        self.row_accs[row].push((verb, resource, i));
        i
    }

    #[inline]
    fn complete(&mut self, now: SimTime, id: usize, status: Status) -> Option<(Origin, Status)> {
        let call = self.calls[id].take()?;
        self.free_calls.push(id);
        let acc = &mut self.acc[call.acc as usize].1;
        let code = match status {
            Status::Ok if call.verb == Verb::Create => 201,
            Status::Ok => 200,
            Status::TooMany => 429,
            Status::TooLarge => 413,
            Status::EtcdTooLarge => 500,
        };
        if let Some(i) = STATUS_CODES.iter().position(|&c| c == code) {
            acc.by_status[i] += 1;
        }
        acc.latencies
            .add_memo(now.since(call.first).as_secs_f64(), &mut acc.memo);
        Some((call.origin, status))
    }

    /// The error text a client sees for `status` (Argo copies it into workflow messages).
    pub(super) fn error_text(&self, status: Status) -> String {
        match status {
            Status::Ok => String::new(),
            Status::TooMany => {
                "the server has received too many requests and has asked us to try again later"
                    .into()
            }
            Status::TooLarge => self.server.entity_too_large_message(),
            Status::EtcdTooLarge => ETCD_TOO_LARGE.into(),
        }
    }

    /// Requests holding a seat now.
    pub(super) fn inflight(&mut self, q: &EventQueue<Event>) -> u32 {
        self.catch_up(q);
        self.server.inflight()
    }

    /// Requests waiting in APF queues now.
    pub(super) fn queued(&mut self, q: &EventQueue<Event>) -> u32 {
        self.catch_up(q);
        self.server.queued()
    }

    /// The API section and the throttle rows of the report.
    pub(super) fn report(&mut self) -> (ApiReport, Vec<ThrottleReport>) {
        let mut api = ApiReport {
            status_429: self.status_429,
            status_413: self.status_413,
            etcd_too_large: self.etcd_too_large,
            peak_inflight: self.server.peak_inflight,
            peak_queued: self.server.peak_queued(),
            apf_queue_timeouts: self.apf_timeouts,
            ..Default::default()
        };
        let mut rows = std::mem::take(&mut self.acc);
        self.row_accs.clear();
        let names: Vec<&str> = self.throttle.keys().map(String::as_str).collect();
        rows.sort_by(|((a, va, ra), _), ((b, vb, rb), _)| {
            (names[*a as usize], va, ra).cmp(&(names[*b as usize], vb, rb))
        });
        // A row is made when its first request is issued; one whose requests are all still
        // in flight has nothing to report.
        for ((row, verb, resource), acc) in rows.into_iter().filter(|(_, a)| a.count() > 0) {
            api.total_requests += acc.count();
            api.by_client.push(ApiRow {
                client: names[row as usize].into(),
                verb: verb.as_str().into(),
                resource: resource.into(),
                count: acc.count(),
                errors: acc.errors(),
                by_status: (STATUS_CODES.iter().zip(acc.by_status))
                    .filter(|(_, n)| *n > 0)
                    .map(|(k, n)| (k.to_string(), n))
                    .collect(),
                latency_s: Stats::from_sketch(&acc.latencies),
            });
        }
        let throttling = self
            .throttle
            .iter()
            .filter(|(_, a)| a.requests > 0)
            .map(|(name, a)| ThrottleReport {
                client: name.clone(),
                qps: if a.qps.is_finite() { a.qps } else { 0.0 },
                burst: if a.qps.is_finite() { a.burst } else { 0 },
                requests: a.requests,
                throttled: a.throttled,
                logged_waits: a.logged,
                total_wait_s: a.total,
                max_wait_s: a.max,
                worst_message: a.worst.clone(),
            })
            .collect();
        (api, throttling)
    }
}

#[cfg(test)]
mod tests {
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
                Step::External => match api.take_held(&q).expect("work is held") {
                    Held::Arrive(call) => Event::Api(ApiEvent::Arrive { call: call as u32 }),
                    Held::CpuTick => {
                        held_ticks += 1;
                        Event::Api(ApiEvent::CpuTick)
                    }
                },
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
                Event::Api(ApiEvent::ApfTimeout { call }) => {
                    api.on_apf_timeout(&mut q, call as usize)
                }
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
}
