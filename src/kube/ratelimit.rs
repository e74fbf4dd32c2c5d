//! client-go's token bucket (`flowcontrol.NewTokenBucketRateLimiter`, built on
//! `golang.org/x/time/rate`): `qps` tokens per second, at most `burst` stored, the bucket starts
//! full. [`TokenBucket::reserve`] is the blocking `Wait` path: the caller takes a token now,
//! the count may go negative, and the caller waits until it would have been refilled.
//! [`TokenBucket::try_accept`] is the non-blocking `Allow`/`TryAccept` path used by Argo's
//! `resourceRateLimit` and the kubelet's image-pull throttle. [`TokenBucket::reserve_n`] takes
//! `n` tokens at once (bucket storage: one token per object) in closed form.

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
        if self.qps == f64::INFINITY {
            // Unlimited (argoexec's client): the same state as the general path (full after
            // any time passed), without its division; the wait is always zero.
            if now > self.last {
                self.tokens = self.burst;
                self.last = now;
            }
            self.tokens -= 1.0;
            return SimTime::ZERO;
        }
        self.advance(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            SimTime::ZERO
        } else {
            SimTime::from_secs_f64_ceil(-self.tokens / self.qps)
        }
    }

    /// Take `n` tokens at once: exactly what `n` calls of [`TokenBucket::reserve`] at `now`
    /// would do (same bucket state afterwards, bit for bit), returning the wait of the
    /// `n`-th; in O(64) steps instead of `n`. `n = 0` takes nothing and waits zero.
    pub fn reserve_n(&mut self, now: SimTime, n: u64) -> SimTime {
        if n == 0 {
            return SimTime::ZERO;
        }
        self.advance(now);
        self.tokens = minus_ones(self.tokens, n);
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

/// `x` after `n` times `x -= 1.0` in `f64`, bit-identical to the loop. Subtracting an
/// integer is exact while the result stays a multiple of the ulp `x` already is a multiple
/// of: from `x >= 1` down to 0, and for `x <= -1` within its binade `[2^e, 2^(e+1))`. Only a
/// step that crosses into a larger binade (or starts in `(-1, 1)`) can round, so those are
/// taken one at a time and the rest in one subtraction. From `2^53` on, `x - 1` rounds back
/// to a fixed point, after which further steps change nothing.
fn minus_ones(mut x: f64, mut n: u64) -> f64 {
    const TWO_53: f64 = 9_007_199_254_740_992.0;
    while n > 0 {
        if x.is_nan() || x.is_infinite() || x.abs() >= TWO_53 {
            let y = x - 1.0;
            if y.to_bits() == x.to_bits() {
                break;
            }
            x = y;
            n -= 1;
        } else if x >= 1.0 {
            let k = (x.floor() as u64).min(n);
            x -= k as f64;
            n -= k;
        } else if x > -1.0 {
            x -= 1.0;
            n -= 1;
        } else {
            // |x| in [2^e, 2^(e+1)), e <= 52: steps that keep |x| below 2^(e+1) are exact.
            let e = ((x.to_bits() >> 52) & 0x7ff) as i64 - 1023;
            let top = f64::from_bits(((e + 1 + 1023) as u64) << 52);
            let room = (top + x).ceil() as u64; // top - |x|, exact, in (0, 2^e]
            let k = room.saturating_sub(1).min(n);
            if k > 0 {
                x -= k as f64;
                n -= k;
            } else {
                x -= 1.0;
                n -= 1;
            }
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unlimited bucket (qps = inf) never makes a caller wait, but keeps its count as the
    /// general path does: calls at one instant use up its burst for `try_accept`.
    #[test]
    fn an_unlimited_bucket_never_waits_and_keeps_its_count() {
        let mut b = TokenBucket::new(f64::INFINITY, 2);
        for _ in 0..3 {
            assert_eq!(b.reserve(SimTime(10)), SimTime::ZERO);
        }
        assert!(
            !b.try_accept(SimTime(10)),
            "three taken from a burst of two at one instant"
        );
        assert!(b.try_accept(SimTime(11)), "refilled a microsecond later");
    }

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
    fn reserve_n_equals_n_single_reserves_bit_for_bit() {
        // Fractional qps and irregular times give fractional token counts, the case where
        // repeated `-= 1.0` rounds; the bucket state afterwards must match to the bit.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..300 {
            let qps = [0.3, 1.0, 7.7, 20.0, 123.456][case % 5];
            let burst = [1u32, 3, 10, 100][case % 4];
            let mut a = TokenBucket::new(qps, burst);
            let mut b = a.clone();
            let mut now = 0u64;
            for _ in 0..6 {
                now += next() % 3_000_000;
                let n = match next() % 4 {
                    0 => 0,
                    1 => next() % 5,
                    2 => next() % 200,
                    _ => next() % 5_000,
                };
                let t = SimTime(now);
                let mut want = SimTime::ZERO;
                for _ in 0..n {
                    want = a.reserve(t);
                }
                let got = b.reserve_n(t, n);
                assert_eq!(got, want, "case {case} n {n}");
                assert_eq!(a.tokens.to_bits(), b.tokens.to_bits(), "case {case} n {n}");
                assert_eq!(a.last, b.last);
            }
        }
    }

    #[test]
    fn minus_ones_matches_the_loop_across_binades_and_near_2_pow_53() {
        for x0 in [
            0.3,
            0.7,
            -0.1,
            5.25,
            1e-9,
            -3.3,
            1.0e6 + 0.123_456_789,
            2f64.powi(53) - 3.5,
        ] {
            for n in [1u64, 2, 3, 17, 1000, 70_000] {
                let mut x = x0;
                for _ in 0..n {
                    x -= 1.0;
                }
                assert_eq!(minus_ones(x0, n).to_bits(), x.to_bits(), "x0 {x0} n {n}");
            }
        }
        // Past 2^53 the loop reaches a fixed point; the closed form must not spin.
        let big = -(2f64.powi(60));
        assert_eq!(minus_ones(big, u64::MAX), big);
        assert_eq!(minus_ones(1.5, u64::MAX).to_bits(), {
            // Same as stepping to the fixed point: -2^53 rounds to itself on `- 1.0`.
            let mut x = minus_ones(1.5, (1 << 53) + 10);
            for _ in 0..4 {
                x -= 1.0;
            }
            x.to_bits()
        });
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
