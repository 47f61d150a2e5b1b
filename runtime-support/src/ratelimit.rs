//! Rate limiting behind a trait, with an in-memory sliding-window backend for one instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

/// A rate-limit store. Backends for several instances (database, Redis)
/// implement the same trait.
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one call for `key`: `Ok(())` when at most `limit` calls fall in
    /// the sliding `window` ending now (this one included), else
    /// `Err(retry_after)`. A denied call is not counted.
    fn hit<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<(), Duration>>;
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

    /// The decision at `now` (exposed for deterministic tests).
    pub fn hit_at(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if self.hits.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            map.retain(|_, w| now.saturating_duration_since(w.start) < w.length * 2);
        }
        let w = map.entry(key.to_owned()).or_insert(Window {
            start: now,
            length: window,
            previous: 0,
            current: 0,
        });
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
        let weight = (1.0 - into).clamp(0.0, 1.0);
        let estimate = f64::from(w.previous) * weight + f64::from(w.current);
        if estimate + 1.0 <= f64::from(limit) {
            w.current += 1;
            return Ok(());
        }
        // Time until the estimate leaves room for one more call.
        let end_of_window = (w.start + window).saturating_duration_since(now);
        let retry = if w.current + 1 > limit || w.previous == 0 {
            end_of_window
        } else {
            let room = f64::from(limit) - 1.0 - f64::from(w.current);
            let needed_into = 1.0 - room / f64::from(w.previous);
            let wait = (needed_into - into).max(0.0) * window.as_secs_f64();
            Duration::from_secs_f64(wait).min(end_of_window)
        };
        Err(retry.max(Duration::from_millis(1)))
    }
}

impl RateLimiter for MemoryRateLimiter {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<(), Duration>> {
        let r = self.hit_at(key, limit, window, Instant::now());
        Box::pin(std::future::ready(r))
    }
}
