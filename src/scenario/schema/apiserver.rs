//! The `[apiserver]` table: admission limits (max-in-flight seats, APF, request timeout),
//! size limits (413, etcd's request and quota sizes), and the load model (latency at low load
//! per verb and MiB, split into CPU shared by processor sharing over `cpu_cores`, etcd's commit
//! latency and write throughput, and a fixed remainder; background load).

use super::{default_true, dur};
use crate::scenario::defaults as d;
use crate::units::{Bytes, Dur};
use serde::{Deserialize, Serialize};

/// `[apiserver]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiServerCfg {
    /// `--max-requests-inflight` (non-mutating seats).
    #[serde(default = "default_inflight")]
    pub max_requests_inflight: u32,
    /// `--max-mutating-requests-inflight`.
    #[serde(default = "default_mut_inflight")]
    pub max_mutating_requests_inflight: u32,
    /// `MaxRequestBodyBytes` (413 above).
    #[serde(default = "default_body")]
    pub max_request_body_bytes: Bytes,
    /// etcd `--max-request-bytes` ("etcdserver: request is too large" above).
    #[serde(default = "default_etcd")]
    pub etcd_max_request_bytes: Bytes,
    /// Service time of a read.
    #[serde(default = "default_read_latency")]
    pub read_latency: Dur,
    /// Service time of a write.
    #[serde(default = "default_write_latency")]
    pub write_latency: Dur,
    /// Extra service time per MiB of body.
    #[serde(default = "default_latency_per_mib")]
    pub latency_per_mib: Dur,
    /// `Retry-After` of a 429.
    #[serde(default = "default_retry_after")]
    pub retry_after: Dur,
    /// API Priority and Fairness (on by default since Kubernetes 1.20): seats split into
    /// priority levels with queues; off = the plain max-in-flight filter.
    #[serde(default = "default_true")]
    pub priority_and_fairness: bool,
    /// `--request-timeout`; APF rejects a request queued longer than a quarter of it.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Dur,
    /// etcd `--quota-backend-bytes`.
    #[serde(default = "default_etcd_quota")]
    pub etcd_quota_bytes: Bytes,
    /// *Estimate*: cores of apiserver CPU the requests share (processor sharing).
    #[serde(default = "default_cpu_cores")]
    pub cpu_cores: f64,
    /// *Estimate*: apiserver CPU of a single-object read (part of `read_latency`).
    #[serde(default = "default_read_cpu")]
    pub read_cpu: Dur,
    /// *Estimate*: apiserver CPU of a single-object write (part of `write_latency`).
    #[serde(default = "default_write_cpu")]
    pub write_cpu: Dur,
    /// *Estimate*: CPU per MiB of JSON body (custom resources: Workflows, templates, task
    /// results; part of `latency_per_mib`).
    #[serde(default = "default_json_cpu_per_mib")]
    pub json_cpu_per_mib: Dur,
    /// *Estimate*: CPU per MiB of protobuf body (built-in resources: pods, events, bindings,
    /// config maps).
    #[serde(default = "default_protobuf_cpu_per_mib")]
    pub protobuf_cpu_per_mib: Dur,
    /// *Estimate*: CPU to send one watch event to one watcher (every write fans out to the
    /// informers watching its resource).
    #[serde(default = "default_watch_event_cpu")]
    pub watch_event_cpu: Dur,
    /// *Estimate*: etcd commit latency of a write (fsync, raft round; part of `write_latency`).
    #[serde(default = "default_etcd_write_latency")]
    pub etcd_write_latency: Dur,
    /// *Estimate*: etcd's write throughput; writes queue for it in order.
    #[serde(default = "default_etcd_writes_per_sec")]
    pub etcd_writes_per_sec: f64,
    /// Requests per second from everything else on the cluster (other controllers, users),
    /// each costing `read_cpu`: a steady share of the apiserver's cores.
    #[serde(default)]
    pub background_qps: f64,
}
fn default_cpu_cores() -> f64 {
    d::APISERVER_CPU_CORES
}
fn default_read_cpu() -> Dur {
    dur(d::APISERVER_READ_CPU)
}
fn default_write_cpu() -> Dur {
    dur(d::APISERVER_WRITE_CPU)
}
fn default_json_cpu_per_mib() -> Dur {
    dur(d::APISERVER_JSON_CPU_PER_MIB)
}
fn default_protobuf_cpu_per_mib() -> Dur {
    dur(d::APISERVER_PROTOBUF_CPU_PER_MIB)
}
fn default_watch_event_cpu() -> Dur {
    dur(d::APISERVER_WATCH_EVENT_CPU)
}
fn default_etcd_write_latency() -> Dur {
    dur(d::ETCD_WRITE_LATENCY)
}
fn default_etcd_writes_per_sec() -> f64 {
    d::ETCD_WRITES_PER_SEC
}
fn default_etcd_quota() -> Bytes {
    Bytes(d::ETCD_QUOTA_BACKEND_BYTES)
}
fn default_request_timeout() -> Dur {
    dur(d::REQUEST_TIMEOUT)
}
fn default_inflight() -> u32 {
    d::MAX_REQUESTS_INFLIGHT
}
fn default_mut_inflight() -> u32 {
    d::MAX_MUTATING_REQUESTS_INFLIGHT
}
fn default_body() -> Bytes {
    Bytes(d::MAX_REQUEST_BODY_BYTES)
}
fn default_etcd() -> Bytes {
    Bytes(d::ETCD_MAX_REQUEST_BYTES)
}
fn default_read_latency() -> Dur {
    dur(d::READ_LATENCY)
}
fn default_write_latency() -> Dur {
    dur(d::WRITE_LATENCY)
}
fn default_latency_per_mib() -> Dur {
    dur(d::LATENCY_PER_MIB)
}
fn default_retry_after() -> Dur {
    dur(d::RETRY_AFTER)
}
impl Default for ApiServerCfg {
    fn default() -> Self {
        toml::from_str("").expect("empty apiserver table deserializes")
    }
}
