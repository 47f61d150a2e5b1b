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

/// Storage of the database rate limiter: two fixed-window counts per bucket
/// in `bunbase_rate_limits`.
pub trait RateLimitStore: Send + Sync + 'static {
    /// Moves `bucket` to the window starting at `window_start` (ms) and
    /// counts one call there when the sliding estimate (the previous
    /// window's count times `weight`, plus the current count, plus this
    /// call) stays within `limit`, all in one statement. Returns the
    /// previous and current counts after the update and whether the call
    /// was counted.
    fn count_call<'a>(
        &'a self,
        bucket: &'a str,
        window_start: i64,
        window_ms: i64,
        weight: f64,
        limit: i64,
    ) -> BoxFuture<'a, Result<(i64, i64, bool), crate::auth::AuthError>>;
}

macro_rules! rate_limit_store {
    ($ty:ty) => {
        impl RateLimitStore for $ty {
            fn count_call<'a>(
                &'a self,
                bucket: &'a str,
                window_start: i64,
                window_ms: i64,
                weight: f64,
                limit: i64,
            ) -> BoxFuture<'a, Result<(i64, i64, bool), crate::auth::AuthError>> {
                Box::pin(async move {
                    // In SET, the table's columns are the row before the
                    // update: `prev` and `cur` below are the counts as the
                    // new window sees them.
                    let (previous, current, counted): (i64, i64, i64) = sqlx::query_as(
                        "INSERT INTO bunbase_rate_limits (bucket, window_start, previous, current, counted)
                         VALUES ($1, $2, 0, CASE WHEN 1 <= $5 THEN 1 ELSE 0 END, CASE WHEN 1 <= $5 THEN 1 ELSE 0 END)
                         ON CONFLICT (bucket) DO UPDATE SET
                           previous = CASE WHEN bunbase_rate_limits.window_start = $2 THEN bunbase_rate_limits.previous
                                           WHEN bunbase_rate_limits.window_start = $2 - $3 THEN bunbase_rate_limits.current
                                           ELSE 0 END,
                           counted = CASE WHEN
                               (CASE WHEN bunbase_rate_limits.window_start = $2 THEN bunbase_rate_limits.previous
                                     WHEN bunbase_rate_limits.window_start = $2 - $3 THEN bunbase_rate_limits.current
                                     ELSE 0 END) * CAST($4 AS DOUBLE PRECISION)
                               + (CASE WHEN bunbase_rate_limits.window_start = $2 THEN bunbase_rate_limits.current ELSE 0 END)
                               + 1 <= $5 THEN 1 ELSE 0 END,
                           current = (CASE WHEN bunbase_rate_limits.window_start = $2 THEN bunbase_rate_limits.current ELSE 0 END)
                             + (CASE WHEN
                               (CASE WHEN bunbase_rate_limits.window_start = $2 THEN bunbase_rate_limits.previous
                                     WHEN bunbase_rate_limits.window_start = $2 - $3 THEN bunbase_rate_limits.current
                                     ELSE 0 END) * CAST($4 AS DOUBLE PRECISION)
                               + (CASE WHEN bunbase_rate_limits.window_start = $2 THEN bunbase_rate_limits.current ELSE 0 END)
                               + 1 <= $5 THEN 1 ELSE 0 END),
                           window_start = $2
                         RETURNING previous, current, counted",
                    )
                    .bind(bucket)
                    .bind(window_start)
                    .bind(window_ms)
                    .bind(weight)
                    .bind(limit)
                    .fetch_one(&self.0)
                    .await?;
                    Ok((previous, current, counted == 1))
                })
            }
        }
    };
}

rate_limit_store!(crate::auth::store::SqliteStore);
rate_limit_store!(crate::auth::store::PgStore);

/// A [`RateLimiter`] over the database (`RATE_LIMIT_BACKEND=database`):
/// shared by every instance on the same database, one upsert per call.
#[derive(Clone)]
pub struct DbRateLimiter(pub std::sync::Arc<dyn crate::auth::store::AuthBackend>);

impl std::fmt::Debug for DbRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbRateLimiter")
    }
}

impl RateLimiter for DbRateLimiter {
    fn check<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<RateDecision, crate::auth::AuthError>> {
        Box::pin(async move {
            let win = window.as_millis().max(1) as i64;
            let now = crate::auth::store::now_ms();
            let start = now - now.rem_euclid(win);
            let into = (now - start) as f64 / win as f64;
            let (previous, current, counted) = self
                .0
                .count_call(key, start, win, 1.0 - into, i64::from(limit))
                .await?;
            let clamp = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
            // The counts before this call, for the headers.
            let before = if counted { current - 1 } else { current };
            let mut d = decide(clamp(previous), clamp(before), into, window, limit);
            d.allowed = counted;
            if !counted {
                d.remaining = 0;
                d.retry_after = d.retry_after.max(Duration::from_millis(1));
            }
            Ok(d)
        })
    }
}
