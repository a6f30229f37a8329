//! Stage throttling as API Gateway applies it: one token bucket for the whole stage, refilled at
//! `rate` requests per second up to `burst`; a request finding it empty is 429 before anything
//! else runs.

use std::sync::Mutex;
use std::time::Instant;

/// Burst and steady rate of the stage's token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleConfig {
    /// How many requests may arrive at once (the bucket's size).
    pub burst: u32,
    /// How many requests per second refill the bucket.
    pub rate: f64,
}

impl Default for ThrottleConfig {
    /// API Gateway's default account-level limits: burst 5,000, rate 10,000 per second.
    fn default() -> Self {
        Self {
            burst: 5_000,
            rate: 10_000.0,
        }
    }
}

/// A token bucket shared by every request of the stage.
#[derive(Debug)]
pub struct TokenBucket {
    config: ThrottleConfig,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            state: Mutex::new(BucketState {
                tokens: f64::from(config.burst),
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Takes one token at `now`; `false` means the request is throttled.
    pub fn try_acquire_at(&self, now: Instant) -> bool {
        // A poisoned lock only means another request panicked mid-update; the numbers are
        // still usable, so keep serving rather than failing every later request.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now
            .saturating_duration_since(state.refilled_at)
            .as_secs_f64();
        state.tokens =
            (state.tokens + elapsed * self.config.rate).min(f64::from(self.config.burst));
        state.refilled_at = now;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes one token now; `false` means the request is throttled.
    pub fn try_acquire(&self) -> bool {
        self.try_acquire_at(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_burst_passes_then_requests_wait_for_the_refill() {
        let bucket = TokenBucket::new(ThrottleConfig {
            burst: 2,
            rate: 1.0,
        });
        let start = Instant::now();
        assert!(bucket.try_acquire_at(start));
        assert!(bucket.try_acquire_at(start));
        assert!(!bucket.try_acquire_at(start));
        assert!(!bucket.try_acquire_at(start + Duration::from_millis(500)));
        assert!(bucket.try_acquire_at(start + Duration::from_millis(1000)));
        assert!(!bucket.try_acquire_at(start + Duration::from_millis(1000)));
    }

    #[test]
    fn an_idle_bucket_refills_only_up_to_the_burst() {
        let bucket = TokenBucket::new(ThrottleConfig {
            burst: 1,
            rate: 100.0,
        });
        let later = Instant::now() + Duration::from_secs(60);
        assert!(bucket.try_acquire_at(later));
        assert!(!bucket.try_acquire_at(later));
    }
}
