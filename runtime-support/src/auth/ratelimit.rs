//! Rate limiting behind a trait: a sliding window per key, in memory for one instance (the default) or shared through Redis (feature `redis`).
//!
//! Every backend counts two fixed windows per key and weighs the previous
//! one by how much of it still overlaps the sliding window, which needs O(1)
//! state per key and is exact at window boundaries to within one call. The
//! guard sends `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
//! and `RateLimit-Policy` on every guarded response, and `Retry-After` with
//! 429.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

/// What a rate limiter decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the call is allowed (and was counted).
    pub allowed: bool,
    /// The limit per window.
    pub limit: u32,
    /// Calls left in the sliding window after this one.
    pub remaining: u32,
    /// Time until the current fixed window ends (`RateLimit-Reset`).
    pub reset: Duration,
    /// When denied: time until one more call fits (`Retry-After`).
    pub retry_after: Duration,
}

/// A rate-limit store. [`MemoryRateLimiter`] serves one instance; the Redis
/// backend (`crate::auth::redis`, feature `redis`) shares the counts.
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one call for `key` when at most `limit` calls fall in the
    /// sliding `window` ending now (this one included). A denied call is not
    /// counted. `Err` when the backend cannot answer (the guard then denies).
    fn check<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<RateDecision, crate::auth::AuthError>>;
}

/// The sliding-window decision from two fixed-window counts: `previous`
/// and `current` calls, `into` = how far (0..1) the current window has run.
/// `current` does not include this call; when allowed, the caller counts it.
pub fn decide(
    previous: u32,
    current: u32,
    into: f64,
    window: Duration,
    limit: u32,
) -> RateDecision {
    let weight = (1.0 - into).clamp(0.0, 1.0);
    let estimate = f64::from(previous) * weight + f64::from(current);
    let end_of_window =
        Duration::from_secs_f64(((1.0 - into).clamp(0.0, 1.0)) * window.as_secs_f64());
    if estimate + 1.0 <= f64::from(limit) {
        let left = (f64::from(limit) - estimate - 1.0).floor().max(0.0) as u32;
        return RateDecision {
            allowed: true,
            limit,
            remaining: left,
            reset: end_of_window,
            retry_after: Duration::ZERO,
        };
    }
    // Time until the estimate leaves room for one more call.
    let retry = if current + 1 > limit || previous == 0 {
        end_of_window
    } else {
        let room = f64::from(limit) - 1.0 - f64::from(current);
        let needed_into = 1.0 - room / f64::from(previous);
        let wait = (needed_into - into).max(0.0) * window.as_secs_f64();
        Duration::from_secs_f64(wait).min(end_of_window)
    };
    RateDecision {
        allowed: false,
        limit,
        remaining: 0,
        reset: end_of_window,
        retry_after: retry.max(Duration::from_millis(1)),
    }
}

/// In-memory sliding-window counter (two fixed windows, the previous one
/// weighted by how much of it still overlaps the sliding window): O(1)
/// memory per key, exact at window boundaries to within one call.
#[derive(Debug, Default)]
pub struct MemoryRateLimiter {
    state: Mutex<HashMap<String, Window>>,
    hits: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    length: Duration,
    previous: u32,
    current: u32,
}

impl MemoryRateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The decision at `now` (exposed for deterministic tests): `Ok(())`
    /// or `Err(retry_after)`.
    pub fn hit_at(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: Instant,
    ) -> Result<(), Duration> {
        let d = self.decide_at(key, limit, window, now);
        if d.allowed {
            Ok(())
        } else {
            Err(d.retry_after)
        }
    }

    /// The full decision at `now`.
    pub fn decide_at(&self, key: &str, limit: u32, window: Duration, now: Instant) -> RateDecision {
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if self.hits.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            map.retain(|_, w| now.saturating_duration_since(w.start) < w.length * 2);
        }
        let w = match map.get_mut(key) {
            Some(w) => w,
            None => map.entry(key.to_owned()).or_insert(Window {
                start: now,
                length: window,
                previous: 0,
                current: 0,
            }),
        };
        if w.length != window {
            *w = Window {
                start: now,
                length: window,
                previous: 0,
                current: 0,
            };
        }
        let elapsed = now.saturating_duration_since(w.start);
        let periods = (elapsed.as_nanos() / window.as_nanos().max(1)) as u32;
        if periods == 1 {
            w.previous = w.current;
            w.current = 0;
            w.start += window;
        } else if periods >= 2 {
            w.previous = 0;
            w.current = 0;
            w.start += window * periods;
        }
        let into = now.saturating_duration_since(w.start).as_secs_f64() / window.as_secs_f64();
        let d = decide(w.previous, w.current, into, window, limit);
        if d.allowed {
            w.current += 1;
        }
        d
    }
}

impl RateLimiter for MemoryRateLimiter {
    fn check<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<RateDecision, crate::auth::AuthError>> {
        let d = self.decide_at(key, limit, window, Instant::now());
        Box::pin(std::future::ready(Ok(d)))
    }
}
