//! Per-API-key rate limiting (GCRA, in process) and a stricter per-IP limit on failed
//! authentication, with the IETF `RateLimit` / `RateLimit-Policy` headers
//! (draft-ietf-httpapi-ratelimit-headers-09). Limits are per instance.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use moss_domain::id::KeyId;

use crate::error::ApiError;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// Limits from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Sustained requests per second per API key (`MOSS_RATE_LIMIT_RPS`).
    pub rps: u32,
    /// Burst per API key (`MOSS_RATE_LIMIT_BURST`).
    pub burst: u32,
    /// Failed authentications per second per client IP (`MOSS_AUTH_FAILURE_RPS`).
    pub auth_failure_rps: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            rps: 100,
            burst: 200,
            auth_failure_rps: 10,
        }
    }
}

/// The `RateLimit` and `RateLimit-Policy` header values of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateHeaders {
    /// `"default";q=<burst>;w=<seconds to refill the burst>`.
    pub policy: String,
    /// `"default";r=<requests left>;t=<seconds until the bucket is full>`.
    pub limit: String,
}

/// The limiters of one server process.
#[derive(Debug)]
pub struct RateLimits {
    settings: RateLimitSettings,
    per_key: Keyed<KeyId>,
    auth_failures: Keyed<IpAddr>,
    clock: DefaultClock,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

impl RateLimits {
    /// Limiters for `settings`.
    pub fn new(settings: RateLimitSettings) -> Self {
        let per_key = Quota::per_second(nonzero(settings.rps)).allow_burst(nonzero(settings.burst));
        let auth = Quota::per_second(nonzero(settings.auth_failure_rps));
        Self {
            settings,
            per_key: RateLimiter::keyed(per_key).with_middleware::<StateInformationMiddleware>(),
            auth_failures: RateLimiter::keyed(auth).with_middleware::<StateInformationMiddleware>(),
            clock: DefaultClock::default(),
        }
    }

    fn headers(&self, remaining: u32) -> RateHeaders {
        let (rps, burst) = (
            u64::from(self.settings.rps.max(1)),
            u64::from(self.settings.burst.max(1)),
        );
        let used = burst.saturating_sub(u64::from(remaining));
        RateHeaders {
            policy: format!("\"default\";q={burst};w={}", ceil_div(burst, rps)),
            limit: format!("\"default\";r={remaining};t={}", ceil_div(used, rps)),
        }
    }

    /// Counts one request of `key`: its headers, or 429 with `Retry-After` (and the headers).
    pub fn check_key(&self, key: KeyId) -> Result<RateHeaders, Box<(ApiError, RateHeaders)>> {
        match self.per_key.check_key(&key) {
            Ok(snapshot) => Ok(self.headers(snapshot.remaining_burst_capacity())),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(Box::new((too_many(wait.as_secs_f64()), self.headers(0))))
            }
        }
    }

    /// Counts one failed authentication from `ip`: `Ok` while under the limit, else 429.
    pub fn check_auth_failure(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(ip) = ip else { return Ok(()) };
        match self.auth_failures.check_key(&ip) {
            Ok(_) => Ok(()),
            Err(not_until) => Err(too_many(not_until.wait_time_from(self.clock.now()).as_secs_f64())),
        }
    }

    /// Forgets keys whose buckets are full again (bounded memory).
    pub fn retain_recent(&self) {
        self.per_key.retain_recent();
        self.auth_failures.retain_recent();
    }
}

fn too_many(wait_secs: f64) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "Too many requests; retry later.",
    );
    // Whole seconds, rounded up, at least 1.
    e.retry_after = Some((wait_secs.ceil() as u64).max(1));
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_draft_syntax() {
        let limits = RateLimits::new(RateLimitSettings {
            rps: 100,
            burst: 200,
            auth_failure_rps: 10,
        });
        let key = KeyId::generate();
        let first = limits.check_key(key).unwrap();
        assert_eq!(first.policy, "\"default\";q=200;w=2");
        assert_eq!(first.limit, "\"default\";r=199;t=1");
    }

    #[test]
    fn a_burst_past_the_quota_is_refused_per_key() {
        let limits = RateLimits::new(RateLimitSettings {
            rps: 1,
            burst: 3,
            auth_failure_rps: 2,
        });
        let (a, b) = (KeyId::generate(), KeyId::generate());
        for left in [2, 1, 0] {
            assert_eq!(
                limits.check_key(a).unwrap().limit,
                format!("\"default\";r={left};t={}", 3 - left)
            );
        }
        let (err, headers) = *limits.check_key(a).unwrap_err();
        assert_eq!(
            (err.status.as_u16(), err.code, err.retry_after),
            (429, "RATE_LIMITED", Some(1))
        );
        assert_eq!(headers.limit, "\"default\";r=0;t=3");
        assert!(limits.check_key(b).is_ok(), "another key is not affected");
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limits.check_auth_failure(Some(ip)).is_ok());
        assert!(limits.check_auth_failure(Some(ip)).is_ok());
        assert_eq!(limits.check_auth_failure(Some(ip)).unwrap_err().status.as_u16(), 429);
        assert!(limits.check_auth_failure(Some("192.0.2.2".parse().unwrap())).is_ok());
    }
}
