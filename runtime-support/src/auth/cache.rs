//! A small time-to-live cache by string key: what the identity layer keeps between requests (session rows, principals) so a steady caller costs no query.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The maps' hasher: foldhash (seeded per map). Keys are session and user
/// ids the server issued, not text a caller chooses, and std's SipHash
/// cost every request a few hundred instructions per lookup.
type Hasher = foldhash::fast::RandomState;

/// Values by key, each kept for the TTL; a zero TTL keeps nothing.
pub(crate) struct TtlCache<V> {
    ttl: Duration,
    map: Mutex<HashMap<String, (Instant, V), Hasher>>,
    /// Loads in flight by key ([`TtlCache::get_or_load`]): callers that miss
    /// together wait for one load instead of each querying.
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>, Hasher>>,
    /// How many times the entries have changed ([`TtlCache::changes`]).
    changes: AtomicU64,
}

impl<V: Clone> TtlCache<V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            map: Mutex::new(HashMap::default()),
            flights: Mutex::new(HashMap::default()),
            changes: AtomicU64::new(0),
        }
    }

    /// How long an entry is kept.
    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A count that grows whenever an entry is added, replaced or
    /// forgotten: a caller that remembers a value it read, with this count
    /// read before, knows the value is still the cached one while the count
    /// is unchanged and the entry younger than the TTL.
    pub(crate) fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Counts a change; called with the map locked, after changing it.
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::Release);
    }

    /// The value of `key`, loaded by `load` (and kept) on a miss. Callers
    /// that miss the same key at once share one load: when an entry
    /// expires under many concurrent requests, one query refreshes it
    /// rather than one per request (each of which took a pool connection,
    /// growing the pool, and on SQLite a thread, to its maximum). A failed
    /// load is not shared: the next waiter loads again.
    pub(crate) async fn get_or_load<E, Fut>(
        &self,
        key: &str,
        load: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        // The miss path on the heap: awaited inline, its state (the lock,
        // the load's query) made every caller's future, and so every
        // request's, hundreds of bytes larger to move on the hit path.
        Box::pin(self.load_shared(key, load)).await
    }

    /// The miss path of [`TtlCache::get_or_load`].
    async fn load_shared<E, Fut>(&self, key: &str, load: impl FnOnce() -> Fut) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return load().await;
        }
        let flight = self
            .flights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_owned())
            .or_default()
            .clone();
        let result = {
            let _turn = flight.lock().await;
            match self.get(key) {
                Some(hit) => Ok(hit),
                None => load().await.inspect(|v| self.put(key, v.clone())),
            }
        };
        // The last caller of this flight removes it.
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if Arc::strong_count(&flight) == 2 {
            flights.remove(key);
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, V), Hasher>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of `key` when it is younger than the TTL.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.get_at(key, Instant::now())
    }

    /// [`TtlCache::get`] as of `now`: a caller reading two caches reads
    /// the clock once.
    pub(crate) fn get_at(&self, key: &str, now: Instant) -> Option<V> {
        self.get_stamped(key, now).map(|(v, _)| v)
    }

    /// [`TtlCache::get_at`] with the time the entry was made.
    pub(crate) fn get_stamped(&self, key: &str, now: Instant) -> Option<(V, Instant)> {
        if self.ttl.is_zero() {
            return None;
        }
        self.lock()
            .get(key)
            .filter(|(at, _)| now.saturating_duration_since(*at) < self.ttl)
            .map(|(at, v)| (v.clone(), *at))
    }

    /// Keeps `value` for `key` from now on. Past 100,000 entries, expired
    /// ones are dropped first.
    pub(crate) fn put(&self, key: &str, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= 100_000 {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        map.insert(key.to_owned(), (Instant::now(), value));
        self.changed();
    }

    /// Forgets `key`.
    pub(crate) fn forget(&self, key: &str) {
        let mut map = self.lock();
        map.remove(key);
        self.changed();
    }

    /// Forgets every entry `pred` selects.
    pub(crate) fn forget_where(&self, pred: impl Fn(&V) -> bool) {
        let mut map = self.lock();
        map.retain(|_, (_, v)| !pred(v));
        self.changed();
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        let mut map = self.lock();
        map.clear();
        self.changed();
    }
}
