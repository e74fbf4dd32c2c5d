//! kube-apiserver admission as the max-in-flight filter implements it, plus request-size limits.
//!
//! Two seat pools, `--max-requests-inflight` (reads) and `--max-mutating-requests-inflight`
//! (writes). A request that finds its pool full is rejected at once with 429 and
//! `Retry-After: 1` (the client then retries through its token bucket). A body above
//! `MaxRequestBodyBytes` gets 413 `Request entity too large: limit is 3145728`; a write above
//! etcd's `--max-request-bytes` fails with `etcdserver: request is too large`. The service time
//! is a base per verb class plus a cost per MiB of body.
//!
//! With API Priority and Fairness on (the default since Kubernetes 1.20), the
//! `400 + 200 = 600` seats are split among the suggested priority levels by their nominal
//! concurrency shares (`ceil(600 × shares / 245)`: workload-low, where the workflow controller
//! and every pod's service account land, gets 245), with lending, shuffle-sharded queues per
//! flow and an adaptive `Retry-After` (`kube::apf`). A queued request waits at most a quarter
//! of `--request-timeout` (15 s), then gets 429.
//!
//! Simplified: every request costs one seat (the LIST work estimator is not modelled); stored
//! size equals the JSON body size (no proto conversion); watches are free.

pub use super::apf::Queued;
use super::apf::{Apf, Decision};
use crate::engine::SimTime;
use crate::scenario::schema::ApiServerCfg;
use serde::Serialize;

/// API verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    /// GET one object.
    Get,
    /// LIST a collection.
    List,
    /// POST.
    Create,
    /// PUT the whole object.
    Update,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// DELETE of a collection (by label selector).
    DeleteCollection,
}

impl Verb {
    /// Mutating verbs use the mutating seat pool.
    pub fn is_mutating(self) -> bool {
        !matches!(self, Verb::Get | Verb::List)
    }
    /// Lower-case name as in Argo's `k8s_request_total{verb}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

/// An APF priority level (the suggested configuration of k8s-facts §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `system` (system:nodes: kubelets' pod status writes).
    System = 0,
    /// `node-high` (node leases and node status).
    NodeHigh = 1,
    /// `leader-election`.
    LeaderElection = 2,
    /// `workload-high` (kube-scheduler, kube-controller-manager).
    WorkloadHigh = 3,
    /// `workload-low` (every service account: workflow controller, Argo Server, argoexec).
    WorkloadLow = 4,
    /// `global-default` (human users: argo CLI, kubectl).
    GlobalDefault = 5,
    /// `catch-all`.
    CatchAll = 6,
}

/// Outcome of admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Seat taken: the request computes (see [`ApiServer::cost`]).
    Accepted,
    /// Waiting in its APF level's queue; [`ApiServer::release`] hands it a seat later.
    Queued,
    /// 429: no seat in the pool.
    TooManyRequests,
    /// 413: body above `MaxRequestBodyBytes`.
    EntityTooLarge,
}

/// Seat accounting of one apiserver.
#[derive(Debug, Clone)]
pub struct ApiServer {
    cfg: ApiServerCfg,
    inflight_read: u32,
    inflight_mutating: u32,
    apf: Apf,
    /// Most seats in use at once.
    pub peak_inflight: u32,
    /// One write's share of etcd's throughput (from `etcd_writes_per_sec`).
    etcd_slot: SimTime,
}

impl ApiServer {
    /// An idle apiserver.
    pub fn new(cfg: ApiServerCfg) -> Self {
        let etcd_slot = SimTime::from_secs_f64_ceil(1.0 / cfg.etcd_writes_per_sec);
        let total = cfg.max_requests_inflight + cfg.max_mutating_requests_inflight;
        ApiServer {
            cfg,
            inflight_read: 0,
            inflight_mutating: 0,
            apf: Apf::new(total),
            peak_inflight: 0,
            etcd_slot,
        }
    }

    /// Nominal seats of an APF level.
    pub fn level_seats(&self, level: Level) -> u32 {
        self.apf.seats(level as usize)
    }

    /// Requests queued now, all levels.
    pub fn queued(&self) -> u32 {
        self.apf.queued()
    }

    /// Longest the APF queues have been, all levels together.
    pub fn peak_queued(&self) -> u32 {
        self.apf.peak_queued
    }

    /// How long APF lets a request wait in a queue (a quarter of `--request-timeout`).
    pub fn queue_wait_limit(&self) -> SimTime {
        SimTime(self.cfg.request_timeout.0 / 4)
    }

    /// Seats in use now.
    pub fn inflight(&self) -> u32 {
        if self.cfg.priority_and_fairness {
            self.apf.inflight()
        } else {
            self.inflight_read + self.inflight_mutating
        }
    }

