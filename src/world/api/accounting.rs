//! The API path's accounting: per client name the throttle row (requests, waits in the
//! client-go bucket, the longest wait's log line), per (client, verb, resource) the response
//! codes and a latency sketch, and the report built from them. Left out: per-request
//! records (a sketch keeps the quantiles within 0.5 %).

use super::{Api, Origin, Status};
use crate::engine::SimTime;
use crate::kube::apiserver::{Cost, Verb};
use crate::metrics::sketch::Memo;
use crate::metrics::{ApiReport, ApiRow, Sketch, Stats, ThrottleReport};
use crate::scenario::defaults as d;

/// The status codes a request can end with, in ascending order (the report's order).
const STATUS_CODES: [u16; 5] = [200, 201, 413, 429, 500];

/// One client name's row of client-side throttling.
#[derive(Debug, Default, Clone)]
pub(super) struct ThrottleAcc {
    pub(super) qps: f64,
    pub(super) burst: u32,
    pub(super) requests: u64,
    pub(super) throttled: u64,
    pub(super) logged: u64,
    pub(super) total: f64,
    pub(super) max: f64,
    pub(super) worst: String,
}

impl ThrottleAcc {
    /// One request through the client's bucket, which made it wait `wait`: counted, and a
    /// wait over client-go's 50 ms logged; the longest keeps client-go's log line.
    #[inline]
    pub(super) fn note(&mut self, wait: SimTime, verb: Verb, resource: &str) {
        self.requests += 1;
        if wait == SimTime::ZERO {
            return;
        }
        self.throttled += 1;
        let w = wait.as_secs_f64();
        self.total += w;
        if wait.0 > d::EXTRA_LONG_THROTTLE_LATENCY_US {
            self.logged += 1;
        }
        if w > self.max {
            self.max = w;
            self.worst = format!(
                "Waited for {:.2}s due to client-side throttling, not priority and fairness, request: {}:{}",
                w,
                verb.as_str().to_uppercase(),
                resource
            );
        }
    }
}

/// One (client, verb, resource) row of the API report.
#[derive(Debug, Default, Clone)]
pub(super) struct ApiAcc {
    /// Responses per status code, in [`STATUS_CODES`] order (every completion has one: the
    /// row's count is their sum, its errors all but 200 and 201).
    pub(super) by_status: [u64; STATUS_CODES.len()],
    /// Latencies, sketched (0.5 % relative error on the quantiles; one value per call would
    /// be the run's largest per-pod memory cost).
    pub(super) latencies: Sketch,
    /// The bucket of the last latency added.
    pub(super) memo: Memo,
    /// The apiserver cost of the last request sent: (body bytes, unchanged) and its cost.
    pub(super) cost_memo: Option<((u64, bool), Cost)>,
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

impl Api {
    /// Free the table of calls (the run is over: the report reads the accounting rows).
    pub(in crate::world) fn release_calls(&mut self) {
        self.calls = Vec::new();
        self.free_calls = Vec::new();
    }

    /// The accounting row of `client`'s `verb` on `resource`: a short scan of its throttle
    /// row's list (pointer-equal names first), created on first use.
    pub(super) fn acc_index(&mut self, client: usize, verb: Verb, resource: &'static str) -> usize {
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
    pub(super) fn complete(
        &mut self,
        now: SimTime,
        id: usize,
        status: Status,
    ) -> Option<(Origin, Status)> {
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

    /// The API section and the throttle rows of the report.
    pub(in crate::world) fn report(&mut self) -> (ApiReport, Vec<ThrottleReport>) {
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
