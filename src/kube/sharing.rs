//! The apiserver's CPU as an egalitarian processor-sharing server over `cores` cores: with `n`
//! requests computing, each progresses at `min(1, cores / n)` of real time. Kept in virtual
//! time (the work a lone request would have done since the start), so an arrival or a
//! departure costs O(log n), not a pass over every request: a request of work `w` arriving at
//! virtual time `V` finishes when `V` reaches `V + w`.
//!
//! Simplified: no Go scheduler or GC effects; requests do not yield while waiting on etcd
//! (the etcd stage is separate and takes no CPU).

use crate::engine::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Job {
    finish_v: f64,
    id: usize,
}

impl Eq for Job {}

impl Ord for Job {
    fn cmp(&self, o: &Self) -> Ordering {
        // Min-heap by finish, then id (deterministic ties).
        o.finish_v
            .total_cmp(&self.finish_v)
            .then_with(|| o.id.cmp(&self.id))
    }
}

impl PartialOrd for Job {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Processor sharing in virtual time.
#[derive(Debug, Clone)]
pub struct SharedCpu {
    cores: f64,
    v: f64,
    last: SimTime,
    jobs: BinaryHeap<Job>,
    /// ∫ busy cores dt, core-µs.
    busy: f64,
}

impl SharedCpu {
    /// `cores` > 0.
    pub fn new(cores: f64) -> Self {
        SharedCpu {
            cores,
            v: 0.0,
            last: SimTime::ZERO,
            jobs: BinaryHeap::new(),
            busy: 0.0,
        }
    }

    /// Each request's share of a core: `min(1, cores / n)`. Without the division when
    /// `n <= cores` (then `cores / n >= 1` exactly; and for `n > cores` the quotient, below 1
    /// by at least 2^-53, never rounds up to 1: the same value bit for bit).
    #[inline]
    fn rate(&self) -> f64 {
        let n = self.jobs.len() as f64;
        if n <= self.cores { 1.0 } else { self.cores / n }
    }

    fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.last).0 as f64;
        if dt > 0.0 {
            let r = self.rate();
            self.v += dt * r;
            self.busy += dt * r * self.jobs.len() as f64;
        }
        self.last = now;
    }

    /// Request `id` needs `work` of CPU from `now`.
    pub fn add(&mut self, now: SimTime, id: usize, work: SimTime) {
        self.advance(now);
        self.jobs.push(Job {
            finish_v: self.v + work.0 as f64,
            id,
        });
    }

    /// The request computing now if there is exactly one.
    pub fn sole(&self) -> Option<usize> {
        if self.jobs.len() == 1 {
            self.jobs.peek().map(|j| j.id)
        } else {
            None
        }
    }

    /// Requests computing now.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// No request is computing.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// When the next request finishes if nothing else arrives (rounded up to a µs).
    pub fn next_completion(&self) -> Option<SimTime> {
        let j = self.jobs.peek()?;
        // Dividing by a rate of 1 changes nothing: skip the division then.
        let r = self.rate();
        let left = j.finish_v - self.v;
        let dt = if r == 1.0 { left } else { left / r }.max(0.0);
        Some(self.last.plus(SimTime(crate::engine::ceil_to_u64(dt))))
    }

    /// Remove and return the requests done by `now` (within half a µs of work).
    pub fn take_done(&mut self, now: SimTime) -> Vec<usize> {
        let mut done = Vec::new();
        self.take_done_into(now, &mut done);
        done
    }

    /// [`SharedCpu::take_done`] into `done` (cleared first), without allocating.
    pub fn take_done_into(&mut self, now: SimTime, done: &mut Vec<usize>) {
        self.advance(now);
        done.clear();
        while let Some(j) = self.jobs.peek() {
            if j.finish_v - self.v > 0.5 {
                break;
            }
            done.push(j.id);
            self.jobs.pop();
        }
    }

    /// Mean busy cores from time zero to `now`.
    pub fn busy_cores_mean(&mut self, now: SimTime) -> f64 {
        self.advance(now);
        if now.0 == 0 {
            0.0
        } else {
            self.busy / now.0 as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Exp};

    fn us(x: u64) -> SimTime {
        SimTime(x)
    }

    proptest::proptest! {
        /// The division-free rate equals `min(1, cores / n)` bit for bit, near the integers
        /// too.
        #[test]
        fn the_rate_is_min_of_one_and_cores_per_request(
            whole in 1u32..64, frac in proptest::prop_oneof![0.0..1.0f64, proptest::strategy::Just(0.0)],
            ulps in -3i64..=3, n in 1usize..80,
        ) {
            let cores = f64::from_bits(((whole as f64 + frac).to_bits() as i64 + ulps) as u64);
            let mut c = SharedCpu::new(cores);
            for i in 0..n {
                c.add(SimTime::ZERO, i, SimTime(1));
            }
            let want = (cores / n as f64).min(1.0);
            proptest::prop_assert_eq!(c.rate().to_bits(), want.to_bits());
        }
    }

    /// At low load (fewer requests than cores) a request takes exactly its work.
    #[test]
    fn below_the_core_count_work_is_the_response_time() {
        let mut c = SharedCpu::new(4.0);
        for i in 0..4 {
            c.add(us(0), i, us(1000));
        }
        assert_eq!(c.next_completion(), Some(us(1000)));
        assert_eq!(c.take_done(us(1000)), vec![0, 1, 2, 3]);
    }

    /// Above it, `n` equal requests on `c` cores share: each finishes after `w · n / c`; a
    /// short one arriving later overtakes as processor sharing does.
    #[test]
    fn above_the_core_count_requests_share() {
        let mut c = SharedCpu::new(2.0);
        for i in 0..4 {
            c.add(us(0), i, us(1000));
        }
        assert_eq!(c.next_completion(), Some(us(2000)));
        // At 1000 µs each has 500 µs done; a 100 µs request arrives: 5 share 2 cores.
        c.add(us(1000), 9, us(100));
        assert_eq!(c.next_completion(), Some(us(1250)));
        assert_eq!(c.take_done(us(1250)), vec![9]);
        // Four left with 400 µs each at rate 1/2.
        assert_eq!(c.next_completion(), Some(us(2050)));
        assert_eq!(c.take_done(us(2050)).len(), 4);
    }

    /// M/M/1-PS: mean response time E[S] / (1 − ρ) (closed form, insensitive to the service
    /// distribution), here E[S] = 1 ms at ρ = 0.6 → 2.5 ms.
    #[test]
    fn mm1_ps_mean_response_matches_the_closed_form() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let (lambda, mean_s) = (0.6 / 1000.0, 1000.0); // per µs, µs
        let inter = Exp::new(lambda).unwrap();
        let work = Exp::new(1.0 / mean_s).unwrap();
        let mut c = SharedCpu::new(1.0);
        let n = 200_000;
        let mut arrivals = Vec::with_capacity(n);
        let mut t = 0.0;
        for _ in 0..n {
            t += inter.sample(&mut rng);
            arrivals.push(SimTime(t as u64));
        }
        let mut start = vec![SimTime::ZERO; n];
        let mut total = 0.0;
        let mut next = 0;
        loop {
            let done_at = c.next_completion();
            let arr = arrivals.get(next).copied();
            match (arr, done_at) {
                (Some(a), d) if d.is_none_or(|d| a <= d) => {
                    start[next] = a;
                    let w = (work.sample(&mut rng) as u64).max(1);
                    c.add(a, next, SimTime(w));
                    next += 1;
                }
                (_, Some(d)) => {
                    for id in c.take_done(d) {
                        total += d.since(start[id]).0 as f64;
                    }
                }
                (None, None) => break,
                _ => unreachable!(),
            }
        }
        let mean = total / n as f64;
        let expect = mean_s / (1.0 - 0.6);
        assert!(
            (mean - expect).abs() / expect < 0.05,
            "mean response {mean:.0} µs, closed form {expect:.0} µs"
        );
    }
}
