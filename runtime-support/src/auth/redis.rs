//! Shared rate limits through Redis (feature `redis`, `RATE_LIMIT_REDIS_URL`): every instance counts in the same keys, so two instances allow the limit once, not twice.
//!
//! One Lua script per call reads both fixed-window counters of the key,
//! decides with Redis's own clock (so instances with skewed clocks agree)
//! and counts an allowed call, atomically. Keys are
//! `<prefix>:<bucket>:<window index>` and expire after two windows.

use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::ConnectionManager;

use super::AuthError;
use super::ratelimit::{RateDecision, RateLimiter, decide};

const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local win = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local idx = math.floor(now / win)
local cur_key = KEYS[1] .. ':' .. idx
local prev_key = KEYS[1] .. ':' .. (idx - 1)
local cur = tonumber(redis.call('GET', cur_key) or '0')
local prev = tonumber(redis.call('GET', prev_key) or '0')
local elapsed = now - idx * win
local est = prev * (1 - elapsed / win) + cur
if est + 1 <= limit then
  redis.call('INCR', cur_key)
  redis.call('PEXPIRE', cur_key, win * 2)
  return {1, cur, prev, elapsed}
end
return {0, cur, prev, elapsed}
";

/// A [`RateLimiter`] over Redis.
#[derive(Clone)]
pub struct RedisRateLimiter {
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
}

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl RedisRateLimiter {
    /// Connects to `url` (`redis://host:port/db`); keys start with `prefix`
    /// (the application's name keeps apps sharing a Redis apart).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, AuthError> {
        let client = redis::Client::open(url).map_err(|e| AuthError::RateLimit(e.to_string()))?;
        let conn = ConnectionManager::new(client)
            .await
            .map_err(|e| AuthError::RateLimit(e.to_string()))?;
        Ok(RedisRateLimiter {
            conn,
            script: redis::Script::new(SCRIPT),
            prefix: format!("bunbase:rl:{prefix}"),
        })
    }
}

impl RateLimiter for RedisRateLimiter {
    fn check<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<RateDecision, AuthError>> {
        Box::pin(async move {
            let win = window.as_millis().max(1) as u64;
            let mut conn = self.conn.clone();
            let (allowed, current, previous, elapsed): (i64, i64, i64, i64) = self
                .script
                .key(format!("{}:{key}", self.prefix))
                .arg(win)
                .arg(limit)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| AuthError::RateLimit(e.to_string()))?;
            let into = elapsed as f64 / win as f64;
            let clamp = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
            let mut d = decide(clamp(previous), clamp(current), into, window, limit);
            // The script decided; the shared math only derives the headers.
            d.allowed = allowed == 1;
            if !d.allowed {
                d.remaining = 0;
            }
            Ok(d)
        })
    }
}
