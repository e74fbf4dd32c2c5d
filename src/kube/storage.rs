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
///
/// Each active transfer keeps its remaining bytes, and every advance takes the bytes moved
/// off each of them: O(n) per start or end of a transfer. The remaining bytes are one dense
/// `f64` column apart from the ids, so that pass and the search for the next end are tight
/// loops over it (the same arithmetic, element by element). One byte clock shared by all
/// transfers would make both O(log n), but a sum of moves rounds differently from repeated
/// subtraction and moves some completion times by a microsecond.
#[derive(Debug, Clone, Default)]
pub struct SharedLink {
    aggregate: f64,
    per_client: f64,
    /// Active transfers, in the order they started.
    ids: Vec<usize>,
    /// Their remaining bytes (`rem[k]` is `ids[k]`'s).
    rem: Vec<f64>,
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
        let n = self.ids.len().max(1) as f64;
        (self.aggregate / n).min(self.per_client)
    }

    /// Bring remaining bytes up to `now`.
    pub fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.last).as_secs_f64();
        if dt > 0.0 && !self.ids.is_empty() {
            let moved = dt * self.rate();
            for r in &mut self.rem {
                *r -= moved;
            }
        }
        self.last = now;
    }

    /// Start a transfer of `bytes` for `id` (call [`SharedLink::advance`] first).
    pub fn add(&mut self, id: usize, bytes: u64) {
        self.ids.push(id);
        self.rem.push(bytes as f64);
    }

    /// Remove and return finished transfers (under one byte left).
    pub fn take_done(&mut self) -> Vec<usize> {
        let mut done = Vec::new();
        let mut kept = 0;
        for k in 0..self.ids.len() {
            let (id, rem) = (self.ids[k], self.rem[k]);
            if rem < 1.0 {
                done.push(id);
            } else {
                self.ids[kept] = id;
                self.rem[kept] = rem;
                kept += 1;
            }
        }
        self.ids.truncate(kept);
        self.rem.truncate(kept);
        done
    }

    /// Delay from the last advance until the next transfer ends.
    pub fn next_completion(&self) -> Option<SimTime> {
        if self.rem.is_empty() {
            return None;
        }
        let r = self.rate();
        // `f64::min` over finite values: the smallest, as `total_cmp` found it (a -0.0 and a
        // 0.0 give the same delay).
        let least = self.rem.iter().fold(f64::INFINITY, |m, &x| m.min(x));
        Some(SimTime::from_secs_f64_ceil(least.max(0.0) / r))
    }

    /// Active transfers.
    pub fn active(&self) -> usize {
        self.ids.len()
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

    /// The link as it was first written (one `(id, remaining)` vector, `min_by(total_cmp)`):
    /// the column layout must give the same times and the same order, bit for bit.
    struct Reference {
        link: SharedLink,
        jobs: Vec<(usize, f64)>,
    }

    impl Reference {
        fn advance(&mut self, now: SimTime) {
            let dt = now.since(self.link.last).as_secs_f64();
            if dt > 0.0 && !self.jobs.is_empty() {
                let n = self.jobs.len() as f64;
                let moved = dt * (self.link.aggregate / n).min(self.link.per_client);
                for j in &mut self.jobs {
                    j.1 -= moved;
                }
            }
            self.link.last = now;
        }

        fn next_completion(&self) -> Option<SimTime> {
            let n = self.jobs.len().max(1) as f64;
            let r = (self.link.aggregate / n).min(self.link.per_client);
            self.jobs
                .iter()
                .map(|j| j.1)
                .min_by(f64::total_cmp)
                .map(|rem| SimTime::from_secs_f64_ceil(rem.max(0.0) / r))
        }

        fn take_done(&mut self) -> Vec<usize> {
            let mut done = Vec::new();
            self.jobs.retain(|&(id, rem)| {
                let keep = rem >= 1.0;
                if !keep {
                    done.push(id);
                }
                keep
            });
            done
        }
    }

    /// Random starts, with each end taken when the link says it is due (as the kubelet does),
    /// against the reference: identical delays and completion orders.
    #[test]
    fn columns_match_the_reference_bit_for_bit() {
        use rand::{RngExt, SeedableRng};
        let mib = 1024 * 1024;
        let mut r = rand_pcg::Pcg64::seed_from_u64(11);
        let mut link = SharedLink::new(1200.0 * mib as f64, 450.0 * mib as f64);
        let mut reference = Reference {
            link: link.clone(),
            jobs: Vec::new(),
        };
        let (mut now, mut next_id, mut ended) = (SimTime::ZERO, 0, 0);
        for _ in 0..20_000 {
            let due = link.next_completion().map(|d| now.plus(d));
            assert_eq!(due, reference.next_completion().map(|d| now.plus(d)));
            let start_at = now.plus(SimTime(r.random_range(0..2_000_000)));
            match due {
                Some(t) if t <= start_at => {
                    now = t;
                    link.advance(now);
                    reference.advance(now);
                    let done = link.take_done();
                    ended += done.len();
                    assert_eq!(done, reference.take_done());
                }
                _ => {
                    now = start_at;
                    link.advance(now);
                    reference.advance(now);
                    let bytes = r.random_range(1..4 * 1024 * mib);
                    link.add(next_id, bytes);
                    reference.jobs.push((next_id, bytes as f64));
                    next_id += 1;
                }
            }
            assert_eq!(
                link.rem,
                reference.jobs.iter().map(|j| j.1).collect::<Vec<_>>()
            );
        }
        assert!(ended > 1_000 && link.active() > 0, "{ended} ended");
    }

    #[test]
    fn per_client_cap_binds_with_few_clients() {
        let mut l = SharedLink::new(1000.0, 100.0);
        l.add(0, 500);
        assert_eq!(l.rate(), 100.0);
        assert_eq!(l.next_completion(), Some(SimTime::from_secs(5)));
    }
}
