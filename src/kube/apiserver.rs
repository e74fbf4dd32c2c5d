//! kube-apiserver admission as the max-in-flight filter implements it, plus request-size limits.
//!
//! Two seat pools, `--max-requests-inflight` (reads) and `--max-mutating-requests-inflight`
//! (writes). A request that finds its pool full is rejected at once with 429 and
//! `Retry-After: 1` (the client then retries through its token bucket). A body above
//! `MaxRequestBodyBytes` gets 413 `Request entity too large: limit is 3145728`; a write above
//! etcd's `--max-request-bytes` fails with `etcdserver: request is too large`. The service time
//! is a base per verb class plus a cost per MiB of body.
//!
//! Simplified: API Priority and Fairness (priority levels, queues, 15 s queue wait) is not
//! modelled; stored size equals the JSON body size (no proto conversion); watch cost is ignored.

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
        }
    }
}

/// Outcome of admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Seat taken; the request completes after this service time.
    Accepted(SimTime),
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
    /// Most seats of either pool in use at once.
    pub peak_inflight: u32,
}

impl ApiServer {
    /// An idle apiserver.
    pub fn new(cfg: ApiServerCfg) -> Self {
        ApiServer {
            cfg,
            inflight_read: 0,
            inflight_mutating: 0,
            peak_inflight: 0,
        }
    }

    /// Seats in use now.
    pub fn inflight(&self) -> u32 {
        self.inflight_read + self.inflight_mutating
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

    /// Admit a request (takes a seat when accepted).
    pub fn admit(&mut self, verb: Verb, body_bytes: u64) -> Admission {
        if verb.is_mutating() && body_bytes > self.cfg.max_request_body_bytes.0 {
            return Admission::EntityTooLarge;
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

    /// Release the seat of a finished request.
    pub fn release(&mut self, verb: Verb) {
        if verb.is_mutating() {
            self.inflight_mutating = self.inflight_mutating.saturating_sub(1);
        } else {
            self.inflight_read = self.inflight_read.saturating_sub(1);
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

    fn server(read: u32, write: u32) -> ApiServer {
        ApiServer::new(ApiServerCfg {
            max_requests_inflight: read,
            max_mutating_requests_inflight: write,
            ..ApiServerCfg::default()
        })
    }

    #[test]
    fn seats_are_per_pool_and_429_when_full() {
        let mut s = server(1, 2);
        assert!(matches!(s.admit(Verb::Get, 0), Admission::Accepted(_)));
        assert_eq!(s.admit(Verb::Get, 0), Admission::TooManyRequests);
        assert!(matches!(s.admit(Verb::Create, 10), Admission::Accepted(_)));
        assert!(matches!(s.admit(Verb::Update, 10), Admission::Accepted(_)));
        assert_eq!(s.admit(Verb::Patch, 10), Admission::TooManyRequests);
        s.release(Verb::Update);
        assert!(matches!(s.admit(Verb::Patch, 10), Admission::Accepted(_)));
        assert_eq!(s.peak_inflight, 3);
    }

    #[test]
    fn size_limits() {
        let mut s = server(10, 10);
        assert_eq!(
            s.admit(Verb::Update, 3 * 1024 * 1024 + 1),
            Admission::EntityTooLarge
        );
        assert!(matches!(
            s.admit(Verb::Update, 3 * 1024 * 1024),
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
