//! Keyed rate limits (governor's GCRA): per client IP on `/auth/*`, per user on person search.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

#[derive(Clone)]
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: Arc<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn per_minute(n: u32) -> Self {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        KeyedLimit {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Count one request for `key`; 429 with Retry-After when over the limit.
    pub fn check(&self, key: &K) -> Result<(), ApiError> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs() + 1,
            }
        })?;
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

/// The limit on `/auth/*`, keyed by the TCP peer address.
#[derive(Clone)]
pub struct AuthRateLimit(KeyedLimit<IpAddr>);

impl AuthRateLimit {
    pub fn per_minute(n: u32) -> Self {
        AuthRateLimit(KeyedLimit::per_minute(n))
    }

    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        self.0.check(&ip.unwrap_or(IpAddr::from([0, 0, 0, 0])))
    }
}
