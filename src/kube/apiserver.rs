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
//! and every pod's service account land, gets 245). A request that finds its level's seats
//! busy waits in that level's queue (capacity queues × queueLengthLimit) for at most a quarter
//! of `--request-timeout` (15 s), then gets 429.
//!
//! Simplified: no borrowing between levels, no shuffle-sharded fair queuing among flows inside
//! a level (one FIFO per level), every request costs one seat (the LIST work estimator is not
//! modelled); stored size equals the JSON body size (no proto conversion); watches are free.

use crate::engine::SimTime;
use crate::scenario::defaults as d;
use crate::scenario::schema::ApiServerCfg;
use serde::Serialize;
use std::collections::VecDeque;

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

#[derive(Debug, Clone, Default)]
struct LevelState {
    seats: u32,
    used: u32,
    capacity: u32,
    queue: VecDeque<Queued>,
}

/// A request waiting in an APF queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// Caller's request id.
    pub id: usize,
    /// Verb.
    pub verb: Verb,
    /// Body bytes.
    pub bytes: u64,
}

/// Outcome of admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Seat taken; the request completes after this service time.
    Accepted(SimTime),
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
    levels: Vec<LevelState>,
    /// Most seats in use at once.
    pub peak_inflight: u32,
    /// Longest APF queue seen.
    pub peak_queued: u32,
}

impl ApiServer {
    /// An idle apiserver.
    pub fn new(cfg: ApiServerCfg) -> Self {
        let total = cfg.max_requests_inflight + cfg.max_mutating_requests_inflight;
        let share_sum: u32 = d::APF_SHARES.iter().map(|(_, s)| s).sum();
        let levels = d::APF_SHARES
            .iter()
            .zip(d::APF_QUEUE_CAPACITY)
            .map(|((_, share), (_, cap))| LevelState {
                seats: (u64::from(total) * u64::from(*share)).div_ceil(u64::from(share_sum)) as u32,
                capacity: cap,
                ..Default::default()
            })
            .collect();
        ApiServer {
            cfg,
            inflight_read: 0,
            inflight_mutating: 0,
            levels,
            peak_inflight: 0,
            peak_queued: 0,
        }
    }

    /// Seats of an APF level.
    pub fn level_seats(&self, level: Level) -> u32 {
        self.levels[level as usize].seats
    }

    /// Requests queued now, all levels.
    pub fn queued(&self) -> u32 {
        self.levels.iter().map(|l| l.queue.len() as u32).sum()
    }

    /// How long APF lets a request wait in a queue (a quarter of `--request-timeout`).
    pub fn queue_wait_limit(&self) -> SimTime {
        SimTime(self.cfg.request_timeout.0 / 4)
    }

    /// Seats in use now.
    pub fn inflight(&self) -> u32 {
        if self.cfg.priority_and_fairness {
            self.levels.iter().map(|l| l.used).sum()
        } else {
            self.inflight_read + self.inflight_mutating
        }
    }

    /// Service time of a request with this verb and body/response size.
    pub fn service_time(&self, verb: Verb, bytes: u64) -> SimTime {
        let base = if verb.is_mutating() {
            self.cfg.write_latency.0
        } else {
            self.cfg.read_latency.0
        };
        let per = self.cfg.latency_per_mib.0 as f64 * bytes as f64 / (1024.0 * 1024.0);
        SimTime(base + per.ceil() as u64)
    }