    /// How a request spends its low-load latency ([`ApiServer::service_time`]): apiserver CPU
    /// (per verb, per MiB by encoding, watch fan-out of a write), the etcd commit of a write
    /// (latency plus one slot of etcd's write throughput), and the rest before admission
    /// (network, TLS, authentication). Under load only the CPU (shared by processor sharing)
    /// and etcd (writes queue for its throughput) stretch.
    pub fn cost(&self, verb: Verb, resource: &str, bytes: u64) -> Cost {
        let c = &self.cfg;
        let mib = bytes as f64 / (1024.0 * 1024.0);
        let per_mib = if is_custom_resource(resource) {
            c.json_cpu_per_mib.0
        } else {
            c.protobuf_cpu_per_mib.0
        };
        let mutating = verb.is_mutating();
        let fanout = if mutating {
            watchers(resource) * c.watch_event_cpu.0
        } else {
            0
        };
        let cpu = if mutating {
            c.write_cpu.0
        } else {
            c.read_cpu.0
        } + (per_mib as f64 * mib).ceil() as u64
            + fanout;
        let etcd = if mutating {
            c.etcd_write_latency.0 + self.etcd_slot().0
        } else {
            0
        };
        Cost {
            pre: SimTime(self.service_time(verb, bytes).0.saturating_sub(cpu + etcd)),
            cpu: SimTime(cpu),
            etcd: mutating,
        }
    }

    /// [`ApiServer::cost`] of a write that changes nothing (a merge patch whose result equals
    /// the stored object): the apiserver decodes, applies and encodes it, finds the bytes
    /// equal to what it holds and returns without an etcd transaction and without a watch
    /// event (`GuaranteedUpdate` in `k8s.io/apiserver/pkg/storage/etcd3/store.go`: "if
    /// !origState.stale && bytes.Equal(data, origState.data)"). Same time before admission
    /// and CPU as the write less the watch fan-out; no etcd stage.
    pub fn cost_unchanged(&self, verb: Verb, resource: &str, bytes: u64) -> Cost {
        let c = self.cost(verb, resource, bytes);
        if !verb.is_mutating() {
            return c;
        }
        let fanout = watchers(resource) * self.cfg.watch_event_cpu.0;
        Cost {
            pre: c.pre,
            cpu: SimTime(c.cpu.0 - fanout),
            etcd: false,
        }
    }

    /// etcd's commit latency of a write.
    pub fn etcd_write_latency(&self) -> SimTime {
        SimTime(self.cfg.etcd_write_latency.0)
    }

    /// One write's share of etcd's throughput.
    pub fn etcd_slot(&self) -> SimTime {
        self.etcd_slot
    }

    /// The apiserver cores left to the scenario's requests after `background_qps`.
    pub fn cores_for_requests(&self) -> f64 {
        let c = &self.cfg;
        c.cpu_cores - c.background_qps * c.read_cpu.0 as f64 / 1e6
    }

    /// Service time of a request with this verb and body/response size at low load.
    pub fn service_time(&self, verb: Verb, bytes: u64) -> SimTime {
        let base = if verb.is_mutating() {
            self.cfg.write_latency.0
        } else {
            self.cfg.read_latency.0
        };
        let per = self.cfg.latency_per_mib.0 as f64 * bytes as f64 / (1024.0 * 1024.0);
        SimTime(base + per.ceil() as u64)
    }

    /// Admit request `id` of flow `flow` (a hash of its client's identity, `apf::flow_hash`)
    /// from priority level `level` (takes a seat when accepted).
    pub fn admit(
        &mut self,
        id: usize,
        verb: Verb,
        body_bytes: u64,
        level: Level,
        flow: u64,
    ) -> Admission {
        if verb.is_mutating() && body_bytes > self.cfg.max_request_body_bytes.0 {
            return Admission::EntityTooLarge;
        }
        if self.cfg.priority_and_fairness {
            let q = Queued {
                id,
                mutating: verb.is_mutating(),
                bytes: body_bytes,
            };
            return match self.apf.admit(q, level as usize, flow) {
                Decision::Run => {
                    self.peak_inflight = self.peak_inflight.max(self.inflight());
                    Admission::Accepted
                }
                Decision::Queued => Admission::Queued,
                Decision::Reject => Admission::TooManyRequests,
            };
        }
        let (used, limit) = if verb.is_mutating() {
            (
                &mut self.inflight_mutating,
                self.cfg.max_mutating_requests_inflight,
            )
        } else {
            (&mut self.inflight_read, self.cfg.max_requests_inflight)
        };
        if *used >= limit {
            return Admission::TooManyRequests;
        }
        *used += 1;
        self.peak_inflight = self
            .peak_inflight
            .max(self.inflight_read + self.inflight_mutating);
        Admission::Accepted
    }

