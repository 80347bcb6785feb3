//! A per-token rate limit: a token bucket per caller that refills `rate` requests a second and
//! holds at most one second's worth, so short bursts pass and a sustained excess gets 429.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `rate` requests per second per caller (at least 1).
    pub fn new(rate: u32) -> RateLimiter {
        let rate = f64::from(rate.max(1));
        RateLimiter {
            rate,
            burst: rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the caller's bucket, or says how many whole seconds to wait.
    pub fn check(&self, caller: &str) -> Result<(), u32> {
        self.check_at(caller, Instant::now())
    }

    fn check_at(&self, caller: &str, now: Instant) -> Result<(), u32> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // The map has one entry per token that ever called; tokens come from a file, so it
        // stays small.
        let b = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / self.rate;
            Err(wait.ceil().clamp(1.0, 3600.0) as u32)
        }
    }
}

/// The ARM-shaped 429.
pub fn too_many_requests(retry_after: u32, rate: u32) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!(
            "This token made more than {rate} requests in a second; retry after {retry_after} s."
        ),
    );
    e.retry_after = Some(retry_after);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_pass_then_refill() {
        let l = RateLimiter::new(3);
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at("a", t).is_ok());
        }
        assert_eq!(l.check_at("a", t), Err(1));
        assert!(l.check_at("b", t).is_ok(), "callers have their own buckets");
        assert!(
            l.check_at("a", t + Duration::from_millis(400)).is_ok(),
            "a third of a second refills one"
        );
        assert!(l.check_at("a", t + Duration::from_millis(400)).is_err());
    }
}
