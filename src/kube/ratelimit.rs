//! client-go's token bucket (`flowcontrol.NewTokenBucketRateLimiter`, built on
//! `golang.org/x/time/rate`): `qps` tokens per second, at most `burst` stored, the bucket starts
//! full. [`TokenBucket::reserve`] is the blocking `Wait` path: the caller takes a token now,
//! the count may go negative, and the caller waits until it would have been refilled.
//! [`TokenBucket::try_accept`] is the non-blocking `Allow`/`TryAccept` path used by Argo's
//! `resourceRateLimit` and the kubelet's image-pull throttle.

use crate::engine::SimTime;

/// A token bucket in simulated time.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    qps: f64,
    burst: f64,
    tokens: f64,
    last: SimTime,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(qps: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            qps,
            burst,
            tokens: burst,
            last: SimTime::ZERO,
        }
    }

    fn advance(&mut self, now: SimTime) {
        if now > self.last {
            let dt = now.since(self.last).as_secs_f64();
            self.tokens = (self.tokens + dt * self.qps).min(self.burst);
            self.last = now;
        }
    }

    /// Take a token, waiting if none is left; returns how long the caller waits.
    pub fn reserve(&mut self, now: SimTime) -> SimTime {
        self.advance(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            SimTime::ZERO
        } else {
            SimTime::from_secs_f64_ceil(-self.tokens / self.qps)
        }
    }

    /// Take a token only if one is available now.
    pub fn try_accept(&mut self, now: SimTime) -> bool {
        self.advance(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Refill to full (a new process or a new per-request clientset).
    pub fn reset(&mut self, now: SimTime) {
        self.tokens = self.burst;
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_requests_at_once_last_waits_n_minus_b_over_q() {
        // Closed form: with qps q and burst b, the k-th of n simultaneous requests waits
        // max(0, (k - b) / q); the last waits (n - b) / q.
        for (q, b, n) in [
            (20.0, 30u32, 100u32),
            (5.0, 10, 11),
            (50.0, 100, 1000),
            (3.0, 1, 7),
        ] {
            let mut tb = TokenBucket::new(q, b);
            let waits: Vec<SimTime> = (0..n).map(|_| tb.reserve(SimTime::ZERO)).collect();
            for (k, w) in waits.iter().enumerate() {
                let expect = ((k as f64 + 1.0 - f64::from(b)) / q).max(0.0);
                assert!(
                    (w.as_secs_f64() - expect).abs() < 2e-6,
                    "k={k} got {w} want {expect}"
                );
            }
            let last = (f64::from(n) - f64::from(b)) / q;
            assert!((waits.last().unwrap().as_secs_f64() - last).abs() < 2e-6);
        }
    }

    #[test]
    fn refills_at_qps_up_to_burst() {
        let mut tb = TokenBucket::new(10.0, 5);
        for _ in 0..5 {
            assert!(tb.try_accept(SimTime::ZERO));
        }
        assert!(!tb.try_accept(SimTime::ZERO));
        assert!(!tb.try_accept(SimTime::from_millis(99)));
        assert!(tb.try_accept(SimTime::from_millis(100)));
        // Long idle: never more than burst.
        let t = SimTime::from_secs(1000);
        let ok = (0..10).filter(|_| tb.try_accept(t)).count();
        assert_eq!(ok, 5);
    }

    #[test]
    fn steady_arrivals_below_qps_never_wait() {
        let mut tb = TokenBucket::new(20.0, 1);
        for i in 0..100 {
            assert_eq!(tb.reserve(SimTime::from_millis(50 * i)), SimTime::ZERO);
        }
    }
}