    /// Release the seat of a finished request. Under APF, the queued requests that now take
    /// a seat (of this level, or borrowed by another) go into `started` (cleared first).
    pub fn release(&mut self, verb: Verb, level: Level, started: &mut Vec<Queued>) {
        if self.cfg.priority_and_fairness {
            self.apf.release(level as usize, started);
            self.peak_inflight = self.peak_inflight.max(self.inflight());
            return;
        }
        started.clear();
        if verb.is_mutating() {
            self.inflight_mutating = self.inflight_mutating.saturating_sub(1);
        } else {
            self.inflight_read = self.inflight_read.saturating_sub(1);
        }
    }

    /// APF queue-wait limit reached for request `id`: remove it if still queued (then the
    /// caller answers 429). Returns whether it was still waiting.
    pub fn time_out(&mut self, id: usize, level: Level) -> bool {
        self.apf.time_out(id, level as usize)
    }

    /// Whether etcd accepts a write of this size.
    pub fn etcd_accepts(&self, verb: Verb, bytes: u64) -> bool {
        !verb.is_mutating() || bytes <= self.cfg.etcd_max_request_bytes.0
    }

    /// A 429 at `now` from `level`: its `Retry-After`. Under APF it adapts to the level's
    /// recent drops (1-32 s, `dropped_requests_tracker.go`); max-in-flight answers
    /// `[apiserver] retry_after`.
    pub fn reject(&mut self, level: Level, now: SimTime) -> SimTime {
        if self.cfg.priority_and_fairness {
            self.apf.record_dropped(level as usize, now);
            self.apf.retry_after(level as usize)
        } else {
            SimTime(self.cfg.retry_after.0)
        }
    }

    /// The 413 message.
    pub fn entity_too_large_message(&self) -> String {
        format!(
            "Request entity too large: limit is {}",
            self.cfg.max_request_body_bytes.0
        )
    }
}

/// Where a request's low-load latency goes (see [`ApiServer::cost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Before admission: network, TLS, authentication.
    pub pre: SimTime,
    /// apiserver CPU.
    pub cpu: SimTime,
    /// A write: commits through etcd after its CPU.
    pub etcd: bool,
}

/// Custom resources are stored and served as JSON only (no protobuf).
fn is_custom_resource(resource: &str) -> bool {
    matches!(
        resource,
        "workflows"
            | "workflowtemplates"
            | "clusterworkflowtemplates"
            | "workflowtaskresults"
            | "cronworkflows"
    )
}

/// Informers watching a resource (each write is sent to each): pods to the controller's pod
/// informer, the scheduler and the node's kubelet; Argo's objects to the controller.
fn watchers(resource: &str) -> u64 {
    match resource {
        "pods" | "pods/status" | "pods/binding" => 3,
        "workflows" | "workflowtaskresults" => 1,
        _ => 0,
    }
}

/// etcd's error text for an oversized write.
pub const ETCD_TOO_LARGE: &str = "etcdserver: request is too large";

#[cfg(test)]
mod tests {
    use super::*;

    const L: Level = Level::WorkloadLow;

    fn server(read: u32, write: u32) -> ApiServer {
        ApiServer::new(ApiServerCfg {
            max_requests_inflight: read,
            max_mutating_requests_inflight: write,
            priority_and_fairness: false,
            ..ApiServerCfg::default()
        })
    }

    #[test]
    fn apf_splits_600_seats_by_shares() {
        let s = ApiServer::new(ApiServerCfg::default());
        // k8s-facts §1.2: ceil(600 × NCS / 245).
        assert_eq!(s.level_seats(Level::WorkloadLow), 245);
        assert_eq!(s.level_seats(Level::WorkloadHigh), 98);
        assert_eq!(s.level_seats(Level::GlobalDefault), 49);
        assert_eq!(s.level_seats(Level::System), 74);
        assert_eq!(s.queue_wait_limit(), SimTime::from_secs(15));
    }

    #[test]
    fn apf_queues_then_hands_seat_over_fifo() {
        let mut s = ApiServer::new(ApiServerCfg {
            max_requests_inflight: 2,
            max_mutating_requests_inflight: 1,
            ..Default::default()
        });
        let mut i = 0;
        while matches!(s.admit(i, Verb::Get, 0, L, 7), Admission::Accepted) {
            i += 1;
        }
        // Its own seats plus what the other levels lend.
        assert!(i as u32 >= s.level_seats(L), "{i}");
        assert_eq!(s.admit(100, Verb::Get, 0, L, 7), Admission::Queued);
        assert!(s.time_out(100, L));
        assert!(!s.time_out(100, L));
        assert!(s.time_out(i, L), "the first that found no seat was queued");
        assert_eq!(s.admit(101, Verb::Get, 0, L, 7), Admission::Queued);
        let mut started = Vec::new();
        s.release(Verb::Get, L, &mut started);
        assert_eq!(started.len(), 1);
        assert_eq!(started[0].id, 101);
        s.release(Verb::Get, L, &mut started);
        assert!(started.is_empty());
    }

