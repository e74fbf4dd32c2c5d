//! Shared storage for step inputs and outputs.
//!
//! NFS (Filestore, EFS): one server whose aggregate bandwidth `B` is shared equally by the
//! active transfers, each also capped at the per-client bandwidth `b`: a transfer moves at
//! `min(b, B / n)` with `n` active (processor sharing). Bucket (GCS, S3): each transfer moves
//! at `b` with no sharing, but a transfer of `x` bytes needs `ceil(x / object_size)` requests
//! through the bucket's request-rate limit (a token bucket shared by all clients).
//!
//! Simplified: no latency per request, no read/write asymmetry, no bucket ramp-up, no
//! `nconnect`; NFS clients on the same node do not share the node's NIC.

use crate::engine::SimTime;

/// A processor-sharing link with a per-job cap.
#[derive(Debug, Clone, Default)]
pub struct SharedLink {
    aggregate: f64,
    per_client: f64,
    jobs: Vec<(usize, f64)>,
    last: SimTime,
}

impl SharedLink {
    /// Aggregate and per-client bandwidth in bytes/s.
    pub fn new(aggregate: f64, per_client: f64) -> Self {
        SharedLink {
            aggregate,
            per_client,
            ..Default::default()
        }
    }

    /// Bytes/s each active transfer gets now.
    pub fn rate(&self) -> f64 {
        let n = self.jobs.len().max(1) as f64;
        (self.aggregate / n).min(self.per_client)
    }

    /// Bring remaining bytes up to `now`.
    pub fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.last).as_secs_f64();
        if dt > 0.0 && !self.jobs.is_empty() {
            let moved = dt * self.rate();
            for j in &mut self.jobs {
                j.1 -= moved;
            }
        }
        self.last = now;
    }

    /// Start a transfer of `bytes` for `id` (call [`SharedLink::advance`] first).
    pub fn add(&mut self, id: usize, bytes: u64) {
        self.jobs.push((id, bytes as f64));
    }

    /// Remove and return finished transfers (under one byte left).
    pub fn take_done(&mut self) -> Vec<usize> {
        let mut done = Vec::new();
        self.jobs.retain(|&(id, rem)| {
            if rem < 1.0 {
                done.push(id);
                false
            } else {
                true
            }
        });
        done
    }

    /// Delay from the last advance until the next transfer ends.
    pub fn next_completion(&self) -> Option<SimTime> {
        let r = self.rate();
        self.jobs
            .iter()
            .map(|j| j.1)
            .min_by(f64::total_cmp)
            .map(|rem| SimTime::from_secs_f64_ceil(rem.max(0.0) / r))
    }

    /// Active transfers.
    pub fn active(&self) -> usize {
        self.jobs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_clients_each_get_one_kth_of_nfs_bandwidth() {
        let mib = 1024.0 * 1024.0;
        for k in [1usize, 2, 4, 10] {
            let mut l = SharedLink::new(100.0 * mib, 1000.0 * mib);
            for i in 0..k {
                l.add(i, 100 * 1024 * 1024);
            }
            assert!((l.rate() - 100.0 * mib / k as f64).abs() < 1e-6);
            // All k transfers of 100 MiB finish together after k seconds.
            let t = l.next_completion().unwrap();
            assert!((t.as_secs_f64() - k as f64).abs() < 1e-5, "k={k} t={t}");
            l.advance(t);
            assert_eq!(l.take_done().len(), k);
        }
    }

    #[test]
    fn per_client_cap_binds_with_few_clients() {
        let mut l = SharedLink::new(1000.0, 100.0);
        l.add(0, 500);
        assert_eq!(l.rate(), 100.0);
        assert_eq!(l.next_completion(), Some(SimTime::from_secs(5)));
    }
}
