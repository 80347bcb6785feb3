//! A per-token rate limit: a token bucket per caller that refills `rate` requests a second and
//! holds at most one second's worth, so short bursts pass and a sustained excess gets 429.
//!
//! The limiter reads no clock itself: [`RateLimiter::check_at`] takes the time of the request,
//! so tests drive it with made-up instants, and the server passes its settings' clock
//! ([`crate::settings::Settings::clock`]).

use crate::error::ApiError;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets kept before refilled ones are dropped.
const MAX_BUCKETS: usize = 10_000;

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

    /// Whether the caller's bucket is empty at time `now` (then how many whole seconds to
    /// wait), without taking from it.
    pub fn limited_at(&self, caller: &str, now: Instant) -> Option<u32> {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets.get(caller)?;
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        let tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        (tokens < 1.0).then(|| self.wait(tokens))
    }

    fn wait(&self, tokens: f64) -> u32 {
        ((1.0 - tokens) / self.rate).ceil().clamp(1.0, 3600.0) as u32
    }

    /// Takes one request from the caller's bucket at time `now`, or says how many whole seconds
    /// (1 to 3600) to wait. A `now` earlier than the caller's last request counts as no time
    /// passed.
    pub fn check_at(&self, caller: &str, now: Instant) -> Result<(), u32> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // Callers are tokens (from a file: few) and client addresses that failed to
        // authenticate (any number). Past MAX_BUCKETS, the buckets that have refilled are
        // dropped: a full bucket is what a new one would be, so nothing is forgotten.
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(caller) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let b = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        // Never move the bucket's time back: an earlier `now` must not earn credit later.
        b.at = b.at.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let tokens = b.tokens;
            Err(self.wait(tokens))
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

/// The ARM-shaped 429 for a client address that failed to authenticate too often. It applies
/// to every request from that address, good tokens included: otherwise a guess that happens to
/// be right would still be told apart, and guessing would go on at full speed. Behind a reverse
/// proxy every client shares the proxy's address, so they share this allowance too.
pub fn too_many_failures(retry_after: u32, rate: u32) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!(
            "More than {rate} requests from this address failed to authenticate in a second; retry after {retry_after} s."
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

    #[test]
    fn limited_at_looks_without_taking() {
        let l = RateLimiter::new(1);
        let t = Instant::now();
        assert_eq!(
            l.limited_at("a", t),
            None,
            "an unknown caller is not limited"
        );
        assert!(l.check_at("a", t).is_ok());
        assert_eq!(l.limited_at("a", t), Some(1));
        assert_eq!(l.limited_at("a", t), Some(1), "looking took nothing");
        assert_eq!(l.limited_at("a", t + Duration::from_secs(1)), None);
    }

    #[test]
    fn refilled_buckets_are_dropped_when_there_are_too_many() {
        let l = RateLimiter::new(1);
        let t = Instant::now();
        for i in 0..MAX_BUCKETS {
            assert!(l.check_at(&format!("address {i}"), t).is_ok());
        }
        // A minute later every bucket has refilled: the next caller clears them all.
        let later = t + Duration::from_secs(60);
        assert!(l.check_at("new", later).is_ok());
        assert_eq!(l.buckets.lock().unwrap().len(), 1);
        // Buckets still empty are kept (their callers stay limited).
        assert!(l.check_at("new", later).is_err());
    }

    #[test]
    fn a_frozen_clock_never_refills() {
        let l = RateLimiter::new(1);
        let t = Instant::now();
        assert!(l.check_at("a", t).is_ok());
        for _ in 0..10 {
            assert_eq!(l.check_at("a", t), Err(1));
        }
        // Time going backwards gives nothing back, then or later.
        if let Some(earlier) = t.checked_sub(Duration::from_secs(5)) {
            assert_eq!(l.check_at("a", earlier), Err(1));
            assert_eq!(l.check_at("a", t), Err(1));
        }
        // A whole second later the bucket holds one request again, and no more than one.
        let later = t + Duration::from_secs(30);
        assert!(l.check_at("a", later).is_ok());
        assert!(l.check_at("a", later).is_err());
    }

    #[test]
    fn the_wait_is_rounded_up_to_whole_seconds() {
        let l = RateLimiter::new(2);
        let t = Instant::now();
        assert!(l.check_at("a", t).is_ok() && l.check_at("a", t).is_ok());
        // Empty: one request refills in half a second, announced as 1 s.
        assert_eq!(l.check_at("a", t), Err(1));
        assert!(l.check_at("a", t + Duration::from_millis(500)).is_ok());
    }
}