    #[test]
    fn seats_are_per_pool_and_429_when_full() {
        let mut s = server(1, 2);
        assert!(matches!(
            s.admit(0, Verb::Get, 0, L, 0),
            Admission::Accepted
        ));
        assert_eq!(s.admit(0, Verb::Get, 0, L, 0), Admission::TooManyRequests);
        assert!(matches!(
            s.admit(0, Verb::Create, 10, L, 0),
            Admission::Accepted
        ));
        assert!(matches!(
            s.admit(0, Verb::Update, 10, L, 0),
            Admission::Accepted
        ));
        assert_eq!(
            s.admit(0, Verb::Patch, 10, L, 0),
            Admission::TooManyRequests
        );
        s.release(Verb::Update, L, &mut Vec::new());
        assert!(matches!(
            s.admit(0, Verb::Patch, 10, L, 0),
            Admission::Accepted
        ));
        assert_eq!(s.peak_inflight, 3);
    }

    #[test]
    fn size_limits() {
        let mut s = server(10, 10);
        assert_eq!(
            s.admit(0, Verb::Update, 3 * 1024 * 1024 + 1, L, 0),
            Admission::EntityTooLarge
        );
        assert!(matches!(
            s.admit(0, Verb::Update, 3 * 1024 * 1024, L, 0),
            Admission::Accepted
        ));
        assert!(s.etcd_accepts(Verb::Update, 1_572_864));
        assert!(!s.etcd_accepts(Verb::Update, 1_572_865));
        assert_eq!(
            s.entity_too_large_message(),
            "Request entity too large: limit is 3145728"
        );
    }

    /// At low load a request's parts add up to the configured latency (pre + CPU + etcd).
    #[test]
    fn cost_splits_the_low_load_latency() {
        let s = server(1, 1);
        for (verb, res, bytes) in [
            (Verb::Get, "pods", 0),
            (Verb::Patch, "pods/status", 1024),
            (Verb::Update, "workflows", 600_000),
            (Verb::List, "workflows", 5 << 20),
        ] {
            let c = s.cost(verb, res, bytes);
            let etcd = if c.etcd {
                SimTime::from_secs_f64_ceil(0.005).plus(s.etcd_slot())
            } else {
                SimTime::ZERO
            };
            assert_eq!(
                c.pre.plus(c.cpu).plus(etcd),
                s.service_time(verb, bytes),
                "{verb:?} {res}"
            );
        }
        // JSON custom resources cost more CPU per MiB than protobuf built-ins.
        assert!(
            s.cost(Verb::List, "workflows", 1 << 20).cpu > s.cost(Verb::List, "pods", 1 << 20).cpu
        );
    }

    /// A write whose result equals the stored object costs the write's CPU less the watch
    /// fan-out and no etcd commit: `GuaranteedUpdate` (`k8s.io/apiserver/pkg/storage/etcd3/
    /// store.go`) returns before the etcd transaction when the encoded object is unchanged,
    /// so no watch event goes out either.
    #[test]
    fn an_unchanged_write_skips_etcd_and_the_watch_fanout() {
        let s = server(1, 1);
        let w = s.cost(Verb::Patch, "workflowtaskresults", 1024);
        let u = s.cost_unchanged(Verb::Patch, "workflowtaskresults", 1024);
        assert!(w.etcd && !u.etcd);
        assert_eq!(u.pre, w.pre);
        let fanout = watchers("workflowtaskresults") * s.cfg.watch_event_cpu.0;
        assert!(fanout > 0);
        assert_eq!(u.cpu.0, w.cpu.0 - fanout);
        // Reads are unchanged by definition.
        let r = s.cost(Verb::Get, "pods", 1024);
        let ru = s.cost_unchanged(Verb::Get, "pods", 1024);
        assert_eq!((r.pre, r.cpu, r.etcd), (ru.pre, ru.cpu, ru.etcd));
    }

    #[test]
    fn latency_grows_with_size() {
        let s = server(1, 1);
        let small = s.service_time(Verb::Update, 1000);
        let big = s.service_time(Verb::Update, 2 * 1024 * 1024);
        assert_eq!(big.0 - s.service_time(Verb::Update, 0).0, 80_000);
        assert!(big > small);
    }
}