    /// Admit request `id` from priority level `level` (takes a seat when accepted).
    pub fn admit(&mut self, id: usize, verb: Verb, body_bytes: u64, level: Level) -> Admission {
        if verb.is_mutating() && body_bytes > self.cfg.max_request_body_bytes.0 {
            return Admission::EntityTooLarge;
        }
        if self.cfg.priority_and_fairness {
            let l = &mut self.levels[level as usize];
            if l.used < l.seats && l.queue.is_empty() {
                l.used += 1;
                self.peak_inflight = self.peak_inflight.max(self.inflight());
                return Admission::Accepted(self.service_time(verb, body_bytes));
            }
            if (l.queue.len() as u32) < l.capacity {
                l.queue.push_back(Queued {
                    id,
                    verb,
                    bytes: body_bytes,
                });
                let q = self.queued();
                self.peak_queued = self.peak_queued.max(q);
                return Admission::Queued;
            }
            return Admission::TooManyRequests;
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
        Admission::Accepted(self.service_time(verb, body_bytes))
    }

    /// Release the seat of a finished request. Under APF, returns the queued request that now
    /// takes the seat and its service time.
    pub fn release(&mut self, verb: Verb, level: Level) -> Option<(Queued, SimTime)> {
        if self.cfg.priority_and_fairness {
            let l = &mut self.levels[level as usize];
            l.used = l.used.saturating_sub(1);
            if l.used < l.seats
                && let Some(next) = l.queue.pop_front()
            {
                l.used += 1;
                return Some((next, self.service_time(next.verb, next.bytes)));
            }
            return None;
        }
        if verb.is_mutating() {
            self.inflight_mutating = self.inflight_mutating.saturating_sub(1);
        } else {
            self.inflight_read = self.inflight_read.saturating_sub(1);
        }
        None
    }

    /// APF queue-wait limit reached for request `id`: remove it if still queued (then the
    /// caller answers 429). Returns whether it was still waiting.
    pub fn time_out(&mut self, id: usize, level: Level) -> bool {
        let q = &mut self.levels[level as usize].queue;
        match q.iter().position(|x| x.id == id) {
            Some(i) => {
                q.remove(i);
                true
            }
            None => false,
        }
    }

    /// Whether etcd accepts a write of this size.
    pub fn etcd_accepts(&self, verb: Verb, bytes: u64) -> bool {
        !verb.is_mutating() || bytes <= self.cfg.etcd_max_request_bytes.0
    }

    /// `Retry-After` of a 429.
    pub fn retry_after(&self) -> SimTime {
        SimTime(self.cfg.retry_after.0)
    }

    /// The 413 message.
    pub fn entity_too_large_message(&self) -> String {
        format!(
            "Request entity too large: limit is {}",
            self.cfg.max_request_body_bytes.0
        )
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
        let seats = s.level_seats(L);
        for i in 0..seats as usize {
            assert!(matches!(
                s.admit(i, Verb::Get, 0, L),
                Admission::Accepted(_)
            ));
        }
        assert_eq!(s.admit(100, Verb::Get, 0, L), Admission::Queued);
        assert_eq!(s.admit(101, Verb::Get, 0, L), Admission::Queued);
        assert!(s.time_out(101, L));
        assert!(!s.time_out(101, L));
        let (next, _) = s
            .release(Verb::Get, L)
            .expect("queued request gets the seat");
        assert_eq!(next.id, 100);
        assert!(s.release(Verb::Get, L).is_none());
    }

    #[test]
    fn seats_are_per_pool_and_429_when_full() {
        let mut s = server(1, 2);
        assert!(matches!(
            s.admit(0, Verb::Get, 0, L),
            Admission::Accepted(_)
        ));
        assert_eq!(s.admit(0, Verb::Get, 0, L), Admission::TooManyRequests);
        assert!(matches!(
            s.admit(0, Verb::Create, 10, L),
            Admission::Accepted(_)
        ));
        assert!(matches!(
            s.admit(0, Verb::Update, 10, L),
            Admission::Accepted(_)
        ));
        assert_eq!(s.admit(0, Verb::Patch, 10, L), Admission::TooManyRequests);
        s.release(Verb::Update, L);
        assert!(matches!(
            s.admit(0, Verb::Patch, 10, L),
            Admission::Accepted(_)
        ));
        assert_eq!(s.peak_inflight, 3);
    }

    #[test]
    fn size_limits() {
        let mut s = server(10, 10);
        assert_eq!(
            s.admit(0, Verb::Update, 3 * 1024 * 1024 + 1, L),
            Admission::EntityTooLarge
        );
        assert!(matches!(
            s.admit(0, Verb::Update, 3 * 1024 * 1024, L),
            Admission::Accepted(_)
        ));
        assert!(s.etcd_accepts(Verb::Update, 1_572_864));
        assert!(!s.etcd_accepts(Verb::Update, 1_572_865));
        assert_eq!(
            s.entity_too_large_message(),
            "Request entity too large: limit is 3145728"
        );
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
