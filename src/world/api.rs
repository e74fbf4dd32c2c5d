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
//!
//! Files: this one holds the clients, the requests and their way through admission;
//! `cpu.rs` the apiserver CPU and its held timer, etcd's write lane; `accounting.rs` the
//! throttle and per-row accounting and the report.

use super::Event;
use crate::engine::{EventQueue, HeldStreams, SimTime, TimerId};
use crate::kube::apf::flow_hash;
use crate::kube::apiserver::{Admission, ApiServer, ETCD_TOO_LARGE, Level, Verb};
use crate::kube::ratelimit::TokenBucket;
use crate::kube::sharing::SharedCpu;
use crate::scenario::defaults as d;
use crate::scenario::schema::ApiServerCfg;
use accounting::{ApiAcc, ThrottleAcc};
use indexmap::IndexMap;

mod accounting;
mod cpu;
#[cfg(test)]
mod tests;

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

/// The event queue stream of etcd's commits (in time order: a FIFO server); the high bit
/// keeps it apart from the streams named by a delay.
const ETCD_STREAM: u64 = 1 << 63;

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
        self.throttle[cl.row].note(wait, verb, resource);
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
}
