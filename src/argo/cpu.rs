//! The workflow controller's CPU as a processor-sharing server: `cores` cores shared equally
//! by the workers that are computing (reconcile CPU), each progressing at `min(1, cores / n)`
//! of real time. With `cores = 0` there is no limit and every burst runs at full speed.
//!
//! Simplified: Go's scheduler, GC pauses and informer goroutines are not modelled; only
//! reconcile CPU competes.

use crate::engine::SimTime;

/// Processor sharing among workers.
#[derive(Debug, Clone, Default)]
pub struct ProcessorSharing {
    cores: f64,
    jobs: Vec<(usize, f64)>,
    last: SimTime,
    /// ∫ busy cores dt, core-seconds.
    pub busy_core_seconds: f64,
}

impl ProcessorSharing {
    /// `cores` = 0 means unlimited.
    pub fn new(cores: f64) -> Self {
        ProcessorSharing {
            cores,
            ..Default::default()
        }
    }

    /// Whether CPU is limited at all.
    pub fn limited(&self) -> bool {
        self.cores > 0.0
    }

    fn rate(&self) -> f64 {
        let n = self.jobs.len() as f64;
        if n == 0.0 {
            1.0
        } else {
            (self.cores / n).min(1.0)
        }
    }

    /// Bring remaining work up to `now`.
    pub fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.last).0 as f64;
        if dt > 0.0 && !self.jobs.is_empty() {
            let r = self.rate();
            for j in &mut self.jobs {
                j.1 -= dt * r;
            }
            self.busy_core_seconds += dt / 1e6 * r * self.jobs.len() as f64;
        }
        self.last = now;
    }

    /// Add `work` µs of CPU for `worker` (call [`ProcessorSharing::advance`] first).
    pub fn add(&mut self, worker: usize, work: SimTime) {
        self.jobs.push((worker, work.0 as f64));
    }

    /// Remove and return the workers whose work is done (remaining under 0.5 µs).
    pub fn take_done(&mut self) -> Vec<usize> {
        let mut done = Vec::new();
        self.jobs.retain(|&(w, rem)| {
            if rem < 0.5 {
                done.push(w);
                false
            } else {
                true
            }
        });
        done
    }

    /// Drop every job (the controller restarted).
    pub fn clear(&mut self) {
        self.jobs.clear();
    }

    /// Delay from `last` until the next job finishes.
    pub fn next_completion(&self) -> Option<SimTime> {
        let r = self.rate();
        self.jobs
            .iter()
            .map(|j| j.1)
            .min_by(f64::total_cmp)
            .map(|rem| SimTime(crate::engine::ceil_to_u64(rem.max(0.0) / r)))
    }

    /// Jobs computing now.
    pub fn active(&self) -> usize {
        self.jobs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_equal_jobs_on_c_cores_take_n_over_c_times_longer() {
        // Closed form of processor sharing: n jobs of work w on c < n cores all finish at w·n/c.
        let mut ps = ProcessorSharing::new(2.0);
        for w in 0..8 {
            ps.add(w, SimTime::from_millis(100));
        }
        let t = ps.next_completion().unwrap();
        assert_eq!(t, SimTime::from_millis(400));
        ps.advance(t);
        assert_eq!(ps.take_done().len(), 8);
        assert!((ps.busy_core_seconds - 0.8).abs() < 1e-9);
    }

    #[test]
    fn fewer_jobs_than_cores_run_at_full_speed() {
        let mut ps = ProcessorSharing::new(4.0);
        ps.add(0, SimTime::from_millis(10));
        ps.add(1, SimTime::from_millis(30));
        assert_eq!(ps.next_completion(), Some(SimTime::from_millis(10)));
        ps.advance(SimTime::from_millis(10));
        assert_eq!(ps.take_done(), vec![0]);
        assert_eq!(ps.next_completion(), Some(SimTime::from_millis(20)));
    }
}
